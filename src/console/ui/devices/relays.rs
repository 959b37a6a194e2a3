//! 继电器控制, the relays panel of the devices screen: every relay with what was commanded
//! (指令), when its device acknowledged (设备确认) and what its device read back (实测),
//! said apart — a relay is never shown on because it was told to be. Absolute 开 and 关
//! buttons for those whose role may switch the relay's class, each through a confirmation
//! dialog ([`dialog`]); a waiting command counts down to its expiry and may be withdrawn; the
//! automations' proposals above, confirmed or dismissed in one click ([`proposals`]).
//!
//! The panel reads the relays when the screen opens, when the feed says a relay changed
//! (`devices.relays.revision`), after this desk's own actions, and with the list's reread.

pub mod dialog;
pub mod proposals;
pub mod text;
pub mod words;

use egui::RichText;

use self::text::RelaysText;
use super::Asked;
use crate::console::messages::devices::{
    CommandId, CommandState, DeviceCommand, RelayRequest, RelayView, Switch,
};
use crate::console::messages::{Command, LinkStatus};
use crate::console::state::account::Gate;
use crate::console::ui::{Scene, theme};
use crate::domain::Timestamp;
use crate::domain::access::Capability;

/// What the panel remembers between frames.
#[derive(Debug, Default)]
pub struct RelaysView {
    /// The relays' last read.
    asked: Option<Asked>,
    /// The confirmation dialog, while open.
    pub dialog: Option<dialog::SwitchDialog>,
}

impl RelaysView {
    /// Reads the relays again on the next frame.
    pub fn refresh(&mut self) {
        self.asked = None;
    }
}

/// A fresh command id from 12 random bytes: a desk that sends a request again cannot queue a
/// second command, and two desks never make the same id.
pub fn fresh_command_id() -> CommandId {
    let mut bytes = [0_u8; 12];
    if let Err(error) = getrandom::fill(&mut bytes) {
        tracing::error!(%error, "no randomness for a command id");
    }
    CommandId::from_random(bytes)
}

/// Whether this desk may switch relays of a class gated by `capability`: hidden (`None`) when
/// the role may not, shown disabled (`Some(false)`) while the central cannot be asked.
pub fn switch_gate(scene: Scene<'_>, capability: Capability) -> Option<bool> {
    let account = &scene.state.account;
    let gates = [
        account.gate(Capability::CommandRelays),
        account.gate(capability),
    ];
    if gates
        .iter()
        .any(|g| matches!(g, Gate::NeedsRole(_) | Gate::SignedOut))
    {
        return None;
    }
    let online = matches!(scene.state.link, LinkStatus::Online { .. });
    Some(online && gates.iter().all(|g| *g == Gate::Allowed))
}

/// Asks for the relays (and the proposals) when they are not read or out of date.
pub fn ask(scene: Scene<'_>, view: &mut RelaysView, commands: &mut Vec<Command>) {
    let moved = scene.state.devices.relays.moved();
    if view.asked.is_none_or(|a| a.stale(moved, scene.now)) {
        commands.push(Command::Devices(DeviceCommand::Relay(RelayRequest::Load)));
        commands.push(Command::Devices(DeviceCommand::Relay(
            RelayRequest::LoadProposals,
        )));
        view.asked = Some(Asked {
            revision: moved,
            at: scene.now,
        });
    }
}

/// The central's clock now, as the desk reckons it from the relays' read.
fn central_now(scene: Scene<'_>) -> Timestamp {
    scene
        .state
        .devices
        .relays
        .central_now(scene.now)
        .unwrap_or(scene.now)
}

/// A device's display name (its id when the list does not know it).
pub fn device_name(scene: Scene<'_>, id: &str) -> String {
    scene
        .state
        .devices
        .list
        .as_ref()
        .and_then(|(list, _)| list.devices.iter().find(|d| d.device.id.as_str() == id))
        .map_or_else(|| id.to_owned(), |d| d.device.name_zh.clone())
}

/// Draws the panel (nothing when no device has relays), and the dialog when open.
pub fn relays_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut RelaysView,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let relays = scene.state.devices.relays.list.as_ref().map(|(l, _)| l);
    if relays.is_some_and(|l| l.relays.is_empty()) {
        return;
    }
    let waiting = relays.is_some_and(|l| {
        l.relays
            .iter()
            .any(|r| r.last_command.as_ref().is_some_and(|c| !c.state.is_final()))
    });
    if waiting {
        // The countdown and the command's steps: look again every second while one waits.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
    egui::CollapsingHeader::new(RichText::new(t.title).strong())
        .id_salt("relays")
        .default_open(true)
        .show(ui, |ui| {
            proposals::proposals_ui(ui, scene, commands);
            let Some(list) = relays else {
                ui.label(RichText::new(t.loading).color(theme::INK_MUTED));
                return;
            };
            action_refusal_ui(ui, scene, view);
            grid_ui(ui, scene, &list.relays, view, commands, t);
            ui.label(
                RichText::new(t.observed_note)
                    .small()
                    .color(theme::INK_MUTED),
            );
        });
    ui.separator();
    dialog::dialog_ui(ui.ctx(), scene, view, commands);
}

/// A refusal of a cancel (the dialog shows its own command's; the proposals theirs).
fn action_refusal_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &RelaysView) {
    let Some(refusal) = &scene.state.devices.relays.refusal else {
        return;
    };
    let in_dialog = view
        .dialog
        .as_ref()
        .is_some_and(|d| d.shows_refusal_of(refusal));
    if refusal.command.is_some() && !in_dialog {
        let words = format!("⚠ {}", refusal.message);
        ui.add(egui::Label::new(RichText::new(words).color(theme::STATUS_ERROR)).wrap());
    }
}

fn grid_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    relays: &[RelayView],
    view: &mut RelaysView,
    commands: &mut Vec<Command>,
    t: &RelaysText,
) {
    egui::Grid::new("relays-grid")
        .num_columns(6)
        .striped(true)
        .spacing([14.0, 6.0])
        .show(ui, |ui| {
            for head in [
                t.col_relay,
                t.col_class,
                t.col_commanded,
                t.col_acked,
                t.col_observed,
                t.col_actions,
            ] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for relay in relays {
                row_ui(ui, scene, relay, view, commands, t);
                ui.end_row();
            }
        });
}

fn row_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    relay: &RelayView,
    view: &mut RelaysView,
    commands: &mut Vec<Command>,
    t: &RelaysText,
) {
    let language = scene.language;
    let device = device_name(scene, relay.device.as_str());
    ui.label(format!("{device} · {}", relay.relay.name_zh));
    ui.label(relay.relay.class.name_zh());
    let command = relay.last_command.as_ref();
    match command {
        Some(c) => {
            let ink = match c.state {
                CommandState::TimedOut | CommandState::Failed => theme::STATUS_ERROR,
                CommandState::Observed => theme::INK,
                _ => theme::STATUS_PENDING,
            };
            let words = words::commanded(c, central_now(scene), t, language);
            ui.label(RichText::new(words).color(ink))
        }
        None => ui.label(RichText::new(t.no_command).color(theme::INK_MUTED)),
    };
    ui.label(words::acknowledged(command, t));
    let observed = words::observed(relay.observed.as_ref(), t, language);
    let ink = if relay.observed.is_some() {
        theme::INK
    } else {
        theme::INK_MUTED
    };
    ui.label(RichText::new(observed).color(ink).strong());
    ui.horizontal(|ui| actions_ui(ui, scene, relay, view, commands, t));
}

/// 开, 关 (absolute, never a toggle) and 取消指令 while a command waits.
fn actions_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    relay: &RelayView,
    view: &mut RelaysView,
    commands: &mut Vec<Command>,
    t: &RelaysText,
) {
    let Some(enabled) = switch_gate(scene, relay.relay.class.capability()) else {
        return;
    };
    for target in [Switch::On, Switch::Off] {
        let word = words::target_word(target, scene.language);
        if ui.add_enabled(enabled, egui::Button::new(word)).clicked() {
            view.dialog = Some(dialog::SwitchDialog::new(scene, relay, target));
        }
    }
    let queued = relay
        .last_command
        .as_ref()
        .filter(|c| c.state == CommandState::Queued);
    if let Some(command) = queued
        && ui
            .add_enabled(enabled, egui::Button::new(t.cancel_command))
            .clicked()
    {
        commands.push(Command::Devices(DeviceCommand::Relay(
            RelayRequest::Cancel(command.id.clone()),
        )));
    }
}
