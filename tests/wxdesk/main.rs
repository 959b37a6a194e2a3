//! The one integration-test binary (one link on two cores): each module tests one capability
//! end to end.

// In tests and their helpers a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod support;

mod access;
mod api;
mod architecture;
mod audit_chain;
mod bootstrap;
mod bounds;
mod callout;
mod callout_kill;
mod channels;
// Shared with the dispatch bench, which uses all of it.
#[allow(dead_code)]
mod child_central;
mod cmpp;
mod dbhealth;
mod device_alarms;
mod device_faults;
mod devices;
mod dispatch_decisions;
mod dispatch_kill;
mod embedded;
mod imports;
mod maintenance;
mod modbus;
mod mqtt;
mod on_call;
mod openapi;
mod openapi_conformance;
mod openapi_constraints;
mod outbox;
mod outbox_receipts;
mod protocol;
mod recipients;
mod refusals;
mod relays;
mod reports;
mod security;
mod session;
mod signal_sets;
mod sim;
mod smpp;
mod sync;
mod ui;
mod ui_access;
mod ui_callout;
mod ui_callout_e2e;
mod ui_device_alarms;
mod ui_device_registry;
mod ui_devices;
mod ui_dispatch;
mod ui_drafts;
mod ui_history;
mod ui_recipients;
mod ui_relays;
mod ui_report;
mod ui_warnings_board;
mod ui_warnings_compose;
mod ui_warnings_e2e;
mod ui_warnings_suggest;
mod upstream;
mod warning_dispatch;
mod warning_wechat;
mod warnings;
mod wechat;
mod wechat_double;
mod workers;
mod xmllint;
