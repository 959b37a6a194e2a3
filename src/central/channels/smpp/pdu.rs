//! SMPP 3.4 PDUs as bytes (pure): the 16-byte header, the bodies this channel sends and reads,
//! C-octet strings, and the TLVs it needs. Layouts follow the SMPP 3.4 specification §4.

use std::fmt;

/// `bind_transceiver`.
pub const BIND_TRANSCEIVER: u32 = 0x0000_0009;
/// `submit_sm`.
pub const SUBMIT_SM: u32 = 0x0000_0004;
/// `deliver_sm`.
pub const DELIVER_SM: u32 = 0x0000_0005;
/// unbind.
pub const UNBIND: u32 = 0x0000_0006;
/// `enquire_link`.
pub const ENQUIRE_LINK: u32 = 0x0000_0015;
/// `generic_nack`.
pub const GENERIC_NACK: u32 = 0x8000_0000;
/// The bit that makes a command id a response's.
pub const RESP: u32 = 0x8000_0000;
/// The interface version a bind announces (3.4).
pub const VERSION_34: u8 = 0x34;
/// The longest PDU this side accepts; real ones are well under 1 KiB.
pub const MAX_PDU: usize = 64 * 1024;
/// TLV `receipted_message_id` (a receipt's message id).
pub const TAG_RECEIPTED_MESSAGE_ID: u16 = 0x001E;
/// TLV `message_payload` (long text instead of `short_message`).
pub const TAG_MESSAGE_PAYLOAD: u16 = 0x0424;

/// One PDU: the header's command, status and sequence, and the body's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Pdu {
    /// `command_id`.
    pub command: u32,
    /// `command_status` (0 in requests).
    pub status: u32,
    /// `sequence_number`.
    pub sequence: u32,
    /// Everything after the header.
    pub body: Vec<u8>,
}

impl fmt::Debug for Pdu {
    // A body can hold a password or a phone number: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pdu {{ command: {:#010x}, status: {:#x}, sequence: {}, body: {} bytes }}",
            self.command,
            self.status,
            self.sequence,
            self.body.len()
        )
    }
}

/// Why bytes are not a PDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// `command_length` below 16 or above [`MAX_PDU`].
    #[error("bad command_length {0}")]
    Length(usize),
    /// The body ended inside a field.
    #[error("body ends inside {0}")]
    Truncated(&'static str),
    /// A C-octet string longer than its field allows.
    #[error("{0} too long")]
    TooLong(&'static str),
}

impl Pdu {
    /// A PDU with `body`.
    pub fn new(command: u32, status: u32, sequence: u32, body: Vec<u8>) -> Self {
        Self {
            command,
            status,
            sequence,
            body,
        }
    }

    /// The PDU on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let length = 16 + self.body.len();
        let mut out = Vec::with_capacity(length);
        for word in [length as u32, self.command, self.status, self.sequence] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out.extend_from_slice(&self.body);
        out
    }

    /// One whole PDU from its bytes (`command_length` included).
    pub fn parse(bytes: &[u8]) -> Result<Self, PduError> {
        let length = frame_length(bytes)?.ok_or(PduError::Truncated("header"))?;
        if bytes.len() < length {
            return Err(PduError::Truncated("body"));
        }
        let word =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        Ok(Self::new(
            word(4),
            word(8),
            word(12),
            bytes[16..length].to_vec(),
        ))
    }

    /// Whether this answers a request.
    pub fn is_response(&self) -> bool {
        self.command & RESP != 0
    }
}

/// The `command_length` the first four bytes announce, checked; `None` before four bytes.
pub fn frame_length(bytes: &[u8]) -> Result<Option<usize>, PduError> {
    let Some(head) = bytes.get(..4) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if !(16..=MAX_PDU).contains(&length) {
        return Err(PduError::Length(length));
    }
    Ok(Some(length))
}

/// Writes `text` as a C-octet string of at most `max` bytes with its NUL.
pub fn put_cstring(
    out: &mut Vec<u8>,
    text: &str,
    max: usize,
    field: &'static str,
) -> Result<(), PduError> {
    if text.len() + 1 > max || text.as_bytes().contains(&0) {
        return Err(PduError::TooLong(field));
    }
    out.extend_from_slice(text.as_bytes());
    out.push(0);
    Ok(())
}

/// Reads a body field by field.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Starts at the body's first byte.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// A C-octet string (lossy: an SMSC's ids and numbers are ASCII).
    pub fn cstring(&mut self, field: &'static str) -> Result<String, PduError> {
        let rest = &self.bytes[self.at..];
        let end = rest
            .iter()
            .position(|b| *b == 0)
            .ok_or(PduError::Truncated(field))?;
        self.at += end + 1;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    /// One octet.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, PduError> {
        let byte = *self.bytes.get(self.at).ok_or(PduError::Truncated(field))?;
        self.at += 1;
        Ok(byte)
    }

    /// `n` octets.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], PduError> {
        let slice = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or(PduError::Truncated(field))?;
        self.at += n;
        Ok(slice)
    }

    /// The optional parameters after the mandatory ones: `(tag, value)` in order.
    pub fn tlvs(&mut self) -> Result<Vec<(u16, &'a [u8])>, PduError> {
        let mut out = Vec::new();
        while self.at < self.bytes.len() {
            let head = self.take(4, "TLV header")?;
            let tag = u16::from_be_bytes([head[0], head[1]]);
            let length = u16::from_be_bytes([head[2], head[3]]) as usize;
            out.push((tag, self.take(length, "TLV value")?));
        }
        Ok(out)
    }
}
