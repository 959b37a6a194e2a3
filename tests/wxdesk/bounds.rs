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
    let central = TestCentral::start_with_limits(Duration::from_millis(50), limits).await;
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

/// A batch of `minutes` minutes of six elements at every station, ending `offset` minutes
/// before now: as many changes as records, each a few hundred bytes on the stream.
fn minutes_of_everything(offset: i64, minutes: i64) -> Value {
    let stations = crate::support::network().stations;
    let mut records = Vec::new();
    for m in 0..minutes {
        let time = crate::support::minutes_from_now(-(offset + m));
        for (i, station) in stations.iter().enumerate() {
            // Off every element's resolution and without a pattern, so the chunks cannot
            // compress: each value is stored (and streamed) as its exact bits.
            let wiggle = ((m * 7_919 + i as i64 * 104_729) % 997) as f64 * 0.001;
            records.push(crate::support::record(
                &station.id.to_string(),
                &time,
                serde_json::json!({
                    "TEM": 12.0 + wiggle, "RHU": 80.0 + wiggle, "PRS": 990.0 + wiggle,
                    "WIN_S_Avg_2mi": 2.0 + wiggle, "WIN_D_Avg_2mi": 180.0 + wiggle,
                    "PRE_1h": 0.0,
                }),
            ));
        }
    }
    crate::support::batch(&records)
}

/// The `id` of the last whole event in raw SSE text.
fn last_whole_event_id(text: &str) -> Option<u64> {
    let whole = &text[..text.rfind("\n\n")?];
    whole.lines().rev().find_map(|line| {
        let id = line.strip_prefix("id: ")?.trim();
        wxdesk::protocol::Cursor::from_text(id).seq().ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_consumer_that_stops_reading_is_dropped_and_resumes_by_last_event_id() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let limits = Limits {
        write_stall: Duration::from_millis(300),
        ..Limits::default()
    };
    let central = TestCentral::start_with_limits(central::DEFAULT_KEEP_ALIVE, limits).await;
    let token = central.token(Role::Administrator).await;
    // A desk that asks for the stream, then reads nothing: a small receive buffer (which also
    // stops the kernel growing it), HTTP/1.0 so the body is the plain event text.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut desk = socket.connect(central.addr()).await.unwrap();
    let request = format!(
        "GET /api/v1/stream?after=s1.0 HTTP/1.0\r\nHost: 127.0.0.1\r\n\
         wxdesk-protocol: 2\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    desk.write_all(request.as_bytes()).await.unwrap();
    let mut open = central.live_streams();
    within("the stream to open", open.wait_for(|&n| n == 1))
        .await
        .unwrap();
    // Far more than every buffer between the central and the desk holds (each change's event
    // carries the chunks of the hours it names: ≈ 6 MB in all), in many changes.
    let http = client();
    for b in 0..50 {
        let (status, body) = central
            .post_observations(&http, &minutes_of_everything(1 + b * 50, 50))
            .await;
        assert_eq!((status, body["stored"].as_u64()), (200, Some(800)));
    }
    // The central gives up on the desk instead of queueing for it: the stream's place is freed.
    within(
        "the stalled stream to be dropped",
        open.wait_for(|&n| n == 0),
    )
    .await
    .unwrap();
    let mut received = Vec::new();
    within(
        "the desk to read what reached it",
        desk.read_to_end(&mut received),
    )
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&received);
    let last = last_whole_event_id(&text).expect("some events arrived before the stall");
    let (_, health) = central.get_json(&http, "/health").await;
    let head = health["head"].as_u64().unwrap();
    assert!(
        last < head,
        "the desk got {last} of {head}: it was not cut off"
    );
    // It reconnects with the last id it holds and continues exactly after it.
    let mut resumed = central.open_stream(&http, "/stream", Some(last)).await;
    assert_eq!(resumed.next_change().await.seq, last + 1);
}

#[test]
fn the_last_whole_event_is_found_in_cut_text() {
    let cases = [
        (
            "id: s1.1\ndata: {}\n\nid: s1.2\ndata: {}\n\nid: s1.3\nda",
            Some(2),
        ),
        ("id: s1.a\ndata: {}\n\n", Some(10)),
        ("HTTP/1.0 200 OK\r\n\r\nid: s1.4\ndata", None),
    ];
    for (text, expected) in cases {
        assert_eq!(last_whole_event_id(text), expected, "{text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_spanning_76_years_and_a_concurrent_record_are_both_stored_and_judged() {
    use crate::support::{batch, minutes_from_now, record};
    let central = TestCentral::start().await;
    let http = client();
    // The batch that stalled ingest: one series, stamped 1950 and 2026. (The rows QC reads
    // for it are counted in the store's tests; here both requests must simply be answered.)
    let span = batch(&[
        record(
            "58819",
            "1950-01-01T00:00:00Z",
            serde_json::json!({"TEM": 8.5}),
        ),
        record(
            "58819",
            &minutes_from_now(-1),
            serde_json::json!({"TEM": 12.5}),
        ),
    ]);
    let single = batch(&[record(
        "708301",
        &minutes_from_now(-1),
        serde_json::json!({"TEM": 11.0}),
    )]);
    let ((span_status, span_body), (single_status, single_body)) = within("both ingests", async {
        tokio::join!(
            central.post_observations(&http, &span),
            central.post_observations(&http, &single)
        )
    })
    .await;
    assert_eq!(
        (span_status, span_body["stored"].as_u64()),
        (200, Some(2)),
        "{span_body}"
    );
    assert_eq!(
        (single_status, single_body["stored"].as_u64()),
        (200, Some(1))
    );
    let (status, old) = central
        .get_json(
            &http,
            "/observations/series?station=58819&element=TEM\
             &from=1950-01-01T00:00:00Z&to=1950-01-01T00:00:00Z",
        )
        .await;
    assert_eq!(status, 200, "{old}");
    assert_eq!(old["points"][0]["value"], 8.5);
}
