//! The bureau's per-level policy for messages whose outcome is unknown: at the levels it names
//! (`[warnings] resend_unknown = ["red"]`), an `unknown` row is sent again without waiting for
//! a person, accepting a possible duplicate rather than a possible miss. Everywhere else an
//! unknown row waits for a recorded decision.

use std::collections::BTreeSet;

use super::OutboxState;
use crate::domain::warning::Level;

/// How a row came to be resent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResendHow {
    /// A person decided it, with a reason.
    Decision,
    /// The bureau's per-level policy did.
    Policy,
}

impl ResendHow {
    /// Stable code, as the database and the API write it.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Decision => "decision",
            Self::Policy => "policy",
        }
    }

    /// Parses a code written by [`ResendHow::code`].
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Decision, Self::Policy]
            .into_iter()
            .find(|h| h.code() == code)
    }
}

/// The levels whose unknown messages are resent by policy (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResendPolicy {
    /// The warning levels the policy covers.
    pub levels: BTreeSet<Level>,
}

/// What the policy is asked about one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowFacts {
    /// The row's state.
    pub state: OutboxState,
    /// How it was resent before, if it was.
    pub resent: Option<ResendHow>,
    /// Its warning's level.
    pub level: Level,
    /// Whether its warning is still in force (a resend of an ended warning tells nobody
    /// anything true).
    pub in_force: bool,
}

impl ResendPolicy {
    /// Whether the policy resends the row: unknown, of a covered level, its warning still in
    /// force, and not already resent by the policy once (a second doubt waits for a person,
    /// so a flapping link cannot send the same warning over and over).
    pub fn resends(&self, row: RowFacts) -> bool {
        row.state == OutboxState::Unknown
            && self.levels.contains(&row.level)
            && row.in_force
            && row.resent != Some(ResendHow::Policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OutboxState as S;

    #[test]
    fn only_unknown_rows_of_covered_levels_in_force_are_resent_once() {
        let red = ResendPolicy {
            levels: [Level::Red].into(),
        };
        let none = ResendPolicy::default();
        let facts = |state, resent, level, in_force| RowFacts {
            state,
            resent,
            level,
            in_force,
        };
        let table = [
            (&red, facts(S::Unknown, None, Level::Red, true), true),
            (&red, facts(S::Unknown, None, Level::Orange, true), false),
            (&red, facts(S::Unknown, None, Level::Red, false), false),
            (&red, facts(S::Failed, None, Level::Red, true), false),
            (&red, facts(S::Sent, None, Level::Red, true), false),
            (&red, facts(S::Queued, None, Level::Red, true), false),
            (&red, facts(S::Delivered, None, Level::Red, true), false),
            // A person's earlier decision does not use up the policy's one resend.
            (
                &red,
                facts(S::Unknown, Some(ResendHow::Decision), Level::Red, true),
                true,
            ),
            (
                &red,
                facts(S::Unknown, Some(ResendHow::Policy), Level::Red, true),
                false,
            ),
            (&none, facts(S::Unknown, None, Level::Red, true), false),
        ];
        for (policy, row, resends) in table {
            assert_eq!(policy.resends(row), resends, "{row:?}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for how in [ResendHow::Decision, ResendHow::Policy] {
            assert_eq!(ResendHow::parse(how.code()), Some(how));
        }
        assert_eq!(ResendHow::parse("whim"), None);
    }
}
