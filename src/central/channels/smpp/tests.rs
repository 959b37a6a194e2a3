//! The codec held to `tests/data/sms/smpp34-ucs2-concat-golden.json` byte for byte, and the
//! configuration's secrets kept out of `Debug`.

use super::body::{Address, ShortMessage};
use super::pdu::{Pdu, SUBMIT_SM};
use super::text::{DC_UCS2, parts};
use super::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn submit_sm_matches_the_golden_pdus() {
    let golden: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/data/sms/smpp34-ucs2-concat-golden.json"
    ))
    .unwrap();
    let text = golden["text"].as_str().unwrap();
    let want_parts = golden["segments_short_message_hex"].as_array().unwrap();
    let want_pdus = golden["submit_sm_pdus_hex"].as_array().unwrap();
    let got = parts(text, 0xc5).unwrap();
    assert_eq!(got.len(), want_parts.len());
    for (i, part) in got.iter().enumerate() {
        assert_eq!(
            hex(&part.short_message),
            want_parts[i].as_str().unwrap(),
            "part {i}"
        );
        let message = ShortMessage {
            source: Address::new(0, 0, "106900001"),
            destination: Address::new(1, 1, "8613800000000"),
            esm_class: part.esm_class,
            registered_delivery: 1,
            data_coding: DC_UCS2,
            short_message: part.short_message.clone(),
            receipted_message_id: None,
        };
        let sequence = 2 + 2 * i as u32; // the generator's sequence numbers
        let pdu = Pdu::new(SUBMIT_SM, 0, sequence, message.to_body().unwrap());
        assert_eq!(
            hex(&pdu.to_bytes()),
            want_pdus[i].as_str().unwrap(),
            "pdu {i}"
        );
        let back = Pdu::parse(&pdu.to_bytes()).unwrap();
        assert_eq!(ShortMessage::parse(&back.body).unwrap(), message);
    }
}

#[test]
fn bad_frames_are_refused() {
    use super::pdu::{PduError, frame_length};
    type Case = (&'static [u8], Result<Option<usize>, PduError>);
    let cases: [Case; 4] = [
        (&[0, 0], Ok(None)),
        (&[0, 0, 0, 16], Ok(Some(16))),
        (&[0, 0, 0, 15], Err(PduError::Length(15))),
        (&[0, 2, 0, 0], Err(PduError::Length(0x20000))),
    ];
    for (bytes, want) in cases {
        assert_eq!(frame_length(bytes), want);
    }
    assert_eq!(
        Pdu::parse(&[0, 0, 0, 20, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]),
        Err(PduError::Truncated("body"))
    );
}

#[test]
fn bind_transceiver_body() {
    let body = body::bind_transceiver("qlqx", "pw", "").unwrap();
    assert_eq!(body, b"qlqx\0pw\0\0\x34\0\0\0");
    assert!(body::bind_transceiver("qlqx", "longer-than-8", "").is_err());
}

#[test]
fn the_password_never_shows_in_debug() {
    let config: SmppConfig = toml::from_str(
        r#"host = "127.0.0.1"
port = 2775
system_id = "qlqx"
password = "s3cr3tpw"
source_addr = "106900001"
"#,
    )
    .unwrap();
    let printed = format!("{config:?}");
    assert!(!printed.contains("s3cr3tpw"), "{printed}");
    assert!(printed.contains("***"));
    assert_eq!(config.window, 10);
    let unknown = toml::from_str::<SmppConfig>(
        "host = \"h\"\nport = 1\nsystem_id = \"a\"\npassword = \"b\"\nsource_addr = \"1\"\nwindw = 3\n",
    );
    assert!(unknown.is_err());
}
