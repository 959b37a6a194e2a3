//! What the desk knows of relays: the list last read (each relay's latest command and observed
//! state, apart), the automations' proposals, and the answers to this desk's own commands and
//! decisions, so the confirmation dialog knows when to close or what the central refused.

use crate::console::messages::devices::{
    CommandId, Proposal, ProposalList, ProposalState, RelayCommand, RelayList,
};
use crate::domain::Timestamp;

/// A refusal of one of this desk's relay actions (a command, a cancel, a proposal's decision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRefusal {
    /// The command it refused, if it was one.
    pub command: Option<CommandId>,
    /// The proposal it refused, if it was a decision on one.
    pub proposal: Option<u64>,
    /// Its code (`interlock_refused`, `unreachable`, …).
    pub code: String,
    /// Its words, with the interlock and reading when an interlock refused.
    pub message: String,
}

/// The relays' state on the desk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelaysState {
    /// Moves on every change the feed brings of a relay (a command, a reading, a proposal).
    pub revision: u64,
    /// Moves when this desk's own action was answered: the panel reads again at once.
    pub handled: u64,
    /// The relays last read, and the desk's clock when they arrived.
    pub list: Option<(RelayList, Timestamp)>,
    /// The proposals last read (`None` before, or while the central serves none).
    pub proposals: Option<ProposalList>,
    /// The commands this desk's actions were answered with, newest last.
    pub answered: Vec<CommandId>,
    /// The last refusal of one of this desk's actions.
    pub refusal: Option<ActionRefusal>,
}

impl RelaysState {
    /// Notes that the feed brought relay changes.
    pub fn changed(&mut self) {
        self.revision += 1;
    }

    /// The moves of the feed and of this desk's own actions.
    pub fn moved(&self) -> u64 {
        self.revision.wrapping_add(self.handled)
    }

    /// Takes in the list read at the desk's `now`.
    pub fn loaded(&mut self, list: RelayList, now: Timestamp) {
        self.list = Some((list, now));
    }

    /// Takes in a command the central answered one of this desk's actions with.
    pub fn answered(&mut self, command: RelayCommand) {
        self.handled += 1;
        if self
            .refusal
            .as_ref()
            .is_some_and(|r| r.command.as_ref() == Some(&command.id))
        {
            self.refusal = None;
        }
        if let Some((list, _)) = &mut self.list
            && let Some(view) = list
                .relays
                .iter_mut()
                .find(|v| v.device == command.device && v.relay.channel == command.channel)
        {
            view.last_command = Some(command.clone());
        }
        self.answered.push(command.id);
    }

    /// Takes in a proposal as it stands after a decision.
    pub fn decided(&mut self, proposal: Proposal) {
        self.handled += 1;
        if self
            .refusal
            .as_ref()
            .is_some_and(|r| r.proposal == Some(proposal.id))
        {
            self.refusal = None;
        }
        if let Some(list) = &mut self.proposals
            && let Some(kept) = list.proposals.iter_mut().find(|p| p.id == proposal.id)
        {
            *kept = proposal;
        }
    }

    /// Whether the central answered command `id` (it is queued, or was before).
    pub fn was_answered(&self, id: &CommandId) -> bool {
        self.answered.contains(id)
    }

    /// The refusal of command `id`, if it was refused.
    pub fn refusal_of(&self, id: &CommandId) -> Option<&ActionRefusal> {
        self.refusal
            .as_ref()
            .filter(|r| r.command.as_ref() == Some(id))
    }

    /// The open proposals, newest first.
    pub fn open_proposals(&self) -> Vec<&Proposal> {
        let mut open: Vec<&Proposal> = self
            .proposals
            .iter()
            .flat_map(|l| &l.proposals)
            .filter(|p| p.state == ProposalState::Open)
            .collect();
        open.sort_by_key(|p| std::cmp::Reverse(p.created_at));
        open
    }

    /// The central's clock now, as the desk reckons it from the relay list's `now`.
    pub fn central_now(&self, desk_now: Timestamp) -> Option<Timestamp> {
        self.list
            .as_ref()
            .map(|(list, at)| list.now.plus_ms((desk_now.0 - at.0).max(0)))
    }
}
