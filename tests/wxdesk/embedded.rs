//! The no-configuration default: a central and the simulator in-process on 127.0.0.1, over a
//! database in the given data directory.

use wxdesk::domain::time::system_clock;

use crate::support::{client, client_with, init, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_central_serves_the_simulated_network() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let embedded = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || wxdesk::embedded::start(&dir, system_clock())
    })
    .await
    .unwrap()
    .expect("embedded central starts");
    assert!(
        embedded.url().starts_with("http://127.0.0.1:"),
        "{}",
        embedded.url()
    );
    assert!(embedded.notices().is_empty(), "{:?}", embedded.notices());

    // First start: an administrator with a one-time password, for the console to show once.
    let otp = embedded
        .first_admin_password()
        .expect("a one-time password")
        .clone();
    let token = first_login(embedded.url(), otp.expose()).await;

    // The simulator's backfill arrives (with its own device key): the first change shows up
    // on the live stream.
    let http = client_with(&token);
    let url = format!("{}/api/v1/stream?after=s1.0", embedded.url());
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut parser = wxdesk::console::backend::sse::SseParser::default();
    let mut body = response.bytes_stream();
    let first = within("the simulator's first observation", async {
        use futures_util::StreamExt as _;
        loop {
            let chunk = body.next().await.expect("stream open").unwrap();
            if let Some(item) = parser.feed(&chunk).into_iter().next() {
                return item;
            }
        }
    })
    .await;
    assert!(
        matches!(first, wxdesk::console::backend::sse::SseItem::Event { .. }),
        "{first:?}"
    );
    drop(body);

    let stations: serde_json::Value = http
        .get(format!("{}/api/v1/stations", embedded.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stations = stations["stations"].as_array().unwrap();
    let simulated = wxdesk::assets::simulated_devices().unwrap().len();
    assert_eq!(
        stations.len(),
        16 + simulated,
        "Qingliu's 16 stations and the simulated gardens' and greenhouses'"
    );

    tokio::task::spawn_blocking(move || drop(embedded))
        .await
        .unwrap();
    assert!(dir.path().join("central.sqlite").exists());

    // The administrator chose a password: the next start shows no one-time password.
    let again = start(dir.path()).await;
    assert_eq!(again.first_admin_password(), None);
    tokio::task::spawn_blocking(move || drop(again))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_password_never_used_is_replaced_at_the_next_start() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path()).await;
    let old = first.first_admin_password().unwrap().clone();
    let url = first.url().to_owned();
    tokio::task::spawn_blocking(move || drop(first))
        .await
        .unwrap();
    // The window was closed before anyone logged in: a new password, and the old one is void.
    let second = start(dir.path()).await;
    let new = second.first_admin_password().expect("reissued").clone();
    assert_ne!(old, new);
    let login = |password: String| {
        let url = second.url().to_owned();
        async move {
            client()
                .post(format!("{url}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": "admin", "password": password, "workstation": "t"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_ne!(url, second.url(), "a new port each start");
    assert_eq!(login(old.expose().to_owned()).await, 401);
    assert_eq!(login(new.expose().to_owned()).await, 200);
    tokio::task::spawn_blocking(move || drop(second))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_gardens_say_they_are_online_on_the_embedded_broker() {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

    init();
    let dir = tempfile::tempdir().unwrap();
    let embedded = start(dir.path()).await;
    let broker = embedded.broker_addr().expect("the embedded broker listens");
    assert!(broker.ip().is_loopback(), "{broker}");
    let devices = wxdesk::sim::gardens::simulated_devices().unwrap();

    let options = MqttOptions::new("test-watcher", broker.ip().to_string(), broker.port());
    let (client, mut events) = AsyncClient::new(options, 16);
    client
        .subscribe("wxdesk/v1/devices/+/state", QoS::AtLeastOnce)
        .await
        .unwrap();
    let mut online = std::collections::BTreeSet::new();
    within("every simulated device's retained state", async {
        while online.len() < devices.len() {
            if let Event::Incoming(Packet::Publish(p)) = events.poll().await.unwrap()
                && &p.payload[..] == wxdesk::sim::gardens::payload::ONLINE.as_bytes()
            {
                online.insert(p.topic.clone());
            }
        }
    })
    .await;
    for device in &devices {
        assert!(online.contains(&format!("wxdesk/v1/devices/{}/state", device.id)));
    }
    tokio::task::spawn_blocking(move || drop(embedded))
        .await
        .unwrap();
}

async fn start(dir: &std::path::Path) -> wxdesk::embedded::Embedded {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || wxdesk::embedded::start(&dir, system_clock()))
        .await
        .unwrap()
        .expect("embedded central starts")
}

/// Logs in as the administrator with the one-time password, chooses a password; the token.
async fn first_login(url: &str, otp: &str) -> String {
    first_login_as(url, "admin", otp).await
}

/// Logs `username` in with its one-time password, chooses a password; the session token.
async fn first_login_as(url: &str, username: &str, otp: &str) -> String {
    crate::accounts::first_login(&client(), url, username, otp).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_embedded_database_is_moved_aside_and_replaced() {
    init();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("central.sqlite"), vec![7u8; 8192]).unwrap();
    let path = dir.path().to_owned();
    let embedded =
        tokio::task::spawn_blocking(move || wxdesk::embedded::start(&path, system_clock()))
            .await
            .unwrap()
            .expect("embedded central starts despite the damaged file");
    assert_eq!(embedded.notices().len(), 1);
    assert!(
        embedded.notices()[0].contains("moved to"),
        "{:?}",
        embedded.notices()
    );
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name().to_string_lossy().contains("corrupt-")
                && std::fs::read(e.path()).unwrap() == vec![7u8; 8192]
        });
    assert!(kept, "the damaged file is kept for inspection");
    tokio::task::spawn_blocking(move || drop(embedded))
        .await
        .unwrap();
}

/// A technician's token on the embedded central (the administrator creates the user).
async fn technician(url: &str, admin: &str) -> String {
    let tech = ("tech", "Tech", "technician");
    crate::accounts::created_user(&client(), url, admin, tech).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_greenhouse_has_relays_its_fan_answers_and_a_restart_remembers_it() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let embedded = start(dir.path()).await;
    let url = embedded.url().to_owned();
    let otp = embedded.first_admin_password().unwrap().expose().to_owned();
    let admin = first_login(&url, &otp).await;
    let tech = technician(&url, &admin).await;
    let http = client_with(&tech);
    let relays: serde_json::Value = http
        .get(format!("{url}/api/v1/relays"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let greenhouse = |class: &str| {
        relays["relays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["device"] == "YR-GH1" && r["relay"]["class"] == class)
    };
    for class in ["ventilation", "shade", "irrigation"] {
        assert!(greenhouse(class), "YR-GH1 has a {class} relay: {relays}");
    }
    let command = serde_json::json!({"command_id": "c-emb-fan-0001", "device": "YR-GH1",
        "channel": 1, "target": "on"});
    let queued = http
        .post(format!("{url}/api/v1/relay-commands"))
        .json(&command)
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 202, "{}", queued.text().await.unwrap());
    let observed = within("the simulated fan observed on", async {
        loop {
            let now: serde_json::Value = http
                .get(format!("{url}/api/v1/relay-commands/c-emb-fan-0001"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if now["state"] == "observed" {
                return now;
            }
            // No change feed here: look again shortly.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(observed["acked_at"].is_string(), "{observed}");
    tokio::task::spawn_blocking(move || drop(embedded))
        .await
        .unwrap();

    // Restarted, the greenhouse's controller starts with its fan as the history left it: on.
    let embedded = start(dir.path()).await;
    let url = embedded.url().to_owned();
    let broker = embedded.broker_addr().unwrap();
    let (watcher, mut events) = rumqttc::AsyncClient::new(
        rumqttc::MqttOptions::new("test-watcher", broker.ip().to_string(), broker.port()),
        16,
    );
    watcher
        .subscribe("wxdesk/v1/devices/YR-GH1/relays", rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    within("the watcher subscribed", async {
        while !matches!(
            events.poll().await.unwrap(),
            rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))
        ) {}
    })
    .await;
    let login: serde_json::Value = client()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "tech", "password": crate::support::PASSWORD, "workstation": "t"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let http = client_with(login["token"].as_str().unwrap());
    let water = serde_json::json!({"command_id": "c-emb-water-01", "device": "YR-GH1",
        "channel": 3, "target": "on", "reason": "育苗盘偏干"});
    let queued = http
        .post(format!("{url}/api/v1/relay-commands"))
        .json(&water)
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 202, "{}", queued.text().await.unwrap());
    // The feedback after the command reads every relay back: the fan is still on.
    let feedback = within("the controller's feedback with the valve open", async {
        loop {
            if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) =
                events.poll().await.unwrap()
            {
                let read: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                if read["relays"]["3"] == true {
                    return read;
                }
            }
        }
    })
    .await;
    assert_eq!(feedback["relays"]["1"], true, "{feedback}");
    tokio::task::spawn_blocking(move || drop(embedded))
        .await
        .unwrap();
}
