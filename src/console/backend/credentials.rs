//! Where this workstation remembers its session: the token in the OS keyring (Secret Service
//! on Linux desktops, Credential Manager on Windows, Keychain on macOS) where there is one, else
//! in a file only the user can read (0600); who is signed in, and the login screen's defaults,
//! in files beside it.
//!
//! A headless machine, a kiosk session or a desktop without a keyring daemon has no keyring:
//! the file is then the fallback, and the console says so once.
//!
//! Every function blocks (file system, D-Bus): call them off the async threads.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::console::messages::SessionView;
use crate::domain::Timestamp;
use crate::domain::access::{Account, Capability, Secret};

/// The keyring's service name for wxdesk's entries (the account is the central's URL).
pub const KEYRING_SERVICE: &str = "wxdesk";

/// A place for secrets other than files: the OS keyring, or nothing.
pub trait Keyring: Send + Sync {
    /// The secret stored for `account`; `Ok(None)` if there is none.
    fn get(&self, account: &str) -> Result<Option<Secret>, String>;
    /// Stores `secret` for `account`.
    fn set(&self, account: &str, secret: &Secret) -> Result<(), String>;
    /// Forgets `account`'s secret (no error if there was none).
    fn delete(&self, account: &str) -> Result<(), String>;
}

/// The OS keyring, through the `keyring` crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemKeyring;

impl Keyring for SystemKeyring {
    fn get(&self, account: &str) -> Result<Option<Secret>, String> {
        let entry = keyring::Entry::new(KEYRING_SERVICE, account).map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(Secret::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(error.to_string()),
        }
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<(), String> {
        keyring::Entry::new(KEYRING_SERVICE, account)
            .and_then(|entry| entry.set_password(secret.expose()))
            .map_err(|e| e.to_string())
    }

    fn delete(&self, account: &str) -> Result<(), String> {
        let entry = keyring::Entry::new(KEYRING_SERVICE, account).map_err(|e| e.to_string())?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }
}

/// No keyring: every secret goes to the file.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKeyring;

impl Keyring for NoKeyring {
    fn get(&self, _account: &str) -> Result<Option<Secret>, String> {
        Err("no keyring configured".into())
    }
    fn set(&self, _account: &str, _secret: &Secret) -> Result<(), String> {
        Err("no keyring configured".into())
    }
    fn delete(&self, _account: &str) -> Result<(), String> {
        Ok(())
    }
}

/// A session as remembered on disk (the token only when there is no keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionFile {
    server: String,
    account: Account,
    capabilities: Vec<Capability>,
    workstation: String,
    expires_at: Timestamp,
    /// `None` when the token is in the keyring.
    token: Option<Secret>,
}

/// What the login screen offers on this workstation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginDefaults {
    /// The user name last used here.
    pub last_username: Option<String>,
    /// The workstation's name as last given at login.
    pub workstation: Option<String>,
}

/// A remembered session: the token and who it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The bearer token.
    pub token: Secret,
    /// Who and until when, as the central last said.
    pub session: SessionView,
}

/// Where the token ended up, for the user to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In the OS keyring.
    Keyring,
    /// In this file (0600), because the keyring refused for this reason.
    File(PathBuf, String),
    /// Nowhere: only in memory (tests).
    Memory,
}

/// This workstation's credential store for one central.
#[derive(Clone)]
pub struct Credentials {
    dir: Option<PathBuf>,
    server: String,
    keyring: Arc<dyn Keyring>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("dir", &self.dir)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Credentials for `server`, kept in `dir` (`None`: only in memory, nothing persists) and
    /// the keyring.
    pub fn new(dir: Option<PathBuf>, server: &str, keyring: Arc<dyn Keyring>) -> Self {
        Self {
            dir,
            server: server.trim_end_matches('/').to_owned(),
            keyring,
        }
    }

    fn session_path(&self) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("session-{}.json", fnv_hex(&self.server))))
    }

    fn defaults_path(&self) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join("login.json"))
    }

    /// The remembered session, if any and readable. A damaged file is forgotten, not fatal.
    pub fn load(&self) -> Option<Remembered> {
        let path = self.session_path()?;
        let text = fs::read_to_string(&path).ok()?;
        let file: SessionFile = match serde_json::from_str(&text) {
            Ok(file) => file,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "remembered session unreadable; forgotten");
                return None;
            }
        };
        if file.server != self.server {
            return None;
        }
        let token = match file.token {
            Some(token) => token,
            None => match self.keyring.get(&self.server) {
                Ok(Some(token)) => token,
                Ok(None) => return None,
                Err(error) => {
                    tracing::warn!(%error, "the keyring holding the session token cannot be read");
                    return None;
                }
            },
        };
        Some(Remembered {
            token,
            session: SessionView {
                account: file.account,
                capabilities: file.capabilities,
                workstation: file.workstation,
                expires_at: file.expires_at,
            },
        })
    }

    /// Remembers `session` with `token`: the token in the keyring if it takes it, else in the
    /// file. Returns where it went.
    pub fn save(&self, token: &Secret, session: &SessionView) -> Result<Place, String> {
        let Some(path) = self.session_path() else {
            return Ok(Place::Memory);
        };
        let (place, file_token) = match self.keyring.set(&self.server, token) {
            Ok(()) => (Place::Keyring, None),
            Err(reason) => (Place::File(path.clone(), reason), Some(token.clone())),
        };
        let file = SessionFile {
            server: self.server.clone(),
            account: session.account.clone(),
            capabilities: session.capabilities.clone(),
            workstation: session.workstation.clone(),
            expires_at: session.expires_at,
            token: file_token,
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
        write_private(&path, &json).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(place)
    }

    /// Forgets the session (file and keyring).
    pub fn clear(&self) {
        if let Err(error) = self.keyring.delete(&self.server) {
            tracing::debug!(%error, "keyring entry not removed");
        }
        if let Some(path) = self.session_path()
            && let Err(error) = fs::remove_file(&path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), %error, "remembered session not removed");
        }
    }

    /// The login screen's defaults.
    pub fn defaults(&self) -> LoginDefaults {
        self.defaults_path()
            .and_then(|path| fs::read_to_string(path).ok())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Remembers the user name and workstation of a login.
    pub fn save_defaults(&self, defaults: &LoginDefaults) {
        let Some(path) = self.defaults_path() else {
            return;
        };
        let written = serde_json::to_vec_pretty(defaults)
            .map_err(|e| e.to_string())
            .and_then(|json| write_private(&path, &json).map_err(|e| e.to_string()));
        if let Err(error) = written {
            tracing::warn!(path = %path.display(), %error, "login defaults not saved");
        }
    }
}

/// Writes `bytes` to `path` so that only the user can read it: a temporary file created 0600,
/// then renamed over the old one (never a moment with the secret world-readable, never half a
/// file).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let temp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&temp)?;
    #[cfg(unix)]
    {
        // `mode` applies only when the file is created; a leftover temp file keeps its own.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path)
}

/// This computer's name, for the workstation field: `/etc/hostname` on Linux, the environment
/// elsewhere.
pub fn host_name() -> String {
    let from_file = fs::read_to_string("/etc/hostname")
        .ok()
        .map(|text| text.trim().to_owned());
    from_file
        .into_iter()
        .chain(
            ["COMPUTERNAME", "HOSTNAME"]
                .iter()
                .filter_map(|v| std::env::var(v).ok()),
        )
        .map(|name| crate::domain::audit::clean(&name, 64))
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "workstation".to_owned())
}

/// FNV-1a of `text` as 16 hex digits: a stable file name per central.
pub fn fnv_hex(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::{Role, Username};
    use std::sync::Mutex;

    fn view() -> SessionView {
        SessionView {
            account: Account {
                username: Username::parse("zhangwei").unwrap(),
                display_name: "张伟".into(),
                role: Role::DutyForecaster,
                disabled: false,
                must_change_password: false,
                locked_until: None,
                last_login: None,
                created_at: Timestamp(0),
            },
            capabilities: Role::DutyForecaster.capabilities(),
            workstation: "desk-1".into(),
            expires_at: Timestamp(43_200_000),
        }
    }

    /// A keyring in memory.
    #[derive(Default)]
    struct FakeKeyring(Mutex<Option<Secret>>);

    impl Keyring for FakeKeyring {
        fn get(&self, _: &str) -> Result<Option<Secret>, String> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn set(&self, _: &str, secret: &Secret) -> Result<(), String> {
            *self.0.lock().unwrap() = Some(secret.clone());
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<(), String> {
            *self.0.lock().unwrap() = None;
            Ok(())
        }
    }

    #[test]
    fn without_a_keyring_the_token_goes_to_a_file_only_the_user_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Credentials::new(
            Some(dir.path().to_owned()),
            "https://qxj:8443/",
            Arc::new(NoKeyring),
        );
        assert_eq!(store.load(), None);
        let token = Secret::new("wxs_0123");
        let place = store.save(&token, &view()).unwrap();
        let Place::File(path, reason) = place else {
            panic!("{place:?}")
        };
        assert!(reason.contains("no keyring"), "{reason}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
        assert!(fs::read_to_string(&path).unwrap().contains("wxs_0123"));
        let loaded = store.load().unwrap();
        assert_eq!((loaded.token, loaded.session), (token, view()));

        // Another central's store does not see it; clearing forgets it.
        let other = Credentials::new(
            Some(dir.path().to_owned()),
            "https://other:8443",
            Arc::new(NoKeyring),
        );
        assert_eq!(other.load(), None);
        store.clear();
        assert_eq!(store.load(), None);
        assert!(!path.exists());
    }

    #[test]
    fn with_a_keyring_the_file_holds_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Arc::new(FakeKeyring::default());
        let store = Credentials::new(
            Some(dir.path().to_owned()),
            "http://127.0.0.1:8640",
            keyring.clone(),
        );
        assert_eq!(
            store.save(&Secret::new("wxs_abcd"), &view()).unwrap(),
            Place::Keyring
        );
        let file = fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert!(!fs::read_to_string(file).unwrap().contains("wxs_abcd"));
        assert_eq!(store.load().unwrap().token.expose(), "wxs_abcd");
        // The keyring lost it (another program, a new login session): nothing is remembered.
        keyring.delete("").unwrap();
        assert_eq!(store.load(), None);
    }

    #[test]
    fn a_damaged_file_is_forgotten_and_defaults_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Credentials::new(Some(dir.path().to_owned()), "http://x", Arc::new(NoKeyring));
        fs::write(
            dir.path()
                .join(format!("session-{}.json", fnv_hex("http://x"))),
            "{not json",
        )
        .unwrap();
        assert_eq!(store.load(), None);
        assert_eq!(store.defaults(), LoginDefaults::default());
        let defaults = LoginDefaults {
            last_username: Some("zhangwei".into()),
            workstation: Some("值班台1".into()),
        };
        store.save_defaults(&defaults);
        assert_eq!(store.defaults(), defaults);
        assert!(!host_name().is_empty());
    }
}
