//! What the devices screen says, in Chinese and English.

use crate::console::ui::i18n::Language;
use crate::console::ui::i18n::texts;

texts! {
    /// The devices screen's fixed texts, in one language.
    DevicesText, ZH, EN;
    tab: "设备", "Devices";
    title: "设备状态", "Device status";
    refresh: "刷新", "Refresh";
    loading: "正在读取设备列表…", "Reading the device list…";
    list_refused: "设备列表未能读取", "The device list could not be read";
    page_refused: "设备健康页未能读取", "The device's health page could not be read";
    none: "中心尚未登记任何设备", "The central has no device registered";
    simulated: "模拟", "Simulated";
    other_township: "未归属乡镇", "No township";
    col_name: "名称", "Name";
    col_kind: "类型", "Kind";
    col_transport: "接入方式", "Transport";
    col_status: "状态", "Status";
    col_last: "最近上报（北京时）", "Last heard (Beijing)";
    col_battery: "电池", "Battery";
    col_signal: "信号", "Signal";
    col_drift: "时钟偏差", "Clock drift";
    link_down: "与中心的连接中断：以下是最后读到的设备状态。未按时上报的设备不判为故障——可能只是本台收不到。", "The link to the central is down: below is the device status last read. Devices not heard on time are not judged failed — it may be this desk that hears nothing.";
    behind: "本台尚未同步完中心的变更：设备可能已经上报，未按时上报的暂不判为故障。", "This desk has not caught up with the central's changes: devices may well have reported; those not heard on time are not judged failed yet.";
    list_as_of: "设备状态读取于", "Device status read at";
    status_ok: "正常", "Reporting";
    status_never: "从未上报", "Never heard";
    status_offline: "离线（遗嘱）", "Offline (last will)";
    status_unreachable: "轮询不可达", "Unreachable by polling";
    status_unknown_link: "未知（中心连接中断）", "Unknown (central link down)";
    status_unknown_behind: "未知（本台同步中）", "Unknown (desk catching up)";
    status_dtu: "DTU 失联", "Its DTU is silent";
    back: "← 设备列表", "← Device list";
    particulars: "设备信息", "Particulars";
    field_id: "编号", "Id";
    field_kind: "类型", "Kind";
    field_station: "对应站点", "Reports as station";
    field_reference: "参考站", "Reference station";
    field_township: "乡镇", "Township";
    field_transport: "接入方式", "Transport";
    field_interval: "上报间隔", "Report interval";
    field_dtu: "所属 DTU", "Behind DTU";
    field_unit: "Modbus 从站地址", "Modbus unit";
    field_cellular: "4G 网络", "4G network";
    yes: "是", "yes";
    no: "否", "no";
    judged: "判定", "Judgement";
    field_status: "状态", "Status";
    field_lateness: "上报及时性", "Reports";
    on_time: "按时", "On time";
    field_completeness: "24 小时完整率", "24 h completeness";
    field_last: "最近上报", "Last heard";
    field_battery: "电池", "Battery";
    field_supply: "供电电压", "Supply";
    field_signal: "信号", "Signal";
    field_drift: "时钟偏差", "Clock drift";
    field_forecast: "电量预测", "Battery forecast";
    forecast_steady: "稳定", "Steady";
    forecast_no_data: "数据不足", "Not enough data";
    trend: "近 14 天逐时趋势", "Hourly trend, last 14 days";
    trend_none: "尚无逐时记录", "No hourly record yet";
    plot_battery: "电池电压（V）", "Battery (V)";
    series_battery_min: "时最低", "Hourly minimum";
    series_battery_last: "时末", "End of hour";
    plot_signal: "信号强度（dBm）", "Signal (dBm)";
    plot_drift: "时钟偏差（秒）", "Clock drift (s)";
    page_loading: "正在读取健康页…", "Reading the health page…";
    never: "从未", "never";
    alarms_title: "设备告警", "Device alarms";
    alarms_none_open: "无未关闭的告警", "No open alarm";
    alarms_loading: "正在读取设备告警…", "Reading the device alarms…";
    alarms_refused: "设备告警未能读取", "The device alarms could not be read";
    alarm_active_unacked: "告警中·未确认", "Active · unacknowledged";
    alarm_active_acked: "告警中·已确认", "Active · acknowledged";
    alarm_cleared_unacked: "已恢复·未确认", "Cleared · unacknowledged";
    alarm_cleared_acked: "已恢复·已确认", "Cleared · acknowledged";
    alarm_closed: "已关闭", "Closed";
    severity_critical: "紧急", "Critical";
    severity_major: "重要", "Major";
    severity_minor: "一般", "Minor";
    kind_silent: "失联", "silent";
    kind_low_battery: "电池电压低", "battery low";
    kind_clock_drift: "时钟偏差大", "clock drifting";
    kind_relay_stuck: "继电器到时未能关闭", "relay not off at its limit";
    alarm_escalated: "已通知值班技术员", "On-call technician alerted";
    alarm_assignee: "负责人", "Assigned to";
    alarm_devices: "涉及设备", "Devices";
    alarm_raised: "首次告警", "Raised";
    alarm_last_raised: "最近一次", "Last raised";
    alarm_acknowledge: "确认", "Acknowledge";
    alarm_record_visit: "登记维护", "Record a visit";
    visit_title: "登记维护（关闭此告警）", "Record a maintenance visit (closes this alarm)";
    visit_device: "设备", "Device";
    visit_station: "站点", "Station";
    visit_no_station: "该设备没有对应站点或参考站，无法登记维护窗口", "This device has neither a station nor a reference station: no maintenance window can be recorded";
    visit_kind: "维护类型", "Kind of visit";
    visit_routine: "巡检", "Routine round";
    visit_repair: "维修", "Repair";
    visit_calibration: "校准", "Calibration";
    visit_replacement: "更换", "Replacement";
    visit_installation: "安装", "Installation";
    visit_parts: "更换部件", "Parts replaced";
    visit_parts_hint: "以顿号或逗号分隔", "separated by commas";
    visit_note: "说明", "Note";
    visit_from: "开始（分钟前）", "Started (minutes ago)";
    visit_to: "结束（分钟前）", "Ended (minutes ago)";
    visit_submit: "提交维护记录", "Submit the visit";
    visit_cancel: "取消", "Cancel";
    visit_note_prefix: "处理告警：", "Dealt with the alarm: ";
}

/// The table of `language`.
pub fn text(language: Language) -> &'static DevicesText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}
