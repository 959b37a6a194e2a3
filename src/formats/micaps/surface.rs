//! MICAPS type 1 (`diamond 1`), surface plot data: the layout is in [`super`]'s doc.

use super::tokens::{Token, Tokens};
use super::{Field, Rows, header, read_time, row_head};
use crate::domain::Element;
use crate::formats::{FileFormat, FormatError, ObservationFile, Reading, Records};

/// The fields of a type 1 row after id, longitude, latitude and altitude, in file order, and
/// the element each one is, if any.
const SURFACE_FIELDS: [(&str, Option<(Element, Coding)>); 20] = [
    ("station level", None),
    ("total cloud amount", None),
    ("wind direction", Some((Element::WinDAvg2mi, Coding::AsIs))),
    ("wind speed", Some((Element::WinSAvg2mi, Coding::AsIs))),
    (
        "sea-level pressure",
        Some((Element::PrsSea, Coding::SeaLevelPressure)),
    ),
    ("3 h pressure change", None),
    ("past weather 1", None),
    ("past weather 2", None),
    ("6 h precipitation", Some((Element::Pre6h, Coding::AsIs))),
    ("low cloud type", None),
    ("low cloud amount", None),
    ("low cloud height", None),
    ("dew point", Some((Element::Dpt, Coding::AsIs))),
    ("visibility", Some((Element::Vis, Coding::Kilometres))),
    ("present weather", None),
    ("temperature", Some((Element::Tem, Coding::AsIs))),
    ("middle cloud type", None),
    ("high cloud type", None),
    ("flag 1", None),
    ("flag 2", None),
];

/// A type 1 row without and with the 24 h changes.
const SURFACE_WIDTHS: [usize; 2] = [24, 26];

/// How a type 1 field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    /// In the element's unit.
    AsIs,
    /// The plotted code of [`decode_sea_level_pressure`].
    SeaLevelPressure,
    /// Kilometres, for an element kept in metres.
    Kilometres,
}

impl Coding {
    fn decode(self, value: f64) -> Result<f64, String> {
        match self {
            Self::AsIs => Ok(value),
            // Whole metres: km × 1000 in binary floating point would leave 100.00000000000001.
            Self::Kilometres => Ok((value * 1000.0).round()),
            Self::SeaLevelPressure => decode_sea_level_pressure(value).ok_or_else(|| {
                format!(
                    "sea-level pressure code {value} is not 0–999 \
                     (tenths of hPa without the leading 9 or 10)"
                )
            }),
        }
    }
}

/// Decodes sea-level pressure as a surface plot writes it, in tenths of hPa without the leading
/// 9 or 10: 52 is 1005.2 hPa, 987 is 998.7 hPa. Codes below 500 are 1000.0–1049.9 hPa, the rest
/// 950.0–999.9 hPa. `None` for what cannot be a code.
pub fn decode_sea_level_pressure(code: f64) -> Option<f64> {
    // Adding before dividing keeps one rounding: (52 + 10000) / 10 is exactly the double 1005.2.
    (0.0..1000.0).contains(&code).then(|| {
        if code < 500.0 {
            (code + 10_000.0) / 10.0
        } else {
            (code + 9_000.0) / 10.0
        }
    })
}

/// Reads a MICAPS type 1 (surface plot) file.
pub(in crate::formats) fn parse_surface(text: &str) -> Result<ObservationFile, FormatError> {
    let (title, mut tokens) = header(text, "1")?;
    let time = read_time(&mut tokens)?;
    let (stations, _) = tokens.whole::<usize>("the number of stations")?;
    let rows = Rows::new(&tokens, stations, &SURFACE_WIDTHS, || {
        "each row has 24 (26 when flags 1 and 2 announce the 24 h changes)".to_owned()
    });
    let mut records = Records::default();
    for index in 0..stations {
        let fields_on_line = rows.start(&tokens, index)?;
        let (head, id) = row_head(&mut tokens, time, &rows, index)?;
        let values = surface_values(&mut tokens, id, fields_on_line)?;
        records.push(head, values)?;
    }
    rows.end(&tokens)?;
    Ok(records.into_file(FileFormat::Micaps1, title))
}

/// The rest of station `id`'s type 1 row, after its altitude: the values of its elements, in
/// their units. `fields_on_line` is the row's length when rows are one per line.
fn surface_values(
    tokens: &mut Tokens<'_>,
    id: Token<'_>,
    fields_on_line: Option<usize>,
) -> Result<Vec<(Element, Reading)>, FormatError> {
    let mut readings = [Reading {
        value: None,
        line: id.line,
    }; SURFACE_FIELDS.len()];
    for (reading, (name, _)) in readings.iter_mut().zip(SURFACE_FIELDS) {
        *reading = tokens.reading(Field(name, id.text))?;
    }
    let [.., flag_1, flag_2] = readings;
    let with_changes = flag_1.value == Some(1.0) && flag_2.value == Some(2.0);
    if let Some(fields) = fields_on_line {
        check_flags(fields, with_changes, id)?;
    }
    if with_changes {
        tokens.reading(Field("24 h temperature change", id.text))?;
        tokens.reading(Field("24 h pressure change", id.text))?;
    }
    SURFACE_FIELDS
        .iter()
        .zip(readings)
        .filter_map(|(&(_, element), reading)| element.map(|e| (e, reading)))
        .map(|((element, coding), reading)| {
            let value = reading
                .value
                .map(|v| coding.decode(v))
                .transpose()
                .map_err(|reason| {
                    FormatError::new(reading.line, format!("station {}: {reason}", id.text))
                })?;
            Ok((element, Reading { value, ..reading }))
        })
        .collect()
}

/// In a file of one row per line, the flags must agree with the row's length.
fn check_flags(fields: usize, with_changes: bool, id: Token<'_>) -> Result<(), FormatError> {
    let reason = match (fields, with_changes) {
        (24, true) => "its flags (1 2) announce the 24 h changes, but its row has only 24 fields",
        (26, false) => {
            "its row has 26 fields, but its flags do not announce the 24 h changes \
             (flag 1 = 1 and flag 2 = 2)"
        }
        _ => return Ok(()),
    };
    Err(FormatError::new(
        id.line,
        format!("station {}: {reason}", id.text),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{SURFACE, text, value};
    use super::*;
    use crate::formats::{ImportHint, parse};

    #[test]
    fn synthetic_surface_plot() {
        let file = parse(SURFACE, &ImportHint::detect()).unwrap();
        assert_eq!(file.format, FileFormat::Micaps1);
        assert_eq!(file.records.len(), 2);
        assert_eq!(file.records[0].time.to_rfc3339(), "2025-06-16T22:00:00Z");
        let f0001 = [
            (Element::WinDAvg2mi, 135.0),
            (Element::WinSAvg2mi, 4.0),
            (Element::PrsSea, 1005.2),
            (Element::Pre6h, 12.5),
            (Element::Dpt, 22.1),
            (Element::Vis, 8000.0),
            (Element::Tem, 23.4),
        ];
        assert_eq!(file.records[0].values, f0001.into_iter().collect());
        assert_eq!(
            value(&file, "F0002", Element::PrsSea),
            None,
            "9999: missing"
        );
        assert_eq!(value(&file, "F0002", Element::Vis), Some(4000.0));
        assert_eq!(file.records[1].altitude_m, Some(325.0));
        // Only F0002's pressure counts: its missing 3 h change and cloud types are no elements.
        assert_eq!(file.missing_values, 1);
    }

    #[test]
    fn sea_level_pressure_codes() {
        let cases = [
            (52.0, Some(1005.2)),
            (987.0, Some(998.7)),
            (0.0, Some(1000.0)),
            (499.0, Some(1049.9)),
            (500.0, Some(950.0)),
            (999.0, Some(999.9)),
            (1000.0, None),
            (-1.0, None),
        ];
        for (code, hpa) in cases {
            assert_eq!(decode_sea_level_pressure(code), hpa, "{code}");
        }
    }

    #[test]
    fn surface_rows_with_24_hour_changes() {
        let base = text(SURFACE);
        let one_per_line = base.replacen("23.4 2 0 0 0", "23.4 2 0 1 2 -1.5 3", 1);
        let wrapped = one_per_line.replacen(" 12.5 ", "\n12.5\n", 1);
        for text in [one_per_line, wrapped] {
            let file = parse(text.as_bytes(), &ImportHint::detect()).unwrap();
            assert_eq!(file.records.len(), 2, "{text}");
            assert_eq!(value(&file, "F0001", Element::Tem), Some(23.4));
            assert_eq!(value(&file, "F0002", Element::Tem), Some(23.8));
        }
    }
}
