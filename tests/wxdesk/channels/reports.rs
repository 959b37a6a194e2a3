//! The reports worker's step on a real outbox: the receipts of a two-part SMS settle its row
//! only when both are in (the first failure's reason wins), a receipt for an id nobody sent is
//! kept unmatched, and an SMS reply is stored as an inbound message of channel `sms`.

use std::sync::Arc;

use wxdesk::central::channels::reports::{Applied, apply};
use wxdesk::central::channels::{ChannelReport, ReceiptOutcome, SMS, SmsPayload, WECHAT};
use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::channels::dispatch_config;
use wxdesk::central::workers::dispatch::{self, Provider, ProviderCall};
use wxdesk::domain::outbox::OutboxState;
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::store::central::SqliteCentralStore;
use wxdesk::store::central::outbox::{NewMessage, OutboxRow, SqliteOutbox};

use crate::support;

/// A gateway that takes every SMS in two parts.
struct TwoParts;

impl Provider for TwoParts {
    fn send<'a>(&'a self, _row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(async { Ok("smsc-71,smsc-72".to_owned()) })
    }
}

/// A central's outbox in a fresh database (the directory lives as long as it is kept).
fn outbox() -> (tempfile::TempDir, Arc<SqliteOutbox>) {
    support::init();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    drop(SqliteCentralStore::open(&path, &network, wxdesk::assets::qc_config().unwrap()).unwrap());
    let outbox = Arc::new(SqliteOutbox::open(&path).unwrap());
    (dir, outbox)
}

#[tokio::test]
async fn receipts_settle_a_two_part_sms_and_a_reply_is_kept() {
    let (_dir, outbox) = outbox();
    let payload = SmsPayload {
        to: "13905981234".to_owned(),
        text: "【清流气象】暴雨黄色预警".to_owned(),
    };
    let message = NewMessage {
        idem_key: "w5-v1-r1-sms".to_owned(),
        kind: SMS.to_owned(),
        payload: serde_json::to_string(&payload).unwrap(),
        due_at: support::now(),
    };
    let (id, _) = outbox.enqueue(&message, support::now()).unwrap();
    let clock: SharedClock = ManualClock::new(support::now());
    let config = dispatch_config(SMS, 10_000, &Failpoints::none());
    let done = dispatch::dispatch_once(&outbox, &TwoParts, &clock, &config).await;
    assert_eq!(done.unwrap().sent, 1);

    let now = support::now();
    let receipt = |id: &str, outcome| ChannelReport::Receipt {
        provider_id: id.to_owned(),
        outcome,
        at: now,
    };
    let first = apply(&outbox, &receipt("smsc-71", ReceiptOutcome::Delivered), now);
    assert_eq!(first.unwrap(), Applied::Kept);
    assert_eq!(outbox.row(id).unwrap().unwrap().state, OutboxState::Sent);
    let failed = ReceiptOutcome::Failed("UNDELIV 005".to_owned());
    let second = apply(&outbox, &receipt("smsc-72", failed), now);
    assert_eq!(second.unwrap(), Applied::Settled(id, OutboxState::Failed));
    let row = outbox.row(id).unwrap().unwrap();
    assert_eq!(row.last_error.as_deref(), Some("UNDELIV 005"));
    let stray = apply(&outbox, &receipt("smsc-99", ReceiptOutcome::Delivered), now);
    assert_eq!(stray.unwrap(), Applied::Kept, "kept until a send names it");

    let reply = ChannelReport::Reply {
        channel: SMS,
        from: "13905981234".to_owned(),
        text: "收到".to_owned(),
        at: now,
        message_id: None,
    };
    assert!(matches!(
        apply(&outbox, &reply, now).unwrap(),
        Applied::Reply(_)
    ));
    let inbound = outbox.inbound().unwrap();
    assert_eq!((inbound.len(), inbound[0].channel.as_str()), (1, SMS));
}

#[test]
fn a_reply_delivered_again_under_its_gateway_id_is_kept_once() {
    let (_dir, outbox) = outbox();
    let now = support::now();
    let reply = |channel, id: Option<&str>| ChannelReport::Reply {
        channel,
        from: "13905981234".to_owned(),
        text: "收到".to_owned(),
        at: now,
        message_id: id.map(str::to_owned),
    };
    // (report, what applying it does)
    let cases = [
        (reply(WECHAT, Some("2485123")), true),
        // WeChat's retry of the same push: a copy.
        (reply(WECHAT, Some("2485123")), false),
        // The same id on another channel is another message.
        (reply(SMS, Some("2485123")), true),
        (reply(SMS, Some("7")), true),
        (reply(SMS, Some("7")), false),
        // Without a gateway id nothing tells a copy from a second "收到": both are kept.
        (reply(SMS, None), true),
        (reply(SMS, None), true),
    ];
    for (i, (report, kept)) in cases.iter().enumerate() {
        let applied = apply(&outbox, report, now).unwrap();
        assert_eq!(
            matches!(applied, Applied::Reply(_)),
            *kept,
            "case {i}: {applied:?}"
        );
        if !kept {
            assert_eq!(applied, Applied::Copy, "case {i}");
        }
    }
    assert_eq!(outbox.inbound().unwrap().len(), 5);
}
