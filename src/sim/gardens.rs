//! The simulated tea gardens and greenhouses of the embedded default (悠然国茶园 among them,
//! each labelled 模拟): devices of `assets/devices/simulated.json` that publish over MQTT like
//! real ones, their readings pure functions of (device, minute) as the stations' are.
//!
//! ```text
//!  simulated.json ─▶ GardenDevice (its station's weather at its altitude, see super::station)
//!                          │  + soil, leaf, greenhouse and health (super::garden_physics)
//!                          ▼
//!                     Reading ─▶ payload (JSON) ─▶ publisher (rumqttc, one client per device)
//! ```
//!
//! A garden station reports its air (`TEM`, `RHU`, `PRE`, wind) with `SVWC_10cm`, `GST_10cm`
//! and `LEAF_WET`; a greenhouse controller the air inside (`TEM_In`, `RHU_In`, `CO2`). Both add
//! their battery, supply and signal. The minutes a device's station model loses to a power
//! outage it does not report.

pub mod payload;
pub mod publisher;

use std::collections::BTreeMap;

use super::driver::{DRIVER_ALTITUDE_M, Driver, DriverError};
use super::garden_physics::{self as gp, Hour, Power};
use super::noise::{mix, seed_of, signed, wander};
use super::physics;
use super::relay_history::RelayHistory;
use super::station::StationModel;
use super::timemap::{HourFrame, data_hour};
use crate::domain::devices::{Device, DeviceKind, HealthReading};
use crate::domain::network::{Network, Station, StationKind};
use crate::domain::relays::RelayClass;
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::{Element, Timestamp};

pub use publisher::{BrokerEndpoint, GardensSummary, RelaySource, run};

/// Why the simulated devices cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum GardenError {
    /// The asset does not parse.
    #[error("assets/devices/simulated.json: {0}")]
    Json(#[from] serde_json::Error),
    /// A record is inconsistent.
    #[error("simulated device {id}: {reason}")]
    Invalid {
        /// The device.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// The driver data is unusable.
    #[error("simulator driver: {0}")]
    Driver(#[from] DriverError),
}

/// The embedded default's simulated devices ([`crate::assets::simulated_devices`]), each
/// checked with [`Device::validate`]: the devices [`run`] plays.
pub fn simulated_devices() -> Result<Vec<Device>, GardenError> {
    let devices = crate::assets::simulated_devices()?;
    for device in &devices {
        device.validate().map_err(|error| GardenError::Invalid {
            id: device.id.to_string(),
            reason: error.to_string(),
        })?;
    }
    Ok(devices)
}

/// What one device reports for one minute.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The observation time (end of the minute).
    pub time: Timestamp,
    /// The readings by element.
    pub values: BTreeMap<Element, f64>,
    /// Battery, supply and signal.
    pub health: HealthReading,
}

/// How far back a greenhouse's air remembers its relays: a fan exchanges its air, and a
/// shade net's cooling shows, within a quarter of an hour or so.
pub const ACTUATION_WINDOW_MS: i64 = 20 * MINUTE_MS;

/// Hours of weather history a reading looks back on (the soil moisture's spin-up).
const HISTORY_HOURS: usize = gp::SOIL_SPIN_UP_H;

/// One simulated garden station or greenhouse controller.
#[derive(Debug, Clone)]
pub struct GardenDevice {
    /// Its record.
    pub device: Device,
    station: StationModel,
    seed: u64,
    soil_bias: f64,
    rssi_base: f64,
}

impl GardenDevice {
    /// The model of `device` (a garden station or greenhouse controller naming its station);
    /// rain-field coordinates start at `network`'s national station, as the stations' do.
    pub fn new(device: Device, network: &Network) -> Result<Self, GardenError> {
        let invalid = |reason: &str| GardenError::Invalid {
            id: device.id.to_string(),
            reason: reason.to_owned(),
        };
        let station_kind = match device.kind {
            DeviceKind::GardenStation => StationKind::Garden,
            DeviceKind::GreenhouseController => StationKind::Greenhouse,
            _ => return Err(invalid("only gardens and greenhouses are simulated")),
        };
        let id = device
            .station
            .clone()
            .ok_or_else(|| invalid("names no station"))?;
        let origin = network
            .stations
            .iter()
            .find(|s| s.kind == StationKind::National)
            .map_or((device.location.lat, device.location.lon), |s| {
                (s.location.lat, s.location.lon)
            });
        let station = Station {
            id,
            name_zh: device.name_zh.clone(),
            name_en: device.id.to_string(),
            kind: station_kind,
            location: device.location,
            altitude_m: device.altitude_m,
            township: device.township,
            uncertainty: None,
        };
        let seed = seed_of(device.id.as_str());
        Ok(Self {
            station: StationModel::new(&station, origin),
            soil_bias: 3.0 * signed(mix(seed, 1)),
            rssi_base: -75.0 + 12.0 * signed(mix(seed, 2)),
            seed,
            device,
        })
    }

    /// What the device reports for the minute ending at `t` (a whole minute), or `None` while
    /// a power outage keeps it silent; its relays (if any) idle.
    pub fn reading(&self, driver: &Driver, t: Timestamp) -> Option<Reading> {
        self.reading_with(driver, t, &RelayHistory::default())
    }

    /// [`GardenDevice::reading`] with a greenhouse's relays as `relays` tells they switched.
    pub fn reading_with(
        &self,
        driver: &Driver,
        t: Timestamp,
        relays: &RelayHistory,
    ) -> Option<Reading> {
        let outside = self.station.measure(driver, &HourFrame::at(t), t)?;
        let minute = t.0.div_euclid(MINUTE_MS);
        let hours = self.history(driver, t, &outside);
        let clearness = physics::clearness(hours[0].rh, hours[0].rain_mm > 0.0);
        let mut values = BTreeMap::new();
        let power = match self.device.kind {
            DeviceKind::GreenhouseController => {
                let act = self.actuation(relays, t);
                let inside = gp::greenhouse_actuated(&hours[..24], clearness, act);
                values.insert(
                    Element::TemIn,
                    round(inside.temp + self.jitter(10, minute, 0.2), 1),
                );
                values.insert(Element::RhuIn, round(inside.rh, 0).min(100.0));
                values.insert(
                    Element::Co2,
                    round(inside.co2 + self.jitter(11, minute, 15.0), 0),
                );
                Power::Mains
            }
            _ => {
                for element in [
                    Element::Tem,
                    Element::Rhu,
                    Element::Pre,
                    Element::WinSAvg2mi,
                    Element::WinDAvg2mi,
                    Element::WinSInstMax,
                ] {
                    if let Some(value) = outside.get(&element) {
                        values.insert(element, *value);
                    }
                }
                let air: Vec<f64> = hours[..48].iter().map(|h| h.temp).collect();
                let soil_temp = gp::soil_temp_10cm(&air) + self.jitter(12, minute, 0.1);
                let moisture = gp::soil_moisture(&hours) + self.soil_bias;
                let (dry, wet) = gp::SOIL_MOISTURE_RANGE;
                values.insert(Element::Gst10cm, round(soil_temp, 1));
                values.insert(Element::Svwc10cm, round(moisture.clamp(dry, wet), 1));
                values.insert(Element::LeafWet, round(gp::leaf_wetness(&hours[..24]), 0));
                Power::Solar
            }
        };
        let volts = gp::voltages(power, &hours[..24], clearness);
        let health = HealthReading {
            battery_v: Some(round(volts.battery_v + self.jitter(13, minute, 0.02), 2)),
            supply_v: Some(round(volts.supply_v, 1)),
            rssi_dbm: Some(round(self.rssi_base + self.jitter(14, minute, 4.0), 0)),
        };
        Some(Reading {
            time: t,
            values,
            health,
        })
    }

    /// How long each class of the device's relays was on in the [`ACTUATION_WINDOW_MS`]
    /// before `t` (the most of its relays of that class).
    fn actuation(&self, relays: &RelayHistory, t: Timestamp) -> gp::Actuation {
        let from = t.plus_ms(-ACTUATION_WINDOW_MS);
        let share = |class| {
            self.device
                .relays
                .iter()
                .filter(|r| r.class == class)
                .map(|r| relays.on_fraction(r.channel, from, t))
                .fold(0.0, f64::max)
        };
        gp::Actuation {
            fan: share(RelayClass::Ventilation),
            shade: share(RelayClass::Shade),
            irrigation: share(RelayClass::Irrigation),
        }
    }

    /// Sensor wander of up to `±amplitude`, fixed for (device, purpose, minute).
    fn jitter(&self, purpose: u64, minute: i64, amplitude: f64) -> f64 {
        amplitude * wander(mix(self.seed, 100 + purpose), minute, 23)
    }

    /// The weather at the device now (from `outside`, what its station model measured) and in
    /// each of the [`HISTORY_HOURS`] clock hours before, newest first.
    fn history(
        &self,
        driver: &Driver,
        t: Timestamp,
        outside: &BTreeMap<Element, f64>,
    ) -> Vec<Hour> {
        let value = |element, default| outside.get(&element).copied().unwrap_or(default);
        let now = Hour {
            temp: value(Element::Tem, f64::NAN),
            rh: value(Element::Rhu, 80.0),
            rain_mm: value(Element::Pre1h, 0.0).max(value(Element::Pre, 0.0)),
            wind: value(Element::WinSAvg2mi, 0.0),
            sun_sin: physics::sun_elevation_sin(self.station.lat, self.station.lon, t),
        };
        let last_hour = t.floor(HOUR_MS);
        let past = (0..HISTORY_HOURS as i64 - 1)
            .map(|k| self.past_hour(driver, last_hour.plus_ms(-k * HOUR_MS)));
        std::iter::once(now).chain(past).collect()
    }

    /// The clock hour ending at `end`, from the driver moved to the device's altitude (the
    /// sensor's noise left out: these only feed slow processes).
    fn past_hour(&self, driver: &Driver, end: Timestamp) -> Hour {
        let row = data_hour(end);
        let altitude = self.station.altitude_m;
        let temp = physics::lapse(f64::from(driver.temp[row]), DRIVER_ALTITUDE_M, altitude);
        let dew =
            physics::lapse_dewpoint(f64::from(driver.dewpoint[row]), DRIVER_ALTITUDE_M, altitude)
                .min(temp);
        let hour = end.0.div_euclid(HOUR_MS);
        let rain_tenths = self
            .station
            .rain
            .hour_tenths(f64::from(driver.rain[row]), hour);
        Hour {
            temp,
            rh: physics::relative_humidity(temp, dew),
            rain_mm: f64::from(rain_tenths) / 10.0,
            wind: f64::from(driver.wind_speed[row]).max(0.0),
            sun_sin: physics::sun_elevation_sin(
                self.station.lat,
                self.station.lon,
                end.plus_ms(-HOUR_MS / 2),
            ),
        }
    }
}

/// Rounds to `decimals` places, as a logger reports.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale + 0.0
}

#[cfg(test)]
mod tests;
