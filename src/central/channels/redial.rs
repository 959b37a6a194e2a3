//! One dial for a burst of rows: the SMS gateways' one link is opened under a lock, and when
//! the gateway is unreachable every row queued behind that lock would dial again in turn (each
//! perhaps waiting out the connect timeout). After a failed open, [`LinkSlot`] answers the rows
//! that come before [`HOLD_OFF`] has passed with the same [`ProviderError::Retry`], without a
//! dial; the dispatcher retries them later as it retries any "not now".

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::central::workers::dispatch::ProviderError;

/// How long a failed open answers for the rows behind it (shorter than the dispatcher's first
/// retry delay, so a row's own retry always dials again).
pub const HOLD_OFF: Duration = Duration::from_secs(2);

/// The link standing, or the last failed open while it still answers. Kept under the
/// provider's async mutex.
#[derive(Debug)]
pub struct LinkSlot<L> {
    link: Option<Arc<L>>,
    failed: Option<(Instant, ProviderError)>,
    hold_off: Duration,
}

impl<L> Default for LinkSlot<L> {
    fn default() -> Self {
        Self::new(HOLD_OFF)
    }
}

impl<L> LinkSlot<L> {
    /// An empty slot whose failed opens answer for `hold_off`.
    pub fn new(hold_off: Duration) -> Self {
        Self {
            link: None,
            failed: None,
            hold_off,
        }
    }

    /// The link if `standing` says it still stands; otherwise a new one from `open` — unless
    /// an open failed less than the hold-off ago: then that failure again, without a dial.
    pub async fn link<F, Fut>(
        &mut self,
        standing: impl Fn(&L) -> bool,
        open: F,
    ) -> Result<Arc<L>, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<L>, ProviderError>>,
    {
        if let Some(link) = self.link.as_ref().filter(|l| standing(l)) {
            return Ok(Arc::clone(link));
        }
        self.link = None;
        if let Some(answer) = self.held(Instant::now()) {
            return Err(answer);
        }
        match open().await {
            Ok(link) => {
                self.failed = None;
                self.link = Some(Arc::clone(&link));
                Ok(link)
            }
            Err(error) => {
                // From when the failure was known: the rows that waited through it are spared.
                self.failed = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    /// The last failed open's answer, if it still answers at `now`.
    fn held(&self, now: Instant) -> Option<ProviderError> {
        let (at, error) = self.failed.as_ref()?;
        (now < *at + self.hold_off).then(|| error.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Mutex;

    use super::*;

    /// A "link" that stands while its flag says so.
    struct Fake(std::sync::atomic::AtomicBool);

    fn unreachable() -> ProviderError {
        ProviderError::Retry("cannot connect: ConnectionRefused".to_owned())
    }

    /// Asks `slot` for a link, counting dials; `up` says whether a dial succeeds.
    async fn ask(
        slot: &Mutex<LinkSlot<Fake>>,
        dials: &AtomicUsize,
        up: bool,
    ) -> Result<Arc<Fake>, ProviderError> {
        let standing = |l: &Fake| l.0.load(Ordering::SeqCst);
        let open = || async {
            dials.fetch_add(1, Ordering::SeqCst);
            // A dial takes a while: the other rows queue behind the lock meanwhile.
            tokio::time::sleep(Duration::from_secs(10)).await;
            if up {
                Ok(Arc::new(Fake(true.into())))
            } else {
                Err(unreachable())
            }
        };
        slot.lock().await.link(standing, open).await
    }

    #[tokio::test(start_paused = true)]
    async fn rows_queued_behind_a_failed_open_share_its_answer_until_the_hold_off_passes() {
        let slot = Mutex::new(LinkSlot::default());
        let dials = AtomicUsize::new(0);
        let asks = (0..8).map(|_| ask(&slot, &dials, false));
        let answers = futures_util::future::join_all(asks).await;
        assert_eq!(dials.load(Ordering::SeqCst), 1, "one dial for eight rows");
        assert!(
            answers
                .iter()
                .all(|a| a.as_ref().err() == Some(&unreachable()))
        );

        tokio::time::advance(HOLD_OFF - Duration::from_millis(1)).await;
        assert!(ask(&slot, &dials, true).await.is_err());
        assert_eq!(dials.load(Ordering::SeqCst), 1, "still held off");

        tokio::time::advance(Duration::from_millis(1)).await;
        let link = ask(&slot, &dials, true).await.expect("dialled again");
        assert_eq!(dials.load(Ordering::SeqCst), 2);
        // A standing link is shared; one that dropped is replaced at once (no failure held).
        assert!(Arc::ptr_eq(&link, &ask(&slot, &dials, true).await.unwrap()));
        link.0.store(false, Ordering::SeqCst);
        let fresh = ask(&slot, &dials, true).await.unwrap();
        assert!(!Arc::ptr_eq(&link, &fresh));
        assert_eq!(dials.load(Ordering::SeqCst), 3);
    }
}

/// What the providers' tests of a failed open share.
#[cfg(test)]
pub mod testing {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::domain::Timestamp;
    use crate::domain::outbox::OutboxState;
    use crate::store::central::outbox::OutboxRow;

    /// A gateway on 127.0.0.1 that hangs up on every connection as soon as it accepts it,
    /// and how many it accepted. A login fails only once its connection was accepted (and
    /// dropped), so when the sends are done the count is every dial they made.
    pub async fn hanging_up() -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        (port, accepted)
    }

    /// An SMS row being sent.
    pub fn sms_row(id: i64) -> OutboxRow {
        let t = Timestamp(1_795_773_600_000);
        OutboxRow {
            id,
            idem_key: format!("test:{id}:sms"),
            kind: crate::central::channels::SMS.to_owned(),
            payload: r#"{"to":"13800000000","text":"测试"}"#.to_owned(),
            state: OutboxState::Sending,
            attempt: 1,
            lease_owner: Some("test".to_owned()),
            lease_until: None,
            due_at: t,
            provider_id: None,
            last_error: None,
            created_at: t,
            updated_at: t,
            resent: None,
        }
    }
}
