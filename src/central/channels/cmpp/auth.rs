//! `CMPP_CONNECT`'s proof of the shared secret, and the Beijing-time stamps CMPP uses.

use chrono::{NaiveDateTime, TimeZone as _};
use md5::{Digest as _, Md5};

use crate::domain::Timestamp;
use crate::domain::time::beijing_offset;

/// `AuthenticatorSource` = `MD5(Source_Addr + 9 NUL bytes + shared secret + MMDDHHMMSS)`.
pub fn authenticator_source(source_addr: &str, secret: &str, timestamp: &str) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(source_addr.as_bytes());
    md5.update([0u8; 9]);
    md5.update(secret.as_bytes());
    md5.update(timestamp.as_bytes());
    md5.finalize().into()
}

/// CONNECT's timestamp: MMDDHHMMSS in Beijing time, as text (for the digest) and as the
/// number the Timestamp field carries.
pub fn connect_timestamp(now: Timestamp) -> (String, u32) {
    let text = now.beijing().format("%m%d%H%M%S").to_string();
    let number = text.parse().unwrap_or(0);
    (text, number)
}

/// A status report's YYMMDDHHMM (Beijing time) as an instant; `None` if it is not one.
pub fn report_time(text: &str) -> Option<Timestamp> {
    let parsed = NaiveDateTime::parse_from_str(&format!("{text}00"), "%y%m%d%H%M%S").ok()?;
    let local = beijing_offset().from_local_datetime(&parsed).single()?;
    Some(Timestamp(local.timestamp_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_beijing_time() {
        // 2026-06-16T22:30:00Z is 06-17 06:30:00 in Beijing.
        let t = Timestamp::parse_rfc3339("2026-06-16T22:30:00Z").unwrap();
        assert_eq!(connect_timestamp(t), ("0617063000".to_owned(), 617_063_000));
        let table = [
            ("2606170630", Some(t)),
            (
                "2601010000",
                Timestamp::parse_rfc3339("2025-12-31T16:00:00Z").ok(),
            ),
            ("26061706", None),
            ("2613010000", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(report_time(text), want, "{text}");
        }
    }
}
