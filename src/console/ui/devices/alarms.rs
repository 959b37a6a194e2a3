//! 设备告警, the panel at the top of the devices screen: the central's device alarms, open ones
//! first and newest first, each said in words a technician acts on ("赖坊镇 3 台设备同时失联",
//! "告警中·未确认"), with 确认 and 登记维护 for those who manage devices. A visit recorded here
//! is a maintenance window whose visit closes the alarm.
//!
//! The panel reads the alarms when the screen opens, when the feed says an alarm changed
//! (`devices.alarm_revision`), after this desk's own handling, and with the list's reread.

use egui::RichText;

use super::text::{self, DevicesText};
use super::{Asked, central_now};
use crate::console::messages::Command;
use crate::console::messages::devices::{
    AlarmKind, AlarmRecord, DeviceCommand, DeviceRead, DeviceView, NewMaintenance, Scope, Severity,
    Visit, VisitKind,
};
use crate::console::state::account::Gate;
use crate::console::ui::i18n::{self, Language};
use crate::console::ui::{Scene, theme};
use crate::domain::TownshipCode;
use crate::domain::access::Capability;
use crate::domain::devices::DeviceId;
use crate::domain::time::MINUTE_MS;

/// The share of the screen's height the list of alarms takes before it scrolls, so the device
/// list stays in view; never less than [`LIST_MIN_HEIGHT`].
const LIST_SHARE: f32 = 0.55;
/// The least height the list of alarms may scroll in (a visit form fits whole).
const LIST_MIN_HEIGHT: f32 = 300.0;

/// The kinds of visit a technician picks from, in the order offered.
const VISIT_KINDS: [VisitKind; 5] = [
    VisitKind::Repair,
    VisitKind::Routine,
    VisitKind::Calibration,
    VisitKind::Replacement,
    VisitKind::Installation,
];

/// What the panel remembers between frames.
#[derive(Debug, Default)]
pub struct AlarmsView {
    /// The alarms' last read.
    asked: Option<Asked>,
    /// The visit being recorded, if any.
    form: Option<VisitForm>,
    /// The alarm whose detail is open (in the screen's place), if any.
    pub detail: Option<super::alarm_detail::DetailView>,
    /// Who alarms may be given to was asked for (by those who give them).
    asked_assignees: bool,
}

impl AlarmsView {
    /// Reads the alarms again on the next frame.
    pub fn refresh(&mut self) {
        self.asked = None;
        self.asked_assignees = false;
        if let Some(detail) = self.detail.as_mut() {
            detail.refresh();
        }
    }
}

/// The small form of 登记维护.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitForm {
    /// The alarm the visit closes.
    pub alarm: u64,
    /// Which of the alarm's devices was visited (an index into its devices).
    pub device: usize,
    /// The kind of visit.
    pub kind: VisitKind,
    /// Parts replaced, as typed.
    pub parts: String,
    /// What was done.
    pub note: String,
    /// The window's start, minutes before now.
    pub from_minutes_ago: u32,
    /// The window's end, minutes before now.
    pub to_minutes_ago: u32,
    /// `devices.answers` when it was sent (`None` while it is being filled in).
    pub sent: Option<u64>,
}

impl VisitForm {
    /// The form for `alarm`, a repair of its first device over the last hour.
    pub fn new(alarm: &AlarmRecord, headline: &str, t: &DevicesText) -> Self {
        Self {
            alarm: alarm.id,
            device: 0,
            kind: VisitKind::Repair,
            parts: String::new(),
            note: format!("{}{headline}", t.visit_note_prefix),
            from_minutes_ago: 60,
            to_minutes_ago: 0,
            sent: None,
        }
    }
}

/// Parts as typed, split at 、 and commas, trimmed, empty ones dropped.
pub fn parts(typed: &str) -> Vec<String> {
    typed
        .split(['、', ',', '，'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The alarms in the panel's order: open ones first, each group newest first, the more
/// severe first among those raised together.
pub fn ordered(alarms: &[AlarmRecord]) -> Vec<&AlarmRecord> {
    use std::cmp::Reverse;
    let mut ordered: Vec<&AlarmRecord> = alarms.iter().collect();
    ordered.sort_by_key(|a| {
        let newest = Reverse(a.last_raised_at);
        (a.closed_at.is_some(), newest, Reverse(a.severity))
    });
    ordered
}

/// Where an alarm stands, in words.
pub fn state_words(alarm: &AlarmRecord, t: &DevicesText) -> &'static str {
    match (alarm.closed_at.is_some(), alarm.active, alarm.acknowledged) {
        (true, ..) => t.alarm_closed,
        (false, true, false) => t.alarm_active_unacked,
        (false, true, true) => t.alarm_active_acked,
        (false, false, false) => t.alarm_cleared_unacked,
        (false, false, true) => t.alarm_cleared_acked,
    }
}

/// A severity's word.
pub fn severity_words(severity: Severity, t: &DevicesText) -> &'static str {
    match severity {
        Severity::Critical => t.severity_critical,
        Severity::Major => t.severity_major,
        Severity::Minor => t.severity_minor,
    }
}

/// A severity's ink and tint.
pub fn severity_colours(severity: Severity) -> (egui::Color32, egui::Color32) {
    match severity {
        Severity::Critical => theme::ALARM_CRITICAL,
        Severity::Major => theme::ALARM_MAJOR,
        Severity::Minor => theme::ALARM_MINOR,
    }
}

/// What a kind of visit is called.
pub fn visit_kind_words(kind: VisitKind, t: &DevicesText) -> &'static str {
    match kind {
        VisitKind::Routine => t.visit_routine,
        VisitKind::Repair => t.visit_repair,
        VisitKind::Calibration => t.visit_calibration,
        VisitKind::Replacement => t.visit_replacement,
        VisitKind::Installation => t.visit_installation,
    }
}

/// How the panel names devices and townships.
pub struct Names<'a> {
    /// A device's display name (its id when the list does not know it).
    pub device: &'a dyn Fn(&str) -> String,
    /// A township's name.
    pub township: &'a dyn Fn(u32) -> String,
}

/// What the alarm is about, in one line: an incident by its scope and size, a device alarm by
/// the device's name and kind.
pub fn headline(alarm: &AlarmRecord, names: &Names<'_>, language: Language) -> String {
    let t = text::text(language);
    let n = alarm.devices.len();
    let zh = language == Language::Zh;
    let kind = match alarm.kind {
        AlarmKind::Incident => return incident_words(alarm, names, language),
        AlarmKind::Silent => t.kind_silent,
        AlarmKind::LowBattery => t.kind_low_battery,
        AlarmKind::ClockDrift => t.kind_clock_drift,
        AlarmKind::RelayStuck => t.kind_relay_stuck,
    };
    let device = alarm
        .devices
        .first()
        .map_or(alarm.subject.as_str(), String::as_str);
    if n > 1 && !zh {
        return format!("{} and {} more: {kind}", (names.device)(device), n - 1);
    }
    format!("{} {kind}", (names.device)(device))
}

fn incident_words(alarm: &AlarmRecord, names: &Names<'_>, language: Language) -> String {
    let n = alarm.devices.len();
    let zh = language == Language::Zh;
    match (&alarm.scope, zh) {
        (Some(Scope::Township(code)), true) => {
            format!("{} {n} 台设备同时失联", (names.township)(*code))
        }
        (Some(Scope::Township(code)), false) => {
            format!("{n} devices in {} silent together", (names.township)(*code))
        }
        (Some(Scope::Dtu(dtu)), true) => format!("DTU {dtu} 下 {n} 台设备同时失联"),
        (Some(Scope::Dtu(dtu)), false) => format!("{n} devices behind DTU {dtu} silent together"),
        (Some(Scope::Broker), true) => format!("中心与 MQTT 代理的连接中断，{n} 台设备无法上报"),
        (Some(Scope::Broker), false) => {
            format!("the central's MQTT broker link is down: {n} devices cannot report")
        }
        (Some(Scope::Cellular), true) => format!("全县 4G 设备 {n} 台同时失联"),
        (Some(Scope::Cellular), false) => format!("{n} 4G devices county-wide silent together"),
        (Some(Scope::Device(id)), true) => format!("{} 失联", (names.device)(id)),
        (Some(Scope::Device(id)), false) => format!("{} silent", (names.device)(id)),
        (None, true) => format!("{n} 台设备同时失联"),
        (None, false) => format!("{n} devices silent together"),
    }
}

/// Asks for the alarms when they are not read or out of date.
pub fn ask(scene: Scene<'_>, view: &mut AlarmsView, commands: &mut Vec<Command>) {
    let moved = scene.state.devices.alarms_moved();
    if view.asked.is_none_or(|a| a.stale(moved, scene.now)) {
        commands.push(Command::Devices(DeviceCommand::LoadAlarms));
        view.asked = Some(Asked {
            revision: moved,
            at: scene.now,
        });
    }
    // The technicians' names, for the assignee and the timeline.
    if !view.asked_assignees && super::manages_devices(scene) {
        commands.push(Command::Devices(DeviceCommand::LoadAssignees));
        view.asked_assignees = true;
    }
}

/// Draws the panel: a collapsible header saying how many alarms are open, then the alarms.
pub fn alarms_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut AlarmsView,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    close_answered_form(scene, view);
    let alarms = scene.state.devices.alarms.as_ref().map(|(list, _)| list);
    let title = match alarms {
        None => format!("{}（{}）", t.alarms_title, t.alarms_loading),
        Some(list) => match list.alarms.iter().filter(|a| a.closed_at.is_none()).count() {
            0 => format!("{}：{}", t.alarms_title, t.alarms_none_open),
            open => format!("{} ({open})", t.alarms_title),
        },
    };
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("device-alarms")
        .default_open(true)
        .show(ui, |ui| {
            list_refusal_ui(ui, scene, t);
            let Some(list) = alarms else { return };
            egui::ScrollArea::vertical()
                .id_salt("device-alarms-list")
                .max_height((ui.available_height() * LIST_SHARE).max(LIST_MIN_HEIGHT))
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    for alarm in ordered(&list.alarms) {
                        alarm_ui(ui, scene, alarm, view, commands);
                    }
                });
        });
    ui.separator();
}

/// Once the central has answered the form: closes it when the visit was recorded, and lets
/// the technician correct it and send it again when it was refused.
fn close_answered_form(scene: Scene<'_>, view: &mut AlarmsView) {
    let devices = &scene.state.devices;
    let Some(form) = view.form.as_mut() else {
        return;
    };
    if form.sent.is_none_or(|sent| devices.answers <= sent) {
        return;
    }
    let refused = devices
        .refusal
        .as_ref()
        .is_some_and(|r| r.read == DeviceRead::Handling(form.alarm));
    if refused {
        form.sent = None;
    } else if devices.last_handled == Some(form.alarm) {
        view.form = None;
    }
}

fn list_refusal_ui(ui: &mut egui::Ui, scene: Scene<'_>, t: &DevicesText) {
    if let Some(refusal) = &scene.state.devices.refusal
        && refusal.read == DeviceRead::Alarms
    {
        let words = format!("{}：{}", t.alarms_refused, refusal.message);
        ui.label(RichText::new(words).color(theme::STATUS_ERROR));
    }
}

/// How the panel names things, from the device list and the network.
pub(super) fn names_ui<R>(scene: Scene<'_>, with: impl FnOnce(&Names<'_>) -> R) -> R {
    let devices: &[DeviceView] = scene
        .state
        .devices
        .list
        .as_ref()
        .map_or(&[], |(list, _)| &list.devices);
    let device = |id: &str| {
        devices
            .iter()
            .find(|d| d.device.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |d| d.device.name_zh.clone())
    };
    let township = |code: u32| {
        scene
            .state
            .network
            .township(TownshipCode(code))
            .map_or_else(
                || code.to_string(),
                |t| i18n::township_name(scene.language, t),
            )
    };
    with(&Names {
        device: &device,
        township: &township,
    })
}

/// One alarm: its headline and state, then its particulars, its buttons, and its form.
fn alarm_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    alarm: &AlarmRecord,
    view: &mut AlarmsView,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let (headline, covered) = names_ui(scene, |names| {
        let covered: Vec<String> = alarm.devices.iter().map(|d| (names.device)(d)).collect();
        (headline(alarm, names, scene.language), covered)
    });
    let closed = alarm.closed_at.is_some();
    let manages = scene.state.account.gate(Capability::ManageDevices) == Gate::Allowed;
    ui.horizontal_wrapped(|ui| {
        let (ink, fill) = if closed {
            (theme::INK_FAINT, theme::SURFACE_SUNKEN)
        } else {
            severity_colours(alarm.severity)
        };
        theme::chip_frame(fill).show(ui, |ui| {
            ui.label(
                RichText::new(severity_words(alarm.severity, t))
                    .color(ink)
                    .strong(),
            );
        });
        let ink = if closed { theme::INK_MUTED } else { theme::INK };
        // The headline opens the alarm's detail and timeline.
        let open = egui::Link::new(RichText::new(&headline).strong().color(theme::ACCENT));
        if ui.add(open).on_hover_text(t.alarm_open_detail).clicked() {
            view.detail = Some(super::alarm_detail::DetailView::new(alarm.id));
        }
        theme::chip_frame(theme::SURFACE_SUNKEN).show(ui, |ui| {
            ui.label(RichText::new(state_words(alarm, t)).color(ink));
        });
        if alarm.occurrences > 1 {
            ui.label(RichText::new(format!("×{}", alarm.occurrences)).strong());
        }
        if manages && !closed {
            buttons_ui(ui, alarm, &headline, view, commands, t);
        }
    });
    particulars_ui(ui, scene, alarm, &covered, t);
    handling_refusal_ui(ui, scene, alarm.id);
    if view.form.as_ref().is_some_and(|f| f.alarm == alarm.id) && manages && !closed {
        visit_form_ui(ui, scene, alarm, &covered, view, commands);
    }
    ui.add_space(4.0);
}

fn buttons_ui(
    ui: &mut egui::Ui,
    alarm: &AlarmRecord,
    headline: &str,
    view: &mut AlarmsView,
    commands: &mut Vec<Command>,
    t: &DevicesText,
) {
    if !alarm.acknowledged && ui.button(t.alarm_acknowledge).clicked() {
        commands.push(Command::Devices(DeviceCommand::Acknowledge(alarm.id)));
    }
    let open = view.form.as_ref().is_some_and(|f| f.alarm == alarm.id);
    if !open && ui.button(t.alarm_record_visit).clicked() {
        view.form = Some(VisitForm::new(alarm, headline, t));
    }
}

/// The small print: devices covered, when raised, assignee, escalation.
fn particulars_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    alarm: &AlarmRecord,
    covered: &[String],
    t: &DevicesText,
) {
    let now = scene.now;
    let mut said = vec![format!("{}：{}", t.alarm_devices, covered.join("、"))];
    said.push(format!(
        "{} {}",
        t.alarm_raised,
        i18n::when(alarm.raised_at, now)
    ));
    if alarm.last_raised_at != alarm.raised_at {
        let last = i18n::when(alarm.last_raised_at, now);
        said.push(format!("{} {last}", t.alarm_last_raised));
    }
    if let Some(assignee) = &alarm.assignee {
        let people = super::alarm_detail::assignees(scene);
        let assignee = super::alarm_detail::person(assignee, people);
        said.push(format!("{}：{assignee}", t.alarm_assignee));
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(said.join(" · "))
                .small()
                .color(theme::INK_MUTED),
        );
        if alarm.escalated_at.is_some() && alarm.closed_at.is_none() {
            ui.label(
                RichText::new(t.alarm_escalated)
                    .small()
                    .color(theme::STATUS_ERROR),
            );
        }
    });
}

fn handling_refusal_ui(ui: &mut egui::Ui, scene: Scene<'_>, alarm: u64) {
    if let Some(refusal) = &scene.state.devices.refusal
        && refusal.read == DeviceRead::Handling(alarm)
    {
        let words = format!("⚠ {}", refusal.message);
        ui.add(egui::Label::new(RichText::new(words).color(theme::STATUS_ERROR)).wrap());
    }
}

/// The device a visit to `covered[index]` of `alarm` is to, with the station its window is
/// recorded at (its own, or for a board without one its reference station).
fn visit_target(scene: Scene<'_>, alarm: &AlarmRecord, index: usize) -> Option<(DeviceId, String)> {
    let id = alarm.devices.get(index)?;
    let (list, _) = scene.state.devices.list.as_ref()?;
    let device = &list
        .devices
        .iter()
        .find(|d| d.device.id.as_str() == id)?
        .device;
    let station = device
        .station
        .as_ref()
        .or(device.reference_station.as_ref())?;
    Some((device.id.clone(), station.to_string()))
}

fn visit_form_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    alarm: &AlarmRecord,
    covered: &[String],
    view: &mut AlarmsView,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let Some(form) = view.form.as_mut() else {
        return;
    };
    let mut cancel = false;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(t.visit_title).strong());
        egui::Grid::new(("visit-form", alarm.id))
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| form_fields_ui(ui, form, covered, t));
        let target = visit_target(scene, alarm, form.device);
        match &target {
            Some((_, station)) => ui.label(format!("{}：{station}", t.visit_station)),
            None => ui.label(RichText::new(t.visit_no_station).color(theme::STATUS_ERROR)),
        };
        ui.horizontal(|ui| {
            let ready = target.is_some() && form.sent.is_none();
            if ui
                .add_enabled(ready, egui::Button::new(t.visit_submit))
                .clicked()
                && let Some((device, station)) = target
            {
                let window = window(scene, form, device, station);
                commands.push(Command::Devices(DeviceCommand::RecordVisit {
                    alarm: alarm.id,
                    window: Box::new(window),
                }));
                form.sent = Some(scene.state.devices.answers);
            }
            cancel = ui.button(t.visit_cancel).clicked();
        });
    });
    if cancel {
        view.form = None;
    }
}

fn form_fields_ui(ui: &mut egui::Ui, form: &mut VisitForm, covered: &[String], t: &DevicesText) {
    let label = ui.label(t.visit_device);
    egui::ComboBox::from_id_salt(("visit-device", form.alarm))
        .selected_text(covered.get(form.device).map_or("", String::as_str))
        .show_ui(ui, |ui| {
            for (index, name) in covered.iter().enumerate() {
                ui.selectable_value(&mut form.device, index, name);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    let label = ui.label(t.visit_kind);
    egui::ComboBox::from_id_salt(("visit-kind", form.alarm))
        .selected_text(visit_kind_words(form.kind, t))
        .show_ui(ui, |ui| {
            for kind in VISIT_KINDS {
                ui.selectable_value(&mut form.kind, kind, visit_kind_words(kind, t));
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    let label = ui.label(t.visit_parts);
    let parts = theme::text_field(&mut form.parts).hint_text(t.visit_parts_hint);
    ui.add(parts).labelled_by(label.id);
    ui.end_row();
    let label = ui.label(t.visit_note);
    let note = theme::text_field(&mut form.note).desired_width(420.0);
    ui.add(note).labelled_by(label.id);
    ui.end_row();
    let label = ui.label(t.visit_from);
    let from = egui::DragValue::new(&mut form.from_minutes_ago).range(0..=7 * 24 * 60);
    ui.add(from).labelled_by(label.id);
    ui.end_row();
    let label = ui.label(t.visit_to);
    let to = egui::DragValue::new(&mut form.to_minutes_ago).range(0..=form.from_minutes_ago);
    ui.add(to).labelled_by(label.id);
    ui.end_row();
}

/// The maintenance window the form describes, on the central's clock.
fn window(scene: Scene<'_>, form: &VisitForm, device: DeviceId, station: String) -> NewMaintenance {
    let now = central_now(scene);
    let ago = |minutes: u32| now.plus_ms(-i64::from(minutes) * MINUTE_MS);
    NewMaintenance {
        station,
        from: ago(form.from_minutes_ago),
        to: Some(ago(form.to_minutes_ago)),
        note: form.note.trim().to_owned(),
        visit: Some(Visit {
            device,
            kind: form.kind,
            parts: parts(&form.parts),
            sensors: Vec::new(),
            closes: vec![form.alarm],
        }),
    }
}

#[cfg(test)]
mod tests;
