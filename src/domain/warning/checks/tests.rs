//! Table tests of the pre-send checks.

use super::*;

fn t(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

const NOW: &str = "2026-12-06T16:30:00+08:00";

#[test]
fn times() {
    let c = CheckConfig::default();
    let now = t(NOW);
    let table = [
        (
            Action::Issue,
            "2026-12-06T16:30:00+08:00",
            Some("2026-12-07T16:30:00+08:00"),
            vec![],
        ),
        (Action::Lift, "2026-12-06T16:30:00+08:00", None, vec![]),
        (
            Action::Issue,
            "2026-12-06T16:30:00+08:00",
            None,
            vec![Finding::MissingExpiry],
        ),
        (
            Action::Issue,
            "2026-12-06T16:30:00+08:00",
            Some("2026-12-06T16:30:00+08:00"),
            vec![Finding::ExpiryNotAfterIssue {
                issued_at: "2026-12-06T16:30:00+08:00".into(),
                expires_at: "2026-12-06T16:30:00+08:00".into(),
            }],
        ),
        (
            Action::Continue,
            "2026-12-06T16:00:00+08:00",
            Some("2026-12-06T16:20:00+08:00"),
            vec![Finding::ExpiryPassed {
                expires_at: "2026-12-06T16:20:00+08:00".into(),
            }],
        ),
        (
            Action::Issue,
            "2026-12-06T16:00:00+08:00",
            Some("2026-12-07T00:00:00+08:00"),
            vec![],
        ),
        (
            Action::Issue,
            "2026-12-06T15:59:00+08:00",
            Some("2026-12-07T00:00:00+08:00"),
            vec![Finding::IssueTooFarInPast {
                minutes: 31,
                limit_minutes: 30,
            }],
        ),
        (
            Action::Issue,
            "2026-12-07T16:31:00+08:00",
            Some("2026-12-08T00:00:00+08:00"),
            vec![Finding::IssueTooFarInFuture {
                minutes: 1441,
                limit_minutes: 1440,
            }],
        ),
    ];
    for (action, issued, expires, want) in table {
        let got = check_times(action, t(issued), expires.map(t), now, &c);
        assert_eq!(got, want, "{action:?} {issued} {expires:?}");
    }
}

#[test]
fn channel_limits_and_banned_words() {
    let mut c = CheckConfig::default();
    c.banned_words
        .insert(Channel::Sms, vec!["测试".into(), String::new()]);
    c.banned_words
        .insert(Channel::WecomText, vec!["内部".into()]);
    let sig = "【清流气象】";
    let table = [
        (Channel::Sms, format!("{sig}{}", "雨".repeat(262)), vec![]),
        (
            Channel::Sms,
            format!("{sig}{}", "雨".repeat(263)),
            vec![Finding::SmsTooLong {
                units: 269,
                parts: 5,
                max_parts: 4,
            }],
        ),
        (
            Channel::Sms,
            format!("{sig}测试"),
            vec![Finding::BannedWord {
                channel: Channel::Sms,
                word: "测试".into(),
            }],
        ),
        (Channel::WecomMarkdown, "测试".into(), vec![]),
        (Channel::WecomText, "a".repeat(2048), vec![]),
        (
            Channel::WecomText,
            "雨".repeat(683),
            vec![Finding::ChannelTooLong {
                channel: Channel::WecomText,
                bytes: 2049,
                limit: 2048,
            }],
        ),
        (Channel::WecomMarkdown, "a".repeat(4096), vec![]),
        (
            Channel::WecomMarkdown,
            "a".repeat(4097),
            vec![Finding::ChannelTooLong {
                channel: Channel::WecomMarkdown,
                bytes: 4097,
                limit: 4096,
            }],
        ),
        (Channel::Led, "a".repeat(9000), vec![]),
    ];
    for (channel, text, want) in table {
        assert_eq!(
            check_channel(channel, &text, &c),
            want,
            "{channel:?} {}",
            text.len()
        );
    }
}

#[test]
fn template_fields_recipients_and_observations() {
    let f = |n: &str, v: &str| (n.to_string(), v.to_string());
    assert_eq!(
        check_template_fields(&[f("type", &"暴".repeat(20))]),
        vec![]
    );
    assert_eq!(
        check_template_fields(&[f("type", "暴雨"), f("area", &"乡".repeat(21))]),
        vec![Finding::TemplateFieldTooLong {
            field: "area".into(),
            chars: 21,
            limit: 20
        }]
    );
    let g = |n: &str, c: usize| (n.to_string(), c);
    assert_eq!(check_recipients(&[]), vec![Finding::NoRecipientGroups]);
    assert_eq!(
        check_recipients(&[g("乡镇防汛", 12), g("村级信息员", 0)]),
        vec![Finding::EmptyRecipientGroup {
            group: "村级信息员".into()
        }]
    );
    let table = [
        (Level::Yellow, Observed::NotMeasured, None),
        (Level::Yellow, Observed::Supports(Some(Level::Yellow)), None),
        (Level::Yellow, Observed::Supports(Some(Level::Red)), None),
        (
            Level::Orange,
            Observed::Supports(Some(Level::Blue)),
            Some(Finding::ObservationsBelowLevel {
                drafted: Level::Orange,
                supported: Some(Level::Blue),
            }),
        ),
        (
            Level::Blue,
            Observed::Supports(None),
            Some(Finding::ObservationsBelowLevel {
                drafted: Level::Blue,
                supported: None,
            }),
        ),
    ];
    for (drafted, observed, want) in table {
        assert_eq!(
            check_observations(drafted, observed),
            want,
            "{drafted:?} {observed:?}"
        );
    }
}

#[test]
fn all_checks_together_with_codes_and_warnings_last() {
    let unfilled = vec!["forecast".to_string()];
    let texts = vec![(Channel::Sms, "【清流气象】测试".to_string())];
    let mut c = CheckConfig::default();
    c.banned_words.insert(Channel::Sms, vec!["测试".into()]);
    let out = Outgoing {
        action: Action::Issue,
        level: Level::Orange,
        unfilled: &unfilled,
        issued_at: t(NOW),
        expires_at: None,
        texts: &texts,
        template_fields: &[],
        recipient_groups: &[],
        observed: Observed::Supports(Some(Level::Yellow)),
    };
    let found = check(&out, &c, t(NOW));
    let codes: Vec<&str> = found.iter().map(Finding::code).collect();
    assert_eq!(
        codes,
        [
            "unfilled_placeholder",
            "missing_expiry",
            "banned_word",
            "no_recipient_groups",
            "observations_below_level"
        ]
    );
    for f in &found {
        assert_eq!(serde_json::to_value(f).unwrap()["code"], f.code(), "{f:?}");
    }
    assert_eq!(found.last().unwrap().severity(), Severity::Warn);
    assert!(found[..4].iter().all(|f| f.severity() == Severity::Block));
    let json = serde_json::to_value(&found[2]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"code": "banned_word", "params": {"channel": "sms", "word": "测试"}})
    );
}
