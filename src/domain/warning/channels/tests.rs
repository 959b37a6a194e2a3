use super::*;
use crate::domain::warning::checks::{self, Channel, CheckConfig};
use crate::domain::warning::template::punctuate_items;

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// Qingliu's 13 townships in code order.
const TOWNSHIPS: [&str; 13] = [
    "龙津镇",
    "嵩溪镇",
    "嵩口镇",
    "灵地镇",
    "长校镇",
    "赖坊镇",
    "林畲镇",
    "温郊乡",
    "田源乡",
    "沙芜乡",
    "余朋乡",
    "李家乡",
    "里田乡",
];

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// 暴雨黄色 over two townships, issued 16:30, for 6 h, two guidance items kept.
fn yellow(practice: bool) -> Composition {
    Composition {
        issuer: "清流县气象台".into(),
        action: Action::Issue,
        signal_zh: "暴雨".into(),
        level: Level::Yellow,
        area: names(&["嵩溪镇", "林畲镇"]),
        issued_at: at("2026-12-06T16:30:00+08:00"),
        expires_at: Some(at("2026-12-06T22:30:00+08:00")),
        forecast: "预计未来6小时嵩溪、林畲将出现50毫米以上降雨，请注意防范。".into(),
        guidance: punctuate_items(&[
            "政府及相关部门按照职责做好防暴雨工作",
            "切断低洼地带有危险的室外电源",
        ]),
        practice,
    }
}

#[test]
fn sms_is_signed_heading_and_forecast() {
    let table = [
        (
            false,
            "【清流气象】清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：预计未来6小时嵩溪、林畲将出现50毫米以上降雨，请注意防范。",
            1,
        ),
        (
            true,
            "【清流气象】【演练】清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：预计未来6小时嵩溪、林畲将出现50毫米以上降雨，请注意防范。",
            2,
        ),
    ];
    for (practice, want, parts) in table {
        let text = sms_text(&yellow(practice));
        assert_eq!(text, want);
        assert_eq!(
            sms::segment_count(&text),
            parts,
            "{}",
            sms::utf16_units(&text)
        );
    }
}

#[test]
fn wecom_markdown_colours_the_heading_and_lists_guidance() {
    let md = wecom_markdown(&yellow(false));
    let want_head = "## <font color=\"warning\">发布暴雨黄色预警信号</font>\n>发布：清流县气象台 12月06日16时30分\n>范围：<font color=\"comment\">嵩溪镇、林畲镇</font>\n>有效期至：12月06日22时30分\n\n清流县气象台";
    assert!(md.starts_with(want_head), "{md}");
    assert!(md.ends_with("**防御指南**\n1. 政府及相关部门按照职责做好防暴雨工作；\n2. 切断低洼地带有危险的室外电源。\n"), "{md}");
    let table = [
        (Action::Issue, "warning"),
        (Action::Upgrade, "warning"),
        (Action::Lift, "info"),
    ];
    for (action, colour) in table {
        assert_eq!(wecom_colour(action), colour);
    }
    let mut lift = yellow(true);
    lift.action = Action::Lift;
    lift.expires_at = None;
    let md = wecom_markdown(&lift);
    assert!(
        md.starts_with("## 【演练】<font color=\"info\">解除暴雨黄色预警信号</font>"),
        "{md}"
    );
    assert!(!md.contains("有效期至"));
}

#[test]
fn wecom_text_adds_numbered_guidance() {
    let text = wecom_text(&yellow(false));
    assert!(text.starts_with("【清流气象】清流县气象台"));
    assert!(
        text.ends_with(
            "\n防御指南：1.政府及相关部门按照职责做好防暴雨工作；2.切断低洼地带有危险的室外电源。"
        ),
        "{text}"
    );
}

#[test]
fn wechat_fields_take_the_fixture_shape_and_fit_twenty_characters() {
    let fields = wechat_fields(&yellow(false));
    assert_eq!(
        fields,
        vec![
            ("thing1".to_string(), "暴雨黄色预警".to_string()),
            ("time2".to_string(), "2026年12月06日 16:30".to_string()),
            ("thing3".to_string(), "嵩溪镇、林畲镇".to_string()),
        ]
    );
    let mut wide = yellow(true);
    wide.action = Action::Upgrade;
    wide.area = names(&TOWNSHIPS[..8]);
    let fields = wechat_fields(&wide);
    assert_eq!(fields[0].1, "演练·升级发布暴雨黄色预警");
    assert_eq!(fields[2].1, "龙津镇、嵩溪镇、嵩口镇、灵地镇等8个乡镇");
    for (_, v) in &fields {
        assert!(v.chars().count() <= WECHAT_FIELD_CHARS, "{v}");
    }
    assert!(checks::check_template_fields(&fields).is_empty());
}

#[test]
fn short_area_keeps_whole_names() {
    let table: [(&[&str], usize, &str); 4] = [
        (&[], 20, ""),
        (&["嵩溪镇", "林畲镇"], 20, "嵩溪镇、林畲镇"),
        (&["嵩溪镇", "林畲镇", "里田乡"], 10, "嵩溪镇等3个乡镇"),
        (&["嵩溪镇", "林畲镇", "里田乡"], 5, "等3个乡镇"),
    ];
    for (list, limit, want) in table {
        assert_eq!(short_area(&names(list), limit), want);
    }
}

#[test]
fn led_is_one_short_line_without_guidance() {
    let table = [
        (
            yellow(false),
            "清流县气象台发布暴雨黄色预警信号：嵩溪、林畲，有效至06日22时30分。",
        ),
        (
            yellow(true),
            "【演练】清流县气象台发布暴雨黄色预警信号：嵩溪、林畲，有效至06日22时30分。",
        ),
    ];
    for (c, want) in table {
        assert_eq!(led_line(&c), want);
    }
    let mut all = yellow(true);
    all.action = Action::Downgrade;
    all.area = names(&TOWNSHIPS);
    let line = led_line(&all);
    assert!(line.chars().count() <= LED_MAX_CHARS, "{line}");
    assert!(line.contains("等13乡镇"), "{line}");
    assert!(!line.contains('\n') && !line.contains("防御"));
}

#[test]
fn loudspeaker_reads_times_aloud_and_repeats() {
    let script = loudspeaker_script(&yellow(false));
    let message = "清流县气象台12月6日16时30分发布暴雨黄色预警信号。预计未来6小时嵩溪、林畲将出现50毫米以上降雨，请注意防范。预警有效期到12月6日22时30分。请大家做好防御：政府及相关部门按照职责做好防暴雨工作；切断低洼地带有危险的室外电源。";
    assert_eq!(
        script,
        format!(
            "各位村民请注意，现在播报气象预警信息。{message}现在重复播报一遍。{message}广播完毕。"
        )
    );
    let practice = loudspeaker_script(&yellow(true));
    assert!(practice.starts_with("演练，演练"));
    assert!(practice.ends_with("演练广播完毕。"));
    assert!(!practice.contains('【') && !practice.contains('】'));
    let table = [
        ("2026-12-06T16:00:00+08:00", "12月6日16时"),
        ("2026-01-09T08:05:00+08:00", "1月9日8时5分"),
        ("2026-12-06T16:30:00Z", "12月7日0时30分"),
    ];
    for (t, want) in table {
        assert_eq!(spoken_time(at(t).beijing()), want);
    }
    assert_eq!(
        spoken("（来源：国家）气温35℃，3~5mm"),
        "来源：国家气温35摄氏度，3到5毫米"
    );
}

#[derive(serde::Deserialize)]
struct RealTexts {
    warnings: Vec<RealText>,
}

#[derive(serde::Deserialize)]
struct RealText {
    text: String,
    #[serde(default)]
    precaution: Vec<String>,
}

/// The real 2019-05-17 Sanming 暴雨橙色 变更发布 (tests/data/alerts) through every channel,
/// and every channel within its limits under the default checks.
#[test]
fn the_real_sanming_text_through_every_channel() {
    let json = include_str!("../../../../tests/data/alerts/cn_warning_texts_real.json");
    let real: RealTexts = serde_json::from_str(json).unwrap();
    let w = &real.warnings[0];
    let (heading, forecast) = w
        .text
        .split_at(w.text.find('：').unwrap() + '：'.len_utf8());
    let c = Composition {
        issuer: "三明市气象台".into(),
        action: Action::Change,
        signal_zh: "暴雨".into(),
        level: Level::Orange,
        area: names(&[
            "宁化县",
            "清流县",
            "明溪县",
            "将乐县",
            "泰宁县",
            "永安市",
            "沙县",
            "尤溪县",
        ]),
        issued_at: at("2019-05-17T13:57:00+08:00"),
        expires_at: Some(at("2019-05-17T19:57:00+08:00")),
        forecast: forecast.into(),
        guidance: w.precaution.clone(),
        practice: false,
    };
    assert_eq!(c.heading(), heading);
    assert_eq!(c.body(), w.text);
    let sms = sms_text(&c);
    assert_eq!(sms::utf16_units(&sms), 191);
    assert_eq!(sms::segment_count(&sms), 3);
    assert!(wecom_markdown(&c).contains(&w.text));
    assert!(wecom_text(&c).contains("3.危险地带的学校和单位应当停课、停业。"));
    let fields = wechat_fields(&c);
    assert_eq!(fields[0].1, "变更发布暴雨橙色预警");
    assert_eq!(fields[2].1, "宁化县、清流县、明溪县、将乐县等8个乡镇");
    let led = led_line(&c);
    assert!(led.chars().count() <= LED_MAX_CHARS, "{led}");
    let speech = loudspeaker_script(&c);
    assert!(speech.contains("三明市气象台5月17日13时57分变更发布暴雨橙色预警信号。过去6小时"));
    assert!(speech.contains("预警信息来源：国家预警信息发布中心"));
    assert_eq!(speech.matches("过去6小时明溪").count(), 2);
    let texts = [
        (Channel::Sms, sms),
        (Channel::WecomMarkdown, wecom_markdown(&c)),
        (Channel::WecomText, wecom_text(&c)),
        (Channel::Led, led),
        (Channel::Loudspeaker, speech),
    ];
    for (channel, text) in &texts {
        let found = checks::check_channel(*channel, text, &CheckConfig::default());
        assert!(found.is_empty(), "{channel:?}: {found:?}");
    }
    assert!(checks::check_template_fields(&fields).is_empty());
}

/// A long forecast runs the SMS and WeCom text past their limits; the checks say so.
#[test]
fn the_limits_are_reached_and_reported() {
    let mut c = yellow(false);
    c.forecast = "强降水".repeat(100);
    let found = checks::check_channel(Channel::Sms, &sms_text(&c), &CheckConfig::default());
    assert!(
        matches!(found[..], [checks::Finding::SmsTooLong { parts: 6, .. }]),
        "{found:?}"
    );
    c.forecast = "强降水".repeat(230);
    let text = wecom_text(&c);
    assert!(text.len() > checks::WECOM_TEXT_BYTES);
    assert!(matches!(
        checks::check_channel(Channel::WecomText, &text, &CheckConfig::default())[..],
        [checks::Finding::ChannelTooLong { limit: 2048, .. }]
    ));
    assert!(wecom_markdown(&c).len() <= checks::WECOM_MARKDOWN_BYTES);
}

/// The WeChat and WeCom fixture (tests/data/wechat, with provenance): our field names are the
/// template's keywords, and our limits the robot's.
#[test]
fn field_names_and_limits_match_the_fixture() {
    let json = include_str!("../../../../tests/data/wechat/fixtures.json");
    let fixture: serde_json::Value = serde_json::from_str(json).unwrap();
    let data = &fixture["wechat_mp_template"]["send_request"]["data"];
    let mut keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut ours = WECHAT_FIELDS.to_vec();
    keys.sort_unstable();
    ours.sort_unstable();
    assert_eq!(keys, ours);
    let limits = &fixture["wecom_group_robot"]["limits"];
    assert_eq!(
        limits["text_content_max_bytes_utf8"],
        checks::WECOM_TEXT_BYTES
    );
    assert_eq!(
        limits["markdown_content_max_bytes_utf8"],
        checks::WECOM_MARKDOWN_BYTES
    );
    let markdown = fixture["wecom_group_robot"]["requests"]["markdown"]["markdown"]["content"]
        .as_str()
        .unwrap();
    assert!(markdown.contains("<font color=\"warning\">"));
}
