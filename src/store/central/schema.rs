//! The central's schema (migrations) and the station network's tables: seeded once from the
//! shipped catalogue, read back for `GET /api/v1/stations`.

use rusqlite::{Connection, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::geo::LatLon;
use crate::domain::{Network, Station, StationId, Township, TownshipCode};
use crate::store::sqlite::Migration;
use crate::store::{Context as _, StoreError, maintenance, observations, rollups};

/// The network and the change log. `seq` is `AUTOINCREMENT` so a number is never reused, even
/// after the newest row is deleted; under SQLite's single writer it is gap-free and in commit
/// order (a rolled-back insert also rolls back `sqlite_sequence`).
const NETWORK_AND_CHANGE_LOG: &str = "
CREATE TABLE townships (
    code          INTEGER PRIMARY KEY,   -- NBS 2023 code
    name          TEXT    NOT NULL,
    level         TEXT    NOT NULL,      -- town | township
    seat_lat      REAL    NOT NULL,
    seat_lon      REAL    NOT NULL,
    seat_verified INTEGER NOT NULL
);
CREATE TABLE stations (
    id          TEXT    PRIMARY KEY,
    name_zh     TEXT    NOT NULL,
    name_en     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,        -- national | regional
    lat         REAL    NOT NULL,
    lon         REAL    NOT NULL,
    altitude_m  REAL    NOT NULL,
    township    INTEGER NOT NULL REFERENCES townships(code),
    uncertainty TEXT                     -- what the sources disagree about, if anything
);
CREATE TABLE change_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at INTEGER NOT NULL,        -- Unix ms, UTC
    data        TEXT    NOT NULL         -- protocol::ChangeData as JSON
);
";

/// A random identity for this database, so a console can tell a replaced central (whose change
/// log restarted) from the one it synced with, even when the new log is already longer.
const INSTANCE: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(16))));
";

/// Every migration of the central's database, oldest first. Never edit a released step.
pub const MIGRATIONS: [Migration; 25] = [
    Migration {
        name: "observations",
        sql: observations::SCHEMA,
    },
    Migration {
        name: "network and change log",
        sql: NETWORK_AND_CHANGE_LOG,
    },
    Migration {
        name: "instance identity",
        sql: INSTANCE,
    },
    Migration {
        name: "accounts, sessions, device keys and the audit log",
        sql: super::audit::SCHEMA,
    },
    Migration {
        name: "observations in hourly chunks",
        sql: observations::CHUNKS_SCHEMA,
    },
    Migration {
        name: "observation rollups",
        sql: rollups::SCHEMA,
    },
    Migration {
        name: "maintenance windows",
        sql: maintenance::SCHEMA,
    },
    Migration {
        name: "device key claims",
        sql: super::audit::CLAIMS_SCHEMA,
    },
    Migration {
        name: "outbox",
        sql: super::outbox::SCHEMA,
    },
    Migration {
        name: "hour aggregates in the chunk rows",
        sql: observations::HOUR_IN_CHUNKS,
    },
    Migration {
        name: "warnings",
        sql: super::warnings::SCHEMA,
    },
    Migration {
        name: "change kinds in their own column",
        sql: super::change_row::KIND_COLUMN,
    },
    Migration {
        name: "outbox delivery receipts by part",
        sql: super::outbox::receipts::SCHEMA,
    },
    Migration {
        name: "inbound messages (SMS replies, followers' answers)",
        sql: super::outbox::inbound::SCHEMA,
    },
    Migration {
        name: "warning recipients",
        sql: super::recipients::SCHEMA,
    },
    Migration {
        name: "on-call roster and alarms",
        sql: super::on_call::SCHEMA,
    },
    Migration {
        name: "outbox resend marks (decision or policy)",
        sql: super::outbox::decisions::SCHEMA,
    },
    Migration {
        name: "call and response (叫应): lines, phone calls, roster confirmations",
        sql: super::callout::SCHEMA,
    },
    Migration {
        name: "inbound messages kept once by the gateway's id",
        sql: super::outbox::inbound::MESSAGE_ID,
    },
    Migration {
        name: "call-and-response lines found by the reply that answered them",
        sql: super::callout::BY_REPLY,
    },
    Migration {
        name: "device registry and device health",
        sql: super::devices::SCHEMA,
    },
    Migration {
        name: "device alarms and their timelines",
        sql: super::device_alarms::SCHEMA,
    },
    Migration {
        name: "device visits recorded by maintenance windows",
        sql: super::maintenance::VISITS_SCHEMA,
    },
    Migration {
        name: "relay commands and relay states",
        sql: super::relays::SCHEMA,
    },
    Migration {
        name: "relay automation proposals and rule states",
        sql: super::relays::PROPOSALS_SCHEMA,
    },
];

/// The database's random identity.
pub fn instance(conn: &Connection) -> Result<String, StoreError> {
    conn.query_row("SELECT value FROM meta WHERE key = 'instance'", [], |r| {
        r.get(0)
    })
    .context("reading the central's instance id")
}

/// Gives the database a new random identity (a restored copy is a different database to the
/// desks that synced with the original); returns it.
pub fn renew_instance(conn: &Connection) -> Result<String, StoreError> {
    conn.execute(
        "UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = 'instance'",
        [],
    )
    .context("renewing the central's instance id")?;
    instance(conn)
}

/// Writes `network` into empty network tables; returns whether it did. A database that already
/// holds a network keeps it: the database, not the binary's catalogue, is the central's truth.
pub fn seed_network(conn: &mut Connection, network: &Network) -> Result<bool, StoreError> {
    let tx = conn.transaction().context("starting network seed")?;
    let existing: i64 = tx
        .query_row("SELECT count(*) FROM stations", [], |r| r.get(0))
        .context("counting stations")?;
    if existing > 0 {
        return Ok(false);
    }
    for t in &network.townships {
        tx.execute(
            "INSERT INTO townships (code, name, level, seat_lat, seat_lon, seat_verified)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                t.code.0,
                t.name,
                enum_text(&t.level)?,
                t.seat.lat,
                t.seat.lon,
                t.seat_verified
            ],
        )
        .context("seeding townships")?;
    }
    for s in &network.stations {
        tx.execute(
            "INSERT INTO stations (id, name_zh, name_en, kind, lat, lon, altitude_m, township, uncertainty)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                s.id.as_str(),
                s.name_zh,
                s.name_en,
                enum_text(&s.kind)?,
                s.location.lat,
                s.location.lon,
                s.altitude_m,
                s.township.0,
                s.uncertainty
            ],
        )
        .context("seeding stations")?;
    }
    tx.commit().context("committing network seed")?;
    tracing::info!(
        stations = network.stations.len(),
        townships = network.townships.len(),
        "station network seeded"
    );
    Ok(true)
}

/// The network as stored, townships in code order and stations in id order.
pub fn read_network(conn: &Connection) -> Result<Network, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT code, name, level, seat_lat, seat_lon, seat_verified FROM townships ORDER BY code",
        )
        .context("preparing township query")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, f64>(3)?,
                r.get::<_, f64>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })
        .context("querying townships")?;
    let mut townships = Vec::new();
    for row in rows {
        let (code, name, level, lat, lon, seat_verified) = row.context("reading township")?;
        townships.push(Township {
            code: TownshipCode(code),
            name,
            level: enum_from_text(&level)?,
            seat: LatLon::new(lat, lon),
            seat_verified,
        });
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, name_zh, name_en, kind, lat, lon, altitude_m, township, uncertainty
             FROM stations ORDER BY id",
        )
        .context("preparing station query")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                LatLon::new(r.get(4)?, r.get(5)?),
                r.get::<_, f64>(6)?,
                r.get::<_, u32>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })
        .context("querying stations")?;
    let mut stations = Vec::new();
    for row in rows {
        let (id, name_zh, name_en, kind, location, altitude_m, township, uncertainty) =
            row.context("reading station")?;
        stations.push(Station {
            id: StationId::parse(&id).map_err(|e| StoreError::Decode(e.to_string()))?,
            name_zh,
            name_en,
            kind: enum_from_text(&kind)?,
            location,
            altitude_m,
            township: TownshipCode(township),
            uncertainty,
        });
    }
    Ok(Network {
        townships,
        stations,
    })
}

/// Whether `id` is a station of the stored network.
pub fn station_exists(conn: &Connection, id: &StationId) -> Result<bool, StoreError> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM stations WHERE id = ?1)")
        .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)))
        .context("looking up station")
}

/// A value as the JSON the database keeps of it (a record, a list, a tagged state).
pub(super) fn json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode(e.to_string()))
}

/// The inverse of [`json`].
pub(super) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Decode(format!("{text:?}: {e}")))
}

/// A unit-only enum as the text serde gives it (`national`), so the database reads like the API.
pub(super) fn enum_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        other => Err(StoreError::Decode(format!(
            "expected a unit enum, got {other:?}"
        ))),
    }
}

/// The inverse of [`enum_text`].
pub(super) fn enum_from_text<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| StoreError::Decode(format!("{text:?}: {e}")))
}
