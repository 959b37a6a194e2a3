//! The console's views. They read `&AppState`, keep their own view state, and emit
//! commands; they never do I/O.
//!
//! Layout: the top bar (bureau, Beijing-time clock, link and sync status, who is signed in),
//! banners when the link is down or the backend reported a failure, the station list on the
//! left, the selected station's 24-hour charts on the right, and the county map in the middle.
//! Until someone is signed in (with a password of their own), the login or password screen
//! stands in for all of it.

pub mod about;
pub mod admin;
pub mod audit;
pub mod chart;
pub mod devices;
pub mod export_notice;
pub mod fonts;
pub mod history;
pub mod i18n;
pub mod login;
pub mod map;
pub mod raster;
pub mod recipients;
pub mod settings;
pub mod station_list;
pub mod theme;
pub mod top_bar;
pub mod warnings;

use crate::console::messages::{Command, LinkStatus};
use crate::console::state::account::SessionState;
use crate::console::state::{AppState, Notice};
use crate::console::ui::i18n::Language;
use crate::domain::{StationId, StationKind, Timestamp};

use i18n::Strings;

/// How the console presents itself, fixed at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewConfig {
    /// The observations come from the simulator, and the UI must say so.
    pub simulated: bool,
}

impl Default for ViewConfig {
    /// The embedded default runs the simulator.
    fn default() -> Self {
        Self { simulated: true }
    }
}

/// The console's two screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The county map and the selected station's last 24 hours.
    Live,
    /// Observations in depth: any range, QC, statistics.
    History,
    /// Warnings: compose, approve, records.
    Warnings,
    /// Devices: every device's state, a device's health page.
    Devices,
}

/// What the views remember between frames; none of it is data.
#[derive(Debug)]
pub struct ViewState {
    /// Presentation settings from start-up.
    pub config: ViewConfig,
    /// Interface language.
    pub language: Language,
    /// The station whose charts are shown.
    pub selected: Option<StationId>,
    /// Whether a station was ever selected (automatically or by hand).
    auto_selected: bool,
    /// The station selected before the last restart, until the network says whether it still
    /// exists.
    remembered_station: Option<StationId>,
    /// The map's element, zoom, position and prepared geometry.
    pub map: map::MapView,
    /// The chart groups shown and their prepared points.
    pub chart: chart::ChartView,
    /// Which screen is up: live monitoring or history.
    pub screen: Screen,
    /// The history screen's range, selection and prepared charts.
    pub history: history::HistoryView,
    /// The warnings screen's composer and queue.
    pub warnings: warnings::WarningsView,
    /// The about box is open.
    pub about_open: bool,
    /// The list of background reports is open.
    pub notices_open: bool,
    /// The newest notice the user dismissed; newer ones show again.
    pub dismissed_notice: Option<Notice>,
    /// Problems of the UI itself (a command the backend refused), newest last.
    pub local_notices: Vec<Notice>,
    /// The map asked the list to scroll the selected station into view.
    pub scroll_list_to_selected: bool,
    /// The link as it was when the user asked for a retry; cleared when the link changes.
    pub retry_requested: Option<LinkStatus>,
    /// The login and password forms, and the first-start dialog.
    pub login: login::LoginView,
    /// The user-management window.
    pub admin: admin::AdminView,
    /// The audit-log window.
    pub audit: audit::AuditView,
    /// The recipients window.
    pub recipients: recipients::RecipientsView,
    /// The devices screen's open page and its reads.
    pub devices: devices::DevicesView,
    /// Suggestions acknowledged in this frame, for the app to record in the state.
    pub suggestion_acks: Vec<warnings::suggestions::Acknowledgement>,
}

impl ViewState {
    /// Fresh view state in `language`.
    pub fn new(language: Language, config: ViewConfig) -> Self {
        Self {
            config,
            language,
            selected: None,
            auto_selected: false,
            remembered_station: None,
            map: map::MapView::new(),
            chart: chart::ChartView::default(),
            screen: Screen::Live,
            history: history::HistoryView::default(),
            warnings: warnings::WarningsView::default(),
            about_open: false,
            notices_open: false,
            dismissed_notice: None,
            local_notices: Vec::new(),
            retry_requested: None,
            scroll_list_to_selected: false,
            login: login::LoginView::default(),
            admin: admin::AdminView::default(),
            recipients: recipients::RecipientsView::default(),
            devices: devices::DevicesView::default(),
            audit: audit::AuditView::default(),
            suggestion_acks: Vec::new(),
        }
    }

    /// The fixed texts of the current language.
    pub fn text(&self) -> &'static Strings {
        i18n::strings(self.language)
    }

    /// The first time a network is known, selects the station remembered from the last run if
    /// it still exists, else the national station, so the charts are not empty when the
    /// console opens.
    fn select_default(&mut self, state: &AppState) {
        if self.auto_selected || state.network.stations.is_empty() {
            return;
        }
        self.auto_selected = true;
        let remembered = self
            .remembered_station
            .take()
            .filter(|id| state.network.station(id).is_some());
        if self.selected.is_none() {
            self.selected = remembered.or_else(|| {
                state
                    .network
                    .stations
                    .iter()
                    .find(|s| s.kind == StationKind::National)
                    .map(|s| s.id.clone())
            });
        }
    }
}

/// Everything a view reads in one frame.
#[derive(Debug, Clone, Copy)]
pub struct Scene<'a> {
    /// The data.
    pub state: &'a AppState,
    /// The instant this frame shows.
    pub now: Timestamp,
    /// Interface language.
    pub language: Language,
    /// Its fixed texts.
    pub text: &'static Strings,
}

/// The tabs that switch between the live screen and the history screen.
fn screen_tabs_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let t = history::text::text(scene.language);
    ui.horizontal(|ui| {
        for (screen, label) in [
            (Screen::Live, t.screen_live),
            (Screen::History, t.screen_history),
            (
                Screen::Warnings,
                warnings::text::text(scene.language).screen_warnings,
            ),
            (Screen::Devices, devices::text::text(scene.language).tab),
        ] {
            let selected = view.screen == screen;
            let text = egui::RichText::new(label).strong();
            if ui.selectable_label(selected, text).clicked() {
                view.screen = screen;
            }
        }
    });
}

/// Draws the whole console and collects the commands the user gave.
pub fn console_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &mut ViewState,
    now: Timestamp,
) -> Vec<Command> {
    view.select_default(state);
    let mut commands = Vec::new();
    let scene = Scene {
        state,
        now,
        language: view.language,
        text: view.text(),
    };

    match &state.account.session {
        SessionState::Starting => {
            // The backend says who is signed in once it has opened the cache; should it fail
            // before that, its report is all there is to show.
            egui::CentralPanel::default().show(ui, |ui| {
                ui.vertical_centered(|ui| {
                    ui.add_space(ui.available_height() * 0.4);
                    ui.label(scene.text.starting);
                    if let Some(notice) = state.notices.back() {
                        ui.label(
                            egui::RichText::new(format!("⚠ {}", notice.text))
                                .color(theme::STATUS_ERROR),
                        );
                    }
                });
            });
            return commands;
        }
        SessionState::SignedOut { .. } => {
            login::login_screen_ui(ui, scene, view, &mut commands);
            return commands;
        }
        SessionState::SignedIn { view: session, .. } if session.account.must_change_password => {
            login::password_screen_ui(ui, scene, view, &mut commands);
            return commands;
        }
        SessionState::SignedIn { .. } => login::forget_login_password(view),
    }

    egui::Panel::top("top_bar")
        .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
        .show(ui, |ui| {
            top_bar::top_bar_ui(ui, scene, view, &mut commands);
            warnings::live::strip_ui(ui, scene, view);
        });
    top_bar::banners_ui(ui, scene, view, &mut commands);
    warnings::live::prompt_banner_ui(ui, scene, view);
    warnings::suggestions::suggestions_banner_ui(ui, scene, view);
    warnings::practice::banner_ui(ui, scene, view);

    let width = ui.available_width();
    // The warnings screen needs its width for the composer's previews, the devices screen
    // for its columns and trends: neither shows the stations.
    if !matches!(view.screen, Screen::Warnings | Screen::Devices) {
        egui::Panel::left("station_list")
            .resizable(false)
            .exact_size(station_list::width(view.language))
            .frame(theme::panel_frame())
            .show(ui, |ui| station_list::station_list_ui(ui, scene, view));
    }
    egui::Panel::top("screens")
        .frame(theme::panel_frame().fill(theme::SURFACE))
        .show(ui, |ui| screen_tabs_ui(ui, scene, view));
    match view.screen {
        Screen::Live => {
            egui::Panel::right("chart")
                .resizable(false)
                .exact_size(chart::width(width - station_list::width(view.language)))
                .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
                .show(ui, |ui| chart::chart_ui(ui, scene, view));
            egui::CentralPanel::no_frame().show(ui, |ui| map::map_ui(ui, scene, view));
        }
        Screen::History => {
            egui::CentralPanel::default()
                .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
                .show(ui, |ui| history::history_ui(ui, scene, view, &mut commands));
        }
        Screen::Warnings => {
            egui::CentralPanel::no_frame().show(ui, |ui| {
                warnings::warnings_ui(ui, scene, &mut view.warnings, &mut commands);
            });
        }
        Screen::Devices => {
            egui::CentralPanel::default()
                .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
                .show(ui, |ui| {
                    devices::devices_ui(ui, scene, &mut view.devices, &mut commands);
                });
        }
    }

    about::about_ui(ui.ctx(), scene, view);
    top_bar::notices_window_ui(ui.ctx(), scene, view);
    admin::admin_window_ui(ui.ctx(), scene, view, &mut commands);
    audit::audit_window_ui(ui.ctx(), scene, view, &mut commands);
    recipients::recipients_window_ui(ui.ctx(), scene, view, &mut commands);
    login::password_window_ui(ui.ctx(), scene, view, &mut commands);
    commands
}
