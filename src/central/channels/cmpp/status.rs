//! What the gateway's numbers mean (CMPP 2.0 §7.4.2 and §7.4.4), in the words the outbox keeps.

/// `CONNECT_RESP`'s Status: `None` for 0 (accepted).
pub fn connect_refusal(status: u8) -> Option<String> {
    let meaning = match status {
        0 => return None,
        1 => "message structure error",
        2 => "bad source address (SP id)",
        3 => "authentication failed",
        4 => "version too high",
        _ => "other error",
    };
    Some(format!("CMPP connect refused: status {status}, {meaning}"))
}

/// `SUBMIT_RESP`'s Result 8: flow control (流量控制) — not taken, send later.
pub const FLOW_CONTROL: u8 = 8;

/// `SUBMIT_RESP`'s Result in words (for a refusal; 0 is success).
pub fn submit_meaning(result: u8) -> &'static str {
    match result {
        0 => "accepted",
        1 => "message structure error",
        2 => "command word error",
        3 => "duplicate sequence id",
        4 => "message length error",
        5 => "fee code error",
        6 => "message too long",
        7 => "service id error",
        FLOW_CONTROL => "flow control",
        _ => "other error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_named() {
        let table = [
            (0, None),
            (
                2,
                Some("CMPP connect refused: status 2, bad source address (SP id)"),
            ),
            (
                3,
                Some("CMPP connect refused: status 3, authentication failed"),
            ),
            (4, Some("CMPP connect refused: status 4, version too high")),
            (9, Some("CMPP connect refused: status 9, other error")),
        ];
        for (status, want) in table {
            assert_eq!(connect_refusal(status).as_deref(), want);
        }
        let results = [
            (1, "message structure error"),
            (7, "service id error"),
            (8, "flow control"),
            (13, "other error"),
        ];
        for (result, want) in results {
            assert_eq!(submit_meaning(result), want);
        }
    }
}
