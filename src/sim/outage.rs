//! Outages: stations go silent now and then, as real ones do, decided by a hash so a restarted
//! simulator agrees with itself about the past.
//!
//! Each station's time is cut into 12-hour slots (at a station-specific phase, so slots of
//! different stations do not line up). In a slot an outage happens with probability
//! [`OutagePlan::slot_probability`] (regional stations 0.21, the national station, with its
//! UPS and two links, half that): it starts in the slot's first 8 hours and lasts 10 minutes
//! to 4 hours (log-uniform, mean ≈ 72 min), so it never reaches into the next slot and
//! outages never overlap. Per regional station that is ≈ 2.9 outages a week and ≈ 2 % of the
//! time silent.
//!
//! Two kinds:
//! - [`OutageKind::Comms`] (2 in 3): the link is down; the logger keeps measuring and sends
//!   the missed minutes (补传, `source: backfilled`) when the link returns.
//! - [`OutageKind::Power`] (1 in 3): power or sensor failure; those minutes are never measured.

use super::noise::{mix, mix_i, unit};
use crate::domain::Timestamp;
use crate::domain::time::{HOUR_MS, MINUTE_MS};

/// Keeps outage hashes apart from every other use of the station seed.
const SALT: u64 = 0x0074_A6E5;

/// Length of an outage slot.
pub const SLOT_MS: i64 = 12 * HOUR_MS;
/// Outages start within this much of their slot's beginning.
const START_WINDOW_MINUTES: i64 = 8 * 60;
/// Shortest outage, minutes.
pub const MIN_MINUTES: f64 = 10.0;
/// Longest outage, minutes.
pub const MAX_MINUTES: f64 = 240.0;
/// Share of outages that are communication failures (data sent late, not lost).
pub const COMMS_SHARE: f64 = 2.0 / 3.0;

/// Why a station is silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageKind {
    /// The link is down; data is kept and sent when it returns.
    Comms,
    /// Power or sensor failure; data is lost.
    Power,
}

/// One outage: minutes with times in `[start, end)` are not sent live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// First silent minute.
    pub start: Timestamp,
    /// First minute reported again (when a comms outage's backlog is sent).
    pub end: Timestamp,
    /// Comms or power.
    pub kind: OutageKind,
}

impl Outage {
    /// Whether minute `t` falls in the outage.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

/// One station's outage schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutagePlan {
    /// Station seed.
    pub seed: u64,
    /// Chance of an outage in each 12-hour slot.
    pub slot_probability: f64,
}

impl OutagePlan {
    /// A regional station's plan.
    pub const REGIONAL_PROBABILITY: f64 = 0.21;
    /// The national station's plan: better power and links.
    pub const NATIONAL_PROBABILITY: f64 = 0.105;

    /// Start of this station's slot number 0: a station-specific whole-minute phase.
    fn phase_ms(&self) -> i64 {
        let minutes = (SLOT_MS / MINUTE_MS) as u64;
        (mix(self.seed, SALT) % minutes) as i64 * MINUTE_MS
    }

    /// The slot that contains `t`.
    fn slot_of(&self, t: Timestamp) -> i64 {
        (t.0 - self.phase_ms()).div_euclid(SLOT_MS)
    }

    /// The outage of slot `slot`, if it has one.
    pub fn in_slot(&self, slot: i64) -> Option<Outage> {
        let h = mix_i(self.seed ^ SALT, slot);
        if unit(mix(h, 0)) >= self.slot_probability {
            return None;
        }
        let slot_start = self.phase_ms() + slot * SLOT_MS;
        let offset = (unit(mix(h, 1)) * START_WINDOW_MINUTES as f64) as i64;
        let minutes = MIN_MINUTES * (MAX_MINUTES / MIN_MINUTES).powf(unit(mix(h, 2)));
        let start = Timestamp(slot_start + offset * MINUTE_MS);
        let kind = if unit(mix(h, 3)) < COMMS_SHARE {
            OutageKind::Comms
        } else {
            OutageKind::Power
        };
        Some(Outage {
            start,
            end: start.plus_ms(minutes.round() as i64 * MINUTE_MS),
            kind,
        })
    }

    /// The outage minute `t` falls in, if any.
    pub fn at(&self, t: Timestamp) -> Option<Outage> {
        self.in_slot(self.slot_of(t)).filter(|o| o.contains(t))
    }

    /// Whether a power outage takes any minute of `[from, to]`.
    pub fn power_lost_between(&self, from: Timestamp, to: Timestamp) -> bool {
        (self.slot_of(from)..=self.slot_of(to))
            .filter_map(|s| self.in_slot(s))
            .any(|o| o.kind == OutageKind::Power && o.start <= to && from < o.end)
    }

    /// The outage that ends at `t` (whose backlog, if comms, is sent at `t`), if any. An
    /// outage ending at `t` started in `t`'s slot or the one before.
    pub fn ending_at(&self, t: Timestamp) -> Option<Outage> {
        let slot = self.slot_of(t);
        [slot, slot - 1]
            .into_iter()
            .filter_map(|s| self.in_slot(s))
            .find(|o| o.end == t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::DAY_MS;
    use crate::sim::noise::seed_of;

    const YEAR_START: Timestamp = Timestamp(1_767_225_600_000); // 2026-01-01T00:00Z

    fn outages_in_year(plan: &OutagePlan) -> Vec<Outage> {
        let first = plan.slot_of(YEAR_START);
        let last = plan.slot_of(YEAR_START.plus_ms(365 * DAY_MS));
        (first..=last).filter_map(|s| plan.in_slot(s)).collect()
    }

    #[test]
    fn rates_stay_within_the_documented_bounds() {
        let mut total_outages = 0;
        let mut silent_minutes = 0_i64;
        let mut comms = 0;
        for n in 1..=15 {
            let plan = OutagePlan {
                seed: seed_of(&format!("7083{n:02}")),
                slot_probability: OutagePlan::REGIONAL_PROBABILITY,
            };
            let outages = outages_in_year(&plan);
            let per_week = outages.len() as f64 / 52.0;
            assert!(
                (1.5..4.5).contains(&per_week),
                "7083{n:02}: {per_week}/week"
            );
            total_outages += outages.len();
            comms += outages
                .iter()
                .filter(|o| o.kind == OutageKind::Comms)
                .count();
            for o in &outages {
                let minutes = (o.end.0 - o.start.0) / MINUTE_MS;
                assert!((10..=240).contains(&minutes), "{minutes}");
                silent_minutes += minutes;
            }
            for pair in outages.windows(2) {
                assert!(pair[0].end < pair[1].start, "outages never overlap");
            }
        }
        let per_week = total_outages as f64 / 15.0 / 52.0;
        assert!((2.5..3.4).contains(&per_week), "{per_week}/week");
        let silent = silent_minutes as f64 / (15.0 * 365.0 * 1440.0);
        assert!((0.015..0.027).contains(&silent), "silent {silent}");
        let comms_share = comms as f64 / total_outages as f64;
        assert!((0.58..0.75).contains(&comms_share), "{comms_share}");
    }

    #[test]
    fn at_and_ending_at_agree_with_the_schedule() {
        let plan = OutagePlan {
            seed: seed_of("708308"),
            slot_probability: OutagePlan::REGIONAL_PROBABILITY,
        };
        let outages = outages_in_year(&plan);
        let outage = outages[0];
        assert_eq!(plan.at(outage.start), Some(outage));
        assert_eq!(plan.at(outage.end.plus_ms(-MINUTE_MS)), Some(outage));
        assert_eq!(plan.at(outage.end), None);
        assert_eq!(plan.at(outage.start.plus_ms(-MINUTE_MS)), None);
        assert_eq!(plan.ending_at(outage.end), Some(outage));
        assert_eq!(plan.ending_at(outage.end.plus_ms(MINUTE_MS)), None);
        let power = outages
            .iter()
            .find(|o| o.kind == OutageKind::Power)
            .unwrap();
        let cases = [
            (power.start, power.start, true),
            (power.start.plus_ms(-60 * MINUTE_MS), power.start, true),
            (power.end.plus_ms(-MINUTE_MS), power.end, true),
            (power.end, power.end.plus_ms(60 * MINUTE_MS), false),
            (
                power.start.plus_ms(-60 * MINUTE_MS),
                power.start.plus_ms(-MINUTE_MS),
                false,
            ),
        ];
        for (from, to, lost) in cases {
            assert_eq!(plan.power_lost_between(from, to), lost, "{from}..{to}");
        }
        // Every minute of a day agrees with the list.
        let day_start = outage.start.floor(DAY_MS);
        for m in 0..(2 * 1440) {
            let t = day_start.plus_ms(m * MINUTE_MS);
            let listed = outages.iter().find(|o| o.contains(t)).copied();
            assert_eq!(plan.at(t), listed, "{t}");
        }
    }
}
