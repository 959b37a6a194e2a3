//! A relay controller's side of MQTT relay control (`crate::protocol::mqtt::relays`), as a
//! greenhouse controller speaks it: it takes commands on its `commands` topic, switches the
//! relay, remembers the command ids it executed and answers a repeat `duplicate` without
//! switching again, acknowledges on `acks`, and sends the relays it reads back on `relays`.
//! A command with `pulse_s` is timed by the controller: it switches the relay off by itself
//! that many seconds later (unless another command came for the relay since) and says so on
//! `relays`. The simulated greenhouses, the benchmarks and the tests drive relays through it.
//!
//! It can be told to misbehave the ways field devices do: go silent on a command (the link
//! drops before it answers) or refuse.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, Publish, QoS};
use tokio::sync::watch;

use super::mqtt_device::DeviceOptions;
use crate::domain::Timestamp;
use crate::domain::devices::DeviceId;
use crate::domain::relays::{CommandId, Switch};
use crate::protocol::mqtt::relays::{AckMessage, AckResult, CommandMessage, encode_feedback};
use crate::protocol::mqtt::{Channel, Topic, encode_offline_will, encode_online};

/// Command ids remembered to tell a repeat.
pub const REMEMBERED: usize = 256;

/// How the controller behaves on a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// Switches, acknowledges and reads back.
    #[default]
    Obliging,
    /// Drops its link the moment a command arrives, before doing anything.
    DropsOnCommand,
    /// Refuses every command (manual mode).
    Refusing,
}

/// How a controller starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Start {
    /// Its MQTT client id, when not its device's id: a device whose telemetry another client
    /// of the same id publishes (the embedded default's simulated greenhouses) needs its own,
    /// or the broker would drop one for the other.
    pub client_id: Option<String>,
    /// Its relays and their states at start (a restarted simulated greenhouse takes them from
    /// the central's history).
    pub states: BTreeMap<u16, Switch>,
}

/// What the controller has done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relays {
    /// Each relay's state.
    pub states: BTreeMap<u16, Switch>,
    /// Times a relay actually changed state.
    pub switches: usize,
    /// Commands answered `duplicate`.
    pub duplicates: usize,
    /// Commands received, in order.
    pub received: Vec<CommandMessage>,
    /// Pulses the controller ended by itself.
    pub pulses_ended: usize,
}

#[derive(Debug)]
struct Memory {
    relays: Relays,
    seen: VecDeque<CommandId>,
    behaviour: Behaviour,
    /// Commands executed per relay: a pulse ends only if no command came for its relay since.
    executed: BTreeMap<u16, u64>,
}

/// A connected relay controller.
#[derive(Debug)]
pub struct RelayResponder {
    memory: Arc<Mutex<Memory>>,
    changed: watch::Receiver<u64>,
    pump: tokio::task::JoinHandle<()>,
}

impl RelayResponder {
    /// Connects as the device of `options` with `channels` relays, all off; returns once the
    /// broker has it subscribed to its commands.
    pub async fn connect(options: &DeviceOptions, channels: u16, behaviour: Behaviour) -> Self {
        let start = Start {
            client_id: None,
            states: (1..=channels).map(|c| (c, Switch::Off)).collect(),
        };
        Self::start(options, start, behaviour).await
    }

    /// Like [`RelayResponder::connect`], starting as `start` says.
    pub async fn start(options: &DeviceOptions, start: Start, behaviour: Behaviour) -> Self {
        let Start { client_id, states } = start;
        let memory = Arc::new(Mutex::new(Memory {
            relays: Relays {
                states,
                ..Relays::default()
            },
            seen: VecDeque::new(),
            behaviour,
            executed: BTreeMap::new(),
        }));
        let (changed_tx, changed) = watch::channel(0);
        let (client, eventloop) = AsyncClient::new(mqtt_options(options, client_id.as_deref()), 64);
        let (subscribed_tx, mut subscribed) = watch::channel(false);
        let pump = Pump {
            client,
            device: options.clone(),
            memory: Arc::clone(&memory),
            changed: changed_tx,
            subscribed: subscribed_tx,
        };
        let pump = tokio::spawn(pump.run(eventloop));
        _ = subscribed.wait_for(|s| *s).await;
        Self {
            memory,
            changed,
            pump,
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What it has done so far.
    pub fn relays(&self) -> Relays {
        self.memory().relays.clone()
    }

    /// Changes how it behaves from the next command on.
    pub fn behave(&self, behaviour: Behaviour) {
        self.memory().behaviour = behaviour;
    }

    /// Waits until it has handled `count` commands in all.
    pub async fn handled(&mut self, count: u64) {
        _ = self.changed.wait_for(|&n| n >= count).await;
    }

    /// Drops the link without a DISCONNECT (its will says offline).
    pub fn drop_link(self) {
        self.pump.abort();
    }
}

fn mqtt_options(options: &DeviceOptions, client_id: Option<&str>) -> MqttOptions {
    let device = &options.device;
    let state = Topic::new(device, Channel::State).to_string();
    let client_id = client_id.unwrap_or(device.as_str());
    let mut mqtt = MqttOptions::new(client_id, &options.host, options.port);
    mqtt.set_credentials(device.as_str(), options.password.expose())
        .set_clean_session(true)
        .set_keep_alive(options.keep_alive)
        .set_last_will(LastWill::new(
            state,
            encode_offline_will(),
            QoS::AtLeastOnce,
            true,
        ));
    mqtt
}

struct Pump {
    client: AsyncClient,
    device: DeviceOptions,
    memory: Arc<Mutex<Memory>>,
    changed: watch::Sender<u64>,
    subscribed: watch::Sender<bool>,
}

impl Pump {
    async fn run(self, mut eventloop: EventLoop) {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => self.on_connect().await,
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    self.subscribed.send_replace(true);
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    if !self.on_command(&publish).await {
                        return;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::debug!(%error, "relay controller link lost; retrying");
                    tokio::time::sleep(self.device.retry_every).await;
                }
            }
        }
    }

    async fn on_connect(&self) {
        let device = &self.device.device;
        let state = Topic::new(device, Channel::State).to_string();
        let commands = Topic::new(device, Channel::Commands).to_string();
        let online = encode_online(Timestamp::now());
        _ = self
            .client
            .publish(state, QoS::AtLeastOnce, true, online)
            .await;
        _ = self.client.subscribe(commands, QoS::AtLeastOnce).await;
        self.publish_feedback().await;
    }

    /// Handles a command; false when the controller drops its link instead.
    async fn on_command(&self, publish: &Publish) -> bool {
        let Ok(command) = CommandMessage::decode(&publish.payload) else {
            return true;
        };
        let (result, reason) = {
            let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
            memory.relays.received.push(command.clone());
            match memory.behaviour {
                Behaviour::DropsOnCommand => return false,
                Behaviour::Refusing => (AckResult::Refused, Some("manual mode".to_owned())),
                Behaviour::Obliging => apply(&mut memory, &command),
            }
        };
        if let (AckResult::Done, Switch::On, Some(seconds)) = (result, command.set, command.pulse_s)
        {
            self.time_pulse(command.channel, seconds);
        }
        let ack = AckMessage {
            command_id: command.command_id,
            result,
            reason,
        };
        let acks = Topic::new(&self.device.device, Channel::Acks).to_string();
        _ = self
            .client
            .publish(acks, QoS::AtLeastOnce, false, ack.encode())
            .await;
        self.publish_feedback().await;
        self.changed.send_modify(|n| *n += 1);
        true
    }

    async fn publish_feedback(&self) {
        publish_feedback(&self.client, &self.device.device, &self.memory).await;
    }

    /// Switches `channel` off `seconds` from now, as the controller's own timer, unless a
    /// command for it comes first.
    fn time_pulse(&self, channel: u16, seconds: u32) {
        let executed = {
            let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
            memory.executed.get(&channel).copied().unwrap_or_default()
        };
        let (client, memory) = (self.client.clone(), Arc::clone(&self.memory));
        let device = self.device.device.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(u64::from(seconds))).await;
            let ended = {
                let mut memory = memory.lock().unwrap_or_else(PoisonError::into_inner);
                end_pulse(&mut memory, channel, executed)
            };
            if ended {
                publish_feedback(&client, &device, &memory).await;
            }
        });
    }
}

/// Sends the relays as read now on the device's `relays` topic.
async fn publish_feedback(client: &AsyncClient, device: &DeviceId, memory: &Mutex<Memory>) {
    let states = memory
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .relays
        .states
        .clone();
    let topic = Topic::new(device, Channel::Relays).to_string();
    let payload = encode_feedback(Timestamp::now(), &states);
    _ = client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await;
}

/// Ends the pulse timed when `channel` had executed `executed` commands: the relay goes off,
/// unless a later command took it over. Whether it ended.
fn end_pulse(memory: &mut Memory, channel: u16, executed: u64) -> bool {
    if memory.executed.get(&channel).copied().unwrap_or_default() != executed {
        return false;
    }
    let Some(state) = memory.relays.states.get_mut(&channel) else {
        return false;
    };
    if *state != Switch::On {
        return false;
    }
    *state = Switch::Off;
    memory.relays.switches += 1;
    memory.relays.pulses_ended += 1;
    true
}

/// Executes `command` unless its id was executed before.
fn apply(memory: &mut Memory, command: &CommandMessage) -> (AckResult, Option<String>) {
    if memory.seen.contains(&command.command_id) {
        memory.relays.duplicates += 1;
        return (AckResult::Duplicate, None);
    }
    let Some(state) = memory.relays.states.get_mut(&command.channel) else {
        return (
            AckResult::Refused,
            Some(format!("no relay {}", command.channel)),
        );
    };
    if *state != command.set {
        *state = command.set;
        memory.relays.switches += 1;
    }
    *memory.executed.entry(command.channel).or_default() += 1;
    memory.seen.push_back(command.command_id.clone());
    if memory.seen.len() > REMEMBERED {
        memory.seen.pop_front();
    }
    (AckResult::Done, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Memory {
        Memory {
            relays: Relays {
                states: BTreeMap::from([(1, Switch::Off), (2, Switch::Off)]),
                ..Relays::default()
            },
            seen: VecDeque::new(),
            behaviour: Behaviour::Obliging,
            executed: BTreeMap::new(),
        }
    }

    fn command(id: &str, channel: u16, set: Switch, pulse_s: Option<u32>) -> CommandMessage {
        CommandMessage {
            command_id: CommandId::parse(id).unwrap(),
            channel,
            set,
            pulse_s,
        }
    }

    #[test]
    fn a_pulse_ends_by_itself_unless_a_later_command_took_its_relay_over() {
        use Switch::{Off, On};
        // (commands after the pulse's `on`, on which relay, state after the pulse's end, ended)
        type Later = &'static [(&'static str, u16, Switch)];
        let cases: [(Later, Switch, bool); 4] = [
            (&[], Off, true),
            (&[("c-later-on-01", 1, On)], On, false),
            (&[("c-later-off-1", 1, Off)], Off, false),
            (&[("c-other-on-01", 2, On)], Off, true),
        ];
        for (later, after, ended) in cases {
            let mut memory = memory();
            let pulse = command("c-pulse-0001", 1, On, Some(600));
            assert_eq!(apply(&mut memory, &pulse).0, AckResult::Done);
            let executed = memory.executed[&1];
            for &(id, channel, set) in later {
                apply(&mut memory, &command(id, channel, set, None));
            }
            assert_eq!(end_pulse(&mut memory, 1, executed), ended, "{later:?}");
            assert_eq!(memory.relays.states[&1], after, "{later:?}");
            assert_eq!(memory.relays.pulses_ended, usize::from(ended));
        }
    }

    #[test]
    fn a_repeated_pulse_command_does_not_restart_the_pulse() {
        let mut memory = memory();
        let pulse = command("c-pulse-0001", 1, Switch::On, Some(600));
        apply(&mut memory, &pulse);
        let executed = memory.executed[&1];
        assert_eq!(apply(&mut memory, &pulse).0, AckResult::Duplicate);
        assert!(
            end_pulse(&mut memory, 1, executed),
            "the first timer still ends it"
        );
    }
}
