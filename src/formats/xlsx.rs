//! A minimal Excel workbook writer (Office Open XML, `SpreadsheetML`), enough for tables: one
//! sheet per table, a bold heading row, numbers as numbers, text as inline strings. The parts
//! are stored uncompressed in a zip archive (the format allows it; Excel and WPS open it), so
//! the only outside piece is the CRC-32 every zip entry carries.
//!
//! Times are text in Beijing time, as on screen (the headings say so), rather than Excel date
//! serials, which carry no time zone.

use std::fmt::Write as _;

use super::sheet::{Cell, Table};
use crate::formats::xml::escape;

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    /// The archive would pass the 4 GiB a plain zip can address.
    #[error("the workbook is too large for a zip archive")]
    TooLarge,
    /// A table has more rows than a sheet holds.
    #[error(
        "{table}: {rows} rows are more than an Excel sheet holds ({MAX_ROWS}); export CSV or a shorter range"
    )]
    TooManyRows {
        /// The table's title.
        table: String,
        /// Its rows, the heading included.
        rows: usize,
    },
}

/// Rows an Excel sheet holds, the heading row included.
pub const MAX_ROWS: usize = 1_048_576;

/// The workbook's bytes: a sheet per table, named by its title.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    if let Some(table) = tables.iter().find(|t| t.rows.len() >= MAX_ROWS) {
        return Err(XlsxError::TooManyRows {
            table: table.title.clone(),
            rows: table.rows.len() + 1,
        });
    }
    let names = sheet_names(tables);
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            content_types(tables.len()).into_bytes(),
        ),
        ("_rels/.rels".into(), ROOT_RELS.as_bytes().to_vec()),
        ("xl/workbook.xml".into(), workbook_xml(&names).into_bytes()),
        (
            "xl/_rels/workbook.xml.rels".into(),
            workbook_rels(tables.len()).into_bytes(),
        ),
        ("xl/styles.xml".into(), STYLES.as_bytes().to_vec()),
    ];
    for (i, table) in tables.iter().enumerate() {
        parts.push((
            format!("xl/worksheets/sheet{}.xml", i + 1),
            sheet_xml(table).into_bytes(),
        ));
    }
    stored_zip(&parts)
}

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

/// Style 0 is plain; style 1 is bold (the heading row).
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#;

fn content_types(sheets: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    for i in 1..=sheets {
        let _ = write!(
            xml,
            r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
    }
    xml.push_str("</Types>");
    xml
}

fn workbook_xml(names: &[String]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            xml,
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            escape(name),
            n = i + 1
        );
    }
    xml.push_str("</sheets></workbook>");
    xml
}

fn workbook_rels(sheets: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for i in 1..=sheets {
        let _ = write!(
            xml,
            r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#
        );
    }
    let _ = write!(
        xml,
        r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
        sheets + 1
    );
    xml
}

/// Sheet names as Excel allows them: at most 31 characters, none of `[]:*?/\`, unique.
pub fn sheet_names(tables: &[Table]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let clean: String = table
            .title
            .chars()
            .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
            .take(31)
            .collect();
        let mut name = if clean.trim().is_empty() {
            format!("Sheet{}", i + 1)
        } else {
            clean
        };
        if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            let suffix = format!(" ({})", i + 1);
            name = name
                .chars()
                .take(31 - suffix.chars().count())
                .collect::<String>()
                + &suffix;
        }
        names.push(name);
    }
    names
}

fn sheet_xml(table: &Table) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    let headings: Vec<Cell> = table.headings.iter().map(Cell::text).collect();
    for (r, row) in std::iter::once(&headings).chain(&table.rows).enumerate() {
        let style = if r == 0 { r#" s="1""# } else { "" };
        let _ = write!(xml, r#"<row r="{}">"#, r + 1);
        for (c, cell) in row.iter().enumerate() {
            let at = format!("{}{}", column_name(c), r + 1);
            match cell {
                Cell::Text(text) => {
                    let _ = write!(
                        xml,
                        r#"<c r="{at}"{style} t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                        escape(text)
                    );
                }
                Cell::Number { .. } => {
                    let _ = write!(xml, r#"<c r="{at}"{style}><v>{}</v></c>"#, cell.written());
                }
                Cell::Empty => {}
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// `A`, `B`, … `Z`, `AA`, … for a zero-based column.
fn column_name(column: usize) -> String {
    let mut n = column + 1;
    let mut name = Vec::new();
    while n > 0 {
        let rest = (n - 1) % 26;
        name.push(b'A' + u8::try_from(rest).unwrap_or(0));
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// A zip archive of `parts`, stored (not compressed), as the ZIP application note describes.
fn stored_zip(parts: &[(String, Vec<u8>)]) -> Result<Vec<u8>, XlsxError> {
    let small = |n: usize| u32::try_from(n).map_err(|_| XlsxError::TooLarge);
    let count = u16::try_from(parts.len()).map_err(|_| XlsxError::TooLarge)?;
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, data) in parts {
        let offset = small(out.len())?;
        let crc = crc32fast::hash(data);
        let size = small(data.len())?;
        let name_len = u16::try_from(name.len()).map_err(|_| XlsxError::TooLarge)?;
        // Version 2.0, UTF-8 names (flag bit 11), stored, no time stamp (1980-01-01).
        let common = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(&20u16.to_le_bytes());
            buf.extend_from_slice(&0x0800u16.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes());
            buf.extend_from_slice(&0x0021u16.to_le_bytes());
            buf.extend_from_slice(&crc.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes());
            buf.extend_from_slice(&name_len.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        directory.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        directory.extend_from_slice(&20u16.to_le_bytes());
        common(&mut directory);
        // Comment length, disk, internal and external attributes, the entry's offset.
        directory.extend_from_slice(&0u16.to_le_bytes());
        directory.extend_from_slice(&0u16.to_le_bytes());
        directory.extend_from_slice(&0u16.to_le_bytes());
        directory.extend_from_slice(&0u32.to_le_bytes());
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name.as_bytes());
    }
    let directory_at = small(out.len())?;
    let directory_size = small(directory.len())?;
    out.extend_from_slice(&directory);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&directory_size.to_le_bytes());
    out.extend_from_slice(&directory_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    small(out.len())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader as _, Xlsx};

    #[test]
    fn a_workbook_reads_back_with_numbers_as_numbers() {
        let tables = [
            Table {
                title: "逐时降水".into(),
                headings: vec!["时段止（北京时）".into(), "降水量 mm".into()],
                rows: vec![
                    vec![Cell::text("2026-12-06 04:00"), Cell::number(Some(1.2), 1)],
                    vec![Cell::text("<&\"x\">"), Cell::number(None, 1)],
                ],
            },
            Table {
                title: "a/b:c [d]".into(),
                headings: vec!["x".into()],
                rows: vec![vec![Cell::number(Some(3.0), 0)]],
            },
        ];
        let bytes = workbook(&tables).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["逐时降水", "a_b_c _d_"]);
        let sheet = book.worksheet_range("逐时降水").unwrap();
        let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(rows[0][0], Data::String("时段止（北京时）".into()));
        assert_eq!(rows[1][1], Data::Float(1.2));
        assert_eq!(rows[2][0], Data::String("<&\"x\">".into()));
        assert_eq!(rows[2].get(1).cloned().unwrap_or(Data::Empty), Data::Empty);
    }

    #[test]
    fn a_table_longer_than_a_sheet_is_refused_with_the_reason() {
        let long = Table {
            title: "数值 values".into(),
            headings: vec!["x".into()],
            rows: vec![vec![Cell::Empty]; MAX_ROWS],
        };
        let error = workbook(&[long]).unwrap_err().to_string();
        assert!(
            error.contains("1048577 rows") && error.contains("CSV"),
            "{error}"
        );
    }

    #[test]
    fn columns_are_named_as_excel_names_them() {
        let names: Vec<String> = [0, 25, 26, 27, 701, 702].map(column_name).into();
        assert_eq!(names, ["A", "Z", "AA", "AB", "ZZ", "AAA"]);
    }
}
