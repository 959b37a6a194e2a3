//! The channels' HTTP routes:
//!
//! - `GET|POST /channels/wechat/callback`: the Official Account's URL check and pushes,
//!   unauthenticated but signed with the configured callback token (and recent); a template
//!   job's end or a follower's text goes to the reports worker. Without a callback token the
//!   route answers 404: an empty token would let anyone sign.
//! - `GET /outbox/summary`: rows per kind and state, no payload, no recipient; template rows
//!   left `sent` say why when no callback can bring their receipt.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, Uri};

use super::WECHAT;
use super::wechat::Hidden;
use super::wechat::callback::{self, CallbackError, CallbackQuery};
use crate::central::core::AppState;
use crate::central::error::{ApiQuery, Failure};
use crate::domain::outbox::OutboxState;
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::{OutboxCount, OutboxSummary};
use crate::store::central::outbox::inbound::KindCount;

/// How far a callback's signed timestamp may be from the central's clock, in seconds.
pub const CALLBACK_SKEW_S: i64 = 300;

/// What the status read says of template rows that no callback can settle.
pub const NO_CALLBACK: &str =
    "accepted — no delivery report: the callback is not configured ([wechat.mp] callback_token)";

/// What WeChat expects once a push is taken (anything else makes it retry).
const TAKEN: &str = "success";

/// `GET /channels/wechat/callback`: the URL check; answers `echostr` once the signature holds.
pub async fn wechat_handshake(
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<String, Failure> {
    let token = callback_token(&state, &uri)?;
    check(&state, token, &query)?;
    callback::handshake(token.expose(), &query).map_err(|e| refusal(&e))
}

/// `POST /channels/wechat/callback`: a push; a report it carries goes to the reports worker.
pub async fn wechat_push(
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<CallbackQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<&'static str, Failure> {
    let body = body.map_err(|rejection| Failure::body(&rejection))?;
    let token = callback_token(&state, &uri)?;
    check(&state, token, &query)?;
    let xml = std::str::from_utf8(&body)
        .map_err(|_| Failure::bad_request("the callback body is not UTF-8"))?;
    let report = callback::parse_push(xml, state.clock().now()).map_err(|e| refusal(&e))?;
    let Some(report) = report else {
        return Ok(TAKEN);
    };
    let reports = state.channels().reports.clone().ok_or_else(|| {
        Failure::internal("the channels' reports worker is not running; see the central's log")
    })?;
    // Answered only once committed: WeChat retries a push that got no "success" (a full
    // queue waits, within WeChat's 5 s), so a crash before the commit loses nothing.
    let durable = reports
        .commit(report)
        .await
        .map_err(|_| Failure::internal("the channels' reports worker has stopped"))?;
    if !durable {
        return Err(Failure::internal(
            "the push could not be recorded; see the central's log",
        ));
    }
    Ok(TAKEN)
}

fn callback_token<'a>(state: &'a AppState, uri: &Uri) -> Result<&'a Hidden, Failure> {
    state.channels().wechat_callback.as_ref().ok_or_else(|| {
        let mut failure =
            Failure::not_found(&Refusal::new(Code::NotFound).with("path", uri.path()));
        failure.body.message = "the WeChat callback is not configured on this central".into();
        failure
    })
}

fn check(state: &AppState, token: &Hidden, query: &CallbackQuery) -> Result<(), Failure> {
    callback::verify(token.expose(), query).map_err(|e| refusal(&e))?;
    callback::check_timestamp(query, state.clock().now(), CALLBACK_SKEW_S).map_err(|e| refusal(&e))
}

/// A refused callback: 401 for a signature or timestamp that does not hold, 400 otherwise.
fn refusal(error: &CallbackError) -> Failure {
    tracing::warn!(%error, "WeChat callback refused");
    match error {
        CallbackError::BadSignature | CallbackError::Stale { .. } => Failure::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthorized,
            error.to_string(),
        ),
        _ => Failure::bad_request(error.to_string()),
    }
}

/// `GET /outbox/summary`.
pub async fn summary(State(state): State<AppState>) -> Result<Json<OutboxSummary>, Failure> {
    let channels = state.channels().clone();
    let counts = match &channels.enqueuer {
        Some(enqueuer) => {
            let outbox = enqueuer.outbox().clone();
            tokio::task::spawn_blocking(move || outbox.counts_by_kind())
                .await
                .map_err(|e| Failure::task(&e))?
                .map_err(|e| Failure::store(&e))?
        }
        None => Vec::new(),
    };
    let callback = channels.wechat_callback.is_some();
    Ok(Json(OutboxSummary {
        time: state.clock().now().to_rfc3339(),
        dispatching: channels.kinds.iter().map(|k| (*k).to_owned()).collect(),
        counts: counts.iter().map(|c| count_line(c, callback)).collect(),
    }))
}

/// One line of the summary, with why its rows wait, if the central knows.
pub fn count_line(count: &KindCount, wechat_callback: bool) -> OutboxCount {
    let stuck = count.kind == WECHAT && count.state == OutboxState::Sent && !wechat_callback;
    OutboxCount {
        kind: count.kind.clone(),
        state: count.state.code().to_owned(),
        count: count.count,
        note: stuck.then(|| NO_CALLBACK.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sent_template_rows_without_a_callback_carry_the_note() {
        let table = [
            (WECHAT, OutboxState::Sent, false, true),
            (WECHAT, OutboxState::Sent, true, false),
            (WECHAT, OutboxState::Queued, false, false),
            ("wecom", OutboxState::Sent, false, false),
            ("sms", OutboxState::Sent, false, false),
        ];
        for (kind, state, callback, noted) in table {
            let count = KindCount {
                kind: kind.to_owned(),
                state,
                count: 2,
            };
            let line = count_line(&count, callback);
            assert_eq!(line.note.is_some(), noted, "{kind} {state:?} {callback}");
            assert_eq!((line.count, line.state.as_str()), (2, state.code()));
        }
    }

    #[test]
    fn a_forged_callback_is_unauthorized_and_a_malformed_one_bad() {
        let table = [
            (CallbackError::BadSignature, StatusCode::UNAUTHORIZED),
            (
                CallbackError::Stale {
                    skew_s: 900,
                    max_s: 300,
                },
                StatusCode::UNAUTHORIZED,
            ),
            (CallbackError::NotXml("eof".into()), StatusCode::BAD_REQUEST),
            (CallbackError::NoEchostr, StatusCode::BAD_REQUEST),
        ];
        for (error, status) in table {
            assert_eq!(refusal(&error).status, status, "{error}");
        }
    }
}
