use std::collections::BTreeSet;

use super::*;
use crate::central::channels::wechat::{RobotMsgType, RobotRoutes};
use crate::central::channels::{RobotPayload, TemplatePayload, WECHAT, WECOM};
use crate::central::warnings::rules::submit;
use crate::domain::network::TownshipCode;
use crate::domain::recipients::{Duty, MobileNumber, RecipientDraft};
use crate::domain::time::HOUR_MS;
use crate::domain::warning::Level;
use crate::domain::warning::lifecycle::Action;
use crate::protocol::warnings::WarningContent;
use crate::store::central::warnings::WarningBook;

const NOW: Timestamp = Timestamp(1_795_773_600_000);
const LONGJIN: u32 = 350_423_100;
const SONGXI: u32 = 350_423_101;

fn person(
    id: u64,
    town: Option<u32>,
    group: Group,
    phone: Option<&str>,
    active: bool,
) -> Recipient {
    Recipient {
        id,
        version: 1,
        draft: RecipientDraft {
            name: format!("接收人{id}"),
            township: town.map(TownshipCode),
            village: None,
            group,
            duty: Duty::Other,
            phone: phone.map(|p| MobileNumber::parse(p).unwrap()),
            wechat_openid: None,
            wecom: None,
            active,
            note: String::new(),
        },
    }
}

fn record(groups: &[&str], practice: bool) -> WarningRecord {
    let content = WarningContent {
        action: Action::Issue,
        follows: None,
        signal: "rainstorm".into(),
        level: Level::Yellow,
        area: [LONGJIN.to_string()].into(),
        enlarge_confirmed: false,
        issued_at: NOW,
        expires_at: Some(NOW.plus_ms(6 * HOUR_MS)),
        texts: [(Channel::Sms, "【清流气象】暴雨黄色预警".to_owned())].into(),
        template_fields: Default::default(),
        recipient_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        practice,
    };
    let book = WarningBook {
        records: Vec::new(),
        next_id: "w7".into(),
    };
    submit(&book, content, "zhang", NOW)
}

fn people() -> Vec<Recipient> {
    vec![
        person(
            1,
            Some(LONGJIN),
            Group::TownshipLeaders,
            Some("13800000001"),
            true,
        ),
        person(
            2,
            Some(LONGJIN),
            Group::Informants,
            Some("13800000002"),
            true,
        ),
        person(
            3,
            Some(SONGXI),
            Group::TownshipLeaders,
            Some("13800000003"),
            true,
        ),
        person(4, None, Group::County, Some("13800000004"), true),
        person(
            5,
            Some(LONGJIN),
            Group::TownshipLeaders,
            Some("13800000005"),
            false,
        ),
        person(6, Some(LONGJIN), Group::TownshipLeaders, None, true),
        person(7, None, Group::BureauStaff, Some("13800000007"), true),
    ]
}

fn keys(groups: &[&str], practice: bool, kinds: &[&str]) -> BTreeSet<String> {
    messages(
        &record(groups, practice),
        &people(),
        kinds,
        &WarningRoutes::default(),
        NOW,
    )
    .into_iter()
    .map(|m| m.idem_key)
    .collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

/// (groups, practice, kinds running, rows made)
type Case<'a> = (Vec<&'a str>, bool, Vec<&'a str>, Vec<&'a str>);

#[test]
fn the_chosen_groups_active_people_with_numbers_get_one_sms_each() {
    let leaders = format!("town:{LONGJIN}:leaders");
    let informants = format!("town:{LONGJIN}:informants");
    let table: [Case<'_>; 6] = [
        (vec![&leaders], false, vec![SMS], vec!["warning:w7:1:sms"]),
        (
            vec![&leaders, &informants],
            false,
            vec![SMS],
            vec!["warning:w7:1:sms", "warning:w7:2:sms"],
        ),
        (
            vec![&leaders, COUNTY_GROUP],
            false,
            vec![SMS, WECOM],
            vec!["warning:w7:1:sms", "warning:w7:4:sms"],
        ),
        // A drill reaches the bureau's staff only, whatever groups it names.
        (
            vec![&leaders, COUNTY_GROUP],
            true,
            vec![SMS],
            vec!["warning:w7:7:sms"],
        ),
        // No SMS gateway running: no SMS rows to wait for ever.
        (vec![&leaders], false, vec![WECOM], vec![]),
        (vec![], false, vec![SMS], vec![]),
    ];
    for (groups, practice, kinds, want) in table {
        assert_eq!(
            keys(&groups, practice, &kinds),
            set(&want),
            "{groups:?} {practice}"
        );
    }
}

#[test]
fn a_row_carries_the_number_and_the_text_as_approved() {
    let rows = messages(
        &record(&[&format!("town:{LONGJIN}:informants")], false),
        &people(),
        &[SMS],
        &WarningRoutes::default(),
        NOW,
    );
    let [row] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    let payload: SmsPayload = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(payload.to, "13800000002");
    assert_eq!(payload.text, "【清流气象】暴雨黄色预警");
    assert_eq!((row.kind.as_str(), row.due_at), (SMS, NOW));
}

#[test]
fn the_sweep_remakes_the_rows_of_warnings_still_out() {
    let released = |expires: Option<i64>, replaced: bool| {
        let mut r = record(&[], false);
        r.released_at = Some(NOW);
        r.content.expires_at = expires.map(|h| NOW.plus_ms(h * HOUR_MS));
        r.replaced_by = replaced.then(|| "w8".to_owned());
        r
    };
    // (record, hours after its release, still out)
    let table = [
        (released(Some(6), false), 1, true),
        (released(Some(6), false), 7, false),
        (released(Some(6), true), 1, false),
        (released(None, false), 1, true),
        (released(None, false), 7, false),
        (record(&[], false), 1, false),
    ];
    for (i, (r, hours, want)) in table.into_iter().enumerate() {
        assert_eq!(
            still_out(&r, NOW.plus_ms(hours * HOUR_MS)),
            want,
            "case {i}"
        );
    }
}

fn routes() -> WarningRoutes {
    WarningRoutes {
        robots: RobotRoutes {
            county: vec!["county".into()],
            townships: [
                (LONGJIN.to_string(), vec!["longjin".into(), "county".into()]),
                (SONGXI.to_string(), vec!["songxi".into()]),
            ]
            .into(),
            staff: vec!["bureau".into()],
            msgtype: RobotMsgType::Markdown,
        },
        template: Some("tpl-warning".into()),
        alarm_template: None,
    }
}

/// A record with robot texts and template fields, for `area`.
fn composed(area: &[u32], practice: bool) -> WarningRecord {
    let mut r = record(&[&format!("town:{LONGJIN}:leaders")], practice);
    r.content.area = area.iter().map(u32::to_string).collect();
    r.content
        .texts
        .insert(Channel::WecomMarkdown, "## 暴雨黄色预警".into());
    r.content
        .texts
        .insert(Channel::WecomText, "暴雨黄色预警".into());
    r.content.template_fields = [("thing1".into(), "暴雨黄色预警".into())].into();
    r
}

#[test]
fn a_warning_reaches_its_areas_robots_each_once_and_a_drill_only_the_bureaus() {
    let all = [SMS, WECOM, WECHAT];
    // (area, practice, robot keys)
    let table: [(&[u32], bool, Vec<&str>); 4] = [
        (&[LONGJIN], false, vec!["county", "longjin"]),
        (
            &[LONGJIN, SONGXI],
            false,
            vec!["county", "longjin", "songxi"],
        ),
        (&[], false, vec!["county"]),
        (&[LONGJIN, SONGXI], true, vec!["bureau"]),
    ];
    for (area, practice, want) in table {
        let rows = messages(&composed(area, practice), &people(), &all, &routes(), NOW);
        let robots: BTreeSet<String> = rows
            .iter()
            .filter(|m| m.kind == WECOM)
            .map(|m| m.idem_key.clone())
            .collect();
        let want: Vec<String> = want
            .iter()
            .map(|name| format!("warning:w7:robot:{name}:wecom"))
            .collect();
        assert_eq!(
            robots,
            set(&want.iter().map(String::as_str).collect::<Vec<_>>()),
            "{area:?} {practice}"
        );
    }
}

#[test]
fn a_robot_row_carries_the_configured_text_or_the_other_one() {
    let only = |kind: &str, rows: Vec<NewMessage>| -> Vec<RobotPayload> {
        rows.into_iter()
            .filter(|m| m.kind == kind)
            .map(|m| serde_json::from_str(&m.payload).unwrap())
            .collect()
    };
    let mut text_routes = routes();
    text_routes.robots.msgtype = RobotMsgType::Text;
    let record = composed(&[SONGXI], false);
    let markdown = only(WECOM, messages(&record, &[], &[WECOM], &routes(), NOW));
    assert_eq!(markdown.len(), 2);
    assert_eq!(
        (markdown[0].msgtype.as_str(), markdown[0].content.as_str()),
        ("markdown", "## 暴雨黄色预警")
    );
    let text = only(WECOM, messages(&record, &[], &[WECOM], &text_routes, NOW));
    assert_eq!(
        (text[0].msgtype.as_str(), text[0].content.as_str()),
        ("text", "暴雨黄色预警")
    );
    // The composition has no text version: the markdown goes rather than nothing.
    let mut markdown_only = record.clone();
    markdown_only.content.texts.remove(&Channel::WecomText);
    let fallback = only(
        WECOM,
        messages(&markdown_only, &[], &[WECOM], &text_routes, NOW),
    );
    assert_eq!(fallback[0].msgtype, "markdown");
    // No robot text at all, or the robot channel not running: no robot row.
    let mut bare = record;
    bare.content.texts.retain(|c, _| *c == Channel::Sms);
    assert!(only(WECOM, messages(&bare, &[], &[WECOM], &routes(), NOW)).is_empty());
    assert!(
        only(
            WECOM,
            messages(&composed(&[SONGXI], false), &[], &[SMS], &routes(), NOW)
        )
        .is_empty()
    );
}

#[test]
fn addressed_followers_get_the_warning_template_with_the_compositions_fields() {
    let mut folk = people();
    folk[0].draft.wechat_openid = Some("oLeader1".into()); // Longjin's leader: addressed
    folk[2].draft.wechat_openid = Some("oLeader3".into()); // Songxi's: not addressed
    folk[5].draft.wechat_openid = Some("oLeader6".into()); // no number, an openid: addressed
    let record = composed(&[LONGJIN], false);
    let rows = messages(&record, &folk, &[WECHAT], &routes(), NOW);
    let keys: BTreeSet<String> = rows.iter().map(|m| m.idem_key.clone()).collect();
    assert_eq!(keys, set(&["warning:w7:1:wechat", "warning:w7:6:wechat"]));
    let payload: TemplatePayload = serde_json::from_str(&rows[0].payload).unwrap();
    assert_eq!(payload.openid, "oLeader1");
    assert_eq!(payload.template_id, "tpl-warning");
    assert_eq!(payload.data, record.content.template_fields);
    // No template configured, or no fields composed: no template row.
    let mut no_template = routes();
    no_template.template = None;
    assert!(messages(&record, &folk, &[WECHAT], &no_template, NOW).is_empty());
    let mut no_fields = record;
    no_fields.content.template_fields.clear();
    assert!(messages(&no_fields, &folk, &[WECHAT], &routes(), NOW).is_empty());
}
