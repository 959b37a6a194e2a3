//! A new desk is useful in seconds: it bootstraps from a snapshot instead of replaying the
//! change log, then follows the log and equals the central (values, flags, provenance,
//! maintenance); a desk away longer than the log's retention is answered 410 and bootstraps
//! again without losing or duplicating anything; older minutes are fetched when a view needs
//! them, and an offline desk says which periods it holds only as daily rollups.
//!
//! The central's history is written through the store's observation writer on the database
//! file (what a year of ingest leaves, without a year of HTTP), the live part over HTTP.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use serde_json::json;
use wxdesk::central::workers::retention::Retention;
use wxdesk::console::backend::sync::{Backoff, SyncSettings};
use wxdesk::console::backend::{self, BackendConfig, BackendHandle, Link};
use wxdesk::console::messages::history::HeldPeriod;
use wxdesk::console::messages::{Command, Event, HistoryCommand, HistoryEvent, SyncEvent};
use wxdesk::domain::access::Role;
use wxdesk::domain::history::ViewRequest;
use wxdesk::domain::qc::{QcFlags, QcTest};
use wxdesk::domain::time::{DAY_MS, ManualClock, SharedClock};
use wxdesk::domain::{Element, Source, Timestamp};
use wxdesk::protocol::Cursor;
use wxdesk::protocol::snapshot::full_from;
use wxdesk::store::observations::{OnConflict, Writer, every_value};

use crate::support::{
    PATIENCE, TestCentral, batch, client, client_with, id, minutes_batch, network, now, record,
    remembered_session, synthetic_observations, within,
};

/// Days of history written before the desk starts: more than the snapshot's week in full.
const HISTORY_DAYS: i64 = 12;

/// Ten-minute values of two stations for the `HISTORY_DAYS` before now, written through the
/// store's writer on the central's database file.
fn write_history(db: &Path) {
    let stations = [id("58819"), id("708301")];
    let from = now().plus_ms(-HISTORY_DAYS * DAY_MS);
    let observations: Vec<_> = synthetic_observations(&network(), &stations, from, now())
        .into_iter()
        .filter(|o| o.time.millis() % (10 * 60_000) == 0)
        .collect();
    let mut conn = Connection::open(db).unwrap();
    conn.busy_timeout(PATIENCE).unwrap();
    let tx = conn.transaction().unwrap();
    let mut writer = Writer::new(&tx);
    let flagged = BTreeMap::from([(Element::Tem, QcFlags::PASSED.with(QcTest::Step))]);
    for (i, o) in observations.iter().enumerate() {
        // Some values flagged, some sent late: the desk must keep both as the central has them.
        let mut o = o.clone();
        if i % 7 == 0 {
            o.source = Source::Backfilled;
        }
        let flags = if i % 5 == 0 {
            flagged.clone()
        } else {
            BTreeMap::new()
        };
        writer.insert(&o, OnConflict::KeepStored, &flags).unwrap();
    }
    writer.finish().unwrap();
    tx.commit().unwrap();
}

/// A desk under test and every event it reported.
struct Desk {
    link: Link,
    events: Vec<Event>,
    _handle: BackendHandle,
}

impl Desk {
    fn start(server: &str, cache: &Path, credentials: &Path) -> Self {
        crate::support::init();
        let clock: SharedClock = ManualClock::new(now());
        let (link, ends) = Link::pair();
        let mut config = BackendConfig::new(server, cache.to_owned());
        config.sync = SyncSettings {
            page_size: 500,
            backoff: Backoff {
                first: Duration::from_millis(20),
                max: Duration::from_millis(80),
            },
            stream_idle: PATIENCE,
            ..SyncSettings::default()
        };
        config.credentials_dir = Some(credentials.to_owned());
        let handle = backend::spawn(config, ends, clock, Arc::new(|| {})).expect("backend thread");
        Self {
            link,
            events: Vec::new(),
            _handle: handle,
        }
    }

    async fn until(&mut self, what: &str, done: impl Fn(&Event) -> bool) -> Event {
        let (link, events) = (&mut self.link, &mut self.events);
        within(what, async {
            loop {
                let event = link.recv().await.expect("backend running");
                events.push(event.clone());
                if done(&event) {
                    return event;
                }
            }
        })
        .await
    }

    async fn until_synced_to(&mut self, head: u64) {
        self.until(
            &format!("sync to {head}"),
            |e| matches!(e, Event::Sync(SyncEvent::Synced { cursor, .. }) if *cursor == Cursor::from_seq(head)),
        )
        .await;
    }

    /// Asks for views and returns what the backend says it holds only as rollups for them.
    async fn held_for(&mut self, ticket: u64, requests: Vec<ViewRequest>) -> Vec<HeldPeriod> {
        self.link
            .send(Command::History(HistoryCommand::Views { ticket, requests }))
            .unwrap();
        let event = self
            .until("the views' rollups-only periods", |e| {
                matches!(e, Event::History(HistoryEvent::HeldAsRollups { ticket: t, .. }) if *t == ticket)
            })
            .await;
        match event {
            Event::History(HistoryEvent::HeldAsRollups { periods, .. }) => periods,
            _ => unreachable!(),
        }
    }
}

async fn head(central: &TestCentral) -> u64 {
    let (_, health) = central.get_json(&client(), "/health").await;
    health["head"].as_u64().expect("head")
}

/// Every value stamped after `after`: station, element, time, value, flags, provenance.
type Row = (String, u8, i64, u64, u8, u8);
fn values_after(db: &Path, after: Timestamp) -> Vec<Row> {
    let conn = Connection::open(db).unwrap();
    let mut rows: Vec<Row> = every_value(&conn)
        .unwrap()
        .into_iter()
        .filter(|(_, _, s)| s.time > after)
        .map(|(station, element, s)| {
            (
                station.to_string(),
                element.storage_id(),
                s.time.millis(),
                s.value.to_bits(),
                s.qc.bits(),
                s.source.storage_id(),
            )
        })
        .collect();
    rows.sort_unstable();
    rows
}

/// Daily rollups starting before `before`, as stored bytes.
fn daily_rollups(db: &Path, before: Timestamp) -> Vec<(String, i64, i64, Vec<u8>)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT k.id, r.element, r.start, r.summary FROM rollups r
             JOIN station_keys k ON k.key = r.station
             WHERE r.level = 4 AND r.start < ?1 ORDER BY k.id, r.element, r.start",
        )
        .unwrap();
    stmt.query_map([before.millis()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

async fn record_maintenance(central: &TestCentral) {
    let technician = client_with(&central.token(Role::Technician).await);
    let window = json!({
        "station": "58819",
        "from": now().plus_ms(-2 * DAY_MS).to_rfc3339(),
        "to": now().plus_ms(-2 * DAY_MS + 3_600_000).to_rfc3339(),
        "note": "更换温湿度传感器",
    });
    let answer = technician
        .post(central.url("/maintenance"))
        .json(&window)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201, "{:?}", answer.text().await);
}

fn year_view(element: Element) -> ViewRequest {
    ViewRequest {
        station: id("58819"),
        element,
        from: now().plus_ms(-365 * DAY_MS),
        to: now(),
        columns: 1200,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_desk_bootstraps_then_equals_the_central_and_fetches_older_minutes() {
    let mut central = TestCentral::start().await;
    write_history(central.db_path());
    record_maintenance(&central).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let credentials = remembered_session(&central, dir.path()).await;
    let mut desk = Desk::start(&central.base(), &cache, &credentials);
    desk.until_synced_to(head(&central).await).await;
    let replayed = desk
        .events
        .iter()
        .filter(|e| matches!(e, Event::Sync(SyncEvent::ObservationsArrived(_))))
        .count();
    assert_eq!(
        replayed, 1,
        "the live screen's day in one go, not change by change"
    );

    // Live values after the snapshot arrive through the log; so does a late value of a day
    // the desk holds only as a daily rollup (that day is fetched whole, its rollup stays the
    // central's).
    let (status, answer) = central
        .post_observations(&client(), &minutes_batch(-20, 20))
        .await;
    assert_eq!(status, 200, "{answer}");
    let late = now().plus_ms(-10 * DAY_MS + 3 * 60_000).to_rfc3339();
    let (status, answer) = central
        .post_observations(
            &client(),
            &batch(&[record("708301", &late, json!({"TEM": 1.5}))]),
        )
        .await;
    assert_eq!((status, &answer["stored"]), (200, &json!(1)), "{answer}");
    desk.until_synced_to(head(&central).await).await;

    let full = full_from(now());
    let central_values = values_after(central.db_path(), full);
    assert!(central_values.iter().any(|r| r.4 != 0), "flagged values");
    assert!(
        central_values
            .iter()
            .any(|r| r.5 == Source::Backfilled.storage_id()),
        "values sent late"
    );
    assert_eq!(
        values_after(&cache, full),
        values_after(central.db_path(), full),
        "the week in full: values, flags and provenance"
    );
    assert!(
        values_after(&cache, Timestamp(0)).len()
            < values_after(central.db_path(), Timestamp(0)).len()
    );
    assert_eq!(
        daily_rollups(&cache, full),
        daily_rollups(central.db_path(), full),
        "before the week: the central's daily rollups"
    );
    let (_, windows) = central
        .get_json(
            &client_with(&central.token(Role::Technician).await),
            "/maintenance",
        )
        .await;
    let cached = wxdesk::store::cache::CacheDb::open(&cache)
        .unwrap()
        .maintenance(None)
        .unwrap();
    assert_eq!(cached.len(), 1);
    assert_eq!(windows["windows"][0]["note"], cached[0].note);

    // A year view needs 4-hour rows: the older days' minutes are fetched, then equal the
    // central's.
    let held = desk.held_for(1, vec![year_view(Element::Tem)]).await;
    assert_eq!(held, [], "fetched on demand");
    let tem = |db: &Path| -> Vec<Row> {
        values_after(db, Timestamp(0))
            .into_iter()
            .filter(|r| r.0 == "58819" && r.1 == Element::Tem.storage_id())
            .collect()
    };
    assert_eq!(tem(&cache), tem(central.db_path()));

    // Rain of days held only as rollups reads every minute: they are fetched first, so the
    // totals come from the central's values, not from the hours that happen to be cached.
    let (from, to) = (now().plus_ms(-11 * DAY_MS), now().plus_ms(-9 * DAY_MS));
    desk.link
        .send(Command::History(HistoryCommand::Rain {
            ticket: 7,
            station: id("58819"),
            from,
            to,
        }))
        .unwrap();
    desk.until("the rain report", |e| {
        matches!(e, Event::History(HistoryEvent::Rain { ticket: 7, .. }))
    })
    .await;
    let rain = |db: &Path| -> Vec<Row> {
        values_after(db, from)
            .into_iter()
            .filter(|r| r.0 == "58819" && r.2 <= to.millis())
            .filter(|r| {
                [Element::Pre, Element::Pre1h]
                    .map(|e| e.storage_id())
                    .contains(&r.1)
            })
            .collect()
    };
    assert!(
        !rain(central.db_path()).is_empty(),
        "the fixture has rain values there"
    );
    let (cached, central_rain) = (rain(&cache), rain(central.db_path()));
    assert!(
        cached == central_rain,
        "{} cached of {}",
        cached.len(),
        central_rain.len()
    );

    // Offline, a year of another element is drawn from daily rollups, and said so.
    central.shutdown().await;
    let held = desk.held_for(2, vec![year_view(Element::Rhu)]).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].element, Element::Rhu);
    assert!(held[0].to <= full);
    let views = desk
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::History(HistoryEvent::Views { ticket: 2, views }) => Some(views.clone()),
            _ => None,
        })
        .expect("the offline view");
    assert_eq!(views[0].view.level, wxdesk::domain::history::Level::Day);
    assert!(!views[0].view.buckets.is_empty(), "days are shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_away_longer_than_the_retention_bootstraps_again_without_loss_or_duplicates() {
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.retention = Some(Retention {
            keep_days: 1,
            every: Duration::from_millis(20),
            batch: 50,
        });
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let credentials = remembered_session(&central, dir.path()).await;
    let (status, _) = central
        .post_observations(&client(), &minutes_batch(-60, 30))
        .await;
    assert_eq!(status, 200);
    let first = head(&central).await;
    {
        let mut desk = Desk::start(&central.base(), &cache, &credentials);
        desk.until_synced_to(first).await;
    }
    // Away: more changes, then two days pass and the central trims its log.
    let (status, _) = central
        .post_observations(&client(), &minutes_batch(-30, 30))
        .await;
    assert_eq!(status, 200);
    central.clock.advance(2 * DAY_MS);
    let (status, _) = central
        .post_observations(&client(), &minutes_batch(0, 5))
        .await;
    assert_eq!(status, 200);
    let last = head(&central).await;
    // Two days on, the sessions of before have expired: log in again.
    let credentials = remembered_session(&central, dir.path()).await;
    let admin = client_with(central.admin_login().await.token.expose());
    within("the log trimmed past the desk's cursor", async {
        loop {
            let answer = admin
                .get(central.url("/changes"))
                .query(&[("after", Cursor::from_seq(first).to_string())])
                .send()
                .await
                .unwrap();
            if answer.status() == 410 {
                let body: serde_json::Value = answer.json().await.unwrap();
                assert_eq!(body["error"], "cursor_expired");
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    // The live stream refuses the same resume rather than skip what was trimmed.
    let stream = admin
        .get(central.url("/stream"))
        .header("Last-Event-ID", Cursor::from_seq(first).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 410);

    let mut desk = Desk::start(&central.base(), &cache, &credentials);
    desk.until_synced_to(last).await;
    let everything = Timestamp(i64::MIN / 2);
    assert_eq!(
        values_after(&cache, full_from(now())),
        values_after(central.db_path(), full_from(now())),
        "nothing lost, nothing doubled"
    );
    assert!(!values_after(&cache, everything).is_empty());
}
