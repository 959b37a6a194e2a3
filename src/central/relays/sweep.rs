//! The relay sweep (worker `relay-sweep`): commands past their deadline end — a queued one
//! `expired`, a sent one never acknowledged or an acknowledged one never observed `timed_out`
//! —, relays running past their run-time limit are switched off by the central, and the
//! automation rules are judged ([`super::automations`]).
//!
//! Run-time limits: a relay that can time a pulse was sent its pulse with the command that
//! switched it on; any relay still read on past its limit (a coil-only board, or a pulse that
//! did not end) gets an explicit `off` from the central, which never expires: a link that is
//! down holds it until the link returns. An `off` at a limit that is not observed raises the
//! device alarm.

use std::time::Duration;

use crate::central::core::AppState;
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::domain::devices::Device;
use crate::domain::relays::command::{Asked, CommandEvent, Origin};
use crate::domain::relays::{Command, CommandId, CommandState, Relay, Switch};
use crate::protocol::relays::ObservedState;
use crate::store::central::RelayStates;

/// How often the sweep looks when nothing wakes it.
pub const TICK: Duration = Duration::from_secs(1);

/// The sweep worker.
pub fn worker(state: AppState) -> WorkerSpec {
    WorkerSpec::new("relay-sweep", move |context: WorkerContext| {
        let state = state.clone();
        async move {
            let wake = std::sync::Arc::clone(&state.relays().sweep);
            loop {
                pass(&state, context.clock().now())
                    .await
                    .map_err(|f| f.body.message)?;
                tokio::select! {
                    () = wake.notified() => {}
                    keep_going = context.sleep(TICK) => if !keep_going { return Ok(()) },
                    () = context.stopped() => return Ok(()),
                }
            }
        }
    })
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Commands ended at their deadline.
    pub ended: usize,
    /// Relays switched off at their run-time limit.
    pub limited: usize,
    /// Automation rules that fired (proposed, or queued when unattended).
    pub fired: usize,
    /// Stuck-relay alarms raised or cleared.
    pub alarms: usize,
}

/// One pass at `now`: deadlines, then run-time limits.
pub async fn pass(
    state: &AppState,
    now: Timestamp,
) -> Result<Swept, crate::central::error::Failure> {
    let deadlines = state.relays().deadlines;
    let mut swept = Swept::default();
    swept.ended += settle_unknown(state, now).await?;
    let due = state.blocking(move |store| store.due_commands(now)).await?;
    for command in due {
        let Some((at, event)) = command.deadline(deadlines) else {
            continue;
        };
        if at > now {
            continue;
        }
        let detail = match command.state {
            CommandState::Queued => "its device was not reached before its expiry",
            CommandState::Sent => "the device did not acknowledge it in time",
            _ => "acknowledged, but no reading showed it in time",
        };
        let id = command.id.clone();
        let stepped = state
            .blocking(move |store| store.step_command(&id, event, Some(detail), now))
            .await?;
        if let Some(stepped) = stepped {
            state.advance_head(stepped.head);
            swept.ended += 1;
            tracing::warn!(command = %stepped.command.id, state = stepped.command.state.code(), detail, "relay command ended at its deadline");
        }
    }
    // Limits and stuck relays concern only relays that have a limit: read the relays' states
    // once for both, and not at all where no relay has one.
    let devices = state.devices().devices();
    let limited = devices
        .iter()
        .any(|d| d.relays.iter().any(|r| r.max_run_s.is_some()));
    if limited {
        let relays = state.blocking(|store| store.relay_states()).await?;
        swept.limited = run_limits(state, &devices, &relays, now).await?;
        swept.alarms = super::stuck::pass(state, &relays, now).await?;
    }
    swept.fired = super::automations::pass(state, now).await?;
    Ok(swept)
}

/// Ends `timed_out` every queued command whose hand-over the central never saw answered (it
/// stopped mid-call): it may have reached the device, so it is neither resent nor left
/// waiting, and what the relay did is what its next reading shows.
async fn settle_unknown(
    state: &AppState,
    now: Timestamp,
) -> Result<usize, crate::central::error::Failure> {
    let unknown = state.blocking(|store| store.unknown_hand_overs()).await?;
    let mut settled = 0;
    for command in unknown {
        let id = command.id.clone();
        let why = "the central stopped while handing it over: it may have reached the device";
        let stepped = state
            .blocking(move |store| {
                store.step_command(&id, CommandEvent::Sent, None, now)?;
                store.step_command(&id, CommandEvent::TimedOut, Some(why), now)
            })
            .await?;
        if let Some(stepped) = stepped {
            state.advance_head(stepped.head);
            settled += 1;
        }
    }
    Ok(settled)
}

/// Queues an `off` for every relay read on past its limit that has no command under way.
async fn run_limits(
    state: &AppState,
    devices: &[Device],
    (states, latest): &RelayStates,
    now: Timestamp,
) -> Result<usize, crate::central::error::Failure> {
    let mut queued = 0;
    for (device, channel, observed) in states {
        let Some(limit) = over_limit(devices, device, *channel, observed, now) else {
            continue;
        };
        let last = latest
            .iter()
            .find(|c| c.device == *device && c.channel == *channel);
        if last.is_some_and(|c| !c.state.is_final() && c.target == Switch::Off) {
            continue;
        }
        let ended = last.map_or_else(|| CommandId::from_random([0; 12]), |c| c.id.clone());
        let off = limit_off(device, limit, ended, now);
        super::routes::queue_for_central(state, off).await?;
        queued += 1;
    }
    Ok(queued)
}

/// The relay, when it has been on past its run-time limit.
fn over_limit<'d>(
    devices: &'d [Device],
    device: &crate::domain::devices::DeviceId,
    channel: u16,
    observed: &ObservedState,
    now: Timestamp,
) -> Option<&'d Relay> {
    let relay = devices.iter().find(|d| d.id == *device)?.relay(channel)?;
    let limit_s = relay.max_run_s?;
    let over =
        observed.state == Switch::On && now.0 - observed.since.0 >= i64::from(limit_s) * 1_000;
    over.then_some(relay)
}

/// The central's `off` for `relay`, on past its limit since the command `ended`.
fn limit_off(
    device: &crate::domain::devices::DeviceId,
    relay: &Relay,
    ended: CommandId,
    now: Timestamp,
) -> Command {
    let limit_s = relay.max_run_s.unwrap_or_default();
    let asked = Asked {
        by: "central".to_owned(),
        reason: Some(format!("run-time limit of {limit_s} s reached")),
        origin: Origin::RunLimit { ended },
        // Never expires: a link that is down holds it until the link returns.
        expires_at: None,
    };
    let id = super::routes::fresh_id();
    Command::queued(id, device.clone(), relay, Switch::Off, asked, now)
}
