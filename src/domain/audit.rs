//! The audit trail: entries that say who did what, when, from which workstation and with what
//! outcome, chained by hashes so that an edited, deleted, inserted or reordered entry shows.
//!
//! Each entry's hash is SHA-256 over a canonical encoding of (seq, time, actor, workstation,
//! action, target, details, outcome, previous entry's hash); the first entry follows
//! [`ChainHash::GENESIS`]. [`verify`] walks a log in `seq` order and names the first entry
//! that breaks the chain.
//!
//! What a hash chain cannot see on its own: the newest entries removed from the end, or the
//! whole chain recomputed after an edit. The store therefore also keeps the head (newest seq
//! and hash) as an anchor, and `audit-verify` prints it so a bureau can note it elsewhere.

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
    /// An observation file was imported (outcome `ok`) or refused as a whole (`failed`).
    ObservationsImported,
}

impl AuditAction {
    /// Every action, for filters.
    pub const ALL: [Self; 16] = [
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
        Self::ObservationsImported,
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
            Self::ObservationsImported => "observations_imported",
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
            Self::ObservationsImported => "导入观测文件",
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
            Self::ObservationsImported => "Observations imported",
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
    /// Particulars (`role duty_forecaster → supervisor`); never a secret.
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

    /// Sets the details.
    #[must_use]
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = details.into();
        self
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

/// The hash of an entry: SHA-256 over the tag, `seq` and time as 8 big-endian bytes, then each
/// text field as its 8-byte big-endian length followed by its UTF-8 bytes, then the previous
/// hash. Length prefixes make the encoding unambiguous (`"ab","c"` ≠ `"a","bc"`).
pub fn entry_hash(seq: u64, record: &AuditRecord, prev: ChainHash) -> ChainHash {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN_TAG);
    hasher.update(seq.to_be_bytes());
    hasher.update(record.at.millis().to_be_bytes());
    for field in [
        &record.actor,
        &record.workstation,
        &record.action,
        &record.target,
        &record.details,
        &record.outcome,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.update(prev.0);
    ChainHash(hasher.finalize().into())
}

/// The entry that follows `prev` (the entry before it, or `None` for the first).
pub fn chain(prev: Option<(u64, ChainHash)>, record: AuditRecord) -> AuditEntry {
    let (seq, prev_hash) = match prev {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, ChainHash::GENESIS),
    };
    AuditEntry {
        seq,
        hash: entry_hash(seq, &record, prev_hash),
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
}

impl ChainBreak {
    /// The first broken entry's seq.
    pub fn seq(&self) -> u64 {
        match self {
            Self::Altered { seq }
            | Self::Unlinked { seq }
            | Self::Missing { seq, .. }
            | Self::HeadMismatch { seq, .. } => *seq,
            Self::Truncated { last, .. } => last + 1,
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

/// Walks `entries` in `seq` order and checks every link, then compares the end with `anchor`
/// (the head the store recorded, if any). Returns the first break.
pub fn verify(
    entries: impl IntoIterator<Item = AuditEntry>,
    anchor: Option<(u64, ChainHash)>,
) -> Result<ChainSummary, ChainBreak> {
    let mut prev = ChainHash::GENESIS;
    let mut count = 0;
    let mut head = None;
    // Seqs count from 1 without gaps: the n-th entry must be entry n.
    for (expected, entry) in (1..).zip(entries) {
        if entry.seq != expected {
            return Err(ChainBreak::Missing {
                seq: expected,
                next: entry.seq,
            });
        }
        if entry_hash(entry.seq, &entry.record, entry.prev_hash) != entry.hash {
            return Err(ChainBreak::Altered { seq: entry.seq });
        }
        if entry.prev_hash != prev {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        prev = entry.hash;
        head = Some((entry.seq, entry.hash));
        count += 1;
    }
    match (head, anchor) {
        (_, None) => {}
        (None, Some((anchor_seq, _))) => {
            return Err(ChainBreak::Truncated {
                last: 0,
                head: anchor_seq,
            });
        }
        (Some((seq, hash)), Some((anchor_seq, anchor_hash))) => {
            if seq < anchor_seq {
                return Err(ChainBreak::Truncated {
                    last: seq,
                    head: anchor_seq,
                });
            }
            if seq > anchor_seq {
                return Err(ChainBreak::HeadMismatch {
                    seq,
                    reason: format!("entries after {anchor_seq} were added outside the central"),
                });
            }
            if hash != anchor_hash {
                return Err(ChainBreak::HeadMismatch {
                    seq,
                    reason: "its hash differs: the chain was rewritten".to_owned(),
                });
            }
        }
    }
    Ok(ChainSummary {
        entries: count,
        head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: i64) -> AuditRecord {
        AuditRecord::new(
            Timestamp(1_795_000_000_000 + i * 1000),
            &format!("user:u{i}"),
            "desk-1",
            AuditAction::Login,
            Outcome::Ok,
        )
        .details(format!("entry {i}"))
    }

    fn log(n: i64) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = entries.last().map(|e| (e.seq, e.hash));
            entries.push(chain(prev, record(i)));
        }
        entries
    }

    fn anchor(entries: &[AuditEntry]) -> Option<(u64, ChainHash)> {
        entries.last().map(|e| (e.seq, e.hash))
    }

    #[test]
    fn an_intact_log_verifies() {
        let entries = log(5);
        let summary = verify(entries.clone(), anchor(&entries)).unwrap();
        assert_eq!(summary.entries, 5);
        assert_eq!(summary.head, anchor(&entries));
        assert_eq!(verify(Vec::new(), None).unwrap().entries, 0);
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
                    let forged = chain(Some((l[1].seq, l[1].hash)), record(99));
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
                |l| l[4] = chain(Some((4, ChainHash::GENESIS)), record(77)),
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
            let broken = verify(entries, head).unwrap_err();
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
            rewritten.push(chain(prev, record));
        }
        assert!(verify(rewritten.clone(), None).is_ok(), "self-consistent");
        let broken = verify(rewritten, anchor(&good)).unwrap_err();
        assert!(
            matches!(broken, ChainBreak::HeadMismatch { seq: 4, .. }),
            "{broken}"
        );
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        let a = record(1).target("ab").details("c");
        let b = record(1).target("a").details("bc");
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
