//! A CMPP 2.0 gateway (ISMG) for the tests, written from the spec with its own byte handling
//! (nothing from the client's codec): it checks CONNECT's authenticator, answers SUBMITs with
//! spec-shaped `Msg_Ids`, can answer scripted results (8 = flow control) or flow control above
//! N submits in one second, can drop the link on the Nth submit without answering, sends
//! status reports and MO messages on request (again at the next login until one is answered
//! with result 0), and records everything it got.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use md5::{Digest as _, Md5};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

const CONNECT: u32 = 1;
const TERMINATE: u32 = 2;
const SUBMIT: u32 = 4;
const DELIVER: u32 = 5;
const ACTIVE_TEST: u32 = 8;
const RESP: u32 = 0x8000_0000;

/// How the gateway behaves.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// The SP id it knows.
    pub sp_id: String,
    /// The secret it shares with that SP.
    pub secret: String,
    /// A result other than 0 for the Nth submit received (1-based, over all links).
    pub results: HashMap<usize, u8>,
    /// Above this many submits in one wall-clock second, answer 8 (flow control).
    pub per_second: Option<usize>,
    /// On the Nth submit, close the link without answering it.
    pub drop_on: Option<usize>,
    /// Never answer the Nth submit (the link stays up).
    pub silent_on: Option<usize>,
}

/// One SUBMIT as the gateway read it.
#[derive(Debug, Clone)]
pub struct Received {
    pub pk_total: u8,
    pub pk_number: u8,
    pub registered_delivery: u8,
    pub tp_udhi: u8,
    pub msg_fmt: u8,
    pub service_id: String,
    pub msg_src: String,
    pub src_id: String,
    pub dest: Vec<String>,
    pub content: Vec<u8>,
    /// The `Msg_Id` it answered, if it answered with success.
    pub msg_id: Option<u64>,
}

#[derive(Default)]
struct Log {
    submits: Vec<Received>,
    /// (`Source_Addr`, status answered)
    logins: Vec<(String, u8)>,
    active_tests: usize,
    active_test_resps: usize,
    terminate_resps: usize,
    deliver_resps: Vec<(u64, u8)>,
    /// DELIVERs not yet answered with result 0, by sequence: sent again at the next login, as
    /// a real gateway does (it forgets a report only once it is taken).
    unanswered: BTreeMap<u32, Vec<u8>>,
    second: (u64, usize),
    next_seq: u32,
}

struct State {
    script: Script,
    log: Mutex<Log>,
    changed: Notify,
    link: Mutex<Option<mpsc::UnboundedSender<Vec<u8>>>>,
}

/// A running gateway on 127.0.0.1.
pub struct Gateway {
    pub addr: SocketAddr,
    state: Arc<State>,
}

fn pdu(command: u32, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut out = ((12 + body.len()) as u32).to_be_bytes().to_vec();
    out.extend(command.to_be_bytes());
    out.extend(seq.to_be_bytes());
    out.extend(body);
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches('\0')
        .to_owned()
}

fn padded(value: &str, width: usize) -> Vec<u8> {
    let mut out = value.as_bytes().to_vec();
    out.resize(width, 0);
    out
}

/// A `Msg_Id` as the spec lays it out: month 4, day 5, hour 5, minute 6, second 6 bits, the
/// gateway's code 22 bits, a sequence 16 bits.
fn msg_id(seq: u32) -> u64 {
    let (month, day, hour, minute, second, gateway) = (6u64, 17u64, 6u64, 30u64, 0u64, 0x2_3456u64);
    (month << 60)
        | (day << 55)
        | (hour << 50)
        | (minute << 44)
        | (second << 38)
        | (gateway << 16)
        | u64::from(seq & 0xffff)
}

impl Gateway {
    /// Listens on 127.0.0.1:0 and serves every link with `script`.
    pub async fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            script,
            log: Mutex::default(),
            changed: Notify::new(),
            link: Mutex::new(None),
        });
        let serving = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(Arc::clone(&serving), stream));
            }
        });
        Self { addr, state }
    }

    /// Waits until `done` holds of the log.
    async fn until<T>(&self, mut done: impl FnMut(&Log) -> Option<T>) -> T {
        loop {
            let changed = self.state.changed.notified();
            if let Some(found) = done(&self.state.log.lock().unwrap()) {
                return found;
            }
            changed.await;
        }
    }

    /// Every submit so far, once there are at least `n`.
    pub async fn submits(&self, n: usize) -> Vec<Received> {
        self.until(|log| (log.submits.len() >= n).then(|| log.submits.clone()))
            .await
    }

    /// Every login so far, once there are at least `n`.
    pub async fn logins(&self, n: usize) -> Vec<(String, u8)> {
        self.until(|log| (log.logins.len() >= n).then(|| log.logins.clone()))
            .await
    }

    /// Waits for `n` `ACTIVE_TEST`s from the client.
    pub async fn active_tests(&self, n: usize) {
        self.until(|log| (log.active_tests >= n).then_some(()))
            .await;
    }

    /// Asks the client to end the link and waits for its answer.
    pub async fn terminate(&self) {
        let link = self.state.link.lock().unwrap().clone();
        link.expect("a client is connected")
            .send(pdu(TERMINATE, 0xa000, &[]))
            .unwrap();
        self.until(|log| (log.terminate_resps >= 1).then_some(()))
            .await;
    }

    /// Waits for `n` answers to the gateway's own `ACTIVE_TEST`s.
    pub async fn active_test_resps(&self, n: usize) {
        self.until(|log| (log.active_test_resps >= n).then_some(()))
            .await;
    }

    /// The `DELIVER_RESP`s so far, once there are at least `n`.
    pub async fn deliver_resps(&self, n: usize) -> Vec<(u64, u8)> {
        self.until(|log| (log.deliver_resps.len() >= n).then(|| log.deliver_resps.clone()))
            .await
    }

    fn deliver(&self, body: &[u8]) {
        let bytes = {
            let mut log = self.state.log.lock().unwrap();
            log.next_seq += 1;
            let seq = 0x1000 + log.next_seq;
            // Each DELIVER its own Msg_Id (a copy sent again at the next login keeps it).
            let mut body = body.to_vec();
            body[..8].copy_from_slice(&u64::from(seq).to_be_bytes());
            let bytes = pdu(DELIVER, seq, &body);
            log.unanswered.insert(seq, bytes.clone());
            bytes
        };
        let link = self.state.link.lock().unwrap();
        link.as_ref()
            .expect("a client is connected")
            .send(bytes)
            .unwrap();
    }

    fn deliver_body(src: &str, registered: u8, fmt: u8, content: &[u8]) -> Vec<u8> {
        // Msg_Id: set by `deliver`.
        let mut body = 0u64.to_be_bytes().to_vec();
        body.extend(padded("106900001", 21));
        body.extend(padded("QXYJ", 10));
        body.extend([0, 0, fmt]);
        body.extend(padded(src, 21));
        body.push(registered);
        body.push(content.len() as u8);
        body.extend(content);
        body.extend([0u8; 8]);
        body
    }

    /// Sends a status report for `msg_id` with `stat` (done at 2026-06-17 06:31 Beijing).
    pub fn report(&self, msg_id: u64, stat: &str, dest: &str) {
        let mut content = msg_id.to_be_bytes().to_vec();
        content.extend(padded(stat, 7));
        content.extend(b"2606170630");
        content.extend(b"2606170631");
        content.extend(padded(dest, 21));
        content.extend(7u32.to_be_bytes());
        self.deliver(&Self::deliver_body(dest, 1, 0, &content));
    }

    /// Sends a mobile-originated message from `from` in UCS-2.
    pub fn mo(&self, from: &str, message: &str) {
        let content: Vec<u8> = message.encode_utf16().flat_map(u16::to_be_bytes).collect();
        self.deliver(&Self::deliver_body(from, 0, 8, &content));
    }

    /// Sends an `ACTIVE_TEST` to the client.
    pub fn active_test(&self) {
        let link = self.state.link.lock().unwrap();
        link.as_ref()
            .expect("a client is connected")
            .send(pdu(ACTIVE_TEST, 0x9000, &[]))
            .unwrap();
    }
}

async fn read_pdu(stream: &mut tokio::net::tcp::OwnedReadHalf) -> Option<(u32, u32, Vec<u8>)> {
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.ok()?;
    let len = u32::from_be_bytes(head[0..4].try_into().unwrap()) as usize;
    let command = u32::from_be_bytes(head[4..8].try_into().unwrap());
    let seq = u32::from_be_bytes(head[8..12].try_into().unwrap());
    assert!(
        (12..=4096).contains(&len),
        "client sent a PDU of {len} bytes"
    );
    let mut body = vec![0u8; len - 12];
    stream.read_exact(&mut body).await.ok()?;
    Some((command, seq, body))
}

/// CONNECT's status: 2 unknown SP, 3 bad authenticator, 4 version above 2.0.
fn login_status(script: &Script, body: &[u8]) -> (String, u8) {
    assert_eq!(body.len(), 27, "CONNECT body is 6 + 16 + 1 + 4 bytes");
    let sp = text(&body[0..6]);
    let stamp = format!(
        "{:010}",
        u32::from_be_bytes(body[23..27].try_into().unwrap())
    );
    let mut md5 = Md5::new();
    md5.update(&body[0..6]);
    md5.update([0u8; 9]);
    md5.update(script.secret.as_bytes());
    md5.update(stamp.as_bytes());
    let expected: [u8; 16] = md5.finalize().into();
    let status = if sp != script.sp_id {
        2
    } else if body[6..22] != expected {
        3
    } else if body[22] > 0x20 {
        4
    } else {
        0
    };
    (sp, status)
}

async fn serve(state: Arc<State>, stream: TcpStream) {
    let (mut read, mut write) = stream.into_split();
    let Some((CONNECT, seq, body)) = read_pdu(&mut read).await else {
        return;
    };
    let (sp, status) = login_status(&state.script, &body);
    let mut answer = vec![status];
    answer.extend([0u8; 16]);
    answer.push(0x20);
    write
        .write_all(&pdu(CONNECT | RESP, seq, &answer))
        .await
        .unwrap();
    state.log.lock().unwrap().logins.push((sp, status));
    state.changed.notify_waiters();
    if status != 0 {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    *state.link.lock().unwrap() = Some(tx.clone());
    for again in state.log.lock().unwrap().unanswered.values() {
        let _ = tx.send(again.clone());
    }
    let writer = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    while let Some((command, seq, body)) = read_pdu(&mut read).await {
        match on_pdu(&state, command, seq, &body) {
            Some(Some(reply)) => {
                let _ = tx.send(reply);
            }
            Some(None) => {}
            None => break,
        }
        state.changed.notify_waiters();
    }
    // Dropping every sender ends the writer, which closes the socket.
    state.link.lock().unwrap().take();
    drop(tx);
    writer.abort();
    state.changed.notify_waiters();
}

/// One PDU from the client: `None` to drop the link, `Some(reply)` otherwise.
fn on_pdu(state: &State, command: u32, seq: u32, body: &[u8]) -> Option<Option<Vec<u8>>> {
    let mut log = state.log.lock().unwrap();
    Some(match command {
        SUBMIT => {
            let mut received = parse_submit(body);
            let n = log.submits.len() + 1;
            if state.script.drop_on == Some(n) {
                log.submits.push(received);
                return None;
            }
            if state.script.silent_on == Some(n) {
                log.submits.push(received);
                return Some(None);
            }
            let result = submit_result(&state.script, &mut log, n);
            let id = msg_id(n as u32);
            received.msg_id = (result == 0).then_some(id);
            log.submits.push(received);
            let mut answer = id.to_be_bytes().to_vec();
            answer.push(result);
            Some(pdu(SUBMIT | RESP, seq, &answer))
        }
        ACTIVE_TEST => {
            log.active_tests += 1;
            Some(pdu(ACTIVE_TEST | RESP, seq, &[0]))
        }
        c if c == DELIVER | RESP => {
            let id = u64::from_be_bytes(body[0..8].try_into().unwrap());
            log.deliver_resps.push((id, body[8]));
            if body[8] == 0 {
                log.unanswered.remove(&seq);
            }
            None
        }
        c if c == ACTIVE_TEST | RESP => {
            log.active_test_resps += 1;
            None
        }
        c if c == TERMINATE | RESP => {
            log.terminate_resps += 1;
            None
        }
        TERMINATE => Some(pdu(TERMINATE | RESP, seq, &[])),
        _ => None,
    })
}

fn submit_result(script: &Script, log: &mut Log, n: usize) -> u8 {
    if let Some(&result) = script.results.get(&n) {
        return result;
    }
    let Some(limit) = script.per_second else {
        return 0;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if log.second.0 != now {
        log.second = (now, 0);
    }
    log.second.1 += 1;
    if log.second.1 > limit { 8 } else { 0 }
}

/// SUBMIT's 2.0 layout, read by offsets.
fn parse_submit(b: &[u8]) -> Received {
    let n = b[116] as usize;
    let dest_end = 117 + 21 * n;
    let len = b[dest_end] as usize;
    let content = b[dest_end + 1..dest_end + 1 + len].to_vec();
    assert_eq!(
        b.len(),
        dest_end + 1 + len + 8,
        "SUBMIT body ends with an 8-byte Reserve"
    );
    Received {
        pk_total: b[8],
        pk_number: b[9],
        registered_delivery: b[10],
        service_id: text(&b[12..22]),
        tp_udhi: b[45],
        msg_fmt: b[46],
        msg_src: text(&b[47..53]),
        src_id: text(&b[95..116]),
        dest: (0..n)
            .map(|i| text(&b[117 + 21 * i..138 + 21 * i]))
            .collect(),
        content,
        msg_id: None,
    }
}
