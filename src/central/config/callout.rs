//! `[callout]`: which warnings need 叫应, whom it calls and when unanswered lines escalate.
//!
//! ```toml
//! [callout]
//! levels = ["orange", "red"]            # every signal type without its own entry
//! duties = ["party_secretary", "head", "emergency_management", "flood_control"]
//! escalate_desk_minutes = 10
//! escalate_supervisor_minutes = 20
//! [callout.signals]
//! rainstorm = ["yellow", "orange", "red"]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::domain::callout::CalloutRules;
use crate::domain::recipients::Duty;
use crate::domain::warning::Level;

/// Longest wait before an open line escalates: a day (more is a typing mistake).
pub const MAX_ESCALATE_MINUTES: u32 = 24 * 60;

/// `[callout]` as written; every key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalloutSection {
    /// Levels needing 叫应 for every signal type without its own entry (default orange, red).
    pub levels: Option<BTreeSet<Level>>,
    /// Per signal type (`rainstorm`), the levels needing 叫应 instead.
    #[serde(default)]
    pub signals: BTreeMap<String, BTreeSet<Level>>,
    /// The duties called (default the leaders, emergency management and flood control).
    pub duties: Option<BTreeSet<Duty>>,
    /// Minutes until an open line goes to the duty desk (default 10).
    pub escalate_desk_minutes: Option<u32>,
    /// Minutes until an open line goes to the supervisor (default 20).
    pub escalate_supervisor_minutes: Option<u32>,
}

impl CalloutSection {
    /// The rules, defaults filled in; the reason when they contradict themselves.
    pub fn rules(self) -> Result<CalloutRules, String> {
        let mut rules = CalloutRules::default();
        if let Some(levels) = self.levels {
            rules.levels = levels;
        }
        rules.per_signal = self.signals;
        if let Some(duties) = self.duties {
            if duties.is_empty() {
                return Err("[callout] duties: name at least one duty to call".to_owned());
            }
            rules.duties = duties;
        }
        if let Some(desk) = self.escalate_desk_minutes {
            rules.escalate_desk_minutes = desk;
        }
        if let Some(supervisor) = self.escalate_supervisor_minutes {
            rules.escalate_supervisor_minutes = supervisor;
        }
        let (desk, supervisor) = (
            rules.escalate_desk_minutes,
            rules.escalate_supervisor_minutes,
        );
        if desk == 0 || supervisor > MAX_ESCALATE_MINUTES || desk >= supervisor {
            return Err(format!(
                "[callout] escalate_desk_minutes ({desk}) must be at least 1 and less than \
                 escalate_supervisor_minutes ({supervisor}), itself at most {MAX_ESCALATE_MINUTES}"
            ));
        }
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<CalloutRules, String> {
        #[derive(Deserialize)]
        struct File {
            callout: CalloutSection,
        }
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        file.callout.rules()
    }

    #[test]
    fn an_empty_section_is_orange_and_red_after_10_and_20_minutes() {
        assert_eq!(rules("[callout]\n"), Ok(CalloutRules::default()));
    }

    #[test]
    fn the_section_sets_levels_per_type_duties_and_minutes() {
        let got = rules(
            "[callout]\nlevels = [\"red\"]\nduties = [\"head\"]\nescalate_desk_minutes = 5\n\
             escalate_supervisor_minutes = 15\n[callout.signals]\nrainstorm = [\"yellow\", \"red\"]\n",
        )
        .unwrap();
        assert_eq!(got.levels, [Level::Red].into());
        assert_eq!(got.duties, [Duty::Head].into());
        assert_eq!(
            got.per_signal["rainstorm"],
            [Level::Yellow, Level::Red].into()
        );
        assert_eq!(
            (got.escalate_desk_minutes, got.escalate_supervisor_minutes),
            (5, 15)
        );
    }

    #[test]
    fn contradictions_are_refused() {
        let table = [
            "[callout]\nescalate_desk_minutes = 0\n",
            "[callout]\nescalate_desk_minutes = 20\n",
            "[callout]\nescalate_supervisor_minutes = 5000\n",
            "[callout]\nduties = []\n",
            "[callout]\nlevels = [\"purple\"]\n",
            "[callout]\nlevel = [\"red\"]\n",
        ];
        for text in table {
            assert!(rules(text).is_err(), "{text}");
        }
    }
}
