//! SMS over SMPP, measured end to end: N recipients × a 2-part Chinese warning enqueued in the
//! outbox at once, dispatched (`concurrency` = the window) through `SmppProvider` to the npm
//! `smpp` 0.5.1 SMSC of tests/peers/smsc on 127.0.0.1. Per window (1 and 10): `submit_sm` per
//! second, and p50/p99 from queued to the last part's `submit_sm_resp` (and of one provider call).
//!
//! `cargo bench --bench smpp`; `WXDESK_BENCH_RECIPIENTS` sets N (default 500; 10000 for the
//! README figure); `-- w10` runs one window only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[allow(dead_code)]
#[path = "../wxdesk/smpp/peer.rs"]
mod peer;

#[path = "args.rs"]
#[allow(dead_code)]
mod args;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wxdesk::central::channels::inbox::ReportSender;
use wxdesk::central::channels::smpp::{Hidden, SmppConfig, SmppProvider};
use wxdesk::central::channels::{SMS, SmsPayload};
use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{self, DispatchConfig, Provider, ProviderCall};
use wxdesk::domain::Timestamp;
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::store::central::SqliteCentralStore;
use wxdesk::store::central::outbox::{NewMessage, OutboxRow, SqliteOutbox};

/// 96 UTF-16 units: two parts (the golden vector's text).
const TEXT: &str = "【清流气象】清流县气象台2025年6月17日06时30分发布暴雨黄色预警信号：预计未来6小时内我县嵩溪、林畲、里田等乡镇将出现50毫米以上降雨，并伴有雷电和短时大风，请注意防范山洪、地质灾害。";
const NOW: Timestamp = Timestamp(1_800_000_000_000);

/// The provider, timing each call's end and length by row id.
struct Timed {
    inner: SmppProvider,
    ended: Mutex<HashMap<i64, (Instant, Duration)>>,
}

impl Provider for Timed {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(async move {
            let start = Instant::now();
            let answer = self.inner.send(row).await;
            let end = Instant::now();
            self.ended
                .lock()
                .unwrap()
                .insert(row.id, (end, end - start));
            answer
        })
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn outbox(dir: &std::path::Path) -> Arc<SqliteOutbox> {
    let path = dir.join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    let qc = wxdesk::assets::qc_config().unwrap();
    drop(SqliteCentralStore::open(&path, &network, qc).unwrap());
    Arc::new(SqliteOutbox::open(&path).unwrap())
}

fn provider(port: u16, window: usize, clock: SharedClock) -> SmppProvider {
    let config = SmppConfig {
        host: "127.0.0.1".to_owned(),
        port,
        system_id: "bench".to_owned(),
        password: Hidden::new("bench"),
        system_type: String::new(),
        source_addr: "106900001".to_owned(),
        window,
        max_submits_per_second: None,
        connect_timeout_ms: 5_000,
        response_timeout_ms: 30_000,
        enquire_link_ms: 30_000,
    };
    let (sender, mut reports) = ReportSender::channel(1024);
    // Receipts are not measured here; drained so the link never waits on them.
    // Taken as committed: the SMSC forgets each receipt once answered.
    tokio::spawn(async move {
        while let Some(incoming) = reports.recv().await {
            incoming.acknowledge(true);
        }
    });
    SmppProvider::new(config, sender, clock)
}

async fn run(recipients: usize, window: usize) {
    let Some(smsc) = peer::Smsc::start(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let outbox = outbox(dir.path());
    let clock: SharedClock = ManualClock::new(NOW);
    let timed = Timed {
        inner: provider(smsc.port, window, clock.clone()),
        ended: Mutex::default(),
    };
    let mut queued = HashMap::new();
    for i in 0..recipients {
        let payload = SmsPayload {
            to: format!("138{i:08}"),
            text: TEXT.to_owned(),
        };
        let message = NewMessage {
            idem_key: format!("w1-v1-{i}-sms"),
            kind: SMS.to_owned(),
            payload: serde_json::to_string(&payload).unwrap(),
            due_at: NOW,
        };
        queued.insert(outbox.enqueue(&message, NOW).unwrap().0, Instant::now());
    }
    let config = DispatchConfig {
        owner: "bench".to_owned(),
        lease_ms: 600_000,
        batch: 200,
        retry_base_ms: 1_000,
        retry_cap_ms: 60_000,
        kind: Some(SMS.to_owned()),
        concurrency: window,
        failpoints: Failpoints::none(),
    };
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let done = dispatch::dispatch_once(&outbox, &timed, &clock, &config)
            .await
            .unwrap();
        assert_eq!(done.retried + done.refused + done.unknown, 0, "{done:?}");
        if done.sent == 0 {
            break;
        }
        sent += done.sent;
    }
    let elapsed = started.elapsed();
    assert_eq!(sent, recipients);
    let submits = smsc.submits().len();
    assert_eq!(submits, 2 * recipients);
    let ended = timed.ended.into_inner().unwrap();
    let mut waits: Vec<Duration> = ended
        .iter()
        .map(|(id, (end, _))| *end - queued[id])
        .collect();
    let mut calls: Vec<Duration> = ended.values().map(|(_, call)| *call).collect();
    waits.sort();
    calls.sort();
    println!(
        "smpp window {window:>2}: {recipients} recipients × 2 parts, {submits} submit_sm in {:.2} s \
         = {:.0} submit_sm/s; queued→resp p50 {:.0} ms p99 {:.0} ms; one call p50 {:.2} ms p99 {:.2} ms",
        elapsed.as_secs_f64(),
        submits as f64 / elapsed.as_secs_f64(),
        percentile(&waits, 0.5),
        percentile(&waits, 0.99),
        percentile(&calls, 0.5),
        percentile(&calls, 0.99),
    );
}

#[tokio::main]
async fn main() {
    let wanted = args::Wanted::from_args();
    let recipients = std::env::var("WXDESK_BENCH_RECIPIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    for window in [1, 10] {
        if wanted.wants(&format!("w{window}")) {
            run(recipients, window).await;
        }
    }
}
