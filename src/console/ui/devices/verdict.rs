//! What the devices screen says of a device's state: judged by the desk from the central's
//! last word (`last_seen`, the link, the broker's presence) against the desk's reckoning of the
//! central's clock, so "late by N" counts on between reads. A quiet device is blamed on what
//! is upstream of it first: a desk that cannot hear the central paints nothing as failed.

use egui::Color32;

use super::text::DevicesText;
use crate::console::messages::devices::DeviceView;
use crate::console::ui::i18n::Language;
use crate::console::ui::theme;
use crate::domain::Timestamp;
use crate::domain::devices::health::{Lateness, Silence, Upstream, lateness, why_silent};
use crate::domain::devices::{Status, status};
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};

/// A device's state as the list says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Reporting on time.
    Reporting,
    /// `missed` reports overdue (fewer than make it silent).
    Late {
        /// Reports missed.
        missed: u32,
    },
    /// Quiet for `quiet_ms` since it was last heard.
    Silent {
        /// How long since it was last heard.
        quiet_ms: i64,
    },
    /// The broker's last will says its connection is lost.
    Offline,
    /// The central polls it and has given up for now.
    Unreachable,
    /// Registered, never heard.
    NeverSeen,
    /// Not heard on time, but something upstream explains it (the desk's link, the desk
    /// catching up, its DTU): not judged a fault of its own.
    Upstream(Silence),
}

/// The lateness of `view` at the central's clock `central_now`.
pub fn lateness_of(view: &DeviceView, central_now: Timestamp) -> Lateness {
    let interval_ms = i64::from(view.device.interval_s) * 1_000;
    lateness(view.health.last_seen, interval_ms, central_now)
}

/// Judges `view` at `central_now`, with `upstream` as the desk knows it.
pub fn verdict(view: &DeviceView, central_now: Timestamp, upstream: Upstream) -> Verdict {
    let late = lateness_of(view, central_now);
    let said = status::status(late, view.health.link, view.health.presence);
    if said == Status::Reporting {
        return Verdict::Reporting;
    }
    let silence = why_silent(view.device.transport, upstream);
    if silence != Silence::Device {
        return Verdict::Upstream(silence);
    }
    match (said, late) {
        (Status::Late, Lateness::Late { missed }) => Verdict::Late { missed },
        (Status::Offline, _) => Verdict::Offline,
        (Status::Unreachable, _) => Verdict::Unreachable,
        (Status::NeverSeen, _) => Verdict::NeverSeen,
        _ => Verdict::Silent {
            quiet_ms: view
                .health
                .last_seen
                .map_or(0, |seen| (central_now.0 - seen.0).max(0)),
        },
    }
}

impl Verdict {
    /// Whether the device is quiet by its own fault (what makes the devices behind it quiet).
    pub fn is_quiet(self) -> bool {
        matches!(
            self,
            Self::Silent { .. } | Self::Offline | Self::Unreachable
        )
    }

    /// The words: "正常", "迟报 3 次", "失联 25 分钟", "离线（遗嘱）" …
    pub fn words(self, t: &DevicesText, language: Language) -> String {
        match self {
            Self::Reporting => t.status_ok.to_owned(),
            Self::Late { missed } => match language {
                Language::Zh => format!("迟报 {missed} 次"),
                Language::En => format!("Late by {missed}"),
            },
            Self::Silent { quiet_ms } => match language {
                Language::Zh => format!("失联 {}", span(language, quiet_ms)),
                Language::En => format!("Silent for {}", span(language, quiet_ms)),
            },
            Self::Offline => t.status_offline.to_owned(),
            Self::Unreachable => t.status_unreachable.to_owned(),
            Self::NeverSeen => t.status_never.to_owned(),
            Self::Upstream(Silence::CentralLink) => t.status_unknown_link.to_owned(),
            Self::Upstream(Silence::Dtu) => t.status_dtu.to_owned(),
            Self::Upstream(_) => t.status_unknown_behind.to_owned(),
        }
    }

    /// The chip's ink and fill.
    pub fn colours(self) -> (Color32, Color32) {
        match self {
            Self::Reporting => (theme::STATUS_OK, theme::SURFACE_SUNKEN),
            Self::Late { .. } => (theme::STATUS_PENDING, theme::BANNER_NOTICE_BG),
            Self::Silent { .. } | Self::Offline | Self::Unreachable => {
                (theme::STATUS_ERROR, theme::BANNER_ERROR_BG)
            }
            Self::NeverSeen | Self::Upstream(_) => (theme::INK_MUTED, theme::SURFACE_SUNKEN),
        }
    }
}

/// A span of time in whole units: "25 分钟", "3 小时", "2 天" / "25 min", "3 h", "2 days".
pub fn span(language: Language, ms: i64) -> String {
    let (n, zh, en) = if ms < HOUR_MS {
        (ms / MINUTE_MS, "分钟", "min")
    } else if ms < 2 * DAY_MS {
        (ms / HOUR_MS, "小时", "h")
    } else {
        (ms / DAY_MS, "天", "days")
    };
    match language {
        Language::Zh => format!("{n} {zh}"),
        Language::En => format!("{n} {en}"),
    }
}

#[cfg(test)]
mod tests;
