//! Pacing a robot: at most `limit` sends in any `window_ms` (WeCom: 20 a minute per robot),
//! on the injected clock. Pure: the caller passes "now".
//!
//! A sliding window over the last sends, not a fixed minute: WeCom does not say where its
//! minute starts, and a sliding window never exceeds the limit whatever that is.

use std::collections::{HashMap, VecDeque};

use crate::domain::Timestamp;

/// One robot's recent sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlidingWindow {
    limit: usize,
    window_ms: i64,
    sent: VecDeque<Timestamp>,
    /// Nothing goes before this (set when WeCom itself said "too many").
    held_until: Option<Timestamp>,
}

impl SlidingWindow {
    /// At most `limit` (at least 1) sends in any `window_ms`.
    pub fn new(limit: usize, window_ms: i64) -> Self {
        Self {
            limit: limit.max(1),
            window_ms,
            sent: VecDeque::new(),
            held_until: None,
        }
    }

    /// Takes a slot at `now`, or tells when the next one opens.
    pub fn admit(&mut self, now: Timestamp) -> Result<(), Timestamp> {
        if let Some(until) = self.held_until {
            if now < until {
                return Err(until);
            }
            self.held_until = None;
        }
        while self
            .sent
            .front()
            .is_some_and(|&first| first.plus_ms(self.window_ms) <= now)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= self.limit {
            let oldest = self.sent.front().copied().unwrap_or(now);
            return Err(oldest.plus_ms(self.window_ms));
        }
        self.sent.push_back(now);
        Ok(())
    }

    /// Holds every send for a whole window from `now`: the server said "too many" (another
    /// sender shares the robot, or its minute is not ours).
    pub fn hold(&mut self, now: Timestamp) {
        self.held_until = Some(now.plus_ms(self.window_ms));
    }
}

/// Every robot's window.
#[derive(Debug, Clone)]
pub struct Pacer {
    limit: usize,
    window_ms: i64,
    robots: HashMap<String, SlidingWindow>,
}

impl Pacer {
    /// At most `limit` sends per robot in any `window_ms`.
    pub fn new(limit: usize, window_ms: i64) -> Self {
        Self {
            limit,
            window_ms,
            robots: HashMap::new(),
        }
    }

    fn window(&mut self, robot: &str) -> &mut SlidingWindow {
        let (limit, window_ms) = (self.limit, self.window_ms);
        self.robots
            .entry(robot.to_owned())
            .or_insert_with(|| SlidingWindow::new(limit, window_ms))
    }

    /// Takes a slot for `robot` at `now`, or tells when its next one opens.
    pub fn admit(&mut self, robot: &str, now: Timestamp) -> Result<(), Timestamp> {
        self.window(robot).admit(now)
    }

    /// Holds `robot` for a whole window from `now`.
    pub fn hold(&mut self, robot: &str, now: Timestamp) {
        self.window(robot).hold(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// A case: its name, the send times, and each send's answer (the next slot if refused).
    type Case = (&'static str, &'static [i64], &'static [Result<(), i64>]);

    /// Sends at the given offsets (ms) through a 3-per-minute window: which are admitted, and
    /// for the refused ones when the next slot opens.
    #[test]
    fn a_window_admits_its_limit_and_names_the_next_slot() {
        let table: [Case; 5] = [
            ("under the limit", &[0, 1, 2], &[Ok(()), Ok(()), Ok(())]),
            (
                "the fourth in a minute waits for the first to age out",
                &[0, 10, 20, 30],
                &[Ok(()), Ok(()), Ok(()), Err(MIN)],
            ),
            (
                "exactly a window later the first slot is free again",
                &[0, 10, 20, MIN],
                &[Ok(()), Ok(()), Ok(()), Ok(())],
            ),
            (
                "a refusal takes no slot",
                &[0, 10, 20, 30, 40, MIN],
                &[Ok(()), Ok(()), Ok(()), Err(MIN), Err(MIN), Ok(())],
            ),
            (
                "a burst late in one minute is still three per sliding minute",
                &[59_000, 59_500, 59_900, MIN + 1_000, MIN + 59_000],
                &[Ok(()), Ok(()), Ok(()), Err(MIN + 59_000), Ok(())],
            ),
        ];
        for (case, at, expected) in table {
            let mut window = SlidingWindow::new(3, MIN);
            let got: Vec<_> = at
                .iter()
                .map(|&t| window.admit(Timestamp(t)).map_err(|next| next.0))
                .collect();
            assert_eq!(got, expected, "{case}");
        }
    }

    #[test]
    fn a_hold_refuses_everything_for_a_window() {
        let mut window = SlidingWindow::new(20, MIN);
        window.hold(Timestamp(1_000));
        assert_eq!(window.admit(Timestamp(1_000)), Err(Timestamp(MIN + 1_000)));
        assert_eq!(window.admit(Timestamp(MIN)), Err(Timestamp(MIN + 1_000)));
        assert_eq!(window.admit(Timestamp(MIN + 1_000)), Ok(()));
    }

    #[test]
    fn robots_are_paced_apart() {
        let mut pacer = Pacer::new(1, MIN);
        assert_eq!(pacer.admit("duty", Timestamp(0)), Ok(()));
        assert_eq!(pacer.admit("duty", Timestamp(1)), Err(Timestamp(MIN)));
        assert_eq!(pacer.admit("township", Timestamp(1)), Ok(()));
        pacer.hold("township", Timestamp(2));
        assert_eq!(pacer.admit("duty", Timestamp(MIN)), Ok(()));
        assert_eq!(
            pacer.admit("township", Timestamp(MIN)),
            Err(Timestamp(MIN + 2))
        );
    }
}
