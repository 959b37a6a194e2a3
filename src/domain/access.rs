//! Who may do what: the five roles of a county bureau's duty staff, the role of device
//! credentials, the capabilities the central checks on every call, and the one matrix that
//! joins them ([`MATRIX`], read through [`allows`]).
//!
//! Separation of duties: a duty forecaster drafts and dispatches warnings; a supervisor
//! (审核/值班领导) approves them and reads the audit log; technicians command relays and manage
//! devices; a leader reads everything and changes nothing; an administrator manages accounts
//! and reads the audit log, but touches neither warnings nor devices. Devices only ingest.
//!
//! Provenance is a claim the matrix guards too: labelling observations with a [`Source`] needs
//! that source's capability ([`claim_capability`]). A device key may claim what its role has
//! (live and backfilled) plus what it was granted when issued ([`DeviceClaims`]: an archive
//! loader may import); `manual` is for people only.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Source, Timestamp};

/// A role: one of the five user roles, or the role every device credential has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 值班预报员: watches the desk, drafts and dispatches warnings.
    DutyForecaster,
    /// 技术保障: keeps stations and relays working; commands relays, manages devices.
    Technician,
    /// 审核（值班领导）: approves warnings, reads the audit log.
    Supervisor,
    /// 局领导: reads everything, changes nothing.
    Leader,
    /// 系统管理员: manages accounts and device credentials; reads the audit log.
    Administrator,
    /// A station, gateway or the simulator: may only ingest observations.
    Device,
}

impl Role {
    /// Every role, in the matrix's column order.
    pub const ALL: [Self; 6] = [
        Self::DutyForecaster,
        Self::Technician,
        Self::Supervisor,
        Self::Leader,
        Self::Administrator,
        Self::Device,
    ];

    /// The roles a user account may have (every role but [`Role::Device`]).
    pub const USERS: [Self; 5] = [
        Self::DutyForecaster,
        Self::Technician,
        Self::Supervisor,
        Self::Leader,
        Self::Administrator,
    ];

    /// Stable machine code, as the API and the database write it (`duty_forecaster`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::DutyForecaster => "duty_forecaster",
            Self::Technician => "technician",
            Self::Supervisor => "supervisor",
            Self::Leader => "leader",
            Self::Administrator => "administrator",
            Self::Device => "device",
        }
    }

    /// The role's name in Chinese.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::DutyForecaster => "值班预报员",
            Self::Technician => "技术保障",
            Self::Supervisor => "审核（值班领导）",
            Self::Leader => "局领导",
            Self::Administrator => "系统管理员",
            Self::Device => "设备",
        }
    }

    /// The role's name in English.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::DutyForecaster => "Duty forecaster",
            Self::Technician => "Technician",
            Self::Supervisor => "Supervisor",
            Self::Leader => "Leader (read-only)",
            Self::Administrator => "Administrator",
            Self::Device => "Device",
        }
    }

    /// Parses a machine code.
    pub fn parse(code: &str) -> Result<Self, AccessError> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or_else(|| AccessError::UnknownRole(code.to_owned()))
    }

    /// Parses the role of a user account: any role but `device`.
    pub fn parse_user(code: &str) -> Result<Self, AccessError> {
        match Self::parse(code)? {
            Self::Device => Err(AccessError::DeviceRoleForUser),
            role => Ok(role),
        }
    }

    const fn column(self) -> usize {
        self as usize
    }

    /// Everything this role may do, in [`Capability::ALL`] order.
    pub fn capabilities(self) -> Vec<Capability> {
        Capability::ALL
            .into_iter()
            .filter(|&c| allows(self, c))
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Something the central lets a caller do, or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Read stations, observations, the change log and its live stream.
    Read,
    /// Draft a warning (预警起草).
    DraftWarning,
    /// Approve a drafted warning for release (审核签发).
    ApproveWarning,
    /// Dispatch an approved warning to its channels (发布).
    DispatchWarning,
    /// Send relay commands and cancel queued ones; which relays, the class rows say.
    CommandRelays,
    /// Switch ventilation relays (fans, vents).
    SwitchVentilation,
    /// Switch irrigation relays.
    SwitchIrrigation,
    /// Switch shade nets.
    SwitchShade,
    /// Switch a tea garden's anti-frost fans.
    SwitchAntiFrost,
    /// Add, configure and retire stations and relay boards.
    ManageDevices,
    /// Create users, reset passwords, assign roles, disable accounts; issue device keys; read
    /// why the central is degraded.
    ManageUsers,
    /// Browse, filter and export the audit log.
    ReadAudit,
    /// Send observations to the central, labelled `live` or `backfilled`.
    IngestObservations,
    /// Import observation files, or label observations `imported`.
    ImportObservations,
    /// Label observations `manual`: values a person entered.
    EnterObservations,
    /// See recipients' whole phone numbers; add, change, delete and import recipients (the
    /// people warnings go to: personal data).
    ManageRecipients,
}

impl Capability {
    /// Every capability, in the matrix's row order.
    pub const ALL: [Self; 16] = [
        Self::Read,
        Self::DraftWarning,
        Self::ApproveWarning,
        Self::DispatchWarning,
        Self::CommandRelays,
        Self::SwitchVentilation,
        Self::SwitchIrrigation,
        Self::SwitchShade,
        Self::SwitchAntiFrost,
        Self::ManageDevices,
        Self::ManageUsers,
        Self::ReadAudit,
        Self::IngestObservations,
        Self::ImportObservations,
        Self::EnterObservations,
        Self::ManageRecipients,
    ];

    /// Stable machine code (`approve_warning`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::DraftWarning => "draft_warning",
            Self::ApproveWarning => "approve_warning",
            Self::DispatchWarning => "dispatch_warning",
            Self::CommandRelays => "command_relays",
            Self::SwitchVentilation => "switch_ventilation",
            Self::SwitchIrrigation => "switch_irrigation",
            Self::SwitchShade => "switch_shade",
            Self::SwitchAntiFrost => "switch_anti_frost",
            Self::ManageDevices => "manage_devices",
            Self::ManageUsers => "manage_users",
            Self::ReadAudit => "read_audit",
            Self::IngestObservations => "ingest_observations",
            Self::ImportObservations => "import_observations",
            Self::EnterObservations => "enter_observations",
            Self::ManageRecipients => "manage_recipients",
        }
    }

    /// The capability in Chinese.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Read => "查看数据",
            Self::DraftWarning => "起草预警",
            Self::ApproveWarning => "审核签发预警",
            Self::DispatchWarning => "发布预警",
            Self::CommandRelays => "控制继电器",
            Self::SwitchVentilation => "开关通风",
            Self::SwitchIrrigation => "开关灌溉",
            Self::SwitchShade => "开关遮阳网",
            Self::SwitchAntiFrost => "开关防霜风机",
            Self::ManageDevices => "管理设备",
            Self::ManageUsers => "管理用户",
            Self::ReadAudit => "查看审计日志",
            Self::IngestObservations => "上传观测",
            Self::ImportObservations => "导入观测资料",
            Self::EnterObservations => "人工录入观测",
            Self::ManageRecipients => "管理预警接收人",
        }
    }

    /// The capability in English.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::Read => "Read data",
            Self::DraftWarning => "Draft warnings",
            Self::ApproveWarning => "Approve warnings",
            Self::DispatchWarning => "Dispatch warnings",
            Self::CommandRelays => "Command relays",
            Self::SwitchVentilation => "Switch ventilation",
            Self::SwitchIrrigation => "Switch irrigation",
            Self::SwitchShade => "Switch shade nets",
            Self::SwitchAntiFrost => "Switch anti-frost fans",
            Self::ManageDevices => "Manage devices",
            Self::ManageUsers => "Manage users",
            Self::ReadAudit => "Read the audit log",
            Self::IngestObservations => "Ingest observations",
            Self::ImportObservations => "Import observations",
            Self::EnterObservations => "Enter observations by hand",
            Self::ManageRecipients => "Manage warning recipients",
        }
    }

    /// Parses a machine code.
    pub fn parse(code: &str) -> Result<Self, AccessError> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| AccessError::UnknownCapability(code.to_owned()))
    }

    const fn row(self) -> usize {
        self as usize
    }

    /// The user roles that have this capability (what to tell someone who lacks it).
    pub fn user_roles(self) -> Vec<Role> {
        Role::USERS
            .into_iter()
            .filter(|&r| allows(r, self))
            .collect()
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

const Y: bool = true;
const N: bool = false;

/// The capability matrix, written once: a row per capability in [`Capability::ALL`] order, a
/// column per role in [`Role::ALL`] order. The central enforces it on every call; the console
/// hides or disables what it forbids.
#[rustfmt::skip]
pub const MATRIX: [(Capability, [bool; 6]); 16] = [
    //                                   值班预报员 技术保障 审核 局领导 管理员 设备
    (Capability::Read,                  [Y,        Y,       Y,   Y,     Y,     N]),
    (Capability::DraftWarning,          [Y,        N,       N,   N,     N,     N]),
    (Capability::ApproveWarning,        [N,        N,       Y,   N,     N,     N]),
    // Dispatching covers a person's decisions on a released warning's messages too: retrying
    // failed ones and resending unknown ones (audited; the duty forecaster decides at night).
    (Capability::DispatchWarning,       [Y,        N,       Y,   N,     N,     N]),
    // Relays are the technicians'. The one exception is frost: a frost night is the duty
    // forecaster's call, made on the desk at 3 a.m. while the technician is at home on call,
    // so the forecaster may switch anti-frost fans (with a written reason, within their
    // interlocks) and nothing else. CommandRelays opens the routes; the class row decides.
    (Capability::CommandRelays,         [Y,        Y,       N,   N,     N,     N]),
    (Capability::SwitchVentilation,     [N,        Y,       N,   N,     N,     N]),
    (Capability::SwitchIrrigation,      [N,        Y,       N,   N,     N,     N]),
    (Capability::SwitchShade,           [N,        Y,       N,   N,     N,     N]),
    (Capability::SwitchAntiFrost,       [Y,        Y,       N,   N,     N,     N]),
    (Capability::ManageDevices,         [N,        Y,       N,   N,     N,     N]),
    (Capability::ManageUsers,           [N,        N,       N,   N,     Y,     N]),
    (Capability::ReadAudit,             [N,        N,       Y,   Y,     Y,     N]),
    (Capability::IngestObservations,    [N,        Y,       N,   N,     N,     Y]),
    // A device's cell here is its default; DEVICE_GRANTS says what a key may be given.
    (Capability::ImportObservations,    [N,        Y,       N,   N,     N,     N]),
    (Capability::EnterObservations,     [N,        Y,       N,   N,     N,     N]),
    // Numbers are personal data: the forecaster sees them masked (and later, audited, on an
    // active warning's call list).
    (Capability::ManageRecipients,      [N,        N,       Y,   N,     Y,     N]),
];

/// What a device key may be granted beyond the device column when it is issued: importing
/// (an archive loader). Never `manual`: that is for people.
pub const DEVICE_GRANTS: [Capability; 1] = [Capability::ImportObservations];

/// The capability needed to label observations with `source`.
pub const fn claim_capability(source: Source) -> Capability {
    match source {
        Source::Live | Source::Backfilled => Capability::IngestObservations,
        Source::Imported => Capability::ImportObservations,
        Source::Manual => Capability::EnterObservations,
    }
}

/// What a device key may claim beyond its role, fixed when the key is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct DeviceClaims {
    /// The key may import: label observations `imported` and post files to `/imports`.
    pub may_import: bool,
}

impl DeviceClaims {
    /// Live and backfilled only: a station's logger.
    pub const LIVE: Self = Self { may_import: false };
    /// Also imported: an archive loader (the embedded simulator's year of archive).
    pub const ARCHIVE_LOADER: Self = Self { may_import: true };

    /// The capabilities granted on top of the device column ([`DEVICE_GRANTS`] only).
    pub fn grants(self) -> Vec<Capability> {
        DEVICE_GRANTS
            .into_iter()
            .filter(|&c| c == Capability::ImportObservations && self.may_import)
            .collect()
    }
}

/// Whether a caller of `role` (with `claims`, if it is a device key) has `capability`: the
/// matrix, plus what the key was granted.
pub fn caller_allows(role: Role, claims: Option<DeviceClaims>, capability: Capability) -> bool {
    allows(role, capability)
        || (role == Role::Device && claims.is_some_and(|c| c.grants().contains(&capability)))
}

/// Whether a caller may label observations with `source`.
pub fn may_claim(role: Role, claims: Option<DeviceClaims>, source: Source) -> bool {
    caller_allows(role, claims, claim_capability(source))
}

/// Whether `role` has `capability`: the matrix, read.
pub const fn allows(role: Role, capability: Capability) -> bool {
    MATRIX[capability.row()].1[role.column()]
}

/// Why an access-related value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Not a role code.
    #[error(
        "unknown role {0:?} (one of duty_forecaster, technician, supervisor, leader, administrator)"
    )]
    UnknownRole(String),
    /// `device` given as a user's role.
    #[error("the device role belongs to device keys, not to user accounts")]
    DeviceRoleForUser,
    /// Not a capability code.
    #[error("unknown capability {0:?}")]
    UnknownCapability(String),
    /// A user name that breaks the rules.
    #[error(
        "user name {0:?} must be 2–32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter"
    )]
    BadUsername(String),
    /// A display name that breaks the rules.
    #[error(
        "display name must be 1–64 characters, not all spaces, without control characters (it has {0})"
    )]
    BadDisplayName(usize),
    /// A device name that breaks the rules.
    #[error("device name {0:?} must be 1–64 characters: letters, digits, '.', '_' or '-'")]
    BadDeviceName(String),
}

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;

/// A user's login name: lower-case ASCII, so `Admin` and `admin` are one account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Parses a user name, folding it to lower case. Surrounding spaces are refused, not
    /// trimmed: what a person typed is trimmed where it is typed (the console, the CLI), so the
    /// API's rule is exactly the `Username` pattern of the OpenAPI document.
    pub fn parse(text: &str) -> Result<Self, AccessError> {
        let folded = text.to_ascii_lowercase();
        let valid = (2..=32).contains(&folded.len())
            && folded.starts_with(|c: char| c.is_ascii_lowercase())
            && folded
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if valid {
            Ok(Self(folded))
        } else {
            Err(AccessError::BadUsername(text.to_owned()))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = AccessError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Username> for String {
    fn from(name: Username) -> Self {
        name.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A device credential's name (`simulator`, `58819-logger`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceName(String);

impl DeviceName {
    /// Parses a device name (the `DeviceName` pattern of the OpenAPI document; surrounding
    /// spaces are refused).
    pub fn parse(text: &str) -> Result<Self, AccessError> {
        let valid = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(AccessError::BadDeviceName(text.to_owned()))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceName {
    type Error = AccessError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<DeviceName> for String {
    fn from(name: DeviceName) -> Self {
        name.0
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password, token or key in memory: never printed. `Debug` and `Display` show `***`, so a
/// secret that reaches a log line or a panic message by mistake stays secret.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret itself, for the one place that needs it (hashing, a header, a dialog).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A display name as kept (trimmed): 1–[`MAX_DISPLAY_NAME_CHARS`] characters as given, not
/// all spaces, no control characters. Refused rather than cut, so nothing typed is lost.
pub fn display_name(text: &str) -> Result<String, AccessError> {
    let chars = text.chars().count();
    let trimmed = text.trim();
    let valid = chars <= MAX_DISPLAY_NAME_CHARS
        && !trimmed.is_empty()
        && !text.chars().any(char::is_control);
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(AccessError::BadDisplayName(chars))
    }
}

/// A user account as administrators see it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Login name.
    pub username: Username,
    /// Name shown to people (张伟).
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// A disabled account cannot log in; its sessions ended when it was disabled.
    pub disabled: bool,
    /// The password is a one-time password: the user must choose a new one after logging in.
    pub must_change_password: bool,
    /// Locked after repeated failed logins, until then.
    pub locked_until: Option<Timestamp>,
    /// Last successful login.
    pub last_login: Option<Timestamp>,
    /// When the account was created.
    pub created_at: Timestamp,
}

impl Account {
    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// Repeated failed logins lock an account: after [`LockoutPolicy::max_failures`] in a row, for
/// [`LockoutPolicy::lock_ms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the account.
    pub max_failures: u32,
    /// How long it stays locked, ms.
    pub lock_ms: i64,
}

impl LockoutPolicy {
    /// Five failures in a row lock an account for 15 minutes: slow enough for guessing to be
    /// hopeless (20 tries an hour), short enough for a forecaster who mistyped on a stormy night.
    pub const DEFAULT: Self = Self {
        max_failures: 5,
        lock_ms: 15 * 60_000,
    };

    /// The failure count and lock after one more failure at `now`. A lock that has run out
    /// starts a fresh count, so one typo after a lockout does not lock again at once.
    pub fn after_failure(
        self,
        failures: u32,
        locked_until: Option<Timestamp>,
        now: Timestamp,
    ) -> (u32, Option<Timestamp>) {
        if locked_until.is_some_and(|until| until > now) {
            return (failures.saturating_add(1), locked_until);
        }
        let expired = locked_until.is_some();
        let failures = if expired {
            1
        } else {
            failures.saturating_add(1)
        };
        let locked_until = if failures >= self.max_failures {
            Some(now.plus_ms(self.lock_ms))
        } else if expired {
            None
        } else {
            locked_until
        };
        (failures, locked_until)
    }
}

/// Whether a login attempt may have its password judged, decided before any hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Judge it: it counts as a failure until its password proves right.
    Judge,
    /// Do not judge it: the account is locked, or its attempts of this window are taken.
    Refuse,
}

impl LockoutPolicy {
    /// Reserves one login attempt at `now`, before its password is hashed: the verdict and the
    /// account's new failure count and lock. Every attempt in flight counts as a failure, so
    /// however many guesses arrive at once, at most [`LockoutPolicy::max_failures`] are
    /// judged per lock window; one past that locks the account (which also frees an account
    /// whose count was taken by attempts that never finished).
    pub fn reserve(
        self,
        failures: u32,
        locked_until: Option<Timestamp>,
        now: Timestamp,
    ) -> (Reservation, u32, Option<Timestamp>) {
        match locked_until {
            Some(until) if until > now => (Reservation::Refuse, failures, locked_until),
            Some(_) => (Reservation::Judge, 1, None),
            None if failures < self.max_failures => (Reservation::Judge, failures + 1, None),
            None => (
                Reservation::Refuse,
                failures,
                Some(now.plus_ms(self.lock_ms)),
            ),
        }
    }

    /// The lock after a reserved attempt proved wrong; `failures` already counts it.
    pub fn lock_after_wrong(
        self,
        failures: u32,
        locked_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Option<Timestamp> {
        if locked_until.is_some_and(|until| until > now) {
            return locked_until;
        }
        (failures >= self.max_failures).then(|| now.plus_ms(self.lock_ms))
    }
}

/// The login name of the first administrator, created when a central has no user at all.
pub const FIRST_ADMIN: &str = "admin";

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (argon2 would take more; a bound keeps requests small).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The bureau's names, in the forms people type them: a password made of one of them (with
/// digits or punctuation around it) is the first thing a guesser tries at this central.
pub const BUREAU_NAMES: [&str; 6] = [
    "清流县气象局",
    "清流气象局",
    "清流",
    "qingliu",
    "qlqxj",
    "qxj",
];

/// Why a new password is refused: a stable code for the API and the console's i18n, and the
/// numbers the sentence needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefusal {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    TooLong,
    /// On the shipped list of the most common passwords.
    Common,
    /// The user name, with at most digits and punctuation added.
    LikeUsername,
    /// The bureau's name, with at most digits and punctuation added.
    LikeBureau,
}

impl PasswordRefusal {
    /// Stable code, as the API's error body writes it (`password_common`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooShort => "password_too_short",
            Self::TooLong => "password_too_long",
            Self::Common => "password_common",
            Self::LikeUsername => "password_like_username",
            Self::LikeBureau => "password_like_bureau",
        }
    }

    /// Every refusal.
    pub const ALL: [Self; 5] = [
        Self::TooShort,
        Self::TooLong,
        Self::Common,
        Self::LikeUsername,
        Self::LikeBureau,
    ];

    /// The refusal with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The sentence in English (the API's message; the console has its own in both
    /// languages): the registry's, [`super::refusal::Code::english`].
    pub fn message(self) -> String {
        super::refusal::Refusal::from(self).english()
    }
}

impl fmt::Display for PasswordRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Passwords refused as too common, lower case (the shipped list: `crate::assets`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockList(std::collections::HashSet<String>);

impl BlockList {
    /// The list of `text`: one password a line, compared lower-cased.
    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .map(|line| line.trim().to_lowercase())
                .filter(|line| !line.is_empty())
                .collect(),
        )
    }

    /// Whether `lower` (already lower case) is on the list.
    pub fn contains(&self, lower: &str) -> bool {
        self.0.contains(lower)
    }

    /// How many passwords it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The password's letters (of any script) in lower case, digits and punctuation dropped:
/// `Qingliu2026!` and `qingliu` have the same core.
fn core_letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Checks a new password (NIST SP 800-63B: length and a block list, no composition rules):
/// 8–128 characters, not a common password, not the user's or the bureau's name dressed up
/// with digits.
pub fn check_new_password(
    password: &Secret,
    username: &Username,
    common: &BlockList,
) -> Result<(), PasswordRefusal> {
    let text = password.expose();
    let chars = text.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooLong);
    }
    let lower = text.trim().to_lowercase();
    if common.contains(&lower) {
        return Err(PasswordRefusal::Common);
    }
    let core = core_letters(text);
    if core.is_empty() {
        // Digits and punctuation only: judged by the list alone.
        return Ok(());
    }
    if core == core_letters(username.as_str()) || lower == username.as_str() {
        return Err(PasswordRefusal::LikeUsername);
    }
    if BUREAU_NAMES
        .iter()
        .any(|name| core == core_letters(name) || core == core_letters(name).repeat(2))
    {
        return Err(PasswordRefusal::LikeBureau);
    }
    Ok(())
}

/// Letters of one-time passwords: no 0/o, 1/l/i, so they can be read aloud and typed.
const OTP_ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A one-time password from 32 random bytes: 16 letters in four groups (`k7mq-3hxr-9tdw-p4ne`),
/// about 79 bits. Pure, so the caller chooses the randomness (the OS RNG in production).
pub fn one_time_password(random: &[u8; 32]) -> Secret {
    let mut text = String::with_capacity(19);
    for (i, pair) in random.chunks_exact(2).enumerate() {
        if i > 0 && i % 4 == 0 {
            text.push('-');
        }
        // 65536 % 31 = 2: the bias towards two letters is 1 in 32768, negligible here.
        let index = usize::from(u16::from_le_bytes([pair[0], pair[1]])) % OTP_ALPHABET.len();
        text.push(char::from(OTP_ALPHABET[index]));
    }
    Secret(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_rows_and_columns_are_in_declared_order() {
        for (row, (capability, _)) in MATRIX.iter().enumerate() {
            assert_eq!(Capability::ALL[row], *capability);
            assert_eq!(capability.row(), row);
        }
        for (column, role) in Role::ALL.iter().enumerate() {
            assert_eq!(role.column(), column);
        }
    }

    /// Every cell, spelled out a second time: a change to [`MATRIX`] must change this too.
    #[test]
    fn every_cell_of_the_matrix() {
        use Capability::*;
        use Role::*;
        let granted: [(Role, &[Capability]); 6] = [
            (
                DutyForecaster,
                &[
                    Read,
                    DraftWarning,
                    DispatchWarning,
                    CommandRelays,
                    SwitchAntiFrost,
                ],
            ),
            (
                Technician,
                &[
                    Read,
                    CommandRelays,
                    SwitchVentilation,
                    SwitchIrrigation,
                    SwitchShade,
                    SwitchAntiFrost,
                    ManageDevices,
                    IngestObservations,
                    ImportObservations,
                    EnterObservations,
                ],
            ),
            (
                Supervisor,
                &[
                    Read,
                    ApproveWarning,
                    DispatchWarning,
                    ReadAudit,
                    ManageRecipients,
                ],
            ),
            (Leader, &[Read, ReadAudit]),
            (
                Administrator,
                &[Read, ManageUsers, ReadAudit, ManageRecipients],
            ),
            (Device, &[IngestObservations]),
        ];
        let mut cells = 0;
        for (role, allowed) in granted {
            for capability in Capability::ALL {
                assert_eq!(
                    allows(role, capability),
                    allowed.contains(&capability),
                    "{role} × {capability}"
                );
                cells += 1;
            }
            assert_eq!(role.capabilities(), allowed);
        }
        assert_eq!(cells, 96);
    }

    #[test]
    fn separation_of_duties() {
        use Capability::*;
        // Nobody both drafts and approves: a warning always passes two people.
        for role in Role::ALL {
            assert!(
                !(allows(role, DraftWarning) && allows(role, ApproveWarning)),
                "{role}"
            );
        }
        // The leader changes nothing.
        assert_eq!(Role::Leader.capabilities(), [Read, ReadAudit]);
        // The administrator manages accounts, not warnings or devices.
        for capability in [
            DraftWarning,
            ApproveWarning,
            DispatchWarning,
            CommandRelays,
            SwitchAntiFrost,
            ManageDevices,
        ] {
            assert!(!allows(Role::Administrator, capability));
        }
        // Only administrators manage users; devices only ingest.
        assert_eq!(ManageUsers.user_roles(), [Role::Administrator]);
        assert_eq!(Role::Device.capabilities(), [IngestObservations]);
        // Technicians switch every class; the duty forecaster only frost fans.
        assert_eq!(
            CommandRelays.user_roles(),
            [Role::DutyForecaster, Role::Technician]
        );
        assert_eq!(SwitchShade.user_roles(), [Role::Technician]);
    }

    /// What each caller may claim: users by role, device keys by role and grant.
    #[test]
    fn who_may_claim_which_source() {
        use Source::*;
        let loader = Some(DeviceClaims::ARCHIVE_LOADER);
        let logger = Some(DeviceClaims::LIVE);
        let cases: [(Role, Option<DeviceClaims>, [bool; 4]); 4] = [
            //                                          live  backfilled imported manual
            (Role::Device, logger, [true, true, false, false]),
            (Role::Device, loader, [true, true, true, false]),
            (Role::Technician, None, [true, true, true, true]),
            (Role::DutyForecaster, None, [false, false, false, false]),
        ];
        for (role, claims, expected) in cases {
            for (source, may) in [Live, Backfilled, Imported, Manual]
                .into_iter()
                .zip(expected)
            {
                assert_eq!(
                    may_claim(role, claims, source),
                    may,
                    "{role} {claims:?} {source:?}"
                );
            }
        }
        // A grant is for devices: a user's role is the whole answer.
        assert!(!caller_allows(
            Role::Leader,
            loader,
            Capability::ImportObservations
        ));
        assert_eq!(DeviceClaims::LIVE.grants(), []);
    }

    #[test]
    fn codes_round_trip_and_match_serde() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.code());
        }
        for capability in Capability::ALL {
            assert_eq!(Capability::parse(capability.code()), Ok(capability));
            assert_eq!(serde_json::to_value(capability).unwrap(), capability.code());
        }
        assert_eq!(
            Role::parse_user("device"),
            Err(AccessError::DeviceRoleForUser)
        );
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn usernames() {
        let cases = [
            ("admin", Some("admin")),
            ("Zhang.Wei", Some("zhang.wei")),
            ("li_na-2", Some("li_na-2")),
            (" li_na ", None),
            ("a", None),
            ("2fast", None),
            ("张伟", None),
            ("with space", None),
            (&"x".repeat(33), None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Username::parse(input).ok().as_ref().map(Username::as_str),
                expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn display_names_are_refused_rather_than_cut() {
        let cases = [
            ("张伟", Some("张伟")),
            (" 李娜 ", Some("李娜")),
            ("", None),
            ("  ", None),
            ("张\u{7}伟", None),
            ("line\nbreak", None),
        ];
        for (input, expected) in cases {
            assert_eq!(display_name(input).ok().as_deref(), expected, "{input:?}");
        }
        assert!(display_name(&"张".repeat(64)).is_ok());
        assert!(display_name(&"张".repeat(65)).is_err());
    }

    #[test]
    fn password_rules() {
        use PasswordRefusal::*;
        let user = Username::parse("zhangwei").unwrap();
        let common = BlockList::parse("12345678\nPassword\nqwertyuiop\n");
        let cases = [
            ("short", Some(TooShort)),
            ("12345678", Some(Common)),
            ("Password", Some(Common)),
            ("qwertyuiop", Some(Common)),
            ("ZhangWei", Some(LikeUsername)),
            ("zhangwei2026!", Some(LikeUsername)),
            ("Qingliu2026", Some(LikeBureau)),
            ("清流县气象局2026", Some(LikeBureau)),
            ("qingliuqingliu", Some(LikeBureau)),
            ("清流县气象局值班", None),
            ("correct horse", None),
            ("qingliu-duty-2026", None),
            ("20261127", None),
        ];
        for (password, expected) in cases {
            let result = check_new_password(&Secret::new(password), &user, &common);
            assert_eq!(result.err(), expected, "{password}");
        }
        assert_eq!(
            check_new_password(&Secret::new("x".repeat(129)), &user, &common),
            Err(TooLong)
        );
    }

    #[test]
    fn refusal_codes_are_stable_and_read_back() {
        for refusal in PasswordRefusal::ALL {
            assert_eq!(PasswordRefusal::from_code(refusal.code()), Some(refusal));
            assert!(refusal.code().starts_with("password_"));
        }
        assert_eq!(PasswordRefusal::from_code("forbidden"), None);
        assert!(PasswordRefusal::TooShort.message().contains("at least 8"));
    }

    #[test]
    fn lockout_counts_failures_and_forgives_after_the_lock() {
        let policy = LockoutPolicy::DEFAULT;
        let t = Timestamp(1_000_000);
        let lock_end = t.plus_ms(policy.lock_ms);
        let cases = [
            ((0, None), (1, None)),
            ((3, None), (4, None)),
            ((4, None), (5, Some(lock_end))),
            // Still locked: the count grows, the lock is not extended by further tries.
            ((5, Some(t.plus_ms(1))), (6, Some(t.plus_ms(1)))),
            // The lock ran out: counting starts afresh.
            ((5, Some(t)), (1, None)),
            ((5, Some(t.plus_ms(-1))), (1, None)),
        ];
        for ((failures, locked), expected) in cases {
            assert_eq!(
                policy.after_failure(failures, locked, t),
                expected,
                "{failures} {locked:?}"
            );
        }
    }

    #[test]
    fn attempts_are_reserved_before_hashing() {
        use Reservation::{Judge, Refuse};
        let policy = LockoutPolicy::DEFAULT;
        let t = Timestamp(1_000_000);
        let lock_end = t.plus_ms(policy.lock_ms);
        let cases = [
            ((0, None), (Judge, 1, None)),
            ((4, None), (Judge, 5, None)),
            // Five in flight or failed: the sixth is not judged, and locks.
            ((5, None), (Refuse, 5, Some(lock_end))),
            ((5, Some(t.plus_ms(1))), (Refuse, 5, Some(t.plus_ms(1)))),
            // The lock ran out: a fresh count.
            ((5, Some(t)), (Judge, 1, None)),
        ];
        for ((failures, locked), expected) in cases {
            assert_eq!(
                policy.reserve(failures, locked, t),
                expected,
                "{failures} {locked:?}"
            );
        }
        assert_eq!(policy.lock_after_wrong(4, None, t), None);
        assert_eq!(policy.lock_after_wrong(5, None, t), Some(lock_end));
        assert_eq!(
            policy.lock_after_wrong(5, Some(t.plus_ms(9)), t),
            Some(t.plus_ms(9))
        );
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "Secret(***) ***");
        assert_eq!(secret.expose(), "hunter2-hunter2");
    }

    #[test]
    fn one_time_passwords_are_grouped_and_unambiguous() {
        let mut random = [0u8; 32];
        for (i, b) in random.iter_mut().enumerate() {
            *b = (i * 37 + 11) as u8;
        }
        let otp = one_time_password(&random);
        let text = otp.expose();
        assert_eq!(text.len(), 19);
        assert_eq!(text.matches('-').count(), 3);
        assert!(
            text.chars()
                .all(|c| c == '-' || OTP_ALPHABET.contains(&(c as u8)))
        );
        assert!(!text.contains(['0', '1', 'o', 'l', 'i']));
        assert_ne!(one_time_password(&[0; 32]), otp);
    }
}
