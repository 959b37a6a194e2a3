//! Ingesting a batch of observation records, parsed at the edge
//! ([`crate::protocol::parse_batch`]): store what is new, append one change naming the hours
//! the batch changed, and judge every record.
//!
//! The judging ([`judge`], [`respond`]) is pure so that any store implementation gives the
//! same answers; only [`ingest_batch`] touches SQLite.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::change_row;
use super::qc::{self, QcWork};
use super::schema::station_exists;
use crate::domain::observation::{IngestRecord, ObservationError};
use crate::domain::qc::QcConfig;
use crate::domain::refusal::{Code, Refusal};
use crate::domain::{Element, Network, Observation, Timestamp};
use crate::protocol::{
    ChangeData, CodedRefusal, HoursChange, IngestResponse, RecordError, RecordResult, RecordStatus,
    SeriesHour,
};
use crate::store::observations::{OnConflict, ValueOutcome, Writer};
use crate::store::{Context as _, StoreError};

/// What an ingest did: the result of each record it was given, and the change log's head
/// after it.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    /// One result per record given, in the order given.
    pub results: Vec<RecordResult>,
    /// Newest `seq` after the batch committed (unchanged if nothing new was stored).
    pub head: u64,
    /// Changes this batch appended to the log.
    pub new_changes: u64,
    /// What quality control read to judge the batch.
    pub qc_work: QcWork,
}

/// What quality control of a batch needs: the network (who neighbours whom, at what
/// altitude) and the rules' settings.
#[derive(Debug, Clone, Copy)]
pub struct Quality<'a> {
    /// The station network.
    pub network: &'a Network,
    /// The QC settings.
    pub config: &'a QcConfig,
}

/// Ingests `records` inside `conn`'s current transaction (the caller commits), stamping each
/// change `now`. The stored values are quality controlled in the same transaction: their
/// flags travel with them in the change log, and values already stored whose verdict the
/// batch changed are logged as re-judged.
pub fn ingest_batch(
    conn: &Connection,
    records: &[IngestRecord],
    now: Timestamp,
    quality: Quality<'_>,
) -> Result<IngestReport, StoreError> {
    let mut results = Vec::with_capacity(records.len());
    let mut writer = Writer::new(conn);
    let mut stored: Vec<Observation> = Vec::new();
    for record in records {
        let obs = &record.observation;
        if !station_exists(conn, &obs.station)? {
            let refusal =
                Refusal::new(Code::UnknownStation).with("station", obs.station.to_string());
            results.push(rejected(record.index, english(refusal)));
            continue;
        }
        let outcomes = writer.insert(obs, OnConflict::KeepStored, &BTreeMap::new())?;
        stored.extend(new_part(obs, &outcomes));
        results.push(judge(record.index, obs, &record.value_errors, &outcomes));
    }
    let (new_changes, qc_work) = log_with_verdicts(&mut writer, now, quality, &stored)?;
    writer.finish()?;
    Ok(IngestReport {
        results,
        head: head(conn)?,
        new_changes,
        qc_work,
    })
}

/// Quality-controls what a batch stored, then appends one change naming every hour whose
/// chunk the transaction changed (new values, or flags re-judged), if any. Returns how many
/// changes it appended (0 or 1) and what judging read.
pub fn log_with_verdicts(
    writer: &mut Writer<'_>,
    now: Timestamp,
    quality: Quality<'_>,
    stored: &[Observation],
) -> Result<(u64, QcWork), StoreError> {
    let verdicts = qc::judge(writer, quality.network, quality.config, stored)?;
    let appended = log_changed_hours(writer, now)?;
    Ok((appended, verdicts.work))
}

/// Writes what `writer` holds and appends one `hours` change naming every hour it wrote;
/// returns how many changes it appended (none when nothing changed).
pub fn log_changed_hours(writer: &mut Writer<'_>, now: Timestamp) -> Result<u64, StoreError> {
    writer.flush()?;
    let hours: Vec<SeriesHour> = writer
        .written_hours()
        .into_iter()
        .map(|(station, element, start)| SeriesHour {
            station: station.to_string(),
            element,
            start,
        })
        .collect();
    if hours.is_empty() {
        return Ok(0);
    }
    let change = ChangeData::Hours(HoursChange::from_hours(&hours));
    append_change(writer.conn(), now, &change)?;
    Ok(1)
}

/// The newest `seq` in the change log (0 when empty).
pub fn head(conn: &Connection) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM change_log")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map(seq_from_sql)
        .context("reading change-log head")
}

/// A `seq` as SQLite stores it (a positive `INTEGER`) as the API's `u64`.
pub fn seq_from_sql(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or_default()
}

/// Appends one change; returns its `seq`.
pub(super) fn append_change(
    conn: &Connection,
    at: Timestamp,
    data: &ChangeData,
) -> Result<u64, StoreError> {
    let stored = change_row::stored(conn, data)?;
    conn.prepare_cached(
        "INSERT INTO change_log (recorded_at, kind, data) VALUES (?1, ?2, ?3) RETURNING seq",
    )
    .and_then(|mut s| s.query_row(params![at.millis(), data.kind(), stored], |r| r.get(0)))
    .map(seq_from_sql)
    .context("appending to change log")
}

/// A refusal and its sentence in English (for clients that read only `errors`).
pub type Refused = (Refusal, String);

/// A refusal said in its code's English.
fn english(refusal: Refusal) -> Refused {
    let text = refusal.english();
    (refusal, text)
}

/// A record refused as a whole.
pub fn rejected(index: usize, refused: Refused) -> RecordResult {
    result(index, RecordStatus::Rejected, 0, vec![refused])
}

/// A record's result, its refusals both coded and in English.
fn result(
    index: usize,
    status: RecordStatus,
    stored_values: usize,
    refused: Vec<Refused>,
) -> RecordResult {
    let (refusals, errors): (Vec<Refusal>, Vec<String>) = refused.into_iter().unzip();
    RecordResult {
        index,
        status,
        stored_values,
        errors,
        refusals: refusals.iter().map(CodedRefusal::from).collect(),
    }
}

/// The part of an observation this ingest stored, if any: what the change log carries.
pub fn new_part(obs: &Observation, outcomes: &[(Element, ValueOutcome)]) -> Option<Observation> {
    let values: BTreeMap<Element, f64> = outcomes
        .iter()
        .filter(|(_, outcome)| *outcome == ValueOutcome::New)
        .filter_map(|(element, _)| Some((*element, *obs.values.get(element)?)))
        .collect();
    (!values.is_empty()).then(|| Observation {
        station: obs.station.clone(),
        time: obs.time,
        source: obs.source,
        values,
    })
}

/// Judges one parsed record from the values refused at parsing and what storing the rest did.
pub fn judge(
    index: usize,
    obs: &Observation,
    value_errors: &[ObservationError],
    outcomes: &[(Element, ValueOutcome)],
) -> RecordResult {
    let mut errors: Vec<Refused> = value_errors
        .iter()
        .map(|e| (Refusal::from(e), e.to_string()))
        .collect();
    let (mut new, mut duplicate) = (0, 0);
    for &(element, outcome) in outcomes {
        match outcome {
            ValueOutcome::New => new += 1,
            ValueOutcome::Duplicate => duplicate += 1,
            ValueOutcome::Conflict { stored } => errors.push(english(
                Refusal::new(Code::ValueConflict)
                    .with("element", element.code())
                    .with("station", obs.station.to_string())
                    .with("time", obs.time)
                    .with("stored", stored)
                    .with(
                        "posted",
                        obs.values.get(&element).copied().unwrap_or(f64::NAN),
                    ),
            )),
        }
    }
    if new + duplicate + errors.len() == 0 {
        errors.push(english(Refusal::new(Code::NoValues)));
    }
    let status = match (errors.is_empty(), new > 0, duplicate > 0) {
        (true, true, _) => RecordStatus::Stored,
        (true, false, _) => RecordStatus::Duplicate,
        (false, false, false) => RecordStatus::Rejected,
        (false, _, _) => RecordStatus::Partial,
    };
    result(index, status, new, errors)
}

/// A record refused at parsing, before the store saw it.
pub fn unparsed(index: usize, error: &RecordError) -> RecordResult {
    rejected(index, (error.refusal(), error.to_string()))
}

/// The batch's response: the records refused at parsing and those the store judged, back in
/// batch order, with per-status counts.
pub fn respond(refused: &[(usize, RecordError)], judged: Vec<RecordResult>) -> IngestResponse {
    let mut results: Vec<RecordResult> = refused
        .iter()
        .map(|(index, error)| unparsed(*index, error))
        .chain(judged)
        .collect();
    results.sort_by_key(|r| r.index);
    tally(results)
}

/// The batch's response: per-status counts over the results.
pub fn tally(results: Vec<RecordResult>) -> IngestResponse {
    let count = |status| results.iter().filter(|r| r.status == status).count();
    IngestResponse {
        stored: count(RecordStatus::Stored),
        duplicate: count(RecordStatus::Duplicate),
        partial: count(RecordStatus::Partial),
        rejected: count(RecordStatus::Rejected),
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::refusal::Param;
    use crate::domain::{Source, StationId};

    fn obs(values: &[(Element, f64)]) -> Observation {
        Observation {
            station: StationId::parse("58819").unwrap(),
            time: Timestamp(0),
            source: Source::Live,
            values: values.iter().copied().collect(),
        }
    }

    #[test]
    fn judging_table() {
        use RecordStatus::{Duplicate, Partial, Rejected, Stored};
        use ValueOutcome::{Conflict, Duplicate as Dup, New};
        let out_of_range = ObservationError::UnknownElement("WIND".into());
        // Outcomes of stored values, whether a value was refused at parsing, and the verdict:
        // status, values stored, errors reported.
        type Case = (
            &'static [(Element, ValueOutcome)],
            bool,
            RecordStatus,
            usize,
            usize,
        );
        let cases: [Case; 8] = [
            (
                &[(Element::Tem, New), (Element::Rhu, New)],
                false,
                Stored,
                2,
                0,
            ),
            (
                &[(Element::Tem, New), (Element::Rhu, Dup)],
                false,
                Stored,
                1,
                0,
            ),
            (
                &[(Element::Tem, Dup), (Element::Rhu, Dup)],
                false,
                Duplicate,
                0,
                0,
            ),
            (&[(Element::Tem, New)], true, Partial, 1, 1),
            (&[(Element::Tem, Dup)], true, Partial, 0, 1),
            (&[], true, Rejected, 0, 1),
            (&[], false, Rejected, 0, 1),
            (
                &[
                    (Element::Tem, Conflict { stored: 10.0 }),
                    (Element::Rhu, New),
                ],
                false,
                Partial,
                1,
                1,
            ),
        ];
        for (outcomes, bad_value, status, stored, errors) in cases {
            let value_errors = if bad_value {
                vec![out_of_range.clone()]
            } else {
                vec![]
            };
            let posted = obs(&[(Element::Tem, 11.0), (Element::Rhu, 80.0)]);
            let result = judge(3, &posted, &value_errors, outcomes);
            assert_eq!(result.index, 3);
            assert_eq!(result.status, status, "{outcomes:?} {bad_value}");
            assert_eq!(result.stored_values, stored, "{outcomes:?}");
            assert_eq!(result.errors.len(), errors, "{:?}", result.errors);
        }
    }

    #[test]
    fn a_conflict_names_both_values() {
        let posted = obs(&[(Element::Tem, 11.5)]);
        let result = judge(
            0,
            &posted,
            &[],
            &[(Element::Tem, ValueOutcome::Conflict { stored: 10.25 })],
        );
        assert_eq!(result.status, RecordStatus::Rejected);
        assert_eq!(
            result.errors,
            [
                "TEM of 58819 at 1970-01-01T00:00:00Z: 11.5 differs from the stored 10.25; \
              the stored value is kept (corrections are not accepted)"
            ]
        );
        let refusal = &result.refusals[0];
        assert_eq!(refusal.code, "value_conflict");
        assert_eq!(refusal.params["stored"], Param::Num(10.25));
        assert_eq!(refusal.params["posted"], Param::Num(11.5));
        assert_eq!(refusal.params["element"], Param::Text("TEM".into()));
    }

    #[test]
    fn a_change_carries_only_new_values() {
        let posted = obs(&[
            (Element::Tem, 11.5),
            (Element::Rhu, 80.0),
            (Element::Prs, 990.0),
        ]);
        let part = new_part(
            &posted,
            &[
                (Element::Tem, ValueOutcome::New),
                (Element::Rhu, ValueOutcome::Duplicate),
                (Element::Prs, ValueOutcome::Conflict { stored: 991.0 }),
            ],
        )
        .unwrap();
        assert_eq!(part.values, BTreeMap::from([(Element::Tem, 11.5)]));
        assert!(new_part(&posted, &[(Element::Tem, ValueOutcome::Duplicate)]).is_none());
    }

    #[test]
    fn tally_counts_by_status() {
        let results = vec![
            rejected(0, english(Refusal::new(Code::NoValues))),
            judge(
                1,
                &obs(&[(Element::Tem, 1.0)]),
                &[],
                &[(Element::Tem, ValueOutcome::New)],
            ),
            rejected(2, english(Refusal::new(Code::RecordMalformed))),
        ];
        let response = tally(results);
        assert_eq!(
            (
                response.stored,
                response.duplicate,
                response.partial,
                response.rejected
            ),
            (1, 0, 0, 2)
        );
        assert_eq!(response.results.len(), 3);
    }

    #[test]
    fn the_response_puts_parse_refusals_back_in_batch_order() {
        let judged = vec![
            judge(
                1,
                &obs(&[(Element::Tem, 1.0)]),
                &[],
                &[(Element::Tem, ValueOutcome::New)],
            ),
            rejected(
                3,
                english(Refusal::new(Code::UnknownStation).with("station", "708399")),
            ),
        ];
        let refused = [
            (0, RecordError::Malformed("missing field `time`".into())),
            (2, RecordError::BadTime("yesterday".into())),
        ];
        let response = respond(&refused, judged);
        let order: Vec<(usize, RecordStatus)> = response
            .results
            .iter()
            .map(|r| (r.index, r.status))
            .collect();
        assert_eq!(
            order,
            [
                (0, RecordStatus::Rejected),
                (1, RecordStatus::Stored),
                (2, RecordStatus::Rejected),
                (3, RecordStatus::Rejected),
            ]
        );
        assert_eq!((response.stored, response.rejected), (1, 3));
        assert_eq!(
            response.results[2].errors,
            ["time \"yesterday\" is not RFC 3339 (e.g. 2026-11-27T10:00:00Z)"]
        );
    }
}
