//! What devices say back: an acknowledgement moves its command to `acknowledged` (or `failed`,
//! refused); a feedback reading records each relay's state and proves the commands it shows
//! done. A repeat said `duplicate` is an acknowledgement too: the device had done it before.

use crate::central::core::AppState;
use crate::domain::Timestamp;
use crate::domain::devices::DeviceId;
use crate::domain::relays::command::CommandEvent;
use crate::domain::relays::{CommandState, Switch};
use crate::protocol::mqtt::relays::{AckMessage, AckResult};

/// Device `device` answered a command.
pub async fn acknowledged(state: &AppState, device: &DeviceId, ack: AckMessage, now: Timestamp) {
    let (event, detail) = match ack.result {
        AckResult::Done => (CommandEvent::Acknowledged, None),
        AckResult::Duplicate => (
            CommandEvent::Acknowledged,
            Some("the device had done it before".to_owned()),
        ),
        AckResult::Refused => (
            CommandEvent::Refused,
            Some(format!(
                "refused by the device: {}",
                ack.reason.as_deref().unwrap_or("no reason given")
            )),
        ),
    };
    let id = ack.command_id;
    let owner = device.clone();
    let stepped = state
        .blocking(move |store| {
            // Only the device commanded may answer for its command.
            match store.relay_command(&id)? {
                Some(command) if command.device == owner => {
                    // The device can answer before the dispatcher has recorded the broker's
                    // PUBACK: its answer proves the command reached it, so it was sent.
                    if command.state == CommandState::Queued && event == CommandEvent::Acknowledged
                    {
                        store.step_command(&id, CommandEvent::Sent, None, now)?;
                    }
                    store.step_command(&id, event, detail.as_deref(), now)
                }
                _ => Ok(None),
            }
        })
        .await;
    match stepped {
        Ok(Some(stepped)) => {
            state.advance_head(stepped.head);
            state.relays().sweep.notify_one();
        }
        Ok(None) => {
            tracing::debug!(%device, "an ack for no command awaiting one (late or repeated)");
        }
        Err(failure) => {
            tracing::warn!(%device, error = %failure.body.message, "relay ack not stored");
        }
    }
}

/// Device `device` read its relays back at `at`: stores what changed and what it proves.
pub async fn observe(
    state: &AppState,
    device: &DeviceId,
    readings: &[(u16, Switch)],
    at: Timestamp,
) -> Result<(), String> {
    let id = device.clone();
    let readings = readings.to_vec();
    let observed = state
        .blocking(move |store| store.observe_relays(&id, &readings, at))
        .await
        .map_err(|f| f.body.message)?;
    if !observed.changes.is_empty() || !observed.commands.is_empty() {
        state.advance_head(observed.head);
        state.relays().sweep.notify_one();
    }
    for command in &observed.commands {
        tracing::info!(
            command = %command.id, %device, channel = command.channel,
            latency_ms = command.latency_ms(), "relay command observed"
        );
    }
    Ok(())
}
