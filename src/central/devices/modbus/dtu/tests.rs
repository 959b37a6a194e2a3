use super::*;

fn id(text: &str) -> DeviceId {
    DeviceId::parse(text).unwrap()
}

/// Bytes received, prefix, suffix, and what they say.
type Case = (&'static [u8], &'static [u8], &'static [u8], Registration);

#[test]
fn registration_packets_are_read_as_configured() {
    let cases: [Case; 10] = [
        // Raw id bytes, alone or with a heartbeat glued on.
        (
            b"DTU-LF1",
            b"",
            b"",
            Registration::Id {
                id: id("DTU-LF1"),
                len: 7,
            },
        ),
        (
            b"DTU-LF1\xFE\xFE",
            b"",
            b"",
            Registration::Id {
                id: id("DTU-LF1"),
                len: 7,
            },
        ),
        (b"", b"", b"", Registration::Incomplete),
        // A prefix, arriving in pieces.
        (b"RE", b"REG:", b"", Registration::Incomplete),
        (b"REG:", b"REG:", b"", Registration::Incomplete),
        (
            b"REG:dtu_01",
            b"REG:",
            b"",
            Registration::Id {
                id: id("dtu_01"),
                len: 10,
            },
        ),
        (
            b"GET / HTTP/1.1",
            b"REG:",
            b"",
            Registration::Invalid("GET / HTTP/1.1".into()),
        ),
        // A suffix ends the id.
        (b"REG:dtu_0", b"REG:", b"\r\n", Registration::Incomplete),
        (
            b"REG:dtu_01\r\nHB",
            b"REG:",
            b"\r\n",
            Registration::Id {
                id: id("dtu_01"),
                len: 12,
            },
        ),
        (
            b"\x01\x03\x00",
            b"",
            b"",
            Registration::Invalid("\\u{1}\\u{3}\\0".into()),
        ),
    ];
    for (bytes, prefix, suffix, registration) in cases {
        assert_eq!(
            parse_registration(bytes, prefix, suffix),
            registration,
            "{bytes:02x?} {prefix:?} {suffix:?}"
        );
    }
}

#[test]
fn packets_are_configured_as_hex_or_ascii() {
    let cases = [
        ("hex:FE 01", Some(vec![0xFE, 0x01])),
        ("HB", Some(b"HB".to_vec())),
        ("hex:F", None),
        ("hex:zz", None),
        ("心跳", None),
    ];
    for (text, bytes) in cases {
        assert_eq!(
            Packet::try_from(text.to_owned()).ok().map(|p| p.0),
            bytes,
            "{text}"
        );
    }
    assert_eq!(String::from(Packet(vec![0xFE, 0x01])), "hex:FE01");
    assert_eq!(String::from(Packet(b"REG:".to_vec())), "REG:");
    let config: DtuConfig = toml::from_str(
        "heartbeat = \"hex:FE\"\nmissed_heartbeats = 2\nheartbeat_interval_ms = 500",
    )
    .unwrap();
    assert_eq!(config.heartbeat, Packet(vec![0xFE]));
    assert_eq!(config.silence_limit(), Duration::from_secs(1));
    assert_eq!(
        config.response_timeout_ms,
        DtuConfig::default().response_timeout_ms
    );
}
