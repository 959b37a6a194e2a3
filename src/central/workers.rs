//! Background work's home: a [`Supervisor`] that starts named workers with the central, stops
//! them with its shutdown signal, restarts one that fails or panics after a capped exponential
//! back-off, and keeps each one's state on a [`WorkerBoard`] that administrators read
//! (`GET /api/v1/admin/status`).
//!
//! ```text
//! start ─▶ running ──error / panic──▶ restarting (since, last error, restarts + 1)
//!             ▲                              │ sleep 1 s, 2 s, 4 s … ≤ cap (tokio time)
//!             └──────────────────────────────┘
//! shutdown ─▶ every worker sees `stop`, returns; one that does not within the grace is dropped
//! ```
//!
//! Delays run on tokio's clock, so tests on paused time see the back-off without waiting;
//! times on the board come from the central's injected clock.

pub mod backup;
pub mod channels;
pub mod dispatch;
pub mod integrity;
pub mod retention;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::domain::Timestamp;
use crate::domain::time::SharedClock;

/// What a worker's run ends with: `Ok` when it stopped because it was told to (or has nothing
/// left to do), an error that the supervisor records before restarting it.
pub type WorkerRun = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Starts one run of a worker.
pub type WorkerStart = Arc<dyn Fn(WorkerContext) -> WorkerRun + Send + Sync>;

/// A named worker.
#[derive(Clone)]
pub struct WorkerSpec {
    /// Its name on the board (`backup`, `integrity`).
    pub name: &'static str,
    /// Starts a run.
    pub start: WorkerStart,
}

impl std::fmt::Debug for WorkerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl WorkerSpec {
    /// A worker named `name` whose runs `start` makes.
    pub fn new<F, Fut>(name: &'static str, start: F) -> Self
    where
        F: Fn(WorkerContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self {
            name,
            start: Arc::new(move |context| Box::pin(start(context))),
        }
    }
}

/// What a worker's run is given: when to stop, and where to report.
#[derive(Debug, Clone)]
pub struct WorkerContext {
    name: &'static str,
    stop: watch::Receiver<bool>,
    board: WorkerBoard,
    clock: SharedClock,
}

impl WorkerContext {
    /// The central's clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Whether the central is shutting down.
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Waits until the central shuts down.
    pub async fn stopped(&self) {
        let mut stop = self.stop.clone();
        // Either the flag is raised or its sender is gone: both mean stop.
        _ = stop.wait_for(|&stop| stop).await;
    }

    /// Sleeps `delay` (tokio time); `false` if the central began shutting down meanwhile.
    pub async fn sleep(&self, delay: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(delay) => !self.stopping(),
            () = self.stopped() => false,
        }
    }

    /// Puts what the worker last did on the board (no secrets, no personal data).
    pub fn report(&self, detail: impl Into<String>) {
        let detail = detail.into();
        let now = self.clock.now();
        self.board.update(self.name, |status| {
            status.detail = Some(detail);
            status.reported_at = Some(now);
        });
    }
}

/// Where a worker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerState {
    /// Running.
    Running,
    /// Failed; waiting out its back-off before the next run.
    Restarting,
    /// Stopped (the central shut down, or the worker had nothing left to do).
    Stopped,
}

/// One worker's line on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerStatus {
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub state: WorkerState,
    /// Since when.
    pub since: Timestamp,
    /// Restarts after failures since the central started.
    pub restarts: u32,
    /// Why it last failed.
    pub last_error: Option<String>,
    /// What it last reported doing.
    pub detail: Option<String>,
    /// When it reported that.
    pub reported_at: Option<Timestamp>,
}

/// The state of every worker, shared by the supervisor, the workers and the status route;
/// a watch channel, so tests and callers wait for a state instead of polling.
#[derive(Debug, Clone)]
pub struct WorkerBoard(Arc<watch::Sender<BTreeMap<&'static str, WorkerStatus>>>);

impl Default for WorkerBoard {
    fn default() -> Self {
        Self(Arc::new(watch::channel(BTreeMap::new()).0))
    }
}

impl WorkerBoard {
    /// Every worker's status, by name.
    pub fn snapshot(&self) -> Vec<WorkerStatus> {
        self.0.borrow().values().cloned().collect()
    }

    /// One worker's status.
    pub fn status(&self, name: &str) -> Option<WorkerStatus> {
        self.0.borrow().get(name).cloned()
    }

    /// Waits until worker `name`'s status satisfies `test`, and returns it.
    pub async fn wait_for(
        &self,
        name: &str,
        mut test: impl FnMut(&WorkerStatus) -> bool,
    ) -> Option<WorkerStatus> {
        let mut board = self.0.subscribe();
        let found = board
            .wait_for(|statuses| statuses.get(name).is_some_and(&mut test))
            .await
            .ok()?;
        found.get(name).cloned()
    }

    fn update(&self, name: &'static str, change: impl FnOnce(&mut WorkerStatus)) {
        self.0.send_modify(|board| {
            if let Some(status) = board.get_mut(name) {
                change(status);
            }
        });
    }

    fn enter(&self, name: &'static str, state: WorkerState, now: Timestamp) {
        self.0.send_modify(|board| {
            let status = board.entry(name).or_insert_with(|| WorkerStatus {
                name: name.to_owned(),
                state,
                since: now,
                restarts: 0,
                last_error: None,
                detail: None,
                reported_at: None,
            });
            status.state = state;
            status.since = now;
        });
    }
}

/// Capped exponential back-off between restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub first: Duration,
    /// The longest delay; a run that lasted this long also resets the doubling.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            cap: Duration::from_secs(5 * 60),
        }
    }
}

impl Backoff {
    /// The delay after the `failures`-th failure in a row (1 for the first).
    pub fn delay(self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.first.saturating_mul(1 << doublings).min(self.cap)
    }
}

/// How long a stopping worker may take before it is dropped.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Owns the supervising tasks; [`Supervisor::join`] waits for them after shutdown.
#[derive(Debug)]
pub struct Supervisor {
    board: WorkerBoard,
    tasks: Vec<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts every worker of `specs` on the current runtime; they stop when `stop` turns
    /// `true` (or its sender is dropped).
    pub fn start(
        specs: Vec<WorkerSpec>,
        board: WorkerBoard,
        clock: &SharedClock,
        stop: &watch::Receiver<bool>,
        backoff: Backoff,
    ) -> Self {
        let tasks = specs
            .into_iter()
            .map(|spec| {
                board.enter(spec.name, WorkerState::Running, clock.now());
                let context = WorkerContext {
                    name: spec.name,
                    stop: stop.clone(),
                    board: board.clone(),
                    clock: Arc::clone(clock),
                };
                tokio::spawn(supervise(spec, context, backoff))
            })
            .collect();
        Self { board, tasks }
    }

    /// A supervisor of nothing (what a stopped one is replaced with).
    pub fn empty() -> Self {
        Self {
            board: WorkerBoard::default(),
            tasks: Vec::new(),
        }
    }

    /// The board the workers report to.
    pub fn board(&self) -> &WorkerBoard {
        &self.board
    }

    /// Waits until every worker has stopped (after the shutdown signal).
    pub async fn join(self) {
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "a worker's supervisor failed");
            }
        }
    }
}

/// Runs `spec` until the central stops, restarting it after each failure.
async fn supervise(spec: WorkerSpec, context: WorkerContext, backoff: Backoff) {
    let (name, board, clock) = (spec.name, context.board.clone(), context.clock.clone());
    let mut failures_in_a_row = 0;
    loop {
        board.enter(name, WorkerState::Running, clock.now());
        let started = tokio::time::Instant::now();
        let Some(outcome) = run_once(&spec, &context).await else {
            break;
        };
        let Err(error) = outcome else {
            tracing::info!(worker = name, "worker finished");
            break;
        };
        if started.elapsed() >= backoff.cap {
            failures_in_a_row = 0;
        }
        failures_in_a_row += 1;
        let delay = backoff.delay(failures_in_a_row);
        tracing::warn!(worker = name, %error, ?delay, "worker failed; restarting");
        board.enter(name, WorkerState::Restarting, clock.now());
        board.update(name, |status| {
            status.restarts += 1;
            status.last_error = Some(error);
        });
        if !context.sleep(delay).await {
            break;
        }
    }
    board.enter(name, WorkerState::Stopped, clock.now());
}

/// One run: its outcome (a panic becomes an error), or `None` if the central stopped first.
async fn run_once(spec: &WorkerSpec, context: &WorkerContext) -> Option<Result<(), String>> {
    let mut run = tokio::spawn((spec.start)(context.clone()));
    let joined = tokio::select! {
        joined = &mut run => joined,
        () = context.stopped() => {
            // Let it finish what it is doing; then drop it.
            if tokio::time::timeout(STOP_GRACE, &mut run).await.is_err() {
                tracing::warn!(worker = spec.name, "worker did not stop in time; dropped");
                run.abort();
            }
            return None;
        }
    };
    Some(match joined {
        Ok(result) => result,
        Err(error) if error.is_panic() => Err(format!("panicked: {}", panic_text(error))),
        Err(error) => Err(error.to_string()),
    })
}

fn panic_text(error: tokio::task::JoinError) -> String {
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests;
