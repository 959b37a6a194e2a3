//! A link shaper for benches: a TCP proxy on 127.0.0.1 that delivers each direction's bytes at
//! most at `rate` bytes per second (a token bucket: the bytes are serialised onto a "wire" one
//! chunk after another) and `delay` after they left the wire (propagation). Loopback only, one
//! upstream, no configuration beyond the two numbers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How a link is shaped, per direction.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Bytes per second.
    pub rate: f64,
    /// One-way delay added after serialisation.
    pub delay: Duration,
}

/// Bytes the proxy delivered to its clients (the downstream direction).
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Starts counting again.
    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }

    /// Bytes delivered since the last reset.
    pub fn received(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Shape {
    /// No limit and no delay: loopback through the same proxy, to count bytes.
    pub fn unlimited() -> Self {
        Self {
            rate: f64::INFINITY,
            delay: Duration::ZERO,
        }
    }

    /// `mbit` megabits per second and `delay_ms` one way.
    pub fn mbit(mbit: f64, delay_ms: u64) -> Self {
        Self {
            rate: mbit * 1e6 / 8.0,
            delay: Duration::from_millis(delay_ms),
        }
    }
}

/// Starts a shaping proxy to `upstream` (must be loopback); returns its address and the
/// count of bytes it delivers downstream.
pub async fn start(upstream: SocketAddr, shape: Shape) -> (SocketAddr, Counter) {
    assert!(
        upstream.ip().is_loopback(),
        "the shaper proxies loopback only"
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = Counter::default();
    let downstream = counter.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let downstream = downstream.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                _ = client.set_nodelay(true);
                _ = server.set_nodelay(true);
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, shape, Counter::default()));
                tokio::spawn(pump(server_read, client_write, shape, downstream));
            });
        }
    });
    (addr, counter)
}

/// When a chunk of `len` bytes read at `now` arrives at the far end, given when the wire is
/// next free; returns `(arrival, wire free again)`.
pub fn schedule(now: Instant, wire_free: Instant, len: usize, shape: Shape) -> (Instant, Instant) {
    let start = now.max(wire_free);
    let done = start + Duration::from_secs_f64(len as f64 / shape.rate);
    (done + shape.delay, done)
}

/// Copies one direction through the shaped wire.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, shape: Shape, counter: Counter) {
    // Bounded: a sender faster than the wire is held back by TCP, as on a real link.
    let (wire, mut arrivals) = mpsc::channel::<(Instant, Vec<u8>)>(64);
    let deliver = tokio::spawn(async move {
        while let Some((at, bytes)) = arrivals.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        _ = to.shutdown().await;
    });
    let mut wire_free = Instant::now();
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        counter.0.fetch_add(n as u64, Ordering::SeqCst);
        let (arrival, free) = schedule(Instant::now(), wire_free, n, shape);
        wire_free = free;
        if wire.send((arrival, buffer[..n].to_vec())).await.is_err() {
            break;
        }
    }
    drop(wire);
    _ = deliver.await;
}
