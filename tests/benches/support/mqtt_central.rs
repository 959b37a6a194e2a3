//! A real central behind Mosquitto, for the telemetry benchmarks (`mqtt -- stored`, `telemetry`):
//! the test broker (`tests/wxdesk/mqtt/peer.rs`, which the bench includes as `peer`) with the
//! central's generated password and ACL files, and a central on 127.0.0.1 whose MQTT bridge
//! subscribes to it, with `devices` tea-garden stations registered, each reporting as a
//! station of its own.

use std::time::Duration;

use wxdesk::central::devices::mqtt::{
    CentralAccount, MqttSettings, device_password, write_broker_files,
};
use wxdesk::central::workers::{Backoff, WorkerStatus};
use wxdesk::central::{CentralConfig, RunningCentral};
use wxdesk::domain::access::Secret;
use wxdesk::domain::devices::Device;
use wxdesk::sim::mqtt_device::{DeviceOptions, MqttDevice};

use crate::peer::{self, Queues};

/// The central's settings for the test broker on `port`, quick to reconnect.
pub fn bench_settings(
    port: u16,
    central: CentralAccount,
    secret: &Secret,
    dir: &std::path::Path,
) -> MqttSettings {
    MqttSettings {
        host: "127.0.0.1".into(),
        port,
        username: central.username,
        password: central.password,
        client_id: "wxdesk-central-bench".into(),
        device_secret: secret.clone(),
        acl_dir: dir.into(),
        reconnect: Backoff {
            first: Duration::from_millis(50),
            cap: Duration::from_secs(1),
        },
        keep_alive: Duration::from_secs(30),
    }
}

/// Garden station `i`, reporting as station `BN{i:04}`.
pub fn garden(i: usize) -> Device {
    serde_json::from_value(serde_json::json!({
        "id": format!("BN-{i:04}"), "name_zh": "基准茶园站", "kind": "garden_station",
        "location": {"lat": 25.9, "lon": 116.8}, "altitude_m": 400.0,
        "township": 350423105, "transport": "mqtt", "interval_s": 60,
        "station": format!("BN{i:04}"),
    }))
    .unwrap()
}

/// The broker's queues: `queued` messages held for a slow subscriber, and
/// `WXDESK_BENCH_INFLIGHT` (Mosquitto's default, 20) sent to it unacknowledged.
pub fn queues(queued: usize) -> Queues {
    let inflight = std::env::var("WXDESK_BENCH_INFLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    Queues { queued, inflight }
}

/// How many reports the central's telemetry worker says it stored.
pub fn stored_so_far(status: &WorkerStatus) -> usize {
    status
        .detail
        .as_deref()
        .and_then(|d| d.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The broker, the central, and the registered gardens.
pub struct MqttCentral {
    pub broker: peer::Mosquitto,
    pub central: RunningCentral,
    pub gardens: Vec<Device>,
    pub secret: Secret,
    pub dir: tempfile::TempDir,
}

impl MqttCentral {
    /// Starts both with `devices` gardens registered and the broker's `queues`; `configure`
    /// adjusts the central's settings (its clock, a first administrator). `None` after the
    /// broker's loud skip.
    pub async fn start(
        devices: usize,
        queues: Queues,
        configure: impl FnOnce(&mut CentralConfig),
    ) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let secret = Secret::new("bench-secret");
        let gardens: Vec<Device> = (0..devices).map(garden).collect();
        let account = CentralAccount {
            username: "wxdesk-central".into(),
            password: Secret::new("bench-central"),
        };
        let files = write_broker_files(dir.path(), &account, &secret, &gardens).unwrap();
        let broker = peer::Mosquitto::start_with(dir.path(), &files.passwords, &files.acl, queues)?;
        let network = wxdesk::assets::qingliu_network().unwrap();
        let mut config = CentralConfig::new(dir.path().join("central.sqlite"), network);
        config.mqtt = Some(bench_settings(broker.port, account, &secret, dir.path()));
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let central = wxdesk::central::start(listener, config).await.unwrap();
        central.register_devices(gardens.clone()).await.unwrap();
        Some(Self {
            broker,
            central,
            gardens,
            secret,
            dir,
        })
    }

    /// Every garden connected to the broker, in order.
    pub async fn connect(&self) -> Vec<MqttDevice> {
        let mut connected = Vec::with_capacity(self.gardens.len());
        for garden in &self.gardens {
            let password = device_password(&self.secret, &garden.id);
            let port = self.broker.port;
            let options = DeviceOptions::new("127.0.0.1", port, garden.id.clone(), password);
            connected.push(MqttDevice::connect(options).await.unwrap());
        }
        connected
    }

    /// Reports stored so far.
    pub fn stored(&self) -> usize {
        let status = self.central.workers().status("telemetry");
        status.as_ref().map_or(0, stored_so_far)
    }

    /// Waits until `count` reports are stored.
    pub async fn wait_stored(&self, count: usize) {
        self.central
            .workers()
            .wait_for("telemetry", |s| stored_so_far(s) >= count)
            .await
            .unwrap();
    }

    /// The central's database file.
    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("central.sqlite")
    }

    /// Stops the central, then the broker.
    pub async fn stop(self) {
        self.central.shutdown().await.unwrap();
        drop(self.broker);
    }
}
