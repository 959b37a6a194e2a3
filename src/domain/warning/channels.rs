//! One composition, every channel: the SMS with its signature, the WeCom robot's markdown and
//! text, the WeChat template fields, an LED scroll line and a village loudspeaker (大喇叭)
//! script. Pure rendering; the limits are checked by [`super::checks`], not hidden here by
//! cutting text (except where a platform itself truncates: see [`wechat_fields`]). CAP XML is
//! written by `formats::cap`, outside the domain.

use super::catalogue::Level;
use super::lifecycle::Action;
use super::sms;
use super::template::{Heading, PRACTICE_MARK};
use crate::domain::time::Timestamp;

/// The county bureau's SMS signature (operators require one, first).
pub const SMS_SIGNATURE: &str = "【清流气象】";
/// Longest LED scroll line, characters (a two-line county-hall board scrolls about this much
/// in one pass).
pub const LED_MAX_CHARS: usize = 60;
/// The WeChat template's keyword limit (values are cut by the platform, not refused).
pub const WECHAT_FIELD_CHARS: usize = 20;
/// Template keyword names, as the fixture's template has them (thing1/time2/thing3).
pub const WECHAT_FIELDS: [&str; 3] = ["thing1", "time2", "thing3"];

/// Everything the channels say, as the forecaster composed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composition {
    /// The issuing office, e.g. 清流县气象台.
    pub issuer: String,
    /// What the message does.
    pub action: Action,
    /// Type name, e.g. 暴雨.
    pub signal_zh: String,
    /// Its level.
    pub level: Level,
    /// Affected townships (or counties) by name, in order.
    pub area: Vec<String>,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Expiry (a lift has none).
    pub expires_at: Option<Timestamp>,
    /// The text after the heading: the forecast and any source note.
    pub forecast: String,
    /// The kept guidance items, punctuated (see `template::punctuate_items`).
    pub guidance: Vec<String>,
    /// A practice (演练) text.
    pub practice: bool,
}

impl Composition {
    /// The heading in the house style (with 【演练】 for practice).
    pub fn heading(&self) -> String {
        Heading {
            issuer: self.issuer.clone(),
            issued_at: self.issued_at,
            action: self.action,
            signal_zh: self.signal_zh.clone(),
            level: self.level,
            practice: self.practice,
        }
        .text()
    }

    /// Heading and forecast: the message every channel starts from.
    pub fn body(&self) -> String {
        format!("{}{}", self.heading(), self.forecast)
    }

    /// `暴雨黄色预警信号`.
    fn signal_name(&self) -> String {
        format!("{}{}预警信号", self.signal_zh, self.level.zh())
    }
}

/// The SMS as sent: signature, heading and forecast. The guidance stays out: it would double
/// the parts (and the cost) of every message, and the forecast already ends with what to do.
pub fn sms_text(c: &Composition) -> String {
    sms::signed(SMS_SIGNATURE, &c.body())
}

/// WeCom robot markdown: a heading in the level's colour, the facts as a quote, the text and
/// the guidance as a numbered list.
pub fn wecom_markdown(c: &Composition) -> String {
    let mark = if c.practice { PRACTICE_MARK } else { "" };
    let mut out = format!(
        "## {mark}<font color=\"{}\">{}{}</font>\n",
        wecom_colour(c.action),
        c.action.verb_zh(),
        c.signal_name(),
    );
    out.push_str(&format!(">发布：{} {}\n", c.issuer, minute(c.issued_at)));
    out.push_str(&format!(
        ">范围：<font color=\"comment\">{}</font>\n",
        c.area.join("、")
    ));
    if let Some(e) = c.expires_at {
        out.push_str(&format!(">有效期至：{}\n", minute(e)));
    }
    out.push('\n');
    out.push_str(&c.body());
    if !c.guidance.is_empty() {
        out.push_str("\n\n**防御指南**\n");
        for (i, g) in c.guidance.iter().enumerate() {
            out.push_str(&format!("{}. {g}\n", i + 1));
        }
    }
    out
}

/// WeCom markdown has three font colours only: `warning` (orange-red), `info` (green) and
/// `comment` (grey). Every level's heading is `warning`, the colour of danger; a lift is
/// `info`, the all-clear. The level's own colour is named in the text.
pub fn wecom_colour(action: Action) -> &'static str {
    match action {
        Action::Lift => "info",
        _ => "warning",
    }
}

/// WeCom robot plain text: the SMS's words with the guidance after them.
pub fn wecom_text(c: &Composition) -> String {
    let mut out = sms_text(c);
    if !c.guidance.is_empty() {
        out.push_str("\n防御指南：");
        out.push_str(&super::template::numbered(&c.guidance));
    }
    out
}

/// WeChat template fields (name, value): the signal, the time and the area. Since 2023 the
/// platform has no first/remark lines and cuts each value at 20 characters, so the area is
/// shortened here to a whole phrase (`嵩溪镇、林畲镇等5个乡镇`) instead of being cut mid-name.
pub fn wechat_fields(c: &Composition) -> Vec<(String, String)> {
    let mark = if c.practice { "演练·" } else { "" };
    let verb = match c.action {
        Action::Issue => "",
        other => other.verb_zh(),
    };
    let name = format!("{mark}{verb}{}{}预警", c.signal_zh, c.level.zh());
    let time = c
        .issued_at
        .beijing()
        .format("%Y年%m月%d日 %H:%M")
        .to_string();
    let values = [name, time, short_area(&c.area, WECHAT_FIELD_CHARS)];
    WECHAT_FIELDS
        .iter()
        .zip(values)
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The names joined with 、, or as many as fit followed by `等N个乡镇`, within `limit` chars.
pub fn short_area(names: &[String], limit: usize) -> String {
    let all = names.join("、");
    if all.chars().count() <= limit {
        return all;
    }
    let tail = format!("等{}个乡镇", names.len());
    let mut out = String::new();
    for name in names {
        let sep = if out.is_empty() { "" } else { "、" };
        let next = format!("{out}{sep}{name}");
        if next.chars().count() + tail.chars().count() > limit {
            break;
        }
        out = next;
    }
    out + &tail
}

/// The LED scroll line: one line, no guidance, township names without 镇/乡, the expiry as
/// day and time. Over [`LED_MAX_CHARS`] the area is shortened first.
pub fn led_line(c: &Composition) -> String {
    let mark = if c.practice { PRACTICE_MARK } else { "" };
    let until = c
        .expires_at
        .map(|e| format!("，有效至{}", e.beijing().format("%d日%H时%M分")))
        .unwrap_or_default();
    let head = format!(
        "{mark}{}{}{}",
        c.issuer,
        c.action.verb_zh(),
        c.signal_name()
    );
    let short: Vec<String> = c.area.iter().map(|n| short_name(n).to_string()).collect();
    let fixed = head.chars().count() + until.chars().count() + "：。".chars().count();
    let room = LED_MAX_CHARS.saturating_sub(fixed);
    let area = short_area(&short, room).replace("个乡镇", "乡镇");
    format!("{head}：{area}{until}。")
}

/// 龙津镇 → 龙津 (a county keeps its 县).
fn short_name(name: &str) -> &str {
    name.strip_suffix('镇')
        .or_else(|| name.strip_suffix('乡'))
        .unwrap_or(name)
}

/// The loudspeaker script: an opening call, the message in spoken form (times written out as
/// read, no brackets or list numbers), the guidance, then the whole said again, as village
/// broadcasters do. Practice is announced aloud before and after.
pub fn loudspeaker_script(c: &Composition) -> String {
    let heading = format!(
        "{}{}{}{}。",
        c.issuer,
        spoken_time(c.issued_at.beijing()),
        c.action.verb_zh(),
        c.signal_name()
    );
    let mut message = heading + &spoken(&c.forecast);
    if let Some(e) = c.expires_at {
        message.push_str(&format!("预警有效期到{}。", spoken_time(e.beijing())));
    }
    if !c.guidance.is_empty() {
        message.push_str("请大家做好防御：");
        message.push_str(&spoken(&c.guidance.concat()));
    }
    let open = if c.practice {
        "演练，演练，以下是预警演练广播。"
    } else {
        "各位村民请注意，现在播报气象预警信息。"
    };
    let close = if c.practice {
        "演练广播完毕。"
    } else {
        "广播完毕。"
    };
    format!("{open}{message}现在重复播报一遍。{message}{close}")
}

/// `12月6日16时30分` (`16时` on the hour): how a broadcaster reads a time.
pub fn spoken_time(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    use chrono::{Datelike as _, Timelike as _};
    let minutes = match t.minute() {
        0 => String::new(),
        m => format!("{m}分"),
    };
    format!("{}月{}日{}时{minutes}", t.month(), t.day(), t.hour())
}

/// Text as read aloud: brackets and their contents' marks dropped, symbols said in words.
fn spoken(text: &str) -> String {
    let words = text
        .replace("～", "到")
        .replace('~', "到")
        .replace("℃", "摄氏度")
        .replace("mm", "毫米")
        .replace("m/s", "米每秒");
    words
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '【' | '】' | '（' | '）' | '(' | ')' | '《' | '》' | '“' | '”'
            )
        })
        .collect()
}

/// `12月06日16时30分`.
fn minute(t: Timestamp) -> String {
    t.beijing().format("%m月%d日%H时%M分").to_string()
}

#[cfg(test)]
mod tests;
