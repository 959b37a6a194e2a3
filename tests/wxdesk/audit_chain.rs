//! The audit log's hash chain against someone with the database file: entries edited, deleted,
//! reordered or inserted with SQL are found by `wxdesk central audit-verify` (the real binary),
//! which names the first broken entry and exits non-zero. Also the other offline commands.

use std::path::Path;
use std::process::Command;

use rusqlite::Connection;
use wxdesk::domain::access::Role;
use wxdesk::store::central::audit::verify_file;

use crate::support::{TestCentral, client};

const WXDESK: &str = env!("CARGO_BIN_EXE_wxdesk");

/// A stopped central whose audit log holds a dozen entries; the database path.
async fn central_with_history() -> TestCentral {
    let mut central = TestCentral::start().await;
    for role in [Role::DutyForecaster, Role::Technician, Role::Leader] {
        central.token(role).await;
    }
    central.login(&client(), "nobody", "guess").await;
    central.shutdown().await;
    central
}

/// Folds the write-ahead log into the database file, so the file alone is the database.
fn checkpoint(db: &Path) {
    let conn = Connection::open(db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

/// Puts `bytes` back as the whole database.
fn restore(db: &Path, bytes: &[u8]) {
    for suffix in ["sqlite-wal", "sqlite-shm"] {
        let _ = std::fs::remove_file(db.with_extension(suffix));
    }
    std::fs::write(db, bytes).unwrap();
}

fn entries(db: &Path) -> u64 {
    let conn = Connection::open(db).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    count as u64
}

/// Opens the database as an intruder would: the append-only triggers dropped first.
fn tamper(db: &Path, sql: &str) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

/// Runs `wxdesk central audit-verify --db PATH`: exit success and standard output.
fn audit_verify(db: &Path) -> (bool, String) {
    let output = Command::new(WXDESK)
        .args(["central", "audit-verify", "--db"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_program_itself_can_only_append() {
    let central = central_with_history().await;
    let conn = Connection::open(central.db_path()).unwrap();
    for sql in [
        "UPDATE audit_log SET details = 'x' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
    ] {
        let error = conn.execute(sql, []).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{error}");
    }
    let (ok, out) = audit_verify(central.db_path());
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "audit log intact: {} entries",
            entries(central.db_path())
        )),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_tampering_is_named_by_the_first_broken_entry() {
    let central = central_with_history().await;
    checkpoint(central.db_path());
    let pristine = std::fs::read(central.db_path()).unwrap();
    let total = entries(central.db_path());
    assert!(total >= 12, "{total}");
    // (what, SQL, first broken entry, what the verdict says)
    let cases = [
        ("edit a detail", "UPDATE audit_log SET details = 'nothing to see' WHERE seq = 5".to_owned(), 5, "was changed"),
        ("edit an outcome", "UPDATE audit_log SET outcome = 'ok' WHERE action = 'login' AND outcome = 'failed'".to_owned(), total, "was changed"),
        ("delete one", "DELETE FROM audit_log WHERE seq = 7".to_owned(), 7, "missing (deleted)"),
        (
            "reorder two",
            "UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; \
             UPDATE audit_log SET seq = 4 WHERE seq = -1;"
                .to_owned(),
            3,
            "was changed",
        ),
        (
            "insert one",
            "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 6; UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1006; \
             INSERT INTO audit_log SELECT 6, at, 'user:admin', workstation, 'user_created', 'user:mallory', '', 'ok', hash, hash FROM audit_log WHERE seq = 5;"
                .to_owned(),
            6,
            "was changed",
        ),
        ("delete the newest", format!("DELETE FROM audit_log WHERE seq = {total}"), total, "deleted from the end"),
    ];
    for (what, sql, seq, says) in cases {
        restore(central.db_path(), &pristine);
        tamper(central.db_path(), &sql);
        let broken = verify_file(central.db_path()).unwrap().unwrap_err();
        assert_eq!(broken.seq(), seq, "{what}: {broken}");
        let (ok, out) = audit_verify(central.db_path());
        assert!(!ok, "{what}: audit-verify must fail\n{out}");
        assert!(
            out.contains(&format!("AUDIT LOG BROKEN at entry {seq}")),
            "{what}: {out}"
        );
        assert!(out.contains(says), "{what}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_commands_issue_keys_and_passwords_once_and_audit_them() {
    let mut central = central_with_history().await;
    let db = central.db_path().to_owned();
    let run = |args: &[&str]| {
        let output = Command::new(WXDESK)
            .args(args)
            .arg("--db")
            .arg(&db)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let out = run(&["central", "reset-password", "--user", "leader"]);
    let otp = out
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 19 && l.matches('-').count() == 3)
        .expect(&out)
        .to_owned();
    let out = run(&["central", "device-key", "--name", "aws-708301"]);
    let key = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("wxd_"))
        .expect(&out)
        .to_owned();
    let (ok, verdict) = audit_verify(&db);
    assert!(ok, "{verdict}");

    central.restart().await;
    let (status, _) = central.login(&client(), "leader", &otp).await;
    assert_eq!(
        status, 200,
        "the one-time password from the command line works"
    );
    let device = crate::support::client_with(&key);
    let body = crate::support::batch(&[crate::support::record(
        "708301",
        &crate::support::minutes_from_now(-1),
        serde_json::json!({"TEM": 9.0}),
    )]);
    assert_eq!(
        device
            .post(central.url("/observations"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let conn = Connection::open(&db).unwrap();
    let cli: Vec<(String, String)> = conn
        .prepare("SELECT action, target FROM audit_log WHERE actor = 'cli' ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        cli,
        [
            ("password_reset".to_owned(), "user:leader".to_owned()),
            (
                "device_key_issued".to_owned(),
                "device:aws-708301".to_owned()
            )
        ]
    );
}
