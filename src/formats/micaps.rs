//! MICAPS station files: type 1 (surface plot) and type 3 (general station data).
//!
//! Both are whitespace-separated text, GBK in practice, whose first line is
//! `diamond <type> <title>`; the title is the rest of that line. After it the format is a stream
//! of tokens: line breaks carry no meaning except for the line numbers of errors.
//!
//! ## Type 3 (`diamond 3`)
//!
//! ```text
//! diamond 3 <title>
//! <year> <month> <day> <hour> <level>
//! <N> <contour value × N> <smoothing> <bold-line value>
//! <M> <longitude latitude × M>                  clipping polygon
//! <E> <S>                                       values per station, stations
//! <id> <longitude> <latitude> <altitude> <value × E>    S rows
//! ```
//!
//! The format does not say what the values are: the importer names the elements
//! ([`ImportHint::elements`](crate::formats::ImportHint::elements)) or, for one value per station, [`element_from_title`] reads the
//! title (`…24小时降雨量` is `PRE_24h`). The contours, smoothing and clipping polygon only
//! matter for drawing; they are checked to be numbers and dropped.
//!
//! ## Type 1 (`diamond 1`), surface plot
//!
//! ```text
//! diamond 1 <title>
//! <year> <month> <day> <hour> <S>
//! <id> <longitude> <latitude> <altitude> <20 fields, below> [<24 h ΔT> <24 h Δp>]    S rows
//! ```
//!
//! The 20 fields, in order: station level, total cloud, wind direction (°), wind speed (m/s),
//! sea-level pressure (plotted code, see [`decode_sea_level_pressure`]), 3 h pressure change,
//! past weather 1 and 2, 6 h precipitation (mm), low cloud type, amount and height, dew point
//! (°C), visibility (km), present weather, temperature (°C), middle and high cloud type,
//! flag 1, flag 2. As the MICAPS documentation has it, flag 1 = 1 with flag 2 = 2 announces two
//! more fields, the 24 h temperature and pressure changes; they are read and dropped (no element
//! of ours holds them). Seven fields become elements: `WIN_D_Avg_2mi`, `WIN_S_Avg_2mi`,
//! `PRS_Sea`, `PRE_6h`, `DPT`, `VIS` (in m) and `TEM`. Synoptic winds are 10-minute means
//! stored under the 2-minute codes, the nearest elements we have.
//!
//! ## Reading rules (both types)
//!
//! - The year has two digits (00–49 are 2000–2049, 50–99 are 1950–1999) or four. The time is
//!   Beijing time and comes out as UTC.
//! - 9999 (9999.0) and 999999 are missing: the value is absent, as is a missing altitude or
//!   position.
//! - The station count in the header must match the rows: fewer is a truncated file, more is
//!   refused too.
//! - When the station rows are laid out one per line, as every MICAPS writer does it (the first
//!   row fills its line exactly, or there are as many lines as stations), every row must fill
//!   its line: a short or long row is then caught at its own line, not as a puzzling error rows
//!   later. A file whose rows wrap is read as a plain token stream.

mod station_data;
mod surface;
mod title;
mod tokens;

use std::fmt;

use chrono::NaiveDate;

pub(super) use station_data::parse_station_data;
pub use surface::decode_sea_level_pressure;
pub(super) use surface::parse_surface;
pub use title::element_from_title;
use tokens::{Token, Tokens};

use crate::domain::geo::LatLon;
use crate::domain::{StationId, Timestamp};
use crate::formats::{FormatError, Reading, RowHead, first_line, from_beijing, quoted};

/// The title of a `diamond <kind>` file and the tokens after its first line.
fn header<'a>(text: &'a str, kind: &str) -> Result<(&'a str, Tokens<'a>), FormatError> {
    let (line, first) = first_line(text).ok_or_else(|| FormatError::new(1, "the file is empty"))?;
    let title = split_header(first)
        .filter(|&(found, _)| found == kind)
        .map(|(_, title)| title)
        .ok_or_else(|| {
            FormatError::new(
                line,
                format!(
                    "expected a MICAPS type {kind} header \"diamond {kind} <title>\", found {}",
                    quoted(first.trim())
                ),
            )
        })?;
    Ok((title, Tokens::after_line(text, line)))
}

/// `diamond  3 title …` → `("3", "title …")`.
fn split_header(line: &str) -> Option<(&str, &str)> {
    let (word, rest) = line.trim().split_once(char::is_whitespace)?;
    if !word.eq_ignore_ascii_case("diamond") {
        return None;
    }
    let rest = rest.trim_start();
    let (kind, title) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((kind, title.trim()))
}

/// `<year> <month> <day> <hour>` in Beijing time, as UTC.
fn read_time(tokens: &mut Tokens<'_>) -> Result<Timestamp, FormatError> {
    let (year, year_token) = tokens.whole::<u16>("the year")?;
    let year = match year_token.text.len() {
        1 | 2 if year < 50 => 2000 + i32::from(year),
        1 | 2 => 1900 + i32::from(year),
        4 => i32::from(year),
        _ => {
            return Err(FormatError::new(
                year_token.line,
                format!("year {} has neither two nor four digits", year_token.text),
            ));
        }
    };
    let (month, month_token) = tokens.whole::<u32>("the month")?;
    if !(1..=12).contains(&month) {
        return Err(FormatError::new(
            month_token.line,
            format!("month {month} is not 1–12"),
        ));
    }
    let (day, day_token) = tokens.whole::<u32>("the day")?;
    let (hour, hour_token) = tokens.whole::<u32>("the hour")?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        FormatError::new(
            day_token.line,
            format!("{year}-{month:02} has no day {day}"),
        )
    })?;
    let local = date
        .and_hms_opt(hour, 0, 0)
        .ok_or_else(|| FormatError::new(hour_token.line, format!("hour {hour} is not 0–23")))?;
    Ok(from_beijing(local))
}

/// Names a field of a station's row in messages: "the latitude of station 58819".
struct Field<'a>(&'a str, &'a str);

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} of station {}", self.0, self.1)
    }
}

/// The station rows of a file: how many the header announces and how they are laid out.
struct Rows<'w> {
    count: usize,
    /// The lengths a row may have.
    widths: &'w [usize],
    one_per_line: bool,
    /// What a row holds, for the message about a row of the wrong length.
    shape: String,
}

impl<'w> Rows<'w> {
    /// Looks at the rows ahead: when they are laid out one per line — the first fills its line
    /// exactly, or there are as many lines as stations — every row must fill its line.
    fn new(
        tokens: &Tokens<'_>,
        count: usize,
        widths: &'w [usize],
        shape: impl FnOnce() -> String,
    ) -> Self {
        let one_per_line = tokens
            .whole_line_ahead()
            .is_some_and(|fields| widths.contains(&fields) || tokens.lines_ahead() == count);
        Self {
            count,
            widths,
            one_per_line,
            shape: shape(),
        }
    }

    /// Checks that row `index` is there and, one row per line, has a possible length; returns
    /// the number of fields on its line in that layout.
    fn start(&self, tokens: &Tokens<'_>, index: usize) -> Result<Option<usize>, FormatError> {
        let Some(first) = tokens.peek() else {
            return Err(FormatError::new(
                tokens.last_line(),
                format!(
                    "expected {} stations, but the file ends after {index}",
                    self.count
                ),
            ));
        };
        if !self.one_per_line {
            return Ok(None);
        }
        // Every row before this one filled its line, so this one starts a line.
        let fields = tokens.whole_line_ahead().unwrap_or_default();
        if self.widths.contains(&fields) {
            Ok(Some(fields))
        } else {
            Err(FormatError::new(
                first.line,
                format!(
                    "the row of station {} has {fields} fields; {}",
                    first.text, self.shape
                ),
            ))
        }
    }

    /// Checks that nothing follows the last row.
    fn end(&self, tokens: &Tokens<'_>) -> Result<(), FormatError> {
        match tokens.peek() {
            None => Ok(()),
            Some(extra) => Err(FormatError::new(
                extra.line,
                format!(
                    "expected {} stations, but more data follows: {}",
                    self.count,
                    quoted(extra.text)
                ),
            )),
        }
    }
}

/// Reads the start every row shares, `<id> <longitude> <latitude> <altitude>`.
fn row_head<'a>(
    tokens: &mut Tokens<'a>,
    time: Timestamp,
    rows: &Rows<'_>,
    index: usize,
) -> Result<(RowHead, Token<'a>), FormatError> {
    let id = tokens.next("a station id")?;
    let station = StationId::parse(id.text).map_err(|e| {
        let hint = if rows.one_per_line || index == 0 {
            String::new()
        } else {
            format!(
                " (is the row before it longer or shorter than it should be? {})",
                rows.shape
            )
        };
        FormatError::new(id.line, format!("{e}{hint}"))
    })?;
    let longitude = tokens.reading(Field("longitude", id.text))?;
    let latitude = tokens.reading(Field("latitude", id.text))?;
    let altitude = tokens.reading(Field("altitude", id.text))?;
    let head = RowHead {
        line: id.line,
        station,
        time,
        location: location(longitude, latitude, id.text)?,
        altitude_m: altitude_m(altitude, id.text)?,
    };
    Ok((head, id))
}

/// A station's position; `None` when the file marks either coordinate missing.
fn location(
    longitude: Reading,
    latitude: Reading,
    station: &str,
) -> Result<Option<LatLon>, FormatError> {
    let (Some(lon), Some(lat)) = (longitude.value, latitude.value) else {
        return Ok(None);
    };
    if !(-180.0..=180.0).contains(&lon) {
        return Err(FormatError::new(
            longitude.line,
            format!("station {station}: longitude {lon} is not within -180..=180°"),
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(FormatError::new(
            latitude.line,
            format!("station {station}: latitude {lat} is not within -90..=90°"),
        ));
    }
    Ok(Some(LatLon::new(lat, lon)))
}

/// Altitudes a weather station can stand at, m: from the Dead Sea shore (−430 m) to above
/// Everest's summit, with margin.
const ALTITUDE_M: std::ops::RangeInclusive<f64> = -500.0..=9000.0;

/// A station's altitude; `None` when missing.
fn altitude_m(altitude: Reading, station: &str) -> Result<Option<f64>, FormatError> {
    match altitude.value {
        Some(metres) if !ALTITUDE_M.contains(&metres) => Err(FormatError::new(
            altitude.line,
            format!(
                "station {station}: altitude {metres} m is not within {}..={} m",
                ALTITUDE_M.start(),
                ALTITUDE_M.end()
            ),
        )),
        value => Ok(value),
    }
}

#[cfg(test)]
mod fixtures {
    //! The MICAPS test files and helpers the tests of this module and its children share.

    use crate::domain::Element;
    use crate::formats::{ObservationFile, decode};

    pub const RAIN_MAP: &[u8] = include_bytes!("../../tests/data/micaps/rain_without0.txt");
    pub const RAIN_1H: &[u8] =
        include_bytes!("../../tests/data/micaps/micaps3_rain1h_synthetic.000");
    pub const SURFACE: &[u8] =
        include_bytes!("../../tests/data/micaps/micaps1_surface_synthetic.000");

    /// The value of `element` at `station`; panics if the station is not in the file.
    pub fn value(file: &ObservationFile, station: &str, element: Element) -> Option<f64> {
        let record = file
            .records
            .iter()
            .find(|r| r.station.as_str() == station)
            .unwrap_or_else(|| panic!("no station {station}"));
        record.values.get(&element).copied()
    }

    /// A fixture as text.
    pub fn text(bytes: &[u8]) -> String {
        decode(bytes).unwrap().into_owned()
    }

    /// `base` with `from` replaced by `to`, insisting that `from` is there.
    pub fn variant(base: &str, from: &str, to: &str) -> Vec<u8> {
        assert!(base.contains(from), "{from:?} is not in the base file");
        base.replacen(from, to, 1).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{RAIN_1H, SURFACE, text, value, variant};
    use crate::domain::Element;
    use crate::formats::{FileFormat, ImportHint, parse};

    #[test]
    fn years_line_endings_and_wrapped_rows() {
        let cases = [
            ("19 05 20 08", "2019-05-20T00:00:00Z"),
            ("99 06 15 08", "1999-06-15T00:00:00Z"),
            ("2025 01 01 00", "2024-12-31T16:00:00Z"),
        ];
        for (date, utc) in cases {
            let text =
                format!("diamond 3 气温\n{date} 0 0 0 0 0\n1 1\n58819 116.82 26.18 336 20\n");
            let file = parse(text.as_bytes(), &ImportHint::detect()).unwrap();
            assert_eq!(file.records[0].time.to_rfc3339(), utc, "{date}");
        }
        let crlf = text(RAIN_1H).replace('\n', "\r\n");
        assert_eq!(
            parse(crlf.as_bytes(), &ImportHint::detect())
                .unwrap()
                .records
                .len(),
            13
        );
        let wrapped = "diamond 3 气温\n2025 06 17 08 0 0 0 0 0 1 2 58819\n116.82 26.18\n336 20 708301 \
                       116.81\n25.86 394 21\n";
        let file = parse(wrapped.as_bytes(), &ImportHint::detect()).unwrap();
        assert_eq!(value(&file, "708301", Element::Tem), Some(21.0));
        assert_eq!(file.records[1].line, 4);
    }

    #[test]
    fn malformed_files_are_refused_at_their_first_bad_line() {
        let rain = text(RAIN_1H);
        let surface = text(SURFACE);
        let truncated: String = rain.lines().take(13).map(|l| format!("{l}\n")).collect();
        let surface_truncated: String = surface.lines().take(3).map(|l| format!("{l}\n")).collect();
        let type_3 = ImportHint::format(FileFormat::Micaps3);
        let detect = ImportHint::detect();
        let cases: Vec<(&str, Vec<u8>, &ImportHint, &str)> = vec![
            ("empty", Vec::new(), &detect, "line 1: the file is empty"),
            (
                "truncated",
                truncated.into_bytes(),
                &detect,
                "line 13: expected 13 stations, but the file ends after 10",
            ),
            (
                "short row",
                variant(&rain, "116.700 26.170 600.0 18.9", "116.700 26.170 600.0"),
                &detect,
                "line 16: the row of station F0013 has 4 fields; each row has 5: id, longitude, \
                 latitude, altitude and 1 value",
            ),
            (
                "long row",
                variant(&rain, "350.0 3.4", "350.0 3.4 1.0"),
                &detect,
                "line 6: the row of station F0003 has 6 fields; each row has 5: id, longitude, \
                 latitude, altitude and 1 value",
            ),
            (
                "first row short",
                variant(&rain, "300.0 0.0", "300.0"),
                &detect,
                "line 4: the row of station F0001 has 4 fields; each row has 5: id, longitude, \
                 latitude, altitude and 1 value",
            ),
            (
                "wrapped rows out of step",
                "diamond 3 气温\n2025 06 17 08 0 0 0 0 0 1 2\n58819 116.82\n26.18 336 20 5\n\
                  708301 116.81\n25.86 394 21\n"
                    .as_bytes()
                    .to_vec(),
                &detect,
                "line 4: station id must be 5–8 ASCII letters or digits, got \"5\" (is the row \
                 before it longer or shorter than it should be? each row has 5: id, longitude, \
                 latitude, altitude and 1 value)",
            ),
            (
                "more rows than announced",
                variant(&rain, "1 13", "1 12"),
                &detect,
                "line 16: expected 12 stations, but more data follows: \"F0013\"",
            ),
            (
                "a letter in a number",
                variant(&rain, "F0004 116.750 26.050", "F0004 116.750 26.O50"),
                &detect,
                "line 7: expected the latitude of station F0004 as a number, found \"26.O50\"",
            ),
            (
                "bad month",
                variant(&rain, "2025 06 17 06", "2025 13 17 06"),
                &detect,
                "line 2: month 13 is not 1–12",
            ),
            (
                "bad day",
                variant(&rain, "2025 06 17 06", "2025 02 30 06"),
                &detect,
                "line 2: 2025-02 has no day 30",
            ),
            (
                "bad hour",
                variant(&rain, "2025 06 17 06", "2025 06 17 24"),
                &detect,
                "line 2: hour 24 is not 0–23",
            ),
            (
                "three-digit year",
                variant(&rain, "2025 06 17 06", "202 06 17 06"),
                &detect,
                "line 2: year 202 has neither two nor four digits",
            ),
            (
                "wrong header",
                variant(&rain, "diamond 3 2025年", "diamand 3 2025年"),
                &type_3,
                "line 1: expected a MICAPS type 3 header \"diamond 3 <title>\", found \
                 \"diamand 3 2025年06月17日06时乡镇自动站1小时降水量(mm)_…\"",
            ),
            (
                "another type than named",
                surface.clone().into_bytes(),
                &type_3,
                "line 1: expected a MICAPS type 3 header \"diamond 3 <title>\", found \
                 \"diamond 1 25年06月17日06时地面填图_合成样例\"",
            ),
            (
                "a grid file",
                variant(&rain, "diamond 3", "diamond 4"),
                &detect,
                "line 1: a MICAPS file of type 4; only types 1 (surface plot) and 3 (station \
                 data) hold station observations",
            ),
            (
                "duplicate station",
                variant(&rain, "F0009 116.750", "F0002 116.750"),
                &detect,
                "line 12: station F0002 at 2025-06-16T22:00:00Z already appeared on line 5",
            ),
            (
                "out-of-range value",
                variant(&rain, "51.3", "-5.0"),
                &detect,
                "line 13: station F0010: PRE_1h: -5 is outside the physical range 0..=400 mm",
            ),
            (
                "bad station id",
                variant(&rain, "F0003", "F03"),
                &detect,
                "line 6: station id must be 5–8 ASCII letters or digits, got \"F03\"",
            ),
            (
                "fractional count",
                variant(&rain, "1 13", "1 13.5"),
                &detect,
                "line 3: expected the number of stations as a whole number, found \"13.5\"",
            ),
            (
                "latitude off the globe",
                variant(&rain, "F0005 116.800 26.050", "F0005 116.800 96.050"),
                &detect,
                "line 8: station F0005: latitude 96.05 is not within -90..=90°",
            ),
            (
                "title names no element",
                variant(&rain, "1小时降水量(mm)", "(mm)"),
                &detect,
                "line 1: cannot tell the element from the title \"2025年06月17日06时乡镇自动站(mm)_合成样例\"; \
                 name it (e.g. PRE_24h) when importing",
            ),
            (
                "invalid GBK bytes",
                RAIN_1H
                    .to_vec()
                    .into_iter()
                    .map(|b| if b == b'F' { 0xFF } else { b })
                    .collect(),
                &detect,
                "line 4: this line is neither UTF-8 nor GBK text (is the file text at all?)",
            ),
            (
                "type 1: a pressure that is no code",
                variant(&surface, " 52 -12 ", " 1005.2 -12 "),
                &detect,
                "line 3: station F0001: sea-level pressure code 1005.2 is not 0–999 (tenths of \
                 hPa without the leading 9 or 10)",
            ),
            (
                "type 1: short row",
                variant(&surface, " 61 ", " "),
                &detect,
                "line 3: the row of station F0001 has 23 fields; each row has 24 (26 when flags \
                 1 and 2 announce the 24 h changes)",
            ),
            (
                "type 1: flags announce fields that are not there",
                variant(&surface, "23.4 2 0 0 0", "23.4 2 0 1 2"),
                &detect,
                "line 3: station F0001: its flags (1 2) announce the 24 h changes, but its row \
                 has only 24 fields",
            ),
            (
                "type 1: truncated",
                surface_truncated.into_bytes(),
                &detect,
                "line 3: expected 2 stations, but the file ends after 1",
            ),
            (
                "type 1: out-of-range temperature",
                variant(&surface, " 23.4 ", " 73.4 "),
                &detect,
                "line 3: station F0001: TEM: 73.4 is outside the physical range -80..=60 °C",
            ),
        ];
        for (name, bytes, hint, expected) in cases {
            let error = parse(&bytes, hint).expect_err(name);
            assert_eq!(error.to_string(), expected, "{name}");
        }
    }
}
