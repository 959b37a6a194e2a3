//! SMS over CMPP 2.0, measured end to end on 127.0.0.1: messages enqueued in the outbox, then
//! dispatched in passes through `CmppProvider` to the tests' gateway (its own codec), one
//! session, each SUBMIT waiting for its `SUBMIT_RESP` — so the figure is the outbox's
//! bookkeeping plus one round trip per part, with no rate limit on either side.
//!
//! `cargo bench --bench cmpp`; `WXDESK_BENCH_MESSAGES` changes the count per text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[allow(dead_code, unreachable_pub)]
#[path = "../wxdesk/cmpp/gateway.rs"]
mod gateway;

use std::sync::Arc;
use std::time::Instant;

use wxdesk::central::channels::cmpp::{CmppConfig, CmppProvider, Hidden};
use wxdesk::central::channels::inbox::ReportSender;
use wxdesk::central::channels::{SMS, SmsPayload};
use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{self, DispatchConfig};
use wxdesk::domain::Timestamp;
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::store::central::SqliteCentralStore;
use wxdesk::store::central::outbox::{NewMessage, SqliteOutbox};

use gateway::{Gateway, Script};

const SHORT: &str = "【清流气象】清流县气象台发布暴雨蓝色预警信号，请注意防范。";
const LONG: &str = "【清流气象】清流县气象台2026年6月17日6时30分发布暴雨黄色预警信号：预计未来6小时内嵩溪、灵地、长校等乡镇降雨量将达50毫米以上，请注意防范山洪、地质灾害及城乡积涝。";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn outbox(dir: &std::path::Path) -> Arc<SqliteOutbox> {
    let path = dir.join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    let qc = wxdesk::assets::qc_config().unwrap();
    drop(SqliteCentralStore::open(&path, &network, qc).unwrap());
    Arc::new(SqliteOutbox::open(&path).unwrap())
}

/// Sends `messages` copies of `text`; answers (seconds, submits).
async fn run(messages: usize, text: &str) -> (f64, usize) {
    let gateway = Gateway::start(Script {
        sp_id: "901234".into(),
        secret: "secret12".into(),
        ..Script::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let outbox = outbox(dir.path());
    let now = Timestamp(1_800_000_000_000);
    for i in 0..messages {
        let payload = SmsPayload {
            to: format!("138{i:08}"),
            text: text.into(),
        };
        let message = NewMessage {
            idem_key: format!("m{i}"),
            kind: SMS.into(),
            payload: serde_json::to_string(&payload).unwrap(),
            due_at: now,
        };
        outbox.enqueue(&message, now).unwrap();
    }
    let clock: SharedClock = ManualClock::new(now);
    let config = CmppConfig {
        host: "127.0.0.1".into(),
        port: gateway.addr.port(),
        source_addr: "901234".into(),
        shared_secret: Hidden::new("secret12"),
        service_id: "QXYJ".into(),
        src_id: "106900001".into(),
        window: 16,
        max_submits_per_second: 1_000_000,
        connect_timeout_ms: 5_000,
        response_timeout_ms: 5_000,
        active_test_interval_s: 180,
    };
    let (tx, _reports) = ReportSender::channel(16);
    let provider = CmppProvider::new(config, Arc::clone(&clock), tx);
    let pass = DispatchConfig {
        owner: "bench".into(),
        lease_ms: 60_000,
        batch: 100,
        retry_base_ms: 1_000,
        retry_cap_ms: 60_000,
        kind: Some(SMS.into()),
        concurrency: 1,
        failpoints: Failpoints::none(),
    };
    let started = Instant::now();
    let mut sent = 0;
    while sent < messages {
        let done = dispatch::dispatch_once(&outbox, &provider, &clock, &pass)
            .await
            .unwrap();
        assert_eq!(
            done.sent,
            done.sent + done.retried + done.refused + done.unknown
        );
        sent += done.sent;
    }
    let seconds = started.elapsed().as_secs_f64();
    (seconds, gateway.submits(0).await.len())
}

#[tokio::main]
async fn main() {
    let messages = env("WXDESK_BENCH_MESSAGES", 2_000);
    for (name, text) in [("1 part", SHORT), ("2 parts", LONG)] {
        let (seconds, submits) = run(messages, text).await;
        println!(
            "cmpp: {messages} messages of {name}: {seconds:.2} s, {:.0} messages/s, {:.0} submits/s",
            messages as f64 / seconds,
            submits as f64 / seconds,
        );
    }
}
