//! The service report as files: its records (one section per part) written as CSV or as a
//! one-sheet workbook, so both hold the same text.

use axum::http::header;
use axum::response::{IntoResponse as _, Response};

use crate::formats::sheet::{Cell, Table};
use crate::formats::xlsx::{XlsxError, workbook};
use crate::protocol::reports::{CalloutSummary, ServiceReport};

/// Appends one record.
fn push<S: AsRef<str>>(w: &mut Vec<Vec<String>>, record: impl IntoIterator<Item = S>) {
    w.push(record.into_iter().map(|s| s.as_ref().to_owned()).collect());
}

/// The report's records, as the CSV and the workbook hold them: one section per part (a
/// heading record naming the part and its columns, then a record per line), the same
/// figures as the JSON.
pub fn report_records(report: &ServiceReport) -> Vec<Vec<String>> {
    let mut w = Vec::new();
    let num = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
    push(&mut w, ["service report", &report.from, &report.to]);
    push(&mut w, ["issued", "signal", "level", "practice", "count"]);
    for i in &report.issued {
        push(
            &mut w,
            [
                "",
                &i.signal,
                &i.level,
                &i.practice.to_string(),
                &i.count.to_string(),
            ],
        );
    }
    let a = &report.approvals;
    push(
        &mut w,
        [
            "approvals",
            "approved",
            "signed_alone",
            "submit_to_approve_median",
            "submit_to_approve_max",
            "approve_to_release_median",
            "approve_to_release_max",
        ],
    );
    push(
        &mut w,
        [
            "",
            &a.approved.to_string(),
            &a.signed_alone.to_string(),
            &num(a.submit_to_approve.median),
            &num(a.submit_to_approve.max),
            &num(a.approve_to_release.median),
            &num(a.approve_to_release.max),
        ],
    );
    push(
        &mut w,
        [
            "warning",
            "id",
            "signal",
            "level",
            "practice",
            "drafter",
            "approver",
            "submit_to_approve",
            "approve_to_release",
            "released_at",
        ],
    );
    for l in &a.warnings {
        let approver = l.approver.clone().unwrap_or_default();
        push(
            &mut w,
            [
                "",
                &l.id,
                &l.signal,
                &l.level,
                &l.practice.to_string(),
                &l.drafter,
                &approver,
                &num(l.submit_to_approve),
                &num(l.approve_to_release),
                &l.released_at,
            ],
        );
    }
    push(
        &mut w,
        [
            "delivery",
            "channel",
            "messages",
            "delivered",
            "failed",
            "unknown",
            "accepted",
            "other",
            "delivery_rate",
        ],
    );
    for d in &report.delivery {
        let rate = d
            .delivery_rate
            .map(|r| format!("{r:.3}"))
            .unwrap_or_default();
        push(
            &mut w,
            [
                "",
                &d.channel,
                &d.messages.to_string(),
                &d.delivered.to_string(),
                &d.failed.to_string(),
                &d.unknown.to_string(),
                &d.accepted.to_string(),
                &d.other.to_string(),
                &rate,
            ],
        );
    }
    if let Some(c) = &report.callout {
        callout_records(&mut w, c, num);
    }
    w
}

/// The 叫应 section.
fn callout_records(
    w: &mut Vec<Vec<String>>,
    c: &CalloutSummary,
    num: impl Fn(Option<f64>) -> String,
) {
    push(
        w,
        [
            "callout",
            "warnings",
            "called",
            "answered",
            "by_sms_reply",
            "by_wechat",
            "by_phone",
            "unanswered",
            "escalated_desk",
            "escalated_supervisor",
            "completion_rate",
            "response_median",
            "response_max",
        ],
    );
    let rate = c
        .completion_rate
        .map(|r| format!("{r:.3}"))
        .unwrap_or_default();
    let counts = [
        c.warnings,
        c.called,
        c.answered,
        c.by_sms_reply,
        c.by_wechat,
        c.by_phone,
        c.unanswered,
        c.escalated_desk,
        c.escalated_supervisor,
    ];
    let mut record = vec![String::new()];
    record.extend(counts.iter().map(u64::to_string));
    record.extend([rate, num(c.response.median), num(c.response.max)]);
    push(w, record);
}

/// The report as CSV (UTF-8 with a byte-order mark, as Excel reads Chinese).
pub fn report_csv(report: &ServiceReport) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    for record in report_records(report) {
        w.write_record(record)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A cell of the workbook: a figure as a number (with the places the CSV writes), other
/// text as text, nothing as empty.
fn cell(text: &str) -> Cell {
    let places = text
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    match text.parse::<f64>() {
        _ if text.is_empty() => Cell::Empty,
        Ok(value) if value.is_finite() && !text.starts_with('+') => Cell::Number {
            value,
            decimals: places,
        },
        _ => Cell::text(text),
    }
}

/// The report as a workbook: one sheet 服务统计 holding the CSV's records, row for row
/// (the first record is its heading row).
pub fn report_xlsx(report: &ServiceReport) -> Result<Vec<u8>, XlsxError> {
    let mut records = report_records(report).into_iter();
    let headings = records.next().unwrap_or_default();
    let table = Table {
        title: "服务统计".to_owned(),
        headings,
        rows: records
            .map(|r| r.iter().map(|t| cell(t)).collect())
            .collect(),
    };
    workbook(&[table])
}

/// The media type of an .xlsx workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The media type of the CSV files (UTF-8 with a byte-order mark).
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// `bytes` as a file to save, named `name`.
pub fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
