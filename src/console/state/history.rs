//! What the history screen has been answered: the newest views, rain and wind reports and
//! summaries (an answer to an older request never replaces a newer one), and how the last
//! export, import and maintenance record went. Pure: folded from [`HistoryEvent`]s.

use crate::console::messages::history::{
    HeldPeriod, ImportOutcome, RainReport, Summaries, WindReport,
};
use crate::console::messages::{HistoryAction, HistoryEvent, Trouble};
use crate::domain::history::SeriesView;

/// An answer and the ticket it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The request's ticket.
    pub ticket: u64,
    /// The answer.
    pub value: T,
}

/// How the last import went.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportStatus {
    /// Nothing imported this session.
    Idle,
    /// Sent; the central has not answered.
    Sending,
    /// The central stored the whole file.
    Done(ImportOutcome),
    /// Refused or failed; nothing of it was stored.
    Failed(Trouble),
}

/// How the last export went.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportStatus {
    /// Being drawn or written.
    Writing,
    /// Written to this file.
    Written(String),
    /// Not written, and why.
    Failed(Trouble),
}

/// Everything the history screen has been told.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryState {
    /// The newest views.
    pub views: Option<Answer<Vec<SeriesView>>>,
    /// What the newest views hold only as daily rollups.
    pub held: Option<Answer<Vec<HeldPeriod>>>,
    /// The newest rain report.
    pub rain: Option<Answer<RainReport>>,
    /// The newest wind report.
    pub wind: Option<Answer<WindReport>>,
    /// The newest summaries.
    pub summaries: Option<Answer<Summaries>>,
    /// The last export: being written, where the file went, or why it did not.
    pub export: Option<ExportStatus>,
    /// The folder exports go to, once the service has said.
    pub export_folder: Option<String>,
    /// The last import.
    pub import: ImportStatus,
    /// The last maintenance record: its id, or why it failed.
    pub maintenance: Option<Result<u64, Trouble>>,
    /// The last failure to read the cache, if the newest read failed.
    pub read_failure: Option<Trouble>,
}

impl Default for HistoryState {
    fn default() -> Self {
        Self {
            views: None,
            held: None,
            rain: None,
            wind: None,
            summaries: None,
            export: None,
            export_folder: None,
            import: ImportStatus::Idle,
            maintenance: None,
            read_failure: None,
        }
    }
}

/// Keeps `answer` unless `slot` holds a newer one.
fn keep_newest<T>(slot: &mut Option<Answer<T>>, ticket: u64, value: T) {
    if slot.as_ref().is_none_or(|a| a.ticket <= ticket) {
        *slot = Some(Answer { ticket, value });
    }
}

impl HistoryState {
    /// Folds one event in.
    pub fn apply(&mut self, event: HistoryEvent) {
        match event {
            HistoryEvent::Views { ticket, views } => {
                self.read_failure = None;
                keep_newest(&mut self.views, ticket, views);
            }
            HistoryEvent::HeldAsRollups { ticket, periods } => {
                keep_newest(&mut self.held, ticket, periods);
            }
            HistoryEvent::Rain { ticket, report } => keep_newest(&mut self.rain, ticket, report),
            HistoryEvent::Wind { ticket, report } => keep_newest(&mut self.wind, ticket, report),
            HistoryEvent::Summaries { ticket, summaries } => {
                keep_newest(&mut self.summaries, ticket, summaries);
            }
            HistoryEvent::ExportStarted => self.export = Some(ExportStatus::Writing),
            HistoryEvent::ExportFolder { folder } => self.export_folder = Some(folder),
            HistoryEvent::Exported { path, .. } => self.export = Some(ExportStatus::Written(path)),
            HistoryEvent::ImportStarted { .. } => self.import = ImportStatus::Sending,
            HistoryEvent::Imported(outcome) => self.import = ImportStatus::Done(outcome),
            HistoryEvent::MaintenanceSaved { id } => self.maintenance = Some(Ok(id)),
            HistoryEvent::Failed { action, message } => match action {
                HistoryAction::Read => self.read_failure = Some(message),
                HistoryAction::Export => self.export = Some(ExportStatus::Failed(message)),
                HistoryAction::Import => self.import = ImportStatus::Failed(message),
                HistoryAction::Maintenance => self.maintenance = Some(Err(message)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_answer_to_an_old_request_does_not_replace_a_newer_one() {
        let mut state = HistoryState::default();
        state.apply(HistoryEvent::Views {
            ticket: 5,
            views: Vec::new(),
        });
        state.apply(HistoryEvent::Views {
            ticket: 3,
            views: Vec::new(),
        });
        assert_eq!(state.views.as_ref().map(|a| a.ticket), Some(5));
        state.apply(HistoryEvent::Views {
            ticket: 6,
            views: Vec::new(),
        });
        assert_eq!(state.views.as_ref().map(|a| a.ticket), Some(6));
    }

    #[test]
    fn failures_land_where_the_user_looks_for_them() {
        let mut state = HistoryState {
            import: ImportStatus::Sending,
            ..HistoryState::default()
        };
        let failed = |action| HistoryEvent::Failed {
            action,
            message: "line 4: …".into(),
        };
        state.apply(failed(HistoryAction::Import));
        assert_eq!(state.import, ImportStatus::Failed("line 4: …".into()));
        state.apply(failed(HistoryAction::Read));
        assert!(state.read_failure.is_some());
        state.apply(HistoryEvent::Views {
            ticket: 1,
            views: Vec::new(),
        });
        assert_eq!(state.read_failure, None, "a read that worked clears it");
        state.apply(failed(HistoryAction::Export));
        assert!(matches!(state.export, Some(ExportStatus::Failed(_))));
    }
}
