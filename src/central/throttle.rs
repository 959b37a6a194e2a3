//! Slowing repeated failed logins by source address, and counting them for the audit log.
//!
//! Policy: each source address (the TCP peer, never a forwarded-for header) may have
//! [`SourcePolicy::free_failures`] failed or unfinished logins per window of
//! [`SourcePolicy::window_ms`], counted from its first attempt. Past that it is answered
//! 429 with `Retry-After` until the window ends, before any hash is spent and whatever
//! account it names, so the answer says nothing about accounts. Other addresses are not
//! affected: an attacker can slow only themselves. (Each account's own limit is the lockout
//! of [`crate::domain::access::LockoutPolicy`].)
//!
//! Failed logins are not written one row each: each source's window becomes one audit entry
//! with its counts, when the window ends (or the central stops), so a flood of 200 guesses is
//! one entry, not 200.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use crate::domain::Timestamp;
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, Outcome};

/// Most distinct user names an audit summary lists.
const NAMES_LISTED: usize = 10;

/// How many failed logins a source may have per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourcePolicy {
    /// Failed (or still unjudged) logins allowed per window.
    pub free_failures: u32,
    /// Window length, ms.
    pub window_ms: i64,
}

impl SourcePolicy {
    /// Ten failures per ten minutes: a duty room sharing one address can mistype a lot;
    /// a guesser gets 60 tries an hour per address.
    pub const DEFAULT: Self = Self {
        free_failures: 10,
        window_ms: 10 * 60_000,
    };
}

/// Whether a login from a source may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go on; settle it with [`Throttle::settle`].
    Go,
    /// Refused: try again after this many seconds.
    Wait(u64),
}

/// One source's window.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    started: Timestamp,
    /// Admitted and not (yet) proved right.
    counted: u32,
    failures: u32,
    refused: u32,
    names: BTreeSet<String>,
}

impl Window {
    fn new(now: Timestamp) -> Self {
        Self {
            started: now,
            counted: 0,
            failures: 0,
            refused: 0,
            names: BTreeSet::new(),
        }
    }
}

/// The failed logins of one source in one window, as the audit log records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureSummary {
    /// The source address.
    pub source: IpAddr,
    /// When its window began.
    pub from: Timestamp,
    /// When it ended.
    pub to: Timestamp,
    /// Logins judged wrong (or refused unjudged for a locked account).
    pub failures: u32,
    /// Logins refused with 429, never judged.
    pub refused: u32,
    /// Some of the user names tried (at most [`NAMES_LISTED`]).
    pub names: Vec<String>,
}

impl FailureSummary {
    /// The audit record: actor `source:<address>`.
    pub fn record(&self) -> AuditRecord {
        AuditRecord::new(
            self.to,
            &format!("source:{}", self.source),
            "",
            AuditAction::Login,
            Outcome::Failed,
        )
        .detail(&AuditDetail::FailedLogins {
            failures: self.failures,
            refused: self.refused,
            since: self.from,
            until: self.to,
            names: self.names.clone(),
        })
    }
}

/// The windows of every source seen lately.
#[derive(Debug)]
pub struct Throttle {
    policy: SourcePolicy,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

impl Throttle {
    /// A throttle with `policy`.
    pub fn new(policy: SourcePolicy) -> Self {
        Self {
            policy,
            windows: Mutex::default(),
        }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Window>> {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits (and counts, as a failure until settled) a login from `source` at `now`. A
    /// window that ended is returned as a summary for the audit log.
    pub fn admit(&self, source: IpAddr, now: Timestamp) -> (Admission, Option<FailureSummary>) {
        let mut windows = self.windows();
        let ends = |w: &Window| w.started.plus_ms(self.policy.window_ms);
        let ended = match windows.get(&source) {
            Some(window) if ends(window) <= now => windows
                .remove(&source)
                .and_then(|w| summary(source, w, now)),
            _ => None,
        };
        let window = windows.entry(source).or_insert_with(|| Window::new(now));
        if window.counted >= self.policy.free_failures {
            window.refused = window.refused.saturating_add(1);
            let wait_ms = ends(window).millis() - now.millis();
            let seconds = u64::try_from(wait_ms.max(0))
                .unwrap_or_default()
                .div_ceil(1000);
            return (Admission::Wait(seconds.max(1)), ended);
        }
        window.counted += 1;
        (Admission::Go, ended)
    }

    /// Whether `source` has failed logins in its current window: its attempts queue apart from
    /// those of addresses with none, so a flood, even from many addresses, does not hold up a
    /// user who types their password right.
    pub fn has_failures(&self, source: IpAddr) -> bool {
        self.windows()
            .get(&source)
            .is_some_and(|window| window.failures > 0)
    }

    /// Settles an admitted login: a success frees its place; a failure stays counted and
    /// `name` is remembered for the summary.
    pub fn settle(&self, source: IpAddr, succeeded: bool, name: &str) {
        let mut windows = self.windows();
        let Some(window) = windows.get_mut(&source) else {
            return;
        };
        if succeeded {
            window.counted = window.counted.saturating_sub(1);
        } else {
            window.failures = window.failures.saturating_add(1);
            if window.names.len() < NAMES_LISTED {
                window.names.insert(crate::domain::audit::clean(name, 32));
            }
        }
    }

    /// Summaries of the windows that ended by `now` (all of them with `everything`), removed.
    pub fn take_ended(&self, now: Timestamp, everything: bool) -> Vec<FailureSummary> {
        let mut windows = self.windows();
        let ended: Vec<IpAddr> = windows
            .iter()
            .filter(|(_, w)| everything || w.started.plus_ms(self.policy.window_ms) <= now)
            .map(|(ip, _)| *ip)
            .collect();
        ended
            .into_iter()
            .filter_map(|ip| windows.remove(&ip).and_then(|w| summary(ip, w, now)))
            .collect()
    }
}

fn summary(source: IpAddr, window: Window, now: Timestamp) -> Option<FailureSummary> {
    (window.failures + window.refused > 0).then(|| FailureSummary {
        source,
        from: window.started,
        to: now,
        failures: window.failures,
        refused: window.refused,
        names: window.names.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp(1_800_000_000_000);

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn a_source_gets_its_free_failures_then_waits_for_its_window() {
        let throttle = Throttle::new(SourcePolicy {
            free_failures: 3,
            window_ms: 60_000,
        });
        let admit = |source, at_ms| throttle.admit(source, T.plus_ms(at_ms)).0;
        let cases = [
            (ip(1), 0, Admission::Go),
            (ip(1), 1, Admission::Go),
            (ip(1), 2, Admission::Go),
            // In flight or failed, three are counted: the fourth waits out the window.
            (ip(1), 1_000, Admission::Wait(59)),
            (ip(1), 59_999, Admission::Wait(1)),
            // Another address is not slowed by the first one's failures.
            (ip(2), 1_000, Admission::Go),
        ];
        for (source, at, expected) in cases {
            assert_eq!(admit(source, at), expected, "{source} at {at}");
        }
        // The window ends: a fresh one, and the old one's summary.
        let (admission, ended) = throttle.admit(ip(1), T.plus_ms(60_000));
        assert_eq!(admission, Admission::Go);
        let ended = ended.unwrap();
        assert_eq!((ended.failures, ended.refused), (0, 2), "none settled yet");
    }

    #[test]
    fn successes_free_their_place_and_failures_are_summed_once() {
        let throttle = Throttle::new(SourcePolicy {
            free_failures: 2,
            window_ms: 60_000,
        });
        for name in ["admin", "root"] {
            assert_eq!(throttle.admit(ip(9), T).0, Admission::Go);
            throttle.settle(ip(9), false, name);
        }
        assert!(matches!(throttle.admit(ip(9), T).0, Admission::Wait(_)));
        assert_eq!(throttle.admit(ip(8), T).0, Admission::Go);
        throttle.settle(ip(8), true, "zhangwei");
        assert!(throttle.has_failures(ip(9)) && !throttle.has_failures(ip(8)));
        assert_eq!(throttle.take_ended(T.plus_ms(59_999), false), []);
        let all = throttle.take_ended(T.plus_ms(60_000), false);
        assert_eq!(
            all.len(),
            1,
            "a source that only succeeded has nothing to report"
        );
        assert_eq!(
            (all[0].failures, all[0].refused, all[0].names.clone()),
            (2, 1, vec!["admin".to_owned(), "root".to_owned()])
        );
        let record = all[0].record();
        assert_eq!(record.actor, "source:127.0.0.9");
        assert!(
            record
                .details
                .starts_with(r#"{"code":"failed_logins","failures":2,"refused":1,"#),
            "{}",
            record.details
        );
        assert!(throttle.take_ended(T, true).is_empty());
    }
}
