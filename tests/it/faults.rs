//! The suite's mutation test: for every fault of the reference gateway, the
//! run against it fails and the cases that name the fault are among the
//! failures; against the reference itself (no fault) every case passes.
//! A fault no case catches, or a check no fault exercises, fails here.

use crate::support;

use ccgw_conformance::checks::CheckId;
use ccgw_conformance::gateway::Fault;
use ccgw_conformance::report::{Status, Verdict};
use ccgw_conformance::selftest::{FaultMatrix, cases_by_fault, fault_row};
use rstest::rstest;
use std::collections::BTreeSet;

/// The faults tested one by one below, by name; kept equal to `Fault::all()`
/// by `every_fault_has_a_test`.
const TESTED: &[&str] = &[
    "method-any",
    "agentid-from-guid",
    "bound-upper-off",
    "bound-lower-off",
    "agentid-lenient-parse",
    "guid-optional",
    "guid-any-agent",
    "guid-any-value",
    "guid-header-case-sensitive",
    "content-type-ignored",
    "charset-required",
    "body-missing-served",
    "wrong-types-coerced",
    "callid-ignored",
    "extra-field-refused",
    "result-field-missing",
    "result-field-type",
    "result-bad-domain",
    "result-bad-ip",
    "user-id-mismatch",
    "duplicate-keys",
    "retcode-number",
    "message-missing",
    "undocumented-retcode",
    "refusal-5xx",
    "html-error-page",
    "info-in-error",
    "stack-trace-in-error",
    "redirect",
    "slow",
    "huge-body",
    "not-json",
    // Session faults: caught by the session checks of a session-aware run.
    "guid-not-rotated",
    "signed-out-served",
    "sign-out-ignored",
    "guid-no-expiry",
];

#[test]
fn every_fault_has_a_test() {
    let all: BTreeSet<&str> = Fault::all().iter().map(|f| f.name()).collect();
    let tested: BTreeSet<&str> = TESTED.iter().copied().collect();
    assert_eq!(
        all, tested,
        "add a #[case] (and a TESTED entry) for every fault"
    );
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

#[rstest]
#[case::method_any("method-any")]
#[case::agentid_from_guid("agentid-from-guid")]
#[case::bound_upper_off("bound-upper-off")]
#[case::bound_lower_off("bound-lower-off")]
#[case::agentid_lenient_parse("agentid-lenient-parse")]
#[case::guid_optional("guid-optional")]
#[case::guid_any_agent("guid-any-agent")]
#[case::guid_any_value("guid-any-value")]
#[case::guid_header_case_sensitive("guid-header-case-sensitive")]
#[case::content_type_ignored("content-type-ignored")]
#[case::charset_required("charset-required")]
#[case::body_missing_served("body-missing-served")]
#[case::wrong_types_coerced("wrong-types-coerced")]
#[case::callid_ignored("callid-ignored")]
#[case::extra_field_refused("extra-field-refused")]
#[case::result_field_missing("result-field-missing")]
#[case::result_field_type("result-field-type")]
#[case::result_bad_domain("result-bad-domain")]
#[case::result_bad_ip("result-bad-ip")]
#[case::user_id_mismatch("user-id-mismatch")]
#[case::duplicate_keys("duplicate-keys")]
#[case::retcode_number("retcode-number")]
#[case::message_missing("message-missing")]
#[case::undocumented_retcode("undocumented-retcode")]
#[case::refusal_5xx("refusal-5xx")]
#[case::html_error_page("html-error-page")]
#[case::info_in_error("info-in-error")]
#[case::stack_trace_in_error("stack-trace-in-error")]
#[case::redirect("redirect")]
#[case::slow("slow")]
#[case::huge_body("huge-body")]
#[case::not_json("not-json")]
#[case::guid_not_rotated("guid-not-rotated")]
#[case::signed_out_served("signed-out-served")]
#[case::sign_out_ignored("sign-out-ignored")]
#[case::guid_no_expiry("guid-no-expiry")]
fn fault_is_caught(#[case] name: &str) {
    let fault: Fault = name.parse().expect("a fault name");
    let (_, suite) = support::suite();
    let report = support::run_reference("cec-23", &[fault], None);
    let row = fault_row(suite, fault, &report);
    assert!(
        !row.caught_by.is_empty(),
        "no case fails against fault {name}"
    );
    assert!(
        row.missed().is_empty(),
        "cases that name {name} but passed against it: {:?}",
        row.missed()
    );
    if ADVISORY_ONLY.contains(&name) {
        // Only implied by the documentation: reported as failed advisory cases,
        // without changing the verdict or the exit code.
        assert!(
            report.summary.failed > 0,
            "{name}: advisory cases must fail"
        );
        assert_eq!(
            report.summary.required_failed, 0,
            "{name} is listed as advisory-only but fails a required case"
        );
    } else {
        assert_ne!(
            report.summary.verdict,
            Verdict::Conformant,
            "the run against {name} must not be conformant"
        );
    }
}

/// Faults caught only by advisory cases: deviations from what the documentation
/// implies rather than states. Listed by name so the choice is visible.
const ADVISORY_ONLY: &[&str] = &[
    "agentid-lenient-parse",
    "content-type-ignored",
    "charset-required",
    "wrong-types-coerced",
    "extra-field-refused",
];

#[test]
fn advisory_only_faults_are_exactly_those_named_only_by_advisory_cases() {
    use ccgw_conformance::report::Severity;
    let (_, suite) = support::suite();
    let advisory_only: BTreeSet<String> = cases_by_fault(suite)
        .into_iter()
        .filter(|(_, ids)| {
            ids.iter().all(|id| {
                suite
                    .cases
                    .iter()
                    .any(|c| &c.id == id && c.severity == Severity::Advisory)
            })
        })
        .map(|(f, _)| f)
        .collect();
    let listed: BTreeSet<String> = ADVISORY_ONLY.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(advisory_only, listed);
}

/// One run per fault, all together: every check of the suite must produce a
/// finding against at least one fault, so no check is untested.
#[test]
fn every_check_is_exercised_by_a_fault() {
    let (_, suite) = support::suite();
    let mut matrix = FaultMatrix::default();
    for fault in Fault::all() {
        let report = support::run_reference("cec-23", &[*fault], None);
        matrix.rows.push(fault_row(suite, *fault, &report));
    }
    assert!(matrix.problems().is_empty(), "{:?}", matrix.problems());
    let unexercised = matrix.unexercised_checks();
    assert!(
        unexercised.is_empty(),
        "checks no fault exercises: {unexercised:?}"
    );
    assert_eq!(CheckId::ALL.len(), 17);
}
