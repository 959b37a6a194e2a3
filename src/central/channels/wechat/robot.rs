//! The WeCom group robot: one outbox row of kind [`WECOM`]
//! (a [`RobotPayload`]) becomes one `POST /cgi-bin/webhook/send?key=KEY`.
//!
//! Before anything is sent the content is checked against WeCom's limits (markdown 4096 bytes,
//! text 2048 bytes of UTF-8, `tests/data/wechat/fixtures.json` → `limits`) and the robot's pace
//! (20 a minute): too long is refused, too soon is a "not now" that takes no slot.
//!
//! A robot answers only `errcode` 0: there is no message id and no receipt. The provider id
//! is therefore **synthetic**, `wecom:<row id>.<attempt>`, naming the hand-over, not a
//! message WeCom knows.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use reqwest::{Client, Url};
use serde::{Deserialize, Serialize};

use super::errcode::{self, Disposition};
use super::limiter::Pacer;
use super::{ConfigError, Hidden, WecomConfig, http, scrub, wrong_kind};
use crate::central::channels::{RobotPayload, WECOM};
use crate::central::workers::dispatch::{Provider, ProviderCall, ProviderError};
use crate::domain::time::{MINUTE_MS, SharedClock};
use crate::domain::warning::checks;
use crate::store::central::outbox::OutboxRow;

/// A markdown message's content limit, in bytes of UTF-8 (the composer checks the same one).
pub const MARKDOWN_MAX_BYTES: usize = checks::WECOM_MARKDOWN_BYTES;
/// A text message's content limit, in bytes of UTF-8.
pub const TEXT_MAX_BYTES: usize = checks::WECOM_TEXT_BYTES;

/// The webhook's path under the WeCom base URL.
pub const SEND_PATH: &str = "/cgi-bin/webhook/send";

/// The body WeCom reads: `{"msgtype":"markdown","markdown":{"content":…}}` or the same with
/// `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
pub enum RobotBody {
    /// Markdown (WeCom's subset: headings, bold, links, quotes, `<font color>`).
    Markdown {
        /// The content wrapper.
        markdown: Content,
    },
    /// Plain text.
    Text {
        /// The content wrapper.
        text: Content,
    },
}

/// `{"content": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Content {
    /// What the group sees.
    pub content: String,
}

/// The robot message `payload` asks for, if WeCom would take it; why not otherwise.
pub fn robot_body(payload: &RobotPayload) -> Result<RobotBody, String> {
    let content = payload.content.clone();
    if content.trim().is_empty() {
        return Err("the robot message is empty".to_owned());
    }
    let (body, limit) = match payload.msgtype.as_str() {
        "markdown" => (
            RobotBody::Markdown {
                markdown: Content { content },
            },
            MARKDOWN_MAX_BYTES,
        ),
        "text" => (
            RobotBody::Text {
                text: Content { content },
            },
            TEXT_MAX_BYTES,
        ),
        other => return Err(format!("msgtype {other:?} is not sent (markdown or text)")),
    };
    let bytes = payload.content.len();
    if bytes > limit {
        return Err(format!(
            "{} content is {bytes} bytes; WeCom takes at most {limit}",
            payload.msgtype
        ));
    }
    Ok(body)
}

/// WeCom's answer.
#[derive(Debug, Deserialize)]
struct Answer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Sends [`RobotPayload`]s to the configured robots, paced per robot.
pub struct RobotProvider {
    http: Client,
    send_url: Url,
    robots: BTreeMap<String, Hidden>,
    pacer: Mutex<Pacer>,
    clock: SharedClock,
}

impl std::fmt::Debug for RobotProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RobotProvider")
            .field("send_url", &self.send_url.as_str())
            .field("robots", &self.robots)
            .finish_non_exhaustive()
    }
}

impl RobotProvider {
    /// The robots of `config`, paced on `clock`.
    pub fn new(config: &WecomConfig, clock: SharedClock) -> Result<Self, ConfigError> {
        if config.per_minute == 0 {
            return Err(ConfigError::NoPace);
        }
        let base = http::base_url("WeCom", &config.base_url)?;
        Ok(Self {
            http: http::client()?,
            send_url: http::endpoint(&base, SEND_PATH),
            robots: config.robots.clone(),
            pacer: Mutex::new(Pacer::new(config.per_minute, MINUTE_MS)),
            clock,
        })
    }

    fn pacer(&self) -> std::sync::MutexGuard<'_, Pacer> {
        // The pacer's state stays consistent even if a holder panicked between two calls.
        self.pacer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn deliver(&self, row: &OutboxRow) -> Result<String, ProviderError> {
        if row.kind != WECOM {
            return Err(wrong_kind(&row.kind, WECOM));
        }
        let payload: RobotPayload = serde_json::from_str(&row.payload)
            .map_err(|e| ProviderError::Refused(format!("not a robot message: {e}")))?;
        let body = robot_body(&payload).map_err(ProviderError::Refused)?;
        let key = self.robots.get(&payload.robot).ok_or_else(|| {
            ProviderError::Refused(format!("no robot named {:?} is configured", payload.robot))
        })?;
        let now = self.clock.now();
        if let Err(next) = self.pacer().admit(&payload.robot, now) {
            return Err(ProviderError::Retry(format!(
                "paced: robot {:?} has had its messages for this minute; next slot at {next}",
                payload.robot
            )));
        }
        let request = self
            .http
            .post(self.send_url.clone())
            .query(&[("key", key.expose())])
            .json(&body);
        let answer: Answer = http::call(request).await?;
        if answer.errcode == 0 {
            return Ok(format!("wecom:{}.{}", row.id, row.attempt));
        }
        let why = format!(
            "robot {:?}: {}",
            payload.robot,
            errcode::describe(answer.errcode, &scrub(&answer.errmsg, &[key]))
        );
        match errcode::robot_disposition(answer.errcode) {
            Disposition::Retry => {
                self.pacer().hold(&payload.robot, self.clock.now());
                Err(ProviderError::Retry(why))
            }
            Disposition::RenewToken | Disposition::Refuse => Err(ProviderError::Refused(why)),
        }
    }
}

impl Provider for RobotProvider {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(self.deliver(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(msgtype: &str, content: &str) -> RobotPayload {
        RobotPayload {
            robot: "duty".to_owned(),
            msgtype: msgtype.to_owned(),
            content: content.to_owned(),
        }
    }

    #[test]
    fn content_is_checked_against_the_documented_byte_limits() {
        // "暴" is three bytes of UTF-8: 1365 of them are 4095 bytes, 683 are 2049.
        let table = [
            ("markdown", "## 暴雨黄色预警".to_owned(), true),
            ("markdown", "暴".repeat(1365), true),
            ("markdown", "暴".repeat(1365) + "ab", false),
            ("text", "a".repeat(2048), true),
            ("text", "暴".repeat(683), false),
            ("text", "  \n".to_owned(), false),
            ("news", "x".to_owned(), false),
        ];
        for (msgtype, content, ok) in table {
            let got = robot_body(&payload(msgtype, &content));
            assert_eq!(
                got.is_ok(),
                ok,
                "{msgtype} of {} bytes: {got:?}",
                content.len()
            );
        }
    }

    #[test]
    fn the_body_has_the_documented_shape() {
        let markdown = serde_json::to_value(robot_body(&payload("markdown", "# 标题")).unwrap());
        assert_eq!(
            markdown.unwrap(),
            serde_json::json!({"msgtype": "markdown", "markdown": {"content": "# 标题"}})
        );
        let text = serde_json::to_value(robot_body(&payload("text", "暴雨")).unwrap());
        assert_eq!(
            text.unwrap(),
            serde_json::json!({"msgtype": "text", "text": {"content": "暴雨"}})
        );
    }
}
