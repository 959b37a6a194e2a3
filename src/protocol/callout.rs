//! 叫应 (call and response) on the wire: a warning's call lines as the board reads them, the
//! change every line's step writes to the feed (no names, no numbers), a logged phone call,
//! a revealed number and the annual confirmation of the call list.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;
use crate::domain::callout::{AnswerHow, RosterStatus, Stage};
use crate::domain::network::TownshipCode;
use crate::domain::recipients::Duty;

/// Whether a line still waits for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Called, not answered yet.
    Open,
    /// Answered (how, when and by whom in the line).
    Answered,
}

/// A line's state as the change feed carries it (`kind` `callout`): ids, duty, township,
/// state, stage and times — never a name, a number or what was said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalloutChange {
    /// The warning.
    pub warning: String,
    /// The line.
    pub line: i64,
    /// The recipient called.
    pub recipient: u64,
    /// Their duty.
    pub duty: Duty,
    /// Their township; `None` for county-level people.
    pub township: Option<TownshipCode>,
    /// Open or answered.
    pub state: LineState,
    /// How it was answered.
    pub how: Option<AnswerHow>,
    /// When the call went out.
    pub called_at: Timestamp,
    /// When it was answered.
    pub answered_at: Option<Timestamp>,
    /// How far it escalated while open.
    pub stage: Stage,
    /// When it reached that stage.
    pub escalated_at: Option<Timestamp>,
}

/// A line as the board shows it: its change plus the person, and the number masked unless
/// the reader manages recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalloutLine {
    /// The line's state (what the feed carries).
    #[serde(flatten)]
    pub change: CalloutChange,
    /// The person's name (`None` when the recipient was deleted since).
    pub name: Option<String>,
    /// The number, masked (`139****1234`) unless the reader manages recipients.
    pub phone: Option<String>,
    /// Who answered (the logged answerer, or the person who replied).
    pub answered_by: Option<String>,
    /// What was said or written back.
    pub said: Option<String>,
}

/// `GET /warnings/{id}/callout`: a warning's call list and where each line stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalloutBoard {
    /// The warning.
    pub warning: String,
    /// The code its call SMS asks to be sent back.
    pub code: Option<String>,
    /// Whether the warning needs 叫应 under the central's rules.
    pub required: bool,
    /// Minutes after the call when an open line goes to the duty desk.
    pub escalate_desk_minutes: u32,
    /// Minutes after the call when an open line goes to the supervisor.
    pub escalate_supervisor_minutes: u32,
    /// The lines, by township (county first) and duty.
    pub lines: Vec<CalloutLine>,
    /// Lines answered.
    pub answered: usize,
    /// The phone calls logged on the lines, oldest first.
    pub calls: Vec<PhoneCall>,
}

/// `POST /warnings/{id}/callout/{line}/calls`: a phone call a forecaster made on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneCallInput {
    /// Who answered the phone (the official, or who took the message).
    pub answerer: String,
    /// When the call was made; the central's now when absent.
    #[serde(default)]
    pub at: Option<Timestamp>,
    /// What was said.
    pub said: String,
    /// Whether the call answers the line (closes it).
    pub answered: bool,
}

/// A phone call as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneCall {
    /// The call's id.
    pub id: i64,
    /// Its line.
    pub line: i64,
    /// When it was made.
    pub at: Timestamp,
    /// The forecaster who logged it.
    pub logged_by: String,
    /// Who answered.
    pub answerer: String,
    /// What was said.
    pub said: String,
    /// Whether it answered the line.
    pub answered: bool,
}

/// `POST /warnings/{id}/callout/{line}/reveal`: the whole number, once, audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedNumber {
    /// The line.
    pub line: i64,
    /// The whole number (`None`: the person has none, or was deleted).
    pub phone: Option<String>,
}

/// `GET`/`POST /callout/roster`: the annual confirmation of the call list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterConfirmation {
    /// Confirmed this year, due (before 20 April) or overdue.
    pub status: RosterStatus,
    /// When it was last confirmed.
    pub confirmed_at: Option<Timestamp>,
    /// By whom.
    pub confirmed_by: Option<String>,
}

/// `GET /warnings/{id}/callout/export`'s query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalloutExportQuery {
    /// `csv` (default) or `xlsx`.
    #[serde(default)]
    pub format: Option<String>,
}
