//! Devices' telemetry into a real central through Mosquitto (`QoS` 1, acknowledged to the
//! broker only once stored), measured as issue 13 asks. Everything runs on 127.0.0.1 in this
//! process but the broker; `support/mqtt_central.rs` starts the broker and the central.
//!
//! `ramp`: `WXDESK_BENCH_DEVICES` (1 000) gardens, each publishing at a paced rate that starts
//! at one report a second and doubles every `WXDESK_BENCH_STEP_S` (20) seconds, until the
//! central no longer keeps up or the rate reaches `WXDESK_BENCH_MAX_RATE` (64) a second each.
//! A report is the device's next minute (its time one minute after its previous, so QC's
//! windows and the chunks see minute data as in service), 5 values and health. Per step: the
//! reports published and stored per second, the backlog at the step's end, publish → stored
//! p50/p99, the change log's growth, and the CPU time of the central (its own runtime's threads,
//! `SQLite`'s blocking ones included), of the devices (another runtime) and of the broker. A step is sustained when the stored rate is within 2 % of the published
//! one and the backlog at its end is under a second's reports. Publish → stored pairs the k-th
//! report published with the k-th stored (the broker and the telemetry worker keep arrival
//! order), and a report is stored when the worker reports its batch committed. After the last
//! step the devices stop and every report must be stored exactly once: the worker's count
//! must reach the published count and not pass it.
//!
//! `drawn`: one garden and one desk: the console's backend (sync following the central's live
//! stream into its cache) and the desk's `App`, run headless as eframe would run it: it sleeps
//! until the backend's waker asks for a repaint, then runs a frame (`logic` + `ui`, egui pass
//! and tessellation; no GPU). Each of `WXDESK_BENCH_PROBES` (200) reports is published 50–150 ms
//! after the previous one was drawn; measured from the publish call to the end of the first
//! frame after which the desk's state holds the report's time for the garden's station.
//!
//! `cargo bench --profile dev --bench telemetry -- ramp` (or `-- drawn`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[allow(dead_code, unreachable_pub)]
#[path = "../wxdesk/mqtt/peer.rs"]
mod peer;

#[allow(dead_code)]
#[path = "support/mqtt_central.rs"]
mod mqtt_central;

#[path = "telemetry/drawn.rs"]
mod drawn;
#[path = "telemetry/ramp.rs"]
mod ramp;

use std::collections::BTreeMap;
use std::time::Duration;

use wxdesk::domain::devices::{DeviceId, HealthReading, Telemetry};
use wxdesk::domain::time::MINUTE_MS;
use wxdesk::domain::{Element, Timestamp};

/// The central's (manual) clock: reports are stamped before it.
const NOW: Timestamp = Timestamp(1_765_100_000_000);

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A garden's report for minute `minute` after `first`: 5 values and its health. The values
/// move as a garden's do (a value unchanged for hours is a stuck sensor, which QC flags and
/// judges back over its whole run), soil moisture and leaf wetness excepted: they have no
/// persistence test.
fn report(id: &DeviceId, first: Timestamp, minute: i64) -> Telemetry {
    Telemetry {
        device: id.clone(),
        time: first.plus_ms(minute * MINUTE_MS),
        sent_at: None,
        received: NOW,
        values: BTreeMap::from([
            (Element::Tem, 12.3 + (minute % 7) as f64 * 0.1),
            (Element::Rhu, 80.0 + (minute % 9) as f64),
            (Element::Svwc10cm, 31.0),
            (Element::Gst10cm, 14.2 + (minute % 5) as f64 * 0.1),
            (Element::LeafWet, 40.0),
        ]),
        health: HealthReading {
            battery_v: Some(12.6),
            supply_v: Some(13.4),
            rssi_dbm: Some(-71.0),
        },
        backfilled: false,
    }
}

/// The `q` quantile (0–1) of `sorted`, nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A runtime of two workers whose threads are all named `name`.
fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap()
}

fn main() {
    let central = runtime("central");
    if std::env::args().any(|a| a == "drawn") {
        drawn::run(&central);
    } else {
        ramp::run(&central, &runtime("devices"));
    }
}
