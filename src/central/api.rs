//! The router: the one table of routes that both the server and the OpenAPI
//! test read, so a route cannot be added without the test noticing an undocumented operation.
//!
//! Each route names the [`Access`] it demands; the router wraps its handler in
//! [`auth::guard`], so guarding a route is one word in the table:
//!
//! ```text
//! route(Verb::Get, "/observations/view", Access::Requires(Capability::Read), get(handlers::view)),
//! ```

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use super::auth::{self, Access};
use super::channels::routes as channel_routes;
use super::core::AppState;
use super::error;
use super::health;
use super::limits;
use super::{
    JSON_BODY_BYTES, MAX_BODY_BYTES, accounts, admin_status, audit, callout, devices, handlers,
    imports, maintenance_windows, on_call, recipients, relays, reports, snapshot, stream, upstream,
    version, warnings,
};
use crate::domain::access::Capability;
use crate::protocol::API_PREFIX;

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
    /// PATCH
    Patch,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

impl Verb {
    /// The method as HTTP writes it (`GET`); OpenAPI writes it lower-cased.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// One operation of the API.
#[derive(Debug)]
pub struct Route {
    /// Method.
    pub verb: Verb,
    /// Path under [`API_PREFIX`], axum syntax.
    pub path: &'static str,
    /// Who may call it; the router enforces it.
    pub access: Access,
    handler: MethodRouter<AppState>,
}

/// Every operation of `/api/v1`. The router is built from this table and nothing else; the
/// OpenAPI test compares it with the checked-in document in both directions, and the access
/// tests call every route as every role.
pub fn routes() -> Vec<Route> {
    use Access::{Public, Requires, SignedIn};
    use Capability::{
        ApproveWarning, CommandRelays, DispatchWarning, DraftWarning, ImportObservations,
        IngestObservations, ManageDevices, ManageRecipients, ManageUsers, Read, ReadAudit,
    };
    let route = |verb, path, access, handler| Route {
        verb,
        path,
        access,
        handler,
    };
    vec![
        route(Verb::Get, "/health", Public, get(health::health)),
        // The reasons of a degraded central: administrators run the server's accounts and
        // are the only role that administers it.
        route(
            Verb::Get,
            "/health/detail",
            Requires(ManageUsers),
            get(health::detail),
        ),
        route(Verb::Get, "/openapi.json", Public, get(handlers::openapi)),
        // What protocol, change kinds and features this central serves: desks read it before
        // syncing, and one too new for its central says what it cannot do there.
        route(Verb::Get, "/version", Public, get(version::version)),
        route(
            Verb::Get,
            "/stations",
            Requires(Read),
            get(handlers::stations),
        ),
        route(
            Verb::Post,
            "/observations",
            Requires(IngestObservations),
            post(handlers::ingest).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        ),
        route(
            Verb::Get,
            "/observations/latest",
            Requires(Read),
            get(handlers::latest),
        ),
        route(
            Verb::Get,
            "/observations/series",
            Requires(Read),
            get(handlers::series),
        ),
        route(
            Verb::Get,
            "/observations/view",
            Requires(Read),
            get(handlers::view),
        ),
        // Older hours of one series, for a desk that holds them only as rollups.
        route(
            Verb::Get,
            "/observations/chunks",
            Requires(Read),
            get(snapshot::series_chunks),
        ),
        route(
            Verb::Post,
            "/imports",
            Requires(ImportObservations),
            post(imports::import).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        ),
        // The device registry: technicians register and change devices, everyone reads them
        // with their health.
        route(
            Verb::Get,
            "/devices",
            Requires(Read),
            get(devices::routes::list),
        ),
        route(
            Verb::Post,
            "/devices",
            Requires(ManageDevices),
            post(devices::routes::register),
        ),
        route(
            Verb::Put,
            "/devices/{id}",
            Requires(ManageDevices),
            put(devices::routes::replace),
        ),
        route(
            Verb::Get,
            "/devices/{id}/health",
            Requires(Read),
            get(devices::routes::health),
        ),
        // Device alarms: everyone sees them, technicians handle them.
        route(
            Verb::Get,
            "/device-alarms",
            Requires(Read),
            get(devices::alarm_routes::list),
        ),
        route(
            Verb::Get,
            "/device-alarms/{id}",
            Requires(Read),
            get(devices::alarm_routes::detail),
        ),
        route(
            Verb::Post,
            "/device-alarms/{id}/acknowledge",
            Requires(ManageDevices),
            post(devices::alarm_routes::acknowledge),
        ),
        route(
            Verb::Post,
            "/device-alarms/{id}/assign",
            Requires(ManageDevices),
            post(devices::alarm_routes::assign),
        ),
        route(
            Verb::Post,
            "/device-alarms/{id}/comments",
            Requires(ManageDevices),
            post(devices::alarm_routes::comment),
        ),
        // Relays: everyone sees them and their commands; who may switch a relay is its class's
        // row of the matrix, checked by the handler once it knows the relay.
        route(
            Verb::Get,
            "/relays",
            Requires(Read),
            get(relays::routes::relays),
        ),
        route(
            Verb::Get,
            "/relay-commands",
            Requires(Read),
            get(relays::routes::list),
        ),
        route(
            Verb::Post,
            "/relay-commands",
            Requires(CommandRelays),
            post(relays::routes::command),
        ),
        route(
            Verb::Get,
            "/relay-commands/{id}",
            Requires(Read),
            get(relays::routes::get),
        ),
        route(
            Verb::Post,
            "/relay-commands/{id}/cancel",
            Requires(CommandRelays),
            post(relays::routes::cancel),
        ),
        // Automations propose; people allowed to switch the relay's class decide.
        route(
            Verb::Get,
            "/relay-proposals",
            Requires(Read),
            get(relays::proposals::list),
        ),
        route(
            Verb::Post,
            "/relay-proposals/{id}/confirm",
            Requires(CommandRelays),
            post(relays::proposals::confirm),
        ),
        route(
            Verb::Post,
            "/relay-proposals/{id}/dismiss",
            Requires(CommandRelays),
            post(relays::proposals::dismiss),
        ),
        // Maintenance windows: technicians record them, everyone reads them.
        route(
            Verb::Get,
            "/maintenance",
            Requires(Read),
            get(maintenance_windows::list),
        ),
        route(
            Verb::Post,
            "/maintenance",
            Requires(ManageDevices),
            post(maintenance_windows::create),
        ),
        route(
            Verb::Patch,
            "/maintenance/{id}",
            Requires(ManageDevices),
            patch(maintenance_windows::update),
        ),
        // Warnings: forecasters draft, supervisors approve or return, either releases; the
        // rules beyond the role (approver ≠ drafter, the pin) are the handlers'.
        route(Verb::Get, "/warnings", Requires(Read), get(warnings::list)),
        route(
            Verb::Post,
            "/warnings",
            Requires(DraftWarning),
            post(warnings::submit),
        ),
        route(
            Verb::Get,
            "/warnings/{id}",
            Requires(Read),
            get(warnings::one),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/revise",
            Requires(DraftWarning),
            post(warnings::revise),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/approve",
            Requires(ApproveWarning),
            post(warnings::approve),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/return",
            Requires(ApproveWarning),
            post(warnings::send_back),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/sign-alone",
            Requires(DraftWarning),
            post(warnings::sign_alone),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/release",
            Requires(DispatchWarning),
            post(warnings::release),
        ),
        route(
            Verb::Get,
            "/warnings/{id}/cap",
            Requires(Read),
            get(warnings::cap),
        ),
        // Who has the warning and who has not: names to every reader, numbers masked
        // unless the reader manages recipients.
        route(
            Verb::Get,
            "/warnings/{id}/deliveries",
            Requires(Read),
            get(warnings::deliveries::deliveries),
        ),
        // Retrying failed messages and resending unknown ones are decisions of whoever may
        // dispatch: the duty forecaster on a typhoon night, or the supervisor. Audited.
        route(
            Verb::Post,
            "/warnings/{id}/deliveries/retry",
            Requires(DispatchWarning),
            post(warnings::deliveries::decisions::retry),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/deliveries/resend",
            Requires(DispatchWarning),
            post(warnings::deliveries::decisions::resend),
        ),
        // 叫应: names to every reader, numbers masked unless the reader manages recipients;
        // the duty forecaster (and up) may reveal one, audited, and log phone calls.
        route(
            Verb::Get,
            "/warnings/{id}/callout",
            Requires(Read),
            get(callout::handlers::show),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/callout/{line}/reveal",
            Requires(DispatchWarning),
            post(callout::handlers::reveal),
        ),
        route(
            Verb::Post,
            "/warnings/{id}/callout/{line}/calls",
            Requires(DispatchWarning),
            post(callout::handlers::log_call),
        ),
        route(
            Verb::Get,
            "/warnings/{id}/callout/export",
            Requires(Read),
            get(callout::handlers::export),
        ),
        route(
            Verb::Get,
            "/callout/roster",
            Requires(Read),
            get(callout::handlers::roster_show),
        ),
        route(
            Verb::Post,
            "/callout/roster",
            Requires(ManageRecipients),
            post(callout::handlers::roster_confirm),
        ),
        route(
            Verb::Get,
            "/changes",
            Requires(Read),
            get(handlers::changes),
        ),
        route(Verb::Get, STREAM_PATH, Requires(Read), get(stream::stream)),
        // A new desk's bootstrap: the head, then older hours and daily rollups in parts.
        route(Verb::Get, "/snapshot", Requires(Read), get(snapshot::head)),
        route(
            Verb::Get,
            "/snapshot/chunks",
            Requires(Read),
            get(snapshot::chunks),
        ),
        route(
            Verb::Get,
            "/snapshot/rollups",
            Requires(Read),
            get(snapshot::rollups),
        ),
        // Accounts: one's own session.
        route(Verb::Post, "/auth/login", Public, post(accounts::login)),
        route(Verb::Get, "/auth/session", SignedIn, get(accounts::session)),
        route(Verb::Post, "/auth/logout", SignedIn, post(accounts::logout)),
        route(
            Verb::Post,
            "/auth/password",
            SignedIn,
            post(accounts::change_password),
        ),
        // Accounts: administration.
        route(
            Verb::Get,
            "/users",
            Requires(ManageUsers),
            get(accounts::users),
        ),
        route(
            Verb::Post,
            "/users",
            Requires(ManageUsers),
            post(accounts::create_user),
        ),
        route(
            Verb::Patch,
            "/users/{username}",
            Requires(ManageUsers),
            patch(accounts::update_user),
        ),
        route(
            Verb::Post,
            "/users/{username}/password",
            Requires(ManageUsers),
            post(accounts::reset_password),
        ),
        route(
            Verb::Get,
            "/device-keys",
            Requires(ManageUsers),
            get(accounts::device_keys),
        ),
        route(
            Verb::Post,
            "/device-keys",
            Requires(ManageUsers),
            post(accounts::issue_device_key),
        ),
        route(
            Verb::Delete,
            "/device-keys/{name}",
            Requires(ManageUsers),
            delete(accounts::revoke_device_key),
        ),
        route(Verb::Get, "/audit", Requires(ReadAudit), get(audit::audit)),
        // The city's and province's warnings in force, read from the CAP files they send.
        route(
            Verb::Get,
            "/warnings/upstream",
            Requires(Read),
            get(upstream::list),
        ),
        // The signal set warnings are judged by, so desks judge by the same.
        route(
            Verb::Get,
            "/warnings/signals",
            Requires(Read),
            get(warnings::signals),
        ),
        // The Official Account's URL check and pushes: no bearer token (WeChat has none), but
        // signed with the configured callback token, which the handlers verify.
        route(
            Verb::Get,
            WECHAT_CALLBACK_PATH,
            Public,
            get(channel_routes::wechat_handshake),
        ),
        route(
            Verb::Post,
            WECHAT_CALLBACK_PATH,
            Public,
            post(channel_routes::wechat_push),
        ),
        // Messages per channel and state: counts only.
        route(
            Verb::Get,
            "/outbox/summary",
            Requires(Read),
            get(channel_routes::summary),
        ),
        // The people warnings go to: everyone reads (numbers masked unless ManageRecipients);
        // supervisors and administrators keep the list.
        route(
            Verb::Get,
            "/recipients",
            Requires(Read),
            get(recipients::handlers::list),
        ),
        route(
            Verb::Post,
            "/recipients",
            Requires(ManageRecipients),
            post(recipients::handlers::create),
        ),
        route(
            Verb::Put,
            "/recipients/{id}",
            Requires(ManageRecipients),
            put(recipients::handlers::update),
        ),
        route(
            Verb::Delete,
            "/recipients/{id}",
            Requires(ManageRecipients),
            delete(recipients::handlers::remove),
        ),
        route(
            Verb::Post,
            "/recipients/import",
            Requires(ManageRecipients),
            // The JSON routes' limit (2 MiB): a county's few thousand people fit many times.
            post(recipients::handlers::import),
        ),
        route(
            Verb::Get,
            "/recipients/counts",
            Requires(Read),
            get(recipients::handlers::counts),
        ),
        // Who is on call (names to every reader, numbers masked unless ManageRecipients); the
        // supervisor (值班领导) arranges duty; every alarm's messages, as a warning's.
        route(
            Verb::Get,
            "/on-call",
            Requires(Read),
            get(on_call::handlers::roster),
        ),
        route(
            Verb::Put,
            "/on-call/{day}",
            Requires(ApproveWarning),
            put(on_call::handlers::set),
        ),
        route(
            Verb::Get,
            "/alarms/{id}",
            Requires(Read),
            get(on_call::handlers::deliveries),
        ),
        // The supervisor's view: those who answer for the service (read_audit).
        route(
            Verb::Get,
            "/reports/service",
            Requires(ReadAudit),
            get(reports::service),
        ),
        // Operations: background workers, disk space, certificate expiry.
        route(
            Verb::Get,
            "/admin/status",
            Requires(ManageUsers),
            get(admin_status::status),
        ),
    ]
}

/// Where the Official Account's server configuration points (under the API prefix).
pub const WECHAT_CALLBACK_PATH: &str = "/channels/wechat/callback";

/// The live stream's path: the one route without a time limit.
const STREAM_PATH: &str = "/stream";

/// `(method, full path)` of every operation, e.g. `("GET", "/api/v1/health")`.
pub fn operations() -> Vec<(Verb, String)> {
    routes()
        .into_iter()
        .map(|r| (r.verb, format!("{API_PREFIX}{}", r.path)))
        .collect()
}

/// The API's router over `state`: every route of [`routes`], JSON errors for unknown paths
/// and methods.
pub fn router(state: AppState) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |api, r| {
            // `route_layer`: the guard wraps the handler only, so a method the path does not
            // serve still answers 405 rather than 401. Writes pass the guard first, then the
            // database's write gate.
            let handler = match r.verb {
                Verb::Get => r.handler,
                Verb::Post | Verb::Patch | Verb::Put | Verb::Delete => r.handler.route_layer(
                    axum::middleware::from_fn_with_state(state.clone(), health::write_gate),
                ),
            };
            let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), r.access),
                auth::guard,
            ));
            // Every answer within the time limit, the live stream apart: it is meant to last.
            let limit = state.limits().request_timeout;
            let guarded = if r.path == STREAM_PATH {
                guarded
            } else {
                guarded.route_layer(axum::middleware::from_fn(move |request, next| {
                    limits::time_limit(limit, request, next)
                }))
            };
            api.route(&format!("{API_PREFIX}{}", r.path), guarded)
        })
        // After the routes: the method fallback is installed on those that exist.
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::not_found)
        // Outside the routes: the ingest and import routes' own limits replace this one.
        .layer(DefaultBodyLimit::max(JSON_BODY_BYTES))
        .with_state(state)
}
