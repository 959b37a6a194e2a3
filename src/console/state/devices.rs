//! What the desk knows of devices: which changed since the devices screen last read the
//! registry (the screen reads it again when this moves), the list and the health page it last
//! read, and the last refusal of a read.

pub mod relays;

use crate::console::messages::devices::{
    AlarmDetail, AlarmList, AlarmRecord, Assignee, Device, DeviceEvent, DeviceList, DeviceRead,
    HealthPage,
};
use crate::domain::Timestamp;
use crate::domain::devices::DeviceId;

/// A refusal of the central, as said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRefusal {
    /// What was read.
    pub read: DeviceRead,
    /// Its code (`unreachable` when the central could not be reached).
    pub code: String,
    /// What to show.
    pub message: String,
    /// The record's field at fault, when the central names one.
    pub field: Option<String>,
}

/// The devices' state on the desk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevicesState {
    /// Moves on every change the feed brings of a device (registered, changed, status).
    pub revision: u64,
    /// The devices the last change named.
    pub last_changed: Vec<DeviceId>,
    /// The list last read, and the desk's clock when it arrived (the desk counts on from the
    /// central's `now` by its own clock until the next read).
    pub list: Option<(DeviceList, Timestamp)>,
    /// The health page last read, and the desk's clock when it arrived.
    pub health: Option<(HealthPage, Timestamp)>,
    /// The last refusal of a read, until the next answer of the same read.
    pub refusal: Option<DeviceRefusal>,
    /// Answers to reads so far (lists, pages, refusals): the view tells from it whether its
    /// read has been answered.
    pub answers: u64,
    /// Moves on every change the feed brings of a device alarm.
    pub alarm_revision: u64,
    /// The alarms last read, and the desk's clock when they arrived.
    pub alarms: Option<(AlarmList, Timestamp)>,
    /// Moves when this desk's own handling of an alarm was done: the panel reads them again
    /// without waiting for the feed.
    pub alarms_handled: u64,
    /// The alarm this desk's last handling was of.
    pub last_handled: Option<u64>,
    /// The alarm detail last read, and the desk's clock when it arrived.
    pub alarm: Option<(AlarmDetail, Timestamp)>,
    /// Who alarms may be given to, once read.
    pub assignees: Option<Vec<Assignee>>,
    /// The device record this desk saved last, as the central stored it.
    pub last_saved: Option<Device>,
    /// Records saved so far: a form tells from it that its own was stored.
    pub saves: u64,
    /// Refusals so far: a form tells from it that its own was refused.
    pub refusals: u64,
    /// Relay control.
    pub relays: relays::RelaysState,
}

impl DevicesState {
    /// Notes that the feed brought changes of `devices`.
    pub fn changed(&mut self, devices: Vec<DeviceId>) {
        self.revision += 1;
        self.last_changed = devices;
    }

    /// Notes that the feed brought changes of device alarms.
    pub fn alarms_changed(&mut self, _alarms: Vec<u64>) {
        self.alarm_revision += 1;
    }

    /// Takes in what the devices service reports, at the desk's `now`.
    pub fn apply(&mut self, event: DeviceEvent, now: Timestamp) {
        self.answers += 1;
        match event {
            DeviceEvent::ListLoaded(list) => {
                self.clear_refusal(|read| *read == DeviceRead::List);
                self.list = Some((*list, now));
            }
            DeviceEvent::HealthLoaded(page) => {
                let id = page.view.device.id.clone();
                self.clear_refusal(|read| *read == DeviceRead::Health(id.clone()));
                self.health = Some((*page, now));
            }
            DeviceEvent::AlarmsLoaded(list) => {
                self.clear_refusal(|read| *read == DeviceRead::Alarms);
                self.alarms = Some((*list, now));
            }
            DeviceEvent::AlarmLoaded(detail) => {
                let id = detail.alarm.id;
                self.clear_refusal(|read| *read == DeviceRead::Alarm(id));
                self.alarm = Some((*detail, now));
            }
            DeviceEvent::AssigneesLoaded(assignees) => {
                self.clear_refusal(|read| *read == DeviceRead::Assignees);
                self.assignees = Some(assignees);
            }
            DeviceEvent::DeviceSaved(device) => {
                let id = device.id.clone();
                self.clear_refusal(|read| *read == DeviceRead::Save(id.clone()));
                self.last_saved = Some(*device);
                self.saves += 1;
            }
            DeviceEvent::AlarmHandled(alarm) => {
                self.clear_refusal(|read| *read == DeviceRead::Handling(alarm.id));
                self.alarms_handled += 1;
                self.last_handled = Some(alarm.id);
                self.replace_alarm(*alarm);
            }
            DeviceEvent::VisitRecorded { alarm } => {
                self.clear_refusal(|read| *read == DeviceRead::Handling(alarm));
                self.alarms_handled += 1;
                self.last_handled = Some(alarm);
            }
            DeviceEvent::RelaysLoaded(list) => {
                self.clear_refusal(|read| *read == DeviceRead::Relays);
                self.relays.loaded(*list, now);
            }
            DeviceEvent::ProposalsLoaded(list) => self.relays.proposals = Some(*list),
            DeviceEvent::CommandAnswered(command) => self.relays.answered(*command),
            DeviceEvent::ProposalDecided(proposal) => self.relays.decided(*proposal),
            DeviceEvent::Refused {
                read,
                code,
                message,
                field,
            } => self.refused(read, code, message, field),
        }
    }

    /// A refusal: an action's goes to the relays (the dialog shows it); a read's is kept here.
    fn refused(&mut self, read: DeviceRead, code: String, message: String, field: Option<String>) {
        let action = |command, proposal| relays::ActionRefusal {
            command,
            proposal,
            code: code.clone(),
            message: message.clone(),
        };
        match read {
            DeviceRead::Command(id) => self.relays.refusal = Some(action(Some(id), None)),
            DeviceRead::Proposal(id) => self.relays.refusal = Some(action(None, Some(id))),
            // A central without proposals yet answers 404: nothing to show, nothing to say.
            DeviceRead::Proposals => self.relays.proposals = None,
            read => {
                self.refusal = Some(DeviceRefusal {
                    read,
                    code,
                    message,
                    field,
                });
                self.refusals += 1;
            }
        }
    }

    fn replace_alarm(&mut self, alarm: AlarmRecord) {
        let listed = self
            .alarms
            .as_mut()
            .and_then(|(list, _)| list.alarms.iter_mut().find(|a| a.id == alarm.id));
        if let Some(kept) = listed {
            kept.clone_from(&alarm);
        }
        if let Some((detail, _)) = &mut self.alarm
            && detail.alarm.id == alarm.id
        {
            detail.alarm = alarm;
        }
    }

    /// The detail of alarm `id`, if it is the one last read.
    pub fn alarm_of(&self, id: u64) -> Option<&AlarmDetail> {
        self.alarm
            .as_ref()
            .map(|(detail, _)| detail)
            .filter(|detail| detail.alarm.id == id)
    }

    /// The moves of both the feed's alarm changes and this desk's handling of them.
    pub fn alarms_moved(&self) -> u64 {
        self.alarm_revision.wrapping_add(self.alarms_handled)
    }

    fn clear_refusal(&mut self, answers: impl Fn(&DeviceRead) -> bool) {
        if self.refusal.as_ref().is_some_and(|r| answers(&r.read)) {
            self.refusal = None;
        }
    }

    /// The health page of `device`, if it is the one last read.
    pub fn page_of(&self, device: &DeviceId) -> Option<&HealthPage> {
        self.health
            .as_ref()
            .map(|(page, _)| page)
            .filter(|page| page.view.device.id == *device)
    }

    /// The central's clock now, as the desk reckons it: the list's `now` plus the time the
    /// desk's own clock has run since it arrived (`None` before a list is read).
    pub fn central_now(&self, desk_now: Timestamp) -> Option<Timestamp> {
        self.list
            .as_ref()
            .map(|(list, at)| list.now.plus_ms((desk_now.0 - at.0).max(0)))
    }
}

#[cfg(test)]
mod tests;
