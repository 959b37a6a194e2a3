//! The 叫应 routes: a warning's board (names shown, numbers masked unless the reader manages
//! recipients), a number revealed (audited: who saw whose — never the number), a phone call
//! logged (audited), the record exported as CSV, and the yearly confirmation of the call list.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;

use super::super::auth::Principal;
use super::super::core::AppState;
use super::super::error::{ApiJson, ApiPath, ApiQuery, Failure};
use super::super::reports::{CSV_TYPE, XLSX_TYPE, download};
use super::super::warnings::dispatch::{everyone, still_out};
use super::required;
use crate::domain::Timestamp;
use crate::domain::access::Capability;
use crate::domain::audit::{AuditAction, AuditDetail, Outcome};
use crate::domain::callout::{roster_status, short_code};
use crate::domain::network::TownshipCode;
use crate::domain::recipients::Recipient;
use crate::domain::refusal::{Code, Refusal};
use crate::formats::sheet::{Cell, Table};
use crate::formats::xlsx::{XlsxError, workbook};
use crate::protocol::callout::{
    CalloutBoard, CalloutExportQuery, CalloutLine, LineState, PhoneCall, PhoneCallInput,
    RevealedNumber, RosterConfirmation,
};
use crate::protocol::warnings::WarningRecord;
use crate::store::central::callout::StoredLine;

/// Longest answerer, in characters.
pub const MAX_ANSWERER_CHARS: usize = 32;
/// Longest account of what was said, in characters.
pub const MAX_SAID_CHARS: usize = 500;

/// `{id}` and `{line}` of a line's route; a line that is no number names nothing (404).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePath(pub String, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for LinePath {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<(String, i64)>::from_request_parts(parts, state).await {
            Ok(Path((warning, line))) => Ok(Self(warning, line)),
            Err(_) => Err(not_found(parts.uri.path())),
        }
    }
}

fn not_found(path: &str) -> Failure {
    Failure::not_found(&Refusal::new(Code::NotFound).with("path", path))
}

async fn warning(state: &AppState, id: &str) -> Result<WarningRecord, Failure> {
    let lookup = id.to_owned();
    state
        .blocking(move |s| s.warning(&lookup))
        .await?
        .ok_or_else(|| super::super::warnings::unknown(id))
}

/// The line `line` of warning `id`, or 404.
async fn line_of(state: &AppState, id: &str, line: i64) -> Result<StoredLine, Failure> {
    let stored = state.blocking(move |s| s.callout_line(line)).await?;
    stored
        .filter(|l| l.change.warning == id)
        .ok_or_else(|| not_found(&format!("/warnings/{id}/callout/{line}")))
}

fn board_line(stored: StoredLine, people: &[Recipient], whole: bool) -> CalloutLine {
    let person = people
        .iter()
        .find(|p| p.id == stored.change.recipient)
        .map(|p| &p.draft);
    CalloutLine {
        name: person.map(|p| p.name.clone()),
        phone: person.and_then(|p| p.phone_for(whole)),
        answered_by: stored.answered_by,
        said: stored.said,
        change: stored.change,
    }
}

/// The lines of `record` as `whole` may see them, county first, then by township and duty.
async fn board(
    state: &AppState,
    record: &WarningRecord,
    whole: bool,
) -> Result<CalloutBoard, Failure> {
    let id = record.id.clone();
    let (stored, calls, people) = state
        .blocking(move |s| Ok((s.callout_lines(&id)?, s.callout_calls(&id)?, everyone(s)?)))
        .await?;
    let mut lines: Vec<CalloutLine> = stored
        .into_iter()
        .map(|l| board_line(l, &people, whole))
        .collect();
    lines.sort_by_key(|l| (l.change.township, l.change.duty, l.change.line));
    let rules = &state.warnings().callout;
    Ok(CalloutBoard {
        warning: record.id.clone(),
        code: short_code(&record.id),
        required: required(rules, record),
        escalate_desk_minutes: rules.escalate_desk_minutes,
        escalate_supervisor_minutes: rules.escalate_supervisor_minutes,
        answered: lines
            .iter()
            .filter(|l| l.change.state == LineState::Answered)
            .count(),
        lines,
        calls,
    })
}

/// `GET /warnings/{id}/callout`.
pub async fn show(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
) -> Result<Json<CalloutBoard>, Failure> {
    let record = warning(&state, &id).await?;
    let whole = principal.may(Capability::ManageRecipients);
    Ok(Json(board(&state, &record, whole).await?))
}

/// Why a number of `record`'s call list is not shown at `now`: numbers are for the 叫应 of a
/// warning in force (issue 12), not for one lifted, replaced or expired (409 `not_in_force`).
pub fn reveal_refusal(record: &WarningRecord, now: Timestamp) -> Option<Failure> {
    if still_out(record, now) {
        return None;
    }
    // In `WarningState`'s words, as a follow-up's refusal says them: a lift or a follow-up
    // closes the warning it replaces; otherwise it ran out.
    let state = if record.replaced_by.is_some() {
        "closed"
    } else {
        "expired"
    };
    let refusal = Refusal::new(Code::NotInForce)
        .with("id", record.id.as_str())
        .with("state", state);
    Some(Failure::conflict(&refusal))
}

/// `POST /warnings/{id}/callout/{line}/reveal`: the whole number, audited; only while the
/// warning is in force.
pub async fn reveal(
    State(state): State<AppState>,
    principal: Principal,
    LinePath(id, line): LinePath,
) -> Result<Json<RevealedNumber>, Failure> {
    let stored = line_of(&state, &id, line).await?;
    let recipient = stored.change.recipient;
    let now = state.clock().now();
    if let Some(refused) = reveal_refusal(&warning(&state, &id).await?, now) {
        return Err(refused);
    }
    let record = principal
        .record(now, AuditAction::CalloutNumberRevealed, Outcome::Ok)
        .detail(&AuditDetail::CalloutLine {
            warning: id,
            line,
            recipient,
        });
    let phone = state
        .blocking(move |s| {
            s.audit(record)?;
            Ok(s.recipient(recipient)?
                .and_then(|r| r.draft.phone_for(true)))
        })
        .await?;
    Ok(Json(RevealedNumber { line, phone }))
}

/// Checks a logged call into the stored shape.
fn phone_call(
    input: &PhoneCallInput,
    line: i64,
    by: String,
    now: Timestamp,
) -> Result<PhoneCall, Failure> {
    let answerer = input.answerer.trim().to_owned();
    let said = input.said.trim().to_owned();
    let bad = |field: &str, max: usize| {
        Failure::invalid_body(format!(
            "{field} must be 1–{max} characters without control characters"
        ))
    };
    let fits = |text: &str, max: usize| {
        !text.is_empty()
            && text.chars().count() <= max
            && !text.chars().any(|c| c.is_control() && c != '\n')
    };
    if !fits(&answerer, MAX_ANSWERER_CHARS) {
        return Err(bad("answerer", MAX_ANSWERER_CHARS));
    }
    if !fits(&said, MAX_SAID_CHARS) {
        return Err(bad("said", MAX_SAID_CHARS));
    }
    let at = input.at.unwrap_or(now);
    if at > now {
        return Err(Failure::invalid_body(
            "at: a call cannot be logged before it is made",
        ));
    }
    Ok(PhoneCall {
        id: 0,
        line,
        at,
        logged_by: by,
        answerer,
        said,
        answered: input.answered,
    })
}

/// `POST /warnings/{id}/callout/{line}/calls`: a phone call logged; `answered` closes the line.
pub async fn log_call(
    State(state): State<AppState>,
    principal: Principal,
    LinePath(id, line): LinePath,
    ApiJson(input): ApiJson<PhoneCallInput>,
) -> Result<(StatusCode, Json<PhoneCall>), Failure> {
    // The body is judged before the line is looked up: a bad body is 400 wherever it goes.
    let now = state.clock().now();
    let call = phone_call(&input, line, principal.actor(), now)?;
    let stored = line_of(&state, &id, line).await?;
    let record = principal
        .record(now, AuditAction::CalloutCallLogged, Outcome::Ok)
        .detail(&AuditDetail::CalloutLine {
            warning: id,
            line,
            recipient: stored.change.recipient,
        });
    let (call, head) = state
        .blocking(move |s| {
            let (call, _) = s.log_callout_call(&call, now, record)?;
            Ok((call, s.head()?))
        })
        .await?;
    state.advance_head(head);
    Ok((StatusCode::CREATED, Json(call)))
}

/// The export's columns.
const HEADINGS: [&str; 11] = [
    "乡镇",
    "职责",
    "姓名",
    "手机",
    "叫应时间(北京时)",
    "状态",
    "升级",
    "应答方式",
    "应答时间(北京时)",
    "应答人",
    "应答内容",
];

fn beijing(t: Option<Timestamp>) -> String {
    t.map(|t| t.beijing().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A township's name among `towns` (`县级` for county-level people, the code if unknown).
fn town_name(towns: &BTreeMap<TownshipCode, String>, town: Option<TownshipCode>) -> String {
    match town {
        None => "县级".to_owned(),
        Some(code) => towns
            .get(&code)
            .cloned()
            .unwrap_or_else(|| code.to_string()),
    }
}

/// One exported row of `line`, townships named from `towns`.
pub fn export_row(line: &CalloutLine, towns: &BTreeMap<TownshipCode, String>) -> [String; 11] {
    let c = &line.change;
    let stage = match c.stage {
        crate::domain::callout::Stage::None => "",
        crate::domain::callout::Stage::Desk => "值班台",
        crate::domain::callout::Stage::Supervisor => "领导",
    };
    [
        town_name(towns, c.township),
        c.duty.name_zh().to_owned(),
        line.name.clone().unwrap_or_default(),
        line.phone.clone().unwrap_or_default(),
        beijing(Some(c.called_at)),
        match c.state {
            LineState::Open => "未应".to_owned(),
            LineState::Answered => "已应".to_owned(),
        },
        stage.to_owned(),
        c.how.map(|h| h.name_zh().to_owned()).unwrap_or_default(),
        beijing(c.answered_at),
        line.answered_by.clone().unwrap_or_default(),
        line.said.clone().unwrap_or_default(),
    ]
}

/// The board as CSV: UTF-8 with a byte-order mark (as Excel and WPS read Chinese).
pub fn csv(
    board: &CalloutBoard,
    towns: &BTreeMap<TownshipCode, String>,
) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(HEADINGS)?;
    for line in &board.lines {
        writer.write_record(export_row(line, towns))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The board as a workbook: one sheet 叫应 with the CSV's headings and rows.
pub fn xlsx(
    board: &CalloutBoard,
    towns: &BTreeMap<TownshipCode, String>,
) -> Result<Vec<u8>, XlsxError> {
    let table = Table {
        title: "叫应".to_owned(),
        headings: HEADINGS.iter().map(|h| (*h).to_owned()).collect(),
        rows: board
            .lines
            .iter()
            .map(|line| export_row(line, towns).into_iter().map(text_cell).collect())
            .collect(),
    };
    workbook(&[table])
}

/// Text as a cell; nothing as an empty one.
fn text_cell(text: String) -> Cell {
    if text.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text)
    }
}

/// `GET /warnings/{id}/callout/export?format=csv|xlsx`.
pub async fn export(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiQuery(query): ApiQuery<CalloutExportQuery>,
) -> Result<impl IntoResponse, Failure> {
    let format = query.format.unwrap_or_else(|| "csv".to_owned());
    if format != "csv" && format != "xlsx" {
        return Err(Failure::refused(
            StatusCode::BAD_REQUEST,
            &Refusal::new(Code::UnknownFormat).with("text", format.as_str()),
        ));
    }
    let record = warning(&state, &id).await?;
    let whole = principal.may(Capability::ManageRecipients);
    let board = board(&state, &record, whole).await?;
    let network = state.blocking(|s| s.network()).await?;
    let towns = network
        .townships
        .iter()
        .map(|t| (t.code, t.name.clone()))
        .collect();
    let name = format!("callout-{id}.{format}");
    let response = if format == "xlsx" {
        let bytes = xlsx(&board, &towns).map_err(|e| Failure::internal(e.to_string()))?;
        download(&name, XLSX_TYPE, bytes)
    } else {
        let bytes = csv(&board, &towns).map_err(|e| Failure::internal(e.to_string()))?;
        download(&name, CSV_TYPE, bytes)
    };
    Ok(response)
}

async fn roster(state: &AppState) -> Result<RosterConfirmation, Failure> {
    let last = state.blocking(|s| s.callout_roster()).await?;
    let now = state.clock().now();
    Ok(RosterConfirmation {
        status: roster_status(last.as_ref().map(|(at, _)| *at), now),
        confirmed_at: last.as_ref().map(|(at, _)| *at),
        confirmed_by: last.map(|(_, by)| by),
    })
}

/// `GET /callout/roster`: where this year's confirmation of the call list stands.
pub async fn roster_show(
    State(state): State<AppState>,
) -> Result<Json<RosterConfirmation>, Failure> {
    Ok(Json(roster(&state).await?))
}

/// `POST /callout/roster`: the call list confirmed for the year, audited.
pub async fn roster_confirm(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<RosterConfirmation>, Failure> {
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::CalloutRosterConfirmed, Outcome::Ok);
    let by = principal.actor();
    state
        .blocking(move |s| s.confirm_callout_roster(&by, now, record))
        .await?;
    Ok(Json(roster(&state).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::callout::{AnswerHow, Stage};
    use crate::domain::recipients::Duty;
    use crate::protocol::callout::CalloutChange;

    #[test]
    fn a_logged_call_is_checked() {
        let now = Timestamp(1_000_000);
        let input = |answerer: &str, said: &str, at: Option<i64>| PhoneCallInput {
            answerer: answerer.into(),
            at: at.map(Timestamp),
            said: said.into(),
            answered: true,
        };
        let table = [
            (input("王镇长", "已收到，正在组织转移", None), true),
            (input(" ", "收到", None), false),
            (input("王镇长", "", None), false),
            (input(&"长".repeat(33), "收到", None), false),
            (input("王镇长", "收到", Some(2_000_000)), false),
            (input("王镇长", "收到", Some(500_000)), true),
        ];
        for (i, (given, ok)) in table.into_iter().enumerate() {
            let got = phone_call(&given, 3, "user:f".into(), now);
            assert_eq!(got.is_ok(), ok, "row {i}");
        }
    }

    #[test]
    fn an_exported_row_says_the_state_in_chinese() {
        let line = CalloutLine {
            change: CalloutChange {
                warning: "w1".into(),
                line: 1,
                recipient: 2,
                duty: Duty::Head,
                township: None,
                state: LineState::Answered,
                how: Some(AnswerHow::SmsReply),
                called_at: Timestamp(0),
                answered_at: Some(Timestamp(60_000)),
                stage: Stage::Desk,
                escalated_at: None,
            },
            name: Some("张三".into()),
            phone: Some("139****1234".into()),
            answered_by: Some("张三".into()),
            said: Some("收到 0001".into()),
        };
        assert_eq!(
            export_row(&line, &BTreeMap::new()),
            [
                "县级",
                "乡镇长",
                "张三",
                "139****1234",
                "1970-01-01 08:00",
                "已应",
                "值班台",
                "短信回复",
                "1970-01-01 08:01",
                "张三",
                "收到 0001",
            ]
            .map(str::to_owned)
        );
    }
}
