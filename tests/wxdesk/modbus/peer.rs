// The pymodbus peers of tests/peers/modbus (a pinned pymodbus in its own virtual
// environment): a Modbus TCP board (`server.py`), a test 4G DTU (`dtu.py`) with an RTU bus
// behind it, and a plain pymodbus client (`client.py`) for independent checks.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a peer may take to say what a test waits for: a guard, not a pace.
const GUARD: Duration = Duration::from_secs(30);

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modbus")
}

fn python() -> PathBuf {
    peer_dir().join(".venv/bin/python")
}

/// Whether the peers can run; a loud skip (or a panic under `WXDESK_REQUIRE_PEERS=1`) if not.
pub fn available() -> bool {
    if python().is_file() {
        return true;
    }
    let what = "tests/peers/modbus/.venv is missing";
    if std::env::var("WXDESK_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("the Modbus peers are required (WXDESK_REQUIRE_PEERS=1) but {what}");
    }
    eprintln!(
        "\n*** SKIP: Modbus interop not run: {what} (python3 -m venv tests/peers/modbus/.venv && tests/peers/modbus/.venv/bin/pip install -r tests/peers/modbus/requirements.txt) ***\n"
    );
    false
}

fn spawn(script: &str, args: &[String]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(python())
        .arg(peer_dir().join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("{script} stdout"))
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    (child, received)
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A Modbus TCP board; killed when dropped.
pub struct Board {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Board {
    /// Serves the units of `config` (server.py's JSON) on `port` (0: any).
    pub fn start(config: &serde_json::Value, port: u16) -> Self {
        Self::start_with(config, port, &[])
    }

    /// Like [`Board::start`], a board that dies the moment a coil is written, before it
    /// answers (power lost as it switches).
    pub fn start_dying_on_write(config: &serde_json::Value, port: u16) -> Self {
        Self::start_with(config, port, &["--exit-on-write"])
    }

    fn start_with(config: &serde_json::Value, port: u16, flags: &[&str]) -> Self {
        let mut args = vec![
            "--port".into(),
            port.to_string(),
            "--config".into(),
            config.to_string(),
        ];
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let (child, lines) = spawn("server.py", &args);
        let first = lines
            .recv_timeout(GUARD)
            .expect("server.py printed no port");
        let port = first
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("server.py said {first:?}"));
        Self { child, port }
    }

    /// Kills it, as a power cut would.
    pub fn kill(mut self) -> u16 {
        stop(&mut self.child);
        self.port
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A test DTU; killed when dropped.
pub struct Dtu {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every event it printed so far, in order.
    pub seen: Vec<serde_json::Value>,
}

impl Dtu {
    /// Dials the central's DTU port with dtu.py's `args` (see its doc).
    pub fn start(args: &[String]) -> Self {
        let (child, lines) = spawn("dtu.py", args);
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for its next event named `event`, keeping every event on the way in `seen`.
    pub fn until(&mut self, event: &str) -> serde_json::Value {
        loop {
            let line = self.lines.recv_timeout(GUARD).unwrap_or_else(|_| {
                panic!("the DTU never said {event:?}; it said {:?}", self.seen)
            });
            let said: serde_json::Value = serde_json::from_str(&line).unwrap();
            self.seen.push(said.clone());
            if said["event"] == event {
                return said;
            }
        }
    }

    /// Kills it, as a DTU losing power would.
    pub fn kill(&mut self) {
        stop(&mut self.child);
    }
}

impl Drop for Dtu {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// `count` coils of `unit` from wire address `first`, as a plain pymodbus client reads them.
pub fn read_coils(port: u16, unit: u8, first: u16, count: u16) -> Vec<bool> {
    let output = Command::new(python())
        .arg(peer_dir().join("client.py"))
        .args(["--port", &port.to_string(), "--unit", &unit.to_string()])
        .args(["--coils", &first.to_string(), &count.to_string()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "client.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
