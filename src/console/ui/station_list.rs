//! The station list: stations grouped by township, each with its latest temperature,
//! one-hour rain and wind, and how old its data is. Click a row to select the station.

use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, pos2, vec2};

use super::{Scene, ViewState, i18n, theme};
use crate::console::state::Freshness;
use crate::console::ui::i18n::Language;
use crate::domain::{Element, Station, StationId, StationKind};

/// Row height.
const ROW_HEIGHT: f32 = 24.0;
/// Township header height.
const GROUP_HEIGHT: f32 = 20.0;
/// Value column widths, right to left: age, wind, rain (temperature takes what is left).
const AGE_WIDTH: f32 = 80.0;
const WIND_WIDTH: f32 = 52.0;
const RAIN_WIDTH: f32 = 46.0;

/// The list's width: English station names are longer.
pub fn width(language: Language) -> f32 {
    match language {
        Language::Zh => 340.0,
        Language::En => 370.0,
    }
}

/// Right edges of the value columns, from a row's right edge.
fn column_right_edges(right: f32) -> [f32; 4] {
    let age = right - 4.0;
    let wind = age - AGE_WIDTH;
    let rain = wind - WIND_WIDTH;
    let temp = rain - RAIN_WIDTH;
    [temp, rain, wind, age]
}

/// The arrow a wind from `degrees` blows along: a north wind blows south, ↓.
pub fn wind_arrow(degrees: f64) -> &'static str {
    const ARROWS: [&str; 8] = ["↓", "↙", "←", "↖", "↑", "↗", "→", "↘"];
    ARROWS[((degrees.rem_euclid(360.0) / 45.0).round() as usize) % 8]
}

/// A value with the element's precision, or a dash when missing.
fn value_text(value: Option<f64>, element: Element) -> String {
    value.map_or_else(
        || "—".to_owned(),
        |v| format!("{v:.prec$}", prec = element.decimals()),
    )
}

/// Draws the list.
pub fn station_list_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let text = scene.text;
    ui.horizontal(|ui| {
        ui.label(RichText::new(text.stations).heading().strong());
        ui.label(
            RichText::new(format!("{}", scene.state.network.stations.len()))
                .color(theme::INK_MUTED),
        );
    });
    header_ui(ui, scene);
    ui.add_space(2.0);
    if scene.state.network.stations.is_empty() {
        ui.add_space(12.0);
        ui.label(RichText::new(text.loading_network).color(theme::INK_MUTED));
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.spacing_mut().item_spacing.y = 0.0;
            for township in &scene.state.network.townships {
                let mut stations = scene.state.network.stations_in(township.code).peekable();
                if stations.peek().is_none() {
                    continue;
                }
                group_header_ui(ui, &i18n::township_name(scene.language, township));
                for station in stations {
                    row_ui(ui, scene, view, station);
                }
            }
        });
    view.scroll_list_to_selected = false;
}

fn header_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let text = scene.text;
    let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), 30.0), Sense::hover());
    let painter = ui.painter();
    let edges = column_right_edges(rect.right());
    let font = theme::small();
    let columns = [
        (text.list_temp, "°C"),
        (text.list_rain, text.list_rain_unit),
        (text.list_wind, "m/s"),
        (text.list_age, ""),
    ];
    for (edge, (name, unit)) in edges.into_iter().zip(columns) {
        painter.text(
            pos2(edge, rect.top() + 1.0),
            Align2::RIGHT_TOP,
            name,
            font.clone(),
            theme::INK_MUTED,
        );
        painter.text(
            pos2(edge, rect.bottom() - 1.0),
            Align2::RIGHT_BOTTOM,
            unit,
            font.clone(),
            theme::INK_FAINT,
        );
    }
    painter.hline(
        rect.x_range(),
        rect.bottom() + 1.0,
        egui::Stroke::new(1.0, theme::BORDER),
    );
}

fn group_header_ui(ui: &mut egui::Ui, name: &str) {
    let (rect, _) =
        ui.allocate_exact_size(vec2(ui.available_width(), GROUP_HEIGHT), Sense::hover());
    let painter = ui.painter();
    painter.rect_filled(rect, 0.0, theme::SURFACE_SUNKEN);
    painter.text(
        pos2(rect.left() + 6.0, rect.center().y),
        Align2::LEFT_CENTER,
        name,
        theme::small(),
        theme::INK_MUTED,
    );
}

fn row_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState, station: &Station) {
    let name = i18n::station_name(scene.language, station);
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), ROW_HEIGHT), Sense::click());
    let selected = view.selected.as_ref() == Some(&station.id);
    let freshness = scene.state.freshness(&station.id, scene.now);
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::selected(egui::Role::Button, true, selected, name);
        let (age, _) = age_text(scene, station, freshness);
        info.current_text_value = Some(RowValues::of(scene, station).spoken(&age));
        info
    });
    if selected && view.scroll_list_to_selected {
        response.scroll_to_me(None);
    }
    if response.clicked() {
        view.selected = Some(station.id.clone());
    }
    if ui.is_rect_visible(rect) {
        paint_row(
            ui,
            scene,
            station,
            name,
            rect,
            selected,
            response.hovered(),
            freshness,
        );
    }
    response.on_hover_ui(|ui| station_details_ui(ui, scene, station));
}

#[allow(
    clippy::too_many_arguments,
    reason = "one painter call per row; a struct would only rename them"
)]
fn paint_row(
    ui: &egui::Ui,
    scene: Scene<'_>,
    station: &Station,
    name: &str,
    rect: Rect,
    selected: bool,
    hovered: bool,
    freshness: Freshness,
) {
    let painter = ui.painter();
    if selected {
        painter.rect_filled(rect, 0.0, theme::ACCENT_SOFT);
        painter.rect_filled(
            Rect::from_min_size(rect.min, vec2(3.0, rect.height())),
            0.0,
            theme::ACCENT,
        );
    } else if hovered {
        painter.rect_filled(rect, 0.0, theme::HOVER_SOFT);
    }
    let body = FontId::proportional(theme::BODY_SIZE);
    let y = rect.center().y;
    let value_colour = match freshness {
        Freshness::Current => theme::INK,
        Freshness::Syncing | Freshness::Stale => theme::STALE,
    };
    let name_colour = if selected { theme::ACCENT } else { theme::INK };
    let [temp_edge, rain_edge, wind_edge, age_edge] = column_right_edges(rect.right());
    // A long name (a garden's, a greenhouse's) ends in "…" before the first value column;
    // the hover card and the chart's title say it whole.
    let name_width = (temp_edge - NAME_GAP - rect.left() - 10.0).max(40.0);
    let galley = painter.layout_job(elided(name, body.clone(), name_colour, name_width));
    let name_at = pos2(rect.left() + 10.0, y - galley.size().y / 2.0);
    let name_end = name_at.x + galley.size().x;
    painter.galley(name_at, galley, name_colour);
    if station.kind == StationKind::National {
        painter.text(
            pos2(name_end + 3.0, y),
            Align2::LEFT_CENTER,
            "★",
            theme::small(),
            theme::STATUS_PENDING,
        );
    }
    let values = RowValues::of(scene, station);
    let cells = [
        (temp_edge, values.temperature),
        (rain_edge, values.rain),
        (wind_edge, values.wind),
    ];
    for (edge, value) in cells {
        painter.text(
            pos2(edge, y),
            Align2::RIGHT_CENTER,
            value,
            body.clone(),
            value_colour,
        );
    }
    let (age, age_colour) = age_text(scene, station, freshness);
    painter.text(
        Pos2::new(age_edge, y),
        Align2::RIGHT_CENTER,
        age,
        theme::small(),
        age_colour,
    );
}

/// Room kept between a name and the temperature column's right edge: the widest value
/// ("-12.3", with the star of a national station) fits in it.
const NAME_GAP: f32 = 64.0;

/// `text` on one line of at most `width`, ended with "…" when it does not fit.
fn elided(text: &str, font: FontId, colour: Color32, width: f32) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::simple_singleline(text.to_owned(), font, colour);
    job.wrap = egui::text::TextWrapping {
        max_width: width,
        max_rows: 1,
        break_anywhere: true,
        overflow_character: Some('…'),
    };
    job
}

/// The texts of a row's value columns.
struct RowValues {
    temperature: String,
    rain: String,
    wind: String,
}

impl RowValues {
    fn of(scene: Scene<'_>, station: &Station) -> Self {
        let latest = |element| scene.state.latest(&station.id, element).map(|(_, v)| v);
        let wind = latest(Element::WinSAvg2mi).map_or_else(
            || "—".to_owned(),
            |speed| {
                let arrow = latest(Element::WinDAvg2mi).map_or("", wind_arrow);
                format!("{speed:.1}{arrow}")
            },
        );
        Self {
            temperature: value_text(latest(Element::Tem), Element::Tem),
            rain: value_text(latest(Element::Pre1h), Element::Pre1h),
            wind,
        }
    }

    /// The row as one line for screen readers: `12.3 °C · 0.0 mm · 2.1↙ m/s · 刚刚`.
    fn spoken(&self, age: &str) -> String {
        format!(
            "{} °C · {} mm · {} m/s · {age}",
            self.temperature, self.rain, self.wind
        )
    }
}

/// The age column: how old the newest data is, flagged when stale; while the desk catches up,
/// old data is its own lag, said plainly rather than flagged.
fn age_text(scene: Scene<'_>, station: &Station, freshness: Freshness) -> (String, Color32) {
    match (scene.state.last_report(&station.id), freshness) {
        (_, Freshness::Syncing) => (scene.text.syncing.to_owned(), theme::INK_MUTED),
        (None, _) => (scene.text.no_data.to_owned(), theme::STATUS_ERROR),
        (Some(t), Freshness::Stale) => (
            format!("⚠ {}", i18n::age(scene.language, t, scene.now)),
            theme::STATUS_ERROR,
        ),
        (Some(t), Freshness::Current) => {
            (i18n::age(scene.language, t, scene.now), theme::INK_MUTED)
        }
    }
}

/// How old the station's newest data is ("36 分钟前"), or that it has none.
pub fn report_age(scene: Scene<'_>, station: &StationId) -> String {
    scene.state.last_report(station).map_or_else(
        || scene.text.no_data.to_owned(),
        |t| i18n::age(scene.language, t, scene.now),
    )
}

/// A station's particulars and latest values, for hover cards on the list and the map.
pub fn station_details_ui(ui: &mut egui::Ui, scene: Scene<'_>, station: &Station) {
    let text = scene.text;
    let language = scene.language;
    ui.set_max_width(340.0);
    ui.label(
        RichText::new(i18n::station_name(language, station))
            .strong()
            .size(theme::HEADING_SIZE),
    );
    let kind = match station.kind {
        StationKind::National => text.national_station,
        StationKind::Regional => text.regional_station,
        StationKind::Garden => text.garden_station,
        StationKind::Greenhouse => text.greenhouse_station,
    };
    let colon = i18n::colon(language);
    ui.label(format!("{}{colon}{} · {kind}", text.station_id, station.id));
    if let Some(township) = scene.state.network.township(station.township) {
        ui.label(format!(
            "{}{colon}{}",
            text.station_township,
            i18n::township_name(language, township)
        ));
    }
    ui.label(format!(
        "{}{colon}{:.4}°N {:.4}°E · {} {:.1} m",
        text.station_location,
        station.location.lat,
        station.location.lon,
        text.altitude,
        station.altitude_m
    ));
    let last = scene.state.last_report(&station.id).map_or_else(
        || text.no_data.to_owned(),
        |t| {
            format!(
                "{} · {}",
                i18n::when(t, scene.now),
                i18n::age(language, t, scene.now)
            )
        },
    );
    ui.label(format!("{}{colon}{last}", text.station_last_report));
    match scene.state.freshness(&station.id, scene.now) {
        Freshness::Current => {}
        Freshness::Syncing => {
            ui.label(RichText::new(text.syncing_hover).color(theme::INK_MUTED));
        }
        Freshness::Stale => {
            ui.label(RichText::new(format!("⚠ {}", text.stale_hover)).color(theme::STATUS_ERROR));
        }
    }
    ui.separator();
    egui::Grid::new(("details", station.id.as_str()))
        .num_columns(2)
        .show(ui, |ui| {
            for element in Element::ALL {
                if let Some((_, value)) = scene.state.latest(&station.id, element) {
                    ui.label(
                        RichText::new(i18n::element_name(language, element))
                            .color(theme::INK_MUTED),
                    );
                    let shown = if element == Element::WinDAvg2mi {
                        format!("{value:.0}° {}", i18n::compass(language, value))
                    } else {
                        element.format(value)
                    };
                    ui.label(shown);
                    ui.end_row();
                }
            }
        });
    if let Some(note) = &station.uncertainty {
        ui.separator();
        ui.label(
            RichText::new(format!("{}{colon}{note}", text.station_uncertain))
                .small()
                .color(theme::INK_MUTED),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wind_arrows_point_downwind() {
        let cases = [
            (0.0, "↓"),
            (22.0, "↓"),
            (45.0, "↙"),
            (90.0, "←"),
            (180.0, "↑"),
            (270.0, "→"),
            (350.0, "↓"),
        ];
        for (from, arrow) in cases {
            assert_eq!(wind_arrow(from), arrow, "{from}");
        }
    }

    #[test]
    fn missing_values_are_dashes() {
        assert_eq!(value_text(None, Element::Tem), "—");
        assert_eq!(value_text(Some(12.345), Element::Tem), "12.3");
        assert_eq!(value_text(Some(87.6), Element::Rhu), "88");
    }
}
