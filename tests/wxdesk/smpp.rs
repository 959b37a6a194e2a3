//! SMS over SMPP 3.4 against a real SMSC (the npm `smpp` 0.5.1 server of tests/peers/smsc,
//! started on 127.0.0.1 by each test), through the real outbox and dispatch pass: a 2-part
//! Chinese message reassembled with its UDH, receipts settling rows delivered or failed,
//! throttled rows retried and none lost, a dropped link leaving its row `unknown` and nothing
//! submitted twice, a reply reported, the password kept out of errors and Debug, and the
//! dispatcher keeping `concurrency` calls in flight.

pub(crate) mod peer;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use wxdesk::central::channels::inbox::{Incoming, ReportSender};
use wxdesk::central::channels::smpp::{Hidden, SmppConfig, SmppProvider};
use wxdesk::central::channels::{ChannelReport, SMS, SmsPayload};
use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{
    self, DispatchConfig, Dispatched, Provider, ProviderError,
};
use wxdesk::domain::Clock as _;
use wxdesk::domain::Timestamp;
use wxdesk::domain::outbox::OutboxState;
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::store::central::outbox::{NewMessage, SqliteOutbox};

use self::peer::Smsc;
use crate::outbox::{T0, fresh_db};

const PASSWORD: &str = "pw9Qx7z";

fn golden() -> serde_json::Value {
    serde_json::from_str(include_str!("../data/sms/smpp34-ucs2-concat-golden.json")).unwrap()
}

fn config(smsc: &Smsc, password: &str, window: usize) -> SmppConfig {
    SmppConfig {
        host: "127.0.0.1".to_owned(),
        port: smsc.port,
        system_id: "qlqx".to_owned(),
        password: Hidden::new(password),
        system_type: String::new(),
        source_addr: "106900001".to_owned(),
        window,
        max_submits_per_second: None,
        connect_timeout_ms: 5_000,
        response_timeout_ms: 10_000,
        enquire_link_ms: 30_000,
    }
}

fn dispatch_config(concurrency: usize) -> DispatchConfig {
    DispatchConfig {
        owner: "smpp-test".to_owned(),
        lease_ms: 60_000,
        batch: 100,
        retry_base_ms: 1_000,
        retry_cap_ms: 8_000,
        kind: Some(SMS.to_owned()),
        concurrency,
        failpoints: Failpoints::none(),
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    outbox: Arc<SqliteOutbox>,
    clock: Arc<ManualClock>,
    provider: SmppProvider,
    reports: mpsc::Receiver<Incoming>,
}

fn setup(smsc: &Smsc) -> Setup {
    crate::support::init();
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    let clock = ManualClock::new(Timestamp(T0));
    let (sender, reports) = ReportSender::channel(64);
    let shared: SharedClock = clock.clone();
    let provider = SmppProvider::new(config(smsc, PASSWORD, 10), sender, shared);
    Setup {
        _dir: dir,
        outbox,
        clock,
        provider,
        reports,
    }
}

fn enqueue(outbox: &SqliteOutbox, to: &str, text: &str) -> i64 {
    let payload = SmsPayload {
        to: to.to_owned(),
        text: text.to_owned(),
    };
    let message = NewMessage {
        idem_key: format!("w1-v1-{to}-sms"),
        kind: SMS.to_owned(),
        payload: serde_json::to_string(&payload).unwrap(),
        due_at: Timestamp(T0),
    };
    outbox.enqueue(&message, Timestamp(T0)).unwrap().0
}

/// The next report, acknowledged at once (these tests do not watch the SMSC's answers).
async fn next_report(reports: &mut mpsc::Receiver<Incoming>) -> ChannelReport {
    let Incoming { report, ack } = tokio::time::timeout(Duration::from_secs(20), reports.recv())
        .await
        .expect("a report within 20 s")
        .expect("the channel open");
    let _ = ack.send(true);
    report
}

/// Feeds `n` receipts to the outbox as the central's report loop does.
async fn settle(s: &mut Setup, n: usize) {
    for _ in 0..n {
        let report = next_report(&mut s.reports).await;
        assert!(
            matches!(report, ChannelReport::Receipt { .. }),
            "{report:?}"
        );
        wxdesk::central::channels::reports::settle_report(&s.outbox, &report, s.clock.now())
            .unwrap();
    }
}

fn state(outbox: &SqliteOutbox, id: i64) -> (OutboxState, Option<String>) {
    let row = outbox.row(id).unwrap().unwrap();
    (row.state, row.last_error)
}

#[tokio::test]
async fn a_two_part_message_arrives_with_its_udh_and_receipts_settle_rows() {
    let Some(smsc) = Smsc::start(&[("SMSC_UNDELIV", "8613900000002")]) else {
        return;
    };
    let mut s = setup(&smsc);
    let text = golden()["text"].as_str().unwrap().to_owned();
    let delivered = enqueue(&s.outbox, "13800000001", &text);
    let undelivered = enqueue(&s.outbox, "13900000002", "【清流气象】暴雨黄色预警已解除。");
    let clock: SharedClock = s.clock.clone();
    let done = dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(2))
        .await
        .unwrap();
    assert_eq!(
        done,
        Dispatched {
            sent: 2,
            ..Dispatched::default()
        }
    );

    let submits = smsc.submits();
    let parts: Vec<_> = submits
        .iter()
        .filter(|p| p.destination == "8613800000001")
        .collect();
    let want = golden()["segments_short_message_hex"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(parts.len(), 2);
    for (i, (part, want)) in parts.iter().zip(&want).enumerate() {
        let want = want.as_str().unwrap();
        assert_eq!(part.esm_class, 0x40);
        // Same header but for the reference (byte 4), same text bytes.
        assert_eq!(&part.short_message[..6], "050003");
        assert_eq!(&part.short_message[8..12], format!("02{:02x}", i + 1));
        assert_eq!(&part.short_message[12..], &want[12..], "part {}", i + 1);
    }
    assert_eq!(
        parts[0].short_message[6..8],
        parts[1].short_message[6..8],
        "one reference"
    );
    let row = s.outbox.row(delivered).unwrap().unwrap();
    let ids: Vec<String> = parts
        .iter()
        .map(|p| p.message_id.clone().unwrap())
        .collect();
    assert_eq!(
        row.provider_id.unwrap(),
        ids.join(","),
        "the parts' ids in order"
    );

    settle(&mut s, 3).await;
    assert_eq!(state(&s.outbox, delivered).0, OutboxState::Delivered);
    let (failed, reason) = state(&s.outbox, undelivered);
    assert_eq!(failed, OutboxState::Failed);
    assert!(reason.unwrap().contains("UNDELIV 005"));
}

#[tokio::test]
async fn throttled_rows_are_retried_and_none_lost() {
    let Some(smsc) = Smsc::start(&[("SMSC_THROTTLE", "2")]) else {
        return;
    };
    let s = setup(&smsc);
    let numbers: Vec<String> = (0..6).map(|i| format!("1380000001{i}")).collect();
    for number in &numbers {
        enqueue(&s.outbox, number, "【清流气象】雷电黄色预警");
    }
    let clock: SharedClock = s.clock.clone();
    let first = dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(6))
        .await
        .unwrap();
    // Six at once, at most two a second: even across a second's edge four wait.
    assert!(first.retried >= 2, "{first:?}");
    let mut sent = first.sent;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sent < numbers.len() {
        assert!(std::time::Instant::now() < deadline, "only {sent} sent");
        s.clock.advance(8_000);
        let pass = dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(6))
            .await
            .unwrap();
        assert_eq!(pass.unknown + pass.refused, 0, "{pass:?}");
        sent += pass.sent;
        if pass.sent == 0 {
            // The SMSC's window is a wall-clock second: give it one.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let accepted: Vec<_> = smsc
        .submits()
        .into_iter()
        .filter(|p| p.status == "accepted")
        .collect();
    for number in &numbers {
        let times = accepted
            .iter()
            .filter(|p| p.destination == format!("86{number}"))
            .count();
        assert_eq!(times, 1, "each number accepted exactly once");
    }
}

#[tokio::test]
async fn a_dropped_link_leaves_the_row_unknown_and_nothing_twice() {
    let Some(smsc) = Smsc::start(&[("SMSC_DROP_AFTER", "2")]) else {
        return;
    };
    let s = setup(&smsc);
    let ids: Vec<i64> = (0..4)
        .map(|i| {
            enqueue(
                &s.outbox,
                &format!("1370000000{i}"),
                "【清流气象】大风蓝色预警",
            )
        })
        .collect();
    let clock: SharedClock = s.clock.clone();
    let done = dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(1))
        .await
        .unwrap();
    assert_eq!(
        done,
        Dispatched {
            sent: 3,
            unknown: 1,
            ..Dispatched::default()
        }
    );
    let unknown: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| state(&s.outbox, *id).0 == OutboxState::Unknown)
        .collect();
    assert_eq!(unknown.len(), 1);
    let reason = state(&s.outbox, unknown[0]).1.unwrap();
    assert!(reason.contains("dropped after submit_sm"), "{reason}");

    s.clock.advance(600_000);
    let again = dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(1))
        .await
        .unwrap();
    assert_eq!(
        again,
        Dispatched::default(),
        "an unknown row is never resent blindly"
    );
    let submits = smsc.submits();
    assert_eq!(submits.len(), 4, "one submit_sm per row: {submits:?}");
    let dropped: Vec<_> = submits.iter().filter(|p| p.status == "dropped").collect();
    assert_eq!(dropped.len(), 1);
    let unknown_row = s.outbox.row(unknown[0]).unwrap().unwrap();
    let payload: SmsPayload = serde_json::from_str(&unknown_row.payload).unwrap();
    assert_eq!(dropped[0].destination, format!("86{}", payload.to));
}

/// The provider id of a receipt (`None` for a reply).
fn receipt_id(incoming: &Incoming) -> Option<&str> {
    match &incoming.report {
        ChannelReport::Receipt { provider_id, .. } => Some(provider_id),
        ChannelReport::Reply { .. } => None,
    }
}

#[tokio::test]
async fn a_receipt_unanswered_when_the_link_dropped_comes_again_at_the_next_bind() {
    let Some(smsc) = Smsc::start(&[("SMSC_DROP_AFTER", "2")]) else {
        return;
    };
    let mut s = setup(&smsc);
    for i in 0..3 {
        enqueue(
            &s.outbox,
            &format!("1370000001{i}"),
            "【清流气象】大风蓝色预警",
        );
    }
    let clock: SharedClock = s.clock.clone();
    let done = dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(1))
        .await
        .unwrap();
    assert_eq!((done.sent, done.unknown), (2, 1), "{done:?}");
    // Nothing is acknowledged: the first row's receipt ("1") was read on the link the SMSC
    // dropped, unanswered, so the SMSC delivers it again on the next link.
    let mut held = Vec::new();
    let ids = |held: &[Incoming]| -> Vec<String> {
        let mut ids: Vec<String> = held
            .iter()
            .filter_map(receipt_id)
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    };
    while ids(&held) != ["1", "1", "2"] {
        let next = tokio::time::timeout(Duration::from_secs(20), s.reports.recv()).await;
        held.push(
            next.expect("a report within 20 s")
                .expect("the channel open"),
        );
        assert!(held.len() <= 3, "{:?}", ids(&held));
    }
    for incoming in held {
        incoming.acknowledge(true);
    }
}

#[tokio::test]
async fn a_reply_from_a_handset_is_reported() {
    let Some(mut smsc) = Smsc::start(&[]) else {
        return;
    };
    let mut s = setup(&smsc);
    enqueue(&s.outbox, "13600000000", "【清流气象】请回复确认收到");
    let clock: SharedClock = s.clock.clone();
    let done = dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(1))
        .await
        .unwrap();
    assert_eq!(done.sent, 1);
    smsc.send_mo("8613600000000", "收到，已组织转移");
    let reply = loop {
        match next_report(&mut s.reports).await {
            ChannelReport::Receipt { .. } => continue,
            reply => break reply,
        }
    };
    let ChannelReport::Reply {
        channel,
        from,
        text,
        at,
        message_id,
    } = reply
    else {
        unreachable!()
    };
    assert_eq!(
        (channel, from.as_str(), text.as_str(), at, message_id),
        (SMS, "13600000000", "收到，已组织转移", Timestamp(T0), None)
    );
}

#[tokio::test]
async fn a_wrong_password_is_retried_and_never_shown() {
    let Some(smsc) = Smsc::start(&[("SMSC_PASSWORD", PASSWORD)]) else {
        return;
    };
    let (sender, _reports) = ReportSender::channel(4);
    let clock: SharedClock = ManualClock::new(Timestamp(T0));
    let wrong = "Wr0ngPw1";
    let provider = SmppProvider::new(config(&smsc, wrong, 10), sender, clock);
    let row = wxdesk::store::central::outbox::OutboxRow {
        id: 1,
        idem_key: "k".to_owned(),
        kind: SMS.to_owned(),
        payload: r#"{"to":"13500000000","text":"测试"}"#.to_owned(),
        state: OutboxState::Sending,
        attempt: 1,
        lease_owner: Some("t".to_owned()),
        lease_until: None,
        due_at: Timestamp(T0),
        provider_id: None,
        last_error: None,
        created_at: Timestamp(T0),
        updated_at: Timestamp(T0),
        resent: None,
    };
    let error = provider.send(&row).await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::Retry("SMSC not bound: bind refused: ESME_RINVPASWD".to_owned())
    );
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{provider:?}"),
    ] {
        assert!(
            !shown.contains(wrong) && !shown.contains(PASSWORD),
            "{shown}"
        );
    }
    assert!(smsc.submits().is_empty());
}

#[tokio::test]
async fn refusals_are_named_a_refused_second_part_is_unknown_and_a_throttled_one_offered_again() {
    // Submit 1 is row A's only part, submits 2 and 3 row B's two parts.
    // (refused, A's state, B's state, the reason named, submits in all)
    let cases = [
        (
            "1:0x0b",
            OutboxState::Failed,
            OutboxState::Sent,
            "ESME_RINVDSTADR",
            3,
        ),
        (
            "3:0x0b",
            OutboxState::Sent,
            OutboxState::Unknown,
            "part 2 of 2 answered ESME_RINVDSTADR",
            3,
        ),
        // Throttled after the SMSC took part 1: part 2 alone is offered again.
        ("3:0x58", OutboxState::Sent, OutboxState::Sent, "", 4),
    ];
    for (nth, want_a, want_b, reason, submits) in cases {
        let Some(smsc) = Smsc::start(&[("SMSC_REFUSE_NTH", nth)]) else {
            return;
        };
        let s = setup(&smsc);
        let a = enqueue(&s.outbox, "13500000001", "【清流气象】高温橙色预警");
        let b = enqueue(&s.outbox, "13500000002", golden()["text"].as_str().unwrap());
        let clock: SharedClock = s.clock.clone();
        dispatch::dispatch_once(&s.outbox, &s.provider, &clock, &dispatch_config(1))
            .await
            .unwrap();
        let (state_a, reason_a) = state(&s.outbox, a);
        let (state_b, reason_b) = state(&s.outbox, b);
        assert_eq!((state_a, state_b), (want_a, want_b), "{nth}");
        let named = reason_a.or(reason_b).unwrap_or_default();
        assert!(named.contains(reason), "{nth}: {named}");
        let log = smsc.submits();
        let statuses: Vec<&str> = log.iter().map(|p| p.status.as_str()).collect();
        let refused = statuses.iter().filter(|s| **s == "refused").count();
        assert_eq!(
            (refused, statuses.len()),
            (1, submits),
            "{nth}: {statuses:?}"
        );
        // Each part accepted at most once: nothing the SMSC took is offered again.
        let mut accepted: Vec<&str> = log
            .iter()
            .filter(|p| p.status == "accepted")
            .map(|p| p.short_message.as_str())
            .collect();
        accepted.sort_unstable();
        let before = accepted.len();
        accepted.dedup();
        assert_eq!(accepted.len(), before, "{nth}: a part accepted twice");
    }
}

/// Passes only when `n` calls are in flight together.
struct Together(tokio::sync::Barrier);

impl Provider for Together {
    fn send<'a>(
        &'a self,
        row: &'a wxdesk::store::central::outbox::OutboxRow,
    ) -> dispatch::ProviderCall<'a> {
        Box::pin(async move {
            self.0.wait().await;
            Ok(format!("p-{}", row.id))
        })
    }
}

#[tokio::test]
async fn dispatch_hands_over_concurrency_rows_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    for i in 0..6 {
        enqueue(&outbox, &format!("1350000010{i}"), "测试");
    }
    let clock: SharedClock = ManualClock::new(Timestamp(T0));
    let provider = Together(tokio::sync::Barrier::new(3));
    // With one call at a time the barrier of three would never open.
    let config = dispatch_config(3);
    let pass = dispatch::dispatch_once(&outbox, &provider, &clock, &config);
    let done = tokio::time::timeout(Duration::from_secs(20), pass)
        .await
        .expect("three in flight");
    assert_eq!(done.unwrap().sent, 6);
}
