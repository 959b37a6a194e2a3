//! The 叫应 board as the duty forecaster meets it: opened from a warning in force, it asks the
//! central for the board; when the feed says a township leader's line changed it asks again
//! and shows his SMS reply closing it (已应 1/2); an unanswered line that escalates shows
//! amber at the duty desk and rings the alarm; a number is revealed only through the audited
//! request; the roster reminder shows until the list is confirmed.

use std::sync::Arc;

use egui::accesskit::Role as A11y;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use wxdesk::console::app::App;
use wxdesk::console::backend::BackendEnds;
use wxdesk::console::messages::warnings::{
    CalloutBoard, CalloutChange, CalloutLine, LineState, RevealedNumber, RosterConfirmation,
};
use wxdesk::console::messages::{
    AuthEvent, Command, Event, SyncEvent, WarningCommand, WarningEvent,
};
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::warnings::text::ZH;
use wxdesk::domain::access::Role;
use wxdesk::domain::callout::{AnswerHow, LineStep, RosterStatus, Stage};
use wxdesk::domain::recipients::Duty;
use wxdesk::domain::time::{MINUTE_MS, ManualClock};
use wxdesk::domain::warning::approval::{DraftState, SignOff};
use wxdesk::domain::warning::{Action, Level};
use wxdesk::domain::{Timestamp, TownshipCode};
use wxdesk::protocol::warnings::{WarningContent, WarningRecord};

use crate::support::{afternoon, console_harness, network, session_view};

const LONGJIN: u32 = 350423100;
const SONGXI: u32 = 350423101;

struct Desk {
    harness: Harness<'static, App>,
    backend: BackendEnds,
    _clock: Arc<ManualClock>,
}

impl Desk {
    fn signed_in(role: Role) -> Self {
        let (harness, backend, clock) = console_harness(Language::Zh);
        let mut desk = Self {
            harness,
            backend,
            _clock: clock,
        };
        desk.send(Event::Auth(AuthEvent::SignedIn(session_view(role))));
        desk.send(Event::Sync(SyncEvent::NetworkLoaded(network())));
        desk.send(Event::Warnings(WarningEvent::RecordsChanged(
            vec![orange()],
        )));
        desk.harness.run();
        desk
    }

    fn send(&mut self, event: Event) {
        self.backend.events.try_send(event).unwrap();
    }

    fn tell(&mut self, event: WarningEvent) {
        self.send(Event::Warnings(event));
        self.harness.run();
    }

    fn commands(&mut self) -> Vec<Command> {
        std::iter::from_fn(|| self.backend.commands.try_recv().ok()).collect()
    }

    fn asked_for_board(&mut self) -> usize {
        self.commands()
            .iter()
            .filter(
                |c| matches!(c, Command::Warnings(WarningCommand::LoadCallout(id)) if id == "w7"),
            )
            .count()
    }

    fn shows(&self, label: &str) -> bool {
        self.harness
            .query_all_by_label_contains(label)
            .next()
            .is_some()
    }

    /// Opens the warnings screen and the 叫应 board of w7.
    fn open_board(&mut self) {
        self.harness.get_by_label(ZH.screen_warnings).click();
        self.harness.run();
        self.harness.get_by_label("叫应").click();
        self.harness.run();
    }
}

/// 暴雨橙色 w7 over Longjin and Songxi, released this afternoon.
fn orange() -> WarningRecord {
    let content = WarningContent {
        action: Action::Issue,
        follows: None,
        signal: "rainstorm".into(),
        level: Level::Orange,
        area: [LONGJIN, SONGXI].iter().map(u32::to_string).collect(),
        enlarge_confirmed: false,
        issued_at: afternoon(),
        expires_at: Some(afternoon().plus_ms(6 * 60 * MINUTE_MS)),
        texts: Default::default(),
        template_fields: Default::default(),
        recipient_groups: Default::default(),
        practice: false,
    };
    WarningRecord {
        id: "w7".into(),
        pin: content.pin(),
        state: DraftState::Sent(SignOff {
            by: "lina".into(),
            pin: content.pin(),
            alone: false,
        }),
        content,
        drafter: "zhangwei".into(),
        steps: Vec::new(),
        cap_identifier: None,
        released_at: Some(afternoon()),
        replaced_by: None,
    }
}

fn line(id: i64, town: u32, duty: Duty, name: &str, phone: &str) -> CalloutLine {
    CalloutLine {
        change: CalloutChange {
            warning: "w7".into(),
            line: id,
            recipient: id as u64 + 10,
            duty,
            township: Some(TownshipCode(town)),
            state: LineState::Open,
            how: None,
            called_at: afternoon(),
            answered_at: None,
            stage: Stage::None,
            escalated_at: None,
        },
        name: Some(name.into()),
        phone: Some(phone.into()),
        answered_by: None,
        said: None,
    }
}

fn board(lines: Vec<CalloutLine>) -> Box<CalloutBoard> {
    let answered = lines
        .iter()
        .filter(|l| l.change.state == LineState::Answered)
        .count();
    Box::new(CalloutBoard {
        warning: "w7".into(),
        code: Some("0007".into()),
        required: true,
        escalate_desk_minutes: 10,
        escalate_supervisor_minutes: 20,
        lines,
        answered,
        calls: Vec::new(),
    })
}

fn step(line: i64, stage: Stage, answered: bool) -> WarningEvent {
    WarningEvent::CalloutChanged(vec![LineStep {
        warning: "w7".into(),
        line,
        stage,
        answered,
    }])
}

#[test]
fn a_township_leaders_sms_reply_closes_his_line_on_the_board() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    desk.open_board();
    assert_eq!(desk.asked_for_board(), 1, "opening the board asks for it");
    let wang = line(1, SONGXI, Duty::Head, "王镇长", "138****0003");
    let lin = line(2, LONGJIN, Duty::PartySecretary, "林书记", "138****0001");
    desk.tell(WarningEvent::CalloutLoaded(board(vec![
        wang.clone(),
        lin.clone(),
    ])));
    assert!(desk.shows("已应 0/2"));
    assert!(desk.shows("王镇长") && desk.shows("嵩溪"));
    assert!(desk.shows("138****0003"), "masked");
    // The feed: Wang's line changed. The board asks again, and shows his reply.
    desk.tell(step(1, Stage::None, true));
    assert_eq!(
        desk.asked_for_board(),
        1,
        "a change asks for the board once"
    );
    let mut answered = wang;
    answered.change.state = LineState::Answered;
    answered.change.how = Some(AnswerHow::SmsReply);
    answered.change.answered_at = Some(afternoon().plus_ms(3 * MINUTE_MS));
    answered.answered_by = Some("王镇长".into());
    desk.tell(WarningEvent::CalloutLoaded(board(vec![answered, lin])));
    assert!(desk.shows("已应 1/2"));
    assert!(
        desk.shows("已应 14:33 · 短信回复"),
        "answered at 14:33 Beijing time by SMS"
    );
    assert!(desk.shows("未应"), "Lin still waits");
    assert_eq!(desk.asked_for_board(), 0, "nothing asked once current");
}

#[test]
fn an_unanswered_line_shows_escalated_and_rings() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    desk.open_board();
    let mut lin = line(2, LONGJIN, Duty::PartySecretary, "林书记", "138****0001");
    desk.tell(WarningEvent::CalloutLoaded(board(vec![lin.clone()])));
    assert_eq!(desk.harness.state().alarm().rings(), 0);
    desk.tell(step(2, Stage::Desk, false));
    assert_eq!(
        desk.harness.state().alarm().rings(),
        1,
        "an escalation rings"
    );
    lin.change.stage = Stage::Desk;
    lin.change.escalated_at = Some(afternoon().plus_ms(10 * MINUTE_MS));
    desk.tell(WarningEvent::CalloutLoaded(board(vec![lin])));
    assert!(desk.shows("已转值班台"), "the desk stage is shown");
    // The forecaster reveals the number: only through the audited request.
    desk.commands();
    desk.harness.get_by_label("显示号码").click();
    desk.harness.run();
    let asked = desk.commands();
    assert!(
        asked.iter().any(|c| matches!(
            c,
            Command::Warnings(WarningCommand::RevealCalloutNumber { warning, line: 2 })
                if warning == "w7"
        )),
        "{asked:?}"
    );
    desk.tell(WarningEvent::CalloutNumberShown(RevealedNumber {
        line: 2,
        phone: Some("13800000001".into()),
    }));
    assert!(desk.shows("13800000001"));
}

#[test]
fn the_roster_reminder_shows_until_the_list_is_confirmed() {
    let mut desk = Desk::signed_in(Role::Supervisor);
    desk.harness.get_by_label(ZH.screen_warnings).click();
    desk.harness.run();
    desk.tell(WarningEvent::Roster(RosterConfirmation {
        status: RosterStatus::Due,
        confirmed_at: None,
        confirmed_by: None,
    }));
    assert!(desk.shows("4 月 20 日前确认"));
    desk.harness.get_by_label("确认名单").click();
    desk.harness.run();
    assert!(
        desk.commands()
            .contains(&Command::Warnings(WarningCommand::ConfirmRoster))
    );
    desk.tell(WarningEvent::Roster(RosterConfirmation {
        status: RosterStatus::Confirmed,
        confirmed_at: Some(Timestamp(0)),
        confirmed_by: Some("user:supervisor".into()),
    }));
    assert!(!desk.shows("4 月 20 日前确认"));
}

#[test]
fn a_phone_call_is_logged_on_the_line_chosen_and_names_its_person() {
    let mut desk = Desk::signed_in(Role::DutyForecaster);
    desk.open_board();
    let wang = line(1, SONGXI, Duty::Head, "王镇长", "138****0003");
    let mut zhang = line(2, LONGJIN, Duty::Head, "张县长", "138****0004");
    zhang.change.township = None; // county-level: the county's head, not a township's
    desk.tell(WarningEvent::CalloutLoaded(board(vec![wang, zhang])));
    assert!(desk.shows("县长"), "a county-level head reads 县长");
    assert!(desk.shows("乡镇长"), "a township's head reads 乡镇长");
    // The second line's button: the form must say whose line it is, and log on that one.
    desk.harness
        .query_all_by_label("记录电话")
        .nth(1)
        .expect("a call button per open line")
        .click();
    desk.harness.run();
    assert!(
        desk.shows("记录电话叫应： 张县长"),
        "the form names whose line"
    );
    assert!(!desk.shows("记录电话叫应： 王镇长"));
    for (role, label, text) in [
        (A11y::TextInput, "接听人", "张县长本人"),
        (A11y::MultilineTextInput, "通话内容", "已收到，县应急局待命"),
    ] {
        desk.harness.get_by_role_and_label(role, label).focus();
        desk.harness.run();
        desk.harness
            .get_by_role_and_label(role, label)
            .type_text(text);
        desk.harness.run();
    }
    desk.commands();
    desk.harness.get_by_label("保存").click();
    desk.harness.run();
    let asked = desk.commands();
    let logged: Vec<_> = asked
        .iter()
        .filter_map(|c| match c {
            Command::Warnings(WarningCommand::LogCalloutCall {
                warning,
                line,
                call,
            }) => Some((
                warning.as_str(),
                *line,
                call.answerer.as_str(),
                call.answered,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(logged, [("w7", 2, "张县长本人", true)], "{asked:?}");
}
