//! The little physics QC needs: carrying a value from one altitude to another (lapse rates, the
//! hypsometric equation) and relative humidity from temperature and dew point.

use serde::{Deserialize, Serialize};

/// Standard gravity, m/s².
const GRAVITY: f64 = 9.806_65;
/// Specific gas constant of dry air, J/(kg·K).
const DRY_AIR: f64 = 287.05;
/// 0 °C in kelvin.
const ZERO_CELSIUS_K: f64 = 273.15;
/// Standard-atmosphere lapse rate, °C per metre (ICAO: 6.5 K/km).
const STANDARD_LAPSE_PER_M: f64 = 0.0065;
/// Standard-atmosphere sea-level temperature, °C: the layer temperature when none is observed.
const STANDARD_SEA_LEVEL_C: f64 = 15.0;

/// How an element's value changes with altitude, to compare it with a value (or a limit) given
/// at another altitude.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AltitudeRule {
    /// The value does not depend on altitude in any way QC can use (humidity, wind, rain).
    #[default]
    None,
    /// Falls linearly with height, e.g. temperature at 0.65 °C per 100 m.
    Lapse {
        /// Decrease per 100 m of ascent, in the element's unit.
        per_100m: f64,
    },
    /// Pressure: falls exponentially with height at a rate set by the air's temperature.
    Barometric,
}

impl AltitudeRule {
    /// `value` observed at `from_m`, as it would be at `to_m`. `layer_temp_c` is the air
    /// temperature between the two heights if known (only [`Self::Barometric`] uses it; the
    /// standard atmosphere stands in when it is absent).
    pub fn carry(self, value: f64, from_m: f64, to_m: f64, layer_temp_c: Option<f64>) -> f64 {
        match self {
            Self::None => value,
            Self::Lapse { per_100m } => value - per_100m * (to_m - from_m) / 100.0,
            Self::Barometric => {
                let temp = layer_temp_c.unwrap_or_else(|| standard_temp_c((from_m + to_m) / 2.0));
                pressure_at(value, from_m, to_m, temp)
            }
        }
    }
}

/// The standard atmosphere's temperature at `altitude_m`, °C.
pub fn standard_temp_c(altitude_m: f64) -> f64 {
    STANDARD_SEA_LEVEL_C - STANDARD_LAPSE_PER_M * altitude_m
}

/// Pressure `p_hpa` at `from_m` carried to `to_m` through a layer of mean temperature
/// `layer_temp_c` (the hypsometric equation; moisture is ignored, which at these heights moves
/// the answer by well under 0.5 hPa). About 11.5 hPa per 100 m near 340 m.
pub fn pressure_at(p_hpa: f64, from_m: f64, to_m: f64, layer_temp_c: f64) -> f64 {
    let scale_height_m = DRY_AIR * (layer_temp_c + ZERO_CELSIUS_K) / GRAVITY;
    p_hpa * (-(to_m - from_m) / scale_height_m).exp()
}

/// Station pressure reduced to sea level, given the station's air temperature: the column below
/// the station is taken at that temperature warmed by the standard lapse rate half-way down.
pub fn sea_level_pressure(p_hpa: f64, altitude_m: f64, temp_c: Option<f64>) -> f64 {
    let station_temp = temp_c.unwrap_or_else(|| standard_temp_c(altitude_m));
    let column_temp = station_temp + STANDARD_LAPSE_PER_M * altitude_m / 2.0;
    pressure_at(p_hpa, altitude_m, 0.0, column_temp)
}

/// Saturation vapour pressure over water, hPa, by the Magnus formula with the coefficients of
/// WMO-No. 8 (CIMO Guide), annex 4.B: 6.112 hPa, 17.62, 243.12 °C. WMO reports relative
/// humidity with respect to water at every temperature, so there is no ice branch.
fn saturation_hpa(temp_c: f64) -> f64 {
    6.112 * (17.62 * temp_c / (243.12 + temp_c)).exp()
}

/// Relative humidity, %, implied by a temperature and a dew point (not capped at 100).
pub fn relative_humidity(temp_c: f64, dew_point_c: f64) -> f64 {
    100.0 * saturation_hpa(dew_point_c) / saturation_hpa(temp_c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn altitude_rules_carry_values() {
        let lapse = AltitudeRule::Lapse { per_100m: 0.65 };
        // (rule, value, from, to, layer temperature, expected, tolerance)
        let cases = [
            (lapse, -1.0, 336.9, 1112.1, None, -6.04, 0.01),
            (lapse, -6.0, 1112.1, 336.9, None, -0.96, 0.01),
            (AltitudeRule::None, 95.0, 336.9, 1112.1, None, 95.0, 0.0),
            // Standard atmosphere: 1013.25 hPa at sea level is 898.7 hPa at 1000 m.
            (
                AltitudeRule::Barometric,
                1013.25,
                0.0,
                1000.0,
                Some(11.75),
                898.7,
                0.6,
            ),
            // 58819 to 708308 on a mild day: ~88 hPa lower, 11–12 hPa per 100 m.
            (
                AltitudeRule::Barometric,
                975.0,
                336.9,
                1112.1,
                Some(15.0),
                889.4,
                1.0,
            ),
        ];
        for (rule, value, from, to, temp, expected, tolerance) in cases {
            let got = rule.carry(value, from, to, temp);
            assert!(
                (got - expected).abs() <= tolerance + 1e-9,
                "{rule:?} {value} {from}→{to}: {got}"
            );
        }
    }

    #[test]
    fn barometric_carry_round_trips() {
        let there = AltitudeRule::Barometric.carry(970.0, 300.0, 800.0, Some(20.0));
        let back = AltitudeRule::Barometric.carry(there, 800.0, 300.0, Some(20.0));
        assert!((back - 970.0).abs() < 1e-9);
    }

    #[test]
    fn sea_level_reduction_at_qingliu() {
        // 58819 at 336.9 m: about 38 hPa are added on a hot day, 4 hPa more at 0 °C.
        let warm = sea_level_pressure(975.0, 336.9, Some(28.0));
        let cold = sea_level_pressure(975.0, 336.9, Some(0.0));
        assert!((1012.0..1014.0).contains(&warm), "{warm}");
        assert!((warm + 3.5..warm + 4.5).contains(&cold), "{cold}");
    }

    #[test]
    fn humidity_from_dew_point_matches_tables() {
        let cases = [
            (20.0, 20.0, 100.0),
            (30.0, 20.0, 55.1),
            (10.0, 0.0, 49.8),
            (-5.0, -8.0, 79.5),
        ];
        for (temp, dew, expected) in cases {
            let rh = relative_humidity(temp, dew);
            assert!((rh - expected).abs() < 0.5, "{temp}/{dew}: {rh}");
        }
    }
}
