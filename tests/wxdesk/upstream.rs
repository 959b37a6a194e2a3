//! The city's and province's warnings, end to end: a central reading a folder of CAP files
//! (`[warnings.upstream] dir`) answers those in force at its clock's time and names the file it
//! could not read; every role that may read gets them; the desk fetches them, refreshes them
//! while signed in, and lists them by sender.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tokio::sync::mpsc;
use wxdesk::console::backend::client::CentralClient;
use wxdesk::console::backend::credentials::{Credentials, NoKeyring};
use wxdesk::console::backend::session::{Emitter, Session, Token};
use wxdesk::console::backend::upstream::{UpstreamService, fetch_upstream};
use wxdesk::console::messages::{Event, WarningEvent};
use wxdesk::console::state::AppState;
use wxdesk::console::ui::i18n::{self, Language};
use wxdesk::console::ui::warnings::upstream::upstream_list_ui;
use wxdesk::console::ui::{Scene, fonts};
use wxdesk::domain::Timestamp;
use wxdesk::domain::access::{Capability, Role, Secret, allows};
use wxdesk::domain::time::{HOUR_MS, ManualClock};
use wxdesk::domain::warning::Level;
use wxdesk::protocol::warnings::{UpstreamList, UpstreamWarning};

use crate::support::{TestCentral, client, client_with, clock_at, within};

/// 18:00 Beijing time on the day the fixtures describe.
const EVENING: &str = "2026-12-06T18:00:00+08:00";

fn evening() -> Timestamp {
    Timestamp::parse_rfc3339(EVENING).unwrap()
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cap/upstream")
}

/// A central whose upstream folder holds a copy of `tests/data/cap/upstream`, at [`EVENING`].
async fn central_with_folder() -> (TestCentral, tempfile::TempDir, Arc<ManualClock>) {
    let folder = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, folder.path().join(path.file_name().unwrap())).unwrap();
    }
    let clock = clock_at(evening());
    let dir = folder.path().to_owned();
    let central_clock = clock.clone();
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, move |config| {
        config.clock = central_clock;
        config.upstream_dir = Some(dir);
    })
    .await;
    (central, folder, clock)
}

async fn upstream(central: &TestCentral, token: &str) -> (u16, Option<UpstreamList>) {
    let response = client_with(token)
        .get(central.url("/warnings/upstream"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.ok())
}

/// What the fixtures hold in force at [`EVENING`]: the city's rainstorm, and the province's
/// lightning as upgraded (its 12:00 yellow replaced); not its fog (cancelled at 10:00) nor the
/// city's cold wave (expired at 08:00).
const IN_FORCE_AT_EVENING: [Shown; 2] = [
    (
        "三明市气象台",
        Some("rainstorm"),
        Some(Level::Yellow),
        "Alert",
    ),
    (
        "福建省气象台",
        Some("lightning"),
        Some(Level::Orange),
        "Update",
    ),
];

/// Sender, signal, level and message type of a listed warning.
type Shown = (
    &'static str,
    Option<&'static str>,
    Option<Level>,
    &'static str,
);

fn shown(list: &UpstreamList) -> Vec<(&str, Option<&str>, Option<Level>, &str)> {
    list.warnings
        .iter()
        .map(|w| {
            (
                w.sender_name.as_str(),
                w.signal.as_deref(),
                w.level,
                w.msg_type.as_str(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_answers_what_is_in_force_and_names_the_unreadable_file() {
    let (central, folder, clock) = central_with_folder().await;
    let token = central.token(Role::DutyForecaster).await;
    let (status, list) = upstream(&central, &token).await;
    assert_eq!(status, 200);
    let list = list.unwrap();
    assert_eq!(shown(&list), IN_FORCE_AT_EVENING);
    let city = &list.warnings[0];
    assert_eq!(city.identifier, "35040041600001_20261206153000");
    assert_eq!(city.area_desc, "清流县、宁化县、明溪县");
    assert_eq!(city.source, "35040041600001_20261206153000.xml");
    assert_eq!(
        city.expires,
        Some(Timestamp::parse_rfc3339("2026-12-07T03:30:00+08:00").unwrap())
    );
    assert_eq!(list.refused.len(), 1, "{:?}", list.refused);
    assert!(
        list.refused["truncated.xml"].starts_with("line 19: not well-formed XML"),
        "{:?}",
        list.refused
    );

    // At 22:30 the province's orange has expired; a new city file shows without a restart, and
    // the broken one, once rewritten, is read again.
    clock.set(evening().plus_ms(4 * HOUR_MS + HOUR_MS / 2));
    let city_file = fixtures().join("35040041600001_20261206153000.xml");
    let lightning = std::fs::read_to_string(&city_file)
        .unwrap()
        .replace("20261206153000", "20261206220000")
        .replace("15:30:00", "22:00:00")
        .replace("暴雨", "雷电")
        .replace("11B03", "11B14");
    std::fs::write(folder.path().join("new.xml"), lightning).unwrap();
    std::fs::copy(&city_file, folder.path().join("truncated.xml")).unwrap();
    let (_, list) = upstream(&central, &token).await;
    let list = list.unwrap();
    assert_eq!(
        shown(&list),
        [
            (
                "三明市气象台",
                Some("lightning"),
                Some(Level::Yellow),
                "Alert"
            ),
            (
                "三明市气象台",
                Some("rainstorm"),
                Some(Level::Yellow),
                "Alert"
            ),
        ]
    );
    assert!(list.refused.is_empty(), "{:?}", list.refused);
}

/// A bureau's feed on 127.0.0.1: an Atom feed linking to the fixtures (one missing), each
/// request counted by path.
async fn feed_server() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::extract::Path as UrlPath;
    use axum::http::StatusCode;
    let fetched = Arc::new(std::sync::Mutex::new(Vec::new()));
    let feed = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>福建省预警</title>
  <entry><link type="application/cap+xml" href="cap/35040041600001_20261206153000.xml"/></entry>
  <entry><link type="application/cap+xml" href="cap/35000041600000_20261206160000.xml"/></entry>
  <entry><link type="application/cap+xml" href="cap/truncated.xml"/></entry>
  <entry><link type="application/cap+xml" href="cap/gone.xml"/></entry>
</feed>"#;
    let log = fetched.clone();
    let log_feed = fetched.clone();
    let app = axum::Router::new()
        .route(
            "/feed.xml",
            axum::routing::get(move || async move {
                log_feed.lock().unwrap().push("feed".into());
                feed
            }),
        )
        .route(
            "/cap/{name}",
            axum::routing::get(move |UrlPath(name): UrlPath<String>| async move {
                log.lock().unwrap().push(name.clone());
                std::fs::read(fixtures().join(&name)).map_err(|_| StatusCode::NOT_FOUND)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("{base}/feed.xml"), fetched)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_url_is_read_and_its_messages_fetched_once() {
    let (url, fetched) = feed_server().await;
    let clock = clock_at(evening());
    let feed_url = url.clone();
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, move |config| {
        config.clock = clock;
        config.upstream_url = Some(feed_url);
    })
    .await;
    let token = central.token(Role::Leader).await;
    for _ in 0..2 {
        let (status, list) = upstream(&central, &token).await;
        assert_eq!(status, 200);
        let list = list.unwrap();
        assert_eq!(shown(&list), IN_FORCE_AT_EVENING);
        let base = url.trim_end_matches("feed.xml");
        assert_eq!(
            list.warnings[0].source,
            format!("{base}cap/35040041600001_20261206153000.xml")
        );
        let refused: Vec<(&str, &str)> = list
            .refused
            .iter()
            .map(|(k, v)| (k.trim_start_matches(base), v.as_str()))
            .collect();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert_eq!(refused[0].0, "cap/gone.xml");
        assert_eq!(refused[0].1, "the server answered 404 Not Found");
        assert_eq!(refused[1].0, "cap/truncated.xml");
        assert!(
            refused[1].1.starts_with("line 19: not well-formed XML"),
            "{refused:?}"
        );
    }
    // The feed twice; each message once, except the one that never arrived.
    let mut fetched = fetched.lock().unwrap().clone();
    fetched.sort();
    assert_eq!(
        fetched,
        [
            "35000041600000_20261206160000.xml",
            "35040041600001_20261206153000.xml",
            "feed",
            "feed",
            "gone.xml",
            "gone.xml",
            "truncated.xml",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reader_may_see_them_and_nobody_else() {
    let (central, _folder, _clock) = central_with_folder().await;
    for role in Role::ALL {
        let (status, _) = upstream(&central, &central.token(role).await).await;
        let want = if allows(role, Capability::Read) {
            200
        } else {
            403
        };
        assert_eq!(status, want, "{role}");
    }
    let anonymous = client()
        .get(central.url("/warnings/upstream"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_folder_the_list_is_empty() {
    let central = TestCentral::start().await;
    let token = central.token(Role::Supervisor).await;
    let (status, list) = upstream(&central, &token).await;
    assert_eq!(status, 200);
    assert_eq!(
        list.unwrap(),
        UpstreamList {
            warnings: vec![],
            refused: Default::default()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_fetches_them_at_sign_in_on_request_and_on_its_timer() {
    let (central, folder, _clock) = central_with_folder().await;
    let token = central.token(Role::DutyForecaster).await;
    let desk = CentralClient::new(&central.base(), &[]).unwrap();
    let fetched = fetch_upstream(&desk.with_token(Secret::new(token.clone())))
        .await
        .unwrap();
    assert_eq!(fetched.len(), 2);
    assert!(fetch_upstream(&desk).await.is_err(), "no token, no list");

    let (events_tx, mut events) = mpsc::channel(16);
    let emitter = Emitter::new(events_tx, Arc::new(|| {}));
    let credentials = Credentials::new(None, &central.base(), Arc::new(NoKeyring));
    let session = Session::new(credentials, emitter.clone());
    let (requests, requests_rx) = mpsc::channel(4);
    // A short period, so the timer's refresh is seen without waiting minutes.
    let cache = Arc::new(std::sync::Mutex::new(
        wxdesk::store::cache::CacheDb::in_memory().unwrap(),
    ));
    let every = Duration::from_millis(200);
    let service = UpstreamService::new(desk, session.clone(), cache, emitter, every);
    let task = tokio::spawn(service.run(requests_rx));
    let mut next = async || -> Vec<UpstreamWarning> {
        loop {
            match within("an upstream event", events.recv()).await.unwrap() {
                Event::Warnings(WarningEvent::Upstream(warnings)) => return warnings,
                // The signal set, the recipient counts and the 叫应 roster, fetched at the same
                // times: the signal-set, composer and 叫应 tests look at them.
                Event::Warnings(
                    WarningEvent::SignalSet(_)
                    | WarningEvent::RecipientCounts(_)
                    | WarningEvent::Roster(_),
                ) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    assert!(next().await.is_empty(), "signed out: nothing shown");
    session.set(Token {
        secret: Secret::new(token),
        usable: true,
    });
    assert_eq!(next().await.len(), 2, "at sign-in");
    requests.send(()).await.unwrap();
    assert_eq!(next().await.len(), 2, "on request");
    std::fs::remove_file(folder.path().join("35040041600001_20261206153000.xml")).unwrap();
    let mut timed = next().await;
    while timed.len() == 2 {
        timed = next().await;
    }
    assert_eq!(timed.len(), 1, "the timer's refresh sees the file gone");
    drop(requests);
    within("the service to stop", task).await.unwrap();
}

#[test]
fn the_list_shows_each_sender_with_its_signals() {
    let mut state = AppState::new(evening());
    let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
    let warning = |sender: &str, signal: &str, level, sent: &str| UpstreamWarning {
        identifier: format!("{sender}{signal}"),
        sender_name: sender.into(),
        signal: Some(signal.into()),
        level: Some(level),
        headline: format!("{sender}发布预警信号"),
        msg_type: "Alert".into(),
        sent: at(sent),
        expires: Some(at("2026-12-07T03:30:00+08:00")),
        area_desc: "清流县、宁化县".into(),
        source: "x.xml".into(),
    };
    state.apply(
        Event::Warnings(WarningEvent::Upstream(vec![
            warning(
                "福建省气象台",
                "lightning",
                Level::Orange,
                "2026-12-06T16:00:00+08:00",
            ),
            warning(
                "三明市气象台",
                "rainstorm",
                Level::Yellow,
                "2026-12-06T15:30:00+08:00",
            ),
        ])),
        evening(),
    );
    let mut update = warning(
        "福建省气象台",
        "fog",
        Level::Yellow,
        "2026-12-06T06:00:00+08:00",
    );
    update.msg_type = "Update".into();
    update.expires = None;
    let mut listed = state.warnings.upstream.clone();
    listed.push(update);
    state.apply(Event::Warnings(WarningEvent::Upstream(listed)), evening());
    let harness = list_harness(state);
    for label in [
        " 大雾黄色 ",
        "更新",
        "未注明失效时间",
        "市、省预警",
        "三明市气象台",
        "福建省气象台",
        " 暴雨黄色 ",
        " 雷电橙色 ",
        "发布 15:30",
        "发布 16:00",
    ] {
        harness.get_by_label(label);
    }
    assert_eq!(harness.query_all_by_label("有效至 12-07 03:30").count(), 2);
    let city = harness.get_by_label("三明市气象台").rect();
    let province = harness.get_by_label("福建省气象台").rect();
    assert!(city.top() < province.top(), "the city is listed first");

    let harness = list_harness(AppState::new(evening()));
    harness.get_by_label("目前没有生效的市、省预警");
}

/// The list alone, drawn from `state` at [`EVENING`] in Chinese.
fn list_harness(state: AppState) -> Harness<'static> {
    Harness::builder()
        .with_size(egui::vec2(480.0, 400.0))
        .with_context_setup(fonts::install)
        .build_ui(move |ui| {
            let scene = Scene {
                state: &state,
                now: evening(),
                language: Language::Zh,
                text: i18n::strings(Language::Zh),
            };
            upstream_list_ui(ui, scene);
        })
}
