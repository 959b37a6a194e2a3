//! A bit writer and reader (most significant bit first), and byte-aligned varints: the
//! primitives of the chunk and summary encodings.

/// Appends values of 1 ..= 64 bits to a byte vector, most significant bit first.
#[derive(Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Bits already used in the last byte (0 when it is full or there is none).
    used: u32,
}

impl BitWriter {
    /// A writer appending after `prefix` (whole bytes, e.g. a header).
    pub fn after(prefix: Vec<u8>) -> Self {
        Self {
            bytes: prefix,
            used: 0,
        }
    }

    /// Writes the low `width` bits of `value` (`width` ≤ 64; higher bits must be zero).
    pub fn write(&mut self, value: u64, width: u32) {
        debug_assert!(width <= 64 && (width == 64 || value >> width == 0));
        let mut left = width;
        while left > 0 {
            if self.used == 0 {
                self.bytes.push(0);
            }
            let free = 8 - self.used;
            let take = free.min(left);
            let part = (value >> (left - take)) & ((1u64 << take) - 1);
            let last = self.bytes.len() - 1;
            // `part` has at most `free` ≤ 8 bits, so the cast keeps all of them.
            self.bytes[last] |= (part as u8) << (free - take);
            self.used = (self.used + take) % 8;
            left -= take;
        }
    }

    /// Writes one bit.
    pub fn bit(&mut self, set: bool) {
        self.write(u64::from(set), 1);
    }

    /// Writes `n` < 2^63 as its width (6 bits) and then its bits: small numbers cost little,
    /// any fits.
    pub fn varbits(&mut self, n: u64) {
        let width = width_of(n).min(63);
        self.write(u64::from(width), 6);
        self.write(n, width);
    }

    /// The bytes written, the last one padded with zero bits.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads what a [`BitWriter`] wrote; every read past the end is `None`.
#[derive(Debug)]
pub struct BitReader<'b> {
    bytes: &'b [u8],
    /// Bits read so far.
    at: usize,
}

impl<'b> BitReader<'b> {
    /// A reader at the first bit of `bytes`.
    pub fn new(bytes: &'b [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// The next 57 or more bits (fewer at the end, padded with zeros), left-aligned: one load
    /// instead of a loop per byte, as reading a chunk is on every history query's path.
    fn peek(&self) -> u64 {
        let first = self.at / 8;
        let word = match self.bytes.get(first..first + 8) {
            Some(eight) => {
                let mut word = [0u8; 8];
                word.copy_from_slice(eight);
                word
            }
            None => {
                let mut word = [0u8; 8];
                let available = self.bytes.len().saturating_sub(first);
                word[..available].copy_from_slice(&self.bytes[first..]);
                word
            }
        };
        u64::from_be_bytes(word) << (self.at % 8)
    }

    fn left(&self) -> usize {
        (self.bytes.len() * 8).saturating_sub(self.at)
    }

    /// Reads `width` ≤ 64 bits as an unsigned number.
    pub fn read(&mut self, width: u32) -> Option<u64> {
        if width == 0 {
            return Some(0);
        }
        if width > 56 {
            let high = self.read(width - 32)?;
            return Some((high << 32) | self.read(32)?);
        }
        if width as usize > self.left() {
            return None;
        }
        let value = self.peek() >> (64 - width);
        self.at += width as usize;
        Some(value)
    }

    /// Reads one bit.
    pub fn bit(&mut self) -> Option<bool> {
        self.read(1).map(|b| b == 1)
    }

    /// Counts set bits up to the first clear one, reading at most `max` ≤ 56 bits: the unary
    /// prefixes that choose a width. The clear bit is read too, unless `max` ones came first.
    pub fn ones(&mut self, max: u32) -> Option<u32> {
        let ones = self.peek().leading_ones().min(max);
        let read = ones as usize + usize::from(ones < max);
        if read > self.left() {
            return None;
        }
        self.at += read;
        Some(ones)
    }

    /// Reads a Rice code with parameter `k` ≤ 8: a unary quotient (below `max` ≤ 16 ones, then
    /// a zero) and `k` low bits, in one load. `Some(None)` when `max` ones came instead (read).
    pub fn rice(&mut self, k: u32, max: u32) -> Option<Option<u64>> {
        let word = self.peek();
        let q = word.leading_ones().min(max);
        if q == max {
            if max as usize > self.left() {
                return None;
            }
            self.at += max as usize;
            return Some(None);
        }
        let used = q + 1 + k;
        if used as usize > self.left() {
            return None;
        }
        let low = if k == 0 {
            0
        } else {
            (word << (q + 1)) >> (64 - k)
        };
        self.at += used as usize;
        Some(Some((u64::from(q) << k) | low))
    }

    /// Reads what [`BitWriter::varbits`] wrote.
    pub fn varbits(&mut self) -> Option<u64> {
        let width = self.read(6)? as u32;
        self.read(width)
    }

    /// Whether only zero padding is left (in the current byte) and no further byte.
    pub fn at_end(&self) -> bool {
        let whole = self.at.div_ceil(8);
        if whole != self.bytes.len() {
            return false;
        }
        let used = self.at % 8;
        used == 0 || self.bytes[whole - 1] & (0xff >> used) == 0
    }
}

/// Maps a signed number to an unsigned one, small magnitudes to small numbers.
pub const fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub const fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Appends `n` as a LEB128 varint (7 bits a byte, low first).
pub fn put_uvarint(bytes: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        bytes.push((n as u8) | 0x80);
        n >>= 7;
    }
    bytes.push(n as u8);
}

/// Reads a varint [`put_uvarint`] wrote from the front of `bytes`, advancing it.
pub fn get_uvarint(bytes: &mut &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        n |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// Bits needed to write every number up to `n`.
pub const fn width_of(n: u64) -> u32 {
    64 - n.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values written with their widths, and the bytes expected.
    type Case = (&'static [(u64, u32)], &'static [u8]);

    #[test]
    fn writes_bits_most_significant_first_across_bytes() {
        let cases: [Case; 6] = [
            (&[], &[]),
            (&[(1, 1)], &[0b1000_0000]),
            (&[(0b101, 3), (0b11, 2)], &[0b1011_1000]),
            (&[(0xabc, 12)], &[0xab, 0xc0]),
            (&[(1, 1), (0xff, 8)], &[0xff, 0x80]),
            (
                &[(u64::MAX, 64), (0, 1)],
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00],
            ),
        ];
        for (writes, expected) in cases {
            let mut writer = BitWriter::default();
            for &(value, width) in writes {
                writer.write(value, width);
            }
            let bytes = writer.finish();
            assert_eq!(bytes, expected, "{writes:?}");
            let mut reader = BitReader::new(&bytes);
            for &(value, width) in writes {
                assert_eq!(reader.read(width), Some(value), "{writes:?}");
            }
            assert!(reader.at_end(), "{writes:?}");
        }
    }

    #[test]
    fn reads_past_the_end_fail_and_trailing_bits_are_seen() {
        let mut reader = BitReader::new(&[0b1100_0000]);
        assert_eq!(reader.ones(8), Some(2));
        assert!(reader.at_end());
        assert_eq!(reader.read(5), Some(0));
        assert_eq!(reader.read(1), None);
        let mut reader = BitReader::new(&[0b1000_0001]);
        assert_eq!(reader.bit(), Some(true));
        assert!(!reader.at_end(), "a set bit in the padding");
        assert!(!BitReader::new(&[0, 0]).at_end());
    }

    #[test]
    fn varbits_cost_their_width_and_six() {
        for (n, bits) in [
            (0u64, 6),
            (1, 7),
            (60, 12),
            (10_132 * 2, 21),
            ((1 << 62) + 5, 69),
        ] {
            let mut writer = BitWriter::default();
            writer.varbits(n);
            writer.bit(true);
            let bytes = writer.finish();
            assert_eq!(bytes.len(), (bits + 1usize).div_ceil(8), "{n}");
            let mut reader = BitReader::new(&bytes);
            assert_eq!(reader.varbits(), Some(n));
            assert_eq!(reader.bit(), Some(true), "{n}: the next bit follows");
        }
    }

    #[test]
    fn zigzag_orders_by_magnitude() {
        let cases = [
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (i64::MIN, u64::MAX),
        ];
        for (signed, unsigned) in cases {
            assert_eq!(zigzag(signed), unsigned);
            assert_eq!(unzigzag(unsigned), signed);
        }
        assert_eq!(unzigzag(zigzag(i64::MAX)), i64::MAX);
    }

    #[test]
    fn varints_take_seven_bits_a_byte() {
        let cases: [(u64, &[u8]); 5] = [
            (0, &[0]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (n, expected) in cases {
            let mut bytes = Vec::new();
            put_uvarint(&mut bytes, n);
            assert_eq!(bytes, expected);
            let mut rest = &bytes[..];
            assert_eq!(get_uvarint(&mut rest), Some(n));
            assert!(rest.is_empty());
        }
        assert_eq!(get_uvarint(&mut &[0x80][..]), None, "cut short");
        assert_eq!(width_of(0), 0);
        assert_eq!(width_of(60), 6);
    }
}
