//! What the relays panel says, in Chinese and English.

use crate::console::ui::i18n::Language;
use crate::console::ui::i18n::texts;

texts! {
    /// The relays panel's fixed texts, in one language.
    RelaysText, ZH, EN;
    title: "继电器控制", "Relay control";
    loading: "正在读取继电器…", "Reading the relays…";
    none: "中心登记的设备没有继电器", "No registered device has relays";
    col_relay: "继电器", "Relay";
    col_class: "类别", "Class";
    col_commanded: "指令", "Commanded";
    col_acked: "设备确认", "Acknowledged";
    col_observed: "实测", "Observed";
    col_actions: "操作", "Actions";
    no_command: "无指令", "No command";
    not_acked: "—", "—";
    no_reading: "无回读", "No read-back";
    queued_at: "下达", "queued";
    expires_in: "后过期", "to expiry";
    expiry_passed: "已到期", "expiry passed";
    read_at: "读于", "read";
    since: "自", "since";
    cancel_command: "取消指令", "Cancel command";
    dialog_title: "确认继电器操作", "Confirm the relay switch";
    dialog_device: "设备", "Device";
    dialog_relay: "继电器", "Relay";
    dialog_target: "目标状态", "Target";
    dialog_reason: "原因", "Reason";
    reason_required: "开启此类继电器须填写原因", "Switching this class on needs a reason";
    reason_optional: "原因（可选）", "Reason (optional)";
    confirm: "确认", "Confirm";
    back: "返回", "Back";
    sending: "正在发送…", "Sending…";
    refused: "中心拒绝", "The central refused";
    offline: "与中心的连接中断：不能下达指令", "The link to the central is down: no command can be sent";
    proposals_title: "自动化建议", "Automation proposals";
    proposal_reading: "读数", "Reading";
    proposal_confirm: "确认执行", "Confirm";
    proposal_dismiss: "忽略", "Dismiss";
    observed_note: "实测为设备回读的状态；指令下达不等于已开/已关。", "Observed is what the device read back: a command sent is not a relay switched.";
}

/// The texts in `language`.
pub fn text(language: Language) -> &'static RelaysText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}
