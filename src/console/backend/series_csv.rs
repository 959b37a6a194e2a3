//! Series as CSV for a spreadsheet, in the same dress as the audit export: UTF-8 with a
//! byte-order mark, bilingual headings, Beijing times with their offset. One row per value
//! (station, element, time, value, unit, source, the QC tests it failed), or, for a view too
//! long to list value by value, one row per bucket with its count, extremes and their times.

use crate::console::messages::table::{Cell, Table};
use crate::domain::history::{Bucket, Sample};
use crate::domain::{Element, Source, StationId, Timestamp};

/// Headings of a file of values.
pub const VALUE_HEADINGS: [&str; 7] = [
    "站号 station",
    "要素 element",
    "时间（北京时） time (UTC+8)",
    "值 value",
    "单位 unit",
    "来源 source",
    "质控 QC",
];

/// Headings of a file of buckets.
pub const BUCKET_HEADINGS: [&str; 13] = [
    "站号 station",
    "要素 element",
    "起（不含） after (UTC+8)",
    "止（含） until (UTC+8)",
    "单位 unit",
    "个数 count",
    "最小 min",
    "最小时间 min at",
    "平均 mean",
    "最大 max",
    "最大时间 max at",
    "合计 sum",
    "质控标记数 flagged",
];

/// One series' part of a file.
#[derive(Debug, Clone, Copy)]
pub enum SeriesRows<'a> {
    /// Every value.
    Values(&'a [Sample]),
    /// Buckets of a long view.
    Buckets(&'a [Bucket]),
}

/// `2026-11-27T18:00:00+08:00`.
fn beijing(t: Timestamp) -> String {
    t.beijing().format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn source_code(source: Source) -> &'static str {
    match source {
        Source::Live => "live",
        Source::Backfilled => "backfilled",
        Source::Imported => "imported",
        Source::Manual => "manual",
    }
}

/// The file's bytes: all series of one kind (values, or buckets) one after the other. The
/// headings are those of the first series' kind; a mix is written as buckets only.
pub fn series_csv(series: &[(StationId, Element, SeriesRows<'_>)]) -> Result<Vec<u8>, csv::Error> {
    super::table_file::tables_csv(&[series_table(series)])
}

/// The series as one table, values or buckets (see [`series_csv`]).
pub fn series_table(series: &[(StationId, Element, SeriesRows<'_>)]) -> Table {
    let values = series
        .iter()
        .all(|(_, _, rows)| matches!(rows, SeriesRows::Values(_)));
    let headings: &[&str] = if values {
        &VALUE_HEADINGS
    } else {
        &BUCKET_HEADINGS
    };
    let mut rows = Vec::new();
    for (station, element, series_rows) in series {
        let text = |s: &str| Cell::text(s);
        match series_rows {
            SeriesRows::Values(samples) if values => {
                for s in *samples {
                    rows.push(vec![
                        text(station.as_str()),
                        text(element.code()),
                        Cell::Text(beijing(s.time)),
                        Cell::number(Some(s.value), element.decimals()),
                        text(element.unit()),
                        text(source_code(s.source)),
                        Cell::Text(s.qc.to_string()),
                    ]);
                }
            }
            SeriesRows::Values(_) => {}
            SeriesRows::Buckets(buckets) => {
                for b in *buckets {
                    let a = &b.values.all;
                    let fixed = |v: f64| Cell::number(Some(v), element.decimals() + 1);
                    rows.push(vec![
                        text(station.as_str()),
                        text(element.code()),
                        Cell::Text(beijing(b.start)),
                        Cell::Text(beijing(b.end)),
                        text(element.unit()),
                        Cell::number(Some(f64::from(a.count)), 0),
                        fixed(a.min),
                        Cell::Text(beijing(a.min_at)),
                        fixed(a.mean()),
                        fixed(a.max),
                        Cell::Text(beijing(a.max_at)),
                        fixed(a.sum),
                        Cell::number(Some(f64::from(b.values.flagged())), 0),
                    ]);
                }
            }
        }
    }
    Table {
        title: if values {
            "数值 values"
        } else {
            "分段统计 buckets"
        }
        .to_owned(),
        headings: headings.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

/// An export's file name: `wxdesk-58819-TEM-20261127-180000.csv`, Beijing time; characters a
/// file system may refuse are replaced.
pub fn file_name(name: &str, now: Timestamp, extension: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "wxdesk-{safe}-{}.{extension}",
        now.beijing().format("%Y%m%d-%H%M%S")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::{Pyramid, plan};
    use crate::domain::qc::{QcFlags, QcTest};
    use crate::domain::time::{DAY_MS, MINUTE_MS};

    const T: Timestamp = Timestamp(1_795_773_600_000); // 2026-11-27T10:00:00Z

    fn station() -> StationId {
        StationId::parse("58819").unwrap()
    }

    #[test]
    fn values_carry_provenance_and_qc_in_beijing_time() {
        let samples = [
            Sample::live(T, 12.34),
            Sample {
                source: Source::Backfilled,
                qc: QcFlags::PASSED.with(QcTest::Step).with(QcTest::Spatial),
                ..Sample::live(T.plus_ms(MINUTE_MS), 19.0)
            },
        ];
        let bytes = series_csv(&[(station(), Element::Tem, SeriesRows::Values(&samples))]).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), VALUE_HEADINGS.len());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][2], "2026-11-27T18:00:00+08:00");
        assert_eq!(&rows[0][3], "12.3");
        assert_eq!(&rows[1][5], "backfilled");
        assert_eq!(&rows[1][6], "step,spatial");
    }

    #[test]
    fn buckets_summarise_long_views() {
        let samples: Vec<Sample> = (1..=2 * 1440)
            .map(|m| Sample::live(T.plus_ms(m * MINUTE_MS), (m % 100) as f64))
            .collect();
        let view = Pyramid::build(samples).view(&plan(T, T.plus_ms(2 * DAY_MS), 48));
        let bytes =
            series_csv(&[(station(), Element::Rhu, SeriesRows::Buckets(&view.buckets))]).unwrap();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), BUCKET_HEADINGS.len());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), view.buckets.len());
        assert_eq!(&rows[0][5], "60");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_name("58819 TEM/raw", T, "csv"),
            "wxdesk-58819_TEM_raw-20261127-180000.csv"
        );
    }
}
