use super::*;
use crate::central::warnings::rules::submit;
use crate::domain::recipients::Duty;
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::warning::Level;
use crate::domain::warning::checks::Channel;
use crate::domain::warning::lifecycle::Action;
use crate::protocol::callout::LineState;
use crate::protocol::warnings::{WarningContent, WarningStep};
use crate::store::central::warnings::WarningBook;

/// 2026-11-27 00:00 Beijing time.
const DAY: Timestamp = Timestamp(1_795_708_800_000);

fn at(minutes: i64) -> Timestamp {
    DAY.plus_ms(minutes * MINUTE_MS)
}

fn step(minute: i64, by: &str, name: &str) -> WarningStep {
    WarningStep {
        at: at(minute),
        by: by.into(),
        step: name.into(),
        comment: None,
        name: None,
    }
}

/// A record `id` of `level`, submitted at minute `s`, approved (or signed alone) by `by` at
/// `a`, released at `r` (none: not released).
fn record(
    id: &str,
    level: Level,
    practice: bool,
    steps: Vec<WarningStep>,
    released: Option<i64>,
) -> WarningRecord {
    let content = WarningContent {
        action: Action::Issue,
        follows: None,
        signal: "rainstorm".into(),
        level,
        area: ["350423100".to_owned()].into(),
        enlarge_confirmed: false,
        issued_at: DAY,
        expires_at: Some(DAY.plus_ms(6 * HOUR_MS)),
        texts: [(Channel::Sms, "【清流气象】暴雨".to_owned())].into(),
        template_fields: Default::default(),
        recipient_groups: Default::default(),
        practice,
    };
    let book = WarningBook {
        records: Vec::new(),
        next_id: id.into(),
    };
    let mut r = submit(&book, content, "zhang", DAY);
    r.steps = steps;
    r.released_at = released.map(at);
    r
}

fn row(key: &str, kind: &str, state: OutboxState) -> OutboxRow {
    OutboxRow {
        id: 1,
        idem_key: key.into(),
        kind: kind.into(),
        payload: String::new(),
        state,
        attempt: 1,
        lease_owner: None,
        lease_until: None,
        due_at: DAY,
        provider_id: None,
        last_error: None,
        resent: None,
        created_at: DAY,
        updated_at: DAY,
    }
}

fn seeded() -> (Vec<WarningRecord>, Vec<OutboxRow>) {
    let records = vec![
        // Submitted 08:00, returned, revised 08:20, approved by li 08:30, released 08:34.
        record(
            "w1",
            Level::Yellow,
            false,
            vec![
                step(480, "zhang", "submitted"),
                step(490, "li", "returned"),
                step(500, "zhang", "revised"),
                step(510, "li", "approved"),
                step(514, "zhang", "released"),
            ],
            Some(514),
        ),
        // Submitted 09:00, approved 09:20, released 09:21.
        record(
            "w2",
            Level::Orange,
            false,
            vec![
                step(540, "zhang", "submitted"),
                step(560, "li", "approved"),
                step(561, "li", "released"),
            ],
            Some(561),
        ),
        // A drill signed alone at 23:00, released at once.
        record(
            "w3",
            Level::Yellow,
            true,
            vec![
                step(1380, "zhang", "submitted"),
                step(1380, "zhang", "signed_alone"),
                step(1380, "zhang", "released"),
            ],
            Some(1380),
        ),
        // Released the next day: outside the range; and one never released.
        record(
            "w4",
            Level::Yellow,
            false,
            vec![step(1500, "zhang", "submitted")],
            Some(1500),
        ),
        record(
            "w5",
            Level::Red,
            false,
            vec![step(600, "zhang", "submitted")],
            None,
        ),
    ];
    let rows = vec![
        row("warning:w1:1:sms", "sms", OutboxState::Delivered),
        row("warning:w1:2:sms", "sms", OutboxState::Failed),
        row("warning:w1:robot:county:wecom", "wecom", OutboxState::Sent),
        row("warning:w2:1:sms", "sms", OutboxState::Delivered),
        row("warning:w2:3:sms", "sms", OutboxState::Unknown),
        row("warning:w2:1:wechat", "wechat", OutboxState::Queued),
        row("warning:w4:1:sms", "sms", OutboxState::Delivered),
        row("alarm:suggestion:x:1:sms", "sms", OutboxState::Delivered),
    ];
    (records, rows)
}

/// A 叫应 line of `warning` called at minute `called`, answered `how` at `answered`, having
/// reached `stage`.
fn line(
    warning: &str,
    called: i64,
    answer: Option<(AnswerHow, i64)>,
    stage: Stage,
) -> CalloutChange {
    CalloutChange {
        warning: warning.into(),
        line: called,
        recipient: 1,
        duty: Duty::Head,
        township: None,
        state: match answer {
            Some(_) => LineState::Answered,
            None => LineState::Open,
        },
        how: answer.map(|(how, _)| how),
        called_at: at(called),
        answered_at: answer.map(|(_, minute)| at(minute)),
        stage,
        escalated_at: None,
    }
}

/// w2's 叫应: four lines, three answered after 4, 6 and 25 minutes; and one line of w4,
/// released the next day.
fn lines() -> Vec<CalloutChange> {
    vec![
        line("w2", 561, Some((AnswerHow::SmsReply, 565)), Stage::None),
        line("w2", 561, Some((AnswerHow::Wechat, 567)), Stage::None),
        line(
            "w2",
            561,
            Some((AnswerHow::PhoneCall, 586)),
            Stage::Supervisor,
        ),
        line("w2", 561, None, Stage::Desk),
        line("w4", 1500, None, Stage::Supervisor),
    ]
}

fn report() -> ServiceReport {
    let (records, rows) = seeded();
    let range = (DAY, DAY.plus_ms(24 * HOUR_MS));
    service_report(
        &records,
        &rows,
        &lines(),
        range,
        ("2026-11-27", "2026-11-27"),
    )
}

#[test]
fn the_warnings_released_in_the_range_are_counted_by_type_and_level_practice_apart() {
    let issued: Vec<(String, String, bool, u64)> = report()
        .issued
        .into_iter()
        .map(|i| (i.signal, i.level, i.practice, i.count))
        .collect();
    let want = [
        ("orange", false, 1),
        ("yellow", false, 1),
        ("yellow", true, 1),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(l, p, c)| ("rainstorm".to_owned(), (*l).to_owned(), *p, *c))
        .collect();
    assert_eq!(issued, want);
}

#[test]
fn approvals_say_who_and_how_fast() {
    let a = report().approvals;
    assert_eq!((a.approved, a.signed_alone), (2, 1));
    // Submit → approve: 10 (w1, from its revision), 20 (w2), 0 (w3).
    assert_eq!(
        (a.submit_to_approve.median, a.submit_to_approve.max),
        (Some(10.0), Some(20.0))
    );
    // Approve → release: 4, 1, 0.
    assert_eq!(
        (a.approve_to_release.median, a.approve_to_release.max),
        (Some(1.0), Some(4.0))
    );
    let who: Vec<(&str, &str, Option<&str>)> = a
        .warnings
        .iter()
        .map(|l| (l.id.as_str(), l.drafter.as_str(), l.approver.as_deref()))
        .collect();
    assert_eq!(
        who,
        [
            ("w1", "zhang", Some("li")),
            ("w2", "zhang", Some("li")),
            ("w3", "zhang", Some("zhang"))
        ]
    );
}

#[test]
fn delivery_counts_the_released_warnings_rows_per_channel() {
    let delivery = report().delivery;
    let line = |c: &str| delivery.iter().find(|d| d.channel == c).unwrap().clone();
    let sms = line("sms");
    assert_eq!(
        (
            sms.messages,
            sms.delivered,
            sms.failed,
            sms.unknown,
            sms.accepted
        ),
        (4, 2, 1, 1, 0)
    );
    assert_eq!(sms.delivery_rate, Some(0.5));
    let wecom = line("wecom");
    assert_eq!(
        (wecom.messages, wecom.accepted, wecom.delivery_rate),
        (1, 1, Some(0.0))
    );
    assert_eq!((line("wechat").other, line("wechat").messages), (1, 1));
}

#[test]
fn callout_counts_the_released_warnings_lines_by_answer_and_stage() {
    let c = report().callout.unwrap();
    assert_eq!(
        (c.warnings, c.called, c.answered, c.unanswered),
        (1, 4, 3, 1),
        "w4's line is outside the range"
    );
    assert_eq!((c.by_sms_reply, c.by_wechat, c.by_phone), (1, 1, 1));
    assert_eq!((c.escalated_desk, c.escalated_supervisor), (1, 1));
    assert_eq!(c.completion_rate, Some(0.75));
    assert_eq!((c.response.median, c.response.max), (Some(6.0), Some(25.0)));
}

#[test]
fn callout_summary_table() {
    let answered = |minute| Some((AnswerHow::SmsReply, minute));
    // (lines, (warnings, called, answered), completion rate, median response)
    type Case = (
        Vec<CalloutChange>,
        (u64, u64, u64),
        Option<f64>,
        Option<f64>,
    );
    let table: [Case; 3] = [
        (vec![], (0, 0, 0), None, None),
        (
            vec![line("a", 0, None, Stage::Supervisor)],
            (1, 1, 0),
            Some(0.0),
            None,
        ),
        (
            vec![
                line("a", 0, answered(2), Stage::None),
                line("b", 10, answered(20), Stage::Desk),
            ],
            (2, 2, 2),
            Some(1.0),
            Some(6.0),
        ),
    ];
    for (lines, (warnings, called, answered), rate, median) in table {
        let refs: Vec<&CalloutChange> = lines.iter().collect();
        let c = callout_summary(&refs);
        assert_eq!(
            (c.warnings, c.called, c.answered),
            (warnings, called, answered)
        );
        assert_eq!((c.completion_rate, c.response.median), (rate, median));
    }
}

#[test]
fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
    let table: [(&[f64], Option<f64>, Option<f64>); 4] = [
        (&[], None, None),
        (&[3.0], Some(3.0), Some(3.0)),
        (&[4.0, 1.0], Some(2.5), Some(4.0)),
        (&[5.0, 1.0, 9.0, 2.0], Some(3.5), Some(9.0)),
    ];
    for (values, median, max) in table {
        let got = median_max(values);
        assert_eq!((got.median, got.max), (median, max), "{values:?}");
    }
}

#[test]
fn the_csv_holds_the_json_figures() {
    let text = String::from_utf8(report_csv(&report()).unwrap()).unwrap();
    for line in [
        ",rainstorm,orange,false,1",
        ",2,1,10.0,20.0,1.0,4.0",
        ",w1,rainstorm,yellow,false,zhang,li,10.0,4.0,",
        ",sms,4,2,1,1,0,0,0.500",
        ",1,4,3,1,1,1,1,1,1,0.750,6.0,25.0",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
}
