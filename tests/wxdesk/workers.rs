//! Background workers in a running central: a worker that panics is restarted and the
//! administrators' status says so, beside disk space; only administrators may read it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use wxdesk::central::workers::{Backoff, WorkerContext, WorkerSpec};
use wxdesk::domain::access::Role;

use crate::support::{TestCentral, client, client_with, within};

/// Panics on its first run; afterwards says it is healthy and waits for the stop. Each run is
/// announced on `starts` (the second once it has reported).
fn panics_once(starts: mpsc::Sender<u32>) -> WorkerSpec {
    let runs = Arc::new(AtomicU32::new(0));
    WorkerSpec::new("flaky", move |context: WorkerContext| {
        let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
        let starts = starts.clone();
        async move {
            if run > 1 {
                context.report("healthy");
            }
            starts.send(run).await.map_err(|e| e.to_string())?;
            assert!(run > 1, "first run of the flaky worker");
            context.stopped().await;
            Ok(())
        }
    })
}

#[tokio::test]
async fn a_panicking_worker_is_restarted_and_reported_to_administrators() {
    let (starts, mut started) = mpsc::channel(4);
    let mut central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.workers.push(panics_once(starts));
        config.backoff = Backoff {
            first: Duration::from_millis(1),
            cap: Duration::from_millis(10),
        };
    })
    .await;
    assert_eq!(within("first run", started.recv()).await, Some(1));
    assert_eq!(within("restart", started.recv()).await, Some(2));

    let client = client();
    let (code, status) = central.get_json(&client, "/admin/status").await;
    assert_eq!(code, 200, "{status}");
    let worker = status["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "flaky")
        .expect("the flaky worker on the board");
    assert_eq!(worker["name"], "flaky");
    assert_eq!(worker["detail"], "healthy");
    assert_eq!(worker["state"], "running");
    assert_eq!(worker["restarts"], 1);
    let error = worker["last_error"].as_str().unwrap();
    assert!(
        error.starts_with("panicked: first run of the flaky worker"),
        "{error}"
    );
    let disk = &status["disk"];
    assert!(disk["free_bytes"].as_u64().unwrap() > 0, "{status}");
    assert!(disk["total_bytes"].as_u64() >= disk["free_bytes"].as_u64());
    assert!(
        status["certificate"].is_null(),
        "plain HTTP has no certificate"
    );

    // Duty staff do not see the server's state.
    let forecaster = client_with(&central.token(Role::DutyForecaster).await);
    let refused = forecaster
        .get(central.url("/admin/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    central.shutdown().await;
}
