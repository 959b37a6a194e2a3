//! Protocol 2 (issue 9, item 3): desks older and newer than their central keep working. A desk
//! built to know fewer change kinds syncs past the others and counts them, and a build that
//! knows them picks up exactly what was skipped; a protocol-1 desk is told to update; a desk
//! newer than its central says what it cannot do there; the change log names hours instead
//! of copying values.

use std::collections::BTreeSet;

use serde_json::json;
use wxdesk::console::backend::sync::SyncSettings;
use wxdesk::console::messages::SyncEvent;
use wxdesk::domain::access::Role;
use wxdesk::protocol::{ChangesPage, FEATURES, KINDS, VersionInfo, kind};

use crate::support::{
    PATIENCE, STATIONS, TestCentral, client, client_with, minutes_batch, minutes_from_now,
    protocol_1_client, remembered_session,
};
use crate::sync::{Console, head, post, values};

/// Settings of a desk that reads only `kinds`.
fn knowing(kinds: &[&str]) -> SyncSettings {
    SyncSettings {
        page_size: 5,
        stream_idle: PATIENCE,
        kinds: kinds.iter().map(|&k| k.to_owned()).collect(),
        ..SyncSettings::default()
    }
}

/// Records a maintenance window at 708301 as the technician.
async fn record_window(central: &TestCentral) {
    let http = client_with(&central.token(Role::Technician).await);
    let body = json!({"station": "708301", "from": minutes_from_now(-90), "note": "更换雨量筒"});
    let response = http
        .post(central.url("/maintenance"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_that_knows_fewer_kinds_skips_them_and_a_newer_build_picks_them_up() {
    let central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let credentials = remembered_session(&central, dir.path()).await;

    // An older build: it reads maintenance windows only. It starts from the (empty) snapshot
    // and then follows the log as the changes arrive.
    let mut old = Console::start_with(
        &central.base(),
        &cache,
        knowing(&[kind::MAINTENANCE]),
        &credentials,
    );
    old.until_synced_to(head(&central).await).await;
    for minute in 0..6 {
        post(&central, &minutes_batch(-60 + minute * 10, 10)).await;
    }
    record_window(&central).await;
    post(&central, &minutes_batch(-65, 5)).await;
    let head_now = head(&central).await;
    assert_eq!(head_now, 8, "seven batches and one window");
    old.until_synced_to(head_now).await;
    let skipped = old.events.iter().rev().find_map(|e| match e {
        SyncEvent::ChangesSkipped(kinds) => Some(kinds.clone()),
        _ => None,
    });
    assert_eq!(
        skipped,
        Some([("hours".to_owned(), 7)].into()),
        "every hours change counted"
    );
    assert!(
        old.events
            .iter()
            .any(|e| matches!(e, SyncEvent::MaintenanceChanged(w) if w.len() == 1)),
        "what it knows, it applies"
    );
    assert_eq!(old.delivered(), 0, "no values: it cannot read them");
    assert!(values(&cache).is_empty());
    drop(old);

    // The new build on the same cache: it replays the hours it skipped, and only those.
    let mut new = Console::start_with(
        &central.base(),
        &cache,
        SyncSettings {
            stream_idle: PATIENCE,
            page_size: 3,
            ..SyncSettings::default()
        },
        &credentials,
    );
    new.until(
        "the skipped changes replayed",
        |e| matches!(e, SyncEvent::ChangesSkipped(kinds) if kinds.is_empty()),
    )
    .await;
    new.until_synced_to(head_now).await;
    assert_eq!(new.delivered(), 65 * STATIONS.len(), "each record once");
    let mut central = central;
    central.shutdown().await;
    assert_eq!(values(&cache), values(central.db_path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_1_desk_is_told_plainly_to_update() {
    let central = TestCentral::start().await;
    let token = central.token(Role::Administrator).await;
    let old = protocol_1_client();
    for path in ["/changes?after=5", "/stream?after=5", "/changes"] {
        let response = old
            .get(central.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 426, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "update_required", "{path}");
        let message = body["message"].as_str().unwrap();
        assert!(message.starts_with("需要更新 wxdesk"), "{message}");
        assert!(message.contains("Update required"), "{message}");
    }
    // What it can still read answers as before: it hears why it cannot sync, not that the
    // central is gone.
    let response = old.get(central.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_says_what_it_speaks_and_refuses_cursors_it_did_not_write() {
    let central = TestCentral::start().await;
    let (status, body) = central.get_json(&client(), "/version").await;
    assert_eq!(status, 200);
    let version: VersionInfo = serde_json::from_value(body).unwrap();
    assert_eq!((version.protocol, version.min_protocol), (2, 2));
    let set = |items: &[&str]| items.iter().map(|&s| s.to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(
        version.kinds.iter().cloned().collect::<BTreeSet<_>>(),
        set(&KINDS)
    );
    assert!(version.lacking(&set(&KINDS), &set(&FEATURES)).is_empty());

    for cursor in ["5", "s1.", "s1.-1", "s2.10", "%F0%9F%98%80"] {
        let (status, body) = central
            .get_json(&client(), &format!("/changes?after={cursor}"))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_cursor")),
            "{cursor}"
        );
    }
    let (status, _) = central.get_json(&client(), "/changes?after=s1.0").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_newer_than_its_central_says_what_it_cannot_do_there() {
    let central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = remembered_session(&central, dir.path()).await;
    let mut settings = knowing(&[kind::HOURS, kind::MAINTENANCE, "relay"]);
    settings.features.insert("warning_dispatch".to_owned());
    let mut desk = Console::start_with(
        &central.base(),
        &dir.path().join("cache.sqlite"),
        settings,
        &credentials,
    );
    desk.until(
        "the central's lack reported",
        |e| matches!(e, SyncEvent::CentralLacks(l) if l == &["relay", "warning_dispatch"]),
    )
    .await;
    // It still syncs what the central serves.
    post(&central, &minutes_batch(-3, 3)).await;
    desk.until_synced_to(head(&central).await).await;
    let reports = desk
        .events
        .iter()
        .filter(|e| matches!(e, SyncEvent::CentralLacks(_)))
        .count();
    assert_eq!(reports, 1, "said once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_log_names_hours_in_one_small_row_per_batch() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let batches = 12;
    for b in 0..batches {
        post(&central, &minutes_batch(-120 + b * 10, 10)).await;
    }
    let stored_values = 120 * STATIONS.len() * 3;
    let (rows, bytes) = {
        let conn = rusqlite::Connection::open(central.db_path()).unwrap();
        conn.query_row(
            "SELECT count(*), sum(length(data)) FROM change_log",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap()
    };
    assert_eq!(rows, batches, "one row per batch");
    // Measured: 1.41 bytes per value for ten-minute batches of 4 stations × 3 elements (the
    // rows name quality control's re-judged hours too; one-minute batches: ≈ 150 bytes a row);
    // protocol 1 copied ≈ 30 bytes per value.
    let per_value = bytes as f64 / stored_values as f64;
    assert!(
        per_value < 2.0,
        "{per_value:.2} bytes of change log per value"
    );

    // A page carries the hours' chunks; a desk applying them ends equal to the central.
    let (_, page) = central.get_json(&client(), "/changes?limit=2").await;
    let page: ChangesPage = serde_json::from_value(page).unwrap();
    assert_eq!(page.changes.len(), 2);
    assert!(!page.chunks.is_empty());
    assert_eq!(page.behind, 10);

    let credentials = remembered_session(&central, dir.path()).await;
    let mut desk = Console::start_with(
        &central.base(),
        &cache,
        SyncSettings {
            page_size: 4,
            stream_idle: PATIENCE,
            ..SyncSettings::default()
        },
        &credentials,
    );
    desk.until_synced_to(head(&central).await).await;
    central.shutdown().await;
    assert_eq!(values(&cache), values(central.db_path()));
}

/// The log an upgraded central holds: protocol 1 copied every stored value into its rows.
/// Rewrites the log of `db` that way (values and their flags from the chunks, which stay the
/// truth), one `observation` row per record and a `qc` row re-stating one record's flags.
fn rewrite_as_protocol_1(db: &std::path::Path) -> usize {
    use std::collections::BTreeMap;
    use wxdesk::domain::{Observation, Source, StationId, Timestamp};
    use wxdesk::protocol::{ChangeData, ObservationRecord, QcChange};
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut records: BTreeMap<(StationId, Timestamp), ObservationRecord> = BTreeMap::new();
    let mut flagged = None;
    for (station, element, sample) in wxdesk::store::observations::every_value(&conn).unwrap() {
        let record = records
            .entry((station.clone(), sample.time))
            .or_insert_with(|| {
                ObservationRecord::from(&Observation {
                    station: station.clone(),
                    time: sample.time,
                    source: Source::Live,
                    values: BTreeMap::new(),
                })
            });
        record
            .values
            .insert(element.code().to_owned(), json!(sample.value));
        if !sample.qc.passed() {
            record.qc.insert(element.code().to_owned(), sample.qc);
            flagged = Some(QcChange {
                station,
                time: sample.time,
                flags: [(element, sample.qc)].into(),
            });
        }
    }
    let mut rows: Vec<ChangeData> = records.into_values().map(ChangeData::Observation).collect();
    rows.extend(flagged.map(ChangeData::Qc));
    conn.execute("DELETE FROM change_log", []).unwrap();
    for row in &rows {
        conn.execute(
            "INSERT INTO change_log (recorded_at, data) VALUES (0, ?1)",
            [serde_json::to_string(row).unwrap()],
        )
        .unwrap();
    }
    rows.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_1_rows_of_an_upgraded_central_are_still_served_and_applied() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let credentials = remembered_session(&central, dir.path()).await;
    // Hours of RHU at 80 %: quality control flags it as stuck, so a qc row is written too.
    post(&central, &minutes_batch(-300, 240)).await;
    central.shutdown().await;
    let legacy = rewrite_as_protocol_1(central.db_path());
    assert_eq!(
        legacy,
        240 * STATIONS.len() + 1,
        "one row per record, and a qc row"
    );
    central.restart().await;
    post(&central, &minutes_batch(-10, 10)).await;

    let mut desk = Console::start_with(&central.base(), &cache, knowing(&KINDS), &credentials);
    desk.until_synced_to(head(&central).await).await;
    assert!(
        !desk
            .events
            .iter()
            .any(|e| matches!(e, SyncEvent::ChangesSkipped(k) if !k.is_empty())),
        "nothing skipped"
    );
    central.shutdown().await;
    assert_eq!(values(&cache), values(central.db_path()));
}
