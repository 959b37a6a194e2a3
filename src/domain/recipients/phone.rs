//! Mainland China mobile numbers (`1[3-9]` + 9 digits), parsed from what people type or what a
//! spreadsheet holds, and masked (`138****1234`) wherever the reader may not see the whole.
//!
//! A number is personal data: [`MobileNumber`]'s `Debug` prints the masked form and it has no
//! `Display` or `Serialize`, so the whole number leaves only through [`MobileNumber::expose`].

use std::fmt;

/// Why a text is not a mainland mobile number. The variants carry no digits: an error may be
/// logged, the number may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but spaces.
    #[error("the number is empty")]
    Empty,
    /// A character that is neither a digit nor a separator.
    #[error("the number has a character that is not a digit, a space or a dash")]
    NotDigits,
    /// An area code or a short local number: a landline, which SMS cannot reach.
    #[error("a landline (area code or 7–8 digits), not a mobile number")]
    Landline,
    /// Not 11 digits once the country code is dropped.
    #[error("a mobile number has 11 digits, this one has {0}")]
    WrongLength(usize),
    /// 11 digits, but not `1[3-9]…`.
    #[error("not a mainland mobile number (they start 13–19)")]
    NotMainlandMobile,
}

/// A validated mainland mobile number: 11 ASCII digits, `1[3-9]…`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MobileNumber(String);

/// Full-width digits and `＋` (typed with a Chinese IME) to ASCII; other characters unchanged.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (u32::from(c) - u32::from('０')) as u8),
        '＋' => '+',
        _ => c,
    }
}

/// Separators people put inside numbers: spaces (also the ideographic one), dashes, dots and
/// brackets.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '－' | '—' | '–' | '.' | '(' | ')' | '（' | '）')
}

/// The digits of `text`, a leading `+`/`00` country prefix kept as `+`; `None` when a character
/// is neither.
fn digits(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(half_width) {
        if c.is_ascii_digit() || (c == '+' && out.is_empty()) {
            out.push(c);
        } else if !is_separator(c) {
            return None;
        }
    }
    Some(out)
}

/// Drops the country code: `+86…`, `0086…`, or `86…` when that leaves 11 digits.
fn national(digits: &str) -> &str {
    if let Some(rest) = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
    {
        return rest;
    }
    match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest,
        _ => digits,
    }
}

impl MobileNumber {
    /// Parses `13812341234`, `+86 138-1234-1234`, `86138…`, full-width digits; refuses
    /// landlines, wrong lengths and numbers outside `1[3-9]`.
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PhoneError::Empty);
        }
        let all = digits(text).ok_or(PhoneError::NotDigits)?;
        let number = national(&all);
        if number.starts_with('+') {
            // Another country's code.
            return Err(PhoneError::NotMainlandMobile);
        }
        if number.starts_with('0') || matches!(number.len(), 7 | 8) {
            return Err(PhoneError::Landline);
        }
        if number.len() != 11 {
            return Err(PhoneError::WrongLength(number.len()));
        }
        if !matches!(number.as_bytes(), [b'1', b'3'..=b'9', ..]) {
            return Err(PhoneError::NotMainlandMobile);
        }
        Ok(Self(number.to_owned()))
    }

    /// The masked form, `138****1234`: what readers without the capability see.
    pub fn mask(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }

    /// The whole number, for the guarded places that may show or send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.mask())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_people_type() {
        let cases = [
            "13812341234",
            "+86 138-1234-1234",
            "+8613812341234",
            "8613812341234",
            "0086 138 1234 1234",
            "１３８１２３４１２３４",
            "＋８６ １３８－１２３４－１２３４",
            " 138 1234 1234 ",
            "(+86) 138.1234.1234",
        ];
        for text in cases {
            assert_eq!(
                MobileNumber::parse(text).map(|n| n.expose().to_owned()),
                Ok("13812341234".to_owned()),
                "{text:?}"
            );
        }
        for prefix in 3..=9 {
            let text = format!("1{prefix}012345678");
            assert!(MobileNumber::parse(&text).is_ok(), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_mainland_mobile() {
        use PhoneError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("0598-5322123", Landline),
            ("05985322123", Landline),
            ("5322123", Landline),
            ("53221234", Landline),
            ("1381234123", WrongLength(10)),
            ("138123412345", WrongLength(12)),
            ("12812341234", NotMainlandMobile),
            ("10086123456", NotMainlandMobile),
            ("23812341234", NotMainlandMobile),
            ("+852 9123 4567", NotMainlandMobile),
            ("+1 415 555 0100", NotMainlandMobile),
            ("138l2341234", NotDigits),
            ("138+12341234", NotDigits),
        ];
        for (text, expected) in cases {
            assert_eq!(MobileNumber::parse(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn masks_and_never_prints_whole() {
        let number = MobileNumber::parse("+86 139-0598-7654").unwrap();
        assert_eq!(number.mask(), "139****7654");
        assert_eq!(format!("{number:?}"), "MobileNumber(139****7654)");
        assert!(!format!("{:?}", Some(&number)).contains("13905987654"));
        // Errors carry no digits.
        let error = MobileNumber::parse("0598-5322123").unwrap_err();
        assert!(!format!("{error} {error:?}").contains("5322123"));
    }
}
