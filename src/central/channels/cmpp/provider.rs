//! [`CmppProvider`]: an outbox row of kind `sms` as one SUBMIT per part over the one session,
//! answered with the parts' `Msg_Ids` (`id1,id2`, decimal, in part order).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::CmppConfig;
use super::parts::{Part, split};
use super::pdu::{Body, Submit, UCS2};
use super::session::{self, Lost, Session};
use super::status::{FLOW_CONTROL, submit_meaning};
use crate::central::channels::SmsPayload;
use crate::central::channels::inbox::ReportSender;
use crate::central::channels::redial::LinkSlot;
use crate::central::workers::dispatch::{Provider, ProviderCall, ProviderError};
use crate::domain::time::SharedClock;
use crate::store::central::outbox::OutboxRow;

/// SMS over CMPP 2.0 to one gateway.
pub struct CmppProvider {
    config: CmppConfig,
    clock: SharedClock,
    reports: ReportSender,
    session: tokio::sync::Mutex<LinkSlot<Session>>,
    window: Semaphore,
    next_slot: Mutex<Option<Instant>>,
}

impl CmppProvider {
    /// A provider that connects on its first message; status reports and replies go to
    /// `reports`.
    pub fn new(config: CmppConfig, clock: SharedClock, reports: ReportSender) -> Self {
        let window = Semaphore::new(config.window.max(1));
        Self {
            config,
            clock,
            reports,
            session: tokio::sync::Mutex::new(LinkSlot::default()),
            window,
            next_slot: Mutex::new(None),
        }
    }

    /// The logged-in session, connecting (again) if there is none; after a failed login the
    /// rows behind it are told the same for a moment ([`LinkSlot`]), not each connected again.
    async fn session(&self) -> Result<Arc<Session>, ProviderError> {
        let open = || async {
            session::connect(&self.config, Arc::clone(&self.clock), self.reports.clone())
                .await
                .map_err(ProviderError::Retry)
        };
        let standing = |s: &Session| !s.is_closed();
        self.session.lock().await.link(standing, open).await
    }

    /// Waits for this submit's turn under `max_submits_per_second`.
    async fn pace(&self) {
        let per_second = self.config.max_submits_per_second.max(1);
        let gap = Duration::from_secs(1) / per_second;
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|p| p.into_inner());
            let slot = next.map_or_else(Instant::now, |n| n.max(Instant::now()));
            *next = Some(slot + gap);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The SUBMIT of one part to `to`.
    fn submit(&self, part: &Part, to: &str) -> Submit {
        Submit {
            msg_id: 0,
            pk_total: part.total,
            pk_number: part.number,
            registered_delivery: 1,
            msg_level: 0,
            service_id: self.config.service_id.clone(),
            fee_user_type: 2,
            fee_terminal_id: String::new(),
            tp_pid: 0,
            tp_udhi: part.tp_udhi,
            msg_fmt: UCS2,
            msg_src: self.config.source_addr.clone(),
            fee_type: "01".into(),
            fee_code: "000000".into(),
            valid_time: String::new(),
            at_time: String::new(),
            src_id: self.config.src_id.clone(),
            dest: vec![to.to_owned()],
            content: part.content.clone(),
        }
    }

    /// Sends one part; its `Msg_Id`, or what to tell the dispatcher (`sent_before`: parts of
    /// this message already accepted, which turn any failure into "unknown").
    async fn send_part(
        &self,
        session: &Session,
        submit: Submit,
        sent_before: bool,
    ) -> Result<u64, ProviderError> {
        let (number, total) = (submit.pk_number, submit.pk_total);
        self.pace().await;
        let _slot = self
            .window
            .acquire()
            .await
            .map_err(|_| ProviderError::Retry("CMPP provider closed".into()))?;
        let unclear = |why: String| {
            let why = if sent_before {
                format!("{why} (part {number} of {total}; earlier parts were accepted)")
            } else {
                why
            };
            ProviderError::Unknown(why)
        };
        match session.request(Body::Submit(Box::new(submit))).await {
            Ok(Body::SubmitResp(resp)) if resp.result == 0 => Ok(resp.msg_id),
            Ok(Body::SubmitResp(resp)) => {
                let why = format!(
                    "CMPP submit result {}: {}",
                    resp.result,
                    submit_meaning(resp.result)
                );
                match (sent_before, resp.result) {
                    (true, _) => Err(unclear(why)),
                    (false, FLOW_CONTROL) => Err(ProviderError::Retry(why)),
                    (false, _) => Err(ProviderError::Refused(why)),
                }
            }
            Ok(_) => Err(unclear(
                "CMPP gateway answered SUBMIT with another PDU".into(),
            )),
            Err(Lost::NotSent) if !sent_before => {
                Err(ProviderError::Retry("CMPP link lost before sending".into()))
            }
            Err(Lost::NotSent) => Err(unclear("CMPP link lost between parts".into())),
            Err(Lost::AfterSend(why)) => Err(unclear(why)),
        }
    }

    async fn send_sms(&self, row: &OutboxRow) -> Result<String, ProviderError> {
        let sms = payload_of(&row.payload)?;
        let reference = (row.id % 256) as u8;
        let parts = split(&sms.text, reference)
            .ok_or_else(|| ProviderError::Refused("the text needs more than 255 parts".into()))?;
        let session = self.session().await?;
        let mut ids = Vec::with_capacity(parts.len());
        for part in &parts {
            let id = self
                .send_part(&session, self.submit(part, &sms.to), !ids.is_empty())
                .await?;
            ids.push(id.to_string());
        }
        Ok(ids.join(","))
    }
}

/// The row's SMS, refused with a reason that quotes nothing of it (serde's own message may
/// quote a value, and the number is personal data).
pub fn payload_of(payload: &str) -> Result<SmsPayload, ProviderError> {
    let sms: SmsPayload = serde_json::from_str(payload).map_err(|e| {
        ProviderError::Refused(format!(
            "not an SMS payload ({:?} error at column {})",
            e.classify(),
            e.column()
        ))
    })?;
    if !is_terminal_id(&sms.to) {
        return Err(ProviderError::Refused(
            "the recipient is not a mobile number".into(),
        ));
    }
    Ok(sms)
}

/// Digits only, 1 to 21 of them (`Dest_terminal_Id`'s width).
pub fn is_terminal_id(to: &str) -> bool {
    (1..=21).contains(&to.len()) && to.bytes().all(|b| b.is_ascii_digit())
}

impl Provider for CmppProvider {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(self.send_sms(row))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering as Seen;

    use super::*;
    use crate::central::channels::redial::testing::{hanging_up, sms_row};
    use crate::central::channels::wechat::Hidden;
    use crate::domain::Timestamp;
    use crate::domain::time::ManualClock;

    fn config(port: u16) -> CmppConfig {
        CmppConfig {
            host: "127.0.0.1".into(),
            port,
            source_addr: "901234".into(),
            shared_secret: Hidden::new("s3cret"),
            service_id: "QXYJ".into(),
            src_id: "106900001".into(),
            window: 8,
            max_submits_per_second: 10_000,
            connect_timeout_ms: 5_000,
            response_timeout_ms: 5_000,
            active_test_interval_s: 180,
        }
    }

    #[tokio::test]
    async fn rows_queued_behind_a_failed_login_do_not_each_dial_again() {
        let (port, accepted) = hanging_up().await;
        let (sender, _reports) = ReportSender::channel(4);
        let clock: SharedClock = ManualClock::new(Timestamp(0));
        let provider = CmppProvider::new(config(port), clock, sender);
        // A hold-off no run of this test outlasts: what is counted is dials, not time.
        *provider.session.lock().await = LinkSlot::new(Duration::from_secs(3_600));
        let rows: Vec<OutboxRow> = (1..=6).map(sms_row).collect();
        let answers = futures_util::future::join_all(rows.iter().map(|r| provider.send(r))).await;
        assert_eq!(accepted.load(Seen::SeqCst), 1, "one dial for six rows");
        let first = answers[0].clone().unwrap_err();
        assert!(
            matches!(&first, ProviderError::Retry(why) if why.starts_with("CMPP login")),
            "{first:?}"
        );
        assert!(answers.iter().all(|a| a.as_ref().err() == Some(&first)));
    }

    #[test]
    fn a_bad_payload_is_refused_without_quoting_it() {
        let table = [
            (
                r#"{"to":13812345678,"text":"x"}"#,
                "not an SMS payload (Data error at column 17)",
            ),
            (
                r#"{"to":"+8613812345678","text":"x"}"#,
                "the recipient is not a mobile number",
            ),
            (
                r#"{"to":"13812345678""#,
                "not an SMS payload (Eof error at column 19)",
            ),
        ];
        for (payload, want) in table {
            assert_eq!(
                payload_of(payload),
                Err(ProviderError::Refused(want.into()))
            );
        }
        assert!(payload_of(r#"{"to":"13812345678","text":"x"}"#).is_ok());
    }

    #[test]
    fn only_digits_are_terminal_ids() {
        let table = [
            ("13800000000", true),
            ("", false),
            ("+8613800000000", false),
            ("1380000000a", false),
            (&"1".repeat(22), false),
        ];
        for (to, want) in table {
            assert_eq!(is_terminal_id(to), want, "{to}");
        }
    }
}
