//! The audit trail: entries that say who did what, when, from which workstation and with what
//! outcome, chained by hashes so that an edited, deleted, inserted or reordered entry shows.
//!
//! Each entry's hash is SHA-256 over a canonical encoding of (seq, time, actor, workstation,
//! action, target, details, outcome, previous entry's hash); the first entry follows
//! [`ChainHash::GENESIS`]. [`verify`] walks a log in `seq` order and names the first entry
//! that breaks the chain.
//!
//! What a public hash chain cannot see on its own: the whole chain recomputed after an edit,
//! or the newest entries removed from the end. Against the first, entries from the
//! [`AuditAction::AuditKeyIntroduced`] entry on are sealed with HMAC-SHA256 under a key the
//! database does not hold ([`seal`]); entries before it (written before keys existed) stay
//! plain SHA-256, and a rewrite of them breaks the first sealed entry's link. Against the
//! second, [`verify`] compares the end with anchors: the head the store recorded, and a head
//! noted outside the file (a desk's memory, a bureau's notebook).

mod detail;
mod seal;

pub use detail::{AuditDetail, Change, CodedCause, KeyIssuer};
pub use seal::{AuditKey, Hmac};

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::Timestamp;

/// What was done. Stored and sent as its code; features add their own actions here as they
/// arrive (warnings, relays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The first administrator was created with a one-time password.
    FirstAdminCreated,
    /// A user logged in (outcome `ok`) or tried to (`failed`, `denied` when locked or disabled).
    Login,
    /// A user ended their session.
    Logout,
    /// A user changed their own password.
    PasswordChanged,
    /// An administrator (or the CLI) gave a user a new one-time password.
    PasswordReset,
    /// An administrator created a user.
    UserCreated,
    /// An administrator changed a user's role.
    RoleChanged,
    /// An administrator changed a user's display name.
    UserRenamed,
    /// An administrator disabled an account.
    UserDisabled,
    /// An administrator enabled an account again.
    UserEnabled,
    /// A device key was issued (replacing any earlier key of the same device).
    DeviceKeyIssued,
    /// A device key was revoked.
    DeviceKeyRevoked,
    /// A signed-in caller asked for something their role may not do.
    AccessDenied,
    /// A technician recorded a station's maintenance window.
    MaintenanceRecorded,
    /// A maintenance window was ended or its note corrected.
    MaintenanceChanged,
    /// A device was added to the registry.
    DeviceRegistered,
    /// A device's registry record was changed.
    DeviceChanged,
    /// An observation file was imported (outcome `ok`) or refused as a whole (`failed`).
    ObservationsImported,
    /// The chain is sealed with a key from this entry on.
    AuditKeyIntroduced,
    /// A forecaster submitted a warning for approval.
    WarningSubmitted,
    /// The drafter revised a submitted or returned warning (any approval is void).
    WarningRevised,
    /// A supervisor approved a warning as pinned.
    WarningApproved,
    /// A supervisor returned a warning with a comment.
    WarningReturned,
    /// The drafter signed a continue or lift alone, as the bureau's policy allows.
    WarningSignedAlone,
    /// An approved warning was released (left the building).
    WarningReleased,
    /// A recipient of warnings was added (the entry names the id, never the number).
    RecipientAdded,
    /// A recipient was changed (the entry names the fields, never their values).
    RecipientChanged,
    /// A recipient was deleted.
    RecipientDeleted,
    /// Recipients were imported from a file.
    RecipientsImported,
    /// A supervisor set who is on call on a day (the entry names the day and recipient ids).
    OnCallSet,
    /// A person put a warning's failed messages back in the queue (a new attempt each).
    DeliveriesRetried,
    /// A warning's messages whose outcome was unknown were sent again, by a person's recorded
    /// decision or by the bureau's per-level policy (the detail says which, and why).
    DeliveriesResent,
    /// A whole number on a warning's 叫应 call list was shown (the entry names the line and
    /// the recipient, never the number).
    CalloutNumberRevealed,
    /// A forecaster logged a phone call on a 叫应 line.
    CalloutCallLogged,
    /// The 叫应 call list was confirmed for the year.
    CalloutRosterConfirmed,
    /// A relay command was queued (who, why, what it sets).
    RelayCommanded,
    /// A relay command ended: observed, timed out, expired, failed or cancelled (its latency).
    RelayCommandEnded,
    /// A relay command was refused before it was queued (an interlock, a missing reason).
    RelayCommandRefused,
}

impl AuditAction {
    /// Every action, for filters.
    pub const ALL: [Self; 38] = [
        Self::FirstAdminCreated,
        Self::Login,
        Self::Logout,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::UserCreated,
        Self::RoleChanged,
        Self::UserRenamed,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::DeviceKeyIssued,
        Self::DeviceKeyRevoked,
        Self::AccessDenied,
        Self::MaintenanceRecorded,
        Self::MaintenanceChanged,
        Self::DeviceRegistered,
        Self::DeviceChanged,
        Self::ObservationsImported,
        Self::AuditKeyIntroduced,
        Self::WarningSubmitted,
        Self::WarningRevised,
        Self::WarningApproved,
        Self::WarningReturned,
        Self::WarningSignedAlone,
        Self::WarningReleased,
        Self::RecipientAdded,
        Self::RecipientChanged,
        Self::RecipientDeleted,
        Self::RecipientsImported,
        Self::OnCallSet,
        Self::DeliveriesRetried,
        Self::DeliveriesResent,
        Self::CalloutNumberRevealed,
        Self::CalloutCallLogged,
        Self::CalloutRosterConfirmed,
        Self::RelayCommanded,
        Self::RelayCommandEnded,
        Self::RelayCommandRefused,
    ];

    /// Stable code (`password_reset`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::FirstAdminCreated => "first_admin_created",
            Self::Login => "login",
            Self::Logout => "logout",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::UserCreated => "user_created",
            Self::RoleChanged => "role_changed",
            Self::UserRenamed => "user_renamed",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
            Self::DeviceKeyIssued => "device_key_issued",
            Self::DeviceKeyRevoked => "device_key_revoked",
            Self::AccessDenied => "access_denied",
            Self::MaintenanceRecorded => "maintenance_recorded",
            Self::MaintenanceChanged => "maintenance_changed",
            Self::DeviceRegistered => "device_registered",
            Self::DeviceChanged => "device_changed",
            Self::ObservationsImported => "observations_imported",
            Self::AuditKeyIntroduced => "audit_key_introduced",
            Self::WarningSubmitted => "warning_submitted",
            Self::WarningRevised => "warning_revised",
            Self::WarningApproved => "warning_approved",
            Self::WarningReturned => "warning_returned",
            Self::WarningSignedAlone => "warning_signed_alone",
            Self::WarningReleased => "warning_released",
            Self::RecipientAdded => "recipient_added",
            Self::RecipientChanged => "recipient_changed",
            Self::RecipientDeleted => "recipient_deleted",
            Self::RecipientsImported => "recipients_imported",
            Self::OnCallSet => "on_call_set",
            Self::DeliveriesRetried => "deliveries_retried",
            Self::DeliveriesResent => "deliveries_resent",
            Self::CalloutNumberRevealed => "callout_number_revealed",
            Self::CalloutCallLogged => "callout_call_logged",
            Self::CalloutRosterConfirmed => "callout_roster_confirmed",
            Self::RelayCommanded => "relay_commanded",
            Self::RelayCommandEnded => "relay_command_ended",
            Self::RelayCommandRefused => "relay_command_refused",
        }
    }

    /// Chinese name, for the console.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::FirstAdminCreated => "创建首个管理员",
            Self::Login => "登录",
            Self::Logout => "退出登录",
            Self::PasswordChanged => "修改密码",
            Self::PasswordReset => "重置密码",
            Self::UserCreated => "创建用户",
            Self::RoleChanged => "变更角色",
            Self::UserRenamed => "修改姓名",
            Self::UserDisabled => "停用账户",
            Self::UserEnabled => "启用账户",
            Self::DeviceKeyIssued => "签发设备密钥",
            Self::DeviceKeyRevoked => "吊销设备密钥",
            Self::AccessDenied => "越权请求被拒绝",
            Self::MaintenanceRecorded => "登记站点维护",
            Self::MaintenanceChanged => "修改维护记录",
            Self::DeviceRegistered => "登记设备",
            Self::DeviceChanged => "修改设备档案",
            Self::ObservationsImported => "导入观测文件",
            Self::AuditKeyIntroduced => "审计日志启用密钥",
            Self::WarningSubmitted => "提交预警审核",
            Self::WarningRevised => "修改预警（审核作废）",
            Self::WarningApproved => "审核通过预警",
            Self::WarningReturned => "退回预警",
            Self::WarningSignedAlone => "值班预报员单独签发",
            Self::WarningReleased => "发布预警",
            Self::RecipientAdded => "添加预警接收人",
            Self::RecipientChanged => "修改预警接收人",
            Self::RecipientDeleted => "删除预警接收人",
            Self::RecipientsImported => "导入预警接收人",
            Self::OnCallSet => "安排值班人员",
            Self::DeliveriesRetried => "重发失败的预警消息",
            Self::DeliveriesResent => "重发状态未知的预警消息",
            Self::CalloutNumberRevealed => "查看叫应号码",
            Self::CalloutCallLogged => "记录叫应电话",
            Self::CalloutRosterConfirmed => "确认叫应名单",
            Self::RelayCommanded => "下发继电器指令",
            Self::RelayCommandEnded => "继电器指令结束",
            Self::RelayCommandRefused => "继电器指令被拒绝",
        }
    }

    /// English name, for the console.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::FirstAdminCreated => "First administrator created",
            Self::Login => "Login",
            Self::Logout => "Logout",
            Self::PasswordChanged => "Password changed",
            Self::PasswordReset => "Password reset",
            Self::UserCreated => "User created",
            Self::RoleChanged => "Role changed",
            Self::UserRenamed => "Name changed",
            Self::UserDisabled => "Account disabled",
            Self::UserEnabled => "Account enabled",
            Self::DeviceKeyIssued => "Device key issued",
            Self::DeviceKeyRevoked => "Device key revoked",
            Self::AccessDenied => "Access denied",
            Self::MaintenanceRecorded => "Maintenance recorded",
            Self::MaintenanceChanged => "Maintenance changed",
            Self::DeviceRegistered => "Device registered",
            Self::DeviceChanged => "Device record changed",
            Self::ObservationsImported => "Observations imported",
            Self::AuditKeyIntroduced => "Audit key introduced",
            Self::WarningSubmitted => "Warning submitted",
            Self::WarningRevised => "Warning revised",
            Self::WarningApproved => "Warning approved",
            Self::WarningReturned => "Warning returned",
            Self::WarningSignedAlone => "Warning signed alone",
            Self::WarningReleased => "Warning released",
            Self::RecipientAdded => "Recipient added",
            Self::RecipientChanged => "Recipient changed",
            Self::RecipientDeleted => "Recipient deleted",
            Self::RecipientsImported => "Recipients imported",
            Self::OnCallSet => "On-call roster set",
            Self::DeliveriesRetried => "Failed deliveries retried",
            Self::DeliveriesResent => "Unknown deliveries resent",
            Self::CalloutNumberRevealed => "Call-list number revealed",
            Self::CalloutCallLogged => "Call-and-response call logged",
            Self::CalloutRosterConfirmed => "Call list confirmed for the year",
            Self::RelayCommanded => "Relay command queued",
            Self::RelayCommandEnded => "Relay command ended",
            Self::RelayCommandRefused => "Relay command refused",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused by a rule (role, lockout, disabled account).
    Denied,
    /// Tried and failed (wrong password, invalid input).
    Failed,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Self; 3] = [Self::Ok, Self::Denied, Self::Failed];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// What to record: everything an entry says, before it has a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When, by the central's clock.
    pub at: Timestamp,
    /// Who: `user:zhangwei`, `device:simulator`, `cli`, `central`.
    pub actor: String,
    /// From which workstation (as named at login), or where a device or CLI ran.
    pub workstation: String,
    /// What was done: an [`AuditAction`] code.
    pub action: String,
    /// What it was done to (`user:lina`, `POST /api/v1/users`).
    pub target: String,
    /// Particulars as stored: an [`AuditDetail`] as JSON (free text in entries written
    /// before details were data); never a secret.
    pub details: String,
    /// How it ended: an [`Outcome`] code.
    pub outcome: String,
}

impl AuditRecord {
    /// A record of `action` with `outcome`; details and target empty until set.
    pub fn new(
        at: Timestamp,
        actor: &str,
        workstation: &str,
        action: AuditAction,
        outcome: Outcome,
    ) -> Self {
        Self {
            at,
            actor: actor.to_owned(),
            workstation: workstation.to_owned(),
            action: action.code().to_owned(),
            target: String::new(),
            details: String::new(),
            outcome: outcome.code().to_owned(),
        }
    }

    /// Sets the target.
    #[must_use]
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = target.into();
        self
    }

    /// Sets the particulars.
    #[must_use]
    pub fn detail(mut self, detail: &AuditDetail) -> Self {
        self.details = detail.to_stored();
        self
    }

    /// The entry from which the chain is sealed with `key`, written by the central at `at`.
    pub fn key_introduced(at: Timestamp, key: &AuditKey) -> Self {
        Self::new(
            at,
            "central",
            "",
            AuditAction::AuditKeyIntroduced,
            Outcome::Ok,
        )
        .detail(&AuditDetail::AuditKeyIntroduced {
            fingerprint: key.fingerprint(),
        })
    }
}

/// Untrusted text made fit for the log: trimmed, control characters removed, at most `max`
/// characters (a user name someone tried, a workstation name a client sent).
pub fn clean(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// A SHA-256 hash in the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// What the first entry follows.
    pub const GENESIS: Self = Self([0; 32]);

    /// Lower-case hex, as stored.
    pub fn to_hex(self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let digit = |b: u8| char::from(b).to_digit(16);
            out[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

/// An entry of the log: a record at its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position, from 1, gap-free.
    pub seq: u64,
    /// What it records.
    pub record: AuditRecord,
    /// The hash of entry `seq - 1` ([`ChainHash::GENESIS`] for the first).
    pub prev_hash: ChainHash,
    /// This entry's hash, over all of the above.
    pub hash: ChainHash,
}

/// Version tag of the canonical encoding, so a future encoding can never collide with this one.
const DOMAIN_TAG: &[u8] = b"wxdesk-audit-v1";
/// Tag of sealed entries: the same encoding, MAC'd under the audit key.
const SEALED_TAG: &[u8] = b"wxdesk-audit-v2-hmac-sha256";

/// Feeds the canonical encoding of an entry to `sink`: the tag, `seq` and time as 8
/// big-endian bytes, then each text field as its 8-byte big-endian length followed by its UTF-8
/// bytes, then the previous hash. Length prefixes make it unambiguous (`"ab","c"` ≠ `"a","bc"`).
fn encode(
    tag: &[u8],
    seq: u64,
    record: &AuditRecord,
    prev: ChainHash,
    sink: &mut dyn FnMut(&[u8]),
) {
    sink(tag);
    sink(&seq.to_be_bytes());
    sink(&record.at.millis().to_be_bytes());
    for field in [
        &record.actor,
        &record.workstation,
        &record.action,
        &record.target,
        &record.details,
        &record.outcome,
    ] {
        sink(&(field.len() as u64).to_be_bytes());
        sink(field.as_bytes());
    }
    sink(&prev.0);
}

/// The hash of an unsealed entry: SHA-256 of its canonical encoding (anyone can compute it).
pub fn entry_hash(seq: u64, record: &AuditRecord, prev: ChainHash) -> ChainHash {
    let mut hasher = Sha256::new();
    encode(DOMAIN_TAG, seq, record, prev, &mut |bytes| {
        hasher.update(bytes);
    });
    ChainHash(hasher.finalize().into())
}

/// The hash of a sealed entry: HMAC-SHA256 of its canonical encoding under `key`.
pub fn sealed_hash(key: &AuditKey, seq: u64, record: &AuditRecord, prev: ChainHash) -> ChainHash {
    let mut mac = key.mac();
    encode(SEALED_TAG, seq, record, prev, &mut |bytes| {
        mac.update(bytes);
    });
    ChainHash(mac.finalize())
}

/// The entry that follows `prev` (the entry before it, or `None` for the first), sealed with
/// `key` when the chain is sealed.
pub fn chain(
    prev: Option<(u64, ChainHash)>,
    record: AuditRecord,
    key: Option<&AuditKey>,
) -> AuditEntry {
    let (seq, prev_hash) = match prev {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, ChainHash::GENESIS),
    };
    let hash = match key {
        Some(key) => sealed_hash(key, seq, &record, prev_hash),
        None => entry_hash(seq, &record, prev_hash),
    };
    AuditEntry {
        seq,
        hash,
        record,
        prev_hash,
    }
}

/// The first place a log breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The entry's content does not match its hash: edited, or moved from another position.
    #[error("entry {seq} was changed: its content does not match its hash (edited or moved)")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// The entry's hash is intact but it does not follow the entry before it.
    #[error("entry {seq} does not follow entry {}: entries were reordered, inserted or replaced", seq - 1)]
    Unlinked {
        /// The entry.
        seq: u64,
    },
    /// Entries are missing from the middle of the log.
    #[error("entry {seq} is missing (deleted): the log jumps from {} to {next}", seq - 1)]
    Missing {
        /// The first missing entry.
        seq: u64,
        /// The entry found in its place.
        next: u64,
    },
    /// The log ends before its recorded head: newest entries were deleted.
    #[error("entries {} to {head} are missing (deleted from the end): the log ends at {last}, its recorded head is {head}", last + 1)]
    Truncated {
        /// The last entry present.
        last: u64,
        /// The head the store recorded.
        head: u64,
    },
    /// The log and its recorded head disagree in another way (the head was edited, or the
    /// chain was rewritten from some entry on).
    #[error("the log's head (entry {seq}) does not match the recorded head: {reason}")]
    HeadMismatch {
        /// The last entry present.
        seq: u64,
        /// What differs.
        reason: String,
    },
    /// The log does not hold the head noted outside it: entries were cut from the end (and
    /// the recorded head rewritten to match), or the chain was rewritten.
    #[error("the head noted elsewhere (entry {noted}) {reason}: the log was cut back or rewritten")]
    NotedHeadMissing {
        /// The noted head's seq.
        noted: u64,
        /// What differs.
        reason: String,
    },
    /// The log is sealed from this entry on, and no key was given to check it with.
    #[error(
        "entries from {seq} on are sealed with the audit key: give the key (--key) to check them"
    )]
    KeyNeeded {
        /// The first sealed entry.
        seq: u64,
    },
    /// The key given is not the one the chain was sealed with.
    #[error(
        "entry {seq} introduced a key with fingerprint {expected}; the key given has fingerprint {given}"
    )]
    WrongKey {
        /// The "key introduced" entry.
        seq: u64,
        /// The fingerprint it recorded.
        expected: String,
        /// The given key's fingerprint.
        given: String,
    },
    /// A key was given but no entry of the log is sealed: the log predates the key, or its
    /// sealed part was removed and the rest rewritten.
    #[error(
        "no entry is sealed with the audit key: the log was never keyed, or its keyed part was removed"
    )]
    Unsealed,
}

impl ChainBreak {
    /// The first broken entry's seq.
    pub fn seq(&self) -> u64 {
        match self {
            Self::Altered { seq }
            | Self::Unlinked { seq }
            | Self::Missing { seq, .. }
            | Self::HeadMismatch { seq, .. }
            | Self::KeyNeeded { seq }
            | Self::WrongKey { seq, .. } => *seq,
            Self::NotedHeadMissing { noted, .. } => *noted,
            Self::Truncated { last, .. } => last + 1,
            Self::Unsealed => 1,
        }
    }
}

/// An intact log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainSummary {
    /// Entries checked.
    pub entries: u64,
    /// The newest entry's seq and hash (`None` for an empty log).
    pub head: Option<(u64, ChainHash)>,
}

/// What a log is checked against besides its own links.
#[derive(Debug, Clone, Copy, Default)]
pub struct Checks<'a> {
    /// The key sealed entries are checked with; without it a sealed entry is
    /// [`ChainBreak::KeyNeeded`]. With it, a log that has no sealed entry is
    /// [`ChainBreak::Unsealed`].
    pub key: Option<&'a AuditKey>,
    /// The head the store recorded with its last append.
    pub recorded_head: Option<(u64, ChainHash)>,
    /// A head noted outside the file earlier: the log must still hold that entry, unchanged.
    pub noted_head: Option<(u64, ChainHash)>,
}

/// Walks `entries` in `seq` order and checks every link (sealed entries with the key), then
/// compares the log with the anchors in `checks`. Returns the first break.
pub fn verify(
    entries: impl IntoIterator<Item = AuditEntry>,
    checks: Checks<'_>,
) -> Result<ChainSummary, ChainBreak> {
    let mut prev = ChainHash::GENESIS;
    let mut count = 0;
    let mut head = None;
    let mut sealed = false;
    // Seqs count from 1 without gaps: the n-th entry must be entry n.
    for (expected, entry) in (1..).zip(entries) {
        if entry.seq != expected {
            return Err(ChainBreak::Missing {
                seq: expected,
                next: entry.seq,
            });
        }
        sealed = sealed || entry.record.action == AuditAction::AuditKeyIntroduced.code();
        check_entry(&entry, prev, sealed.then_some(checks.key))?;
        if let Some((noted, hash)) = checks.noted_head.filter(|&(noted, _)| noted == entry.seq)
            && entry.hash != hash
        {
            return Err(ChainBreak::NotedHeadMissing {
                noted,
                reason: "has a different hash".to_owned(),
            });
        }
        prev = entry.hash;
        head = Some((entry.seq, entry.hash));
        count += 1;
    }
    if checks.key.is_some() && !sealed && count > 0 {
        return Err(ChainBreak::Unsealed);
    }
    if let Some((noted, _)) = checks.noted_head.filter(|&(noted, _)| noted > count) {
        return Err(ChainBreak::NotedHeadMissing {
            noted,
            reason: format!("is past the log's end (entry {count})"),
        });
    }
    check_recorded_head(head, checks.recorded_head)?;
    Ok(ChainSummary {
        entries: count,
        head,
    })
}

/// One entry's hash and link. `seal` is `None` for an unsealed entry, `Some(key)` for a
/// sealed one (`Some(None)`: sealed, but no key to check it with).
fn check_entry(
    entry: &AuditEntry,
    prev: ChainHash,
    seal: Option<Option<&AuditKey>>,
) -> Result<(), ChainBreak> {
    let seq = entry.seq;
    let expected = match seal {
        None => entry_hash(seq, &entry.record, entry.prev_hash),
        Some(None) => return Err(ChainBreak::KeyNeeded { seq }),
        Some(Some(key)) => sealed_hash(key, seq, &entry.record, entry.prev_hash),
    };
    if expected != entry.hash {
        if let (Some(Some(key)), Some(AuditDetail::AuditKeyIntroduced { fingerprint })) =
            (seal, AuditDetail::parse(&entry.record.details))
            && fingerprint != key.fingerprint()
        {
            return Err(ChainBreak::WrongKey {
                seq,
                expected: fingerprint,
                given: key.fingerprint(),
            });
        }
        return Err(ChainBreak::Altered { seq });
    }
    if entry.prev_hash != prev {
        return Err(ChainBreak::Unlinked { seq });
    }
    Ok(())
}

/// The log's end against the head the store recorded.
fn check_recorded_head(
    head: Option<(u64, ChainHash)>,
    anchor: Option<(u64, ChainHash)>,
) -> Result<(), ChainBreak> {
    // No recorded head (an empty log, or one from before heads were recorded): nothing to
    // compare, which the last arm says.
    match (head, anchor) {
        (None, Some((anchor_seq, _))) => Err(ChainBreak::Truncated {
            last: 0,
            head: anchor_seq,
        }),
        (Some((seq, _)), Some((anchor_seq, _))) if seq < anchor_seq => Err(ChainBreak::Truncated {
            last: seq,
            head: anchor_seq,
        }),
        (Some((seq, _)), Some((anchor_seq, _))) if seq > anchor_seq => {
            Err(ChainBreak::HeadMismatch {
                seq,
                reason: format!("entries after {anchor_seq} were added outside the central"),
            })
        }
        (Some((seq, hash)), Some((_, anchor_hash))) if hash != anchor_hash => {
            Err(ChainBreak::HeadMismatch {
                seq,
                reason: "its hash differs: the chain was rewritten".to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// Parses a head as written by `audit-verify` and noted elsewhere: `SEQ:HASH`.
pub fn parse_head(text: &str) -> Option<(u64, ChainHash)> {
    let (seq, hash) = text.trim().split_once(':')?;
    Some((seq.parse().ok()?, ChainHash::from_hex(hash)?))
}

/// A central's audit head seen going backwards by a desk that remembers the newest it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadRegression {
    /// The newest head the desk saw before.
    pub seen: (u64, ChainHash),
    /// The head the central reports now (`None`: an empty log).
    pub now: Option<(u64, ChainHash)>,
}

/// Whether a central's audit head `now` went backwards from `seen`, the newest a desk saw: a
/// lower seq (entries cut from the end, or the database rolled back), or the same seq with
/// another hash (the chain rewritten). A head further on is the log growing, not a regression.
pub fn head_regression(
    seen: (u64, ChainHash),
    now: Option<(u64, ChainHash)>,
) -> Option<HeadRegression> {
    let regressed = match now {
        None => true,
        Some((seq, hash)) => seq < seen.0 || (seq == seen.0 && hash != seen.1),
    };
    regressed.then_some(HeadRegression { seen, now })
}

/// A head as text, `SEQ:HASH`: how `audit-verify` prints it and `/health` reports it.
pub fn head_text((seq, hash): (u64, ChainHash)) -> String {
    format!("{seq}:{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: i64) -> AuditRecord {
        AuditRecord {
            details: format!("entry {i}"),
            ..AuditRecord::new(
                Timestamp(1_795_000_000_000 + i * 1000),
                &format!("user:u{i}"),
                "desk-1",
                AuditAction::Login,
                Outcome::Ok,
            )
        }
    }

    fn log(n: i64) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = entries.last().map(|e| (e.seq, e.hash));
            entries.push(chain(prev, record(i), None));
        }
        entries
    }

    fn recorded(head: Option<(u64, ChainHash)>) -> Checks<'static> {
        Checks {
            recorded_head: head,
            ..Checks::default()
        }
    }

    fn key() -> AuditKey {
        AuditKey::from_bytes([42; 32])
    }

    /// `plain` unsealed entries, a "key introduced" entry, then `sealed` sealed entries.
    fn keyed_log(plain: i64, sealed: i64, key: &AuditKey) -> Vec<AuditEntry> {
        let mut entries = log(plain);
        let introduced = AuditRecord::key_introduced(Timestamp(1_795_100_000_000), key);
        for record in std::iter::once(introduced).chain((100..100 + sealed).map(record)) {
            let prev = entries.last().map(|e| (e.seq, e.hash));
            entries.push(chain(prev, record, Some(key)));
        }
        entries
    }

    /// The attack of issue 8: edit one entry and recompute every hash after it with the
    /// public algorithm, moving the recorded head along.
    fn edit_and_rehash(entries: &[AuditEntry], index: usize) -> Vec<AuditEntry> {
        let mut rewritten: Vec<AuditEntry> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let mut record = entry.record.clone();
            if i == index {
                record.outcome = "failed".into();
            }
            let prev = rewritten.last().map(|e| (e.seq, e.hash));
            rewritten.push(chain(prev, record, None));
        }
        rewritten
    }

    #[test]
    fn a_sealed_chain_verifies_with_its_key_only() {
        let key = key();
        let entries = keyed_log(3, 4, &key);
        let with_key = Checks {
            key: Some(&key),
            recorded_head: anchor(&entries),
            noted_head: Some((entries[2].seq, entries[2].hash)),
        };
        assert_eq!(verify(entries.clone(), with_key).unwrap().entries, 8);
        assert_eq!(
            verify(entries.clone(), recorded(anchor(&entries))).unwrap_err(),
            ChainBreak::KeyNeeded { seq: 4 }
        );
        let other = AuditKey::from_bytes([1; 32]);
        let wrong = Checks {
            key: Some(&other),
            ..with_key
        };
        assert!(matches!(
            verify(entries, wrong).unwrap_err(),
            ChainBreak::WrongKey { seq: 4, .. }
        ));
    }

    #[test]
    fn an_edited_and_rehashed_chain_fails_with_the_key() {
        let key = key();
        let entries = keyed_log(3, 4, &key);
        for index in [1, 5] {
            let forged = edit_and_rehash(&entries, index);
            let checks = Checks {
                key: Some(&key),
                recorded_head: anchor(&forged),
                noted_head: None,
            };
            let broken = verify(forged, checks).unwrap_err();
            // Rehashed with the public algorithm, the sealed part no longer verifies.
            assert_eq!(broken, ChainBreak::Altered { seq: 4 }, "edit at {index}");
        }
        // Made all unsealed (the "key introduced" entry too), the log has no sealed part.
        let mut stripped = entries.clone();
        for entry in &mut stripped {
            entry.record.action = AuditAction::Login.code().to_owned();
        }
        let stripped = edit_and_rehash(&stripped, 1);
        let checks = Checks {
            key: Some(&key),
            ..recorded(anchor(&stripped))
        };
        assert_eq!(verify(stripped, checks).unwrap_err(), ChainBreak::Unsealed);
    }

    #[test]
    fn a_truncated_chain_is_caught_against_a_noted_head() {
        let key = key();
        let entries = keyed_log(2, 5, &key);
        let noted = anchor(&entries);
        // Cut the two newest entries and rewrite the recorded head to match the new end.
        let cut = entries[..entries.len() - 2].to_vec();
        let checks = Checks {
            key: Some(&key),
            recorded_head: anchor(&cut),
            noted_head: noted,
        };
        let broken = verify(cut.clone(), checks).unwrap_err();
        assert!(
            matches!(broken, ChainBreak::NotedHeadMissing { noted: 8, .. }),
            "{broken}"
        );
        assert!(broken.to_string().contains("past the log's end (entry 6)"));
        // A noted head older than the end is fine: the log grew since.
        let older = Checks {
            noted_head: Some((cut[3].seq, cut[3].hash)),
            ..checks
        };
        assert!(verify(cut, older).is_ok());
    }

    #[test]
    fn a_head_that_went_backwards_is_a_regression() {
        let a = ChainHash([1; 32]);
        let b = ChainHash([2; 32]);
        let seen = (10, a);
        // (head now, regression?)
        let cases = [
            (Some((10, a)), false),
            (Some((11, b)), false),
            (Some((9, a)), true),
            (Some((10, b)), true),
            (None, true),
        ];
        for (now, regressed) in cases {
            assert_eq!(head_regression(seen, now).is_some(), regressed, "{now:?}");
        }
        assert_eq!(parse_head(&head_text(seen)), Some(seen));
    }

    #[test]
    fn heads_parse_as_noted() {
        let entries = log(2);
        let (seq, hash) = anchor(&entries).unwrap();
        assert_eq!(parse_head(&format!(" {seq}:{hash}\n")), Some((seq, hash)));
        for bad in ["", "2", "x:abc", &format!("2:{}", &hash.to_hex()[1..])] {
            assert_eq!(parse_head(bad), None, "{bad}");
        }
    }

    fn anchor(entries: &[AuditEntry]) -> Option<(u64, ChainHash)> {
        entries.last().map(|e| (e.seq, e.hash))
    }

    #[test]
    fn an_intact_log_verifies() {
        let entries = log(5);
        let summary = verify(entries.clone(), recorded(anchor(&entries))).unwrap();
        assert_eq!(summary.entries, 5);
        assert_eq!(summary.head, anchor(&entries));
        assert_eq!(verify(Vec::new(), Checks::default()).unwrap().entries, 0);
    }

    #[test]
    fn every_kind_of_tampering_names_the_first_broken_entry() {
        let good = log(6);
        let head = anchor(&good);
        type Tamper = fn(&mut Vec<AuditEntry>);
        let cases: [(&str, Tamper, u64, &str); 7] = [
            (
                "edit",
                |l| l[2].record.details = "nothing happened".into(),
                3,
                "was changed",
            ),
            (
                "edit the time",
                |l| l[3].record.at = Timestamp(0),
                4,
                "was changed",
            ),
            (
                "delete",
                |l| {
                    l.remove(1);
                },
                2,
                "missing (deleted)",
            ),
            (
                "reorder (swap contents, keep seqs)",
                |l| {
                    let (a, b) = (l[2].clone(), l[3].clone());
                    l[2] = AuditEntry { seq: 3, ..b };
                    l[3] = AuditEntry { seq: 4, ..a };
                },
                3,
                "was changed",
            ),
            (
                "insert a well-formed entry in the middle, renumbering the rest",
                |l| {
                    let forged = chain(Some((l[1].seq, l[1].hash)), record(99), None);
                    l.insert(2, forged);
                    for (i, e) in l.iter_mut().enumerate().skip(3) {
                        e.seq = i as u64 + 1;
                    }
                },
                4,
                "was changed",
            ),
            (
                "replace an entry with a fresh chain of its own",
                |l| l[4] = chain(Some((4, ChainHash::GENESIS)), record(77), None),
                5,
                "does not follow entry 4",
            ),
            (
                "truncate the newest",
                |l| {
                    l.pop();
                },
                6,
                "deleted from the end",
            ),
        ];
        for (what, tamper, seq, says) in cases {
            let mut entries = good.clone();
            tamper(&mut entries);
            let broken = verify(entries, recorded(head)).unwrap_err();
            assert_eq!(broken.seq(), seq, "{what}: {broken}");
            assert!(broken.to_string().contains(says), "{what}: {broken}");
        }
    }

    #[test]
    fn a_rewritten_chain_is_caught_by_the_anchor() {
        let good = log(4);
        let mut rewritten: Vec<AuditEntry> = Vec::new();
        for (i, entry) in good.iter().enumerate() {
            let mut record = entry.record.clone();
            if i == 1 {
                record.outcome = "failed".into();
            }
            let prev = rewritten.last().map(|e| (e.seq, e.hash));
            rewritten.push(chain(prev, record, None));
        }
        assert!(
            verify(rewritten.clone(), Checks::default()).is_ok(),
            "self-consistent"
        );
        let broken = verify(rewritten, recorded(anchor(&good))).unwrap_err();
        assert!(
            matches!(broken, ChainBreak::HeadMismatch { seq: 4, .. }),
            "{broken}"
        );
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        let a = AuditRecord {
            details: "c".into(),
            ..record(1).target("ab")
        };
        let b = AuditRecord {
            details: "bc".into(),
            ..record(1).target("a")
        };
        assert_ne!(
            entry_hash(1, &a, ChainHash::GENESIS),
            entry_hash(1, &b, ChainHash::GENESIS)
        );
    }

    #[test]
    fn hashes_print_as_hex_and_parse_back() {
        let hash = log(1)[0].hash;
        let text = hash.to_hex();
        assert_eq!(text.len(), 64);
        assert_eq!(ChainHash::from_hex(&text), Some(hash));
        assert_eq!(ChainHash::from_hex("zz"), None);
        assert_eq!(hex(&[0x0f, 0xa0]), "0fa0");
    }

    #[test]
    fn untrusted_text_is_cleaned() {
        assert_eq!(clean("  desk-1\n\u{1b}[31m ", 64), "desk-1[31m");
        assert_eq!(clean("值班台一号机", 3), "值班台");
    }

    #[test]
    fn action_codes_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.code()), Some(action));
            assert_eq!(serde_json::to_value(action).unwrap(), action.code());
        }
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.code()), Some(outcome));
        }
    }
}
