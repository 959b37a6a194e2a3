//! Warnings at the desk: what the composer and the approval queue ask of the backend
//! ([`WarningCommand`]) and what it answers ([`WarningEvent`]). Drafts live in the desk's cache
//! and survive restarts and an unreachable central; everything from submission on is the
//! central's record, which sync brings to every desk.

// Re-exported: the views name the records they show through the messages that carry them
// (the UI may not reach into the protocol layer).
pub use crate::protocol::callout::{
    CalloutBoard, CalloutChange, CalloutLine, LineState, PhoneCallInput, RevealedNumber,
    RosterConfirmation,
};
pub use crate::protocol::recipients::RecipientCount;
pub use crate::protocol::warnings::{UpstreamWarning, WarningContent, WarningRecord};

/// A draft kept on this desk: the composition as the forecaster left it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskDraft {
    /// Local id (stable across restarts).
    pub id: u64,
    /// The composer's state, serialised by the UI (template parts, kept guidance, choices).
    pub composer: String,
    /// The content as last rendered.
    pub content: WarningContent,
    /// The central's record once submitted (a revision of a returned warning names it too).
    pub submitted_as: Option<String>,
    /// The user who composed it: on a shared desk each user sees only their own (`''`: kept
    /// before drafts were per user, offered to anyone).
    pub owner: String,
}

impl DeskDraft {
    /// Whether `user` may see this draft: their own, or one kept before drafts had owners.
    pub fn kept_for(&self, user: &str) -> bool {
        self.owner.is_empty() || self.owner == user
    }

    /// Whether this draft is done with: the record it was submitted as has been released
    /// (or replaced by a later version), so the central's record is the warning from now on.
    pub fn settled(&self, records: &[WarningRecord]) -> bool {
        self.submitted_as
            .as_deref()
            .is_some_and(|id| Self::record_settled(id, records))
    }

    /// Whether the record `id` has been released or replaced.
    pub fn record_settled(id: &str, records: &[WarningRecord]) -> bool {
        records
            .iter()
            .any(|r| r.id == id && (r.released_at.is_some() || r.replaced_by.is_some()))
    }
}

/// A request about warnings. Imperative.
#[derive(Debug, Clone, PartialEq)]
pub enum WarningCommand {
    /// Keep (insert or replace) a draft in the cache.
    SaveDraft(DeskDraft),
    /// Forget a draft.
    DropDraft(u64),
    /// Submit a draft for approval (a revision when `submitted_as` names a returned record).
    Submit(DeskDraft),
    /// Approve the record as pinned.
    Approve {
        /// Record id.
        id: String,
        /// The pin the supervisor saw.
        pin: String,
    },
    /// Return the record with a comment.
    Return {
        /// Record id.
        id: String,
        /// Why.
        comment: String,
    },
    /// The duty forecaster signs a continue or lift alone, where the bureau allows it.
    SignAlone {
        /// Record id.
        id: String,
        /// The pin signed.
        pin: String,
    },
    /// Release an approved record (it leaves the building; issue 12 dispatches it).
    Release {
        /// Record id.
        id: String,
        /// The pin approved.
        pin: String,
    },
    /// Write a CAP file into the export folder (the NOT YET SENT hand-over to the provincial
    /// release system while the central is unreachable).
    SaveCapFile {
        /// File name, without folder (`35042341600000_20261206163000.xml`).
        name: String,
        /// The CAP 1.2 XML.
        xml: String,
    },
    /// Fetch the city's and province's warnings in force.
    RefreshUpstream,
    /// Fetch a warning's 叫应 board.
    LoadCallout(String),
    /// Show one call-list number whole (audited by the central).
    RevealCalloutNumber {
        /// The warning.
        warning: String,
        /// The line.
        line: i64,
    },
    /// Log a phone call on a line.
    LogCalloutCall {
        /// The warning.
        warning: String,
        /// The line.
        line: i64,
        /// Who answered, when, what was said.
        call: PhoneCallInput,
    },
    /// Write a warning's 叫应 record (CSV) into the export folder.
    ExportCallout(String),
    /// Fetch where this year's confirmation of the call list stands.
    LoadRoster,
    /// Confirm the call list for the year.
    ConfirmRoster,
}

/// The signal set the desk judges suggestions and compositions by: the central's.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskSignalSet {
    /// Where the central has it from (`national (shipped)`, a province's file).
    pub name: String,
    /// Its digest, as the central gives it.
    pub digest: String,
    /// The set, read.
    pub catalogue: crate::domain::warning::Catalogue,
}

/// A report about warnings. Past tense.
#[derive(Debug, Clone, PartialEq)]
pub enum WarningEvent {
    /// The drafts kept on this desk (at start, and after every save or drop).
    DraftsLoaded(Vec<DeskDraft>),
    /// The central's records as the cache holds them (at start, and after each sync that
    /// changed one).
    RecordsChanged(Vec<WarningRecord>),
    /// A request was done; the record as it now stands.
    Done(Box<WarningRecord>),
    /// A request was refused or could not reach the central: the code and the message to show.
    /// `offline` says the central was unreachable (the desk shows NOT YET SENT and offers the
    /// text and CAP file for the provincial system).
    Refused {
        /// The refusal code (`approver_is_drafter`, …) or `unreachable`.
        code: String,
        /// The message, in Chinese.
        message: String,
        /// The central could not be reached.
        offline: bool,
    },
    /// The city's and province's warnings in force.
    Upstream(Vec<UpstreamWarning>),
    /// The signal set the central judges by (kept from before, or fetched anew).
    SignalSet(Box<DeskSignalSet>),
    /// How many people the central keeps per township and group (counts, never names).
    RecipientCounts(Vec<RecipientCount>),
    /// The CAP hand-over file: where it was written, or why it was not. Kept apart from
    /// [`WarningEvent::Refused`] so the NOT YET SENT notice it belongs to stays up.
    CapSaved(Result<String, String>),
    /// A warning's 叫应 board as the central has it.
    CalloutLoaded(Box<CalloutBoard>),
    /// 叫应 lines changed (from the feed: ids, states and stages, no names).
    CalloutChanged(Vec<crate::domain::callout::LineStep>),
    /// A number shown whole.
    CalloutNumberShown(RevealedNumber),
    /// The 叫应 record file: where it was written, or why it was not.
    CalloutExported(Result<String, String>),
    /// Where the yearly confirmation of the call list stands.
    Roster(RosterConfirmation),
}
