//! The audit log's hash chain against someone with the database file: entries edited, deleted,
//! reordered or inserted with SQL are found by `wxdesk central audit-verify` (the real binary),
//! which names the first broken entry and exits non-zero. A chain edited and rehashed with the
//! public algorithm fails against the audit key; a chain cut back, its recorded head rewritten,
//! fails against a head noted earlier. Also the other offline commands.

use std::path::Path;
use std::process::Command;

use rusqlite::Connection;
use wxdesk::central::audit::{default_key_path, read_key};
use wxdesk::domain::Timestamp;
use wxdesk::domain::access::Role;
use wxdesk::domain::audit::{
    AuditAction, AuditKey, AuditRecord, ChainBreak, ChainHash, Outcome, entry_hash,
};
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
    audit_verify_with(db, &[])
}

/// Runs `wxdesk central audit-verify --db PATH ARGS…`.
fn audit_verify_with(db: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(WXDESK)
        .args(["central", "audit-verify", "--db"])
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The key the central created beside its database.
fn key_of(db: &Path) -> AuditKey {
    read_key(&default_key_path(db)).unwrap()
}

/// The log's rows as `(seq, record, prev_hash, hash)`.
fn rows(db: &Path) -> Vec<(i64, AuditRecord, String, String)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT seq, at, actor, workstation, action, target, details, outcome, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            AuditRecord {
                at: Timestamp(r.get(1)?),
                actor: r.get(2)?,
                workstation: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                details: r.get(6)?,
                outcome: r.get(7)?,
            },
            r.get(8)?,
            r.get(9)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The attack of issue 8, item 7: change entry `seq`'s outcome, recompute every hash from it
/// on with the public algorithm, and move the recorded head along.
fn edit_and_rehash(db: &Path, seq: i64) {
    let rows = rows(db);
    let mut prev = ChainHash::GENESIS;
    let mut sql = String::from("DELETE FROM audit_log;");
    for (s, mut record, prev_hash, hash) in rows {
        let (prev_hash, hash) = if s < seq {
            (prev_hash, hash)
        } else {
            if s == seq {
                record.outcome = "ok".into();
            }
            let linked = if s == seq {
                ChainHash::from_hex(&prev_hash).unwrap()
            } else {
                prev
            };
            (
                linked.to_hex(),
                entry_hash(s as u64, &record, linked).to_hex(),
            )
        };
        prev = ChainHash::from_hex(&hash).unwrap();
        sql.push_str(&format!(
            "INSERT INTO audit_log VALUES ({s}, {}, '{}', '{}', '{}', '{}', '{}', '{}', '{prev_hash}', '{hash}');",
            record.at.millis(),
            record.actor.replace('\'', "''"),
            record.workstation.replace('\'', "''"),
            record.action,
            record.target.replace('\'', "''"),
            record.details.replace('\'', "''"),
            record.outcome,
        ));
        sql.push_str(&format!(
            "UPDATE meta SET value = '{s}:{hash}' WHERE key = 'audit_head';"
        ));
    }
    tamper(db, &sql);
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
        let key = key_of(central.db_path());
        let broken = verify_file(central.db_path(), Some(&key), None)
            .unwrap()
            .unwrap_err();
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
async fn an_edited_and_rehashed_chain_fails_with_the_key() {
    let central = central_with_history().await;
    let db = central.db_path();
    checkpoint(db);
    let failed_login = rows(db)
        .iter()
        .find(|(_, r, _, _)| r.action == "login" && r.outcome == "failed")
        .map(|(seq, ..)| *seq)
        .unwrap();
    assert_eq!(
        rows(db)[0].1.action,
        AuditAction::AuditKeyIntroduced.code(),
        "sealed from entry 1"
    );
    edit_and_rehash(db, failed_login);
    // With the key (found beside the database, or named), the edit shows.
    for args in [
        &[][..],
        &["--key", default_key_path(db).to_str().unwrap()][..],
    ] {
        let (ok, out) = audit_verify_with(db, args);
        assert!(!ok, "{args:?}: {out}");
        assert!(
            out.contains(&format!("AUDIT LOG BROKEN at entry {failed_login}")),
            "{out}"
        );
    }
    // Someone who also removes the key file is told the chain needs it, not that it is intact.
    let key = std::fs::read(default_key_path(db)).unwrap();
    std::fs::remove_file(default_key_path(db)).unwrap();
    let (ok, out) = audit_verify(db);
    assert!(!ok, "{out}");
    assert!(out.contains("sealed with the audit key"), "{out}");
    std::fs::write(default_key_path(db), key).unwrap();
}

/// A database from before audit keys: its plain entries stay verifiable, and the chain is
/// sealed from the "key introduced" entry the first keyed start appends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_log_is_sealed_from_a_recorded_entry_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("older.sqlite");
    {
        use wxdesk::store::central::AuditStore as _;
        use wxdesk::store::central::SqliteCentralStore;
        let network = wxdesk::assets::qingliu_network().unwrap();
        let qc = wxdesk::assets::qc_config().unwrap();
        let store = SqliteCentralStore::open(&db, &network, qc).unwrap();
        for i in 0..3 {
            let record = AuditRecord::new(
                Timestamp(1_795_000_000_000 + i),
                "cli",
                "",
                AuditAction::PasswordReset,
                Outcome::Ok,
            );
            store.audit(record).unwrap();
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config =
        wxdesk::central::CentralConfig::new(&db, wxdesk::assets::qingliu_network().unwrap());
    wxdesk::central::start(listener, config)
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();
    let log = rows(&db);
    assert_eq!(log[3].1.action, AuditAction::AuditKeyIntroduced.code());
    let (ok, out) = audit_verify(&db);
    assert!(ok, "{out}");
    // Rewriting the unsealed part breaks the first sealed entry's link.
    checkpoint(&db);
    edit_and_rehash(&db, 2);
    let key = key_of(&db);
    let broken = verify_file(&db, Some(&key), None).unwrap().unwrap_err();
    // The rehash had to rewrite entry 4's link, which its seal covers.
    assert_eq!(broken, ChainBreak::Altered { seq: 4 }, "{broken}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_chain_is_caught_against_a_noted_head() {
    let central = central_with_history().await;
    let db = central.db_path();
    checkpoint(db);
    let (ok, out) = audit_verify(db);
    assert!(ok, "{out}");
    let noted = out
        .split_whitespace()
        .find(|w| w.contains(':') && w.len() > 64)
        .expect(&out)
        .to_owned();
    let total = entries(db);
    // Cut the two newest entries and rewrite the recorded head to match the new end.
    let (_, _, _, new_head) = rows(db)[total as usize - 3].clone();
    tamper(
        db,
        &format!(
            "DELETE FROM audit_log WHERE seq > {cut}; UPDATE meta SET value = '{cut}:{new_head}' WHERE key = 'audit_head';",
            cut = total - 2
        ),
    );
    let (ok, out) = audit_verify(db);
    assert!(ok, "a chain alone cannot see its own tail cut: {out}");
    let (ok, out) = audit_verify_with(db, &["--expect-head", &noted]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("AUDIT LOG BROKEN at entry {total}")),
        "{out}"
    );
    assert!(out.contains("cut back or rewritten"), "{out}");
    let (ok, out) = audit_verify_with(db, &["--expect-head", "12:nothex"]);
    assert!(!ok, "{out}");
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
