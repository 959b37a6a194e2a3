//! The supervisor on paused tokio time: back-off, restarts, the board, shutdown.

use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::*;
use crate::domain::time::{Clock as _, ManualClock, SharedClock};

fn clock() -> Arc<ManualClock> {
    ManualClock::new(Timestamp(1_800_000_000_000))
}

fn shared(clock: &Arc<ManualClock>) -> SharedClock {
    clock.clone()
}

#[test]
fn back_off_doubles_up_to_its_cap() {
    let backoff = Backoff {
        first: Duration::from_secs(1),
        cap: Duration::from_secs(60),
    };
    let table = [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (40, 60)];
    for (failures, secs) in table {
        assert_eq!(
            backoff.delay(failures),
            Duration::from_secs(secs),
            "{failures}"
        );
    }
}

/// A worker that panics on its first `panics` runs, then reports and waits for the stop; each
/// start is announced on `starts`.
fn flaky(panics: u32, starts: mpsc::Sender<u32>) -> WorkerSpec {
    let runs = Arc::new(AtomicU32::new(0));
    WorkerSpec::new("flaky", move |context: WorkerContext| {
        let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
        let starts = starts.clone();
        async move {
            starts.send(run).await.map_err(|e| e.to_string())?;
            assert!(run > panics, "run {run} broke");
            context.report(format!("run {run} healthy"));
            context.stopped().await;
            Ok(())
        }
    })
}

#[tokio::test(start_paused = true)]
async fn a_panicking_worker_is_restarted_after_a_growing_delay_and_reported() {
    let (stop, stopping) = watch::channel(false);
    let (starts, mut started) = mpsc::channel(8);
    let clock = clock();
    let board = WorkerBoard::default();
    let backoff = Backoff {
        first: Duration::from_secs(1),
        cap: Duration::from_secs(60),
    };
    let begun = Instant::now();
    let supervisor = Supervisor::start(
        vec![flaky(2, starts)],
        board.clone(),
        &shared(&clock),
        &stopping,
        backoff,
    );

    assert_eq!(started.recv().await, Some(1));
    assert_eq!(started.recv().await, Some(2));
    // The second run starts one back-off (1 s) after the first panic.
    assert_eq!(begun.elapsed(), Duration::from_secs(1));

    assert_eq!(started.recv().await, Some(3));
    // Then 2 s more after the second panic.
    assert_eq!(begun.elapsed(), Duration::from_secs(3));
    let status = board
        .wait_for("flaky", |s| s.detail.is_some())
        .await
        .unwrap();
    assert_eq!(status.state, WorkerState::Running);
    assert_eq!(status.restarts, 2);
    assert_eq!(status.detail.as_deref(), Some("run 3 healthy"));
    assert_eq!(
        status.last_error.as_deref(),
        Some("panicked: run 2 broke"),
        "the last failure is kept while it runs again"
    );

    stop.send_replace(true);
    supervisor.join().await;
    let status = board.status("flaky").unwrap();
    assert_eq!(status.state, WorkerState::Stopped);
    assert_eq!(status.restarts, 2, "a clean stop is not a failure");
}

#[tokio::test(start_paused = true)]
async fn a_failing_worker_shows_restarting_since_its_failure() {
    let (stop, stopping) = watch::channel(false);
    let clock = clock();
    let board = WorkerBoard::default();
    let failing = WorkerSpec::new("failing", |_context| async {
        Err::<(), _>("disk full".to_owned())
    });
    let backoff = Backoff {
        first: Duration::from_secs(10),
        cap: Duration::from_secs(60),
    };
    let supervisor = Supervisor::start(
        vec![failing],
        board.clone(),
        &shared(&clock),
        &stopping,
        backoff,
    );
    let failed_at = clock.now();
    let status = board
        .wait_for("failing", |s| s.state == WorkerState::Restarting)
        .await
        .unwrap();
    assert_eq!(status.since, failed_at);
    assert_eq!(status.last_error.as_deref(), Some("disk full"));
    assert_eq!(status.restarts, 1);

    // Shutdown during the back-off ends it at once.
    stop.send_replace(true);
    supervisor.join().await;
    assert_eq!(board.status("failing").unwrap().state, WorkerState::Stopped);
}

#[tokio::test(start_paused = true)]
async fn a_worker_that_ignores_the_stop_is_dropped_after_the_grace() {
    let (stop, stopping) = watch::channel(false);
    let board = WorkerBoard::default();
    let stubborn = WorkerSpec::new("stubborn", |_context| async {
        std::future::pending::<()>().await;
        Ok(())
    });
    let supervisor = Supervisor::start(
        vec![stubborn],
        board.clone(),
        &shared(&clock()),
        &stopping,
        Backoff::default(),
    );
    board
        .wait_for("stubborn", |s| s.state == WorkerState::Running)
        .await
        .unwrap();
    let asked = Instant::now();
    stop.send_replace(true);
    supervisor.join().await;
    assert_eq!(asked.elapsed(), STOP_GRACE);
    assert_eq!(
        board.status("stubborn").unwrap().state,
        WorkerState::Stopped
    );
}

#[tokio::test(start_paused = true)]
async fn scheduled_backups_and_the_integrity_check_report_to_the_board() {
    use crate::central::workers::backup::{BackupSchedule, worker as backup_worker};
    use crate::central::workers::integrity::worker as integrity_worker;
    use crate::store::central::SqliteCentralStore;

    let dir = tempfile::tempdir().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    let qc = crate::assets::qc_config().unwrap();
    let store = Arc::new(
        SqliteCentralStore::open(&dir.path().join("central.sqlite"), &network, qc).unwrap(),
    );
    let schedule = BackupSchedule {
        dir: dir.path().join("copies"),
        every: Duration::from_secs(3600),
        keep: 2,
    };
    let (stop, stopping) = watch::channel(false);
    let clock = clock();
    let board = WorkerBoard::default();
    let supervisor = Supervisor::start(
        vec![
            backup_worker(store.clone(), schedule.clone()),
            integrity_worker(store, Duration::from_secs(86_400)),
        ],
        board.clone(),
        &shared(&clock),
        &stopping,
        Backoff::default(),
    );
    // No copy yet: the first is taken at once.
    let first = board
        .wait_for("backup", |s| s.detail.is_some())
        .await
        .unwrap();
    let name = backup::file_name(clock.now());
    assert!(first.detail.unwrap().contains(&name), "{name}");
    let integrity = board
        .wait_for("integrity", |s| s.detail.is_some())
        .await
        .unwrap();
    assert!(
        integrity.detail.unwrap().starts_with("quick_check ok at "),
        "the new database is sound"
    );
    // Three hours on, three more copies are due; only the newest two are kept.
    for _ in 0..3 {
        clock.advance(3_600_000);
        tokio::time::advance(Duration::from_secs(3600)).await;
        let expected = backup::file_name(clock.now());
        board
            .wait_for("backup", |s| {
                s.detail.as_deref().is_some_and(|d| d.contains(&expected))
            })
            .await
            .unwrap();
    }
    let mut copies: Vec<String> = std::fs::read_dir(&schedule.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    copies.sort();
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert_eq!(copies[1], backup::file_name(clock.now()));
    stop.send_replace(true);
    supervisor.join().await;
}
