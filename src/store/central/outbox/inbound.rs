//! What people send the bureau (an SMS reply, a follower's text), kept for the call-and-response
//! desk (叫应) to match against what was sent; and the outbox counted by kind and state for the
//! status read. Neither reads nor returns a payload.

use rusqlite::params;

use super::{SqliteOutbox, parse_state};
use crate::domain::Timestamp;
use crate::domain::outbox::OutboxState;
use crate::store::{Context as _, StoreError};

/// The inbound messages' table (a migration of the central's database).
pub const SCHEMA: &str = "
CREATE TABLE inbound_messages (
    id          INTEGER PRIMARY KEY,
    channel     TEXT    NOT NULL,   -- outbox kind it came back on (sms, wechat)
    sender      TEXT    NOT NULL,   -- an 11-digit number or an openid: personal data
    text        TEXT    NOT NULL,
    at          INTEGER NOT NULL,   -- when it arrived, Unix ms, UTC
    received_at INTEGER NOT NULL    -- when the central stored it
);
CREATE INDEX inbound_messages_at ON inbound_messages (at);
";

/// The gateway's id of each inbound message, kept once: a gateway that delivers a message
/// again (its answer was lost in a restart; WeChat's retry after 5 s) adds no second row.
pub const MESSAGE_ID: &str = "
ALTER TABLE inbound_messages ADD COLUMN message_id TEXT;
CREATE UNIQUE INDEX inbound_messages_once ON inbound_messages (channel, message_id)
    WHERE message_id IS NOT NULL;
";

/// A message from a person, as a channel reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The outbox kind it came back on.
    pub channel: String,
    /// The sender (personal data: never logged).
    pub sender: String,
    /// What was written.
    pub text: String,
    /// When it arrived.
    pub at: Timestamp,
    /// The gateway's id for it, when it gives one.
    pub message_id: Option<String>,
}

/// A message as stored: its row in `inbound_messages` and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// Its row id.
    pub id: i64,
    /// The message.
    pub message: InboundMessage,
}

/// Rows of one kind in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    /// The outbox kind.
    pub kind: String,
    /// The state.
    pub state: OutboxState,
    /// How many.
    pub count: u64,
}

impl SqliteOutbox {
    /// Keeps `message`; returns its row id, or `None` for a copy of one kept already (the
    /// same gateway id on the same channel).
    pub fn record_inbound(
        &self,
        message: &InboundMessage,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let conn = self.conn();
        let added = conn
            .execute(
                "INSERT INTO inbound_messages (channel, sender, text, at, received_at, message_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![
                    message.channel,
                    message.sender,
                    message.text,
                    message.at.0,
                    now.0,
                    message.message_id
                ],
            )
            .context("storing an inbound message")?;
        Ok((added == 1).then(|| conn.last_insert_rowid()))
    }

    /// Every inbound message, oldest first.
    pub fn inbound(&self) -> Result<Vec<InboundMessage>, StoreError> {
        let conn = self.conn();
        let mut query = conn
            .prepare_cached(
                "SELECT channel, sender, text, at, message_id FROM inbound_messages ORDER BY id",
            )
            .context("preparing inbound messages")?;
        query
            .query_map([], |r| {
                Ok(InboundMessage {
                    channel: r.get(0)?,
                    sender: r.get(1)?,
                    text: r.get(2)?,
                    at: Timestamp(r.get(3)?),
                    message_id: r.get(4)?,
                })
            })
            .and_then(Iterator::collect)
            .context("reading inbound messages")
    }

    /// How many rows stand in each kind and state (pairs with none left out), by kind.
    pub fn counts_by_kind(&self) -> Result<Vec<KindCount>, StoreError> {
        let conn = self.conn();
        let mut query = conn
            .prepare_cached(
                "SELECT kind, state, count(*) FROM outbox GROUP BY kind, state ORDER BY kind",
            )
            .context("preparing outbox counts by kind")?;
        let counts: Vec<(String, String, i64)> = query
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .context("counting outbox rows by kind")?;
        counts
            .into_iter()
            .map(|(kind, state, count)| {
                Ok(KindCount {
                    kind,
                    state: parse_state(&state)?,
                    count: count.unsigned_abs(),
                })
            })
            .collect()
    }
}
