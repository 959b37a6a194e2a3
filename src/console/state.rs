//! Everything the console knows, in memory: fed only by [`AppState::apply`], read by the UI.
//! Pure: tested without egui, tokio or a database.

pub mod account;
pub mod devices;
pub mod dispatch;
pub mod history;
pub mod practice;
pub mod recipients;
pub mod reports;
pub mod suggestions;
pub mod warnings;

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::console::messages::{Event, LinkStatus, SyncEvent, WarningEvent};
use crate::domain::audit::HeadRegression;
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::{Element, Network, Observation, StationId, Timestamp};

/// How much recent history is kept in memory for live charts.
pub const RECENT_WINDOW_MS: i64 = 26 * HOUR_MS;

/// A station whose newest observation is older than this is shown as stale.
pub const STALE_AFTER_MS: i64 = 10 * MINUTE_MS;

/// How many user-facing notices are kept.
const MAX_NOTICES: usize = 20;

/// How many records of changed history are kept for views to check against.
const MAX_TOUCHES: usize = 512;

/// Stored history of one station changed over `[from, to]` at `generation`.
#[derive(Debug, Clone, PartialEq)]
struct Touch {
    generation: u64,
    station: StationId,
    from: Timestamp,
    to: Timestamp,
}

/// A time-ordered series of one element at one station; at most one value per instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    points: Vec<(Timestamp, f64)>,
}

impl Series {
    /// Inserts or replaces the value at `time`, keeping time order. Appending in order is O(1).
    pub fn insert(&mut self, time: Timestamp, value: f64) {
        match self.points.last() {
            Some(&(last, _)) if last < time => self.points.push((time, value)),
            None => self.points.push((time, value)),
            _ => match self.points.binary_search_by_key(&time, |&(t, _)| t) {
                Ok(i) => self.points[i].1 = value,
                Err(i) => self.points.insert(i, (time, value)),
            },
        }
    }

    /// Drops points before `cutoff`.
    pub fn trim_before(&mut self, cutoff: Timestamp) {
        let keep_from = self.points.partition_point(|&(t, _)| t < cutoff);
        self.points.drain(..keep_from);
    }

    /// Points in time order.
    pub fn points(&self) -> &[(Timestamp, f64)] {
        &self.points
    }

    /// Points at or after `from`.
    pub fn since(&self, from: Timestamp) -> &[(Timestamp, f64)] {
        &self.points[self.points.partition_point(|&(t, _)| t < from)..]
    }

    /// The newest point.
    pub fn last(&self) -> Option<(Timestamp, f64)> {
        self.points.last().copied()
    }
}

/// A message for the user about something that went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// When it happened.
    pub at: Timestamp,
    /// What happened, in the backend's words.
    pub text: String,
}

/// Progress of the incremental sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncProgress {
    /// When the cache last caught up with (or advanced towards) the central.
    pub at: Timestamp,
    /// Changes the central held beyond the cache's copy then.
    pub behind: u64,
}

impl SyncProgress {
    /// Whether the cache holds every change the central has announced.
    pub fn caught_up(&self) -> bool {
        self.behind == 0
    }
}

/// The console's in-memory model.
#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    /// Townships and stations.
    pub network: Network,
    /// Recent history per station and element ([`RECENT_WINDOW_MS`]).
    recent: HashMap<(StationId, Element), Series>,
    /// Newest observation time per station, over all elements.
    last_report: BTreeMap<StationId, Timestamp>,
    /// The link to the central.
    pub link: LinkStatus,
    /// Sync progress, once the first sync step has finished.
    pub sync: Option<SyncProgress>,
    /// Recent failures, newest last.
    pub notices: VecDeque<Notice>,
    /// Changes this build could not show, by kind (a newer version is available).
    pub skipped_changes: BTreeMap<String, u64>,
    /// What the central does not serve that this desk relies on (it is older than the desk).
    pub central_lacks: Vec<String>,
    /// The central's audit head went backwards from the newest this desk saw: said to those
    /// who may read the audit log (user menu, audit window) until the desk restarts.
    pub audit_regression: Option<HeadRegression>,
    /// Bumped whenever observation data changes, so views can cache derived geometry.
    pub data_generation: u64,
    /// What changed in stored history at each recent generation, so a history view can tell
    /// whether what it shows is out of date.
    touches: VecDeque<Touch>,
    /// Maintenance windows, by id.
    pub maintenance: BTreeMap<u64, MaintenanceWindow>,
    /// Who is signed in, and the administration and audit views' data.
    pub account: account::AccountState,
    /// What the history screen has been answered.
    pub history: history::HistoryState,
    /// Drafts, the central's warning records, upstream warnings.
    pub warnings: warnings::WarningsState,
    /// Warning suggestions from the observations, and the values they are judged from.
    pub suggestions: suggestions::SuggestionsState,
    /// A practice replay under way, judged apart from the real suggestions.
    pub practice: Option<practice::PracticeReplay>,
    /// Released warnings' deliveries, as the dispatch view last read them.
    pub dispatch: dispatch::DispatchState,
    /// The people warnings go to, as the recipients window last read them.
    pub recipients: recipients::RecipientsState,
    /// The supervisor's 服务统计, as the view last read it.
    pub reports: reports::ReportsState,
    /// Devices the feed says changed.
    pub devices: devices::DevicesState,
}

impl AppState {
    /// An empty state, before anything is loaded.
    pub fn new(now: Timestamp) -> Self {
        Self {
            network: Network::default(),
            recent: HashMap::new(),
            last_report: BTreeMap::new(),
            link: LinkStatus::Connecting { since: now },
            sync: None,
            notices: VecDeque::new(),
            skipped_changes: BTreeMap::new(),
            central_lacks: Vec::new(),
            audit_regression: None,
            data_generation: 0,
            touches: VecDeque::new(),
            maintenance: BTreeMap::new(),
            account: account::AccountState::default(),
            history: history::HistoryState::default(),
            warnings: warnings::WarningsState::default(),
            suggestions: suggestions::SuggestionsState::default(),
            practice: None,
            dispatch: dispatch::DispatchState::default(),
            recipients: recipients::RecipientsState::default(),
            reports: reports::ReportsState::default(),
            devices: devices::DevicesState::default(),
        }
    }

    /// Folds one backend event into the state.
    pub fn apply(&mut self, event: Event, now: Timestamp) {
        match event {
            Event::Sync(event) => self.apply_sync(event, now),
            Event::Auth(event) => self.account.apply_auth(event),
            Event::Admin(event) => self.account.apply_admin(event),
            Event::Audit(event) => self.account.apply_audit(event),
            Event::History(event) => self.history.apply(event),
            Event::Warnings(WarningEvent::SignalSet(set)) => {
                self.suggestions.use_signal_set(*set);
            }
            Event::Warnings(event) => self.warnings.apply(event),
            Event::Dispatch(event) => self.dispatch.apply(event),
            Event::Recipients(event) => self.recipients.apply(event),
            Event::Reports(event) => self.reports.apply(event),
            Event::Devices(event) => self.devices.apply(event, now),
        }
    }

    fn apply_sync(&mut self, event: SyncEvent, now: Timestamp) {
        match event {
            SyncEvent::NetworkLoaded(network) => {
                self.network = network;
                self.suggestions.judge_again();
            }
            SyncEvent::DevicesChanged(devices) => self.devices.changed(devices),
            SyncEvent::AlarmsChanged(alarms) => self.devices.alarms_changed(alarms),
            SyncEvent::RelaysChanged(_) => self.devices.relays.changed(),
            SyncEvent::QcFlagged(marks) => self.suggestions.flag(&marks, now),
            SyncEvent::ObservationsArrived(observations) => {
                self.add_observations(&observations, now);
                self.suggestions.observe(&observations, &self.network, now);
            }
            SyncEvent::QcRejudged(values) => {
                self.data_generation += 1;
                for (station, time) in values {
                    self.touch(station, time, time);
                }
            }
            SyncEvent::MaintenanceChanged(windows) => {
                self.data_generation += 1;
                for window in windows {
                    let end = window.to.unwrap_or(Timestamp(i64::MAX));
                    self.touch(window.station.clone(), window.from, end);
                    self.maintenance.insert(window.id, window);
                }
            }
            SyncEvent::LinkChanged(link) => self.link = link,
            SyncEvent::AuditHeadRegressed(regression) => {
                self.audit_regression = Some(regression);
            }
            SyncEvent::Synced { at, behind, .. } => {
                self.sync = Some(SyncProgress { at, behind });
            }
            SyncEvent::ChangesSkipped(kinds) => self.skipped_changes = kinds,
            SyncEvent::CentralLacks(lacking) => self.central_lacks = lacking,
            SyncEvent::CentralReplaced(text) => {
                // The cache was emptied to follow the new database: forget what came from the
                // old one; sync delivers the new one's values again.
                self.recent.clear();
                self.last_report.clear();
                self.maintenance.clear();
                self.suggestions.forget_values();
                self.data_generation += 1;
                self.notify(text, now);
            }
            SyncEvent::Failed(text) => self.notify(text, now),
        }
    }

    /// What is due by the clock alone: suggestions held back within a minute are judged.
    pub fn tick(&mut self, now: Timestamp) {
        self.suggestions.tick(&self.network, now);
    }

    /// Adds a notice for the user, keeping only the most recent ones.
    pub fn notify(&mut self, text: String, now: Timestamp) {
        self.notices.push_back(Notice { at: now, text });
        while self.notices.len() > MAX_NOTICES {
            self.notices.pop_front();
        }
    }

    fn add_observations(&mut self, observations: &[Observation], now: Timestamp) {
        let cutoff = now.plus_ms(-RECENT_WINDOW_MS);
        for obs in observations {
            let last = self
                .last_report
                .entry(obs.station.clone())
                .or_insert(obs.time);
            *last = (*last).max(obs.time);
            if obs.time < cutoff {
                continue;
            }
            for (&element, &value) in &obs.values {
                self.recent
                    .entry((obs.station.clone(), element))
                    .or_default()
                    .insert(obs.time, value);
            }
        }
        for series in self.recent.values_mut() {
            series.trim_before(cutoff);
        }
        self.data_generation += 1;
        let mut spans: BTreeMap<&StationId, (Timestamp, Timestamp)> = BTreeMap::new();
        for obs in observations {
            let span = spans.entry(&obs.station).or_insert((obs.time, obs.time));
            *span = (span.0.min(obs.time), span.1.max(obs.time));
        }
        let spans: Vec<(StationId, (Timestamp, Timestamp))> = spans
            .into_iter()
            .map(|(s, span)| (s.clone(), span))
            .collect();
        for (station, (from, to)) in spans {
            self.touch(station, from, to);
        }
    }

    /// Records that stored history of `station` changed over `[from, to]` at the current
    /// generation.
    fn touch(&mut self, station: StationId, from: Timestamp, to: Timestamp) {
        self.touches.push_back(Touch {
            generation: self.data_generation,
            station,
            from,
            to,
        });
        while self.touches.len() > MAX_TOUCHES {
            self.touches.pop_front();
        }
    }

    /// Whether stored history of `station` in `[from, to)` may have changed after
    /// `generation`. When the record of changes no longer reaches back that far, the answer
    /// is yes: a needless refresh is cheap, a stale chart is not.
    pub fn history_changed(
        &self,
        since_generation: u64,
        station: &StationId,
        from: Timestamp,
        to: Timestamp,
    ) -> bool {
        if since_generation >= self.data_generation {
            return false;
        }
        let reaches_back = self
            .touches
            .front()
            .is_some_and(|t| t.generation <= since_generation + 1)
            || self.touches.len() < MAX_TOUCHES;
        !reaches_back
            || self.touches.iter().any(|t| {
                t.generation > since_generation
                    && &t.station == station
                    && t.from < to
                    && t.to >= from
            })
    }

    /// The maintenance windows of one station, newest first.
    pub fn maintenance_of(&self, station: &StationId) -> Vec<&MaintenanceWindow> {
        let mut windows: Vec<&MaintenanceWindow> = self
            .maintenance
            .values()
            .filter(|w| &w.station == station)
            .collect();
        windows.sort_by_key(|w| std::cmp::Reverse(w.from));
        windows
    }

    /// Recent values of one element at one station.
    pub fn series(&self, station: &StationId, element: Element) -> Option<&Series> {
        self.recent.get(&(station.clone(), element))
    }

    /// Newest value of one element at one station, if within the recent window.
    pub fn latest(&self, station: &StationId, element: Element) -> Option<(Timestamp, f64)> {
        self.series(station, element).and_then(Series::last)
    }

    /// When the station last reported anything.
    pub fn last_report(&self, station: &StationId) -> Option<Timestamp> {
        self.last_report.get(station).copied()
    }

    /// Whether the station's data is too old to show as current (or it never reported).
    pub fn is_stale(&self, station: &StationId, now: Timestamp) -> bool {
        self.last_report(station)
            .is_none_or(|t| now.millis() - t.millis() > STALE_AFTER_MS)
    }

    /// Whether the desk is online but still catching up with the central (a first start, or
    /// back from an outage): old data here may be the desk's lag, not the station's silence.
    pub fn catching_up(&self) -> bool {
        matches!(self.link, LinkStatus::Online { .. })
            && self.sync.is_none_or(|progress| !progress.caught_up())
    }

    /// How current the station's data is, as far as this desk can tell.
    pub fn freshness(&self, station: &StationId, now: Timestamp) -> Freshness {
        match (self.is_stale(station, now), self.catching_up()) {
            (false, _) => Freshness::Current,
            (true, true) => Freshness::Syncing,
            (true, false) => Freshness::Stale,
        }
    }
}

/// How current a station's data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// It reported within [`STALE_AFTER_MS`].
    Current,
    /// Its data is old, but the desk is still catching up: newer data may be on its way.
    Syncing,
    /// Its data is old (or missing) and the desk is up to date — or offline, and cannot tell.
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Source;

    fn id(text: &str) -> StationId {
        StationId::parse(text).unwrap()
    }

    fn obs(station: &str, minute: i64, tem: f64) -> Observation {
        Observation {
            station: id(station),
            time: Timestamp(minute * MINUTE_MS),
            source: Source::Live,
            values: [(Element::Tem, tem)].into(),
        }
    }

    fn arrived(observations: Vec<Observation>) -> Event {
        Event::Sync(SyncEvent::ObservationsArrived(observations))
    }

    #[test]
    fn series_insert_keeps_order_and_replaces_duplicates() {
        let mut series = Series::default();
        for (t, v) in [(3, 3.0), (1, 1.0), (2, 2.0), (2, 2.5), (4, 4.0)] {
            series.insert(Timestamp(t), v);
        }
        let times: Vec<i64> = series.points().iter().map(|(t, _)| t.0).collect();
        assert_eq!(times, [1, 2, 3, 4]);
        assert_eq!(series.points()[1].1, 2.5);
        series.trim_before(Timestamp(3));
        assert_eq!(series.points().len(), 2);
        assert_eq!(series.since(Timestamp(4)).len(), 1);
    }

    #[test]
    fn observations_feed_latest_and_staleness() {
        let now = Timestamp(1_000 * MINUTE_MS);
        let mut state = AppState::new(now);
        state.apply(
            arrived(vec![
                obs("58819", 998, 10.0),
                obs("58819", 999, 11.0),
                obs("708301", 980, 5.0),
            ]),
            now,
        );
        assert_eq!(
            state.latest(&id("58819"), Element::Tem),
            Some((Timestamp(999 * MINUTE_MS), 11.0))
        );
        assert!(!state.is_stale(&id("58819"), now));
        assert!(state.is_stale(&id("708301"), now), "20 minutes old");
        assert!(state.is_stale(&id("708302"), now), "never reported");
    }

    #[test]
    fn old_data_is_the_desks_lag_while_it_catches_up_online() {
        let now = Timestamp(1_000 * MINUTE_MS);
        let online = LinkStatus::Online { since: now };
        let offline = LinkStatus::Offline {
            since: now,
            error: "connection refused".into(),
            retry_at: now,
        };
        let progress = |behind| Some(SyncProgress { at: now, behind });
        let cases = [
            // (link, sync, a station 20 min old, expected)
            (online.clone(), progress(299_995), Freshness::Syncing),
            (online.clone(), None, Freshness::Syncing),
            (online.clone(), progress(0), Freshness::Stale),
            (offline.clone(), progress(299_995), Freshness::Stale),
            (offline, None, Freshness::Stale),
        ];
        for (link, sync, expected) in cases {
            let mut state = AppState::new(now);
            state.apply(
                arrived(vec![obs("708301", 980, 5.0), obs("58819", 999, 9.0)]),
                now,
            );
            state.link = link.clone();
            state.sync = sync;
            assert_eq!(
                state.freshness(&id("708301"), now),
                expected,
                "{link:?} {sync:?}"
            );
            assert_eq!(state.freshness(&id("58819"), now), Freshness::Current);
        }
    }

    #[test]
    fn replaying_a_batch_changes_nothing() {
        let now = Timestamp(1_000 * MINUTE_MS);
        let batch = vec![obs("58819", 990, 10.0), obs("58819", 991, 10.5)];
        let mut once = AppState::new(now);
        once.apply(arrived(batch.clone()), now);
        let mut twice = once.clone();
        twice.apply(arrived(batch), now);
        assert_eq!(
            once.series(&id("58819"), Element::Tem),
            twice.series(&id("58819"), Element::Tem)
        );
    }

    #[test]
    fn old_values_leave_the_window_but_still_count_as_last_report() {
        let now = Timestamp(10_000 * MINUTE_MS);
        let mut state = AppState::new(now);
        state.apply(arrived(vec![obs("58819", 10, 10.0)]), now);
        assert_eq!(state.series(&id("58819"), Element::Tem), None);
        assert_eq!(
            state.last_report(&id("58819")),
            Some(Timestamp(10 * MINUTE_MS))
        );
    }

    #[test]
    fn history_views_learn_what_changed_under_them() {
        let now = Timestamp(10_000 * MINUTE_MS);
        let mut state = AppState::new(now);
        let before = state.data_generation;
        let (from, to) = (Timestamp(9_000 * MINUTE_MS), Timestamp(9_500 * MINUTE_MS));
        assert!(!state.history_changed(before, &id("58819"), from, to));
        // Late data for another station, then for this one but outside the range.
        state.apply(arrived(vec![obs("708301", 9_100, 1.0)]), now);
        state.apply(arrived(vec![obs("58819", 9_990, 1.0)]), now);
        assert!(!state.history_changed(before, &id("58819"), from, to));
        // A backfilled value inside it.
        state.apply(arrived(vec![obs("58819", 9_200, 1.0)]), now);
        assert!(state.history_changed(before, &id("58819"), from, to));
        let current = state.data_generation;
        assert!(!state.history_changed(current, &id("58819"), from, to));
        // A QC re-judgement inside it.
        state.apply(
            Event::Sync(SyncEvent::QcRejudged(vec![(
                id("58819"),
                Timestamp(9_300 * MINUTE_MS),
            )])),
            now,
        );
        assert!(state.history_changed(current, &id("58819"), from, to));
    }

    #[test]
    fn failures_become_bounded_notices() {
        let now = Timestamp(0);
        let mut state = AppState::new(now);
        for i in 0..30 {
            state.apply(Event::Sync(SyncEvent::Failed(format!("failure {i}"))), now);
        }
        assert_eq!(state.notices.len(), MAX_NOTICES);
        assert_eq!(state.notices.back().unwrap().text, "failure 29");
    }
}
