//! What the crate's own tests share.

use proptest::test_runner::{Config, FileFailurePersistence};

/// Proptest's settings, keeping the seeds of past failures in `regressions` — a file under
/// `tests/data/proptest-regressions/`, relative to the package root where `cargo test` runs —
/// rather than in a folder proptest would add at the top level.
pub fn proptest_config(regressions: &'static str) -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..Config::default()
    }
}
