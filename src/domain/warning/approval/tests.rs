//! Table tests of the approval state machine and the sign-alone policy.

use super::*;
use DraftEvent as E;
use DraftState as S;
use Role::{DutyForecaster as Duty, Leader, Supervisor as Sup};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn draft(action: Action, state: DraftState) -> Draft {
    Draft {
        drafter: "zhang".into(),
        action,
        state,
    }
}

fn sign(by: &str, alone: bool) -> SignOff {
    SignOff {
        by: by.into(),
        pin: "P".into(),
        alone,
    }
}

fn approve(by: &str, role: Role) -> DraftEvent {
    E::Approve {
        by: by.into(),
        role,
        pin: "P".into(),
    }
}

fn send(pin: &str) -> DraftEvent {
    E::Send {
        by: "zhang".into(),
        role: Duty,
        pin: pin.into(),
    }
}

fn alone(by: &str, when: &str) -> DraftEvent {
    E::SignAlone {
        by: by.into(),
        role: Duty,
        pin: "P".into(),
        at: at(when),
    }
}

fn night() -> AlonePolicy {
    AlonePolicy {
        actions: [Action::Lift, Action::Continue].into(),
        window: Some((22 * 60, 8 * 60)),
    }
}

fn not_now(event: &str, state: &str) -> ApprovalError {
    ApprovalError::NotNow {
        event: event.into(),
        state: state.into(),
    }
}

#[test]
fn every_step_from_every_state() {
    let ret = |c: &str| E::Return {
        by: "li".into(),
        role: Sup,
        comment: c.into(),
    };
    let returned = S::Returned {
        by: "li".into(),
        comment: "请补充影响乡镇".into(),
    };
    type Row = (DraftState, DraftEvent, Result<DraftState, ApprovalError>);
    let table: Vec<Row> = vec![
        (S::Editing, E::Edit, Ok(S::Editing)),
        (S::Editing, E::Submit, Ok(S::Submitted)),
        (
            S::Editing,
            approve("li", Sup),
            Err(not_now("approve", "editing")),
        ),
        (S::Editing, send("P"), Err(not_now("send", "editing"))),
        (
            S::Submitted,
            approve("li", Sup),
            Ok(S::Approved(sign("li", false))),
        ),
        (
            S::Submitted,
            approve("zhang", Sup),
            Err(ApprovalError::ApproverIsDrafter),
        ),
        (
            S::Submitted,
            approve("wang", Duty),
            Err(ApprovalError::NotAllowed {
                role: Duty,
                capability: Capability::ApproveWarning,
            }),
        ),
        (
            S::Submitted,
            approve("boss", Leader),
            Err(ApprovalError::NotAllowed {
                role: Leader,
                capability: Capability::ApproveWarning,
            }),
        ),
        (S::Submitted, ret("请补充影响乡镇"), Ok(returned.clone())),
        (S::Submitted, ret(" "), Err(ApprovalError::CommentRequired)),
        (S::Submitted, E::Edit, Ok(S::Editing)),
        (S::Submitted, E::Submit, Err(not_now("submit", "submitted"))),
        (returned.clone(), E::Submit, Ok(S::Submitted)),
        (returned.clone(), E::Edit, Ok(S::Editing)),
        (
            returned,
            approve("li", Sup),
            Err(not_now("approve", "returned")),
        ),
        (
            S::Approved(sign("li", false)),
            send("P"),
            Ok(S::Sent(sign("li", false))),
        ),
        (
            S::Approved(sign("li", false)),
            send("Q"),
            Err(ApprovalError::ContentChanged),
        ),
        (
            S::Approved(sign("li", false)),
            E::Send {
                by: "boss".into(),
                role: Leader,
                pin: "P".into(),
            },
            Err(ApprovalError::NotAllowed {
                role: Leader,
                capability: Capability::DispatchWarning,
            }),
        ),
        (S::Approved(sign("li", false)), E::Edit, Ok(S::Editing)),
        (
            S::Approved(sign("li", false)),
            ret("x"),
            Err(not_now("return", "approved")),
        ),
        (
            S::Sent(sign("li", false)),
            E::Edit,
            Err(not_now("edit", "sent")),
        ),
        (
            S::Sent(sign("li", false)),
            send("P"),
            Err(not_now("send", "sent")),
        ),
    ];
    for (state, event, want) in table {
        let d = draft(Action::Issue, state.clone());
        assert_eq!(step(&d, &event, &night()), want, "{state:?} {event:?}");
    }
}

#[test]
fn signing_alone_follows_the_bureau_policy() {
    let table = [
        (Action::Lift, "zhang", "2026-12-06T23:10:00+08:00", true),
        (Action::Continue, "zhang", "2026-12-07T03:00:00+08:00", true),
        (Action::Lift, "zhang", "2026-12-07T07:59:00+08:00", true),
        (Action::Lift, "zhang", "2026-12-07T08:00:00+08:00", false),
        (Action::Lift, "zhang", "2026-12-06T14:00:00+08:00", false),
        (Action::Issue, "zhang", "2026-12-06T23:10:00+08:00", false),
        (Action::Upgrade, "zhang", "2026-12-06T23:10:00+08:00", false),
        (Action::Lift, "wang", "2026-12-06T23:10:00+08:00", false),
    ];
    for (action, by, when, ok) in table {
        let d = draft(action, S::Editing);
        let got = step(&d, &alone(by, when), &night());
        let want = if ok {
            Ok(S::Approved(sign(by, true)))
        } else {
            Err(ApprovalError::AloneNotAllowed { action })
        };
        assert_eq!(got, want, "{action:?} {by} {when}");
    }
    let all_day = AlonePolicy {
        actions: [Action::Lift].into(),
        window: None,
    };
    assert!(all_day.permits(Action::Lift, at("2026-12-06T14:00:00+08:00")));
    assert!(!all_day.permits(Action::Continue, at("2026-12-06T14:00:00+08:00")));
    let upgrade_listed = AlonePolicy {
        actions: [Action::Upgrade].into(),
        window: None,
    };
    assert!(
        !upgrade_listed.permits(Action::Upgrade, at("2026-12-06T14:00:00+08:00")),
        "only continue/lift"
    );
    assert!(!AlonePolicy::default().permits(Action::Lift, at("2026-12-06T23:00:00+08:00")));
    let sent = step(
        &draft(Action::Lift, S::Sent(sign("zhang", true))),
        &alone("zhang", "2026-12-06T23:00:00+08:00"),
        &night(),
    );
    assert_eq!(sent, Err(not_now("sign_alone", "sent")));
}

#[test]
fn windows_including_across_midnight() {
    let table = [
        ((22 * 60, 8 * 60), 22 * 60, true),
        ((22 * 60, 8 * 60), 0, true),
        ((22 * 60, 8 * 60), 8 * 60, false),
        ((22 * 60, 8 * 60), 12 * 60, false),
        ((8 * 60, 18 * 60), 12 * 60, true),
        ((8 * 60, 18 * 60), 18 * 60, false),
    ];
    for (w, m, want) in table {
        assert_eq!(in_window(w, m), want, "{w:?} {m}");
    }
    assert_eq!(minute_of_day(at("2026-12-06T23:10:00+08:00")), 23 * 60 + 10);
}

#[test]
fn any_change_of_content_changes_the_pin() {
    let area = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let base = content_pin(
        &[("sms", "甲"), ("cap", "乙")],
        &area(&["101"]),
        &area(&["g1"]),
    );
    assert_eq!(base.len(), 64);
    assert_eq!(
        base,
        content_pin(
            &[("sms", "甲"), ("cap", "乙")],
            &area(&["101"]),
            &area(&["g1"])
        )
    );
    let others = [
        content_pin(
            &[("sms", "甲 "), ("cap", "乙")],
            &area(&["101"]),
            &area(&["g1"]),
        ),
        content_pin(
            &[("sms", "甲乙"), ("cap", "")],
            &area(&["101"]),
            &area(&["g1"]),
        ),
        content_pin(
            &[("sms", "甲"), ("cap", "乙")],
            &area(&["101", "102"]),
            &area(&["g1"]),
        ),
        content_pin(&[("sms", "甲"), ("cap", "乙")], &area(&["101"]), &area(&[])),
        content_pin(
            &[("sms", "甲"), ("cap", "乙")],
            &area(&[]),
            &area(&["101", "g1"]),
        ),
    ];
    for p in others {
        assert_ne!(p, base);
    }
}
