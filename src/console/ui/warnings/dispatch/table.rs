//! The dispatch view's table: one line per message — name, township, channel, status in
//! the channel's words (with the gateway's reason for a failure, the attempt, the resend mark),
//! time — and for a message of unknown outcome the 确认重发 decision with its required reason.

use egui::RichText;

use super::super::gated_button;
use super::{DispatchView, ResendDraft, bucket, channel_name, text};
use crate::console::messages::dispatch::{Delivery, DeliveryList};
use crate::console::messages::{Command, DispatchCommand};
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::access::Capability;
use crate::domain::{Timestamp, TownshipCode};

/// The status in the channel's words, with the reason, the attempt and the resend mark.
pub fn status_text(t: &text::DispatchText, d: &Delivery, colon: &str) -> String {
    let word = match d.status.as_str() {
        "queued" => t.status_queued,
        "sending" => t.status_sending,
        "submitted" => t.status_submitted,
        "accepted" => t.status_accepted,
        "delivered" => t.status_delivered,
        "failed" => t.status_failed,
        "unknown" => t.status_unknown,
        "cancelled" => t.status_cancelled,
        "expired" => t.status_expired,
        other => other,
    };
    let mut said = word.to_owned();
    if let Some(reason) = d.reason.as_deref().filter(|_| d.status == "failed") {
        said.push_str(colon);
        said.push_str(reason);
    }
    if d.attempt > 1 {
        said.push_str(" · ");
        said.push_str(&t.attempt.replace("{n}", &d.attempt.to_string()));
    }
    if let Some(mark) = &d.resent {
        said.push_str(" · ");
        if mark.how == "policy" {
            said.push_str(t.resent_by_policy);
        } else {
            said.push_str(&t.resent_by_decision.replace("{by}", &mark.by));
        }
    }
    said
}

fn township_name(scene: Scene<'_>, d: &Delivery) -> String {
    let t = text::text(scene.language);
    let Some(code) = d.township.as_deref() else {
        return t.county.to_owned();
    };
    code.parse::<u32>()
        .ok()
        .and_then(|c| scene.state.network.township(TownshipCode(c)))
        .map_or_else(
            || code.to_owned(),
            |township| i18n::township_short_name(scene.language, township),
        )
}

/// Draws the table (only the messages not received when the filter is on).
pub fn table_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DispatchView,
    list: &DeliveryList,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let shown: Vec<&Delivery> = list
        .deliveries
        .iter()
        .filter(|d| !view.not_received_only || !d.received)
        .collect();
    egui::ScrollArea::both()
        .id_salt("dispatch_table")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("dispatch_rows")
                .striped(true)
                .num_columns(6)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    for heading in [
                        t.column_name,
                        t.column_township,
                        t.column_channel,
                        t.column_status,
                        t.column_time,
                        t.column_action,
                    ] {
                        ui.label(RichText::new(heading).strong());
                    }
                    ui.end_row();
                    for d in shown {
                        row_ui(ui, scene, view, list, d, commands);
                    }
                });
        });
}

fn row_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DispatchView,
    list: &DeliveryList,
    d: &Delivery,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let name = d.name.clone().unwrap_or_else(|| t.deleted.to_owned());
    let person = ui.label(&name);
    if let Some(phone) = &d.phone {
        person.on_hover_text(phone);
    }
    ui.label(township_name(scene, d));
    ui.label(channel_name(t, &d.channel));
    let colour = bucket(&d.status, d.received).colour();
    ui.label(RichText::new(status_text(t, d, i18n::colon(scene.language))).color(colour));
    let when = Timestamp::parse_rfc3339(&d.updated_at)
        .map(|at| i18n::when(at, scene.now))
        .unwrap_or_default();
    ui.label(RichText::new(when).color(theme::INK_MUTED));
    if d.status == "unknown" {
        resend_ui(ui, scene, view, list, d, commands);
    } else {
        ui.label("");
    }
    ui.end_row();
}

/// 确认重发 on an unknown message: opens the reason field; the decision goes only with one.
fn resend_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DispatchView,
    list: &DeliveryList,
    d: &Delivery,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    // A group robot's message is nobody's to resend by name.
    let Some(recipient) = d.recipient else {
        return;
    };
    let open = view
        .resend
        .as_ref()
        .is_some_and(|r| r.recipient == recipient);
    if !open {
        ui.push_id(("resend", recipient, &d.channel), |ui| {
            if let Some(button) =
                gated_button(ui, scene, t.resend, Capability::DispatchWarning, true)
                && button.clicked()
            {
                view.resend = Some(ResendDraft {
                    recipient,
                    reason: String::new(),
                });
            }
        });
        return;
    }
    ui.vertical(|ui| {
        ui.label(RichText::new(t.resend_prompt).color(theme::STATUS_PENDING));
        let Some(draft) = view.resend.as_mut() else {
            return;
        };
        ui.add(
            theme::text_field(&mut draft.reason)
                .hint_text(t.resend_reason_hint)
                .desired_width(220.0),
        )
        .labelled_by(ui.label(t.resend_reason_hint).id);
        let ready = !draft.reason.trim().is_empty();
        let (mut send, mut cancel) = (false, false);
        ui.horizontal(|ui| {
            send = ui
                .add_enabled(ready, egui::Button::new(t.resend_confirm))
                .clicked();
            cancel = ui.button(t.cancel).clicked();
        });
        if send {
            commands.push(Command::Dispatch(DispatchCommand::Resend {
                warning: list.warning.clone(),
                recipients: vec![draft.recipient],
                reason: draft.reason.trim().to_owned(),
            }));
        }
        if send || cancel {
            view.resend = None;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::messages::dispatch::ResendInfo;

    fn delivery(status: &str, attempt: u32) -> Delivery {
        Delivery {
            recipient: Some(3),
            robot: None,
            name: Some("王五".into()),
            phone: Some("138****0003".into()),
            channel: "sms".into(),
            state: status.into(),
            status: status.into(),
            received: status == "delivered",
            township: Some("350423100".into()),
            attempt,
            reason: Some("UNDELIV 005".into()),
            resent: None,
            updated_at: "2026-12-06T08:00:00Z".into(),
        }
    }

    #[test]
    fn the_status_says_the_reason_of_a_failure_the_attempt_and_the_mark() {
        let t = text::text(i18n::Language::Zh);
        let mut resent = delivery("queued", 2);
        resent.resent = Some(ResendInfo {
            how: "decision".into(),
            by: "zhangwei".into(),
            reason: "链路中断".into(),
            at: String::new(),
        });
        let mut by_policy = delivery("submitted", 2);
        by_policy.resent = Some(ResendInfo {
            how: "policy".into(),
            ..resent.resent.clone().unwrap()
        });
        let table = [
            (delivery("failed", 1), "失败：UNDELIV 005"),
            (delivery("delivered", 1), "已送达"),
            (delivery("failed", 2), "失败：UNDELIV 005 · 第2次"),
            (resent, "排队中 · 第2次 · 经 zhangwei 决定重发"),
            (by_policy, "已提交网关 · 第2次 · 按级别策略自动重发"),
            (delivery("unknown", 1), "未知（可能已发出）"),
        ];
        for (d, want) in table {
            assert_eq!(status_text(t, &d, "："), want);
        }
    }
}
