//! The bridge worker (`mqtt`): one persistent MQTT session of the central with the broker,
//! subscribed at `QoS` 1 to every device's telemetry and state.
//!
//! ```text
//! broker ─▶ pump task (rumqttc EventLoop::poll, never cancelled) ─▶ events ─▶ run loop
//!   run loop: telemetry ─▶ decode ─▶ registry? ─▶ Arrival(s) ─▶ acks queue (in order)
//!             state ─▶ Presence channel            acks queue: stored Ok ─▶ PUBACK
//!             link lost ─▶ BrokerLink::Retrying ─▶ back-off (worker clock) ─▶ reconnect
//! ```
//!
//! A telemetry message is acknowledged (PUBACK) only once every report in it is stored, so a
//! central stopped before storing is sent it again by the broker. A report the store refuses
//! ends the run: the supervisor restarts the bridge, which reconnects to the same session,
//! and the broker delivers what was never acknowledged again. `QoS` 1 means at least once: the
//! store must take a repeated report (same device and time) as a duplicate.
//!
//! A message that can never be stored — not JSON, no time, from a device the registry does not
//! have as an MQTT device — is counted, logged (topic and reason, never the payload) and
//! acknowledged, so the broker does not send it for ever.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt as _, StreamExt as _};
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, Publish, QoS, SubscribeFilter,
};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use super::settings::MqttSettings;
use crate::central::devices::{Arrival, Arrivals, Registry};
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::domain::devices::{DeviceId, Transport};
use crate::protocol::mqtt::{Channel, Topic, decode_state, decode_telemetry};

/// The largest message taken: a day of one-minute backfill records fits.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// How long a stopping bridge waits for its last acknowledgements and DISCONNECT to go out.
pub const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
/// Presence events waiting for their reader; past this they are dropped and counted.
pub const PRESENCE_QUEUE: usize = 1024;

/// A device said it is online, or the broker said for it that its link was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Who.
    pub device: DeviceId,
    /// Online (its own announcement) or offline.
    pub online: bool,
    /// Since when: the device's `since` if it says, else when the central heard it.
    pub at: Timestamp,
    /// Why it went offline, if said (`lost`: its will).
    pub reason: Option<String>,
    /// Read from the broker's retained state when the bridge (re)subscribed, not as it
    /// happened: `at` may be long ago.
    pub retained: bool,
}

/// The bridge's link to the broker, for the admin board and to blame the broker rather than
/// each of its devices when it is down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BrokerLink {
    /// Connecting for the first time since the bridge (re)started.
    Connecting {
        /// Since when.
        since: Timestamp,
    },
    /// Connected and subscribed (the broker answered the subscriptions).
    Connected {
        /// Since when.
        since: Timestamp,
    },
    /// Lost (or never reached); reconnecting after a back-off.
    Retrying {
        /// When the link was last up, or the first attempt failed.
        down_since: Timestamp,
        /// Attempts failed in a row.
        failures: u32,
        /// The last failure (never a secret).
        error: String,
    },
    /// The bridge stopped with the central.
    Stopped {
        /// Since when.
        since: Timestamp,
    },
}

impl BrokerLink {
    /// Whether the broker is reachable now.
    pub fn is_up(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }
}

/// What the bridge has seen since the central started.
#[derive(Debug, Default)]
pub struct BridgeCounters {
    messages: AtomicU64,
    reports: AtomicU64,
    stored: AtomicU64,
    refused_messages: AtomicU64,
    unknown_devices: AtomicU64,
    refused_values: AtomicU64,
    presence: AtomicU64,
    presence_dropped: AtomicU64,
}

/// A copy of [`BridgeCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BridgeCounts {
    /// Messages received (telemetry and state).
    pub messages: u64,
    /// Reports handed to the store.
    pub reports: u64,
    /// Reports the store said it stored.
    pub stored: u64,
    /// Messages refused whole (not JSON, no time, retained telemetry, bad state).
    pub refused_messages: u64,
    /// Messages from devices the registry does not have as MQTT devices.
    pub unknown_devices: u64,
    /// Values (or records, health fields) refused while the rest was kept.
    pub refused_values: u64,
    /// Presence events sent.
    pub presence: u64,
    /// Presence events dropped because nobody read them.
    pub presence_dropped: u64,
}

impl BridgeCounters {
    /// The counts now.
    pub fn snapshot(&self) -> BridgeCounts {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        BridgeCounts {
            messages: get(&self.messages),
            reports: get(&self.reports),
            stored: get(&self.stored),
            refused_messages: get(&self.refused_messages),
            unknown_devices: get(&self.unknown_devices),
            refused_values: get(&self.refused_values),
            presence: get(&self.presence),
            presence_dropped: get(&self.presence_dropped),
        }
    }
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// The bridge as the central starts it: its worker, and what it tells.
#[derive(Debug)]
pub struct MqttBridge {
    /// The `mqtt` worker for the supervisor.
    pub worker: WorkerSpec,
    /// The broker link's state.
    pub link: watch::Receiver<BrokerLink>,
    /// Devices' presence, as they announce it or the broker reports their will.
    pub presence: mpsc::Receiver<Presence>,
    /// What it has seen.
    pub counters: Arc<BridgeCounters>,
}

/// Builds the bridge to the broker of `settings`; reports go to `arrivals`, only from devices
/// `registry` has with the MQTT transport.
pub fn bridge(settings: MqttSettings, registry: Registry, arrivals: Arrivals) -> MqttBridge {
    let (link, link_rx) = watch::channel(BrokerLink::Connecting {
        since: Timestamp(0),
    });
    let (presence, presence_rx) = mpsc::channel(PRESENCE_QUEUE);
    let counters = Arc::new(BridgeCounters::default());
    let shared = Arc::new(Shared {
        settings,
        registry,
        arrivals,
        presence,
        link,
        counters: Arc::clone(&counters),
    });
    let worker = WorkerSpec::new("mqtt", move |context| run(Arc::clone(&shared), context));
    MqttBridge {
        worker,
        link: link_rx,
        presence: presence_rx,
        counters,
    }
}

struct Shared {
    settings: MqttSettings,
    registry: Registry,
    arrivals: Arrivals,
    presence: mpsc::Sender<Presence>,
    link: watch::Sender<BrokerLink>,
    counters: Arc<BridgeCounters>,
}

/// A message waiting to be acknowledged: resolves once its reports are stored (or not).
type AckWait = Pin<Box<dyn Future<Output = (Publish, Result<(), String>)> + Send>>;

fn ack_now(publish: Publish) -> AckWait {
    Box::pin(std::future::ready((publish, Ok(()))))
}

/// One run: a session with the broker until the central stops or a report is not stored.
async fn run(shared: Arc<Shared>, context: WorkerContext) -> Result<(), String> {
    let now = || context.clock().now();
    shared
        .link
        .send_replace(BrokerLink::Connecting { since: now() });
    let mut session = Session::open(&shared.settings);
    let mut acks: FuturesOrdered<AckWait> = FuturesOrdered::new();
    let mut failures = 0;
    let outcome = loop {
        tokio::select! {
            () = context.stopped() => break Ok(()),
            Some((publish, stored)) = acks.next(), if !acks.is_empty() => {
                if let Err(reason) = stored {
                    break Err(format!(
                        "a report was not stored ({reason}); reconnecting so the broker sends it again"
                    ));
                }
                if let Err(error) = session.client.ack(&publish).await {
                    break Err(format!("acknowledging a message: {error}"));
                }
            }
            event = session.events.recv() => match event {
                None => break Err("the MQTT event loop ended".to_owned()),
                Some(Ok(event)) => match shared.on_event(event, &session.client, &context).await {
                    Ok(Some(wait)) => acks.push_back(wait),
                    Ok(None) => {}
                    Err(error) => break Err(error),
                },
                Some(Err(error)) => {
                    failures += 1;
                    // Unacknowledged messages come again on the resumed session.
                    acks = FuturesOrdered::new();
                    shared.link_lost(&context, failures, error);
                    if !context.sleep(shared.settings.reconnect.delay(failures)).await {
                        break Ok(());
                    }
                    session.resume().await;
                }
            },
        }
        if matches!(*shared.link.borrow(), BrokerLink::Connected { .. }) {
            failures = 0;
        }
    };
    if context.stopping() {
        session.close(acks).await;
        shared
            .link
            .send_replace(BrokerLink::Stopped { since: now() });
    }
    outcome
}

impl Shared {
    /// Handles one event; a message to acknowledge later, if it is one.
    async fn on_event(
        &self,
        event: Event,
        client: &AsyncClient,
        context: &WorkerContext,
    ) -> Result<Option<AckWait>, String> {
        let now = context.clock().now();
        match event {
            Event::Incoming(Packet::ConnAck(_)) => {
                // Subscribing again on a resumed session is harmless, and it has the broker
                // send the retained states afresh.
                let filters = [Channel::Telemetry, Channel::State]
                    .map(|c| SubscribeFilter::new(c.filter(), QoS::AtLeastOnce));
                client
                    .subscribe_many(filters)
                    .await
                    .map_err(|e| format!("subscribing: {e}"))?;
                Ok(None)
            }
            Event::Incoming(Packet::SubAck(ack)) => {
                let refused = ack
                    .return_codes
                    .iter()
                    .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure));
                if refused {
                    tracing::error!(broker = %self.broker(), "the broker refused the bridge's subscriptions (ACL?)");
                } else {
                    tracing::info!(broker = %self.broker(), "MQTT bridge connected and subscribed");
                }
                let counts = self.counters.snapshot();
                context.report(format!(
                    "connected to {}; since start {} reports stored, {} messages refused, {} from \
                     unknown devices",
                    self.broker(),
                    counts.stored,
                    counts.refused_messages,
                    counts.unknown_devices
                ));
                self.link.send_replace(BrokerLink::Connected { since: now });
                Ok(None)
            }
            Event::Incoming(Packet::Publish(publish)) => {
                self.on_publish(publish, now).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    fn broker(&self) -> String {
        format!("{}:{}", self.settings.host, self.settings.port)
    }

    fn link_lost(&self, context: &WorkerContext, failures: u32, error: String) {
        let now = context.clock().now();
        let down_since = match &*self.link.borrow() {
            BrokerLink::Retrying { down_since, .. } => *down_since,
            _ => now,
        };
        tracing::warn!(broker = %self.broker(), failures, %error, "MQTT broker link lost; retrying");
        context.report(format!("broker {} unreachable: {error}", self.broker()));
        self.link.send_replace(BrokerLink::Retrying {
            down_since,
            failures,
            error,
        });
    }

    async fn on_publish(&self, publish: Publish, received: Timestamp) -> Result<AckWait, String> {
        bump(&self.counters.messages, 1);
        let Some(topic) = Topic::parse(&publish.topic) else {
            self.refuse(&publish.topic, "not a device topic of this version");
            return Ok(ack_now(publish));
        };
        if !self.registered(&topic.device) {
            bump(&self.counters.unknown_devices, 1);
            tracing::warn!(topic = %publish.topic, "a device the registry does not have as an MQTT device; refused");
            return Ok(ack_now(publish));
        }
        match topic.channel {
            Channel::Telemetry => self.on_telemetry(&topic.device, publish, received).await,
            Channel::State => {
                self.on_state(topic.device, &publish, received);
                Ok(ack_now(publish))
            }
            // Commands go to devices; acks and feedback are the relay link's.
            Channel::Commands | Channel::Acks | Channel::Relays => Ok(ack_now(publish)),
        }
    }

    fn registered(&self, device: &DeviceId) -> bool {
        self.registry
            .borrow()
            .iter()
            .any(|d| d.id == *device && d.transport == Transport::Mqtt)
    }

    fn refuse(&self, topic: &str, reason: &str) {
        bump(&self.counters.refused_messages, 1);
        tracing::warn!(topic, reason, "MQTT message refused");
    }

    async fn on_telemetry(
        &self,
        device: &DeviceId,
        publish: Publish,
        received: Timestamp,
    ) -> Result<AckWait, String> {
        if publish.retain {
            self.refuse(
                &publish.topic,
                "telemetry is never retained (a stale retained copy)",
            );
            return Ok(ack_now(publish));
        }
        let decoded = match decode_telemetry(device, &publish.payload, received) {
            Ok(decoded) => decoded,
            Err(error) => {
                self.refuse(&publish.topic, &error.to_string());
                return Ok(ack_now(publish));
            }
        };
        for refusal in &decoded.refused {
            bump(&self.counters.refused_values, 1);
            tracing::warn!(topic = %publish.topic, %refusal, "part of a telemetry message refused");
        }
        let mut answers = Vec::with_capacity(decoded.reports.len());
        for telemetry in decoded.reports {
            let (stored, answer) = oneshot::channel();
            let arrival = Arrival {
                telemetry,
                stored: Some(stored),
            };
            bump(&self.counters.reports, 1);
            self.arrivals
                .send(arrival)
                .await
                .map_err(|_| "the telemetry store is gone".to_owned())?;
            answers.push(answer);
        }
        let counters = Arc::clone(&self.counters);
        Ok(Box::pin(async move {
            for answer in answers {
                let stored = answer
                    .await
                    .unwrap_or_else(|_| Err("the store dropped a report unanswered".into()));
                if stored.is_err() {
                    return (publish, stored);
                }
                bump(&counters.stored, 1);
            }
            (publish, Ok(()))
        }))
    }

    fn on_state(&self, device: DeviceId, publish: &Publish, received: Timestamp) {
        let state = match decode_state(&publish.payload) {
            Ok(Some(state)) => state,
            Ok(None) => return,
            Err(error) => return self.refuse(&publish.topic, &error.to_string()),
        };
        let presence = Presence {
            device,
            online: state.online,
            at: state.since.filter(|_| state.online).unwrap_or(received),
            reason: state.reason,
            retained: publish.retain,
        };
        match self.presence.try_send(presence) {
            Ok(()) => bump(&self.counters.presence, 1),
            Err(_) => bump(&self.counters.presence_dropped, 1),
        }
    }
}

/// A client and its event loop, polled by a task of its own so that no `select!` ever
/// cancels a poll half-way through writing a packet.
struct Session {
    client: AsyncClient,
    events: mpsc::UnboundedReceiver<Result<Event, String>>,
    resume: mpsc::Sender<()>,
    pump: tokio::task::JoinHandle<()>,
}

impl Session {
    fn open(settings: &MqttSettings) -> Self {
        let mut options = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
        options
            .set_credentials(&settings.username, settings.password.expose())
            .set_clean_session(false)
            .set_manual_acks(true)
            .set_keep_alive(settings.keep_alive)
            .set_max_packet_size(MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES);
        let (client, eventloop) = AsyncClient::new(options, 64);
        // Unbounded, so the pump never waits on the run loop while the run loop waits on the
        // pump (an ack); the broker's in-flight window (QoS 1, unacknowledged) bounds it.
        let (events_tx, events) = mpsc::unbounded_channel();
        let (resume, resume_rx) = mpsc::channel(1);
        let pump = tokio::spawn(pump(eventloop, events_tx, resume_rx));
        Self {
            client,
            events,
            resume,
            pump,
        }
    }

    /// Acknowledges what is already stored, then says DISCONNECT (the session stays with the
    /// broker, holding what is not acknowledged) and waits a moment for the pump to send it all.
    async fn close(mut self, mut acks: FuturesOrdered<AckWait>) {
        while let Some(Some((publish, Ok(())))) = acks.next().now_or_never() {
            if self.client.try_ack(&publish).is_err() {
                break;
            }
        }
        if self.client.try_disconnect().is_ok() {
            _ = tokio::time::timeout(CLOSE_GRACE, &mut self.pump).await;
        }
    }

    /// Lets the pump try to reconnect after a failure.
    async fn resume(&self) {
        _ = self.resume.send(()).await;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Drops the event loop and its socket.
        self.pump.abort();
    }
}

/// Polls the event loop; after a failure, waits to be told to try again.
async fn pump(
    mut eventloop: EventLoop,
    events: mpsc::UnboundedSender<Result<Event, String>>,
    mut resume: mpsc::Receiver<()>,
) {
    loop {
        let event = eventloop.poll().await.map_err(|e| e.to_string());
        let failed = event.is_err();
        let said_goodbye = matches!(event, Ok(Event::Outgoing(Outgoing::Disconnect)));
        if said_goodbye || events.send(event).is_err() || (failed && resume.recv().await.is_none())
        {
            return;
        }
    }
}
