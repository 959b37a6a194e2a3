//! The requests of a session waiting for their responses, and whether the session is closed:
//! one lock for both, so a request registered as the link closes is either refused (nothing is
//! written) or woken with "lost" — never left waiting for its timeout.

use std::collections::HashMap;

use tokio::sync::oneshot;

use super::pdu::Body;

/// The waiting requests by `Sequence_Id`, until the session closes.
#[derive(Debug, Default)]
pub struct Pending {
    waiting: HashMap<u32, oneshot::Sender<Body>>,
    closed: bool,
}

impl Pending {
    /// Registers request `sequence_id`; `None` once the session is closed.
    pub fn register(&mut self, sequence_id: u32) -> Option<oneshot::Receiver<Body>> {
        if self.closed {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(sequence_id, tx);
        Some(rx)
    }

    /// The waiter of `sequence_id`, taken out (a response arrived for it).
    pub fn take(&mut self, sequence_id: u32) -> Option<oneshot::Sender<Body>> {
        self.waiting.remove(&sequence_id)
    }

    /// Closes: every waiter hears its request is lost, and no one registers any more.
    pub fn close(&mut self) {
        self.closed = true;
        self.waiting.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_after_the_close_is_refused_and_one_before_it_is_woken() {
        let mut pending = Pending::default();
        let mut before = pending.register(2).expect("open");
        pending.close();
        // Woken at once as lost: its sender went with the close.
        assert_eq!(before.try_recv(), Err(oneshot::error::TryRecvError::Closed));
        assert!(pending.register(3).is_none(), "closed: nothing to wait for");
        assert!(pending.take(2).is_none());
    }

    #[test]
    fn a_response_reaches_its_own_waiter() {
        let mut pending = Pending::default();
        let mut first = pending.register(2).unwrap();
        let mut second = pending.register(3).unwrap();
        pending.take(3).unwrap().send(Body::ActiveTestResp).unwrap();
        assert_eq!(second.try_recv(), Ok(Body::ActiveTestResp));
        assert_eq!(first.try_recv(), Err(oneshot::error::TryRecvError::Empty));
        assert!(pending.take(3).is_none(), "answered once");
    }
}
