//! Protocol version 2's change-feed vocabulary, shared by the central, the desk's sync and its
//! bootstrap: the opaque cursor, the protocol version a desk announces, and the encoded hours of
//! a series that the feed and snapshots move instead of copies of each value.
//!
//! A desk stores and echoes a [`Cursor`] and never reads inside it, so the central may change
//! what it holds (today SQLite's gap-free `seq`; a PostgreSQL central later `(txid, id)`)
//! without breaking a desk in the field.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{Element, Timestamp};

/// The protocol this build speaks. Version 1 was the first release's (typed numeric cursor,
/// every value copied into the change log); version 2 names changed hours and moves chunks.
pub const PROTOCOL_VERSION: u32 = 2;

/// The request header in which a desk announces the protocol it speaks; a request without it
/// comes from a version-1 desk.
pub const PROTOCOL_HEADER: &str = "wxdesk-protocol";

/// A position in the central's change feed, opaque to desks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

/// Prefix of the cursors this central writes: a version tag, so a later encoding can tell its
/// own cursors from these.
const SEQ_CURSOR_PREFIX: &str = "s1.";

/// A cursor the central did not write (or a desk altered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a change-feed cursor: {0:?}")]
pub struct CursorError(String);

impl Cursor {
    /// The cursor before every change: where a desk that has synced nothing starts.
    pub fn start() -> Self {
        Self::from_seq(0)
    }

    /// The central's cursor after the change numbered `seq`.
    pub fn from_seq(seq: u64) -> Self {
        Self(format!("{SEQ_CURSOR_PREFIX}{seq:x}"))
    }

    /// The `seq` inside a cursor (the central's side only; desks never look inside).
    pub fn seq(&self) -> Result<u64, CursorError> {
        self.0
            .strip_prefix(SEQ_CURSOR_PREFIX)
            .filter(|hex| !hex.is_empty() && hex.len() <= 16)
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .ok_or_else(|| CursorError(self.0.clone()))
    }

    /// A cursor as received (from a query or the desk's cache).
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The cursor's text, to store or send.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One hour of one series: what a change names when values or their flags changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeriesHour {
    /// Station id.
    pub station: String,
    /// Element.
    pub element: Element,
    /// The chunk's start: values stamped in `(start, start + 1 h]`.
    pub start: Timestamp,
}

/// An hour of a series as stored (`store::chunk` encoding), carried in a feed page or a
/// snapshot. The desk replaces its copy of the hour with it: the central is the truth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkDto {
    /// Which hour.
    #[serde(flatten)]
    pub hour: SeriesHour,
    /// The encoded values (empty: the hour holds nothing any more).
    pub data: Base64Bytes,
}

/// Bytes carried in JSON as standard base64.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Base64Bytes(pub Vec<u8>);

impl Serialize for Base64Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        BASE64
            .decode(text.as_bytes())
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_what_the_central_did_not_write() {
        for seq in [0, 1, 255, u64::MAX] {
            assert_eq!(Cursor::from_seq(seq).seq(), Ok(seq));
        }
        for text in ["", "17", "s1.", "s1.xyz", "s2.10", "s1.10000000000000000"] {
            assert!(Cursor::from_text(text).seq().is_err(), "{text:?}");
        }
    }

    #[test]
    fn chunk_bytes_travel_as_base64() {
        let chunk = ChunkDto {
            hour: SeriesHour {
                station: "58819".into(),
                element: Element::Tem,
                start: Timestamp(3_600_000),
            },
            data: Base64Bytes(vec![2, 0, 255]),
        };
        let json = serde_json::to_value(&chunk).unwrap();
        assert_eq!(json["data"], "AgD/");
        assert_eq!(json["element"], "TEM");
        assert_eq!(serde_json::from_value::<ChunkDto>(json).unwrap(), chunk);
    }
}
