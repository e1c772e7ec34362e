//! A whole run as one library call, in one direction: plan -> runner (plain
//! case results and events) -> assemble (the report) -> comparison with a
//! baseline. The CLI loads, selects and builds the plan, then runs it with
//! the cases' evidence spilled to disk once it passes a budget
//! ([`run_cases_into`], [`spilled_report_of`]) and streams the reports from
//! there; tests and
//! other tools call [`run_session`] and get every case in memory. Both give
//! the same report files.

use crate::redact::Redactor;
use crate::report::{CaseEvidence, CaseResults, RunResults};
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

/// A run's report whose cases may be briefs, their evidence in a spill
/// file (see [`CaseResults`]); render it through
/// [`SpilledReport::view`], or [`SpilledReport::into_report`] for every
/// case in memory.
#[derive(Debug)]
pub struct SpilledReport {
    /// The report; its cases without their evidence where it was spilled.
    pub report: RunReport,
    /// Where each case's evidence lies, in report order.
    pub evidence: CaseEvidence,
}

impl SpilledReport {
    /// The report to render, each case read back whole and redacted with
    /// every secret `redactor` knows.
    pub fn view<'a>(&'a self, redactor: &'a Redactor) -> crate::render::ReportView<'a> {
        crate::render::ReportView::spilled(&self.report, &self.evidence, redactor)
    }

    /// The report with every case whole in memory, those read back redacted
    /// with every secret `redactor` knows.
    pub fn into_report(self, redactor: &Redactor) -> RunReport {
        let SpilledReport {
            mut report,
            evidence,
        } = self;
        if evidence.is_spilled() {
            report.cases = evidence.restore(report.cases);
            for case in &mut report.cases {
                redactor.case_result(case);
            }
        }
        report
    }
}

/// Runs the session's cases, assembles the report and compares it with the
/// baseline, if any; every case in memory.
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
    run_cases_into(session, listener, interrupt, CaseResults::in_memory()).await
}

/// [`run_cases`], each result added to `store` as it finishes (e.g.
/// [`CaseResults::spilled`]; with a baseline, the briefs keep what the
/// comparison reads).
pub async fn run_cases_into(
    session: &RunSession<'_>,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()>,
    mut store: CaseResults,
) -> Result<RunResults, RunError> {
    if session.baseline.is_some() {
        store = store.for_comparison();
    }
    crate::runner::run(
        &session.cases,
        &session.plan,
        session.schemas,
        &session.redactor,
        listener,
        interrupt,
        store,
    )
    .await
}

/// The report of `results`: assembled, compared with the baseline and
/// redacted (the second half of [`run_session`]); every case in memory.
pub fn report_of(session: &RunSession<'_>, results: RunResults) -> RunReport {
    spilled_report_of(session, results).into_report(&session.redactor)
}

/// [`report_of`] keeping the evidence where the run spilled it: the
/// briefs and the comparison are redacted with every secret learned in the
/// run (one learned late is hidden early too); each case read back through
/// [`SpilledReport::view`] is redacted again.
pub fn spilled_report_of(session: &RunSession<'_>, results: RunResults) -> SpilledReport {
    let (mut report, evidence) = crate::report::assemble_spilled(
        session.suite,
        &session.plan.facts(),
        &session.info,
        results,
    );
    if let Some((old, label)) = &session.baseline {
        report.comparison = Some(crate::compare::compare(old, &report, label, "this run"));
    }
    report.flow_control = session
        .plan
        .flow
        .pacing
        .learned()
        .into_iter()
        .map(|learned| crate::report::AgentFlow {
            agent_id: learned.agent_id,
            sent: learned.sent,
            refusals: learned.refusals,
            refused_above_per_s: learned.refused_above.map(hundredths),
            paced_at_per_s: learned.paced_at.map(hundredths),
            waited_requests: learned.waited_requests,
            waited_ms: u64::try_from(learned.waited.as_millis()).unwrap_or(u64::MAX),
        })
        .collect();
    let past_cap = session.redactor.learned_past_cap();
    if past_cap > 0 {
        report.environment.assumptions.push(format!(
            "The gateway sent {past_cap} more values under secret-named keys and headers than the {} a run learns as secrets: \
             each was hidden where it stood (under its key or header), not looked for elsewhere in the evidence.",
            crate::redact::LEARNED_CAP
        ));
    }
    // Every string, the comparison's too, with every secret learned in the
    // run (one learned late is hidden early too).
    session.redactor.report(&mut report);
    SpilledReport { report, evidence }
}

/// A rate rounded to hundredths, as reports give it.
fn hundredths(rate: f64) -> f64 {
    (rate * 100.0).round() / 100.0
}
