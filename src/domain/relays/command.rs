//! A relay command's life. Commands are absolute ("set channel 2 on"), never toggles, so a
//! repeat can do no harm the first did not, and each carries its [`CommandId`] so the device
//! (or the adapter in front of a Modbus board) ignores a repeat all the same.
//!
//! ```text
//! queued ──sent──▶ sent ──acknowledged──▶ acknowledged ──observed──▶ observed
//!   │               │  └────────observed (ack and feedback at once)──▶ observed
//!   │               ├──refused──▶ failed
//!   │               └──no ack in time / link lost──▶ timed_out
//!   ├──cancel──▶ cancelled          acknowledged ──not observed in time──▶ timed_out
//!   └──expiry──▶ expired
//! ```
//!
//! A command whose device did not answer is `timed_out`, never a success: what the relay does
//! is then what its next reading shows, and the desk shows that reading apart.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Relay, RelayClass};
use crate::domain::Timestamp;
use crate::domain::devices::DeviceId;

/// A command's id: 8–64 ASCII letters, digits, `-` or `_`. The desk makes it, so a desk that
/// retries a request cannot queue a second command.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommandId(String);

/// Why a text is not a command id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("command id must be 8–64 ASCII letters, digits, '-' or '_'")]
pub struct InvalidCommandId;

impl CommandId {
    /// Parses and validates a command id.
    pub fn parse(text: &str) -> Result<Self, InvalidCommandId> {
        let valid = (8..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid.then(|| Self(text.to_owned())).ok_or(InvalidCommandId)
    }

    /// An id made of 12 random bytes (the caller draws them: the domain does no I/O).
    pub fn from_random(bytes: [u8; 12]) -> Self {
        use fmt::Write as _;
        let mut text = String::from("c-");
        for byte in bytes {
            _ = write!(text, "{byte:02x}");
        }
        Self(text)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CommandId {
    type Error = InvalidCommandId;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<CommandId> for String {
    fn from(id: CommandId) -> Self {
        id.0
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The state a command sets: absolute, never "toggle".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Switch {
    /// Energised.
    On,
    /// Released.
    Off,
}

impl Switch {
    /// The coil value.
    pub const fn is_on(self) -> bool {
        matches!(self, Self::On)
    }

    /// From a coil value.
    pub const fn from_bool(on: bool) -> Self {
        if on { Self::On } else { Self::Off }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::On => "开",
            Self::Off => "关",
        }
    }
}

/// Where a command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandState {
    /// Waiting for its device (or its turn).
    Queued,
    /// Handed to the broker or written to the board; no answer yet.
    Sent,
    /// The device said it switched.
    Acknowledged,
    /// A feedback reading shows the relay in the commanded state.
    Observed,
    /// Sent, but no acknowledgement or no matching reading in time.
    TimedOut,
    /// Its expiry passed while it waited.
    Expired,
    /// The device refused it, or it could not be sent at all.
    Failed,
    /// Withdrawn by a person before it was sent.
    Cancelled,
}

impl CommandState {
    /// Every state.
    pub const ALL: [Self; 8] = [
        Self::Queued,
        Self::Sent,
        Self::Acknowledged,
        Self::Observed,
        Self::TimedOut,
        Self::Expired,
        Self::Failed,
        Self::Cancelled,
    ];

    /// Stable code, as the database and the API write it.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Acknowledged => "acknowledged",
            Self::Observed => "observed",
            Self::TimedOut => "timed_out",
            Self::Expired => "expired",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a code written by [`CommandState::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Chinese name, as the desk shows it.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Queued => "排队中",
            Self::Sent => "已发送",
            Self::Acknowledged => "设备已确认",
            Self::Observed => "已观测到",
            Self::TimedOut => "超时",
            Self::Expired => "已过期",
            Self::Failed => "失败",
            Self::Cancelled => "已取消",
        }
    }

    /// Whether nothing more happens to it.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Observed | Self::TimedOut | Self::Expired | Self::Failed | Self::Cancelled
        )
    }

    /// Whether it succeeded: only a reading proves a relay moved.
    pub const fn is_success(self) -> bool {
        matches!(self, Self::Observed)
    }
}

/// Something that happens to a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandEvent {
    /// Handed over (broker PUBACK, or the board answered the write).
    Sent,
    /// The device's acknowledgement of this command id.
    Acknowledged,
    /// A feedback reading shows the commanded state.
    Observed,
    /// The device refused it, or it cannot be sent (no such relay on the board).
    Refused,
    /// No answer in time, or the link dropped under it.
    TimedOut,
    /// Its expiry passed while queued.
    Expire,
    /// A person withdrew it.
    Cancel,
}

/// A step the life cycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {state:?} command cannot take {event:?}")]
pub struct IllegalStep {
    /// Where it stood.
    pub state: CommandState,
    /// What was tried.
    pub event: CommandEvent,
}

/// The state after `event`, or why it cannot happen.
pub fn step(state: CommandState, event: CommandEvent) -> Result<CommandState, IllegalStep> {
    use CommandEvent as E;
    use CommandState as S;
    let next = match (state, event) {
        (S::Queued, E::Sent) => S::Sent,
        (S::Queued, E::Expire) => S::Expired,
        (S::Queued, E::Cancel) => S::Cancelled,
        (S::Queued | S::Sent, E::Refused) => S::Failed,
        (S::Sent, E::Acknowledged) => S::Acknowledged,
        (S::Sent | S::Acknowledged, E::Observed) => S::Observed,
        (S::Sent | S::Acknowledged, E::TimedOut) => S::TimedOut,
        _ => return Err(IllegalStep { state, event }),
    };
    Ok(next)
}

/// How long a command may wait for each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// From sent to the device's acknowledgement.
    pub ack_ms: i64,
    /// From the acknowledgement to a reading that shows it.
    pub observe_ms: i64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            ack_ms: 10_000,
            observe_ms: 30_000,
        }
    }
}

/// Who or what asked for a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A person at a desk.
    Person,
    /// The central, switching off a relay at its run-time limit (the command it ends).
    RunLimit {
        /// The command that switched it on.
        ended: CommandId,
    },
    /// An automation rule, proposed and confirmed by a person, or enabled to act alone.
    Automation {
        /// The rule.
        rule: String,
        /// Nobody confirmed it: the bureau enabled the rule to act by itself.
        unattended: bool,
    },
}

/// A relay command as the central keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// Its id.
    pub id: CommandId,
    /// The device whose relay it switches.
    pub device: DeviceId,
    /// The relay's channel.
    pub channel: u16,
    /// The relay's class when it was commanded.
    pub class: RelayClass,
    /// What it sets.
    pub target: Switch,
    /// A pulse: the device switches off by itself after this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_s: Option<u32>,
    /// Where it stands.
    pub state: CommandState,
    /// Who asked (a user name, or `system`).
    pub requested_by: String,
    /// Why (required for high-impact classes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What asked for it.
    pub origin: Origin,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Not sent after this; `None`: waits until sent (a run-time limit's off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When it was handed over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    /// When the device acknowledged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_at: Option<Timestamp>,
    /// When a reading showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<Timestamp>,
    /// When it ended otherwise (timed out, expired, failed, cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// What went wrong, or who cancelled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Who asked for a command, why, and how long it may wait to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// A user name, or `central`.
    pub by: String,
    /// Why.
    pub reason: Option<String>,
    /// What asked for it.
    pub origin: Origin,
    /// Not sent after this; `None`: waits until sent.
    pub expires_at: Option<Timestamp>,
}

impl Command {
    /// Command `id`, queued `now` to set `relay` of `device` to `target` as `asked`: a relay
    /// that times its own pulse is sent it with the `on`; nothing has happened to it yet.
    pub fn queued(
        id: CommandId,
        device: DeviceId,
        relay: &Relay,
        target: Switch,
        asked: Asked,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            device,
            channel: relay.channel,
            class: relay.class,
            target,
            pulse_s: relay.pulse_for(target),
            state: CommandState::Queued,
            requested_by: asked.by,
            reason: asked.reason,
            origin: asked.origin,
            created_at: now,
            expires_at: asked.expires_at,
            sent_at: None,
            acked_at: None,
            observed_at: None,
            ended_at: None,
            detail: None,
        }
    }

    /// The next deadline and what happens at it, if any.
    pub fn deadline(&self, deadlines: Deadlines) -> Option<(Timestamp, CommandEvent)> {
        match self.state {
            CommandState::Queued => self.expires_at.map(|at| (at, CommandEvent::Expire)),
            CommandState::Sent => self
                .sent_at
                .map(|at| (at.plus_ms(deadlines.ack_ms), CommandEvent::TimedOut)),
            CommandState::Acknowledged => self
                .acked_at
                .map(|at| (at.plus_ms(deadlines.observe_ms), CommandEvent::TimedOut)),
            _ => None,
        }
    }

    /// Applies `event` at `now`, stamping the time it belongs to.
    pub fn apply(&mut self, event: CommandEvent, now: Timestamp) -> Result<(), IllegalStep> {
        self.state = step(self.state, event)?;
        match event {
            CommandEvent::Sent => self.sent_at = Some(now),
            CommandEvent::Acknowledged => self.acked_at = Some(now),
            CommandEvent::Observed => {
                self.acked_at.get_or_insert(now);
                self.observed_at = Some(now);
            }
            _ => self.ended_at = Some(now),
        }
        Ok(())
    }

    /// Milliseconds from queued to observed, once observed.
    pub fn latency_ms(&self) -> Option<i64> {
        self.observed_at.map(|at| at.0 - self.created_at.0)
    }
}

impl Command {
    /// What the audit chain says of it: who, why, what, how it stands and how long it took.
    pub fn audit_detail(&self) -> crate::domain::audit::AuditDetail {
        crate::domain::audit::AuditDetail::RelayCommand {
            command: self.id.to_string(),
            device: self.device.to_string(),
            channel: self.channel,
            class: self.class.code().to_owned(),
            target: format!("{:?}", self.target).to_lowercase(),
            state: self.state.code().to_owned(),
            reason: self.reason.clone(),
            latency_ms: self.latency_ms(),
            detail: self.detail.clone(),
        }
    }

    /// The audit entry of its end, written by the central.
    pub fn ended_record(&self, at: Timestamp) -> crate::domain::audit::AuditRecord {
        use crate::domain::audit::{AuditAction, AuditRecord, Outcome};
        let outcome = if self.state.is_success() {
            Outcome::Ok
        } else {
            Outcome::Failed
        };
        AuditRecord::new(at, "central", "", AuditAction::RelayCommandEnded, outcome)
            .target(format!("device:{}", self.device))
            .detail(&self.audit_detail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommandEvent as E;
    use CommandState as S;

    #[test]
    fn the_life_cycle_allows_exactly_these_steps() {
        let allowed = [
            (S::Queued, E::Sent, S::Sent),
            (S::Queued, E::Expire, S::Expired),
            (S::Queued, E::Cancel, S::Cancelled),
            (S::Queued, E::Refused, S::Failed),
            (S::Sent, E::Refused, S::Failed),
            (S::Sent, E::Acknowledged, S::Acknowledged),
            (S::Sent, E::Observed, S::Observed),
            (S::Acknowledged, E::Observed, S::Observed),
            (S::Sent, E::TimedOut, S::TimedOut),
            (S::Acknowledged, E::TimedOut, S::TimedOut),
        ];
        let events = [
            E::Sent,
            E::Acknowledged,
            E::Observed,
            E::Refused,
            E::TimedOut,
            E::Expire,
            E::Cancel,
        ];
        for state in S::ALL {
            for event in events {
                let expected = allowed
                    .iter()
                    .find(|(s, e, _)| *s == state && *e == event)
                    .map(|(_, _, next)| *next);
                assert_eq!(step(state, event).ok(), expected, "{state:?} + {event:?}");
            }
        }
    }

    #[test]
    fn a_final_state_takes_nothing_and_only_observed_is_success() {
        for state in S::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(step(state, E::Observed).is_err());
            assert_eq!(state.is_success(), state == S::Observed);
        }
    }

    #[test]
    fn a_sent_command_cannot_be_cancelled_only_timed_out() {
        assert!(step(S::Sent, E::Cancel).is_err());
        assert!(step(S::Sent, E::Expire).is_err());
    }

    #[test]
    fn codes_round_trip() {
        for state in S::ALL {
            assert_eq!(S::parse(state.code()), Some(state));
        }
    }

    #[test]
    fn command_ids_are_checked() {
        assert!(CommandId::parse("c-0123456789ab").is_ok());
        assert!(CommandId::parse("short").is_err());
        assert!(CommandId::parse("has space 12345").is_err());
        assert!(CommandId::parse(CommandId::from_random([7; 12]).as_str()).is_ok());
    }

    fn command(state: S) -> Command {
        Command {
            id: CommandId::from_random([1; 12]),
            device: DeviceId::parse("GH-01").unwrap_or_else(|e| panic!("{e}")),
            channel: 1,
            class: RelayClass::Ventilation,
            target: Switch::On,
            pulse_s: None,
            state,
            requested_by: "tech".to_owned(),
            reason: None,
            origin: Origin::Person,
            created_at: Timestamp(1_000),
            expires_at: Some(Timestamp(601_000)),
            sent_at: Some(Timestamp(2_000)),
            acked_at: Some(Timestamp(3_000)),
            observed_at: None,
            ended_at: None,
            detail: None,
        }
    }

    #[test]
    fn each_waiting_state_has_its_deadline() {
        let d = Deadlines {
            ack_ms: 10,
            observe_ms: 100,
        };
        let cases = [
            (S::Queued, Some((Timestamp(601_000), E::Expire))),
            (S::Sent, Some((Timestamp(2_010), E::TimedOut))),
            (S::Acknowledged, Some((Timestamp(3_100), E::TimedOut))),
            (S::Observed, None),
            (S::Cancelled, None),
        ];
        for (state, expected) in cases {
            assert_eq!(command(state).deadline(d), expected, "{state:?}");
        }
    }

    #[test]
    fn observed_straight_from_sent_counts_as_acknowledged_then() {
        let mut c = command(S::Sent);
        c.acked_at = None;
        c.apply(E::Observed, Timestamp(5_000))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.acked_at, c.observed_at),
            (Some(Timestamp(5_000)), Some(Timestamp(5_000)))
        );
        assert_eq!(c.latency_ms(), Some(4_000));
    }
}
