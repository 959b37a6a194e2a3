//! What a bench run was asked for: `cargo bench --bench NAME -- [filter …]` picks the
//! measurements whose names contain a filter (all without one); `WXDESK_BENCH_DAYS` sets the
//! span. Shared by the benches through `#[path]`.

/// The filters named on the command line.
pub struct Wanted(Vec<String>);

impl Wanted {
    /// From the process's arguments (flags such as `--bench` ignored).
    pub fn from_args() -> Self {
        Self(
            std::env::args()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .collect(),
        )
    }

    /// Whether the measurement `name` runs.
    pub fn wants(&self, name: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|f| name.contains(f.as_str()))
    }
}

/// `WXDESK_BENCH_DAYS`, or `default`.
pub fn days(default: i64) -> i64 {
    std::env::var("WXDESK_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(default)
}
