//! The durable outbox's life cycle: one row per message to one recipient on one channel (or
//! per relay command), its states and the pure rules that say which step may follow which.
//!
//! ```text
//! queued ─claim─▶ claimed ─mark sending─▶ sending ─mark sent─▶ sent ─receipt─▶ delivered
//!   ▲  │             │  │                   │  │                  └──receipt──▶ failed
//!   │  │  lease lapsed  └─release──▶ queued │  └─lease lapsed──▶ unknown ─reconcile─▶ …
//!   │  └─cancel / expire─▶ cancelled / expired         └─refused──▶ failed ─requeue─▶ queued
//! ```
//!
//! `unknown` means "we may have handed it over and did not record the answer": it is never
//! resent blindly, only by a recorded decision ([`OutboxEvent::Resend`]) or settled by what
//! the provider tells ([`OutboxEvent::Delivered`], [`OutboxEvent::Refused`]). `failed` is
//! final unless a person asks for a new attempt ([`OutboxEvent::Requeue`]).

pub mod policy;

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for its due time and a worker.
    Queued,
    /// A worker holds its lease and has not called the provider yet.
    Claimed,
    /// A worker is calling the provider: the window of doubt.
    Sending,
    /// The provider accepted it (its id is recorded).
    Sent,
    /// The provider confirmed delivery.
    Delivered,
    /// The provider refused it, or reported it undeliverable.
    Failed,
    /// It may have been handed over; nobody recorded the answer.
    Unknown,
    /// Withdrawn before it was handed over.
    Cancelled,
    /// Its time passed before it was handed over.
    Expired,
}

impl OutboxState {
    /// Every state, in life-cycle order.
    pub const ALL: [Self; 9] = [
        Self::Queued,
        Self::Claimed,
        Self::Sending,
        Self::Sent,
        Self::Delivered,
        Self::Failed,
        Self::Unknown,
        Self::Cancelled,
        Self::Expired,
    ];

    /// Stable code, as the database writes it.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Claimed => "claimed",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    /// Parses a code written by [`OutboxState::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether nothing more happens to the row by itself (a person may still requeue a
    /// `failed` one).
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::Failed | Self::Cancelled | Self::Expired
        )
    }

    /// Whether a worker's lease covers the row in this state.
    pub const fn is_leased(self) -> bool {
        matches!(self, Self::Claimed | Self::Sending)
    }
}

impl fmt::Display for OutboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Something that happens to an outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxEvent {
    /// A worker takes the row (and its lease).
    Claim,
    /// The worker gives it back untouched (throttled before calling the provider).
    Release,
    /// The worker is about to call the provider.
    MarkSending,
    /// The provider accepted it and gave its id.
    MarkSent,
    /// The provider answered "not now" (a throttle, a definite transient refusal): try again.
    Retry,
    /// The provider refused it, or a receipt says it was not delivered.
    Refused,
    /// A receipt (or a status query) says it was delivered.
    Delivered,
    /// The lease ran out without the worker finishing (it crashed or hung).
    LeaseLapsed,
    /// The provider call ended without a clear answer (the link dropped after the submit):
    /// the worker itself records that it may have been handed over.
    InDoubt,
    /// A person's recorded decision, or an explicit policy, sends an `unknown` row again.
    Resend,
    /// A person asks for a `failed` row to be tried again (a new attempt, audited): the
    /// provider said no, so nobody has it and trying again cannot duplicate it.
    Requeue,
    /// Withdrawn.
    Cancel,
    /// Its time passed.
    Expire,
}

/// Whether only the lease holder may take `event` from `from`: its update must be fenced by
/// `(id, attempt, lease_owner)`. Withdrawing a row and recovery act on anyone's lease.
pub const fn needs_lease(from: OutboxState, event: OutboxEvent) -> bool {
    from.is_leased()
        && !matches!(
            event,
            OutboxEvent::Cancel | OutboxEvent::Expire | OutboxEvent::LeaseLapsed
        )
}

/// A step the life cycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an outbox row that is {from} cannot take {event:?}")]
pub struct IllegalTransition {
    /// Where the row stood.
    pub from: OutboxState,
    /// What was attempted.
    pub event: OutboxEvent,
}

/// The state `event` moves a row in state `from` to, or why it may not.
pub fn transition(from: OutboxState, event: OutboxEvent) -> Result<OutboxState, IllegalTransition> {
    use OutboxEvent as E;
    use OutboxState as S;
    let to = match (from, event) {
        (S::Queued, E::Claim) => S::Claimed,
        // Back in line: never handed over (a lapsed claim, a definite "not now" from the
        // provider), or a recorded decision to send an unknown row again.
        (S::Claimed, E::Release | E::LeaseLapsed)
        | (S::Sending, E::Retry)
        | (S::Unknown, E::Resend)
        | (S::Failed, E::Requeue) => S::Queued,
        (S::Claimed, E::MarkSending) => S::Sending,
        (S::Sending, E::MarkSent) => S::Sent,
        // Never resent blindly: a lapsed call may have reached the provider.
        (S::Sending, E::LeaseLapsed | E::InDoubt) => S::Unknown,
        (S::Sending | S::Sent | S::Unknown, E::Refused) => S::Failed,
        (S::Sent | S::Unknown, E::Delivered) => S::Delivered,
        (S::Queued | S::Claimed, E::Cancel) => S::Cancelled,
        (S::Queued | S::Claimed, E::Expire) => S::Expired,
        _ => return Err(IllegalTransition { from, event }),
    };
    Ok(to)
}

/// What recovery does to a row whose lease ran out: `claimed` goes back to `queued`,
/// `sending` becomes `unknown`; other states hold no lease and are left alone.
pub fn recovered(state: OutboxState) -> Option<OutboxState> {
    transition(state, OutboxEvent::LeaseLapsed).ok()
}

/// How long to wait before attempt `attempt + 1` after a retry: doubling from `base_ms`,
/// capped at `cap_ms`.
pub fn retry_delay_ms(attempt: u32, base_ms: i64, cap_ms: i64) -> i64 {
    let doublings = attempt.saturating_sub(1).min(30);
    base_ms.saturating_mul(1_i64 << doublings).min(cap_ms)
}

#[cfg(test)]
mod tests {
    use super::OutboxEvent as E;
    use super::OutboxState as S;
    use super::*;

    #[test]
    fn allowed_steps_lead_where_the_design_says() {
        let table = [
            (S::Queued, E::Claim, S::Claimed),
            (S::Claimed, E::MarkSending, S::Sending),
            (S::Claimed, E::Release, S::Queued),
            (S::Claimed, E::LeaseLapsed, S::Queued),
            (S::Sending, E::MarkSent, S::Sent),
            (S::Sending, E::Retry, S::Queued),
            (S::Sending, E::Refused, S::Failed),
            (S::Sending, E::LeaseLapsed, S::Unknown),
            (S::Sending, E::InDoubt, S::Unknown),
            (S::Sent, E::Delivered, S::Delivered),
            (S::Sent, E::Refused, S::Failed),
            (S::Unknown, E::Delivered, S::Delivered),
            (S::Unknown, E::Refused, S::Failed),
            (S::Unknown, E::Resend, S::Queued),
            (S::Failed, E::Requeue, S::Queued),
            (S::Queued, E::Cancel, S::Cancelled),
            (S::Claimed, E::Cancel, S::Cancelled),
            (S::Queued, E::Expire, S::Expired),
            (S::Claimed, E::Expire, S::Expired),
        ];
        for (from, event, to) in table {
            assert_eq!(transition(from, event), Ok(to), "{from} + {event:?}");
        }
    }

    #[test]
    fn forbidden_steps_are_refused() {
        let table = [
            // Nothing resends an unknown row but a recorded decision.
            (S::Unknown, E::Claim),
            (S::Unknown, E::MarkSending),
            (S::Unknown, E::Retry),
            // Once handed over, it cannot be withdrawn or expire.
            (S::Sending, E::Cancel),
            (S::Sent, E::Cancel),
            (S::Sending, E::Expire),
            // No skipping the mark before the call.
            (S::Claimed, E::MarkSent),
            (S::Queued, E::MarkSending),
            (S::Sent, E::MarkSent),
            (S::Queued, E::Resend),
            // A retry of failed rows never touches the others.
            (S::Unknown, E::Requeue),
            (S::Delivered, E::Requeue),
            (S::Sending, E::Requeue),
            (S::Sent, E::Requeue),
            (S::Queued, E::Requeue),
            (S::Failed, E::Resend),
        ];
        for (from, event) in table {
            assert_eq!(
                transition(from, event),
                Err(IllegalTransition { from, event }),
                "{from} + {event:?}"
            );
        }
    }

    #[test]
    fn final_states_take_no_event_but_a_requeue_of_a_failure() {
        let events = [
            E::Claim,
            E::Release,
            E::MarkSending,
            E::MarkSent,
            E::Retry,
            E::Refused,
            E::Delivered,
            E::LeaseLapsed,
            E::InDoubt,
            E::Resend,
            E::Requeue,
            E::Cancel,
            E::Expire,
        ];
        for state in S::ALL.into_iter().filter(|s| s.is_final()) {
            for event in events {
                if (state, event) == (S::Failed, E::Requeue) {
                    continue;
                }
                assert!(transition(state, event).is_err(), "{state} + {event:?}");
            }
        }
    }

    #[test]
    fn recovery_requeues_claims_and_doubts_sends() {
        let table = [
            (S::Queued, None),
            (S::Claimed, Some(S::Queued)),
            (S::Sending, Some(S::Unknown)),
            (S::Sent, None),
            (S::Unknown, None),
            (S::Delivered, None),
        ];
        for (state, expected) in table {
            assert_eq!(recovered(state), expected, "{state}");
            assert_eq!(state.is_leased(), expected.is_some(), "{state}");
        }
    }

    #[test]
    fn only_the_lease_holder_steps_a_leased_row() {
        let table = [
            (S::Claimed, E::MarkSending, true),
            (S::Claimed, E::Release, true),
            (S::Sending, E::MarkSent, true),
            (S::Sending, E::Refused, true),
            (S::Sending, E::Retry, true),
            (S::Sending, E::InDoubt, true),
            (S::Claimed, E::Cancel, false),
            (S::Sending, E::LeaseLapsed, false),
            (S::Sent, E::Delivered, false),
            (S::Unknown, E::Resend, false),
            (S::Failed, E::Requeue, false),
            (S::Queued, E::Claim, false),
        ];
        for (from, event, fenced) in table {
            assert_eq!(needs_lease(from, event), fenced, "{from} + {event:?}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for state in S::ALL {
            assert_eq!(S::parse(state.code()), Some(state));
        }
        assert_eq!(S::parse("lost"), None);
    }

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        let table = [
            (0, 1_000),
            (1, 1_000),
            (2, 2_000),
            (3, 4_000),
            (7, 60_000),
            (99, 60_000),
        ];
        for (attempt, expected) in table {
            assert_eq!(
                retry_delay_ms(attempt, 1_000, 60_000),
                expected,
                "{attempt}"
            );
        }
    }
}
