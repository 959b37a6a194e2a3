//! Password hashing on a few threads of its own, as many as the machine has cores.
//!
//! argon2id takes 19 MiB and tens of milliseconds per hash. Run on tokio's blocking pool, a
//! login flood ran one hash per request at once, and every verification grew the process by
//! its 19 MiB (200 logins: 4 GB). Here at most one hash per core runs, queued requests wait
//! their turn, and each thread verifies in one argon2 block it keeps
//! ([`super::auth::verify_password_in`]): 19 MiB per core, once.
//!
//! The pool counts what it did ([`HashStats`]), so tests can check structurally that every
//! login path hashes exactly once, without a stopwatch.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use super::auth::{hash_password, verify_nobody_in, verify_password_in};
use super::error::Failure;
use crate::domain::access::Secret;

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// argon2's working memory on a hashing thread, kept from one verification to the next.
    static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What the pool did since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashStats {
    /// Password verifications, against a stored hash or the stand-in for "no such account".
    pub verifications: u64,
    /// Of those, verifications against an account's own hash (attempts actually judged).
    pub judged: u64,
    /// New password hashes made.
    pub hashes: u64,
    /// Most hashes that ever ran at once.
    pub peak_in_flight: usize,
}

#[derive(Debug, Default)]
struct Counters {
    verifications: AtomicU64,
    judged: AtomicU64,
    hashes: AtomicU64,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// A fixed set of hashing threads; dropping the pool ends them once their queue is empty.
#[derive(Debug)]
pub struct HashPool {
    jobs: Mutex<mpsc::Sender<Job>>,
    counters: Arc<Counters>,
    threads: usize,
}

impl HashPool {
    /// A pool of `threads` hashing threads (at least one).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("wxdesk-hash-{i}"))
                .spawn(move || work(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "a password hashing thread did not start");
            }
        }
        Self {
            jobs: Mutex::new(sender),
            counters: Arc::default(),
            threads,
        }
    }

    /// One thread per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// How many hashes may run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// What the pool did so far.
    pub fn stats(&self) -> HashStats {
        let c = &self.counters;
        HashStats {
            verifications: c.verifications.load(Ordering::Relaxed),
            judged: c.judged.load(Ordering::Relaxed),
            hashes: c.hashes.load(Ordering::Relaxed),
            peak_in_flight: c.peak_in_flight.load(Ordering::Relaxed),
        }
    }

    /// Whether `password` matches the PHC string `hash`; with no hash (no such account, or one
    /// whose attempt is not judged) it spends one verification all the same and says no.
    pub async fn verify(&self, password: Secret, hash: Option<String>) -> Result<bool, Failure> {
        let counters = Arc::clone(&self.counters);
        self.run(move || {
            counters.verifications.fetch_add(1, Ordering::Relaxed);
            MEMORY.with_borrow_mut(|memory| match hash {
                Some(hash) => {
                    counters.judged.fetch_add(1, Ordering::Relaxed);
                    verify_password_in(memory, &password, &hash)
                }
                None => {
                    verify_nobody_in(memory, &password);
                    false
                }
            })
        })
        .await
    }

    /// A new argon2id hash of `password`.
    pub async fn hash(&self, password: Secret) -> Result<String, Failure> {
        let counters = Arc::clone(&self.counters);
        self.run(move || {
            counters.hashes.fetch_add(1, Ordering::Relaxed);
            hash_password(&password)
        })
        .await?
    }

    /// Runs `work` on a hashing thread, counting how many run at once.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Failure> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let counters = Arc::clone(&self.counters);
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let job: Job = Box::new(move || {
            let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            counters.peak_in_flight.fetch_max(now, Ordering::SeqCst);
            let result = tracing::dispatcher::with_default(&dispatch, work);
            counters.in_flight.fetch_sub(1, Ordering::SeqCst);
            // The caller may have gone away; the work is done either way.
            _ = reply.send(result);
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job);
        if sent.is_err() {
            return Err(unavailable());
        }
        answer.await.map_err(|_| unavailable())
    }
}

fn unavailable() -> Failure {
    tracing::error!("the password hashing threads are gone");
    Failure::internal("the central cannot check passwords; see its log")
}

fn work(receiver: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_hashes_and_counts_without_exceeding_its_threads() {
        let pool = Arc::new(HashPool::new(2));
        let hash = pool.hash(Secret::new("清流县 duty 2026")).await.unwrap();
        let mut checks = Vec::new();
        for i in 0..6 {
            let (pool, hash) = (Arc::clone(&pool), hash.clone());
            let password = if i == 0 {
                "清流县 duty 2026"
            } else {
                "wrong one"
            };
            checks.push(tokio::spawn(async move {
                pool.verify(Secret::new(password), Some(hash))
                    .await
                    .unwrap()
            }));
        }
        let mut right = 0;
        for check in checks {
            right += usize::from(check.await.unwrap());
        }
        assert_eq!(right, 1);
        assert!(!pool.verify(Secret::new("anything"), None).await.unwrap());
        let stats = pool.stats();
        assert_eq!((stats.verifications, stats.judged, stats.hashes), (7, 6, 1));
        assert!((1..=2).contains(&stats.peak_in_flight), "{stats:?}");
    }
}
