//! One station's weather, minute by minute: the driver interpolated to the minute and moved to
//! the station's altitude, with the station's own small biases and sensor wander.
//!
//! What each element is made of:
//! - `TEM`: driver temperature (cubic between hours), lapsed at 6.5 K/km from
//!   [`DRIVER_ALTITUDE_M`] to the station, plus a fixed ±0.3 °C siting bias and a wander of
//!   ±0.35 °C over tens of minutes.
//! - `RHU`: from the station's temperature and dewpoint (driver dewpoint lapsed at
//!   [`physics::DEWPOINT_LAPSE_RATE`], ±0.3 °C bias), Magnus formula, at most 100 %.
//! - `PRS`: driver pressure carried to the station's altitude by the barometric formula.
//! - `WIN_S_Avg_2mi`, `WIN_S_Inst_Max`, `WIN_D_Avg_2mi`: driver speed times an exposure factor
//!   (0.75 in the valleys rising to ~1.7 on the 1112 m summit, ±15 % per station) with gusty
//!   wander; gusts 1.3–1.6 × the mean; direction interpolated on the circle between the
//!   driver's quadrants, turned by a fixed terrain offset (±25°) and wandering more in light
//!   wind. Directions are reported in 1–360 (north is 360).
//! - `PRE`, `PRE_1h`: see [`super::rain`]; `PRE_1h` is omitted when any of the last sixty
//!   minutes was lost to a power outage (the station cannot know the hour's total).
//! - `GST`: [`physics::ground_surface_temp`] with the sun as the station sees it.
//! - `VIS` (national station only): [`physics::visibility`] from humidity, rain and, near
//!   saturation in light wind, fog.

use std::collections::BTreeMap;

use super::driver::{DRIVER_ALTITUDE_M, Driver};
use super::noise::{mix, mix_i, seed_of, signed, unit, wander};
use super::outage::{OutageKind, OutagePlan};
use super::physics::{self, Air, Surface};
use super::rain::{self, RainSite};
use super::timemap::HourFrame;
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::{Element, Station, StationId, StationKind, Timestamp};

/// The fixed character of one simulated station, derived once from its catalogue entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StationModel {
    /// Station id.
    pub id: StationId,
    /// Seed of everything random about this station.
    pub seed: u64,
    /// Altitude, m.
    pub altitude_m: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Whether the station measures visibility (the national station only).
    pub has_visibility: bool,
    /// Where rain falls on it.
    pub rain: RainSite,
    /// When it goes silent.
    pub outages: OutagePlan,
    temp_bias: f64,
    dew_bias: f64,
    pressure_bias: f64,
    wind_factor: f64,
    direction_offset: f64,
    ground_bias: f64,
}

/// Temperature, humidity and pressure as the station measures them.
#[derive(Debug, Clone, Copy)]
struct AirState {
    temp: f64,
    rh: f64,
    pressure: f64,
}

/// Wind as the station measures it.
#[derive(Debug, Clone, Copy)]
struct WindState {
    mean: f64,
    gust: f64,
    direction: f64,
}

/// Rain at the station, tenths of mm.
#[derive(Debug, Clone, Copy)]
struct RainState {
    /// The clock hour's total.
    hour_tenths: u32,
    /// This minute's.
    minute_tenths: u32,
    /// The sixty minutes ending with this one.
    last_60_tenths: u32,
}

/// The shortest turn from `from` to `to`, degrees in `[-180, 180)`.
fn turn(from: f64, to: f64) -> f64 {
    (to - from + 180.0).rem_euclid(360.0) - 180.0
}

/// Rounds to `decimals` places, as the station's logger reports.
fn round_to(value: f64, decimals: usize) -> f64 {
    let scale = 10_f64.powi(decimals as i32);
    // Adding zero turns a rounded -0.0 into 0.0, which is how loggers print it.
    (value * scale).round() / scale + 0.0
}

impl StationModel {
    /// The model of `station`; `origin` (latitude, longitude) is where rain-field
    /// coordinates start (any fixed point in the county).
    pub fn new(station: &Station, origin: (f64, f64)) -> Self {
        let seed = seed_of(station.id.as_str());
        let (lat, lon) = (station.location.lat, station.location.lon);
        let x_km = (lon - origin.1) * 111.32 * origin.0.to_radians().cos();
        let y_km = (lat - origin.0) * 110.57;
        let exposure = ((station.altitude_m - 300.0) / 800.0).clamp(0.0, 1.2);
        let national = station.kind == StationKind::National;
        Self {
            id: station.id.clone(),
            seed,
            altitude_m: station.altitude_m,
            lat,
            lon,
            has_visibility: national,
            rain: RainSite {
                seed,
                x_km,
                y_km,
                altitude_m: station.altitude_m,
            },
            outages: OutagePlan {
                seed,
                slot_probability: if national {
                    OutagePlan::NATIONAL_PROBABILITY
                } else {
                    OutagePlan::REGIONAL_PROBABILITY
                },
            },
            temp_bias: 0.3 * signed(mix(seed, 1)),
            dew_bias: 0.3 * signed(mix(seed, 2)),
            pressure_bias: 0.3 * signed(mix(seed, 3)),
            wind_factor: (0.75 + 0.9 * exposure) * (1.0 + 0.15 * signed(mix(seed, 4))),
            direction_offset: 25.0 * signed(mix(seed, 5)),
            ground_bias: 0.8 * signed(mix(seed, 6)),
        }
    }

    /// What the station measures in the minute ending at `t` (a whole minute), or `None` while
    /// a power outage keeps it from measuring. `frame` is `HourFrame::at(t)`, shared by all
    /// stations.
    pub fn measure(
        &self,
        driver: &Driver,
        frame: &HourFrame,
        t: Timestamp,
    ) -> Option<BTreeMap<Element, f64>> {
        if self.lost(t) {
            return None;
        }
        let minute = t.0.div_euclid(MINUTE_MS);
        let air = self.air(driver, frame, minute);
        let wind = self.wind(driver, frame, minute);
        let rain = self.rain(driver, frame, t);
        let raining = rain.hour_tenths > 0;
        let minute_rain = f64::from(rain.minute_tenths) / 10.0;

        let surface = Surface {
            // The ground lags the sun by the better part of an hour.
            sun_sin: physics::sun_elevation_sin(self.lat, self.lon, t.plus_ms(-40 * MINUTE_MS)),
            clearness: physics::clearness(air.rh, raining),
            wind: wind.mean,
            wet: raining,
        };
        let ground = physics::ground_surface_temp(air.temp, surface)
            + self.ground_bias
            + 0.2 * wander(self.noise(30), minute, 29);

        let mut values = BTreeMap::from([
            (Element::Tem, round_to(air.temp, 1)),
            (Element::Rhu, round_to(air.rh, 0)),
            (Element::Pre, minute_rain),
            (Element::Prs, round_to(air.pressure, 1)),
            (Element::WinSAvg2mi, round_to(wind.mean, 1)),
            (Element::WinDAvg2mi, wind.direction),
            (Element::WinSInstMax, round_to(wind.gust, 1)),
            (Element::Gst, round_to(ground, 1)),
        ]);
        if !self.lost_within_hour(t) {
            values.insert(Element::Pre1h, f64::from(rain.last_60_tenths) / 10.0);
        }
        if self.has_visibility {
            let vis = physics::visibility(Air {
                rh: air.rh,
                rain_mm_h: 0.5 * f64::from(rain.hour_tenths) / 10.0 + 0.5 * minute_rain * 60.0,
                wind: wind.mean,
                clear_m: 20_000.0 + 10_000.0 * wander(self.noise(40), minute, 240),
                fog_density: 0.5 + 0.5 * wander(self.noise(41), minute, 90),
            });
            values.insert(Element::Vis, (vis / 10.0).round() * 10.0);
        }
        Some(values)
    }

    /// A hash for one purpose, fixed for this station.
    fn noise(&self, purpose: u64) -> u64 {
        mix(self.seed, purpose)
    }

    /// Temperature, humidity and pressure in `minute` (minutes since 1970).
    fn air(&self, driver: &Driver, frame: &HourFrame, minute: i64) -> AirState {
        let driver_temp = frame.cubic(&driver.temp);
        let driver_dew = frame.cubic(&driver.dewpoint).min(driver_temp);
        let air = physics::lapse(driver_temp, DRIVER_ALTITUDE_M, self.altitude_m) + self.temp_bias;
        let temp = air
            + 0.35 * wander(self.noise(10), minute, 47)
            + 0.04 * signed(mix_i(self.noise(11), minute));
        let dew = (physics::lapse_dewpoint(driver_dew, DRIVER_ALTITUDE_M, self.altitude_m)
            + self.dew_bias
            + 0.3 * wander(self.noise(12), minute, 61))
        .min(temp);
        let rh =
            physics::relative_humidity(temp, dew) + 0.5 * signed(mix_i(self.noise(13), minute));
        // The layer's temperature without the sensor's wander sets the pressure.
        let pressure = physics::pressure_at(
            frame.cubic(&driver.pressure),
            DRIVER_ALTITUDE_M,
            self.altitude_m,
            driver_temp,
            air,
        ) + self.pressure_bias
            + 0.08 * wander(self.noise(14), minute, 37);
        AirState {
            temp,
            rh: rh.clamp(1.0, 100.0),
            pressure,
        }
    }

    /// Mean wind, gust and direction in `minute`.
    fn wind(&self, driver: &Driver, frame: &HourFrame, minute: i64) -> WindState {
        let driver_speed = frame.cubic(&driver.wind_speed).max(0.0);
        let mean =
            (driver_speed * self.wind_factor * (1.0 + 0.3 * wander(self.noise(20), minute, 9)))
                .clamp(0.0, 60.0);
        let gust = mean * (1.3 + 0.3 * unit(mix_i(self.noise(21), minute)))
            + 0.5 * unit(mix_i(self.noise(22), minute));
        let [d0, d1] = [frame.rows[1], frame.rows[2]].map(|r| f64::from(driver.wind_dir[r]));
        let direction = d0
            + turn(d0, d1) * frame.frac
            + self.direction_offset
            + (20.0 + 30.0 / (1.0 + mean)) * wander(self.noise(23), minute, 13);
        let direction = round_to(direction.rem_euclid(360.0), 0);
        WindState {
            mean,
            gust: gust.clamp(mean, 119.0),
            // 1–360: several formats read a direction of 0 as calm.
            direction: if direction == 0.0 { 360.0 } else { direction },
        }
    }

    /// Rain of the minute ending at `t` and of the hour ending with it, in tenths of mm.
    fn rain(&self, driver: &Driver, frame: &HourFrame, t: Timestamp) -> RainState {
        // The bucket is the clock hour the minute ends in.
        let hour_start = t.floor(HOUR_MS);
        let (bucket_end, row, previous_row) = if t == hour_start {
            (t, frame.rows[1], frame.rows[0])
        } else {
            (hour_start.plus_ms(HOUR_MS), frame.rows[2], frame.rows[1])
        };
        let hour = bucket_end.0.div_euclid(HOUR_MS);
        let index = rain::MINUTES - 1 - ((bucket_end.0 - t.0) / MINUTE_MS) as usize;
        let total = self.rain.hour_tenths(f64::from(driver.rain[row]), hour);
        let previous = self
            .rain
            .hour_tenths(f64::from(driver.rain[previous_row]), hour - 1);
        // This bucket so far, plus the previous bucket's minutes after `index`.
        let last_60_tenths = self.rain.fallen_by(total, hour, index) + previous
            - self.rain.fallen_by(previous, hour - 1, index);
        RainState {
            hour_tenths: total,
            minute_tenths: self.rain.minute(total, hour, index),
            last_60_tenths,
        }
    }

    /// Whether minute `t` is lost to a power outage.
    pub fn lost(&self, t: Timestamp) -> bool {
        self.outages
            .at(t)
            .is_some_and(|o| o.kind == OutageKind::Power)
    }

    /// Whether any minute of the hour ending at `t` was lost to a power outage.
    fn lost_within_hour(&self, t: Timestamp) -> bool {
        self.outages
            .power_lost_between(t.plus_ms(-59 * MINUTE_MS), t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_turn_the_short_way() {
        let cases = [
            (315.0, 45.0, 90.0),
            (45.0, 315.0, -90.0),
            (135.0, 225.0, 90.0),
            (10.0, 10.0, 0.0),
        ];
        for (from, to, expected) in cases {
            assert_eq!(turn(from, to), expected, "{from}→{to}");
        }
    }

    #[test]
    fn rounding_matches_the_loggers() {
        assert_eq!(round_to(12.345, 1), 12.3);
        assert_eq!(round_to(99.6, 0), 100.0);
        assert!(round_to(-0.04, 1).is_sign_positive());
    }
}
