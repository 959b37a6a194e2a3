//! The physics the per-station adjustment rests on: small pure formulas, each checked against a
//! known value.

use std::f64::consts::PI;

use crate::domain::Timestamp;
use crate::domain::time::DAY_MS;

/// Standard-atmosphere temperature lapse rate, K/m (ICAO: 6.5 K/km).
pub const LAPSE_RATE: f64 = 0.0065;

/// How fast the dewpoint falls with height, K/m. In the free atmosphere a well-mixed layer
/// keeps its mixing ratio and its dewpoint falls ~1.8 K/km, which would saturate the county's
/// stations far more often than valley stations in humid south China are; surface stations on
/// slopes track the valley air instead. 5 K/km narrows the dew-point spread by 1.5 K/km: the
/// 1112 m station is in cloud a good part of the time, the valley stations rarely.
pub const DEWPOINT_LAPSE_RATE: f64 = 0.005;

/// Standard gravity, m/s².
const G: f64 = 9.806_65;
/// Specific gas constant of dry air, J/(kg·K).
const R_DRY: f64 = 287.05;
/// 0 °C in kelvin.
const ZERO_C: f64 = 273.15;

/// Temperature moved from `from_m` to `to_m` altitude along the standard lapse rate.
pub fn lapse(temp_c: f64, from_m: f64, to_m: f64) -> f64 {
    temp_c - LAPSE_RATE * (to_m - from_m)
}

/// Dewpoint moved from `from_m` to `to_m` along [`DEWPOINT_LAPSE_RATE`].
pub fn lapse_dewpoint(dewpoint_c: f64, from_m: f64, to_m: f64) -> f64 {
    dewpoint_c - DEWPOINT_LAPSE_RATE * (to_m - from_m)
}

/// Pressure at `to_m` from pressure at `from_m` by the hypsometric (barometric) formula, with
/// the layer's mean temperature from the temperatures at both ends (dry air; the humidity
/// correction is below a few tenths of a hectopascal over these heights).
pub fn pressure_at(
    pressure_hpa: f64,
    from_m: f64,
    to_m: f64,
    temp_from_c: f64,
    temp_to_c: f64,
) -> f64 {
    let mean_k = (temp_from_c + temp_to_c) / 2.0 + ZERO_C;
    pressure_hpa * (-G * (to_m - from_m) / (R_DRY * mean_k)).exp()
}

/// Saturation vapour pressure over water, hPa (Magnus form, coefficients of WMO-No. 8:
/// 6.112 hPa, 17.62, 243.12 °C).
pub fn saturation_vapour_pressure(temp_c: f64) -> f64 {
    6.112 * (17.62 * temp_c / (243.12 + temp_c)).exp()
}

/// Relative humidity, %, from temperature and dewpoint; at most 100.
pub fn relative_humidity(temp_c: f64, dewpoint_c: f64) -> f64 {
    (100.0 * saturation_vapour_pressure(dewpoint_c) / saturation_vapour_pressure(temp_c)).min(100.0)
}

/// Sine of the sun's elevation at a place and instant: declination by Cooper's formula, hour
/// angle from mean solar time (the equation of time, ±16 min, is ignored).
pub fn sun_elevation_sin(lat_deg: f64, lon_deg: f64, at: Timestamp) -> f64 {
    let days = at.0.div_euclid(DAY_MS);
    let day_ms = at.0.rem_euclid(DAY_MS) as f64;
    // Day of the year near enough for the declination: days since 1970 modulo the mean year.
    let day_of_year = (days as f64).rem_euclid(365.2425);
    let declination = (23.44 * PI / 180.0) * (2.0 * PI * (284.0 + day_of_year) / 365.0).sin();
    let solar_hours = day_ms / 3_600_000.0 + lon_deg / 15.0;
    let hour_angle = (solar_hours - 12.0) * PI / 12.0;
    let lat = lat_deg.to_radians();
    lat.sin() * declination.sin() + lat.cos() * declination.cos() * hour_angle.cos()
}

/// What the ground surface sees besides the air temperature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surface {
    /// Sine of the sun's elevation a little earlier (the ground lags the sun).
    pub sun_sin: f64,
    /// Sky clearness, 0 (overcast) to 1 (clear).
    pub clearness: f64,
    /// Wind speed, m/s: it mixes the surface layer and damps the difference.
    pub wind: f64,
    /// Rain falling: wet ground stays near the air temperature.
    pub wet: bool,
}

/// Ground-surface temperature, °C: bare ground in sun runs up to ~18 °C above the air at a
/// clear summer noon; on clear calm nights it radiates to ~4 °C below it; cloud, wind and rain
/// pull it back to the air temperature.
pub fn ground_surface_temp(air_c: f64, surface: Surface) -> f64 {
    let clear = surface.clearness.clamp(0.0, 1.0);
    let sun = surface.sun_sin.max(0.0);
    let day = 18.0 * sun.powf(1.3) * (0.2 + 0.8 * clear);
    // Radiative cooling wins once the sun is low; blend over the first ~12° of elevation.
    let night_weight = (1.0 - sun * 5.0).clamp(0.0, 1.0);
    let night = -(0.5 + 3.5 * clear) / (1.0 + 0.3 * surface.wind.max(0.0));
    let difference = day + night_weight * night;
    let damping = if surface.wet { 0.3 } else { 1.0 };
    air_c + damping * difference
}

/// Clearness of the sky guessed from humidity and rain: humid air is usually cloudy air.
pub fn clearness(rh: f64, raining: bool) -> f64 {
    let clear = ((95.0 - rh) / 45.0).clamp(0.0, 1.0);
    if raining { 0.2 * clear } else { clear }
}

/// What visibility depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Air {
    /// Relative humidity, %.
    pub rh: f64,
    /// Rain rate, mm/h.
    pub rain_mm_h: f64,
    /// Wind speed, m/s.
    pub wind: f64,
    /// Visibility of dry air today, m (haze varies it).
    pub clear_m: f64,
    /// How thick fog would be, 0 (thin, ~1 km) to 1 (dense, ~100 m).
    pub fog_density: f64,
}

/// Visibility, m. Moist haze closes in above 80 % (half the clear-air value at 90 %, a tenth
/// from 98 %); rain of `I` mm/h cuts it to ≈ 12 km × I^−0.6 (10 mm/h ≈ 3 km); near saturation
/// in light wind and no rain, fog: 100 m to 1 km.
pub fn visibility(air: Air) -> f64 {
    let haze = ((100.0 - air.rh) / 20.0).clamp(0.1, 1.0);
    let mut vis = air.clear_m * haze;
    if air.rain_mm_h > 0.0 {
        vis = vis.min(12_000.0 * air.rain_mm_h.powf(-0.6));
    } else if air.rh >= 98.5 && air.wind < 2.0 {
        vis = vis.min(1_000.0 - 900.0 * air.fog_density.clamp(0.0, 1.0));
    }
    vis.clamp(50.0, air.clear_m.max(50.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lapse_is_six_and_a_half_per_kilometre() {
        assert!((lapse(20.0, 70.0, 1070.0) - 13.5).abs() < 1e-9);
        assert!((lapse(20.0, 500.0, 0.0) - 23.25).abs() < 1e-9);
    }

    #[test]
    fn pressure_falls_with_height_as_the_barometric_formula_says() {
        // 1005 hPa at sea level, 400 m up, 15 °C at the bottom: ≈ 957–958 hPa.
        let p = pressure_at(1005.0, 0.0, 400.0, 15.0, lapse(15.0, 0.0, 400.0));
        assert!((956.5..959.0).contains(&p), "{p}");
        // Standard atmosphere: 1013.25 hPa, 15 °C at 0 m gives 898.7 hPa at 1000 m.
        let p = pressure_at(1013.25, 0.0, 1000.0, 15.0, 8.5);
        assert!((p - 898.7).abs() < 0.5, "{p}");
        assert!((pressure_at(1000.0, 50.0, 50.0, 10.0, 10.0) - 1000.0).abs() < 1e-9);
    }

    #[test]
    fn humidity_from_dewpoint() {
        let cases = [
            (20.0, 20.0, 100.0),
            (20.0, 25.0, 100.0), // supersaturation is capped
            (30.0, 20.0, 55.1),  // tables: 30 °C with 20 °C dewpoint ≈ 55 %
            (10.0, 0.0, 49.8),
        ];
        for (t, td, expected) in cases {
            let rh = relative_humidity(t, td);
            assert!((rh - expected).abs() < 0.6, "{t}/{td}: {rh}");
        }
        assert!((saturation_vapour_pressure(0.0) - 6.112).abs() < 1e-9);
        assert!((saturation_vapour_pressure(20.0) - 23.37).abs() < 0.1);
    }

    #[test]
    fn the_sun_is_high_at_noon_in_june_and_down_at_midnight() {
        let (lat, lon) = (26.18, 116.82);
        // Local solar noon ≈ 04:13 UTC at 116.8° E.
        let june_noon = Timestamp::parse_rfc3339("2026-06-21T04:13:00Z").unwrap();
        let elevation = sun_elevation_sin(lat, lon, june_noon).asin().to_degrees();
        assert!((elevation - 87.3).abs() < 1.5, "{elevation}");
        let december_noon = Timestamp::parse_rfc3339("2026-12-21T04:13:00Z").unwrap();
        let elevation = sun_elevation_sin(lat, lon, december_noon)
            .asin()
            .to_degrees();
        assert!((elevation - 40.4).abs() < 1.5, "{elevation}");
        let midnight = Timestamp::parse_rfc3339("2026-06-21T16:13:00Z").unwrap();
        assert!(sun_elevation_sin(lat, lon, midnight) < -0.5);
    }

    #[test]
    fn ground_is_warm_in_sun_and_cold_on_clear_nights() {
        let sunny = Surface {
            sun_sin: 0.95,
            clearness: 1.0,
            wind: 1.0,
            wet: false,
        };
        let g = ground_surface_temp(30.0, sunny);
        assert!((44.0..50.0).contains(&g), "{g}");
        let cloudy = Surface {
            clearness: 0.0,
            ..sunny
        };
        assert!(ground_surface_temp(30.0, cloudy) < g - 8.0);
        let clear_night = Surface {
            sun_sin: -0.5,
            clearness: 1.0,
            wind: 0.0,
            wet: false,
        };
        assert!((ground_surface_temp(2.0, clear_night) - -2.0).abs() < 1e-9);
        let windy_overcast_night = Surface {
            clearness: 0.0,
            wind: 6.0,
            ..clear_night
        };
        let g = ground_surface_temp(2.0, windy_overcast_night);
        assert!((1.5..2.0).contains(&g), "{g}");
        let rainy = Surface { wet: true, ..sunny };
        assert!(ground_surface_temp(30.0, rainy) < 36.0);
    }

    #[test]
    fn visibility_closes_in_with_humidity_rain_and_fog() {
        let air = Air {
            rh: 60.0,
            rain_mm_h: 0.0,
            wind: 1.0,
            clear_m: 25_000.0,
            fog_density: 0.5,
        };
        let cases = [
            (air, 25_000.0),
            (Air { rh: 90.0, ..air }, 12_500.0),
            (Air { rh: 98.0, ..air }, 2_500.0),
            (Air { rh: 99.0, ..air }, 550.0),
            (
                Air {
                    rh: 100.0,
                    fog_density: 1.0,
                    ..air
                },
                100.0,
            ),
            (
                Air {
                    rh: 100.0,
                    wind: 3.0,
                    ..air
                },
                2_500.0,
            ),
            (
                Air {
                    rain_mm_h: 10.0,
                    ..air
                },
                3_015.0,
            ),
            (
                Air {
                    rh: 100.0,
                    rain_mm_h: 10.0,
                    ..air
                },
                2_500.0,
            ),
            (
                Air {
                    rain_mm_h: 0.01,
                    ..air
                },
                25_000.0,
            ),
        ];
        for (air, expected) in cases {
            let v = visibility(air);
            assert!((v - expected).abs() < expected * 0.01, "{air:?}: {v}");
        }
    }
}
