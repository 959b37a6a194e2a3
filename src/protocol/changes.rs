//! The change feed on the wire (protocol 2): what a change is, the pages of `GET /changes`, the
//! events of `GET /stream`, and what a central advertises at `GET /version`.
//!
//! A change is read in two steps: its `kind` first, then its `data` by a decoder that knows
//! that kind. A desk skips (and counts) kinds it does not know, so a central can add kinds
//! without stopping older desks. Fields a decoder does not know are ignored: never deny them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::callout::CalloutChange;
use super::devices::DeviceStatusChange;
use super::dto::ObservationRecord;
use super::dto::StationDto;
use super::feed::{ChunkDto, Cursor, PROTOCOL_VERSION, SeriesHour};
use super::history::{MaintenanceDto, QcChange};
use super::relays::{Proposal, RelayStateChange};
use super::warnings::WarningRecord;
use crate::domain::devices::Device;
use crate::domain::devices::alarm_book::AlarmRecord;
use crate::domain::relays::Command;
use crate::domain::{Element, Timestamp};

/// The change kinds, by the name the wire gives them.
pub mod kind {
    /// Hours of series whose values or flags changed; their chunks travel beside the change.
    pub const HOURS: &str = "hours";
    /// A maintenance window's whole current state.
    pub const MAINTENANCE: &str = "maintenance";
    /// Protocol 1: newly stored values copied into the log. Still served (and applied by
    /// desks) until retention removes the rows an upgraded central wrote before protocol 2.
    pub const OBSERVATION: &str = "observation";
    /// Protocol 1: re-judged flags of values already logged (as [`OBSERVATION`]).
    pub const QC: &str = "qc";
    /// A warning's whole record as the central holds it (`protocol::warnings::WarningRecord`).
    pub const WARNING: &str = "warning";
    /// A 叫应 line's state (`protocol::callout::CalloutChange`): ids, duty, township, state,
    /// stage and times; never a name or a number.
    pub const CALLOUT: &str = "callout";
    /// A station added to (or changed in) the network: the whole station (`StationDto`).
    pub const STATION: &str = "station";
    /// A device registered or changed: its whole registry record.
    pub const DEVICE: &str = "device";
    /// A device's status changed (`protocol::devices::DeviceStatusChange`).
    pub const DEVICE_STATUS: &str = "device_status";
    /// A device alarm's whole state (`domain::devices::alarm_book::AlarmRecord`).
    pub const ALARM: &str = "alarm";
    /// A relay command's whole state (`domain::relays::Command`).
    pub const RELAY_COMMAND: &str = "relay_command";
    /// A relay's observed state changed (`protocol::relays::RelayStateChange`).
    pub const RELAY_STATE: &str = "relay_state";
    /// An automation's proposal, whole (`protocol::relays::Proposal`).
    pub const RELAY_PROPOSAL: &str = "relay_proposal";
}

/// Capabilities of the feed a desk may rely on, advertised at `GET /version`.
pub mod feature {
    /// Pages and stream events carry the current chunk of every hour their changes name.
    pub const CHUNKS: &str = "chunks";
    /// `GET /changes?kinds=a,b` serves only those kinds (a desk replaying what it skipped).
    pub const KINDS_FILTER: &str = "kinds_filter";
    /// `GET /snapshot` and its parts: a desk starts from a snapshot, not the whole log.
    pub const SNAPSHOT: &str = "snapshot";
}

/// The features this build's central serves and its desk expects.
pub const FEATURES: [&str; 3] = [feature::CHUNKS, feature::KINDS_FILTER, feature::SNAPSHOT];

/// The kinds this build's central writes or still serves.
pub const KINDS: [&str; 13] = [
    kind::HOURS,
    kind::MAINTENANCE,
    kind::OBSERVATION,
    kind::QC,
    kind::WARNING,
    kind::CALLOUT,
    kind::STATION,
    kind::DEVICE,
    kind::DEVICE_STATUS,
    kind::ALARM,
    kind::RELAY_COMMAND,
    kind::RELAY_STATE,
    kind::RELAY_PROPOSAL,
];

/// What a change carries, as the central writes it (`{"kind": …, "data": …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum ChangeData {
    /// Hours whose chunks changed in one write transaction.
    Hours(HoursChange),
    /// Protocol 1's copied values (see [`kind::OBSERVATION`]).
    Observation(ObservationRecord),
    /// Protocol 1's re-judged flags (see [`kind::QC`]).
    Qc(QcChange),
    /// A maintenance window was recorded or changed (its whole current state).
    Maintenance(MaintenanceDto),
    /// A warning was submitted, revised, approved, returned or released (its whole record).
    Warning(Box<WarningRecord>),
    /// A 叫应 line was opened, answered or escalated.
    Callout(CalloutChange),
    /// A station joined the network or changed.
    Station(StationDto),
    /// A device was registered or changed.
    Device(Box<Device>),
    /// A device's status changed.
    DeviceStatus(DeviceStatusChange),
    /// A device alarm was raised, cleared, handled or closed.
    Alarm(Box<AlarmRecord>),
    /// A relay command was queued or moved on.
    RelayCommand(Box<Command>),
    /// A relay's observed state changed.
    RelayState(RelayStateChange),
    /// An automation proposed a command, or its proposal was decided.
    RelayProposal(Box<Proposal>),
}

impl ChangeData {
    /// The kind it is written as (its `kind` on the wire).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hours(_) => kind::HOURS,
            Self::Observation(_) => kind::OBSERVATION,
            Self::Qc(_) => kind::QC,
            Self::Maintenance(_) => kind::MAINTENANCE,
            Self::Warning(_) => kind::WARNING,
            Self::Callout(_) => kind::CALLOUT,
            Self::Station(_) => kind::STATION,
            Self::Device(_) => kind::DEVICE,
            Self::DeviceStatus(_) => kind::DEVICE_STATUS,
            Self::Alarm(_) => kind::ALARM,
            Self::RelayCommand(_) => kind::RELAY_COMMAND,
            Self::RelayState(_) => kind::RELAY_STATE,
            Self::RelayProposal(_) => kind::RELAY_PROPOSAL,
        }
    }
}

/// One entry of the central's change log: the unit of sync and of the live stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The position just after this change: resume here to receive the next one.
    pub cursor: Cursor,
    /// When the central accepted it.
    pub recorded_at: Timestamp,
    /// What kind of change it is (see [`kind`]); decides how `data` reads.
    pub kind: String,
    /// The change itself, as its kind describes it.
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Change {
    /// The change `data` at `cursor`.
    pub fn new(cursor: Cursor, recorded_at: Timestamp, data: &ChangeData) -> Self {
        let wire = serde_json::to_value(data).unwrap_or_default();
        let (kind, data) = split_kind(wire);
        Self {
            cursor,
            recorded_at,
            kind,
            data,
        }
    }

    /// The hours this change names (none unless it is an `hours` change that decodes).
    pub fn named_hours(&self) -> Vec<SeriesHour> {
        if self.kind != kind::HOURS {
            return Vec::new();
        }
        self.decode::<HoursChange>()
            .map(|hours| hours.series_hours().0)
            .unwrap_or_default()
    }

    /// This change's data as `T` (the decoder of its kind).
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }
}

/// `{"kind": k, "data": d}` as `(k, d)`; anything else as an unnamed kind.
pub fn split_kind(wire: serde_json::Value) -> (String, serde_json::Value) {
    let serde_json::Value::Object(mut object) = wire else {
        return (String::new(), serde_json::Value::Null);
    };
    let kind = match object.remove("kind") {
        Some(serde_json::Value::String(kind)) => kind,
        _ => String::new(),
    };
    (kind, object.remove("data").unwrap_or_default())
}

/// The hours of series one write transaction changed, grouped compactly: every station of a
/// group changed every element of the group in the hour starting at `start`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursChange {
    /// The groups, by start then stations.
    pub hours: Vec<HourGroup>,
}

/// Stations × elements changed in one hour (element codes stay text, so a desk that does not
/// know an element skips that series rather than the change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourGroup {
    /// The chunks' start.
    pub start: Timestamp,
    /// Station ids.
    pub stations: Vec<String>,
    /// CMA element codes.
    pub elements: Vec<String>,
}

impl HoursChange {
    /// `hours` grouped: per start, stations that changed the same elements share a group.
    pub fn from_hours<'a>(hours: impl IntoIterator<Item = &'a SeriesHour>) -> Self {
        let mut by_station: BTreeMap<(Timestamp, &str), BTreeSet<Element>> = BTreeMap::new();
        for hour in hours {
            by_station
                .entry((hour.start, hour.station.as_str()))
                .or_default()
                .insert(hour.element);
        }
        let mut groups: BTreeMap<(Timestamp, Vec<Element>), Vec<String>> = BTreeMap::new();
        for ((start, station), elements) in by_station {
            let key = (start, elements.into_iter().collect());
            groups.entry(key).or_default().push(station.to_owned());
        }
        let hours = groups
            .into_iter()
            .map(|((start, elements), stations)| HourGroup {
                start,
                stations,
                elements: elements.iter().map(|e| e.code().to_owned()).collect(),
            })
            .collect();
        Self { hours }
    }

    /// Every hour named whose element this build knows (others are skipped: a newer central's
    /// element), and how many were skipped.
    pub fn series_hours(&self) -> (Vec<SeriesHour>, usize) {
        let mut out = Vec::new();
        let mut unknown = 0;
        for group in &self.hours {
            for code in &group.elements {
                let Ok(element) = code.parse::<Element>() else {
                    unknown += group.stations.len();
                    continue;
                };
                out.extend(group.stations.iter().map(|station| SeriesHour {
                    station: station.clone(),
                    element,
                    start: group.start,
                }));
            }
        }
        (out, unknown)
    }
}

/// `GET /api/v1/changes` query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChangesQuery {
    /// The cursor to continue from (a page's `next`, or a change's `cursor`); absent: from
    /// the start of the log.
    #[serde(default)]
    pub after: Option<String>,
    /// Page size (default 1000, at most 10 000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only these kinds, comma-separated (absent: every kind).
    #[serde(default)]
    pub kinds: Option<String>,
}

/// `GET /api/v1/changes` response, and the body of each live-stream event (one change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangesPage {
    /// The changes after the cursor, oldest first.
    pub changes: Vec<Change>,
    /// The current chunk of every hour the changes name, once each (read with the changes).
    #[serde(default)]
    pub chunks: Vec<ChunkDto>,
    /// The newest position in the log when the page was read.
    pub head: Cursor,
    /// Where the next page starts; equal to `head` when the page reached it.
    pub next: Cursor,
    /// Changes after `next` up to `head` (how far behind a desk that applied the page is).
    #[serde(default)]
    pub behind: u64,
}

/// `GET /api/v1/stream` query (the `Last-Event-ID` header, if sent, wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamQuery {
    /// Resume after this cursor; default: only changes from now on.
    #[serde(default)]
    pub after: Option<String>,
}

/// Name of the SSE event that carries a [`ChangesPage`] of one change; its `id` is the
/// change's cursor.
pub const STREAM_EVENT_CHANGE: &str = "change";

/// `GET /api/v1/version`: what this central speaks, for anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The newest protocol it speaks.
    pub protocol: u32,
    /// The oldest protocol its sync routes accept.
    pub min_protocol: u32,
    /// The central's version (`CARGO_PKG_VERSION`).
    pub version: String,
    /// The change kinds its feed serves.
    pub kinds: Vec<String>,
    /// The features it serves (see [`feature`]).
    pub features: Vec<String>,
}

impl VersionInfo {
    /// This build's central.
    pub fn current() -> Self {
        Self {
            protocol: PROTOCOL_VERSION,
            min_protocol: PROTOCOL_VERSION,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            kinds: KINDS.iter().map(|&k| k.to_owned()).collect(),
            features: FEATURES.iter().map(|&f| f.to_owned()).collect(),
        }
    }

    /// Of the `kinds` and `features` a desk relies on, those this central does not serve.
    pub fn lacking(&self, kinds: &BTreeSet<String>, features: &BTreeSet<String>) -> Vec<String> {
        let kinds = kinds.iter().filter(|k| !self.kinds.contains(k));
        let features = features.iter().filter(|f| !self.features.contains(f));
        kinds.chain(features).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_changes_kind_is_the_kind_it_is_written_as() {
        let station = crate::domain::StationId::parse("58819").unwrap();
        let every = [
            ChangeData::Hours(HoursChange::default()),
            ChangeData::Observation(ObservationRecord {
                station: "58819".into(),
                time: "2026-12-07T00:00:00Z".into(),
                source: Default::default(),
                values: BTreeMap::new(),
                qc: BTreeMap::new(),
            }),
            ChangeData::Qc(QcChange {
                station: station.clone(),
                time: Timestamp(0),
                flags: BTreeMap::new(),
            }),
            ChangeData::Maintenance(MaintenanceDto {
                id: 1,
                station,
                from: Timestamp(0),
                to: None,
                note: String::new(),
                recorded_by: "tech".into(),
                visit: None,
            }),
            ChangeData::Warning(Box::new(
                serde_json::from_value(json!({
                    "id": "w1",
                    "content": {"action": "issue", "signal": "rainstorm", "level": "yellow",
                                "area": ["350423100"], "issued_at": "2026-12-07T00:00:00Z",
                                "texts": {}, "recipient_groups": []},
                    "pin": "", "drafter": "zhang", "state": {"state": "submitted"}, "steps": [],
                }))
                .unwrap(),
            )),
        ];
        for data in every {
            let wire = serde_json::to_value(&data).unwrap();
            assert_eq!(wire["kind"], data.kind(), "{wire}");
            assert!(KINDS.contains(&data.kind()));
        }
    }

    fn hour(station: &str, element: Element, start: i64) -> SeriesHour {
        SeriesHour {
            station: station.into(),
            element,
            start: Timestamp(start),
        }
    }

    #[test]
    fn a_change_reads_its_kind_first_and_keeps_unknown_ones() {
        let wire = json!({"cursor": "s1.7", "recorded_at": "1970-01-01T00:00:00Z",
                          "kind": "warning", "data": {"level": "red", "new_field": 1}});
        let change: Change = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(change.kind, "warning");
        assert_eq!(serde_json::to_value(&change).unwrap(), wire);
        let typed = Change::new(
            Cursor::from_seq(7),
            Timestamp(0),
            &ChangeData::Hours(HoursChange::default()),
        );
        assert_eq!(typed.kind, kind::HOURS);
        assert_eq!(
            typed.decode::<HoursChange>().unwrap(),
            HoursChange::default()
        );
    }

    #[test]
    fn hours_group_stations_that_changed_the_same_elements() {
        let hours = [
            hour("58819", Element::Tem, 0),
            hour("58819", Element::Rhu, 0),
            hour("708301", Element::Rhu, 0),
            hour("708301", Element::Tem, 0),
            hour("708302", Element::Tem, 0),
            hour("58819", Element::Tem, 3_600_000),
            hour("58819", Element::Tem, 3_600_000),
        ];
        let change = HoursChange::from_hours(&hours);
        let wire = serde_json::to_value(&change).unwrap();
        assert_eq!(
            wire["hours"],
            json!([
                {"start": "1970-01-01T00:00:00Z", "stations": ["708302"], "elements": ["TEM"]},
                {"start": "1970-01-01T00:00:00Z", "stations": ["58819", "708301"], "elements": ["TEM", "RHU"]},
                {"start": "1970-01-01T01:00:00Z", "stations": ["58819"], "elements": ["TEM"]},
            ])
        );
        let (mut named, unknown) = change.series_hours();
        named.sort();
        let mut expected: Vec<SeriesHour> = hours[..6].to_vec();
        expected.sort();
        assert_eq!((named, unknown), (expected, 0));
    }

    #[test]
    fn an_element_this_build_does_not_know_is_skipped_not_fatal() {
        let change: HoursChange = serde_json::from_value(json!({"hours": [
            {"start": "1970-01-01T00:00:00Z", "stations": ["58819", "708301"],
             "elements": ["TEM", "SOIL_M_10cm"], "extra": true}]}))
        .unwrap();
        let (named, unknown) = change.series_hours();
        assert_eq!(named.len(), 2);
        assert_eq!(unknown, 2);
    }

    #[test]
    fn a_central_lacks_what_it_does_not_advertise() {
        let central = VersionInfo::current();
        let set = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        assert!(central.lacking(&set(&KINDS), &set(&FEATURES)).is_empty());
        assert_eq!(
            central.lacking(&set(&["hours", "relay"]), &set(&["chunks", "relays"])),
            ["relay", "relays"]
        );
    }
}
