//! Relay commands and relay states as the central keeps them. A command is one row (its whole
//! record as JSON, its state and next deadline as columns for the sweeps) and, queued in the
//! same transaction, one outbox row keyed by its id, so the dispatcher hands it over at most
//! once unless a person decides otherwise. Every change of a command or of a relay's observed
//! state is written to the change log in the transaction that makes it.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::audit;
use super::ingest::append_change;
use super::outbox::{self, NewMessage};
use super::schema::{from_json, json};
use crate::domain::Timestamp;
use crate::domain::audit::AuditKey;
use crate::domain::audit::AuditRecord;
use crate::domain::devices::DeviceId;
use crate::domain::outbox::OutboxState;
use crate::domain::relays::command::Deadlines;
use crate::domain::relays::{Command, CommandId, Switch};
use crate::protocol::ChangeData;
use crate::protocol::relays::{ObservedState, Proposal, RelayStateChange};
use crate::store::{Context as _, StoreError};

/// Migration 24: relay commands and relay states.
pub const SCHEMA: &str = "
CREATE TABLE relay_commands (
    id         TEXT    PRIMARY KEY,            -- the command id the desk made
    device     TEXT    NOT NULL REFERENCES devices(id),
    channel    INTEGER NOT NULL,
    state      TEXT    NOT NULL,               -- domain::relays::CommandState code
    record     TEXT    NOT NULL,               -- domain::relays::Command as JSON
    created_at INTEGER NOT NULL,
    deadline   INTEGER                         -- its next deadline, Unix ms; NULL: none
);
CREATE INDEX relay_commands_due ON relay_commands (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX relay_commands_by_relay ON relay_commands (device, channel, created_at);
CREATE TABLE relay_states (
    device  TEXT    NOT NULL REFERENCES devices(id),
    channel INTEGER NOT NULL,
    on_     INTEGER NOT NULL,
    at      INTEGER NOT NULL,                  -- when last read
    since   INTEGER NOT NULL,                  -- when it became so
    PRIMARY KEY (device, channel)
) WITHOUT ROWID;
";

/// The outbox kind of relay commands.
pub const OUTBOX_KIND: &str = "relay";

/// The outbox key of command `id`.
pub fn outbox_key(id: &CommandId) -> String {
    format!("relay:{id}")
}

/// What queueing a command came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    /// Queued now.
    New(Command),
    /// The same command was queued before (a desk's retry): as it now stands.
    Again(Command),
    /// Its id is another command's.
    Conflict(Command),
}

/// Queues `command` with its outbox row, logs it and writes `record` to the audit chain.
pub fn queue(
    conn: &Connection,
    command: &Command,
    payload: &str,
    seal: Option<&AuditKey>,
    record: AuditRecord,
) -> Result<Queued, StoreError> {
    if let Some(existing) = get(conn, &command.id)? {
        let same = existing.device == command.device
            && existing.channel == command.channel
            && existing.target == command.target;
        return Ok(if same {
            Queued::Again(existing)
        } else {
            Queued::Conflict(existing)
        });
    }
    let message = NewMessage {
        idem_key: outbox_key(&command.id),
        kind: OUTBOX_KIND.to_owned(),
        payload: payload.to_owned(),
        due_at: command.created_at,
    };
    outbox::enqueue_in(conn, &message, command.created_at)?;
    conn.execute(
        "INSERT INTO relay_commands (id, device, channel, state, record, created_at, deadline)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            command.id.as_str(),
            command.device.as_str(),
            command.channel,
            command.state.code(),
            json(command)?,
            command.created_at.0,
            deadline_of(command),
        ],
    )
    .context("queueing a relay command")?;
    append_change(
        conn,
        command.created_at,
        &ChangeData::RelayCommand(Box::new(command.clone())),
    )?;
    audit::append(conn, seal, record)?;
    Ok(Queued::New(command.clone()))
}

fn deadline_of(command: &Command) -> Option<i64> {
    command.deadline(Deadlines::default()).map(|(at, _)| at.0)
}

/// Writes `command`'s new state and logs it; `ended` is audited when the command is final.
pub fn update(
    conn: &Connection,
    command: &Command,
    deadlines: Deadlines,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE relay_commands SET state = ?2, record = ?3, deadline = ?4 WHERE id = ?1",
        params![
            command.id.as_str(),
            command.state.code(),
            json(command)?,
            command.deadline(deadlines).map(|(at, _)| at.0),
        ],
    )
    .context("updating a relay command")?;
    append_change(
        conn,
        now,
        &ChangeData::RelayCommand(Box::new(command.clone())),
    )?;
    Ok(())
}

/// Withdraws command `id`'s outbox row if nobody has claimed it yet, as `to` (cancelled or
/// expired). False: a dispatcher holds it (it is being sent) or it is gone.
pub fn withdraw(
    conn: &Connection,
    id: &CommandId,
    to: OutboxState,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            "UPDATE outbox SET state = ?2, updated_at = ?3 WHERE idem_key = ?1 AND state = 'queued'",
            params![outbox_key(id), to.code(), now.0],
        )
        .context("withdrawing a relay command's outbox row")?;
    Ok(changed == 1)
}

/// Command `id`, if there is one.
pub fn get(conn: &Connection, id: &CommandId) -> Result<Option<Command>, StoreError> {
    let record: Option<String> = conn
        .query_row(
            "SELECT record FROM relay_commands WHERE id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .optional()
        .context("reading a relay command")?;
    record.as_deref().map(from_json).transpose()
}

fn commands(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Command>, StoreError> {
    let mut statement = conn
        .prepare_cached(sql)
        .context("preparing relay commands")?;
    let records = statement
        .query_map(args, |r| r.get::<_, String>(0))
        .context("reading relay commands")?;
    records
        .map(|r| from_json(&r.context("reading a relay command")?))
        .collect()
}

/// The newest `limit` commands, newest first (of one device, if given).
pub fn recent(
    conn: &Connection,
    device: Option<&DeviceId>,
    limit: u32,
) -> Result<Vec<Command>, StoreError> {
    commands(
        conn,
        "SELECT record FROM relay_commands WHERE ?1 IS NULL OR device = ?1
         ORDER BY created_at DESC, rowid DESC LIMIT ?2",
        params![device.map(DeviceId::as_str), limit],
    )
}

/// Commands whose next deadline is at or before `now`.
pub fn due(conn: &Connection, now: Timestamp) -> Result<Vec<Command>, StoreError> {
    commands(
        conn,
        "SELECT record FROM relay_commands WHERE deadline IS NOT NULL AND deadline <= ?1
         ORDER BY deadline",
        [now.0],
    )
}

/// Queued commands whose hand-over ended without a recorded answer: the outbox recovered their
/// row as `unknown` (the central stopped mid-call). They may have reached the device.
pub fn handed_over_unknown(conn: &Connection) -> Result<Vec<Command>, StoreError> {
    commands(
        conn,
        "SELECT c.record FROM relay_commands c JOIN outbox o ON o.idem_key = 'relay:' || c.id
         WHERE c.state = 'queued' AND o.state = 'unknown'",
        [],
    )
}

/// Commands still under way (queued, sent or acknowledged) for relay `channel` of `device`.
pub fn open_for(
    conn: &Connection,
    device: &DeviceId,
    channel: u16,
) -> Result<Vec<Command>, StoreError> {
    commands(
        conn,
        "SELECT record FROM relay_commands WHERE device = ?1 AND channel = ?2
         AND state IN ('queued', 'sent', 'acknowledged') ORDER BY created_at",
        params![device.as_str(), channel],
    )
}

/// The latest command of each relay.
pub fn latest_per_relay(conn: &Connection) -> Result<Vec<Command>, StoreError> {
    commands(
        conn,
        "SELECT record FROM relay_commands c WHERE rowid = (SELECT rowid FROM relay_commands
         WHERE device = c.device AND channel = c.channel ORDER BY created_at DESC, rowid DESC
         LIMIT 1)",
        [],
    )
}

/// Records that relay `channel` of `device` reads `state` at `at`; logs it when it changed
/// (or was never read). Returns the change, if any.
pub fn observe(
    conn: &Connection,
    device: &DeviceId,
    channel: u16,
    state: Switch,
    at: Timestamp,
) -> Result<Option<RelayStateChange>, StoreError> {
    let before: Option<(bool, i64)> = conn
        .query_row(
            "SELECT on_, since FROM relay_states WHERE device = ?1 AND channel = ?2",
            params![device.as_str(), channel],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .context("reading a relay state")?;
    let changed = before.is_none_or(|(on, _)| on != state.is_on());
    let since = match before {
        Some((_, since)) if !changed => since,
        _ => at.0,
    };
    conn.execute(
        "INSERT INTO relay_states (device, channel, on_, at, since) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (device, channel) DO UPDATE SET on_ = ?3, at = ?4, since = ?5",
        params![device.as_str(), channel, state.is_on(), at.0, since],
    )
    .context("writing a relay state")?;
    if !changed {
        return Ok(None);
    }
    let change = RelayStateChange {
        device: device.clone(),
        channel,
        observed: ObservedState {
            state,
            at,
            since: Timestamp(since),
        },
    };
    append_change(conn, at, &ChangeData::RelayState(change.clone()))?;
    Ok(Some(change))
}

/// Every relay's observed state.
pub fn states(conn: &Connection) -> Result<Vec<(DeviceId, u16, ObservedState)>, StoreError> {
    let mut statement = conn
        .prepare_cached("SELECT device, channel, on_, at, since FROM relay_states")
        .context("preparing relay states")?;
    let rows = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u16>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .context("reading relay states")?;
    let mut states = Vec::new();
    for row in rows {
        let (device, channel, on, at, since) = row.context("reading a relay state")?;
        let device = DeviceId::parse(&device).map_err(|e| StoreError::Decode(e.to_string()))?;
        let observed = ObservedState {
            state: Switch::from_bool(on),
            at: Timestamp(at),
            since: Timestamp(since),
        };
        states.push((device, channel, observed));
    }
    Ok(states)
}

/// Migration 25: automation proposals, and whether each rule is armed.
pub const PROPOSALS_SCHEMA: &str = "
CREATE TABLE relay_proposals (
    id         INTEGER PRIMARY KEY,
    device     TEXT    NOT NULL REFERENCES devices(id),
    channel    INTEGER NOT NULL,
    rule       TEXT    NOT NULL,
    state      TEXT    NOT NULL,               -- protocol::relays::ProposalState
    record     TEXT    NOT NULL,               -- protocol::relays::Proposal as JSON
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX relay_proposals_open ON relay_proposals (device, channel, rule)
    WHERE state = 'open';
CREATE TABLE relay_rules_fired (
    device  TEXT    NOT NULL REFERENCES devices(id),
    channel INTEGER NOT NULL,
    rule    TEXT    NOT NULL,
    at      INTEGER NOT NULL,                  -- when it fired; the row goes when it re-arms
    PRIMARY KEY (device, channel, rule)
) WITHOUT ROWID;
";

/// Whether rule `rule` of relay `channel` of `device` is armed (it has not fired since its
/// reading last came back across the hysteresis).
pub fn armed(
    conn: &Connection,
    device: &DeviceId,
    channel: u16,
    rule: &str,
) -> Result<bool, StoreError> {
    let fired: Option<i64> = conn
        .query_row(
            "SELECT at FROM relay_rules_fired WHERE device = ?1 AND channel = ?2 AND rule = ?3",
            params![device.as_str(), channel, rule],
            |r| r.get(0),
        )
        .optional()
        .context("reading a rule's state")?;
    Ok(fired.is_none())
}

/// Marks the rule fired at `at` (disarmed), or re-armed.
pub fn set_fired(
    conn: &Connection,
    device: &DeviceId,
    channel: u16,
    rule: &str,
    fired: Option<Timestamp>,
) -> Result<(), StoreError> {
    match fired {
        Some(at) => conn.execute(
            "INSERT OR REPLACE INTO relay_rules_fired (device, channel, rule, at) VALUES (?1, ?2, ?3, ?4)",
            params![device.as_str(), channel, rule, at.0],
        ),
        None => conn.execute(
            "DELETE FROM relay_rules_fired WHERE device = ?1 AND channel = ?2 AND rule = ?3",
            params![device.as_str(), channel, rule],
        ),
    }
    .context("writing a rule's state")?;
    Ok(())
}

/// Adds an open proposal (its id is given by the table) and logs it.
pub fn propose(conn: &Connection, proposal: &Proposal) -> Result<Proposal, StoreError> {
    conn.execute(
        "INSERT INTO relay_proposals (device, channel, rule, state, record, created_at)
         VALUES (?1, ?2, ?3, 'open', '{}', ?4)",
        params![
            proposal.device.as_str(),
            proposal.channel,
            proposal.rule,
            proposal.created_at.0
        ],
    )
    .context("adding a proposal")?;
    let mut proposal = proposal.clone();
    proposal.id = u64::try_from(conn.last_insert_rowid()).unwrap_or_default();
    write_proposal(conn, &proposal, proposal.created_at)?;
    Ok(proposal)
}

/// Writes `proposal`'s new state and logs it.
pub fn write_proposal(
    conn: &Connection,
    proposal: &Proposal,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE relay_proposals SET state = ?2, record = ?3 WHERE id = ?1",
        params![
            i64::try_from(proposal.id).unwrap_or(i64::MAX),
            super::schema::enum_text(&proposal.state)?,
            json(proposal)?
        ],
    )
    .context("writing a proposal")?;
    append_change(
        conn,
        now,
        &ChangeData::RelayProposal(Box::new(proposal.clone())),
    )?;
    Ok(())
}

/// Proposal `id`.
pub fn proposal(conn: &Connection, id: u64) -> Result<Option<Proposal>, StoreError> {
    let record: Option<String> = conn
        .query_row(
            "SELECT record FROM relay_proposals WHERE id = ?1",
            [i64::try_from(id).unwrap_or(i64::MAX)],
            |r| r.get(0),
        )
        .optional()
        .context("reading a proposal")?;
    record.as_deref().map(from_json).transpose()
}

/// Open proposals, and those made since `since`, newest first.
pub fn proposals(conn: &Connection, since: Timestamp) -> Result<Vec<Proposal>, StoreError> {
    let mut statement = conn
        .prepare_cached(
            "SELECT record FROM relay_proposals WHERE state = 'open' OR created_at >= ?1
             ORDER BY created_at DESC, id DESC",
        )
        .context("preparing proposals")?;
    let records = statement
        .query_map([since.0], |r| r.get::<_, String>(0))
        .context("reading proposals")?;
    records
        .map(|r| from_json(&r.context("reading a proposal")?))
        .collect()
}

/// The open proposal of a rule, if any.
pub fn open_proposal(
    conn: &Connection,
    device: &DeviceId,
    channel: u16,
    rule: &str,
) -> Result<Option<Proposal>, StoreError> {
    let record: Option<String> = conn
        .query_row(
            "SELECT record FROM relay_proposals WHERE device = ?1 AND channel = ?2 AND rule = ?3
             AND state = 'open'",
            params![device.as_str(), channel, rule],
            |r| r.get(0),
        )
        .optional()
        .context("reading an open proposal")?;
    record.as_deref().map(from_json).transpose()
}
