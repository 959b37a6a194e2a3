//! Automations at work: each relay's threshold rules judged on the central's latest readings
//! in every sweep. A rule that fires proposes its command (one open proposal per rule) for a
//! person allowed to switch that class to confirm; a rule the bureau enabled to act alone
//! (`unattended`) queues its command itself — through the same interlocks, recorded with the
//! rule as its origin. A rule fires once per crossing and is armed again by its hysteresis.

use crate::central::core::AppState;
use crate::central::error::Failure;
use crate::domain::Timestamp;
use crate::domain::devices::Device;
use crate::domain::relays::automation::{Rule, Verdict};
use crate::domain::relays::command::{Asked, Origin};
use crate::domain::relays::interlock::{Reading, judge_all};
use crate::domain::relays::{Command, Relay};
use crate::protocol::relays::{Proposal, ProposalState, TriggerReading};
use crate::store::observations::LatestValues;

/// The oldest reading a rule believes.
pub const MAX_READING_AGE_MS: i64 = 10 * 60_000;

/// Judges every rule of every relay at `now`; returns how many fired.
pub async fn pass(state: &AppState, now: Timestamp) -> Result<usize, Failure> {
    let devices = state.devices().devices();
    let rules: Vec<(Device, Relay, Rule)> = devices
        .iter()
        .flat_map(|d| d.relays.iter().map(move |r| (d, r)))
        .flat_map(|(d, r)| {
            r.automations
                .iter()
                .map(move |rule| (d.clone(), r.clone(), rule.clone()))
        })
        .collect();
    if rules.is_empty() {
        return Ok(0);
    }
    let latest = state.blocking(|store| store.latest()).await?;
    let mut fired = 0;
    for (device, relay, rule) in rules {
        let reading = reading_of(&latest, &rule.station, rule.element);
        let (id, channel, rule_id) = (device.id.clone(), relay.channel, rule.id.clone());
        let armed = state
            .blocking(move |store| store.rule_armed(&id, channel, &rule_id))
            .await?;
        match rule.judge(armed, reading, now, MAX_READING_AGE_MS) {
            Verdict::Fire => {
                fire(state, &device, &relay, &rule, reading, &latest, now).await?;
                fired += 1;
            }
            Verdict::Rearm => rearm(state, &device, relay.channel, &rule.id, now).await?,
            Verdict::Hold => {}
        }
    }
    Ok(fired)
}

fn reading_of(
    latest: &LatestValues,
    station: &crate::domain::StationId,
    element: crate::domain::Element,
) -> Option<Reading> {
    let (time, value) = *latest.get(station)?.get(&element)?;
    Some(Reading { value, time })
}

async fn fire(
    state: &AppState,
    device: &Device,
    relay: &Relay,
    rule: &Rule,
    reading: Option<Reading>,
    latest: &LatestValues,
    now: Timestamp,
) -> Result<(), Failure> {
    let Some(reading) = reading else {
        return Ok(());
    };
    let proposal = proposal(device, relay, rule, reading, now);
    if rule.unattended {
        let interlocks = judge_all(&relay.interlocks, |s, e| reading_of(latest, s, e), now);
        if let Err(refused) = interlocks {
            tracing::warn!(rule = %rule.id, device = %device.id, %refused, "an unattended rule was held by an interlock");
        } else {
            let command = unattended_command(&proposal, relay, rule, now);
            super::routes::queue_for_central(state, command).await?;
        }
    }
    let offered = (!rule.unattended).then_some(proposal);
    let (id, channel, rule_id) = (device.id.clone(), relay.channel, rule.id.clone());
    let (added, head) = state
        .blocking(move |store| store.rule_fired(&id, channel, &rule_id, offered.as_ref(), now))
        .await?;
    state.advance_head(head);
    if let Some(added) = added {
        tracing::info!(proposal = added.id, rule = %added.rule, device = %added.device, "automation proposes a relay command");
    }
    Ok(())
}

async fn rearm(
    state: &AppState,
    device: &Device,
    channel: u16,
    rule: &str,
    now: Timestamp,
) -> Result<(), Failure> {
    let (id, rule) = (device.id.clone(), rule.to_owned());
    let (_, head) = state
        .blocking(move |store| store.rule_rearmed(&id, channel, &rule, now))
        .await?;
    state.advance_head(head);
    Ok(())
}

fn proposal(
    device: &Device,
    relay: &Relay,
    rule: &Rule,
    reading: Reading,
    now: Timestamp,
) -> Proposal {
    Proposal {
        id: 0,
        device: device.id.clone(),
        channel: relay.channel,
        rule: rule.id.clone(),
        rule_name_zh: rule.name_zh.clone(),
        target: rule.target,
        reading: TriggerReading {
            station: rule.station.clone(),
            element: rule.element.code().to_owned(),
            value: reading.value,
            time: reading.time,
        },
        state: ProposalState::Open,
        created_at: now,
        decided_by: None,
        decided_at: None,
        command: None,
    }
}

/// The reason an automation's command carries: its rule and the reading that made it fire.
pub fn reason_of(proposal: &Proposal) -> String {
    let r = &proposal.reading;
    format!(
        "{}：{} {} {}",
        proposal.rule_name_zh, r.station, r.element, r.value
    )
}

fn unattended_command(proposal: &Proposal, relay: &Relay, rule: &Rule, now: Timestamp) -> Command {
    let asked = Asked {
        by: "central".to_owned(),
        reason: Some(reason_of(proposal)),
        origin: Origin::Automation {
            rule: rule.id.clone(),
            unattended: true,
        },
        expires_at: Some(now.plus_ms(i64::from(super::routes::DEFAULT_EXPIRY_S) * 1_000)),
    };
    let device = proposal.device.clone();
    Command::queued(
        super::routes::fresh_id(),
        device,
        relay,
        rule.target,
        asked,
        now,
    )
}
