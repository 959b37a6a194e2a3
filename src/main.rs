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
                wxdesk::console::ConsoleOptions::from_cli(cli.server, cli.ca_cert, cli.lang);
            wxdesk::console::run(&options)?;
        }
        Some(Command::Central { audit_key, command }) => match command {
            CentralCommand::Serve {
                listen,
                db,
                tls_cert,
                tls_key,
            } => {
                let tls = tls_cert
                    .zip(tls_key)
                    .map(|(cert, key)| TlsFiles { cert, key });
                wxdesk::central::serve_blocking(listen, &db, tls, audit_key)?;
            }
            CentralCommand::AuditVerify {
                db,
                key,
                expect_head,
            } => {
                let options = wxdesk::central::maintenance::VerifyOptions {
                    key: key.or(audit_key),
                    expect_head,
                };
                if !wxdesk::central::maintenance::audit_verify(&db, &options, &mut out)? {
                    return Ok(ExitCode::FAILURE);
                }
            }
            CentralCommand::DeviceKey {
                db,
                name,
                may_import,
            } => {
                let claims = wxdesk::domain::access::DeviceClaims { may_import };
                let key = audit_key.as_deref();
                wxdesk::central::maintenance::issue_device_key(&db, key, &name, claims, &mut out)?;
            }
            CentralCommand::ResetPassword { db, user } => {
                let key = audit_key.as_deref();
                wxdesk::central::maintenance::reset_password(&db, key, &user, &mut out)?;
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
                let key = audit_key.as_deref();
                wxdesk::central::maintenance::import(&db, key, &query, &file, &mut out)?;
            }
            CentralCommand::Backup { db, file } => {
                wxdesk::central::backup::backup(&db, &file, &mut out)?;
            }
            CentralCommand::Restore { db, backup } => {
                wxdesk::central::backup::restore(&db, &backup, &mut out)?;
            }
        },
        Some(Command::Sim(args)) => wxdesk::sim::run_blocking(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}
