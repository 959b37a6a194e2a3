//! Relays in the field — greenhouse fans and vents, irrigation valves, shade nets, anti-frost
//! fans — and the rules that keep switching them honest. Pure types and rules: the central's
//! command service, its transports and the desk build on them.
//!
//! - [`Relay`]: one switchable output of a board or controller, its [`RelayClass`], its
//!   run-time limit and its [`Interlock`]s (part of the device's registry record);
//! - [`command`]: a command's life from queued to observed, and what may follow what;
//! - [`interlock`]: the conditions checked on the central before a command is queued, failing
//!   closed when their readings are stale or missing;
//! - [`automation`]: threshold rules that propose a command for a person to confirm.

pub mod automation;
pub mod command;
pub mod interlock;

use serde::{Deserialize, Serialize};

pub use command::{Command, CommandId, CommandState, Switch};
pub use interlock::{Interlock, InterlockRefusal};

use crate::domain::access::Capability;

/// What a relay drives: the matrix grants switching by class, and the class says how careful
/// a switch must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayClass {
    /// Fans and vents (通风).
    Ventilation,
    /// Irrigation and misting valves (灌溉).
    Irrigation,
    /// Shade nets and screens (遮阳).
    Shade,
    /// Anti-frost fans of a tea garden (防霜风机).
    AntiFrost,
}

impl RelayClass {
    /// Every class.
    pub const ALL: [Self; 4] = [
        Self::Ventilation,
        Self::Irrigation,
        Self::Shade,
        Self::AntiFrost,
    ];

    /// Stable code, as the API and the database write it.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Ventilation => "ventilation",
            Self::Irrigation => "irrigation",
            Self::Shade => "shade",
            Self::AntiFrost => "anti_frost",
        }
    }

    /// Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Ventilation => "通风",
            Self::Irrigation => "灌溉",
            Self::Shade => "遮阳",
            Self::AntiFrost => "防霜风机",
        }
    }

    /// The capability that switches relays of this class (the one matrix says who has it).
    pub const fn capability(self) -> Capability {
        match self {
            Self::Ventilation => Capability::SwitchVentilation,
            Self::Irrigation => Capability::SwitchIrrigation,
            Self::Shade => Capability::SwitchShade,
            Self::AntiFrost => Capability::SwitchAntiFrost,
        }
    }

    /// Whether switching it on needs a written reason: water and power spent unattended, a
    /// net torn by wind, a garden's fans running all night.
    pub const fn high_impact(self) -> bool {
        matches!(self, Self::Irrigation | Self::Shade | Self::AntiFrost)
    }
}

/// One switchable output of a board or controller, as its device record describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relay {
    /// Its number on the board, from 1 as the terminal strip and the desk show it (a Modbus
    /// board's coil is this number on its own numbering, see the endpoint's `one_based`).
    pub channel: u16,
    /// Chinese label (`1号风机`).
    pub name_zh: String,
    /// What it drives.
    pub class: RelayClass,
    /// The longest it may run once switched on, seconds; `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_run_s: Option<u32>,
    /// The device times a pulse itself (it switches off after `pulse_s`); otherwise the
    /// central sends an explicit off at the limit.
    #[serde(default)]
    pub pulse: bool,
    /// Conditions checked before switching it on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interlocks: Vec<Interlock>,
    /// Threshold rules that propose switching it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automations: Vec<automation::Rule>,
}

impl Relay {
    /// The pulse a command setting it to `target` carries: its run-time limit, for a relay
    /// that times its own pulse, switched on.
    pub fn pulse_for(&self, target: Switch) -> Option<u32> {
        (target.is_on() && self.pulse)
            .then_some(self.max_run_s)
            .flatten()
    }
}

/// Why a relay's description is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRelay {
    /// Channels are numbered from 1, each once.
    #[error("relay channel {0} is 0 or given twice")]
    Channel(u16),
    /// A run-time limit of zero or over a day.
    #[error("relay {0}: a run-time limit must be 1 s to 1 day")]
    MaxRun(u16),
    /// A pulse needs the limit that times it.
    #[error("relay {0}: a pulse relay needs its max_run_s")]
    PulseWithoutLimit(u16),
    /// An interlock that can never be judged.
    #[error("relay {0}: {1}")]
    Interlock(u16, &'static str),
}

/// Checks a device's relays: channels from 1 and each once, limits sane, interlocks whole.
pub fn validate(relays: &[Relay]) -> Result<(), InvalidRelay> {
    let mut seen = std::collections::BTreeSet::new();
    for relay in relays {
        if relay.channel == 0 || !seen.insert(relay.channel) {
            return Err(InvalidRelay::Channel(relay.channel));
        }
        match relay.max_run_s {
            Some(s) if !(1..=86_400).contains(&s) => {
                return Err(InvalidRelay::MaxRun(relay.channel));
            }
            None if relay.pulse => return Err(InvalidRelay::PulseWithoutLimit(relay.channel)),
            _ => {}
        }
        for interlock in &relay.interlocks {
            interlock
                .validate()
                .map_err(|why| InvalidRelay::Interlock(relay.channel, why))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(channel: u16, max_run_s: Option<u32>, pulse: bool) -> Relay {
        Relay {
            channel,
            name_zh: "风机".to_owned(),
            class: RelayClass::Ventilation,
            max_run_s,
            pulse,
            interlocks: Vec::new(),
            automations: Vec::new(),
        }
    }

    #[test]
    fn relays_are_numbered_from_one_once_with_sane_limits() {
        let cases = [
            (
                vec![relay(1, None, false), relay(2, Some(600), true)],
                Ok(()),
            ),
            (vec![relay(0, None, false)], Err(InvalidRelay::Channel(0))),
            (
                vec![relay(3, None, false), relay(3, None, false)],
                Err(InvalidRelay::Channel(3)),
            ),
            (vec![relay(1, Some(0), false)], Err(InvalidRelay::MaxRun(1))),
            (
                vec![relay(1, Some(90_000), false)],
                Err(InvalidRelay::MaxRun(1)),
            ),
            (
                vec![relay(4, None, true)],
                Err(InvalidRelay::PulseWithoutLimit(4)),
            ),
        ];
        for (relays, expected) in cases {
            assert_eq!(validate(&relays), expected, "{relays:?}");
        }
    }

    #[test]
    fn only_ventilation_switches_without_a_reason() {
        let plain: Vec<_> = RelayClass::ALL
            .into_iter()
            .filter(|c| !c.high_impact())
            .collect();
        assert_eq!(plain, [RelayClass::Ventilation]);
    }

    #[test]
    fn codes_are_distinct_and_round_trip_through_serde() {
        for class in RelayClass::ALL {
            let json = serde_json::to_string(&class).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", class.code()));
        }
    }
}
