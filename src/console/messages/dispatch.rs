//! A released warning's dispatch at the desk: what the dispatch view asks of the backend
//! ([`DispatchCommand`]) and what it answers ([`DispatchEvent`]). The view polls while it is
//! shown; the outbox writes no change-feed entries (its rows carry personal data and change
//! by the thousand), so the deliveries route is read instead of the feed.

// Re-exported: the view names the lists it shows through the messages that carry them (the
// UI may not reach into the protocol layer).
pub use crate::protocol::outbox::{
    ChannelDeliveries, DecisionAnswer, Delivery, DeliveryList, ResendInfo,
};

/// Requests to the dispatch service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchCommand {
    /// Read where the warning's messages stand.
    Fetch {
        /// The warning.
        warning: String,
    },
    /// Put the warning's failed messages back in the queue (only these recipients' when
    /// some are named).
    Retry {
        /// The warning.
        warning: String,
        /// Recipients; empty: every failed message.
        recipients: Vec<u64>,
    },
    /// Send these recipients' messages of unknown outcome again, for a reason.
    Resend {
        /// The warning.
        warning: String,
        /// Recipients.
        recipients: Vec<u64>,
        /// Why (required).
        reason: String,
    },
}

/// Reports from the dispatch service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchEvent {
    /// Where a warning's messages stand.
    Loaded(Box<DeliveryList>),
    /// A retry or resend was done.
    Decided(DecisionAnswer),
    /// A request was not done: the code and its words in the desk's language.
    Refused {
        /// The warning asked about.
        warning: String,
        /// The refusal's code (`unreachable` when the central could not be reached).
        code: String,
        /// What to show.
        message: String,
    },
}
