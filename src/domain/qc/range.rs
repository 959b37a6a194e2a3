//! Range: a value outside its element's climatological limits for the month (Beijing time) at
//! the station's altitude. Physically impossible values never get here; ingest refuses them.

use chrono::{Datelike as _, Month};

use super::limits::{ClimateLimits, month_at};
use crate::domain::{Element, Timestamp};

/// The calendar month of `time` in Beijing, which is what a station's climatology is kept by.
pub fn beijing_month(time: Timestamp) -> Month {
    month_at(time.beijing().month0() as usize)
}

/// Whether `value` of `element` lies outside the limits for `month` at `altitude_m`. Elements
/// without limits always pass.
pub fn out_of_range(
    limits: &ClimateLimits,
    element: Element,
    month: Month,
    altitude_m: f64,
    value: f64,
) -> bool {
    limits
        .bounds(element, month, altitude_m)
        .is_some_and(|(min, max)| !(min..=max).contains(&value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qc::fixtures;

    #[test]
    fn months_are_counted_in_beijing_time() {
        let cases = [
            // 2026-01-31T16:00Z is 1 February 00:00 in Beijing.
            ("2026-01-31T15:59:00Z", Month::January),
            ("2026-01-31T16:00:00Z", Month::February),
            ("2026-07-15T06:00:00Z", Month::July),
            ("2026-12-31T16:30:00Z", Month::January),
        ];
        for (time, month) in cases {
            let t = Timestamp::parse_rfc3339(time).unwrap();
            assert_eq!(beijing_month(t), month, "{time}");
        }
    }

    #[test]
    fn flags_values_outside_the_months_limits() {
        let limits = fixtures::limits();
        let valley = 336.9;
        let summit = 1112.1;
        // (element, month, altitude, value, out of range)
        let cases = [
            // A hot July afternoon in the valley is normal; 43 °C is not Qingliu.
            (Element::Tem, Month::July, valley, 38.5, false),
            (Element::Tem, Month::July, valley, 43.0, true),
            // -8 °C in a January cold wave passes; in July it is a fault.
            (Element::Tem, Month::January, valley, -8.0, false),
            (Element::Tem, Month::July, valley, -8.0, true),
            // The summit's limits are 5 °C lower: 38 °C up there is not plausible.
            (Element::Tem, Month::July, summit, 38.0, true),
            (Element::Tem, Month::January, summit, -15.0, false),
            // Station pressure: ~975 hPa in the valley, ~890 hPa on the summit.
            (Element::Prs, Month::October, valley, 976.0, false),
            (Element::Prs, Month::October, summit, 976.0, true),
            (Element::Prs, Month::October, summit, 892.0, false),
            (Element::Prs, Month::October, valley, 892.0, true),
            // 25 mm in one minute has never fallen here; 2 mm in a summer downpour has.
            (Element::Pre, Month::June, valley, 2.0, false),
            (Element::Pre, Month::June, valley, 25.0, true),
            (Element::Rhu, Month::July, valley, 12.0, true),
            (Element::Rhu, Month::December, valley, 12.0, false),
            // No limits: passes whatever it is.
            (Element::Vis, Month::July, valley, 30.0, false),
            (Element::WinDAvg2mi, Month::July, valley, 360.0, false),
        ];
        for (element, month, altitude, value, expected) in cases {
            assert_eq!(
                out_of_range(&limits, element, month, altitude, value),
                expected,
                "{element} {month:?} at {altitude} m: {value}"
            );
        }
    }
}
