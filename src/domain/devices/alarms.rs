//! Alarms that never cry wolf. A condition must hold for a pending period before it raises
//! an alarm and stay gone for a while before the alarm clears (a value flickering about its
//! threshold is one alarm, not twenty); a value has a raise and a clear threshold apart; and
//! devices that fall quiet together are one incident — behind one DTU, in one township, or
//! across the county's 4G — not one alarm each.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// How long a condition must hold before it raises, and stay gone before it clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debounce {
    /// Milliseconds a condition holds before the alarm is raised.
    pub pending_ms: i64,
    /// Milliseconds a condition stays gone before the alarm clears.
    pub clear_ms: i64,
}

/// Where one device's condition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Condition {
    /// Not holding.
    Quiet,
    /// Holding since `since`, not yet long enough to raise.
    Pending {
        /// When it began to hold.
        since: Timestamp,
    },
    /// Raised.
    Raised,
    /// Raised, and gone since `since`, not yet long enough to clear.
    Clearing {
        /// When it stopped holding.
        since: Timestamp,
    },
}

/// What a step of a condition does to its alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Raise it (or count one more occurrence of the one open).
    Raise,
    /// Clear it.
    Clear,
}

impl Condition {
    /// The state after seeing whether the condition `holds` at `now`, and the edge, if any.
    #[must_use]
    pub fn step(self, holds: bool, now: Timestamp, debounce: Debounce) -> (Self, Option<Edge>) {
        let elapsed = |since: Timestamp, ms: i64| now.0 - since.0 >= ms;
        match (self, holds) {
            (Self::Quiet | Self::Pending { .. }, false) => (Self::Quiet, None),
            (Self::Quiet, true) => Self::Pending { since: now }.step(true, now, debounce),
            (Self::Pending { since }, true) if elapsed(since, debounce.pending_ms) => {
                (Self::Raised, Some(Edge::Raise))
            }
            (Self::Raised | Self::Clearing { .. }, true) => (Self::Raised, None),
            (Self::Raised, false) => Self::Clearing { since: now }.step(false, now, debounce),
            (Self::Clearing { since }, false) if elapsed(since, debounce.clear_ms) => {
                (Self::Quiet, Some(Edge::Clear))
            }
            // Still waiting out the pending or the quiet period.
            (Self::Pending { .. }, true) | (Self::Clearing { .. }, false) => (self, None),
        }
    }
}

/// A threshold with a gap between raising and clearing: over `raise_at` holds, and keeps
/// holding until the value is back past `clear_at` (for a low alarm, `raise_at < clear_at`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// The value that raises.
    pub raise_at: f64,
    /// The value that lets it clear.
    pub clear_at: f64,
}

impl Threshold {
    /// Whether the condition holds at `value`, given whether it held before.
    pub fn holds(self, value: f64, held: bool) -> bool {
        let high = self.raise_at >= self.clear_at;
        match (high, held) {
            (true, false) => value >= self.raise_at,
            (true, true) => value > self.clear_at,
            (false, false) => value <= self.raise_at,
            (false, true) => value < self.clear_at,
        }
    }
}

/// A device gone quiet, as the grouping sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quiet {
    /// The device.
    pub device: String,
    /// Its township's code.
    pub township: u32,
    /// The DTU it sits behind, if any.
    pub dtu: Option<String>,
    /// Whether it reports over the county's 4G network.
    pub cellular: bool,
}

/// When quiet devices count as one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grouping {
    /// Quiet devices in one township from which they are one incident.
    pub township_min: usize,
    /// The share (per cent) of the county's 4G devices from which they are one incident.
    pub cellular_percent: usize,
}

/// One thing gone wrong, with every device it explains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "key")]
pub enum Scope {
    /// The central's link to the MQTT broker: every MQTT device is quiet behind it.
    Broker,
    /// The county's 4G network.
    Cellular,
    /// A DTU, and every board behind it.
    Dtu(String),
    /// A township's devices.
    Township(u32),
    /// One device alone.
    Device(String),
}

/// Devices quiet together, as one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// What went wrong.
    pub scope: Scope,
    /// The devices it explains.
    pub devices: Vec<String>,
}

/// The incidents `quiet` devices (of `cellular_total` on 4G in the county) come to: the widest
/// cause first — the county's 4G, then each DTU, then each township — and what is left one
/// device each.
pub fn incidents(quiet: &[Quiet], cellular_total: usize, rules: Grouping) -> Vec<Incident> {
    let mut left: Vec<&Quiet> = quiet.iter().collect();
    let mut found = Vec::new();
    let cellular = left.iter().filter(|q| q.cellular).count();
    // A share of a handful is no network fault: one quiet device of two is its own.
    let enough = cellular >= rules.township_min.max(2);
    if enough && cellular * 100 >= cellular_total * rules.cellular_percent {
        found.push(take(&mut left, Scope::Cellular, |q| q.cellular));
    }
    for (dtu, n) in counts(&left, |q| q.dtu.clone()) {
        if n >= 2 {
            let key = Some(dtu.clone());
            found.push(take(&mut left, Scope::Dtu(dtu), |q| q.dtu == key));
        }
    }
    for (township, n) in counts(&left, |q| Some(q.township)) {
        if n >= rules.township_min.max(2) {
            found.push(take(&mut left, Scope::Township(township), |q| {
                q.township == township
            }));
        }
    }
    found.extend(left.into_iter().map(|q| Incident {
        scope: Scope::Device(q.device.clone()),
        devices: vec![q.device.clone()],
    }));
    found
}

fn counts<K: Ord>(quiet: &[&Quiet], key: impl Fn(&Quiet) -> Option<K>) -> BTreeMap<K, usize> {
    let mut counts = BTreeMap::new();
    for k in quiet.iter().filter_map(|q| key(q)) {
        *counts.entry(k).or_insert(0) += 1;
    }
    counts
}

/// Takes the devices `matching` out of `left` as one incident of `scope`.
fn take(left: &mut Vec<&Quiet>, scope: Scope, matching: impl Fn(&Quiet) -> bool) -> Incident {
    let (taken, kept): (Vec<&Quiet>, Vec<&Quiet>) = left.iter().partition(|q| matching(q));
    *left = kept;
    Incident {
        scope,
        devices: taken.into_iter().map(|q| q.device.clone()).collect(),
    }
}

#[cfg(test)]
mod tests;
