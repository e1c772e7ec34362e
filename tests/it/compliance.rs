//! The compliance features end to end (issue 5), driving the built binary
//! against the embedded reference gateway with `--out` in a temporary folder:
//!
//! - spec profiles decide the bounds cases, and every report states the profile;
//! - `--expect` files (the examples in `examples/expect/`) narrow the
//!   expectations, are valid against their schema, are traced in the report,
//!   and fail a gateway that answers otherwise; broken files exit 2;
//! - `run --baseline` and `compare` mark exactly the cases a fault changes, and
//!   two clean runs compare as unchanged;
//! - the HTML verdict banner for each verdict, the "not assessed" one from a run
//!   without a live callid (library), with no secret in any output.

use crate::support;

use ccgw_conformance::compare::load_report;
use ccgw_conformance::report::{
    ChangeKind, ExpectationSource, RunReport, Severity, Status, Verdict,
};
use ccgw_conformance::schemas::{SchemaName, Schemas};
use ccgw_conformance::selftest;
use ccgw_conformance::suite::{SuiteSource, load_expectations_file, load_suite};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::output_text as text;

fn bin() -> Command {
    let mut cmd = support::bin();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// `run --quiet --out DIR` plus `args`; returns the exit code and the output.
fn run_into(out: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["run", "--quiet", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = run(&all);
    (output.status.code().expect("exit code"), text(&output))
}

fn report_in(dir: &Path) -> RunReport {
    load_report(&dir.join("report.json")).unwrap_or_else(|e| panic!("failed to {e}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ids_with(report: &RunReport, status: Status) -> BTreeSet<String> {
    report
        .cases
        .iter()
        .filter(|c| c.status == status)
        .map(|c| c.id.clone())
        .collect()
}

fn case<'a>(report: &'a RunReport, id: &str) -> &'a ccgw_conformance::report::CaseResult {
    report
        .cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id} in the report"))
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/expect")
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples())
        .expect("examples/expect exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "json"))
        .collect();
    files.sort();
    files
}

// ------------------------------------------------------------------ profiles

#[test]
fn the_profile_decides_the_bounds_cases_and_every_report_states_it() {
    for (profile, title, expected, retcodes) in [
        (
            "aicc-25.200",
            "101..999999",
            "(auth)",
            &["100-006", "000-003"][..],
        ),
        (
            "cec-23",
            "101..59999",
            "(invalid_parameter)",
            &["000-002"][..],
        ),
    ] {
        let out = tempfile::tempdir().unwrap();
        let (code, output) = run_into(out.path(), &["--profile", profile, "--only", "agentid/*"]);
        assert_eq!(code, 0, "{profile}: {output}");
        let report = report_in(out.path());
        assert_eq!(report.environment.profile, profile);
        assert!(report.environment.profile_title.contains(title));
        let literal = case(&report, "agentid/literal-60000");
        assert_eq!(literal.status, Status::Passed, "{profile}: {literal:#?}");
        assert!(
            literal.expected.contains(expected),
            "{profile}: 60000 should be expected {expected}, got {}",
            literal.expected
        );
        let retcode = literal
            .response
            .as_ref()
            .and_then(|r| r.retcode.as_deref())
            .unwrap_or_default();
        assert!(retcodes.contains(&retcode), "{profile}: retcode {retcode}");
        // Every human-readable format names the profile too.
        for file in ["report.html", "report.md", "junit.xml"] {
            assert!(
                read(&out.path().join(file)).contains(profile),
                "{file} does not state the profile {profile}"
            );
        }
    }
}

#[test]
fn an_unknown_profile_exits_2_naming_the_known_ones() {
    let out = tempfile::tempdir().unwrap();
    let (code, output) = run_into(out.path(), &["--profile", "nope"]);
    assert_eq!(code, 2, "{output}");
    for word in ["nope", "cec-23", "aicc-25.200"] {
        assert!(output.contains(word), "`{word}` missing from: {output}");
    }
    assert!(!out.path().join("report.json").exists());
}

// ------------------------------------------------------------------ expect files

#[test]
fn example_expect_files_are_valid_against_their_schema() {
    let schemas = Schemas::embedded().unwrap();
    let files = example_files();
    assert!(
        files.len() >= 4,
        "expected the example files, found {files:?}"
    );
    assert!(files.iter().any(|f| f.extension().unwrap() == "json"));
    for path in files {
        let text = read(&path);
        let doc: serde_json::Value = if path.extension().unwrap() == "json" {
            serde_json::from_str(&text).unwrap()
        } else {
            serde_json::to_value(toml::from_str::<toml::Value>(&text).unwrap()).unwrap()
        };
        let violations = schemas.validate(SchemaName::ExpectFile, &doc);
        assert!(violations.is_empty(), "{}: {violations:#?}", path.display());
        // The file shape is the one of expectations.schema.json's entries.
        load_expectations_file(&path, &schemas)
            .unwrap_or_else(|e| panic!("failed to load {}: {e}", path.display()));
    }
    // The schema is not a rubber stamp: a misspelt field and a bad status fail.
    for bad in [
        serde_json::json!({"http": {"wrong_method": {"status": ["405"]}}}),
        serde_json::json!({"http": {"wrong_method": {"statuses": ["4x5"]}}}),
        serde_json::json!({"policy": {"content_type": {"outcome": "maybe"}}}),
        serde_json::json!({"retcode": {}}),
        serde_json::json!({}),
    ] {
        assert!(
            !schemas.validate(SchemaName::ExpectFile, &bad).is_empty(),
            "accepted {bad}"
        );
    }
}

/// The entries an expect file sets, as `section.name` keys.
fn keys_of(path: &Path) -> BTreeSet<String> {
    let schemas = Schemas::embedded().unwrap();
    let raw = load_expectations_file(path, &schemas).unwrap();
    let mut keys = BTreeSet::new();
    keys.extend(raw.retcodes.keys().map(|k| format!("retcodes.{k}")));
    keys.extend(raw.http.keys().map(|k| format!("http.{k}")));
    keys.extend(raw.policy.keys().map(|k| format!("policy.{k}")));
    keys
}

#[test]
fn the_reference_gateway_passes_the_expect_files_that_match_it() {
    // 405 for wrong methods, 106-011 for an unknown call, 106-015 for another
    // agent's call, Content-Type either way.
    for path in example_files() {
        let out = tempfile::tempdir().unwrap();
        let (code, output) = run_into(out.path(), &["--expect", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {output}", path.display());
        let report = report_in(out.path());
        assert_eq!(report.summary.verdict, Verdict::Conformant);
        // Each entry of the file is listed, sourced to the file by its path.
        let keys = keys_of(&path);
        assert!(!keys.is_empty());
        for record in &report.environment.expectations {
            let from_file = keys.contains(&record.name);
            assert_eq!(
                record.source == ExpectationSource::File,
                from_file,
                "{}: {record:?}",
                path.display()
            );
            if from_file {
                assert!(
                    record.reference.starts_with(path.to_str().unwrap()),
                    "the reference should name the file: {record:?}"
                );
            }
        }
        let html = read(&out.path().join("report.html"));
        assert!(
            html.contains(&format!("{} from the file", keys.len())),
            "the environment should count the file's entries"
        );
    }
}

#[test]
fn a_narrowing_the_gateway_does_not_match_fails_exactly_the_cases_it_governs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let file = dir.path().join("strict-404.toml");
    std::fs::write(&file, "[http.wrong_method]\nstatuses = [\"404\"]\n").unwrap();
    let (code, output) = run_into(&out, &["--expect", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{output}");
    let report = report_in(&out);
    let method_cases: BTreeSet<String> = report
        .cases
        .iter()
        .filter(|c| c.id.starts_with("method/"))
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(method_cases.len(), 6);
    assert_eq!(ids_with(&report, Status::Failed), method_cases);
    for id in &method_cases {
        let c = case(&report, id);
        assert!(
            c.findings.iter().any(|f| f.message.contains("405")),
            "{id} should say it got 405: {:?}",
            c.findings
        );
    }
    let record = report
        .environment
        .expectations
        .iter()
        .find(|e| e.name == "http.wrong_method")
        .unwrap();
    assert_eq!(record.source, ExpectationSource::File);
    assert_eq!(record.value, "404");
    assert_eq!(record.reference, file.display().to_string());

    // The same with a JSON file, for a retcode: the reference gateway answers
    // another agent's call with 106-015, so ["106-011"] fails that case alone.
    let out = dir.path().join("out-json");
    let file = dir.path().join("call.json");
    std::fs::write(
        &file,
        r#"{"retcodes": {"other_agent_call": {"codes": ["106-011"], "reference": "vendor doc 7"}}}"#,
    )
    .unwrap();
    let (code, output) = run_into(&out, &["--expect", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{output}");
    let report = report_in(&out);
    assert_eq!(
        ids_with(&report, Status::Failed),
        BTreeSet::from(["body/other-agent-callid".to_owned()])
    );
    let record = report
        .environment
        .expectations
        .iter()
        .find(|e| e.name == "retcodes.other_agent_call")
        .unwrap();
    assert_eq!(record.source, ExpectationSource::File);
    assert_eq!(
        record.reference,
        format!("{}: vendor doc 7", file.display())
    );
}

#[test]
fn a_broken_expect_file_exits_2_naming_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content, needles) in [
        (
            "unknown-entry.toml",
            "[http.wrong_methd]\nstatuses = [\"405\"]\n",
            &["http.wrong_methd", "did you mean `http.wrong_method`"][..],
        ),
        (
            "unknown-field.toml",
            "[http.wrong_method]\nstatus = [\"405\"]\n",
            &["2:1", "http.wrong_method.status", "statuses"][..],
        ),
        (
            "malformed.toml",
            "[http.wrong_method\nstatuses = [\"405\"]\n",
            &["1:19"][..],
        ),
        (
            "bad-value.toml",
            "[policy.content_type]\noutcome = \"maybe\"\n",
            &["policy.content_type.outcome"][..],
        ),
        (
            "unknown-section.json",
            r#"{"htp": {"wrong_method": {"statuses": ["405"]}}}"#,
            &["htp"][..],
        ),
        (
            "unknown-field.json",
            r#"{"http": {"wrong_method": {"statuses": ["405"], "why": "x"}}}"#,
            &["http.wrong_method", "why"][..],
        ),
        ("malformed.json", r#"{"http": "#, &["1:"][..]),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let (code, output) = run_into(&out, &["--expect", file.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {output}");
        assert!(output.contains("--expect"), "{name}: {output}");
        assert!(
            output.contains(file.to_str().unwrap()),
            "{name}: the file is not named: {output}"
        );
        for needle in needles {
            assert!(
                output.contains(needle),
                "{name}: `{needle}` missing: {output}"
            );
        }
        assert!(
            !out.join("report.json").exists(),
            "{name}: a report was written"
        );
    }
    let missing = dir.path().join("missing.toml");
    let (code, output) = run_into(
        &dir.path().join("out-missing"),
        &["--expect", missing.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("missing.toml"), "{output}");
}

// ------------------------------------------------------------------ baselines

/// The cases whose `catches` name `fault`.
fn cases_naming(fault: &str) -> BTreeSet<String> {
    let schemas = Schemas::embedded().unwrap();
    let faults: Vec<&str> = ccgw_conformance::gateway::Fault::all()
        .iter()
        .map(|f| f.name())
        .collect();
    let suite = load_suite(&SuiteSource::Embedded, &schemas, &faults).unwrap();
    selftest::cases_by_fault(&suite)
        .remove(fault)
        .unwrap_or_default()
}

fn kinds(report: &RunReport, kind: ChangeKind) -> BTreeSet<String> {
    report
        .comparison
        .as_ref()
        .expect("the report has a comparison")
        .cases
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.id.clone())
        .collect()
}

#[test]
fn a_baseline_marks_exactly_the_cases_a_fault_changes() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean");
    let (code, output) = run_into(&clean, &[]);
    assert_eq!(code, 0, "{output}");
    let baseline = clean.join("report.json");
    let baseline = baseline.to_str().unwrap();
    let total = report_in(&clean).cases.len();

    // Each fault with the passing cases whose observed answer it changes: a
    // HEAD answered 200 instead of 405 still passes (http.wrong_method accepts
    // 200), but the comparison shows it.
    for (fault, changed) in [
        ("guid-optional", &[][..]),
        ("method-any", &["method/head"][..]),
        ("bound-upper-off", &[][..]),
    ] {
        let changed: BTreeSet<String> = changed.iter().map(|s| s.to_string()).collect();
        let named = cases_naming(fault);
        assert!(!named.is_empty(), "no case names {fault}");
        let mut failed_sets = Vec::new();
        for fail_on in ["any", "new"] {
            let out = dir.path().join(format!("{fault}-{fail_on}"));
            let (code, output) = run_into(
                &out,
                &[
                    "--fault",
                    fault,
                    "--baseline",
                    baseline,
                    "--fail-on",
                    fail_on,
                ],
            );
            assert_eq!(code, 1, "{fault} --fail-on {fail_on}: {output}");
            let report = report_in(&out);
            let failed: BTreeSet<String> = report
                .cases
                .iter()
                .filter(|c| matches!(c.status, Status::Failed | Status::Errored))
                .map(|c| c.id.clone())
                .collect();
            // Both directions: every naming case fails, and nothing else does.
            assert_eq!(failed, named, "{fault}: failed cases vs cases naming it");
            assert_eq!(kinds(&report, ChangeKind::NewFailure), failed, "{fault}");
            assert_eq!(kinds(&report, ChangeKind::Changed), changed, "{fault}");
            assert_eq!(
                kinds(&report, ChangeKind::Unchanged).len(),
                total - failed.len() - changed.len(),
                "{fault}: every other case is unchanged: {:#?}",
                report.comparison
            );
            assert!(out.join("comparison.json").is_file());
            failed_sets.push(failed);
        }
        assert_eq!(failed_sets[0], failed_sets[1]);
    }

    // A second clean run (new Guids, callids and signature) is all unchanged.
    let again = dir.path().join("again");
    let (code, output) = run_into(&again, &["--baseline", baseline, "--fail-on", "new"]);
    assert_eq!(code, 0, "{output}");
    let report = report_in(&again);
    assert_eq!(kinds(&report, ChangeKind::Unchanged).len(), total);
    let comparison = report.comparison.as_ref().unwrap();
    assert_eq!(comparison.counts[&ChangeKind::Unchanged], total);
    assert!(
        comparison
            .counts
            .iter()
            .all(|(k, n)| *k == ChangeKind::Unchanged || *n == 0),
        "{:?}",
        comparison.counts
    );
}

#[test]
fn fail_on_new_passes_a_known_failure_and_marks_it_still_failing() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    let (code, _) = run_into(&old, &["--fault", "guid-optional"]);
    assert_eq!(code, 1);
    let baseline = old.join("report.json");
    let args = |fail_on: &'static str| {
        vec![
            "--fault",
            "guid-optional",
            "--baseline",
            baseline.to_str().unwrap(),
            "--fail-on",
            fail_on,
        ]
    };
    let new = dir.path().join("new");
    let (code, output) = run_into(&new, &args("new"));
    assert_eq!(code, 0, "known failures only: {output}");
    let report = report_in(&new);
    assert_eq!(
        kinds(&report, ChangeKind::StillFailing),
        cases_naming("guid-optional")
    );
    let (code, output) = run_into(&dir.path().join("any"), &args("any"));
    assert_eq!(code, 1, "{output}");
}

#[test]
fn compare_exits_1_only_for_a_new_failure_and_writes_three_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    assert_eq!(run_into(&a, &[]).0, 0);
    assert_eq!(run_into(&b, &["--fault", "guid-optional"]).0, 1);
    assert_eq!(run_into(&c, &[]).0, 0);
    let report_of = |d: &Path| d.join("report.json").to_str().unwrap().to_owned();

    let out = dir.path().join("cmp-ab");
    let output = run(&[
        "compare",
        &report_of(&a),
        &report_of(&b),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    for file in ["comparison.md", "comparison.html", "comparison.json"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&read(&out.join("comparison.json"))).unwrap();
    let new_failures: BTreeSet<String> = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "new_failure")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(new_failures, cases_naming("guid-optional"));
    let md = read(&out.join("comparison.md"));
    for id in &new_failures {
        assert!(md.contains(id.as_str()), "{id} missing from comparison.md");
    }

    // The other way round the failures are fixed: nothing new fails.
    let out = dir.path().join("cmp-ba");
    let output = run(&[
        "compare",
        &report_of(&b),
        &report_of(&a),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));

    // Two clean runs of the same gateway: everything unchanged.
    let out = dir.path().join("cmp-ac");
    let output = run(&[
        "compare",
        &report_of(&a),
        &report_of(&c),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let json: serde_json::Value =
        serde_json::from_str(&read(&out.join("comparison.json"))).unwrap();
    assert!(
        json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] == "unchanged"),
        "{json:#}"
    );
}

// ------------------------------------------------------------------ the html report

fn banner(html: &str) -> &str {
    let start = html.find("<header class=\"banner").expect("a banner");
    let end = html[start..].find("</header>").expect("the banner ends") + start;
    &html[start..end]
}

#[test]
fn the_banner_says_conformant_or_not_conformant_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean");
    assert_eq!(run_into(&clean, &[]).0, 0);
    let html = read(&clean.join("report.html"));
    let top = banner(&html);
    assert!(
        top.starts_with("<header class=\"banner conformant\">"),
        "{top}"
    );
    assert!(top.contains("<h1>Conformant</h1>"), "{top}");
    assert!(!top.contains("Required cases"), "{top}");

    let faulty = dir.path().join("faulty");
    assert_eq!(run_into(&faulty, &["--fault", "guid-optional"]).0, 1);
    let html = read(&faulty.join("report.html"));
    let top = banner(&html);
    assert!(
        top.starts_with("<header class=\"banner not-conformant\">"),
        "{top}"
    );
    assert!(
        top.contains("<h1>Not conformant: 2 required cases failed</h1>"),
        "{top}"
    );
    // The banner names each failed required case, linked to its section.
    for id in cases_naming("guid-optional") {
        assert!(top.contains(&format!("href=\"#case-{id}\"")), "{id}: {top}");
        assert!(html.contains(&format!("id=\"case-{id}\"")), "{id}");
    }
    // The environment a person signs off.
    for needle in [
        "<th scope=\"row\">Target</th>",
        "<th scope=\"row\">Profile</th>",
        "<th scope=\"row\">Expectations</th>",
        "<th scope=\"row\">Tool</th>",
        "<th scope=\"row\">Date</th>",
        "<th scope=\"row\">TLS</th>",
        "<section id=\"requirements\">",
        "Content-Security-Policy",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
}

#[test]
fn without_a_live_callid_the_verdict_is_not_assessed_and_no_secret_leaks() {
    let schemas = Schemas::embedded().unwrap();
    let faults: Vec<&str> = ccgw_conformance::gateway::Fault::all()
        .iter()
        .map(|f| f.name())
        .collect();
    let suite = load_suite(&SuiteSource::Embedded, &schemas, &faults).unwrap();
    let profile = suite.profile("cec-23").unwrap().clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (report, secrets) = runtime.block_on(async {
        let embedded = selftest::start_embedded(&profile, &[], std::time::Duration::from_secs(3))
            .await
            .expect("the reference gateway starts");
        let secrets = [
            embedded.credentials.guid.clone(),
            embedded.credentials.callid.clone().unwrap(),
            embedded.credentials.other_guid.clone().unwrap(),
            embedded.credentials.other_callid.clone().unwrap(),
        ];
        // What a tester has without a live video call: no callid.
        let mut credentials = embedded.credentials.clone();
        credentials.callid = None;
        let expectations = suite.expectations_for(&profile);
        let mut plan = ccgw_conformance::runner::RunPlan::new(
            embedded.target.clone(),
            credentials.clone(),
            profile.clone(),
            expectations,
        );
        plan.timeout = std::time::Duration::from_secs(5);
        plan.concurrency = 8;
        let cases: Vec<_> = suite.cases.iter().collect();
        let redactor = selftest::redactor_for(&embedded.credentials);
        let info = ccgw_conformance::report::RunInfo {
            started_at: "2026-01-01T00:00:00Z".to_owned(),
            embedded_gateway: true,
            ..Default::default()
        };
        let report = support::run_plan(&plan, &cases, &redactor, info).await;
        embedded.gateway.shutdown().await;
        (report, secrets)
    });
    assert_eq!(
        report.summary.verdict,
        Verdict::NotAssessed,
        "{:#?}",
        report.summary
    );
    assert_eq!(report.summary.required_failed, 0);
    let skipped: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.status == Status::Skipped && c.severity == Severity::Required)
        .collect();
    assert!(!skipped.is_empty());
    assert!(!report.environment.has_callid);

    let html = ccgw_conformance::render::html::render(&report);
    let top = banner(&html);
    assert!(
        top.starts_with("<header class=\"banner not-assessed\">"),
        "{top}"
    );
    assert!(
        top.contains("<h1>Not assessed: 2 required cases skipped for lack of input"),
        "{top}"
    );
    assert!(top.contains("Required cases not run"), "{top}");
    for c in &skipped {
        assert!(
            top.contains(&format!("href=\"#case-{}\"", c.id)),
            "{}",
            c.id
        );
    }
    assert!(html.contains("none given (success cases are skipped)"));

    // No secret of either agent in any format.
    for format in ccgw_conformance::render::Format::ALL {
        let rendered = format.render(&report);
        for secret in &secrets {
            assert!(
                !rendered.contains(secret.as_str()),
                "{format:?} leaks a secret"
            );
        }
    }
}
