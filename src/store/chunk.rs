//! One hour of one series, as stored: the values stamped in `(start, start + 1 h]`, each with
//! its provenance and QC flags, encoded as one small blob.
//!
//! Storing an hour per row instead of a value per row makes everything history needs cheap: a
//! batch of a day's minutes for a station writes 24 rows per element instead of 1 440, a
//! 30-day series reads 720 rows, and the hour's rollups are computed from the chunk already in
//! memory. The hour is the `(start, end]` hour of [`Level::Hour`], so a chunk *is* an hourly
//! bucket.
//!
//! Encoding (little-endian): a version byte, then per value in time order 14 bytes — the
//! offset from the chunk's start in ms (`u32`, 1 ..= 3 600 000), the value (`f64`), the QC
//! flags (`u8`) and the source (`u8`).

use crate::domain::Source;
use crate::domain::history::{Aggregate, Level, Sample};
use crate::domain::qc::QcFlags;
use crate::domain::time::{HOUR_MS, Timestamp};

/// Width of a chunk.
pub const CHUNK_MS: i64 = HOUR_MS;

const VERSION: u8 = 1;
const ENTRY_BYTES: usize = 14;

/// The start of the chunk holding a value stamped `t`.
pub fn chunk_of(t: Timestamp) -> Timestamp {
    Level::Hour.bucket_of(t)
}

/// What writing one value into a chunk did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Write {
    /// There was no value at that instant; now there is.
    Added,
    /// A different value (or provenance, or flags) was there and was replaced.
    Replaced,
    /// The same value, provenance and flags were there: nothing changed.
    Same,
    /// A different value is there and was kept (first report wins).
    Kept {
        /// The value kept.
        stored: f64,
    },
}

/// Values equal within this are the same measurement (a value re-derived from text may differ
/// from its binary original in the last bit).
const SAME_VALUE_EPSILON: f64 = 1e-9;

/// One hour of one series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunk {
    /// Values stamped in `(start, start + CHUNK_MS]`, in time order, one per instant.
    samples: Vec<Sample>,
}

/// A chunk's bytes that do not decode (a bug, or a hand edit of the database).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a stored hour of values does not decode: {0}")]
pub struct ChunkError(String);

impl Chunk {
    /// The values, in time order.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Whether the chunk holds no value.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The chunk's bytes, for a chunk starting at `start`.
    pub fn encode(&self, start: Timestamp) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(1 + ENTRY_BYTES * self.samples.len());
        bytes.push(VERSION);
        for s in &self.samples {
            let offset = u32::try_from(s.time.millis() - start.millis()).unwrap_or(u32::MAX);
            bytes.extend_from_slice(&offset.to_le_bytes());
            bytes.extend_from_slice(&s.value.to_le_bytes());
            bytes.push(s.qc.bits());
            bytes.push(s.source.storage_id());
        }
        bytes
    }

    /// Decodes a chunk that starts at `start`, checking that it is well formed.
    pub fn decode(start: Timestamp, bytes: &[u8]) -> Result<Self, ChunkError> {
        let Some((&version, entries)) = bytes.split_first() else {
            return Err(ChunkError("empty".into()));
        };
        if version != VERSION {
            return Err(ChunkError(format!("unknown version {version}")));
        }
        if entries.len() % ENTRY_BYTES != 0 {
            return Err(ChunkError(format!(
                "{} bytes is not whole entries",
                entries.len()
            )));
        }
        let mut samples = Vec::with_capacity(entries.len() / ENTRY_BYTES);
        for entry in entries.chunks_exact(ENTRY_BYTES) {
            let offset = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let mut value = [0; 8];
            value.copy_from_slice(&entry[4..12]);
            let time = start.plus_ms(i64::from(offset));
            if offset == 0 || i64::from(offset) > CHUNK_MS {
                return Err(ChunkError(format!(
                    "offset {offset} ms is outside the hour"
                )));
            }
            if samples.last().is_some_and(|s: &Sample| s.time >= time) {
                return Err(ChunkError(format!("offset {offset} ms is out of order")));
            }
            samples.push(Sample {
                time,
                value: f64::from_le_bytes(value),
                qc: QcFlags::from_bits(entry[12]),
                source: Source::from_storage_id(entry[13]),
            });
        }
        Ok(Self { samples })
    }

    /// Writes one value: `replace` overwrites a different stored value (the console's copy,
    /// following the central), otherwise the stored one is kept (the central: first report
    /// wins).
    pub fn write(&mut self, sample: Sample, replace: bool) -> Write {
        match self.samples.binary_search_by_key(&sample.time, |s| s.time) {
            Err(at) => {
                self.samples.insert(at, sample);
                Write::Added
            }
            Ok(at) => {
                let stored = &mut self.samples[at];
                let same_value = (stored.value - sample.value).abs() <= SAME_VALUE_EPSILON;
                if same_value && stored.source == sample.source && stored.qc == sample.qc {
                    Write::Same
                } else if replace {
                    *stored = sample;
                    Write::Replaced
                } else if same_value {
                    // The same measurement again (a re-sent record): its first provenance and
                    // the central's own flags stand.
                    Write::Same
                } else {
                    Write::Kept {
                        stored: stored.value,
                    }
                }
            }
        }
    }

    /// Sets the QC flags of the value at `time`; returns whether they changed.
    pub fn set_qc(&mut self, time: Timestamp, qc: QcFlags) -> bool {
        match self.samples.binary_search_by_key(&time, |s| s.time) {
            Ok(at) if self.samples[at].qc != qc => {
                self.samples[at].qc = qc;
                true
            }
            _ => false,
        }
    }

    /// The aggregate of every value in the chunk, if any.
    pub fn aggregate(&self) -> Option<Aggregate> {
        let mut samples = self.samples.iter();
        let mut aggregate = Aggregate::of(samples.next()?);
        for sample in samples {
            aggregate.merge(&Aggregate::of(sample));
        }
        Some(aggregate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qc::QcTest;
    use crate::domain::time::MINUTE_MS;

    const START: Timestamp = Timestamp(1_767_225_600_000);

    fn at(minute: i64, value: f64) -> Sample {
        Sample::live(START.plus_ms(minute * MINUTE_MS), value)
    }

    #[test]
    fn a_chunk_is_the_hour_ending_on_the_hour() {
        assert_eq!(chunk_of(START.plus_ms(MINUTE_MS)), START);
        assert_eq!(
            chunk_of(START.plus_ms(HOUR_MS)),
            START,
            "the hour's last minute"
        );
        assert_eq!(chunk_of(START.plus_ms(HOUR_MS + 1)), START.plus_ms(HOUR_MS));
    }

    #[test]
    fn round_trips_every_field() {
        let mut chunk = Chunk::default();
        for m in [60, 1, 30] {
            chunk.write(at(m, m as f64 / 10.0), false);
        }
        let flagged = Sample {
            qc: QcFlags::PASSED.with(QcTest::Spatial),
            source: Source::Backfilled,
            ..at(45, -3.5)
        };
        chunk.write(flagged, false);
        let bytes = chunk.encode(START);
        assert_eq!(bytes.len(), 1 + 4 * ENTRY_BYTES);
        let back = Chunk::decode(START, &bytes).unwrap();
        assert_eq!(back, chunk);
        let times: Vec<i64> = back
            .samples()
            .iter()
            .map(|s| (s.time.0 - START.0) / MINUTE_MS)
            .collect();
        assert_eq!(times, [1, 30, 45, 60]);
    }

    #[test]
    fn writes_add_replace_keep_or_change_nothing() {
        let mut chunk = Chunk::default();
        assert_eq!(chunk.write(at(5, 1.0), false), Write::Added);
        assert_eq!(chunk.write(at(5, 1.0), false), Write::Same);
        assert_eq!(chunk.write(at(5, 2.0), false), Write::Kept { stored: 1.0 });
        let backfilled = Sample {
            source: Source::Backfilled,
            ..at(5, 1.0)
        };
        assert_eq!(
            chunk.write(backfilled, false),
            Write::Same,
            "first provenance stands"
        );
        assert_eq!(chunk.write(at(5, 2.0), true), Write::Replaced);
        assert_eq!(chunk.samples()[0].value, 2.0);
        assert!(chunk.set_qc(at(5, 0.0).time, QcFlags::PASSED.with(QcTest::Step)));
        assert!(!chunk.set_qc(at(5, 0.0).time, QcFlags::PASSED.with(QcTest::Step)));
        assert!(
            !chunk.set_qc(at(6, 0.0).time, QcFlags::PASSED),
            "no value there"
        );
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let good = {
            let mut chunk = Chunk::default();
            chunk.write(at(1, 1.0), false);
            chunk.write(at(2, 2.0), false);
            chunk.encode(START)
        };
        let mut swapped = good.clone();
        swapped[1..15].swap_with_slice(&mut good.clone()[15..29]);
        let cases: [(&[u8], &str); 5] = [
            (&[], "empty"),
            (&[9], "version"),
            (&good[..20], "whole entries"),
            (&swapped, "out of order"),
            (
                &[VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                "outside the hour",
            ),
        ];
        for (bytes, expected) in cases {
            let error = Chunk::decode(START, bytes).unwrap_err().to_string();
            assert!(error.contains(expected), "{bytes:?}: {error}");
        }
    }

    #[test]
    fn aggregate_of_the_hour() {
        let mut chunk = Chunk::default();
        assert_eq!(chunk.aggregate(), None);
        for m in 1..=60 {
            chunk.write(at(m, m as f64), false);
        }
        let aggregate = chunk.aggregate().unwrap();
        assert_eq!(
            (aggregate.all.count, aggregate.all.min, aggregate.all.max),
            (60, 1.0, 60.0)
        );
        assert_eq!(aggregate.all.sum, 1830.0);
    }
}
