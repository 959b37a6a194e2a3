//! Each channel's own words for where a message stands: an SMS is `submitted` once the SMSC
//! took it and `delivered` only by its receipt; a WeCom robot answers only `accepted` (the most
//! a group chat tells, so it counts as received); a template message is `accepted` until its
//! job-finish callback says `delivered` — and a central whose callback is not configured (an
//! intranet central WeChat cannot reach) says so.

use crate::central::channels::routes::NO_CALLBACK;
use crate::central::channels::{SMS, WECHAT, WECOM};
use crate::domain::outbox::OutboxState;

/// A message's status in its channel's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// The word (`submitted`, `accepted` …).
    pub word: &'static str,
    /// Whether it counts as received.
    pub received: bool,
}

/// The status of a message of `kind` in `state`.
pub fn status(kind: &str, state: OutboxState) -> Status {
    use OutboxState as S;
    let word = match (kind, state) {
        (_, S::Queued | S::Claimed) => "queued",
        (_, S::Sending) => "sending",
        (SMS, S::Sent) => "submitted",
        (WECOM | WECHAT, S::Sent) => "accepted",
        (_, S::Sent) => "sent",
        (_, other) => other.code(),
    };
    let received = state == S::Delivered || (kind == WECOM && state == S::Sent);
    Status { word, received }
}

/// What a robot's words mean.
pub const ROBOT_NOTE: &str = "a WeCom robot answers only \"accepted\": it is the most a group chat tells, so it counts as received";

/// What template messages' words mean while the callback can bring their receipts.
pub const TEMPLATE_NOTE: &str = "accepted until WeChat's job-finish callback says delivered";

/// What `kind`'s words mean here, when it matters.
pub fn channel_note(kind: &str, wechat_callback: bool) -> Option<&'static str> {
    match kind {
        WECOM => Some(ROBOT_NOTE),
        WECHAT if wechat_callback => Some(TEMPLATE_NOTE),
        WECHAT => Some(NO_CALLBACK),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OutboxState as S;

    #[test]
    fn each_channel_says_what_it_knows() {
        let table = [
            (SMS, S::Queued, "queued", false),
            (SMS, S::Claimed, "queued", false),
            (SMS, S::Sending, "sending", false),
            (SMS, S::Sent, "submitted", false),
            (SMS, S::Delivered, "delivered", true),
            (SMS, S::Failed, "failed", false),
            (SMS, S::Unknown, "unknown", false),
            (WECOM, S::Sent, "accepted", true),
            (WECOM, S::Failed, "failed", false),
            (WECHAT, S::Sent, "accepted", false),
            (WECHAT, S::Delivered, "delivered", true),
            ("relay", S::Sent, "sent", false),
            (SMS, S::Expired, "expired", false),
        ];
        for (kind, state, word, received) in table {
            assert_eq!(
                status(kind, state),
                Status { word, received },
                "{kind} {state}"
            );
        }
    }

    #[test]
    fn robots_and_templates_explain_their_words() {
        assert_eq!(channel_note(SMS, false), None);
        assert_eq!(channel_note(WECOM, true), Some(ROBOT_NOTE));
        assert_eq!(channel_note(WECHAT, true), Some(TEMPLATE_NOTE));
        assert_eq!(channel_note(WECHAT, false), Some(NO_CALLBACK));
    }
}
