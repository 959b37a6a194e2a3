//! The reports service: reads the supervisor's 服务统计 from the central when the view asks
//! (on opening it and on a new range — it never polls), and saves the central's own CSV or
//! Excel file of a range in the export folder the history screen's notice shows.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError};

use tokio::sync::mpsc;

use super::client::{CentralClient, ClientError};
use super::history::{ExportFolder, write_file};
use super::session::{Emitter, Session};
use crate::console::messages::Event;
use crate::console::messages::reports::{ReportCommand, ReportEvent, ReportFormat, ReportRange};

/// What a failed call becomes for the view: the code and its words in Chinese.
pub fn refusal(export: bool, error: &ClientError) -> ReportEvent {
    let (code, message) = error.said().unwrap_or_else(|| {
        let words = "无法连接中心：服务统计由中心统计，暂不可读";
        ("unreachable".to_owned(), words.to_owned())
    });
    ReportEvent::Refused {
        export,
        code,
        message,
    }
}

/// The file's name: `wxdesk-service-20261201-20261207.csv` (the range, not the hour: the
/// same range exported again replaces its file).
pub fn file_name(range: &ReportRange, format: ReportFormat) -> String {
    let compact = |day: &str| -> String { day.chars().filter(char::is_ascii_digit).collect() };
    format!(
        "wxdesk-service-{}-{}.{}",
        compact(&range.from),
        compact(&range.to),
        format.word()
    )
}

/// The service (one per backend).
#[derive(Debug)]
pub struct ReportsService {
    client: CentralClient,
    session: Arc<Session>,
    emitter: Emitter,
    folder: ExportFolder,
}

impl ReportsService {
    /// A service calling the central as the session's user, saving files into `folder`.
    pub fn new(
        client: CentralClient,
        session: Arc<Session>,
        emitter: Emitter,
        folder: ExportFolder,
    ) -> Self {
        Self {
            client,
            session,
            emitter,
            folder,
        }
    }

    /// Serves `commands` until the UI goes.
    pub async fn run(self, mut commands: mpsc::Receiver<ReportCommand>) {
        while let Some(command) = commands.recv().await {
            let Some(client) = self.session.authorise(&self.client) else {
                continue; // signed out: the view is not shown
            };
            let event = match command {
                ReportCommand::Fetch(range) => {
                    match client.service_report(&range.from, &range.to).await {
                        Ok(report) => ReportEvent::Loaded {
                            range,
                            report: Box::new(report),
                        },
                        Err(error) => self.failed(false, error).await,
                    }
                }
                ReportCommand::Export { range, format } => {
                    self.emit(ReportEvent::ExportStarted).await;
                    self.export(&client, &range, format).await
                }
            };
            self.emit(event).await;
            if self.emitter.is_closed() {
                return;
            }
        }
    }

    async fn export(
        &self,
        client: &CentralClient,
        range: &ReportRange,
        format: ReportFormat,
    ) -> ReportEvent {
        let bytes = match client
            .service_report_file(&range.from, &range.to, format.word())
            .await
        {
            Ok(bytes) => bytes,
            Err(error) => return self.failed(true, error).await,
        };
        let path: PathBuf = self
            .folder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .join(file_name(range, format));
        let written = tokio::task::spawn_blocking(move || write_file(&path, &bytes))
            .await
            .unwrap_or_else(|join| Err(format!("writing the file failed: {join}")));
        match written {
            Ok(path) => {
                tracing::info!(%path, "service report exported");
                ReportEvent::Exported(path)
            }
            Err(message) => ReportEvent::Refused {
                export: true,
                code: "not_written".to_owned(),
                message,
            },
        }
    }

    async fn failed(&self, export: bool, error: ClientError) -> ReportEvent {
        let said = refusal(export, &error);
        if matches!(error, ClientError::Unauthorized(_)) {
            self.session.failure(error).await;
        } else {
            tracing::info!(%error, "a service report request was not done");
        }
        said
    }

    async fn emit(&self, event: ReportEvent) {
        self.emitter.emit(Event::Reports(event)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_by_its_range_and_format() {
        let range = ReportRange {
            from: "2026-12-01".into(),
            to: "2026-12-07".into(),
        };
        let table = [
            (ReportFormat::Csv, "wxdesk-service-20261201-20261207.csv"),
            (ReportFormat::Xlsx, "wxdesk-service-20261201-20261207.xlsx"),
        ];
        for (format, name) in table {
            assert_eq!(file_name(&range, format), name);
        }
        let odd = ReportRange {
            from: "../x".into(),
            to: "2026/12/07".into(),
        };
        assert_eq!(
            file_name(&odd, ReportFormat::Csv),
            "wxdesk-service--20261207.csv",
            "nothing but digits reaches the name"
        );
    }
}
