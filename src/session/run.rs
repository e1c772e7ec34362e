//! A whole run with an agent session: the cases (control requests
//! included) carry the session's current Guid, then the session checks run,
//! the agent signs out (also after an interrupt), and the checks join the
//! cases before the report is assembled, so the verdict counts them.

use super::agent::Session;
use crate::pipeline::{RunSession, report_of, run_cases};
use crate::report::{RunReport, SessionReport};
use crate::runner::{EventListener, RunError};
use std::future::Future;

/// Runs `run` with `agent` (if any) and signs it out; gives the report and
/// the session's own report (also when the run failed to start).
pub async fn run_with_agent(
    run: &RunSession<'_>,
    agent: Option<Session>,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()>,
) -> (Result<RunReport, RunError>, Option<SessionReport>) {
    let results = run_cases(run, listener, interrupt).await;
    let Some(agent) = agent else {
        return (results.map(|r| report_of(run, r)), None);
    };
    let with_checks = results.as_ref().is_ok_and(|r| !r.interrupted);
    let (session, checks) = agent.finish(with_checks).await;
    let report = results.map(|mut results| {
        if with_checks {
            results.cases.extend(checks);
        }
        let mut report = report_of(run, results);
        report.session = Some(session.clone());
        report
    });
    (report, Some(session))
}
