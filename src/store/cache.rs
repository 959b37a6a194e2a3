//! The console's local cache: the network, observations and the sync cursor, so a duty desk
//! keeps showing data when the central cannot be reached. The central is the truth: the cache
//! overwrites on conflict and advances its cursor in the same transaction as the data.

pub mod snapshot;
pub mod warnings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

use super::observations;
use super::sqlite::{self, Migration};
use super::{Context as _, StoreError};
use super::{history, maintenance, rollups};

mod feed;

use crate::domain::audit::{ChainHash, HeadRegression, head_regression, head_text, parse_head};
use crate::domain::history::{Sample, SeriesView, ViewRequest};
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::qc::QcFlags;
use crate::domain::{Element, Network, Observation, StationId, Timestamp};
use feed::CURSOR_KEY;
pub use feed::{Applied, HourChunk, Skipped, SyncBatch};

const MIGRATIONS: [Migration; 10] = [
    Migration {
        name: "observations",
        sql: observations::SCHEMA,
    },
    Migration {
        name: "sync metadata",
        sql: "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    },
    Migration {
        name: "observations in hourly chunks",
        sql: observations::CHUNKS_SCHEMA,
    },
    Migration {
        name: "observation rollups",
        sql: rollups::SCHEMA,
    },
    Migration {
        name: "maintenance windows",
        sql: maintenance::SCHEMA,
    },
    Migration {
        name: "sync cursor as the central's text",
        sql: feed::CURSOR_AS_TEXT,
    },
    Migration {
        name: "rollups-only periods",
        sql: snapshot::SCHEMA,
    },
    Migration {
        name: "hour aggregates in the chunk rows",
        sql: observations::HOUR_IN_CHUNKS,
    },
    Migration {
        name: "warning records and drafts",
        sql: warnings::SCHEMA,
    },
    Migration {
        name: "drafts kept per user",
        sql: warnings::DRAFT_OWNER,
    },
];

const INSTANCE_KEY: &str = "central_instance";
const NETWORK_KEY: &str = "network";
/// The newest audit head seen from the central (`SEQ:HASH`): the desk's anchor of its log.
const AUDIT_HEAD_KEY: &str = "audit_head";

/// A change of the central's feed, in domain terms: each kind a desk reads decodes into one of
/// these (`console::backend::kinds`), and each is applied here.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheChange {
    /// Hours of series the central changed: each is replaced by the chunk sent with it.
    Hours(Vec<(StationId, Element, Timestamp)>),
    /// New values, with the QC flags of those that failed a test.
    Observation {
        /// The values.
        observation: Observation,
        /// Flags per element (absent: passed).
        qc: BTreeMap<Element, QcFlags>,
    },
    /// New flags for values already stored.
    Qc {
        /// Station.
        station: StationId,
        /// Observation time.
        time: Timestamp,
        /// Flags per element, replacing the old ones.
        flags: BTreeMap<Element, QcFlags>,
    },
    /// A maintenance window, as it is now.
    Maintenance(MaintenanceWindow),
    /// A warning record of the central, as it is now.
    Warning(warnings::SyncedWarning),
    /// A 叫应 line's step: nothing is kept, the screens are told.
    Callout(crate::domain::callout::LineStep),
    /// A station joined the network or changed: the cached network takes it.
    Station(crate::domain::Station),
    /// A device was registered or changed, or its status changed: the devices screen reads
    /// the registry again (nothing is kept).
    Device(crate::domain::devices::DeviceId),
    /// A device alarm changed: the devices screen reads the alarms again.
    Alarm(u64),
    /// A relay's command, observed state or proposal changed: the devices screen reads the
    /// relays again (nothing is kept).
    Relay(crate::domain::devices::DeviceId),
}

impl CacheChange {
    /// New values without QC flags.
    pub fn observation(observation: Observation) -> Self {
        Self::Observation {
            observation,
            qc: BTreeMap::new(),
        }
    }
}

/// The console's cache database.
#[derive(Debug)]
pub struct CacheDb {
    conn: Connection,
}

/// What [`CacheDb::open_or_recover`] had to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The cache opened normally.
    None,
    /// The file was damaged; it was moved aside and a fresh cache started.
    MovedAside {
        /// Where the damaged file now is.
        to: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
}

/// Removes inside `tx` everything synced from the central: observations and their rollups,
/// maintenance windows, the periods held as rollups only, the cursor and the kinds skipped
/// (they went with the rest). The network and the central's identity stay.
fn empty_synced(tx: &Connection) -> Result<(), StoreError> {
    tx.execute_batch(
        "DELETE FROM chunks; DELETE FROM rollups; DELETE FROM maintenance;
         DELETE FROM rollups_only; DELETE FROM warning_records;",
    )
    .context("emptying the cache")?;
    tx.execute("DELETE FROM meta WHERE key = ?1", [CURSOR_KEY])
        .context("forgetting the cursor")?;
    feed::write_skipped(tx, &Skipped::default())
}

impl CacheDb {
    /// Opens (creating if needed) the cache at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = sqlite::open(path)?;
        sqlite::migrate(&mut conn, &MIGRATIONS)?;
        observations::upgrade(&mut conn)?;
        Ok(Self { conn })
    }

    /// Opens the cache; if the file is damaged or not ours, moves it aside (it is only a copy
    /// of the central's data, but the file is kept for inspection) and starts a fresh one.
    pub fn open_or_recover(path: &Path, now: Timestamp) -> Result<(Self, Recovery), StoreError> {
        match Self::open(path) {
            Ok(cache) => Ok((cache, Recovery::None)),
            Err(error @ (StoreError::Corrupt { .. } | StoreError::Sqlite { .. }))
                if path.exists() =>
            {
                let to = path.with_extension(format!("corrupt-{}", now.millis()));
                std::fs::rename(path, &to).map_err(|e| StoreError::Corrupt {
                    path: path.display().to_string(),
                    reason: format!("{error}; could not move it aside: {e}"),
                })?;
                for suffix in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", path.display()));
                    let _ = std::fs::remove_file(side); // belongs to the damaged file
                }
                let cache = Self::open(path)?;
                Ok((
                    cache,
                    Recovery::MovedAside {
                        to,
                        reason: error.to_string(),
                    },
                ))
            }
            Err(error) => Err(error),
        }
    }

    /// An in-memory cache, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut conn = sqlite::open_in_memory()?;
        sqlite::migrate(&mut conn, &MIGRATIONS)?;
        observations::upgrade(&mut conn)?;
        Ok(Self { conn })
    }

    /// The database itself, for the store's own tests.
    #[cfg(test)]
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .context("reading cache metadata")
    }

    /// Forgets the cursor so the next sync starts from the beginning (the central's log was
    /// reset). Cached observations stay; re-synced ones overwrite them.
    pub fn reset_cursor(&self) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [CURSOR_KEY])
            .context("resetting cursor")?;
        Ok(())
    }

    /// Forgets everything synced from the central — observations, their rollups, maintenance
    /// windows and the cursor — in one transaction, so the next sync rebuilds the cache from a
    /// replaced central (a restored backup lacks what came after it: keeping those values would
    /// leave the desk silently different from the central). The network stays.
    pub fn forget_synced(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction().context("starting cache reset")?;
        empty_synced(&tx)?;
        tx.commit().context("committing cache reset")
    }

    /// Records which central database this cache follows. When it followed another one (the
    /// central was replaced or restored from a backup: its change log is another) the cache
    /// forgets what it synced ([`CacheDb::forget_synced`]) and sync starts over. Returns
    /// whether it did.
    pub fn adopt_central(&mut self, instance: &str) -> Result<bool, StoreError> {
        let previous = self.meta(INSTANCE_KEY)?;
        let reset = previous.as_deref().is_some_and(|p| p != instance);
        if reset {
            self.forget_synced()?;
        }
        if previous.as_deref() != Some(instance) {
            self.set_meta(INSTANCE_KEY, instance)?;
        }
        Ok(reset)
    }

    /// Compares the central's audit head `now` with the newest this desk saw, and remembers
    /// `now` unless it went backwards (so the regression keeps being reported until someone
    /// looks into it). With `replaced` (another central database) the old anchor does not
    /// apply: `now` becomes the anchor.
    pub fn remember_audit_head(
        &self,
        now: Option<(u64, ChainHash)>,
        replaced: bool,
    ) -> Result<Option<HeadRegression>, StoreError> {
        let seen = self
            .meta(AUDIT_HEAD_KEY)?
            .and_then(|text| parse_head(&text));
        let regression = seen
            .filter(|_| !replaced)
            .and_then(|seen| head_regression(seen, now));
        if regression.is_none() {
            match now {
                Some(head) => self.set_meta(AUDIT_HEAD_KEY, &head_text(head))?,
                None => {
                    self.conn
                        .execute("DELETE FROM meta WHERE key = ?1", [AUDIT_HEAD_KEY])
                        .context("forgetting the audit head")?;
                }
            }
        }
        Ok(regression)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .context("writing cache metadata")?;
        Ok(())
    }

    /// The network as last received from the central.
    pub fn network(&self) -> Result<Option<Network>, StoreError> {
        let Some(json) = self.meta(NETWORK_KEY)? else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| StoreError::Decode(format!("network: {e}")))
    }

    /// Remembers the network.
    pub fn save_network(&self, network: &Network) -> Result<(), StoreError> {
        let json = serde_json::to_string(network).map_err(|e| StoreError::Decode(e.to_string()))?;
        self.set_meta(NETWORK_KEY, &json)
    }

    /// Every maintenance window (of one station, if given), newest first.
    pub fn maintenance(
        &self,
        station: Option<&StationId>,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        maintenance::list(&self.conn, station)
    }

    /// Every observation at or after `from`, with the flags of the values that failed a test:
    /// what the console shows before the central answers.
    pub fn since(
        &self,
        from: Timestamp,
    ) -> Result<(Vec<Observation>, Vec<crate::domain::qc::QcMark>), StoreError> {
        observations::since(&self.conn, from)
    }

    /// One series, `from..=to`.
    pub fn series(
        &self,
        station: &StationId,
        element: Element,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, f64)>, StoreError> {
        observations::series(&self.conn, station, element, from, to)
    }

    /// A series view with its gaps classified (see [`history::series_view`]).
    pub fn series_view(
        &self,
        request: &ViewRequest,
        maintenance: &[MaintenanceWindow],
        now: Timestamp,
    ) -> Result<SeriesView, StoreError> {
        history::series_view(&self.conn, request, maintenance, now)
    }

    /// One series' values with provenance and QC flags, stamped in `(after, until]`.
    pub fn samples(
        &self,
        station: &StationId,
        element: Element,
        after: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Sample>, StoreError> {
        observations::samples(&self.conn, station, element, after, until)
    }

    /// The newest value of every element at every station.
    pub fn latest(&self) -> Result<observations::LatestValues, StoreError> {
        observations::latest(&self.conn)
    }

    /// Opens a second connection to the cache at `path` that only reads: the history screen
    /// reads through it while sync writes through the first (WAL lets them run at once). The
    /// cache must already exist (opened with [`CacheDb::open`]).
    pub fn open_reader(path: &Path) -> Result<Self, StoreError> {
        let conn = sqlite::open(path)?;
        conn.pragma_update(None, "query_only", true)
            .context("making the cache reader read-only")?;
        Ok(Self { conn })
    }

    /// Number of stored values, for tests and diagnostics.
    pub fn value_count(&self) -> Result<u64, StoreError> {
        rollups::value_count(&self.conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Source;

    fn change(minute: i64, tem: f64) -> CacheChange {
        let observation = Observation {
            station: StationId::parse("58819").unwrap(),
            time: Timestamp(minute * 60_000),
            source: Source::Live,
            values: [(Element::Tem, tem)].into(),
        };
        CacheChange::observation(observation)
    }

    #[test]
    fn a_different_central_restarts_the_cursor() {
        let mut cache = CacheDb::in_memory().unwrap();
        assert!(
            !cache.adopt_central("a").unwrap(),
            "first central: nothing to reset"
        );
        cache
            .apply_batch(SyncBatch {
                changes: vec![change(1, 1.0)],
                cursor: Some("s1.1".into()),
                skipped: [("warning".to_owned(), 2)].into(),
                skipped_from: Some("s1.0".into()),
                ..SyncBatch::default()
            })
            .unwrap();
        assert!(!cache.adopt_central("a").unwrap());
        assert_eq!(cache.cursor().unwrap().as_deref(), Some("s1.1"));
        assert!(cache.adopt_central("b").unwrap());
        assert_eq!(cache.cursor().unwrap(), None);
        assert_eq!(cache.skipped().unwrap(), Skipped::default());
        assert_eq!(
            cache.value_count().unwrap(),
            0,
            "a replaced central's values are re-synced, never kept"
        );
        assert!(cache.since(Timestamp(0)).unwrap().0.is_empty());
    }

    #[test]
    fn the_newest_audit_head_is_remembered_and_a_regression_kept_until_resolved() {
        let cache = CacheDb::in_memory().unwrap();
        let (a, b) = (ChainHash([1; 32]), ChainHash([2; 32]));
        assert_eq!(
            cache.remember_audit_head(Some((5, a)), false).unwrap(),
            None
        );
        assert_eq!(
            cache.remember_audit_head(Some((9, b)), false).unwrap(),
            None
        );
        let regression = cache.remember_audit_head(Some((7, a)), false).unwrap();
        assert_eq!(
            regression,
            Some(HeadRegression {
                seen: (9, b),
                now: Some((7, a))
            })
        );
        // Still reported on the next connection: the anchor did not move back.
        assert!(
            cache
                .remember_audit_head(Some((8, a)), false)
                .unwrap()
                .is_some()
        );
        // Another central database (a new instance id) starts a new anchor.
        assert_eq!(cache.remember_audit_head(Some((2, a)), true).unwrap(), None);
        assert_eq!(
            cache.remember_audit_head(Some((3, b)), false).unwrap(),
            None
        );
    }

    #[test]
    fn network_round_trips() {
        let cache = CacheDb::in_memory().unwrap();
        assert_eq!(cache.network().unwrap(), None);
        let network = crate::assets::qingliu_network().unwrap();
        cache.save_network(&network).unwrap();
        assert_eq!(cache.network().unwrap(), Some(network));
    }

    #[test]
    fn qc_rejudgements_and_maintenance_follow_the_change_log() {
        use crate::domain::qc::QcTest;
        let mut cache = CacheDb::in_memory().unwrap();
        let station = StationId::parse("58819").unwrap();
        cache.apply(vec![change(1, 1.0), change(2, 1.0)]).unwrap();
        let stuck = QcFlags::PASSED.with(QcTest::Persistence);
        let window = MaintenanceWindow {
            id: 7,
            station: station.clone(),
            from: Timestamp(0),
            to: None,
            note: "校准雨量筒".into(),
            recorded_by: "chenjie".into(),
        };
        let applied = cache
            .apply(vec![
                CacheChange::Qc {
                    station: station.clone(),
                    time: Timestamp(60_000),
                    flags: [(Element::Tem, stuck)].into(),
                },
                CacheChange::Maintenance(window.clone()),
            ])
            .unwrap();
        assert_eq!(applied.rejudged, [(station.clone(), Timestamp(60_000))]);
        assert_eq!(applied.maintenance, std::slice::from_ref(&window));
        let samples = cache
            .samples(
                &station,
                Element::Tem,
                Timestamp(0),
                Timestamp(i64::MAX / 2),
            )
            .unwrap();
        assert_eq!(
            samples.iter().map(|s| s.qc).collect::<Vec<_>>(),
            [stuck, QcFlags::PASSED]
        );
        // The window ends later: the newer state replaces the older.
        let ended = MaintenanceWindow {
            to: Some(Timestamp(3_600_000)),
            ..window
        };
        cache
            .apply(vec![CacheChange::Maintenance(ended.clone())])
            .unwrap();
        assert_eq!(cache.maintenance(Some(&station)).unwrap(), [ended]);
    }

    #[test]
    fn a_damaged_cache_is_moved_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        std::fs::write(
            &path,
            b"this is not a database, it is a note left by someone",
        )
        .unwrap();
        let (cache, recovery) = CacheDb::open_or_recover(&path, Timestamp(42)).unwrap();
        assert_eq!(cache.cursor().unwrap(), None);
        let Recovery::MovedAside { to, .. } = recovery else {
            panic!("expected recovery")
        };
        assert!(to.exists());
        assert_eq!(
            std::fs::read(&to).unwrap(),
            b"this is not a database, it is a note left by someone"
        );
    }
}
