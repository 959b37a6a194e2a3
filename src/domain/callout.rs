//! 叫应 (call and response): for a high-level warning the bureau calls the responsible
//! officials — the county's and townships' party and government leaders, emergency management,
//! flood-control command — and records that each one answered (有叫有应有记录).
//!
//! Pure rules, tested with tables: which warnings need 叫应 ([`CalloutRules::needs_callout`]),
//! who is on the call list ([`CalloutRules::on_call_list`]), how long an open line may wait
//! before it escalates ([`stage`]), which line a reply answers ([`match_reply`]), and when the
//! bureau must re-confirm the call list ([`roster_status`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::network::TownshipCode;
use super::recipients::{Duty, Group, RecipientDraft};
use super::time::{MINUTE_MS, beijing_midnight};
use super::warning::{Action, Level};

/// Which warnings need 叫应, whom it calls and when an unanswered line escalates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalloutRules {
    /// The levels that need 叫应 for a signal type without its own entry.
    pub levels: BTreeSet<Level>,
    /// Per signal type (`rainstorm`), the levels that need 叫应 for it instead.
    pub per_signal: BTreeMap<String, BTreeSet<Level>>,
    /// The duties called.
    pub duties: BTreeSet<Duty>,
    /// Minutes after the call when an open line goes to the duty desk.
    pub escalate_desk_minutes: u32,
    /// Minutes after the call when an open line goes to the supervisor.
    pub escalate_supervisor_minutes: u32,
}

/// The duties called by default: the leaders, emergency management and flood control.
pub const LEADER_DUTIES: [Duty; 4] = [
    Duty::PartySecretary,
    Duty::Head,
    Duty::EmergencyManagement,
    Duty::FloodControl,
];

impl Default for CalloutRules {
    fn default() -> Self {
        Self {
            levels: [Level::Orange, Level::Red].into(),
            per_signal: BTreeMap::new(),
            duties: LEADER_DUTIES.into(),
            escalate_desk_minutes: 10,
            escalate_supervisor_minutes: 20,
        }
    }
}

impl CalloutRules {
    /// Whether a warning of `signal` at `level` taking `action` needs 叫应 (a lift never does:
    /// nobody has to act on an ended warning).
    pub fn needs_callout(&self, signal: &str, level: Level, action: Action) -> bool {
        if action == Action::Lift {
            return false;
        }
        self.per_signal
            .get(signal)
            .unwrap_or(&self.levels)
            .contains(&level)
    }

    /// Whether `recipient` is on the call list of a warning for `townships` (county-level
    /// people are on every list). A practice warning calls the bureau's own staff only:
    /// nobody outside the bureau gets a drill.
    pub fn on_call_list(
        &self,
        townships: &BTreeSet<TownshipCode>,
        practice: bool,
        recipient: &RecipientDraft,
    ) -> bool {
        if !recipient.active {
            return false;
        }
        if practice {
            return recipient.group == Group::BureauStaff;
        }
        if recipient.group == Group::BureauStaff || !self.duties.contains(&recipient.duty) {
            return false;
        }
        recipient
            .township
            .is_none_or(|town| townships.contains(&town))
    }

    /// The stage of a line called at `called_at` and still open at `now`.
    pub fn stage(&self, called_at: Timestamp, now: Timestamp) -> Stage {
        stage(
            now.0 - called_at.0,
            self.escalate_desk_minutes,
            self.escalate_supervisor_minutes,
        )
    }

    /// When a line called at `called_at`, now at `stage`, next escalates (`None`: it is at
    /// the supervisor already).
    pub fn next_escalation(&self, called_at: Timestamp, stage: Stage) -> Option<Timestamp> {
        let minutes = match stage {
            Stage::None => self.escalate_desk_minutes,
            Stage::Desk => self.escalate_supervisor_minutes,
            Stage::Supervisor => return None,
        };
        Some(called_at.plus_ms(i64::from(minutes) * MINUTE_MS))
    }
}

/// How far an unanswered line has escalated.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Within its time: nobody else is told yet.
    #[default]
    None,
    /// Unanswered past the desk's minutes: the duty desk follows it up.
    Desk,
    /// Unanswered past the supervisor's minutes: the supervisor follows it up.
    Supervisor,
}

impl Stage {
    /// Stable machine code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Desk => "desk",
            Self::Supervisor => "supervisor",
        }
    }

    /// The stage from its code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::None, Self::Desk, Self::Supervisor]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// The stage of an open line `elapsed_ms` after its call.
pub fn stage(elapsed_ms: i64, desk_minutes: u32, supervisor_minutes: u32) -> Stage {
    let minutes = |m: u32| i64::from(m) * MINUTE_MS;
    if elapsed_ms >= minutes(supervisor_minutes) {
        Stage::Supervisor
    } else if elapsed_ms >= minutes(desk_minutes) {
        Stage::Desk
    } else {
        Stage::None
    }
}

/// How a line was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerHow {
    /// The official replied to the call SMS.
    SmsReply,
    /// The official answered on WeChat.
    Wechat,
    /// A forecaster reached the official by phone and logged the call.
    PhoneCall,
}

impl AnswerHow {
    /// Stable machine code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::SmsReply => "sms_reply",
            Self::Wechat => "wechat",
            Self::PhoneCall => "phone_call",
        }
    }

    /// The way from its code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::SmsReply, Self::Wechat, Self::PhoneCall]
            .into_iter()
            .find(|h| h.code() == code)
    }

    /// The way in Chinese, as the board and the export write it.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::SmsReply => "短信回复",
            Self::Wechat => "微信回复",
            Self::PhoneCall => "电话确认",
        }
    }
}

/// The 4-digit code a warning's call SMS asks to be sent back: the number of its id
/// (`w1234` → `1234`, `w7` → `0007`), its last four digits when longer. Codes repeat only
/// after ten thousand warnings, and a repeat only matters while both are open for one person.
pub fn short_code(warning_id: &str) -> Option<String> {
    let digits: String = warning_id.chars().filter(char::is_ascii_digit).collect();
    let number: u64 = digits.parse().ok()?;
    Some(format!("{:04}", number % 10_000))
}

/// The 4-digit code in a reply's `text` (`1234`, `收到1234`, full-width `１２３４`), if exactly
/// one run of four digits stands there; longer runs (a phone number, a date) are not codes.
pub fn code_in(text: &str) -> Option<String> {
    let ascii: String = text.chars().map(half_width_digit).collect();
    let mut codes = ascii
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 4);
    let code = codes.next()?;
    codes.next().is_none().then(|| code.to_owned())
}

/// `c` with a full-width digit (`０`–`９`) made its ASCII digit.
fn half_width_digit(c: char) -> char {
    match c {
        '０'..='９' => {
            char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
        }
        _ => c,
    }
}

/// An open line as reply matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLine {
    /// The line's id.
    pub id: i64,
    /// Whom it calls.
    pub recipient: u64,
    /// Its warning's short code.
    pub code: String,
    /// When the call was made.
    pub called_at: Timestamp,
}

/// How far a reply's stamp may read before the call it answers: WeChat stamps a message to
/// the whole second (`CreateTime`), so a reply in the call's second may read up to 999 ms early.
pub const REPLY_STAMP_SLACK_MS: i64 = 999;

/// Whether a reply that arrived at `at` can answer a call made at `called_at`: only a call
/// made before it (a reply kept from earlier never answers a later call).
pub fn called_before(called_at: Timestamp, at: Timestamp) -> bool {
    called_at.0 <= at.0.saturating_add(REPLY_STAMP_SLACK_MS)
}

/// The line a reply from `recipient` with `text`, arrived at `at`, answers among the `open`
/// lines called before it: the one of the warning its code names, else the sender's most
/// recently called line; `None` when the sender has no such line.
pub fn match_reply(open: &[OpenLine], recipient: u64, text: &str, at: Timestamp) -> Option<i64> {
    let mine = open
        .iter()
        .filter(|l| l.recipient == recipient && called_before(l.called_at, at));
    if let Some(code) = code_in(text)
        && let Some(named) = mine.clone().find(|l| l.code == code)
    {
        return Some(named.id);
    }
    mine.max_by_key(|l| (l.called_at, l.id)).map(|l| l.id)
}

/// A line's step as a desk follows it live: enough to refresh its board and to ring when a
/// line escalates (the feed's change without duty, township or times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineStep {
    /// The warning.
    pub warning: String,
    /// The line.
    pub line: i64,
    /// How far it escalated.
    pub stage: Stage,
    /// Whether it is answered.
    pub answered: bool,
}

/// Where the annual re-confirmation of the call list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterStatus {
    /// Confirmed this (Beijing) calendar year.
    Confirmed,
    /// Not yet confirmed this year, and 20 April is still ahead.
    Due,
    /// Not confirmed this year, and 20 April has passed.
    Overdue,
}

/// The day each year by which the call list is re-confirmed (Beijing calendar).
pub const ROSTER_DEADLINE: (u32, u32) = (4, 20);

/// Where the annual confirmation stands at `now`, the last one made at `last`: a year's
/// confirmation is one made in that Beijing calendar year; before 20 April it is due, from
/// 20 April on it is overdue.
pub fn roster_status(last: Option<Timestamp>, now: Timestamp) -> RosterStatus {
    let year = now.beijing().year();
    if last.is_some_and(|at| at.beijing().year() == year) {
        return RosterStatus::Confirmed;
    }
    let (month, day) = ROSTER_DEADLINE;
    let deadline = NaiveDate::from_ymd_opt(year, month, day).map(beijing_midnight);
    match deadline {
        Some(deadline) if now < deadline => RosterStatus::Due,
        _ => RosterStatus::Overdue,
    }
}

#[cfg(test)]
mod tests;
