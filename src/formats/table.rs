//! Observation tables as CSV: what a spreadsheet or another system exports.
//!
//! ```text
//! station,time,TEM,RHU,PRE_1h
//! 58819,2025-06-17 08:00,24.6,88,0.0
//! 708301,2025-06-17T00:00:00Z,23.8,NA,
//! ```
//!
//! - Text: UTF-8 (a byte-order mark, as Excel writes, is allowed) or GBK.
//! - Header: `station`, `time`, then one CMA element code per column (`TEM`, `RHU`, `PRE_1h`,
//!   `WIN_S_Avg_2mi` …, case as CMA writes them; see [`Element::code`]). An unknown or repeated
//!   code is an error naming it. Values are in the element's SI unit ([`Element::unit`]).
//! - `station`: a station id (`58819`, `708301`, `F8301`).
//! - `time`: RFC 3339 with an offset (`2025-06-17T08:00:00+08:00`, `2025-06-17T00:00:00Z`), or
//!   `YYYY-MM-DD HH:MM` / `YYYY-MM-DD HH:MM:SS`, which is Beijing time.
//! - A cell that is empty, `NA`, `9999` or `999999` is missing; any other cell must be a number
//!   inside the element's physical range.
//! - Every row has one cell per header column; cells are trimmed; blank lines, and rows of empty
//!   cells as spreadsheets leave them, are skipped.
//! - A station may appear once per time.

use chrono::NaiveDateTime;
use csv::StringRecord;

use crate::domain::{Element, StationId, Timestamp};
use crate::formats::{
    FileFormat, FormatError, ObservationFile, Reading, Records, RowHead, from_beijing, is_missing,
    line_at, number, quoted,
};

/// Reads a CSV observation table.
pub(super) fn parse_table(text: &str) -> Result<ObservationFile, FormatError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = reader.records();
    let header = rows
        .next()
        .ok_or_else(|| FormatError::new(1, "the file is empty"))?
        .map_err(|e| csv_error(text, &e))?;
    let columns = columns(&header, line_of(text, header.position()))?;
    let mut records = Records::default();
    for row in rows {
        let row = row.map_err(|e| csv_error(text, &e))?;
        if row.iter().all(str::is_empty) {
            continue;
        }
        let line = line_of(text, row.position());
        if row.len() != 2 + columns.len() {
            return Err(FormatError::new(
                line,
                format!(
                    "{} cells, but the header has {} columns",
                    row.len(),
                    2 + columns.len()
                ),
            ));
        }
        let head = RowHead {
            line,
            station: StationId::parse(&row[0])
                .map_err(|e| FormatError::new(line, format!("column station: {e}")))?,
            time: time(&row[1]).ok_or_else(|| {
                FormatError::new(
                    line,
                    format!(
                        "column time: {} is neither RFC 3339 with an offset \
                         (2025-06-17T08:00:00+08:00) nor Beijing time as YYYY-MM-DD HH:MM[:SS]",
                        quoted(&row[1])
                    ),
                )
            })?,
            location: None,
            altitude_m: None,
        };
        let readings = columns
            .iter()
            .zip(row.iter().skip(2))
            .map(|(&element, cell)| Ok((element, reading(element, cell, line)?)))
            .collect::<Result<Vec<_>, FormatError>>()?;
        records.push(head, readings)?;
    }
    Ok(records.into_file(FileFormat::Csv, ""))
}

/// The elements of the header's value columns.
fn columns(header: &StringRecord, line: usize) -> Result<Vec<Element>, FormatError> {
    let fixed: Vec<&str> = header.iter().take(2).collect();
    if !matches!(fixed.as_slice(), [station, time]
        if station.eq_ignore_ascii_case("station") && time.eq_ignore_ascii_case("time"))
    {
        return Err(FormatError::new(
            line,
            format!(
                "expected the header station,time,<element codes…>, found {}",
                quoted(&header.iter().collect::<Vec<_>>().join(","))
            ),
        ));
    }
    if header.len() == 2 {
        return Err(FormatError::new(
            line,
            "the header names no element columns after station,time",
        ));
    }
    let mut elements: Vec<Element> = Vec::with_capacity(header.len() - 2);
    for (index, code) in header.iter().enumerate().skip(2) {
        let element = code.parse::<Element>().map_err(|_| {
            let known: Vec<&str> = Element::ALL.iter().map(|e| e.code()).collect();
            FormatError::new(
                line,
                format!(
                    "column {}: unknown element code {} (known: {})",
                    index + 1,
                    quoted(code),
                    known.join(", ")
                ),
            )
        })?;
        if elements.contains(&element) {
            return Err(FormatError::new(
                line,
                format!("column {element} appears twice"),
            ));
        }
        elements.push(element);
    }
    Ok(elements)
}

/// RFC 3339 with an offset, or a Beijing local time.
fn time(text: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(text).ok().or_else(|| {
        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
            .into_iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(from_beijing)
    })
}

/// One value cell: missing, or a number.
fn reading(element: Element, cell: &str, line: usize) -> Result<Reading, FormatError> {
    if cell.is_empty() || cell.eq_ignore_ascii_case("NA") {
        return Ok(Reading { value: None, line });
    }
    let value = number(cell).ok_or_else(|| {
        FormatError::new(
            line,
            format!(
                "column {element}: {} is not a number (empty, NA or 9999 mark a missing value)",
                quoted(cell)
            ),
        )
    })?;
    Ok(Reading {
        value: (!is_missing(value)).then_some(value),
        line,
    })
}

/// The 1-based line a record starts on. The `csv` crate counts neither the blank lines it skips
/// in its line numbers nor in its byte offsets' start, so: from the offset, past line breaks.
fn line_of(text: &str, position: Option<&csv::Position>) -> usize {
    position.map_or(1, |position| {
        let bytes = text.as_bytes();
        let offset = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        let start = bytes
            .iter()
            .skip(offset)
            .position(|&b| b != b'\n' && b != b'\r')
            .map_or(bytes.len(), |skipped| offset + skipped);
        line_at(bytes, start)
    })
}

fn csv_error(text: &str, error: &csv::Error) -> FormatError {
    FormatError::new(
        line_of(text, error.position()),
        format!("not readable as CSV: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{ImportHint, parse};

    const QINGLIU: &[u8] = include_bytes!("../../tests/data/import/qingliu_hourly.csv");

    fn read(text: &str) -> Result<ObservationFile, FormatError> {
        parse(text.as_bytes(), &ImportHint::detect())
    }

    #[test]
    fn qingliu_fixture_with_both_time_forms() {
        let file = parse(QINGLIU, &ImportHint::detect()).unwrap();
        assert_eq!(file.format, FileFormat::Csv);
        assert_eq!(file.records.len(), 6);
        // NA, an empty cell twice, and 9999.
        assert_eq!(file.missing_values, 4);
        let times: Vec<String> = file.records.iter().map(|r| r.time.to_rfc3339()).collect();
        let hours = [
            "2025-06-17T00:00:00Z",
            "2025-06-17T01:00:00Z",
            "2025-06-17T02:00:00Z",
        ];
        assert_eq!(times[..3], hours);
        assert_eq!(times[3..], hours);
        let first = &file.records[0];
        assert_eq!((first.station.as_str(), first.line), ("58819", 2));
        assert_eq!(first.values[&Element::Tem], 24.6);
        assert_eq!(first.values[&Element::WinDAvg2mi], 135.0);
        assert_eq!(first.location, None);
        let lingdi = &file.records[4];
        assert_eq!(lingdi.station.as_str(), "708301");
        assert_eq!(lingdi.values.get(&Element::Rhu), None, "NA");
        assert_eq!(lingdi.values.get(&Element::WinSAvg2mi), None, "empty");
        assert_eq!(file.records[5].values.get(&Element::Pre1h), None, "9999");
    }

    #[test]
    fn encodings_and_header_spelling() {
        let utf8 = "station,time,TEM\n58819,2025-06-17 08:00,24.6\n";
        let bom = format!("\u{feff}{utf8}");
        let (gbk, _, _) =
            encoding_rs::GBK.encode("Station,Time,TEM\n58819,2025-06-17 08:00,24.6\n");
        for bytes in [utf8.as_bytes(), bom.as_bytes(), &gbk] {
            let file = parse(bytes, &ImportHint::detect()).unwrap();
            assert_eq!(file.records[0].values[&Element::Tem], 24.6);
        }
        let quoted_and_spaced = "\nstation, time ,\"TEM\"\n\n\"58819\", 2025-06-17T08:00:00+08:00 , 24.6\n\
                                 \n\n58819,2025-06-17 09:00,\"25\n.1\"\n,,\n";
        let error = read(quoted_and_spaced).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("line 7: column TEM: \"25\\n.1\""),
            "{error}"
        );
        let file = read(&quoted_and_spaced.replace("25\n.1", "25.1")).unwrap();
        let lines: Vec<usize> = file.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 7], "blank lines count");
        assert_eq!(file.records[0].time.to_rfc3339(), "2025-06-17T00:00:00Z");
    }

    #[test]
    fn time_forms() {
        let cases = [
            ("2025-06-17T08:00:00+08:00", Some("2025-06-17T00:00:00Z")),
            ("2025-06-17T00:00:00Z", Some("2025-06-17T00:00:00Z")),
            ("2025-06-17 08:00", Some("2025-06-17T00:00:00Z")),
            ("2025-06-17 08:00:30", Some("2025-06-17T00:00:30Z")),
            ("2025-06-17T08:00:00", None),
            ("2025-06-17", None),
            ("2025-13-17 08:00", None),
            ("17/06/2025 08:00", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                time(text).map(Timestamp::to_rfc3339).as_deref(),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn bad_tables_name_line_and_column() {
        let head = "station,time,TEM,RHU\n";
        let row = "58819,2025-06-17 08:00,24.6,88\n";
        let cases = [
            ("", "line 1: the file is empty"),
            (
                "stn,time,TEM\n",
                "line 1: expected the header station,time,<element codes…>, found \"stn,time,TEM\"",
            ),
            (
                "station,time\n",
                "line 1: the header names no element columns after station,time",
            ),
            ("station,time,TEM,TEM\n", "line 1: column TEM appears twice"),
            (
                "station,time,TEMP\n",
                "line 1: column 3: unknown element code \"TEMP\" (known: TEM, RHU, PRE_1h, PRE, \
                 PRS, WIN_S_Avg_2mi, WIN_D_Avg_2mi, WIN_S_Inst_Max, GST, VIS, DPT, PRS_Sea, \
                 PRE_6h, PRE_24h, SVWC_10cm, GST_10cm, LEAF_WET, TEM_In, RHU_In, CO2)",
            ),
            (
                &format!("{head}{row}58819,2025-06-17 09:00,abc,88\n"),
                "line 3: column TEM: \"abc\" is not a number (empty, NA or 9999 mark a missing value)",
            ),
            (
                &format!("{head}{row}58819,2025-06-17 09:00,25.1,101\n"),
                "line 3: station 58819: RHU: 101 is outside the physical range 0..=100 %",
            ),
            (
                &format!("{head}{row}58819,2025-06-17 09:00,25.1\n"),
                "line 3: 3 cells, but the header has 4 columns",
            ),
            (
                &format!("{head}5881,2025-06-17 09:00,25.1,80\n"),
                "line 2: column station: station id must be 5–8 ASCII letters or digits, got \"5881\"",
            ),
            (
                &format!("{head}58819,2025-06-17T09:00:00,25.1,80\n"),
                "line 2: column time: \"2025-06-17T09:00:00\" is neither RFC 3339 with an offset \
                 (2025-06-17T08:00:00+08:00) nor Beijing time as YYYY-MM-DD HH:MM[:SS]",
            ),
            (
                &format!("{head}{row}58819,2025-06-17T00:00:00Z,25.1,80\n"),
                "line 3: station 58819 at 2025-06-17T00:00:00Z already appeared on line 2",
            ),
            (
                &format!("{head}58819,2025-06-17 08:00,NaN,80\n"),
                "line 2: column TEM: \"NaN\" is not a number (empty, NA or 9999 mark a missing value)",
            ),
        ];
        for (text, expected) in cases {
            let error = read(text).unwrap_err();
            assert_eq!(error.to_string(), expected, "{text}");
        }
    }
}
