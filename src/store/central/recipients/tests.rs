//! The recipients table's SQL, on an in-memory database.

use rusqlite::Connection;

use super::*;

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn
}

fn person(name: &str, township: Option<u32>, group: Group, phone: &str) -> RecipientDraft {
    RecipientDraft {
        name: name.into(),
        township: township.map(TownshipCode),
        village: None,
        group,
        duty: Duty::Other,
        phone: (!phone.is_empty()).then(|| MobileNumber::parse(phone).unwrap()),
        wechat_openid: None,
        wecom: Some("w".into()),
        active: true,
        note: String::new(),
    }
}

const T: Timestamp = Timestamp(1_700_000_000_000);

#[test]
fn add_read_change_delete_with_versions() {
    let conn = db();
    let a = insert(
        &conn,
        &person("甲", Some(350_423_100), Group::Informants, "13800000001"),
        T,
    )
    .unwrap();
    assert_eq!(a.version, 1);
    assert_eq!(get(&conn, a.id).unwrap(), Some(a.clone()));
    let mut changed = a.draft.clone();
    changed.name = "甲乙".into();
    let (before, after) = update(&conn, a.id, 1, &changed, T).unwrap();
    assert_eq!((before.version, after.version), (1, 2));
    assert_eq!(get(&conn, a.id).unwrap(), Some(after));
    // A second writer who read version 1 loses, and is told the current version.
    assert!(matches!(
        update(&conn, a.id, 1, &a.draft, T),
        Err(RecipientError::VersionConflict {
            expected: 1,
            current: 2,
            ..
        })
    ));
    assert!(matches!(
        delete(&conn, a.id, 1),
        Err(RecipientError::VersionConflict { .. })
    ));
    delete(&conn, a.id, 2).unwrap();
    assert_eq!(get(&conn, a.id).unwrap(), None);
    assert!(matches!(
        delete(&conn, a.id, 2),
        Err(RecipientError::NotFound(_))
    ));
}

#[test]
fn one_number_is_one_person() {
    let conn = db();
    let a = insert(
        &conn,
        &person("甲", Some(1), Group::Informants, "13800000001"),
        T,
    )
    .unwrap();
    let b = insert(
        &conn,
        &person("乙", Some(1), Group::Informants, "13800000002"),
        T,
    )
    .unwrap();
    let clash = person("丙", Some(1), Group::Informants, "13800000001");
    assert!(matches!(insert(&conn, &clash, T), Err(RecipientError::PhoneTaken(id)) if id == a.id));
    assert!(matches!(
        update(&conn, b.id, 1, &clash, T),
        Err(RecipientError::PhoneTaken(id)) if id == a.id
    ));
    // Keeping one's own number is no clash; nor is having none.
    update(
        &conn,
        a.id,
        1,
        &person("甲", Some(1), Group::Informants, "13800000001"),
        T,
    )
    .unwrap();
    insert(&conn, &person("丁", Some(1), Group::Informants, ""), T).unwrap();
    insert(&conn, &person("戊", Some(1), Group::Informants, ""), T).unwrap();
}

#[test]
fn listing_filters_and_pages() {
    let conn = db();
    for i in 0..25u32 {
        let (township, group) = match i % 3 {
            0 => (Some(350_423_100), Group::Informants),
            1 => (Some(350_423_101), Group::TownshipLeaders),
            _ => (None, Group::County),
        };
        let name = if i == 7 {
            "李_100%".to_owned()
        } else {
            format!("张{i}")
        };
        insert(
            &conn,
            &person(&name, township, group, &format!("138000001{i:02}")),
            T,
        )
        .unwrap();
    }
    let all = RecipientFilter::default();
    let page = list(&conn, &all, 10, 10).unwrap();
    assert_eq!(page.total, 25);
    assert_eq!(page.recipients.len(), 10);
    assert_eq!(page.recipients[0].id, 11);
    assert_eq!(list(&conn, &all, 20, 10).unwrap().recipients.len(), 5);
    let cases = [
        (
            RecipientFilter {
                township: Some(Some(TownshipCode(350_423_100))),
                ..all.clone()
            },
            9,
        ),
        (
            RecipientFilter {
                township: Some(None),
                ..all.clone()
            },
            8,
        ),
        (
            RecipientFilter {
                group: Some(Group::TownshipLeaders),
                ..all.clone()
            },
            8,
        ),
        (
            RecipientFilter {
                duty: Some(Duty::Head),
                ..all.clone()
            },
            0,
        ),
        (
            RecipientFilter {
                name: Some("张1".into()),
                ..all.clone()
            },
            11,
        ),
        // LIKE's wildcards are literal.
        (
            RecipientFilter {
                name: Some("_100%".into()),
                ..all.clone()
            },
            1,
        ),
        (
            RecipientFilter {
                name: Some("%".into()),
                ..all.clone()
            },
            1,
        ),
    ];
    for (filter, total) in cases {
        assert_eq!(
            list(&conn, &filter, 0, 50).unwrap().total,
            total,
            "{filter:?}"
        );
    }
}

#[test]
fn named_reads_exactly_the_people_asked_for() {
    let conn = db();
    let ids: Vec<u64> = (0..6u32)
        .map(|i| {
            let phone = format!("1380000020{i}");
            insert(
                &conn,
                &person(&format!("王{i}"), None, Group::County, &phone),
                T,
            )
            .unwrap()
            .id
        })
        .collect();
    let whole = |id: u64| get(&conn, id).unwrap().unwrap();
    let cases: [(Vec<u64>, Vec<u64>); 5] = [
        (vec![], vec![]),
        (vec![ids[4], ids[1]], vec![ids[1], ids[4]]),
        // Asked twice is read once; an id no one has is left out.
        (vec![ids[2], ids[2], 9_999], vec![ids[2]]),
        (ids.clone(), ids.clone()),
        // More ids than SQLite binds parameters: still one query.
        ((1..=40_000).chain([ids[5]]).collect(), ids.clone()),
    ];
    for (asked, want) in cases {
        let got = named(&conn, &asked).unwrap();
        let want: Vec<Recipient> = want.into_iter().map(whole).collect();
        assert_eq!(got, want, "{} ids asked", asked.len());
    }
}

#[test]
fn counts_by_township_and_group() {
    let conn = db();
    let mut informant = person("甲", Some(350_423_100), Group::Informants, "13800000001");
    informant.village = Some("城关村".into());
    insert(&conn, &informant, T).unwrap();
    informant.phone = Some(MobileNumber::parse("13800000002").unwrap());
    insert(&conn, &informant, T).unwrap();
    informant.phone = Some(MobileNumber::parse("13800000003").unwrap());
    informant.village = Some("嵩溪村".into());
    informant.active = false;
    insert(&conn, &informant, T).unwrap();
    insert(&conn, &person("乙", None, Group::County, "13800000004"), T).unwrap();
    assert_eq!(
        counts(&conn).unwrap(),
        [
            GroupCount {
                township: None,
                group: Group::County,
                active: 1,
                inactive: 0,
                villages: 0
            },
            GroupCount {
                township: Some(TownshipCode(350_423_100)),
                group: Group::Informants,
                active: 2,
                inactive: 1,
                villages: 1,
            },
        ]
    );
}
