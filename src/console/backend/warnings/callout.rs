//! The warnings service's 叫应 requests: a board fetched, a number revealed, a phone call
//! logged, the record written to the export folder, the yearly roster read or confirmed.
//! Failures are said to the screens as [`WarningEvent::Refused`], like every warning request.

use super::{ClientError, WarningEvent, WarningsService, refusal};
use crate::domain::refusal::Code;
use crate::protocol::callout::PhoneCallInput;

impl WarningsService {
    /// Says `error` to the screens (a lapsed session to the session too).
    async fn refused(&self, error: ClientError) {
        let said = refusal(&error);
        if matches!(error, ClientError::Unauthorized(_)) {
            self.session.failure(error).await;
        } else {
            tracing::info!(%error, "a 叫应 request was not done");
        }
        self.emit(said).await;
    }

    fn client(&self) -> Result<super::CentralClient, ClientError> {
        self.session
            .authorise(&self.client)
            .ok_or_else(|| ClientError::Unauthorized(Code::Unauthorized.as_str().into()))
    }

    pub(super) async fn load_callout(&self, id: &str) {
        let answer = match self.client() {
            Ok(client) => client.callout(id).await,
            Err(error) => Err(error),
        };
        match answer {
            Ok(board) => {
                self.emit(WarningEvent::CalloutLoaded(Box::new(board)))
                    .await;
            }
            Err(error) => self.refused(error).await,
        }
    }

    pub(super) async fn reveal_number(&self, id: &str, line: i64) {
        let answer = match self.client() {
            Ok(client) => client.reveal_callout_number(id, line).await,
            Err(error) => Err(error),
        };
        match answer {
            Ok(shown) => self.emit(WarningEvent::CalloutNumberShown(shown)).await,
            Err(error) => self.refused(error).await,
        }
    }

    pub(super) async fn log_call(&self, id: &str, line: i64, call: &PhoneCallInput) {
        let answer = match self.client() {
            Ok(client) => client.log_callout_call(id, line, call).await,
            Err(error) => Err(error),
        };
        match answer {
            // The board again: the call and, when it answered, the closed line.
            Ok(_) => self.load_callout(id).await,
            Err(error) => self.refused(error).await,
        }
    }

    /// Writes `callout-{id}.csv` into the export folder.
    pub(super) async fn export_callout(&self, id: &str) {
        let answer = match self.client() {
            Ok(client) => client.callout_csv(id).await,
            Err(error) => Err(error),
        };
        let bytes = match answer {
            Ok(bytes) => bytes,
            Err(error) => return self.refused(error).await,
        };
        let name = format!("callout-{id}.csv");
        let saved = if super::is_plain_file_name(&name) {
            let path = self.export_dir.join(&name);
            let written = path.clone();
            tokio::task::spawn_blocking(move || {
                std::fs::create_dir_all(written.parent().unwrap_or(&written))?;
                std::fs::write(&written, bytes)
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| format!("{}: {e}", path.display())))
            .map(|()| path.display().to_string())
        } else {
            Err(format!("文件名不合规：{name}"))
        };
        self.emit(WarningEvent::CalloutExported(saved)).await;
    }

    /// Reads the roster's confirmation, or confirms it first.
    pub(super) async fn roster(&self, confirm: bool) {
        let answer = match self.client() {
            Ok(client) if confirm => client.confirm_roster().await,
            Ok(client) => client.roster().await,
            Err(error) => Err(error),
        };
        match answer {
            Ok(roster) => self.emit(WarningEvent::Roster(roster)).await,
            Err(error) => self.refused(error).await,
        }
    }
}
