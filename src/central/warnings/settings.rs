//! The bureau's settings for warnings (`[warnings]` of the central's configuration): who
//! issues them, what the forecaster may sign alone and when, and the pre-send checks' limits.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;

pub use super::signals::SignalSet;
use crate::domain::callout::CalloutRules;
use crate::domain::outbox::policy::ResendPolicy;
use crate::domain::warning::approval::AlonePolicy;
use crate::domain::warning::checks::{Channel, CheckConfig};
use crate::domain::warning::{Action, Level};

/// Qingliu County's GB/T 2260 code, the CAP area's county geocode.
pub const QINGLIU_COUNTY_CODE: &str = "350423";

/// What the central issues warnings as, and under which rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningSettings {
    /// The issuing office, as headings and CAP `senderName` write it (清流县气象台).
    pub issuer_name: String,
    /// The issuer's 14-digit code, the head of every CAP identifier.
    pub issuer_code: String,
    /// The county's GB/T 2260 code.
    pub county_code: String,
    /// What the duty forecaster may sign alone, and when.
    pub alone: AlonePolicy,
    /// The pre-send checks' limits and banned words.
    pub checks: CheckConfig,
    /// The NBS codes of the county's townships, which a warning's area may name.
    pub townships: BTreeSet<String>,
    /// The signal set warnings are judged by (and desks are sent).
    pub signals: SignalSet,
    /// The levels whose messages of unknown outcome are resent without a person's decision
    /// (none by default: every unknown message waits for one).
    pub resend_unknown: ResendPolicy,
    /// 叫应: which warnings call whom, and when unanswered lines escalate (`[callout]`).
    pub callout: CalloutRules,
}

impl Default for WarningSettings {
    /// Qingliu's office; lifts and continues signed alone at night (22:00–08:00 Beijing time),
    /// as a county bureau with one supervisor on call typically allows.
    fn default() -> Self {
        Self {
            issuer_name: "清流县气象台".to_owned(),
            issuer_code: "35042341600000".to_owned(),
            county_code: QINGLIU_COUNTY_CODE.to_owned(),
            alone: AlonePolicy {
                actions: [Action::Continue, Action::Lift].into(),
                window: Some((22 * 60, 8 * 60)),
            },
            checks: CheckConfig::default(),
            townships: BTreeSet::new(),
            signals: SignalSet::shipped(),
            resend_unknown: ResendPolicy::default(),
            callout: CalloutRules::default(),
        }
    }
}

impl WarningSettings {
    /// The same settings for the townships of `network`.
    #[must_use]
    pub fn for_network(mut self, network: &crate::domain::Network) -> Self {
        self.townships = network
            .townships
            .iter()
            .map(|t| t.code.to_string())
            .collect();
        self
    }
}

/// `[warnings]` as written; every key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningsSection {
    /// e.g. `"清流县气象台"`.
    pub issuer_name: Option<String>,
    /// 14 digits, e.g. `"35042341600000"`.
    pub issuer_code: Option<String>,
    /// Actions the duty forecaster may sign alone (`["continue", "lift"]`; `[]`: none).
    pub alone_actions: Option<BTreeSet<Action>>,
    /// Beijing-time window of signing alone, `"22:00-08:00"`; `"all day"` for no limit.
    pub alone_window: Option<String>,
    /// Banned words per channel (`sms = ["…"]`).
    #[serde(default)]
    pub banned_words: BTreeMap<Channel, Vec<String>>,
    /// How far in the past an issue time may lie, minutes.
    pub max_past_minutes: Option<i64>,
    /// How far ahead an issue time may lie, minutes.
    pub max_future_minutes: Option<i64>,
    /// Most SMS parts one warning may cost.
    pub sms_max_parts: Option<usize>,
    /// `[warnings.upstream]`: where the city's and province's warnings come from.
    pub upstream: Option<crate::central::config::UpstreamSection>,
    /// A province's signal file in the shipped `signals.json` shape (default: the national
    /// set as shipped).
    pub signals: Option<PathBuf>,
    /// Its defence guides in the shipped `defence_guides.json` shape (only with `signals`).
    pub defence_guides: Option<PathBuf>,
    /// Levels whose messages of unknown outcome are resent by policy (`["red"]`; default
    /// none): a possible duplicate is accepted there rather than a possible miss.
    pub resend_unknown: Option<BTreeSet<Level>>,
}

impl WarningsSection {
    /// The settings this section makes of the defaults, or why it cannot.
    pub fn settings(self) -> Result<WarningSettings, String> {
        let mut s = WarningSettings::default();
        if let Some(code) = self.issuer_code {
            crate::formats::cap::identifier(&code, crate::domain::Timestamp(0))
                .map_err(|e| format!("[warnings] issuer_code: {e}"))?;
            s.issuer_code = code;
        }
        if let Some(name) = self.issuer_name {
            s.issuer_name = name;
        }
        if let Some(actions) = self.alone_actions {
            if let Some(a) = actions
                .iter()
                .find(|a| !matches!(a, Action::Continue | Action::Lift))
            {
                return Err(format!(
                    "[warnings] alone_actions: only continue and lift may be signed alone, not {a:?}"
                ));
            }
            s.alone.actions = actions;
        }
        if let Some(window) = self.alone_window {
            s.alone.window = parse_window(&window)
                .map_err(|e| format!("[warnings] alone_window {window:?}: {e}"))?;
        }
        s.checks.banned_words = self.banned_words;
        s.checks.max_past_minutes = self.max_past_minutes.unwrap_or(s.checks.max_past_minutes);
        s.checks.max_future_minutes = self
            .max_future_minutes
            .unwrap_or(s.checks.max_future_minutes);
        s.checks.sms_max_parts = self.sms_max_parts.unwrap_or(s.checks.sms_max_parts);
        if let Some(levels) = self.resend_unknown {
            s.resend_unknown = ResendPolicy { levels };
        }
        match (self.signals, self.defence_guides) {
            (Some(signals), guides) => {
                s.signals = SignalSet::from_files(&signals, guides.as_deref())
                    .map_err(|e| format!("[warnings] signals: {e}"))?;
            }
            (None, Some(_)) => {
                return Err("[warnings] defence_guides needs the signals file it guides".into());
            }
            (None, None) => {}
        }
        Ok(s)
    }
}

/// `"22:00-08:00"` as minutes of the day `(from, to)`; `"all day"` as none.
pub fn parse_window(text: &str) -> Result<Option<(u16, u16)>, String> {
    if text.trim() == "all day" {
        return Ok(None);
    }
    let (from, to) = text
        .split_once('-')
        .ok_or("write it as HH:MM-HH:MM (Beijing time) or \"all day\"")?;
    let minute = |t: &str| -> Result<u16, String> {
        let (h, m) = t.trim().split_once(':').ok_or("a time is HH:MM")?;
        let (h, m): (u16, u16) = (
            h.parse().map_err(|_| "hours are 00-23")?,
            m.parse().map_err(|_| "minutes are 00-59")?,
        );
        if h > 23 || m > 59 {
            return Err("hours are 00-23, minutes 00-59".into());
        }
        Ok(h * 60 + m)
    };
    let (from, to) = (minute(from)?, minute(to)?);
    if from == to {
        return Err("the window is empty".into());
    }
    Ok(Some((from, to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse() {
        let ok = [
            ("22:00-08:00", Some((1320, 480))),
            ("00:00-06:30", Some((0, 390))),
            ("all day", None),
        ];
        for (text, want) in ok {
            assert_eq!(parse_window(text), Ok(want), "{text}");
        }
        for text in ["22:00", "24:00-08:00", "08:00-08:00"] {
            assert!(parse_window(text).is_err(), "{text}");
        }
    }

    #[test]
    fn a_section_changes_only_what_it_names() {
        let section: WarningsSection = toml::from_str(
            "issuer_code = \"35042341600001\"\nalone_actions = [\"lift\"]\n\
             alone_window = \"all day\"\n[banned_words]\nsms = [\"绝对\"]\n",
        )
        .unwrap();
        let s = section.settings().unwrap();
        assert_eq!(s.issuer_code, "35042341600001");
        assert_eq!(s.issuer_name, "清流县气象台");
        assert_eq!(s.alone.actions, [Action::Lift].into());
        assert_eq!(s.alone.window, None);
        assert_eq!(s.checks.banned_words[&Channel::Sms], ["绝对"]);
        let bad: WarningsSection = toml::from_str("issuer_code = \"3504\"").unwrap();
        assert!(bad.settings().is_err());
        let upgrade: WarningsSection = toml::from_str("alone_actions = [\"upgrade\"]").unwrap();
        assert!(upgrade.settings().is_err());
    }
}
