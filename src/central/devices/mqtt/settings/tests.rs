use super::*;
use crate::central::config::{self, ConfigError};

fn section(toml: &str) -> MqttSection {
    config::parse(toml, "central.toml").unwrap().mqtt.unwrap()
}

#[test]
fn a_minimal_section_takes_the_defaults() {
    let settings = section(
        "[mqtt]\nbroker = \"127.0.0.1:1883\"\npassword = \"p4ss\"\ndevice_secret = \"s3cret\"\n",
    )
    .settings()
    .unwrap();
    assert_eq!((settings.host.as_str(), settings.port), ("127.0.0.1", 1883));
    assert_eq!(settings.username, DEFAULT_USERNAME);
    assert_eq!(settings.client_id, DEFAULT_USERNAME);
    assert_eq!(settings.acl_dir, Path::new(DEFAULT_ACL_DIR));
    assert_eq!(settings.password.expose(), "p4ss");
    assert_eq!(settings.device_secret.expose(), "s3cret");
}

#[test]
fn secrets_are_read_from_files_beside_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("central.pass"), "from-file\n").unwrap();
    std::fs::write(dir.path().join("devices.secret"), "device-secret\r\n").unwrap();
    let file = dir.path().join("central.toml");
    std::fs::write(
        &file,
        "[mqtt]\nbroker = \"mqtt.qxj.example:8883\"\nusername = \"central\"\n\
         client_id = \"central-1\"\npassword_file = \"central.pass\"\n\
         device_secret_file = \"devices.secret\"\nacl_dir = \"broker\"\n",
    )
    .unwrap();
    let settings = config::load(&file)
        .unwrap()
        .mqtt
        .unwrap()
        .settings()
        .unwrap();
    assert_eq!(settings.password.expose(), "from-file");
    assert_eq!(settings.device_secret.expose(), "device-secret");
    assert_eq!(
        (settings.username.as_str(), settings.client_id.as_str()),
        ("central", "central-1")
    );
    assert_eq!(settings.acl_dir, dir.path().join("broker"));
    assert_eq!(settings.port, 8883);
}

#[test]
fn mistakes_are_refused_with_the_reason() {
    let base = "password = \"p\"\ndevice_secret = \"s\"\n";
    let cases = [
        (format!("broker = \"localhost\"\n{base}"), "not host:port"),
        (format!("broker = \"localhost:0\"\n{base}"), "not host:port"),
        (format!("broker = \":1883\"\n{base}"), "not host:port"),
        (format!("broker = \"h:99999\"\n{base}"), "not host:port"),
        (
            "broker = \"h:1\"\ndevice_secret = \"s\"\n".to_owned(),
            "password or password_file is required",
        ),
        (
            format!("broker = \"h:1\"\npassword_file = \"/nonexistent/p\"\n{base}"),
            "not both",
        ),
        (
            "broker = \"h:1\"\npassword = \"\"\ndevice_secret = \"s\"\n".to_owned(),
            "password is empty",
        ),
        (
            "broker = \"h:1\"\npassword = \"p\"\ndevice_secret_file = \"/nonexistent/s\"\n"
                .to_owned(),
            "device_secret_file /nonexistent/s",
        ),
        (
            format!("broker = \"h:1\"\nusername = \"a b\"\n{base}"),
            "username",
        ),
    ];
    for (body, reason) in cases {
        let error = section(&format!("[mqtt]\n{body}")).settings().unwrap_err();
        assert!(error.contains(reason), "{body}: {error}");
        assert!(
            !error.contains("\"p\"") && !error.contains("\"s\""),
            "{error}"
        );
    }
}

#[test]
fn secrets_never_show_in_debug_nor_in_parse_errors() {
    let text = "[mqtt]\nbroker = \"h:1883\"\npassword = \"hunter2-pass\"\n\
                device_secret = \"county-secret-x\"\n";
    let file = config::parse(text, "central.toml").unwrap();
    let settings = file.mqtt.clone().unwrap().settings().unwrap();
    for shown in [format!("{file:?}"), format!("{settings:?}")] {
        assert!(
            !shown.contains("hunter2") && !shown.contains("county-secret"),
            "{shown}"
        );
    }
    // A type mistake quoting the written value: the value is cut out.
    let wrong = "[mqtt]\nbroker = \"h:1883\"\npassword = [\"hunter2-pass\"]\n";
    let Err(ConfigError::Invalid { reason, .. }) = config::parse(wrong, "central.toml") else {
        panic!("a list is not a password")
    };
    assert!(!reason.contains("hunter2"), "{reason}");
    let unknown = "[mqtt]\nbroker = \"h:1883\"\npasword = \"x\"\n";
    let Err(ConfigError::Invalid { reason, line, .. }) = config::parse(unknown, "central.toml")
    else {
        panic!("an unknown key")
    };
    assert!(reason.contains("unknown field `pasword`"), "{reason}");
    assert_eq!(line, 3);
}
