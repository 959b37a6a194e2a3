//! The no-configuration default: a central and the simulator in this process, on 127.0.0.1
//! with a random port, reached by the console over the same HTTP path as a remote central.
//!
//! Both run on a runtime of their own, in the thread `wxdesk-central`, so the console's
//! backend and UI are exactly as they would be against a remote central. At each start the
//! simulator sends its history first — [`ARCHIVE_DAYS`] of hourly archive, then
//! [`BACKFILL_HOURS`] of minutes — so the history screens are full on a newcomer's first start;
//! after a restart the central answers what it already holds as duplicates.
//!
//! The simulated gardens and greenhouses ([`sim::gardens`]) publish over MQTT to a broker in
//! this process ([`broker`], 127.0.0.1, a random port, no authentication), as real devices
//! publish to a served central's Mosquitto; [`Embedded::broker_addr`] says where it listens.
//!
//! Accounts work as on a served central: the simulator gets a fresh device key at each start,
//! and on the first start (until the first administrator has logged in) the central creates
//! `admin` with a one-time password, which [`Embedded::first_admin_password`] hands to the
//! console to show once.

pub mod broker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use anyhow::Context as _;
use tokio::sync::watch;

use crate::central::{self, CentralConfig, CentralError};
use crate::domain::Timestamp;
use crate::domain::access::{DeviceClaims, DeviceName, Secret};
use crate::domain::time::SharedClock;
use crate::sim::{self, History, HttpSink, SimConfig};
use crate::store::StoreError;

/// Hours of simulated one-minute history sent when the embedded central starts (and after any
/// gap): a week, what the console's live views and rain windows look back on.
pub const BACKFILL_HOURS: u32 = 7 * 24;

/// Days of the simulated hourly archive sent before the minutes at each start: a year, so the
/// history screens have a station's record at every range from the first start.
pub const ARCHIVE_DAYS: u32 = 365;

/// The device name of the built-in simulator's key.
pub const SIMULATOR_DEVICE: &str = "simulator";

/// The running embedded central and simulator; dropping it stops both and waits.
#[derive(Debug)]
pub struct Embedded {
    url: String,
    notices: Vec<String>,
    first_admin: Option<Secret>,
    broker: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Embedded {
    /// The central's base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the embedded MQTT broker listens (loopback, no authentication), if it started.
    pub fn broker_addr(&self) -> Option<SocketAddr> {
        self.broker
    }

    /// Things that went wrong at start-up and were recovered from, for the user to read.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The one-time password of the first administrator, when this start created (or
    /// reissued) it: the console shows it once, with how to log in.
    pub fn first_admin_password(&self) -> Option<&Secret> {
        self.first_admin.as_ref()
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = self.stop.send(true); // the thread may already have ended
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("embedded central thread panicked");
        }
    }
}

/// Starts the embedded central (database `data_dir/central.sqlite`) and the simulator.
/// Returns once the central is listening.
pub fn start(data_dir: &Path, clock: SharedClock) -> anyhow::Result<Embedded> {
    let db = data_dir.join("central.sqlite");
    let (stop, stopped) = watch::channel(false);
    let (ready_tx, ready_rx) = std_mpsc::sync_channel(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("wxdesk-central-rt")
        .enable_all()
        .build()
        .context("starting the embedded central's runtime")?;
    let thread = std::thread::Builder::new()
        .name("wxdesk-central".into())
        .spawn(move || runtime.block_on(serve(db, clock, stopped, ready_tx)))
        .context("starting the embedded central's thread")?;
    let Started {
        url,
        notices,
        first_admin,
        broker,
    } = ready_rx
        .recv()
        .context("the embedded central's thread ended before it was ready")??;
    Ok(Embedded {
        url,
        notices,
        first_admin,
        broker,
        stop,
        thread: Some(thread),
    })
}

/// What a start hands back to the caller.
struct Started {
    url: String,
    notices: Vec<String>,
    first_admin: Option<Secret>,
    broker: Option<SocketAddr>,
}

type Ready = anyhow::Result<Started>;

async fn serve(
    db: PathBuf,
    clock: SharedClock,
    mut stopped: watch::Receiver<bool>,
    ready: std_mpsc::SyncSender<Ready>,
) {
    // The broker first: the central's MQTT bridge is told where it listens.
    let broker = match tokio::task::spawn_blocking(broker::start_broker).await {
        Ok(Ok(broker)) => Some(broker),
        Ok(Err(error)) => {
            tracing::error!("{error}");
            None
        }
        Err(error) => {
            tracing::error!("embedded MQTT broker: {error}");
            None
        }
    };
    let started = async {
        let mut notices = Vec::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding 127.0.0.1")?;
        let network = crate::assets::qingliu_network().context("reading the shipped network")?;
        let simulator = DeviceName::parse(SIMULATOR_DEVICE)?;
        let mut config = CentralConfig::new(&db, network);
        config.clock = clock.clone();
        config.reissue_first_admin = true;
        // The simulator loads a year of archive (labelled imported) before it goes live.
        config.device_keys = vec![(simulator, DeviceClaims::ARCHIVE_LOADER)];
        // The simulated gardens' reports reach the central through the broker, as real
        // devices' do through a served central's Mosquitto.
        config.mqtt = broker.as_ref().map(|b| {
            let dir = db.parent().unwrap_or(Path::new("."));
            central::devices::mqtt::MqttSettings::loopback(b.addr, dir)
        });
        let central = match central::start(listener, config.clone()).await {
            // A database whose audit log was sealed with another key (its key file lost) is
            // treated as damaged too: its chain can no longer be verified or continued.
            Err(CentralError::Store(
                StoreError::Corrupt { reason, .. } | StoreError::AuditKey(reason),
            )) => {
                // The embedded central holds only simulated data: keep the damaged file for
                // inspection and start afresh rather than leave the desk without a central.
                let aside = db.with_extension(format!("corrupt-{}", clock.now().millis()));
                std::fs::rename(&db, &aside)
                    .with_context(|| format!("moving {} aside", db.display()))?;
                notices.push(format!(
                    "the embedded central's database was damaged ({reason}); it was moved to {} and a new one started",
                    aside.display()
                ));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .context("binding 127.0.0.1")?;
                central::start(listener, config).await?
            }
            other => other?,
        };
        anyhow::Ok((central, notices))
    };
    let (central, notices) = match started.await {
        Ok(started) => started,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    // The simulated gardens and greenhouses join the registry (and their stations the map)
    // the first time; a failure here leaves the stations' console working.
    match crate::assets::simulated_devices() {
        Ok(devices) => match central.register_devices(devices).await {
            Ok(added) if added > 0 => tracing::info!(added, "simulated devices registered"),
            Ok(_) => {}
            Err(failure) => {
                tracing::error!(error = %failure.body.message, "simulated devices not registered");
            }
        },
        Err(error) => tracing::error!(%error, "the shipped simulated devices do not parse"),
    }
    let url = central.url();
    let first_admin = central.first_admin_password().cloned();
    let key = DeviceName::parse(SIMULATOR_DEVICE)
        .ok()
        .and_then(|name| central.device_key(&name).cloned())
        .unwrap_or_default();
    let history = History {
        archive_days: ARCHIVE_DAYS,
        backfill_hours: BACKFILL_HOURS,
    };
    let simulator = match SimConfig::qingliu(history)
        .map_err(anyhow::Error::from)
        .and_then(|config| Ok((config, HttpSink::new(&url, &key, Vec::new())?)))
    {
        Ok((config, sink)) => {
            let mut stopped = stopped.clone();
            let stop = async move {
                let _ = stopped.wait_for(|&stop| stop).await;
            };
            Some(tokio::spawn(sim::run(config, sink, clock.clone(), stop)))
        }
        Err(error) => {
            tracing::error!("simulator not started: {error:#}");
            None
        }
    };
    let mut notices = notices;
    if simulator.is_none() {
        notices.push(
            "the station simulator could not start; the console shows only stored data".into(),
        );
    }
    let relays: Arc<dyn sim::gardens::RelaySource> = Arc::new(CentralRelays(central.relay_log()));
    let gardens = start_gardens(broker, &clock, relays, &stopped, &mut notices);
    tracing::info!(%url, at = %Timestamp::now(), "embedded central and simulator running");
    let broker = gardens.as_ref().map(|(broker, _)| broker.addr);
    let _ = ready.send(Ok(Started {
        url,
        notices,
        first_admin,
        broker,
    }));

    let _ = stopped.wait_for(|&stop| stop).await;
    if let Some((broker, devices)) = gardens {
        match devices.await {
            Ok(Ok(summary)) => tracing::info!(?summary, "simulated devices stopped"),
            Ok(Err(error)) => tracing::error!("simulated devices failed: {error}"),
            Err(error) => tracing::error!("simulated devices task failed: {error}"),
        }
        let _ = tokio::task::spawn_blocking(move || broker.shutdown()).await;
    }
    if let Some(simulator) = simulator {
        match simulator.await {
            Ok(Ok(summary)) => tracing::info!(?summary, "simulator stopped"),
            Ok(Err(error)) => tracing::error!("simulator failed: {error}"),
            Err(error) => tracing::error!("simulator task failed: {error}"),
        }
    }
    if let Err(error) = central.shutdown().await {
        tracing::error!("embedded central did not stop cleanly: {error}");
    }
}

/// The running broker and the simulated devices' task.
type Gardens = (
    broker::BrokerHandle,
    tokio::task::JoinHandle<Result<sim::gardens::GardensSummary, sim::gardens::GardenError>>,
);

/// Starts the simulated gardens and greenhouses publishing to the embedded `broker`; on
/// failure (no broker among them) says so in `notices` and leaves the rest of the desk running.
fn start_gardens(
    broker: Option<broker::BrokerHandle>,
    clock: &SharedClock,
    relays: Arc<dyn sim::gardens::RelaySource>,
    stopped: &watch::Receiver<bool>,
    notices: &mut Vec<String>,
) -> Option<Gardens> {
    let started = || {
        let broker =
            broker.ok_or_else(|| anyhow::anyhow!("the embedded MQTT broker did not start"))?;
        let devices = sim::gardens::simulated_devices()?;
        let network = crate::assets::qingliu_network()?;
        anyhow::Ok((devices, network, broker))
    };
    let (devices, network, broker) = match started() {
        Ok(started) => started,
        Err(error) => {
            tracing::error!("simulated gardens not started: {error:#}");
            notices.push(format!(
                "the simulated gardens and greenhouses could not start ({error:#}); the stations are unaffected"
            ));
            return None;
        }
    };
    let endpoint = sim::gardens::BrokerEndpoint {
        host: broker.addr.ip().to_string(),
        port: broker.addr.port(),
        ..Default::default()
    };
    let mut stopped = stopped.clone();
    let stop = async move {
        let _ = stopped.wait_for(|&stop| stop).await;
    };
    let clock = clock.clone();
    let devices = tokio::spawn(async move {
        sim::gardens::run(devices, &network, endpoint, clock, Some(relays), stop).await
    });
    Some((broker, devices))
}

/// The simulated greenhouses' relay history: the embedded central's observed commands, so a
/// restart tells the same story.
struct CentralRelays(central::relays::RelayLog);

impl sim::gardens::RelaySource for CentralRelays {
    fn history<'a>(
        &'a self,
        device: &'a crate::domain::devices::DeviceId,
    ) -> futures_util::future::BoxFuture<'a, sim::relay_history::RelayHistory> {
        Box::pin(async move {
            match self.0.commands(device).await {
                Ok(commands) => sim::relay_history::RelayHistory::from_commands(&commands),
                Err(failure) => {
                    tracing::warn!(%device, error = %failure.body.message, "relay history unread");
                    sim::relay_history::RelayHistory::default()
                }
            }
        })
    }
}
