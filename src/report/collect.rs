//! Assembling a [`RunReport`] from case results: summary, verdict and its
//! headline, and the requirement traceability matrix.
//!
//! The verdict rules, in order:
//! 1. interrupted: `incomplete` (only the cases that finished count);
//! 2. the control request was refused for authentication: `not_assessed`
//!    (credentials refused), no case is blamed;
//! 3. no case got an HTTP response: `not_assessed` (target unreachable);
//! 4. a counted case (required, or any with `--strict`) failed:
//!    `not_conformant` (a case sent without a complete answer, its
//!    connection closed or timed out, is not assessed: never a failure);
//! 5. the session was lost, a counted case got no complete answer, was still
//!    refused by flow control, could not run after a failed sign-out, or was
//!    skipped and not accepted (`--accept-skip`), or no counted case passed:
//!    `not_assessed`;
//! 6. otherwise `conformant`, with its advisory findings named.

use super::inputs::{PlanFacts, RunInfo, RunResults};
use super::model::*;
use super::spill::CaseEvidence;
use crate::suite::Suite;

/// The report of a run, every case whole in memory (evidence spilled
/// during the run is read back).
pub fn assemble(
    suite: &Suite,
    facts: &PlanFacts,
    info: &RunInfo,
    results: RunResults,
) -> RunReport {
    let (mut report, evidence) = assemble_spilled(suite, facts, info, results);
    report.cases = evidence.restore(std::mem::take(&mut report.cases));
    report
}

/// The report of a run whose cases may be briefs (see
/// [`super::CaseResults`]), and where their evidence lies, in report order.
pub fn assemble_spilled(
    suite: &Suite,
    facts: &PlanFacts,
    info: &RunInfo,
    results: RunResults,
) -> (RunReport, CaseEvidence) {
    let RunResults {
        cases,
        interrupted,
        controls,
    } = results;
    let (cases, evidence) = cases.sorted_by_id();
    let rules = Rules::new(info, &cases);
    let summary = summarize_with(&cases, &rules, interrupted);
    let requirements = suite
        .requirements
        .iter()
        .map(|r| {
            let of: Vec<&CaseResult> = cases
                .iter()
                .filter(|c| c.requirements.contains(&r.id))
                .collect();
            RequirementResult {
                id: r.id.clone(),
                title: r.title.clone(),
                spec_ref: r.spec_ref.clone(),
                cases: of.iter().map(|c| c.id.clone()).collect(),
                verdict: requirement_verdict(&of, &rules, summary.verdict),
                advisory_findings: of
                    .iter()
                    .filter(|c| c.is_advisory_finding())
                    .map(|c| c.id.clone())
                    .collect(),
            }
        })
        .collect();
    let mut assessment = Assessment {
        headline: String::new(),
        cause: cause(&cases, &rules, interrupted),
        detail: None,
        strict: info.strict,
        advisory_findings: cases
            .iter()
            .filter(|c| c.is_advisory_finding())
            .map(|c| c.id.clone())
            .collect(),
        selected: cases.len(),
        suite_cases: suite.cases.len(),
        accepted_skips: info.accepted_skips.clone(),
        accepted_cases: cases
            .iter()
            .filter(|c| rules.is_accepted_skip(c))
            .map(|c| c.id.clone())
            .collect(),
        controls,
    };
    if summary.verdict != Verdict::NotAssessed {
        assessment.cause = None;
    }
    let mut report = RunReport {
        format_version: FORMAT_VERSION.to_owned(),
        tool: ToolInfo::this_build(),
        environment: environment(suite, facts, info),
        interrupted,
        summary,
        requirements,
        cases,
        comparison: None,
        session: None,
        other_session: None,
        flow_control: Vec::new(),
        assessment,
    };
    report.assessment.detail = detail(&report);
    report.assessment.headline = headline(&report);
    (report, evidence)
}

/// Counts and verdict over `cases` under the default rules (advisory cases
/// never change the verdict, no skip accepted, not interrupted).
pub fn summarize(cases: &[CaseResult]) -> Summary {
    let rules = Rules::new(&RunInfo::default(), cases);
    summarize_with(cases, &rules, false)
}

/// Which cases count for the verdict.
struct Rules {
    strict: bool,
    accepted: Option<globset::GlobSet>,
    /// No sent case got an HTTP response.
    unreachable: bool,
}

impl Rules {
    fn new(info: &RunInfo, cases: &[CaseResult]) -> Rules {
        let accepted = (!info.accepted_skips.is_empty()).then(|| {
            let mut set = globset::GlobSetBuilder::new();
            for pattern in &info.accepted_skips {
                // A bare family name stands for its cases.
                let pattern = if pattern.contains('/') {
                    pattern.clone()
                } else {
                    format!("{pattern}/*")
                };
                if let Ok(glob) = globset::Glob::new(&pattern) {
                    set.add(glob);
                }
            }
            set.build().unwrap_or_else(|_| globset::GlobSet::empty())
        });
        let sent: Vec<&CaseResult> = cases
            .iter()
            .filter(|c| c.status != Status::Skipped && c.cause != Some(Cause::Interrupted))
            .collect();
        // No answer at all, told by the typed causes (a case errored for
        // a transport reason got no HTTP response).
        let unreachable = !sent.is_empty()
            && sent.iter().all(|c| {
                matches!(
                    c.cause,
                    Some(
                        Cause::Unreachable
                            | Cause::NotRunUnreachable
                            | Cause::Timeout
                            | Cause::Transport
                    )
                )
            });
        Rules {
            strict: info.strict,
            accepted,
            unreachable,
        }
    }

    /// Whether `case` counts for the verdict: required, or any with `--strict`.
    fn counts(&self, case: &CaseResult) -> bool {
        self.strict || case.severity == Severity::Required
    }

    /// A skipped case the user accepted with `--accept-skip` (skips for a
    /// lost session or refused credentials are never accepted).
    fn is_accepted_skip(&self, case: &CaseResult) -> bool {
        case.status == Status::Skipped
            && case.cause.is_none_or(|c| c == Cause::NeedsInput)
            && self
                .accepted
                .as_ref()
                .is_some_and(|set| set.is_match(&case.id))
    }

    /// A case that tells nothing about the gateway: not finished, not sent,
    /// or sent without a complete answer (a connection closed, a timeout):
    /// never a failed requirement.
    fn is_unassessed(&self, case: &CaseResult) -> bool {
        case.status == Status::Skipped
            || matches!(
                case.cause,
                Some(Cause::Interrupted | Cause::NotRunUnreachable)
            )
            || (self.unreachable && case.status == Status::Errored)
            || self.is_unanswered(case)
    }

    /// A case sent that got no complete answer (its transport failed).
    fn is_unanswered(&self, case: &CaseResult) -> bool {
        case.status == Status::Errored
            && matches!(
                case.cause,
                Some(Cause::Unreachable | Cause::Timeout | Cause::Transport)
            )
    }

    fn is_counted_failure(&self, case: &CaseResult) -> bool {
        self.counts(case)
            && matches!(case.status, Status::Failed | Status::Errored)
            && !self.is_unassessed(case)
    }
}

fn summarize_with(cases: &[CaseResult], rules: &Rules, interrupted: bool) -> Summary {
    let count = |s: Status| cases.iter().filter(|c| c.status == s).count();
    let required_failed = cases.iter().filter(|c| rules.is_counted_failure(c)).count();
    let required_skipped = cases
        .iter()
        .filter(|c| rules.counts(c) && c.status == Status::Skipped && !rules.is_accepted_skip(c))
        .count();
    let required_unanswered = cases
        .iter()
        .filter(|c| rules.counts(c) && rules.is_unanswered(c))
        .count();
    let required_passed = cases
        .iter()
        .filter(|c| rules.counts(c) && c.status == Status::Passed)
        .count();
    let control_refused = cases
        .iter()
        .any(|c| c.cause == Some(Cause::CredentialsRefused));
    let verdict = if interrupted {
        Verdict::Incomplete
    } else if control_refused || rules.unreachable {
        Verdict::NotAssessed
    } else if required_failed > 0 {
        Verdict::NotConformant
    } else if required_skipped > 0 || required_unanswered > 0 || required_passed == 0 {
        Verdict::NotAssessed
    } else {
        Verdict::Conformant
    };
    Summary {
        total: cases.len(),
        passed: count(Status::Passed),
        failed: count(Status::Failed),
        errored: count(Status::Errored),
        skipped: count(Status::Skipped),
        required_failed,
        required_skipped,
        verdict,
    }
}

/// Why the run is not assessed (meaningful when the verdict is `not_assessed`).
fn cause(cases: &[CaseResult], rules: &Rules, interrupted: bool) -> Option<NotAssessedCause> {
    if interrupted {
        return None;
    }
    let any = |cause: Cause| cases.iter().any(|c| c.cause == Some(cause));
    Some(if any(Cause::CredentialsRefused) {
        NotAssessedCause::CredentialsRefused
    } else if rules.unreachable {
        NotAssessedCause::TargetUnreachable
    } else if any(Cause::SessionLost) {
        NotAssessedCause::SessionLost
    } else if cases
        .iter()
        .any(|c| rules.counts(c) && rules.is_unanswered(c))
    {
        NotAssessedCause::NoAnswer
    } else if cases
        .iter()
        .any(|c| rules.counts(c) && c.cause == Some(Cause::FlowControl))
    {
        NotAssessedCause::FlowControl
    } else if cases
        .iter()
        .any(|c| rules.counts(c) && c.cause == Some(Cause::SignOutFailed))
    {
        NotAssessedCause::SignOutFailed
    } else if cases
        .iter()
        .any(|c| rules.counts(c) && c.status == Status::Skipped && !rules.is_accepted_skip(c))
    {
        NotAssessedCause::RequiredSkipped
    } else {
        NotAssessedCause::NothingAssessed
    })
}

/// A requirement's verdict over its cases. Advisory failures do not make it
/// not conformant (unless strict); they are listed beside it.
fn requirement_verdict(cases: &[&CaseResult], rules: &Rules, run: Verdict) -> Verdict {
    if rules.unreachable
        || (run == Verdict::NotAssessed && cases.iter().all(|c| rules.is_unassessed(c)))
    {
        Verdict::NotAssessed
    } else if cases.iter().any(|c| rules.is_counted_failure(c)) {
        Verdict::NotConformant
    } else if cases.is_empty()
        || cases
            .iter()
            .any(|c| rules.is_unassessed(c) && !rules.is_accepted_skip(c))
    {
        Verdict::NotAssessed
    } else {
        Verdict::Conformant
    }
}

/// The verdict in one line, the same in every output.
pub fn headline(report: &RunReport) -> String {
    let s = &report.summary;
    let a = &report.assessment;
    let plural = |n: usize, one: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let mut line = match s.verdict {
        Verdict::Conformant => {
            let mut line = "Conformant".to_owned();
            if !a.advisory_findings.is_empty() {
                line.push_str(&format!(
                    ", {}",
                    plural(a.advisory_findings.len(), "advisory finding")
                ));
            }
            line
        }
        Verdict::NotConformant => format!(
            "Not conformant: {} failed",
            plural(
                s.required_failed,
                if a.strict { "case" } else { "required case" }
            )
        ),
        Verdict::Incomplete => {
            let finished = report
                .cases
                .iter()
                .filter(|c| c.cause != Some(Cause::Interrupted))
                .count();
            let mut line = format!(
                "Incomplete (interrupted): {finished} of {} cases finished",
                s.total
            );
            if s.required_failed > 0 {
                line.push_str(&format!(
                    ", {} failed among them",
                    plural(s.required_failed, "required case")
                ));
            }
            line
        }
        Verdict::NotAssessed => format!("Not assessed: {}", not_assessed_why(report)),
    };
    if a.strict {
        line.push_str(" (strict: advisory cases count as required)");
    }
    if a.suite_cases > 0 && a.selected < a.suite_cases {
        let by = report
            .environment
            .only
            .as_deref()
            .map(|p| format!(", selected by --only `{p}`"))
            .unwrap_or_default();
        line.push_str(&format!(
            "; partial: {} of {} cases{by}",
            a.selected, a.suite_cases
        ));
    }
    if !a.accepted_cases.is_empty() {
        line.push_str(&format!(
            "; accepted skips: {}",
            a.accepted_cases.join(", ")
        ));
    }
    line
}

fn not_assessed_why(report: &RunReport) -> String {
    let a = &report.assessment;
    let first_reason = |cause: Cause| {
        report
            .cases
            .iter()
            .find(|c| c.cause == Some(cause))
            .and_then(|c| c.reason.clone())
            .unwrap_or_default()
    };
    match a.cause {
        Some(NotAssessedCause::CredentialsRefused) => {
            let observed = a
                .controls
                .iter()
                .find(|c| c.outcome == ControlOutcome::CredentialsRefused)
                .map(|c| format!(" (the control request got {})", c.observed))
                .unwrap_or_default();
            format!(
                "the gateway did not accept the Guid of agent {}{observed}; no case was sent. \
                 Check that the Guid has not expired, that it is given without the `JSESSIONID=` prefix, \
                 and that --agent-id is the agent it belongs to",
                report.environment.agent_id
            )
        }
        Some(NotAssessedCause::TargetUnreachable) => {
            let why = unreachable_cause(report);
            format!(
                "the target could not be reached: no case got an HTTP response ({})",
                short_cause(&why)
            )
        }
        Some(NotAssessedCause::SessionLost) => {
            let n = report
                .cases
                .iter()
                .filter(|c| c.cause == Some(Cause::SessionLost))
                .count();
            format!(
                "session lost: {} not assessed; {}",
                count(n, "case"),
                first_reason(Cause::SessionLost)
            )
        }
        Some(NotAssessedCause::NoAnswer) => {
            let unanswered: Vec<&CaseResult> = report
                .cases
                .iter()
                .filter(|c| {
                    c.status == Status::Errored
                        && matches!(
                            c.cause,
                            Some(Cause::Unreachable | Cause::Timeout | Cause::Transport)
                        )
                })
                .collect();
            format!(
                "{} got no complete answer (a connection closed or a timeout; first: {}): \
                 they say nothing of the gateway's conformance; run them again, with a lower --concurrency or a longer --timeout",
                count(unanswered.len(), "case"),
                unanswered
                    .first()
                    .map(|c| format!("{}, {}", c.id, c.reason.as_deref().unwrap_or_default()))
                    .unwrap_or_default()
            )
        }
        Some(NotAssessedCause::FlowControl) => {
            let refused: Vec<&str> = report
                .cases
                .iter()
                .filter(|c| c.cause == Some(Cause::FlowControl))
                .map(|c| c.id.as_str())
                .collect();
            format!(
                "{} still refused by the gateway's flow control (000-007) when the flow budget was spent ({}); \
                 run again with a longer --flow-budget or a lower --rate",
                count(refused.len(), "case was"),
                shown(&refused)
            )
        }
        Some(NotAssessedCause::SignOutFailed) => format!(
            "the agent's sign-out failed, so what follows it was not checked; {}",
            first_reason(Cause::SignOutFailed)
        ),
        Some(NotAssessedCause::RequiredSkipped) => {
            let skipped: Vec<&str> = unaccepted_skips(report)
                .iter()
                .map(|c| c.id.as_str())
                .collect();
            format!(
                "{} skipped for lack of input ({})",
                if skipped.len() == 1 {
                    "1 required case".to_owned()
                } else {
                    format!("{} required cases", skipped.len())
                },
                shown(&skipped)
            )
        }
        Some(NotAssessedCause::NothingAssessed) | None => "no required case ran".to_owned(),
    }
}

/// The first failure to reach the target, as it happened (not a "not run"
/// copy of it), in full.
fn unreachable_cause(report: &RunReport) -> String {
    let a = &report.assessment;
    report
        .cases
        .iter()
        .filter(|c| {
            matches!(
                c.cause,
                Some(Cause::Unreachable | Cause::Timeout | Cause::Transport)
            )
        })
        .find_map(|c| c.reason.as_deref())
        .or_else(|| {
            a.controls
                .iter()
                .find(|c| c.outcome == ControlOutcome::NoAnswer)
                .map(|c| c.observed.as_str())
        })
        .or_else(|| {
            // Known down before any case was sent (the sign-in got no answer).
            report
                .cases
                .iter()
                .filter(|c| c.cause == Some(Cause::NotRunUnreachable))
                .find_map(|c| c.reason.as_deref())
                .map(|r| r.strip_prefix("not run: ").unwrap_or(r))
        })
        .unwrap_or_default()
        .to_owned()
}

/// Most characters of a cause in a headline.
const SHORT_CAUSE_CHARS: usize = 100;

/// The root of an error chain (`outer: inner: root` gives `root`), cut to
/// [`SHORT_CAUSE_CHARS`]: what a headline can hold.
fn short_cause(chain: &str) -> String {
    let root = chain.rsplit(": ").next().unwrap_or(chain).trim();
    if root.chars().count() > SHORT_CAUSE_CHARS {
        format!(
            "{}...",
            root.chars().take(SHORT_CAUSE_CHARS).collect::<String>()
        )
    } else {
        root.to_owned()
    }
}

/// The counted cases skipped and not accepted, in report order (the cases
/// of a run whose verdict is "required cases skipped").
fn unaccepted_skips(report: &RunReport) -> Vec<&CaseResult> {
    let a = &report.assessment;
    report
        .cases
        .iter()
        .filter(|c| {
            (a.strict || c.severity == Severity::Required)
                && c.status == Status::Skipped
                && !a.accepted_cases.contains(&c.id)
        })
        .collect()
}

/// What the headline says short: the whole error chain of a target that
/// could not be reached; for required cases skipped for lack of input, what
/// each one needs and the `--accept-skip` that would accept them all.
fn detail(report: &RunReport) -> Option<String> {
    if report.summary.verdict != Verdict::NotAssessed {
        return None;
    }
    match report.assessment.cause {
        Some(NotAssessedCause::TargetUnreachable) => Some(unreachable_cause(report))
            .filter(|why| !why.is_empty() && short_cause(why) != *why),
        Some(NotAssessedCause::RequiredSkipped) => {
            let skipped = unaccepted_skips(report);
            if skipped.is_empty() {
                return None;
            }
            let needs: Vec<String> = skipped
                .iter()
                .map(|c| format!("{}: {}", c.id, c.reason.as_deref().unwrap_or("skipped")))
                .collect();
            let ids: Vec<&str> = skipped.iter().map(|c| c.id.as_str()).collect();
            Some(format!(
                "{}. Give those inputs, or accept these skips: --accept-skip {}",
                needs.join("; "),
                ids.join(",")
            ))
        }
        _ => None,
    }
}

/// `n` and `what` (`case` or `case was`), plural when `n` is not 1.
fn count(n: usize, what: &str) -> String {
    match (n, what.split_once(' ')) {
        (1, _) => format!("1 {what}"),
        (_, Some((noun, "was"))) => format!("{n} {noun}s were"),
        _ => format!("{n} {what}s"),
    }
}

/// The first three ids, and how many more.
fn shown(ids: &[&str]) -> String {
    let mut shown = ids.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > 3 {
        shown.push_str(&format!(" and {} more", ids.len() - 3));
    }
    shown
}

/// The target as shown in reports: no credentials, no query.
pub fn display_target(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string().trim_end_matches('/').to_owned()
}

fn environment(suite: &Suite, facts: &PlanFacts, info: &RunInfo) -> Environment {
    Environment {
        label: None,
        sign_off: None,
        target: facts.target.clone(),
        embedded_gateway: info.embedded_gateway,
        gateway_faults: info.gateway_faults.clone(),
        profile: facts.profile.clone(),
        profile_title: facts.profile_title.clone(),
        agent_id: facts.agent_id.clone(),
        tls: facts.tls,
        fresh_connections: facts.fresh_connections,
        has_callid: facts.has_callid,
        wall_time_us: info
            .started
            .map(|s| u64::try_from(s.elapsed().as_micros()).unwrap_or(u64::MAX)),
        started_at: info.started_at.clone(),
        suite: format!("{} ({})", suite.name, suite.source),
        only: info.only.clone(),
        expectations: facts.expectations.clone(),
        assumptions: facts.assumptions.clone(),
        inputs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status, cause: Option<Cause>) -> CaseResult {
        CaseResult {
            id: id.to_owned(),
            title: id.to_owned(),
            family: "x".to_owned(),
            severity: Severity::Required,
            requirements: Vec::new(),
            status,
            reason: cause.map(|c| format!("{c:?}")),
            expected: String::new(),
            findings: Vec::new(),
            notes: Vec::new(),
            request: None,
            response: None,
            attempts: Vec::new(),
            duration_ms: 0,
            duration_us: 0,
            cause,
        }
    }

    /// Each way a run can lack a verdict has its own cause, and a case sent
    /// without a complete answer is never a failed requirement.
    #[test]
    fn every_cause_of_no_verdict_is_its_own() {
        let passed = || result("a/passed", Status::Passed, None);
        for (case, want) in [
            (
                result("a/dropped", Status::Errored, Some(Cause::Transport)),
                NotAssessedCause::NoAnswer,
            ),
            (
                result("a/slow", Status::Errored, Some(Cause::Timeout)),
                NotAssessedCause::NoAnswer,
            ),
            (
                result("a/limited", Status::Skipped, Some(Cause::FlowControl)),
                NotAssessedCause::FlowControl,
            ),
            (
                result("a/signed-out", Status::Skipped, Some(Cause::SignOutFailed)),
                NotAssessedCause::SignOutFailed,
            ),
            (
                result("a/no-callid", Status::Skipped, Some(Cause::NeedsInput)),
                NotAssessedCause::RequiredSkipped,
            ),
        ] {
            let cases = vec![passed(), case];
            let summary = summarize(&cases);
            assert_eq!(summary.verdict, Verdict::NotAssessed, "{want:?}");
            assert_eq!(summary.required_failed, 0, "{want:?}");
            let rules = Rules::new(&RunInfo::default(), &cases);
            assert_eq!(cause(&cases, &rules, false), Some(want));
        }
        // A failure among them still makes the run not conformant.
        let cases = vec![
            passed(),
            result("a/dropped", Status::Errored, Some(Cause::Transport)),
            result("a/failed", Status::Failed, None),
        ];
        assert_eq!(summarize(&cases).verdict, Verdict::NotConformant);
        assert_eq!(summarize(&cases).required_failed, 1);
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(count(1, "case"), "1 case");
        assert_eq!(count(3, "case"), "3 cases");
        assert_eq!(count(1, "case was"), "1 case was");
        assert_eq!(count(2, "case was"), "2 cases were");
    }
}
