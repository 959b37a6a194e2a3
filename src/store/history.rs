//! Series views at any range, read from the rollups ([`super::rollups`]): a year of minute
//! data reads a few thousand four-hour rows, never half a million values. Gaps get their
//! causes from what else the database knows about their time.

use rusqlite::Connection;

use super::StoreError;
use super::observations::{self, existing_station_key};
use super::rollups;
use crate::domain::Element;
use crate::domain::StationId;
use crate::domain::history::{
    Aggregate, Completeness, Coverage, Gap, GapCause, GapFacts, Level, SeriesView, View, ViewPlan,
    ViewRequest, Which, find_gaps, group, typical_interval,
};
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::time::{MINUTE_MS, Timestamp};

/// Gaps beyond this many in one view get no cause: each costs a few index probes, and a view
/// with hundreds of gaps says enough by itself.
const MAX_CLASSIFIED_GAPS: usize = 256;

/// The buckets of one series that `plan` describes.
pub fn view(
    conn: &Connection,
    station: &StationId,
    element: Element,
    plan: &ViewPlan,
) -> Result<View, StoreError> {
    let rows: Vec<(Timestamp, Aggregate)> = match plan.level {
        Level::Raw => observations::samples(conn, station, element, plan.first_row, plan.end_row)?
            .iter()
            .map(|s| (s.time, Aggregate::of(s)))
            .collect(),
        level => match existing_station_key(conn, station)? {
            Some(key) => rollups::rows(
                conn,
                key,
                element.storage_id(),
                level,
                plan.first_row.millis(),
                plan.end_row.millis(),
            )?,
            None => Vec::new(),
        },
    };
    Ok(group(plan, rows))
}

/// The view a chart asked for, with the gaps of its raw and QC'd values classified and its
/// completeness, judged at `now` (nothing after it is missing). `maintenance` holds the
/// station's maintenance windows (any others are ignored).
pub fn series_view(
    conn: &Connection,
    request: &ViewRequest,
    maintenance: &[MaintenanceWindow],
    now: Timestamp,
) -> Result<SeriesView, StoreError> {
    let view = view(conn, &request.station, request.element, &request.plan())?;
    let coverage = |which: Which| -> Result<Coverage, StoreError> {
        let mut gaps = find_gaps(&view, which, now);
        for gap in gaps.iter_mut().take(MAX_CLASSIFIED_GAPS) {
            gap.cause = Some(classify(conn, request, which, gap, maintenance)?);
        }
        let interval = typical_interval(&view, which).unwrap_or(MINUTE_MS);
        Ok(Coverage {
            gaps,
            completeness: Completeness::of(&view, which, now, interval),
        })
    };
    let raw = coverage(Which::All)?;
    let passed = coverage(Which::Passed)?;
    Ok(SeriesView {
        request: request.clone(),
        view,
        raw,
        passed,
    })
}

/// Why one gap of a view is empty.
fn classify(
    conn: &Connection,
    request: &ViewRequest,
    which: Which,
    gap: &Gap,
    maintenance: &[MaintenanceWindow],
) -> Result<GapCause, StoreError> {
    let station = &request.station;
    let others: Vec<Element> = Element::ALL
        .into_iter()
        .filter(|&e| e != request.element)
        .collect();
    let facts = GapFacts {
        maintenance: maintenance
            .iter()
            .any(|w| &w.station == station && w.overlaps(gap.after, gap.before)),
        flagged_values: which == Which::Passed
            && observations::any_between(conn, station, &[request.element], gap.after, gap.before)?,
        station_reported: observations::any_between(conn, station, &others, gap.after, gap.before)?,
    };
    Ok(GapCause::classify(facts))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::history::{Pyramid, Sample, plan};
    use crate::domain::qc::{QcFlags, QcTest};
    use crate::domain::time::{DAY_MS, HOUR_MS};
    use crate::domain::{Observation, Source};
    use crate::store::cache::CacheDb;
    use crate::store::observations::{OnConflict, Writer};

    const ORIGIN: i64 = 1_767_225_600_000;

    fn station() -> StationId {
        StationId::parse("58819").unwrap()
    }

    fn write(conn: &Connection, samples: &[Sample], element: Element) {
        let mut writer = Writer::new(conn);
        for sample in samples {
            let obs = Observation {
                station: station(),
                time: sample.time,
                source: sample.source,
                values: BTreeMap::from([(element, sample.value)]),
            };
            writer
                .insert(
                    &obs,
                    OnConflict::Replace,
                    &BTreeMap::from([(element, sample.qc)]),
                )
                .unwrap();
        }
        writer.finish().unwrap();
    }

    fn minutes(from: i64, to: i64, value: impl Fn(i64) -> f64) -> Vec<Sample> {
        (from + 1..=to)
            .map(|m| Sample::live(Timestamp(ORIGIN + m * MINUTE_MS), value(m)))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 24,
            ..crate::test_support::proptest_config(
                "tests/data/proptest-regressions/store_history.txt",
            )
        })]
        /// Written in batches, in any order, with replacements and QC changes after the fact,
        /// the store's views equal the in-memory pyramid's at every range.
        #[test]
        fn store_views_equal_the_pyramid(
            batches in prop::collection::vec(
                prop::collection::vec((0i64..20_000, -20.0f64..35.0, 0u8..6), 1..400), 1..6),
            flag_every in 3usize..50,
            views in prop::collection::vec((0i64..20_000, 1i64..25_000, 1usize..1200), 1..8),
        ) {
            let cache = CacheDb::in_memory().unwrap();
            let conn = cache.connection();
            let mut latest: BTreeMap<i64, Sample> = BTreeMap::new();
            for batch in &batches {
                let samples: Vec<Sample> = batch.iter().map(|&(m, v, s)| Sample {
                    time: Timestamp(ORIGIN + m * MINUTE_MS),
                    value: (v * 10.0).round() / 10.0,
                    source: Source::from_storage_id(s % 4),
                    qc: if s >= 4 { QcFlags::PASSED.with(QcTest::Step) } else { QcFlags::PASSED },
                }).collect();
                write(conn, &samples, Element::Tem);
                for s in samples {
                    latest.insert(s.time.millis(), s);
                }
            }
            // QC re-judges some values later.
            let mut writer = Writer::new(conn);
            for (i, sample) in latest.values_mut().enumerate().filter(|(i, _)| i % flag_every == 0) {
                let _ = i;
                sample.qc = QcFlags::PASSED.with(QcTest::Spatial);
                writer.set_qc(&station(), Element::Tem, sample.time, sample.qc).unwrap();
            }
            writer.finish().unwrap();
            let pyramid = Pyramid::build(latest.values().copied().collect());
            for &(from, span, columns) in &views {
                let from = Timestamp(ORIGIN + from * MINUTE_MS);
                let plan = plan(from, from.plus_ms(span * MINUTE_MS), columns);
                let stored = view(conn, &station(), Element::Tem, &plan).unwrap();
                let reference = pyramid.view(&plan);
                prop_assert_eq!(stored.buckets.len(), reference.buckets.len());
                for (s, r) in stored.buckets.iter().zip(&reference.buckets) {
                    prop_assert_eq!((s.start, s.values.all.count, s.values.all.min, s.values.all.max),
                                    (r.start, r.values.all.count, r.values.all.min, r.values.all.max));
                    prop_assert_eq!(s.values.passed.map(|p| (p.count, p.min, p.max, p.first_at, p.last_at)),
                                    r.values.passed.map(|p| (p.count, p.min, p.max, p.first_at, p.last_at)));
                    prop_assert!((s.values.all.sum - r.values.all.sum).abs() < 1e-6);
                    prop_assert_eq!(s.values.all.sources, r.values.all.sources);
                }
            }
        }
    }

    #[test]
    fn gaps_are_classified_from_what_else_is_known() {
        let cache = CacheDb::in_memory().unwrap();
        let conn = cache.connection();
        // A day of TEM with three holes: 02:00–03:00 the whole station is silent; 06:00–07:00
        // only TEM is missing (RHU reports); 10:00–11:00 TEM is there but flagged; 14:00–15:00
        // a technician recorded maintenance.
        let hole = |m: i64, h: i64| (h * 60..h * 60 + 60).contains(&m);
        let tem: Vec<Sample> = minutes(0, 24 * 60, |m| m as f64 / 100.0)
            .into_iter()
            .filter(|s| {
                let m = (s.time.millis() - ORIGIN) / MINUTE_MS;
                !hole(m, 2) && !hole(m, 6) && !hole(m, 14)
            })
            .map(|mut s| {
                let m = (s.time.millis() - ORIGIN) / MINUTE_MS;
                if hole(m, 10) {
                    s.qc = QcFlags::PASSED.with(QcTest::Persistence);
                }
                s
            })
            .collect();
        write(conn, &tem, Element::Tem);
        let rhu: Vec<Sample> = minutes(0, 24 * 60, |_| 80.0)
            .into_iter()
            .filter(|s| !hole((s.time.millis() - ORIGIN) / MINUTE_MS, 2))
            .collect();
        write(conn, &rhu, Element::Rhu);
        let maintenance = [MaintenanceWindow {
            id: 1,
            station: station(),
            from: Timestamp(ORIGIN + 14 * HOUR_MS - 5 * MINUTE_MS),
            to: Some(Timestamp(ORIGIN + 15 * HOUR_MS + 5 * MINUTE_MS)),
            note: "换温度传感器".into(),
            recorded_by: "tech".into(),
        }];
        let request = ViewRequest {
            station: station(),
            element: Element::Tem,
            from: Timestamp(ORIGIN),
            to: Timestamp(ORIGIN + DAY_MS),
            columns: 1000,
        };
        let now = Timestamp(ORIGIN + 2 * DAY_MS);
        let result = series_view(conn, &request, &maintenance, now).unwrap();
        let causes = |coverage: &Coverage| -> Vec<(i64, Option<GapCause>)> {
            coverage
                .gaps
                .iter()
                .map(|g| ((g.before.millis() - ORIGIN) / HOUR_MS, g.cause))
                .collect()
        };
        assert_eq!(
            causes(&result.raw),
            [
                (3, Some(GapCause::StationOffline)),
                (7, Some(GapCause::NoData)),
                (15, Some(GapCause::Maintenance)),
            ]
        );
        assert_eq!(
            causes(&result.passed),
            [
                (3, Some(GapCause::StationOffline)),
                (7, Some(GapCause::NoData)),
                (11, Some(GapCause::QcRejected)),
                (15, Some(GapCause::Maintenance)),
            ]
        );
        assert_eq!(result.raw.completeness.expected, 24 * 60);
        assert_eq!(result.raw.completeness.values, 21 * 60);
        assert_eq!(result.passed.completeness.values, 20 * 60);
    }

    #[test]
    fn a_year_of_minutes_is_read_from_four_hour_rows() {
        let cache = CacheDb::in_memory().unwrap();
        let conn = cache.connection();
        write(
            conn,
            &minutes(0, 365 * 24 * 60, |m| (m % 1440) as f64 / 60.0),
            Element::Tem,
        );
        let plan = plan(Timestamp(ORIGIN), Timestamp(ORIGIN + 365 * DAY_MS), 1460);
        let year = view(conn, &station(), Element::Tem, &plan).unwrap();
        assert_eq!(year.level, Level::FourHours);
        assert_eq!(year.buckets.len(), 365 * 6);
        let total = year.total(Which::All).unwrap();
        assert_eq!(total.count, 365 * 24 * 60);
        assert_eq!((total.min, total.max), (0.0, 1439.0 / 60.0));
    }
}
