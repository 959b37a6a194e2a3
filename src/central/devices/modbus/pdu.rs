//! Modbus PDUs (function code and data), the same over TCP and RTU: the reads a poll makes,
//! and the single-coil write (function 5) that switches a relay.

use std::fmt;

/// One of the four Modbus data tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Read-write bits: relay states.
    Coils,
    /// Read-only bits: switch and contact inputs.
    DiscreteInputs,
    /// Read-write 16-bit registers.
    HoldingRegisters,
    /// Read-only 16-bit registers.
    InputRegisters,
}

impl Table {
    /// The function code that reads it.
    pub const fn read_function(self) -> u8 {
        match self {
            Self::Coils => 1,
            Self::DiscreteInputs => 2,
            Self::HoldingRegisters => 3,
            Self::InputRegisters => 4,
        }
    }

    /// Whether it holds bits rather than registers.
    pub const fn holds_bits(self) -> bool {
        matches!(self, Self::Coils | Self::DiscreteInputs)
    }

    /// The most items one read may ask for (Modbus application protocol, 6.1–6.4).
    pub const fn max_read(self) -> u16 {
        if self.holds_bits() { 2000 } else { 125 }
    }
}

/// A request to a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Read `count` items of `table` from wire address `address`.
    Read {
        /// Which table.
        table: Table,
        /// The first wire (0-based) address.
        address: u16,
        /// How many items.
        count: u16,
    },
    /// Write Single Coil (function 5): set coil `address` on or off.
    WriteCoil {
        /// The wire (0-based) address.
        address: u16,
        /// On (`FF00`) or off (`0000`).
        on: bool,
    },
}

/// Function 5, Write Single Coil.
pub const WRITE_SINGLE_COIL: u8 = 5;

impl Request {
    /// Its function code.
    pub const fn function(&self) -> u8 {
        match self {
            Self::Read { table, .. } => table.read_function(),
            Self::WriteCoil { .. } => WRITE_SINGLE_COIL,
        }
    }

    /// The PDU: function code and data.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Read { address, count, .. } => {
                let mut pdu = vec![self.function()];
                pdu.extend_from_slice(&address.to_be_bytes());
                pdu.extend_from_slice(&count.to_be_bytes());
                pdu
            }
            Self::WriteCoil { address, on } => {
                let mut pdu = vec![self.function()];
                pdu.extend_from_slice(&address.to_be_bytes());
                pdu.extend_from_slice(&coil_value(*on).to_be_bytes());
                pdu
            }
        }
    }
}

/// A board's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Bits read, as many as asked.
    Bits(Vec<bool>),
    /// Registers read, as many as asked.
    Words(Vec<u16>),
    /// A coil write, echoed as the board took it.
    CoilWritten {
        /// The wire address.
        address: u16,
        /// The value it now holds.
        on: bool,
    },
}

/// A coil's value as function 5 writes it.
const fn coil_value(on: bool) -> u16 {
    if on { 0xFF00 } else { 0x0000 }
}

/// Why a response PDU is not the answer to its request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// The board refused with a Modbus exception.
    #[error("the board answered exception {code} ({})", exception_name(*.code))]
    Exception {
        /// The exception code (2: illegal address …).
        code: u8,
    },
    /// The answer is not shaped like the answer to this request.
    #[error("malformed answer: {0}")]
    Malformed(&'static str),
}

/// The Modbus name of an exception code.
pub const fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "illegal function",
        2 => "illegal data address",
        3 => "illegal data value",
        4 => "server device failure",
        5 => "acknowledge",
        6 => "server device busy",
        10 => "gateway path unavailable",
        11 => "gateway target failed to respond",
        _ => "unknown exception",
    }
}

/// How long the response PDU starting with `head` is, once enough of it is there to tell
/// (`None`: more bytes needed). An RTU frame has no length field: this is how one ends.
pub fn response_pdu_len(head: &[u8]) -> Option<usize> {
    let function = *head.first()?;
    match function {
        f if f & 0x80 != 0 => Some(2),
        1..=4 => head.get(1).map(|&bytes| 2 + usize::from(bytes)),
        // Write answers echo address and value or count.
        _ => Some(5),
    }
}

/// Decodes `pdu` as the answer to `request`.
pub fn decode_response(request: &Request, pdu: &[u8]) -> Result<Response, PduError> {
    let (&function, data) = pdu.split_first().ok_or(PduError::Malformed("empty"))?;
    if function == request.function() | 0x80 {
        let &code = data
            .first()
            .ok_or(PduError::Malformed("exception without code"))?;
        return Err(PduError::Exception { code });
    }
    if function != request.function() {
        return Err(PduError::Malformed("another function's answer"));
    }
    match request {
        Request::Read { table, count, .. } => decode_read(*table, *count, data),
        Request::WriteCoil { address, on } => decode_write_echo(*address, *on, data),
    }
}

/// A write's answer echoes the request: anything else means it was not done as asked.
fn decode_write_echo(address: u16, on: bool, data: &[u8]) -> Result<Response, PduError> {
    let expected = [address.to_be_bytes(), coil_value(on).to_be_bytes()].concat();
    if data != expected.as_slice() {
        return Err(PduError::Malformed(
            "the write's echo differs from the request",
        ));
    }
    Ok(Response::CoilWritten { address, on })
}

fn decode_read(table: Table, count: u16, data: &[u8]) -> Result<Response, PduError> {
    let (&bytes, payload) = data
        .split_first()
        .ok_or(PduError::Malformed("no byte count"))?;
    if usize::from(bytes) != payload.len() {
        return Err(PduError::Malformed("byte count disagrees with the data"));
    }
    let count = usize::from(count);
    if table.holds_bits() {
        if payload.len() != count.div_ceil(8) {
            return Err(PduError::Malformed("not as many bits as asked"));
        }
        let bits = (0..count)
            .map(|i| payload[i / 8] & (1 << (i % 8)) != 0)
            .collect();
        Ok(Response::Bits(bits))
    } else {
        if payload.len() != count * 2 {
            return Err(PduError::Malformed("not as many registers as asked"));
        }
        let words = payload
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        Ok(Response::Words(words))
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read {
                table,
                address,
                count,
            } => write!(f, "read {count} {table:?} from {address}"),
            Self::WriteCoil { address, on } => write!(f, "write coil {address} {on}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coil_write_encodes_and_its_echo_decodes() {
        // Modbus application protocol 6.5: write coil 173 (wire 172) ON.
        let write = Request::WriteCoil {
            address: 172,
            on: true,
        };
        assert_eq!(write.encode(), [0x05, 0x00, 0xAC, 0xFF, 0x00]);
        assert_eq!(
            decode_response(&write, &[0x05, 0x00, 0xAC, 0xFF, 0x00]),
            Ok(Response::CoilWritten {
                address: 172,
                on: true
            })
        );
        assert!(decode_response(&write, &[0x05, 0x00, 0xAC, 0x00, 0x00]).is_err());
        assert_eq!(
            decode_response(&write, &[0x85, 0x02]),
            Err(PduError::Exception { code: 2 })
        );
        assert_eq!(response_pdu_len(&[0x05]), Some(5));
    }

    fn read(table: Table, address: u16, count: u16) -> Request {
        Request::Read {
            table,
            address,
            count,
        }
    }

    #[test]
    fn requests_encode_as_the_specification_shows() {
        // Modbus application protocol 6.1 and 6.3 examples.
        let cases = [
            (
                read(Table::Coils, 19, 19),
                vec![0x01, 0x00, 0x13, 0x00, 0x13],
            ),
            (
                read(Table::HoldingRegisters, 107, 3),
                vec![0x03, 0x00, 0x6B, 0x00, 0x03],
            ),
            (read(Table::DiscreteInputs, 0, 8), vec![2, 0, 0, 0, 8]),
            (read(Table::InputRegisters, 8, 1), vec![4, 0, 8, 0, 1]),
        ];
        for (request, pdu) in cases {
            assert_eq!(request.encode(), pdu, "{request}");
        }
    }

    #[test]
    fn responses_decode_or_say_why_not() {
        let coils = read(Table::Coils, 19, 19);
        let spec_bits = [0xCD, 0x6B, 0x05];
        let mut expected = Vec::new();
        for byte in spec_bits {
            expected.extend((0..8).map(|i| byte & (1 << i) != 0));
        }
        expected.truncate(19);
        let registers = read(Table::HoldingRegisters, 107, 3);
        let cases: [(&Request, &[u8], Result<Response, PduError>); 7] = [
            (
                &coils,
                &[1, 3, 0xCD, 0x6B, 0x05],
                Ok(Response::Bits(expected)),
            ),
            (
                &registers,
                &[3, 6, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64],
                Ok(Response::Words(vec![555, 0, 100])),
            ),
            (&registers, &[0x83, 2], Err(PduError::Exception { code: 2 })),
            (
                &registers,
                &[4, 2, 0, 1],
                Err(PduError::Malformed("another function's answer")),
            ),
            (
                &registers,
                &[3, 4, 0, 1, 0, 2],
                Err(PduError::Malformed("not as many registers as asked")),
            ),
            (
                &coils,
                &[1, 3, 0xCD, 0x6B],
                Err(PduError::Malformed("byte count disagrees with the data")),
            ),
            (&coils, &[], Err(PduError::Malformed("empty"))),
        ];
        for (request, pdu, answer) in cases {
            assert_eq!(
                decode_response(request, pdu),
                answer,
                "{request} {pdu:02x?}"
            );
        }
    }

    #[test]
    fn response_lengths_are_told_from_their_first_bytes() {
        let cases: [(&[u8], Option<usize>); 6] = [
            (&[], None),
            (&[3], None),
            (&[3, 6], Some(8)),
            (&[1, 1, 0xFF], Some(3)),
            (&[0x83], Some(2)),
            (&[5], Some(5)),
        ];
        for (head, len) in cases {
            assert_eq!(response_pdu_len(head), len, "{head:02x?}");
        }
    }
}
