//! A desk's bootstrap: what `GET /snapshot` and its parts answer. A desk that has never
//! synced (or whose cursor expired, or whose central was replaced) installs a snapshot instead
//! of replaying the change log from its start, then follows the log from the snapshot's cursor.
//!
//! ```text
//! GET /snapshot                       cursor, instance, network, maintenance, the last day's hours
//!                                     (one read transaction: consistent with its cursor)
//! GET /snapshot/chunks?from=&to=      older hours of every series, a day per request, recent first
//! GET /snapshot/rollups?from=&to=     daily rollups before `full_from`, a year per request
//! GET /observations/chunks?station=&element=&from=&to=   one series' hours, on demand
//! ```
//!
//! Parts read after the head are never older than its cursor, and following the log from the
//! cursor replaces every hour changed since: a desk that installs every part before following
//! the log ends equal to the central.

use serde::{Deserialize, Serialize};

use super::dto::NetworkDto;
use super::feed::{Base64Bytes, ChunkDto, Cursor};
use super::history::MaintenanceDto;
use crate::domain::history::{Aggregate, Level};
use crate::domain::time::{DAY_MS, HOUR_MS, Timestamp};
use crate::domain::{Element, StationId};

/// Days of every series a snapshot moves at full resolution (as chunks); before them, daily
/// rollups only.
pub const FULL_RESOLUTION_DAYS: i64 = 7;

/// Hours of every series the snapshot's head carries: the live screen's window
/// (`console::state::RECENT_WINDOW_MS`, a day and the hours before it).
pub const HEAD_HOURS: i64 = 26;

/// Widest range of `GET /snapshot/chunks` (every series): one day.
pub const MAX_SNAPSHOT_CHUNK_MS: i64 = DAY_MS;

/// Widest range of `GET /snapshot/rollups`: a year of daily rollups of every series.
pub const MAX_SNAPSHOT_ROLLUP_MS: i64 = 366 * DAY_MS;

/// Widest range of `GET /observations/chunks` (one series), as the series route: 31 days.
pub const MAX_SERIES_CHUNK_MS: i64 = 31 * DAY_MS;

/// The snapshot's head: everything a desk needs to show its live screen, read in one
/// transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotHead {
    /// Follow the change log from here once every part is installed.
    pub cursor: Cursor,
    /// The central database's identity (as `/health` says it).
    pub instance: String,
    /// The central's clock when the snapshot was taken.
    pub taken_at: Timestamp,
    /// Hours starting at or after this are moved as chunks; before it, daily rollups only.
    /// A Beijing-time day start, so every day is either whole or rollups only.
    pub full_from: Timestamp,
    /// Hours starting at or after this are in `chunks` below; ask `/snapshot/chunks` for the
    /// hours in `[full_from, recent_from)`.
    pub recent_from: Timestamp,
    /// The station network.
    pub network: NetworkDto,
    /// Every maintenance window.
    pub maintenance: Vec<MaintenanceDto>,
    /// Every warning record, newest first (a central before warnings sends none).
    #[serde(default)]
    pub warnings: Vec<super::warnings::WarningRecord>,
    /// The start of the oldest stored hour of any series (`None`: nothing stored): daily
    /// rollups reach back to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest: Option<Timestamp>,
    /// Every series' hours starting at or after `recent_from`, newest first.
    pub chunks: Vec<ChunkDto>,
}

/// `GET /snapshot/chunks` and `GET /observations/chunks`: stored hours, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkPage {
    /// The hours (empty ones are not stored, so not sent).
    pub chunks: Vec<ChunkDto>,
}

/// One series' rollups of one level, packed: per bucket its start (`i64` ms), the length of
/// its encoded aggregate (`u16`) and the aggregate (`store::rollups` encoding), little-endian,
/// the whole deflated (RFC 1951).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupSeries {
    /// Station id.
    pub station: String,
    /// Element.
    pub element: Element,
    /// Level of every bucket.
    pub level: Level,
    /// The packed buckets.
    pub data: Base64Bytes,
}

/// `GET /snapshot/rollups`: daily rollups of every series, for the period a desk holds only
/// as rollups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupPage {
    /// Per series.
    pub series: Vec<RollupSeries>,
}

/// `GET /snapshot/chunks` and `/snapshot/rollups`: `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRangeQuery {
    /// Start, inclusive, RFC 3339.
    pub from: String,
    /// End, exclusive, RFC 3339.
    pub to: String,
}

/// `GET /observations/chunks`: one series' hours starting in `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesChunksQuery {
    /// Station id.
    pub station: String,
    /// Element code.
    pub element: String,
    /// Start, inclusive, RFC 3339.
    pub from: String,
    /// End, exclusive, RFC 3339.
    pub to: String,
}

/// Packs `(bucket start, aggregate bytes)` rows as [`RollupSeries::data`].
pub fn pack_rollups<'a>(rows: impl IntoIterator<Item = (Timestamp, &'a [u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (start, bytes) in rows {
        out.extend_from_slice(&start.millis().to_le_bytes());
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&bytes[..usize::from(len)]);
    }
    out
}

/// The inverse of [`pack_rollups`]; `None` for bytes it did not write.
pub fn unpack_rollups(mut bytes: &[u8]) -> Option<Vec<(Timestamp, &[u8])>> {
    let mut rows = Vec::new();
    while !bytes.is_empty() {
        let start = i64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        let len = usize::from(u16::from_le_bytes(bytes.get(8..10)?.try_into().ok()?));
        rows.push((Timestamp(start), bytes.get(10..10 + len)?));
        bytes = &bytes[10 + len..];
    }
    Some(rows)
}

/// Where a snapshot taken at `now` moves full resolution from: the Beijing-time day start
/// [`FULL_RESOLUTION_DAYS`] days back.
pub fn full_from(now: Timestamp) -> Timestamp {
    Level::Day.parent_of(now.plus_ms(-FULL_RESOLUTION_DAYS * DAY_MS))
}

/// Where the head's own hours start: [`HEAD_HOURS`] whole hours back from `now`'s hour, never
/// before `full_from`.
pub fn recent_from(now: Timestamp) -> Timestamp {
    Level::Hour
        .bucket_of(now)
        .plus_ms(-(HEAD_HOURS - 1) * HOUR_MS)
        .max(full_from(now))
}

/// Most bytes one series' packed rollups may inflate to: a year of days with both summaries
/// is about 60 kB.
const MAX_INFLATED_BYTES: u64 = 1 << 20;

/// `bytes` deflated (rollups of smooth series shrink about fourfold).
fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// The inverse of [`deflate`], refusing more than [`MAX_INFLATED_BYTES`].
fn inflate(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() as u64 <= MAX_INFLATED_BYTES).then_some(out)
}

/// A rollup page's series: one station, one element, the aggregates at `level`.
pub fn rollup_series(
    station: &StationId,
    element: Element,
    level: Level,
    rows: &[(Timestamp, Vec<u8>)],
) -> RollupSeries {
    RollupSeries {
        station: station.to_string(),
        element,
        level,
        data: Base64Bytes(deflate(&pack_rollups(
            rows.iter().map(|(t, b)| (*t, b.as_slice())),
        ))),
    }
}

/// The aggregates of a packed series, decoded with `decode` (`store::rollups::decode`).
pub fn rollup_rows(
    series: &RollupSeries,
    decode: impl Fn(&[u8], Timestamp) -> Option<Aggregate>,
) -> Option<Vec<(Timestamp, Aggregate)>> {
    let packed = inflate(&series.data.0)?;
    unpack_rollups(&packed)?
        .into_iter()
        .map(|(t, bytes)| decode(bytes, t).map(|a| (t, a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollups_pack_and_unpack() {
        let rows: Vec<(Timestamp, Vec<u8>)> = vec![
            (Timestamp(0), vec![1, 2, 3]),
            (Timestamp(-5), vec![]),
            (Timestamp(86_400_000), vec![9; 156]),
        ];
        let packed = pack_rollups(rows.iter().map(|(t, b)| (*t, b.as_slice())));
        let unpacked = unpack_rollups(&packed).unwrap();
        assert_eq!(unpacked.len(), 3);
        for ((t, b), (ut, ub)) in rows.iter().zip(unpacked) {
            assert_eq!((*t, b.as_slice()), (ut, ub));
        }
        assert!(unpack_rollups(&packed[..packed.len() - 1]).is_none());
        assert!(unpack_rollups(&[1, 2, 3]).is_none());
        assert_eq!(unpack_rollups(&[]).unwrap().len(), 0);
    }

    #[test]
    fn a_series_travels_deflated_and_comes_back_whole() {
        let rows: Vec<(Timestamp, Vec<u8>)> = (0..365)
            .map(|day| {
                (
                    Timestamp(day * DAY_MS),
                    vec![1, 0, day as u8, 7, 7, 7, 7, 7],
                )
            })
            .collect();
        let station = StationId::parse("58819").unwrap();
        let series = rollup_series(&station, Element::Tem, Level::Day, &rows);
        assert!(
            series.data.0.len()
                < pack_rollups(rows.iter().map(|(t, b)| (*t, b.as_slice()))).len() / 2
        );
        let back = rollup_rows(&series, |b, _| {
            Some(Aggregate::of(&crate::domain::history::Sample::live(
                Timestamp(i64::from(b[2])),
                0.0,
            )))
        })
        .unwrap();
        assert_eq!(back.len(), 365);
        assert_eq!(back[3].0, Timestamp(3 * DAY_MS));
        let bomb = deflate(&vec![0; 2 << 20]);
        assert_eq!(
            inflate(&bomb),
            None,
            "more than a series can hold is refused"
        );
        assert_eq!(inflate(&[1, 2, 3]), None);
    }

    #[test]
    fn full_resolution_starts_at_a_beijing_midnight_a_week_back() {
        let table = [
            // now (UTC), full_from (a Beijing midnight), recent_from (the hour holding now
            // and 25 before it: at 16:00 sharp that hour is 15:00–16:00)
            (
                "2026-12-07T00:30:00Z",
                "2026-11-29T16:00:00Z",
                "2026-12-05T23:00:00Z",
            ),
            (
                "2026-12-07T16:00:00Z",
                "2026-11-30T16:00:00Z",
                "2026-12-06T14:00:00Z",
            ),
        ];
        for (now, full, recent) in table {
            let now = Timestamp::parse_rfc3339(now).unwrap();
            assert_eq!(full_from(now).to_rfc3339(), full, "{now}");
            assert_eq!(recent_from(now).to_rfc3339(), recent, "{now}");
        }
    }
}
