use super::*;
use crate::domain::recipients::{Duty, Group, MobileNumber, RecipientDraft};

const NOW: Timestamp = Timestamp(1_795_773_600_000);

fn staff(id: u64, phone: Option<&str>, active: bool) -> Recipient {
    Recipient {
        id,
        version: 1,
        draft: RecipientDraft {
            name: format!("值班员{id}"),
            township: None,
            village: None,
            group: Group::BureauStaff,
            duty: Duty::BureauStaff,
            phone: phone.map(|p| MobileNumber::parse(p).unwrap()),
            wechat_openid: None,
            wecom: None,
            active,
            note: String::new(),
        },
    }
}

fn alarm() -> Alarm {
    Alarm {
        source: "suggestion".into(),
        key: "rainstorm:yellow:2026-11-26".into(),
        text: "【清流县气象台】值班提醒".into(),
        raised_at: NOW,
        fanned_at: None,
    }
}

#[test]
fn an_alarm_texts_each_reachable_on_call_person_once_keyed_by_source_key_and_person() {
    let people = [
        staff(1, Some("13800000001"), true),
        staff(2, None, true),
        staff(3, Some("13800000003"), false),
        staff(4, Some("13800000004"), true),
    ];
    let rows = alarm_rows(&alarm(), &people, &[SMS], NOW);
    let keys: Vec<&str> = rows.iter().map(|r| r.idem_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "alarm:suggestion:rainstorm:yellow:2026-11-26:1:sms",
            "alarm:suggestion:rainstorm:yellow:2026-11-26:4:sms",
        ]
    );
    let payload: SmsPayload = serde_json::from_str(&rows[0].payload).unwrap();
    assert_eq!(
        (payload.to.as_str(), payload.text.as_str()),
        ("13800000001", "【清流县气象台】值班提醒")
    );
    // No SMS gateway running: nothing to wait for ever.
    assert!(alarm_rows(&alarm(), &people, &["wecom"], NOW).is_empty());
}

#[test]
fn the_board_says_why_alarms_wait() {
    let table = [
        (0, 0, None),
        (
            1,
            0,
            Some("nobody on call on 2026-11-26: set the roster (PUT /on-call/2026-11-26)"),
        ),
        (
            1,
            2,
            Some("nobody on call on 2026-11-26 can be reached (no number, or no SMS gateway)"),
        ),
    ];
    for (waiting, on_call, want) in table {
        let done = FanOut {
            sent: 0,
            waiting,
            day: "2026-11-26".into(),
            on_call,
        };
        assert_eq!(done.why_waiting().as_deref(), want);
    }
}

#[test]
fn the_roster_day_is_beijings() {
    // 2026-11-27 15:59:59 UTC is 23:59:59 in Beijing; a second later it is the 28th.
    let before = Timestamp(1_795_795_199_000);
    assert_eq!(beijing_day(before), "2026-11-27");
    assert_eq!(beijing_day(before.plus_ms(1_000)), "2026-11-28");
}

#[test]
fn an_alarm_row_key_names_its_person_and_channel() {
    let prefix = row_prefix("suggestion", "rainstorm:yellow:2026-11-26");
    let table = [
        (
            "alarm:suggestion:rainstorm:yellow:2026-11-26:12:sms",
            Some((12, "sms")),
        ),
        ("alarm:suggestion:rainstorm:yellow:2026-11-26:x:sms", None),
        ("alarm:suggestion:rainstorm:orange:2026-11-26:12:sms", None),
        ("warning:w7:12:sms", None),
    ];
    for (key, want) in table {
        let got = handlers::keyed(&prefix, key);
        assert_eq!(got, want.map(|(r, c)| (r, c.to_owned())), "{key}");
    }
}
