//! Named failpoints: places in a worker where a test makes it die on purpose ("after claim",
//! "after the provider call, before mark sent") to prove what survives a crash there.
//!
//! A [`Failpoints`] value is handed to the code under test; nothing is global, so tests in one
//! process never trip each other's. [`Failpoints::from_env`] reads `WXDESK_FAILPOINTS`
//! (`dispatch.after_claim=abort,dispatch.after_mark_sent=fail@300`), which is how a crash test
//! arms a child process: `abort` ends the process on the spot (no destructors, no flush: a
//! kill), `fail` returns an error as if the worker had died there, on every pass; `@N` trips
//! on the Nth pass only (mid-way through a dispatch). Unset, every point is a no-op.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// One armed point: what it does, on which pass (`None`: every one), and the passes so far
/// (shared by clones, so every worker given the same points counts together).
#[derive(Debug, Clone)]
struct Armed {
    trip: Trip,
    at: Option<u64>,
    passes: Arc<AtomicU64>,
}

impl PartialEq for Armed {
    fn eq(&self, other: &Self) -> bool {
        (self.trip, self.at) == (other.trip, other.at)
    }
}

impl Eq for Armed {}

/// The armed failpoints of one process's workers (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failpoints(BTreeMap<String, Armed>);

impl Failpoints {
    /// None armed.
    pub fn none() -> Self {
        Self::default()
    }

    /// Arms `name` to `trip` every time it is passed.
    #[must_use]
    pub fn arm(self, name: &str, trip: Trip) -> Self {
        self.armed(name, trip, None)
    }

    /// Arms `name` to `trip` the `at`th time it is passed only (1: the first).
    #[must_use]
    pub fn arm_at(self, name: &str, trip: Trip, at: u64) -> Self {
        self.armed(name, trip, Some(at.max(1)))
    }

    fn armed(mut self, name: &str, trip: Trip, at: Option<u64>) -> Self {
        let passes = Arc::default();
        self.0.insert(name.to_owned(), Armed { trip, at, passes });
        self
    }

    /// The failpoints `WXDESK_FAILPOINTS` arms; none when it is unset. Entries that do not
    /// parse are logged and ignored (a typo must not crash a production central).
    pub fn from_env() -> Self {
        std::env::var(ENV).map_or_else(|_| Self::none(), |spec| Self::parse(&spec))
    }

    /// Parses `name=abort,name=fail@N`.
    pub fn parse(spec: &str) -> Self {
        let mut points = Self::none();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry
                .split_once('=')
                .and_then(|(n, how)| Some((n, parse_how(how)?)))
            {
                Some((name, (trip, at))) => points = points.armed(name.trim(), trip, at),
                None => tracing::warn!(entry, "ignoring a failpoint that does not parse"),
            }
        }
        points
    }

    /// Passes `name`: aborts or fails if it is armed for this pass, does nothing otherwise.
    pub fn hit(&self, name: &str) -> Result<(), Tripped> {
        let Some(armed) = self.0.get(name) else {
            return Ok(());
        };
        let pass = armed.passes.fetch_add(1, Ordering::Relaxed) + 1;
        if armed.at.is_some_and(|at| at != pass) {
            return Ok(());
        }
        match armed.trip {
            Trip::Abort => {
                tracing::error!(failpoint = name, "failpoint: aborting");
                std::process::abort()
            }
            Trip::Fail => Err(Tripped(name.to_owned())),
        }
    }
}

/// `abort`, `fail`, `abort@N`, `fail@N`: the trip and the pass it fires on (`None`: every).
fn parse_how(how: &str) -> Option<(Trip, Option<u64>)> {
    let (trip, at) = match how.trim().split_once('@') {
        Some((trip, at)) => (trip, Some(at.parse().ok().filter(|n| *n > 0)?)),
        None => (how.trim(), None),
    };
    match trip {
        "abort" => Some((Trip::Abort, at)),
        "fail" => Some((Trip::Fail, at)),
        _ => None,
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
            (
                "a=fail@300",
                Failpoints::none().arm_at("a", Trip::Fail, 300),
            ),
            // Typos are ignored, not guessed at.
            ("a=explode,b,c=fail@0,d=fail@x", Failpoints::none()),
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

    #[test]
    fn a_counted_point_trips_on_its_pass_only_and_clones_count_together() {
        let points = Failpoints::none().arm_at("p", Trip::Fail, 3);
        let other_worker = points.clone();
        assert_eq!(points.hit("p"), Ok(()));
        assert_eq!(other_worker.hit("p"), Ok(()));
        assert_eq!(points.hit("p"), Err(Tripped("p".into())));
        assert_eq!(other_worker.hit("p"), Ok(()));
        let every = Failpoints::none().arm("q", Trip::Fail);
        for _ in 0..2 {
            assert_eq!(every.hit("q"), Err(Tripped("q".into())));
        }
    }
}
