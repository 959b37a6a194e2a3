//! What `wxdesk central` does to a database without serving it: verify the audit chain, issue a
//! device key, reset a lost password. Each prints its result for the operator and records what
//! it changed in the audit log (actor `cli`).

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::accounts;
use crate::domain::Timestamp;
use crate::domain::access::{DeviceName, Username};
use crate::domain::audit::{AuditAction, AuditRecord, Outcome};
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

fn open(db: &Path) -> anyhow::Result<SqliteCentralStore> {
    if !db.exists() {
        anyhow::bail!("{}: no such database", db.display());
    }
    let network = crate::assets::qingliu_network().context("reading the shipped network")?;
    let qc = crate::assets::qc_config().context("reading the shipped QC limits")?;
    SqliteCentralStore::open(db, &network, qc).with_context(|| format!("opening {}", db.display()))
}

/// `wxdesk central audit-verify --db PATH`: walks the chain; `Ok(false)` when it is broken,
/// after naming the first broken entry.
pub fn audit_verify(db: &Path, out: &mut dyn Write) -> anyhow::Result<bool> {
    let result =
        verify_file(db).with_context(|| format!("reading the audit log of {}", db.display()))?;
    match result {
        Ok(summary) => {
            match summary.head {
                Some((seq, hash)) => writeln!(
                    out,
                    "audit log intact: {} entries; head is entry {seq}, hash {hash}\n\
                     (note the head somewhere safe: a later check that still shows it proves nothing before it changed)",
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

/// `wxdesk central device-key --db PATH --name NAME`: issues (or replaces) a device's key and
/// prints it once.
pub fn issue_device_key(db: &Path, name: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    let name = DeviceName::parse(name)?;
    let store = open(db)?;
    let now = Timestamp::now();
    let record = AuditRecord::new(
        now,
        "cli",
        &operator(),
        AuditAction::DeviceKeyIssued,
        Outcome::Ok,
    )
    .details("issued at the server's console");
    let key = accounts::issue_device_key_blocking(&store, &name, record, now)
        .map_err(|f| anyhow::anyhow!(f.body.message))?;
    writeln!(
        out,
        "device key for {name} (shown only now; any earlier key of {name} no longer works):\n\n    {}\n\n\
         Give it to the device, e.g. wxdesk sim --central URL --device-key KEY (or WXDESK_DEVICE_KEY).",
        key.expose()
    )?;
    Ok(())
}

/// `wxdesk central reset-password --db PATH --user NAME`: a new one-time password, printed once.
pub fn reset_password(db: &Path, user: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    let username = Username::parse(user)?;
    let store = open(db)?;
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
