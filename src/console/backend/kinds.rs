//! The change kinds this desk reads: one registry entry per kind, naming it and decoding its
//! data into a [`CacheChange`] (which the cache applies). A new synced entity adds its entry
//! here and its variant to `CacheChange`; sync, the cursor and the skipped-kinds record need
//! no edit.
//!
//! A batch of the feed is decoded kind first: a kind the desk does not read (not in the
//! registry, or left out of the kinds a test desk was built to know), or one whose data does
//! not decode, is skipped and counted, never a stopped sync.

use std::collections::BTreeSet;

use super::client::FeedBatch;
use crate::domain::callout::LineStep;
use crate::domain::devices::Device;
use crate::domain::devices::alarm_book::AlarmRecord;
use crate::domain::relays::Command;
use crate::domain::{Station, StationId, Timestamp};
use crate::protocol::StationDto;
use crate::protocol::callout::{CalloutChange, LineState};
use crate::protocol::devices::DeviceStatusChange;
use crate::protocol::relays::{Proposal, RelayStateChange};
use crate::protocol::warnings::WarningRecord;
use crate::protocol::{
    Change, Cursor, HoursChange, MaintenanceDto, ObservationRecord, QcChange, kind,
};
use crate::store::cache::{CacheChange, HourChunk, SyncBatch};

/// One change kind the desk reads.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Its name on the wire.
    pub name: &'static str,
    /// Its data, in domain terms.
    pub decode: fn(&Change) -> Result<CacheChange, String>,
}

/// Every kind this build reads.
pub const REGISTRY: [Kind; 13] = [
    Kind {
        name: kind::HOURS,
        decode: decode_hours,
    },
    Kind {
        name: kind::MAINTENANCE,
        decode: decode_maintenance,
    },
    Kind {
        name: kind::OBSERVATION,
        decode: decode_observation,
    },
    Kind {
        name: kind::QC,
        decode: decode_qc,
    },
    Kind {
        name: kind::WARNING,
        decode: decode_warning,
    },
    Kind {
        name: kind::CALLOUT,
        decode: decode_callout,
    },
    Kind {
        name: kind::STATION,
        decode: decode_station,
    },
    Kind {
        name: kind::DEVICE,
        decode: decode_device,
    },
    Kind {
        name: kind::DEVICE_STATUS,
        decode: decode_device_status,
    },
    Kind {
        name: kind::ALARM,
        decode: decode_alarm,
    },
    Kind {
        name: kind::RELAY_COMMAND,
        decode: decode_relay_command,
    },
    Kind {
        name: kind::RELAY_STATE,
        decode: decode_relay_state,
    },
    Kind {
        name: kind::RELAY_PROPOSAL,
        decode: decode_relay_proposal,
    },
];

/// The names of every kind this build reads.
pub fn all() -> BTreeSet<String> {
    REGISTRY.iter().map(|k| k.name.to_owned()).collect()
}

fn decode_hours(change: &Change) -> Result<CacheChange, String> {
    let hours: HoursChange = change.decode().map_err(|e| e.to_string())?;
    let named = hours
        .series_hours()
        .0
        .into_iter()
        .filter_map(|h| Some((StationId::parse(&h.station).ok()?, h.element, h.start)))
        .collect();
    Ok(CacheChange::Hours(named))
}

fn decode_maintenance(change: &Change) -> Result<CacheChange, String> {
    let window: MaintenanceDto = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Maintenance(window.into()))
}

/// A warning record, checked to be one and kept as the cache stores it (JSON).
fn decode_warning(change: &Change) -> Result<CacheChange, String> {
    let record: WarningRecord = change.decode().map_err(|e| e.to_string())?;
    super::warnings::synced(&record).map(CacheChange::Warning)
}

/// A 叫应 line's step (the board is fetched again; nothing is cached).
fn decode_callout(change: &Change) -> Result<CacheChange, String> {
    let line: CalloutChange = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Callout(LineStep {
        warning: line.warning,
        line: line.line,
        stage: line.stage,
        answered: line.state == LineState::Answered,
    }))
}

/// A station that joined the network (a registered device's), checked to be one.
fn decode_station(change: &Change) -> Result<CacheChange, String> {
    let station: StationDto = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Station(Station::try_from(station)?))
}

/// A device's whole record: the devices screen reads the registry again.
fn decode_device(change: &Change) -> Result<CacheChange, String> {
    let device: Device = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Device(device.id))
}

/// A device's status change: the devices screen reads the registry again.
fn decode_device_status(change: &Change) -> Result<CacheChange, String> {
    let status: DeviceStatusChange = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Device(status.device))
}

/// A device alarm's state: the devices screen reads the alarms again.
fn decode_alarm(change: &Change) -> Result<CacheChange, String> {
    let alarm: AlarmRecord = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Alarm(alarm.id))
}

/// A relay command's step: the devices screen reads the relays again.
fn decode_relay_command(change: &Change) -> Result<CacheChange, String> {
    let command: Command = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Relay(command.device))
}

/// A relay's observed state: the devices screen reads the relays again.
fn decode_relay_state(change: &Change) -> Result<CacheChange, String> {
    let state: RelayStateChange = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Relay(state.device))
}

/// An automation's proposal: the devices screen reads the relays and proposals again.
fn decode_relay_proposal(change: &Change) -> Result<CacheChange, String> {
    let proposal: Proposal = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Relay(proposal.device))
}

/// Protocol 1's copied values. The central validated the record with its own clock, so time
/// is judged only against the far future: a desk with a slow clock still accepts it.
fn decode_observation(change: &Change) -> Result<CacheChange, String> {
    let record: ObservationRecord = change.decode().map_err(|e| e.to_string())?;
    let parsed = record
        .parse(Timestamp(i64::MAX / 2))
        .map_err(|e| e.to_string())?;
    if let Some(error) = parsed.value_errors.first() {
        return Err(error.to_string());
    }
    Ok(CacheChange::Observation {
        observation: parsed.observation,
        qc: parsed.qc,
    })
}

fn decode_qc(change: &Change) -> Result<CacheChange, String> {
    let qc: QcChange = change.decode().map_err(|e| e.to_string())?;
    Ok(CacheChange::Qc {
        station: qc.station,
        time: qc.time,
        flags: qc.flags,
    })
}

/// A batch of the feed as the cache applies it: the changes of `known` kinds decoded, the
/// others counted, with the cursor just before the first one skipped (`from` is where the
/// batch began; `None` for the start of the log). `cursor` is where the cache moves to.
pub fn decode_batch(
    batch: FeedBatch,
    known: &BTreeSet<String>,
    from: Option<&Cursor>,
    cursor: Option<Cursor>,
) -> SyncBatch {
    let mut decoded = SyncBatch {
        cursor: cursor.map(|c| c.as_str().to_owned()),
        ..SyncBatch::default()
    };
    let mut before = from.cloned().unwrap_or_else(Cursor::start);
    for change in &batch.changes {
        let reader = REGISTRY
            .iter()
            .find(|k| k.name == change.kind && known.contains(k.name));
        match reader.map(|k| (k.decode)(change)) {
            Some(Ok(cache_change)) => decoded.changes.push(cache_change),
            outcome => {
                if let Some(Err(reason)) = outcome {
                    tracing::warn!(kind = %change.kind, %reason, "a change did not decode; skipped");
                }
                *decoded.skipped.entry(change.kind.clone()).or_default() += 1;
                if decoded.skipped_from.is_none() {
                    decoded.skipped_from = Some(before.as_str().to_owned());
                }
            }
        }
        before = change.cursor.clone();
    }
    decoded.chunks = batch
        .chunks
        .into_iter()
        .filter_map(|c| {
            Some(HourChunk {
                station: StationId::parse(&c.hour.station).ok()?,
                element: c.hour.element,
                start: c.hour.start,
                bytes: c.data.0,
            })
        })
        .collect();
    decoded
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::Element;
    use crate::protocol::{ChangeData, SeriesHour};
    use serde_json::json;

    fn change(seq: u64, kind: &str, data: serde_json::Value) -> Change {
        Change {
            cursor: Cursor::from_seq(seq),
            recorded_at: Timestamp(0),
            kind: kind.to_owned(),
            data,
        }
    }

    fn hours(seq: u64) -> Change {
        let hour = SeriesHour {
            station: "58819".into(),
            element: Element::Tem,
            start: Timestamp(0),
        };
        Change::new(
            Cursor::from_seq(seq),
            Timestamp(0),
            &ChangeData::Hours(HoursChange::from_hours([&hour])),
        )
    }

    fn batch(changes: Vec<Change>) -> FeedBatch {
        FeedBatch {
            changes,
            chunks: Vec::new(),
            head: Cursor::from_seq(9),
            next: Cursor::from_seq(9),
            behind: 0,
            unreadable_chunks: 0,
        }
    }

    #[test]
    fn unknown_kinds_and_undecodable_data_are_skipped_and_counted() {
        let window = json!({"id": 1, "station": "58819", "from": "1970-01-01T00:00:00Z",
                            "note": "校准", "recorded_by": "chenjie", "later_field": true});
        let changes = vec![
            hours(4),
            change(5, "warning", json!({"level": "red"})),
            change(6, kind::MAINTENANCE, window),
            change(7, kind::MAINTENANCE, json!({"id": "not a number"})),
            change(8, "warning", json!({})),
        ];
        let decoded = decode_batch(
            batch(changes),
            &all(),
            Some(&Cursor::from_seq(3)),
            Some(Cursor::from_seq(8)),
        );
        assert_eq!(decoded.changes.len(), 2, "hours and the good window");
        assert!(matches!(decoded.changes[0], CacheChange::Hours(ref h) if h.len() == 1));
        assert_eq!(
            decoded.skipped,
            BTreeMap::from([("maintenance".to_owned(), 1), ("warning".to_owned(), 2)])
        );
        assert_eq!(
            decoded.skipped_from.as_deref(),
            Some("s1.4"),
            "just before seq 5"
        );
        assert_eq!(decoded.cursor.as_deref(), Some("s1.8"));
    }

    #[test]
    fn a_desk_built_to_know_fewer_kinds_skips_the_rest_from_the_batch_start() {
        let known: BTreeSet<String> = [kind::MAINTENANCE.to_owned()].into();
        let decoded = decode_batch(batch(vec![hours(1), hours(2)]), &known, None, None);
        assert!(decoded.changes.is_empty());
        assert_eq!(decoded.skipped, BTreeMap::from([("hours".to_owned(), 2)]));
        assert_eq!(
            decoded.skipped_from,
            Some(Cursor::start().as_str().to_owned())
        );
        assert_eq!(decoded.cursor, None);
    }
}
