//! MICAPS type 3 (`diamond 3`), general station data: the layout is in [`super`]'s doc.

use std::fmt;

use super::{Rows, element_from_title, header, read_time, row_head};
use crate::domain::Element;
use crate::formats::{FileFormat, FormatError, ObservationFile, Records, quoted};

/// Reads a MICAPS type 3 file whose values are `named` (empty: infer from the title).
pub(in crate::formats) fn parse_station_data(
    text: &str,
    named: &[Element],
) -> Result<ObservationFile, FormatError> {
    let (title, mut tokens) = header(text, "3")?;
    let time = read_time(&mut tokens)?;
    tokens.reading("the level")?;
    let (contours, _) = tokens.whole::<usize>("the number of contour values")?;
    tokens.skip_numbers(contours, "a contour value")?;
    tokens.reading("the smoothing factor")?;
    tokens.reading("the bold-line value")?;
    let (corners, _) = tokens.whole::<usize>("the number of clipping-polygon points")?;
    tokens.skip_numbers(corners.saturating_mul(2), "a clipping-polygon coordinate")?;
    let (value_count, count_token) = tokens.whole::<usize>("the number of values per station")?;
    let elements = value_elements(title, named, value_count, count_token.line)?;
    let (stations, _) = tokens.whole::<usize>("the number of stations")?;

    let width = [4 + elements.len()];
    let rows = Rows::new(&tokens, stations, &width, || {
        format!(
            "each row has {}: id, longitude, latitude, altitude and {}",
            width[0],
            values(elements.len())
        )
    });
    let mut records = Records::default();
    for index in 0..stations {
        rows.start(&tokens, index)?;
        let (head, id) = row_head(&mut tokens, time, &rows, index)?;
        let readings = elements
            .iter()
            .map(|&element| Ok((element, tokens.reading(ValueOf(element, id.text))?)))
            .collect::<Result<Vec<_>, FormatError>>()?;
        records.push(head, readings)?;
    }
    rows.end(&tokens)?;
    Ok(records.into_file(FileFormat::Micaps3, title))
}

/// What the value columns of a type 3 file are: the named elements, or the one its title names.
fn value_elements(
    title: &str,
    named: &[Element],
    count: usize,
    line: usize,
) -> Result<Vec<Element>, FormatError> {
    if count == 0 {
        return Err(FormatError::new(
            line,
            "the header announces no values per station: there is nothing to import",
        ));
    }
    if !named.is_empty() {
        if named.len() != count {
            return Err(FormatError::new(
                line,
                format!(
                    "the header announces {} per station, but {} elements were named",
                    values(count),
                    named.len()
                ),
            ));
        }
        if let Some(twice) = named
            .iter()
            .enumerate()
            .find_map(|(i, e)| named[..i].contains(e).then_some(e))
        {
            return Err(FormatError::new(
                line,
                format!("{twice} was named for two value columns"),
            ));
        }
        return Ok(named.to_vec());
    }
    if count > 1 {
        return Err(FormatError::new(
            line,
            format!(
                "the header announces {count} values per station; name their elements, in order"
            ),
        ));
    }
    element_from_title(title).map(|e| vec![e]).ok_or_else(|| {
        FormatError::new(
            1,
            format!(
                "cannot tell the element from the title {}; name it (e.g. PRE_24h) when importing",
                quoted(title)
            ),
        )
    })
}

/// "1 value", "2 values".
fn values(count: usize) -> String {
    if count == 1 {
        "1 value".to_owned()
    } else {
        format!("{count} values")
    }
}

/// Names a value of a station's row in messages: "the `PRE_24h` value of station 58819".
struct ValueOf<'a>(Element, &'a str);

impl fmt::Display for ValueOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} value of station {}", self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{RAIN_1H, RAIN_MAP, text, value};
    use crate::domain::Element;
    use crate::domain::geo::LatLon;
    use crate::formats::{FileFormat, ImportHint, parse};

    #[test]
    fn real_rain_map_reads_whole() {
        let file = parse(RAIN_MAP, &ImportHint::detect()).unwrap();
        assert_eq!(file.format, FileFormat::Micaps3);
        assert_eq!(file.title, "2019年05月20日08点24小时降雨量");
        // The header's station count, read independently: the line after the clip polygon.
        let header_count: usize = text(RAIN_MAP)
            .lines()
            .nth(10)
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(header_count, 1232);
        assert_eq!(file.records.len(), header_count);
        assert_eq!(file.missing_values, 0);
        let cases = [
            ("58819", 23.9),
            ("58818", 19.2),
            ("58824", 38.0),
            ("58828", 15.5),
        ];
        for (station, mm) in cases {
            assert_eq!(
                value(&file, station, Element::Pre24h),
                Some(mm),
                "{station}"
            );
        }
        let qingliu = file
            .records
            .iter()
            .find(|r| r.station.as_str() == "58819")
            .unwrap();
        assert_eq!(
            qingliu.time.to_rfc3339(),
            "2019-05-20T00:00:00Z",
            "08:00 BJT"
        );
        assert_eq!(qingliu.location, Some(LatLon::new(26.18, 116.82)));
        assert_eq!(qingliu.altitude_m, Some(336.0));
        assert_eq!(qingliu.line, 775);
        assert!(file.records.iter().all(|r| r.values.len() == 1));
    }

    #[test]
    fn synthetic_type_3_with_a_missing_value() {
        let file = parse(RAIN_1H, &ImportHint::detect()).unwrap();
        assert_eq!(file.records.len(), 13);
        assert_eq!(file.missing_values, 1);
        let f0007 = &file.records[6];
        assert_eq!(f0007.station.as_str(), "F0007");
        assert!(f0007.values.is_empty(), "9999.0 is missing, not a value");
        let cases = [
            ("F0001", Some(0.0)),
            ("F0010", Some(51.3)),
            ("F0013", Some(18.9)),
            ("F0007", None),
        ];
        for (station, mm) in cases {
            assert_eq!(value(&file, station, Element::Pre1h), mm, "{station}");
        }
        assert!(
            file.records
                .iter()
                .all(|r| r.time.to_rfc3339() == "2025-06-16T22:00:00Z")
        );
    }

    #[test]
    fn type_3_elements_named_by_the_importer() {
        let hint = ImportHint::format(FileFormat::Micaps3).with_elements([Element::Pre6h]);
        let file = parse(RAIN_1H, &hint).unwrap();
        assert_eq!(value(&file, "F0010", Element::Pre6h), Some(51.3));
        assert_eq!(value(&file, "F0010", Element::Pre1h), None);
        let too_many = ImportHint::detect().with_elements([Element::Pre1h, Element::Tem]);
        assert_eq!(
            parse(RAIN_1H, &too_many).unwrap_err().to_string(),
            "line 3: the header announces 1 value per station, but 2 elements were named"
        );

        let two = "diamond 3 任意\n2025 06 17 08 0 0 0 0 0\n2 2\n\
                   58819 116.82 26.18 336 24.6 88\n708301 116.81 25.86 394 9999 91\n";
        let hint = ImportHint::detect().with_elements([Element::Tem, Element::Rhu]);
        let file = parse(two.as_bytes(), &hint).unwrap();
        assert_eq!(value(&file, "58819", Element::Rhu), Some(88.0));
        assert_eq!(value(&file, "708301", Element::Tem), None);
        assert_eq!(file.missing_values, 1);
        let unnamed = parse(two.as_bytes(), &ImportHint::detect()).unwrap_err();
        assert_eq!(
            unnamed.to_string(),
            "line 3: the header announces 2 values per station; name their elements, in order"
        );
        let twice = ImportHint::detect().with_elements([Element::Tem, Element::Tem]);
        assert_eq!(
            parse(two.as_bytes(), &twice).unwrap_err().to_string(),
            "line 3: TEM was named for two value columns"
        );
    }
}
