//! 告警详情, one alarm opened from the panel: what it is about, where it stands (active or
//! cleared × acknowledged or not), how often it came back, and its timeline — raised, cleared,
//! raised again, acknowledged by whom, assigned, commented, escalated, closed — in Beijing time;
//! for technicians 确认, 指派给 (a technician the central lists) and 备注.
//!
//! The page reads the alarm when it opens, when the feed or this desk's handling moves the
//! alarms, and every [`super::RELOAD_EVERY_MS`] while it is up.

use egui::RichText;

use super::Asked;
use super::alarms::{self, Names};
use super::text::{self, DevicesText};
use crate::console::messages::Command;
use crate::console::messages::devices::{
    AlarmDetail, AlarmEvent, AlarmKind, AlarmRecord, Assignee, DeviceCommand, DeviceRead,
};
use crate::console::ui::i18n;
use crate::console::ui::{Scene, theme};

/// Width of the particulars and handling column.
const FACTS_WIDTH: f32 = 430.0;

/// What the open detail remembers between frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailView {
    /// The alarm shown.
    pub alarm: u64,
    /// Its last read.
    asked: Option<Asked>,
    /// The technician picked in 指派给 (a login name).
    pub assignee: Option<String>,
    /// The comment being written.
    pub comment: String,
    /// `devices.answers` when the comment was sent (`None` while it is being written).
    pub comment_sent: Option<u64>,
}

impl DetailView {
    /// The detail of `alarm`, not read yet.
    pub fn new(alarm: u64) -> Self {
        Self {
            alarm,
            asked: None,
            assignee: None,
            comment: String::new(),
            comment_sent: None,
        }
    }

    /// Reads the alarm again on the next frame.
    pub fn refresh(&mut self) {
        self.asked = None;
    }
}

/// Who did it, in words: `central` is the central, `user:zhang` the display name the central
/// lists for `zhang` (the login name when it lists none).
pub fn who(by: &str, assignees: &[Assignee], t: &DevicesText) -> String {
    if by == "central" {
        return t.detail_central.to_owned();
    }
    let login = by.strip_prefix("user:").unwrap_or(by);
    person(login, assignees)
}

/// A login name as people know it: `张伟（zhang）` when the central lists the person.
pub fn person(login: &str, assignees: &[Assignee]) -> String {
    assignees.iter().find(|a| a.username == login).map_or_else(
        || login.to_owned(),
        |a| format!("{}（{login}）", a.display_name),
    )
}

/// Why an alarm closed, in words: the central writes `maintenance window 12` or `explained by
/// incident incident:township:350423105`.
pub fn closed_words(why: &str, t: &DevicesText) -> String {
    if let Some(window) = why.strip_prefix("maintenance window ") {
        return format!("{}{window}", t.event_closed_by_window);
    }
    if let Some(incident) = why.strip_prefix("explained by incident ") {
        return format!("{}{incident}", t.event_closed_by_incident);
    }
    why.to_owned()
}

/// One line of the timeline in words; an event this desk does not know is shown as written.
pub fn event_words(event: &AlarmEvent, assignees: &[Assignee], t: &DevicesText) -> String {
    match event.what.as_str() {
        "raised" => t.event_raised.to_owned(),
        "raised_again" => t.event_raised_again.to_owned(),
        "cleared" => t.event_cleared.to_owned(),
        "regrouped" => format!("{}{}{}", t.event_regrouped, t.colon, event.text),
        "acknowledged" => t.event_acknowledged.to_owned(),
        "assigned" => format!("{} {}", t.event_assigned, person(&event.text, assignees)),
        "commented" => format!("{}{}{}", t.event_commented, t.colon, event.text),
        "escalated" => t.event_escalated.to_owned(),
        "closed" if event.text.is_empty() => t.event_closed.to_owned(),
        "closed" => format!(
            "{}{}{}",
            t.event_closed,
            t.colon,
            closed_words(&event.text, t)
        ),
        other if event.text.is_empty() => other.to_owned(),
        other => format!("{other}{}{}", t.colon, event.text),
    }
}

/// The kind's words.
pub fn kind_words(kind: AlarmKind, t: &DevicesText) -> &'static str {
    match kind {
        AlarmKind::Silent => t.kind_silent,
        AlarmKind::Incident => t.kind_incident,
        AlarmKind::LowBattery => t.kind_low_battery,
        AlarmKind::ClockDrift => t.kind_clock_drift,
        AlarmKind::RelayStuck => t.kind_relay_stuck,
    }
}

/// Asks for the alarm when it is not read or out of date.
pub fn ask(scene: Scene<'_>, view: &mut DetailView, commands: &mut Vec<Command>) {
    let moved = scene.state.devices.alarms_moved();
    if view.asked.is_none_or(|a| a.stale(moved, scene.now)) {
        commands.push(Command::Devices(DeviceCommand::LoadAlarm(view.alarm)));
        view.asked = Some(Asked {
            revision: moved,
            at: scene.now,
        });
    }
}

/// Who alarms may be given to, as the central listed them (none before it did).
pub fn assignees(scene: Scene<'_>) -> &[Assignee] {
    scene.state.devices.assignees.as_deref().unwrap_or(&[])
}

/// Draws the page; `false` when it is to close (its back button).
pub fn detail_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DetailView,
    commands: &mut Vec<Command>,
) -> bool {
    let t = text::text(scene.language);
    if ui.button(t.detail_back).clicked() {
        return false;
    }
    clear_answered_comment(scene, view);
    if let Some(refusal) = &scene.state.devices.refusal
        && refusal.read == DeviceRead::Alarm(view.alarm)
    {
        let words = format!("⚠ {}：{}", t.detail_refused, refusal.message);
        ui.label(RichText::new(words).color(theme::STATUS_ERROR));
    }
    let Some(detail) = scene.state.devices.alarm_of(view.alarm) else {
        ui.label(RichText::new(t.detail_loading).color(theme::INK_MUTED));
        return true;
    };
    let (headline, covered) = alarms::names_ui(scene, |names: &Names<'_>| {
        let covered: Vec<String> = detail
            .alarm
            .devices
            .iter()
            .map(|d| (names.device)(d))
            .collect();
        (
            alarms::headline(&detail.alarm, names, scene.language),
            covered,
        )
    });
    title_ui(ui, &detail.alarm, &headline, t);
    ui.separator();
    let height = ui.available_height();
    ui.horizontal_top(|ui| {
        ui.allocate_ui_with_layout(
            egui::vec2(FACTS_WIDTH, height),
            egui::Layout::top_down(egui::Align::Min),
            |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("alarm-facts")
                    .show(ui, |ui| {
                        facts_ui(ui, scene, &detail.alarm, &covered, t);
                        if super::manages_devices(scene) && detail.alarm.closed_at.is_none() {
                            ui.add_space(10.0);
                            handling_ui(ui, scene, &detail.alarm, view, commands);
                        }
                    });
            },
        );
        ui.separator();
        ui.vertical(|ui| timeline_ui(ui, scene, detail, t));
    });
    true
}

/// Once the central has taken the comment, empties the box; a refused one stays to correct.
fn clear_answered_comment(scene: Scene<'_>, view: &mut DetailView) {
    let devices = &scene.state.devices;
    let Some(sent) = view.comment_sent else {
        return;
    };
    if devices.answers <= sent {
        return;
    }
    let refused = devices
        .refusal
        .as_ref()
        .is_some_and(|r| r.read == DeviceRead::Handling(view.alarm));
    if !refused && devices.last_handled == Some(view.alarm) {
        view.comment.clear();
    }
    view.comment_sent = None;
}

fn title_ui(ui: &mut egui::Ui, alarm: &AlarmRecord, headline: &str, t: &DevicesText) {
    ui.horizontal_wrapped(|ui| {
        let closed = alarm.closed_at.is_some();
        let (ink, fill) = if closed {
            (theme::INK_FAINT, theme::SURFACE_SUNKEN)
        } else {
            alarms::severity_colours(alarm.severity)
        };
        theme::chip_frame(fill).show(ui, |ui| {
            let words = alarms::severity_words(alarm.severity, t);
            ui.label(RichText::new(words).color(ink).strong());
        });
        ui.label(RichText::new(headline).size(theme::HEADING_SIZE).strong());
        theme::chip_frame(theme::SURFACE_SUNKEN).show(ui, |ui| {
            ui.label(alarms::state_words(alarm, t));
        });
    });
}

/// A label and its value in the facts grid.
fn fact(ui: &mut egui::Ui, label: &str, value: &str) {
    ui.label(RichText::new(label).color(theme::INK_MUTED));
    ui.add(egui::Label::new(value).wrap());
    ui.end_row();
}

fn facts_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    alarm: &AlarmRecord,
    covered: &[String],
    t: &DevicesText,
) {
    let now = scene.now;
    let people = assignees(scene);
    let dash = || "—".to_owned();
    let at =
        |time: Option<crate::domain::Timestamp>| time.map_or_else(dash, |x| i18n::when(x, now));
    egui::Grid::new(("alarm-facts-grid", alarm.id))
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            fact(ui, t.alarm_devices, &covered.join("、"));
            fact(ui, t.detail_kind, kind_words(alarm.kind, t));
            fact(
                ui,
                t.detail_severity,
                alarms::severity_words(alarm.severity, t),
            );
            fact(ui, t.detail_state, alarms::state_words(alarm, t));
            fact(ui, t.detail_occurrences, &alarm.occurrences.to_string());
            fact(ui, t.detail_first, &at(Some(alarm.raised_at)));
            fact(ui, t.detail_last, &at(Some(alarm.last_raised_at)));
            fact(ui, t.detail_cleared, &at(alarm.cleared_at));
            let acknowledged = alarm
                .acknowledged_by
                .as_deref()
                .map(|by| who(by, people, t));
            fact(
                ui,
                t.detail_acknowledged_by,
                &acknowledged.unwrap_or_else(dash),
            );
            let assignee = alarm.assignee.as_deref().map(|login| person(login, people));
            let assignee = assignee.unwrap_or_else(|| t.detail_unassigned.to_owned());
            fact(ui, t.alarm_assignee, &assignee);
            if let Some(escalated) = alarm.escalated_at {
                fact(ui, t.event_escalated, &i18n::when(escalated, now));
            }
        });
}

/// 确认, 指派给 and 备注, with the central's refusal of the last of them.
fn handling_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    alarm: &AlarmRecord,
    view: &mut DetailView,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    if !alarm.acknowledged && ui.button(t.alarm_acknowledge).clicked() {
        commands.push(Command::Devices(DeviceCommand::Acknowledge(alarm.id)));
    }
    assign_ui(ui, scene, alarm, view, commands, t);
    ui.add_space(6.0);
    let label = ui.label(RichText::new(t.comment_label).color(theme::INK_MUTED));
    let comment = egui::TextEdit::multiline(&mut view.comment)
        .background_color(theme::FIELD_BG)
        .hint_text(t.comment_hint)
        .desired_rows(3)
        .desired_width(FACTS_WIDTH - 20.0);
    ui.add(comment).labelled_by(label.id);
    let ready = !view.comment.trim().is_empty() && view.comment_sent.is_none();
    if ui
        .add_enabled(ready, egui::Button::new(t.comment_submit))
        .clicked()
    {
        commands.push(Command::Devices(DeviceCommand::Comment {
            alarm: alarm.id,
            text: view.comment.trim().to_owned(),
        }));
        view.comment_sent = Some(scene.state.devices.answers);
    }
    if let Some(refusal) = &scene.state.devices.refusal
        && refusal.read == DeviceRead::Handling(alarm.id)
    {
        let words = format!("⚠ {}", refusal.message);
        ui.add(egui::Label::new(RichText::new(words).color(theme::STATUS_ERROR)).wrap());
    }
}

fn assign_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    alarm: &AlarmRecord,
    view: &mut DetailView,
    commands: &mut Vec<Command>,
    t: &DevicesText,
) {
    let people = assignees(scene);
    if scene.state.devices.assignees.is_some() && people.is_empty() {
        ui.label(RichText::new(t.assignees_none).color(theme::INK_MUTED));
        return;
    }
    let picked = view.assignee.clone().or_else(|| alarm.assignee.clone());
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new(t.assign_label).color(theme::INK_MUTED));
        let shown = picked
            .as_deref()
            .map_or_else(|| t.assign_pick.to_owned(), |login| person(login, people));
        egui::ComboBox::from_id_salt(("alarm-assignee", alarm.id))
            .selected_text(shown)
            .width(200.0)
            .show_ui(ui, |ui| {
                for person in people {
                    let words = format!("{}（{}）", person.display_name, person.username);
                    ui.selectable_value(&mut view.assignee, Some(person.username.clone()), words);
                }
            })
            .response
            .labelled_by(label.id);
        let changed = picked.is_some() && picked != alarm.assignee;
        if ui
            .add_enabled(changed, egui::Button::new(t.assign_submit))
            .clicked()
            && let Some(assignee) = picked
        {
            commands.push(Command::Devices(DeviceCommand::Assign {
                alarm: alarm.id,
                assignee,
            }));
            view.assignee = None;
        }
    });
}

/// The timeline, oldest first: when (Beijing), who, what — the words wrap in what is left.
fn timeline_ui(ui: &mut egui::Ui, scene: Scene<'_>, detail: &AlarmDetail, t: &DevicesText) {
    ui.label(RichText::new(t.detail_timeline).strong());
    let people = assignees(scene);
    let heading = |text: &str| RichText::new(text).color(theme::INK_MUTED).small();
    timeline_row(
        ui,
        None,
        heading(t.detail_col_time),
        heading(t.detail_col_who),
        heading(t.detail_col_what),
    );
    egui::ScrollArea::vertical()
        .id_salt("alarm-timeline")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (index, event) in detail.events.iter().enumerate() {
                let fill = (index % 2 == 0).then_some(theme::SURFACE_SUNKEN);
                timeline_row(
                    ui,
                    fill,
                    RichText::new(i18n::when(event.at, scene.now)),
                    RichText::new(who(&event.by, people, t)),
                    RichText::new(event_words(event, people, t)),
                );
            }
        });
}

/// Widths of the timeline's time and who columns.
const TIMELINE_COLUMNS: [f32; 2] = [90.0, 180.0];

fn timeline_row(
    ui: &mut egui::Ui,
    fill: Option<egui::Color32>,
    when: RichText,
    who: RichText,
    what: RichText,
) {
    let frame = egui::Frame::new()
        .fill(fill.unwrap_or(egui::Color32::TRANSPARENT))
        .inner_margin(egui::Margin::symmetric(4, 3));
    frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_top(|ui| {
            for (text, width) in [(when, TIMELINE_COLUMNS[0]), (who, TIMELINE_COLUMNS[1])] {
                ui.allocate_ui_with_layout(
                    egui::vec2(width, ui.spacing().interact_size.y),
                    egui::Layout::left_to_right(egui::Align::Min),
                    |ui| {
                        ui.set_min_width(width);
                        ui.add(egui::Label::new(text).truncate());
                    },
                );
            }
            ui.add(egui::Label::new(what).wrap());
        });
    });
}

#[cfg(test)]
mod tests;
