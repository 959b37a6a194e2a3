//! Observed elements, named as in CMA's data service (`TEM`, `RHU`, `PRE_1h` …), with SI units
//! and the physical limits beyond which a value cannot be a measurement at all.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One observed quantity of an automatic weather station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    /// Air temperature, °C.
    Tem,
    /// Relative humidity, %.
    Rhu,
    /// Precipitation in the minute ending at the observation time, mm.
    Pre,
    /// Precipitation in the hour ending at the observation time, mm.
    Pre1h,
    /// Station-level air pressure, hPa.
    Prs,
    /// Two-minute mean wind speed, m/s.
    WinSAvg2mi,
    /// Two-minute mean wind direction, degrees from north (0–360).
    WinDAvg2mi,
    /// Maximum instantaneous wind speed (gust) in the last minute, m/s.
    WinSInstMax,
    /// Ground-surface temperature, °C.
    Gst,
    /// Horizontal visibility, m.
    Vis,
    /// Precipitation in the 6 hours ending at the observation time, mm (synoptic reports).
    Pre6h,
    /// Precipitation in the 24 hours ending at the observation time, mm (rain maps).
    Pre24h,
    /// Dew-point temperature, °C.
    Dpt,
    /// Air pressure reduced to mean sea level, hPa (synoptic reports).
    PrsSea,
    /// Volumetric soil water content at 10 cm, % (tea-garden stations).
    Svwc10cm,
    /// Soil temperature at 10 cm, °C (tea-garden stations).
    Gst10cm,
    /// Leaf wetness: the share of the sensor's leaf surface that is wet, %.
    LeafWet,
    /// Air temperature inside a greenhouse, °C.
    TemIn,
    /// Relative humidity inside a greenhouse, %.
    RhuIn,
    /// CO₂ concentration inside a greenhouse, ppm.
    Co2,
}

impl Element {
    /// The eight elements a regional automatic station reports every minute (and the simulator
    /// sends): what "16 stations × 8 elements" counts in the figures.
    pub const EVERY_MINUTE: [Self; 8] = [
        Self::Tem,
        Self::Rhu,
        Self::Pre,
        Self::Prs,
        Self::WinSAvg2mi,
        Self::WinDAvg2mi,
        Self::WinSInstMax,
        Self::Gst,
    ];

    /// What a tea-garden micro-station reports besides the air: soil and leaf.
    pub const GARDEN: [Self; 3] = [Self::Svwc10cm, Self::Gst10cm, Self::LeafWet];

    /// What a greenhouse controller reports: the air inside.
    pub const GREENHOUSE: [Self; 3] = [Self::TemIn, Self::RhuIn, Self::Co2];

    /// Every element, in the order the UI lists them.
    pub const ALL: [Self; 20] = [
        Self::Tem,
        Self::Rhu,
        Self::Pre1h,
        Self::Pre,
        Self::Prs,
        Self::WinSAvg2mi,
        Self::WinDAvg2mi,
        Self::WinSInstMax,
        Self::Gst,
        Self::Vis,
        Self::Dpt,
        Self::PrsSea,
        Self::Pre6h,
        Self::Pre24h,
        Self::Svwc10cm,
        Self::Gst10cm,
        Self::LeafWet,
        Self::TemIn,
        Self::RhuIn,
        Self::Co2,
    ];

    /// The CMA data-service code used on every wire format.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Tem => "TEM",
            Self::Rhu => "RHU",
            Self::Pre => "PRE",
            Self::Pre1h => "PRE_1h",
            Self::Prs => "PRS",
            Self::WinSAvg2mi => "WIN_S_Avg_2mi",
            Self::WinDAvg2mi => "WIN_D_Avg_2mi",
            Self::WinSInstMax => "WIN_S_Inst_Max",
            Self::Gst => "GST",
            Self::Vis => "VIS",
            Self::Pre6h => "PRE_6h",
            Self::Pre24h => "PRE_24h",
            Self::Dpt => "DPT",
            Self::PrsSea => "PRS_Sea",
            // CMA's soil-moisture and agro-met products name these so; CMA has no code for
            // leaf wetness or a greenhouse's inside air, and these follow its pattern.
            Self::Svwc10cm => "SVWC_10cm",
            Self::Gst10cm => "GST_10cm",
            Self::LeafWet => "LEAF_WET",
            Self::TemIn => "TEM_In",
            Self::RhuIn => "RHU_In",
            Self::Co2 => "CO2",
        }
    }

    /// A stable small integer for storage; never reuse a retired number.
    pub const fn storage_id(self) -> u8 {
        match self {
            Self::Tem => 1,
            Self::Rhu => 2,
            Self::Pre => 3,
            Self::Pre1h => 4,
            Self::Prs => 5,
            Self::WinSAvg2mi => 6,
            Self::WinDAvg2mi => 7,
            Self::WinSInstMax => 8,
            Self::Gst => 9,
            Self::Vis => 10,
            Self::Pre6h => 11,
            Self::Pre24h => 12,
            Self::Dpt => 13,
            Self::PrsSea => 14,
            Self::Svwc10cm => 15,
            Self::Gst10cm => 16,
            Self::LeafWet => 17,
            Self::TemIn => 18,
            Self::RhuIn => 19,
            Self::Co2 => 20,
        }
    }

    /// The element stored under `id`, if any.
    pub fn from_storage_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.storage_id() == id)
    }

    /// SI unit as displayed.
    pub const fn unit(self) -> &'static str {
        match self {
            Self::Tem | Self::Gst | Self::Dpt | Self::Gst10cm | Self::TemIn => "°C",
            Self::Rhu | Self::RhuIn | Self::Svwc10cm | Self::LeafWet => "%",
            Self::Co2 => "ppm",
            Self::Pre | Self::Pre1h | Self::Pre6h | Self::Pre24h => "mm",
            Self::Prs | Self::PrsSea => "hPa",
            Self::WinSAvg2mi | Self::WinSInstMax => "m/s",
            Self::WinDAvg2mi => "°",
            Self::Vis => "m",
        }
    }

    /// Chinese name, as CMA writes it.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Tem => "气温",
            Self::Rhu => "相对湿度",
            Self::Pre => "分钟降水",
            Self::Pre1h => "小时降水",
            Self::Prs => "本站气压",
            Self::WinSAvg2mi => "2分钟平均风速",
            Self::WinDAvg2mi => "2分钟平均风向",
            Self::WinSInstMax => "极大风速",
            Self::Gst => "地表温度",
            Self::Vis => "能见度",
            Self::Pre6h => "6小时降水",
            Self::Pre24h => "24小时降水",
            Self::Dpt => "露点温度",
            Self::PrsSea => "海平面气压",
            Self::Svwc10cm => "10厘米土壤体积含水量",
            Self::Gst10cm => "10厘米地温",
            Self::LeafWet => "叶面湿度",
            Self::TemIn => "棚内气温",
            Self::RhuIn => "棚内相对湿度",
            Self::Co2 => "二氧化碳浓度",
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::Tem => "Air temperature",
            Self::Rhu => "Relative humidity",
            Self::Pre => "Precipitation (1 min)",
            Self::Pre1h => "Precipitation (1 h)",
            Self::Prs => "Station pressure",
            Self::WinSAvg2mi => "Wind speed (2 min mean)",
            Self::WinDAvg2mi => "Wind direction (2 min mean)",
            Self::WinSInstMax => "Gust",
            Self::Gst => "Ground surface temperature",
            Self::Vis => "Visibility",
            Self::Pre6h => "Precipitation (6 h)",
            Self::Pre24h => "Precipitation (24 h)",
            Self::Dpt => "Dew point",
            Self::PrsSea => "Sea-level pressure",
            Self::Svwc10cm => "Soil moisture (10 cm, volumetric)",
            Self::Gst10cm => "Soil temperature (10 cm)",
            Self::LeafWet => "Leaf wetness",
            Self::TemIn => "Inside air temperature",
            Self::RhuIn => "Inside relative humidity",
            Self::Co2 => "CO₂",
        }
    }

    /// Values outside this range are not measurements (a sensor fault or a garbled record) and
    /// are refused at ingest. Climatological plausibility is quality control's job, not this.
    pub fn physical_range(self) -> RangeInclusive<f64> {
        match self {
            Self::Tem => -80.0..=60.0,
            Self::Gst => -90.0..=90.0,
            Self::Rhu | Self::Svwc10cm | Self::LeafWet | Self::RhuIn => 0.0..=100.0,
            Self::Pre => 0.0..=40.0,
            Self::Pre1h => 0.0..=400.0,
            Self::Prs => 300.0..=1100.0,
            Self::WinSAvg2mi => 0.0..=75.0,
            Self::WinSInstMax => 0.0..=120.0,
            Self::WinDAvg2mi => 0.0..=360.0,
            Self::Vis => 0.0..=100_000.0,
            Self::Pre6h => 0.0..=1000.0,
            Self::Pre24h => 0.0..=2000.0,
            Self::Dpt => -80.0..=40.0,
            Self::PrsSea => 850.0..=1090.0,
            Self::Gst10cm => -50.0..=80.0,
            Self::TemIn => -40.0..=70.0,
            Self::Co2 => 0.0..=10_000.0,
        }
    }

    /// Decimal places worth showing.
    pub const fn decimals(self) -> usize {
        match self {
            Self::Rhu | Self::WinDAvg2mi | Self::Vis | Self::RhuIn | Self::LeafWet | Self::Co2 => 0,
            Self::Tem
            | Self::Gst
            | Self::Pre
            | Self::Pre1h
            | Self::Prs
            | Self::WinSAvg2mi
            | Self::WinSInstMax
            | Self::Pre6h
            | Self::Pre24h
            | Self::Dpt
            | Self::PrsSea
            | Self::Svwc10cm
            | Self::Gst10cm
            | Self::TemIn => 1,
        }
    }

    /// Formats a value with the element's precision and unit, e.g. `12.3 °C`.
    pub fn format(self, value: f64) -> String {
        format!(
            "{value:.prec$} {unit}",
            prec = self.decimals(),
            unit = self.unit()
        )
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code that names no element this system knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown element code {0:?}")]
pub struct UnknownElement(pub String);

impl FromStr for Element {
    type Err = UnknownElement;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.code() == code)
            .ok_or_else(|| UnknownElement(code.to_owned()))
    }
}

impl Serialize for Element {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_storage_ids_round_trip_and_are_unique() {
        let mut ids = std::collections::HashSet::new();
        for element in Element::ALL {
            assert_eq!(element.code().parse::<Element>(), Ok(element));
            assert_eq!(
                Element::from_storage_id(element.storage_id()),
                Some(element)
            );
            assert!(
                ids.insert(element.storage_id()),
                "{element} reuses a storage id"
            );
        }
        assert!(
            "tem".parse::<Element>().is_err(),
            "codes are case-sensitive, as CMA's are"
        );
    }

    #[test]
    fn formats_with_precision_and_unit() {
        let cases = [
            (Element::Tem, 12.345, "12.3 °C"),
            (Element::Rhu, 87.6, "88 %"),
            (Element::WinDAvg2mi, 225.0, "225 °"),
            (Element::Pre1h, 0.0, "0.0 mm"),
        ];
        for (element, value, expected) in cases {
            assert_eq!(element.format(value), expected);
        }
    }

    #[test]
    fn physical_ranges_are_sane() {
        for element in Element::ALL {
            let range = element.physical_range();
            assert!(range.start() < range.end(), "{element}");
        }
        assert!(!Element::Rhu.physical_range().contains(&100.5));
    }
}
