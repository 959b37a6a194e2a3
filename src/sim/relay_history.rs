//! What a simulated greenhouse's relays did, as the central's command history tells it: each
//! observed command switched its relay to its target at the moment the central observed it.
//! The greenhouse's physics reads how long each relay was on over a recent window, so its
//! readings are a function of time, weather and this history alone: a restart that reads the
//! same history tells the same story.

use std::collections::BTreeMap;

use crate::domain::Timestamp;
use crate::domain::relays::{Command, CommandState, Switch};

/// A relay switched to `state` at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switched {
    /// The relay's channel.
    pub channel: u16,
    /// Its state from then on.
    pub state: Switch,
    /// When.
    pub at: Timestamp,
}

/// A device's relay switches, oldest first; every relay is off before its first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayHistory {
    switches: Vec<Switched>,
}

impl RelayHistory {
    /// The history of `switches`, in any order.
    pub fn new(mut switches: Vec<Switched>) -> Self {
        switches.sort_by_key(|s| (s.at, s.channel));
        Self { switches }
    }

    /// The history the observed ones of `commands` tell (the others switched nothing known).
    pub fn from_commands(commands: &[Command]) -> Self {
        let switches = commands
            .iter()
            .filter(|c| c.state == CommandState::Observed)
            .filter_map(|c| {
                c.observed_at.map(|at| Switched {
                    channel: c.channel,
                    state: c.target,
                    at,
                })
            })
            .collect();
        Self::new(switches)
    }

    /// Relay `channel`'s state at `t`.
    pub fn state_at(&self, channel: u16, t: Timestamp) -> Switch {
        self.switches
            .iter()
            .rfind(|s| s.channel == channel && s.at <= t)
            .map_or(Switch::Off, |s| s.state)
    }

    /// Each of `channels`' state at `t`: where a responder starts.
    pub fn states_at(
        &self,
        channels: impl IntoIterator<Item = u16>,
        t: Timestamp,
    ) -> BTreeMap<u16, Switch> {
        channels
            .into_iter()
            .map(|c| (c, self.state_at(c, t)))
            .collect()
    }

    /// The share of `[from, to)` relay `channel` was on, 0–1.
    pub fn on_fraction(&self, channel: u16, from: Timestamp, to: Timestamp) -> f64 {
        let span = to.0 - from.0;
        if span <= 0 {
            return 0.0;
        }
        let mut on_ms = 0;
        let mut state = self.state_at(channel, from);
        let mut since = from;
        for switch in self
            .switches
            .iter()
            .filter(|s| s.channel == channel && s.at > from && s.at < to)
        {
            if state == Switch::On {
                on_ms += switch.at.0 - since.0;
            }
            state = switch.state;
            since = switch.at;
        }
        if state == Switch::On {
            on_ms += to.0 - since.0;
        }
        on_ms as f64 / span as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_765_100_000_000);
    const MIN: i64 = 60_000;

    fn at(minutes: i64) -> Timestamp {
        T0.plus_ms(minutes * MIN)
    }

    fn history() -> RelayHistory {
        RelayHistory::new(vec![
            Switched {
                channel: 1,
                state: Switch::Off,
                at: at(30),
            },
            Switched {
                channel: 1,
                state: Switch::On,
                at: at(10),
            },
            Switched {
                channel: 2,
                state: Switch::On,
                at: at(0),
            },
        ])
    }

    #[test]
    fn states_and_shares_on_follow_the_switches() {
        let h = history();
        let cases = [
            // (channel, from, to, state at `to`, share on)
            (1, 0, 10, Switch::On, 0.0),
            (1, 0, 20, Switch::On, 0.5),
            (1, 10, 30, Switch::Off, 1.0),
            (1, 20, 40, Switch::Off, 0.5),
            (1, 40, 60, Switch::Off, 0.0),
            (2, -10, 10, Switch::On, 0.5),
            (3, 0, 60, Switch::Off, 0.0),
        ];
        for (channel, from, to, state, share) in cases {
            assert_eq!(h.state_at(channel, at(to)), state, "{channel} at {to}");
            let got = h.on_fraction(channel, at(from), at(to));
            assert!((got - share).abs() < 1e-9, "{channel} {from}..{to}: {got}");
        }
        assert_eq!(
            h.states_at(1..=3, at(20)),
            BTreeMap::from([(1, Switch::On), (2, Switch::On), (3, Switch::Off)])
        );
    }
}
