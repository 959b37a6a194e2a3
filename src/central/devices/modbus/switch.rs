//! Switching a board's relay by Modbus: the board's polling task takes the command between
//! polls (one request at a time on its link, as the DTU's half-duplex bus needs), reads the
//! coil first, writes only if it differs, and reads it back. So a retried command never
//! switches twice, and what the central records as observed is what the board says after.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot};

use super::pdu::{Request, Response, Table};
use super::{BoardLink, LinkFailure};
use crate::domain::devices::DeviceId;

/// Commands waiting for one board's task, at most.
pub const QUEUE: usize = 8;

/// What a switch came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoilOutcome {
    /// The coil was written (false: it already held the value, nothing was written).
    pub wrote: bool,
    /// The coil as read back after.
    pub readback: bool,
}

/// Why a switch did not complete, and whether the write may have reached the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchFailure {
    /// What failed.
    pub failure: LinkFailure,
    /// The write was sent (its answer, or the read-back, is what failed): the coil may have
    /// changed. False: it failed before anything was written.
    pub may_have_written: bool,
}

impl SwitchFailure {
    fn before_write(failure: LinkFailure) -> Self {
        Self {
            failure,
            may_have_written: false,
        }
    }

    fn after_write(failure: LinkFailure) -> Self {
        Self {
            failure,
            may_have_written: true,
        }
    }
}

/// What a switch answers.
pub type SwitchResult = Result<CoilOutcome, SwitchFailure>;

/// A request to set relay `channel` of a board.
#[derive(Debug)]
pub struct CoilCommand {
    /// The relay's channel, from 1.
    pub channel: u16,
    /// The value to set.
    pub on: bool,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<SwitchResult>,
}

/// The polling boards' command queues, by board: the relay dispatcher's way in.
#[derive(Debug, Clone, Default)]
pub struct BoardSwitches(Arc<Mutex<HashMap<DeviceId, mpsc::Sender<CoilCommand>>>>);

impl BoardSwitches {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<DeviceId, mpsc::Sender<CoilCommand>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A board's task takes its commands from the receiver this returns.
    pub fn register(&self, board: &DeviceId) -> mpsc::Receiver<CoilCommand> {
        let (sender, receiver) = mpsc::channel(QUEUE);
        self.map().insert(board.clone(), sender);
        receiver
    }

    /// Sets relay `channel` of `board` and waits for the outcome. `None`: no task polls that
    /// board (not a Modbus board, or the Modbus worker is not running).
    pub async fn switch(&self, board: &DeviceId, channel: u16, on: bool) -> Option<SwitchResult> {
        let sender = self.map().get(board).cloned()?;
        let (reply, outcome) = oneshot::channel();
        let command = CoilCommand { channel, on, reply };
        sender.send(command).await.ok()?;
        outcome.await.ok()
    }
}

/// Reads coil `address` of `unit`, writes `on` if it differs, and reads it back.
pub async fn set_coil(link: &mut impl BoardLink, unit: u8, address: u16, on: bool) -> SwitchResult {
    let before = read_coil(link, unit, address)
        .await
        .map_err(SwitchFailure::before_write)?;
    if before == on {
        return Ok(CoilOutcome {
            wrote: false,
            readback: before,
        });
    }
    let write = Request::WriteCoil { address, on };
    match link.call(unit, &write).await {
        Ok(Response::CoilWritten { .. }) => {}
        // A refusal is a whole answer: nothing was written.
        Err(refused @ LinkFailure::Exception { .. }) => {
            return Err(SwitchFailure::before_write(refused));
        }
        Err(failure) => return Err(SwitchFailure::after_write(failure)),
        Ok(_) => {
            let garbled = LinkFailure::Garbled("not a write's echo".to_owned());
            return Err(SwitchFailure::after_write(garbled));
        }
    }
    let readback = read_coil(link, unit, address)
        .await
        .map_err(SwitchFailure::after_write)?;
    Ok(CoilOutcome {
        wrote: true,
        readback,
    })
}

async fn read_coil(link: &mut impl BoardLink, unit: u8, address: u16) -> Result<bool, LinkFailure> {
    let read = Request::Read {
        table: Table::Coils,
        address,
        count: 1,
    };
    match link.call(unit, &read).await? {
        Response::Bits(bits) => bits
            .first()
            .copied()
            .ok_or_else(|| LinkFailure::Garbled("no coil in the answer".to_owned())),
        _ => Err(LinkFailure::Garbled("not a coil read's answer".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A board of 8 coils in memory that counts writes.
    struct Board {
        coils: [bool; 8],
        writes: usize,
    }

    impl BoardLink for Board {
        async fn call(&mut self, _unit: u8, request: &Request) -> Result<Response, LinkFailure> {
            match *request {
                Request::Read { address, .. } => {
                    Ok(Response::Bits(vec![self.coils[usize::from(address)]]))
                }
                Request::WriteCoil { address, on } => {
                    self.coils[usize::from(address)] = on;
                    self.writes += 1;
                    Ok(Response::CoilWritten { address, on })
                }
            }
        }
    }

    #[tokio::test]
    async fn a_repeated_switch_reads_first_and_writes_once() {
        let mut board = Board {
            coils: [false; 8],
            writes: 0,
        };
        let first = set_coil(&mut board, 1, 2, true).await;
        let again = set_coil(&mut board, 1, 2, true).await;
        assert_eq!(
            first,
            Ok(CoilOutcome {
                wrote: true,
                readback: true
            })
        );
        assert_eq!(
            again,
            Ok(CoilOutcome {
                wrote: false,
                readback: true
            })
        );
        assert_eq!(board.writes, 1);
    }
}
