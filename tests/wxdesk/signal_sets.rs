//! A province's signal set by configuration: the central judges compositions by the file
//! `[warnings] signals` names and serves it; the desk fetches it at sign-in, keeps it for an
//! offline start, fetches again only when its digest changes, and judges its suggestions by it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use wxdesk::central::warnings::settings::{SignalSet, WarningSettings};
use wxdesk::console::backend::client::CentralClient;
use wxdesk::console::backend::credentials::{Credentials, NoKeyring};
use wxdesk::console::backend::session::{Emitter, Session, Token};
use wxdesk::console::backend::upstream::UpstreamService;
use wxdesk::console::messages::warnings::DeskSignalSet;
use wxdesk::console::messages::{Event, SyncEvent, WarningEvent};
use wxdesk::console::state::AppState;
use wxdesk::domain::access::{Role, Secret};
use wxdesk::domain::time::HOUR_MS;
use wxdesk::domain::warning::Level;
use wxdesk::domain::{Element, Observation, Source, StationId};
use wxdesk::protocol::warnings::SignalSetDto;
use wxdesk::store::cache::CacheDb;

use crate::support::{TestCentral, client_with, network, now, within};

/// A province's set made from the national one: the rainstorm's blue level at 30 mm in 12 h
/// instead of 50, and no haze signal.
fn province_file(dir: &Path) -> PathBuf {
    let mut set: Value = serde_json::from_slice(wxdesk::assets::SIGNALS_JSON).unwrap();
    let signals = set["signals"].as_array_mut().unwrap();
    signals.retain(|s| s["id"] != "haze");
    let rainstorm = signals.iter_mut().find(|s| s["id"] == "rainstorm").unwrap();
    rainstorm["levels"][0]["conditions"][0]["value"] = 30.into();
    rainstorm["levels"][0]["criteria_zh"] = "12小时内降雨量将达30毫米以上。".into();
    let path = dir.join("province-signals.json");
    std::fs::write(&path, serde_json::to_vec(&set).unwrap()).unwrap();
    path
}

async fn province_central(file: &Path) -> TestCentral {
    let signals = SignalSet::from_files(file, None).unwrap();
    TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.warnings = WarningSettings {
            signals,
            ..WarningSettings::default()
        };
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_judges_by_the_configured_set_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let central = province_central(&province_file(dir.path())).await;
    let token = central.token(Role::DutyForecaster).await;
    let served: SignalSetDto = client_with(&token)
        .get(central.url("/warnings/signals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        served.name.ends_with("province-signals.json"),
        "{}",
        served.name
    );
    let national = SignalSet::national().unwrap();
    assert_ne!(served.digest, national.served().digest);
    assert_eq!(served.guides, None);

    // Haze is not in the province's set: a haze warning is refused by name.
    let mut haze = crate::warnings::content("issue", None, &["350423101"], "发布霾黄色预警信号。");
    haze["signal"] = "haze".into();
    let answer = client_with(&token)
        .post(central.url("/warnings"))
        .json(&haze)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "unknown_signal", "{body}");
}

/// The signal-set events a desk's service reports until `until` holds for one.
async fn next_set(events: &mut mpsc::Receiver<Event>) -> DeskSignalSet {
    loop {
        match within("a signal set", events.recv()).await.unwrap() {
            Event::Warnings(WarningEvent::SignalSet(set)) => return *set,
            Event::Warnings(WarningEvent::Upstream(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_fetches_the_set_at_sign_in_and_keeps_it_for_an_offline_start() {
    let dir = tempfile::tempdir().unwrap();
    let central = province_central(&province_file(dir.path())).await;
    let token = central.token(Role::DutyForecaster).await;
    let cache = Arc::new(Mutex::new(
        CacheDb::open(&dir.path().join("cache.sqlite")).unwrap(),
    ));
    let start = |cache: &Arc<Mutex<CacheDb>>| {
        let (events_tx, events) = mpsc::channel(16);
        let emitter = Emitter::new(events_tx, Arc::new(|| {}));
        let credentials = Credentials::new(None, &central.base(), Arc::new(NoKeyring));
        let session = Session::new(credentials, emitter.clone());
        let desk = CentralClient::new(&central.base(), &[]).unwrap();
        let service = UpstreamService::new(desk, session.clone(), Arc::clone(cache), emitter, HOUR);
        let (requests, requests_rx) = mpsc::channel(4);
        let task = tokio::spawn(service.run(requests_rx));
        (session, events, requests, task)
    };
    let (session, mut events, requests, task) = start(&cache);
    session.set(Token {
        secret: Secret::new(token.clone()),
        usable: true,
    });
    let fetched = next_set(&mut events).await;
    assert!(fetched.name.ends_with("province-signals.json"));
    assert!(fetched.catalogue.signal("haze").is_none());
    // Asked again with the same digest: nothing new to tell.
    requests.send(()).await.unwrap();
    // The rest of the round: the recipient counts, the 叫应 roster, the upstream answer; no
    // second signal set.
    let mut counts = false;
    loop {
        match within("the round's answers", events.recv()).await.unwrap() {
            Event::Warnings(WarningEvent::RecipientCounts(_)) => counts = true,
            Event::Warnings(WarningEvent::Roster(_)) => {}
            Event::Warnings(WarningEvent::Upstream(_)) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(counts, "the recipient counts came with the round");
    drop(requests);
    within("the service to stop", task).await.unwrap();

    // A new start, signed out: the kept set is told at once, before any sign-in.
    let (_session, mut events, requests, task) = start(&cache);
    let kept = next_set(&mut events).await;
    assert_eq!(kept, fetched);
    drop(requests);
    within("the service to stop", task).await.unwrap();
}

const HOUR: Duration = Duration::from_secs(3600);

/// Three millimetres an hour at 嵩溪镇 for the twelve hours to now: 36 mm.
fn steady_rain() -> Vec<Observation> {
    (0..12)
        .map(|h| Observation {
            station: StationId::parse("708312").unwrap(),
            time: now().plus_ms(-h * HOUR_MS),
            source: Source::Live,
            values: [(Element::Pre1h, 3.0)].into(),
        })
        .collect()
}

/// The levels the desk's state suggests for the rain, judging by `set` (none: as shipped).
fn suggested(set: Option<DeskSignalSet>) -> Vec<(String, Level)> {
    let mut state = AppState::new(now());
    state.apply(Event::Sync(SyncEvent::NetworkLoaded(network())), now());
    if let Some(set) = set {
        state.apply(
            Event::Warnings(WarningEvent::SignalSet(Box::new(set))),
            now(),
        );
    }
    state.apply(
        Event::Sync(SyncEvent::ObservationsArrived(steady_rain())),
        now(),
    );
    let current = state.suggestions.current.iter().map(|t| &t.suggestion);
    current.map(|s| (s.signal.clone(), s.level)).collect()
}

#[test]
fn the_desk_suggests_by_the_centrals_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = province_file(dir.path());
    let set = SignalSet::from_files(&file, None).unwrap();
    let desk_set = wxdesk::console::backend::signals::read(set.served()).unwrap();
    assert_eq!(suggested(None), [], "36 mm is below the national 50");
    assert_eq!(
        suggested(Some(desk_set)),
        [("rainstorm".to_owned(), Level::Blue)],
        "the province's 30 mm"
    );
}
