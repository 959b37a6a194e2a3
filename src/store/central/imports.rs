//! Importing a whole observation file, all or nothing: records of stations outside the network
//! are set aside and counted, and the rest go through the same writer, quality control and
//! change log as ingest. A value that contradicts one already stored refuses the whole file;
//! the caller then rolls back. Every record's time is judged before, at the edge
//! ([`check_times`]), as ingest judges its records' times when parsing them.
//!
//! The checks before any write ([`check_times`], [`split_by_network`]) are pure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rusqlite::Connection;

use super::ingest::{Quality, head, log_with_verdicts, new_part};
use crate::domain::observation::check_time;
use crate::domain::refusal::{Code, Refusal};
use crate::domain::{Network, Observation, StationId, Timestamp};
use crate::store::StoreError;
use crate::store::observations::{OnConflict, ValueOutcome, Writer};

/// How many ids of stations outside the network an import names.
pub const OUTSIDE_EXAMPLES: usize = 5;

/// One record of a file: the line it starts on, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLine {
    /// 1-based line in the file.
    pub line: usize,
    /// The record, with [`crate::domain::Source::Imported`].
    pub observation: Observation,
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportTally {
    /// Records in the file.
    pub records: usize,
    /// Records of stations in the network (stored, or already stored).
    pub imported: usize,
    /// Values newly stored.
    pub new_values: usize,
    /// Values already stored identically.
    pub duplicate_values: usize,
    /// Stations of the file outside the network, skipped.
    pub outside_network: usize,
    /// The first few of them, in file order.
    pub outside_examples: Vec<StationId>,
    /// Earliest and latest time imported.
    pub span: Option<(Timestamp, Timestamp)>,
    /// Changes appended to the log.
    pub new_changes: u64,
    /// The change log's head afterwards.
    pub head: u64,
}

/// Why a whole file was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRefusal {
    /// The line at fault, when one is.
    pub line: Option<usize>,
    /// What is wrong, as a code of the registry.
    pub refusal: Refusal,
    /// The format reader's own words for a line it could not read (`unreadable_line`): in
    /// English, for the log, the audit log and the API's message.
    pub detail: Option<String>,
}

impl ImportRefusal {
    /// A refusal of line `line`.
    pub fn at(line: usize, refusal: Refusal) -> Self {
        Self {
            line: Some(line),
            refusal,
            detail: None,
        }
    }

    /// Line `line` could not be read; `detail` says why in English.
    pub fn unreadable(line: usize, detail: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            refusal: Refusal::new(Code::UnreadableLine),
            detail: Some(detail.into()),
        }
    }

    /// What is wrong, in English.
    pub fn reason(&self) -> String {
        self.detail
            .clone()
            .unwrap_or_else(|| self.refusal.english())
    }
}

impl fmt::Display for ImportRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason()),
            None => f.write_str(&self.reason()),
        }
    }
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file was refused as a whole.
    #[error("{0}")]
    Refused(ImportRefusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the audit entry of an import is made from: the tally, or the refusal.
pub type ImportVerdict<'a> = Result<&'a ImportTally, &'a ImportRefusal>;

/// The first record whose time the central cannot accept at `now`.
pub fn check_times(lines: &[ImportLine], now: Timestamp) -> Result<(), ImportRefusal> {
    lines.iter().try_for_each(|l| {
        check_time(l.observation.time, now)
            .map_err(|e| ImportRefusal::at(l.line, Refusal::from(&e)))
    })
}

/// The records of the network's stations, and the other stations in file order (each once).
pub fn split_by_network<'a>(
    network: &Network,
    lines: &'a [ImportLine],
) -> (Vec<&'a ImportLine>, Vec<&'a StationId>) {
    let ours: BTreeSet<&StationId> = network.stations.iter().map(|s| &s.id).collect();
    let mut inside = Vec::new();
    let mut outside: Vec<&StationId> = Vec::new();
    let mut seen = BTreeSet::new();
    for line in lines {
        let station = &line.observation.station;
        if ours.contains(station) {
            inside.push(line);
        } else if seen.insert(station) {
            outside.push(station);
        }
    }
    (inside, outside)
}

/// The refusal of a file none of whose stations is in the network.
fn none_inside(outside: &[&StationId]) -> ImportRefusal {
    let examples: Vec<&str> = outside
        .iter()
        .take(OUTSIDE_EXAMPLES)
        .map(|s| s.as_str())
        .collect();
    let more = if outside.len() > examples.len() {
        ", …"
    } else {
        ""
    };
    ImportRefusal {
        line: None,
        refusal: Refusal::new(Code::NoStationInNetwork)
            .with("count", outside.len())
            .with("stations", format!("{}{more}", examples.join(", "))),
        detail: None,
    }
}

/// Imports `lines`, their times already judged at the edge ([`check_times`]), inside `conn`'s
/// current transaction, stamping each change `now`. On [`ImportError::Refused`] part of the
/// file may have been written: the caller must roll back.
pub fn import_lines(
    conn: &Connection,
    lines: &[ImportLine],
    now: Timestamp,
    quality: Quality<'_>,
) -> Result<ImportTally, ImportError> {
    let (inside, outside) = split_by_network(quality.network, lines);
    if inside.is_empty() {
        return Err(ImportError::Refused(none_inside(&outside)));
    }
    let mut tally = ImportTally {
        records: lines.len(),
        imported: inside.len(),
        outside_network: outside.len(),
        outside_examples: outside
            .iter()
            .take(OUTSIDE_EXAMPLES)
            .map(|&s| s.clone())
            .collect(),
        ..ImportTally::default()
    };
    let mut writer = Writer::new(conn);
    let mut stored = Vec::new();
    for line in inside {
        let obs = &line.observation;
        let outcomes = writer.insert(obs, OnConflict::KeepStored, &BTreeMap::new())?;
        for (element, outcome) in &outcomes {
            match outcome {
                ValueOutcome::New => tally.new_values += 1,
                ValueOutcome::Duplicate => tally.duplicate_values += 1,
                ValueOutcome::Conflict { stored } => {
                    let refusal = Refusal::new(Code::ValueConflict)
                        .with("element", element.code())
                        .with("station", obs.station.to_string())
                        .with("time", obs.time)
                        .with("stored", *stored)
                        .with(
                            "posted",
                            obs.values.get(element).copied().unwrap_or(f64::NAN),
                        );
                    return Err(ImportError::Refused(ImportRefusal::at(line.line, refusal)));
                }
            }
        }
        tally.span = Some(match tally.span {
            Some((first, last)) => (first.min(obs.time), last.max(obs.time)),
            None => (obs.time, obs.time),
        });
        stored.extend(new_part(obs, &outcomes));
    }
    tally.new_changes = log_with_verdicts(&mut writer, now, quality, &stored)?.0;
    writer.finish()?;
    tally.head = head(conn)?;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Element, Source};

    fn line(line: usize, station: &str, time: i64) -> ImportLine {
        ImportLine {
            line,
            observation: Observation {
                station: StationId::parse(station).unwrap(),
                time: Timestamp(time),
                source: Source::Imported,
                values: BTreeMap::from([(Element::Pre24h, 1.0)]),
            },
        }
    }

    #[test]
    fn the_first_bad_time_refuses_naming_its_line() {
        let now = Timestamp(1_800_000_000_000);
        let lines = [
            line(3, "58819", now.millis()),
            line(4, "58819", now.millis() + 3_600_000),
            line(5, "58819", -700_000_000_000),
        ];
        let refusal = check_times(&lines, now).unwrap_err();
        assert_eq!(refusal.line, Some(4));
        assert!(
            refusal.to_string().starts_with("line 4: time "),
            "{refusal}"
        );
        assert!(check_times(&lines[..1], now).is_ok());
    }

    #[test]
    fn stations_outside_the_network_are_set_aside_once_each() {
        let network = crate::assets::qingliu_network().unwrap();
        let lines = [
            line(1, "54511", 0),
            line(2, "58819", 0),
            line(3, "54511", 1),
            line(4, "58824", 0),
            line(5, "708301", 0),
        ];
        let (inside, outside) = split_by_network(&network, &lines);
        let inside: Vec<usize> = inside.iter().map(|l| l.line).collect();
        let outside: Vec<&str> = outside.iter().map(|s| s.as_str()).collect();
        assert_eq!(inside, [2, 5]);
        assert_eq!(outside, ["54511", "58824"]);
    }

    #[test]
    fn a_file_of_strangers_is_refused_with_examples() {
        let ids: Vec<StationId> = (0..7)
            .map(|i| StationId::parse(&format!("5450{i}")).unwrap())
            .collect();
        let refs: Vec<&StationId> = ids.iter().collect();
        let refusal = none_inside(&refs);
        assert_eq!(refusal.line, None);
        assert_eq!(
            refusal.to_string(),
            "no station of this file is in the network; stations outside it: 7 \
             (54500, 54501, 54502, 54503, 54504, …)"
        );
    }
}
