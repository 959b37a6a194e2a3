//! Following the central's change feed: applying a batch (a page, or live events) with its
//! cursor in one transaction, hours replaced by the central's chunks, and the record of changes
//! this build could not read (skipped and counted, to be replayed by a build that can).
//!
//! The cursor is the central's text: the cache stores and returns it, never reads inside it.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension as _, params};

use super::{CacheChange, CacheDb};
use crate::domain::history::Sample;
use crate::domain::qc::{QcFlags, QcMark};
use crate::domain::{Element, Observation, StationId, Timestamp};
use crate::store::chunk::Chunk;
use crate::store::observations::{OnConflict, Writer, decode_hour};
use crate::store::{Context as _, StoreError, maintenance};

pub(super) const CURSOR_KEY: &str = "cursor";
const SKIPPED_KINDS_KEY: &str = "skipped_kinds";
const SKIPPED_FROM_KEY: &str = "skipped_from";

/// A protocol-1 cache counted the central's `seq`; protocol 2's central names that same
/// position `s1.<seq in hex>`, so the cache keeps its place across the upgrade.
pub(super) const CURSOR_AS_TEXT: &str = "
UPDATE meta SET value = 's1.' || printf('%x', CAST(value AS INTEGER))
 WHERE key = 'cursor' AND value <> '' AND value NOT GLOB '*[^0-9]*';
";

/// One hour as the central holds it now (`bytes` empty: the hour holds nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourChunk {
    /// Station.
    pub station: StationId,
    /// Element.
    pub element: Element,
    /// The chunk's start.
    pub start: Timestamp,
    /// Its bytes as the central stores them.
    pub bytes: Vec<u8>,
}

/// What one batch of the feed brings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncBatch {
    /// The changes this build reads, in log order.
    pub changes: Vec<CacheChange>,
    /// The chunks of the hours the changes name.
    pub chunks: Vec<HourChunk>,
    /// Where the cursor moves once the batch is applied (`None`: a replay, which leaves it).
    pub cursor: Option<String>,
    /// Changes skipped (kinds this build does not read), counted per kind.
    pub skipped: BTreeMap<String, u64>,
    /// The cursor just before the first skipped change, if any was skipped.
    pub skipped_from: Option<String>,
}

/// Changes the desk could not read and will replay once it can.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Where a replay starts: the cursor just before the first change skipped.
    pub from: Option<String>,
    /// How many of each kind.
    pub kinds: BTreeMap<String, u64>,
}

impl Skipped {
    /// How many changes, of every kind.
    pub fn total(&self) -> u64 {
        self.kinds.values().sum()
    }
}

/// What applying changes did, for the screens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// New or changed values.
    pub observations: Vec<Observation>,
    /// Values whose QC flags changed (or that the central removed): station and time.
    pub rejudged: Vec<(StationId, Timestamp)>,
    /// The flags of values that arrived failing a test, and the new flags of re-judged ones.
    pub flags: Vec<QcMark>,
    /// Maintenance windows recorded or changed.
    pub maintenance: Vec<crate::domain::maintenance::MaintenanceWindow>,
    /// Warning records arrived or changed.
    pub warnings: bool,
    /// 叫应 lines that changed.
    pub callouts: Vec<crate::domain::callout::LineStep>,
    /// The network, when a station joined it or changed.
    pub network: Option<crate::domain::Network>,
    /// Devices registered, changed, or whose status changed.
    pub devices: Vec<crate::domain::devices::DeviceId>,
    /// Device alarms that changed.
    pub alarms: Vec<u64>,
    /// Devices whose relays changed (a command, a reading, a proposal).
    pub relays: Vec<crate::domain::devices::DeviceId>,
}

impl CacheDb {
    /// The cursor to continue the feed from (`None`: nothing synced yet).
    pub fn cursor(&self) -> Result<Option<String>, StoreError> {
        self.meta(CURSOR_KEY)
    }

    /// Changes skipped so far and not yet replayed.
    pub fn skipped(&self) -> Result<Skipped, StoreError> {
        read_skipped(&self.conn)
    }

    /// Forgets the skipped changes of `kinds` (replayed); the record goes when none remain.
    pub fn clear_skipped(&self, kinds: &[String]) -> Result<Skipped, StoreError> {
        let mut skipped = self.skipped()?;
        skipped.kinds.retain(|kind, _| !kinds.contains(kind));
        write_skipped(&self.conn, &skipped)?;
        Ok(skipped)
    }

    /// Applies changes outside the feed (tests, benchmarks): as [`CacheDb::apply_batch`]
    /// without moving the cursor.
    pub fn apply(&mut self, changes: Vec<CacheChange>) -> Result<Applied, StoreError> {
        self.apply_batch(SyncBatch {
            changes,
            ..SyncBatch::default()
        })
    }

    /// Applies a batch of the feed in one transaction with its cursor and its skipped
    /// changes. Re-applying what was applied changes nothing (hours are replaced, windows
    /// upserted), so a replayed page or event is harmless.
    pub fn apply_batch(&mut self, batch: SyncBatch) -> Result<Applied, StoreError> {
        let tx = self
            .conn
            .transaction()
            .context("starting sync transaction")?;
        let mut applied = Applied::default();
        let mut writer = Writer::new(&tx);
        let mut chunks: BTreeMap<(StationId, Element, Timestamp), Vec<u8>> = batch
            .chunks
            .into_iter()
            .map(|c| ((c.station, c.element, c.start), c.bytes))
            .collect();
        for change in batch.changes {
            match change {
                CacheChange::Hours(hours) => {
                    for hour in hours {
                        // Each chunk once: a later change naming the hour has nothing newer.
                        if let Some(bytes) = chunks.remove(&hour) {
                            replace_hour(&mut writer, hour, &bytes, &mut applied)?;
                        }
                    }
                }
                CacheChange::Observation { observation, qc } => {
                    writer.insert(&observation, OnConflict::Replace, &qc)?;
                    applied
                        .flags
                        .extend(marks(&observation.station, observation.time, &qc));
                    applied.observations.push(observation);
                }
                CacheChange::Qc {
                    station,
                    time,
                    flags,
                } => {
                    for (&element, &f) in &flags {
                        writer.set_qc(&station, element, time, f)?;
                    }
                    applied.flags.extend(marks(&station, time, &flags));
                    applied.rejudged.push((station, time));
                }
                CacheChange::Maintenance(window) => {
                    maintenance::upsert(&tx, &window)?;
                    applied.maintenance.push(window);
                }
                CacheChange::Warning(warning) => {
                    super::warnings::upsert(&tx, &warning)?;
                    applied.warnings = true;
                }
                CacheChange::Callout(step) => applied.callouts.push(step),
                CacheChange::Station(station) => {
                    applied.network = Some(with_station(&tx, station)?);
                }
                CacheChange::Device(id) => applied.devices.push(id),
                CacheChange::Alarm(id) => applied.alarms.push(id),
                CacheChange::Relay(id) => applied.relays.push(id),
            }
        }
        writer.finish()?;
        applied.observations = by_record(std::mem::take(&mut applied.observations));
        applied.rejudged.sort();
        applied.rejudged.dedup();
        if let Some(cursor) = &batch.cursor {
            set_meta(&tx, CURSOR_KEY, cursor)?;
        }
        if !batch.skipped.is_empty() {
            let mut skipped = read_skipped(&tx)?;
            for (kind, n) in batch.skipped {
                *skipped.kinds.entry(kind).or_default() += n;
            }
            skipped.from = skipped.from.or(batch.skipped_from);
            write_skipped(&tx, &skipped)?;
        }
        tx.commit().context("committing sync batch")?;
        Ok(applied)
    }
}

/// The cached network with `station` added or replaced, saved.
fn with_station(
    conn: &rusqlite::Connection,
    station: crate::domain::Station,
) -> Result<crate::domain::Network, StoreError> {
    let mut network: crate::domain::Network = match meta(conn, super::NETWORK_KEY)? {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| StoreError::Decode(format!("network: {e}")))?
        }
        None => crate::domain::Network::default(),
    };
    network.stations.retain(|s| s.id != station.id);
    network.stations.push(station);
    network.stations.sort_by(|a, b| a.id.cmp(&b.id));
    let json = serde_json::to_string(&network).map_err(|e| StoreError::Decode(e.to_string()))?;
    set_meta(conn, super::NETWORK_KEY, &json)?;
    Ok(network)
}

/// Replaces one hour with the central's bytes and reports how it differs from before.
fn replace_hour(
    writer: &mut Writer<'_>,
    (station, element, start): (StationId, Element, Timestamp),
    bytes: &[u8],
    applied: &mut Applied,
) -> Result<(), StoreError> {
    let chunk = if bytes.is_empty() {
        Chunk::default()
    } else {
        decode_hour(start, element, bytes)?
    };
    let after = chunk.samples().to_vec();
    let before = writer.replace_hour(&station, element, start, chunk)?;
    let (arrived, rejudged) = differences(before.samples(), &after);
    let flagged = after.iter().filter(|s| {
        rejudged.contains(&s.time) || (!s.qc.passed() && arrived.iter().any(|a| a.time == s.time))
    });
    applied.flags.extend(flagged.map(|s| QcMark {
        station: station.clone(),
        element,
        time: s.time,
        flags: s.qc,
    }));
    for sample in arrived {
        applied.observations.push(Observation {
            station: station.clone(),
            time: sample.time,
            source: sample.source,
            values: BTreeMap::from([(element, sample.value)]),
        });
    }
    applied
        .rejudged
        .extend(rejudged.into_iter().map(|time| (station.clone(), time)));
    Ok(())
}

/// The flags of one record's values, as marks.
fn marks<'a>(
    station: &'a StationId,
    time: Timestamp,
    flags: &'a BTreeMap<Element, QcFlags>,
) -> impl Iterator<Item = QcMark> + 'a {
    flags.iter().map(move |(&element, &flags)| QcMark {
        station: station.clone(),
        element,
        time,
        flags,
    })
}

/// Values gathered into one observation per station, instant and provenance (an hour's chunk
/// holds one element; the screens take a record at a time), in time order.
fn by_record(values: Vec<Observation>) -> Vec<Observation> {
    let mut records: BTreeMap<(Timestamp, StationId, u8), Observation> = BTreeMap::new();
    for obs in values {
        let key = (obs.time, obs.station.clone(), obs.source.storage_id());
        match records.entry(key) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(obs);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                slot.get_mut().values.extend(obs.values);
            }
        }
    }
    records.into_values().collect()
}

/// Between two versions of an hour (each in time order): the values that are new or changed,
/// and the instants whose flags alone changed or whose value is gone.
fn differences(before: &[Sample], after: &[Sample]) -> (Vec<Sample>, Vec<Timestamp>) {
    let mut arrived = Vec::new();
    let mut rejudged = Vec::new();
    for sample in after {
        match before.binary_search_by_key(&sample.time, |s| s.time) {
            Err(_) => arrived.push(*sample),
            Ok(at) => {
                let old = &before[at];
                if old.value.to_bits() != sample.value.to_bits() || old.source != sample.source {
                    arrived.push(*sample);
                } else if old.qc != sample.qc {
                    rejudged.push(sample.time);
                }
            }
        }
    }
    let gone = before
        .iter()
        .filter(|old| after.binary_search_by_key(&old.time, |s| s.time).is_err())
        .map(|old| old.time);
    rejudged.extend(gone);
    (arrived, rejudged)
}

fn meta(conn: &rusqlite::Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .context("reading cache metadata")
}

fn set_meta(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .context("writing cache metadata")?;
    Ok(())
}

fn read_skipped(conn: &rusqlite::Connection) -> Result<Skipped, StoreError> {
    let kinds = match meta(conn, SKIPPED_KINDS_KEY)? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Decode(format!("skipped kinds: {e}")))?,
        None => BTreeMap::new(),
    };
    Ok(Skipped {
        from: meta(conn, SKIPPED_FROM_KEY)?,
        kinds,
    })
}

/// Stores the record, or removes it when nothing is skipped any more.
pub(super) fn write_skipped(
    conn: &rusqlite::Connection,
    skipped: &Skipped,
) -> Result<(), StoreError> {
    if skipped.kinds.is_empty() {
        conn.execute(
            "DELETE FROM meta WHERE key IN (?1, ?2)",
            [SKIPPED_KINDS_KEY, SKIPPED_FROM_KEY],
        )
        .context("forgetting skipped changes")?;
        return Ok(());
    }
    let json =
        serde_json::to_string(&skipped.kinds).map_err(|e| StoreError::Decode(e.to_string()))?;
    set_meta(conn, SKIPPED_KINDS_KEY, &json)?;
    if let Some(from) = &skipped.from {
        set_meta(conn, SKIPPED_FROM_KEY, from)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Source;
    use crate::domain::qc::{QcFlags, QcTest};
    use crate::store::chunk::chunk_of;

    const HOUR: Timestamp = Timestamp(3_600_000);

    fn sample(minute: i64, value: f64, qc: QcFlags) -> Sample {
        Sample {
            time: HOUR.plus_ms(minute * 60_000),
            value,
            source: Source::Live,
            qc,
        }
    }

    fn bytes(samples: &[Sample]) -> Vec<u8> {
        let mut chunk = Chunk::default();
        for s in samples {
            chunk.write(*s, true);
        }
        chunk.encode(HOUR, Element::Tem)
    }

    fn station() -> StationId {
        StationId::parse("58819").unwrap()
    }

    fn hours_batch(data: Vec<u8>, cursor: &str) -> SyncBatch {
        SyncBatch {
            changes: vec![CacheChange::Hours(vec![(station(), Element::Tem, HOUR)])],
            chunks: vec![HourChunk {
                station: station(),
                element: Element::Tem,
                start: HOUR,
                bytes: data,
            }],
            cursor: Some(cursor.to_owned()),
            ..SyncBatch::default()
        }
    }

    #[test]
    fn differences_between_two_versions_of_an_hour() {
        let ok = QcFlags::PASSED;
        let stuck = ok.with(QcTest::Persistence);
        let before = [sample(1, 1.0, ok), sample(2, 2.0, ok), sample(3, 3.0, ok)];
        let after = [
            sample(1, 1.0, ok),
            sample(2, 2.0, stuck),
            sample(4, 4.0, ok),
        ];
        let (arrived, rejudged) = differences(&before, &after);
        assert_eq!(arrived, [sample(4, 4.0, ok)]);
        assert_eq!(rejudged, [sample(2, 0.0, ok).time, sample(3, 0.0, ok).time]);
        assert_eq!(differences(&after, &after), (vec![], vec![]));
    }

    #[test]
    fn an_hour_is_replaced_by_the_centrals_chunk_with_the_cursor() {
        let ok = QcFlags::PASSED;
        let mut cache = CacheDb::in_memory().unwrap();
        let first = [sample(1, 1.0, ok), sample(2, 2.0, ok)];
        let applied = cache
            .apply_batch(hours_batch(bytes(&first), "s1.1"))
            .unwrap();
        assert_eq!(applied.observations.len(), 2);
        assert_eq!(cache.cursor().unwrap().as_deref(), Some("s1.1"));
        let stuck = ok.with(QcTest::Persistence);
        let second = [sample(1, 1.0, stuck), sample(2, 2.5, ok)];
        let applied = cache
            .apply_batch(hours_batch(bytes(&second), "s1.2"))
            .unwrap();
        assert_eq!(applied.observations.len(), 1, "only the changed value");
        assert_eq!(applied.rejudged, [(station(), first[0].time)]);
        let flagged = QcMark {
            station: station(),
            element: Element::Tem,
            time: first[0].time,
            flags: stuck,
        };
        assert_eq!(applied.flags, [flagged], "the re-judged value's new flags");
        let stored = cache
            .samples(&station(), Element::Tem, HOUR, HOUR.plus_ms(3_600_000))
            .unwrap();
        assert_eq!(stored, second);
        // Applying it again changes nothing; an empty chunk removes the hour.
        let again = cache
            .apply_batch(hours_batch(bytes(&second), "s1.2"))
            .unwrap();
        assert_eq!(again, Applied::default());
        cache.apply_batch(hours_batch(Vec::new(), "s1.3")).unwrap();
        assert_eq!(cache.value_count().unwrap(), 0);
        assert_eq!(chunk_of(first[0].time), HOUR);
    }

    #[test]
    fn skipped_changes_are_counted_from_the_first_until_replayed() {
        let mut cache = CacheDb::in_memory().unwrap();
        let skip = |kinds: &[(&str, u64)], from: &str| SyncBatch {
            skipped: kinds.iter().map(|&(k, n)| (k.to_owned(), n)).collect(),
            skipped_from: Some(from.to_owned()),
            ..SyncBatch::default()
        };
        cache.apply_batch(skip(&[("warning", 2)], "s1.4")).unwrap();
        cache
            .apply_batch(skip(&[("warning", 1), ("relay", 5)], "s1.9"))
            .unwrap();
        let skipped = cache.skipped().unwrap();
        assert_eq!(skipped.from.as_deref(), Some("s1.4"), "the first one stays");
        assert_eq!(skipped.total(), 8);
        let left = cache.clear_skipped(&["warning".to_owned()]).unwrap();
        assert_eq!(left.kinds, BTreeMap::from([("relay".to_owned(), 5)]));
        cache.clear_skipped(&["relay".to_owned()]).unwrap();
        assert_eq!(cache.skipped().unwrap(), Skipped::default());
    }

    #[test]
    fn a_protocol_1_cursor_becomes_the_centrals_text() {
        use crate::store::sqlite;
        for (old, new) in [("0", "s1.0"), ("255", "s1.ff"), ("s1.a", "s1.a")] {
            let mut conn = sqlite::open_in_memory().unwrap();
            sqlite::migrate(&mut conn, &super::super::MIGRATIONS[..5]).unwrap();
            conn.execute("INSERT INTO meta (key, value) VALUES ('cursor', ?1)", [old])
                .unwrap();
            sqlite::migrate(&mut conn, &super::super::MIGRATIONS).unwrap();
            assert_eq!(meta(&conn, CURSOR_KEY).unwrap().as_deref(), Some(new));
        }
    }
}
