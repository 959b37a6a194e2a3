//! A delivery receipt's text (SMPP 3.4 Appendix B), read as a pure function:
//! `id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:… text:…`.

use crate::central::channels::ReceiptOutcome;

/// `esm_class` bits 2–5 of a `deliver_sm` that carries a receipt (`0x04`).
pub const ESM_RECEIPT: u8 = 0x04;

/// What a receipt says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The message id the `submit_sm_resp` gave.
    pub id: String,
    /// `DELIVRD`, `UNDELIV`, `EXPIRED`, `REJECTD`, …
    pub stat: String,
    /// The network's error code, as given (`005`).
    pub err: String,
}

impl Receipt {
    /// Delivered when `stat` says so; else failed with `stat err` (`UNDELIV 005`).
    pub fn outcome(&self) -> ReceiptOutcome {
        if self.stat.eq_ignore_ascii_case("DELIVRD") {
            ReceiptOutcome::Delivered
        } else if self.err.is_empty() {
            ReceiptOutcome::Failed(self.stat.clone())
        } else {
            ReceiptOutcome::Failed(format!("{} {}", self.stat, self.err))
        }
    }
}

/// Whether a `deliver_sm`'s `esm_class` marks a delivery receipt.
pub fn is_receipt(esm_class: u8) -> bool {
    esm_class & 0x3c == ESM_RECEIPT
}

/// The value after `key:` (a word; keys match case-insensitively at a word start).
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let needle = format!("{key}:");
    let mut from = 0;
    while let Some(found) = lower[from..].find(&needle) {
        let start = from + found;
        if start == 0 || lower.as_bytes()[start - 1] == b' ' {
            let value = &text[start + needle.len()..];
            return Some(value.split(' ').next().unwrap_or_default());
        }
        from = start + needle.len();
    }
    None
}

/// The receipt in `text`; `None` without an id and a stat. `tlv_id` (`receipted_message_id`),
/// when the SMSC sent it, names the message instead of the text's id.
pub fn parse(text: &str, tlv_id: Option<&str>) -> Option<Receipt> {
    let id = tlv_id
        .filter(|id| !id.is_empty())
        .or_else(|| field(text, "id"))?;
    let stat = field(text, "stat")?;
    if id.is_empty() || stat.is_empty() {
        return None;
    }
    Some(Receipt {
        id: id.to_owned(),
        stat: stat.to_owned(),
        err: field(text, "err").unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELIVERED: &str = "id:12 sub:001 dlvrd:001 submit date:2512071200 done date:2512071201 stat:DELIVRD err:000 text:";

    /// (text, `receipted_message_id`, the id and outcome read)
    type Case = (
        &'static str,
        Option<&'static str>,
        Option<(&'static str, ReceiptOutcome)>,
    );

    #[test]
    fn receipts_parse_to_their_outcome() {
        let cases: [Case; 7] = [
            (DELIVERED, None, Some(("12", ReceiptOutcome::Delivered))),
            (
                "id:0A1B sub:001 dlvrd:000 submit date:2512071200 done date:2512071201 stat:UNDELIV err:005 text:暴雨",
                None,
                Some(("0A1B", ReceiptOutcome::Failed("UNDELIV 005".into()))),
            ),
            (
                "ID:7 Stat:EXPIRED",
                None,
                Some(("7", ReceiptOutcome::Failed("EXPIRED".into()))),
            ),
            (
                DELIVERED,
                Some("abc"),
                Some(("abc", ReceiptOutcome::Delivered)),
            ),
            // "id:" inside another key does not count.
            ("msgid:9 stat:DELIVRD", None, None),
            ("id:5 dlvrd:001", None, None),
            ("你好，收到", None, None),
        ];
        for (text, tlv, want) in cases {
            let got = parse(text, tlv).map(|r| (r.id.clone(), r.outcome()));
            assert_eq!(got, want.map(|(id, o)| (id.to_owned(), o)), "{text}");
        }
    }

    #[test]
    fn receipt_esm_class() {
        for (esm, want) in [
            (0x04, true),
            (0x00, false),
            (0x40, false),
            (0x44, true),
            (0x08, false),
        ] {
            assert_eq!(is_receipt(esm), want, "{esm:#x}");
        }
    }
}
