//! The history screen (观测分析): any station's record at any range, from an hour to years,
//! raw and quality-controlled, with gaps shaded and explained; comparisons across stations;
//! rain with CMA daily totals; wind roses; today's extremes and the township table; exports,
//! imports and maintenance records.
//!
//! The screen never reads the cache itself: it asks the history service for what its range
//! and selection need (once per change, tagged with a ticket), draws the newest answer, and
//! asks again when the data under it changed. Every chart draws a bounded number of points
//! however long the range.

mod axis;
mod chart_frame;
pub mod export;
mod held;
mod plots;
mod rain;
mod range;
mod series;
mod tables;
pub mod text;
mod tools;
mod wind;

use std::collections::BTreeSet;

use egui::RichText;

use super::{Scene, ViewState, theme};
use crate::console::messages::{Command, HistoryCommand};
use crate::console::ui::i18n;
use crate::domain::history::ViewRequest;
use crate::domain::time::MINUTE_MS;
use crate::domain::{Element, Network, StationId, Timestamp};

pub use plots::Panel;
pub use range::{Preset, TimeRange};
pub use series::SeriesGeometry;
use text::HistoryText;

/// What the screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One station, several elements stacked.
    Elements,
    /// One element, several stations in one chart.
    Stations,
    /// Rain: bars, accumulations, CMA daily totals.
    Rain,
    /// Wind: rose and mean arrows.
    Wind,
    /// Today's extremes and the township table.
    Summary,
}

impl Mode {
    /// Every mode, as the toolbar lists them.
    pub const ALL: [Self; 5] = [
        Self::Elements,
        Self::Stations,
        Self::Rain,
        Self::Wind,
        Self::Summary,
    ];

    fn label(self, t: &HistoryText) -> &'static str {
        match self {
            Self::Elements => t.mode_elements,
            Self::Stations => t.mode_stations,
            Self::Rain => t.mode_rain,
            Self::Wind => t.mode_wind,
            Self::Summary => t.mode_summary,
        }
    }
}

/// Which values the charts draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Every value received.
    Raw,
    /// Only values that passed QC.
    Qcd,
    /// Both, the QC'd over the raw.
    Both,
}

/// A request sent, and the data generation it saw.
#[derive(Debug, Clone, PartialEq)]
struct Sent<K> {
    ticket: u64,
    key: K,
    generation: u64,
}

/// What the screen remembers between frames.
#[derive(Debug, Clone)]
pub struct HistoryView {
    /// What is shown.
    pub mode: Mode,
    /// The range.
    pub range: TimeRange,
    /// Raw, QC'd or both.
    pub shown: Shown,
    /// The panels of [`Mode::Elements`], in [`Panel::ALL`] order.
    pub panels: [bool; Panel::ALL.len()],
    /// The element of [`Mode::Stations`].
    pub compare_element: Element,
    /// Rolling rain totals drawn over the bars: 1, 3, 6, 12, 24 h.
    pub rolling: [bool; 5],
    /// The stations of [`Mode::Stations`].
    pub compare: BTreeSet<StationId>,
    /// The station selected in the list (the one of every mode but [`Mode::Stations`]).
    pub station: Option<StationId>,
    /// Chart width in pixels: how many buckets a view needs.
    columns: usize,
    next_ticket: u64,
    views_sent: Option<Sent<Vec<ViewRequest>>>,
    rain_sent: Option<Sent<(StationId, Timestamp, Timestamp)>>,
    wind_sent: Option<Sent<(StationId, Timestamp, Timestamp)>>,
    summaries_sent: Option<Sent<Timestamp>>,
    prepared: Option<(u64, Vec<SeriesGeometry>)>,
    /// The import and maintenance windows, and exports.
    pub tools: tools::ToolsView,
}

impl Default for HistoryView {
    fn default() -> Self {
        Self {
            mode: Mode::Elements,
            range: TimeRange::last(Preset::Week.span_ms(), Timestamp(0)),
            shown: Shown::Both,
            panels: Panel::DEFAULT,
            compare_element: Element::Tem,
            rolling: [false, false, false, false, true],
            compare: BTreeSet::new(),
            station: None,
            columns: 800,
            next_ticket: 1,
            views_sent: None,
            rain_sent: None,
            wind_sent: None,
            summaries_sent: None,
            prepared: None,
            tools: tools::ToolsView::default(),
        }
    }
}

impl HistoryView {
    fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }

    /// The range as of `now` (a live range ends at the current minute, so requests change
    /// once a minute, not every frame).
    pub fn range_at(&self, now: Timestamp) -> TimeRange {
        self.range.at(now.floor(MINUTE_MS))
    }

    /// The views the current mode needs.
    pub fn wanted_views(
        &self,
        selected: Option<&StationId>,
        network: &Network,
        now: Timestamp,
    ) -> Vec<ViewRequest> {
        let range = self.range_at(now);
        let request = |station: &StationId, element| ViewRequest {
            station: station.clone(),
            element,
            from: range.from,
            to: range.to,
            columns: self.columns,
        };
        match self.mode {
            Mode::Elements => selected.map_or_else(Vec::new, |station| {
                Panel::ALL
                    .iter()
                    .zip(self.panels)
                    .filter(|&(_, shown)| shown)
                    .flat_map(|(panel, _)| panel.elements().iter())
                    .map(|&e| request(station, e))
                    .collect()
            }),
            Mode::Stations => compared_in_list_order(&self.compare, network)
                .into_iter()
                .map(|s| request(s, self.compare_element))
                .collect(),
            Mode::Wind => selected.map_or_else(Vec::new, |station| {
                vec![
                    request(station, Element::WinSAvg2mi),
                    request(station, Element::WinSInstMax),
                ]
            }),
            Mode::Rain | Mode::Summary => Vec::new(),
        }
    }

    /// The rolling rain totals switched on, hours.
    pub fn rolling_windows(&self) -> Vec<u32> {
        crate::domain::stats::STANDARD_WINDOWS_H
            .into_iter()
            .zip(self.rolling)
            .filter_map(|(h, on)| on.then_some(h))
            .collect()
    }

    /// Whether the rain panel or screen is on.
    fn wants_rain(&self) -> bool {
        self.mode == Mode::Rain
            || (self.mode == Mode::Elements && self.panels[Panel::index(Panel::Rain)])
    }

    /// Sends what the screen needs and has not asked for (or whose data changed since).
    fn request(
        &mut self,
        scene: Scene<'_>,
        selected: Option<&StationId>,
        commands: &mut Vec<Command>,
    ) {
        let state = scene.state;
        let generation = state.data_generation;
        let range = self.range_at(scene.now);
        let stale = |sent_generation: u64, stations: &[&StationId]| {
            stations
                .iter()
                .any(|s| state.history_changed(sent_generation, s, range.from, range.to))
        };

        let views = self.wanted_views(selected, &state.network, scene.now);
        let resend = match &self.views_sent {
            Some(sent) if sent.key == views => {
                let stations: Vec<&StationId> = views.iter().map(|r| &r.station).collect();
                stale(sent.generation, &stations)
            }
            _ => !views.is_empty(),
        };
        if resend {
            let ticket = self.ticket();
            commands.push(Command::History(HistoryCommand::Views {
                ticket,
                requests: views.clone(),
            }));
            self.views_sent = Some(Sent {
                ticket,
                key: views,
                generation,
            });
        }

        if let (true, Some(station)) = (self.wants_rain(), selected) {
            let key = (station.clone(), range.from, range.to);
            let resend = self
                .rain_sent
                .as_ref()
                .is_none_or(|sent| sent.key != key || stale(sent.generation, &[station]));
            if resend {
                let ticket = self.ticket();
                commands.push(Command::History(HistoryCommand::Rain {
                    ticket,
                    station: station.clone(),
                    from: range.from,
                    to: range.to,
                }));
                self.rain_sent = Some(Sent {
                    ticket,
                    key,
                    generation,
                });
            }
        }
        if let (Mode::Wind, Some(station)) = (self.mode, selected) {
            let key = (station.clone(), range.from, range.to);
            let resend = self
                .wind_sent
                .as_ref()
                .is_none_or(|sent| sent.key != key || stale(sent.generation, &[station]));
            if resend {
                let ticket = self.ticket();
                commands.push(Command::History(HistoryCommand::Wind {
                    ticket,
                    station: station.clone(),
                    from: range.from,
                    to: range.to,
                    arrows: wind::ARROWS,
                }));
                self.wind_sent = Some(Sent {
                    ticket,
                    key,
                    generation,
                });
            }
        }
        if self.mode == Mode::Summary {
            let minute = scene.now.floor(MINUTE_MS);
            let resend = self
                .summaries_sent
                .as_ref()
                .is_none_or(|sent| sent.generation != generation || sent.key != minute);
            if resend {
                let ticket = self.ticket();
                commands.push(Command::History(HistoryCommand::Summaries { ticket }));
                self.summaries_sent = Some(Sent {
                    ticket,
                    key: minute,
                    generation,
                });
            }
        }
    }

    /// Prepares the geometry of the newest views answered, once per answer.
    fn prepare(&mut self, scene: Scene<'_>) {
        let Some(answer) = scene.state.history.views.as_ref() else {
            return;
        };
        if self
            .prepared
            .as_ref()
            .is_none_or(|(t, _)| *t != answer.ticket)
        {
            let geometry = answer.value.iter().map(SeriesGeometry::of).collect();
            self.prepared = Some((answer.ticket, geometry));
        }
    }

    /// The prepared geometry, one per view of the newest answer.
    fn geometry(&self) -> &[SeriesGeometry] {
        self.prepared.as_ref().map_or(&[], |(_, g)| g.as_slice())
    }

    /// Points the charts draw from the newest answer (both traces of every series): what a
    /// frame costs, bounded by the charts' width whatever the range.
    pub fn drawn_points(&self) -> usize {
        self.geometry()
            .iter()
            .map(|g| {
                let raw = if g.identical { 0 } else { g.raw.points() };
                raw + g.passed.points() + g.flagged.len()
            })
            .sum()
    }

    /// Chart width in pixels, as views are requested.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Whether the newest answer is for what is on screen now.
    fn answered(&self, scene: Scene<'_>) -> bool {
        match (&self.views_sent, &scene.state.history.views) {
            (Some(sent), Some(answer)) => answer.ticket >= sent.ticket,
            (None, _) => true,
            (Some(_), None) => false,
        }
    }
}

/// Draws the history screen in the space beside the station list.
pub fn history_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let selected = view.selected.clone();
    let history = &mut view.history;
    history.station.clone_from(&selected);
    if history.compare.is_empty()
        && let Some(station) = &selected
    {
        history.compare.insert(station.clone());
    }
    toolbar_ui(ui, scene, history, t, commands);
    tools::notice_ui(ui, scene, history, t, commands);
    held::held_ui(ui, scene);
    ui.separator();
    // Charts get as many buckets as they have pixels (a little less: axes and margins).
    let width_px = (ui.available_width() - 60.0).max(100.0) * ui.ctx().pixels_per_point();
    history.columns = (width_px as usize).clamp(100, 2000);

    let station = selected
        .as_ref()
        .and_then(|id| scene.state.network.station(id));
    match history.mode {
        Mode::Summary => tables::summary_ui(ui, scene, t),
        Mode::Stations => plots::compare_ui(ui, scene, history, t),
        _ if station.is_none() => empty_ui(ui, t.no_station),
        Mode::Elements => plots::elements_ui(ui, scene, history, t),
        Mode::Rain => rain::rain_ui(ui, scene, history, t),
        Mode::Wind => wind::wind_ui(ui, scene, history, t),
    }
    history.request(scene, selected.as_ref(), commands);
    tools::windows_ui(ui.ctx(), scene, view, commands);
}

/// The compared stations in the station list's order (township by township), so the chips,
/// the legend and the exported file list them as the list does.
fn compared_in_list_order<'a>(
    compare: &'a BTreeSet<StationId>,
    network: &Network,
) -> Vec<&'a StationId> {
    let order: Vec<&StationId> = network
        .stations_in_township_order()
        .into_iter()
        .map(|s| &s.id)
        .collect();
    let mut stations: Vec<&StationId> = compare.iter().collect();
    stations.sort_by_key(|id| order.iter().position(|o| o == id).unwrap_or(usize::MAX));
    stations
}

/// The station a screen shows, as its title: `清流（58819）`, `Qingliu (58819)`.
fn station_title(scene: Scene<'_>, id: &StationId) -> String {
    let name = export::station_name(&scene.state.network, scene.language, id);
    match scene.language {
        i18n::Language::Zh => format!("{name}（{id}）"),
        i18n::Language::En => format!("{name} ({id})"),
    }
}

fn empty_ui(ui: &mut egui::Ui, message: &str) {
    ui.add_space(ui.available_height() / 3.0);
    ui.vertical_centered(|ui| {
        ui.label(
            RichText::new(message)
                .color(theme::INK_MUTED)
                .size(theme::BODY_SIZE + 1.0),
        );
    });
}

fn toolbar_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    history: &mut HistoryView,
    t: &HistoryText,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        for mode in Mode::ALL {
            if ui
                .selectable_label(history.mode == mode, mode.label(t))
                .clicked()
            {
                history.mode = mode;
            }
        }
        ui.separator();
        tools::buttons_ui(ui, scene, history, t, commands);
    });
    if history.mode == Mode::Summary {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let now = scene.now;
        let current = history.range_at(now);
        for preset in Preset::ALL {
            if ui
                .selectable_label(current.preset() == Some(preset), preset_label(t, preset))
                .clicked()
            {
                history.range = TimeRange::last(preset.span_ms(), now);
            }
        }
        ui.separator();
        if ui.button(t.earlier).clicked() {
            history.range = current.pan(-0.5, now);
        }
        if ui.button(t.later).clicked() {
            history.range = current.pan(0.5, now);
        }
        if ui
            .add_enabled(!current.live, egui::Button::new(t.to_now))
            .clicked()
        {
            history.range = TimeRange::last(current.span_ms(), now);
        }
        if ui.button(t.zoom_in).clicked() {
            history.range = current.zoom(0.5, if current.live { 1.0 } else { 0.5 }, now);
        }
        if ui.button(t.zoom_out).clicked() {
            history.range = current.zoom(2.0, if current.live { 1.0 } else { 0.5 }, now);
        }
        ui.separator();
        // Raw, QC'd and both wrap as one group: "Both" alone on a row reads as a stray word.
        // A group is placed before its size is known, so start a row when it did not fit last
        // frame: otherwise it runs past the panel and widens everything under it.
        let group = egui::Id::unique("wxdesk history shown group width");
        let width = ui.data(|d| d.get_temp::<f32>(group)).unwrap_or(0.0);
        // In a wrapping row `available_width` is the whole row's; what is left is to the right of
        // the cursor.
        if ui.max_rect().right() - ui.cursor().min.x < width {
            ui.end_row();
        }
        let drawn = ui.horizontal(|ui| {
            for (shown, label) in [
                (Shown::Raw, t.shown_raw),
                (Shown::Qcd, t.shown_qc),
                (Shown::Both, t.shown_both),
            ] {
                if ui
                    .selectable_label(history.shown == shown, label)
                    .on_hover_text(t.shown_hover)
                    .clicked()
                {
                    history.shown = shown;
                }
            }
        });
        let measured = drawn.response.rect.width();
        if measured != width {
            ui.data_mut(|d| d.insert_temp(group, measured));
            ui.ctx()
                .request_discard("the raw/QC'd/both group was measured");
        }
    });
    let range = history.range_at(scene.now);
    ui.label(
        RichText::new(format!(
            "{} – {} {}",
            range_end(range.from),
            range_end(range.to),
            i18n::strings(scene.language).beijing_time
        ))
        .color(theme::INK_MUTED),
    )
    .on_hover_text(t.zoom_hint);
}

/// A title for what the screen shows, for exported images.
fn mode_title(history: &HistoryView, t: &HistoryText) -> &'static str {
    history.mode.label(t)
}

fn range_end(t: Timestamp) -> String {
    t.beijing().format("%Y-%m-%d %H:%M").to_string()
}

fn preset_label(t: &HistoryText, preset: Preset) -> &'static str {
    match preset {
        Preset::Hour => t.preset_hour,
        Preset::SixHours => t.preset_six_hours,
        Preset::Day => t.preset_day,
        Preset::ThreeDays => t.preset_three_days,
        Preset::Week => t.preset_week,
        Preset::Month => t.preset_month,
        Preset::Quarter => t.preset_quarter,
        Preset::Year => t.preset_year,
    }
}
