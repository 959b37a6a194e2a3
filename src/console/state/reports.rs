//! What the desk knows of the supervisor's 服务统计: the last report read (with the range it
//! answers), how the last export went, the last refusal of a read.

use crate::console::messages::reports::{ReportEvent, ReportRange, ServiceReport};

/// A refusal of the central, as said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRefusal {
    /// Its code (`unreachable` when the central could not be reached).
    pub code: String,
    /// What to show.
    pub message: String,
}

/// How the last export went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportExport {
    /// Being fetched and written.
    Writing,
    /// Written to this file.
    Written(String),
    /// Not written, and why.
    Failed(ReportRefusal),
}

/// The service report as the desk last read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportsState {
    /// The last report read, and the range it answers.
    pub report: Option<(ReportRange, ServiceReport)>,
    /// The last refusal of a read, until the next answer.
    pub refusal: Option<ReportRefusal>,
    /// The last export.
    pub export: Option<ReportExport>,
    /// Answers to reads so far (reports and refusals): the view tells from it whether its
    /// read has been answered.
    pub answers: u64,
}

impl ReportsState {
    /// Takes in what the reports service reports.
    pub fn apply(&mut self, event: ReportEvent) {
        match event {
            ReportEvent::Loaded { range, report } => {
                self.answers += 1;
                self.refusal = None;
                self.report = Some((range, *report));
            }
            ReportEvent::ExportStarted => self.export = Some(ReportExport::Writing),
            ReportEvent::Exported(path) => self.export = Some(ReportExport::Written(path)),
            ReportEvent::Refused {
                export,
                code,
                message,
            } => {
                let refusal = ReportRefusal { code, message };
                if export {
                    self.export = Some(ReportExport::Failed(refusal));
                } else {
                    self.answers += 1;
                    self.refusal = Some(refusal);
                }
            }
        }
    }

    /// The report of `range`, if that is the one last read.
    pub fn of(&self, range: &ReportRange) -> Option<&ServiceReport> {
        self.report
            .as_ref()
            .filter(|(read, _)| read == range)
            .map(|(_, report)| report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::messages::reports::{Approvals, Minutes};

    fn range(from: &str) -> ReportRange {
        ReportRange {
            from: from.into(),
            to: "2026-12-07".into(),
        }
    }

    fn report() -> Box<ServiceReport> {
        let none = || Minutes {
            median: None,
            max: None,
        };
        Box::new(ServiceReport {
            from: "2026-12-01".into(),
            to: "2026-12-07".into(),
            issued: Vec::new(),
            approvals: Approvals {
                approved: 0,
                signed_alone: 0,
                submit_to_approve: none(),
                approve_to_release: none(),
                warnings: Vec::new(),
            },
            delivery: Vec::new(),
            callout: None,
        })
    }

    #[test]
    fn a_report_answers_its_range_and_a_refused_export_leaves_the_figures() {
        let mut state = ReportsState::default();
        state.apply(ReportEvent::Loaded {
            range: range("2026-12-01"),
            report: report(),
        });
        assert!(state.of(&range("2026-12-01")).is_some());
        assert!(state.of(&range("2026-11-01")).is_none(), "another range");
        state.apply(ReportEvent::ExportStarted);
        state.apply(ReportEvent::Refused {
            export: true,
            code: "forbidden".into(),
            message: "无权".into(),
        });
        assert!(matches!(state.export, Some(ReportExport::Failed(_))));
        assert_eq!(
            state.refusal, None,
            "a refused export is not a refused read"
        );
        assert_eq!(state.answers, 1);
        state.apply(ReportEvent::Refused {
            export: false,
            code: "unreachable".into(),
            message: "无法连接".into(),
        });
        assert_eq!(state.answers, 2);
        assert!(
            state.of(&range("2026-12-01")).is_some(),
            "the last figures stay"
        );
    }
}
