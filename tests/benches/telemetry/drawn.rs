//! Publish → drawn: a garden's report through Mosquitto and the central to a desk's frame.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use wxdesk::console::app::App;
use wxdesk::console::backend::accounts::view;
use wxdesk::console::backend::client::CentralClient;
use wxdesk::console::backend::credentials::{Credentials, NoKeyring};
use wxdesk::console::backend::{self, BackendConfig, BackendHandle, Link};
use wxdesk::console::ui::i18n::Language;
use wxdesk::domain::access::Secret;
use wxdesk::domain::time::{MINUTE_MS, ManualClock, SharedClock};
use wxdesk::domain::{StationId, Timestamp};
use wxdesk::protocol::{LoginRequest, LoginResponse, PasswordChange};

use crate::mqtt_central::{MqttCentral, queues};
use crate::{NOW, env, ms, quantile, report};

/// The longest any one wait may take before the bench fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// The first administrator signed in, the one-time password replaced.
async fn sign_in(url: &str, one_time: &Secret) -> LoginResponse {
    let client = CentralClient::new(url, &[]).unwrap();
    let login = |password: &Secret| LoginRequest {
        username: "admin".into(),
        password: password.clone(),
        workstation: "bench".into(),
    };
    let first = client.login(&login(one_time)).await.unwrap();
    let new = Secret::new("bench-password-1");
    client
        .with_token(first.token.clone())
        .change_password(&PasswordChange {
            current_password: one_time.clone(),
            new_password: new.clone(),
        })
        .await
        .unwrap();
    client.login(&login(&new)).await.unwrap()
}

/// A desk run headless as eframe runs it: a frame whenever the backend asks for a repaint.
struct Desk {
    ctx: egui::Context,
    app: App,
    frame: eframe::Frame,
    woken: mpsc::Receiver<()>,
    frames: usize,
    _backend: BackendHandle,
}

impl Desk {
    fn start(url: &str, dir: &std::path::Path, login: &LoginResponse, clock: SharedClock) -> Self {
        let credentials = dir.join("credentials");
        Credentials::new(Some(credentials.clone()), url, Arc::new(NoKeyring))
            .save(&login.token, &view(login.session.clone()))
            .unwrap();
        let mut config = BackendConfig::new(url, dir.join("cache.sqlite"));
        config.credentials_dir = Some(credentials);
        let (link, ends) = Link::pair();
        let (wake, woken) = mpsc::channel();
        let waker: backend::Waker = Arc::new(move || {
            let _ = wake.send(()); // the bench may have stopped listening
        });
        let handle = backend::spawn(config, ends, clock.clone(), waker).unwrap();
        let ctx = egui::Context::default();
        let cc = eframe::CreationContext::_new_kittest(ctx.clone());
        let app = App::new(&cc, link, clock, Language::Zh);
        Self {
            ctx,
            app,
            frame: eframe::Frame::_new_kittest(),
            woken,
            frames: 0,
            _backend: handle,
        }
    }

    /// One frame: the app's logic (events in) and its UI, tessellated.
    fn frame(&mut self) {
        self.frames += 1;
        #[allow(clippy::cast_precision_loss)]
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1280.0, 800.0),
            )),
            time: Some(self.frames as f64 / 60.0),
            ..Default::default()
        };
        let (app, frame) = (&mut self.app, &mut self.frame);
        let mut output = self.ctx.run_ui(input, |ui| {
            eframe::App::logic(app, ui.ctx(), frame);
            eframe::App::ui(app, ui, frame);
        });
        output.textures_delta.clear();
        let _ = self.ctx.tessellate(output.shapes, output.pixels_per_point);
    }

    /// Frames at each wake-up (and every 200 ms) until `done`; the instant the frame that
    /// made it true ended.
    fn until(&mut self, what: &str, mut done: impl FnMut(&App) -> bool) -> Instant {
        let end = Instant::now() + DEADLINE;
        loop {
            self.frame();
            if done(&self.app) {
                return Instant::now();
            }
            let left = end.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {what}");
            let _ = self
                .woken
                .recv_timeout(left.min(Duration::from_millis(200)));
            // Everything that arrived is one repaint, as eframe coalesces them.
            while self.woken.try_recv().is_ok() {}
        }
    }
}

/// The whole measurement.
pub fn run(runtime: &tokio::runtime::Runtime) {
    // The desk's HTTP client needs a TLS provider even for plain HTTP, as `main` installs.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let probes = env("WXDESK_BENCH_PROBES", 200);
    let clock = ManualClock::new(NOW);
    let shared: SharedClock = clock.clone();
    let rig = runtime.block_on(MqttCentral::start(1, queues(10_000), |c| {
        c.clock = shared.clone();
        c.reissue_first_admin = true;
    }));
    let Some(rig) = rig else {
        return;
    };
    let url = rig.central.url();
    let one_time = rig.central.first_admin_password().unwrap().clone();
    let login = runtime.block_on(sign_in(&url, &one_time));
    let mut desk = Desk::start(&url, rig.dir.path(), &login, shared);
    let station = StationId::parse("BN0000").unwrap();
    desk.until("the desk signed in and synced", |app| {
        app.state().account.confirmed()
            && app.state().sync.is_some()
            && app.state().network.stations.iter().any(|s| s.id == station)
    });
    let device = runtime.block_on(rig.connect()).pop().unwrap();
    let first = NOW.plus_ms(-i64::try_from(probes + 1).unwrap() * MINUTE_MS);
    let mut delays = Vec::new();
    for minute in 0..i64::try_from(probes).unwrap() {
        let telemetry = report(device.id(), first, minute);
        let time: Timestamp = telemetry.time;
        let published = Instant::now();
        runtime.block_on(device.publish(&telemetry)).unwrap();
        let drawn = desk.until("the report on the desk", |app| {
            app.state().last_report(&station) >= Some(time)
        });
        delays.push(drawn - published);
        // Reports apart, as devices' are: the desk idles between them.
        let pause = 50 + u64::try_from(minute * 37 % 101).unwrap();
        std::thread::sleep(Duration::from_millis(pause));
    }
    delays.sort();
    println!(
        "publish → drawn on a desk (loopback, {} profile), {probes} reports one at a time: \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} frames in all",
        if cfg!(debug_assertions) {
            "dev"
        } else {
            "release"
        },
        ms(quantile(&delays, 0.5)),
        ms(quantile(&delays, 0.99)),
        ms(quantile(&delays, 1.0)),
        desk.frames
    );
    drop(desk);
    runtime.block_on(async move {
        device.disconnect().await;
        rig.stop().await;
    });
}
