//! What the device workers and routes share: the registry as a watch channel (replaced whole on
//! every change), the arrivals queue the transports feed, and its receiving end for the
//! telemetry worker (kept here so a restarted worker takes it up again).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, watch};

use super::modbus::switch::BoardSwitches;
use super::{Arrival, Arrivals, Registry};
use crate::domain::devices::{Device, DeviceId, Presence};

/// Reports waiting for the store, at most: beyond it, transports wait (MQTT stops acknowledging,
/// so the broker holds the rest).
pub const ARRIVALS_CAPACITY: usize = 8_192;

/// The devices' shared state.
#[derive(Debug, Clone)]
pub struct DeviceHub {
    registry: Arc<watch::Sender<Arc<Vec<Device>>>>,
    arrivals: Arrivals,
    queue: Arc<Mutex<mpsc::Receiver<Arrival>>>,
    alarm_memory: super::alarms::Memory,
    /// The broker link is up (true where no broker is configured: nothing to blame); a watch,
    /// so whoever must act on the broker's return can wait for it.
    broker_up: Arc<watch::Sender<bool>>,
    /// What the broker last said of each device's connection, once stored.
    presence: Arc<watch::Sender<HashMap<DeviceId, Presence>>>,
    /// The Modbus boards' command queues.
    switches: BoardSwitches,
}

impl DeviceHub {
    /// A hub over the registry as stored now.
    pub fn new(devices: Vec<Device>) -> Self {
        let (registry, _) = watch::channel(Arc::new(devices));
        let (arrivals, queue) = mpsc::channel(ARRIVALS_CAPACITY);
        Self {
            registry: Arc::new(registry),
            arrivals,
            queue: Arc::new(Mutex::new(queue)),
            alarm_memory: Arc::default(),
            broker_up: Arc::new(watch::channel(true).0),
            presence: Arc::new(watch::channel(HashMap::new()).0),
            switches: BoardSwitches::default(),
        }
    }

    /// The registry, followed.
    pub fn registry(&self) -> Registry {
        self.registry.subscribe()
    }

    /// The registry now.
    pub fn devices(&self) -> Arc<Vec<Device>> {
        Arc::clone(&self.registry.borrow())
    }

    /// Replaces the registry (after a device was saved).
    pub fn publish(&self, devices: Vec<Device>) {
        self.registry.send_replace(Arc::new(devices));
    }

    /// Where transports hand reports.
    pub fn arrivals(&self) -> Arrivals {
        self.arrivals.clone()
    }

    /// The Modbus boards' command queues (relay switching).
    pub fn switches(&self) -> BoardSwitches {
        self.switches.clone()
    }

    /// Whether the central's link to the MQTT broker is up.
    pub fn broker_up(&self) -> bool {
        *self.broker_up.borrow()
    }

    /// The broker link's state, followed.
    pub fn broker_link(&self) -> watch::Receiver<bool> {
        self.broker_up.subscribe()
    }

    /// Records the broker link's state (the MQTT bridge's).
    pub fn set_broker_up(&self, up: bool) {
        self.broker_up.send_replace(up);
    }

    /// Each device's presence as last stored, followed: the status sweep reads the store,
    /// so whoever must act on a will knows from here when the sweep will see it.
    pub fn presence(&self) -> watch::Receiver<HashMap<DeviceId, Presence>> {
        self.presence.subscribe()
    }

    /// Records that `device`'s presence is stored as `presence`.
    pub fn presence_stored(&self, device: DeviceId, presence: Presence) {
        self.presence.send_modify(|all| {
            all.insert(device, presence);
        });
    }

    /// Where the alarm engine keeps its conditions between sweeps.
    pub(crate) fn alarm_memory(&self) -> super::alarms::Memory {
        Arc::clone(&self.alarm_memory)
    }

    /// The queue's receiving end, for the telemetry worker.
    pub(crate) fn queue(&self) -> Arc<Mutex<mpsc::Receiver<Arrival>>> {
        Arc::clone(&self.queue)
    }
}
