//! A `deliver_sm` is answered as its report was committed, and only then: a fake SMSC on
//! loopback sends receipts while the test plays the reports worker.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::SmppConfig;
use super::body::{Address, ShortMessage};
use super::pdu::{BIND_TRANSCEIVER, DELIVER_SM, ENQUIRE_LINK, Pdu, RESP};
use super::session::{Link, Reports};
use crate::central::channels::ChannelReport;
use crate::central::channels::inbox::{Incoming, ReportSender};
use crate::domain::Timestamp;
use crate::domain::time::ManualClock;

async fn read(stream: &mut TcpStream) -> Pdu {
    let mut head = [0u8; 4];
    stream.read_exact(&mut head).await.unwrap();
    let mut bytes = vec![0u8; u32::from_be_bytes(head) as usize];
    bytes[..4].copy_from_slice(&head);
    stream.read_exact(&mut bytes[4..]).await.unwrap();
    Pdu::parse(&bytes).unwrap()
}

async fn write(stream: &mut TcpStream, pdu: Pdu) {
    stream.write_all(&pdu.to_bytes()).await.unwrap();
}

fn receipt(sequence: u32, id: &str) -> Pdu {
    let text = format!(
        "id:{id} sub:001 dlvrd:001 submit date:2606170630 \
         done date:2606170631 stat:DELIVRD err:000 text:"
    );
    let message = ShortMessage {
        source: Address::new(1, 1, "8613800000000"),
        destination: Address::new(0, 0, "106900001"),
        esm_class: 0x04,
        registered_delivery: 0,
        data_coding: 0,
        short_message: text.into_bytes(),
        receipted_message_id: None,
    };
    Pdu::new(DELIVER_SM, 0, sequence, message.to_body().unwrap())
}

/// A link bound to a fake SMSC: the SMSC's end and the reports worker's end.
async fn bound() -> (Link, TcpStream, tokio::sync::mpsc::Receiver<Incoming>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config: SmppConfig = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {port}\nsystem_id = \"qlqx\"\npassword = \"pw\"\n\
         source_addr = \"106900001\"\n"
    ))
    .unwrap();
    let (sender, inbox) = ReportSender::channel(8);
    let clock = ManualClock::new(Timestamp(1_800_000_000_000));
    let reports = Reports { sender, clock };
    let smsc = async {
        let (mut stream, _) = listener.accept().await.unwrap();
        let bind = read(&mut stream).await;
        let resp = Pdu::new(
            BIND_TRANSCEIVER | RESP,
            0,
            bind.sequence,
            b"SMSC\0".to_vec(),
        );
        write(&mut stream, resp).await;
        stream
    };
    let (link, stream) = tokio::join!(Link::open(&config, reports), smsc);
    (link.unwrap(), stream, inbox)
}

#[tokio::test]
async fn a_receipt_is_answered_only_as_its_commit_went() {
    let (link, mut smsc, mut inbox) = bound().await;
    write(&mut smsc, receipt(7, "m1")).await;
    let first = inbox.recv().await.unwrap();
    assert!(
        matches!(&first.report, ChannelReport::Receipt { provider_id, .. } if provider_id == "m1"),
        "{:?}",
        first.report
    );
    // Its answer waits for the commit; the reader does not: an enquire_link is answered first.
    write(&mut smsc, Pdu::new(ENQUIRE_LINK, 0, 8, Vec::new())).await;
    let answer = read(&mut smsc).await;
    assert_eq!((answer.command, answer.sequence), (ENQUIRE_LINK | RESP, 8));
    // Not recorded: ESME_RSYSERR, so the SMSC sends it again.
    first.acknowledge(false);
    let answer = read(&mut smsc).await;
    assert_eq!(
        (answer.command, answer.status, answer.sequence),
        (DELIVER_SM | RESP, 0x08, 7)
    );
    write(&mut smsc, receipt(9, "m1")).await;
    inbox.recv().await.unwrap().acknowledge(true);
    let answer = read(&mut smsc).await;
    assert_eq!(
        (answer.command, answer.status, answer.sequence),
        (DELIVER_SM | RESP, 0, 9)
    );
    assert!(link.is_alive());
}
