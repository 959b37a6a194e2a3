//! Where observations go: the central's ingest endpoint over HTTP, or a channel in-process.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::domain::Observation;
use crate::domain::access::Secret;
use crate::protocol::{
    API_PREFIX, ApiError, IngestRequest, IngestResponse, ObservationRecord, RecordResult,
    RecordStatus,
};

/// Why a batch was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Unreachable, timed out, overloaded or failing (5xx): try the same batch again later.
    #[error("central unavailable: {0}")]
    Unavailable(String),
    /// The central refused the whole batch (4xx): retrying cannot help; it means a bug here.
    #[error("central refused the batch: {0}")]
    Refused(String),
}

/// Something that accepts batches of observations, as the central's ingest does.
pub trait ObservationSink: Send {
    /// Delivers one batch; on success, the central's verdict on each record.
    fn send(
        &mut self,
        batch: &[Observation],
    ) -> impl Future<Output = Result<IngestResponse, SinkError>> + Send;
}

/// Posts [`IngestRequest`]s to `{central}/api/v1/observations`, authenticated with a device key.
#[derive(Debug, Clone)]
pub struct HttpSink {
    client: reqwest::Client,
    url: String,
}

impl HttpSink {
    /// How long one batch may take before it counts as failed (and is retried).
    pub const TIMEOUT: Duration = Duration::from_secs(30);

    /// A sink posting to the central at `central` (e.g. `http://127.0.0.1:8640`) with the
    /// device key `key`, trusting `extra_roots` besides the system's roots for `https`. A TLS
    /// provider must be installed first (`main` does).
    pub fn new(
        central: &str,
        key: &Secret,
        extra_roots: Vec<reqwest::Certificate>,
    ) -> Result<Self, reqwest::Error> {
        let mut bearer =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Bearer -"));
        // Marked sensitive: never shown in reqwest's debug output.
        bearer.set_sensitive(true);
        let headers =
            reqwest::header::HeaderMap::from_iter([(reqwest::header::AUTHORIZATION, bearer)]);
        let mut builder = reqwest::Client::builder()
            .timeout(Self::TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("wxdesk-sim/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers);
        if !extra_roots.is_empty() {
            builder = builder.tls_certs_merge(extra_roots);
        }
        let client = builder.build()?;
        Ok(Self {
            client,
            url: format!("{}{API_PREFIX}/observations", central.trim_end_matches('/')),
        })
    }

    /// The ingest URL posted to.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn post(&self, batch: &[Observation]) -> Result<IngestResponse, SinkError> {
        let request = IngestRequest {
            observations: batch
                .iter()
                .map(|o| serde_json::to_value(ObservationRecord::from(o)))
                .collect::<Result<_, _>>()
                .map_err(|e| SinkError::Refused(format!("cannot encode a record: {e}")))?,
        };
        let response = self
            .client
            .post(&self.url)
            .json(&request)
            .send()
            .await
            .map_err(|e| SinkError::Unavailable(error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            return response.json::<IngestResponse>().await.map_err(|e| {
                SinkError::Refused(format!("unreadable ingest response: {}", error_chain(&e)))
            });
        }
        let body = response.text().await.unwrap_or_default();
        let reason = serde_json::from_str::<ApiError>(&body).map_or_else(
            |_| body.chars().take(200).collect::<String>(),
            |e| format!("{}: {}", e.error, e.message),
        );
        let message = if status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::FORBIDDEN
        {
            // The archive is labelled imported: a key without --may-import may not send it.
            let issue = if reason.starts_with(crate::protocol::error_code::SOURCE_NOT_PERMITTED) {
                "wxdesk central device-key --may-import"
            } else {
                "wxdesk central device-key"
            };
            format!(
                "HTTP {status}: the central refused this device key ({reason}); issue one with `{issue}`"
            )
        } else {
            format!("HTTP {status}: {reason}")
        };
        // A refused key keeps the data queued: once the key is fixed, nothing was lost.
        let retry = status.is_server_error()
            || status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::FORBIDDEN
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        Err(if retry {
            SinkError::Unavailable(message)
        } else {
            SinkError::Refused(message)
        })
    }
}

impl ObservationSink for HttpSink {
    fn send(
        &mut self,
        batch: &[Observation],
    ) -> impl Future<Output = Result<IngestResponse, SinkError>> + Send {
        self.post(batch)
    }
}

/// An error with its causes, `outer: inner: innermost`: reqwest's own message rarely says
/// *why* (connection refused, timed out).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Hands batches to an in-process receiver and reports every record stored; for tests and for
/// feeding something in the same process without HTTP.
#[derive(Debug, Clone)]
pub struct ChannelSink {
    sender: mpsc::Sender<Vec<Observation>>,
}

impl ChannelSink {
    /// A sink and the receiving end of its bounded channel.
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<Vec<Observation>>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        (Self { sender }, receiver)
    }
}

impl ObservationSink for ChannelSink {
    fn send(
        &mut self,
        batch: &[Observation],
    ) -> impl Future<Output = Result<IngestResponse, SinkError>> + Send {
        let batch = batch.to_vec();
        async move {
            let count = batch.len();
            self.sender
                .send(batch)
                .await
                .map_err(|_| SinkError::Unavailable("receiver closed".into()))?;
            Ok(all_stored(count))
        }
    }
}

/// The response of a central that stored every one of `count` records.
pub fn all_stored(count: usize) -> IngestResponse {
    IngestResponse {
        stored: count,
        duplicate: 0,
        partial: 0,
        rejected: 0,
        results: (0..count)
            .map(|index| RecordResult {
                index,
                status: RecordStatus::Stored,
                stored_values: 0,
                errors: Vec::new(),
                refusals: Vec::new(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::StatusCode;
    use axum::routing::post;
    use axum::{Json, Router};

    use super::*;
    use crate::domain::{Element, Source, StationId, Timestamp};

    fn observation() -> Observation {
        Observation {
            station: StationId::parse("58819").unwrap(),
            time: Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap(),
            source: Source::Backfilled,
            values: [(Element::Tem, 12.3), (Element::Rhu, 85.0)].into(),
        }
    }

    /// A stand-in central: answers 503 to the first `failures` posts, then records the body
    /// and stores everything.
    async fn fake_central(failures: usize) -> (String, Arc<std::sync::Mutex<Vec<IngestRequest>>>) {
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let calls = Arc::new(AtomicUsize::new(0));
        let store = received.clone();
        let app = Router::new()
            .route(
                "/api/v1/observations",
                post(move |Json(body): Json<IngestRequest>| {
                    let store = store.clone();
                    let calls = calls.clone();
                    async move {
                        if calls.fetch_add(1, Ordering::SeqCst) < failures {
                            return Err((
                                StatusCode::SERVICE_UNAVAILABLE,
                                Json(ApiError {
                                    error: "unavailable".into(),
                                    message: "database busy".into(),
                                    params: Default::default(),
                                }),
                            ));
                        }
                        let count = body.observations.len();
                        store.lock().unwrap().push(body);
                        Ok(Json(all_stored(count)))
                    }
                }),
            )
            .route(
                "/bad/api/v1/observations",
                post(|| async {
                    (
                        StatusCode::BAD_REQUEST,
                        Json(ApiError {
                            error: "bad_request".into(),
                            message: "observations: missing field".into(),
                            params: Default::default(),
                        }),
                    )
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{address}/"), received)
    }

    #[tokio::test]
    async fn http_sink_posts_records_and_classifies_failures() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (central, received) = fake_central(1).await;
        let mut sink = HttpSink::new(&central, &Secret::new("wxd_test"), Vec::new()).unwrap();
        assert!(sink.url().ends_with("/api/v1/observations") && !sink.url().contains("//api"));
        let batch = [observation()];

        let first = sink.send(&batch).await.unwrap_err();
        assert!(matches!(first, SinkError::Unavailable(_)), "{first}");
        assert!(first.to_string().contains("503") && first.to_string().contains("database busy"));

        let response = sink.send(&batch).await.unwrap();
        assert_eq!(response.stored, 1);
        let bodies = received.lock().unwrap().clone();
        assert_eq!(bodies.len(), 1);
        let record = &bodies[0].observations[0];
        assert_eq!(record["station"], "58819");
        assert_eq!(record["time"], "2026-11-27T10:00:00Z");
        assert_eq!(record["source"], "backfilled");
        assert_eq!(record["values"]["TEM"], 12.3);

        let mut bad = HttpSink::new(
            &format!("{central}bad"),
            &Secret::new("wxd_test"),
            Vec::new(),
        )
        .unwrap();
        let refused = bad.send(&batch).await.unwrap_err();
        assert!(matches!(refused, SinkError::Refused(_)), "{refused}");
        assert!(refused.to_string().contains("missing field"), "{refused}");
    }

    #[tokio::test]
    async fn an_unreachable_central_is_unavailable_not_refused() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Bind then drop: nothing listens on the port any more.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let mut sink = HttpSink::new(
            &format!("http://{address}"),
            &Secret::new("wxd_test"),
            Vec::new(),
        )
        .unwrap();
        let error = sink.send(&[observation()]).await.unwrap_err();
        assert!(matches!(error, SinkError::Unavailable(_)), "{error}");
    }
}
