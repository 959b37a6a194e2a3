// The npm `smpp` 0.5.1 SMSC of tests/peers/smsc, started on 127.0.0.1 on a port of its own.
// Shared by the integration tests (`smpp::peer`) and the bench (included by path), so it has
// no inner attributes.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// One `submit_sm` as the SMSC logged it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Submit {
    /// The id it answered, if it accepted the submit.
    pub message_id: Option<String>,
    /// `86` and the 11 digits.
    pub destination: String,
    /// The short message, UDH included, as hex.
    pub short_message: String,
    /// `esm_class` as received.
    pub esm_class: u8,
    /// `accepted`, `throttled`, `refused` or `dropped`.
    pub status: String,
    /// When the SMSC answered it: Unix time in ms (the dispatch bench's clock).
    #[serde(default)]
    #[allow(dead_code)]
    pub at: f64,
}

/// A running SMSC; killed when dropped.
pub struct Smsc {
    child: Child,
    stdin: ChildStdin,
    /// Its port on 127.0.0.1.
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smsc")
}

fn missing(what: &str) -> Option<Smsc> {
    if std::env::var("WXDESK_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("the SMPP peer is required (WXDESK_REQUIRE_PEERS=1) but {what}");
    }
    eprintln!(
        "\n*** SKIP: SMPP interop not run: {what} (apt install nodejs npm; npm ci --prefix tests/peers/smsc) ***\n"
    );
    None
}

impl Smsc {
    /// Starts the SMSC with `env` (`SMSC_THROTTLE`, `SMSC_UNDELIV`, …); `None` after a loud
    /// skip when node or its packages are missing.
    pub fn start(env: &[(&str, &str)]) -> Option<Self> {
        if !peer_dir().join("node_modules/smpp/package.json").is_file() {
            return missing("tests/peers/smsc/node_modules is not installed");
        }
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("submits.jsonl");
        let spawned = Command::new("node")
            .arg(peer_dir().join("smsc.js"))
            .env("SMSC_LOG", &log)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => return missing(&format!("node cannot run ({e})")),
        };
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SMSC said {first:?}"));
        let stdin = child.stdin.take().unwrap();
        Some(Self {
            child,
            stdin,
            port,
            log,
            _dir: dir,
        })
    }

    /// The log's complete lines (the SMSC may be writing the next one).
    fn complete_lines(&self) -> String {
        let mut text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.truncate(text.rfind('\n').map_or(0, |end| end + 1));
        text
    }

    /// Every `submit_sm` received so far, in order.
    pub fn submits(&self) -> Vec<Submit> {
        self.complete_lines()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// How many `submit_sm` the SMSC accepted so far (cheaper than [`Smsc::submits`]; the
    /// dispatch bench's wait).
    #[allow(dead_code)]
    pub fn accepted(&self) -> usize {
        self.complete_lines()
            .matches("\"status\":\"accepted\"")
            .count()
    }

    /// Has the SMSC send a UCS-2 mobile-originated message from `from` to every bound session.
    pub fn send_mo(&mut self, from: &str, text: &str) {
        writeln!(self.stdin, "mo {from} {text}").unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for Smsc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
