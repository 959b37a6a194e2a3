//! The warnings board as a supervisor and a duty forecaster meet it: the queue approves with
//! the pin of the content on screen, a return needs its comment, a drafter gets no approve
//! button, an approved warning is released by a role that may dispatch; a warning in force
//! shows on the top bar with its countdown and tints its townships on the map; 30 minutes
//! before it expires the desk prompts once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use egui::accesskit::Role as A11y;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wxdesk::console::app::App;
use wxdesk::console::backend::BackendEnds;
use wxdesk::console::messages::{
    AuthEvent, Command, Event, SyncEvent, WarningCommand, WarningEvent,
};
use wxdesk::console::ui::Screen;
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::warnings::icon;
use wxdesk::console::ui::warnings::text::{self, WarningsText, ZH};
use wxdesk::domain::access::Role;
use wxdesk::domain::time::{HOUR_MS, MINUTE_MS, ManualClock};
use wxdesk::domain::warning::approval::{DraftState, SignOff};
use wxdesk::domain::warning::checks::Channel;
use wxdesk::domain::warning::{Action, Level};
use wxdesk::domain::{Timestamp, TownshipCode};
use wxdesk::protocol::warnings::{UpstreamWarning, WarningContent, WarningRecord, WarningStep};

use crate::support::{afternoon, console_harness, network, session_view};

const T: &WarningsText = &ZH;

/// 龙津镇 and 灵地乡.
const AREA: [&str; 2] = ["350423100", "350423103"];

struct Desk {
    harness: Harness<'static, App>,
    backend: BackendEnds,
    clock: Arc<ManualClock>,
}

impl Desk {
    /// A desk with Qingliu's network where `role` is signed in and confirmed by the central.
    fn signed_in(role: Role) -> Self {
        let (harness, backend, clock) = console_harness(Language::Zh);
        let mut desk = Self {
            harness,
            backend,
            clock,
        };
        desk.send(Event::Auth(AuthEvent::SignedIn(session_view(role))));
        desk.send(Event::Sync(SyncEvent::NetworkLoaded(network())));
        desk.run();
        desk
    }

    fn send(&mut self, event: Event) {
        self.backend.events.try_send(event).unwrap();
    }

    fn records(&mut self, records: Vec<WarningRecord>) {
        self.send(Event::Warnings(WarningEvent::RecordsChanged(records)));
        self.run();
    }

    fn run(&mut self) {
        self.harness.run();
    }

    fn commands(&mut self) -> Vec<Command> {
        std::iter::from_fn(|| self.backend.commands.try_recv().ok()).collect()
    }

    fn open_board(&mut self) {
        self.harness.get_by_label(T.screen_warnings).click();
        self.run();
    }

    fn shows(&self, label: &str) -> bool {
        self.harness.query_by_label(label).is_some()
    }
}

/// A 暴雨黄色 issue drafted by the duty forecaster (zhangwei) over [`AREA`], issued at
/// [`afternoon`] for `hours`, standing in `state`.
fn record(id: &str, state: DraftState, hours: i64) -> WarningRecord {
    let content = WarningContent {
        action: Action::Issue,
        follows: None,
        signal: "rainstorm".into(),
        level: Level::Yellow,
        area: AREA.iter().map(|&a| a.to_owned()).collect(),
        enlarge_confirmed: false,
        issued_at: afternoon(),
        expires_at: Some(afternoon().plus_ms(hours * HOUR_MS)),
        texts: BTreeMap::from([(
            Channel::Sms,
            "【清流气象】清流县气象台2026年11月27日14时30分发布暴雨黄色预警信号：…".to_owned(),
        )]),
        template_fields: BTreeMap::new(),
        recipient_groups: BTreeSet::from(["township_cadres".to_owned()]),
        practice: false,
    };
    let released = matches!(state, DraftState::Sent(_)).then(afternoon);
    WarningRecord {
        id: id.into(),
        pin: content.pin(),
        content,
        drafter: "zhangwei".into(),
        state,
        steps: Vec::new(),
        cap_identifier: None,
        released_at: released,
        replaced_by: None,
    }
}

fn signed(by: &str, pin: &str) -> SignOff {
    SignOff {
        by: by.into(),
        pin: pin.into(),
        alone: false,
    }
}

#[test]
fn a_supervisor_approves_with_the_pin_of_the_content_on_screen() {
    let mut desk = Desk::signed_in(Role::Supervisor);
    let submitted = record("w1", DraftState::Submitted, 6);
    let pin = submitted.content.pin();
    desk.records(vec![submitted]);
    desk.open_board();
    assert!(
        desk.shows("短信"),
        "the supervisor reads the texts approved"
    );
    desk.harness.get_by_label(T.board_approve).click();
    desk.run();
    assert_eq!(
        desk.commands(),
        [Command::Warnings(WarningCommand::Approve {
            id: "w1".into(),
            pin
        })]
    );
}

#[test]
fn a_return_needs_its_comment() {
    let mut desk = Desk::signed_in(Role::Supervisor);
    desk.records(vec![record("w1", DraftState::Submitted, 6)]);
    desk.open_board();
    desk.harness.get_by_label(T.board_return).click();
    desk.run();
    desk.harness.get_by_label(T.board_return_confirm).click();
    desk.run();
    assert!(desk.commands().is_empty(), "no comment, no return");
    desk.harness
        .get_by_role_and_label(A11y::MultilineTextInput, T.board_return_hint)
        .focus();
    desk.run();
    desk.harness
        .get_by_role_and_label(A11y::MultilineTextInput, T.board_return_hint)
        .type_text("灵地乡未达标准，请缩小区域");
    desk.run();
    desk.harness.get_by_label(T.board_return_confirm).click();
    desk.run();
    assert_eq!(
        desk.commands(),
        [Command::Warnings(WarningCommand::Return {
            id: "w1".into(),
            comment: "灵地乡未达标准，请缩小区域".into()
        })]
    );
    assert!(!desk.shows(T.board_return_confirm), "the form closes");
}

#[test]
fn the_drafter_sees_no_approve_button_and_a_returned_warnings_comment() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    let returned = DraftState::Returned {
        by: "lina".into(),
        comment: "请补充雨量实况".into(),
    };
    desk.records(vec![
        record("w1", DraftState::Submitted, 6),
        record("w2", returned, 6),
    ]);
    desk.open_board();
    assert!(!desk.shows(T.board_approve));
    assert!(!desk.shows(T.board_return));
    assert!(desk.shows(T.board_waiting));
    assert!(desk.shows("退回意见（lina）：请补充雨量实况"));
    assert!(desk.commands().is_empty());
}

#[test]
fn a_supervisor_cannot_approve_their_own_draft() {
    let mut desk = Desk::signed_in(Role::Supervisor);
    let mut own = record("w1", DraftState::Submitted, 6);
    own.drafter = "lina".into();
    desk.records(vec![own]);
    desk.open_board();
    let approve = desk.harness.get_by_label(T.board_approve);
    assert!(approve.accesskit_node().is_disabled());
    approve.click();
    desk.run();
    assert!(desk.commands().is_empty());
}

#[test]
fn an_approved_warning_is_released_by_a_role_that_may_dispatch() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    let mut approved = record("w1", DraftState::Submitted, 6);
    let pin = approved.content.pin();
    approved.state = DraftState::Approved(signed("lina", &pin));
    desk.records(vec![approved.clone()]);
    desk.open_board();
    assert!(desk.shows("批准人：lina"));
    desk.harness.get_by_label(T.board_release).click();
    desk.run();
    assert_eq!(
        desk.commands(),
        [Command::Warnings(WarningCommand::Release {
            id: "w1".into(),
            pin
        })]
    );

    // A leader may not dispatch: the button is there, disabled, with the reason.
    let mut leader = Desk::signed_in(Role::Leader);
    leader.records(vec![approved]);
    leader.open_board();
    assert!(
        leader
            .harness
            .get_by_label(T.board_release)
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn the_board_names_the_drafter_and_approver_as_people_know_them() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    let mut approved = record("w1", DraftState::Submitted, 6);
    let pin = approved.content.pin();
    approved.state = DraftState::Approved(signed("lina", &pin));
    let step = |by: &str, name: &str, step: &str| WarningStep {
        at: afternoon(),
        by: by.into(),
        step: step.into(),
        comment: None,
        name: Some(name.into()),
    };
    approved.steps = vec![
        step("zhangwei", "张伟", "submitted"),
        step("lina", "李娜", "approved"),
    ];
    desk.records(vec![approved]);
    desk.open_board();
    assert!(desk.shows("起草人：张伟"), "the drafter's display name");
    assert!(desk.shows("批准人：李娜"), "the approver's display name");
    assert!(!desk.shows("起草人：zhangwei") && !desk.shows("批准人：lina"));

    // A record from before names were kept still says who: by login name.
    let mut older = Desk::signed_in(Role::DutyForecaster);
    older.records(vec![record("w2", DraftState::Submitted, 6)]);
    older.open_board();
    assert!(older.shows("起草人：zhangwei"));
}

#[test]
fn the_centrals_refusal_is_shown_plainly() {
    let mut desk = Desk::signed_in(Role::Supervisor);
    desk.records(vec![record("w1", DraftState::Submitted, 6)]);
    desk.open_board();
    desk.send(Event::Warnings(WarningEvent::Refused {
        code: "unreachable".into(),
        message: "无法连接中心站".into(),
        offline: true,
    }));
    desk.run();
    assert!(desk.shows("⚠ 未能完成：无法连接中心站"));
    assert!(desk.shows(T.board_offline));
}

#[test]
fn a_warning_in_force_shows_on_the_top_bar_and_tints_its_townships() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    let mut sent = record("w1", DraftState::Submitted, 2);
    sent.state = DraftState::Sent(signed("lina", &sent.pin));
    sent.released_at = Some(afternoon());
    let mut orange = sent.clone();
    orange.id = "w2".into();
    orange.content.level = Level::Orange;
    orange.content.area = BTreeSet::from(["350423103".to_owned()]);
    orange.content.expires_at = Some(afternoon().plus_ms(3 * HOUR_MS));
    desk.records(vec![sent, orange]);
    desk.clock.advance(45 * MINUTE_MS);
    desk.run();

    assert!(desk.shows("暴雨黄色 · 剩余 1小时15分"));
    assert!(desk.shows("暴雨橙色 · 剩余 2小时15分"));
    let tints = desk.harness.state().view().map.warning_tints().clone();
    let expected = BTreeMap::from([
        (TownshipCode(350_423_100), Level::Yellow),
        (TownshipCode(350_423_103), Level::Orange),
    ]);
    assert_eq!(tints, expected, "the highest level wins where two overlap");

    // The yellow one expired: off the bar and the map; the orange one stays.
    desk.clock.advance(75 * MINUTE_MS);
    desk.run();
    assert!(!desk.shows("暴雨黄色 · 剩余 1分"));
    assert_eq!(
        desk.harness.state().view().map.warning_tints().clone(),
        BTreeMap::from([(TownshipCode(350_423_103), Level::Orange)])
    );

    // A click on a warning opens the board, where it is listed in force.
    desk.harness.get_by_label("暴雨橙色 · 剩余 1小时").click();
    desk.run();
    assert_eq!(desk.harness.state().view().screen, Screen::Warnings);
    assert!(desk.shows(&format!("{} (1)", T.board_in_force)));
}

#[test]
fn upstream_warnings_get_their_own_group_on_the_top_bar() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    assert!(
        !desk.shows(T.in_force_upstream),
        "nothing upstream, no group"
    );
    desk.send(Event::Warnings(WarningEvent::Upstream(vec![
        UpstreamWarning {
            identifier: "35040041600001_20261127120000".into(),
            sender_name: "三明市气象台".into(),
            signal: Some("gale".into()),
            level: Some(Level::Blue),
            headline: "三明市气象台发布大风蓝色预警信号".into(),
            msg_type: "Alert".into(),
            sent: afternoon().plus_ms(-2 * HOUR_MS),
            expires: Some(afternoon().plus_ms(4 * HOUR_MS)),
            area_desc: "三明市".into(),
            source: "sanming.xml".into(),
        },
    ])));
    desk.run();
    assert!(desk.shows(T.in_force_upstream));
    assert!(desk.shows("三明 大风蓝色 · 有效至：18:30"));
}

#[test]
fn the_desk_prompts_thirty_minutes_before_expiry_once() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    let mut sent = record("w1", DraftState::Submitted, 3);
    sent.state = DraftState::Sent(signed("lina", &sent.pin));
    sent.released_at = Some(afternoon());
    desk.records(vec![sent]);
    let prompt = "暴雨黄色预警信号将于 17:30 到期：继续发布、解除或任其到期";
    let expires: Timestamp = afternoon().plus_ms(3 * HOUR_MS);

    desk.clock.set(expires.plus_ms(-30 * MINUTE_MS - 1));
    desk.run();
    assert!(!desk.shows(prompt));
    desk.clock.set(expires.plus_ms(-30 * MINUTE_MS));
    desk.run();
    assert!(desk.shows(prompt));

    desk.harness.get_by_label(T.prompt_dismiss).click();
    desk.run();
    assert!(!desk.shows(prompt));
    desk.clock.advance(10 * MINUTE_MS);
    desk.run();
    assert!(!desk.shows(prompt), "once per warning");
}

#[test]
fn the_drafter_may_sign_a_lift_alone_and_the_central_decides() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    let mut lift = record("w3", DraftState::Submitted, 6);
    lift.content.action = Action::Lift;
    lift.content.expires_at = None;
    let pin = lift.content.pin();
    desk.records(vec![lift, record("w1", DraftState::Submitted, 6)]);
    desk.open_board();
    // Only the lift offers it; the issue waits for a supervisor.
    desk.harness.get_by_label(T.board_sign_alone).click();
    desk.run();
    assert_eq!(
        desk.commands(),
        [Command::Warnings(WarningCommand::SignAlone {
            id: "w3".into(),
            pin
        })]
    );
    desk.send(Event::Warnings(WarningEvent::Refused {
        code: "alone_not_allowed".into(),
        message: "本局配置不允许值班预报员单独签发此项".into(),
        offline: false,
    }));
    desk.run();
    assert!(desk.shows("⚠ 未能完成：本局配置不允许值班预报员单独签发此项"));
}

#[test]
fn every_board_text_and_signal_icon_renders() {
    let catalogue = wxdesk::assets::national_signals().unwrap();
    for language in [Language::Zh, Language::En] {
        let t = text::text(language);
        let mut lines: Vec<String> = t.all().iter().map(|s| (*s).to_owned()).collect();
        for channel in [
            Channel::Sms,
            Channel::WecomMarkdown,
            Channel::Cap,
            Channel::Loudspeaker,
        ] {
            lines.push(text::channel_name(channel, language).to_owned());
        }
        let icons: Vec<(String, Level)> = catalogue
            .signals
            .iter()
            .flat_map(|s| s.levels.iter().map(|l| (s.id.clone(), l.level)))
            .collect();
        // Every type and level at the top bar's size and the lists'.
        crate::support::render_with_bundled_font(lines, move |ui| {
            for side in [20.0, 64.0] {
                ui.horizontal_wrapped(|ui| {
                    for (signal, level) in &icons {
                        icon::signal_icon_ui(ui, side, signal, *level);
                    }
                });
            }
        });
    }
}
