use super::*;

fn person(township: Option<u32>, group: Group, duty: Duty, active: bool) -> RecipientDraft {
    RecipientDraft {
        name: "张三".into(),
        township: township.map(TownshipCode),
        village: None,
        group,
        duty,
        phone: None,
        wechat_openid: Some("oX".into()),
        wecom: None,
        active,
        note: String::new(),
    }
}

#[test]
fn orange_and_red_need_callout_unless_a_type_says_otherwise() {
    let mut rules = CalloutRules::default();
    rules.per_signal.insert(
        "rainstorm".into(),
        [Level::Yellow, Level::Orange, Level::Red].into(),
    );
    rules.per_signal.insert("frost".into(), [Level::Red].into());
    let table = [
        ("typhoon", Level::Blue, Action::Issue, false),
        ("typhoon", Level::Yellow, Action::Issue, false),
        ("typhoon", Level::Orange, Action::Issue, true),
        ("typhoon", Level::Red, Action::Upgrade, true),
        ("typhoon", Level::Red, Action::Lift, false),
        ("rainstorm", Level::Yellow, Action::Issue, true),
        ("rainstorm", Level::Blue, Action::Issue, false),
        ("frost", Level::Orange, Action::Issue, false),
        ("frost", Level::Red, Action::Continue, true),
    ];
    for (signal, level, action, needs) in table {
        assert_eq!(
            rules.needs_callout(signal, level, action),
            needs,
            "{signal} {level:?} {action:?}"
        );
    }
}

#[test]
fn the_call_list_is_the_leaders_of_the_chosen_townships_and_the_county() {
    let rules = CalloutRules::default();
    let towns: BTreeSet<TownshipCode> = [TownshipCode(350423100)].into();
    let table = [
        (
            person(
                Some(350423100),
                Group::TownshipLeaders,
                Duty::PartySecretary,
                true,
            ),
            false,
            true,
        ),
        (
            person(
                Some(350423100),
                Group::TownshipLeaders,
                Duty::FloodControl,
                true,
            ),
            false,
            true,
        ),
        (
            person(Some(350423100), Group::TownshipLeaders, Duty::Head, false),
            false,
            false,
        ),
        (
            person(Some(350423101), Group::TownshipLeaders, Duty::Head, true),
            false,
            false,
        ),
        (
            person(Some(350423100), Group::Informants, Duty::Informant, true),
            false,
            false,
        ),
        (
            person(None, Group::County, Duty::EmergencyManagement, true),
            false,
            true,
        ),
        (person(None, Group::County, Duty::Other, true), false, false),
        (
            person(None, Group::BureauStaff, Duty::Head, true),
            false,
            false,
        ),
        // A drill calls the bureau's staff only, wherever they are.
        (
            person(Some(350423100), Group::TownshipLeaders, Duty::Head, true),
            true,
            false,
        ),
        (
            person(None, Group::BureauStaff, Duty::BureauStaff, true),
            true,
            true,
        ),
        (
            person(None, Group::BureauStaff, Duty::BureauStaff, false),
            true,
            false,
        ),
    ];
    for (i, (who, practice, on)) in table.iter().enumerate() {
        assert_eq!(rules.on_call_list(&towns, *practice, who), *on, "row {i}");
    }
}

#[test]
fn open_lines_escalate_to_the_desk_then_the_supervisor() {
    let table = [
        (0, Stage::None),
        (9 * MINUTE_MS + 59_999, Stage::None),
        (10 * MINUTE_MS, Stage::Desk),
        (19 * MINUTE_MS, Stage::Desk),
        (20 * MINUTE_MS, Stage::Supervisor),
        (600 * MINUTE_MS, Stage::Supervisor),
    ];
    for (elapsed, expected) in table {
        assert_eq!(stage(elapsed, 10, 20), expected, "{elapsed}");
    }
    assert_eq!(stage(5 * MINUTE_MS, 5, 15), Stage::Desk);
}

#[test]
fn the_next_escalation_follows_the_stage() {
    let rules = CalloutRules::default();
    let called = Timestamp(1_000_000);
    let table = [
        (Stage::None, Some(called.plus_ms(10 * MINUTE_MS))),
        (Stage::Desk, Some(called.plus_ms(20 * MINUTE_MS))),
        (Stage::Supervisor, None),
    ];
    for (stage, next) in table {
        assert_eq!(rules.next_escalation(called, stage), next, "{stage:?}");
    }
    assert_eq!(
        rules.stage(called, called.plus_ms(11 * MINUTE_MS)),
        Stage::Desk
    );
}

#[test]
fn short_codes_are_the_ids_number_in_four_digits() {
    let table = [
        ("w1", Some("0001")),
        ("w1234", Some("1234")),
        ("w51234", Some("1234")),
        ("draft", None),
    ];
    for (id, code) in table {
        assert_eq!(short_code(id).as_deref(), code, "{id}");
    }
}

#[test]
fn a_code_is_found_in_what_people_write() {
    let table = [
        ("1234", Some("1234")),
        ("收到 1234", Some("1234")),
        ("收到1234，马上布置", Some("1234")),
        ("１２３４收到", Some("1234")),
        ("收到", None),
        ("123", None),
        ("13905981234", None),
        ("1234 5678", None),
        // Two runs of four: which one is the code is unclear.
        ("2026年收到0007", None),
    ];
    for (text, code) in table {
        assert_eq!(code_in(text).as_deref(), code, "{text}");
    }
}

#[test]
fn a_reply_answers_the_named_warning_or_the_senders_latest_line() {
    let line = |id, recipient, code: &str, at| OpenLine {
        id,
        recipient,
        code: code.into(),
        called_at: Timestamp(at),
    };
    let open = [
        line(1, 7, "0001", 100),
        line(2, 7, "0002", 200),
        line(3, 8, "0002", 300),
    ];
    let table = [
        (7, "收到", Some(2)),
        (7, "收到 0001", Some(1)),
        (7, "收到 0002", Some(2)),
        (7, "收到 0009", Some(2)),
        (8, "好的", Some(3)),
        (8, "0001", Some(3)),
        (9, "收到 0001", None),
    ];
    for (recipient, text, expected) in table {
        assert_eq!(
            match_reply(&open, recipient, text, Timestamp(1_000)),
            expected,
            "{recipient} {text}"
        );
    }
}

#[test]
fn a_reply_answers_only_a_line_called_before_it_arrived() {
    let line = |id, code: &str, at| OpenLine {
        id,
        recipient: 7,
        code: code.into(),
        called_at: Timestamp(at),
    };
    let open = [line(1, "0001", 10_000), line(2, "0002", 20_500)];
    // (reply's arrival, text, the line it answers)
    let table = [
        (9_000, "收到", None),
        (9_000, "收到 0001", None),
        (10_000, "收到", Some(1)),
        (19_000, "收到", Some(1)),
        (19_000, "收到 0002", Some(1)),
        // WeChat's whole-second stamp: a reply in the call's second reads early.
        (20_000, "收到", Some(2)),
        (20_000, "收到 0001", Some(1)),
        (30_000, "收到", Some(2)),
        (30_000, "收到 0001", Some(1)),
    ];
    for (at, text, expected) in table {
        assert_eq!(
            match_reply(&open, 7, text, Timestamp(at)),
            expected,
            "{at} {text}"
        );
    }
}

#[test]
fn a_call_counts_as_before_a_reply_stamped_in_its_second() {
    let table = [
        (1_000, 1_000, true),
        (1_000, 999, true),
        (1_999, 1_000, true),
        (2_000, 1_000, false),
        (5_000, 1_000, false),
        (1_000, 60_000, true),
    ];
    for (called_at, at, before) in table {
        assert_eq!(
            called_before(Timestamp(called_at), Timestamp(at)),
            before,
            "{called_at} {at}"
        );
    }
}

#[test]
fn the_roster_is_due_each_year_before_20_april() {
    let at = |y, m, d, h: i64| {
        let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
        beijing_midnight(date).plus_ms(h * 3_600_000)
    };
    let table = [
        (None, at(2027, 3, 1, 0), RosterStatus::Due),
        (None, at(2027, 4, 19, 23), RosterStatus::Due),
        (None, at(2027, 4, 20, 0), RosterStatus::Overdue),
        (
            Some(at(2026, 4, 1, 9)),
            at(2027, 1, 1, 0),
            RosterStatus::Due,
        ),
        (
            Some(at(2026, 12, 31, 23)),
            at(2027, 4, 10, 0),
            RosterStatus::Due,
        ),
        (
            Some(at(2027, 1, 2, 9)),
            at(2027, 4, 10, 0),
            RosterStatus::Confirmed,
        ),
        (
            Some(at(2027, 5, 2, 9)),
            at(2027, 12, 31, 23),
            RosterStatus::Confirmed,
        ),
        (
            Some(at(2026, 5, 2, 9)),
            at(2027, 6, 1, 0),
            RosterStatus::Overdue,
        ),
    ];
    for (last, now, expected) in table {
        assert_eq!(roster_status(last, now), expected, "{last:?} {now:?}");
    }
}
