//! The station network: townships (NBS 2023 codes) and the automatic weather stations in them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::geo::LatLon;

/// A station identifier: CMA's five-digit WMO-style ids (`58819`) or regional ids, which are
/// alphanumeric in CMA practice (`F8301`) and numeric in MICAPS files (`708301`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StationId(String);

/// Why a text is not a station id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("station id must be 5–8 ASCII letters or digits, got {0:?}")]
pub struct InvalidStationId(pub String);

impl StationId {
    /// Parses and validates a station id.
    pub fn parse(text: &str) -> Result<Self, InvalidStationId> {
        let valid =
            (5..=8).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
        if valid {
            Ok(Self(text.to_ascii_uppercase()))
        } else {
            Err(InvalidStationId(text.to_owned()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for StationId {
    type Err = InvalidStationId;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for StationId {
    type Error = InvalidStationId;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<StationId> for String {
    fn from(id: StationId) -> Self {
        id.0
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A township-level division's 9-digit NBS statistical code, e.g. `350423100` (龙津镇).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TownshipCode(pub u32);

impl fmt::Display for TownshipCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Town (镇) or township (乡): the two township-level kinds Qingliu has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TownshipLevel {
    /// 镇
    Town,
    /// 乡
    Township,
}

/// A township-level division and its seat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Township {
    /// NBS 2023 code.
    pub code: TownshipCode,
    /// Official name, e.g. 龙津镇.
    pub name: String,
    /// 镇 or 乡.
    pub level: TownshipLevel,
    /// Location of the seat (government office), ±1 km.
    pub seat: LatLon,
    /// False where no source gives the seat and a nearby station stands in for it.
    pub seat_verified: bool,
}

impl Township {
    /// The name without its 镇/乡 suffix, for tight labels (龙津镇 → 龙津).
    pub fn short_name(&self) -> &str {
        self.name
            .strip_suffix('镇')
            .or_else(|| self.name.strip_suffix('乡'))
            .unwrap_or(&self.name)
    }
}

/// National (国家站) or regional automatic station (区域站).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// A national surface station (国家级地面气象观测站).
    National,
    /// A regional automatic weather station (区域自动站).
    Regional,
    /// A tea-garden micro-station (茶园小气候站), registered as a device.
    Garden,
    /// A greenhouse controller's inside air (大棚), registered as a device.
    Greenhouse,
}

impl StationKind {
    /// Whether it stands in the open at a standard site: only such stations are compared with
    /// their neighbours, and serve as neighbours. A garden or a greenhouse has a microclimate
    /// of its own.
    pub const fn is_standard_site(self) -> bool {
        matches!(self, Self::National | Self::Regional)
    }
}

/// An automatic weather station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Station {
    /// Station id.
    pub id: StationId,
    /// Chinese display name.
    pub name_zh: String,
    /// English display name.
    pub name_en: String,
    /// National or regional.
    pub kind: StationKind,
    /// WGS84/CGCS2000 location.
    pub location: LatLon,
    /// Observing-field altitude, m.
    pub altitude_m: f64,
    /// The township the station reports for.
    pub township: TownshipCode,
    /// Where the sources disagree about this station, what they disagree about.
    pub uncertainty: Option<String>,
}

/// The whole network: every township and station of the county.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// Townships in code order.
    pub townships: Vec<Township>,
    /// Stations in id order.
    pub stations: Vec<Station>,
}

/// A malformed catalogue file.
#[derive(Debug, thiserror::Error)]
#[error("{file} line {line}: {reason}")]
pub struct CatalogError {
    /// Which file.
    pub file: &'static str,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl Network {
    /// Parses the townships and stations CSVs (the formats in `assets/geo/`).
    pub fn from_csv(townships_csv: &str, stations_csv: &str) -> Result<Self, CatalogError> {
        let mut townships: Vec<Township> =
            read_rows("townships.csv", townships_csv, TownshipRow::into_township)?;
        let mut stations: Vec<Station> =
            read_rows("stations.csv", stations_csv, StationRow::into_station)?;
        townships.sort_by_key(|t| t.code);
        stations.sort_by(|a, b| a.id.cmp(&b.id));
        let network = Self {
            townships,
            stations,
        };
        if let Some(orphan) = network
            .stations
            .iter()
            .find(|s| network.township(s.township).is_none())
        {
            return Err(CatalogError {
                file: "stations.csv",
                line: 0,
                reason: format!(
                    "station {} names unknown township {}",
                    orphan.id, orphan.township
                ),
            });
        }
        Ok(network)
    }

    /// The station with this id.
    pub fn station(&self, id: &StationId) -> Option<&Station> {
        self.stations.iter().find(|s| &s.id == id)
    }

    /// The township with this code.
    pub fn township(&self, code: TownshipCode) -> Option<&Township> {
        self.townships.iter().find(|t| t.code == code)
    }

    /// Stations of one township, in id order.
    pub fn stations_in(&self, code: TownshipCode) -> impl Iterator<Item = &Station> {
        self.stations.iter().filter(move |s| s.township == code)
    }

    /// Every station in the station list's order: township by township (in the network's
    /// township order), by id within one; stations of no known township last.
    pub fn stations_in_township_order(&self) -> Vec<&Station> {
        let position = |s: &Station| {
            self.townships
                .iter()
                .position(|t| t.code == s.township)
                .unwrap_or(usize::MAX)
        };
        let mut stations: Vec<&Station> = self.stations.iter().collect();
        // Stable: ids stay in order within a township.
        stations.sort_by_key(|s| position(s));
        stations
    }
}

/// Reads every row of a headed CSV into `T` via the row type `R`, naming the line of any error.
fn read_rows<R, T>(
    file: &'static str,
    text: &str,
    convert: impl Fn(R) -> Result<T, String>,
) -> Result<Vec<T>, CatalogError>
where
    R: serde::de::DeserializeOwned,
{
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let fail = |line: u64, reason: String| CatalogError {
        file,
        line: line as usize,
        reason,
    };
    let headers = reader
        .headers()
        .map_err(|e| fail(1, e.to_string()))?
        .clone();
    reader
        .records()
        .map(|record| {
            let record = record
                .map_err(|e| fail(e.position().map_or(0, csv::Position::line), e.to_string()))?;
            let line = record.position().map_or(0, csv::Position::line);
            let row = record
                .deserialize::<R>(Some(&headers))
                .map_err(|e| fail(line, e.to_string()))?;
            convert(row).map_err(|reason| fail(line, reason))
        })
        .collect()
}

#[derive(Deserialize)]
struct TownshipRow {
    code: u32,
    name: String,
    level: String,
    seat_lat: f64,
    seat_lon: f64,
    seat_verified: bool,
}

impl TownshipRow {
    fn into_township(self) -> Result<Township, String> {
        let level = match self.level.as_str() {
            "镇" => TownshipLevel::Town,
            "乡" => TownshipLevel::Township,
            other => {
                return Err(format!(
                    "township {}: level {other:?} is neither 镇 nor 乡",
                    self.code
                ));
            }
        };
        Ok(Township {
            code: TownshipCode(self.code),
            name: self.name,
            level,
            seat: LatLon::new(self.seat_lat, self.seat_lon),
            seat_verified: self.seat_verified,
        })
    }
}

#[derive(Deserialize)]
struct StationRow {
    id: String,
    name_zh: String,
    name_en: String,
    kind: String,
    lat: f64,
    lon: f64,
    alt_m: f64,
    township_code: u32,
    uncertain: String,
}

impl StationRow {
    fn into_station(self) -> Result<Station, String> {
        let kind = match self.kind.as_str() {
            "national" => StationKind::National,
            "regional" => StationKind::Regional,
            "garden" => StationKind::Garden,
            "greenhouse" => StationKind::Greenhouse,
            other => {
                return Err(format!(
                    "station {}: kind {other:?} is not national, regional, garden or greenhouse",
                    self.id
                ));
            }
        };
        Ok(Station {
            id: StationId::parse(&self.id).map_err(|e| e.to_string())?,
            name_zh: self.name_zh,
            name_en: self.name_en,
            kind,
            location: LatLon::new(self.lat, self.lon),
            altitude_m: self.alt_m,
            township: TownshipCode(self.township_code),
            uncertainty: Some(self.uncertain).filter(|u| !u.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOWNSHIPS: &str = "code,name,level,seat_lat,seat_lon,seat_verified,seat_note\n\
        350423100,龙津镇,镇,26.18197,116.81464,true,GeoNames\n\
        350423201,温郊乡,乡,26.2339,117.0139,false,stand-in\n";
    const STATIONS: &str = "id,name_zh,name_en,kind,lat,lon,alt_m,township_code,uncertain\n\
        58819,清流,Qingliu,national,26.1833,116.8167,336.9,350423100,\n\
        708302,温郊,Wenjiao,regional,26.2339,117.0139,495.0,350423201,vintages differ\n";

    #[test]
    fn parses_catalogue_and_keeps_uncertainty() {
        let network = Network::from_csv(TOWNSHIPS, STATIONS).unwrap();
        assert_eq!(network.townships.len(), 2);
        let qingliu = network
            .station(&StationId::parse("58819").unwrap())
            .unwrap();
        assert_eq!(qingliu.kind, StationKind::National);
        assert_eq!(qingliu.uncertainty, None);
        let wenjiao = network
            .station(&StationId::parse("708302").unwrap())
            .unwrap();
        assert_eq!(wenjiao.uncertainty.as_deref(), Some("vintages differ"));
        assert_eq!(
            network
                .township(TownshipCode(350423201))
                .unwrap()
                .short_name(),
            "温郊"
        );
        assert!(
            !network
                .township(TownshipCode(350423201))
                .unwrap()
                .seat_verified
        );
    }

    #[test]
    fn rejects_bad_rows_with_line_numbers() {
        let bad_kind = STATIONS.replace("national", "mystery");
        let err = Network::from_csv(TOWNSHIPS, &bad_kind).unwrap_err();
        assert_eq!((err.file, err.line), ("stations.csv", 2));
        assert!(
            err.reason.contains("58819") && err.reason.contains("mystery"),
            "{err}"
        );
        let bad_number = STATIONS.replace("336.9", "high");
        let err = Network::from_csv(TOWNSHIPS, &bad_number).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        let orphan = STATIONS.replace("350423201,vintages", "350423999,vintages");
        assert!(
            Network::from_csv(TOWNSHIPS, &orphan)
                .unwrap_err()
                .reason
                .contains("unknown township")
        );
    }

    #[test]
    fn station_ids_are_validated() {
        let cases = [
            ("58819", true),
            ("708301", true),
            ("F8301", true),
            ("5881", false),
            ("58 19", false),
            ("", false),
        ];
        for (text, ok) in cases {
            assert_eq!(StationId::parse(text).is_ok(), ok, "{text}");
        }
        assert_eq!(StationId::parse("f8301").unwrap().as_str(), "F8301");
    }
}
