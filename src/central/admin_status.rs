//! `GET /admin/status` (administrators only): the background workers' board, free space on the
//! database's volume, and when the serving certificate expires.

use std::path::Path;

use axum::Json;
use axum::extract::State;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::core::AppState;
use super::error::Failure;
use super::workers::{WorkerState, WorkerStatus};
use crate::domain::Timestamp;
use crate::domain::time::DAY_MS;
use crate::protocol::{AdminStatus, CertificateExpiry, DiskSpace, WorkerLine};

/// `GET /admin/status`.
pub async fn status(State(state): State<AppState>) -> Result<Json<AdminStatus>, Failure> {
    let now = state.clock().now();
    let facts = state.host_facts().clone();
    let (disk, certificate) = tokio::task::spawn_blocking(move || {
        let disk = facts.db_path.as_deref().and_then(disk_space);
        let certificate = facts.tls_cert.as_deref().map(|cert| expiry(cert, now));
        (disk, certificate)
    })
    .await
    .map_err(|e| Failure::task(&e))?;
    Ok(Json(AdminStatus {
        time: now.to_rfc3339(),
        workers: state.workers().snapshot().iter().map(worker_line).collect(),
        disk,
        certificate,
    }))
}

fn worker_line(status: &WorkerStatus) -> WorkerLine {
    WorkerLine {
        name: status.name.clone(),
        state: match status.state {
            WorkerState::Running => "running",
            WorkerState::Restarting => "restarting",
            WorkerState::Stopped => "stopped",
        }
        .to_owned(),
        since: status.since.to_rfc3339(),
        restarts: status.restarts,
        last_error: status.last_error.clone(),
        detail: status.detail.clone(),
        reported_at: status.reported_at.map(Timestamp::to_rfc3339),
    }
}

/// Free and total space of the volume holding `db` (its folder, which exists when the file
/// does not yet).
#[cfg(unix)]
fn disk_space(db: &Path) -> Option<DiskSpace> {
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stats = rustix::fs::statvfs(dir).ok()?;
    Some(DiskSpace {
        free_bytes: stats.f_bavail.saturating_mul(stats.f_frsize),
        total_bytes: stats.f_blocks.saturating_mul(stats.f_frsize),
    })
}

#[cfg(not(unix))]
fn disk_space(_db: &Path) -> Option<DiskSpace> {
    None
}

fn expiry(cert: &Path, now: Timestamp) -> CertificateExpiry {
    match leaf_not_after(cert) {
        Ok(not_after) => CertificateExpiry {
            not_after: Some(not_after.to_rfc3339()),
            days_left: Some((not_after.0 - now.0).div_euclid(DAY_MS)),
            error: None,
        },
        Err(error) => CertificateExpiry {
            not_after: None,
            days_left: None,
            error: Some(error),
        },
    }
}

/// The `notAfter` of the first (leaf) certificate in a PEM file.
pub fn leaf_not_after(cert: &Path) -> Result<Timestamp, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let leaf = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .next()
        .ok_or_else(|| format!("{}: no certificate", cert.display()))?
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    not_after(&leaf).ok_or_else(|| format!("{}: not an X.509 certificate", cert.display()))
}

/// One DER element: its tag, its content, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let len = bytes
            .iter()
            .fold(0_usize, |n, &b| (n << 8) | usize::from(b));
        (len, rest)
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// `notAfter` of a DER certificate: `Certificate → tbsCertificate → [version] serial
/// signature issuer validity(notBefore, notAfter)` (RFC 5280 §4.1).
pub fn not_after(der: &[u8]) -> Option<Timestamp> {
    const SEQUENCE: u8 = 0x30;
    let (SEQUENCE, certificate, _) = element(der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(certificate)? else {
        return None;
    };
    let (tag, _, rest) = element(tbs)?;
    // An explicit version comes first; without it, that was already the serial number.
    let rest = if tag == 0xa0 { element(rest)?.2 } else { rest };
    let rest = element(rest)?.2; // signature algorithm
    let rest = element(rest)?.2; // issuer
    let (SEQUENCE, validity, _) = element(rest)? else {
        return None;
    };
    let (_, _, after) = element(validity)?;
    let (tag, time, _) = element(after)?;
    parse_time(tag, std::str::from_utf8(time).ok()?)
}

/// `UTCTime` (`YYMMDDHHMMSSZ`, years 1950–2049) or `GeneralizedTime` (`YYYYMMDDHHMMSSZ`).
fn parse_time(tag: u8, text: &str) -> Option<Timestamp> {
    let digits = text.strip_suffix('Z')?;
    let full = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy: u32 = digits.get(..2)?.parse().ok()?;
            format!("{}{digits}", if yy >= 50 { "19" } else { "20" })
        }
        (0x18, 14) => digits.to_owned(),
        _ => return None,
    };
    let date = NaiveDate::parse_from_str(full.get(..8)?, "%Y%m%d").ok()?;
    let time = NaiveTime::parse_from_str(full.get(8..)?, "%H%M%S").ok()?;
    Some(Timestamp(
        NaiveDateTime::new(date, time).and_utc().timestamp_millis(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_both_der_kinds_parse() {
        let table = [
            (0x17, "491231235959Z", Some("2049-12-31T23:59:59Z")),
            (0x17, "500101000000Z", Some("1950-01-01T00:00:00Z")),
            (0x18, "20271206120000Z", Some("2027-12-06T12:00:00Z")),
            (0x18, "20271206120000", None),
            (0x17, "20271206120000Z", None),
            (0x04, "491231235959Z", None),
        ];
        for (tag, text, expected) in table {
            let parsed = parse_time(tag, text).map(Timestamp::to_rfc3339);
            assert_eq!(parsed.as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn a_generated_certificates_expiry_is_read() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2031, 3, 14);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let expected = Timestamp::parse_rfc3339("2031-03-14T00:00:00Z").unwrap();
        assert_eq!(not_after(cert.der()), Some(expected));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        std::fs::write(&path, cert.pem()).unwrap();
        assert_eq!(leaf_not_after(&path), Ok(expected));
        let now = Timestamp::parse_rfc3339("2031-03-04T12:00:00Z").unwrap();
        assert_eq!(expiry(&path, now).days_left, Some(9));
        // Damaged input is refused, never misread.
        assert_eq!(not_after(&cert.der()[..40]), None);
        std::fs::write(&path, "not a certificate").unwrap();
        assert!(leaf_not_after(&path).is_err());
    }
}
