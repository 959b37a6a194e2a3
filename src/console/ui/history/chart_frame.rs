//! What every history chart shares: a plot with the screen's time axis, grid, legend and hover
//! text, and what dragging or the wheel did to it (so all charts of a screen pan and zoom
//! together). The charts' modules use this one; none of them uses another's.

use egui_plot::{AxisHints, ColorConflictHandling, Corner, Legend, Plot};

use super::{HistoryView, axis};
use crate::console::ui::chart::{self, time_from_axis};
use crate::console::ui::{Scene, theme};

/// What the user did to a chart this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Interaction {
    /// Dragged by this fraction of the range (positive: towards the past).
    pub pan: f64,
    /// Wheel zoom: factor and where (0–1 across the range).
    pub zoom: Option<(f64, f64)>,
}

impl Interaction {
    /// Adds what another chart saw.
    pub fn merge(&mut self, other: Self) {
        self.pan += other.pan;
        if other.zoom.is_some() {
            self.zoom = other.zoom;
        }
    }

    /// Moves the screen's range accordingly.
    pub fn apply(self, history: &mut HistoryView, scene: Scene<'_>) {
        let mut range = history.range_at(scene.now);
        if self.pan != 0.0 {
            range = range.pan(-self.pan, scene.now);
        }
        if let Some((factor, anchor)) = self.zoom {
            range = range.zoom(factor, anchor, scene.now);
        }
        if self != Self::default() {
            history.range = range;
        }
    }
}

/// The interaction a plot's response shows.
pub fn interaction(response: &egui::Response, ui: &egui::Ui) -> Interaction {
    let width = response.rect.width().max(1.0);
    let mut seen = Interaction::default();
    if response.dragged() {
        seen.pan = f64::from(response.drag_delta().x / width);
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y + i.zoom_delta().ln() * 200.0);
        if scroll.abs() > 0.1
            && let Some(pointer) = response.hover_pos()
        {
            let anchor = f64::from((pointer.x - response.rect.left()) / width);
            seen.zoom = Some(((-f64::from(scroll) / 400.0).exp(), anchor));
        }
    }
    seen
}

/// A plot with the screen's axes and behaviour and a legend on the plot, for the caller to fill
/// (rain and wind; the element charts draw their legend beside the plot).
pub fn plot<'a>(
    id: impl std::hash::Hash + std::fmt::Debug,
    scene: Scene<'_>,
    unit: &'a str,
    height: f32,
    x_axis: bool,
) -> Plot<'a> {
    plot_base(id, scene, unit, height, x_axis).legend(
        Legend::default()
            .position(Corner::LeftTop)
            .text_style(egui::TextStyle::Small)
            .background_alpha(0.85)
            .follow_insertion_order(true)
            // Raw and QC'd lines share a name; the legend shows the QC'd (drawn last).
            .color_conflict_handling(ColorConflictHandling::PickLast),
    )
}

/// A plot with the screen's axes and behaviour, without a legend (the caller draws one beside
/// it with [`crate::console::ui::chart::legend_ui`]).
pub fn plot_base<'a>(
    id: impl std::hash::Hash + std::fmt::Debug,
    scene: Scene<'_>,
    unit: &'a str,
    height: f32,
    x_axis: bool,
) -> Plot<'a> {
    let x = AxisHints::new_x()
        .formatter(axis::grid_label)
        .tick_label_font(theme::small())
        .label(if x_axis {
            scene.text.chart_time_axis
        } else {
            ""
        });
    let y = AxisHints::new_y()
        .formatter(chart::value_label)
        .tick_label_font(theme::small())
        .label(unit)
        .min_thickness(44.0);
    chart::still_plot(id, height)
        .custom_x_axes(vec![x])
        .custom_y_axes(vec![y])
        .show_axes([x_axis, true])
        .x_grid_spacer(axis::grid)
        .y_grid_spacer(chart::value_grid)
        .grid_color(theme::CHART_GRID)
        .link_cursor(egui::Id::unique("wxdesk history cursor"), [true, false])
        .label_formatter(move |pos| hover_label(pos, unit))
        .sense(egui::Sense::click_and_drag())
}

/// The hover text of a history chart: the series, the full Beijing date and time, the value.
fn hover_label(position: &egui_plot::HoverPosition<'_>, unit: &str) -> Option<String> {
    let when = |x: f64| {
        time_from_axis(x)
            .beijing()
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    match position {
        egui_plot::HoverPosition::NearDataPoint {
            plot_name,
            position,
            ..
        } => Some(format!(
            "{plot_name}\n{}  {:.1} {unit}",
            when(position.x),
            position.y
        )),
        egui_plot::HoverPosition::Elsewhere { position } => Some(when(position.x)),
    }
}
