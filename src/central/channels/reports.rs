//! The reports worker: what the channels learn after a hand-over, applied to the outbox.
//!
//! - a [`ChannelReport::Receipt`] settles its part ([`SqliteOutbox::record_receipt`]); the row
//!   ends `delivered` or `failed` once every part has one. A receipt that arrives before its
//!   send is recorded waits there, unmatched, until the send names it.
//! - a [`ChannelReport::Reply`] is kept in `inbound_messages` and handed to the 叫应 worker
//!   ([`crate::central::callout::worker`]), which closes the line it answers.
//!
//! Each report is acknowledged to its channel after its transaction commits (or told it was
//! not applied), so the channel answers its gateway only for what is durable
//! ([`super::inbox`]).
//!
//! Senders are personal data: the log and the board carry counts and row ids only.

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};

use super::inbox::Incoming;
use super::{ChannelReport, ReceiptOutcome};
use crate::central::failpoint::Failpoints;
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::domain::outbox::OutboxState;
use crate::store::central::outbox::inbound::InboundMessage;
pub use crate::store::central::outbox::inbound::StoredReply;
use crate::store::central::outbox::receipts::PartOutcome;
use crate::store::central::outbox::{OutboxError, SqliteOutbox};

/// The worker's name on the board.
pub const NAME: &str = "channel-reports";
/// A report taken from the queue, not yet applied: the crash tests kill the central here.
pub const BEFORE_SETTLE: &str = "reports.before_settle";

/// A reply committed but not yet handed to the 叫应 worker: the crash test kills the central
/// here (the 叫应 worker's start applies it).
pub const AFTER_REPLY_STORED: &str = "reports.after_reply_stored";

/// The reply `report` is, if it is one, as it will be stored.
fn inbound(report: &ChannelReport) -> Option<InboundMessage> {
    match report {
        ChannelReport::Reply {
            channel,
            from,
            text,
            at,
            message_id,
        } => Some(InboundMessage {
            channel: (*channel).to_owned(),
            sender: from.clone(),
            text: text.clone(),
            at: *at,
            message_id: message_id.clone(),
        }),
        ChannelReport::Receipt { .. } => None,
    }
}

/// What applying one report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// A receipt that settled its row in this state.
    Settled(i64, OutboxState),
    /// A receipt kept for its part; the row waits for more (or for its send to be recorded).
    Kept,
    /// A reply stored as this inbound message.
    Reply(i64),
    /// A copy of a reply stored already (its gateway delivered it again): not kept twice.
    Copy,
}

/// What the worker did since it started: counts only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Receipts that settled a row.
    pub settled: usize,
    /// Receipts kept without settling.
    pub kept: usize,
    /// Replies stored.
    pub replies: usize,
    /// Copies of stored replies, let go.
    pub copies: usize,
}

impl Tally {
    fn count(&mut self, applied: Applied) {
        match applied {
            Applied::Settled(..) => self.settled += 1,
            Applied::Kept => self.kept += 1,
            Applied::Reply(_) => self.replies += 1,
            Applied::Copy => self.copies += 1,
        }
    }

    /// The board's line.
    pub fn describe(&self) -> String {
        format!(
            "receipts settled {} · receipts kept {} · replies {} · copies {}",
            self.settled, self.kept, self.replies, self.copies
        )
    }
}

/// A channel's outcome as the outbox keeps it.
pub fn part_outcome(outcome: &ReceiptOutcome) -> PartOutcome {
    match outcome {
        ReceiptOutcome::Delivered => PartOutcome::Delivered,
        ReceiptOutcome::Failed(reason) => PartOutcome::Failed(reason.clone()),
    }
}

/// Settles the outbox by one report: a receipt is kept for its part (and settles the row once
/// every part has one: the row and its new state); a reply is not the outbox's (`None`).
pub fn settle_report(
    outbox: &SqliteOutbox,
    report: &ChannelReport,
    now: Timestamp,
) -> Result<Option<(i64, OutboxState)>, OutboxError> {
    match report {
        ChannelReport::Receipt {
            provider_id,
            outcome,
            at,
        } => outbox.record_receipt(provider_id, &part_outcome(outcome), *at, now),
        ChannelReport::Reply { .. } => Ok(None),
    }
}

/// Applies `report` to the outbox (blocking).
pub fn apply(
    outbox: &SqliteOutbox,
    report: &ChannelReport,
    now: Timestamp,
) -> Result<Applied, OutboxError> {
    match report {
        ChannelReport::Receipt { .. } => {
            let settled = settle_report(outbox, report, now)?;
            Ok(settled.map_or(Applied::Kept, |(id, state)| Applied::Settled(id, state)))
        }
        ChannelReport::Reply { .. } => {
            let Some(message) = inbound(report) else {
                return Ok(Applied::Kept);
            };
            let stored = outbox.record_inbound(&message, now)?;
            Ok(stored.map_or(Applied::Copy, Applied::Reply))
        }
    }
}

/// The reports worker over `inbox`, handing stored replies to `replies`, with its
/// [`BEFORE_SETTLE`] and [`AFTER_REPLY_STORED`] points armed as `failpoints` say; a restart
/// takes up the same queue.
pub fn worker(
    outbox: Arc<SqliteOutbox>,
    inbox: mpsc::Receiver<Incoming>,
    replies: mpsc::Sender<StoredReply>,
    failpoints: Failpoints,
) -> WorkerSpec {
    let inbox = Arc::new(Mutex::new(inbox));
    WorkerSpec::new(NAME, move |context: WorkerContext| {
        run(
            Arc::clone(&outbox),
            Arc::clone(&inbox),
            replies.clone(),
            failpoints.clone(),
            context,
        )
    })
}

async fn run(
    outbox: Arc<SqliteOutbox>,
    inbox: Arc<Mutex<mpsc::Receiver<Incoming>>>,
    replies: mpsc::Sender<StoredReply>,
    failpoints: Failpoints,
    context: WorkerContext,
) -> Result<(), String> {
    let mut inbox = inbox.lock().await;
    let mut tally = Tally::default();
    context.report(tally.describe());
    loop {
        let incoming = tokio::select! {
            incoming = inbox.recv() => incoming,
            () = context.stopped() => return Ok(()),
        };
        // Every sender gone: no channel can report any more.
        let Some(incoming) = incoming else {
            return Ok(());
        };
        // A kill here loses nothing: the report is unanswered, so its gateway sends it again.
        failpoints.hit(BEFORE_SETTLE).map_err(|e| e.to_string())?;
        let reply = inbound(&incoming.report);
        if let Some(applied) = settle_one(&outbox, incoming, context.clock().now()).await? {
            if let (Applied::Reply(id), Some(message)) = (applied, reply) {
                // A kill here leaves the reply stored and unapplied: the 叫应 worker applies
                // the replies no line took when it starts.
                failpoints
                    .hit(AFTER_REPLY_STORED)
                    .map_err(|e| e.to_string())?;
                _ = replies.send(StoredReply { id, message }).await;
            }
            tally.count(applied);
            context.report(tally.describe());
        }
    }
}

/// Applies one report and then tells its channel whether it is committed (the channel
/// answers its gateway only then).
pub async fn settle_one(
    outbox: &Arc<SqliteOutbox>,
    incoming: Incoming,
    now: Timestamp,
) -> Result<Option<Applied>, String> {
    let applied = apply_one(outbox, &incoming.report, now).await?;
    incoming.acknowledge(applied.is_some());
    Ok(applied)
}

/// Applies one report off the async threads; `None` when it could not be (logged: the
/// channel answers its gateway with an error, which offers it again later).
async fn apply_one(
    outbox: &Arc<SqliteOutbox>,
    report: &ChannelReport,
    now: Timestamp,
) -> Result<Option<Applied>, String> {
    let store = Arc::clone(outbox);
    let report = report.clone();
    let applied = tokio::task::spawn_blocking(move || apply(&store, &report, now))
        .await
        .map_err(|e| e.to_string())?;
    match applied {
        Ok(applied) => {
            if let Applied::Settled(id, state) = applied {
                tracing::info!(
                    id,
                    state = state.code(),
                    "outbox row settled by its receipt"
                );
            }
            Ok(Some(applied))
        }
        Err(error) => {
            tracing::warn!(%error, "a channel report could not be applied; not acknowledged");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::central::channels::inbox::ReportSender;

    fn receipt(provider_id: &str) -> ChannelReport {
        ChannelReport::Receipt {
            provider_id: provider_id.into(),
            outcome: ReceiptOutcome::Delivered,
            at: Timestamp(1_800_000_000_000),
        }
    }

    /// Parts with `provider_id`, read on a connection of its own: only committed rows show.
    fn parts_committed(db: &std::path::Path, provider_id: &str) -> i64 {
        let connection = rusqlite::Connection::open(db).unwrap();
        let sql = "SELECT COUNT(*) FROM outbox_parts WHERE provider_id = ?1";
        connection
            .query_row(sql, [provider_id], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test]
    async fn a_receipt_is_acknowledged_after_its_commit_and_a_failed_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("central.sqlite");
        let network = crate::assets::qingliu_network().unwrap();
        let qc = crate::assets::qc_config().unwrap();
        drop(crate::store::central::SqliteCentralStore::open(&db, &network, qc).unwrap());
        let outbox = Arc::new(SqliteOutbox::open(&db).unwrap());
        let (sender, mut inbox) = ReportSender::channel(4);
        let now = Timestamp(1_800_000_000_500);

        let ack = sender.hand_over(receipt("p1")).unwrap();
        let incoming = inbox.recv().await.unwrap();
        let applied = settle_one(&outbox, incoming, now).await.unwrap();
        assert_eq!(applied, Some(Applied::Kept), "no send names p1 yet");
        assert!(ack.durable().await);
        assert_eq!(
            parts_committed(&db, "p1"),
            1,
            "acknowledged means committed"
        );

        // The store refuses the next one: the channel is told it is not durable.
        let connection = rusqlite::Connection::open(&db).unwrap();
        connection.execute_batch("DROP TABLE outbox_parts").unwrap();
        let ack = sender.hand_over(receipt("p2")).unwrap();
        let incoming = inbox.recv().await.unwrap();
        assert_eq!(settle_one(&outbox, incoming, now).await.unwrap(), None);
        assert!(!ack.durable().await);
    }

    #[test]
    fn outcomes_map_to_part_outcomes() {
        assert_eq!(
            part_outcome(&ReceiptOutcome::Delivered),
            PartOutcome::Delivered
        );
        assert_eq!(
            part_outcome(&ReceiptOutcome::Failed("UNDELIV 005".into())),
            PartOutcome::Failed("UNDELIV 005".into())
        );
    }

    #[test]
    fn the_tally_counts_each_kind_of_report() {
        let mut tally = Tally::default();
        for applied in [
            Applied::Kept,
            Applied::Settled(3, OutboxState::Delivered),
            Applied::Reply(1),
            Applied::Reply(2),
            Applied::Copy,
        ] {
            tally.count(applied);
        }
        assert_eq!(
            tally.describe(),
            "receipts settled 1 · receipts kept 1 · replies 2 · copies 1"
        );
    }
}
