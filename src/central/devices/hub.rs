//! What the device workers and routes share: the registry as a watch channel (replaced whole on
//! every change), the arrivals queue the transports feed, and its receiving end for the
//! telemetry worker (kept here so a restarted worker takes it up again).

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, watch};

use super::modbus::switch::BoardSwitches;
use super::{Arrival, Arrivals, Registry};
use crate::domain::devices::Device;

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
    /// The broker link is up (true where no broker is configured: nothing to blame).
    broker_up: Arc<std::sync::atomic::AtomicBool>,
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
            broker_up: Arc::new(std::sync::atomic::AtomicBool::new(true)),
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
        self.broker_up.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records the broker link's state (the MQTT bridge's).
    pub fn set_broker_up(&self, up: bool) {
        self.broker_up
            .store(up, std::sync::atomic::Ordering::Relaxed);
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
