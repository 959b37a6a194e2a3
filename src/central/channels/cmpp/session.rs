//! One logged-in CMPP connection: requests paired with their responses by `Sequence_Id`, a
//! reader task that answers the gateway's DELIVERs and `ACTIVE_TEST`s, and a keep-alive that
//! sends `ACTIVE_TEST` and closes the session when the gateway stops answering.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;

use super::CmppConfig;
use super::auth::{authenticator_source, connect_timestamp};
use super::pdu::{Body, Connect, Deliver, MsgResult, Pdu, VERSION};
use super::pending::Pending;
use super::reports::report_of;
use super::status::connect_refusal;
use super::wire::{HEADER_LEN, Header, WireError};
use crate::central::channels::inbox::{Refused, ReportSender};
use crate::domain::time::SharedClock;

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// The session was already closed: nothing was written.
    NotSent,
    /// It was written (or may have been) and then the link dropped or the wait timed out.
    AfterSend(String),
}

/// A logged-in session.
pub struct Session {
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    pending: Mutex<Pending>,
    next_sequence: AtomicU32,
    closed: watch::Sender<bool>,
    response_timeout: Duration,
}

/// What the reader task needs besides the session.
struct ReaderContext {
    reports: ReportSender,
    clock: SharedClock,
}

/// Reads one PDU; `Ok(None)` at a clean end of stream.
pub async fn read_pdu(
    read: &mut (impl tokio::io::AsyncRead + Unpin),
) -> std::io::Result<Option<Pdu>> {
    let mut head = [0u8; HEADER_LEN];
    match read.read_exact(&mut head).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let header = Header::parse(&head).map_err(invalid)?;
    let mut body = vec![0u8; header.total_length as usize - HEADER_LEN];
    read.read_exact(&mut body).await?;
    Pdu::decode(header, &body).map(Some).map_err(invalid)
}

fn invalid(error: WireError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, error)
}

/// Connects and logs in; the error is the reason to retry later (never the secret).
pub async fn connect(
    config: &CmppConfig,
    clock: SharedClock,
    reports: ReportSender,
) -> Result<Arc<Session>, String> {
    let address = format!("{}:{}", config.host, config.port);
    let connect_timeout = Duration::from_millis(config.connect_timeout_ms);
    let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(&address))
        .await
        .map_err(|_| format!("cannot connect to the CMPP gateway {address}: timed out"))?
        .map_err(|e| format!("cannot connect to the CMPP gateway {address}: {}", e.kind()))?;
    let _ = stream.set_nodelay(true);
    let (mut read, mut write) = stream.into_split();
    let (text, number) = connect_timestamp(clock.now());
    let login = Pdu {
        sequence_id: 1,
        body: Body::Connect(Connect {
            source_addr: config.source_addr.clone(),
            authenticator: authenticator_source(
                &config.source_addr,
                config.shared_secret.expose(),
                &text,
            ),
            version: VERSION,
            timestamp: number,
        }),
    };
    let lost = |what: &str| format!("CMPP login to {address} failed: {what}");
    write
        .write_all(&login.encode())
        .await
        .map_err(|e| lost(&e.kind().to_string()))?;
    let answer = tokio::time::timeout(connect_timeout, read_pdu(&mut read))
        .await
        .map_err(|_| lost("no CONNECT_RESP in time"))?
        .map_err(|e| lost(&e.kind().to_string()))?;
    match answer.map(|pdu| pdu.body) {
        Some(Body::ConnectResp(resp)) => {
            if let Some(refusal) = connect_refusal(resp.status) {
                return Err(refusal);
            }
        }
        Some(_) => {
            return Err(lost(
                "the gateway answered something other than CONNECT_RESP",
            ));
        }
        None => return Err(lost("the gateway closed the connection")),
    }
    let session = Arc::new(Session {
        writer: tokio::sync::Mutex::new(write),
        pending: Mutex::new(Pending::default()),
        next_sequence: AtomicU32::new(2),
        closed: watch::channel(false).0,
        response_timeout: Duration::from_millis(config.response_timeout_ms),
    });
    let context = ReaderContext { reports, clock };
    tokio::spawn(reader(
        Arc::downgrade(&session),
        session.closed.subscribe(),
        read,
        context,
    ));
    let interval = Duration::from_secs(config.active_test_interval_s.max(1));
    tokio::spawn(keep_alive(Arc::downgrade(&session), interval));
    Ok(session)
}

impl Session {
    /// Whether the link is gone (a new session is needed).
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Closes the session: pending requests end as lost, the reader stops.
    pub fn close(&self) {
        self.pending().close();
        self.closed.send_replace(true);
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sequence(&self) -> u32 {
        loop {
            let n = self.next_sequence.fetch_add(1, Ordering::Relaxed);
            if n != 0 {
                return n;
            }
        }
    }

    /// Writes one PDU without waiting for anything.
    async fn write(&self, pdu: &Pdu) -> std::io::Result<()> {
        self.writer.lock().await.write_all(&pdu.encode()).await
    }

    /// Sends `body` and waits for its response.
    pub async fn request(&self, body: Body) -> Result<Body, Lost> {
        let sequence_id = self.sequence();
        // Closed is checked under the lock `close` takes: a closed link never gains a waiter.
        let Some(rx) = self.pending().register(sequence_id) else {
            return Err(Lost::NotSent);
        };
        if let Err(e) = self.write(&Pdu { sequence_id, body }).await {
            self.close();
            return Err(Lost::AfterSend(format!(
                "CMPP link lost while sending: {}",
                e.kind()
            )));
        }
        match tokio::time::timeout(self.response_timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(Lost::AfterSend("CMPP link lost before the response".into())),
            Err(_) => {
                // The gateway's state is unclear: start over on a new link.
                self.close();
                Err(Lost::AfterSend("no CMPP response in time".into()))
            }
        }
    }

    fn complete(&self, pdu: Pdu) {
        let waiting = self.pending().take(pdu.sequence_id);
        if let Some(tx) = waiting {
            let _ = tx.send(pdu.body);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Stops the reader task of a session nobody holds any more.
        self.closed.send_replace(true);
    }
}

async fn reader(
    session: Weak<Session>,
    mut closed: watch::Receiver<bool>,
    mut read: OwnedReadHalf,
    context: ReaderContext,
) {
    loop {
        let next = tokio::select! {
            next = read_pdu(&mut read) => next,
            _ = closed.wait_for(|c| *c) => break,
        };
        let Some(session) = session.upgrade() else {
            break;
        };
        match next {
            Ok(Some(pdu)) => {
                if handle(&session, pdu, &context).await.is_err() {
                    session.close();
                    break;
                }
            }
            Ok(None) | Err(_) => {
                tracing::warn!("CMPP link to the gateway lost");
                session.close();
                break;
            }
        }
    }
}

/// One PDU from the gateway: a response, or a request the client answers.
async fn handle(session: &Arc<Session>, pdu: Pdu, context: &ReaderContext) -> std::io::Result<()> {
    let sequence_id = pdu.sequence_id;
    let answer = match pdu.body {
        Body::Deliver(deliver) => return on_deliver(session, sequence_id, &deliver, context).await,
        Body::ActiveTest => Body::ActiveTestResp,
        Body::Terminate => {
            // Closed before the answer: once the gateway hears it, no submit uses this link.
            session.close();
            session
                .write(&Pdu {
                    sequence_id,
                    body: Body::TerminateResp,
                })
                .await?;
            return Err(std::io::ErrorKind::ConnectionAborted.into());
        }
        _ => {
            session.complete(pdu);
            return Ok(());
        }
    };
    session
        .write(&Pdu {
            sequence_id,
            body: answer,
        })
        .await
}

/// `CMPP_DELIVER_RESP` results other than success (CMPP 2.0 §7.4.3.2).
const FLOW_CONTROL: u8 = 8;
const OTHER_ERROR: u8 = 9;

/// Answers a DELIVER once its report is committed (from a task, so the reader goes on):
/// the gateway forgets what it saw answered. A full queue is answered "flow control" at once
/// and a report not applied "other error": either way the gateway sends it again later.
async fn on_deliver(
    session: &Arc<Session>,
    sequence_id: u32,
    deliver: &Deliver,
    context: &ReaderContext,
) -> std::io::Result<()> {
    let msg_id = deliver.msg_id;
    let answer = move |result| Pdu {
        sequence_id,
        body: Body::DeliverResp(MsgResult { msg_id, result }),
    };
    let Some(report) = report_of(deliver, context.clock.now()) else {
        return session.write(&answer(0)).await;
    };
    let ack = match context.reports.hand_over(report) {
        Ok(ack) => ack,
        Err(Refused::Full) => return session.write(&answer(FLOW_CONTROL)).await,
        Err(Refused::Closed) => return session.write(&answer(OTHER_ERROR)).await,
    };
    let session = Arc::clone(session);
    tokio::spawn(async move {
        let result = if ack.durable().await { 0 } else { OTHER_ERROR };
        if session.write(&answer(result)).await.is_err() {
            session.close();
        }
    });
    Ok(())
}

async fn keep_alive(session: Weak<Session>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        let Some(session) = session.upgrade() else {
            return;
        };
        if session.is_closed() {
            return;
        }
        if session.request(Body::ActiveTest).await.is_err() {
            tracing::warn!("CMPP gateway did not answer ACTIVE_TEST; closing the link");
            session.close();
            return;
        }
    }
}
