//! Time: stored as UTC Unix milliseconds, shown in Beijing time (UTC+8, no DST).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

/// Milliseconds per minute, hour and day, for arithmetic on [`Timestamp`]s.
pub const MINUTE_MS: i64 = 60_000;
/// Milliseconds per hour.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds per day.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Beijing time's offset from UTC, in seconds. China has kept no daylight saving since 1991.
pub const BEIJING_OFFSET_SECS: i32 = 8 * 3600;

/// An instant, as UTC Unix milliseconds: what every store and wire format carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Unix milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The current wall-clock time.
    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    /// Parses RFC 3339 (`2026-11-27T10:00:00Z`, any offset) into UTC.
    pub fn parse_rfc3339(text: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(text).map(|t| Self(t.timestamp_millis()))
    }

    /// RFC 3339 in UTC with a `Z`, seconds precision unless milliseconds are present.
    pub fn to_rfc3339(self) -> String {
        let format = if self.0 % 1000 == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Millis
        };
        self.utc().to_rfc3339_opts(format, true)
    }

    /// The instant as a UTC date-time.
    pub fn utc(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// The instant as Beijing local time.
    pub fn beijing(self) -> DateTime<FixedOffset> {
        self.utc().with_timezone(&beijing_offset())
    }

    /// Rounds down to a multiple of `step_ms` (minute, hour…), in UTC. Beijing's whole-hour
    /// offset makes this the same boundary in local time for steps up to an hour.
    pub fn floor(self, step_ms: i64) -> Self {
        Self(self.0.div_euclid(step_ms) * step_ms)
    }

    /// Rounds down to a multiple of `step_ms` counted from midnight Beijing time, so that steps
    /// of hours and days (and any step dividing a day) start on Beijing's local boundaries.
    pub fn floor_beijing(self, step_ms: i64) -> Self {
        let offset = i64::from(BEIJING_OFFSET_SECS) * 1000;
        Self(self.0.saturating_add(offset).div_euclid(step_ms) * step_ms - offset)
    }

    /// This instant moved by `ms` (negative moves back), stopping at the ends of time.
    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }
}

/// On every wire and file format a timestamp is an RFC 3339 UTC string.
impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text)
            .map_err(|e| serde::de::Error::custom(format!("time {text:?}: {e}")))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// The fixed UTC+8 offset, checked at compile time.
const BEIJING: FixedOffset = match FixedOffset::east_opt(BEIJING_OFFSET_SECS) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The fixed UTC+8 offset.
pub fn beijing_offset() -> FixedOffset {
    BEIJING
}

/// Where an observing day ends, in Beijing time (日界).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayBoundary {
    /// 24时日界: the calendar day, 00:00–24:00 BJT; extremes of temperature, humidity, wind.
    Midnight,
    /// 20时日界: 20:00 BJT the evening before to 20:00 BJT; CMA's precipitation day.
    Twenty,
}

impl DayBoundary {
    /// Hours from the named date's Beijing midnight to the day's end.
    const fn end_hour(self) -> i64 {
        match self {
            Self::Midnight => 24,
            Self::Twenty => 20,
        }
    }
}

/// One observing day, named by its Beijing date: the precipitation day "of 5 May" runs from
/// 4 May 20:00 to 5 May 20:00 BJT, the calendar day of 5 May from 5 May 00:00 to 24:00.
///
/// A value is stamped at the end of the period it describes (the minute's rain falls before
/// its stamp), so a day holds the values stamped in `(start, end]`: the 20:00 value is the
/// last of its day, the 20:01 value the first of the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObservingDay {
    /// The Beijing date the day is named by.
    pub date: NaiveDate,
    /// Where it ends.
    pub boundary: DayBoundary,
}

impl ObservingDay {
    /// The calendar day (00–24 BJT) of `date`.
    pub const fn calendar(date: NaiveDate) -> Self {
        Self {
            date,
            boundary: DayBoundary::Midnight,
        }
    }

    /// CMA's precipitation day (20–20 BJT) named by `date`, the date on which it ends.
    pub const fn precipitation(date: NaiveDate) -> Self {
        Self {
            date,
            boundary: DayBoundary::Twenty,
        }
    }

    /// The day with this boundary that holds a value stamped `t`.
    pub fn containing(t: Timestamp, boundary: DayBoundary) -> Self {
        // Shifted so the day's end falls on a Beijing midnight; the millisecond back makes an
        // instant exactly on the end belong to the day it ends.
        let shift = (24 - boundary.end_hour()) * HOUR_MS - 1;
        Self {
            date: t.plus_ms(shift).beijing().date_naive(),
            boundary,
        }
    }

    /// The instant the day ends (inclusive: a value stamped then belongs to it).
    pub fn end(self) -> Timestamp {
        beijing_midnight(self.date).plus_ms(self.boundary.end_hour() * HOUR_MS)
    }

    /// The instant the day starts (exclusive: a value stamped then belongs to the day before).
    pub fn start(self) -> Timestamp {
        self.end().plus_ms(-DAY_MS)
    }

    /// Whether a value stamped `t` belongs to this day.
    pub fn contains(self, t: Timestamp) -> bool {
        self.start() < t && t <= self.end()
    }
}

/// 00:00 Beijing time on `date`.
pub fn beijing_midnight(date: NaiveDate) -> Timestamp {
    let offset = i64::from(BEIJING_OFFSET_SECS) * 1000;
    Timestamp(date.and_time(NaiveTime::MIN).and_utc().timestamp_millis() - offset)
}

/// The source of "now", injected so tests control time instead of sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told to: for tests and reproducible screenshots.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(start.0)))
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        self.0.store(to.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock as a [`SharedClock`].
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_normalises_offsets() {
        let cases = [
            ("2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z"),
            ("2026-11-27T18:00:00+08:00", "2026-11-27T10:00:00Z"),
            ("2026-11-27T10:00:00.250Z", "2026-11-27T10:00:00.250Z"),
        ];
        for (input, expected) in cases {
            let t = Timestamp::parse_rfc3339(input).unwrap();
            assert_eq!(t.to_rfc3339(), expected, "{input}");
        }
        assert!(Timestamp::parse_rfc3339("2026-11-27 10:00").is_err());
        let t = Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-27T10:00:00Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    #[test]
    fn beijing_is_utc_plus_eight() {
        let t = Timestamp::parse_rfc3339("2026-11-27T16:30:00Z").unwrap();
        assert_eq!(
            t.beijing().format("%Y-%m-%d %H:%M").to_string(),
            "2026-11-28 00:30"
        );
    }

    #[test]
    fn floor_rounds_down_including_before_epoch() {
        assert_eq!(Timestamp(125_000).floor(MINUTE_MS), Timestamp(120_000));
        assert_eq!(Timestamp(-1).floor(MINUTE_MS), Timestamp(-60_000));
    }

    #[test]
    fn floor_beijing_starts_days_at_local_midnight() {
        let t = Timestamp::parse_rfc3339("2026-11-27T17:30:00Z").unwrap(); // 01:30 on the 28th
        let day = t.floor_beijing(DAY_MS);
        assert_eq!(day.to_rfc3339(), "2026-11-27T16:00:00Z");
        assert_eq!(
            t.floor_beijing(4 * HOUR_MS).to_rfc3339(),
            "2026-11-27T16:00:00Z"
        );
        assert_eq!(t.floor_beijing(HOUR_MS), t.floor(HOUR_MS));
        // 20:00 BJT (12:00 UTC), where the CMA precipitation day ends, is a 4 h boundary.
        let evening = Timestamp::parse_rfc3339("2026-11-27T12:00:00Z").unwrap();
        assert_eq!(evening.floor_beijing(4 * HOUR_MS), evening);
    }

    #[test]
    fn observing_days_hold_the_values_stamped_in_start_exclusive_end_inclusive() {
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        let bjt = |text: &str| Timestamp::parse_rfc3339(&format!("{text}+08:00")).unwrap();
        // (instant, boundary, the date of the day holding it)
        let cases = [
            ("2026-05-05T19:59:00", DayBoundary::Twenty, date(5)),
            ("2026-05-05T20:00:00", DayBoundary::Twenty, date(5)),
            ("2026-05-05T20:01:00", DayBoundary::Twenty, date(6)),
            ("2026-05-04T20:01:00", DayBoundary::Twenty, date(5)),
            ("2026-05-05T00:00:00", DayBoundary::Twenty, date(5)),
            ("2026-05-05T00:00:00", DayBoundary::Midnight, date(4)),
            ("2026-05-05T00:01:00", DayBoundary::Midnight, date(5)),
            ("2026-05-05T23:59:00", DayBoundary::Midnight, date(5)),
            ("2026-05-06T00:00:00", DayBoundary::Midnight, date(5)),
        ];
        for (text, boundary, expected) in cases {
            let t = bjt(text);
            let day = ObservingDay::containing(t, boundary);
            assert_eq!(day.date, expected, "{text} {boundary:?}");
            assert!(day.contains(t), "{text} {boundary:?}");
            assert_eq!(day.end().millis() - day.start().millis(), DAY_MS);
        }
        // The precipitation day of 5 May: 12:00–12:00 UTC.
        let rain_day = ObservingDay::precipitation(date(5));
        assert_eq!(rain_day.start().to_rfc3339(), "2026-05-04T12:00:00Z");
        assert_eq!(rain_day.end().to_rfc3339(), "2026-05-05T12:00:00Z");
        let calendar = ObservingDay::calendar(date(5));
        assert_eq!(calendar.start().to_rfc3339(), "2026-05-04T16:00:00Z");
        assert_eq!(calendar.end(), beijing_midnight(date(6)));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp(1000));
        assert_eq!(clock.now(), Timestamp(1000));
        clock.advance(500);
        assert_eq!(clock.now(), Timestamp(1500));
    }
}
