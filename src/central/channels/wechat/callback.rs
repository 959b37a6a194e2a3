//! What the Official Account pushes to the central's callback URL, as pure functions (the
//! route is wired with dispatch):
//!
//! - every request carries `signature`, `timestamp` and `nonce` in its query; `signature` is
//!   the hex SHA-1 of the callback token, `timestamp` and `nonce` sorted and joined
//!   ([`verify`]), and its timestamp must be recent ([`check_timestamp`]);
//! - the `GET` that checks the URL echoes `echostr` once the signature holds ([`handshake`]);
//! - a `POST` carries one XML message in plain mode ([`parse_push`]): the
//!   `TEMPLATESENDJOBFINISH` event becomes a [`ChannelReport::Receipt`] for the `msgid` the
//!   send returned, a follower's text a [`ChannelReport::Reply`]; anything else is not for us.
//!
//! The encrypted ("safe") mode is not read here.

use roxmltree::{Document, Node};
use serde::Deserialize;
use sha1::{Digest as _, Sha1};

use crate::central::channels::{ChannelReport, ReceiptOutcome};
use crate::domain::Timestamp;

/// The signature fields of a callback's query string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallbackQuery {
    /// Hex SHA-1 of the sorted token, timestamp and nonce.
    pub signature: String,
    /// Unix seconds, as WeChat sent it.
    pub timestamp: String,
    /// A random string.
    pub nonce: String,
    /// The handshake's challenge (only on the URL check).
    pub echostr: Option<String>,
}

/// Why a callback was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The signature does not match the configured token: not from WeChat, or a wrong token.
    #[error("the callback's signature does not match")]
    BadSignature,
    /// A handshake without its `echostr`.
    #[error("the URL check has no echostr")]
    NoEchostr,
    /// The body is not XML.
    #[error("the callback body is not XML: {0}")]
    NotXml(String),
    /// The signed timestamp is too far from now: a replay, or a clock badly off.
    #[error("the callback's timestamp is {skew_s} s away from now (at most {max_s} s allowed)")]
    Stale {
        /// How far, in seconds.
        skew_s: i64,
        /// The allowed distance.
        max_s: i64,
    },
    /// A field the message type requires is missing or malformed.
    #[error("the callback's {0} is missing or malformed")]
    Field(&'static str),
}

/// The hex SHA-1 WeChat signs a callback with.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let digest = Sha1::digest(parts.concat().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `query` is signed with `token` (compared in constant time).
pub fn verify(token: &str, query: &CallbackQuery) -> Result<(), CallbackError> {
    let expected = signature(token, &query.timestamp, &query.nonce);
    let given = query.signature.to_ascii_lowercase();
    let same_length = expected.len() == given.len();
    let differing = expected
        .bytes()
        .zip(given.bytes())
        .fold(0_u8, |acc, (a, b)| acc | (a ^ b));
    if same_length && differing == 0 {
        Ok(())
    } else {
        Err(CallbackError::BadSignature)
    }
}

/// Whether the signed `timestamp` is within `max_s` seconds of `now`: a signature alone does
/// not stop a recorded push from being replayed later.
pub fn check_timestamp(
    query: &CallbackQuery,
    now: Timestamp,
    max_s: i64,
) -> Result<(), CallbackError> {
    let signed_s = query
        .timestamp
        .trim()
        .parse::<i64>()
        .map_err(|_| CallbackError::Field("timestamp"))?;
    let skew_s = (now.0.div_euclid(1000) - signed_s).abs();
    if skew_s <= max_s {
        Ok(())
    } else {
        Err(CallbackError::Stale { skew_s, max_s })
    }
}

/// The body to answer the URL check with: its `echostr`, once the signature holds.
pub fn handshake(token: &str, query: &CallbackQuery) -> Result<String, CallbackError> {
    verify(token, query)?;
    query.echostr.clone().ok_or(CallbackError::NoEchostr)
}

/// How a template job ended: `success` is delivered; anything else (`failed:user block`,
/// `failed: system failed`) failed, with WeChat's words.
pub fn receipt_outcome(status: &str) -> ReceiptOutcome {
    match status.trim() {
        "success" => ReceiptOutcome::Delivered,
        other => ReceiptOutcome::Failed(other.to_owned()),
    }
}

/// The report a pushed XML message carries, if it is one the channels care about.
/// `heard_at` stands in for a missing `CreateTime`.
pub fn parse_push(xml: &str, heard_at: Timestamp) -> Result<Option<ChannelReport>, CallbackError> {
    let document = Document::parse(xml).map_err(|e| CallbackError::NotXml(e.to_string()))?;
    let root = document.root_element();
    if root.tag_name().name() != "xml" {
        return Err(CallbackError::NotXml(
            "the root element is not <xml>".to_owned(),
        ));
    }
    let at = field(root, "CreateTime")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .map_or(heard_at, |seconds| Timestamp(seconds.saturating_mul(1000)));
    match (field(root, "MsgType"), field(root, "Event")) {
        (Some("event"), Some("TEMPLATESENDJOBFINISH")) => job_finished(root, at).map(Some),
        (Some("text"), _) => follower_text(root, at).map(Some),
        _ => Ok(None),
    }
}

fn job_finished(root: Node<'_, '_>, at: Timestamp) -> Result<ChannelReport, CallbackError> {
    let msgid = field(root, "MsgID")
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(CallbackError::Field("MsgID"))?;
    let status = field(root, "Status").ok_or(CallbackError::Field("Status"))?;
    Ok(ChannelReport::Receipt {
        provider_id: msgid.to_owned(),
        outcome: receipt_outcome(status),
        at,
    })
}

fn follower_text(root: Node<'_, '_>, at: Timestamp) -> Result<ChannelReport, CallbackError> {
    let from = field(root, "FromUserName")
        .filter(|f| !f.trim().is_empty())
        .ok_or(CallbackError::Field("FromUserName"))?;
    let text = field(root, "Content").ok_or(CallbackError::Field("Content"))?;
    let message_id = field(root, "MsgId")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    Ok(ChannelReport::Reply {
        channel: crate::central::channels::WECHAT,
        from: from.trim().to_owned(),
        text: text.to_owned(),
        at,
        message_id,
    })
}

/// The text of `root`'s child element `name` (CDATA or plain).
fn field<'a>(root: Node<'a, 'a>, name: &str) -> Option<&'a str> {
    root.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or(""))
}

#[cfg(test)]
mod tests;
