//! One registered DTU's connection: requests to the boards behind it one at a time, answers
//! read past heartbeats, heartbeats answered when configured, and the watch for silence.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::DtuConfig;
use crate::central::devices::modbus::frame::{
    RtuScan, encode_rtu, partial_heartbeat, scan_rtu_response, skip_heartbeats,
};
use crate::central::devices::modbus::pdu::{Request, Response, decode_response};
use crate::central::devices::modbus::{DtuDownReason, LinkFailure};
use crate::domain::devices::DeviceId;

/// A request waiting for its turn on the bus.
#[derive(Debug)]
pub(super) struct Call {
    pub unit: u8,
    pub request: Request,
    pub reply: oneshot::Sender<Result<Response, LinkFailure>>,
}

/// The connection of a registered DTU.
pub(super) struct Session {
    dtu: DeviceId,
    stream: TcpStream,
    buffer: Vec<u8>,
    config: Arc<DtuConfig>,
    heard: Instant,
}

/// How reading from the DTU went.
enum Read {
    Bytes,
    Closed,
}

impl Session {
    pub fn new(
        dtu: DeviceId,
        stream: TcpStream,
        leftover: Vec<u8>,
        config: Arc<DtuConfig>,
    ) -> Self {
        _ = stream.set_nodelay(true);
        Self {
            dtu,
            stream,
            buffer: leftover,
            config,
            heard: Instant::now(),
        }
    }

    /// Serves calls until the DTU goes down (`Some(why)`) or another connection of the same
    /// DTU replaces this one (`None`).
    pub async fn run(
        mut self,
        mut calls: mpsc::Receiver<Call>,
        mut replaced: oneshot::Receiver<()>,
    ) -> Option<DtuDownReason> {
        let silence = self.config.silence_limit();
        loop {
            if self.idle_bytes().await.is_err() {
                return Some(DtuDownReason::Closed);
            }
            let silent_until = self.heard + silence;
            tokio::select! {
                _ = &mut replaced => return None,
                call = calls.recv() => {
                    let call = call?;
                    let answer = self.exchange(call.unit, &call.request).await;
                    let broken = matches!(answer, Err(LinkFailure::Closed | LinkFailure::Io(_)));
                    // The board is not at fault when its DTU goes: say whose fault it is.
                    let answer = if broken { Err(LinkFailure::DtuDown(self.dtu.clone())) } else { answer };
                    _ = call.reply.send(answer);
                    if broken {
                        return Some(DtuDownReason::Closed);
                    }
                }
                read = self.read_more() => {
                    if !matches!(read, Ok(Read::Bytes)) {
                        return Some(DtuDownReason::Closed);
                    }
                }
                () = tokio::time::sleep_until(silent_until) => {
                    return Some(DtuDownReason::HeartbeatLost);
                }
            }
        }
    }

    async fn read_more(&mut self) -> Result<Read, LinkFailure> {
        let mut chunk = [0; 512];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| io_failure(&e))?;
        if n == 0 {
            return Ok(Read::Closed);
        }
        self.heard = Instant::now();
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(Read::Bytes)
    }

    /// Skips the heartbeats at the front of the buffer, answering each if configured.
    async fn heartbeats(&mut self) -> Result<(), LinkFailure> {
        let beats = skip_heartbeats(&mut self.buffer, &self.config.heartbeat.0);
        let reply = &self.config.heartbeat_reply.0;
        if !reply.is_empty() {
            for _ in 0..beats {
                self.stream
                    .write_all(reply)
                    .await
                    .map_err(|e| io_failure(&e))?;
            }
        }
        Ok(())
    }

    /// Deals with what arrived while no request was outstanding: heartbeats, and stray bytes
    /// (a late answer to a request that timed out), which are dropped.
    async fn idle_bytes(&mut self) -> Result<(), LinkFailure> {
        self.heartbeats().await?;
        if !self.buffer.is_empty() && !partial_heartbeat(&self.buffer, &self.config.heartbeat.0) {
            tracing::debug!(dtu = %self.dtu, bytes = self.buffer.len(), "dropped stray bytes");
            self.buffer.clear();
        }
        Ok(())
    }

    async fn exchange(&mut self, unit: u8, request: &Request) -> Result<Response, LinkFailure> {
        self.idle_bytes().await?;
        let frame = encode_rtu(unit, &request.encode());
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| io_failure(&e))?;
        let limit = Duration::from_millis(self.config.response_timeout_ms);
        let deadline = Instant::now() + limit;
        loop {
            self.heartbeats().await?;
            let pending = partial_heartbeat(&self.buffer, &self.config.heartbeat.0);
            match scan_rtu_response(&self.buffer, unit) {
                RtuScan::Frame { pdu, len } => {
                    self.buffer.drain(..len);
                    return decode_response(request, &pdu).map_err(Into::into);
                }
                RtuScan::Garbled(why) if !pending => {
                    self.buffer.clear();
                    return Err(LinkFailure::Garbled(why.to_owned()));
                }
                RtuScan::Garbled(_) | RtuScan::Incomplete => {}
            }
            match tokio::time::timeout_at(deadline, self.read_more()).await {
                Ok(Ok(Read::Bytes)) => {}
                Ok(Ok(Read::Closed)) => return Err(LinkFailure::Closed),
                Ok(Err(failure)) => return Err(failure),
                Err(_) => {
                    let ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
                    return Err(LinkFailure::Timeout(ms));
                }
            }
        }
    }
}

fn io_failure(error: &std::io::Error) -> LinkFailure {
    LinkFailure::Io(error.to_string())
}
