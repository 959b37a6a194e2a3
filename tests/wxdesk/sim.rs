//! The simulator over real HTTP: every record it posts parses at the central's edge with no
//! value refused, and the backfill arrives in full.

use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use tokio::sync::{mpsc, oneshot};
use wxdesk::domain::access::Secret;
use wxdesk::domain::time::{HOUR_MS, MINUTE_MS, ManualClock};
use wxdesk::domain::{Clock as _, Timestamp};
use wxdesk::protocol::{
    IngestRequest, IngestResponse, ObservationRecord, RecordResult, RecordStatus,
};
use wxdesk::sim::{History, HttpSink, SimConfig, Simulator};

/// An ingest endpoint that judges records exactly as the central's edge does and reports
/// every refusal.
async fn judging_central() -> std::io::Result<(String, mpsc::Receiver<(usize, Vec<String>)>)> {
    let (report, reports) = mpsc::channel(1024);
    let app = Router::new().route(
        "/api/v1/observations",
        post(move |Json(body): Json<IngestRequest>| {
            let report = report.clone();
            async move {
                let now = Timestamp::now();
                let mut errors = Vec::new();
                let results: Vec<RecordResult> = body
                    .observations
                    .iter()
                    .enumerate()
                    .map(|(index, raw)| {
                        let problems: Vec<String> = match ObservationRecord::parse_json(raw, now) {
                            Ok(parsed) => parsed
                                .value_errors
                                .iter()
                                .map(ToString::to_string)
                                .collect(),
                            Err(e) => vec![e.to_string()],
                        };
                        errors.extend(problems.iter().map(|p| format!("{raw}: {p}")));
                        RecordResult {
                            index,
                            status: if problems.is_empty() {
                                RecordStatus::Stored
                            } else {
                                RecordStatus::Rejected
                            },
                            stored_values: 0,
                            errors: problems,
                            refusals: Vec::new(),
                        }
                    })
                    .collect();
                let rejected = results
                    .iter()
                    .filter(|r| r.status == RecordStatus::Rejected)
                    .count();
                let _ = report.send((body.observations.len(), errors)).await;
                Json(IngestResponse {
                    stored: results.len() - rejected,
                    duplicate: 0,
                    partial: 0,
                    rejected,
                    results,
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{address}"), reports))
}

#[tokio::test]
async fn posts_a_valid_backfill_over_http() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (central, mut reports) = judging_central().await.unwrap();
    let clock = ManualClock::new(Timestamp::now().floor(MINUTE_MS));
    let mut config = SimConfig::qingliu(History::minutes(2)).unwrap();
    config.poll = Duration::from_millis(20);
    let expected = Simulator::new(&config.network)
        .unwrap()
        .history(clock.now().plus_ms(-2 * HOUR_MS), clock.now())
        .len();
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = tokio::spawn(wxdesk::sim::run(
        config,
        HttpSink::new(&central, &Secret::new("wxd_test"), Vec::new()).unwrap(),
        clock.clone(),
        async {
            let _ = stopped.await;
        },
    ));

    let next = async |reports: &mut mpsc::Receiver<(usize, Vec<String>)>| {
        let (count, errors) = tokio::time::timeout(Duration::from_secs(60), reports.recv())
            .await
            .expect("simulator went quiet")
            .unwrap();
        assert!(errors.is_empty(), "{errors:#?}");
        count
    };
    let mut received = 0;
    while received < expected {
        received += next(&mut reports).await;
    }
    assert_eq!(received, expected);
    // The next minute goes out only once the backfill's last answer was taken in.
    clock.advance(MINUTE_MS);
    assert!(next(&mut reports).await > 0);
    stop.send(()).unwrap();
    let summary = runner.await.unwrap().unwrap();
    assert!(summary.delivered >= expected, "{summary:?}");
    assert_eq!((summary.refused, summary.failures), (0, 0));
}
