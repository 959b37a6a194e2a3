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
    practice_toggle: "演练模式", "Practice mode";
    practice_banner: "演练模式 — 仅发送给测试接收人", "PRACTICE — test recipients only";
    new_composition: "新建", "New";
    signal_type: "预警类型", "Signal type";
    signal_level: "级别", "Level";
    action: "操作", "Action";
    action_issue: "新发布", "New issue";
    follows: "跟进", "Follow up";
    no_records_in_force: "无生效中的预警可跟进", "No warning in force to follow";
    townships: "影响乡镇", "Townships";
    all_townships: "全选", "All";
    no_townships: "清空", "None";
    coverage: "覆盖", "Covers";
    townships_unit: "个乡镇", "townships";
    stations_unit: "个站", "stations";
    villages_unit: "个村（居）", "villages";
    recipients: "接收人", "Recipients";
    people_unit: "人", "people";
    recipients_unknown: "接收人：尚未取得中心的名单", "Recipients: not yet heard from the central";
    recipients_none_kept: "接收人：中心尚未录入名单", "Recipients: the central keeps no list yet";
    recipients_nobody: "接收人：所选接收组无人", "Recipients: nobody in the chosen groups";
    groups: "接收组", "Recipient groups";
    group_leaders: "乡镇领导", "Leaders";
    group_informants: "气象信息员", "Informants";
    group_tea: "茶园", "Tea growers";
    group_staff: "工作人员", "Staff";
    group_county: "全县", "Whole county";
    issued_at: "发布时间", "Issued";
    set_now: "改为现在", "Now";
    expiry: "有效期", "Valid for";
    hours: "小时", "h";
    until: "至", "until";
    no_expiry: "解除无有效期", "A lift has no expiry";
    text_heading: "预警正文", "Text";
    locked: "锁定", "locked";
    forecast_label: "预报内容", "Forecast";
    must_fill: "必填", "required";
    guidance: "防御指南", "Guidance";
    guidance_keep: "保留条数", "items kept";
    guidance_advice: "真实预警通常保留2至3条", "Real warnings keep two or three";
    own_guidance: "本级别无官方防御指南，请填写", "No official guidance for this level: write it";
    enlarge_confirm: "确认扩大范围（记入记录）", "Confirm the larger area (on the record)";
    pick_first: "请先选择预警类型和级别。", "Choose a signal type and level first.";
    previews: "各渠道预览", "Channel previews";
    sms_segments: "条", "parts";
    sms_units: "UTF-16 单位", "UTF-16 units";
    bytes: "字节", "bytes";
    chars: "字", "chars";
    general_findings: "发送前检查", "Pre-send checks";
    no_findings: "检查通过", "All checks pass";
    save_draft: "保存草稿", "Save draft";
    submit: "提交审核", "Submit for approval";
    drop_draft: "删除草稿", "Delete draft";
    blocked_reason: "有阻止发送的问题，请先修正", "Fix the blocking findings first";
    needs_forecaster: "需要值班预报员角色", "Needs the duty forecaster role";
    needs_central: "中心未确认登录，可保存草稿", "Central has not confirmed the session: drafts only";
    drafts: "本机草稿", "Drafts on this desk";
    open: "打开", "Open";
    no_drafts: "暂无草稿", "No drafts";
    not_sent: "未发送 NOT YET SENT — 中心不可达，本系统不会审批或发送", "NOT YET SENT — the central is unreachable: nothing is approved or sent";
    not_sent_hint: "可复制文本或保存CAP文件，交省级预警发布系统发布。", "Copy the text or save the CAP file for the provincial release system.";
    copy_text: "复制文本", "Copy text";
    save_cap: "保存CAP文件", "Save CAP file";
    copied: "已复制", "Copied";
    seat_map: "点击乡镇驻地选择或取消", "Click a township seat to pick or drop it";
    cap_saved: "CAP文件已保存：", "CAP file saved: ";
    cap_not_saved: "CAP文件未能保存：", "CAP file not saved: ";
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
