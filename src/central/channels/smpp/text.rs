//! Text on the wire (pure): UCS-2 parts with their concatenation header, cut where the
//! composer cut them ([`crate::domain::warning::sms::segments`]), and what an SMSC sends back
//! decoded by its `data_coding`.

use crate::domain::warning::sms::segments;

/// `data_coding` of the SMSC's default alphabet (GSM 03.38 on most SMSCs).
pub const DC_DEFAULT: u8 = 0;
/// `data_coding` of UCS-2 (UTF-16BE on the wire).
pub const DC_UCS2: u8 = 8;
/// `esm_class` UDHI: the short message starts with a user data header.
pub const ESM_UDHI: u8 = 0x40;

/// One part ready for `submit_sm`: its `esm_class` and `short_message` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// 0, or [`ESM_UDHI`] on a part of a concatenated message.
    pub esm_class: u8,
    /// UDH (if any) then the UCS-2 text.
    pub short_message: Vec<u8>,
}

/// `text` as UTF-16BE (a pair's two halves stay together: the segments never split one).
pub fn ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// The parts of `text`: one without a header when it fits 70 units, else 67-unit parts each
/// behind `05 00 03 reference total n`. `None` beyond 255 parts.
pub fn parts(text: &str, reference: u8) -> Option<Vec<Part>> {
    let segments = segments(text);
    if segments.len() == 1 {
        return Some(vec![Part {
            esm_class: 0,
            short_message: ucs2(text),
        }]);
    }
    let total = u8::try_from(segments.len()).ok()?;
    let parts = segments.iter().zip(1u8..).map(|(segment, n)| {
        let mut short_message = vec![0x05, 0x00, 0x03, reference, total, n];
        short_message.extend(ucs2(segment));
        Part {
            esm_class: ESM_UDHI,
            short_message,
        }
    });
    Some(parts.collect())
}

/// GSM 03.38's default alphabet, by septet value.
const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// A message's text as `data_coding` says (UDH skipped when `esm_class` has UDHI): UCS-2,
/// Latin-1 (3), or the default alphabet unpacked one septet a byte (what SMPP carries).
pub fn decode(short_message: &[u8], esm_class: u8, data_coding: u8) -> String {
    let body = match short_message.first() {
        Some(udhl) if esm_class & ESM_UDHI != 0 => {
            short_message.get(*udhl as usize + 1..).unwrap_or_default()
        }
        _ => short_message,
    };
    match data_coding {
        DC_UCS2 => {
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        3 => body.iter().map(|b| char::from(*b)).collect(),
        _ => body
            .iter()
            .map(|b| GSM.chars().nth(usize::from(b & 0x7f)).unwrap_or('?'))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_alphabet_has_128_septets() {
        assert_eq!(GSM.chars().count(), 128);
    }

    #[test]
    fn parts_fit_70_or_67_units_and_keep_surrogate_pairs() {
        let emoji = "🌧"; // two UTF-16 units
        let cases: [(String, Vec<(u8, usize)>); 4] = [
            ("暴".repeat(70), vec![(0, 140)]),
            (
                "暴".repeat(71),
                vec![(ESM_UDHI, 6 + 134), (ESM_UDHI, 6 + 8)],
            ),
            // 66 units then a pair: the pair moves whole to part 2.
            (
                format!("{}{emoji}{}", "雨".repeat(66), "雨".repeat(3)),
                vec![(ESM_UDHI, 6 + 132), (ESM_UDHI, 6 + 10)],
            ),
            (String::new(), vec![(0, 0)]),
        ];
        for (text, want) in cases {
            let got: Vec<(u8, usize)> = parts(&text, 9)
                .unwrap()
                .iter()
                .map(|p| (p.esm_class, p.short_message.len()))
                .collect();
            assert_eq!(got, want, "{} units", text.encode_utf16().count());
        }
    }

    #[test]
    fn decodes_by_data_coding() {
        let cases: [(&[u8], u8, u8, &str); 5] = [
            (&[0x4f, 0x60, 0x59, 0x7d], 0, DC_UCS2, "你好"),
            (&[0x05, 0, 3, 1, 2, 1, 0x4f, 0x60], ESM_UDHI, DC_UCS2, "你"),
            (b"OK 1", 0, DC_DEFAULT, "OK 1"),
            (&[0x00, 0x02, 0x11], 0, DC_DEFAULT, "@$_"),
            (&[0xe9], 0, 3, "é"),
        ];
        for (bytes, esm, dc, want) in cases {
            assert_eq!(decode(bytes, esm, dc), want);
        }
    }
}
