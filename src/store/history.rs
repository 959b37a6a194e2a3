//! Series views at any range, for charts: one [`Bucket`] per column.
//!
//! This first implementation reads every point and decimates; the contract (same buckets as
//! [`decimate`] over the raw points) stays when it is answered from pre-aggregated tables.

use rusqlite::Connection;

use super::StoreError;
use super::observations;
use crate::domain::history::{Bucket, decimate};
use crate::domain::{Element, StationId, Timestamp};

/// The buckets of one series over `[from, to)` at `columns` columns; empty columns are omitted.
pub fn view(
    conn: &Connection,
    station: &StationId,
    element: Element,
    from: Timestamp,
    to: Timestamp,
    columns: usize,
) -> Result<Vec<Bucket>, StoreError> {
    let points = observations::series(conn, station, element, from, to)?;
    Ok(decimate(&points, from, to, columns))
}
