//! Relay control end to end through a running central: commands over a real Mosquitto to a
//! greenhouse controller (`sim::relay_responder`, a real MQTT client) and over Modbus TCP to a
//! pymodbus board. Commanded, acknowledged and observed are told apart; a repeat switches
//! once; a device that drops its link mid-command ends timed out, never success; interlocks
//! and classes refuse before anything is queued; a coil-only irrigation relay is switched off
//! at its limit once its link returns; an independent Modbus client reads what the desk shows.

use std::time::Duration;

use serde_json::{Value, json};
use wxdesk::central::devices::mqtt::{
    CentralAccount, MqttSettings, device_password, write_broker_files,
};
use wxdesk::domain::access::{Role, Secret};
use wxdesk::domain::devices::{Device, DeviceId};
use wxdesk::sim::mqtt_device::DeviceOptions;
use wxdesk::sim::relay_responder::{Behaviour, RelayResponder};

use crate::mqtt::peer::Mosquitto;
use crate::support::{PATIENCE, TestCentral, batch, client, client_with, now, record, within};

const CENTRAL_USER: &str = "wxdesk-central";

/// A greenhouse controller with a fan, a shade net interlocked on 清流's wind, and irrigation
/// limited to a minute.
pub fn greenhouse(id: &str, station: &str) -> Device {
    serde_json::from_value(json!({
        "id": id, "name_zh": "测试大棚控制器", "kind": "greenhouse_controller",
        "location": {"lat": 26.18, "lon": 116.82}, "altitude_m": 310.0,
        "township": 350423100, "transport": "mqtt", "interval_s": 60, "station": station,
        "relays": [
            {"channel": 1, "name_zh": "1号风机", "class": "ventilation"},
            {"channel": 2, "name_zh": "遮阳网", "class": "shade", "interlocks": [
                {"name_zh": "大风禁开遮阳网", "station": "58819", "element": "WIN_S_Avg_2mi",
                 "bound": {"below": 10.8}, "max_age_s": 600}]},
            {"channel": 3, "name_zh": "滴灌", "class": "irrigation", "max_run_s": 60}
        ]
    }))
    .unwrap()
}

/// Mosquitto with accounts for the central and `devices`.
pub struct Broker {
    broker: Mosquitto,
    secret: Secret,
    central_password: Secret,
    _dir: tempfile::TempDir,
}

impl Broker {
    pub fn start(devices: &[Device]) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let secret = Secret::new("county-device-secret");
        let central = CentralAccount {
            username: CENTRAL_USER.into(),
            password: Secret::new("central-test-password"),
        };
        let files = write_broker_files(dir.path(), &central, &secret, devices).unwrap();
        let broker = Mosquitto::start(dir.path(), &files.passwords, &files.acl)?;
        Some(Self {
            broker,
            secret,
            central_password: central.password,
            _dir: dir,
        })
    }

    pub fn settings(&self) -> MqttSettings {
        crate::mqtt::central_settings(self.broker.port, &self.central_password, &self.secret)
    }

    pub fn device(&self, id: &str) -> DeviceOptions {
        let device = DeviceId::parse(id).unwrap();
        let mut options = DeviceOptions::new(
            "127.0.0.1",
            self.broker.port,
            device.clone(),
            device_password(&self.secret, &device),
        );
        options.retry_every = Duration::from_millis(50);
        options
    }
}

/// A central with `[mqtt]` at `broker` and `devices` registered.
pub async fn central_with(settings: Option<MqttSettings>, devices: Vec<Device>) -> TestCentral {
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, move |config| {
        config.mqtt = settings;
    })
    .await;
    let added = central.running().register_devices(devices).await.unwrap();
    assert!(added > 0);
    central
}

/// POSTs `body` to `path` as `role`: status and JSON answer.
pub async fn post_as(central: &TestCentral, role: Role, path: &str, body: &Value) -> (u16, Value) {
    let response = client_with(&central.token(role).await)
        .post(central.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub fn command(id: &str, device: &str, channel: u16, target: &str, reason: Option<&str>) -> Value {
    let mut body =
        json!({"command_id": id, "device": device, "channel": channel, "target": target});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    body
}

/// Waits until command `id` is in `state` (the change log moves it; polled over HTTP).
pub async fn until_state(central: &TestCentral, id: &str, state: &str) -> Value {
    let mut head = central.running().watch_head();
    within(&format!("command {id} {state}"), async {
        loop {
            head.borrow_and_update();
            let (status, body) = central
                .get_as(Role::Technician, &format!("/relay-commands/{id}"))
                .await;
            assert_eq!(status, 200, "{body}");
            if body["state"] == state {
                return body;
            }
            // Every step of a command is a change: wait for the next one.
            head.changed().await.unwrap();
        }
    })
    .await
}

/// The relay as `GET /relays` shows it.
pub async fn relay_view(central: &TestCentral, device: &str, channel: u16) -> Value {
    let (_, body) = central.get_as(Role::DutyForecaster, "/relays").await;
    body["relays"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["device"] == device && r["relay"]["channel"] == channel)
        .cloned()
        .unwrap_or_else(|| panic!("no relay {device}/{channel} in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_goes_from_commanded_to_acknowledged_to_observed_and_a_repeat_switches_once() {
    let gh = greenhouse("GH-01", "GHS01");
    let Some(broker) = Broker::start(std::slice::from_ref(&gh)) else {
        return;
    };
    let central = central_with(Some(broker.settings()), vec![gh]).await;
    let mut device = RelayResponder::connect(&broker.device("GH-01"), 3, Behaviour::Obliging).await;
    let body = command("c-fan-00000001", "GH-01", 1, "on", None);
    let (status, queued) = post_as(&central, Role::Technician, "/relay-commands", &body).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["state"], "queued");
    let observed = until_state(&central, "c-fan-00000001", "observed").await;
    for stamp in ["sent_at", "acked_at", "observed_at"] {
        assert!(observed[stamp].is_string(), "{stamp} in {observed}");
    }
    device.handled(1).await;
    let view = relay_view(&central, "GH-01", 1).await;
    assert_eq!(view["observed"]["state"], "on", "{view}");
    assert_eq!(view["last_command"]["id"], "c-fan-00000001");

    // The desk sends the same request again (it never heard the answer): nothing new.
    let (again, same) = post_as(&central, Role::Technician, "/relay-commands", &body).await;
    assert_eq!((again, same["state"].as_str()), (200, Some("observed")));
    // The broker delivers the command a second time: the device answers duplicate, once.
    deliver_again(&broker, &central, "GH-01", &body).await;
    device.handled(2).await;
    let relays = device.relays();
    assert_eq!((relays.switches, relays.duplicates), (1, 1), "{relays:?}");
}

/// Publishes a command's payload once more on the device's topic, as a broker redelivering it.
async fn deliver_again(broker: &Broker, _central: &TestCentral, device: &str, body: &Value) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let settings = broker.settings();
    let mut options = MqttOptions::new("redeliverer", "127.0.0.1", settings.port);
    options.set_credentials(CENTRAL_USER, settings.password.expose());
    let (client, mut events) = AsyncClient::new(options, 8);
    let payload = json!({"command_id": body["command_id"], "channel": body["channel"], "set": body["target"]});
    let topic = format!("wxdesk/v1/devices/{device}/commands");
    client
        .publish(topic, QoS::AtLeastOnce, false, payload.to_string())
        .await
        .unwrap();
    within("the redelivery's PUBACK", async {
        while !matches!(events.poll().await, Ok(Event::Incoming(Packet::PubAck(_)))) {}
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_drops_its_link_mid_command_ends_timed_out_never_success() {
    let gh = greenhouse("GH-02", "GHS02");
    let Some(broker) = Broker::start(std::slice::from_ref(&gh)) else {
        return;
    };
    let central = central_with(Some(broker.settings()), vec![gh]).await;
    let device =
        RelayResponder::connect(&broker.device("GH-02"), 3, Behaviour::DropsOnCommand).await;
    let body = command("c-drop-0000001", "GH-02", 1, "on", None);
    let (status, _) = post_as(&central, Role::Technician, "/relay-commands", &body).await;
    assert_eq!(status, 202);
    until_state(&central, "c-drop-0000001", "sent").await;
    // No acknowledgement comes; past the deadline the sweep ends it.
    central.clock.advance(11_000);
    // (The sweep worker may get there first: either way the command ends timed out.)
    central.running().sweep_relays().await.unwrap();
    let ended = until_state(&central, "c-drop-0000001", "timed_out").await;
    assert!(ended["observed_at"].is_null(), "{ended}");
    let view = relay_view(&central, "GH-02", 1).await;
    assert_eq!(
        view["observed"]["state"], "off",
        "the relay never showed on: {view}"
    );
    drop(device);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulse_relay_is_sent_its_pulse_and_the_device_ending_it_is_observed() {
    let mut gh = greenhouse("GH-05", "GHS05");
    let misting: wxdesk::domain::relays::Relay = serde_json::from_value(json!(
        {"channel": 4, "name_zh": "喷雾", "class": "irrigation", "max_run_s": 1, "pulse": true}
    ))
    .unwrap();
    gh.relays.push(misting);
    let Some(broker) = Broker::start(std::slice::from_ref(&gh)) else {
        return;
    };
    let central = central_with(Some(broker.settings()), vec![gh]).await;
    let mut device = RelayResponder::connect(&broker.device("GH-05"), 4, Behaviour::Obliging).await;
    let body = command("c-mist-0000001", "GH-05", 4, "on", Some("苗床喷雾降温"));
    let (status, queued) = post_as(&central, Role::Technician, "/relay-commands", &body).await;
    assert_eq!(status, 202, "{queued}");
    until_state(&central, "c-mist-0000001", "observed").await;
    device.handled(1).await;
    assert_eq!(
        device.relays().received[0].pulse_s,
        Some(1),
        "the pulse travels with the command"
    );
    // The controller's own timer ends it (the central's clock stands still, so its run-time
    // limit cannot be what switched it off).
    let mut head = central.running().watch_head();
    within("the pulse's end observed", async {
        while relay_view(&central, "GH-05", 4).await["observed"]["state"] != "off" {
            head.changed().await.unwrap();
        }
    })
    .await;
    assert_eq!(device.relays().pulses_ended, 1);
    let (_, commands) = central.get_as(Role::Technician, "/relay-commands").await;
    let ids: Vec<&str> = commands["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["c-mist-0000001"],
        "no off from the central: {commands}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interlocks_classes_and_reasons_refuse_before_anything_is_queued() {
    let gh = greenhouse("GH-03", "GHS03");
    let central = central_with(None, vec![gh]).await;
    // No wind reading at all: the shade net's interlock fails closed.
    let shade = command("c-shade-000001", "GH-03", 2, "on", Some("午间强光"));
    let (status, refused) = post_as(&central, Role::Technician, "/relay-commands", &shade).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("interlock_refused")),
        "{refused}"
    );
    assert_eq!(refused["params"]["why"], "missing");
    // A gale at 清流 now: refused, naming the interlock and the reading.
    let gale = record(
        "58819",
        &now().plus_ms(-60_000).to_rfc3339(),
        json!({"WIN_S_Avg_2mi": 14.2}),
    );
    let (ingested, _) = central.post_observations(&client(), &batch(&[gale])).await;
    assert_eq!(ingested, 200);
    let shade = command("c-shade-000002", "GH-03", 2, "on", Some("午间强光"));
    let (status, refused) = post_as(&central, Role::Technician, "/relay-commands", &shade).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["params"]["interlock"], "大风禁开遮阳网");
    assert_eq!(refused["params"]["value"], "14.2");
    assert_eq!(refused["params"]["why"], "out_of_bound");
    // Closing the net is never interlocked.
    let close = command("c-shade-000003", "GH-03", 2, "off", None);
    let (status, _) = post_as(&central, Role::Technician, "/relay-commands", &close).await;
    assert_eq!(status, 202);
    // Irrigation on needs a reason; a forecaster may not switch it at all.
    let water = command("c-water-000001", "GH-03", 3, "on", None);
    let (status, refused) = post_as(&central, Role::Technician, "/relay-commands", &water).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("relay_reason_required"))
    );
    let water = command("c-water-000002", "GH-03", 3, "on", Some("土壤偏干"));
    let (status, refused) =
        post_as(&central, Role::DutyForecaster, "/relay-commands", &water).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("forbidden")),
        "{refused}"
    );
    let (status, _) = post_as(&central, Role::Leader, "/relay-commands", &water).await;
    assert_eq!(status, 403);
    // Nothing but the off was queued; the refusal is in the audit log.
    let (_, list) = central.get_as(Role::Technician, "/relay-commands").await;
    let ids: Vec<&str> = list["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["c-shade-000003"]);
    let (_, audit) = central
        .get_as(Role::Supervisor, "/audit?action=relay_command_refused")
        .await;
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(2),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_to_an_offline_device_waits_visibly_and_can_be_cancelled_or_expires() {
    let gh = greenhouse("GH-04", "GHS04");
    let Some(broker) = Broker::start(std::slice::from_ref(&gh)) else {
        return;
    };
    let central = central_with(Some(broker.settings()), vec![gh]).await;
    // The controller was online once and then lost its link: its will says offline.
    let device = RelayResponder::connect(&broker.device("GH-04"), 3, Behaviour::Obliging).await;
    device.drop_link();
    within("the device offline", async {
        loop {
            let (_, devices) = central.get_as(Role::Technician, "/devices").await;
            if devices.to_string().contains("\"presence\":\"offline\"") {
                return;
            }
            // Presence is not a change of its own: look again after the next report or step.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let body = command("c-wait-0000001", "GH-04", 1, "on", None);
    let (status, queued) = post_as(&central, Role::Technician, "/relay-commands", &body).await;
    assert_eq!(status, 202);
    assert!(queued["expires_at"].is_string(), "{queued}");
    // A dispatcher may be trying it this very moment (and hearing "offline"): the central
    // says "sending" then, and the desk asks again.
    let cancelled = within("the cancel taken", async {
        loop {
            let (status, answer) = post_as(
                &central,
                Role::Technician,
                "/relay-commands/c-wait-0000001/cancel",
                &Value::Null,
            )
            .await;
            if status == 200 {
                return answer;
            }
            assert_eq!(answer["params"]["state"], "sending", "{answer}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(cancelled["state"], "cancelled");
    let (status, again) = post_as(
        &central,
        Role::Technician,
        "/relay-commands/c-wait-0000001/cancel",
        &json!({}),
    )
    .await;
    assert_eq!(
        (status, again["error"].as_str()),
        (409, Some("command_not_cancellable"))
    );
    // Another waits until its expiry passes.
    let body = command("c-wait-0000002", "GH-04", 1, "on", None);
    post_as(&central, Role::Technician, "/relay-commands", &body).await;
    central.clock.advance(601_000);
    central.running().sweep_relays().await.unwrap();
    until_state(&central, "c-wait-0000002", "expired").await;
}

/// Keeps `PATIENCE` in use for readers: every wait above is bounded by it.
#[test]
fn waits_are_bounded() {
    assert!(PATIENCE >= Duration::from_secs(10));
}

/// A Modbus TCP relay board (pymodbus) of 8 coils, `on` those given, with a fan on relay 1
/// and a minute-limited irrigation valve on relay 2 (coil-only: no pulse).
fn board_device(port: u16) -> Device {
    serde_json::from_value(json!({
        "id": "RB-01", "name_zh": "测试继电器板", "kind": "relay_board",
        "location": {"lat": 26.18, "lon": 116.82}, "altitude_m": 310.0,
        "township": 350423100, "transport": "modbus_tcp", "interval_s": 1,
        "modbus": {"address": format!("127.0.0.1:{port}"), "unit": 1},
        "relays": [
            {"channel": 1, "name_zh": "1号风机", "class": "ventilation"},
            {"channel": 2, "name_zh": "滴灌", "class": "irrigation", "max_run_s": 60}
        ]
    }))
    .unwrap()
}

fn coils(on: &[usize]) -> Value {
    let coils: Vec<u8> = (1..=8).map(|c| u8::from(on.contains(&c))).collect();
    json!({"1": {"coils": coils}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_relay_is_switched_once_and_an_independent_client_reads_what_the_desk_shows() {
    use crate::modbus::peer::{self, Board};
    if !peer::available() {
        return;
    }
    let board = Board::start(&coils(&[]), 0);
    let central = central_with(None, vec![board_device(board.port)]).await;
    let fan = command("c-rbfan-000001", "RB-01", 1, "on", None);
    let (status, _) = post_as(&central, Role::Technician, "/relay-commands", &fan).await;
    assert_eq!(status, 202);
    let observed = until_state(&central, "c-rbfan-000001", "observed").await;
    assert!(observed["detail"].is_null(), "{observed}");
    // What the desk is shown is what an independent Modbus client reads on the board.
    let view = relay_view(&central, "RB-01", 1).await;
    assert_eq!(view["observed"]["state"], "on");
    let read = peer::read_coils(board.port, 1, 0, 2);
    assert_eq!(read, [true, false]);
    // Another command to set it on: the coil is read first and nothing is written.
    let again = command("c-rbfan-000002", "RB-01", 1, "on", None);
    post_as(&central, Role::Technician, "/relay-commands", &again).await;
    let observed = until_state(&central, "c-rbfan-000002", "observed").await;
    assert_eq!(
        observed["detail"],
        "the coil already held it: nothing written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_cut_off_mid_command_ends_timed_out_and_its_next_reading_shows_the_truth() {
    use crate::modbus::peer::{self, Board};
    if !peer::available() {
        return;
    }
    // The board loses power as it writes the coil: the write may have happened, no answer.
    let board = Board::start_dying_on_write(&coils(&[]), 0);
    let port = board.port;
    let central = central_with(None, vec![board_device(port)]).await;
    let fan = command("c-rbcut-000001", "RB-01", 1, "on", None);
    let (status, _) = post_as(&central, Role::Technician, "/relay-commands", &fan).await;
    assert_eq!(status, 202);
    let ended = until_state(&central, "c-rbcut-000001", "timed_out").await;
    assert!(ended["observed_at"].is_null(), "never a success: {ended}");
    let detail = ended["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("stopped answering mid-command"), "{ended}");
    // Power back, the coil latched on: the central reads the truth and sends nothing again.
    drop(board);
    let _back = Board::start(&coils(&[1]), port);
    let mut head = central.running().watch_head();
    within("the board read again", async {
        while relay_view(&central, "RB-01", 1).await["observed"]["state"] != "on" {
            head.changed().await.unwrap();
        }
    })
    .await;
    let (_, list) = central
        .get_as(Role::Technician, "/relay-commands?device=RB-01")
        .await;
    let states: Vec<&str> = list["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["state"].as_str())
        .collect();
    assert_eq!(
        states,
        ["timed_out"],
        "one command, ended, never resent: {list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coil_only_irrigation_relay_is_switched_off_at_its_limit_after_its_link_returns() {
    use crate::modbus::peer::{self, Board};
    if !peer::available() {
        return;
    }
    let board = Board::start(&coils(&[]), 0);
    let central = central_with(None, vec![board_device(board.port)]).await;
    let water = command("c-water-100001", "RB-01", 2, "on", Some("土壤含水量偏低"));
    let (status, _) = post_as(&central, Role::Technician, "/relay-commands", &water).await;
    assert_eq!(status, 202);
    until_state(&central, "c-water-100001", "observed").await;
    // The board's link drops (its relay stays on, as a relay does when comms fail).
    let port = board.kill();
    central.clock.advance(61_000);
    central.running().sweep_relays().await.unwrap();
    let (_, list) = central
        .get_as(Role::Technician, "/relay-commands?device=RB-01")
        .await;
    let off = list["commands"][0].clone();
    assert_eq!(
        (off["target"].as_str(), off["requested_by"].as_str()),
        (Some("off"), Some("central"))
    );
    assert!(
        off["expires_at"].is_null(),
        "a limit's off never expires: {off}"
    );
    assert_eq!(off["state"], "queued", "it waits for the link: {off}");
    // More sweeps queue nothing more while that off waits.
    central.running().sweep_relays().await.unwrap();
    let (_, again) = central
        .get_as(Role::Technician, "/relay-commands?device=RB-01")
        .await;
    assert_eq!(
        again["commands"].as_array().map(Vec::len),
        Some(2),
        "{again}"
    );
    // Two minutes on, the valve is still not seen off: the device's alarm is raised, once.
    central.clock.advance(121_000);
    central.running().sweep_relays().await.unwrap();
    central.running().sweep_relays().await.unwrap();
    let alarm = stuck_alarm(&central).await;
    assert_eq!(
        (alarm["active"].as_bool(), alarm["occurrences"].as_u64()),
        (Some(true), Some(1)),
        "{alarm}"
    );
    // The link returns with the valve still open: the off goes out and is read back.
    let _back = Board::start(&coils(&[2]), port);
    central.clock.advance(10_000);
    central.running().sweep_relays().await.unwrap();
    let id = off["id"].as_str().unwrap().to_owned();
    until_state(&central, &id, "observed").await;
    assert_eq!(peer::read_coils(port, 1, 0, 2), [false, false]);
    let view = relay_view(&central, "RB-01", 2).await;
    assert_eq!(view["observed"]["state"], "off");
    central.running().sweep_relays().await.unwrap();
    assert_eq!(
        stuck_alarm(&central).await["active"],
        false,
        "cleared once seen off"
    );
}

async fn stuck_alarm(central: &TestCentral) -> Value {
    let (_, body) = central.get_as(Role::Technician, "/device-alarms").await;
    body["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "relay_stuck" && a["subject"] == "RB-01")
        .cloned()
        .unwrap_or_else(|| panic!("no relay_stuck alarm in {body}"))
}

/// A tea garden's relay board: frost fans on relay 1 proposed below 2 ℃ at 清流, a vent on
/// relay 2 the bureau lets switch itself above 25 ℃ at 708301.
fn frost_board(port: u16) -> Device {
    serde_json::from_value(json!({
        "id": "RB-FROST", "name_zh": "茶园防霜继电器板", "kind": "relay_board",
        "location": {"lat": 26.18, "lon": 116.82}, "altitude_m": 310.0,
        "township": 350423100, "transport": "modbus_tcp", "interval_s": 1,
        "modbus": {"address": format!("127.0.0.1:{port}"), "unit": 1},
        "relays": [
            {"channel": 1, "name_zh": "防霜风机", "class": "anti_frost", "automations": [
                {"id": "frost", "name_zh": "茶园霜冻开防霜风机", "target": "on", "station": "58819",
                 "element": "TEM", "when": {"below": 2.0}, "hysteresis": 1.0}]},
            {"channel": 2, "name_zh": "通风窗", "class": "ventilation", "automations": [
                {"id": "hot", "name_zh": "高温开窗", "target": "on", "station": "708301",
                 "element": "TEM", "when": {"above": 25.0}, "hysteresis": 2.0, "unattended": true}]}
        ]
    }))
    .unwrap()
}

async fn temperature(central: &TestCentral, station: &str, minutes_ago: i64, tem: f64) {
    let at = wxdesk::domain::Clock::now(&*central.clock)
        .plus_ms(-minutes_ago * 60_000)
        .to_rfc3339();
    let (status, body) = central
        .post_observations(
            &client(),
            &batch(&[record(station, &at, json!({"TEM": tem}))]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn proposals(central: &TestCentral) -> Vec<Value> {
    let (_, body) = central
        .get_as(Role::DutyForecaster, "/relay-proposals")
        .await;
    body["proposals"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frost_rule_proposes_frost_fans_a_forecaster_confirms_and_an_unattended_rule_acts_alone()
{
    use crate::modbus::peer::{self, Board};
    if !peer::available() {
        return;
    }
    let board = Board::start(&coils(&[]), 0);
    let central = central_with(None, vec![frost_board(board.port)]).await;
    temperature(&central, "58819", 1, 1.2).await;
    temperature(&central, "708301", 1, 26.5).await;
    central.running().sweep_relays().await.unwrap();
    // The frost rule proposes; nothing is switched by it.
    let open = proposals(&central).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        (
            open[0]["state"].as_str(),
            open[0]["reading"]["value"].as_f64()
        ),
        (Some("open"), Some(1.2))
    );
    // The vent's rule acted alone, recorded with its rule as the origin.
    let (_, list) = central
        .get_as(Role::Technician, "/relay-commands?device=RB-FROST")
        .await;
    let vent = list["commands"][0].clone();
    assert_eq!(
        vent["origin"],
        json!({"kind": "automation", "rule": "hot", "unattended": true})
    );
    assert_eq!(vent["requested_by"], "central");
    until_state(&central, vent["id"].as_str().unwrap(), "observed").await;
    // The duty forecaster confirms the frost fans with one click.
    let path = format!("/relay-proposals/{}/confirm", open[0]["id"]);
    let (status, command) = post_as(
        &central,
        Role::DutyForecaster,
        &path,
        &json!({"command_id": "c-frost-000001"}),
    )
    .await;
    assert_eq!(status, 202, "{command}");
    assert_eq!(command["reason"], "茶园霜冻开防霜风机：58819 TEM 1.2");
    until_state(&central, "c-frost-000001", "observed").await;
    assert_eq!(peer::read_coils(board.port, 1, 0, 2), [true, true]);
    let decided = proposals(&central).await;
    assert_eq!(
        (decided[0]["state"].as_str(), decided[0]["command"].as_str()),
        (Some("confirmed"), Some("c-frost-000001"))
    );
    let (again, _) = post_as(
        &central,
        Role::DutyForecaster,
        &path,
        &json!({"command_id": "c-frost-000002"}),
    )
    .await;
    assert_eq!(again, 409, "a decided proposal is not confirmed twice");
    // It stays cold: no second proposal. It warms past the hysteresis and cools again: a new one.
    temperature(&central, "58819", 0, 1.0).await;
    central.running().sweep_relays().await.unwrap();
    assert_eq!(
        proposals(&central).await.len(),
        1,
        "no second proposal while it stays cold"
    );
    central.clock.advance(60_000);
    temperature(&central, "58819", 0, 3.5).await;
    central.running().sweep_relays().await.unwrap();
    central.clock.advance(60_000);
    temperature(&central, "58819", 0, 0.5).await;
    central.running().sweep_relays().await.unwrap();
    let all = proposals(&central).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let newest = all[0].clone();
    assert_eq!(newest["state"], "open");
    let dismiss = format!("/relay-proposals/{}/dismiss", newest["id"]);
    let (status, dismissed) = post_as(&central, Role::Technician, &dismiss, &Value::Null).await;
    assert_eq!(
        (status, dismissed["state"].as_str()),
        (200, Some("dismissed"))
    );
}

/// A central killed while handing a command over leaves its outbox row `unknown` (what the
/// outbox's recovery makes of a lapsed `sending` row): the command must end timed out, never
/// stay queued as if nothing went out, and never be handed over again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_over_cut_by_a_crash_ends_timed_out_and_is_never_sent_again() {
    // No broker: the dispatcher hears "not now" and the row waits, queued.
    let central = central_with(None, vec![greenhouse("GH-05", "GHS05")]).await;
    let body = command("c-crash-000001", "GH-05", 1, "on", None);
    let (status, _) = post_as(&central, Role::Technician, "/relay-commands", &body).await;
    assert_eq!(status, 202);
    let db = rusqlite::Connection::open(central.db_path()).unwrap();
    db.busy_timeout(PATIENCE).unwrap();
    let cut = "UPDATE outbox SET state = 'unknown', attempt = attempt + 1
               WHERE idem_key = 'relay:c-crash-000001' AND state = 'queued'";
    within("the row made unknown between two attempts", async {
        // A dispatcher attempt may hold the row this moment: take it when it is back.
        while db.execute(cut, []).unwrap() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let attempts = |db: &rusqlite::Connection| -> (String, i64) {
        db.query_row(
            "SELECT state, attempt FROM outbox WHERE idem_key = 'relay:c-crash-000001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let before = attempts(&db);
    central.running().sweep_relays().await.unwrap();
    let ended = until_state(&central, "c-crash-000001", "timed_out").await;
    assert!(
        ended["detail"]
            .as_str()
            .unwrap_or("")
            .contains("handing it over"),
        "{ended}"
    );
    // The dispatcher was woken again: the row stays unknown, not one more attempt.
    central.running().sweep_relays().await.unwrap();
    assert_eq!(attempts(&db), before);
    assert_eq!(before.0, "unknown");
}
