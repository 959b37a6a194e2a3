//! The pyramid's levels and how a view picks one: the coarsest level whose buckets are no
//! wider than a column, grouped into aligned buckets as wide as a column allows.

use serde::{Deserialize, Serialize};

use crate::domain::time::{DAY_MS, HOUR_MS, Timestamp};

/// A resolution of stored history. Every rollup bucket is aligned to Beijing time and nests in
/// the next coarser one (1 h ⊂ 4 h ⊂ 1 day), so a coarse bucket is exactly the merge of its
/// children. Below an hour, views read the values themselves: the store keeps them an hour
/// per row, so a month of minutes is 720 rows.
///
/// A bucket starting at `s` holds the values stamped in `(s, s + width]`: an observation is
/// stamped at the end of the period it covers (CMA practice), so the bucket "10:00–11:00"
/// holds the minutes 10:01 … 11:00, exactly the CMA hour, and a day of four-hour buckets
/// from 20:00 BJT is exactly the CMA 20:00–20:00 precipitation day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The stored values themselves.
    Raw,
    /// Hourly buckets.
    Hour,
    /// Four-hour buckets.
    FourHours,
    /// Beijing-time days.
    Day,
}

impl Level {
    /// The rollup levels, finest first: each is built from the one before it (the first from
    /// raw values).
    pub const ROLLUPS: [Self; 3] = [Self::Hour, Self::FourHours, Self::Day];

    /// Width of one bucket, ms (`None` for raw values).
    pub const fn bucket_ms(self) -> Option<i64> {
        match self {
            Self::Raw => None,
            Self::Hour => Some(HOUR_MS),
            Self::FourHours => Some(4 * HOUR_MS),
            Self::Day => Some(DAY_MS),
        }
    }

    /// A stable small integer for storage.
    pub const fn storage_id(self) -> u8 {
        match self {
            Self::Raw => 0,
            Self::Hour => 2,
            Self::FourHours => 3,
            Self::Day => 4,
        }
    }

    /// The level one step finer (`Raw` for the finest rollup).
    pub const fn finer(self) -> Self {
        match self {
            Self::Raw | Self::Hour => Self::Raw,
            Self::FourHours => Self::Hour,
            Self::Day => Self::FourHours,
        }
    }

    /// Start of the bucket of this level holding a value stamped `t` (`t` itself for raw
    /// values): the bucket `(start, start + width]`.
    pub fn bucket_of(self, t: Timestamp) -> Timestamp {
        self.bucket_ms()
            .map_or(t, |ms| t.plus_ms(-1).floor_beijing(ms))
    }

    /// Start of the bucket of this level holding the finer bucket that starts at `start`.
    pub fn parent_of(self, start: Timestamp) -> Timestamp {
        self.bucket_ms().map_or(start, |ms| start.floor_beijing(ms))
    }
}

/// How to build a view of `(from, to]` at a number of columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewPlan {
    /// Start asked for, exclusive.
    pub from: Timestamp,
    /// End asked for, inclusive.
    pub to: Timestamp,
    /// The level to read.
    pub level: Level,
    /// Width of the view's buckets, ms: a whole multiple of the level's bucket (at least a
    /// second for raw values), never wider than a column and more than half of one when the
    /// level allows, so a view has at most about twice as many buckets as columns.
    pub bucket_ms: i64,
    /// Where the first bucket starts: rollup rows with `first_row <= start < end_row` are
    /// read, raw values with `first_row < time <= end_row`. Reading whole buckets keeps every
    /// bucket exact.
    pub first_row: Timestamp,
    /// Where the last bucket (the one holding `to`) ends.
    pub end_row: Timestamp,
}

impl ViewPlan {
    /// The most buckets the view can have.
    pub fn max_buckets(&self) -> usize {
        let span = self.end_row.millis() - self.first_row.millis();
        usize::try_from(span / self.bucket_ms).unwrap_or(usize::MAX)
    }
}

/// Raw views never group finer than this: stored times are whole seconds at best.
const MIN_RAW_BUCKET_MS: i64 = 1000;

/// Plans a view of `(from, to]` with about `columns` buckets (one per pixel column, say).
/// An empty or inverted range plans a one-second view at `from`.
pub fn plan(from: Timestamp, to: Timestamp, columns: usize) -> ViewPlan {
    let to = to.max(from.plus_ms(MIN_RAW_BUCKET_MS));
    let columns = i64::try_from(columns.max(1)).unwrap_or(i64::MAX);
    let column_ms = ((to.millis() - from.millis()) / columns).max(1);
    let level = Level::ROLLUPS
        .into_iter()
        .rev()
        .find(|l| l.bucket_ms().is_some_and(|ms| ms <= column_ms))
        .unwrap_or(Level::Raw);
    let bucket_ms = match level.bucket_ms() {
        Some(ms) => column_ms / ms * ms,
        None => (column_ms / MIN_RAW_BUCKET_MS * MIN_RAW_BUCKET_MS).max(MIN_RAW_BUCKET_MS),
    };
    let first_row = from.floor_beijing(bucket_ms);
    let end_row = to.plus_ms(-1).floor_beijing(bucket_ms).plus_ms(bucket_ms);
    ViewPlan {
        from,
        to,
        level,
        bucket_ms,
        first_row,
        end_row,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR_MS: i64 = 365 * DAY_MS;

    #[test]
    fn picks_the_coarsest_level_no_wider_than_a_column() {
        let from = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let cases = [
            // span, columns, level, bucket width
            (HOUR_MS, 1000, Level::Raw, 3_000),
            (DAY_MS, 1000, Level::Raw, 86_000),
            (7 * DAY_MS, 1000, Level::Raw, 604_000),
            (30 * DAY_MS, 1000, Level::Raw, 2_592_000),
            (90 * DAY_MS, 1000, Level::Hour, 2 * HOUR_MS),
            (YEAR_MS, 1920, Level::FourHours, 4 * HOUR_MS),
            (YEAR_MS, 1000, Level::FourHours, 8 * HOUR_MS),
            (5 * YEAR_MS, 1000, Level::Day, DAY_MS),
        ];
        for (span, columns, level, bucket_ms) in cases {
            let plan = plan(from, from.plus_ms(span), columns);
            assert_eq!(
                (plan.level, plan.bucket_ms),
                (level, bucket_ms),
                "{span} ms at {columns}"
            );
            // Buckets are whole multiples of a level, so up to twice as many as columns.
            assert!(
                plan.max_buckets() <= 2 * columns + 2,
                "{span}: {}",
                plan.max_buckets()
            );
            assert!(plan.first_row <= from && plan.end_row >= from.plus_ms(span));
        }
    }

    #[test]
    fn rollup_buckets_nest() {
        let t = Timestamp::parse_rfc3339("2026-07-14T13:27:31Z").unwrap();
        for level in Level::ROLLUPS {
            let finer = level.finer();
            let start = level.bucket_of(t);
            assert_eq!(
                finer.parent_of(start),
                start,
                "{level:?} starts on a {finer:?}"
            );
            let ms = level.bucket_ms().unwrap();
            if let Some(finer_ms) = finer.bucket_ms() {
                assert_eq!(ms % finer_ms, 0);
            }
        }
        let day = Level::Day.bucket_of(t);
        assert_eq!(day.beijing().format("%H:%M").to_string(), "00:00");
        // A value stamped on a boundary closes the bucket before it.
        let hour = Timestamp::parse_rfc3339("2026-07-14T11:00:00Z").unwrap();
        assert_eq!(
            Level::Hour.bucket_of(hour).to_rfc3339(),
            "2026-07-14T10:00:00Z"
        );
        assert_eq!(Level::Hour.bucket_of(hour.plus_ms(60_000)), hour);
    }

    #[test]
    fn degenerate_ranges_still_plan() {
        let t = Timestamp(1_000_000);
        for (from, to) in [(t, t), (t, Timestamp(0))] {
            let plan = plan(from, to, 0);
            assert!(plan.bucket_ms >= 1000 && plan.max_buckets() >= 1);
        }
    }
}
