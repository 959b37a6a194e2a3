//! The central's HTTP API end to end, through real HTTP on 127.0.0.1.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wxdesk::protocol::{
    ChangesPage, Cursor, Health, IngestResponse, LatestResponse, NetworkDto, RecordStatus,
    SeriesResponse,
};

use wxdesk::domain::access::Role;

use crate::support::{
    SseItem, TestCentral, batch, client, client_with, minutes_from_now, now, record, within,
};

/// A multi-thread runtime: the central's blocking store calls and the client share it.
macro_rules! central_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
}

fn statuses(response: &IngestResponse) -> Vec<RecordStatus> {
    response.results.iter().map(|r| r.status).collect()
}

async fn ingest(
    central: &TestCentral,
    client: &reqwest::Client,
    records: Vec<Value>,
) -> IngestResponse {
    let (status, body) = central.post_observations(client, &batch(&records)).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn changes(central: &TestCentral, client: &reqwest::Client, query: &str) -> ChangesPage {
    let (status, body) = central.get_json(client, &format!("/changes{query}")).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Every series hour a page's changes name, as `(station, element code)`, sorted.
fn named(page: &ChangesPage) -> Vec<(String, String)> {
    let mut named: Vec<(String, String)> = page
        .changes
        .iter()
        .flat_map(|c| c.named_hours())
        .map(|h| (h.station, h.element.code().to_owned()))
        .collect();
    named.sort();
    named
}

/// The `seq`s inside cursors (the central's side of a test may look).
fn seqs(page: &ChangesPage) -> Vec<u64> {
    page.changes
        .iter()
        .map(|c| c.cursor.seq().unwrap())
        .collect()
}

/// Ingests each record as its own batch: one change each.
async fn ingest_each(central: &TestCentral, client: &reqwest::Client, records: Vec<Value>) {
    for record in records {
        ingest(central, client, vec![record]).await;
    }
}

/// `n` one-minute TEM records of 58819 ending `NOW - offset` minutes.
fn minutes_of_58819(n: i64, offset: i64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            record(
                "58819",
                &minutes_from_now(-offset - i),
                json!({"TEM": 10.0 + i as f64}),
            )
        })
        .collect()
}

central_test! {
    async fn health_reports_clock_head_and_network_size() {
        let central = TestCentral::start().await;
        let client = client();
        let (status, body) = central.get_json(&client, "/health").await;
        assert_eq!(status, 200);
        let health: Health = serde_json::from_value(body).unwrap();
        assert_eq!(health.status, "ok");
        assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(health.time, "2026-11-27T10:00:00Z", "the injected clock");
        assert_eq!((health.head, health.stations), (0, 16));
    }
}

central_test! {
    async fn stations_are_qingliu_s_real_network() {
        let central = TestCentral::start().await;
        let (status, body) = central.get_json(&client(), "/stations").await;
        assert_eq!(status, 200);
        let network: NetworkDto = serde_json::from_value(body).unwrap();
        assert_eq!(network.stations.len(), 16);
        assert_eq!(network.townships.len(), 13);
        assert_eq!(network, NetworkDto::from(&wxdesk::assets::qingliu_network().unwrap()));
        let national = network.stations.iter().find(|s| s.id == "58819").unwrap();
        assert_eq!((national.lat, national.lon, national.altitude_m), (26.1833, 116.8167, 336.9));
        assert_eq!(national.township, 350423100, "龙津镇");
        assert!(national.uncertainty.as_deref().unwrap().contains("363.1 m"));
        let flagged = network.stations.iter().filter(|s| s.uncertainty.is_some()).count();
        assert!(flagged >= 4, "uncertainty flags survive the round trip ({flagged})");
        let unflagged = network.stations.iter().find(|s| s.id == "708304").unwrap();
        assert_eq!(unflagged.uncertainty, None);
    }
}

central_test! {
    async fn posting_the_same_batch_twice_stores_it_once() {
        let central = TestCentral::start().await;
        let client = client();
        let records = vec![
            record("58819", &minutes_from_now(-1), json!({"TEM": 12.3, "RHU": 85, "PRE_1h": 0.0})),
            record("708308", &minutes_from_now(-1), json!({"TEM": 6.4, "RHU": 97})),
        ];
        let first = ingest(&central, &client, records.clone()).await;
        assert_eq!(statuses(&first), [RecordStatus::Stored, RecordStatus::Stored]);
        assert_eq!(first.results[0].stored_values, 3);
        let log = changes(&central, &client, "").await;
        assert_eq!(log.head, Cursor::from_seq(1), "one change for the batch");
        assert_eq!(named(&log).len(), 5, "58819 TEM RHU PRE_1h, 708308 TEM RHU");
        assert_eq!(log.chunks.len(), 5);

        let second = ingest(&central, &client, records).await;
        assert_eq!(statuses(&second), [RecordStatus::Duplicate, RecordStatus::Duplicate]);
        assert_eq!((second.stored, second.duplicate), (0, 2));
        assert_eq!(changes(&central, &client, "").await, log, "the log is unchanged");
        let (_, series) = central
            .get_json(
                &client,
                &format!(
                    "/observations/series?station=58819&element=TEM&from={}&to={}",
                    minutes_from_now(-60),
                    minutes_from_now(0)
                ),
            )
            .await;
        assert_eq!(series["points"].as_array().unwrap().len(), 1);
    }
}

central_test! {
    async fn a_mixed_batch_is_judged_record_by_record() {
        let central = TestCentral::start().await;
        let client = client();
        let t = minutes_from_now(-2);
        let records = vec![
            record("58819", &t, json!({"TEM": 12.3, "RHU": 85})),
            json!({"station": "708301", "values": {"TEM": 1.0}}),
            json!("not even an object"),
            record("708302", &t, json!({"TEM": 11.0, "RHU": 130})),
            record("708303", &t, json!({"RHU": 140})),
            record("708399", &t, json!({"TEM": 11.0})),
            record("708304", &minutes_from_now(30), json!({"TEM": 11.0})),
            record("708305", "27/11/2026 10:00", json!({"TEM": 11.0})),
            record("708306", &t, json!({"TEM": 11.0, "WIND": 3})),
        ];
        let response = ingest(&central, &client, records).await;
        use RecordStatus::{Partial, Rejected, Stored};
        assert_eq!(
            statuses(&response),
            [Stored, Rejected, Rejected, Partial, Rejected, Rejected, Rejected, Rejected, Partial]
        );
        assert_eq!(
            (response.stored, response.duplicate, response.partial, response.rejected),
            (1, 0, 2, 6)
        );
        let error = |i: usize| response.results[i].errors.join("; ");
        assert!(error(1).contains("missing field `time`"), "{}", error(1));
        assert!(error(2).contains("malformed"), "{}", error(2));
        assert!(error(3).contains("RHU: 130 is outside the physical range 0..=100 %"), "{}", error(3));
        assert!(error(5).contains("708399 is not in this central's network"), "{}", error(5));
        assert!(error(6).contains("in the future"), "{}", error(6));
        assert!(error(7).contains("RFC 3339"), "{}", error(7));
        assert!(error(8).contains("unknown element \"WIND\""), "{}", error(8));
        for (i, result) in response.results.iter().enumerate() {
            assert_eq!(result.index, i);
        }

        // The good values are stored, and only they reached the change log.
        let log = changes(&central, &client, "").await;
        let pair = |s: &str, e: &str| (s.to_owned(), e.to_owned());
        assert_eq!(
            named(&log),
            [pair("58819", "RHU"), pair("58819", "TEM"), pair("708302", "TEM"), pair("708306", "TEM")]
        );
    }
}

central_test! {
    async fn a_conflicting_value_is_refused_naming_the_stored_one() {
        let central = TestCentral::start().await;
        let client = client();
        let t = minutes_from_now(-1);
        ingest(&central, &client, vec![record("58819", &t, json!({"TEM": 12.3}))]).await;
        let response = ingest(&central, &client, vec![record("58819", &t, json!({"TEM": 12.8}))]).await;
        assert_eq!(statuses(&response), [RecordStatus::Rejected]);
        assert!(response.results[0].errors[0].contains("12.8 differs from the stored 12.3"));
        assert_eq!(changes(&central, &client, "").await.head, Cursor::from_seq(1));
    }
}

central_test! {
    async fn errors_are_json_with_the_right_status() {
        let central = TestCentral::start().await;
        // A technician may both read and ingest.
        let client = client_with(&central.token(Role::Technician).await);
        let check = |response: reqwest::Response, status: u16, code: &'static str, needle: &'static str| async move {
            assert_eq!(response.status().as_u16(), status);
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], code, "{body}");
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(needle), "{message:?} should mention {needle:?}");
        };
        let post = |body: &'static str| {
            client
                .post(central.url("/observations"))
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        check(post("{not json").await.unwrap(), 400, "invalid_body", "key must be a string").await;
        check(post(r#"{"records": []}"#).await.unwrap(), 400, "invalid_body", "missing field `observations`").await;
        check(post(r#"{"observations": {}}"#).await.unwrap(), 400, "invalid_body", "expected a sequence").await;

        let get = |path: &str| client.get(central.url(path)).send();
        check(get("/nowhere").await.unwrap(), 404, "not_found", "GET /api/v1/nowhere").await;
        check(client.get(format!("{}/", central.base())).send().await.unwrap(), 404, "not_found", "no route").await;
        check(get("/changes?after=-1").await.unwrap(), 400, "invalid_cursor", "not a cursor").await;
        check(get("/changes?limit=0").await.unwrap(), 400, "out_of_bounds", "between 1 and 10000").await;
        check(get("/changes?limit=10001").await.unwrap(), 400, "out_of_bounds", "between 1 and 10000").await;
        check(get("/observations/series?station=58819").await.unwrap(), 400, "bad_request", "missing field").await;
        check(
            get("/observations/series?station=708399&element=TEM&from=2026-11-27T00:00:00Z&to=2026-11-27T01:00:00Z").await.unwrap(),
            404,
            "unknown_station",
            "708399",
        )
        .await;
        check(get("/stream?after=s1.63").await.unwrap(), 409, "cursor_ahead", "beyond").await;
        check(get("/changes?after=s1.63").await.unwrap(), 409, "cursor_ahead", "beyond").await;
        check(
            client.get(central.url("/stream")).header("Last-Event-ID", "x").send().await.unwrap(),
            400,
            "invalid_cursor",
            "not a cursor",
        )
        .await;

        let wrong = client.delete(central.url("/stations")).send().await.unwrap();
        assert_eq!(wrong.headers()["allow"], "GET,HEAD");
        check(wrong, 405, "method_not_allowed", "/api/v1/stations does not accept DELETE").await;
        check(get("/observations").await.unwrap(), 405, "method_not_allowed", "GET").await;

        let too_many = batch(&vec![json!({}); wxdesk::central::MAX_BATCH_RECORDS + 1]);
        let response = client.post(central.url("/observations")).json(&too_many).send().await.unwrap();
        check(response, 413, "payload_too_large", "10001 records exceeds 10000").await;
        let huge = format!(r#"{{"observations": ["{}"]}}"#, "x".repeat(wxdesk::central::MAX_BODY_BYTES));
        let response = client
            .post(central.url("/observations"))
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        check(response, 413, "payload_too_large", "16 MiB").await;
    }
}

central_test! {
    async fn latest_holds_the_newest_value_of_each_element() {
        let central = TestCentral::start().await;
        let client = client();
        ingest(&central, &client, minutes_of_58819(5, 0)).await;
        ingest(
            &central,
            &client,
            vec![
                record("708310", &minutes_from_now(-3), json!({"TEM": 9.0, "RHU": 90})),
                record("708310", &minutes_from_now(-1), json!({"TEM": 9.5})),
            ],
        )
        .await;
        let (status, body) = central.get_json(&client, "/observations/latest").await;
        assert_eq!(status, 200);
        let latest: LatestResponse = serde_json::from_value(body.clone()).unwrap();
        let ids: Vec<&str> = latest.stations.iter().map(|s| s.station.as_str()).collect();
        assert_eq!(ids, ["58819", "708310"]);
        assert_eq!(body["stations"][0]["values"]["TEM"], json!({"time": "2026-11-27T10:00:00Z", "value": 10.0}));
        assert_eq!(body["stations"][1]["values"]["TEM"], json!({"time": "2026-11-27T09:59:00Z", "value": 9.5}));
        assert_eq!(body["stations"][1]["values"]["RHU"], json!({"time": "2026-11-27T09:57:00Z", "value": 90.0}));
    }
}

central_test! {
    async fn series_covers_an_inclusive_time_range() {
        let central = TestCentral::start().await;
        let client = client();
        ingest(&central, &client, minutes_of_58819(10, 0)).await;
        // From 09:52 to 09:55 Beijing-offset written: the range is normalised to UTC.
        let (status, body) = central
            .get_json(
                &client,
                "/observations/series?station=58819&element=TEM&from=2026-11-27T17:52:00%2B08:00&to=2026-11-27T09:55:00Z",
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let series: SeriesResponse = serde_json::from_value(body).unwrap();
        assert_eq!(series.unit, "°C");
        assert_eq!(series.from.to_rfc3339(), "2026-11-27T09:52:00Z");
        let points: Vec<(String, f64)> =
            series.points.iter().map(|p| (p.time.to_rfc3339(), p.value)).collect();
        assert_eq!(
            points,
            [
                ("2026-11-27T09:52:00Z".into(), 18.0),
                ("2026-11-27T09:53:00Z".into(), 17.0),
                ("2026-11-27T09:54:00Z".into(), 16.0),
                ("2026-11-27T09:55:00Z".into(), 15.0),
            ]
        );
        let (status, body) = central
            .get_json(&client, "/observations/series?station=58819&element=RHU&from=2026-11-27T00:00:00Z&to=2026-11-28T00:00:00Z")
            .await;
        assert_eq!((status, body["points"].clone()), (200, json!([])));
    }
}

central_test! {
    async fn the_change_log_pages_from_a_cursor() {
        let central = TestCentral::start().await;
        let client = client();
        ingest_each(&central, &client, minutes_of_58819(5, 0)).await;
        let mut after = String::new();
        let mut pages = Vec::new();
        loop {
            let page = changes(&central, &client, &format!("?limit=2{after}")).await;
            assert_eq!(page.head, Cursor::from_seq(5));
            if page.changes.is_empty() {
                break;
            }
            pages.push(seqs(&page));
            after = format!("&after={}", page.next);
        }
        assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5]]);
        let first = changes(&central, &client, "?limit=1").await;
        assert_eq!(first.changes[0].recorded_at, now());
        assert_eq!(first.next, Cursor::from_seq(1));
        assert_eq!(first.behind, 4);
        assert_eq!(named(&first), [("58819".to_owned(), "TEM".to_owned())]);
    }
}

central_test! {
    async fn the_stream_sends_the_backlog_then_live_changes_and_resumes_exactly() {
        let central = TestCentral::start().await;
        let client = client();
        ingest_each(&central, &client, minutes_of_58819(3, 10)).await;

        let mut stream = central.open_stream(&client, "/stream?after=s1.1", None).await;
        assert_eq!(stream.next_seqs(2).await, [2, 3], "backlog after the cursor");
        ingest_each(&central, &client, minutes_of_58819(2, 0)).await;
        let live = stream.next_change().await;
        assert_eq!(live.seq, 4);
        // The event carries the current chunk of the hour its change names.
        let hours = live.change.named_hours();
        assert_eq!(hours.len(), 1);
        assert_eq!(live.chunks.len(), 1);
        assert_eq!(live.chunks[0].hour, hours[0]);
        assert_eq!(live.chunks[0].hour.start.to_rfc3339(), "2026-11-27T09:00:00Z");
        assert_eq!(stream.next_change().await.seq, 5);
        drop(stream);

        // Changes committed while disconnected arrive on reconnect, after Last-Event-ID
        // (which wins over `after`), then the stream goes live again with nothing repeated.
        ingest_each(&central, &client, minutes_of_58819(2, 20)).await;
        let mut stream = central.open_stream(&client, "/stream?after=s1.0", Some(5)).await;
        assert_eq!(stream.next_seqs(2).await, [6, 7]);
        ingest(&central, &client, vec![record("708315", &minutes_from_now(0), json!({"TEM": 8.0}))]).await;
        assert_eq!(stream.next_change().await.seq, 8);
    }
}

central_test! {
    async fn without_a_cursor_the_stream_starts_at_the_head() {
        let central = TestCentral::start().await;
        let client = client();
        ingest_each(&central, &client, minutes_of_58819(3, 10)).await;
        let mut stream = central.open_stream(&client, "/stream", None).await;
        ingest(&central, &client, minutes_of_58819(1, 0)).await;
        assert_eq!(stream.next_change().await.seq, 4);
    }
}

central_test! {
    async fn concurrent_batches_reach_the_stream_in_order_without_gaps() {
        let central = TestCentral::start().await;
        let client = client();
        let mut stream = central.open_stream(&client, "/stream?after=s1.0", None).await;
        let posts = (0..8).flat_map(|batch_no| {
            let client = &client;
            let central = &central;
            (0..5).map(move |i| {
                let station = format!("7083{:02}", batch_no + 1);
                let one = record(&station, &minutes_from_now(-i), json!({"TEM": 5.0}));
                ingest(central, client, vec![one])
            })
        });
        futures_util::future::join_all(posts).await;
        let seqs = stream.next_seqs(40).await;
        assert_eq!(seqs, (1..=40).collect::<Vec<u64>>());
    }
}

central_test! {
    async fn a_quiet_stream_sends_keep_alives() {
        let central = TestCentral::start_with_keep_alive(Duration::from_millis(50)).await;
        let mut stream = central.open_stream(&client(), "/stream", None).await;
        let item = within("a keep-alive", stream.next_item()).await;
        assert!(matches!(item, Some(SseItem::Comment(_))), "{item:?}");
    }
}

central_test! {
    async fn shutdown_ends_streams_and_a_restart_keeps_data_and_sequence() {
        let mut central = TestCentral::start().await;
        let client = client();
        ingest_each(&central, &client, minutes_of_58819(3, 0)).await;
        let mut stream = central.open_stream(&client, "/stream?after=s1.0", None).await;
        assert_eq!(stream.next_seqs(3).await, [1, 2, 3]);

        let started = Instant::now();
        central.shutdown().await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
        assert_eq!(stream.next_event().await, None, "the stream ended");
        assert!(client.get(central.url("/health")).send().await.is_err(), "the port is closed");

        central.restart().await;
        let (_, body) = central.get_json(&client, "/health").await;
        assert_eq!(body["head"], 3);
        let again = ingest(&central, &client, minutes_of_58819(4, 0)).await;
        assert_eq!((again.duplicate, again.stored), (3, 1), "data survived the restart");
        let log = changes(&central, &client, "?after=s1.3").await;
        assert_eq!(seqs(&log), [4]);
    }
}

central_test! {
    async fn a_damaged_database_stops_start_up_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("central.sqlite");
        std::fs::write(&db, vec![0x42; 8192]).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = wxdesk::central::CentralConfig::new(&db, wxdesk::assets::qingliu_network().unwrap());
        let error = wxdesk::central::start(listener, config).await.unwrap_err();
        let message = error.to_string();
        assert!(message.contains("not an SQLite database"), "{message}");
        assert!(message.contains("central.sqlite"), "{message}");
    }
}
