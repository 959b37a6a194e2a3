//! Views of a series at any range: the values reduced to a bounded number of time buckets
//! (typically one per pixel column), each keeping its extremes, so that drawing the view looks
//! the same as drawing every point while costing O(pixels).

use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// The values of one series that fall in `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Start of the bucket, inclusive.
    pub start: Timestamp,
    /// End of the bucket, exclusive.
    pub end: Timestamp,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Sum of the values (with `count`, the mean; for precipitation, the amount).
    pub sum: f64,
    /// Number of values.
    pub count: u32,
    /// Time of the first value in the bucket.
    pub first: Timestamp,
    /// Time of the last value in the bucket.
    pub last: Timestamp,
}

impl Bucket {
    /// A bucket holding one value.
    pub fn of(start: Timestamp, end: Timestamp, time: Timestamp, value: f64) -> Self {
        Self {
            start,
            end,
            min: value,
            max: value,
            sum: value,
            count: 1,
            first: time,
            last: time,
        }
    }

    /// Adds a value.
    pub fn add(&mut self, time: Timestamp, value: f64) {
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += value;
        self.count += 1;
        self.first = self.first.min(time);
        self.last = self.last.max(time);
    }

    /// The mean of the values.
    pub fn mean(&self) -> f64 {
        self.sum / f64::from(self.count.max(1))
    }
}

/// The bucket boundaries of a view: `columns` equal slices of `[from, to)`.
pub fn bucket_edges(
    from: Timestamp,
    to: Timestamp,
    columns: usize,
) -> impl Iterator<Item = (Timestamp, Timestamp)> {
    let span = (to.millis() - from.millis()).max(1) as i128;
    let columns = columns.max(1) as i128;
    (0..columns).map(move |i| {
        let at = |k: i128| Timestamp(from.millis() + (span * k / columns) as i64);
        (at(i), at(i + 1))
    })
}

/// Reduces time-ordered points to at most `columns` buckets over `[from, to)`; empty buckets
/// are omitted (they are gaps). The reference implementation: stores answer the same from
/// pre-aggregated tables without reading every point.
pub fn decimate(
    points: &[(Timestamp, f64)],
    from: Timestamp,
    to: Timestamp,
    columns: usize,
) -> Vec<Bucket> {
    let span = (to.millis() - from.millis()).max(1) as i128;
    let n = columns.max(1) as i128;
    let edge = |k: i128| Timestamp(from.millis() + (span * k / n) as i64);
    let mut buckets: Vec<Bucket> = Vec::new();
    let mut current: Option<(i128, Bucket)> = None;
    for &(time, value) in points.iter().filter(|(t, _)| *t >= from && *t < to) {
        // The column whose [start, end) holds `time`.
        let mut k = ((time.millis() - from.millis()) as i128 * n / span).min(n - 1);
        while edge(k) > time {
            k -= 1;
        }
        while edge(k + 1) <= time {
            k += 1;
        }
        match &mut current {
            Some((index, bucket)) if *index == k => bucket.add(time, value),
            _ => {
                if let Some((_, done)) = current.take() {
                    buckets.push(done);
                }
                current = Some((k, Bucket::of(edge(k), edge(k + 1), time, value)));
            }
        }
    }
    buckets.extend(current.map(|(_, b)| b));
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[(i64, f64)]) -> Vec<(Timestamp, f64)> {
        values.iter().map(|&(t, v)| (Timestamp(t), v)).collect()
    }

    #[test]
    fn buckets_keep_extremes_sums_and_counts() {
        let series = points(&[(0, 1.0), (1, 5.0), (2, -2.0), (5, 3.0), (9, 4.0)]);
        let buckets = decimate(&series, Timestamp(0), Timestamp(10), 2);
        assert_eq!(buckets.len(), 2);
        assert_eq!(
            (
                buckets[0].min,
                buckets[0].max,
                buckets[0].sum,
                buckets[0].count
            ),
            (-2.0, 5.0, 4.0, 3)
        );
        assert_eq!(
            (buckets[1].start, buckets[1].end),
            (Timestamp(5), Timestamp(10))
        );
        assert_eq!(
            (buckets[1].first, buckets[1].last),
            (Timestamp(5), Timestamp(9))
        );
    }

    #[test]
    fn empty_columns_are_gaps_and_outside_points_are_ignored() {
        let series = points(&[(-1, 100.0), (0, 1.0), (9, 2.0), (10, 100.0)]);
        let buckets = decimate(&series, Timestamp(0), Timestamp(10), 10);
        let starts: Vec<i64> = buckets.iter().map(|b| b.start.0).collect();
        assert_eq!(starts, [0, 9]);
    }

    #[test]
    fn edges_tile_the_range_exactly() {
        let edges: Vec<(i64, i64)> = bucket_edges(Timestamp(0), Timestamp(10), 3)
            .map(|(a, b)| (a.0, b.0))
            .collect();
        assert_eq!(edges, [(0, 3), (3, 6), (6, 10)]);
        for (start, end) in bucket_edges(Timestamp(7), Timestamp(1_000_007), 1920) {
            assert!(start < end);
        }
    }
}
