//! Issue 11 end to end, clicked through two real desks: each kittest App is connected to a
//! real desk backend speaking HTTP to a test central on 127.0.0.1. Rain crossing the
//! rainstorm-yellow criterion reaches the forecaster's desk by sync and raises the banner;
//! 起草 opens the composer on it and 提交审核 submits it; the supervisor's desk syncs the
//! record, approves and releases it; the forecaster's desk then shows the countdown chip and
//! tints the townships. At 23:00 Beijing (inside the default 22:00–08:00 window) the
//! forecaster lifts it alone, and the tint goes.
//!
//! Waits are on the backend's waker (the desk repaints when an event arrives), with a look
//! every 200 ms for what no desk event announces (a record on the central), bounded by a
//! deadline that fails naming what was awaited. Both desks share one manual clock, moved
//! together with the central's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use egui::accesskit::Role as A11y;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use serde_json::{Value, json};
use wxdesk::console::app::App;
use wxdesk::console::backend::{self, BackendConfig, BackendHandle, Link};
use wxdesk::console::ui::fonts;
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::warnings::text::{self, WarningsText};
use wxdesk::domain::access::Role;
use wxdesk::domain::time::{HOUR_MS, MINUTE_MS, ManualClock, SharedClock};
use wxdesk::domain::warning::Level;
use wxdesk::domain::warning::approval::DraftState;
use wxdesk::domain::{Timestamp, TownshipCode};
use wxdesk::protocol::warnings::WarningRecord;

use crate::support::{TestCentral, batch, client, client_with, record, remembered_session_of};

/// The whole flow runs on a slow shared machine: each wait gets this long.
const DEADLINE: Duration = Duration::from_secs(30);

const FORECAST: &str = "预计未来6小时龙津、嵩溪将出现50毫米以上降雨，请注意防范。";

const LIFT_TEXT: &str = "降雨已明显减弱。";

/// 龙津镇 and 嵩溪镇, where the rain falls.
const AREA: [u32; 2] = [350_423_100, 350_423_101];

/// The map screen's tab.
const LIVE: &str = "实况监测";

fn t() -> &'static WarningsText {
    text::text(Language::Zh)
}

/// 22:30 Beijing: the desks and the central start here; the lift happens at 23:00.
fn evening() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-27T14:30:00Z").unwrap()
}

/// A desk: the kittest App on a real backend, and the waker's signals to wait on.
pub(crate) struct Desk {
    pub(crate) harness: Harness<'static, App>,
    woken: mpsc::Receiver<()>,
    _backend: BackendHandle,
}

impl Desk {
    /// A desk whose backend finds `role`'s remembered session in `dir` and syncs from `central`.
    pub(crate) fn start(
        central: &TestCentral,
        dir: &Path,
        credentials: PathBuf,
        clock: &Arc<ManualClock>,
    ) -> Self {
        let (link, ends) = Link::pair();
        let mut config = BackendConfig::new(&central.base(), dir.join("cache.sqlite"));
        config.credentials_dir = Some(credentials);
        let (wake, woken) = mpsc::channel();
        let waker: backend::Waker = Arc::new(move || {
            let _ = wake.send(()); // the test may already have stopped listening
        });
        let shared: SharedClock = clock.clone();
        let handle = backend::spawn(config, ends, shared.clone(), waker).expect("backend");
        let harness = Harness::builder()
            .with_size(egui::vec2(1280.0, 900.0))
            .with_context_setup(fonts::install)
            .build_eframe(move |cc| App::new(cc, link, shared, Language::Zh));
        Self {
            harness,
            woken,
            _backend: handle,
        }
    }

    /// A desk whose `role` user signed in on `central` (the session remembered in `dir`), on
    /// `clock`, once the desk has confirmed the session.
    pub(crate) fn signed_in(
        rt: &tokio::runtime::Runtime,
        central: &TestCentral,
        role: Role,
        dir: &Path,
        clock: &Arc<ManualClock>,
    ) -> Self {
        let session = rt.block_on(remembered_session_of(central, role, dir));
        let mut desk = Self::start(central, dir, session, clock);
        desk.until("signed in", |d| {
            d.harness.state().state().account.confirmed()
        });
        desk
    }

    /// Runs frames until `done` holds, waiting on the backend between tries; fails naming
    /// `what` after [`DEADLINE`].
    pub(crate) fn until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let end = Instant::now() + DEADLINE;
        loop {
            self.harness.run_ok();
            if done(self) {
                return;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let state = self.harness.state().state();
                let records: Vec<(&str, &DraftState, Option<Timestamp>)> = state
                    .warnings
                    .records
                    .iter()
                    .map(|r| (r.id.as_str(), &r.state, r.released_at))
                    .collect();
                panic!(
                    "timed out waiting for {what}; link {:?}, notices {:?}, suggestions {:?}, \
                     records {records:?}",
                    state.link, state.notices, state.suggestions.current
                );
            }
            // A wake-up, or a periodic look (the frame may need the clock, not the backend).
            let _ = self
                .woken
                .recv_timeout(left.min(Duration::from_millis(200)));
        }
    }

    /// Waits until the desk holds warning `id` as released. A test changing screen right
    /// after a release waits for this first: the warning's arrival adds the in-force strip
    /// above the screen tabs, and a click landing in that very frame was seen lost (1 run in
    /// 10).
    pub(crate) fn until_released(&mut self, id: &str) {
        self.until("the released warning at the desk", |d| {
            let records = &d.harness.state().state().warnings.records;
            records
                .iter()
                .any(|r| r.id == id && r.released_at.is_some())
        });
    }

    pub(crate) fn shows(&self, text: &str) -> bool {
        self.harness
            .query_all_by_label_contains(text)
            .next()
            .is_some()
    }

    /// Waits until a node labelled `label` is enabled (a button appears once the backend
    /// reports what makes it possible), scrolls it into view and clicks it.
    pub(crate) fn click(&mut self, label: &str) {
        let enabled = |h: &Harness<'static, App>| {
            h.query_all_by_label(label)
                .filter(|n| !n.accesskit_node().is_disabled())
                .count()
        };
        self.until(&format!("an enabled “{label}”"), |d| {
            enabled(&d.harness) > 0
        });
        fn pick<'h>(h: &'h Harness<'static, App>, label: &'h str) -> egui_kittest::Node<'h> {
            h.query_all_by_label(label)
                .find(|n| !n.accesskit_node().is_disabled())
                .expect("enabled")
        }
        pick(&self.harness, label).scroll_to_me();
        self.harness.run_ok();
        pick(&self.harness, label).click();
        self.harness.run_ok();
    }

    fn write_forecast(&mut self, text: &str) {
        let field = || (A11y::MultilineTextInput, t().forecast_label);
        let (role, label) = field();
        self.until("the forecast field", |d| {
            d.harness.query_by_role_and_label(role, label).is_some()
        });
        self.harness
            .get_by_role_and_label(role, label)
            .scroll_to_me();
        self.harness.run_ok();
        self.harness.get_by_role_and_label(role, label).focus();
        self.harness.run_ok();
        self.harness
            .get_by_role_and_label(role, label)
            .type_text(text);
        self.harness.run_ok();
    }

    fn tints(&self) -> Vec<(TownshipCode, Level)> {
        let tints = self.harness.state().view().map.warning_tints().clone();
        tints.into_iter().collect()
    }
}

/// 52.4 mm at 清流 (龙津镇) and 嵩溪 in the two hours to 19:00 Beijing: 50 mm or more in 6 h,
/// none in the last 3 — the yellow level.
fn rain() -> Value {
    let hour = |h: i64| {
        evening()
            .plus_ms(-h * HOUR_MS - 30 * MINUTE_MS)
            .to_rfc3339()
    };
    let records: Vec<Value> = ["58819", "708312"]
        .into_iter()
        .flat_map(|s| {
            [
                record(s, &hour(4), json!({"PRE_1h": 30.0})),
                record(s, &hour(3), json!({"PRE_1h": 22.4})),
            ]
        })
        .collect();
    batch(&records)
}

/// `GET path` on the central as the duty forecaster: the status and the JSON answer.
fn get(rt: &tokio::runtime::Runtime, central: &TestCentral, path: &str) -> (u16, Value) {
    rt.block_on(async {
        let token = central.token(Role::DutyForecaster).await;
        let response = client_with(&token)
            .get(central.url(path))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

/// The central's record `id`.
fn central_record(rt: &tokio::runtime::Runtime, central: &TestCentral, id: &str) -> WarningRecord {
    let (status, body) = get(rt, central, &format!("/warnings/{id}"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("a warning record")
}

fn state_of(record: &WarningRecord) -> String {
    serde_json::to_value(&record.state).unwrap()["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// What happened to `record`, and by whom.
fn steps(record: &WarningRecord) -> Vec<(&str, &str)> {
    record
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.by.as_str()))
        .collect()
}

fn yellow_over_area() -> Vec<(TownshipCode, Level)> {
    AREA.iter()
        .map(|&c| (TownshipCode(c), Level::Yellow))
        .collect()
}

#[test]
fn drafted_from_a_suggestion_approved_released_and_lifted_alone_at_night() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(TestCentral::start());
    central.clock.set(evening());
    let clock = ManualClock::new(evening());
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let forecaster_session = rt.block_on(remembered_session_of(
        &central,
        Role::DutyForecaster,
        dirs[0].path(),
    ));
    let supervisor_session = rt.block_on(remembered_session_of(
        &central,
        Role::Supervisor,
        dirs[1].path(),
    ));

    // 1. The rain reaches the forecaster's desk by sync; the banner's 起草 opens the composer.
    let mut forecaster = Desk::start(&central, dirs[0].path(), forecaster_session, &clock);
    forecaster.until("the forecaster signed in", |d| {
        d.harness.state().state().account.confirmed()
    });
    let before = forecaster.harness.state().state().data_generation;
    let (status, answer) = rt.block_on(central.post_observations(&client(), &rain()));
    assert!(status < 300, "{status} {answer}");
    forecaster.until("the rain synced", |d| {
        d.harness.state().state().data_generation > before
    });
    // The desk judges at most once a minute, and it judged the start-up data this minute.
    clock.advance(MINUTE_MS);
    central.clock.advance(MINUTE_MS);
    let banner = "建议发布暴雨黄色预警信号 · 龙津镇、嵩溪镇";
    forecaster.until("the suggestion banner", |d| d.shows(banner));
    forecaster.click("起草");
    let composer = &forecaster.harness.state().view().warnings.composer;
    let draft = composer.draft.as_ref().expect("起草 opens the composer");
    let prefilled: Vec<&str> = draft.townships.iter().map(String::as_str).collect();
    assert_eq!(
        (draft.signal.as_deref(), draft.level, prefilled),
        (
            Some("rainstorm"),
            Some(Level::Yellow),
            vec!["350423100", "350423101"]
        )
    );
    forecaster.write_forecast(FORECAST);
    forecaster.click(t().submit);
    let mut submitted = None;
    forecaster.until("the record on the central", |_| {
        submitted = get(&rt, &central, "/warnings").1["warnings"]
            .as_array()
            .and_then(|a| a.first())
            .cloned();
        submitted.is_some()
    });
    let w1: WarningRecord = serde_json::from_value(submitted.unwrap()).unwrap();
    assert_eq!(state_of(&w1), "submitted");
    // Submitted but not released: the draft stays on the desk, naming its record (a return
    // would come back to it).
    forecaster.until("the draft names its record", |d| {
        let warnings = &d.harness.state().state().warnings;
        let open = warnings.open_drafts("duty-forecaster");
        open.len() == 1 && open[0].submitted_as.as_deref() == Some(w1.id.as_str())
    });
    assert_eq!(w1.drafter, "duty-forecaster");
    let area: Vec<&str> = w1.content.area.iter().map(String::as_str).collect();
    assert_eq!(area, ["350423100", "350423101"]);
    assert!(w1.content.texts.values().any(|t| t.contains(FORECAST)));

    // 2. The supervisor's desk syncs it, approves and releases it.
    let mut supervisor = Desk::start(&central, dirs[1].path(), supervisor_session, &clock);
    supervisor.until("the supervisor signed in", |d| {
        d.harness.state().state().account.confirmed()
    });
    supervisor.click(t().screen_warnings);
    supervisor.until("the record in 待审核", |d| d.shows(t().board_approve));
    supervisor.click(t().board_approve);
    supervisor.until("the approval synced", |d| d.shows(t().board_approved_by));
    supervisor.click(t().board_release);
    forecaster.until("the countdown chip", |d| d.shows("暴雨黄色 · 剩余"));
    // The released draft leaves the forecaster's desk: the composer starts afresh and the
    // draft is not offered again (its record is the warning now).
    forecaster.click(t().screen_warnings);
    forecaster.until("the composer afresh", |d| {
        let composer = &d.harness.state().view().warnings.composer;
        composer.draft.as_ref().is_some_and(|c| c.signal.is_none())
    });
    let warnings = &forecaster.harness.state().state().warnings;
    assert!(
        warnings.open_drafts("duty-forecaster").is_empty(),
        "{:?}",
        warnings.drafts
    );
    // The map computes its tints as it draws.
    forecaster.click(LIVE);
    forecaster.until("the yellow tints", |d| d.tints() == yellow_over_area());
    let sent = central_record(&rt, &central, &w1.id);
    assert_eq!(state_of(&sent), "sent");
    assert_eq!(
        steps(&sent),
        [
            ("submitted", "duty-forecaster"),
            ("approved", "supervisor"),
            ("released", "supervisor")
        ]
    );

    // 3. At 23:00 Beijing the forecaster lifts it alone.
    clock.set(evening().plus_ms(30 * MINUTE_MS));
    central.clock.set(evening().plus_ms(30 * MINUTE_MS));
    forecaster.click(t().screen_warnings);
    forecaster.click(t().new_composition);
    forecaster.until("the follow-up row", |d| d.shows("跟进 暴雨黄色"));
    forecaster.click("解除");
    forecaster.write_forecast(LIFT_TEXT);
    forecaster.click(t().submit);
    forecaster.until("the lift on the board", |d| d.shows(t().board_sign_alone));
    forecaster.click(t().board_sign_alone);
    // Signed, the lift offers 发布 (the click waits for it to be enabled).
    forecaster.click(t().board_release);
    forecaster.until("the lift released", |d| !d.shows(t().board_sign_alone));
    forecaster.click(LIVE);
    forecaster.until("the tint gone", |d| d.tints().is_empty());
    let lift = central_record(&rt, &central, "w2");
    assert_eq!(state_of(&lift), "sent");
    assert_eq!(
        steps(&lift),
        [
            ("submitted", "duty-forecaster"),
            ("signed_alone", "duty-forecaster"),
            ("released", "duty-forecaster")
        ]
    );
    assert_eq!(lift.content.follows.as_deref(), Some(w1.id.as_str()));
    assert_eq!(lift.content.issued_at.to_rfc3339(), "2026-11-27T15:00:00Z");
}
