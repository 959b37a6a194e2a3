//! The queue from the channels to the reports worker, with an acknowledgement per report.
//!
//! A gateway forgets a receipt (or a reply) once it hears it was taken, so a channel answers
//! only when the reports worker says the report is committed: [`ReportSender::hand_over`]
//! gives a [`PendingAck`] that resolves `true` after the commit and `false` when the report
//! was not applied (or the worker went away first). A full queue refuses at once instead of
//! waiting, so a session's reader never stalls on it: the channel answers "busy" and the
//! gateway sends the report again later. The queue's capacity bounds the reports waiting.

use tokio::sync::{mpsc, oneshot};

use super::ChannelReport;

/// A report on its way to the reports worker, and who waits to hear it is durable.
#[derive(Debug)]
pub struct Incoming {
    /// What the channel learnt.
    pub report: ChannelReport,
    /// Told `true` once the report is committed, `false` when it could not be.
    pub ack: oneshot::Sender<bool>,
}

impl Incoming {
    /// Tells the waiting channel whether the report is durable (it may have gone: fine).
    pub fn acknowledge(self, durable: bool) {
        let _ = self.ack.send(durable);
    }
}

/// Why a report was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue is full: offer it again later.
    Full,
    /// The reports worker is gone.
    Closed,
}

/// The answer a channel waits for before it answers its gateway.
#[derive(Debug)]
pub struct PendingAck(oneshot::Receiver<bool>);

impl PendingAck {
    /// Whether the report is committed; `false` when the worker dropped it unapplied.
    pub async fn durable(self) -> bool {
        self.0.await.unwrap_or(false)
    }
}

/// The channels' end of the reports queue.
#[derive(Debug, Clone)]
pub struct ReportSender(mpsc::Sender<Incoming>);

impl ReportSender {
    /// A queue of `capacity` reports: the sender and the worker's end.
    pub fn channel(capacity: usize) -> (Self, mpsc::Receiver<Incoming>) {
        let (sender, receiver) = mpsc::channel(capacity);
        (Self(sender), receiver)
    }

    /// Queues `report` without waiting for room; the acknowledgement to answer on.
    pub fn hand_over(&self, report: ChannelReport) -> Result<PendingAck, Refused> {
        let (ack, pending) = oneshot::channel();
        match self.0.try_send(Incoming { report, ack }) {
            Ok(()) => Ok(PendingAck(pending)),
            Err(mpsc::error::TrySendError::Full(_)) => Err(Refused::Full),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Refused::Closed),
        }
    }

    /// Queues `report`, waiting for room, and waits for its commit: whether it is durable.
    /// For callers that hold nothing else up (an HTTP callback answers one push).
    pub async fn commit(&self, report: ChannelReport) -> Result<bool, Refused> {
        let (ack, pending) = oneshot::channel();
        self.0
            .send(Incoming { report, ack })
            .await
            .map_err(|_| Refused::Closed)?;
        Ok(PendingAck(pending).durable().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn reply(text: &str) -> ChannelReport {
        ChannelReport::Reply {
            channel: crate::central::channels::SMS,
            from: "13905981234".into(),
            text: text.into(),
            at: Timestamp(1),
            message_id: None,
        }
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_a_gone_worker_is_told() {
        let (sender, mut inbox) = ReportSender::channel(1);
        let first = sender.hand_over(reply("a")).unwrap();
        assert_eq!(sender.hand_over(reply("b")).unwrap_err(), Refused::Full);
        let taken = inbox.recv().await.unwrap();
        assert_eq!(taken.report, reply("a"));
        taken.acknowledge(true);
        assert!(first.durable().await);
        drop(inbox);
        assert_eq!(sender.hand_over(reply("c")).unwrap_err(), Refused::Closed);
    }

    #[tokio::test]
    async fn a_report_dropped_unapplied_is_not_durable() {
        let (sender, mut inbox) = ReportSender::channel(4);
        let pending = sender.hand_over(reply("a")).unwrap();
        drop(inbox.recv().await.unwrap());
        assert!(!pending.durable().await);
        let failed = sender.hand_over(reply("b")).unwrap();
        inbox.recv().await.unwrap().acknowledge(false);
        assert!(!failed.durable().await);
    }
}
