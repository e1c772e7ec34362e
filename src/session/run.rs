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
    let agents = Agents { agent, other: None };
    let (report, sessions) =
        run_with_agent_into(run, agents, listener, interrupt, CaseResults::in_memory()).await;
    (report.map(|r| r.into_report(&run.redactor)), sessions.agent)
}

/// The agents a run drives: the agent of the run, and the other agent
/// when the run signed it in too (`--other-sign-in`).
#[derive(Default)]
pub struct Agents {
    pub agent: Option<Session>,
    pub other: Option<Session>,
}

/// What the agents' sessions did, for the report and the console.
#[derive(Debug, Default)]
pub struct SessionReports {
    pub agent: Option<SessionReport>,
    pub other: Option<SessionReport>,
}

/// [`run_with_agent`], each case result added to `store` as it finishes
/// (its evidence spilled with [`CaseResults::spilled`]), with both agents:
/// the other agent is signed out after the first one (also after an
/// interrupt or a failure); its session runs no checks of its own.
pub async fn run_with_agent_into(
    run: &RunSession<'_>,
    agents: Agents,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()> + Clone,
    store: CaseResults,
) -> (Result<SpilledReport, RunError>, SessionReports) {
    let Agents { agent, other } = agents;
    let results = run_cases_into(run, listener, interrupt.clone(), store).await;
    let with_checks = results.as_ref().is_ok_and(|r| !r.interrupted);
    let mut checks = Vec::new();
    let mut interrupted = false;
    let mut reports = SessionReports::default();
    if let Some(agent) = agent {
        if let Some(wait) = agent.checks_wait().filter(|_| with_checks) {
            listener.on_event(&crate::runner::RunEvent::SessionChecksWaiting { wait });
        }
        // A signal while the checks wait stops them; the agent signs out all the same.
        let (session, agent_checks, stopped) = agent.finish(with_checks, interrupt).await;
        checks = agent_checks;
        interrupted = stopped;
        reports.agent = Some(session);
    }
    if let Some(other) = other {
        // Signed out only: no checks, nothing to wait for.
        let (session, _, _) = other.finish(false, std::future::pending()).await;
        reports.other = Some(session);
    }
    let report = results.map(|mut results| {
        if with_checks && reports.agent.is_some() {
            results.cases.extend(checks);
        }
        results.interrupted |= interrupted;
        let mut spilled = spilled_report_of(run, results);
        if let Some(session) = &reports.agent {
            spilled
                .report
                .environment
                .assumptions
                .extend(session.assumptions.iter().cloned());
        }
        spilled.report.session.clone_from(&reports.agent);
        spilled.report.other_session.clone_from(&reports.other);
        spilled
    });
    (report, reports)
}
