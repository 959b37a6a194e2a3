use std::collections::BTreeSet;

use super::*;
use crate::central::channels::WECOM;
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
    messages(&record(groups, practice), &people(), kinds, NOW)
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
