//! The configuration's secrets, and the errcode table held to its source.

use super::errcode::{Disposition, KNOWN, describe, robot_disposition, template_disposition};
use super::*;

const CONFIG: &str = r#"
[wecom]
base_url = "http://127.0.0.1:9"
robots = { duty = "robot-key-3f1e", township = "robot-key-77aa" }

[mp]
app_id = "wx0123456789abcdef"
app_secret = "app-secret-9c2d"
callback_token = "callback-token-51b0"
token_endpoint = "stable_token"
"#;

#[test]
fn the_configuration_reads_and_never_shows_its_secrets() {
    let config: WechatConfig = toml::from_str(CONFIG).unwrap();
    assert_eq!(config.wecom.robots.len(), 2);
    assert_eq!(config.wecom.per_minute, 20);
    let mp = config.mp.as_ref().unwrap();
    assert_eq!(mp.base_url, MP_API);
    assert_eq!(mp.token_margin_s, 300);
    assert_eq!(mp.token_endpoint, token::TokenEndpoint::StableToken);
    assert_eq!(mp.app_secret.expose(), "app-secret-9c2d");
    let debug = format!("{config:?} {config:#?}");
    for secret in [
        "robot-key-3f1e",
        "robot-key-77aa",
        "app-secret-9c2d",
        "callback-token-51b0",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(
        debug.contains("***") && debug.contains("duty") && debug.contains("wx0123456789abcdef")
    );
}

#[test]
fn the_providers_never_show_their_secrets() {
    // reqwest is built without a default TLS provider; main installs this one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config: WechatConfig = toml::from_str(CONFIG).unwrap();
    let clock = crate::domain::time::system_clock();
    let robot = RobotProvider::new(&config.wecom, clock.clone()).unwrap();
    let template = TemplateProvider::new(config.mp.as_ref().unwrap(), clock).unwrap();
    let debug = format!("{robot:?} {template:?}");
    for secret in ["robot-key-3f1e", "robot-key-77aa", "app-secret-9c2d"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn a_bad_base_url_is_named() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = WecomConfig {
        base_url: "not a url".to_owned(),
        ..WecomConfig::default()
    };
    let error = RobotProvider::new(&config, crate::domain::time::system_clock()).unwrap_err();
    assert!(error.to_string().contains("not a url"), "{error}");
}

/// Every Official Account code in the table has its source's name and words.
#[test]
fn the_errcode_table_is_its_sources() {
    let source: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/data/wechat/mp-global-errcodes.json"
    ))
    .unwrap();
    let codes = source["codes"].as_array().unwrap();
    for known in KNOWN
        .iter()
        .filter(|k| k.errcode != errcode::WECOM_INVALID_WEBHOOK)
    {
        let entry = codes
            .iter()
            .find(|c| c["errcode"] == known.errcode)
            .unwrap_or_else(|| panic!("{} is not in the source", known.errcode));
        assert_eq!(entry["name"], known.name, "{}", known.errcode);
        assert_eq!(entry["desc_zh"], known.meaning, "{}", known.errcode);
    }
    let fixtures: serde_json::Value =
        serde_json::from_str(include_str!("../../../../tests/data/wechat/fixtures.json")).unwrap();
    let bad_key = &fixtures["wecom_group_robot"]["responses"]["bad_key"]["errcode"];
    assert_eq!(bad_key, errcode::WECOM_INVALID_WEBHOOK);
}

#[test]
fn each_errcode_has_its_disposition() {
    use Disposition::{Refuse, RenewToken, Retry};
    // (errcode, template send, robot send)
    let table = [
        (40001, RenewToken, Refuse),
        (40014, RenewToken, Refuse),
        (42001, RenewToken, Refuse),
        (45009, Retry, Retry),
        (-1, Retry, Retry),
        (43004, Refuse, Refuse),
        (40003, Refuse, Refuse),
        (40037, Refuse, Refuse),
        (47003, Refuse, Refuse),
        (93000, Refuse, Refuse),
        (40008, Refuse, Refuse),
        (99999, Refuse, Refuse),
    ];
    for (code, template, robot) in table {
        assert_eq!(template_disposition(code), template, "template {code}");
        assert_eq!(robot_disposition(code), robot, "robot {code}");
    }
}

#[test]
fn a_description_names_the_code_and_its_meaning() {
    assert_eq!(
        describe(43004, "require subscribe rid: 1"),
        "errcode 43004 (REQUIRE_SUBSCRIBE: 用户没有关注公众号)"
    );
    assert_eq!(
        describe(12345, "something new"),
        "errcode 12345 (something new)"
    );
    assert_eq!(
        describe(12345, &"长".repeat(500)).chars().count(),
        "errcode 12345 ()".len() + 160
    );
}

/// The robot's limits are the fixtures' (the domain's composer checks the same numbers).
#[test]
fn the_robot_limits_are_the_documented_ones() {
    let fixtures: serde_json::Value =
        serde_json::from_str(include_str!("../../../../tests/data/wechat/fixtures.json")).unwrap();
    let limits = &fixtures["wecom_group_robot"]["limits"];
    assert_eq!(
        limits["markdown_content_max_bytes_utf8"],
        robot::MARKDOWN_MAX_BYTES
    );
    assert_eq!(limits["text_content_max_bytes_utf8"], robot::TEXT_MAX_BYTES);
    assert_eq!(
        robot::MARKDOWN_MAX_BYTES,
        crate::domain::warning::checks::WECOM_MARKDOWN_BYTES
    );
    assert_eq!(
        robot::TEXT_MAX_BYTES,
        crate::domain::warning::checks::WECOM_TEXT_BYTES
    );
}

#[test]
fn scrubbing_masks_every_echoed_secret_and_ignores_empty_ones() {
    let (key, token, empty) = (Hidden::new("k-123"), Hidden::new("tok"), Hidden::new(""));
    assert_eq!(scrub("bad key k-123 here", &[&key]), "bad key *** here");
    assert_eq!(scrub("k-123 tok", &[&key, &token]), "*** ***");
    assert_eq!(scrub("nothing", &[&empty]), "nothing");
}
