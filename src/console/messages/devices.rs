//! The devices screen at the desk: what the view asks of the backend ([`DeviceCommand`]) and
//! what it answers ([`DeviceEvent`]). The registry and each device's health are the central's
//! (`GET /devices`, `GET /devices/{id}/health`); the desk judges lateness itself between reads.

// Re-exported: the view names what it shows through the messages that carry them (the UI may
// not reach into the protocol layer).
pub use crate::domain::devices::alarm_book::AlarmEvent;
pub use crate::domain::devices::alarm_book::{AlarmKind, AlarmRecord, Severity};
pub use crate::domain::devices::alarms::Scope;
pub use crate::domain::devices::{Device, DeviceKind, ModbusEndpoint, Transport};
pub use crate::domain::maintenance::visit::{Visit, VisitKind};
pub use crate::domain::relays::{
    Command as RelayCommand, CommandId, CommandState, Relay, RelayClass, Switch,
};
pub use crate::protocol::devices::{
    AlarmDetail, AlarmList, Assignee, BATTERY_CUTOFF_V, DeviceHealth, DeviceList, DeviceView,
    HealthHour, HealthPage,
};
pub use crate::protocol::history::NewMaintenance;
pub use crate::protocol::relays::{
    CommandRequest, ObservedState, Proposal, ProposalConfirmation, ProposalList, ProposalState,
    RelayList, RelayView, TriggerReading,
};

use crate::domain::devices::DeviceId;

/// Requests to the devices service.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceCommand {
    /// Read every device with its health.
    LoadList,
    /// Read one device's health page.
    LoadHealth(DeviceId),
    /// Read the open device alarms and those closed in the last day.
    LoadAlarms,
    /// Read one alarm with its timeline.
    LoadAlarm(u64),
    /// Read who alarms may be given to (technicians).
    LoadAssignees,
    /// Acknowledge an alarm (technicians).
    Acknowledge(u64),
    /// Give an alarm to a technician, by login name.
    Assign {
        /// The alarm.
        alarm: u64,
        /// The technician's login name.
        assignee: String,
    },
    /// Add a comment to an alarm's timeline.
    Comment {
        /// The alarm.
        alarm: u64,
        /// The comment.
        text: String,
    },
    /// Register a device, or (`replace`) change a registered one (technicians).
    SaveDevice {
        /// The record as the form says it.
        device: Box<Device>,
        /// Change the registered device of that id rather than register a new one.
        replace: bool,
    },
    /// Record a maintenance window whose visit closes `alarm`.
    RecordVisit {
        /// The alarm the visit dealt with.
        alarm: u64,
        /// The window, its visit naming the alarm among those it closes.
        window: Box<NewMaintenance>,
    },
    /// Relay control.
    Relay(RelayRequest),
}

/// Requests of relay control to the devices service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayRequest {
    /// Read every relay with what was commanded, acknowledged and observed.
    Load,
    /// Read the automations' proposals.
    LoadProposals,
    /// Set a relay (a person confirmed it in the dialog).
    Switch(Box<CommandRequest>),
    /// Withdraw a queued command.
    Cancel(CommandId),
    /// Confirm a proposal: its command is queued.
    Confirm {
        /// The proposal.
        id: u64,
        /// The desk's command id and the optional reason.
        confirmation: Box<ProposalConfirmation>,
    },
    /// Dismiss a proposal.
    Dismiss(u64),
}

/// Which read a refusal answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceRead {
    /// The list.
    List,
    /// One device's health page.
    Health(DeviceId),
    /// The alarms.
    Alarms,
    /// One alarm's detail.
    Alarm(u64),
    /// Who alarms may be given to.
    Assignees,
    /// A technician's handling of one alarm (acknowledging, assigning, commenting on it,
    /// recording a visit).
    Handling(u64),
    /// Registering or changing a device's record.
    Save(DeviceId),
    /// The relays.
    Relays,
    /// The proposals.
    Proposals,
    /// A relay command sent or cancelled (its id).
    Command(CommandId),
    /// A person's decision on a proposal.
    Proposal(u64),
}

/// Reports of the devices service.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    /// The list, as the central judged it.
    ListLoaded(Box<DeviceList>),
    /// A device's health page.
    HealthLoaded(Box<HealthPage>),
    /// The alarms, as the central keeps them.
    AlarmsLoaded(Box<AlarmList>),
    /// One alarm with its timeline.
    AlarmLoaded(Box<AlarmDetail>),
    /// Who alarms may be given to.
    AssigneesLoaded(Vec<Assignee>),
    /// An alarm as it stands after a technician handled it.
    AlarmHandled(Box<AlarmRecord>),
    /// A device's record as the central stored it.
    DeviceSaved(Box<Device>),
    /// A maintenance window was recorded, its visit closing `alarm`.
    VisitRecorded {
        /// The alarm it closed.
        alarm: u64,
    },
    /// The relays, as the central knows them.
    RelaysLoaded(Box<RelayList>),
    /// The proposals.
    ProposalsLoaded(Box<ProposalList>),
    /// A command as the central answered it (queued, cancelled, or queued by a confirmation).
    CommandAnswered(Box<RelayCommand>),
    /// A proposal as it stands after a person decided it.
    ProposalDecided(Box<Proposal>),
    /// A read was not done: the code and its words in the desk's language.
    Refused {
        /// What was read.
        read: DeviceRead,
        /// The refusal's code (`unreachable` when the central could not be reached).
        code: String,
        /// What to show.
        message: String,
        /// The record's field at fault, as the central names it (`interval_s`, `township`),
        /// when it says one.
        field: Option<String>,
    },
}
