//! 自动化建议: the automations' open proposals, each with its rule, its relay and the reading
//! that made it fire, confirmed (its command queued with a fresh id) or dismissed in one
//! click by those whose role may switch the relay's class.

use egui::RichText;

use super::{device_name, fresh_command_id, switch_gate, text, words};
use crate::console::messages::Command;
use crate::console::messages::devices::{
    DeviceCommand, Proposal, ProposalConfirmation, RelayRequest,
};
use crate::console::ui::{Scene, theme};

/// The open proposals, newest first, as a banner above the relays.
pub fn proposals_ui(ui: &mut egui::Ui, scene: Scene<'_>, commands: &mut Vec<Command>) {
    let relays = &scene.state.devices.relays;
    let open = relays.open_proposals();
    if open.is_empty() {
        return;
    }
    let t = text::text(scene.language);
    theme::chip_frame(theme::BANNER_NOTICE_BG).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(
            RichText::new(format!("{} ({})", t.proposals_title, open.len()))
                .color(theme::STATUS_PENDING)
                .strong(),
        );
        for proposal in open {
            proposal_ui(ui, scene, proposal, commands);
        }
    });
    ui.add_space(4.0);
}

fn proposal_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    proposal: &Proposal,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let relays = &scene.state.devices.relays;
    let relay = relays.list.as_ref().and_then(|(list, _)| {
        list.relays
            .iter()
            .find(|r| r.device == proposal.device && r.relay.channel == proposal.channel)
    });
    let relay_name =
        relay.map_or_else(|| proposal.channel.to_string(), |r| r.relay.name_zh.clone());
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(&proposal.rule_name_zh).strong());
        ui.label(format!(
            "{} · {} → {}",
            device_name(scene, proposal.device.as_str()),
            relay_name,
            words::target_word(proposal.target, scene.language)
        ));
        ui.label(format!(
            "{}：{}",
            t.proposal_reading,
            words::reading(&proposal.reading)
        ));
        let gate = relay.and_then(|r| switch_gate(scene, r.relay.class.capability()));
        let Some(enabled) = gate else { return };
        if ui
            .add_enabled(enabled, egui::Button::new(t.proposal_confirm))
            .clicked()
        {
            let confirmation = ProposalConfirmation {
                command_id: fresh_command_id(),
                reason: None,
            };
            commands.push(Command::Devices(DeviceCommand::Relay(
                RelayRequest::Confirm {
                    id: proposal.id,
                    confirmation: Box::new(confirmation),
                },
            )));
        }
        if ui
            .add_enabled(enabled, egui::Button::new(t.proposal_dismiss))
            .clicked()
        {
            commands.push(Command::Devices(DeviceCommand::Relay(
                RelayRequest::Dismiss(proposal.id),
            )));
        }
    });
    if let Some(refusal) = relays
        .refusal
        .as_ref()
        .filter(|r| r.proposal == Some(proposal.id))
    {
        let words = format!("⚠ {}", refusal.message);
        ui.add(egui::Label::new(RichText::new(words).color(theme::STATUS_ERROR)).wrap());
    }
}
