// `wxdesk central serve` in a child process on 127.0.0.1, its `[sms]` pointed at the test
// SMSC, and the HTTP steps a bureau takes with it: the first administrator's login, a
// forecaster and a supervisor, recipients imported from CSV, warnings drafted, approved and
// released, their deliveries read. Shared by the kill test (`dispatch_kill`) and the dispatch
// bench (included by path), so it has no inner attributes.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a start, an exit or a step may take before the caller gives up.
pub const PATIENCE: Duration = Duration::from_secs(120);
/// What every user chooses after their one-time password.
const PASSWORD: &str = "qingliu-duty-2026";

/// The SMS gateway the child sends through.
#[derive(Debug, Clone, Copy)]
pub struct SmsGateway {
    /// The SMSC's port on 127.0.0.1.
    pub port: u16,
    /// `submit_sm` outstanding at once.
    pub window: usize,
    /// The agreed rate, if any.
    pub max_per_second: Option<u32>,
    /// How long a bind, and a `submit_sm_resp`, may take (ms).
    pub timeouts_ms: (u64, u64),
}

/// A running `wxdesk central serve`; killed when dropped.
pub struct ChildCentral {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT/api/v1`.
    pub base: String,
    listen: String,
    db: PathBuf,
    config: PathBuf,
    stderr: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn central_toml(sms: SmsGateway) -> String {
    let rate = sms
        .max_per_second
        .map_or_else(String::new, |r| format!("max_submits_per_second = {r}\n"));
    format!(
        "[sms]\ngateway = \"smpp\"\n\n[sms.smpp]\nhost = \"127.0.0.1\"\nport = {}\n\
         system_id = \"qlqx\"\npassword = \"pw9Qx7z\"\nsource_addr = \"106900001\"\n\
         window = {}\nconnect_timeout_ms = {}\nresponse_timeout_ms = {}\n{rate}",
        sms.port, sms.window, sms.timeouts_ms.0, sms.timeouts_ms.1
    )
}

impl ChildCentral {
    /// Starts a central on a fresh database in `dir`, with `failpoints` armed
    /// (`WXDESK_FAILPOINTS`; "" for none); it and the first administrator's one-time password.
    pub async fn start(dir: &Path, sms: SmsGateway, failpoints: &str) -> (Self, String) {
        let config = dir.join("central.toml");
        std::fs::write(&config, central_toml(sms)).unwrap();
        let port = free_port();
        let mut central = Self {
            child: None,
            base: format!("http://127.0.0.1:{port}/api/v1"),
            listen: format!("127.0.0.1:{port}"),
            db: dir.join("central.sqlite"),
            config,
            stderr: dir.join("central.log"),
        };
        let password = central.spawn(failpoints);
        let password = tokio::task::spawn_blocking(move || password.recv_timeout(PATIENCE))
            .await
            .unwrap()
            .expect("the first administrator's one-time password");
        central.wait_ready().await;
        (central, password)
    }

    /// Spawns the child on this central's database; what it will say the one-time password is.
    fn spawn(&mut self, failpoints: &str) -> std::sync::mpsc::Receiver<String> {
        self.kill();
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_wxdesk"))
            .args(["central", "serve", "--config"])
            .arg(&self.config)
            .arg("--listen")
            .arg(&self.listen)
            .arg("--db")
            .arg(&self.db)
            .env("RUST_LOG", "warn")
            .env("WXDESK_FAILPOINTS", failpoints)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        self.child = Some(child);
        let (found, password) = std::sync::mpsc::channel();
        // Read to the end: a closed pipe would fail the central's announcement.
        std::thread::Builder::new()
            .name("central-stdout".into())
            .spawn(move || {
                for line in stdout.lines().map_while(Result::ok) {
                    if let Some(p) = line.trim().strip_prefix("one-time password") {
                        _ = found.send(p.trim().to_owned());
                    }
                }
            })
            .unwrap();
        password
    }

    /// Starts the central again on the same database after it ended, with `failpoints`.
    pub async fn restart(&mut self, failpoints: &str) {
        self.spawn(failpoints);
        self.wait_ready().await;
    }

    /// Waits for `/health` to answer (bounded).
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        while !answers(&self.listen, "/api/v1/health") {
            if let Some(status) = self.exited() {
                panic!("the central ended at start ({status}): {}", self.log());
            }
            assert!(Instant::now() < deadline, "the central never answered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the child to end by itself (a failpoint's abort); its exit status.
    pub async fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(Instant::now() < deadline, "the central did not end");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Kills the child (SIGKILL), if it runs, and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The database file.
    pub fn db(&self) -> &Path {
        &self.db
    }

    /// What the child wrote to standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for ChildCentral {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A plain `GET` over a fresh connection, outside any runtime: whether it answered 2xx.
fn answers(host: &str, path: &str) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 2")
}

/// The bureau's users of one central, logged in.
pub struct Bureau {
    http: reqwest::Client,
    base: String,
    admin: String,
    forecaster: String,
    supervisor: String,
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the central answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

impl Bureau {
    /// Logs the first administrator in (choosing a password) and creates a forecaster and a
    /// supervisor.
    pub async fn set_up(base: &str, one_time: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = reqwest::header::HeaderMap::new();
        let version = wxdesk::protocol::PROTOCOL_VERSION.to_string();
        headers.insert(wxdesk::protocol::PROTOCOL_HEADER, version.parse().unwrap());
        let http = reqwest::Client::builder()
            .timeout(PATIENCE)
            .default_headers(headers)
            .build()
            .unwrap();
        let mut bureau = Self {
            http,
            base: base.to_owned(),
            admin: String::new(),
            forecaster: String::new(),
            supervisor: String::new(),
        };
        bureau.admin = bureau.first_login("admin", one_time).await;
        bureau.forecaster = bureau.user("forecaster", "duty_forecaster").await;
        bureau.supervisor = bureau.user("supervisor", "supervisor").await;
        bureau
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn first_login(&self, user: &str, one_time: &str) -> String {
        let body = json!({"username": user, "password": one_time, "workstation": "bench"});
        let (status, answer) = send(self.http.post(self.url("/auth/login")).json(&body)).await;
        assert_eq!(status, 200, "login of {user}: {answer}");
        let token = answer["token"].as_str().unwrap().to_owned();
        let change = json!({"current_password": one_time, "new_password": PASSWORD});
        let request = self.http.post(self.url("/auth/password"));
        let response = request.bearer_auth(&token).json(&change).send().await;
        assert_eq!(response.unwrap().status(), 204, "password of {user}");
        token
    }

    async fn user(&self, name: &str, role: &str) -> String {
        let body = json!({"username": name, "display_name": name, "role": role});
        let request = self.http.post(self.url("/users")).bearer_auth(&self.admin);
        let (status, created) = send(request.json(&body)).await;
        assert_eq!(status, 201, "creating {name}: {created}");
        let one_time = created["one_time_password"].as_str().unwrap().to_owned();
        self.first_login(name, &one_time).await
    }

    /// Imports `count` people of the county group, numbers 139xxxxxxxx from `first`; how
    /// many the central took.
    pub async fn import_county(&self, first: u64, count: u64) -> usize {
        let mut csv = String::from("姓名,乡镇,村,分组,职责,手机,微信openid,企业微信,启用,备注\n");
        for i in 0..count {
            csv.push_str(&format!(
                "接收人{i},县级,,县级,防汛指挥,139{:08},,,是,\n",
                first + i
            ));
        }
        let request = self.http.post(self.url("/recipients/import"));
        let request = request
            .bearer_auth(&self.admin)
            .header("content-type", "text/csv");
        let (status, report) = send(request.body(csv)).await;
        assert_eq!(status, 200, "{report}");
        report["imported"].as_array().map_or(0, Vec::len)
    }

    /// Drafts a rainstorm warning for the county group with `sms` as its text (`follows`: the
    /// warning it lifts) and has it approved: its id and pin.
    pub async fn approved(&self, sms: &str, follows: Option<&str>) -> (String, Value) {
        self.approved_at(sms, follows, "yellow").await
    }

    /// As [`Bureau::approved`], at `level` (`orange`: its leaders are called, 叫应).
    pub async fn approved_at(
        &self,
        sms: &str,
        follows: Option<&str>,
        level: &str,
    ) -> (String, Value) {
        let now = chrono::Utc::now();
        let mut content = json!({
            "action": if follows.is_some() { "lift" } else { "issue" },
            "signal": "rainstorm", "level": level, "area": ["350423100"],
            "issued_at": now.to_rfc3339(),
            "texts": {"sms": sms, "wecom_text": "暴雨黄色预警"},
            "recipient_groups": ["county:all"], "practice": false,
        });
        match follows {
            Some(id) => content["follows"] = json!(id),
            None => content["expires_at"] = json!((now + chrono::Duration::hours(6)).to_rfc3339()),
        }
        let request = self.http.post(self.url("/warnings"));
        let (status, drafted) = send(request.bearer_auth(&self.forecaster).json(&content)).await;
        assert!(status < 300, "drafting: {drafted}");
        let id = drafted["id"].as_str().unwrap().to_owned();
        let pin = json!({"pin": drafted["pin"]});
        let approve = self.http.post(self.url(&format!("/warnings/{id}/approve")));
        let (status, answer) = send(approve.bearer_auth(&self.supervisor).json(&pin)).await;
        assert!(status < 300, "approving: {answer}");
        (id, pin)
    }

    /// `POST /warnings/{id}/release` with `pin`; the status (0: no answer, as when the central
    /// dies on the way).
    pub async fn release(&self, id: &str, pin: &Value) -> u16 {
        let request = self.http.post(self.url(&format!("/warnings/{id}/release")));
        let sent = request.bearer_auth(&self.supervisor).json(pin).send().await;
        sent.map_or(0, |r| r.status().as_u16())
    }

    /// `GET /warnings/{id}/callout` as the supervisor: the warning's 叫应 board.
    pub async fn callout(&self, id: &str) -> Value {
        let request = self.http.get(self.url(&format!("/warnings/{id}/callout")));
        let (status, board) = send(request.bearer_auth(&self.supervisor)).await;
        assert_eq!(status, 200, "{board}");
        board
    }

    /// `GET /warnings/{id}/deliveries` as the supervisor (numbers whole).
    pub async fn deliveries(&self, id: &str) -> Value {
        let request = self
            .http
            .get(self.url(&format!("/warnings/{id}/deliveries")));
        let (status, list) = send(request.bearer_auth(&self.supervisor)).await;
        assert_eq!(status, 200, "{list}");
        list
    }
}
