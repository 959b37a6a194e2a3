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

pub mod driver;
pub mod noise;
pub mod outage;
pub mod physics;
pub mod rain;
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

use crate::domain::Network;
use crate::domain::network::CatalogError;

/// Credit for the driver data, for the about box (Chinese).
pub const DRIVER_ATTRIBUTION_ZH: &str = "模拟站点数据由广州 2010–2015 年逐时实测天气驱动\
     （UCI 机器学习库“PM2.5 Data of Five Chinese Cities”，Liang 等，CC BY 4.0），\
     平移至当前时间并按各站海拔订正。";
/// Credit for the driver data, for the about box (English).
pub const DRIVER_ATTRIBUTION_EN: &str = "Simulated station data is driven by real hourly \
     weather at Guangzhou, 2010–2015 (UCI Machine Learning Repository, \"PM2.5 Data of Five \
     Chinese Cities\", Liang et al., CC BY 4.0), shifted to the present and adjusted to each \
     station's altitude.";

/// How the simulator runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Stations to simulate.
    pub network: Network,
    /// Hours of history sent first, so charts are full from the start.
    pub backfill_hours: u32,
    /// Records per POST.
    pub batch_size: usize,
    /// Records the outbox holds while the central is unreachable before dropping the oldest.
    pub max_pending: usize,
    /// First wait after a failed send.
    pub retry_initial: Duration,
    /// Longest wait between retries.
    pub retry_max: Duration,
    /// Longest sleep before the clock is read again.
    pub poll: Duration,
}

impl SimConfig {
    /// Defaults for `network`: batches of 2000, a week of pending records (16 stations), retries
    /// from 1 s doubling to 60 s.
    pub fn new(network: Network, backfill_hours: u32) -> Self {
        Self {
            network,
            backfill_hours,
            batch_size: 2000,
            max_pending: 7 * 24 * 60 * 16,
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            poll: Duration::from_secs(5),
        }
    }

    /// Defaults for the shipped Qingliu network.
    pub fn qingliu(backfill_hours: u32) -> Result<Self, CatalogError> {
        Ok(Self::new(crate::assets::qingliu_network()?, backfill_hours))
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
    let config = SimConfig::qingliu(args.backfill_hours)?;
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
