//! The byte forms of a chunk.
//!
//! **Version 2** (written now): the version byte, the number of values as a varint, then a
//! bit stream in three columns, after Gorilla (Pelkonen et al., VLDB 2015) and Rice coding:
//! - times: the unit (2 bits: ms, s, min or h, the coarsest that divides every offset from the
//!   chunk's start), then `1` and the first offset and the step when the offsets are evenly
//!   spaced (a full hour of minutes: 15 bits), else `0` and each offset as a delta-of-delta
//!   against the previous delta (the first against one unit), in a prefix-chosen width;
//! - values, each scaled by 10^decimals of its element to an integer: the first in full, then
//!   each as the delta from the previous one, zigzagged and Rice-coded with the chunk's best
//!   parameter (3 bits), so a smooth series costs a bit or two a value and a noisy one a few;
//!   a value not exactly on the element's resolution is an escape holding its raw `f64` bits,
//!   so nothing is ever rounded;
//! - QC flags and source run-length coded: per run the flags (8 bits) and the source id
//!   (8 bits), then `1` if it runs to the end or `0` and its length.
//!
//! **Version 1** (still read): per value 14 bytes little-endian — the offset in ms (`u32`), the
//! value (`f64`), the QC flags (`u8`) and the source (`u8`).

use super::bits::{BitReader, BitWriter, get_uvarint, put_uvarint, unzigzag, width_of, zigzag};
use crate::domain::Source;
use crate::domain::history::Sample;
use crate::domain::qc::QcFlags;
use crate::domain::time::{HOUR_MS, MINUTE_MS, Timestamp};

/// The first encoding: fixed 14-byte entries.
pub const V1: u8 = 1;
/// The bit-packed encoding at the element's resolution.
pub const V2: u8 = 2;
const V1_ENTRY_BYTES: usize = 14;

/// Time units a chunk's offsets can be counted in, by their 2-bit code.
const UNITS_MS: [i64; 4] = [1, 1_000, MINUTE_MS, HOUR_MS];
/// Scaled integers are exact in an `f64` below this.
const MAX_SCALED: f64 = 9_007_199_254_740_992.0; // 2^53
/// A chunk holds at most one value per ms of its hour.
const MAX_VALUES: u64 = HOUR_MS as u64;

/// Why bytes do not decode.
pub type Refusal = String;

/// The version-1 bytes of `samples`: what older releases wrote, for tests of the conversion
/// and the storage bench's decode comparison.
pub fn encode_v1(samples: &[Sample], start: Timestamp) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + V1_ENTRY_BYTES * samples.len());
    bytes.push(V1);
    for s in samples {
        let offset = u32::try_from(s.time.millis() - start.millis()).unwrap_or(u32::MAX);
        bytes.extend_from_slice(&offset.to_le_bytes());
        bytes.extend_from_slice(&s.value.to_le_bytes());
        bytes.push(s.qc.bits());
        bytes.push(s.source.storage_id());
    }
    bytes
}

/// Reads version-1 entries (the bytes after the version byte); times are checked by the caller.
pub fn decode_v1(start: Timestamp, entries: &[u8]) -> Result<Vec<Sample>, Refusal> {
    if !entries.len().is_multiple_of(V1_ENTRY_BYTES) {
        return Err(format!("{} bytes is not whole entries", entries.len()));
    }
    let mut samples = Vec::with_capacity(entries.len() / V1_ENTRY_BYTES);
    for entry in entries.chunks_exact(V1_ENTRY_BYTES) {
        let offset = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
        let mut value = [0; 8];
        value.copy_from_slice(&entry[4..12]);
        samples.push(Sample {
            time: start.plus_ms(i64::from(offset)),
            value: f64::from_le_bytes(value),
            qc: QcFlags::from_bits(entry[12]),
            source: Source::from_storage_id(entry[13]),
        });
    }
    Ok(samples)
}

/// The version-2 bytes of `samples` (in time order, within the hour after `start`), values at
/// `decimals` places.
pub fn encode_v2(samples: &[Sample], start: Timestamp, decimals: usize) -> Vec<u8> {
    let mut header = vec![V2];
    put_uvarint(&mut header, samples.len() as u64);
    let mut bits = BitWriter::after(header);
    let offsets: Vec<i64> = samples
        .iter()
        .map(|s| s.time.millis() - start.millis())
        .collect();
    put_times(&mut bits, &offsets);
    let values: Vec<f64> = samples.iter().map(|s| s.value).collect();
    put_values(&mut bits, &values, scale_of(decimals));
    put_runs(&mut bits, samples);
    bits.finish()
}

/// Reads version-2 bytes (after the version byte); times are checked by the caller.
pub fn decode_v2(start: Timestamp, decimals: usize, body: &[u8]) -> Result<Vec<Sample>, Refusal> {
    let mut rest = body;
    let count = get_uvarint(&mut rest).ok_or("the count is cut short")?;
    if count > MAX_VALUES {
        return Err(format!("{count} values is more than an hour holds"));
    }
    let count = count as usize;
    let cut = || "cut short".to_string();
    // Every value after the first costs a bit at least: a damaged count cannot allocate much.
    if count > rest.len() * 8 + 1 {
        return Err(cut());
    }
    let mut bits = BitReader::new(rest);
    // Each column fills its field of the samples in place: reading is on every query's path.
    let mut samples = vec![Sample::live(start, 0.0); count];
    get_times(&mut bits, &mut samples, start).ok_or_else(cut)??;
    get_values(&mut bits, &mut samples, scale_of(decimals)).ok_or_else(cut)??;
    get_runs(&mut bits, &mut samples).ok_or_else(cut)??;
    if !bits.at_end() {
        return Err("trailing bytes".into());
    }
    Ok(samples)
}

fn scale_of(decimals: usize) -> f64 {
    10f64.powi(i32::try_from(decimals).unwrap_or(0))
}

/// `value` as an integer count of `1 / scale` steps, if it is exactly one.
pub fn scaled(value: f64, scale: f64) -> Option<i64> {
    let n = (value * scale).round();
    // NaN and infinities fail this too.
    if n.abs().partial_cmp(&MAX_SCALED) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    // Whole and below 2^53, so the cast is exact; comparing what decoding yields also refuses
    // -0.0, which the integer cannot carry.
    let n = n as i64;
    ((n as f64 / scale).to_bits() == value.to_bits()).then_some(n)
}

/// The unit (an index into [`UNITS_MS`]) of `offsets`: the coarsest that divides them all.
fn unit_of(offsets: &[i64]) -> usize {
    (0..UNITS_MS.len())
        .rev()
        .find(|&c| offsets.iter().all(|o| o % UNITS_MS[c] == 0))
        .unwrap_or(0)
}

fn put_times(bits: &mut BitWriter, offsets: &[i64]) {
    let code = unit_of(offsets);
    bits.write(code as u64, 2);
    let units: Vec<i64> = offsets.iter().map(|o| o / UNITS_MS[code]).collect();
    let step = units.get(1).map_or(1, |second| second - units[0]);
    let even = units.windows(2).all(|w| w[1] - w[0] == step);
    bits.bit(even);
    if even {
        if let Some(&first) = units.first() {
            bits.varbits(zigzag(first));
        }
        if units.len() > 1 {
            bits.varbits(zigzag(step));
        }
        return;
    }
    let (mut previous, mut delta) = (0, 1);
    for &t in &units {
        let dod = zigzag((t - previous) - delta);
        match dod {
            0 => bits.bit(false),
            1..=63 => {
                bits.write(0b10, 2);
                bits.write(dod, 6);
            }
            64..=4095 => {
                bits.write(0b110, 3);
                bits.write(dod, 12);
            }
            _ => {
                bits.write(0b111, 3);
                bits.write(dod, 64);
            }
        }
        delta = t - previous;
        previous = t;
    }
}

/// Sets each sample's time, or refuses; `None` when the bits run out.
fn get_times(
    bits: &mut BitReader<'_>,
    samples: &mut [Sample],
    start: Timestamp,
) -> Option<Result<(), Refusal>> {
    let unit = UNITS_MS[bits.read(2)? as usize];
    let count = samples.len();
    let outside = || Some(Err("an offset is outside the hour".to_string()));
    let set = |sample: &mut Sample, t: Option<i64>| -> bool {
        match t.and_then(|t| t.checked_mul(unit)) {
            Some(ms) if (1..=HOUR_MS).contains(&ms) => {
                sample.time = start.plus_ms(ms);
                true
            }
            _ => false,
        }
    };
    if bits.bit()? {
        if count > 0 {
            let first = unzigzag(bits.varbits()?);
            let step = if count > 1 {
                unzigzag(bits.varbits()?)
            } else {
                0
            };
            let mut t = Some(first);
            for sample in samples.iter_mut() {
                if !set(sample, t) {
                    return outside();
                }
                t = t.and_then(|t| t.checked_add(step));
            }
        }
        return Some(Ok(()));
    }
    let (mut previous, mut delta) = (0i64, 1i64);
    for sample in samples.iter_mut() {
        let dod = match bits.ones(3)? {
            0 => 0,
            1 => bits.read(6)?,
            2 => bits.read(12)?,
            _ => bits.read(64)?,
        };
        let t = delta.checked_add(unzigzag(dod)).and_then(|d| {
            delta = d;
            previous.checked_add(d)
        });
        if !set(sample, t) {
            return outside();
        }
        previous = t.unwrap_or(previous);
    }
    Some(Ok(()))
}

/// Unary quotients this long or longer mean a large delta or an escape instead.
const MAX_QUOTIENT: u32 = 16;

/// What one value is written as.
#[derive(Debug, Clone, Copy)]
enum Coded {
    /// The zigzagged delta from the previous value on the resolution.
    Delta(u64),
    /// Off the resolution: its raw bits.
    Escape(u64),
}

/// Each value as a delta from the previous one on the resolution (the first from zero).
fn coded(values: &[f64], scale: f64) -> Vec<Coded> {
    let mut previous = 0;
    values
        .iter()
        .map(|&v| match scaled(v, scale) {
            Some(n) => {
                let delta = zigzag(n - previous);
                previous = n;
                Coded::Delta(delta)
            }
            None => Coded::Escape(v.to_bits()),
        })
        .collect()
}

/// Bits of one delta Rice-coded with parameter `k`.
fn rice_bits(zz: u64, k: u32) -> u64 {
    match zz >> k {
        q if q < u64::from(MAX_QUOTIENT) => q + 1 + u64::from(k),
        _ => u64::from(MAX_QUOTIENT) + 1 + 6 + u64::from(width_of(zz)),
    }
}

fn put_values(bits: &mut BitWriter, values: &[f64], scale: f64) {
    let coded = coded(values, scale);
    let Some((first, rest)) = coded.split_first() else {
        return;
    };
    match *first {
        Coded::Delta(zz) => {
            bits.bit(false);
            bits.varbits(zz);
        }
        Coded::Escape(raw) => {
            bits.bit(true);
            bits.write(raw, 64);
        }
    }
    let deltas = || {
        rest.iter().filter_map(|c| match c {
            Coded::Delta(zz) => Some(*zz),
            Coded::Escape(_) => None,
        })
    };
    let k = (0..8)
        .min_by_key(|&k| deltas().map(|zz| rice_bits(zz, k)).sum::<u64>())
        .unwrap_or(0);
    bits.write(u64::from(k), 3);
    for c in rest {
        match *c {
            Coded::Delta(zz) if zz >> k < u64::from(MAX_QUOTIENT) => {
                let q = (zz >> k) as u32;
                bits.write((1u64 << q) - 1, q);
                bits.bit(false);
                bits.write(zz & ((1u64 << k) - 1), k);
            }
            Coded::Delta(zz) => {
                bits.write((1u64 << MAX_QUOTIENT) - 1, MAX_QUOTIENT);
                bits.bit(false);
                bits.varbits(zz);
            }
            Coded::Escape(raw) => {
                bits.write((1u64 << MAX_QUOTIENT) - 1, MAX_QUOTIENT);
                bits.bit(true);
                bits.write(raw, 64);
            }
        }
    }
}

/// Sets each sample's value, or refuses; `None` when the bits run out.
fn get_values(
    bits: &mut BitReader<'_>,
    samples: &mut [Sample],
    scale: f64,
) -> Option<Result<(), Refusal>> {
    let Some((first, rest)) = samples.split_first_mut() else {
        return Some(Ok(()));
    };
    let overflow = || Some(Err("a value overflows".to_string()));
    let mut previous = 0i64;
    if bits.bit()? {
        first.value = f64::from_bits(bits.read(64)?);
    } else {
        previous = unzigzag(bits.varbits()?);
        first.value = previous as f64 / scale;
    }
    let k = bits.read(3)? as u32;
    for sample in rest {
        let zz = if let Some(zz) = bits.rice(k, MAX_QUOTIENT)? {
            zz
        } else if bits.bit()? {
            sample.value = f64::from_bits(bits.read(64)?);
            continue;
        } else {
            bits.varbits()?
        };
        let Some(next) = previous.checked_add(unzigzag(zz)) else {
            return overflow();
        };
        previous = next;
        sample.value = next as f64 / scale;
    }
    Some(Ok(()))
}

fn put_runs(bits: &mut BitWriter, samples: &[Sample]) {
    let width = width_of(samples.len() as u64);
    let mut at = 0;
    while at < samples.len() {
        let first = &samples[at];
        let length = samples[at..]
            .iter()
            .take_while(|s| s.qc == first.qc && s.source == first.source)
            .count();
        bits.write(u64::from(first.qc.bits()), 8);
        bits.write(u64::from(first.source.storage_id()), 8);
        let to_end = at + length == samples.len();
        bits.bit(to_end);
        if !to_end {
            bits.write(length as u64, width);
        }
        at += length;
    }
}

fn get_runs(bits: &mut BitReader<'_>, samples: &mut [Sample]) -> Option<Result<(), Refusal>> {
    let count = samples.len();
    let width = width_of(count as u64);
    let mut at = 0;
    while at < count {
        let qc = QcFlags::from_bits(bits.read(8)? as u8);
        let source = Source::from_storage_id(bits.read(8)? as u8);
        let left = count - at;
        let length = if bits.bit()? {
            left
        } else {
            bits.read(width)? as usize
        };
        if length == 0 || length > left {
            return Some(Err(format!("a run of {length} flags does not fit")));
        }
        for sample in &mut samples[at..at + length] {
            sample.qc = qc;
            sample.source = source;
        }
        at += length;
    }
    Some(Ok(()))
}
