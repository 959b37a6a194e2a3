//! The duty console: an egui window over an in-memory [`state::AppState`], fed by a
//! [`backend`] thread that syncs a local cache with the central.

pub mod app;
pub mod backend;
pub mod messages;
pub mod state;
pub mod ui;

use std::path::PathBuf;

use crate::cli::Language;

/// How the console starts.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// The central's base URL; `None` starts the embedded default.
    pub server: Option<String>,
    /// Interface language at start.
    pub language: Language,
    /// Directory for the console's cache database.
    pub cache_dir: PathBuf,
    /// Directory for the embedded central's database.
    pub data_dir: PathBuf,
}

impl ConsoleOptions {
    /// Options from the command line, with the platform's per-user directories.
    pub fn from_cli(server: Option<String>, language: Language) -> Self {
        let dirs = directories::ProjectDirs::from("cn", "qxj", "wxdesk");
        let fallback = std::env::temp_dir().join("wxdesk");
        Self {
            server,
            language,
            cache_dir: dirs
                .as_ref()
                .map_or_else(|| fallback.join("cache"), |d| d.cache_dir().to_owned()),
            data_dir: dirs
                .as_ref()
                .map_or_else(|| fallback.join("data"), |d| d.data_dir().to_owned()),
        }
    }
}

/// Starts the console (and the embedded central when no server is given) and runs the window
/// until it is closed.
pub fn run(options: &ConsoleOptions) -> anyhow::Result<()> {
    let _ = options;
    anyhow::bail!("console not yet built")
}
