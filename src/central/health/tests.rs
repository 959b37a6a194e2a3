//! The health's bookkeeping, and a central whose database stops accepting writes while it
//! serves.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::central::auth::Peer;
use crate::central::{DEFAULT_KEEP_ALIVE, accounts, router};
use crate::domain::Timestamp;
use crate::domain::access::{DeviceClaims, DeviceName};
use crate::domain::audit::{AuditAction, AuditRecord, Outcome};
use crate::domain::time::system_clock;
use crate::store::central::{CentralStore, ChangeFeed as _, SqliteCentralStore};

#[test]
fn a_failed_write_degrades_until_a_write_succeeds() {
    let health = DbHealth::new(None);
    assert_eq!((health.status(), health.reasons()), (HEALTH_OK, vec![]));
    health.write_failed("the disk holding the database is full");
    assert_eq!(health.status(), HEALTH_DEGRADED);
    assert_eq!(
        health.reasons(),
        vec!["the disk holding the database is full".to_owned()]
    );
    health.write_succeeded();
    assert_eq!((health.status(), health.reasons()), (HEALTH_OK, vec![]));
}

#[test]
fn a_read_only_database_stays_degraded() {
    let health = DbHealth::new(Some("read-only file".into()));
    health.write_succeeded();
    assert_eq!(health.status(), HEALTH_DEGRADED);
    assert_eq!(health.read_only(), Some("read-only file"));
    health.write_failed("full");
    assert_eq!(
        health.reasons(),
        vec!["read-only file".to_owned(), "full".to_owned()]
    );
}

/// A central over `store` on 127.0.0.1; its base URL.
async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state).into_make_service_with_connect_info::<Peer>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/api/v1")
}

async fn post_minute(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    minutes_ago: i64,
) -> (u16, Value) {
    let time = Timestamp::now().plus_ms(-minutes_ago * 60_000).to_rfc3339();
    let body =
        json!({"observations": [{"station": "58819", "time": time, "values": {"TEM": 12.5}}]});
    let response = client
        .post(format!("{base}/observations"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn status(client: &reqwest::Client, base: &str) -> Value {
    let health: Value = client
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    health["status"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_stops_taking_writes_degrades_the_central_until_it_takes_them_again() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    let qc = crate::assets::qc_config().unwrap();
    let store = Arc::new(
        SqliteCentralStore::open(&dir.path().join("central.sqlite"), &network, qc).unwrap(),
    );
    let now = Timestamp::now();
    let record = AuditRecord::new(now, "test", "", AuditAction::DeviceKeyIssued, Outcome::Ok);
    let name = DeviceName::parse("logger").unwrap();
    let key = accounts::issue_device_key_blocking(&*store, &name, DeviceClaims::LIVE, record, now)
        .unwrap();
    let shared: Arc<dyn CentralStore> = store.clone();
    let state = AppState::new(
        shared,
        system_clock(),
        store.head().unwrap(),
        DEFAULT_KEEP_ALIVE,
    );
    let base = serve(state.clone()).await;
    let client = reqwest::Client::new();

    assert_eq!(post_minute(&client, &base, key.expose(), 3).await.0, 200);
    assert_eq!(status(&client, &base).await, "ok");
    let head = store.head().unwrap();

    // The disk goes read-only under the running central: SQLite refuses the next write.
    store.refuse_writes(true).unwrap();
    let (code, refused) = post_minute(&client, &base, key.expose(), 2).await;
    assert_eq!(
        (code, &refused["error"]),
        (503, &json!("database_unwritable")),
        "{refused}"
    );
    assert_eq!(status(&client, &base).await, "degraded");
    let reasons = state.db_health().reasons();
    assert!(
        reasons.len() == 1 && reasons[0].starts_with("the database file is read-only"),
        "{reasons:?}"
    );
    assert_eq!(
        store.head().unwrap(),
        head,
        "nothing of the refused batch was stored"
    );

    // Writable again: the next write is stored and the central is ok.
    store.refuse_writes(false).unwrap();
    assert_eq!(post_minute(&client, &base, key.expose(), 1).await.0, 200);
    assert_eq!(status(&client, &base).await, "ok");
    assert!(store.head().unwrap() > head);
}
