//! A recipients file (CSV, UTF-8 or GBK; or the first sheet of an .xlsx) read into rows of
//! text with their line numbers, then each row into a draft or its problems
//! ([`crate::domain::recipients::row`]). Nothing is stored here.

use std::io::Cursor;

use calamine::{Data, Reader as _, Xlsx};

use crate::domain::Township;
use crate::domain::recipients::RecipientDraft;
use crate::domain::recipients::row::{Columns, LineProblem, SeenPhones, read_row};

/// The two formats a recipients file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated text.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl Format {
    /// From the request's `Content-Type` (parameters such as `charset` ignored).
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "text/csv" => Some(Self::Csv),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// `csv` or `xlsx`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// A row of text and its 1-based line (CSV line, or spreadsheet row).
pub type Row = (usize, Vec<String>);

/// UTF-8 (a BOM dropped), or GBK as Chinese Excel saves CSV.
fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GBK.decode(bytes).0.into_owned(),
    }
}

/// The rows of a CSV file, each with the line it starts on.
pub fn csv_rows(bytes: &[u8]) -> Result<Vec<Row>, String> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // Lines counted from the record's byte offset: a quoted line break is a line too.
    let (mut counted_to, mut line) = (0, 1);
    for record in reader.records() {
        // The csv crate's error names a position, never a cell's content.
        let record = record.map_err(|e| e.to_string())?;
        let mut at = record.position().map_or(counted_to, |p| p.byte() as usize);
        // The position is where reading began, before any blank lines the reader skipped.
        while matches!(text.as_bytes().get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        line += text.as_bytes()[counted_to..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = at;
        rows.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(rows)
}

/// A cell as text: whole numbers without `.0` (a phone typed as a number).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Data::Float(x) => x.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        other => other.to_string(),
    }
}

/// The rows of an .xlsx file's first sheet, each with its row number.
pub fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Row>, String> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("not an .xlsx file ({e})"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("the first sheet cannot be read ({e})"))?;
    let first = range.start().map_or(0, |(row, _)| row as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first + i + 1, cells.iter().map(cell_text).collect()))
        .collect())
}

/// The rows of a file of `format`.
pub fn rows(format: Format, bytes: &[u8]) -> Result<Vec<Row>, String> {
    match format {
        Format::Csv => csv_rows(bytes),
        Format::Xlsx => xlsx_rows(bytes),
    }
}

/// What the rows hold: the drafts of valid lines and every problem, by line.
#[derive(Debug, Default)]
pub struct Checked {
    /// Data lines read.
    pub lines: usize,
    /// Valid lines.
    pub drafts: Vec<(usize, RecipientDraft)>,
    /// Problems, by line.
    pub problems: Vec<(usize, LineProblem)>,
}

fn is_blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

/// Reads the header and every data row; blank rows are skipped.
pub fn check(rows: &[Row], townships: &[Township]) -> Checked {
    let mut checked = Checked::default();
    let mut rows = rows.iter().filter(|(_, cells)| !is_blank(cells));
    let Some((header_line, header)) = rows.next() else {
        return checked;
    };
    let columns = match Columns::from_header(header) {
        Ok(columns) => columns,
        Err(missing) => {
            checked.problems = missing.into_iter().map(|p| (*header_line, p)).collect();
            return checked;
        }
    };
    let mut seen = SeenPhones::default();
    for (line, cells) in rows {
        checked.lines += 1;
        let result = read_row(&columns, cells, townships).and_then(|d| {
            seen.check(d.phone.as_ref(), *line)
                .map(|()| d)
                .map_err(|p| vec![p])
        });
        match result {
            Ok(draft) => checked.drafts.push((*line, draft)),
            Err(problems) => checked
                .problems
                .extend(problems.into_iter().map(|p| (*line, p))),
        }
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let cases = [
            ("text/csv", Some(Format::Csv)),
            ("text/csv; charset=utf-8", Some(Format::Csv)),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Some(Format::Xlsx),
            ),
            ("application/json", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Format::from_content_type(text), expected, "{text}");
        }
    }

    #[test]
    fn csv_lines_are_numbered_from_one_and_gbk_is_read() {
        let rows =
            csv_rows("\u{feff}姓名,乡镇\n张三,\"龙津\n镇\"\n\n李四,县级\n".as_bytes()).unwrap();
        let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 2, 5]);
        assert_eq!(rows[0].1[0], "姓名");
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,乡镇\n王五,县级\n");
        assert_eq!(csv_rows(&gbk).unwrap()[1].1, ["王五", "县级"]);
    }

    #[test]
    fn numbers_in_cells_read_as_digits() {
        assert_eq!(cell_text(&Data::Float(13_800_000_001.0)), "13800000001");
        assert_eq!(cell_text(&Data::Int(350_423_100)), "350423100");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
        assert_eq!(cell_text(&Data::Empty), "");
    }
}
