//! The eframe application: `logic` drains backend events into the state, `ui` draws.
//!
//! The console is idle most of the time: it repaints when the backend delivers events (the
//! backend requests the repaint), when the user acts, and on a timer only when something on
//! screen is due to change by itself — the clock's minute, a data age, a station going stale.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::console::alarm::Alarm;
use crate::console::backend::Link;
use crate::console::state::account::SessionState;
use crate::console::state::{AppState, Notice, STALE_AFTER_MS};
use crate::console::ui::i18n::Language;
use crate::console::ui::settings::ViewSettings;
use crate::console::ui::{self, ViewConfig, ViewState, fonts, theme};
use crate::domain::Timestamp;
use crate::domain::time::{MINUTE_MS, SharedClock};

/// The console window's title.
pub const WINDOW_TITLE: &str = "wxdesk — 清流县气象局";

/// The console application.
#[derive(Debug)]
pub struct App {
    link: Link,
    clock: SharedClock,
    state: AppState,
    view: ViewState,
    settings: Option<SettingsFile>,
    alarm: Alarm,
}

/// Where the remembered view lives, and what it last held.
#[derive(Debug)]
struct SettingsFile {
    path: PathBuf,
    saved: ViewSettings,
}

impl App {
    /// Installs the bundled font and the theme, and starts with an empty state; the backend
    /// fills it through `link`.
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        link: Link,
        clock: SharedClock,
        language: Language,
    ) -> Self {
        fonts::install(&cc.egui_ctx);
        theme::apply(&cc.egui_ctx);
        let now = clock.now();
        Self {
            link,
            clock,
            state: AppState::new(now),
            view: ViewState::new(language, ViewConfig::default()),
            settings: None,
            alarm: Alarm::silent(),
        }
    }

    /// Restores the view remembered in `path` (station, screen, history mode, map layer and
    /// scale) and remembers it there from now on, whenever it changes. A missing file is a
    /// first start; an unreadable one is reported and replaced with the defaults.
    #[must_use]
    pub fn with_settings_file(mut self, path: PathBuf) -> Self {
        let saved = match read_settings(&path) {
            Ok(settings) => settings,
            Err(problem) => {
                self.local_notice(self.view.text().settings_not_read, &problem);
                ViewSettings::default()
            }
        };
        saved.restore(&mut self.view);
        self.settings = Some(SettingsFile { path, saved });
        self
    }

    /// Writes the view settings if they changed since last written; a failure is reported once
    /// per change, not every frame.
    fn save_settings(&mut self) {
        let Some(file) = &mut self.settings else {
            return;
        };
        let current = ViewSettings::of(&self.view);
        if current == file.saved {
            return;
        }
        let result = write_settings(&file.path, &current);
        file.saved = current;
        if let Err(problem) = result {
            self.local_notice(self.view.text().settings_not_saved, &problem);
        }
    }

    fn local_notice(&mut self, what: &str, why: &str) {
        let at = self.clock.now();
        self.view.local_notices.push(Notice {
            at,
            text: format!("{what}：{why}"),
        });
    }

    /// Sets how the console presents itself (e.g. whether observations are simulated).
    #[must_use]
    pub fn with_view_config(mut self, config: ViewConfig) -> Self {
        self.view.config = config;
        self
    }

    /// Shows `notices` (things recovered from at start-up) as if the backend had reported them.
    #[must_use]
    pub fn with_notices(mut self, notices: impl IntoIterator<Item = String>) -> Self {
        let now = self.clock.now();
        for text in notices {
            self.state.notify(text, now);
        }
        self
    }

    /// Shows the first administrator's one-time password once, on the login screen (the
    /// embedded default's first start).
    #[must_use]
    pub fn with_first_admin(mut self, password: Option<crate::domain::access::Secret>) -> Self {
        self.view.login.first_admin = password;
        self
    }

    /// What the console knows.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What the views remember (selection, language …).
    pub fn view(&self) -> &ViewState {
        &self.view
    }

    /// Sounds new warning suggestions with `alarm` (silent by default: tests, and desks
    /// without sound).
    pub fn with_alarm(mut self, alarm: Alarm) -> Self {
        self.alarm = alarm;
        self
    }

    /// The suggestion alarm, for tests that check it was asked to ring.
    pub fn alarm(&self) -> &Alarm {
        &self.alarm
    }

    /// Records the suggestions acknowledged in the last frame, in the signed-in user's name.
    fn record_acknowledgements(&mut self, now: Timestamp) {
        let who = match &self.state.account.session {
            SessionState::SignedIn { view, .. } => view.account.display_name.clone(),
            _ => String::new(),
        };
        for ack in self.view.suggestion_acks.drain(..) {
            self.state
                .suggestions
                .acknowledge(&ack.signal, ack.level, &who, now);
        }
    }

    /// Applies what the forecaster asked of the practice replay in the last frame.
    fn apply_practice_actions(&mut self, now: Timestamp) {
        use crate::console::state::practice::{PracticeReplay, SCENARIOS};
        use ui::warnings::practice::PracticeAction;
        let state = &mut self.state;
        for action in self.view.warnings.practice_actions.drain(..) {
            match action {
                PracticeAction::Start(i) => {
                    let Some((title, text)) = SCENARIOS.get(i) else {
                        continue;
                    };
                    let catalogue = state.suggestions.catalogue();
                    match PracticeReplay::start(title, text, catalogue, &state.network) {
                        Ok(replay) => state.practice = Some(replay),
                        Err(error) => state.notify(format!("{title}：{error}"), now),
                    }
                }
                PracticeAction::Advance(minutes) => {
                    if let Some(replay) = &mut state.practice {
                        replay.advance(minutes, &state.network);
                    }
                }
                PracticeAction::Stop => state.practice = None,
            }
        }
    }

    /// The view state, for tests that set up a scene directly.
    pub fn view_mut(&mut self) -> &mut ViewState {
        &mut self.view
    }
}

/// The window's options: title, size, app id.
pub fn native_options() -> eframe::NativeOptions {
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(WINDOW_TITLE)
            .with_app_id("wxdesk")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([1024.0, 640.0]),
        ..Default::default()
    }
}

/// How long until something on screen changes by itself: the next minute (clock, data ages),
/// the next station crossing the staleness threshold, or a warning's countdown minute or
/// expiry prompt, whichever is soonest.
pub fn next_wakeup(state: &AppState, now: Timestamp) -> Duration {
    let next_minute = now.floor(MINUTE_MS).plus_ms(MINUTE_MS);
    let next_stale = state
        .network
        .stations
        .iter()
        .filter_map(|s| state.last_report(&s.id))
        // `is_stale` is strict: a station turns stale one millisecond after the threshold.
        .map(|t| t.plus_ms(STALE_AFTER_MS + 1))
        .filter(|&t| t > now)
        .min();
    // A countdown minute or an expiry prompt of a warning in force, on the expiry's own marks.
    let next_warning = ui::warnings::in_force::next_change(&state.warnings.records, now);
    let at = [next_stale, next_warning]
        .into_iter()
        .flatten()
        .fold(next_minute, Timestamp::min);
    Duration::from_millis((at.millis() - now.millis()).max(1) as u64)
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let now = self.clock.now();
        for event in self.link.drain() {
            self.state.apply(event, now);
        }
        self.state.tick(now);
        // A new suggestion or an unanswered 叫应 line escalating: both ring.
        self.alarm
            .follow(self.state.suggestions.alerts + self.state.warnings.callout.escalations);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let now = self.clock.now();
        let commands = ui::console_ui(ui, &self.state, &mut self.view, now);
        self.record_acknowledgements(now);
        self.apply_practice_actions(now);
        for command in commands {
            if let Err(refused) = self.link.send(command) {
                let text = self.view.text();
                self.view.local_notices.push(Notice {
                    at: now,
                    text: format!(
                        "{}{}{refused}",
                        text.command_refused,
                        ui::i18n::colon(self.view.language)
                    ),
                });
            }
        }
        self.save_settings();
        ui.ctx()
            .request_repaint_after(next_wakeup(&self.state, now));
    }
}

/// The remembered view in `path`; the defaults when there is none yet.
fn read_settings(path: &Path) -> Result<ViewSettings, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => ViewSettings::from_json(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ViewSettings::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes `settings` to `path` whole or not at all (a temporary file renamed over it).
fn write_settings(path: &Path, settings: &ViewSettings) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, settings.to_json()).map_err(fail)?;
    std::fs::rename(&partial, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::messages::{Event, SyncEvent};
    use crate::domain::{Element, Observation, Source, StationId};

    #[test]
    fn wakes_at_the_next_minute_or_when_a_station_goes_stale() {
        let network = crate::assets::qingliu_network().unwrap();
        let base = Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap();
        let mut state = AppState::new(base);
        state.apply(Event::Sync(SyncEvent::NetworkLoaded(network)), base);
        let now = base.plus_ms(20_000);
        assert_eq!(next_wakeup(&state, now), Duration::from_secs(40));
        assert_eq!(next_wakeup(&state, base), Duration::from_secs(60));

        // Last report at 09:50:30 goes stale at 10:00:30.001, before the 10:01 tick.
        let observation = Observation {
            station: StationId::parse("58819").unwrap(),
            time: base.plus_ms(-9 * MINUTE_MS - 30_000),
            source: Source::Live,
            values: [(Element::Tem, 10.0)].into(),
        };
        state.apply(
            Event::Sync(SyncEvent::ObservationsArrived(vec![observation])),
            base,
        );
        assert_eq!(next_wakeup(&state, now), Duration::from_millis(10_001));
    }

    #[test]
    fn wakes_on_a_warnings_countdown_minute_not_only_the_clocks() {
        use crate::console::messages::WarningEvent;
        use crate::console::ui::warnings::in_force::tests::{released, t0};
        use crate::domain::warning::Level;
        let base = t0();
        let mut record = released("a", Level::Yellow, &["350423100"], 120);
        record.content.expires_at = Some(base.plus_ms(120 * MINUTE_MS + 30_000));
        let mut state = AppState::new(base);
        state.apply(
            Event::Warnings(WarningEvent::RecordsChanged(vec![record])),
            base,
        );
        let now = base.plus_ms(20_000);
        assert_eq!(next_wakeup(&state, now), Duration::from_secs(10));
        // Once it has expired, only the clock's minute.
        let later = base.plus_ms(121 * MINUTE_MS);
        assert_eq!(next_wakeup(&state, later), Duration::from_secs(60));
    }
}
