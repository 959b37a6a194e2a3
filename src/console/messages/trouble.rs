//! Why something failed, kept as data until the UI says it in the user's language.

use std::fmt;

use crate::domain::refusal::CodedRefusal;

/// Why something failed: a refusal of the central (its code and parameters, said by the UI in
/// the user's language, never in the central's English), or the desk's own words.
#[derive(Debug, Clone, PartialEq)]
pub enum Trouble {
    /// The central refused.
    Refused(CodedRefusal),
    /// Anything else: the link, a file, the cache.
    Other(String),
}

impl Trouble {
    /// The central refused with `code`, a code without parameters (a session it no longer
    /// accepts says why this way: `session_ended`, `account_gone` …).
    pub fn refused(code: impl Into<String>) -> Self {
        Self::Refused(CodedRefusal {
            code: code.into(),
            params: crate::domain::refusal::Params::new(),
        })
    }

    /// Nobody is signed in at this desk: what the central would say (`unauthorized`).
    pub fn not_signed_in() -> Self {
        Self::refused(crate::domain::refusal::Code::Unauthorized.as_str())
    }

    /// The central's code, if the central refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused(refusal) => Some(&refusal.code),
            Self::Other(_) => None,
        }
    }
}

impl From<String> for Trouble {
    fn from(text: String) -> Self {
        Self::Other(text)
    }
}

impl From<&str> for Trouble {
    fn from(text: &str) -> Self {
        Self::Other(text.to_owned())
    }
}

/// For logs and test failures: the code of a refusal, or the words.
impl fmt::Display for Trouble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(refusal) => write!(f, "refused: {}", refusal.code),
            Self::Other(text) => f.write_str(text),
        }
    }
}
