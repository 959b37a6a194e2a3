//! The people warnings go to (预警接收人): township leaders, village weather informants
//! (气象信息员), tea enterprises and cooperatives, the bureau's own staff, and county-level
//! people; each with a duty for 叫应 (who is called on an active warning) and the channels that
//! reach them.
//!
//! Names and numbers are personal data. [`Recipient`]'s `Debug` leaves out the name and the
//! WeChat ids and prints the number masked ([`MobileNumber`]); the number is shown whole only
//! to callers with `ManageRecipients` (or later, audited, on a warning's call list).

pub mod phone;
pub mod row;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use phone::{MobileNumber, PhoneError};

use super::network::TownshipCode;

macro_rules! coded {
    ($(#[doc = $doc:literal])* $name:ident {
        $($(#[doc = $vdoc:literal])* $variant:ident = $code:literal, $zh:literal, $en:literal;)*
    }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// Stable machine code, as the API and the database write it.
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)* }
            }

            /// The name in Chinese.
            pub const fn name_zh(self) -> &'static str {
                match self { $(Self::$variant => $zh,)* }
            }

            /// The name in English.
            pub const fn name_en(self) -> &'static str {
                match self { $(Self::$variant => $en,)* }
            }

            /// Reads a code, or the Chinese or English name (as a spreadsheet may hold it).
            pub fn parse(text: &str) -> Option<Self> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| {
                    v.code() == text || v.name_zh() == text || v.name_en().eq_ignore_ascii_case(text)
                })
            }
        }
    };
}

coded! {
    /// The group a recipient belongs to: what the composer picks per township or county-wide.
    Group {
        /// 乡镇领导: party secretary, head, emergency and flood-control officers.
        TownshipLeaders = "township_leaders", "乡镇领导", "Township leaders";
        /// 气象信息员: the village weather informants.
        Informants = "informants", "气象信息员", "Weather informants";
        /// 茶企与合作社: tea enterprises, cooperatives and large growers.
        TeaEnterprises = "tea_enterprises", "茶企与合作社", "Tea enterprises";
        /// 局内职工: the bureau's own staff.
        BureauStaff = "bureau_staff", "局内职工", "Bureau staff";
        /// 县级: county-level leaders and departments.
        County = "county", "县级", "County";
    }
}

/// The composer's county-wide group (a warning's `recipient_groups` entry).
pub const COUNTY_GROUP: &str = "county:all";

/// The composer's id of the group `group` of `township` (`town:350423100:leaders`), or
/// [`COUNTY_GROUP`] for the county's people: how a warning names whom it is for.
pub fn composition_group(township: &str, group: Group) -> String {
    match group.composer_kind() {
        Some(kind) => format!("town:{township}:{kind}"),
        None => COUNTY_GROUP.to_owned(),
    }
}

impl Group {
    /// The composer's name of the group kind chosen per township (`town:{code}:{kind}`);
    /// `None` for the county's people (the composer's `county:all`).
    pub const fn composer_kind(self) -> Option<&'static str> {
        match self {
            Self::TownshipLeaders => Some("leaders"),
            Self::Informants => Some("informants"),
            Self::TeaEnterprises => Some("tea"),
            Self::BureauStaff => Some("staff"),
            Self::County => None,
        }
    }
}

coded! {
    /// What a recipient is called on for in 叫应: the call list draws on it with the township.
    Duty {
        /// 党委书记
        PartySecretary = "party_secretary", "党委书记", "Party secretary";
        /// 乡镇长 (or county head for county-level people)
        Head = "head", "乡镇长", "Head of government";
        /// 应急管理
        EmergencyManagement = "emergency_management", "应急管理", "Emergency management";
        /// 防汛指挥
        FloodControl = "flood_control", "防汛指挥", "Flood-control command";
        /// 气象信息员
        Informant = "informant", "气象信息员", "Weather informant";
        /// 茶企/茶农
        TeaGrower = "tea_grower", "茶企茶农", "Tea grower or enterprise";
        /// 局职工
        BureauStaff = "bureau_staff", "局职工", "Bureau staff";
        /// 其他
        Other = "other", "其他", "Other";
    }
}

impl Duty {
    /// The duty's Chinese name for a person of a township, or of the county (`county`): the
    /// county's head is 县长 and its party secretary 县委书记, not a township's.
    pub const fn name_zh_at(self, county: bool) -> &'static str {
        match (self, county) {
            (Self::PartySecretary, true) => "县委书记",
            (Self::Head, true) => "县长",
            _ => self.name_zh(),
        }
    }
}

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 32;
/// Longest village name, in characters.
pub const MAX_VILLAGE_CHARS: usize = 32;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 200;
/// Longest WeChat openid or WeCom user id.
pub const MAX_ACCOUNT_CHARS: usize = 64;

/// A field of a recipient, as the import report and refusals name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// 姓名
    Name,
    /// 乡镇
    Township,
    /// 村
    Village,
    /// 分组
    Group,
    /// 职责
    Duty,
    /// 手机
    Phone,
    /// 微信 openid
    WechatOpenid,
    /// 企业微信
    Wecom,
    /// 启用
    Active,
    /// 备注
    Note,
}

/// Why a recipient as given cannot be kept. Carries no personal data: it may be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    /// The name is empty, too long or has control characters.
    #[error("the name must be 1–32 characters without control characters")]
    BadName,
    /// The village is too long or has control characters.
    #[error("the village must be at most 32 characters without control characters")]
    BadVillage,
    /// The note is too long or has control characters other than line breaks.
    #[error("the note must be at most 200 characters")]
    BadNote,
    /// A WeChat openid or WeCom user id that is not 1–64 of `A-Z a-z 0-9 _ - . @`.
    #[error("{0:?} must be 1–64 letters, digits, '_', '-', '.' or '@'")]
    BadAccount(Field),
    /// The number does not parse.
    #[error("phone: {0}")]
    Phone(PhoneError),
    /// No phone, no WeChat, no WeCom: nothing could reach this person.
    #[error("give at least one channel: a phone, a WeChat openid or a WeCom user id")]
    NoChannel,
    /// A township group without a township, or the county group with one.
    #[error("the group does not fit the township: township groups need one, the county group none")]
    GroupVsTownship,
}

impl RecipientError {
    /// The field the error is about, when there is one.
    pub const fn field(self) -> Option<Field> {
        match self {
            Self::BadName => Some(Field::Name),
            Self::BadVillage => Some(Field::Village),
            Self::BadNote => Some(Field::Note),
            Self::BadAccount(field) => Some(field),
            Self::Phone(_) => Some(Field::Phone),
            Self::GroupVsTownship => Some(Field::Township),
            Self::NoChannel => None,
        }
    }
}

/// A recipient as entered: everything but the id and version the store gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecipientDraft {
    /// Full name.
    pub name: String,
    /// The township (NBS code); `None` for county-level people.
    pub township: Option<TownshipCode>,
    /// The village (村), for informants; counted as "villages covered".
    pub village: Option<String>,
    /// The group the composer picks.
    pub group: Group,
    /// The duty for 叫应.
    pub duty: Duty,
    /// The mobile number for SMS and calls.
    pub phone: Option<MobileNumber>,
    /// WeChat official-account openid (template messages).
    pub wechat_openid: Option<String>,
    /// WeCom user id.
    pub wecom: Option<String>,
    /// Whether warnings go to this person now.
    pub active: bool,
    /// A free note (e.g. "汛期值守").
    pub note: String,
}

/// A stored recipient.
#[derive(Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The store's id.
    pub id: u64,
    /// What the person is.
    pub draft: RecipientDraft,
    /// Bumped by every change: an update names the version it read (optimistic concurrency).
    pub version: u64,
}

impl fmt::Debug for RecipientDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No name, village or WeChat ids; the number masked.
        f.debug_struct("RecipientDraft")
            .field("township", &self.township)
            .field("group", &self.group)
            .field("duty", &self.duty)
            .field("phone", &self.phone)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("draft", &self.draft)
            .finish()
    }
}

fn has_control(text: &str, allow_newlines: bool) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
}

/// A name trimmed and checked.
pub fn name(text: &str) -> Result<String, RecipientError> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || has_control(text, false) {
        return Err(RecipientError::BadName);
    }
    Ok(text.to_owned())
}

/// An optional village trimmed and checked; empty is none.
pub fn village(text: &str) -> Result<Option<String>, RecipientError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_VILLAGE_CHARS || has_control(text, false) {
        return Err(RecipientError::BadVillage);
    }
    Ok(Some(text.to_owned()))
}

/// A note trimmed and checked; may be empty.
pub fn note(text: &str) -> Result<String, RecipientError> {
    let text = text.trim();
    if text.chars().count() > MAX_NOTE_CHARS || has_control(text, true) {
        return Err(RecipientError::BadNote);
    }
    Ok(text.to_owned())
}

/// An optional WeChat openid or WeCom user id; empty is none. Not trimmed: an id is
/// copied, not typed, so a space in it is a mistake to show.
pub fn account(text: &str, field: Field) -> Result<Option<String>, RecipientError> {
    if text.is_empty() {
        return Ok(None);
    }
    let valid = text.len() <= MAX_ACCOUNT_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.@".contains(&b));
    if valid {
        Ok(Some(text.to_owned()))
    } else {
        Err(RecipientError::BadAccount(field))
    }
}

/// An optional phone; empty is none.
pub fn phone(text: &str) -> Result<Option<MobileNumber>, RecipientError> {
    match MobileNumber::parse(text) {
        Ok(number) => Ok(Some(number)),
        Err(PhoneError::Empty) => Ok(None),
        Err(error) => Err(RecipientError::Phone(error)),
    }
}

impl RecipientDraft {
    /// The rules that span fields: some channel, and the group fitting the township.
    pub fn check(&self) -> Result<(), RecipientError> {
        if self.phone.is_none() && self.wechat_openid.is_none() && self.wecom.is_none() {
            return Err(RecipientError::NoChannel);
        }
        let fits = match self.group {
            Group::County => self.township.is_none(),
            Group::BureauStaff => true,
            Group::TownshipLeaders | Group::Informants | Group::TeaEnterprises => {
                self.township.is_some()
            }
        };
        if fits {
            Ok(())
        } else {
            Err(RecipientError::GroupVsTownship)
        }
    }

    /// The note as a reader may see it: whole when `may_see`, else with every run of digits
    /// long enough to be a number masked (a note may hold a relative's phone).
    pub fn note_for(&self, may_see: bool) -> String {
        if may_see {
            self.note.clone()
        } else {
            mask_numbers(&self.note)
        }
    }

    /// The number as a reader may see it: whole when `may_see`, else masked.
    pub fn phone_for(&self, may_see: bool) -> Option<String> {
        self.phone.as_ref().map(|p| {
            if may_see {
                p.expose().to_owned()
            } else {
                p.mask()
            }
        })
    }
}

/// Digits (ASCII or full-width) in a row this long or longer are taken for a number.
const NUMBER_DIGITS: usize = 5;

/// `text` with every run of [`NUMBER_DIGITS`] or more digits (spaces and dashes between them
/// kept in the run) replaced by `***`.
pub fn mask_numbers(text: &str) -> String {
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let mut out = String::new();
    let mut run = String::new();
    let mut digits = 0;
    let flush = |out: &mut String, run: &mut String, digits: &mut usize| {
        if *digits >= NUMBER_DIGITS {
            let kept = run.trim_end_matches([' ', '-']);
            out.push_str("***");
            out.push_str(&run[kept.len()..]);
        } else {
            out.push_str(run);
        }
        run.clear();
        *digits = 0;
    };
    for c in text.chars() {
        if digit(c) {
            digits += 1;
            run.push(c);
        } else if (c == ' ' || c == '-') && digits > 0 {
            run.push(c);
        } else {
            flush(&mut out, &mut run, &mut digits);
            out.push(c);
        }
    }
    flush(&mut out, &mut run, &mut digits);
    out
}

/// A township as the API writes it: the NBS code, or `county`.
pub fn township_text(township: Option<TownshipCode>) -> String {
    township.map_or_else(|| "county".to_owned(), |c| c.to_string())
}

/// Reads `county`/`县级` or a 9-digit NBS code (whether it is one of the county's townships is
/// the caller's check, against the network).
pub fn parse_township(text: &str) -> Option<Option<TownshipCode>> {
    let text = text.trim();
    if matches!(text, "county" | "县级" | "县") {
        return Some(None);
    }
    if text.len() == 9 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok().map(|c| Some(TownshipCode(c)));
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_in_a_note_are_masked_and_short_figures_kept() {
        let table = [
            ("家属电话13900001111", "家属电话***"),
            ("备用 139-0000-1111，晚上打", "备用 ***，晚上打"),
            ("座机０５９８１２３４", "座机***"),
            ("3号楼 2户", "3号楼 2户"),
            ("2026年换届", "2026年换届"),
            ("", ""),
        ];
        for (note, want) in table {
            assert_eq!(mask_numbers(note), want, "{note}");
        }
    }

    use super::*;

    pub(super) fn draft() -> RecipientDraft {
        RecipientDraft {
            name: "张三".into(),
            township: Some(TownshipCode(350_423_100)),
            village: Some("城关村".into()),
            group: Group::Informants,
            duty: Duty::Informant,
            phone: Some(MobileNumber::parse("13800000001").unwrap()),
            wechat_openid: None,
            wecom: None,
            active: true,
            note: String::new(),
        }
    }

    #[test]
    fn a_county_level_duty_reads_as_the_countys() {
        let table = [
            (Duty::Head, false, "乡镇长"),
            (Duty::Head, true, "县长"),
            (Duty::PartySecretary, false, "党委书记"),
            (Duty::PartySecretary, true, "县委书记"),
            (Duty::FloodControl, true, "防汛指挥"),
        ];
        for (duty, county, want) in table {
            assert_eq!(duty.name_zh_at(county), want, "{duty:?} county={county}");
        }
    }

    #[test]
    fn codes_and_names_read_back() {
        for group in Group::ALL {
            assert_eq!(Group::parse(group.code()), Some(*group));
            assert_eq!(Group::parse(group.name_zh()), Some(*group));
            assert_eq!(serde_json::to_value(group).unwrap(), group.code());
        }
        for duty in Duty::ALL {
            assert_eq!(Duty::parse(duty.code()), Some(*duty));
            assert_eq!(Duty::parse(&format!(" {} ", duty.name_zh())), Some(*duty));
            assert_eq!(serde_json::to_value(duty).unwrap(), duty.code());
        }
        assert_eq!(Duty::parse("party secretary"), Some(Duty::PartySecretary));
        assert_eq!(Group::parse("村干部"), None);
    }

    #[test]
    fn fields_are_checked() {
        assert_eq!(name(" 李四 "), Ok("李四".into()));
        assert_eq!(name(" "), Err(RecipientError::BadName));
        assert_eq!(name(&"李".repeat(33)), Err(RecipientError::BadName));
        assert_eq!(name("李\u{7}四"), Err(RecipientError::BadName));
        assert_eq!(village(""), Ok(None));
        assert_eq!(village("嵩溪村"), Ok(Some("嵩溪村".into())));
        assert_eq!(note("汛期值守\n夜班"), Ok("汛期值守\n夜班".into()));
        assert_eq!(note(&"x".repeat(201)), Err(RecipientError::BadNote));
        let openid = "oAbC-12_xyz";
        assert_eq!(
            account(openid, Field::WechatOpenid),
            Ok(Some(openid.into()))
        );
        for bad in ["有 空格", " ", " padded", &"x".repeat(65)] {
            assert_eq!(
                account(bad, Field::Wecom),
                Err(RecipientError::BadAccount(Field::Wecom)),
                "{bad:?}"
            );
        }
        assert_eq!(phone(""), Ok(None));
        assert_eq!(
            phone("0598-5322123"),
            Err(RecipientError::Phone(PhoneError::Landline))
        );
    }

    #[test]
    fn cross_field_rules() {
        let ok = draft();
        assert_eq!(ok.check(), Ok(()));
        type Case = (fn(&mut RecipientDraft), Result<(), RecipientError>);
        let cases: [Case; 5] = [
            (|d| d.phone = None, Err(RecipientError::NoChannel)),
            (
                |d| {
                    d.phone = None;
                    d.wecom = Some("zhangsan".into());
                },
                Ok(()),
            ),
            (|d| d.township = None, Err(RecipientError::GroupVsTownship)),
            (
                |d| d.group = Group::County,
                Err(RecipientError::GroupVsTownship),
            ),
            (
                |d| {
                    d.group = Group::BureauStaff;
                    d.township = None;
                },
                Ok(()),
            ),
        ];
        for (i, (change, expected)) in cases.into_iter().enumerate() {
            let mut d = draft();
            change(&mut d);
            assert_eq!(d.check(), expected, "case {i}");
        }
    }

    #[test]
    fn debug_hides_names_and_numbers() {
        let r = Recipient {
            id: 3,
            draft: draft(),
            version: 1,
        };
        let text = format!("{r:?}");
        assert!(
            !text.contains("张三") && !text.contains("13800000001"),
            "{text}"
        );
        assert!(!text.contains("城关村"), "{text}");
        assert!(text.contains("138****0001"), "{text}");
        assert_eq!(r.draft.phone_for(false).as_deref(), Some("138****0001"));
        assert_eq!(r.draft.phone_for(true).as_deref(), Some("13800000001"));
    }

    #[test]
    fn townships_as_written() {
        assert_eq!(parse_township("county"), Some(None));
        assert_eq!(parse_township("县级"), Some(None));
        assert_eq!(
            parse_township(" 350423100 "),
            Some(Some(TownshipCode(350_423_100)))
        );
        assert_eq!(parse_township("龙津镇"), None);
        assert_eq!(parse_township("3504231"), None);
        assert_eq!(township_text(None), "county");
        assert_eq!(township_text(Some(TownshipCode(350_423_100))), "350423100");
    }
}
