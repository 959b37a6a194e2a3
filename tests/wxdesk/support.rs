//! Shared helpers: a central in-process on 127.0.0.1:0 over a temporary database with a clock
//! the test controls, sessions for every role on it (created on first use), an HTTP client, a
//! small server-sent-events reader, and plausible synthetic observations for tests that need
//! data without a central.

// Each test module uses a different subset.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Once};
use std::time::Duration;

use std::collections::HashMap;

use futures_util::{Stream, StreamExt as _};
use serde_json::{Value, json};
use wxdesk::central::{self, CentralConfig, RunningCentral};
use wxdesk::domain::access::{DeviceClaims, DeviceName, Role, Secret};
use wxdesk::domain::time::{HOUR_MS, MINUTE_MS, ManualClock};
use wxdesk::domain::{Element, Network, Observation, Source, StationId, Timestamp};
use wxdesk::protocol::{Change, ChangesPage, ChunkDto, LoginResponse};

/// Where test clocks start: a late-November morning in Qingliu (18:00 Beijing time).
pub const NOW: &str = "2026-11-27T10:00:00Z";

/// The failure guard for anything awaited: generous, since the machine has two cores.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// [`NOW`] as a timestamp.
pub fn now() -> Timestamp {
    Timestamp::parse_rfc3339(NOW).expect("NOW is RFC 3339")
}

/// `NOW` moved by `minutes`, as RFC 3339.
pub fn minutes_from_now(minutes: i64) -> String {
    now().plus_ms(minutes * 60_000).to_rfc3339()
}

/// Every log line of every test so far (all of wxdesk's, debug and up from the libraries), so a
/// test can check that no secret was ever written to a log.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// Writes log lines into [`LOGS`].
struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What every test has logged so far.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(
        &LOGS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_owned()
}

/// Process-wide set-up: the TLS provider reqwest needs (it is built without a default one) and
/// the log capture.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,wxdesk=trace"))
            .with_writer(|| Capture)
            .with_ansi(false)
            .try_init();
    });
}

/// An HTTP client for talking to a test central.
pub fn client() -> reqwest::Client {
    init();
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .default_headers(desk_headers())
        .build()
        .expect("building the HTTP client")
}

/// The header every desk of this build sends: the protocol it speaks.
pub fn desk_headers() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        wxdesk::protocol::PROTOCOL_HEADER,
        wxdesk::protocol::PROTOCOL_VERSION
            .to_string()
            .parse()
            .unwrap(),
    );
    headers
}

/// An HTTP client as a released protocol-1 desk is: it announces no protocol.
pub fn protocol_1_client() -> reqwest::Client {
    init();
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .expect("building the HTTP client")
}

/// An HTTP client whose requests come from `source` (127.0.0.2 and up reach a central on
/// 127.0.0.1 over loopback, as another machine would).
pub fn client_from(source: [u8; 4]) -> reqwest::Client {
    init();
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .default_headers(desk_headers())
        .local_address(std::net::IpAddr::from(source))
        .build()
        .expect("building the HTTP client")
}

/// Awaits `future`, failing the test if it takes longer than [`PATIENCE`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

pub use crate::accounts::PASSWORD;

/// The device the test central issues a key to at start.
pub const DEVICE: &str = "test-logger";

/// The login name of the test user of `role` (the administrator is the first one, `admin`).
pub fn username(role: Role) -> String {
    match role {
        Role::Administrator => "admin".to_owned(),
        role => role.code().replace('_', "-"),
    }
}

/// A central running in this process for one test, with its own database and clock.
pub struct TestCentral {
    /// The central's clock, standing at [`NOW`] until moved.
    pub clock: Arc<ManualClock>,
    /// Keep-alive interval of its live streams.
    pub keep_alive: Duration,
    limits: central::Limits,
    addr: SocketAddr,
    db: PathBuf,
    running: Option<RunningCentral>,
    first_admin: Option<Secret>,
    device_key: Secret,
    tokens: tokio::sync::Mutex<HashMap<Role, String>>,
    _dir: tempfile::TempDir,
}

impl TestCentral {
    /// Starts a central on 127.0.0.1 with a random port and a fresh database.
    pub async fn start() -> Self {
        Self::start_with_keep_alive(central::DEFAULT_KEEP_ALIVE).await
    }

    /// Like [`TestCentral::start`], with live streams sending keep-alives after `keep_alive`.
    pub async fn start_with_keep_alive(keep_alive: Duration) -> Self {
        Self::start_with(keep_alive, |_| {}).await
    }

    /// Like [`TestCentral::start_with_keep_alive`], enforcing `limits`.
    pub async fn start_with_limits(keep_alive: Duration, limits: central::Limits) -> Self {
        Self::start_with(keep_alive, |config| config.limits = limits).await
    }

    /// Like [`TestCentral::start_with_keep_alive`], with `tweak` applied to its configuration
    /// (bounds, extra background workers, a back-off).
    pub async fn start_with(keep_alive: Duration, tweak: impl FnOnce(&mut CentralConfig)) -> Self {
        init();
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("central.sqlite");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0");
        let clock = ManualClock::new(now());
        let mut config = config(&db, &clock, keep_alive, central::Limits::default());
        tweak(&mut config);
        let limits = config.limits;
        let running = central::start(listener, config)
            .await
            .expect("starting the central");
        Self {
            clock,
            keep_alive,
            limits,
            addr: running.addr(),
            db,
            first_admin: running.first_admin_password().cloned(),
            device_key: device_key_of(&running),
            running: Some(running),
            tokens: tokio::sync::Mutex::default(),
            _dir: dir,
        }
    }

    /// The key of [`DEVICE`], issued at start.
    pub fn device_key(&self) -> &str {
        self.device_key.expose()
    }

    /// The first administrator's one-time password, if this central's last start created one.
    pub fn first_admin_password(&self) -> Option<&Secret> {
        self.first_admin.as_ref()
    }

    /// `POST /auth/login`; the status and the JSON answer.
    pub async fn login(
        &self,
        client: &reqwest::Client,
        user: &str,
        password: &str,
    ) -> (u16, Value) {
        let response = client
            .post(self.url("/auth/login"))
            .json(&json!({"username": user, "password": password, "workstation": "test-desk"}))
            .send()
            .await
            .expect("logging in");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    /// Logs in with a one-time password and replaces it with [`PASSWORD`]; the session token.
    pub async fn first_login(
        &self,
        client: &reqwest::Client,
        user: &str,
        one_time: &str,
    ) -> String {
        crate::accounts::first_login(client, &self.base(), user, one_time).await
    }

    /// A session token of the test user with `role` (the device key for [`Role::Device`]),
    /// creating the user on first use.
    pub async fn token(&self, role: Role) -> String {
        if role == Role::Device {
            return self.device_key().to_owned();
        }
        let mut tokens = self.tokens.lock().await;
        if let Some(token) = tokens.get(&role) {
            return token.clone();
        }
        let client = client();
        let admin = match tokens.get(&Role::Administrator) {
            Some(token) => token.clone(),
            None => {
                let otp = self
                    .first_admin
                    .clone()
                    .expect("a fresh central has a first administrator");
                let token = self.first_login(&client, "admin", otp.expose()).await;
                tokens.insert(Role::Administrator, token.clone());
                token
            }
        };
        if role == Role::Administrator {
            return admin;
        }
        let name = username(role);
        let display_name = format!("Test {}", role.name_en());
        let user = (name.as_str(), display_name.as_str(), role.code());
        let token = crate::accounts::created_user(&client, &self.base(), &admin, user).await;
        tokens.insert(role, token.clone());
        token
    }

    /// A full login of the test administrator: the token and the session, for a console to
    /// remember.
    pub async fn admin_login(&self) -> LoginResponse {
        self.token(Role::Administrator).await;
        let (status, body) = self.login(&client(), "admin", PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).unwrap()
    }

    /// What the central's password hashing pool did so far.
    pub fn hash_stats(&self) -> central::hashing::HashStats {
        self.running
            .as_ref()
            .expect("a running central")
            .hash_stats()
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of an API path, e.g. `url("/health")` → `http://127.0.0.1:40123/api/v1/health`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base(), wxdesk::protocol::API_PREFIX)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Follows how many live streams it has open.
    pub fn live_streams(&self) -> tokio::sync::watch::Receiver<usize> {
        self.running
            .as_ref()
            .expect("a running central")
            .live_streams()
    }

    /// The central itself (its outbox, its workers' board); panics if it is shut down.
    pub fn running(&self) -> &RunningCentral {
        self.running.as_ref().expect("the central is running")
    }

    /// Its database file.
    pub fn db_path(&self) -> &Path {
        &self.db
    }

    /// Shuts it down gracefully; panics if that takes longer than [`PATIENCE`].
    pub async fn shutdown(&mut self) {
        if let Some(running) = self.running.take() {
            within("the central to shut down", running.shutdown())
                .await
                .expect("clean shutdown");
        }
    }

    /// Shuts it down (if running) and starts it again on the same port and database.
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// Like [`TestCentral::restart`], with the configuration changed by `adjust`.
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut CentralConfig)) {
        self.shutdown().await;
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("re-binding the same port");
        let mut config = config(&self.db, &self.clock, self.keep_alive, self.limits);
        adjust(&mut config);
        let running = central::start(listener, config)
            .await
            .expect("restarting the central");
        if let Some(key) = running.device_key(&DeviceName::parse(DEVICE).unwrap()) {
            // A central that cannot write its database issues no key: the old one holds.
            self.device_key = key.clone();
        }
        if let Some(password) = running.first_admin_password() {
            // A new database: the old sessions are gone with the old accounts.
            self.first_admin = Some(password.clone());
            self.tokens.lock().await.clear();
        }
        self.running = Some(running);
    }

    /// Posts an ingest body with the device key; returns the status and the JSON answer.
    pub async fn post_observations(&self, client: &reqwest::Client, body: &Value) -> (u16, Value) {
        let response = client
            .post(self.url("/observations"))
            .bearer_auth(self.device_key())
            .json(body)
            .send()
            .await
            .expect("posting observations");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    /// GETs an API path as the test user of `role`: the status and the JSON answer.
    pub async fn get_as(&self, role: Role, path: &str) -> (u16, Value) {
        let http = client_with(&self.token(role).await);
        let response = http
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    /// GETs an API path as the administrator (whatever `client` carries); returns the status
    /// and the JSON answer.
    pub async fn get_json(&self, client: &reqwest::Client, path: &str) -> (u16, Value) {
        let token = self.token(Role::Administrator).await;
        let response = client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    /// Opens the live stream at `path_and_query` (e.g. `/stream?after=0`), with an optional
    /// `Last-Event-ID`.
    pub async fn open_stream(
        &self,
        client: &reqwest::Client,
        path_and_query: &str,
        last_event_id: Option<u64>,
    ) -> EventStream {
        let token = self.token(Role::Administrator).await;
        let mut request = client
            .get(self.url(path_and_query))
            .bearer_auth(token)
            // A stream outlives any request timeout; the tests guard each wait instead.
            .timeout(Duration::from_secs(3600));
        if let Some(seq) = last_event_id {
            let cursor = wxdesk::protocol::Cursor::from_seq(seq);
            request = request.header("Last-Event-ID", cursor.as_str());
        }
        let response = request.send().await.expect("opening the stream");
        assert_eq!(response.status(), 200, "stream refused");
        EventStream::new(response)
    }
}

fn config(
    db: &Path,
    clock: &Arc<ManualClock>,
    keep_alive: Duration,
    limits: central::Limits,
) -> CentralConfig {
    let mut config = CentralConfig::new(
        db,
        wxdesk::assets::qingliu_network().expect("shipped network"),
    );
    config.clock = clock.clone();
    config.keep_alive = keep_alive;
    config.device_keys = vec![(DeviceName::parse(DEVICE).unwrap(), DeviceClaims::LIVE)];
    config.limits = limits;
    config
}

fn device_key_of(running: &RunningCentral) -> Secret {
    running
        .device_key(&DeviceName::parse(DEVICE).unwrap())
        .cloned()
        .expect("the test device's key")
}

/// Logs the test administrator in and leaves the session where a console backend finds it
/// (no keyring: a 0600 file); returns the credentials directory to give the backend.
pub async fn remembered_session(central: &TestCentral, dir: &Path) -> PathBuf {
    remembered_session_of(central, Role::Administrator, dir).await
}

/// Like [`remembered_session`], for the test user with `role` (created on first use).
pub async fn remembered_session_of(central: &TestCentral, role: Role, dir: &Path) -> PathBuf {
    use wxdesk::console::backend::accounts::view;
    use wxdesk::console::backend::credentials::{Credentials, NoKeyring};
    central.token(role).await;
    let (status, body) = central.login(&client(), &username(role), PASSWORD).await;
    assert_eq!(status, 200, "login of {role:?}: {body}");
    let login: LoginResponse = serde_json::from_value(body).unwrap();
    let path = dir.join("credentials");
    Credentials::new(Some(path.clone()), &central.base(), Arc::new(NoKeyring))
        .save(&login.token, &view(login.session))
        .expect("remembering the session");
    path
}

/// A signed-in session of a test user with `role`, as the console holds it.
pub fn session_view(role: Role) -> wxdesk::console::messages::SessionView {
    use wxdesk::domain::access::{Account, Username};
    let (name, display) = match role {
        Role::DutyForecaster => ("zhangwei", "张伟"),
        Role::Technician => ("chenjie", "陈杰"),
        Role::Supervisor => ("lina", "李娜"),
        Role::Leader => ("wangjun", "王军"),
        Role::Administrator | Role::Device => ("admin", "系统管理员"),
    };
    wxdesk::console::messages::SessionView {
        account: Account {
            username: Username::parse(name).unwrap(),
            display_name: display.to_owned(),
            role,
            disabled: false,
            must_change_password: false,
            locked_until: None,
            last_login: Some(now()),
            created_at: now().plus_ms(-30 * 24 * HOUR_MS),
        },
        capabilities: role.capabilities(),
        workstation: "值班台-1".to_owned(),
        expires_at: now().plus_ms(12 * HOUR_MS),
    }
}

/// An HTTP client that sends `token` with every request.
pub fn client_with(token: &str) -> reqwest::Client {
    init();
    let mut headers = desk_headers();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .default_headers(headers)
        .build()
        .unwrap()
}

/// One server-sent event, or a comment line (`: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// An event.
    Event {
        /// `id:` field.
        id: Option<String>,
        /// `event:` field.
        event: Option<String>,
        /// `data:` lines joined by `\n`.
        data: String,
    },
    /// A comment (keep-alive).
    Comment(String),
}

/// A minimal reader of a `text/event-stream` response body.
pub struct EventStream {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>>,
    buffer: String,
}

impl EventStream {
    fn new(response: reqwest::Response) -> Self {
        Self {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event or comment; `None` when the server ended the stream.
    pub async fn next_item(&mut self) -> Option<SseItem> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(item) = parse_block(&block) {
                    return Some(item);
                }
                continue;
            }
            match self.body.next().await {
                Some(Ok(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// The next event, skipping comments; `None` when the stream ended. Guarded by
    /// [`PATIENCE`].
    pub async fn next_event(&mut self) -> Option<SseItem> {
        within("a stream event", async {
            loop {
                match self.next_item().await? {
                    SseItem::Comment(_) => {}
                    event => return Some(event),
                }
            }
        })
        .await
    }

    /// The next change, checking the event's framing (`id` = its cursor, `event: change`, a
    /// page of one change).
    pub async fn next_change(&mut self) -> StreamChange {
        let Some(SseItem::Event { id, event, data }) = self.next_event().await else {
            panic!("the stream ended");
        };
        let mut page: ChangesPage = serde_json::from_str(&data).expect("a page as data");
        assert_eq!(page.changes.len(), 1, "one change per event");
        let change = page.changes.remove(0);
        assert_eq!(
            id.as_deref(),
            Some(change.cursor.as_str()),
            "event id is the cursor"
        );
        assert_eq!(page.next, change.cursor);
        assert_eq!(
            event.as_deref(),
            Some(wxdesk::protocol::STREAM_EVENT_CHANGE)
        );
        StreamChange {
            seq: change.cursor.seq().expect("the central's cursor"),
            change,
            chunks: page.chunks,
        }
    }

    /// `n` changes' seqs, in arrival order.
    pub async fn next_seqs(&mut self, n: usize) -> Vec<u64> {
        let mut seqs = Vec::with_capacity(n);
        for _ in 0..n {
            seqs.push(self.next_change().await.seq);
        }
        seqs
    }
}

/// A change as the live stream sent it, with the `seq` inside its cursor (tests read it; desks
/// never do).
#[derive(Debug, Clone)]
pub struct StreamChange {
    /// The central's `seq`.
    pub seq: u64,
    /// The change.
    pub change: Change,
    /// The chunks sent with it.
    pub chunks: Vec<ChunkDto>,
}

/// Parses one SSE block (lines up to a blank line).
fn parse_block(block: &str) -> Option<SseItem> {
    let mut id = None;
    let mut event = None;
    let mut data: Vec<&str> = Vec::new();
    let mut comment = None;
    for line in block.lines() {
        if let Some(text) = line.strip_prefix(':') {
            comment = Some(text.trim().to_owned());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => id = Some(value.to_owned()),
            "event" => event = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if id.is_none() && event.is_none() && data.is_empty() {
        return comment.map(SseItem::Comment);
    }
    Some(SseItem::Event {
        id,
        event,
        data: data.join("\n"),
    })
}

/// An observation record as JSON.
pub fn record(station: &str, time: &str, values: Value) -> Value {
    let mut record = serde_json::json!({"station": station, "time": time});
    record["values"] = values;
    record
}

/// An ingest body of `records`.
pub fn batch(records: &[Value]) -> Value {
    serde_json::json!({ "observations": records })
}

/// 2026-11-27 14:30 Beijing time: an afternoon, so charts show a full diurnal cycle.
pub fn afternoon() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-27T06:30:00Z").unwrap()
}

/// A manual clock standing at `at`.
pub fn clock_at(at: Timestamp) -> Arc<ManualClock> {
    ManualClock::new(at)
}

/// Qingliu's network as shipped.
pub fn network() -> Network {
    wxdesk::assets::qingliu_network().unwrap()
}

/// A station id from text.
pub fn id(text: &str) -> StationId {
    StationId::parse(text).unwrap()
}

/// Smooth deterministic wiggle in [-1, 1] for a station and minute: texture, not weather.
fn wiggle(seed: usize, minute: i64) -> f64 {
    let s = seed as f64;
    ((minute as f64) / 37.0 + s * 1.7).sin() * 0.6 + ((minute as f64) / 11.0 + s * 0.9).sin() * 0.4
}

/// One-minute observations for `stations` from `from` to `to` (inclusive): a November
/// diurnal cycle shaped by altitude, an afternoon shower on every third station, light
/// southerly winds. Plausible, not real.
pub fn synthetic_observations(
    network: &Network,
    stations: &[StationId],
    from: Timestamp,
    to: Timestamp,
) -> Vec<Observation> {
    let mut out = Vec::new();
    for (index, station) in network
        .stations
        .iter()
        .enumerate()
        .filter(|(_, s)| stations.contains(&s.id))
    {
        let lapse = (station.altitude_m - 300.0) * 0.0065;
        let mut rain_window: Vec<f64> = Vec::new();
        let mut t = from.floor(MINUTE_MS);
        while t <= to {
            let minute = t.millis() / MINUTE_MS;
            let local_hour =
                ((t.millis() + 8 * HOUR_MS).rem_euclid(24 * HOUR_MS)) as f64 / HOUR_MS as f64;
            let day = (std::f64::consts::TAU * (local_hour - 9.0) / 24.0).sin();
            let tem = 12.0 + 5.5 * day - lapse + 0.4 * wiggle(index, minute);
            let showers = index % 3 == 0 && (14.0..17.0).contains(&local_hour);
            let pre = if showers {
                (0.08 + 0.12 * (wiggle(index + 5, minute) + 1.0)).max(0.0)
            } else {
                0.0
            };
            rain_window.push(pre);
            if rain_window.len() > 60 {
                rain_window.remove(0);
            }
            let speed =
                (1.8 + 1.2 * day + 0.15 * index as f64 + 0.8 * wiggle(index + 9, minute)).max(0.0);
            let values: BTreeMap<Element, f64> = [
                (Element::Tem, round1(tem)),
                (Element::Gst, round1(tem + 4.0 * day.max(-0.3))),
                (
                    Element::Rhu,
                    (80.0 - 3.0 * (tem - 10.0) + if showers { 15.0 } else { 0.0 })
                        .clamp(25.0, 100.0)
                        .round(),
                ),
                (Element::Pre, round1(pre)),
                (Element::Pre1h, round1(rain_window.iter().sum())),
                (
                    Element::Prs,
                    round1(1016.0 - station.altitude_m / 8.3 + 1.2 * (minute as f64 / 720.0).sin()),
                ),
                (Element::WinSAvg2mi, round1(speed)),
                (Element::WinSInstMax, round1(speed * 1.7 + 0.5)),
                (
                    Element::WinDAvg2mi,
                    (200.0 + 35.0 * wiggle(index + 3, minute))
                        .rem_euclid(360.0)
                        .round(),
                ),
            ]
            .into();
            out.push(Observation {
                station: station.id.clone(),
                time: t,
                source: Source::Live,
                values,
            });
            t = t.plus_ms(MINUTE_MS);
        }
    }
    out.sort_by_key(|o| o.time);
    out
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The stations the sync and database tests write to.
pub const STATIONS: [&str; 4] = ["58819", "708301", "708308", "708315"];

/// `minutes` consecutive minutes for every test station, starting `start` minutes from NOW.
pub fn minutes_batch(start: i64, minutes: i64) -> Value {
    let records: Vec<Value> = (start..start + minutes)
        .flat_map(|m| {
            STATIONS.iter().enumerate().map(move |(i, station)| {
                let tem = 10.0 + i as f64 + (m as f64) / 100.0;
                record(
                    station,
                    &minutes_from_now(m),
                    json!({"TEM": tem, "RHU": 80, "PRE_1h": 0.2}),
                )
            })
        })
        .collect();
    batch(&records)
}

/// A console at 1280×800 with the bundled font, in `language`, on a manual clock standing at
/// [`afternoon`], and the backend's ends of its link for the test to play the backend.
pub fn console_harness(
    language: wxdesk::console::ui::i18n::Language,
) -> (
    egui_kittest::Harness<'static, wxdesk::console::app::App>,
    wxdesk::console::backend::BackendEnds,
    Arc<ManualClock>,
) {
    let (link, backend) = wxdesk::console::backend::Link::pair();
    let clock = clock_at(afternoon());
    let shared: wxdesk::domain::time::SharedClock = clock.clone();
    let harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(wxdesk::console::ui::fonts::install)
        .build_eframe(move |cc| wxdesk::console::app::App::new(cc, link, shared, language));
    (harness, backend, clock)
}

/// Draws `lines` and whatever `more` adds on a tall page with the bundled font: the kittest
/// panics on any glyph the font lacks, so this checks that every text renders.
pub fn render_with_bundled_font(lines: Vec<String>, mut more: impl FnMut(&mut egui::Ui) + 'static) {
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1600.0, 3000.0))
        .with_context_setup(wxdesk::console::ui::fonts::install)
        .build_ui(move |ui| {
            for line in &lines {
                ui.label(line);
            }
            more(ui);
        });
    harness.run();
}
