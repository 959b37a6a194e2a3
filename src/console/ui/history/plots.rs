//! The history charts: one station's elements stacked on a shared time axis, or one element
//! across stations in one chart. Raw values, QC'd values or both; gaps shaded by cause; values
//! QC flagged marked. Dragging pans and the wheel zooms every chart together.

use egui::RichText;
use egui_plot::{Line, MarkerShape, PlotPoints, Points, Span};

use super::chart_frame::{Interaction, interaction, plot_base};
use super::series::{SeriesGeometry, Trace};
use super::text::{self, HistoryText};
use super::{HistoryView, Shown, TimeRange, rain};
use crate::console::ui::chart::{self, hour_axis, time_from_axis};
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::Element;
use crate::domain::history::{GapCause, SeriesView, Which};
use crate::domain::qc::QcFlags;

/// A chart of [`super::Mode::Elements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    /// Air, dew-point and ground temperature.
    Temperature,
    /// Relative humidity.
    Humidity,
    /// Rain (bars from the rain report).
    Rain,
    /// Station pressure.
    Pressure,
    /// Mean wind and gust.
    WindSpeed,
    /// Wind direction.
    WindDirection,
    /// Visibility.
    Visibility,
}

impl Panel {
    /// Every panel, top to bottom.
    pub const ALL: [Self; 7] = [
        Self::Temperature,
        Self::Humidity,
        Self::Rain,
        Self::Pressure,
        Self::WindSpeed,
        Self::WindDirection,
        Self::Visibility,
    ];

    /// Shown at first.
    pub const DEFAULT: [bool; 7] = [true, true, true, true, true, false, false];

    /// Position in [`Panel::ALL`].
    pub fn index(panel: Self) -> usize {
        Self::ALL.iter().position(|&p| p == panel).unwrap_or(0)
    }

    /// The elements drawn as lines (rain has none: it draws the rain report).
    pub const fn elements(self) -> &'static [Element] {
        match self {
            Self::Temperature => &[Element::Tem, Element::Dpt, Element::Gst],
            Self::Humidity => &[Element::Rhu],
            Self::Rain => &[],
            Self::Pressure => &[Element::Prs],
            Self::WindSpeed => &[Element::WinSAvg2mi, Element::WinSInstMax],
            Self::WindDirection => &[Element::WinDAvg2mi],
            Self::Visibility => &[Element::Vis],
        }
    }

    fn title(self, scene: Scene<'_>, t: &HistoryText) -> &'static str {
        let s = scene.text;
        match self {
            Self::Temperature => s.chart_temperature,
            Self::Humidity => s.chart_humidity,
            Self::Rain => s.chart_rain,
            Self::Pressure => s.chart_pressure,
            Self::WindSpeed => s.chart_wind_speed,
            Self::WindDirection => s.chart_wind_direction,
            Self::Visibility => t.group_visibility,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Self::Temperature => "°C",
            Self::Humidity => "%",
            Self::Rain => "mm",
            Self::Pressure => "hPa",
            Self::WindSpeed => "m/s",
            Self::WindDirection => "°",
            Self::Visibility => "m",
        }
    }
}

/// One line of a chart: whose, and what it draws.
struct Curve<'a> {
    name: String,
    style: theme::SeriesStyle,
    geometry: &'a SeriesGeometry,
    dots: bool,
}

/// The elements of the selected station, stacked.
pub fn elements_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    history: &mut HistoryView,
    t: &HistoryText,
) {
    ui.horizontal_wrapped(|ui| {
        for (shown, panel) in history.panels.iter_mut().zip(Panel::ALL) {
            ui.toggle_value(shown, panel.title(scene, t));
        }
    });
    let panels: Vec<Panel> = Panel::ALL
        .into_iter()
        .zip(history.panels)
        .filter_map(|(p, on)| on.then_some(p))
        .collect();
    let answered = history.answered(scene);
    let range = history.range_at(scene.now);
    let shown = history.shown;
    let views = views_answered(scene);
    history.prepare(scene);
    let geometry = history.geometry();
    let status = status_line(scene, t, &views, shown);
    status_ui(ui, &status, answered, t);
    if panels.is_empty() {
        return;
    }
    let spacing = ui.spacing().item_spacing.y;
    let x_axis = 30.0;
    let height = ((ui.available_height() - x_axis - spacing * panels.len() as f32)
        / panels.len() as f32)
        .max(70.0);
    let mut interaction = Interaction::default();
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (i, &panel) in panels.iter().enumerate() {
                let last = i + 1 == panels.len();
                let h = if last { height + x_axis } else { height };
                if panel == Panel::Rain {
                    let report = scene.state.history.rain.as_ref().map(|a| &a.value);
                    interaction.merge(rain::bars_plot_ui(ui, scene, report, range, &[], h, last));
                    continue;
                }
                let curves: Vec<Curve<'_>> = panel
                    .elements()
                    .iter()
                    .filter_map(|&element| {
                        let at = views.iter().position(|v| v.request.element == element)?;
                        Some(Curve {
                            name: i18n::element_name(scene.language, element).to_owned(),
                            style: theme::SeriesStyle {
                                colour: theme::series_colour(element),
                                dash: theme::Dash::Solid,
                            },
                            geometry: geometry.get(at)?,
                            dots: element == Element::WinDAvg2mi,
                        })
                    })
                    .collect();
                let id = ("history", panel as usize);
                interaction.merge(chart_ui(
                    ui,
                    scene,
                    t,
                    id,
                    &curves,
                    panel.unit(),
                    range,
                    shown,
                    h,
                    last,
                ));
            }
        });
    interaction.apply(history, scene);
}

/// One element across the chosen stations.
pub fn compare_ui(ui: &mut egui::Ui, scene: Scene<'_>, history: &mut HistoryView, t: &HistoryText) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(RichText::new(t.element).color(theme::INK_MUTED));
        egui::ComboBox::from_id_salt("compare element")
            .selected_text(i18n::element_name(scene.language, history.compare_element))
            .show_ui(ui, |ui| {
                for element in Element::ALL {
                    ui.selectable_value(
                        &mut history.compare_element,
                        element,
                        i18n::element_name(scene.language, element),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        ui.separator();
        ui.label(RichText::new(t.compare_choose).color(theme::INK_MUTED));
        if ui.small_button(t.compare_all).clicked() {
            history.compare = scene
                .state
                .network
                .stations
                .iter()
                .map(|s| s.id.clone())
                .collect();
        }
        if ui.small_button(t.compare_none).clicked() {
            history.compare.clear();
        }
    });
    ui.horizontal_wrapped(|ui| {
        for station in scene.state.network.stations_in_township_order() {
            let mut on = history.compare.contains(&station.id);
            if ui
                .toggle_value(&mut on, i18n::station_name(scene.language, station))
                .changed()
            {
                if on {
                    history.compare.insert(station.id.clone());
                } else {
                    history.compare.remove(&station.id);
                }
            }
        }
    });
    if history.compare.is_empty() {
        super::empty_ui(ui, t.compare_none_chosen);
        return;
    }
    let answered = history.answered(scene);
    let range = history.range_at(scene.now);
    let shown = history.shown;
    let views = views_answered(scene);
    history.prepare(scene);
    let geometry = history.geometry();
    status_ui(ui, &status_line(scene, t, &views, shown), answered, t);
    let element = history.compare_element;
    let curves: Vec<Curve<'_>> = views
        .iter()
        .zip(geometry)
        .filter(|(v, _)| {
            v.request.element == element && history.compare.contains(&v.request.station)
        })
        .enumerate()
        .map(|(i, (v, g))| Curve {
            name: scene.state.network.station(&v.request.station).map_or_else(
                || v.request.station.to_string(),
                |s| i18n::station_name(scene.language, s).to_owned(),
            ),
            style: theme::comparison_style(i),
            geometry: g,
            dots: element == Element::WinDAvg2mi,
        })
        .collect();
    let height = ui.available_height().max(120.0);
    let interaction = chart_ui(
        ui,
        scene,
        t,
        ("compare", 0),
        &curves,
        element.unit(),
        range,
        shown,
        height,
        true,
    );
    interaction.apply(history, scene);
}

/// The views of the newest answer.
fn views_answered<'s>(scene: Scene<'s>) -> Vec<&'s SeriesView> {
    scene
        .state
        .history
        .views
        .as_ref()
        .map(|a| a.value.iter().collect())
        .unwrap_or_default()
}

#[allow(
    clippy::too_many_arguments,
    reason = "one chart's whole description, drawn once"
)]
fn chart_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    t: &HistoryText,
    id: impl std::hash::Hash + std::fmt::Debug,
    curves: &[Curve<'_>],
    unit: &str,
    range: TimeRange,
    shown: Shown,
    height: f32,
    x_axis: bool,
) -> Interaction {
    let which = if shown == Shown::Raw {
        Which::All
    } else {
        Which::Passed
    };
    let y_range = curves
        .iter()
        .filter_map(|c| c.geometry.trace(Which::All).y_range)
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    // The legend above the plot, never on its curves.
    let mut entries: Vec<chart::LegendEntry> = curves
        .iter()
        .map(|c| chart::LegendEntry {
            name: c.name.clone(),
            style: c.style,
            mark: if c.dots {
                chart::Mark::Dots
            } else {
                chart::Mark::Line
            },
        })
        .collect();
    if shown != Shown::Qcd && curves.iter().any(|c| !c.geometry.flagged.is_empty()) {
        entries.push(chart::LegendEntry {
            mark: chart::Mark::Diamond,
            ..chart::LegendEntry::line(t.legend_flagged, theme::QC_FLAGGED)
        });
    }
    let top = ui.cursor().top();
    let hovered = chart::legend_ui(ui, &entries);
    // The legend's rows come out of the chart's height, so the chart still fits.
    let height = (height - (ui.cursor().top() - top)).max(60.0);
    let mut plot = plot_base(id, scene, unit, height, x_axis);
    if let Some((lo, hi)) = y_range {
        let pad = ((hi - lo) * 0.08).max(0.5);
        plot = plot.include_y(lo - pad).include_y(hi + pad);
    }
    let x_range = hour_axis(range.from)..=hour_axis(range.to);
    let response = plot.show(ui, |plot_ui| {
        plot_ui.set_plot_bounds_x(x_range);
        // Gaps first, under the lines: only those of the first curve (one station's clock).
        if let Some(first) = curves.first() {
            for gap in first.geometry.gaps(which) {
                plot_ui.add(
                    Span::new("", gap.from..=gap.to)
                        .fill(theme::gap_fill(gap.cause))
                        .border_width(0.0),
                );
            }
        }
        for (i, curve) in curves.iter().enumerate() {
            let strong = curve.style.colour;
            let highlight = hovered == Some(i);
            let traces: Vec<(&Trace, egui::Color32, f32)> = match shown {
                Shown::Raw => vec![(curve.geometry.trace(Which::All), strong, 1.5)],
                Shown::Qcd => vec![(curve.geometry.trace(Which::Passed), strong, 1.5)],
                // Nothing flagged: raw and QC'd are the same line; draw it once.
                Shown::Both if curve.geometry.identical => {
                    vec![(curve.geometry.trace(Which::Passed), strong, 1.5)]
                }
                Shown::Both => vec![
                    (curve.geometry.trace(Which::All), theme::faded(strong), 1.0),
                    (curve.geometry.trace(Which::Passed), strong, 1.5),
                ],
            };
            for (trace, colour, width) in traces {
                for segment in &trace.segments {
                    if curve.dots {
                        plot_ui.points(
                            Points::new(curve.name.clone(), PlotPoints::Borrowed(segment))
                                .color(colour)
                                .radius(1.4)
                                .highlight(highlight),
                        );
                    } else {
                        plot_ui.line(
                            Line::new(curve.name.clone(), PlotPoints::Borrowed(segment))
                                .color(colour)
                                .style(chart::line_style(curve.style.dash))
                                .width(width)
                                .highlight(highlight),
                        );
                    }
                }
            }
            if shown != Shown::Qcd && !curve.geometry.flagged.is_empty() {
                plot_ui.points(
                    Points::new(
                        t.legend_flagged,
                        PlotPoints::Borrowed(&curve.geometry.flagged),
                    )
                    .shape(MarkerShape::Diamond)
                    .color(theme::QC_FLAGGED)
                    .radius(3.0),
                );
            }
        }
    });
    let hover_gap = curves.first().and_then(|c| {
        let pointer = response.response.hover_pos()?;
        let x = response.transform.value_from_position(pointer).x;
        c.geometry
            .gaps(which)
            .iter()
            .find(|g| g.from <= x && x <= g.to)
            .copied()
    });
    let hover_flag = curves.iter().find_map(|c| {
        let pointer = response.response.hover_pos()?;
        c.geometry
            .flagged
            .iter()
            .zip(&c.geometry.flagged_tests)
            .find(|(p, _)| response.transform.position_from_point(p).distance(pointer) < 8.0)
            .map(|(p, tests)| (c, *p, *tests))
    });
    if let Some((curve, point, tests)) = hover_flag {
        let names: Vec<&str> = tests
            .tests()
            .map(|test| text::qc_test(scene.language, test))
            .collect();
        response.response.clone().on_hover_text(format!(
            "{} · {}\n{:.1} {unit} · {}\n{}{}{}",
            curve.name,
            t.legend_flagged,
            point.y,
            time_from_axis(point.x).beijing().format("%Y-%m-%d %H:%M"),
            t.flagged_by,
            i18n::colon(scene.language),
            names.join("、")
        ));
    } else if let Some(gap) = hover_gap {
        response.response.clone().on_hover_text(format!(
            "{}{}{} · {}",
            t.gaps,
            i18n::colon(scene.language),
            text::cause(scene.language, gap.cause),
            text::rough_duration(scene.language, gap.duration_ms)
        ));
    }
    interaction(&response.response, ui)
}

/// What the status line says of the charts' views together: resolution, completeness, gaps by
/// cause, values QC flagged, and whether late or imported values are among them.
pub fn status_line(
    scene: Scene<'_>,
    t: &HistoryText,
    views: &[&SeriesView],
    shown: Shown,
) -> String {
    let language = scene.language;
    let Some(first) = views.first() else {
        return String::new();
    };
    let which = if shown == Shown::Raw {
        Which::All
    } else {
        Which::Passed
    };
    // A series with no value at all in the range is not measured there: name it, but do not
    // count it as one long gap.
    let (measured, unmeasured): (Vec<&SeriesView>, Vec<&SeriesView>) = views
        .iter()
        .partition(|v| v.view.total(Which::All).is_some());
    let coverages: Vec<_> = measured.iter().map(|v| v.coverage(which)).collect();
    let (values, expected) = coverages.iter().fold((0, 0), |(v, e), c| {
        (v + c.completeness.values, e + c.completeness.expected)
    });
    let ratio = if expected == 0 {
        1.0
    } else {
        values as f64 / expected as f64
    };
    let interval = first.coverage(which).completeness.interval_ms;
    let mut parts = vec![
        format!(
            "{}{}{}",
            t.resolution,
            i18n::colon(language),
            text::resolution(language, first.view.level, first.view.bucket_ms)
        ),
        format!(
            "{}{}{}",
            t.complete,
            i18n::colon(language),
            text::completeness(language, ratio, interval)
        ),
    ];
    let gaps: Vec<_> = coverages.iter().flat_map(|c| c.gaps.iter()).collect();
    let causes = [
        Some(GapCause::StationOffline),
        Some(GapCause::NoData),
        Some(GapCause::QcRejected),
        Some(GapCause::Maintenance),
        None,
    ];
    let counted: Vec<String> = causes
        .iter()
        .filter_map(|&cause| {
            let n = gaps.iter().filter(|g| g.cause == cause).count();
            (n > 0).then(|| format!("{} {n}", text::cause(language, cause)))
        })
        .collect();
    parts.push(if gaps.is_empty() {
        format!("{}{}{}", t.gaps, i18n::colon(language), t.no_gaps)
    } else {
        format!("{} {}（{}）", t.gaps, gaps.len(), counted.join("，"))
    });
    let flagged: u32 = views.iter().map(|v| v.view.flagged()).sum();
    let tests = views
        .iter()
        .fold(QcFlags::PASSED, |t, v| t.union(v.view.tests()));
    let named: Vec<&str> = tests
        .tests()
        .map(|test| text::qc_test(language, test))
        .collect();
    parts.push(format!(
        "{}{}{}",
        t.flagged,
        i18n::colon(language),
        if flagged == 0 {
            t.none.to_owned()
        } else {
            format!("{flagged}（{}）", named.join("、"))
        }
    ));
    let late = views.iter().any(|v| {
        v.view
            .total(Which::All)
            .is_some_and(|s| s.sources.has_late_or_imported())
    });
    if late {
        parts.push(format!(
            "{}{}{}",
            t.provenance,
            i18n::colon(language),
            t.source_late
        ));
    }
    if !unmeasured.is_empty() {
        let names: Vec<&str> = unmeasured
            .iter()
            .map(|v| i18n::element_name(language, v.request.element))
            .collect();
        parts.push(format!(
            "{}{}{}",
            t.unmeasured,
            i18n::colon(language),
            names.join("、")
        ));
    }
    parts.join(" · ")
}

fn status_ui(ui: &mut egui::Ui, status: &str, answered: bool, t: &HistoryText) {
    ui.horizontal_wrapped(|ui| {
        // Words, not a spinner: an animation would repaint every frame while waiting.
        if !answered {
            ui.label(RichText::new(t.reading).color(theme::STATUS_PENDING));
        }
        ui.label(
            RichText::new(status)
                .color(theme::INK_MUTED)
                .size(theme::SMALL_SIZE),
        );
    });
}
