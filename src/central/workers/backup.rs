//! Scheduled backups (`[backups]` in `central.toml`): every `every`, a consistent copy of the
//! database (`VACUUM INTO`) named `central-<UTC time>.sqlite` in `dir`, keeping the newest
//! `keep`. The schedule follows the newest copy on disk, so a central restarted often still
//! backs up on time and one restarted right after a backup does not copy again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::store::central::{SqliteCentralStore, backup};

/// Where, how often and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    /// Folder of the copies.
    pub dir: PathBuf,
    /// Time between copies.
    pub every: Duration,
    /// Copies kept (the oldest are deleted).
    pub keep: usize,
}

const PREFIX: &str = "central-";
const SUFFIX: &str = ".sqlite";
const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// The file name of a copy taken at `at`.
pub fn file_name(at: Timestamp) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.utc().format(TIME_FORMAT))
}

/// When a copy of this name was taken; `None` for files that are not our copies.
pub fn taken_at(name: &str) -> Option<Timestamp> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let time = NaiveDateTime::parse_from_str(stamp, TIME_FORMAT).ok()?;
    Some(Timestamp(
        DateTime::<Utc>::from_naive_utc_and_offset(time, Utc).timestamp_millis(),
    ))
}

/// How long until the next copy is due, given the names in the folder.
pub fn due_in(names: &[String], every: Duration, now: Timestamp) -> Duration {
    let Some(newest) = names.iter().filter_map(|n| taken_at(n)).max() else {
        return Duration::ZERO;
    };
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    let wait_ms = newest.0.saturating_add(every_ms).saturating_sub(now.0);
    Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0))
}

/// The copies to delete so that the newest `keep` remain (other files are never touched).
pub fn to_prune(names: &[String], keep: usize) -> Vec<String> {
    let mut ours: Vec<(Timestamp, &String)> = names
        .iter()
        .filter_map(|n| taken_at(n).map(|t| (t, n)))
        .collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep);
    ours.into_iter()
        .take(excess)
        .map(|(_, n)| n.clone())
        .collect()
}

fn names_in(dir: &Path) -> Result<Vec<String>, String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("reading {}: {e}", dir.display())),
    }
}

/// Takes one copy now and prunes old ones; says what it did.
pub fn back_up_now(
    store: &SqliteCentralStore,
    schedule: &BackupSchedule,
    now: Timestamp,
) -> Result<String, String> {
    let dest = schedule.dir.join(file_name(now));
    std::fs::create_dir_all(&schedule.dir)
        .map_err(|e| format!("creating {}: {e}", schedule.dir.display()))?;
    // The same copy as `wxdesk central backup`: verified before it takes its name.
    let report = backup::backup(store.path(), &dest).map_err(|e| e.to_string())?;
    let size = report.bytes;
    for old in to_prune(&names_in(&schedule.dir)?, schedule.keep) {
        let path = schedule.dir.join(&old);
        std::fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
    }
    Ok(format!("last backup {} ({size} bytes)", dest.display()))
}

/// The `backup` worker.
pub fn worker(store: Arc<SqliteCentralStore>, schedule: BackupSchedule) -> WorkerSpec {
    WorkerSpec::new("backup", move |context: WorkerContext| {
        let (store, schedule) = (Arc::clone(&store), schedule.clone());
        async move {
            loop {
                let names = names_in(&schedule.dir)?;
                let wait = due_in(&names, schedule.every, context.clock().now());
                if !context.sleep(wait).await {
                    return Ok(());
                }
                let now = context.clock().now();
                let (store, schedule) = (Arc::clone(&store), schedule.clone());
                let done = tokio::task::spawn_blocking(move || back_up_now(&store, &schedule, now))
                    .await
                    .map_err(|e| e.to_string())??;
                tracing::info!(worker = "backup", "{done}");
                context.report(done);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn names_carry_their_time() {
        let t = at("2026-12-06T21:18:44Z");
        assert_eq!(file_name(t), "central-20261206T211844Z.sqlite");
        assert_eq!(taken_at(&file_name(t)), Some(t));
        for other in [
            "central.sqlite",
            "central-x.sqlite",
            "notes.txt",
            "central-20261206T211844Z.db",
        ] {
            assert_eq!(taken_at(other), None, "{other}");
        }
    }

    #[test]
    fn the_next_copy_is_due_every_after_the_newest() {
        let hour = Duration::from_secs(3600);
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let table = [
            (names(&[]), Duration::ZERO),
            (names(&["notes.txt"]), Duration::ZERO),
            (
                names(&[
                    "central-20261206T203000Z.sqlite",
                    "central-20261206T190000Z.sqlite",
                ]),
                Duration::from_secs(30 * 60),
            ),
            (names(&["central-20261206T190000Z.sqlite"]), Duration::ZERO),
        ];
        for (names, expected) in table {
            assert_eq!(
                due_in(&names, hour, at("2026-12-06T21:00:00Z")),
                expected,
                "{names:?}"
            );
        }
    }

    #[test]
    fn pruning_keeps_the_newest_and_ignores_other_files() {
        let names: Vec<String> = [
            "central-20261203T000000Z.sqlite",
            "notes.txt",
            "central-20261205T000000Z.sqlite",
            "central-20261204T000000Z.sqlite",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            to_prune(&names, 2),
            vec!["central-20261203T000000Z.sqlite".to_owned()]
        );
        assert!(to_prune(&names, 5).is_empty());
    }
}
