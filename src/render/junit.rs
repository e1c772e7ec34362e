//! The JUnit XML report for CI test tabs, valid against the Jenkins xUnit
//! plugin's `junit-10.xsd` (`tests/it/fixtures/junit-10.xsd`).
//!
//! One `<testsuite name="getconnectinfo">`, one `<testcase>` per case, named by
//! the stable case id. Failed required cases carry `<failure>`, errored cases
//! `<error>`, skipped cases `<skipped>`. An advisory case that failed is not
//! a `<failure>` (it never fails CI): it passes, with its findings at the top
//! of its `<system-out>` and a suite property `advisory.<case id>`; with
//! `--strict` it is a `<failure type="advisory">`. The suite properties
//! `verdict` and `headline` say what every other report says.
//!
//! The XSD has no `<properties>` inside `<testcase>`, so each case's
//! requirement ids and severity are suite-level properties named
//! `requirement.<case id>` (one per requirement) and `severity.<case id>`, and
//! are repeated in the case's `<system-out>` with the evidence. The XSD also
//! has no `skipped` attribute on `<testsuites>`; it is left out there (the
//! `<testsuite>` keeps it).
//!
//! From a run against the reference gateway with the fault `guid-optional`:
//!
//! ```xml
//! <testsuites name="ccgw-conformance" tests="52" failures="2" errors="0" time="0.427">
//!     <testsuite name="getconnectinfo" tests="52" skipped="0" errors="0" failures="2" ...>
//!         <properties>
//!             <property name="profile" value="cec-23"/>
//!             <property name="verdict" value="not_conformant"/>
//!             ...
//!             <property name="requirement.guid/missing" value="REQ-GUID"/>
//!             <property name="severity.guid/missing" value="required"/>
//!         </properties>
//!         ...
//!         <testcase name="guid/missing" classname="getconnectinfo.guid" time="0.002">
//!             <failure message="outcome.refused: served with retcode &quot;0&quot; although the request must be refused" type="required">[outcome.refused] ...</failure>
//!             <system-out>title: A request without the Guid header is refused for authentication ...</system-out>
//!         </testcase>
//!     </testsuite>
//! </testsuites>
//! ```

use super::{ReportView, text};
use crate::report::{CaseResult, RunReport, Status};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

/// Name of the one test suite.
const SUITE_NAME: &str = "getconnectinfo";

/// Where the test cases go in the serialized report: before the suite's end tag.
const SUITE_END: &str = "\n    </testsuite>";
/// Where the cases' properties go: after the run's, before this end tag.
const PROPERTIES_END: &str = "\n        </properties>";
const PROPERTIES_START: &str = "<properties>";

/// Renders the report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    super::to_string(|out| write(&ReportView::new(report), out))
}

/// Writes the report as JUnit XML, one `<testcase>` at a time: the suite
/// with its counts and properties is serialized without its cases, and each
/// case is serialized on its own and put in before the suite's end tag.
pub fn write(view: &ReportView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let report = view.report();
    let strict = report.assessment.strict;
    let mut suite = TestSuite::new(SUITE_NAME);
    if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&report.environment.started_at) {
        suite.set_timestamp(started);
    }
    // The run's wall time; for a report without one, the cases' own.
    let total_us = report.environment.wall_time_us.unwrap_or_else(|| {
        report
            .cases
            .iter()
            .map(|case| case.duration_us.max(case.duration_ms.saturating_mul(1000)))
            .sum()
    });
    suite.set_time(Duration::from_micros(total_us));
    suite.add_properties(run_properties(report));
    // The counts `add_test_case` would keep.
    for case in &report.cases {
        suite.tests += 1;
        match status(case, strict) {
            TestCaseStatus::Success { .. } => {}
            TestCaseStatus::NonSuccess { kind, .. } => match kind {
                NonSuccessKind::Failure => suite.failures += 1,
                NonSuccessKind::Error => suite.errors += 1,
            },
            TestCaseStatus::Skipped { .. } => suite.skipped += 1,
        }
    }
    let mut junit = Report::new(report.tool.name.as_str());
    junit.set_time(Duration::from_micros(total_us));
    junit.add_test_suite(suite);
    let xml = drop_testsuites_skipped(serialized(&junit));
    // The suite always has properties, so it has an end tag to put the
    // cases before, and the properties have one to put the cases' after.
    let (Some(end), Some(properties_end)) = (xml.rfind(SUITE_END), xml.find(PROPERTIES_END)) else {
        return out.write_all(xml.as_bytes());
    };
    out.write_all(&xml.as_bytes()[..properties_end])?;
    for cases in report.cases.chunks(256) {
        let properties = cases.iter().flat_map(|case| case_properties(case, strict));
        out.write_all(properties_xml(properties).as_bytes())?;
    }
    out.write_all(&xml.as_bytes()[properties_end..end])?;
    for index in 0..report.cases.len() {
        let case = view.case(index)?;
        let advisory_only = is_advisory_only(&case, strict);
        let system_out = text::visible(&system_out(&case, advisory_only, report));
        out.write_all(case_xml(&case, strict, system_out).as_bytes())?;
    }
    out.write_all(&xml.as_bytes()[end..])
}

fn serialized(junit: &Report) -> String {
    // Serializing into memory only fails on an I/O error, which a Vec cannot have.
    junit.to_string().expect("JUnit XML serializes into memory")
}

/// A case's `<system-out>` as quick-junit writes it while it stands in for
/// the text (see [`case_xml`]).
const SYSTEM_OUT_SLOT: &str = "<system-out>ccgw-system-out-slot</system-out>";

/// One `<testcase>` as it reads inside the suite, indentation and all.
///
/// quick-junit runs every string through an ANSI-escape parser, byte by
/// byte; for the system-out, the largest text of a case, that was most of
/// the time the JUnit report took. A text that parser returns unchanged
/// (see [`is_plain`]: every text once it is made visible) is serialized as
/// a slot, and put in its place escaped as quick-junit escapes it; the
/// bytes are the same (a test compares the two).
fn case_xml(case: &CaseResult, strict: bool, system_out: String) -> String {
    if is_plain(&system_out) {
        let slot = SYSTEM_OUT_SLOT
            .trim_start_matches("<system-out>")
            .trim_end_matches("</system-out>");
        let xml = test_case_xml(test_case(case, strict, slot.to_owned()));
        if let Some((before, after)) = xml.split_once(SYSTEM_OUT_SLOT) {
            let escaped = quick_xml::escape::escape(system_out.as_str());
            return format!("{before}<system-out>{escaped}</system-out>{after}");
        }
    }
    test_case_xml(test_case(case, strict, system_out))
}

/// Whether quick-junit keeps `text` as it is (before escaping it for XML):
/// no terminal escape, no control character but the newline, nothing its
/// ANSI parser treats as a control.
fn is_plain(text: &str) -> bool {
    text.chars()
        .all(|c| c == '\n' || !(c < ' ' || c == '\x7f' || ('\u{80}'..='\u{9f}').contains(&c)))
}

/// [`case_xml`] by quick-junit alone: `case` serialized on its own.
fn test_case_xml(case: TestCase) -> String {
    let mut suite = TestSuite::new(SUITE_NAME);
    suite.add_test_case(case);
    let mut junit = Report::new("");
    junit.add_test_suite(suite);
    let xml = serialized(&junit);
    let start = xml.find("\n        <testcase").unwrap_or(0);
    let end = xml.rfind(SUITE_END).unwrap_or(xml.len());
    xml[start..end].to_owned()
}

/// `<property>` elements as they read inside the suite's `<properties>`.
fn properties_xml(properties: impl IntoIterator<Item = Property>) -> String {
    let mut suite = TestSuite::new(SUITE_NAME);
    suite.add_properties(properties);
    let mut junit = Report::new("");
    junit.add_test_suite(suite);
    let xml = serialized(&junit);
    let start = xml
        .find(PROPERTIES_START)
        .map_or(0, |at| at + PROPERTIES_START.len());
    let end = xml.find(PROPERTIES_END).unwrap_or(xml.len());
    xml[start..end].to_owned()
}

/// Run-level facts (the XSD allows properties on the suite only; each
/// case's follow them, see [`case_properties`]).
fn run_properties(report: &RunReport) -> Vec<Property> {
    let env = &report.environment;
    let mut properties = vec![
        Property::new("profile", env.profile.as_str()),
        Property::new("target", env.target.as_str()),
        Property::new("tls", text::tls_key(env.tls)),
        Property::new("verdict", text::verdict_key(report.summary.verdict)),
        Property::new("headline", text::visible(&text::headline(report))),
        Property::new("strict", report.assessment.strict.to_string()),
        Property::new("interrupted", report.interrupted.to_string()),
        Property::new("tool_version", report.tool.described()),
        Property::new("started_at", env.started_at.as_str()),
    ];
    if let Some(label) = &env.label {
        properties.insert(0, Property::new("label", text::visible(label)));
    }
    if let Some(detail) = &report.assessment.detail {
        properties.push(Property::new("cause", text::visible(detail)));
    }
    for (agent, line) in report.flow_control.iter().zip(text::flow_lines(report)) {
        properties.push(Property::new(
            format!("flow_control.{}", agent.agent_id),
            text::visible(&line),
        ));
    }
    properties
}

/// A case's requirements and severity, and its finding when it is advisory.
fn case_properties(case: &CaseResult, strict: bool) -> Vec<Property> {
    let mut properties: Vec<Property> = case
        .requirements
        .iter()
        .map(|requirement| Property::new(format!("requirement.{}", case.id), requirement.as_str()))
        .collect();
    properties.push(Property::new(
        format!("severity.{}", case.id),
        case.severity.as_str(),
    ));
    if text::attempts(case).is_some() {
        properties.push(Property::new(
            format!("attempts.{}", case.id),
            case.attempts.len().to_string(),
        ));
    }
    if is_advisory_only(case, strict) {
        properties.push(Property::new(
            format!("advisory.{}", case.id),
            one_line(&text::reason(case).unwrap_or_default()),
        ));
    }
    properties
}

/// Whether a case is reported as an advisory finding rather than a failure.
/// An advisory case that failed or errored (never run included): shown in
/// its system-out, never as a failure or an error, so it never fails CI
/// without `--strict`.
fn is_advisory_only(case: &CaseResult, strict: bool) -> bool {
    !strict
        && case.severity == crate::report::Severity::Advisory
        && matches!(case.status, Status::Failed | Status::Errored)
}

/// The status of a case's `<testcase>`.
fn status(case: &CaseResult, strict: bool) -> TestCaseStatus {
    let advisory_only = is_advisory_only(case, strict);
    match case.status {
        Status::Passed => TestCaseStatus::success(),
        _ if advisory_only => TestCaseStatus::success(),
        Status::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(one_line(
                    &text::reason(case).unwrap_or_else(|| "a check did not hold".to_owned()),
                ))
                .set_type(case.severity.as_str())
                .set_description(text::visible(&findings_text(case)));
            status
        }
        Status::Errored => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            let reason = case
                .reason
                .as_deref()
                .unwrap_or("no verdict could be reached");
            status.set_message(one_line(reason)).set_type("errored");
            let mut description = reason.to_owned();
            if !case.findings.is_empty() {
                description.push('\n');
                description.push_str(&findings_text(case));
            }
            status.set_description(text::visible(&description));
            status
        }
        Status::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(one_line(case.reason.as_deref().unwrap_or("not run")));
            status
        }
    }
}

/// One `<testcase>`, with `system_out` (made visible) as its system-out.
fn test_case(case: &CaseResult, strict: bool, system_out: String) -> TestCase {
    let mut test_case = TestCase::new(case.id.as_str(), status(case, strict));
    test_case
        .set_classname(format!("{SUITE_NAME}.{}", case.family))
        .set_time(Duration::from_micros(
            case.duration_us.max(case.duration_ms.saturating_mul(1000)),
        ))
        .set_system_out(system_out);
    test_case
}

/// One line per finding: `[check] message`, then where it points.
fn findings_text(case: &CaseResult) -> String {
    let mut out = String::new();
    for finding in &case.findings {
        let _ = writeln!(out, "[{}] {}", finding.check, finding.message);
        if let Some(location) = text::finding_location(finding) {
            let _ = writeln!(out, "    {location}");
        }
    }
    out
}

/// What CI shows beside the case: for a failure first the `curl` line that
/// replays it, then severity, requirements, expectation, notes and the evidence.
fn system_out(case: &CaseResult, advisory_only: bool, report: &RunReport) -> String {
    let mut out = String::new();
    if let Some(line) = super::curl::repro_for_failure(case, &report.environment) {
        let _ = writeln!(
            out,
            "replay: {line}\n({})\n",
            super::curl::variables_note(&report.environment)
        );
    }
    if advisory_only {
        let _ = writeln!(
            out,
            "ADVISORY FINDING ({}; does not fail the run without --strict): {}",
            case.status.as_str(),
            text::reason(case).unwrap_or_default()
        );
        out.push_str(&findings_text(case));
    }
    let _ = writeln!(out, "title: {}", case.title);
    let _ = writeln!(out, "severity: {}", case.severity.as_str());
    let _ = writeln!(out, "requirements: {}", case.requirements.join(", "));
    let _ = writeln!(out, "expected: {}", case.expected);
    if let Some(attempts) = text::attempts(case) {
        let _ = writeln!(out, "attempts: {attempts}");
    }
    for note in &case.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if let Some(request) = &case.request {
        let _ = writeln!(out, "\nrequest: {} {}", request.method, request.path);
        for header in &request.headers {
            let _ = writeln!(out, "{}: {}", header.name, header.value);
        }
        if let Some(body) = &request.body {
            let _ = writeln!(out, "\n{body}");
        }
    }
    if let Some(response) = &case.response {
        let _ = writeln!(out, "\nresponse: HTTP {}", response.status);
        for header in &response.headers {
            let _ = writeln!(out, "{}: {}", header.name, header.value);
        }
        let _ = writeln!(out, "\n{}", response.body);
        if response.truncated {
            let _ = writeln!(out, "[body cut: {} bytes received]", response.body_bytes);
        }
    }
    out
}

/// Attribute values are normalised by XML parsers (a newline becomes a
/// space); make that explicit so the message reads the same everywhere.
fn one_line(text: &str) -> String {
    let joined = text
        .split(['\r', '\n'])
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    text::visible(&joined)
}

/// quick-junit writes `skipped` on `<testsuites>`, which junit-10.xsd does
/// not allow there; the count stays on `<testsuite>`.
fn drop_testsuites_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let Some(len) = xml[start..].find('>') else {
        return xml;
    };
    let tag = &xml[start..start + len];
    let Some(attr) = tag.find(" skipped=\"") else {
        return xml;
    };
    let attr_start = start + attr;
    let value_start = attr_start + " skipped=\"".len();
    let Some(value_len) = xml[value_start..].find('"') else {
        return xml;
    };
    let mut out = String::with_capacity(xml.len());
    out.push_str(&xml[..attr_start]);
    out.push_str(&xml[value_start + value_len + 1..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;

    #[test]
    fn drops_skipped_from_testsuites_only() {
        let xml = r#"<?xml version="1.0"?>
<testsuites name="x" tests="1" skipped="1" failures="0">
    <testsuite name="s" tests="1" skipped="1"/>
</testsuites>"#;
        let out = drop_testsuites_skipped(xml.to_owned());
        assert!(
            out.contains(r#"<testsuites name="x" tests="1" failures="0">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<testsuite name="s" tests="1" skipped="1"/>"#),
            "{out}"
        );
    }

    /// A failed case named by `text`.
    fn case_named(text: &str) -> CaseResult {
        CaseResult {
            id: format!("guid/{text}"),
            title: text.to_owned(),
            family: "guid".to_owned(),
            severity: Severity::Required,
            requirements: vec!["REQ-GUID".to_owned()],
            status: Status::Failed,
            reason: Some(text.to_owned()),
            expected: "refused".to_owned(),
            findings: Vec::new(),
            notes: Vec::new(),
            request: None,
            response: None,
            attempts: Vec::new(),
            duration_ms: 1,
            duration_us: 1_000,
            cause: None,
        }
    }

    /// `case_xml` and quick-junit alone, for a system-out of `text`.
    fn both(text: &str) -> (String, String) {
        let case = case_named(text);
        let alone = test_case_xml(test_case(&case, false, text.to_owned()));
        (case_xml(&case, false, text.to_owned()), alone)
    }

    #[test]
    fn the_system_out_slot_writes_what_quick_junit_writes() {
        for text in [
            "plain",
            "<tag attr='x' other=\"y\"> & &amp; ]]> -->",
            "üñíçødé ✓ 🎉 \u{a0}\u{2028} end",
            "line\nbreak",
            "tab\there, cr\rhere, esc\x1b[31mred\x1b[0m, del\x7f, c1\u{85}\u{9b}",
            "ccgw-system-out-slot <system-out>ccgw-system-out-slot</system-out>",
        ] {
            let (ours, alone) = both(text);
            assert_eq!(ours, alone, "{text:?}");
            let (ours, alone) = both(&text::visible(text));
            assert_eq!(ours, alone, "{text:?} made visible");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_written_as_quick_junit_writes_it(text in "\\PC*|[\\x00-\\x{a0}<>&'\"]*") {
            let (ours, alone) = both(&text);
            proptest::prop_assert_eq!(ours, alone);
            let (ours, alone) = both(&text::visible(&text));
            proptest::prop_assert_eq!(ours, alone);
        }
    }

    #[test]
    fn only_text_the_ansi_parser_keeps_is_plain() {
        assert!(is_plain("a\nb <&> ü 🎉 \u{a0}"));
        for text in ["\t", "\r", "\x1b[0m", "\x7f", "\u{85}", "\u{9f}", "\x00"] {
            assert!(!is_plain(text), "{text:?}");
        }
    }

    #[test]
    fn one_line_joins_lines() {
        assert_eq!(one_line("a\r\nb\nc"), "a b c");
    }
}
