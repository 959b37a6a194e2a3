//! The two framings a PDU travels in: Modbus TCP's MBAP header (transaction id, length, unit)
//! and Modbus RTU's unit byte and CRC-16/Modbus, as a DTU passes RTU frames through its TCP
//! link, with the DTU's heartbeat packets between them.

use super::pdu::response_pdu_len;

/// The MBAP header's length: transaction, protocol, length (2 bytes each) and the unit.
pub const MBAP_LEN: usize = 7;

/// A PDU is at most 253 bytes (the RTU frame's 256 less unit and CRC).
pub const MAX_PDU_LEN: usize = 253;

/// A Modbus TCP frame carrying `pdu` to `unit`.
pub fn encode_tcp(transaction: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    // The length counts the unit byte and the PDU; a PDU fits in 253 bytes, so in a u16.
    let length = u16::try_from(pdu.len() + 1).unwrap_or(u16::MAX);
    let mut frame = Vec::with_capacity(MBAP_LEN + pdu.len());
    frame.extend_from_slice(&transaction.to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(&length.to_be_bytes());
    frame.push(unit);
    frame.extend_from_slice(pdu);
    frame
}

/// A received MBAP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mbap {
    /// The transaction id it answers.
    pub transaction: u16,
    /// The unit that answered.
    pub unit: u8,
    /// The PDU's length, bytes.
    pub pdu_len: usize,
}

/// Reads an MBAP header, refusing another protocol or an impossible length.
pub fn decode_mbap(header: &[u8; MBAP_LEN]) -> Result<Mbap, &'static str> {
    let protocol = u16::from_be_bytes([header[2], header[3]]);
    let length = usize::from(u16::from_be_bytes([header[4], header[5]]));
    if protocol != 0 {
        return Err("not the Modbus protocol id");
    }
    if !(2..=MAX_PDU_LEN + 1).contains(&length) {
        return Err("impossible length");
    }
    Ok(Mbap {
        transaction: u16::from_be_bytes([header[0], header[1]]),
        unit: header[6],
        pdu_len: length - 1,
    })
}

/// CRC-16/Modbus (polynomial 0xA001 reflected, initial 0xFFFF).
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc = 0xFFFF_u16;
    for &byte in bytes {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// An RTU frame carrying `pdu` to `unit`; the CRC goes low byte first.
pub fn encode_rtu(unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(pdu.len() + 3);
    frame.push(unit);
    frame.extend_from_slice(pdu);
    frame.extend_from_slice(&crc16(&frame).to_le_bytes());
    frame
}

/// Removes the whole heartbeat packets at the front of `buffer`; returns how many.
pub fn skip_heartbeats(buffer: &mut Vec<u8>, heartbeat: &[u8]) -> usize {
    if heartbeat.is_empty() {
        return 0;
    }
    let mut at = 0;
    while buffer[at..].starts_with(heartbeat) {
        at += heartbeat.len();
    }
    buffer.drain(..at);
    at / heartbeat.len()
}

/// Whether `buffer` may be the start of a heartbeat still arriving.
pub fn partial_heartbeat(buffer: &[u8], heartbeat: &[u8]) -> bool {
    !buffer.is_empty() && buffer.len() < heartbeat.len() && heartbeat.starts_with(buffer)
}

/// What the front of a DTU's byte stream holds, waiting for `unit`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtuScan {
    /// Not a whole frame yet.
    Incomplete,
    /// A whole frame from `unit` with a good CRC: its PDU, and the frame's length.
    Frame {
        /// The PDU.
        pdu: Vec<u8>,
        /// Bytes the frame took.
        len: usize,
    },
    /// Not an answer from `unit`.
    Garbled(&'static str),
}

/// Reads the answer of `unit` at the front of `buffer` (heartbeats already skipped).
pub fn scan_rtu_response(buffer: &[u8], unit: u8) -> RtuScan {
    let Some(&first) = buffer.first() else {
        return RtuScan::Incomplete;
    };
    if first != unit {
        return RtuScan::Garbled("an answer from another unit, or noise");
    }
    let Some(pdu_len) = response_pdu_len(&buffer[1..]) else {
        return RtuScan::Incomplete;
    };
    let len = 1 + pdu_len + 2;
    if buffer.len() < len {
        return RtuScan::Incomplete;
    }
    let crc = u16::from_le_bytes([buffer[len - 2], buffer[len - 1]]);
    if crc != crc16(&buffer[..len - 2]) {
        return RtuScan::Garbled("bad CRC");
    }
    RtuScan::Frame {
        pdu: buffer[1..len - 2].to_vec(),
        len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_published_check_values() {
        let cases: [(&[u8], u16); 3] = [
            (b"123456789", 0x4B37),
            // Read 10 holding registers from 0 of unit 1: frame 01 03 00 00 00 0A C5 CD.
            (&[0x01, 0x03, 0x00, 0x00, 0x00, 0x0A], 0xCDC5),
            (&[], 0xFFFF),
        ];
        for (bytes, crc) in cases {
            assert_eq!(crc16(bytes), crc, "{bytes:02x?}");
        }
        assert_eq!(
            encode_rtu(1, &[3, 0, 0, 0, 10]),
            [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]
        );
    }

    #[test]
    fn mbap_headers_round_trip_and_refuse_nonsense() {
        let frame = encode_tcp(0x1234, 7, &[3, 0, 1, 0, 2]);
        assert_eq!(frame, [0x12, 0x34, 0, 0, 0, 6, 7, 3, 0, 1, 0, 2]);
        let header: [u8; MBAP_LEN] = frame[..MBAP_LEN].try_into().unwrap();
        assert_eq!(
            decode_mbap(&header),
            Ok(Mbap {
                transaction: 0x1234,
                unit: 7,
                pdu_len: 5
            })
        );
        let cases: [([u8; MBAP_LEN], &str); 3] = [
            ([0, 1, 0, 1, 0, 6, 1], "not the Modbus protocol id"),
            ([0, 1, 0, 0, 0, 1, 1], "impossible length"),
            ([0, 1, 0, 0, 1, 0, 1], "impossible length"),
        ];
        for (header, why) in cases {
            assert_eq!(decode_mbap(&header), Err(why), "{header:02x?}");
        }
    }

    #[test]
    fn heartbeats_between_frames_are_skipped_and_frames_found() {
        let answer = encode_rtu(2, &[1, 1, 0b101]);
        let heartbeat = b"\xFEHB";
        let cases: [(Vec<u8>, usize, RtuScan); 6] = [
            (
                [&heartbeat[..], &answer].concat(),
                1,
                RtuScan::Frame {
                    pdu: vec![1, 1, 0b101],
                    len: 6,
                },
            ),
            (
                [&heartbeat[..], heartbeat, &answer, heartbeat].concat(),
                2,
                RtuScan::Frame {
                    pdu: vec![1, 1, 0b101],
                    len: 6,
                },
            ),
            (answer[..4].to_vec(), 0, RtuScan::Incomplete),
            (
                heartbeat[..2].to_vec(),
                0,
                RtuScan::Garbled("an answer from another unit, or noise"),
            ),
            (
                [&answer[..5], &[0]].concat(),
                0,
                RtuScan::Garbled("bad CRC"),
            ),
            (
                encode_rtu(3, &[1, 1, 0]),
                0,
                RtuScan::Garbled("an answer from another unit, or noise"),
            ),
        ];
        for (bytes, heartbeats, scan) in cases {
            let mut buffer = bytes.clone();
            assert_eq!(
                skip_heartbeats(&mut buffer, heartbeat),
                heartbeats,
                "{bytes:02x?}"
            );
            assert_eq!(scan_rtu_response(&buffer, 2), scan, "{bytes:02x?}");
        }
        assert!(partial_heartbeat(b"\xFEH", heartbeat));
        assert!(!partial_heartbeat(b"\x02\x01", heartbeat));
        assert!(!partial_heartbeat(b"", heartbeat));
    }
}
