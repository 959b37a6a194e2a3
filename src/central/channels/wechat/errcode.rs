//! What WeChat's `errcode`s mean and what the dispatcher does about each.
//!
//! The Official Account codes and their descriptions are those of
//! `tests/data/wechat/mp-global-errcodes.json` (wechatpy 1.8.18's `WeChatErrorCode`, MIT; a
//! test holds this table to it). WeCom's 93000 is from `tests/data/wechat/fixtures.json`. Only
//! `errcode` is matched: the `errmsg` wording varies and carries request ids.

/// One documented code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The code.
    pub errcode: i64,
    /// Its constant's name in the source table.
    pub name: &'static str,
    /// What it means, in the source's words.
    pub meaning: &'static str,
}

/// The codes the channels answer to by name.
pub const KNOWN: [Known; 18] = [
    known(-1, "SYSTEM_BUSY", "系统繁忙 此时请开发者稍候再试"),
    known(
        40001,
        "INVALID_CREDENTIAL",
        "AppSecret 错误，或是 Access Token 无效 请开发者认真比对AppSecret的正确性，或查看是否正在为恰当的公众号调用接口",
    ),
    known(
        40003,
        "INVALID_OPENID",
        "错误的 OpenID 请开发者确认 OpenID 是否已关注公众号，或是否是其他公众号的 OpenID",
    ),
    known(40008, "INVALID_MESSAGE_TYPE", "错误的消息类型"),
    known(
        40013,
        "INVALID_APP_ID",
        "错误的 AppID 目前 AppID 格式都是 /^wx\\d{16}$/",
    ),
    known(
        40014,
        "INVALID_ACCESS_TOKEN",
        "不合法的 Access Token 请开发者认真比对 Access Token 的有效性（如是否过期），或查看是否正在为恰当的公众号调用接口",
    ),
    known(
        40037,
        "INVALID_TEMPLATE",
        "错误的模板消息 ID Template ID 失效了，请重新刷新一次 Template ID",
    ),
    known(40125, "INVALID_APP_SECRET", "无效的 AppSecret"),
    known(41001, "MISSING_ACCESS_TOKEN", "缺少 Access Token 参数"),
    known(
        42001,
        "EXPIRED_ACCESS_TOKEN",
        "Access Token 已失效 请检查 Access Token 的有效期，重新刷新 Access Token",
    ),
    known(43004, "REQUIRE_SUBSCRIBE", "用户没有关注公众号"),
    known(
        43101,
        "USER_REFUSE_TO_ACCEPT_THE_MESSAGE",
        "用户拒绝接受消息，如果用户之前曾经订阅过，则表示用户取消了订阅关系",
    ),
    known(45009, "OUT_OF_API_FREQ_LIMIT", "接口调用频率超过限制"),
    known(
        47003,
        "INVALID_TEMPLATE_ARGUMENT",
        "模板参数不准确，可能为空或者不满足规则，errmsg 会提示具体是哪个字段出错",
    ),
    known(
        48001,
        "UNAUTHORIZED_API",
        "API 功能未授权 请确认公众号已获得该接口，可以在公众平台官网-开发者中心页中查看接口权限",
    ),
    known(50001, "USER_UNAUTHORIZED", "用户未授权该 API"),
    known(50002, "USER_LIMITED", "用户受限，可能是违规后接口被封禁"),
    known(
        WECOM_INVALID_WEBHOOK,
        "INVALID_WEBHOOK_URL",
        "invalid webhook url: the robot's key is wrong, or the robot was removed from its group",
    ),
];

/// WeCom's answer to a robot key it does not know.
pub const WECOM_INVALID_WEBHOOK: i64 = 93000;

const fn known(errcode: i64, name: &'static str, meaning: &'static str) -> Known {
    Known {
        errcode,
        name,
        meaning,
    }
}

/// The documented entry for `errcode`, if it is one the channels know.
pub fn lookup(errcode: i64) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.errcode == errcode)
}

/// `errcode N (NAME: meaning)`, or for an unknown code the server's `errmsg`, cut short.
/// Never carries a credential: callers pass `errmsg` only from WeChat's answer body.
pub fn describe(errcode: i64, errmsg: &str) -> String {
    match lookup(errcode) {
        Some(k) => format!("errcode {errcode} ({}: {})", k.name, k.meaning),
        None => {
            let short: String = errmsg.chars().take(160).collect();
            format!("errcode {errcode} ({short})")
        }
    }
}

/// What to do with an answer that is not an acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The access token is stale: renew it and send once more.
    RenewToken,
    /// Not now (a rate limit, a busy system): nothing was handed over.
    Retry,
    /// Refused for good for this message.
    Refuse,
}

/// A template send's non-zero `errcode`.
pub fn template_disposition(errcode: i64) -> Disposition {
    match errcode {
        40001 | 40014 | 41001 | 42001 => Disposition::RenewToken,
        -1 | 45009 => Disposition::Retry,
        // 43004, 40003, 40037, 47003 and whatever else WeChat answers definitely: this
        // message will not go as it is.
        _ => Disposition::Refuse,
    }
}

/// A robot send's non-zero `errcode`.
pub fn robot_disposition(errcode: i64) -> Disposition {
    match errcode {
        -1 | 45009 => Disposition::Retry,
        _ => Disposition::Refuse,
    }
}
