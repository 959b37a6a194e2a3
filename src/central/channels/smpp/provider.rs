//! [`SmppProvider`]: an outbox row of kind `sms` handed over as its parts' `submit_sm` on the one
//! bound link, answered with the parts' message ids (`id1,id2`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::SmppConfig;
use super::body::{Address, ShortMessage, message_id};
use super::pdu::{Pdu, RESP, SUBMIT_SM};
use super::session::{Link, LinkError, Reports};
use super::status;
use super::text::{DC_UCS2, Part, parts};
use crate::central::channels::SmsPayload;
use crate::central::channels::inbox::ReportSender;
use crate::central::channels::redial::LinkSlot;
use crate::central::workers::dispatch::{Provider, ProviderCall, ProviderError};
use crate::domain::time::SharedClock;
use crate::store::central::outbox::OutboxRow;

/// Sends SMS through one SMPP transceiver session, reopened when it drops.
pub struct SmppProvider {
    config: SmppConfig,
    reports: Reports,
    link: tokio::sync::Mutex<LinkSlot<Link>>,
    reference: AtomicU8,
    next_slot: std::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for SmppProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmppProvider")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SmppProvider {
    /// A provider that binds on its first message; receipts and replies go to `reports`.
    pub fn new(config: SmppConfig, reports: ReportSender, clock: SharedClock) -> Self {
        Self {
            config,
            reports: Reports {
                sender: reports,
                clock,
            },
            link: tokio::sync::Mutex::new(LinkSlot::default()),
            reference: AtomicU8::new(1),
            next_slot: std::sync::Mutex::new(None),
        }
    }

    /// The bound link, opened (again) when there is none standing; after a failed bind the
    /// rows behind it are told the same for a moment ([`LinkSlot`]), not each bound again.
    async fn link(&self) -> Result<Arc<Link>, ProviderError> {
        let open = || async {
            match Link::open(&self.config, self.reports.clone()).await {
                Ok(link) => Ok(Arc::new(link)),
                Err(reason) => {
                    tracing::warn!(%reason, "SMPP link to the SMSC not bound");
                    Err(ProviderError::Retry(format!("SMSC not bound: {reason}")))
                }
            }
        };
        self.link.lock().await.link(Link::is_alive, open).await
    }

    /// Waits for this submit's turn under `max_submits_per_second`.
    async fn pace(&self) {
        let Some(rate) = self.config.max_submits_per_second.filter(|r| *r > 0) else {
            return;
        };
        let period = Duration::from_secs(1) / rate;
        let slot = {
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = next.map_or_else(Instant::now, |n| n.max(Instant::now()));
            *next = Some(slot + period);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The parts of one SMS, and where it goes; refused for good when it cannot be sent.
    fn prepare(&self, row: &OutboxRow) -> Result<(Address, Vec<Part>), ProviderError> {
        // serde's message could quote the payload (a number): not repeated.
        let payload: SmsPayload = serde_json::from_str(&row.payload)
            .map_err(|_| ProviderError::Refused("the payload is not an SMS payload".to_owned()))?;
        if payload.to.len() != 11 || !payload.to.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderError::Refused(
                "not an 11-digit mainland number".to_owned(),
            ));
        }
        let reference = self.reference.fetch_add(1, Ordering::Relaxed);
        let parts = parts(&payload.text, reference)
            .ok_or_else(|| ProviderError::Refused("longer than 255 parts".to_owned()))?;
        Ok((Address::new(1, 1, &format!("86{}", payload.to)), parts))
    }

    async fn send_sms(&self, row: &OutboxRow) -> Result<String, ProviderError> {
        let (destination, parts) = self.prepare(row)?;
        let source = Address::new(0, 0, &self.config.source_addr);
        let link = self.link().await?;
        let total = parts.len();
        let mut ids: Vec<String> = Vec::with_capacity(total);
        for (i, part) in parts.into_iter().enumerate() {
            let body = ShortMessage {
                source: source.clone(),
                destination: destination.clone(),
                esm_class: part.esm_class,
                registered_delivery: 1,
                data_coding: DC_UCS2,
                short_message: part.short_message,
                receipted_message_id: None,
            }
            .to_body()
            .map_err(|e| ProviderError::Refused(e.to_string()))?;
            let answer = self.submit_part(&link, body, i).await;
            ids.push(accepted(
                answer,
                i,
                total,
                &ids,
                self.config.response_timeout_ms,
            )?);
        }
        Ok(ids.join(","))
    }

    /// Submits part `i`, in its turn under the rate. A later part the SMSC answers "not now"
    /// (throttled, queue full) is offered again after a pause, doubling, for as long as one
    /// response may take: the earlier parts are already with the SMSC, so the row cannot go
    /// back to the queue whole, and giving up would leave the recipient half a message.
    async fn submit_part(&self, link: &Link, body: Vec<u8>, i: usize) -> Result<Pdu, LinkError> {
        let give_up = Instant::now() + Duration::from_millis(self.config.response_timeout_ms);
        let mut pause = LATER_PART_PAUSE;
        loop {
            self.pace().await;
            let answer = link.submit(body.clone()).await;
            let not_now = matches!(&answer, Ok(pdu) if status::is_transient(pdu.status));
            if i == 0 || !not_now || Instant::now() + pause > give_up {
                return answer;
            }
            tracing::debug!(
                part = i + 1,
                "SMSC said not now to a later part; offering it again"
            );
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
}

/// The first pause before a throttled later part is offered again (an SMSC's rate is usually
/// counted per second).
const LATER_PART_PAUSE: Duration = Duration::from_millis(250);

/// Part `i`'s message id from its submit's answer, or what the row's outcome is.
fn accepted(
    answer: Result<Pdu, LinkError>,
    i: usize,
    total: usize,
    ids: &[String],
    timeout_ms: u64,
) -> Result<String, ProviderError> {
    let part = i + 1;
    match answer {
        Ok(pdu) if pdu.command == SUBMIT_SM | RESP && pdu.status == 0 => Ok(message_id(&pdu.body)),
        // A generic_nack with status 0 still refuses the submit.
        Ok(pdu) => Err(status::refusal(
            pdu.status.max(u32::from(pdu.status == 0)),
            i,
            total,
            ids,
        )),
        Err(LinkError::NotSent) if i == 0 => Err(ProviderError::Retry(
            "the SMSC link dropped before the submit".to_owned(),
        )),
        Err(LinkError::NotSent | LinkError::Lost) => Err(ProviderError::Unknown(format!(
            "the SMSC link dropped after submit_sm of part {part} of {total} left"
        ))),
        Err(LinkError::Timeout) => Err(ProviderError::Unknown(format!(
            "no submit_sm_resp for part {part} of {total} within {timeout_ms} ms"
        ))),
    }
}

impl Provider for SmppProvider {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(self.send_sms(row))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering as Seen;

    use super::*;
    use crate::central::channels::inbox::ReportSender;
    use crate::central::channels::redial::testing::{hanging_up, sms_row};
    use crate::central::channels::wechat::Hidden;
    use crate::domain::Timestamp;
    use crate::domain::time::ManualClock;

    fn config(port: u16) -> SmppConfig {
        SmppConfig {
            host: "127.0.0.1".to_owned(),
            port,
            system_id: "qlqx".to_owned(),
            password: Hidden::new("pw9Qx7z"),
            system_type: String::new(),
            source_addr: "106900001".to_owned(),
            window: 10,
            max_submits_per_second: None,
            connect_timeout_ms: 5_000,
            response_timeout_ms: 5_000,
            enquire_link_ms: 30_000,
        }
    }

    #[tokio::test]
    async fn rows_queued_behind_a_failed_bind_do_not_each_dial_again() {
        let (port, accepted) = hanging_up().await;
        let (sender, _reports) = ReportSender::channel(4);
        let provider = SmppProvider::new(config(port), sender, ManualClock::new(Timestamp(0)));
        // A hold-off no run of this test outlasts: what is counted is dials, not time.
        *provider.link.lock().await = LinkSlot::new(Duration::from_secs(3_600));
        let rows: Vec<OutboxRow> = (1..=6).map(sms_row).collect();
        let answers = futures_util::future::join_all(rows.iter().map(|r| provider.send(r))).await;
        assert_eq!(accepted.load(Seen::SeqCst), 1, "one dial for six rows");
        let first = answers[0].clone().unwrap_err();
        assert!(
            matches!(&first, ProviderError::Retry(why) if why.starts_with("SMSC not bound")),
            "{first:?}"
        );
        assert!(answers.iter().all(|a| a.as_ref().err() == Some(&first)));
    }

    fn resp(command: u32, status: u32, id: &str) -> Result<Pdu, LinkError> {
        let mut body = id.as_bytes().to_vec();
        body.push(0);
        Ok(Pdu::new(command, status, 3, body))
    }

    /// (the submit's answer, its part index, what the row gets)
    type Case = (Result<Pdu, LinkError>, usize, Result<String, ProviderError>);

    #[test]
    fn answers_map_to_the_rows_outcome() {
        let r = ProviderError::Retry;
        let u = |s: &str| ProviderError::Unknown(s.to_owned());
        let one = ["a1".to_owned()];
        let cases: Vec<Case> = vec![
            (resp(SUBMIT_SM | RESP, 0, "a1"), 0, Ok("a1".into())),
            (
                resp(SUBMIT_SM | RESP, 0x58, ""),
                0,
                Err(r("ESME_RTHROTTLED".into())),
            ),
            (
                resp(SUBMIT_SM | RESP, 0x0b, ""),
                0,
                Err(ProviderError::Refused("ESME_RINVDSTADR".into())),
            ),
            (
                resp(0x8000_0000, 0, ""),
                0,
                Err(ProviderError::Refused("ESME_RINVMSGLEN".into())),
            ),
            (
                Err(LinkError::NotSent),
                0,
                Err(r("the SMSC link dropped before the submit".into())),
            ),
            (
                Err(LinkError::NotSent),
                1,
                Err(u(
                    "the SMSC link dropped after submit_sm of part 2 of 2 left",
                )),
            ),
            (
                Err(LinkError::Lost),
                0,
                Err(u(
                    "the SMSC link dropped after submit_sm of part 1 of 2 left",
                )),
            ),
            (
                Err(LinkError::Timeout),
                1,
                Err(u("no submit_sm_resp for part 2 of 2 within 500 ms")),
            ),
        ];
        for (answer, i, want) in cases {
            let ids = &one[..i];
            assert_eq!(accepted(answer, i, 2, ids, 500), want, "part {i}");
        }
    }
}
