//! The device registry's records: what a device is, where it stands, how it reaches the
//! central, how often it should be heard, and what it is compared with. Weather-reporting
//! devices (stations, garden micro-stations, greenhouse controllers) also report as a station of
//! the network, under the station id the record names.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::health::Transport;
use crate::domain::geo::LatLon;
use crate::domain::network::{StationId, TownshipCode};
use crate::domain::relays::{self, InvalidRelay, Relay};

/// A device's id: 3–32 ASCII letters, digits, `-` or `_` (`YR-AWS1`, `DTU-LF1`). It is also
/// its MQTT client id and user name, so it holds nothing MQTT topics treat specially.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

/// Why a text is not a device id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device id must be 3–32 ASCII letters, digits, '-' or '_', got {0:?}")]
pub struct InvalidDeviceId(pub String);

impl DeviceId {
    /// Parses and validates a device id (case is kept: ids are printed on the boxes).
    pub fn parse(text: &str) -> Result<Self, InvalidDeviceId> {
        let valid = (3..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidDeviceId(text.to_owned()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceId {
    type Error = InvalidDeviceId;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<DeviceId> for String {
    fn from(id: DeviceId) -> Self {
        id.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// An automatic weather station (national or regional).
    WeatherStation,
    /// A tea-garden micro-station (农气宝): air, soil and leaf.
    GardenStation,
    /// A greenhouse controller: inside air, CO₂, and the greenhouse's relays.
    GreenhouseController,
    /// A relay board (fans, irrigation, shade nets, frost fans), read and switched by Modbus.
    RelayBoard,
    /// A 4G DTU: the boards behind it speak Modbus RTU through its TCP link.
    Dtu,
}

impl DeviceKind {
    /// Every kind, in the order lists group them.
    pub const ALL: [Self; 5] = [
        Self::WeatherStation,
        Self::GardenStation,
        Self::GreenhouseController,
        Self::RelayBoard,
        Self::Dtu,
    ];

    /// Whether its readings are weather a chart draws: it reports as a station.
    pub const fn reports_weather(self) -> bool {
        matches!(
            self,
            Self::WeatherStation | Self::GardenStation | Self::GreenhouseController
        )
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::WeatherStation => "自动气象站",
            Self::GardenStation => "茶园小气候站",
            Self::GreenhouseController => "大棚控制器",
            Self::RelayBoard => "继电器板",
            Self::Dtu => "4G DTU",
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::WeatherStation => "Weather station",
            Self::GardenStation => "Garden micro-station",
            Self::GreenhouseController => "Greenhouse controller",
            Self::RelayBoard => "Relay board",
            Self::Dtu => "4G DTU",
        }
    }
}

/// Where a board answers Modbus, and its quirks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModbusEndpoint {
    /// `host:port` of a Modbus TCP board; `None` for a board behind a DTU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The Modbus unit (slave) id, 1–247.
    pub unit: u8,
    /// The board's manual numbers coils and registers from 1, not 0.
    #[serde(default)]
    pub one_based: bool,
    /// The name of the register map that says what to read from it (the central's map book);
    /// `None`: a plain relay board, its 8 coils from the manual's first number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<String>,
    /// The most registers (or coils) it answers in one request, when less than Modbus allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_request: Option<u16>,
}

/// One device of the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Its id.
    pub id: DeviceId,
    /// Chinese display name.
    pub name_zh: String,
    /// What it is.
    pub kind: DeviceKind,
    /// WGS84/CGCS2000 position.
    pub location: LatLon,
    /// Altitude, m.
    pub altitude_m: f64,
    /// The township it stands in.
    pub township: TownshipCode,
    /// How it reaches the central.
    pub transport: Transport,
    /// How often it should be heard, seconds.
    pub interval_s: u32,
    /// The station it reports as (weather-reporting kinds only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<StationId>,
    /// The regional station its readings are compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_station: Option<StationId>,
    /// The DTU it sits behind (Modbus RTU boards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtu: Option<DeviceId>,
    /// Where it answers Modbus (Modbus boards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modbus: Option<ModbusEndpoint>,
    /// It reports over the county's 4G network.
    #[serde(default)]
    pub cellular: bool,
    /// The embedded default's simulator plays it; the desk labels it so.
    #[serde(default)]
    pub simulated: bool,
    /// Its switchable outputs (relay boards, greenhouse controllers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relays: Vec<Relay>,
}

/// Why a device record cannot be registered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidDevice {
    /// A weather-reporting device must name its station, and nothing else may.
    #[error("a {kind:?} must name the station it reports as: {reason}")]
    Station {
        /// Its kind.
        kind: DeviceKind,
        /// What is wrong.
        reason: &'static str,
    },
    /// The transport and the Modbus fields disagree.
    #[error("transport {0:?}: {1}")]
    Transport(Transport, &'static str),
    /// A report interval of zero or over a day.
    #[error("report interval must be 1 s to 1 day, got {0} s")]
    Interval(u32),
    /// A position outside the earth.
    #[error("location {0:?} is not a latitude and longitude")]
    Location(LatLon),
    /// Its relays' description.
    #[error(transparent)]
    Relays(#[from] InvalidRelay),
}

impl InvalidDevice {
    /// The record's field at fault, as the API names it.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::Station { .. } => "station",
            Self::Transport(..) => "transport",
            Self::Interval(_) => "interval_s",
            Self::Location(_) => "location",
            Self::Relays(_) => "relays",
        }
    }
}

impl Device {
    /// Its relay on `channel`.
    pub fn relay(&self, channel: u16) -> Option<&Relay> {
        self.relays.iter().find(|r| r.channel == channel)
    }

    /// Checks the record is whole and self-consistent (not that what it names exists: the
    /// registry checks that against the network).
    pub fn validate(&self) -> Result<(), InvalidDevice> {
        let station_required = self.kind.reports_weather();
        match (station_required, &self.station) {
            (true, None) => return Err(self.station_error("it names none")),
            (false, Some(_)) => {
                return Err(self.station_error("only weather devices report as one"));
            }
            _ => {}
        }
        if !(1..=86_400).contains(&self.interval_s) {
            return Err(InvalidDevice::Interval(self.interval_s));
        }
        let LatLon { lat, lon } = self.location;
        if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            return Err(InvalidDevice::Location(self.location));
        }
        relays::validate(&self.relays)?;
        self.validate_transport()
    }

    fn station_error(&self, reason: &'static str) -> InvalidDevice {
        InvalidDevice::Station {
            kind: self.kind,
            reason,
        }
    }

    fn validate_transport(&self) -> Result<(), InvalidDevice> {
        let fail = |why| Err(InvalidDevice::Transport(self.transport, why));
        let modbus = self.modbus.as_ref();
        if self.kind == DeviceKind::Dtu {
            // A DTU is the link itself: it dials in, and boards name it.
            return match (self.transport, modbus, &self.dtu) {
                (Transport::ModbusDtu, None, None) => Ok(()),
                _ => fail("a DTU dials in (modbus_dtu) and has no Modbus address or DTU"),
            };
        }
        match self.transport {
            Transport::Mqtt if modbus.is_some() || self.dtu.is_some() => {
                fail("an MQTT device has no Modbus address or DTU")
            }
            Transport::ModbusTcp if modbus.and_then(|m| m.address.as_ref()).is_none() => {
                fail("a Modbus TCP board needs its host:port")
            }
            Transport::ModbusDtu if self.dtu.is_none() || modbus.is_none() => {
                fail("a board behind a DTU names the DTU and its unit id")
            }
            Transport::ModbusTcp | Transport::ModbusDtu
                if !(1..=247).contains(&modbus.map_or(0, |m| m.unit)) =>
            {
                fail("a Modbus unit id is 1–247")
            }
            _ => Ok(()),
        }
    }

    /// The expected report interval, ms.
    pub fn interval_ms(&self) -> i64 {
        i64::from(self.interval_s) * 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn garden() -> Device {
        Device {
            id: DeviceId::parse("YR-AWS1").unwrap(),
            name_zh: "悠然国茶园小气候站".into(),
            kind: DeviceKind::GardenStation,
            location: LatLon::new(26.10, 116.95),
            altitude_m: 520.0,
            township: TownshipCode(350_423_104),
            transport: Transport::Mqtt,
            interval_s: 60,
            station: Some(StationId::parse("YRG01").unwrap()),
            reference_station: Some(StationId::parse("708305").unwrap()),
            dtu: None,
            modbus: None,
            cellular: true,
            simulated: true,
            relays: Vec::new(),
        }
    }

    #[test]
    fn device_ids_are_validated() {
        let cases = [
            ("YR-AWS1", true),
            ("dtu_01", true),
            ("ab", false),
            ("a/b/c", false),
            ("a+b", false),
            ("a#b", false),
            ("", false),
        ];
        for (text, ok) in cases {
            assert_eq!(DeviceId::parse(text).is_ok(), ok, "{text}");
        }
    }

    #[test]
    fn records_are_checked_for_consistency() {
        assert_eq!(garden().validate(), Ok(()));
        let no_station = Device {
            station: None,
            ..garden()
        };
        assert!(matches!(
            no_station.validate(),
            Err(InvalidDevice::Station { .. })
        ));
        let board_with_station = Device {
            kind: DeviceKind::RelayBoard,
            ..garden()
        };
        assert!(board_with_station.validate().is_err());
        let tcp_without_address = Device {
            kind: DeviceKind::RelayBoard,
            station: None,
            transport: Transport::ModbusTcp,
            modbus: Some(ModbusEndpoint {
                address: None,
                unit: 1,
                one_based: false,
                map: None,
                max_per_request: None,
            }),
            ..garden()
        };
        assert!(matches!(
            tcp_without_address.validate(),
            Err(InvalidDevice::Transport(..))
        ));
        let bad_unit = Device {
            modbus: Some(ModbusEndpoint {
                address: Some("127.0.0.1:502".into()),
                unit: 0,
                one_based: false,
                map: None,
                max_per_request: None,
            }),
            ..tcp_without_address.clone()
        };
        assert!(bad_unit.validate().is_err());
        let dtu = Device {
            id: DeviceId::parse("DTU-LF1").unwrap(),
            kind: DeviceKind::Dtu,
            station: None,
            transport: Transport::ModbusDtu,
            ..garden()
        };
        assert_eq!(dtu.validate(), Ok(()));
        let dtu_over_mqtt = Device {
            transport: Transport::Mqtt,
            ..dtu
        };
        assert!(dtu_over_mqtt.validate().is_err());
        let good_board = Device {
            modbus: Some(ModbusEndpoint {
                address: Some("127.0.0.1:502".into()),
                unit: 1,
                one_based: true,
                map: None,
                max_per_request: None,
            }),
            ..tcp_without_address
        };
        assert_eq!(good_board.validate(), Ok(()));
        let zero_interval = Device {
            interval_s: 0,
            ..garden()
        };
        assert_eq!(zero_interval.validate(), Err(InvalidDevice::Interval(0)));
    }
}
