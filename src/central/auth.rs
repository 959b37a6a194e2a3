//! Who is calling, and may they: bearer tokens, password hashes, and the guard every route
//! passes through.
//!
//! Each route in [`super::api::routes`] names its [`Access`]; the router wraps the handler in
//! [`guard`], which authenticates the `Authorization: Bearer …` header (a user's session token
//! or a device key), checks the capability against the matrix of
//! [`crate::domain::access`], records refusals in the audit log, and hands the handler the
//! [`Principal`].
//!
//! Secrets: session tokens and device keys are 256-bit random values from the OS RNG; the
//! database keeps only their SHA-256. Passwords are hashed with argon2id (`RustCrypto` defaults:
//! 19 MiB, 2 passes, 1 lane; a random 16-byte salt per hash). Neither ever reaches a log.

use std::net::SocketAddr;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use sha2::{Digest as _, Sha256};

use super::core::AppState;
use super::error::Failure;
use crate::domain::Timestamp;
use crate::domain::access::{
    Capability, DeviceClaims, DeviceName, Role, Secret, Username, caller_allows,
};
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, Outcome, hex};
use crate::domain::refusal::{Code, Refusal};
use crate::domain::time::HOUR_MS;
use crate::store::central::accounts::{SessionRow, TokenHash};

/// How long a session lasts: a 12-hour duty shift. Log in again for the next one.
pub const SESSION_MS: i64 = 12 * HOUR_MS;

/// Prefix of session tokens (`wxs_` + 64 hex digits): tells them from device keys at a glance,
/// and lets secret scanners find one that leaked into a file.
pub const SESSION_PREFIX: &str = "wxs_";
/// Prefix of device keys (`wxd_` + 64 hex digits).
pub const DEVICE_KEY_PREFIX: &str = "wxd_";

/// What a route demands of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (health, the API description, login).
    Public,
    /// Any signed-in user, even one who must still replace a one-time password (who am I,
    /// change my password, log out). Device keys are refused.
    SignedIn,
    /// A caller whose role has this capability in the matrix, with a password of their own.
    Requires(Capability),
}

/// A signed-in user, as the guard found their session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The user's row id.
    pub user_id: i64,
    /// Login name.
    pub username: Username,
    /// Name shown to people.
    pub display_name: String,
    /// Role, as it is now (a role change applies at once, even to open sessions).
    pub role: Role,
    /// The user still has a one-time password.
    pub must_change_password: bool,
    /// Workstation named at login.
    pub workstation: String,
    /// The session's token hash.
    pub token: TokenHash,
    /// When the session ends.
    pub expires_at: Timestamp,
}

impl SignedIn {
    /// The caller of session `token`, found as `row`.
    pub fn new(row: SessionRow, token: TokenHash) -> Self {
        Self {
            user_id: row.user.id,
            username: row.user.account.username,
            display_name: row.user.account.display_name,
            role: row.user.account.role,
            must_change_password: row.user.account.must_change_password,
            workstation: row.workstation,
            token,
            expires_at: row.expires_at,
        }
    }
}

/// Whoever made a request that passed the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A user with a session.
    User(SignedIn),
    /// A device with a key, and what its key may claim.
    Device(DeviceName, DeviceClaims),
}

impl Principal {
    /// The role the matrix is read with.
    pub fn role(&self) -> Role {
        match self {
            Self::User(user) => user.role,
            Self::Device(..) => Role::Device,
        }
    }

    /// What the caller's key may claim beyond its role (`None` for users).
    pub fn claims(&self) -> Option<DeviceClaims> {
        match self {
            Self::User(_) => None,
            Self::Device(_, claims) => Some(*claims),
        }
    }

    /// Whether the caller has `capability`: the matrix, plus a device key's grants.
    pub fn may(&self, capability: Capability) -> bool {
        caller_allows(self.role(), self.claims(), capability)
    }

    /// The audit log's name for it: `user:zhangwei`, `device:simulator`.
    pub fn actor(&self) -> String {
        match self {
            Self::User(user) => format!("user:{}", user.username),
            Self::Device(name, _) => format!("device:{name}"),
        }
    }

    /// Where it is: the workstation named at login, or the device's name.
    pub fn workstation(&self) -> &str {
        match self {
            Self::User(user) => &user.workstation,
            Self::Device(name, _) => name.as_str(),
        }
    }

    /// An audit record of `action` by this caller.
    pub fn record(&self, at: Timestamp, action: AuditAction, outcome: Outcome) -> AuditRecord {
        AuditRecord::new(at, &self.actor(), self.workstation(), action, outcome)
    }
}

/// The handler's view of the guard's verdict: fails (500) on a route whose guard is
/// [`Access::Public`], which is a bug in the route table.
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            tracing::error!(
                path = parts.uri.path(),
                "handler needs a caller but its route is public"
            );
            Failure::internal("this route is not guarded; see the central's log")
        })
    }
}

/// The client's address as the listener saw it (plain TCP or TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// The peer's address as text, for audit details ("" when unknown).
pub fn peer_text(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<ConnectInfo<Peer>>()
        .map(|ConnectInfo(Peer(addr))| addr.ip().to_string())
        .unwrap_or_default()
}

/// The middleware of every route: authenticate, authorise, record refusals, then call the
/// handler with the [`Principal`] in the request's extensions.
pub async fn guard(
    State((state, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    let principal = match authenticate(&state, request.headers()).await {
        Ok(principal) => principal,
        Err(failure) => return failure.into_response(),
    };
    if let Err(failure) = authorise(&principal, access) {
        if let (Access::Requires(capability), true) = (
            access,
            failure.status == StatusCode::FORBIDDEN && failure.body.error == "forbidden",
        ) {
            let target = format!("{} {}", request.method(), request.uri().path());
            let record = principal
                .record(
                    state.clock().now(),
                    AuditAction::AccessDenied,
                    Outcome::Denied,
                )
                .target(target)
                .detail(&AuditDetail::RequiresCapability {
                    capability: capability.code().to_owned(),
                    role: principal.role().code().to_owned(),
                });
            if let Err(error) = state.blocking(move |store| store.audit(record)).await {
                // A refusal stays a refusal when the database cannot record it (the log has
                // the failure); any other failure is answered as such.
                if error.body.error != super::error::UNWRITABLE {
                    return error.into_response();
                }
            }
        }
        return failure.into_response();
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// The access decision, pure: may `principal` use a route demanding `access`?
pub fn authorise(principal: &Principal, access: Access) -> Result<(), Failure> {
    match (access, principal) {
        (Access::Public, _) | (Access::SignedIn, Principal::User(_)) => Ok(()),
        (Access::SignedIn, Principal::Device(..)) => Err(Failure::refused(
            StatusCode::FORBIDDEN,
            &Refusal::new(Code::PeopleOnly),
        )),
        (Access::Requires(_), Principal::User(user)) if user.must_change_password => {
            Err(Failure::new(
                StatusCode::FORBIDDEN,
                Code::PasswordChangeRequired,
                "you logged in with a one-time password: choose your own password first (POST /api/v1/auth/password)",
            ))
        }
        (Access::Requires(capability), principal) if principal.may(capability) => Ok(()),
        (Access::Requires(capability), principal) => {
            let roles: Vec<&str> = capability.user_roles().iter().map(|r| r.code()).collect();
            let who = if roles.is_empty() {
                "devices".to_owned()
            } else {
                roles.join(", ")
            };
            Err(Failure::new(
                StatusCode::FORBIDDEN,
                Code::Forbidden,
                format!(
                    "requires the {} capability, which {who} have; you are {}",
                    capability.code(),
                    principal.role().code()
                ),
            )
            .with("capability", capability.code())
            .with("role", principal.role().code()))
        }
    }
}

/// Finds who the bearer token belongs to, at the central's `now`.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, Failure> {
    let token = bearer(headers)?;
    let hash = token_hash(&token);
    let now = state.clock().now();
    if token.expose().starts_with(DEVICE_KEY_PREFIX) {
        return state
            .blocking(move |store| store.device(hash))
            .await?
            .map(|(name, claims)| Principal::Device(name, claims))
            .ok_or_else(|| Failure::unauthorized(Code::DeviceKeyUnknown));
    }
    if !token.expose().starts_with(SESSION_PREFIX) {
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthorized,
            "the bearer token is neither a session token nor a device key",
        ));
    }
    let session = state
        .blocking(move |store| store.session(hash, now))
        .await?
        .ok_or_else(|| Failure::unauthorized(Code::SessionEnded))?;
    Ok(Principal::User(SignedIn::new(session, hash)))
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Result<Secret, Failure> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| Failure::unauthorized(Code::Unauthorized))?;
    let text = value.to_str().map_err(|_| {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthorized,
            "the Authorization header is not text",
        )
    })?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Secret::new(token.trim()))
        }
        _ => Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthorized,
            "the Authorization header must be `Bearer <token>`",
        )),
    }
}

/// SHA-256 of a token: what the database keeps.
pub fn token_hash(token: &Secret) -> TokenHash {
    TokenHash(Sha256::digest(token.expose().as_bytes()).into())
}

/// 32 bytes from the OS RNG.
pub fn random_bytes() -> Result<[u8; 32], Failure> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "the OS random number generator failed");
        Failure::internal("the central's random number generator failed")
    })?;
    Ok(bytes)
}

/// A new secret with `prefix` (a session token or a device key) and its hash.
pub fn new_token(prefix: &str) -> Result<(Secret, TokenHash), Failure> {
    let token = Secret::new(format!("{prefix}{}", hex(&random_bytes()?)));
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// A new one-time password from the OS RNG.
pub fn new_one_time_password() -> Result<Secret, Failure> {
    Ok(crate::domain::access::one_time_password(&random_bytes()?))
}

/// Hashes a password with argon2id and a fresh salt; a PHC string. Slow on purpose (tens of
/// milliseconds): call it off the async threads.
pub fn hash_password(password: &Secret) -> Result<String, Failure> {
    argon2::Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            Failure::internal("password hashing failed")
        })
}

/// Whether `password` matches the PHC string `hash`. A malformed stored hash matches nothing.
pub fn verify_password(password: &Secret, hash: &str) -> bool {
    argon2::Argon2::default()
        .verify_password(password.expose().as_bytes(), hash)
        .is_ok()
}

/// Like [`verify_password`], computing in `memory` (grown to the hash's size once, then kept):
/// the hashing threads reuse one block each, where a fresh 19 MiB per verification grew the
/// process by about that much every time (glibc did not hand the freed block back).
pub fn verify_password_in(memory: &mut Vec<argon2::Block>, password: &Secret, hash: &str) -> bool {
    use argon2::password_hash::phc::Output;
    let Ok(parsed) = argon2::PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let blocks = params.block_count();
    memory.resize(blocks, argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    argon2::Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.expose().as_bytes(),
            salt.as_ref(),
            &mut out,
            &mut memory[..blocks],
        )
        .is_ok()
        // `Output`'s equality is constant-time.
        && Output::new(&out).is_ok_and(|computed| &computed == expected)
}

/// Spends the time of one verification against a hash no password matches, so an unknown user
/// name answers as slowly as a wrong password (no user enumeration by timing).
pub fn verify_nobody_in(memory: &mut Vec<argon2::Block>, password: &Secret) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        let random = random_bytes().ok()?;
        hash_password(&Secret::new(hex(&random))).ok()
    });
    if let Some(hash) = dummy {
        let _ = verify_password_in(memory, password, hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::allows;

    fn user(role: Role, must_change: bool) -> Principal {
        Principal::User(SignedIn {
            user_id: 1,
            username: Username::parse("zhangwei").unwrap(),
            display_name: "张伟".into(),
            role,
            must_change_password: must_change,
            workstation: "desk-1".into(),
            token: TokenHash([0; 32]),
            expires_at: Timestamp(0),
        })
    }

    #[test]
    fn authorisation_follows_the_matrix() {
        let device = Principal::Device(DeviceName::parse("simulator").unwrap(), DeviceClaims::LIVE);
        let loader = Principal::Device(
            DeviceName::parse("archive").unwrap(),
            DeviceClaims::ARCHIVE_LOADER,
        );
        for capability in Capability::ALL {
            for role in Role::USERS {
                let allowed = authorise(&user(role, false), Access::Requires(capability)).is_ok();
                assert_eq!(allowed, allows(role, capability), "{role} {capability}");
            }
            let allowed = authorise(&device, Access::Requires(capability)).is_ok();
            assert_eq!(
                allowed,
                allows(Role::Device, capability),
                "device {capability}"
            );
            // An archive loader's key may import as well, and nothing else more.
            let allowed = authorise(&loader, Access::Requires(capability)).is_ok();
            assert_eq!(
                allowed,
                allows(Role::Device, capability) || capability == Capability::ImportObservations,
                "archive loader {capability}"
            );
        }
        assert!(authorise(&user(Role::Leader, true), Access::SignedIn).is_ok());
        assert!(authorise(&device, Access::SignedIn).is_err());
        assert!(authorise(&device, Access::Public).is_ok());
    }

    #[test]
    fn refusals_say_what_is_needed() {
        let failure = authorise(
            &user(Role::Technician, false),
            Access::Requires(Capability::ManageUsers),
        )
        .unwrap_err();
        assert_eq!(
            (failure.status, failure.body.error.as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        assert!(
            failure.body.message.contains("manage_users"),
            "{}",
            failure.body.message
        );
        assert!(
            failure.body.message.contains("administrator have"),
            "{}",
            failure.body.message
        );
        assert!(
            failure.body.message.contains("you are technician"),
            "{}",
            failure.body.message
        );

        let pending = authorise(
            &user(Role::Administrator, true),
            Access::Requires(Capability::Read),
        )
        .unwrap_err();
        assert_eq!(pending.body.error, "password_change_required");
    }

    #[test]
    fn bearer_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            bearer(&headers).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        for (value, ok) in [
            ("Bearer wxs_ab", true),
            ("bearer  wxs_ab ", true),
            ("Basic abc", false),
            ("Bearer ", false),
        ] {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer(&headers).is_ok(), ok, "{value:?}");
        }
        headers.insert(header::AUTHORIZATION, "Bearer wxs_ab".parse().unwrap());
        assert_eq!(bearer(&headers).unwrap().expose(), "wxs_ab");
    }

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, hash_a) = new_token(SESSION_PREFIX).unwrap();
        let (b, _) = new_token(SESSION_PREFIX).unwrap();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("wxs_") && a.expose().len() == 4 + 64);
        assert_eq!(token_hash(&a), hash_a);
    }

    #[test]
    fn passwords_hash_with_argon2id_and_a_salt_each() {
        let password = Secret::new("清流县 duty 2026");
        let first = hash_password(&password).unwrap();
        let second = hash_password(&password).unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "a fresh salt each time");
        assert!(verify_password(&password, &first));
        assert!(!verify_password(&Secret::new("清流县 duty 2025"), &first));
        assert!(!verify_password(&password, "not a hash"));
        let mut memory = Vec::new();
        assert!(verify_password_in(&mut memory, &password, &first));
        assert!(!verify_password_in(
            &mut memory,
            &Secret::new("清流县 duty 2025"),
            &first
        ));
        assert!(!verify_password_in(&mut memory, &password, "not a hash"));
        assert_eq!(memory.len(), 19_456, "one block per KiB, kept for the next");
    }
}
