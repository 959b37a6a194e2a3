//! `GET /reports/service`: the supervisor's view (capability `read_audit`: the supervisors
//! and the bureau's leaders who answer for the service, and the administrators who already
//! read every step in the audit log). Built from the warning records and their outbox rows
//! by [`service_report`], a pure function; `format=csv` gives the same figures as a CSV.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};

use super::core::AppState;
use super::error::{ApiQuery, Failure};
use super::on_call::beijing_day;
use crate::domain::Timestamp;
use crate::domain::callout::{AnswerHow, Stage};
use crate::domain::outbox::OutboxState;
use crate::domain::time::beijing_midnight;
use crate::protocol::callout::CalloutChange;
use crate::protocol::reports::{
    ApprovalLine, Approvals, CalloutSummary, ChannelDelivery, IssuedCount, Minutes, ServiceQuery,
    ServiceReport,
};
use crate::protocol::warnings::WarningRecord;
use crate::store::central::outbox::OutboxRow;

/// The longest range one report covers, in days.
pub const MAX_DAYS: u64 = 366;

/// Minutes from `a` to `b`.
fn minutes(a: Timestamp, b: Timestamp) -> f64 {
    (b.0 - a.0) as f64 / 60_000.0
}

/// The median and maximum of `values`.
pub fn median_max(values: &[f64]) -> Minutes {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    };
    Minutes {
        median,
        max: sorted.last().copied(),
    }
}

/// One released record's approval line.
fn approval(record: &WarningRecord, released: Timestamp) -> ApprovalLine {
    let step = |names: &[&str]| {
        record
            .steps
            .iter()
            .rev()
            .find(|s| names.contains(&s.step.as_str()))
    };
    let approved = step(&["approved", "signed_alone"]);
    let submitted = approved.and_then(|a| {
        record
            .steps
            .iter()
            .rev()
            .filter(|s| s.at <= a.at)
            .find(|s| s.step == "submitted" || s.step == "revised")
    });
    let content = &record.content;
    ApprovalLine {
        id: record.id.clone(),
        signal: content.signal.clone(),
        level: content.level.id().to_owned(),
        practice: content.practice,
        drafter: record.drafter.clone(),
        approver: approved.map(|a| a.by.clone()),
        submit_to_approve: submitted.zip(approved).map(|(s, a)| minutes(s.at, a.at)),
        approve_to_release: approved.map(|a| minutes(a.at, released)),
        released_at: released.to_rfc3339(),
    }
}

/// One channel's counts over `rows`.
fn channel(kind: &str, rows: &[&OutboxRow]) -> ChannelDelivery {
    let count = |state: OutboxState| rows.iter().filter(|r| r.state == state).count() as u64;
    let messages = rows.len() as u64;
    let (delivered, failed, unknown, accepted) = (
        count(OutboxState::Delivered),
        count(OutboxState::Failed),
        count(OutboxState::Unknown),
        count(OutboxState::Sent),
    );
    ChannelDelivery {
        channel: kind.to_owned(),
        messages,
        delivered,
        failed,
        unknown,
        accepted,
        other: messages - delivered - failed - unknown - accepted,
        delivery_rate: (messages > 0).then(|| delivered as f64 / messages as f64),
    }
}

/// The 叫应 figures of `lines` (those of the released warnings only).
pub fn callout_summary(lines: &[&CalloutChange]) -> CalloutSummary {
    let count = |f: &dyn Fn(&CalloutChange) -> bool| lines.iter().filter(|l| f(l)).count() as u64;
    let how = |way: AnswerHow| count(&|l| l.how == Some(way));
    let warnings: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l.warning.as_str()).collect();
    let called = lines.len() as u64;
    let answered = count(&|l| l.answered_at.is_some());
    let response: Vec<f64> = lines
        .iter()
        .filter_map(|l| Some(minutes(l.called_at, l.answered_at?)))
        .collect();
    CalloutSummary {
        warnings: warnings.len() as u64,
        called,
        answered,
        by_sms_reply: how(AnswerHow::SmsReply),
        by_wechat: how(AnswerHow::Wechat),
        by_phone: how(AnswerHow::PhoneCall),
        unanswered: called - answered,
        escalated_desk: count(&|l| l.stage == Stage::Desk),
        escalated_supervisor: count(&|l| l.stage == Stage::Supervisor),
        completion_rate: (called > 0).then(|| answered as f64 / called as f64),
        response: median_max(&response),
    }
}

/// The report of the warnings released in `[start, end)` among `records`, their outbox
/// `rows` and 叫应 lines `callout` (any; those of other warnings are left out), for the days
/// `from`–`to`.
pub fn service_report(
    records: &[WarningRecord],
    rows: &[OutboxRow],
    callout: &[CalloutChange],
    (start, end): (Timestamp, Timestamp),
    (from, to): (&str, &str),
) -> ServiceReport {
    let released: Vec<(&WarningRecord, Timestamp)> = records
        .iter()
        .filter_map(|r| Some((r, r.released_at?)))
        .filter(|(_, at)| (start..end).contains(at))
        .collect();
    let mut issued: BTreeMap<(String, String, bool), u64> = BTreeMap::new();
    for (r, _) in &released {
        let c = &r.content;
        *issued
            .entry((c.signal.clone(), c.level.id().to_owned(), c.practice))
            .or_default() += 1;
    }
    let lines: Vec<ApprovalLine> = released.iter().map(|(r, at)| approval(r, *at)).collect();
    let alone = released
        .iter()
        .filter(|(r, _)| r.steps.iter().any(|s| s.step == "signed_alone"));
    let signed_alone = alone.count() as u64;
    let spans =
        |f: fn(&ApprovalLine) -> Option<f64>| -> Vec<f64> { lines.iter().filter_map(f).collect() };
    let mut kinds: BTreeMap<&str, Vec<&OutboxRow>> = BTreeMap::new();
    for row in rows {
        let ours = released
            .iter()
            .any(|(r, _)| row.idem_key.starts_with(&format!("warning:{}:", r.id)));
        if ours {
            kinds.entry(row.kind.as_str()).or_default().push(row);
        }
    }
    let released_ids: std::collections::BTreeSet<&str> =
        released.iter().map(|(r, _)| r.id.as_str()).collect();
    let called: Vec<&CalloutChange> = callout
        .iter()
        .filter(|l| released_ids.contains(l.warning.as_str()))
        .collect();
    ServiceReport {
        from: from.to_owned(),
        to: to.to_owned(),
        issued: issued
            .into_iter()
            .map(|((signal, level, practice), count)| IssuedCount {
                signal,
                level,
                practice,
                count,
            })
            .collect(),
        approvals: Approvals {
            approved: lines.iter().filter(|l| l.approver.is_some()).count() as u64 - signed_alone,
            signed_alone,
            submit_to_approve: median_max(&spans(|l| l.submit_to_approve)),
            approve_to_release: median_max(&spans(|l| l.approve_to_release)),
            warnings: lines,
        },
        delivery: kinds
            .iter()
            .map(|(kind, rows)| channel(kind, rows))
            .collect(),
        callout: Some(callout_summary(&called)),
    }
}

/// The range's days and instants, or a 400.
fn range(query: &ServiceQuery, now: Timestamp) -> Result<(NaiveDate, NaiveDate), Failure> {
    let date = |text: &str, what: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| Failure::bad_request(format!("{what} must be a date, YYYY-MM-DD")))
    };
    let to = date(query.to.as_deref().unwrap_or(&beijing_day(now)), "to")?;
    let from = match query.from.as_deref() {
        Some(text) => date(text, "from")?,
        None => to.checked_sub_days(Days::new(29)).unwrap_or(to),
    };
    if to < from || (to - from).num_days() >= MAX_DAYS as i64 {
        return Err(Failure::bad_request(format!(
            "to must be on or after from, at most {MAX_DAYS} days on"
        )));
    }
    Ok((from, to))
}

pub use files::{CSV_TYPE, XLSX_TYPE, download, report_csv, report_records, report_xlsx};

/// `GET /reports/service?from=&to=&format=`.
pub async fn service(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ServiceQuery>,
) -> Result<Response, Failure> {
    let (from, to) = range(&query, state.clock().now())?;
    let start = beijing_midnight(from);
    let end = beijing_midnight(to.checked_add_days(Days::new(1)).unwrap_or(to));
    let records = state.blocking(|store| store.warnings()).await?;
    let rows = match state.channels().enqueuer.clone() {
        Some(enqueuer) => {
            state
                .call(move |_| Ok(enqueuer.outbox().rows_keyed("warning:")?))
                .await?
        }
        None => Vec::new(),
    };
    let lines = state
        .blocking(move |store| store.callout_lines_since(start))
        .await?;
    let lines: Vec<CalloutChange> = lines.into_iter().map(|l| l.change).collect();
    let (from, to) = (from.to_string(), to.to_string());
    let report = service_report(&records, &rows, &lines, (start, end), (&from, &to));
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => {
            let bytes = report_csv(&report).map_err(|e| Failure::internal(e.to_string()))?;
            Ok(download(
                &format!("service-{from}-{to}.csv"),
                CSV_TYPE,
                bytes,
            ))
        }
        Some("xlsx") => {
            let bytes = report_xlsx(&report).map_err(|e| Failure::internal(e.to_string()))?;
            Ok(download(
                &format!("service-{from}-{to}.xlsx"),
                XLSX_TYPE,
                bytes,
            ))
        }
        Some(other) => Err(Failure::bad_request(format!(
            "format {other:?} is not json, csv or xlsx"
        ))),
    }
}

mod files;
#[cfg(test)]
mod tests;
