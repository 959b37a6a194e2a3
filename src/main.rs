//! The `wxdesk` binary: parse the command line and start what it names.

use std::process::ExitCode;

use clap::Parser as _;
use wxdesk::central::TlsFiles;
use wxdesk::cli::{CentralCommand, Cli, Command};

fn main() -> anyhow::Result<ExitCode> {
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
    let mut out = std::io::stdout().lock();
    match cli.command {
        None => {
            let options =
                wxdesk::console::ConsoleOptions::from_cli(cli.server, cli.ca_cert, cli.lang.into());
            wxdesk::console::run(&options)?;
        }
        Some(Command::Central { command }) => match command {
            CentralCommand::Serve {
                listen,
                db,
                tls_cert,
                tls_key,
            } => {
                let tls = tls_cert
                    .zip(tls_key)
                    .map(|(cert, key)| TlsFiles { cert, key });
                wxdesk::central::serve_blocking(listen, &db, tls)?;
            }
            CentralCommand::AuditVerify { db } => {
                if !wxdesk::central::maintenance::audit_verify(&db, &mut out)? {
                    return Ok(ExitCode::FAILURE);
                }
            }
            CentralCommand::DeviceKey { db, name } => {
                wxdesk::central::maintenance::issue_device_key(&db, &name, &mut out)?;
            }
            CentralCommand::ResetPassword { db, user } => {
                wxdesk::central::maintenance::reset_password(&db, &user, &mut out)?;
            }
            CentralCommand::Import {
                db,
                format,
                element,
                file,
            } => {
                let query = wxdesk::protocol::ImportQuery {
                    format,
                    element,
                    name: None,
                };
                wxdesk::central::maintenance::import(&db, &query, &file, &mut out)?;
            }
        },
        Some(Command::Sim(args)) => wxdesk::sim::run_blocking(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}
