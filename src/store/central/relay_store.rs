//! The relay aggregate: commands with their outbox rows, their steps, and the relays' observed
//! states, each write one transaction with its change-log rows (and audit entries). Blocks the
//! calling thread.

use super::SqliteCentralStore;
use super::relays::{self, Queued};
use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::devices::DeviceId;
use crate::domain::outbox::OutboxState;
use crate::domain::relays::command::{CommandEvent, Deadlines};
use crate::domain::relays::{Command, CommandId, CommandState, Switch};
use crate::protocol::relays::{ObservedState, Proposal, ProposalState, RelayStateChange};
use crate::store::StoreError;

/// A step taken on a command (or a proposal), and the change log's head after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stepped<T = Command> {
    /// What was stepped, as it now stands.
    pub command: T,
    /// The change log's head.
    pub head: u64,
}

/// What a feedback reading changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Relays whose observed state changed.
    pub changes: Vec<RelayStateChange>,
    /// Commands the reading proved.
    pub commands: Vec<Command>,
    /// The change log's head.
    pub head: u64,
}

/// Every relay's observed state (device, channel, state), and each relay's latest command.
pub type RelayStates = (Vec<(DeviceId, u16, ObservedState)>, Vec<Command>);

/// What the central stores and reads of relays.
pub trait RelayStore {
    /// Queues `command` (with its outbox row carrying `payload`), audited as `record`.
    fn queue_command(
        &self,
        command: &Command,
        payload: &str,
        record: AuditRecord,
    ) -> Result<(Queued, u64), StoreError>;

    /// Command `id`.
    fn relay_command(&self, id: &CommandId) -> Result<Option<Command>, StoreError>;

    /// The newest `limit` commands (of `device`, if given), newest first.
    fn relay_commands(
        &self,
        device: Option<&DeviceId>,
        limit: u32,
    ) -> Result<Vec<Command>, StoreError>;

    /// Every relay's observed state and latest command.
    fn relay_states(&self) -> Result<RelayStates, StoreError>;

    /// Takes `event` on command `id` at `now` (with `detail`, if said); `None` when the life
    /// cycle does not allow it now (or, for a cancel or an expiry, a dispatcher holds it).
    fn step_command(
        &self,
        id: &CommandId,
        event: CommandEvent,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<Stepped>, StoreError>;

    /// Records a device's relay feedback read at `at`: each relay's state, and the commands it
    /// proves observed.
    fn observe_relays(
        &self,
        device: &DeviceId,
        readings: &[(u16, Switch)],
        at: Timestamp,
    ) -> Result<Observed, StoreError>;

    /// Commands whose deadline passed by `now`.
    fn due_commands(&self, now: Timestamp) -> Result<Vec<Command>, StoreError>;

    /// Queued commands whose hand-over's outcome is unknown (see `relays::handed_over_unknown`).
    fn unknown_hand_overs(&self) -> Result<Vec<Command>, StoreError>;

    /// Whether an automation rule is armed.
    fn rule_armed(&self, device: &DeviceId, channel: u16, rule: &str) -> Result<bool, StoreError>;

    /// A rule fired at `now`: it is disarmed and, given a proposal, that is added (unless the
    /// rule has one open already). Returns the proposal added, and the change log's head.
    fn rule_fired(
        &self,
        device: &DeviceId,
        channel: u16,
        rule: &str,
        proposal: Option<&Proposal>,
        now: Timestamp,
    ) -> Result<(Option<Proposal>, u64), StoreError>;

    /// A rule's reading came back across its hysteresis: it is armed again and its open
    /// proposal, if any, lapses. Returns the proposal lapsed, and the change log's head.
    fn rule_rearmed(
        &self,
        device: &DeviceId,
        channel: u16,
        rule: &str,
        now: Timestamp,
    ) -> Result<(Option<Proposal>, u64), StoreError>;

    /// Open proposals and those made since `since`, newest first.
    fn relay_proposals(&self, since: Timestamp) -> Result<Vec<Proposal>, StoreError>;

    /// Proposal `id`.
    fn relay_proposal(&self, id: u64) -> Result<Option<Proposal>, StoreError>;

    /// Decides open proposal `id` (confirmed with its command, or dismissed) by `by`; `None`
    /// when it is not open.
    fn decide_proposal(
        &self,
        id: u64,
        state: ProposalState,
        by: &str,
        command: Option<&CommandId>,
        now: Timestamp,
    ) -> Result<Option<Stepped<Proposal>>, StoreError>;
}

impl RelayStore for SqliteCentralStore {
    fn queue_command(
        &self,
        command: &Command,
        payload: &str,
        record: AuditRecord,
    ) -> Result<(Queued, u64), StoreError> {
        let seal = self.seal()?;
        self.logged_write("a relay command", |tx| {
            relays::queue(tx, command, payload, seal, record)
        })
    }

    fn relay_command(&self, id: &CommandId) -> Result<Option<Command>, StoreError> {
        self.read(|conn| relays::get(conn, id))
    }

    fn relay_commands(
        &self,
        device: Option<&DeviceId>,
        limit: u32,
    ) -> Result<Vec<Command>, StoreError> {
        self.read(|conn| relays::recent(conn, device, limit))
    }

    fn relay_states(&self) -> Result<RelayStates, StoreError> {
        self.read(|conn| Ok((relays::states(conn)?, relays::latest_per_relay(conn)?)))
    }

    fn step_command(
        &self,
        id: &CommandId,
        event: CommandEvent,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<Stepped>, StoreError> {
        let seal = self.seal()?;
        let (stepped, head) = self.logged_write("a relay command step", |tx| {
            let Some(mut command) = relays::get(tx, id)? else {
                return Ok(None);
            };
            if command.apply(event, now).is_err() {
                return Ok(None);
            }
            let withdrawn = match event {
                CommandEvent::Cancel => Some(OutboxState::Cancelled),
                CommandEvent::Expire => Some(OutboxState::Expired),
                _ => None,
            };
            if let Some(to) = withdrawn
                && !relays::withdraw(tx, id, to, now)?
            {
                return Ok(None);
            }
            if let Some(detail) = detail {
                command.detail = Some(detail.chars().take(200).collect());
            }
            relays::update(tx, &command, Deadlines::default(), now)?;
            if command.state.is_final() {
                super::audit::append(tx, seal, command.ended_record(now))?;
            }
            Ok(Some(command))
        })?;
        Ok(stepped.map(|command| Stepped { command, head }))
    }

    fn observe_relays(
        &self,
        device: &DeviceId,
        readings: &[(u16, Switch)],
        at: Timestamp,
    ) -> Result<Observed, StoreError> {
        let seal = self.seal()?;
        let (mut observed, head) = self.logged_write("relay feedback", |tx| {
            let mut observed = Observed::default();
            for &(channel, state) in readings {
                observed
                    .changes
                    .extend(relays::observe(tx, device, channel, state, at)?);
                for mut command in relays::open_for(tx, device, channel)? {
                    let proves = command.target == state
                        && matches!(
                            command.state,
                            CommandState::Sent | CommandState::Acknowledged
                        );
                    if proves && command.apply(CommandEvent::Observed, at).is_ok() {
                        relays::update(tx, &command, Deadlines::default(), at)?;
                        super::audit::append(tx, seal, command.ended_record(at))?;
                        observed.commands.push(command);
                    }
                }
            }
            Ok(observed)
        })?;
        observed.head = head;
        Ok(observed)
    }

    fn due_commands(&self, now: Timestamp) -> Result<Vec<Command>, StoreError> {
        self.read(|conn| relays::due(conn, now))
    }

    fn unknown_hand_overs(&self) -> Result<Vec<Command>, StoreError> {
        self.read(relays::handed_over_unknown)
    }

    fn rule_armed(&self, device: &DeviceId, channel: u16, rule: &str) -> Result<bool, StoreError> {
        self.read(|conn| relays::armed(conn, device, channel, rule))
    }

    fn rule_fired(
        &self,
        device: &DeviceId,
        channel: u16,
        rule: &str,
        proposal: Option<&Proposal>,
        now: Timestamp,
    ) -> Result<(Option<Proposal>, u64), StoreError> {
        self.logged_write("a rule's firing", |tx| {
            relays::set_fired(tx, device, channel, rule, Some(now))?;
            let open = relays::open_proposal(tx, device, channel, rule)?;
            match (proposal, open) {
                (Some(proposal), None) => Ok(Some(relays::propose(tx, proposal)?)),
                _ => Ok(None),
            }
        })
    }

    fn rule_rearmed(
        &self,
        device: &DeviceId,
        channel: u16,
        rule: &str,
        now: Timestamp,
    ) -> Result<(Option<Proposal>, u64), StoreError> {
        self.logged_write("a rule's re-arming", |tx| {
            relays::set_fired(tx, device, channel, rule, None)?;
            let Some(mut proposal) = relays::open_proposal(tx, device, channel, rule)? else {
                return Ok(None);
            };
            proposal.state = ProposalState::Lapsed;
            proposal.decided_at = Some(now);
            relays::write_proposal(tx, &proposal, now)?;
            Ok(Some(proposal))
        })
    }

    fn relay_proposals(&self, since: Timestamp) -> Result<Vec<Proposal>, StoreError> {
        self.read(|conn| relays::proposals(conn, since))
    }

    fn relay_proposal(&self, id: u64) -> Result<Option<Proposal>, StoreError> {
        self.read(|conn| relays::proposal(conn, id))
    }

    fn decide_proposal(
        &self,
        id: u64,
        state: ProposalState,
        by: &str,
        command: Option<&CommandId>,
        now: Timestamp,
    ) -> Result<Option<Stepped<Proposal>>, StoreError> {
        let (decided, head) = self.logged_write("a proposal's decision", |tx| {
            let Some(mut proposal) = relays::proposal(tx, id)? else {
                return Ok(None);
            };
            if proposal.state != ProposalState::Open {
                return Ok(None);
            }
            proposal.state = state;
            proposal.decided_by = Some(by.to_owned());
            proposal.decided_at = Some(now);
            proposal.command = command.cloned();
            relays::write_proposal(tx, &proposal, now)?;
            Ok(Some(proposal))
        })?;
        Ok(decided.map(|command| Stepped { command, head }))
    }
}
