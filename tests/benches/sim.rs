//! What the station simulator costs, the figures the sim tests used to print while asserting
//! nothing about them:
//!
//! - `day`: 24 hours × 16 stations of minute history, planned and generated;
//! - `minute`: one live minute of every station (what the running simulator does each minute);
//! - `year`: a year × 16 stations of hourly archive.
//!
//! `cargo bench --bench sim`. Each runs a few times and reports min and median wall time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use wxdesk::domain::Timestamp;
use wxdesk::domain::time::DAY_MS;
use wxdesk::sim::simulator::Simulator;

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// Runs `work` `runs` times; prints min and median and what one run produced.
fn measure(name: &str, runs: usize, mut work: impl FnMut() -> usize) {
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut produced = 0;
    for _ in 0..runs {
        let started = Instant::now();
        produced = std::hint::black_box(work());
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{name}: {produced} records; min {:?}, median {median:?} ({:.2} µs a record)",
        times[0],
        median.as_secs_f64() * 1e6 / produced.max(1) as f64
    );
}

fn main() {
    let started = Instant::now();
    let sim = Simulator::new(&wxdesk::assets::qingliu_network().unwrap()).unwrap();
    println!("driver parse and set-up: {:?}", started.elapsed());
    measure("day (24 h × 16 stations, minutes)", 5, || {
        let history = sim.history(at("2026-07-01T00:00:00Z"), at("2026-07-02T00:00:00Z"));
        sim.observations(&history).len()
    });
    measure("minute (one live minute, all stations)", 1000, || {
        sim.observations(&sim.deliveries_at(at("2026-07-03T00:07:00Z")))
            .len()
    });
    let to = at("2026-07-01T00:00:00Z");
    measure("year (a year × 16 stations of hourly archive)", 3, || {
        let plan = sim.archive(to.plus_ms(-365 * DAY_MS), to);
        sim.observations(&plan).len()
    });
}
