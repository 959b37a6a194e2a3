//! What the history screen says, in Chinese and English.

use crate::console::ui::i18n::Language;
use crate::console::ui::i18n::texts;
use crate::domain::history::{GapCause, Level};
use crate::domain::qc::QcTest;
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};

texts! {
    /// The history screen's fixed texts, in one language.
    HistoryText, ZH, EN;
    screen_live: "实况监测", "Live";
    screen_history: "观测分析", "History";
    mode_elements: "单站多要素", "One station";
    mode_stations: "多站对比", "Compare stations";
    mode_rain: "降水统计", "Rainfall";
    mode_wind: "风况", "Wind";
    mode_summary: "今日统计", "Today";
    preset_hour: "1小时", "1 h";
    preset_six_hours: "6小时", "6 h";
    preset_day: "1天", "1 d";
    preset_three_days: "3天", "3 d";
    preset_week: "7天", "7 d";
    preset_month: "30天", "30 d";
    preset_quarter: "90天", "90 d";
    preset_year: "1年", "1 y";
    earlier: "◀ 向前", "◀ Earlier";
    later: "向后 ▶", "Later ▶";
    to_now: "至今", "Now";
    zoom_in: "放大", "Zoom in";
    zoom_out: "缩小", "Zoom out";
    zoom_hint: "拖动平移，滚轮缩放（以指针为中心）", "Drag to pan, wheel to zoom (about the pointer)";
    shown_raw: "原始", "Raw";
    shown_qc: "质控后", "QC'd";
    shown_both: "对比", "Both";
    shown_hover: "原始：收到的全部数值；质控后：去掉被质控标记的数值；对比：两者叠加", "Raw: every value received; QC'd: without the values QC flagged; Both: one over the other";
    group_visibility: "能见度", "Visibility";
    element: "要素", "Element";
    resolution: "分辨率", "Resolution";
    complete: "完整率", "Complete";
    gaps: "缺测", "Gaps";
    no_gaps: "无缺测", "no gaps";
    unmeasured: "此时段无资料", "no data in this range";
    flagged: "质控标记", "QC flags";
    flagged_by: "标记它的质控检查", "flagged by";
    none: "无", "none";
    cause_no_data: "该要素缺测", "element missing";
    cause_qc: "质控剔除", "rejected by QC";
    cause_offline: "站点离线", "station offline";
    cause_maintenance: "维护", "maintenance";
    cause_unknown: "原因未判定", "cause not determined";
    qc_range: "气候界限值", "climate range";
    qc_consistency: "内部一致性", "consistency";
    qc_step: "时间变化", "step";
    qc_persistence: "持续不变", "stuck";
    qc_spatial: "空间一致性", "spatial";
    legend_raw: "原始", "raw";
    legend_qc: "质控后", "QC'd";
    legend_flagged: "质控标记值", "flagged";
    legend_gap: "缺测", "gap";
    reading: "正在读取…", "Reading…";
    no_values: "此时段没有观测", "No observations in this range";
    no_station: "请在左侧列表中选择一个站点", "Select a station in the list on the left";
    compare_choose: "对比站点", "Stations";
    compare_all: "全选", "All";
    compare_none: "清空", "None";
    compare_none_chosen: "请至少选择一个站点", "Choose at least one station";
    rain_hourly: "逐时降水", "Hourly rain";
    rain_daily: "逐日降水（20–20 时）", "Daily rain (20–20 BJT)";
    rain_accumulations: "累计降水", "Accumulated rain";
    rain_ending: "截至", "ending";
    rain_day: "日期", "Day";
    rain_amount: "降水量", "Amount";
    rain_data: "资料", "Data";
    rain_total: "合计", "Total";
    rain_incomplete: "不完整", "incomplete";
    rain_complete: "完整", "complete";
    rain_no_data: "缺测", "missing";
    rain_rolling: "滑动累计", "rolling total";
    rain_cma_note: "日降水量按中国气象局 20–20 时（北京时）日界：某日为前一日 20 时至当日 20 时。", "Daily totals use CMA's precipitation day, 20:00–20:00 Beijing time: a day runs from 20:00 the evening before.";
    wind_rose: "风向频率玫瑰图", "Wind rose";
    wind_calm: "静风", "Calm";
    wind_speed_classes: "风速 m/s", "Speed m/s";
    wind_mean: "合成风", "Vector mean";
    wind_arrows: "逐段合成风向风速", "Mean wind by period";
    wind_pairs: "风向风速对", "pairs";
    wind_no_data: "此时段没有风观测", "No wind observations in this range";
    summary_extremes: "今日极值（00–24 时）与日降水（20–20 时）", "Today's extremes (00–24 BJT) and rain (20–20 BJT)";
    summary_townships: "乡镇汇总", "By township";
    col_station: "站点", "Station";
    col_max_tem: "最高气温", "Max temp.";
    col_min_tem: "最低气温", "Min temp.";
    col_min_rhu: "最小湿度", "Min RH";
    col_max_gust: "极大风速", "Max gust";
    col_rain: "日降水", "Rain";
    col_township: "乡镇", "Township";
    col_reporting: "在报/站数", "Reporting";
    col_max_rain: "最大降水", "Max rain";
    col_silent: "未报站点", "Silent";
    export_csv: "导出 CSV", "Export CSV";
    export_png: "导出 PNG", "Export PNG";
    export_xlsx: "导出 Excel", "Export Excel";
    export_hover: "导出当前视图所示内容：曲线的逐条数值（长时段为分段统计）和页面上的各个表格", "Exports what the view shows: the charts' values (bucket statistics for long ranges) and every table on screen";
    exported: "已导出", "Exported";
    export_failed: "导出失败", "Export failed";
    exporting: "正在导出…", "Exporting…";
    export_in_folder: "位于", "in";
    export_open_folder: "打开文件夹", "Open folder";
    export_to: "导出到", "Exports go to";
    export_change_folder: "更改文件夹…", "Change folder…";
    export_folder_field: "导出文件夹", "Export folder";
    export_folder_use: "使用此文件夹", "Use this folder";
    export_folder_cancel: "取消", "Cancel";
    rain_running: "进行中", "running";
    rain_complete_so_far: "已过时段完整", "complete so far";
    col_station_id: "站号", "Station ID";
    col_at: "出现时间", "At";
    col_direction: "风向", "Direction";
    col_direction_deg: "风向 °", "Direction °";
    col_hour_from: "时段起（北京时）", "From (BJT)";
    col_hour_to: "时段止（北京时）", "Until (BJT)";
    col_time: "时间（北京时）", "Time (BJT)";
    col_window: "时段", "Window";
    col_frequency: "频率 %", "Frequency %";
    col_count: "次数", "Count";
    col_stations: "站数", "Stations";
    col_mean_speed: "平均风速 m/s", "Mean speed m/s";
    col_vector_speed: "合成风速 m/s", "Vector mean speed m/s";
    import_button: "导入资料…", "Import…";
    import_title: "导入观测资料", "Import observations";
    import_path: "文件路径", "File path";
    import_format: "格式", "Format";
    format_auto: "自动识别", "Detect";
    format_micaps1: "MICAPS 第 1 类", "MICAPS type 1";
    format_micaps3: "MICAPS 第 3 类", "MICAPS type 3";
    format_csv: "CSV", "CSV";
    import_element: "要素（MICAPS 第 3 类）", "Element (MICAPS type 3)";
    element_from_title: "按文件标题", "From the title";
    import_go: "导入", "Import";
    import_sending: "正在导入…", "Importing…";
    import_done: "已导入", "Imported";
    import_failed: "未导入", "Not imported";
    import_rule: "文件要么全部导入，要么一条也不导入；本站网以外的站点会跳过。", "A file is imported whole or not at all; stations outside this network are skipped.";
    import_formats: "支持 MICAPS 第 1 类（地面填图）、第 3 类（站点资料，GBK，9999 为缺测）和 CSV（station,time,要素代码…）。", "MICAPS type 1 (surface plot), type 3 (station data, GBK, 9999 = missing) and CSV (station,time,element codes…).";
    maintenance_button: "登记维护…", "Record maintenance…";
    maintenance_title: "站点维护", "Station maintenance";
    maintenance_from: "开始", "From";
    maintenance_to: "结束", "Until";
    maintenance_to_hint: "进行中可留空", "empty while it lasts";
    maintenance_note: "维护内容", "Work done";
    maintenance_save: "登记", "Record";
    maintenance_end: "结束维护", "End now";
    maintenance_ongoing: "进行中", "ongoing";
    maintenance_saved: "已登记", "Recorded";
    maintenance_failed: "未登记", "Not recorded";
    maintenance_note_required: "请填写维护内容", "Say what is being done";
    maintenance_none: "没有维护记录", "No maintenance recorded";
    date_hint: "北京时，如 2026-11-27 08:00", "Beijing time, e.g. 2026-11-27 08:00";
    bad_date: "时间格式不对", "Not a time";
    provenance: "来源", "Source";
    source_late: "含补传或导入资料", "includes late or imported values";
}

/// The texts in `language`.
pub fn text(language: Language) -> &'static HistoryText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

/// A duration for people: `5 分钟`, `3 小时`, `2 天` (`5 min`, `3 h`, `2 d`).
pub fn duration(language: Language, ms: i64) -> String {
    let (value, zh, en) = if ms >= DAY_MS && ms % DAY_MS == 0 {
        (ms / DAY_MS, "天", "d")
    } else if ms >= HOUR_MS && ms % HOUR_MS == 0 {
        (ms / HOUR_MS, "小时", "h")
    } else if ms >= MINUTE_MS {
        (ms / MINUTE_MS, "分钟", "min")
    } else {
        (ms / 1000, "秒", "s")
    };
    match language {
        Language::Zh => format!("{value} {zh}"),
        Language::En => format!("{value} {en}"),
    }
}

/// A gap's length, rounded to what matters: `3 小时 20 分钟` is `3.3 小时`.
pub fn rough_duration(language: Language, ms: i64) -> String {
    let (value, zh, en) = if ms >= DAY_MS {
        (ms as f64 / DAY_MS as f64, "天", "d")
    } else if ms >= HOUR_MS {
        (ms as f64 / HOUR_MS as f64, "小时", "h")
    } else {
        (ms as f64 / MINUTE_MS as f64, "分钟", "min")
    };
    match language {
        Language::Zh => format!("{value:.1} {zh}"),
        Language::En => format!("{value:.1} {en}"),
    }
}

/// The resolution a view was built at: `逐条` for the values themselves, else the bucket.
pub fn resolution(language: Language, level: Level, bucket_ms: i64) -> String {
    match (level, language) {
        (Level::Raw, Language::Zh) => "逐条".to_owned(),
        (Level::Raw, Language::En) => "every value".to_owned(),
        _ => duration(language, bucket_ms),
    }
}

/// A gap's cause.
pub fn cause(language: Language, cause: Option<GapCause>) -> &'static str {
    let t = text(language);
    match cause {
        Some(GapCause::NoData) => t.cause_no_data,
        Some(GapCause::QcRejected) => t.cause_qc,
        Some(GapCause::StationOffline) => t.cause_offline,
        Some(GapCause::Maintenance) => t.cause_maintenance,
        None => t.cause_unknown,
    }
}

/// A QC test's name.
pub fn qc_test(language: Language, test: QcTest) -> &'static str {
    let t = text(language);
    match test {
        QcTest::Range => t.qc_range,
        QcTest::Consistency => t.qc_consistency,
        QcTest::Step => t.qc_step,
        QcTest::Persistence => t.qc_persistence,
        QcTest::Spatial => t.qc_spatial,
    }
}

/// Completeness as people read it: `98.7%（按 1 分钟）`.
pub fn completeness(language: Language, ratio: f64, interval_ms: i64) -> String {
    let interval = duration(language, interval_ms);
    match language {
        Language::Zh => format!("{:.1}%（按 {interval}）", ratio * 100.0),
        Language::En => format!("{:.1}% (at {interval})", ratio * 100.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (Language::Zh, 5 * MINUTE_MS, "5 分钟"),
            (Language::En, 4 * HOUR_MS, "4 h"),
            (Language::Zh, DAY_MS, "1 天"),
            (Language::En, 90 * MINUTE_MS, "90 min"),
        ];
        for (language, ms, expected) in cases {
            assert_eq!(duration(language, ms), expected);
        }
        assert_eq!(rough_duration(Language::Zh, 200 * MINUTE_MS), "3.3 小时");
        assert_eq!(
            completeness(Language::Zh, 0.987, MINUTE_MS),
            "98.7%（按 1 分钟）"
        );
        assert_eq!(
            resolution(Language::Zh, Level::FourHours, 8 * HOUR_MS),
            "8 小时"
        );
    }
}
