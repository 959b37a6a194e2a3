//! One dispatch pass over the outbox, the same for every channel: recover lapsed leases, claim
//! due rows, and for each mark `sending`, call the channel's [`Provider`], and record its
//! answer, every step fenced by the lease. Warnings (SMS, WeCom) and relay commands plug in a
//! provider; the guarantees are here, once.
//!
//! The named failpoints ([`AFTER_CLAIM`] …) sit between the steps, so the crash tests can kill
//! a worker at each and prove what the outbox holds afterwards.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt as _};

use crate::central::failpoint::{Failpoints, Tripped};
use crate::domain::Timestamp;
use crate::domain::outbox::retry_delay_ms;
use crate::domain::time::SharedClock;
use crate::store::StoreError;
use crate::store::central::outbox::{Lease, OutboxError, OutboxRow, SqliteOutbox};

/// After the claim is committed, before `sending` is marked.
pub const AFTER_CLAIM: &str = "dispatch.after_claim";
/// After `sending` is committed, before the provider is called.
pub const AFTER_MARK_SENDING: &str = "dispatch.after_mark_sending";
/// After the provider accepted the message, before `sent` is recorded.
pub const AFTER_PROVIDER_CALL: &str = "dispatch.after_provider_call";
/// After `sent` is committed.
pub const AFTER_MARK_SENT: &str = "dispatch.after_mark_sent";

/// Every failpoint of a dispatch pass, in the order they are passed.
pub const FAILPOINTS: [&str; 4] = [
    AFTER_CLAIM,
    AFTER_MARK_SENDING,
    AFTER_PROVIDER_CALL,
    AFTER_MARK_SENT,
];

/// What a provider answers that is not an acceptance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// "Not now" (a throttle, a definite transient refusal): it was not handed over.
    #[error("not now: {0}")]
    Retry(String),
    /// Refused for good (an invalid recipient, a rejected template).
    #[error("refused: {0}")]
    Refused(String),
    /// The call ended without a clear answer (the link dropped after the submit, a timeout
    /// waiting for the response): it may have been handed over, so it is never resent blindly.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// The future a provider's call returns: the provider's id for the accepted message.
pub type ProviderCall<'a> =
    Pin<Box<dyn Future<Output = Result<String, ProviderError>> + Send + 'a>>;

/// A channel that hands messages over (an SMS gateway, a WeCom robot, a relay adapter).
pub trait Provider: Send + Sync {
    /// Hands `row` over.
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a>;
}

/// How a dispatcher claims.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// This worker's name in `lease_owner` (unique per process and start).
    pub owner: String,
    /// How long a claim holds; longer than a provider call ever takes.
    pub lease_ms: i64,
    /// Rows claimed per pass.
    pub batch: usize,
    /// The first retry delay after a "not now", doubled per attempt up to `retry_cap_ms`.
    pub retry_base_ms: i64,
    /// The longest retry delay.
    pub retry_cap_ms: i64,
    /// The one outbox kind this dispatcher sends (`Some("sms")`), or every kind.
    pub kind: Option<String>,
    /// Claimed rows handed over at once (1: one after the other). A channel with a window
    /// (SMPP) keeps that many calls in flight on one link.
    pub concurrency: usize,
    /// Armed failpoints (none in production unless `WXDESK_FAILPOINTS` says so).
    pub failpoints: Failpoints,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dispatched {
    /// Accepted by the provider and recorded `sent`.
    pub sent: usize,
    /// Put back for a later attempt.
    pub retried: usize,
    /// Refused for good.
    pub refused: usize,
    /// Ended without a clear answer and recorded `unknown`.
    pub unknown: usize,
    /// Steps refused because the lease no longer held.
    pub fenced: usize,
}

/// Why a pass stopped early.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The outbox failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// A failpoint fired: the worker "died" there.
    #[error(transparent)]
    Tripped(#[from] Tripped),
    /// A blocking outbox call could not finish.
    #[error("outbox task: {0}")]
    Task(String),
}

impl From<StoreError> for DispatchError {
    fn from(error: StoreError) -> Self {
        Self::Outbox(OutboxError::Store(error))
    }
}

/// Runs one blocking outbox call off the async threads.
async fn blocking<T: Send + 'static>(
    outbox: &Arc<SqliteOutbox>,
    call: impl FnOnce(&SqliteOutbox) -> Result<T, OutboxError> + Send + 'static,
) -> Result<T, DispatchError> {
    let outbox = Arc::clone(outbox);
    tokio::task::spawn_blocking(move || call(&outbox))
        .await
        .map_err(|e| DispatchError::Task(e.to_string()))?
        .map_err(DispatchError::from)
}

/// One pass: recover, claim, and hand each claimed row to `provider`.
pub async fn dispatch_once(
    outbox: &Arc<SqliteOutbox>,
    provider: &dyn Provider,
    clock: &SharedClock,
    config: &DispatchConfig,
) -> Result<Dispatched, DispatchError> {
    let now = clock.now();
    blocking(outbox, move |o| Ok(o.recover(now)?)).await?;
    let (owner, lease_ms, batch) = (config.owner.clone(), config.lease_ms, config.batch);
    let kind = config.kind.clone();
    let rows = blocking(outbox, move |o| {
        Ok(o.claim_kind(kind.as_deref(), &owner, lease_ms, batch, now)?)
    })
    .await?;
    config.failpoints.hit(AFTER_CLAIM)?;
    // A loop, not a closure: the futures borrow `rows`, and a closure's borrow would not be
    // general enough for a dispatcher spawned as a worker.
    let mut calls = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(lease) = row.lease() {
            calls.push(hand_over(outbox, provider, clock, config, row, lease));
        }
    }
    let mut steps = stream::iter(calls).buffer_unordered(config.concurrency.max(1));
    let mut done = Dispatched::default();
    while let Some(step) = steps.next().await {
        match step {
            Ok(step) => step.count(&mut done),
            Err(DispatchError::Outbox(OutboxError::Fenced { id, .. })) => {
                tracing::warn!(id, "outbox lease taken over; leaving the row to its holder");
                done.fenced += 1;
            }
            // Calls still in flight are dropped: their rows stay `sending` under the lease,
            // and recovery settles them as it would after a crash.
            Err(other) => return Err(other),
        }
    }
    Ok(done)
}

enum Step {
    Sent,
    Retried,
    Refused,
    Unknown,
}

impl Step {
    fn count(self, done: &mut Dispatched) {
        match self {
            Self::Sent => done.sent += 1,
            Self::Retried => done.retried += 1,
            Self::Refused => done.refused += 1,
            Self::Unknown => done.unknown += 1,
        }
    }
}

async fn hand_over(
    outbox: &Arc<SqliteOutbox>,
    provider: &dyn Provider,
    clock: &SharedClock,
    config: &DispatchConfig,
    row: &OutboxRow,
    lease: Lease,
) -> Result<Step, DispatchError> {
    let fence = lease.clone();
    let now = clock.now();
    blocking(outbox, move |o| o.mark_sending(&fence, now)).await?;
    config.failpoints.hit(AFTER_MARK_SENDING)?;
    let answer = provider.send(row).await;
    config.failpoints.hit(AFTER_PROVIDER_CALL)?;
    let now = clock.now();
    match answer {
        Ok(provider_id) => {
            let logged_id = provider_id.clone();
            let marked = blocking(outbox, move |o| o.mark_sent(&lease, &provider_id, now)).await;
            if marked.is_err() {
                // Handed over, but the lease was lost: reconciliation needs this id.
                tracing::error!(id = row.id, provider_id = %logged_id, "sent, but could not record it");
            }
            marked?;
            config.failpoints.hit(AFTER_MARK_SENT)?;
            Ok(Step::Sent)
        }
        Err(ProviderError::Retry(reason)) => {
            let delay = retry_delay_ms(row.attempt, config.retry_base_ms, config.retry_cap_ms);
            let due = Timestamp(now.0 + delay);
            blocking(outbox, move |o| o.retry(&lease, &reason, due, now)).await?;
            Ok(Step::Retried)
        }
        Err(ProviderError::Refused(reason)) => {
            blocking(outbox, move |o| o.refuse(&lease, &reason, now)).await?;
            Ok(Step::Refused)
        }
        Err(ProviderError::Unknown(reason)) => {
            blocking(outbox, move |o| o.mark_unknown(&lease, &reason, now)).await?;
            Ok(Step::Unknown)
        }
    }
}
