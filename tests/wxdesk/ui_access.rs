//! Who is at the desk, as a new user meets it: the first start with the administrator's
//! one-time password, the login and password screens, and what each role is offered — a
//! technician no user management, a leader nothing that changes anything, an administrator the
//! user list — in both languages, with the bundled font.

use egui::accesskit::Role as A11y;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wxdesk::console::app::App;
use wxdesk::console::backend::{BackendEnds, Link};
use wxdesk::console::messages::{
    AdminCommand, AdminEvent, AuditCommand, AuditEvent, AuditSearch, AuthCommand, AuthEvent,
    Command, Event, LoginFailure, SessionView, SyncEvent, Trouble,
};
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::{fonts, i18n};
use wxdesk::domain::access::{Role, Secret};
use wxdesk::domain::audit::{AuditAction, AuditDetail, AuditRecord, Outcome, chain};
use wxdesk::domain::time::{MINUTE_MS, ManualClock, SharedClock};

use crate::support::{afternoon, session_view};

const OTP: &str = "k7mq-3hxr-9tdw-p4ne";

struct Desk {
    harness: Harness<'static, App>,
    backend: BackendEnds,
}

impl Desk {
    fn new(language: Language, first_admin: Option<Secret>) -> Self {
        let (link, backend) = Link::pair();
        let clock: SharedClock = ManualClock::new(afternoon());
        let harness = Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .with_context_setup(fonts::install)
            .build_eframe(move |cc| {
                App::new(cc, link, clock, language).with_first_admin(first_admin)
            });
        Self { harness, backend }
    }

    /// A desk where `role` is signed in (confirmed by the central unless `offline`).
    fn signed_in(language: Language, role: Role, offline: bool) -> Self {
        let mut desk = Self::new(language, None);
        let view = session_view(role);
        desk.send(if offline {
            Event::Auth(AuthEvent::Ready {
                last_username: None,
                workstation: "值班台-1".into(),
                remembered: Some(view),
            })
        } else {
            Event::Auth(AuthEvent::SignedIn(view))
        });
        desk.run();
        desk
    }

    fn send(&mut self, event: Event) {
        self.backend.events.try_send(event).unwrap();
    }

    fn run(&mut self) {
        self.harness.run();
    }

    fn text(&self) -> &'static i18n::Strings {
        self.harness.state().view().text()
    }

    /// Focuses the text field `label` (of accessibility role `role`) and types `text` into it.
    fn type_into(&mut self, role: A11y, label: &str, text: &str) {
        self.harness.get_by_role_and_label(role, label).focus();
        self.run();
        self.harness
            .get_by_role_and_label(role, label)
            .type_text(text);
        self.run();
    }

    fn commands(&mut self) -> Vec<Command> {
        std::iter::from_fn(|| self.backend.commands.try_recv().ok()).collect()
    }

    /// Opens the user menu: the button with the user's name and role, or the name alone where
    /// the top bar is compact (English at 1280 px).
    fn open_menu(&mut self, view: &SessionView, language: Language) {
        let name = &view.account.display_name;
        let full = format!(
            "{name} · {} ▼",
            i18n::role_name(language, view.account.role)
        );
        match self.harness.query_by_label(&full) {
            Some(button) => button.click(),
            None => self.harness.get_by_label(&format!("{name} ▼")).click(),
        }
        self.run();
    }
}

fn ready(workstation: &str) -> Event {
    Event::Auth(AuthEvent::Ready {
        last_username: None,
        workstation: workstation.into(),
        remembered: None,
    })
}

#[test]
fn the_first_start_shows_the_one_time_password_and_how_to_log_in() {
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::new(language, Some(Secret::new(OTP)));
        desk.run();
        desk.harness.get_by_label(desk.text().starting);
        desk.send(ready("qxj-desk-1"));
        desk.run();
        let text = desk.text();
        desk.harness.get_by_label(text.first_start_title);
        desk.harness.get_by_label(OTP);
        desk.harness.get_by_label("admin");
        desk.harness
            .get_by_label(&format!("⚠ {}", text.first_start_once));
        desk.harness.get_by_label(text.first_start_next);
        desk.harness.get_by_label(text.first_start_go).click();
        desk.run();
        assert!(
            desk.harness
                .query_by_label(text.first_start_title)
                .is_none(),
            "shown once"
        );
        desk.harness.get_by_label(text.login_title);
        desk.harness.get_by_label(text.login_button).click();
        desk.run();
        assert_eq!(
            desk.commands(),
            [Command::Auth(AuthCommand::LogIn {
                username: "admin".into(),
                password: Secret::new(OTP),
                workstation: "qxj-desk-1".into(),
            })]
        );
        desk.harness.get_by_label(text.login_busy);
    }
}

#[test]
fn the_login_screen_says_why_and_remembers_the_last_user() {
    let mut desk = Desk::new(Language::Zh, None);
    desk.send(Event::Auth(AuthEvent::Ready {
        last_username: Some("zhangwei".into()),
        workstation: "值班台-1".into(),
        remembered: None,
    }));
    // The central's reason arrives as its code, and is said in Chinese.
    desk.send(Event::Auth(AuthEvent::SignedOut(Some(Trouble::refused(
        "session_ended",
    )))));
    desk.run();
    let text = desk.text();
    assert!(
        desk.harness
            .query_by_label(text.first_start_title)
            .is_none(),
        "no dialog without a password"
    );
    desk.harness
        .get_by_label_contains("会话已结束，请重新登录：会话已过期、已退出或被撤销");
    assert!(desk.harness.query_by_label_contains("log in").is_none());
    let user = desk
        .harness
        .get_by_role_and_label(A11y::TextInput, text.login_username);
    assert_eq!(user.value().as_deref(), Some("zhangwei"));
    desk.type_into(A11y::PasswordInput, text.login_password, "wrong");
    desk.harness.get_by_label(text.login_button).click();
    desk.run();
    assert!(matches!(
        desk.commands()[..],
        [Command::Auth(AuthCommand::LogIn { .. })]
    ));
    desk.send(Event::Auth(AuthEvent::LoginFailed(
        LoginFailure::WrongCredentials,
    )));
    desk.run();
    desk.harness
        .get_by_label_contains("⚠ 用户名或密码错误（连续 5 次错误将锁定账户 15 分钟）");
    desk.send(Event::Auth(AuthEvent::LoginFailed(LoginFailure::Locked)));
    desk.run();
    desk.harness
        .get_by_label_contains("账户已暂时锁定（最长 15 分钟）；系统管理员重置密码可立即解锁");
}

#[test]
fn a_one_time_password_must_be_replaced_before_the_console_opens() {
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::new(language, None);
        let mut view = session_view(Role::Supervisor);
        view.account.must_change_password = true;
        desk.send(Event::Auth(AuthEvent::SignedIn(view.clone())));
        desk.run();
        let text = desk.text();
        desk.harness.get_by_label(text.password_title);
        assert!(
            desk.harness.query_by_label(text.stations).is_none(),
            "no console yet"
        );
        for (label, value) in [
            (text.password_current, OTP),
            (text.password_new, "清流县值班 2026"),
            (text.password_repeat, "清流县值班 202"),
        ] {
            desk.type_into(A11y::PasswordInput, label, value);
        }
        desk.harness.get_by_label(text.password_save).click();
        desk.run();
        desk.harness
            .get_by_label(&format!("⚠ {}", text.password_mismatch));
        assert!(
            desk.commands().is_empty(),
            "a mismatch never leaves the desk"
        );

        desk.type_into(A11y::PasswordInput, text.password_repeat, "6");
        desk.harness.get_by_label(text.password_save).click();
        desk.run();
        let commands = desk.commands();
        assert!(
            matches!(&commands[..], [Command::Auth(AuthCommand::ChangePassword { current, new })]
                if current.expose() == OTP && new.expose() == "清流县值班 2026"),
            "{commands:?}"
        );
        view.account.must_change_password = false;
        desk.send(Event::Auth(AuthEvent::PasswordChanged(view)));
        desk.run();
        desk.harness.get_by_label(text.stations);
    }
}

#[test]
fn the_forecasters_menu_lists_warnings_and_frost_fans_as_things_to_do_and_relays_offered() {
    use wxdesk::domain::access::Capability;
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::signed_in(language, Role::DutyForecaster, false);
        desk.open_menu(&session_view(Role::DutyForecaster), language);
        let text = desk.text();
        // The forecaster may switch frost fans on a frost night: the relays panel offers it.
        let frost = i18n::capability_name(language, Capability::SwitchAntiFrost);
        assert!(desk.harness.query_by_label(&format!("○ {frost}")).is_none());
        for capability in [
            Capability::Read,
            Capability::DraftWarning,
            Capability::DispatchWarning,
            Capability::SwitchAntiFrost,
        ] {
            let name = i18n::capability_name(language, capability);
            desk.harness.get_by_label(&format!("√ {name}"));
        }

        let mut desk = Desk::signed_in(language, Role::Technician, false);
        desk.open_menu(&session_view(Role::Technician), language);
        desk.harness.get_by_label(text.my_coming);
        let name = i18n::capability_name(language, Capability::ManageDevices);
        assert!(
            desk.harness.query_by_label(&format!("√ {name}")).is_none(),
            "{language:?}: {name} is not something to do yet"
        );
        desk.harness.get_by_label(&format!("○ {name}"));
        for capability in [Capability::CommandRelays, Capability::SwitchShade] {
            let name = i18n::capability_name(language, capability);
            desk.harness.get_by_label(&format!("√ {name}"));
        }
    }
}

#[test]
fn the_administrators_menu_lists_managing_recipients_as_something_to_do_not_coming() {
    use wxdesk::domain::access::Capability;
    // The recipients window (预警接收人) ships: the capability is offered, not announced.
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::signed_in(language, Role::Administrator, false);
        desk.open_menu(&session_view(Role::Administrator), language);
        let name = i18n::capability_name(language, Capability::ManageRecipients);
        desk.harness.get_by_label(&format!("√ {name}"));
        assert!(
            desk.harness.query_by_label(&format!("○ {name}")).is_none(),
            "{language:?}: {name} is not coming, it is here"
        );
    }
}

#[test]
fn a_technician_sees_no_user_management_and_is_told_why() {
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::signed_in(language, Role::Technician, false);
        desk.open_menu(&session_view(Role::Technician), language);
        let text = desk.text();
        assert!(desk.harness.query_by_label(text.admin_button).is_none());
        assert!(desk.harness.query_by_label(text.audit_button).is_none());
        let manage =
            i18n::capability_name(language, wxdesk::domain::access::Capability::ManageUsers);
        desk.harness.get_by_label_contains(&format!(
            "× {manage} — {}",
            i18n::needs_role(language, &[Role::Administrator])
        ));
        // Relays are the technician's, and the relays panel ships: "may", not coming.
        desk.harness.get_by_label_contains(&format!(
            "√ {}",
            i18n::capability_name(language, wxdesk::domain::access::Capability::CommandRelays)
        ));
        desk.harness.get_by_label(text.logout).click();
        desk.run();
        assert_eq!(desk.commands(), [Command::Auth(AuthCommand::LogOut)]);
    }
}

#[test]
fn a_leader_reads_the_audit_log_and_finds_nothing_that_changes_anything() {
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::signed_in(language, Role::Leader, false);
        desk.open_menu(&session_view(Role::Leader), language);
        let text = desk.text();
        assert!(desk.harness.query_by_label(text.admin_button).is_none());
        let may: Vec<String> = desk
            .harness
            .query_all_by_label_contains("√ ")
            .map(|n| n.accesskit_node().label().unwrap_or_default())
            .collect();
        assert_eq!(may.len(), 2, "read and read the audit log: {may:?}");
        desk.harness.get_by_label(text.audit_button).click();
        desk.run();
        let search = AuditSearch::default();
        assert_eq!(
            desk.commands(),
            [Command::Audit(AuditCommand::Load {
                search: search.clone(),
                before: None
            })]
        );
        let mut entries = Vec::new();
        let from = Some("10.35.1.21".to_owned());
        let session = AuditDetail::SessionStarted {
            until: afternoon().plus_ms(12 * 60 * MINUTE_MS),
            one_time_password: false,
            from: from.clone(),
        };
        let refused = AuditDetail::RequiresCapability {
            capability: "manage_users".into(),
            role: "technician".into(),
        };
        for (i, (actor, action, outcome, detail)) in [
            (
                "user:zhangwei",
                AuditAction::Login,
                Outcome::Ok,
                session.clone(),
            ),
            (
                "unknown:root",
                AuditAction::Login,
                Outcome::Failed,
                AuditDetail::NoSuchUser { from },
            ),
            (
                "user:chenjie",
                AuditAction::AccessDenied,
                Outcome::Denied,
                refused.clone(),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let record = AuditRecord::new(
                afternoon().plus_ms(i as i64 * MINUTE_MS),
                actor,
                "值班台-1",
                action,
                outcome,
            )
            .detail(&detail);
            let prev = entries
                .last()
                .map(|e: &wxdesk::domain::audit::AuditEntry| (e.seq, e.hash));
            entries.push(chain(prev, record, None));
        }
        entries.reverse();
        desk.send(Event::Audit(AuditEvent::Page {
            search: search.clone(),
            before: None,
            entries,
            next_before: Some(1),
        }));
        desk.run();
        desk.harness.get_by_label(text.audit_title);
        desk.harness.get_by_label("unknown:root");
        desk.harness
            .get_by_label(&i18n::action_name(language, "access_denied"));
        // Details are data, said in the desk's language and in Beijing time.
        for detail in [&session, &refused] {
            desk.harness
                .get_by_label(&i18n::audit_detail(language, &detail.to_stored()));
        }
        // Nothing in reach changes anything: the only actions are searching, paging, exporting.
        for label in [
            text.admin_reset,
            text.admin_disable,
            text.admin_create,
            text.admin_button,
        ] {
            assert!(desk.harness.query_by_label(label).is_none(), "{label}");
        }
        desk.harness.get_by_label(text.audit_older).click();
        desk.run();
        desk.harness.get_by_label(text.audit_export).click();
        desk.run();
        let commands = desk.commands();
        assert_eq!(
            commands,
            [
                Command::Audit(AuditCommand::Load {
                    search: search.clone(),
                    before: Some(1)
                }),
                Command::Audit(AuditCommand::Export(search)),
            ]
        );
        desk.send(Event::Audit(AuditEvent::Exported {
            path: "/home/wangjun/文档/wxdesk-audit-20261127-143000.csv".into(),
            entries: 3,
        }));
        desk.run();
        desk.harness
            .get_by_label_contains("wxdesk-audit-20261127-143000.csv");
    }
}

#[test]
fn an_administrator_manages_users_and_reads_each_new_password_once() {
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::signed_in(language, Role::Administrator, false);
        desk.open_menu(&session_view(Role::Administrator), language);
        let text = desk.text();
        desk.harness.get_by_label(text.admin_button).click();
        desk.run();
        assert_eq!(desk.commands(), [Command::Admin(AdminCommand::Refresh)]);
        desk.harness.get_by_label(text.loading);
        let admin = session_view(Role::Administrator).account;
        let mut leader = session_view(Role::Leader).account;
        leader.locked_until = Some(afternoon().plus_ms(10 * MINUTE_MS));
        desk.send(Event::Admin(AdminEvent::Users(vec![admin, leader.clone()])));
        desk.run();
        desk.harness.get_by_label(text.admin_status_locked);
        // Resetting takes a second click.
        let resets: Vec<_> = desk.harness.query_all_by_label(text.admin_reset).collect();
        assert_eq!(resets.len(), 2);
        resets[1].click();
        desk.run();
        assert!(desk.commands().is_empty());
        desk.harness.get_by_label(text.admin_confirm).click();
        desk.run();
        assert_eq!(
            desk.commands(),
            [Command::Admin(AdminCommand::ResetPassword {
                username: "wangjun".into()
            })]
        );
        desk.send(Event::Admin(AdminEvent::PasswordIssued {
            account: leader,
            password: Secret::new(OTP),
            created: false,
        }));
        desk.run();
        desk.harness.get_by_label(text.admin_issued_reset);
        desk.harness.get_by_label(OTP);
        desk.harness.get_by_label(text.admin_issued_done).click();
        desk.run();
        assert!(desk.harness.query_by_label(OTP).is_none(), "shown once");

        // A new user.
        desk.type_into(A11y::TextInput, text.admin_col_user, "chenjie");
        desk.type_into(A11y::TextInput, text.admin_display_name, "陈杰");
        desk.harness.get_by_label(text.admin_create).click();
        desk.run();
        assert_eq!(
            desk.commands(),
            [Command::Admin(AdminCommand::CreateUser {
                username: "chenjie".into(),
                display_name: "陈杰".into(),
                role: Role::DutyForecaster,
            })]
        );
        // One's own account cannot be disabled from here.
        let disables: Vec<_> = desk
            .harness
            .query_all_by_label(text.admin_disable)
            .collect();
        assert!(
            disables[0].accesskit_node().is_disabled(),
            "admin's own row"
        );
        assert!(!disables[1].accesskit_node().is_disabled());
    }
}

#[test]
fn offline_a_remembered_session_is_read_only_and_says_so() {
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::signed_in(language, Role::Administrator, true);
        let text = desk.text();
        desk.harness.get_by_label(text.unconfirmed_badge);
        desk.harness.get_by_label(text.stations);
        desk.open_menu(&session_view(Role::Administrator), language);
        assert!(
            desk.harness
                .get_by_label(text.admin_button)
                .accesskit_node()
                .is_disabled()
        );
        assert!(
            desk.harness
                .get_by_label(text.password_change)
                .accesskit_node()
                .is_disabled()
        );
        desk.harness.get_by_label(text.admin_button).hover();
        desk.run();
        desk.harness.get_by_label(text.needs_central);
        // Once the central confirms, the gate opens.
        desk.send(Event::Auth(AuthEvent::Confirmed(session_view(
            Role::Administrator,
        ))));
        desk.run();
        assert!(
            desk.harness
                .query_by_label(text.unconfirmed_badge)
                .is_none()
        );
    }
}

#[test]
fn nobody_remembered_and_no_first_start_means_a_plain_login_screen() {
    let mut desk = Desk::new(Language::En, None);
    desk.send(ready("desk-7"));
    desk.run();
    let text = desk.text();
    desk.harness.get_by_label(text.login_title);
    desk.harness.get_by_label(text.login_help);
    let station = desk
        .harness
        .get_by_role_and_label(A11y::TextInput, text.login_workstation);
    assert_eq!(station.value().as_deref(), Some("desk-7"));
}

/// A central whose audit head went backwards is said plainly to those who may read the audit
/// log — in the user menu, whose title is marked, and atop the audit window — and not to others.
#[test]
fn readers_of_the_audit_log_are_told_when_the_central_s_audit_head_went_backwards() {
    use wxdesk::domain::audit::{ChainHash, HeadRegression};
    let regression = HeadRegression {
        seen: (40, ChainHash([7; 32])),
        now: Some((31, ChainHash([8; 32]))),
    };
    for language in [Language::Zh, Language::En] {
        let warning = i18n::audit_regressed(language, &regression);
        for (role, told) in [(Role::Supervisor, true), (Role::DutyForecaster, false)] {
            let mut desk = Desk::signed_in(language, role, false);
            desk.send(Event::Sync(SyncEvent::AuditHeadRegressed(regression)));
            desk.run();
            let view = session_view(role);
            // The full title, or the compact one a narrow top bar shows.
            let name = &view.account.display_name;
            let titles = [
                format!("⚠ {name} · {} ▼", i18n::role_name(language, role)),
                format!("⚠ {name} ▼"),
            ];
            let title = titles
                .iter()
                .find(|t| desk.harness.query_by_label(t).is_some());
            assert_eq!(title.is_some(), told, "{role}");
            if !told {
                desk.open_menu(&view, language);
                assert!(desk.harness.query_by_label(&warning).is_none(), "{role}");
                continue;
            }
            let Some(title) = title else { continue };
            desk.harness.get_by_label(title).click();
            desk.run();
            desk.harness.get_by_label(&warning);
            desk.harness.get_by_label(desk.text().audit_button).click();
            desk.run();
            assert!(
                desk.harness.query_all_by_label(&warning).count() >= 1,
                "atop the audit window too"
            );
        }
    }
}
