//! The `wxdesk` binary: parse the command line and start what it names.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use tracing_subscriber::fmt::writer::MakeWriterExt as _;
use wxdesk::central::TlsFiles;
use wxdesk::central::config::{self, LogSection, Overrides, ServeSettings};
use wxdesk::central::logfiles::RotatingLog;
use wxdesk::cli::{CentralCommand, Cli, Command};

fn main() -> anyhow::Result<ExitCode> {
    // reqwest is built without a default TLS provider; choose ring before any client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    // A central's settings are read before logging starts: they say where the log goes.
    let serve = match &cli.command {
        Some(Command::Central {
            audit_key,
            command:
                CentralCommand::Serve {
                    config,
                    listen,
                    db,
                    tls_cert,
                    tls_key,
                },
        }) => Some(serve_settings(
            config.as_deref(),
            Overrides {
                listen: *listen,
                db: db.clone(),
                tls: tls_cert
                    .clone()
                    .zip(tls_key.clone())
                    .map(|(cert, key)| TlsFiles { cert, key }),
                audit_key: audit_key.clone(),
            },
        )?),
        _ => None,
    };
    init_logging(serve.as_ref().and_then(|s| s.log.as_ref()))?;
    let mut out = std::io::stdout().lock();
    match cli.command {
        None => {
            let options =
                wxdesk::console::ConsoleOptions::from_cli(cli.server, cli.ca_cert, cli.lang.into());
            wxdesk::console::run(&options)?;
        }
        Some(Command::Central { audit_key, command }) => match command {
            CentralCommand::Serve { .. } => {
                if let Some(settings) = serve {
                    wxdesk::central::serve_blocking(settings)?;
                }
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
            CentralCommand::MqttAcl {
                config,
                db,
                devices,
                out: dir,
            } => {
                use wxdesk::central::devices::mqtt::{DeviceSource, mqtt_acl};
                let source = match (db, devices) {
                    (Some(db), _) => DeviceSource::Database(db),
                    (None, Some(file)) => DeviceSource::File(file),
                    (None, None) => anyhow::bail!("give --db or --devices"),
                };
                mqtt_acl(&config, &source, dir, &mut out)?;
            }
        },
        Some(Command::Sim(args)) => wxdesk::sim::run_blocking(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The file (if any) merged with the flags; a mistake in the file names its line.
fn serve_settings(
    file: Option<&std::path::Path>,
    overrides: Overrides,
) -> anyhow::Result<ServeSettings> {
    let file = file.map(config::load).transpose()?;
    ServeSettings::merge(file, overrides).map_err(anyhow::Error::msg)
}

/// Logs to standard error, and also to rotating files when `[log]` says so.
fn init_logging(files: Option<&LogSection>) -> anyhow::Result<()> {
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,wgpu=warn,eframe=warn".into())
    };
    match files {
        None => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
        Some(log) => {
            let clock = wxdesk::domain::time::system_clock();
            let files = RotatingLog::new(log.dir.clone(), log.rotation, log.keep.get(), clock)
                .with_context(|| format!("opening the log folder {}", log.dir.display()))?;
            tracing_subscriber::fmt()
                .with_env_filter(filter())
                .with_ansi(false)
                .with_writer(std::io::stderr.and(files))
                .init();
        }
    }
    Ok(())
}
