//! Accounts over HTTP: logging in and out, one's own password, and the administrator's user and
//! device-key management; plus the start-up steps that create the first administrator and the
//! embedded simulator's device key.
//!
//! Every change writes its audit entry in the same transaction as the change (see
//! [`crate::store::central::accounts`]).

use std::net::IpAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};

use super::auth::{
    DEVICE_KEY_PREFIX, Peer, Principal, SESSION_MS, SESSION_PREFIX, SignedIn, hash_password,
    new_one_time_password, new_token, peer_text, verify_password,
};
use super::core::AppState;
use super::error::{ApiJson, ApiPath, Failure};
use super::throttle::Admission;
use crate::domain::Timestamp;
use crate::domain::access::{
    self, Account, DeviceClaims, DeviceName, LockoutPolicy, Reservation, Role, Secret, Username,
    check_new_password,
};
use crate::domain::audit::{
    AuditAction, AuditDetail, AuditRecord, Change, KeyIssuer, Outcome, clean,
};
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::{
    DeviceKeyInfo, DeviceKeyList, DeviceKeyRequest, IssuedDeviceKey, LoginRequest, LoginResponse,
    NewUserRequest, OneTimePassword, PasswordChange, SessionInfo, UserList, UserUpdateRequest,
};
use crate::store::StoreError;
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

/// The one answer for an unknown user, a wrong password and a locked account, so none of them
/// reveals which it was.
fn wrong_credentials() -> Failure {
    Failure::refused(
        StatusCode::UNAUTHORIZED,
        &Refusal::new(Code::InvalidCredentials)
            .with("max_failures", LockoutPolicy::DEFAULT.max_failures)
            .with("lock_minutes", LockoutPolicy::DEFAULT.lock_ms / 60_000),
    )
}

fn locked(until: Timestamp) -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        Code::AccountLocked,
        format!(
            "too many failed logins: this account is locked until {} Beijing time; an administrator can unlock it by resetting the password",
            until.beijing().format("%H:%M")
        ),
    )
    .with("until", until)
}

/// `POST /auth/login`.
///
/// Every attempt costs the same: one password verification on the bounded hashing pool, the
/// account's own hash only for an attempt the lockout reserved beforehand, a stand-in
/// otherwise (no such user, locked, attempts taken). Unknown, locked and wrong all answer 401
/// `invalid_credentials`; only the right password learns that an account is disabled, or was
/// locked by other attempts while it was judged. A source with too many failures is answered
/// 429 before any hashing (see [`super::throttle`]).
pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Response {
    let now = state.clock().now();
    let source = peer_ip(&extensions);
    let (admission, ended) = state.throttle().admit(source, now);
    if let Some(summary) = ended {
        // Best effort: a failure to write it is logged by the store call.
        _ = state
            .blocking(move |store| store.audit(summary.record()))
            .await;
    }
    if let Admission::Wait(seconds) = admission {
        return too_many(seconds);
    }
    let from = peer_text(&extensions);
    // Spawned: a reserved attempt is settled even if the client hangs up meanwhile.
    let attempt = tokio::spawn(async move {
        let name = request.username.clone();
        let lane = state.login_slots(state.throttle().has_failures(source));
        let result = match lane.acquire().await {
            Ok(_slot) => attempt(&state, request, &from, now).await,
            Err(_) => Err(Failure::refused(
                StatusCode::SERVICE_UNAVAILABLE,
                &Refusal::new(Code::ShuttingDown),
            )),
        };
        state.throttle().settle(source, result.is_ok(), &name);
        result
    });
    match attempt.await {
        Ok(Ok(response)) => Json(response).into_response(),
        Ok(Err(failure)) => failure.into_response(),
        Err(error) => Failure::task(&error).into_response(),
    }
}

/// The peer's IP address; unspecified when the listener gave none (in-process calls).
fn peer_ip(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<Peer>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(Peer(addr))| {
            addr.ip()
        })
}

/// 429 with `Retry-After`.
fn too_many(seconds: u64) -> Response {
    let failure = Failure::refused(
        StatusCode::TOO_MANY_REQUESTS,
        &Refusal::new(Code::TooManyLogins).with("retry_seconds", seconds),
    );
    let mut response = failure.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// One login attempt: reserve, hash once, settle.
async fn attempt(
    state: &AppState,
    request: LoginRequest,
    from: &str,
    now: Timestamp,
) -> Result<LoginResponse, Failure> {
    let workstation = clean(&request.workstation, 64);
    let address = AuditDetail::from_address(from);
    let lock_record = {
        let address = address.clone();
        move |user: &UserRow| {
            AuditRecord::new(
                now,
                &format!("user:{}", user.account.username),
                &workstation,
                AuditAction::Login,
                Outcome::Denied,
            )
            .detail(&AuditDetail::LockedAfterFailures {
                failures: LockoutPolicy::DEFAULT.max_failures,
                minutes: u32::try_from(LockoutPolicy::DEFAULT.lock_ms / 60_000).unwrap_or(u32::MAX),
                from: address.clone(),
            })
        }
    };
    // A login is what a person typed: surrounding spaces are no reason to refuse it.
    let name = Username::parse(request.username.trim()).ok();
    let reserved = state
        .call({
            let lock_record = lock_record.clone();
            move |store| Ok(reserve(store, name.as_ref(), now, &lock_record)?)
        })
        .await?;
    let right = state
        .hashes()
        .verify(
            request.password.clone(),
            reserved.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let Some(user) = reserved else {
        return Err(wrong_credentials());
    };
    let workstation = clean(&request.workstation, 64);
    state
        .call(move |store| {
            if right {
                return open_session(store, user, &workstation, address, now);
            }
            let record = lock_record(&user);
            store.reserved_login_wrong(user.id, LockoutPolicy::DEFAULT, now, record)?;
            tracing::info!(user = %user.account.username, "login refused: wrong password");
            Err(wrong_credentials())
        })
        .await
}

/// The user whose attempt may be judged now, if any: reserves the attempt under the lockout.
fn reserve(
    store: &dyn CentralStore,
    name: Option<&Username>,
    now: Timestamp,
    lock_record: &dyn Fn(&UserRow) -> AuditRecord,
) -> Result<Option<UserRow>, StoreError> {
    let Some(user) = name.map(|name| store.user(name)).transpose()?.flatten() else {
        return Ok(None);
    };
    let (verdict, user) =
        store.reserve_login(user.id, LockoutPolicy::DEFAULT, now, lock_record(&user))?;
    Ok((verdict == Reservation::Judge).then_some(user))
}

/// The right password: a session, unless the account is disabled or was locked meanwhile.
fn open_session(
    store: &dyn CentralStore,
    user: UserRow,
    workstation: &str,
    address: Option<String>,
    now: Timestamp,
) -> Result<LoginResponse, Failure> {
    let actor = format!("user:{}", user.account.username);
    let record = |outcome| AuditRecord::new(now, &actor, workstation, AuditAction::Login, outcome);
    if user.account.disabled {
        store.audit(
            record(Outcome::Denied).detail(&AuditDetail::AccountDisabled {
                from: address.clone(),
            }),
        )?;
        return Err(Failure::refused(
            StatusCode::FORBIDDEN,
            &Refusal::new(Code::AccountDisabled),
        ));
    }
    let (token, token_hash) = new_token(SESSION_PREFIX)?;
    let expires_at = now.plus_ms(SESSION_MS);
    let opened = store.login_succeeded(
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
            from: address.clone(),
        }),
    )?;
    if let Err(until) = opened {
        store.audit(
            record(Outcome::Denied).detail(&AuditDetail::LockedMeanwhile { from: address }),
        )?;
        return Err(locked(until));
    }
    tracing::info!(user = %user.account.username, %workstation, "login");
    let mut account = user.account;
    account.last_login = Some(now);
    account.locked_until = None;
    Ok(LoginResponse {
        token,
        session: session_info(account, workstation.to_owned(), expires_at),
    })
}

/// Writes the audit summaries of the failed-login windows that ended (all of them with
/// `everything`, at shutdown).
pub async fn record_failed_logins(state: &AppState, everything: bool) -> Result<(), Failure> {
    let summaries = state.throttle().take_ended(state.clock().now(), everything);
    if summaries.is_empty() {
        return Ok(());
    }
    state
        .blocking(move |store| {
            for summary in summaries {
                store.audit(summary.record())?;
            }
            Ok(())
        })
        .await
}

/// Every minute, writes the summaries of the failed-login windows that ended, until shutdown.
pub async fn record_failed_logins_until_shutdown(state: AppState) {
    let mut stopping = state.watch_shutdown();
    let stop = async move {
        _ = stopping.wait_for(|&stop| stop).await;
    };
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(failure) = record_failed_logins(&state, false).await {
                    tracing::warn!(error = %failure.body.message, "failed logins not recorded yet");
                }
            }
            () = &mut stop => return,
        }
    }
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
                .ok_or_else(|| Failure::unauthorized(Code::AccountGone))
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
        Principal::Device(..) => Err(Failure::refused(
            StatusCode::FORBIDDEN,
            &Refusal::new(Code::PeopleOnly),
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
    let common = crate::assets::common_passwords();
    check_new_password(&change.new_password, &user.username, common)
        .map_err(|refusal| Failure::invalid(&Refusal::from(refusal)))?;
    if change.new_password == change.current_password {
        return Err(Failure::invalid(&Refusal::new(Code::PasswordUnchanged)));
    }
    state
        .call(move |store| {
            let row = store
                .user(&user.username)?
                .ok_or_else(|| Failure::unauthorized(Code::AccountGone))?;
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
                        None => Failure::refused(
                            StatusCode::FORBIDDEN,
                            &Refusal::new(Code::CurrentPasswordWrong),
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
        Username::parse(&request.username).map_err(|_| invalid_username(&request.username))?;
    let role = Role::parse_user(request.role.code()).map_err(|e| invalid_role(request.role, &e))?;
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
    access::display_name(text).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidDisplayName,
            format!("display_name: {e}"),
        )
        .with("max", access::MAX_DISPLAY_NAME_CHARS)
    })
}

fn invalid_username(text: &str) -> Failure {
    Failure::invalid(&Refusal::new(Code::InvalidUsername).with("text", text))
}

fn invalid_role(role: Role, error: &access::AccessError) -> Failure {
    Failure::new(
        StatusCode::BAD_REQUEST,
        Code::InvalidRole,
        error.to_string(),
    )
    .with("text", role.code())
}

fn username_in_path(ApiPath(text): ApiPath) -> Result<Username, Failure> {
    Username::parse(&text)
        .map_err(|_| Failure::not_found(&Refusal::new(Code::UnknownUser).with("username", text)))
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
        Role::parse_user(role.code()).map_err(|e| invalid_role(role, &e))?;
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
            let before = store.user(&username)?.ok_or_else(|| {
                Failure::not_found(
                    &Refusal::new(Code::UnknownUser).with("username", username.to_string()),
                )
            })?;
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
    let name = DeviceName::parse(&text)
        .map_err(|_| Failure::not_found(&Refusal::new(Code::UnknownDevice).with("name", text)))?;
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
    let admin = Username::parse(FIRST_ADMIN).map_err(|_| invalid_username(FIRST_ADMIN))?;
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
