//! Chart legends drawn in their own strip above the plot, never on it: a legend inside the
//! plot hid the first day of curves under 16 station names, and parts of single curves (本站气压).
//! Shared by the live charts and the history screen's charts.

use egui::{Color32, Rect, Sense, Shape, Stroke, pos2, vec2};
use egui_plot::LineStyle;

use crate::console::ui::theme::{self, Dash, SeriesStyle};

/// How an entry's series is drawn, so its swatch looks the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A line, in its dash.
    Line,
    /// Dots (wind direction).
    Dots,
    /// Bars (rain).
    Bar,
    /// Diamonds (values quality control flagged).
    Diamond,
}

/// One series in a legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// The series' name, as the hover text names it too.
    pub name: String,
    /// Its colour and dash.
    pub style: SeriesStyle,
    /// Its kind of mark.
    pub mark: Mark,
}

impl LegendEntry {
    /// A solid line in `colour`.
    pub fn line(name: impl Into<String>, colour: Color32) -> Self {
        Self {
            name: name.into(),
            style: SeriesStyle {
                colour,
                dash: Dash::Solid,
            },
            mark: Mark::Line,
        }
    }
}

/// `egui_plot`'s stroke for a dash.
pub fn line_style(dash: Dash) -> LineStyle {
    match dash {
        Dash::Solid => LineStyle::Solid,
        Dash::Dashed => LineStyle::Dashed { length: 9.0 },
        Dash::Dotted => LineStyle::Dotted { spacing: 4.0 },
        Dash::ShortDashed => LineStyle::Dashed { length: 4.0 },
    }
}

const SWATCH: egui::Vec2 = vec2(24.0, 12.0);

/// Draws the legend as wrapped rows above the plot; returns the entry under the pointer, so
/// the chart can bring that series forward.
pub fn legend_ui(ui: &mut egui::Ui, entries: &[LegendEntry]) -> Option<usize> {
    let mut hovered = None;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 10.0;
        for (i, entry) in entries.iter().enumerate() {
            let galley =
                ui.painter()
                    .layout_no_wrap(entry.name.clone(), theme::small(), theme::INK_MUTED);
            let size = vec2(
                SWATCH.x + 4.0 + galley.size().x,
                galley.size().y.max(SWATCH.y),
            );
            let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
            let swatch =
                Rect::from_min_size(pos2(rect.left(), rect.center().y - SWATCH.y / 2.0), SWATCH);
            paint_swatch(ui.painter(), swatch, entry);
            let ink = if response.hovered() {
                theme::INK
            } else {
                theme::INK_MUTED
            };
            ui.painter().galley(
                pos2(
                    swatch.right() + 4.0,
                    rect.center().y - galley.size().y / 2.0,
                ),
                galley,
                ink,
            );
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ListItem, true, &entry.name));
            if response.hovered() {
                hovered = Some(i);
            }
        }
    });
    hovered
}

fn paint_swatch(painter: &egui::Painter, rect: Rect, entry: &LegendEntry) {
    let colour = entry.style.colour;
    let (left, right) = (
        pos2(rect.left(), rect.center().y),
        pos2(rect.right(), rect.center().y),
    );
    let stroke = Stroke::new(2.0, colour);
    match entry.mark {
        Mark::Line => match entry.style.dash {
            Dash::Solid => {
                painter.line_segment([left, right], stroke);
            }
            Dash::Dashed => {
                painter.extend(Shape::dashed_line(&[left, right], stroke, 7.0, 3.0));
            }
            Dash::ShortDashed => {
                painter.extend(Shape::dashed_line(&[left, right], stroke, 3.0, 2.5));
            }
            Dash::Dotted => {
                painter.extend(Shape::dotted_line(&[left, right], colour, 4.0, 1.2));
            }
        },
        Mark::Dots => {
            for x in [0.2, 0.5, 0.8] {
                painter.circle_filled(rect.lerp_inside(vec2(x, 0.5)), 1.8, colour);
            }
        }
        Mark::Bar => {
            painter.rect_filled(rect.shrink2(vec2(6.0, 1.0)), 0.0, colour);
        }
        Mark::Diamond => {
            let c = rect.center();
            let r = 4.0;
            painter.add(Shape::convex_polygon(
                vec![
                    c + vec2(0.0, -r),
                    c + vec2(r, 0.0),
                    c + vec2(0.0, r),
                    c + vec2(-r, 0.0),
                ],
                colour,
                Stroke::NONE,
            ));
        }
    }
}
