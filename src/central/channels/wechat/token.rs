//! The Official Account's access token: fetched with
//! `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…` (the fixtures' `token`)
//! or `POST /cgi-bin/stable_token` (the fixtures' `stable_token`, see [`TokenEndpoint`]),
//! cached until `expires_in` minus a margin on the injected clock, and shared by concurrent
//! sends: one fetch at a time, the others wait for its result.
//!
//! Every fetch from `/cgi-bin/token` makes WeChat retire the previous token (after a short
//! grace), so fetching only when needed, from one place, is part of the protocol, not an
//! optimisation. Several centrals sharing one account use the stable token instead: it hands
//! every caller the same token while it is valid.

use std::future::Future;

use reqwest::{Client, Url};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::{Hidden, errcode, http, scrub};
use crate::central::workers::dispatch::ProviderError;
use crate::domain::Timestamp;
use crate::domain::time::SharedClock;

/// Which endpoint gives the account's tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpoint {
    /// `GET /cgi-bin/token`: each fetch retires the previous token; for one central.
    #[default]
    Token,
    /// `POST /cgi-bin/stable_token` without `force_refresh`: the same token to every caller
    /// while it is valid; for several centrals (or other systems) sharing the account.
    StableToken,
}

impl TokenEndpoint {
    /// The endpoint's path under the API's base URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::Token => "/cgi-bin/token",
            Self::StableToken => "/cgi-bin/stable_token",
        }
    }
}

/// The stable token's request body (no `Debug`: it holds the secret).
#[derive(Serialize)]
struct StableTokenRequest<'a> {
    grant_type: &'static str,
    appid: &'a str,
    secret: &'a str,
    force_refresh: bool,
}

/// A token and when to stop using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The token (`Debug` shows `***`).
    pub value: Hidden,
    /// From this instant on it is renewed before use.
    pub renew_at: Timestamp,
}

/// When a token fetched at `fetched_at`, living `expires_in_s`, is renewed: `margin_ms` before
/// it expires, but never before half its life (a short-lived token is still used).
pub fn renew_at(fetched_at: Timestamp, expires_in_s: i64, margin_ms: i64) -> Timestamp {
    let life_ms = expires_in_s.saturating_mul(1000).max(0);
    let used_ms = life_ms.saturating_sub(margin_ms).max(life_ms / 2);
    fetched_at.plus_ms(used_ms)
}

/// What the token endpoint gave.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The token.
    pub token: Hidden,
    /// Its life in seconds, as announced.
    pub expires_in_s: i64,
}

/// The one cached token of an account.
#[derive(Debug)]
pub struct TokenCache {
    slot: Mutex<Option<AccessToken>>,
    margin_ms: i64,
}

impl TokenCache {
    /// An empty cache renewing tokens `margin_ms` before they expire.
    pub fn new(margin_ms: i64) -> Self {
        Self {
            slot: Mutex::new(None),
            margin_ms,
        }
    }

    /// The cached token if it is still fresh on `clock`; otherwise `fetch` gets a new one. The
    /// cache stays locked through the fetch, so concurrent callers wait for it and reuse its
    /// result instead of fetching (and retiring each other's tokens) in turn.
    pub async fn current<F, Fut>(
        &self,
        clock: &SharedClock,
        fetch: F,
    ) -> Result<Hidden, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, ProviderError>>,
    {
        let mut slot = self.slot.lock().await;
        let started = clock.now();
        if let Some(token) = slot.as_ref().filter(|t| started < t.renew_at) {
            return Ok(token.value.clone());
        }
        let fetched = fetch().await?;
        let token = AccessToken {
            value: fetched.token,
            renew_at: renew_at(started, fetched.expires_in_s, self.margin_ms),
        };
        let value = token.value.clone();
        *slot = Some(token);
        Ok(value)
    }

    /// Drops `stale` if it is still the cached token (WeChat refused it). A token another
    /// caller already replaced is left alone, so one refusal costs one fetch, not one each.
    pub async fn forget(&self, stale: &Hidden) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|t| &t.value == stale) {
            *slot = None;
        }
    }
}

/// The token endpoint's answer: a token, or an error.
#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    access_token: Option<Hidden>,
    expires_in: Option<i64>,
}

/// Asks `endpoint` at `url` for a token. Any failure is a "not now": the message is not at
/// fault, and the account's settings can be mended while it waits.
pub async fn fetch(
    http: &Client,
    (endpoint, url): (TokenEndpoint, &Url),
    app_id: &str,
    secret: &Hidden,
) -> Result<Fetched, ProviderError> {
    let request = match endpoint {
        TokenEndpoint::Token => http.get(url.clone()).query(&[
            ("grant_type", "client_credential"),
            ("appid", app_id),
            ("secret", secret.expose()),
        ]),
        TokenEndpoint::StableToken => http.post(url.clone()).json(&StableTokenRequest {
            grant_type: "client_credential",
            appid: app_id,
            secret: secret.expose(),
            force_refresh: false,
        }),
    };
    let answer: TokenAnswer = http::call(request).await.map_err(|e| match e {
        ProviderError::Retry(why) | ProviderError::Refused(why) | ProviderError::Unknown(why) => {
            ProviderError::Retry(format!("access token: {why}"))
        }
    })?;
    match (answer.errcode, answer.access_token, answer.expires_in) {
        (0, Some(token), Some(expires_in_s)) if expires_in_s > 0 => Ok(Fetched {
            token,
            expires_in_s,
        }),
        (0, _, _) => Err(ProviderError::Retry(
            "access token: the answer has no token or no positive expires_in".to_owned(),
        )),
        (code, _, _) => {
            let errmsg = scrub(&answer.errmsg, &[secret]);
            Err(ProviderError::Retry(format!(
                "access token: {}",
                errcode::describe(code, &errmsg)
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_renewed_a_margin_before_it_expires_but_not_before_half_its_life() {
        // (expires_in s, margin ms, renewed after ms)
        let table = [
            (7200, 300_000, 6_900_000),
            (7200, 0, 7_200_000),
            (600, 300_000, 300_000),
            (300, 300_000, 150_000),
            (0, 300_000, 0),
        ];
        for (expires_in_s, margin_ms, after) in table {
            assert_eq!(
                renew_at(Timestamp(1_000), expires_in_s, margin_ms),
                Timestamp(1_000 + after),
                "{expires_in_s} s with a margin of {margin_ms} ms"
            );
        }
    }

    #[test]
    fn a_cached_token_shows_no_secret() {
        let token = AccessToken {
            value: Hidden::new("ACCESS_TOKEN_VALUE"),
            renew_at: Timestamp(0),
        };
        let debug = format!("{token:?}");
        assert!(!debug.contains("ACCESS_TOKEN_VALUE"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
    }
}
