//! The history service: builds the history screen's views, rain and wind reports and the
//! day's summaries from the local cache (so all of it works offline), writes exports, and
//! sends imports and maintenance records to the central.
//!
//! Reads go through a connection of their own, so a long catch-up that sync is writing never
//! stalls a chart. When several view requests queue up (a pan across a year), only the newest
//! is built: the others were already replaced on screen.

pub mod on_demand;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

use super::client::{CentralClient, ClientError};
use super::series_csv::{self, SeriesRows};
use super::session::{Emitter, Session};
use super::table_file;
use crate::console::messages::history::{
    HeldPeriod, ImportOutcome, RainReport, Summaries, WindReport,
};
use crate::console::messages::table::{ExportFormat, Table};
use crate::console::messages::{Event, HistoryAction, HistoryCommand, HistoryEvent, Trouble};
use crate::console::state::STALE_AFTER_MS;
use crate::domain::history::{Level, SeriesView, ViewRequest};
use crate::domain::refusal::Code;
use crate::domain::stats::{
    self, BEAUFORT_BOUNDS_MS, StationSeries, StationSummary, WindRose, township_table,
};
use crate::domain::time::{DayBoundary, HOUR_MS, ObservingDay, SharedClock};
use crate::domain::{Element, StationId, Timestamp};
use crate::protocol::{ImportQuery, MaintenanceUpdate, NewMaintenance};
use crate::store::StoreError;
use crate::store::cache::CacheDb;

/// Files larger than this are not sent: the central refuses them anyway.
pub const MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024;

/// Values one CSV export lists at most; a longer view is exported as its buckets.
const MAX_EXPORTED_VALUES: usize = 2_000_000;

/// The folder exports go to: the one the user chose in the history screen's export notice.
pub type ExportFolder = Arc<Mutex<PathBuf>>;

/// The history service.
pub struct HistoryService {
    cache: Arc<Mutex<CacheDb>>,
    /// The connection older minutes fetched on demand are written through (sync's).
    writer: Arc<Mutex<CacheDb>>,
    /// When fetching older minutes last failed: it rests a while after.
    fetch_failed_at: Mutex<Option<Timestamp>>,
    client: CentralClient,
    session: Arc<Session>,
    emitter: Emitter,
    clock: SharedClock,
    export_dir: ExportFolder,
    /// The file that remembers the folder the user chose, if anywhere.
    folder_memory: Option<PathBuf>,
}

impl std::fmt::Debug for HistoryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryService")
            .field("export_dir", &self.export_dir())
            .finish_non_exhaustive()
    }
}

impl HistoryService {
    /// A service reading `cache`, talking to the central through `client` with `session`'s
    /// token, writing exports into `export_dir`.
    pub fn new(
        cache: Arc<Mutex<CacheDb>>,
        client: CentralClient,
        session: Arc<Session>,
        emitter: Emitter,
        clock: SharedClock,
        export_dir: PathBuf,
    ) -> Self {
        Self {
            writer: Arc::clone(&cache),
            fetch_failed_at: Mutex::new(None),
            cache,
            client,
            session,
            emitter,
            clock,
            export_dir: Arc::new(Mutex::new(export_dir)),
            folder_memory: None,
        }
    }

    /// Writes older minutes fetched on demand through `cache` (when reads go through a
    /// read-only connection of their own).
    #[must_use]
    pub fn writing_to(mut self, cache: Arc<Mutex<CacheDb>>) -> Self {
        self.writer = cache;
        self
    }

    /// Remembers the export folder the user chooses in `file` (read back at the next start).
    #[must_use]
    pub fn remembering_folder_in(mut self, file: Option<PathBuf>) -> Self {
        self.folder_memory = file;
        self
    }

    /// The export folder, shared with the services that save the central's files there.
    pub fn export_folder(&self) -> ExportFolder {
        Arc::clone(&self.export_dir)
    }

    fn export_dir(&self) -> PathBuf {
        self.export_dir
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Takes the remembered folder, if one was chosen and still exists, and says which is used.
    async fn announce_folder(&self) {
        if let Some(file) = self.folder_memory.clone() {
            let remembered = tokio::task::spawn_blocking(move || remembered_folder(&file))
                .await
                .ok()
                .flatten();
            if let Some(folder) = remembered {
                *self
                    .export_dir
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = folder;
            }
        }
        let folder = self.export_dir().display().to_string();
        self.emit(HistoryEvent::ExportFolder { folder }).await;
    }

    /// Makes `folder` the export folder (creating it) and remembers it.
    async fn set_folder(&self, folder: PathBuf) {
        let memory = self.folder_memory.clone();
        let chosen = folder.clone();
        let set = tokio::task::spawn_blocking(move || choose_folder(&chosen, memory.as_deref()))
            .await
            .unwrap_or_else(|join| Err(format!("choosing the folder failed: {join}")));
        match set {
            Ok(()) => {
                *self
                    .export_dir
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = folder.clone();
                let folder = folder.display().to_string();
                self.emit(HistoryEvent::ExportFolder { folder }).await;
            }
            Err(message) => self.fail(HistoryAction::Export, message).await,
        }
    }

    /// Serves commands until the UI leaves.
    pub async fn run(self, mut commands: mpsc::Receiver<HistoryCommand>) {
        self.announce_folder().await;
        while let Some(first) = commands.recv().await {
            // Of the view requests waiting, only the newest still matters.
            let mut batch = vec![first];
            while let Ok(next) = commands.try_recv() {
                batch.push(next);
            }
            let newest_views = batch
                .iter()
                .rposition(|c| matches!(c, HistoryCommand::Views { .. }));
            for (i, command) in batch.into_iter().enumerate() {
                let superseded =
                    matches!(command, HistoryCommand::Views { .. }) && Some(i) != newest_views;
                if !superseded {
                    self.serve(command).await;
                }
            }
            if self.emitter.is_closed() {
                return;
            }
        }
    }

    async fn emit(&self, event: HistoryEvent) {
        self.emitter.emit(Event::History(event)).await;
    }

    async fn fail(&self, action: HistoryAction, message: impl Into<Trouble>) {
        let message = message.into();
        self.emit(HistoryEvent::Failed { action, message }).await;
    }

    /// Emits what `answer` holds, or says why `action` failed.
    async fn reply<T>(
        &self,
        action: HistoryAction,
        answer: Result<T, String>,
        event: impl FnOnce(T) -> HistoryEvent,
    ) {
        match answer {
            Ok(value) => self.emit(event(value)).await,
            Err(message) => self.fail(action, message).await,
        }
    }

    async fn serve(&self, command: HistoryCommand) {
        use HistoryAction::{Export, Read};
        let now = self.clock.now();
        match command {
            HistoryCommand::Views { ticket, requests } => {
                let held = self
                    .fill_older_minutes(&on_demand::view_spans(&requests), now)
                    .await;
                let requests = on_demand::answerable(&requests, &held);
                let answer = self.read(move |cache| views(cache, &requests, now)).await;
                self.reply(Read, answer, |views| HistoryEvent::Views { ticket, views })
                    .await;
                self.emit(HistoryEvent::HeldAsRollups {
                    ticket,
                    periods: held,
                })
                .await;
            }
            HistoryCommand::Rain {
                ticket,
                station,
                from,
                to,
            } => {
                let spans = rain_spans(&station, from, to, now);
                self.fill_older_minutes(&spans, now).await;
                let answer = self
                    .read(move |cache| rain(cache, station, from, to, now))
                    .await;
                self.reply(Read, answer, |report| HistoryEvent::Rain { ticket, report })
                    .await;
            }
            HistoryCommand::Wind {
                ticket,
                station,
                from,
                to,
                arrows,
            } => {
                let spans = [Element::WinSAvg2mi, Element::WinDAvg2mi].map(|element| HeldPeriod {
                    station: station.clone(),
                    element,
                    from,
                    to,
                });
                self.fill_older_minutes(&spans, now).await;
                let answer = self
                    .read(move |cache| wind(cache, station, from, to, arrows))
                    .await;
                self.reply(Read, answer, |report| HistoryEvent::Wind { ticket, report })
                    .await;
            }
            HistoryCommand::Summaries { ticket } => {
                let answer = self.read(move |cache| summaries(cache, now)).await;
                self.reply(Read, answer, |summaries| HistoryEvent::Summaries {
                    ticket,
                    summaries,
                })
                .await;
            }
            HistoryCommand::Export {
                format,
                requests,
                tables,
                name,
            } => {
                self.emit(HistoryEvent::ExportStarted).await;
                // What the screen shows, the file holds: the same minutes fetched first.
                self.fill_older_minutes(&on_demand::view_spans(&requests), now)
                    .await;
                let dir = self.export_dir();
                let written = self
                    .read(move |cache| {
                        let file = ExportFile {
                            format,
                            dir: &dir,
                            name: &name,
                            now,
                        };
                        export_file(cache, &requests, tables, &file)
                    })
                    .await;
                self.reply(Export, written, |(path, size)| HistoryEvent::Exported {
                    path,
                    size,
                })
                .await;
            }
            HistoryCommand::ExportPng { render, name } => {
                self.emit(HistoryEvent::ExportStarted).await;
                let path = self
                    .export_dir()
                    .join(series_csv::file_name(&name, now, "png"));
                let written = tokio::task::spawn_blocking(move || {
                    let png = render
                        .run()
                        .map_err(|e| format!("the view could not be drawn: {e}"))?;
                    let size = png.len();
                    write_file(&path, &png).map(|path| (path, size))
                })
                .await
                .unwrap_or_else(|join| Err(format!("drawing the view failed: {join}")));
                self.reply(Export, written, |(path, size)| HistoryEvent::Exported {
                    path,
                    size,
                })
                .await;
            }
            HistoryCommand::SetExportFolder { folder } => self.set_folder(folder).await,
            HistoryCommand::OpenFolder { folder } => {
                let opened = tokio::task::spawn_blocking(move || open_folder(&folder))
                    .await
                    .unwrap_or_else(|join| Err(format!("opening the folder failed: {join}")));
                if let Err(message) = opened {
                    self.fail(Export, message).await;
                }
            }
            HistoryCommand::Import {
                path,
                format,
                element,
            } => self.import(path, format, element).await,
            HistoryCommand::RecordMaintenance {
                station,
                from,
                to,
                note,
            } => {
                let window = NewMaintenance {
                    station: station.to_string(),
                    from,
                    to,
                    note,
                    visit: None,
                };
                let saved = match self.authorised() {
                    Some(client) => client.record_maintenance(&window).await.map(|w| w.id),
                    None => Err(ClientError::Unauthorized(
                        Code::Unauthorized.as_str().into(),
                    )),
                };
                self.maintenance_answer(saved).await;
            }
            HistoryCommand::EndMaintenance { id, to } => {
                let update = MaintenanceUpdate {
                    to: Some(to),
                    note: None,
                };
                let saved = match self.authorised() {
                    Some(client) => client.update_maintenance(id, &update).await.map(|w| w.id),
                    None => Err(ClientError::Unauthorized(
                        Code::Unauthorized.as_str().into(),
                    )),
                };
                self.maintenance_answer(saved).await;
            }
        }
    }

    async fn maintenance_answer(&self, saved: Result<u64, ClientError>) {
        match saved {
            Ok(id) => self.emit(HistoryEvent::MaintenanceSaved { id }).await,
            Err(error) => {
                let message = self.session.failure(error).await;
                self.fail(HistoryAction::Maintenance, message).await;
            }
        }
    }

    /// Reads the file and sends it to the central, which stores all of it or nothing.
    async fn import(&self, path: PathBuf, format: Option<String>, element: Option<Element>) {
        let Some(client) = self.authorised() else {
            self.fail(HistoryAction::Import, Trouble::not_signed_in())
                .await;
            return;
        };
        let file = path.display().to_string();
        let name = path
            .file_name()
            .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
        self.emit(HistoryEvent::ImportStarted { file: file.clone() })
            .await;
        let bytes = match read_file(path).await {
            Ok(bytes) => bytes,
            Err(message) => {
                self.fail(HistoryAction::Import, message).await;
                return;
            }
        };
        let query = ImportQuery {
            format,
            element: element.map(|e| e.code().to_owned()),
            name: Some(name),
        };
        match client.import_file(&query, bytes).await {
            Ok(report) => {
                let outcome = ImportOutcome {
                    file,
                    format: report.format,
                    title: report.title,
                    imported: report.imported,
                    new_values: report.new_values,
                    duplicate_values: report.duplicate_values,
                    missing_values: report.missing_values,
                    outside_network: report.outside_network,
                    span: report.span,
                };
                self.emit(HistoryEvent::Imported(outcome)).await;
            }
            Err(error) => {
                let message = self.session.failure(error).await;
                self.fail(HistoryAction::Import, message).await;
            }
        }
    }

    /// Fetches what `spans` need of periods held only as rollups (unless fetching rests after
    /// a failure); returns what is still held so.
    async fn fill_older_minutes(&self, spans: &[HeldPeriod], now: Timestamp) -> Vec<HeldPeriod> {
        let resting = self
            .fetch_failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| now.millis() - at.millis() < on_demand::REST_AFTER_FAILURE_MS);
        let client = self.authorised().filter(|_| !resting);
        match on_demand::fill(client.as_ref(), &self.writer, spans).await {
            Ok(filled) => {
                if filled.failed {
                    *self
                        .fetch_failed_at
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(now);
                }
                filled.held
            }
            Err(error) => {
                tracing::warn!(%error, "rollups-only periods not read");
                Vec::new()
            }
        }
    }

    /// The client with the session's token, if someone is signed in.
    fn authorised(&self) -> Option<CentralClient> {
        self.session.authorise(&self.client)
    }

    /// Runs `work` on the cache off the async threads; errors become the user's words.
    async fn read<R: Send + 'static>(
        &self,
        work: impl FnOnce(&CacheDb) -> Result<R, String> + Send + 'static,
    ) -> Result<R, String> {
        let cache = Arc::clone(&self.cache);
        tokio::task::spawn_blocking(move || {
            work(&cache.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .unwrap_or_else(|join| Err(format!("reading the local cache failed: {join}")))
    }
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "used as `map_err(store_error)`"
)]
fn store_error(error: StoreError) -> String {
    format!("reading the local cache failed: {error}")
}

/// Every view of `requests`, with its gaps classified against the station's maintenance.
pub fn views(
    cache: &CacheDb,
    requests: &[ViewRequest],
    now: Timestamp,
) -> Result<Vec<SeriesView>, String> {
    requests
        .iter()
        .map(|request| {
            let maintenance = cache.maintenance(Some(&request.station))?;
            cache.series_view(request, &maintenance, now)
        })
        .collect::<Result<_, _>>()
        .map_err(store_error)
}

/// `(time, value)` pairs of one series in `(after, until]`.
fn pairs(
    cache: &CacheDb,
    station: &StationId,
    element: Element,
    after: Timestamp,
    until: Timestamp,
) -> Result<Vec<(Timestamp, f64)>, StoreError> {
    Ok(cache
        .samples(station, element, after, until)?
        .into_iter()
        .map(|s| (s.time, s.value))
        .collect())
}

/// What [`rain`] reads: the minute and hourly rain of the CMA days `(from, to]` touches.
fn rain_spans(
    station: &StationId,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> [HeldPeriod; 2] {
    let (read_from, read_to) = rain_reads(from, to, now);
    [Element::Pre, Element::Pre1h].map(|element| HeldPeriod {
        station: station.clone(),
        element,
        from: read_from,
        to: read_to,
    })
}

/// The span `(from, to]`'s rain is read over: from 20:00 before its first CMA day (and at
/// least a day back, for the running 24 h) to the end of its last.
fn rain_reads(from: Timestamp, to: Timestamp, now: Timestamp) -> (Timestamp, Timestamp) {
    let end = to.min(now);
    let first_day = ObservingDay::containing(from.plus_ms(1), DayBoundary::Twenty);
    let last_day = ObservingDay::containing(end, DayBoundary::Twenty);
    (
        first_day.start().min(end.plus_ms(-24 * HOUR_MS)),
        last_day.end(),
    )
}

/// The rain of one station over `(from, to]`.
pub fn rain(
    cache: &CacheDb,
    station: StationId,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Result<RainReport, String> {
    let end = to.min(now);
    // The CMA days the range touches start at 20:00 the evening before its first date.
    let first_day = ObservingDay::containing(from.plus_ms(1), DayBoundary::Twenty);
    let last_day = ObservingDay::containing(end, DayBoundary::Twenty);
    let (read_from, read_to) = rain_reads(from, to, now);
    let minutes = pairs(cache, &station, Element::Pre, read_from, read_to).map_err(store_error)?;
    let hourly = pairs(cache, &station, Element::Pre1h, read_from, read_to).map_err(store_error)?;
    let table = stats::hourly_rain(&minutes, &hourly);
    let hours = table
        .iter()
        .filter(|&&(hour, _, _)| hour_overlaps(hour, from, to))
        .map(|&(hour, mm, _)| (hour.plus_ms(HOUR_MS), mm))
        .collect();
    let days = stats::daily_rain_from_hourly(&table, first_day.date..=last_day.date, now);
    // Minute data gives exact windows; an archive of hourly totals gives whole hours.
    let recent_minutes = minutes.iter().any(|&(t, _)| t > end.plus_ms(-24 * HOUR_MS));
    let accumulations = if recent_minutes {
        stats::accumulations(&minutes, end)
    } else {
        stats::STANDARD_WINDOWS_H.map(|hours| stats::Accumulation {
            hours,
            total: stats::rain_total_from_hourly(
                &table,
                end.plus_ms(-i64::from(hours) * HOUR_MS),
                end,
            ),
        })
    };
    Ok(RainReport {
        station,
        from,
        to,
        hours,
        days,
        accumulations,
        at: now,
    })
}

/// Whether the CMA hour starting at `hour` (its minutes stamped in `(hour, hour + 1 h]`) has
/// any minute in `(from, to]`: a one-hour range that starts at 03:28 shows the hour that ended
/// at 04:00 and the one running since.
pub fn hour_overlaps(hour: Timestamp, from: Timestamp, to: Timestamp) -> bool {
    hour < to && hour.plus_ms(HOUR_MS) > from
}

/// The wind of one station over `(from, to]`; `arrows` slices get a mean each.
pub fn wind(
    cache: &CacheDb,
    station: StationId,
    from: Timestamp,
    to: Timestamp,
    arrows: usize,
) -> Result<WindReport, String> {
    let speeds = pairs(cache, &station, Element::WinSAvg2mi, from, to).map_err(store_error)?;
    let directions = pairs(cache, &station, Element::WinDAvg2mi, from, to).map_err(store_error)?;
    let rose = WindRose::build(&speeds, &directions, &BEAUFORT_BOUNDS_MS);
    let slices = i64::try_from(arrows.max(1)).unwrap_or(1);
    let span = (to.millis() - from.millis()).max(1);
    let mut means = Vec::new();
    for i in 0..slices {
        let start = Timestamp(from.millis() + span * i / slices);
        let end = Timestamp(from.millis() + span * (i + 1) / slices);
        let within = |series: &[(Timestamp, f64)]| {
            let lo = series.partition_point(|&(t, _)| t <= start);
            let hi = series.partition_point(|&(t, _)| t <= end);
            series[lo..hi.max(lo)].to_vec()
        };
        if let Some(mean) = stats::vector_mean(&within(&speeds), &within(&directions)) {
            means.push((end, mean));
        }
    }
    Ok(WindReport {
        station,
        from,
        to,
        rose,
        arrows: means,
    })
}

/// Today's extremes at every station and the township table.
pub fn summaries(cache: &CacheDb, now: Timestamp) -> Result<Summaries, String> {
    let network = cache.network().map_err(store_error)?.unwrap_or_default();
    let latest = cache.latest().map_err(store_error)?;
    let today = ObservingDay::containing(now, DayBoundary::Midnight);
    // Today's rain day began at 20:00 yesterday, four hours before the calendar day.
    let after = today.start().plus_ms(-4 * HOUR_MS);
    let mut stations = Vec::new();
    let mut station_summaries = Vec::new();
    for station in network.stations_in_township_order() {
        let read = |element| pairs(cache, &station.id, element, after, now);
        let (tem, rhu, gust, direction, pre) = (
            read(Element::Tem).map_err(store_error)?,
            read(Element::Rhu).map_err(store_error)?,
            read(Element::WinSInstMax).map_err(store_error)?,
            read(Element::WinDAvg2mi).map_err(store_error)?,
            read(Element::Pre).map_err(store_error)?,
        );
        let series = StationSeries {
            tem: &tem,
            rhu: &rhu,
            gust: &gust,
            gust_direction: &direction,
            pre: &pre,
        };
        let extremes = stats::today_so_far(&series, now);
        let last_report = latest
            .get(&station.id)
            .and_then(|values| values.values().map(|&(t, _)| t).max());
        station_summaries.push(StationSummary::from_extremes(
            station.id.clone(),
            last_report,
            &extremes,
        ));
        stations.push((station.id.clone(), extremes));
    }
    let townships = township_table(&network, &station_summaries, now, STALE_AFTER_MS);
    Ok(Summaries {
        at: now,
        stations,
        townships,
    })
}

/// Where and how an export is written.
#[derive(Debug, Clone, Copy)]
pub struct ExportFile<'a> {
    /// CSV or Excel.
    pub format: ExportFormat,
    /// The folder.
    pub dir: &'a Path,
    /// The name, without folder, time or extension.
    pub name: &'a str,
    /// Now, for the file's name.
    pub now: Timestamp,
}

/// Writes the values (or, for long views, the buckets) behind `requests` as one table, then
/// `tables`, to a file; answers its path and the rows written.
pub fn export_file(
    cache: &CacheDb,
    requests: &[ViewRequest],
    tables: Vec<Table>,
    file: &ExportFile<'_>,
) -> Result<(String, usize), String> {
    let mut all = Vec::new();
    if !requests.is_empty() {
        all.push(series_table(cache, requests, file.now)?);
    }
    all.extend(tables);
    let rows = all.iter().map(|t| t.rows.len()).sum();
    let bytes = table_file::table_file(&all, file.format)?;
    let path = file.dir.join(series_csv::file_name(
        file.name,
        file.now,
        file.format.extension(),
    ));
    write_file(&path, &bytes).map(|path| (path, rows))
}

/// The values (or, for long views, the buckets) behind `requests`, as one table.
fn series_table(
    cache: &CacheDb,
    requests: &[ViewRequest],
    now: Timestamp,
) -> Result<Table, String> {
    let mut samples = Vec::new();
    let mut buckets = Vec::new();
    let raw = requests.iter().all(|r| r.plan().level == Level::Raw);
    for request in requests {
        if raw {
            let values = cache
                .samples(&request.station, request.element, request.from, request.to)
                .map_err(store_error)?;
            samples.push((request, values));
        } else {
            let view = cache.series_view(request, &[], now).map_err(store_error)?;
            buckets.push((request, view.view.buckets));
        }
    }
    let listed: usize = samples.iter().map(|(_, v)| v.len()).sum();
    if listed > MAX_EXPORTED_VALUES {
        return Err(format!(
            "{listed} values are more than one file should hold ({MAX_EXPORTED_VALUES}); export a shorter range"
        ));
    }
    let series: Vec<(StationId, Element, SeriesRows<'_>)> = samples
        .iter()
        .map(|(r, v)| (r.station.clone(), r.element, SeriesRows::Values(v)))
        .chain(
            buckets
                .iter()
                .map(|(r, b)| (r.station.clone(), r.element, SeriesRows::Buckets(b))),
        )
        .collect();
    Ok(series_csv::series_table(&series))
}

/// Writes `bytes` to `path`, creating its folder; answers the path as the user reads it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<String, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// The folder remembered in `file`, if it names one that exists.
fn remembered_folder(file: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(file).ok()?;
    let folder = PathBuf::from(text.trim());
    (folder.is_absolute() && folder.is_dir()).then_some(folder)
}

/// Checks that `folder` can hold exports (creating it) and remembers it in `memory`.
fn choose_folder(folder: &Path, memory: Option<&Path>) -> Result<(), String> {
    if !folder.is_absolute() {
        return Err(format!(
            "{} is not a full path (it should start with / or a drive letter)",
            folder.display()
        ));
    }
    std::fs::create_dir_all(folder)
        .map_err(|e| format!("cannot use {} for exports: {e}", folder.display()))?;
    if let Some(memory) = memory {
        write_file(memory, folder.display().to_string().as_bytes())?;
    }
    Ok(())
}

/// Opens `folder` in the desktop's file manager.
fn open_folder(folder: &Path) -> Result<(), String> {
    let program = if cfg!(windows) {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let status = std::process::Command::new(program)
        .arg(folder)
        .status()
        .map_err(|e| format!("cannot open {} ({program}: {e})", folder.display()))?;
    // Explorer answers 1 even when it opened the folder.
    if status.success() || cfg!(windows) {
        Ok(())
    } else {
        Err(format!(
            "cannot open {} ({program}: {status})",
            folder.display()
        ))
    }
}

async fn read_file(path: PathBuf) -> Result<Vec<u8>, String> {
    tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .len();
        if size > MAX_IMPORT_BYTES {
            return Err(format!(
                "{} is {size} bytes; files over {MAX_IMPORT_BYTES} bytes are not imported",
                path.display()
            ));
        }
        std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    })
    .await
    .unwrap_or_else(|join| Err(format!("reading the file failed: {join}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_folder_is_created_remembered_and_read_back() {
        let home = tempfile::tempdir().unwrap();
        let memory = home.path().join("config/export-folder");
        let chosen = home.path().join("报表/2026");
        choose_folder(&chosen, Some(&memory)).unwrap();
        assert!(chosen.is_dir());
        assert_eq!(remembered_folder(&memory), Some(chosen.clone()));
        // A folder that went away is not used; a relative one is refused with the reason.
        std::fs::remove_dir_all(&chosen).unwrap();
        assert_eq!(remembered_folder(&memory), None);
        let refused = choose_folder(Path::new("exports"), Some(&memory)).unwrap_err();
        assert!(refused.contains("not a full path"), "{refused}");
    }

    #[test]
    fn an_hour_is_shown_when_any_of_its_minutes_is_in_the_range() {
        let at =
            |hhmm: &str| Timestamp::parse_rfc3339(&format!("2026-12-06T{hhmm}:00+08:00")).unwrap();
        let (from, to) = (at("03:28"), at("04:28"));
        // (03:00, 04:00] and (04:00, 05:00] overlap (03:28, 04:28]; the hours either side do not.
        let shown: Vec<bool> = ["02:00", "03:00", "04:00", "04:28"]
            .map(|h| hour_overlaps(at(h), from, to))
            .into();
        assert_eq!(shown, [false, true, true, false]);
    }
}
