//! `GET /stream`: the change log as server-sent events, resumable from a cursor.
//!
//! Each event is a [`ChangesPage`] of one change with the chunks of the hours it names (each
//! chunk once per page read), and its `id` is the change's cursor.
//!
//! The stream reads the log from the database in pages after the last `seq` it sent, and when
//! it has caught up waits for the head (bumped by ingest after each commit) to pass that `seq`
//! before reading again. The database is the only source of events, so a stream can neither
//! skip nor repeat a change, however ingests and reads interleave.
//!
//! A stream outlives the request that opened it, so it checks its session again before each
//! read and ends when the session does (expiry, logout, a disabled account, a password reset):
//! the client's reconnect then meets the guard and learns it must log in again.
//!
//! Streams are bounded ([`Limits`](super::limits::Limits)): a few per user or device and a
//! total, refused with a code beyond them. A stream holds at most one page of changes; the
//! connection's writes are bounded in time, so a consumer that stops reading is dropped rather
//! than buffered for, and resumes from `Last-Event-ID` when it reconnects.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::watch;

use super::auth::{Principal, SignedIn};
use super::core::AppState;
use super::error::{ApiQuery, Failure};
use super::limits::StreamSlot;
use super::version::{SyncProtocol, check_not_ahead, cursor_seq};
use crate::domain::time::DAY_MS;
use crate::protocol::{
    Change, ChangesPage, ChunkDto, Cursor, STREAM_EVENT_CHANGE, SeriesHour, StreamQuery,
};

/// Changes read from the database at a time while catching up.
const PAGE: usize = 500;

/// `GET /stream?after=CURSOR` (or `Last-Event-ID: CURSOR`, which wins). Without either, only
/// changes from now on are sent.
pub async fn stream(
    _: SyncProtocol,
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Failure> {
    let resume = match last_event_id(&headers)? {
        Some(seq) => Some(seq),
        None => cursor_seq(query.after.as_deref())?,
    };
    let slot = state
        .stream_slots()
        .take(&holder(&principal), state.limits())?;
    let head = state.blocking(|store| store.head()).await?;
    let after = resume.unwrap_or(head);
    check_not_ahead(after, head)?;
    // A resume from before the kept log would skip changes: 410, the desk bootstraps.
    super::snapshot::check_cursor(&state, after).await?;
    let keep_alive = KeepAlive::new().interval(state.keep_alive());
    let follow = Follow {
        _slot: slot,
        after,
        page: VecDeque::new(),
        chunks: HashMap::new(),
        page_head: head,
        head: state.watch_head(),
        shutdown: state.watch_shutdown(),
        session: match principal {
            Principal::User(user) => Some(user),
            Principal::Device(..) => None,
        },
        state,
    };
    let events = futures_util::stream::unfold(follow, |mut follow| async move {
        let page = follow.next().await?;
        let event = to_event(&page)?;
        Some((Ok(event), follow))
    });
    Ok(Sse::new(events).keep_alive(keep_alive))
}

/// The resume position from `Last-Event-ID` (a cursor), if the client sent one.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, Failure> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    cursor_seq(Some(value.to_str().unwrap_or("\u{fffd}")))
}

/// One event: a page of one change, its `id` the change's cursor so a reconnecting client
/// resumes after it.
fn to_event(page: &ChangesPage) -> Option<Event> {
    let change = page.changes.first()?;
    let event = Event::default()
        .id(change.cursor.as_str())
        .event(STREAM_EVENT_CHANGE)
        .json_data(page);
    match event {
        Ok(event) => Some(event),
        Err(error) => {
            tracing::error!(cursor = %change.cursor, %error, "change does not encode; ending stream");
            None
        }
    }
}

/// Who holds a stream, as its bound counts them.
fn holder(principal: &Principal) -> String {
    match principal {
        Principal::User(user) => format!("user {}", user.username),
        Principal::Device(name, _) => format!("device {name}"),
    }
}

/// One client's position in the log.
struct Follow {
    /// The stream's place among those open, freed when the stream ends.
    _slot: StreamSlot,
    state: AppState,
    /// The last `seq` sent.
    after: u64,
    /// Read but not yet sent.
    page: VecDeque<(u64, Change)>,
    /// Chunks of the page read, not yet sent with a change.
    chunks: HashMap<SeriesHour, ChunkDto>,
    /// The head when the page was read.
    page_head: u64,
    head: watch::Receiver<u64>,
    shutdown: watch::Receiver<bool>,
    /// The session that opened the stream (devices have none).
    session: Option<SignedIn>,
}

impl Follow {
    /// The next change after the cursor, waiting for one if need be; `None` ends the stream
    /// (shutdown, or a database failure, already logged: the client resumes by reconnecting).
    async fn next(&mut self) -> Option<ChangesPage> {
        loop {
            if *self.shutdown.borrow() {
                return None;
            }
            if let Some((seq, change)) = self.page.pop_front() {
                self.after = seq;
                let chunks = change
                    .named_hours()
                    .iter()
                    .filter_map(|hour| self.chunks.remove(hour))
                    .collect();
                return Some(ChangesPage {
                    next: change.cursor.clone(),
                    changes: vec![change],
                    chunks,
                    head: Cursor::from_seq(self.page_head),
                    behind: self.page_head.saturating_sub(seq),
                });
            }
            if !self.session_alive().await {
                return None;
            }
            let after = self.after;
            let page = self
                .state
                .blocking(move |store| store.changes_after(after, PAGE, None))
                .await
                .ok()?;
            if !page.changes.is_empty() {
                self.page = page.changes.into();
                self.chunks = page
                    .chunks
                    .into_iter()
                    .map(|c| (c.hour.clone(), c))
                    .collect();
                self.page_head = page.head;
                continue;
            }
            // Wake at the session's end at the latest (a day at most: devices have no end).
            let remaining = self.session.as_ref().map_or(DAY_MS, |user| {
                (user.expires_at.millis() - self.state.clock().now().millis()).min(DAY_MS)
            });
            let expiry = std::time::Duration::from_millis(u64::try_from(remaining).unwrap_or(0));
            tokio::select! {
                moved = self.head.wait_for(|&head| head > after) => {
                    if moved.is_err() {
                        return None;
                    }
                }
                () = tokio::time::sleep(expiry) => {}
                _ = self.shutdown.wait_for(|&stop| stop) => return None,
            }
        }
    }

    /// Whether the session that opened the stream still holds.
    async fn session_alive(&self) -> bool {
        let Some(user) = self.session.clone() else {
            return true;
        };
        let now = self.state.clock().now();
        self.state
            .blocking(move |store| store.session(user.token, now))
            .await
            .is_ok_and(|row| row.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_is_a_cursor_or_a_clear_error() {
        let mut headers = HeaderMap::new();
        assert_eq!(last_event_id(&headers).unwrap(), None);
        headers.insert(
            "last-event-id",
            Cursor::from_seq(42).as_str().parse().unwrap(),
        );
        assert_eq!(last_event_id(&headers).unwrap(), Some(42));
        // A protocol-1 desk's numeric id is not a cursor.
        headers.insert("last-event-id", "42".parse().unwrap());
        let failure = last_event_id(&headers).unwrap_err();
        assert_eq!(failure.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(failure.body.error, "invalid_cursor");
    }
}
