//! Skipping the archive a central already holds. A restart re-sends a year of hourly records
//! the central answers as duplicates — correct, but seconds of work for it each time. A device
//! key may not read what the central holds, so the runner asks by sending: before each archive
//! batch, its first and last record alone. When the central already holds both, it holds the
//! batch (an archive goes out oldest first, so what a central holds of it ends, not starts, with
//! a gap) and the batch is skipped; at the first batch that is not held, probing stops and
//! everything from there is sent.
//!
//! One gap does end with records after it: a run that stopped while a station's link was down
//! never sent that station's last hours (an outage lasts at most 4 h). So of a run of skipped
//! batches, the last one is sent anyway, when probing stops or the archive ends — at least 4 h
//! of records, for batches of at least 4 h × the stations.
//!
//! The probe's records, when new, are stored a moment ahead of their batch: on a fresh central
//! the first batch's last record comes first. Nothing else leaves the archive's order.

use std::mem;

use super::super::simulator::Delivery;
use crate::domain::{Observation, Source};
use crate::protocol::{IngestResponse, RecordStatus};

/// Whether a delivery belongs to the archive.
pub fn is_archive(delivery: &Delivery) -> bool {
    delivery.source == Source::Imported
}

/// Where probing stands.
#[derive(Debug)]
pub struct ArchiveProbe {
    /// No archive batch was found missing yet, and the archive has not ended.
    active: bool,
    /// The last batch skipped: sent after all when probing stops.
    last_skipped: Vec<Delivery>,
}

impl ArchiveProbe {
    /// Probing, from the first archive batch.
    pub fn new() -> Self {
        Self {
            active: true,
            last_skipped: Vec::new(),
        }
    }

    /// Whether batches are still probed.
    pub fn active(&self) -> bool {
        self.active
    }

    /// The records to probe the batch `batch` (of `deliveries`) with: its first and last, if it
    /// is an archive batch and probing goes on.
    pub fn records(
        &self,
        deliveries: &[Delivery],
        batch: &[Observation],
    ) -> Option<Vec<Observation>> {
        if !self.active || !deliveries.iter().all(is_archive) {
            return None;
        }
        let (first, rest) = batch.split_first()?;
        Some(std::iter::once(first).chain(rest.last()).cloned().collect())
    }

    /// Records the central's answer to a probe of `probed` records for the batch `deliveries`:
    /// whether the batch is held (skip it); otherwise probing stops.
    pub fn answered(
        &mut self,
        response: &IngestResponse,
        probed: usize,
        deliveries: &[Delivery],
    ) -> bool {
        let held = holds_all(response, probed);
        if held {
            self.last_skipped = deliveries.to_vec();
        } else {
            self.active = false;
        }
        held
    }

    /// Stops probing; returns the last batch skipped, to send after all.
    pub fn stop(&mut self) -> Vec<Delivery> {
        self.active = false;
        mem::take(&mut self.last_skipped)
    }
}

/// Whether the central answered that it already held every one of `count` records.
pub fn holds_all(response: &IngestResponse, count: usize) -> bool {
    response.results.len() == count
        && response
            .results
            .iter()
            .all(|r| r.status == RecordStatus::Duplicate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{StationId, Timestamp};
    use crate::protocol::RecordResult;

    fn answer(statuses: &[RecordStatus]) -> IngestResponse {
        let results = statuses
            .iter()
            .enumerate()
            .map(|(index, &status)| RecordResult {
                index,
                status,
                stored_values: 0,
                errors: Vec::new(),
                refusals: Vec::new(),
            })
            .collect();
        IngestResponse {
            stored: 0,
            duplicate: 0,
            partial: 0,
            rejected: 0,
            results,
        }
    }

    #[test]
    fn only_an_answer_of_all_duplicates_means_held() {
        use RecordStatus::{Duplicate, Partial, Rejected, Stored};
        let cases: [(&[RecordStatus], usize, bool); 6] = [
            (&[Duplicate, Duplicate], 2, true),
            (&[Duplicate], 1, true),
            (&[Duplicate, Stored], 2, false),
            (&[Partial, Duplicate], 2, false),
            (&[Rejected, Rejected], 2, false),
            (&[Duplicate], 2, false),
        ];
        for (statuses, count, held) in cases {
            assert_eq!(holds_all(&answer(statuses), count), held, "{statuses:?}");
        }
    }

    fn delivery(station: usize, source: Source) -> Delivery {
        Delivery {
            station,
            time: Timestamp(3_600_000),
            source,
        }
    }

    fn observation(station: &str) -> Observation {
        Observation {
            station: StationId::parse(station).unwrap(),
            time: Timestamp(3_600_000),
            source: Source::Imported,
            values: [(crate::domain::Element::Tem, 10.0)].into(),
        }
    }

    #[test]
    fn probes_archive_batches_by_their_ends_until_one_is_missing() {
        let mut probe = ArchiveProbe::new();
        let archive = [0, 1, 2].map(|s| delivery(s, Source::Imported));
        let batch = ["58819", "708301", "708302"].map(observation);
        let probed = probe.records(&archive, &batch).unwrap();
        assert_eq!(probed, [batch[0].clone(), batch[2].clone()]);
        assert_eq!(
            probe.records(&archive[..1], &batch[..1]).unwrap(),
            [batch[0].clone()]
        );
        let minutes = [delivery(0, Source::Live), delivery(1, Source::Backfilled)];
        assert!(
            probe.records(&minutes, &batch[..2]).is_none(),
            "minutes are sent"
        );

        let held = answer(&[RecordStatus::Duplicate, RecordStatus::Duplicate]);
        assert!(probe.answered(&held, 2, &archive));
        assert!(probe.active());
        let missing = answer(&[RecordStatus::Duplicate, RecordStatus::Stored]);
        assert!(!probe.answered(&missing, 2, &archive[..2]));
        assert!(!probe.active());
        assert!(
            probe.records(&archive, &batch).is_none(),
            "probing has stopped"
        );
        assert_eq!(
            probe.stop(),
            archive,
            "the last batch skipped goes after all"
        );
        assert!(probe.stop().is_empty(), "once");
    }
}
