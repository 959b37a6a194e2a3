//! One polling task per registered Modbus board, started, restarted and stopped as the
//! registry changes. Each poll reads the board's register map through its link, sends the
//! values as telemetry, the coils as a [`BoardReading`], and the exchange as a [`LinkEvent`].
//! A board given up as unreachable is polled less often ([`super::schedule`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::dtu::DtuHub;
use super::map::{BoardValues, MapBook, RegisterMap, interpret, plan};
use super::pdu::{Request, Response};
use super::schedule::{Slowdown, failures_after, next_poll_in};
use super::switch::{BoardSwitches, CoilCommand, SwitchFailure, SwitchResult, set_coil};
use super::tcp::TcpLink;
use super::{BoardLink, BoardReading, LinkEvent, LinkFailure, ModbusEvent, Outputs};
use crate::central::devices::{Arrival, Registry};
use crate::domain::devices::health::Exchange;
use crate::domain::devices::{Device, DeviceId, DeviceKind, ModbusEndpoint, Telemetry, Transport};

/// The map of a board whose record names none, when the book has one by this name.
pub const DEFAULT_MAP: &str = "default";
/// Relays read from a board whose record names no map, when the book has no [`DEFAULT_MAP`].
pub const DEFAULT_RELAYS: u16 = 8;

/// How boards are polled.
#[derive(Debug, Clone)]
pub struct PollConfig {
    /// The register maps boards name.
    pub maps: MapBook,
    /// How long a Modbus TCP board has to connect, and to answer each request.
    pub tcp_timeout: Duration,
    /// How much less often an unreachable board is polled.
    pub slowdown: Slowdown,
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            maps: MapBook::new(),
            tcp_timeout: Duration::from_secs(3),
            slowdown: Slowdown::default(),
        }
    }
}

/// Polls every Modbus board of the registry, following its changes, until dropped; each
/// board's task also takes the relay commands `switches` hands it.
pub async fn run_pollers(
    mut registry: Registry,
    hub: DtuHub,
    config: Arc<PollConfig>,
    outputs: Outputs,
    switches: BoardSwitches,
) {
    let mut boards: HashMap<DeviceId, Polling> = HashMap::new();
    let links = Links {
        hub: &hub,
        config: &config,
        outputs: &outputs,
        switches: &switches,
    };
    loop {
        let devices = Arc::clone(&registry.borrow_and_update());
        reconcile(&mut boards, &devices, &links);
        if registry.changed().await.is_err() {
            // The registry is gone for good: keep polling what it last said.
            std::future::pending::<()>().await;
        }
    }
}

/// A board's polling task, aborted when dropped.
struct Polling {
    device: Device,
    task: JoinHandle<()>,
}

impl Drop for Polling {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What every board's task is made with.
struct Links<'a> {
    hub: &'a DtuHub,
    config: &'a PollConfig,
    outputs: &'a Outputs,
    switches: &'a BoardSwitches,
}

fn reconcile(boards: &mut HashMap<DeviceId, Polling>, devices: &[Device], links: &Links<'_>) {
    let polled: Vec<&Device> = devices
        .iter()
        .filter(|d| d.kind != DeviceKind::Dtu)
        .filter(|d| matches!(d.transport, Transport::ModbusTcp | Transport::ModbusDtu))
        .collect();
    boards.retain(|id, polling| polled.iter().any(|d| &d.id == id && **d == polling.device));
    for device in polled {
        if boards.contains_key(&device.id) {
            continue;
        }
        let commands = links.switches.register(&device.id);
        let board = Board::new(device, links.hub, links.config, links.outputs.clone());
        let task = tokio::spawn(board.poll(commands));
        let polling = Polling {
            device: device.clone(),
            task,
        };
        boards.insert(device.id.clone(), polling);
    }
}

/// How a board is reached.
enum Link {
    Tcp(TcpLink),
    Dtu { hub: DtuHub, dtu: DeviceId },
}

impl BoardLink for Link {
    async fn call(&mut self, unit: u8, request: &Request) -> Result<Response, LinkFailure> {
        match self {
            Self::Tcp(link) => link.call(unit, request).await,
            Self::Dtu { hub, dtu } => hub.call(dtu, unit, request.clone()).await,
        }
    }
}

/// One board being polled.
struct Board {
    id: DeviceId,
    interval: Duration,
    unit: u8,
    one_based: bool,
    map: RegisterMap,
    reads: Result<Vec<Request>, String>,
    link: Result<Link, String>,
    outputs: Outputs,
    /// The DTU being down was told: say it once, not every poll.
    told_dtu_down: bool,
    /// Failed exchanges told in a row (what its link state is judged from).
    failures: u32,
    slowdown: Slowdown,
}

impl Board {
    fn new(device: &Device, hub: &DtuHub, config: &PollConfig, outputs: Outputs) -> Self {
        let endpoint = device.modbus.clone().unwrap_or(ModbusEndpoint {
            address: None,
            unit: 0,
            one_based: false,
            map: None,
            max_per_request: None,
        });
        let map = board_map(&config.maps, endpoint.map.as_deref(), endpoint.one_based);
        let reads = map.clone().and_then(|map| {
            plan(&map, endpoint.one_based, endpoint.max_per_request).map_err(|e| e.to_string())
        });
        Self {
            id: device.id.clone(),
            interval: Duration::from_secs(u64::from(device.interval_s.max(1))),
            unit: endpoint.unit,
            one_based: endpoint.one_based,
            map: map.unwrap_or_default(),
            reads,
            link: link(device, &endpoint, hub, config),
            outputs,
            told_dtu_down: false,
            failures: 0,
            slowdown: config.slowdown,
        }
    }

    async fn poll(mut self, mut commands: mpsc::Receiver<CoilCommand>) {
        // The first poll at once; each next one when the schedule says.
        let mut next = tokio::time::Instant::now();
        loop {
            // Both waits are cancel-safe; the exchange runs in the arm, never cancelled.
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                Some(command) = commands.recv() => {
                    let outcome = self.switch(command.channel, command.on).await;
                    _ = command.reply.send(outcome);
                    continue;
                }
            }
            // Waits are counted from the start of a poll, so a slow answer does not slow the
            // pace (and one slower than the interval is followed at once).
            let started = tokio::time::Instant::now();
            let values = self.read().await;
            if matches!(values, Err(LinkFailure::Config(_))) {
                // Nothing changes until the record does, and a new record restarts the task.
                self.tell_link(values.err()).await;
                return;
            }
            self.publish(values).await;
            next = started + next_poll_in(self.interval, self.failures, self.slowdown);
        }
    }

    /// Sets relay `channel`: the coil is read first and written only if it differs.
    async fn switch(&mut self, channel: u16, on: bool) -> SwitchResult {
        let config = |why: String| SwitchFailure {
            failure: LinkFailure::Config(why),
            may_have_written: false,
        };
        let address = self
            .map
            .coil_address(channel, self.one_based)
            .ok_or_else(|| config(format!("the board has no relay {channel}")))?;
        let link = self.link.as_mut().map_err(|e| config(e.clone()))?;
        let outcome = set_coil(link, self.unit, address, on).await;
        self.tell_link(outcome.as_ref().err().map(|e| e.failure.clone()))
            .await;
        outcome
    }

    async fn read(&mut self) -> Result<BoardValues, LinkFailure> {
        let reads = self.reads.clone().map_err(LinkFailure::Config)?;
        let link = self
            .link
            .as_mut()
            .map_err(|e| LinkFailure::Config(e.clone()))?;
        let mut answers = Vec::with_capacity(reads.len());
        for request in reads {
            let response = link.call(self.unit, &request).await?;
            answers.push((request, response));
        }
        Ok(interpret(&self.map, self.one_based, &answers))
    }

    async fn publish(&mut self, values: Result<BoardValues, LinkFailure>) {
        let values = match values {
            Ok(values) => values,
            Err(LinkFailure::DtuDown(dtu)) => {
                if !self.told_dtu_down {
                    self.told_dtu_down = true;
                    self.tell_link(Some(LinkFailure::DtuDown(dtu))).await;
                }
                return;
            }
            Err(failure) => {
                self.told_dtu_down = false;
                return self.tell_link(Some(failure)).await;
            }
        };
        self.told_dtu_down = false;
        let now = self.outputs.clock.now();
        let telemetry = Telemetry {
            device: self.id.clone(),
            time: now,
            sent_at: None,
            received: now,
            values: values.values,
            health: values.health,
            backfilled: false,
        };
        let arrival = Arrival {
            telemetry,
            stored: None,
        };
        _ = self.outputs.arrivals.send(arrival).await;
        let reading = BoardReading {
            device: self.id.clone(),
            at: now,
            coils: values.coils,
            discrete_inputs: values.discrete_inputs,
        };
        self.outputs.tell(ModbusEvent::Reading(reading)).await;
        self.tell_link(None).await;
    }

    async fn tell_link(&mut self, failure: Option<LinkFailure>) {
        if let Some(failure) = &failure {
            tracing::debug!(board = %self.id, %failure, "Modbus poll failed");
        }
        let exchange = if failure.is_some() {
            Exchange::Failed
        } else {
            Exchange::Answered
        };
        self.failures = failures_after(self.failures, Some(exchange));
        let event = LinkEvent {
            device: self.id.clone(),
            at: self.outputs.clock.now(),
            exchange,
            failure,
        };
        self.outputs.tell(ModbusEvent::Link(event)).await;
    }
}

/// The map a board reads: the one it names from the book; naming none, the book's
/// [`DEFAULT_MAP`] if `central.toml` has one, else a plain board of eight relays.
fn board_map(maps: &MapBook, named: Option<&str>, one_based: bool) -> Result<RegisterMap, String> {
    match named {
        Some(name) => maps
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no register map named {name:?}")),
        None => Ok(maps
            .get(DEFAULT_MAP)
            .cloned()
            .unwrap_or_else(|| RegisterMap::relays(DEFAULT_RELAYS, one_based))),
    }
}

fn link(
    device: &Device,
    endpoint: &ModbusEndpoint,
    hub: &DtuHub,
    config: &PollConfig,
) -> Result<Link, String> {
    match (device.transport, &endpoint.address, &device.dtu) {
        (Transport::ModbusTcp, Some(address), _) => {
            Ok(Link::Tcp(TcpLink::new(address.clone(), config.tcp_timeout)))
        }
        (Transport::ModbusDtu, _, Some(dtu)) => Ok(Link::Dtu {
            hub: hub.clone(),
            dtu: dtu.clone(),
        }),
        _ => Err("a Modbus board needs its address, or its DTU".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::central::devices::modbus::map::Span;

    #[test]
    fn a_board_reads_the_map_it_names_else_the_default_else_eight_relays() {
        let four = RegisterMap {
            coils: Some(Span { first: 0, count: 4 }),
            ..RegisterMap::default()
        };
        let two = RegisterMap {
            coils: Some(Span { first: 1, count: 2 }),
            ..RegisterMap::default()
        };
        let with_default = MapBook::from([
            ("garden".to_owned(), two.clone()),
            (DEFAULT_MAP.to_owned(), four.clone()),
        ]);
        let without = MapBook::from([("garden".to_owned(), two.clone())]);
        let cases = [
            (&with_default, Some("garden"), false, Ok(two.clone())),
            (&without, Some("garden"), true, Ok(two)),
            (&with_default, None, false, Ok(four)),
            (&without, None, false, Ok(RegisterMap::relays(8, false))),
            (&without, None, true, Ok(RegisterMap::relays(8, true))),
            (
                &with_default,
                Some("gone"),
                false,
                Err("no register map named \"gone\"".to_owned()),
            ),
        ];
        for (book, named, one_based, want) in cases {
            assert_eq!(board_map(book, named, one_based), want, "{named:?}");
        }
    }
}
