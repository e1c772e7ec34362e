//! The reporters against fixture reports: one insta snapshot per fixture and
//! format, JSON validated against `schemas/report.schema.json`, JUnit against
//! the Jenkins `junit-10.xsd` (with `xmllint`), HTML checked to be
//! self-contained and escaped, and `write_all` writing the four files.

#[path = "fixtures/reports.rs"]
pub(crate) mod reports;

use ccgw_conformance::render::{self, Format, WriteError};
use ccgw_conformance::report::RunReport;
use rstest::rstest;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURES: [&str; 4] = ["full", "interrupted", "compared", "empty"];

fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Junit => "xml",
        Format::Markdown => "md",
        Format::Html => "html",
    }
}

#[rstest]
fn snapshot(
    #[values("full", "interrupted", "compared", "empty")] fixture: &str,
    #[values(Format::Json, Format::Junit, Format::Markdown, Format::Html)] format: Format,
) {
    let report = reports::by_name(fixture);
    let output = format.render(&report);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(format!("{fixture}.{}", extension(format)));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("render", output));
}

#[test]
fn every_format_renders_the_same_twice() {
    for (name, report) in reports::all() {
        for format in Format::ALL {
            assert_eq!(
                format.render(&report),
                format.render(&report),
                "{name}: {format:?} is not deterministic"
            );
        }
    }
}

// --- JSON ---------------------------------------------------------------

fn report_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Schema errors of `instance`, as `instance path: message` lines.
pub fn schema_errors(instance: &Value) -> Vec<String> {
    let schema = report_schema();
    let validator = jsonschema::draft202012::new(&schema).expect("the report schema compiles");
    let mut errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect();
    errors.sort();
    errors
}

#[test]
fn report_schema_is_a_valid_2020_12_schema() {
    let schema = report_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("schemas/report.schema.json is not a valid schema: {e}");
    }
}

#[test]
fn rendered_json_is_valid_against_the_report_schema() {
    for (name, report) in reports::all() {
        let rendered = render::json::render(&report);
        assert!(rendered.ends_with("}\n"), "{name}: no trailing newline");
        let value: Value = serde_json::from_str(&rendered).expect("rendered JSON parses");
        let errors = schema_errors(&value);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn rendered_json_reads_back_as_the_same_report() {
    for (name, report) in reports::all() {
        let back: RunReport = serde_json::from_str(&render::json::render(&report))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, report, "{name}");
    }
}

/// Each fault must be caught by the schema, or the schema is too loose.
#[rstest]
#[case::unknown_top_level_key("/extra", Some(serde_json::json!(1)))]
#[case::wrong_format_version("/format_version", Some(serde_json::json!("2")))]
#[case::missing_summary("/summary", None)]
#[case::unknown_status("/cases/0/status", Some(serde_json::json!("flaky")))]
#[case::unknown_severity("/cases/0/severity", Some(serde_json::json!("optional")))]
#[case::unknown_finding_key("/cases/0/findings/0/extra", Some(serde_json::json!("x")))]
#[case::missing_case_findings("/cases/1/findings", None)]
#[case::null_reason("/cases/0/reason", Some(Value::Null))]
#[case::negative_duration("/cases/0/duration_ms", Some(serde_json::json!(-1)))]
#[case::unknown_tls_mode("/environment/tls", Some(serde_json::json!("none")))]
#[case::missing_expectation_source("/environment/expectations/0/source", None)]
#[case::unknown_change_kind("/comparison/counts/vanished", Some(serde_json::json!(1)))]
#[case::unknown_digest_key("/comparison/cases/0/before/extra", Some(serde_json::json!(1)))]
#[case::header_without_value("/cases/0/response/headers/0/value", None)]
fn report_schema_rejects(#[case] pointer: &str, #[case] replacement: Option<Value>) {
    let mut value = serde_json::to_value(reports::compared()).unwrap();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{parent} is not an object in the fixture"));
    match replacement {
        Some(new) => {
            object.insert(key.to_owned(), new);
        }
        None => {
            object
                .remove(key)
                .unwrap_or_else(|| panic!("{pointer} is not in the fixture"));
        }
    }
    assert!(
        !schema_errors(&value).is_empty(),
        "the schema accepts a report with {pointer} = {:?}",
        value.pointer(pointer)
    );
}

// --- JUnit --------------------------------------------------------------

fn junit_xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/junit-10.xsd")
}

/// Runs `xmllint --noout --schema junit-10.xsd` on `xml`; Err holds its output.
fn xmllint_junit(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, xml).unwrap();
    let output = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(junit_xsd())
        .arg(&file)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "xmllint is not on PATH: the JUnit report cannot be validated against \
             tests/it/fixtures/junit-10.xsd; install it with `apt-get install -y libxml2-utils`"
        ),
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn rendered_junit_is_valid_against_junit_10_xsd() {
    for (name, report) in reports::all() {
        let xml = render::junit::render(&report);
        if let Err(errors) = xmllint_junit(&xml) {
            panic!("{name}: junit.xml is not valid against junit-10.xsd:\n{errors}\n{xml}");
        }
    }
}

/// The XSD really is applied: what it forbids is refused.
#[rstest]
#[case::testcase_properties(
    r#"<testcase name="a"><properties><property name="k" value="v"/></properties></testcase>"#,
    ""
)]
#[case::testsuites_skipped(r#"<testcase name="a"/>"#, r#" skipped="0""#)]
fn junit_xsd_rejects(#[case] testcase: &str, #[case] testsuites_attrs: &str) {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="x" tests="1" failures="0" errors="0"{testsuites_attrs}>
<testsuite name="s" tests="1" failures="0" errors="0">{testcase}</testsuite>
</testsuites>
"#
    );
    assert!(xmllint_junit(&xml).is_err(), "junit-10.xsd accepts:\n{xml}");
}

#[test]
fn junit_maps_statuses_and_names_cases_by_id() {
    let xml = render::junit::render(&reports::full());
    assert!(
        xml.contains(
            r#"<testsuite name="getconnectinfo" tests="6" skipped="1" errors="1" failures="1""#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"<testcase name="auth/missing-guid" classname="getconnectinfo.auth""#));
    // An advisory failure is no <failure>: a property and the system-out say it.
    assert!(!xml.contains(r#"type="advisory""#), "{xml}");
    assert!(xml.contains(r#"<property name="advisory.envelope/duplicate-keys""#));
    assert!(xml.contains("ADVISORY FINDING (failed; does not fail the run without --strict)"));
    // With --strict it is a failure of type advisory.
    let mut strict = reports::full();
    strict.assessment.strict = true;
    let xml_strict = render::junit::render(&strict);
    assert!(xml_strict.contains(r#"failures="2""#), "{xml_strict}");
    assert!(xml_strict.contains(r#"type="advisory""#), "{xml_strict}");
    assert!(xml.contains(r#"<error message="connection reset by peer" type="errored""#));
    assert!(xml.contains(r#"<skipped message="no --callid given"/>"#));
    assert!(xml.contains(r#"<property name="requirement.auth/missing-guid" value="REQ-AUTH"/>"#));
    assert!(
        xml.contains(r#"<property name="severity.envelope/duplicate-keys" value="advisory"/>"#)
    );
    assert!(xml.contains(r#"<property name="verdict" value="not_conformant"/>"#));
    assert!(!xml.contains("<script>"), "data must be escaped in XML");
}

// --- Markdown -----------------------------------------------------------

/// Pipes that end a cell (not escaped with a backslash).
fn cell_separators(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

#[test]
fn markdown_tables_keep_their_columns() {
    for (name, report) in reports::all() {
        let md = render::markdown::render(&report);
        let mut columns = None;
        for line in md.lines() {
            if line.starts_with('|') {
                let n = cell_separators(line);
                let expected = *columns.get_or_insert(n);
                assert_eq!(n, expected, "{name}: a cell breaks its table row:\n{line}");
            } else {
                columns = None;
            }
        }
        assert!(
            !md.contains("<script"),
            "{name}: markup from the data is not escaped"
        );
        assert!(
            md.ends_with('\n') && !md.ends_with("\n\n"),
            "{name}: trailing newlines"
        );
    }
}

#[test]
fn markdown_shows_interruption_and_insecure_tls() {
    let md = render::markdown::render(&reports::interrupted());
    assert!(
        md.starts_with("# getconnectinfo conformance: Not conformant (interrupted)\n"),
        "{md}"
    );
    assert!(md.contains("**Interrupted:**"));
    assert!(md.contains("--insecure"));
}

// --- HTML ---------------------------------------------------------------

/// The markup of the page: every `<...>` tag (data cannot open one: it is escaped).
fn tags(html: &str) -> Vec<&str> {
    html.split('<')
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap_or(rest.len())])
        .collect()
}

/// Everything in the page's own markup and style that would load or run
/// something: scripts, links, `src=`, URLs in tags, `url(` and `@import`.
fn active_content(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in tags(html) {
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("link")
            || lower.starts_with("script")
            || lower.starts_with("iframe")
            || lower.starts_with("object")
            || lower.starts_with("embed")
            || lower.contains("src=")
            || lower.contains("http:")
            || lower.contains("https:")
            || lower.contains("//")
            || lower.contains(" on")
        {
            found.push(format!("<{tag}>"));
        }
    }
    if let (Some(start), Some(end)) = (html.find("<style>"), html.find("</style>")) {
        let style = &html[start..end];
        for needle in ["url(", "@import"] {
            if style.contains(needle) {
                found.push(format!("style with {needle}"));
            }
        }
    }
    found
}

#[test]
fn active_content_check_catches_external_resources() {
    for doctored in [
        r#"<p><link rel="stylesheet" href="x.css"></p>"#,
        r#"<img src="data:,">"#,
        r#"<a href="https://example.test/">x</a>"#,
        "<script>1</script>",
        "<style>body{background:url(x.png)}</style>",
        r#"<p onclick="x()">"#,
    ] {
        assert!(
            !active_content(doctored).is_empty(),
            "not caught: {doctored}"
        );
    }
}

#[test]
fn html_is_self_contained() {
    for (name, report) in reports::all() {
        let html = render::html::render(&report);
        assert_eq!(active_content(&html), Vec::<String>::new(), "{name}");
        assert!(html.contains("@media print"), "{name}: no print style");
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert_eq!(html.matches("<title>").count(), 1, "{name}");
    }
}

#[test]
fn html_escapes_the_data() {
    let html = render::html::render(&reports::full());
    assert!(
        !html.contains("<script"),
        "a <script> from the data reached the page"
    );
    assert!(html.contains(
        "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; &#39;quoted&#39; | pipe"
    ));
    assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(&#39;body&#39;)"));
    assert!(html.contains("成功"), "non-ASCII text is kept");
}

/// Values of `attr="..."` in the page, in order.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.split(needle.as_str())
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[test]
fn html_links_requirements_to_cases() {
    let report = reports::full();
    let html = render::html::render(&report);
    let ids = attribute_values(&html, "id");
    let case_ids: Vec<_> = ids.iter().filter(|id| id.starts_with("case-")).collect();
    assert_eq!(case_ids.len(), report.cases.len(), "one section per case");
    let mut unique = case_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), case_ids.len(), "anchors must be unique");
    let links = attribute_values(&html, "href");
    let linked: usize = report.requirements.iter().map(|r| r.cases.len()).sum();
    // The banner links each required case that failed, errored or was skipped.
    let in_banner = report
        .cases
        .iter()
        .filter(|c| c.severity == ccgw_conformance::report::Severity::Required)
        .filter(|c| c.status != ccgw_conformance::report::Status::Passed)
        .count();
    assert!(in_banner > 0);
    assert_eq!(
        links.len(),
        linked + in_banner + 1 + report.cases.len(),
        "one link per case of each requirement, per case in the banner and \
         in the table of all cases, and one to the expectations"
    );
    for link in links {
        let target = link.strip_prefix('#').expect("links stay in the page");
        assert!(ids.contains(&target), "link to a missing anchor: {link}");
    }
    assert!(html.contains(r#"<section class="case failed" id="case-auth/missing-guid">"#));
    assert!(html.contains(r#"id="case-quirks/non-ascii-_E4_BB_A3_E7_90_86""#));
}

#[rstest]
#[case::interrupted("interrupted", &["Not conformant", "Interrupted", "NOT VERIFIED (--insecure)"])]
#[case::empty("empty", &["Not assessed", "No case was selected", "none (plain HTTP)"])]
#[case::compared("compared", &["Comparison with the baseline", "new failure", "still failing"])]
fn html_banner_and_sections(#[case] fixture: &str, #[case] expected: &[&str]) {
    let html = render::html::render(&reports::by_name(fixture));
    for text in expected {
        assert!(html.contains(text), "{fixture}: no `{text}`");
    }
}

// --- write_all ----------------------------------------------------------

#[test]
fn write_all_writes_the_four_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/reports");
    let report = reports::full();
    let paths = render::write_all(&report, &out).expect("write_all");
    let names: Vec<_> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["report.json", "junit.xml", "report.md", "report.html"]
    );
    for (path, format) in paths.iter().zip(Format::ALL) {
        assert_eq!(path, &out.join(format.file_name()));
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            format.render(&report)
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A second run replaces the files.
    render::write_all(&reports::empty(), &out).expect("second write_all");
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        Format::Markdown.render(&reports::empty())
    );
}

#[test]
fn write_all_names_the_path_it_cannot_create() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let err = render::write_all(&reports::full(), &file).unwrap_err();
    assert!(matches!(err, WriteError::CreateDir { .. }), "{err:?}");
    assert_eq!(err.path(), file);
    assert!(err.to_string().contains("not-a-folder"), "{err}");
}

#[test]
fn fixtures_cover_every_status_and_severity() {
    use ccgw_conformance::report::{Severity, Status};
    let full = reports::full();
    for status in [
        Status::Passed,
        Status::Failed,
        Status::Errored,
        Status::Skipped,
    ] {
        assert!(full.cases.iter().any(|c| c.status == status), "{status:?}");
    }
    for severity in [Severity::Required, Severity::Advisory] {
        assert!(
            full.cases.iter().any(|c| c.severity == severity),
            "{severity:?}"
        );
    }
    assert_eq!(FIXTURES.len(), reports::all().len());
}

/// The lists a reader sees first group cases that share a finding: one line
/// with the count, the finding in plain words, its check id after them, and
/// the cases; advisory findings wear their own badge.
#[test]
fn identical_findings_are_grouped_in_the_first_lists() {
    use ccgw_conformance::report::{Finding, Severity, Status};
    let mut report = reports::by_name("full");
    let template = report
        .cases
        .iter()
        .find(|c| c.id == "envelope/duplicate-keys")
        .expect("an advisory finding")
        .clone();
    report.cases.clear();
    report.assessment.advisory_findings.clear();
    for i in 0..7 {
        let mut case = template.clone();
        case.id = format!("errors/leak-{i}");
        case.severity = Severity::Advisory;
        case.status = Status::Failed;
        case.reason = None;
        case.findings = vec![Finding {
            check: ccgw_conformance::report::CheckId::NoConnectionInfo,
            message: "the refusal carries connection information".to_owned(),
            instance_path: None,
            schema_path: None,
        }];
        report.assessment.advisory_findings.push(case.id.clone());
        report.cases.push(case);
    }
    let html = Format::Html.render(&report);
    assert!(
        html.contains("<span class=\"status advisory\">ADVISORY</span> 7 cases: the refusal carries connection information (<code>"),
        "{html}"
    );
    assert!(html.contains("and 2 more</li>"), "five named, then a count");
    assert!(!html.contains("<span class=\"status failed\">FAIL</span> <a"));
    let md = Format::Markdown.render(&report);
    assert!(
        md.contains("- 7 cases: the refusal carries connection information (`"),
        "{md}"
    );
    // The counts come before the advisory list.
    assert!(md.find(" cases**: ").unwrap() < md.find("- 7 cases:").unwrap());
}
