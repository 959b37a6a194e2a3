//! Bounds on what clients can make the central hold: how long a request may run, how many live
//! streams are open (per principal and in all), how many TLS handshakes are in flight and for
//! how long, and how long a peer may refuse to take the bytes sent to it.
//!
//! Each bound answers with a coded refusal or drops the connection; none queues without end.
//! A live stream that is dropped loses nothing: the desk reconnects with `Last-Event-ID`.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Sleep;

use super::error::Failure;
use crate::domain::refusal::Code;

/// The bounds a central enforces; [`Limits::default`] holds the shipped values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest a request may take before it is answered 503 `request_timeout` (live streams
    /// are exempt: they are meant to stay open).
    pub request_timeout: Duration,
    /// Live streams one user or device may hold open at once.
    pub streams_per_principal: usize,
    /// Live streams open at once, in all.
    pub streams_total: usize,
    /// TLS connections in their handshake (or handshaken and not yet taken by the server) at
    /// once; connections beyond them are closed at once.
    pub handshakes_in_flight: usize,
    /// Longest a client may take to finish its TLS handshake.
    pub handshake_timeout: Duration,
    /// Longest a peer may leave bytes unaccepted before its connection is dropped (a live
    /// stream's slow consumer, a client that stopped reading).
    pub write_stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            streams_per_principal: 4,
            streams_total: 256,
            handshakes_in_flight: 64,
            handshake_timeout: Duration::from_secs(10),
            write_stall: Duration::from_secs(60),
        }
    }
}

/// Answers 503 `request_timeout` for a request that runs longer than `limit`. Work already
/// handed to the database finishes on its own thread; only the answer is given up.
pub async fn time_limit(limit: Duration, request: Request, next: Next) -> Response {
    answer_within(limit, next.run(request)).await
}

/// `answer`, or the coded refusal once `limit` has passed.
async fn answer_within(limit: Duration, answer: impl Future<Output = Response>) -> Response {
    match tokio::time::timeout(limit, answer).await {
        Ok(response) => response,
        Err(_) => Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Code::RequestTimeout,
            format!(
                "the central gave up answering after {} s, its limit; work the request \
                 started may still finish, so check before repeating a change (ingest is \
                 idempotent); otherwise ask for less (a shorter range, a smaller batch)",
                limit.as_secs()
            ),
        )
        .with("seconds", limit.as_secs())
        .into_response(),
    }
}

/// The live streams open now, per principal; hands out [`StreamSlot`]s within [`Limits`].
#[derive(Debug)]
pub struct StreamSlots {
    per_principal: Mutex<HashMap<String, usize>>,
    open: watch::Sender<usize>,
}

impl Default for StreamSlots {
    fn default() -> Self {
        Self {
            per_principal: Mutex::new(HashMap::new()),
            open: watch::channel(0).0,
        }
    }
}

impl StreamSlots {
    /// A slot for one more stream of `principal`, or the refusal naming the bound it hit:
    /// 429 `too_many_streams` for the principal's own, 503 `streams_full` for the total.
    pub fn take(self: &Arc<Self>, principal: &str, limits: &Limits) -> Result<StreamSlot, Failure> {
        let mut open = self
            .per_principal
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mine = open.get(principal).copied().unwrap_or(0);
        if mine >= limits.streams_per_principal {
            return Err(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                Code::TooManyStreams,
                format!(
                    "{principal} already has {mine} live streams open, the most one user or \
                     device may hold ({}); close one first",
                    limits.streams_per_principal
                ),
            )
            .with("open", mine)
            .with("max", limits.streams_per_principal));
        }
        if *self.open.borrow() >= limits.streams_total {
            return Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                Code::StreamsFull,
                format!(
                    "the central is serving {} live streams, its most; try again later",
                    limits.streams_total
                ),
            )
            .with("max", limits.streams_total));
        }
        open.insert(principal.to_owned(), mine + 1);
        self.open.send_modify(|n| *n += 1);
        Ok(StreamSlot {
            slots: Arc::clone(self),
            principal: principal.to_owned(),
        })
    }

    /// Follows how many live streams are open.
    pub fn watch(&self) -> watch::Receiver<usize> {
        self.open.subscribe()
    }
}

/// One open live stream's place; dropping it (the stream ends) frees the place.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    principal: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .per_principal
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.principal) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.principal);
            }
        }
        self.slots.open.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A connection that fails a write (or flush) the peer has left waiting longer than `stall`,
/// so the server drops it instead of holding its buffers for ever.
#[derive(Debug)]
pub struct StallGuard<Io> {
    io: Io,
    stall: Duration,
    waiting: Option<Pin<Box<Sleep>>>,
}

impl<Io> StallGuard<Io> {
    /// Guards `io`.
    pub fn new(io: Io, stall: Duration) -> Self {
        Self {
            io,
            stall,
            waiting: None,
        }
    }

    /// Passes a write's readiness through, failing it once it has waited `stall`.
    fn bound<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.waiting = None;
            return polled;
        }
        let stall = self.stall;
        let waiting = self
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        ready!(waiting.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the peer took no bytes for {} s", stall.as_secs()),
        )))
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for StallGuard<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for StallGuard<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.bound(cx, polled)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_flush(cx);
        self.bound(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_shutdown(cx);
        self.bound(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.bound(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// A listener whose connections are [`StallGuard`]ed.
#[derive(Debug)]
pub struct Guarded<L> {
    inner: L,
    stall: Duration,
}

impl<L> Guarded<L> {
    /// Guards every connection `inner` accepts.
    pub fn new(inner: L, stall: Duration) -> Self {
        Self { inner, stall }
    }
}

impl<L: axum::serve::Listener> axum::serve::Listener for Guarded<L> {
    type Io = StallGuard<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        (StallGuard::new(io, self.stall), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl<L> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Guarded<L>>>
    for super::auth::Peer
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, Guarded<L>>) -> Self {
        Self(*stream.remote_addr())
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;

    #[test]
    fn stream_slots_bound_each_principal_and_the_total() {
        let limits = Limits {
            streams_per_principal: 2,
            streams_total: 3,
            ..Limits::default()
        };
        let slots = Arc::new(StreamSlots::default());
        let a1 = slots.take("user:a", &limits).unwrap();
        let _a2 = slots.take("user:a", &limits).unwrap();
        let refused = slots.take("user:a", &limits).unwrap_err();
        assert_eq!(
            (refused.status, refused.body.error.as_str()),
            (StatusCode::TOO_MANY_REQUESTS, "too_many_streams")
        );
        assert!(
            refused.body.message.contains("(2)"),
            "{}",
            refused.body.message
        );
        let _b1 = slots.take("device:b", &limits).unwrap();
        let full = slots.take("device:c", &limits).unwrap_err();
        assert_eq!(
            (full.status, full.body.error.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "streams_full")
        );
        assert_eq!(*slots.watch().borrow(), 3);
        drop(a1);
        assert_eq!(*slots.watch().borrow(), 2);
        let _a3 = slots.take("user:a", &limits).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_takes_no_bytes_is_dropped_after_the_stall() {
        // A pipe of 64 bytes nobody reads: the writer fills it, then waits on the peer.
        let (ours, _theirs) = tokio::io::duplex(64);
        let mut guarded = StallGuard::new(ours, Duration::from_secs(60));
        let error = guarded.write_all(&[0; 1024]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(error.to_string().contains("60 s"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_reads_slowly_keeps_its_connection() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut guarded = StallGuard::new(ours, Duration::from_secs(60));
        let reader = tokio::spawn(async move {
            let mut sink = Vec::new();
            let mut buf = [0; 16];
            loop {
                // Each read comes within the bound, however long the whole write takes.
                tokio::time::sleep(Duration::from_secs(30)).await;
                match tokio::io::AsyncReadExt::read(&mut theirs, &mut buf).await {
                    Ok(0) | Err(_) => return sink.len(),
                    Ok(n) => sink.extend_from_slice(&buf[..n]),
                }
            }
        });
        guarded.write_all(&[7; 1024]).await.unwrap();
        drop(guarded);
        assert_eq!(reader.await.unwrap(), 1024);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_time_is_answered_with_a_code() {
        let limit = Duration::from_secs(30);
        let quick = answer_within(limit, async { StatusCode::OK.into_response() }).await;
        assert_eq!(quick.status(), StatusCode::OK);
        let slow = answer_within(limit, std::future::pending()).await;
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(slow.into_body(), 4096).await.unwrap();
        let error: crate::protocol::ApiError = serde_json::from_slice(&body).unwrap();
        assert_eq!(error.error, "request_timeout");
        assert!(error.message.contains("30 s"), "{}", error.message);
    }
}
