//! The central's health: `ok`, or `degraded` when its database cannot be written — opened
//! read-only, or a write failed with a read-only file, a full disk or an I/O error. Degraded, it
//! keeps serving reads and answers every write with 503 `database_unwritable`.
//!
//! ```text
//! write route ─▶ guard ─▶ write_gate ─▶ handler
//!                          │ read-only at start: 503, handler not called
//!                          └ after: 503 unwritable → degraded (with why); 2xx → ok again
//! ```
//!
//! Anyone may ask `GET /health` (ok or degraded); the reasons are in `GET /health/detail`,
//! for administrators.

use std::sync::{Mutex, PoisonError};

use axum::Json;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use super::core::AppState;
use super::error::{Failure, UnwritableDb};
use crate::domain::audit::head_text;
use crate::protocol::{HEALTH_DEGRADED, HEALTH_OK, Health, HealthDetail};

/// Whether the database can be written, as the central last found it.
#[derive(Debug, Default)]
pub struct DbHealth {
    /// Why the database was opened read-only, if it was: lasts until a restart.
    read_only: Option<String>,
    /// Why the last write failed, if it did; cleared by the next write that succeeds (the
    /// disk was freed, the file made writable again).
    write_failure: Mutex<Option<String>>,
}

impl DbHealth {
    /// Health of a database opened read-only for `read_only`, or writable (`None`).
    pub fn new(read_only: Option<String>) -> Self {
        Self {
            read_only,
            write_failure: Mutex::new(None),
        }
    }

    /// Why writes are refused without trying, if they are.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// Records that a write failed because the database could not be written.
    pub fn write_failed(&self, reason: &str) {
        let mut failure = self.failure();
        if failure.is_none() {
            tracing::error!(reason, "database cannot be written: central degraded");
        }
        *failure = Some(reason.to_owned());
    }

    /// Records that a write succeeded.
    pub fn write_succeeded(&self) {
        if self.failure().take().is_some() {
            tracing::info!("database written again: central ok");
        }
    }

    /// Why the central is degraded (empty when it is not).
    pub fn reasons(&self) -> Vec<String> {
        self.read_only
            .iter()
            .cloned()
            .chain(self.failure().clone())
            .collect()
    }

    /// [`HEALTH_OK`] or [`HEALTH_DEGRADED`].
    pub fn status(&self) -> &'static str {
        if self.read_only.is_some() || self.failure().is_some() {
            HEALTH_DEGRADED
        } else {
            HEALTH_OK
        }
    }

    fn failure(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.write_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The middleware of every route that writes: refuses at once while the database is
/// read-only, and learns from each answer whether the database could be written.
pub async fn write_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let health = state.db_health();
    if let Some(reason) = health.read_only() {
        return Failure::unwritable(reason).into_response();
    }
    let response = next.run(request).await;
    if let Some(UnwritableDb(reason)) = response.extensions().get::<UnwritableDb>() {
        health.write_failed(reason);
    } else if response.status().is_success() {
        health.write_succeeded();
    }
    response
}

/// `GET /health`: for anyone.
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, Failure> {
    // The head and the station count come from memory, so health answers while logins or
    // ingests keep the blocking pool busy; the audit head is one indexed row.
    let (head, stations) = (state.head(), state.station_count().await?);
    let audit_head = state.blocking(|store| store.audit_head()).await?;
    Ok(Json(Health {
        status: state.db_health().status().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        time: state.clock().now().to_rfc3339(),
        head,
        stations,
        instance: state.store().instance().to_owned(),
        audit_head: audit_head.map(head_text),
    }))
}

/// `GET /health/detail`: the health with its reasons, for administrators.
pub async fn detail(State(state): State<AppState>) -> Json<HealthDetail> {
    let health = state.db_health();
    Json(HealthDetail {
        status: health.status().to_owned(),
        reasons: health.reasons(),
        read_only: health.read_only().is_some(),
        instance: state.store().instance().to_owned(),
    })
}

#[cfg(test)]
mod tests;
