//! SMS over CMPP 2.0 against the test gateway of `cmpp/gateway.rs` (its own codec, written from
//! the spec) on 127.0.0.1, through the real outbox and `dispatch_once`: a two-part Chinese
//! warning arrives whole and is settled by its status reports; flow control is retried and
//! nothing is lost; a wrong secret is a named refusal without the secret; a link dropped
//! after a submit leaves the row `unknown` and nothing goes twice; an MO reply arrives as a
//! Reply; both sides' `ACTIVE_TEST`s are answered.

mod gateway;

use std::sync::Arc;

use tokio::sync::mpsc;
use wxdesk::central::channels::cmpp::{CmppConfig, CmppProvider, Hidden};
use wxdesk::central::channels::inbox::{Incoming, ReportSender};
use wxdesk::central::channels::reports::settle_report;
use wxdesk::central::channels::{ChannelReport, SMS, SmsPayload};
use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{self, DispatchConfig, Dispatched};
use wxdesk::domain::Timestamp;
use wxdesk::domain::outbox::OutboxState;
use wxdesk::domain::time::{Clock as _, ManualClock, SharedClock};
use wxdesk::store::central::outbox::{NewMessage, SqliteOutbox};

use self::gateway::{Gateway, Script};
use super::outbox::{T0, fresh_db};

const SP: &str = "901234";
const SECRET: &str = "secret12";
const TO: &str = "13800000000";
/// 96 UTF-16 units: two parts (67 + 29).
const WARNING: &str = "【清流气象】清流县气象台2026年6月17日6时30分发布暴雨黄色预警信号：预计未来6小时内嵩溪、灵地、长校等乡镇降雨量将达50毫米以上，请注意防范山洪、地质灾害及城乡积涝。";

fn script() -> Script {
    Script {
        sp_id: SP.into(),
        secret: SECRET.into(),
        ..Script::default()
    }
}

fn client_config(gateway: &Gateway, secret: &str) -> CmppConfig {
    CmppConfig {
        host: "127.0.0.1".into(),
        port: gateway.addr.port(),
        source_addr: SP.into(),
        shared_secret: Hidden::new(secret),
        service_id: "QXYJ".into(),
        src_id: "106900001".into(),
        window: 8,
        max_submits_per_second: 10_000,
        connect_timeout_ms: 5_000,
        response_timeout_ms: 5_000,
        active_test_interval_s: 180,
    }
}

/// An outbox, a provider on `config`, the receiver of its reports, and the clock.
struct Rig {
    _dir: tempfile::TempDir,
    outbox: Arc<SqliteOutbox>,
    provider: CmppProvider,
    reports: mpsc::Receiver<Incoming>,
    clock: Arc<ManualClock>,
}

impl Rig {
    fn new(config: CmppConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
        let clock = ManualClock::new(Timestamp(T0));
        let (tx, reports) = ReportSender::channel(64);
        let shared: SharedClock = clock.clone();
        let provider = CmppProvider::new(config, shared, tx);
        Self {
            _dir: dir,
            outbox,
            provider,
            reports,
            clock,
        }
    }

    fn enqueue(&self, key: &str, to: &str, text: &str) -> i64 {
        let payload = serde_json::to_string(&SmsPayload {
            to: to.into(),
            text: text.into(),
        })
        .unwrap();
        let message = NewMessage {
            idem_key: key.into(),
            kind: SMS.into(),
            payload,
            due_at: self.clock.now(),
        };
        self.outbox.enqueue(&message, self.clock.now()).unwrap().0
    }

    async fn pass(&self) -> Dispatched {
        let config = DispatchConfig {
            owner: "cmpp-test".into(),
            lease_ms: 60_000,
            batch: 10,
            retry_base_ms: 1_000,
            retry_cap_ms: 60_000,
            kind: Some(SMS.into()),
            concurrency: 1,
            failpoints: Failpoints::none(),
        };
        let clock: SharedClock = self.clock.clone();
        dispatch::dispatch_once(&self.outbox, &self.provider, &clock, &config)
            .await
            .unwrap()
    }

    fn row(&self, id: i64) -> wxdesk::store::central::outbox::OutboxRow {
        self.outbox.row(id).unwrap().unwrap()
    }
}

fn sent(n: usize) -> Dispatched {
    Dispatched {
        sent: n,
        ..Dispatched::default()
    }
}

/// The text the gateway's submits carry, parts joined in order (UDH stripped).
fn reassemble(submits: &[gateway::Received]) -> String {
    let mut units = Vec::new();
    for s in submits {
        let body = if s.tp_udhi == 1 {
            &s.content[6..]
        } else {
            &s.content[..]
        };
        units.extend(body.chunks(2).map(|b| u16::from_be_bytes([b[0], b[1]])));
    }
    String::from_utf16(&units).unwrap()
}

/// The test gateway's first DELIVER's `Msg_Id` (its sequence number; each DELIVER has its own).
const FIRST_DELIVER: u64 = 0x1001;

#[tokio::test]
async fn a_two_part_warning_arrives_whole_and_is_settled_by_its_reports() {
    let gateway = Gateway::start(script()).await;
    let mut rig = Rig::new(client_config(&gateway, SECRET));
    let id = rig.enqueue("w1", TO, WARNING);
    assert_eq!(rig.pass().await, sent(1));
    let submits = gateway.submits(2).await;
    assert_eq!(submits.len(), 2);
    for (i, s) in submits.iter().enumerate() {
        assert_eq!(
            (s.pk_total, s.pk_number, s.tp_udhi, s.msg_fmt),
            (2, i as u8 + 1, 1, 8)
        );
        assert_eq!(&s.content[..6], &[5, 0, 3, s.content[3], 2, i as u8 + 1]);
        assert_eq!(
            (s.registered_delivery, s.dest.as_slice()),
            (1, &[TO.to_owned()][..])
        );
        assert_eq!(
            (s.msg_src.as_str(), s.src_id.as_str(), s.service_id.as_str()),
            (SP, "106900001", "QXYJ")
        );
    }
    assert_eq!(submits[0].content.len(), 6 + 134);
    assert_eq!(reassemble(&submits), WARNING);
    let ids: Vec<u64> = submits.iter().map(|s| s.msg_id.unwrap()).collect();
    let row = rig.row(id);
    assert_eq!(row.state, OutboxState::Sent);
    assert_eq!(row.provider_id, Some(format!("{},{}", ids[0], ids[1])));

    gateway.report(ids[1], "DELIVRD", TO);
    gateway.report(ids[0], "DELIVRD", TO);
    for _ in 0..2 {
        let incoming = rig.reports.recv().await.unwrap();
        settle_report(&rig.outbox, &incoming.report, rig.clock.now()).unwrap();
        incoming.acknowledge(true);
    }
    assert_eq!(
        gateway.deliver_resps(2).await,
        vec![(FIRST_DELIVER, 0), (FIRST_DELIVER + 1, 0)]
    );
    assert_eq!(rig.row(id).state, OutboxState::Delivered);
}

#[tokio::test]
async fn a_deliver_is_answered_only_as_its_report_was_committed() {
    let gateway = Gateway::start(script()).await;
    let mut rig = Rig::new(client_config(&gateway, SECRET));
    let id = rig.enqueue("w1", TO, WARNING);
    assert_eq!(rig.pass().await, sent(1));
    let ids: Vec<u64> = gateway
        .submits(2)
        .await
        .iter()
        .map(|s| s.msg_id.unwrap())
        .collect();
    gateway.report(ids[0], "DELIVRD", TO);
    gateway.report(ids[1], "DELIVRD", TO);
    let first = rig.reports.recv().await.unwrap();
    let second = rig.reports.recv().await.unwrap();
    // The first could not be recorded: "other error", so the gateway sends it again.
    first.acknowledge(false);
    assert_eq!(gateway.deliver_resps(1).await, vec![(FIRST_DELIVER, 9)]);
    // The second is answered "taken" only once it is committed.
    settle_report(&rig.outbox, &second.report, rig.clock.now()).unwrap();
    second.acknowledge(true);
    assert_eq!(
        gateway.deliver_resps(2).await,
        vec![(FIRST_DELIVER, 9), (FIRST_DELIVER + 1, 0)]
    );
    assert_eq!(
        rig.row(id).state,
        OutboxState::Sent,
        "one part still unconfirmed"
    );
}

#[tokio::test]
async fn a_deliver_unanswered_when_the_link_dropped_comes_again_at_the_next_login() {
    let gateway = Gateway::start(Script {
        drop_on: Some(2),
        ..script()
    })
    .await;
    let mut rig = Rig::new(client_config(&gateway, SECRET));
    rig.enqueue("w1", TO, "【清流气象】测试");
    assert_eq!(rig.pass().await, sent(1));
    let id = gateway.submits(1).await[0].msg_id.unwrap();
    gateway.report(id, "DELIVRD", TO);
    // Read, never acknowledged (as if the central died before the commit).
    let held = rig.reports.recv().await.unwrap();
    rig.enqueue("w2", TO, "【清流气象】测试二");
    rig.pass().await; // the gateway drops the link on this submit
    rig.enqueue("w3", TO, "【清流气象】测试三");
    rig.pass().await; // a new login: the unanswered DELIVER comes again
    let again = rig.reports.recv().await.unwrap();
    assert_eq!(again.report, held.report);
    again.acknowledge(true);
    assert_eq!(gateway.logins(2).await.len(), 2);
}

#[tokio::test]
async fn a_failed_part_fails_the_row_with_the_gateways_stat() {
    let gateway = Gateway::start(script()).await;
    let mut rig = Rig::new(client_config(&gateway, SECRET));
    let id = rig.enqueue("w1", TO, WARNING);
    assert_eq!(rig.pass().await, sent(1));
    let ids: Vec<u64> = gateway
        .submits(2)
        .await
        .iter()
        .map(|s| s.msg_id.unwrap())
        .collect();
    gateway.report(ids[0], "DELIVRD", TO);
    gateway.report(ids[1], "UNDELIV", TO);
    for _ in 0..2 {
        let Incoming { report, ack } = rig.reports.recv().await.unwrap();
        let _ = ack.send(true);
        if let ChannelReport::Receipt { at, .. } = &report {
            // Done_time 2606170631 is Beijing time.
            assert_eq!(
                *at,
                Timestamp::parse_rfc3339("2026-06-16T22:31:00Z").unwrap()
            );
        }
        settle_report(&rig.outbox, &report, rig.clock.now()).unwrap();
    }
    let row = rig.row(id);
    assert_eq!(
        (row.state, row.last_error.as_deref()),
        (OutboxState::Failed, Some("UNDELIV"))
    );
}

#[tokio::test]
async fn flow_control_is_retried_and_nothing_is_lost() {
    let gateway = Gateway::start(Script {
        results: [(1, 8)].into(),
        ..script()
    })
    .await;
    let rig = Rig::new(client_config(&gateway, SECRET));
    let first = rig.enqueue("a", "13800000001", "【清流气象】一");
    let second = rig.enqueue("b", "13800000002", "【清流气象】二");
    assert_eq!(
        rig.pass().await,
        Dispatched {
            sent: 1,
            retried: 1,
            ..Dispatched::default()
        }
    );
    let row = rig.row(first);
    assert_eq!(row.state, OutboxState::Queued);
    assert_eq!(
        row.last_error.as_deref(),
        Some("CMPP submit result 8: flow control")
    );
    rig.clock.advance(60_000);
    assert_eq!(rig.pass().await, sent(1));
    let submits = gateway.submits(3).await;
    let accepted: Vec<&str> = submits
        .iter()
        .filter(|s| s.msg_id.is_some())
        .map(|s| s.dest[0].as_str())
        .collect();
    assert_eq!(accepted, ["13800000002", "13800000001"]);
    assert_eq!(
        (rig.row(first).state, rig.row(second).state),
        (OutboxState::Sent, OutboxState::Sent)
    );
}

#[tokio::test]
async fn submits_paced_at_the_agreed_rate_stay_below_flow_control() {
    let gateway = Gateway::start(Script {
        per_second: Some(1_000),
        ..script()
    })
    .await;
    let mut config = client_config(&gateway, SECRET);
    config.max_submits_per_second = 1_000;
    let rig = Rig::new(config);
    for i in 0..5 {
        rig.enqueue(&format!("k{i}"), "13800000000", "【清流气象】测试");
    }
    // Paced at the agreed rate, five submits stay below the gateway's limit.
    assert_eq!(rig.pass().await, sent(5));
}

#[tokio::test]
async fn a_refused_login_is_named_and_never_shows_the_secret() {
    let table = [
        (SP, "not-the-secret-42", "status 3, authentication failed"),
        ("999999", SECRET, "status 2, bad source address (SP id)"),
    ];
    for (sp, secret, reason) in table {
        let gateway = Gateway::start(script()).await;
        let mut config = client_config(&gateway, secret);
        config.source_addr = sp.into();
        let rig = Rig::new(config);
        let id = rig.enqueue("w", TO, "【清流气象】测试");
        assert_eq!(
            rig.pass().await,
            Dispatched {
                retried: 1,
                ..Dispatched::default()
            }
        );
        let error = rig.row(id).last_error.unwrap();
        assert!(error.contains(reason), "{error}");
        assert!(!error.contains(secret) && !error.contains(TO), "{error}");
        assert_eq!(gateway.logins(1).await[0].1, if sp == SP { 3 } else { 2 });
        assert!(gateway.submits(0).await.is_empty());
    }
}

#[tokio::test]
async fn an_unreachable_gateway_is_a_retry() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let gateway = Gateway::start(script()).await;
    let mut config = client_config(&gateway, SECRET);
    config.port = port;
    let rig = Rig::new(config);
    let id = rig.enqueue("w", TO, "【清流气象】测试");
    assert_eq!(
        rig.pass().await,
        Dispatched {
            retried: 1,
            ..Dispatched::default()
        }
    );
    let error = rig.row(id).last_error.unwrap();
    assert!(
        error.starts_with("cannot connect to the CMPP gateway"),
        "{error}"
    );
}

#[tokio::test]
async fn a_link_dropped_after_a_submit_leaves_the_row_unknown_and_nothing_goes_twice() {
    // (drop on submit n, text): a single message, and the second part of two.
    let table = [
        (1, "【清流气象】测试", "CMPP link lost"),
        (2, WARNING, "earlier parts were accepted"),
    ];
    for (drop_on, text, reason) in table {
        let gateway = Gateway::start(Script {
            drop_on: Some(drop_on),
            ..script()
        })
        .await;
        let rig = Rig::new(client_config(&gateway, SECRET));
        let id = rig.enqueue("lost", TO, text);
        assert_eq!(
            rig.pass().await,
            Dispatched {
                unknown: 1,
                ..Dispatched::default()
            }
        );
        let row = rig.row(id);
        assert_eq!(row.state, OutboxState::Unknown);
        assert!(
            row.last_error.as_deref().unwrap().contains(reason),
            "{:?}",
            row.last_error
        );
        // Later passes leave it alone; a new message goes over a new link.
        rig.clock.advance(10 * 60_000);
        let next = rig.enqueue("next", "13900000000", "【清流气象】下一条");
        assert_eq!(rig.pass().await, sent(1));
        assert_eq!(rig.row(id).state, OutboxState::Unknown);
        assert_eq!(rig.row(next).state, OutboxState::Sent);
        let submits = gateway.submits(drop_on + 1).await;
        assert_eq!(submits.len(), drop_on + 1);
        assert_eq!(submits.iter().filter(|s| s.dest[0] == TO).count(), drop_on);
        assert_eq!(gateway.logins(2).await.len(), 2);
    }
}

#[tokio::test]
async fn an_mo_reply_arrives_as_a_reply_and_active_tests_are_answered() {
    let gateway = Gateway::start(script()).await;
    let mut config = client_config(&gateway, SECRET);
    config.active_test_interval_s = 1;
    let mut rig = Rig::new(config);
    rig.enqueue("w", TO, "【清流气象】测试");
    assert_eq!(rig.pass().await, sent(1));
    gateway.mo("8613900000000", "收到，已转告村民");
    let Incoming { report: reply, ack } = rig.reports.recv().await.unwrap();
    let _ = ack.send(true);
    assert_eq!(
        reply,
        ChannelReport::Reply {
            channel: SMS,
            from: "13900000000".into(),
            text: "收到，已转告村民".into(),
            at: Timestamp(T0),
            message_id: Some(FIRST_DELIVER.to_string()),
        }
    );
    assert_eq!(gateway.deliver_resps(1).await, vec![(FIRST_DELIVER, 0)]);
    assert_eq!(
        settle_report(&rig.outbox, &reply, Timestamp(T0)).unwrap(),
        None
    );
    // The client's keep-alive (every second here) and its answer to the gateway's.
    gateway.active_test();
    gateway.active_test_resps(1).await;
    gateway.active_tests(1).await;
}

#[tokio::test]
async fn a_submit_without_a_response_is_unknown_and_the_link_is_renewed() {
    let gateway = Gateway::start(Script {
        silent_on: Some(1),
        ..script()
    })
    .await;
    let mut config = client_config(&gateway, SECRET);
    config.response_timeout_ms = 300;
    let rig = Rig::new(config);
    let id = rig.enqueue("silent", TO, "【清流气象】测试");
    assert_eq!(
        rig.pass().await,
        Dispatched {
            unknown: 1,
            ..Dispatched::default()
        }
    );
    let row = rig.row(id);
    assert_eq!(
        (row.state, row.last_error.as_deref()),
        (OutboxState::Unknown, Some("no CMPP response in time"))
    );
    let next = rig.enqueue("next", "13900000000", "【清流气象】下一条");
    assert_eq!(rig.pass().await, sent(1));
    assert_eq!(rig.row(next).state, OutboxState::Sent);
    assert_eq!(gateway.logins(2).await.len(), 2);
    assert_eq!(
        gateway
            .submits(2)
            .await
            .iter()
            .filter(|s| s.dest[0] == TO)
            .count(),
        1
    );
}

#[tokio::test]
async fn a_terminate_from_the_gateway_is_answered_and_the_next_message_logs_in_again() {
    let gateway = Gateway::start(script()).await;
    let rig = Rig::new(client_config(&gateway, SECRET));
    rig.enqueue("one", TO, "【清流气象】一");
    assert_eq!(rig.pass().await, sent(1));
    gateway.terminate().await;
    rig.enqueue("two", TO, "【清流气象】二");
    assert_eq!(rig.pass().await, sent(1));
    assert_eq!(gateway.logins(2).await.len(), 2);
    assert_eq!(gateway.submits(2).await.len(), 2);
}
