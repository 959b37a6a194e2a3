//! What the warnings screen says, in Chinese and English.

use crate::console::ui::i18n::Language;
use crate::console::ui::i18n::texts;
use crate::domain::warning::checks::Channel;

texts! {
    /// The warnings screen's fixed texts, in one language.
    WarningsText, ZH, EN;
    screen_warnings: "预警发布", "Warnings";
    queue: "待审核与记录", "Queue and records";
    composer: "预警制作", "Compose";
    board_submitted: "待审核", "Awaiting approval";
    board_approved: "已批准待发布", "Approved, not yet released";
    board_returned: "已退回", "Returned";
    board_in_force: "生效中", "In force";
    board_history: "历史", "History";
    board_empty: "无", "None";
    board_approve: "批准", "Approve";
    board_return: "退回", "Return";
    board_return_hint: "退回意见（必填）", "Why it goes back (required)";
    board_return_confirm: "确认退回", "Return it";
    board_cancel: "取消", "Cancel";
    board_release: "发布", "Release";
    board_sign_alone: "单独签发", "Sign alone";
    board_sign_alone_hover: "值班预报员单独签发继续发布或解除，须本局配置允许；由中心站决定", "The duty forecaster signs a continue or lift alone where the bureau allows it; the central decides";
    board_waiting: "等待审核人批准", "Waiting for a supervisor";
    board_own_draft: "本人起草，须由他人审核", "Drafted by you: someone else approves it";
    board_drafter: "起草人", "Drafted by";
    board_area: "区域", "Area";
    board_expires: "有效至", "Until";
    board_returned_by: "退回意见", "Returned with";
    board_revise_hint: "请在预警制作中修改后重新提交", "Revise it in the composer and submit again";
    board_practice: "演练", "Practice";
    board_approved_by: "批准人", "Approved by";
    board_signed_alone_by: "单独签发人", "Signed alone by";
    step_submitted: "提交", "submitted";
    step_revised: "修改后重新提交", "revised";
    board_expired: "已到期", "Expired";
    board_replaced: "已被后续预警取代", "Replaced by a follow-up";
    board_lifted: "解除", "Lift";
    board_refused: "未能完成", "Not done";
    board_offline: "中心站无法连接：尚未审核或发布（NOT YET SENT）", "The central is unreachable: NOT YET approved or SENT";
    in_force_remaining: "剩余", "left";
    in_force_upstream: "上级", "Upstream";
    in_force_open: "打开预警发布", "Open the warnings screen";
    map_tint_note: "着色：生效预警区域，重叠取最高级别；演练不上图", "Tinted townships: warnings in force, the highest level where they overlap; practice warnings are not drawn";
    prompt_choices: "继续发布、解除或任其到期", "continue, lift or let it expire";
    prompt_dismiss: "知道了", "Dismiss";
    prompt_open: "处理", "Handle";
}

/// The fixed texts of `language`.
pub fn text(language: Language) -> &'static WarningsText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

/// A channel's name, as the board and the previews head its text.
pub fn channel_name(channel: Channel, language: Language) -> &'static str {
    let (zh, en) = match channel {
        Channel::Sms => ("短信", "SMS"),
        Channel::WecomMarkdown => ("企业微信（Markdown）", "WeCom markdown"),
        Channel::WecomText => ("企业微信（文本）", "WeCom text"),
        Channel::WechatTemplate => ("微信模板消息", "WeChat template"),
        Channel::Cap => ("CAP 文件", "CAP file"),
        Channel::Led => ("LED 屏", "LED line"),
        Channel::Loudspeaker => ("大喇叭", "Loudspeaker"),
    };
    match language {
        Language::Zh => zh,
        Language::En => en,
    }
}
