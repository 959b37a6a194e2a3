//! The observations aggregate: ingest and file imports write it; the latest values, series
//! and chart views read it.

use super::imports::{self, ImportError, ImportLine, ImportTally, ImportVerdict};
use super::ingest::{self, IngestReport, Quality};
use super::{SqliteCentralStore, audit, schema};
use crate::domain::audit::AuditRecord;
use crate::domain::history::{SeriesView, ViewRequest};
use crate::domain::observation::IngestRecord;
use crate::domain::{Element, Network, StationId, Timestamp};
use crate::store::observations::{self, LatestValues};
use crate::store::{Context as _, StoreError, history, maintenance};

/// What the central stores and reads of observations. Blocks the calling thread.
pub trait ObservationStore {
    /// Stores a batch of records parsed at the edge in one transaction, stamping each change
    /// `now`. Records that cannot be stored (a station outside the network, a value that
    /// contradicts the stored one) are reported, not fatal; an error means nothing of the
    /// batch was stored.
    fn ingest(&self, records: &[IngestRecord], now: Timestamp) -> Result<IngestReport, StoreError>;

    /// The newest value of every element at every station that has reported.
    fn latest(&self) -> Result<LatestValues, StoreError>;

    /// One series with `from <= time <= to` in time order; `None` if the station is not in the
    /// network.
    fn series(
        &self,
        station: &StationId,
        element: Element,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<Vec<(Timestamp, f64)>>, StoreError>;

    /// The view of one series a chart asks for, with its gaps (their causes read from the
    /// station's maintenance windows and its other elements) and completeness, judged at
    /// `now`; `None` if the station is not in the network.
    fn series_view(
        &self,
        request: &ViewRequest,
        now: Timestamp,
    ) -> Result<Option<SeriesView>, StoreError>;

    /// Imports a whole file's records, their times judged at the edge
    /// ([`imports::check_times`]), in one transaction, all or nothing (see [`imports`]),
    /// stamping each change `now`. The audit entry `audit` makes of the verdict is written with
    /// the import, or after rolling it back.
    fn import(
        &self,
        lines: &[ImportLine],
        now: Timestamp,
        audit: &dyn Fn(ImportVerdict<'_>) -> AuditRecord,
    ) -> Result<ImportTally, ImportError>;
}

impl SqliteCentralStore {
    /// What quality control of a write needs, over `network` (the network as it is now).
    pub(super) fn quality<'a>(&'a self, network: &'a Network) -> Quality<'a> {
        Quality {
            network,
            config: &self.qc,
        }
    }
}

impl ObservationStore for SqliteCentralStore {
    fn ingest(&self, records: &[IngestRecord], now: Timestamp) -> Result<IngestReport, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting ingest")?;
        let network = self.current_network();
        let report = ingest::ingest_batch(&tx, records, now, self.quality(&network))?;
        tx.commit().context("committing ingest")?;
        Ok(report)
    }

    fn latest(&self) -> Result<LatestValues, StoreError> {
        self.read(observations::latest)
    }

    fn series(
        &self,
        station: &StationId,
        element: Element,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<Vec<(Timestamp, f64)>>, StoreError> {
        self.read(|conn| {
            if !schema::station_exists(conn, station)? {
                return Ok(None);
            }
            observations::series(conn, station, element, from, to).map(Some)
        })
    }

    fn series_view(
        &self,
        request: &ViewRequest,
        now: Timestamp,
    ) -> Result<Option<SeriesView>, StoreError> {
        self.read(|conn| {
            if !schema::station_exists(conn, &request.station)? {
                return Ok(None);
            }
            let windows = maintenance::list(conn, Some(&request.station))?;
            history::series_view(conn, request, &windows, now).map(Some)
        })
    }

    fn import(
        &self,
        lines: &[ImportLine],
        now: Timestamp,
        audit: &dyn Fn(ImportVerdict<'_>) -> AuditRecord,
    ) -> Result<ImportTally, ImportError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting import")?;
        let network = self.current_network();
        match imports::import_lines(&tx, lines, now, self.quality(&network)) {
            Ok(tally) => {
                audit::append(&tx, self.seal()?, audit(Ok(&tally)))?;
                tx.commit().context("committing import")?;
                Ok(tally)
            }
            Err(ImportError::Refused(refusal)) => {
                tx.rollback().context("rolling back a refused import")?;
                // The refusal is recorded on its own: nothing of the file remains.
                let tx = writer.transaction().context("starting audit append")?;
                audit::append(&tx, self.seal()?, audit(Err(&refusal)))?;
                tx.commit().context("committing audit entry")?;
                Err(ImportError::Refused(refusal))
            }
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::parse_batch;
    use crate::store::central::tests::{fresh, minute, now, record};

    #[test]
    fn observations_are_served_through_their_own_trait() {
        let (_dir, sqlite) = fresh();
        let store: &dyn ObservationStore = &sqlite;
        let raw = [
            record("708301", &minute(-2), json!({"TEM": 9.5})),
            record("708399", &minute(-2), json!({"TEM": 9.5})),
        ];
        let parsed = parse_batch(&raw, now());
        let report = store.ingest(&parsed.records, now()).unwrap();
        let indexes: Vec<usize> = report.results.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [0, 1], "one result per record given");
        assert_eq!(report.results[0].stored_values, 1);
        let id = StationId::parse("708301").unwrap();
        let time = now().plus_ms(-2 * crate::domain::time::MINUTE_MS);
        assert_eq!(store.latest().unwrap()[&id][&Element::Tem], (time, 9.5));
        assert_eq!(
            store.series(&id, Element::Tem, time, now()).unwrap(),
            Some(vec![(time, 9.5)])
        );
    }
}
