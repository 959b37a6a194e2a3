//! A released record as CAP 1.2 ([`crate::formats::cap`]): the county outline as its polygon,
//! the townships by name and NBS code, `Exercise` for practice, and the followed record's
//! identifier and release time as `references`.

use std::sync::OnceLock;

use super::settings::WarningSettings;
use crate::domain::Network;
use crate::domain::geo::LatLon;
use crate::domain::warning::Action;
use crate::domain::warning::checks::Channel;
use crate::formats::cap::{self, CapArea, CapReference, CapStatus, CapWarning};
use crate::protocol::warnings::WarningRecord;

/// The county outline as one ring, read once from the shipped boundary.
fn county_outline() -> &'static [LatLon] {
    static OUTLINE: OnceLock<Vec<LatLon>> = OnceLock::new();
    OUTLINE.get_or_init(|| {
        crate::domain::geo::areas_from_geojson(crate::assets::COUNTY_OUTLINE_GEOJSON)
            .ok()
            .and_then(|areas| cap::outline_ring(&areas))
            .unwrap_or_default()
    })
}

/// The text CAP carries as its description: the plain text a reader gets (WeCom text, else
/// the SMS, else the LED line).
fn description(record: &WarningRecord) -> String {
    [
        Channel::WecomText,
        Channel::Sms,
        Channel::Led,
        Channel::Loudspeaker,
    ]
    .iter()
    .find_map(|c| record.content.texts.get(c))
    .cloned()
    .unwrap_or_default()
}

/// The CAP document of `record` (released), following `followed` when it is a follow-up; an
/// error says why it cannot be written.
pub fn cap_xml(
    record: &WarningRecord,
    followed: Option<&WarningRecord>,
    network: &Network,
    settings: &WarningSettings,
) -> Result<String, String> {
    let c = &record.content;
    let sent = record.released_at.ok_or("the warning is not released")?;
    let signal = settings
        .signals
        .catalogue()
        .signal(&c.signal)
        .ok_or_else(|| format!("unknown signal {}", c.signal))?;
    let references = match (c.action, followed) {
        (Action::Issue, _) => Vec::new(),
        (_, Some(f)) => vec![CapReference {
            sender: settings.issuer_code.clone(),
            identifier: f
                .cap_identifier
                .clone()
                .ok_or("the followed warning has no identifier")?,
            sent: f
                .released_at
                .ok_or("the followed warning was not released")?,
        }],
        (_, None) => return Err("the followed warning is missing".into()),
    };
    let names: Vec<&str> = c
        .area
        .iter()
        .filter_map(|code| {
            network
                .townships
                .iter()
                .find(|t| t.code.to_string() == *code)
                .map(|t| t.name.as_str())
        })
        .collect();
    let warning = CapWarning {
        issuer_code: settings.issuer_code.clone(),
        sender_name: settings.issuer_name.clone(),
        sent,
        status: if c.practice {
            CapStatus::Exercise
        } else {
            CapStatus::Actual
        },
        action: c.action,
        references,
        signal,
        level: c.level,
        effective: c.issued_at,
        expires: c.expires_at,
        description: description(record),
        instruction: None,
        area: CapArea {
            desc: format!("清流县{}", names.join("、")),
            polygon: county_outline().to_vec(),
            county_code: settings.county_code.clone(),
            townships: c.area.iter().cloned().collect(),
        },
    };
    cap::to_xml(&warning).map_err(|e| e.to_string())
}
