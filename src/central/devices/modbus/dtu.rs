//! The listener 4G DTUs dial into. A DTU connects, sends its registration packet (its device
//! id, framed as its installer configured it), then heartbeats; between them it passes RTU
//! frames to and from the boards on its RS-485 bus. A DTU the registry lacks is refused; a
//! second connection of the same DTU replaces the first; one that closes or falls silent for
//! `missed_heartbeats` intervals is down, once, with every board behind it.
//!
//! Registration packets supported (USR and 四信 DTUs let the installer set both):
//! `registration_prefix` + the DTU's device id in ASCII + `registration_suffix`. With an
//! empty suffix the id ends at the first byte that cannot be in a device id, or at the end of
//! the first packet; an empty prefix and suffix is the "raw id bytes" setting. Heartbeats are a
//! fixed packet (`heartbeat`), answered with `heartbeat_reply` when that is set. Packets are
//! written in config as text: `hex:FE01` for bytes, anything else as its ASCII.

mod session;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::pdu::{Request, Response};
use super::{LinkFailure, ModbusEvent, Outputs};
use crate::central::devices::Registry;
use crate::domain::devices::{DeviceId, DeviceKind, Transport};
use session::{Call, Session};

/// Bytes configured as text: `hex:` and hex digits, or ASCII.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Packet(pub Vec<u8>);

/// Why a configured packet cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("packet {0:?} is neither hex:<hex digits> nor ASCII")]
pub struct InvalidPacket(pub String);

impl TryFrom<String> for Packet {
    type Error = InvalidPacket;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        match text.strip_prefix("hex:") {
            Some(digits) => decode_hex(digits).map(Self).ok_or(InvalidPacket(text)),
            None if text.is_ascii() => Ok(Self(text.into_bytes())),
            None => Err(InvalidPacket(text)),
        }
    }
}

fn decode_hex(digits: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = digits
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

impl From<Packet> for String {
    fn from(packet: Packet) -> Self {
        let printable = packet.0.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
        if printable && !packet.0.starts_with(b"hex:") {
            return String::from_utf8_lossy(&packet.0).into_owned();
        }
        let hex: String = packet.0.iter().map(|b| format!("{b:02X}")).collect();
        format!("hex:{hex}")
    }
}

/// How DTUs are heard (central.toml's `[dtu]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DtuConfig {
    /// Bytes before the id in the registration packet.
    pub registration_prefix: Packet,
    /// Bytes after the id (empty: see the module's doc).
    pub registration_suffix: Packet,
    /// The heartbeat packet.
    pub heartbeat: Packet,
    /// What to answer a heartbeat with (empty: not answered).
    pub heartbeat_reply: Packet,
    /// How often a DTU heartbeats, ms.
    pub heartbeat_interval_ms: u64,
    /// Intervals without a byte after which a DTU is down.
    pub missed_heartbeats: u32,
    /// How long a DTU has to register after connecting, ms.
    pub registration_timeout_ms: u64,
    /// How long a board behind a DTU has to answer, ms (the 4G round trip included).
    pub response_timeout_ms: u64,
}

impl Default for DtuConfig {
    fn default() -> Self {
        Self {
            registration_prefix: Packet::default(),
            registration_suffix: Packet::default(),
            heartbeat: Packet(b"HB".to_vec()),
            heartbeat_reply: Packet::default(),
            heartbeat_interval_ms: 30_000,
            missed_heartbeats: 3,
            registration_timeout_ms: 10_000,
            response_timeout_ms: 3_000,
        }
    }
}

impl DtuConfig {
    /// How long a DTU may be silent before it is down.
    pub fn silence_limit(&self) -> Duration {
        Duration::from_millis(
            self.heartbeat_interval_ms
                .saturating_mul(u64::from(self.missed_heartbeats.max(1))),
        )
    }
}

/// What the front of a new connection's bytes says about who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// More bytes needed.
    Incomplete,
    /// A well-formed registration of `id`, `len` bytes long.
    Id {
        /// The id it claims.
        id: DeviceId,
        /// Bytes the packet took.
        len: usize,
    },
    /// Not a registration packet, with what it claimed as text.
    Invalid(String),
}

/// Reads a registration packet at the front of `bytes` (as much as has arrived).
pub fn parse_registration(bytes: &[u8], prefix: &[u8], suffix: &[u8]) -> Registration {
    if bytes.len() < prefix.len() {
        return if prefix.starts_with(bytes) {
            Registration::Incomplete
        } else {
            Registration::Invalid(claimed(bytes))
        };
    }
    let Some(rest) = bytes.strip_prefix(prefix) else {
        return Registration::Invalid(claimed(bytes));
    };
    let id_len = if suffix.is_empty() {
        rest.iter().take_while(|&&b| is_id_byte(b)).count()
    } else {
        match rest.windows(suffix.len()).position(|w| w == suffix) {
            Some(at) => at,
            None if rest.len() > 32 + suffix.len() => return Registration::Invalid(claimed(rest)),
            None => return Registration::Incomplete,
        }
    };
    if suffix.is_empty() && rest.is_empty() {
        return Registration::Incomplete;
    }
    let text = String::from_utf8_lossy(&rest[..id_len]);
    match DeviceId::parse(&text) {
        Ok(id) => Registration::Id {
            id,
            len: prefix.len() + id_len + suffix.len(),
        },
        Err(_) => Registration::Invalid(claimed(rest)),
    }
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// What a refused connection claimed, as printable text of bounded length for the log.
fn claimed(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(48)]);
    text.escape_debug().to_string()
}

/// The DTUs connected now, and the way to a board behind one.
#[derive(Debug, Clone, Default)]
pub struct DtuHub {
    sessions: Arc<Mutex<HashMap<DeviceId, SessionHandle>>>,
}

#[derive(Debug)]
struct SessionHandle {
    generation: u64,
    calls: mpsc::Sender<Call>,
    /// Dropped when the session is replaced: its task sees the other end close and ends.
    _replaced: oneshot::Sender<()>,
}

impl DtuHub {
    /// Sends `request` to `unit` on the bus behind `dtu`, after the requests queued before
    /// it (one outstanding request per DTU).
    pub async fn call(
        &self,
        dtu: &DeviceId,
        unit: u8,
        request: Request,
    ) -> Result<Response, LinkFailure> {
        let down = || LinkFailure::DtuDown(dtu.clone());
        let calls = self
            .lock()
            .get(dtu)
            .map(|s| s.calls.clone())
            .ok_or_else(down)?;
        let (reply, answer) = oneshot::channel();
        let call = Call {
            unit,
            request,
            reply,
        };
        calls.send(call).await.map_err(|_| down())?;
        // A session that ends with the call queued drops it: the DTU went down.
        answer.await.unwrap_or_else(|_| Err(down()))
    }

    /// Whether `dtu` is connected.
    pub fn is_connected(&self, dtu: &DeviceId) -> bool {
        self.lock().contains_key(dtu)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DeviceId, SessionHandle>> {
        // The map stays whole if a holder panicked: every change is a single insert/remove.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `dtu`'s session the current one; `true` if it replaced another.
    fn install(&self, dtu: &DeviceId, handle: SessionHandle) -> bool {
        self.lock().insert(dtu.clone(), handle).is_some()
    }

    /// Forgets `dtu`'s session `generation`, unless a newer one replaced it; `true` if it was
    /// still the current one.
    fn remove(&self, dtu: &DeviceId, generation: u64) -> bool {
        let mut sessions = self.lock();
        let current = sessions
            .get(dtu)
            .is_some_and(|s| s.generation == generation);
        if current {
            sessions.remove(dtu);
        }
        current
    }
}

/// Accepts DTUs on `listener` until the future is dropped (which ends their sessions).
pub async fn run_dtu_listener(
    listener: TcpListener,
    registry: Registry,
    hub: DtuHub,
    config: Arc<DtuConfig>,
    outputs: Outputs,
) {
    let mut connections = JoinSet::new();
    let mut generation = 0_u64;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // A connection aborted before it was taken, or out of descriptors for
                        // a moment: the listener itself is fine.
                        tracing::warn!(%error, "a DTU connection could not be accepted");
                        continue;
                    }
                };
                generation += 1;
                let dialled = Dialled {
                    registry: registry.clone(),
                    hub: hub.clone(),
                    config: Arc::clone(&config),
                    outputs: outputs.clone(),
                    generation,
                };
                connections.spawn(dialled.serve(stream, peer));
            }
            Some(_) = connections.join_next() => {}
        }
    }
}

/// One connection, until it ends.
struct Dialled {
    registry: Registry,
    hub: DtuHub,
    config: Arc<DtuConfig>,
    outputs: Outputs,
    generation: u64,
}

impl Dialled {
    async fn serve(self, mut stream: TcpStream, peer: SocketAddr) {
        let limit = Duration::from_millis(self.config.registration_timeout_ms);
        let registered = tokio::time::timeout(limit, self.register(&mut stream)).await;
        let (id, leftover) = match registered {
            Ok(Ok(registration)) => registration,
            Ok(Err(claimed)) => return self.refuse(claimed, peer).await,
            Err(_) => {
                return self
                    .refuse("(nothing within the registration timeout)".into(), peer)
                    .await;
            }
        };
        if !self.is_registered_dtu(&id) {
            return self.refuse(id.to_string(), peer).await;
        }
        let (calls, queue) = mpsc::channel(16);
        let (replaced_tx, replaced) = oneshot::channel();
        let handle = SessionHandle {
            generation: self.generation,
            calls,
            _replaced: replaced_tx,
        };
        let replaced_other = self.hub.install(&id, handle);
        tracing::info!(dtu = %id, %peer, replaced = replaced_other, "DTU registered");
        let at = self.outputs.clock.now();
        let up = ModbusEvent::DtuUp {
            dtu: id.clone(),
            peer: peer.to_string(),
            at,
            replaced: replaced_other,
        };
        self.outputs.tell(up).await;
        let session = Session::new(id.clone(), stream, leftover, Arc::clone(&self.config));
        let end = session.run(queue, replaced).await;
        if let Some(reason) = end
            && self.hub.remove(&id, self.generation)
        {
            self.tell_down(id, reason).await;
        }
    }

    /// Reads the registration packet: the id and the bytes after it, or what was claimed.
    async fn register(&self, stream: &mut TcpStream) -> Result<(DeviceId, Vec<u8>), String> {
        let prefix = &self.config.registration_prefix.0;
        let suffix = &self.config.registration_suffix.0;
        let mut bytes = Vec::new();
        loop {
            let mut chunk = [0; 256];
            let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(format!("{} (closed before registering)", claimed(&bytes)));
            }
            bytes.extend_from_slice(&chunk[..n]);
            match parse_registration(&bytes, prefix, suffix) {
                Registration::Incomplete => {}
                Registration::Id { id, len } => return Ok((id, bytes.split_off(len))),
                Registration::Invalid(claimed) => return Err(claimed),
            }
        }
    }

    fn is_registered_dtu(&self, id: &DeviceId) -> bool {
        let devices = self.registry.borrow();
        devices
            .iter()
            .any(|d| &d.id == id && d.kind == DeviceKind::Dtu)
    }

    async fn refuse(&self, claimed: String, peer: SocketAddr) {
        tracing::warn!(%peer, claimed = %claimed, "refused a DTU the registry does not know");
        let at = self.outputs.clock.now();
        let peer = peer.to_string();
        let event = ModbusEvent::DtuRefused { claimed, peer, at };
        self.outputs.tell(event).await;
    }

    async fn tell_down(&self, dtu: DeviceId, reason: super::DtuDownReason) {
        let boards = boards_behind(&self.registry, &dtu);
        tracing::warn!(%dtu, ?reason, boards = boards.len(), "DTU down");
        let at = self.outputs.clock.now();
        let event = ModbusEvent::DtuDown {
            dtu,
            at,
            reason,
            boards,
        };
        self.outputs.tell(event).await;
    }
}

/// The registered boards behind `dtu`.
pub fn boards_behind(registry: &Registry, dtu: &DeviceId) -> Vec<DeviceId> {
    let devices = registry.borrow();
    devices
        .iter()
        .filter(|d| d.transport == Transport::ModbusDtu && d.dtu.as_ref() == Some(dtu))
        .map(|d| d.id.clone())
        .collect()
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from(self.clone()))
    }
}

#[cfg(test)]
mod tests;
