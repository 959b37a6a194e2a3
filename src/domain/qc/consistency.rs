//! Internal consistency: relations that must hold between the elements of one observation.
//! When a relation fails, QC cannot tell which side is wrong, so every element of the relation
//! is flagged.
//!
//! Decided, and why:
//! - Relative humidity above 100 % never arrives (ingest refuses it); what is checked is that
//!   humidity, temperature and dew point agree with each other.
//! - A calm (2-minute mean 0.0 m/s) with a wind direction is **not** inconsistent: a vane rests
//!   where the wind left it and loggers keep reporting that bearing. Readers ignore direction
//!   in a calm. What is inconsistent is a calm with a gust of 2 m/s or more: a 3-second gust of
//!   `g` alone lifts a 2-minute mean by `g × 3 / 120`, so a mean that rounds to 0.0 allows gusts
//!   below 2 m/s only.
//! - Ground-surface temperature is not compared with air temperature: in sun the ground is
//!   easily 20 °C warmer, on a clear night several degrees colder.

use std::collections::BTreeMap;

use super::physics::{relative_humidity, sea_level_pressure};
use crate::domain::Element;

/// Slots in a [`Snapshot`]: one per storage id.
const SLOTS: usize = 24;

// Every element's storage id indexes a slot.
const _: () = {
    let mut i = 0;
    while i < Element::ALL.len() {
        assert!((Element::ALL[i].storage_id() as usize) < SLOTS);
        i += 1;
    }
};

/// One station's values at one instant, in a fixed array so that building one per observation
/// allocates nothing. A missing element is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Snapshot([Option<f64>; SLOTS]);

impl Snapshot {
    /// The value of `element`, if observed.
    pub fn get(&self, element: Element) -> Option<f64> {
        self.0[usize::from(element.storage_id())]
    }

    /// Sets the value of `element`.
    pub fn set(&mut self, element: Element, value: f64) {
        self.0[usize::from(element.storage_id())] = Some(value);
    }
}

impl FromIterator<(Element, f64)> for Snapshot {
    fn from_iter<I: IntoIterator<Item = (Element, f64)>>(iter: I) -> Self {
        let mut snapshot = Self::default();
        for (element, value) in iter {
            snapshot.set(element, value);
        }
        snapshot
    }
}

/// An [`Observation`](crate::domain::Observation)'s values.
impl From<&BTreeMap<Element, f64>> for Snapshot {
    fn from(values: &BTreeMap<Element, f64>) -> Self {
        values.iter().map(|(&e, &v)| (e, v)).collect()
    }
}

/// How far each relation may be off before it fails: resolution, rounding and the honest
/// imprecision of the relation itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConsistencyLimits {
    /// Dew point may exceed air temperature by this much, °C (two sensors, 0.1 °C rounding).
    pub dew_point_margin_c: f64,
    /// Humidity may differ from that implied by temperature and dew point by this much, %.
    pub humidity_tolerance_pct: f64,
    /// The gust may be this much below the 2-minute mean, m/s: the gust is the last minute's
    /// maximum, the mean spans two minutes, so a wind that just dropped sharply can leave the
    /// gust a little below the mean.
    pub gust_margin_ms: f64,
    /// In a calm, gusts from this speed up are inconsistent, m/s (see the module notes).
    pub calm_gust_ms: f64,
    /// A longer rain total may be this much below a shorter one, mm (half the 0.1 mm tip).
    pub rain_margin_mm: f64,
    /// Sea-level pressure may differ from the station pressure reduced here by this much, hPa…
    pub sea_level_base_hpa: f64,
    /// …plus this fraction of the reduction: reductions use a 12-hour mean temperature and
    /// humidity corrections this check does not know, which matter more the higher the station.
    pub sea_level_fraction: f64,
}

impl Default for ConsistencyLimits {
    fn default() -> Self {
        Self {
            dew_point_margin_c: 0.5,
            humidity_tolerance_pct: 5.0,
            gust_margin_ms: 0.5,
            calm_gust_ms: 2.0,
            rain_margin_mm: 0.05,
            sea_level_base_hpa: 1.0,
            sea_level_fraction: 0.05,
        }
    }
}

/// A relation between elements of one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Relation {
    /// `DPT ≤ TEM` (+ margin).
    DewPointAboveTemperature,
    /// `RHU` agrees with the humidity implied by `TEM` and `DPT`.
    HumidityDisagreesWithDewPoint,
    /// `WIN_S_Inst_Max ≥ WIN_S_Avg_2mi` (− margin).
    GustBelowMean,
    /// No gust of 2 m/s or more in a calm.
    GustInCalm,
    /// `PRE_1h ≥ PRE`: the hour's total includes its last minute.
    HourRainBelowMinute,
    /// `PRE_6h ≥ PRE_1h`.
    SixHourRainBelowHour,
    /// `PRE_24h ≥ PRE_6h`.
    DayRainBelowSixHour,
    /// `PRS_Sea` agrees with `PRS` reduced to sea level (using `TEM` when present).
    SeaLevelPressureDisagrees,
}

impl Relation {
    /// Every relation.
    pub const ALL: [Self; 8] = [
        Self::DewPointAboveTemperature,
        Self::HumidityDisagreesWithDewPoint,
        Self::GustBelowMean,
        Self::GustInCalm,
        Self::HourRainBelowMinute,
        Self::SixHourRainBelowHour,
        Self::DayRainBelowSixHour,
        Self::SeaLevelPressureDisagrees,
    ];

    /// The elements flagged when the relation fails.
    pub const fn elements(self) -> &'static [Element] {
        match self {
            Self::DewPointAboveTemperature => &[Element::Dpt, Element::Tem],
            Self::HumidityDisagreesWithDewPoint => &[Element::Rhu, Element::Tem, Element::Dpt],
            Self::GustBelowMean | Self::GustInCalm => &[Element::WinSInstMax, Element::WinSAvg2mi],
            Self::HourRainBelowMinute => &[Element::Pre1h, Element::Pre],
            Self::SixHourRainBelowHour => &[Element::Pre6h, Element::Pre1h],
            Self::DayRainBelowSixHour => &[Element::Pre24h, Element::Pre6h],
            Self::SeaLevelPressureDisagrees => &[Element::PrsSea, Element::Prs],
        }
    }

    /// The elements the relation reads: those it flags, and the temperature sea-level
    /// reduction uses.
    pub fn inputs(self) -> impl Iterator<Item = Element> {
        let extra = (self == Self::SeaLevelPressureDisagrees).then_some(Element::Tem);
        self.elements().iter().copied().chain(extra)
    }

    /// Whether the relation fails for `values` observed at `altitude_m`. A relation missing
    /// one of its elements is not checked and does not fail.
    pub fn fails(self, values: &Snapshot, altitude_m: f64, limits: &ConsistencyLimits) -> bool {
        let pair = |a, b| values.get(a).zip(values.get(b));
        match self {
            Self::DewPointAboveTemperature => pair(Element::Dpt, Element::Tem)
                .is_some_and(|(dew, temp)| dew > temp + limits.dew_point_margin_c),
            Self::HumidityDisagreesWithDewPoint => pair(Element::Tem, Element::Dpt)
                .zip(values.get(Element::Rhu))
                .is_some_and(|((temp, dew), rh)| {
                    // Sensors saturate at 100 %; a dew point a hair above the temperature is
                    // the other relation's business.
                    let implied = relative_humidity(temp, dew).min(100.0);
                    (rh - implied).abs() > limits.humidity_tolerance_pct
                }),
            Self::GustBelowMean => pair(Element::WinSInstMax, Element::WinSAvg2mi)
                .is_some_and(|(gust, mean)| gust + limits.gust_margin_ms < mean),
            Self::GustInCalm => pair(Element::WinSInstMax, Element::WinSAvg2mi)
                .is_some_and(|(gust, mean)| is_calm(mean) && gust >= limits.calm_gust_ms),
            Self::HourRainBelowMinute => below(pair(Element::Pre1h, Element::Pre), limits),
            Self::SixHourRainBelowHour => below(pair(Element::Pre6h, Element::Pre1h), limits),
            Self::DayRainBelowSixHour => below(pair(Element::Pre24h, Element::Pre6h), limits),
            Self::SeaLevelPressureDisagrees => {
                pair(Element::PrsSea, Element::Prs).is_some_and(|(sea, station)| {
                    let expected =
                        sea_level_pressure(station, altitude_m, values.get(Element::Tem));
                    let tolerance = limits.sea_level_base_hpa
                        + limits.sea_level_fraction * (expected - station).abs();
                    (sea - expected).abs() > tolerance
                })
            }
        }
    }
}

/// A 2-minute mean that reads 0.0 m/s at the reported 0.1 m/s resolution.
pub fn is_calm(mean_ms: f64) -> bool {
    mean_ms < 0.05
}

/// Whether a longer rain total is below the shorter one it includes.
fn below(totals: Option<(f64, f64)>, limits: &ConsistencyLimits) -> bool {
    totals.is_some_and(|(longer, shorter)| longer + limits.rain_margin_mm < shorter)
}

/// The relations `values` fail, in [`Relation::ALL`] order.
pub fn failures<'a>(
    values: &'a Snapshot,
    altitude_m: f64,
    limits: &'a ConsistencyLimits,
) -> impl Iterator<Item = Relation> + 'a {
    Relation::ALL
        .into_iter()
        .filter(move |relation| relation.fails(values, altitude_m, limits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Element::{
        Dpt, Gst, Pre, Pre1h, Pre6h, Pre24h, Prs, PrsSea, Rhu, Tem, WinDAvg2mi, WinSAvg2mi,
        WinSInstMax,
    };

    fn failed(values: &[(Element, f64)], altitude_m: f64) -> Vec<Relation> {
        let snapshot: Snapshot = values.iter().copied().collect();
        failures(&snapshot, altitude_m, &ConsistencyLimits::default()).collect()
    }

    #[test]
    fn relations_that_hold_and_fail() {
        use Relation::*;
        // What, the values, the altitude, the relations that fail.
        type Case<'a> = (&'a str, &'a [(Element, f64)], f64, &'a [Relation]);
        let cases: &[Case<'_>] = &[
            (
                "a humid summer afternoon at 58819",
                &[(Tem, 31.2), (Dpt, 24.0), (Rhu, 66.0), (Gst, 52.0)],
                336.9,
                &[],
            ),
            (
                "fog at dawn: dew point a tenth above temperature, RH 100",
                &[(Tem, 8.1), (Dpt, 8.2), (Rhu, 100.0)],
                336.9,
                &[],
            ),
            (
                "dew point 2 °C above temperature",
                &[(Tem, 15.0), (Dpt, 17.0)],
                336.9,
                &[DewPointAboveTemperature],
            ),
            (
                "RH 90 % with a 10-degree dew-point depression (implied 52 %)",
                &[(Tem, 20.0), (Dpt, 10.0), (Rhu, 90.0)],
                336.9,
                &[HumidityDisagreesWithDewPoint],
            ),
            (
                "ground 25 °C warmer than air in sun is not a failure",
                &[(Tem, 30.0), (Gst, 55.0)],
                336.9,
                &[],
            ),
            (
                "gust above the mean",
                &[(WinSAvg2mi, 3.2), (WinSInstMax, 6.8)],
                336.9,
                &[],
            ),
            (
                "gust below the mean",
                &[(WinSAvg2mi, 5.0), (WinSInstMax, 3.1)],
                336.9,
                &[GustBelowMean],
            ),
            (
                "gust a rounding step below the mean",
                &[(WinSAvg2mi, 2.1), (WinSInstMax, 2.0)],
                336.9,
                &[],
            ),
            (
                "calm with the vane at rest and a puff of 1.2 m/s",
                &[(WinSAvg2mi, 0.0), (WinSInstMax, 1.2), (WinDAvg2mi, 225.0)],
                336.9,
                &[],
            ),
            (
                "calm with a 6 m/s gust",
                &[(WinSAvg2mi, 0.0), (WinSInstMax, 6.0)],
                336.9,
                &[GustInCalm],
            ),
            (
                "a downpour minute inside its hour",
                &[(Pre, 2.1), (Pre1h, 35.4), (Pre6h, 60.2), (Pre24h, 88.0)],
                336.9,
                &[],
            ),
            (
                "the hour's total below its own last minute",
                &[(Pre, 1.5), (Pre1h, 0.8)],
                336.9,
                &[HourRainBelowMinute],
            ),
            (
                "six hours below one, a day below six",
                &[(Pre1h, 12.0), (Pre6h, 10.0), (Pre24h, 9.0)],
                336.9,
                &[SixHourRainBelowHour, DayRainBelowSixHour],
            ),
            (
                "sea-level pressure from 58819's station pressure",
                &[(Prs, 975.0), (Tem, 20.0), (PrsSea, 1013.0)],
                336.9,
                &[],
            ),
            (
                "sea-level pressure computed for the wrong altitude (0 m)",
                &[(Prs, 975.0), (Tem, 20.0), (PrsSea, 975.0)],
                336.9,
                &[SeaLevelPressureDisagrees],
            ),
            (
                "the summit's larger reduction has a larger tolerance",
                &[(Prs, 890.0), (Tem, 12.0), (PrsSea, 1021.0)],
                1112.1,
                &[],
            ),
            (
                "missing partners: nothing to check",
                &[(Dpt, 30.0), (WinSInstMax, 0.0), (Pre, 3.0)],
                336.9,
                &[],
            ),
        ];
        for (what, values, altitude, expected) in cases {
            assert_eq!(failed(values, *altitude), *expected, "{what}");
        }
    }

    #[test]
    fn a_failed_relation_implicates_both_sides() {
        assert_eq!(
            Relation::GustBelowMean.elements(),
            [WinSInstMax, WinSAvg2mi]
        );
        for relation in Relation::ALL {
            assert!(relation.elements().len() >= 2, "{relation:?}");
        }
    }

    #[test]
    fn snapshot_reads_an_observation() {
        let values = BTreeMap::from([(Tem, 12.5), (Rhu, 80.0)]);
        let snapshot = Snapshot::from(&values);
        assert_eq!(snapshot.get(Tem), Some(12.5));
        assert_eq!(snapshot.get(Prs), None);
    }
}
