//! The whitespace-separated token stream of a MICAPS file, each token with its line, so that
//! every error can point at the line it found.

use std::fmt::Display;
use std::str::FromStr;

use crate::formats::{FormatError, Reading, is_missing, number, quoted};

/// One whitespace-separated word and the 1-based line it stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub text: &'a str,
    pub line: usize,
}

/// The tokens after a file's first line, read front to back.
#[derive(Debug)]
pub(super) struct Tokens<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    /// The file's last line: where "the file ends" errors point.
    last_line: usize,
}

impl<'a> Tokens<'a> {
    /// The tokens of `text` on the lines after line `header_line`.
    pub fn after_line(text: &'a str, header_line: usize) -> Self {
        let tokens = text
            .lines()
            .enumerate()
            .skip(header_line)
            .flat_map(|(index, line)| {
                line.split_whitespace().map(move |text| Token {
                    text,
                    line: index + 1,
                })
            })
            .collect();
        Self {
            tokens,
            next: 0,
            last_line: text.lines().count().max(header_line),
        }
    }

    /// The file's last line.
    pub fn last_line(&self) -> usize {
        self.last_line
    }

    /// The next token, unread.
    pub fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.next).copied()
    }

    /// When the next token is the first on its line: how many tokens that line holds.
    pub fn whole_line_ahead(&self) -> Option<usize> {
        let first = self.peek()?;
        let starts_line = self
            .next
            .checked_sub(1)
            .is_none_or(|before| self.tokens[before].line != first.line);
        starts_line.then(|| {
            self.tokens[self.next..]
                .iter()
                .take_while(|token| token.line == first.line)
                .count()
        })
    }

    /// How many lines the unread tokens stand on.
    pub fn lines_ahead(&self) -> usize {
        let rest = &self.tokens[self.next.min(self.tokens.len())..];
        let breaks = rest.windows(2).filter(|w| w[0].line != w[1].line).count();
        if rest.is_empty() { 0 } else { breaks + 1 }
    }

    /// The next token; `what` names what was expected there, for the error at the file's end.
    pub fn next(&mut self, what: impl Display) -> Result<Token<'a>, FormatError> {
        let token = self.peek().ok_or_else(|| {
            FormatError::new(
                self.last_line,
                format!("the file ends where {what} should be"),
            )
        })?;
        self.next += 1;
        Ok(token)
    }

    /// The next token as a whole number (a count, a year …).
    pub fn whole<T: FromStr>(&mut self, what: impl Display) -> Result<(T, Token<'a>), FormatError> {
        let token = self.next(&what)?;
        let value = token.text.parse().map_err(|_| {
            FormatError::new(
                token.line,
                format!(
                    "expected {what} as a whole number, found {}",
                    quoted(token.text)
                ),
            )
        })?;
        Ok((value, token))
    }

    /// The next token as a number; 9999 and 999999 read as missing.
    pub fn reading(&mut self, what: impl Display) -> Result<Reading, FormatError> {
        let token = self.next(&what)?;
        let value = number(token.text).ok_or_else(|| {
            FormatError::new(
                token.line,
                format!("expected {what} as a number, found {}", quoted(token.text)),
            )
        })?;
        Ok(Reading {
            value: (!is_missing(value)).then_some(value),
            line: token.line,
        })
    }

    /// Reads and drops `count` numbers (contour values, a clipping polygon …), checking that
    /// each is one.
    pub fn skip_numbers(&mut self, count: usize, what: impl Display) -> Result<(), FormatError> {
        for _ in 0..count {
            self.reading(&what)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_lines() {
        let mut tokens = Tokens::after_line("diamond 3 title\n19 05\n\n 20 08 \n", 1);
        let lines: Vec<_> = std::iter::from_fn(|| tokens.next("x").ok())
            .map(|t| (t.text, t.line))
            .collect();
        assert_eq!(lines, [("19", 2), ("05", 2), ("20", 4), ("08", 4)]);
        assert_eq!(
            tokens.next("the hour").unwrap_err().to_string(),
            "line 4: the file ends where the hour should be"
        );
    }

    #[test]
    fn numbers_whole_numbers_and_missing() {
        let mut tokens = Tokens::after_line("h\n12 x 9999.0 23.9 1.5\n", 1);
        assert_eq!(tokens.whole::<usize>("a count").unwrap().0, 12);
        let error = tokens.reading("the value").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2: expected the value as a number, found \"x\""
        );
        assert_eq!(tokens.reading("v").unwrap().value, None);
        assert_eq!(tokens.reading("v").unwrap().value, Some(23.9));
        let error = tokens.whole::<usize>("the station count").unwrap_err();
        assert!(error.reason.contains("whole number"), "{error}");
    }

    #[test]
    fn whole_line_ahead_only_at_a_line_start() {
        let mut tokens = Tokens::after_line("h\na b c\n\nd e\n", 1);
        assert_eq!(tokens.whole_line_ahead(), Some(3));
        assert_eq!(tokens.lines_ahead(), 2);
        tokens.next("x").unwrap();
        assert_eq!(tokens.whole_line_ahead(), None);
        tokens.next("x").unwrap();
        tokens.next("x").unwrap();
        assert_eq!(tokens.whole_line_ahead(), Some(2));
        assert_eq!(tokens.lines_ahead(), 1);
    }
}
