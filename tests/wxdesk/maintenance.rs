//! Maintenance windows and series views through real HTTP: technicians record and end
//! windows, others are refused, the change log carries them, and a view explains its gaps
//! with them.

use serde_json::{Value, json};
use wxdesk::domain::access::Role;
use wxdesk::domain::history::{GapCause, SeriesView};
use wxdesk::domain::time::{DAY_MS, MINUTE_MS};
use wxdesk::domain::{Observation, Timestamp};
use wxdesk::protocol::{ChangesPage, MaintenanceDto, MaintenanceList, ObservationRecord};

use crate::support::{
    TestCentral, batch, client, client_with, id, network, now, synthetic_observations,
};

macro_rules! central_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
}

/// `method path` with a JSON body as `role`: the status and the JSON answer.
async fn send(
    central: &TestCentral,
    role: Role,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let http = client_with(&central.token(role).await);
    let response = http
        .request(method, central.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn minutes(n: i64) -> String {
    now().plus_ms(n * MINUTE_MS).to_rfc3339()
}

central_test! {
    async fn technicians_record_and_end_windows_that_consoles_sync() {
        let central = TestCentral::start().await;
        let create = json!({"station": "708301", "from": minutes(-120), "note": "  更换雨量筒  "});
        let (status, forecaster) = send(&central, Role::DutyForecaster, reqwest::Method::POST, "/maintenance", &create).await;
        assert_eq!((status, forecaster["error"].as_str()), (403, Some("forbidden")), "{forecaster}");
        let (status, body) = send(&central, Role::Technician, reqwest::Method::POST, "/maintenance", &create).await;
        assert_eq!(status, 201, "{body}");
        let window: MaintenanceDto = serde_json::from_value(body).unwrap();
        assert_eq!((window.note.as_str(), window.recorded_by.as_str(), window.to), ("更换雨量筒", "technician", None));

        for (body, says) in [
            (json!({"station": "708399", "from": minutes(0), "note": "x"}), "not in this central's network"),
            (json!({"station": "708301", "from": minutes(0), "note": " "}), "note must not be empty"),
            (json!({"station": "708301", "from": minutes(0), "to": minutes(0), "note": "x"}), "must be after from"),
            (json!({"station": "708301", "from": minutes(24 * 60 + 1), "note": "x"}), "more than a day"),
        ] {
            let (status, answer) = send(&central, Role::Technician, reqwest::Method::POST, "/maintenance", &body).await;
            assert_eq!(status, 400, "{body}: {answer}");
            assert!(answer["message"].as_str().unwrap().contains(says), "{answer}");
        }

        let path = format!("/maintenance/{}", window.id);
        let (status, answer) = send(&central, Role::Technician, reqwest::Method::PATCH, &path, &json!({"to": minutes(-120)})).await;
        assert_eq!(status, 409, "ending before it starts: {answer}");
        let (status, _) = send(&central, Role::Technician, reqwest::Method::PATCH, "/maintenance/999", &json!({"to": minutes(0)})).await;
        assert_eq!(status, 404);
        let (status, _) = send(&central, Role::Supervisor, reqwest::Method::PATCH, &path, &json!({"to": minutes(0)})).await;
        assert_eq!(status, 403);
        let (status, body) = send(&central, Role::Technician, reqwest::Method::PATCH, &path, &json!({"to": minutes(-30)})).await;
        assert_eq!(status, 200, "{body}");
        let ended: MaintenanceDto = serde_json::from_value(body).unwrap();
        assert_eq!(ended.to, Some(now().plus_ms(-30 * MINUTE_MS)));

        // Everyone reads them; the filter names a station of the network.
        let (status, body) = central.get_json(&client(), "/maintenance?station=708301").await;
        assert_eq!(status, 200);
        let list: MaintenanceList = serde_json::from_value(body).unwrap();
        assert_eq!(list.windows, std::slice::from_ref(&ended));
        assert_eq!(central.get_json(&client(), "/maintenance?station=58819").await.1["windows"], json!([]));
        assert_eq!(central.get_json(&client(), "/maintenance?station=708399").await.0, 404);

        // The change log carries both states, so consoles (and their streams) follow.
        let (_, page) = central.get_json(&client(), "/changes").await;
        let page: ChangesPage = serde_json::from_value(page).unwrap();
        let windows: Vec<MaintenanceDto> = page
            .changes
            .iter()
            .filter(|c| c.kind == "maintenance")
            .map(|c| c.decode().unwrap())
            .collect();
        assert_eq!(windows, [window, ended]);
        let (_, raw) = central.get_json(&client(), "/changes").await;
        assert_eq!(raw["changes"][0]["kind"], "maintenance");

        let (_, audit) = central.get_json(&client(), "/audit?actor=user:technician&limit=20").await;
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .filter(|a| a.starts_with("maintenance"))
            .collect();
        assert_eq!(actions, ["maintenance_changed", "maintenance_recorded"]);
    }
}

/// Minutes of 58819 ending at `NOW` over a day, as ingest records, less the minutes `hole`
/// says (minute 1 is the first after the day's start).
fn a_day_of_58819(hole: impl Fn(i64) -> bool) -> Vec<Value> {
    let start = now().plus_ms(-DAY_MS);
    synthetic_observations(&network(), &[id("58819")], start.plus_ms(MINUTE_MS), now())
        .into_iter()
        .filter(|o: &Observation| !hole((o.time.millis() - start.millis()) / MINUTE_MS))
        .map(|o| serde_json::to_value(ObservationRecord::from(&o)).unwrap())
        .collect()
}

central_test! {
    async fn a_view_of_a_day_explains_its_gaps_and_counts_what_is_there() {
        let central = TestCentral::start().await;
        let start = now().plus_ms(-DAY_MS);
        let at = |minute: i64| start.plus_ms(minute * MINUTE_MS);
        // Minutes 300–359: the station is silent; 900–929: a technician is at work.
        let records = a_day_of_58819(|m| (300..360).contains(&m) || (900..930).contains(&m));
        assert_eq!(records.len(), 1440 - 90);
        let (status, body) = central.post_observations(&client(), &batch(&records)).await;
        assert_eq!(status, 200);
        assert_eq!(body["stored"], 1350, "{}", body["rejected"]);
        let work = json!({"station": "58819", "from": at(895).to_rfc3339(), "to": at(935).to_rfc3339(), "note": "温湿度传感器检修"});
        let (status, _) = send(&central, Role::Technician, reqwest::Method::POST, "/maintenance", &work).await;
        assert_eq!(status, 201);

        let query = format!(
            "/observations/view?station=58819&element=TEM&from={}&to={}&columns=1440",
            start.to_rfc3339(),
            now().to_rfc3339()
        );
        let (status, body) = central.get_json(&client(), &query).await;
        assert_eq!(status, 200, "{body}");
        let view: SeriesView = serde_json::from_value(body).unwrap();
        let gaps: Vec<(Timestamp, Timestamp, Option<GapCause>)> =
            view.raw.gaps.iter().map(|g| (g.after, g.before, g.cause)).collect();
        assert_eq!(
            gaps,
            [
                (at(299), at(360), Some(GapCause::StationOffline)),
                (at(899), at(930), Some(GapCause::Maintenance)),
            ]
        );
        let completeness = view.raw.completeness;
        assert_eq!((completeness.values, completeness.expected, completeness.interval_ms), (1350, 1440, MINUTE_MS));
        assert_eq!(view.view.total(wxdesk::domain::history::Which::All).unwrap().count, 1350);

        // A coarser view of the same day reads the same values from hourly rollups.
        let (_, coarse) = central.get_json(&client(), &query.replace("columns=1440", "columns=24")).await;
        let coarse: SeriesView = serde_json::from_value(coarse).unwrap();
        assert_eq!(coarse.view.level, wxdesk::domain::history::Level::Hour);
        assert_eq!(coarse.view.total(wxdesk::domain::history::Which::All).unwrap().count, 1350);
    }
}

central_test! {
    async fn bad_view_queries_are_explained() {
        let central = TestCentral::start().await;
        let http = client();
        let t0 = "2026-11-27T00:00:00Z";
        let t1 = "2026-11-27T10:00:00Z";
        for (query, status, says) in [
            (format!("station=58819&element=TEM&from={t1}&to={t1}&columns=10"), 400, "is not before"),
            (format!("station=58819&element=TEM&from={t1}&to={t0}&columns=10"), 400, "is not before"),
            (format!("station=58819&element=TEM&from={t0}&to={t1}&columns=0"), 400, "columns=0"),
            (format!("station=58819&element=TEM&from={t0}&to={t1}&columns=4001"), 400, "between 1 and 4000"),
            (format!("station=58819&element=TEM&from={t0}&to={t1}"), 400, "columns"),
            (format!("station=58819&element=XYZ&from={t0}&to={t1}&columns=10"), 400, "unknown element"),
            (format!("station=708399&element=TEM&from={t0}&to={t1}&columns=10"), 404, "not in this central's network"),
        ] {
            let (code, body) = central.get_json(&http, &format!("/observations/view?{query}")).await;
            assert_eq!(code, status, "{query}: {body}");
            assert!(body["message"].as_str().unwrap().contains(says), "{query}: {body}");
        }
    }
}
