//! A database the central cannot trust or cannot write, as a bureau's server meets one: a
//! read-only file is served read-only and reported `degraded` (why: to administrators only); a
//! damaged one refuses to start and names the restore; `wxdesk central backup` copies the
//! database consistently while the central serves and writes it, and `restore` puts a copy
//! back under a new identity — refused while a central serves the file.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use wxdesk::central::{self, CentralConfig};
use wxdesk::domain::Element;
use wxdesk::domain::access::Role;
use wxdesk::domain::time::MINUTE_MS;
use wxdesk::store::central::OpenMode;
use wxdesk::store::observations::every_value;

use crate::support::{STATIONS, TestCentral, client, minutes_batch, now, within};

const WXDESK: &str = env!("CARGO_BIN_EXE_wxdesk");
/// Where the writer of the backup test starts, in minutes from NOW, and its batches' length.
const WRITER_START: i64 = -540;
const BATCH_MINUTES: i64 = 1;

async fn post(central: &TestCentral, body: &Value) -> (u16, Value) {
    central.post_observations(&client(), body).await
}

/// `GET path` as `token`'s holder, or anonymously.
async fn get(central: &TestCentral, token: Option<&str>, path: &str) -> (u16, Value) {
    let request = client().get(central.url(path));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Runs `wxdesk ARGS…` to its end, off the async threads.
async fn wxdesk(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    within(
        "wxdesk to finish",
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(WXDESK)
                .args(&args)
                .env("RUST_LOG", "warn")
                .output()
                .expect("running wxdesk")
        }),
    )
    .await
    .unwrap()
}

fn text(output: &[u8]) -> String {
    String::from_utf8_lossy(output).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_serves_reads_refuses_writes_and_says_degraded() {
    let mut central = TestCentral::start().await;
    assert_eq!(post(&central, &minutes_batch(-30, 30)).await.0, 200);
    let admin = central.token(Role::Administrator).await;
    let forecaster = central.token(Role::DutyForecaster).await;
    let (_, health) = get(&central, None, "/health").await;
    assert_eq!(health["status"], "ok");
    let head = health["head"].as_u64().unwrap();

    central
        .restart_with(|config| config.open_mode = OpenMode::ReadOnly)
        .await;

    // Anyone hears that it is degraded, and nothing more.
    let (status, health) = get(&central, None, "/health").await;
    assert_eq!((status, &health["status"]), (200, &json!("degraded")));
    assert_eq!(health["head"], head);
    assert!(health.get("reasons").is_none(), "{health}");
    // Reads are served as before.
    let (status, latest) = get(&central, Some(forecaster.as_str()), "/observations/latest").await;
    assert_eq!(status, 200, "{latest}");
    assert_eq!(latest["stations"].as_array().unwrap().len(), STATIONS.len());
    // Writes are refused with a code, and nothing changes.
    let (status, refused) = post(&central, &minutes_batch(0, 1)).await;
    assert_eq!(
        (status, &refused["error"]),
        (503, &json!("database_unwritable"))
    );
    assert!(
        !refused["message"].as_str().unwrap().contains("read-only"),
        "the reason is for administrators: {refused}"
    );
    let (_, health) = get(&central, None, "/health").await;
    assert_eq!(health["head"], head);
    // Administrators read why; other roles may not.
    let (status, detail) = get(&central, Some(admin.as_str()), "/health/detail").await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "degraded");
    assert_eq!(detail["read_only"], true);
    let reasons = detail["reasons"].as_array().unwrap();
    assert!(
        reasons.len() == 1 && reasons[0].as_str().unwrap().contains("can only be read"),
        "{detail}"
    );
    assert_eq!(
        get(&central, Some(forecaster.as_str()), "/health/detail")
            .await
            .0,
        403
    );
    assert_eq!(get(&central, None, "/health/detail").await.0, 401);

    // Writable again after a restart on a writable file: ok, and writes are stored.
    central.restart().await;
    assert_eq!(get(&central, None, "/health").await.1["status"], "ok");
    assert_eq!(post(&central, &minutes_batch(0, 1)).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_refuses_to_start_and_the_named_restore_brings_it_back() {
    let mut central = TestCentral::start().await;
    for hour in 0..4 {
        assert_eq!(
            post(&central, &minutes_batch(-300 + hour * 60, 60)).await.0,
            200
        );
    }
    let db = central.db_path().to_owned();
    let backup = db.with_file_name("nightly.sqlite");
    let made = wxdesk(&["central", "backup", "--db", path(&db), path(&backup)]).await;
    assert!(made.status.success(), "{}", text(&made.stderr));
    let (_, health) = get(&central, None, "/health").await;
    central.shutdown().await;

    // A failing disk overwrites a quarter of the file from its middle, whole pages (the file
    // is small: compact chunks, and a change log that names hours instead of copying values).
    let mut bytes = std::fs::read(&db).unwrap();
    let span = bytes.len() / 4 / 4096 * 4096;
    assert!(span >= 4 * 4096, "{} bytes", bytes.len());
    let at = bytes.len() / 2 / 4096 * 4096;
    for (i, byte) in bytes[at..at + span].iter_mut().enumerate() {
        *byte = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    }
    std::fs::write(&db, bytes).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = CentralConfig::new(&db, wxdesk::assets::qingliu_network().unwrap());
    let error = central::start(listener, config.clone())
        .await
        .expect_err("a damaged database must not be served")
        .to_string();
    // Caught by the integrity check, or earlier when opening meets a damaged page.
    assert!(
        error.contains("integrity check failed") || error.contains("The database is damaged"),
        "{error}"
    );
    assert!(
        error.contains(&format!("wxdesk central restore --db {}", db.display())),
        "{error}"
    );

    let restored = wxdesk(&["central", "restore", "--db", path(&db), path(&backup)]).await;
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let said = text(&restored.stdout);
    assert!(said.contains("previous database moved to"), "{said}");
    central.restart().await;
    let (_, after) = get(&central, None, "/health").await;
    assert_eq!(
        (&after["status"], &after["head"]),
        (&json!("ok"), &health["head"])
    );
    assert_ne!(
        after["instance"], health["instance"],
        "a restore is a new instance"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_central_writes_is_consistent_and_restores() {
    let central = TestCentral::start().await;
    assert_eq!(post(&central, &minutes_batch(-600, 60)).await.0, 200);
    let central_arc = Arc::new(central);
    // A station network keeps writing, a batch (one transaction) at a time.
    let writing = Arc::new(AtomicBool::new(true));
    let (written, mut progress) = tokio::sync::watch::channel(0_i64);
    let writer = tokio::spawn({
        let central = Arc::clone(&central_arc);
        let writing = Arc::clone(&writing);
        async move {
            let mut batches = 0;
            while writing.load(Ordering::SeqCst) {
                let start = WRITER_START + batches * BATCH_MINUTES;
                let (status, answer) = post(&central, &minutes_batch(start, BATCH_MINUTES)).await;
                assert_eq!((status, &answer["rejected"]), (200, &json!(0)), "{answer}");
                batches += 1;
                written.send_replace(batches);
            }
            batches
        }
    });
    let db = central_arc.db_path().to_owned();
    let backup = db.with_file_name("backup-while-serving.sqlite");
    within("the writer's first batches", progress.wait_for(|&n| n >= 2))
        .await
        .unwrap();
    let made = wxdesk(&["central", "backup", "--db", path(&db), path(&backup)]).await;
    // Two more batches after the copy ended, then stop.
    let after = *progress.borrow_and_update() + 2;
    within(
        "batches after the backup",
        progress.wait_for(|&n| n >= after),
    )
    .await
    .unwrap();
    writing.store(false, Ordering::SeqCst);
    let batches = writer.await.unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let said = text(&made.stdout);
    assert!(said.contains("backup written and verified"), "{said}");

    // The copy is whole transactions: a gap-free change log up to the head it reports, and
    // exactly the values of the batches that log holds.
    let copy = Connection::open_with_flags(&backup, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let (count, head): (i64, i64) = copy
        .query_row("SELECT count(*), max(seq) FROM change_log", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(count, head, "gap-free log");
    assert!(said.contains(&format!("up to change {head}")), "{said}");
    let values = every_value(&copy).unwrap().len();
    let in_copy = writer_batches(&copy);
    assert!(in_copy >= 2, "the copy began after two batches");
    assert!(in_copy <= batches - 2, "writes went on after the copy");
    drop(copy);

    // Restoring over a serving central is refused, and changes nothing.
    let refused = wxdesk(&["central", "restore", "--db", path(&db), path(&backup)]).await;
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("a central is serving"),
        "{}",
        text(&refused.stderr)
    );
    let (_, before) = get(&central_arc, None, "/health").await;
    let mut central = Arc::into_inner(central_arc).expect("the writer is done");
    central.shutdown().await;
    let restored = wxdesk(&["central", "restore", "--db", path(&db), path(&backup)]).await;
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    central.restart().await;
    let (_, after) = get(&central, None, "/health").await;
    assert_eq!(after["head"], head);
    assert_ne!(after["instance"], before["instance"]);
    let served = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert_eq!(every_value(&served).unwrap().len(), values);
    // The backup itself is kept, unchanged, and a second backup to it is refused.
    let again = wxdesk(&["central", "backup", "--db", path(&db), path(&backup)]).await;
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("never overwritten"));
}

/// How many of the writer's batches `db` holds, checking that it holds each one whole or not
/// at all, and a prefix of them: what a consistent snapshot of one-batch transactions shows.
fn writer_batches(db: &Connection) -> i64 {
    let first = now().plus_ms(WRITER_START * MINUTE_MS);
    let mut per_batch: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, element, sample) in every_value(db).unwrap() {
        if element == Element::Tem && sample.time >= first {
            let minute = (sample.time.millis() - first.millis()) / MINUTE_MS;
            *per_batch.entry(minute / BATCH_MINUTES).or_default() += 1;
        }
    }
    let whole = BATCH_MINUTES as usize * STATIONS.len();
    for (batch, values) in &per_batch {
        assert_eq!(*values, whole, "batch {batch} is torn: {per_batch:?}");
    }
    let count = per_batch.len() as i64;
    assert!(
        per_batch.keys().copied().eq(0..count),
        "not a prefix: {per_batch:?}"
    );
    count
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}
