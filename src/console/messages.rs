//! What the UI asks of the backend ([`Command`]) and what the backend reports ([`Event`]).
//! One enum pair per concern, routed by the thin outer enums. Passwords travel as [`Secret`]s,
//! which never print.

pub mod devices;
pub mod dispatch;
pub mod history;
pub mod recipients;
pub mod reports;
pub mod table;
pub mod trouble;
pub mod warnings;

pub use dispatch::{DispatchCommand, DispatchEvent};
pub use history::{HistoryAction, HistoryCommand, HistoryEvent};
pub use trouble::Trouble;
pub use warnings::{DeskDraft, WarningCommand, WarningEvent};

use std::collections::BTreeMap;

use crate::domain::access::{Account, Capability, Role, Secret};
use crate::domain::audit::{AuditEntry, HeadRegression};
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::qc::QcMark;
use crate::domain::{Network, Observation, StationId, Timestamp};
use crate::protocol::Cursor;

/// A request from the UI to a backend service. Imperative.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// For the sync service.
    Sync(SyncCommand),
    /// For the accounts service: log in and out, one's own password.
    Auth(AuthCommand),
    /// For the accounts service: user administration.
    Admin(AdminCommand),
    /// For the accounts service: the audit log.
    Audit(AuditCommand),
    /// For the history service: views, statistics, exports, imports, maintenance.
    History(HistoryCommand),
    /// For the warnings service: drafts, submission, approval, release.
    Warnings(WarningCommand),
    /// For the dispatch service: a released warning's deliveries, retries and resends.
    Dispatch(DispatchCommand),
    /// For the recipients service: the list of the people warnings go to, imports.
    Recipients(recipients::RecipientsCommand),
    /// For the reports service: the supervisor's 服务统计 and its files.
    Reports(reports::ReportCommand),
    /// For the devices service: the registry with health, a device's health page.
    Devices(devices::DeviceCommand),
}

/// A report from a backend service to the UI state. Past tense.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// From the sync service.
    Sync(SyncEvent),
    /// About the session (from the accounts service, or the sync service confirming it).
    Auth(AuthEvent),
    /// From user administration.
    Admin(AdminEvent),
    /// From the audit log.
    Audit(AuditEvent),
    /// From the history service.
    History(HistoryEvent),
    /// From the warnings service.
    Warnings(WarningEvent),
    /// From the dispatch service.
    Dispatch(DispatchEvent),
    /// From the recipients service.
    Recipients(recipients::RecipientsEvent),
    /// From the reports service.
    Reports(reports::ReportEvent),
    /// From the devices service.
    Devices(devices::DeviceEvent),
}

/// Requests to the sync service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncCommand {
    /// Skip the back-off wait and try the central now.
    RetryNow,
}

/// Reports of the sync service.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// The station network, from the cache at start-up or fresh from the central.
    NetworkLoaded(Network),
    /// Devices were registered or changed, or their status changed: the devices screen reads
    /// the registry again.
    DevicesChanged(Vec<crate::domain::devices::DeviceId>),
    /// Device alarms changed: the devices screen reads the alarms again.
    AlarmsChanged(Vec<u64>),
    /// Relays of these devices changed (a command, a reading, a proposal): the devices screen
    /// reads the relays again.
    RelaysChanged(Vec<crate::domain::devices::DeviceId>),
    /// Observations now in the cache: the recent window at start-up, then each batch synced.
    /// Values may repeat ones already delivered (start-up snapshot overlapping a sync batch);
    /// applying them is idempotent.
    ObservationsArrived(Vec<Observation>),
    /// The QC flags of values that arrived failing a test, or that QC re-judged: sent before
    /// the values themselves, so nothing judges a failed value as good even for a moment.
    QcFlagged(Vec<QcMark>),
    /// Quality control re-judged values already in the cache: which station at which time.
    QcRejudged(Vec<(StationId, Timestamp)>),
    /// Maintenance windows were recorded or changed (each as it is now).
    MaintenanceChanged(Vec<MaintenanceWindow>),
    /// The link to the central changed.
    LinkChanged(LinkStatus),
    /// The central's audit head went backwards from the newest this desk saw: its audit log
    /// was cut back or rewritten, or its database rolled back.
    AuditHeadRegressed(HeadRegression),
    /// The cache now holds every change up to `cursor`, `behind` changes short of the
    /// central's newest.
    Synced {
        /// When this sync step finished.
        at: Timestamp,
        /// Where the cache's copy of the feed stands (opaque: only compared and echoed).
        cursor: Cursor,
        /// Changes the central holds beyond it.
        behind: u64,
    },
    /// Changes this build cannot show, skipped so far (by kind; empty: none are left, a newer
    /// build replayed them). A newer version of wxdesk is available.
    ChangesSkipped(BTreeMap<String, u64>),
    /// What this desk relies on that its central does not serve (change kinds, features): the
    /// central is older than the desk. Reported once per connection where it differs.
    CentralLacks(Vec<String>),
    /// The central's database was replaced (restored from a backup, or recreated): the cache
    /// forgot what it had synced and sync starts over; the text says so to the user.
    CentralReplaced(String),
    /// Something went wrong that the user must hear about (a corrupt cache, a refused
    /// request). Link trouble is reported through [`SyncEvent::LinkChanged`] instead.
    Failed(String),
}

/// Requests about one's own session.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthCommand {
    /// Log in; the session is remembered on this workstation until it ends.
    LogIn {
        /// Login name.
        username: String,
        /// Password (or one-time password).
        password: Secret,
        /// This workstation's name, as the audit log will show it.
        workstation: String,
    },
    /// Replace one's own password (required after a one-time password).
    ChangePassword {
        /// The current password.
        current: Secret,
        /// The new one.
        new: Secret,
    },
    /// End the session here and at the central.
    LogOut,
}

/// Who is at the desk, as the central said at login or last confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The user.
    pub account: Account,
    /// What the role may do.
    pub capabilities: Vec<Capability>,
    /// The workstation named at login.
    pub workstation: String,
    /// When the session ends.
    pub expires_at: Timestamp,
}

impl SessionView {
    /// Whether the role has `capability`.
    pub fn can(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.account.role
    }
}

/// Reports about the session.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthEvent {
    /// At start: what the login screen offers, and the session remembered on this workstation
    /// (not yet confirmed by the central), if any.
    Ready {
        /// The user name last used here.
        last_username: Option<String>,
        /// This workstation's name (the host name unless changed at a login).
        workstation: String,
        /// A remembered session.
        remembered: Option<SessionView>,
    },
    /// Logged in.
    SignedIn(SessionView),
    /// The central confirmed the session (after start-up or a reconnect), with the user's
    /// current role and capabilities.
    Confirmed(SessionView),
    /// The login was refused or could not be tried.
    LoginFailed(LoginFailure),
    /// The password was changed; the session continues with the user's own password.
    PasswordChanged(SessionView),
    /// The password change was refused, or could not be tried.
    PasswordChangeFailed(Trouble),
    /// The central refused the new password by its rules (said in the user's language).
    PasswordRefused(crate::domain::access::PasswordRefusal),
    /// The session is over: logged out (`None`), or ended by the central (expired, revoked,
    /// account disabled, password reset), with its reason (`session_ended` …).
    SignedOut(Option<Trouble>),
    /// Where the session token is kept, said once after it is stored.
    Stored(StorageNote),
}

/// Where a session token went, when that is worth saying; rendered in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageNote {
    /// No system keyring: kept in this file, readable only by the user.
    InFile(std::path::PathBuf),
    /// Not remembered (the OS's words): the user logs in again after a restart.
    NotRemembered(String),
}

/// Why a login did not succeed, for the console to say in the user's language.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginFailure {
    /// Wrong user name or password; the central does not say which.
    WrongCredentials,
    /// Too many failures in a row: the account is locked for a while.
    Locked,
    /// An administrator disabled the account.
    Disabled,
    /// Anything else (the central unreachable, another refusal).
    Other(Trouble),
}

/// Requests of user administration (administrators only; the central checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// Load the user list.
    Refresh,
    /// Create a user with a one-time password.
    CreateUser {
        /// Login name.
        username: String,
        /// Name shown to people.
        display_name: String,
        /// Role.
        role: Role,
    },
    /// Give a user a new one-time password.
    ResetPassword {
        /// Login name.
        username: String,
    },
    /// Change a user's role.
    SetRole {
        /// Login name.
        username: String,
        /// The new role.
        role: Role,
    },
    /// Disable or enable an account.
    SetDisabled {
        /// Login name.
        username: String,
        /// Disable (`true`) or enable.
        disabled: bool,
    },
}

/// Reports of user administration.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminEvent {
    /// The user list.
    Users(Vec<Account>),
    /// A one-time password was issued (a new user or a reset): shown once.
    PasswordIssued {
        /// The account.
        account: Account,
        /// The password.
        password: Secret,
        /// A new user (`true`) or a reset.
        created: bool,
    },
    /// A user was changed.
    Updated(Account),
    /// The central refused or could not be reached.
    Failed(Trouble),
}

/// Which audit entries to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    /// At or after.
    pub from: Option<Timestamp>,
    /// At or before.
    pub to: Option<Timestamp>,
    /// Actor contains.
    pub actor: Option<String>,
    /// Action code.
    pub action: Option<String>,
}

/// Requests about the audit log (roles that may read it; the central checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCommand {
    /// Load a page of entries, newest first, older than `before` (the first page if `None`).
    Load {
        /// The filter.
        search: AuditSearch,
        /// Page cursor.
        before: Option<u64>,
    },
    /// Write every matching entry to a CSV file (UTF-8 with BOM) in the export folder.
    Export(AuditSearch),
}

/// Reports about the audit log.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditEvent {
    /// A page arrived.
    Page {
        /// The filter it answers.
        search: AuditSearch,
        /// The cursor it was loaded from.
        before: Option<u64>,
        /// Entries, newest first.
        entries: Vec<AuditEntry>,
        /// Cursor of the next (older) page, if any.
        next_before: Option<u64>,
    },
    /// The export was written.
    Exported {
        /// The file.
        path: String,
        /// Entries written.
        entries: usize,
    },
    /// The central refused, could not be reached, or the file could not be written.
    Failed(Trouble),
}

/// The state of the link to the central, as the top bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkStatus {
    /// Trying to reach the central for the first time this session.
    Connecting {
        /// When the attempt began.
        since: Timestamp,
    },
    /// Connected and receiving the live stream.
    Online {
        /// When the link came up.
        since: Timestamp,
    },
    /// The central cannot be reached; cached data is shown.
    Offline {
        /// When the link was lost (or first attempt failed).
        since: Timestamp,
        /// Why, as the last attempt saw it (a refusal of the central is said from its code).
        error: Trouble,
        /// When the next attempt is due.
        retry_at: Timestamp,
    },
    /// The central refused this desk's session: someone must log in (again). Not retried.
    SignedOut {
        /// Since when.
        since: Timestamp,
    },
}
