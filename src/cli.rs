//! The command line: `wxdesk` (console on the embedded default), `wxdesk --server URL`,
//! `wxdesk central serve|audit-verify|device-key|reset-password|import|backup|restore|mqtt-acl`,
//! `wxdesk sim`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::console::ui::i18n::Language;

/// wxdesk — the duty console of a county meteorological bureau.
#[derive(Debug, Parser)]
#[command(name = "wxdesk", version, about, long_about = None)]
pub struct Cli {
    /// Central to use, e.g. `https://qxj.example:8443`. Without it, a central and a station
    /// simulator start in-process on 127.0.0.1 with data under the user's data directory.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// Also trust this CA certificate (PEM) for an `https` central: a bureau's own CA. The
    /// system's trusted roots are always trusted.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,

    /// Interface language.
    #[arg(long, value_enum, default_value_t = LanguageArg::Zh)]
    pub lang: LanguageArg,

    /// What to run; the console when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `--lang`: the console's interface language as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LanguageArg {
    /// 简体中文
    #[default]
    Zh,
    /// English
    En,
}

impl From<LanguageArg> for Language {
    fn from(arg: LanguageArg) -> Self {
        match arg {
            LanguageArg::Zh => Self::Zh,
            LanguageArg::En => Self::En,
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run or administer a central server.
    Central {
        /// The audit key's file (created on first start, mode 0600); default: beside the
        /// database, `<db>.audit-key`. Keep it where a copy of the database does not go.
        #[arg(long, global = true, value_name = "FILE")]
        audit_key: Option<PathBuf>,
        /// What to do.
        #[command(subcommand)]
        command: CentralCommand,
    },
    /// Feed a central with simulated one-minute observations for Qingliu's 16 stations.
    Sim(SimArgs),
}

/// `wxdesk central …`
#[derive(Debug, Subcommand)]
pub enum CentralCommand {
    /// Serve the HTTP API (HTTPS with --tls-cert and --tls-key), with its background workers.
    /// Settings come from --config (a `central.toml`, see README); flags override it. On the
    /// first start, prints the first administrator's one-time password.
    Serve {
        /// The configuration file (`central.toml`); a mistake in it stops the start with its
        /// line and reason.
        #[arg(long, value_name = "TOML")]
        config: Option<PathBuf>,
        /// Address to listen on [default: 127.0.0.1:8640, or the file's `listen`].
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// SQLite database file, created if missing [default: wxdesk-central.sqlite, or the
        /// file's `db`].
        #[arg(long)]
        db: Option<PathBuf>,
        /// Certificate chain (PEM, leaf first): serve HTTPS.
        #[arg(long, value_name = "PEM", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// Private key of the certificate (PEM).
        #[arg(long, value_name = "PEM", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Check the audit log's hash chain, its sealed part with the audit key; exits non-zero
    /// naming the first broken entry.
    AuditVerify {
        /// SQLite database file.
        #[arg(long)]
        db: PathBuf,
        /// The audit key's file (default: --audit-key, or the file beside the database).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// A head noted earlier (`SEQ:HASH`, as this command prints it): the log must still
        /// hold it, which catches entries cut from the end.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
    },
    /// Issue a key for a device (a station's logger, `wxdesk sim`), replacing any earlier one.
    DeviceKey {
        /// SQLite database file.
        #[arg(long)]
        db: PathBuf,
        /// The device's name.
        #[arg(long)]
        name: String,
        /// The key may also import (label observations `imported`, post files): for an
        /// archive loader. Without it: live and backfilled only.
        #[arg(long)]
        may_import: bool,
    },
    /// Give a user a new one-time password (e.g. an administrator who lost theirs).
    ResetPassword {
        /// SQLite database file.
        #[arg(long)]
        db: PathBuf,
        /// The user's login name.
        #[arg(long)]
        user: String,
    },
    /// Import an observation file (MICAPS type 1 or 3, CSV) whole, or nothing of it: the same
    /// import as `POST /api/v1/imports`, without its size limit.
    Import {
        /// SQLite database file.
        #[arg(long)]
        db: PathBuf,
        /// The file's format (`micaps1`, `micaps3`, `csv`); detected when omitted.
        #[arg(long)]
        format: Option<String>,
        /// The element of a MICAPS type 3 file's values when its title does not say
        /// (comma-separated for several value columns), e.g. `PRE_24h`.
        #[arg(long)]
        element: Option<String>,
        /// The file.
        file: PathBuf,
    },
    /// Write a consistent, verified copy of the database to FILE, while the central serves and
    /// writes it; prints its size and the change it reaches.
    Backup {
        /// SQLite database file.
        #[arg(long)]
        db: PathBuf,
        /// The backup file to write (must not exist).
        file: PathBuf,
    },
    /// Write the MQTT broker's password and ACL files (`[mqtt] acl_dir`) for the registry's
    /// MQTT devices, each device's password derived from `[mqtt]`'s device secret; then
    /// `systemctl reload mosquitto`. Prints where it wrote, never a password.
    MqttAcl {
        /// The central's configuration file, with its `[mqtt]` section.
        #[arg(long, value_name = "TOML")]
        config: PathBuf,
        /// The central's database, whose registry says which devices exist (read only).
        #[arg(long, required_unless_present = "devices", conflicts_with = "devices")]
        db: Option<PathBuf>,
        /// Or the devices as JSON (`{"devices": [...]}`, as assets/devices/simulated.json).
        #[arg(long, value_name = "JSON")]
        devices: Option<PathBuf>,
        /// Write here instead of `[mqtt] acl_dir`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Put a backup in the database's place (stop the central first). The backup is verified
    /// first, the old database is moved aside, and the restored one gets a new identity so
    /// every desk re-syncs from it.
    Restore {
        /// SQLite database file to replace.
        #[arg(long)]
        db: PathBuf,
        /// The backup file.
        backup: PathBuf,
    },
}

/// `wxdesk sim …`
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Central to post to, e.g. `http://127.0.0.1:8640`.
    #[arg(long, value_name = "URL")]
    pub central: String,
    /// The device key the central issued for this simulator (`wxdesk central device-key
    /// --may-import`: its archive is labelled imported).
    #[arg(
        long,
        env = "WXDESK_DEVICE_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub device_key: String,
    /// Also trust this CA certificate (PEM) for an `https` central.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Days of hourly history (an archive, as if imported) to send first, before the minutes;
    /// 0 for none.
    #[arg(long, default_value_t = 365, value_name = "DAYS")]
    pub archive_days: u32,
    /// Hours of one-minute history to send after the archive, so charts are full from the
    /// start.
    #[arg(long, default_value_t = 7 * 24, value_name = "HOURS")]
    pub backfill_hours: u32,
}
