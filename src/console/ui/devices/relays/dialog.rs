//! The confirmation of a switch: it names the device, the relay and the target; asks a reason
//! when a high-impact class is switched on; sends the command with a fresh id on 确认; and
//! shows the central's refusal — an interlock's names the interlock and the reading —
//! keeping what was typed, so the person can answer it and try again.

use egui::RichText;

use super::text::{self, RelaysText};
use super::{device_name, fresh_command_id, switch_gate, words};
use crate::console::messages::Command;
use crate::console::messages::devices::{
    CommandId, CommandRequest, DeviceCommand, RelayClass, RelayRequest, RelayView, Switch,
};
use crate::console::state::devices::relays::ActionRefusal;
use crate::console::ui::{Scene, theme};
use crate::domain::devices::DeviceId;

/// The refusal code of an interlock (shown the most prominently).
const INTERLOCK_REFUSED: &str = "interlock_refused";

/// The dialog's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchDialog {
    /// The device.
    pub device: DeviceId,
    /// Its name.
    pub device_name: String,
    /// The relay's channel.
    pub channel: u16,
    /// The relay's name.
    pub relay_name: String,
    /// Its class.
    pub class: RelayClass,
    /// What it is to be set to.
    pub target: Switch,
    /// The reason, as typed.
    pub reason: String,
    /// The command sent, waiting for the central's answer.
    pub sent: Option<CommandId>,
    /// The central's refusal of the last command sent.
    pub refused: Option<ActionRefusal>,
}

impl SwitchDialog {
    /// The dialog for setting `relay` to `target`.
    pub fn new(scene: Scene<'_>, relay: &RelayView, target: Switch) -> Self {
        Self {
            device: relay.device.clone(),
            device_name: device_name(scene, relay.device.as_str()),
            channel: relay.relay.channel,
            relay_name: relay.relay.name_zh.clone(),
            class: relay.relay.class,
            target,
            reason: String::new(),
            sent: None,
            refused: None,
        }
    }

    /// Whether the central insists on a reason: a high-impact class switched on.
    pub fn needs_reason(&self) -> bool {
        self.target == Switch::On && self.class.high_impact()
    }

    /// Whether it can be sent: nothing in flight, and a reason where one is needed.
    pub fn ready(&self) -> bool {
        self.sent.is_none() && (!self.needs_reason() || !self.reason.trim().is_empty())
    }

    /// The request 确认 sends, with a fresh id.
    pub fn request(&self, command_id: CommandId) -> CommandRequest {
        let reason = self.reason.trim();
        CommandRequest {
            command_id,
            device: self.device.clone(),
            channel: self.channel,
            target: self.target,
            reason: (!reason.is_empty()).then(|| reason.to_owned()),
            expires_in_s: None,
        }
    }

    /// Whether `refusal` is the one this dialog shows.
    pub fn shows_refusal_of(&self, refusal: &ActionRefusal) -> bool {
        self.refused.as_ref() == Some(refusal)
    }
}

/// What became of the dialog's command: closed once the central queued it; its refusal kept,
/// and the dialog open again for another try, when refused.
fn follow(scene: Scene<'_>, dialog: &mut SwitchDialog) -> bool {
    let relays = &scene.state.devices.relays;
    let Some(sent) = dialog.sent.clone() else {
        return false;
    };
    if relays.was_answered(&sent) {
        return true;
    }
    if let Some(refusal) = relays.refusal_of(&sent) {
        dialog.refused = Some(refusal.clone());
        dialog.sent = None;
    }
    false
}

/// Draws the dialog when it is open.
pub fn dialog_ui(
    ctx: &egui::Context,
    scene: Scene<'_>,
    view: &mut super::RelaysView,
    commands: &mut Vec<Command>,
) {
    let Some(dialog) = view.dialog.as_mut() else {
        return;
    };
    if follow(scene, dialog) {
        view.dialog = None;
        return;
    }
    let t = text::text(scene.language);
    let enabled = switch_gate(scene, dialog.class.capability()) == Some(true);
    let mut close = false;
    egui::Modal::new(egui::Id::unique("relay-switch-dialog")).show(ctx, |ui| {
        ui.set_width(460.0);
        ui.label(
            RichText::new(t.dialog_title)
                .size(theme::HEADING_SIZE)
                .strong(),
        );
        ui.add_space(6.0);
        particulars_ui(ui, scene, dialog, t);
        reason_ui(ui, dialog, t);
        refusal_ui(ui, dialog, t);
        if !enabled {
            ui.label(RichText::new(t.offline).color(theme::STATUS_ERROR));
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let confirm = egui::Button::new(RichText::new(t.confirm).strong());
            if ui.add_enabled(enabled && dialog.ready(), confirm).clicked() {
                let id = fresh_command_id();
                let request = dialog.request(id.clone());
                commands.push(Command::Devices(DeviceCommand::Relay(
                    RelayRequest::Switch(Box::new(request)),
                )));
                dialog.sent = Some(id);
            }
            close = ui.button(t.back).clicked();
            if dialog.sent.is_some() {
                ui.label(RichText::new(t.sending).color(theme::INK_MUTED));
            }
        });
    });
    if close {
        view.dialog = None;
    }
}

fn particulars_ui(ui: &mut egui::Ui, scene: Scene<'_>, dialog: &SwitchDialog, t: &RelaysText) {
    egui::Grid::new("relay-dialog-facts")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.label(t.dialog_device);
            ui.label(format!("{}（{}）", dialog.device_name, dialog.device));
            ui.end_row();
            ui.label(t.dialog_relay);
            ui.label(format!(
                "{} · {} · {}",
                dialog.channel,
                dialog.relay_name,
                dialog.class.name_zh()
            ));
            ui.end_row();
            ui.label(t.dialog_target);
            let target = words::target_word(dialog.target, scene.language);
            ui.label(RichText::new(target).strong().size(theme::HEADING_SIZE));
            ui.end_row();
        });
}

fn reason_ui(ui: &mut egui::Ui, dialog: &mut SwitchDialog, t: &RelaysText) {
    let (label, hint) = if dialog.needs_reason() {
        (t.dialog_reason, t.reason_required)
    } else {
        (t.reason_optional, "")
    };
    ui.add_space(4.0);
    let label = ui.label(label);
    let field = theme::text_field(&mut dialog.reason)
        .hint_text(hint)
        .desired_width(f32::INFINITY);
    ui.add(field).labelled_by(label.id);
}

/// The refusal, an interlock's the most prominent: which interlock and which reading.
fn refusal_ui(ui: &mut egui::Ui, dialog: &SwitchDialog, t: &RelaysText) {
    let Some(refusal) = &dialog.refused else {
        return;
    };
    ui.add_space(6.0);
    theme::chip_frame(theme::BANNER_ERROR_BG).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let heading = if refusal.code == INTERLOCK_REFUSED {
            format!("⚠ {}", t.refused)
        } else {
            t.refused.to_owned()
        };
        ui.label(RichText::new(heading).color(theme::STATUS_ERROR).strong());
        let words = RichText::new(&refusal.message).color(theme::STATUS_ERROR);
        let words = if refusal.code == INTERLOCK_REFUSED {
            words.strong()
        } else {
            words
        };
        ui.add(egui::Label::new(words).wrap());
    });
}
