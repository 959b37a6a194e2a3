//! Warnings on the wire: what a desk submits for approval ([`WarningContent`]), the central's
//! record of it ([`WarningRecord`], also the data of a `warning` change), and the requests that
//! move it along (approve, return, release, revise).
//!
//! The desk keeps drafts until they are submitted; from then the central holds the one record
//! every desk syncs. Approval pins [`WarningContent::pin`]: every request after it names the pin
//! it acts on, so an edit made anywhere voids the approval instead of slipping through.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::time::Timestamp;
use crate::domain::warning::approval::{DraftState, content_pin};
use crate::domain::warning::checks::Channel;
use crate::domain::warning::{Action, Level};

/// Everything a warning says and to whom: what the forecaster composed and approval pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningContent {
    /// What the message does.
    pub action: Action,
    /// The record it follows (continue, upgrade, downgrade, change, lift); none for an issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
    /// Signal type id, e.g. `rainstorm`.
    pub signal: String,
    /// Its level.
    pub level: Level,
    /// Township NBS codes (9 digits, e.g. `350423100`).
    pub area: BTreeSet<String>,
    /// The forecaster confirmed a follow-up covering more townships than the one it follows.
    #[serde(default)]
    pub enlarge_confirmed: bool,
    /// Issue time, as the heading states it.
    pub issued_at: Timestamp,
    /// Expiry; none for a lift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Each channel's finished text (SMS with its signature; CAP as its XML).
    pub texts: BTreeMap<Channel, String>,
    /// WeChat template fields, name → value.
    #[serde(default)]
    pub template_fields: BTreeMap<String, String>,
    /// Recipient group ids.
    pub recipient_groups: BTreeSet<String>,
    /// A practice (演练) warning: test recipients only, CAP status `Exercise`.
    #[serde(default)]
    pub practice: bool,
}

impl WarningContent {
    /// The pin approval signs: channel texts, area and groups (see [`content_pin`]).
    pub fn pin(&self) -> String {
        let texts: Vec<(&str, &str)> = self
            .texts
            .iter()
            .map(|(c, t)| (channel_code(*c), t.as_str()))
            .collect();
        content_pin(&texts, &self.area, &self.recipient_groups)
    }
}

/// A channel's stable code, as JSON writes it (`wecom_markdown`).
pub fn channel_code(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::WecomMarkdown => "wecom_markdown",
        Channel::WecomText => "wecom_text",
        Channel::WechatTemplate => "wechat_template",
        Channel::Cap => "cap",
        Channel::Led => "led",
        Channel::Loudspeaker => "loudspeaker",
    }
}

/// One step of a warning's record, for the approval queue and the service record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningStep {
    /// When the central recorded it.
    pub at: Timestamp,
    /// Who did it.
    pub by: String,
    /// `submitted`, `approved`, `signed_alone`, `returned`, `revised`, `released`.
    pub step: String,
    /// The return's comment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The name `by` is shown as (the account's display name then), so desks need not show
    /// a login name; none on steps recorded before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The central's record of a submitted warning: the data of a `warning` change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningRecord {
    /// The central's id for it (stable; what `follows` names).
    pub id: String,
    /// The content as it stands.
    pub content: WarningContent,
    /// The pin of that content.
    pub pin: String,
    /// The account that drafted it.
    pub drafter: String,
    /// Where it stands (`submitted`, `returned`, `approved`, `sent`).
    pub state: DraftState,
    /// Every step so far, oldest first.
    pub steps: Vec<WarningStep>,
    /// The CAP identifier given at release (`35042341600000_20261206163000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_identifier: Option<String>,
    /// When it was released (left the building); it is in force from then until it expires
    /// or a follow-up replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<Timestamp>,
    /// The released follow-up that replaced it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

impl WarningRecord {
    /// The name to show for the account `username`: the display name its steps recorded, else
    /// the login name (steps recorded before names were kept have none).
    pub fn name_of<'a>(&'a self, username: &'a str) -> &'a str {
        self.steps
            .iter()
            .rev()
            .filter(|s| s.by == username)
            .find_map(|s| s.name.as_deref())
            .unwrap_or(username)
    }
}

/// `POST /warnings/{id}/approve` and `/release`: the pin the caller saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinRequest {
    /// [`WarningContent::pin`] of the content the caller acts on.
    pub pin: String,
}

/// `POST /warnings/{id}/return`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRequest {
    /// Why it goes back (required).
    pub comment: String,
}

/// `GET /warnings` query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningQuery {
    /// Only records in this state (`submitted`, `returned`, `approved`, `sent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// At most this many (1–1000; 100 when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// `GET /warnings`: records, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningList {
    /// The records.
    pub warnings: Vec<WarningRecord>,
}

/// One warning of the city or the province, read from a CAP file the bureau receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamWarning {
    /// CAP identifier.
    pub identifier: String,
    /// Sender name (e.g. 三明市气象台).
    pub sender_name: String,
    /// Signal type id when recognised, else none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Level when recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The CAP headline / event as written.
    pub headline: String,
    /// `Alert`, `Update`, `Cancel`.
    pub msg_type: String,
    /// Sent.
    pub sent: Timestamp,
    /// Expires, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    /// Area description.
    pub area_desc: String,
    /// The file it came from (name only).
    pub source: String,
}

/// `GET /warnings/signals`: the signal set the central judges warnings by, in the shipped
/// files' shape, so a desk judges its suggestions and checks its compositions by the same set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalSetDto {
    /// Where it came from: `national (shipped)` or the configured file.
    pub name: String,
    /// SHA-256 of the files, hex: the desk keeps its copy while this is unchanged.
    pub digest: String,
    /// The signals file (`signals.json`'s shape).
    pub signals: serde_json::Value,
    /// The defence guides file, if the set has one.
    pub guides: Option<serde_json::Value>,
}

/// `GET /warnings/upstream`: in force now, and the files that could not be read (by name, with
/// the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamList {
    /// Warnings in force.
    pub warnings: Vec<UpstreamWarning>,
    /// Files refused: name → reason.
    pub refused: BTreeMap<String, String>,
}
