//! Request and response bodies of `/api/v1/auth`, `/users`, `/device-keys` and `/audit`.
//!
//! Passwords, tokens and keys travel as [`Secret`]s: they serialize as plain strings (the wire
//! needs them) but never print in `Debug` output.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;
use crate::domain::access::{Account, Capability, DeviceName, Role, Secret};
use crate::domain::audit::{AuditEntry, AuditRecord, ChainHash};

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// Login name (case does not matter).
    pub username: String,
    /// Password, or the one-time password an administrator handed out.
    pub password: Secret,
    /// The workstation this session is for (defaults to the host name in the console).
    pub workstation: String,
}

/// Who a session belongs to and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The user.
    pub user: Account,
    /// What the user's role may do, from the capability matrix.
    pub capabilities: Vec<Capability>,
    /// Workstation named at login.
    pub workstation: String,
    /// When the session ends.
    pub expires_at: Timestamp,
}

/// `POST /api/v1/auth/login` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer <token>`.
    pub token: Secret,
    /// Who and until when.
    pub session: SessionInfo,
}

/// `POST /api/v1/auth/password`: change one's own password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordChange {
    /// The current (or one-time) password.
    pub current_password: Secret,
    /// The new password: 8–128 characters, not the user name.
    pub new_password: Secret,
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUserRequest {
    /// Login name: 2–32 lower-case letters, digits, `.`, `_`, `-`.
    pub username: String,
    /// Name shown to people (张伟).
    pub display_name: String,
    /// Role (any but `device`).
    pub role: Role,
}

/// A new user, or a reset password: the one-time password, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimePassword {
    /// The account.
    pub user: Account,
    /// Hand this to the user; they must replace it at their first login. It is not stored.
    pub one_time_password: Secret,
}

/// `PATCH /api/v1/users/{username}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdateRequest {
    /// New role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Disable (`true`) or enable (`false`) the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// `GET /api/v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    /// Every account, by name.
    pub users: Vec<Account>,
}

/// A device key as administrators see it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKeyInfo {
    /// The device.
    pub name: DeviceName,
    /// When its current key was issued.
    pub issued_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// The key may also import (label observations `imported`, post files to `/imports`).
    #[serde(default)]
    pub may_import: bool,
}

/// `GET /api/v1/device-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKeyList {
    /// Every device key, by name.
    pub device_keys: Vec<DeviceKeyInfo>,
}

/// `POST /api/v1/device-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKeyRequest {
    /// The device's name: 1–64 letters, digits, `.`, `_`, `-`.
    pub name: DeviceName,
    /// Let the key import too (an archive loader); a station's logger sends only live and
    /// backfilled observations. Fixed when the key is issued.
    #[serde(default)]
    pub may_import: bool,
}

/// A device key, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDeviceKey {
    /// The device.
    pub name: DeviceName,
    /// Configure the device with it (`Authorization: Bearer <key>`); it is not stored.
    pub key: Secret,
}

/// `GET /api/v1/audit` query: newest first, all filters optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Entries at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Entries at or before this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Entries whose actor contains this text (`zhang`, `device:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Entries with this action code (`login`, `password_reset` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Entries with a seq below this (the `next_before` of the previous page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// Page size (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One audit entry on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryDto {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who (`user:zhangwei`, `device:simulator`, `cli`).
    pub actor: String,
    /// From which workstation.
    pub workstation: String,
    /// What (an action code).
    pub action: String,
    /// To what.
    pub target: String,
    /// Particulars.
    pub details: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// Hash of the previous entry (hex).
    pub prev_hash: String,
    /// This entry's hash (hex).
    pub hash: String,
}

impl From<&AuditEntry> for AuditEntryDto {
    fn from(entry: &AuditEntry) -> Self {
        let r = &entry.record;
        Self {
            seq: entry.seq,
            at: r.at,
            actor: r.actor.clone(),
            workstation: r.workstation.clone(),
            action: r.action.clone(),
            target: r.target.clone(),
            details: r.details.clone(),
            outcome: r.outcome.clone(),
            prev_hash: entry.prev_hash.to_hex(),
            hash: entry.hash.to_hex(),
        }
    }
}

impl TryFrom<AuditEntryDto> for AuditEntry {
    type Error = String;

    fn try_from(dto: AuditEntryDto) -> Result<Self, Self::Error> {
        let hash = |text: &str| {
            ChainHash::from_hex(text)
                .ok_or_else(|| format!("audit entry {}: bad hash {text:?}", dto.seq))
        };
        Ok(Self {
            seq: dto.seq,
            prev_hash: hash(&dto.prev_hash)?,
            hash: hash(&dto.hash)?,
            record: AuditRecord {
                at: dto.at,
                actor: dto.actor,
                workstation: dto.workstation,
                action: dto.action,
                target: dto.target,
                details: dto.details,
                outcome: dto.outcome,
            },
        })
    }
}

/// `GET /api/v1/audit` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Matching entries, newest first.
    pub entries: Vec<AuditEntryDto>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
}
