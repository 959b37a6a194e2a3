//! A login flood against a real central, measured as the bureau's server engineer would try it:
//! `wxdesk central serve` in a child process on 127.0.0.1, then 200 wrong logins for unknown
//! users, 50 at a time — first from one address, then spread over 50 addresses (127.0.1.x, so
//! the per-address limit does not help and every attempt costs its hash) — while `/health` is
//! polled and a user at 127.0.0.2 logs in.
//!
//! Reported: the child's resident memory at idle and its peak (`VmHWM`) above idle, `/health`
//! latency percentiles during the floods, the user's login time, and the answers.
//!
//! `cargo bench --bench login_flood` (release), or `--profile dev` for the debug build (its
//! dependencies, argon2 among them, are optimised either way).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

/// A kB figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").parse().ok())
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the central; its base URL and the first administrator's one-time password.
fn serve(db: &std::path::Path) -> (Child, String, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxdesk"))
        .args(["central", "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    // Read to the end on a thread of its own: a closed pipe would fail the central's
    // announcement, and with it the start.
    let (found, password) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("central-stdout".into())
        .spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if let Some(p) = line.trim().strip_prefix("one-time password") {
                    _ = found.send(p.trim().to_owned());
                }
            }
        })
        .unwrap();
    let password = password
        .recv_timeout(Duration::from_secs(120))
        .expect("the first administrator's password");
    (child, format!("http://127.0.0.1:{port}/api/v1"), password)
}

fn client(from: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

async fn login(http: &reqwest::Client, base: &str, user: &str, password: &str) -> u16 {
    http.post(format!("{base}/auth/login"))
        .json(&json!({"username": user, "password": password, "workstation": "bench"}))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// Polls `/health` every 10 ms until `stop`; the latencies in ms.
async fn poll_health(base: String, stop: Arc<AtomicBool>) -> Vec<f64> {
    let http = client(IpAddr::from([127, 0, 0, 3]));
    let mut latencies = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let ok = http
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        assert!(ok, "health failed during the flood");
        latencies.push(start.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    latencies
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// 200 logins for unknown users, 50 at a time, from `sources` in turn; the user at
/// 127.0.0.2 logs in during the second wave. The answers by status and the user's login time.
async fn flood(
    base: &str,
    sources: &[IpAddr],
    admin_password: &str,
) -> (BTreeMap<u16, usize>, Duration) {
    let clients: Vec<reqwest::Client> = sources.iter().map(|&ip| client(ip)).collect();
    let user = client(IpAddr::from([127, 0, 0, 2]));
    let mut answers = BTreeMap::new();
    let mut user_took = Duration::ZERO;
    for wave in 0..4 {
        let logins = (0..50).map(|i| {
            let http = &clients[(wave * 50 + i) % clients.len()];
            async move { login(http, base, &format!("nobody{wave}x{i}"), "12345678").await }
        });
        let legit = async {
            if wave == 1 {
                let start = Instant::now();
                assert_eq!(login(&user, base, "admin", admin_password).await, 200);
                user_took = start.elapsed();
            }
        };
        let (statuses, ()) = tokio::join!(futures_util::future::join_all(logins), legit);
        for status in statuses {
            *answers.entry(status).or_default() += 1;
        }
    }
    (answers, user_took)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base, admin_password) = serve(&dir.path().join("central.sqlite"));
    let pid = child.id();
    let http = client(IpAddr::from([127, 0, 0, 1]));
    // Warm: health answers, one login judged, the hashing threads have run once.
    let mut ready = false;
    for _ in 0..600 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the central did not answer within a minute");
    assert_eq!(
        login(
            &client(IpAddr::from([127, 0, 0, 4])),
            &base,
            "admin",
            &admin_password
        )
        .await,
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_kb = status_kb(pid, "VmRSS");
    let idle_peak_kb = status_kb(pid, "VmHWM");

    let stop = Arc::new(AtomicBool::new(false));
    let poller = tokio::spawn(poll_health(base.clone(), Arc::clone(&stop)));
    let one = [IpAddr::from([127, 0, 0, 1])];
    let start = Instant::now();
    let (answers_one, user_one) = flood(&base, &one, &admin_password).await;
    let took_one = start.elapsed();
    let peak_one_kb = status_kb(pid, "VmHWM");
    let spread: Vec<IpAddr> = (1..=50u8).map(|i| IpAddr::from([127, 0, 1, i])).collect();
    let start = Instant::now();
    let (answers_spread, user_spread) = flood(&base, &spread, &admin_password).await;
    let took_spread = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut health = poller.await.unwrap();
    health.sort_by(f64::total_cmp);
    let peak_kb = status_kb(pid, "VmHWM");
    let after_kb = status_kb(pid, "VmRSS");
    child.kill().unwrap();
    child.wait().unwrap();

    println!(
        "login flood against `wxdesk central serve` (pid {pid}), 200 logins × 50 at a time, twice"
    );
    println!(
        "  one address:   {answers_one:?} in {took_one:.2?}; user at 127.0.0.2 logged in in {user_one:.0?}"
    );
    println!(
        "  50 addresses:  {answers_spread:?} in {took_spread:.2?}; user at 127.0.0.2 logged in in {user_spread:.0?}"
    );
    println!(
        "  memory after the one-address flood: peak {:.0} MB above idle",
        (peak_one_kb.saturating_sub(idle_kb)) as f64 / 1024.0
    );
    println!(
        "  memory: idle {:.0} MB (peak before {:.0} MB), peak {:.0} MB = {:.0} MB above idle, {:.0} MB after",
        idle_kb as f64 / 1024.0,
        idle_peak_kb as f64 / 1024.0,
        peak_kb as f64 / 1024.0,
        (peak_kb.saturating_sub(idle_kb)) as f64 / 1024.0,
        after_kb as f64 / 1024.0
    );
    println!(
        "  /health during the floods ({} polls): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        health.len(),
        percentile(&health, 0.5),
        percentile(&health, 0.99),
        percentile(&health, 1.0)
    );
}
