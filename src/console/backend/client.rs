//! The HTTP client of the central's API, used the same way for the embedded default and a
//! remote central. `https` centrals are verified against the system's roots plus any CA the
//! bureau configured (`--ca-cert`); a session token, once there is one, goes with every call.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::sse::{SseItem, SseParser};
use crate::console::messages::Trouble;
use crate::console::ui::i18n::{Language, say};
use crate::domain::access::{Account, Secret};
use crate::domain::refusal::{Code, Params};
use crate::protocol::{
    API_PREFIX, ApiError, AuditPage, AuditQuery, Change, ChunkDto, CodedRefusal, Cursor, Health,
    ImportQuery, ImportReport, LoginRequest, LoginResponse, MaintenanceDto, MaintenanceUpdate,
    NetworkDto, NewMaintenance, NewUserRequest, OneTimePassword, PROTOCOL_HEADER, PROTOCOL_VERSION,
    PasswordChange, STREAM_EVENT_CHANGE, SessionInfo, UserList, UserUpdateRequest, VersionInfo,
};

use crate::domain::devices::Device;
use crate::domain::devices::alarm_book::AlarmRecord;
use crate::domain::relays::{Command, CommandId};
use crate::protocol::callout::{
    CalloutBoard, PhoneCall, PhoneCallInput, RevealedNumber, RosterConfirmation,
};
use crate::protocol::devices::{
    AlarmAssignment, AlarmComment, AlarmDetail, AlarmList, AssigneeList, DeviceList, HealthPage,
};
use crate::protocol::outbox::{DecisionAnswer, DeliveryList};
use crate::protocol::recipients::{RecipientImportReport, RecipientList, RecipientQuery};
use crate::protocol::relays::{
    CommandRequest, Proposal, ProposalConfirmation, ProposalList, RelayList,
};
use crate::protocol::reports::ServiceReport;
use crate::protocol::warnings::{WarningContent, WarningRecord};

/// Why a call to the central failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// No answer: refused, unreachable, timed out, or the connection broke.
    #[error("central unreachable: {0}")]
    Unreachable(String),
    /// The central's certificate is not trusted (or not valid for its name).
    #[error(
        "the central's certificate is not trusted ({0}); if the bureau uses its own CA, start the console with --ca-cert <ca.pem>"
    )]
    Untrusted(String),
    /// The central refused the session (401): log in again. Never retried. Holds the
    /// central's code of why (`session_ended`, `unauthorized` …).
    #[error("the central refused the session ({0})")]
    Unauthorized(String),
    /// The central answered with an error.
    #[error("central refused ({status}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The central's stable error code (`account_locked`), empty when its answer had none.
        code: String,
        /// The central's explanation, in English (for the log; the UI says the code).
        message: String,
        /// The code's parameters.
        params: Params,
    },
    /// The central answered something this console cannot read.
    #[error("unreadable answer from central: {0}")]
    Decode(String),
    /// The live stream went quiet for longer than its keep-alive promises.
    #[error("live stream silent for {0:?}")]
    Stalled(Duration),
    /// The central closed the live stream.
    #[error("central closed the live stream")]
    StreamEnded,
}

impl ClientError {
    /// What the central said no with: its code and that code's words in Chinese; `None` when
    /// the central could not be reached (each screen says what that means for its work). An
    /// answer the desk cannot read is the central's internal error.
    pub fn said(&self) -> Option<(String, String)> {
        let (code, params) = match self {
            Self::Unreachable(_) | Self::Untrusted(_) => return None,
            Self::Unauthorized(code) => (code.clone(), Params::new()),
            Self::Refused { code, params, .. } => (code.clone(), params.clone()),
            Self::Decode(_) | Self::Stalled(_) | Self::StreamEnded => {
                (Code::Internal.as_str().to_owned(), Params::new())
            }
        };
        let words = say(Language::Zh, &code, &params);
        Some((code, words))
    }
}

/// A page of the change feed (or a live-stream event) as this desk reads it: chunks of
/// elements it does not know are dropped and counted rather than failing the page.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedBatch {
    /// The changes, oldest first.
    pub changes: Vec<Change>,
    /// The current chunks of the hours they name.
    pub chunks: Vec<ChunkDto>,
    /// The newest position when the central read the page.
    pub head: Cursor,
    /// Where to continue from once the batch is applied.
    pub next: Cursor,
    /// Changes after `next` up to `head`.
    pub behind: u64,
    /// Chunks this build could not read (an element it does not know).
    pub unreadable_chunks: usize,
}

/// [`crate::protocol::ChangesPage`] read leniently.
#[derive(serde::Deserialize)]
struct WirePage {
    changes: Vec<Change>,
    #[serde(default)]
    chunks: Vec<serde_json::Value>,
    head: Cursor,
    next: Cursor,
    #[serde(default)]
    behind: u64,
}

impl From<WirePage> for FeedBatch {
    fn from(page: WirePage) -> Self {
        let total = page.chunks.len();
        let chunks: Vec<ChunkDto> = page
            .chunks
            .into_iter()
            .filter_map(|chunk| serde_json::from_value(chunk).ok())
            .collect();
        Self {
            unreadable_chunks: total - chunks.len(),
            changes: page.changes,
            chunks,
            head: page.head,
            next: page.next,
            behind: page.behind,
        }
    }
}

/// One item of the live stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A change, with the chunks it names.
    Change(FeedBatch),
    /// A keep-alive: the link is alive and nothing has changed.
    Heartbeat,
}

/// A client of one central.
#[derive(Debug, Clone)]
pub struct CentralClient {
    base: String,
    http: reqwest::Client,
    token: Option<Secret>,
}

fn unreachable(error: &reqwest::Error) -> ClientError {
    // `{:#}`-style chain: reqwest's top-level message alone ("error sending request") hides
    // the useful part ("connection refused").
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // rustls says "invalid peer certificate: UnknownIssuer" deep in the chain; say it plainly.
    if text.contains("invalid peer certificate") || text.contains("certificate verify") {
        let reason = text
            .split(": ")
            .skip_while(|part| !part.contains("certificate"))
            .collect::<Vec<_>>()
            .join(": ");
        return ClientError::Untrusted(reason);
    }
    ClientError::Unreachable(text)
}

impl CentralClient {
    /// A client for the central at `base` (e.g. `https://qxj.example:8443`), trusting
    /// `extra_roots` (PEM certificates of a bureau's CA) besides the system's roots.
    pub fn new(base: &str, extra_roots: &[u8]) -> Result<Self, ClientError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("wxdesk/", env!("CARGO_PKG_VERSION")));
        if !extra_roots.is_empty() {
            let roots = reqwest::Certificate::from_pem_bundle(extra_roots)
                .map_err(|e| ClientError::Decode(format!("the CA certificate is not PEM: {e}")))?;
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder.build().map_err(|e| unreachable(&e))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            token: None,
        })
    }

    /// The same client, sending `token` with every call.
    #[must_use]
    pub fn with_token(&self, token: Secret) -> Self {
        Self {
            token: Some(token),
            ..self.clone()
        }
    }

    /// A request announcing this desk's protocol, with the session token if there is one.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, self.url(path))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        match &self.token {
            Some(token) => request.bearer_auth(token.expose()),
            None => request,
        }
    }

    /// Sends `request`, checks the status, and returns the body.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
    ) -> Result<Vec<u8>, ClientError> {
        let response = request
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| unreachable(&e))?;
        let response = check(response).await?;
        let bytes = response.bytes().await.map_err(|e| unreachable(&e))?;
        tracing::debug!(path, bytes = bytes.len(), "central answered");
        Ok(bytes.to_vec())
    }

    /// Sends `body` as JSON with `method` and decodes the JSON answer.
    async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let bytes = self.call_bytes(method, path, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(format!("{path}: {e}")))
    }

    async fn call_bytes<B: Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Vec<u8>, ClientError> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request, path).await
    }

    /// `POST /auth/login` (sends no token).
    pub async fn login(&self, request: &LoginRequest) -> Result<LoginResponse, ClientError> {
        let anonymous = Self {
            token: None,
            ..self.clone()
        };
        anonymous
            .call(reqwest::Method::POST, "/auth/login", Some(request))
            .await
    }

    /// `GET /auth/session`.
    pub async fn session(&self) -> Result<SessionInfo, ClientError> {
        self.call(reqwest::Method::GET, "/auth/session", None::<&()>)
            .await
    }

    /// `POST /auth/logout`.
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.call_bytes(reqwest::Method::POST, "/auth/logout", None::<&()>)
            .await
            .map(drop)
    }

    /// `POST /auth/password`.
    pub async fn change_password(&self, change: &PasswordChange) -> Result<(), ClientError> {
        self.call_bytes(reqwest::Method::POST, "/auth/password", Some(change))
            .await
            .map(drop)
    }

    /// `GET /users`.
    pub async fn users(&self) -> Result<UserList, ClientError> {
        self.call(reqwest::Method::GET, "/users", None::<&()>).await
    }

    /// `POST /users`.
    pub async fn create_user(&self, user: &NewUserRequest) -> Result<OneTimePassword, ClientError> {
        self.call(reqwest::Method::POST, "/users", Some(user)).await
    }

    /// `POST /users/{username}/password`.
    pub async fn reset_password(&self, username: &str) -> Result<OneTimePassword, ClientError> {
        self.call(
            reqwest::Method::POST,
            &format!("/users/{username}/password"),
            None::<&()>,
        )
        .await
    }

    /// `PATCH /users/{username}`.
    pub async fn update_user(
        &self,
        username: &str,
        update: &UserUpdateRequest,
    ) -> Result<Account, ClientError> {
        self.call(
            reqwest::Method::PATCH,
            &format!("/users/{username}"),
            Some(update),
        )
        .await
    }

    /// `GET /audit`.
    pub async fn audit(&self, query: &AuditQuery) -> Result<AuditPage, ClientError> {
        let bytes = self
            .send(
                self.request(reqwest::Method::GET, "/audit").query(query),
                "/audit",
            )
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(format!("/audit: {e}")))
    }

    /// `POST /imports`: the file's bytes as the body, what it is in the query.
    pub async fn import_file(
        &self,
        query: &ImportQuery,
        bytes: Vec<u8>,
    ) -> Result<ImportReport, ClientError> {
        let request = self
            .request(reqwest::Method::POST, "/imports")
            .query(query)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        let answer = self.send(request, "/imports").await?;
        serde_json::from_slice(&answer).map_err(|e| ClientError::Decode(format!("/imports: {e}")))
    }

    /// `POST /maintenance`.
    pub async fn record_maintenance(
        &self,
        window: &NewMaintenance,
    ) -> Result<MaintenanceDto, ClientError> {
        self.call(reqwest::Method::POST, "/maintenance", Some(window))
            .await
    }

    /// `PATCH /maintenance/{id}`.
    pub async fn update_maintenance(
        &self,
        id: u64,
        update: &MaintenanceUpdate,
    ) -> Result<MaintenanceDto, ClientError> {
        self.call(
            reqwest::Method::PATCH,
            &format!("/maintenance/{id}"),
            Some(update),
        )
        .await
    }

    /// `POST /warnings`: submits a composition for approval.
    pub async fn submit_warning(
        &self,
        content: &WarningContent,
    ) -> Result<WarningRecord, ClientError> {
        self.call(reqwest::Method::POST, "/warnings", Some(content))
            .await
    }

    /// `POST /warnings/{id}/{step}` (`revise`, `approve`, `return`, `sign-alone`, `release`)
    /// with its body.
    pub async fn warning_step<B: Serialize + ?Sized>(
        &self,
        id: &str,
        step: &str,
        body: &B,
    ) -> Result<WarningRecord, ClientError> {
        self.call(
            reqwest::Method::POST,
            &format!("/warnings/{id}/{step}"),
            Some(body),
        )
        .await
    }

    /// `GET /recipients`: a page of the people warnings go to (numbers as the role may see).
    pub async fn recipients(&self, query: &RecipientQuery) -> Result<RecipientList, ClientError> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(township) = &query.township {
            pairs.push(("township", township.clone()));
        }
        if let Some(group) = query.group {
            pairs.push(("group", group.code().to_owned()));
        }
        if let Some(duty) = query.duty {
            pairs.push(("duty", duty.code().to_owned()));
        }
        if let Some(name) = &query.name {
            pairs.push(("name", name.clone()));
        }
        pairs.push(("offset", query.offset.unwrap_or(0).to_string()));
        pairs.push(("limit", query.limit.unwrap_or(200).to_string()));
        self.get_json("/recipients", &pairs).await
    }

    /// `POST /recipients/import`: a CSV or .xlsx file as `content_type`.
    pub async fn import_recipients(
        &self,
        bytes: Vec<u8>,
        content_type: &str,
        dry_run: bool,
    ) -> Result<RecipientImportReport, ClientError> {
        let path = "/recipients/import";
        let request = self
            .request(reqwest::Method::POST, path)
            .query(&[("dry_run", dry_run)])
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes);
        let answer = self.send(request, path).await?;
        serde_json::from_slice(&answer).map_err(|e| ClientError::Decode(format!("{path}: {e}")))
    }

    /// `GET /warnings/{id}/deliveries`: where a released warning's messages stand.
    pub async fn deliveries(&self, id: &str) -> Result<DeliveryList, ClientError> {
        self.get_json(&format!("/warnings/{id}/deliveries"), &[])
            .await
    }

    /// `POST /warnings/{id}/deliveries/{decision}` (`retry`, `resend`) with its body.
    pub async fn delivery_decision<B: Serialize + ?Sized>(
        &self,
        id: &str,
        decision: &str,
        body: &B,
    ) -> Result<DecisionAnswer, ClientError> {
        self.call(
            reqwest::Method::POST,
            &format!("/warnings/{id}/deliveries/{decision}"),
            Some(body),
        )
        .await
    }

    /// `GET /warnings/{id}/callout`.
    pub async fn callout(&self, id: &str) -> Result<CalloutBoard, ClientError> {
        self.get_json(&format!("/warnings/{id}/callout"), &[]).await
    }

    /// `POST /warnings/{id}/callout/{line}/reveal`.
    pub async fn reveal_callout_number(
        &self,
        id: &str,
        line: i64,
    ) -> Result<RevealedNumber, ClientError> {
        let path = format!("/warnings/{id}/callout/{line}/reveal");
        self.call(reqwest::Method::POST, &path, Some(&serde_json::json!({})))
            .await
    }

    /// `POST /warnings/{id}/callout/{line}/calls`.
    pub async fn log_callout_call(
        &self,
        id: &str,
        line: i64,
        call: &PhoneCallInput,
    ) -> Result<PhoneCall, ClientError> {
        let path = format!("/warnings/{id}/callout/{line}/calls");
        self.call(reqwest::Method::POST, &path, Some(call)).await
    }

    /// `GET /warnings/{id}/callout/export?format=csv`: the file's bytes.
    pub async fn callout_csv(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        let path = format!("/warnings/{id}/callout/export");
        let request = self
            .request(reqwest::Method::GET, &path)
            .query(&[("format", "csv")]);
        self.send(request, &path).await
    }

    /// `GET /reports/service?from=&to=`: the supervisor's figures of a range of days.
    pub async fn service_report(&self, from: &str, to: &str) -> Result<ServiceReport, ClientError> {
        let query = [("from", from.to_owned()), ("to", to.to_owned())];
        self.get_json("/reports/service", &query).await
    }

    /// `GET /reports/service?format=csv|xlsx`: the central's file of a range, its bytes.
    pub async fn service_report_file(
        &self,
        from: &str,
        to: &str,
        format: &str,
    ) -> Result<Vec<u8>, ClientError> {
        let path = "/reports/service";
        let request = self.request(reqwest::Method::GET, path).query(&[
            ("from", from),
            ("to", to),
            ("format", format),
        ]);
        self.send(request, path).await
    }

    /// `GET /devices`: every registered device with its health.
    pub async fn devices(&self) -> Result<DeviceList, ClientError> {
        self.get_json("/devices", &[]).await
    }

    /// `GET /devices/{id}/health`: one device's health page.
    pub async fn device_health(&self, id: &str) -> Result<HealthPage, ClientError> {
        self.get_json(&format!("/devices/{id}/health"), &[]).await
    }

    /// `GET /device-alarms`: the open alarms and those closed in the last day.
    pub async fn device_alarms(&self) -> Result<AlarmList, ClientError> {
        self.get_json("/device-alarms", &[]).await
    }

    /// `POST /device-alarms/{id}/acknowledge`.
    pub async fn acknowledge_alarm(&self, id: u64) -> Result<AlarmRecord, ClientError> {
        let path = format!("/device-alarms/{id}/acknowledge");
        self.call(reqwest::Method::POST, &path, Some(&serde_json::json!({})))
            .await
    }

    /// `GET /device-alarms/{id}`: one alarm and its timeline.
    pub async fn device_alarm(&self, id: u64) -> Result<AlarmDetail, ClientError> {
        self.get_json(&format!("/device-alarms/{id}"), &[]).await
    }

    /// `GET /device-alarms/assignees`: the technicians an alarm may be given to.
    pub async fn alarm_assignees(&self) -> Result<AssigneeList, ClientError> {
        self.get_json("/device-alarms/assignees", &[]).await
    }

    /// `POST /device-alarms/{id}/assign`.
    pub async fn assign_alarm(&self, id: u64, assignee: &str) -> Result<AlarmRecord, ClientError> {
        let path = format!("/device-alarms/{id}/assign");
        let body = AlarmAssignment {
            assignee: assignee.to_owned(),
        };
        self.call(reqwest::Method::POST, &path, Some(&body)).await
    }

    /// `POST /device-alarms/{id}/comments`.
    pub async fn comment_alarm(&self, id: u64, text: &str) -> Result<AlarmRecord, ClientError> {
        let path = format!("/device-alarms/{id}/comments");
        let body = AlarmComment {
            text: text.to_owned(),
        };
        self.call(reqwest::Method::POST, &path, Some(&body)).await
    }

    /// `POST /devices` (a new device) or `PUT /devices/{id}` (`replace`: a registered one).
    pub async fn save_device(&self, device: &Device, replace: bool) -> Result<Device, ClientError> {
        if replace {
            let path = format!("/devices/{}", device.id);
            self.call(reqwest::Method::PUT, &path, Some(device)).await
        } else {
            self.call(reqwest::Method::POST, "/devices", Some(device))
                .await
        }
    }

    /// `GET /relays`: every relay with its latest command and observed state.
    pub async fn relays(&self) -> Result<RelayList, ClientError> {
        self.get_json("/relays", &[]).await
    }

    /// `POST /relay-commands`: queue a command.
    pub async fn switch_relay(&self, request: &CommandRequest) -> Result<Command, ClientError> {
        self.call(reqwest::Method::POST, "/relay-commands", Some(request))
            .await
    }

    /// `POST /relay-commands/{id}/cancel`.
    pub async fn cancel_command(&self, id: &CommandId) -> Result<Command, ClientError> {
        let path = format!("/relay-commands/{id}/cancel");
        self.call(reqwest::Method::POST, &path, None::<&()>).await
    }

    /// `GET /relay-proposals`: open proposals and those decided in the last day.
    pub async fn relay_proposals(&self) -> Result<ProposalList, ClientError> {
        self.get_json("/relay-proposals", &[]).await
    }

    /// `POST /relay-proposals/{id}/confirm`.
    pub async fn confirm_proposal(
        &self,
        id: u64,
        confirmation: &ProposalConfirmation,
    ) -> Result<Command, ClientError> {
        let path = format!("/relay-proposals/{id}/confirm");
        self.call(reqwest::Method::POST, &path, Some(confirmation))
            .await
    }

    /// `POST /relay-proposals/{id}/dismiss`.
    pub async fn dismiss_proposal(&self, id: u64) -> Result<Proposal, ClientError> {
        let path = format!("/relay-proposals/{id}/dismiss");
        self.call(reqwest::Method::POST, &path, None::<&()>).await
    }

    /// `GET /callout/roster`.
    pub async fn roster(&self) -> Result<RosterConfirmation, ClientError> {
        self.get_json("/callout/roster", &[]).await
    }

    /// `POST /callout/roster`.
    pub async fn confirm_roster(&self) -> Result<RosterConfirmation, ClientError> {
        self.call(
            reqwest::Method::POST,
            "/callout/roster",
            Some(&serde_json::json!({})),
        )
        .await
    }

    /// The central's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base)
    }

    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let bytes = self
            .send(self.request(reqwest::Method::GET, path).query(query), path)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(format!("{path}: {e}")))
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get_json("/health", &[]).await
    }

    /// `GET /stations`.
    pub async fn network(&self) -> Result<NetworkDto, ClientError> {
        self.get_json("/stations", &[]).await
    }

    /// `GET /version`.
    pub async fn version(&self) -> Result<VersionInfo, ClientError> {
        self.get_json("/version", &[]).await
    }

    /// `GET /changes?after=&limit=&kinds=`: from the start of the log when `after` is `None`,
    /// of `kinds` only when given.
    pub async fn changes(
        &self,
        after: Option<&Cursor>,
        limit: u32,
        kinds: Option<&[String]>,
    ) -> Result<FeedBatch, ClientError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(after) = after {
            query.push(("after", after.to_string()));
        }
        if let Some(kinds) = kinds {
            query.push(("kinds", kinds.join(",")));
        }
        self.get_json::<WirePage>("/changes", &query)
            .await
            .map(FeedBatch::from)
    }

    /// `GET /stream` from `after` (`None`: from now on): changes as they are committed. Each
    /// item must arrive within `idle` (the central's keep-alives arrive well within it) or the
    /// stream reports [`ClientError::Stalled`].
    pub async fn stream(
        &self,
        after: Option<&Cursor>,
        idle: Duration,
    ) -> Result<impl Stream<Item = Result<StreamItem, ClientError>> + use<>, ClientError> {
        let mut request = self.request(reqwest::Method::GET, "/stream");
        if let Some(after) = after {
            request = request.header("Last-Event-ID", after.as_str());
        }
        let response = request
            .header("Accept", "text/event-stream")
            .send()
            .await
            .map_err(|e| unreachable(&e))?;
        let state = StreamState {
            bytes: check(response).await?.bytes_stream(),
            parser: SseParser::default(),
            pending: VecDeque::new(),
            done: false,
        };
        Ok(futures_util::stream::unfold(
            state,
            move |mut state| async move {
                loop {
                    if let Some(item) = state.pending.pop_front() {
                        if item.is_err() {
                            // Report the first failure and end: callers see exactly one.
                            state.done = true;
                            state.pending.clear();
                        }
                        return Some((item, state));
                    }
                    if state.done {
                        return None;
                    }
                    let failure = match tokio::time::timeout(idle, state.bytes.next()).await {
                        Err(_) => ClientError::Stalled(idle),
                        Ok(None) => ClientError::StreamEnded,
                        Ok(Some(Err(e))) => unreachable(&e),
                        Ok(Some(Ok(chunk))) => {
                            state.pending.extend(
                                state
                                    .parser
                                    .feed(&chunk)
                                    .into_iter()
                                    .filter_map(decode_item),
                            );
                            continue;
                        }
                    };
                    state.pending.push_back(Err(failure));
                }
            },
        ))
    }
}

/// The live stream's state between items.
struct StreamState<S> {
    bytes: S,
    parser: SseParser,
    pending: VecDeque<Result<StreamItem, ClientError>>,
    done: bool,
}

fn decode_item(item: SseItem) -> Option<Result<StreamItem, ClientError>> {
    match item {
        SseItem::Comment => Some(Ok(StreamItem::Heartbeat)),
        SseItem::Event { event, data, .. } if event == STREAM_EVENT_CHANGE => Some(
            serde_json::from_str::<WirePage>(&data)
                .map(|page| StreamItem::Change(page.into()))
                .map_err(|e| ClientError::Decode(format!("stream event: {e}"))),
        ),
        SseItem::Event { .. } => None, // event types of later API versions
    }
}

async fn check(response: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    let error = serde_json::from_str::<ApiError>(&body).ok();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        let code = error.map_or_else(|| Code::Unauthorized.as_str().to_owned(), |e| e.error);
        return Err(ClientError::Unauthorized(code));
    }
    Err(match error {
        Some(e) => ClientError::Refused {
            status: status.as_u16(),
            message: format!("{} ({})", e.message, e.error),
            code: e.error,
            params: e.params,
        },
        None => ClientError::Refused {
            status: status.as_u16(),
            code: String::new(),
            message: body,
            params: Params::new(),
        },
    })
}

/// What the UI says of a failed call: the central's code and parameters when it refused (said
/// in the user's language), the client's words otherwise.
impl From<ClientError> for Trouble {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Unauthorized(code) => Self::refused(code),
            ClientError::Refused { code, params, .. } if !code.is_empty() => {
                Self::Refused(CodedRefusal { code, params })
            }
            other => Self::Other(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_said_in_the_centrals_code_or_left_to_the_screen_when_unreached() {
        let locked = Params::new();
        let refused = ClientError::Refused {
            status: 403,
            code: "account_locked".into(),
            message: "locked".into(),
            params: locked.clone(),
        };
        let words = |code: &str| say(Language::Zh, code, &locked);
        // (the failure, what is said)
        let cases = [
            (ClientError::Unreachable("refused".into()), None),
            (ClientError::Untrusted("self-signed".into()), None),
            (
                ClientError::Unauthorized("session_ended".into()),
                Some(("session_ended".to_owned(), words("session_ended"))),
            ),
            (
                refused,
                Some(("account_locked".to_owned(), words("account_locked"))),
            ),
            (
                ClientError::Decode("not json".into()),
                Some(("internal".to_owned(), words("internal"))),
            ),
            (
                ClientError::StreamEnded,
                Some(("internal".to_owned(), words("internal"))),
            ),
        ];
        for (error, want) in cases {
            assert_eq!(error.said(), want, "{error:?}");
        }
    }
}
