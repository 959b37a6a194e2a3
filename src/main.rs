//! The `wxdesk` binary: parse the command line and start what it names.

use clap::Parser as _;
use wxdesk::cli::{CentralCommand, Cli, Command};

fn main() -> anyhow::Result<()> {
    // reqwest is built without a default TLS provider; choose ring before any client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,wgpu=warn,eframe=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => wxdesk::console::run(&wxdesk::console::ConsoleOptions::from_cli(
            cli.server, cli.lang,
        )),
        Some(Command::Central {
            command: CentralCommand::Serve { listen, db },
        }) => wxdesk::central::serve_blocking(listen, &db),
        Some(Command::Sim(args)) => wxdesk::sim::run_blocking(&args.central, args.backfill_hours),
    }
}
