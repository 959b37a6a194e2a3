//! CMPP's primitives: big-endian integers and fixed-width octet strings (left-aligned, padded
//! with NUL), and the 12-byte header every PDU starts with.

/// Bytes in the header: `Total_Length`, `Command_Id`, `Sequence_Id`.
pub const HEADER_LEN: usize = 12;
/// The largest PDU this client reads or writes (a gateway that sends more is broken).
pub const MAX_PDU_LEN: u32 = 4096;

/// Why bytes could not be read as a PDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The body ended before a field did.
    #[error("PDU body too short for {0}")]
    Short(&'static str),
    /// A length outside what CMPP allows.
    #[error("bad PDU length {0}")]
    Length(u32),
    /// A `Command_Id` this codec does not know.
    #[error("unknown Command_Id {0:#010x}")]
    Command(u32),
}

/// The header of one PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The whole PDU's length, header included.
    pub total_length: u32,
    /// What the PDU is.
    pub command_id: u32,
    /// Pairs a response with its request.
    pub sequence_id: u32,
}

impl Header {
    /// Reads the first 12 bytes; checks the length against CMPP's bounds.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Self, WireError> {
        let word =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let header = Self {
            total_length: word(0),
            command_id: word(4),
            sequence_id: word(8),
        };
        if (header.total_length as usize) < HEADER_LEN || header.total_length > MAX_PDU_LEN {
            return Err(WireError::Length(header.total_length));
        }
        Ok(header)
    }
}

/// Builds a body field by field.
#[derive(Debug, Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    /// One byte.
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }

    /// A big-endian 32-bit integer.
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A big-endian 64-bit integer (a `Msg_Id`).
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Raw bytes as they are.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.0.extend_from_slice(value);
        self
    }

    /// `text` in a field of `width` bytes, NUL-padded (cut if longer: callers check lengths).
    pub fn fixed(&mut self, text: &str, width: usize) -> &mut Self {
        let bytes = text.as_bytes();
        let n = bytes.len().min(width);
        self.0.extend_from_slice(&bytes[..n]);
        self.0.resize(self.0.len() + width - n, 0);
        self
    }
}

/// Reads a body field by field.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts at the beginning of `body`.
    pub fn new(body: &'a [u8]) -> Self {
        Self { rest: body }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Short(field));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// One byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, field)?[0])
    }

    /// A big-endian 32-bit integer.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, WireError> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A big-endian 64-bit integer.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, WireError> {
        let mut word = [0u8; 8];
        word.copy_from_slice(self.take(8, field)?);
        Ok(u64::from_be_bytes(word))
    }

    /// A fixed-width text field without its NUL padding (bytes that are not UTF-8 are
    /// replaced: these fields are digits and letters).
    pub fn fixed(&mut self, width: usize, field: &'static str) -> Result<String, WireError> {
        let raw = self.take(width, field)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        Ok(String::from_utf8_lossy(&raw[..end]).into_owned())
    }
}

/// A whole PDU: header then `body`.
pub fn frame(command_id: u32, sequence_id: u32, body: &[u8]) -> Vec<u8> {
    let total = HEADER_LEN + body.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&command_id.to_be_bytes());
    out.extend_from_slice(&sequence_id.to_be_bytes());
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_fields_are_padded_and_read_back() {
        let table = [
            ("QXYJ", 10, "5158594a000000000000"),
            ("901234", 6, "393031323334"),
            ("", 2, "0000"),
        ];
        for (text, width, hex) in table {
            let mut w = Writer::default();
            w.fixed(text, width);
            let got: String = w.0.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(got, hex);
            assert_eq!(Reader::new(&w.0).fixed(width, "f").unwrap(), text);
        }
    }

    #[test]
    fn headers_outside_the_bounds_are_refused() {
        let table: [(u32, Result<u32, WireError>); 4] = [
            (12, Ok(12)),
            (4096, Ok(4096)),
            (11, Err(WireError::Length(11))),
            (4097, Err(WireError::Length(4097))),
        ];
        for (length, want) in table {
            let mut bytes = [0u8; HEADER_LEN];
            bytes[..4].copy_from_slice(&length.to_be_bytes());
            assert_eq!(Header::parse(&bytes).map(|h| h.total_length), want);
        }
    }

    #[test]
    fn a_short_body_names_the_field() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u32("Timestamp"), Err(WireError::Short("Timestamp")));
    }
}
