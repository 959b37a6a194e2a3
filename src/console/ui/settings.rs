//! What the console remembers across restarts — the selected station, the screen, the history
//! mode, the map layer and its temperature scale — kept apart from the runtime view state
//! (`egui_demo_app`'s split). Stored as small JSON; unknown or missing values fall back to the
//! defaults, so an old or hand-edited file never stops the console.

use serde::{Deserialize, Serialize};

use super::history::Mode;
use super::map::{MapElement, TemperatureScale};
use super::{Screen, ViewState};
use crate::domain::StationId;

/// The remembered view, as stored. Every field is a stable code, not a Rust name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewSettings {
    /// The selected station's id.
    pub station: Option<String>,
    /// `live` or `history`.
    pub screen: Option<String>,
    /// The history screen's mode: `elements`, `stations`, `rain`, `wind`, `summary`.
    pub history_mode: Option<String>,
    /// The map's layer: `temperature`, `rain_1h`, `wind`.
    pub map_layer: Option<String>,
    /// The temperature legend: `fixed` or `fitted`.
    pub temperature_scale: Option<String>,
}

/// A code and the value it stands for.
type Codes<T> = [(&'static str, T)];

const SCREENS: &Codes<Screen> = &[
    ("live", Screen::Live),
    ("history", Screen::History),
    ("warnings", Screen::Warnings),
];
const MODES: &Codes<Mode> = &[
    ("elements", Mode::Elements),
    ("stations", Mode::Stations),
    ("rain", Mode::Rain),
    ("wind", Mode::Wind),
    ("summary", Mode::Summary),
];
const LAYERS: &Codes<MapElement> = &[
    ("temperature", MapElement::Temperature),
    ("rain_1h", MapElement::Rain1h),
    ("wind", MapElement::Wind),
];
const SCALES: &Codes<TemperatureScale> = &[
    ("fixed", TemperatureScale::Fixed),
    ("fitted", TemperatureScale::Fitted),
];

fn code<T: PartialEq + Copy>(codes: &Codes<T>, value: T) -> Option<String> {
    codes
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(c, _)| (*c).to_owned())
}

fn parse<T: Copy>(codes: &Codes<T>, text: Option<&String>) -> Option<T> {
    let text = text?;
    codes.iter().find(|(c, _)| c == text).map(|(_, v)| *v)
}

impl ViewSettings {
    /// What `view` would remember now.
    pub fn of(view: &ViewState) -> Self {
        Self {
            // Until the network arrives, the remembered station stays remembered.
            station: view
                .selected
                .as_ref()
                .or(view.remembered_station.as_ref())
                .map(|s| s.as_str().to_owned()),
            screen: code(SCREENS, view.screen),
            history_mode: code(MODES, view.history.mode),
            map_layer: code(LAYERS, view.map.element),
            temperature_scale: code(SCALES, view.map.temperature_scale),
        }
    }

    /// Reads stored settings; anything unreadable is the default (and says why).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        // A struct of strings always serialises.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Puts the remembered view back. The station waits for the network: it is selected only
    /// if it still exists (see [`ViewState::select_default`]).
    pub fn restore(&self, view: &mut ViewState) {
        if let Some(screen) = parse(SCREENS, self.screen.as_ref()) {
            view.screen = screen;
        }
        if let Some(mode) = parse(MODES, self.history_mode.as_ref()) {
            view.history.mode = mode;
        }
        if let Some(layer) = parse(LAYERS, self.map_layer.as_ref()) {
            view.map.element = layer;
        }
        if let Some(scale) = parse(SCALES, self.temperature_scale.as_ref()) {
            view.map.temperature_scale = scale;
        }
        view.remembered_station = self
            .station
            .as_deref()
            .and_then(|s| StationId::parse(s).ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ui::ViewConfig;
    use crate::console::ui::i18n::Language;

    fn view() -> ViewState {
        ViewState::new(Language::Zh, ViewConfig::default())
    }

    #[test]
    fn every_code_round_trips() {
        for &(c, screen) in SCREENS {
            assert_eq!(parse(SCREENS, Some(&c.to_owned())), Some(screen));
            assert_eq!(code(SCREENS, screen).as_deref(), Some(c));
        }
        for &(c, mode) in MODES {
            assert_eq!(code(MODES, mode).as_deref(), Some(c));
        }
        assert_eq!(
            MODES.len(),
            Mode::ALL.len(),
            "every history mode has a code"
        );
        for &(c, layer) in LAYERS {
            assert_eq!(code(LAYERS, layer).as_deref(), Some(c));
        }
        for &(c, scale) in SCALES {
            assert_eq!(code(SCALES, scale).as_deref(), Some(c));
        }
    }

    #[test]
    fn a_view_survives_a_restart() {
        let mut before = view();
        before.selected = Some(StationId::parse("708305").unwrap());
        before.screen = Screen::History;
        before.history.mode = Mode::Wind;
        before.map.element = MapElement::Wind;
        before.map.temperature_scale = TemperatureScale::Fitted;
        let stored = ViewSettings::of(&before).to_json();

        let mut after = view();
        ViewSettings::from_json(&stored)
            .unwrap()
            .restore(&mut after);
        assert_eq!(after.screen, Screen::History);
        assert_eq!(after.history.mode, Mode::Wind);
        assert_eq!(after.map.element, MapElement::Wind);
        assert_eq!(after.map.temperature_scale, TemperatureScale::Fitted);
        assert_eq!(
            after.remembered_station,
            Some(StationId::parse("708305").unwrap())
        );
        assert_eq!(after.selected, None, "not until the network says it exists");
        assert_eq!(
            ViewSettings::of(&after).station.as_deref(),
            Some("708305"),
            "and not forgotten meanwhile"
        );
    }

    #[test]
    fn unknown_or_missing_values_keep_the_defaults() {
        let cases = [
            "{}",
            r#"{"screen": "radar", "map_layer": 3}"#,
            r#"{"screen": null, "future_field": true}"#,
        ];
        for text in cases {
            let mut restored = view();
            if let Ok(settings) = ViewSettings::from_json(text) {
                settings.restore(&mut restored);
            }
            assert_eq!(restored.screen, Screen::Live, "{text}");
            assert_eq!(restored.map.element, MapElement::Temperature, "{text}");
        }
        assert!(ViewSettings::from_json("not json").is_err());
    }
}
