//! The dispatch view of a released warning: per channel a bar of where its messages stand
//! (送达/已提交/排队/失败/未知), then person by person — name, township, channel, the channel's
//! own status in Chinese with the SMSC's reason for a failure, and when. 未收到 narrows the
//! table to who has not received it; 重发失败 requeues the failed messages after a
//! confirmation; a message of unknown outcome is resent only by 确认重发 with a reason.
//!
//! It polls the deliveries route while it is drawn (one request in flight, every
//! [`POLL_EVERY_S`]), and asks egui to repaint then: an idle desk that does not show it sends
//! nothing and burns nothing. The outbox writes no change-feed entries (its rows carry personal
//! data and change by the thousand), so polling the one guarded route is the honest way.
//!
//! One entry, [`dispatch_ui`], so the screen can place it beside the 叫应 board.

mod table;
pub mod text;

use egui::RichText;

use crate::console::messages::dispatch::{ChannelDeliveries, DeliveryList};
use crate::console::messages::warnings::WarningRecord;
use crate::console::messages::{Command, DispatchCommand};
use crate::console::ui::warnings::icon;
use crate::console::ui::{Scene, theme};
use crate::domain::access::Capability;

/// How often the view reads the list again while it is shown, seconds.
pub const POLL_EVERY_S: f64 = 3.0;

/// What the view remembers between frames.
#[derive(Debug)]
pub struct DispatchView {
    /// The released warning shown; `None`: the view is closed.
    pub warning: Option<String>,
    /// Only the messages not received.
    pub not_received_only: bool,
    /// Seconds between reads (tests set 0: read again as soon as answered).
    pub poll_every_s: f64,
    /// When (egui time) the next read is due.
    next_poll_at: f64,
    /// The state's answer count when the last read was asked: a read is in flight while
    /// no answer has come since.
    asked_at: Option<u64>,
    /// The retry's confirmation is open.
    confirming_retry: bool,
    /// A resend decision being written.
    resend: Option<ResendDraft>,
}

impl Default for DispatchView {
    fn default() -> Self {
        Self {
            warning: None,
            not_received_only: false,
            poll_every_s: POLL_EVERY_S,
            next_poll_at: 0.0,
            asked_at: None,
            confirming_retry: false,
            resend: None,
        }
    }
}

impl DispatchView {
    /// Shows the dispatch of `warning`, read at once.
    pub fn open(&mut self, warning: &str) {
        if self.warning.as_deref() != Some(warning) {
            *self = Self {
                warning: Some(warning.to_owned()),
                poll_every_s: self.poll_every_s,
                ..Self::default()
            };
        }
    }

    /// Closes the view (its polling stops with it).
    pub fn close(&mut self) {
        self.warning = None;
        self.resend = None;
        self.confirming_retry = false;
    }
}

/// A resend of one recipient's unknown messages, with the reason typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendDraft {
    /// The recipient.
    pub recipient: u64,
    /// Why.
    pub reason: String,
}

/// Where a message stands on the bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// 送达 (a robot's accepted too).
    Delivered,
    /// 已提交: handed over, no receipt yet.
    Submitted,
    /// 排队: not handed over yet.
    Queued,
    /// 失败 (expired and withdrawn too: nobody has it).
    Failed,
    /// 未知: may have gone out.
    Unknown,
}

impl Bucket {
    /// The bar's order, left to right.
    pub const ALL: [Self; 5] = [
        Self::Delivered,
        Self::Submitted,
        Self::Queued,
        Self::Failed,
        Self::Unknown,
    ];

    /// Its label.
    pub fn label(self, t: &text::DispatchText) -> &'static str {
        match self {
            Self::Delivered => t.bucket_delivered,
            Self::Submitted => t.bucket_submitted,
            Self::Queued => t.bucket_queued,
            Self::Failed => t.bucket_failed,
            Self::Unknown => t.bucket_unknown,
        }
    }

    /// Its colour on the bar and in the table.
    pub fn colour(self) -> egui::Color32 {
        match self {
            Self::Delivered => theme::STATUS_OK,
            Self::Submitted => theme::ACCENT,
            Self::Queued => theme::STALE,
            Self::Failed => theme::STATUS_ERROR,
            Self::Unknown => theme::STATUS_PENDING,
        }
    }
}

/// The bucket of a status word; `received` puts a robot's `accepted` with the delivered.
pub fn bucket(status: &str, received: bool) -> Bucket {
    match status {
        _ if received => Bucket::Delivered,
        "delivered" => Bucket::Delivered,
        "submitted" | "accepted" | "sent" => Bucket::Submitted,
        "queued" | "sending" => Bucket::Queued,
        "unknown" => Bucket::Unknown,
        _ => Bucket::Failed,
    }
}

/// How many of a channel's messages stand in each bucket, in [`Bucket::ALL`] order.
pub fn bucket_counts(channel: &ChannelDeliveries) -> [u64; 5] {
    let mut counts = [0; 5];
    for (status, n) in &channel.counts {
        // Counts by word cannot tell a robot's received `accepted` from a template's: the
        // channel's received total settles it.
        let received = channel.channel == "wecom" && status == "accepted";
        let at = Bucket::ALL
            .iter()
            .position(|b| *b == bucket(status, received))
            .unwrap_or(0);
        counts[at] += n;
    }
    counts
}

/// Draws the dispatch of the warning the view shows (nothing when it is closed).
pub fn dispatch_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DispatchView,
    commands: &mut Vec<Command>,
) {
    let Some(id) = view.warning.clone() else {
        return;
    };
    poll(ui, scene, view, &id, commands);
    let t = text::text(scene.language);
    let record = scene.state.warnings.records.iter().find(|r| r.id == id);
    header_ui(ui, scene, view, record);
    refusal_ui(ui, scene, &id);
    let Some(list) = scene.state.dispatch.lists.get(&id) else {
        ui.label(RichText::new(t.loading).color(theme::INK_MUTED));
        return;
    };
    summary_ui(ui, scene, list);
    if list.channels.is_empty() {
        ui.label(RichText::new(t.no_rows).color(theme::INK_MUTED));
        return;
    }
    for channel in &list.channels {
        channel_ui(ui, scene, channel);
    }
    ui.add_space(6.0);
    controls_ui(ui, scene, view, list, commands);
    ui.separator();
    table::table_ui(ui, scene, view, list, commands);
}

/// Asks for the list when it is due and nothing is in flight, and for a repaint then.
fn poll(
    ui: &egui::Ui,
    scene: Scene<'_>,
    view: &mut DispatchView,
    id: &str,
    commands: &mut Vec<Command>,
) {
    let now = ui.input(|i| i.time);
    let answers = scene.state.dispatch.answers;
    let in_flight = view.asked_at == Some(answers);
    if !in_flight && now >= view.next_poll_at {
        commands.push(Command::Dispatch(DispatchCommand::Fetch {
            warning: id.to_owned(),
        }));
        view.asked_at = Some(answers);
        view.next_poll_at = now + view.poll_every_s;
    }
    let wait = (view.next_poll_at - now).max(0.0);
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs_f64(wait.max(0.05)));
}

fn header_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DispatchView,
    record: Option<&WarningRecord>,
) {
    let t = text::text(scene.language);
    ui.horizontal_wrapped(|ui| {
        ui.heading(t.title);
        if let Some(record) = record {
            let content = &record.content;
            icon::signal_icon_ui(ui, 24.0, &content.signal, content.level);
            ui.label(
                RichText::new(icon::signal_title(
                    &content.signal,
                    content.level,
                    scene.language,
                ))
                .strong()
                .color(theme::INK),
            );
            if content.practice {
                let words = crate::console::ui::warnings::text::text(scene.language);
                theme::chip_frame(theme::SIMULATED_BG).show(ui, |ui| {
                    ui.label(
                        RichText::new(words.board_practice)
                            .strong()
                            .color(theme::SIMULATED_FG),
                    );
                });
            }
        }
        if ui.button(t.close).clicked() {
            view.close();
        }
    });
}

fn refusal_ui(ui: &mut egui::Ui, scene: Scene<'_>, id: &str) {
    let Some(refusal) = scene
        .state
        .dispatch
        .refusal
        .as_ref()
        .filter(|r| r.warning == id)
    else {
        return;
    };
    let t = text::text(scene.language);
    let (message, code) = (&refusal.message, &refusal.code);
    super::refusal_banner_ui(ui, scene, t.refused, message, code, |_| {});
}

fn summary_ui(ui: &mut egui::Ui, scene: Scene<'_>, list: &DeliveryList) {
    let t = text::text(scene.language);
    let total: u64 = list.channels.iter().map(|c| c.total).sum();
    let received: u64 = list.channels.iter().map(|c| c.received).sum();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{} {total} {}", t.total, t.messages)).strong());
        ui.label(RichText::new(format!("{} {received}", t.received)).color(theme::STATUS_OK));
        let missing = RichText::new(format!("{} {}", t.not_received, list.not_received));
        ui.label(if list.not_received > 0 {
            missing.strong().color(theme::STATUS_ERROR)
        } else {
            missing.color(theme::INK_MUTED)
        });
    });
    let policy = if list.resend_policy {
        t.policy_on
    } else {
        t.policy_off
    };
    ui.label(RichText::new(policy).small().color(theme::INK_MUTED));
}

/// The channel's name in the interface language.
pub fn channel_name(t: &text::DispatchText, channel: &str) -> String {
    match channel {
        "sms" => t.channel_sms.to_owned(),
        "wecom" => t.channel_wecom.to_owned(),
        "wechat" => t.channel_wechat.to_owned(),
        other => other.to_owned(),
    }
}

/// What a channel's words mean, in the interface language (the central's note says which).
fn channel_note(t: &text::DispatchText, channel: &ChannelDeliveries) -> Option<&'static str> {
    let note = channel.note.as_deref()?;
    Some(match channel.channel.as_str() {
        "wecom" => t.note_robot,
        "wechat" if note.contains("callback_token") => t.note_no_callback,
        _ => t.note_template,
    })
}

/// The bar's height.
const BAR_HEIGHT: f32 = 14.0;

fn channel_ui(ui: &mut egui::Ui, scene: Scene<'_>, channel: &ChannelDeliveries) {
    let t = text::text(scene.language);
    let counts = bucket_counts(channel);
    ui.add_space(4.0);
    ui.label(
        RichText::new(format!(
            "{} · {} {}",
            channel_name(t, &channel.channel),
            channel.total,
            t.messages
        ))
        .strong(),
    );
    let width = ui.available_width().max(40.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, BAR_HEIGHT), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, theme::ROUNDING, theme::SURFACE_SUNKEN);
    let total = channel.total.max(1) as f32;
    let mut left = rect.left();
    for (bucket, n) in Bucket::ALL.iter().zip(counts) {
        let w = rect.width() * n as f32 / total;
        if w > 0.0 {
            let segment = egui::Rect::from_min_size(
                egui::pos2(left, rect.top()),
                egui::vec2(w, rect.height()),
            );
            painter.rect_filled(segment, 0.0, bucket.colour());
            left += w;
        }
    }
    ui.horizontal_wrapped(|ui| {
        for (bucket, n) in Bucket::ALL.iter().zip(counts) {
            ui.label(
                RichText::new(format!("■ {} {n}", bucket.label(t))).color(if n > 0 {
                    bucket.colour()
                } else {
                    theme::INK_FAINT
                }),
            );
        }
    });
    if let Some(note) = channel_note(t, channel) {
        ui.label(RichText::new(note).small().color(theme::INK_MUTED));
    }
}

fn controls_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut DispatchView,
    list: &DeliveryList,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let failed: u64 = list.channels.iter().map(|c| bucket_counts(c)[3]).sum();
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut view.not_received_only, t.filter_not_received);
        let label = format!("{} ({failed})", t.retry_failed);
        if let Some(button) =
            super::gated_button(ui, scene, &label, Capability::DispatchWarning, failed > 0)
            && button.clicked()
        {
            view.confirming_retry = true;
        }
    });
    if view.confirming_retry {
        theme::chip_frame(theme::BANNER_NOTICE_BG).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(t.retry_confirm_prompt);
            ui.horizontal(|ui| {
                if ui.button(t.retry_confirm).clicked() {
                    commands.push(Command::Dispatch(DispatchCommand::Retry {
                        warning: list.warning.clone(),
                        recipients: Vec::new(),
                    }));
                    view.confirming_retry = false;
                }
                if ui.button(t.cancel).clicked() {
                    view.confirming_retry = false;
                }
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn each_status_word_has_its_place_on_the_bar() {
        let table = [
            ("delivered", false, Bucket::Delivered),
            ("accepted", true, Bucket::Delivered),
            ("accepted", false, Bucket::Submitted),
            ("submitted", false, Bucket::Submitted),
            ("queued", false, Bucket::Queued),
            ("sending", false, Bucket::Queued),
            ("failed", false, Bucket::Failed),
            ("expired", false, Bucket::Failed),
            ("cancelled", false, Bucket::Failed),
            ("unknown", false, Bucket::Unknown),
        ];
        for (status, received, want) in table {
            assert_eq!(bucket(status, received), want, "{status} {received}");
        }
    }

    #[test]
    fn a_channels_counts_fill_the_buckets() {
        let channel = |name: &str, counts: &[(&str, u64)]| ChannelDeliveries {
            channel: name.to_owned(),
            counts: counts
                .iter()
                .map(|(w, n)| ((*w).to_owned(), *n))
                .collect::<BTreeMap<_, _>>(),
            total: counts.iter().map(|(_, n)| n).sum(),
            received: 0,
            note: None,
        };
        let sms = channel(
            "sms",
            &[
                ("delivered", 4),
                ("submitted", 2),
                ("queued", 1),
                ("failed", 1),
                ("unknown", 3),
            ],
        );
        assert_eq!(bucket_counts(&sms), [4, 2, 1, 1, 3]);
        let robot = channel("wecom", &[("accepted", 2)]);
        assert_eq!(bucket_counts(&robot), [2, 0, 0, 0, 0]);
        let template = channel("wechat", &[("accepted", 2), ("delivered", 1)]);
        assert_eq!(bucket_counts(&template), [1, 2, 0, 0, 0]);
    }
}
