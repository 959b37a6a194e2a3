//! Automations: a threshold on a station's reading that proposes a relay command — ventilate
//! above a greenhouse temperature, frost fans below a garden minimum after bud break. A rule
//! proposes; a person allowed to switch that relay's class confirms with one click. Only a
//! rule the bureau enabled to act alone (`unattended`) queues its command by itself, and that
//! command is recorded like any other, with the rule as its origin.
//!
//! A rule proposes once per crossing: after it fired it is disarmed until its reading is back
//! on the other side of the threshold by the rule's hysteresis, so a reading that hovers at the
//! threshold proposes once, not every minute.

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Switch;
use super::interlock::{Bound, Reading};
use crate::domain::network::StationId;
use crate::domain::{Element, Timestamp};

/// A span of the year, by month and day, inclusive (it may wrap over the new year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Season {
    /// First day, `[month, day]`.
    pub from: [u32; 2],
    /// Last day, `[month, day]`.
    pub until: [u32; 2],
}

impl Season {
    /// Whether `date` (a Beijing date) falls in it.
    pub fn contains(self, date: NaiveDate) -> bool {
        let day = (date.month(), date.day());
        let from = (self.from[0], self.from[1]);
        let until = (self.until[0], self.until[1]);
        if from <= until {
            from <= day && day <= until
        } else {
            day >= from || day <= until
        }
    }
}

/// A threshold rule bound to one relay (it is part of the relay's description).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Its id, unique on its device (`vent-hot`).
    pub id: String,
    /// Chinese name, as the proposal shows it.
    pub name_zh: String,
    /// What it sets.
    pub target: Switch,
    /// The station whose reading triggers it.
    pub station: StationId,
    /// The element.
    pub element: Element,
    /// When it fires: the reading on this side of the limit.
    pub when: Bound,
    /// How far back across the limit the reading must come before the rule fires again.
    pub hysteresis: f64,
    /// When in the year it applies (after bud break …); `None`: all year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season: Option<Season>,
    /// The bureau lets it queue its command without a person (recorded as unattended).
    #[serde(default)]
    pub unattended: bool,
}

/// What a rule makes of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Propose (or, unattended, queue) its command now, and disarm.
    Fire,
    /// The reading is back across the hysteresis: arm again.
    Rearm,
    /// Nothing changes.
    Hold,
}

impl Rule {
    /// What `reading` means for a rule `armed` or not, on `date` (Beijing). A reading too old
    /// to believe (`max_age_ms`) changes nothing.
    pub fn judge(
        &self,
        armed: bool,
        reading: Option<Reading>,
        now: Timestamp,
        max_age_ms: i64,
    ) -> Verdict {
        let Some(reading) = reading.filter(|r| now.0 - r.time.0 <= max_age_ms) else {
            return Verdict::Hold;
        };
        let in_season = self
            .season
            .is_none_or(|s| s.contains(now.beijing().date_naive()));
        let fires = match self.when {
            Bound::Below(limit) => reading.value < limit,
            Bound::Above(limit) => reading.value > limit,
        };
        let cleared = match self.when {
            Bound::Below(limit) => reading.value >= limit + self.hysteresis,
            Bound::Above(limit) => reading.value <= limit - self.hysteresis,
        };
        match (armed, fires && in_season, cleared) {
            (true, true, _) => Verdict::Fire,
            (false, _, true) => Verdict::Rearm,
            _ => Verdict::Hold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frost_rule(season: Option<Season>) -> Rule {
        Rule {
            id: "yr-frost".to_owned(),
            name_zh: "茶园霜冻开风机".to_owned(),
            target: Switch::On,
            station: StationId::parse("YRG01").unwrap_or_else(|e| panic!("{e}")),
            element: Element::Tem,
            when: Bound::Below(2.0),
            hysteresis: 1.0,
            season,
            unattended: false,
        }
    }

    // 2026-03-20 02:00 Beijing.
    const NIGHT: Timestamp = Timestamp(1_773_943_200_000);

    fn reading(value: f64) -> Option<Reading> {
        Some(Reading {
            value,
            time: NIGHT.plus_ms(-60_000),
        })
    }

    #[test]
    fn a_rule_fires_once_per_crossing() {
        let rule = frost_rule(None);
        let cases = [
            (true, reading(1.5), Verdict::Fire),
            (false, reading(1.5), Verdict::Hold),
            (false, reading(2.5), Verdict::Hold), // inside the hysteresis
            (false, reading(3.0), Verdict::Rearm),
            (true, reading(3.0), Verdict::Hold),
            (true, None, Verdict::Hold),
        ];
        for (armed, reading, expected) in cases {
            assert_eq!(
                rule.judge(armed, reading, NIGHT, 600_000),
                expected,
                "{armed} {reading:?}"
            );
        }
    }

    #[test]
    fn an_old_reading_changes_nothing() {
        let old = Some(Reading {
            value: -3.0,
            time: NIGHT.plus_ms(-3_600_000),
        });
        assert_eq!(
            frost_rule(None).judge(true, old, NIGHT, 600_000),
            Verdict::Hold
        );
    }

    #[test]
    fn a_seasonal_rule_fires_only_in_its_season() {
        let after_bud_break = Season {
            from: [3, 1],
            until: [4, 30],
        };
        let winter = Season {
            from: [12, 1],
            until: [2, 28],
        };
        assert_eq!(
            frost_rule(Some(after_bud_break)).judge(true, reading(0.0), NIGHT, 600_000),
            Verdict::Fire
        );
        assert_eq!(
            frost_rule(Some(winter)).judge(true, reading(0.0), NIGHT, 600_000),
            Verdict::Hold
        );
    }

    #[test]
    fn seasons_may_wrap_over_the_new_year() {
        let winter = Season {
            from: [12, 1],
            until: [2, 28],
        };
        let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        let cases = [
            (date(12, 15), true),
            (date(1, 10), true),
            (date(3, 1), false),
        ];
        for (day, expected) in cases {
            assert_eq!(winter.contains(day), expected, "{day}");
        }
    }
}
