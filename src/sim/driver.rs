//! The driver: six years of real hourly weather at Guangzhou (UCI "PM2.5 Data of Five Chinese
//! Cities", CC BY 4.0), parsed once into compact gap-free arrays, one row per hour from
//! 2010-01-01 00:00 Beijing time.
//!
//! Decoding at the edge, so nothing inward sees the file's quirks:
//! - `NA` and the sentinel `-9999` are missing; so is anything physically impossible.
//! - `Iws` is *cumulated* wind speed: it grows while the direction class `cbwd` stays the same.
//!   The hour's mean speed is its increment, or its value when the class changes.
//! - `cbwd` is a quadrant (`NE`, `SE`, `SW`, `NW` → 45°, 135°, 225°, 315°) or `cv` (calm); a
//!   calm hour keeps the last direction, as a wind vane does.
//! - `precipitation` is the amount of the hour ending at the row's time; a missing amount is
//!   taken as dry (interpolating rain would invent drizzle).
//! - Gaps in temperature, dewpoint, pressure and wind speed of up to [`MAX_GAP_HOURS`] are
//!   bridged linearly; longer ones take the climatological mean of that month and hour of day.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::timemap::{HOURS, data_hour_of};
use crate::assets::GUANGZHOU_HOURLY_CSV;

/// Longest gap bridged by linear interpolation; longer gaps use climatology.
pub const MAX_GAP_HOURS: usize = 6;

/// Altitude of the driver's barometer and thermometer, m. The file does not name its station;
/// Guangzhou's national station 59287 stood at 70 m (MICAPS station list in nmcdev/meteva's
/// `rain_without0.txt`), which matches the data: mean `PRES` 1005.4 hPa is ~7 hPa below
/// Guangzhou's mean sea-level pressure, i.e. 60–70 m up.
pub const DRIVER_ALTITUDE_M: f64 = 70.0;

/// The hourly driver series, gap-free, indexed by hour from 2010-01-01 00:00 Beijing time.
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    /// Air temperature, °C.
    pub temp: Vec<f32>,
    /// Dewpoint, °C (never above `temp`).
    pub dewpoint: Vec<f32>,
    /// Station pressure at [`DRIVER_ALTITUDE_M`], hPa.
    pub pressure: Vec<f32>,
    /// Hourly mean wind speed, m/s (de-accumulated from `Iws`).
    pub wind_speed: Vec<f32>,
    /// Wind direction, degrees from north; calm hours keep the last direction.
    pub wind_dir: Vec<f32>,
    /// Precipitation in the hour ending at the row's time, mm.
    pub rain: Vec<f32>,
    /// What parsing found and repaired.
    pub report: ParseReport,
}

/// What parsing found and repaired, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseReport {
    /// Data rows read.
    pub rows: usize,
    /// Hours whose value was missing and filled by interpolation or climatology, per series
    /// (temperature, dewpoint, pressure, wind speed, wind direction, rain).
    pub filled: [usize; 6],
    /// Of those, hours filled from climatology (gaps longer than [`MAX_GAP_HOURS`]).
    pub from_climatology: usize,
    /// Hours of calm (`cv`).
    pub calm: usize,
    /// Wall time the parse took.
    pub elapsed: Duration,
}

/// The driver file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// A header or row does not have the expected shape.
    #[error("driver CSV line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Not one row per hour of 2010–2015.
    #[error("driver CSV has {0} hourly rows, expected {HOURS}")]
    WrongLength(usize),
    /// A series has no valid value at all.
    #[error("driver series {0} has no valid value")]
    Empty(&'static str),
}

/// The shipped Guangzhou driver, parsed on first use and shared for the process's lifetime.
pub fn guangzhou() -> Result<&'static Driver, DriverError> {
    static DRIVER: OnceLock<Result<Driver, DriverError>> = OnceLock::new();
    DRIVER
        .get_or_init(|| Driver::parse(GUANGZHOU_HOURLY_CSV))
        .as_ref()
        .map_err(Clone::clone)
}

/// Column positions in the UCI file's header.
const HEADER: [&str; 17] = [
    "No",
    "year",
    "month",
    "day",
    "hour",
    "season",
    "PM_City Station",
    "PM_5th Middle School",
    "PM_US Post",
    "DEWP",
    "HUMI",
    "PRES",
    "TEMP",
    "cbwd",
    "Iws",
    "precipitation",
    "Iprec",
];

/// One row's raw values, `None` where missing.
#[derive(Debug, Clone, Copy, Default)]
struct RawRow {
    month: u32,
    hour: u32,
    dewp: Option<f32>,
    pres: Option<f32>,
    temp: Option<f32>,
    cbwd: Option<WindClass>,
    iws: Option<f32>,
    rain: Option<f32>,
}

/// `cbwd`: a quadrant's central direction in degrees, or calm.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WindClass {
    Quadrant(f32),
    Calm,
}

impl WindClass {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "NE" => Some(Self::Quadrant(45.0)),
            "SE" => Some(Self::Quadrant(135.0)),
            "SW" => Some(Self::Quadrant(225.0)),
            "NW" => Some(Self::Quadrant(315.0)),
            "cv" => Some(Self::Calm),
            _ => None,
        }
    }
}

/// A number, or `None` for `NA`, the `-9999` sentinel, or anything outside `valid`.
fn number(text: &str, valid: std::ops::RangeInclusive<f32>) -> Option<f32> {
    text.parse::<f32>().ok().filter(|v| valid.contains(v))
}

impl Driver {
    /// Parses the UCI Guangzhou file (the format described in the module doc).
    pub fn parse(csv: &str) -> Result<Self, DriverError> {
        let started = Instant::now();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        if header != HEADER {
            return Err(DriverError::Malformed {
                line: 1,
                reason: format!("unexpected header {header:?}"),
            });
        }
        let mut rows = Vec::with_capacity(HOURS);
        for (i, line) in lines.enumerate() {
            let line_no = i + 2;
            rows.push(parse_row(line, line_no, rows.len())?);
        }
        if rows.len() != HOURS {
            return Err(DriverError::WrongLength(rows.len()));
        }
        let mut report = ParseReport {
            rows: rows.len(),
            calm: rows
                .iter()
                .filter(|r| r.cbwd == Some(WindClass::Calm))
                .count(),
            ..ParseReport::default()
        };
        let mut fill = |index: usize, name: &'static str, series: Vec<Option<f32>>| {
            let filled = fill_gaps(&series, &rows, name)?;
            report.filled[index] = filled.repaired;
            report.from_climatology += filled.from_climatology;
            Ok::<_, DriverError>(filled.values)
        };
        let temp = fill(0, "TEMP", rows.iter().map(|r| r.temp).collect())?;
        let mut dewpoint = fill(1, "DEWP", rows.iter().map(|r| r.dewp).collect())?;
        let pressure = fill(2, "PRES", rows.iter().map(|r| r.pres).collect())?;
        let wind_speed = fill(3, "Iws", hourly_wind_speed(&rows))?;
        let (wind_dir, dir_filled) = wind_directions(&rows);
        report.filled[4] = dir_filled;
        report.filled[5] = rows.iter().filter(|r| r.rain.is_none()).count();
        let rain = rows.iter().map(|r| r.rain.unwrap_or(0.0)).collect();
        // Filling the two series separately may cross them; saturation is the physical limit.
        for (d, t) in dewpoint.iter_mut().zip(&temp) {
            *d = d.min(*t);
        }
        report.elapsed = started.elapsed();
        Ok(Self {
            temp,
            dewpoint,
            pressure,
            wind_speed,
            wind_dir,
            rain,
            report,
        })
    }

    /// Number of hourly rows.
    pub fn len(&self) -> usize {
        self.temp.len()
    }

    /// Whether there are no rows (never, for a parsed driver).
    pub fn is_empty(&self) -> bool {
        self.temp.is_empty()
    }
}

/// Parses one data row, checking it is the hour the row count says it should be.
fn parse_row(line: &str, line_no: usize, index: usize) -> Result<RawRow, DriverError> {
    let fields: Vec<&str> = line.split(',').collect();
    let malformed = |reason: String| DriverError::Malformed {
        line: line_no,
        reason,
    };
    if fields.len() != HEADER.len() {
        return Err(malformed(format!(
            "{} fields, expected {}",
            fields.len(),
            HEADER.len()
        )));
    }
    let int = |i: usize| {
        fields[i]
            .parse::<u32>()
            .map_err(|_| malformed(format!("{} {:?} is not a number", HEADER[i], fields[i])))
    };
    let (year, month, day, hour) = (int(1)?, int(2)?, int(3)?, int(4)?);
    let year = i32::try_from(year).map_err(|_| malformed(format!("year {year}")))?;
    if data_hour_of(year, month, day, hour) != index || !(2010..=2015).contains(&year) {
        return Err(malformed(format!(
            "{year}-{month:02}-{day:02} {hour:02}h is not hour {index} of 2010–2015"
        )));
    }
    Ok(RawRow {
        month,
        hour,
        dewp: number(fields[9], -40.0..=40.0),
        pres: number(fields[11], 900.0..=1100.0),
        temp: number(fields[12], -30.0..=50.0),
        cbwd: WindClass::parse(fields[13]),
        iws: number(fields[14], 0.0..=2000.0),
        rain: number(fields[15], 0.0..=300.0),
    })
}

/// Hourly mean wind speed from the cumulated `Iws`: the increment while the class holds, the
/// value itself when it changes. `None` where it cannot be known.
fn hourly_wind_speed(rows: &[RawRow]) -> Vec<Option<f32>> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let (class, iws) = (row.cbwd?, row.iws?);
            let previous = i.checked_sub(1).map(|p| &rows[p]);
            let speed = match previous {
                Some(p) if p.cbwd == Some(class) => match p.iws {
                    // An accumulation that shrank was restarted: take the value itself.
                    Some(before) if iws >= before => iws - before,
                    Some(_) => iws,
                    None => return None,
                },
                _ => iws,
            };
            Some(speed).filter(|s| *s <= 40.0)
        })
        .collect()
}

/// Directions in degrees; calm and missing hours keep the last known direction (the first
/// known one at the very start). Returns the series and how many hours were missing.
fn wind_directions(rows: &[RawRow]) -> (Vec<f32>, usize) {
    let first = rows
        .iter()
        .find_map(|r| match r.cbwd {
            Some(WindClass::Quadrant(d)) => Some(d),
            _ => None,
        })
        .unwrap_or(0.0);
    let mut last = first;
    let mut missing = 0;
    let directions = rows
        .iter()
        .map(|r| {
            match r.cbwd {
                Some(WindClass::Quadrant(d)) => last = d,
                Some(WindClass::Calm) => {}
                None => missing += 1,
            }
            last
        })
        .collect();
    (directions, missing)
}

/// A series with its gaps filled, and how.
struct Filled {
    values: Vec<f32>,
    repaired: usize,
    from_climatology: usize,
}

/// Fills gaps: linearly across gaps up to [`MAX_GAP_HOURS`] with valid values on both sides,
/// the nearest value at a short gap at either end, and otherwise the mean of the same month
/// and hour of day over all years.
fn fill_gaps(
    series: &[Option<f32>],
    rows: &[RawRow],
    name: &'static str,
) -> Result<Filled, DriverError> {
    let climatology = Climatology::of(series, rows).ok_or(DriverError::Empty(name))?;
    let mut values = Vec::with_capacity(series.len());
    let mut repaired = 0;
    let mut from_climatology = 0;
    let mut i = 0;
    while i < series.len() {
        if let Some(v) = series[i] {
            values.push(v);
            i += 1;
            continue;
        }
        let gap_start = i;
        while i < series.len() && series[i].is_none() {
            i += 1;
        }
        let gap = i - gap_start;
        let before = gap_start.checked_sub(1).and_then(|b| series[b]);
        let after = series.get(i).copied().flatten();
        repaired += gap;
        for (k, row) in rows.iter().enumerate().take(i).skip(gap_start) {
            let filled = match (before, after) {
                _ if gap > MAX_GAP_HOURS => {
                    from_climatology += 1;
                    climatology.at(row)
                }
                (Some(a), Some(b)) => {
                    let w = (k - gap_start + 1) as f32 / (gap + 1) as f32;
                    a + (b - a) * w
                }
                (Some(v), None) | (None, Some(v)) => v,
                (None, None) => climatology.at(row),
            };
            values.push(filled);
        }
    }
    Ok(Filled {
        values,
        repaired,
        from_climatology,
    })
}

/// Mean by (month, hour of day), with the overall mean where a cell has no data.
struct Climatology {
    cells: [[f32; 24]; 12],
}

impl Climatology {
    fn of(series: &[Option<f32>], rows: &[RawRow]) -> Option<Self> {
        let mut sum = [[0.0_f64; 24]; 12];
        let mut count = [[0_u32; 24]; 12];
        for (value, row) in series.iter().zip(rows) {
            if let Some(v) = value {
                let (m, h) = (row.month as usize - 1, row.hour as usize);
                sum[m][h] += f64::from(*v);
                count[m][h] += 1;
            }
        }
        let total: u32 = count.iter().flatten().sum();
        if total == 0 {
            return None;
        }
        let overall = sum.iter().flatten().sum::<f64>() / f64::from(total);
        let mut cells = [[0.0; 24]; 12];
        for m in 0..12 {
            for h in 0..24 {
                let mean = if count[m][h] > 0 {
                    sum[m][h] / f64::from(count[m][h])
                } else {
                    overall
                };
                cells[m][h] = mean as f32;
            }
        }
        Some(Self { cells })
    }

    fn at(&self, row: &RawRow) -> f32 {
        self.cells[row.month as usize - 1][row.hour as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver() -> &'static Driver {
        guangzhou().unwrap()
    }

    #[test]
    fn parses_every_hour_of_the_shipped_file() {
        let d = driver();
        assert_eq!(d.len(), 52_584);
        for series in [
            &d.temp,
            &d.dewpoint,
            &d.pressure,
            &d.wind_speed,
            &d.wind_dir,
            &d.rain,
        ] {
            assert_eq!(series.len(), 52_584);
            assert!(series.iter().all(|v| v.is_finite()));
        }
        // Row 1: 2010-01-01 00h, DEWP 9.4, PRES 1015.1, TEMP 13.5, NW, Iws 0.8, rain 0.
        assert_eq!(
            (d.temp[0], d.dewpoint[0], d.pressure[0], d.wind_dir[0]),
            (13.5, 9.4, 1015.1, 315.0)
        );
        assert_eq!(d.rain[2], 0.3, "row 3 has 0.3 mm");
        // Only the last row is NA throughout; four hours of 2013-12-14 carry -9999 dewpoints.
        let r = d.report;
        assert_eq!(r.filled, [1, 5, 1, 1, 1, 1], "{r:?}");
        assert_eq!(r.from_climatology, 0);
        assert_eq!(r.calm, 1656);
        assert_eq!(d.temp[HOURS - 1], d.temp[HOURS - 2], "trailing gap copies");
        println!("parse took {:?}", r.elapsed);
    }

    #[test]
    fn sentinel_dewpoints_are_bridged_linearly() {
        let d = driver();
        // Rows 34637–34640 (2013-12-14 04–07h) are -9999; rows 34636 and 34641 frame them.
        let start = data_hour_of(2013, 12, 14, 4);
        let (before, after) = (d.dewpoint[start - 1], d.dewpoint[start + 4]);
        for k in 0..4 {
            // Saturated drizzle: the bridge runs above the air temperature and is capped.
            let expected =
                (before + (after - before) * (k as f32 + 1.0) / 5.0).min(d.temp[start + k]);
            assert!((d.dewpoint[start + k] - expected).abs() < 1e-4, "{k}");
        }
        assert!(d.dewpoint.iter().zip(&d.temp).all(|(td, t)| td <= t));
    }

    #[test]
    fn cumulated_wind_is_de_accumulated() {
        let d = driver();
        // 2010-02-11 15h..2010-02-12 03h, from the file:
        // NE 1.7 | SE 2.2, 4.8, 7.4 | NE 2.1 | NW 2.5, 4.8, 8.5, 12.6, 17.2, 21.4, 23.5 | NE 2.1
        let start = data_hour_of(2010, 2, 11, 15);
        let expected = [
            1.7, 2.2, 2.6, 2.6, 2.1, 2.5, 2.3, 3.7, 4.1, 4.6, 4.2, 2.1, 2.1,
        ];
        for (k, e) in expected.iter().enumerate() {
            assert!(
                (d.wind_speed[start + k] - e).abs() < 1e-3,
                "hour {k}: {} vs {e}",
                d.wind_speed[start + k]
            );
        }
        assert!(d.wind_speed.iter().all(|s| (0.0..=40.0).contains(s)));
        let mean = d.wind_speed.iter().map(|s| f64::from(*s)).sum::<f64>() / HOURS as f64;
        assert!((1.0..4.0).contains(&mean), "mean speed {mean}");
    }

    #[test]
    fn wind_classes_map_to_degrees_and_calm_keeps_the_vane() {
        let cases = [
            ("NE", Some(WindClass::Quadrant(45.0))),
            ("SE", Some(WindClass::Quadrant(135.0))),
            ("SW", Some(WindClass::Quadrant(225.0))),
            ("NW", Some(WindClass::Quadrant(315.0))),
            ("cv", Some(WindClass::Calm)),
            ("NA", None),
            ("N", None),
        ];
        for (text, expected) in cases {
            assert_eq!(WindClass::parse(text), expected, "{text}");
        }
        // 2010-01-01: 00h NW, 01h cv → the calm hour keeps 315°.
        assert_eq!(driver().wind_dir[1], 315.0);
    }

    const HEAD: &str = "No,year,month,day,hour,season,PM_City Station,PM_5th Middle School,\
                        PM_US Post,DEWP,HUMI,PRES,TEMP,cbwd,Iws,precipitation,Iprec";

    #[test]
    fn gaps_short_and_long() {
        let rows: Vec<RawRow> = (0..48)
            .map(|h| RawRow {
                month: 1,
                hour: h % 24,
                ..RawRow::default()
            })
            .collect();
        let mut series: Vec<Option<f32>> = (0..48).map(|h| Some(h as f32)).collect();
        series[3] = None; // short: linear
        for v in &mut series[10..20] {
            *v = None; // long: climatology of month 1 at that hour
        }
        series[47] = None; // trailing: nearest
        let filled = fill_gaps(&series, &rows, "test").unwrap();
        assert_eq!(filled.values[3], 3.0);
        assert_eq!(filled.repaired, 12);
        assert_eq!(filled.from_climatology, 10);
        // Hour 10 of day 0 is missing; day 1's hour 10 is 34 → climatology 34.
        assert_eq!(filled.values[10], 34.0);
        assert_eq!(filled.values[47], 46.0);
        let empty = vec![None; 48];
        assert!(fill_gaps(&empty, &rows, "x").is_err());
    }

    #[test]
    fn malformed_files_are_refused_with_the_line() {
        let cases = [
            ("No,year\n".to_owned(), "line 1"),
            (
                format!("{HEAD}\n1,2010,1,1,0,4,NA,NA,NA,9.4,76,1015.1,13.5,NW,0.8,0\n"),
                "line 2: 16 fields",
            ),
            (
                format!("{HEAD}\n1,2010,1,1,5,4,NA,NA,NA,9.4,76,1015.1,13.5,NW,0.8,0,0\n"),
                "not hour 0",
            ),
            (
                format!("{HEAD}\n1,2010,1,1,0,4,NA,NA,NA,9.4,76,1015.1,13.5,NW,0.8,0,0\n"),
                "1 hourly rows",
            ),
        ];
        for (csv, expected) in cases {
            let error = Driver::parse(&csv).unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
        }
    }
}
