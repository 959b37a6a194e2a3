//! The codec against the golden PDUs (tests/data/sms/cmpp20-golden.json), every PDU read back
//! as written, and the configuration's shape.

use serde::Deserialize;

use super::CmppConfig;
use super::auth::authenticator_source;
use super::parts::split;
use super::pdu::{Body, Connect, ConnectResp, Deliver, MsgResult, Pdu, Submit, UCS2};
use super::wire::{HEADER_LEN, Header};

#[derive(Deserialize)]
struct Golden {
    cmpp20_connect: GoldenConnect,
    cmpp20_submit_single_ucs2: GoldenSubmit,
}

#[derive(Deserialize)]
struct GoldenConnect {
    sp_id: String,
    shared_secret: String,
    timestamp: String,
    sequence_id: u32,
    authenticator_source_hex: String,
    pdu_hex: String,
}

#[derive(Deserialize)]
struct GoldenSubmit {
    msg_src: String,
    src_id: String,
    service_id: String,
    dest: Vec<String>,
    text: String,
    sequence_id: u32,
    pdu_hex: String,
}

fn golden() -> Golden {
    serde_json::from_str(include_str!(
        "../../../../tests/data/sms/cmpp20-golden.json"
    ))
    .unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode(bytes: &[u8]) -> Pdu {
    let mut head = [0u8; HEADER_LEN];
    head.copy_from_slice(&bytes[..HEADER_LEN]);
    let header = Header::parse(&head).unwrap();
    assert_eq!(header.total_length as usize, bytes.len());
    Pdu::decode(header, &bytes[HEADER_LEN..]).unwrap()
}

#[test]
fn connect_matches_the_golden_pdu() {
    let g = golden().cmpp20_connect;
    let auth = authenticator_source(&g.sp_id, &g.shared_secret, &g.timestamp);
    assert_eq!(hex(&auth), g.authenticator_source_hex);
    let pdu = Pdu {
        sequence_id: g.sequence_id,
        body: Body::Connect(Connect {
            source_addr: g.sp_id,
            authenticator: auth,
            version: 0x20,
            timestamp: g.timestamp.parse().unwrap(),
        }),
    };
    assert_eq!(hex(&pdu.encode()), g.pdu_hex);
    assert_eq!(decode(&pdu.encode()), pdu);
}

/// The golden submit as this codec builds it (the generator asked for no status report).
fn golden_submit(g: &GoldenSubmit) -> Submit {
    let part = split(&g.text, 0).unwrap().remove(0);
    Submit {
        msg_id: 0,
        pk_total: part.total,
        pk_number: part.number,
        registered_delivery: 0,
        msg_level: 0,
        service_id: g.service_id.clone(),
        fee_user_type: 2,
        fee_terminal_id: String::new(),
        tp_pid: 0,
        tp_udhi: part.tp_udhi,
        msg_fmt: UCS2,
        msg_src: g.msg_src.clone(),
        fee_type: "01".into(),
        fee_code: "000000".into(),
        valid_time: String::new(),
        at_time: String::new(),
        src_id: g.src_id.clone(),
        dest: g.dest.clone(),
        content: part.content,
    }
}

#[test]
fn submit_matches_the_golden_pdu() {
    let g = golden().cmpp20_submit_single_ucs2;
    let pdu = Pdu {
        sequence_id: g.sequence_id,
        body: Body::Submit(Box::new(golden_submit(&g))),
    };
    let bytes = pdu.encode();
    assert_eq!(bytes.len(), 183);
    assert_eq!(hex(&bytes), g.pdu_hex);
    assert_eq!(decode(&bytes), pdu);
}

#[test]
fn every_pdu_reads_back_as_written() {
    let g = golden().cmpp20_submit_single_ucs2;
    let mut two_dest = golden_submit(&g);
    two_dest.dest.push("13900000000".into());
    let bodies = [
        (
            Body::ConnectResp(ConnectResp {
                status: 3,
                authenticator_ismg: [7; 16],
                version: 0x20,
            }),
            12 + 18,
        ),
        (Body::Submit(Box::new(two_dest)), 183 + 21),
        (
            Body::SubmitResp(MsgResult {
                msg_id: u64::MAX,
                result: 8,
            }),
            12 + 9,
        ),
        (
            Body::Deliver(Box::new(Deliver {
                msg_id: 42,
                dest_id: "106900001".into(),
                service_id: "QXYJ".into(),
                tp_pid: 0,
                tp_udhi: 0,
                msg_fmt: UCS2,
                src_terminal_id: "13800000000".into(),
                registered_delivery: 0,
                content: vec![0x65, 0x36],
            })),
            12 + 65 + 2 + 8,
        ),
        (
            Body::DeliverResp(MsgResult {
                msg_id: 42,
                result: 0,
            }),
            12 + 9,
        ),
        (Body::ActiveTest, 12),
        (Body::ActiveTestResp, 13),
        (Body::Terminate, 12),
        (Body::TerminateResp, 12),
    ];
    for (i, (body, len)) in bodies.into_iter().enumerate() {
        let pdu = Pdu {
            sequence_id: i as u32 + 1,
            body,
        };
        let bytes = pdu.encode();
        assert_eq!(bytes.len(), len, "{:?}", pdu.body);
        assert_eq!(decode(&bytes), pdu);
    }
}

#[test]
fn the_configuration_hides_its_secret_and_refuses_unknown_keys() {
    let text = r#"
        host = "127.0.0.1"
        port = 7890
        source_addr = "901234"
        shared_secret = "secret12"
        service_id = "QXYJ"
        src_id = "106900001"
    "#;
    let config: CmppConfig = toml::from_str(text).unwrap();
    assert_eq!(config.shared_secret.expose(), "secret12");
    assert_eq!((config.window, config.max_submits_per_second), (16, 50));
    let shown = format!("{config:?}");
    assert!(
        !shown.contains("secret12") && shown.contains("***"),
        "{shown}"
    );
    let extra = format!("{text}\nspeed = 3\n");
    assert!(toml::from_str::<CmppConfig>(&extra).is_err());
}
