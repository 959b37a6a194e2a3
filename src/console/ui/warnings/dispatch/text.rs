//! What the dispatch view says, in Chinese and English.

use crate::console::ui::i18n::Language;
use crate::console::ui::i18n::texts;

texts! {
    /// The dispatch view's fixed texts, in one language.
    DispatchText, ZH, EN;
    title: "发送情况", "Dispatch";
    close: "关闭", "Close";
    open: "发送情况", "Dispatch";
    loading: "正在读取发送情况…", "Reading the dispatch…";
    no_rows: "此预警没有待发送的消息（未配置发送渠道，或无接收人）", "This warning has no messages (no channel configured, or nobody addressed)";
    total: "共", "Total";
    messages: "条", "messages";
    received: "已收到", "received";
    not_received: "未收到", "not received";
    bucket_delivered: "送达", "Delivered";
    bucket_submitted: "已提交", "Submitted";
    bucket_queued: "排队", "Queued";
    bucket_failed: "失败", "Failed";
    bucket_unknown: "未知", "Unknown";
    channel_sms: "短信", "SMS";
    channel_wecom: "企业微信群机器人", "WeCom robot";
    channel_wechat: "公众号模板消息", "WeChat template";
    note_robot: "群机器人只回复“已接收”，这是它能告知的全部：按已收到计", "A robot answers only “accepted”, all a group chat tells: counted as received";
    note_template: "模板消息在微信推送任务结束回调前为“已接收”", "Template messages stay “accepted” until WeChat's job-finish callback";
    note_no_callback: "已接收 — 无送达回执：本中心未配置微信回调（[wechat.mp] callback_token），内网中心收不到回执", "Accepted — no delivery report: no WeChat callback token is configured on this central, and WeChat cannot reach an intranet central";
    policy_on: "本级别预警：状态未知的消息按本局策略自动重发（可能重复，不漏发）", "At this level, messages of unknown outcome are resent by the bureau's policy (a duplicate rather than a miss)";
    policy_off: "状态未知的消息不会自动重发：须由值班人员确认重发并填写理由", "Messages of unknown outcome are never resent by themselves: the duty staff confirm a resend with a reason";
    filter_not_received: "只看未收到", "Not received only";
    retry_failed: "重发失败", "Retry failed";
    retry_confirm_prompt: "将失败的消息重新排队发送（每人一条，不影响已送达和状态未知的）？", "Queue the failed messages again (one each; delivered and unknown ones are left alone)?";
    retry_confirm: "确认重发失败", "Retry them";
    cancel: "取消", "Cancel";
    resend: "确认重发", "Resend";
    resend_prompt: "此消息可能已送达，重发可能使对方收到两次。请填写理由：", "This message may have arrived; a resend may reach them twice. Why resend:";
    resend_reason_hint: "理由（必填）", "Reason (required)";
    resend_confirm: "确认重发", "Resend it";
    column_name: "姓名", "Name";
    column_township: "乡镇", "Township";
    column_channel: "渠道", "Channel";
    column_status: "状态", "Status";
    column_time: "时间", "Time";
    column_action: "操作", "Action";
    county: "县级", "County";
    deleted: "（已删除）", "(deleted)";
    status_queued: "排队中", "Queued";
    status_sending: "发送中", "Sending";
    status_submitted: "已提交网关", "Submitted to the gateway";
    status_accepted: "已接收", "Accepted";
    status_delivered: "已送达", "Delivered";
    status_failed: "失败", "Failed";
    status_unknown: "未知（可能已发出）", "Unknown (may have gone out)";
    status_cancelled: "已撤回", "Withdrawn";
    status_expired: "已过期未发", "Expired unsent";
    attempt: "第{n}次", "attempt {n}";
    resent_by_decision: "经 {by} 决定重发", "resent by decision of {by}";
    resent_by_policy: "按级别策略自动重发", "resent by the level policy";
    decided: "已重新排队 {n} 条", "{n} queued again";
    refused: "未能完成", "Not done";
}

/// The texts in `language`.
pub fn text(language: Language) -> &'static DispatchText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}
