//! The county's warnings in force, as the live screen shows them: which records are in force
//! now, their expiry countdown, the level each township is tinted in, and when the desk
//! prompts before expiry. Pure: records and `now` in, values out.

use std::collections::BTreeMap;

use crate::console::messages::warnings::WarningRecord;
use crate::console::ui::i18n::Language;
use crate::domain::TownshipCode;
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp};
use crate::domain::warning::{Action, Level};

/// How long before expiry the desk prompts to continue, lift or let it lapse.
pub const PROMPT_BEFORE_MS: i64 = 30 * MINUTE_MS;

/// A record's expiry if it is in force at `now`: released, not replaced by a released
/// follow-up, not a lift, and not yet expired.
pub fn in_force_until(record: &WarningRecord, now: Timestamp) -> Option<Timestamp> {
    let content = &record.content;
    let released = record.released_at.is_some_and(|at| at <= now);
    if !released || record.replaced_by.is_some() || content.action == Action::Lift {
        return None;
    }
    content.expires_at.filter(|&expires| expires > now)
}

/// The records in force at `now`, highest level first, then the soonest to expire.
pub fn in_force(records: &[WarningRecord], now: Timestamp) -> Vec<&WarningRecord> {
    let mut found: Vec<(&WarningRecord, Timestamp)> = records
        .iter()
        .filter_map(|r| in_force_until(r, now).map(|until| (r, until)))
        .collect();
    found.sort_by(|(a, a_until), (b, b_until)| {
        b.content
            .level
            .cmp(&a.content.level)
            .then(a_until.cmp(b_until))
            .then(a.id.cmp(&b.id))
    });
    found.into_iter().map(|(r, _)| r).collect()
}

/// The time left, rounded up to the minute (the last minute reads 1分, never 0分), in days,
/// hours and minutes: `2小时15分`, `1天3小时`, `45分`.
pub fn countdown(remaining_ms: i64, language: Language) -> String {
    let minutes = (remaining_ms.max(1) + MINUTE_MS - 1) / MINUTE_MS;
    let (days, hours, mins) = (
        minutes / (DAY_MS / MINUTE_MS),
        minutes % (DAY_MS / MINUTE_MS) / (HOUR_MS / MINUTE_MS),
        minutes % (HOUR_MS / MINUTE_MS),
    );
    let (d, h, m, sep) = match language {
        Language::Zh => ("天", "小时", "分", ""),
        Language::En => (" d", " h", " min", " "),
    };
    if days > 0 {
        // A day out, minutes are noise.
        return if hours > 0 {
            format!("{days}{d}{sep}{hours}{h}")
        } else {
            format!("{days}{d}")
        };
    }
    match (hours, mins) {
        (0, m_) => format!("{m_}{m}"),
        (h_, 0) => format!("{h_}{h}"),
        (h_, m_) => format!("{h_}{h}{sep}{m_}{m}"),
    }
}

/// When the countdown of a warning expiring at `expires` next changes its text after `now`
/// (it reads whole minutes rounded up, so it changes on the expiry's own minute marks).
pub fn next_countdown_change(expires: Timestamp, now: Timestamp) -> Option<Timestamp> {
    let remaining = expires.millis() - now.millis();
    (remaining > 0).then(|| now.plus_ms((remaining - 1) % MINUTE_MS + 1))
}

/// Each township under a real warning in force, tinted in the highest level over it. Practice
/// warnings are left off the map: a township coloured for an exercise could be taken for a
/// real warning at a glance (the top bar lists them, marked 演练).
pub fn township_tints(in_force: &[&WarningRecord]) -> BTreeMap<TownshipCode, Level> {
    let mut tints: BTreeMap<TownshipCode, Level> = BTreeMap::new();
    for record in in_force.iter().filter(|r| !r.content.practice) {
        let level = record.content.level;
        for code in &record.content.area {
            let Ok(code) = code.parse::<u32>() else {
                continue;
            };
            let tint = tints.entry(TownshipCode(code)).or_insert(level);
            *tint = (*tint).max(level);
        }
    }
    tints
}

/// Whether the expiry prompt of a warning expiring at `expires` is due at `now`: from 30
/// minutes before expiry until it expires.
pub fn prompt_due(expires: Timestamp, now: Timestamp) -> bool {
    now >= expires.plus_ms(-PROMPT_BEFORE_MS) && now < expires
}

/// The next instant after `now` at which something about the warnings in force changes on
/// screen by itself: a countdown's minute, a prompt falling due, a warning expiring. `None`
/// when nothing is in force or due to be.
pub fn next_change(records: &[WarningRecord], now: Timestamp) -> Option<Timestamp> {
    records
        .iter()
        .filter_map(|r| {
            // A release stamped ahead of this desk's clock comes into force by itself.
            if let Some(at) = r.released_at.filter(|&at| at > now) {
                return Some(at);
            }
            let until = in_force_until(r, now)?;
            let prompt = Some(until.plus_ms(-PROMPT_BEFORE_MS)).filter(|&at| at > now);
            [next_countdown_change(until, now), prompt]
                .into_iter()
                .flatten()
                .min()
        })
        .min()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::console::messages::warnings::WarningContent;
    use crate::domain::warning::approval::{DraftState, SignOff};

    /// 2026-12-06 16:00 Beijing time.
    pub(crate) fn t0() -> Timestamp {
        Timestamp::parse_rfc3339("2026-12-06T08:00:00Z").unwrap()
    }

    /// A released record of `level` over `area`, expiring `expires_min` after [`t0`].
    pub(crate) fn released(
        id: &str,
        level: Level,
        area: &[&str],
        expires_min: i64,
    ) -> WarningRecord {
        let content = WarningContent {
            action: Action::Issue,
            follows: None,
            signal: "rainstorm".into(),
            level,
            area: area.iter().map(|&a| a.to_owned()).collect(),
            enlarge_confirmed: false,
            issued_at: t0(),
            expires_at: Some(t0().plus_ms(expires_min * MINUTE_MS)),
            texts: BTreeMap::new(),
            template_fields: BTreeMap::new(),
            recipient_groups: BTreeSet::new(),
            practice: false,
        };
        let sign = SignOff {
            by: "lina".into(),
            pin: content.pin(),
            alone: false,
        };
        WarningRecord {
            id: id.into(),
            pin: content.pin(),
            content,
            drafter: "zhangwei".into(),
            state: DraftState::Sent(sign),
            steps: Vec::new(),
            cap_identifier: None,
            released_at: Some(t0()),
            replaced_by: None,
        }
    }

    #[test]
    fn in_force_means_released_unreplaced_unexpired_and_not_a_lift() {
        let now = t0().plus_ms(10 * MINUTE_MS);
        let base = released("a", Level::Yellow, &["350423100"], 120);
        let mut unreleased = base.clone();
        unreleased.released_at = None;
        let mut later = base.clone();
        later.released_at = Some(now.plus_ms(1));
        let mut replaced = base.clone();
        replaced.replaced_by = Some("b".into());
        let mut lift = base.clone();
        lift.content.action = Action::Lift;
        let expired = released("a", Level::Yellow, &["350423100"], 10);
        let cases = [
            (&base, true),
            (&unreleased, false),
            (&later, false),
            (&replaced, false),
            (&lift, false),
            (&expired, false),
        ];
        for (record, expected) in cases {
            assert_eq!(
                in_force_until(record, now).is_some(),
                expected,
                "{record:?}"
            );
        }
    }

    #[test]
    fn in_force_lists_the_highest_level_first_then_the_soonest_expiry() {
        let records = [
            released("late-yellow", Level::Yellow, &[], 300),
            released("red", Level::Red, &[], 600),
            released("soon-yellow", Level::Yellow, &[], 60),
            released("gone", Level::Red, &[], 5),
        ];
        let ids: Vec<&str> = in_force(&records, t0().plus_ms(6 * MINUTE_MS))
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["red", "soon-yellow", "late-yellow"]);
    }

    #[test]
    fn countdown_reads_whole_minutes_rounded_up() {
        let cases = [
            (1, "1分", "1 min"),
            (MINUTE_MS, "1分", "1 min"),
            (MINUTE_MS + 1, "2分", "2 min"),
            (45 * MINUTE_MS, "45分", "45 min"),
            (2 * HOUR_MS, "2小时", "2 h"),
            (2 * HOUR_MS + 15 * MINUTE_MS, "2小时15分", "2 h 15 min"),
            (
                2 * HOUR_MS + 14 * MINUTE_MS + 30_000,
                "2小时15分",
                "2 h 15 min",
            ),
            (DAY_MS, "1天", "1 d"),
            (DAY_MS + 3 * HOUR_MS + 20 * MINUTE_MS, "1天3小时", "1 d 3 h"),
        ];
        for (ms, zh, en) in cases {
            assert_eq!(countdown(ms, Language::Zh), zh, "{ms}");
            assert_eq!(countdown(ms, Language::En), en, "{ms}");
        }
    }

    #[test]
    fn the_countdown_changes_on_the_expirys_minute_marks() {
        let expires = t0().plus_ms(90 * MINUTE_MS + 20_000);
        let cases = [
            (t0(), Some(t0().plus_ms(20_000))),
            (t0().plus_ms(20_000), Some(t0().plus_ms(MINUTE_MS + 20_000))),
            (expires.plus_ms(-MINUTE_MS), Some(expires)),
            (expires.plus_ms(-1), Some(expires)),
            (expires, None),
        ];
        for (now, expected) in cases {
            assert_eq!(next_countdown_change(expires, now), expected, "{now:?}");
            if let Some(at) = expected.filter(|&at| at < expires) {
                let before = countdown(expires.millis() - at.millis() + 1, Language::Zh);
                let after = countdown(expires.millis() - at.millis(), Language::Zh);
                assert_ne!(before, after, "the text changes at {at:?}");
            }
        }
    }

    #[test]
    fn the_highest_level_tints_a_township_and_practice_is_left_off() {
        let yellow = released("y", Level::Yellow, &["350423100", "350423101"], 120);
        let orange = released("o", Level::Orange, &["350423101", "350423102"], 120);
        let mut practice = released("p", Level::Red, &["350423100", "350423103"], 120);
        practice.content.practice = true;
        let bad = released("x", Level::Blue, &["not-a-code"], 120);
        let tints = township_tints(&[&yellow, &orange, &practice, &bad]);
        let expected: BTreeMap<TownshipCode, Level> = [
            (TownshipCode(350_423_100), Level::Yellow),
            (TownshipCode(350_423_101), Level::Orange),
            (TownshipCode(350_423_102), Level::Orange),
        ]
        .into();
        assert_eq!(tints, expected);
    }

    #[test]
    fn the_prompt_is_due_from_thirty_minutes_before_expiry() {
        let expires = t0().plus_ms(2 * HOUR_MS);
        let cases = [
            (expires.plus_ms(-31 * MINUTE_MS), false),
            (expires.plus_ms(-30 * MINUTE_MS - 1), false),
            (expires.plus_ms(-30 * MINUTE_MS), true),
            (expires.plus_ms(-1), true),
            (expires, false),
        ];
        for (now, due) in cases {
            assert_eq!(prompt_due(expires, now), due, "{now:?}");
        }
    }

    #[test]
    fn the_next_change_is_the_soonest_countdown_minute_or_prompt() {
        let records = [released("a", Level::Yellow, &[], 120)];
        let expires = t0().plus_ms(120 * MINUTE_MS);
        // On a minute mark of the expiry: the next countdown minute.
        assert_eq!(next_change(&records, t0()), Some(t0().plus_ms(MINUTE_MS)));
        // Just before the prompt falls due: the prompt (also a minute mark here).
        let now = expires.plus_ms(-30 * MINUTE_MS - 10_000);
        assert_eq!(
            next_change(&records, now),
            Some(expires.plus_ms(-30 * MINUTE_MS))
        );
        assert_eq!(
            next_change(&records, expires),
            None,
            "expired: nothing to wake for"
        );
        assert_eq!(next_change(&[], t0()), None);
    }
}
