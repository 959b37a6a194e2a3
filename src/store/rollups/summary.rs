//! The stored form of an [`Aggregate`]: a few bytes of varints instead of fixed-width words.
//!
//! A tag (`0x10` + shape: no value passed QC, every value did, or some did), the tests that
//! flagged any value, the summary of every value, then — for the third shape only — the
//! summary of the values that passed. A summary is its count; a byte with the decimal places
//! its values are counted in and whether its times are whole minutes; the first time (from
//! the bucket's start) and the minimum's, maximum's and last's times (from the first); the
//! first value and the sum, then the last, minimum and maximum values from the first (see
//! [`put_float`]); and the set of sources. Reading it needs the bucket's start, not the
//! element.

use crate::domain::history::{Aggregate, SourceSet, Summary};
use crate::domain::qc::QcFlags;
use crate::domain::time::{MINUTE_MS, Timestamp};
use crate::store::chunk::bits::{get_uvarint, put_uvarint, unzigzag, zigzag};
use crate::store::chunk::codec::scaled;

/// First byte of every stored aggregate, plus its shape (0, 1 or 2). The first encoding's tags
/// were 0 to 2, so its bytes are refused rather than misread.
const TAG: u8 = 0x10;
/// Decimal places tried for a summary's values.
const MAX_DECIMALS: u8 = 6;
/// A value's kind in its varint's low two bits.
const EXACT: u64 = 0;
const NEAR: u64 = 1;
const RAW: u64 = 2;
/// Counts of steps are exact in an `f64` below this (2^53).
const MAX_SCALED: f64 = 9_007_199_254_740_992.0;
/// A value whose bits differ from its rounding in more of the low bits than this is raw.
const MAX_NEAR_BITS: u64 = 1 << 40;

/// The stored bytes of `aggregate`, the aggregate of the bucket starting at `bucket`.
pub fn encode(aggregate: &Aggregate, bucket: Timestamp) -> Vec<u8> {
    let shape = match &aggregate.passed {
        None => 0,
        Some(p) if p == &aggregate.all => 1,
        Some(_) => 2,
    };
    let mut bytes = vec![TAG | shape, aggregate.tests.bits()];
    put_summary(&mut bytes, &aggregate.all, bucket);
    if let (2, Some(passed)) = (shape, &aggregate.passed) {
        put_summary(&mut bytes, passed, bucket);
    }
    bytes
}

/// The inverse of [`encode`] for the same `bucket`; `None` for bytes it did not write.
pub fn decode(bytes: &[u8], bucket: Timestamp) -> Option<Aggregate> {
    let [tag, tests, rest @ ..] = bytes else {
        return None;
    };
    let mut rest = rest;
    let all = get_summary(&mut rest, bucket)?;
    let passed = match tag.checked_sub(TAG)? {
        0 => None,
        1 => Some(all),
        2 => Some(get_summary(&mut rest, bucket)?),
        _ => return None,
    };
    rest.is_empty().then_some(Aggregate {
        all,
        passed,
        tests: QcFlags::from_bits(*tests),
    })
}

fn put_summary(bytes: &mut Vec<u8>, s: &Summary, bucket: Timestamp) {
    put_uvarint(bytes, u64::from(s.count));
    let values = [s.first, s.last, s.min, s.max];
    let decimals = (0..=MAX_DECIMALS)
        .find(|&d| values.iter().all(|&v| scaled(v, scale(d)).is_some()))
        .unwrap_or(0);
    let times = [bucket, s.first_at, s.min_at, s.max_at, s.last_at];
    let minutes = times.iter().all(|t| t.millis() % MINUTE_MS == 0);
    bytes.push(decimals | (u8::from(minutes) << 4));
    let unit = if minutes { MINUTE_MS } else { 1 };
    put_uvarint(
        bytes,
        zigzag((s.first_at.millis() - bucket.millis()) / unit),
    );
    for t in &times[2..] {
        put_uvarint(bytes, zigzag((t.millis() - s.first_at.millis()) / unit));
    }
    let scale = scale(decimals);
    put_float(bytes, s.first, scale, 0);
    put_float(bytes, s.sum, scale, 0);
    let base = base_of(s.first, scale);
    for v in [s.last, s.min, s.max] {
        put_float(bytes, v, scale, base);
    }
    bytes.push(s.sources.bits());
}

fn get_summary(bytes: &mut &[u8], bucket: Timestamp) -> Option<Summary> {
    let count = u32::try_from(get_uvarint(bytes)?).ok()?;
    let (&header, rest) = bytes.split_first()?;
    *bytes = rest;
    let decimals = header & 0x0f;
    if decimals > MAX_DECIMALS || header >> 5 != 0 {
        return None;
    }
    let unit = if header & 0x10 != 0 { MINUTE_MS } else { 1 };
    let mut time = |from: i64| -> Option<Timestamp> {
        let t = unzigzag(get_uvarint(bytes)?).checked_mul(unit)?;
        Some(Timestamp(from.checked_add(t)?))
    };
    let first_at = time(bucket.millis())?;
    let (min_at, max_at, last_at) = (
        time(first_at.millis())?,
        time(first_at.millis())?,
        time(first_at.millis())?,
    );
    let scale = scale(decimals);
    let first = get_float(bytes, scale, 0)?;
    let sum = get_float(bytes, scale, 0)?;
    let base = base_of(first, scale);
    let (last, min, max) = (
        get_float(bytes, scale, base)?,
        get_float(bytes, scale, base)?,
        get_float(bytes, scale, base)?,
    );
    let (&sources, rest) = bytes.split_first()?;
    *bytes = rest;
    Some(Summary {
        count,
        sum,
        min,
        min_at,
        max,
        max_at,
        first_at,
        first,
        last_at,
        last,
        sources: SourceSet::from_bits(sources),
    })
}

/// The count of steps the other values are written from: the first value's, rounded (zero
/// when it has none).
fn base_of(first: f64, scale: f64) -> i64 {
    let n = (first * scale).round();
    // Whole and below 2^52: the cast is exact.
    if n.abs() < MAX_SCALED / 2.0 {
        n as i64
    } else {
        0
    }
}

fn scale(decimals: u8) -> f64 {
    10f64.powi(i32::from(decimals))
}

/// Writes `value` exactly, as steps of `1 / scale` counted from `base` steps: as that count
/// when it is one; as the nearest count and the few low bits in which the value differs from
/// it (a sum of values at the resolution, off by float rounding); else as its raw bits.
fn put_float(bytes: &mut Vec<u8>, value: f64, scale: f64, base: i64) {
    let n = (value * scale).round();
    if n.abs() < MAX_SCALED / 2.0 {
        // Whole and below 2^52: the cast is exact, and so is the difference from `base`.
        let n = n as i64;
        let near = (n as f64 / scale).to_bits() ^ value.to_bits();
        let count = zigzag(n - base) << 2;
        if near == 0 {
            put_uvarint(bytes, count | EXACT);
            return;
        }
        if near < MAX_NEAR_BITS {
            put_uvarint(bytes, count | NEAR);
            put_uvarint(bytes, near);
            return;
        }
    }
    put_uvarint(bytes, RAW);
    bytes.extend_from_slice(&value.to_le_bytes());
}

fn get_float(bytes: &mut &[u8], scale: f64, base: i64) -> Option<f64> {
    let word = get_uvarint(bytes)?;
    let n = base.checked_add(unzigzag(word >> 2))? as f64 / scale;
    match word & 3 {
        EXACT => Some(n),
        NEAR => Some(f64::from_bits(n.to_bits() ^ get_uvarint(bytes)?)),
        RAW if word == RAW => {
            let (raw, rest) = bytes.split_first_chunk::<8>()?;
            *bytes = rest;
            Some(f64::from_le_bytes(*raw))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::Source;
    use crate::domain::history::Sample;
    use crate::domain::qc::QcTest;

    fn minute(m: i64) -> Timestamp {
        Timestamp(1_767_225_600_000 + m * MINUTE_MS)
    }

    #[test]
    fn an_hour_of_minutes_summarises_in_a_few_bytes() {
        let mut aggregate = Aggregate::of(&Sample::live(minute(1), 15.0));
        for m in 2..=60 {
            aggregate.merge(&Aggregate::of(&Sample::live(
                minute(m),
                15.0 + m as f64 / 10.0,
            )));
        }
        let bytes = encode(&aggregate, minute(0));
        assert!(
            bytes.len() <= 24,
            "{} bytes (79 in the first encoding)",
            bytes.len()
        );
        assert_eq!(decode(&bytes, minute(0)), Some(aggregate));
        assert_ne!(
            decode(&bytes, minute(60)),
            Some(aggregate),
            "another bucket"
        );
    }

    #[test]
    fn floats_take_the_shortest_exact_form() {
        let cases: [(f64, f64, usize); 6] = [
            (12.3, 10.0, 2),
            (-0.0, 10.0, 9),
            (0.1 + 0.2, 10.0, 2),
            (1e300, 10.0, 9),
            (f64::INFINITY, 1.0, 9),
            (1013.2, 10.0, 3),
        ];
        for (value, scale, length) in cases {
            let mut bytes = Vec::new();
            put_float(&mut bytes, value, scale, 0);
            assert_eq!(bytes.len(), length, "{value}");
            let mut rest = &bytes[..];
            assert_eq!(
                get_float(&mut rest, scale, 0).map(f64::to_bits),
                Some(value.to_bits())
            );
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn other_bytes_are_refused() {
        let clean = encode(&Aggregate::of(&Sample::live(minute(1), 1.0)), minute(0));
        let mut old_tag = clean.clone();
        old_tag[0] = 1;
        let mut trailing = clean.clone();
        trailing.push(0);
        for bytes in [&[][..], &clean[..5], &old_tag, &trailing] {
            assert_eq!(decode(bytes, minute(0)), None, "{bytes:?}");
        }
    }

    fn sample() -> impl Strategy<Value = Sample> {
        let value = prop_oneof![
            (-5000i64..5000).prop_map(|n| n as f64 / 10.0),
            any::<f64>().prop_filter("NaN is refused upstream", |v| !v.is_nan()),
        ];
        let time = prop_oneof![
            (1i64..100_000).prop_map(minute),
            any::<i32>().prop_map(|t| Timestamp(i64::from(t) * 997))
        ];
        (time, value, any::<u8>(), 0u8..4).prop_map(|(time, value, qc, source)| Sample {
            time,
            value,
            qc: QcFlags::from_bits(qc),
            source: Source::from_storage_id(source),
        })
    }

    proptest! {
        #[test]
        fn aggregates_round_trip_exactly(
            samples in proptest::collection::vec(sample(), 1..40),
            bucket in -1000i32..100_000,
        ) {
            let mut aggregate = Aggregate::of(&samples[0]);
            for s in &samples[1..] {
                aggregate.merge(&Aggregate::of(s));
            }
            let bucket = minute(i64::from(bucket));
            let back = decode(&encode(&aggregate, bucket), bucket).unwrap();
            prop_assert_eq!(format!("{back:?}"), format!("{aggregate:?}"));
            prop_assert_eq!(back.all.sum.to_bits(), aggregate.all.sum.to_bits());
        }
    }

    #[test]
    fn the_three_shapes_round_trip() {
        let clean = Aggregate::of(&Sample::live(minute(1), 12.5));
        let flagged = Aggregate::of(&Sample {
            qc: QcFlags::PASSED.with(QcTest::Step),
            source: Source::Backfilled,
            ..Sample::live(minute(2), -3.25)
        });
        let mut mixed = clean;
        mixed.merge(&flagged);
        for (aggregate, tag) in [(clean, 0x11), (flagged, 0x10), (mixed, 0x12)] {
            let bytes = encode(&aggregate, minute(0));
            assert_eq!(bytes[0], tag);
            assert_eq!(decode(&bytes, minute(0)), Some(aggregate));
        }
    }
}
