//! Deterministic randomness: every "random" number of the simulator is a hash of what it is
//! about (station, minute, purpose), never state carried between calls. A restarted simulator
//! therefore re-sends exactly the values it sent before, which an idempotent central needs.

/// The `SplitMix64` finaliser: a cheap, well-mixed bijection on `u64` (Steele, Lea & Flood 2014).
pub const fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a seed with one more input; chaining mixes several (`mix(mix(s, a), b)`).
pub const fn mix(seed: u64, value: u64) -> u64 {
    splitmix64(seed ^ splitmix64(value))
}

/// Hashes a seed with a signed input (minutes, hours and slots can precede 1970).
pub const fn mix_i(seed: u64, value: i64) -> u64 {
    mix(seed, value as u64)
}

/// A stable seed for a text (a station id): FNV-1a, then mixed. Never change it: every
/// simulated value depends on it, and the central refuses values that differ from those it
/// already holds.
pub fn seed_of(text: &str) -> u64 {
    let fnv = text.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    });
    splitmix64(fnv)
}

/// Uniform in `[0, 1)` from a hash (its top 53 bits).
pub fn unit(hash: u64) -> f64 {
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform in `[-1, 1)` from a hash.
pub fn signed(hash: u64) -> f64 {
    2.0 * unit(hash) - 1.0
}

/// Smooth value noise in `[-1, 1]`: random values on a lattice every `period` steps of `t`,
/// blended with a smoothstep so the curve has no kinks. Pure in (`seed`, `t`).
pub fn smooth(seed: u64, t: i64, period: i64) -> f64 {
    let cell = t.div_euclid(period);
    let frac = t.rem_euclid(period) as f64 / period as f64;
    let a = signed(mix_i(seed, cell));
    let b = signed(mix_i(seed, cell + 1));
    let s = frac * frac * (3.0 - 2.0 * frac);
    a + (b - a) * s
}

/// Two octaves of [`smooth`] (periods `period` and `period / 3`), still in `[-1, 1]`:
/// a slow wander with some faster wiggle, like a real sensor trace.
pub fn wander(seed: u64, t: i64, period: i64) -> f64 {
    0.7 * smooth(seed, t, period) + 0.3 * smooth(seed ^ 0x5EED, t, (period / 3).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // SplitMix64 seeded with 0 yields these first outputs (reference implementation by
        // Vigna, state advanced by the golden gamma before mixing).
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(0x9E37_79B9_7F4A_7C15), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn unit_and_signed_stay_in_range_and_spread() {
        let mut sum = 0.0;
        for i in 0..10_000 {
            let u = unit(mix(1, i));
            assert!((0.0..1.0).contains(&u));
            let s = signed(mix(2, i));
            assert!((-1.0..1.0).contains(&s));
            sum += u;
        }
        let mean = sum / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn smooth_noise_is_continuous_and_bounded() {
        let mut previous = smooth(7, -100, 10);
        for t in -99..1000 {
            let v = smooth(7, t, 10);
            assert!((-1.0..=1.0).contains(&v));
            assert!((v - previous).abs() < 0.35, "jump at {t}");
            previous = v;
            assert!((-1.0..=1.0).contains(&wander(7, t, 30)));
        }
        assert_eq!(smooth(7, 5, 10), smooth(7, 5, 10));
    }

    #[test]
    fn seeds_differ_between_station_ids() {
        assert_ne!(seed_of("708301"), seed_of("708302"));
        assert_eq!(seed_of("58819"), seed_of("58819"));
    }
}
