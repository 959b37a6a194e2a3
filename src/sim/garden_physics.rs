//! The physics of the simulated tea gardens and greenhouses: small pure formulas over the
//! hours before a minute (newest first), so a value is a function of time and device alone and
//! a restarted simulator says again what it said before.
//!
//! - Soil temperature at 10 cm: the air temperature through a first-order low-pass of
//!   [`SOIL_TIME_CONSTANT_H`] (a 10 cm soil layer damps the daily swing to about half and delays
//!   its peak by three to four hours; heat-conduction theory with a diffusivity of
//!   0.5 mm²/s gives 0.43 and 3.3 h).
//! - Soil moisture at 10 cm: a bucket of 100 mm of soil (1 mm of water = 1 % by volume) run
//!   over the last [`SOIL_SPIN_UP_H`] hours: rain infiltrates less as the soil fills, water
//!   above field capacity drains, evapotranspiration (sun, warmth, dry air, wind) takes water
//!   out more slowly as the soil dries; bounded to 10–45 %.
//! - Leaf wetness: wet by rain and drying in sun and wind; dew when the air is at 95 % or more
//!   at night.
//! - Greenhouse: inside air warmed by the sun through the film (vents open above
//!   [`VENT_OPEN_C`]), kept slightly warmer at night; more humid from the plants' transpiration;
//!   CO₂ building up in the dark from respiration to ~1200 ppm and drawn down by
//!   photosynthesis by day towards the outside's ~400 ppm. Its relays act on it
//!   ([`Actuation`]): the fan trades the inside air for the outside's, the shade net cuts the
//!   solar gain, drip irrigation wets the soil (moister air).
//! - Health: a 12 V battery charged by a solar panel by day and drained slowly at night; a
//!   greenhouse controller runs on a mains adapter and floats its backup battery.

use super::physics;

/// Time constant of the 10 cm soil's response to the air, hours.
pub const SOIL_TIME_CONSTANT_H: f64 = 6.0;
/// Hours of history the soil-moisture bucket runs over: its start value is forgotten by then.
pub const SOIL_SPIN_UP_H: usize = 14 * 24;
/// Soil moisture bounds, % by volume (dry clay loam to saturation).
pub const SOIL_MOISTURE_RANGE: (f64, f64) = (10.0, 45.0);
/// Field capacity, % by volume: water above it drains within a day or so.
pub const FIELD_CAPACITY: f64 = 35.0;
/// Where the bucket starts, % by volume, [`SOIL_SPIN_UP_H`] hours back.
const SOIL_START: f64 = 28.0;
/// Inside temperature at which the greenhouse's vents open, °C.
pub const VENT_OPEN_C: f64 = 30.0;
/// Outside air's CO₂, ppm.
pub const OUTSIDE_CO2_PPM: f64 = 400.0;
/// CO₂ a closed greenhouse reaches after a long night, ppm.
pub const NIGHT_CO2_PPM: f64 = 1200.0;

/// The weather at a device over one hour (or at one instant, for the present).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hour {
    /// Air temperature, °C.
    pub temp: f64,
    /// Relative humidity, %.
    pub rh: f64,
    /// Rain in the hour, mm.
    pub rain_mm: f64,
    /// Mean wind speed, m/s.
    pub wind: f64,
    /// Sine of the sun's elevation (negative at night).
    pub sun_sin: f64,
}

/// Exponentially weighted mean of `series` (newest first, one step apart) with time constant
/// `tau` steps: the response of a first-order lag that has run long enough to forget its start.
pub fn lagged_mean(series: &[f64], tau: f64) -> Option<f64> {
    let (sum, weights) =
        series
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(sum, weights), (k, value)| {
                let w = (-(k as f64) / tau).exp();
                (sum + w * value, weights + w)
            });
    (weights > 0.0).then(|| sum / weights)
}

/// Soil temperature at 10 cm, °C, from the air temperature now and at each hour before
/// (newest first; about two days is enough). Soil under tea bushes runs about 1 °C above the
/// air's mean (the ground's heat flux).
pub fn soil_temp_10cm(air_hourly: &[f64]) -> f64 {
    lagged_mean(air_hourly, SOIL_TIME_CONSTANT_H).map_or(f64::NAN, |mean| mean + 1.0)
}

/// Evapotranspiration from a well-watered tea garden in one hour, mm: up to ~0.6 mm in a clear
/// summer noon, more in dry air and wind, a trickle at night.
pub fn evapotranspiration_mm(hour: Hour) -> f64 {
    let sun = hour.sun_sin.max(0.0);
    let warmth = ((hour.temp + 5.0) / 35.0).clamp(0.0, 1.3);
    let dryness = (1.0 - hour.rh / 100.0).clamp(0.0, 1.0);
    let wind = 1.0 + 0.1 * hour.wind.clamp(0.0, 10.0);
    (0.5 * sun * warmth + 0.15 * dryness * wind + 0.01).max(0.0)
}

/// The bucket's moisture, %, after one `hour` starting from `theta`.
pub fn soil_moisture_step(theta: f64, hour: Hour) -> f64 {
    let (dry, wet) = SOIL_MOISTURE_RANGE;
    // Infiltration falls as the soil fills; heavy bursts mostly run off.
    let room = ((wet - theta) / (wet - dry)).clamp(0.0, 1.0);
    let infiltrated = hour.rain_mm.min(20.0) * 0.8 * room;
    let drainage = 0.04 * (theta - FIELD_CAPACITY).max(0.0);
    let available = ((theta - dry) / (FIELD_CAPACITY - dry)).clamp(0.0, 1.0);
    let evaporated = evapotranspiration_mm(hour) * available;
    (theta + infiltrated - drainage - evaporated).clamp(dry, wet)
}

/// Volumetric soil moisture at 10 cm, %, after the hours in `hours` (newest first; up to
/// [`SOIL_SPIN_UP_H`] are used, the oldest first).
pub fn soil_moisture(hours: &[Hour]) -> f64 {
    hours
        .iter()
        .take(SOIL_SPIN_UP_H)
        .rev()
        .fold(SOIL_START, |theta, hour| soil_moisture_step(theta, *hour))
}

/// Leaf wetness, % of the sensor's surface: `hours` is the weather now and at each hour before
/// (newest first; a day is enough). Rain wets it fully; it dries at a rate that grows with sun
/// and wind; dew forms at night when the air is at 95 % or more.
pub fn leaf_wetness(hours: &[Hour]) -> f64 {
    let Some(now) = hours.first() else {
        return 0.0;
    };
    let mut since_rain = None;
    let mut drying = 0.0;
    for (k, hour) in hours.iter().enumerate() {
        if hour.rain_mm >= 0.1 {
            since_rain = Some(k);
            break;
        }
        drying += drying_rate(*hour);
    }
    let from_rain = since_rain.map_or(0.0, |_| 100.0 * (-drying).exp());
    let from_dew = if now.sun_sin <= 0.0 && now.rh >= 95.0 {
        60.0 + 8.0 * (now.rh - 95.0)
    } else {
        0.0
    };
    from_rain.max(from_dew).clamp(0.0, 100.0)
}

/// How fast wet leaves dry in one hour, per hour (e-folding).
fn drying_rate(hour: Hour) -> f64 {
    0.2 + 2.0 * hour.sun_sin.max(0.0)
        + 0.15 * hour.wind.clamp(0.0, 10.0)
        + 0.02 * (100.0 - hour.rh).max(0.0)
}

/// Inside a greenhouse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inside {
    /// Air temperature, °C.
    pub temp: f64,
    /// Relative humidity, %.
    pub rh: f64,
    /// CO₂, ppm.
    pub co2: f64,
}

/// How much of the recent past each of a greenhouse's relays was on, 0–1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Actuation {
    /// The fan (通风).
    pub fan: f64,
    /// The shade net (遮阳).
    pub shade: f64,
    /// Drip irrigation (灌溉).
    pub irrigation: f64,
}

/// Share of the inside-outside difference a fan running throughout removes.
const FAN_EXCHANGE: f64 = 0.75;
/// Share of the solar gain a drawn shade net keeps out.
const SHADE_CUT: f64 = 0.45;

/// The greenhouse's inside air now, from the outside weather now and at each hour before
/// (newest first; a day is enough) and the sky's clearness now (0–1), its relays idle.
pub fn greenhouse(hours: &[Hour], clearness: f64) -> Inside {
    greenhouse_actuated(hours, clearness, Actuation::default())
}

/// [`greenhouse`] with its relays acting as `act` says: the fan relaxes the inside air toward
/// the outside's temperature and humidity, the shade net cuts the sun's gain, irrigation
/// raises the air's moisture a little (the wet soil evaporates).
pub fn greenhouse_actuated(hours: &[Hour], clearness: f64, act: Actuation) -> Inside {
    let idle = greenhouse_idle(hours, clearness, act.shade);
    let Some(now) = hours.first().copied() else {
        return idle;
    };
    let exchange = FAN_EXCHANGE * act.fan.clamp(0.0, 1.0);
    let temp = idle.temp + (now.temp - idle.temp) * exchange;
    let dew_idle = dewpoint(idle.temp, idle.rh) + 1.5 * act.irrigation.clamp(0.0, 1.0);
    let dew = (dew_idle + (dewpoint(now.temp, now.rh) - dew_idle) * exchange).min(temp);
    Inside {
        temp,
        rh: physics::relative_humidity(temp, dew).clamp(40.0, 99.0),
        co2: idle.co2 + (OUTSIDE_CO2_PPM - idle.co2) * exchange,
    }
}

fn greenhouse_idle(hours: &[Hour], clearness: f64, shade: f64) -> Inside {
    let Some(now) = hours.first().copied() else {
        return Inside {
            temp: f64::NAN,
            rh: f64::NAN,
            co2: OUTSIDE_CO2_PPM,
        };
    };
    let sun = now.sun_sin.max(0.0);
    // Solar gain through the film: up to ~14 °C at a clear noon, ~1.5 °C held at night.
    let shaded = 1.0 - SHADE_CUT * shade.clamp(0.0, 1.0);
    let gain = 1.5 + 14.0 * sun * (0.3 + 0.7 * clearness.clamp(0.0, 1.0)) * shaded;
    let mut temp = now.temp + gain;
    if temp > VENT_OPEN_C {
        // Open vents trade the excess with the outside.
        temp = VENT_OPEN_C + 0.35 * (temp - VENT_OPEN_C);
    }
    // The plants' transpiration keeps the dewpoint above the outside's, more so by day.
    let dew_out = dewpoint(now.temp, now.rh);
    let dew_in = (dew_out + 2.0 + 3.0 * sun).min(temp);
    let rh = physics::relative_humidity(temp, dew_in).clamp(40.0, 99.0);
    Inside {
        temp,
        rh,
        co2: greenhouse_co2(hours),
    }
}

/// CO₂ in a greenhouse, ppm: darkness (respiration, vents shut) pushes it towards
/// [`NIGHT_CO2_PPM`] and light (photosynthesis, vents open) pulls it towards the outside's,
/// each with a few hours' memory.
pub fn greenhouse_co2(hours: &[Hour]) -> f64 {
    let darkness: Vec<f64> = hours
        .iter()
        .map(|h| (1.0 - 6.0 * h.sun_sin.max(0.0)).clamp(0.0, 1.0))
        .collect();
    let dark = lagged_mean(&darkness, 3.0).unwrap_or(0.0);
    OUTSIDE_CO2_PPM + (NIGHT_CO2_PPM - OUTSIDE_CO2_PPM) * dark
}

/// Dewpoint, °C, from temperature and relative humidity (inverse of the Magnus form).
pub fn dewpoint(temp_c: f64, rh: f64) -> f64 {
    let gamma = (rh.clamp(1.0, 100.0) / 100.0).ln() + 17.62 * temp_c / (243.12 + temp_c);
    243.12 * gamma / (17.62 - gamma)
}

/// How a device is powered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// A 12 V battery charged by a solar panel (field micro-stations).
    Solar,
    /// A 12 V mains adapter with a backup battery on float (greenhouse controllers).
    Mains,
}

/// Battery and supply voltages, V.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Voltages {
    /// Battery terminal voltage.
    pub battery_v: f64,
    /// Solar panel or adapter output.
    pub supply_v: f64,
}

/// Battery and supply voltages now, from the sun now and at each hour before (newest first; a
/// day is enough) and the sky's clearness now. A solar battery charges towards 13.8 V under
/// sun and rests at ~12.9 V after sunset, sinking towards 12.3 V through the night.
pub fn voltages(power: Power, hours: &[Hour], clearness: f64) -> Voltages {
    let sun = hours.first().map_or(0.0, |h| h.sun_sin.max(0.0));
    let light = sun * (0.3 + 0.7 * clearness.clamp(0.0, 1.0));
    match power {
        Power::Mains => Voltages {
            battery_v: 13.6,
            supply_v: 12.0,
        },
        Power::Solar => {
            let dark_hours = hours.iter().take_while(|h| h.sun_sin <= 0.05).count() as f64;
            let rest = 12.3 + 0.6 * (-dark_hours / 8.0).exp();
            let charging = (light * 4.0).min(1.0);
            Voltages {
                battery_v: rest + (13.8 - rest) * charging,
                supply_v: if sun > 0.0 {
                    17.0 + 4.0 * (light * 3.0).min(1.0)
                } else {
                    0.0
                },
            }
        }
    }
}

#[cfg(test)]
mod tests;
