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
//!  simulator (deliveries: who sends what when)
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
pub mod simulator;
pub mod station;
pub mod timemap;

pub use driver::{Driver, DriverError};
pub use simulator::{Delivery, MinuteFate, Simulator};

/// Credit for the driver data, for the about box (Chinese).
pub const DRIVER_ATTRIBUTION_ZH: &str = "模拟站点数据由广州 2010–2015 年逐时实测天气驱动\
     （UCI 机器学习库“PM2.5 Data of Five Chinese Cities”，Liang 等，CC BY 4.0），\
     平移至当前时间并按各站海拔订正。";
/// Credit for the driver data, for the about box (English).
pub const DRIVER_ATTRIBUTION_EN: &str = "Simulated station data is driven by real hourly \
     weather at Guangzhou, 2010–2015 (UCI Machine Learning Repository, \"PM2.5 Data of Five \
     Chinese Cities\", Liang et al., CC BY 4.0), shifted to the present and adjusted to each \
     station's altitude.";

/// Runs `wxdesk sim` until interrupted.
pub fn run_blocking(central: &str, backfill_hours: u32) -> anyhow::Result<()> {
    let _ = (central, backfill_hours);
    anyhow::bail!("simulator runner not yet built")
}
