//! A whole run with an agent session: the cases (control requests
//! included) carry the session's current Guid, then the session checks run,
//! the agent signs out (also after an interrupt), and the checks join the
//! cases before the report is assembled, so the verdict counts them.

use super::agent::Session;
use crate::pipeline::{RunSession, SpilledReport, run_cases_into, spilled_report_of};
use crate::report::{CaseResults, RunReport, SessionReport};
use crate::runner::{EventListener, RunError};
use std::future::Future;

/// Runs `run` with `agent` (if any) and signs it out; gives the report and
/// the session's own report (also when the run failed to start).
pub async fn run_with_agent(
    run: &RunSession<'_>,
    agent: Option<Session>,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()> + Clone,
) -> (Result<RunReport, RunError>, Option<SessionReport>) {
    let (report, session) =
        run_with_agent_into(run, agent, listener, interrupt, CaseResults::in_memory()).await;
    (report.map(|r| r.into_report(&run.redactor)), session)
}

/// [`run_with_agent`], each case result added to `store` as it finishes
/// (its evidence spilled with [`CaseResults::spilled`]).
pub async fn run_with_agent_into(
    run: &RunSession<'_>,
    agent: Option<Session>,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()> + Clone,
    store: CaseResults,
) -> (Result<SpilledReport, RunError>, Option<SessionReport>) {
    let results = run_cases_into(run, listener, interrupt.clone(), store).await;
    let Some(agent) = agent else {
        return (results.map(|r| spilled_report_of(run, r)), None);
    };
    let with_checks = results.as_ref().is_ok_and(|r| !r.interrupted);
    if let Some(wait) = agent.checks_wait().filter(|_| with_checks) {
        listener.on_event(&crate::runner::RunEvent::SessionChecksWaiting { wait });
    }
    // A signal while the checks wait stops them; the agent signs out all the same.
    let (session, checks, interrupted) = agent.finish(with_checks, interrupt).await;
    let report = results.map(|mut results| {
        if with_checks {
            results.cases.extend(checks);
        }
        results.interrupted |= interrupted;
        let mut spilled = spilled_report_of(run, results);
        spilled.report.session = Some(session.clone());
        spilled
    });
    (report, Some(session))
}
