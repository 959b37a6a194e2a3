//! The recipients routes' wire types. A number travels whole only to callers with
//! `manage_recipients`; others get it masked (`138****1234`) and no WeChat/WeCom ids.

use serde::{Deserialize, Serialize};

use crate::domain::recipients::{Duty, Field, Group};

/// A recipient as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientDto {
    /// The id.
    pub id: u64,
    /// Bumped by every change; `PUT` and `DELETE` name the version they read.
    pub version: u64,
    /// Full name.
    pub name: String,
    /// NBS code of the township, or `county`.
    pub township: String,
    /// The village, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    /// The group.
    pub group: Group,
    /// The duty for 叫应.
    pub duty: Duty,
    /// The mobile number: whole for `manage_recipients`, else masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// WeChat openid (only for `manage_recipients`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_openid: Option<String>,
    /// WeCom user id (only for `manage_recipients`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wecom: Option<String>,
    /// The channels that reach this person: `sms`, `wechat`, `wecom`.
    pub channels: Vec<String>,
    /// Whether warnings go to this person now.
    pub active: bool,
    /// A free note.
    pub note: String,
}

/// `POST /recipients` and `PUT /recipients/{id}` body. Its `Debug` shows no personal data:
/// the name, the village, the note are left out, the number and accounts shown as given or not.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientInput {
    /// For `PUT`: the version read (the change is refused if someone changed it since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Full name.
    pub name: String,
    /// NBS code of the township, or `county`.
    pub township: String,
    /// The village.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    /// The group.
    pub group: Group,
    /// The duty.
    pub duty: Duty,
    /// A mainland mobile number, as people write it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// WeChat openid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_openid: Option<String>,
    /// WeCom user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wecom: Option<String>,
    /// Whether warnings go to this person now (default yes).
    #[serde(default = "yes")]
    pub active: bool,
    /// A free note.
    #[serde(default)]
    pub note: String,
}

impl std::fmt::Debug for RecipientInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |v: &Option<String>| if v.is_some() { "***" } else { "none" };
        f.debug_struct("RecipientInput")
            .field("version", &self.version)
            .field("township", &self.township)
            .field("group", &self.group)
            .field("duty", &self.duty)
            .field("phone", &given(&self.phone))
            .field("wechat_openid", &given(&self.wechat_openid))
            .field("wecom", &given(&self.wecom))
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

const fn yes() -> bool {
    true
}

/// `GET /recipients` query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecipientQuery {
    /// A township's NBS code, or `county`.
    #[serde(default)]
    pub township: Option<String>,
    /// A group code.
    #[serde(default)]
    pub group: Option<Group>,
    /// A duty code.
    #[serde(default)]
    pub duty: Option<Duty>,
    /// Part of the name.
    #[serde(default)]
    pub name: Option<String>,
    /// Recipients to skip (default 0).
    #[serde(default)]
    pub offset: Option<u64>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<u64>,
}

/// `GET /recipients` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientList {
    /// The page, by id.
    pub recipients: Vec<RecipientDto>,
    /// Matching recipients in all.
    pub total: u64,
    /// The page's offset.
    pub offset: u64,
    /// The page's size.
    pub limit: u64,
    /// Whether numbers are `whole` or `masked` for this caller.
    pub numbers: String,
}

/// `DELETE /recipients/{id}` query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecipientDeleteQuery {
    /// The version read.
    pub version: u64,
}

/// One township (or the county) × group of `GET /recipients/counts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientCount {
    /// NBS code, or `county`.
    pub township: String,
    /// The group.
    pub group: Group,
    /// Active recipients.
    pub active: u64,
    /// Inactive recipients.
    pub inactive: u64,
    /// Distinct villages the active ones cover.
    pub villages: u64,
}

/// `GET /recipients/counts` response: counts only, no names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientCounts {
    /// Township × group, the county first.
    pub counts: Vec<RecipientCount>,
}

/// `POST /recipients/import` query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecipientImportQuery {
    /// Check and report only; store nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Store nothing if any line is refused.
    #[serde(default)]
    pub all_or_nothing: bool,
}

/// What is wrong with one line of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProblemDto {
    /// The file's line (CSV) or row (xlsx), 1-based, the header being line 1.
    pub line: usize,
    /// The field, when the problem is one field's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// What is wrong, in Chinese.
    pub zh: String,
    /// What is wrong, in English.
    pub en: String,
}

/// A line stored (or, on a dry run, that would be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedLineDto {
    /// The line.
    pub line: usize,
    /// The new recipient's id (absent when nothing was committed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}

/// `POST /recipients/import` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientImportReport {
    /// `csv` or `xlsx`.
    pub format: String,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Whether any refusal meant nothing was stored.
    pub all_or_nothing: bool,
    /// Whether the valid lines were stored.
    pub committed: bool,
    /// Data lines read (the header apart).
    pub lines: usize,
    /// The lines stored, or that would be.
    pub imported: Vec<ImportedLineDto>,
    /// Every problem, by line.
    pub problems: Vec<LineProblemDto>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inputs_debug_shows_no_personal_data() {
        let input = RecipientInput {
            version: Some(2),
            name: "林建国".into(),
            township: "350423100".into(),
            village: Some("城关村".into()),
            group: Group::TownshipLeaders,
            duty: Duty::Head,
            phone: Some("13812341234".into()),
            wechat_openid: Some("oAbC-12_xyz".into()),
            wecom: None,
            active: true,
            note: "家属 13900001111".into(),
        };
        let debug = format!("{input:?}");
        for secret in [
            "林建国",
            "城关村",
            "13812341234",
            "oAbC-12_xyz",
            "13900001111",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(
            debug.contains("phone: \"***\"") && debug.contains("wecom: \"none\""),
            "{debug}"
        );
    }
}
