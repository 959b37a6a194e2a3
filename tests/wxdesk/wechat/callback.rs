//! The Official Account's pushes: a template's job end from the double becomes the receipt
//! for the msgid the send returned; a bad signature is rejected.

use std::sync::Arc;

use wxdesk::central::channels::wechat::callback::{
    self, CallbackError, CallbackQuery, check_timestamp, handshake, parse_push, verify,
};
use wxdesk::central::channels::wechat::token::TokenEndpoint;
use wxdesk::central::channels::wechat::{Hidden, MpConfig, TemplateProvider};
use wxdesk::central::channels::{ChannelReport, ReceiptOutcome, TemplatePayload, WECHAT};
use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{self, DispatchConfig};
use wxdesk::domain::Clock as _;
use wxdesk::domain::outbox::OutboxState;
use wxdesk::domain::time::ManualClock;
use wxdesk::store::central::outbox::{NewMessage, SqliteOutbox};

use super::{clock, fresh_db, shared};
use crate::support;
use crate::wechat_double::{Accounts, FIRST_MSGID, WechatDouble, signed_query};

/// Sends `payload` through a real outbox and dispatch pass; the provider id it recorded.
async fn send_through_the_outbox(
    wechat: &TemplateProvider,
    payload: &TemplatePayload,
    clock: &Arc<ManualClock>,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    let message = NewMessage {
        idem_key: "w7-v1-oFollower-wechat".to_owned(),
        kind: WECHAT.to_owned(),
        payload: serde_json::to_string(payload).unwrap(),
        due_at: support::now(),
    };
    let (id, _) = outbox.enqueue(&message, support::now()).unwrap();
    let config = DispatchConfig {
        owner: "wechat-test".to_owned(),
        lease_ms: wxdesk::central::channels::wechat::LONGEST_CALL_MS + 10_000,
        batch: 10,
        retry_base_ms: 5_000,
        retry_cap_ms: 60_000,
        failpoints: Failpoints::none(),
        kind: None,
        concurrency: 1,
    };
    let done = dispatch::dispatch_once(&outbox, wechat, &shared(clock), &config).await;
    assert_eq!(done.unwrap().sent, 1);
    let sent = outbox.row(id).unwrap().unwrap();
    assert_eq!(sent.state, OutboxState::Sent);
    sent.provider_id.unwrap()
}

const TOKEN: &str = "callback-token-qingliu-61";

#[tokio::test]
async fn a_template_job_end_becomes_the_receipt_for_its_msgid() {
    support::init();
    let clock = clock();
    let accounts = Accounts {
        app_id: "wx5e1f0a6b2c3d4e5f".to_owned(),
        secret: "app-secret-cb".to_owned(),
        followers: vec!["oFollower".to_owned()],
        templates: vec!["tpl".to_owned()],
        ..Accounts::default()
    };
    let double = WechatDouble::start(accounts, Arc::clone(&clock)).await;
    let config = MpConfig {
        base_url: double.base.clone(),
        app_id: "wx5e1f0a6b2c3d4e5f".to_owned(),
        app_secret: Hidden::new("app-secret-cb"),
        callback_token: Hidden::new(TOKEN),
        token_margin_s: 300,
        token_endpoint: TokenEndpoint::Token,
        warning_template: None,
        alarm_template: None,
    };
    let wechat = TemplateProvider::new(&config, shared(&clock)).unwrap();
    let payload = TemplatePayload {
        openid: "oFollower".to_owned(),
        template_id: "tpl".to_owned(),
        data: [("thing1".to_owned(), "暴雨黄色预警".to_owned())].into(),
        url: None,
    };
    let provider_id = send_through_the_outbox(&wechat, &payload, &clock).await;
    assert_eq!(
        provider_id,
        FIRST_MSGID.to_string(),
        "the outbox holds WeChat's msgid"
    );
    clock.advance(4_000);

    for (status, outcome) in [
        ("success", ReceiptOutcome::Delivered),
        (
            "failed:user block",
            ReceiptOutcome::Failed("failed:user block".to_owned()),
        ),
    ] {
        let msgid = provider_id.parse().unwrap();
        let (query, xml) = double.job_finished(config.callback_token.expose(), msgid, status);
        verify(config.callback_token.expose(), &query).unwrap();
        check_timestamp(&query, clock.now(), 300).unwrap();
        let report = parse_push(&xml, support::now()).unwrap();
        assert_eq!(
            report,
            Some(ChannelReport::Receipt {
                provider_id: provider_id.clone(),
                outcome,
                at: support::now().plus_ms(4_000),
            })
        );
    }
}

#[test]
fn a_bad_signature_is_rejected() {
    let good = signed_query(TOKEN, "1764237600", "730214");
    let mut flipped = good.signature.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(verify(TOKEN, &good), Ok(()));
    let tampered = [
        CallbackQuery {
            nonce: "730215".to_owned(),
            ..good.clone()
        },
        CallbackQuery {
            timestamp: "1764237601".to_owned(),
            ..good.clone()
        },
        CallbackQuery {
            signature: flipped,
            ..good.clone()
        },
    ];
    for query in &tampered {
        assert_eq!(
            verify(TOKEN, query),
            Err(CallbackError::BadSignature),
            "{query:?}"
        );
    }
    assert_eq!(
        verify("another-token", &good),
        Err(CallbackError::BadSignature)
    );
    let error = verify("another-token", &good).unwrap_err().to_string();
    assert!(
        !error.contains(TOKEN) && !error.contains("another-token"),
        "{error}"
    );
}

#[test]
fn the_url_check_echoes_the_challenge_only_when_signed() {
    let signed = CallbackQuery {
        echostr: Some("5837397520154720133".to_owned()),
        ..signed_query(TOKEN, "1764237600", "730214")
    };
    assert_eq!(
        handshake(TOKEN, &signed),
        Ok("5837397520154720133".to_owned())
    );
    assert_eq!(
        handshake("wrong", &signed),
        Err(CallbackError::BadSignature)
    );
    assert_eq!(
        callback::signature(TOKEN, "1764237600", "730214"),
        signed.signature
    );
}
