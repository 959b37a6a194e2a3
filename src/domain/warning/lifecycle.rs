//! Lifecycle of a warning signal: issue (发布), continue (继续发布), upgrade, downgrade,
//! change (变更发布) and lift (解除).

use serde::{Deserialize, Serialize};

/// What a warning message does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 发布: a new warning.
    Issue,
    /// 继续发布: the same level and area, extended in time.
    Continue,
    /// 升级发布: a higher level.
    Upgrade,
    /// 降级发布: a lower level.
    Downgrade,
    /// 变更发布: the same level with changed content, times or area.
    Change,
    /// 解除: the warning ends.
    Lift,
}

impl Action {
    /// All actions.
    pub const ALL: [Action; 6] = [
        Action::Issue,
        Action::Continue,
        Action::Upgrade,
        Action::Downgrade,
        Action::Change,
        Action::Lift,
    ];

    /// The verb as written in the heading of the text.
    pub fn verb_zh(self) -> &'static str {
        match self {
            Action::Issue => "发布",
            Action::Continue => "继续发布",
            Action::Upgrade => "升级发布",
            Action::Downgrade => "降级发布",
            Action::Change => "变更发布",
            Action::Lift => "解除",
        }
    }
}
