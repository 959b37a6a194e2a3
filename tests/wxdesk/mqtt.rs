//! Devices' telemetry over MQTT through a real Mosquitto (Debian's 2.0, started on 127.0.0.1
//! by each test with the password and ACL files the central writes): reports arrive as the
//! right telemetry with health and drift; the ACL keeps a device to its own topics and a wrong
//! password out; a lost link's will and the retained state become presence; a broker restart
//! and a bridge away lose nothing; a report the store did not take comes again; a 60-record
//! backfill arrives whole; a malformed message is counted and refused and the next kept.
//! The "store" is a test task answering each Arrival.

pub(crate) mod peer;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use wxdesk::central::devices::Arrival;
use wxdesk::central::devices::mqtt::bridge::BridgeCounters;
use wxdesk::central::devices::mqtt::{
    BrokerLink, CentralAccount, MqttSettings, Presence, bridge, device_password, write_broker_files,
};
use wxdesk::central::workers::{Backoff, Supervisor, WorkerBoard};
use wxdesk::domain::access::Secret;
use wxdesk::domain::devices::{Device, DeviceId, HealthReading, Telemetry};
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::domain::{Element, Timestamp};
use wxdesk::protocol::mqtt::{Channel, Topic, encode_telemetry};
use wxdesk::sim::mqtt_device::{DeviceError, DeviceOptions, MqttDevice};

use self::peer::Mosquitto;

/// The central's clock (fixed: `received` and drift are exact).
const NOW: Timestamp = Timestamp(1_765_100_000_000);
/// The longest any awaited event may take before the test fails.
pub(crate) const GUARD: Duration = Duration::from_secs(30);
const CENTRAL_USER: &str = "wxdesk-central";

pub(crate) fn id(text: &str) -> DeviceId {
    DeviceId::parse(text).unwrap()
}

fn mqtt_device(device: &str) -> Device {
    serde_json::from_value(serde_json::json!({
        "id": device, "name_zh": "测试茶园站", "kind": "garden_station",
        "location": {"lat": 25.9, "lon": 116.8}, "altitude_m": 400.0,
        "township": 350423105, "transport": "mqtt", "interval_s": 60, "station": "YRG01",
    }))
    .unwrap()
}

/// Device `device`'s report of minute `minute` before [`NOW`], as the central receives it.
fn report(device: &str, minute: i64) -> Telemetry {
    // One decimal, as sensors send it (JSON carries short decimals exactly).
    #[allow(clippy::cast_precision_loss)]
    let tem = (100 + minute) as f64 / 10.0;
    Telemetry {
        device: id(device),
        time: NOW.plus_ms(-60_000 * (1000 - minute)),
        sent_at: None,
        received: NOW,
        values: BTreeMap::from([(Element::Tem, tem), (Element::Svwc10cm, 31.0)]),
        health: HealthReading {
            battery_v: Some(12.6),
            supply_v: Some(13.4),
            rssi_dbm: Some(-71.0),
        },
        backfilled: false,
    }
}

/// The central's `[mqtt]` for a test broker on `port`: quick reconnects, a short keep-alive.
pub(crate) fn central_settings(port: u16, password: &Secret, secret: &Secret) -> MqttSettings {
    MqttSettings {
        host: "127.0.0.1".into(),
        port,
        username: CENTRAL_USER.into(),
        password: password.clone(),
        client_id: "wxdesk-central-test".into(),
        device_secret: secret.clone(),
        acl_dir: "/nonexistent".into(),
        reconnect: Backoff {
            first: Duration::from_millis(50),
            cap: Duration::from_millis(500),
        },
        keep_alive: Duration::from_secs(5),
    }
}

/// A broker with accounts for `accounts`, and a registry of `registered`.
pub(crate) struct Site {
    pub(crate) broker: Mosquitto,
    secret: Secret,
    central_password: Secret,
    registry: watch::Sender<Arc<Vec<Device>>>,
    clock: SharedClock,
    _dir: tempfile::TempDir,
}

impl Site {
    pub(crate) fn start(accounts: &[&str], registered: &[&str]) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let secret = Secret::new("county-device-secret");
        let central = CentralAccount {
            username: CENTRAL_USER.into(),
            password: Secret::new("central-test-password"),
        };
        let devices: Vec<_> = accounts.iter().map(|d| mqtt_device(d)).collect();
        let files = write_broker_files(dir.path(), &central, &secret, &devices).unwrap();
        let broker = Mosquitto::start(dir.path(), &files.passwords, &files.acl)?;
        let registry = registered.iter().map(|d| mqtt_device(d)).collect();
        Some(Self {
            broker,
            secret,
            central_password: central.password,
            registry: watch::channel(Arc::new(registry)).0,
            clock: ManualClock::new(NOW),
            _dir: dir,
        })
    }

    pub(crate) fn settings(&self) -> MqttSettings {
        central_settings(self.broker.port, &self.central_password, &self.secret)
    }

    fn device_options(&self, device: &str) -> DeviceOptions {
        let mut options = DeviceOptions::new(
            "127.0.0.1",
            self.broker.port,
            id(device),
            device_password(&self.secret, &id(device)),
        );
        options.retry_every = Duration::from_millis(50);
        options
    }

    pub(crate) async fn device(&self, device: &str) -> MqttDevice {
        guard(MqttDevice::connect(self.device_options(device)))
            .await
            .unwrap()
    }

    fn bridge(&self) -> Bridge {
        let (arrivals, arrivals_rx) = mpsc::channel(16);
        let (stored_tx, stored) = mpsc::unbounded_channel();
        let fail_next = Arc::new(AtomicU32::new(0));
        tokio::spawn(store(arrivals_rx, stored_tx, Arc::clone(&fail_next)));
        let parts = bridge(self.settings(), self.registry.subscribe(), arrivals);
        let (stop, stop_rx) = watch::channel(false);
        let backoff = Backoff {
            first: Duration::from_millis(50),
            cap: Duration::from_millis(500),
        };
        let supervisor = Supervisor::start(
            vec![parts.worker],
            WorkerBoard::default(),
            &self.clock,
            &stop_rx,
            backoff,
        );
        Bridge {
            supervisor,
            stop,
            link: parts.link,
            presence: parts.presence,
            counters: parts.counters,
            stored,
            fail_next,
        }
    }

    /// A bridge connected and subscribed.
    async fn connected_bridge(&self) -> Bridge {
        let mut bridge = self.bridge();
        bridge.wait_link(BrokerLink::is_up).await;
        bridge
    }
}

/// The test's store: answers each report stored (or, while `fail_next` counts, not).
async fn store(
    mut arrivals: mpsc::Receiver<Arrival>,
    stored: mpsc::UnboundedSender<Telemetry>,
    fail_next: Arc<AtomicU32>,
) {
    while let Some(arrival) = arrivals.recv().await {
        let fail = fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let answer = if fail {
            Err("disk full (simulated)".to_owned())
        } else {
            let _ = stored.send(arrival.telemetry);
            Ok(())
        };
        if let Some(told) = arrival.stored {
            let _ = told.send(answer);
        }
    }
}

struct Bridge {
    supervisor: Supervisor,
    stop: watch::Sender<bool>,
    link: watch::Receiver<BrokerLink>,
    presence: mpsc::Receiver<Presence>,
    counters: Arc<BridgeCounters>,
    stored: mpsc::UnboundedReceiver<Telemetry>,
    fail_next: Arc<AtomicU32>,
}

pub(crate) async fn guard<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, future)
        .await
        .expect("no event within the guard")
}

impl Bridge {
    async fn wait_link(&mut self, test: impl FnMut(&BrokerLink) -> bool) {
        guard(self.link.wait_for(test)).await.unwrap();
    }

    async fn next_stored(&mut self) -> Telemetry {
        guard(self.stored.recv()).await.unwrap()
    }

    async fn next_presence(&mut self) -> Presence {
        guard(self.presence.recv()).await.unwrap()
    }

    /// Stored reports until every time of `times` was seen (repeats allowed: `QoS` 1).
    async fn stored_times(&mut self, times: &BTreeSet<Timestamp>) -> BTreeSet<Timestamp> {
        let mut seen = BTreeSet::new();
        while !times.is_subset(&seen) {
            seen.insert(self.next_stored().await.time);
        }
        seen
    }

    async fn stop(self) {
        self.stop.send_replace(true);
        self.supervisor.join().await;
    }
}

fn times(device: &str, minutes: std::ops::Range<i64>) -> BTreeSet<Timestamp> {
    minutes.map(|m| report(device, m).time).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_arrives_as_telemetry_with_health_and_drift() {
    let Some(site) = Site::start(&["YR-AWS1"], &["YR-AWS1"]) else {
        return;
    };
    let mut bridge = site.connected_bridge().await;
    let device = site.device("YR-AWS1").await;
    let online = bridge.next_presence().await;
    assert_eq!(
        (online.device, online.online, online.retained),
        (id("YR-AWS1"), true, false)
    );
    let sent = Telemetry {
        sent_at: Some(NOW.plus_ms(4_500)),
        ..report("YR-AWS1", 1)
    };
    device.publish(&sent).await.unwrap();
    let arrived = bridge.next_stored().await;
    assert_eq!(
        arrived, sent,
        "values, health and times as sent, received on the central's clock"
    );
    assert_eq!(arrived.clock_drift_ms(), Some(4_500));
    let counts = bridge.counters.snapshot();
    assert_eq!((counts.reports, counts.refused_messages), (1, 0));
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_cannot_speak_for_another_nor_connect_with_a_wrong_password() {
    let Some(site) = Site::start(&["YR-AWS1", "YR-AWS2"], &["YR-AWS1", "YR-AWS2"]) else {
        return;
    };
    let mut bridge = site.connected_bridge().await;
    let mut device = site.device("YR-AWS1").await;
    let forged = Topic::new(&id("YR-AWS2"), Channel::Telemetry).to_string();
    let as_other = encode_telemetry(&report("YR-AWS2", 1));
    device.publish_raw(&forged, as_other).await.unwrap();
    device.flushed().await.unwrap();
    // Published after the forgery: had the broker passed the forgery, it would come first.
    device.publish(&report("YR-AWS1", 2)).await.unwrap();
    assert_eq!(bridge.next_stored().await, report("YR-AWS1", 2));
    assert_eq!(
        bridge.counters.snapshot().reports,
        1,
        "the forgery never arrived"
    );

    let mut wrong = site.device_options("YR-AWS2");
    wrong.password = Secret::new("guessed-password");
    let refused = guard(MqttDevice::connect(wrong)).await.unwrap_err();
    assert!(matches!(refused, DeviceError::Refused { .. }), "{refused}");
    assert!(!refused.to_string().contains("guessed"), "{refused}");
    let mut stranger = site.device_options("XX-NOBODY");
    stranger.password = device_password(&Secret::new("another-secret"), &id("XX-NOBODY"));
    let refused = guard(MqttDevice::connect(stranger)).await.unwrap_err();
    assert!(matches!(refused, DeviceError::Refused { .. }), "{refused}");
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_link_is_offline_by_its_will_and_states_are_read_again_on_restart() {
    let Some(site) = Site::start(&["YR-GH1"], &["YR-GH1"]) else {
        return;
    };
    let mut device = site.device("YR-GH1").await;
    device.flushed().await.unwrap();
    let mut bridge = site.connected_bridge().await;
    let retained = bridge.next_presence().await;
    assert_eq!(
        (retained.device.as_str(), retained.online, retained.retained),
        ("YR-GH1", true, true),
        "the retained online state, read when the bridge subscribed"
    );
    device.drop_link();
    let will = bridge.next_presence().await;
    assert_eq!(
        (will.online, will.reason.as_deref(), will.retained, will.at),
        (false, Some("lost"), false, NOW),
        "the broker published the will when the TCP connection dropped"
    );
    bridge.stop().await;
    let mut bridge = site.connected_bridge().await;
    let again = bridge.next_presence().await;
    assert_eq!(
        (again.online, again.reason.as_deref(), again.retained),
        (false, Some("lost"), true)
    );
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_and_a_central_away_lose_nothing() {
    let Some(mut site) = Site::start(&["YR-AWS1"], &["YR-AWS1"]) else {
        return;
    };
    let mut bridge = site.connected_bridge().await;
    let mut device = site.device("YR-AWS1").await;
    for minute in 0..3 {
        device.publish(&report("YR-AWS1", minute)).await.unwrap();
    }
    bridge.stored_times(&times("YR-AWS1", 0..3)).await;

    // The broker goes away; the device keeps its reports until it is back.
    site.broker.stop();
    bridge
        .wait_link(|l| matches!(l, BrokerLink::Retrying { .. }))
        .await;
    for minute in 3..6 {
        device.publish(&report("YR-AWS1", minute)).await.unwrap();
    }
    site.broker.restart();
    bridge.stored_times(&times("YR-AWS1", 3..6)).await;

    // The central goes away; the broker keeps its session's reports, across its own restart.
    bridge.stop().await;
    for minute in 6..10 {
        device.publish(&report("YR-AWS1", minute)).await.unwrap();
    }
    device.flushed().await.unwrap();
    site.broker.restart();
    let mut bridge = site.bridge();
    let seen = bridge.stored_times(&times("YR-AWS1", 6..10)).await;
    assert!(seen.is_superset(&times("YR-AWS1", 6..10)));
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_the_store_did_not_take_is_delivered_again() {
    let Some(site) = Site::start(&["YR-AWS1"], &["YR-AWS1"]) else {
        return;
    };
    let mut bridge = site.connected_bridge().await;
    bridge.fail_next.store(1, Ordering::SeqCst);
    let device = site.device("YR-AWS1").await;
    device.publish(&report("YR-AWS1", 7)).await.unwrap();
    assert_eq!(bridge.next_stored().await, report("YR-AWS1", 7));
    assert_eq!(
        bridge.counters.snapshot().reports,
        2,
        "refused once, then stored"
    );
    let status = bridge.supervisor.board().status("mqtt").unwrap();
    assert!(status.restarts >= 1, "the bridge reconnected: {status:?}");
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_of_sixty_records_arrives_as_sixty_backfilled_reports() {
    let Some(site) = Site::start(&["YR-AWS1"], &["YR-AWS1"]) else {
        return;
    };
    let mut bridge = site.connected_bridge().await;
    let device = site.device("YR-AWS1").await;
    let backlog: Vec<_> = (0..60).map(|m| report("YR-AWS1", m)).collect();
    device.publish_records(&backlog, NOW).await.unwrap();
    for sent in &backlog {
        let arrived = bridge.next_stored().await;
        let expected = Telemetry {
            backfilled: true,
            sent_at: Some(NOW),
            ..sent.clone()
        };
        assert_eq!(arrived, expected);
    }
    assert_eq!(
        bridge.counters.snapshot().reports,
        60,
        "one report per record"
    );
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unregistered_messages_are_counted_and_refused_and_the_next_kept() {
    let Some(site) = Site::start(&["YR-AWS1", "ZZ-UNREG"], &["YR-AWS1"]) else {
        return;
    };
    let mut bridge = site.connected_bridge().await;
    let mut stranger = site.device("ZZ-UNREG").await;
    stranger.publish(&report("ZZ-UNREG", 1)).await.unwrap();
    stranger.flushed().await.unwrap();
    let device = site.device("YR-AWS1").await;
    let own = Topic::new(&id("YR-AWS1"), Channel::Telemetry).to_string();
    device
        .publish_raw(&own, b"{not json".to_vec())
        .await
        .unwrap();
    device
        .publish_raw(&own, br#"{"values": {"TEM": 1.0}}"#.to_vec())
        .await
        .unwrap();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&encode_telemetry(&report("YR-AWS1", 2))).unwrap();
    payload["values"]["XYZ"] = 1.0.into();
    device
        .publish_raw(&own, payload.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(bridge.next_stored().await, report("YR-AWS1", 2));
    let counts = bridge.counters.snapshot();
    assert_eq!(counts.refused_messages, 2, "not JSON; no time: {counts:?}");
    assert_eq!(counts.refused_values, 1, "the unknown code: {counts:?}");
    assert_eq!(
        counts.unknown_devices, 2,
        "the unregistered device's state and report: {counts:?}"
    );
    assert_eq!(counts.reports, 1, "{counts:?}");
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_acl_command_writes_files_mosquitto_takes() {
    use wxdesk::central::devices::mqtt::{DeviceSource, mqtt_acl};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("devices.secret"), "county-device-secret\n").unwrap();
    let config = dir.path().join("central.toml");
    std::fs::write(
        &config,
        "[mqtt]\nbroker = \"127.0.0.1:1883\"\npassword = \"central-test-password\"\n\
         device_secret_file = \"devices.secret\"\nacl_dir = \"broker\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("broker")).unwrap();
    let registry =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/devices/simulated.json");
    let mut out = Vec::new();
    mqtt_acl(&config, &DeviceSource::File(registry), None, &mut out).unwrap();
    let said = String::from_utf8(out).unwrap();
    assert!(said.contains("for 6 MQTT devices"), "{said}");
    assert!(!said.contains("county-device-secret") && !said.contains("central-test"));

    let broker_dir = dir.path().join("broker");
    let Some(broker) = Mosquitto::start(
        &broker_dir,
        &broker_dir.join("wxdesk.passwd"),
        &broker_dir.join("wxdesk.acl"),
    ) else {
        return;
    };
    let secret = Secret::new("county-device-secret");
    let options = DeviceOptions::new(
        "127.0.0.1",
        broker.port,
        id("SK-GH1"),
        device_password(&secret, &id("SK-GH1")),
    );
    let device = guard(MqttDevice::connect(options)).await.unwrap();
    device.disconnect().await;
}

/// The whole path in a running central, as the embedded default and a served central run it:
/// `[mqtt]` configured, the device registered through the registry, its report through
/// Mosquitto stored as its station's observation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_through_the_broker_is_stored_by_a_running_central() {
    let Some(site) = Site::start(&["YR-AWS1"], &[]) else {
        return;
    };
    let settings = site.settings();
    let central = crate::support::TestCentral::start_with(
        wxdesk::central::DEFAULT_KEEP_ALIVE,
        move |config| config.mqtt = Some(settings),
    )
    .await;
    let running = central.running();
    let added = running.register_devices(vec![mqtt_device("YR-AWS1")]).await;
    assert_eq!(added.unwrap(), 1);
    let device = site.device("YR-AWS1").await;
    device.publish(&report("YR-AWS1", 5)).await.unwrap();
    let stored = |s: &wxdesk::central::workers::WorkerStatus| {
        s.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("1 reports stored"))
    };
    guard(running.workers().wait_for("telemetry", stored)).await;
    let (_, latest) = central
        .get_json(&crate::support::client(), "/observations/latest")
        .await;
    let garden = latest["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["station"] == "YRG01")
        .unwrap_or_else(|| panic!("{latest}"));
    assert_eq!(garden["values"]["TEM"]["value"], 10.5);
    assert_eq!(garden["values"]["SVWC_10cm"]["value"], 31.0);
    device.disconnect().await;
}
