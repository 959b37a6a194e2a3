//! The city's and province's warnings (`GET /warnings/upstream`): CAP 1.2 files the bureau's
//! receiving system drops into `[warnings.upstream] dir`, read on request and kept by file
//! (re-read only when a file's modification time or size changes), and those a `url` publishes
//! ([`feed`]), and of them those in force now.
//!
//! In force ([`in_force`]): a real (`Actual`) Alert or Update, not named by an Update or Cancel
//! read with it (the follow-up replaces or ends it), not expired. A message without `expires`
//! counts for [`NO_EXPIRY_HOURS`] after it was sent, so a forgotten file does not stay on the
//! desk for ever. A file (or link) that cannot be read is listed by name with the reason and
//! never stops the others.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;

use super::core::AppState;
use crate::domain::time::{HOUR_MS, Timestamp};
use crate::domain::warning::Catalogue;
use crate::formats::cap_read::{self, CapMessage, MAX_CAP_BYTES, MsgType, Status};
use crate::protocol::warnings::{UpstreamList, UpstreamWarning};

pub mod feed;

pub use feed::UpstreamFeed;

/// How long a message without `expires` is shown after it was sent.
pub const NO_EXPIRY_HOURS: i64 = 24;

/// File names read as CAP (lower-cased endings); others (a receiving system's `.tmp`, notes)
/// are passed over.
const CAP_ENDINGS: [&str; 2] = [".xml", ".cap"];

/// Where the city's and province's warnings come from, and the catalogue their signals are
/// recognised against.
#[derive(Debug)]
pub struct Upstream {
    /// The folder, if configured.
    pub folder: Option<UpstreamFolder>,
    /// The URL, if configured.
    pub feed: Option<UpstreamFeed>,
    /// The signal catalogue.
    pub catalogue: Catalogue,
}

impl Upstream {
    /// Reads the folder (off the async threads) and the URL, and answers what is in force at
    /// `now`.
    pub async fn list(self: Arc<Self>, now: Timestamp) -> UpstreamList {
        let mut found = Found::default();
        if self.folder.is_some() {
            let upstream = Arc::clone(&self);
            let read = tokio::task::spawn_blocking(move || {
                upstream.folder.as_ref().map(UpstreamFolder::read)
            })
            .await;
            match read {
                Ok(Some(read)) => found.extend(read),
                Ok(None) => {}
                Err(e) => {
                    found
                        .refused
                        .insert("folder".into(), format!("not read: {e}"));
                }
            }
        }
        if let Some(feed) = &self.feed {
            found.extend(feed.read().await);
        }
        UpstreamList {
            warnings: in_force(&found.messages, &self.catalogue, now),
            refused: found.refused,
        }
    }
}

/// Messages read (by file name or URL) and what could not be read (name → why).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Messages, by where they came from.
    pub messages: Vec<(String, CapMessage)>,
    /// Files or URLs refused, with the reason.
    pub refused: BTreeMap<String, String>,
}

impl Found {
    fn extend(&mut self, other: Found) {
        self.messages.extend(other.messages);
        self.refused.extend(other.refused);
    }
}

/// A folder of upstream CAP files and what was last read from each.
#[derive(Debug)]
pub struct UpstreamFolder {
    dir: PathBuf,
    files: Mutex<HashMap<String, Kept>>,
}

/// One file as last read: the stamp it had then and what it held.
#[derive(Debug, Clone)]
struct Kept {
    stamp: (Option<SystemTime>, u64),
    read: Result<CapMessage, String>,
}

impl UpstreamFolder {
    /// The folder `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            files: Mutex::default(),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the folder, changed files only. Blocking.
    pub fn read(&self) -> Found {
        let mut found = Found::default();
        let names = match cap_files(&self.dir) {
            Ok(names) => names,
            Err(e) => {
                found.refused.insert(
                    self.dir.display().to_string(),
                    format!("the folder cannot be read: {e}"),
                );
                return found;
            }
        };
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.retain(|name, _| names.contains(name));
        for name in names {
            match &self.refresh(&mut files, &name).read {
                Ok(message) => found.messages.push((name, message.clone())),
                Err(reason) => {
                    found.refused.insert(name, reason.clone());
                }
            }
        }
        found
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
/// could not be read. Empty when neither a folder nor a URL is configured.
pub async fn list(State(state): State<AppState>) -> Json<UpstreamList> {
    let Some(upstream) = state.upstream().cloned() else {
        return Json(UpstreamList {
            warnings: Vec::new(),
            refused: BTreeMap::new(),
        });
    };
    Json(upstream.list(state.clock().now()).await)
}

#[cfg(test)]
mod tests;
