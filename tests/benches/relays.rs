//! Relay commands through a running central on the system clock, measured from queued to
//! observed (the central's own `created_at` and `observed_at`, `Command::latency_ms`):
//!
//! - MQTT: 10 greenhouse controllers (`sim::relay_responder`, real MQTT clients) on a
//!   Mosquitto the bench starts, the central's `[mqtt]` pointing at it;
//! - Modbus TCP: 4 relay boards (pymodbus, tests/peers/modbus), polled every second.
//!
//! Commands are queued as a desk queues them: `POST /api/v1/relay-commands` as a technician.
//! One desk per device switches its relays alternately on and off, each command after the
//! last one is observed (a technician waits to see the fan run), all desks at once; so the
//! latency is a command's own, not a backlog's, and the throughput is what the central gives
//! devices switched side by side.
//!
//! `cargo bench --profile dev --bench relays` (`WXDESK_BENCH_COMMANDS` changes the 1 000
//! commands per transport). A missing Mosquitto or pymodbus skips its half loudly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[allow(dead_code, unreachable_pub)]
#[path = "../wxdesk/mqtt/peer.rs"]
mod peer;

#[allow(dead_code, unreachable_pub)]
#[path = "../wxdesk/modbus/peer.rs"]
mod modbus_peer;

#[path = "../wxdesk/accounts.rs"]
mod accounts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::oneshot;
use wxdesk::central::devices::mqtt::{
    CentralAccount, MqttSettings, device_password, write_broker_files,
};
use wxdesk::central::workers::Backoff;
use wxdesk::central::{CentralConfig, RunningCentral};
use wxdesk::domain::access::Secret;
use wxdesk::domain::devices::Device;
use wxdesk::domain::relays::Command;
use wxdesk::sim::mqtt_device::DeviceOptions;
use wxdesk::sim::relay_responder::{Behaviour, RelayResponder};

/// Relays per device, switched in turn.
const CHANNELS: u16 = 3;

fn greenhouse(i: usize) -> Device {
    serde_json::from_value(json!({
        "id": format!("GB-{i:02}"), "name_zh": "基准大棚控制器", "kind": "greenhouse_controller",
        "location": {"lat": 26.18, "lon": 116.82}, "altitude_m": 310.0,
        "township": 350423100, "transport": "mqtt", "interval_s": 60,
        "station": format!("GBS{i:02}"),
        "relays": (1..=CHANNELS).map(|c| json!({"channel": c, "name_zh": format!("{c}号风机"),
            "class": "ventilation"})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn board(i: usize, port: u16) -> Device {
    serde_json::from_value(json!({
        "id": format!("RB-{i:02}"), "name_zh": "基准继电器板", "kind": "relay_board",
        "location": {"lat": 26.18, "lon": 116.82}, "altitude_m": 310.0,
        "township": 350423100, "transport": "modbus_tcp", "interval_s": 1,
        "modbus": {"address": format!("127.0.0.1:{port}"), "unit": 1},
        "relays": (1..=CHANNELS).map(|c| json!({"channel": c, "name_zh": format!("{c}号风机"),
            "class": "ventilation"})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

/// A central on the system clock in `dir`, `mqtt` configured, `devices` registered.
async fn central(
    dir: &std::path::Path,
    mqtt: Option<MqttSettings>,
    devices: Vec<Device>,
) -> RunningCentral {
    let network = wxdesk::assets::qingliu_network().unwrap();
    let mut config = CentralConfig::new(dir.join("central.sqlite"), network);
    config.mqtt = mqtt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let central = wxdesk::central::start(listener, config).await.unwrap();
    central.register_devices(devices).await.unwrap();
    central
}

/// A technician's token: the administrator logs in and creates the user, who logs in.
async fn technician(central: &RunningCentral, http: &reqwest::Client) -> String {
    let base = central.url();
    let otp = central.first_admin_password().unwrap().expose().to_owned();
    let admin = accounts::first_login(http, &base, "admin", &otp).await;
    let tech = ("tech", "Bench technician", "technician");
    accounts::created_user(http, &base, &admin, tech).await
}

/// Tells each desk when its command is observed: one reader of the newest commands after
/// each change of the central (changes while it reads are taken together).
#[derive(Clone, Default)]
struct Observer {
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>,
}

impl Observer {
    fn wait(&self, id: &str) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(id.to_owned(), tx);
        rx
    }

    fn run(&self, central: &RunningCentral, http: reqwest::Client, token: String) {
        let mut head = central.watch_head();
        let url = format!("{}/api/v1/relay-commands", central.url());
        let waiting = Arc::clone(&self.waiting);
        tokio::spawn(async move {
            while head.changed().await.is_ok() {
                head.borrow_and_update();
                if waiting.lock().unwrap().is_empty() {
                    continue;
                }
                let list: Value = http
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let mut waiting = waiting.lock().unwrap();
                for command in list["commands"].as_array().unwrap() {
                    if command["state"] == "observed"
                        && let Some(done) = waiting.remove(command["id"].as_str().unwrap())
                    {
                        let _ = done.send(());
                    }
                }
            }
        });
    }
}

/// One desk: `count` commands to `device`, relays in turn, alternately on and off, each
/// after the last is observed; answers the command ids.
async fn desk(
    http: reqwest::Client,
    base: String,
    token: String,
    observer: Observer,
    device: String,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let channel = n % usize::from(CHANNELS) + 1;
        let target = if (n / usize::from(CHANNELS)) % 2 == 0 {
            "on"
        } else {
            "off"
        };
        let id = format!("c-{device}-{n:05}");
        let observed = observer.wait(&id);
        let body =
            json!({"command_id": id, "device": device, "channel": channel, "target": target});
        let response = http
            .post(format!("{base}/api/v1/relay-commands"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
        if tokio::time::timeout(Duration::from_secs(60), observed)
            .await
            .is_err()
        {
            let url = format!("{base}/api/v1/relay-commands/{id}");
            let now = http.get(url).bearer_auth(&token).send().await.unwrap();
            panic!(
                "not observed within a minute: {}",
                now.text().await.unwrap()
            );
        }
        ids.push(id);
    }
    ids
}

/// Figures of one run.
struct Figures {
    commands: usize,
    seconds: f64,
    latencies_ms: Vec<i64>,
}

impl Figures {
    fn percentile(&self, p: f64) -> i64 {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rank = ((self.latencies_ms.len() as f64 * p).ceil() as usize).max(1) - 1;
        self.latencies_ms[rank.min(self.latencies_ms.len() - 1)]
    }

    fn print(&self, what: &str) {
        #[allow(clippy::cast_precision_loss)]
        let rate = self.commands as f64 / self.seconds;
        println!(
            "{what}: {} commands in {:.2} s ({rate:.0}/s); queued → observed p50 {} ms, p99 {} ms, max {} ms",
            self.commands,
            self.seconds,
            self.percentile(0.50),
            self.percentile(0.99),
            self.latencies_ms.last().copied().unwrap_or(0),
        );
    }
}

/// An HTTP client as a desk of this build: it announces its protocol.
fn desk_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    let version = wxdesk::protocol::PROTOCOL_VERSION.to_string();
    headers.insert(wxdesk::protocol::PROTOCOL_HEADER, version.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Every device's desk at once, `per_device` commands each; the figures from the central.
async fn drive(central: &RunningCentral, devices: &[Device], per_device: usize) -> Figures {
    let http = desk_client();
    let token = technician(central, &http).await;
    let observer = Observer::default();
    observer.run(central, http.clone(), token.clone());
    let started = Instant::now();
    let desks: Vec<_> = devices
        .iter()
        .map(|d| {
            tokio::spawn(desk(
                http.clone(),
                central.url(),
                token.clone(),
                observer.clone(),
                d.id.to_string(),
                per_device,
            ))
        })
        .collect();
    let mut ids = Vec::new();
    for desk in desks {
        ids.extend(desk.await.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies_ms = Vec::with_capacity(ids.len());
    for id in &ids {
        let command: Command = http
            .get(format!("{}/api/v1/relay-commands/{id}", central.url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        latencies_ms.push(command.latency_ms().unwrap());
    }
    latencies_ms.sort_unstable();
    Figures {
        commands: ids.len(),
        seconds,
        latencies_ms,
    }
}

async fn over_mqtt(commands: usize) -> Option<Figures> {
    const DEVICES: usize = 10;
    let dir = tempfile::tempdir().unwrap();
    let devices: Vec<Device> = (0..DEVICES).map(greenhouse).collect();
    let account = CentralAccount {
        username: "wxdesk-central".into(),
        password: Secret::new("bench-central"),
    };
    let secret = Secret::new("bench-secret");
    let files = write_broker_files(dir.path(), &account, &secret, &devices).unwrap();
    let broker = peer::Mosquitto::start(dir.path(), &files.passwords, &files.acl)?;
    let settings = MqttSettings {
        host: "127.0.0.1".into(),
        port: broker.port,
        username: account.username,
        password: account.password,
        client_id: "wxdesk-central-bench".into(),
        device_secret: secret.clone(),
        acl_dir: dir.path().into(),
        reconnect: Backoff {
            first: Duration::from_millis(50),
            cap: Duration::from_secs(1),
        },
        keep_alive: Duration::from_secs(30),
    };
    let central = central(dir.path(), Some(settings), devices.clone()).await;
    let mut responders = Vec::new();
    for device in &devices {
        let password = device_password(&secret, &device.id);
        let options = DeviceOptions::new("127.0.0.1", broker.port, device.id.clone(), password);
        responders.push(RelayResponder::connect(&options, CHANNELS, Behaviour::Obliging).await);
    }
    let figures = drive(&central, &devices, commands / DEVICES).await;
    drop(responders);
    central.shutdown().await.unwrap();
    drop(broker);
    Some(figures)
}

async fn over_modbus(commands: usize) -> Option<Figures> {
    const BOARDS: usize = 4;
    if !modbus_peer::available() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let coils = json!({"1": {"coils": [0, 0, 0, 0, 0, 0, 0, 0]}});
    let boards: Vec<_> = (0..BOARDS)
        .map(|_| modbus_peer::Board::start(&coils, 0))
        .collect();
    let devices: Vec<Device> = boards
        .iter()
        .enumerate()
        .map(|(i, b)| board(i, b.port))
        .collect();
    let central = central(dir.path(), None, devices.clone()).await;
    let figures = drive(&central, &devices, commands / BOARDS).await;
    central.shutdown().await.unwrap();
    drop(boards);
    Some(figures)
}

#[tokio::main]
async fn main() {
    let commands = std::env::var("WXDESK_BENCH_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    println!("Relay commands through a running central (system clock), one desk per device:");
    if let Some(figures) = over_mqtt(commands).await {
        figures.print("  MQTT, 10 controllers via Mosquitto");
    }
    if let Some(figures) = over_modbus(commands).await {
        figures.print("  Modbus TCP, 4 pymodbus boards");
    }
}
