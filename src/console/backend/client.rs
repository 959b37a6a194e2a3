//! The HTTP client of the central's API, used the same way for the embedded default and a
//! remote central.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;

use super::sse::{SseItem, SseParser};
use crate::protocol::{
    API_PREFIX, ApiError, Change, ChangesPage, Health, NetworkDto, STREAM_EVENT_CHANGE,
};

/// Why a call to the central failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// No answer: refused, unreachable, timed out, or the connection broke.
    #[error("central unreachable: {0}")]
    Unreachable(String),
    /// The central answered with an error.
    #[error("central refused ({status}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The central's explanation.
        message: String,
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

/// One item of the live stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A change.
    Change(Change),
    /// A keep-alive: the link is alive and nothing has changed.
    Heartbeat,
}

/// A client of one central.
#[derive(Debug, Clone)]
pub struct CentralClient {
    base: String,
    http: reqwest::Client,
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
    ClientError::Unreachable(text)
}

impl CentralClient {
    /// A client for the central at `base` (e.g. `http://127.0.0.1:8640`).
    pub fn new(base: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("wxdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| unreachable(&e))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// The central's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let response = self
            .http
            .get(self.url(path))
            .query(query)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| unreachable(&e))?;
        let response = check(response).await?;
        let bytes = response.bytes().await.map_err(|e| unreachable(&e))?;
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

    /// `GET /changes?after=&limit=`.
    pub async fn changes(&self, after: u64, limit: u32) -> Result<ChangesPage, ClientError> {
        self.get_json(
            "/changes",
            &[("after", after.to_string()), ("limit", limit.to_string())],
        )
        .await
    }

    /// `GET /stream` from `after`: changes as they are committed. Each item must arrive within
    /// `idle` (the central's keep-alives arrive well within it) or the stream reports
    /// [`ClientError::Stalled`].
    pub async fn stream(
        &self,
        after: u64,
        idle: Duration,
    ) -> Result<impl Stream<Item = Result<StreamItem, ClientError>> + use<>, ClientError> {
        let response = self
            .http
            .get(self.url("/stream"))
            .header("Last-Event-ID", after.to_string())
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
            serde_json::from_str(&data)
                .map(StreamItem::Change)
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
    let message = serde_json::from_str::<ApiError>(&body)
        .map_or(body, |e| format!("{} ({})", e.message, e.error));
    Err(ClientError::Refused {
        status: status.as_u16(),
        message,
    })
}
