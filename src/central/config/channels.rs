//! The channel sections of `central.toml`: `[wechat]` (the WeCom robots and the Official
//! Account, [`WechatConfig`] as the channel reads it) and `[sms]` (which gateway, and its
//! table: [`SmppConfig`] or [`CmppConfig`], each printing its secret as `***`).

use serde::Deserialize;

use crate::central::channels::cmpp::CmppConfig;
use crate::central::channels::smpp::SmppConfig;
use crate::central::channels::wechat::WechatConfig;

/// `[sms]`: the one SMS gateway the central sends through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSection {
    /// Which protocol the bureau's gateway speaks.
    pub gateway: SmsGateway,
    /// `[sms.smpp]`: an SMPP 3.4 gateway.
    pub smpp: Option<SmppConfig>,
    /// `[sms.cmpp]`: a CMPP 2.0 gateway (China Mobile).
    pub cmpp: Option<CmppConfig>,
}

/// The protocol of the SMS gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsGateway {
    /// SMPP 3.4.
    Smpp,
    /// CMPP 2.0.
    Cmpp,
}

impl SmsGateway {
    /// Its name in the file (`smpp`).
    pub const fn key(self) -> &'static str {
        match self {
            Self::Smpp => "smpp",
            Self::Cmpp => "cmpp",
        }
    }
}

/// The SMS gateway chosen, with its table.
#[derive(Debug, Clone)]
pub enum SmsSettings {
    /// `gateway = "smpp"` and `[sms.smpp]`.
    Smpp(SmppConfig),
    /// `gateway = "cmpp"` and `[sms.cmpp]`.
    Cmpp(CmppConfig),
}

impl SmsSettings {
    /// The protocol's name (`smpp`).
    pub const fn key(&self) -> &'static str {
        match self {
            Self::Smpp(_) => SmsGateway::Smpp.key(),
            Self::Cmpp(_) => SmsGateway::Cmpp.key(),
        }
    }
}

/// Every channel the central sends through, as configured (none by default).
#[derive(Debug, Clone, Default)]
pub struct ChannelSettings {
    /// `[wechat]`, if present.
    pub wechat: Option<WechatConfig>,
    /// `[sms]`, if present.
    pub sms: Option<SmsSettings>,
}

impl ChannelSettings {
    /// The sections checked together: the chosen gateway has its table, and no other
    /// gateway's table is left lying about (a typo in `gateway` would silently use none).
    pub fn new(wechat: Option<WechatConfig>, sms: Option<SmsSection>) -> Result<Self, String> {
        let sms = sms.map(sms_settings).transpose()?;
        if let Some(wechat) = &wechat {
            check_wechat(wechat)?;
        }
        Ok(Self { wechat, sms })
    }

    /// Whether no channel is configured.
    pub fn is_empty(&self) -> bool {
        self.wechat.is_none() && self.sms.is_none()
    }

    /// The configured channels' names for the start-up line (`wecom (2 robots), wechat, sms
    /// (smpp)`), never a key or number.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(wechat) = &self.wechat {
            if !wechat.wecom.robots.is_empty() {
                let robots = wechat.wecom.robots.len();
                let plural = if robots == 1 { "" } else { "s" };
                parts.push(format!("wecom ({robots} robot{plural})"));
            }
            if wechat.mp.is_some() {
                parts.push("wechat".to_owned());
            }
        }
        if let Some(sms) = &self.sms {
            parts.push(format!("sms ({})", sms.key()));
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

fn sms_settings(section: SmsSection) -> Result<SmsSettings, String> {
    let key = section.gateway.key();
    let needs = || format!("[sms] gateway = \"{key}\" needs an [sms.{key}] table");
    let stray = |other: &str| {
        format!(
            "[sms] gateway = \"{key}\", but an [sms.{other}] table is given: remove it or \
             choose gateway = \"{other}\""
        )
    };
    match section.gateway {
        SmsGateway::Smpp if section.cmpp.is_some() => Err(stray(SmsGateway::Cmpp.key())),
        SmsGateway::Cmpp if section.smpp.is_some() => Err(stray(SmsGateway::Smpp.key())),
        SmsGateway::Smpp => section.smpp.map(SmsSettings::Smpp).ok_or_else(needs),
        SmsGateway::Cmpp => section.cmpp.map(SmsSettings::Cmpp).ok_or_else(needs),
    }
}

/// What the channel's own types do not refuse: a `[wechat]` that sends nothing, a robot
/// that may not send.
fn check_wechat(wechat: &WechatConfig) -> Result<(), String> {
    if wechat.wecom.robots.is_empty() && wechat.mp.is_none() {
        return Err(
            "[wechat] configures neither [wechat.wecom.robots] nor [wechat.mp]: remove it or \
             add one"
                .to_owned(),
        );
    }
    if wechat.wecom.per_minute == 0 {
        return Err("[wechat.wecom] per_minute must be at least 1".to_owned());
    }
    check_routes(wechat)
}

/// Every robot a route names is configured, every township is a 9-digit NBS code, and a
/// template (a warning's, an alarm's) is a name, not an empty string.
fn check_routes(wechat: &WechatConfig) -> Result<(), String> {
    let routes = &wechat.wecom.warnings;
    if let Some(unknown) = routes
        .named()
        .into_iter()
        .find(|name| !wechat.wecom.robots.contains_key(*name))
    {
        return Err(format!(
            "[wechat.wecom.warnings] names robot {unknown:?}, which [wechat.wecom.robots] \
             does not configure"
        ));
    }
    if let Some(town) = routes
        .townships
        .keys()
        .find(|t| t.len() != 9 || !t.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "[wechat.wecom.warnings.townships] key {town:?} is not a 9-digit township code"
        ));
    }
    let Some(mp) = &wechat.mp else {
        return Ok(());
    };
    let templates = [
        ("warning_template", &mp.warning_template),
        ("alarm_template", &mp.alarm_template),
    ];
    for (key, template) in templates {
        if template.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(format!("[wechat.mp] {key} is empty: remove it or name one"));
        }
    }
    Ok(())
}
