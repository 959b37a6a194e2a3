//! Maintenance windows: a technician records when a station is being worked on, so the
//! silence or odd values of that time are explained, not mistaken for faults.

use serde::{Deserialize, Serialize};

use super::network::StationId;
use super::time::Timestamp;

/// A period when a station was (or is) under maintenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    /// The central's id for it.
    pub id: u64,
    /// The station.
    pub station: StationId,
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, exclusive; `None` while it lasts.
    pub to: Option<Timestamp>,
    /// What was done, in the technician's words.
    pub note: String,
    /// Who recorded it.
    pub recorded_by: String,
}

impl MaintenanceWindow {
    /// Whether the window overlaps the open interval `(after, before)`; an open window
    /// reaches to the end of time.
    pub fn overlaps(&self, after: Timestamp, before: Timestamp) -> bool {
        self.from < before && self.to.is_none_or(|to| to > after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_of_open_intervals() {
        let window = |from: i64, to: Option<i64>| MaintenanceWindow {
            id: 1,
            station: StationId::parse("58819").unwrap(),
            from: Timestamp(from),
            to: to.map(Timestamp),
            note: String::new(),
            recorded_by: "tech".into(),
        };
        let cases = [
            (window(10, Some(20)), (0, 10), false),
            (window(10, Some(20)), (0, 11), true),
            (window(10, Some(20)), (19, 30), true),
            (window(10, Some(20)), (20, 30), false),
            (window(10, None), (1_000, 2_000), true),
            (window(10, None), (0, 10), false),
        ];
        for (w, (after, before), overlaps) in cases {
            assert_eq!(
                w.overlaps(Timestamp(after), Timestamp(before)),
                overlaps,
                "{w:?} {after} {before}"
            );
        }
    }
}
