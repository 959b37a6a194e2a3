//! User management, for administrators: the accounts with their role and status, a new user,
//! a password reset, a role change, disabling and enabling. Every change is the central's to
//! make: the window sends a command and shows what the central answered, including the
//! one-time password of a new or reset account, once.

use egui::RichText;

use super::{Scene, ViewState, i18n, theme};
use crate::console::messages::{AdminCommand, Command};
use crate::console::state::account::Gate;
use crate::domain::access::{Account, Capability, Role};

/// What the window remembers between frames.
#[derive(Debug)]
pub struct AdminView {
    /// The window is open.
    pub open: bool,
    /// The user list was asked for since it opened.
    requested: bool,
    /// New user: login name.
    pub new_username: String,
    /// New user: display name.
    pub new_name: String,
    /// New user: role.
    pub new_role: Role,
    /// A destructive action waiting for a second click: (user, reset?).
    confirm: Option<(String, bool)>,
    /// The serial of the last one-time password closed.
    closed_password: u64,
}

impl Default for AdminView {
    fn default() -> Self {
        Self {
            open: false,
            requested: false,
            new_username: String::new(),
            new_name: String::new(),
            new_role: Role::DutyForecaster,
            confirm: None,
            closed_password: 0,
        }
    }
}

/// An account's status in words.
pub fn status(
    text: &i18n::Strings,
    account: &Account,
    now: crate::domain::Timestamp,
) -> &'static str {
    if account.disabled {
        text.admin_status_disabled
    } else if account.is_locked(now) {
        text.admin_status_locked
    } else if account.must_change_password {
        text.admin_status_pending
    } else {
        text.admin_status_active
    }
}

/// Draws the window when it is open (and only for whom the central lets manage users).
pub fn admin_window_ui(
    ctx: &egui::Context,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let account = &scene.state.account;
    if !view.admin.open || account.gate(Capability::ManageUsers) != Gate::Allowed {
        view.admin.open = false;
        view.admin.requested = false;
        return;
    }
    if !view.admin.requested {
        view.admin.requested = true;
        commands.push(Command::Admin(AdminCommand::Refresh));
    }
    let text = scene.text;
    let me = account.signed_in().map(|s| s.account.username.clone());
    let mut open = true;
    egui::Window::new(text.admin_title)
        .open(&mut open)
        .collapsible(false)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(theme::window_pos(ctx, 60.0))
        .default_size([820.0, 460.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                if ui.button(text.refresh).clicked() {
                    commands.push(Command::Admin(AdminCommand::Refresh));
                }
                if let Some(error) = &account.admin_error {
                    let error = i18n::trouble(scene.language, error);
                    ui.label(RichText::new(format!("⚠ {error}")).color(theme::STATUS_ERROR));
                }
            });
            ui.separator();
            let Some(users) = &account.users else {
                ui.label(RichText::new(text.loading).color(theme::INK_MUTED));
                return;
            };
            egui::ScrollArea::vertical()
                .max_height(300.0)
                .show(ui, |ui| {
                    egui::Grid::new("users")
                        .striped(true)
                        .num_columns(6)
                        .spacing([14.0, 6.0])
                        .show(ui, |ui| {
                            for heading in [
                                text.admin_col_user,
                                text.admin_col_name,
                                text.admin_col_role,
                                text.admin_col_status,
                                text.admin_col_last_login,
                                "",
                            ] {
                                ui.label(RichText::new(heading).strong());
                            }
                            ui.end_row();
                            for user in users {
                                user_row_ui(
                                    ui,
                                    scene,
                                    &mut view.admin,
                                    user,
                                    me.as_ref() == Some(&user.username),
                                    commands,
                                );
                                ui.end_row();
                            }
                        });
                });
            ui.separator();
            new_user_ui(ui, scene, &mut view.admin, commands);
        });
    if !open {
        view.admin.open = false;
        view.admin.requested = false;
        view.admin.confirm = None;
    }
    issued_password_ui(ctx, scene, view);
}

/// A role picker, named for screen readers (and tests) by the label `caption`.
fn role_combo_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    id: &str,
    caption: egui::Id,
    role: &mut Role,
) -> bool {
    let mut changed = false;
    egui::ComboBox::from_id_salt(id)
        .selected_text(i18n::role_name(scene.language, *role))
        .show_ui(ui, |ui| {
            for candidate in Role::USERS {
                changed |= ui
                    .selectable_value(role, candidate, i18n::role_name(scene.language, candidate))
                    .changed();
            }
        })
        .response
        .labelled_by(caption);
    changed
}

fn user_row_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    admin: &mut AdminView,
    user: &Account,
    is_me: bool,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    let name = user.username.as_str();
    let caption = ui.label(RichText::new(name).monospace());
    ui.label(&user.display_name);
    let mut role = user.role;
    if role_combo_ui(ui, scene, &format!("role {name}"), caption.id, &mut role) {
        commands.push(Command::Admin(AdminCommand::SetRole {
            username: name.to_owned(),
            role,
        }));
    }
    let status = status(text, user, scene.now);
    let tone = if user.disabled || user.is_locked(scene.now) {
        theme::STATUS_ERROR
    } else {
        theme::INK
    };
    let label = ui.label(RichText::new(status).color(tone));
    if let Some(until) = user.locked_until.filter(|_| user.is_locked(scene.now)) {
        label.on_hover_text(i18n::locked_until(scene.language, until, scene.now));
    }
    ui.label(
        user.last_login
            .map_or_else(|| text.admin_never.to_owned(), |t| i18n::when(t, scene.now)),
    );
    ui.horizontal(|ui| {
        let confirming_reset = admin.confirm.as_ref() == Some(&(name.to_owned(), true));
        let confirming_disable = admin.confirm.as_ref() == Some(&(name.to_owned(), false));
        let reset_label = if confirming_reset {
            text.admin_confirm
        } else {
            text.admin_reset
        };
        if ui.button(reset_label).clicked() {
            if confirming_reset {
                admin.confirm = None;
                commands.push(Command::Admin(AdminCommand::ResetPassword {
                    username: name.to_owned(),
                }));
            } else {
                admin.confirm = Some((name.to_owned(), true));
            }
        }
        let toggle = if user.disabled {
            text.admin_enable
        } else {
            text.admin_disable
        };
        let toggle = if confirming_disable {
            text.admin_confirm
        } else {
            toggle
        };
        let button = ui.add_enabled(!is_me, egui::Button::new(toggle));
        let button = if is_me {
            button.on_disabled_hover_text(text.admin_yourself)
        } else {
            button
        };
        if button.clicked() {
            if confirming_disable || user.disabled {
                admin.confirm = None;
                commands.push(Command::Admin(AdminCommand::SetDisabled {
                    username: name.to_owned(),
                    disabled: !user.disabled,
                }));
            } else {
                admin.confirm = Some((name.to_owned(), false));
            }
        }
    });
}

fn new_user_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    admin: &mut AdminView,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    ui.label(RichText::new(text.admin_new_user).strong());
    ui.horizontal(|ui| {
        let caption = ui.label(text.admin_col_user);
        ui.add(theme::text_field(&mut admin.new_username).desired_width(110.0))
            .labelled_by(caption.id);
        let caption = ui.label(text.admin_display_name);
        ui.add(theme::text_field(&mut admin.new_name).desired_width(110.0))
            .labelled_by(caption.id);
        let caption = ui.label(text.admin_col_role);
        let mut role = admin.new_role;
        role_combo_ui(ui, scene, "new role", caption.id, &mut role);
        admin.new_role = role;
        let ready = !admin.new_username.trim().is_empty() && !admin.new_name.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new(text.admin_create))
            .clicked()
        {
            commands.push(Command::Admin(AdminCommand::CreateUser {
                username: admin.new_username.trim().to_owned(),
                display_name: admin.new_name.trim().to_owned(),
                role: admin.new_role,
            }));
            admin.new_username.clear();
            admin.new_name.clear();
        }
    });
}

/// The one-time password of a new or reset account, until the administrator closes it.
fn issued_password_ui(ctx: &egui::Context, scene: Scene<'_>, view: &mut ViewState) {
    let Some(issued) = &scene.state.account.issued else {
        return;
    };
    if issued.serial <= view.admin.closed_password {
        return;
    }
    let text = scene.text;
    let modal = egui::Modal::new(egui::Id::unique("wxdesk issued password")).show(ctx, |ui| {
        ui.set_width(420.0);
        let title = if issued.created {
            text.admin_issued_created
        } else {
            text.admin_issued_reset
        };
        ui.label(RichText::new(title).heading().strong());
        ui.add_space(6.0);
        egui::Grid::new("issued")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label(RichText::new(text.admin_col_user).color(theme::INK_MUTED));
                ui.label(RichText::new(format!(
                    "{} ({}, {})",
                    issued.account.username,
                    issued.account.display_name,
                    i18n::role_name(scene.language, issued.account.role)
                )));
                ui.end_row();
                ui.label(RichText::new(text.first_start_password).color(theme::INK_MUTED));
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(issued.password.expose())
                            .monospace()
                            .strong()
                            .size(18.0),
                    );
                    if ui.small_button(text.copy).clicked() {
                        ui.ctx().copy_text(issued.password.expose().to_owned());
                    }
                });
                ui.end_row();
            });
        ui.add_space(6.0);
        ui.label(
            RichText::new(format!("⚠ {}", text.admin_issued_once)).color(theme::STATUS_PENDING),
        );
        ui.add_space(8.0);
        ui.vertical_centered(|ui| ui.button(text.admin_issued_done).clicked())
            .inner
    });
    if modal.inner {
        view.admin.closed_password = issued.serial;
    }
}
