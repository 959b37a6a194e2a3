//! Suggestions from observations: when the network's values cross a signal's criteria, the
//! desk proposes a draft for the townships concerned, with the observations that triggered
//! it. Never a send: a forecaster decides.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::catalogue::Level;
use crate::domain::time::Timestamp;
use crate::domain::{Element, StationId};

/// One observed quantity that crossed a criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// The station.
    pub station: StationId,
    /// The element read (e.g. `PRE_1h` summed, `WIN_S_Inst_Max`).
    pub element: Element,
    /// The window the quantity covers, in hours (0: an instant value).
    pub window_h: u32,
    /// The quantity (e.g. 52.4 mm over 3 h; Beaufort force for wind criteria).
    pub value: f64,
    /// The criterion it met or crossed.
    pub threshold: f64,
    /// When the window ends.
    pub at: Timestamp,
}

/// A proposed draft: the highest level the observations support for one signal type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Signal type id, e.g. `rainstorm`.
    pub signal: String,
    /// The level the observations reach.
    pub level: Level,
    /// Township NBS codes of the triggering stations.
    pub townships: BTreeSet<String>,
    /// What triggered it, strongest first.
    pub triggers: Vec<Trigger>,
}
