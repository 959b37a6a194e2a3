//! The Beijing-time x axis (ticks on whole local hours, dates at midnight), the compass y
//! axis of wind direction, and hover texts.

use std::ops::RangeInclusive;

use egui_plot::{GridInput, GridMark, HoverPosition};

use super::data::{Group, time_from_axis};
use crate::console::ui::i18n;
use crate::console::ui::i18n::Language;
use crate::domain::time::BEIJING_OFFSET_SECS;

/// Tick spacings, hours; a tick's weight is the largest spacing its local hour is a multiple of.
const HOUR_STEPS: [i64; 6] = [1, 2, 3, 6, 12, 24];

/// Beijing's offset in hours.
const OFFSET_H: i64 = (BEIJING_OFFSET_SECS / 3600) as i64;

/// Grid marks on whole Beijing hours, spaced no closer than the plot allows.
#[allow(
    clippy::needless_pass_by_value,
    reason = "egui_plot's grid spacers take their input by value"
)]
pub fn time_grid(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater)
        || !lo.is_finite()
        || !hi.is_finite()
    {
        return Vec::new();
    }
    let Some(&finest) = HOUR_STEPS
        .iter()
        .find(|&&s| s as f64 >= input.base_step_size)
    else {
        return Vec::new();
    };
    let first = (lo.ceil() as i64).div_euclid(finest) * finest;
    let mut marks = Vec::new();
    let mut hour = first;
    while (hour as f64) <= hi {
        let local = hour + OFFSET_H;
        if local.rem_euclid(finest) == 0 && hour as f64 >= lo {
            let step = HOUR_STEPS
                .iter()
                .rev()
                .find(|&&s| local.rem_euclid(s) == 0)
                .copied()
                .unwrap_or(1);
            marks.push(GridMark {
                value: hour as f64,
                step_size: step as f64,
            });
        }
        hour += 1;
    }
    marks
}

/// A tick label: `HH:00`, or the date `MM-DD` at Beijing midnight.
pub fn time_label(mark: GridMark, _range: &RangeInclusive<f64>) -> String {
    let local = time_from_axis(mark.value).beijing();
    if local.format("%H").to_string() == "00" {
        local.format("%m-%d").to_string()
    } else {
        local.format("%H:00").to_string()
    }
}

/// The hour a rain bar covers, e.g. `17:00–18:00`.
pub fn hour_span(middle: f64) -> String {
    let start = time_from_axis(middle - 0.5);
    let end = time_from_axis(middle + 0.5);
    format!("{}–{}", i18n::hm(start), i18n::hm(end))
}

/// Evenly spaced marks on 1-2-5 steps, far enough apart that every mark can carry a label
/// (`egui_plot`'s default decades leave a small chart with one labelled line).
#[allow(
    clippy::needless_pass_by_value,
    reason = "egui_plot's grid spacers take their input by value"
)]
pub fn value_grid(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let step = nice_step(input.base_step_size * 3.0);
    if step.is_nan() || !lo.is_finite() || !hi.is_finite() || (hi - lo) / step > 100.0 {
        return Vec::new();
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|i| GridMark {
            value: i as f64 * step,
            step_size: step,
        })
        .collect()
}

/// A value tick's label with as many decimals as its spacing needs: `0.5` at half steps, `980`
/// at steps of ten (egui's default drops the decimals a narrow axis cannot show, so a half
/// step reads as two equal labels).
pub fn value_label(mark: GridMark, _range: &RangeInclusive<f64>) -> String {
    let decimals = if mark.step_size > 0.0 && mark.step_size < 1.0 {
        (-mark.step_size.log10()).ceil().clamp(0.0, 3.0) as usize
    } else {
        0
    };
    format!("{:.*}", decimals, mark.value)
}

/// The smallest of 1, 2, 5 × 10ⁿ that is at least `min`.
pub fn nice_step(min: f64) -> f64 {
    if !(min.is_finite() && min > 0.0) {
        return f64::NAN;
    }
    let decade = 10f64.powf(min.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&s| s >= min * (1.0 - 1e-9))
        .unwrap_or(10.0 * decade)
}

/// Marks at the compass points of a direction axis.
#[allow(
    clippy::needless_pass_by_value,
    reason = "egui_plot's grid spacers take their input by value"
)]
pub fn compass_grid(_input: GridInput) -> Vec<GridMark> {
    // North and south weigh more, so a short chart still labels them when E and W do not fit.
    (0..=4)
        .map(|i| GridMark {
            value: f64::from(i) * 90.0,
            step_size: if i % 2 == 0 { 180.0 } else { 90.0 },
        })
        .collect()
}

/// The y range a group shows for data spanning `lo..=hi`: at least a span that keeps small
/// wiggles from looking dramatic (4 °C, 4 hPa), rain and wind from zero, humidity up to 100 %.
pub fn y_span(group: Group, lo: f64, hi: f64) -> (f64, f64) {
    let widen = |lo: f64, hi: f64, span: f64| {
        let missing = (span - (hi - lo)).max(0.0) / 2.0;
        (lo - missing, hi + missing)
    };
    match group {
        Group::Temperature | Group::Pressure => widen(lo, hi, 4.0),
        Group::Humidity => (lo.min(80.0), 100.0),
        Group::Rain => (0.0, hi.max(1.0)),
        Group::WindSpeed => (0.0, hi.max(4.0)),
        Group::WindDirection => (0.0, 360.0),
    }
}

/// The hover text: series, Beijing time and value with its unit.
pub fn hover_label(position: &HoverPosition<'_>, language: Language, unit: &str) -> Option<String> {
    match position {
        HoverPosition::NearDataPoint {
            plot_name,
            position,
            ..
        } => {
            let time = i18n::hm(time_from_axis(position.x));
            let value = if unit == "°" {
                format!("{:.0}° {}", position.y, i18n::compass(language, position.y))
            } else {
                format!("{:.1} {unit}", position.y)
            };
            Some(format!("{plot_name}\n{time}  {value}"))
        }
        HoverPosition::Elsewhere { position } => Some(i18n::hm(time_from_axis(position.x))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hovered_series_is_named() {
        use crate::domain::Timestamp;
        let at = hour_axis(Timestamp::parse_rfc3339("2026-12-06T06:30:00Z").unwrap());
        let cases = [
            ("本站气压", "hPa", 1012.34, "本站气压\n14:30  1012.3 hPa"),
            ("嵩溪", "°C", 3.06, "嵩溪\n14:30  3.1 °C"),
            ("2 分钟平均风向", "°", 90.0, "2 分钟平均风向\n14:30  90° 东"),
        ];
        for (name, unit, y, label) in cases {
            let hover = HoverPosition::NearDataPoint {
                plot_name: name,
                position: egui_plot::PlotPoint::new(at, y),
                index: 0,
            };
            assert_eq!(
                hover_label(&hover, Language::Zh, unit).as_deref(),
                Some(label)
            );
        }
    }

    #[test]
    fn value_labels_show_the_decimals_their_step_needs() {
        let label = |value, step_size| value_label(GridMark { value, step_size }, &(0.0..=1.0));
        assert_eq!(label(0.5, 0.5), "0.5");
        assert_eq!(label(15.5, 0.5), "15.5");
        assert_eq!(label(0.25, 0.05), "0.25");
        assert_eq!(label(980.0, 2.0), "980");
        assert_eq!(label(-0.0, 0.2), "-0.0");
    }
    use crate::console::ui::chart::data::hour_axis;
    use crate::domain::Timestamp;

    fn x(text: &str) -> f64 {
        hour_axis(Timestamp::parse_rfc3339(text).unwrap())
    }

    #[test]
    fn nice_steps() {
        let cases = [
            (0.3, 0.5),
            (1.0, 1.0),
            (1.2, 2.0),
            (2.5, 5.0),
            (7.0, 10.0),
            (0.004, 0.005),
        ];
        for (min, step) in cases {
            assert!(
                (nice_step(min) - step).abs() < 1e-12,
                "{min} → {}",
                nice_step(min)
            );
        }
        assert!(nice_step(0.0).is_nan());
        let marks = value_grid(GridInput {
            bounds: (973.2, 977.2),
            base_step_size: 0.3,
        });
        let values: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(values, [974.0, 975.0, 976.0, 977.0]);
    }

    #[test]
    fn y_spans_keep_small_changes_small() {
        let cases = [
            (Group::Pressure, (974.8, 975.6), (973.2, 977.2)),
            (Group::Temperature, (2.0, 18.0), (2.0, 18.0)),
            (Group::Humidity, (85.0, 99.0), (80.0, 100.0)),
            (Group::Humidity, (40.0, 70.0), (40.0, 100.0)),
            (Group::Rain, (0.0, 0.0), (0.0, 1.0)),
            (Group::WindSpeed, (0.5, 9.0), (0.0, 9.0)),
        ];
        for (group, (lo, hi), (want_lo, want_hi)) in cases {
            let (got_lo, got_hi) = y_span(group, lo, hi);
            assert!(
                (got_lo - want_lo).abs() < 1e-9 && (got_hi - want_hi).abs() < 1e-9,
                "{group:?} {lo}..{hi} → {got_lo}..{got_hi}"
            );
        }
    }

    #[test]
    fn labels_are_beijing_hours_and_dates_at_midnight() {
        let cases = [
            ("2026-11-27T10:00:00Z", "18:00"),
            ("2026-11-27T16:00:00Z", "11-28"),
            ("2026-11-27T15:00:00Z", "23:00"),
        ];
        for (at, label) in cases {
            let mark = GridMark {
                value: x(at),
                step_size: 1.0,
            };
            assert_eq!(time_label(mark, &(0.0..=1.0)), label, "{at}");
        }
        assert_eq!(hour_span(x("2026-11-27T09:30:00Z")), "17:00–18:00");
    }

    #[test]
    fn grid_marks_sit_on_local_hours_and_weigh_midnight_most() {
        let lo = x("2026-11-27T09:10:00Z");
        let hi = x("2026-11-28T09:10:00Z");
        let marks = time_grid(GridInput {
            bounds: (lo, hi),
            base_step_size: 2.5,
        });
        // Every third Beijing hour: 24 h / 3 h = 8 marks.
        assert_eq!(marks.len(), 8);
        for mark in &marks {
            let local = (mark.value as i64 + OFFSET_H).rem_euclid(24);
            assert_eq!(local % 3, 0, "{mark:?}");
        }
        let midnight = x("2026-11-27T16:00:00Z");
        let at_midnight = marks.iter().find(|m| m.value == midnight).unwrap();
        assert_eq!(at_midnight.step_size, 24.0);
        assert!(
            time_grid(GridInput {
                bounds: (lo, hi),
                base_step_size: 100.0,
            })
            .is_empty()
        );
    }
}
