//! `central.toml`: the central's configuration file, parsed into typed, validated settings.
//!
//! Every mistake is refused at start with the file, line and column and the reason
//! (`central.toml:3:1: unknown field `lisen`, expected one of …`): unknown keys, wrong
//! types, values out of range. Secrets (robot keys, app secrets, gateway passwords) print as
//! `***` or not at all, so neither the settings' `Debug` nor an error message shows them. Relative paths are read from the
//! file's folder. Command-line flags override the file ([`Overrides`]). README shows a
//! complete example.

use std::fmt;
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::TlsFiles;
use super::warnings::WarningSettings;
use super::warnings::settings::WarningsSection;
use super::workers::backup::BackupSchedule;
use crate::central::channels::wechat::WechatConfig;
use crate::central::devices::modbus::map::MapBook;
use crate::central::devices::mqtt::settings::{MqttSection, MqttSettings};

pub mod callout;
pub mod channels;

pub use channels::{ChannelSettings, SmsGateway, SmsSection, SmsSettings};

/// Where a central listens when neither file nor flag says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8640";
/// The database file when neither file nor flag says.
pub const DEFAULT_DB: &str = "wxdesk-central.sqlite";
/// How often the integrity check runs when the file does not say.
pub const DEFAULT_INTEGRITY_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The file as written: every key optional but none unknown.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Address to listen on, e.g. `"0.0.0.0:8640"`.
    pub listen: Option<SocketAddr>,
    /// The SQLite database file.
    pub db: Option<PathBuf>,
    /// The key that seals the audit chain.
    pub audit_key: Option<PathBuf>,
    /// Serve HTTPS.
    pub tls: Option<TlsSection>,
    /// How long history is kept.
    pub retention: Option<RetentionSection>,
    /// Scheduled backups.
    pub backups: Option<BackupsSection>,
    /// The background integrity check.
    pub integrity: Option<IntegritySection>,
    /// Log files.
    pub log: Option<LogSection>,
    /// The WeCom robots and the WeChat Official Account.
    pub wechat: Option<WechatConfig>,
    /// The SMS gateway.
    pub sms: Option<SmsSection>,
    /// Who issues warnings and under which rules.
    pub warnings: Option<WarningsSection>,
    /// 叫应: which warnings call whom, and when unanswered lines escalate.
    pub callout: Option<callout::CalloutSection>,
    /// Devices' MQTT: the broker, the central's account, the device passwords' secret.
    pub mqtt: Option<MqttSection>,
    /// Relay boards' Modbus: where 4G DTUs dial in.
    pub modbus: Option<ModbusSection>,
}

/// `[modbus]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusSection {
    /// The address 4G DTUs dial in to, e.g. `0.0.0.0:7100`.
    pub dtu_listen: Option<SocketAddr>,
    /// The register maps boards name (`[modbus.maps.NAME]`), as their manuals number them.
    #[serde(default)]
    pub maps: MapBook,
}

impl ModbusSection {
    /// Checks every map as a board numbered from 0 would read it (a map that cannot be read
    /// so cannot be read at all); a board's own numbering is checked when it is polled.
    pub fn checked_maps(self) -> Result<MapBook, String> {
        for (name, map) in &self.maps {
            crate::central::devices::modbus::map::plan(map, false, None)
                .map_err(|e| format!("[modbus.maps.{name}]: {e}"))?;
        }
        Ok(self.maps)
    }
}

/// `[warnings.upstream]`: a folder, a URL, or both.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSection {
    /// The folder the bureau's receiving system drops CAP 1.2 files into.
    pub dir: Option<PathBuf>,
    /// An http(s) URL answering a CAP 1.2 message or an Atom/RSS feed of them.
    pub url: Option<String>,
}

/// `[tls]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// Certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
}

/// `[retention]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// Days of change log kept (the `retention` worker; 30 when unset).
    pub change_log_days: NonZeroU32,
}

/// `[backups]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupsSection {
    /// Folder of the copies.
    pub dir: PathBuf,
    /// Time between copies (`"30m"`, `"6h"`, `"1d"`).
    pub every: Every,
    /// Copies kept.
    pub keep: NonZeroUsize,
}

/// `[integrity]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegritySection {
    /// Time between checks.
    pub every: Every,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// Folder of the log files.
    pub dir: PathBuf,
    /// When a new file begins.
    pub rotation: Rotation,
    /// Files kept.
    pub keep: NonZeroUsize,
}

/// When a log file is closed and a new one begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rotation {
    /// A file per hour (UTC).
    Hourly,
    /// A file per day (UTC).
    Daily,
}

/// A period written as a number and a unit: `s`, `m`, `h` or `d` (`"90s"`, `"6h"`, `"1d"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Every(pub Duration);

impl TryFrom<String> for Every {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        parse_period(&text).map(Self)
    }
}

/// Parses `"90s"`, `"30m"`, `"6h"`, `"1d"` (at least a minute: shorter periods are mistakes).
pub fn parse_period(text: &str) -> Result<Duration, String> {
    let wrong = || format!("{text:?} is not a period like \"30m\", \"6h\" or \"1d\"");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(wrong)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| wrong())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(wrong()),
    };
    let secs = number.checked_mul(unit_secs).ok_or_else(wrong)?;
    if secs < 60 {
        return Err(format!("{text:?} is shorter than a minute"));
    }
    Ok(Duration::from_secs(secs))
}

/// A mistake in the file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file says something wrong at `line:column` (1-based).
    #[error("{path}:{line}:{column}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// Line of the mistake.
        line: usize,
        /// Column of the mistake.
        column: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Reads and parses the file at `path`; relative paths in it are read from its folder.
pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let file = parse(&text, &path.display().to_string())?;
    Ok(file.relative_to(path.parent().unwrap_or(Path::new("."))))
}

/// Parses the text of a file named `name` (for messages).
pub fn parse(text: &str, name: &str) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|error| {
        let start = error.span().map_or(0, |span| span.start);
        let (line, column) = line_and_column(text, start);
        let reason = error.message().trim().to_owned();
        let reason = if in_secret_section(text, start) && may_quote_a_value(&reason) {
            redact_quoted(&reason)
        } else {
            reason
        };
        ConfigError::Invalid {
            path: name.to_owned(),
            line,
            column,
            reason,
        }
    })
}

/// 1-based line and column (in characters) of byte `offset`.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The tables whose values may be secrets (keys, app secrets, passwords).
const SECRET_SECTIONS: [&str; 3] = ["wechat", "sms", "mqtt"];

/// Whether byte `offset` lies in a channel's table, whose values may be secrets.
fn in_secret_section(text: &str, offset: usize) -> bool {
    let before = text.get(..offset).unwrap_or(text);
    let header = before
        .lines()
        .map(str::trim_start)
        .rfind(|line| line.starts_with('['));
    let last = before.lines().last().unwrap_or("");
    SECRET_SECTIONS.iter().any(|name| {
        names_table(last, name)
            || header.is_some_and(|h| h.trim_start_matches('[').starts_with(name))
    })
}

/// Whether `line` sets table `name` inline (`wechat = {…}`, `sms.smpp = {…}`).
fn names_table(line: &str, name: &str) -> bool {
    line.trim_start()
        .strip_prefix(name)
        .is_some_and(|rest| rest.trim_start().starts_with(['=', '.']))
}

/// Whether a parser message may quote a written value; one naming a key or an enum's variant
/// (no secret is an enum) helps more left whole.
fn may_quote_a_value(reason: &str) -> bool {
    let names = [
        "unknown field",
        "missing field",
        "duplicate field",
        "unknown variant",
    ];
    !names.iter().any(|start| reason.starts_with(start))
}

/// Replaces every `` `quoted` `` value in a parser message: it may be a password.
fn redact_quoted(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    for (i, part) in reason.split('`').enumerate() {
        match i % 2 {
            0 => out.push_str(part),
            _ => out.push_str("`…`"),
        }
    }
    out
}

impl ConfigFile {
    fn relative_to(mut self, base: &Path) -> Self {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        let paths = [
            self.db.as_mut(),
            self.audit_key.as_mut(),
            self.tls.as_mut().map(|t| &mut t.cert),
            self.backups.as_mut().map(|b| &mut b.dir),
            self.log.as_mut().map(|l| &mut l.dir),
            self.warnings
                .as_mut()
                .and_then(|w| w.upstream.as_mut())
                .and_then(|u| u.dir.as_mut()),
        ];
        paths.into_iter().flatten().for_each(&fix);
        if let Some(w) = &mut self.warnings {
            [w.signals.as_mut(), w.defence_guides.as_mut()]
                .into_iter()
                .flatten()
                .for_each(&fix);
        }
        if let Some(tls) = &mut self.tls {
            fix(&mut tls.key);
        }
        if let Some(mqtt) = &mut self.mqtt {
            mqtt.relative_to(base);
        }
        self
    }
}

/// What the command line says, overriding the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--listen`
    pub listen: Option<SocketAddr>,
    /// `--db`
    pub db: Option<PathBuf>,
    /// `--tls-cert` and `--tls-key`
    pub tls: Option<TlsFiles>,
    /// `--audit-key`
    pub audit_key: Option<PathBuf>,
}

/// Everything `central serve` runs with: the file, overridden by flags, defaults filled in.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The database file.
    pub db: PathBuf,
    /// HTTPS files.
    pub tls: Option<TlsFiles>,
    /// The audit chain's key file.
    pub audit_key: Option<PathBuf>,
    /// Days of change log kept, if limited.
    pub retention_days: Option<NonZeroU32>,
    /// Scheduled backups, if configured.
    pub backups: Option<BackupSchedule>,
    /// Time between integrity checks.
    pub integrity_every: Duration,
    /// Log files, if configured (otherwise standard error only).
    pub log: Option<LogSection>,
    /// The channels warnings leave by (none configured: nothing is dispatched).
    pub channels: ChannelSettings,
    /// Who issues warnings and under which rules.
    pub warnings: WarningSettings,
    /// The folder of the city's and province's CAP files, if configured.
    pub upstream_dir: Option<PathBuf>,
    /// The URL publishing them, if configured.
    pub upstream_url: Option<String>,
    /// Devices' MQTT broker, if configured (otherwise no bridge runs).
    pub mqtt: Option<MqttSettings>,
    /// Where DTUs dial in, if configured (otherwise no DTU listener).
    pub dtu_listen: Option<SocketAddr>,
    /// The register maps boards name (none configured: boards naming no map read 8 relays).
    pub modbus_maps: MapBook,
}

impl ServeSettings {
    /// Merges `file` (none: every default) with the flags' `overrides`.
    pub fn merge(file: Option<ConfigFile>, overrides: Overrides) -> Result<Self, String> {
        let file = file.unwrap_or_default();
        let mut warnings = file.warnings.unwrap_or_default();
        let upstream = warnings.upstream.take().unwrap_or_default();
        let default_listen = DEFAULT_LISTEN
            .parse()
            .map_err(|e| format!("default listen address: {e}"))?;
        Ok(Self {
            listen: overrides.listen.or(file.listen).unwrap_or(default_listen),
            db: overrides
                .db
                .or(file.db)
                .unwrap_or_else(|| DEFAULT_DB.into()),
            tls: overrides.tls.or_else(|| {
                file.tls.map(|t| TlsFiles {
                    cert: t.cert,
                    key: t.key,
                })
            }),
            audit_key: overrides.audit_key.or(file.audit_key),
            retention_days: file.retention.map(|r| r.change_log_days),
            backups: file.backups.map(|b| BackupSchedule {
                dir: b.dir,
                every: b.every.0,
                keep: b.keep.get(),
            }),
            integrity_every: file
                .integrity
                .map_or(DEFAULT_INTEGRITY_EVERY, |i| i.every.0),
            log: file.log,
            channels: ChannelSettings::new(file.wechat, file.sms)?,
            warnings: WarningSettings {
                callout: file.callout.unwrap_or_default().rules()?,
                ..warnings.settings()?
            },
            upstream_dir: upstream.dir,
            upstream_url: upstream.url,
            mqtt: file.mqtt.map(MqttSection::settings).transpose()?,
            dtu_listen: file.modbus.as_ref().and_then(|m| m.dtu_listen),
            modbus_maps: file
                .modbus
                .map(ModbusSection::checked_maps)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl fmt::Display for ServeSettings {
    /// One line for the start-up log: what runs where, never a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "listen {} · db {} · {} · backups {} · integrity every {} min · channels {} · \
             upstream warnings {}{} · device MQTT {}",
            self.listen,
            self.db.display(),
            if self.tls.is_some() { "https" } else { "http" },
            self.backups.as_ref().map_or_else(
                || "off".to_owned(),
                |b| format!(
                    "every {} min into {}",
                    b.every.as_secs() / 60,
                    b.dir.display()
                )
            ),
            self.integrity_every.as_secs() / 60,
            self.channels.summary(),
            self.upstream_dir
                .as_ref()
                .map_or_else(|| "off".to_owned(), |d| format!("from {}", d.display())),
            self.upstream_url
                .as_ref()
                .map_or_else(String::new, |u| format!(" and {u}")),
            self.mqtt
                .as_ref()
                .map_or_else(|| "off".to_owned(), |m| format!("{}:{}", m.host, m.port)),
        )
    }
}

#[cfg(test)]
mod tests;
