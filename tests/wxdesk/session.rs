//! The console's session against a real central on 127.0.0.1: logging in with a one-time
//! password and choosing one's own, the session remembered on the workstation, read-only
//! offline with a remembered session, a session the central ends (log in again — no retry
//! loop), and user administration and the audit log (with its CSV export) from the console.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use wxdesk::console::backend::{self, BackendConfig, BackendHandle, Link};
use wxdesk::console::messages::{
    AdminCommand, AdminEvent, AuditCommand, AuditEvent, AuditSearch, AuthCommand, AuthEvent,
    Command, Event, LinkStatus, LoginFailure, SessionView, StorageNote, SyncEvent, Trouble,
};
use wxdesk::console::state::AppState;
use wxdesk::console::state::account::Gate;
use wxdesk::console::ui::i18n::{self, Language};
use wxdesk::domain::access::{Capability, Role, Secret};
use wxdesk::domain::time::{ManualClock, SharedClock};

use crate::support::{
    PASSWORD, TestCentral, batch, client, client_with, minutes_from_now, now, record,
    remembered_session, within,
};

/// A console backend for one workstation: its link, everything it said, its folder.
struct Desk {
    link: Link,
    events: Vec<Event>,
    handle: Option<BackendHandle>,
}

impl Desk {
    fn start(server: &str, dir: &Path, credentials: &Path) -> Self {
        crate::support::init();
        let (link, ends) = Link::pair();
        let mut config = BackendConfig::new(server, dir.join("cache.sqlite"));
        config.credentials_dir = Some(credentials.to_owned());
        config.export_dir = dir.join("exports");
        let clock: SharedClock = ManualClock::new(now());
        let handle = backend::spawn(config, ends, clock, Arc::new(|| {})).unwrap();
        Self {
            link,
            events: Vec::new(),
            handle: Some(handle),
        }
    }

    fn send(&self, command: Command) {
        self.link.send(command).unwrap();
    }

    /// Waits for the first event `pick` takes, keeping every event.
    async fn until<T>(&mut self, what: &str, pick: impl Fn(&Event) -> Option<T>) -> T {
        let events = &mut self.events;
        let link = &mut self.link;
        within(what, async {
            loop {
                let event = link.recv().await.expect("backend stopped");
                let picked = pick(&event);
                events.push(event);
                if let Some(picked) = picked {
                    return picked;
                }
            }
        })
        .await
    }

    async fn ready(&mut self) -> Option<SessionView> {
        self.until("ready", |e| match e {
            Event::Auth(AuthEvent::Ready { remembered, .. }) => Some(remembered.clone()),
            _ => None,
        })
        .await
    }

    async fn online(&mut self) {
        self.until("online", |e| {
            matches!(
                e,
                Event::Sync(SyncEvent::LinkChanged(LinkStatus::Online { .. }))
            )
            .then_some(())
        })
        .await;
    }

    async fn log_in(&mut self, user: &str, password: &str) -> Result<SessionView, LoginFailure> {
        self.send(Command::Auth(AuthCommand::LogIn {
            username: user.into(),
            password: Secret::new(password),
            workstation: "值班台-2".into(),
        }));
        self.until("the login's answer", |e| match e {
            Event::Auth(AuthEvent::SignedIn(view)) => Some(Ok(view.clone())),
            Event::Auth(AuthEvent::LoginFailed(failure)) => Some(Err(failure.clone())),
            _ => None,
        })
        .await
    }

    /// The state a console would show after everything said so far.
    fn state(&self) -> AppState {
        let mut state = AppState::new(now());
        for event in &self.events {
            state.apply(event.clone(), now());
        }
        state
    }
}

/// A user of `role` created by the administrator; the one-time password.
async fn new_user(central: &TestCentral, name: &str, role: Role) -> String {
    let admin = client_with(&central.token(Role::Administrator).await);
    let created: serde_json::Value = admin
        .post(central.url("/users"))
        .json(&json!({"username": name, "display_name": "王芳", "role": role}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["one_time_password"].as_str().unwrap().to_owned()
}

fn session_file(credentials: &Path) -> PathBuf {
    std::fs::read_dir(credentials)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("session-")
        })
        .expect("a session file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_login_chooses_a_password_then_syncs_and_is_remembered() {
    let central = TestCentral::start().await;
    let otp = new_user(&central, "wangfang", Role::DutyForecaster).await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("config");
    let mut desk = Desk::start(&central.base(), dir.path(), &credentials);
    assert_eq!(desk.ready().await, None, "nobody remembered yet");

    let refused = desk
        .log_in("wangfang", "not the password")
        .await
        .unwrap_err();
    assert_eq!(refused, LoginFailure::WrongCredentials);
    let view = desk.log_in("WangFang", &otp).await.unwrap();
    assert!(view.account.must_change_password);
    assert_eq!(view.workstation, "值班台-2");
    assert_eq!(desk.state().account.gate(Capability::Read), Gate::Allowed);

    desk.send(Command::Auth(AuthCommand::ChangePassword {
        current: Secret::new(otp.clone()),
        new: Secret::new(PASSWORD),
    }));
    let changed = desk
        .until("the password change", |e| match e {
            Event::Auth(AuthEvent::PasswordChanged(view)) => Some(view.clone()),
            Event::Auth(AuthEvent::PasswordChangeFailed(text)) => panic!("{text}"),
            _ => None,
        })
        .await;
    assert!(!changed.account.must_change_password);
    assert!(
        !desk.events.iter().any(|e| matches!(
            e,
            Event::Sync(SyncEvent::LinkChanged(LinkStatus::Online { .. }))
        )),
        "no sync while the password was a one-time one"
    );
    desk.online().await;
    let (_, answer) = central
        .post_observations(
            &client(),
            &batch(&[record("58819", &minutes_from_now(-1), json!({"TEM": 12.0}))]),
        )
        .await;
    assert_eq!(answer["stored"], 1);
    desk.until("the observation", |e| {
        matches!(e, Event::Sync(SyncEvent::Synced { cursor, .. }) if cursor.seq() == Ok(1))
            .then_some(())
    })
    .await;
    let notes: Vec<&StorageNote> = desk
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Auth(AuthEvent::Stored(note)) => Some(note),
            _ => None,
        })
        .collect();
    assert!(matches!(notes[0], StorageNote::InFile(_)), "{notes:?}");

    // Remembered in a file only the user can read; a restarted console is signed in at once.
    let file = session_file(&credentials);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    desk.handle.take();
    let mut again = Desk::start(&central.base(), dir.path(), &credentials);
    let remembered = again.ready().await.expect("the session is remembered");
    assert_eq!(remembered.account.username.as_str(), "wangfang");
    let confirmed = again
        .until("the central's confirmation", |e| match e {
            Event::Auth(AuthEvent::Confirmed(view)) => Some(view.clone()),
            _ => None,
        })
        .await;
    assert_eq!(confirmed.role(), Role::DutyForecaster);
    let defaults: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(credentials.join("login.json")).unwrap())
            .unwrap();
    assert_eq!(
        defaults,
        json!({"last_username": "wangfang", "workstation": "值班台-2"})
    );

    // Logging out forgets it.
    again.send(Command::Auth(AuthCommand::LogOut));
    again
        .until("signed out", |e| {
            matches!(e, Event::Auth(AuthEvent::SignedOut(None))).then_some(())
        })
        .await;
    assert!(!file.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_a_remembered_session_reads_the_cache_but_may_not_administer() {
    let mut central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = remembered_session(&central, dir.path()).await;
    central.shutdown().await;
    let mut desk = Desk::start(&central.base(), dir.path(), &credentials);
    let remembered = desk.ready().await.expect("remembered");
    assert_eq!(remembered.role(), Role::Administrator);
    desk.until("offline", |e| {
        matches!(
            e,
            Event::Sync(SyncEvent::LinkChanged(LinkStatus::Offline { .. }))
        )
        .then_some(())
    })
    .await;
    let state = desk.state();
    assert_eq!(
        state.account.gate(Capability::Read),
        Gate::NeedsCentral,
        "read-only, from the cache"
    );
    assert_eq!(
        state.account.gate(Capability::ManageUsers),
        Gate::NeedsCentral
    );
    assert_eq!(
        state.account.gate(Capability::SwitchShade),
        Gate::NeedsRole(vec![Role::Technician])
    );
    // Whatever needs the central waits for it: asked anyway, it fails and says why.
    desk.send(Command::Admin(AdminCommand::Refresh));
    let failed = desk
        .until("the refusal", |e| match e {
            Event::Admin(AdminEvent::Failed(text)) => Some(text.clone()),
            _ => None,
        })
        .await;
    assert!(
        matches!(&failed, Trouble::Other(text) if text.contains("unreachable")),
        "{failed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_central_ends_means_log_in_again_not_retry() {
    let central = TestCentral::start().await;
    let otp = new_user(&central, "wangfang", Role::Leader).await;
    central.first_login(&client(), "wangfang", &otp).await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("config");
    let mut desk = Desk::start(&central.base(), dir.path(), &credentials);
    desk.ready().await;
    desk.log_in("wangfang", PASSWORD).await.unwrap();
    desk.online().await;

    // An administrator resets the password: the live stream ends at its next change, the
    // reconnect is refused, and the desk asks for a login — once.
    let admin = client_with(&central.token(Role::Administrator).await);
    admin
        .post(central.url("/users/wangfang/password"))
        .send()
        .await
        .unwrap();
    central
        .post_observations(
            &client(),
            &batch(&[record("58819", &minutes_from_now(-2), json!({"TEM": 9.0}))]),
        )
        .await;
    let reason = desk
        .until("signed out by the central", |e| match e {
            Event::Auth(AuthEvent::SignedOut(Some(reason))) => Some(reason.clone()),
            _ => None,
        })
        .await;
    // The central's reason arrives as its code, and the Chinese UI says it in Chinese.
    assert_eq!(reason.code(), Some("session_ended"), "{reason}");
    assert_eq!(
        i18n::trouble(Language::Zh, &reason),
        "会话已过期、已退出或被撤销"
    );
    desk.until("the link says so", |e| {
        matches!(
            e,
            Event::Sync(SyncEvent::LinkChanged(LinkStatus::SignedOut { .. }))
        )
        .then_some(())
    })
    .await;
    let left: Vec<String> = std::fs::read_dir(&credentials)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !left.iter().any(|name| name.starts_with("session-")),
        "forgotten: {left:?}"
    );

    // Logging in again picks up where it stopped; nothing was retried in between.
    let reset: serde_json::Value = admin
        .post(central.url("/users/wangfang/password"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let otp = reset["one_time_password"].as_str().unwrap().to_owned();
    let marker = desk.events.len();
    desk.log_in("wangfang", &otp).await.unwrap();
    let between = &desk.events[marker..];
    assert!(
        !between.iter().any(|e| matches!(
            e,
            Event::Sync(SyncEvent::LinkChanged(LinkStatus::Offline { .. }))
        )),
        "no reconnection attempts while signed out: {between:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_manages_users_and_exports_the_audit_log_from_the_console() {
    let central = TestCentral::start().await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = remembered_session(&central, dir.path()).await;
    let mut desk = Desk::start(&central.base(), dir.path(), &credentials);
    desk.ready().await;
    desk.online().await;

    desk.send(Command::Admin(AdminCommand::CreateUser {
        username: "chenjie".into(),
        display_name: "陈杰".into(),
        role: Role::Technician,
    }));
    let (account, password) = desk
        .until("the new user's password", |e| match e {
            Event::Admin(AdminEvent::PasswordIssued {
                account,
                password,
                created: true,
            }) => Some((account.clone(), password.clone())),
            Event::Admin(AdminEvent::Failed(text)) => panic!("{text}"),
            _ => None,
        })
        .await;
    assert_eq!(
        (account.username.as_str(), account.role),
        ("chenjie", Role::Technician)
    );
    let users = desk
        .until("the list", |e| match e {
            Event::Admin(AdminEvent::Users(users)) => Some(users.len()),
            _ => None,
        })
        .await;
    assert_eq!(users, 2);
    assert_eq!(
        central
            .login(&client(), "chenjie", password.expose())
            .await
            .0,
        200
    );

    desk.send(Command::Admin(AdminCommand::SetRole {
        username: "chenjie".into(),
        role: Role::Supervisor,
    }));
    let updated = desk
        .until("the role change", |e| match e {
            Event::Admin(AdminEvent::Updated(account)) => Some(account.role),
            _ => None,
        })
        .await;
    assert_eq!(updated, Role::Supervisor);
    desk.send(Command::Admin(AdminCommand::SetDisabled {
        username: "admin".into(),
        disabled: true,
    }));
    let refused = desk
        .until("the refusal", |e| match e {
            Event::Admin(AdminEvent::Failed(text)) => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(refused.code(), Some("last_administrator"), "{refused}");
    assert_eq!(
        i18n::trouble(Language::Zh, &refused),
        "“admin”是最后一位启用的系统管理员，请先指定另一位系统管理员"
    );

    let search = AuditSearch {
        actor: Some("admin".into()),
        ..AuditSearch::default()
    };
    desk.send(Command::Audit(AuditCommand::Load {
        search: search.clone(),
        before: None,
    }));
    let entries = desk
        .until("a page", |e| match e {
            Event::Audit(AuditEvent::Page { entries, .. }) => Some(entries.clone()),
            _ => None,
        })
        .await;
    assert_eq!(entries[0].record.action, "role_changed");
    assert!(entries.windows(2).all(|w| w[0].seq > w[1].seq));
    desk.send(Command::Audit(AuditCommand::Export(search)));
    let (path, count) = desk
        .until("the export", |e| match e {
            Event::Audit(AuditEvent::Exported { path, entries }) => Some((path.clone(), *entries)),
            Event::Audit(AuditEvent::Failed(text)) => panic!("{text}"),
            _ => None,
        })
        .await;
    assert_eq!(count, entries.len());
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a BOM, for Excel"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(
        csv::Reader::from_reader(text.as_bytes()).records().count(),
        count
    );
    assert!(text.contains("创建用户 / User created"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_technician_is_refused_user_management_by_the_central() {
    let central = TestCentral::start().await;
    let otp = new_user(&central, "chenjie", Role::Technician).await;
    central.first_login(&client(), "chenjie", &otp).await;
    let dir = tempfile::tempdir().unwrap();
    let mut desk = Desk::start(&central.base(), dir.path(), &dir.path().join("config"));
    desk.ready().await;
    let view = desk.log_in("chenjie", PASSWORD).await.unwrap();
    assert!(!view.can(Capability::ManageUsers));
    // A hidden button is not security: the command sent anyway is refused by the central.
    desk.send(Command::Admin(AdminCommand::Refresh));
    let refused = desk
        .until("the refusal", |e| match e {
            Event::Admin(AdminEvent::Failed(text)) => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(refused.code(), Some("forbidden"), "{refused}");
    assert_eq!(
        i18n::trouble(Language::Zh, &refused),
        "此操作需要“管理用户”权限，您的角色“技术保障”没有此权限"
    );
}
