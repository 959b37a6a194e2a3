//! The broker's `password_file` and `acl_file`, derived from the registry.
//!
//! A device's password is `base64url(HMAC-SHA256(device secret, "wxdesk-mqtt-device:" + id))`:
//! the central keeps one secret, nothing per device, and can tell an installer a device's
//! password again at any time. The password file holds Mosquitto's PBKDF2-SHA512 hashes
//! (`user:$7$iterations$salt$hash`, base64, as `mosquitto_passwd` writes them); each salt is
//! derived from the secret and the user too, so the same registry writes the same files and an
//! unchanged registry reloads nothing.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};

use crate::domain::access::Secret;
use crate::domain::devices::{Device, DeviceId, Transport};
use crate::protocol::mqtt::{Channel, TOPIC_ROOT, Topic};

/// PBKDF2 rounds, as `mosquitto_passwd` uses: the passwords are 256 random bits, which no
/// number of rounds makes stronger, and the broker pays them on every connect.
pub const PBKDF2_ROUNDS: u32 = 101;

/// The password file's name in the output folder.
pub const PASSWORD_FILE: &str = "wxdesk.passwd";
/// The ACL file's name in the output folder.
pub const ACL_FILE: &str = "wxdesk.acl";

/// The central's own broker account.
#[derive(Debug, Clone)]
pub struct CentralAccount {
    /// Its user name (must not be a device's id).
    pub username: String,
    /// Its password.
    pub password: Secret,
}

/// Device `device`'s broker password, derived from the central's `secret`.
pub fn device_password(secret: &Secret, device: &DeviceId) -> Secret {
    let tag = hmac_sha256(secret, &format!("wxdesk-mqtt-device:{device}"));
    Secret::new(URL_SAFE_NO_PAD.encode(tag))
}

fn hmac_sha256(key: &Secret, message: &str) -> [u8; 32] {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes()) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA512 with a 64-byte output (one block).
pub fn pbkdf2_sha512(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 64] {
    let Ok(keyed) = <Hmac<Sha512> as KeyInit>::new_from_slice(password) else {
        unreachable!("HMAC takes a key of any length")
    };
    let mut first = keyed.clone();
    first.update(salt);
    first.update(&1u32.to_be_bytes());
    let mut block: [u8; 64] = first.finalize().into_bytes().into();
    let mut out = block;
    for _ in 1..rounds {
        let mut next = keyed.clone();
        next.update(&block);
        block = next.finalize().into_bytes().into();
        out.iter_mut().zip(block).for_each(|(o, b)| *o ^= b);
    }
    out
}

/// One password file line: `user:$7$rounds$salt$hash`.
pub fn password_line(user: &str, password: &Secret, salt: &[u8; 12]) -> String {
    let hash = pbkdf2_sha512(password.expose().as_bytes(), salt, PBKDF2_ROUNDS);
    format!(
        "{user}:$7${PBKDF2_ROUNDS}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(hash)
    )
}

fn salt_for(secret: &Secret, user: &str) -> [u8; 12] {
    let tag = hmac_sha256(secret, &format!("wxdesk-mqtt-salt:{user}"));
    let mut salt = [0; 12];
    salt.copy_from_slice(&tag[..12]);
    salt
}

/// The devices that reach the central over MQTT.
fn mqtt_devices(devices: &[Device]) -> impl Iterator<Item = &Device> {
    devices.iter().filter(|d| d.transport == Transport::Mqtt)
}

/// The password file: the central's account and one per MQTT device.
pub fn password_file(central: &CentralAccount, secret: &Secret, devices: &[Device]) -> String {
    let mut text = String::from("# Written by `wxdesk central mqtt-acl`; do not edit.\n");
    let central_line = password_line(
        &central.username,
        &central.password,
        &salt_for(secret, &central.username),
    );
    text.push_str(&central_line);
    text.push('\n');
    for device in mqtt_devices(devices) {
        let user = device.id.as_str();
        let password = device_password(secret, &device.id);
        text.push_str(&password_line(user, &password, &salt_for(secret, user)));
        text.push('\n');
    }
    text
}

/// The ACL file: the central reads what every device says (telemetry, state, command acks,
/// relay feedback) and writes commands; each device writes only its own and reads only its own
/// commands.
pub fn acl_file(central_user: &str, devices: &[Device]) -> String {
    const FROM_DEVICES: [Channel; 4] = [
        Channel::Telemetry,
        Channel::State,
        Channel::Acks,
        Channel::Relays,
    ];
    let mut text = String::from("# Written by `wxdesk central mqtt-acl`; do not edit.\n");
    let _ = writeln!(text, "\nuser {central_user}");
    for channel in FROM_DEVICES {
        let _ = writeln!(text, "topic read {}", channel.filter());
    }
    let _ = writeln!(text, "topic write {}", Channel::Commands.filter());
    for device in mqtt_devices(devices) {
        let topic = |channel| Topic::new(&device.id, channel);
        let _ = writeln!(text, "\nuser {}", device.id);
        for channel in FROM_DEVICES {
            let _ = writeln!(text, "topic write {}", topic(channel));
        }
        let _ = writeln!(text, "topic read {}", topic(Channel::Commands));
    }
    debug_assert!(text.contains(TOPIC_ROOT));
    text
}

/// Where [`write_broker_files`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerFiles {
    /// The `password_file`.
    pub passwords: PathBuf,
    /// The `acl_file`.
    pub acl: PathBuf,
}

/// Why the files were not written.
#[derive(Debug, thiserror::Error)]
pub enum BrokerFilesError {
    /// A device has the central's user name.
    #[error("device {0} has the central's MQTT user name; rename one of them")]
    NameClash(DeviceId),
    /// Writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Writes the password and ACL files into `dir` for `devices`, each atomically (a whole new
/// file renamed over the old, so the broker never reads half of one); then `systemctl reload
/// mosquitto` (SIGHUP) makes the broker read them.
pub fn write_broker_files(
    dir: &Path,
    central: &CentralAccount,
    secret: &Secret,
    devices: &[Device],
) -> Result<BrokerFiles, BrokerFilesError> {
    if let Some(clash) = devices.iter().find(|d| d.id.as_str() == central.username) {
        return Err(BrokerFilesError::NameClash(clash.id.clone()));
    }
    let files = BrokerFiles {
        passwords: dir.join(PASSWORD_FILE),
        acl: dir.join(ACL_FILE),
    };
    // The ACL first: a new device's password is no use before its topics are allowed.
    write_atomically(&files.acl, &acl_file(&central.username, devices), 0o644)?;
    let passwords = password_file(central, secret, devices);
    write_atomically(&files.passwords, &passwords, 0o640)?;
    Ok(files)
}

fn write_atomically(path: &Path, text: &str, mode: u32) -> Result<(), BrokerFilesError> {
    let io = |source| BrokerFilesError::Io {
        path: path.display().to_string(),
        source,
    };
    let temporary = path.with_extension("new");
    let mut file = std::fs::File::create(&temporary).map_err(io)?;
    set_mode(&file, mode).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests;
