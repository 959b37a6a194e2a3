//! The Official Account's template message: one outbox row of kind
//! [`WECHAT`] (a [`TemplatePayload`]) becomes one
//! `POST /cgi-bin/message/template/send?access_token=…` (the fixtures' `send_request`).
//!
//! - The token comes from [`TokenCache`]; a refusal of the token (40001, 40014, 41001, 42001)
//!   drops it, fetches a new one and sends **once** more.
//! - 45009 and -1 are "not now"; 43004 (not following), 40003 (invalid openid), 40037
//!   (invalid template) and every other definite answer refuse the message, naming the code.
//! - The provider id is WeChat's `msgid`, which the job-finish event names again.
//! - `client_msg_id` is the outbox row's idempotency key: WeChat sends one message per openid
//!   and `client_msg_id`, so a resend after an unheard answer does not reach the follower twice.

use std::collections::BTreeMap;

use reqwest::{Client, Url};
use serde::{Deserialize, Serialize};

use super::errcode::{self, Disposition};
use super::token::{self, TokenCache, TokenEndpoint};
use super::{ConfigError, Hidden, MpConfig, http, scrub};
use crate::central::channels::{TemplatePayload, WECHAT};
use crate::central::workers::dispatch::{Provider, ProviderCall, ProviderError};
use crate::domain::time::SharedClock;
use crate::store::central::outbox::OutboxRow;

/// The send endpoint's path under the API's base URL.
pub const SEND_PATH: &str = "/cgi-bin/message/template/send";

/// The body WeChat reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateRequest {
    /// The follower's openid.
    pub touser: String,
    /// The template.
    pub template_id: String,
    /// Where tapping leads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The sender's id for this message: WeChat sends one per openid and id.
    pub client_msg_id: String,
    /// Each keyword's value.
    pub data: BTreeMap<String, Keyword>,
}

/// `{"value": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keyword {
    /// What the follower sees (WeChat shows at most 20 characters and cuts the rest).
    pub value: String,
}

/// The request for `payload`, or why it cannot be one.
pub fn template_request(
    payload: &TemplatePayload,
    client_msg_id: &str,
) -> Result<TemplateRequest, String> {
    if payload.openid.trim().is_empty() {
        return Err("the template message has no openid".to_owned());
    }
    if payload.template_id.trim().is_empty() {
        return Err("the template message has no template_id".to_owned());
    }
    if payload.data.is_empty() {
        return Err("the template message has no keywords".to_owned());
    }
    let data = payload
        .data
        .iter()
        .map(|(name, value)| {
            let keyword = Keyword {
                value: value.clone(),
            };
            (name.clone(), keyword)
        })
        .collect();
    Ok(TemplateRequest {
        touser: payload.openid.clone(),
        template_id: payload.template_id.clone(),
        url: payload.url.clone(),
        client_msg_id: client_msg_id.to_owned(),
        data,
    })
}

/// WeChat's answer to a send.
#[derive(Debug, Deserialize)]
struct SendAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    msgid: Option<i64>,
}

/// Sends [`TemplatePayload`]s from one Official Account.
pub struct TemplateProvider {
    http: Client,
    token_endpoint: TokenEndpoint,
    token_url: Url,
    send_url: Url,
    app_id: String,
    secret: Hidden,
    tokens: TokenCache,
    clock: SharedClock,
}

impl std::fmt::Debug for TemplateProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateProvider")
            .field("send_url", &self.send_url.as_str())
            .field("app_id", &self.app_id)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl TemplateProvider {
    /// The account of `config`, its tokens timed on `clock`.
    pub fn new(config: &MpConfig, clock: SharedClock) -> Result<Self, ConfigError> {
        let base = http::base_url("WeChat", &config.base_url)?;
        Ok(Self {
            http: http::client()?,
            token_endpoint: config.token_endpoint,
            token_url: http::endpoint(&base, config.token_endpoint.path()),
            send_url: http::endpoint(&base, SEND_PATH),
            app_id: config.app_id.clone(),
            secret: config.app_secret.clone(),
            tokens: TokenCache::new(config.token_margin_s.max(0).saturating_mul(1000)),
            clock,
        })
    }

    async fn token(&self) -> Result<Hidden, ProviderError> {
        let endpoint = (self.token_endpoint, &self.token_url);
        let fetch = || token::fetch(&self.http, endpoint, &self.app_id, &self.secret);
        self.tokens.current(&self.clock, fetch).await
    }

    async fn post(
        &self,
        token: &Hidden,
        request: &TemplateRequest,
    ) -> Result<SendAnswer, ProviderError> {
        let call = self
            .http
            .post(self.send_url.clone())
            .query(&[("access_token", token.expose())])
            .json(request);
        let mut answer: SendAnswer = http::call(call).await?;
        answer.errmsg = scrub(&answer.errmsg, &[token, &self.secret]);
        Ok(answer)
    }

    async fn deliver(&self, row: &OutboxRow) -> Result<String, ProviderError> {
        if row.kind != WECHAT {
            return Err(super::wrong_kind(&row.kind, WECHAT));
        }
        let payload: TemplatePayload = serde_json::from_str(&row.payload)
            .map_err(|e| ProviderError::Refused(format!("not a template message: {e}")))?;
        let request = template_request(&payload, &row.idem_key).map_err(ProviderError::Refused)?;
        let token = self.token().await?;
        let answer = self.post(&token, &request).await?;
        if template_disposition(&answer) != Some(Disposition::RenewToken) {
            return verdict(row, &answer, false);
        }
        self.tokens.forget(&token).await;
        let token = self.token().await?;
        let answer = self.post(&token, &request).await?;
        verdict(row, &answer, true)
    }
}

fn template_disposition(answer: &SendAnswer) -> Option<Disposition> {
    (answer.errcode != 0).then(|| errcode::template_disposition(answer.errcode))
}

/// The provider's answer for WeChat's `answer`; `renewed` if the token was already renewed
/// for this message.
fn verdict(row: &OutboxRow, answer: &SendAnswer, renewed: bool) -> Result<String, ProviderError> {
    let why = || errcode::describe(answer.errcode, &answer.errmsg);
    match template_disposition(answer) {
        None => Ok(answer.msgid.map_or_else(
            // Accepted without an id (not documented): the hand-over is named instead, and
            // no receipt will match it.
            || format!("wechat:{}.{}", row.id, row.attempt),
            |msgid| msgid.to_string(),
        )),
        Some(Disposition::RenewToken) if renewed => Err(ProviderError::Retry(format!(
            "WeChat refused a freshly fetched access token: {}",
            why()
        ))),
        Some(Disposition::RenewToken | Disposition::Retry) => Err(ProviderError::Retry(why())),
        Some(Disposition::Refuse) => Err(ProviderError::Refused(why())),
    }
}

impl Provider for TemplateProvider {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(self.deliver(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_has_the_fixture_shape() {
        let payload = TemplatePayload {
            openid: "OPENID".to_owned(),
            template_id: "TEMPLATE_ID".to_owned(),
            data: BTreeMap::from([
                ("thing1".to_owned(), "暴雨黄色预警".to_owned()),
                ("time2".to_owned(), "2025年06月17日 06:30".to_owned()),
            ]),
            url: Some("http://127.0.0.1:8080/alerts/x".to_owned()),
        };
        let request = template_request(&payload, "35042341600000_20250617063000_0").unwrap();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "touser": "OPENID",
                "template_id": "TEMPLATE_ID",
                "url": "http://127.0.0.1:8080/alerts/x",
                "client_msg_id": "35042341600000_20250617063000_0",
                "data": {
                    "thing1": {"value": "暴雨黄色预警"},
                    "time2": {"value": "2025年06月17日 06:30"}
                }
            })
        );
    }

    #[test]
    fn an_incomplete_payload_is_refused_before_sending() {
        let full = TemplatePayload {
            openid: "o1".to_owned(),
            template_id: "t1".to_owned(),
            data: BTreeMap::from([("thing1".to_owned(), "x".to_owned())]),
            url: None,
        };
        assert!(template_request(&full, "k").is_ok());
        let no_openid = TemplatePayload {
            openid: " ".to_owned(),
            ..full.clone()
        };
        let no_template = TemplatePayload {
            template_id: String::new(),
            ..full.clone()
        };
        let no_data = TemplatePayload {
            data: BTreeMap::new(),
            ..full
        };
        for payload in [no_openid, no_template, no_data] {
            assert!(template_request(&payload, "k").is_err(), "{payload:?}");
        }
    }
}
