//! The two WeChat channels and what comes back from them.
//!
//! - [`robot`]: a WeCom (企业微信) group robot: `POST /cgi-bin/webhook/send?key=KEY` with a
//!   markdown or text message, paced 20 a minute per robot ([`limiter`]). A robot only says
//!   "accepted" (`errcode` 0): no message id, no receipt.
//! - [`template`]: an Official Account's (公众号) template message to one follower:
//!   `POST /cgi-bin/message/template/send?access_token=…` with the access token of [`token`];
//!   the provider id is WeChat's `msgid`, which the job-finish event names again.
//! - [`callback`]: the Official Account's push to the central (pure functions): the signature,
//!   the `echostr` handshake, the template job's end as a receipt, a follower's text as a reply.
//! - [`errcode`]: what each documented `errcode` means and what the dispatcher does about it.
//!
//! Request and answer shapes follow `tests/data/wechat/fixtures.json` (see its PROVENANCE.md).
//! Keys, the app secret, the callback token and access tokens are [`Hidden`]: `Debug` prints
//! `***`, and no error or log line carries them (reqwest's errors are stripped of their URL,
//! which holds the key or token in its query).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::central::workers::dispatch::ProviderError;

pub mod callback;
pub mod errcode;
mod http;
pub mod limiter;
pub mod robot;
pub mod template;
pub mod token;

pub use robot::RobotProvider;
pub use template::TemplateProvider;

/// Where WeCom's robots listen in production.
pub const WECOM_API: &str = "https://qyapi.weixin.qq.com";
/// Where the Official Account API listens in production.
pub const MP_API: &str = "https://api.weixin.qq.com";

/// The longest one provider call can take: a template send may fetch a token, send, fetch a
/// new token and send again, each bounded by the HTTP timeout. The dispatcher's lease for these
/// kinds must be longer.
pub const LONGEST_CALL_MS: i64 = 4 * 1000 * http::CALL_TIMEOUT_S as i64;

/// A credential (robot key, app secret, callback token, access token): shown as `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Hidden(String);

impl Hidden {
    /// Wraps a credential.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Both WeChat channels' part of the central's configuration (`[wechat]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatConfig {
    /// The WeCom group robots.
    #[serde(default)]
    pub wecom: WecomConfig,
    /// The Official Account, if the bureau sends template messages.
    pub mp: Option<MpConfig>,
}

/// The WeCom group robots (`[wechat.wecom]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WecomConfig {
    /// The API's base URL (tests point it at 127.0.0.1).
    #[serde(default = "wecom_api")]
    pub base_url: String,
    /// Each robot by the name outbox payloads use, with its webhook key.
    #[serde(default)]
    pub robots: BTreeMap<String, Hidden>,
    /// Messages a robot may send per minute (WeCom documents 20).
    #[serde(default = "robot_per_minute")]
    pub per_minute: usize,
    /// `[wechat.wecom.warnings]`: which robots a released warning goes to.
    #[serde(default)]
    pub warnings: RobotRoutes,
}

/// Which robots a released warning goes to (`[wechat.wecom.warnings]`), by robot name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotRoutes {
    /// Robots that get every warning (the county's groups).
    #[serde(default)]
    pub county: Vec<String>,
    /// Township NBS code → robots that get the warnings whose area holds it.
    #[serde(default)]
    pub townships: BTreeMap<String, Vec<String>>,
    /// Robots of the bureau's own groups: the only ones a practice warning reaches.
    #[serde(default)]
    pub staff: Vec<String>,
    /// Which of the composition's robot texts is sent.
    #[serde(default)]
    pub msgtype: RobotMsgType,
}

impl RobotRoutes {
    /// Every robot name the routes use, each once.
    pub fn named(&self) -> std::collections::BTreeSet<&str> {
        let towns = self.townships.values().flatten();
        self.county
            .iter()
            .chain(towns)
            .chain(&self.staff)
            .map(String::as_str)
            .collect()
    }
}

/// A robot message's type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotMsgType {
    /// WeCom markdown (the composition's `wecom_markdown` text).
    #[default]
    Markdown,
    /// Plain text (the composition's `wecom_text` text).
    Text,
}

impl RobotMsgType {
    /// The `msgtype` WeCom reads.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::Text => "text",
        }
    }
}

impl Default for WecomConfig {
    fn default() -> Self {
        Self {
            base_url: wecom_api(),
            robots: BTreeMap::new(),
            per_minute: robot_per_minute(),
            warnings: RobotRoutes::default(),
        }
    }
}

/// The Official Account (`[wechat.mp]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpConfig {
    /// The API's base URL (tests point it at 127.0.0.1).
    #[serde(default = "mp_api")]
    pub base_url: String,
    /// The account's `AppID` (not a secret: it is in every link to the account).
    pub app_id: String,
    /// The `AppSecret`.
    pub app_secret: Hidden,
    /// The token the account's server configuration shares for callback signatures.
    pub callback_token: Hidden,
    /// How long before its announced expiry an access token is renewed, in seconds.
    #[serde(default = "token_margin_s")]
    pub token_margin_s: i64,
    /// Where tokens come from: `token` (one central) or `stable_token` (several sharing the
    /// account).
    #[serde(default)]
    pub token_endpoint: token::TokenEndpoint,
    /// The template a released warning's followers get (its fields are the composition's
    /// template fields); none: warnings send no template message.
    #[serde(default)]
    pub warning_template: Option<String>,
    /// The template an on-call alarm goes in to an on-call person who follows the account
    /// (`thing1`: the alarm's gist, `time2`: when it was raised); none: alarms go by SMS only.
    #[serde(default)]
    pub alarm_template: Option<String>,
}

fn wecom_api() -> String {
    WECOM_API.to_owned()
}

fn mp_api() -> String {
    MP_API.to_owned()
}

const fn robot_per_minute() -> usize {
    20
}

/// Five minutes: WeChat keeps an old token valid about that long after a new one is fetched,
/// and a send in flight must not outlive its token.
const fn token_margin_s() -> i64 {
    300
}

/// `text` with every occurrence of `secrets` masked: an answer may echo what it was sent.
fn scrub(text: &str, secrets: &[&Hidden]) -> String {
    secrets
        .iter()
        .map(|s| s.expose())
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |text, secret| text.replace(secret, "***"))
}

/// A row the dispatcher should not have handed this channel (a wiring mistake, refused loudly
/// rather than sent as something else).
fn wrong_kind(kind: &str, expected: &str) -> ProviderError {
    ProviderError::Refused(format!(
        "an outbox row of kind {kind:?} was handed to the {expected:?} channel"
    ))
}

/// Why a channel could not be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A base URL does not parse.
    #[error("{what} base URL {url:?} is not a URL: {reason}")]
    BaseUrl {
        /// Which API.
        what: &'static str,
        /// The configured text.
        url: String,
        /// Why not.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
    /// A robot may not send at all.
    #[error("per_minute must be at least 1")]
    NoPace,
}

#[cfg(test)]
mod tests;
