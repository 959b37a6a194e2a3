//! Relay control over HTTP. Every check is made here, on the central, before anything is
//! queued: the relay exists, the caller's role may switch its class (the one capability
//! matrix), a high-impact class switched on has a reason, and every interlock holds on the
//! central's latest readings, failing closed. A refusal names what refused; an interlock's
//! names the interlock and the reading, and is audited like the command it stopped.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::provider::RelayPayload;
use crate::central::auth::Principal;
use crate::central::core::AppState;
use crate::central::error::{ApiJson, ApiPath, ApiQuery, Failure};
use crate::domain::Timestamp;
use crate::domain::access::allows;
use crate::domain::audit::{AuditAction, AuditRecord, Outcome};
use crate::domain::devices::{Device, DeviceId};
use crate::domain::refusal::{Code, Refusal};
use crate::domain::relays::command::{Asked, CommandEvent, Origin};
use crate::domain::relays::interlock::{Reading, judge_all};
use crate::domain::relays::{Command, CommandId, CommandState, InterlockRefusal, Relay, Switch};
use crate::protocol::mqtt::relays::CommandMessage;
use crate::protocol::relays::{CommandList, CommandRequest, RelayList, RelayView};
use crate::store::central::relays::Queued;

/// How long a command waits for its device unless the desk says (10 min), and at most (a day).
pub(super) const DEFAULT_EXPIRY_S: u32 = 600;
const MAX_EXPIRY_S: u32 = 86_400;
/// Commands a list holds at most.
const LIST_LIMIT: u32 = 200;

/// `POST /relay-commands`: queue a command; 202 with it (200 with the same command when the
/// desk sent the request before).
pub async fn command(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<CommandRequest>,
) -> Result<(StatusCode, Json<Command>), Failure> {
    let now = state.clock().now();
    let device = registered(&state, &request.device)?;
    let relay = device
        .relay(request.channel)
        .cloned()
        .ok_or_else(|| Failure::not_found(&unknown_relay(&request.device, request.channel)))?;
    check_role(&principal, &relay)?;
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if request.target == Switch::On && relay.class.high_impact() && reason.is_none() {
        let refusal = Refusal::new(Code::RelayReasonRequired).with("class", relay.class.code());
        return Err(Failure::invalid(&refusal));
    }
    let command = new_command(&request, &relay, &principal, now);
    let (command, new) = queue_checked(&state, &principal, &relay, command).await?;
    let status = if new {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(command)))
}

/// Queues a person's `command` for `relay` once its interlocks allow it (switching on), audited
/// as theirs: the command as it stands and whether it is new (not the desk's retry); another
/// command under its id is refused.
pub(super) async fn queue_checked(
    state: &AppState,
    principal: &Principal,
    relay: &Relay,
    command: Command,
) -> Result<(Command, bool), Failure> {
    let now = command.created_at;
    if command.target == Switch::On
        && let Err(refused) = interlocks(state, relay, now).await?
    {
        return Err(refuse(state, principal, command, &refused).await);
    }
    let record = principal
        .record(now, AuditAction::RelayCommanded, Outcome::Ok)
        .target(format!("device:{}", command.device))
        .detail(&command.audit_detail());
    match enqueue(state, command, record).await? {
        Queued::New(command) => Ok((command, true)),
        Queued::Again(command) => Ok((command, false)),
        Queued::Conflict(existing) => Err(Failure::conflict(
            &Refusal::new(Code::CommandIdTaken).with("command", existing.id.to_string()),
        )),
    }
}

/// Queues `command` that the central itself decided (a run-time limit's off, an unattended
/// rule), audited as the central's.
pub(super) async fn queue_for_central(
    state: &AppState,
    command: Command,
) -> Result<Queued, Failure> {
    let record = AuditRecord::new(
        command.created_at,
        "central",
        "",
        AuditAction::RelayCommanded,
        Outcome::Ok,
    )
    .target(format!("device:{}", command.device))
    .detail(&command.audit_detail());
    enqueue(state, command, record).await
}

/// A new id for a command the central makes itself.
pub(super) fn fresh_id() -> CommandId {
    let mut bytes = [0_u8; 12];
    _ = getrandom::fill(&mut bytes);
    CommandId::from_random(bytes)
}

fn new_command(
    request: &CommandRequest,
    relay: &Relay,
    principal: &Principal,
    now: Timestamp,
) -> Command {
    let expires_in = request
        .expires_in_s
        .unwrap_or(DEFAULT_EXPIRY_S)
        .clamp(1, MAX_EXPIRY_S);
    let asked = Asked {
        by: principal.actor(),
        reason: request.reason.as_deref().map(|r| short_reason(r.trim())),
        origin: Origin::Person,
        expires_at: Some(now.plus_ms(i64::from(expires_in) * 1_000)),
    };
    let (id, device) = (request.command_id.clone(), request.device.clone());
    Command::queued(id, device, relay, request.target, asked, now)
}

/// A reason as a command keeps it: its first 200 characters.
pub(super) fn short_reason(reason: &str) -> String {
    reason.chars().take(200).collect()
}

/// Queues `command` with its outbox row, audited as `record`, and wakes the dispatcher.
pub async fn enqueue(
    state: &AppState,
    command: Command,
    record: AuditRecord,
) -> Result<Queued, Failure> {
    let payload = RelayPayload {
        device: command.device.clone(),
        command: CommandMessage {
            command_id: command.id.clone(),
            channel: command.channel,
            set: command.target,
            pulse_s: command.pulse_s,
        },
    };
    let payload =
        serde_json::to_string(&payload).map_err(|e| Failure::bad_request(e.to_string()))?;
    let (queued, head) = state
        .blocking(move |store| store.queue_command(&command, &payload, record))
        .await?;
    state.advance_head(head);
    if let Queued::New(command) = &queued {
        tracing::info!(command = %command.id, device = %command.device, channel = command.channel,
            target = ?command.target, by = %command.requested_by, "relay command queued");
        state.relays().queued();
    }
    Ok(queued)
}

pub(super) fn registered(state: &AppState, id: &DeviceId) -> Result<Device, Failure> {
    state
        .devices()
        .devices()
        .iter()
        .find(|d| d.id == *id)
        .cloned()
        .ok_or_else(|| {
            Failure::not_found(&Refusal::new(Code::UnknownDeviceId).with("device", id.to_string()))
        })
}

pub(super) fn unknown_relay(device: &DeviceId, channel: u16) -> Refusal {
    Refusal::new(Code::UnknownRelay)
        .with("device", device.to_string())
        .with("channel", channel.to_string())
}

/// The class's capability, from the one matrix.
pub(super) fn check_role(principal: &Principal, relay: &Relay) -> Result<(), Failure> {
    let capability = relay.class.capability();
    if allows(principal.role(), capability) {
        return Ok(());
    }
    let refusal = Refusal::new(Code::Forbidden)
        .with("capability", capability.code())
        .with("role", principal.role().code());
    Err(Failure::refused(StatusCode::FORBIDDEN, &refusal))
}

/// Judges the relay's interlocks on the latest readings the central holds.
pub(super) async fn interlocks(
    state: &AppState,
    relay: &Relay,
    now: Timestamp,
) -> Result<Result<(), Box<InterlockRefusal>>, Failure> {
    if relay.interlocks.is_empty() {
        return Ok(Ok(()));
    }
    let latest = state.blocking(|store| store.latest()).await?;
    let reading = |station: &_, element| {
        let (time, value) = *latest.get(station)?.get(&element)?;
        Some(Reading { value, time })
    };
    Ok(judge_all(&relay.interlocks, reading, now))
}

/// Audits a command an interlock stopped, and answers 409 naming the interlock and reading.
pub(super) async fn refuse(
    state: &AppState,
    principal: &Principal,
    mut command: Command,
    refused: &InterlockRefusal,
) -> Failure {
    command.detail = Some(refused.to_string());
    let record = principal
        .record(
            command.created_at,
            AuditAction::RelayCommandRefused,
            Outcome::Denied,
        )
        .target(format!("device:{}", command.device))
        .detail(&command.audit_detail());
    if let Err(failure) = state.blocking(move |store| store.audit(record)).await {
        return failure;
    }
    let value = refused
        .value
        .map_or_else(|| "none".to_owned(), |v| v.to_string());
    let refusal = Refusal::new(Code::InterlockRefused)
        .with("interlock", refused.interlock.clone())
        .with("station", refused.station.to_string())
        .with("element", refused.element.clone())
        .with("condition", refused.condition.clone())
        .with("value", value)
        .with("why", refused.why.code());
    Failure::conflict(&refusal)
}

/// `GET /relay-commands` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Only this device's.
    pub device: Option<String>,
}

/// `GET /relay-commands`: the newest commands, newest first.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<CommandList>, Failure> {
    let device = query
        .device
        .map(|d| DeviceId::parse(&d).map_err(|e| Failure::bad_request(e.to_string())))
        .transpose()?;
    let commands = state
        .blocking(move |store| store.relay_commands(device.as_ref(), LIST_LIMIT))
        .await?;
    Ok(Json(CommandList { commands }))
}

fn command_id(text: &str) -> Result<CommandId, Failure> {
    CommandId::parse(text).map_err(|_| {
        Failure::not_found(&Refusal::new(Code::UnknownCommand).with("command", text.to_owned()))
    })
}

/// `GET /relay-commands/{id}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
) -> Result<Json<Command>, Failure> {
    let id = command_id(&id)?;
    let text = id.to_string();
    let found = state
        .blocking(move |store| store.relay_command(&id))
        .await?;
    found.map(Json).ok_or_else(|| {
        Failure::not_found(&Refusal::new(Code::UnknownCommand).with("command", text))
    })
}

/// `POST /relay-commands/{id}/cancel`: withdraws a queued command.
pub async fn cancel(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
) -> Result<Json<Command>, Failure> {
    let id = command_id(&id)?;
    let now = state.clock().now();
    let detail = format!("cancelled by {}", principal.actor());
    let (stepped, current) = state
        .blocking({
            let id = id.clone();
            move |store| {
                let stepped = store.step_command(&id, CommandEvent::Cancel, Some(&detail), now)?;
                Ok((stepped, store.relay_command(&id)?))
            }
        })
        .await?;
    if let Some(stepped) = stepped {
        state.advance_head(stepped.head);
        return Ok(Json(stepped.command));
    }
    let refusal = match current {
        None => Refusal::new(Code::UnknownCommand).with("command", id.to_string()),
        // Still queued, but a dispatcher is handing it over this moment: it may be sent.
        Some(command) if command.state == CommandState::Queued => {
            Refusal::new(Code::CommandNotCancellable)
                .with("command", id.to_string())
                .with("state", "sending")
        }
        Some(command) => Refusal::new(Code::CommandNotCancellable)
            .with("command", id.to_string())
            .with("state", command.state.code()),
    };
    Err(if refusal.code == Code::UnknownCommand {
        Failure::not_found(&refusal)
    } else {
        Failure::conflict(&refusal)
    })
}

/// `GET /relays`: every relay with what was commanded, acknowledged and observed.
pub async fn relays(State(state): State<AppState>) -> Result<Json<RelayList>, Failure> {
    let now = state.clock().now();
    let (states, latest) = state.blocking(|store| store.relay_states()).await?;
    let devices = state.devices().devices();
    let relays = devices
        .iter()
        .flat_map(|device| device.relays.iter().map(move |relay| (device, relay)))
        .map(|(device, relay)| RelayView {
            device: device.id.clone(),
            relay: relay.clone(),
            observed: states
                .iter()
                .find(|(d, c, _)| *d == device.id && *c == relay.channel)
                .map(|(_, _, observed)| *observed),
            last_command: latest
                .iter()
                .find(|c| c.device == device.id && c.channel == relay.channel)
                .cloned(),
        })
        .collect();
    Ok(Json(RelayList { relays, now }))
}
