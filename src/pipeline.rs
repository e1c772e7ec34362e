//! A whole run as one library call, in one direction: plan -> runner (plain
//! case results and events) -> assemble (the report) -> comparison with a
//! baseline. The CLI loads, selects and builds the plan, then calls
//! [`run_session`]; tests and other tools can do the same.

use crate::redact::Redactor;
use crate::report::RunResults;
use crate::report::{RunInfo, RunReport};
use crate::runner::{EventListener, RunError, RunPlan};
use crate::schemas::Schemas;
use crate::suite::{Case, Suite};
use std::future::Future;

/// Everything one run needs.
pub struct RunSession<'a> {
    pub suite: &'a Suite,
    pub schemas: &'a Schemas,
    /// The selected cases, in suite order.
    pub cases: Vec<&'a Case>,
    pub plan: RunPlan,
    /// What only the report needs.
    pub info: RunInfo,
    /// Knows every secret of the plan.
    pub redactor: Redactor,
    /// A baseline report and its label, to compare the run with.
    pub baseline: Option<(RunReport, String)>,
}

/// Runs the session's cases, assembles the report and compares it with the
/// baseline, if any.
pub async fn run_session(
    session: &RunSession<'_>,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()>,
) -> Result<RunReport, RunError> {
    let results = run_cases(session, listener, interrupt).await?;
    Ok(report_of(session, results))
}

/// Runs the session's cases (the first half of [`run_session`]).
pub async fn run_cases(
    session: &RunSession<'_>,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()>,
) -> Result<RunResults, RunError> {
    crate::runner::run(
        &session.cases,
        &session.plan,
        session.schemas,
        &session.redactor,
        listener,
        interrupt,
    )
    .await
}

/// The report of `results`: assembled, compared with the baseline and
/// redacted (the second half of [`run_session`]).
pub fn report_of(session: &RunSession<'_>, results: RunResults) -> RunReport {
    let mut report =
        crate::report::assemble(session.suite, &session.plan.facts(), &session.info, results);
    if let Some((old, label)) = &session.baseline {
        report.comparison = Some(crate::compare::compare(old, &report, label, "this run"));
    }
    // Every string, the comparison's too, with every secret learned in the
    // run (one learned late is hidden early too).
    session.redactor.report(&mut report);
    report
}
