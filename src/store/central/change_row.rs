//! How a change-log row stores its change. Most kinds are their JSON (`{"kind", "data"}`), but
//! the `hours` change that every write appends is stored as a few bytes: station keys, element
//! ids and whole hours as varints instead of ids, codes and RFC 3339 texts. A live minute of
//! 16 stations × 8 elements then costs a row of a few dozen bytes rather than half a kilobyte,
//! and the wire shape (JSON, read back from these bytes) does not change.
//!
//! Layout (after a version byte): groups; per group the start in whole hours since the epoch,
//! the station keys, and the element ids, each list prefixed by its length.

use std::collections::HashMap;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use crate::domain::time::HOUR_MS;
use crate::domain::{Element, StationId, Timestamp};
use crate::protocol::{ChangeData, HourGroup, HoursChange};
use crate::store::StoreError;
use crate::store::chunk::bits::{get_uvarint, put_uvarint};
use crate::store::observations::existing_station_key;

const VERSION: u8 = 1;

/// The kind beside the row (older rows have none: their JSON says it), so a desk's replay of
/// some kinds filters without reading the data.
pub const KIND_COLUMN: &str = "ALTER TABLE change_log ADD COLUMN kind TEXT;";

/// What a row stores for `data`: the compact bytes of an `hours` change whose stations all
/// have storage keys, else the change's JSON.
pub fn stored(conn: &Connection, data: &ChangeData) -> Result<SqlValue, StoreError> {
    let compact = match data {
        ChangeData::Hours(hours) => encode_hours(hours, |id| {
            let id = StationId::parse(id).ok()?;
            existing_station_key(conn, &id).ok().flatten()
        }),
        _ => None,
    };
    match compact {
        Some(bytes) => Ok(SqlValue::Blob(bytes)),
        None => serde_json::to_string(data)
            .map(SqlValue::Text)
            .map_err(|e| StoreError::Decode(e.to_string())),
    }
}

/// The row's bytes for `change`, with stations by their storage keys (`key_of`).
pub fn encode_hours(
    change: &HoursChange,
    mut key_of: impl FnMut(&str) -> Option<i64>,
) -> Option<Vec<u8>> {
    let mut bytes = vec![VERSION];
    put_uvarint(&mut bytes, change.hours.len() as u64);
    for group in &change.hours {
        let start = group.start.millis();
        if start % HOUR_MS != 0 || start < 0 {
            return None;
        }
        put_uvarint(&mut bytes, (start / HOUR_MS) as u64);
        put_uvarint(&mut bytes, group.stations.len() as u64);
        for station in &group.stations {
            put_uvarint(&mut bytes, u64::try_from(key_of(station)?).ok()?);
        }
        put_uvarint(&mut bytes, group.elements.len() as u64);
        for code in &group.elements {
            let element: Element = code.parse().ok()?;
            put_uvarint(&mut bytes, u64::from(element.storage_id()));
        }
    }
    Some(bytes)
}

/// The change [`encode_hours`] wrote, stations named again through `ids` (key → id).
pub fn decode_hours(mut bytes: &[u8], ids: &HashMap<i64, StationId>) -> Option<HoursChange> {
    let (&version, rest) = bytes.split_first()?;
    if version != VERSION {
        return None;
    }
    bytes = rest;
    let groups = get_uvarint(&mut bytes)?;
    let mut hours = Vec::new();
    for _ in 0..groups {
        let hour = i64::try_from(get_uvarint(&mut bytes)?).ok()?;
        let stations = (0..get_uvarint(&mut bytes)?)
            .map(|_| {
                let key = i64::try_from(get_uvarint(&mut bytes)?).ok()?;
                Some(ids.get(&key)?.to_string())
            })
            .collect::<Option<Vec<_>>>()?;
        let elements = (0..get_uvarint(&mut bytes)?)
            .map(|_| {
                let id = u8::try_from(get_uvarint(&mut bytes)?).ok()?;
                Some(Element::from_storage_id(id)?.code().to_owned())
            })
            .collect::<Option<Vec<_>>>()?;
        hours.push(HourGroup {
            start: Timestamp(hour.checked_mul(HOUR_MS)?),
            stations,
            elements,
        });
    }
    bytes.is_empty().then_some(HoursChange { hours })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> HashMap<i64, StationId> {
        [(1, "58819"), (2, "708301"), (300, "708315")]
            .into_iter()
            .map(|(k, id)| (k, StationId::parse(id).unwrap()))
            .collect()
    }

    fn key_of(id: &str) -> Option<i64> {
        ids()
            .into_iter()
            .find(|(_, s)| s.as_str() == id)
            .map(|(k, _)| k)
    }

    fn group(hour: i64, stations: &[&str], elements: &[&str]) -> HourGroup {
        HourGroup {
            start: Timestamp(hour * HOUR_MS),
            stations: stations.iter().map(|&s| s.to_owned()).collect(),
            elements: elements.iter().map(|&e| e.to_owned()).collect(),
        }
    }

    #[test]
    fn hours_round_trip_in_a_few_bytes() {
        let cases = [
            HoursChange { hours: vec![] },
            HoursChange {
                hours: vec![group(
                    493_000,
                    &["58819", "708301", "708315"],
                    &["TEM", "RHU"],
                )],
            },
            HoursChange {
                hours: vec![
                    group(0, &["708315"], &["PRE_1h"]),
                    group(493_001, &["58819"], &["TEM", "WIN_S_Inst_Max", "VIS"]),
                ],
            },
        ];
        for change in cases {
            let bytes = encode_hours(&change, key_of).unwrap();
            assert_eq!(decode_hours(&bytes, &ids()), Some(change.clone()));
            let json = serde_json::to_string(&change).unwrap();
            assert!(
                bytes.len() * 4 <= json.len().max(12),
                "{} vs {json}",
                bytes.len()
            );
        }
    }

    #[test]
    fn what_cannot_be_stored_compactly_is_said() {
        let unknown_station = HoursChange {
            hours: vec![group(1, &["708399"], &["TEM"])],
        };
        assert_eq!(encode_hours(&unknown_station, key_of), None);
        let off_the_hour = HoursChange {
            hours: vec![HourGroup {
                start: Timestamp(HOUR_MS + 1),
                ..group(1, &["58819"], &["TEM"])
            }],
        };
        assert_eq!(encode_hours(&off_the_hour, key_of), None);
        let bytes = encode_hours(
            &HoursChange {
                hours: vec![group(1, &["58819"], &["TEM"])],
            },
            key_of,
        )
        .unwrap();
        assert_eq!(
            decode_hours(&bytes[..bytes.len() - 1], &ids()),
            None,
            "truncated"
        );
        assert_eq!(decode_hours(&[9], &ids()), None, "unknown version");
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_hours(&longer, &ids()), None, "trailing bytes");
    }
}
