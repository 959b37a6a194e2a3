//! Named failpoints: places in a worker where a test makes it die on purpose ("after claim",
//! "after the provider call, before mark sent") to prove what survives a crash there.
//!
//! A [`Failpoints`] value is handed to the code under test; nothing is global, so tests in one
//! process never trip each other's. [`Failpoints::from_env`] reads `WXDESK_FAILPOINTS`
//! (`after_claim=abort,after_mark_sent=fail`), which is how a crash test arms a child process:
//! `abort` ends the process on the spot (no destructors, no flush: a kill), `fail` returns an
//! error as if the worker had died there. Unset, every point is a no-op.

use std::collections::BTreeMap;

/// The environment variable [`Failpoints::from_env`] reads.
pub const ENV: &str = "WXDESK_FAILPOINTS";

/// What an armed failpoint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trip {
    /// End the process at once (`std::process::abort`): a kill at that line.
    Abort,
    /// Return [`Tripped`], as if the worker had died there (in-process tests).
    Fail,
}

/// A failpoint that fired with [`Trip::Fail`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failpoint {0} tripped")]
pub struct Tripped(pub String);

/// The armed failpoints of one worker (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failpoints(BTreeMap<String, Trip>);

impl Failpoints {
    /// None armed.
    pub fn none() -> Self {
        Self::default()
    }

    /// Arms `name` to `trip`.
    #[must_use]
    pub fn arm(mut self, name: &str, trip: Trip) -> Self {
        self.0.insert(name.to_owned(), trip);
        self
    }

    /// The failpoints `WXDESK_FAILPOINTS` arms; none when it is unset. Entries that do not
    /// parse are logged and ignored (a typo must not crash a production central).
    pub fn from_env() -> Self {
        std::env::var(ENV).map_or_else(|_| Self::none(), |spec| Self::parse(&spec))
    }

    /// Parses `name=abort,name=fail`.
    pub fn parse(spec: &str) -> Self {
        let mut points = Self::none();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.split_once('=') {
                Some((name, "abort")) => points = points.arm(name.trim(), Trip::Abort),
                Some((name, "fail")) => points = points.arm(name.trim(), Trip::Fail),
                _ => tracing::warn!(entry, "ignoring a failpoint that does not parse"),
            }
        }
        points
    }

    /// Passes `name`: aborts or fails if it is armed, does nothing otherwise.
    pub fn hit(&self, name: &str) -> Result<(), Tripped> {
        match self.0.get(name) {
            None => Ok(()),
            Some(Trip::Abort) => {
                tracing::error!(failpoint = name, "failpoint: aborting");
                std::process::abort()
            }
            Some(Trip::Fail) => Err(Tripped(name.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_into_armed_points() {
        let table = [
            ("", Failpoints::none()),
            (
                "after_claim=fail",
                Failpoints::none().arm("after_claim", Trip::Fail),
            ),
            (
                " a=abort , b=fail,",
                Failpoints::none()
                    .arm("a", Trip::Abort)
                    .arm("b", Trip::Fail),
            ),
            // Typos are ignored, not guessed at.
            ("a=explode,b", Failpoints::none()),
        ];
        for (spec, expected) in table {
            assert_eq!(Failpoints::parse(spec), expected, "{spec:?}");
        }
    }

    #[test]
    fn only_armed_points_trip() {
        let points = Failpoints::none().arm("after_claim", Trip::Fail);
        assert_eq!(points.hit("after_mark_sent"), Ok(()));
        assert_eq!(
            points.hit("after_claim"),
            Err(Tripped("after_claim".into()))
        );
    }
}
