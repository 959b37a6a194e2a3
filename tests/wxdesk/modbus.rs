//! Relay boards read by Modbus against pinned pymodbus peers (tests/peers/modbus): Modbus TCP
//! boards read into scaled telemetry and relay states, the same board numbered from 1 reading
//! the same coils, a board going down (past unreachable, polled less often) and coming back,
//! and boards added to the registry while polling; a test 4G DTU dialling in, registering and
//! heartbeating, its two boards read with never two requests outstanding on its bus and
//! heartbeats glued to every answer, its disappearance one DTU fault rather than a fault per
//! board, an unknown DTU refused, a second connection replacing the first, a DTU that stops
//! heartbeating taken down, and a board missing from a live DTU's bus failing on its own; a
//! board read by register maps written in `central.toml`.

pub(crate) mod peer;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use wxdesk::central::devices::modbus::dtu::{DtuConfig, DtuHub, Packet, run_dtu_listener};
use wxdesk::central::devices::modbus::map::{
    Field, Format, HealthField, MapBook, Meaning, RegisterMap, RegisterTable, Span,
};
use wxdesk::central::devices::modbus::poller::{PollConfig, run_pollers};
use wxdesk::central::devices::modbus::switch::{BoardSwitches, CoilOutcome, SwitchFailure};
use wxdesk::central::devices::modbus::{
    BoardReading, DtuDownReason, LinkEvent, LinkFailure, ModbusEvent, Outputs,
};
use wxdesk::domain::devices::health::Exchange;
use wxdesk::domain::devices::{Device, DeviceId, DeviceKind, ModbusEndpoint, Telemetry, Transport};
use wxdesk::domain::geo::LatLon;
use wxdesk::domain::time::system_clock;
use wxdesk::domain::{Element, TownshipCode};

use self::peer::{Board, Dtu};

/// How long the central may take to tell what a test waits for: a guard, not a pace.
const GUARD: Duration = Duration::from_secs(30);

const DTU_ID: &str = "DTU-T1";

fn id(text: &str) -> DeviceId {
    DeviceId::parse(text).unwrap()
}

fn device(name: &str, kind: DeviceKind, transport: Transport) -> Device {
    Device {
        id: id(name),
        name_zh: format!("测试{name}"),
        kind,
        location: LatLon::new(26.18, 116.86),
        altitude_m: 300.0,
        township: TownshipCode(350_423_100),
        transport,
        interval_s: 1,
        station: None,
        reference_station: None,
        dtu: None,
        modbus: None,
        cellular: true,
        simulated: false,
        relays: Vec::new(),
    }
}

fn endpoint(address: Option<String>, unit: u8, map: &str) -> ModbusEndpoint {
    ModbusEndpoint {
        address,
        unit,
        one_based: false,
        map: Some(map.to_owned()),
        max_per_request: None,
    }
}

fn tcp_board(name: &str, port: u16, modbus: ModbusEndpoint) -> Device {
    Device {
        modbus: Some(ModbusEndpoint {
            address: Some(format!("127.0.0.1:{port}")),
            ..modbus
        }),
        ..device(name, DeviceKind::RelayBoard, Transport::ModbusTcp)
    }
}

fn dtu_board(name: &str, unit: u8) -> Device {
    Device {
        dtu: Some(id(DTU_ID)),
        modbus: Some(endpoint(None, unit, "bus")),
        ..device(name, DeviceKind::RelayBoard, Transport::ModbusDtu)
    }
}

fn dtu_device(name: &str) -> Device {
    device(name, DeviceKind::Dtu, Transport::Mqtt)
}

fn field(
    table: RegisterTable,
    address: u16,
    format: Format,
    scale: f64,
    meaning: Meaning,
) -> Field {
    Field {
        table,
        address,
        format,
        scale,
        meaning,
    }
}

/// The garden board's map as a manual numbering from `first` writes it.
fn garden_map(first: u16) -> RegisterMap {
    RegisterMap {
        coils: Some(Span { first, count: 8 }),
        discrete_inputs: Some(Span { first, count: 2 }),
        fields: vec![
            field(
                RegisterTable::Holding,
                first,
                Format::I16,
                0.1,
                Meaning::Element(Element::Tem),
            ),
            field(
                RegisterTable::Holding,
                first + 1,
                Format::I16,
                0.1,
                Meaning::Element(Element::Gst),
            ),
            field(
                RegisterTable::Input,
                first,
                Format::U16,
                0.01,
                Meaning::Health(HealthField::SupplyV),
            ),
            field(
                RegisterTable::Input,
                first + 1,
                Format::U32,
                1.0,
                Meaning::Element(Element::Co2),
            ),
        ],
    }
}

fn maps() -> MapBook {
    let bus = RegisterMap {
        coils: Some(Span { first: 0, count: 4 }),
        discrete_inputs: None,
        fields: vec![field(
            RegisterTable::Holding,
            0,
            Format::U16,
            0.1,
            Meaning::Health(HealthField::SupplyV),
        )],
    };
    BTreeMap::from([
        ("garden-0".to_owned(), garden_map(0)),
        ("garden-1".to_owned(), garden_map(1)),
        ("bus".to_owned(), bus),
    ])
}

fn dtu_config() -> DtuConfig {
    DtuConfig {
        registration_prefix: Packet(b"REG:".to_vec()),
        registration_suffix: Packet::default(),
        heartbeat: Packet(vec![0xFE, 0xFE]),
        heartbeat_reply: Packet(vec![0xFA]),
        // Generous for a loaded CI machine: a DTU is down after 5 s without a byte.
        heartbeat_interval_ms: 200,
        missed_heartbeats: 25,
        registration_timeout_ms: 10_000,
        response_timeout_ms: 5_000,
    }
}

/// The Modbus transports of a central, fed by a registry the test sets.
struct Central {
    registry: watch::Sender<Arc<Vec<Device>>>,
    events: mpsc::Receiver<ModbusEvent>,
    telemetry: mpsc::UnboundedReceiver<Telemetry>,
    /// Every event received so far, in order.
    log: Vec<ModbusEvent>,
    dtu_port: u16,
    tasks: Vec<JoinHandle<()>>,
    /// The boards' relay command queues.
    switches: BoardSwitches,
}

impl Drop for Central {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Central {
    async fn start(devices: Vec<Device>) -> Self {
        Self::start_with_maps(devices, maps()).await
    }

    async fn start_with_maps(devices: Vec<Device>, maps: MapBook) -> Self {
        let (registry, watched) = watch::channel(Arc::new(devices));
        let (arrivals, mut arrived) = mpsc::channel(64);
        let (events_tx, events) = mpsc::channel(256);
        let (telemetry_tx, telemetry) = mpsc::unbounded_channel();
        let outputs = Outputs {
            arrivals,
            events: events_tx,
            clock: system_clock(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dtu_port = listener.local_addr().unwrap().port();
        let hub = DtuHub::default();
        let switches = BoardSwitches::default();
        let config = PollConfig {
            maps,
            tcp_timeout: Duration::from_secs(5),
            ..PollConfig::default()
        };
        let dtus = run_dtu_listener(
            listener,
            watched.clone(),
            hub.clone(),
            Arc::new(dtu_config()),
            outputs.clone(),
        );
        let tasks = vec![
            tokio::spawn(dtus),
            tokio::spawn(run_pollers(
                watched,
                hub,
                Arc::new(config),
                outputs,
                switches.clone(),
            )),
            tokio::spawn(async move {
                while let Some(arrival) = arrived.recv().await {
                    assert!(
                        arrival.stored.is_none(),
                        "a poll does not wait for the store"
                    );
                    _ = telemetry_tx.send(arrival.telemetry);
                }
            }),
        ];
        Self {
            registry,
            events,
            telemetry,
            log: Vec::new(),
            dtu_port,
            tasks,
            switches,
        }
    }

    fn set(&self, devices: Vec<Device>) {
        self.registry.send_replace(Arc::new(devices));
    }

    /// Waits for the next event `wanted` picks, logging every event on the way.
    async fn until<T>(&mut self, what: &str, wanted: impl Fn(&ModbusEvent) -> Option<T>) -> T {
        let wait = async {
            loop {
                let event = self.events.recv().await.expect("the transports stopped");
                self.log.push(event.clone());
                if let Some(found) = wanted(&event) {
                    return found;
                }
            }
        };
        match tokio::time::timeout(GUARD, wait).await {
            Ok(found) => found,
            Err(_) => {
                let last = &self.log[self.log.len().saturating_sub(12)..];
                panic!("never saw {what}; the last events were {last:#?}")
            }
        }
    }

    async fn reading(&mut self, board: &str) -> BoardReading {
        self.until(&format!("a reading of {board}"), |e| match e {
            ModbusEvent::Reading(r) if r.device.as_str() == board => Some(r.clone()),
            _ => None,
        })
        .await
    }

    async fn link(&mut self, board: &str, exchange: Exchange) -> LinkEvent {
        self.until(&format!("{board} {exchange:?}"), |e| match e {
            ModbusEvent::Link(l) if l.device.as_str() == board && l.exchange == exchange => {
                Some(l.clone())
            }
            _ => None,
        })
        .await
    }

    async fn link_failure(
        &mut self,
        board: &str,
        kind: impl Fn(&LinkFailure) -> bool,
    ) -> LinkEvent {
        self.until(&format!("{board} failing so"), |e| match e {
            ModbusEvent::Link(l)
                if l.device.as_str() == board && l.failure.as_ref().is_some_and(&kind) =>
            {
                Some(l.clone())
            }
            _ => None,
        })
        .await
    }

    async fn telemetry_of(&mut self, board: &str) -> Telemetry {
        let wait = async {
            loop {
                let telemetry = self.telemetry.recv().await.expect("the transports stopped");
                if telemetry.device.as_str() == board {
                    return telemetry;
                }
            }
        };
        tokio::time::timeout(GUARD, wait)
            .await
            .expect("no telemetry")
    }

    fn dtu_args(&self, id: &str, extra: &[&str]) -> Vec<String> {
        let registration: String = format!("REG:{id}")
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        let units = json!({
            "1": {"coils": [1, 1, 0, 0], "holding": [120]},
            "2": {"coils": [0, 0, 1, 0], "holding": [240]},
        });
        let mut args: Vec<String> = [
            "--central",
            &format!("127.0.0.1:{}", self.dtu_port),
            "--registration",
            &registration,
            "--heartbeat",
            "fefe",
            "--heartbeat-reply",
            "fa",
            "--heartbeat-interval",
            "0.2",
            "--config",
            &units.to_string(),
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(extra.iter().map(|&a| a.to_owned()));
        args
    }
}

fn garden_units() -> serde_json::Value {
    json!({"3": {
        "coils": [1, 0, 1, 1, 0, 0, 0, 1],
        "discrete": [0, 1],
        "holding": [215, 65_526],
        "input": [1_234, 0, 450],
    }})
}

fn close(value: Option<&f64>, expected: f64) -> bool {
    value.is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_board_is_read_into_scaled_telemetry_and_relay_states_however_its_manual_counts() {
    if !peer::available() {
        return;
    }
    let board = Board::start(&garden_units(), 0);
    let zero = tcp_board("RB-ZERO", board.port, endpoint(None, 3, "garden-0"));
    let one_based = ModbusEndpoint {
        one_based: true,
        max_per_request: Some(3),
        ..endpoint(None, 3, "garden-1")
    };
    let one = tcp_board("RB-ONE", board.port, one_based);
    let mut central = Central::start(vec![zero, one]).await;

    let expected_coils = [true, false, true, true, false, false, false, true];
    for name in ["RB-ZERO", "RB-ONE"] {
        let reading = central.reading(name).await;
        assert_eq!(reading.coils, expected_coils, "{name}");
        assert_eq!(reading.discrete_inputs, [false, true], "{name}");
        let telemetry = central.telemetry_of(name).await;
        assert!(
            close(telemetry.values.get(&Element::Tem), 21.5),
            "{name}: {telemetry:?}"
        );
        assert!(
            close(telemetry.values.get(&Element::Gst), -1.0),
            "{name}: {telemetry:?}"
        );
        assert!(
            close(telemetry.values.get(&Element::Co2), 450.0),
            "{name}: {telemetry:?}"
        );
        assert!(
            close(telemetry.health.supply_v.as_ref(), 12.34),
            "{name}: {telemetry:?}"
        );
        assert!(!telemetry.backfilled);
        central.link(name, Exchange::Answered).await;
    }
    // An independent reader sees the coils ours reported.
    let independent = tokio::task::spawn_blocking(move || peer::read_coils(board.port, 3, 0, 8));
    assert_eq!(independent.await.unwrap(), expected_coils);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_added_while_polling_is_read_then_reported_down_and_back() {
    if !peer::available() {
        return;
    }
    let mut central = Central::start(Vec::new()).await;
    let board = Board::start(&garden_units(), 0);
    central.set(vec![tcp_board(
        "RB-LATE",
        board.port,
        endpoint(None, 3, "garden-0"),
    )]);
    central.link("RB-LATE", Exchange::Answered).await;

    let port = board.kill();
    let failed = central.link("RB-LATE", Exchange::Failed).await;
    assert!(
        matches!(
            failed.failure,
            Some(
                LinkFailure::Connect(_)
                    | LinkFailure::Closed
                    | LinkFailure::Io(_)
                    | LinkFailure::Timeout(_)
            )
        ),
        "{failed:?}"
    );
    // Given up after three failures, it is still polled (less often) and still told failing.
    for _ in 0..3 {
        central.link("RB-LATE", Exchange::Failed).await;
    }
    let _back = Board::start(&garden_units(), port);
    central.link("RB-LATE", Exchange::Answered).await;
}

/// A central with a DTU and two boards behind it, and the DTU dialled in and both read.
async fn dtu_with_two_boards(extra: &[&str]) -> (Central, Dtu) {
    let devices = vec![
        dtu_device(DTU_ID),
        dtu_board("RB-D1", 1),
        dtu_board("RB-D2", 2),
    ];
    let mut central = Central::start(devices).await;
    let dtu = Dtu::start(&central.dtu_args(DTU_ID, extra));
    let up = central
        .until("the DTU up", |e| {
            matches!(e, ModbusEvent::DtuUp { .. }).then(|| e.clone())
        })
        .await;
    assert!(
        matches!(up, ModbusEvent::DtuUp { ref dtu, replaced: false, .. } if dtu.as_str() == DTU_ID)
    );
    (central, dtu)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boards_behind_a_dtu_are_read_one_request_at_a_time_past_heartbeats() {
    if !peer::available() {
        return;
    }
    // Every answer comes with a heartbeat glued in front of it, in the same write.
    let (mut central, mut dtu) = dtu_with_two_boards(&["--heartbeat-before-response"]).await;
    for _ in 0..3 {
        let one = central.reading("RB-D1").await;
        assert_eq!(one.coils, [true, true, false, false]);
        let two = central.reading("RB-D2").await;
        assert_eq!(two.coils, [false, false, true, false]);
    }
    let telemetry = central.telemetry_of("RB-D2").await;
    assert!(
        close(telemetry.health.supply_v.as_ref(), 24.0),
        "{telemetry:?}"
    );
    // Before the DTU dialled in its boards were told down once; after, nothing failed.
    let up = central
        .log
        .iter()
        .position(|e| matches!(e, ModbusEvent::DtuUp { .. }))
        .unwrap();
    let failed =
        |e: &ModbusEvent| matches!(e, ModbusEvent::Link(l) if l.exchange == Exchange::Failed);
    assert!(!central.log[up..].iter().any(failed), "{:?}", central.log);
    // The central answers heartbeats as configured.
    dtu.until("heartbeat_reply");
    for _ in 0..8 {
        dtu.until("response");
    }
    let requests: Vec<&serde_json::Value> = dtu
        .seen
        .iter()
        .filter(|e| e["event"] == "request")
        .collect();
    assert!(requests.iter().any(|r| r["unit"] == 1) && requests.iter().any(|r| r["unit"] == 2));
    for event in &dtu.seen {
        if event["event"] == "response" {
            assert_eq!(
                event["max_outstanding"], 1,
                "two requests in flight on one bus: {:?}",
                dtu.seen
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_dtu_is_one_fault_for_every_board_behind_it() {
    if !peer::available() {
        return;
    }
    let (mut central, mut dtu) = dtu_with_two_boards(&[]).await;
    central.link("RB-D1", Exchange::Answered).await;
    central.link("RB-D2", Exchange::Answered).await;

    dtu.kill();
    let killed_at = central.log.len();
    // The DTU's fault and each board's failure, in whatever order they come.
    let mut down = None;
    let mut failed: BTreeMap<DeviceId, Option<LinkFailure>> = BTreeMap::new();
    while down.is_none() || failed.len() < 2 {
        let event = central
            .until("the DTU down and its boards failing", |e| {
                let fault = matches!(e, ModbusEvent::DtuDown { .. });
                let failure = matches!(e, ModbusEvent::Link(l) if l.exchange == Exchange::Failed);
                (fault || failure).then(|| e.clone())
            })
            .await;
        match event {
            ModbusEvent::DtuDown {
                reason, mut boards, ..
            } => {
                boards.sort();
                down = Some((reason, boards));
            }
            ModbusEvent::Link(l) => {
                failed.insert(l.device, l.failure);
            }
            _ => {}
        }
    }
    assert_eq!(
        down,
        Some((DtuDownReason::Closed, vec![id("RB-D1"), id("RB-D2")]))
    );
    for (board, failure) in &failed {
        assert_eq!(failure, &Some(LinkFailure::DtuDown(id(DTU_ID))), "{board}");
    }

    // Back: the same DTU dials in again and both boards answer.
    let _again = Dtu::start(&central.dtu_args(DTU_ID, &[]));
    central.link("RB-D1", Exchange::Answered).await;
    central.link("RB-D2", Exchange::Answered).await;
    let outage = &central.log[killed_at..];
    for board in ["RB-D1", "RB-D2"] {
        let failures: Vec<&LinkEvent> = outage
            .iter()
            .filter_map(|e| match e {
                ModbusEvent::Link(l)
                    if l.device.as_str() == board && l.exchange == Exchange::Failed =>
                {
                    Some(l)
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            failures.len(),
            1,
            "{board} told once, as its DTU's fault: {failures:?}"
        );
    }
    let downs = outage
        .iter()
        .filter(|e| matches!(e, ModbusEvent::DtuDown { .. }))
        .count();
    assert_eq!(downs, 1, "{outage:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dtu_the_registry_lacks_is_refused() {
    if !peer::available() {
        return;
    }
    let mut central = Central::start(vec![dtu_device(DTU_ID)]).await;
    let mut stranger = Dtu::start(&central.dtu_args("DTU-ZZ", &[]));
    let claimed = central
        .until("a refusal", |e| match e {
            ModbusEvent::DtuRefused { claimed, .. } => Some(claimed.clone()),
            _ => None,
        })
        .await;
    assert_eq!(claimed, "DTU-ZZ");
    stranger.until("closed");
    assert!(
        !central
            .log
            .iter()
            .any(|e| matches!(e, ModbusEvent::DtuUp { .. }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_connection_of_a_dtu_replaces_the_first() {
    if !peer::available() {
        return;
    }
    let (mut central, mut first) = dtu_with_two_boards(&[]).await;
    let _second = Dtu::start(&central.dtu_args(DTU_ID, &[]));
    central
        .until("the DTU up again", |e| {
            matches!(e, ModbusEvent::DtuUp { replaced: true, .. }).then_some(())
        })
        .await;
    first.until("closed");
    central.link("RB-D1", Exchange::Answered).await;
    assert!(
        !central
            .log
            .iter()
            .any(|e| matches!(e, ModbusEvent::DtuDown { .. })),
        "a replaced connection is not a DTU down: {:?}",
        central.log
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dtu_that_stops_heartbeating_is_down() {
    if !peer::available() {
        return;
    }
    let mut central = Central::start(vec![dtu_device(DTU_ID)]).await;
    // Heartbeats an hour apart, and no boards to answer for it.
    let mut quiet = Dtu::start(&central.dtu_args(DTU_ID, &["--heartbeat-interval", "3600"]));
    central
        .until("the DTU up", |e| {
            matches!(e, ModbusEvent::DtuUp { .. }).then_some(())
        })
        .await;
    let reason = central
        .until("the DTU down", |e| match e {
            ModbusEvent::DtuDown { reason, boards, .. } => {
                assert!(boards.is_empty());
                Some(*reason)
            }
            _ => None,
        })
        .await;
    assert_eq!(reason, DtuDownReason::HeartbeatLost);
    quiet.until("closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_board_behind_a_live_dtu_is_its_own_fault() {
    if !peer::available() {
        return;
    }
    // Unit 9 is not on the bus: its requests go unanswered while the DTU heartbeats on.
    let devices = vec![
        dtu_device(DTU_ID),
        dtu_board("RB-D1", 1),
        dtu_board("RB-GONE", 9),
    ];
    let mut central = Central::start(devices).await;
    let mut dtu = Dtu::start(&central.dtu_args(DTU_ID, &[]));
    let failed = central
        .link_failure("RB-GONE", |f| matches!(f, LinkFailure::Timeout(_)))
        .await;
    assert_eq!(failed.failure, Some(LinkFailure::Timeout(5_000)));
    central.link("RB-D1", Exchange::Answered).await;
    dtu.until("no_answer");
    assert!(
        !central
            .log
            .iter()
            .any(|e| matches!(e, ModbusEvent::DtuDown { .. })),
        "{:?}",
        central.log
    );
}

/// A relay behind the DTU (Modbus RTU on its bus): switched by one read, one write and one
/// read-back through the one-request-at-a-time bus, and a repeat writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_behind_the_dtu_is_switched_once_and_read_back() {
    if !peer::available() {
        return;
    }
    let (mut central, _dtu) = dtu_with_two_boards(&[]).await;
    assert!(!central.reading("RB-D2").await.coils[3]);
    let board = id("RB-D2");
    let first = central.switches.switch(&board, 4, true).await;
    let again = central.switches.switch(&board, 4, true).await;
    let outcome = |wrote, readback| Some(Ok(CoilOutcome { wrote, readback }));
    assert_eq!(first, outcome(true, true));
    assert_eq!(again, outcome(false, true), "a repeat must not write");
    // The next poll reads it on, and the other board's coils are untouched.
    let polled = central
        .until("RB-D2 read with relay 4 on", |e| match e {
            ModbusEvent::Reading(r) if r.device == board && r.coils[3] => Some(r.clone()),
            _ => None,
        })
        .await;
    assert_eq!(polled.coils, [false, false, true, true]);
    assert_eq!(
        central.reading("RB-D1").await.coils,
        [true, true, false, false]
    );
    // A channel the board's map does not have is refused without touching the bus.
    let missing = central.switches.switch(&board, 9, true).await;
    let refused = missing.and_then(Result::err);
    assert!(
        matches!(
            refused,
            Some(SwitchFailure {
                failure: LinkFailure::Config(_),
                may_have_written: false
            })
        ),
        "{refused:?}"
    );
}

/// A DTU that loses its link after passing a coil write to its bus: the central cannot know
/// whether the coil changed (it did), so the switch fails as one that may have written — what
/// relay control ends `timed_out`, never resent — and the board is told down with its DTU.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dtu_hanging_up_mid_write_is_a_switch_that_may_have_written() {
    if !peer::available() {
        return;
    }
    let (mut central, mut dtu) = dtu_with_two_boards(&["--hang-up-on-write"]).await;
    assert!(!central.reading("RB-D2").await.coils[3]);
    let outcome = central.switches.switch(&id("RB-D2"), 4, true).await;
    let failed = outcome.and_then(Result::err);
    assert!(
        matches!(
            failed,
            Some(SwitchFailure {
                may_have_written: true,
                ..
            })
        ),
        "{failed:?}"
    );
    assert_eq!(dtu.until("hung_up")["unit"], 2);
    central
        .until("the DTU down", |e| {
            matches!(e, ModbusEvent::DtuDown { .. }).then_some(())
        })
        .await;
}

/// The register maps `central.toml` names, read as a served central reads them.
fn maps_of_central_toml(text: &str) -> MapBook {
    use wxdesk::central::config::{Overrides, ServeSettings, parse};
    let file = parse(text, "central.toml").unwrap();
    ServeSettings::merge(Some(file), Overrides::default())
        .unwrap()
        .modbus_maps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_is_read_by_the_register_map_central_toml_gives_it() {
    if !peer::available() {
        return;
    }
    // The garden board's manual numbers from 1; a plain board names no map and reads the
    // book's default (4 relays) instead of 8.
    let maps = maps_of_central_toml(
        r#"
[modbus.maps.garden-manual]
coils = { first = 1, count = 8 }
discrete_inputs = { first = 1, count = 2 }
fields = [
  { table = "holding", address = 1, format = "i16", scale = 0.1, meaning = { element = "TEM" } },
  { table = "holding", address = 2, format = "i16", scale = 0.1, meaning = { element = "GST" } },
  { table = "input", address = 1, scale = 0.01, meaning = { health = "supply_v" } },
  { table = "input", address = 2, format = "u32", meaning = { element = "CO2" } },
]

[modbus.maps.default]
coils = { first = 0, count = 4 }
"#,
    );
    let board = Board::start(&garden_units(), 0);
    let manual = ModbusEndpoint {
        one_based: true,
        ..endpoint(None, 3, "garden-manual")
    };
    let plain = ModbusEndpoint {
        map: None,
        ..endpoint(None, 3, "")
    };
    let devices = vec![
        tcp_board("RB-TOML", board.port, manual),
        tcp_board("RB-PLAIN", board.port, plain),
    ];
    let mut central = Central::start_with_maps(devices, maps).await;

    let reading = central.reading("RB-TOML").await;
    assert_eq!(
        reading.coils,
        [true, false, true, true, false, false, false, true]
    );
    assert_eq!(reading.discrete_inputs, [false, true]);
    let telemetry = central.telemetry_of("RB-TOML").await;
    for (element, expected) in [
        (Element::Tem, 21.5),
        (Element::Gst, -1.0),
        (Element::Co2, 450.0),
    ] {
        assert!(
            close(telemetry.values.get(&element), expected),
            "{element:?}: {telemetry:?}"
        );
    }
    assert!(
        close(telemetry.health.supply_v.as_ref(), 12.34),
        "{telemetry:?}"
    );
    let plain = central.reading("RB-PLAIN").await;
    assert_eq!(
        plain.coils,
        [true, false, true, true],
        "the default map's 4 relays"
    );
    assert!(plain.discrete_inputs.is_empty());
}
