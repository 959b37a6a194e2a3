//! What the desk knows of the people warnings go to: the last page read, the last import's
//! report, the last refusal.

use crate::console::messages::recipients::{RecipientImportReport, RecipientList, RecipientsEvent};

/// The recipients list as the desk last read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientsState {
    /// The last page read.
    pub list: Option<RecipientList>,
    /// The last import's report.
    pub report: Option<RecipientImportReport>,
    /// The last refusal, until the next answer.
    pub refusal: Option<String>,
}

impl RecipientsState {
    /// Takes in what the recipients service reports.
    pub fn apply(&mut self, event: RecipientsEvent) {
        match event {
            RecipientsEvent::Listed(list) => {
                self.list = Some(list);
                self.refusal = None;
            }
            RecipientsEvent::Imported(report) => {
                self.report = Some(report);
                self.refusal = None;
            }
            RecipientsEvent::Refused(message) => self.refusal = Some(message),
        }
    }
}
