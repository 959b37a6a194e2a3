//! A relay left running: when the `off` the central sends at a relay's run-time limit is not
//! seen off within [`STUCK_AFTER_MS`] (its link is down, the device did not answer, the coil
//! did not release), the device gets a `relay_stuck` alarm (critical: water or power running
//! unattended), which reaches the on-call technician like any unacknowledged alarm. It clears
//! when every limited relay of the device reads off again.

use crate::central::core::AppState;
use crate::central::error::Failure;
use crate::domain::Timestamp;
use crate::domain::devices::alarm_book::{AlarmKind, Holding, Severity};
use crate::domain::relays::command::Origin;
use crate::domain::relays::{Command, Switch};
use crate::store::central::RelayStates;

/// How long a limit's `off` may take before its relay counts as stuck.
pub const STUCK_AFTER_MS: i64 = 2 * 60_000;

/// Whether `command` is a limit's off that has failed to show the relay off by `now`.
pub fn stuck(command: &Command, now: Timestamp) -> bool {
    let limit_off =
        matches!(command.origin, Origin::RunLimit { .. }) && command.target == Switch::Off;
    limit_off
        && !command.state.is_success()
        && (command.state.is_final() || now.0 - command.created_at.0 >= STUCK_AFTER_MS)
}

/// Raises the alarm for devices with a stuck relay and clears it for those whose relays all
/// read off again; returns how many alarms changed.
pub async fn pass(
    state: &AppState,
    (states, latest): &RelayStates,
    now: Timestamp,
) -> Result<usize, Failure> {
    let open = state.blocking(move |store| store.alarms(now)).await?;
    let alarmed: Vec<&str> = open
        .iter()
        .filter(|a| a.kind == AlarmKind::RelayStuck && a.active && a.closed_at.is_none())
        .map(|a| a.subject.as_str())
        .collect();
    let mut raise = Vec::new();
    for command in latest.iter().filter(|c| stuck(c, now)) {
        let subject = command.device.to_string();
        if !alarmed.contains(&subject.as_str())
            && !raise.iter().any(|h: &Holding| h.subject == subject)
        {
            raise.push(Holding {
                subject: subject.clone(),
                kind: AlarmKind::RelayStuck,
                severity: Severity::Critical,
                devices: vec![subject],
                scope: None,
            });
        }
    }
    let clear: Vec<(String, AlarmKind)> = alarmed
        .iter()
        .filter(|device| {
            let limited_on = states.iter().any(|(d, channel, observed)| {
                d.as_str() == **device
                    && observed.state == Switch::On
                    && latest
                        .iter()
                        .any(|c| c.device == *d && c.channel == *channel && stuck(c, now))
            });
            !limited_on
        })
        .map(|device| ((*device).to_owned(), AlarmKind::RelayStuck))
        .collect();
    if raise.is_empty() && clear.is_empty() {
        return Ok(0);
    }
    let changed = raise.len() + clear.len();
    let (_, head) = state
        .blocking(move |store| store.sweep_alarms(&raise, &[], &clear, now))
        .await?;
    state.advance_head(head);
    Ok(changed)
}
