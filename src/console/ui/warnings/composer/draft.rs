//! The composition being written: the forecaster's choices, kept as they were made so that a
//! saved draft reopens exactly (it is stored as JSON in [`DeskDraft::composer`]).
//!
//! [`DeskDraft::composer`]: crate::console::messages::DeskDraft::composer

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::console::messages::warnings::{RecipientCount, WarningRecord};
use crate::domain::Network;
use crate::domain::recipients::composition_group;
use crate::domain::time::{HOUR_MS, MINUTE_MS, Timestamp};
use crate::domain::warning::suggest::Suggestion;
use crate::domain::warning::{Action, Level};

/// Expiry presets, hours after the issue time.
pub const EXPIRY_PRESETS: [i64; 4] = [6, 12, 24, 48];
/// Recipient group kinds per township (`Group::composer_kind`): leaders, information officers,
/// tea growers, bureau staff.
pub const GROUP_KINDS: [&str; 4] = ["leaders", "informants", "tea", "staff"];
/// The county-wide group (the domain's, where the central reads it too).
pub use crate::domain::recipients::COUNTY_GROUP;

/// The active people the central counts in the composer's group `id` (`town:{code}:{kind}`
/// or `county:all`).
fn people_in(id: &str, counts: &[RecipientCount]) -> usize {
    counts
        .iter()
        .filter(|c| composition_group(&c.township, c.group) == id)
        .map(|c| usize::try_from(c.active).unwrap_or(usize::MAX))
        .sum()
}

/// The forecaster's choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Signal type id, once chosen.
    pub signal: Option<String>,
    /// Level, once chosen.
    pub level: Option<Level>,
    /// What the message does.
    pub action: Action,
    /// The record a follow-up follows.
    pub follows: Option<String>,
    /// Township NBS codes.
    pub townships: BTreeSet<String>,
    /// Group kinds chosen for every chosen township ([`GROUP_KINDS`]).
    pub group_kinds: BTreeSet<String>,
    /// The county-wide group too.
    pub county_all: bool,
    /// Issue time (whole minutes).
    pub issued_at: Timestamp,
    /// Hours until expiry.
    pub expiry_hours: i64,
    /// Indices of the official guidance items kept.
    pub keep: BTreeSet<usize>,
    /// The forecast text.
    pub forecast: String,
    /// The forecaster's own guidance where the level has no official text.
    pub own_guidance: String,
    /// Practice (演练).
    pub practice: bool,
    /// What triggered a suggested draft, shown in the empty forecast field.
    pub hint: Option<String>,
    /// The forecaster confirmed that a follow-up covers more townships.
    pub enlarge_confirmed: bool,
}

impl Draft {
    /// A blank composition issued now (to the minute), valid 6 h, first two items kept.
    pub fn new(now: Timestamp) -> Draft {
        Draft {
            signal: None,
            level: None,
            action: Action::Issue,
            follows: None,
            townships: BTreeSet::new(),
            group_kinds: ["leaders", "informants"].map(String::from).into(),
            county_all: false,
            issued_at: now.floor(MINUTE_MS),
            expiry_hours: EXPIRY_PRESETS[0],
            keep: [0, 1].into(),
            forecast: String::new(),
            own_guidance: String::new(),
            practice: false,
            hint: None,
            enlarge_confirmed: false,
        }
    }

    /// A composition prefilled from a suggestion: its signal, level and townships, and the
    /// triggering observations as the forecast field's hint.
    pub fn from_suggestion(s: &Suggestion, network: &Network, now: Timestamp) -> Draft {
        let triggers: Vec<String> = s
            .triggers
            .iter()
            .map(|t| {
                let name = network
                    .station(&t.station)
                    .map_or(String::new(), |st| st.name_zh.clone());
                format!("{name} {}", t.describe_zh()).trim().to_owned()
            })
            .collect();
        Draft {
            signal: Some(s.signal.clone()),
            level: Some(s.level),
            townships: s.townships.clone(),
            hint: Some(format!("触发观测：{}", triggers.join("；"))),
            ..Draft::new(now)
        }
    }

    /// A follow-up of `record`: its signal, level and area, a fresh issue time.
    pub fn follow_up(record: &WarningRecord, action: Action, now: Timestamp) -> Draft {
        let c = &record.content;
        Draft {
            signal: Some(c.signal.clone()),
            level: Some(c.level),
            action,
            follows: Some(record.id.clone()),
            townships: c.area.clone(),
            practice: c.practice,
            ..Draft::new(now)
        }
    }

    /// The expiry (none for a lift).
    pub fn expires_at(&self) -> Option<Timestamp> {
        (self.action != Action::Lift).then(|| self.issued_at.plus_ms(self.expiry_hours * HOUR_MS))
    }

    /// The people (active) and villages the chosen groups reach, by the central's counts.
    pub fn reach(&self, counts: &[RecipientCount]) -> (u64, u64) {
        let chosen = self.recipient_groups();
        counts
            .iter()
            .filter(|c| chosen.contains(&composition_group(&c.township, c.group)))
            .fold((0, 0), |(people, villages), c| {
                (people + c.active, villages + c.villages)
            })
    }

    /// Each chosen group with the people the central keeps in it, for the pre-send check
    /// (an empty group blocks). Without a list from the central every group counts as one:
    /// the central has not said, or keeps no list yet, and nothing can be judged.
    pub fn group_sizes(&self, counts: Option<&[RecipientCount]>) -> Vec<(String, usize)> {
        let counts = counts.filter(|c| !c.is_empty());
        self.recipient_groups()
            .into_iter()
            .map(|group| {
                let size = counts.map_or(1, |counts| people_in(&group, counts));
                (group, size)
            })
            .collect()
    }

    /// Recipient group ids: every chosen kind for every chosen township, and the county's.
    pub fn recipient_groups(&self) -> BTreeSet<String> {
        let mut groups: BTreeSet<String> = self
            .townships
            .iter()
            .flat_map(|t| {
                self.group_kinds
                    .iter()
                    .map(move |k| format!("town:{t}:{k}"))
            })
            .collect();
        if self.county_all {
            groups.insert(COUNTY_GROUP.into());
        }
        groups
    }
}

/// The level a follow-up moves to: one up for an upgrade, one down for a downgrade, where
/// the type has it; otherwise the same.
pub fn moved_level(action: Action, from: Level, levels: &[Level]) -> Level {
    let pos = levels.iter().position(|l| *l == from);
    let pick = match (action, pos) {
        (Action::Upgrade, Some(i)) => levels.iter().skip(i + 1).find(|l| **l > from),
        (Action::Downgrade, Some(i)) => levels[..i].iter().rev().find(|l| **l < from),
        _ => None,
    };
    pick.copied().unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_expand_per_township_and_kind() {
        let mut d = Draft::new(Timestamp(0));
        d.townships = ["350423101", "350423106"].map(String::from).into();
        d.county_all = true;
        let want: BTreeSet<String> = [
            "county:all",
            "town:350423101:informants",
            "town:350423101:leaders",
            "town:350423106:informants",
            "town:350423106:leaders",
        ]
        .map(String::from)
        .into();
        assert_eq!(d.recipient_groups(), want);
    }

    #[test]
    fn levels_move_one_step_where_the_type_has_one() {
        use Level::*;
        let all = [Blue, Yellow, Orange, Red];
        let table = [
            (Action::Upgrade, Yellow, &all[..], Orange),
            (Action::Upgrade, Red, &all[..], Red),
            (Action::Downgrade, Yellow, &all[..], Blue),
            (
                Action::Downgrade,
                Orange,
                &[Yellow, Orange, Red][..],
                Yellow,
            ),
            (
                Action::Downgrade,
                Yellow,
                &[Yellow, Orange, Red][..],
                Yellow,
            ),
            (Action::Continue, Orange, &all[..], Orange),
        ];
        for (action, from, levels, want) in table {
            assert_eq!(
                moved_level(action, from, levels),
                want,
                "{action:?} {from:?}"
            );
        }
    }

    #[test]
    fn a_suggestion_prefills_signal_level_townships_and_the_hint() {
        use crate::domain::StationId;
        use crate::domain::element::Element;
        use crate::domain::warning::criteria::{Op, Param};
        use crate::domain::warning::suggest::Trigger;
        let network = crate::assets::qingliu_network().unwrap();
        let s = Suggestion {
            signal: "rainstorm".into(),
            level: Level::Orange,
            townships: ["350423101"].map(String::from).into(),
            triggers: vec![Trigger {
                station: StationId::parse("708308").unwrap(),
                element: Element::Pre1h,
                window_h: 3,
                value: 101.2,
                threshold: 100.0,
                at: Timestamp(0),
                param: Param::PrecipSum,
                op: Op::Ge,
            }],
        };
        let d = Draft::from_suggestion(&s, &network, Timestamp(90_000));
        assert_eq!(d.signal.as_deref(), Some("rainstorm"));
        assert_eq!(d.level, Some(Level::Orange));
        assert_eq!(d.townships, s.townships);
        assert_eq!(d.issued_at, Timestamp(60_000));
        let hint = d.hint.unwrap();
        assert!(
            hint.starts_with("触发观测：嵩溪高山 708308 3小时降水 101.2 mm ≥ 100"),
            "{hint}"
        );
        assert!(d.forecast.is_empty(), "the forecaster writes the text");
    }

    #[test]
    fn times_are_whole_minutes_and_a_lift_has_no_expiry() {
        let now = Timestamp(1_765_000_000_123);
        let mut d = Draft::new(now);
        assert_eq!(d.issued_at.millis() % MINUTE_MS, 0);
        assert_eq!(d.expires_at(), Some(d.issued_at.plus_ms(6 * HOUR_MS)));
        d.action = Action::Lift;
        assert_eq!(d.expires_at(), None);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Draft>(&json).unwrap(), d);
    }
}
