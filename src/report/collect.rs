//! Assembling a [`RunReport`] from case results: summary, verdicts and the
//! requirement traceability matrix.

use super::model::*;
use crate::runner::RunPlan;
use crate::suite::Suite;

/// The report of a run.
pub fn assemble(
    suite: &Suite,
    plan: &RunPlan,
    mut cases: Vec<CaseResult>,
    interrupted: bool,
) -> RunReport {
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let summary = summarize(&cases);
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
                verdict: requirement_verdict(&of),
            }
        })
        .collect();
    RunReport {
        format_version: FORMAT_VERSION.to_owned(),
        tool: ToolInfo {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        environment: environment(suite, plan),
        interrupted,
        summary,
        requirements,
        cases,
        comparison: None,
        session: None,
    }
}

/// Counts and verdict over `cases`. Advisory cases never change the verdict.
pub fn summarize(cases: &[CaseResult]) -> Summary {
    let count = |s: Status| cases.iter().filter(|c| c.status == s).count();
    let required = |f: &dyn Fn(Status) -> bool| {
        cases
            .iter()
            .filter(|c| c.severity == Severity::Required && f(c.status))
            .count()
    };
    let required_failed = required(&|s| matches!(s, Status::Failed | Status::Errored));
    let required_skipped = required(&|s| s == Status::Skipped);
    let required_passed = required(&|s| s == Status::Passed);
    let verdict = if required_failed > 0 {
        Verdict::NotConformant
    } else if required_skipped > 0 || required_passed == 0 {
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

/// A requirement's verdict over all its cases, advisory ones included (the
/// matrix shows every deviation; only the run's verdict ignores advisories).
fn requirement_verdict(cases: &[&CaseResult]) -> Verdict {
    if cases
        .iter()
        .any(|c| matches!(c.status, Status::Failed | Status::Errored))
    {
        Verdict::NotConformant
    } else if cases.is_empty() || cases.iter().any(|c| c.status == Status::Skipped) {
        Verdict::NotAssessed
    } else {
        Verdict::Conformant
    }
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

fn environment(suite: &Suite, plan: &RunPlan) -> Environment {
    use crate::runner::TlsSetup;
    let tls = match (&plan.target.tls, plan.target.base_url.scheme()) {
        (_, "http") => TlsMode::PlainHttp,
        (TlsSetup::System, _) => TlsMode::Verified,
        (TlsSetup::CaPem(_), _) => TlsMode::CustomCa,
        (TlsSetup::Insecure, _) => TlsMode::Insecure,
    };
    Environment {
        label: None,
        target: display_target(&plan.target.base_url),
        embedded_gateway: plan.embedded_gateway,
        gateway_faults: plan.gateway_faults.clone(),
        profile: plan.profile.name.clone(),
        profile_title: plan.profile.title.clone(),
        agent_id: plan.credentials.agent_id.clone(),
        tls,
        fresh_connections: plan.connections == crate::runner::ConnectionPolicy::Fresh,
        has_callid: plan.credentials.callid.is_some(),
        started_at: plan.started_at.clone(),
        suite: format!("{} ({})", suite.name, suite.source),
        only: plan.only.clone(),
        expectations: plan.expectations.records(),
        assumptions: assumptions(plan),
    }
}

/// What the run assumed where the documentation is silent, in words.
fn assumptions(plan: &RunPlan) -> Vec<String> {
    let p = &plan.profile;
    let mut out = vec![
        format!("agentid range {}..={} from profile {} ({})", p.agent_id_min, p.agent_id_max, p.name, p.agent_id_reference),
        "an agentid is valid only as canonical ASCII decimal digits (no sign, no leading zero, no decimal part); Table 1 types it as a String".to_owned(),
        "ctime is a millisecond timestamp string (the API's general rule, cec_07_0584); its format is unpublished".to_owned(),
        "role, locationId, channelId, appId and signature are checked as non-empty strings only; their values are unpublished".to_owned(),
        "duplicate JSON keys are reported as a failure (RFC 8259: names SHOULD be unique; parsers keep one value silently)".to_owned(),
        "a value that breaks the stated format (e.g. a signaling domain without a port) is a failure, even where the page's own example shows one".to_owned(),
        "the Guid header is sent as `Guid` (title case) and, in the header-case case, as `guid`; other spellings cannot be sent".to_owned(),
        format!("`${{other_agent}}` is agent {}, assumed not to be signed in with this Guid", crate::runner::other_agent_id(plan)),
    ];
    if plan.credentials.callid.is_none() {
        out.push(format!(
            "no live callid was given: requests carry the documentation's example callid {} and cases that expect connection info are skipped",
            crate::runner::EXAMPLE_CALLID
        ));
    }
    if matches!(plan.target.tls, crate::runner::TlsSetup::Insecure) {
        out.push("--insecure: the target's TLS certificate was NOT verified".to_owned());
    }
    out
}
