use super::*;

fn device() -> DeviceId {
    DeviceId::parse("YR-AWS1").unwrap()
}

const RECEIVED: Timestamp = Timestamp(1_765_100_005_000);

fn decode(payload: &str) -> Result<Decoded, PayloadError> {
    decode_telemetry(&device(), payload.as_bytes(), RECEIVED)
}

#[test]
fn topics_round_trip_and_refuse_strangers() {
    let topic = Topic::new(&device(), Channel::Telemetry);
    assert_eq!(topic.to_string(), "wxdesk/v1/devices/YR-AWS1/telemetry");
    assert_eq!(Topic::parse(&topic.to_string()), Some(topic));
    assert_eq!(Channel::State.filter(), "wxdesk/v1/devices/+/state");
    let strangers = [
        "wxdesk/v1/devices/YR-AWS1/other",
        "wxdesk/v2/devices/YR-AWS1/telemetry",
        "wxdesk/v1/devices/YR/telemetry",
        "wxdesk/v1/devices/YR-AWS1/telemetry/extra",
        "wxdesk/v1/devices",
    ];
    for name in strangers {
        assert_eq!(Topic::parse(name), None, "{name}");
    }
}

#[test]
fn a_whole_report_decodes_with_health_and_drift() {
    let decoded = decode(
        r#"{"time": 1765100000000, "sent_at": "2025-12-07T09:33:27Z",
            "values": {"TEM": 12.3, "SVWC_10cm": 31.0, "RHU": null},
            "battery_v": 12.6, "supply_v": 13.4, "rssi_dbm": -71, "backfill": false}"#,
    )
    .unwrap();
    assert_eq!(decoded.refused, []);
    let [report] = decoded.reports.as_slice() else {
        panic!("one report: {decoded:?}")
    };
    assert_eq!(report.device, device());
    assert_eq!(report.time, Timestamp(1_765_100_000_000));
    assert_eq!(report.received, RECEIVED);
    assert_eq!(
        report.values,
        BTreeMap::from([(Element::Tem, 12.3), (Element::Svwc10cm, 31.0)])
    );
    assert_eq!(
        report.health,
        HealthReading {
            battery_v: Some(12.6),
            supply_v: Some(13.4),
            rssi_dbm: Some(-71.0)
        }
    );
    assert_eq!(
        report.clock_drift_ms(),
        Some(1_765_100_007_000 - RECEIVED.0)
    );
    assert!(!report.backfilled);
}

#[test]
fn bad_parts_are_refused_with_reasons_and_the_rest_kept() {
    let cases: [(&str, &str, &str); 7] = [
        (r#"{"XYZ": 1}"#, "XYZ", "unknown element code"),
        (r#"{"TEM": 99}"#, "TEM", "outside the physical range"),
        (r#"{"RHU": -1}"#, "RHU", "outside the physical range"),
        (r#"{"TEM": "NaN"}"#, "TEM", "not a number"),
        (r#"{"TEM": true}"#, "TEM", "not a number"),
        (r#"{"CO2": 1e9}"#, "CO2", "outside the physical range"),
        (r#"{"tem": 1}"#, "tem", "unknown element code"),
    ];
    for (values, field, reason) in cases {
        let payload = format!(r#"{{"time": 1765100000000, "values": {values}, "battery_v": 99}}"#);
        let decoded = decode(&payload).unwrap();
        let fields: Vec<_> = decoded.refused.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, [field, "battery_v"], "{values}");
        assert!(
            decoded.refused[0].reason.contains(reason),
            "{values}: {:?}",
            decoded.refused
        );
        assert_eq!(decoded.reports.len(), 1, "the report is kept: {values}");
        assert!(decoded.reports[0].values.is_empty());
        assert_eq!(decoded.reports[0].health.battery_v, None);
    }
}

#[test]
fn messages_without_json_or_time_are_refused_whole() {
    type Expected = fn(&PayloadError) -> bool;
    let cases: [(&str, Expected); 8] = [
        ("not json", |e| matches!(e, PayloadError::NotJson(_))),
        ("", |e| matches!(e, PayloadError::NotJson(_))),
        (r#"{"TEM": NaN}"#, |e| matches!(e, PayloadError::NotJson(_))),
        ("[1, 2]", |e| *e == PayloadError::NotAnObject),
        (
            r#"{"values": {"TEM": 1}}"#,
            |e| matches!(e, PayloadError::NoTime(r) if r == "missing"),
        ),
        (
            r#"{"time": 1765100000}"#,
            |e| matches!(e, PayloadError::NoTime(r) if r.contains("seconds instead")),
        ),
        (r#"{"time": "yesterday"}"#, |e| {
            matches!(e, PayloadError::NoTime(_))
        }),
        (r#"{"records": {"time": 1}}"#, |e| {
            *e == PayloadError::BadRecords
        }),
    ];
    for (payload, expected) in cases {
        let error = decode(payload).unwrap_err();
        assert!(expected(&error), "{payload}: {error:?}");
    }
}

#[test]
fn a_records_message_is_a_backfill_and_a_record_without_time_is_refused_alone() {
    let decoded = decode(
        r#"{"sent_at": 1765100004000, "records": [
            {"time": 1765099880000, "values": {"TEM": 11.0}},
            {"values": {"TEM": 11.5}},
            {"time": "2025-12-07T09:32:20Z", "sent_at": 1765100003000, "values": {"TEM": 12.0}}
        ]}"#,
    )
    .unwrap();
    let times: Vec<_> = decoded.reports.iter().map(|r| r.time.0).collect();
    assert_eq!(times, [1_765_099_880_000, 1_765_099_940_000]);
    assert!(decoded.reports.iter().all(|r| r.backfilled));
    let sent: Vec<_> = decoded.reports.iter().map(|r| r.sent_at).collect();
    assert_eq!(
        sent,
        [
            Some(Timestamp(1_765_100_004_000)),
            Some(Timestamp(1_765_100_003_000))
        ],
        "a record's own send time wins over the batch's"
    );
    assert_eq!(
        decoded.refused,
        [Refusal {
            record: Some(1),
            field: "time".into(),
            reason: "missing".into()
        }]
    );
    assert_eq!(decoded.refused[0].to_string(), "record 1: time: missing");
}

#[test]
fn what_a_device_encodes_decodes_to_the_same_report() {
    let report = Telemetry {
        device: device(),
        time: Timestamp(1_765_100_000_000),
        sent_at: Some(Timestamp(1_765_100_001_000)),
        received: RECEIVED,
        values: BTreeMap::from([(Element::LeafWet, 40.0), (Element::Co2, 612.0)]),
        health: HealthReading {
            battery_v: Some(12.1),
            supply_v: None,
            rssi_dbm: Some(-80.0),
        },
        backfilled: false,
    };
    let single = decode_telemetry(&device(), &encode_telemetry(&report), RECEIVED).unwrap();
    assert_eq!(single.reports, std::slice::from_ref(&report));
    let batch = vec![report.clone(); 3];
    let decoded = decode_telemetry(&device(), &encode_records(&batch, RECEIVED), RECEIVED).unwrap();
    assert_eq!(decoded.reports.len(), 3);
    assert_eq!(
        decoded.reports[0],
        Telemetry {
            backfilled: true,
            ..report
        }
    );
}

#[test]
fn state_messages_decode() {
    let online = decode_state(&encode_online(Timestamp(1_765_100_000_000))).unwrap();
    assert_eq!(
        online,
        Some(DeviceState {
            online: true,
            since: Some(Timestamp(1_765_100_000_000)),
            reason: None
        })
    );
    let will = decode_state(&encode_offline_will()).unwrap().unwrap();
    assert!(!will.online);
    assert_eq!(will.reason.as_deref(), Some("lost"));
    assert_eq!(decode_state(b""), Ok(None), "a cleared retained state");
    assert_eq!(
        decode_state(br#"{"state":"asleep"}"#),
        Err(PayloadError::BadState)
    );
}
