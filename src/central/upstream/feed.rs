//! `[warnings.upstream] url`: a CAP message or an Atom/RSS feed of them, fetched on each
//! request. A feed's messages are kept by link (a CAP message never changes once published),
//! so each is fetched once; a link that failed to arrive is tried again next time.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use reqwest::Url;

use super::Found;
use crate::formats::cap_read::feed::{Published, read_published};
use crate::formats::cap_read::{self, CapMessage, MAX_CAP_BYTES};

/// How long one fetch may take: the list answers within the central's request limit.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A warnings URL and the messages its feed linked to.
#[derive(Debug)]
pub struct UpstreamFeed {
    url: Url,
    http: reqwest::Client,
    kept: Mutex<HashMap<String, Result<CapMessage, String>>>,
}

impl UpstreamFeed {
    /// The feed at `url` (`http` or `https`).
    pub fn new(url: &str) -> Result<Self, String> {
        let url = Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{url} is not an http(s) URL"));
        }
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .user_agent(concat!("wxdesk-central/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("no HTTP client: {e}"))?;
        Ok(Self {
            url,
            http,
            kept: Mutex::default(),
        })
    }

    /// Fetches the URL and, for a feed, the messages not yet kept.
    pub async fn read(&self) -> Found {
        let mut found = Found::default();
        let url = self.url.to_string();
        let published = match self.fetch(&self.url).await {
            Ok(bytes) => read_published(&bytes).map_err(|e| e.to_string()),
            Err(reason) => Err(reason),
        };
        let links = match published {
            Ok(Published::Message(message)) => {
                found.messages.push((url, *message));
                return found;
            }
            Ok(Published::Feed(links)) => links,
            Err(reason) => {
                found.refused.insert(url, reason);
                return found;
            }
        };
        let mut absolute = Vec::new();
        for link in links {
            match self.url.join(&link) {
                Ok(to) => absolute.push(to),
                Err(e) => {
                    found.refused.insert(link, format!("not a link: {e}"));
                }
            }
        }
        self.kept()
            .retain(|link, _| absolute.iter().any(|a| a.as_str() == link));
        // New links at once, so a feed of many stays within the request's time limit.
        let reads = futures_util::future::join_all(absolute.iter().map(|l| self.message(l))).await;
        for (link, read) in absolute.iter().zip(reads) {
            match read {
                Ok(message) => found.messages.push((link.to_string(), message)),
                Err(reason) => {
                    found.refused.insert(link.to_string(), reason);
                }
            }
        }
        found
    }

    /// The message at `link`: kept, or fetched (and kept unless it did not arrive).
    async fn message(&self, link: &Url) -> Result<CapMessage, String> {
        if let Some(kept) = self.kept().get(link.as_str()) {
            return kept.clone();
        }
        let bytes = self.fetch(link).await?;
        let read = cap_read::read(&bytes).map_err(|e| e.to_string());
        if let Err(reason) = &read {
            tracing::warn!(%link, reason, "an upstream CAP message cannot be read");
        }
        self.kept().insert(link.to_string(), read.clone());
        read
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<String, Result<CapMessage, String>>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn fetch(&self, url: &Url) -> Result<Vec<u8>, String> {
        let unreachable = |e: reqwest::Error| format!("cannot be fetched: {e}");
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the server answered {status}"));
        }
        let bytes = response.bytes().await.map_err(unreachable)?;
        if bytes.len() > MAX_CAP_BYTES {
            return Err(format!("{} bytes is too large", bytes.len()));
        }
        Ok(bytes.to_vec())
    }
}
