//! One bound transceiver link (tokio TCP): requests matched to responses by sequence number
//! with a window of outstanding `submit_sm`, `enquire_link` both ways, and every `deliver_sm`
//! reported and answered once its report is committed (an SMSC forgets what it saw answered):
//! the wait runs in its own task, so the reader goes on reading `submit_sm_resp`s meanwhile.
//! When anything goes wrong the link is dead for good: waiting requests learn it at once and
//! the provider opens a new one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::time::timeout;

use super::SmppConfig;
use super::body::{ShortMessage, bind_transceiver};
use super::pdu::{
    self, BIND_TRANSCEIVER, DELIVER_SM, ENQUIRE_LINK, GENERIC_NACK, Pdu, RESP, UNBIND, frame_length,
};
use super::receipt;
use super::status;
use super::text::decode;
use crate::central::channels::ChannelReport;
use crate::central::channels::inbox::{PendingAck, Refused, ReportSender};
use crate::domain::time::SharedClock;

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// The link was already dead: nothing was written.
    NotSent,
    /// The link died after the request was (perhaps) written.
    Lost,
    /// No response within the response timeout (the link is then closed).
    Timeout,
}

/// Where reports go and what stamps them.
#[derive(Clone)]
pub struct Reports {
    /// The channel's report sender.
    pub sender: ReportSender,
    /// The clock a report's `at` comes from.
    pub clock: SharedClock,
}

struct Shared {
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    pending: Mutex<HashMap<u32, oneshot::Sender<Pdu>>>,
    sequence: AtomicU32,
    alive: AtomicBool,
    closed: watch::Sender<bool>,
}

impl Shared {
    fn kill(&self) {
        self.alive.store(false, Ordering::SeqCst);
        self.closed.send_replace(true);
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn next_sequence(&self) -> u32 {
        // 1 ..= 0x7FFFFFFF (§5.1.4); 1 went to the bind.
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        n % 0x7FFF_FFFF + 1
    }

    async fn write(&self, pdu: &Pdu) -> std::io::Result<()> {
        self.writer.lock().await.write_all(&pdu.to_bytes()).await
    }
}

/// A bound link; dropping the last handle closes it.
pub struct Link {
    shared: Arc<Shared>,
    window: Semaphore,
    response: Duration,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.shared.kill();
    }
}

impl Link {
    /// Connects and binds as a transceiver; the reason, without secrets, when it cannot.
    pub async fn open(config: &SmppConfig, reports: Reports) -> Result<Self, String> {
        let limit = Duration::from_millis(config.connect_timeout_ms);
        let stream = timeout(
            limit,
            TcpStream::connect((config.host.as_str(), config.port)),
        )
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| format!("connect: {}", e.kind()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("connect: {}", e.kind()))?;
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        let body = bind_transceiver(
            &config.system_id,
            config.password.expose(),
            &config.system_type,
        )
        .map_err(|e| format!("bind: {e}"))?;
        let bound = async {
            write
                .write_all(&Pdu::new(BIND_TRANSCEIVER, 0, 1, body).to_bytes())
                .await?;
            read_pdu(&mut read).await
        };
        let answer = timeout(limit, bound)
            .await
            .map_err(|_| "bind timed out".to_owned())?
            .map_err(|e| format!("bind: {}", e.kind()))?;
        if answer.command != BIND_TRANSCEIVER | RESP || answer.status != 0 {
            return Err(format!("bind refused: {}", status::name(answer.status)));
        }
        let (closed, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            writer: tokio::sync::Mutex::new(write),
            pending: Mutex::new(HashMap::new()),
            sequence: AtomicU32::new(1),
            alive: AtomicBool::new(true),
            closed,
        });
        tokio::spawn(read_loop(Arc::clone(&shared), read, reports));
        let response = Duration::from_millis(config.response_timeout_ms);
        let every = Duration::from_millis(config.enquire_link_ms);
        tokio::spawn(keep_alive(Arc::downgrade(&shared), every, response));
        Ok(Self {
            shared,
            window: Semaphore::new(config.window.max(1)),
            response,
        })
    }

    /// Whether the link still stands.
    pub fn is_alive(&self) -> bool {
        self.shared.alive.load(Ordering::SeqCst)
    }

    /// Sends a `submit_sm` once a window slot is free; its response (or a `generic_nack`).
    pub async fn submit(&self, body: Vec<u8>) -> Result<Pdu, LinkError> {
        let _slot = self
            .window
            .acquire()
            .await
            .map_err(|_| LinkError::NotSent)?;
        request(&self.shared, pdu::SUBMIT_SM, body, self.response).await
    }
}

/// Writes a request and waits for the response with its sequence number.
async fn request(
    shared: &Shared,
    command: u32,
    body: Vec<u8>,
    limit: Duration,
) -> Result<Pdu, LinkError> {
    let sequence = shared.next_sequence();
    let (tx, rx) = oneshot::channel();
    {
        // Checked under the lock `kill` clears: a dead link never gains a waiter.
        let mut pending = shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !shared.alive.load(Ordering::SeqCst) {
            return Err(LinkError::NotSent);
        }
        pending.insert(sequence, tx);
    }
    if shared
        .write(&Pdu::new(command, 0, sequence, body))
        .await
        .is_err()
    {
        shared.kill();
        return Err(LinkError::Lost);
    }
    match timeout(limit, rx).await {
        Ok(Ok(pdu)) => Ok(pdu),
        Ok(Err(_)) => Err(LinkError::Lost),
        Err(_) => {
            shared.kill();
            Err(LinkError::Timeout)
        }
    }
}

/// Reads one whole PDU.
async fn read_pdu(read: &mut BufReader<OwnedReadHalf>) -> std::io::Result<Pdu> {
    let mut head = [0u8; 4];
    read.read_exact(&mut head).await?;
    let invalid = |e: pdu::PduError| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let length = frame_length(&head).map_err(invalid)?.unwrap_or(4);
    let mut bytes = vec![0u8; length];
    bytes[..4].copy_from_slice(&head);
    read.read_exact(&mut bytes[4..]).await?;
    Pdu::parse(&bytes).map_err(invalid)
}

async fn read_loop(shared: Arc<Shared>, mut read: BufReader<OwnedReadHalf>, reports: Reports) {
    let mut closed = shared.closed.subscribe();
    loop {
        let pdu = tokio::select! {
            pdu = read_pdu(&mut read) => pdu,
            _ = closed.wait_for(|c| *c) => break,
        };
        let Ok(pdu) = pdu else { break };
        if !on_pdu(&shared, pdu, &reports).await {
            break;
        }
    }
    shared.kill();
    let _ = shared.writer.lock().await.shutdown().await;
}

/// Handles one PDU from the SMSC; `false` when the link must end.
async fn on_pdu(shared: &Arc<Shared>, pdu: Pdu, reports: &Reports) -> bool {
    if pdu.is_response() {
        let waiter = shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&pdu.sequence);
        if let Some(waiter) = waiter {
            let _ = waiter.send(pdu);
        }
        return true;
    }
    if pdu.command == DELIVER_SM {
        return deliver(shared, pdu, reports).await;
    }
    let (answer, goes_on) = match pdu.command {
        ENQUIRE_LINK => (0, true),
        UNBIND => (0, false),
        _ => (0x03, true), // ESME_RINVCMDID in a generic_nack
    };
    let command = if answer == 0x03 {
        GENERIC_NACK
    } else {
        pdu.command | RESP
    };
    let written = shared
        .write(&Pdu::new(command, answer, pdu.sequence, Vec::new()))
        .await
        .is_ok();
    written && goes_on
}

/// `deliver_sm_resp` statuses other than success.
const ESME_RSYSERR: u32 = 0x08;
const ESME_RTHROTTLED: u32 = 0x58;

/// Answers a `deliver_sm`: at once when its report cannot be queued (an error status: the
/// SMSC offers it again later), else from a task that waits for the report's commit.
async fn deliver(shared: &Arc<Shared>, pdu: Pdu, reports: &Reports) -> bool {
    match report(&pdu, reports) {
        Taken::Answer(status) => answer_deliver(shared, pdu.sequence, status).await,
        Taken::Pending(ack) => {
            let shared = Arc::clone(shared);
            tokio::spawn(async move {
                let status = if ack.durable().await { 0 } else { ESME_RSYSERR };
                if !answer_deliver(&shared, pdu.sequence, status).await {
                    shared.kill();
                }
            });
            true
        }
    }
}

/// Writes a `deliver_sm_resp` (an empty `message_id`); whether it was written.
async fn answer_deliver(shared: &Shared, sequence: u32, status: u32) -> bool {
    let resp = Pdu::new(DELIVER_SM | RESP, status, sequence, vec![0]);
    shared.write(&resp).await.is_ok()
}

/// What became of a `deliver_sm`'s report.
enum Taken {
    /// Answer now with this status.
    Answer(u32),
    /// Queued: answer once it is committed.
    Pending(PendingAck),
}

/// Hands a `deliver_sm` (a receipt or a reply) to the reports worker.
fn report(pdu: &Pdu, reports: &Reports) -> Taken {
    let Ok(message) = ShortMessage::parse(&pdu.body) else {
        return Taken::Answer(ESME_RSYSERR); // the SMSC keeps it and tries again
    };
    let Some(report) = to_report(&message, reports.clock.now()) else {
        tracing::warn!("SMPP receipt without an id or a stat; answered and dropped");
        return Taken::Answer(0);
    };
    match reports.sender.hand_over(report) {
        Ok(ack) => Taken::Pending(ack),
        Err(Refused::Full) => Taken::Answer(ESME_RTHROTTLED),
        Err(Refused::Closed) => {
            tracing::warn!("SMPP report refused: nobody reads the channel's reports");
            Taken::Answer(ESME_RSYSERR)
        }
    }
}

/// What a `deliver_sm` tells: a receipt when `esm_class` says so, else a person's reply.
pub fn to_report(message: &ShortMessage, at: crate::domain::Timestamp) -> Option<ChannelReport> {
    let text = decode(
        &message.short_message,
        message.esm_class,
        message.data_coding,
    );
    if receipt::is_receipt(message.esm_class) {
        let found = receipt::parse(&text, message.receipted_message_id.as_deref())?;
        return Some(ChannelReport::Receipt {
            provider_id: found.id.clone(),
            outcome: found.outcome(),
            at,
        });
    }
    Some(ChannelReport::Reply {
        channel: crate::central::channels::SMS,
        from: mobile(&message.source.addr),
        text,
        at,
        // SMPP gives a mobile-originated message no id of its own.
        message_id: None,
    })
}

/// A sender's number as the outbox writes them: 11 digits, without `+86`/`86`.
pub fn mobile(addr: &str) -> String {
    let digits = addr.trim().trim_start_matches('+');
    match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest.to_owned(),
        _ => digits.to_owned(),
    }
}

async fn keep_alive(shared: std::sync::Weak<Shared>, every: Duration, limit: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if !shared.alive.load(Ordering::SeqCst) {
            return;
        }
        if request(&shared, ENQUIRE_LINK, Vec::new(), limit)
            .await
            .is_err()
        {
            tracing::warn!("SMPP enquire_link unanswered; closing the link");
            shared.kill();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_lose_the_country_code() {
        for (addr, want) in [
            ("8613800000000", "13800000000"),
            ("+8613800000000", "13800000000"),
            ("13800000000", "13800000000"),
            ("10086", "10086"),
            ("86123", "86123"),
        ] {
            assert_eq!(mobile(addr), want);
        }
    }
}
