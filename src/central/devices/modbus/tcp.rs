//! A Modbus TCP client for one board: connects when first asked, keeps the connection, and
//! drops it after any failure so the next poll reconnects.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::frame::{MBAP_LEN, decode_mbap, encode_tcp};
use super::pdu::{Request, Response, decode_response};
use super::{BoardLink, LinkFailure};

/// The connection to one Modbus TCP board.
#[derive(Debug)]
pub struct TcpLink {
    address: String,
    stream: Option<TcpStream>,
    transaction: u16,
    timeout: Duration,
}

impl TcpLink {
    /// A link to `address` (`host:port`), each connect and exchange bounded by `timeout`.
    pub fn new(address: impl Into<String>, timeout: Duration) -> Self {
        Self {
            address: address.into(),
            stream: None,
            transaction: 0,
            timeout,
        }
    }

    fn timed_out(&self) -> LinkFailure {
        LinkFailure::Timeout(u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX))
    }

    async fn connected(&mut self) -> Result<&mut TcpStream, LinkFailure> {
        if self.stream.is_none() {
            let stream = timeout(self.timeout, TcpStream::connect(&self.address))
                .await
                .map_err(|_| self.timed_out())?
                .map_err(|e| LinkFailure::Connect(e.to_string()))?;
            // Requests are small and each waits for its answer: send them at once.
            _ = stream.set_nodelay(true);
            self.stream = Some(stream);
        }
        self.stream.as_mut().ok_or(LinkFailure::Closed)
    }

    async fn exchange(&mut self, unit: u8, request: &Request) -> Result<Vec<u8>, LinkFailure> {
        self.transaction = self.transaction.wrapping_add(1);
        let transaction = self.transaction;
        let frame = encode_tcp(transaction, unit, &request.encode());
        let stream = self.connected().await?;
        stream.write_all(&frame).await.map_err(|e| io_failure(&e))?;
        let mut header = [0; MBAP_LEN];
        stream
            .read_exact(&mut header)
            .await
            .map_err(|e| io_failure(&e))?;
        let mbap = decode_mbap(&header).map_err(|why| LinkFailure::Garbled(why.to_owned()))?;
        let mut pdu = vec![0; mbap.pdu_len];
        stream
            .read_exact(&mut pdu)
            .await
            .map_err(|e| io_failure(&e))?;
        if mbap.transaction != transaction || mbap.unit != unit {
            return Err(LinkFailure::Garbled(format!(
                "answer for transaction {} of unit {}, expected {transaction} of unit {unit}",
                mbap.transaction, mbap.unit
            )));
        }
        Ok(pdu)
    }
}

fn io_failure(error: &std::io::Error) -> LinkFailure {
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        LinkFailure::Closed
    } else {
        LinkFailure::Io(error.to_string())
    }
}

impl BoardLink for TcpLink {
    async fn call(&mut self, unit: u8, request: &Request) -> Result<Response, LinkFailure> {
        let answer = match timeout(self.timeout, self.exchange(unit, request)).await {
            Ok(answer) => answer,
            Err(_) => Err(self.timed_out()),
        };
        let result = answer.and_then(|pdu| decode_response(request, &pdu).map_err(Into::into));
        // After a failure the stream may hold half an answer: start afresh. An exception is
        // a whole answer, so the connection stays.
        if matches!(result, Err(ref e) if !matches!(e, LinkFailure::Exception { .. })) {
            self.stream = None;
        }
        result
    }
}
