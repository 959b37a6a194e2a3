//! XML character data, as the CAP writer and the xlsx writer both need it.

/// Text as XML character data (content or an attribute in quotes): markup escaped, and the
/// control characters XML 1.0 forbids dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c < ' ' && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_forbidden_controls_dropped() {
        let cases = [
            (
                "清流 <暴雨> & \"橙色\" 'x'",
                "清流 &lt;暴雨&gt; &amp; &quot;橙色&quot; &apos;x&apos;",
            ),
            ("a\u{1}b\tc\nd\re", "ab\tc\nd\re"),
            ("", ""),
        ];
        for (text, escaped) in cases {
            assert_eq!(escape(text), escaped, "{text:?}");
        }
    }
}
