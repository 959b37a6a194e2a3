//! Who is at the desk and what they may do; the user list and audit page an administrator or
//! supervisor is looking at; one-time passwords waiting to be read once. Pure: folded from
//! events by [`AccountState::apply_auth`] and friends, read by the views.

use crate::console::messages::{
    AdminEvent, AuditEvent, AuditSearch, AuthEvent, LoginFailure, SessionView, StorageNote, Trouble,
};
use crate::domain::access::{Account, Capability, Role, Secret};
use crate::domain::audit::AuditEntry;

/// The session, as far as the console knows.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    /// The backend has not yet said whether a session is remembered.
    Starting,
    /// Nobody is signed in. `ended` holds the central's reason when it ended the session.
    SignedOut {
        /// Why the last session ended, if the central ended it.
        ended: Option<Trouble>,
    },
    /// Someone is signed in.
    SignedIn {
        /// Who, and what they may do.
        view: SessionView,
        /// The central confirmed this session since the console started (or it was just
        /// opened). Unconfirmed: remembered from before and the central not reached yet — the
        /// desk reads its cache, but nothing needing authority is offered.
        confirmed: bool,
    },
}

/// Whether an action is available now, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead.
    Allowed,
    /// The role lacks the capability; these roles have it.
    NeedsRole(Vec<Role>),
    /// The role has it, but the central has not confirmed the session (offline).
    NeedsCentral,
    /// Nobody is signed in.
    SignedOut,
}

/// A one-time password to show once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedPassword {
    /// Counts issued passwords, so the view knows which it has already closed.
    pub serial: u64,
    /// The account.
    pub account: Account,
    /// The password.
    pub password: Secret,
    /// A new account (`true`) or a reset.
    pub created: bool,
}

/// The audit page on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPageState {
    /// The filter it answers.
    pub search: AuditSearch,
    /// The cursor it was loaded from (`None`: newest).
    pub before: Option<u64>,
    /// Entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// The next (older) page's cursor.
    pub next_before: Option<u64>,
}

/// Everything about accounts the console shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountState {
    /// The session.
    pub session: SessionState,
    /// The user name last used on this workstation.
    pub last_username: Option<String>,
    /// This workstation's name.
    pub workstation: String,
    /// The last login failure, until the next attempt.
    pub login_error: Option<LoginFailure>,
    /// The last password-change failure.
    pub password_error: Option<Trouble>,
    /// The last new password the central refused by its rules, and why.
    pub password_refusal: Option<crate::domain::access::PasswordRefusal>,
    /// Bumped by every session event: views waiting for an answer compare it.
    pub auth_generation: u64,
    /// The user list, once loaded.
    pub users: Option<Vec<Account>>,
    /// The last administration failure.
    pub admin_error: Option<Trouble>,
    /// Bumped by every administration event.
    pub admin_generation: u64,
    /// A one-time password to show once.
    pub issued: Option<IssuedPassword>,
    /// The audit page, once loaded.
    pub audit: Option<AuditPageState>,
    /// The last export: the file and how many entries, or the failure.
    pub audit_export: Option<Result<(String, usize), String>>,
    /// The last audit failure.
    pub audit_error: Option<Trouble>,
    /// Bumped by every audit event.
    pub audit_generation: u64,
    /// Where the session token is kept, when that is worth saying (no keyring: a file).
    pub storage_note: Option<StorageNote>,
}

impl Default for AccountState {
    fn default() -> Self {
        Self {
            session: SessionState::Starting,
            last_username: None,
            workstation: String::new(),
            login_error: None,
            password_error: None,
            password_refusal: None,
            auth_generation: 0,
            users: None,
            admin_error: None,
            admin_generation: 0,
            issued: None,
            audit: None,
            audit_export: None,
            audit_error: None,
            audit_generation: 0,
            storage_note: None,
        }
    }
}

impl AccountState {
    /// The signed-in session, if any.
    pub fn signed_in(&self) -> Option<&SessionView> {
        match &self.session {
            SessionState::SignedIn { view, .. } => Some(view),
            _ => None,
        }
    }

    /// Whether the central has confirmed the session.
    pub fn confirmed(&self) -> bool {
        matches!(
            self.session,
            SessionState::SignedIn {
                confirmed: true,
                ..
            }
        )
    }

    /// May the user do what needs `capability`, now?
    pub fn gate(&self, capability: Capability) -> Gate {
        match &self.session {
            SessionState::SignedIn { view, confirmed } => {
                if !view.can(capability) {
                    Gate::NeedsRole(capability.user_roles())
                } else if *confirmed {
                    Gate::Allowed
                } else {
                    Gate::NeedsCentral
                }
            }
            SessionState::Starting | SessionState::SignedOut { .. } => Gate::SignedOut,
        }
    }

    /// Folds a session event.
    pub fn apply_auth(&mut self, event: AuthEvent) {
        self.auth_generation += 1;
        match event {
            AuthEvent::Ready {
                last_username,
                workstation,
                remembered,
            } => {
                self.last_username = last_username;
                self.workstation = workstation;
                self.session = match remembered {
                    Some(view) => SessionState::SignedIn {
                        view,
                        confirmed: false,
                    },
                    None => SessionState::SignedOut { ended: None },
                };
            }
            AuthEvent::SignedIn(view) => {
                self.login_error = None;
                self.last_username = Some(view.account.username.to_string());
                self.workstation.clone_from(&view.workstation);
                self.session = SessionState::SignedIn {
                    view,
                    confirmed: true,
                };
            }
            AuthEvent::Confirmed(view) | AuthEvent::PasswordChanged(view) => {
                self.password_error = None;
                self.password_refusal = None;
                if self.signed_in().is_some() {
                    self.session = SessionState::SignedIn {
                        view,
                        confirmed: true,
                    };
                }
            }
            AuthEvent::LoginFailed(failure) => self.login_error = Some(failure),
            AuthEvent::PasswordChangeFailed(text) => {
                self.password_refusal = None;
                self.password_error = Some(text);
            }
            AuthEvent::PasswordRefused(refusal) => {
                self.password_error = None;
                self.password_refusal = Some(refusal);
            }
            AuthEvent::SignedOut(reason) => {
                self.session = SessionState::SignedOut { ended: reason };
                self.users = None;
                self.audit = None;
                self.issued = None;
                self.audit_export = None;
            }
            // Said in the user menu, not as an alarm: it is where the token is, not a fault.
            AuthEvent::Stored(note) => self.storage_note = Some(note),
        }
    }

    /// Folds an administration event.
    pub fn apply_admin(&mut self, event: AdminEvent) {
        self.admin_generation += 1;
        match event {
            AdminEvent::Users(users) => {
                self.admin_error = None;
                self.users = Some(users);
            }
            AdminEvent::PasswordIssued {
                account,
                password,
                created,
            } => {
                self.admin_error = None;
                let serial = self.issued.as_ref().map_or(1, |i| i.serial + 1);
                self.issued = Some(IssuedPassword {
                    serial,
                    account,
                    password,
                    created,
                });
            }
            AdminEvent::Updated(account) => {
                self.admin_error = None;
                if let Some(users) = &mut self.users
                    && let Some(user) = users.iter_mut().find(|u| u.username == account.username)
                {
                    *user = account;
                }
            }
            AdminEvent::Failed(text) => self.admin_error = Some(text),
        }
    }

    /// Folds an audit event.
    pub fn apply_audit(&mut self, event: AuditEvent) {
        self.audit_generation += 1;
        match event {
            AuditEvent::Page {
                search,
                before,
                entries,
                next_before,
            } => {
                self.audit_error = None;
                self.audit = Some(AuditPageState {
                    search,
                    before,
                    entries,
                    next_before,
                });
            }
            AuditEvent::Exported { path, entries } => {
                self.audit_export = Some(Ok((path, entries)));
            }
            AuditEvent::Failed(text) => self.audit_error = Some(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::access::Username;

    fn view(role: Role) -> SessionView {
        SessionView {
            account: Account {
                username: Username::parse("lina").unwrap(),
                display_name: "李娜".into(),
                role,
                disabled: false,
                must_change_password: false,
                locked_until: None,
                last_login: None,
                created_at: Timestamp(0),
            },
            capabilities: role.capabilities(),
            workstation: "desk-2".into(),
            expires_at: Timestamp(1),
        }
    }

    #[test]
    fn gates_follow_role_and_confirmation() {
        let mut state = AccountState::default();
        assert_eq!(state.gate(Capability::Read), Gate::SignedOut);
        state.apply_auth(AuthEvent::Ready {
            last_username: None,
            workstation: "desk-2".into(),
            remembered: Some(view(Role::Administrator)),
        });
        assert_eq!(
            state.gate(Capability::ManageUsers),
            Gate::NeedsCentral,
            "offline"
        );
        assert_eq!(
            state.gate(Capability::SwitchIrrigation),
            Gate::NeedsRole(vec![Role::Technician])
        );
        state.apply_auth(AuthEvent::Confirmed(view(Role::Administrator)));
        assert_eq!(state.gate(Capability::ManageUsers), Gate::Allowed);
        // The central says the role changed: the gate follows at once.
        state.apply_auth(AuthEvent::Confirmed(view(Role::Leader)));
        assert_eq!(
            state.gate(Capability::ManageUsers),
            Gate::NeedsRole(vec![Role::Administrator])
        );
        state.apply_auth(AuthEvent::SignedOut(Some("session expired".into())));
        assert_eq!(
            state.session,
            SessionState::SignedOut {
                ended: Some("session expired".into())
            }
        );
        // A late confirmation does not sign anyone back in.
        state.apply_auth(AuthEvent::Confirmed(view(Role::Leader)));
        assert_eq!(state.gate(Capability::Read), Gate::SignedOut);
    }

    #[test]
    fn issued_passwords_are_numbered_and_sign_out_forgets_them() {
        let mut state = AccountState::default();
        for created in [true, false] {
            state.apply_admin(AdminEvent::PasswordIssued {
                account: view(Role::Leader).account,
                password: Secret::new("abcd-efgh-jkmn-pqrs"),
                created,
            });
        }
        assert_eq!(state.issued.as_ref().unwrap().serial, 2);
        state.apply_auth(AuthEvent::SignedOut(None));
        assert_eq!(state.issued, None);
    }
}
