//! The central's hook for warning suggestions: the desks judge suggestions for their banner,
//! but an unattended desk tells nobody, so the central judges the stored observations by the
//! same pure rules ([`suggest::suggest`], the central's signal set) and raises one alarm per
//! suggestion — a signal at a level on a Beijing day, keyed `{signal}:{level}:{day}` — not
//! one per observation. A level that rises is a new suggestion; one that holds is not.

use crate::central::core::AppState;
use crate::central::error::Failure;
use crate::domain::history::Sample;
use crate::domain::warning::Catalogue;
use crate::domain::warning::suggest::{self, LOOKBACK_MS, Recent, Suggestion};
use crate::domain::{Element, Network, Timestamp};
use crate::store::StoreError;
use crate::store::central::CentralStore;

use super::{beijing_day, notify_on_call};

/// The source alarms of suggestions are raised under.
pub const SOURCE: &str = "suggestion";

/// The elements the criteria read.
const JUDGED: [Element; 8] = [
    Element::Pre1h,
    Element::Pre,
    Element::WinSAvg2mi,
    Element::WinSInstMax,
    Element::Tem,
    Element::Gst,
    Element::Vis,
    Element::Rhu,
];

/// The last [`LOOKBACK_MS`] of the judged elements at every station, as stored.
fn recent(
    store: &dyn CentralStore,
    network: &Network,
    now: Timestamp,
) -> Result<Recent, StoreError> {
    let from = now.plus_ms(-LOOKBACK_MS);
    let mut recent = Recent::new();
    for station in &network.stations {
        for element in JUDGED {
            let series = store
                .series(&station.id, element, from, now)?
                .unwrap_or_default();
            if series.is_empty() {
                continue;
            }
            let samples = series
                .into_iter()
                .map(|(t, v)| Sample::live(t, v))
                .collect();
            recent
                .entry(station.id.clone())
                .or_default()
                .insert(element, samples);
        }
    }
    Ok(recent)
}

/// The alarm's key for `suggestion` on `day`.
pub fn key(suggestion: &Suggestion, day: &str) -> String {
    format!("{}:{}:{day}", suggestion.signal, suggestion.level.id())
}

/// What the on-call person reads: the signal and level, where, the strongest value, and what
/// is asked of them. Township names, never more than three.
pub fn text(issuer: &str, catalogue: &Catalogue, network: &Network, s: &Suggestion) -> String {
    let signal = catalogue
        .signal(&s.signal)
        .map_or_else(|| s.signal.clone(), |t| t.zh.clone());
    let names: Vec<&str> = s
        .townships
        .iter()
        .filter_map(|code| {
            let town = network
                .townships
                .iter()
                .find(|t| t.code.to_string() == *code)?;
            Some(town.name.as_str())
        })
        .collect();
    let mut towns = names.iter().take(3).copied().collect::<Vec<_>>().join("、");
    if names.len() > 3 {
        towns.push_str(&format!("等{}个乡镇", names.len()));
    }
    let strongest = s
        .triggers
        .first()
        .map(|t| format!("，{}", t.describe_zh()))
        .unwrap_or_default();
    format!(
        "【{issuer}】值班提醒：{towns}观测已达{signal}{}预警信号标准{strongest}。请研判是否发布预警。",
        s.level.zh()
    )
}

/// Judges the stored observations now and raises an alarm for each suggestion not raised
/// before; how many were new.
pub async fn alarm_new_suggestions(state: &AppState) -> Result<usize, Failure> {
    let now = state.clock().now();
    let signals = state.warnings().signals.clone();
    let issuer = state.warnings().issuer_name.clone();
    let alarms = state
        .call(move |store| {
            let catalogue = signals.catalogue();
            let network = store.network()?;
            let found = suggest::suggest(catalogue, &network, &recent(store, &network, now)?, now);
            let day = beijing_day(now);
            Ok(found
                .iter()
                .map(|s| (key(s, &day), text(&issuer, catalogue, &network, s)))
                .collect::<Vec<_>>())
        })
        .await?;
    let mut new = 0;
    for (key, text) in alarms {
        new += usize::from(notify_on_call(state, SOURCE, &key, &text).await?);
    }
    Ok(new)
}
