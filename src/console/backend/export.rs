//! The audit log as CSV for a spreadsheet: UTF-8 with a byte-order mark (so Excel shows the
//! Chinese), RFC 4180 quoting (the `csv` crate), times in Beijing time with their offset.

use crate::domain::Timestamp;
use crate::domain::audit::{AuditAction, AuditEntry};

/// Column headings, Chinese and English together so the file reads in either.
pub const HEADINGS: [&str; 10] = [
    "序号 seq",
    "时间（北京时） time (UTC+8)",
    "操作者 actor",
    "工作站 workstation",
    "操作 action",
    "操作名称 action name",
    "对象 target",
    "详情 details",
    "结果 outcome",
    "哈希 hash",
];

/// The file's bytes.
pub fn audit_csv(entries: &[AuditEntry]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(HEADINGS)?;
    for entry in entries {
        let r = &entry.record;
        let name = AuditAction::parse(&r.action).map_or(String::new(), |a| {
            format!("{} / {}", a.name_zh(), a.name_en())
        });
        writer.write_record([
            entry.seq.to_string().as_str(),
            &beijing(r.at),
            &r.actor,
            &r.workstation,
            &r.action,
            &name,
            &r.target,
            &r.details,
            &r.outcome,
            &entry.hash.to_hex(),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// `2026-11-27T18:00:00+08:00`.
fn beijing(t: Timestamp) -> String {
    t.beijing().format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The export's file name: `wxdesk-audit-20261127-180000.csv`, Beijing time.
pub fn file_name(now: Timestamp) -> String {
    format!("wxdesk-audit-{}.csv", now.beijing().format("%Y%m%d-%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::{AuditRecord, Outcome, chain};

    #[test]
    fn csv_has_a_bom_quotes_properly_and_keeps_chinese() {
        let record = AuditRecord {
            // Free text, as entries written before details were data hold.
            details: "said \"hello\"\nthen left".into(),
            ..AuditRecord::new(
                Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap(),
                "user:zhangwei",
                "值班台, 一号机",
                AuditAction::Login,
                Outcome::Ok,
            )
        };
        let entry = chain(None, record, None);
        let bytes = audit_csv(std::slice::from_ref(&entry)).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), HEADINGS.len());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "1");
        assert_eq!(&row[1], "2026-11-27T18:00:00+08:00");
        assert_eq!(&row[3], "值班台, 一号机");
        assert_eq!(&row[5], "登录 / Login");
        assert_eq!(&row[7], "said \"hello\"\nthen left");
        assert_eq!(&row[9], entry.hash.to_hex());
        assert!(text.contains("\"值班台, 一号机\""), "commas are quoted");
        assert_eq!(
            file_name(entry.record.at),
            "wxdesk-audit-20261127-180000.csv"
        );
    }
}
