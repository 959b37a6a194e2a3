// Debian's Mosquitto (/usr/sbin/mosquitto), started by a test on 127.0.0.1 on a port of its
// own with the central's generated password and ACL files and persistence in a temporary
// folder; stopped with SIGTERM (so it saves its sessions) and started again on the same port.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where Debian installs the broker.
pub const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// The longest a broker may take to start or stop before the test fails.
const GUARD: Duration = Duration::from_secs(20);

/// How many `QoS` 1 messages the broker holds for a client: queued while it is away or slow,
/// and sent without an acknowledgement yet (in flight).
#[derive(Debug, Clone, Copy)]
pub struct Queues {
    /// `max_queued_messages`: beyond it the broker drops what a slow subscriber cannot take.
    pub queued: usize,
    /// `max_inflight_messages` (Mosquitto's default is 20).
    pub inflight: usize,
}

impl Default for Queues {
    /// The tests': 10 000 queued, Mosquitto's 20 in flight.
    fn default() -> Self {
        Self {
            queued: 10_000,
            inflight: 20,
        }
    }
}

/// A running Mosquitto; killed when dropped.
pub struct Mosquitto {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    conf: PathBuf,
    log: PathBuf,
}

/// `None` after a loud skip; a panic when peers are required.
fn missing(what: &str) -> Option<Mosquitto> {
    if std::env::var("WXDESK_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("Mosquitto is required (WXDESK_REQUIRE_PEERS=1) but {what}");
    }
    eprintln!("\n*** SKIP: MQTT interop not run: {what} (apt install mosquitto) ***\n");
    None
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Mosquitto {
    /// Starts a broker in `dir` with `passwords` and `acl`; `None` after a loud skip when
    /// Mosquitto is not installed.
    pub fn start(dir: &Path, passwords: &Path, acl: &Path) -> Option<Self> {
        Self::start_with(dir, passwords, acl, Queues::default())
    }

    /// [`Mosquitto::start`] with `queues` instead of the tests' (benchmarks size them).
    pub fn start_with(dir: &Path, passwords: &Path, acl: &Path, queues: Queues) -> Option<Self> {
        if !Path::new(MOSQUITTO).is_file() {
            return missing(&format!("{MOSQUITTO} is not installed"));
        }
        let port = free_port();
        let conf = dir.join("mosquitto.conf");
        let text = format!(
            "listener {port} 127.0.0.1\n\
             allow_anonymous false\n\
             password_file {passwords}\n\
             acl_file {acl}\n\
             persistence true\n\
             persistence_location {dir}/\n\
             autosave_interval 0\n\
             max_queued_messages {queued}\n\
             max_inflight_messages {inflight}\n\
             log_dest stderr\n\
             log_type error\nlog_type warning\nlog_type notice\nlog_type information\n\
             connection_messages true\n\
             {user}",
            passwords = passwords.display(),
            acl = acl.display(),
            dir = dir.display(),
            queued = queues.queued,
            inflight = queues.inflight,
            // As root it would switch to `mosquitto`, who cannot read the test's folder.
            user = if running_as_root() { "user root\n" } else { "" },
        );
        std::fs::write(&conf, text).unwrap();
        let mut broker = Self {
            child: None,
            port,
            conf,
            log: dir.join("mosquitto.log"),
        };
        broker.run();
        Some(broker)
    }

    /// Starts the process and waits for its "running" line.
    fn run(&mut self) {
        let mut child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (lines_tx, lines) = mpsc::channel();
        let log = self.log.clone();
        // Copies the broker's log to a file (for a failing test's reader) and tells of each line.
        let copier = std::thread::Builder::new().name("mosquitto-log".into());
        copier
            .spawn(move || {
                use std::io::Write as _;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .unwrap();
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let _ = writeln!(file, "{line}");
                    let _ = lines_tx.send(line);
                }
            })
            .unwrap();
        loop {
            let line = lines
                .recv_timeout(GUARD)
                .unwrap_or_else(|_| panic!("Mosquitto did not start: {}", self.log_text()));
            if line.contains(" running") {
                break;
            }
            assert!(
                !line.contains("Error"),
                "Mosquitto: {line}\n{}",
                self.log_text()
            );
        }
        self.child = Some(child);
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops it with SIGTERM, as `systemctl stop` does: it saves its sessions and queued
    /// messages first.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exited = child.wait().unwrap();
        assert!(exited.success(), "Mosquitto exited with {exited}");
    }

    /// Starts it again on the same port with the same persistence.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
