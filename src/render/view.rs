//! [`ReportView`]: what a renderer reads. The report's head and its cases
//! as briefs are in memory; a case's evidence is read back from the spill
//! file one case at a time, when a renderer shows it, and redacted again
//! with every secret of the run (one learned in the last case is hidden in
//! the first case too).

use crate::redact::Redactor;
use crate::report::{CaseEvidence, CaseResult, RunReport};
use std::borrow::Cow;
use std::io;

/// A report to render, its cases read whole one at a time.
#[derive(Clone, Copy)]
pub struct ReportView<'a> {
    report: &'a RunReport,
    spilled: Option<(&'a CaseEvidence, &'a Redactor)>,
}

impl<'a> ReportView<'a> {
    /// A report whose cases are whole in memory.
    pub fn new(report: &'a RunReport) -> ReportView<'a> {
        ReportView {
            report,
            spilled: None,
        }
    }

    /// A report whose cases are briefs (see `crate::report::CaseResults`),
    /// their evidence in `evidence`; `redactor` knows every secret of the run.
    pub fn spilled(
        report: &'a RunReport,
        evidence: &'a CaseEvidence,
        redactor: &'a Redactor,
    ) -> ReportView<'a> {
        ReportView {
            report,
            spilled: evidence.is_spilled().then_some((evidence, redactor)),
        }
    }

    /// The report: its head, and its cases without their evidence when spilled.
    pub fn report(&self) -> &'a RunReport {
        self.report
    }

    /// Case `index` of the report (report order), whole and redacted.
    pub fn case(&self, index: usize) -> io::Result<Cow<'a, CaseResult>> {
        let brief = &self.report.cases[index];
        match self.spilled {
            None => Ok(Cow::Borrowed(brief)),
            Some((evidence, redactor)) => {
                let mut case = evidence.whole(index, brief)?;
                redactor.case_result(&mut case);
                Ok(Cow::Owned(case))
            }
        }
    }
}
