//! The central's channels at work: a [`ChannelSet`] (kind → provider and how its dispatcher
//! claims) built from the configuration at start, one dispatch worker per kind, and the
//! [`Enqueuer`] that wakes a kind's worker when a row of that kind is enqueued.
//!
//! ```text
//! Enqueuer::enqueue ─▶ outbox row ─▶ wake(kind) ─┐
//!                                   tick (due retries, lapsed leases) ─┤
//!                                                                      ▼
//!        dispatch-<kind> worker: dispatch_once(kind) until a pass claims less than a batch
//! ```
//!
//! A kind's lease is longer than its channel's longest call, so a slow call is never taken
//! over while it may still succeed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::dispatch::{self, DispatchConfig, Dispatched, Provider};
use super::{WorkerContext, WorkerSpec};
use crate::central::channels::cmpp::CmppProvider;
use crate::central::channels::inbox::{Incoming, ReportSender};
use crate::central::channels::smpp::SmppProvider;
use crate::central::channels::wechat::{
    self, Hidden, RobotProvider, RobotRoutes, TemplateProvider,
};
use crate::central::channels::{SMS, WECHAT, WECOM};
use crate::central::config::{ChannelSettings, SmsSettings};
use crate::central::failpoint::Failpoints;
use crate::domain::Timestamp;
use crate::domain::time::SharedClock;
use crate::store::StoreError;
use crate::store::central::outbox::{NewMessage, SqliteOutbox};

/// How often a dispatcher looks for due retries and lapsed leases when nothing wakes it.
pub const TICK: Duration = Duration::from_secs(5);
/// How much longer than its channel's longest call a claim holds.
pub const LEASE_MARGIN_MS: i64 = 30_000;
/// Rows one pass claims.
pub const BATCH: usize = 20;
/// Reports waiting for the reports worker (or its commit) before a channel is told "busy"
/// (an SMPP/CMPP gateway then offers the report again later).
pub const REPORTS_QUEUE: usize = 1024;

/// One kind's channel: its provider and how its dispatcher claims.
pub struct Channel {
    /// The outbox kind (`wecom`).
    pub kind: &'static str,
    /// Hands the rows over.
    pub provider: Arc<dyn Provider>,
    /// Its dispatcher's claims, `kind: Some(kind)`.
    pub dispatch: DispatchConfig,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("kind", &self.kind)
            .field("dispatch", &self.dispatch)
            .finish_non_exhaustive()
    }
}

/// Dispatchers made in this process so far: each lease owner's name is unique per process
/// and start, even when a central restarts in the same process.
static DISPATCHERS: AtomicU64 = AtomicU64::new(0);

/// How a dispatcher of `kind` claims: leases `longest_call_ms` plus a margin.
pub fn dispatch_config(
    kind: &str,
    longest_call_ms: i64,
    failpoints: &Failpoints,
) -> DispatchConfig {
    let serial = DISPATCHERS.fetch_add(1, Ordering::Relaxed);
    DispatchConfig {
        owner: format!("dispatch-{kind}@{}.{serial}", std::process::id()),
        lease_ms: longest_call_ms.max(0) + LEASE_MARGIN_MS,
        batch: BATCH,
        retry_base_ms: 5_000,
        retry_cap_ms: 10 * 60_000,
        kind: Some(kind.to_owned()),
        concurrency: 1,
        failpoints: failpoints.clone(),
    }
}

/// Every channel the central sends through, and the one queue their reports come back on.
#[derive(Debug)]
pub struct ChannelSet {
    channels: Vec<Channel>,
    reports: ReportSender,
    inbox: Option<mpsc::Receiver<Incoming>>,
    wechat_callback: Option<Hidden>,
    failpoints: Failpoints,
    routes: WarningRoutes,
}

/// Where a released warning goes beyond its recipients' numbers: the WeCom robots (when the
/// robot channel runs) and the Official Account's warning template (when it runs); and the
/// template an on-call alarm goes in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarningRoutes {
    /// The robots, by the warning's area (empty: no robot rows).
    pub robots: RobotRoutes,
    /// The template id of warnings (none: no template rows).
    pub template: Option<String>,
    /// The template id of on-call alarms (none: alarms send no template message).
    pub alarm_template: Option<String>,
}

impl Default for ChannelSet {
    fn default() -> Self {
        let (reports, inbox) = ReportSender::channel(REPORTS_QUEUE);
        Self {
            channels: Vec::new(),
            reports,
            inbox: Some(inbox),
            wechat_callback: None,
            failpoints: Failpoints::none(),
            routes: WarningRoutes::default(),
        }
    }
}

impl ChannelSet {
    /// The channels `settings` configure, timed by `clock`, their dispatchers armed with
    /// `failpoints` (none in production unless `WXDESK_FAILPOINTS` says so).
    pub fn build(
        settings: &ChannelSettings,
        clock: &SharedClock,
        failpoints: &Failpoints,
    ) -> Result<Self, String> {
        let mut set = Self {
            failpoints: failpoints.clone(),
            ..Self::default()
        };
        if let Some(config) = &settings.wechat {
            if !config.wecom.robots.is_empty() {
                let robots = RobotProvider::new(&config.wecom, clock.clone())
                    .map_err(|e| format!("[wechat.wecom]: {e}"))?;
                set.add(WECOM, Arc::new(robots), wechat::LONGEST_CALL_MS, failpoints);
                set.routes.robots = config.wecom.warnings.clone();
            }
            if let Some(mp) = &config.mp {
                let templates = TemplateProvider::new(mp, clock.clone())
                    .map_err(|e| format!("[wechat.mp]: {e}"))?;
                set.add(
                    WECHAT,
                    Arc::new(templates),
                    wechat::LONGEST_CALL_MS,
                    failpoints,
                );
                set.routes.template.clone_from(&mp.warning_template);
                set.routes.alarm_template.clone_from(&mp.alarm_template);
                let token = mp.callback_token.clone();
                set.wechat_callback = (!token.expose().is_empty()).then_some(token);
            }
        }
        if let Some(sms) = &settings.sms {
            let (provider, longest_call_ms, window) = sms_provider(sms, set.report_sender(), clock);
            set.add(SMS, provider, longest_call_ms, failpoints);
            set.concurrent(SMS, window);
        }
        Ok(set)
    }

    /// Adds the channel of `kind` (a kind already present is replaced).
    pub fn add(
        &mut self,
        kind: &'static str,
        provider: Arc<dyn Provider>,
        longest_call_ms: i64,
        failpoints: &Failpoints,
    ) {
        self.channels.retain(|c| c.kind != kind);
        self.channels.push(Channel {
            kind,
            provider,
            dispatch: dispatch_config(kind, longest_call_ms, failpoints),
        });
    }

    /// Lets the dispatcher of `kind` hand over up to `calls` rows at once (a gateway's window).
    pub fn concurrent(&mut self, kind: &str, calls: usize) {
        for channel in self.channels.iter_mut().filter(|c| c.kind == kind) {
            channel.dispatch.concurrency = calls.max(1);
        }
    }

    /// Where a channel sends what it learns after a hand-over (receipts, replies).
    pub fn report_sender(&self) -> ReportSender {
        self.reports.clone()
    }

    /// The kinds sent, in order.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.channels.iter().map(|c| c.kind).collect()
    }

    /// The token the Official Account signs its pushes with, if a callback is configured.
    pub fn wechat_callback(&self) -> Option<&Hidden> {
        self.wechat_callback.as_ref()
    }

    /// Where released warnings go on the WeChat channels.
    pub fn routes(&self) -> &WarningRoutes {
        &self.routes
    }

    /// Splits the set into its channels, the reports' sender and their queue (once).
    pub fn into_parts(mut self) -> (Vec<Channel>, ReportSender, Option<mpsc::Receiver<Incoming>>) {
        let inbox = self.inbox.take();
        (self.channels, self.reports, inbox)
    }
}

/// The most parts a warning's SMS is sent in: the lease of a CMPP call is sized for it.
const MOST_SMS_PARTS: u64 = 8;

/// The SMS gateway's provider, its longest call and how many calls it takes at once (its
/// window: parts of several messages in flight on one session).
fn sms_provider(
    sms: &SmsSettings,
    reports: ReportSender,
    clock: &SharedClock,
) -> (Arc<dyn Provider>, i64, usize) {
    match sms {
        SmsSettings::Smpp(config) => (
            Arc::new(SmppProvider::new(config.clone(), reports, clock.clone())),
            config.longest_call_ms(),
            config.window.max(1),
        ),
        SmsSettings::Cmpp(config) => (
            Arc::new(CmppProvider::new(config.clone(), clock.clone(), reports)),
            i64::try_from(config.longest_call_ms(MOST_SMS_PARTS)).unwrap_or(i64::MAX),
            config.window.max(1),
        ),
    }
}

/// Wakes each kind's dispatcher; a wake while it is busy is kept for its next wait.
#[derive(Debug, Clone, Default)]
pub struct Wakers(Arc<BTreeMap<String, Arc<Notify>>>);

impl Wakers {
    /// One waker per kind of `kinds`.
    pub fn new(kinds: &[&str]) -> Self {
        let map = kinds
            .iter()
            .map(|kind| ((*kind).to_owned(), Arc::new(Notify::new())))
            .collect();
        Self(Arc::new(map))
    }

    /// Wakes the dispatcher of `kind`, if it runs.
    pub fn wake(&self, kind: &str) {
        if let Some(notify) = self.0.get(kind) {
            notify.notify_one();
        }
    }

    fn of(&self, kind: &str) -> Arc<Notify> {
        self.0
            .get(kind)
            .cloned()
            .unwrap_or_else(|| Arc::new(Notify::new()))
    }
}

/// Puts messages in the outbox and wakes their kind's dispatcher: what every producer of
/// outbox rows (warning release, the on-call alarm) calls. Blocking (SQLite).
#[derive(Debug, Clone)]
pub struct Enqueuer {
    outbox: Arc<SqliteOutbox>,
    wakers: Wakers,
}

impl Enqueuer {
    /// Enqueues over `outbox`, waking through `wakers`.
    pub fn new(outbox: Arc<SqliteOutbox>, wakers: Wakers) -> Self {
        Self { outbox, wakers }
    }

    /// Adds `message` unless its key is already there (see [`SqliteOutbox::enqueue`]) and,
    /// if it is new, wakes its dispatcher.
    pub fn enqueue(&self, message: &NewMessage, now: Timestamp) -> Result<(i64, bool), StoreError> {
        let (id, new) = self.outbox.enqueue(message, now)?;
        if new {
            self.wakers.wake(&message.kind);
        }
        Ok((id, new))
    }

    /// Wakes the dispatcher of `kind` (rows of it were put back in the queue).
    pub fn wake(&self, kind: &str) {
        self.wakers.wake(kind);
    }

    /// The outbox itself (reads, and a person's decisions on its rows).
    pub fn outbox(&self) -> &Arc<SqliteOutbox> {
        &self.outbox
    }
}

/// What the channel routes read: the outbox (to enqueue, to count), where reports go, the
/// WeChat callback's token, the kinds sent. Empty when no channel is configured.
#[derive(Debug, Clone, Default)]
pub struct ChannelState {
    /// Enqueues and wakes; `None` when the database cannot be written.
    pub enqueuer: Option<Enqueuer>,
    /// The reports worker's queue; `None` when no channel runs.
    pub reports: Option<ReportSender>,
    /// The Official Account's callback token; `None`: no callback configured.
    pub wechat_callback: Option<Hidden>,
    /// The kinds a dispatcher runs for.
    pub kinds: Vec<&'static str>,
    /// Armed crash points (`release.after_record_before_rows`; none in production).
    pub failpoints: Failpoints,
    /// Where released warnings go on the WeChat channels.
    pub routes: WarningRoutes,
    /// Wakes the on-call alarms worker (new values, a new alarm, a roster change).
    pub alarm_wake: Arc<Notify>,
    /// The replies the reports worker stored, for the 叫应 worker; `None` when no channel
    /// reports.
    pub replies: Option<crate::central::callout::worker::Replies>,
}

/// The channels' workers (one dispatcher per kind and the reports worker) over the outbox of
/// the database at `db`, and what the routes read. Nothing runs when `set` is empty.
pub fn start(
    db: &Path,
    set: ChannelSet,
    tick: Duration,
) -> Result<(Vec<WorkerSpec>, ChannelState), String> {
    let outbox = SqliteOutbox::open(db).map_err(|e| format!("the outbox: {e}"))?;
    let outbox = Arc::new(outbox);
    let wechat_callback = set.wechat_callback.clone();
    let failpoints = set.failpoints.clone();
    let routes = set.routes.clone();
    let (channels, reports, inbox) = set.into_parts();
    let kinds: Vec<&'static str> = channels.iter().map(|c| c.kind).collect();
    let wakers = Wakers::new(&kinds);
    let mut state = ChannelState {
        enqueuer: Some(Enqueuer::new(Arc::clone(&outbox), wakers.clone())),
        reports: None,
        wechat_callback,
        kinds: kinds.clone(),
        failpoints: failpoints.clone(),
        routes,
        alarm_wake: Arc::default(),
        replies: None,
    };
    if channels.is_empty() {
        tracing::info!("no channel configured ([wechat], [sms]): no dispatch worker runs");
        return Ok((Vec::new(), state));
    }
    tracing::info!(kinds = ?kinds, "dispatching the outbox");
    let mut specs: Vec<WorkerSpec> = channels
        .into_iter()
        .map(|channel| worker(Arc::clone(&outbox), channel, &wakers, tick))
        .collect();
    if let Some(inbox) = inbox {
        let (replies, stored) = mpsc::channel(REPLY_QUEUE);
        specs.push(crate::central::channels::reports::worker(
            outbox, inbox, replies, failpoints,
        ));
        state.reports = Some(reports);
        state.replies = Some(Arc::new(tokio::sync::Mutex::new(stored)));
    }
    Ok((specs, state))
}

/// Stored replies waiting for the 叫应 worker.
const REPLY_QUEUE: usize = 256;

/// The worker's name on the board for `kind`.
pub fn worker_name(kind: &str) -> &'static str {
    match kind {
        SMS => "dispatch-sms",
        WECOM => "dispatch-wecom",
        WECHAT => "dispatch-wechat",
        crate::store::central::relays::OUTBOX_KIND => "dispatch-relay",
        _ => "dispatch-other",
    }
}

/// The dispatch worker of `channel`: a pass at start, then one whenever woken or on `tick`.
pub fn worker(
    outbox: Arc<SqliteOutbox>,
    channel: Channel,
    wakers: &Wakers,
    tick: Duration,
) -> WorkerSpec {
    let channel = Arc::new(channel);
    let wake = wakers.of(channel.kind);
    WorkerSpec::new(worker_name(channel.kind), move |context: WorkerContext| {
        run(
            Arc::clone(&outbox),
            Arc::clone(&channel),
            Arc::clone(&wake),
            tick,
            context,
        )
    })
}

async fn run(
    outbox: Arc<SqliteOutbox>,
    channel: Arc<Channel>,
    wake: Arc<Notify>,
    tick: Duration,
    context: WorkerContext,
) -> Result<(), String> {
    let mut total = Dispatched::default();
    loop {
        let clock = context.clock().clone();
        let config = &channel.dispatch;
        let done = dispatch::dispatch_once(&outbox, &*channel.provider, &clock, config)
            .await
            .map_err(|e| e.to_string())?;
        add(&mut total, done);
        context.report(describe(&total));
        if handled(done) >= config.batch {
            continue; // a full batch: more may be due now
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(tick) => {}
            () = context.stopped() => return Ok(()),
        }
    }
}

/// Rows a pass took a step with.
pub fn handled(done: Dispatched) -> usize {
    done.sent + done.retried + done.refused + done.unknown + done.fenced
}

fn add(total: &mut Dispatched, done: Dispatched) {
    total.sent += done.sent;
    total.retried += done.retried;
    total.refused += done.refused;
    total.unknown += done.unknown;
    total.fenced += done.fenced;
}

/// What administrators read of a dispatcher since it started (counts only: no recipient).
pub fn describe(total: &Dispatched) -> String {
    format!(
        "sent {} · retried {} · refused {} · unknown {} · fenced {}",
        total.sent, total.retried, total.refused, total.unknown, total.fenced
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_outlasts_the_longest_call() {
        let table = [
            (0, LEASE_MARGIN_MS),
            (48_000, 78_000),
            (-5, LEASE_MARGIN_MS),
        ];
        for (longest, lease) in table {
            let config = dispatch_config(WECHAT, longest, &Failpoints::none());
            assert_eq!(config.lease_ms, lease, "{longest}");
            assert!(config.lease_ms > longest);
            assert_eq!(config.kind.as_deref(), Some(WECHAT));
        }
    }

    #[test]
    fn each_dispatcher_has_its_own_lease_owner() {
        let none = Failpoints::none();
        let (a, b) = (
            dispatch_config(SMS, 0, &none),
            dispatch_config(SMS, 0, &none),
        );
        assert_ne!(a.owner, b.owner);
        assert!(a.owner.starts_with("dispatch-sms@"), "{}", a.owner);
    }

    #[test]
    fn no_section_builds_no_channel() {
        let clock = crate::domain::time::system_clock();
        let set = ChannelSet::build(&ChannelSettings::default(), &clock, &Failpoints::none());
        assert!(set.unwrap().kinds().is_empty());
    }

    #[test]
    fn worker_names_are_per_kind() {
        let table = [
            (SMS, "dispatch-sms"),
            (WECOM, "dispatch-wecom"),
            (WECHAT, "dispatch-wechat"),
            ("relay", "dispatch-relay"),
            ("fax", "dispatch-other"),
        ];
        for (kind, name) in table {
            assert_eq!(worker_name(kind), name);
        }
    }

    #[test]
    fn a_wake_before_the_wait_is_kept() {
        let wakers = Wakers::new(&[WECHAT]);
        wakers.wake(WECHAT);
        wakers.wake("unknown-kind");
        let notified = wakers.of(WECHAT);
        let waited = futures_now(notified.notified());
        assert!(waited, "the wake given while busy is kept");
    }

    /// Whether `future` is ready at its first poll.
    fn futures_now(future: impl Future<Output = ()>) -> bool {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        future.as_mut().poll(&mut context).is_ready()
    }

    #[test]
    fn the_description_counts_without_recipients() {
        let done = Dispatched {
            sent: 2,
            unknown: 1,
            ..Dispatched::default()
        };
        assert_eq!(
            describe(&done),
            "sent 2 · retried 0 · refused 0 · unknown 1 · fenced 0"
        );
        assert_eq!(handled(done), 3);
    }
}
