//! The suite's mutation test: for every fault of the reference gateway
//! (`Fault::all()`, no hand list), the cases that name the fault fail against
//! it, each with a finding of the check that is meant to catch that fault (a
//! timeout is not a catch, except for `slow`, the fault about time); against
//! the reference itself every case passes. A fault no case catches, or a
//! check no fault exercises, fails here.
//!
//! The matrix (one run per fault) is computed once, by the library call the
//! `faults` command makes (`run_fault_matrix`: several runs at a time), and
//! shared by the tests. Its runs use a generous timeout, so a loaded machine
//! cannot turn an answer into a timeout; only the `slow` run has a short one,
//! against a delay far longer (see `SelfTestOptions::for_faults`).

use crate::support;

use ccgw_conformance::checks::CheckId;
use ccgw_conformance::gateway::Fault;
use ccgw_conformance::report::{Cause, RunReport, Severity, Status, Verdict};
use ccgw_conformance::selftest::{
    FaultRuns, SelfTestOptions, cases_by_fault, fault_row, run_fault_matrix,
};
use std::collections::{BTreeMap, BTreeSet};

/// The runs of the whole matrix, in `Fault::all()` order, computed once.
fn matrix_runs() -> &'static FaultRuns {
    static RUNS: std::sync::OnceLock<FaultRuns> = std::sync::OnceLock::new();
    RUNS.get_or_init(|| {
        let (schemas, suite) = support::suite();
        let profile = suite.profile("cec-23").expect("profile exists");
        support::runtime()
            .block_on(run_fault_matrix(
                suite,
                schemas,
                profile,
                Fault::all(),
                &SelfTestOptions::default(),
                &mut |_| {},
            ))
            .expect("every fault run starts")
    })
}

/// One report per fault.
fn matrix_reports() -> BTreeMap<Fault, &'static RunReport> {
    matrix_runs()
        .runs
        .iter()
        .map(|run| (run.fault, &run.report))
        .collect()
}

/// The checks meant to catch each fault: a case that names the fault must
/// fail with a finding of one of them. An exhaustive match, so a new fault
/// does not compile until it says which check catches it.
fn catching_checks(fault: Fault) -> &'static [CheckId] {
    use CheckId as C;
    match fault {
        Fault::MethodAny => &[C::OutcomeRefused],
        Fault::AgentidFromGuid => &[C::OutcomeRefused, C::ResultUserId, C::RetcodeExpected],
        Fault::BoundUpperOff => &[C::OutcomeRefused, C::RetcodeExpected],
        Fault::BoundLowerOff => &[C::OutcomeRefused, C::RetcodeExpected],
        Fault::AgentidLenientParse => &[C::OutcomeRefused, C::RetcodeExpected],
        Fault::GuidOptional => &[C::OutcomeRefused],
        Fault::GuidAnyAgent => &[C::OutcomeRefused, C::RetcodeExpected],
        Fault::GuidAnyValue => &[C::OutcomeRefused],
        Fault::GuidHeaderCaseSensitive => &[C::OutcomeServed],
        Fault::ContentTypeIgnored => &[C::OutcomeRefused],
        Fault::CharsetRequired => &[C::OutcomeServed],
        Fault::BodyMissingServed => &[C::OutcomeRefused],
        Fault::WrongTypesCoerced => &[C::OutcomeRefused, C::RetcodeExpected],
        Fault::CallidIgnored => &[C::OutcomeRefused],
        Fault::ExtraFieldRefused => &[C::OutcomeServed],
        Fault::ResultFieldMissing => &[C::ResultSchema],
        Fault::ResultFieldType => &[C::ResultSchema],
        Fault::ResultBadDomain => &[C::ResultSchema],
        Fault::ResultBadIp => &[C::ResultSchema],
        Fault::CtimeSeconds => &[C::ResultCtime],
        Fault::IpUnspecified => &[C::ResultAddress],
        Fault::CredentialInError => &[C::NoForeignCredentials],
        Fault::AllowLies => &[C::HeadersAllow],
        Fault::UserIdMismatch => &[C::ResultUserId],
        Fault::DuplicateKeys => &[C::UniqueKeys],
        Fault::RetcodeNumber => &[C::EnvelopeSchema],
        Fault::MessageMissing => &[C::EnvelopeSchema],
        Fault::UndocumentedRetcode => &[C::RetcodeDocumented, C::RetcodeExpected],
        Fault::Refusal5xx => &[C::HttpStatus],
        Fault::HtmlErrorPage => &[C::BodyJson],
        Fault::InfoInError => &[C::NoConnectionInfo],
        Fault::StackTraceInError => &[C::NoInternals],
        Fault::Redirect => &[C::Redirect],
        // The fault about time: its catch is the timeout (checked apart).
        Fault::Slow => &[],
        Fault::HugeBody => &[C::BodySize],
        Fault::NotJson => &[C::BodyJson],
        // Session faults: caught by the session checks of a session-aware run.
        Fault::GuidNotRotated => &[C::SessionGuidRotated],
        Fault::SignedOutServed | Fault::SignOutIgnored => &[C::SessionSignedOut],
        Fault::GuidNoExpiry => &[C::SessionGuidExpired],
    }
}

/// What is wrong with the catch of `fault` in `report`, if anything.
fn catch_problems(fault: Fault, report: &RunReport) -> Vec<String> {
    let (_, suite) = support::suite();
    let row = fault_row(suite, fault, report);
    let mut problems = Vec::new();
    if row.expected.is_empty() {
        problems.push("no case names it in `catches`".to_owned());
    }
    let wanted: Vec<&str> = catching_checks(fault).iter().map(|c| c.as_str()).collect();
    for id in &row.expected {
        let Some(case) = report.cases.iter().find(|c| &c.id == id) else {
            problems.push(format!("{id}: not in the report"));
            continue;
        };
        let checks: Vec<&str> = case.findings.iter().map(|f| f.check.as_str()).collect();
        let caught = if fault == Fault::Slow {
            case.status == Status::Errored && case.cause == Some(Cause::Timeout)
        } else {
            case.status == Status::Failed && checks.iter().any(|c| wanted.contains(c))
        };
        if !caught {
            problems.push(format!(
                "{id}: {} with checks {checks:?} (cause {:?}: {:?}), expected a finding of {wanted:?}",
                case.status.as_str(),
                case.cause,
                case.reason
            ));
        }
    }
    let advisory_only = row.expected.iter().all(|id| {
        suite
            .cases
            .iter()
            .any(|c| &c.id == id && c.severity == Severity::Advisory)
    });
    if advisory_only {
        // Only implied by the documentation: reported, never the verdict.
        if report.summary.verdict != Verdict::Conformant {
            problems.push(format!(
                "caught only by advisory cases, yet the verdict is {:?}",
                report.summary.verdict
            ));
        }
    } else if fault == Fault::Slow {
        // Every answer times out: nothing was assessed, the target counts as
        // unreachable (exit 3), never as conformant.
        if report.summary.verdict != Verdict::NotAssessed {
            problems.push(format!(
                "every case timed out, yet the verdict is {:?}",
                report.summary.verdict
            ));
        }
    } else if report.summary.verdict != Verdict::NotConformant {
        problems.push(format!(
            "the run must be not conformant, is {:?}",
            report.summary.verdict
        ));
    }
    problems
}

/// Every fault of the gateway's own list is caught by the cases that name
/// it, each by the check meant for it.
#[test]
fn every_fault_is_caught_by_its_check() {
    let mut failures = Vec::new();
    for (fault, report) in matrix_reports() {
        for problem in catch_problems(fault, report) {
            failures.push(format!("{}: {problem}", fault.name()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A timeout is not a catch: only the `slow` run may have timeouts.
#[test]
fn only_the_slow_fault_times_out() {
    let timed_out: Vec<String> = matrix_reports()
        .into_iter()
        .filter(|(fault, _)| *fault != Fault::Slow)
        .flat_map(|(fault, report)| {
            report
                .cases
                .iter()
                .filter(|c| c.status == Status::Errored)
                .map(move |c| format!("{}: {} ({:?})", fault.name(), c.id, c.reason))
        })
        .collect();
    assert!(timed_out.is_empty(), "{timed_out:#?}");
}

/// The check shown to catch a fault is not a check that fires anyway: the
/// reference gateway without faults passes every case.
#[test]
fn the_reference_gateway_passes_every_case() {
    let report = support::run_reference("cec-23", &[], None);
    let failed: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.status != Status::Passed)
        .map(|c| (&c.id, &c.reason))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(report.summary.verdict, Verdict::Conformant);
}

/// `catch_problems` can fail: the reference gateway's report, labelled as a
/// run against a fault, is no catch.
#[test]
fn a_run_without_the_fault_is_no_catch() {
    let report = support::run_reference("cec-23", &[], None);
    for fault in [Fault::GuidOptional, Fault::Slow, Fault::ContentTypeIgnored] {
        assert!(
            !catch_problems(fault, &report).is_empty(),
            "{} counted as caught without the fault",
            fault.name()
        );
    }
    // Another fault's findings are no catch either: duplicate keys are not a
    // missing field.
    let other = matrix_reports()[&Fault::DuplicateKeys];
    assert!(!catch_problems(Fault::ResultFieldMissing, other).is_empty());
}

#[test]
fn every_fault_is_named_by_a_case() {
    let (_, suite) = support::suite();
    let unnamed: Vec<String> = cases_by_fault(suite)
        .into_iter()
        .filter(|(_, cases)| cases.is_empty())
        .map(|(f, _)| f)
        .collect();
    assert!(
        unnamed.is_empty(),
        "faults no case names in `catches`: {unnamed:?}"
    );
}

/// Every check of the suite produces a finding against at least one fault,
/// so no check is untested; and the matrix has no problem.
#[test]
fn every_check_is_exercised_by_a_fault() {
    let (_, suite) = support::suite();
    let matrix = matrix_runs().matrix(suite);
    assert!(matrix.problems().is_empty(), "{:?}", matrix.problems());
    let unexercised = matrix.unexercised_checks();
    assert!(
        unexercised.is_empty(),
        "checks no fault exercises: {unexercised:?}"
    );
    let meant: BTreeSet<&str> = Fault::all()
        .iter()
        .flat_map(|f| catching_checks(*f).iter().map(|c| c.as_str()))
        .collect();
    let all: BTreeSet<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(meant, all, "every check is the catching check of a fault");
}

/// The runs go several at a time and finish in another order (the session
/// runs, the last four, finish last; `slow` after the plain runs that follow
/// it), yet the matrix has one row per fault in the order asked.
#[test]
fn the_matrix_keeps_the_order_of_the_faults() {
    let order: Vec<Fault> = matrix_runs().runs.iter().map(|run| run.fault).collect();
    assert_eq!(order, Fault::all());
}

/// Running side by side changes no row: a sample of faults of every kind
/// (plain, body, redirect, session), each run alone, one after the other,
/// gives the rows of the shared matrix.
#[test]
fn runs_side_by_side_give_the_rows_of_runs_one_after_another() {
    let (_, suite) = support::suite();
    let matrix = matrix_runs().matrix(suite);
    let sample = [
        Fault::MethodAny,
        Fault::GuidAnyAgent,
        Fault::ResultFieldMissing,
        Fault::DuplicateKeys,
        Fault::Redirect,
        Fault::StackTraceInError,
        Fault::HugeBody,
        Fault::GuidNoExpiry,
    ];
    for fault in sample {
        let alone = fault_row(
            suite,
            fault,
            &support::run_reference("cec-23", &[fault], None),
        );
        let row = matrix
            .rows
            .iter()
            .find(|row| row.fault == fault.name())
            .expect("every fault has a row");
        assert_eq!(row, &alone, "{}", fault.name());
    }
}

/// The command's runs overlap: each is named once on stderr as it finishes,
/// with a counter, and the matrix on stdout keeps the order of `--fault`.
#[test]
fn the_command_counts_the_runs_and_keeps_the_order_asked() {
    let asked = ["redirect", "guid-optional", "method-any"];
    let mut args = vec!["faults"];
    for fault in asked {
        args.extend(["--fault", fault]);
    }
    let output = support::run_args(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::output_text(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| asked.contains(word))
        .collect();
    assert_eq!(rows, asked, "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let finished: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("ran the suite against fault"))
        .collect();
    assert_eq!(finished.len(), asked.len(), "{stderr}");
    for (n, line) in finished.iter().enumerate() {
        assert!(line.starts_with(&format!("[{}/3] ", n + 1)), "{stderr}");
    }
    for fault in asked {
        let named = finished
            .iter()
            .filter(|line| line.ends_with(&format!("fault {fault}")))
            .count();
        assert_eq!(named, 1, "{fault}: {stderr}");
    }
}
