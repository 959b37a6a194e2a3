//! The MQTT bridge started with the central: its reports go to the telemetry worker, what the
//! broker says of each device's connection (its retained state, its last will) to the device's
//! health, and the broker link's own state to the hub, so that while the broker is down its
//! devices' silence is blamed on it, as one incident.

use crate::central::core::AppState;
use crate::central::workers::WorkerSpec;
use crate::domain::devices::Presence;

use super::mqtt::{MqttSettings, bridge};

/// Builds the bridge, follows its presence events and broker link in tasks of their own, and
/// returns its worker for the supervisor.
pub fn start(state: &AppState, settings: MqttSettings) -> WorkerSpec {
    let hub = state.devices();
    let mut bridge = bridge(settings, hub.registry(), hub.arrivals());
    let presence_state = state.clone();
    tokio::spawn(async move {
        while let Some(event) = bridge.presence.recv().await {
            let presence = if event.online {
                Presence::Online
            } else {
                Presence::Offline
            };
            let device = event.device.clone();
            let stored = presence_state
                .blocking(move |store| store.set_presence(&device, presence))
                .await;
            match stored {
                Ok(()) => presence_state
                    .devices()
                    .presence_stored(event.device, presence),
                Err(failure) => {
                    tracing::warn!(error = %failure.body.message, "a device's presence not stored");
                }
            }
        }
    });
    let link_state = state.clone();
    let mut link = bridge.link.clone();
    tokio::spawn(async move {
        loop {
            let up = link.borrow_and_update().is_up();
            link_state.devices().set_broker_up(up);
            if link.changed().await.is_err() {
                return;
            }
        }
    });
    bridge.worker
}
