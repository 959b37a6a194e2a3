//! The central's signal set at the desk (`GET /warnings/signals`): read into a catalogue,
//! kept in the cache so an offline start judges by the same set, and replaced only when the
//! central's digest changes.

use std::sync::{Arc, Mutex, PoisonError};

use super::client::{CentralClient, ClientError};
use crate::console::messages::warnings::DeskSignalSet;
use crate::domain::warning::Catalogue;
use crate::protocol::warnings::SignalSetDto;
use crate::store::cache::CacheDb;

/// The path of the route.
const PATH: &str = "/warnings/signals";

/// `GET /warnings/signals`.
pub async fn fetch_signals(client: &CentralClient) -> Result<SignalSetDto, ClientError> {
    client.get_json(PATH, &[]).await
}

/// The set the central sent, read as the central reads it.
pub fn read(dto: &SignalSetDto) -> Result<DeskSignalSet, String> {
    let bytes = |v: &serde_json::Value| serde_json::to_vec(v).map_err(|e| e.to_string());
    let signals = bytes(&dto.signals)?;
    let guides = dto.guides.as_ref().map(bytes).transpose()?;
    let catalogue =
        Catalogue::from_bytes(&signals, guides.as_deref()).map_err(|e| e.to_string())?;
    Ok(DeskSignalSet {
        name: dto.name.clone(),
        digest: dto.digest.clone(),
        catalogue,
    })
}

/// The set kept in the cache, if one is and it still reads.
pub fn kept(cache: &Mutex<CacheDb>) -> Option<DeskSignalSet> {
    let json = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .signal_set();
    let dto: SignalSetDto = match json {
        Ok(Some(json)) => serde_json::from_str(&json).ok()?,
        Ok(None) => return None,
        Err(error) => {
            tracing::error!(%error, "reading the kept signal set failed");
            return None;
        }
    };
    read(&dto)
        .inspect_err(|error| tracing::warn!(%error, "the kept signal set does not read"))
        .ok()
}

/// Fetches the set; if its digest differs from `held`, reads it, keeps it in the cache and
/// returns it. `None`: unchanged, or not fetched (the link status tells why).
pub async fn refresh(
    client: &CentralClient,
    cache: &Arc<Mutex<CacheDb>>,
    held: Option<&str>,
) -> Option<DeskSignalSet> {
    let dto = match fetch_signals(client).await {
        Ok(dto) if Some(dto.digest.as_str()) == held => return None,
        Ok(dto) => dto,
        Err(error) => {
            tracing::warn!(%error, "the central's signal set was not fetched");
            return None;
        }
    };
    let set = read(&dto)
        .inspect_err(|error| tracing::error!(%error, "the central's signal set does not read"))
        .ok()?;
    let cache = Arc::clone(cache);
    let kept = tokio::task::spawn_blocking(move || {
        let json = serde_json::to_string(&dto).map_err(|e| e.to_string())?;
        let cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.save_signal_set(&json).map_err(|e| e.to_string())
    })
    .await;
    if let Err(error) = kept.map_err(|e| e.to_string()).and_then(|r| r) {
        tracing::error!(%error, "keeping the signal set failed");
    }
    tracing::info!(name = %set.name, digest = %set.digest, "signal set from the central");
    Some(set)
}
