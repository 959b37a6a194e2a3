use super::*;
use crate::domain::geo::LatLon;
use crate::domain::warning::lifecycle::Action;
use crate::domain::warning::shipped_catalogue;
use crate::formats::cap::{CapArea, CapStatus, CapWarning, to_xml};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// A file of `tests/data/cap/`, read at compile time (this layer does no file I/O).
macro_rules! sample {
    ($name:literal) => {
        (
            $name,
            &include_bytes!(concat!("../../../tests/data/cap/", $name))[..],
        )
    };
}

struct Expect {
    identifier: &'static str,
    sender_name: &'static str,
    sent: &'static str,
    msg_type: MsgType,
    references: usize,
    headline: &'static str,
    expires: Option<&'static str>,
    area_starts: &'static str,
    signal: Option<(&'static str, Option<Level>)>,
}

#[test]
fn reads_real_and_chinese_messages() {
    let table = [
        (
            sample!("v1dot2_appendix_adot2.xml"),
            Expect {
                identifier: "KSTO1055887203",
                sender_name: "NATIONAL WEATHER SERVICE SACRAMENTO CA",
                sent: "2003-06-17T21:57:00Z",
                msg_type: MsgType::Alert,
                references: 0,
                headline: "SEVERE THUNDERSTORM WARNING",
                expires: Some("2003-06-17T23:00:00Z"),
                area_starts: "EXTREME NORTH CENTRAL TUOLUMNE COUNTY IN CALIFORNIA, EXTREME",
                signal: None,
            },
        ),
        (
            sample!("v1dot2_appendix_adot3.xml"),
            Expect {
                identifier: "TRI13970876.2",
                sender_name: "Southern California Seismic Network (TriNet) operated by Caltech and USGS",
                sent: "2003-06-12T03:56:00Z",
                msg_type: MsgType::Update,
                references: 1,
                headline: "EQ 3.4 Imperial County CA",
                expires: None,
                area_starts: "1 mi. WSW of Brawley",
                signal: None,
            },
        ),
        (
            sample!("google-PAAQ-4-mg5a94.xml"),
            Expect {
                identifier: "PAAQ-4-mg5a94",
                sender_name: "NWS West Coast/Alaska Tsunami Warning Center Palmer AK",
                sent: "2013-01-05T10:58:23Z",
                msg_type: MsgType::Update,
                references: 3,
                headline: "The tsunami Warning is canceled",
                expires: Some("2013-01-05T10:58:23Z"),
                area_starts: "95 miles NW of Dixon Entrance",
                signal: None,
            },
        ),
        (
            sample!("example-valid-rainstorm-yellow.xml"),
            Expect {
                identifier: "35042341600000_20250617063000_0",
                sender_name: "清流县气象台",
                sent: "2025-06-16T22:30:00Z",
                msg_type: MsgType::Alert,
                references: 0,
                headline: "清流县气象台发布暴雨黄色预警信号",
                expires: Some("2025-06-17T22:30:00Z"),
                area_starts: "清流县嵩溪镇、林畲镇、里田乡",
                signal: Some(("rainstorm", Some(Level::Yellow))),
            },
        ),
        (
            sample!("upstream/35000041600000_20261206160000.xml"),
            Expect {
                identifier: "35000041600000_20261206160000",
                sender_name: "福建省气象台",
                sent: "2026-12-06T08:00:00Z",
                msg_type: MsgType::Update,
                references: 1,
                headline: "福建省气象台将雷电黄色预警信号升级为雷电橙色预警信号",
                expires: Some("2026-12-06T14:00:00Z"),
                area_starts: "三明市、南平市",
                signal: Some(("lightning", Some(Level::Orange))),
            },
        ),
        (
            sample!("upstream/35040041600001_20261205080000.xml"),
            Expect {
                identifier: "35040041600001_20261205080000",
                sender_name: "三明市气象台",
                sent: "2026-12-05T00:00:00Z",
                msg_type: MsgType::Alert,
                references: 0,
                headline: "三明市气象台发布寒潮蓝色预警信号",
                expires: Some("2026-12-06T00:00:00Z"),
                area_starts: "三明市",
                signal: Some(("cold_wave", Some(Level::Blue))),
            },
        ),
    ];
    let catalogue = shipped_catalogue();
    for ((name, bytes), want) in table {
        let message = read(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let info = message.info.clone().unwrap();
        assert_eq!(message.identifier, want.identifier, "{name}");
        assert_eq!(message.sender_name(), want.sender_name, "{name}");
        assert_eq!(message.sent, at(want.sent), "{name}");
        assert_eq!(message.status, Status::Actual, "{name}");
        assert_eq!(message.msg_type, want.msg_type, "{name}");
        assert_eq!(message.references.len(), want.references, "{name}");
        assert!(
            info.headline.starts_with(want.headline),
            "{name}: {}",
            info.headline
        );
        assert_eq!(info.expires, want.expires.map(at), "{name}");
        assert!(
            info.area_desc.starts_with(want.area_starts),
            "{name}: {}",
            info.area_desc
        );
        let found = recognise(&catalogue, &info);
        let got = found.signal.map(|s| (s.id.as_str(), found.level));
        assert_eq!(got, want.signal, "{name}");
    }
}

#[test]
fn references_and_a_cancel_without_info() {
    let (_, bytes) = sample!("ipaws-5e6dd9de023f1930ef6548d9.xml");
    let cancel = read(bytes).unwrap();
    assert_eq!(cancel.msg_type, MsgType::Cancel);
    assert_eq!(cancel.info, None);
    assert_eq!(cancel.sender_name(), "bbrundage@dps.state.nv.us");
    assert_eq!(
        cancel.references,
        [CapReference {
            sender: "bbrundage@dps.state.nv.us".into(),
            identifier: "AS-NV-e18921c7-1b35-4a81-9705-42d25c265ddd".into(),
            sent: at("2019-04-18T18:02:32Z"),
        }]
    );
    let (_, bytes) = sample!("upstream/35000041600000_20261206100000.xml");
    let lift = read(bytes).unwrap();
    assert_eq!(lift.msg_type, MsgType::Cancel);
    assert_eq!(
        lift.references[0].identifier,
        "35000041600000_20261206060000"
    );
    assert_eq!(lift.references[0].sent, at("2026-12-05T22:00:00Z"));
}

#[test]
fn malformed_files_are_refused_with_their_line() {
    let cap = |body: &str| {
        format!(
            "<?xml version=\"1.0\"?>\n<alert xmlns=\"{CAP_NS}\">\n<identifier>x</identifier>\n\
             <sender>s</sender>\n{body}</alert>\n"
        )
    };
    let ok_head = "<sent>2026-12-06T16:00:00+08:00</sent>\n<status>Actual</status>\n";
    let cases: Vec<(String, usize, &str)> = vec![
        (
            String::from_utf8(sample!("upstream/truncated.xml").1.to_vec()).unwrap(),
            19,
            "ends inside the document",
        ),
        (
            String::from_utf8(
                sample!("nws-5c2cf27b1f56885d61654dc47fa411d5.xml")
                    .1
                    .to_vec(),
            )
            .unwrap(),
            15,
            "CAP 1.1",
        ),
        (
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>".into(),
            1,
            "the document is <feed>",
        ),
        (cap(ok_head), 2, "<alert> has no <msgType>"),
        (
            cap(
                "<sent>2026-12-06 16:00</sent>\n<status>Actual</status>\n<msgType>Alert</msgType>\n",
            ),
            5,
            "<sent> \"2026-12-06 16:00\": not a time",
        ),
        (
            cap(&format!("{ok_head}<msgType>Warning</msgType>\n")),
            7,
            "not a CAP message type",
        ),
        (
            cap(
                "<sent>2026-12-06T16:00:00+08:00</sent>\n<status>Real</status>\n<msgType>Alert</msgType>\n",
            ),
            6,
            "not a CAP status",
        ),
        (
            cap(&format!(
                "{ok_head}<msgType>Cancel</msgType>\n<references>s,x</references>\n"
            )),
            8,
            "sender,identifier,sent",
        ),
        (
            cap(&format!(
                "{ok_head}<msgType>Alert</msgType>\n<info>\n<expires>tomorrow</expires>\n</info>\n"
            )),
            9,
            "<expires> \"tomorrow\"",
        ),
        (String::new(), 1, "not well-formed XML"),
    ];
    for (text, line, reason) in cases {
        let error = read(text.as_bytes()).unwrap_err();
        assert_eq!(error.line, line, "{error}\n{text}");
        assert!(error.reason.contains(reason), "{error}");
    }
    let huge = vec![b' '; MAX_CAP_BYTES + 1];
    assert!(read(&huge).unwrap_err().reason.contains("too large"));
}

#[test]
fn gbk_files_read_as_utf8_ones() {
    let (_, bytes) = sample!("upstream/35040041600001_20261206153000.xml");
    let text = std::str::from_utf8(bytes)
        .unwrap()
        .replace("UTF-8", "GB2312");
    let (gbk, _, lossy) = encoding_rs::GBK.encode(&text);
    assert!(!lossy);
    let message = read(&gbk).unwrap();
    assert_eq!(message.sender_name(), "三明市气象台");
    assert_eq!(message.info.unwrap().area_desc, "清流县、宁化县、明溪县");
}

#[test]
fn signals_are_recognised_by_code_event_or_headline() {
    let catalogue = shipped_catalogue();
    let info = |codes: &[(&str, &str)], event: &str, headline: &str| CapInfo {
        event: event.into(),
        headline: headline.into(),
        event_codes: codes
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        ..CapInfo::default()
    };
    let table = [
        (
            info(&[("CMA_SIGNAL", "0903")], "", ""),
            Some("lightning"),
            Some(Level::Orange),
        ),
        (
            info(&[("X", "0203")], "雷电", "雷电黄色预警"),
            Some("rainstorm"),
            Some(Level::Orange),
        ),
        (
            info(&[("CN_EWS_EVENT", "11B17")], "", "大雾红色预警"),
            Some("fog"),
            Some(Level::Red),
        ),
        (info(&[], "暴雨预警信号", ""), Some("rainstorm"), None),
        (
            info(&[], "", "三明市气象台继续发布高温橙色预警信号"),
            Some("high_temperature"),
            Some(Level::Orange),
        ),
        (
            info(&[], "", "暴雪蓝色预警"),
            Some("blizzard"),
            Some(Level::Blue),
        ),
        // A provincial type the national catalogue lacks: the colour, not 大风.
        (
            info(&[], "", "福建省气象台发布雷雨大风黄色预警信号"),
            None,
            Some(Level::Yellow),
        ),
        (
            info(&[], "雷雨大风", "雷雨大风黄色预警"),
            None,
            Some(Level::Yellow),
        ),
        (
            info(
                &[],
                "",
                "三明市气象台将暴雨黄色预警信号升级为暴雨红色预警信号",
            ),
            Some("rainstorm"),
            Some(Level::Red),
        ),
        (
            info(&[("SAME", "SVR")], "SEVERE THUNDERSTORM", "WARNING"),
            None,
            None,
        ),
        (info(&[("CMA_SIGNAL", "9902")], "", ""), None, None),
    ];
    for (info, signal, level) in table {
        let found = recognise(&catalogue, &info);
        assert_eq!(found.signal.map(|s| s.id.as_str()), signal, "{info:?}");
        assert_eq!(found.level, level, "{info:?}");
    }
}

#[test]
fn our_own_export_reads_back() {
    let catalogue = shipped_catalogue();
    let rain = catalogue.signal("rainstorm").unwrap();
    let p = LatLon::new;
    for (action, status, msg_type, level) in [
        (
            Action::Issue,
            CapStatus::Actual,
            MsgType::Alert,
            Level::Orange,
        ),
        (
            Action::Upgrade,
            CapStatus::Actual,
            MsgType::Update,
            Level::Red,
        ),
        (
            Action::Lift,
            CapStatus::Exercise,
            MsgType::Cancel,
            Level::Red,
        ),
    ] {
        let follows = action != Action::Issue;
        let warning = CapWarning {
            issuer_code: "35042341600000".into(),
            sender_name: "清流县气象台".into(),
            sent: at("2026-12-06T10:05:09Z"),
            status,
            action,
            references: follows
                .then(|| CapReference {
                    sender: "35042341600000".into(),
                    identifier: "35042341600000_20261206163000".into(),
                    sent: at("2026-12-06T08:30:00Z"),
                })
                .into_iter()
                .collect(),
            signal: rain,
            level,
            effective: at("2026-12-06T10:05:00Z"),
            expires: (action != Action::Lift).then(|| at("2026-12-06T22:00:00Z")),
            description: "预计未来3小时<嵩溪&林畲>将出现100毫米以上降雨。".into(),
            instruction: None,
            area: CapArea {
                desc: "清流县嵩溪镇、林畲镇".into(),
                polygon: vec![p(26.1, 116.7), p(26.1, 116.9), p(26.3, 116.9)],
                county_code: "350423".into(),
                townships: vec!["350423101".into()],
            },
        };
        let xml = to_xml(&warning).unwrap();
        let message = read(xml.as_bytes()).unwrap();
        assert_eq!(message.identifier, "35042341600000_20261206180509");
        assert_eq!(message.sender, "35042341600000");
        assert_eq!(message.sent, warning.sent);
        let want_status = match status {
            CapStatus::Actual => Status::Actual,
            CapStatus::Exercise => Status::Exercise,
        };
        assert_eq!(message.status, want_status);
        assert_eq!(message.msg_type, msg_type);
        assert_eq!(message.references, warning.references);
        assert_eq!(message.sender_name(), "清流县气象台");
        let info = message.info.unwrap();
        assert_eq!(info.expires, warning.expires);
        assert_eq!(info.area_desc, "清流县嵩溪镇、林畲镇");
        let found = recognise(&catalogue, &info);
        assert_eq!(
            (found.signal.map(|s| s.id.as_str()), found.level),
            (Some("rainstorm"), Some(level))
        );
    }
}
