//! Automation proposals over HTTP: everyone sees them; a person allowed to switch the relay's
//! class confirms one with one click (the command goes through every check a hand-made command
//! does, with the rule and its reading as the reason unless one is given) or dismisses it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::automations::reason_of;
use super::routes::{
    DEFAULT_EXPIRY_S, check_role, queue_checked, registered, short_reason, unknown_relay,
};
use crate::central::auth::Principal;
use crate::central::core::AppState;
use crate::central::error::{ApiJson, ApiPath, Failure};
use crate::domain::refusal::{Code, Refusal};
use crate::domain::relays::Command;
use crate::domain::relays::command::{Asked, Origin};
use crate::protocol::relays::{Proposal, ProposalConfirmation, ProposalList, ProposalState};

const DAY_MS: i64 = 86_400_000;

fn unknown(id: &str) -> Failure {
    Failure::not_found(&Refusal::new(Code::UnknownProposal).with("id", id.to_owned()))
}

fn parse(id: &str) -> Result<u64, Failure> {
    id.parse().map_err(|_| unknown(id))
}

/// `GET /relay-proposals`: open ones and those of the last day, newest first.
pub async fn list(State(state): State<AppState>) -> Result<Json<ProposalList>, Failure> {
    let since = state.clock().now().plus_ms(-DAY_MS);
    let proposals = state
        .blocking(move |store| store.relay_proposals(since))
        .await?;
    Ok(Json(ProposalList { proposals }))
}

async fn open(state: &AppState, text: &str) -> Result<Proposal, Failure> {
    let id = parse(text)?;
    let found = state
        .blocking(move |store| store.relay_proposal(id))
        .await?;
    match found {
        Some(proposal) if proposal.state == ProposalState::Open => Ok(proposal),
        Some(proposal) => Err(Failure::conflict(
            &Refusal::new(Code::ProposalDecided)
                .with("id", text.to_owned())
                .with("state", format!("{:?}", proposal.state).to_lowercase()),
        )),
        None => Err(unknown(text)),
    }
}

/// `POST /relay-proposals/{id}/confirm`: queues the proposed command; 202 with it.
pub async fn confirm(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(confirmation): ApiJson<ProposalConfirmation>,
) -> Result<(StatusCode, Json<Command>), Failure> {
    let proposal = open(&state, &id).await?;
    let device = registered(&state, &proposal.device)?;
    let relay = device
        .relay(proposal.channel)
        .cloned()
        .ok_or_else(|| Failure::not_found(&unknown_relay(&proposal.device, proposal.channel)))?;
    check_role(&principal, &relay)?;
    let now = state.clock().now();
    let reason = confirmation
        .reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| reason_of(&proposal));
    let asked = Asked {
        by: principal.actor(),
        reason: Some(short_reason(&reason)),
        origin: Origin::Automation {
            rule: proposal.rule.clone(),
            unattended: false,
        },
        expires_at: Some(now.plus_ms(i64::from(DEFAULT_EXPIRY_S) * 1_000)),
    };
    let (id, device) = (confirmation.command_id, proposal.device.clone());
    let command = Command::queued(id, device, &relay, proposal.target, asked, now);
    let (command, _) = queue_checked(&state, &principal, &relay, command).await?;
    decide(
        &state,
        &principal,
        proposal.id,
        ProposalState::Confirmed,
        Some(&command),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(command)))
}

/// `POST /relay-proposals/{id}/dismiss`.
pub async fn dismiss(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
) -> Result<Json<Proposal>, Failure> {
    let proposal = open(&state, &id).await?;
    let device = registered(&state, &proposal.device)?;
    if let Some(relay) = device.relay(proposal.channel) {
        check_role(&principal, relay)?;
    }
    let decided = decide(
        &state,
        &principal,
        proposal.id,
        ProposalState::Dismissed,
        None,
    )
    .await?;
    Ok(Json(decided.unwrap_or(proposal)))
}

async fn decide(
    state: &AppState,
    principal: &Principal,
    id: u64,
    to: ProposalState,
    command: Option<&Command>,
) -> Result<Option<Proposal>, Failure> {
    let now = state.clock().now();
    let by = principal.actor();
    let command = command.map(|c| c.id.clone());
    let decided = state
        .blocking(move |store| store.decide_proposal(id, to, &by, command.as_ref(), now))
        .await?;
    Ok(decided.map(|stepped| {
        state.advance_head(stepped.head);
        stepped.command
    }))
}
