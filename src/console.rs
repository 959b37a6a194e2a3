//! The duty console: an egui window over an in-memory [`state::AppState`], fed by a
//! [`backend`] thread that syncs a local cache with the central.

pub mod alarm;
pub mod app;
pub mod backend;
pub mod messages;
pub mod state;
pub mod ui;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;

use crate::console::app::App;
use crate::console::backend::sync::SyncSettings;
use crate::console::backend::{BackendConfig, Link, Waker};
use crate::console::ui::ViewConfig;
use crate::console::ui::i18n::Language;
use crate::domain::time::system_clock;

/// The name the embedded central's session is remembered under (its URL changes each start).
const EMBEDDED_IDENTITY: &str = "embedded";

/// The file in the config directory that remembers the view across restarts.
const VIEW_SETTINGS_FILE: &str = "view.json";

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
    /// Directory for the remembered session (0600 files) and login defaults.
    pub config_dir: PathBuf,
    /// A bureau's CA certificate (PEM) to trust besides the system's roots.
    pub ca_cert: Option<PathBuf>,
    /// Where exports (the audit log as CSV) are written.
    pub export_dir: PathBuf,
}

impl ConsoleOptions {
    /// Options from the command line, with the platform's per-user directories.
    pub fn from_cli(server: Option<String>, ca_cert: Option<PathBuf>, language: Language) -> Self {
        let dirs = directories::ProjectDirs::from("cn", "qxj", "wxdesk");
        let fallback = std::env::temp_dir().join("wxdesk");
        let user = directories::UserDirs::new();
        let export_dir = user
            .as_ref()
            .and_then(|u| {
                u.document_dir()
                    .or_else(|| u.download_dir())
                    .map(PathBuf::from)
            })
            .or_else(|| user.as_ref().map(|u| u.home_dir().to_owned()))
            .unwrap_or_else(|| fallback.clone());
        Self {
            server,
            language,
            ca_cert,
            export_dir,
            config_dir: dirs
                .as_ref()
                .map_or_else(|| fallback.join("config"), |d| d.config_dir().to_owned()),
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
    let clock = system_clock();
    let embedded = match &options.server {
        Some(_) => None,
        None => Some(
            crate::embedded::start(&options.data_dir, clock.clone())
                .context("starting the embedded central")?,
        ),
    };
    let (server, cache_file) = match (&options.server, &embedded) {
        (Some(url), _) => (url.clone(), cache_file_name(url)),
        (None, Some(embedded)) => (embedded.url().to_owned(), "embedded.sqlite".to_owned()),
        (None, None) => anyhow::bail!("no central to connect to"),
    };
    tracing::info!(%server, cache = %options.cache_dir.join(&cache_file).display(), "console starting");

    // The window's egui context exists only once eframe has started; the backend may deliver
    // events before that, and the first frame drains them anyway.
    let repaint: Arc<OnceLock<egui::Context>> = Arc::default();
    let waker: Waker = {
        let repaint = Arc::clone(&repaint);
        Arc::new(move || {
            if let Some(ctx) = repaint.get() {
                ctx.request_repaint();
            }
        })
    };
    let ca_cert = match &options.ca_cert {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("reading the CA certificate {}", path.display()))?,
        None => Vec::new(),
    };
    let (link, ends) = Link::pair();
    let central_identity = if embedded.is_some() {
        EMBEDDED_IDENTITY.to_owned()
    } else {
        server.clone()
    };
    let config = BackendConfig {
        server,
        central_identity,
        cache_path: options.cache_dir.join(cache_file),
        sync: SyncSettings::default(),
        credentials_dir: Some(options.config_dir.clone()),
        use_keyring: true,
        ca_cert,
        export_dir: options.export_dir.clone(),
    };
    let backend = backend::spawn(config, ends, clock.clone(), waker)
        .context("starting the backend thread")?;

    let language = options.language;
    let settings_file = options.config_dir.join(VIEW_SETTINGS_FILE);
    let notices = embedded
        .as_ref()
        .map(|e| e.notices().to_vec())
        .unwrap_or_default();
    let view = ViewConfig {
        simulated: embedded.is_some(),
    };
    let first_admin = embedded
        .as_ref()
        .and_then(|e| e.first_admin_password().cloned());
    let result = eframe::run_native(
        app::WINDOW_TITLE,
        app::native_options(),
        Box::new(move |cc| {
            let _ = repaint.set(cc.egui_ctx.clone());
            Ok(Box::new(
                App::new(cc, link, clock, language)
                    .with_view_config(view)
                    .with_notices(notices)
                    .with_first_admin(first_admin)
                    .with_settings_file(settings_file)
                    .with_alarm(alarm::Alarm::audible()),
            ))
        }),
    );
    // Stop the backend before the central it talks to.
    drop(backend);
    drop(embedded);
    result.map_err(|e| anyhow::anyhow!("the window failed: {e}"))
}

/// The cache file for a remote central: one per URL, so switching centrals never mixes data.
fn cache_file_name(server: &str) -> String {
    // FNV-1a: stable across runs and platforms (std's hasher is randomly seeded).
    let hash = server
        .trim_end_matches('/')
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("central-{hash:016x}.sqlite")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_files_are_per_central_and_stable() {
        let a = cache_file_name("https://qxj.example:8443");
        assert_eq!(a, cache_file_name("https://qxj.example:8443/"));
        assert_ne!(a, cache_file_name("https://other.example:8443"));
        assert!(a.starts_with("central-") && a.ends_with(".sqlite"));
    }
}
