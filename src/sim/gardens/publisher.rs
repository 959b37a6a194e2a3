//! Each simulated device as an MQTT client of its own: client id = device id, the last will
//! `offline` (retained) on its state topic, `online` (retained) once connected, and its reading
//! every minute on its telemetry topic at QoS 1.
//!
//! Time comes from the injected clock, as the station simulator's does: a device wakes at each
//! minute boundary (re-reading the clock at least every [`POLL`]) and publishes that minute.
//! While the broker is unreachable rumqttc keeps up to [`QUEUE`] requests and reconnects;
//! minutes beyond that are dropped and counted (the central's archive catch-up is the
//! stations' simulator's business, not the devices').

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS};
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use super::payload::{OFFLINE, ONLINE, STOPPED, state_topic, telemetry_json, telemetry_topic};
use super::{GardenDevice, GardenError};
use crate::domain::access::Secret;
use crate::domain::devices::{Device, DeviceId};
use crate::domain::time::{MINUTE_MS, SharedClock};
use crate::domain::{Clock, Network, Timestamp};
use crate::sim::driver;
use crate::sim::mqtt_device::DeviceOptions;
use crate::sim::relay_history::RelayHistory;
use crate::sim::relay_responder::{Behaviour, RelayResponder, Start};
use futures_util::future::BoxFuture;

/// Longest sleep before the clock is read again.
pub const POLL: Duration = Duration::from_secs(5);
/// Requests a device's client holds while the broker is away.
pub const QUEUE: usize = 64;
/// Wait before reconnecting after the connection failed.
const RECONNECT: Duration = Duration::from_secs(2);
/// How long a greenhouse's relays have to connect at start.
const RESPONDER_CONNECT: Duration = Duration::from_secs(10);
/// How long a stop waits for the broker to take the last messages.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the devices connect.
#[derive(Debug, Clone, Default)]
pub struct BrokerEndpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Devices' passwords, when the broker requires them (user name = device id); empty for
    /// the embedded broker, which listens on loopback without authentication.
    pub passwords: BTreeMap<DeviceId, Secret>,
}

/// What the devices did, returned when they stop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GardensSummary {
    /// Devices that ran.
    pub devices: usize,
    /// Telemetry messages handed to the clients.
    pub published: usize,
    /// Minutes dropped because a client's queue was full.
    pub dropped: usize,
}

/// Where a simulated greenhouse reads what its relays did: the central's command history.
pub trait RelaySource: Send + Sync {
    /// Device `device`'s relay history (empty when it cannot be read).
    fn history<'a>(&'a self, device: &'a DeviceId) -> BoxFuture<'a, RelayHistory>;
}

/// Runs every device of `devices` against `endpoint` until `shutdown` completes; each stops
/// cleanly (state `offline`, then DISCONNECT). With `relays`, a greenhouse that has relays
/// answers their commands ([`RelayResponder`]) and its air follows what they did.
pub async fn run(
    devices: Vec<Device>,
    network: &Network,
    endpoint: BrokerEndpoint,
    clock: SharedClock,
    relays: Option<Arc<dyn RelaySource>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<GardensSummary, GardenError> {
    let driver = driver::guangzhou()?;
    let models = devices
        .into_iter()
        .map(|device| GardenDevice::new(device, network))
        .collect::<Result<Vec<_>, _>>()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = models
        .into_iter()
        .map(|model| {
            let mut stop = stop_rx.clone();
            let stopped = async move {
                let _ = stop.wait_for(|&s| s).await;
            };
            tokio::spawn(publish_device(
                model,
                driver,
                endpoint.clone(),
                clock.clone(),
                relays.clone(),
                stopped,
            ))
        })
        .collect();
    info!(devices = tasks.len(), host = %endpoint.host, port = endpoint.port, "simulated devices publishing");
    shutdown.await;
    let _ = stop_tx.send(true);
    let mut summary = GardensSummary::default();
    for task in tasks {
        match task.await {
            Ok(one) => {
                summary.devices += 1;
                summary.published += one.published;
                summary.dropped += one.dropped;
            }
            Err(error) => warn!("simulated device task failed: {error}"),
        }
    }
    Ok(summary)
}

/// One device's MQTT options: client id and user name its id, last will `offline`.
pub fn mqtt_options(device: &Device, endpoint: &BrokerEndpoint) -> MqttOptions {
    let id = device.id.as_str();
    let mut options = MqttOptions::new(id, endpoint.host.clone(), endpoint.port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_last_will(LastWill::new(
        state_topic(&device.id),
        OFFLINE,
        QoS::AtLeastOnce,
        true,
    ));
    if let Some(password) = endpoint.passwords.get(&device.id) {
        options.set_credentials(id, password.expose());
    }
    options
}

/// Runs one device until `shutdown` completes: connects, says it is online, publishes each
/// minute, and at the end says it is offline and disconnects.
pub async fn publish_device(
    model: GardenDevice,
    driver: &'static driver::Driver,
    endpoint: BrokerEndpoint,
    clock: SharedClock,
    relays: Option<Arc<dyn RelaySource>>,
    shutdown: impl Future<Output = ()> + Send,
) -> GardensSummary {
    let relays = relays.filter(|_| !model.device.relays.is_empty());
    let _responder = match &relays {
        Some(source) => responder(&model.device, &endpoint, &**source, &clock).await,
        None => None,
    };
    let (client, events) = AsyncClient::new(mqtt_options(&model.device, &endpoint), QUEUE);
    let id = model.device.id.clone();
    let (disconnected_tx, disconnected) = oneshot::channel();
    // Aborted with this future: a publisher dropped mid-run drops its connection, as a device
    // losing power does, and the broker publishes its will.
    let connection = AbortOnDrop(tokio::spawn(drive(
        events,
        client.clone(),
        id.clone(),
        disconnected_tx,
    )));
    let mut summary = GardensSummary {
        devices: 1,
        ..GardensSummary::default()
    };
    let mut last = clock.now().floor(MINUTE_MS);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let next = last.plus_ms(MINUTE_MS);
        tokio::select! {
            () = wait_until(clock.as_ref(), next, POLL) => {}
            () = &mut shutdown => break,
        }
        last = clock.now().floor(MINUTE_MS).max(next);
        let history = match &relays {
            Some(source) => source.history(&id).await,
            None => RelayHistory::default(),
        };
        let Some(reading) = model.reading_with(driver, last, &history) else {
            debug!(device = %id, time = %last, "simulated device silent (power outage)");
            continue;
        };
        let health = &reading.health;
        let json = telemetry_json(
            &id,
            reading.time,
            clock.now(),
            &reading.values,
            health,
            false,
        );
        match client.try_publish(telemetry_topic(&id), QoS::AtLeastOnce, false, json) {
            Ok(()) => summary.published += 1,
            Err(error) => {
                summary.dropped += 1;
                warn!(device = %id, "simulated device dropped a minute: {error}");
            }
        }
    }
    // A clean DISCONNECT does not fire the will: say `offline` first.
    let said = client.try_publish(state_topic(&id), QoS::AtLeastOnce, true, STOPPED);
    if said.is_ok() && client.try_disconnect().is_ok() {
        let _ = tokio::time::timeout(STOP_TIMEOUT, disconnected).await;
    }
    drop(connection);
    summary
}

/// The controller playing `device`'s relays, on a client of its own, its relays as the
/// central's history left them; `None` (said in the log) if the broker does not take it.
async fn responder(
    device: &Device,
    endpoint: &BrokerEndpoint,
    source: &dyn RelaySource,
    clock: &SharedClock,
) -> Option<RelayResponder> {
    let history = source.history(&device.id).await;
    let channels = device.relays.iter().map(|r| r.channel);
    let start = Start {
        client_id: Some(format!("{}-relays", device.id)),
        states: history.states_at(channels, clock.now()),
    };
    let password = endpoint
        .passwords
        .get(&device.id)
        .cloned()
        .unwrap_or_default();
    let options = DeviceOptions::new(&endpoint.host, endpoint.port, device.id.clone(), password);
    let connecting = RelayResponder::start(&options, start, Behaviour::Obliging);
    match tokio::time::timeout(RESPONDER_CONNECT, connecting).await {
        Ok(responder) => Some(responder),
        Err(_) => {
            warn!(device = %device.id, "simulated relays not connected: they will not answer");
            None
        }
    }
}

/// A task aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Polls the connection (rumqttc reconnects on the next poll after a failure), says `online`
/// at each connect, and tells `disconnected` once the DISCONNECT of a stop went out.
async fn drive(
    mut events: EventLoop,
    client: AsyncClient,
    id: DeviceId,
    disconnected: oneshot::Sender<()>,
) {
    let mut failing = false;
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if failing {
                    info!(device = %id, "simulated device reconnected");
                }
                failing = false;
                let online = client.try_publish(state_topic(&id), QoS::AtLeastOnce, true, ONLINE);
                if let Err(error) = online {
                    warn!(device = %id, "simulated device could not say it is online: {error}");
                }
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                let _ = disconnected.send(());
                return;
            }
            Ok(_) => {}
            Err(error) => {
                if !failing {
                    warn!(device = %id, "simulated device's connection failed: {error}");
                }
                failing = true;
                tokio::time::sleep(RECONNECT).await;
            }
        }
    }
}

/// Waits until `clock` reads `target` or later, re-reading it at least every `poll`.
async fn wait_until(clock: &dyn Clock, target: Timestamp, poll: Duration) {
    loop {
        let now = clock.now();
        if now >= target {
            return;
        }
        let remaining = Duration::from_millis(u64::try_from(target.0 - now.0).unwrap_or(0));
        tokio::time::sleep(remaining.min(poll)).await;
    }
}
