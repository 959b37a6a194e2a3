//! Every error the API answers with: an HTTP status and a JSON [`ApiError`] body, including
//! for requests axum refuses itself (bad query strings, oversized bodies, unknown routes).

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::domain::refusal::{Code, Param, Params, Refusal};
use crate::protocol::ApiError;
use crate::store::StoreError;
use crate::store::central::{AccountError, MaintenanceError};

/// A refused or failed request: what the client receives.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON body.
    pub body: ApiError,
    /// Why the database could not be written, when that is why this failed: for the health
    /// of the central (administrators read it), never for the caller.
    unwritable: Option<String>,
}

/// The code of a write refused because the database cannot be written (503).
pub const UNWRITABLE: &str = Code::DatabaseUnwritable.as_str();

/// Marks a response that failed because the database could not be written, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnwritableDb(pub String);

impl Failure {
    /// A failure with a stable `code` of the registry and an English `message` for logs and
    /// curl users; its parameters are added with [`Failure::with`].
    pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ApiError {
                error: code.as_str().to_owned(),
                message: message.into(),
                params: Params::new(),
            },
            unwritable: None,
        }
    }

    /// A failure saying `refusal` (its English template as the message).
    pub fn refused(status: StatusCode, refusal: &Refusal) -> Self {
        Self {
            status,
            body: ApiError {
                error: refusal.code.as_str().to_owned(),
                message: refusal.english(),
                params: refusal.params.clone(),
            },
            unwritable: None,
        }
    }

    /// With parameter `name` of the code (what the console says the refusal from).
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Param>) -> Self {
        debug_assert!(
            Code::parse(&self.body.error).is_some_and(|code| code.params().contains(&name)),
            "{} declares no parameter {name}",
            self.body.error
        );
        self.body.params.insert(name.to_owned(), value.into());
        self
    }

    /// With the parameters of `reason`, the refusal this one nests (`import_refused` carries
    /// its reason's code in `reason` and its parameters), and the `line` at fault, if any.
    #[must_use]
    pub fn because(mut self, reason: &Refusal, line: Option<usize>) -> Self {
        self.body.params.extend(reason.params.clone());
        if let Some(line) = line {
            self.body.params.insert("line".to_owned(), line.into());
        }
        self
    }

    /// 503 `database_unwritable`: the database cannot store anything now (read-only, full,
    /// failing disk); reads still work. `reason` goes to the central's health, not to the
    /// caller.
    pub fn unwritable(reason: impl Into<String>) -> Self {
        let mut failure = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Code::DatabaseUnwritable,
            "the central's database cannot be written now, so nothing was changed; reading \
             still works. An administrator sees why in GET /api/v1/health/detail",
        );
        failure.unwritable = Some(reason.into());
        failure
    }

    /// 400 `bad_request`: a request the route could not read (the message says how).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Code::BadRequest, message)
    }

    /// 400 for a refusal of what the request asked.
    pub fn invalid(refusal: &Refusal) -> Self {
        Self::refused(StatusCode::BAD_REQUEST, refusal)
    }

    /// 401: no session, or one that has ended. The client must log in again.
    pub fn unauthorized(code: Code) -> Self {
        Self::refused(StatusCode::UNAUTHORIZED, &Refusal::new(code))
    }

    /// 404 for a name that names nothing.
    pub fn not_found(refusal: &Refusal) -> Self {
        Self::refused(StatusCode::NOT_FOUND, refusal)
    }

    /// 409 for a change that contradicts what is stored.
    pub fn conflict(refusal: &Refusal) -> Self {
        Self::refused(StatusCode::CONFLICT, refusal)
    }

    /// 404 `unknown_station`: a station id that is well formed but not in the network.
    pub fn unknown_station(station: &impl std::fmt::Display) -> Self {
        Self::not_found(&Refusal::new(Code::UnknownStation).with("station", station.to_string()))
    }

    /// 413 `payload_too_large`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::PayloadTooLarge,
            message,
        )
    }

    /// 400 `invalid_body`: a JSON body that is not JSON, or not the shape the route takes.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        // serde names the value it refused: a number given where text was expected is most
        // likely a phone number, which no answer repeats.
        let message = crate::domain::recipients::mask_numbers(&message.into());
        Self::new(StatusCode::BAD_REQUEST, Code::InvalidBody, message)
    }

    /// 415 `unsupported_media_type`: a JSON route sent a body without
    /// `Content-Type: application/json`.
    pub fn not_json() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            "send the body as JSON, with Content-Type: application/json",
        )
    }

    /// 500 `internal`, with an English `message` for the caller (the log says more).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal, message)
    }

    /// A request body axum could not read: too large (413), or cut off (400).
    pub fn body(rejection: &BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::too_large(format!(
                "request body exceeds the route's limit ({} MiB for observations and imports, \
                 {} MiB otherwise); send smaller batches",
                super::MAX_BODY_BYTES >> 20,
                super::JSON_BODY_BYTES >> 20
            ))
        } else {
            Self::invalid_body(rejection.body_text())
        }
    }

    /// The one answer for a JSON body axum refused: 415, 413 or 400, never axum's own 422.
    pub fn json(rejection: &JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::not_json(),
            JsonRejection::BytesRejection(bytes) => Self::body(bytes),
            // serde names the value it refused: a number given where text was expected is
            // most likely a phone number, which no answer repeats.
            other => {
                Self::invalid_body(crate::domain::recipients::mask_numbers(&other.body_text()))
            }
        }
    }

    /// 500 for a database failure, logged here (the client only learns that it failed); 503
    /// [`Failure::unwritable`] when the database could not be written.
    pub fn store(error: &StoreError) -> Self {
        if let StoreError::Sqlite { source, context } = error
            && let Some(reason) = crate::store::sqlite::unwritable_reason(source)
        {
            tracing::error!(error = %error, "database cannot be written");
            return Self::unwritable(format!("{reason} ({context}: {source})"));
        }
        tracing::error!(error = %error, "database failure");
        Self::internal(format!("the central's database failed: {error}"))
    }

    /// 500 for a background task that panicked or was cancelled.
    pub fn task(error: &tokio::task::JoinError) -> Self {
        tracing::error!(error = %error, "request task failed");
        Self::internal("the central failed while answering; see its log")
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::store(&error)
    }
}

impl From<AccountError> for Failure {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::NotFound(refusal) => Self::not_found(&refusal),
            AccountError::Conflict(refusal) => Self::conflict(&refusal),
            AccountError::Store(error) => Self::store(&error),
        }
    }
}

impl From<MaintenanceError> for Failure {
    fn from(error: MaintenanceError) -> Self {
        match error {
            MaintenanceError::NotFound(id) => {
                Self::not_found(&Refusal::new(Code::UnknownWindow).with("id", id))
            }
            MaintenanceError::Conflict(refusal) => Self::conflict(&refusal),
            MaintenanceError::Store(error) => Self::store(&error),
        }
    }
}

impl From<crate::store::central::maintenance::VisitRefused> for Failure {
    fn from(error: crate::store::central::maintenance::VisitRefused) -> Self {
        use crate::store::central::maintenance::VisitRefused;
        match error {
            VisitRefused::Refused(refusal) => Self::invalid(&refusal),
            VisitRefused::Store(error) => Self::store(&error),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        debug_assert!(
            Code::parse(&self.body.error).is_some_and(|code| code
                .params()
                .iter()
                .all(|name| self.body.params.contains_key(*name))),
            "{} is sent without all its parameters: {:?}",
            self.body.error,
            self.body.params
        );
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(reason) = self.unwritable {
            response.extensions_mut().insert(UnwritableDb(reason));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750: a 401 names the scheme the client should use.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"wxdesk\""),
            );
        }
        response
    }
}

/// `Query<T>` whose rejection is a 400 JSON [`ApiError`] rather than axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection| Failure::bad_request(rejection.body_text()))
    }
}

/// One path segment (`{username}`, `{name}`, `{id}`) as text. A segment that is not text (bad
/// percent-encoding) names nothing, so it is 404 like any name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPath(pub String);

impl<S> FromRequestParts<S> for ApiPath
where
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(text)) => Ok(Self(text)),
            Err(rejection) => Err(Failure::new(
                StatusCode::NOT_FOUND,
                Code::NotFound,
                format!("{}: {}", parts.uri.path(), rejection.body_text()),
            )
            .with("path", parts.uri.path())),
        }
    }
}

/// `Json<T>` whose rejection is one of the documented refusals ([`Failure::json`]) rather than
/// axum's plain text and 422, and which takes only a JSON object (as every request body of the
/// API is). Every handler that takes a JSON body takes it through this.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<serde_json::Value>::from_request(request, state)
            .await
            .map_err(|rejection| Failure::json(&rejection))?;
        // Every body the API takes is an object; serde would also take a struct from an array.
        if !value.is_object() {
            return Err(Failure::invalid_body(
                "the body must be a JSON object, as the API's document describes",
            ));
        }
        serde_json::from_value(value).map(Self).map_err(|e| {
            Failure::invalid_body(format!("the body is not what this route takes: {e}"))
        })
    }
}

/// The answer for a path no route serves.
pub async fn not_found(method: Method, uri: Uri) -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        Code::NotFound,
        format!(
            "no route for {method} {}; the API is described at /api/v1/openapi.json",
            uri.path()
        ),
    )
    .with("path", uri.path())
}

/// The answer for a known path asked with a method it does not serve.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::MethodNotAllowed,
        format!("{} does not accept {method}", uri.path()),
    )
    .with("method", method.as_str())
    .with("path", uri.path())
}
