//! The Modbus transports as one supervised worker of the central: the pollers follow the
//! registry, the DTU listener (when configured) takes the DTUs that dial in, and what they
//! learn of links becomes each board's link state (normal → retrying → unreachable), stored
//! only when it changes, so the status sweep and the desks see it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::modbus::dtu::{DtuConfig, DtuHub, run_dtu_listener};
use super::modbus::map::MapBook;
use super::modbus::poller::{PollConfig, run_pollers};
use super::modbus::{ModbusEvent, Outputs};
use crate::central::core::AppState;
use crate::central::relays;
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::devices::DeviceId;
use crate::domain::devices::health::LinkState;
use crate::domain::relays::Switch;

/// The worker's name on the board.
pub const WORKER: &str = "modbus";

/// Failed polls in a row after which a board is unreachable.
pub const GIVE_UP_AFTER: u32 = 3;

/// The Modbus worker: pollers always (reading boards by `maps`), the DTU listener on
/// `dtu_listen` when given.
pub fn worker(state: AppState, dtu_listen: Option<SocketAddr>, maps: MapBook) -> WorkerSpec {
    let config = Arc::new(PollConfig {
        maps,
        ..PollConfig::default()
    });
    WorkerSpec::new(WORKER, move |context: WorkerContext| {
        let state = state.clone();
        let config = Arc::clone(&config);
        async move { run(&state, &context, dtu_listen, config).await }
    })
}

async fn run(
    state: &AppState,
    context: &WorkerContext,
    dtu_listen: Option<SocketAddr>,
    config: Arc<PollConfig>,
) -> Result<(), String> {
    let (events, mut received) = mpsc::channel(1_024);
    let outputs = Outputs {
        arrivals: state.devices().arrivals(),
        events,
        clock: state.clock().clone(),
    };
    let hub = DtuHub::default();
    let registry = state.devices().registry();
    let pollers = run_pollers(
        registry.clone(),
        hub.clone(),
        config,
        outputs.clone(),
        state.devices().switches(),
    );
    let listener = async {
        let Some(addr) = dtu_listen else {
            return std::future::pending::<Result<(), String>>().await;
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen for DTUs on {addr}: {e}"))?;
        tracing::info!(%addr, "listening for DTUs");
        run_dtu_listener(
            listener,
            registry,
            hub,
            Arc::new(DtuConfig::default()),
            outputs,
        )
        .await;
        Ok(())
    };
    let mut links: HashMap<DeviceId, LinkState> = HashMap::new();
    let follow = async {
        while let Some(event) = received.recv().await {
            follow_event(state, &mut links, event).await?;
        }
        Ok::<(), String>(())
    };
    tokio::select! {
        () = pollers => Ok(()),
        ended = listener => ended,
        ended = follow => ended,
        () = context.stopped() => Ok(()),
    }
}

/// Folds one event into the boards' link states, storing those that changed.
async fn follow_event(
    state: &AppState,
    links: &mut HashMap<DeviceId, LinkState>,
    event: ModbusEvent,
) -> Result<(), String> {
    match event {
        ModbusEvent::Link(link) => {
            let before = links
                .get(&link.device)
                .copied()
                .unwrap_or(LinkState::Normal);
            let after = before.after(link.exchange, GIVE_UP_AFTER, link.at);
            links.insert(link.device.clone(), after);
            if after != before {
                let device = link.device;
                state
                    .blocking(move |store| store.set_link(&device, after))
                    .await
                    .map_err(|f| f.body.message)?;
            }
        }
        ModbusEvent::DtuDown { dtu, boards, .. } => {
            tracing::warn!(%dtu, boards = boards.len(), "DTU down: its boards are silent with it");
        }
        ModbusEvent::DtuUp { dtu, peer, .. } => tracing::info!(%dtu, %peer, "DTU registered"),
        ModbusEvent::DtuRefused { claimed, peer, .. } => {
            tracing::warn!(claimed = %claimed.escape_debug(), %peer, "unknown DTU refused");
        }
        ModbusEvent::Reading(reading) => {
            let states = reading.coils.iter().copied().map(Switch::from_bool);
            let observed: Vec<(u16, Switch)> = (1..).zip(states).collect();
            relays::feedback::observe(state, &reading.device, &observed, reading.at).await?;
        }
    }
    Ok(())
}
