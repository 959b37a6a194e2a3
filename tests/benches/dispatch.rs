//! Warnings sent through a running central, measured at the SMSC: `wxdesk central serve` in a
//! child process with `[sms] gateway = "smpp"` at the npm `smpp` 0.5.1 SMSC of
//! tests/peers/smsc on 127.0.0.1; recipients imported over HTTP (CSV), a warning drafted,
//! approved and released over HTTP, as a bureau does. Every state goes through the central's
//! database, as it must to survive a kill.
//!
//! - `w1`, `w10`: N people (10 000) × a 2-part Chinese SMS at window 1 and 10: `submit_sm` per
//!   second at the SMSC (first to last answer), the release request's own time, release → last
//!   part, and per message queued (its outbox row's `created_at`) → its last part's answer.
//! - `first`: 50 releases of a short warning to 5 people (issue, lift, issue …): the release
//!   request sent → the first `submit_sm` answered at the SMSC, p50/p99/max.
//! - `throttled`: the SMSC answers `ESME_RTHROTTLED` beyond 50 `submit_sm` a second and the
//!   central is configured to that rate: release → last part accepted against 2N / 50 s, the
//!   throttled answers, and every part accepted exactly once.
//! - `peer`: the SMSC alone, a client of the same npm package sending 2N parts at window 1 and
//!   10: which side limits.
//!
//! `cargo bench --profile dev --bench dispatch [-- w10 …]`; `WXDESK_BENCH_RECIPIENTS` sets N
//! (default 10 000; `--quick`: 1 000). Needs `npm ci --prefix tests/peers/smsc`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[allow(dead_code)]
#[path = "../wxdesk/smpp/peer.rs"]
mod peer;

#[allow(dead_code)]
#[path = "../wxdesk/child_central.rs"]
mod child_central;

#[path = "args.rs"]
#[allow(dead_code)]
mod args;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use child_central::{Bureau, ChildCentral, SmsGateway};
use peer::{Smsc, Submit};

/// 96 UTF-16 units: two parts.
const TEXT: &str = "【清流气象】清流县气象台2025年6月17日06时30分发布暴雨黄色预警信号：预计未来6小时内我县嵩溪、林畲、里田等乡镇将出现50毫米以上降雨，并伴有雷电和短时大风，请注意防范山洪、地质灾害。";
const SHORT: &str = "【清流气象】清流县气象台发布暴雨黄色预警信号，请注意防范。";
const LIFT: &str = "【清流气象】清流县气象台解除暴雨黄色预警信号。";
const TIMEOUTS: (u64, u64) = (10_000, 30_000);

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1e3
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The SMSC's log once `n` parts were accepted (bounded wait).
async fn accepted(smsc: &Smsc, n: usize, within: Duration) -> Vec<Submit> {
    let deadline = Instant::now() + within;
    // Counted, not parsed, and not too often: the reading must not slow what it measures.
    let pause = Duration::from_millis(if n > 100 { 250 } else { 5 });
    while smsc.accepted() < n {
        assert!(
            Instant::now() < deadline,
            "only {} accepted",
            smsc.accepted()
        );
        tokio::time::sleep(pause).await;
    }
    smsc.submits()
}

/// A central at `smsc` with `people` imported: it, its users, and its directory.
async fn central(
    smsc: &Smsc,
    window: usize,
    rate: Option<u32>,
    people: u64,
) -> (ChildCentral, Bureau, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let gateway = SmsGateway {
        port: smsc.port,
        window,
        max_per_second: rate,
        timeouts_ms: TIMEOUTS,
    };
    let (central, one_time) = ChildCentral::start(dir.path(), gateway, "").await;
    let bureau = Bureau::set_up(&central.base, &one_time).await;
    assert_eq!(bureau.import_county(0, people).await, people as usize);
    (central, bureau, dir)
}

/// Each message's outbox row: when it was queued (ms) and its parts' SMSC ids; and its state.
fn rows(db: &Path, warning: &str) -> Vec<(f64, Vec<String>, String)> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let conn = rusqlite::Connection::open_with_flags(db, flags).unwrap();
    let mut statement = conn
        .prepare("SELECT created_at, coalesce(provider_id, ''), state FROM outbox WHERE idem_key LIKE ?1")
        .unwrap();
    let found = statement.query_map([format!("warning:{warning}:%")], |row| {
        let ids: String = row.get(1)?;
        let ids = ids.split(',').filter(|i| !i.is_empty()).map(str::to_owned);
        Ok((row.get::<_, i64>(0)? as f64, ids.collect(), row.get(2)?))
    });
    found.unwrap().map(Result::unwrap).collect()
}

/// N people × 2 parts at `window`: the figures of one run.
async fn throughput(people: u64, window: usize) {
    let Some(smsc) = Smsc::start(&[]) else { return };
    let (central, bureau, _dir) = central(&smsc, window, None, people).await;
    let (id, pin) = bureau.approved(TEXT, None).await;
    let released = now_ms();
    let request = Instant::now();
    assert_eq!(bureau.release(&id, &pin).await, 200);
    let request = request.elapsed();
    let parts = 2 * people as usize;
    let log = accepted(&smsc, parts, Duration::from_secs(1_800)).await;
    let (first, last) = (log[0].at, log[log.len() - 1].at);
    let answered: HashMap<&str, f64> = log
        .iter()
        .filter_map(|s| Some((s.message_id.as_deref()?, s.at)))
        .collect();
    let mut waits: Vec<f64> = rows(central.db(), &id)
        .iter()
        .map(|(queued, ids, _)| {
            let last_part = ids.iter().map(|i| answered[i.as_str()]).fold(0.0, f64::max);
            last_part - queued
        })
        .collect();
    waits.sort_by(f64::total_cmp);
    println!(
        "dispatch window {window:>2}: {people} people × 2 parts, {} submit_sm in {:.2} s = {:.0} submit_sm/s; \
         release request {:.2} s; release → last part {:.2} s; queued → last part's resp p50 {:.2} s p99 {:.2} s",
        log.len(),
        (last - first) / 1e3,
        (log.len() - 1) as f64 / ((last - first) / 1e3),
        request.as_secs_f64(),
        (last - released) / 1e3,
        percentile(&waits, 0.5) / 1e3,
        percentile(&waits, 0.99) / 1e3,
    );
}

/// 50 releases to 5 people: release request → first `submit_sm` at the SMSC.
async fn first_sms() {
    let Some(smsc) = Smsc::start(&[]) else { return };
    let (_central, bureau, _dir) = central(&smsc, 10, None, 5).await;
    let mut latencies = Vec::new();
    let mut previous: Option<String> = None;
    for i in 0..50 {
        let text = if previous.is_some() { LIFT } else { SHORT };
        let (id, pin) = bureau.approved(text, previous.as_deref()).await;
        let released = now_ms();
        assert_eq!(bureau.release(&id, &pin).await, 200);
        let log = accepted(&smsc, 5 * (i + 1), Duration::from_secs(60)).await;
        latencies.push(log[5 * i].at - released);
        previous = if previous.is_some() { None } else { Some(id) };
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "send command → first SMS at the SMSC, 50 releases to 5 people: p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
}

/// N people × 2 parts to an SMSC throttling at 50 a second, the central paced to it.
async fn throttled(people: u64) {
    let Some(smsc) = Smsc::start(&[("SMSC_THROTTLE", "50")]) else {
        return;
    };
    let (central, bureau, _dir) = central(&smsc, 10, Some(50), people).await;
    let (id, pin) = bureau.approved(TEXT, None).await;
    let released = now_ms();
    assert_eq!(bureau.release(&id, &pin).await, 200);
    let parts = 2 * people as usize;
    let log = accepted(&smsc, parts, Duration::from_secs(3_600)).await;
    let taken: Vec<&Submit> = log.iter().filter(|s| s.status == "accepted").collect();
    let mut unique: Vec<(&str, &str)> = taken
        .iter()
        .map(|s| (s.destination.as_str(), s.short_message.as_str()))
        .collect();
    unique.sort_unstable();
    unique.dedup();
    let throttled = log.iter().filter(|s| s.status == "throttled").count();
    let states = rows(central.db(), &id);
    let unsent = states
        .iter()
        .filter(|(_, _, state)| !matches!(state.as_str(), "sent" | "delivered"))
        .count();
    let took = (taken[taken.len() - 1].at - released) / 1e3;
    let ideal = parts as f64 / 50.0;
    println!(
        "throttled to 50 submit_sm/s: {people} people × 2 parts, last part accepted {took:.1} s after the release \
         ({:+.1} % of {ideal:.0} s); {throttled} throttled answers, each part accepted once: {}; rows not sent: {unsent}",
        (took / ideal - 1.0) * 100.0,
        unique.len() == taken.len() && taken.len() == parts,
    );
}

/// The SMSC alone: a client of the same npm package at `window`.
fn peer_alone(parts: u64, window: usize) {
    let Some(smsc) = Smsc::start(&[]) else { return };
    let blast = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smsc/blast.js");
    let output = Command::new("node")
        .arg(blast)
        .args([smsc.port.to_string(), parts.to_string(), window.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    println!(
        "the SMSC alone (npm smpp client) window {window:>2}: {parts} submit_sm in {:.2} s = {:.0} submit_sm/s",
        answer["seconds"].as_f64().unwrap(),
        answer["per_second"].as_f64().unwrap(),
    );
}

#[tokio::main]
async fn main() {
    let wanted = args::Wanted::from_args();
    let quick = std::env::args().any(|a| a == "--quick");
    let people = std::env::var("WXDESK_BENCH_RECIPIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 1_000 } else { 10_000 });
    if wanted.wants("peer") {
        for window in [1, 10] {
            peer_alone(2 * people, window);
        }
    }
    for window in [1, 10] {
        if wanted.wants(&format!("w{window}")) {
            throughput(people, window).await;
        }
    }
    if wanted.wants("first") {
        first_sms().await;
    }
    if wanted.wants("throttled") {
        throttled(people).await;
    }
}
