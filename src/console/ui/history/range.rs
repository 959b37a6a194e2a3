//! The time range the history screen shows, and how presets, panning and zooming move it.
//! Pure: the screen turns drags, wheel turns and buttons into calls of these functions.

use crate::domain::Timestamp;
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};

/// Shortest range that can be shown: finer than this the chart is a few dots.
pub const MIN_SPAN_MS: i64 = 30 * MINUTE_MS;
/// Longest range: ten years.
pub const MAX_SPAN_MS: i64 = 10 * 365 * DAY_MS;

/// The shown range `(from, to]`, and whether its end follows the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// Start, exclusive.
    pub from: Timestamp,
    /// End, inclusive.
    pub to: Timestamp,
    /// The end moves with the clock (the range shows "the last N").
    pub live: bool,
}

/// The preset spans, shortest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The last hour.
    Hour,
    /// The last 6 hours.
    SixHours,
    /// The last 24 hours.
    Day,
    /// The last 3 days.
    ThreeDays,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    /// The last 90 days.
    Quarter,
    /// The last 365 days.
    Year,
}

impl Preset {
    /// Every preset, as the toolbar lists them.
    pub const ALL: [Self; 8] = [
        Self::Hour,
        Self::SixHours,
        Self::Day,
        Self::ThreeDays,
        Self::Week,
        Self::Month,
        Self::Quarter,
        Self::Year,
    ];

    /// The span, ms.
    pub const fn span_ms(self) -> i64 {
        match self {
            Self::Hour => HOUR_MS,
            Self::SixHours => 6 * HOUR_MS,
            Self::Day => DAY_MS,
            Self::ThreeDays => 3 * DAY_MS,
            Self::Week => 7 * DAY_MS,
            Self::Month => 30 * DAY_MS,
            Self::Quarter => 90 * DAY_MS,
            Self::Year => 365 * DAY_MS,
        }
    }
}

impl TimeRange {
    /// The last `span_ms` up to `now`, following the clock.
    pub fn last(span_ms: i64, now: Timestamp) -> Self {
        let span = span_ms.clamp(MIN_SPAN_MS, MAX_SPAN_MS);
        Self {
            from: now.plus_ms(-span),
            to: now,
            live: true,
        }
    }

    /// Length, ms.
    pub fn span_ms(&self) -> i64 {
        self.to.millis() - self.from.millis()
    }

    /// The preset this range is, if it is one (live and of a preset's span).
    pub fn preset(&self) -> Option<Preset> {
        Preset::ALL
            .into_iter()
            .find(|p| self.live && p.span_ms() == self.span_ms())
    }

    /// The range as of `now`: a live range moves its end to now, keeping its span.
    #[must_use]
    pub fn at(self, now: Timestamp) -> Self {
        if self.live {
            Self::last(self.span_ms(), now)
        } else {
            self
        }
    }

    /// Moved by `fraction` of its span (negative: back in time). A range moved up to now
    /// becomes live again; it never moves past now.
    #[must_use]
    pub fn pan(self, fraction: f64, now: Timestamp) -> Self {
        let shift = (self.span_ms() as f64 * fraction).round() as i64;
        let shift = shift.min(now.millis() - self.to.millis());
        let moved = Self {
            from: self.from.plus_ms(shift),
            to: self.to.plus_ms(shift),
            live: false,
        };
        if moved.to >= now {
            Self::last(moved.span_ms(), now)
        } else {
            moved
        }
    }

    /// Zoomed by `factor` (> 1 shows more time) about the instant at `anchor` (0 = the
    /// start, 1 = the end), within [`MIN_SPAN_MS`] and [`MAX_SPAN_MS`]. A live range zoomed
    /// about its end stays live.
    #[must_use]
    pub fn zoom(self, factor: f64, anchor: f64, now: Timestamp) -> Self {
        let anchor = anchor.clamp(0.0, 1.0);
        let span = self.span_ms() as f64;
        let new_span = (span * factor).clamp(MIN_SPAN_MS as f64, MAX_SPAN_MS as f64);
        let pivot = self.from.millis() as f64 + span * anchor;
        let from = (pivot - new_span * anchor).round() as i64;
        let to = from + new_span.round() as i64;
        if (self.live && anchor >= 0.999) || to >= now.millis() {
            return Self::last(new_span.round() as i64, now);
        }
        Self {
            from: Timestamp(from),
            to: Timestamp(to),
            live: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_795_773_600_000);

    #[test]
    fn presets_follow_the_clock() {
        let week = TimeRange::last(Preset::Week.span_ms(), NOW);
        assert_eq!(week.preset(), Some(Preset::Week));
        let later = week.at(NOW.plus_ms(HOUR_MS));
        assert_eq!(later.to, NOW.plus_ms(HOUR_MS));
        assert_eq!(later.span_ms(), 7 * DAY_MS);
    }

    #[test]
    fn panning_back_and_forth_stops_at_now() {
        let day = TimeRange::last(DAY_MS, NOW);
        let back = day.pan(-0.5, NOW);
        assert!(!back.live);
        assert_eq!(back.to, NOW.plus_ms(-12 * HOUR_MS));
        assert_eq!(
            back.at(NOW.plus_ms(HOUR_MS)),
            back,
            "a past range stays put"
        );
        let forward = back.pan(2.0, NOW);
        assert!(forward.live, "back at now, it follows the clock again");
        assert_eq!((forward.to, forward.span_ms()), (NOW, DAY_MS));
    }

    #[test]
    fn zoom_keeps_the_anchor_and_the_limits() {
        let day = TimeRange::last(DAY_MS, NOW).pan(-1.0, NOW);
        let pivot = day.from.plus_ms(6 * HOUR_MS);
        let zoomed = day.zoom(0.5, 0.25, NOW);
        assert_eq!(zoomed.span_ms(), 12 * HOUR_MS);
        assert_eq!(
            zoomed.from.plus_ms(3 * HOUR_MS),
            pivot,
            "the anchored instant stays"
        );
        let tiny = day.zoom(1e-9, 0.5, NOW);
        assert_eq!(tiny.span_ms(), MIN_SPAN_MS);
        let huge = day.zoom(1e9, 0.5, NOW);
        assert!(huge.live && huge.span_ms() == MAX_SPAN_MS, "it reached now");
        let live = TimeRange::last(DAY_MS, NOW).zoom(365.0, 1.0, NOW);
        assert_eq!(live.preset(), Some(Preset::Year));
    }
}
