//! A device's side of MQTT, as a tea-garden micro-station or greenhouse controller speaks it
//! (`crate::protocol::mqtt`): it connects with its id and password and a will that says it
//! is offline, announces itself online (retained), and publishes telemetry at `QoS` 1 on a
//! persistent session, so what it sends while the broker is away goes out when it is back.
//! The simulator, the benchmarks and the tests drive devices through it.
//!
//! ```text
//! MqttDevice::connect(options) ─▶ publish(&Telemetry) … publish_records(&[Telemetry]) ─▶ flushed()
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::watch;

use crate::domain::Timestamp;
use crate::domain::access::Secret;
use crate::domain::devices::{DeviceId, Telemetry};
use crate::protocol::mqtt::{
    Channel, Topic, encode_offline_will, encode_online, encode_records, encode_telemetry,
};

/// How to reach the broker as a device.
#[derive(Debug, Clone)]
pub struct DeviceOptions {
    /// The broker's host.
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// The device's id: its client id and user name.
    pub device: DeviceId,
    /// Its password (`central::devices::mqtt::device_password`).
    pub password: Secret,
    /// Keep-alive (whole seconds, at least one).
    pub keep_alive: Duration,
    /// The wait before trying again when the broker is away.
    pub retry_every: Duration,
}

impl DeviceOptions {
    /// Options for `device` at `host:port`, with a 30 s keep-alive and 1 s retries.
    pub fn new(host: &str, port: u16, device: DeviceId, password: Secret) -> Self {
        Self {
            host: host.to_owned(),
            port,
            device,
            password,
            keep_alive: Duration::from_secs(30),
            retry_every: Duration::from_secs(1),
        }
    }
}

/// Why a device could not connect or publish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The broker refused the connection (wrong password, unknown user).
    #[error("the broker refused device {device}: {reason}")]
    Refused {
        /// Who.
        device: DeviceId,
        /// The broker's return code.
        reason: String,
    },
    /// The device's link task has ended.
    #[error("device {0}'s MQTT link is closed")]
    Closed(DeviceId),
}

/// A connected device.
#[derive(Debug)]
pub struct MqttDevice {
    device: DeviceId,
    client: AsyncClient,
    published: Arc<AtomicU64>,
    acked: watch::Receiver<u64>,
    pump: tokio::task::JoinHandle<()>,
}

impl MqttDevice {
    /// Connects; returns once the broker accepted the device (it keeps reconnecting after a
    /// lost link), or with the broker's refusal.
    pub async fn connect(options: DeviceOptions) -> Result<Self, DeviceError> {
        let device = options.device.clone();
        let state = Topic::new(&device, Channel::State).to_string();
        let mut mqtt = MqttOptions::new(device.as_str(), &options.host, options.port);
        mqtt.set_credentials(device.as_str(), options.password.expose())
            .set_clean_session(false)
            .set_keep_alive(options.keep_alive)
            .set_max_packet_size(1024 * 1024, 1024 * 1024)
            .set_last_will(LastWill::new(
                &state,
                encode_offline_will(),
                QoS::AtLeastOnce,
                true,
            ));
        let (client, eventloop) = AsyncClient::new(mqtt, 1024);
        let published = Arc::new(AtomicU64::new(0));
        let (acked_tx, acked) = watch::channel(0);
        let (link_tx, mut link) = watch::channel(Link::Connecting);
        let pump = Pump {
            client: client.clone(),
            state_topic: state,
            published: Arc::clone(&published),
            acked: acked_tx,
            link: link_tx,
            retry_every: options.retry_every,
        };
        let pump = tokio::spawn(pump.run(eventloop));
        let up = link
            .wait_for(|l| *l != Link::Connecting)
            .await
            .map(|l| l.clone());
        match up {
            Ok(Link::Up) => Ok(Self {
                device,
                client,
                published,
                acked,
                pump,
            }),
            Ok(Link::Refused(reason)) => Err(DeviceError::Refused { device, reason }),
            _ => Err(DeviceError::Closed(device)),
        }
    }

    /// Its id.
    pub fn id(&self) -> &DeviceId {
        &self.device
    }

    /// Publishes one report (`QoS` 1, not retained); queued while the broker is away.
    pub async fn publish(&self, report: &Telemetry) -> Result<(), DeviceError> {
        let topic = Topic::new(&self.device, Channel::Telemetry).to_string();
        self.publish_raw(&topic, encode_telemetry(report)).await
    }

    /// Publishes `reports` as one backfill message sent at `sent_at`.
    pub async fn publish_records(
        &self,
        reports: &[Telemetry],
        sent_at: Timestamp,
    ) -> Result<(), DeviceError> {
        let topic = Topic::new(&self.device, Channel::Telemetry).to_string();
        self.publish_raw(&topic, encode_records(reports, sent_at))
            .await
    }

    /// Publishes any payload on any topic (`QoS` 1): what a faulty or hostile device might send.
    pub async fn publish_raw(&self, topic: &str, payload: Vec<u8>) -> Result<(), DeviceError> {
        self.published.fetch_add(1, Ordering::SeqCst);
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .map_err(|_| DeviceError::Closed(self.device.clone()))
    }

    /// Waits until the broker has acknowledged everything published so far.
    pub async fn flushed(&mut self) -> Result<(), DeviceError> {
        let target = self.published.load(Ordering::SeqCst);
        self.acked
            .wait_for(|&acked| acked >= target)
            .await
            .map(|_| ())
            .map_err(|_| DeviceError::Closed(self.device.clone()))
    }

    /// Drops the TCP connection without a DISCONNECT, as a device losing power or signal
    /// does: the broker publishes its will.
    pub fn drop_link(self) {
        self.pump.abort();
    }

    /// Says goodbye properly (DISCONNECT: no will) and ends the link.
    pub async fn disconnect(self) {
        _ = self.client.disconnect().await;
        _ = self.pump.await;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    Connecting,
    Up,
    Refused(String),
}

/// Polls the event loop: announces the device online at each connection, counts the broker's
/// acknowledgements, and retries a lost link.
struct Pump {
    client: AsyncClient,
    state_topic: String,
    published: Arc<AtomicU64>,
    acked: watch::Sender<u64>,
    link: watch::Sender<Link>,
    retry_every: Duration,
}

impl Pump {
    async fn run(self, mut eventloop: EventLoop) {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    // Counted before the link is said up: `flushed()` called as soon as
                    // `connect` returns must wait for the retained online state too.
                    self.published.fetch_add(1, Ordering::SeqCst);
                    let online = encode_online(Timestamp::now());
                    let sent =
                        self.client
                            .try_publish(&self.state_topic, QoS::AtLeastOnce, true, online);
                    if sent.is_err() {
                        self.published.fetch_sub(1, Ordering::SeqCst);
                    }
                    self.link.send_replace(Link::Up);
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    self.acked.send_modify(|acked| *acked += 1);
                }
                Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => return,
                Ok(_) => {}
                Err(ConnectionError::ConnectionRefused(code)) if !self.ever_up() => {
                    self.link.send_replace(Link::Refused(format!("{code:?}")));
                    return;
                }
                Err(error) => {
                    tracing::debug!(%error, "device link lost; retrying");
                    tokio::time::sleep(self.retry_every).await;
                }
            }
        }
    }

    fn ever_up(&self) -> bool {
        *self.link.borrow() == Link::Up
    }
}
