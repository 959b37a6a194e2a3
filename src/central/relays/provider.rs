//! The relay dispatcher's provider: hands a queued command to its device's transport and moves
//! the command on with what the transport answers.
//!
//! | transport | handed over when | "not now" (waits, until its expiry) | outcome unknown |
//! |---|---|---|---|
//! | MQTT | the broker's PUBACK | the device or the broker link is down | no PUBACK |
//! | Modbus | the board answered the write and the read-back | the board cannot be reached | the link failed mid-exchange |
//!
//! An unknown outcome ends the command `timed_out` and is never sent again by itself: what the
//! relay does is then what its next reading shows.

use serde::{Deserialize, Serialize};

use super::mqtt_link::PublishError;
use crate::central::core::AppState;
use crate::central::devices::modbus::LinkFailure;
use crate::central::devices::modbus::switch::SwitchFailure;
use crate::central::workers::dispatch::{Provider, ProviderCall, ProviderError};
use crate::domain::devices::{Device, DeviceId, Presence, Transport};
use crate::domain::relays::command::CommandEvent;
use crate::domain::relays::{CommandState, Switch};
use crate::protocol::mqtt::relays::CommandMessage;
use crate::store::central::outbox::OutboxRow;

/// What a relay command's outbox row carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayPayload {
    /// The device.
    pub device: DeviceId,
    /// The command as the device receives it.
    pub command: CommandMessage,
}

/// Hands relay commands over.
#[derive(Debug, Clone)]
pub struct RelayProvider {
    state: AppState,
}

impl RelayProvider {
    /// A provider over the central's state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn hand_over(&self, row: &OutboxRow) -> Result<String, ProviderError> {
        let payload: RelayPayload = serde_json::from_str(&row.payload)
            .map_err(|e| ProviderError::Refused(format!("unreadable relay payload: {e}")))?;
        let id = payload.command.command_id.clone();
        let command = self
            .state
            .blocking({
                let id = id.clone();
                move |store| store.relay_command(&id)
            })
            .await
            .map_err(|f| ProviderError::Retry(f.body.message))?
            .ok_or_else(|| ProviderError::Refused(format!("no command {id}")))?;
        if command.state != CommandState::Queued {
            return Err(ProviderError::Refused(format!(
                "command is {}",
                command.state.code()
            )));
        }
        let device = self
            .state
            .devices()
            .devices()
            .iter()
            .find(|d| d.id == payload.device)
            .cloned()
            .ok_or_else(|| ProviderError::Refused(format!("no device {}", payload.device)))?;
        match device.transport {
            Transport::Mqtt => self.over_mqtt(&device, &payload.command).await,
            Transport::ModbusTcp | Transport::ModbusDtu => {
                self.over_modbus(&device, &payload.command).await
            }
        }?;
        Ok(id.to_string())
    }

    async fn over_mqtt(
        &self,
        device: &Device,
        command: &CommandMessage,
    ) -> Result<(), ProviderError> {
        let mqtt = self
            .state
            .relays()
            .mqtt
            .clone()
            .ok_or_else(|| ProviderError::Retry("no MQTT broker configured".to_owned()))?;
        if self.presence(&device.id).await? == Some(Presence::Offline) {
            return Err(ProviderError::Retry("the device is offline".to_owned()));
        }
        match mqtt.publish(&device.id, command).await {
            Ok(()) => self.step(command, CommandEvent::Sent, None).await,
            Err(PublishError::Down) => {
                Err(ProviderError::Retry("the broker link is down".to_owned()))
            }
            Err(error @ PublishError::NoPuback(_)) => {
                let why = format!("{error}: it may have reached the device");
                self.sent_then_timed_out(command, &why).await?;
                Err(ProviderError::Unknown(why))
            }
        }
    }

    async fn over_modbus(
        &self,
        device: &Device,
        command: &CommandMessage,
    ) -> Result<(), ProviderError> {
        let switches = self.state.devices().switches();
        let on = command.set.is_on();
        let outcome = switches
            .switch(&device.id, command.channel, on)
            .await
            .ok_or_else(|| ProviderError::Retry("the board is not being polled".to_owned()))?;
        match outcome {
            Ok(coil) => {
                let note = (!coil.wrote).then_some("the coil already held it: nothing written");
                self.step(command, CommandEvent::Sent, note).await?;
                let reading = [(command.channel, Switch::from_bool(coil.readback))];
                let now = self.state.clock().now();
                super::feedback::observe(&self.state, &device.id, &reading, now)
                    .await
                    .map_err(ProviderError::Retry)
            }
            // Nothing was written: it waits for the link, until its expiry; the next try
            // reads the coil first again.
            Err(SwitchFailure {
                failure: failure @ (LinkFailure::Config(_) | LinkFailure::Exception { .. }),
                ..
            }) => {
                let why = format!("the board refused: {failure}");
                self.step(command, CommandEvent::Refused, Some(&why))
                    .await?;
                Err(ProviderError::Refused(why))
            }
            Err(SwitchFailure {
                failure,
                may_have_written: false,
            }) => Err(ProviderError::Retry(failure.to_string())),
            Err(SwitchFailure { failure, .. }) => {
                let why = format!("the board stopped answering mid-command: {failure}");
                self.sent_then_timed_out(command, &why).await?;
                Err(ProviderError::Unknown(why))
            }
        }
    }

    async fn presence(&self, device: &DeviceId) -> Result<Option<Presence>, ProviderError> {
        let id = device.clone();
        let now = self.state.clock().now();
        let found = self
            .state
            .blocking(move |store| store.device_health(&id, now))
            .await
            .map_err(|f| ProviderError::Retry(f.body.message))?;
        Ok(found.and_then(|(_, health)| health.presence))
    }

    async fn step(
        &self,
        command: &CommandMessage,
        event: CommandEvent,
        detail: Option<&str>,
    ) -> Result<(), ProviderError> {
        let id = command.command_id.clone();
        let detail = detail.map(str::to_owned);
        let now = self.state.clock().now();
        let stepped = self
            .state
            .blocking(move |store| store.step_command(&id, event, detail.as_deref(), now))
            .await
            .map_err(|f| ProviderError::Unknown(f.body.message))?;
        if let Some(stepped) = stepped {
            self.state.advance_head(stepped.head);
            self.state.relays().sweep.notify_one();
        }
        Ok(())
    }

    async fn sent_then_timed_out(
        &self,
        command: &CommandMessage,
        why: &str,
    ) -> Result<(), ProviderError> {
        self.step(command, CommandEvent::Sent, None).await?;
        self.step(command, CommandEvent::TimedOut, Some(why)).await
    }
}

impl Provider for RelayProvider {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(self.hand_over(row))
    }
}
