//! The central's MQTT client for relay control (worker `relay-mqtt`), apart from the telemetry
//! bridge: it publishes commands on each device's `commands` topic (`QoS` 1, never retained)
//! and reads the devices' `acks` and `relays` feedback.
//!
//! A command is handed over when the broker's PUBACK comes back. Commands are published one at
//! a time (the relay dispatcher hands over one row at a time), so the first PUBACK after a
//! publish is its own. While the broker link is down nothing is published: the dispatcher hears
//! "not now" and the command waits, visibly, until its expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS, SubscribeFilter};
use tokio::sync::{Mutex, watch};

use super::feedback;
use crate::central::core::AppState;
use crate::central::devices::mqtt::MqttSettings;
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::devices::DeviceId;
use crate::protocol::mqtt::relays::{AckMessage, CommandMessage, decode_feedback};
use crate::protocol::mqtt::{Channel, Topic};

/// How long the broker has to acknowledge a published command.
pub const PUBACK_WAIT: Duration = Duration::from_secs(5);

/// Why a command was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The link is down: nothing was published.
    #[error("the MQTT broker link is down")]
    Down,
    /// Published, but no PUBACK in time: the broker may have it.
    #[error("no PUBACK within {0:?}")]
    NoPuback(Duration),
}

/// The publishing side, shared with the relay dispatcher.
#[derive(Debug, Clone)]
pub struct MqttCommands {
    client: Arc<Mutex<Option<AsyncClient>>>,
    connected: Arc<AtomicBool>,
    /// PUBACKs received so far.
    pubacks: Arc<watch::Sender<u64>>,
}

impl MqttCommands {
    /// Publishes `command` to `device` and waits for the broker's PUBACK.
    pub async fn publish(
        &self,
        device: &DeviceId,
        command: &CommandMessage,
    ) -> Result<(), PublishError> {
        // Holding the client's lock keeps publishes one at a time.
        let client = self.client.lock().await;
        let client = client.as_ref().ok_or(PublishError::Down)?;
        if !self.connected.load(Ordering::Acquire) {
            return Err(PublishError::Down);
        }
        let mut pubacks = self.pubacks.subscribe();
        pubacks.borrow_and_update();
        let topic = Topic::new(device, Channel::Commands).to_string();
        client
            .publish(topic, QoS::AtLeastOnce, false, command.encode())
            .await
            .map_err(|_| PublishError::Down)?;
        match tokio::time::timeout(PUBACK_WAIT, pubacks.changed()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(PublishError::NoPuback(PUBACK_WAIT)),
        }
    }
}

/// The link before its worker runs.
#[derive(Debug)]
pub struct MqttLink {
    settings: MqttSettings,
    commands: MqttCommands,
}

impl MqttLink {
    /// A link to the broker of `settings`, as the central's user with a client id of its own.
    pub fn new(settings: &MqttSettings) -> Self {
        Self {
            settings: settings.clone(),
            commands: MqttCommands {
                client: Arc::default(),
                connected: Arc::default(),
                pubacks: Arc::new(watch::channel(0).0),
            },
        }
    }

    /// The publishing side.
    pub fn commands(&self) -> MqttCommands {
        self.commands.clone()
    }

    /// The `relay-mqtt` worker: connects, subscribes to acks and feedback, follows them.
    pub fn worker(self, state: AppState) -> WorkerSpec {
        let link = Arc::new(self);
        WorkerSpec::new("relay-mqtt", move |context| {
            run(Arc::clone(&link), state.clone(), context)
        })
    }

    fn options(&self) -> MqttOptions {
        let settings = &self.settings;
        let id = format!("{}-relays", settings.client_id);
        let mut options = MqttOptions::new(id, &settings.host, settings.port);
        options
            .set_credentials(&settings.username, settings.password.expose())
            .set_clean_session(true)
            .set_keep_alive(settings.keep_alive);
        options
    }
}

async fn run(link: Arc<MqttLink>, state: AppState, context: WorkerContext) -> Result<(), String> {
    let (client, mut events) = AsyncClient::new(link.options(), 64);
    *link.commands.client.lock().await = Some(client.clone());
    let mut failures = 0;
    let outcome = loop {
        let event = tokio::select! {
            () = context.stopped() => break Ok(()),
            event = events.poll() => event,
        };
        match event {
            Ok(event) => {
                failures = 0;
                on_event(&link, &state, &client, event).await?;
            }
            Err(error) => {
                link.commands.connected.store(false, Ordering::Release);
                failures += 1;
                context.report(format!("broker unreachable: {error}"));
                if !context.sleep(link.settings.reconnect.delay(failures)).await {
                    break Ok(());
                }
            }
        }
    };
    link.commands.connected.store(false, Ordering::Release);
    *link.commands.client.lock().await = None;
    outcome
}

async fn on_event(
    link: &MqttLink,
    state: &AppState,
    client: &AsyncClient,
    event: Event,
) -> Result<(), String> {
    match event {
        Event::Incoming(Packet::ConnAck(_)) => {
            let filters = [Channel::Acks, Channel::Relays]
                .map(|c| SubscribeFilter::new(c.filter(), QoS::AtLeastOnce));
            client
                .subscribe_many(filters)
                .await
                .map_err(|e| format!("subscribing: {e}"))?;
        }
        Event::Incoming(Packet::SubAck(_)) => {
            link.commands.connected.store(true, Ordering::Release);
        }
        Event::Incoming(Packet::PubAck(_)) => {
            link.commands.pubacks.send_modify(|count| *count += 1);
        }
        Event::Incoming(Packet::Publish(publish)) => on_publish(state, &publish).await,
        _ => {}
    }
    Ok(())
}

/// An ack or a feedback reading; anything unreadable is logged (topic and reason) and dropped.
async fn on_publish(state: &AppState, publish: &Publish) {
    let Some(topic) = Topic::parse(&publish.topic) else {
        return;
    };
    let now = state.clock().now();
    match topic.channel {
        Channel::Acks => match AckMessage::decode(&publish.payload) {
            Ok(ack) => feedback::acknowledged(state, &topic.device, ack, now).await,
            Err(error) => tracing::warn!(topic = %publish.topic, %error, "relay ack refused"),
        },
        Channel::Relays => match decode_feedback(&publish.payload) {
            Ok(reading) => {
                let readings: Vec<_> = reading.relays.into_iter().collect();
                if let Err(error) = feedback::observe(state, &topic.device, &readings, now).await {
                    tracing::warn!(device = %topic.device, %error, "relay feedback not stored");
                }
            }
            Err(error) => tracing::warn!(topic = %publish.topic, %error, "relay feedback refused"),
        },
        _ => {}
    }
}
