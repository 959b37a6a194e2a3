//! `central.toml`: the README's example, mistakes named by line, secrets never shown.

use super::*;

/// The complete example README shows (its first `toml` block), so the two cannot drift apart.
fn readme_example() -> String {
    let readme = include_str!("../../../README.md");
    let start = readme.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_owned()
}

const PASSWORD: &str = "change-me";

#[test]
fn the_readme_example_parses_into_every_setting() {
    let file = parse(&readme_example(), "central.toml").unwrap();
    let settings = ServeSettings::merge(Some(file), Overrides::default()).unwrap();
    assert_eq!(settings.listen, "0.0.0.0:8640".parse().unwrap());
    assert_eq!(settings.db, Path::new("/var/lib/wxdesk/central.sqlite"));
    assert_eq!(
        settings.audit_key.as_deref(),
        Some(Path::new("/etc/wxdesk/audit.key"))
    );
    assert_eq!(
        settings.tls,
        Some(TlsFiles {
            cert: "/etc/wxdesk/central.pem".into(),
            key: "/etc/wxdesk/central-key.pem".into(),
        })
    );
    assert_eq!(settings.retention_days.map(NonZeroU32::get), Some(400));
    assert_eq!(
        settings.backups,
        Some(BackupSchedule {
            dir: "/var/backups/wxdesk".into(),
            every: Duration::from_secs(86_400),
            keep: 14,
        })
    );
    assert_eq!(settings.integrity_every, Duration::from_secs(86_400));
    let log = settings.log.as_ref().unwrap();
    assert_eq!((log.rotation, log.keep.get()), (Rotation::Daily, 30));
    let wechat = settings.channels.wechat.as_ref().unwrap();
    assert_eq!(wechat.wecom.robots["duty"].expose(), PASSWORD);
    let routes = &wechat.wecom.warnings;
    assert_eq!(routes.named().into_iter().collect::<Vec<_>>(), ["duty"]);
    assert_eq!(routes.townships["350423100"], ["duty"]);
    let mp = wechat.mp.as_ref().unwrap();
    assert_eq!(mp.warning_template.as_deref(), Some("TEMPLATE_ID"));
    assert_eq!(mp.alarm_template.as_deref(), Some("ALARM_TEMPLATE_ID"));
    assert_eq!(
        (mp.app_id.as_str(), mp.app_secret.expose()),
        ("wx5e1f0a6b2c3d4e5f", PASSWORD)
    );
    let Some(SmsSettings::Smpp(smpp)) = &settings.channels.sms else {
        panic!("{:?}", settings.channels.sms)
    };
    assert_eq!(smpp.system_id, "qlqxj");
    let warnings = &settings.warnings;
    assert_eq!(
        (warnings.issuer_name.as_str(), warnings.issuer_code.as_str()),
        ("清流县气象台", "35042341600000")
    );
    assert_eq!(warnings.alone.window, Some((22 * 60, 8 * 60)));
    assert_eq!(warnings.checks.banned_words.len(), 1);
    assert_eq!(
        settings.upstream_dir.as_deref(),
        Some(Path::new("/var/spool/wxdesk/cap"))
    );
    assert_eq!(
        settings.upstream_url.as_deref(),
        Some("https://alerts.example.gov.cn/fujian.atom")
    );
}

#[test]
fn mistakes_are_refused_with_their_line_column_and_reason() {
    let table = [
        ("lisen = \"0.0.0.0:80\"\n", 1, 1, "unknown field `lisen`"),
        (
            "db = \"a\"\nlisten = 8640\n",
            2,
            10,
            "invalid type: integer `8640`",
        ),
        ("listen = \"localhost\"\n", 1, 10, "invalid socket address"),
        (
            "[backups]\ndir = \"b\"\nevery = \"6x\"\nkeep = 3\n",
            3,
            9,
            "\"6x\" is not a period",
        ),
        (
            "[backups]\ndir = \"b\"\nevery = \"10s\"\nkeep = 3\n",
            3,
            9,
            "shorter than a minute",
        ),
        (
            "[backups]\ndir = \"b\"\nevery = \"1d\"\nkeep = 0\n",
            4,
            8,
            "nonzero",
        ),
        ("[tls]\ncert = \"c.pem\"\n", 1, 1, "missing field `key`"),
        (
            "[log]\ndir = \"l\"\nrotation = \"weekly\"\nkeep = 3\n",
            3,
            12,
            "unknown variant `weekly`",
        ),
        ("[backup]\ndir = \"b\"\n", 1, 2, "unknown field `backup`"),
        ("listen = \"0.0.0.0:80\n", 1, 21, "invalid basic string"),
    ];
    for (text, line, column, reason) in table {
        let error = parse(text, "central.toml").unwrap_err();
        let ConfigError::Invalid {
            line: l,
            column: c,
            reason: r,
            ..
        } = &error
        else {
            panic!("{error:?}")
        };
        assert!(r.contains(reason), "{text:?}: {error}");
        assert_eq!((*l, *c), (line, column), "{text:?}: {error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("central.toml:{line}:{column}: ")),
            "{error}"
        );
    }
}

#[test]
fn a_password_is_shown_nowhere() {
    let file = parse(&readme_example(), "central.toml").unwrap();
    let settings = ServeSettings::merge(Some(file.clone()), Overrides::default()).unwrap();
    let shown = [
        format!("{file:?}"),
        format!("{settings:?}"),
        format!("{settings:#?}"),
        settings.to_string(),
    ];
    for text in shown {
        assert!(!text.contains(PASSWORD), "{text}");
    }
    // A wrong type in a channel's section: the parser would quote the value.
    let text = "[wechat.mp]\napp_id = \"wx1\"\ncallback_token = \"t\"\napp_secret = 271828182\n";
    let error = parse(text, "central.toml").unwrap_err().to_string();
    assert!(!error.contains("271828182"), "{error}");
    assert!(error.starts_with("central.toml:4:14: "), "{error}");
    let text = "wechat = { wecom = { robots = { duty = 314159 } } }\n";
    let error = parse(text, "central.toml").unwrap_err().to_string();
    assert!(!error.contains("314159"), "{error}");
    let text = "sms.smpp = { password = 1 }\nsms.gateway = 2718\n";
    let error = parse(text, "central.toml").unwrap_err().to_string();
    assert!(!error.contains("2718"), "{error}");
    let text = "[sms]\ngateway = \"smpp\"\n[sms.smpp]\npassword = \"p-4242\"\nhost = \"127.0.0.1\"\nport = 2775\nsystem_id = \"s\"\nsource_addr = \"1069\"\n";
    let settings = ServeSettings::merge(Some(parse(text, "c").unwrap()), Overrides::default());
    let shown = format!(
        "{:?} {}",
        settings.as_ref().unwrap(),
        settings.as_ref().unwrap()
    );
    assert!(!shown.contains("p-4242"), "{shown}");
}

#[test]
fn a_bad_channel_section_stops_the_start_naming_its_key() {
    let table = [
        ("[sms]\ngateway = \"smpp\"\n", "needs an [sms.smpp] table"),
        (
            "[sms]\ngateway = \"cmpp\"\n[sms.cmpp]\nhost = \"h\"\nport = 1\nsource_addr = \"901234\"\nshared_secret = \"s\"\nservice_id = \"s\"\nsrc_id = \"1069\"\n[sms.smpp]\npassword = \"p\"\nhost = \"127.0.0.1\"\nport = 2775\nsystem_id = \"s\"\nsource_addr = \"1069\"\n",
            "an [sms.smpp] table is given",
        ),
        ("[wechat]\n", "[wechat] configures neither"),
        (
            "[wechat.wecom]\nrobots = { duty = \"k\" }\nper_minute = 0\n",
            "[wechat.wecom] per_minute",
        ),
        (
            "[wechat.wecom]\nrobots = { duty = \"k\" }\n[wechat.wecom.warnings]\ncounty = [\"town\"]\n",
            "names robot \"town\", which [wechat.wecom.robots] does not configure",
        ),
        (
            "[wechat.wecom]\nrobots = { duty = \"k\" }\n[wechat.wecom.warnings]\ntownships = { \"3504231\" = [\"duty\"] }\n",
            "key \"3504231\" is not a 9-digit township code",
        ),
        (
            "[wechat.mp]\napp_id = \"a\"\napp_secret = \"s\"\ncallback_token = \"\"\nwarning_template = \" \"\n",
            "warning_template is empty",
        ),
        (
            "[wechat.mp]\napp_id = \"a\"\napp_secret = \"s\"\ncallback_token = \"\"\nalarm_template = \"\"\n",
            "alarm_template is empty",
        ),
    ];
    for (text, reason) in table {
        let file = parse(text, "central.toml").unwrap();
        let error = ServeSettings::merge(Some(file), Overrides::default()).unwrap_err();
        assert!(error.contains(reason), "{text:?}: {error}");
    }
    let parse_errors = [
        (
            "[sms]\ngateway = \"smtp\"\n",
            2,
            11,
            "unknown variant `smtp`",
        ),
        ("[sms]\ngatway = \"smpp\"\n", 2, 1, "unknown field `gatway`"),
        (
            "[wechat.mp]\napp_id = \"a\"\n",
            1,
            1,
            "missing field `app_secret`",
        ),
        (
            "[wechat.wecom]\nrobot = {}\n",
            2,
            1,
            "unknown field `robot`",
        ),
    ];
    for (text, line, column, reason) in parse_errors {
        let error = parse(text, "central.toml").unwrap_err().to_string();
        assert!(error.contains(reason), "{text:?}: {error}");
        assert!(
            error.starts_with(&format!("central.toml:{line}:{column}: ")),
            "{error}"
        );
    }
}

#[test]
fn no_channel_section_configures_no_channel() {
    let settings = ServeSettings::merge(None, Overrides::default()).unwrap();
    assert!(settings.channels.is_empty());
    assert!(settings.to_string().contains("channels none"), "{settings}");
}

#[test]
fn flags_override_the_file_and_defaults_fill_the_rest() {
    let file = parse(&readme_example(), "central.toml").unwrap();
    let overrides = Overrides {
        listen: Some("127.0.0.1:9000".parse().unwrap()),
        db: Some("/tmp/other.sqlite".into()),
        tls: None,
        audit_key: None,
    };
    let settings = ServeSettings::merge(Some(file), overrides).unwrap();
    assert_eq!(settings.listen, "127.0.0.1:9000".parse().unwrap());
    assert_eq!(settings.db, Path::new("/tmp/other.sqlite"));
    assert!(settings.tls.is_some(), "the file's TLS stays");

    let bare = ServeSettings::merge(None, Overrides::default()).unwrap();
    assert_eq!(bare.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(bare.db, Path::new(DEFAULT_DB));
    assert!(bare.tls.is_none() && bare.backups.is_none() && bare.log.is_none());
    assert_eq!(bare.integrity_every, DEFAULT_INTEGRITY_EVERY);
}

/// `wxdesk central --audit-key FILE serve --config …`: the flag's key, not the file's, seals the
/// chain; without the flag the file's key holds.
#[test]
fn the_audit_key_flag_overrides_the_files() {
    let file = || parse(&readme_example(), "central.toml").unwrap();
    let from_file = ServeSettings::merge(Some(file()), Overrides::default()).unwrap();
    assert_eq!(
        from_file.audit_key.as_deref(),
        Some(Path::new("/etc/wxdesk/audit.key"))
    );
    let flag = Overrides {
        audit_key: Some("/srv/keys/audit.key".into()),
        ..Overrides::default()
    };
    let from_flag = ServeSettings::merge(Some(file()), flag).unwrap();
    assert_eq!(
        from_flag.audit_key.as_deref(),
        Some(Path::new("/srv/keys/audit.key"))
    );
}

#[test]
fn relative_paths_are_read_from_the_files_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.toml");
    std::fs::write(
        &path,
        "db = \"data/central.sqlite\"\n[backups]\ndir = \"/abs/backups\"\nevery = \"1h\"\nkeep = 2\n\
         [warnings]\nsignals = \"fujian/signals.json\"\n[warnings.upstream]\ndir = \"cap\"\n",
    )
    .unwrap();
    let file = load(&path).unwrap();
    let upstream = file.warnings.clone().and_then(|w| w.upstream).unwrap();
    assert_eq!(upstream.dir, Some(dir.path().join("cap")));
    let signals = file.warnings.clone().and_then(|w| w.signals);
    assert_eq!(signals, Some(dir.path().join("fujian/signals.json")));
    // The file is read when the settings are made: a missing one stops the start, named.
    let refused = ServeSettings::merge(Some(file.clone()), Overrides::default()).unwrap_err();
    assert!(refused.contains("fujian/signals.json"), "{refused}");
    assert_eq!(file.db.unwrap(), dir.path().join("data/central.sqlite"));
    assert_eq!(file.backups.unwrap().dir, Path::new("/abs/backups"));
    let missing = load(&dir.path().join("nope.toml")).unwrap_err();
    assert!(
        matches!(missing, ConfigError::Unreadable { .. }),
        "{missing}"
    );
}

#[test]
fn periods_parse_in_four_units() {
    let ok = [("90s", 90), ("30m", 1800), ("6h", 21_600), ("1d", 86_400)];
    for (text, secs) in ok {
        assert_eq!(parse_period(text), Ok(Duration::from_secs(secs)), "{text}");
    }
    for bad in [
        "",
        "h",
        "6",
        "6 h",
        "-1h",
        "1w",
        "59s",
        "99999999999999999999d",
    ] {
        assert!(parse_period(bad).is_err(), "{bad}");
    }
}

#[test]
fn lines_and_columns_count_characters_from_one() {
    let text = "a = 1\n气象 = 2\n";
    let table = [
        (0, (1, 1)),
        (4, (1, 5)),
        (6, (2, 1)),
        (12, (2, 3)),
        (999, (3, 1)),
    ];
    for (offset, expected) in table {
        assert_eq!(line_and_column(text, offset), expected, "{offset}");
    }
}

/// README's devices example (the `toml` block with the register maps).
fn readme_devices_example() -> String {
    let readme = include_str!("../../../README.md");
    let maps = readme.find("[modbus.maps.").unwrap();
    let start = readme[..maps].rfind("```toml\n").unwrap() + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_owned()
}

#[test]
fn register_maps_are_read_from_the_modbus_section() {
    use crate::central::devices::modbus::map::{
        Field, Format, HealthField, Meaning, RegisterMap, RegisterTable, Span,
    };
    use crate::domain::Element;
    let file = parse(&readme_devices_example(), "central.toml").unwrap();
    let maps = file.modbus.unwrap().checked_maps().unwrap();
    let field = |table, address, format, scale, meaning| Field {
        table,
        address,
        format,
        scale,
        meaning,
    };
    let garden = RegisterMap {
        coils: Some(Span { first: 1, count: 4 }),
        discrete_inputs: Some(Span { first: 1, count: 2 }),
        fields: vec![
            field(
                RegisterTable::Input,
                1,
                Format::I16,
                0.1,
                Meaning::Element(Element::Tem),
            ),
            field(
                RegisterTable::Input,
                2,
                Format::U32,
                1.0,
                Meaning::Element(Element::Co2),
            ),
            field(
                RegisterTable::Holding,
                1,
                Format::U16,
                0.01,
                Meaning::Health(HealthField::SupplyV),
            ),
        ],
    };
    assert_eq!(maps.keys().collect::<Vec<_>>(), ["garden-v2"]);
    assert_eq!(maps["garden-v2"], garden);

    let text = "[modbus]\n[modbus.maps.relays4]\ncoils = { first = 0, count = 4 }\n";
    let settings = ServeSettings::merge(
        Some(parse(text, "central.toml").unwrap()),
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        settings.modbus_maps["relays4"].coils,
        Some(Span { first: 0, count: 4 })
    );
    let none = ServeSettings::merge(None, Overrides::default()).unwrap();
    assert!(none.modbus_maps.is_empty(), "no maps: boards read 8 relays");
}

#[test]
fn a_wrong_register_map_is_refused_naming_it() {
    let head = "[modbus.maps.m]\n";
    // Mistakes of form: named by line and column.
    let table = [
        (
            "coils = { first = 0, cont = 4 }\n",
            2,
            22,
            "unknown field `cont`",
        ),
        (
            "fields = [{ table = \"input\", address = 1, meaning = { element = \"XYZ\" } }]\n",
            2,
            53,
            "unknown element code \"XYZ\"",
        ),
        (
            "fields = [{ table = \"coil\", address = 1, meaning = { health = \"supply_v\" } }]\n",
            2,
            21,
            "unknown variant `coil`",
        ),
        (
            "fields = [{ table = \"input\", address = 1 }]\n",
            2,
            11,
            "missing field `meaning`",
        ),
        (
            "colis = { first = 0, count = 4 }\n",
            2,
            1,
            "unknown field `colis`",
        ),
    ];
    for (text, line, column, reason) in table {
        let text = format!("{head}{text}");
        let error = parse(&text, "central.toml").unwrap_err();
        let ConfigError::Invalid {
            line: l,
            column: c,
            reason: r,
            ..
        } = &error
        else {
            panic!("{error:?}")
        };
        assert!(r.contains(reason), "{text:?}: {error}");
        assert_eq!((*l, *c), (line, column), "{text:?}: {error}");
    }
    // Mistakes of meaning: named by the map.
    let meaning = [
        ("coils = { first = 0, count = 0 }\n", "a span of no items"),
        (
            "coils = { first = 65535, count = 2 }\n",
            "runs past the last address",
        ),
        (
            "fields = [{ table = \"input\", address = 1, scale = nan, meaning = { element = \"TEM\" } }]\n",
            "not a finite number",
        ),
    ];
    for (text, reason) in meaning {
        let file = parse(&format!("{head}{text}"), "central.toml").unwrap();
        let refused = ServeSettings::merge(Some(file), Overrides::default()).unwrap_err();
        assert!(
            refused.starts_with("[modbus.maps.m]: "),
            "{text:?}: {refused}"
        );
        assert!(refused.contains(reason), "{text:?}: {refused}");
    }
}
