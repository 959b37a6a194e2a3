//! From draft to sent: a duty forecaster drafts and submits; a supervisor approves or returns
//! it with a comment; approval pins the content (every channel's text, the area, the
//! recipient groups) and any edit voids it; then it is sent. The approver is never the
//! drafter, except that the bureau may let the duty forecaster alone sign a continue or a
//! lift (e.g. at night); the sign-off records that it was so.
//!
//! ```text
//! editing ─submit─▶ submitted ─approve─▶ approved ─send─▶ sent
//!    ▲ ▲               │  └─return─▶ returned ─edit─┐      │
//!    │ └───edit────────┘                            │      │
//!    └──────────────────edit (voids the approval)───┴──────┘
//! editing/submitted ─sign alone (policy)─▶ approved
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::lifecycle::Action;
use crate::domain::access::{Capability, Role, allows};
use crate::domain::time::{MINUTE_MS, Timestamp};

/// Who signed a draft off, and on what content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    /// The account that signed.
    pub by: String,
    /// The content pin ([`content_pin`]) signed.
    pub pin: String,
    /// Signed by the duty forecaster alone under the bureau's policy.
    pub alone: bool,
}

/// Where a draft stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DraftState {
    /// Being written.
    Editing,
    /// Waiting for a supervisor.
    Submitted,
    /// Sent back with a comment.
    Returned {
        /// The supervisor.
        by: String,
        /// Why.
        comment: String,
    },
    /// Signed off; may be sent as pinned.
    Approved(SignOff),
    /// Sent.
    Sent(SignOff),
}

/// Something done to a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftEvent {
    /// Any change of content.
    Edit,
    /// Put in the approval queue.
    Submit,
    /// A supervisor approves the content with this pin.
    Approve {
        /// The account.
        by: String,
        /// Its role.
        role: Role,
        /// The pin of the content approved.
        pin: String,
    },
    /// A supervisor sends it back.
    Return {
        /// The account.
        by: String,
        /// Its role.
        role: Role,
        /// Why (required).
        comment: String,
    },
    /// The drafter signs alone, as the bureau's policy allows.
    SignAlone {
        /// The account.
        by: String,
        /// Its role.
        role: Role,
        /// The pin of the content signed.
        pin: String,
        /// When.
        at: Timestamp,
    },
    /// Sent with the content of this pin.
    Send {
        /// The account.
        by: String,
        /// Its role.
        role: Role,
        /// The pin of the content sent.
        pin: String,
    },
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum ApprovalError {
    /// The step does not apply in this state.
    #[error("cannot {event} a draft that is {state}")]
    NotNow {
        /// The step.
        event: String,
        /// The state.
        state: String,
    },
    /// The role lacks the capability.
    #[error("{role:?} may not {capability:?}")]
    NotAllowed {
        /// The role.
        role: Role,
        /// What it lacks.
        capability: Capability,
    },
    /// The approver drafted it.
    #[error("the drafter cannot approve their own warning")]
    ApproverIsDrafter,
    /// A return without a comment.
    #[error("a return needs a comment")]
    CommentRequired,
    /// The policy does not let the drafter sign this alone now.
    #[error("{action:?} may not be signed alone now")]
    AloneNotAllowed {
        /// The action.
        action: Action,
    },
    /// The content differs from what was approved.
    #[error("the content changed after approval")]
    ContentChanged,
}

/// The bureau's rule for signing alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AlonePolicy {
    /// Actions the duty forecaster may sign alone; only continue and lift count.
    pub actions: BTreeSet<Action>,
    /// Beijing-time window `[from, to)` in minutes of the day (may wrap midnight); `None` is
    /// all day.
    pub window: Option<(u16, u16)>,
}

impl AlonePolicy {
    /// Whether the drafter may sign `action` alone at `at`.
    pub fn permits(&self, action: Action, at: Timestamp) -> bool {
        let kind_ok =
            matches!(action, Action::Continue | Action::Lift) && self.actions.contains(&action);
        kind_ok && self.window.is_none_or(|w| in_window(w, minute_of_day(at)))
    }
}

fn minute_of_day(at: Timestamp) -> u16 {
    let day = at.floor_beijing(crate::domain::time::DAY_MS);
    ((at.millis() - day.millis()) / MINUTE_MS) as u16
}

fn in_window((from, to): (u16, u16), m: u16) -> bool {
    if from <= to {
        (from..to).contains(&m)
    } else {
        m >= from || m < to
    }
}

/// A draft's facts the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Who wrote it.
    pub drafter: String,
    /// What it does.
    pub action: Action,
    /// Where it stands.
    pub state: DraftState,
}

/// The state after `event`, or why not.
pub fn step(
    draft: &Draft,
    event: &DraftEvent,
    policy: &AlonePolicy,
) -> Result<DraftState, ApprovalError> {
    use DraftState as S;
    let not_now = |e: &str| ApprovalError::NotNow {
        event: e.into(),
        state: state_name(&draft.state).into(),
    };
    match (event, &draft.state) {
        (DraftEvent::Edit, S::Sent(_)) => Err(not_now("edit")),
        (DraftEvent::Edit, _) => Ok(S::Editing),
        (DraftEvent::Submit, S::Editing | S::Returned { .. }) => Ok(S::Submitted),
        (DraftEvent::Submit, _) => Err(not_now("submit")),
        (DraftEvent::Approve { by, role, pin }, S::Submitted) => {
            need(*role, Capability::ApproveWarning)?;
            if *by == draft.drafter {
                return Err(ApprovalError::ApproverIsDrafter);
            }
            Ok(S::Approved(SignOff {
                by: by.clone(),
                pin: pin.clone(),
                alone: false,
            }))
        }
        (DraftEvent::Approve { .. }, _) => Err(not_now("approve")),
        (DraftEvent::Return { by, role, comment }, S::Submitted) => {
            need(*role, Capability::ApproveWarning)?;
            if comment.trim().is_empty() {
                return Err(ApprovalError::CommentRequired);
            }
            Ok(S::Returned {
                by: by.clone(),
                comment: comment.clone(),
            })
        }
        (DraftEvent::Return { .. }, _) => Err(not_now("return")),
        (DraftEvent::SignAlone { by, role, pin, at }, S::Editing | S::Submitted) => {
            need(*role, Capability::DraftWarning)?;
            if *by != draft.drafter || !policy.permits(draft.action, *at) {
                return Err(ApprovalError::AloneNotAllowed {
                    action: draft.action,
                });
            }
            Ok(S::Approved(SignOff {
                by: by.clone(),
                pin: pin.clone(),
                alone: true,
            }))
        }
        (DraftEvent::SignAlone { .. }, _) => Err(not_now("sign_alone")),
        (DraftEvent::Send { role, pin, .. }, S::Approved(sign)) => {
            need(*role, Capability::DispatchWarning)?;
            if *pin != sign.pin {
                return Err(ApprovalError::ContentChanged);
            }
            Ok(S::Sent(sign.clone()))
        }
        (DraftEvent::Send { .. }, _) => Err(not_now("send")),
    }
}

fn need(role: Role, capability: Capability) -> Result<(), ApprovalError> {
    if allows(role, capability) {
        Ok(())
    } else {
        Err(ApprovalError::NotAllowed { role, capability })
    }
}

/// The state's name (`submitted`), as refusals and queries write it.
pub fn state_name(state: &DraftState) -> &'static str {
    match state {
        DraftState::Editing => "editing",
        DraftState::Submitted => "submitted",
        DraftState::Returned { .. } => "returned",
        DraftState::Approved(_) => "approved",
        DraftState::Sent(_) => "sent",
    }
}

/// The pin of a draft's content: SHA-256 over every channel's text, the township codes and
/// the recipient group ids, each length-prefixed so no two contents share a pin.
pub fn content_pin(
    texts: &[(&str, &str)],
    area: &BTreeSet<String>,
    groups: &BTreeSet<String>,
) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    for (channel, text) in texts {
        put(channel);
        put(text);
    }
    put("area");
    area.iter().for_each(|a| put(a));
    put("groups");
    groups.iter().for_each(|g| put(g));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
