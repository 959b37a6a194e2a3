//! Practice replay at the desk: a past event's observations (a scenario file, e.g. the
//! 2019-05-17 Sanming rainstorm) judged on the scenario's own clock, which the forecaster moves
//! on step by step. Its suggestions are kept apart from the real ones — its own
//! [`SuggestionsState`], never the charts, the map or the real banner — so rehearsal values
//! never mix with observations, and a warning drafted from them is a practice warning.

use crate::console::state::suggestions::{SuggestionsState, TrackedSuggestion};
use crate::domain::time::MINUTE_MS;
use crate::domain::warning::Catalogue;
use crate::domain::warning::replay::{Scenario, ScenarioError};
use crate::domain::{Network, Observation, Timestamp};

/// The scenarios a desk can replay: a title and the file.
pub const SCENARIOS: [(&str, &str); 1] = [(
    "2019-05-17 三明暴雨（重建数据）",
    crate::assets::PRACTICE_2019_05_17,
)];

/// A replay under way.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeReplay {
    /// What is replayed.
    pub title: String,
    /// The scenario's `#` lines: what it is and where its values come from.
    pub about: Vec<String>,
    /// The scenario's clock.
    pub at: Timestamp,
    /// Its last value's time: the replay is over past it.
    pub end: Timestamp,
    /// Its values, one observation per station and time, in time order.
    observations: Vec<Observation>,
    /// How many of them the suggestions have seen.
    fed: usize,
    /// Judged on the scenario's clock, with the desk's signal set.
    pub suggestions: SuggestionsState,
}

impl PracticeReplay {
    /// Starts `scenario` at its first value, judging by `catalogue` (the desk's set).
    pub fn start(
        title: &str,
        text: &str,
        catalogue: Option<&Catalogue>,
        network: &Network,
    ) -> Result<Self, ScenarioError> {
        let scenario = Scenario::parse(text)?;
        let (first, last) = scenario.span().ok_or_else(|| ScenarioError {
            line: 1,
            message: "the scenario has no values".to_owned(),
        })?;
        let mut replay = Self {
            title: title.to_owned(),
            about: scenario.about.clone(),
            at: first,
            end: last,
            observations: scenario.observations(),
            fed: 0,
            suggestions: SuggestionsState::with_catalogue(catalogue.cloned(), None),
        };
        replay.feed(network);
        Ok(replay)
    }

    /// Moves the scenario's clock on by `minutes` (not past its end) and judges what came in.
    pub fn advance(&mut self, minutes: i64, network: &Network) {
        self.at = self.at.plus_ms(minutes * MINUTE_MS).min(self.end);
        self.feed(network);
    }

    /// Whether the scenario's clock reached its last value.
    pub fn finished(&self) -> bool {
        self.at >= self.end
    }

    /// What the scenario's values support at its clock.
    pub fn current(&self) -> &[TrackedSuggestion] {
        &self.suggestions.current
    }

    /// Hands the values stamped up to the clock to the suggestions, judged at once.
    fn feed(&mut self, network: &Network) {
        let upto = self.observations[self.fed..].partition_point(|o| o.time <= self.at);
        let batch = &self.observations[self.fed..self.fed + upto];
        self.fed += upto;
        self.suggestions.observe(batch, network, self.at);
        self.suggestions.judge_again();
        self.suggestions.tick(network, self.at.plus_ms(MINUTE_MS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::warning::Level;

    fn levels(replay: &PracticeReplay) -> Vec<(String, Level)> {
        let current = replay.current().iter().map(|t| &t.suggestion);
        current.map(|s| (s.signal.clone(), s.level)).collect()
    }

    #[test]
    fn the_2019_rainstorm_rises_to_orange_on_the_scenario_clock() {
        let network = crate::assets::qingliu_network().unwrap();
        let catalogue = crate::assets::national_signals().unwrap();
        let (title, text) = SCENARIOS[0];
        let mut replay = PracticeReplay::start(title, text, Some(&catalogue), &network).unwrap();
        let at = |hm: &str| Timestamp::parse_rfc3339(&format!("2019-05-17T{hm}:00+08:00")).unwrap();
        assert_eq!(replay.at, at("08:00"));
        assert_eq!(levels(&replay), []);
        replay.advance(6 * 60, &network);
        assert_eq!(replay.at, at("14:00"));
        assert_eq!(levels(&replay), [("rainstorm".into(), Level::Yellow)]);
        replay.advance(60, &network);
        // Highest first: orange where it rained most, yellow around it.
        assert_eq!(levels(&replay)[0], ("rainstorm".into(), Level::Orange));
        while !replay.finished() {
            replay.advance(60, &network);
            let red = replay
                .current()
                .iter()
                .any(|t| t.suggestion.level == Level::Red);
            assert!(!red, "never red at {}", replay.at);
        }
        assert_eq!(replay.at, replay.end);
    }

    #[test]
    fn a_broken_scenario_is_refused_by_line() {
        let network = crate::assets::qingliu_network().unwrap();
        let text = "time,station,element,value\n2019-05-17T08:00:00+08:00,708312,PRE_1h,x\n";
        let error = PracticeReplay::start("x", text, None, &network).unwrap_err();
        assert_eq!(error.line, 2);
    }
}
