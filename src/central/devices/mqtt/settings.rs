//! `[mqtt]` of `central.toml`: where the broker is, the central's account on it, and the
//! secret device passwords are derived from.
//!
//! ```toml
//! [mqtt]
//! broker = "127.0.0.1:1883"
//! username = "wxdesk-central"              # default
//! password_file = "mqtt-central.password"  # or password = "…"
//! client_id = "wxdesk-central"             # default: the user name
//! device_secret_file = "mqtt-devices.secret"  # or device_secret = "…"
//! acl_dir = "/etc/mosquitto/wxdesk"        # where `wxdesk central mqtt-acl` writes
//! ```
//!
//! A secret written in a file is read whole, less a final line break. Secrets print as `***`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::central::workers::Backoff;
use crate::domain::access::Secret;

/// The central's user name on the broker when the file does not say.
pub const DEFAULT_USERNAME: &str = "wxdesk-central";
/// The folder `wxdesk central mqtt-acl` writes into when the file does not say.
pub const DEFAULT_ACL_DIR: &str = "/etc/mosquitto/wxdesk";

/// `[mqtt]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSection {
    /// The broker's `host:port` (plain MQTT over TCP).
    pub broker: String,
    /// The central's user name on the broker.
    pub username: Option<String>,
    /// Its password, written here…
    pub password: Option<Secret>,
    /// …or in this file.
    pub password_file: Option<PathBuf>,
    /// Its MQTT client id, which names its persistent session (default: the user name).
    pub client_id: Option<String>,
    /// The secret every device's password is derived from, written here…
    pub device_secret: Option<Secret>,
    /// …or in this file.
    pub device_secret_file: Option<PathBuf>,
    /// Where the broker's password and ACL files are written.
    pub acl_dir: Option<PathBuf>,
}

/// `[mqtt]` checked, with its secrets read.
#[derive(Debug, Clone)]
pub struct MqttSettings {
    /// The broker's host.
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// The central's user name.
    pub username: String,
    /// Its password.
    pub password: Secret,
    /// Its client id.
    pub client_id: String,
    /// The device passwords' secret.
    pub device_secret: Secret,
    /// Where the broker's files are written.
    pub acl_dir: PathBuf,
    /// The wait before each reconnection to a broker that went away.
    pub reconnect: Backoff,
    /// Keep-alive: how soon a silent link is found dead.
    pub keep_alive: Duration,
}

impl MqttSection {
    /// Makes relative paths relative to `base` (the file's folder).
    pub fn relative_to(&mut self, base: &Path) {
        let paths = [
            self.password_file.as_mut(),
            self.device_secret_file.as_mut(),
            self.acl_dir.as_mut(),
        ];
        for path in paths.into_iter().flatten() {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    /// Checks the section and reads its secret files.
    pub fn settings(self) -> Result<MqttSettings, String> {
        let (host, port) = split_host_port(&self.broker)?;
        let username = self.username.unwrap_or_else(|| DEFAULT_USERNAME.to_owned());
        if username.is_empty() || username.contains([':', ' ', '\n']) {
            return Err(format!(
                "[mqtt] username {username:?} is not a broker user name"
            ));
        }
        let password = one_secret("password", self.password, self.password_file.as_deref())?;
        let device_secret = one_secret(
            "device_secret",
            self.device_secret,
            self.device_secret_file.as_deref(),
        )?;
        Ok(MqttSettings {
            host,
            port,
            client_id: self.client_id.unwrap_or_else(|| username.clone()),
            username,
            password,
            device_secret,
            acl_dir: self.acl_dir.unwrap_or_else(|| DEFAULT_ACL_DIR.into()),
            reconnect: Backoff {
                first: Duration::from_secs(1),
                cap: Duration::from_secs(60),
            },
            keep_alive: Duration::from_secs(30),
        })
    }
}

impl MqttSettings {
    /// The embedded default's settings: its own broker on loopback, which asks no password
    /// (it carries only the simulated devices), and files nowhere a broker reads.
    pub fn loopback(broker: std::net::SocketAddr, dir: &Path) -> Self {
        Self {
            host: broker.ip().to_string(),
            port: broker.port(),
            username: DEFAULT_USERNAME.to_owned(),
            password: Secret::default(),
            client_id: format!("{DEFAULT_USERNAME}-embedded"),
            device_secret: Secret::default(),
            acl_dir: dir.to_owned(),
            reconnect: Backoff {
                first: Duration::from_secs(1),
                cap: Duration::from_secs(10),
            },
            keep_alive: Duration::from_secs(30),
        }
    }
}

fn split_host_port(broker: &str) -> Result<(String, u16), String> {
    let wrong = || format!("[mqtt] broker {broker:?} is not host:port");
    let (host, port) = broker.rsplit_once(':').ok_or_else(wrong)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().map_err(|_| wrong())?;
    if host.is_empty() || port == 0 {
        return Err(wrong());
    }
    Ok((host.to_owned(), port))
}

/// The secret written inline or in a file: exactly one of them, not empty.
fn one_secret(key: &str, inline: Option<Secret>, file: Option<&Path>) -> Result<Secret, String> {
    let secret = match (inline, file) {
        (Some(secret), None) => secret,
        (None, Some(path)) => {
            read_secret(path).map_err(|e| format!("[mqtt] {key}_file {}: {e}", path.display()))?
        }
        (Some(_), Some(_)) => return Err(format!("[mqtt] give {key} or {key}_file, not both")),
        (None, None) => return Err(format!("[mqtt] {key} or {key}_file is required")),
    };
    if secret.is_empty() {
        return Err(format!("[mqtt] {key} is empty"));
    }
    Ok(secret)
}

fn read_secret(path: &Path) -> std::io::Result<Secret> {
    let text = std::fs::read_to_string(path)?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(Secret::new(text.strip_suffix('\r').unwrap_or(text)))
}

#[cfg(test)]
mod tests;
