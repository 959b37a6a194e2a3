//! What the UI asks of the backend ([`Command`]) and what the backend reports ([`Event`]).
//! One enum pair per backend service, routed by the thin outer enums.

use crate::domain::{Network, Observation, Timestamp};

/// A request from the UI to a backend service. Imperative.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// For the sync service.
    Sync(SyncCommand),
}

/// A report from a backend service to the UI state. Past tense.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// From the sync service.
    Sync(SyncEvent),
}

/// Requests to the sync service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncCommand {
    /// Skip the back-off wait and try the central now.
    RetryNow,
}

/// Reports of the sync service.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// The station network, from the cache at start-up or fresh from the central.
    NetworkLoaded(Network),
    /// Observations now in the cache: the recent window at start-up, then each batch synced.
    /// Values may repeat ones already delivered (start-up snapshot overlapping a sync batch);
    /// applying them is idempotent.
    ObservationsArrived(Vec<Observation>),
    /// The link to the central changed.
    LinkChanged(LinkStatus),
    /// The cache now holds every change up to `cursor`; the central's newest is `head`.
    Synced {
        /// When this sync step finished.
        at: Timestamp,
        /// Last change applied to the cache.
        cursor: u64,
        /// Newest change the central reported.
        head: u64,
    },
    /// Something went wrong that the user must hear about (a corrupt cache, a refused
    /// request). Link trouble is reported through [`SyncEvent::LinkChanged`] instead.
    Failed(String),
}

/// The state of the link to the central, as the top bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkStatus {
    /// Trying to reach the central for the first time this session.
    Connecting {
        /// When the attempt began.
        since: Timestamp,
    },
    /// Connected and receiving the live stream.
    Online {
        /// When the link came up.
        since: Timestamp,
    },
    /// The central cannot be reached; cached data is shown.
    Offline {
        /// When the link was lost (or first attempt failed).
        since: Timestamp,
        /// Why, as the last attempt saw it.
        error: String,
        /// When the next attempt is due.
        retry_at: Timestamp,
    },
}
