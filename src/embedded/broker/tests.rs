use std::net::SocketAddr;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use super::*;
use crate::domain::Timestamp;
use crate::domain::time::ManualClock;
use crate::sim::gardens::payload::{OFFLINE, ONLINE, state_topic, telemetry_topic};
use crate::sim::gardens::{BrokerEndpoint, GardenDevice, publisher, simulated_devices};

/// Upper bound on any wait: only a failure guard.
const GUARD: Duration = Duration::from_secs(20);

/// A client of `broker` whose events arrive on the returned channel.
fn client(id: &str, broker: SocketAddr) -> (AsyncClient, mpsc::UnboundedReceiver<Event>) {
    let options = MqttOptions::new(id, broker.ip().to_string(), broker.port());
    let (client, mut events) = AsyncClient::new(options, 16);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = events.poll().await {
            if tx.send(event).is_err() {
                return;
            }
        }
    });
    (client, rx)
}

/// The first event matching `wanted`, within [`GUARD`].
async fn next<T>(
    events: &mut mpsc::UnboundedReceiver<Event>,
    mut wanted: impl FnMut(&Event) -> Option<T>,
) -> T {
    let found = async {
        while let Some(event) = events.recv().await {
            if let Some(found) = wanted(&event) {
                return found;
            }
        }
        panic!("connection ended");
    };
    tokio::time::timeout(GUARD, found)
        .await
        .expect("timed out waiting for an MQTT event")
}

async fn subscribed(
    client: &AsyncClient,
    events: &mut mpsc::UnboundedReceiver<Event>,
    topic: &str,
) {
    next(events, |e| {
        matches!(e, Event::Incoming(Packet::ConnAck(_))).then_some(())
    })
    .await;
    client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    next(events, |e| {
        matches!(e, Event::Incoming(Packet::SubAck(_))).then_some(())
    })
    .await;
}

/// A message on `topic`: its payload and retain flag.
fn message(topic: &str) -> impl FnMut(&Event) -> Option<(String, bool)> + '_ {
    move |event| match event {
        Event::Incoming(Packet::Publish(p)) if p.topic == topic => {
            Some((String::from_utf8_lossy(&p.payload).into_owned(), p.retain))
        }
        _ => None,
    }
}

async fn started() -> BrokerHandle {
    tokio::task::spawn_blocking(start_broker)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qos1_message_round_trips_through_a_broker_on_a_random_loopback_port() {
    let broker = started().await;
    assert!(broker.addr.ip().is_loopback());
    assert_ne!(broker.addr.port(), 1883, "never the machine's own broker");
    let other = started().await;
    assert_ne!(broker.addr, other.addr, "each start its own port");
    other.shutdown();

    let (subscriber, mut sub_events) = client("subscriber", broker.addr);
    subscribed(&subscriber, &mut sub_events, "wxdesk/test/#").await;
    let (publisher, mut pub_events) = client("publisher", broker.addr);
    next(&mut pub_events, |e| {
        matches!(e, Event::Incoming(Packet::ConnAck(_))).then_some(())
    })
    .await;
    publisher
        .publish("wxdesk/test/a", QoS::AtLeastOnce, false, "你好 QoS 1")
        .await
        .unwrap();
    next(&mut pub_events, |e| {
        matches!(e, Event::Incoming(Packet::PubAck(_))).then_some(())
    })
    .await;
    let qos = next(&mut sub_events, |event| match event {
        Event::Incoming(Packet::Publish(p)) if p.topic == "wxdesk/test/a" => {
            assert_eq!(&p.payload[..], "你好 QoS 1".as_bytes());
            Some(p.qos)
        }
        _ => None,
    })
    .await;
    assert_eq!(qos, QoS::AtLeastOnce);

    broker.shutdown();
    // Shutdown closes the connections: the subscriber's event loop reports the loss.
    let closed = async {
        while let Some(event) = sub_events.recv().await {
            drop(event);
        }
    };
    tokio::time::timeout(GUARD, closed)
        .await
        .expect("connection not closed at shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_publishes_online_then_telemetry_and_its_will_says_offline_when_it_drops() {
    let broker = started().await;
    let network = crate::assets::qingliu_network().unwrap();
    let device = simulated_devices()
        .unwrap()
        .into_iter()
        .find(|d| d.id.as_str() == "YR-AWS1")
        .unwrap();
    let id = device.id.clone();
    let (watcher, mut watch_events) = client("watcher", broker.addr);
    subscribed(&watcher, &mut watch_events, "wxdesk/v1/devices/YR-AWS1/#").await;

    // A millisecond before a minute ends: one tick of the clock lets the device publish it.
    let minute_end = Timestamp::parse_rfc3339("2026-07-15T04:00:00Z").unwrap();
    let clock = ManualClock::new(minute_end.plus_ms(-1));
    let endpoint = BrokerEndpoint {
        host: broker.addr.ip().to_string(),
        port: broker.addr.port(),
        ..BrokerEndpoint::default()
    };
    let model = GardenDevice::new(device, &network).unwrap();
    let driver = crate::sim::driver::guangzhou().unwrap();
    let device_task = tokio::spawn(publisher::publish_device(
        model,
        driver,
        endpoint,
        clock.clone(),
        None,
        std::future::pending(),
    ));
    let state = next(&mut watch_events, message(&state_topic(&id))).await;
    assert_eq!(state.0, ONLINE);

    clock.advance(1);
    let (json, retained) = next(&mut watch_events, message(&telemetry_topic(&id))).await;
    assert!(!retained);
    let payload: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(payload["time"], minute_end.millis());
    assert_eq!(payload["backfill"], false);
    for code in ["TEM", "RHU", "PRE", "SVWC_10cm", "GST_10cm", "LEAF_WET"] {
        assert!(payload["values"][code].is_number(), "{code} in {json}");
    }
    assert!(payload["battery_v"].is_number(), "{json}");
    assert_eq!(payload["values"].get("CO2"), None);

    // Power lost: the connection drops without DISCONNECT and the broker says the will.
    device_task.abort();
    let state = next(&mut watch_events, message(&state_topic(&id))).await;
    assert_eq!(state.0, OFFLINE);
    // And keeps it for whoever subscribes later.
    let (late, mut late_events) = client("late-watcher", broker.addr);
    subscribed(&late, &mut late_events, &state_topic(&id)).await;
    let (state, retained) = next(&mut late_events, message(&state_topic(&id))).await;
    assert_eq!((state.as_str(), retained), (OFFLINE, true));
}
