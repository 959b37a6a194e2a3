//! A text as SUBMIT contents: UCS-2, one message up to 70 UTF-16 units, otherwise parts of 67
//! behind the UDH `05 00 03 ref total n` — exactly the parts the composer counted
//! ([`crate::domain::warning::sms::segments`]). And an MO message's content as text.

use crate::domain::warning::sms::{MAX_PARTS, segments};

use super::pdu::UCS2;

/// One SUBMIT's share of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// 1 when `content` starts with the UDH.
    pub tp_udhi: u8,
    /// `Pk_number` (1-based).
    pub number: u8,
    /// `Pk_total`.
    pub total: u8,
    /// `Msg_Content`.
    pub content: Vec<u8>,
}

/// The parts `text` goes out as, concatenation reference `reference`; `None` if it needs more
/// than the 255 parts a UDH can count.
pub fn split(text: &str, reference: u8) -> Option<Vec<Part>> {
    let texts = segments(text);
    if texts.len() > MAX_PARTS {
        return None;
    }
    let total = texts.len() as u8;
    let parts = texts.iter().enumerate().map(|(i, part)| {
        let number = i as u8 + 1;
        let mut content = Vec::with_capacity(140);
        if total > 1 {
            content.extend_from_slice(&[5, 0, 3, reference, total, number]);
        }
        content.extend(part.encode_utf16().flat_map(u16::to_be_bytes));
        Part {
            tp_udhi: u8::from(total > 1),
            number,
            total,
            content,
        }
    });
    Some(parts.collect())
}

/// An MO message's text: its UDH (if any) dropped, UCS-2 or ASCII decoded (GBK and others
/// are shown with replacement characters rather than refused).
pub fn mo_text(msg_fmt: u8, tp_udhi: u8, content: &[u8]) -> String {
    let body = match (tp_udhi, content.first()) {
        (1, Some(&udhl)) => content.get(udhl as usize + 1..).unwrap_or_default(),
        _ => content,
    };
    if msg_fmt == UCS2 {
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(body).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_the_composers_segments_with_a_udh() {
        let sig = "【清流气象】";
        let table = [
            (format!("{sig}暴雨黄色预警"), 1),
            (format!("{sig}{}", "暴".repeat(64)), 1),
            (format!("{sig}{}", "暴".repeat(65)), 2),
            (format!("{sig}{}", "暴".repeat(200)), 4),
            (
                format!("{}{}{}", "雨".repeat(66), '\u{20000}', "雨".repeat(10)),
                2,
            ),
        ];
        for (text, n) in table {
            let parts = split(&text, 0x2a).unwrap();
            assert_eq!(parts.len(), n, "{text}");
            let mut back = String::new();
            for (i, part) in parts.iter().enumerate() {
                assert_eq!((part.number, part.total), (i as u8 + 1, n as u8));
                assert!(part.content.len() <= 140);
                let udh = if n > 1 {
                    vec![5, 0, 3, 0x2a, n as u8, i as u8 + 1]
                } else {
                    vec![]
                };
                assert_eq!(part.content[..udh.len()], udh[..]);
                assert_eq!(part.tp_udhi, u8::from(n > 1));
                back.push_str(&mo_text(UCS2, part.tp_udhi, &part.content));
            }
            assert_eq!(back, text);
        }
        assert_eq!(split(&"雨".repeat(67 * 255 + 1), 0), None);
    }

    #[test]
    fn mo_texts_are_decoded() {
        let table: [(u8, u8, Vec<u8>, &str); 4] = [
            (8, 0, vec![0x65, 0x36, 0x52, 0x30], "收到"),
            (0, 0, b"TD".to_vec(), "TD"),
            (8, 1, vec![5, 0, 3, 1, 1, 1, 0x59, 0x7d], "好"),
            (8, 1, vec![9], ""),
        ];
        for (fmt, udhi, content, want) in table {
            assert_eq!(mo_text(fmt, udhi, &content), want);
        }
    }
}
