//! The console's background thread: a tokio runtime that syncs the local cache with the
//! central and follows its live stream. It reports through [`Event`]s and obeys [`Command`]s.

use crate::console::messages::{Command, Event};

/// Capacity of the event channel towards the UI.
pub const EVENT_CAPACITY: usize = 256;
/// Capacity of the command channel from the UI.
pub const COMMAND_CAPACITY: usize = 64;

/// The UI's end of the backend: commands out, events in. Never blocks the UI.
#[derive(Debug)]
pub struct Link {
    commands: tokio::sync::mpsc::Sender<Command>,
    events: tokio::sync::mpsc::Receiver<Event>,
}

/// The backend's end of a [`Link`].
#[derive(Debug)]
pub struct BackendEnds {
    /// Commands from the UI.
    pub commands: tokio::sync::mpsc::Receiver<Command>,
    /// Events to the UI.
    pub events: tokio::sync::mpsc::Sender<Event>,
}

/// A command the backend could not take: its queue is full or it has stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the background service is not accepting commands ({0})")]
pub struct CommandRefused(pub &'static str);

impl Link {
    /// A connected pair: the UI's end and the backend's end.
    pub fn pair() -> (Self, BackendEnds) {
        let (command_tx, command_rx) = tokio::sync::mpsc::channel(COMMAND_CAPACITY);
        let (event_tx, event_rx) = tokio::sync::mpsc::channel(EVENT_CAPACITY);
        (
            Self {
                commands: command_tx,
                events: event_rx,
            },
            BackendEnds {
                commands: command_rx,
                events: event_tx,
            },
        )
    }

    /// Queues a command without waiting.
    pub fn send(&self, command: Command) -> Result<(), CommandRefused> {
        self.commands.try_send(command).map_err(|e| match e {
            tokio::sync::mpsc::error::TrySendError::Full(_) => CommandRefused("queue full"),
            tokio::sync::mpsc::error::TrySendError::Closed(_) => CommandRefused("stopped"),
        })
    }

    /// Takes every event that has arrived, without waiting.
    pub fn drain(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }
}
