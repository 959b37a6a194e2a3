//! The recipients routes' handlers: requests checked into drafts, the store called, answers
//! masked per caller.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};

use super::import;
use crate::central::auth::Principal;
use crate::central::core::AppState;
use crate::central::error::{ApiJson, ApiPath, ApiQuery, Failure};
use crate::domain::Township;
use crate::domain::access::Capability;
use crate::domain::audit::{AuditAction, AuditDetail, Outcome};
use crate::domain::recipients::{
    self as rules, Field, Recipient, RecipientDraft, RecipientError as Rule, township_text,
};
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::recipients::{
    ImportedLineDto, LineProblemDto, RecipientCount, RecipientCounts, RecipientDeleteQuery,
    RecipientDto, RecipientImportQuery, RecipientImportReport, RecipientInput, RecipientList,
    RecipientQuery,
};
use crate::store::central::recipients::{ImportedLine, RecipientError, RecipientFilter};

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page.
pub const MAX_LIMIT: u64 = 200;

/// A field's code, as refusals and audit entries name it.
fn field_code(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::Township => "township",
        Field::Village => "village",
        Field::Group => "group",
        Field::Duty => "duty",
        Field::Phone => "phone",
        Field::WechatOpenid => "wechat_openid",
        Field::Wecom => "wecom",
        Field::Active => "active",
        Field::Note => "note",
    }
}

/// The recipient as `caller` may see it.
pub fn dto(recipient: &Recipient, whole: bool) -> RecipientDto {
    let d = &recipient.draft;
    let channels = [
        (d.phone.is_some(), "sms"),
        (d.wechat_openid.is_some(), "wechat"),
        (d.wecom.is_some(), "wecom"),
    ];
    RecipientDto {
        id: recipient.id,
        version: recipient.version,
        name: d.name.clone(),
        township: township_text(d.township),
        village: d.village.clone(),
        group: d.group,
        duty: d.duty,
        phone: d.phone_for(whole),
        wechat_openid: d.wechat_openid.clone().filter(|_| whole),
        wecom: d.wecom.clone().filter(|_| whole),
        channels: channels
            .into_iter()
            .filter(|(has, _)| *has)
            .map(|(_, c)| c.to_owned())
            .collect(),
        active: d.active,
        note: d.note_for(whole),
    }
}

fn invalid(error: Rule) -> Failure {
    let field = error.field().map_or("channels", field_code);
    invalid_field(field, &error.to_string())
}

fn unknown_township() -> Failure {
    invalid_field("township", "not one of the county's townships, nor county")
}

/// 400 `invalid_recipient`: the field in the parameters, the rule in the English message
/// (which names no value).
fn invalid_field(field: &str, reason: &str) -> Failure {
    Failure::new(
        StatusCode::BAD_REQUEST,
        Code::InvalidRecipient,
        format!("recipient {field}: {reason}"),
    )
    .with("field", field)
}

/// Reads a township as the API writes it, among the county's.
fn township(
    text: &str,
    townships: &[Township],
) -> Result<Option<crate::domain::TownshipCode>, Failure> {
    match rules::parse_township(text) {
        Some(None) => Ok(None),
        Some(Some(code)) if townships.iter().any(|t| t.code == code) => Ok(Some(code)),
        _ => Err(unknown_township()),
    }
}

/// Checks a body into a draft.
pub fn draft(input: &RecipientInput, townships: &[Township]) -> Result<RecipientDraft, Failure> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let draft = RecipientDraft {
        name: rules::name(&input.name).map_err(invalid)?,
        township: township(&input.township, townships)?,
        village: rules::village(&opt(&input.village)).map_err(invalid)?,
        group: input.group,
        duty: input.duty,
        phone: rules::phone(&opt(&input.phone)).map_err(invalid)?,
        wechat_openid: rules::account(&opt(&input.wechat_openid), Field::WechatOpenid)
            .map_err(invalid)?,
        wecom: rules::account(&opt(&input.wecom), Field::Wecom).map_err(invalid)?,
        active: input.active,
        note: rules::note(&input.note).map_err(invalid)?,
    };
    draft.check().map_err(invalid)?;
    Ok(draft)
}

/// The fields that differ between two drafts (what the audit says changed).
pub fn changed_fields(before: &RecipientDraft, after: &RecipientDraft) -> Vec<String> {
    let differs = [
        (Field::Name, before.name != after.name),
        (Field::Township, before.township != after.township),
        (Field::Village, before.village != after.village),
        (Field::Group, before.group != after.group),
        (Field::Duty, before.duty != after.duty),
        (Field::Phone, before.phone != after.phone),
        (
            Field::WechatOpenid,
            before.wechat_openid != after.wechat_openid,
        ),
        (Field::Wecom, before.wecom != after.wecom),
        (Field::Active, before.active != after.active),
        (Field::Note, before.note != after.note),
    ];
    differs
        .into_iter()
        .filter(|(_, d)| *d)
        .map(|(f, _)| field_code(f).to_owned())
        .collect()
}

fn store_failure(error: RecipientError) -> Failure {
    match error {
        RecipientError::NotFound(id) => {
            Failure::not_found(&Refusal::new(Code::UnknownRecipient).with("id", id))
        }
        RecipientError::VersionConflict { id, current, .. } => Failure::conflict(
            &Refusal::new(Code::RecipientChanged)
                .with("id", id)
                .with("version", current),
        ),
        RecipientError::PhoneTaken(id) => {
            Failure::conflict(&Refusal::new(Code::PhoneTaken).with("id", id))
        }
        RecipientError::Store(e) => Failure::store(&e),
    }
}

fn parse_id(text: &str) -> Result<u64, Failure> {
    text.parse()
        .map_err(|_| Failure::not_found(&Refusal::new(Code::UnknownRecipient).with("id", text)))
}

fn filter(query: &RecipientQuery, townships: &[Township]) -> Result<RecipientFilter, Failure> {
    Ok(RecipientFilter {
        township: query
            .township
            .as_deref()
            .map(|t| township(t, townships))
            .transpose()?,
        group: query.group,
        duty: query.duty,
        name: query.name.as_deref().map(str::trim).map(str::to_owned),
    })
}

/// `GET /recipients`: a page, numbers masked unless the caller has `manage_recipients`.
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<RecipientQuery>,
) -> Result<Json<RecipientList>, Failure> {
    let whole = principal.may(Capability::ManageRecipients);
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Failure::bad_request(format!("limit must be 1–{MAX_LIMIT}")));
    }
    if query
        .name
        .as_deref()
        .is_some_and(|n| n.chars().count() > rules::MAX_NAME_CHARS)
    {
        return Err(Failure::bad_request(format!(
            "name must be at most {} characters",
            rules::MAX_NAME_CHARS
        )));
    }
    let page = state
        .call(move |store| {
            let filter = filter(&query, &store.network()?.townships)?;
            Ok(store.recipients(&filter, offset, limit)?)
        })
        .await?;
    Ok(Json(RecipientList {
        recipients: page.recipients.iter().map(|r| dto(r, whole)).collect(),
        total: page.total,
        offset,
        limit,
        numbers: if whole { "whole" } else { "masked" }.to_owned(),
    }))
}

/// `GET /recipients/counts`: counts per township × group, no names.
pub async fn counts(State(state): State<AppState>) -> Result<Json<RecipientCounts>, Failure> {
    let counts = state.call(|store| Ok(store.recipient_counts()?)).await?;
    Ok(Json(RecipientCounts {
        counts: counts
            .into_iter()
            .map(|c| RecipientCount {
                township: township_text(c.township),
                group: c.group,
                active: c.active,
                inactive: c.inactive,
                villages: c.villages,
            })
            .collect(),
    }))
}

fn target(id: u64) -> String {
    format!("recipient:{id}")
}

/// `POST /recipients`: adds one; 201 with it.
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<RecipientInput>,
) -> Result<(StatusCode, Json<RecipientDto>), Failure> {
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::RecipientAdded, Outcome::Ok);
    let stored = state
        .call(move |store| {
            let draft = draft(&input, &store.network()?.townships)?;
            let fields = changed_fields(&blank(&draft), &draft);
            let audit = |r: &Recipient| {
                record
                    .clone()
                    .target(target(r.id))
                    .detail(&AuditDetail::RecipientFields {
                        fields: fields.clone(),
                    })
            };
            store
                .add_recipient(&draft, now, &audit)
                .map_err(store_failure)
        })
        .await?;
    tracing::info!(id = stored.id, "recipient added");
    Ok((StatusCode::CREATED, Json(dto(&stored, true))))
}

/// A draft with nothing set, to name the fields a new recipient has.
fn blank(like: &RecipientDraft) -> RecipientDraft {
    RecipientDraft {
        name: String::new(),
        township: None,
        village: None,
        group: like.group,
        duty: like.duty,
        phone: None,
        wechat_openid: None,
        wecom: None,
        active: like.active,
        note: String::new(),
    }
}

/// `PUT /recipients/{id}`: replaces one, read at the body's `version`; 409 if it changed.
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
    ApiJson(input): ApiJson<RecipientInput>,
) -> Result<Json<RecipientDto>, Failure> {
    let id = parse_id(&text)?;
    let version = input
        .version
        .filter(|&v| v >= 1)
        .ok_or_else(|| invalid_field("version", "give the version you read (1 or more)"))?;
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::RecipientChanged, Outcome::Ok);
    let stored = state
        .call(move |store| {
            let draft = draft(&input, &store.network()?.townships)?;
            let audit = |before: &Recipient, after: &Recipient| {
                record
                    .clone()
                    .target(target(after.id))
                    .detail(&AuditDetail::RecipientFields {
                        fields: changed_fields(&before.draft, &after.draft),
                    })
            };
            store
                .change_recipient(id, version, &draft, now, &audit)
                .map_err(store_failure)
        })
        .await?;
    tracing::info!(
        id = stored.id,
        version = stored.version,
        "recipient changed"
    );
    Ok(Json(dto(&stored, true)))
}

/// `DELETE /recipients/{id}?version=`: deletes one read at `version`.
pub async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
    ApiQuery(query): ApiQuery<RecipientDeleteQuery>,
) -> Result<StatusCode, Failure> {
    let id = parse_id(&text)?;
    if query.version == 0 {
        return Err(Failure::bad_request("version must be at least 1"));
    }
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::RecipientDeleted, Outcome::Ok);
    state
        .call(move |store| {
            let audit = |r: &Recipient| {
                record
                    .clone()
                    .target(target(r.id))
                    .detail(&AuditDetail::RecipientFields { fields: Vec::new() })
            };
            store
                .delete_recipient(id, query.version, &audit)
                .map_err(store_failure)
        })
        .await?;
    tracing::info!(id, "recipient deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn problem_dto(
    line: usize,
    problem: crate::domain::recipients::row::LineProblem,
) -> LineProblemDto {
    LineProblemDto {
        line,
        field: problem.field(),
        zh: problem.zh(),
        en: problem.en(),
    }
}

/// A line the store refused (a number already someone's).
fn stored_problem(line: usize, error: &RecipientError) -> LineProblemDto {
    let (zh, en) = match error {
        RecipientError::PhoneTaken(id) => (
            format!("手机号已属于接收人 {id}"),
            format!("the phone number belongs to recipient {id} already"),
        ),
        other => ("无法保存".to_owned(), other.to_string()),
    };
    LineProblemDto {
        line,
        field: Some(Field::Phone),
        zh,
        en,
    }
}

fn unreadable(format: import::Format, reason: &str) -> Failure {
    Failure::new(
        StatusCode::BAD_REQUEST,
        Code::RecipientsFileUnreadable,
        format!(
            "the body is not a readable {} file: {reason}",
            format.code()
        ),
    )
    .with("format", format.code())
}

/// `POST /recipients/import[?dry_run&all_or_nothing]`: a CSV or .xlsx body, by content type.
pub async fn import(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<RecipientImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RecipientImportReport>, Failure> {
    let body = body.map_err(|e| Failure::body(&e))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = import::Format::from_content_type(content_type).ok_or_else(|| {
        Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            "send the file as text/csv or as application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    })?;
    let rows = import::rows(format, &body).map_err(|e| unreadable(format, &e))?;
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::RecipientsImported, Outcome::Ok);
    let report = state
        .call(move |store| {
            let checked = import::check(&rows, &store.network()?.townships);
            let refused_before = !checked.problems.is_empty();
            let keep = |done: &[ImportedLine]| {
                !query.dry_run
                    && !(query.all_or_nothing
                        && (refused_before || done.iter().any(|(_, r)| r.is_err())))
            };
            let lines = checked.lines;
            let audit = |done: &[ImportedLine]| {
                let imported = done.iter().filter(|(_, r)| r.is_ok()).count();
                record.clone().detail(&AuditDetail::RecipientsImported {
                    format: format.code().to_owned(),
                    imported,
                    // Lines, not problems: a line with two faults is one refused line.
                    refused: lines.saturating_sub(imported),
                })
            };
            let done = store.import_recipients(&checked.drafts, now, &keep, &audit)?;
            Ok(report(format, &query, &checked, &done, keep(&done)))
        })
        .await?;
    tracing::info!(
        format = format.code(),
        lines = report.lines,
        imported = report.imported.len(),
        problems = report.problems.len(),
        committed = report.committed,
        "recipients import"
    );
    Ok(Json(report))
}

fn report(
    format: import::Format,
    query: &RecipientImportQuery,
    checked: &import::Checked,
    done: &[ImportedLine],
    committed: bool,
) -> RecipientImportReport {
    let mut problems: Vec<LineProblemDto> = checked
        .problems
        .iter()
        .map(|&(line, p)| problem_dto(line, p))
        .collect();
    problems.extend(
        done.iter()
            .filter_map(|(line, r)| r.as_ref().err().map(|e| stored_problem(*line, e))),
    );
    problems.sort_by_key(|p| p.line);
    RecipientImportReport {
        format: format.code().to_owned(),
        dry_run: query.dry_run,
        all_or_nothing: query.all_or_nothing,
        committed,
        lines: checked.lines,
        imported: done
            .iter()
            .filter_map(|(line, r)| {
                r.as_ref().ok().map(|&id| ImportedLineDto {
                    line: *line,
                    id: committed.then_some(id),
                })
            })
            .collect(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TownshipCode;
    use crate::domain::recipients::{Duty, Group, MobileNumber};

    fn person() -> RecipientDraft {
        RecipientDraft {
            name: "张明".into(),
            township: Some(TownshipCode(350_423_100)),
            village: None,
            group: Group::Informants,
            duty: Duty::Informant,
            phone: Some(MobileNumber::parse("13800000001").unwrap()),
            wechat_openid: Some("oTest-1".into()),
            wecom: None,
            active: true,
            note: String::new(),
        }
    }

    #[test]
    fn readers_without_the_capability_see_masks_and_no_ids() {
        let r = Recipient {
            id: 1,
            draft: person(),
            version: 1,
        };
        let whole = dto(&r, true);
        let masked = dto(&r, false);
        assert_eq!(whole.phone.as_deref(), Some("13800000001"));
        assert_eq!(whole.wechat_openid.as_deref(), Some("oTest-1"));
        assert_eq!(masked.phone.as_deref(), Some("138****0001"));
        assert_eq!(masked.wechat_openid, None);
        assert_eq!(masked.channels, ["sms", "wechat"]);
        assert_eq!(masked.channels, whole.channels);
    }

    #[test]
    fn the_audit_names_changed_fields_only() {
        let before = person();
        type Case = (fn(&mut RecipientDraft), &'static [&'static str]);
        let cases: [Case; 3] = [
            (|_| {}, &[]),
            (
                |d| d.phone = Some(MobileNumber::parse("13900000001").unwrap()),
                &["phone"],
            ),
            (
                |d| {
                    d.township = None;
                    d.group = Group::County;
                    d.active = false;
                },
                &["township", "group", "active"],
            ),
        ];
        for (change, expected) in cases {
            let mut after = person();
            change(&mut after);
            assert_eq!(changed_fields(&before, &after), expected);
        }
        // A new recipient's audit lists what was set, never a value.
        let set = changed_fields(&blank(&before), &before);
        assert_eq!(set, ["name", "township", "phone", "wechat_openid"]);
    }
}
