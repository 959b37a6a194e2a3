//! The outbox's own cost, measured: enqueueing messages one by one (each its own commit, as a
//! composer does), then dispatching them in passes of `batch` through a provider that answers
//! at once — so the figure is the outbox's bookkeeping (claim, mark sending, mark sent, all
//! fenced and committed), not a channel's latency.
//!
//! `cargo bench --bench outbox`; `WXDESK_BENCH_MESSAGES` and `WXDESK_BENCH_BATCH` change the
//! count and the claim size.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{self, DispatchConfig, Provider, ProviderCall};
use wxdesk::domain::Timestamp;
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::store::central::SqliteCentralStore;
use wxdesk::store::central::outbox::{NewMessage, OutboxRow, SqliteOutbox};

struct AtOnce;

impl Provider for AtOnce {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(async move { Ok(format!("p-{}", row.id)) })
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let messages = env("WXDESK_BENCH_MESSAGES", 5_000);
    let batch = env("WXDESK_BENCH_BATCH", 100);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    let qc = wxdesk::assets::qc_config().unwrap();
    drop(SqliteCentralStore::open(&path, &network, qc).unwrap());
    let outbox = Arc::new(SqliteOutbox::open(&path).unwrap());
    let now = Timestamp(1_800_000_000_000);

    let started = Instant::now();
    for i in 0..messages {
        let message = NewMessage {
            idem_key: format!("warning-1:v1:recipient-{i}:sms"),
            kind: "sms".to_owned(),
            payload: r#"{"text":"清流县气象台发布暴雨蓝色预警"}"#.to_owned(),
            due_at: now,
        };
        outbox.enqueue(&message, now).unwrap();
    }
    let enqueued = started.elapsed();

    let clock: SharedClock = ManualClock::new(now);
    let config = DispatchConfig {
        owner: "bench".to_owned(),
        lease_ms: 30_000,
        batch,
        retry_base_ms: 1_000,
        retry_cap_ms: 60_000,
        failpoints: Failpoints::none(),
        kind: None,
        concurrency: 1,
    };
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let done = dispatch::dispatch_once(&outbox, &AtOnce, &clock, &config)
            .await
            .unwrap();
        if done.sent == 0 {
            break;
        }
        sent += done.sent;
    }
    let dispatched = started.elapsed();
    assert_eq!(sent, messages);
    let rate = |d: std::time::Duration| messages as f64 / d.as_secs_f64();
    println!(
        "outbox: {messages} messages; enqueue {:.2} s ({:.0}/s); dispatch in passes of {batch} \
         {:.2} s ({:.0}/s)",
        enqueued.as_secs_f64(),
        rate(enqueued),
        dispatched.as_secs_f64(),
        rate(dispatched),
    );
}
