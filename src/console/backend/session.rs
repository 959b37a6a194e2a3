//! The session every backend service shares: the current token (watched by the sync service,
//! which connects only with a token whose user has a password of their own), and the one way a
//! session ends — forgotten on disk, withdrawn from the services, and told to the UI.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::Waker;
use super::client::{CentralClient, ClientError};
use super::credentials::Credentials;
use crate::console::messages::{AuthEvent, Event, Trouble};
use crate::domain::access::Secret;

/// The token services use, and whether it may be used beyond changing its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The bearer token.
    pub secret: Secret,
    /// `false` while the user still has a one-time password: only the password change works.
    pub usable: bool,
}

/// Sends events to the UI and wakes it.
#[derive(Clone)]
pub struct Emitter {
    events: mpsc::Sender<Event>,
    waker: Waker,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Emitter")
    }
}

impl Emitter {
    /// An emitter on `events`, waking the UI with `waker`.
    pub fn new(events: mpsc::Sender<Event>, waker: Waker) -> Self {
        Self { events, waker }
    }

    /// Sends `event`; a closed channel means the UI is gone, which the services notice.
    pub async fn emit(&self, event: Event) {
        if self.events.send(event).await.is_ok() {
            (self.waker)();
        }
    }

    /// Whether the UI has gone.
    pub fn is_closed(&self) -> bool {
        self.events.is_closed()
    }
}

/// The shared session.
#[derive(Debug)]
pub struct Session {
    token: watch::Sender<Option<Token>>,
    credentials: Credentials,
    emitter: Emitter,
}

impl Session {
    /// No session yet; `credentials` is where it is remembered.
    pub fn new(credentials: Credentials, emitter: Emitter) -> Arc<Self> {
        Arc::new(Self {
            token: watch::channel(None).0,
            credentials,
            emitter,
        })
    }

    /// Follows the token.
    pub fn watch(&self) -> watch::Receiver<Option<Token>> {
        self.token.subscribe()
    }

    /// The current token, if any.
    pub fn token(&self) -> Option<Token> {
        self.token.borrow().clone()
    }

    /// Uses `token` from now on.
    pub fn set(&self, token: Token) {
        self.token.send_replace(Some(token));
    }

    /// `client` with the session's token, if someone is signed in.
    pub fn authorise(&self, client: &CentralClient) -> Option<CentralClient> {
        self.token().map(|token| client.with_token(token.secret))
    }

    /// What to say of a failed call; a 401 ends the session (the central's code says why).
    pub async fn failure(&self, error: ClientError) -> Trouble {
        if let ClientError::Unauthorized(code) = &error {
            self.ended_by_central(code).await;
        }
        Trouble::from(error)
    }

    /// The central no longer accepts the session, for the reason `code` (`session_ended` …).
    pub async fn ended_by_central(&self, code: &str) {
        self.end(Some(Trouble::refused(code))).await;
    }

    /// Where it is remembered.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Ends the session here: withdraws the token, forgets it on disk and in the keyring, and
    /// tells the UI (`reason` is the central's word when it ended the session; `None` for a
    /// logout). Safe to call twice: the second call finds no token and does nothing.
    pub async fn end(&self, reason: Option<Trouble>) {
        if self.token.send_replace(None).is_none() && reason.is_some() {
            return;
        }
        let credentials = self.credentials.clone();
        if let Err(error) = tokio::task::spawn_blocking(move || credentials.clear()).await {
            tracing::error!(%error, "forgetting the session failed");
        }
        self.emitter
            .emit(Event::Auth(AuthEvent::SignedOut(reason)))
            .await;
    }
}
