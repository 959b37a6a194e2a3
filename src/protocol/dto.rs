//! Request and response bodies of `/api/v1`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::geo::LatLon;
use crate::domain::network::{StationKind, TownshipLevel};
use crate::domain::observation::{ObservationError, check_time, check_value};
use crate::domain::qc::QcFlags;
pub use crate::domain::refusal::CodedRefusal;
use crate::domain::refusal::{Code, Params, Refusal};
use crate::domain::{
    Element, Network, Observation, Source, Station, StationId, Timestamp, Township, TownshipCode,
};

/// `GET /api/v1/health`: for anyone, so it says whether the central is sound but not why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"`, or `"degraded"` when the central serves reads but cannot store changes (its
    /// database cannot be written); administrators read why in [`HealthDetail`].
    pub status: String,
    /// The central's version (`CARGO_PKG_VERSION`).
    pub version: String,
    /// The central's clock.
    pub time: String,
    /// Sequence number of the newest change.
    pub head: u64,
    /// Number of stations in the network.
    pub stations: usize,
    /// The central database's random identity; a new value means its change log restarted.
    pub instance: String,
    /// The audit log's newest entry, `SEQ:HASH` (absent from an empty log or an older
    /// central). Desks remember the newest they saw and report a head that goes backwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<String>,
}

/// [`Health::status`] of a sound central.
pub const HEALTH_OK: &str = "ok";
/// [`Health::status`] of a central that serves reads but refuses writes.
pub const HEALTH_DEGRADED: &str = "degraded";

/// `GET /api/v1/health/detail`: the central's health with its reasons, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthDetail {
    /// [`HEALTH_OK`] or [`HEALTH_DEGRADED`].
    pub status: String,
    /// Why it is degraded, for people (empty when ok).
    pub reasons: Vec<String>,
    /// Whether the database was opened read-only (then every write is refused until the
    /// central restarts on a writable file).
    pub read_only: bool,
    /// The database's instance identity.
    pub instance: String,
}

/// A township as the API describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TownshipDto {
    /// NBS 2023 9-digit code.
    pub code: u32,
    /// Official name (龙津镇).
    pub name: String,
    /// `town` (镇) or `township` (乡).
    pub level: TownshipLevel,
    /// Seat latitude.
    pub seat_lat: f64,
    /// Seat longitude.
    pub seat_lon: f64,
    /// False where the seat position is a stand-in.
    pub seat_verified: bool,
}

/// A station as the API describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationDto {
    /// Station id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `national` or `regional`.
    pub kind: StationKind,
    /// Latitude, WGS84/CGCS2000.
    pub lat: f64,
    /// Longitude, WGS84/CGCS2000.
    pub lon: f64,
    /// Observing-field altitude, m.
    pub altitude_m: f64,
    /// NBS code of its township.
    pub township: u32,
    /// What the sources disagree about, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<String>,
}

/// `GET /api/v1/stations`: the whole network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkDto {
    /// Townships.
    pub townships: Vec<TownshipDto>,
    /// Stations.
    pub stations: Vec<StationDto>,
}

impl From<&Network> for NetworkDto {
    fn from(network: &Network) -> Self {
        Self {
            townships: network
                .townships
                .iter()
                .map(|t| TownshipDto {
                    code: t.code.0,
                    name: t.name.clone(),
                    level: t.level,
                    seat_lat: t.seat.lat,
                    seat_lon: t.seat.lon,
                    seat_verified: t.seat_verified,
                })
                .collect(),
            stations: network.stations.iter().map(StationDto::from).collect(),
        }
    }
}

impl From<&Station> for StationDto {
    fn from(s: &Station) -> Self {
        Self {
            id: s.id.to_string(),
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            kind: s.kind,
            lat: s.location.lat,
            lon: s.location.lon,
            altitude_m: s.altitude_m,
            township: s.township.0,
            uncertainty: s.uncertainty.clone(),
        }
    }
}

impl TryFrom<StationDto> for Station {
    type Error = String;

    fn try_from(s: StationDto) -> Result<Self, Self::Error> {
        Ok(Self {
            id: StationId::parse(&s.id).map_err(|e| e.to_string())?,
            name_zh: s.name_zh,
            name_en: s.name_en,
            kind: s.kind,
            location: LatLon::new(s.lat, s.lon),
            altitude_m: s.altitude_m,
            township: TownshipCode(s.township),
            uncertainty: s.uncertainty,
        })
    }
}

impl TryFrom<NetworkDto> for Network {
    type Error = String;

    fn try_from(dto: NetworkDto) -> Result<Self, Self::Error> {
        let townships = dto
            .townships
            .into_iter()
            .map(|t| Township {
                code: TownshipCode(t.code),
                name: t.name,
                level: t.level,
                seat: LatLon::new(t.seat_lat, t.seat_lon),
                seat_verified: t.seat_verified,
            })
            .collect();
        let stations = dto
            .stations
            .into_iter()
            .map(Station::try_from)
            .collect::<Result<_, String>>()?;
        Ok(Self {
            townships,
            stations,
        })
    }
}

/// One observation record on the wire: a station's values at one instant.
///
/// ```json
/// {"station": "58819", "time": "2026-11-27T10:00:00Z", "source": "live",
///  "values": {"TEM": 12.3, "RHU": 85, "PRE_1h": 0.0}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationRecord {
    /// Station id.
    pub station: String,
    /// Observation time, RFC 3339 (UTC recommended).
    pub time: String,
    /// Provenance; `live` when omitted.
    #[serde(default)]
    pub source: Source,
    /// Values by CMA element code. Kept as raw JSON so one bad value is reported, not fatal.
    pub values: BTreeMap<String, serde_json::Value>,
    /// QC flags of values that failed a test, by element code (absent: all passed, or not
    /// yet judged). Set by the central in its change log; ignored on ingest, where quality
    /// control is the central's own job.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub qc: BTreeMap<String, QcFlags>,
}

impl From<&Observation> for ObservationRecord {
    fn from(obs: &Observation) -> Self {
        Self {
            station: obs.station.to_string(),
            time: obs.time.to_rfc3339(),
            source: obs.source,
            values: obs
                .values
                .iter()
                .map(|(e, v)| (e.code().to_owned(), serde_json::Value::from(*v)))
                .collect(),
            qc: BTreeMap::new(),
        }
    }
}

/// Why a whole record was refused (nothing from it is stored).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// The JSON is not an object with `station`, `time` and `values`.
    #[error("malformed record: {0}")]
    Malformed(String),
    /// The station id is not valid (the text given).
    #[error("{0:?} is not a station id")]
    BadStation(String),
    /// The time is not RFC 3339.
    #[error("time {0:?} is not RFC 3339 (e.g. 2026-11-27T10:00:00Z)")]
    BadTime(String),
    /// The time is implausible.
    #[error("{0}")]
    Time(ObservationError),
}

impl RecordError {
    /// The refusal it is, for the record's result.
    pub fn refusal(&self) -> Refusal {
        match self {
            Self::Malformed(_) => Refusal::new(Code::RecordMalformed),
            Self::BadStation(text) => {
                Refusal::new(Code::InvalidStationId).with("text", text.as_str())
            }
            Self::BadTime(text) => Refusal::new(Code::RecordBadTime).with("text", text.as_str()),
            Self::Time(error) => Refusal::from(error),
        }
    }
}

/// A record parsed at the edge: the valid part, plus what was wrong with the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRecord {
    /// Everything valid in the record (possibly no values at all).
    pub observation: Observation,
    /// Per-value problems: unknown elements, non-numbers, out-of-range values.
    pub value_errors: Vec<ObservationError>,
    /// The QC flags the record carried, for elements among its values (unknown codes are
    /// reported in `value_errors`).
    pub qc: BTreeMap<Element, QcFlags>,
}

impl ObservationRecord {
    /// Parses one raw JSON record from an ingest batch, judging times against `now`.
    pub fn parse_json(
        raw: &serde_json::Value,
        now: Timestamp,
    ) -> Result<ParsedRecord, RecordError> {
        let record: Self = serde_json::from_value(raw.clone())
            .map_err(|e| RecordError::Malformed(e.to_string()))?;
        record.parse(now)
    }

    /// Validates this record into a domain observation.
    pub fn parse(self, now: Timestamp) -> Result<ParsedRecord, RecordError> {
        let station = StationId::parse(&self.station)
            .map_err(|_| RecordError::BadStation(self.station.clone()))?;
        let time = Timestamp::parse_rfc3339(&self.time)
            .map_err(|_| RecordError::BadTime(self.time.clone()))?;
        check_time(time, now).map_err(RecordError::Time)?;
        let mut values = BTreeMap::new();
        let mut value_errors = Vec::new();
        let mut qc = BTreeMap::new();
        for (code, flags) in self.qc {
            match code.parse::<Element>() {
                Ok(element) => {
                    qc.insert(element, flags);
                }
                Err(_) => value_errors.push(ObservationError::UnknownElement(code)),
            }
        }
        for (code, raw) in self.values {
            let Ok(element) = code.parse::<Element>() else {
                value_errors.push(ObservationError::UnknownElement(code));
                continue;
            };
            let number = match &raw {
                serde_json::Value::Null => continue, // missing is missing
                serde_json::Value::Number(n) => n.as_f64(),
                _ => None,
            };
            match number.map(|n| check_value(element, n)) {
                Some(Ok(value)) => {
                    values.insert(element, value);
                }
                Some(Err(error)) => value_errors.push(error),
                None => value_errors.push(ObservationError::NotANumber {
                    element,
                    found: raw.to_string(),
                }),
            }
        }
        Ok(ParsedRecord {
            observation: Observation {
                station,
                time,
                source: self.source,
                values,
            },
            value_errors,
            qc,
        })
    }
}

/// `POST /api/v1/observations` body. Records stay raw JSON so a malformed one is reported
/// by index instead of failing the whole batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestRequest {
    /// The records, in any order.
    pub observations: Vec<serde_json::Value>,
}

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// At least one new value stored, nothing refused.
    Stored,
    /// Every value was already stored, identically: nothing changed.
    Duplicate,
    /// Some values stored or already present, some refused (see `errors`).
    Partial,
    /// Nothing stored (see `errors`).
    Rejected,
}

/// The outcome for one record of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordResult {
    /// Position in the request's `observations` array.
    pub index: usize,
    /// Outcome.
    pub status: RecordStatus,
    /// Values newly stored.
    pub stored_values: usize,
    /// Anything refused, in English (what `refusals` says, for clients that read only this).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Anything refused, as codes with parameters (one per entry of `errors`, in order), for
    /// clients to say in their user's language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<CodedRefusal>,
}

/// `POST /api/v1/observations` response: always 200 for a well-formed batch, with one result
/// per record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestResponse {
    /// Records with status `stored`.
    pub stored: usize,
    /// Records with status `duplicate`.
    pub duplicate: usize,
    /// Records with status `partial`.
    pub partial: usize,
    /// Records with status `rejected`.
    pub rejected: usize,
    /// One entry per record, in request order.
    pub results: Vec<RecordResult>,
}

/// A value with the time it was observed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimedValue {
    /// Observation time, RFC 3339 UTC.
    pub time: Timestamp,
    /// The value, in the element's SI unit.
    pub value: f64,
}

/// Latest value of each element at one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationLatest {
    /// Station id.
    pub station: String,
    /// Newest value per element code.
    pub values: BTreeMap<Element, TimedValue>,
}

/// `GET /api/v1/observations/latest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestResponse {
    /// One entry per station that has reported anything.
    pub stations: Vec<StationLatest>,
}

/// `GET /api/v1/observations/series` query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesQuery {
    /// Station id.
    pub station: String,
    /// Element code.
    pub element: String,
    /// Start, inclusive, RFC 3339.
    pub from: String,
    /// End, inclusive, RFC 3339.
    pub to: String,
}

/// `GET /api/v1/observations/series` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesResponse {
    /// Station id.
    pub station: String,
    /// Element.
    pub element: Element,
    /// Unit of every value.
    pub unit: String,
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, inclusive.
    pub to: Timestamp,
    /// Points in time order.
    pub points: Vec<TimedValue>,
}

/// Every error body: a stable code of the registry ([`crate::domain::refusal::Code`]), its
/// parameters, and an English sentence for logs and curl users (clients say the code in their
/// user's language instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable code, e.g. `bad_request`, `range_too_long`, `unknown_station`.
    pub error: String,
    /// What went wrong, in English.
    pub message: String,
    /// The code's parameters by name (`{"max_days": 31}`); absent when it has none.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
}

/// The [`ApiError::error`] codes a client acts on (the rest it only says); every code the
/// central sends is in the registry, [`crate::domain::refusal::Code`].
pub mod error_code {
    use crate::domain::refusal::Code;

    /// 401 at login: wrong user name or password (which of them is not said).
    pub const INVALID_CREDENTIALS: &str = Code::InvalidCredentials.as_str();
    /// 403 at login: too many failures in a row; the account is locked for a while.
    pub const ACCOUNT_LOCKED: &str = Code::AccountLocked.as_str();
    /// 403 at login: an administrator disabled the account.
    pub const ACCOUNT_DISABLED: &str = Code::AccountDisabled.as_str();
    /// 403 at ingest: a record claims a source (`manual`, `imported`) the caller may not
    /// claim; the whole batch is refused.
    pub const SOURCE_NOT_PERMITTED: &str = Code::SourceNotPermitted.as_str();
    /// 400: a request body that is not JSON, or not the shape the route takes.
    pub const INVALID_BODY: &str = Code::InvalidBody.as_str();
    /// 415: a JSON route sent a body without `Content-Type: application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = Code::UnsupportedMediaType.as_str();
    /// 429 at login: too many failed logins from this address; `Retry-After` says when.
    pub const TOO_MANY_LOGINS: &str = Code::TooManyLogins.as_str();
    /// 426 at the sync routes: the desk speaks an older protocol than this central serves.
    pub const UPDATE_REQUIRED: &str = Code::UpdateRequired.as_str();
    /// 400 at the sync routes: a cursor this central did not write.
    pub const INVALID_CURSOR: &str = Code::InvalidCursor.as_str();
    /// 409 at the sync routes: a cursor beyond this central's newest change (its change log
    /// is not the one the cursor came from).
    pub const CURSOR_AHEAD: &str = Code::CursorAhead.as_str();
    /// 410 at `/changes`: the cursor is older than the oldest change the central keeps
    /// (`[retention] change_log_days`); the desk starts again from `GET /snapshot`.
    pub const CURSOR_EXPIRED: &str = Code::CursorExpired.as_str();
    /// 400: a time range wider than the route serves in one answer.
    pub const RANGE_TOO_LONG: &str = Code::RangeTooLong.as_str();
    // 400 at a password change: the `password_*` codes of
    // `crate::domain::access::PasswordRefusal::code`.
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::MINUTE_MS;
    use serde_json::json;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    #[test]
    fn parses_a_good_record_and_treats_null_as_missing() {
        let raw = json!({"station": "58819", "time": "2026-11-19T07:00:00Z",
                         "values": {"TEM": 12.5, "RHU": 80, "PRE_1h": null}});
        let parsed = ObservationRecord::parse_json(
            &raw,
            Timestamp::parse_rfc3339("2026-11-19T07:01:00Z").unwrap(),
        )
        .unwrap();
        assert!(parsed.value_errors.is_empty());
        assert_eq!(parsed.observation.values.len(), 2);
        assert_eq!(parsed.observation.values[&Element::Rhu], 80.0);
        assert_eq!(parsed.observation.source, Source::Live);
    }

    #[test]
    fn bad_values_are_reported_one_by_one() {
        let raw = json!({"station": "58819", "time": NOW.to_rfc3339(),
                         "values": {"TEM": 12.5, "RHU": 130, "WIND": 3, "PRS": "980"}});
        let parsed = ObservationRecord::parse_json(&raw, NOW).unwrap();
        assert_eq!(parsed.observation.values.len(), 1, "only TEM survives");
        let errors: Vec<String> = parsed
            .value_errors
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("RHU")));
        assert!(errors.iter().any(|e| e.contains("\"WIND\"")));
        assert!(
            errors
                .iter()
                .any(|e| e.contains("PRS: \"980\" is not a number"))
        );
    }

    #[test]
    fn whole_record_errors() {
        let cases = [
            (json!({"time": NOW.to_rfc3339(), "values": {}}), "malformed"),
            (json!([1, 2]), "malformed"),
            (
                json!({"station": "5", "time": NOW.to_rfc3339(), "values": {}}),
                "station id",
            ),
            (
                json!({"station": "58819", "time": "yesterday", "values": {}}),
                "RFC 3339",
            ),
            (
                json!({"station": "58819", "time": NOW.plus_ms(60 * MINUTE_MS).to_rfc3339(), "values": {}}),
                "future",
            ),
        ];
        for (raw, expected) in cases {
            let error = ObservationRecord::parse_json(&raw, NOW)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{raw}: {error}");
        }
    }
}
