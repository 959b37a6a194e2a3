//! Users, sessions and device keys, and the audit entry of every change to them, written in the
//! same transaction as the change.
//!
//! The store keeps only what it is given: argon2id PHC strings and SHA-256 hashes of tokens.
//! Hashing, token generation and the login rules live in `central::auth`; this layer cannot
//! leak a password or a token because it never sees one.

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use super::SqliteCentralStore;
use super::audit;
use crate::domain::Timestamp;
use crate::domain::access::{
    Account, DeviceClaims, DeviceName, LockoutPolicy, Reservation, Role, Username,
};
use crate::domain::audit::AuditRecord;
use crate::domain::refusal::{Code, Refusal};
use crate::store::{Context as _, StoreError};

/// SHA-256 of a bearer token or device key: what the database keeps instead of the secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A prefix is enough to tell sessions apart in a debug print.
        write!(f, "TokenHash({}…)", crate::domain::audit::hex(&self.0[..4]))
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Row id.
    pub id: i64,
    /// The account.
    pub account: Account,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Consecutive failed logins.
    pub failed_logins: u32,
}

/// A session as stored, with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The user it belongs to.
    pub user: UserRow,
    /// The workstation named at login.
    pub workstation: String,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it ends.
    pub expires_at: Timestamp,
}

/// A new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of its token.
    pub token_hash: TokenHash,
    /// Workstation named at login.
    pub workstation: String,
    /// Now.
    pub created_at: Timestamp,
    /// When it ends.
    pub expires_at: Timestamp,
}

/// A new user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name.
    pub username: Username,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string of its one-time password.
    pub password_hash: String,
    /// Now.
    pub created_at: Timestamp,
}

/// A change to a user by an administrator; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    /// New role.
    pub role: Option<Role>,
    /// New display name.
    pub display_name: Option<String>,
    /// Disable (`true`) or enable (`false`).
    pub disabled: Option<bool>,
}

/// A device key as administrators see it (never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKeyRow {
    /// The device.
    pub name: DeviceName,
    /// When its current key was issued.
    pub issued_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// What it may claim beyond live and backfilled.
    pub claims: DeviceClaims,
}

/// Why an account operation was refused, or failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No such user or device (`unknown_user`, `unknown_device`).
    #[error("{0}")]
    NotFound(Refusal),
    /// The change contradicts the current state (`user_exists`, `last_administrator`).
    #[error("{0}")]
    Conflict(Refusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the central needs to keep accounts. Every change takes the audit records that describe
/// it and commits them with it.
pub trait AccountStore: Send + Sync {
    /// How many users exist.
    fn user_count(&self) -> Result<u64, StoreError>;

    /// One user by name.
    fn user(&self, username: &Username) -> Result<Option<UserRow>, StoreError>;

    /// Every user, by name.
    fn users(&self) -> Result<Vec<UserRow>, StoreError>;

    /// Creates a user whose password is a one-time password.
    fn create_user(&self, user: NewUser, audit: AuditRecord) -> Result<UserRow, AccountError>;

    /// Records a failed login under `policy`; returns the user as it now is (failures, lock).
    fn login_failed(
        &self,
        user_id: i64,
        policy: LockoutPolicy,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<UserRow, StoreError>;

    /// Reserves a login attempt on `user_id` before its password is hashed, in one
    /// transaction (see [`LockoutPolicy::reserve`]); `lock_audit` is written if this locks the
    /// account. Returns the verdict and the user as it now is.
    fn reserve_login(
        &self,
        user_id: i64,
        policy: LockoutPolicy,
        now: Timestamp,
        lock_audit: AuditRecord,
    ) -> Result<(Reservation, UserRow), StoreError>;

    /// Settles a reserved attempt whose password was wrong (it is counted already): locks the
    /// account if that was the last failure allowed, writing `lock_audit`. Returns the lock.
    fn reserved_login_wrong(
        &self,
        user_id: i64,
        policy: LockoutPolicy,
        now: Timestamp,
        lock_audit: AuditRecord,
    ) -> Result<Option<Timestamp>, StoreError>;

    /// Records a successful login if the account is still unlocked at `session.created_at`:
    /// clears the failure count and opens `session`. Expired sessions of anyone are dropped on
    /// the way. `Err(until)`: concurrent failures locked the account meanwhile; nothing opened.
    fn login_succeeded(
        &self,
        user_id: i64,
        session: NewSession,
        audit: AuditRecord,
    ) -> Result<Result<(), Timestamp>, StoreError>;

    /// The live session with this token hash at `now`, with its user.
    fn session(&self, token: TokenHash, now: Timestamp) -> Result<Option<SessionRow>, StoreError>;

    /// Ends a session.
    fn end_session(&self, token: TokenHash, audit: AuditRecord) -> Result<(), StoreError>;

    /// Sets a user's password hash. `one_time` marks it as to be changed at next login (a
    /// reset); every session of the user ends except `keep` (the one that changed it). A reset
    /// also lifts a lockout.
    fn set_password(
        &self,
        username: &Username,
        password_hash: &str,
        one_time: bool,
        keep: Option<TokenHash>,
        audit: AuditRecord,
    ) -> Result<UserRow, AccountError>;

    /// Changes role, name or status, with one audit record per changed field. Disabling ends
    /// the user's sessions; a change that would leave no enabled administrator is refused.
    fn update_user(
        &self,
        username: &Username,
        update: &UserUpdate,
        audit: &[AuditRecord],
    ) -> Result<UserRow, AccountError>;

    /// Issues (or re-issues, replacing the old key and its claims) the key of `name`.
    fn issue_device_key(
        &self,
        name: &DeviceName,
        token: TokenHash,
        claims: DeviceClaims,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<(), StoreError>;

    /// Revokes the key of `name`.
    fn revoke_device_key(
        &self,
        name: &DeviceName,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<(), AccountError>;

    /// The unrevoked device with this key hash, and what its key may claim.
    fn device(&self, token: TokenHash) -> Result<Option<(DeviceName, DeviceClaims)>, StoreError>;

    /// Every device key.
    fn device_keys(&self) -> Result<Vec<DeviceKeyRow>, StoreError>;
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.password_hash, u.must_change, \
     u.disabled, u.failed_logins, u.locked_until, u.last_login, u.created_at";

type RawUser = (
    i64,
    String,
    String,
    String,
    String,
    bool,
    bool,
    u32,
    Option<i64>,
    Option<i64>,
    i64,
);

fn raw_user(r: &Row<'_>) -> rusqlite::Result<RawUser> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn decode_user(raw: RawUser) -> Result<UserRow, StoreError> {
    let (
        id,
        username,
        display_name,
        role,
        password_hash,
        must_change,
        disabled,
        failed,
        locked,
        last,
        created,
    ) = raw;
    Ok(UserRow {
        id,
        account: Account {
            username: Username::parse(&username)
                .map_err(|e| StoreError::Decode(format!("user {id}: {e}")))?,
            display_name,
            role: Role::parse(&role).map_err(|e| StoreError::Decode(format!("user {id}: {e}")))?,
            disabled,
            must_change_password: must_change,
            locked_until: locked.map(Timestamp),
            last_login: last.map(Timestamp),
            created_at: Timestamp(created),
        },
        password_hash,
        failed_logins: failed,
    })
}

fn user_where(
    conn: &Connection,
    clause: &str,
    key: &dyn rusqlite::ToSql,
) -> Result<Option<UserRow>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE {clause}"
    ))
    .and_then(|mut s| s.query_row([key], raw_user).optional())
    .context("reading a user")?
    .map(decode_user)
    .transpose()
}

fn user_by_name(conn: &Connection, username: &Username) -> Result<UserRow, AccountError> {
    user_where(conn, "u.username = ?1", &username.as_str())?.ok_or_else(|| {
        AccountError::NotFound(
            Refusal::new(Code::UnknownUser).with("username", username.to_string()),
        )
    })
}

fn user_by_id(conn: &Connection, id: i64) -> Result<UserRow, StoreError> {
    user_where(conn, "u.id = ?1", &id)?
        .ok_or_else(|| StoreError::Decode(format!("user {id} vanished")))
}

fn end_sessions_of(
    conn: &Connection,
    user_id: i64,
    keep: Option<TokenHash>,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR token_hash <> ?2)",
        params![user_id, keep.map(|k| k.0.to_vec())],
    )
    .context("ending sessions")?;
    Ok(())
}

/// Enabled administrators other than `user_id`.
fn other_admins(conn: &Connection, user_id: i64) -> Result<u64, StoreError> {
    conn.query_row(
        "SELECT count(*) FROM users WHERE role = ?1 AND disabled = 0 AND id <> ?2",
        params![Role::Administrator.code(), user_id],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| u64::try_from(n).unwrap_or_default())
    .context("counting administrators")
}

impl AccountStore for SqliteCentralStore {
    fn user_count(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))
                .map(|n| u64::try_from(n).unwrap_or_default())
                .context("counting users")
        })
    }

    fn user(&self, username: &Username) -> Result<Option<UserRow>, StoreError> {
        self.read(|conn| user_where(conn, "u.username = ?1", &username.as_str()))
    }

    fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
                ))
                .context("preparing user list")?;
            let rows = stmt.query_map([], raw_user).context("listing users")?;
            rows.map(|r| decode_user(r.context("reading a user")?))
                .collect()
        })
    }

    fn create_user(&self, user: NewUser, audit: AuditRecord) -> Result<UserRow, AccountError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting user creation")?;
        if user_where(&tx, "u.username = ?1", &user.username.as_str())?.is_some() {
            return Err(AccountError::Conflict(
                Refusal::new(Code::UserExists).with("username", user.username.to_string()),
            ));
        }
        let id: i64 = tx
            .query_row(
                "INSERT INTO users (username, display_name, role, password_hash, must_change, created_at)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5) RETURNING id",
                params![
                    user.username.as_str(),
                    user.display_name,
                    user.role.code(),
                    user.password_hash,
                    user.created_at.millis()
                ],
                |r| r.get(0),
            )
            .context("creating a user")?;
        audit::append(&tx, self.seal()?, audit)?;
        let row = user_by_id(&tx, id)?;
        tx.commit().context("committing user creation")?;
        Ok(row)
    }

    fn login_failed(
        &self,
        user_id: i64,
        policy: LockoutPolicy,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<UserRow, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting failed login")?;
        let user = user_by_id(&tx, user_id)?;
        let (failures, locked_until) =
            policy.after_failure(user.failed_logins, user.account.locked_until, now);
        tx.execute(
            "UPDATE users SET failed_logins = ?1, locked_until = ?2 WHERE id = ?3",
            params![failures, locked_until.map(Timestamp::millis), user_id],
        )
        .context("counting a failed login")?;
        audit::append(&tx, self.seal()?, audit)?;
        let row = user_by_id(&tx, user_id)?;
        tx.commit().context("committing failed login")?;
        Ok(row)
    }

    fn reserve_login(
        &self,
        user_id: i64,
        policy: LockoutPolicy,
        now: Timestamp,
        lock_audit: AuditRecord,
    ) -> Result<(Reservation, UserRow), StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting a login attempt")?;
        let user = user_by_id(&tx, user_id)?;
        let was_locked = user.account.locked_until;
        let (verdict, failures, locked_until) = policy.reserve(user.failed_logins, was_locked, now);
        tx.execute(
            "UPDATE users SET failed_logins = ?1, locked_until = ?2 WHERE id = ?3",
            params![failures, locked_until.map(Timestamp::millis), user_id],
        )
        .context("reserving a login attempt")?;
        if locked_until.is_some() && locked_until != was_locked {
            audit::append(&tx, self.seal()?, lock_audit)?;
        }
        let row = user_by_id(&tx, user_id)?;
        tx.commit().context("committing a login attempt")?;
        Ok((verdict, row))
    }

    fn reserved_login_wrong(
        &self,
        user_id: i64,
        policy: LockoutPolicy,
        now: Timestamp,
        lock_audit: AuditRecord,
    ) -> Result<Option<Timestamp>, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting a failed login")?;
        let user = user_by_id(&tx, user_id)?;
        let was_locked = user.account.locked_until;
        let locked_until = policy.lock_after_wrong(user.failed_logins, was_locked, now);
        if locked_until != was_locked {
            tx.execute(
                "UPDATE users SET locked_until = ?1 WHERE id = ?2",
                params![locked_until.map(Timestamp::millis), user_id],
            )
            .context("locking an account")?;
            audit::append(&tx, self.seal()?, lock_audit)?;
        }
        tx.commit().context("committing a failed login")?;
        Ok(locked_until)
    }

    fn login_succeeded(
        &self,
        user_id: i64,
        session: NewSession,
        audit: AuditRecord,
    ) -> Result<Result<(), Timestamp>, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting login")?;
        let user = user_by_id(&tx, user_id)?;
        if let Some(until) = user
            .account
            .locked_until
            .filter(|&until| until > session.created_at)
        {
            return Ok(Err(until));
        }
        tx.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = ?1 WHERE id = ?2",
            params![session.created_at.millis(), user_id],
        )
        .context("recording a login")?;
        tx.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1",
            [session.created_at.millis()],
        )
        .context("dropping expired sessions")?;
        tx.execute(
            "INSERT INTO sessions (token_hash, user_id, workstation, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                session.token_hash.0.to_vec(),
                user_id,
                session.workstation,
                session.created_at.millis(),
                session.expires_at.millis()
            ],
        )
        .context("opening a session")?;
        audit::append(&tx, self.seal()?, audit)?;
        tx.commit().context("committing login")?;
        Ok(Ok(()))
    }

    fn session(&self, token: TokenHash, now: Timestamp) -> Result<Option<SessionRow>, StoreError> {
        self.read(|conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS}, s.workstation, s.created_at, s.expires_at
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
                ))
                .and_then(|mut s| {
                    s.query_row(params![token.0.to_vec(), now.millis()], |r| {
                        Ok((
                            raw_user(r)?,
                            r.get::<_, String>(11)?,
                            r.get(12)?,
                            r.get(13)?,
                        ))
                    })
                    .optional()
                })
                .context("looking up a session")?;
            row.map(|(user, workstation, created, expires)| {
                Ok(SessionRow {
                    user: decode_user(user)?,
                    workstation,
                    created_at: Timestamp(created),
                    expires_at: Timestamp(expires),
                })
            })
            .transpose()
        })
    }

    fn end_session(&self, token: TokenHash, audit: AuditRecord) -> Result<(), StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting logout")?;
        tx.execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            [token.0.to_vec()],
        )
        .context("ending a session")?;
        audit::append(&tx, self.seal()?, audit)?;
        tx.commit().context("committing logout")
    }

    fn set_password(
        &self,
        username: &Username,
        password_hash: &str,
        one_time: bool,
        keep: Option<TokenHash>,
        audit: AuditRecord,
    ) -> Result<UserRow, AccountError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting password change")?;
        let user = user_by_name(&tx, username)?;
        tx.execute(
            "UPDATE users SET password_hash = ?1, must_change = ?2,
                 failed_logins = CASE WHEN ?2 THEN 0 ELSE failed_logins END,
                 locked_until = CASE WHEN ?2 THEN NULL ELSE locked_until END
             WHERE id = ?3",
            params![password_hash, one_time, user.id],
        )
        .context("setting a password")?;
        end_sessions_of(&tx, user.id, keep)?;
        audit::append(&tx, self.seal()?, audit)?;
        let row = user_by_id(&tx, user.id)?;
        tx.commit().context("committing password change")?;
        Ok(row)
    }

    fn update_user(
        &self,
        username: &Username,
        update: &UserUpdate,
        audit: &[AuditRecord],
    ) -> Result<UserRow, AccountError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting user update")?;
        let user = user_by_name(&tx, username)?;
        let was_admin = user.account.role == Role::Administrator && !user.account.disabled;
        let stays_admin = update.role.unwrap_or(user.account.role) == Role::Administrator
            && !update.disabled.unwrap_or(user.account.disabled);
        if was_admin && !stays_admin && other_admins(&tx, user.id)? == 0 {
            return Err(AccountError::Conflict(
                Refusal::new(Code::LastAdministrator).with("username", username.to_string()),
            ));
        }
        if let Some(role) = update.role {
            tx.execute(
                "UPDATE users SET role = ?1 WHERE id = ?2",
                params![role.code(), user.id],
            )
            .context("changing a role")?;
        }
        if let Some(name) = &update.display_name {
            tx.execute(
                "UPDATE users SET display_name = ?1 WHERE id = ?2",
                params![name, user.id],
            )
            .context("renaming a user")?;
        }
        if let Some(disabled) = update.disabled {
            tx.execute(
                "UPDATE users SET disabled = ?1 WHERE id = ?2",
                params![disabled, user.id],
            )
            .context("disabling a user")?;
            if disabled {
                end_sessions_of(&tx, user.id, None)?;
            }
        }
        for record in audit {
            audit::append(&tx, self.seal()?, record.clone())?;
        }
        let row = user_by_id(&tx, user.id)?;
        tx.commit().context("committing user update")?;
        Ok(row)
    }

    fn issue_device_key(
        &self,
        name: &DeviceName,
        token: TokenHash,
        claims: DeviceClaims,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<(), StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting device key issue")?;
        tx.execute(
            "INSERT INTO device_keys (name, token_hash, issued_at, may_import) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE
             SET token_hash = excluded.token_hash, issued_at = excluded.issued_at,
                 may_import = excluded.may_import, revoked_at = NULL",
            params![name.as_str(), token.0.to_vec(), now.millis(), claims.may_import],
        )
        .context("issuing a device key")?;
        audit::append(&tx, self.seal()?, audit)?;
        tx.commit().context("committing device key")
    }

    fn revoke_device_key(
        &self,
        name: &DeviceName,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<(), AccountError> {
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting device key revocation")?;
        let changed = tx
            .execute(
                "UPDATE device_keys SET revoked_at = ?1 WHERE name = ?2 AND revoked_at IS NULL",
                params![now.millis(), name.as_str()],
            )
            .context("revoking a device key")?;
        if changed == 0 {
            return Err(AccountError::NotFound(
                Refusal::new(Code::UnknownDevice).with("name", name.to_string()),
            ));
        }
        audit::append(&tx, self.seal()?, audit)?;
        tx.commit().context("committing revocation")?;
        Ok(())
    }

    fn device(&self, token: TokenHash) -> Result<Option<(DeviceName, DeviceClaims)>, StoreError> {
        self.read(|conn| {
            let row: Option<(String, bool)> = conn
                .prepare_cached(
                    "SELECT name, may_import FROM device_keys
                     WHERE token_hash = ?1 AND revoked_at IS NULL",
                )
                .and_then(|mut s| {
                    s.query_row([token.0.to_vec()], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .context("looking up a device key")?;
            row.map(|(n, may_import)| {
                let name = DeviceName::parse(&n).map_err(|e| StoreError::Decode(e.to_string()))?;
                Ok((name, DeviceClaims { may_import }))
            })
            .transpose()
        })
    }

    fn device_keys(&self) -> Result<Vec<DeviceKeyRow>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT name, issued_at, revoked_at, may_import FROM device_keys ORDER BY name",
                )
                .context("preparing device key list")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, bool>(3)?,
                    ))
                })
                .context("listing device keys")?;
            rows.map(|row| {
                let (name, issued, revoked, may_import) = row.context("reading a device key")?;
                Ok(DeviceKeyRow {
                    name: DeviceName::parse(&name)
                        .map_err(|e| StoreError::Decode(e.to_string()))?,
                    issued_at: Timestamp(issued),
                    revoked_at: revoked.map(Timestamp),
                    claims: DeviceClaims { may_import },
                })
            })
            .collect()
        })
    }
}
