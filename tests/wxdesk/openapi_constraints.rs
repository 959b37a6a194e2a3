//! The constraints the OpenAPI document states (lengths, patterns, bounds) are the ones the
//! domain enforces, read FROM the document: at and beyond each boundary, what the document
//! allows the domain accepts, and what it forbids the domain refuses.

use regex_automata::meta::Regex;
use serde_json::Value;
use wxdesk::central::audit::parse_filter;
use wxdesk::domain::access::{self, DeviceName, Secret, Username, check_new_password};
use wxdesk::domain::maintenance;
use wxdesk::protocol::AuditQuery;

use crate::openapi::{document, resolve};

/// What a string schema allows: `minLength`, `maxLength` (in characters, as JSON Schema
/// counts them) and an unanchored `pattern`.
pub struct StringRule {
    min: usize,
    max: Option<usize>,
    pattern: Option<Regex>,
}

impl StringRule {
    /// The rule of `schema` (after `$ref`s).
    pub fn of(doc: &Value, schema: &Value) -> Self {
        let schema = resolve(doc, schema);
        assert_eq!(schema["type"], "string", "{schema}");
        let length = |key: &str| schema[key].as_u64().map(|n| usize::try_from(n).unwrap());
        Self {
            min: length("minLength").unwrap_or(0),
            max: length("maxLength"),
            pattern: schema["pattern"]
                .as_str()
                .map(|p| Regex::new(p).unwrap_or_else(|e| panic!("pattern {p}: {e}"))),
        }
    }

    /// Whether the document allows `text`.
    pub fn allows(&self, text: &str) -> bool {
        let chars = text.chars().count();
        chars >= self.min
            && self.max.is_none_or(|max| chars <= max)
            && self.pattern.as_ref().is_none_or(|p| p.is_match(text))
    }

    /// Strings at and just beyond each bound, of `filler`, plus the `tricky` ones.
    pub fn probes(&self, filler: &str, tricky: &[&str]) -> Vec<String> {
        let mut lengths = vec![self.min, self.min + 1];
        if let Some(less) = self.min.checked_sub(1) {
            lengths.push(less);
        }
        if let Some(max) = self.max {
            lengths.extend([max - 1, max, max + 1]);
        }
        let mut probes: Vec<String> = lengths.into_iter().map(|n| filler.repeat(n)).collect();
        probes.extend(tricky.iter().map(|t| (*t).to_owned()));
        probes
    }

    /// The probes the document forbids: what a conforming server must refuse.
    pub fn violations(&self) -> Vec<String> {
        let mut probes = self.probes("a", TRICKY);
        probes.retain(|p| !self.allows(p));
        probes
    }
}

/// Strings that trip common rules: empty, blank, padded, punctuation, control characters,
/// non-ASCII, a leading digit.
pub const TRICKY: &[&str] = &[
    "",
    " ",
    " \t ",
    " padded",
    "padded ",
    "a!b",
    "a b",
    "x\u{7}y",
    "line\nbreak",
    "张伟",
    "9lives",
    "Zhang.Wei",
    "li_na-2",
    "_under",
    "58819-logger",
];

/// Checks that `domain` accepts exactly what the rule at `pointer` allows, over its probes.
fn agrees(pointer: &str, filler: &str, domain: impl Fn(&str) -> bool) {
    let doc = document();
    let schema = doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"));
    let rule = StringRule::of(&doc, schema);
    let probes = rule.probes(filler, TRICKY);
    assert!(probes.iter().any(|p| rule.allows(p)) && probes.iter().any(|p| !rule.allows(p)));
    for probe in probes {
        assert_eq!(
            domain(&probe),
            rule.allows(&probe),
            "{pointer}: document allows {probe:?}: {}; the domain disagrees",
            rule.allows(&probe)
        );
    }
}

#[test]
fn names_are_exactly_what_the_document_says() {
    agrees("/components/schemas/Username", "a", |t| {
        Username::parse(t).is_ok()
    });
    agrees("/components/schemas/DeviceName", "a", |t| {
        DeviceName::parse(t).is_ok()
    });
    for schema in ["NewUserRequest", "UserUpdateRequest"] {
        agrees(
            &format!("/components/schemas/{schema}/properties/display_name"),
            "张",
            |t| access::display_name(t).is_ok(),
        );
    }
}

#[test]
fn notes_and_passwords_are_exactly_what_the_document_says() {
    for schema in ["NewMaintenance", "MaintenanceUpdate"] {
        agrees(
            &format!("/components/schemas/{schema}/properties/note"),
            "检",
            |t| maintenance::note(t).is_ok(),
        );
    }
    // A user whose name no probe resembles: the block list (common passwords, the user's and
    // the bureau's names) is beyond what a schema can say, and is tested on its own.
    let user = Username::parse("qz7").unwrap();
    agrees(
        "/components/schemas/PasswordChange/properties/new_password",
        "密",
        |t| check_new_password(&Secret::new(t), &user, wxdesk::assets::common_passwords()).is_ok(),
    );
}

/// The integer bounds of a query parameter of `GET path`.
fn bounds(path: &str, name: &str) -> (i64, Option<i64>) {
    let doc = document();
    let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
    let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
    let schema = &parameter["schema"];
    (
        schema["minimum"].as_i64().unwrap(),
        schema["maximum"].as_i64(),
    )
}

#[test]
fn audit_bounds_and_times_are_exactly_what_the_document_says() {
    let accepts = |query: AuditQuery| parse_filter(&query).is_ok();
    let (min, max) = bounds("/api/v1/audit", "limit");
    let max = max.unwrap();
    for (limit, allowed) in [(min - 1, false), (min, true), (max, true), (max + 1, false)] {
        let limit = Some(u32::try_from(limit).unwrap());
        let query = AuditQuery {
            limit,
            ..AuditQuery::default()
        };
        assert_eq!(accepts(query), allowed, "limit={limit:?}");
    }
    let (min, _) = bounds("/api/v1/audit", "before");
    for (before, allowed) in [(min - 1, false), (min, true)] {
        let before = Some(u64::try_from(before).unwrap());
        let query = AuditQuery {
            before,
            ..AuditQuery::default()
        };
        assert_eq!(accepts(query), allowed, "before={before:?}");
    }
    // `format: date-time` is RFC 3339's date-time; `from` is not after `to`.
    let cases = [
        (Some("2026-11-27T10:00:00Z"), None, true),
        (None, Some("2026-11-27T18:00:00+08:00"), true),
        (
            Some("2026-11-27T10:00:00Z"),
            Some("2026-11-27T10:00:00Z"),
            true,
        ),
        (None, Some("2026-13-45"), false),
        (None, Some("2026-11-27"), false),
        (Some(""), None, false),
        (None, Some(""), false),
        (Some("yesterday"), None, false),
        (
            Some("2026-11-27T10:00:01Z"),
            Some("2026-11-27T10:00:00Z"),
            false,
        ),
    ];
    for (from, to, allowed) in cases {
        let query = AuditQuery {
            from: from.map(Into::into),
            to: to.map(Into::into),
            ..AuditQuery::default()
        };
        assert_eq!(accepts(query), allowed, "from={from:?} to={to:?}");
    }
}
