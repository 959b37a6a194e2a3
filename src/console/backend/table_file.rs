//! Tables written as files: CSV (UTF-8 with a byte-order mark so Excel shows the Chinese, RFC
//! 4180 quoting) and Excel workbooks ([`super::xlsx`]). A CSV of one table is plain; of several,
//! each table is its title on a line of its own, its headings and its rows, then a blank line.

use crate::console::messages::table::{ExportFormat, Table};

/// The file's bytes in `format`.
pub fn table_file(tables: &[Table], format: ExportFormat) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Csv => tables_csv(tables).map_err(|e| format!("writing CSV: {e}")),
        ExportFormat::Xlsx => {
            super::xlsx::workbook(tables).map_err(|e| format!("writing Excel: {e}"))
        }
    }
}

/// The tables as CSV.
pub fn tables_csv(tables: &[Table]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let titled = tables.len() > 1;
    for (i, table) in tables.iter().enumerate() {
        if titled {
            if i > 0 {
                writer.write_record([""])?;
            }
            writer.write_record([table.title.as_str()])?;
        }
        writer.write_record(&table.headings)?;
        for row in &table.rows {
            writer.write_record(
                row.iter()
                    .map(crate::console::messages::table::Cell::written),
            )?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::messages::table::Cell;

    fn table(title: &str) -> Table {
        Table {
            title: title.into(),
            headings: vec!["时间".into(), "降水量 mm".into()],
            rows: vec![
                vec![Cell::text("2026-12-06 04:00"), Cell::number(Some(1.15), 1)],
                vec![Cell::text("a, \"b\""), Cell::number(None, 1)],
            ],
        }
    }

    #[test]
    fn one_table_is_plain_csv_and_several_are_titled_sections() {
        let one = tables_csv(&[table("逐时降水")]).unwrap();
        assert!(one.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(one[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "时间,降水量 mm\n2026-12-06 04:00,1.1\n\"a, \"\"b\"\"\",\n"
        );
        let two = tables_csv(&[table("甲"), table("乙")]).unwrap();
        let text = String::from_utf8(two[3..].to_vec()).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(rows[0], ["甲"]);
        assert_eq!(rows[1], ["时间", "降水量 mm"]);
        assert_eq!(rows[4], [""], "a blank line between tables");
        assert_eq!(rows[5], ["乙"]);
        assert_eq!(rows.len(), 9);
    }
}
