//! The city's and province's warnings at the desk: [`fetch_upstream`] asks the central
//! (`GET /warnings/upstream`), and [`UpstreamService`] does so when someone signs in, every
//! [`REFRESH_EVERY`] while they stay signed in, and on [`WarningCommand::RefreshUpstream`],
//! answering with [`WarningEvent::Upstream`]. At the same times it asks whether the central's
//! signal set changed ([`super::signals`]), and at start it tells the set kept in the cache.
//!
//! A periodic refresh that fails keeps the last list (the link status already says the
//! central is unreachable); a refresh the forecaster asked for and that fails is told as
//! [`WarningEvent::Refused`].
//!
//! [`WarningCommand::RefreshUpstream`]: crate::console::messages::WarningCommand::RefreshUpstream

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;

use super::client::{CentralClient, ClientError};
use super::session::{Emitter, Session};
use super::signals;
use crate::console::messages::warnings::DeskSignalSet;
use crate::console::messages::{Event, WarningEvent};
use crate::protocol::recipients::RecipientCounts;
use crate::protocol::warnings::{UpstreamList, UpstreamWarning};
use crate::store::cache::CacheDb;

/// How often the desk asks again while someone is signed in.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);

/// The path of the route.
const PATH: &str = "/warnings/upstream";

/// How many people the central keeps per township and group (the composer's live count).
const COUNTS_PATH: &str = "/recipients/counts";

/// `GET /warnings/upstream`: the city's and province's warnings in force.
pub async fn fetch_upstream(client: &CentralClient) -> Result<Vec<UpstreamWarning>, ClientError> {
    let list: UpstreamList = client.get_json(PATH, &[]).await?;
    if !list.refused.is_empty() {
        // The central's folder holds files it cannot read; the administrators fix them there.
        let files: Vec<&String> = list.refused.keys().collect();
        tracing::debug!(?files, "the central could not read some upstream CAP files");
    }
    Ok(list.warnings)
}

/// Keeps the desk's upstream warnings and signal set fresh.
#[derive(Debug)]
pub struct UpstreamService {
    client: CentralClient,
    session: Arc<Session>,
    cache: Arc<Mutex<CacheDb>>,
    emitter: Emitter,
    every: Duration,
    /// The digest of the signal set the screens have.
    held: Mutex<Option<String>>,
}

/// Why the service fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Sign-in or the timer: failures are quiet.
    Routine,
    /// The forecaster asked: failures are told.
    Asked,
}

impl UpstreamService {
    /// A service over `client`, refreshing every `every` (the console uses [`REFRESH_EVERY`]).
    pub fn new(
        client: CentralClient,
        session: Arc<Session>,
        cache: Arc<Mutex<CacheDb>>,
        emitter: Emitter,
        every: Duration,
    ) -> Self {
        Self {
            client,
            session,
            cache,
            emitter,
            every,
            held: Mutex::new(None),
        }
    }

    /// Tells the screens `set` and remembers it is theirs.
    async fn hand_over(&self, set: DeskSignalSet) {
        *self.held.lock().unwrap_or_else(PoisonError::into_inner) = Some(set.digest.clone());
        self.emit(WarningEvent::SignalSet(Box::new(set))).await;
    }

    /// Serves until `requests` closes or the UI leaves: one fetch at each sign-in (or change of
    /// token), one per `every` while signed in, one per request.
    pub async fn run(self, mut requests: mpsc::Receiver<()>) {
        let cache = Arc::clone(&self.cache);
        let kept = tokio::task::spawn_blocking(move || signals::kept(&cache)).await;
        if let Ok(Some(set)) = kept {
            self.hand_over(set).await;
        }
        let mut token = self.session.watch();
        let mut why = Some(Why::Routine);
        loop {
            let signed_in = token.borrow_and_update().as_ref().is_some_and(|t| t.usable);
            if let Some(why) = why.take() {
                self.refresh(signed_in, why).await;
            }
            if self.emitter.is_closed() {
                return;
            }
            why = tokio::select! {
                request = requests.recv() => match request {
                    Some(()) => Some(Why::Asked),
                    None => return,
                },
                changed = token.changed() => match changed {
                    Ok(()) => Some(Why::Routine),
                    Err(_) => return,
                },
                () = tokio::time::sleep(self.every), if signed_in => Some(Why::Routine),
            };
        }
    }

    async fn refresh(&self, signed_in: bool, why: Why) {
        let client = match self.session.authorise(&self.client) {
            Some(client) if signed_in => client,
            // Signed out: what the last user saw is not left on the desk.
            _ => return self.emit(WarningEvent::Upstream(Vec::new())).await,
        };
        let held = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(set) = signals::refresh(&client, &self.cache, held.as_deref()).await {
            self.hand_over(set).await;
        }
        match client.get_json::<RecipientCounts>(COUNTS_PATH, &[]).await {
            Ok(counts) => {
                self.emit(WarningEvent::RecipientCounts(counts.counts))
                    .await;
            }
            // The composer keeps the last counts; the link status says why.
            Err(error) => tracing::debug!(%error, "the recipient counts were not fetched"),
        }
        // The reminder to re-confirm the 叫应 call list follows the same rounds.
        match client.roster().await {
            Ok(roster) => self.emit(WarningEvent::Roster(roster)).await,
            Err(error) => tracing::debug!(%error, "the call list's confirmation was not fetched"),
        }
        match fetch_upstream(&client).await {
            Ok(warnings) => self.emit(WarningEvent::Upstream(warnings)).await,
            Err(error) => {
                let offline = matches!(error, ClientError::Unreachable(_));
                let trouble = self.session.failure(error).await;
                tracing::warn!(%trouble, "the city's and province's warnings were not fetched");
                if why == Why::Asked {
                    let code = trouble.code().unwrap_or("unreachable").to_owned();
                    let message = if offline {
                        "无法连接中心，市、省预警未能刷新".to_owned()
                    } else {
                        format!("中心未能提供市、省预警（{code}）")
                    };
                    let event = WarningEvent::Refused {
                        code,
                        message,
                        offline,
                    };
                    self.emit(event).await;
                }
            }
        }
    }

    async fn emit(&self, event: WarningEvent) {
        self.emitter.emit(Event::Warnings(event)).await;
    }
}
