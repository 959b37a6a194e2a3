//! Pre-send checks. Each check is a small pure function; [`check`] runs them all and returns
//! coded findings (a code and its parameters, so the console words them in Chinese or
//! English). Every finding blocks sending except [`Finding::ObservationsBelowLevel`], which
//! only warns: the forecaster may know more than the network measures.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalogue::Level;
use super::channels::WECHAT_FIELD_CHARS;
use super::lifecycle::Action;
use super::sms;
use crate::domain::time::{MINUTE_MS, Timestamp};

/// WeCom (企业微信) robot markdown limit, UTF-8 bytes.
pub const WECOM_MARKDOWN_BYTES: usize = 4096;
/// WeCom robot text limit, UTF-8 bytes.
pub const WECOM_TEXT_BYTES: usize = 2048;

/// Where a text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// SMS (signature included in its text).
    Sms,
    /// WeCom group robot, markdown message.
    WecomMarkdown,
    /// WeCom group robot, text message.
    WecomText,
    /// WeChat official-account template message.
    WechatTemplate,
    /// CAP file for the provincial release system.
    Cap,
    /// LED scroll line.
    Led,
    /// Village loudspeaker (大喇叭) script.
    Loudspeaker,
}

/// Whether a finding stops the send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Sending is refused until it is fixed.
    Block,
    /// Shown; the forecaster may send anyway.
    Warn,
}

/// One reason, with the values the message needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum Finding {
    /// A must-edit field is still empty.
    UnfilledPlaceholder {
        /// The field's key.
        field: String,
    },
    /// A warning (other than a lift) without an expiry.
    MissingExpiry,
    /// The expiry is not after the issue time.
    ExpiryNotAfterIssue {
        /// Issue time, RFC 3339 in Beijing time.
        issued_at: String,
        /// Expiry, RFC 3339 in Beijing time.
        expires_at: String,
    },
    /// The expiry has already passed.
    ExpiryPassed {
        /// Expiry, RFC 3339 in Beijing time.
        expires_at: String,
    },
    /// The issue time lies further in the past than allowed.
    IssueTooFarInPast {
        /// How far, in minutes.
        minutes: i64,
        /// The allowed limit.
        limit_minutes: i64,
    },
    /// The issue time lies further in the future than allowed.
    IssueTooFarInFuture {
        /// How far, in minutes.
        minutes: i64,
        /// The allowed limit.
        limit_minutes: i64,
    },
    /// The SMS needs more parts than the bureau allows.
    SmsTooLong {
        /// UTF-16 units, signature included.
        units: usize,
        /// Parts it would need.
        parts: usize,
        /// Parts allowed.
        max_parts: usize,
    },
    /// A banned word in a channel's text.
    BannedWord {
        /// The channel.
        channel: Channel,
        /// The word.
        word: String,
    },
    /// No recipient group chosen.
    NoRecipientGroups,
    /// A chosen group has nobody in it.
    EmptyRecipientGroup {
        /// The group's name.
        group: String,
    },
    /// A channel's text is over its byte limit.
    ChannelTooLong {
        /// The channel.
        channel: Channel,
        /// UTF-8 bytes of the text.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A template-message field is over its character limit.
    TemplateFieldTooLong {
        /// The field's name.
        field: String,
        /// Its characters.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// Observations support a lower level than the one drafted (or none): a warning only.
    ObservationsBelowLevel {
        /// The drafted level.
        drafted: Level,
        /// The highest level the observations support, if any.
        supported: Option<Level>,
    },
}

impl Finding {
    /// Whether it blocks the send.
    pub fn severity(&self) -> Severity {
        match self {
            Finding::ObservationsBelowLevel { .. } => Severity::Warn,
            _ => Severity::Block,
        }
    }

    /// The stable code, e.g. `sms_too_long` (the `code` of its JSON form).
    pub fn code(&self) -> &'static str {
        match self {
            Finding::UnfilledPlaceholder { .. } => "unfilled_placeholder",
            Finding::MissingExpiry => "missing_expiry",
            Finding::ExpiryNotAfterIssue { .. } => "expiry_not_after_issue",
            Finding::ExpiryPassed { .. } => "expiry_passed",
            Finding::IssueTooFarInPast { .. } => "issue_too_far_in_past",
            Finding::IssueTooFarInFuture { .. } => "issue_too_far_in_future",
            Finding::SmsTooLong { .. } => "sms_too_long",
            Finding::BannedWord { .. } => "banned_word",
            Finding::NoRecipientGroups => "no_recipient_groups",
            Finding::EmptyRecipientGroup { .. } => "empty_recipient_group",
            Finding::ChannelTooLong { .. } => "channel_too_long",
            Finding::TemplateFieldTooLong { .. } => "template_field_too_long",
            Finding::ObservationsBelowLevel { .. } => "observations_below_level",
        }
    }
}

/// The bureau's settings for the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckConfig {
    /// How far in the past an issue time may lie (a late entry), minutes.
    pub max_past_minutes: i64,
    /// How far in the future an issue time may lie (a scheduled issue), minutes.
    pub max_future_minutes: i64,
    /// Most SMS parts one warning may cost.
    pub sms_max_parts: usize,
    /// Words that may not appear, per channel.
    pub banned_words: BTreeMap<Channel, Vec<String>>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            max_past_minutes: 30,
            max_future_minutes: 24 * 60,
            sms_max_parts: 4,
            banned_words: BTreeMap::new(),
        }
    }
}

/// What the observations say about the drafted level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The network does not measure this signal's criterion (e.g. lightning, haze).
    NotMeasured,
    /// The highest level the observations reach, if any.
    Supports(Option<Level>),
}

/// Everything about one outgoing warning the checks look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing<'a> {
    /// What the message does.
    pub action: Action,
    /// The drafted level.
    pub level: Level,
    /// Keys of must-edit fields still empty.
    pub unfilled: &'a [String],
    /// Issue time.
    pub issued_at: Timestamp,
    /// Expiry (a lift has none).
    pub expires_at: Option<Timestamp>,
    /// Each channel's text (SMS with its signature).
    pub texts: &'a [(Channel, String)],
    /// WeChat template fields, name and value.
    pub template_fields: &'a [(String, String)],
    /// Recipient groups chosen, name and member count.
    pub recipient_groups: &'a [(String, usize)],
    /// The observations' verdict.
    pub observed: Observed,
}

/// All findings for `out` at `now`, blocking ones first in check order, then warnings.
pub fn check(out: &Outgoing<'_>, config: &CheckConfig, now: Timestamp) -> Vec<Finding> {
    let mut all: Vec<Finding> = out
        .unfilled
        .iter()
        .map(|field| Finding::UnfilledPlaceholder {
            field: field.clone(),
        })
        .collect();
    all.extend(check_times(
        out.action,
        out.issued_at,
        out.expires_at,
        now,
        config,
    ));
    for (channel, text) in out.texts {
        all.extend(check_channel(*channel, text, config));
    }
    all.extend(check_template_fields(out.template_fields));
    all.extend(check_recipients(out.recipient_groups));
    all.extend(check_observations(out.level, out.observed));
    all.sort_by_key(|f| f.severity() == Severity::Warn);
    all
}

/// Times that make no sense.
pub fn check_times(
    action: Action,
    issued: Timestamp,
    expires: Option<Timestamp>,
    now: Timestamp,
    config: &CheckConfig,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let ahead = (issued.millis() - now.millis()) / MINUTE_MS;
    if -ahead > config.max_past_minutes {
        out.push(Finding::IssueTooFarInPast {
            minutes: -ahead,
            limit_minutes: config.max_past_minutes,
        });
    }
    if ahead > config.max_future_minutes {
        out.push(Finding::IssueTooFarInFuture {
            minutes: ahead,
            limit_minutes: config.max_future_minutes,
        });
    }
    let expiry = match expires {
        None if action != Action::Lift => Some(Finding::MissingExpiry),
        Some(e) if e <= issued => Some(Finding::ExpiryNotAfterIssue {
            issued_at: super::beijing_rfc3339(issued),
            expires_at: super::beijing_rfc3339(e),
        }),
        Some(e) if e <= now => Some(Finding::ExpiryPassed {
            expires_at: super::beijing_rfc3339(e),
        }),
        _ => None,
    };
    out.extend(expiry);
    out
}

/// Length limits and banned words of one channel's text.
pub fn check_channel(channel: Channel, text: &str, config: &CheckConfig) -> Vec<Finding> {
    let mut out: Vec<Finding> = config
        .banned_words
        .get(&channel)
        .into_iter()
        .flatten()
        .filter(|w| !w.is_empty() && text.contains(w.as_str()))
        .map(|w| Finding::BannedWord {
            channel,
            word: w.clone(),
        })
        .collect();
    let byte_limit = match channel {
        Channel::WecomMarkdown => Some(WECOM_MARKDOWN_BYTES),
        Channel::WecomText => Some(WECOM_TEXT_BYTES),
        _ => None,
    };
    if let Some(limit) = byte_limit.filter(|&l| text.len() > l) {
        out.push(Finding::ChannelTooLong {
            channel,
            bytes: text.len(),
            limit,
        });
    }
    if channel == Channel::Sms {
        let parts = sms::segment_count(text);
        if parts > config.sms_max_parts.min(sms::MAX_PARTS) {
            let units = sms::utf16_units(text);
            out.push(Finding::SmsTooLong {
                units,
                parts,
                max_parts: config.sms_max_parts,
            });
        }
    }
    out
}

/// WeChat template fields over 20 characters.
pub fn check_template_fields(fields: &[(String, String)]) -> Vec<Finding> {
    fields
        .iter()
        .filter(|(_, v)| v.chars().count() > WECHAT_FIELD_CHARS)
        .map(|(field, v)| Finding::TemplateFieldTooLong {
            field: field.clone(),
            chars: v.chars().count(),
            limit: WECHAT_FIELD_CHARS,
        })
        .collect()
}

/// No groups, or groups with nobody in them.
pub fn check_recipients(groups: &[(String, usize)]) -> Vec<Finding> {
    if groups.is_empty() {
        return vec![Finding::NoRecipientGroups];
    }
    groups
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(g, _)| Finding::EmptyRecipientGroup { group: g.clone() })
        .collect()
}

/// A warning when what is measured does not reach the drafted level.
pub fn check_observations(drafted: Level, observed: Observed) -> Option<Finding> {
    match observed {
        Observed::Supports(s) if s < Some(drafted) => Some(Finding::ObservationsBelowLevel {
            drafted,
            supported: s,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
