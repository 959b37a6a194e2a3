//! CAP 1.2 export (OASIS Common Alerting Protocol) for the provincial release system and for
//! the desk's "not yet sent" hand-over: identifiers in the national layout
//! (`35040041600001_20200421123203`: issuer code + Beijing send time), `+08:00` times,
//! `references` for Update/Cancel, township NBS codes as geocodes and the county outline as the
//! polygon. A small escaping writer; no XML library.

use std::fmt::Write as _;

use super::xml::escape;
use crate::domain::geo::{LatLon, NamedArea, ring_area_km2};
use crate::domain::time::Timestamp;
use crate::domain::warning::beijing_rfc3339;
use crate::domain::warning::catalogue::{Level, SignalType};
use crate::domain::warning::lifecycle::Action;

/// CAP 1.2 namespace.
pub const CAP_NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";
/// Geocode name for the county's GB/T 2260 code.
pub const GEOCODE_COUNTY: &str = "GB/T2260";
/// Geocode name for a township's NBS (统计用区划代码) code; the project's label, since no
/// national CAP profile text was available.
pub const GEOCODE_TOWNSHIP: &str = "CN_NBS_TOWN";

/// Real or practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapStatus {
    /// A real warning.
    Actual,
    /// Practice mode (演练).
    Exercise,
}

/// A message this one updates or cancels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapReference {
    /// Its sender.
    pub sender: String,
    /// Its identifier.
    pub identifier: String,
    /// Its send time.
    pub sent: Timestamp,
}

/// The area block.
#[derive(Debug, Clone, PartialEq)]
pub struct CapArea {
    /// Plain-language description, e.g. "清流县嵩溪镇、林畲镇".
    pub desc: String,
    /// The outline ring (closed on output).
    pub polygon: Vec<LatLon>,
    /// The county's GB/T 2260 code.
    pub county_code: String,
    /// Township NBS codes.
    pub townships: Vec<String>,
}

/// Everything one CAP message carries.
#[derive(Debug, Clone, PartialEq)]
pub struct CapWarning<'a> {
    /// The issuer's code from configuration (14 digits, e.g. `35042341600000`).
    pub issuer_code: String,
    /// The issuing office, e.g. "清流县气象台".
    pub sender_name: String,
    /// Send time.
    pub sent: Timestamp,
    /// Real or practice.
    pub status: CapStatus,
    /// What it does.
    pub action: Action,
    /// The messages it follows (empty for an issue).
    pub references: Vec<CapReference>,
    /// The signal type.
    pub signal: &'a SignalType,
    /// Its level.
    pub level: Level,
    /// When it takes effect.
    pub effective: Timestamp,
    /// When it expires (none for a lift).
    pub expires: Option<Timestamp>,
    /// The warning text.
    pub description: String,
    /// The kept guidance, numbered.
    pub instruction: Option<String>,
    /// The area.
    pub area: CapArea,
}

/// Why a message cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    /// The issuer code from configuration is not 14 digits.
    #[error("issuer code {0:?} is not 14 digits")]
    IssuerCode(String),
    /// A follow-up with nothing to reference, or an issue with references.
    #[error("{action:?} with {count} references")]
    References {
        /// The action.
        action: Action,
        /// How many were given.
        count: usize,
    },
    /// The polygon has fewer than three distinct points.
    #[error("the area polygon has fewer than 3 points")]
    Polygon,
}

/// The national identifier: issuer code, `_`, Beijing send time `YYYYMMDDhhmmss`.
pub fn identifier(issuer_code: &str, sent: Timestamp) -> Result<String, CapError> {
    if issuer_code.len() != 14 || !issuer_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CapError::IssuerCode(issuer_code.into()));
    }
    Ok(format!(
        "{issuer_code}_{}",
        sent.beijing().format("%Y%m%d%H%M%S")
    ))
}

/// CAP `msgType` for an action.
pub fn msg_type(action: Action) -> &'static str {
    match action {
        Action::Issue => "Alert",
        Action::Lift => "Cancel",
        Action::Continue | Action::Upgrade | Action::Downgrade | Action::Change => "Update",
    }
}

/// The county outline as one ring: the largest exterior ring of the boundary file.
pub fn outline_ring(areas: &[NamedArea]) -> Option<Vec<LatLon>> {
    areas
        .iter()
        .flat_map(|a| &a.polygons)
        .map(|p| &p.exterior)
        .max_by(|a, b| ring_area_km2(a).total_cmp(&ring_area_km2(b)))
        .cloned()
}

/// CAP polygon text `lat,lon lat,lon …`, 4 decimals (≈ 10 m), repeats dropped, closed.
pub fn polygon_text(ring: &[LatLon]) -> Result<String, CapError> {
    let mut pts: Vec<String> = Vec::new();
    for p in ring {
        let s = format!("{:.4},{:.4}", p.lat, p.lon);
        if pts.last() != Some(&s) {
            pts.push(s);
        }
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return Err(CapError::Polygon);
    }
    pts.push(pts[0].clone());
    Ok(pts.join(" "))
}

/// The CAP 1.2 XML document.
pub fn to_xml(w: &CapWarning<'_>) -> Result<String, CapError> {
    let id = identifier(&w.issuer_code, w.sent)?;
    let follows = w.action != Action::Issue;
    if follows == w.references.is_empty() {
        return Err(CapError::References {
            action: w.action,
            count: w.references.len(),
        });
    }
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<alert xmlns=\"{CAP_NS}\">");
    el(&mut x, 1, "identifier", &id);
    el(&mut x, 1, "sender", &w.issuer_code);
    el(&mut x, 1, "sent", &beijing_rfc3339(w.sent));
    el(
        &mut x,
        1,
        "status",
        if w.status == CapStatus::Actual {
            "Actual"
        } else {
            "Exercise"
        },
    );
    el(&mut x, 1, "msgType", msg_type(w.action));
    el(&mut x, 1, "scope", "Public");
    if follows {
        let refs: Vec<String> = w
            .references
            .iter()
            .map(|r| format!("{},{},{}", r.sender, r.identifier, beijing_rfc3339(r.sent)))
            .collect();
        el(&mut x, 1, "references", &refs.join(" "));
    }
    x.push_str("  <info>\n");
    write_info(&mut x, w);
    write_area(&mut x, &w.area)?;
    x.push_str("  </info>\n</alert>\n");
    Ok(x)
}

fn write_info(x: &mut String, w: &CapWarning<'_>) {
    let lift = w.action == Action::Lift;
    el(x, 2, "language", "zh-CN");
    el(x, 2, "category", "Met");
    el(x, 2, "event", &w.signal.zh);
    el(
        x,
        2,
        "responseType",
        if lift { "AllClear" } else { "Prepare" },
    );
    el(x, 2, "urgency", if lift { "Past" } else { "Expected" });
    el(x, 2, "severity", w.level.cap_severity());
    el(x, 2, "certainty", if lift { "Observed" } else { "Likely" });
    pair(
        x,
        2,
        "eventCode",
        "CN_EWS_EVENT",
        &w.signal.national_event_code,
    );
    pair(x, 2, "eventCode", "CMA_SIGNAL", &w.signal.code(w.level));
    el(x, 2, "effective", &beijing_rfc3339(w.effective));
    if let Some(e) = w.expires {
        el(x, 2, "expires", &beijing_rfc3339(e));
    }
    el(x, 2, "senderName", &w.sender_name);
    let verb = w.action.verb_zh();
    let headline = format!(
        "{}{verb}{}{}预警信号",
        w.sender_name,
        w.signal.zh,
        w.level.zh()
    );
    el(x, 2, "headline", &headline);
    el(x, 2, "description", &w.description);
    if let Some(i) = &w.instruction {
        el(x, 2, "instruction", i);
    }
    pair(x, 2, "parameter", "signal_color", w.level.id());
}

fn write_area(x: &mut String, a: &CapArea) -> Result<(), CapError> {
    x.push_str("    <area>\n");
    el(x, 3, "areaDesc", &a.desc);
    el(x, 3, "polygon", &polygon_text(&a.polygon)?);
    pair(x, 3, "geocode", GEOCODE_COUNTY, &a.county_code);
    for t in &a.townships {
        pair(x, 3, "geocode", GEOCODE_TOWNSHIP, t);
    }
    x.push_str("    </area>\n");
    Ok(())
}

fn el(x: &mut String, depth: usize, name: &str, text: &str) {
    let _ = writeln!(x, "{}<{name}>{}</{name}>", "  ".repeat(depth), escape(text));
}

fn pair(x: &mut String, depth: usize, name: &str, value_name: &str, value: &str) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(
        x,
        "{pad}<{name}><valueName>{}</valueName><value>{}</value></{name}>",
        escape(value_name),
        escape(value)
    );
}

#[cfg(test)]
mod tests {
    /// The one xmllint runner, shared with the integration tests' CAP checks.
    mod xmllint {
        include!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/wxdesk/xmllint.rs"
        ));
    }

    use super::*;
    use crate::domain::geo::areas_from_geojson;
    use xmllint::xmllint;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn county_ring() -> Vec<LatLon> {
        let text = include_str!("../../assets/geo/qingliu_350423_county_cgcs2000.geojson");
        outline_ring(&areas_from_geojson(text).unwrap()).unwrap()
    }

    fn warning<'a>(signal: &'a SignalType, action: Action, status: CapStatus) -> CapWarning<'a> {
        let references = if action == Action::Issue {
            vec![]
        } else {
            vec![CapReference {
                sender: "35042341600000".into(),
                identifier: "35042341600000_20261206163000".into(),
                sent: at("2026-12-06T16:30:00+08:00"),
            }]
        };
        CapWarning {
            issuer_code: "35042341600000".into(),
            sender_name: "清流县气象台".into(),
            sent: at("2026-12-06T18:05:09+08:00"),
            status,
            action,
            references,
            signal,
            level: Level::Yellow,
            effective: at("2026-12-06T18:05:00+08:00"),
            expires: (action != Action::Lift).then(|| at("2026-12-07T06:00:00+08:00")),
            description: "清流县气象台2026年12月06日18时05分发布暴雨黄色预警信号：预计未来6小时<嵩溪&林畲>将出现50毫米以上降雨。".into(),
            instruction: Some("1.政府及相关部门按照职责做好防暴雨工作；2.检查城市、农田、鱼塘排水系统，采取必要的排涝措施。".into()),
            area: CapArea {
                desc: "清流县嵩溪镇、林畲镇".into(),
                polygon: county_ring(),
                county_code: "350423".into(),
                townships: vec!["350423101".into(), "350423201".into()],
            },
        }
    }

    #[test]
    fn identifiers_in_the_national_layout() {
        // The real Sanming identifier: issuer 35040041600001, sent 2020-04-21 12:32:03 Beijing.
        let sent = at("2020-04-21T04:32:03Z");
        assert_eq!(
            identifier("35040041600001", sent).unwrap(),
            "35040041600001_20200421123203"
        );
        for bad in ["3504004160000", "350400416000012", "3504004160000X", ""] {
            assert_eq!(identifier(bad, sent), Err(CapError::IssuerCode(bad.into())));
        }
    }

    #[test]
    fn message_types_escaping_and_polygons() {
        let table = [
            (Action::Issue, "Alert"),
            (Action::Continue, "Update"),
            (Action::Upgrade, "Update"),
            (Action::Downgrade, "Update"),
            (Action::Change, "Update"),
            (Action::Lift, "Cancel"),
        ];
        for (a, t) in table {
            assert_eq!(msg_type(a), t);
        }
        assert_eq!(escape("a<b>&\"c'\u{1}\n"), "a&lt;b&gt;&amp;&quot;c&apos;\n");
        let p = |lat, lon| LatLon::new(lat, lon);
        let tri = [p(26.1, 116.7), p(26.1, 116.9), p(26.3, 116.9)];
        assert_eq!(
            polygon_text(&tri).unwrap(),
            "26.1000,116.7000 26.1000,116.9000 26.3000,116.9000 26.1000,116.7000"
        );
        let closed = [
            p(26.1, 116.7),
            p(26.1, 116.9),
            p(26.3, 116.9),
            p(26.1, 116.7),
        ];
        assert_eq!(polygon_text(&closed), polygon_text(&tri));
        assert_eq!(
            polygon_text(&[p(26.1, 116.7), p(26.10001, 116.7), p(26.2, 116.7)]),
            Err(CapError::Polygon)
        );
        let ring = county_ring();
        assert!(ring.len() > 100, "the real outline, {} points", ring.len());
        assert!(
            ring.iter()
                .all(|q| (25.5..26.7).contains(&q.lat) && (116.4..117.3).contains(&q.lon))
        );
    }

    #[test]
    fn the_document_carries_what_the_exchange_needs() {
        let c = crate::domain::warning::shipped_catalogue();
        let rain = c.signal("rainstorm").unwrap();
        let x = to_xml(&warning(rain, Action::Issue, CapStatus::Actual)).unwrap();
        for want in [
            "<identifier>35042341600000_20261206180509</identifier>",
            "<sent>2026-12-06T18:05:09+08:00</sent>",
            "<status>Actual</status>",
            "<msgType>Alert</msgType>",
            "<severity>Moderate</severity>",
            "<eventCode><valueName>CN_EWS_EVENT</valueName><value>11B03</value></eventCode>",
            "<eventCode><valueName>CMA_SIGNAL</valueName><value>0202</value></eventCode>",
            "<expires>2026-12-07T06:00:00+08:00</expires>",
            "<headline>清流县气象台发布暴雨黄色预警信号</headline>",
            "&lt;嵩溪&amp;林畲&gt;",
            "<geocode><valueName>GB/T2260</valueName><value>350423</value></geocode>",
            "<geocode><valueName>CN_NBS_TOWN</valueName><value>350423201</value></geocode>",
        ] {
            assert!(x.contains(want), "missing {want}\n{x}");
        }
        assert!(!x.contains("<references>"));
        let lift = to_xml(&warning(rain, Action::Lift, CapStatus::Exercise)).unwrap();
        for want in [
            "<status>Exercise</status>",
            "<msgType>Cancel</msgType>",
            "<references>35042341600000,35042341600000_20261206163000,2026-12-06T16:30:00+08:00</references>",
            "<responseType>AllClear</responseType>",
            "<headline>清流县气象台解除暴雨黄色预警信号</headline>",
        ] {
            assert!(lift.contains(want), "missing {want}\n{lift}");
        }
        assert!(!lift.contains("<expires>"));
        let mut orphan = warning(rain, Action::Continue, CapStatus::Actual);
        orphan.references.clear();
        assert_eq!(
            to_xml(&orphan),
            Err(CapError::References {
                action: Action::Continue,
                count: 0
            })
        );
    }

    #[test]
    fn every_action_validates_against_the_cap_1_2_schema() {
        let good = include_str!("../../tests/data/cap/example-valid-rainstorm-yellow.xml");
        let Some(valid) = xmllint(good) else {
            return;
        };
        assert!(valid, "the known-good example validates");
        let invalid = xmllint(include_str!(
            "../../tests/data/cap/example-invalid-sent-Z.xml"
        ));
        assert_eq!(
            invalid,
            Some(false),
            "the example with a Z time is rejected"
        );
        let c = crate::domain::warning::shipped_catalogue();
        let rain = c.signal("rainstorm").unwrap();
        for action in Action::ALL {
            for status in [CapStatus::Actual, CapStatus::Exercise] {
                let xml = to_xml(&warning(rain, action, status)).unwrap();
                assert_eq!(xmllint(&xml), Some(true), "{action:?} {status:?}");
            }
        }
    }
}
