//! `GET /api/v1/reports/service?from=&to=`: the supervisor's view of the bureau's service —
//! warnings released in a range of Beijing dates (by type and level, practice apart), their
//! approvals (who drafted, who approved, how fast) and how their messages fared per channel.
//! The 叫应 (call-and-response) figures have their place in [`ServiceReport::callout`].

use serde::{Deserialize, Serialize};

/// The query: Beijing dates, inclusive (`to` defaults to today, `from` to 30 days before it),
/// and `format=json|csv|xlsx`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuery {
    /// The first day (`2026-11-01`).
    pub from: Option<String>,
    /// The last day.
    pub to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The supervisor's view of a range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    /// The first day (Beijing date).
    pub from: String,
    /// The last day.
    pub to: String,
    /// Warnings released in the range, per type, level and practice.
    pub issued: Vec<IssuedCount>,
    /// How they were approved.
    pub approvals: Approvals,
    /// Their messages per channel.
    pub delivery: Vec<ChannelDelivery>,
    /// 叫应 completion and response times (`null` only from a central before 叫应).
    pub callout: Option<CalloutSummary>,
}

/// Released warnings of one type and level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCount {
    /// Signal type id (`rainstorm`).
    pub signal: String,
    /// Level id (`yellow`).
    pub level: String,
    /// Practice (演练) runs, counted apart.
    pub practice: bool,
    /// How many.
    pub count: u64,
}

/// The approvals of the released warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approvals {
    /// Warnings approved by a supervisor.
    pub approved: u64,
    /// Warnings the drafter signed alone, as the bureau's policy allows.
    pub signed_alone: u64,
    /// Minutes from submission to approval.
    pub submit_to_approve: Minutes,
    /// Minutes from approval to release.
    pub approve_to_release: Minutes,
    /// Each released warning: who drafted, who approved, when.
    pub warnings: Vec<ApprovalLine>,
}

/// A median and a maximum, in minutes; `null` with nothing to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minutes {
    /// The median.
    pub median: Option<f64>,
    /// The longest.
    pub max: Option<f64>,
}

/// One released warning's approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalLine {
    /// The record's id.
    pub id: String,
    /// Signal type id.
    pub signal: String,
    /// Level id.
    pub level: String,
    /// A practice run.
    pub practice: bool,
    /// The drafter's account.
    pub drafter: String,
    /// The approver's account (the drafter's own for a warning signed alone).
    pub approver: Option<String>,
    /// Minutes from submission to approval.
    pub submit_to_approve: Option<f64>,
    /// Minutes from approval to release.
    pub approve_to_release: Option<f64>,
    /// When it was released (RFC 3339).
    pub released_at: String,
}

/// One channel's messages of the released warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelDelivery {
    /// The outbox kind (`sms`, `wecom`, `wechat`).
    pub channel: String,
    /// Messages in all.
    pub messages: u64,
    /// Confirmed delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
    /// Outcome unknown.
    pub unknown: u64,
    /// Accepted by the provider with no final word (a robot never gives one).
    pub accepted: u64,
    /// Not yet handed over (queued, claimed, sending), cancelled or expired.
    pub other: u64,
    /// Delivered over messages, 0–1; `null` without messages.
    pub delivery_rate: Option<f64>,
}

/// 叫应 figures (call-and-response) of the warnings released in the range. Each line is
/// counted once at the furthest stage it reached, so `escalated_desk` and
/// `escalated_supervisor` do not overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalloutSummary {
    /// Released warnings with at least one call line.
    pub warnings: u64,
    /// Lines called (one per warning and person).
    pub called: u64,
    /// Lines answered.
    pub answered: u64,
    /// Answered by a reply to the call SMS.
    pub by_sms_reply: u64,
    /// Answered on WeChat.
    pub by_wechat: u64,
    /// Answered by a logged phone call.
    pub by_phone: u64,
    /// Lines still open.
    pub unanswered: u64,
    /// Lines that went to the duty desk (and no further).
    pub escalated_desk: u64,
    /// Lines that went on to the supervisor.
    pub escalated_supervisor: u64,
    /// Answered over called, 0–1; `null` without lines.
    pub completion_rate: Option<f64>,
    /// Minutes from the call to its answer.
    pub response: Minutes,
}

/// The ranges a supervisor picks from (the desk's 服务统计 presets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangePreset {
    /// The first of this month to today (本月).
    ThisMonth,
    /// The whole of last month (上月).
    LastMonth,
    /// 1 January to today (本年).
    ThisYear,
}

impl RangePreset {
    /// The `(from, to)` days of the preset, `today` being the Beijing date.
    pub fn days(self, today: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
        use chrono::Datelike as _;
        let first_of_month = today.with_day(1).unwrap_or(today);
        match self {
            Self::ThisMonth => (first_of_month, today),
            Self::LastMonth => {
                let last = first_of_month.pred_opt().unwrap_or(first_of_month);
                (last.with_day(1).unwrap_or(last), last)
            }
            Self::ThisYear => (today.with_ordinal(1).unwrap_or(today), today),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::RangePreset;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn presets_cover_their_days() {
        let table = [
            (
                RangePreset::ThisMonth,
                "2026-12-07",
                "2026-12-01",
                "2026-12-07",
            ),
            (
                RangePreset::LastMonth,
                "2026-12-07",
                "2026-11-01",
                "2026-11-30",
            ),
            (
                RangePreset::LastMonth,
                "2026-01-15",
                "2025-12-01",
                "2025-12-31",
            ),
            (
                RangePreset::LastMonth,
                "2024-03-01",
                "2024-02-01",
                "2024-02-29",
            ),
            (
                RangePreset::ThisYear,
                "2026-12-07",
                "2026-01-01",
                "2026-12-07",
            ),
            (
                RangePreset::ThisMonth,
                "2026-02-01",
                "2026-02-01",
                "2026-02-01",
            ),
        ];
        for (preset, today, from, to) in table {
            assert_eq!(
                preset.days(day(today)),
                (day(from), day(to)),
                "{preset:?} {today}"
            );
        }
    }
}
