//! Log files that rotate (`[log]` in `central.toml`): `central.<UTC day>.log` (or
//! `central.<UTC day>T<hour>.log`) in the log folder, a new file when the period turns, the
//! oldest deleted beyond `keep`. A [`MakeWriter`] for `tracing_subscriber`, beside standard
//! error.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

use super::config::Rotation;
use crate::domain::Timestamp;
use crate::domain::time::SharedClock;

const PREFIX: &str = "central.";
const SUFFIX: &str = ".log";

/// The file a line written at `at` goes to.
pub fn file_name(rotation: Rotation, at: Timestamp) -> String {
    let format = match rotation {
        Rotation::Daily => "%Y-%m-%d",
        Rotation::Hourly => "%Y-%m-%dT%H",
    };
    format!("{PREFIX}{}{SUFFIX}", at.utc().format(format))
}

/// Our log files among `names` beyond the newest `keep` (their names sort by time).
pub fn to_prune(names: &[String], keep: usize) -> Vec<String> {
    let mut ours: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        .collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep);
    ours.into_iter().take(excess).cloned().collect()
}

/// Rotating log files in one folder.
#[derive(Debug)]
pub struct RotatingLog {
    dir: PathBuf,
    rotation: Rotation,
    keep: usize,
    clock: SharedClock,
    open: Mutex<Option<(String, File)>>,
}

impl RotatingLog {
    /// Logs into `dir` (created if missing).
    pub fn new(
        dir: PathBuf,
        rotation: Rotation,
        keep: usize,
        clock: SharedClock,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            rotation,
            keep,
            clock,
            open: Mutex::new(None),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Option<(String, File)>> {
        // A panic mid-write leaves at worst a partial line.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_line(&self, buf: &[u8]) -> io::Result<usize> {
        let name = file_name(self.rotation, self.clock.now());
        let mut open = self.lock();
        if open.as_ref().is_none_or(|(current, _)| *current != name) {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(&name))?;
            *open = Some((name, file));
            self.prune();
        }
        match open.as_mut() {
            Some((_, file)) => file.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        for old in to_prune(&names, self.keep) {
            // Logging about the log could recurse; a file left behind is harmless.
            _ = std::fs::remove_file(self.dir.join(old));
        }
    }
}

/// A writer for one log event.
#[derive(Debug)]
pub struct LogWriter<'a>(&'a RotatingLog);

impl Write for LogWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_line(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0.lock().as_mut() {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

impl<'a> MakeWriter<'a> for RotatingLog {
    type Writer = LogWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::{HOUR_MS, ManualClock};

    #[test]
    fn files_are_named_by_their_period() {
        let at = Timestamp::parse_rfc3339("2026-12-06T21:18:44Z").unwrap();
        assert_eq!(file_name(Rotation::Daily, at), "central.2026-12-06.log");
        assert_eq!(file_name(Rotation::Hourly, at), "central.2026-12-06T21.log");
    }

    #[test]
    fn a_new_period_begins_a_new_file_and_the_oldest_go() {
        let dir = tempfile::tempdir().unwrap();
        let start = Timestamp::parse_rfc3339("2026-12-06T21:00:00Z").unwrap();
        let clock = ManualClock::new(start);
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let log = RotatingLog::new(dir.path().into(), Rotation::Hourly, 2, clock.clone()).unwrap();
        for hour in 0..3 {
            let mut writer = log.make_writer();
            writeln!(writer, "line {hour}").unwrap();
            writeln!(writer, "again {hour}").unwrap();
            clock.advance(HOUR_MS);
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "central.2026-12-06T22.log",
                "central.2026-12-06T23.log",
                "notes.txt"
            ]
        );
        let last = std::fs::read_to_string(dir.path().join("central.2026-12-06T23.log")).unwrap();
        assert_eq!(last, "line 2\nagain 2\n");
    }
}
