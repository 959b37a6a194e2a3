//! What protocol the central speaks, and the gate of its sync routes: a desk announces its
//! protocol in the `wxdesk-protocol` header, and one too old for this central's feed (today's
//! released desks send none) is told plainly that it must be updated, instead of failing on a
//! feed it cannot read.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::error::Failure;
use crate::domain::refusal::Code;
use crate::protocol::{Cursor, PROTOCOL_HEADER, PROTOCOL_VERSION, VersionInfo};

/// `GET /version`: the protocol, version, change kinds and features this central serves.
pub async fn version() -> Json<VersionInfo> {
    Json(VersionInfo::current())
}

/// Extracting it admits only desks speaking this central's protocol: put it first among a
/// sync handler's arguments, so an old desk hears "update required" before anything else.
#[derive(Debug, Clone, Copy)]
pub struct SyncProtocol;

impl<S: Send + Sync> FromRequestParts<S> for SyncProtocol {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let announced = parts
            .headers
            .get(PROTOCOL_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u32>().ok());
        match announced {
            Some(version) if version >= PROTOCOL_VERSION => Ok(Self),
            other => Err(update_required(other.unwrap_or(1))),
        }
    }
}

/// 426 `update_required`, said in both languages: an old desk shows the message as it is.
pub fn update_required(desk: u32) -> Failure {
    Failure::new(
        StatusCode::UPGRADE_REQUIRED,
        Code::UpdateRequired,
        format!(
            "需要更新 wxdesk：中心已使用同步协议 {PROTOCOL_VERSION}，本机为协议 {desk}，请安装新版 wxdesk 后再同步。\
             Update required: the central speaks sync protocol {PROTOCOL_VERSION}, this desk \
             protocol {desk}; install the new wxdesk to sync again."
        ),
    )
    .with("desk", desk)
    .with("central", PROTOCOL_VERSION)
}

/// The `seq` a cursor from a desk names: `None` (absent) is the start of the log; text this
/// central did not write is 400 `invalid_cursor`.
pub fn cursor_seq(text: Option<&str>) -> Result<Option<u64>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    Cursor::from_text(text.trim()).seq().map(Some).map_err(|_| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidCursor,
            format!(
                "{text:?} is not a cursor of this central's change feed; use a cursor it \
                 answered (a page's next, an event's id), or none to start from the beginning"
            ),
        )
        .with("text", text)
    })
}

/// 409 `cursor_ahead` when `after` lies beyond the log's newest change `head`.
pub fn check_not_ahead(after: u64, head: u64) -> Result<(), Failure> {
    if after <= head {
        return Ok(());
    }
    Err(Failure::new(
        StatusCode::CONFLICT,
        Code::CursorAhead,
        format!(
            "the cursor is beyond this central's newest change: its change log is not the \
             one the cursor came from; sync again from the start ({})",
            Cursor::from_seq(head)
        ),
    )
    .with("cursor", Cursor::from_seq(after).to_string())
    .with("head", Cursor::from_seq(head).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn gate(header: Option<&str>) -> Result<SyncProtocol, Failure> {
        let mut request = Request::builder().uri("/api/v1/changes");
        if let Some(value) = header {
            request = request.header(PROTOCOL_HEADER, value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        SyncProtocol::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn the_gate_admits_protocol_2_and_tells_older_desks_to_update() {
        assert!(gate(Some("2")).await.is_ok());
        assert!(gate(Some(" 3 ")).await.is_ok());
        for header in [None, Some("1"), Some("two"), Some("")] {
            let failure = gate(header).await.unwrap_err();
            assert_eq!(failure.status, StatusCode::UPGRADE_REQUIRED, "{header:?}");
            assert_eq!(failure.body.error, "update_required");
            assert!(failure.body.message.starts_with("需要更新 wxdesk"));
            assert!(failure.body.message.contains("Update required"));
        }
    }

    #[test]
    fn cursors_are_checked_with_stable_codes() {
        assert_eq!(cursor_seq(None).unwrap(), None);
        assert_eq!(cursor_seq(Some("s1.1f")).unwrap(), Some(31));
        for text in ["5", "s1.zz", "", "s9.1"] {
            let failure = cursor_seq(Some(text)).unwrap_err();
            assert_eq!(failure.status, StatusCode::BAD_REQUEST, "{text:?}");
            assert_eq!(failure.body.error, "invalid_cursor");
        }
        assert!(check_not_ahead(3, 3).is_ok());
        let failure = check_not_ahead(4, 3).unwrap_err();
        assert_eq!(
            (failure.status, failure.body.error.as_str()),
            (StatusCode::CONFLICT, "cursor_ahead")
        );
    }
}
