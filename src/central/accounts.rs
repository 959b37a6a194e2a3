//! Accounts over HTTP: logging in and out, one's own password, and the administrator's user and
//! device-key management; plus the start-up steps that create the first administrator and the
//! embedded simulator's device key.
//!
//! Every change writes its audit entry in the same transaction as the change (see
//! [`crate::store::central::accounts`]).

use axum::Json;
use axum::extract::State;
use axum::http::{Extensions, StatusCode};

use super::auth::{
    DEVICE_KEY_PREFIX, Principal, SESSION_MS, SESSION_PREFIX, SignedIn, hash_password,
    new_one_time_password, new_token, peer_text, verify_nobody, verify_password,
};
use super::core::AppState;
use super::error::{ApiJson, ApiPath, Failure};
use crate::domain::Timestamp;
use crate::domain::access::{
    self, Account, DeviceClaims, DeviceName, LockoutPolicy, Role, Secret, Username,
    check_new_password,
};
use crate::domain::audit::{
    AuditAction, AuditDetail, AuditRecord, Change, KeyIssuer, Outcome, clean,
};
use crate::protocol::{
    DeviceKeyInfo, DeviceKeyList, DeviceKeyRequest, IssuedDeviceKey, LoginRequest, LoginResponse,
    NewUserRequest, OneTimePassword, PasswordChange, SessionInfo, UserList, UserUpdateRequest,
    error_code,
};
use crate::store::central::CentralStore;
use crate::store::central::accounts::{NewSession, NewUser, UserRow, UserUpdate};

pub use crate::domain::access::FIRST_ADMIN;

/// What a user sees of their own session.
fn session_info(account: Account, workstation: String, expires_at: Timestamp) -> SessionInfo {
    SessionInfo {
        capabilities: account.role.capabilities(),
        user: account,
        workstation,
        expires_at,
    }
}

/// The one answer for an unknown user and a wrong password, so neither reveals which it was.
fn wrong_credentials() -> Failure {
    Failure::new(
        StatusCode::UNAUTHORIZED,
        error_code::INVALID_CREDENTIALS,
        format!(
            "wrong user name or password (after {} failures in a row an account is locked for {} minutes)",
            LockoutPolicy::DEFAULT.max_failures,
            LockoutPolicy::DEFAULT.lock_ms / 60_000
        ),
    )
}

fn locked(until: Timestamp) -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        error_code::ACCOUNT_LOCKED,
        format!(
            "too many failed logins: this account is locked until {} Beijing time; an administrator can unlock it by resetting the password",
            until.beijing().format("%H:%M")
        ),
    )
}

/// `POST /auth/login`.
pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, Failure> {
    let now = state.clock().now();
    let from = peer_text(&extensions);
    let workstation = clean(&request.workstation, 64);
    let response = state
        .call(move |store| login_blocking(store, &request, &workstation, &from, now))
        .await?;
    Ok(Json(response))
}

fn login_blocking(
    store: &dyn CentralStore,
    request: &LoginRequest,
    workstation: &str,
    from: &str,
    now: Timestamp,
) -> Result<LoginResponse, Failure> {
    let address = AuditDetail::from_address(from);
    // A login is what a person typed: surrounding spaces are no reason to refuse it.
    let user = match Username::parse(request.username.trim()) {
        Ok(name) => store.user(&name)?,
        Err(_) => None,
    };
    let Some(user) = user else {
        verify_nobody(&request.password);
        let actor = format!("unknown:{}", clean(&request.username, 32));
        store.audit(
            AuditRecord::new(
                now,
                &actor,
                workstation,
                AuditAction::Login,
                Outcome::Failed,
            )
            .detail(&AuditDetail::NoSuchUser { from: address }),
        )?;
        tracing::info!(%workstation, "login refused: unknown user");
        return Err(wrong_credentials());
    };
    let actor = format!("user:{}", user.account.username);
    let record = |outcome| AuditRecord::new(now, &actor, workstation, AuditAction::Login, outcome);
    if let Some(until) = user.account.locked_until.filter(|&until| until > now) {
        // No password check while locked: guessing gains nothing, and costs nothing.
        store.audit(record(Outcome::Denied).detail(&AuditDetail::AccountLocked {
            from: address.clone(),
        }))?;
        tracing::info!(user = %user.account.username, "login refused: account locked");
        return Err(locked(until));
    }
    if !verify_password(&request.password, &user.password_hash) {
        let after = store.login_failed(
            user.id,
            LockoutPolicy::DEFAULT,
            now,
            record(Outcome::Failed).detail(&AuditDetail::WrongPassword {
                in_a_row: user.failed_logins + 1,
                from: address.clone(),
            }),
        )?;
        tracing::info!(user = %user.account.username, failures = after.failed_logins, "login refused: wrong password");
        return Err(
            match after.account.locked_until.filter(|&until| until > now) {
                Some(until) => locked(until),
                None => wrong_credentials(),
            },
        );
    }
    if user.account.disabled {
        store.audit(
            record(Outcome::Denied).detail(&AuditDetail::AccountDisabled {
                from: address.clone(),
            }),
        )?;
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            error_code::ACCOUNT_DISABLED,
            "this account is disabled; ask an administrator",
        ));
    }
    let (token, token_hash) = new_token(SESSION_PREFIX)?;
    let expires_at = now.plus_ms(SESSION_MS);
    store.login_succeeded(
        user.id,
        NewSession {
            token_hash,
            workstation: workstation.to_owned(),
            created_at: now,
            expires_at,
        },
        record(Outcome::Ok).detail(&AuditDetail::SessionStarted {
            until: expires_at,
            one_time_password: user.account.must_change_password,
            from: address,
        }),
    )?;
    tracing::info!(user = %user.account.username, %workstation, "login");
    let mut account = user.account;
    account.last_login = Some(now);
    account.locked_until = None;
    Ok(LoginResponse {
        token,
        session: session_info(account, workstation.to_owned(), expires_at),
    })
}

/// `GET /auth/session`: who am I, what may I do, until when.
pub async fn session(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<SessionInfo>, Failure> {
    let user = signed_in(principal)?;
    let name = user.username.clone();
    let row = state
        .call(move |store| {
            store
                .user(&name)?
                .ok_or_else(|| Failure::unauthorized("your account is gone"))
        })
        .await?;
    Ok(Json(session_info(
        row.account,
        user.workstation,
        user.expires_at,
    )))
}

fn signed_in(principal: Principal) -> Result<SignedIn, Failure> {
    match principal {
        Principal::User(user) => Ok(user),
        Principal::Device(..) => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "device keys have no session",
        )),
    }
}

/// `POST /auth/logout`: ends this session.
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<StatusCode, Failure> {
    let record = principal.record(state.clock().now(), AuditAction::Logout, Outcome::Ok);
    let user = signed_in(principal)?;
    state
        .call(move |store| Ok(store.end_session(user.token, record)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/password`: replaces one's own password (the one-time one, or any). Other
/// sessions of the user end; this one stays.
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, Failure> {
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::PasswordChanged, Outcome::Ok);
    let user = signed_in(principal)?;
    // The rules first: a request the document forbids is refused as such, and costs no
    // failed attempt towards a lockout.
    check_new_password(&change.new_password, &user.username)
        .map_err(|e| Failure::bad_request(e.to_string()))?;
    if change.new_password == change.current_password {
        return Err(Failure::bad_request(
            "the new password must differ from the current one",
        ));
    }
    state
        .call(move |store| {
            let row = store
                .user(&user.username)?
                .ok_or_else(|| Failure::unauthorized("your account is gone"))?;
            if !verify_password(&change.current_password, &row.password_hash) {
                let after = store.login_failed(
                    row.id,
                    LockoutPolicy::DEFAULT,
                    now,
                    AuditRecord {
                        outcome: Outcome::Failed.code().to_owned(),
                        ..record
                    }
                    .detail(&AuditDetail::CurrentPasswordWrong),
                )?;
                return Err(
                    match after.account.locked_until.filter(|&until| until > now) {
                        Some(until) => locked(until),
                        None => Failure::new(
                            StatusCode::FORBIDDEN,
                            error_code::INVALID_CREDENTIALS,
                            "the current password is wrong",
                        ),
                    },
                );
            }
            let hash = hash_password(&change.new_password)?;
            store.set_password(&user.username, &hash, false, Some(user.token), record)?;
            tracing::info!(user = %user.username, "password changed");
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users`.
pub async fn users(State(state): State<AppState>) -> Result<Json<UserList>, Failure> {
    let rows = state.call(|store| Ok(store.users()?)).await?;
    Ok(Json(UserList {
        users: rows.into_iter().map(|row| row.account).collect(),
    }))
}

/// `POST /users`: a new account with a one-time password, shown once in the answer.
pub async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<OneTimePassword>), Failure> {
    let username =
        Username::parse(&request.username).map_err(|e| Failure::bad_request(e.to_string()))?;
    let role =
        Role::parse_user(request.role.code()).map_err(|e| Failure::bad_request(e.to_string()))?;
    let display_name = display_name(&request.display_name)?;
    let now = state.clock().now();
    let record = principal
        .record(now, AuditAction::UserCreated, Outcome::Ok)
        .target(format!("user:{username}"))
        .detail(&AuditDetail::UserCreated {
            display_name: display_name.clone(),
            role: role.code().to_owned(),
        });
    let created = state
        .call(move |store| {
            let password = new_one_time_password()?;
            let user = NewUser {
                username,
                display_name,
                role,
                password_hash: hash_password(&password)?,
                created_at: now,
            };
            let row = store.create_user(user, record)?;
            Ok(OneTimePassword {
                user: row.account,
                one_time_password: password,
            })
        })
        .await?;
    tracing::info!(user = %created.user.username, role = %created.user.role, "user created");
    Ok((StatusCode::CREATED, Json(created)))
}

fn display_name(text: &str) -> Result<String, Failure> {
    access::display_name(text).map_err(|e| Failure::bad_request(format!("display_name: {e}")))
}

fn username_in_path(ApiPath(text): ApiPath) -> Result<Username, Failure> {
    Username::parse(&text).map_err(|e| Failure::not_found(e.to_string()))
}

/// `POST /users/{username}/password`: a new one-time password; the user's sessions end and any
/// lockout is lifted.
pub async fn reset_password(
    State(state): State<AppState>,
    principal: Principal,
    path: ApiPath,
) -> Result<Json<OneTimePassword>, Failure> {
    let username = username_in_path(path)?;
    let record = principal
        .record(state.clock().now(), AuditAction::PasswordReset, Outcome::Ok)
        .target(format!("user:{username}"))
        .detail(&AuditDetail::OneTimePasswordIssued { at_console: false });
    let reset = state
        .call(move |store| {
            let password = new_one_time_password()?;
            let row =
                store.set_password(&username, &hash_password(&password)?, true, None, record)?;
            Ok(OneTimePassword {
                user: row.account,
                one_time_password: password,
            })
        })
        .await?;
    tracing::info!(user = %reset.user.username, "password reset");
    Ok(Json(reset))
}

/// `PATCH /users/{username}`: role, display name, disabled.
pub async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    path: ApiPath,
    ApiJson(request): ApiJson<UserUpdateRequest>,
) -> Result<Json<Account>, Failure> {
    let username = username_in_path(path)?;
    if let Some(role) = request.role {
        Role::parse_user(role.code()).map_err(|e| Failure::bad_request(e.to_string()))?;
    }
    let update = UserUpdate {
        role: request.role,
        display_name: request
            .display_name
            .as_deref()
            .map(display_name)
            .transpose()?,
        disabled: request.disabled,
    };
    let now = state.clock().now();
    let row = state
        .call(move |store| {
            let before = store
                .user(&username)?
                .ok_or_else(|| Failure::not_found(format!("no user {username}")))?;
            let records = change_records(&principal, now, &before, &update);
            Ok(store.update_user(&username, &update, &records)?)
        })
        .await?;
    Ok(Json(row.account))
}

/// One audit record per field that actually changes.
fn change_records(
    by: &Principal,
    now: Timestamp,
    before: &UserRow,
    update: &UserUpdate,
) -> Vec<AuditRecord> {
    let target = format!("user:{}", before.account.username);
    let record = |action| by.record(now, action, Outcome::Ok).target(target.clone());
    let mut records = Vec::new();
    if let Some(role) = update.role.filter(|&r| r != before.account.role) {
        records.push(
            record(AuditAction::RoleChanged).detail(&AuditDetail::RoleChanged(Change {
                before: before.account.role.code().to_owned(),
                after: role.code().to_owned(),
            })),
        );
    }
    if let Some(name) = update
        .display_name
        .as_ref()
        .filter(|n| **n != before.account.display_name)
    {
        records.push(
            record(AuditAction::UserRenamed).detail(&AuditDetail::Renamed(Change {
                before: before.account.display_name.clone(),
                after: name.clone(),
            })),
        );
    }
    match update.disabled {
        Some(true) if !before.account.disabled => {
            records.push(record(AuditAction::UserDisabled).detail(&AuditDetail::SessionsEnded));
        }
        Some(false) if before.account.disabled => records.push(record(AuditAction::UserEnabled)),
        _ => {}
    }
    records
}

/// `GET /device-keys`.
pub async fn device_keys(State(state): State<AppState>) -> Result<Json<DeviceKeyList>, Failure> {
    let rows = state.call(|store| Ok(store.device_keys()?)).await?;
    Ok(Json(DeviceKeyList {
        device_keys: rows
            .into_iter()
            .map(|row| DeviceKeyInfo {
                name: row.name,
                issued_at: row.issued_at,
                revoked_at: row.revoked_at,
                may_import: row.claims.may_import,
            })
            .collect(),
    }))
}

/// `POST /device-keys`: issues a key for a device, replacing its earlier key.
pub async fn issue_device_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<DeviceKeyRequest>,
) -> Result<(StatusCode, Json<IssuedDeviceKey>), Failure> {
    let claims = DeviceClaims {
        may_import: request.may_import,
    };
    let record = principal
        .record(
            state.clock().now(),
            AuditAction::DeviceKeyIssued,
            Outcome::Ok,
        )
        .detail(&AuditDetail::DeviceKeyIssued {
            by: KeyIssuer::Api,
            may_import: claims.may_import,
        });
    let now = state.clock().now();
    let name = request.name;
    let key = state
        .call({
            let name = name.clone();
            move |store| issue_device_key_blocking(store, &name, claims, record, now)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(IssuedDeviceKey { name, key })))
}

/// Issues a device key that may claim `claims` and records it: for the API, the CLI and the
/// embedded simulator.
pub fn issue_device_key_blocking(
    store: &dyn CentralStore,
    name: &DeviceName,
    claims: DeviceClaims,
    record: AuditRecord,
    now: Timestamp,
) -> Result<Secret, Failure> {
    let (key, hash) = new_token(DEVICE_KEY_PREFIX)?;
    let record = record.target(format!("device:{name}"));
    store.issue_device_key(name, hash, claims, now, record)?;
    tracing::info!(device = %name, may_import = claims.may_import, "device key issued");
    Ok(key)
}

/// `DELETE /device-keys/{name}`: revokes a device's key.
pub async fn revoke_device_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
) -> Result<StatusCode, Failure> {
    let name = DeviceName::parse(&text).map_err(|e| Failure::not_found(e.to_string()))?;
    let now = state.clock().now();
    let record = principal
        .record(now, AuditAction::DeviceKeyRevoked, Outcome::Ok)
        .target(format!("device:{name}"));
    state
        .call(move |store| Ok(store.revoke_device_key(&name, now, record)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates the first administrator (`admin`, with a one-time password) when there is no user
/// at all, and returns that password: the only time it exists outside its hash.
///
/// With `reissue`, an `admin` who has not yet chosen a password gets a fresh one-time password
/// on each start: the embedded default uses this, so closing the window before logging in does
/// not lock its user out of their own desk. A served central never reissues (use
/// `wxdesk central reset-password` there).
pub fn bootstrap_first_admin(
    store: &dyn CentralStore,
    now: Timestamp,
    reissue: bool,
) -> Result<Option<Secret>, Failure> {
    let admin = Username::parse(FIRST_ADMIN).map_err(|e| Failure::bad_request(e.to_string()))?;
    let record = AuditRecord::new(
        now,
        "central",
        "",
        AuditAction::FirstAdminCreated,
        Outcome::Ok,
    )
    .target(format!("user:{admin}"));
    if store.user_count()? == 0 {
        let password = new_one_time_password()?;
        store.create_user(
            NewUser {
                username: admin,
                display_name: FIRST_ADMIN.to_owned(),
                role: Role::Administrator,
                password_hash: hash_password(&password)?,
                created_at: now,
            },
            record.detail(&AuditDetail::FirstAdministrator),
        )?;
        return Ok(Some(password));
    }
    let pending = store
        .user(&admin)?
        .is_some_and(|row| row.account.must_change_password && row.account.last_login.is_none());
    if reissue && pending {
        let password = new_one_time_password()?;
        store.set_password(
            &admin,
            &hash_password(&password)?,
            true,
            None,
            AuditRecord {
                action: AuditAction::PasswordReset.code().to_owned(),
                ..record
            }
            .detail(&AuditDetail::FirstAdministratorReissued),
        )?;
        return Ok(Some(password));
    }
    Ok(None)
}

/// Resets a user's password from the command line (`wxdesk central reset-password`), for an
/// administrator who lost theirs. Returns the one-time password.
pub fn reset_password_cli(
    store: &dyn CentralStore,
    username: &Username,
    operator: &str,
    now: Timestamp,
) -> Result<Secret, Failure> {
    let password = new_one_time_password()?;
    let record = AuditRecord::new(
        now,
        "cli",
        operator,
        AuditAction::PasswordReset,
        Outcome::Ok,
    )
    .target(format!("user:{username}"))
    .detail(&AuditDetail::OneTimePasswordIssued { at_console: true });
    store.set_password(username, &hash_password(&password)?, true, None, record)?;
    Ok(password)
}
