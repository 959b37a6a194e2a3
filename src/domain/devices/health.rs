//! How healthy a device is, in words a technician acts on: not a bare online/offline but "late
//! by 3 reports"; a link that is retrying before it is unreachable; when its battery will be
//! flat; and, for a device gone quiet, whether the fault is the device's own or something
//! upstream of it that silences many devices at once (its DTU, the broker, the desk's link to
//! the central, a desk still catching up).

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// Slack allowed after a report is due before it counts as missed: devices report with jitter
/// and a link may queue a message for a while.
pub const GRACE_FRACTION: f64 = 0.25;

/// Where a device's reports stand against its expected interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Lateness {
    /// Nothing heard since it was registered.
    NeverSeen,
    /// Its last report is within one interval (plus grace).
    OnTime,
    /// `missed` reports are overdue.
    Late {
        /// Whole reports missed.
        missed: u32,
    },
}

/// Where a device heard last at `last_seen`, expected every `interval_ms`, stands at `now`: a
/// report is missed once its interval and the grace after it have passed.
pub fn lateness(last_seen: Option<Timestamp>, interval_ms: i64, now: Timestamp) -> Lateness {
    let Some(last) = last_seen else {
        return Lateness::NeverSeen;
    };
    let interval = interval_ms.max(1);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let grace = (interval as f64 * GRACE_FRACTION) as i64;
    // Negative when the device's clock runs ahead: on time, not late.
    let overdue = now.0 - last.0 - grace;
    if overdue < interval {
        return Lateness::OnTime;
    }
    let missed = u32::try_from(overdue / interval).unwrap_or(u32::MAX);
    Lateness::Late { missed }
}

/// The share of the reports expected in a window of `window_ms` that arrived, 0–1.
pub fn completeness(received: u32, window_ms: i64, interval_ms: i64) -> f64 {
    let expected = (window_ms / interval_ms.max(1)).max(1);
    #[allow(clippy::cast_precision_loss)]
    let share = f64::from(received) / expected as f64;
    share.min(1.0)
}

/// The state of the central's link to a device it polls or hears from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum LinkState {
    /// The last exchange was answered.
    Normal,
    /// `failures` exchanges in a row went unanswered; still trying.
    Retrying {
        /// Failures in a row.
        failures: u32,
    },
    /// Given up as unreachable at `since` (polling goes on, at a slower pace).
    Unreachable {
        /// When it was given up.
        since: Timestamp,
    },
}

/// What one exchange with the device came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// It answered.
    Answered,
    /// No answer, or a garbled one.
    Failed,
}

impl LinkState {
    /// The state after `exchange` at `now`: unreachable after `give_up_after` failures in a
    /// row; one answer is enough to be normal again.
    #[must_use]
    pub fn after(self, exchange: Exchange, give_up_after: u32, now: Timestamp) -> Self {
        let failures = match (self, exchange) {
            (_, Exchange::Answered) => return Self::Normal,
            (Self::Unreachable { .. }, Exchange::Failed) => return self,
            (Self::Normal, Exchange::Failed) => 1,
            (Self::Retrying { failures }, Exchange::Failed) => failures.saturating_add(1),
        };
        if failures >= give_up_after.max(1) {
            Self::Unreachable { since: now }
        } else {
            Self::Retrying { failures }
        }
    }
}

/// When a battery is expected to reach its cut-off voltage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BatteryForecast {
    /// Too few readings, or too short a span, to say.
    NotEnoughData,
    /// Holding or charging (a solar panel doing its job).
    Steady,
    /// Falling: it reaches the cut-off at `at`.
    FlatAt {
        /// When.
        at: Timestamp,
    },
    /// Already at or below the cut-off.
    Flat,
}

/// The shortest span of readings a forecast is drawn from: a day and night of solar charging.
pub const FORECAST_MIN_SPAN_MS: i64 = 24 * 3_600_000;

/// A straight-line forecast over `readings` (time, volts) to `cutoff_volts`; a rise or a fall
/// slower than a millivolt a day is steady.
pub fn battery_forecast(readings: &[(Timestamp, f64)], cutoff_volts: f64) -> BatteryForecast {
    let (Some(first), Some(last)) = (readings.first(), readings.last()) else {
        return BatteryForecast::NotEnoughData;
    };
    if last.1 <= cutoff_volts {
        return BatteryForecast::Flat;
    }
    if readings.len() < 3 || last.0.0 - first.0.0 < FORECAST_MIN_SPAN_MS {
        return BatteryForecast::NotEnoughData;
    }
    let Some((slope, intercept)) = least_squares(readings, first.0) else {
        return BatteryForecast::NotEnoughData;
    };
    let per_day = slope * 86_400_000.0;
    if per_day > -0.001 {
        return BatteryForecast::Steady;
    }
    #[allow(clippy::cast_possible_truncation)]
    let offset = ((cutoff_volts - intercept) / slope) as i64;
    BatteryForecast::FlatAt {
        at: first.0.plus_ms(offset.max(last.0.0 - first.0.0)),
    }
}

/// Volts per millisecond and volts at `origin`, fitted by least squares.
fn least_squares(readings: &[(Timestamp, f64)], origin: Timestamp) -> Option<(f64, f64)> {
    #[allow(clippy::cast_precision_loss)]
    let n = readings.len() as f64;
    #[allow(clippy::cast_precision_loss)]
    let xs = readings.iter().map(|(t, _)| (t.0 - origin.0) as f64);
    let (sx, sy) = (
        xs.clone().sum::<f64>(),
        readings.iter().map(|r| r.1).sum::<f64>(),
    );
    let (mx, my) = (sx / n, sy / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, (_, y)) in xs.zip(readings) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    (sxx > 0.0).then(|| {
        let slope = sxy / sxx;
        (slope, my - slope * mx)
    })
}

/// How a device reaches the central.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// It publishes to the MQTT broker.
    Mqtt,
    /// The central polls it by Modbus TCP.
    ModbusTcp,
    /// The central polls it by Modbus RTU through a 4G DTU that dialled in.
    ModbusDtu,
}

/// What is known upstream of a device when it has gone quiet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upstream {
    /// The desk cannot reach the central.
    pub central_unreachable: bool,
    /// The desk reaches the central but has not caught up with its change log.
    pub desk_behind: bool,
    /// The central's connection to the MQTT broker is down.
    pub broker_down: bool,
    /// The DTU the device sits behind has stopped its heartbeat.
    pub dtu_down: bool,
}

/// Why a quiet device is quiet: the cause furthest upstream that explains it. A cut cable
/// upstream is one fault, not one per device behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Silence {
    /// The desk's link to the central is down: nothing here is known to be wrong.
    CentralLink,
    /// The desk is still catching up: the device may well have reported.
    DeskBehind,
    /// The broker is down: every MQTT device is quiet.
    Broker,
    /// Its DTU is down: every board behind it is quiet.
    Dtu,
    /// Everything upstream is fine: the device itself.
    Device,
}

/// The cause of a quiet device that reaches the central over `transport`.
pub fn why_silent(transport: Transport, upstream: Upstream) -> Silence {
    if upstream.central_unreachable {
        Silence::CentralLink
    } else if upstream.desk_behind {
        Silence::DeskBehind
    } else if upstream.broker_down && transport == Transport::Mqtt {
        Silence::Broker
    } else if upstream.dtu_down && transport == Transport::ModbusDtu {
        Silence::Dtu
    } else {
        Silence::Device
    }
}

#[cfg(test)]
mod tests;
