//! An ingest batch parsed at the edge: each raw JSON record becomes a checked
//! [`IngestRecord`] for the store, or a refusal reported by its index. The store never sees
//! JSON.

use crate::domain::Timestamp;
use crate::domain::observation::IngestRecord;

use super::dto::{ObservationRecord, RecordError};

/// A batch after parsing: the records the store is given, and those refused whole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedBatch {
    /// The records that parsed, in batch order.
    pub records: Vec<IngestRecord>,
    /// The records refused at parsing, by index in the batch.
    pub refused: Vec<(usize, RecordError)>,
}

/// Parses every record of a batch, judging times against `now`. A record that does not parse
/// is refused on its own; the others go on.
pub fn parse_batch(raw: &[serde_json::Value], now: Timestamp) -> ParsedBatch {
    let mut batch = ParsedBatch::default();
    for (index, record) in raw.iter().enumerate() {
        match ObservationRecord::parse_json(record, now) {
            // Flags a device sends are dropped: quality control is the central's own judgement.
            Ok(parsed) => batch.records.push(IngestRecord {
                index,
                observation: parsed.observation,
                value_errors: parsed.value_errors,
            }),
            Err(error) => batch.refused.push((index, error)),
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::{Element, StationId};

    #[test]
    fn records_that_parse_go_on_and_the_others_are_refused_by_index() {
        let now = Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap();
        let raw = [
            json!({"station": "58819", "time": "2026-11-27T09:59:00Z", "values": {"TEM": 1.5}}),
            json!({"station": "58819"}),
            json!({"station": "58819", "time": "2026-11-27T09:58:00Z",
                   "values": {"TEM": 2.5, "RHU": 130}}),
            json!({"station": "58819", "time": "yesterday", "values": {}}),
        ];
        let batch = parse_batch(&raw, now);
        let indexes: Vec<usize> = batch.records.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [0, 2]);
        let second = &batch.records[1];
        assert_eq!(
            second.observation.station,
            StationId::parse("58819").unwrap()
        );
        assert_eq!(second.observation.values.get(&Element::Tem), Some(&2.5));
        assert_eq!(second.observation.values.len(), 1, "RHU 130 is refused");
        assert_eq!(second.value_errors.len(), 1);
        let refused: Vec<usize> = batch.refused.iter().map(|(i, _)| *i).collect();
        assert_eq!(refused, [1, 3]);
        assert!(matches!(batch.refused[0].1, RecordError::Malformed(_)));
        assert!(matches!(batch.refused[1].1, RecordError::BadTime(_)));
    }
}
