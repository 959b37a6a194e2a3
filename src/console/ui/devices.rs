//! 设备, the devices screen: every registered device grouped by township with its state in
//! words a technician acts on ("迟报 3 次", "失联 25 分钟" — never a bare "online"), and a
//! device's health page (its particulars, lateness, completeness, hourly trends and battery
//! forecast) in the list's place when a row is clicked.
//!
//! The screen reads the central's list when opened, when the feed says a device changed
//! (`devices.revision`), and every [`RELOAD_EVERY_MS`] while it is up; between reads it counts
//! lateness on by the desk's own clock. A hidden screen sends nothing. Above both, the device
//! alarms panel ([`alarms`]).

pub mod alarm_detail;
pub mod alarms;
pub mod list;
pub mod page;
pub mod register;
pub mod relays;
pub mod text;
pub mod verdict;

use crate::console::messages::devices::{DeviceCommand, DeviceView};
use crate::console::messages::{Command, LinkStatus};
use crate::console::state::account::Gate;
use crate::console::ui::{Scene, theme};
use crate::domain::Timestamp;
use crate::domain::access::Capability;
use crate::domain::devices::DeviceId;
use crate::domain::devices::health::Upstream;

/// How often the open screen reads the list (and the open page) again.
pub const RELOAD_EVERY_MS: i64 = 30_000;

/// A read the view asked for: at which feed revision and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Asked {
    revision: u64,
    at: Timestamp,
}

impl Asked {
    /// Whether it should be read again: the feed moved, or it is [`RELOAD_EVERY_MS`] old.
    fn stale(self, revision: u64, now: Timestamp) -> bool {
        self.revision != revision || now.0 - self.at.0 >= RELOAD_EVERY_MS || now < self.at
    }
}

/// What the devices screen remembers between frames.
#[derive(Debug, Default)]
pub struct DevicesView {
    /// The device whose health page is open (the list when `None`).
    pub open: Option<DeviceId>,
    /// The list's last read.
    asked_list: Option<Asked>,
    /// The open page's last read.
    asked_page: Option<(DeviceId, Asked)>,
    /// The alarms panel.
    pub alarms: alarms::AlarmsView,
    /// The registry form, when a device is being registered or changed (in the list's place).
    pub form: Option<register::DeviceForm>,
    /// The relays panel.
    pub relays: relays::RelaysView,
}

impl DevicesView {
    /// Reads everything again on the next frame.
    pub fn refresh(&mut self) {
        self.asked_list = None;
        self.asked_page = None;
        self.alarms.refresh();
        self.relays.refresh();
    }
}

/// What is known upstream of every device: the desk's link and its sync.
pub fn desk_upstream(scene: Scene<'_>) -> Upstream {
    Upstream {
        central_unreachable: !matches!(scene.state.link, LinkStatus::Online { .. }),
        desk_behind: scene.state.sync.is_none_or(|s| !s.caught_up()),
        ..Upstream::default()
    }
}

/// Whether the signed-in role manages devices (technicians), as the central confirmed it.
pub fn manages_devices(scene: Scene<'_>) -> bool {
    scene.state.account.gate(Capability::ManageDevices) == Gate::Allowed
}

/// The central's clock now, as the desk reckons it (its own clock before a list is read).
pub fn central_now(scene: Scene<'_>) -> Timestamp {
    scene
        .state
        .devices
        .central_now(scene.now)
        .unwrap_or(scene.now)
}

/// The upstream of `view`: the desk's, and its DTU's when that DTU is quiet by its own fault.
pub fn upstream_of(scene: Scene<'_>, view: &DeviceView, devices: &[DeviceView]) -> Upstream {
    let desk = desk_upstream(scene);
    let dtu_down = view.device.dtu.as_ref().is_some_and(|dtu| {
        devices
            .iter()
            .find(|d| d.device.id == *dtu)
            .is_some_and(|d| verdict::verdict(d, central_now(scene), desk).is_quiet())
    });
    Upstream { dtu_down, ..desk }
}

/// Draws the screen and asks for what it shows.
pub fn devices_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DevicesView,
    commands: &mut Vec<Command>,
) {
    ask(scene, view, commands);
    // Wake for the next read: the screen must not repaint while idle otherwise.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(RELOAD_EVERY_MS as u64));
    upstream_banner_ui(ui, scene);
    // An alarm's detail takes the whole screen: its timeline is what a technician reads.
    if let Some(detail) = view.alarms.detail.as_mut() {
        if !alarm_detail::detail_ui(ui, scene, detail, commands) {
            view.alarms.detail = None;
        }
        return;
    }
    // The alarms and incidents panel, above the list and the health page alike.
    alarms::alarms_ui(ui, scene, &mut view.alarms, commands);
    if let Some(form) = view.form.as_mut() {
        if !manages_devices(scene) || !register::form_ui(ui, scene, form, commands) {
            let saved = form.sent.is_some();
            view.form = None;
            if saved {
                view.refresh(); // the list and the open page show the record as stored
            }
        }
        return;
    }
    relays::relays_ui(ui, scene, &mut view.relays, commands);
    match view.open.clone() {
        Some(id) => page::page_ui(ui, scene, view, &id),
        None => list::list_ui(ui, scene, view),
    }
}

/// Asks for the list, and the open page, when they are not read or out of date.
fn ask(scene: Scene<'_>, view: &mut DevicesView, commands: &mut Vec<Command>) {
    alarms::ask(scene, &mut view.alarms, commands);
    if let Some(detail) = view.alarms.detail.as_mut() {
        alarm_detail::ask(scene, detail, commands);
    }
    relays::ask(scene, &mut view.relays, commands);
    let revision = scene.state.devices.revision;
    let fresh = Asked {
        revision,
        at: scene.now,
    };
    if view.asked_list.is_none_or(|a| a.stale(revision, scene.now)) {
        commands.push(Command::Devices(DeviceCommand::LoadList));
        view.asked_list = Some(fresh);
    }
    let Some(open) = &view.open else {
        view.asked_page = None;
        return;
    };
    let page_stale = view
        .asked_page
        .as_ref()
        .is_none_or(|(id, a)| id != open || a.stale(revision, scene.now));
    if page_stale {
        commands.push(Command::Devices(DeviceCommand::LoadHealth(open.clone())));
        view.asked_page = Some((open.clone(), fresh));
    }
}

/// Says, above everything, when the desk cannot know the devices' state: its link to the
/// central is down, or it has not caught up.
fn upstream_banner_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let t = text::text(scene.language);
    let upstream = desk_upstream(scene);
    let said = if upstream.central_unreachable {
        t.link_down
    } else if upstream.desk_behind {
        t.behind
    } else {
        return;
    };
    theme::chip_frame(theme::BANNER_NOTICE_BG).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let mut words = format!("⚠ {said}");
        if let Some((_, at)) = &scene.state.devices.list {
            words.push_str(&format!(
                " {} {}",
                t.list_as_of,
                crate::console::ui::i18n::when(*at, scene.now)
            ));
        }
        ui.add(egui::Label::new(egui::RichText::new(words).color(theme::STATUS_PENDING)).wrap());
    });
    ui.add_space(4.0);
}
