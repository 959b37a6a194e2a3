//! From the forecaster's choices to everything the composer shows: the template with its
//! gaps, each channel's text, the CAP XML and the pre-send findings, and the content that
//! a draft saves and approval pins. Pure: the composer calls it every frame.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::draft::Draft;
use crate::console::messages::warnings::{RecipientCount, WarningContent, WarningRecord};
use crate::domain::Network;
use crate::domain::geo::{LatLon, areas_from_geojson};
use crate::domain::recipients::Group;
use crate::domain::time::Timestamp;
use crate::domain::warning::channels::{self, Composition};
use crate::domain::warning::checks::{self, Channel, CheckConfig, Finding, Observed, Outgoing};
use crate::domain::warning::lifecycle::{self, InForce, LifecycleError, Proposal};
use crate::domain::warning::template::{self, Heading, Part, Template};
use crate::domain::warning::{Action, Catalogue, Guidance, Level, SignalType};
use crate::formats::cap::{self, CapArea, CapReference, CapStatus, CapWarning};

/// The issuing office. One county for now; a bureau's own name comes with its configuration.
pub const ISSUER: &str = "清流县气象台";
/// The issuer's code in CAP identifiers (`35042341600000_…`); from configuration later.
pub const ISSUER_CODE: &str = "35042341600000";
/// Qingliu's GB/T 2260 code.
pub const COUNTY_CODE: &str = "350423";

/// Everything one composition shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// The template with the forecaster's fields written.
    pub template: Template,
    /// The composition every channel renders.
    pub composition: Composition,
    /// Each channel's text (SMS with its signature), CAP only when it could be written.
    pub texts: BTreeMap<Channel, String>,
    /// WeChat template fields, in the template's order.
    pub fields: Vec<(String, String)>,
    /// The CAP XML, or why it cannot be written yet.
    pub cap: Result<String, String>,
    /// The pre-send findings, blocks first.
    pub findings: Vec<Finding>,
    /// Why this message may not follow (or start) a warning, if it may not: blocks too.
    pub lifecycle: Option<LifecycleError>,
    /// What a save or a submission sends.
    pub content: WarningContent,
}

impl Built {
    /// Whether a finding stops the submission.
    pub fn blocked(&self) -> bool {
        self.lifecycle.is_some()
            || self
                .findings
                .iter()
                .any(|f| f.severity() == checks::Severity::Block)
    }
}

/// Builds the composition of `draft`, or `None` while type and level are not both chosen.
pub fn build(
    draft: &Draft,
    catalogue: &Catalogue,
    network: &Network,
    (followed, in_force): (Option<&WarningRecord>, &[&WarningRecord]),
    (observed, counts): (Observed, Option<&[RecipientCount]>),
    now: Timestamp,
) -> Option<Built> {
    let signal = catalogue.signal(draft.signal.as_deref()?)?;
    let level = draft.level?;
    let template = fill(draft, signal, level)?;
    let composition = compose(draft, signal, &template, network);
    let fields = channels::wechat_fields(&composition);
    let cap = cap_xml(draft, signal, &composition, followed);
    let mut texts: BTreeMap<Channel, String> = [
        (Channel::Sms, channels::sms_text(&composition)),
        (
            Channel::WecomMarkdown,
            channels::wecom_markdown(&composition),
        ),
        (Channel::WecomText, channels::wecom_text(&composition)),
        (Channel::Led, channels::led_line(&composition)),
        (
            Channel::Loudspeaker,
            channels::loudspeaker_script(&composition),
        ),
    ]
    .into();
    if let Ok(xml) = &cap {
        texts.insert(Channel::Cap, xml.clone());
    }
    let groups: Vec<(String, usize)> = draft
        .group_sizes(counts)
        .into_iter()
        .map(|(id, size)| (group_label(&id, network), size))
        .collect();
    let findings = findings(
        draft,
        &template,
        (&texts, &fields),
        (observed, &groups),
        now,
    );
    let lifecycle = lifecycle_check(draft, &signal.id, level, followed, in_force, now);
    let content = WarningContent {
        action: draft.action,
        follows: draft.follows.clone(),
        signal: signal.id.clone(),
        level,
        area: draft.townships.clone(),
        enlarge_confirmed: draft.enlarge_confirmed,
        issued_at: draft.issued_at,
        expires_at: draft.expires_at(),
        texts: texts.clone(),
        template_fields: fields.iter().cloned().collect(),
        recipient_groups: draft.recipient_groups(),
        practice: draft.practice,
    };
    Some(Built {
        template,
        composition,
        texts,
        fields,
        cap,
        findings,
        lifecycle,
        content,
    })
}

/// The lifecycle rules (a follow-up keeps its type, moves its level as its action says and
/// does not grow its area unconfirmed; an issue does not duplicate a warning in force).
fn lifecycle_check(
    draft: &Draft,
    signal: &str,
    level: Level,
    followed: Option<&WarningRecord>,
    in_force: &[&WarningRecord],
    now: Timestamp,
) -> Option<LifecycleError> {
    let as_in_force = |r: &WarningRecord| {
        r.content.expires_at.map(|expires_at| InForce {
            id: r.id.clone(),
            signal: r.content.signal.clone(),
            level: r.content.level,
            area: r.content.area.clone(),
            expires_at,
            closed: r.replaced_by.is_some(),
        })
    };
    let prev = followed.and_then(as_in_force);
    if draft.follows.is_some() && prev.is_none() {
        return None; // the record is not synced yet; the central checks on submission
    }
    let all: Vec<InForce> = in_force.iter().filter_map(|r| as_in_force(r)).collect();
    let proposal = Proposal {
        action: draft.action,
        signal: signal.to_string(),
        level,
        area: draft.townships.clone(),
        enlarge_confirmed: draft.enlarge_confirmed,
    };
    lifecycle::follow(prev.as_ref(), &proposal, &all, now).err()
}

/// The template for the draft's choices, with its fields written.
fn fill(draft: &Draft, signal: &SignalType, level: Level) -> Option<Template> {
    let heading = Heading {
        issuer: ISSUER.into(),
        issued_at: draft.issued_at,
        action: draft.action,
        signal_zh: signal.zh.clone(),
        level,
        practice: draft.practice,
    };
    let keep: Vec<usize> = match &signal.level(level)?.guidance {
        Guidance::Official(items) => draft
            .keep
            .iter()
            .copied()
            .filter(|&i| i < items.len())
            .collect(),
        Guidance::Missing => Vec::new(),
    };
    let mut t = Template::draft(signal, &heading, &keep, None).ok()?;
    // Both keys exist by construction; an empty value stays a must-edit gap.
    let _ = t.fill(template::FORECAST, draft.forecast.clone());
    if matches!(signal.level(level)?.guidance, Guidance::Missing) {
        let _ = t.fill(
            &format!("{}.0", template::GUIDANCE),
            draft.own_guidance.clone(),
        );
    }
    Some(t)
}

/// The channels' composition; unfilled fields appear as `【hint】` so every preview shows
/// the gap where it is.
fn compose(draft: &Draft, signal: &SignalType, t: &Template, network: &Network) -> Composition {
    let shown = |p: &Part| match p {
        Part::Locked { text } => text.clone(),
        Part::Field { hint, value, .. } => value
            .clone()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("【{hint}】")),
    };
    let forecast: String = t.body.iter().skip(1).map(shown).collect();
    let items: Vec<String> = t.guidance.iter().map(shown).collect();
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    Composition {
        issuer: ISSUER.into(),
        action: draft.action,
        signal_zh: signal.zh.clone(),
        level: draft.level.unwrap_or(Level::Blue),
        area: township_names(draft, network),
        issued_at: draft.issued_at,
        expires_at: draft.expires_at(),
        forecast,
        guidance: template::punctuate_items(&items),
        practice: draft.practice,
    }
}

/// The chosen townships' names, in code order.
pub fn township_names(draft: &Draft, network: &Network) -> Vec<String> {
    network
        .townships
        .iter()
        .filter(|t| draft.townships.contains(&t.code.to_string()))
        .map(|t| t.name.clone())
        .collect()
}

/// The pre-send findings. Recipient groups' members arrive with issue 12: until then a chosen
/// group counts as non-empty here, and the central checks again when it dispatches.
/// A composer group id as the forecaster reads it: `town:350423106:leaders` → 林畲镇乡镇领导.
fn group_label(id: &str, network: &Network) -> String {
    let Some((town, kind)) = id
        .strip_prefix("town:")
        .and_then(|rest| rest.split_once(':'))
    else {
        return if id == super::draft::COUNTY_GROUP {
            "全县".to_owned()
        } else {
            id.to_owned()
        };
    };
    let township = network
        .townships
        .iter()
        .find(|t| t.code.to_string() == town)
        .map_or(town, |t| t.name.as_str());
    let group = Group::ALL
        .iter()
        .find(|g| g.composer_kind() == Some(kind))
        .map_or(kind, |g| g.name_zh());
    format!("{township}{group}")
}

fn findings(
    draft: &Draft,
    t: &Template,
    (texts, fields): (&BTreeMap<Channel, String>, &[(String, String)]),
    (observed, groups): (Observed, &[(String, usize)]),
    now: Timestamp,
) -> Vec<Finding> {
    let texts: Vec<(Channel, String)> = texts.iter().map(|(c, t)| (*c, t.clone())).collect();
    let out = Outgoing {
        action: draft.action,
        level: draft.level.unwrap_or(Level::Blue),
        unfilled: &t.unfilled(),
        issued_at: draft.issued_at,
        expires_at: draft.expires_at(),
        texts: &texts,
        template_fields: fields,
        recipient_groups: groups,
        observed,
    };
    checks::check(&out, &CheckConfig::default(), now)
}

/// The CAP XML, or the reason it cannot be written yet (in Chinese, shown in its preview).
fn cap_xml(
    draft: &Draft,
    signal: &SignalType,
    c: &Composition,
    followed: Option<&WarningRecord>,
) -> Result<String, String> {
    let references = match (draft.action, followed) {
        (Action::Issue, _) => Vec::new(),
        (_, Some(r)) => match (&r.cap_identifier, r.released_at) {
            (Some(identifier), Some(sent)) => vec![CapReference {
                sender: ISSUER_CODE.into(),
                identifier: identifier.clone(),
                sent,
            }],
            _ => return Err("所跟进的预警尚未发布，没有CAP标识符可引用".into()),
        },
        (_, None) => return Err("请选择所跟进的预警".into()),
    };
    if draft.townships.is_empty() {
        return Err("请选择影响乡镇".into());
    }
    let warning = CapWarning {
        issuer_code: ISSUER_CODE.into(),
        sender_name: ISSUER.into(),
        sent: draft.issued_at,
        status: if draft.practice {
            CapStatus::Exercise
        } else {
            CapStatus::Actual
        },
        action: draft.action,
        references,
        signal,
        level: c.level,
        effective: draft.issued_at,
        expires: c.expires_at,
        description: c.body(),
        instruction: (!c.guidance.is_empty()).then(|| template::numbered(&c.guidance)),
        area: CapArea {
            desc: format!("清流县{}", c.area.join("、")),
            polygon: county_outline().to_vec(),
            county_code: COUNTY_CODE.into(),
            townships: draft.townships.iter().cloned().collect(),
        },
    };
    cap::to_xml(&warning).map_err(|e| format!("CAP无法生成：{e}"))
}

/// The county outline ring, parsed once from the shipped boundary.
pub fn county_outline() -> &'static [LatLon] {
    static RING: OnceLock<Vec<LatLon>> = OnceLock::new();
    RING.get_or_init(|| {
        areas_from_geojson(crate::assets::COUNTY_OUTLINE_GEOJSON)
            .ok()
            .and_then(|areas| cap::outline_ring(&areas))
            .unwrap_or_default()
    })
}

/// The CAP file's name: its identifier, as the provincial system files them.
pub fn cap_file_name(issued_at: Timestamp) -> String {
    cap::identifier(ISSUER_CODE, issued_at)
        .map_or_else(|_| "warning".into(), |id| format!("{id}.xml"))
}

#[cfg(test)]
mod tests;
