//! The city's and province's warnings (`GET /warnings/upstream`): CAP 1.2 files the bureau's
//! receiving system drops into `[warnings.upstream] dir`, read on request and kept by file
//! (re-read only when a file's modification time or size changes), and those in force now.
//!
//! In force ([`in_force`]): a real (`Actual`) Alert or Update, not named by an Update or Cancel
//! of the folder (the follow-up replaces or ends it), not expired. A message without `expires`
//! counts for [`NO_EXPIRY_HOURS`] after it was sent, so a forgotten file does not stay on the
//! desk for ever. A file that cannot be read is listed by name with the reason and never stops
//! the others.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;

use super::core::AppState;
use super::error::Failure;
use crate::domain::time::{HOUR_MS, Timestamp};
use crate::domain::warning::Catalogue;
use crate::formats::cap_read::{self, CapMessage, MAX_CAP_BYTES, MsgType, Status};
use crate::protocol::warnings::{UpstreamList, UpstreamWarning};

/// How long a message without `expires` is shown after it was sent.
pub const NO_EXPIRY_HOURS: i64 = 24;

/// File names read as CAP (lower-cased endings); others (a receiving system's `.tmp`, notes)
/// are passed over.
const CAP_ENDINGS: [&str; 2] = [".xml", ".cap"];

/// A folder of upstream CAP files and what was last read from each.
#[derive(Debug)]
pub struct UpstreamFolder {
    dir: PathBuf,
    catalogue: Catalogue,
    files: Mutex<HashMap<String, Kept>>,
}

/// One file as last read: the stamp it had then and what it held.
#[derive(Debug, Clone)]
struct Kept {
    stamp: (Option<SystemTime>, u64),
    read: Result<CapMessage, String>,
}

impl UpstreamFolder {
    /// The folder `dir`, whose signals are recognised against `catalogue`.
    pub fn new(dir: impl Into<PathBuf>, catalogue: Catalogue) -> Self {
        Self {
            dir: dir.into(),
            catalogue,
            files: Mutex::default(),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the folder (changed files only) and answers what is in force at `now`. Blocking.
    pub fn scan(&self, now: Timestamp) -> UpstreamList {
        let mut refused = BTreeMap::new();
        let names = match cap_files(&self.dir) {
            Ok(names) => names,
            Err(e) => {
                refused.insert(
                    self.dir.display().to_string(),
                    format!("the folder cannot be read: {e}"),
                );
                return UpstreamList {
                    warnings: Vec::new(),
                    refused,
                };
            }
        };
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.retain(|name, _| names.contains(name));
        let mut messages = Vec::new();
        for name in names {
            let kept = self.refresh(&mut files, &name);
            match &kept.read {
                Ok(message) => messages.push((name, message.clone())),
                Err(reason) => {
                    refused.insert(name, reason.clone());
                }
            }
        }
        drop(files);
        UpstreamList {
            warnings: in_force(&messages, &self.catalogue, now),
            refused,
        }
    }

    /// The file `name` as kept, read again if its stamp changed.
    fn refresh<'a>(&self, files: &'a mut HashMap<String, Kept>, name: &str) -> &'a Kept {
        let path = self.dir.join(name);
        let stamp = std::fs::metadata(&path).map(|m| (m.modified().ok(), m.len()));
        let fresh = |stamp| {
            let read = read_file(&path);
            if let Err(reason) = &read {
                // Once per version of the file, for the administrators; the list says it too.
                tracing::warn!(file = name, reason, "an upstream CAP file cannot be read");
            }
            Kept { stamp, read }
        };
        match (files.get(name), stamp) {
            (Some(kept), Ok(stamp)) if kept.stamp == stamp => {}
            (_, Ok(stamp)) => {
                files.insert(name.to_owned(), fresh(stamp));
            }
            (_, Err(e)) => {
                let read = Err(format!("cannot be read: {e}"));
                files.insert(
                    name.to_owned(),
                    Kept {
                        stamp: (None, 0),
                        read,
                    },
                );
            }
        }
        &files[name]
    }
}

/// The CAP files of `dir` by name, sorted (hidden files and other endings passed over).
fn cap_files(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let lower = name.to_lowercase();
        let is_cap = CAP_ENDINGS.iter().any(|ending| lower.ends_with(ending));
        if is_cap && !name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_file()) {
            names.insert(name);
        }
    }
    Ok(names)
}

/// One file read and parsed; the reason for a person when it cannot be.
fn read_file(path: &Path) -> Result<CapMessage, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("cannot be read: {e}"))?
        .len();
    if len > MAX_CAP_BYTES as u64 {
        return Err(format!("{len} bytes is too large for a CAP message"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    cap_read::read(&bytes).map_err(|e| e.to_string())
}

/// The warnings in force at `now` among `messages` (file name, message), as the desk shows
/// them: by sender, newest first.
pub fn in_force(
    messages: &[(String, CapMessage)],
    catalogue: &Catalogue,
    now: Timestamp,
) -> Vec<UpstreamWarning> {
    let real = |m: &CapMessage| {
        m.status == Status::Actual
            && matches!(
                m.msg_type,
                MsgType::Alert | MsgType::Update | MsgType::Cancel
            )
    };
    let followed: BTreeSet<(&str, &str)> = messages
        .iter()
        .map(|(_, m)| m)
        .filter(|m| real(m))
        .flat_map(|m| &m.references)
        .map(|r| (r.sender.as_str(), r.identifier.as_str()))
        .collect();
    let mut seen = BTreeSet::new();
    let mut warnings: Vec<UpstreamWarning> = messages
        .iter()
        .filter(|(_, m)| real(m) && m.msg_type != MsgType::Cancel)
        .filter(|(_, m)| !followed.contains(&(m.sender.as_str(), m.identifier.as_str())))
        .filter(|(_, m)| seen.insert((m.sender.as_str(), m.identifier.as_str())))
        .filter_map(|(file, m)| {
            let info = m.info.as_ref()?;
            let until = info
                .expires
                .unwrap_or(m.sent.plus_ms(NO_EXPIRY_HOURS * HOUR_MS));
            (until > now).then(|| warning(file, m, info, catalogue))
        })
        .collect();
    warnings
        .sort_by(|a, b| (a.sender_name.as_str(), b.sent).cmp(&(b.sender_name.as_str(), a.sent)));
    warnings
}

fn warning(
    file: &str,
    message: &CapMessage,
    info: &cap_read::CapInfo,
    catalogue: &Catalogue,
) -> UpstreamWarning {
    let found = cap_read::recognise(catalogue, info);
    let headline = if info.headline.is_empty() {
        info.event.clone()
    } else {
        info.headline.clone()
    };
    UpstreamWarning {
        identifier: message.identifier.clone(),
        sender_name: message.sender_name().to_owned(),
        signal: found.signal.map(|s| s.id.clone()),
        level: found.level,
        headline,
        msg_type: message.msg_type.as_str().to_owned(),
        sent: message.sent,
        expires: info.expires,
        area_desc: info.area_desc.clone(),
        source: file.to_owned(),
    }
}

/// `GET /warnings/upstream`: the city's and province's warnings in force, and the files that
/// could not be read. Empty when no folder is configured.
pub async fn list(State(state): State<AppState>) -> Result<Json<UpstreamList>, Failure> {
    let Some(folder) = state.upstream().cloned() else {
        return Ok(Json(UpstreamList {
            warnings: Vec::new(),
            refused: BTreeMap::new(),
        }));
    };
    let now = state.clock().now();
    state.call(move |_| Ok(folder.scan(now))).await.map(Json)
}

#[cfg(test)]
mod tests;
