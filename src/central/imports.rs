//! Observation files imported whole: `POST /imports` (the file's bytes as the body) and
//! `wxdesk central import` on the server both come here.
//!
//! ```text
//! bytes ─▶ formats::parse ─▶ check_times ─▶ store.import (one transaction) ─▶ report
//!              │ bad line         │ bad time         │ conflict, no station of ours
//!              └─────── 422 import_refused, audited as failed ◀┘
//! ```

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;

use super::MAX_BODY_BYTES;
use super::auth::Principal;
use super::core::AppState;
use super::error::{ApiQuery, Failure};
use crate::domain::Timestamp;
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, Outcome, clean};
use crate::domain::element::{Element, UnknownElement};
use crate::domain::refusal::Code;
use crate::formats::{self, FileFormat, ImportHint, ObservationFile};
use crate::protocol::{ImportQuery, ImportReport};
use crate::store::central::imports::check_times;
use crate::store::central::{
    CentralStore, ImportError, ImportLine, ImportRefusal, ImportTally, ImportVerdict,
};

/// The name an uploaded file goes by when the client gives none.
pub const UNNAMED: &str = "upload";

/// What an import was asked to do, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    /// The file's name, for the audit log and the report.
    pub name: String,
    /// The format and elements named, if any.
    pub hint: ImportHint,
}

/// Parses an import's query; `default_name` names a file the query does not.
pub fn import_request(query: &ImportQuery, default_name: &str) -> Result<ImportRequest, Failure> {
    let format = query
        .format
        .as_deref()
        .map(str::parse::<FileFormat>)
        .transpose()
        .map_err(|e| {
            Failure::new(StatusCode::BAD_REQUEST, Code::UnknownFormat, e.to_string())
                .with("text", e.0.as_str())
        })?;
    let elements = query
        .element
        .as_deref()
        .map(|codes| {
            codes
                .split(',')
                .map(|code| code.trim().parse::<Element>())
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .map_err(|e| unknown_element(&e))?
        .unwrap_or_default();
    let name = clean(query.name.as_deref().unwrap_or(default_name), 128);
    Ok(ImportRequest {
        name: if name.is_empty() {
            default_name.to_owned()
        } else {
            name
        },
        hint: ImportHint { format, elements },
    })
}

/// Reads and imports a whole file, all or nothing, and audits it from `record` (actor and
/// workstation; outcome `ok`, or `failed` for a refused file). Returns the report and the
/// change log's head.
pub fn import_blocking(
    store: &dyn CentralStore,
    bytes: &[u8],
    request: &ImportRequest,
    record: &AuditRecord,
    now: Timestamp,
) -> Result<(ImportReport, u64), Failure> {
    let name = &request.name;
    let record = record.clone().target(format!("file:{name}"));
    let file = match formats::parse(bytes, &request.hint) {
        Ok(file) => file,
        Err(error) => {
            let refusal = ImportRefusal::unreadable(error.line, error.reason);
            let format = request.hint.format.map(|f| f.code().to_owned());
            store.audit(failed(&record).detail(&refused_detail(format, &refusal)))?;
            return Err(refused(name, &refusal));
        }
    };
    let format = file.format.code();
    let audit = |verdict: ImportVerdict<'_>| match verdict {
        Ok(tally) => record.clone().detail(&imported_detail(format, tally)),
        Err(refusal) => failed(&record).detail(&refused_detail(Some(format.to_owned()), refusal)),
    };
    let lines = lines_of(&file);
    // Times are judged here, at the edge, as ingest judges them: the store takes only records
    // it can accept.
    if let Err(refusal) = check_times(&lines, now) {
        store.audit(audit(Err(&refusal)))?;
        return Err(refused(name, &refusal));
    }
    match store.import(&lines, now, &audit) {
        Ok(tally) => {
            tracing::info!(file = %name, format, imported = tally.imported, new_values = tally.new_values, "file imported");
            let head = tally.head;
            Ok((report(name, &file, &tally), head))
        }
        Err(ImportError::Refused(refusal)) => Err(refused(name, &refusal)),
        Err(ImportError::Store(error)) => Err(Failure::store(&error)),
    }
}

/// The audit detail of a stored file.
fn imported_detail(format: &str, tally: &ImportTally) -> AuditDetail {
    AuditDetail::FileImported {
        format: format.to_owned(),
        records: tally.records,
        imported: tally.imported,
        new_values: tally.new_values,
        duplicate_values: tally.duplicate_values,
        outside_network: tally.outside_network,
    }
}

/// The audit detail of a refused file.
fn refused_detail(format: Option<String>, refusal: &ImportRefusal) -> AuditDetail {
    AuditDetail::FileRefused {
        format,
        line: refusal.line,
        reason: refusal.reason(),
        cause: Some((&refusal.refusal).into()),
    }
}

/// The file's records as the store imports them.
fn lines_of(file: &ObservationFile) -> Vec<ImportLine> {
    file.records
        .iter()
        .map(|record| ImportLine {
            line: record.line,
            observation: record.clone().into_observation(),
        })
        .collect()
}

fn failed(record: &AuditRecord) -> AuditRecord {
    AuditRecord {
        outcome: Outcome::Failed.code().to_owned(),
        ..record.clone()
    }
}

/// 422 `import_refused` for a refused file, naming the line and the reason: the reason's code
/// in `reason` and its parameters beside `file` (and `line`, when one line is at fault). A line
/// the format reader could not read also has the reader's English words in `detail`, which a
/// client may show in English (they have no code yet).
fn refused(name: &str, refusal: &ImportRefusal) -> Failure {
    tracing::info!(file = %name, %refusal, "import refused");
    let mut failure = Failure::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        Code::ImportRefused,
        format!("{name}: {refusal}; nothing of the file was imported"),
    )
    .with("file", name)
    .with("reason", refusal.refusal.code.as_str());
    if let Some(detail) = &refusal.detail {
        failure
            .body
            .params
            .insert("detail".to_owned(), detail.clone().into());
    }
    failure.because(&refusal.refusal, refusal.line)
}

/// 400 `unknown_element`.
pub fn unknown_element(error: &UnknownElement) -> Failure {
    Failure::new(
        StatusCode::BAD_REQUEST,
        Code::UnknownElement,
        error.to_string(),
    )
    .with("code", error.0.as_str())
}

/// What an import stored, in a sentence for the audit log and the command line.
pub fn counts(tally: &ImportTally) -> String {
    format!(
        "{} records; {} imported ({} new values, {} already stored); {} stations outside the network",
        tally.records,
        tally.imported,
        tally.new_values,
        tally.duplicate_values,
        tally.outside_network
    )
}

fn report(name: &str, file: &ObservationFile, tally: &ImportTally) -> ImportReport {
    ImportReport {
        name: name.to_owned(),
        format: file.format.code().to_owned(),
        title: file.title.clone(),
        records: tally.records,
        imported: tally.imported,
        new_values: tally.new_values,
        duplicate_values: tally.duplicate_values,
        missing_values: file.missing_values,
        outside_network: tally.outside_network,
        outside_examples: tally
            .outside_examples
            .iter()
            .map(ToString::to_string)
            .collect(),
        span: tally.span,
    }
}

/// `POST /imports?format=&element=&name=`: the body is the file, any content type, at most
/// [`MAX_BODY_BYTES`].
pub async fn import(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, Failure> {
    let request = import_request(&query, UNNAMED)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::too_large(format!(
                "the file exceeds {} MiB; split it, or import it on the server (wxdesk central import)",
                MAX_BODY_BYTES >> 20
            ))
        } else {
            Failure::body(&e)
        }
    })?;
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::ObservationsImported, Outcome::Ok);
    let (report, head) = state
        .call(move |store| import_blocking(store, &body, &request, &record, now))
        .await?;
    state.advance_head(head);
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(format: Option<&str>, element: Option<&str>, name: Option<&str>) -> ImportQuery {
        ImportQuery {
            format: format.map(Into::into),
            element: element.map(Into::into),
            name: name.map(Into::into),
        }
    }

    #[test]
    fn import_queries_are_parsed_or_explained() {
        let detect = import_request(&query(None, None, None), UNNAMED).unwrap();
        assert_eq!(detect.name, "upload");
        assert_eq!(detect.hint, ImportHint::detect());
        let named = import_request(
            &query(Some("micaps3"), Some("PRE_24h, TEM"), Some(" rain\n.txt ")),
            UNNAMED,
        )
        .unwrap();
        assert_eq!(named.name, "rain.txt");
        assert_eq!(
            named.hint,
            ImportHint::format(FileFormat::Micaps3).with_elements([Element::Pre24h, Element::Tem])
        );
        for (q, says) in [
            (query(Some("micaps"), None, None), "unknown file format"),
            (query(None, Some("RAIN"), None), "unknown element"),
        ] {
            let failure = import_request(&q, UNNAMED).unwrap_err();
            assert_eq!(failure.status, StatusCode::BAD_REQUEST);
            assert!(
                failure.body.message.contains(says),
                "{}",
                failure.body.message
            );
        }
    }
}
