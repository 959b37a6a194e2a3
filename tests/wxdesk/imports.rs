//! Observation files imported through `POST /imports`: all or nothing, with the records of
//! stations outside the network skipped and counted, and every import audited.

use serde_json::{Value, json};
use wxdesk::domain::access::Role;
use wxdesk::domain::history::{SeriesView, SourceSet};
use wxdesk::domain::{Element, Source, StationId};
use wxdesk::protocol::{ChangesPage, ImportReport};
use wxdesk::store::observations::every_value;

use crate::support::{TestCentral, client, client_with};

macro_rules! central_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
}

/// The real national 24 h rain map of 2019-05-20 08:00 BJT (MICAPS type 3, GBK).
const RAIN_MAP: &[u8] = include_bytes!("../data/micaps/rain_without0.txt");
/// Two of Qingliu's stations, three hours each (CSV, invented values).
const HOURLY_CSV: &[u8] = include_bytes!("../data/import/qingliu_hourly.csv");

/// `POST /imports{query}` with `body` as `role`: the status and the JSON answer.
async fn import(central: &TestCentral, role: Role, query: &str, body: &[u8]) -> (u16, Value) {
    let http = client_with(&central.token(role).await);
    let response = http
        .post(central.url(&format!("/imports{query}")))
        .header("content-type", "text/plain")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn imported(central: &TestCentral, query: &str, body: &[u8]) -> ImportReport {
    let (status, body) = import(central, Role::Technician, query, body).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn head(central: &TestCentral) -> u64 {
    let (_, health) = central.get_json(&client(), "/health").await;
    health["head"].as_u64().unwrap()
}

/// Every value in the central's database, read straight from the file.
fn values(central: &TestCentral) -> Vec<(StationId, Element, wxdesk::domain::history::Sample)> {
    let conn = wxdesk::store::sqlite::open(central.db_path()).unwrap();
    every_value(&conn).unwrap()
}

async fn audit(central: &TestCentral) -> Vec<Value> {
    let (status, page) = central
        .get_json(&client(), "/audit?action=observations_imported&limit=100")
        .await;
    assert_eq!(status, 200, "{page}");
    page["entries"].as_array().unwrap().clone()
}

central_test! {
    async fn a_national_rain_map_imports_qingliu_s_station_once() {
        let central = TestCentral::start().await;
        let report = imported(&central, "?name=rain_without0.txt", RAIN_MAP).await;
        assert_eq!(report.format, "micaps3", "detected from the diamond line");
        assert_eq!(report.title, "2019年05月20日08点24小时降雨量");
        assert_eq!((report.records, report.imported, report.outside_network), (1232, 1, 1231));
        assert_eq!((report.new_values, report.duplicate_values), (1, 0));
        assert_eq!(report.outside_examples.len(), 5);
        let at = wxdesk::domain::Timestamp::parse_rfc3339("2019-05-20T00:00:00Z").unwrap();
        assert_eq!(report.span, Some((at, at)), "08:00 Beijing time");
        let after_first = head(&central).await;
        assert!(after_first >= 1);

        let (status, body) = central
            .get_json(
                &client(),
                "/observations/view?station=58819&element=PRE_24h\
                 &from=2019-05-19T12:00:00Z&to=2019-05-20T12:00:00Z&columns=24",
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let view: SeriesView = serde_json::from_value(body).unwrap();
        let total = view.view.total(wxdesk::domain::history::Which::All).unwrap();
        assert_eq!((total.count, total.max, total.max_at), (1, 23.9, at));
        assert!(total.sources.contains(Source::Imported));
        assert_eq!(total.sources, SourceSet::of(Source::Imported));
        let (_, series) = central
            .get_json(
                &client(),
                "/observations/series?station=58819&element=PRE_24h\
                 &from=2019-05-20T00:00:00Z&to=2019-05-20T00:00:00Z",
            )
            .await;
        assert_eq!(series["points"][0]["value"], 23.9, "{series}");

        // The import's change names the hour; the page carries it as stored.
        let (_, page) = central.get_json(&client(), "/changes").await;
        let page: ChangesPage = serde_json::from_value(page).unwrap();
        let named = page.changes.last().unwrap().named_hours();
        let hour = named
            .iter()
            .find(|h| h.station == "58819" && h.element == Element::Pre24h)
            .expect("58819's PRE_24h hour named");
        let chunk = page.chunks.iter().find(|c| &c.hour == hour).expect("its chunk");
        let chunk = wxdesk::store::chunk::Chunk::decode(hour.start, hour.element, &chunk.data.0).unwrap();
        let sample = chunk.samples()[0];
        assert_eq!((sample.value, sample.source), (23.9, Source::Imported));

        // Again: every value is already there, so nothing changes.
        let again = imported(&central, "?name=rain_without0.txt&format=micaps3", RAIN_MAP).await;
        assert_eq!((again.imported, again.new_values, again.duplicate_values), (1, 0, 1));
        assert_eq!(head(&central).await, after_first, "no new change");

        let entries = audit(&central).await;
        assert_eq!(entries.len(), 2);
        for entry in &entries {
            assert_eq!(entry["actor"], "user:technician");
            assert_eq!(entry["outcome"], "ok");
            assert_eq!(entry["target"], "file:rain_without0.txt");
            let detail: Value = serde_json::from_str(entry["details"].as_str().unwrap()).unwrap();
            assert_eq!(
                (&detail["code"], &detail["format"], &detail["records"], &detail["imported"]),
                (&json!("file_imported"), &json!("micaps3"), &json!(1232), &json!(1)),
                "{entry}"
            );
        }
    }
}

/// `RAIN_MAP` with one line edited by `edit`.
fn rain_map_with(line: usize, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let text = encoding_rs::GBK.decode(RAIN_MAP).0;
    let lines: Vec<String> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| if i + 1 == line { edit(l) } else { l.to_owned() })
        .collect();
    encoding_rs::GBK.encode(&lines.join("\n")).0.into_owned()
}

central_test! {
    async fn a_malformed_file_is_refused_whole_naming_its_line() {
        let central = TestCentral::start().await;
        imported(&central, "?name=qingliu_hourly.csv", HOURLY_CSV).await;
        let (head_before, values_before) = (head(&central).await, values(&central));
        let letter = rain_map_with(775, |l| l.replace("23.9", "2x.9"));
        let truncated = &RAIN_MAP[..RAIN_MAP.len() / 2];
        let future = b"station,time,TEM\n58819,2026-11-27 17:00,11.5\n708301,2026-11-27 19:00,11.0\n";
        let cases: [(&str, &[u8], &str); 4] = [
            ("?name=rain.txt", letter.as_slice(), "rain.txt: line 775:"),
            ("?name=half.txt", truncated, "half.txt: line "),
            ("?name=late.csv", &future[..], "late.csv: line 3: time 2026-11-27T11:00:00Z is 3600 s in the future"),
            ("?name=abroad.csv", &b"station,time,TEM\n54511,2026-11-27 17:00,1.5\n"[..], "no station of this file is in the network; stations outside it: 1 (54511)"),
        ];
        for (query, body, says) in cases {
            let (status, answer) = import(&central, Role::Technician, query, body).await;
            assert_eq!(status, 422, "{query}: {answer}");
            assert_eq!(answer["error"], "import_refused");
            let message = answer["message"].as_str().unwrap();
            assert!(message.contains(says), "{query}: {message}");
            assert!(message.ends_with("nothing of the file was imported"), "{message}");
        }
        assert_eq!(head(&central).await, head_before);
        assert_eq!(values(&central), values_before, "nothing of a refused file remains");

        let entries = audit(&central).await;
        let outcomes: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e["target"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("file:abroad.csv", "failed"),
                ("file:late.csv", "failed"),
                ("file:half.txt", "failed"),
                ("file:rain.txt", "failed"),
                ("file:qingliu_hourly.csv", "ok"),
            ]
        );
        let detail: Value = serde_json::from_str(entries[3]["details"].as_str().unwrap()).unwrap();
        assert_eq!((&detail["code"], &detail["line"]), (&json!("file_refused"), &json!(775)), "{detail}");
        // The late file's entry keeps its cause as the registry's code and parameters, so a
        // supervisor's desk says it in Chinese rather than showing the central's English.
        let late: Value = serde_json::from_str(entries[1]["details"].as_str().unwrap()).unwrap();
        assert_eq!(
            late["cause"],
            json!({"code": "time_in_future", "params": {"time": "2026-11-27T11:00:00Z", "ahead_s": "3600"}}),
            "{late}"
        );
    }
}

central_test! {
    async fn a_csv_imports_and_a_conflicting_reimport_is_refused_whole() {
        let central = TestCentral::start().await;
        let report = imported(&central, "?name=qingliu_hourly.csv", HOURLY_CSV).await;
        assert_eq!((report.format.as_str(), report.records, report.imported), ("csv", 6, 6));
        assert_eq!((report.new_values, report.missing_values, report.outside_network), (32, 4, 0));
        let (head_before, values_before) = (head(&central).await, values(&central));
        assert!(values_before.iter().all(|(_, _, s)| s.source == Source::Imported));

        // New hours first, then one value that contradicts the stored one: the new hours must
        // not remain either.
        let conflicting = "station,time,TEM\n\
                           708301,2025-06-17 11:00,26.0\n\
                           708301,2025-06-17 12:00,26.4\n\
                           58819,2025-06-17 09:00,26.9\n";
        let (status, answer) = import(&central, Role::Technician, "?format=csv&name=fix.csv", conflicting.as_bytes()).await;
        assert_eq!(status, 422, "{answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with("fix.csv: line 4: TEM of 58819 at 2025-06-17T01:00:00Z: 26.9 differs from the stored 25.9"),
            "{message}"
        );
        assert_eq!(head(&central).await, head_before);
        assert_eq!(values(&central), values_before);

        // Unknown codes in the query are bad requests, not refused files.
        for (query, code) in [("?format=xls", "unknown_format"), ("?format=micaps3&element=RAIN", "unknown_element")] {
            let (status, answer) = import(&central, Role::Technician, query, HOURLY_CSV).await;
            assert_eq!((status, answer["error"].as_str()), (400, Some(code)), "{query}");
        }
        // A forecaster may not import at all.
        assert_eq!(import(&central, Role::DutyForecaster, "", HOURLY_CSV).await.0, 403);
    }
}

central_test! {
    async fn a_file_over_16_mib_is_too_large() {
        let central = TestCentral::start().await;
        let big = vec![b'x'; wxdesk::central::MAX_BODY_BYTES + 1];
        let (status, answer) = import(&central, Role::Technician, "", &big).await;
        assert_eq!((status, answer["error"].as_str()), (413, Some("payload_too_large")), "{answer}");
        assert!(audit(&central).await.is_empty(), "an unread file is no import");
    }
}

central_test! {
    async fn the_server_console_imports_through_the_same_path() {
        let central = TestCentral::start().await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rain_without0.txt");
        std::fs::write(&file, RAIN_MAP).unwrap();
        let mut out = Vec::new();
        let query = wxdesk::protocol::ImportQuery {
            element: Some("PRE_24h".into()),
            ..Default::default()
        };
        wxdesk::central::maintenance::import(central.db_path(), None, &query, &file, &mut out).unwrap();
        let printed = String::from_utf8(out).unwrap();
        assert!(printed.starts_with("rain_without0.txt (micaps3)"), "{printed}");
        assert!(printed.contains("1232 records: 1 imported (1 new values"), "{printed}");
        assert!(printed.contains("1231 stations outside the network skipped"), "{printed}");

        // The serving central reads what the command stored.
        let (_, series) = central
            .get_json(
                &client(),
                "/observations/series?station=58819&element=PRE_24h\
                 &from=2019-05-20T00:00:00Z&to=2019-05-20T00:00:00Z",
            )
            .await;
        assert_eq!(series["points"][0]["value"], 23.9, "{series}");
        let entry = audit(&central).await.remove(0);
        assert_eq!((entry["actor"].as_str(), entry["outcome"].as_str()), (Some("cli"), Some("ok")));
        assert!(entry["workstation"].as_str().unwrap().starts_with("server console"), "{entry}");

        // A refused file is an error for the operator, and audited too.
        std::fs::write(&file, &RAIN_MAP[..RAIN_MAP.len() / 2]).unwrap();
        let error = wxdesk::central::maintenance::import(central.db_path(), None, &query, &file, &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("rain_without0.txt: line "), "{error}");
        assert_eq!(audit(&central).await[0]["outcome"], "failed");
    }
}
