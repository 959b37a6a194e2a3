//! Temporal step: a value that moved from the one before it faster than the element can.
//!
//! Limits are maximum rates per minute, so across `n` minutes (a missing value or two) the
//! allowed change is `n` times the rate. Across a longer gap (the caller's `max_gap_ms`, ten
//! minutes by default) nothing is compared: what happened in between is unknown.
//!
//! Which value a spike flags: each value is compared with its *reference*, the latest earlier
//! value that was not itself a spike. A value that departs from its reference by more than the
//! limit is flagged. It is a spike if the next value comes back, i.e. moves by more than the
//! limit in the opposite direction; a spike is never a reference, so the value after it is
//! compared with the value before it and passes if the series simply resumed. Consequences:
//! - a one-value spike flags that value only;
//! - a jump that stays (a sensor swapped or re-zeroed, or a real front) flags the first value
//!   at the new level only;
//! - a plateau of several values flags its first value and the first value back, the two
//!   edges, which is where a person should look;
//! - the newest value, with no next yet, is flagged if it departed; when its successor arrives
//!   the caller evaluates it again and it stays flagged (spike) or not (jump, already flagged).

use std::collections::BTreeMap;

use crate::domain::time::MINUTE_MS;
use crate::domain::{Element, Timestamp};

/// Largest plausible change per minute of each step-checked element, in its unit.
///
/// WMO's limits for consecutive 1-minute values from automatic stations (WMO-No. 488, Guide to
/// the GOS, appendix VI.2; repeated in WMO-No. 8, the CIMO Guide), which CMA's minute-data QC
/// follows: air temperature 3 °C, dew point 3 °C (WMO: 2–3), ground surface 5 °C, humidity
/// 10 %, pressure 0.5 hPa. WMO's 20 m/s for the 2-minute mean wind is halved: consecutive
/// 2-minute means share a minute, so they move by half the change between minutes. Gusts, wind
/// direction, rain and visibility change legitimately by any amount from one minute to the next
/// (a gust front, a shower's first tip, fog rolling in) and are not step-checked.
pub fn default_rates() -> BTreeMap<Element, f64> {
    BTreeMap::from([
        (Element::Tem, 3.0),
        (Element::Dpt, 3.0),
        (Element::Gst, 5.0),
        (Element::Rhu, 10.0),
        (Element::Prs, 0.5),
        (Element::PrsSea, 0.5),
        (Element::WinSAvg2mi, 10.0),
    ])
}

/// Indices of the values of `series` (time-ordered) that fail the step test at
/// `per_minute`, never comparing values more than `max_gap_ms` apart.
pub fn step_failures(series: &[(Timestamp, f64)], per_minute: f64, max_gap_ms: i64) -> Vec<usize> {
    // Changes between values less than a minute apart are held to the one-minute limit.
    let allowed = |from: Timestamp, to: Timestamp| {
        per_minute * ((to.0 - from.0) as f64 / MINUTE_MS as f64).max(1.0)
    };
    let within_gap = |from: Timestamp, to: Timestamp| to.0 - from.0 <= max_gap_ms;
    let mut failed = Vec::new();
    let mut reference: Option<(Timestamp, f64)> = None;
    for (i, &(time, value)) in series.iter().enumerate() {
        let Some((ref_time, ref_value)) = reference.filter(|&(t, _)| within_gap(t, time)) else {
            reference = Some((time, value));
            continue;
        };
        let change = value - ref_value;
        if change.abs() <= allowed(ref_time, time) {
            reference = Some((time, value));
            continue;
        }
        failed.push(i);
        let returns = series.get(i + 1).is_some_and(|&(next_time, next_value)| {
            let back = next_value - value;
            within_gap(time, next_time)
                && back.abs() > allowed(time, next_time)
                && back.signum() != change.signum()
        });
        if !returns {
            reference = Some((time, value));
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minute series starting at 0 from values; `None` is a missing minute.
    fn minutes(values: &[Option<f64>]) -> Vec<(Timestamp, f64)> {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (Timestamp(i as i64 * MINUTE_MS), v)))
            .collect()
    }

    #[test]
    fn spikes_jumps_and_gaps() {
        let gap = 10 * MINUTE_MS;
        // What, the per-minute limit, the minute values, the indices flagged.
        type Case<'a> = (&'a str, f64, &'a [Option<f64>], &'a [usize]);
        let cases: &[Case<'_>] = &[
            (
                "a smooth afternoon cooling",
                3.0,
                &[Some(31.2), Some(31.0), Some(30.7), Some(30.9), Some(30.4)],
                &[],
            ),
            (
                "a 12 °C spike for one minute: the spike, not the value after it",
                3.0,
                &[Some(18.4), Some(18.5), Some(30.5), Some(18.6), Some(18.6)],
                &[2],
            ),
            (
                "a downward spike (a bad contact reads low)",
                3.0,
                &[Some(18.4), Some(18.5), Some(2.0), Some(18.6)],
                &[2],
            ),
            (
                "a gust front: 4 °C in a minute, then it stays cold",
                3.0,
                &[Some(32.0), Some(31.8), Some(27.8), Some(27.5), Some(27.3)],
                &[2],
            ),
            (
                "a two-minute plateau: its first value and the first value back",
                3.0,
                &[Some(18.0), Some(25.0), Some(25.1), Some(18.1), Some(18.0)],
                &[1, 3],
            ),
            (
                "the newest value departed and nothing follows yet",
                3.0,
                &[Some(18.0), Some(18.1), Some(26.0)],
                &[2],
            ),
            (
                "4 °C across three missing minutes is within 3 °C/min",
                3.0,
                &[Some(18.0), None, None, None, Some(22.0)],
                &[],
            ),
            (
                "nothing is compared across a gap of more than ten minutes",
                3.0,
                &[
                    Some(18.0),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    Some(40.0),
                ],
                &[],
            ),
            (
                "pressure: a 1.6 hPa jump in a minute (0.5 hPa/min)",
                0.5,
                &[Some(975.2), Some(975.3), Some(976.9), Some(975.3)],
                &[2],
            ),
            (
                "humidity rising 8 % a minute as a shower starts is real",
                10.0,
                &[Some(62.0), Some(70.0), Some(78.0), Some(85.0)],
                &[],
            ),
        ];
        for (what, limit, values, expected) in cases {
            assert_eq!(
                step_failures(&minutes(values), *limit, gap),
                *expected,
                "{what}"
            );
        }
    }
}
