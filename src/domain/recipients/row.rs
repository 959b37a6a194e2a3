//! One line of a recipients spreadsheet (CSV or .xlsx) read into a [`RecipientDraft`], or the
//! list of what is wrong with it, in Chinese and English, for the import's line-numbered
//! report. Pure: the file formats are read elsewhere into rows of text.

use std::collections::HashMap;

use super::{
    Duty, Field, Group, MobileNumber, RecipientDraft, RecipientError, account, name, note, phone,
    village,
};
use crate::domain::network::{Township, TownshipCode};

/// The header names each field is recognised by (Chinese, then English/code).
const HEADERS: [(Field, &[&str]); 10] = [
    (Field::Name, &["姓名", "name"]),
    (Field::Township, &["乡镇", "township"]),
    (Field::Village, &["村", "村居", "village"]),
    (Field::Group, &["分组", "group"]),
    (Field::Duty, &["职责", "职务", "duty"]),
    (Field::Phone, &["手机", "手机号", "phone"]),
    (
        Field::WechatOpenid,
        &["微信openid", "openid", "wechat_openid"],
    ),
    (Field::Wecom, &["企业微信", "wecom"]),
    (Field::Active, &["启用", "active"]),
    (Field::Note, &["备注", "note"]),
];

/// Columns a file must have.
const REQUIRED: [Field; 4] = [Field::Name, Field::Township, Field::Group, Field::Duty];

/// Where each field's column is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(HashMap<Field, usize>);

/// What is wrong with one line (or the header). Carries no personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProblem {
    /// The header lacks a required column.
    MissingColumn(Field),
    /// A field's own rule.
    Invalid(RecipientError),
    /// Not `county`, a code or the name of one of the county's townships.
    UnknownTownship,
    /// Not a group code or name.
    UnknownGroup,
    /// Not a duty code or name.
    UnknownDuty,
    /// Not yes/no.
    BadActive,
    /// The same number on an earlier line of the file.
    DuplicatePhone {
        /// That line.
        first_line: usize,
    },
}

impl LineProblem {
    /// The field it is about, when there is one.
    pub const fn field(self) -> Option<Field> {
        match self {
            Self::MissingColumn(field) => Some(field),
            Self::Invalid(error) => error.field(),
            Self::UnknownTownship => Some(Field::Township),
            Self::UnknownGroup => Some(Field::Group),
            Self::UnknownDuty => Some(Field::Duty),
            Self::BadActive => Some(Field::Active),
            Self::DuplicatePhone { .. } => Some(Field::Phone),
        }
    }

    /// What is wrong, in Chinese.
    pub fn zh(self) -> String {
        use super::PhoneError as P;
        match self {
            Self::MissingColumn(field) => format!("缺少列：{}", HEADERS[field as usize].1[0]),
            Self::Invalid(RecipientError::BadName) => "姓名须为 1–32 个字符".into(),
            Self::Invalid(RecipientError::BadVillage) => "村名最多 32 个字符".into(),
            Self::Invalid(RecipientError::BadNote) => "备注最多 200 个字符".into(),
            Self::Invalid(RecipientError::BadAccount(_)) => {
                "账号只能含字母、数字、_ - . @，最多 64 个".into()
            }
            Self::Invalid(RecipientError::Phone(P::Landline)) => "是固定电话，不是手机号".into(),
            Self::Invalid(RecipientError::Phone(P::WrongLength(n))) => {
                format!("手机号应为 11 位，此处为 {n} 位")
            }
            Self::Invalid(RecipientError::Phone(P::NotMainlandMobile)) => {
                "不是大陆手机号（应以 13–19 开头）".into()
            }
            Self::Invalid(RecipientError::Phone(_)) => "手机号含有非数字字符".into(),
            Self::Invalid(RecipientError::NoChannel) => "至少要有手机、微信或企业微信之一".into(),
            Self::Invalid(RecipientError::GroupVsTownship) => {
                "分组与乡镇不符：乡镇分组须填乡镇，县级分组不填".into()
            }
            Self::UnknownTownship => "乡镇不是本县乡镇（填名称、统计代码或“县级”）".into(),
            Self::UnknownGroup => "未知分组".into(),
            Self::UnknownDuty => "未知职责".into(),
            Self::BadActive => "启用应为 是/否".into(),
            Self::DuplicatePhone { first_line } => format!("手机号与第 {first_line} 行重复"),
        }
    }

    /// What is wrong, in English.
    pub fn en(self) -> String {
        match self {
            Self::MissingColumn(field) => format!(
                "missing column: {}",
                HEADERS[field as usize]
                    .1
                    .last()
                    .copied()
                    .unwrap_or_default()
            ),
            Self::Invalid(error) => error.to_string(),
            Self::UnknownTownship => {
                "not one of the county's townships (give its name, NBS code or county)".into()
            }
            Self::UnknownGroup => "unknown group".into(),
            Self::UnknownDuty => "unknown duty".into(),
            Self::BadActive => "active must be yes or no".into(),
            Self::DuplicatePhone { first_line } => {
                format!("the same phone as line {first_line}")
            }
        }
    }
}

fn normalise_header(text: &str) -> String {
    text.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace(' ', "")
}

impl Columns {
    /// Finds the columns in a header row; every missing required column is named.
    pub fn from_header(header: &[String]) -> Result<Self, Vec<LineProblem>> {
        let mut map = HashMap::new();
        for (index, cell) in header.iter().enumerate() {
            let cell = normalise_header(cell);
            if let Some((field, _)) = HEADERS.iter().find(|(_, names)| names.contains(&&*cell)) {
                map.entry(*field).or_insert(index);
            }
        }
        let missing: Vec<_> = REQUIRED
            .into_iter()
            .filter(|f| !map.contains_key(f))
            .map(LineProblem::MissingColumn)
            .collect();
        if missing.is_empty() {
            Ok(Self(map))
        } else {
            Err(missing)
        }
    }

    fn cell<'a>(&self, row: &'a [String], field: Field) -> &'a str {
        self.0
            .get(&field)
            .and_then(|&i| row.get(i))
            .map_or("", String::as_str)
    }
}

/// Reads a township by `county`, NBS code or name (龙津镇 or 龙津), among `townships`.
pub fn resolve_township(text: &str, townships: &[Township]) -> Option<Option<TownshipCode>> {
    let known = |code: TownshipCode| townships.iter().any(|t| t.code == code);
    match super::parse_township(text) {
        Some(None) => Some(None),
        Some(Some(code)) => known(code).then_some(Some(code)),
        None => {
            let text = text.trim();
            townships
                .iter()
                .find(|t| t.name == text || t.short_name() == text)
                .map(|t| Some(t.code))
        }
    }
}

fn active(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "是" | "yes" | "y" | "true" | "1" => Some(true),
        "否" | "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Collects every problem of a line rather than stopping at the first.
struct Problems(Vec<LineProblem>);

impl Problems {
    fn take<T>(&mut self, result: Result<T, LineProblem>) -> Option<T> {
        result.map_err(|p| self.0.push(p)).ok()
    }
}

/// Reads one data row into a draft, or every problem it has.
pub fn read_row(
    columns: &Columns,
    row: &[String],
    townships: &[Township],
) -> Result<RecipientDraft, Vec<LineProblem>> {
    let cell = |field| columns.cell(row, field);
    let mut p = Problems(Vec::new());
    let name = p.take(name(cell(Field::Name)).map_err(LineProblem::Invalid));
    let township = p.take(
        resolve_township(cell(Field::Township), townships).ok_or(LineProblem::UnknownTownship),
    );
    let village = p.take(village(cell(Field::Village)).map_err(LineProblem::Invalid));
    let group = p.take(Group::parse(cell(Field::Group)).ok_or(LineProblem::UnknownGroup));
    let duty = p.take(Duty::parse(cell(Field::Duty)).ok_or(LineProblem::UnknownDuty));
    let phone = p.take(phone(cell(Field::Phone)).map_err(LineProblem::Invalid));
    let wechat_openid = p.take(
        account(cell(Field::WechatOpenid).trim(), Field::WechatOpenid)
            .map_err(LineProblem::Invalid),
    );
    let wecom =
        p.take(account(cell(Field::Wecom).trim(), Field::Wecom).map_err(LineProblem::Invalid));
    let active = p.take(active(cell(Field::Active)).ok_or(LineProblem::BadActive));
    let note = p.take(note(cell(Field::Note)).map_err(LineProblem::Invalid));
    let (
        Some(name),
        Some(township),
        Some(village),
        Some(group),
        Some(duty),
        Some(phone),
        Some(wechat_openid),
        Some(wecom),
        Some(active),
        Some(note),
    ) = (
        name,
        township,
        village,
        group,
        duty,
        phone,
        wechat_openid,
        wecom,
        active,
        note,
    )
    else {
        return Err(p.0);
    };
    let draft = RecipientDraft {
        name,
        township,
        village,
        group,
        duty,
        phone,
        wechat_openid,
        wecom,
        active,
        note,
    };
    draft.check().map_err(|e| vec![LineProblem::Invalid(e)])?;
    Ok(draft)
}

/// Remembers the first line of each number, to flag a repeat within one file.
#[derive(Debug, Default)]
pub struct SeenPhones(HashMap<MobileNumber, usize>);

impl SeenPhones {
    /// `Err` with the earlier line when `phone` was already on one; records `line` otherwise.
    pub fn check(&mut self, phone: Option<&MobileNumber>, line: usize) -> Result<(), LineProblem> {
        let Some(phone) = phone else { return Ok(()) };
        match self.0.get(phone) {
            Some(&first_line) => Err(LineProblem::DuplicatePhone { first_line }),
            None => {
                self.0.insert(phone.clone(), line);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geo::LatLon;
    use crate::domain::network::TownshipLevel;

    fn townships() -> Vec<Township> {
        [(350_423_100, "龙津镇"), (350_423_101, "嵩溪镇")]
            .into_iter()
            .map(|(code, name)| Township {
                code: TownshipCode(code),
                name: name.into(),
                level: TownshipLevel::Town,
                seat: LatLon::new(26.17, 116.81),
                seat_verified: true,
            })
            .collect()
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|&c| c.to_owned()).collect()
    }

    #[test]
    fn header_in_either_language() {
        let zh = Columns::from_header(&strings(&["\u{feff}姓名", "乡镇", "分组", "职责", "手机"]));
        assert!(zh.is_ok());
        let en = Columns::from_header(&strings(&["Name", "Township", "Group", "Duty"]));
        assert!(en.is_ok());
        assert_eq!(
            Columns::from_header(&strings(&["姓名", "手机"])),
            Err(vec![
                LineProblem::MissingColumn(Field::Township),
                LineProblem::MissingColumn(Field::Group),
                LineProblem::MissingColumn(Field::Duty),
            ])
        );
        assert_eq!(LineProblem::MissingColumn(Field::Duty).zh(), "缺少列：职责");
        assert_eq!(
            LineProblem::MissingColumn(Field::Duty).en(),
            "missing column: duty"
        );
    }

    #[test]
    fn rows_are_read_or_every_problem_named() {
        let columns =
            Columns::from_header(&strings(&["姓名", "乡镇", "分组", "职责", "手机", "启用"]))
                .unwrap();
        let t = townships();
        let ok = read_row(
            &columns,
            &strings(&[
                "王五",
                "龙津",
                "气象信息员",
                "informant",
                "138 0000 0002",
                "",
            ]),
            &t,
        )
        .unwrap();
        assert_eq!(ok.township, Some(TownshipCode(350_423_100)));
        assert!(ok.active);
        let cases: [(&[&str], Vec<LineProblem>); 4] = [
            (
                &["", "火星镇", "村干部", "x", "0598-5322123", "maybe"],
                vec![
                    LineProblem::Invalid(RecipientError::BadName),
                    LineProblem::UnknownTownship,
                    LineProblem::UnknownGroup,
                    LineProblem::UnknownDuty,
                    LineProblem::Invalid(RecipientError::Phone(super::super::PhoneError::Landline)),
                    LineProblem::BadActive,
                ],
            ),
            (
                &[
                    "赵六",
                    "350423999",
                    "informants",
                    "informant",
                    "13800000003",
                    "是",
                ],
                vec![LineProblem::UnknownTownship],
            ),
            (
                &["赵六", "嵩溪镇", "informants", "informant", "", "否"],
                vec![LineProblem::Invalid(RecipientError::NoChannel)],
            ),
            // A short row: the missing cells are empty.
            (
                &["赵六", "县级"],
                vec![LineProblem::UnknownGroup, LineProblem::UnknownDuty],
            ),
        ];
        for (row, expected) in cases {
            assert_eq!(
                read_row(&columns, &strings(row), &t),
                Err(expected),
                "{row:?}"
            );
        }
    }

    #[test]
    fn repeated_numbers_name_the_first_line() {
        let mut seen = SeenPhones::default();
        let a = MobileNumber::parse("13800000001").unwrap();
        assert_eq!(seen.check(Some(&a), 2), Ok(()));
        assert_eq!(seen.check(None, 3), Ok(()));
        assert_eq!(
            seen.check(Some(&a), 4),
            Err(LineProblem::DuplicatePhone { first_line: 2 })
        );
        assert_eq!(
            LineProblem::DuplicatePhone { first_line: 2 }.zh(),
            "手机号与第 2 行重复"
        );
    }
}
