//! The command line: `wxdesk` (console on the embedded default), `wxdesk --server URL`,
//! `wxdesk central serve`, `wxdesk sim`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// wxdesk — the duty console of a county meteorological bureau.
#[derive(Debug, Parser)]
#[command(name = "wxdesk", version, about, long_about = None)]
pub struct Cli {
    /// Central to use, e.g. `https://qxj.example:8443`. Without it, a central and a station
    /// simulator start in-process on 127.0.0.1 with data under the user's data directory.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// Interface language.
    #[arg(long, value_enum, default_value_t = Language::Zh)]
    pub lang: Language,

    /// What to run; the console when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Language {
    /// 简体中文
    #[default]
    Zh,
    /// English
    En,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run or administer a central server.
    Central {
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
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8640")]
        listen: SocketAddr,
        /// SQLite database file (created if missing).
        #[arg(long, default_value = "wxdesk-central.sqlite")]
        db: PathBuf,
    },
}

/// `wxdesk sim …`
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Central to post to, e.g. `http://127.0.0.1:8640`.
    #[arg(long, value_name = "URL")]
    pub central: String,
    /// Hours of history to send first, so charts are full from the start.
    #[arg(long, default_value_t = 24)]
    pub backfill_hours: u32,
}
