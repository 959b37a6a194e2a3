//! Warnings through real HTTP against a test central: the approval rules (approver ≠
//! drafter, a pin approval signs, an edit voids it, a return needs a comment), signing alone
//! inside and outside the bureau's window on the central's clock, a follow-up that may not
//! silently enlarge the area, release, the audit trail of every step, and the CAP of a
//! released warning and of its lift against the OASIS schema.

use std::path::Path;

use serde_json::{Value, json};
use wxdesk::console::messages::warnings::{DeskDraft, WarningCommand, WarningEvent};
use wxdesk::console::messages::{Command, Event};
use wxdesk::domain::access::Role;
use wxdesk::domain::time::HOUR_MS;
use wxdesk::protocol::warnings::{WarningContent, WarningRecord};

use crate::support::{TestCentral, client_with, now};
use crate::xmllint::xmllint;

/// 龙津镇, 嵩溪镇 and a third township (NBS 2023).
const A: &str = "350423100";
const B: &str = "350423101";
const C: &str = "350423102";

/// A rainstorm-yellow composition of `action` over `area`, issued now.
pub fn content(action: &str, follows: Option<&str>, area: &[&str], sms: &str) -> Value {
    let mut c = json!({
        "action": action,
        "signal": "rainstorm",
        "level": "yellow",
        "area": area,
        "issued_at": now().to_rfc3339(),
        "texts": {"sms": format!("【清流气象】清流县气象台{sms}"), "wecom_text": sms},
        "recipient_groups": ["township-heads"],
        "practice": false,
    });
    if action != "lift" {
        c["expires_at"] = json!(now().plus_ms(6 * HOUR_MS).to_rfc3339());
    }
    if let Some(f) = follows {
        c["follows"] = json!(f);
    }
    c
}

/// `POST path` with `body` as `role`: the status and the JSON answer.
pub(crate) async fn post(
    central: &TestCentral,
    role: Role,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client_with(&central.token(role).await)
        .post(central.url(path))
        .json(body)
        .send()
        .await
        .expect("posting");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn refused(answer: &(u16, Value)) -> (u16, &str) {
    (answer.0, answer.1["error"].as_str().unwrap_or_default())
}

pub(crate) fn record(answer: &(u16, Value)) -> WarningRecord {
    assert!(answer.0 < 300, "{answer:?}");
    serde_json::from_value(answer.1.clone()).expect("a warning record")
}

/// A central's GET as `role`.
async fn get(central: &TestCentral, role: Role, path: &str) -> (u16, Value) {
    central.get_as(role, path).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_goes_from_draft_to_release_only_as_the_rules_allow() {
    use Role::{DutyForecaster as Forecaster, Supervisor};
    let central = TestCentral::start().await;
    let first = content("issue", None, &[A, B], "发布暴雨黄色预警信号。");
    let w1 = record(&post(&central, Forecaster, "/warnings", &first).await);
    let pin = |c: &Value| {
        serde_json::from_value::<WarningContent>(c.clone())
            .unwrap()
            .pin()
    };
    assert_eq!((w1.id.as_str(), w1.pin.clone()), ("w1", pin(&first)));
    assert_eq!(w1.drafter, "duty-forecaster");
    let approve = |p: &str| json!({"pin": p});
    // The drafter may not approve; the matrix already refuses the role.
    let own = post(
        &central,
        Forecaster,
        "/warnings/w1/approve",
        &approve(&w1.pin),
    )
    .await;
    assert_eq!(refused(&own), (403, "forbidden"));
    let blank = post(
        &central,
        Supervisor,
        "/warnings/w1/return",
        &json!({"comment": " "}),
    )
    .await;
    assert_eq!(refused(&blank), (422, "comment_required"));
    let back = post(
        &central,
        Supervisor,
        "/warnings/w1/return",
        &json!({"comment": "补充实况"}),
    )
    .await;
    let back = record(&back);
    assert_eq!(
        back.steps.last().unwrap().comment.as_deref(),
        Some("补充实况")
    );
    // Desks show people by the names they know them by, kept with the record.
    assert_eq!(w1.name_of("duty-forecaster"), "Test Duty forecaster");
    assert_eq!(back.name_of("supervisor"), "Test Supervisor");
    assert_eq!(back.name_of("duty-forecaster"), "Test Duty forecaster");
    let stale = post(
        &central,
        Supervisor,
        "/warnings/w1/approve",
        &approve(&w1.pin),
    )
    .await;
    assert_eq!(
        refused(&stale),
        (409, "warning_not_now"),
        "a returned warning is revised first"
    );
    let second = content(
        "issue",
        None,
        &[A, B],
        "发布暴雨黄色预警信号：嵩溪镇已出现30毫米降水。",
    );
    let revised = record(&post(&central, Forecaster, "/warnings/w1/revise", &second).await);
    assert_eq!(revised.pin, pin(&second));
    let wrong = post(
        &central,
        Supervisor,
        "/warnings/w1/approve",
        &approve(&w1.pin),
    )
    .await;
    assert_eq!(refused(&wrong), (409, "content_changed"));
    record(
        &post(
            &central,
            Supervisor,
            "/warnings/w1/approve",
            &approve(&revised.pin),
        )
        .await,
    );
    // An edit after approval voids it: the revision is submitted again.
    let third = content(
        "issue",
        None,
        &[A, B],
        "发布暴雨黄色预警信号：未来6小时仍有强降水。",
    );
    let edited = record(&post(&central, Forecaster, "/warnings/w1/revise", &third).await);
    assert_eq!(
        serde_json::to_value(&edited.state).unwrap()["state"],
        "submitted"
    );
    let unapproved = post(
        &central,
        Forecaster,
        "/warnings/w1/release",
        &approve(&edited.pin),
    )
    .await;
    assert_eq!(refused(&unapproved), (409, "warning_not_now"));
    record(
        &post(
            &central,
            Supervisor,
            "/warnings/w1/approve",
            &approve(&edited.pin),
        )
        .await,
    );
    let old_pin = post(
        &central,
        Forecaster,
        "/warnings/w1/release",
        &approve(&revised.pin),
    )
    .await;
    assert_eq!(
        refused(&old_pin),
        (409, "content_changed"),
        "release with a stale pin"
    );
    let released = record(
        &post(
            &central,
            Forecaster,
            "/warnings/w1/release",
            &approve(&edited.pin),
        )
        .await,
    );
    assert_eq!(
        released.cap_identifier.as_deref(),
        Some("35042341600000_20261127180000")
    );
    assert_eq!(released.released_at, Some(now()));

    // A follow-up may not silently enlarge the area, nor an issue duplicate the signal.
    let wider = content(
        "continue",
        Some("w1"),
        &[A, B, C],
        "继续发布暴雨黄色预警信号。",
    );
    let enlarged = post(&central, Forecaster, "/warnings", &wider).await;
    assert_eq!(refused(&enlarged), (422, "area_enlarged"));
    assert_eq!(enlarged.1["params"]["added"], C);
    let again = post(
        &central,
        Forecaster,
        "/warnings",
        &content("issue", None, &[C], "发布。"),
    )
    .await;
    assert_eq!(refused(&again), (422, "already_in_force"));
    let unknown = post(
        &central,
        Forecaster,
        "/warnings",
        &content("lift", Some("w9"), &[A], "解除。"),
    )
    .await;
    assert_eq!(refused(&unknown), (422, "follows_unknown"));

    // A lift signed alone: refused at 18:00, allowed at 23:00 Beijing time (22:00–08:00).
    let lift = record(
        &post(
            &central,
            Forecaster,
            "/warnings",
            &content("lift", Some("w1"), &[A, B], "解除暴雨黄色预警信号。"),
        )
        .await,
    );
    let day = post(
        &central,
        Forecaster,
        &format!("/warnings/{}/sign-alone", lift.id),
        &approve(&lift.pin),
    )
    .await;
    assert_eq!(refused(&day), (403, "alone_not_allowed"));
    central.clock.advance(5 * HOUR_MS);
    let night = record(
        &post(
            &central,
            Forecaster,
            &format!("/warnings/{}/sign-alone", lift.id),
            &approve(&lift.pin),
        )
        .await,
    );
    assert_eq!(serde_json::to_value(&night.state).unwrap()["alone"], true);
    assert_eq!(night.steps.last().unwrap().step, "signed_alone");
    record(
        &post(
            &central,
            Forecaster,
            &format!("/warnings/{}/release", lift.id),
            &approve(&lift.pin),
        )
        .await,
    );
    let (_, w1_now) = get(&central, Supervisor, "/warnings/w1").await;
    assert_eq!(w1_now["replaced_by"], lift.id.as_str());
    let (_, sent) = get(&central, Role::Leader, "/warnings?state=sent").await;
    let ids: Vec<&str> = sent["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [lift.id.as_str(), "w1"], "newest first");
    assert_eq!(
        refused(&get(&central, Role::Leader, "/warnings/w9").await),
        (404, "unknown_warning")
    );

    // Every step is in the audit log, without the texts or the recipients.
    let (_, audit) = get(&central, Supervisor, "/audit?limit=100").await;
    let entries = audit["entries"].as_array().unwrap();
    let steps: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("warning_"))
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .rev()
        .collect();
    let lift_target = format!("warning:{}", lift.id);
    assert_eq!(
        steps,
        [
            ("warning_submitted", "warning:w1"),
            ("warning_returned", "warning:w1"),
            ("warning_revised", "warning:w1"),
            ("warning_approved", "warning:w1"),
            ("warning_revised", "warning:w1"),
            ("warning_approved", "warning:w1"),
            ("warning_released", "warning:w1"),
            ("warning_submitted", lift_target.as_str()),
            ("warning_signed_alone", lift_target.as_str()),
            ("warning_released", lift_target.as_str()),
        ]
    );
    let said = audit.to_string();
    assert!(
        !said.contains("township-heads") && !said.contains("清流气象"),
        "{said}"
    );

    // The CAP of the warning and of its lift.
    let issue_cap = cap(&central, "w1").await;
    let lift_cap = cap(&central, &lift.id).await;
    assert!(
        issue_cap.contains("<msgType>Alert</msgType>"),
        "{issue_cap}"
    );
    assert!(lift_cap.contains("<msgType>Cancel</msgType>"), "{lift_cap}");
    assert!(lift_cap.contains(
        "<references>35042341600000,35042341600000_20261127180000,2026-11-27T18:00:00+08:00</references>"
    ));
    assert!(issue_cap.contains(&format!("<value>{A}</value>")));
    for xml in [&issue_cap, &lift_cap] {
        if let Some(valid) = xmllint(xml) {
            assert!(valid, "CAP does not validate:\n{xml}");
        }
    }
    let mut later = content("issue", None, &[A], "发布。");
    later["issued_at"] = json!(now().plus_ms(5 * HOUR_MS).to_rfc3339());
    later["expires_at"] = json!(now().plus_ms(9 * HOUR_MS).to_rfc3339());
    let unreleased = record(&post(&central, Forecaster, "/warnings", &later).await);
    let early = get(
        &central,
        Role::Leader,
        &format!("/warnings/{}/cap", unreleased.id),
    )
    .await;
    assert_eq!(refused(&early), (409, "warning_not_now"));
}

/// The CAP document of record `id`.
async fn cap(central: &TestCentral, id: &str) -> String {
    let response = client_with(&central.token(Role::Leader).await)
        .get(central.url(&format!("/warnings/{id}/cap")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_block_with_the_findings_code() {
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.warnings.checks.banned_words = [(
            wxdesk::domain::warning::checks::Channel::Sms,
            vec!["绝对安全".to_owned()],
        )]
        .into();
    })
    .await;
    let forecaster = Role::DutyForecaster;
    let banned = content("issue", None, &[A], "发布暴雨黄色预警信号，绝对安全。");
    let answer = post(&central, forecaster, "/warnings", &banned).await;
    assert_eq!(refused(&answer), (422, "banned_word"));
    assert_eq!(
        answer.1["params"],
        json!({"channel": "sms", "word": "绝对安全"})
    );
    let mut late = content("issue", None, &[A], "发布。");
    late["expires_at"] = json!(now().plus_ms(-HOUR_MS).to_rfc3339());
    assert_eq!(
        refused(&post(&central, forecaster, "/warnings", &late).await).1,
        "expiry_not_after_issue"
    );
    let long = content("issue", None, &[A], &"暴雨".repeat(200));
    assert_eq!(
        refused(&post(&central, forecaster, "/warnings", &long).await),
        (422, "sms_too_long")
    );
    let empty = content("issue", None, &[], "发布。");
    assert_eq!(
        refused(&post(&central, forecaster, "/warnings", &empty).await),
        (422, "empty_area")
    );
    let (status, list) = get(&central, Role::Leader, "/warnings").await;
    assert_eq!(
        (status, list["warnings"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let bad = get(&central, Role::Leader, "/warnings?limit=0").await;
    assert_eq!(refused(&bad), (400, "out_of_bounds"));
}

/// A console backend of the duty forecaster, with the warnings events it reported.
struct Desk {
    link: wxdesk::console::backend::Link,
    _handle: wxdesk::console::backend::BackendHandle,
}

impl Desk {
    fn start(central: &TestCentral, cache: &Path, credentials: &Path) -> Self {
        use wxdesk::console::backend::{self, BackendConfig, Link};
        crate::support::init();
        let (link, ends) = Link::pair();
        let mut config = BackendConfig::new(&central.base(), cache.to_owned());
        config.credentials_dir = Some(credentials.to_owned());
        let clock: wxdesk::domain::time::SharedClock =
            wxdesk::domain::time::ManualClock::new(now());
        let handle =
            backend::spawn(config, ends, clock, std::sync::Arc::new(|| {})).expect("backend");
        Self {
            link,
            _handle: handle,
        }
    }

    /// Waits for a warnings event that `done` accepts, and returns it.
    async fn until(&mut self, what: &str, done: impl Fn(&WarningEvent) -> bool) -> WarningEvent {
        let link = &mut self.link;
        crate::support::within(what, async {
            loop {
                match link.recv().await {
                    Some(Event::Warnings(event)) if done(&event) => return event,
                    Some(_) => {}
                    None => panic!("backend stopped"),
                }
            }
        })
        .await
    }

    /// Waits until the remembered session is restored (the token is set before `Ready`) and `event` was reported, in either
    /// order: a submission before sign-in would rightly be refused as unauthorized.
    async fn signed_in_with(&mut self, what: &str, event: &WarningEvent) {
        use wxdesk::console::messages::AuthEvent;
        let link = &mut self.link;
        crate::support::within(what, async {
            let (mut signed_in, mut seen) = (false, false);
            while !(signed_in && seen) {
                match link.recv().await {
                    Some(Event::Auth(AuthEvent::Ready { remembered, .. })) => {
                        signed_in = remembered.is_some();
                    }
                    Some(Event::Warnings(e)) if &e == event => seen = true,
                    Some(_) => {}
                    None => panic!("backend stopped"),
                }
            }
        })
        .await;
    }

    fn send(&self, command: WarningCommand) {
        self.link
            .send(Command::Warnings(command))
            .expect("command sent");
    }
}

/// The duty forecaster's session, remembered where a backend finds it.
async fn forecaster_session(central: &TestCentral, dir: &Path) -> std::path::PathBuf {
    crate::support::remembered_session_of(central, Role::DutyForecaster, dir).await
}

fn has(records: &[WarningRecord], id: &str, state: &str) -> bool {
    records
        .iter()
        .any(|r| r.id == id && serde_json::to_value(&r.state).unwrap()["state"] == state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_keeps_its_drafts_and_syncs_the_records() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let credentials = forecaster_session(&central, dir.path()).await;
    let draft = DeskDraft {
        id: 7,
        composer: "{\"kept\":[1,2]}".into(),
        content: serde_json::from_value(content("issue", None, &[A, B], "发布暴雨黄色预警信号。"))
            .unwrap(),
        submitted_as: None,
        owner: "duty-forecaster".into(),
    };
    let mut desk = Desk::start(&central, &cache, &credentials);
    desk.until("no drafts at first", |e| {
        e == &WarningEvent::DraftsLoaded(vec![])
    })
    .await;
    desk.send(WarningCommand::SaveDraft(draft.clone()));
    let kept = WarningEvent::DraftsLoaded(vec![draft.clone()]);
    desk.until("the draft kept", |e| e == &kept).await;
    drop(desk);

    // A restarted backend still has it; submitting it makes it name its record.
    let mut desk = Desk::start(&central, &cache, &credentials);
    desk.signed_in_with("the draft after a restart", &kept)
        .await;
    desk.send(WarningCommand::Submit(draft.clone()));
    let done = desk
        .until("submitted", |e| {
            matches!(e, WarningEvent::Done(_) | WarningEvent::Refused { .. })
        })
        .await;
    let WarningEvent::Done(record) = done else {
        panic!("{done:?}")
    };
    assert_eq!(record.id, "w1");
    desk.until("the draft names its record", |e| {
        matches!(e, WarningEvent::DraftsLoaded(d) if d[0].submitted_as.as_deref() == Some("w1"))
    })
    .await;

    // A supervisor's approval elsewhere reaches this desk's cache by sync.
    let approved = post(
        &central,
        Role::Supervisor,
        "/warnings/w1/approve",
        &json!({"pin": record.pin}),
    )
    .await;
    assert_eq!(approved.0, 200, "{approved:?}");
    desk.until(
        "the approval synced",
        |e| matches!(e, WarningEvent::RecordsChanged(r) if has(r, "w1", "approved")),
    )
    .await;

    // With the central gone nothing is sent: the desk says so, and the record stays approved.
    central.shutdown().await;
    desk.send(WarningCommand::Release {
        id: "w1".into(),
        pin: record.pin.clone(),
    });
    let offline = desk
        .until("refused offline", |e| {
            matches!(e, WarningEvent::Refused { .. })
        })
        .await;
    let WarningEvent::Refused {
        code,
        message,
        offline,
    } = offline
    else {
        unreachable!()
    };
    assert_eq!((code.as_str(), offline), ("unreachable", true));
    assert!(message.contains("尚未发送"), "{message}");
    drop(desk);
    let cached = wxdesk::store::cache::CacheDb::open_reader(&cache).unwrap();
    let records = wxdesk::console::backend::warnings::records(&cached).unwrap();
    assert!(has(&records, "w1", "approved"), "{records:?}");
}
