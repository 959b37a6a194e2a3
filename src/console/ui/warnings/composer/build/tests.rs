use super::*;
use crate::domain::warning::Level;

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-06T16:30:20+08:00").unwrap()
}

fn rain_yellow() -> Draft {
    let mut d = Draft::new(now());
    d.signal = Some("rainstorm".into());
    d.level = Some(Level::Yellow);
    d.townships = ["350423101", "350423106"].map(String::from).into();
    d
}

fn built(d: &Draft) -> Option<Built> {
    let catalogue = crate::assets::national_signals().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    build(
        d,
        &catalogue,
        &network,
        (None, &[]),
        (Observed::NotMeasured, None),
        now(),
    )
}

#[test]
fn nothing_to_build_until_type_and_level_are_chosen() {
    let mut d = Draft::new(now());
    assert!(built(&d).is_none());
    d.signal = Some("rainstorm".into());
    assert!(built(&d).is_none());
    d.level = Some(Level::Yellow);
    assert!(built(&d).is_some());
}

#[test]
fn the_empty_forecast_blocks_until_written() {
    let mut d = rain_yellow();
    let b = built(&d).unwrap();
    assert_eq!(
        b.findings,
        vec![Finding::UnfilledPlaceholder {
            field: "forecast".into()
        }]
    );
    assert!(b.blocked());
    assert!(b.texts[&Channel::Sms].contains("【预计未来……小时……，请注意防范。】"));
    d.forecast = "预计未来6小时嵩溪、林畲将出现50毫米以上降雨，请注意防范。".into();
    let b = built(&d).unwrap();
    assert!(!b.blocked(), "{:?}", b.findings);
    assert_eq!(
        b.texts[&Channel::Sms],
        "【清流气象】清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：预计未来6小时嵩溪、林畲将出现50毫米以上降雨，请注意防范。"
    );
    assert_eq!(b.composition.area, ["嵩溪镇", "林畲镇"]);
    assert_eq!(b.composition.guidance.len(), 2);
    let xml = b.cap.as_ref().unwrap();
    assert!(xml.contains("<status>Actual</status>"));
    assert!(xml.contains("<identifier>35042341600000_20261206163000</identifier>"));
    assert!(xml.contains("350423106"));
    assert_eq!(b.content.recipient_groups.len(), 4);
    assert_eq!(
        b.content.expires_at,
        Timestamp::parse_rfc3339("2026-12-06T22:30:00+08:00").ok()
    );
}

#[test]
fn practice_marks_every_channel_and_cap_is_an_exercise() {
    let mut d = rain_yellow();
    d.forecast = "预计……".into();
    d.practice = true;
    let b = built(&d).unwrap();
    assert!(b.content.practice);
    for channel in [
        Channel::Sms,
        Channel::WecomMarkdown,
        Channel::WecomText,
        Channel::Led,
    ] {
        assert!(b.texts[&channel].contains("【演练】"), "{channel:?}");
    }
    assert!(b.texts[&Channel::Loudspeaker].starts_with("演练"));
    assert!(b.fields[0].1.starts_with("演练"));
    assert!(b.cap.unwrap().contains("<status>Exercise</status>"));
}

/// A change to a draft, for tables.
type Change = fn(&mut Draft);

#[test]
fn blocks_and_reasons_per_choice() {
    let table: [(Change, &str); 4] = [
        (|d| d.townships.clear(), "no_recipient_groups"),
        (
            |d| d.issued_at = d.issued_at.plus_ms(-3_600_000),
            "issue_too_far_in_past",
        ),
        (|d| d.forecast = "强降水".repeat(100), "sms_too_long"),
        (|d| d.group_kinds.clear(), "no_recipient_groups"),
    ];
    for (change, code) in table {
        let mut d = rain_yellow();
        d.forecast = "预计……".into();
        change(&mut d);
        let b = built(&d).unwrap();
        assert!(
            b.findings.iter().any(|f| f.code() == code),
            "{code}: {:?}",
            b.findings
        );
        assert!(b.blocked());
    }
}

#[test]
fn a_follow_up_needs_the_released_record_for_its_cap_reference() {
    let mut d = rain_yellow();
    d.action = Action::Continue;
    d.follows = Some("w1".into());
    d.forecast = "预计……".into();
    let b = built(&d).unwrap();
    assert_eq!(b.cap, Err("请选择所跟进的预警".into()));
    assert!(!b.texts.contains_key(&Channel::Cap));
    assert!(b.texts[&Channel::Sms].contains("继续发布暴雨黄色预警信号"));
}

#[test]
fn a_level_without_official_guidance_asks_for_the_forecasters_own() {
    let mut d = rain_yellow();
    d.signal = Some("gale".into());
    d.level = Some(Level::Red);
    d.forecast = "预计……".into();
    let b = built(&d).unwrap();
    assert!(b.findings.contains(&Finding::UnfilledPlaceholder {
        field: "guidance.0".into()
    }));
    d.own_guidance = "停止户外作业".into();
    assert!(!built(&d).unwrap().blocked());
}

#[test]
fn the_cap_file_is_named_by_its_identifier() {
    assert_eq!(
        cap_file_name(now().floor(60_000)),
        "35042341600000_20261206163000.xml"
    );
}

#[test]
fn lifecycle_rules_block_with_their_reason() {
    use crate::domain::warning::approval::{DraftState, SignOff};
    let catalogue = crate::assets::national_signals().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    let mut issued = rain_yellow();
    issued.forecast = "预计……".into();
    issued.townships = ["350423101"].map(String::from).into();
    let content = build(
        &issued,
        &catalogue,
        &network,
        (None, &[]),
        (Observed::NotMeasured, None),
        now(),
    )
    .unwrap()
    .content;
    let record = WarningRecord {
        id: "w1".into(),
        pin: content.pin(),
        content,
        drafter: "f".into(),
        state: DraftState::Sent(SignOff {
            by: "s".into(),
            pin: String::new(),
            alone: false,
        }),
        steps: Vec::new(),
        cap_identifier: Some("35042341600000_20261206163000".into()),
        released_at: Some(now()),
        replaced_by: None,
    };
    let in_force = [&record];
    // A second issue of the same type while one is in force.
    let b = build(
        &issued,
        &catalogue,
        &network,
        (None, &in_force),
        (Observed::NotMeasured, None),
        now(),
    )
    .unwrap();
    assert!(matches!(
        b.lifecycle,
        Some(LifecycleError::AlreadyInForce { .. })
    ));
    assert!(b.blocked());
    // A continue over a larger area, unconfirmed, then confirmed.
    let mut more = issued.clone();
    more.action = Action::Continue;
    more.follows = Some("w1".into());
    more.townships.insert("350423106".into());
    let b = build(
        &more,
        &catalogue,
        &network,
        (Some(&record), &in_force),
        (Observed::NotMeasured, None),
        now(),
    )
    .unwrap();
    assert_eq!(
        b.lifecycle,
        Some(LifecycleError::AreaEnlarged {
            added: vec!["350423106".into()]
        })
    );
    more.enlarge_confirmed = true;
    let b = build(
        &more,
        &catalogue,
        &network,
        (Some(&record), &in_force),
        (Observed::NotMeasured, None),
        now(),
    )
    .unwrap();
    assert_eq!(b.lifecycle, None);
    assert!(!b.blocked(), "{:?}", b.findings);
    assert!(b.cap.unwrap().contains("<msgType>Update</msgType>"));
}

#[test]
fn an_empty_recipient_group_blocks_only_once_the_central_keeps_a_list() {
    use crate::console::messages::warnings::RecipientCount;
    use crate::domain::recipients::Group;
    let kept = |township: &str, group: Group, active: u64| RecipientCount {
        township: township.to_owned(),
        group,
        active,
        inactive: 0,
        villages: 0,
    };
    let leaders_only = [
        kept("350423101", Group::TownshipLeaders, 2),
        kept("350423106", Group::TownshipLeaders, 3),
    ];
    let everyone = [
        kept("350423101", Group::TownshipLeaders, 2),
        kept("350423101", Group::Informants, 9),
        kept("350423106", Group::TownshipLeaders, 3),
        kept("350423106", Group::Informants, 4),
    ];
    // (the central's counts, the groups found empty)
    let table: [(Option<&[RecipientCount]>, Vec<&str>); 4] = [
        (None, vec![]),
        (Some(&[]), vec![]),
        (
            Some(&leaders_only),
            vec!["嵩溪镇气象信息员", "林畲镇气象信息员"],
        ),
        (Some(&everyone), vec![]),
    ];
    let d = rain_yellow();
    let catalogue = crate::assets::national_signals().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    for (counts, want) in table {
        let b = build(
            &d,
            &catalogue,
            &network,
            (None, &[]),
            (Observed::NotMeasured, counts),
            now(),
        )
        .unwrap();
        let empty: Vec<String> = b
            .findings
            .iter()
            .filter_map(|f| match f {
                Finding::EmptyRecipientGroup { group } => Some(group.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(empty, want, "{counts:?}");
    }
}
