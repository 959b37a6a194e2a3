//! One hour of one series, as stored: the values stamped in `(start, start + 1 h]`, each with
//! its provenance and QC flags, encoded as one small blob.
//!
//! Storing an hour per row instead of a value per row makes everything history needs cheap: a
//! batch of a day's minutes for a station writes 24 rows per element instead of 1 440, a
//! 30-day series reads 720 rows, and the hour's rollups are computed from the chunk already in
//! memory. The hour is the `(start, end]` hour of [`Level::Hour`], so a chunk *is* an hourly
//! bucket.
//!
//! The bytes ([`codec`]) hold each value at its element's resolution, delta-coded: a smooth
//! hour of minutes takes well under a byte a value. Both sides of the protocol treat them as
//! opaque and go through [`Chunk::encode`] and [`Chunk::decode`].

pub mod bits;
pub mod codec;

use crate::domain::Element;
use crate::domain::history::{Aggregate, Level, Sample};
use crate::domain::qc::QcFlags;
use crate::domain::time::{HOUR_MS, Timestamp};

/// Width of a chunk.
pub const CHUNK_MS: i64 = HOUR_MS;

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

    /// The chunk's bytes, for a chunk of `element` starting at `start` (the element sets the
    /// resolution values are coded at; a value off it is kept exactly).
    pub fn encode(&self, start: Timestamp, element: Element) -> Vec<u8> {
        codec::encode_v2(&self.samples, start, element.decimals())
    }

    /// Decodes a chunk of `element` that starts at `start`, in either version, checking that
    /// it is well formed.
    pub fn decode(start: Timestamp, element: Element, bytes: &[u8]) -> Result<Self, ChunkError> {
        let Some((&version, body)) = bytes.split_first() else {
            return Err(ChunkError("empty".into()));
        };
        let samples = match version {
            codec::V1 => codec::decode_v1(start, body),
            codec::V2 => codec::decode_v2(start, element.decimals(), body),
            other => return Err(ChunkError(format!("unknown version {other}"))),
        }
        .map_err(ChunkError)?;
        let mut previous = start;
        for s in &samples {
            let offset = s.time.millis() - start.millis();
            if offset <= 0 || offset > CHUNK_MS {
                return Err(ChunkError(format!(
                    "offset {offset} ms is outside the hour"
                )));
            }
            if s.time <= previous {
                return Err(ChunkError(format!("offset {offset} ms is out of order")));
            }
            previous = s.time;
        }
        Ok(Self { samples })
    }

    /// Whether `bytes` are in the current encoding (older ones are rewritten on open).
    pub fn is_current(bytes: &[u8]) -> bool {
        bytes.first() == Some(&codec::V2)
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
    use proptest::prelude::*;

    use super::*;
    use crate::domain::Source;
    use crate::domain::qc::QcTest;
    use crate::domain::time::MINUTE_MS;

    const START: Timestamp = Timestamp(1_767_225_600_000);

    fn at(minute: i64, value: f64) -> Sample {
        Sample::live(START.plus_ms(minute * MINUTE_MS), value)
    }

    fn chunk_of_samples(samples: &[Sample]) -> Chunk {
        let mut chunk = Chunk::default();
        for &s in samples {
            chunk.write(s, true);
        }
        chunk
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
        let bytes = chunk.encode(START, Element::Tem);
        let back = Chunk::decode(START, Element::Tem, &bytes).unwrap();
        assert_eq!(back, chunk);
        let times: Vec<i64> = back
            .samples()
            .iter()
            .map(|s| (s.time.0 - START.0) / MINUTE_MS)
            .collect();
        assert_eq!(times, [1, 30, 45, 60]);
    }

    #[test]
    fn an_hour_of_smooth_minutes_takes_under_a_byte_a_value() {
        let samples: Vec<Sample> = (1..=60)
            .map(|m| at(m, (150 + m / 7) as f64 / 10.0))
            .collect();
        let bytes = chunk_of_samples(&samples).encode(START, Element::Tem);
        // Header 2 bytes; times 19 bits (evenly spaced); the first value 16 bits, then a bit
        // a value (a step of 0.1 three); one run 17 bits.
        assert!(bytes.len() <= 20, "{} bytes", bytes.len());
        let hourly = chunk_of_samples(&[at(60, 1013.2)]).encode(START, Element::Prs);
        assert!(hourly.len() <= 9, "{} bytes", hourly.len());
    }

    #[test]
    fn values_off_the_resolution_are_kept_exactly() {
        let odd = [12.34, -0.0, 1e300, -1e-300, f64::MAX, 0.1 + 0.2, 1e17];
        let samples: Vec<Sample> = odd
            .iter()
            .enumerate()
            .map(|(i, &v)| at(i as i64 + 1, v))
            .collect();
        let chunk = chunk_of_samples(&samples);
        let back = Chunk::decode(START, Element::Rhu, &chunk.encode(START, Element::Rhu)).unwrap();
        let bits: Vec<u64> = back.samples().iter().map(|s| s.value.to_bits()).collect();
        let expected: Vec<u64> = odd.iter().map(|v| v.to_bits()).collect();
        assert_eq!(bits, expected);
    }

    #[test]
    fn version_1_bytes_still_decode() {
        let samples = [
            at(1, 12.3),
            Sample {
                qc: QcFlags::PASSED.with(QcTest::Step),
                source: Source::Imported,
                ..at(2, 12.34)
            },
            at(60, -4.0),
        ];
        let old = codec::encode_v1(&samples, START);
        assert_eq!(old.len(), 1 + 3 * 14, "today's 14-byte entries");
        assert!(!Chunk::is_current(&old));
        let chunk = Chunk::decode(START, Element::Tem, &old).unwrap();
        assert_eq!(chunk.samples(), samples);
        assert!(Chunk::is_current(&chunk.encode(START, Element::Tem)));
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let v1 = codec::encode_v1(&[at(1, 1.0), at(2, 2.0)], START);
        let mut swapped = v1.clone();
        swapped[1..15].swap_with_slice(&mut v1.clone()[15..29]);
        let v2 = chunk_of_samples(&[at(1, 1.0), at(2, 2.0)]).encode(START, Element::Tem);
        let mut trailing = v2.clone();
        trailing.push(0);
        let mut too_many = v2.clone();
        too_many[1] = 3;
        let cases: [(&[u8], &str); 9] = [
            (&[], "empty"),
            (&[9], "version"),
            (&v1[..20], "whole entries"),
            (&swapped, "out of order"),
            (
                &[codec::V1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                "outside the hour",
            ),
            (&[codec::V2], "count"),
            (&v2[..v2.len() - 1], "cut short"),
            (&trailing, "trailing"),
            (&too_many, ""), // whatever the extra value's bits read as, it does not fit
        ];
        for (bytes, expected) in cases {
            let error = Chunk::decode(START, Element::Tem, bytes)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{bytes:?}: {error}");
        }
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

    /// A value: mostly on the resolution near the previous one, sometimes a jump, sometimes
    /// off the resolution (an escape).
    fn value(decimals: usize) -> impl Strategy<Value = f64> {
        let scale = 10f64.powi(decimals as i32);
        prop_oneof![
            6 => (-20i64..20).prop_map(move |n| (1_000 + n) as f64 / scale),
            2 => (-2_000_000i64..2_000_000).prop_map(move |n| n as f64 / scale),
            1 => any::<f64>().prop_filter("NaN is refused upstream", |v| !v.is_nan()),
            1 => -1000.0f64..1000.0,
        ]
    }

    fn sample(decimals: usize) -> impl Strategy<Value = (i64, f64, u8, u8)> {
        // Offsets: a regular minute most of the time, any ms now and then.
        let offset = prop_oneof![4 => (1i64..=60).prop_map(|m| m * MINUTE_MS), 1 => 1i64..=HOUR_MS];
        let flags = prop_oneof![4 => Just(0u8), 1 => any::<u8>()];
        (offset, value(decimals), flags, 0u8..4)
    }

    /// An element and samples whose values suit its resolution (and sometimes do not).
    fn series() -> impl Strategy<Value = (Element, Vec<(i64, f64, u8, u8)>)> {
        proptest::sample::select(Element::ALL.to_vec()).prop_flat_map(|element| {
            (
                Just(element),
                proptest::collection::vec(sample(element.decimals()), 0..80),
            )
        })
    }

    proptest! {
        #[test]
        fn round_trips_exactly_at_every_resolution((element, raw) in series()) {
            let samples: Vec<Sample> = raw
                .iter()
                .map(|&(offset, value, qc, source)| Sample {
                    time: START.plus_ms(offset),
                    value,
                    qc: QcFlags::from_bits(qc),
                    source: Source::from_storage_id(source),
                })
                .collect();
            let chunk = chunk_of_samples(&samples);
            let bytes = chunk.encode(START, element);
            let back = Chunk::decode(START, element, &bytes).unwrap();
            prop_assert_eq!(back.samples().len(), chunk.samples().len());
            for (a, b) in back.samples().iter().zip(chunk.samples()) {
                prop_assert_eq!(a.value.to_bits(), b.value.to_bits());
                prop_assert_eq!((a.time, a.qc, a.source), (b.time, b.qc, b.source));
            }
        }
    }
}
