//! What the 服务统计 view says, in Chinese and English.

use crate::console::ui::i18n::Language;
use crate::console::ui::i18n::texts;

texts! {
    /// The service report's fixed texts, in one language.
    ReportText, ZH, EN;
    tab: "服务统计", "Service report";
    compose_tab: "预警制作", "Compose";
    title: "服务统计", "Service report";
    preset_this_month: "本月", "This month";
    preset_last_month: "上月", "Last month";
    preset_this_year: "本年", "This year";
    from: "从", "From";
    to: "至", "to";
    apply: "查询", "Show";
    refresh: "刷新", "Refresh";
    bad_range: "日期须为 2026-12-01 的形式，且起始日不晚于结束日、跨度不超过366天", "Dates are written 2026-12-01; the first day no later than the last, at most 366 days";
    loading: "正在读取服务统计…", "Reading the service report…";
    refused: "服务统计未能读取", "The service report could not be read";
    figures_of: "统计期间（北京时）", "Days (Beijing time)";
    issued: "预警发布", "Warnings released";
    issued_none: "此期间未发布预警", "No warning was released in these days";
    col_warning: "预警", "Warning";
    col_count: "次数", "Count";
    practice: "演练", "Practice";
    approvals: "审核签发", "Approvals";
    approved: "经审核批准", "Approved by a supervisor";
    signed_alone: "单独签发", "Signed alone";
    col_step: "环节", "Step";
    col_median: "中位数（分钟）", "Median (min)";
    col_max: "最长（分钟）", "Longest (min)";
    submit_to_approve: "提交→批准", "Submitted → approved";
    approve_to_release: "批准→发布", "Approved → released";
    col_released: "发布时间", "Released";
    col_drafter: "起草人", "Drafted by";
    col_approver: "批准人", "Approved by";
    delivery: "各渠道发送", "Delivery per channel";
    delivery_none: "此期间的预警没有发送消息（未配置发送渠道）", "The warnings of these days sent no messages (no channel configured)";
    col_channel: "渠道", "Channel";
    col_messages: "消息", "Messages";
    col_delivered: "送达", "Delivered";
    col_failed: "失败", "Failed";
    col_unknown: "未知", "Unknown";
    col_accepted: "已接收", "Accepted";
    col_other: "其他", "Other";
    col_rate: "送达率", "Delivery rate";
    callout: "叫应", "Call and response";
    callout_absent: "中心未提供叫应统计（版本较旧）", "The central gives no call-and-response figures (an older version)";
    callout_warnings: "有叫应的预警", "Warnings with calls";
    callout_called: "叫应人次", "People called";
    callout_answered: "已应答", "Answered";
    callout_by_sms: "短信回复", "by SMS reply";
    callout_by_wechat: "微信", "on WeChat";
    callout_by_phone: "电话", "by phone";
    callout_unanswered: "未应答", "Unanswered";
    callout_desk: "转值班台", "Passed to the duty desk";
    callout_supervisor: "转带班领导", "Passed to the supervisor";
    callout_rate: "完成率", "Completion";
    callout_response: "应答用时", "Time to answer";
    export_csv: "导出 CSV", "Export CSV";
    export_xlsx: "导出 Excel", "Export Excel";
    export_hover: "保存中心生成的文件（与上方数字相同）到导出文件夹", "Saves the central's own file (the figures above) in the export folder";
    none: "—", "—";
}

/// The texts in `language`.
pub fn text(language: Language) -> &'static ReportText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}
