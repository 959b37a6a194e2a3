//! What the desk knows of warnings: its own drafts, the central's records as synced, and the
//! city's and province's warnings in force.

use std::collections::{BTreeMap, BTreeSet};

use crate::console::messages::warnings::{CalloutBoard, RecipientCount, RosterConfirmation};
use crate::console::messages::{DeskDraft, WarningEvent};
use crate::domain::callout::Stage;
use crate::protocol::warnings::{UpstreamWarning, WarningRecord};

/// A refusal to show until the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningRefusal {
    /// Its code.
    pub code: String,
    /// The message.
    pub message: String,
    /// The central could not be reached.
    pub offline: bool,
}

/// Warnings as the desk knows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarningsState {
    /// Drafts kept on this desk.
    pub drafts: Vec<DeskDraft>,
    /// The central's records, newest first.
    pub records: Vec<WarningRecord>,
    /// Upstream warnings in force.
    pub upstream: Vec<UpstreamWarning>,
    /// The last refusal, until the next answer.
    pub refusal: Option<WarningRefusal>,
    /// The last CAP hand-over file written (its path), or why it was not.
    pub saved_cap: Option<Result<String, String>>,
    /// People kept per township and group, once the central has said.
    pub recipient_counts: Option<Vec<RecipientCount>>,
    /// 叫应: the board on screen, revealed numbers, escalations heard, the yearly roster.
    pub callout: CalloutState,
}

/// 叫应 as the desk knows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalloutState {
    /// The board last fetched.
    pub board: Option<CalloutBoard>,
    /// Numbers revealed in this session, by line (never kept on disk).
    pub revealed: BTreeMap<i64, String>,
    /// Warnings whose lines changed since their board was fetched.
    pub stale: BTreeSet<String>,
    /// Escalations the feed told of since the desk started: each rings the alarm.
    pub escalations: u64,
    /// Where the yearly confirmation of the call list stands, once asked.
    pub roster: Option<RosterConfirmation>,
    /// The last record file written (its path), or why it was not.
    pub exported: Option<Result<String, String>>,
}

impl CalloutState {
    /// Folds one 叫应 event in; other events are left alone.
    pub fn apply(&mut self, event: WarningEvent) {
        match event {
            WarningEvent::CalloutLoaded(board) => {
                self.stale.remove(&board.warning);
                self.board = Some(*board);
            }
            WarningEvent::CalloutChanged(steps) => {
                for step in steps {
                    if step.stage != Stage::None && !step.answered {
                        self.escalations += 1;
                    }
                    self.stale.insert(step.warning);
                }
            }
            WarningEvent::CalloutNumberShown(shown) => {
                if let Some(phone) = shown.phone {
                    self.revealed.insert(shown.line, phone);
                }
            }
            WarningEvent::CalloutExported(saved) => self.exported = Some(saved),
            WarningEvent::Roster(roster) => self.roster = Some(roster),
            _ => {}
        }
    }
}

impl WarningsState {
    /// The drafts `user` keeps on this desk still open: not those whose record has been
    /// released, and none of another user's (a shared desk shows each user their own).
    pub fn open_drafts(&self, user: &str) -> Vec<DeskDraft> {
        self.drafts
            .iter()
            .filter(|d| d.kept_for(user) && !d.settled(&self.records))
            .cloned()
            .collect()
    }

    /// Whether the composition on screen — kept as `draft_id`, or revising the record
    /// `submitted_as` — has been released since.
    pub fn draft_released(&self, draft_id: Option<u64>, submitted_as: Option<&str>) -> bool {
        let kept = draft_id.and_then(|id| self.drafts.iter().find(|d| d.id == id));
        match kept {
            Some(draft) => draft.settled(&self.records),
            None => submitted_as.is_some_and(|id| DeskDraft::record_settled(id, &self.records)),
        }
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: WarningEvent) {
        match event {
            WarningEvent::DraftsLoaded(drafts) => self.drafts = drafts,
            WarningEvent::RecordsChanged(records) => self.records = records,
            WarningEvent::Done(record) => {
                self.refusal = None;
                match self.records.iter_mut().find(|r| r.id == record.id) {
                    Some(old) => *old = *record,
                    None => self.records.insert(0, *record),
                }
            }
            WarningEvent::Refused {
                code,
                message,
                offline,
            } => {
                self.refusal = Some(WarningRefusal {
                    code,
                    message,
                    offline,
                });
            }
            WarningEvent::Upstream(upstream) => self.upstream = upstream,
            WarningEvent::CapSaved(saved) => self.saved_cap = Some(saved),
            WarningEvent::RecipientCounts(counts) => self.recipient_counts = Some(counts),
            // The suggestions' (AppState routes it there).
            WarningEvent::SignalSet(_) => {}
            callout @ (WarningEvent::CalloutLoaded(_)
            | WarningEvent::CalloutChanged(_)
            | WarningEvent::CalloutNumberShown(_)
            | WarningEvent::CalloutExported(_)
            | WarningEvent::Roster(_)) => self.callout.apply(callout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::messages::warnings::WarningContent;
    use crate::domain::Timestamp;
    use crate::domain::warning::{Action, Level};

    fn draft(id: u64, owner: &str) -> DeskDraft {
        DeskDraft {
            id,
            composer: "{}".into(),
            content: WarningContent {
                action: Action::Issue,
                follows: None,
                signal: "rainstorm".into(),
                level: Level::Yellow,
                area: BTreeSet::new(),
                enlarge_confirmed: false,
                issued_at: Timestamp(0),
                expires_at: None,
                texts: BTreeMap::new(),
                template_fields: BTreeMap::new(),
                recipient_groups: BTreeSet::new(),
                practice: false,
            },
            submitted_as: None,
            owner: owner.into(),
        }
    }

    #[test]
    fn each_user_at_a_shared_desk_sees_only_their_own_drafts() {
        let mut state = WarningsState::default();
        state.apply(WarningEvent::DraftsLoaded(vec![
            draft(1, "duty-forecaster"),
            draft(2, "supervisor"),
            draft(3, ""),
        ]));
        let ids =
            |user: &str| -> Vec<u64> { state.open_drafts(user).iter().map(|d| d.id).collect() };
        let table = [
            ("duty-forecaster", vec![1, 3]),
            ("supervisor", vec![2, 3]),
            ("leader", vec![3]),
        ];
        for (user, want) in table {
            assert_eq!(
                ids(user),
                want,
                "{user}: its own, and the one kept before owners"
            );
        }
    }
}
