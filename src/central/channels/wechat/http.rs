//! The HTTP round trip both channels share: build the client, send, read the JSON answer, and
//! turn transport failures into a "not now" that names no URL (the URL's query holds the key
//! or the access token).

use std::time::Duration;

use reqwest::{Client, RequestBuilder, Url};
use serde::de::DeserializeOwned;

use super::ConfigError;
use crate::central::workers::dispatch::ProviderError;

/// Connecting longer than this is a dead link.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A whole HTTP call longer than this many seconds is given up.
pub(super) const CALL_TIMEOUT_S: u64 = 15;
const CALL_TIMEOUT: Duration = Duration::from_secs(CALL_TIMEOUT_S);

/// A client for one WeChat API.
pub(super) fn client() -> Result<Client, ConfigError> {
    Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .build()
        .map_err(|e| ConfigError::Http(e.without_url().to_string()))
}

/// `base` as a URL that paths can be joined to.
pub(super) fn base_url(what: &'static str, base: &str) -> Result<Url, ConfigError> {
    let fail = |reason: String| ConfigError::BaseUrl {
        what,
        url: base.to_owned(),
        reason,
    };
    let url = Url::parse(base).map_err(|e| fail(e.to_string()))?;
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
        return Err(fail("not an http(s) base".to_owned()));
    }
    Ok(url)
}

/// `path` under `base` (which may itself have a path prefix).
pub(super) fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}{path}"));
    url
}

/// Sends `request` and reads its JSON answer. WeChat answers every verdict as JSON with HTTP
/// 200, so anything else means the verdict was not heard: a "not now" when the request never
/// left (no connection), an unknown outcome once it may have arrived.
pub(super) async fn call<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, ProviderError> {
    let answer = request.send().await.map_err(transport)?;
    let status = answer.status();
    if !status.is_success() {
        return Err(ProviderError::Retry(format!(
            "WeChat answered HTTP {status}"
        )));
    }
    let body = answer.bytes().await.map_err(transport)?;
    serde_json::from_slice(&body).map_err(|e| {
        ProviderError::Unknown(format!("WeChat's answer is not the documented JSON: {e}"))
    })
}

/// A transport failure, without the URL it was for.
fn transport(error: reqwest::Error) -> ProviderError {
    if error.is_connect() {
        return ProviderError::Retry(format!("cannot reach WeChat: {}", error.without_url()));
    }
    let what = if error.is_timeout() {
        "no answer from WeChat in time (it may have been accepted)"
    } else {
        "the call to WeChat failed (it may have been accepted)"
    };
    ProviderError::Unknown(format!("{what}: {}", error.without_url()))
}
