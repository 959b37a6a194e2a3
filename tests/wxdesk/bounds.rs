//! Bounded answers: the series route refuses a range beyond its bound (the view route serves
//! any), and live streams are capped per principal and in all, with coded refusals; a stream
//! that ends frees its place. (TLS handshake bounds are in `security`; the request time limit
//! and a slow consumer's write stall are unit-tested in `central::limits`.)

use std::time::Duration;

use serde_json::Value;
use wxdesk::central::{self, Limits};
use wxdesk::domain::access::Role;

use crate::support::{TestCentral, client, within};

/// `GET path` with `token`: the status and the JSON answer.
async fn get_as(central: &TestCentral, token: &str, path: &str) -> (u16, Value) {
    let response = client()
        .get(central.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_beyond_its_bound_is_refused_naming_the_bound_and_the_view_serves_it() {
    let central = TestCentral::start().await;
    let admin = central.token(Role::Administrator).await;
    let series = |from: &str, to: &str| {
        format!("/observations/series?station=58819&element=TEM&from={from}&to={to}")
    };
    // Ten years of minutes (the 236 MB answer) is refused before anything is read.
    let (status, body) = get_as(
        &central,
        &admin,
        &series("2016-11-27T00:00:00Z", "2026-11-27T00:00:00Z"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "range_too_long");
    let message = body["message"].as_str().unwrap();
    let bound = format!("{} days", central::MAX_SERIES_DAYS);
    assert!(
        message.contains(&bound) && message.contains("/observations/view"),
        "{message}"
    );
    // A month is served; the same ten years are summarised by the view route.
    let (status, body) = get_as(
        &central,
        &admin,
        &series("2026-10-27T00:00:00Z", "2026-11-27T00:00:00Z"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let view = "/observations/view?station=58819&element=TEM\
                &from=2016-11-27T00:00:00Z&to=2026-11-27T00:00:00Z&columns=1000";
    let (status, body) = get_as(&central, &admin, view).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_are_capped_per_principal_and_in_all_and_an_ended_one_frees_its_place() {
    let limits = Limits {
        streams_per_principal: 2,
        streams_total: 3,
        ..Limits::default()
    };
    // Frequent keep-alives: a closed stream is noticed at its next write.
    let central = TestCentral::start_with(Duration::from_millis(50), limits).await;
    let admin = central.token(Role::Administrator).await;
    let duty = central.token(Role::DutyForecaster).await;
    let technician = central.token(Role::Technician).await;
    let http = client();
    let open = |token: String| {
        let request = http
            .get(central.url("/stream"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(3600));
        async move { request.send().await.unwrap() }
    };
    // Fired at once: two for the administrator, a third refused.
    let (first, second, third) = tokio::join!(
        open(admin.clone()),
        open(admin.clone()),
        open(admin.clone())
    );
    let mut statuses = [first.status(), second.status(), third.status()].map(|s| s.as_u16());
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429]);
    let mut admin_streams: Vec<_> = [first, second, third]
        .into_iter()
        .filter(|r| r.status() == 200)
        .collect();
    let (status, refused) = get_as(&central, &admin, "/stream").await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (429, Some("too_many_streams"))
    );
    assert!(
        refused["message"].as_str().unwrap().contains("(2)"),
        "{refused}"
    );
    let duty_stream = open(duty).await;
    assert_eq!(duty_stream.status(), 200);
    // Three open: the central is full for everyone, whoever asks.
    let (status, full) = get_as(&central, &technician, "/stream").await;
    assert_eq!(
        (status, full["error"].as_str()),
        (503, Some("streams_full")),
        "{full}"
    );
    assert_eq!(*central.live_streams().borrow(), 3);

    // One ends: its place is free again.
    drop(admin_streams.pop());
    let mut open_now = central.live_streams();
    within(
        "the ended stream to free its place",
        open_now.wait_for(|&n| n == 2),
    )
    .await
    .unwrap();
    let again = open(technician).await;
    let status = again.status();
    assert_eq!(status, 200, "{:?}", again.text().await);
    drop((admin_streams, duty_stream, again));
}
