//! The top bar (bureau, Beijing-time clock, link and sync status, language, about, and the
//! signed-in user's menu), the banners under it when the central is unreachable or the backend
//! reported a failure, and the window listing those reports.
//!
//! The user menu shows what the role may and may not do, and why; it offers user management
//! and the audit log only to roles that have them, and only once the central has confirmed the
//! session.

use egui::RichText;

use super::{Scene, ViewState, i18n, theme};
use crate::console::messages::{AuthCommand, Command, LinkStatus, SessionView, SyncCommand};
use crate::console::state::account::Gate;
use crate::console::state::{Notice, SyncProgress};
use crate::console::ui::i18n::Language;
use crate::domain::Timestamp;
use crate::domain::access::Capability;

/// How a status reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// All is well.
    Ok,
    /// Working on it.
    Pending,
    /// Something is wrong.
    Error,
}

impl Tone {
    fn colour(self) -> egui::Color32 {
        match self {
            Self::Ok => theme::STATUS_OK,
            Self::Pending => theme::STATUS_PENDING,
            Self::Error => theme::STATUS_ERROR,
        }
    }
}

/// The link chip's tone and word.
pub fn link_status(link: &LinkStatus, language: Language) -> (Tone, &'static str) {
    let text = i18n::strings(language);
    match link {
        LinkStatus::Connecting { .. } => (Tone::Pending, text.link_connecting),
        LinkStatus::Online { .. } => (Tone::Ok, text.link_online),
        LinkStatus::Offline { .. } => (Tone::Error, text.link_offline),
        LinkStatus::SignedOut { .. } => (Tone::Error, text.link_signed_out),
    }
}

/// The sync summary: when the cache last caught up, and how far behind it is.
pub fn sync_status(sync: Option<SyncProgress>, now: Timestamp, language: Language) -> String {
    match sync {
        None => i18n::strings(language).never_synced.to_owned(),
        Some(progress) if progress.caught_up() => i18n::last_sync(language, progress.at, now),
        Some(progress) => format!(
            "{} · {}",
            i18n::last_sync(language, progress.at, now),
            i18n::behind(language, progress.behind)
        ),
    }
}

/// Room for one item's padding (button or chip margins) and the spacing after it.
const ITEM_ALLOWANCE: f32 = 22.0;

/// How much the top bar must give up so the simulated-data badge and the clock are never cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fit {
    /// Drop the subtitle, the role and the full sync text (which moves into the link chip's
    /// hover text).
    compact: bool,
    /// Compact, but with room for the last sync's time alone.
    short_sync: bool,
}

/// Measures the bar's own texts in the current language, so the fit holds in every language.
fn fit(ui: &egui::Ui, scene: Scene<'_>, simulated: bool, sync: &str) -> Fit {
    let text = scene.text;
    let heading = ui.style().text_styles[&egui::TextStyle::Heading].clone();
    let body = ui.style().text_styles[&egui::TextStyle::Body].clone();
    let painter = ui.painter();
    let width = |s: &str, font: &egui::FontId| {
        painter
            .layout_no_wrap(s.to_owned(), font.clone(), theme::INK)
            .size()
            .x
            + ITEM_ALLOWANCE
    };
    let mut kept = width(text.bureau, &heading)
        + width(text.about, &body)
        + width("English", &body)
        + width("中文", &body)
        + width(
            &format!("● {}", link_status(&scene.state.link, scene.language).1),
            &body,
        )
        + width(
            &format!(
                "{} {}",
                i18n::clock(scene.language, scene.now),
                text.beijing_time
            ),
            &body,
        );
    if simulated {
        kept += width(&format!("⚠ {}", text.simulated_badge), &body);
    }
    if scene.state.account.signed_in().is_some() && !scene.state.account.confirmed() {
        kept += width(text.unconfirmed_badge, &body);
    }
    let mut dropped = width(text.console_name, &body) + width(sync, &body);
    if let Some(session) = scene.state.account.signed_in() {
        let account = &session.account;
        let role = i18n::role_name(scene.language, account.role);
        let full = width(&format!("{} · {role} ▼", account.display_name), &body);
        let short = width(&format!("{} ▼", account.display_name), &body);
        kept += short;
        dropped += full - short;
    }
    let short_sync = scene.state.sync.map_or(0.0, |p| {
        width(&i18n::last_sync_short(scene.language, p.at), &body)
    });
    let available = ui.available_width();
    let compact = available < kept + dropped;
    Fit {
        compact,
        short_sync: compact && short_sync > 0.0 && kept + short_sync <= available,
    }
}

/// Draws the top bar.
pub fn top_bar_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    let sync = sync_status(scene.state.sync, scene.now, scene.language);
    let simulated = view.config.simulated;
    let fit = fit(ui, scene, simulated, &sync);
    let compact = fit.compact;
    egui::Sides::new().shrink_left().truncate().show(
        ui,
        |ui| {
            ui.label(
                RichText::new(text.bureau)
                    .heading()
                    .strong()
                    .color(theme::INK),
            );
            if !compact {
                ui.label(RichText::new(text.console_name).color(theme::INK_MUTED));
            }
            if simulated {
                theme::chip_frame(theme::SIMULATED_BG)
                    .show(ui, |ui| {
                        ui.label(
                            RichText::new(format!("⚠ {}", text.simulated_badge))
                                .color(theme::SIMULATED_FG)
                                .strong(),
                        )
                    })
                    .inner
                    .on_hover_text(text.simulated_hover);
            }
            if scene.state.account.signed_in().is_some() && !scene.state.account.confirmed() {
                theme::chip_frame(theme::BANNER_NOTICE_BG)
                    .show(ui, |ui| {
                        ui.label(
                            RichText::new(text.unconfirmed_badge)
                                .color(theme::STATUS_PENDING)
                                .strong(),
                        )
                    })
                    .inner
                    .on_hover_text(text.unconfirmed_hover);
            }
        },
        |ui| {
            if let Some(session) = scene.state.account.signed_in() {
                user_menu_ui(ui, scene, view, session, compact, commands);
            }
            if ui.button(text.about).clicked() {
                view.about_open = true;
            }
            for (language, name) in [(Language::En, "English"), (Language::Zh, "中文")] {
                ui.selectable_value(&mut view.language, language, name);
            }
            ui.separator();
            if !compact {
                ui.label(RichText::new(&sync).color(theme::INK_MUTED));
            } else if let Some(progress) = scene.state.sync.filter(|_| fit.short_sync) {
                // Narrow: the time alone, so the last sync never disappears (English at 1280 px).
                ui.label(
                    RichText::new(i18n::last_sync_short(scene.language, progress.at))
                        .color(theme::INK_MUTED),
                );
            }
            link_chip_ui(ui, scene, &sync);
            ui.separator();
            ui.label(
                RichText::new(format!(
                    "{} {}",
                    i18n::clock(scene.language, scene.now),
                    text.beijing_time
                ))
                .strong()
                .color(theme::INK),
            );
        },
    );
}

/// Whether this console version offers what `capability` allows. Device management and
/// observation entry are in the access matrix but not built yet: the menu lists them as
/// coming, not as something the user can do now.
pub fn offered(capability: Capability) -> bool {
    match capability {
        Capability::Read
        | Capability::ManageUsers
        | Capability::ReadAudit
        | Capability::ImportObservations
        | Capability::DraftWarning
        | Capability::ApproveWarning
        | Capability::DispatchWarning
        | Capability::ManageRecipients
        | Capability::CommandRelays
        | Capability::SwitchVentilation
        | Capability::SwitchIrrigation
        | Capability::SwitchShade
        | Capability::SwitchAntiFrost => true,
        Capability::ManageDevices
        | Capability::IngestObservations
        | Capability::EnterObservations => false,
    }
}

/// A button for something that needs `capability`: hidden from roles that never have it,
/// disabled with the reason while the central has not confirmed the session.
fn gated_button_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    label: &str,
    capability: Capability,
) -> bool {
    match scene.state.account.gate(capability) {
        Gate::Allowed => ui.button(label).clicked(),
        Gate::NeedsCentral => {
            ui.add_enabled(false, egui::Button::new(label))
                .on_disabled_hover_text(scene.text.needs_central);
            false
        }
        Gate::NeedsRole(_) | Gate::SignedOut => false,
    }
}

/// The signed-in user's name and role; opens what they may do, their password, and logout.
fn user_menu_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ViewState,
    session: &SessionView,
    compact: bool,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    let language = scene.language;
    let account = &session.account;
    // Narrow windows keep the role for the menu itself.
    let title = if compact {
        format!("{} ▼", account.display_name)
    } else {
        format!(
            "{} · {} ▼",
            account.display_name,
            i18n::role_name(language, account.role)
        )
    };
    // The audit warning is in the menu; the mark says there is something to open it for.
    let warned = scene.state.audit_regression.is_some() && session.can(Capability::ReadAudit);
    let title = if warned {
        format!("⚠ {title}")
    } else {
        title
    };
    ui.menu_button(title, |ui| {
        ui.set_min_width(300.0);
        ui.label(
            RichText::new(format!("{} ({})", account.display_name, account.username)).strong(),
        );
        ui.label(
            RichText::new(format!(
                "{}{}{} · {}{}{}",
                text.my_role,
                i18n::colon(language),
                i18n::role_name(language, account.role),
                text.my_workstation,
                i18n::colon(language),
                session.workstation
            ))
            .color(theme::INK_MUTED),
        );
        ui.label(
            RichText::new(i18n::session_until(language, session.expires_at, scene.now))
                .color(theme::INK_MUTED),
        );
        if let Some(regression) = scene
            .state
            .audit_regression
            .as_ref()
            .filter(|_| session.can(Capability::ReadAudit))
        {
            ui.label(
                RichText::new(i18n::audit_regressed(language, regression))
                    .strong()
                    .color(theme::STATUS_ERROR),
            );
        }
        if let Some(note) = &scene.state.account.storage_note {
            ui.label(
                RichText::new(i18n::storage_note(language, note))
                    .small()
                    .color(theme::INK_FAINT),
            );
        }
        ui.separator();
        ui.label(RichText::new(text.my_may).strong());
        let granted = Capability::ALL
            .into_iter()
            .filter(|&c| session.can(c) && c != Capability::IngestObservations);
        let (offered, coming): (Vec<Capability>, Vec<Capability>) =
            granted.partition(|&c| offered(c));
        for capability in offered {
            ui.label(
                RichText::new(format!("√ {}", i18n::capability_name(language, capability)))
                    .color(theme::STATUS_OK),
            );
        }
        if !coming.is_empty() {
            ui.label(RichText::new(text.my_coming).strong());
        }
        for capability in coming {
            ui.label(
                RichText::new(format!("○ {}", i18n::capability_name(language, capability)))
                    .color(theme::INK_MUTED),
            );
        }
        ui.label(RichText::new(text.my_may_not).strong());
        for capability in Capability::ALL.into_iter().filter(|&c| !session.can(c)) {
            let roles = capability.user_roles();
            ui.label(
                RichText::new(format!(
                    "× {} — {}",
                    i18n::capability_name(language, capability),
                    i18n::needs_role(language, &roles)
                ))
                .color(theme::INK_MUTED),
            );
        }
        ui.separator();
        if gated_button_ui(ui, scene, text.admin_button, Capability::ManageUsers) {
            view.admin.open = true;
            ui.close();
        }
        if gated_button_ui(ui, scene, text.audit_button, Capability::ReadAudit) {
            view.audit.open = true;
            ui.close();
        }
        let recipients = super::recipients::text(scene.language).open;
        if gated_button_ui(ui, scene, recipients, Capability::Read) {
            view.recipients.open = true;
            ui.close();
        }
        let confirmed = scene.state.account.confirmed();
        let change = ui
            .add_enabled(confirmed, egui::Button::new(text.password_change))
            .on_disabled_hover_text(text.needs_central);
        if change.clicked() {
            view.login.change_open = true;
            ui.close();
        }
        if ui.button(text.logout).clicked() {
            commands.push(Command::Auth(AuthCommand::LogOut));
            ui.close();
        }
    });
}

fn link_chip_ui(ui: &mut egui::Ui, scene: Scene<'_>, sync: &str) {
    let (tone, word) = link_status(&scene.state.link, scene.language);
    let since = match &scene.state.link {
        LinkStatus::Connecting { since }
        | LinkStatus::Online { since }
        | LinkStatus::Offline { since, .. }
        | LinkStatus::SignedOut { since } => *since,
    };
    ui.label(
        RichText::new(format!("● {word}"))
            .color(tone.colour())
            .strong(),
    )
    .on_hover_text(format!(
        "{}\n{sync}",
        i18n::since(scene.language, since, scene.now)
    ));
}

/// What the desk says about versions: changes only a newer build shows, and what an older
/// central does not serve. Empty when the desk and its central match.
pub fn version_notices(
    skipped: &std::collections::BTreeMap<String, u64>,
    lacking: &[String],
    language: Language,
) -> Vec<String> {
    let total: u64 = skipped.values().sum();
    let mut notices = Vec::new();
    if total > 0 {
        notices.push(i18n::changes_skipped(language, total));
    }
    if !lacking.is_empty() {
        notices.push(i18n::central_lacks(language, lacking));
    }
    notices
}

/// The version notices as a banner, while there are any.
fn version_banner_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let state = scene.state;
    let notices = version_notices(&state.skipped_changes, &state.central_lacks, scene.language);
    if notices.is_empty() {
        return;
    }
    egui::Panel::top("version_banner")
        .frame(theme::panel_frame().fill(theme::BANNER_NOTICE_BG))
        .show(ui, |ui| {
            for notice in notices {
                ui.label(RichText::new(format!("ⓘ {notice}")).color(theme::INK));
            }
        });
}

/// Draws the offline banner and the newest unacknowledged background report, if any.
pub fn banners_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    version_banner_ui(ui, scene);
    if view
        .retry_requested
        .as_ref()
        .is_some_and(|link| *link != scene.state.link)
    {
        view.retry_requested = None;
    }
    if let LinkStatus::Offline {
        since,
        error,
        retry_at,
    } = &scene.state.link
    {
        egui::Panel::top("offline_banner")
            .frame(theme::panel_frame().fill(theme::BANNER_ERROR_BG))
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(
                        RichText::new(format!(
                            "⚠ {}{}",
                            text.offline_title,
                            i18n::parenthesised(
                                scene.language,
                                &i18n::since(scene.language, *since, scene.now)
                            )
                        ))
                        .strong()
                        .color(theme::STATUS_ERROR),
                    );
                    ui.label(RichText::new(i18n::trouble(scene.language, error)).color(theme::INK));
                });
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(text.offline_cached).color(theme::INK));
                    ui.label(
                        RichText::new(i18n::next_retry(scene.language, *retry_at))
                            .color(theme::INK_MUTED),
                    );
                    if view.retry_requested.is_some() {
                        ui.label(RichText::new(text.retry_requested).color(theme::INK_MUTED));
                    } else if ui.button(text.retry_now).clicked() {
                        commands.push(Command::Sync(SyncCommand::RetryNow));
                        view.retry_requested = Some(scene.state.link.clone());
                    }
                });
            });
    }
    let Some(newest) = newest_notice(scene, view) else {
        return;
    };
    if view.dismissed_notice.as_ref() == Some(&newest) {
        return;
    }
    egui::Panel::top("notice_banner")
        .frame(theme::panel_frame().fill(theme::BANNER_NOTICE_BG))
        .show(ui, |ui| {
            egui::Sides::new().shrink_left().wrap().show(
                ui,
                |ui| {
                    ui.label(
                        RichText::new(format!(
                            "⚠ {} {}{}{}",
                            text.notice_title,
                            i18n::when(newest.at, scene.now),
                            i18n::colon(scene.language),
                            newest.text
                        ))
                        .color(theme::INK),
                    );
                },
                |ui| {
                    if ui.button(text.dismiss).clicked() {
                        view.dismissed_notice = Some(newest.clone());
                    }
                    if ui.button(text.notices_more).clicked() {
                        view.notices_open = true;
                    }
                },
            );
        });
}

/// The newest report, from the backend or from the UI itself.
fn newest_notice(scene: Scene<'_>, view: &ViewState) -> Option<Notice> {
    let backend = scene.state.notices.back();
    let local = view.local_notices.last();
    match (backend, local) {
        (Some(b), Some(l)) => Some(if l.at > b.at { l } else { b }.clone()),
        (b, l) => b.or(l).cloned(),
    }
}

/// The window listing every report still held, newest first.
pub fn notices_window_ui(ctx: &egui::Context, scene: Scene<'_>, view: &mut ViewState) {
    if !view.notices_open {
        return;
    }
    let mut all: Vec<&Notice> = scene
        .state
        .notices
        .iter()
        .chain(view.local_notices.iter())
        .collect();
    all.sort_by_key(|n| std::cmp::Reverse(n.at));
    let mut open = true;
    egui::Window::new(scene.text.notices_window)
        .open(&mut open)
        .collapsible(false)
        .default_width(520.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| {
                    for notice in all {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(
                                RichText::new(i18n::when(notice.at, scene.now))
                                    .color(theme::INK_MUTED),
                            );
                            ui.label(&notice.text);
                        });
                    }
                });
        });
    view.notices_open = open;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::MINUTE_MS;

    #[test]
    fn link_status_words() {
        let t = Timestamp(0);
        let cases = [
            (
                LinkStatus::Connecting { since: t },
                Tone::Pending,
                "正在连接中心站…",
            ),
            (LinkStatus::Online { since: t }, Tone::Ok, "已连接"),
            (
                LinkStatus::Offline {
                    since: t,
                    error: "refused".into(),
                    retry_at: t,
                },
                Tone::Error,
                "离线",
            ),
        ];
        for (link, tone, word) in cases {
            assert_eq!(link_status(&link, Language::Zh), (tone, word));
        }
    }

    #[test]
    fn version_notices_say_what_needs_a_newer_desk_or_central() {
        let skipped = [("warning".to_owned(), 2), ("relay".to_owned(), 1)].into();
        let lacking = ["warning".to_owned(), "kinds_filter".to_owned()];
        assert!(version_notices(&Default::default(), &[], Language::Zh).is_empty());
        assert_eq!(
            version_notices(&skipped, &lacking, Language::Zh),
            [
                "3 条变更需要新版本才能显示 · 有新版本可用",
                "中心站版本较旧，本机的以下功能在此无法使用：warning、kinds_filter。请联系管理员升级中心站"
            ]
        );
        assert_eq!(
            version_notices(&skipped, &[], Language::En),
            ["3 changes need a newer version to be shown · a new version is available"]
        );
    }

    #[test]
    fn sync_status_says_when_and_how_far_behind() {
        let now = Timestamp::parse_rfc3339("2026-11-27T10:30:00Z").unwrap();
        let at = now.plus_ms(-MINUTE_MS);
        let cases = [
            (None, "尚未同步", "Not synced yet"),
            (
                Some(SyncProgress { at, behind: 0 }),
                "最近同步 18:29:00",
                "Last sync 18:29:00",
            ),
            (
                Some(SyncProgress { at, behind: 120 }),
                "最近同步 18:29:00 · 正在追赶 120 条变更",
                "Last sync 18:29:00 · 120 changes behind",
            ),
        ];
        for (sync, zh, en) in cases {
            assert_eq!(sync_status(sync, now, Language::Zh), zh);
            assert_eq!(sync_status(sync, now, Language::En), en);
        }
    }
}
