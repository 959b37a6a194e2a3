//! The channels a warning (or an on-call alarm) leaves the building by. Each speaks its real
//! protocol and hands one outbox row over through [`crate::central::workers::dispatch::Provider`];
//! the outbox and the dispatch pass keep the guarantees (at most once unless a recorded
//! decision says otherwise, every recipient accounted for), the channels keep the protocol.
//!
//! - [`smpp`]: SMS over SMPP 3.4 (UCS-2, concatenated parts, delivery receipts, replies).
//! - [`cmpp`]: SMS over CMPP 2.0 (China Mobile's gateways).
//! - [`wechat`]: the WeCom group robot and the WeChat Official Account's template messages.
//! - [`redial`]: the SMS gateways' one link, dialled once for the rows queued behind a failure.
//!
//! What a gateway tells after the hand-over (a receipt, a reply, a template job's end) comes
//! back as a [`ChannelReport`] on the [`inbox::ReportSender`] the channel was built with; the
//! reports worker settles the outbox by it (the call-and-response desk reads the replies) and
//! acknowledges the commit, and only then does the channel answer its gateway.
//!
//! Credentials live in the central's configuration: every channel's configuration type prints
//! its secrets as `***` in `Debug`, and no error or log line carries them.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

pub mod cmpp;
pub mod inbox;
pub mod redial;
pub mod reports;
pub(crate) mod routes;
pub mod smpp;
pub mod wechat;

/// One SMS to one number: the outbox row's payload for kind [`SMS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsPayload {
    /// A mainland mobile number, 11 digits, without `+86`.
    pub to: String,
    /// The whole text with its 【signature】; the channel splits it into parts.
    pub text: String,
}

/// One WeCom group robot message: the payload for kind [`WECOM`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotPayload {
    /// The robot's name in the central's configuration (never its key).
    pub robot: String,
    /// `markdown` or `text`.
    pub msgtype: String,
    /// The content as the robot shows it.
    pub content: String,
}

/// One WeChat Official Account template message: the payload for kind [`WECHAT`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePayload {
    /// The follower's openid.
    pub openid: String,
    /// The template's id in the account.
    pub template_id: String,
    /// The template's fields (`thing1`, `time2`, …) and their values.
    pub data: std::collections::BTreeMap<String, String>,
    /// Where tapping the message leads, if anywhere.
    pub url: Option<String>,
}

/// The outbox kind of an SMS.
pub const SMS: &str = "sms";
/// The outbox kind of a WeCom robot message.
pub const WECOM: &str = "wecom";
/// The outbox kind of a WeChat template message.
pub const WECHAT: &str = "wechat";

/// What a channel learns after it handed a message over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelReport {
    /// The gateway's final word on one accepted message (or one part of it).
    ///
    /// A message sent in several parts has the provider id `id1,id2,…` (its parts' ids in
    /// order); each part's receipt names its own id here.
    Receipt {
        /// The id the gateway gave the message or part when it accepted it.
        provider_id: String,
        /// Delivered, or failed with the gateway's reason.
        outcome: ReceiptOutcome,
        /// When the gateway says it happened (or when it was heard, if it does not say).
        at: Timestamp,
    },
    /// A message from a person to the bureau: an SMS reply (mobile-originated) or a WeChat
    /// answer.
    Reply {
        /// The outbox kind of the channel it came back on ([`SMS`], [`WECHAT`]): each channel
        /// says what it is, since a sender alone does not (a short-code SMS sender is no
        /// 11-digit number).
        channel: &'static str,
        /// The sender: an 11-digit number or an openid.
        from: String,
        /// What was written.
        text: String,
        /// When it arrived.
        at: Timestamp,
        /// The gateway's own id for it (WeChat's `MsgId`, CMPP's `Msg_Id`), when it gives
        /// one: a copy the gateway delivers again is recognised by it and kept once.
        message_id: Option<String>,
    },
}

/// How a message ended, as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// It reached the handset (or the follower).
    Delivered,
    /// It did not; the gateway's reason as it gave it (`UNDELIV 005`, `failed:user block`).
    Failed(String),
}
