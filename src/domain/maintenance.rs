//! Maintenance windows: a technician records when a station is being worked on, so the
//! silence or odd values of that time are explained, not mistaken for faults.

pub mod visit;

use serde::{Deserialize, Serialize};

use super::network::StationId;
use super::time::{DAY_MS, Timestamp};

/// Longest note a window keeps, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// How far ahead of now a window may start: work planned for tomorrow may be announced, but a
/// start further out is more likely a typo in the date.
pub const MAX_LEAD_MS: i64 = DAY_MS;

/// Why a window as given cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// The note is empty once trimmed.
    #[error("note must not be empty: say what is being done")]
    EmptyNote,
    /// The note is longer than [`MAX_NOTE_CHARS`].
    #[error("note has {0} characters; at most {MAX_NOTE_CHARS}")]
    NoteTooLong(usize),
    /// The end is not after the start.
    #[error("to ({to}) must be after from ({from})")]
    EndNotAfterStart {
        /// The start.
        from: Timestamp,
        /// The end given.
        to: Timestamp,
    },
    /// The start is more than [`MAX_LEAD_MS`] ahead of the clock.
    #[error("from ({from}) is more than a day after now ({now})")]
    TooFarAhead {
        /// The start given.
        from: Timestamp,
        /// The clock.
        now: Timestamp,
    },
}

/// A note as kept: trimmed; at most [`MAX_NOTE_CHARS`] characters as given (the bound the API
/// documents), not all spaces.
pub fn note(text: &str) -> Result<String, WindowError> {
    let trimmed = text.trim();
    match text.chars().count() {
        n if n > MAX_NOTE_CHARS => Err(WindowError::NoteTooLong(n)),
        _ if trimmed.is_empty() => Err(WindowError::EmptyNote),
        _ => Ok(trimmed.to_owned()),
    }
}

/// Checks that a window ends after it starts (an open window always does).
pub fn check_span(from: Timestamp, to: Option<Timestamp>) -> Result<(), WindowError> {
    match to {
        Some(to) if to <= from => Err(WindowError::EndNotAfterStart { from, to }),
        _ => Ok(()),
    }
}

/// Checks that a new window starts no more than [`MAX_LEAD_MS`] after `now`.
pub fn check_start(from: Timestamp, now: Timestamp) -> Result<(), WindowError> {
    if from.millis() - now.millis() > MAX_LEAD_MS {
        return Err(WindowError::TooFarAhead { from, now });
    }
    Ok(())
}

/// A period when a station was (or is) under maintenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    /// The central's id for it.
    pub id: u64,
    /// The station.
    pub station: StationId,
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, exclusive; `None` while it lasts.
    pub to: Option<Timestamp>,
    /// What was done, in the technician's words.
    pub note: String,
    /// Who recorded it.
    pub recorded_by: String,
}

impl MaintenanceWindow {
    /// Whether the window overlaps the open interval `(after, before)`; an open window
    /// reaches to the end of time.
    pub fn overlaps(&self, after: Timestamp, before: Timestamp) -> bool {
        self.from < before && self.to.is_none_or(|to| to > after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(note("  更换雨量筒 \n"), Ok("更换雨量筒".to_owned()));
        assert_eq!(note(" \t "), Err(WindowError::EmptyNote));
        assert_eq!(note(&"检".repeat(500)).map(|n| n.chars().count()), Ok(500));
        assert_eq!(note(&"检".repeat(501)), Err(WindowError::NoteTooLong(501)));
        let padded = format!(" {} ", "检".repeat(499));
        assert_eq!(note(&padded), Err(WindowError::NoteTooLong(501)));
    }

    #[test]
    fn spans_and_starts_are_checked() {
        let t = |ms: i64| Timestamp(ms);
        let cases = [
            (t(10), Some(t(11)), true),
            (t(10), Some(t(10)), false),
            (t(10), Some(t(9)), false),
            (t(10), None, true),
        ];
        for (from, to, ok) in cases {
            assert_eq!(check_span(from, to).is_ok(), ok, "{from} {to:?}");
        }
        assert!(check_start(t(DAY_MS), t(0)).is_ok());
        assert!(check_start(t(DAY_MS + 1), t(0)).is_err());
        assert!(
            check_start(t(-5 * DAY_MS), t(0)).is_ok(),
            "the past is fine"
        );
    }

    #[test]
    fn overlap_is_of_open_intervals() {
        let window = |from: i64, to: Option<i64>| MaintenanceWindow {
            id: 1,
            station: StationId::parse("58819").unwrap(),
            from: Timestamp(from),
            to: to.map(Timestamp),
            note: String::new(),
            recorded_by: "tech".into(),
        };
        let cases = [
            (window(10, Some(20)), (0, 10), false),
            (window(10, Some(20)), (0, 11), true),
            (window(10, Some(20)), (19, 30), true),
            (window(10, Some(20)), (20, 30), false),
            (window(10, None), (1_000, 2_000), true),
            (window(10, None), (0, 10), false),
        ];
        for (w, (after, before), overlaps) in cases {
            assert_eq!(
                w.overlaps(Timestamp(after), Timestamp(before)),
                overlaps,
                "{w:?} {after} {before}"
            );
        }
    }
}
