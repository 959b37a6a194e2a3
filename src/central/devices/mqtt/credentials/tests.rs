use super::*;

/// A registry record of `id` reaching the central by `transport` (`mqtt`, `modbus_tcp`).
pub(crate) fn device(id: &str, transport: &str) -> Device {
    let modbus = (transport == "modbus_tcp")
        .then(|| serde_json::json!({"address": "127.0.0.1:502", "unit": 1}));
    let kind = if modbus.is_some() {
        "relay_board"
    } else {
        "garden_station"
    };
    let station = (modbus.is_none()).then_some("YRG01");
    serde_json::from_value(serde_json::json!({
        "id": id, "name_zh": "测试", "kind": kind,
        "location": {"lat": 25.9, "lon": 116.8}, "altitude_m": 400.0,
        "township": 350423105, "transport": transport, "interval_s": 60,
        "station": station, "modbus": modbus,
    }))
    .unwrap()
}

fn central() -> CentralAccount {
    CentralAccount {
        username: "wxdesk-central".into(),
        password: Secret::new("central-pass"),
    }
}

#[test]
fn password_lines_match_mosquitto_passwd() {
    // `mosquitto_passwd -c -b pw dev1 secret` (Mosquitto 2.0.11) wrote this line.
    let written = "dev1:$7$101$A2Nf5sqhy3CyHASZ$Jo/ICRmSZ4BOnEYqDMUWD3zv0ocgApA5GQp97OsaahcGyqxIGd8lgxRmlYmVhSnMjfaUWy3crGyo1ifA8uQSEA==";
    let salt: [u8; 12] = STANDARD
        .decode("A2Nf5sqhy3CyHASZ")
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        password_line("dev1", &Secret::new("secret"), &salt),
        written
    );
}

#[test]
fn device_passwords_are_derived_per_device_and_per_secret() {
    let secret = Secret::new("county-secret");
    let a = DeviceId::parse("YR-AWS1").unwrap();
    let b = DeviceId::parse("YR-GH1").unwrap();
    let first = device_password(&secret, &a);
    assert_eq!(first, device_password(&secret, &a), "deterministic");
    assert_eq!(
        first.expose().len(),
        43,
        "256 bits, base64url without padding"
    );
    assert_ne!(first, device_password(&secret, &b));
    assert_ne!(first, device_password(&Secret::new("other"), &a));
    assert!(
        first
            .expose()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
}

#[test]
fn the_acl_gives_each_device_only_its_own_topics() {
    let devices = [device("YR-AWS1", "mqtt"), device("RB-1", "modbus_tcp")];
    let acl = acl_file("wxdesk-central", &devices);
    let expected = [
        "user wxdesk-central",
        "topic read wxdesk/v1/devices/+/telemetry",
        "topic read wxdesk/v1/devices/+/state",
        "topic read wxdesk/v1/devices/+/acks",
        "topic read wxdesk/v1/devices/+/relays",
        "topic write wxdesk/v1/devices/+/commands",
        "user YR-AWS1",
        "topic write wxdesk/v1/devices/YR-AWS1/telemetry",
        "topic write wxdesk/v1/devices/YR-AWS1/state",
        "topic write wxdesk/v1/devices/YR-AWS1/acks",
        "topic write wxdesk/v1/devices/YR-AWS1/relays",
        "topic read wxdesk/v1/devices/YR-AWS1/commands",
    ];
    let lines: Vec<_> = acl
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(lines, expected, "a Modbus board has no MQTT account");
}

#[test]
fn files_are_written_whole_and_the_same_for_the_same_registry() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Secret::new("county-secret");
    let devices = [device("YR-AWS1", "mqtt"), device("YR-GH1", "mqtt")];
    let files = write_broker_files(dir.path(), &central(), &secret, &devices).unwrap();
    let passwords = std::fs::read_to_string(&files.passwords).unwrap();
    let users: Vec<_> = passwords
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_once(":$7$101$").unwrap().0)
        .collect();
    assert_eq!(users, ["wxdesk-central", "YR-AWS1", "YR-GH1"]);
    assert!(!passwords.contains("central-pass") && !passwords.contains("county-secret"));
    write_broker_files(dir.path(), &central(), &secret, &devices).unwrap();
    assert_eq!(
        std::fs::read_to_string(&files.passwords).unwrap(),
        passwords
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 2, "no temporary file left behind");
}

#[test]
fn a_device_named_like_the_central_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clash = [device("wxdesk-central", "mqtt")];
    let error = write_broker_files(dir.path(), &central(), &Secret::new("s"), &clash).unwrap_err();
    assert!(matches!(error, BrokerFilesError::NameClash(_)), "{error}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
