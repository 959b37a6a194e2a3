use super::super::text;
use super::*;
use crate::console::messages::devices::RelayClass;
use crate::domain::devices::DeviceId;
use crate::domain::relays::command::Origin;

/// 2026-12-08 03:00:00 Beijing.
fn night() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-07T19:00:00Z").unwrap_or(Timestamp(0))
}

fn command(state: CommandState, expires_in_s: Option<i64>) -> RelayCommand {
    RelayCommand {
        id: crate::console::messages::devices::CommandId::from_random([7; 12]),
        device: DeviceId::parse("GH-01").unwrap_or_else(|_| unreachable!()),
        channel: 1,
        class: RelayClass::Ventilation,
        target: Switch::On,
        pulse_s: None,
        state,
        requested_by: "chenjie".to_owned(),
        reason: None,
        origin: Origin::Person,
        created_at: night(),
        expires_at: expires_in_s.map(|s| night().plus_ms(s * 1_000)),
        sent_at: None,
        acked_at: None,
        observed_at: None,
        ended_at: None,
        detail: Some("device did not answer".to_owned()),
    }
}

#[test]
fn durations_are_minutes_and_seconds() {
    let cases = [
        (0, Language::Zh, "0秒"),
        (45, Language::Zh, "45秒"),
        (581, Language::Zh, "9分41秒"),
        (600, Language::Zh, "10分00秒"),
        (581, Language::En, "9 min 41 s"),
    ];
    for (seconds, language, said) in cases {
        assert_eq!(duration(seconds, language), said, "{seconds} {language:?}");
    }
}

#[test]
fn only_a_waiting_command_counts_down_and_never_below_zero() {
    let now = night().plus_ms(19_000);
    let cases = [
        (CommandState::Queued, Some(600), Some(581)),
        (CommandState::Queued, Some(10), Some(0)),
        (CommandState::Queued, None, None),
        (CommandState::Sent, Some(600), None),
        (CommandState::Observed, Some(600), None),
    ];
    for (state, expires, left) in cases {
        assert_eq!(
            left_to_expiry(&command(state, expires), now),
            left,
            "{state:?}"
        );
    }
}

#[test]
fn the_commanded_column_says_target_state_time_countdown_and_what_went_wrong() {
    let t = text::text(Language::Zh);
    let now = night().plus_ms(19_000);
    let cases = [
        (
            command(CommandState::Queued, Some(600)),
            "开 · 排队中 · 下达 03:00:00 · 9分41秒后过期",
        ),
        (
            command(CommandState::Queued, Some(10)),
            "开 · 排队中 · 下达 03:00:00 · 已到期",
        ),
        (
            command(CommandState::TimedOut, Some(600)),
            "开 · 超时 · 下达 03:00:00 · device did not answer",
        ),
        (
            command(CommandState::Observed, Some(600)),
            "开 · 已观测到 · 下达 03:00:00",
        ),
    ];
    for (command, said) in cases {
        assert_eq!(commanded(&command, now, t, Language::Zh), said);
    }
}

#[test]
fn acknowledged_and_observed_are_said_apart() {
    let t = text::text(Language::Zh);
    let mut acked = command(CommandState::Acknowledged, None);
    acked.acked_at = Some(night().plus_ms(2_000));
    assert_eq!(acknowledged(Some(&acked), t), "03:00:02");
    assert_eq!(acknowledged(None, t), "—");
    let state = ObservedState {
        state: Switch::Off,
        at: night().plus_ms(5_000),
        since: night().plus_ms(-3_600_000),
    };
    assert_eq!(
        observed(Some(&state), t, Language::Zh),
        "关（读于03:00:05 · 自02:00:00起）"
    );
    assert_eq!(observed(None, t, Language::Zh), "无回读");
}
