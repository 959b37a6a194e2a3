//! The CMPP 2.0 PDUs this client speaks, each with its body's exact layout (CMPP 2.0 §7.4:
//! 6-byte `Source_Addr`, 1-byte Status, 21-byte terminal ids, an 8-byte Reserve).

use super::wire::{Header, Reader, WireError, Writer, frame};

/// The `Command_Ids` (a response is its request's id with the top bit set).
pub mod command {
    /// `CMPP_CONNECT`.
    pub const CONNECT: u32 = 0x0000_0001;
    /// `CMPP_TERMINATE`.
    pub const TERMINATE: u32 = 0x0000_0002;
    /// `CMPP_SUBMIT`.
    pub const SUBMIT: u32 = 0x0000_0004;
    /// `CMPP_DELIVER`.
    pub const DELIVER: u32 = 0x0000_0005;
    /// `CMPP_ACTIVE_TEST`.
    pub const ACTIVE_TEST: u32 = 0x0000_0008;
    /// The bit that makes a request's id its response's.
    pub const RESP: u32 = 0x8000_0000;
}

/// The protocol version this client announces: 2.0.
pub const VERSION: u8 = 0x20;
/// `Msg_Fmt` of UCS-2 (big-endian UTF-16 without surrogate tricks).
pub const UCS2: u8 = 8;

/// `CMPP_CONNECT`: the SP logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The SP's id (6 characters).
    pub source_addr: String,
    /// MD5 over the id, 9 NULs, the secret and the timestamp ([`super::auth`]).
    pub authenticator: [u8; 16],
    /// [`VERSION`].
    pub version: u8,
    /// MMDDHHMMSS as a decimal number.
    pub timestamp: u32,
}

/// `CMPP_CONNECT_RESP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResp {
    /// 0 accepted; 2 bad source address, 3 authentication failed, 4 version too high.
    pub status: u8,
    /// The gateway's proof that it knows the secret.
    pub authenticator_ismg: [u8; 16],
    /// The highest version the gateway speaks.
    pub version: u8,
}

/// `CMPP_SUBMIT` in the 2.0 layout: one message (or one part) to its destinations.
#[allow(missing_docs)] // each field is the spec's field of the same name
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub msg_id: u64,
    pub pk_total: u8,
    pub pk_number: u8,
    pub registered_delivery: u8,
    pub msg_level: u8,
    pub service_id: String,
    pub fee_user_type: u8,
    pub fee_terminal_id: String,
    pub tp_pid: u8,
    pub tp_udhi: u8,
    pub msg_fmt: u8,
    pub msg_src: String,
    pub fee_type: String,
    pub fee_code: String,
    pub valid_time: String,
    pub at_time: String,
    pub src_id: String,
    pub dest: Vec<String>,
    pub content: Vec<u8>,
}

/// `CMPP_SUBMIT_RESP` / `CMPP_DELIVER_RESP`: a `Msg_Id` and a result (0 is success).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgResult {
    /// The gateway's id of the message (`SUBMIT_RESP`) or the delivered one's (`DELIVER_RESP`).
    pub msg_id: u64,
    /// 0 success, otherwise [`super::status`].
    pub result: u8,
}

/// `CMPP_DELIVER`: a status report (`registered_delivery` 1) or a mobile-originated message.
#[allow(missing_docs)] // each field is the spec's field of the same name
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    pub msg_id: u64,
    pub dest_id: String,
    pub service_id: String,
    pub tp_pid: u8,
    pub tp_udhi: u8,
    pub msg_fmt: u8,
    pub src_terminal_id: String,
    pub registered_delivery: u8,
    pub content: Vec<u8>,
}

/// A status report: the `Msg_Content` of a DELIVER whose `Registered_Delivery` is 1.
#[allow(missing_docs)] // each field is the spec's field of the same name
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub msg_id: u64,
    pub stat: String,
    /// YYMMDDHHMM, Beijing time.
    pub submit_time: String,
    /// YYMMDDHHMM, Beijing time.
    pub done_time: String,
    pub dest_terminal_id: String,
    pub smsc_sequence: u32,
}

/// What a PDU says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Body {
    Connect(Connect),
    ConnectResp(ConnectResp),
    Submit(Box<Submit>),
    SubmitResp(MsgResult),
    Deliver(Box<Deliver>),
    DeliverResp(MsgResult),
    ActiveTest,
    ActiveTestResp,
    Terminate,
    TerminateResp,
}

/// One PDU: its sequence id and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// Pairs a response with its request.
    pub sequence_id: u32,
    /// What it says.
    pub body: Body,
}

impl Body {
    /// Its `Command_Id`.
    pub fn command_id(&self) -> u32 {
        use command::*;
        match self {
            Self::Connect(_) => CONNECT,
            Self::ConnectResp(_) => CONNECT | RESP,
            Self::Submit(_) => SUBMIT,
            Self::SubmitResp(_) => SUBMIT | RESP,
            Self::Deliver(_) => DELIVER,
            Self::DeliverResp(_) => DELIVER | RESP,
            Self::ActiveTest => ACTIVE_TEST,
            Self::ActiveTestResp => ACTIVE_TEST | RESP,
            Self::Terminate => TERMINATE,
            Self::TerminateResp => TERMINATE | RESP,
        }
    }
}

impl Pdu {
    /// The PDU's bytes, header included.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match &self.body {
            Body::Connect(c) => {
                w.fixed(&c.source_addr, 6).bytes(&c.authenticator);
                w.u8(c.version).u32(c.timestamp);
            }
            Body::ConnectResp(c) => {
                w.u8(c.status).bytes(&c.authenticator_ismg).u8(c.version);
            }
            Body::Submit(s) => encode_submit(&mut w, s),
            Body::SubmitResp(r) | Body::DeliverResp(r) => {
                w.u64(r.msg_id).u8(r.result);
            }
            Body::Deliver(d) => encode_deliver(&mut w, d),
            Body::ActiveTestResp => {
                w.u8(0);
            }
            Body::ActiveTest | Body::Terminate | Body::TerminateResp => {}
        }
        frame(self.body.command_id(), self.sequence_id, &w.0)
    }

    /// The PDU `header` announced, from its body's bytes.
    pub fn decode(header: Header, body: &[u8]) -> Result<Self, WireError> {
        use command::*;
        let mut r = Reader::new(body);
        let body = match header.command_id {
            CONNECT => Body::Connect(Connect {
                source_addr: r.fixed(6, "Source_Addr")?,
                authenticator: digest(&mut r, "AuthenticatorSource")?,
                version: r.u8("Version")?,
                timestamp: r.u32("Timestamp")?,
            }),
            x if x == CONNECT | RESP => Body::ConnectResp(ConnectResp {
                status: r.u8("Status")?,
                authenticator_ismg: digest(&mut r, "AuthenticatorISMG")?,
                version: r.u8("Version")?,
            }),
            SUBMIT => Body::Submit(Box::new(decode_submit(&mut r)?)),
            x if x == SUBMIT | RESP => Body::SubmitResp(msg_result(&mut r)?),
            DELIVER => Body::Deliver(Box::new(decode_deliver(&mut r)?)),
            x if x == DELIVER | RESP => Body::DeliverResp(msg_result(&mut r)?),
            ACTIVE_TEST => Body::ActiveTest,
            // Its one Reserved byte is ignored (some gateways leave it out).
            x if x == ACTIVE_TEST | RESP => Body::ActiveTestResp,
            TERMINATE => Body::Terminate,
            x if x == TERMINATE | RESP => Body::TerminateResp,
            other => return Err(WireError::Command(other)),
        };
        Ok(Self {
            sequence_id: header.sequence_id,
            body,
        })
    }
}

fn digest(r: &mut Reader<'_>, field: &'static str) -> Result<[u8; 16], WireError> {
    let mut out = [0u8; 16];
    out.copy_from_slice(r.take(16, field)?);
    Ok(out)
}

fn msg_result(r: &mut Reader<'_>) -> Result<MsgResult, WireError> {
    Ok(MsgResult {
        msg_id: r.u64("Msg_Id")?,
        result: r.u8("Result")?,
    })
}

fn encode_submit(w: &mut Writer, s: &Submit) {
    w.u64(s.msg_id).u8(s.pk_total).u8(s.pk_number);
    w.u8(s.registered_delivery).u8(s.msg_level);
    w.fixed(&s.service_id, 10).u8(s.fee_user_type);
    w.fixed(&s.fee_terminal_id, 21)
        .u8(s.tp_pid)
        .u8(s.tp_udhi)
        .u8(s.msg_fmt);
    w.fixed(&s.msg_src, 6)
        .fixed(&s.fee_type, 2)
        .fixed(&s.fee_code, 6);
    w.fixed(&s.valid_time, 17)
        .fixed(&s.at_time, 17)
        .fixed(&s.src_id, 21);
    w.u8(s.dest.len() as u8);
    for dest in &s.dest {
        w.fixed(dest, 21);
    }
    w.u8(s.content.len() as u8).bytes(&s.content).fixed("", 8);
}

fn decode_submit(r: &mut Reader<'_>) -> Result<Submit, WireError> {
    let mut s = Submit {
        msg_id: r.u64("Msg_Id")?,
        pk_total: r.u8("Pk_total")?,
        pk_number: r.u8("Pk_number")?,
        registered_delivery: r.u8("Registered_Delivery")?,
        msg_level: r.u8("Msg_level")?,
        service_id: r.fixed(10, "Service_Id")?,
        fee_user_type: r.u8("Fee_UserType")?,
        fee_terminal_id: r.fixed(21, "Fee_terminal_Id")?,
        tp_pid: r.u8("TP_pId")?,
        tp_udhi: r.u8("TP_udhi")?,
        msg_fmt: r.u8("Msg_Fmt")?,
        msg_src: r.fixed(6, "Msg_src")?,
        fee_type: r.fixed(2, "FeeType")?,
        fee_code: r.fixed(6, "FeeCode")?,
        valid_time: r.fixed(17, "ValId_Time")?,
        at_time: r.fixed(17, "At_Time")?,
        src_id: r.fixed(21, "Src_Id")?,
        dest: Vec::new(),
        content: Vec::new(),
    };
    let n = r.u8("DestUsr_tl")?;
    for _ in 0..n {
        s.dest.push(r.fixed(21, "Dest_terminal_Id")?);
    }
    let len = r.u8("Msg_Length")? as usize;
    s.content = r.take(len, "Msg_Content")?.to_vec();
    r.take(8, "Reserve")?;
    Ok(s)
}

fn encode_deliver(w: &mut Writer, d: &Deliver) {
    w.u64(d.msg_id)
        .fixed(&d.dest_id, 21)
        .fixed(&d.service_id, 10);
    w.u8(d.tp_pid).u8(d.tp_udhi).u8(d.msg_fmt);
    w.fixed(&d.src_terminal_id, 21).u8(d.registered_delivery);
    w.u8(d.content.len() as u8).bytes(&d.content).fixed("", 8);
}

fn decode_deliver(r: &mut Reader<'_>) -> Result<Deliver, WireError> {
    let mut d = Deliver {
        msg_id: r.u64("Msg_Id")?,
        dest_id: r.fixed(21, "Dest_Id")?,
        service_id: r.fixed(10, "Service_Id")?,
        tp_pid: r.u8("TP_pid")?,
        tp_udhi: r.u8("TP_udhi")?,
        msg_fmt: r.u8("Msg_Fmt")?,
        src_terminal_id: r.fixed(21, "Src_terminal_Id")?,
        registered_delivery: r.u8("Registered_Delivery")?,
        content: Vec::new(),
    };
    let len = r.u8("Msg_Length")? as usize;
    d.content = r.take(len, "Msg_Content")?.to_vec();
    // Reserve (8) is not checked: some gateways leave it out of MO messages.
    Ok(d)
}

impl StatusReport {
    /// Bytes in a status report's `Msg_Content`.
    pub const LEN: usize = 8 + 7 + 10 + 10 + 21 + 4;

    /// Reads a status report from a DELIVER's `Msg_Content`.
    pub fn decode(content: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(content);
        Ok(Self {
            msg_id: r.u64("Msg_Id")?,
            stat: r.fixed(7, "Stat")?,
            submit_time: r.fixed(10, "Submit_time")?,
            done_time: r.fixed(10, "Done_time")?,
            dest_terminal_id: r.fixed(21, "Dest_terminal_Id")?,
            smsc_sequence: r.u32("SMSC_sequence")?,
        })
    }

    /// Its bytes as a DELIVER's `Msg_Content`.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(self.msg_id).fixed(&self.stat, 7);
        w.fixed(&self.submit_time, 10).fixed(&self.done_time, 10);
        w.fixed(&self.dest_terminal_id, 21).u32(self.smsc_sequence);
        w.0
    }
}
