//! What `wxdesk central` does to a database without serving it: verify the audit chain, issue a
//! device key, reset a lost password, import an observation file. Each prints its result for
//! the operator and records what it changed in the audit log (actor `cli`).
//!
//! A central serving the same database sees what these commands write, but its live streams
//! wake only at its own next change.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::{accounts, audit, imports};
use crate::domain::Timestamp;
use crate::domain::access::{DeviceClaims, DeviceName, Username};
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, KeyIssuer, Outcome, parse_head};
use crate::protocol::{ImportQuery, ImportReport};
use crate::store::central::SqliteCentralStore;
use crate::store::central::audit::verify_file;

/// Who runs the command, for the audit log's workstation column: the OS user, if known.
fn operator() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok())
        .map_or_else(
            || "server console".to_owned(),
            |user| format!("server console ({user})"),
        )
}

/// Opens the database at `db` with its audit key (`key`, or the file beside the database;
/// created if there is none, as a central's first start would).
fn open(db: &Path, key: Option<&Path>) -> anyhow::Result<SqliteCentralStore> {
    if !db.exists() {
        anyhow::bail!("{}: no such database", db.display());
    }
    let network = crate::assets::qingliu_network().context("reading the shipped network")?;
    let qc = crate::assets::qc_config().context("reading the shipped QC limits")?;
    let store = SqliteCentralStore::open(db, &network, qc)
        .with_context(|| format!("opening {}", db.display()))?;
    let key_path = key.map_or_else(|| audit::default_key_path(db), Path::to_owned);
    let key = audit::load_or_create_key(&key_path)?;
    Ok(store.with_audit_key(key, Timestamp::now())?)
}

/// What `audit-verify` checks the log with besides its own links.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The audit key's file; `None`: the file beside the database, if there is one.
    pub key: Option<std::path::PathBuf>,
    /// A head noted elsewhere earlier (`SEQ:HASH`, as this command prints it).
    pub expect_head: Option<String>,
}

/// `wxdesk central audit-verify --db PATH [--key FILE] [--expect-head SEQ:HASH]`: walks the
/// chain, the sealed part with the key; `Ok(false)` when it is broken, after naming the first
/// broken entry.
pub fn audit_verify(
    db: &Path,
    options: &VerifyOptions,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let noted = options
        .expect_head
        .as_deref()
        .map(|text| {
            parse_head(text).with_context(|| {
                format!("--expect-head {text:?} is not SEQ:HASH (e.g. 42:9f86d0…, 64 hex digits)")
            })
        })
        .transpose()?;
    let key = match &options.key {
        Some(path) => Some(audit::read_key(path)?),
        None => {
            let beside = audit::default_key_path(db);
            beside
                .exists()
                .then(|| audit::read_key(&beside))
                .transpose()?
        }
    };
    let result = verify_file(db, key.as_ref(), noted)
        .with_context(|| format!("reading the audit log of {}", db.display()))?;
    match result {
        Ok(summary) => {
            let keyed = match &key {
                Some(key) => format!("sealed part checked with key {}", key.fingerprint()),
                None => "no key given: nothing is sealed yet".to_owned(),
            };
            match summary.head {
                Some((seq, hash)) => writeln!(
                    out,
                    "audit log intact: {} entries ({keyed}); head {seq}:{hash}\n\
                     (note the head somewhere safe and check against it later with --expect-head {seq}:{hash}:\n\
                     a log cut back or rewritten since then no longer holds it)",
                    summary.entries
                )?,
                None => writeln!(out, "audit log intact: no entries yet")?,
            }
            Ok(true)
        }
        Err(broken) => {
            writeln!(out, "AUDIT LOG BROKEN at entry {}: {broken}", broken.seq())?;
            Ok(false)
        }
    }
}

/// `wxdesk central device-key --db PATH --name NAME [--may-import]`: issues (or replaces) a
/// device's key, which may claim `claims`, and prints it once.
pub fn issue_device_key(
    db: &Path,
    audit_key: Option<&Path>,
    name: &str,
    claims: DeviceClaims,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let name = DeviceName::parse(name.trim())?;
    let store = open(db, audit_key)?;
    let now = Timestamp::now();
    let record = AuditRecord::new(
        now,
        "cli",
        &operator(),
        AuditAction::DeviceKeyIssued,
        Outcome::Ok,
    )
    .detail(&AuditDetail::DeviceKeyIssued {
        by: KeyIssuer::Console,
        may_import: claims.may_import,
    });
    let key = accounts::issue_device_key_blocking(&store, &name, claims, record, now)
        .map_err(|f| anyhow::anyhow!(f.body.message))?;
    writeln!(
        out,
        "device key for {name} (shown only now; any earlier key of {name} no longer works):\n\n    {}\n\n\
         Give it to the device, e.g. wxdesk sim --central URL --device-key KEY (or WXDESK_DEVICE_KEY; the simulator needs --may-import for its archive).",
        key.expose()
    )?;
    Ok(())
}

/// `wxdesk central reset-password --db PATH --user NAME`: a new one-time password, printed once.
pub fn reset_password(
    db: &Path,
    audit_key: Option<&Path>,
    user: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let username = Username::parse(user.trim())?;
    let store = open(db, audit_key)?;
    let password = accounts::reset_password_cli(&store, &username, &operator(), Timestamp::now())
        .map_err(|f| anyhow::anyhow!(f.body.message))?;
    writeln!(
        out,
        "one-time password for {username} (shown only now; their sessions have ended and any lockout is lifted):\n\n    {}\n\n\
         They log in with it and choose their own password.",
        password.expose()
    )?;
    Ok(())
}

/// `wxdesk central import --db PATH [--format F] [--element E] FILE`: imports the file whole,
/// or nothing of it, and prints the report.
pub fn import(
    db: &Path,
    audit_key: Option<&Path>,
    query: &ImportQuery,
    file: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let file_name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let request =
        imports::import_request(query, &file_name).map_err(|f| anyhow::anyhow!(f.body.message))?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let store = open(db, audit_key)?;
    let now = Timestamp::now();
    let record = AuditRecord::new(
        now,
        "cli",
        &operator(),
        AuditAction::ObservationsImported,
        Outcome::Ok,
    );
    let (report, _head) = imports::import_blocking(&store, &bytes, &request, &record, now)
        .map_err(|f| anyhow::anyhow!(f.body.message))?;
    write_report(out, &report)?;
    Ok(())
}

/// An import's report for the operator.
fn write_report(out: &mut dyn Write, report: &ImportReport) -> std::io::Result<()> {
    let title = if report.title.is_empty() {
        String::new()
    } else {
        format!(" \u{201c}{}\u{201d}", report.title)
    };
    writeln!(out, "{} ({}){title}", report.name, report.format)?;
    writeln!(
        out,
        "  {} records: {} imported ({} new values, {} already stored, {} missing in the file)",
        report.records,
        report.imported,
        report.new_values,
        report.duplicate_values,
        report.missing_values
    )?;
    if let Some((first, last)) = report.span {
        writeln!(out, "  times {first} … {last}")?;
    }
    if report.outside_network > 0 {
        writeln!(
            out,
            "  {} stations outside the network skipped (e.g. {})",
            report.outside_network,
            report.outside_examples.join(", ")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_report_reads_as_sentences() {
        let report = ImportReport {
            name: "rain_without0.txt".into(),
            format: "micaps3".into(),
            title: "2019年05月20日08点24小时降雨量".into(),
            records: 1232,
            imported: 1,
            new_values: 1,
            duplicate_values: 0,
            missing_values: 0,
            outside_network: 1231,
            outside_examples: vec!["50850".into(), "57609".into()],
            span: Some((Timestamp(1_558_310_400_000), Timestamp(1_558_310_400_000))),
        };
        let mut out = Vec::new();
        write_report(&mut out, &report).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "rain_without0.txt (micaps3) \u{201c}2019年05月20日08点24小时降雨量\u{201d}\n\
             \x20 1232 records: 1 imported (1 new values, 0 already stored, 0 missing in the file)\n\
             \x20 times 2019-05-20T00:00:00Z … 2019-05-20T00:00:00Z\n\
             \x20 1231 stations outside the network skipped (e.g. 50850, 57609)\n"
        );
    }
}
