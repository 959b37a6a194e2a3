//! An entry's particulars as data: a code and its parameters, stored as compact JSON
//! (`{"code":"role_changed","before":"duty_forecaster","after":"supervisor"}`) and rendered by
//! the reader in their language, with times in Beijing time. The stored text is what the chain
//! hashes, so rendering never touches verification.
//!
//! Entries written before details were data hold free text; [`AuditDetail::parse`] gives
//! `None` for them (and for codes a newer central added), and readers show the text as it is.
//! New actions add their own variants here.

use serde::{Deserialize, Serialize};

use crate::domain::{Source, Timestamp};

/// A refusal's code and its parameters as text, as an audit entry keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodedCause {
    /// The code ([`crate::domain::refusal::Code`]).
    pub code: String,
    /// Its parameters, each as displayed.
    pub params: std::collections::BTreeMap<String, String>,
}

impl From<&crate::domain::refusal::Refusal> for CodedCause {
    fn from(refusal: &crate::domain::refusal::Refusal) -> Self {
        Self {
            code: refusal.code.as_str().to_owned(),
            params: refusal
                .params
                .iter()
                .map(|(name, value)| (name.clone(), value.to_string()))
                .collect(),
        }
    }
}

/// A value before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<T> {
    /// As it was.
    pub before: T,
    /// As it is now.
    pub after: T,
}

/// What an audit entry says beyond its action and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AuditDetail {
    /// A login named no account.
    NoSuchUser {
        /// The client's address, when known.
        from: Option<String>,
    },
    /// A login was refused because the account is locked.
    AccountLocked {
        /// The client's address, when known.
        from: Option<String>,
    },
    /// A login gave a wrong password.
    WrongPassword {
        /// Failures in a row, this one included.
        in_a_row: u32,
        /// The client's address, when known.
        from: Option<String>,
    },
    /// A login was refused because the account is disabled.
    AccountDisabled {
        /// The client's address, when known.
        from: Option<String>,
    },
    /// The attempt that made the failures in a row reach the lockout's limit: the account is
    /// locked.
    LockedAfterFailures {
        /// Failures in a row that lock an account.
        failures: u32,
        /// For how long, in minutes.
        minutes: u32,
        /// The client's address, when known.
        from: Option<String>,
    },
    /// The right password, but other failed attempts locked the account while it was judged.
    LockedMeanwhile {
        /// The client's address, when known.
        from: Option<String>,
    },
    /// Failed logins from one address (the entry's actor, `source:<address>`), counted over a
    /// window and recorded once: a flood is one entry, not one per guess.
    FailedLogins {
        /// Logins judged and failed.
        failures: u32,
        /// Logins refused unjudged as too many.
        refused: u32,
        /// The window's start.
        since: Timestamp,
        /// The window's end.
        until: Timestamp,
        /// Up to ten of the user names tried.
        names: Vec<String>,
    },
    /// A session began.
    SessionStarted {
        /// When it ends.
        until: Timestamp,
        /// The password was one-time: the user must choose a new one.
        one_time_password: bool,
        /// The client's address, when known.
        from: Option<String>,
    },
    /// A password change gave a wrong current password.
    CurrentPasswordWrong,
    /// An account was created.
    UserCreated {
        /// The name shown to people.
        display_name: String,
        /// Its role's code.
        role: String,
    },
    /// A one-time password was issued, sessions ended and any lockout lifted.
    OneTimePasswordIssued {
        /// Issued at the server's console (`wxdesk central reset-password`).
        at_console: bool,
    },
    /// The first administrator was created with a one-time password (no users yet).
    FirstAdministrator,
    /// The first administrator never logged in: a new one-time password for this start.
    FirstAdministratorReissued,
    /// A role changed (role codes).
    RoleChanged(Change<String>),
    /// A display name changed.
    Renamed(Change<String>),
    /// An account was disabled and its sessions ended.
    SessionsEnded,
    /// A device key was issued.
    DeviceKeyIssued {
        /// Where: `api`, `console` (the server's command line) or `start` (the built-in
        /// simulator, at the central's start).
        by: KeyIssuer,
        /// The key may also label observations `imported` and post files.
        may_import: bool,
    },
    /// A request needed a capability the caller's role lacks.
    RequiresCapability {
        /// The capability's code.
        capability: String,
        /// The caller's role code.
        role: String,
    },
    /// Observations claimed a source the caller may not claim.
    SourceNotPermitted {
        /// The source claimed.
        source: Source,
    },
    /// A relay command: queued, ended or refused.
    RelayCommand {
        /// The command's id.
        command: String,
        /// The device.
        device: String,
        /// The relay's channel.
        channel: u16,
        /// The relay's class code.
        class: String,
        /// `on` or `off`.
        target: String,
        /// Its state (`queued`, `observed`, `timed_out` …), or `refused`.
        state: String,
        /// The reason given, if any.
        reason: Option<String>,
        /// Queued to observed, ms (ended commands that were observed).
        latency_ms: Option<i64>,
        /// Why it was refused or did not succeed.
        detail: Option<String>,
    },
    /// A device was registered or its record changed.
    Device {
        /// The device's id.
        device: String,
        /// Its kind's code.
        kind: String,
        /// The station it reports as, if any.
        station: Option<String>,
    },
    /// A maintenance window was recorded.
    MaintenanceRecorded {
        /// The station.
        station: String,
        /// Its start.
        start: Timestamp,
        /// Its end, if known.
        end: Option<Timestamp>,
        /// Its note.
        note: String,
    },
    /// A maintenance window was ended or its note corrected.
    MaintenanceChanged {
        /// The station.
        station: String,
        /// The end, if it changed (`None`: ongoing).
        end: Option<Change<Option<Timestamp>>>,
        /// The note, if it changed.
        note: Option<Change<String>>,
    },
    /// A file was imported.
    FileImported {
        /// Its format's code.
        format: String,
        /// Records read.
        records: usize,
        /// Records stored.
        imported: usize,
        /// New values stored.
        new_values: usize,
        /// Values already stored.
        duplicate_values: usize,
        /// Stations outside the network, skipped.
        outside_network: usize,
    },
    /// A file was refused as a whole.
    FileRefused {
        /// Its format's code, when it was recognised.
        format: Option<String>,
        /// The line at fault, when one is.
        line: Option<usize>,
        /// What is wrong, in English (the parser's words).
        reason: String,
        /// What is wrong as a code of the refusal registry, for the desk to say in its
        /// user's language (absent in entries written before codes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<CodedCause>,
    },
    /// A recipient was added, changed or deleted: which fields (codes such as `phone`),
    /// never their values — a number is personal data and the log is kept for years.
    RecipientFields {
        /// The fields set or changed.
        fields: Vec<String>,
    },
    /// Recipients were imported from a file.
    RecipientsImported {
        /// `csv` or `xlsx`.
        format: String,
        /// Recipients stored.
        imported: usize,
        /// Lines refused.
        refused: usize,
    },
    /// Who is on call on a day: recipient ids, never names or numbers.
    OnCallSet {
        /// The Beijing date.
        day: String,
        /// The recipients on call (empty: the day was cleared).
        recipients: Vec<u64>,
    },
    /// A warning's failed messages were requeued: counts and recipient ids, never a number.
    DeliveriesRetried {
        /// Messages put back in the queue.
        requeued: usize,
        /// Messages asked for but not failed (left alone).
        skipped: usize,
        /// The recipients whose messages were requeued.
        recipients: Vec<u64>,
    },
    /// A warning's unknown messages were sent again.
    DeliveriesResent {
        /// `decision` or `policy`.
        how: String,
        /// Why, as the person wrote it (or which setting).
        reason: String,
        /// Messages sent again.
        resent: usize,
        /// Messages asked for but not unknown (left alone).
        skipped: usize,
        /// The recipients whose messages were sent again.
        recipients: Vec<u64>,
    },
    /// A 叫应 line was acted on (a number shown, a call logged): which line, whose, of which
    /// warning — never the number or what was said.
    CalloutLine {
        /// The warning.
        warning: String,
        /// The line.
        line: i64,
        /// The recipient called.
        recipient: u64,
    },
    /// The chain is sealed with a key from this entry on.
    AuditKeyIntroduced {
        /// The key's fingerprint ([`super::AuditKey::fingerprint`]).
        fingerprint: String,
    },
}

/// Where a device key was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyIssuer {
    /// By an administrator, through the API.
    Api,
    /// At the server's command line.
    Console,
    /// At the central's start, for the built-in simulator.
    Start,
}

impl AuditDetail {
    /// The stored form: compact JSON with the code first.
    pub fn to_stored(&self) -> String {
        // Serialising plain data to a string cannot fail; an empty detail is the fallback.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The detail stored as `text`; `None` for free text (older entries) or a code this
    /// build does not know.
    pub fn parse(text: &str) -> Option<Self> {
        if !text.starts_with('{') {
            return None;
        }
        serde_json::from_str(text).ok()
    }

    /// A login's detail with the client's address, if known.
    pub fn from_address(address: &str) -> Option<String> {
        (!address.is_empty()).then(|| address.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_stored_as_codes_and_parameters_and_read_back() {
        let detail = AuditDetail::RoleChanged(Change {
            before: "duty_forecaster".into(),
            after: "supervisor".into(),
        });
        let stored = detail.to_stored();
        assert_eq!(
            stored,
            r#"{"code":"role_changed","before":"duty_forecaster","after":"supervisor"}"#
        );
        assert_eq!(AuditDetail::parse(&stored), Some(detail));
        let session = AuditDetail::SessionStarted {
            until: Timestamp(1_796_000_000_000),
            one_time_password: false,
            from: None,
        };
        assert_eq!(AuditDetail::parse(&session.to_stored()), Some(session));
    }

    #[test]
    fn free_text_and_unknown_codes_are_not_details() {
        for text in [
            "",
            "session until 2026-12-07T08:23:31.008Z",
            r#"{"code":"from_a_newer_central"}"#,
            "{not json",
        ] {
            assert_eq!(AuditDetail::parse(text), None, "{text}");
        }
    }
}
