use std::collections::BTreeSet;

use super::*;
use crate::domain::access::Role;
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::warning::Level;
use crate::domain::warning::approval::{AlonePolicy, SignOff};
use crate::domain::warning::checks::{Channel, Finding};
use crate::domain::warning::lifecycle::{LifecycleError, WarningState};

/// 2026-11-27 18:00 Beijing time.
const NOW: Timestamp = Timestamp(1_795_773_600_000);

const FORECASTER: Actor<'static> = Actor {
    name: "zhang",
    role: Role::DutyForecaster,
};
const SUPERVISOR: Actor<'static> = Actor {
    name: "li",
    role: Role::Supervisor,
};

fn area(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| (*c).to_owned()).collect()
}

fn content(action: Action, follows: Option<&str>, codes: &[&str]) -> WarningContent {
    WarningContent {
        action,
        follows: follows.map(str::to_owned),
        signal: "rainstorm".into(),
        level: Level::Yellow,
        area: area(codes),
        enlarge_confirmed: false,
        issued_at: NOW,
        expires_at: (action != Action::Lift).then(|| NOW.plus_ms(6 * HOUR_MS)),
        texts: [(Channel::Sms, "【清流气象】暴雨黄色预警".to_owned())].into(),
        template_fields: Default::default(),
        recipient_groups: area(&["heads"]),
        practice: false,
    }
}

fn book(records: Vec<WarningRecord>) -> WarningBook {
    WarningBook {
        next_id: format!("w{}", records.len() + 1),
        records,
    }
}

fn released(id: &str, c: WarningContent) -> WarningRecord {
    let mut r = submit(&book(vec![]), c, "zhang", NOW);
    r.id = id.into();
    r.released_at = Some(NOW);
    r.cap_identifier = Some(format!("35042341600000_2026112718000{}", id.len()));
    r.state = DraftState::Sent(SignOff {
        by: "li".into(),
        pin: r.pin.clone(),
        alone: false,
    });
    r
}

fn code(result: Result<impl std::fmt::Debug, WarningError>) -> String {
    match result {
        Err(
            WarningError::NotFound(r)
            | WarningError::Forbidden(r)
            | WarningError::Conflict(r)
            | WarningError::Unprocessable(r),
        ) => r.code.as_str().to_owned(),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_approval_rules_refuse_with_their_codes() {
    let record = submit(
        &book(vec![]),
        content(Action::Issue, None, &["101"]),
        "zhang",
        NOW,
    );
    let pin = record.pin.clone();
    let own_supervisor = Actor {
        name: "zhang",
        role: Role::Supervisor,
    };
    let table: Vec<(&str, Result<WarningRecord, WarningError>, &str)> = vec![
        (
            "drafter approves",
            approve(&record, &pin, own_supervisor, NOW),
            "approver_is_drafter",
        ),
        (
            "forecaster approves",
            approve(&record, &pin, FORECASTER, NOW),
            "forbidden",
        ),
        (
            "stale pin",
            approve(&record, "0000", SUPERVISOR, NOW),
            "content_changed",
        ),
        (
            "blank comment",
            send_back(&record, "  ", SUPERVISOR, NOW),
            "comment_required",
        ),
        (
            "release unapproved",
            release(
                &record,
                &pin,
                FORECASTER,
                &book(vec![]),
                "35042341600000",
                NOW,
            )
            .map(|mut v| v.remove(0)),
            "warning_not_now",
        ),
        (
            "revise by another",
            revise(
                &record,
                content(Action::Issue, None, &["102"]),
                Actor {
                    name: "wang",
                    role: Role::DutyForecaster,
                },
                NOW,
            ),
            "not_drafter",
        ),
        (
            "alone: an issue",
            sign_alone(&record, &pin, FORECASTER, &AlonePolicy::default(), NOW),
            "alone_not_allowed",
        ),
    ];
    for (what, result, want) in table {
        assert_eq!(code(result), want, "{what}");
    }
    let approved = approve(&record, &pin, SUPERVISOR, NOW).unwrap();
    assert!(matches!(&approved.state, DraftState::Approved(s) if s.by == "li" && !s.alone));
    let revised = revise(
        &approved,
        content(Action::Issue, None, &["102"]),
        FORECASTER,
        NOW,
    )
    .unwrap();
    assert_eq!(
        revised.state,
        DraftState::Submitted,
        "an edit voids the approval"
    );
    assert_ne!(revised.pin, pin);
    let steps: Vec<&str> = revised.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(steps, ["submitted", "approved", "revised"]);
}

#[test]
fn release_stamps_the_record_and_replaces_what_it_follows() {
    let w1 = released("w1", content(Action::Issue, None, &["101", "102"]));
    let lift = submit(
        &book(vec![w1.clone()]),
        content(Action::Lift, Some("w1"), &["101"]),
        "zhang",
        NOW,
    );
    let night = NOW.plus_ms(5 * HOUR_MS);
    let policy = AlonePolicy {
        actions: [Action::Lift].into(),
        window: Some((22 * 60, 8 * 60)),
    };
    assert_eq!(
        code(sign_alone(&lift, &lift.pin, FORECASTER, &policy, NOW)),
        "alone_not_allowed"
    );
    let signed = sign_alone(&lift, &lift.pin, FORECASTER, &policy, night).unwrap();
    let records = book(vec![lift.clone(), w1.clone()]);
    let written = release(
        &signed,
        &signed.pin,
        FORECASTER,
        &records,
        "35042341600000",
        night,
    )
    .unwrap();
    assert_eq!(
        written[0].cap_identifier.as_deref(),
        Some("35042341600000_20261127230000")
    );
    assert_eq!(written[1].replaced_by.as_deref(), Some(lift.id.as_str()));
    // A partial lift leaves the rest in force, which a later follow-up follows.
    let after = in_force(&[written[0].clone(), written[1].clone()]);
    let rest = after.iter().find(|w| w.id == lift.id).unwrap();
    assert_eq!(
        (rest.area.clone(), rest.state(night)),
        (area(&["102"]), WarningState::Active)
    );
    assert!(after.iter().any(|w| w.id == "w1" && w.closed));
    let second = release(
        &written[0],
        &signed.pin,
        FORECASTER,
        &book(written.clone()),
        "35042341600000",
        night,
    );
    assert_eq!(code(second), "warning_not_now", "released once");
}

#[test]
fn lifecycle_and_checks_answer_with_the_domains_codes() {
    let w1 = released("w1", content(Action::Issue, None, &["101"]));
    let records = book(vec![w1]);
    let mut wider = content(Action::Continue, Some("w1"), &["101", "102", "103"]);
    let refusal = match check_lifecycle(&wider, &records, NOW) {
        Err(WarningError::Unprocessable(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(refusal.code, Code::AreaEnlarged);
    assert_eq!(refusal.params["added"], Param::Text("102、103".into()));
    wider.enlarge_confirmed = true;
    assert!(check_lifecycle(&wider, &records, NOW).is_ok());
    let table = [
        (content(Action::Issue, None, &["102"]), "already_in_force"),
        (
            content(Action::Lift, Some("w9"), &["101"]),
            "follows_unknown",
        ),
        (
            content(Action::Continue, None, &["101"]),
            "nothing_followed",
        ),
    ];
    for (c, want) in table {
        assert_eq!(code(check_lifecycle(&c, &records, NOW)), want, "{c:?}");
    }
    let mut drill = content(Action::Issue, None, &["102"]);
    drill.practice = true;
    assert!(
        check_lifecycle(&drill, &records, NOW).is_ok(),
        "a drill beside a real warning"
    );
    let catalogue = crate::domain::warning::shipped_catalogue();
    let settings = WarningSettings {
        townships: area(&["101"]),
        ..WarningSettings::default()
    };
    let mut late = content(Action::Issue, None, &["101"]);
    late.issued_at = NOW.plus_ms(-31 * MINUTE_MS);
    let mut unknown = content(Action::Issue, None, &["101"]);
    unknown.signal = "snowstorm-x".into();
    let mut long_field = content(Action::Issue, None, &["101"]);
    long_field.template_fields = [("first".to_owned(), "一".repeat(21))].into();
    let cases = [
        (content(Action::Issue, None, &["101"]), "ok"),
        (
            content(Action::Issue, None, &["101", "999"]),
            "unknown_township",
        ),
        (late, "issue_too_far_in_past"),
        (unknown, "unknown_signal"),
        (long_field, "template_field_too_long"),
    ];
    for (c, want) in cases {
        let got = match check_content(&c, &catalogue, &settings, NOW) {
            Ok(()) => "ok".to_owned(),
            other => code(other),
        };
        assert_eq!(got, want);
    }
}

#[test]
fn every_domain_refusal_is_registered_with_its_parameters() {
    let errors = [
        serde_json::to_value(LifecycleError::NotInForce {
            id: "w1".into(),
            state: WarningState::Expired,
        }),
        serde_json::to_value(LifecycleError::LevelDoesNotFit {
            action: Action::Upgrade,
            from: Level::Yellow,
            to: Level::Blue,
        }),
        serde_json::to_value(Finding::SmsTooLong {
            units: 400,
            parts: 7,
            max_parts: 4,
        }),
        serde_json::to_value(Finding::ChannelTooLong {
            channel: Channel::WecomText,
            bytes: 2049,
            limit: 2048,
        }),
    ];
    for error in errors {
        let error = error.unwrap();
        let refusal = coded(&error);
        assert_eq!(refusal.code.as_str(), error["code"], "{error}");
        for name in refusal.params.keys() {
            assert!(
                refusal.code.params().contains(&name.as_str()),
                "{error}: {name}"
            );
        }
    }
}
