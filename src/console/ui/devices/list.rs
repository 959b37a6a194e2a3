//! The device list: grouped by township in the station list's order, one row per device —
//! name (模拟 when the simulator plays it), kind, transport, its state in words, when it was
//! last heard, battery, signal, and its clock drift when that exceeds [`DRIFT_SHOWN_MS`].

use egui::RichText;

use super::text::{self, DevicesText};
use super::verdict::{self, Verdict};
use super::{DevicesView, central_now, upstream_of};
use crate::console::messages::devices::DeviceView;
use crate::console::ui::i18n::{self, Language};
use crate::console::ui::{Scene, theme};
use crate::domain::TownshipCode;
use crate::domain::devices::{DeviceKind, Transport};

/// A clock drift shown in the list (smaller ones are normal jitter).
pub const DRIFT_SHOWN_MS: i64 = 30_000;

/// Column widths: name, kind, transport, status, last heard, battery, signal, drift.
const COLUMNS: [f32; 8] = [270.0, 150.0, 120.0, 200.0, 190.0, 80.0, 90.0, 100.0];

/// One row as text: the cells a test can look for on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Display name.
    pub name: String,
    /// Simulated: the 模拟 badge.
    pub simulated: bool,
    /// Kind.
    pub kind: String,
    /// Transport.
    pub transport: String,
    /// State in words.
    pub verdict: Verdict,
    /// Last heard: Beijing time and age, or 从未.
    pub last: String,
    /// Battery, `12.6 V`.
    pub battery: String,
    /// Signal, `-71 dBm`.
    pub signal: String,
    /// Clock drift when large, `+45 秒`.
    pub drift: String,
}

/// The kind's name.
pub fn kind_name(kind: DeviceKind, language: Language) -> &'static str {
    match language {
        Language::Zh => kind.name_zh(),
        Language::En => kind.name_en(),
    }
}

/// The transport's name.
pub fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Mqtt => "MQTT",
        Transport::ModbusTcp => "Modbus TCP",
        Transport::ModbusDtu => "Modbus RTU · DTU",
    }
}

/// A clock drift in seconds with its sign: `+45 秒` / `+45 s`.
pub fn drift_text(language: Language, drift_ms: i64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "drifts are far below 2^52 ms")]
    let seconds = drift_ms as f64 / 1_000.0;
    match language {
        Language::Zh => format!("{seconds:+.0} 秒"),
        Language::En => format!("{seconds:+.0} s"),
    }
}

/// The row of `view` in `scene`, judged against `devices` (for its DTU).
pub fn row(scene: Scene<'_>, view: &DeviceView, devices: &[DeviceView]) -> Row {
    let t = text::text(scene.language);
    let now = central_now(scene);
    let health = &view.health;
    let last = health.last_seen.map_or_else(
        || t.never.to_owned(),
        |seen| {
            format!(
                "{} · {}",
                i18n::when(seen, scene.now),
                i18n::age(scene.language, seen, now)
            )
        },
    );
    Row {
        name: view.device.name_zh.clone(),
        simulated: view.device.simulated,
        kind: kind_name(view.device.kind, scene.language).to_owned(),
        transport: transport_name(view.device.transport).to_owned(),
        verdict: verdict::verdict(view, now, upstream_of(scene, view, devices)),
        last,
        battery: health
            .battery_v
            .map_or_else(|| "—".to_owned(), |v| format!("{v:.1} V")),
        signal: health
            .rssi_dbm
            .map_or_else(|| "—".to_owned(), |v| format!("{v:.0} dBm")),
        drift: health
            .clock_drift_ms
            .filter(|d| d.abs() > DRIFT_SHOWN_MS)
            .map_or_else(String::new, |d| drift_text(scene.language, d)),
    }
}

/// The devices of each township, in the network's township order; devices whose township
/// the network does not know come last, under `None`.
pub fn by_township<'a>(
    scene: Scene<'_>,
    devices: &'a [DeviceView],
) -> Vec<(Option<TownshipCode>, Vec<&'a DeviceView>)> {
    let townships = &scene.state.network.townships;
    let mut groups: Vec<(Option<TownshipCode>, Vec<&DeviceView>)> = townships
        .iter()
        .map(|township| {
            let members = devices
                .iter()
                .filter(|d| d.device.township == township.code)
                .collect();
            (Some(township.code), members)
        })
        .collect();
    let homeless: Vec<&DeviceView> = devices
        .iter()
        .filter(|d| !townships.iter().any(|t| t.code == d.device.township))
        .collect();
    groups.push((None, homeless));
    groups.retain(|(_, members)| !members.is_empty());
    groups
}

/// Draws the list (or why there is none).
pub fn list_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut DevicesView) {
    let t = text::text(scene.language);
    title_ui(ui, scene, view, t);
    let state = &scene.state.devices;
    if let Some(refusal) = state
        .refusal
        .as_ref()
        .filter(|r| r.read == crate::console::messages::devices::DeviceRead::List)
    {
        let (message, code) = (&refusal.message, &refusal.code);
        crate::console::ui::warnings::refusal_banner_ui(
            ui,
            scene,
            t.list_refused,
            message,
            code,
            |_| {},
        );
    }
    let Some((list, _)) = &state.list else {
        if state.refusal.is_none() {
            ui.label(RichText::new(t.loading).color(theme::INK_MUTED));
        }
        return;
    };
    if list.devices.is_empty() {
        ui.label(RichText::new(t.none).color(theme::INK_MUTED));
        return;
    }
    header_ui(ui, t);
    egui::ScrollArea::vertical()
        .id_salt("device_list")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (township, members) in by_township(scene, &list.devices) {
                township_header_ui(ui, scene, township, t);
                for device in members {
                    let row = row(scene, device, &list.devices);
                    if row_ui(ui, scene, &row, t) {
                        view.open = Some(device.device.id.clone());
                    }
                }
            }
        });
}

fn title_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut DevicesView, t: &DevicesText) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(t.title).size(theme::HEADING_SIZE).strong());
        if let Some((list, at)) = &scene.state.devices.list {
            ui.label(
                RichText::new(format!(
                    "{} · {} {}",
                    list.devices.len(),
                    t.list_as_of,
                    i18n::hms(*at)
                ))
                .color(theme::INK_MUTED),
            );
        }
        if ui.button(t.refresh).clicked() {
            view.refresh();
        }
        // Only who manages devices is offered the registry form.
        if super::manages_devices(scene) && ui.button(t.register_open).clicked() {
            view.form = Some(super::register::DeviceForm::new());
        }
    });
    ui.separator();
}

/// A cell of the row's fixed width.
fn cell<R>(ui: &mut egui::Ui, width: f32, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let height = ui.spacing().interact_size.y;
    ui.allocate_ui_with_layout(
        egui::vec2(width, height),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(width);
            add(ui)
        },
    )
    .inner
}

fn header_ui(ui: &mut egui::Ui, t: &DevicesText) {
    let heads = [
        t.col_name,
        t.col_kind,
        t.col_transport,
        t.col_status,
        t.col_last,
        t.col_battery,
        t.col_signal,
        t.col_drift,
    ];
    ui.horizontal(|ui| {
        for (head, width) in heads.into_iter().zip(COLUMNS) {
            cell(ui, width, |ui| {
                ui.label(RichText::new(head).color(theme::INK_MUTED).small());
            });
        }
    });
}

fn township_header_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    township: Option<TownshipCode>,
    t: &DevicesText,
) {
    let name = township
        .and_then(|code| scene.state.network.township(code))
        .map_or_else(
            || t.other_township.to_owned(),
            |township| i18n::township_name(scene.language, township),
        );
    ui.add_space(6.0);
    ui.label(RichText::new(name).strong().color(theme::INK));
    ui.separator();
}

/// One row; whether its name was clicked (opening its health page).
fn row_ui(ui: &mut egui::Ui, scene: Scene<'_>, row: &Row, t: &DevicesText) -> bool {
    ui.horizontal(|ui| {
        let opened = cell(ui, COLUMNS[0], |ui| {
            let clicked = ui.link(row.name.as_str()).clicked();
            if row.simulated {
                simulated_badge_ui(ui, t);
            }
            clicked
        });
        let plain = [&row.kind, &row.transport];
        for (value, width) in plain.into_iter().zip(&COLUMNS[1..3]) {
            cell(ui, *width, |ui| ui.label(value.as_str()));
        }
        cell(ui, COLUMNS[3], |ui| status_chip_ui(ui, scene, row.verdict));
        let rest = [&row.last, &row.battery, &row.signal];
        for (value, width) in rest.into_iter().zip(&COLUMNS[4..7]) {
            cell(ui, *width, |ui| ui.label(value.as_str()));
        }
        cell(ui, COLUMNS[7], |ui| {
            ui.label(RichText::new(row.drift.as_str()).color(theme::STATUS_PENDING))
        });
        opened
    })
    .inner
}

/// The 模拟 badge.
pub fn simulated_badge_ui(ui: &mut egui::Ui, t: &DevicesText) {
    theme::chip_frame(theme::SIMULATED_BG).show(ui, |ui| {
        ui.label(
            RichText::new(t.simulated)
                .color(theme::SIMULATED_FG)
                .small(),
        );
    });
}

/// The state in words on its colour.
pub fn status_chip_ui(ui: &mut egui::Ui, scene: Scene<'_>, verdict: Verdict) {
    let t = text::text(scene.language);
    let (ink, fill) = verdict.colours();
    theme::chip_frame(fill).show(ui, |ui| {
        ui.label(
            RichText::new(verdict.words(t, scene.language))
                .color(ink)
                .strong(),
        );
    });
}
