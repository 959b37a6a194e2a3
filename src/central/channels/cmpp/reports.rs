//! What a DELIVER tells: a status report becomes a [`ChannelReport::Receipt`] for one part's
//! `Msg_Id`, a mobile-originated message a [`ChannelReport::Reply`]; and a receipt settles the
//! outbox row it belongs to.

use super::auth::report_time;
use super::parts::mo_text;
use super::pdu::{Deliver, StatusReport};
use crate::central::channels::{ChannelReport, ReceiptOutcome};
use crate::domain::Timestamp;

/// The Stat of a delivered message.
pub const DELIVERED: &str = "DELIVRD";

/// The report a DELIVER carries, heard at `now`; `None` for a status report too short to read
/// (it is still answered, so the gateway does not send it forever).
pub fn report_of(deliver: &Deliver, now: Timestamp) -> Option<ChannelReport> {
    if deliver.registered_delivery == 1 {
        let Ok(status) = StatusReport::decode(&deliver.content) else {
            tracing::warn!("CMPP status report too short; ignored");
            return None;
        };
        let outcome = if status.stat == DELIVERED {
            ReceiptOutcome::Delivered
        } else {
            ReceiptOutcome::Failed(status.stat)
        };
        return Some(ChannelReport::Receipt {
            provider_id: status.msg_id.to_string(),
            outcome,
            at: report_time(&status.done_time).unwrap_or(now),
        });
    }
    Some(ChannelReport::Reply {
        channel: crate::central::channels::SMS,
        from: national_number(&deliver.src_terminal_id).to_owned(),
        text: mo_text(deliver.msg_fmt, deliver.tp_udhi, &deliver.content),
        at: now,
        message_id: Some(deliver.msg_id.to_string()),
    })
}

/// A terminal id without the country code some gateways add (`+86`, `86`).
pub fn national_number(id: &str) -> &str {
    let id = id.trim();
    let bare = id.strip_prefix('+').unwrap_or(id);
    match bare.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest,
        _ => bare,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver(registered_delivery: u8, content: Vec<u8>) -> Deliver {
        Deliver {
            msg_id: 7,
            dest_id: "106900001".into(),
            service_id: "QXYJ".into(),
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: 8,
            src_terminal_id: "8613800000000".into(),
            registered_delivery,
            content,
        }
    }

    fn status(stat: &str, done: &str) -> Vec<u8> {
        StatusReport {
            msg_id: 1_234_567_890_123,
            stat: stat.into(),
            submit_time: "2606170630".into(),
            done_time: done.into(),
            dest_terminal_id: "13800000000".into(),
            smsc_sequence: 9,
        }
        .encode()
    }

    #[test]
    fn delivers_become_reports() {
        let now = Timestamp(1);
        let done = report_time("2606170631").unwrap();
        let receipt = |outcome, at| ChannelReport::Receipt {
            provider_id: "1234567890123".into(),
            outcome,
            at,
        };
        let table = [
            (
                deliver(1, status("DELIVRD", "2606170631")),
                Some(receipt(ReceiptOutcome::Delivered, done)),
            ),
            (
                deliver(1, status("UNDELIV", "bad")),
                Some(receipt(ReceiptOutcome::Failed("UNDELIV".into()), now)),
            ),
            (deliver(1, vec![0; 10]), None),
            (
                deliver(0, vec![0x65, 0x36, 0x52, 0x30]),
                Some(ChannelReport::Reply {
                    channel: crate::central::channels::SMS,
                    from: "13800000000".into(),
                    text: "收到".into(),
                    at: now,
                    message_id: Some("7".into()),
                }),
            ),
        ];
        for (pdu, want) in table {
            assert_eq!(report_of(&pdu, now), want);
        }
    }

    #[test]
    fn country_codes_are_dropped() {
        let table = [
            ("8613800000000", "13800000000"),
            ("+8613800000000", "13800000000"),
            ("13800000000", "13800000000"),
            ("8612", "8612"),
        ];
        for (id, want) in table {
            assert_eq!(national_number(id), want);
        }
    }
}
