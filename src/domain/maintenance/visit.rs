//! A maintenance visit to a device: the same window the charts show, with what the technician
//! did there — the kind of visit, parts and sensors replaced, and the alarms it closes.

use serde::{Deserialize, Serialize};

use crate::domain::Element;
use crate::domain::devices::DeviceId;

/// Parts listed on one visit, at most.
pub const MAX_PARTS: usize = 20;
/// Characters of one part's name, at most.
pub const MAX_PART_CHARS: usize = 60;

/// What kind of visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// A routine round (巡检).
    Routine,
    /// A repair after a fault (维修).
    Repair,
    /// Sensor calibration (校准).
    Calibration,
    /// A device or sensor replaced (更换).
    Replacement,
    /// A new installation (安装).
    Installation,
}

/// A visit's particulars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// The device worked on.
    pub device: DeviceId,
    /// The kind of visit.
    pub kind: VisitKind,
    /// Parts replaced (a battery, a solar panel, a DTU…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// Sensors replaced, by the element each measures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensors: Vec<Element>,
    /// The device alarms this visit dealt with: they close with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closes: Vec<u64>,
}

/// Why a visit's particulars are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitError {
    /// Too many parts, or a part's name empty or too long.
    #[error("list at most {MAX_PARTS} parts of 1–{MAX_PART_CHARS} characters each")]
    Parts,
}

impl Visit {
    /// The visit with its parts trimmed, checked.
    pub fn checked(mut self) -> Result<Self, VisitError> {
        self.parts = self.parts.iter().map(|p| p.trim().to_owned()).collect();
        let bad = |p: &String| p.is_empty() || p.chars().count() > MAX_PART_CHARS;
        if self.parts.len() > MAX_PARTS || self.parts.iter().any(bad) {
            return Err(VisitError::Parts);
        }
        self.sensors.sort();
        self.sensors.dedup();
        self.closes.sort_unstable();
        self.closes.dedup();
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(parts: &[&str]) -> Visit {
        Visit {
            device: DeviceId::parse("YR-AWS1").unwrap(),
            kind: VisitKind::Replacement,
            parts: parts.iter().map(|p| (*p).to_owned()).collect(),
            sensors: vec![Element::Tem, Element::Tem],
            closes: vec![3, 1, 3],
        }
    }

    #[test]
    fn parts_are_trimmed_and_bounded() {
        let ok = visit(&[" 蓄电池 12V 24Ah "]).checked().unwrap();
        assert_eq!(ok.parts, ["蓄电池 12V 24Ah"]);
        assert_eq!((ok.sensors.len(), ok.closes), (1, vec![1, 3]));
        assert_eq!(visit(&["  "]).checked(), Err(VisitError::Parts));
        let long = "长".repeat(MAX_PART_CHARS + 1);
        assert_eq!(visit(&[&long]).checked(), Err(VisitError::Parts));
        assert_eq!(
            visit(&["x"; MAX_PARTS + 1]).checked(),
            Err(VisitError::Parts)
        );
    }
}
