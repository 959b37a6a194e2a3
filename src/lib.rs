//! # wxdesk — a duty console for a county meteorological bureau (县气象局)
//!
//! First for Qingliu County (清流县, Sanming, Fujian). One package, one binary with
//! subcommands; this crate doc is the architecture map.
//!
//! ```text
//!  stations, devices ──MQTT/Modbus──▶ central ◀──HTTP /api/v1 + SSE stream── console (one per desk)
//!                                     │ ingest → store (SQLite WAL) → change log
//!                                     │ POST imports (files, all or nothing) · maintenance windows
//!                                     │ GET stations · latest · series · view · changes · stream
//!                                     │ every call: bearer token → role → capability matrix → audit
//! ```
//!
//! ## Layers (the folder tree is the architecture)
//!
//! | module | owns | may use |
//! |---|---|---|
//! | [`domain`] | stations, townships, elements & units, observations, time, geometry, QC rules, roles & the capability matrix, the audit chain: pure types and rules | std, serde, chrono, sha2 |
//! | [`protocol`] | `/api/v1` DTOs and their conversions; the OpenAPI document | domain |
//! | [`formats`] | files read at the edge: MICAPS types 1 and 3, CSV; CAP 1.2 warnings in and out | domain |
//! | [`store`] | SQLite set-up, migrations, the observation table, central database, console cache | domain; the central's store also protocol (its change log holds wire payloads) |
//! | [`central`] | axum server: ingest, queries, change log, live stream, accounts, the guard of every route, audit, TLS, the bounds on requests, streams and connections, database health (degraded: reads only), backup and restore; `central.toml`; one core shared with supervised background workers (backups, integrity check, outbox dispatch) | domain, protocol, store |
//! | [`sim`] | the station simulator driven by real hourly data | domain, protocol |
//! | [`console`] | `backend` (tokio thread: sync, stream, session & accounts), `state` (`AppState::apply`), `ui` (egui views) | domain, protocol, store; `ui` only domain + state + messages |
//! | [`embedded`] | the no-configuration default: central + simulator in-process on 127.0.0.1 | central, sim, store |
//! | [`assets`] | data and fonts compiled into the binary, each with its provenance in `assets/` | domain |
//!
//! ## Flow inside the console
//!
//! `ui` reads `&AppState`, keeps its own view state and emits [`console::messages::Command`]s
//! into a bounded channel; the backend thread does all I/O and answers with
//! [`console::messages::Event`]s, which `App::logic` folds into the state with
//! `AppState::apply` before the frame is drawn. Views never do I/O; the backend never touches
//! widgets.
//!
//! ## Sync
//!
//! Every write the central accepts appends one change to a change log in the same transaction,
//! with a gap-free increasing `seq`; a change names what changed (the hours of series whose
//! stored chunk changed, a maintenance window's state) rather than copying values. A console
//! pages through `GET /api/v1/changes?after=cursor` into its cache — each page carries the
//! current chunk of every hour it names, which replaces the console's copy — then follows
//! `GET /api/v1/stream` (server-sent events, resumable by `Last-Event-ID`), advancing its cursor
//! in the same transaction as the data. The cursor is opaque text to desks. Sync is versioned
//! (protocol 2, the `wxdesk-protocol` header): a desk skips and counts change kinds it does not
//! know and replays them once a newer build knows them; an older desk is told to update. When
//! the central is unreachable it keeps showing the cache, says so, retries with back-off and
//! resumes from its cursor.
//!
//! ## Access
//!
//! Every route of the central names the capability it demands ([`central::Access`]); a
//! guard checks the caller's bearer token (a user's 12-hour session or a device key) against
//! the one matrix in [`domain::access`] and records refusals in the hash-chained audit log
//! ([`domain::audit`]). The console logs in, remembers the session in the OS keyring (or a 0600
//! file), hides what the role may not do and says why; offline it reads its cache only.
//!
//! Every refusal of the central is a code of the one registry, [`domain::refusal::Code`], with
//! named parameters; the console says it in the user's language from those
//! (`console::ui::i18n`), never from the central's English message.
//!
//! ## Conventions
//!
//! Times are stored as UTC Unix milliseconds and shown in Beijing time (UTC+8). Positions are
//! WGS84/CGCS2000. Elements use CMA codes (`TEM`, `RHU`, `PRE_1h` …) in SI units; a missing value
//! is absent, never 0 or 9999.

pub mod assets;
pub mod central;
pub mod cli;
pub mod console;
pub mod domain;
pub mod embedded;
pub mod formats;
pub mod protocol;
pub mod sim;
pub mod store;
#[cfg(test)]
mod test_support;
