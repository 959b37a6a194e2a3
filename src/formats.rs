//! Observation files read at the edge: MICAPS type 1 (surface plot) and type 3 (general station
//! data) files, and CSV. Bytes in; typed records, or the first bad line and why, out.
//!
//! Nothing here does I/O or knows the network: the importer decides what to keep (stations
//! outside the network, the transaction). What this layer guarantees is that every record it
//! hands over is well formed — a valid station id, a real instant in UTC, and values inside their
//! element's physical range ([`check_value`]) — and that a malformed file is refused as a whole.
//!
//! - Text is UTF-8 (a byte-order mark is allowed) or GBK: valid UTF-8 is read as UTF-8, anything
//!   else must be GBK ([`decode`]). MICAPS files are GBK in practice.
//! - The format is named by the caller ([`ImportHint`]) or detected: a file whose first line
//!   starts with `diamond 1` or `diamond 3` is MICAPS, anything else CSV.
//! - Missing is absent: 9999 (also written 9999.0) and CMA's 999999 never reach the values; each
//!   missing value is counted in [`ObservationFile::missing_values`].
//! - Local times in files are Beijing time (UTC+8) and come out as UTC.
//!
//! The formats themselves are described in [`micaps`] and [`table`]. Warnings leave as CAP 1.2
//! ([`cap`]) and the city's and province's come in as CAP 1.2 ([`cap_read`]).

pub mod cap;
pub mod cap_read;
pub mod micaps;
pub mod sheet;
pub mod table;
pub mod xlsx;
pub mod xml;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;

use crate::domain::geo::LatLon;
use crate::domain::observation::check_value;
use crate::domain::time::BEIJING_OFFSET_SECS;
use crate::domain::{Element, Observation, Source, StationId, Timestamp};

/// The file formats this layer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// MICAPS type 1 (`diamond 1`): surface plot data, 24 fields per station.
    Micaps1,
    /// MICAPS type 3 (`diamond 3`): general station data, one or more values per station.
    Micaps3,
    /// Comma-separated `station,time,<CMA element codes…>` (see [`table`]).
    Csv,
}

impl FileFormat {
    /// Every format, in the order a picker lists them.
    pub const ALL: [Self; 3] = [Self::Micaps1, Self::Micaps3, Self::Csv];

    /// A short stable code for wire formats and command lines: `micaps1`, `micaps3`, `csv`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Micaps1 => "micaps1",
            Self::Micaps3 => "micaps3",
            Self::Csv => "csv",
        }
    }

    /// What the format is, for people.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Micaps1 => "MICAPS type 1 (surface plot)",
            Self::Micaps3 => "MICAPS type 3 (station data)",
            Self::Csv => "CSV",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A code that names no [`FileFormat`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown file format {0:?} (expected micaps1, micaps3 or csv)")]
pub struct UnknownFormat(pub String);

impl FromStr for FileFormat {
    type Err = UnknownFormat;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|format| format.code() == code)
            .ok_or_else(|| UnknownFormat(code.to_owned()))
    }
}

/// What the caller knows about a file before it is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportHint {
    /// The file's format; `None` detects it from the first line.
    pub format: Option<FileFormat>,
    /// What the values of a MICAPS type 3 file are, one element per value column, in order.
    /// Empty: infer the element from the title. Type 1 and CSV files name their own elements,
    /// so naming any for them is refused rather than silently ignored.
    pub elements: Vec<Element>,
}

impl ImportHint {
    /// Detect the format; infer a type 3 file's element from its title.
    pub fn detect() -> Self {
        Self::default()
    }

    /// The file is in `format`.
    pub fn format(format: FileFormat) -> Self {
        Self {
            format: Some(format),
            elements: Vec::new(),
        }
    }

    /// The values of a MICAPS type 3 file are `elements`, whatever its title says.
    #[must_use]
    pub fn with_elements(mut self, elements: impl IntoIterator<Item = Element>) -> Self {
        self.elements = elements.into_iter().collect();
        self
    }
}

/// A whole file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationFile {
    /// The format it was read as.
    pub format: FileFormat,
    /// The MICAPS title (the rest of the `diamond` line); empty for CSV, which has none.
    pub title: String,
    /// One record per station row (MICAPS) or data row (CSV), in file order.
    pub records: Vec<FileRecord>,
    /// How many values were marked missing (9999, `NA`, empty …) and so are absent from
    /// `records`. Only values of elements count, not a missing altitude or position.
    pub missing_values: usize,
}

/// One station's row of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    /// The 1-based line the row starts on, for messages about it.
    pub line: usize,
    /// Reporting station.
    pub station: StationId,
    /// Observation time, UTC.
    pub time: Timestamp,
    /// Position the file gives for the station (MICAPS); `None` for CSV or when missing.
    pub location: Option<LatLon>,
    /// Altitude the file gives for the station, m; `None` for CSV or when missing.
    pub altitude_m: Option<f64>,
    /// The values present, each checked against its physical range. May be empty when every
    /// value of the row was missing.
    pub values: BTreeMap<Element, f64>,
}

impl FileRecord {
    /// The record as an observation from a file ([`Source::Imported`]); the position and
    /// altitude the file gave are dropped (the network's station table is the reference).
    pub fn into_observation(self) -> Observation {
        Observation {
            station: self.station,
            time: self.time,
            source: Source::Imported,
            values: self.values,
        }
    }
}

/// Why a file was refused: the first bad line and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct FormatError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, for a person.
    pub reason: String,
}

impl FormatError {
    fn new(line: usize, reason: impl Into<String>) -> Self {
        Self {
            line,
            reason: reason.into(),
        }
    }
}

/// Reads a whole observation file.
pub fn parse(bytes: &[u8], hint: &ImportHint) -> Result<ObservationFile, FormatError> {
    let text = decode(bytes)?;
    let format = match hint.format {
        Some(format) => format,
        None => detect(&text)?,
    };
    if format != FileFormat::Micaps3 && !hint.elements.is_empty() {
        return Err(FormatError::new(
            1,
            format!("a {format} file names its own elements; they cannot be named on import"),
        ));
    }
    match format {
        FileFormat::Micaps1 => micaps::parse_surface(&text),
        FileFormat::Micaps3 => micaps::parse_station_data(&text, &hint.elements),
        FileFormat::Csv => table::parse_table(&text),
    }
}

/// What Excel and Notepad put before UTF-8 text.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a file's bytes: UTF-8 (with or without a byte-order mark) if they are valid UTF-8,
/// GBK otherwise. A GBK file is practically never valid UTF-8 (its two-byte characters break
/// UTF-8's continuation rules), so the order is safe.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, FormatError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(FormatError::new(
            1,
            "the file is UTF-16 text; save it as UTF-8 or GBK",
        ));
    }
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return std::str::from_utf8(rest).map(Cow::Borrowed).map_err(|e| {
            FormatError::new(
                line_at(bytes, UTF8_BOM.len() + e.valid_up_to()),
                "the file starts with a UTF-8 byte-order mark but this line is not UTF-8",
            )
        });
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| {
            // GBK's trail bytes are never b'\n', so a bad sequence lies within one line.
            let line = bytes
                .split(|&b| b == b'\n')
                .position(|line| {
                    encoding_rs::GBK
                        .decode_without_bom_handling_and_without_replacement(line)
                        .is_none()
                })
                .map_or(1, |index| index + 1);
            FormatError::new(
                line,
                "this line is neither UTF-8 nor GBK text (is the file text at all?)",
            )
        })
}

/// The 1-based line of byte `offset`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// The first line that holds anything, with its 1-based number.
fn first_line(text: &str) -> Option<(usize, &str)> {
    text.lines()
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, line))
}

/// Tells MICAPS (`diamond 1`, `diamond 3` on the first line) from CSV (anything else).
fn detect(text: &str) -> Result<FileFormat, FormatError> {
    let (line, first) = first_line(text).ok_or_else(|| FormatError::new(1, "the file is empty"))?;
    let mut words = first.split_whitespace();
    if !words
        .next()
        .is_some_and(|word| word.eq_ignore_ascii_case("diamond"))
    {
        return Ok(FileFormat::Csv);
    }
    match words.next() {
        Some("1") => Ok(FileFormat::Micaps1),
        Some("3") => Ok(FileFormat::Micaps3),
        other => Err(FormatError::new(
            line,
            format!(
                "a MICAPS file of type {}; only types 1 (surface plot) and 3 (station data) \
                 hold station observations",
                other.unwrap_or("(none)")
            ),
        )),
    }
}

/// Quotes a piece of a file for a message, cut short if long.
fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    if text.chars().count() > MAX_CHARS {
        let cut: String = text.chars().take(MAX_CHARS).collect();
        format!("\"{cut}…\"")
    } else {
        format!("{text:?}")
    }
}

/// Markers for a missing value: MICAPS' 9999 (also as 9999.0) and CMA's 999999.
fn is_missing(value: f64) -> bool {
    value == 9999.0 || value == 999_999.0
}

/// A finite decimal number; `inf` and `NaN`, which Rust would parse, are not data.
fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// A local Beijing date-time as the UTC instant it names.
fn from_beijing(local: NaiveDateTime) -> Timestamp {
    Timestamp(local.and_utc().timestamp_millis() - i64::from(BEIJING_OFFSET_SECS) * 1000)
}

/// One value read from a file: absent when it was marked missing.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reading {
    value: Option<f64>,
    line: usize,
}

/// The identity and place of a row, before its values.
struct RowHead {
    line: usize,
    station: StationId,
    time: Timestamp,
    location: Option<LatLon>,
    altitude_m: Option<f64>,
}

/// Collects the records of one file: checks every value's range, counts missing values and
/// refuses a station reported twice for the same time.
#[derive(Default)]
struct Records {
    records: Vec<FileRecord>,
    lines: HashMap<(StationId, Timestamp), usize>,
    missing_values: usize,
}

impl Records {
    fn push(
        &mut self,
        head: RowHead,
        readings: impl IntoIterator<Item = (Element, Reading)>,
    ) -> Result<(), FormatError> {
        let RowHead {
            line,
            station,
            time,
            location,
            altitude_m,
        } = head;
        if let Some(first) = self.lines.get(&(station.clone(), time)) {
            return Err(FormatError::new(
                line,
                format!("station {station} at {time} already appeared on line {first}"),
            ));
        }
        let mut values = BTreeMap::new();
        for (element, reading) in readings {
            let Some(value) = reading.value else {
                self.missing_values += 1;
                continue;
            };
            let value = check_value(element, value)
                .map_err(|e| FormatError::new(reading.line, format!("station {station}: {e}")))?;
            values.insert(element, value);
        }
        self.lines.insert((station.clone(), time), line);
        self.records.push(FileRecord {
            line,
            station,
            time,
            location,
            altitude_m,
            values,
        });
        Ok(())
    }

    fn into_file(self, format: FileFormat, title: &str) -> ObservationFile {
        ObservationFile {
            format,
            title: title.to_owned(),
            records: self.records,
            missing_values: self.missing_values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_or_without_bom_and_gbk() {
        let gbk = b"\xc7\xe5\xc1\xf7"; // 清流
        let cases: [(&[u8], &str); 4] = [
            (b"plain", "plain"),
            ("清流".as_bytes(), "清流"),
            (b"\xEF\xBB\xBF\xe6\xb8\x85\xe6\xb5\x81", "清流"),
            (gbk, "清流"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(decode(bytes).unwrap(), expected, "{bytes:?}");
        }
    }

    #[test]
    fn undecodable_text_names_its_line() {
        let cases: [(&[u8], usize, &str); 3] = [
            (b"ok\nok\n\xff\xff\n", 3, "neither UTF-8 nor GBK"),
            (b"\xEF\xBB\xBFok\n\xc7\xe5\n", 2, "byte-order mark"),
            (b"\xFF\xFEs\0", 1, "UTF-16"),
        ];
        for (bytes, line, reason) in cases {
            let error = decode(bytes).unwrap_err();
            assert_eq!(error.line, line, "{bytes:?}");
            assert!(error.reason.contains(reason), "{error}");
        }
    }

    #[test]
    fn detects_the_format_from_the_first_line() {
        let cases = [
            (
                "diamond 1 地面填图\n25 06 17 06 0\n",
                Ok(FileFormat::Micaps1),
            ),
            ("\n  DIAMOND  3 雨量\n", Ok(FileFormat::Micaps3)),
            ("station,time,TEM\n", Ok(FileFormat::Csv)),
            ("diamonds 3\n", Ok(FileFormat::Csv)),
        ];
        for (text, expected) in cases {
            assert_eq!(detect(text), expected, "{text:?}");
        }
        let grid = detect("diamond 4 格点\n").unwrap_err();
        assert!(grid.reason.contains("type 4"), "{grid}");
        assert_eq!(
            detect(" \n\n").unwrap_err().to_string(),
            "line 1: the file is empty"
        );
    }

    #[test]
    fn elements_may_be_named_for_type_3_only() {
        let csv = b"station,time,TEM\n58819,2025-06-17 08:00,20\n";
        let hint = ImportHint::detect().with_elements([Element::Tem]);
        let error = parse(csv, &hint).unwrap_err();
        assert!(error.reason.contains("names its own elements"), "{error}");
        assert!(parse(csv, &ImportHint::detect()).is_ok());
    }

    #[test]
    fn format_codes_round_trip() {
        for format in FileFormat::ALL {
            assert_eq!(format.code().parse(), Ok(format));
        }
        assert!("micaps4".parse::<FileFormat>().is_err());
    }

    #[test]
    fn missing_markers_and_numbers() {
        for (value, missing) in [
            (9999.0, true),
            (999_999.0, true),
            (999.9, false),
            (0.0, false),
        ] {
            assert_eq!(is_missing(value), missing, "{value}");
        }
        for (text, expected) in [("23.9", Some(23.9)), ("-1", Some(-1.0)), ("NaN", None)] {
            assert_eq!(number(text), expected, "{text}");
        }
        assert_eq!(number("inf"), None);
        assert_eq!(number("1,5"), None);
    }

    #[test]
    fn beijing_eight_is_midnight_utc() {
        let local = chrono::NaiveDate::from_ymd_opt(2019, 5, 20)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        assert_eq!(from_beijing(local).to_rfc3339(), "2019-05-20T00:00:00Z");
    }
}
