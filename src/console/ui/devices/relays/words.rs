//! The relays panel's words: what was commanded, acknowledged and observed, each said apart,
//! and how long a waiting command has left. Pure, so each is tested by table.

use super::text::RelaysText;
use crate::console::messages::devices::{
    CommandState, ObservedState, RelayCommand, Switch, TriggerReading,
};
use crate::console::ui::i18n::Language;
use crate::domain::Timestamp;

/// A Beijing wall-clock time with seconds: `03:12:05`.
pub fn clock(at: Timestamp) -> String {
    at.beijing().format("%H:%M:%S").to_string()
}

/// Seconds as minutes and seconds: `9分40秒`, `45秒` / `9 min 40 s`, `45 s`.
pub fn duration(seconds: i64, language: Language) -> String {
    let (m, s) = (seconds / 60, seconds % 60);
    match (language, m) {
        (Language::Zh, 0) => format!("{s}秒"),
        (Language::Zh, _) => format!("{m}分{s:02}秒"),
        (Language::En, 0) => format!("{s} s"),
        (Language::En, _) => format!("{m} min {s:02} s"),
    }
}

/// How long a waiting command has before it expires, at the central's `now` (`None` once it
/// is no longer waiting, or waits without an expiry).
pub fn left_to_expiry(command: &RelayCommand, now: Timestamp) -> Option<i64> {
    if command.state != CommandState::Queued {
        return None;
    }
    let at = command.expires_at?;
    Some(((at.0 - now.0) / 1_000).max(0))
}

/// 指令: the command's target and state, when it was queued, its countdown while it waits,
/// and what went wrong when it ended otherwise. Never the relay's state.
pub fn commanded(
    command: &RelayCommand,
    now: Timestamp,
    t: &RelaysText,
    language: Language,
) -> String {
    let mut said = format!(
        "{} · {} · {} {}",
        target_word(command.target, language),
        state_word(command.state, language),
        t.queued_at,
        clock(command.created_at)
    );
    match left_to_expiry(command, now) {
        Some(0) => said.push_str(&format!(" · {}", t.expiry_passed)),
        Some(left) => match language {
            Language::Zh => {
                said.push_str(&format!(" · {}{}", duration(left, language), t.expires_in));
            }
            Language::En => {
                said.push_str(&format!(" · {} {}", duration(left, language), t.expires_in));
            }
        },
        None => {}
    }
    let ended = matches!(command.state, CommandState::TimedOut | CommandState::Failed);
    if ended && let Some(detail) = &command.detail {
        said.push_str(&format!(" · {detail}"));
    }
    said
}

/// 设备确认: when the device acknowledged the command.
pub fn acknowledged(command: Option<&RelayCommand>, t: &RelaysText) -> String {
    command
        .and_then(|c| c.acked_at)
        .map_or_else(|| t.not_acked.to_owned(), clock)
}

/// 实测: the relay's state as its device read it back, when, and since when.
pub fn observed(state: Option<&ObservedState>, t: &RelaysText, language: Language) -> String {
    let Some(state) = state else {
        return t.no_reading.to_owned();
    };
    match language {
        Language::Zh => format!(
            "{}（{}{} · {}{}起）",
            state.state.name_zh(),
            t.read_at,
            clock(state.at),
            t.since,
            clock(state.since)
        ),
        Language::En => format!(
            "{} ({} {} · {} {})",
            target_word(state.state, language),
            t.read_at,
            clock(state.at),
            t.since,
            clock(state.since)
        ),
    }
}

/// 开 / 关, or on / off.
pub fn target_word(target: Switch, language: Language) -> &'static str {
    match (language, target) {
        (Language::Zh, _) => target.name_zh(),
        (Language::En, Switch::On) => "on",
        (Language::En, Switch::Off) => "off",
    }
}

/// A command state's name.
pub fn state_word(state: CommandState, language: Language) -> &'static str {
    match language {
        Language::Zh => state.name_zh(),
        Language::En => state.code(),
    }
}

/// A proposal's reading: `58819 TEM -1.5 · 03:10:00`.
pub fn reading(reading: &TriggerReading) -> String {
    format!(
        "{} {} {} · {}",
        reading.station,
        reading.element,
        reading.value,
        clock(reading.time)
    )
}

#[cfg(test)]
mod tests;
