//! Transport security and secrets: the central over HTTPS with a certificate from a bureau CA
//! made here (rcgen), trusted by a console given that CA and refused — plainly — by one without
//! it; and no password, one-time password, token or key in any log line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};
use wxdesk::central::{self, CentralConfig, TlsFiles};
use wxdesk::console::backend::client::{CentralClient, ClientError};
use wxdesk::console::backend::credentials::{Credentials, NoKeyring};
use wxdesk::console::backend::{self, BackendConfig, Link, accounts};
use wxdesk::console::messages::{AuthCommand, Command, Event, LinkStatus, SyncEvent};
use wxdesk::domain::access::{DeviceName, Role, Secret};
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::sim::{HttpSink, ObservationSink as _};

use crate::support::{
    PASSWORD, TestCentral, captured_logs, client, client_from, client_with, init, now, username,
    within,
};

/// A bureau CA and a certificate for 127.0.0.1 and localhost signed by it, as PEM files.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "清流县气象局 test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "qxj central");
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("central.pem"),
        key: dir.join("central-key.pem"),
    };
    std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
    std::fs::write(&pki.cert, cert.pem()).unwrap();
    std::fs::write(&pki.key, key.serialize_pem()).unwrap();
    pki
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_bureau_ca_works_and_without_it_says_why() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let mut config =
        CentralConfig::new(dir.path().join("central.sqlite"), crate::support::network());
    config.tls = Some(TlsFiles {
        cert: pki.cert.clone(),
        key: pki.key.clone(),
    });
    config.device_keys = vec![(
        DeviceName::parse("tls-logger").unwrap(),
        wxdesk::domain::access::DeviceClaims::LIVE,
    )];
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = central::start(listener, config).await.unwrap();
    let url = running.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let ca = std::fs::read(&pki.ca).unwrap();

    // Trusted: the console's client with the CA, and a device sending over HTTPS.
    let trusting = CentralClient::new(&url, &ca).unwrap();
    assert_eq!(trusting.health().await.unwrap().stations, 16);
    let roots = reqwest::Certificate::from_pem_bundle(&ca).unwrap();
    let key = running
        .device_key(&DeviceName::parse("tls-logger").unwrap())
        .unwrap()
        .clone();
    let mut sink = HttpSink::new(&url, &key, roots).unwrap();
    let observation = crate::support::synthetic_observations(
        &crate::support::network(),
        &[crate::support::id("58819")],
        wxdesk::domain::Timestamp::now().plus_ms(-60_000),
        wxdesk::domain::Timestamp::now(),
    );
    assert_eq!(sink.send(&observation[..1]).await.unwrap().stored, 1);

    // Untrusted: a clear error naming the fix.
    let doubting = CentralClient::new(&url, &[]).unwrap();
    let error = doubting.health().await.unwrap_err();
    assert!(matches!(error, ClientError::Untrusted(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("not trusted") && text.contains("--ca-cert"),
        "{text}"
    );

    // The same error in the console's link status, with a remembered session.
    let login = trusting
        .login(&wxdesk::protocol::LoginRequest {
            username: "admin".into(),
            password: running.first_admin_password().unwrap().clone(),
            workstation: "tls-desk".into(),
        })
        .await
        .unwrap();
    // A one-time password only lets the user change it; replace it so the console may sync.
    let authorised = trusting.with_token(login.token.clone());
    authorised
        .change_password(&wxdesk::protocol::PasswordChange {
            current_password: running.first_admin_password().unwrap().clone(),
            new_password: Secret::new(PASSWORD),
        })
        .await
        .unwrap();
    let session = accounts::view(authorised.session().await.unwrap());
    let credentials = dir.path().join("config");
    Credentials::new(Some(credentials.clone()), &url, Arc::new(NoKeyring))
        .save(&login.token, &session)
        .unwrap();
    let (mut link, ends) = Link::pair();
    let mut config = BackendConfig::new(&url, dir.path().join("cache.sqlite"));
    config.credentials_dir = Some(credentials);
    let clock: SharedClock = ManualClock::new(now());
    let _backend = backend::spawn(config, ends, clock, Arc::new(|| {})).unwrap();
    let offline = within("the untrusted central to show in the link status", async {
        loop {
            if let Some(Event::Sync(SyncEvent::LinkChanged(LinkStatus::Offline {
                error, ..
            }))) = link.recv().await
            {
                return error.to_string();
            }
        }
    })
    .await;
    assert!(
        offline.contains("not trusted") && offline.contains("--ca-cert"),
        "{offline}"
    );
    running.shutdown().await.unwrap();
}

#[test]
fn a_key_that_does_not_fit_the_certificate_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    std::fs::write(&pki.key, KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let error = central::tls::server_config(&pki.cert, &pki.key)
        .unwrap_err()
        .to_string();
    assert!(error.contains("certificate and key"), "{error}");
    let error = central::tls::server_config(&pki.key, &pki.key)
        .unwrap_err()
        .to_string();
    assert!(error.contains("central-key.pem"), "{error}");
}

/// Logins (good, bad, one-time), a reset, a device key and a console's login, then every line
/// any test has logged so far: none holds a password, a one-time password, a token or a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_log() {
    let central = TestCentral::start().await;
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned(), central.device_key().to_owned()];
    secrets.push(central.first_admin_password().unwrap().expose().to_owned());
    let admin = central.token(Role::Administrator).await;
    secrets.push(admin.clone());
    let wrong = "S3cret wrong guess!";
    secrets.push(wrong.to_owned());
    for user in ["admin", "nobody"] {
        assert_eq!(central.login(&client(), user, wrong).await.0, 401);
    }
    let http = client_with(&admin);
    let created: Value = http
        .post(central.url("/users"))
        .json(&json!({"username": "lina", "display_name": "李娜", "role": "supervisor"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(created["one_time_password"].as_str().unwrap().to_owned());
    let reset: Value = http
        .post(central.url("/users/lina/password"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let otp = reset["one_time_password"].as_str().unwrap().to_owned();
    secrets.push(otp.clone());
    secrets.push(central.first_login(&client(), "lina", &otp).await);
    let issued: Value = http
        .post(central.url("/device-keys"))
        .json(&json!({"name": "aws-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(issued["key"].as_str().unwrap().to_owned());

    // A console logs in through its backend (wrong, then right).
    let dir = tempfile::tempdir().unwrap();
    let (mut link, ends) = Link::pair();
    let mut config = BackendConfig::new(&central.base(), dir.path().join("cache.sqlite"));
    config.credentials_dir = Some(dir.path().join("config"));
    let clock: SharedClock = ManualClock::new(now());
    let handle = backend::spawn(config, ends, clock, Arc::new(|| {})).unwrap();
    for password in [wrong, PASSWORD] {
        link.send(Command::Auth(AuthCommand::LogIn {
            username: "lina".into(),
            password: Secret::new(password),
            workstation: "desk-9".into(),
        }))
        .unwrap();
        within("the login's answer", async {
            loop {
                match link.recv().await {
                    Some(Event::Auth(
                        wxdesk::console::messages::AuthEvent::LoginFailed(_)
                        | wxdesk::console::messages::AuthEvent::SignedIn(_),
                    )) => return,
                    Some(_) => {}
                    None => panic!("backend stopped"),
                }
            }
        })
        .await;
    }
    let remembered = std::fs::read_dir(dir.path().join("config"))
        .unwrap()
        .count();
    assert!(remembered >= 1, "the session was remembered");
    drop(handle);

    let logs = captured_logs();
    assert!(
        logs.contains("login refused: wrong password"),
        "the capture works"
    );
    assert!(logs.contains("password reset"), "the capture works");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret is in the log: {secret:?}"
        );
    }
    assert!(
        !logs.contains("wxs_") && !logs.contains("wxd_"),
        "no token or key, whoever's"
    );
}

/// A central over HTTPS with `limits`, and a client trusting its CA.
async fn https_central(
    dir: &Path,
    limits: central::Limits,
) -> (central::RunningCentral, reqwest::Client) {
    init();
    let pki = pki(dir);
    let mut config = CentralConfig::new(dir.join("central.sqlite"), crate::support::network());
    config.tls = Some(TlsFiles {
        cert: pki.cert.clone(),
        key: pki.key.clone(),
    });
    config.limits = limits;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = central::start(listener, config).await.unwrap();
    let ca = std::fs::read(&pki.ca).unwrap();
    let roots = reqwest::Certificate::from_pem_bundle(&ca).unwrap();
    let mut builder = reqwest::Client::builder().timeout(crate::support::PATIENCE);
    for root in roots {
        builder = builder.add_root_certificate(root);
    }
    (running, builder.build().unwrap())
}

/// Waits until the central closes `socket` (reads to its end, sending nothing).
async fn closed_by_the_central(what: &str, socket: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt as _;
    let mut rest = Vec::new();
    let read = within(what, socket.read_to_end(&mut rest)).await;
    assert!(read.is_ok_and(|n| n == 0) || rest.is_empty(), "{rest:?}");
}

/// `GET /health` over HTTPS, retried until it answers: a slot freed by a closed handshake is
/// noticed a moment after the client closed it.
async fn health_answers(client: &reqwest::Client, url: &str) {
    within("HTTPS to answer again", async {
        loop {
            if let Ok(response) = client.get(format!("{url}/api/v1/health")).send().await {
                assert_eq!(response.status(), 200);
                return;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_handshakes_in_flight_are_bounded_and_the_excess_closed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let limits = central::Limits {
        handshakes_in_flight: 2,
        handshake_timeout: std::time::Duration::from_secs(3600),
        ..central::Limits::default()
    };
    let (running, client) = https_central(dir.path(), limits).await;
    // Two sockets that never say hello hold both handshake places (for an hour, here).
    let silent = || tokio::net::TcpStream::connect(running.addr());
    let (first, second) = (silent().await.unwrap(), silent().await.unwrap());
    // A third is closed at once rather than queued behind them.
    let mut third = silent().await.unwrap();
    closed_by_the_central("the third handshake to be refused", &mut third).await;
    // …while the two in flight are still open: nothing was read, nothing closed.
    for held in [&first, &second] {
        let error = held.try_read(&mut [0; 16]).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    }
    // Once the silent ones go, the central serves HTTPS again.
    drop((first, second));
    health_answers(&client, &running.url()).await;
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_handshake_that_takes_too_long_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let limits = central::Limits {
        handshakes_in_flight: 1,
        handshake_timeout: std::time::Duration::from_millis(200),
        ..central::Limits::default()
    };
    let (running, client) = https_central(dir.path(), limits).await;
    // It holds the only place until its time runs out, then is closed and the place freed.
    let mut silent = tokio::net::TcpStream::connect(running.addr())
        .await
        .unwrap();
    closed_by_the_central("the silent handshake to time out", &mut silent).await;
    health_answers(&client, &running.url()).await;
    running.shutdown().await.unwrap();
}

/// A login flood: 200 wrong logins for unknown users, 50 at a time from one address. The
/// address gets its ten free failures judged, then 429 without a hash; hashing never runs
/// wider than the cores; health and a user at another address carry on; and the audit log
/// gets one entry with the counts, not 200 rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_is_throttled_bounded_and_recorded_once() {
    let mut central = TestCentral::start().await;
    central.token(Role::DutyForecaster).await;
    let before = central.hash_stats();
    let flood = client();
    let mut statuses = Vec::new();
    for wave in 0..4 {
        let logins = (0..50).map(|i| {
            let (central, flood) = (&central, &flood);
            async move {
                let response = flood
                    .post(central.url("/auth/login"))
                    .json(&json!({"username": format!("guess{wave}x{i}"), "password": "12345678", "workstation": "x"}))
                    .send()
                    .await
                    .unwrap();
                let retry = response.headers().get("retry-after").cloned();
                (response.status().as_u16(), retry)
            }
        });
        let legit = async {
            if wave == 1 {
                let http = client_from([127, 0, 0, 2]);
                let (status, body) = central
                    .login(&http, &username(Role::DutyForecaster), PASSWORD)
                    .await;
                assert_eq!(status, 200, "the user at another address logs in: {body}");
                let health = flood.get(central.url("/health")).send().await.unwrap();
                assert_eq!(health.status(), 200);
            }
        };
        let (answers, ()) = within("a wave of the flood", async {
            tokio::join!(futures_util::future::join_all(logins), legit)
        })
        .await;
        statuses.extend(answers);
    }
    let unauthorised = statuses.iter().filter(|(s, _)| *s == 401).count();
    let throttled: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!((unauthorised, throttled.len()), (10, 190), "{statuses:?}");
    assert!(
        throttled.iter().all(|(_, retry)| retry.is_some()),
        "429 says when to retry"
    );
    let after = central.hash_stats();
    assert_eq!(
        after.verifications - before.verifications,
        11,
        "ten guesses and the user"
    );
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert!(after.peak_in_flight <= cores, "{after:?}");

    // The open window is recorded at shutdown: one entry for the flood.
    central.restart().await;
    let admin = client_with(&central.token(Role::Administrator).await);
    let page: Value = admin
        .get(central.url("/audit?action=login&limit=500"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = page["entries"].as_array().unwrap();
    let flood_entries: Vec<_> = entries
        .iter()
        .filter(|e| e["actor"] == "source:127.0.0.1")
        .collect();
    assert_eq!(flood_entries.len(), 1, "{page}");
    let details: Value =
        serde_json::from_str(flood_entries[0]["details"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&details["code"], &details["failures"], &details["refused"]),
        (&json!("failed_logins"), &json!(10), &json!(190)),
        "{details}"
    );
    assert!(
        !entries
            .iter()
            .any(|e| e["actor"].as_str().unwrap().starts_with("unknown:"))
    );
}
