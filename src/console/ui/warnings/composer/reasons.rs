//! Pre-send findings in words: each code with its parameters, precise enough to act on.

use crate::console::ui::i18n::Language;
use crate::domain::warning::checks::{Channel, Finding};
use crate::domain::warning::lifecycle::LifecycleError;

/// The finding in `language`.
pub fn reason(language: Language, f: &Finding) -> String {
    match language {
        Language::Zh => reason_zh(f),
        Language::En => reason_en(f),
    }
}

/// A channel's Chinese name.
pub fn channel_zh(c: Channel) -> &'static str {
    match c {
        Channel::Sms => "短信",
        Channel::WecomMarkdown => "企业微信Markdown",
        Channel::WecomText => "企业微信文本",
        Channel::WechatTemplate => "微信模板消息",
        Channel::Cap => "CAP",
        Channel::Led => "LED屏",
        Channel::Loudspeaker => "大喇叭",
    }
}

/// A field key's Chinese name.
fn field_zh(key: &str) -> String {
    match key.strip_prefix("guidance.") {
        _ if key == "forecast" => "预报内容".into(),
        Some(n) => format!("防御指南第{}条", n.parse::<usize>().map_or(1, |i| i + 1)),
        None => key.into(),
    }
}

fn reason_zh(f: &Finding) -> String {
    match f {
        Finding::UnfilledPlaceholder { field } => format!("“{}”尚未填写", field_zh(field)),
        Finding::MissingExpiry => "未设置有效期".into(),
        Finding::ExpiryNotAfterIssue {
            issued_at,
            expires_at,
        } => {
            format!("有效期 {expires_at} 不晚于发布时间 {issued_at}")
        }
        Finding::ExpiryPassed { expires_at } => format!("有效期 {expires_at} 已过"),
        Finding::IssueTooFarInPast {
            minutes,
            limit_minutes,
        } => {
            format!("发布时间早于现在 {minutes} 分钟，超过允许的 {limit_minutes} 分钟；请改为现在")
        }
        Finding::IssueTooFarInFuture {
            minutes,
            limit_minutes,
        } => {
            format!("发布时间晚于现在 {minutes} 分钟，超过允许的 {limit_minutes} 分钟")
        }
        Finding::SmsTooLong {
            units,
            parts,
            max_parts,
        } => format!(
            "短信含签名 {units} 个 UTF-16 单位，需 {parts} 条，超过允许的 {max_parts} 条；请精简预报内容"
        ),
        Finding::BannedWord { channel, word } => {
            format!("{}含禁用词“{word}”", channel_zh(*channel))
        }
        Finding::NoRecipientGroups => "未选择接收组（请选择乡镇和接收组）".into(),
        Finding::EmptyRecipientGroup { group } => format!("接收组 {group} 没有成员"),
        Finding::ChannelTooLong {
            channel,
            bytes,
            limit,
        } => format!(
            "{}共 {bytes} 字节，超过上限 {limit} 字节",
            channel_zh(*channel)
        ),
        Finding::TemplateFieldTooLong {
            field,
            chars,
            limit,
        } => {
            format!("模板字段 {field} 有 {chars} 字，超过 {limit} 字")
        }
        Finding::ObservationsBelowLevel { drafted, supported } => match supported {
            Some(s) => format!(
                "实况仅达到{}标准，低于拟发布的{}（提示，不阻止发送）",
                s.zh(),
                drafted.zh()
            ),
            None => format!("实况未达到{}标准（提示，不阻止发送）", drafted.zh()),
        },
    }
}

fn reason_en(f: &Finding) -> String {
    match f {
        Finding::UnfilledPlaceholder { field } => format!("“{field}” is not filled in"),
        Finding::MissingExpiry => "No expiry set".into(),
        Finding::ExpiryNotAfterIssue {
            issued_at,
            expires_at,
        } => {
            format!("Expiry {expires_at} is not after the issue time {issued_at}")
        }
        Finding::ExpiryPassed { expires_at } => format!("Expiry {expires_at} has passed"),
        Finding::IssueTooFarInPast {
            minutes,
            limit_minutes,
        } => {
            format!("Issue time is {minutes} min ago, over the {limit_minutes} min allowed")
        }
        Finding::IssueTooFarInFuture {
            minutes,
            limit_minutes,
        } => {
            format!("Issue time is {minutes} min ahead, over the {limit_minutes} min allowed")
        }
        Finding::SmsTooLong {
            units,
            parts,
            max_parts,
        } => {
            format!("SMS is {units} UTF-16 units in {parts} parts, over {max_parts} parts")
        }
        Finding::BannedWord { channel, word } => format!("{channel:?} contains banned “{word}”"),
        Finding::NoRecipientGroups => "No recipient groups chosen".into(),
        Finding::EmptyRecipientGroup { group } => format!("Group {group} has no members"),
        Finding::ChannelTooLong {
            channel,
            bytes,
            limit,
        } => {
            format!("{channel:?} is {bytes} bytes, over {limit}")
        }
        Finding::TemplateFieldTooLong {
            field,
            chars,
            limit,
        } => {
            format!("Template field {field} has {chars} chars, over {limit}")
        }
        Finding::ObservationsBelowLevel { drafted, .. } => {
            format!("Observations do not reach {drafted:?} (warning only)")
        }
    }
}

/// Why the message may not follow (or start) a warning, in `language`.
pub fn lifecycle_reason(language: Language, e: &LifecycleError) -> String {
    if language == Language::En {
        return e.to_string();
    }
    match e {
        LifecycleError::IssueFollows { follows } => format!("新发布不能跟进预警 {follows}"),
        LifecycleError::AlreadyInForce { id, .. } => {
            format!("同类预警 {id} 正在生效：请继续、升级、降级、变更或解除它，不要重复发布")
        }
        LifecycleError::NothingFollowed { action } => {
            format!("{}必须选择所跟进的预警", action.verb_zh())
        }
        LifecycleError::NotInForce { id, .. } => format!("预警 {id} 已不在生效期"),
        LifecycleError::SignalChanged { .. } => "跟进不能改变预警类型".into(),
        LifecycleError::LevelDoesNotFit { action, from, to } => {
            format!("{}不能从{}变为{}", action.verb_zh(), from.zh(), to.zh())
        }
        LifecycleError::AreaEnlarged { added } => format!(
            "范围比原预警多 {} 个乡镇：请勾选“确认扩大范围”",
            added.len()
        ),
        LifecycleError::LiftOutsideArea { outside } => {
            format!("解除范围含原预警未覆盖的 {} 个乡镇", outside.len())
        }
        LifecycleError::EmptyArea => "未选择影响乡镇".into(),
    }
}

/// The channel a finding belongs under, or none for the composition as a whole.
pub fn channel_of(f: &Finding) -> Option<Channel> {
    match f {
        Finding::SmsTooLong { .. } => Some(Channel::Sms),
        Finding::BannedWord { channel, .. } | Finding::ChannelTooLong { channel, .. } => {
            Some(*channel)
        }
        Finding::TemplateFieldTooLong { .. } => Some(Channel::WechatTemplate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_values() {
        let table = [
            (
                Finding::UnfilledPlaceholder {
                    field: "forecast".into(),
                },
                "“预报内容”尚未填写",
            ),
            (
                Finding::UnfilledPlaceholder {
                    field: "guidance.0".into(),
                },
                "“防御指南第1条”尚未填写",
            ),
            (
                Finding::SmsTooLong {
                    units: 300,
                    parts: 5,
                    max_parts: 4,
                },
                "短信含签名 300 个 UTF-16 单位，需 5 条，超过允许的 4 条；请精简预报内容",
            ),
            (
                Finding::ChannelTooLong {
                    channel: Channel::WecomText,
                    bytes: 2100,
                    limit: 2048,
                },
                "企业微信文本共 2100 字节，超过上限 2048 字节",
            ),
        ];
        for (f, want) in table {
            assert_eq!(reason(Language::Zh, &f), want);
            assert!(!reason(Language::En, &f).is_empty());
        }
        assert_eq!(
            channel_of(&Finding::TemplateFieldTooLong {
                field: "thing3".into(),
                chars: 21,
                limit: 20
            }),
            Some(Channel::WechatTemplate)
        );
        assert_eq!(channel_of(&Finding::MissingExpiry), None);
    }
}
