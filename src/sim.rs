//! The station simulator: one-minute observations for Qingliu's 16 stations, driven by six
//! years of real hourly weather (Guangzhou 2010–2015, UCI, CC BY 4.0) shifted to the present.
//!
//! ```text
//!  driver (hourly CSV, parsed once) ─▶ timemap (present hour → data hour)
//!        │                                  │
//!        ▼                                  ▼
//!  station (lapse, barometric formula, RH, wind exposure, rain field, GST, VIS) ◀─ noise (hashes)
//!        │                                  outage (who is silent, what comes late)
//!        ▼
//!  simulator (deliveries: who sends what when) ─▶ runner (outbox, retries) ─▶ sink (HTTP, channel)
//! ```
//!
//! Every value is a pure function of (station, minute) — hashes, never a global random state —
//! so a restarted simulator re-sends exactly what it sent before, and the central, which is
//! idempotent and refuses conflicting values, accepts the repeats as duplicates. The flip side:
//! a change to the model changes the values of minutes a central already holds.
//!
//! A start sends the past first ([`History`]): an hourly archive (a year by default), as a
//! bureau's imported archive holds it, then the last week's minutes, then each minute as it
//! ends. An archive record is the station's own on-the-hour minute less the minute's rain
//! (`PRE`; the hour's is `PRE_1h`), so archive and minutes agree about every instant wherever a
//! restart moves the boundary between them.

pub mod driver;
pub mod garden_physics;
pub mod gardens;
pub mod mqtt_device;
pub mod noise;
pub mod outage;
pub mod physics;
pub mod rain;
pub mod relay_history;
pub mod relay_responder;
pub mod runner;
pub mod simulator;
pub mod sink;
pub mod station;
pub mod timemap;

use std::time::Duration;

pub use driver::{Driver, DriverError};
pub use runner::{RunSummary, run};
pub use simulator::{Delivery, MinuteFate, Simulator};
pub use sink::{ChannelSink, HttpSink, ObservationSink, SinkError};

use crate::domain::network::CatalogError;
use crate::domain::time::{DAY_MS, HOUR_MS};
use crate::domain::{Network, Timestamp};

/// Credit for the driver data, for the about box (Chinese).
pub const DRIVER_ATTRIBUTION_ZH: &str = "模拟站点数据（近一年逐时资料、最近一周逐分钟资料）\
     由广州 2010–2015 年逐时实测天气驱动\
     （UCI 机器学习库“PM2.5 Data of Five Chinese Cities”，Liang 等，CC BY 4.0），\
     平移至当前时间并按各站海拔订正。";
/// Credit for the driver data, for the about box (English).
pub const DRIVER_ATTRIBUTION_EN: &str = "Simulated station data (an hourly archive for the \
     last year, minutes for the last week) is driven by real hourly weather at Guangzhou, \
     2010–2015 (UCI Machine Learning Repository, \"PM2.5 Data of Five Chinese Cities\", Liang \
     et al., CC BY 4.0), shifted to the present and adjusted to each station's altitude.";

/// How much of the past a start sends before the live minutes. Bureaus keep long archives at
/// hourly resolution and the recent feed by the minute, and so does the simulator: the
/// archive's hours come first, oldest first, then the backfill's minutes up to the start.
///
/// ```text
///  ──(archive_days × 24 hourly records)──┬──(backfill_hours of minutes)──┬── live minutes ─▶
///                                archive ends here               the start (now)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    /// Days of hourly records ([`crate::domain::Source::Imported`]) before the minute backfill;
    /// 0 for none.
    pub archive_days: u32,
    /// Hours of one-minute records up to the start (also how far back a clock jump replays).
    pub backfill_hours: u32,
}

impl History {
    /// One-minute records only, no archive.
    pub const fn minutes(backfill_hours: u32) -> Self {
        Self {
            archive_days: 0,
            backfill_hours,
        }
    }

    /// Where the minute backfill of a start at `now` begins: it covers `(from, now]`.
    pub fn backfill_from(self, now: Timestamp) -> Timestamp {
        now.plus_ms(-i64::from(self.backfill_hours) * HOUR_MS)
    }

    /// Where the archive of a start at `now` begins: it covers `(from, backfill_from]`.
    pub fn archive_from(self, now: Timestamp) -> Timestamp {
        self.backfill_from(now)
            .plus_ms(-i64::from(self.archive_days) * DAY_MS)
    }
}

/// How the simulator runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Stations to simulate.
    pub network: Network,
    /// What a start sends of the past, so charts and history are full from the start.
    pub history: History,
    /// Records per POST.
    pub batch_size: usize,
    /// Records the outbox holds, besides the history planned at the start, while the central is
    /// unreachable before dropping the oldest.
    pub max_pending: usize,
    /// First wait after a failed send.
    pub retry_initial: Duration,
    /// Longest wait between retries.
    pub retry_max: Duration,
    /// Longest sleep before the clock is read again.
    pub poll: Duration,
}

impl SimConfig {
    /// Defaults for `network`: batches of 2000, a week of pending records (16 stations) beyond
    /// the start's history, retries from 1 s doubling to 60 s.
    pub fn new(network: Network, history: History) -> Self {
        Self {
            network,
            history,
            batch_size: 2000,
            max_pending: 7 * 24 * 60 * 16,
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            poll: Duration::from_secs(5),
        }
    }

    /// Defaults for the shipped Qingliu network.
    pub fn qingliu(history: History) -> Result<Self, CatalogError> {
        Ok(Self::new(crate::assets::qingliu_network()?, history))
    }
}

/// Why the simulator cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The driver data is unusable.
    #[error("simulator driver: {0}")]
    Driver(#[from] DriverError),
    /// The station catalogue is unusable.
    #[error("station catalogue: {0}")]
    Catalog(#[from] CatalogError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Runs `wxdesk sim`: feeds the central named in `args` until Ctrl-C.
pub fn run_blocking(args: &crate::cli::SimArgs) -> anyhow::Result<()> {
    let config = SimConfig::qingliu(History {
        archive_days: args.archive_days,
        backfill_hours: args.backfill_hours,
    })?;
    let roots = match &args.ca_cert {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("reading the CA certificate {}: {e}", path.display())
            })?;
            reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| anyhow::anyhow!("{} is not a PEM certificate: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    let key = crate::domain::access::Secret::new(args.device_key.trim());
    let sink = HttpSink::new(&args.central, &key, roots).map_err(SimError::from)?;
    tracing::info!(
        url = sink.url(),
        archive_days = args.archive_days,
        backfill_hours = args.backfill_hours,
        "simulator starting"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let shutdown = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C ({error}); stop the process to end");
            std::future::pending::<()>().await;
        }
    };
    runtime.block_on(run(
        config,
        sink,
        crate::domain::time::system_clock(),
        shutdown,
    ))?;
    Ok(())
}
