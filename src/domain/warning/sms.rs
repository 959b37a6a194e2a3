//! SMS segmentation in UCS-2 (`data_coding` 8): 70 UTF-16 units fit one message; a longer text
//! goes as concatenated parts of 67 units each (the 6-byte UDH takes the other 3). The
//! signature (【清流气象】) counts, and a surrogate pair is never cut between parts.

/// UTF-16 units in a single (unconcatenated) message.
pub const SINGLE_UNITS: usize = 70;
/// UTF-16 units per part of a concatenated message.
pub const PART_UNITS: usize = 67;
/// Most parts a concatenated message can have (the UDH counts parts in one byte).
pub const MAX_PARTS: usize = 255;

/// The text as sent: the signature first, as Chinese operators require.
pub fn signed(signature: &str, text: &str) -> String {
    format!("{signature}{text}")
}

/// Length in UTF-16 code units (what the operator counts).
pub fn utf16_units(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The parts the text goes out as (the whole text if it fits in one message). A character
/// outside the BMP that would straddle a boundary starts the next part instead.
pub fn segments(text: &str) -> Vec<String> {
    if utf16_units(text) <= SINGLE_UNITS {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > PART_UNITS {
            parts.push(std::mem::take(&mut part));
            units = 0;
        }
        part.push(c);
        units += c.len_utf16();
    }
    parts.push(part);
    parts
}

/// How many messages the text costs.
pub fn segment_count(text: &str) -> usize {
    segments(text).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "【清流气象】";

    #[test]
    fn counts_at_the_boundaries() {
        let table = [
            (String::new(), 1, 6),
            ("暴".repeat(64), 1, 70),
            ("暴".repeat(65), 2, 71),
            ("暴".repeat(134 - 6), 2, 134),
            ("暴".repeat(135 - 6), 3, 135),
            ("暴".repeat(201 - 6), 3, 201),
            ("暴".repeat(202 - 6), 4, 202),
        ];
        for (body, parts, units) in table {
            let text = signed(SIG, &body);
            assert_eq!(utf16_units(&text), units);
            assert_eq!(segment_count(&text), parts, "{units} units");
            assert_eq!(segments(&text).concat(), text);
        }
    }

    #[test]
    fn a_surrogate_pair_is_never_split() {
        // 66 BMP characters then 𠀀 (U+20000, two units): it would take units 67-68 of part 1.
        let text = format!("{}{}{}", "雨".repeat(66), '\u{20000}', "雨".repeat(10));
        assert_eq!(utf16_units(&text), 78);
        let parts = segments(&text);
        assert_eq!(parts.len(), 2);
        assert_eq!(utf16_units(&parts[0]), 66);
        assert!(parts[1].starts_with('\u{20000}'));
        // Exactly 70 units including a pair still fits in one message.
        let fits = format!("{}{}", "雨".repeat(68), '\u{20000}');
        assert_eq!(segments(&fits), vec![fits.clone()]);
    }

    fn ucs2_hex(text: &str) -> String {
        text.encode_utf16().map(|u| format!("{u:04x}")).collect()
    }

    /// The smpplib golden vector: each segment is a 6-byte UDH (05 00 03 ref n i) and the
    /// UCS-2 bytes of the part; our parts must be exactly those bytes.
    #[test]
    fn matches_the_smpp_ucs2_concat_golden_vector() {
        #[derive(serde::Deserialize)]
        struct Golden {
            text: String,
            utf16_code_units: usize,
            segments_short_message_hex: Vec<String>,
        }
        let golden: Golden = serde_json::from_str(include_str!(
            "../../../tests/data/sms/smpp34-ucs2-concat-golden.json"
        ))
        .unwrap();
        assert!(golden.text.starts_with(SIG));
        assert_eq!(utf16_units(&golden.text), golden.utf16_code_units);
        let ours = segments(&golden.text);
        assert_eq!(ours.len(), golden.segments_short_message_hex.len());
        let n = ours.len();
        for (i, (part, hex)) in ours
            .iter()
            .zip(&golden.segments_short_message_hex)
            .enumerate()
        {
            let (udh, body) = hex.split_at(12);
            assert_eq!(&udh[..6], "050003");
            assert_eq!(&udh[8..], format!("{n:02x}{:02x}", i + 1));
            assert_eq!(ucs2_hex(part), body, "part {}", i + 1);
        }
    }
}
