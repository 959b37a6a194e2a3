//! `GET /api/v1/admin/status`: what administrators watch on the server — each background
//! worker's state, the free space on the database's volume, the TLS certificate's expiry.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/admin/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminStatus {
    /// The central's clock (RFC 3339).
    pub time: String,
    /// Every background worker, by name.
    pub workers: Vec<WorkerLine>,
    /// Space on the database's volume; `null` where it cannot be read.
    pub disk: Option<DiskSpace>,
    /// The serving certificate; `null` for plain HTTP.
    pub certificate: Option<CertificateExpiry>,
}

/// One worker's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerLine {
    /// Its name (`backup`, `integrity`).
    pub name: String,
    /// `running`, `restarting` or `stopped`.
    pub state: String,
    /// Since when (RFC 3339).
    pub since: String,
    /// Restarts after failures since the central started.
    pub restarts: u32,
    /// Why it last failed.
    pub last_error: Option<String>,
    /// What it last reported doing (the last backup, the integrity verdict).
    pub detail: Option<String>,
    /// When it reported that (RFC 3339).
    pub reported_at: Option<String>,
}

/// Free and total bytes of a volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpace {
    /// Bytes available to the central.
    pub free_bytes: u64,
    /// Size of the volume.
    pub total_bytes: u64,
}

/// When the serving certificate expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateExpiry {
    /// Its `notAfter` (RFC 3339); `null` if the file cannot be read now.
    pub not_after: Option<String>,
    /// Whole days left (negative once expired).
    pub days_left: Option<i64>,
    /// Why it could not be read, if it could not.
    pub error: Option<String>,
}
