//! The background integrity check: `PRAGMA quick_check` on a reader connection every
//! `every`, its verdict put on the board for administrators (and logged as an error when the
//! database is damaged). A damaged database is a finding, not a worker failure: the check is
//! not restarted in a loop, it reports and waits for its next turn.

use std::sync::Arc;
use std::time::Duration;

use super::{WorkerContext, WorkerSpec};
use crate::store::central::SqliteCentralStore;

/// The `integrity` worker: checks once at start, then every `every`.
pub fn worker(store: Arc<SqliteCentralStore>, every: Duration) -> WorkerSpec {
    WorkerSpec::new("integrity", move |context: WorkerContext| {
        let store = Arc::clone(&store);
        async move {
            loop {
                let checked = Arc::clone(&store);
                let problems = tokio::task::spawn_blocking(move || checked.quick_check())
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                context.report(verdict(&problems, &context.clock().now().to_rfc3339()));
                if !problems.is_empty() {
                    tracing::error!(?problems, "the database's integrity check found damage");
                }
                if !context.sleep(every).await {
                    return Ok(());
                }
            }
        }
    })
}

/// What administrators read of a check's findings.
pub fn verdict(problems: &[String], at: &str) -> String {
    match problems {
        [] => format!("quick_check ok at {at}"),
        [first, ..] => format!(
            "quick_check found {} problem(s) at {at}, first: {first}",
            problems.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_say_ok_or_count_the_problems() {
        let at = || "2026-12-06T21:00:00Z";
        assert_eq!(verdict(&[], at()), "quick_check ok at 2026-12-06T21:00:00Z");
        let problems = ["page 7: btree damaged".to_owned(), "page 9".to_owned()];
        assert_eq!(
            verdict(&problems, at()),
            "quick_check found 2 problem(s) at 2026-12-06T21:00:00Z, first: page 7: btree damaged"
        );
    }
}
