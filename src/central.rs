//! The central server: HTTP API under `/api/v1` (axum), SQLite store, change log and live
//! stream.

use std::net::SocketAddr;
use std::path::Path;

/// Runs `wxdesk central serve` until interrupted.
pub fn serve_blocking(listen: SocketAddr, db: &Path) -> anyhow::Result<()> {
    let _ = (listen, db);
    anyhow::bail!("central not yet built")
}
