//! The recipients service: reads the central's list of the people warnings go to, filtered,
//! and imports a CSV or .xlsx file, answering the central's line-numbered report.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::client::{CentralClient, ClientError};
use super::session::{Emitter, Session};
use crate::console::messages::Event;
use crate::console::messages::recipients::{RecipientsCommand, RecipientsEvent};
use crate::console::ui::i18n::{Language, say};
use crate::domain::refusal::Params;

/// The content type the import route takes for the file at `path`, by its extension.
pub fn content_type(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "csv" | "txt" => Some("text/csv"),
        "xlsx" => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        _ => None,
    }
}

fn said(error: &ClientError) -> String {
    match error {
        ClientError::Refused { code, params, .. } => say(Language::Zh, code, params),
        ClientError::Unauthorized(code) => say(Language::Zh, code, &Params::new()),
        ClientError::Unreachable(_) | ClientError::Untrusted(_) => "无法连接中心".to_owned(),
        other => other.to_string(),
    }
}

/// The service (one per backend).
#[derive(Debug)]
pub struct RecipientsService {
    client: CentralClient,
    session: Arc<Session>,
    emitter: Emitter,
}

impl RecipientsService {
    /// A service calling the central as the session's user.
    pub fn new(client: CentralClient, session: Arc<Session>, emitter: Emitter) -> Self {
        Self {
            client,
            session,
            emitter,
        }
    }

    /// Serves `commands` until the UI goes.
    pub async fn run(self, mut commands: mpsc::Receiver<RecipientsCommand>) {
        while let Some(command) = commands.recv().await {
            let Some(client) = self.session.authorise(&self.client) else {
                continue;
            };
            let event = match command {
                RecipientsCommand::List(query) => match client.recipients(&query).await {
                    Ok(list) => RecipientsEvent::Listed(list),
                    Err(error) => RecipientsEvent::Refused(said(&error)),
                },
                RecipientsCommand::Import { path, dry_run } => {
                    import(&client, &path, dry_run).await
                }
            };
            self.emitter.emit(Event::Recipients(event)).await;
            if self.emitter.is_closed() {
                return;
            }
        }
    }
}

async fn import(client: &CentralClient, path: &Path, dry_run: bool) -> RecipientsEvent {
    let Some(kind) = content_type(path) else {
        return RecipientsEvent::Refused(format!("只能导入 CSV 或 .xlsx 文件：{}", path.display()));
    };
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(error) => {
            return RecipientsEvent::Refused(format!("无法读取 {}：{error}", path.display()));
        }
    };
    match client.import_recipients(bytes, kind, dry_run).await {
        Ok(report) => {
            tracing::info!(
                lines = report.lines,
                problems = report.problems.len(),
                dry_run,
                "recipients import answered"
            );
            RecipientsEvent::Imported(report)
        }
        Err(error) => RecipientsEvent::Refused(said(&error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_sent_as_its_extension_says() {
        let table = [
            ("people.csv", Some("text/csv")),
            (
                "名单.XLSX",
                Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            ("people.xls", None),
            ("people", None),
        ];
        for (name, want) in table {
            assert_eq!(content_type(Path::new(name)), want, "{name}");
        }
    }
}
