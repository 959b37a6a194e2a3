//! The router: shared state and the one table of routes that both the server and the OpenAPI
//! test read, so a route cannot be added without the test noticing an undocumented operation.
//!
//! Each route names the [`Access`] it demands; the router wraps its handler in
//! [`auth::guard`], so guarding a route is one word in the table:
//!
//! ```text
//! route(Verb::Get, "/observations/view", Access::Requires(Capability::Read), get(handlers::view)),
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, delete, get, patch, post};
use tokio::sync::watch;

use super::auth::{self, Access};
use super::error::{self, Failure};
use super::hashing::HashPool;
use super::throttle::{SourcePolicy, Throttle};
use super::{MAX_BODY_BYTES, accounts, audit, handlers, imports, maintenance_windows, stream};
use crate::domain::access::Capability;
use crate::domain::time::SharedClock;
use crate::protocol::API_PREFIX;
use crate::store::StoreError;
use crate::store::central::CentralStore;

/// What every handler shares: the store, the clock, the change log's head as last committed,
/// and the shutdown signal that ends live streams.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn CentralStore>,
    clock: SharedClock,
    head: Arc<watch::Sender<u64>>,
    shutdown: Arc<watch::Sender<bool>>,
    keep_alive: Duration,
    hashes: Arc<HashPool>,
    login_slots: Arc<tokio::sync::Semaphore>,
    clean_login_slots: Arc<tokio::sync::Semaphore>,
    throttle: Arc<Throttle>,
    stations: Arc<tokio::sync::OnceCell<usize>>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("head", &*self.head.borrow())
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store`, whose change log currently ends at `head`; live streams send a
    /// keep-alive comment after `keep_alive` of silence.
    pub fn new(
        store: Arc<dyn CentralStore>,
        clock: SharedClock,
        head: u64,
        keep_alive: Duration,
    ) -> Self {
        let hashes = Arc::new(HashPool::per_core());
        Self {
            store,
            clock,
            head: Arc::new(watch::channel(head).0),
            shutdown: Arc::new(watch::channel(false).0),
            keep_alive,
            hashes: Arc::clone(&hashes),
            login_slots: Arc::new(tokio::sync::Semaphore::new(hashes.threads())),
            clean_login_slots: Arc::new(tokio::sync::Semaphore::new(hashes.threads())),
            throttle: Arc::new(Throttle::new(SourcePolicy::DEFAULT)),
            stations: Arc::default(),
        }
    }

    /// The password hashing threads (one per core).
    pub fn hashes(&self) -> &HashPool {
        &self.hashes
    }

    /// Logins that may be past the throttle at once, from addresses with failed logins (one
    /// per hashing thread) or without (as many again): the rest wait here, holding neither a
    /// blocking thread nor a database connection, and a flood cannot queue ahead of a user
    /// from a clean address by more than a few hashes.
    pub fn login_slots(&self, source_has_failures: bool) -> &tokio::sync::Semaphore {
        if source_has_failures {
            &self.login_slots
        } else {
            &self.clean_login_slots
        }
    }

    /// The per-source limit on failed logins.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// The change log's head as last committed, without touching the database.
    pub fn head(&self) -> u64 {
        *self.head.borrow()
    }

    /// How many stations the network has: read once, then kept (the network of a database
    /// does not change while it is served), so health answers without the blocking pool.
    pub async fn station_count(&self) -> Result<usize, Failure> {
        self.stations
            .get_or_try_init(|| self.blocking(|store| Ok(store.network()?.stations.len())))
            .await
            .copied()
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn CentralStore> {
        &self.store
    }

    /// The central's clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Keep-alive interval of live streams.
    pub fn keep_alive(&self) -> Duration {
        self.keep_alive
    }

    /// Records that the log now reaches `head`, waking live streams. Ingests finish out of
    /// order, so the head only ever moves forward.
    pub fn advance_head(&self, head: u64) {
        self.head.send_if_modified(|current| {
            let newer = head > *current;
            if newer {
                *current = head;
            }
            newer
        });
    }

    /// Follows the head.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Tells live streams to end: the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Follows the shutdown signal (`true` once shutting down).
    pub fn watch_shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Runs a blocking store call off the async threads.
    pub async fn blocking<T, F>(&self, call: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&dyn CentralStore) -> Result<T, StoreError> + Send + 'static,
    {
        self.call(move |store| call(store).map_err(Failure::from))
            .await
    }

    /// Runs blocking work (store calls, password hashing) off the async threads; the work
    /// answers with a [`Failure`] of its own choosing. Log events inside it reach the same
    /// subscriber as the request's.
    pub async fn call<T, F>(&self, call: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&dyn CentralStore) -> Result<T, Failure> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        tokio::task::spawn_blocking(move || {
            tracing::dispatcher::with_default(&dispatch, || call(&*store))
        })
        .await
        .map_err(|e| Failure::task(&e))?
    }
}

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
    /// PATCH
    Patch,
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
    use Capability::{IngestObservations, ManageDevices, ManageUsers, Read, ReadAudit};
    let route = |verb, path, access, handler| Route {
        verb,
        path,
        access,
        handler,
    };
    vec![
        route(Verb::Get, "/health", Public, get(handlers::health)),
        route(Verb::Get, "/openapi.json", Public, get(handlers::openapi)),
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
        route(
            Verb::Post,
            "/imports",
            Requires(IngestObservations),
            post(imports::import).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
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
        route(
            Verb::Get,
            "/changes",
            Requires(Read),
            get(handlers::changes),
        ),
        route(Verb::Get, "/stream", Requires(Read), get(stream::stream)),
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
    ]
}

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
            // serve still answers 405 rather than 401.
            let guarded = r.handler.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), r.access),
                auth::guard,
            ));
            api.route(&format!("{API_PREFIX}{}", r.path), guarded)
        })
        // After the routes: the method fallback is installed on those that exist.
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::not_found)
        .with_state(state)
}
