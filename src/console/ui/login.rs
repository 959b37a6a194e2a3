//! Who is at the desk: the login screen, the first-start dialog with the first administrator's
//! one-time password, the screen that makes a user choose their own password, and the window
//! to change it later.

use egui::RichText;

use super::{Scene, ViewState, i18n, theme};
use crate::console::messages::{AuthCommand, Command};
use crate::console::state::account::SessionState;
use crate::domain::access::{self, MIN_PASSWORD_CHARS, PasswordRefusal, Secret, Username};

/// What the login and password forms hold between frames.
#[derive(Debug, Default)]
pub struct LoginView {
    /// User name field.
    pub username: String,
    /// Password field; emptied as soon as it is sent.
    pub password: String,
    /// Workstation field.
    pub workstation: String,
    /// The fields were filled from the backend's defaults.
    filled: bool,
    /// Waiting for the answer to a login sent at this session generation.
    pending: Option<u64>,
    /// The first administrator's one-time password from the embedded central, shown once.
    pub first_admin: Option<Secret>,
    /// The first-start dialog was closed.
    pub first_admin_seen: bool,
    /// Change-password fields.
    pub current: String,
    /// New password.
    pub new: String,
    /// New password again.
    pub repeat: String,
    /// What is wrong with the form before it is sent.
    local_error: Option<String>,
    /// Waiting for a password change sent at this generation.
    pending_change: Option<u64>,
    /// The change-password window (for a user who already has a password) is open.
    pub change_open: bool,
}

/// A centred card on the plain background, for screens shown instead of the console.
fn card_ui<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    egui::CentralPanel::default()
        .show(ui, |ui| {
            ui.add_space((ui.available_height() * 0.12).max(12.0));
            ui.vertical_centered(|ui| {
                theme::panel_frame()
                    .fill(theme::SURFACE_RAISED)
                    .stroke(egui::Stroke::new(1.0, theme::BORDER))
                    .inner_margin(egui::Margin::same(20))
                    .show(ui, |ui| {
                        ui.set_width(380.0);
                        ui.with_layout(egui::Layout::top_down(egui::Align::LEFT), add)
                            .inner
                    })
                    .inner
            })
            .inner
        })
        .inner
}

/// A labelled single-line field.
fn field_ui(ui: &mut egui::Ui, label: &str, value: &mut String, password: bool) -> egui::Response {
    let caption = ui.label(RichText::new(label).color(theme::INK_MUTED));
    let response = ui
        .add(
            theme::text_field(value)
                .password(password)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(caption.id);
    ui.add_space(4.0);
    response
}

fn error_ui(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(format!("⚠ {text}")).color(theme::STATUS_ERROR));
}

/// The login screen, shown instead of the console while nobody is signed in.
pub fn login_screen_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    let account = &scene.state.account;
    let form = &mut view.login;
    if !form.filled && !account.workstation.is_empty() {
        form.filled = true;
        form.workstation.clone_from(&account.workstation);
        if form.username.is_empty() {
            form.username = account.last_username.clone().unwrap_or_default();
        }
    }
    let busy = form.pending == Some(account.auth_generation);
    card_ui(ui, |ui| {
        ui.label(
            RichText::new(text.login_title)
                .heading()
                .strong()
                .color(theme::INK),
        );
        ui.label(RichText::new(text.bureau).color(theme::INK_MUTED));
        ui.add_space(10.0);
        if let SessionState::SignedOut {
            ended: Some(reason),
        } = &account.session
        {
            theme::chip_frame(theme::BANNER_NOTICE_BG).show(ui, |ui| {
                ui.label(
                    RichText::new(format!(
                        "{}{}{}",
                        text.login_ended,
                        i18n::colon(scene.language),
                        i18n::trouble(scene.language, reason)
                    ))
                    .color(theme::INK),
                );
            });
            ui.add_space(6.0);
        }
        field_ui(ui, text.login_username, &mut form.username, false);
        let password = field_ui(ui, text.login_password, &mut form.password, true);
        field_ui(ui, text.login_workstation, &mut form.workstation, false);
        ui.label(
            RichText::new(text.login_workstation_hint)
                .small()
                .color(theme::INK_FAINT),
        );
        ui.add_space(8.0);
        if let Some(failure) = &account.login_error
            && !busy
        {
            error_ui(ui, &i18n::login_failure(scene.language, failure));
        }
        let ready = !form.username.trim().is_empty() && !form.password.is_empty() && !busy;
        let label = if busy {
            text.login_busy
        } else {
            text.login_button
        };
        let submit = ui.add_enabled(
            ready,
            egui::Button::new(label).min_size(egui::vec2(120.0, 28.0)),
        );
        let entered = password.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ready && (submit.clicked() || entered) {
            let password = std::mem::take(&mut form.password);
            // Kept for the password screen, should this be a one-time password: nobody should
            // have to type it twice. Cleared as soon as the console opens.
            form.current.clone_from(&password);
            commands.push(Command::Auth(AuthCommand::LogIn {
                username: form.username.trim().to_owned(),
                password: Secret::new(password),
                workstation: form.workstation.trim().to_owned(),
            }));
            form.pending = Some(account.auth_generation);
        }
        ui.add_space(10.0);
        ui.label(
            RichText::new(text.login_help)
                .small()
                .color(theme::INK_MUTED),
        );
        ui.label(
            RichText::new(text.login_offline_note)
                .small()
                .color(theme::INK_FAINT),
        );
    });
    first_start_ui(ui.ctx(), scene, view);
}

/// The first start of the embedded default: the first administrator's one-time password, once.
fn first_start_ui(ctx: &egui::Context, scene: Scene<'_>, view: &mut ViewState) {
    let form = &mut view.login;
    let Some(password) = form.first_admin.clone() else {
        return;
    };
    if form.first_admin_seen {
        return;
    }
    let text = scene.text;
    let modal = egui::Modal::new(egui::Id::unique("wxdesk first start")).show(ctx, |ui| {
        ui.set_width(440.0);
        ui.label(RichText::new(text.first_start_title).heading().strong());
        ui.add_space(6.0);
        ui.label(text.first_start_intro);
        ui.add_space(8.0);
        egui::Grid::new("first admin")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label(RichText::new(text.login_username).color(theme::INK_MUTED));
                ui.label(RichText::new(access::FIRST_ADMIN).monospace().strong());
                ui.end_row();
                ui.label(RichText::new(text.first_start_password).color(theme::INK_MUTED));
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(password.expose())
                            .monospace()
                            .strong()
                            .size(18.0),
                    );
                    if ui.small_button(text.copy).clicked() {
                        ui.ctx().copy_text(password.expose().to_owned());
                    }
                });
                ui.end_row();
            });
        ui.add_space(8.0);
        ui.label(
            RichText::new(format!("⚠ {}", text.first_start_once)).color(theme::STATUS_PENDING),
        );
        ui.label(RichText::new(text.first_start_next).color(theme::INK_MUTED));
        ui.add_space(8.0);
        ui.vertical_centered(|ui| ui.button(text.first_start_go).clicked())
            .inner
    });
    if modal.inner {
        form.first_admin_seen = true;
        form.username = access::FIRST_ADMIN.to_owned();
        form.password = password.expose().to_owned();
        form.current = password.expose().to_owned();
    }
}

/// Checks the new-password fields before anything is sent, by the central's own rules
/// (length, the common-password list, the user's and the bureau's names).
pub fn check_new_password(
    new: &str,
    repeat: &str,
    username: Option<&Username>,
) -> Result<(), PasswordProblem> {
    if new.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::Refused(PasswordRefusal::TooShort));
    }
    if let Some(username) = username {
        access::check_new_password(
            &Secret::new(new),
            username,
            crate::assets::common_passwords(),
        )
        .map_err(PasswordProblem::Refused)?;
    }
    if new != repeat {
        return Err(PasswordProblem::Mismatch);
    }
    Ok(())
}

/// What is wrong with a new password, as the form can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Refused by the password rules.
    Refused(PasswordRefusal),
    /// The two entries differ.
    Mismatch,
}

/// The password form; returns whether it was sent.
fn password_form_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) -> bool {
    let text = scene.text;
    let account = &scene.state.account;
    let form = &mut view.login;
    let busy = form.pending_change == Some(account.auth_generation);
    field_ui(ui, text.password_current, &mut form.current, true);
    field_ui(ui, text.password_new, &mut form.new, true);
    let repeat = field_ui(ui, text.password_repeat, &mut form.repeat, true);
    if let Some(problem) = &form.local_error {
        error_ui(ui, problem);
    } else if let Some(refusal) = account.password_refusal
        && !busy
    {
        error_ui(ui, &i18n::password_refusal(scene.language, refusal));
    } else if let Some(error) = &account.password_error
        && !busy
    {
        error_ui(ui, &i18n::trouble(scene.language, error));
    }
    ui.add_space(6.0);
    let ready = !form.current.is_empty() && !form.new.is_empty() && !busy;
    let label = if busy {
        text.loading
    } else {
        text.password_save
    };
    let submit = ui.add_enabled(
        ready,
        egui::Button::new(label).min_size(egui::vec2(120.0, 28.0)),
    );
    let entered = repeat.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if !(ready && (submit.clicked() || entered)) {
        return false;
    }
    let username = account.signed_in().map(|s| s.account.username.clone());
    match check_new_password(&form.new, &form.repeat, username.as_ref()) {
        Err(PasswordProblem::Refused(refusal)) => {
            form.local_error = Some(i18n::password_refusal(scene.language, refusal));
        }
        Err(PasswordProblem::Mismatch) => {
            form.local_error = Some(text.password_mismatch.to_owned());
        }
        Ok(()) => {
            form.local_error = None;
            commands.push(Command::Auth(AuthCommand::ChangePassword {
                current: Secret::new(std::mem::take(&mut form.current)),
                new: Secret::new(std::mem::take(&mut form.new)),
            }));
            form.repeat.clear();
            form.pending_change = Some(account.auth_generation);
            return true;
        }
    }
    false
}

/// Shown instead of the console while the user still has a one-time password.
pub fn password_screen_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    card_ui(ui, |ui| {
        ui.label(
            RichText::new(text.password_title)
                .heading()
                .strong()
                .color(theme::INK),
        );
        if let Some(session) = scene.state.account.signed_in() {
            ui.label(
                RichText::new(format!(
                    "{} ({})",
                    session.account.display_name, session.account.username
                ))
                .color(theme::INK_MUTED),
            );
        }
        ui.add_space(6.0);
        ui.label(text.password_intro);
        ui.add_space(8.0);
        password_form_ui(ui, scene, view, commands);
        ui.add_space(8.0);
        if ui.button(text.logout).clicked() {
            commands.push(Command::Auth(AuthCommand::LogOut));
        }
    });
}

/// Forgets what the login form kept for the password screen, once the console is open.
pub fn forget_login_password(view: &mut ViewState) {
    if !view.login.change_open && !view.login.current.is_empty() {
        view.login.current.clear();
    }
}

/// The window to change one's password later (from the user menu).
pub fn password_window_ui(
    ctx: &egui::Context,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    if !view.login.change_open {
        return;
    }
    let text = scene.text;
    let changed_here = view
        .login
        .pending_change
        .is_some_and(|sent| sent < scene.state.account.auth_generation)
        && scene.state.account.password_error.is_none();
    let modal = egui::Modal::new(egui::Id::unique("wxdesk change password")).show(ctx, |ui| {
        ui.set_width(380.0);
        ui.label(
            RichText::new(text.password_change.trim_end_matches('…'))
                .heading()
                .strong(),
        );
        ui.add_space(6.0);
        if changed_here {
            ui.label(RichText::new(format!("√ {}", text.password_changed)).color(theme::STATUS_OK));
            return ui.button(text.close).clicked();
        }
        password_form_ui(ui, scene, view, commands);
        ui.add_space(6.0);
        ui.button(text.cancel).clicked()
    });
    if modal.inner || modal.should_close() {
        let form = &mut view.login;
        form.change_open = false;
        form.pending_change = None;
        form.local_error = None;
        form.current.clear();
        form.new.clear();
        form.repeat.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_checked_before_sending() {
        let user = Username::parse("zhangwei").unwrap();
        let cases = [
            (
                "short",
                "short",
                Err(PasswordProblem::Refused(PasswordRefusal::TooShort)),
            ),
            (
                "12345678",
                "12345678",
                Err(PasswordProblem::Refused(PasswordRefusal::Common)),
            ),
            (
                "Zhangwei88",
                "Zhangwei88",
                Err(PasswordProblem::Refused(PasswordRefusal::LikeUsername)),
            ),
            ("清流县气象局值班", "清流县气象局值班", Ok(())),
            ("longenough", "longenougH", Err(PasswordProblem::Mismatch)),
        ];
        for (new, repeat, expected) in cases {
            assert_eq!(
                check_new_password(new, repeat, Some(&user)),
                expected,
                "{new}"
            );
        }
    }
}
