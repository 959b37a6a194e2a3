//! The devices service: reads the registry with each device's health, and one device's health
//! page, when the devices screen asks (on opening, when the feed says a device changed, and
//! every half minute while it is open — the screen decides; this service never polls); reads the
//! device alarms likewise (and one alarm's timeline, and who alarms may be given to), and
//! carries a technician's handling of one (acknowledging, assigning, commenting on it, or
//! recording the maintenance visit that closes it) and a technician's device record.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::client::{CentralClient, ClientError};
use super::session::{Emitter, Session};
use crate::console::messages::Event;
use crate::console::messages::devices::{
    AlarmRecord, DeviceCommand, DeviceEvent, DeviceRead, RelayRequest,
};

/// What a failed read becomes for the view: the code, its words in Chinese, and the record's
/// field at fault when the central names one.
pub fn refusal(read: DeviceRead, error: &ClientError) -> DeviceEvent {
    let (code, message) = error.said().unwrap_or_else(|| {
        let words = if matches!(
            read,
            DeviceRead::Handling(_)
                | DeviceRead::Save(_)
                | DeviceRead::Command(_)
                | DeviceRead::Proposal(_)
        ) {
            "无法连接中心：这项处理未送达中心，请稍后再试"
        } else {
            "无法连接中心：设备状态由中心判定，暂不可读"
        };
        ("unreachable".to_owned(), words.to_owned())
    });
    let field = match error {
        ClientError::Refused { params, .. } => params.get("field").map(ToString::to_string),
        _ => None,
    };
    DeviceEvent::Refused {
        read,
        code,
        message,
        field,
    }
}

/// The service (one per backend).
#[derive(Debug)]
pub struct DevicesService {
    client: CentralClient,
    session: Arc<Session>,
    emitter: Emitter,
}

impl DevicesService {
    /// A service calling the central as the session's user.
    pub fn new(client: CentralClient, session: Arc<Session>, emitter: Emitter) -> Self {
        Self {
            client,
            session,
            emitter,
        }
    }

    /// Serves `commands` until the UI goes.
    pub async fn run(self, mut commands: mpsc::Receiver<DeviceCommand>) {
        while let Some(command) = commands.recv().await {
            let Some(client) = self.session.authorise(&self.client) else {
                continue; // signed out: the view is not shown
            };
            let event = self.serve(&client, command).await;
            self.emitter.emit(Event::Devices(event)).await;
            if self.emitter.is_closed() {
                return;
            }
        }
    }

    async fn serve(&self, client: &CentralClient, command: DeviceCommand) -> DeviceEvent {
        match command {
            DeviceCommand::LoadList => match client.devices().await {
                Ok(list) => DeviceEvent::ListLoaded(Box::new(list)),
                Err(error) => self.failed(DeviceRead::List, error).await,
            },
            DeviceCommand::LoadHealth(id) => match client.device_health(id.as_str()).await {
                Ok(page) => DeviceEvent::HealthLoaded(Box::new(page)),
                Err(error) => self.failed(DeviceRead::Health(id), error).await,
            },
            DeviceCommand::LoadAlarms => match client.device_alarms().await {
                Ok(list) => DeviceEvent::AlarmsLoaded(Box::new(list)),
                Err(error) => self.failed(DeviceRead::Alarms, error).await,
            },
            DeviceCommand::LoadAlarm(id) => match client.device_alarm(id).await {
                Ok(detail) => DeviceEvent::AlarmLoaded(Box::new(detail)),
                Err(error) => self.failed(DeviceRead::Alarm(id), error).await,
            },
            DeviceCommand::LoadAssignees => match client.alarm_assignees().await {
                Ok(list) => DeviceEvent::AssigneesLoaded(list.assignees),
                Err(error) => self.failed(DeviceRead::Assignees, error).await,
            },
            DeviceCommand::Acknowledge(id) => {
                self.handled(id, client.acknowledge_alarm(id).await).await
            }
            DeviceCommand::Assign { alarm, assignee } => {
                let answer = client.assign_alarm(alarm, &assignee).await;
                self.handled(alarm, answer).await
            }
            DeviceCommand::Comment { alarm, text } => {
                let answer = client.comment_alarm(alarm, &text).await;
                self.handled(alarm, answer).await
            }
            DeviceCommand::SaveDevice { device, replace } => {
                match client.save_device(&device, replace).await {
                    Ok(saved) => DeviceEvent::DeviceSaved(Box::new(saved)),
                    Err(error) => self.failed(DeviceRead::Save(device.id), error).await,
                }
            }
            DeviceCommand::RecordVisit { alarm, window } => {
                match client.record_maintenance(&window).await {
                    Ok(_) => DeviceEvent::VisitRecorded { alarm },
                    Err(error) => self.failed(DeviceRead::Handling(alarm), error).await,
                }
            }
            DeviceCommand::Relay(request) => self.serve_relays(client, request).await,
        }
    }

    /// The relay side of the screen: reads, commands, proposals.
    async fn serve_relays(&self, client: &CentralClient, request: RelayRequest) -> DeviceEvent {
        let answered = |c| DeviceEvent::CommandAnswered(Box::new(c));
        match request {
            RelayRequest::Load => match client.relays().await {
                Ok(list) => DeviceEvent::RelaysLoaded(Box::new(list)),
                Err(error) => self.failed(DeviceRead::Relays, error).await,
            },
            RelayRequest::LoadProposals => match client.relay_proposals().await {
                Ok(list) => DeviceEvent::ProposalsLoaded(Box::new(list)),
                Err(error) => self.failed(DeviceRead::Proposals, error).await,
            },
            RelayRequest::Switch(request) => match client.switch_relay(&request).await {
                Ok(command) => answered(command),
                Err(error) => {
                    let read = DeviceRead::Command(request.command_id.clone());
                    self.failed(read, error).await
                }
            },
            RelayRequest::Cancel(id) => match client.cancel_command(&id).await {
                Ok(command) => answered(command),
                Err(error) => self.failed(DeviceRead::Command(id), error).await,
            },
            RelayRequest::Confirm { id, confirmation } => {
                match client.confirm_proposal(id, &confirmation).await {
                    Ok(command) => answered(command),
                    Err(error) => self.failed(DeviceRead::Proposal(id), error).await,
                }
            }
            RelayRequest::Dismiss(id) => match client.dismiss_proposal(id).await {
                Ok(proposal) => DeviceEvent::ProposalDecided(Box::new(proposal)),
                Err(error) => self.failed(DeviceRead::Proposal(id), error).await,
            },
        }
    }

    async fn handled(&self, alarm: u64, answer: Result<AlarmRecord, ClientError>) -> DeviceEvent {
        match answer {
            Ok(record) => DeviceEvent::AlarmHandled(Box::new(record)),
            Err(error) => self.failed(DeviceRead::Handling(alarm), error).await,
        }
    }

    async fn failed(&self, read: DeviceRead, error: ClientError) -> DeviceEvent {
        let said = refusal(read, &error);
        if matches!(error, ClientError::Unauthorized(_)) {
            self.session.failure(error).await;
        } else {
            tracing::info!(%error, "a device read was not done");
        }
        said
    }
}
