//! `wxdesk central backup` and `wxdesk central restore`: the bureau's copies of the central's
//! database, taken while it serves, and putting one back (see
//! [`crate::store::central::backup`] for how each stays consistent and loses nothing).

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use crate::store::central::backup;

/// `wxdesk central backup --db PATH FILE`: writes a verified copy of the database to `FILE`
/// while a central may be serving it, and says what it holds.
pub fn backup(db: &Path, file: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let report = backup::backup(db, file)
        .with_context(|| format!("backing up {} to {}", db.display(), file.display()))?;
    writeln!(
        out,
        "backup written and verified: {}\n    size         {} ({} bytes)\n    change log   up to change {}\n    instance     {}\n    took         {:.1} s\n\
         To restore it (with the central stopped):\n\n    wxdesk central restore --db {} {}\n",
        report.path.display(),
        human_size(report.bytes),
        report.bytes,
        report.head,
        report.instance,
        report.took.as_secs_f64(),
        db.display(),
        report.path.display(),
    )?;
    Ok(())
}

/// `wxdesk central restore --db PATH BACKUP`: puts a verified backup in the database's place
/// (the old file is moved aside, never deleted) under a new instance identity.
pub fn restore(db: &Path, from: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let report = backup::restore(db, from)
        .with_context(|| format!("restoring {} from {}", db.display(), from.display()))?;
    writeln!(
        out,
        "restored {} from {}\n    change log   up to change {}\n    instance     {} (new: desks that synced with the old database start over)",
        db.display(),
        from.display(),
        report.head,
        report.instance,
    )?;
    if let Some(aside) = &report.set_aside {
        writeln!(
            out,
            "    previous database moved to {} (delete it once the restored central serves)",
            aside.display()
        )?;
    }
    writeln!(
        out,
        "Changes made after the backup was taken are not in the restored database. Start the central again."
    )?;
    Ok(())
}

/// `bytes` for people: `3.2 GiB`, `815.0 MiB`, `12.0 KiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        let cases = [
            (0, "0 bytes"),
            (1023, "1023 bytes"),
            (1024, "1.0 KiB"),
            (5 << 20, "5.0 MiB"),
            (3_435_973_837, "3.2 GiB"),
        ];
        for (bytes, want) in cases {
            assert_eq!(human_size(bytes), want, "{bytes}");
        }
    }
}
