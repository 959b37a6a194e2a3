//! A device's status in one word, as it travels in the change log: it changes only when the
//! device's state does (a report on time after a silence, a link given up, a last will), never
//! with every report. Desks judge "late by N reports" themselves from `last_seen`.

use serde::{Deserialize, Serialize};

use super::health::{Lateness, LinkState};
use crate::domain::Timestamp;

/// Reports missed from which a device counts as silent rather than merely late.
pub const SILENT_AFTER_MISSED: u32 = 3;

/// What the broker last said of a device's connection (its retained state or its last will).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Connected.
    Online,
    /// Disconnected cleanly or, by its last will, lost.
    Offline,
}

/// A device's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Reporting on time.
    Reporting,
    /// One or two reports overdue.
    Late,
    /// Registered, never heard.
    NeverSeen,
    /// [`SILENT_AFTER_MISSED`] or more reports overdue.
    Silent,
    /// The broker says its connection is lost (and it is overdue).
    Offline,
    /// The central polls it and has given up for now.
    Unreachable,
}

impl Status {
    /// Whether the device is missing reports (what alarms and incidents are about).
    pub const fn is_quiet(self) -> bool {
        matches!(self, Self::Silent | Self::Offline | Self::Unreachable)
    }
}

/// The status of a device whose reports stand at `lateness`, whose link is `link` and whose
/// broker presence is `presence`. A last will alone does not make a device that is still on
/// time offline: it may have reconnected and reported since.
pub fn status(lateness: Lateness, link: LinkState, presence: Option<Presence>) -> Status {
    if matches!(link, LinkState::Unreachable { .. }) {
        return Status::Unreachable;
    }
    match lateness {
        Lateness::NeverSeen => Status::NeverSeen,
        Lateness::OnTime => Status::Reporting,
        Lateness::Late { .. } if presence == Some(Presence::Offline) => Status::Offline,
        Lateness::Late { missed } if missed >= SILENT_AFTER_MISSED => Status::Silent,
        Lateness::Late { .. } => Status::Late,
    }
}

/// A device's status and since when: what a `device_status` change carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSince {
    /// The status.
    pub status: Status,
    /// When it began.
    pub since: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_from_lateness_link_and_presence() {
        let late = |missed| Lateness::Late { missed };
        let unreachable = LinkState::Unreachable {
            since: Timestamp(0),
        };
        let normal = LinkState::Normal;
        let offline = Some(Presence::Offline);
        let cases = [
            (Lateness::OnTime, normal, None, Status::Reporting),
            (Lateness::OnTime, normal, offline, Status::Reporting),
            (Lateness::NeverSeen, normal, None, Status::NeverSeen),
            (late(1), normal, None, Status::Late),
            (late(2), normal, Some(Presence::Online), Status::Late),
            (late(3), normal, None, Status::Silent),
            (late(1), normal, offline, Status::Offline),
            (Lateness::OnTime, unreachable, None, Status::Unreachable),
            (late(9), unreachable, offline, Status::Unreachable),
        ];
        for (lateness, link, presence, want) in cases {
            assert_eq!(
                status(lateness, link, presence),
                want,
                "{lateness:?} {link:?} {presence:?}"
            );
        }
        assert!(Status::Silent.is_quiet() && !Status::Late.is_quiet());
    }
}
