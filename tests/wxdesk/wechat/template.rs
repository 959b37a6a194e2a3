//! The Official Account's template message against the double.

use std::collections::BTreeMap;
use std::sync::Arc;

use wxdesk::central::channels::wechat::token::TokenEndpoint;
use wxdesk::central::channels::wechat::{Hidden, MpConfig, TemplateProvider};
use wxdesk::central::channels::{TemplatePayload, WECHAT};
use wxdesk::central::workers::dispatch::{Provider, ProviderError};
use wxdesk::domain::time::ManualClock;

use super::{assert_hidden, clock, row, shared};
use crate::support;
use crate::wechat_double::{Accounts, FIRST_MSGID, TOKEN_LIFE_S, WechatDouble};

const APP_ID: &str = "wx5e1f0a6b2c3d4e5f";
const SECRET: &str = "app-secret-7b3e91c04d";
const FOLLOWER: &str = "oQl2Tjq3Ew5vYqF0mPz1RuDLc8eA";
const LEFT: &str = "oQl2TjvLeftTheAccount000000";
const TEMPLATE: &str = "Xr8lK2yQ-warning-template";
const MARGIN_S: i64 = 300;

async fn start(clock: &Arc<ManualClock>) -> WechatDouble {
    support::init();
    let accounts = Accounts {
        app_id: APP_ID.to_owned(),
        secret: SECRET.to_owned(),
        followers: vec![FOLLOWER.to_owned()],
        unfollowed: vec![LEFT.to_owned()],
        templates: vec![TEMPLATE.to_owned()],
        ..Accounts::default()
    };
    WechatDouble::start(accounts, Arc::clone(clock)).await
}

fn provider(base: &str, secret: &str, clock: &Arc<ManualClock>) -> TemplateProvider {
    provider_from(TokenEndpoint::Token, base, secret, clock)
}

fn provider_from(
    token_endpoint: TokenEndpoint,
    base: &str,
    secret: &str,
    clock: &Arc<ManualClock>,
) -> TemplateProvider {
    let config = MpConfig {
        base_url: base.to_owned(),
        app_id: APP_ID.to_owned(),
        app_secret: Hidden::new(secret),
        callback_token: Hidden::new("callback-token"),
        token_margin_s: MARGIN_S,
        token_endpoint,
        warning_template: None,
        alarm_template: None,
    };
    TemplateProvider::new(&config, shared(clock)).unwrap()
}

fn message(openid: &str, template_id: &str) -> TemplatePayload {
    TemplatePayload {
        openid: openid.to_owned(),
        template_id: template_id.to_owned(),
        data: BTreeMap::from([
            ("thing1".to_owned(), "暴雨黄色预警".to_owned()),
            ("time2".to_owned(), "2026年11月27日 18:00".to_owned()),
            ("thing3".to_owned(), "嵩溪镇、林畲镇、里田乡".to_owned()),
        ]),
        url: None,
    }
}

/// Every secret a template test must never show: the app secret and every token issued.
fn secrets(double: &WechatDouble) -> Vec<String> {
    let mut all = double.seen(|s| s.tokens_issued.clone());
    all.push(SECRET.to_owned());
    all
}

fn assert_no_secret(double: &WechatDouble, text: &str) {
    let secrets = secrets(double);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_hidden(text, &secrets);
}

#[tokio::test]
async fn the_token_is_fetched_reused_and_renewed_before_it_expires() {
    let clock = clock();
    let double = start(&clock).await;
    let wechat = provider(&double.base, SECRET, &clock);

    let first = wechat
        .send(&row(1, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await;
    assert_eq!(
        first.unwrap(),
        FIRST_MSGID.to_string(),
        "the provider id is WeChat's msgid"
    );
    let second = wechat
        .send(&row(2, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await;
    assert_eq!(second.unwrap(), (FIRST_MSGID + 1).to_string());
    assert_eq!(double.seen(|s| s.token_requests), 1, "reused");

    clock.advance((TOKEN_LIFE_S - MARGIN_S) * 1000);
    wechat
        .send(&row(3, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await
        .unwrap();
    assert_eq!(
        double.seen(|s| s.token_requests),
        2,
        "renewed at the margin"
    );
    assert_eq!(
        double.seen(|s| s.send_answers.clone()),
        [0, 0, 0],
        "never refused"
    );

    let sent = double.seen(|s| s.template_messages[0].body.clone());
    assert_eq!(sent["touser"], FOLLOWER);
    assert_eq!(sent["template_id"], TEMPLATE);
    assert_eq!(sent["data"]["thing3"]["value"], "嵩溪镇、林畲镇、里田乡");
    assert_eq!(sent["client_msg_id"], "warning-7_v1_recipient-1_wechat");
    assert_no_secret(&double, "");
}

/// WeChat's clock says the token expired while ours did not: 42001, one new token, one resend.
#[tokio::test]
async fn an_expired_token_is_renewed_and_the_message_resent_exactly_once() {
    let ours = clock();
    let theirs = clock();
    let double = start(&theirs).await;
    let wechat = provider(&double.base, SECRET, &ours);
    wechat
        .send(&row(1, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await
        .unwrap();

    theirs.advance(TOKEN_LIFE_S * 1000);
    let answer = wechat
        .send(&row(2, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await;

    assert_eq!(answer.unwrap(), (FIRST_MSGID + 1).to_string());
    assert_eq!(double.seen(|s| s.token_requests), 2);
    assert_eq!(double.seen(|s| s.send_answers.clone()), [0, 42001, 0]);
    assert_eq!(double.seen(|s| s.template_messages.len()), 2);
}

/// A token refused again right after renewal is not chased further: one resend, then "not
/// now".
#[tokio::test]
async fn a_token_refused_after_renewal_is_a_retry_after_one_resend() {
    let clock = clock();
    let double = start(&clock).await;
    let wechat = provider(&double.base, SECRET, &clock);
    double.queue_errors(&[40001, 40001]);

    let answer = wechat
        .send(&row(1, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await;

    let Err(ProviderError::Retry(why)) = answer else {
        panic!("{answer:?}");
    };
    assert!(why.contains("40001"), "{why}");
    assert_eq!(double.seen(|s| (s.token_requests, s.send_requests)), (2, 2));
    assert_no_secret(&double, &why);
}

#[tokio::test]
async fn concurrent_sends_share_one_token_fetch() {
    let clock = clock();
    let double = start(&clock).await;
    let wechat = provider(&double.base, SECRET, &clock);
    let rows: Vec<_> = (1..=8)
        .map(|id| row(id, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .collect();

    let answers = futures_util::future::join_all(rows.iter().map(|r| wechat.send(r))).await;

    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(double.seen(|s| s.token_requests), 1);
    assert_eq!(double.seen(|s| s.template_messages.len()), 8);
}

#[tokio::test]
async fn refusals_and_rate_limits_are_named_by_their_errcode() {
    let clock = clock();
    let double = start(&clock).await;
    let wechat = provider(&double.base, SECRET, &clock);
    // (recipient, template, queued errcode, refused for good?, expected in the reason)
    let table = [
        (
            LEFT,
            TEMPLATE,
            None,
            true,
            "errcode 43004 (REQUIRE_SUBSCRIBE: 用户没有关注公众号)",
        ),
        (
            "oUnknownOpenid",
            TEMPLATE,
            None,
            true,
            "errcode 40003 (INVALID_OPENID",
        ),
        (
            FOLLOWER,
            "no-such-template",
            None,
            true,
            "errcode 40037 (INVALID_TEMPLATE",
        ),
        (FOLLOWER, TEMPLATE, Some(47003), true, "errcode 47003"),
        (
            FOLLOWER,
            TEMPLATE,
            Some(45009),
            false,
            "errcode 45009 (OUT_OF_API_FREQ_LIMIT",
        ),
        (
            FOLLOWER,
            TEMPLATE,
            Some(-1),
            false,
            "errcode -1 (SYSTEM_BUSY",
        ),
    ];
    for (n, (openid, template, queued, refused, expected)) in table.into_iter().enumerate() {
        if let Some(errcode) = queued {
            double.queue_errors(&[errcode]);
        }
        let answer = wechat
            .send(&row(n as i64, WECHAT, &message(openid, template)))
            .await;
        let why = match (answer, refused) {
            (Err(ProviderError::Refused(why)), true) | (Err(ProviderError::Retry(why)), false) => {
                why
            }
            (other, _) => panic!("{expected}: {other:?}"),
        };
        assert!(why.contains(expected), "{why}");
        assert!(!why.contains(openid), "no openid in a reason: {why}");
        assert_no_secret(&double, &why);
    }
    assert_eq!(double.seen(|s| s.template_messages.len()), 0);
    assert_eq!(double.seen(|s| s.send_requests), 6, "each asked once");
}

#[tokio::test]
async fn a_wrong_app_secret_is_a_retry_that_does_not_show_it() {
    let clock = clock();
    let double = start(&clock).await;
    let wrong = "app-secret-wrong-55aa";
    let wechat = provider(&double.base, wrong, &clock);

    let answer = wechat
        .send(&row(1, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await;

    let Err(ProviderError::Retry(why)) = answer else {
        panic!("{answer:?}");
    };
    assert!(why.contains("40125"), "{why}");
    assert_eq!(double.seen(|s| s.send_requests), 0);
    assert_hidden(&why, &[wrong, SECRET]);
}

/// A resend after an unheard answer carries the same `client_msg_id`: the follower gets one.
#[tokio::test]
async fn a_resend_of_the_same_row_reaches_the_follower_once() {
    let clock = clock();
    let double = start(&clock).await;
    let wechat = provider(&double.base, SECRET, &clock);
    let same = row(1, WECHAT, &message(FOLLOWER, TEMPLATE));

    let first = wechat.send(&same).await.unwrap();
    let again = wechat.send(&same).await.unwrap();

    assert_eq!(first, again);
    assert_eq!(
        double.seen(|s| (s.send_requests, s.template_messages.len())),
        (2, 1)
    );
}

/// Two centrals on one account with the stable token: both get the same token, neither
/// retires the other's, and a token near its end is renewed for both.
#[tokio::test]
async fn centrals_sharing_an_account_share_the_stable_token() {
    let clock = clock();
    let double = start(&clock).await;
    let first = provider_from(TokenEndpoint::StableToken, &double.base, SECRET, &clock);
    let second = provider_from(TokenEndpoint::StableToken, &double.base, SECRET, &clock);

    first
        .send(&row(1, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await
        .unwrap();
    second
        .send(&row(2, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await
        .unwrap();
    clock.advance(10 * 60_000);
    first
        .send(&row(3, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await
        .unwrap();

    assert_eq!(
        double.seen(|s| s.token_requests),
        2,
        "one fetch per central"
    );
    assert_eq!(double.seen(|s| s.tokens_issued.len()), 1, "the same token");
    assert_eq!(double.seen(|s| s.send_answers.clone()), [0, 0, 0]);

    // The token's remaining life is what the second fetch announced: the second central
    // renews on its own margin, and WeChat gives a new token once the old one has expired.
    clock.advance((TOKEN_LIFE_S - MARGIN_S) * 1000);
    second
        .send(&row(4, WECHAT, &message(FOLLOWER, TEMPLATE)))
        .await
        .unwrap();
    assert_eq!(double.seen(|s| s.send_answers.clone()), [0, 0, 0, 0]);
    assert_no_secret(&double, "");
}
