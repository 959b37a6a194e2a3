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
    let rows = alarm_rows(&alarm(), &people, &[SMS], None, NOW);
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
    assert!(alarm_rows(&alarm(), &people, &["wecom"], None, NOW).is_empty());
}

#[test]
fn an_alarm_goes_in_its_template_to_each_on_call_follower_besides_the_sms() {
    let follower = |mut r: Recipient, openid: &str| {
        r.draft.wechat_openid = Some(openid.into());
        r
    };
    let people = [
        follower(staff(1, Some("13800000001"), true), "oStaff1"),
        follower(staff(2, None, true), "oStaff2"),
        staff(3, Some("13800000003"), true),
        follower(staff(4, None, false), "oStaff4"),
    ];
    let keys = |kinds: &[&str], template| -> Vec<String> {
        alarm_rows(&alarm(), &people, kinds, template, NOW)
            .into_iter()
            .map(|r| r.idem_key)
            .collect()
    };
    let key = |rest: &str| format!("alarm:suggestion:rainstorm:yellow:2026-11-26:{rest}");
    let both = [SMS, WECHAT];
    let table: [(&[&str], Option<&str>, Vec<String>); 4] = [
        (
            &both,
            Some("tpl-alarm"),
            vec![key("1:sms"), key("1:wechat"), key("2:wechat"), key("3:sms")],
        ),
        // No alarm template, or no template channel running: SMS only.
        (&both, None, vec![key("1:sms"), key("3:sms")]),
        (&[SMS], Some("tpl-alarm"), vec![key("1:sms"), key("3:sms")]),
        (
            &[WECHAT],
            Some("tpl-alarm"),
            vec![key("1:wechat"), key("2:wechat")],
        ),
    ];
    for (kinds, template, want) in table {
        assert_eq!(keys(kinds, template), want, "{kinds:?} {template:?}");
    }
    let rows = alarm_rows(&alarm(), &people, &both, Some("tpl-alarm"), NOW);
    let sent: TemplatePayload = serde_json::from_str(&rows[1].payload).unwrap();
    assert_eq!(sent, alarm_template(&alarm(), "tpl-alarm", "oStaff1"));
    assert_eq!(
        (sent.openid.as_str(), sent.template_id.as_str()),
        ("oStaff1", "tpl-alarm")
    );
    assert_eq!(sent.data["thing1"], "值班提醒");
    assert_eq!(sent.data["time2"], "2026年11月27日 18:00");
}

#[test]
fn an_alarms_gist_fits_a_template_thing() {
    let table = [
        ("【清流县气象台】值班提醒", "值班提醒"),
        ("值班提醒：测试", "值班提醒：测试"),
        (
            "【清流县气象台】值班提醒：龙津镇观测已达暴雨黄色预警信号标准。请研判是否发布预警。",
            "值班提醒：龙津镇观测已达暴雨黄色预警信…",
        ),
        ("【未闭合的署名", "【未闭合的署名"),
        ("", ""),
    ];
    for (text, want) in table {
        let got = gist(text);
        assert_eq!(got, want, "{text}");
        assert!(got.chars().count() <= 20);
    }
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
            Some(
                "nobody on call on 2026-11-26 can be reached (no number or followed account, \
                 or no channel for them)",
            ),
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
