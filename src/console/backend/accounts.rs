//! The accounts service: logs in and out, changes one's password, administers users and reads
//! the audit log, one request at a time. It holds the session's token (see [`Session`]); the
//! sync service follows it.
//!
//! Anything that needs authority goes to the central and waits for its answer: nothing is
//! done "offline and sent later". A 401 from any call ends the session ("log in again"); it is
//! never retried.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::client::{CentralClient, ClientError};
use super::credentials::{LoginDefaults, Place, host_name};
use super::export;
use super::session::{Emitter, Session, Token};
use crate::console::messages::{
    AdminCommand, AdminEvent, AuditCommand, AuditEvent, AuditSearch, AuthCommand, AuthEvent,
    Command, Event, LoginFailure, SessionView, StorageNote, Trouble,
};
use crate::domain::access::{Account, PasswordRefusal, Secret};
use crate::domain::audit::AuditEntry;
use crate::domain::time::SharedClock;
use crate::protocol::{
    AuditQuery, LoginRequest, NewUserRequest, PasswordChange, SessionInfo, UserUpdateRequest,
    error_code,
};

/// Audit entries fetched per page by an export.
const EXPORT_PAGE: u32 = 1000;

/// The session as the console keeps it.
pub fn view(info: SessionInfo) -> SessionView {
    SessionView {
        account: info.user,
        capabilities: info.capabilities,
        workstation: info.workstation,
        expires_at: info.expires_at,
    }
}

/// The accounts service.
#[derive(Debug)]
pub struct AccountsService {
    client: CentralClient,
    session: Arc<Session>,
    emitter: Emitter,
    clock: SharedClock,
    export_dir: PathBuf,
}

impl AccountsService {
    /// A service talking to the central through `client`, writing exports into `export_dir`.
    pub fn new(
        client: CentralClient,
        session: Arc<Session>,
        emitter: Emitter,
        clock: SharedClock,
        export_dir: PathBuf,
    ) -> Self {
        Self {
            client,
            session,
            emitter,
            clock,
            export_dir,
        }
    }

    /// Restores the remembered session (so the sync service can start), tells the UI what
    /// the login screen should offer, then serves commands until the UI leaves.
    pub async fn run(self, mut commands: mpsc::Receiver<Command>) {
        self.restore().await;
        while let Some(command) = commands.recv().await {
            match command {
                Command::Auth(command) => self.auth(command).await,
                Command::Admin(command) => self.admin(command).await,
                Command::Audit(command) => self.audit(command).await,
                Command::Sync(_)
                | Command::History(_)
                | Command::Warnings(_)
                | Command::Dispatch(_)
                | Command::Recipients(_)
                | Command::Reports(_)
                | Command::Devices(_) => {}
            }
            if self.emitter.is_closed() {
                return;
            }
        }
    }

    async fn emit(&self, event: Event) {
        self.emitter.emit(event).await;
    }

    async fn restore(&self) {
        let credentials = self.session.credentials().clone();
        let loaded = tokio::task::spawn_blocking(move || {
            (credentials.load(), credentials.defaults(), host_name())
        })
        .await;
        let (remembered, defaults, host) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                tracing::error!(%error, "reading the remembered session failed");
                (None, LoginDefaults::default(), "workstation".to_owned())
            }
        };
        let view = remembered.map(|remembered| {
            self.session.set(Token {
                secret: remembered.token,
                usable: !remembered.session.account.must_change_password,
            });
            remembered.session
        });
        self.emit(Event::Auth(AuthEvent::Ready {
            last_username: defaults.last_username,
            workstation: defaults.workstation.unwrap_or(host),
            remembered: view,
        }))
        .await;
    }

    /// The client with the session's token, if someone is signed in.
    fn authorised(&self) -> Option<CentralClient> {
        self.session.authorise(&self.client)
    }

    async fn auth(&self, command: AuthCommand) {
        match command {
            AuthCommand::LogIn {
                username,
                password,
                workstation,
            } => self.log_in(username, password, workstation).await,
            AuthCommand::ChangePassword { current, new } => {
                self.change_password(current, new).await;
            }
            AuthCommand::LogOut => {
                if let Some(client) = self.authorised()
                    && let Err(error) = client.logout().await
                {
                    // Offline or already ended: the session is forgotten here either way, and
                    // ends at the central when it expires.
                    tracing::info!(%error, "logout not confirmed by the central");
                }
                self.session.end(None).await;
            }
        }
    }

    async fn log_in(&self, username: String, password: Secret, workstation: String) {
        let request = LoginRequest {
            username: username.trim().to_owned(),
            password,
            workstation: workstation.trim().to_owned(),
        };
        let response = match self.client.login(&request).await {
            Ok(response) => response,
            Err(error) => {
                self.emit(Event::Auth(AuthEvent::LoginFailed(login_failure(error))))
                    .await;
                return;
            }
        };
        let view = view(response.session);
        let credentials = self.session.credentials().clone();
        let token = response.token.clone();
        let saved = view.clone();
        let defaults = LoginDefaults {
            last_username: Some(view.account.username.to_string()),
            workstation: Some(view.workstation.clone()),
        };
        let place = tokio::task::spawn_blocking(move || {
            credentials.save_defaults(&defaults);
            credentials.save(&token, &saved)
        })
        .await;
        self.session.set(Token {
            secret: response.token,
            usable: !view.account.must_change_password,
        });
        self.emit(Event::Auth(AuthEvent::SignedIn(view))).await;
        let note = match place {
            Ok(Ok(Place::Keyring | Place::Memory)) => None,
            Ok(Ok(Place::File(path, reason))) => {
                tracing::info!(%reason, "no system keyring; the session goes to a private file");
                Some(StorageNote::InFile(path))
            }
            Ok(Err(error)) => Some(StorageNote::NotRemembered(error.clone())),
            Err(error) => Some(StorageNote::NotRemembered(error.to_string())),
        };
        if let Some(note) = note {
            self.emit(Event::Auth(AuthEvent::Stored(note))).await;
        }
    }

    async fn change_password(&self, current: Secret, new: Secret) {
        let Some(client) = self.authorised() else {
            self.emit(Event::Auth(AuthEvent::PasswordChangeFailed(
                Trouble::not_signed_in(),
            )))
            .await;
            return;
        };
        let change = PasswordChange {
            current_password: current,
            new_password: new,
        };
        let result = async {
            client.change_password(&change).await?;
            client.session().await
        }
        .await;
        match result {
            Ok(info) => {
                let view = view(info);
                if let Some(token) = self.session.token() {
                    let credentials = self.session.credentials().clone();
                    let (secret, saved) = (token.secret.clone(), view.clone());
                    if let Ok(Err(error)) =
                        tokio::task::spawn_blocking(move || credentials.save(&secret, &saved)).await
                    {
                        tracing::warn!(%error, "remembered session not updated");
                    }
                    // The UI hears of it before the sync service starts on the token.
                    self.emit(Event::Auth(AuthEvent::PasswordChanged(view)))
                        .await;
                    self.session.set(Token {
                        secret: token.secret,
                        usable: true,
                    });
                } else {
                    self.emit(Event::Auth(AuthEvent::PasswordChanged(view)))
                        .await;
                }
            }
            Err(ClientError::Refused { code, .. })
                if let Some(refusal) = PasswordRefusal::from_code(&code) =>
            {
                self.emit(Event::Auth(AuthEvent::PasswordRefused(refusal)))
                    .await;
            }
            Err(error) => {
                let text = self.session.failure(error).await;
                self.emit(Event::Auth(AuthEvent::PasswordChangeFailed(text)))
                    .await;
            }
        }
    }

    async fn admin(&self, command: AdminCommand) {
        let Some(client) = self.authorised() else {
            self.emit(Event::Admin(AdminEvent::Failed(Trouble::not_signed_in())))
                .await;
            return;
        };
        let result: Result<Vec<Event>, ClientError> = async {
            Ok(match command {
                AdminCommand::Refresh => vec![users(&client).await?],
                AdminCommand::CreateUser {
                    username,
                    display_name,
                    role,
                } => {
                    let request = NewUserRequest {
                        username,
                        display_name,
                        role,
                    };
                    let created = client.create_user(&request).await?;
                    vec![
                        Event::Admin(AdminEvent::PasswordIssued {
                            account: created.user,
                            password: created.one_time_password,
                            created: true,
                        }),
                        users(&client).await?,
                    ]
                }
                AdminCommand::ResetPassword { username } => {
                    let reset = client.reset_password(&username).await?;
                    vec![
                        Event::Admin(AdminEvent::PasswordIssued {
                            account: reset.user,
                            password: reset.one_time_password,
                            created: false,
                        }),
                        users(&client).await?,
                    ]
                }
                AdminCommand::SetRole { username, role } => {
                    let update = UserUpdateRequest {
                        role: Some(role),
                        ..UserUpdateRequest::default()
                    };
                    updated(client.update_user(&username, &update).await?)
                }
                AdminCommand::SetDisabled { username, disabled } => {
                    let update = UserUpdateRequest {
                        disabled: Some(disabled),
                        ..UserUpdateRequest::default()
                    };
                    updated(client.update_user(&username, &update).await?)
                }
            })
        }
        .await;
        match result {
            Ok(events) => {
                for event in events {
                    self.emit(event).await;
                }
            }
            Err(error) => {
                let text = self.session.failure(error).await;
                self.emit(Event::Admin(AdminEvent::Failed(text))).await;
            }
        }
    }

    async fn audit(&self, command: AuditCommand) {
        let Some(client) = self.authorised() else {
            self.emit(Event::Audit(AuditEvent::Failed(Trouble::not_signed_in())))
                .await;
            return;
        };
        let event = match command {
            AuditCommand::Load { search, before } => {
                match client.audit(&query(&search, before, None)).await {
                    Ok(page) => match decode(page.entries) {
                        Ok(entries) => AuditEvent::Page {
                            search,
                            before,
                            entries,
                            next_before: page.next_before,
                        },
                        Err(error) => AuditEvent::Failed(error.into()),
                    },
                    Err(error) => AuditEvent::Failed(self.session.failure(error).await),
                }
            }
            AuditCommand::Export(search) => match self.export(&client, &search).await {
                Ok(event) => event,
                Err(error) => AuditEvent::Failed(error),
            },
        };
        self.emit(Event::Audit(event)).await;
    }

    /// Fetches every matching entry, page by page, and writes the CSV file.
    async fn export(
        &self,
        client: &CentralClient,
        search: &AuditSearch,
    ) -> Result<AuditEvent, Trouble> {
        let mut entries = Vec::new();
        let mut before = None;
        loop {
            let page = match client
                .audit(&query(search, before, Some(EXPORT_PAGE)))
                .await
            {
                Ok(page) => page,
                Err(error) => return Err(self.session.failure(error).await),
            };
            entries.extend(decode(page.entries).map_err(Trouble::Other)?);
            match page.next_before {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        let bytes = export::audit_csv(&entries).map_err(|e| format!("writing CSV: {e}"))?;
        let path = self.export_dir.join(export::file_name(self.clock.now()));
        let count = entries.len();
        let written = path.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = written.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&written, bytes)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(AuditEvent::Exported {
            path: path.display().to_string(),
            entries: count,
        })
    }
}

async fn users(client: &CentralClient) -> Result<Event, ClientError> {
    Ok(Event::Admin(AdminEvent::Users(client.users().await?.users)))
}

/// What a refused login means, from the central's status and stable error code (its English
/// message is for logs; the console says it in the user's language).
fn login_failure(error: ClientError) -> LoginFailure {
    match error {
        ClientError::Unauthorized(_) => LoginFailure::WrongCredentials,
        ClientError::Refused { code, .. } if code == error_code::ACCOUNT_LOCKED => {
            LoginFailure::Locked
        }
        ClientError::Refused { code, .. } if code == error_code::ACCOUNT_DISABLED => {
            LoginFailure::Disabled
        }
        other => LoginFailure::Other(other.into()),
    }
}

fn updated(account: Account) -> Vec<Event> {
    vec![Event::Admin(AdminEvent::Updated(account))]
}

fn query(search: &AuditSearch, before: Option<u64>, limit: Option<u32>) -> AuditQuery {
    AuditQuery {
        from: search.from.map(|t| t.to_rfc3339()),
        to: search.to.map(|t| t.to_rfc3339()),
        actor: search.actor.clone(),
        action: search.action.clone(),
        before,
        limit,
    }
}

fn decode(entries: Vec<crate::protocol::AuditEntryDto>) -> Result<Vec<AuditEntry>, String> {
    entries.into_iter().map(AuditEntry::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: &str) -> ClientError {
        ClientError::Refused {
            status,
            code: code.to_owned(),
            message: format!("… ({code})"),
            params: Default::default(),
        }
    }

    #[test]
    fn a_refused_login_is_told_by_its_code_not_its_english() {
        let cases = [
            (
                ClientError::Unauthorized(error_code::INVALID_CREDENTIALS.into()),
                LoginFailure::WrongCredentials,
            ),
            (
                refused(403, error_code::ACCOUNT_LOCKED),
                LoginFailure::Locked,
            ),
            (
                refused(403, error_code::ACCOUNT_DISABLED),
                LoginFailure::Disabled,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(login_failure(error), expected);
        }
        let unreachable = ClientError::Unreachable("connection refused".into());
        assert!(matches!(
            login_failure(unreachable),
            LoginFailure::Other(Trouble::Other(text)) if text.contains("connection refused")
        ));
        assert!(matches!(
            login_failure(refused(500, "internal")),
            LoginFailure::Other(Trouble::Refused(refusal)) if refusal.code == "internal"
        ));
    }
}
