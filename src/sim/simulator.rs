//! The whole network: which station sends what, when. Pure functions of (station, minute):
//! the runner only decides when to ask.
//!
//! Two kinds of record: a station's minute (live, or late after a communication outage) and
//! an hour of the archive a bureau imports ([`Source::Imported`]). An archive record is the
//! station's on-the-hour minute without the minute's rain: its `PRE_1h` is the sum of that
//! hour's minute `PRE` by construction, it is missing exactly when that minute was lost, and a
//! central that already holds the minute sees the archive's record as a duplicate.

use super::History;
use super::driver::{self, Driver, DriverError};
use super::outage::OutageKind;
use super::station::StationModel;
use super::timemap::HourFrame;
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::{Element, Network, Observation, Source, StationKind, Timestamp};

/// One record a station sends: which station, which minute, live, late or archived. The
/// values are generated when it is sent (they are a pure function of station and minute), so
/// a queue of deliveries costs a few bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delivery {
    /// Index into [`Simulator::stations`].
    pub station: usize,
    /// Observation time (end of the minute; a full hour for the archive).
    pub time: Timestamp,
    /// `Live`; `Backfilled` when sent after a communication outage; `Imported` for an hour of
    /// the archive (hourly elements only, see [`Simulator::archive`]).
    pub source: Source,
}

/// What became of one station-minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinuteFate {
    /// Sent as it happened.
    Live,
    /// Measured, sent late at `sent_at` (end of a communication outage).
    Delayed {
        /// When the backlog goes out.
        sent_at: Timestamp,
    },
    /// Never measured (power or sensor outage).
    Lost,
}

/// The simulated network over the shared driver.
#[derive(Debug, Clone)]
pub struct Simulator {
    driver: &'static Driver,
    stations: Vec<StationModel>,
}

impl Simulator {
    /// Simulates every station of `network` over the shipped Guangzhou driver (parsed on
    /// first use).
    pub fn new(network: &Network) -> Result<Self, DriverError> {
        let driver = driver::guangzhou()?;
        // Rain-field coordinates start at the national station, or the first station.
        let origin = network
            .stations
            .iter()
            .find(|s| s.kind == StationKind::National)
            .or_else(|| network.stations.first())
            .map_or((0.0, 0.0), |s| (s.location.lat, s.location.lon));
        let stations = network
            .stations
            .iter()
            .map(|s| StationModel::new(s, origin))
            .collect();
        Ok(Self { driver, stations })
    }

    /// The stations, in network order.
    pub fn stations(&self) -> &[StationModel] {
        &self.stations
    }

    /// The driver in use.
    pub fn driver(&self) -> &'static Driver {
        self.driver
    }

    /// What station `station` measured in the minute ending at `time`, labelled `source`;
    /// `None` if the minute was lost or `station` is out of range. An `Imported` record is the
    /// archive's: the minute less its `PRE`.
    pub fn observe(&self, station: usize, time: Timestamp, source: Source) -> Option<Observation> {
        self.observe_in(&HourFrame::at(time), station, time, source)
    }

    fn observe_in(
        &self,
        frame: &HourFrame,
        station: usize,
        time: Timestamp,
        source: Source,
    ) -> Option<Observation> {
        let model = self.stations.get(station)?;
        let mut values = model.measure(self.driver, frame, time)?;
        if source == Source::Imported {
            // An archive holds hourly elements: the hour's rain is `PRE_1h`.
            values.remove(&Element::Pre);
        }
        Some(Observation {
            station: model.id.clone(),
            time,
            source,
            values,
        })
    }

    /// The observation a delivery stands for.
    pub fn delivery(&self, delivery: Delivery) -> Option<Observation> {
        self.observe(delivery.station, delivery.time, delivery.source)
    }

    /// The observations of many deliveries, in their order; the hour frame is shared by
    /// consecutive deliveries of the same minute (the usual case: they come grouped by minute).
    pub fn observations(&self, deliveries: &[Delivery]) -> Vec<Observation> {
        let mut frame: Option<(Timestamp, HourFrame)> = None;
        deliveries
            .iter()
            .filter_map(|d| {
                let current = match frame {
                    Some((time, f)) if time == d.time => f,
                    _ => {
                        let f = HourFrame::at(d.time);
                        frame = Some((d.time, f));
                        f
                    }
                };
                self.observe_in(&current, d.station, d.time, d.source)
            })
            .collect()
    }

    /// What became of station `station`'s minute `time`.
    pub fn fate(&self, station: usize, time: Timestamp) -> MinuteFate {
        let Some(model) = self.stations.get(station) else {
            return MinuteFate::Lost;
        };
        match model.outages.at(time) {
            None => MinuteFate::Live,
            Some(o) if o.kind == OutageKind::Comms => MinuteFate::Delayed { sent_at: o.end },
            Some(_) => MinuteFate::Lost,
        }
    }

    /// Everything the stations send at minute `now`: each reporting station's live minute,
    /// preceded by the backlog of any communication outage that ends now.
    pub fn deliveries_at(&self, now: Timestamp) -> Vec<Delivery> {
        let mut out = Vec::with_capacity(self.stations.len());
        for (station, model) in self.stations.iter().enumerate() {
            if let Some(outage) = model.outages.ending_at(now)
                && outage.kind == OutageKind::Comms
            {
                let minutes = (outage.end.0 - outage.start.0) / MINUTE_MS;
                out.extend((0..minutes).map(|k| Delivery {
                    station,
                    time: outage.start.plus_ms(k * MINUTE_MS),
                    source: Source::Backfilled,
                }));
            }
            if self.fate(station, now) == MinuteFate::Live {
                out.push(Delivery {
                    station,
                    time: now,
                    source: Source::Live,
                });
            }
        }
        out
    }

    /// Everything about minutes in `(from, to]` that the stations have sent by `to`, in time
    /// order: what a central that had been listening all along would hold.
    pub fn history(&self, from: Timestamp, to: Timestamp) -> Vec<Delivery> {
        let first = from.floor(MINUTE_MS).plus_ms(MINUTE_MS);
        let minutes = (to.floor(MINUTE_MS).0 - first.0) / MINUTE_MS + 1;
        let mut out = Vec::with_capacity((minutes.max(0) as usize) * self.stations.len());
        for k in 0..minutes {
            let time = first.plus_ms(k * MINUTE_MS);
            for station in 0..self.stations.len() {
                let source = match self.fate(station, time) {
                    MinuteFate::Live => Source::Live,
                    MinuteFate::Delayed { sent_at } if sent_at <= to => Source::Backfilled,
                    MinuteFate::Delayed { .. } | MinuteFate::Lost => continue,
                };
                out.push(Delivery {
                    station,
                    time,
                    source,
                });
            }
        }
        out
    }

    /// The hourly archive of `(from, to]`, oldest first: every station's record on each full
    /// hour in it ([`Source::Imported`]), except the hours whose on-the-hour minute was lost.
    /// A communication outage leaves no hole: the logger kept measuring, and an archive is
    /// compiled after the fact.
    pub fn archive(&self, from: Timestamp, to: Timestamp) -> Vec<Delivery> {
        let first = from.floor(HOUR_MS).plus_ms(HOUR_MS);
        let hours = ((to.floor(HOUR_MS).0 - first.0) / HOUR_MS + 1).max(0);
        let mut out = Vec::with_capacity(hours as usize * self.stations.len());
        for k in 0..hours {
            let time = first.plus_ms(k * HOUR_MS);
            out.extend(
                (0..self.stations.len())
                    .filter(|&station| self.fate(station, time) != MinuteFate::Lost)
                    .map(|station| Delivery {
                        station,
                        time,
                        source: Source::Imported,
                    }),
            );
        }
        out
    }

    /// What a start at `now` (a whole minute) sends before the live minutes, in the order a
    /// central should receive it: the archive, oldest first, then the minute backfill.
    pub fn past(&self, history: History, now: Timestamp) -> Vec<Delivery> {
        let backfill_from = history.backfill_from(now);
        let mut out = self.archive(history.archive_from(now), backfill_from);
        out.extend(self.history(backfill_from, now));
        out
    }
}

#[cfg(test)]
mod archive_tests;
#[cfg(test)]
mod tests;
