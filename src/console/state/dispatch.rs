//! What the desk knows of released warnings' dispatch: the last list read per warning, the
//! last decision's answer and the last refusal. `answers` counts every reply, so the view can
//! tell whether its last request has been answered (one poll in flight at a time).

use std::collections::BTreeMap;

use crate::console::messages::DispatchEvent;
use crate::console::messages::dispatch::{DecisionAnswer, DeliveryList};

/// A refusal to show until the next answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchRefusal {
    /// The warning asked about.
    pub warning: String,
    /// Its code (`unreachable` when the central could not be reached).
    pub code: String,
    /// What to show.
    pub message: String,
}

/// Dispatch as the desk knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchState {
    /// The last list read, per warning.
    pub lists: BTreeMap<String, DeliveryList>,
    /// The last retry or resend done.
    pub decided: Option<DecisionAnswer>,
    /// The last refusal, until the next answer.
    pub refusal: Option<DispatchRefusal>,
    /// Replies received so far (lists and refusals).
    pub answers: u64,
}

impl DispatchState {
    /// Takes in what the dispatch service reports.
    pub fn apply(&mut self, event: DispatchEvent) {
        match event {
            DispatchEvent::Loaded(list) => {
                self.answers += 1;
                self.refusal = None;
                self.lists.insert(list.warning.clone(), *list);
            }
            DispatchEvent::Decided(answer) => {
                self.refusal = None;
                self.decided = Some(answer);
            }
            DispatchEvent::Refused {
                warning,
                code,
                message,
            } => {
                self.answers += 1;
                self.refusal = Some(DispatchRefusal {
                    warning,
                    code,
                    message,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(warning: &str, not_received: u64) -> DeliveryList {
        DeliveryList {
            warning: warning.to_owned(),
            counts: BTreeMap::new(),
            channels: Vec::new(),
            not_received,
            resend_policy: false,
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn lists_replace_per_warning_and_a_refusal_lasts_until_the_next_answer() {
        let mut state = DispatchState::default();
        state.apply(DispatchEvent::Loaded(Box::new(list("w1", 3))));
        state.apply(DispatchEvent::Refused {
            warning: "w1".into(),
            code: "unreachable".into(),
            message: "无法连接".into(),
        });
        assert_eq!(state.answers, 2);
        assert_eq!(state.lists["w1"].not_received, 3, "the last list stays");
        assert!(state.refusal.is_some());
        state.apply(DispatchEvent::Loaded(Box::new(list("w1", 1))));
        assert_eq!(state.lists["w1"].not_received, 1);
        assert_eq!(state.refusal, None);
        assert_eq!(state.answers, 3);
    }
}
