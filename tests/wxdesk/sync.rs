//! The console backend against a real central on 127.0.0.1: catch-up, live stream, offline and
//! back, a central restarted mid-stream, a central replaced — and the cache must end up holding
//! exactly the central's observations, each change applied once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use serde_json::Value;
use wxdesk::console::backend::sync::{Backoff, SyncSettings};
use wxdesk::console::backend::{self, BackendConfig, BackendHandle, Link};
use wxdesk::console::messages::{AuthCommand, Command, Event, LinkStatus, SyncCommand, SyncEvent};
use wxdesk::domain::access::Secret;
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::protocol::Cursor;
use wxdesk::store::observations::every_value;

use crate::support::{
    PASSWORD, PATIENCE, STATIONS, TestCentral, client, minutes_batch, now, remembered_session,
    within,
};

/// A console backend under test, with everything it reported so far.
pub(crate) struct Console {
    pub(crate) link: Link,
    pub(crate) events: Vec<SyncEvent>,
    _handle: BackendHandle,
}

impl Console {
    /// A backend for `server` that remembers the session in `credentials`.
    fn start(server: &str, cache: &Path, backoff_first: Duration, credentials: &Path) -> Self {
        let settings = SyncSettings {
            page_size: 97, // small and odd, so catch-up takes many uneven pages
            backoff: Backoff {
                first: backoff_first,
                max: backoff_first * 4,
            },
            stream_idle: PATIENCE,
            ..SyncSettings::default()
        };
        Self::start_with(server, cache, settings, credentials)
    }

    /// A backend syncing with `settings` (a desk built to know fewer kinds, or relying on
    /// features its central may lack).
    pub(crate) fn start_with(
        server: &str,
        cache: &Path,
        settings: SyncSettings,
        credentials: &Path,
    ) -> Self {
        crate::support::init();
        let clock: SharedClock = ManualClock::new(now());
        let (link, ends) = Link::pair();
        let mut config = BackendConfig::new(server, cache.to_owned());
        config.sync = settings;
        config.credentials_dir = Some(credentials.to_owned());
        let handle = backend::spawn(config, ends, clock, Arc::new(|| {})).expect("backend thread");
        Self {
            link,
            events: Vec::new(),
            _handle: handle,
        }
    }

    /// Waits until an event satisfies `done`, keeping every event.
    pub(crate) async fn until(&mut self, what: &str, done: impl Fn(&SyncEvent) -> bool) {
        let events = &mut self.events;
        let link = &mut self.link;
        within(what, async {
            loop {
                let event = match link.recv().await {
                    Some(Event::Sync(event)) => event,
                    Some(_) => continue, // session events: the access tests look at those
                    None => panic!("backend stopped"),
                };
                let hit = done(&event);
                events.push(event);
                if hit {
                    return;
                }
            }
        })
        .await;
    }

    pub(crate) async fn until_synced_to(&mut self, head: u64) {
        let head = Cursor::from_seq(head);
        self.until(
            &format!("sync to {head}"),
            |e| matches!(e, SyncEvent::Synced { cursor, .. } if *cursor == head),
        )
        .await;
    }

    async fn until_offline(&mut self) {
        self.until("offline", |e| {
            matches!(e, SyncEvent::LinkChanged(LinkStatus::Offline { .. }))
        })
        .await;
    }

    async fn until_online(&mut self) {
        self.until("online", |e| {
            matches!(e, SyncEvent::LinkChanged(LinkStatus::Online { .. }))
        })
        .await;
    }

    /// Observation records delivered (the start-up cache snapshot included, which is the
    /// first `ObservationsArrived` when the cache held anything): one per station and minute.
    pub(crate) fn delivered(&self) -> usize {
        self.events
            .iter()
            .filter_map(|e| match e {
                SyncEvent::ObservationsArrived(batch) => Some(batch.len()),
                _ => None,
            })
            .sum()
    }

    /// The positions synced to, as the central numbers them (a test may look inside).
    fn cursors(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|e| match e {
                SyncEvent::Synced { cursor, .. } => Some(cursor.seq().unwrap()),
                _ => None,
            })
            .collect()
    }
}

pub(crate) async fn post(central: &TestCentral, body: &Value) {
    let (status, answer) = central.post_observations(&client(), body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rejected"], 0, "{answer}");
}

pub(crate) async fn head(central: &TestCentral) -> u64 {
    let (_, health) = central.get_json(&client(), "/health").await;
    health["head"].as_u64().expect("head")
}

/// Every stored value, sorted: (station, element, time, value, QC flags, provenance).
pub(crate) fn values(db: &Path) -> Vec<(String, i64, i64, f64, u8, u8)> {
    let conn = Connection::open(db).expect("opening a database read-only");
    every_value(&conn)
        .expect("values")
        .into_iter()
        .map(|(station, element, s)| {
            (
                station.to_string(),
                i64::from(element.storage_id()),
                s.time.millis(),
                s.value,
                s.qc.bits(),
                s.source.storage_id(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_mirrors_the_central_across_a_restart_mid_stream() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let credentials = remembered_session(&central, dir.path()).await;
    let mut console = Console::start(
        &central.base(),
        &cache,
        Duration::from_millis(20),
        &credentials,
    );

    // Catch-up from nothing, in pages.
    post(&central, &minutes_batch(-1000, 100)).await;
    console.until_online().await;
    console.until_synced_to(head(&central).await).await;

    // Live: a large batch lands while the console follows the stream, and the central goes
    // down while it is still being delivered (measured: 600–900 of its 2800 changes had
    // arrived when the stream broke).
    post(&central, &minutes_batch(-900, 600)).await;
    central.shutdown().await;
    console.until_offline().await;

    // Back on the same port and database; more data arrives while the console reconnects.
    central.restart().await;
    post(&central, &minutes_batch(-300, 10)).await;
    let final_head = head(&central).await;
    console.until_synced_to(final_head).await;

    let mirrored = values(&cache);
    assert_eq!(
        mirrored,
        values(central.db_path()),
        "cache differs from the central"
    );
    // RHU stays at 80 % for hours: quality control flags it as stuck, first on the values of
    // each batch and then on values already synced, and the cache follows both.
    assert!(
        mirrored.iter().any(|v| v.4 != 0),
        "some values carry QC flags"
    );
    assert_eq!(
        console.delivered(),
        710 * STATIONS.len(),
        "every record delivered exactly once"
    );
    let cursors = console.cursors();
    assert!(
        cursors.windows(2).all(|w| w[0] <= w[1]),
        "cursor went backwards: {cursors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_console_shows_its_cache_and_catches_up_without_duplicates() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    post(&central, &minutes_batch(-30, 30)).await;
    let first_head = head(&central).await;
    let credentials = remembered_session(&central, dir.path()).await;
    {
        let mut console = Console::start(
            &central.base(),
            &cache,
            Duration::from_millis(20),
            &credentials,
        );
        console.until_synced_to(first_head).await;
    }
    central.shutdown().await;

    // A new session with the central down: the cache is shown, and the console says it is
    // offline since it started trying.
    let mut console = Console::start(
        &central.base(),
        &cache,
        Duration::from_millis(20),
        &credentials,
    );
    console.until_offline().await;
    let network_shown = console
        .events
        .iter()
        .any(|e| matches!(e, SyncEvent::NetworkLoaded(n) if n.stations.len() == 16));
    assert!(network_shown, "the cached network is shown offline");
    let snapshot = console.delivered();
    assert_eq!(
        snapshot,
        30 * STATIONS.len(),
        "the cached half hour is shown offline"
    );
    let offline = console.events.iter().find_map(|e| match e {
        SyncEvent::LinkChanged(LinkStatus::Offline { since, error, .. }) => {
            Some((*since, error.to_string()))
        }
        _ => None,
    });
    let (since, error) = offline.unwrap();
    assert_eq!(since, now(), "offline since the console started trying");
    assert!(error.contains("unreachable"), "{error}");

    central.restart().await;
    central.clock.advance(10 * 60_000);
    post(&central, &minutes_batch(0, 10)).await;
    let final_head = head(&central).await;
    console.until_synced_to(final_head).await;
    assert!(final_head > first_head);
    assert_eq!(
        console.delivered() - snapshot,
        10 * STATIONS.len(),
        "only new records delivered"
    );
    assert_eq!(values(&cache), values(central.db_path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_now_skips_the_back_off() {
    let mut central = TestCentral::start().await;
    let base = central.base();
    let dir = tempfile::tempdir().unwrap();
    let credentials = remembered_session(&central, dir.path()).await;
    central.shutdown().await;
    // A back-off of an hour: only the command can bring it back within the test.
    let mut console = Console::start(
        &base,
        &dir.path().join("cache.sqlite"),
        Duration::from_secs(3600),
        &credentials,
    );
    console.until_offline().await;
    central.restart().await;
    console
        .link
        .send(Command::Sync(SyncCommand::RetryNow))
        .unwrap();
    console.until_online().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_central_is_resynced_from_the_start() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    post(&central, &minutes_batch(-60, 60)).await;
    let credentials = remembered_session(&central, dir.path()).await;
    let mut console = Console::start(
        &central.base(),
        &cache,
        Duration::from_millis(20),
        &credentials,
    );
    console.until_synced_to(head(&central).await).await;

    // The central's database is lost and recreated; it receives less history than before.
    central.shutdown().await;
    std::fs::remove_file(central.db_path()).unwrap();
    let _ = std::fs::remove_file(central.db_path().with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(central.db_path().with_extension("sqlite-shm"));
    central.restart().await;
    post(&central, &minutes_batch(-10, 10)).await;
    let new_head = head(&central).await;
    // The accounts went with the old database: the desk is told to log in again, and does.
    console
        .until("the session refused", |e| {
            matches!(e, SyncEvent::LinkChanged(LinkStatus::SignedOut { .. }))
        })
        .await;
    central
        .token(wxdesk::domain::access::Role::Administrator)
        .await;
    console
        .link
        .send(Command::Auth(AuthCommand::LogIn {
            username: "admin".into(),
            password: Secret::new(PASSWORD),
            workstation: "test-desk".into(),
        }))
        .unwrap();
    console
        .until(
            "the replacement noticed",
            |e| matches!(e, SyncEvent::CentralReplaced(text) if text.contains("replaced")),
        )
        .await;
    console.until_synced_to(new_head).await;
}

/// A desk remembers the newest audit head it saw (issue 8, item 7): a central whose audit log
/// was cut back and its recorded head rewritten — which its own chain cannot show — is
/// reported as soon as the desk reconnects, with the head it saw and the one it sees now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_reports_a_central_whose_audit_head_went_backwards() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = remembered_session(&central, dir.path()).await;
    let (_, health) = central.get_json(&client(), "/health").await;
    let seen = health["audit_head"]
        .as_str()
        .expect("the central reports its audit head")
        .to_owned();
    let seen_seq: u64 = seen.split(':').next().unwrap().parse().unwrap();
    let mut console = Console::start(
        &central.base(),
        &dir.path().join("cache.sqlite"),
        Duration::from_millis(20),
        &credentials,
    );
    console.until_online().await;
    central.shutdown().await;
    console.until_offline().await;

    // Cut the newest entries and move the recorded head to the new end, as someone with the
    // file could; a restart then appends one entry (the test device's key), still short of
    // what the desk saw.
    let cut = seen_seq - 3;
    let conn = Connection::open(central.db_path()).unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         DELETE FROM audit_log WHERE seq > {cut};
         UPDATE meta SET value = (SELECT seq || ':' || hash FROM audit_log WHERE seq = {cut})
         WHERE key = 'audit_head';"
    ))
    .unwrap();
    drop(conn);
    central.restart().await;
    console
        .until("the regression", |e| {
            matches!(e, SyncEvent::AuditHeadRegressed(_))
        })
        .await;
    let Some(SyncEvent::AuditHeadRegressed(regression)) = console.events.last() else {
        unreachable!("until stops at the regression")
    };
    assert_eq!(regression.seen.0, seen_seq);
    assert_eq!(regression.seen.1.to_hex(), seen.split(':').nth(1).unwrap());
    assert_eq!(regression.now.map(|(seq, _)| seq), Some(cut + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_that_synced_past_a_restored_backup_resyncs_to_equal_the_central() {
    use wxdesk::store::central::backup;
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    post(&central, &minutes_batch(-120, 60)).await;
    // The session is in the backup, so the desk stays signed in across the restore.
    let credentials = remembered_session(&central, dir.path()).await;
    let nightly = dir.path().join("nightly.sqlite");
    let taken = backup::backup(central.db_path(), &nightly).unwrap();

    // After the backup the desk syncs more, which the restored central will not have.
    post(&central, &minutes_batch(-60, 60)).await;
    let mut console = Console::start(
        &central.base(),
        &cache,
        Duration::from_millis(20),
        &credentials,
    );
    let past = head(&central).await;
    assert!(past > taken.head);
    console.until_synced_to(past).await;
    assert!(values(&cache).len() > values(&nightly).len());

    central.shutdown().await;
    let restored = backup::restore(central.db_path(), &nightly).unwrap();
    assert_ne!(restored.instance, taken.instance);
    central.restart().await;
    console
        .until(
            "the restore noticed",
            |e| matches!(e, SyncEvent::CentralReplaced(text) if text.contains("replaced")),
        )
        .await;
    console.until_synced_to(taken.head).await;
    // The desk holds exactly what the central holds: nothing from after the backup.
    central.shutdown().await;
    assert_eq!(values(&cache), values(central.db_path()));
}

/// Hourly air temperature at one station over the last three days — 14 ℃ until a day ago,
/// 4 ℃ since — and a force-5 mean wind six hours ago: a cold wave whose fall is measured
/// against the day before yesterday's minimum.
fn three_days_of_cold_wave(station: &str) -> Value {
    use crate::support::{batch, minutes_from_now, record};
    let mut records: Vec<Value> = (0..72)
        .map(|h| {
            let tem = if h < 24 { 4.0 } else { 14.0 };
            record(
                station,
                &minutes_from_now(-h * 60),
                serde_json::json!({"TEM": tem}),
            )
        })
        .collect();
    records.push(record(
        station,
        &minutes_from_now(-6 * 60 - 1),
        serde_json::json!({"WIN_S_Avg_2mi": 10.8}),
    ));
    // A November afternoon's 45 ℃ fails QC: it arrives flagged, and is not judged.
    records.push(record(
        station,
        &minutes_from_now(-30),
        serde_json::json!({"TEM": 45.0}),
    ));
    batch(&records)
}

/// A desk judges suggestions the moment it starts, before the central answers: the cache is
/// read as far back as the criteria look (72 h), not only the live charts' day — or a cold
/// wave measured against the day before yesterday would go unseen until the next sync — and
/// a value QC failed comes with its flags, so it is never judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_starting_offline_judges_three_days_of_cache_without_the_values_failing_qc() {
    use wxdesk::console::state::AppState;
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    post(&central, &three_days_of_cold_wave(STATIONS[1])).await;
    let synced = head(&central).await;
    let credentials = remembered_session(&central, dir.path()).await;
    {
        let mut console = Console::start(&central.base(), &cache, PATIENCE, &credentials);
        console.until_synced_to(synced).await;
    }
    central.shutdown().await;

    let mut console = Console::start(&central.base(), &cache, PATIENCE, &credentials);
    console.until_offline().await;
    // The desk's state takes the events as the app does: flags, then values.
    let mut state = AppState::new(now());
    for event in &console.events {
        state.apply(Event::Sync(event.clone()), now());
    }
    let flagged: Vec<_> = console
        .events
        .iter()
        .filter_map(|e| match e {
            SyncEvent::QcFlagged(marks) => Some(marks),
            _ => None,
        })
        .flatten()
        .map(|m| (m.element, m.time, m.flags.passed()))
        .collect();
    let hot = now().plus_ms(-30 * 60_000);
    assert_eq!(flagged, [(wxdesk::domain::Element::Tem, hot, false)]);
    let signals: Vec<&str> = state
        .suggestions
        .current
        .iter()
        .map(|t| t.suggestion.signal.as_str())
        .collect();
    assert!(signals.contains(&"cold_wave"), "{signals:?}");
    assert!(!signals.contains(&"high_temperature"), "{signals:?}");
}
