//! The callback's signature, handshake and pushed messages, against the hand-written samples in
//! `tests/data/wechat/callbacks` (see its PROVENANCE.md).

use super::*;

const TOKEN: &str = "qingliu-callback";

fn sample(name: &str) -> &'static str {
    match name {
        "success" => {
            include_str!("../../../../../tests/data/wechat/callbacks/job-finish-success.xml")
        }
        "user block" => {
            include_str!("../../../../../tests/data/wechat/callbacks/job-finish-user-block.xml")
        }
        "system failed" => {
            include_str!("../../../../../tests/data/wechat/callbacks/job-finish-system-failed.xml")
        }
        "text" => include_str!("../../../../../tests/data/wechat/callbacks/text-from-follower.xml"),
        "subscribe" => {
            include_str!("../../../../../tests/data/wechat/callbacks/subscribe-event.xml")
        }
        other => panic!("no sample {other}"),
    }
}

fn query(signature: &str, echostr: Option<&str>) -> CallbackQuery {
    CallbackQuery {
        signature: signature.to_owned(),
        timestamp: "1750113000".to_owned(),
        nonce: "483920175".to_owned(),
        echostr: echostr.map(str::to_owned),
    }
}

/// The expected values are Python's `hashlib.sha1` over the sorted, joined parts.
#[test]
fn the_signature_is_sha1_of_the_sorted_parts() {
    let table = [
        (
            (TOKEN, "1750113000", "483920175"),
            "c09171f8d8c2470355091d37bdd12903af0ee9cd",
        ),
        // Order does not matter: the parts are sorted first ("abc" is FIPS 180's example).
        (("", "abc", ""), "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (("abc", "", ""), "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ];
    for ((token, timestamp, nonce), expected) in table {
        assert_eq!(signature(token, timestamp, nonce), expected);
    }
}

#[test]
fn the_handshake_echoes_only_a_signed_challenge() {
    let good = "c09171f8d8c2470355091d37bdd12903af0ee9cd";
    let table = [
        (query(good, Some("echo-7731")), Ok("echo-7731".to_owned())),
        (query(&good.to_uppercase(), Some("e")), Ok("e".to_owned())),
        (query(good, None), Err(CallbackError::NoEchostr)),
        (
            query("c09171f8d8c2470355091d37bdd12903af0ee9ce", Some("e")),
            Err(CallbackError::BadSignature),
        ),
        (
            query(&good[..39], Some("e")),
            Err(CallbackError::BadSignature),
        ),
        (query("", Some("e")), Err(CallbackError::BadSignature)),
    ];
    for (q, expected) in table {
        assert_eq!(handshake(TOKEN, &q), expected, "{q:?}");
    }
    assert_eq!(
        handshake("another-token", &query(good, Some("e"))),
        Err(CallbackError::BadSignature)
    );
}

#[test]
fn a_template_job_end_is_a_receipt_for_its_msgid() {
    let table = [
        ("success", ReceiptOutcome::Delivered),
        (
            "user block",
            ReceiptOutcome::Failed("failed:user block".to_owned()),
        ),
        (
            "system failed",
            ReceiptOutcome::Failed("failed: system failed".to_owned()),
        ),
    ];
    for (name, outcome) in table {
        let report = parse_push(sample(name), Timestamp(0)).unwrap();
        assert_eq!(
            report,
            Some(ChannelReport::Receipt {
                provider_id: "200228332".to_owned(),
                outcome,
                at: Timestamp(1_750_113_012_000),
            }),
            "{name}"
        );
    }
}

#[test]
fn a_followers_text_is_a_reply() {
    assert_eq!(
        parse_push(sample("text"), Timestamp(0)).unwrap(),
        Some(ChannelReport::Reply {
            channel: crate::central::channels::WECHAT,
            from: "oQl2Tjq3Ew5vYqF0mPz1RuDLc8eA".to_owned(),
            text: "收到，嵩溪镇已组织转移。".to_owned(),
            at: Timestamp(1_750_113_300_000),
            message_id: Some("24851230981234567".to_owned()),
        })
    );
}

#[test]
fn other_pushes_are_not_for_the_channels_and_bad_ones_are_named() {
    assert_eq!(parse_push(sample("subscribe"), Timestamp(0)), Ok(None));
    let no_msgid = sample("success").replace("<MsgID>200228332</MsgID>", "");
    assert_eq!(
        parse_push(&no_msgid, Timestamp(0)),
        Err(CallbackError::Field("MsgID"))
    );
    let no_time = sample("text").replace("<CreateTime>1750113300</CreateTime>", "");
    let Ok(Some(ChannelReport::Reply { at, .. })) = parse_push(&no_time, Timestamp(42)) else {
        panic!("a text without CreateTime is still a reply");
    };
    assert_eq!(at, Timestamp(42));
    assert!(matches!(
        parse_push("<xml><MsgType>text", Timestamp(0)),
        Err(CallbackError::NotXml(_))
    ));
    assert!(matches!(
        parse_push("<root/>", Timestamp(0)),
        Err(CallbackError::NotXml(_))
    ));
}

#[test]
fn a_push_signed_long_ago_or_far_ahead_is_stale() {
    let at = |seconds: &str| CallbackQuery {
        timestamp: seconds.to_owned(),
        ..query("", None)
    };
    let now = Timestamp(1_750_113_000_500);
    let table = [
        ("1750113000", Ok(())),
        ("1750112700", Ok(())),
        ("1750113300", Ok(())),
        (
            "1750112699",
            Err(CallbackError::Stale {
                skew_s: 301,
                max_s: 300,
            }),
        ),
        (
            "1750113301",
            Err(CallbackError::Stale {
                skew_s: 301,
                max_s: 300,
            }),
        ),
        ("soon", Err(CallbackError::Field("timestamp"))),
    ];
    for (timestamp, expected) in table {
        assert_eq!(
            check_timestamp(&at(timestamp), now, 300),
            expected,
            "{timestamp}"
        );
    }
}
