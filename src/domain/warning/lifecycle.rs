//! Lifecycle of a warning signal: issue (发布), continue (继续发布), upgrade, downgrade,
//! change (变更发布) and lift (解除). Every follow-up names the warning it follows, keeps its
//! type, moves its level only as the action says, and may not grow its area unless the
//! forecaster confirms it on the record; a lift may end part of the area.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::catalogue::Level;
use crate::domain::time::Timestamp;

/// What a warning message does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 发布: a new warning.
    Issue,
    /// 继续发布: the same level and area, extended in time.
    Continue,
    /// 升级发布: a higher level.
    Upgrade,
    /// 降级发布: a lower level.
    Downgrade,
    /// 变更发布: the same level with changed content, times or area.
    Change,
    /// 解除: the warning ends.
    Lift,
}

impl Action {
    /// All actions.
    pub const ALL: [Action; 6] = [
        Action::Issue,
        Action::Continue,
        Action::Upgrade,
        Action::Downgrade,
        Action::Change,
        Action::Lift,
    ];

    /// The verb as written in the heading of the text.
    pub fn verb_zh(self) -> &'static str {
        match self {
            Action::Issue => "发布",
            Action::Continue => "继续发布",
            Action::Upgrade => "升级发布",
            Action::Downgrade => "降级发布",
            Action::Change => "变更发布",
            Action::Lift => "解除",
        }
    }
}

/// A warning in force, as a follow-up sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    /// Its identifier.
    pub id: String,
    /// Signal type id, e.g. "rainstorm".
    pub signal: String,
    /// Its level.
    pub level: Level,
    /// Township codes covered.
    pub area: BTreeSet<String>,
    /// When it runs out unless continued.
    pub expires_at: Timestamp,
    /// Whether a later message replaced or lifted it.
    pub closed: bool,
}

/// Where a warning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningState {
    /// In force.
    Active,
    /// Replaced by a follow-up or lifted.
    Closed,
    /// Its expiry passed with no follow-up.
    Expired,
}

impl InForce {
    /// Its state at `now`.
    pub fn state(&self, now: Timestamp) -> WarningState {
        match (self.closed, now >= self.expires_at) {
            (true, _) => WarningState::Closed,
            (false, true) => WarningState::Expired,
            (false, false) => WarningState::Active,
        }
    }
}

/// A message proposed to follow `prev` (or to start a warning, for [`Action::Issue`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// What it does.
    pub action: Action,
    /// Signal type id.
    pub signal: String,
    /// Its level.
    pub level: Level,
    /// Township codes covered.
    pub area: BTreeSet<String>,
    /// The forecaster confirmed, on the record, that the area grows.
    pub enlarge_confirmed: bool,
}

/// Why a message may not follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum LifecycleError {
    /// An issue does not follow anything; continue, upgrade or change the one in force.
    #[error("a new issue cannot follow warning {follows}")]
    IssueFollows {
        /// The warning it named.
        follows: String,
    },
    /// A signal of this type is already in force: follow it instead of issuing anew.
    #[error("{signal} warning {id} is in force")]
    AlreadyInForce {
        /// Its type.
        signal: String,
        /// Its identifier.
        id: String,
    },
    /// Every follow-up names the warning it follows.
    #[error("{action:?} must name the warning it follows")]
    NothingFollowed {
        /// The action.
        action: Action,
    },
    /// The warning followed is no longer in force.
    #[error("warning {id} is {state:?}")]
    NotInForce {
        /// Its identifier.
        id: String,
        /// Its state.
        state: WarningState,
    },
    /// A follow-up keeps the signal type.
    #[error("a follow-up of {from} cannot be {to}")]
    SignalChanged {
        /// The type in force.
        from: String,
        /// The type proposed.
        to: String,
    },
    /// The level does not fit the action (upgrade must raise it, continue keep it …).
    #[error("{action:?} cannot go from {from:?} to {to:?}")]
    LevelDoesNotFit {
        /// The action.
        action: Action,
        /// The level in force.
        from: Level,
        /// The level proposed.
        to: Level,
    },
    /// The area grows without the forecaster confirming it.
    #[error("the area grows by {added:?} without confirmation")]
    AreaEnlarged {
        /// Townships added.
        added: Vec<String>,
    },
    /// A lift covers townships the warning did not.
    #[error("a lift cannot cover {outside:?}, which the warning does not")]
    LiftOutsideArea {
        /// Townships outside.
        outside: Vec<String>,
    },
    /// No townships.
    #[error("the area is empty")]
    EmptyArea,
}

/// What following leaves in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new warning replaces the old one.
    Replaces,
    /// The warning ends everywhere.
    Lifted,
    /// The warning ends in part; it stays in force over `remaining`.
    PartlyLifted {
        /// Townships still covered.
        remaining: BTreeSet<String>,
    },
}

/// Whether `next` may follow `prev` at `now`, and what it leaves in force. `in_force` are the
/// warnings currently in force (an issue may not duplicate one of the same type).
pub fn follow(
    prev: Option<&InForce>,
    next: &Proposal,
    in_force: &[InForce],
    now: Timestamp,
) -> Result<Outcome, LifecycleError> {
    if next.area.is_empty() {
        return Err(LifecycleError::EmptyArea);
    }
    let prev = match (next.action, prev) {
        (Action::Issue, Some(p)) => {
            return Err(LifecycleError::IssueFollows {
                follows: p.id.clone(),
            });
        }
        (Action::Issue, None) => {
            return check_new_issue(next, in_force, now).map(|()| Outcome::Replaces);
        }
        (action, None) => return Err(LifecycleError::NothingFollowed { action }),
        (_, Some(p)) => p,
    };
    let state = prev.state(now);
    if state != WarningState::Active {
        return Err(LifecycleError::NotInForce {
            id: prev.id.clone(),
            state,
        });
    }
    if prev.signal != next.signal {
        return Err(LifecycleError::SignalChanged {
            from: prev.signal.clone(),
            to: next.signal.clone(),
        });
    }
    if !level_fits(next.action, prev.level, next.level) {
        return Err(LifecycleError::LevelDoesNotFit {
            action: next.action,
            from: prev.level,
            to: next.level,
        });
    }
    let added: Vec<String> = next.area.difference(&prev.area).cloned().collect();
    if next.action == Action::Lift {
        if !added.is_empty() {
            return Err(LifecycleError::LiftOutsideArea { outside: added });
        }
        let remaining: BTreeSet<String> = prev.area.difference(&next.area).cloned().collect();
        return Ok(if remaining.is_empty() {
            Outcome::Lifted
        } else {
            Outcome::PartlyLifted { remaining }
        });
    }
    if !added.is_empty() && !next.enlarge_confirmed {
        return Err(LifecycleError::AreaEnlarged { added });
    }
    Ok(Outcome::Replaces)
}

fn check_new_issue(
    next: &Proposal,
    in_force: &[InForce],
    now: Timestamp,
) -> Result<(), LifecycleError> {
    match in_force
        .iter()
        .find(|w| w.signal == next.signal && w.state(now) == WarningState::Active)
    {
        Some(w) => Err(LifecycleError::AlreadyInForce {
            signal: w.signal.clone(),
            id: w.id.clone(),
        }),
        None => Ok(()),
    }
}

/// Which level an action may go to from the level in force.
pub fn level_fits(action: Action, from: Level, to: Level) -> bool {
    match action {
        Action::Upgrade => to > from,
        Action::Downgrade => to < from,
        Action::Issue => true,
        Action::Continue | Action::Change | Action::Lift => to == from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::HOUR_MS;

    const NOW: Timestamp = Timestamp(1_796_000_000_000);

    fn area(codes: &[&str]) -> BTreeSet<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    fn in_force(level: Level, codes: &[&str]) -> InForce {
        InForce {
            id: "W1".into(),
            signal: "rainstorm".into(),
            level,
            area: area(codes),
            expires_at: NOW.plus_ms(6 * HOUR_MS),
            closed: false,
        }
    }

    fn proposal(action: Action, level: Level, codes: &[&str]) -> Proposal {
        Proposal {
            action,
            signal: "rainstorm".into(),
            level,
            area: area(codes),
            enlarge_confirmed: false,
        }
    }

    #[test]
    fn levels_each_action_may_reach() {
        use Level::*;
        let table = [
            (Action::Continue, Yellow, Yellow, true),
            (Action::Continue, Yellow, Orange, false),
            (Action::Upgrade, Yellow, Orange, true),
            (Action::Upgrade, Yellow, Red, true),
            (Action::Upgrade, Yellow, Yellow, false),
            (Action::Upgrade, Yellow, Blue, false),
            (Action::Downgrade, Orange, Yellow, true),
            (Action::Downgrade, Orange, Orange, false),
            (Action::Downgrade, Orange, Red, false),
            (Action::Change, Orange, Orange, true),
            (Action::Change, Orange, Red, false),
            (Action::Lift, Orange, Orange, true),
            (Action::Lift, Orange, Blue, false),
        ];
        for (action, from, to, ok) in table {
            assert_eq!(
                level_fits(action, from, to),
                ok,
                "{action:?} {from:?}->{to:?}"
            );
        }
    }

    #[test]
    fn follow_up_rules() {
        use Level::*;
        let prev = in_force(Yellow, &["101", "102"]);
        let mut lifted = prev.clone();
        lifted.closed = true;
        let mut expired = prev.clone();
        expired.expires_at = NOW;
        let mut other = proposal(Action::Continue, Yellow, &["101"]);
        other.signal = "gale".into();
        let mut confirmed = proposal(Action::Upgrade, Orange, &["101", "103"]);
        confirmed.enlarge_confirmed = true;
        let mut lift_confirmed = proposal(Action::Lift, Yellow, &["103"]);
        lift_confirmed.enlarge_confirmed = true;
        type Row<'a> = (
            Option<&'a InForce>,
            Proposal,
            Result<Outcome, LifecycleError>,
        );
        let table: Vec<Row<'_>> = vec![
            (
                None,
                proposal(Action::Issue, Yellow, &["101"]),
                Ok(Outcome::Replaces),
            ),
            (
                Some(&prev),
                proposal(Action::Issue, Yellow, &["101"]),
                Err(LifecycleError::IssueFollows {
                    follows: "W1".into(),
                }),
            ),
            (
                None,
                proposal(Action::Continue, Yellow, &["101"]),
                Err(LifecycleError::NothingFollowed {
                    action: Action::Continue,
                }),
            ),
            (
                None,
                proposal(Action::Issue, Yellow, &[]),
                Err(LifecycleError::EmptyArea),
            ),
            (
                Some(&prev),
                proposal(Action::Continue, Yellow, &["101", "102"]),
                Ok(Outcome::Replaces),
            ),
            (
                Some(&prev),
                proposal(Action::Change, Yellow, &["102"]),
                Ok(Outcome::Replaces),
            ),
            (
                Some(&prev),
                proposal(Action::Upgrade, Orange, &["101"]),
                Ok(Outcome::Replaces),
            ),
            (
                Some(&prev),
                proposal(Action::Downgrade, Blue, &["101"]),
                Ok(Outcome::Replaces),
            ),
            (
                Some(&prev),
                proposal(Action::Upgrade, Yellow, &["101"]),
                Err(LifecycleError::LevelDoesNotFit {
                    action: Action::Upgrade,
                    from: Yellow,
                    to: Yellow,
                }),
            ),
            (
                Some(&lifted),
                proposal(Action::Continue, Yellow, &["101"]),
                Err(LifecycleError::NotInForce {
                    id: "W1".into(),
                    state: WarningState::Closed,
                }),
            ),
            (
                Some(&expired),
                proposal(Action::Lift, Yellow, &["101"]),
                Err(LifecycleError::NotInForce {
                    id: "W1".into(),
                    state: WarningState::Expired,
                }),
            ),
            (
                Some(&prev),
                other,
                Err(LifecycleError::SignalChanged {
                    from: "rainstorm".into(),
                    to: "gale".into(),
                }),
            ),
            (
                Some(&prev),
                proposal(Action::Upgrade, Orange, &["101", "103", "104"]),
                Err(LifecycleError::AreaEnlarged {
                    added: vec!["103".into(), "104".into()],
                }),
            ),
            (Some(&prev), confirmed, Ok(Outcome::Replaces)),
            (
                Some(&prev),
                proposal(Action::Lift, Yellow, &["102", "101"]),
                Ok(Outcome::Lifted),
            ),
            (
                Some(&prev),
                proposal(Action::Lift, Yellow, &["101"]),
                Ok(Outcome::PartlyLifted {
                    remaining: area(&["102"]),
                }),
            ),
            (
                Some(&prev),
                lift_confirmed,
                Err(LifecycleError::LiftOutsideArea {
                    outside: vec!["103".into()],
                }),
            ),
        ];
        for (prev, next, want) in table {
            assert_eq!(follow(prev, &next, &[], NOW), want, "{next:?}");
        }
    }

    #[test]
    fn an_issue_may_not_duplicate_a_warning_in_force() {
        let active = in_force(Level::Yellow, &["101"]);
        let next = proposal(Action::Issue, Level::Orange, &["105"]);
        assert_eq!(
            follow(None, &next, std::slice::from_ref(&active), NOW),
            Err(LifecycleError::AlreadyInForce {
                signal: "rainstorm".into(),
                id: "W1".into()
            })
        );
        let mut gone = active.clone();
        gone.expires_at = NOW.plus_ms(-1);
        assert_eq!(follow(None, &next, &[gone], NOW), Ok(Outcome::Replaces));
        let mut gale = active;
        gale.signal = "gale".into();
        assert_eq!(follow(None, &next, &[gale], NOW), Ok(Outcome::Replaces));
    }

    #[test]
    fn states() {
        let w = in_force(Level::Blue, &["101"]);
        assert_eq!(w.state(NOW), WarningState::Active);
        assert_eq!(w.state(w.expires_at), WarningState::Expired);
        let closed = InForce { closed: true, ..w };
        assert_eq!(closed.state(NOW), WarningState::Closed);
        let e = LifecycleError::AreaEnlarged {
            added: vec!["103".into()],
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "area_enlarged", "params": {"added": ["103"]}})
        );
    }
}
