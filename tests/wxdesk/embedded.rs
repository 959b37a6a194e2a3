//! The no-configuration default: a central and the simulator in-process on 127.0.0.1, over a
//! database in the given data directory.

use wxdesk::domain::time::system_clock;

use crate::support::{client, init, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_central_serves_the_simulated_network() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let embedded = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || wxdesk::embedded::start(&dir, system_clock())
    })
    .await
    .unwrap()
    .expect("embedded central starts");
    assert!(
        embedded.url().starts_with("http://127.0.0.1:"),
        "{}",
        embedded.url()
    );
    assert!(embedded.notices().is_empty(), "{:?}", embedded.notices());

    // The simulator's backfill arrives: the first change shows up on the live stream.
    let http = client();
    let url = format!("{}/api/v1/stream?after=0", embedded.url());
    let response = http.get(url).send().await.unwrap();
    let mut parser = wxdesk::console::backend::sse::SseParser::default();
    let mut body = response.bytes_stream();
    let first = within("the simulator's first observation", async {
        use futures_util::StreamExt as _;
        loop {
            let chunk = body.next().await.expect("stream open").unwrap();
            if let Some(item) = parser.feed(&chunk).into_iter().next() {
                return item;
            }
        }
    })
    .await;
    assert!(
        matches!(first, wxdesk::console::backend::sse::SseItem::Event { .. }),
        "{first:?}"
    );
    drop(body);

    let stations: serde_json::Value = http
        .get(format!("{}/api/v1/stations", embedded.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stations["stations"].as_array().unwrap().len(), 16);

    tokio::task::spawn_blocking(move || drop(embedded))
        .await
        .unwrap();
    assert!(dir.path().join("central.sqlite").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_embedded_database_is_moved_aside_and_replaced() {
    init();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("central.sqlite"), vec![7u8; 8192]).unwrap();
    let path = dir.path().to_owned();
    let embedded =
        tokio::task::spawn_blocking(move || wxdesk::embedded::start(&path, system_clock()))
            .await
            .unwrap()
            .expect("embedded central starts despite the damaged file");
    assert_eq!(embedded.notices().len(), 1);
    assert!(
        embedded.notices()[0].contains("moved to"),
        "{:?}",
        embedded.notices()
    );
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name().to_string_lossy().contains("corrupt-")
                && std::fs::read(e.path()).unwrap() == vec![7u8; 8192]
        });
    assert!(kept, "the damaged file is kept for inspection");
    tokio::task::spawn_blocking(move || drop(embedded))
        .await
        .unwrap();
}
