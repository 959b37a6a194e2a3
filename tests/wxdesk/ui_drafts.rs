//! Local drafts on a shared desk: each user sees only their own. A supervisor who signs in
//! after a duty forecaster is not shown the forecaster's unsent drafts.

use wxdesk::console::messages::Event;
use wxdesk::console::ui::i18n::Language;
use wxdesk::domain::access::Role;

use crate::support::{console_harness, session_view};
use crate::warnings::content;

/// A draft kept on the desk by `owner`.
fn kept(id: u64, owner: &str) -> wxdesk::console::messages::DeskDraft {
    let body = content(
        "issue",
        None,
        &["350423100"],
        "发布暴雨黄色预警信号：草稿。",
    );
    wxdesk::console::messages::DeskDraft {
        id,
        composer: "{}".into(),
        content: serde_json::from_value(body).unwrap(),
        submitted_as: None,
        owner: owner.into(),
    }
}

#[test]
fn a_supervisor_signing_in_after_a_forecaster_sees_only_their_own_drafts() {
    use egui_kittest::kittest::Queryable as _;
    use wxdesk::console::messages::{AuthEvent, SyncEvent, WarningEvent};
    let (mut harness, backend, _clock) = console_harness(Language::Zh);
    let send = |event: Event| backend.events.try_send(event).unwrap();
    send(Event::Sync(SyncEvent::NetworkLoaded(
        crate::support::network(),
    )));
    send(Event::Warnings(WarningEvent::DraftsLoaded(vec![
        kept(1, "zhangwei"),
        kept(2, "zhangwei"),
        kept(3, "lina"),
    ])));
    let count = |harness: &egui_kittest::Harness<'static, wxdesk::console::app::App>| {
        let words = wxdesk::console::ui::warnings::text::text(Language::Zh);
        (0..=3).find(|n| {
            let label = format!("{}（{n}）", words.drafts);
            harness.query_by_label(&label).is_some()
        })
    };
    send(Event::Auth(AuthEvent::SignedIn(session_view(
        Role::DutyForecaster,
    ))));
    harness.run();
    harness.get_by_label("预警发布").click();
    harness.run();
    assert_eq!(count(&harness), Some(2), "the forecaster's two");
    send(Event::Auth(AuthEvent::SignedOut(None)));
    harness.run();
    send(Event::Auth(AuthEvent::SignedIn(session_view(
        Role::Supervisor,
    ))));
    harness.run();
    if harness.query_by_label("预警发布").is_some() {
        harness.get_by_label("预警发布").click();
        harness.run();
    }
    assert_eq!(
        count(&harness),
        Some(1),
        "the supervisor's own, none of the forecaster's"
    );
}
