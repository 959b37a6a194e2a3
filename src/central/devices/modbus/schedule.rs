//! When a board is polled next, pure: at its interval while it answers or is still being
//! retried; once given up as unreachable, less and less often (doubling with each failed poll,
//! up to a bound), so a dead board or a cut cable does not cost a connection attempt and a
//! timeout every interval; the first answer brings it back to its interval.
//!
//! ```text
//! failures in a row:  0  1  2 │ 3   4   5   6 …        (give up after 3)
//! wait (interval 60 s): 60 60 60 │ 120 240 300 300 …   (bounded by 5 min)
//! ```

use std::time::Duration;

use crate::domain::devices::health::Exchange;

/// The longest wait between polls of an unreachable board (never shorter than its interval).
pub const UNREACHABLE_CAP: Duration = Duration::from_secs(5 * 60);

/// How polling slows down for a board given up as unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slowdown {
    /// Failed polls in a row after which a board is unreachable (the link state's own rule,
    /// [`crate::domain::devices::health::LinkState::after`]).
    pub give_up_after: u32,
    /// The longest wait between polls.
    pub cap: Duration,
}

impl Default for Slowdown {
    fn default() -> Self {
        Self {
            give_up_after: crate::central::devices::links::GIVE_UP_AFTER,
            cap: UNREACHABLE_CAP,
        }
    }
}

/// The wait before the next poll of a board polled every `interval` whose last `failures`
/// polls in a row failed.
pub fn next_poll_in(interval: Duration, failures: u32, slowdown: Slowdown) -> Duration {
    let give_up_after = slowdown.give_up_after.max(1);
    if failures < give_up_after {
        return interval;
    }
    // 2, 4, 8 … intervals: the exponent is bounded so the product cannot overflow.
    let doublings = (failures - give_up_after + 1).min(20);
    let slowed = interval.saturating_mul(1 << doublings);
    slowed.min(slowdown.cap.max(interval))
}

/// Failed polls in a row after one more exchange told (`None`: nothing told, as when a
/// DTU already said down is down again).
pub fn failures_after(failures: u32, told: Option<Exchange>) -> u32 {
    match told {
        None => failures,
        Some(Exchange::Answered) => 0,
        Some(Exchange::Failed) => failures.saturating_add(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::devices::health::LinkState;

    const MINUTE: Duration = Duration::from_secs(60);

    fn slowdown() -> Slowdown {
        Slowdown {
            give_up_after: 3,
            cap: Duration::from_secs(300),
        }
    }

    #[test]
    fn unreachable_boards_are_polled_less_often_up_to_the_cap() {
        let secs = Duration::from_secs;
        let cases = [
            // (interval, failures in a row, wait)
            (MINUTE, 0, MINUTE),
            (MINUTE, 1, MINUTE),
            (MINUTE, 2, MINUTE),
            (MINUTE, 3, secs(120)),
            (MINUTE, 4, secs(240)),
            (MINUTE, 5, secs(300)),
            (MINUTE, 60, secs(300)),
            (MINUTE, u32::MAX, secs(300)),
            (secs(1), 3, secs(2)),
            (secs(1), 7, secs(32)),
            (secs(1), 12, secs(300)),
            // A board polled more slowly than the cap is never polled faster than its interval.
            (secs(600), 0, secs(600)),
            (secs(600), 9, secs(600)),
        ];
        for (interval, failures, want) in cases {
            assert_eq!(
                next_poll_in(interval, failures, slowdown()),
                want,
                "{interval:?} after {failures} failures"
            );
        }
    }

    #[test]
    fn a_give_up_of_zero_counts_as_one() {
        let never = Slowdown {
            give_up_after: 0,
            ..slowdown()
        };
        assert_eq!(next_poll_in(MINUTE, 0, never), MINUTE);
        assert_eq!(next_poll_in(MINUTE, 1, never), MINUTE * 2);
    }

    /// The poller slows down exactly when the link state it tells says unreachable, and is back
    /// to its interval with the answer that makes it normal.
    #[test]
    fn slowing_follows_the_link_state_told() {
        use Exchange::{Answered, Failed};
        let told = [
            Some(Failed),
            Some(Failed),
            None,
            Some(Failed),
            Some(Failed),
            Some(Answered),
            Some(Failed),
        ];
        let mut failures = 0;
        let mut link = LinkState::Normal;
        for exchange in told {
            failures = failures_after(failures, exchange);
            if let Some(exchange) = exchange {
                link = link.after(exchange, slowdown().give_up_after, Timestamp(0));
            }
            let slowed = next_poll_in(MINUTE, failures, slowdown()) > MINUTE;
            let unreachable = matches!(link, LinkState::Unreachable { .. });
            assert_eq!(
                slowed, unreachable,
                "{exchange:?} → {link:?}, {failures} failures"
            );
        }
    }
}
