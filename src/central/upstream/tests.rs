use std::fs::File;
use std::time::Duration;

use super::*;
use crate::formats::cap::CapReference;
use crate::formats::cap_read::CapInfo;

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn catalogue() -> Catalogue {
    crate::assets::national_signals().unwrap()
}

/// The folder read, and what of it is in force at `now`.
fn scan(folder: &UpstreamFolder, now: Timestamp) -> UpstreamList {
    let found = folder.read();
    UpstreamList {
        warnings: in_force(&found.messages, &catalogue(), now),
        refused: found.refused,
    }
}

/// A message of `sender` sent at `sent` (Beijing), expiring at `expires`, naming `refs`.
fn message(
    id: &str,
    msg_type: MsgType,
    sent: &str,
    expires: Option<&str>,
    refs: &[&str],
) -> (String, CapMessage) {
    let sender = id.split('_').next().unwrap().to_owned();
    let message = CapMessage {
        identifier: id.into(),
        sender: sender.clone(),
        sent: at(&format!("2026-12-06T{sent}:00+08:00")),
        status: Status::Actual,
        msg_type,
        references: refs
            .iter()
            .map(|r| CapReference {
                sender: sender.clone(),
                identifier: (*r).into(),
                sent: at("2026-12-06T00:00:00+08:00"),
            })
            .collect(),
        info: Some(CapInfo {
            headline: format!("{}发布暴雨黄色预警信号", sender_name(&sender)),
            sender_name: Some(sender_name(&sender).into()),
            expires: expires.map(|e| at(&format!("2026-12-06T{e}:00+08:00"))),
            ..CapInfo::default()
        }),
    };
    (format!("{id}.xml"), message)
}

fn sender_name(sender: &str) -> &'static str {
    if sender == "city" {
        "三明市气象台"
    } else {
        "福建省气象台"
    }
}

/// What a case is about, the folder's messages, the identifiers in force.
type Case = (&'static str, Vec<(String, CapMessage)>, Vec<&'static str>);

#[test]
fn in_force_follows_expiry_updates_and_cancels() {
    use MsgType::{Ack, Alert, Cancel, Update};
    let now = at("2026-12-06T18:00:00+08:00");
    let mut exercise = message("city_exercise", Alert, "17:00", Some("20:00"), &[]);
    exercise.1.status = Status::Exercise;
    let mut drill_cancel = message("city_drill_cancel", Cancel, "17:10", None, &["city_a"]);
    drill_cancel.1.status = Status::Exercise;
    let mut bare = message("prov_bare", Alert, "09:00", None, &[]);
    bare.1.info = None;
    let table: Vec<Case> = vec![
        (
            "an alert in force",
            vec![message("city_a", Alert, "15:30", Some("23:00"), &[])],
            vec!["city_a"],
        ),
        (
            "expired",
            vec![message("city_a", Alert, "06:00", Some("18:00"), &[])],
            vec![],
        ),
        (
            "an update replaces what it names",
            vec![
                message("prov_a", Alert, "12:00", Some("20:00"), &[]),
                message("prov_b", Update, "16:00", Some("22:00"), &["prov_a"]),
            ],
            vec!["prov_b"],
        ),
        (
            "a cancel ends what it names and is not shown",
            vec![
                message("prov_a", Alert, "06:00", Some("20:00"), &[]),
                message("prov_c", Cancel, "10:00", None, &["prov_a"]),
            ],
            vec![],
        ),
        (
            "a chain: alert, update, cancel of the update",
            vec![
                message("prov_a", Alert, "06:00", Some("20:00"), &[]),
                message("prov_b", Update, "08:00", Some("20:00"), &["prov_a"]),
                message("prov_c", Cancel, "10:00", None, &["prov_b"]),
            ],
            vec![],
        ),
        (
            "exercises neither count nor cancel; acks are no warnings",
            vec![
                message("city_a", Alert, "15:30", Some("23:00"), &[]),
                exercise,
                drill_cancel,
                message("city_ack", Ack, "15:31", None, &["city_a"]),
            ],
            vec!["city_a"],
        ),
        (
            "no expiry: a day from sending",
            vec![
                message("city_a", Alert, "17:00", None, &[]),
                (String::from("old.xml"), {
                    let mut old = message("city_old", Alert, "17:00", None, &[]).1;
                    old.sent = at("2026-12-05T17:59:00+08:00");
                    old
                }),
            ],
            vec!["city_a"],
        ),
        ("a message without info", vec![bare], vec![]),
        (
            "the same message twice is shown once; by sender, newest first",
            vec![
                message("prov_a", Alert, "12:00", Some("20:00"), &[]),
                message("city_a", Alert, "15:30", Some("23:00"), &[]),
                message("city_b", Alert, "16:30", Some("23:00"), &[]),
                message("city_a", Alert, "15:30", Some("23:00"), &[]),
            ],
            vec!["city_b", "city_a", "prov_a"],
        ),
    ];
    let catalogue = catalogue();
    for (what, messages, want) in table {
        let got: Vec<String> = in_force(&messages, &catalogue, now)
            .into_iter()
            .map(|w| w.identifier)
            .collect();
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn a_warning_carries_what_the_desk_shows() {
    let (file, message) = message("city_a", MsgType::Alert, "15:30", Some("23:00"), &[]);
    let shown = in_force(
        &[(file, message)],
        &catalogue(),
        at("2026-12-06T18:00:00+08:00"),
    );
    let w = &shown[0];
    assert_eq!(w.sender_name, "三明市气象台");
    assert_eq!(w.signal.as_deref(), Some("rainstorm"));
    assert_eq!(w.level, Some(crate::domain::warning::Level::Yellow));
    assert_eq!(w.msg_type, "Alert");
    assert_eq!(w.source, "city_a.xml");
    assert_eq!(w.expires, Some(at("2026-12-06T23:00:00+08:00")));
}

const CITY: &[u8] =
    include_bytes!("../../../tests/data/cap/upstream/35040041600001_20261206153000.xml");

#[test]
fn a_file_is_read_again_only_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("city.xml");
    std::fs::write(&path, CITY).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not CAP").unwrap();
    std::fs::write(dir.path().join(".partial.xml"), "<alert").unwrap();
    let folder = UpstreamFolder::new(dir.path());
    let now = at("2026-12-06T18:00:00+08:00");
    let first = scan(&folder, now);
    assert_eq!(first.warnings.len(), 1);
    assert!(first.refused.is_empty(), "{:?}", first.refused);
    // Same size and modification time: the kept reading stands.
    let stamp = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut garbage = CITY.to_vec();
    garbage[..5].copy_from_slice(b"xxxxx");
    std::fs::write(&path, &garbage).unwrap();
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(stamp)
        .unwrap();
    assert_eq!(scan(&folder, now), first);
    // A new time: read again, and refused with the line.
    let later = stamp + Duration::from_secs(2);
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let second = scan(&folder, now);
    assert!(second.warnings.is_empty());
    assert!(
        second.refused["city.xml"].starts_with("line 1: not well-formed XML"),
        "{:?}",
        second.refused
    );
    // Gone: forgotten.
    std::fs::remove_file(&path).unwrap();
    assert_eq!(scan(&folder, now).refused.len(), 0);
}

#[test]
fn a_missing_folder_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let folder = UpstreamFolder::new(dir.path().join("nowhere"));
    let list = scan(&folder, Timestamp(0));
    assert!(list.warnings.is_empty());
    let (name, reason) = list.refused.iter().next().unwrap();
    assert!(name.ends_with("nowhere"), "{name}");
    assert!(reason.starts_with("the folder cannot be read"), "{reason}");
}
