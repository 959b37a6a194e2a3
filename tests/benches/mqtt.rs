//! Devices' telemetry through Mosquitto to the central's MQTT bridge, measured end to end on
//! 127.0.0.1: simulated devices (`sim::mqtt_device`) publish at `QoS` 1, the broker checks
//! their ACL and forwards to the bridge's persistent session, the bridge decodes, hands each
//! report to a store that answers at once, and acknowledges only then. So the figure is the
//! transport's cost (broker, codec, manual acks) without `SQLite`.
//!
//! `cargo bench --profile dev --bench mqtt`; `WXDESK_BENCH_REPORTS` changes the reports per
//! device (the test broker queues at most 10 000 messages for the bridge: Mosquitto drops
//! what a slow subscriber's queue cannot hold, so size `max_queued_messages` for the backlog).
//!
//! `-- stored`: `WXDESK_BENCH_DEVICES` (100) gardens × `WXDESK_BENCH_REPORTS` (60) into a real
//! central (`support/mqtt_central.rs`), as fast as they can publish; `WXDESK_BENCH_INFLIGHT`
//! sets the broker's `max_inflight_messages` (20). The paced ramp and publish → drawn are in
//! `telemetry.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[allow(dead_code, unreachable_pub)]
#[path = "../wxdesk/mqtt/peer.rs"]
mod peer;

#[allow(dead_code)]
#[path = "support/mqtt_central.rs"]
mod mqtt_central;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use mqtt_central::{MqttCentral, bench_settings, queues};
use tokio::sync::{mpsc, watch};
use wxdesk::central::devices::Arrival;
use wxdesk::central::devices::mqtt::{CentralAccount, bridge, device_password, write_broker_files};
use wxdesk::central::workers::{Backoff, Supervisor, WorkerBoard};
use wxdesk::domain::access::Secret;
use wxdesk::domain::devices::{Device, DeviceId, HealthReading, Telemetry};
use wxdesk::domain::time::ManualClock;
use wxdesk::domain::{Element, Timestamp};
use wxdesk::sim::mqtt_device::{DeviceOptions, MqttDevice};

const NOW: Timestamp = Timestamp(1_765_100_000_000);

fn device_record(id: &str) -> Device {
    serde_json::from_value(serde_json::json!({
        "id": id, "name_zh": "基准茶园站", "kind": "garden_station",
        "location": {"lat": 25.9, "lon": 116.8}, "altitude_m": 400.0,
        "township": 350423105, "transport": "mqtt", "interval_s": 60, "station": "YRG01",
    }))
    .unwrap()
}

fn report(id: &DeviceId, minute: i64) -> Telemetry {
    Telemetry {
        device: id.clone(),
        time: NOW.plus_ms(-60_000 * (100_000 - minute)),
        sent_at: None,
        received: NOW,
        values: BTreeMap::from([
            (Element::Tem, 12.3),
            (Element::Rhu, 88.0),
            (Element::Svwc10cm, 31.0),
            (Element::Gst10cm, 14.2),
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

struct Rig {
    broker: peer::Mosquitto,
    secret: Secret,
    ids: Vec<DeviceId>,
    stored: mpsc::UnboundedReceiver<()>,
    stop: watch::Sender<bool>,
    supervisor: Supervisor,
    _dir: tempfile::TempDir,
}

async fn rig(devices: usize) -> Option<Rig> {
    let dir = tempfile::tempdir().unwrap();
    let secret = Secret::new("bench-secret");
    let ids: Vec<_> = (0..devices)
        .map(|i| DeviceId::parse(&format!("BN-{i:03}")).unwrap())
        .collect();
    let records: Vec<_> = ids.iter().map(|id| device_record(id.as_str())).collect();
    let central = CentralAccount {
        username: "wxdesk-central".into(),
        password: Secret::new("bench-central"),
    };
    let files = write_broker_files(dir.path(), &central, &secret, &records).unwrap();
    let broker = peer::Mosquitto::start(dir.path(), &files.passwords, &files.acl)?;
    let settings = bench_settings(broker.port, central, &secret, dir.path());
    let (arrivals, mut queue) = mpsc::channel::<Arrival>(8_192);
    let (stored_tx, stored) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(arrival) = queue.recv().await {
            if let Some(told) = arrival.stored {
                let _ = told.send(Ok(()));
            }
            let _ = stored_tx.send(());
        }
    });
    let parts = bridge(settings, watch::channel(Arc::new(records)).1, arrivals);
    let mut link = parts.link.clone();
    let (stop, stop_rx) = watch::channel(false);
    let clock: wxdesk::domain::time::SharedClock = ManualClock::new(NOW);
    let supervisor = Supervisor::start(
        vec![parts.worker],
        WorkerBoard::default(),
        &clock,
        &stop_rx,
        Backoff::default(),
    );
    link.wait_for(|l| l.is_up()).await.unwrap();
    Some(Rig {
        broker,
        secret,
        ids,
        stored,
        stop,
        supervisor,
        _dir: dir,
    })
}

impl Rig {
    async fn devices(&self) -> Vec<MqttDevice> {
        let mut devices = Vec::new();
        for id in &self.ids {
            let password = device_password(&self.secret, id);
            let options = DeviceOptions::new("127.0.0.1", self.broker.port, id.clone(), password);
            devices.push(MqttDevice::connect(options).await.unwrap());
        }
        devices
    }

    async fn wait_stored(&mut self, count: usize) {
        for _ in 0..count {
            self.stored.recv().await.unwrap();
        }
    }

    async fn stop(self) {
        self.stop.send_replace(true);
        self.supervisor.join().await;
    }
}

/// `devices` devices each publish `per_device` single reports; answers reports per second.
async fn singles(devices: usize, per_device: usize) -> Option<f64> {
    let mut rig = rig(devices).await?;
    let connected = rig.devices().await;
    let started = Instant::now();
    let mut senders = Vec::new();
    for device in connected {
        senders.push(tokio::spawn(async move {
            for minute in 0..per_device {
                let minute = i64::try_from(minute).unwrap();
                device.publish(&report(device.id(), minute)).await.unwrap();
            }
            device
        }));
    }
    rig.wait_stored(devices * per_device).await;
    let seconds = started.elapsed().as_secs_f64();
    for sender in senders {
        sender.await.unwrap().disconnect().await;
    }
    rig.stop().await;
    #[allow(clippy::cast_precision_loss)]
    Some((devices * per_device) as f64 / seconds)
}

/// One device sends `messages` backfill messages of 60 records; answers reports per second.
async fn backfill(messages: usize) -> Option<f64> {
    let mut rig = rig(1).await?;
    let device = rig.devices().await.pop().unwrap();
    let started = Instant::now();
    for message in 0..messages {
        let first = i64::try_from(message * 60).unwrap();
        let records: Vec<_> = (first..first + 60)
            .map(|m| report(device.id(), m))
            .collect();
        device.publish_records(&records, NOW).await.unwrap();
    }
    rig.wait_stored(messages * 60).await;
    let seconds = started.elapsed().as_secs_f64();
    device.disconnect().await;
    rig.stop().await;
    #[allow(clippy::cast_precision_loss)]
    Some((messages * 60) as f64 / seconds)
}

/// `devices` devices × `per_device` reports through Mosquitto into a real central (the
/// bridge, the telemetry worker, SQLite with QC and the change log); answers reports stored
/// per second, from the first publish to the last report stored.
async fn stored(devices: usize, per_device: usize) -> Option<f64> {
    let rig = MqttCentral::start(devices, queues(10_000), |config| {
        config.clock = ManualClock::new(NOW);
    })
    .await?;
    let connected = rig.connect().await;
    let total = devices * per_device;
    let started = Instant::now();
    let mut senders = Vec::new();
    for device in connected {
        senders.push(tokio::spawn(async move {
            for minute in 0..per_device {
                let minute = i64::try_from(minute).unwrap();
                device.publish(&report(device.id(), minute)).await.unwrap();
            }
            device
        }));
    }
    rig.wait_stored(total).await;
    let seconds = started.elapsed().as_secs_f64();
    for sender in senders {
        sender.await.unwrap().disconnect().await;
    }
    rig.stop().await;
    #[allow(clippy::cast_precision_loss)]
    Some(total as f64 / seconds)
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "stored") {
        let devices = std::env::var("WXDESK_BENCH_DEVICES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        let per_device = std::env::var("WXDESK_BENCH_REPORTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60);
        if let Some(rate) = stored(devices, per_device).await {
            println!(
                "MQTT into a real central (SQLite, QC, change log): {devices} devices × \
                 {per_device} reports: {rate:.0} reports/s stored"
            );
        }
        return;
    }
    let per_device = std::env::var("WXDESK_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    println!("MQTT through Mosquitto to the bridge (QoS 1, ack after the store answers):");
    for devices in [1, 10] {
        let Some(rate) = singles(devices, per_device).await else {
            return;
        };
        println!("  {devices:>2} device(s) × {per_device} reports: {rate:>8.0} reports/s");
    }
    if let Some(rate) = backfill(per_device / 60 + 1).await {
        println!("  backfill, 60 records a message:      {rate:>8.0} reports/s");
    }
}
