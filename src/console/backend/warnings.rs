//! The warnings service: keeps the desk's drafts in the cache (they survive restarts and an
//! unreachable central), carries submission, approval, return, signing alone and release to
//! the central, and tells the screens the records the cache holds. Records arrive by sync;
//! this service also stores the record each answer returns, so the screen need not wait for
//! the feed.
//!
//! While the central cannot be reached nothing is approved or sent: the answer is
//! `Refused { offline: true }` and the draft stays where it was.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

mod callout;

use super::client::{CentralClient, ClientError};
use super::session::{Emitter, Session};
use crate::console::messages::Event;
use crate::console::messages::warnings::{DeskDraft, WarningCommand, WarningEvent};
use crate::domain::refusal::Code;
use crate::protocol::warnings::{PinRequest, ReturnRequest, WarningRecord};
use crate::store::StoreError;
use crate::store::cache::CacheDb;
use crate::store::cache::warnings::{StoredDraft, SyncedWarning};

/// A record as the cache keeps it.
pub fn synced(record: &WarningRecord) -> Result<SyncedWarning, String> {
    Ok(SyncedWarning {
        id: record.id.clone(),
        record: serde_json::to_string(record).map_err(|e| e.to_string())?,
    })
}

/// The records the cache holds, newest first (by the central's numbering); one that does not
/// decode is logged and left out.
pub fn records(cache: &CacheDb) -> Result<Vec<WarningRecord>, StoreError> {
    let mut records: Vec<WarningRecord> = cache
        .warning_records()?
        .into_iter()
        .filter_map(|w| match serde_json::from_str(&w.record) {
            Ok(record) => Some(record),
            Err(error) => {
                tracing::warn!(id = %w.id, %error, "a cached warning record does not decode");
                None
            }
        })
        .collect();
    let number = |r: &WarningRecord| r.id.trim_start_matches('w').parse::<u64>().unwrap_or(0);
    records.sort_by_key(|r| std::cmp::Reverse(number(r)));
    Ok(records)
}

fn stored(draft: &DeskDraft) -> Result<StoredDraft, StoreError> {
    Ok(StoredDraft {
        id: draft.id,
        composer: draft.composer.clone(),
        content: serde_json::to_string(&draft.content)
            .map_err(|e| StoreError::Decode(e.to_string()))?,
        submitted_as: draft.submitted_as.clone(),
        owner: draft.owner.clone(),
    })
}

/// The drafts the cache holds; one whose content does not decode is logged and left out.
pub fn drafts(cache: &CacheDb) -> Result<Vec<DeskDraft>, StoreError> {
    Ok(cache
        .drafts()?
        .into_iter()
        .filter_map(|d| match serde_json::from_str(&d.content) {
            Ok(content) => Some(DeskDraft {
                id: d.id,
                composer: d.composer,
                content,
                submitted_as: d.submitted_as,
                owner: d.owner,
            }),
            Err(error) => {
                tracing::warn!(id = d.id, %error, "a kept draft does not decode");
                None
            }
        })
        .collect())
}

/// What a failed call becomes for the screens: the code, its words in Chinese, and whether
/// the central could not be reached at all.
pub fn refusal(error: &ClientError) -> WarningEvent {
    let Some((code, message)) = error.said() else {
        let words = "无法连接中心：预警尚未发送（NOT YET SENT）。草稿已保留在本机；\
                     如需立即发布，请导出文本和 CAP 文件，通过省级发布系统发布";
        return WarningEvent::Refused {
            code: "unreachable".to_owned(),
            message: words.to_owned(),
            offline: true,
        };
    };
    WarningEvent::Refused {
        code,
        message,
        offline: false,
    }
}

/// The service (one per backend).
#[derive(Debug)]
pub struct WarningsService {
    client: CentralClient,
    session: Arc<Session>,
    cache: Arc<Mutex<CacheDb>>,
    emitter: Emitter,
    /// Where the CAP hand-over file goes (the desk's export folder).
    export_dir: PathBuf,
}

impl WarningsService {
    /// A service over the shared cache, calling the central as the session's user.
    pub fn new(
        client: CentralClient,
        session: Arc<Session>,
        cache: Arc<Mutex<CacheDb>>,
        emitter: Emitter,
        export_dir: PathBuf,
    ) -> Self {
        Self {
            client,
            session,
            cache,
            emitter,
            export_dir,
        }
    }

    /// Tells the screens the drafts and records kept, then serves `commands` until the UI
    /// goes.
    pub async fn run(self, mut commands: mpsc::Receiver<WarningCommand>) {
        self.announce_drafts().await;
        self.announce_records().await;
        while let Some(command) = commands.recv().await {
            self.handle(command).await;
            if self.emitter.is_closed() {
                return;
            }
        }
    }

    async fn handle(&self, command: WarningCommand) {
        match command {
            WarningCommand::SaveDraft(draft) => {
                self.keep(&draft).await;
                self.announce_drafts().await;
            }
            WarningCommand::DropDraft(id) => {
                if let Err(error) = self.with_cache(move |c| c.drop_draft(id)).await {
                    tracing::error!(%error, "forgetting a draft failed");
                }
                self.announce_drafts().await;
            }
            WarningCommand::Submit(draft) => self.submit(draft).await,
            WarningCommand::Approve { id, pin } => {
                self.step(&id, "approve", &PinRequest { pin }).await;
            }
            WarningCommand::Return { id, comment } => {
                self.step(&id, "return", &ReturnRequest { comment }).await;
            }
            WarningCommand::SignAlone { id, pin } => {
                self.step(&id, "sign-alone", &PinRequest { pin }).await;
            }
            WarningCommand::Release { id, pin } => {
                self.step(&id, "release", &PinRequest { pin }).await;
            }
            WarningCommand::SaveCapFile { name, xml } => {
                let saved = self.save_cap(&name, xml).await;
                self.emit(WarningEvent::CapSaved(saved)).await;
            }
            // The upstream feed is another service's (issue 11, item 8).
            WarningCommand::RefreshUpstream => {}
            WarningCommand::LoadCallout(id) => self.load_callout(&id).await,
            WarningCommand::RevealCalloutNumber { warning, line } => {
                self.reveal_number(&warning, line).await;
            }
            WarningCommand::LogCalloutCall {
                warning,
                line,
                call,
            } => self.log_call(&warning, line, &call).await,
            WarningCommand::ExportCallout(id) => self.export_callout(&id).await,
            WarningCommand::LoadRoster => self.roster(false).await,
            WarningCommand::ConfirmRoster => self.roster(true).await,
        }
    }

    /// Writes the NOT YET SENT hand-over's CAP file into the export folder. The name is the
    /// message's national identifier; anything else (a path) is refused.
    async fn save_cap(&self, name: &str, xml: String) -> Result<String, String> {
        if !is_plain_file_name(name) {
            return Err(format!("文件名不合规：{name}"));
        }
        let path = self.export_dir.join(name);
        let written = path.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(written.parent().unwrap_or(&written))?;
            std::fs::write(&written, xml)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "CAP hand-over file written");
        Ok(path.display().to_string())
    }

    /// Keeps `draft` in the cache; a failure is said to the screens.
    async fn keep(&self, draft: &DeskDraft) -> bool {
        let draft = draft.clone();
        match self
            .with_cache(move |c| c.save_draft(&stored(&draft)?))
            .await
        {
            Ok(()) => true,
            Err(error) => {
                tracing::error!(%error, "keeping a draft failed");
                self.emit(WarningEvent::Refused {
                    code: "draft_not_kept".to_owned(),
                    message: format!("草稿未能保存到本机：{error}"),
                    offline: false,
                })
                .await;
                false
            }
        }
    }

    /// Submits a draft (a revision when it names its record), keeping it first so an
    /// unreachable central loses nothing; on success the draft names its record.
    async fn submit(&self, mut draft: DeskDraft) {
        if !self.keep(&draft).await {
            return;
        }
        let answer = match self.session.authorise(&self.client) {
            None => Err(ClientError::Unauthorized(
                Code::Unauthorized.as_str().into(),
            )),
            Some(client) => match &draft.submitted_as {
                Some(id) => client.warning_step(id, "revise", &draft.content).await,
                None => client.submit_warning(&draft.content).await,
            },
        };
        let submitted_as = answer.as_ref().ok().map(|record| record.id.clone());
        self.answer(answer).await;
        if submitted_as.is_some() {
            draft.submitted_as = submitted_as;
            self.keep(&draft).await;
            self.announce_drafts().await;
        }
    }

    async fn step<B: serde::Serialize + Sync + ?Sized>(&self, id: &str, step: &str, body: &B) {
        let answer = match self.session.authorise(&self.client) {
            None => Err(ClientError::Unauthorized(
                Code::Unauthorized.as_str().into(),
            )),
            Some(client) => client.warning_step(id, step, body).await,
        };
        self.answer(answer).await;
    }

    /// `Done` with the record (stored in the cache at once), or `Refused`.
    async fn answer(&self, answer: Result<WarningRecord, ClientError>) {
        match answer {
            Ok(record) => {
                match synced(&record) {
                    Ok(warning) => {
                        let stored = self
                            .with_cache(move |c| {
                                c.apply(vec![crate::store::cache::CacheChange::Warning(warning)])
                            })
                            .await;
                        if let Err(error) = stored {
                            tracing::warn!(%error, "the answered record was not cached; sync brings it");
                        }
                    }
                    Err(error) => tracing::warn!(%error, "the answered record does not encode"),
                }
                self.emit(WarningEvent::Done(Box::new(record))).await;
                self.announce_records().await;
                self.announce_drafts().await;
            }
            Err(error) => {
                let said = refusal(&error);
                if matches!(error, ClientError::Unauthorized(_)) {
                    self.session.failure(error).await;
                } else {
                    tracing::info!(%error, "a warning request was not done");
                }
                self.emit(said).await;
            }
        }
    }

    /// Tells the screens the kept drafts, forgetting first those whose record was released
    /// (the central's record is the warning from then on).
    async fn announce_drafts(&self) {
        let kept = self
            .with_cache(|c| {
                let released = records(c)?;
                for done in drafts(c)?.iter().filter(|d| d.settled(&released)) {
                    c.drop_draft(done.id)?;
                }
                drafts(c)
            })
            .await;
        match kept {
            Ok(drafts) => self.emit(WarningEvent::DraftsLoaded(drafts)).await,
            Err(error) => tracing::error!(%error, "reading the kept drafts failed"),
        }
    }

    async fn announce_records(&self) {
        match self.with_cache(|c| records(c)).await {
            Ok(records) => self.emit(WarningEvent::RecordsChanged(records)).await,
            Err(error) => tracing::error!(%error, "reading the cached warnings failed"),
        }
    }

    async fn emit(&self, event: WarningEvent) {
        self.emitter.emit(Event::Warnings(event)).await;
    }

    async fn with_cache<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut CacheDb) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let cache = Arc::clone(&self.cache);
        tokio::task::spawn_blocking(move || {
            work(&mut cache.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .unwrap_or_else(|join| Err(StoreError::Decode(format!("cache task failed: {join}"))))
    }
}

/// A bare file name for the export folder: letters, digits, `_`, `-`, `.`, not hidden, so no
/// name the UI passes can reach outside the folder.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::is_plain_file_name;

    #[test]
    fn only_a_bare_name_reaches_the_export_folder() {
        let cases = [
            ("35042341600000_20261206163000.xml", true),
            ("warning.xml", true),
            ("", false),
            (".hidden.xml", false),
            ("..", false),
            ("../etc/passwd", false),
            ("/tmp/x.xml", false),
            ("a\\b.xml", false),
            ("预警.xml", false),
        ];
        for (name, plain) in cases {
            assert_eq!(is_plain_file_name(name), plain, "{name:?}");
        }
    }
}
