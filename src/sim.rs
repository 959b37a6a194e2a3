//! The station simulator: one-minute observations for Qingliu's 16 stations, driven by six
//! years of real hourly weather (Guangzhou 2010–2015, UCI, CC BY 4.0) shifted to the present.

/// Runs `wxdesk sim` until interrupted.
pub fn run_blocking(central: &str, backfill_hours: u32) -> anyhow::Result<()> {
    let _ = (central, backfill_hours);
    anyhow::bail!("simulator not yet built")
}
