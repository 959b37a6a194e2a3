//! The dispatch service: reads a released warning's deliveries when the dispatch view asks
//! (it polls only while it is shown, so an idle desk sends nothing), and carries a person's
//! retry of failed messages and resend of unknown ones to the central. After a decision it
//! reads the list again, so the view shows the requeued messages at once.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::client::{CentralClient, ClientError};
use super::session::{Emitter, Session};
use crate::console::messages::{DispatchCommand, DispatchEvent, Event};
use crate::protocol::outbox::{ResendRequest, RetryRequest};

/// What a failed call becomes for the view: the code and its words in Chinese.
pub fn refusal(warning: &str, error: &ClientError) -> DispatchEvent {
    let (code, message) = error.said().unwrap_or_else(|| {
        let words = "无法连接中心：显示的是上次读取的发送情况";
        ("unreachable".to_owned(), words.to_owned())
    });
    DispatchEvent::Refused {
        warning: warning.to_owned(),
        code,
        message,
    }
}

/// The service (one per backend).
#[derive(Debug)]
pub struct DispatchService {
    client: CentralClient,
    session: Arc<Session>,
    emitter: Emitter,
}

impl DispatchService {
    /// A service calling the central as the session's user.
    pub fn new(client: CentralClient, session: Arc<Session>, emitter: Emitter) -> Self {
        Self {
            client,
            session,
            emitter,
        }
    }

    /// Serves `commands` until the UI goes.
    pub async fn run(self, mut commands: mpsc::Receiver<DispatchCommand>) {
        while let Some(command) = commands.recv().await {
            self.handle(command).await;
            if self.emitter.is_closed() {
                return;
            }
        }
    }

    async fn handle(&self, command: DispatchCommand) {
        let Some(client) = self.session.authorise(&self.client) else {
            return; // signed out: the view is not shown
        };
        match command {
            DispatchCommand::Fetch { warning } => self.fetch(&client, &warning).await,
            DispatchCommand::Retry {
                warning,
                recipients,
            } => {
                let body = RetryRequest { recipients };
                let answer = client.delivery_decision(&warning, "retry", &body).await;
                self.decided(&client, &warning, answer).await;
            }
            DispatchCommand::Resend {
                warning,
                recipients,
                reason,
            } => {
                let body = ResendRequest { recipients, reason };
                let answer = client.delivery_decision(&warning, "resend", &body).await;
                self.decided(&client, &warning, answer).await;
            }
        }
    }

    async fn fetch(&self, client: &CentralClient, warning: &str) {
        match client.deliveries(warning).await {
            Ok(list) => self.emit(DispatchEvent::Loaded(Box::new(list))).await,
            Err(error) => self.failed(warning, error).await,
        }
    }

    async fn decided(
        &self,
        client: &CentralClient,
        warning: &str,
        answer: Result<crate::protocol::outbox::DecisionAnswer, ClientError>,
    ) {
        match answer {
            Ok(answer) => {
                tracing::info!(
                    warning,
                    requeued = answer.requeued.len(),
                    "delivery decision done"
                );
                self.emit(DispatchEvent::Decided(answer)).await;
                self.fetch(client, warning).await;
            }
            Err(error) => self.failed(warning, error).await,
        }
    }

    async fn failed(&self, warning: &str, error: ClientError) {
        let said = refusal(warning, &error);
        if matches!(error, ClientError::Unauthorized(_)) {
            self.session.failure(error).await;
        } else {
            tracing::info!(%error, "a dispatch request was not done");
        }
        self.emit(said).await;
    }

    async fn emit(&self, event: DispatchEvent) {
        self.emitter.emit(Event::Dispatch(event)).await;
    }
}
