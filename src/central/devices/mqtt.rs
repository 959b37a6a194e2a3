//! Devices' telemetry over MQTT, through the bureau's Mosquitto broker.
//!
//! ```text
//! device ──CONNECT (id, derived password, will)──▶ Mosquitto ◀── bridge (persistent session)
//!   …/{id}/state      retained  online / will: offline ─────────▶ Presence channel
//!   …/{id}/telemetry  `QoS` 1     readings, health, backfill ─────▶ Arrival ─▶ store ─▶ PUBACK
//!   …/{id}/commands   `QoS` 1     reserved (relay commands) ◀───── central
//! ```
//!
//! - [`crate::protocol::mqtt`]: the topics and JSON payloads (documented there; the simulated
//!   devices encode with the same code, so it lives where `sim` may use it).
//! - [`credentials`]: device passwords derived from one secret, and the broker's
//!   `password_file` and `acl_file` written from the registry (`wxdesk central mqtt-acl`).
//! - [`settings`]: `[mqtt]` of `central.toml`.
//! - [`bridge`]: the `mqtt` worker, its [`bridge::Presence`] events and its
//!   [`bridge::BrokerLink`] state.
//!
//! ## Why generated files, not the dynamic-security plugin
//!
//! The registry is the one source of truth for which devices exist, and a device's password is
//! a pure function of the central's secret and its id. Two files rewritten whole from the
//! registry and read by a `SIGHUP` (`systemctl reload mosquitto`) keep that true with nothing
//! to drift: no second store of accounts inside the broker, no admin topic whose credentials
//! must be guarded, no plugin to install (Debian's Mosquitto 2.0 ships it, but its
//! configuration is a JSON state the broker rewrites). The price is a reload per registry
//! change, which is rare; dynsec would only pay if devices were added every minute.
//!
//! ## Transport security
//!
//! The bridge speaks plain MQTT over TCP: on a broker on the central's own host (loopback)
//! that is enough. A broker elsewhere should listen with TLS; rumqttc's
//! `use-rustls-no-provider` feature and `MqttOptions::set_transport` carry it, left for when a
//! bureau needs it.

pub mod bridge;
pub mod credentials;
pub mod settings;

pub use bridge::{BridgeCounts, BrokerLink, MqttBridge, Presence, bridge};
pub use credentials::{CentralAccount, device_password, write_broker_files};
pub use settings::{MqttSection, MqttSettings};

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::domain::devices::Device;

/// Where `wxdesk central mqtt-acl` reads the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSource {
    /// The central's database (opened read-only).
    Database(PathBuf),
    /// A JSON export, `{"devices": [...]}`.
    File(PathBuf),
}

/// `wxdesk central mqtt-acl`: writes the broker's files for the registry's devices with
/// `config`'s `[mqtt]`, into `dir` or the section's `acl_dir`, and says where.
pub fn mqtt_acl(
    config: &Path,
    devices: &DeviceSource,
    dir: Option<PathBuf>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let file = crate::central::config::load(config)?;
    let section = file
        .mqtt
        .with_context(|| format!("{} has no [mqtt] section", config.display()))?;
    let settings = section.settings().map_err(anyhow::Error::msg)?;
    let devices = match devices {
        DeviceSource::Database(db) => {
            let conn = crate::store::sqlite::open_read_only(db)?;
            crate::store::central::devices::devices(&conn)?
        }
        DeviceSource::File(file) => read_devices(file)?,
    };
    let dir = dir.unwrap_or(settings.acl_dir);
    let central = CentralAccount {
        username: settings.username,
        password: settings.password,
    };
    let files = write_broker_files(&dir, &central, &settings.device_secret, &devices)?;
    let mqtt_devices = devices
        .iter()
        .filter(|d| d.transport == crate::domain::devices::Transport::Mqtt)
        .count();
    writeln!(
        out,
        "wrote {} and {} for {mqtt_devices} MQTT devices; now `systemctl reload mosquitto`",
        files.passwords.display(),
        files.acl.display()
    )?;
    Ok(())
}

/// Reads a registry export, `{"devices": [...]}`, checking every record.
fn read_devices(path: &Path) -> anyhow::Result<Vec<Device>> {
    #[derive(serde::Deserialize)]
    struct Export {
        devices: Vec<Device>,
    }
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let export: Export =
        serde_json::from_slice(&text).with_context(|| format!("reading {}", path.display()))?;
    for device in &export.devices {
        device
            .validate()
            .with_context(|| format!("{}: device {}", path.display(), device.id))?;
    }
    Ok(export.devices)
}
