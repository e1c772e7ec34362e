//! Baselines and comparison: classification of every change kind, what is
//! ignored (durations, start times), loading baselines, and the renderings.

use std::collections::BTreeMap;
use std::path::Path;

use ccgw_conformance::compare::{
    self, FailOn, LoadError, compare, digest, has_new_failures, load_report, write_comparison,
};
use ccgw_conformance::report::{
    CaseResult, ChangeKind, CheckId, Comparison, Environment, FORMAT_VERSION, Finding,
    ResponseEvidence, RunReport, Severity, Status, Summary, TlsMode, ToolInfo, Verdict,
};

const SUCCESS_SHAPE: [&str; 4] = [
    "/message (string)",
    "/result (object)",
    "/result/userId (string)",
    "/retcode (string)",
];

/// A case with the given status and no response.
fn case(id: &str, status: Status) -> CaseResult {
    CaseResult {
        id: id.to_owned(),
        title: format!("title of {id}"),
        family: id.split('/').next().unwrap_or(id).to_owned(),
        severity: Severity::Required,
        requirements: vec!["REQ-TEST".to_owned()],
        status,
        reason: None,
        expected: "refused with 000-002".to_owned(),
        findings: Vec::new(),
        notes: Vec::new(),
        request: None,
        response: None,
        duration_ms: 12,
        duration_us: 12_000,
        attempts: Vec::new(),
        cause: None,
    }
}

/// Adds the observed response.
fn answered(
    mut c: CaseResult,
    http: u16,
    retcode: &str,
    message: &str,
    shape: &[&str],
) -> CaseResult {
    c.response = Some(Box::new(ResponseEvidence {
        status: http,
        headers: Vec::new(),
        body: format!("{{\"retcode\":\"{retcode}\"}}"),
        body_bytes: 20,
        truncated: false,
        retcode: Some(retcode.to_owned()),
        message: Some(message.to_owned()),
        shape: shape.iter().map(|s| (*s).to_owned()).collect(),
    }));
    c
}

/// Adds one finding per check id.
fn failing(mut c: CaseResult, checks: &[&str]) -> CaseResult {
    c.findings = checks
        .iter()
        .map(|check| Finding {
            check: check.parse().expect("a real check id"),
            message: format!("{check} did not hold"),
            instance_path: None,
            schema_path: None,
        })
        .collect();
    c
}

fn advisory(mut c: CaseResult) -> CaseResult {
    c.severity = Severity::Advisory;
    c
}

fn report(mut cases: Vec<CaseResult>, started_at: &str) -> RunReport {
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let count = |s: Status| cases.iter().filter(|c| c.status == s).count();
    RunReport {
        format_version: FORMAT_VERSION.to_owned(),
        tool: ToolInfo {
            name: "ccgw-conformance".to_owned(),
            version: "0.1.0".to_owned(),
            commit: None,
        },
        environment: Environment {
            label: None,
            sign_off: None,
            target: "https://127.0.0.1:8043".to_owned(),
            embedded_gateway: false,
            gateway_faults: Vec::new(),
            profile: "cec-23".to_owned(),
            profile_title: "CEC 2023".to_owned(),
            agent_id: "1001".to_owned(),
            tls: TlsMode::CustomCa,
            fresh_connections: false,
            has_callid: true,
            wall_time_us: None,
            started_at: started_at.to_owned(),
            suite: "embedded".to_owned(),
            only: None,
            expectations: Vec::new(),
            assumptions: Vec::new(),
            inputs: Vec::new(),
        },
        interrupted: false,
        summary: Summary {
            total: cases.len(),
            passed: count(Status::Passed),
            failed: count(Status::Failed),
            errored: count(Status::Errored),
            skipped: count(Status::Skipped),
            required_failed: 0,
            required_skipped: 0,
            verdict: Verdict::NotAssessed,
        },
        requirements: Vec::new(),
        cases,
        comparison: None,
        session: None,
        other_session: None,
        flow_control: Vec::new(),
        assessment: Default::default(),
    }
}

fn refused(id: &str, status: Status, retcode: &str) -> CaseResult {
    answered(
        case(id, status),
        200,
        retcode,
        "refused",
        &["/message (string)", "/retcode (string)"],
    )
}

/// Baseline and current reports with one or more cases of every kind.
fn old_and_new() -> (RunReport, RunReport) {
    let evil = "<script>alert(1)</script> | \"&' ü\nsecond line";
    let baseline = vec![
        // NewFailure from passed, and from skipped (errored, no response).
        refused("auth/no-guid", Status::Passed, "000-003"),
        case("auth/expired", Status::Skipped),
        // Fixed.
        failing(
            answered(
                case("method/get", Status::Failed),
                200,
                "0",
                "success",
                &SUCCESS_SHAPE,
            ),
            &["http.status", "outcome.served"],
        ),
        // StillFailing, with a different retcode.
        failing(
            refused("body/empty", Status::Failed, "000-006"),
            &["retcode.expected"],
        ),
        // Changed: failed for other checks.
        failing(
            refused("body/not-json", Status::Failed, "0"),
            &["retcode.expected"],
        ),
        // Changed: same status, other retcode and http status.
        answered(case("agent/max", Status::Passed), 405, "000-002", "", &[]),
        // Changed: shape.
        answered(
            case("success/valid", Status::Passed),
            200,
            "0",
            "success",
            &SUCCESS_SHAPE,
        ),
        // Changed: passed -> skipped.
        answered(
            case("success/again", Status::Passed),
            200,
            "0",
            "success",
            &SUCCESS_SHAPE,
        ),
        // Changed: evil message text.
        refused("evil/message", Status::Passed, "100-006"),
        // Unchanged.
        refused("agent/min", Status::Passed, "000-002"),
        // Removed.
        refused("old/case", Status::Passed, "000-002"),
    ];
    let mut new_shape: Vec<&str> = SUCCESS_SHAPE.to_vec();
    new_shape.retain(|s| *s != "/result/userId (string)");
    new_shape.push("/result/user_id (number)");
    let mut unchanged = refused("agent/min", Status::Passed, "000-002");
    unchanged.duration_ms = 9_999;
    let current = vec![
        failing(
            refused("auth/no-guid", Status::Failed, "0"),
            &["retcode.expected"],
        ),
        case("auth/expired", Status::Errored),
        answered(case("method/get", Status::Passed), 405, "000-001", "", &[]),
        failing(
            refused("body/empty", Status::Failed, "000-002"),
            &["retcode.expected"],
        ),
        failing(
            answered(case("body/not-json", Status::Failed), 500, "0", "", &[]),
            &["http.status", "retcode.expected"],
        ),
        answered(case("agent/max", Status::Passed), 404, "100-006", "", &[]),
        answered(
            case("success/valid", Status::Passed),
            200,
            "0",
            "success",
            &new_shape,
        ),
        case("success/again", Status::Skipped),
        answered(
            case("evil/message", Status::Passed),
            200,
            "100-006",
            evil,
            &["/message (string)", "/retcode (string)"],
        ),
        unchanged,
        // Added, failing: counts as a new failure.
        failing(
            refused("new/case", Status::Failed, "0"),
            &["retcode.expected"],
        ),
    ];
    (
        report(baseline, "2026-01-01T00:00:00Z"),
        report(current, "2026-02-01T00:00:00Z"),
    )
}

fn compared() -> Comparison {
    let (old, new) = old_and_new();
    compare(&old, &new, "old/report.json", "new/report.json")
}

fn kinds(c: &Comparison) -> BTreeMap<&str, ChangeKind> {
    c.cases.iter().map(|ch| (ch.id.as_str(), ch.kind)).collect()
}

fn details<'a>(c: &'a Comparison, id: &str) -> Vec<&'a str> {
    let change = c.cases.iter().find(|ch| ch.id == id).expect("case present");
    change.details.iter().map(String::as_str).collect()
}

#[test]
fn every_change_kind_is_classified() {
    let c = compared();
    let expected: BTreeMap<&str, ChangeKind> = [
        ("agent/max", ChangeKind::Changed),
        ("agent/min", ChangeKind::Unchanged),
        ("auth/expired", ChangeKind::NewFailure),
        ("auth/no-guid", ChangeKind::NewFailure),
        ("body/empty", ChangeKind::StillFailing),
        ("body/not-json", ChangeKind::Changed),
        ("evil/message", ChangeKind::Changed),
        ("method/get", ChangeKind::Fixed),
        ("new/case", ChangeKind::Added),
        ("old/case", ChangeKind::Removed),
        ("success/again", ChangeKind::Changed),
        ("success/valid", ChangeKind::Changed),
    ]
    .into_iter()
    .collect();
    assert_eq!(kinds(&c), expected);

    let ids: Vec<&str> = c.cases.iter().map(|ch| ch.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "cases are sorted by id");

    let counts: Vec<(ChangeKind, usize)> = c.counts.iter().map(|(k, n)| (*k, *n)).collect();
    assert_eq!(
        counts,
        vec![
            (ChangeKind::NewFailure, 2),
            (ChangeKind::Fixed, 1),
            (ChangeKind::StillFailing, 1),
            (ChangeKind::Unchanged, 1),
            (ChangeKind::Changed, 5),
            (ChangeKind::Added, 1),
            (ChangeKind::Removed, 1),
        ]
    );
    assert_eq!(c.baseline, "old/report.json");
    assert_eq!(c.current, "new/report.json");
}

#[test]
fn added_and_removed_carry_one_side() {
    let c = compared();
    let added = c.cases.iter().find(|ch| ch.id == "new/case").unwrap();
    assert!(added.before.is_none() && added.after.is_some());
    let removed = c.cases.iter().find(|ch| ch.id == "old/case").unwrap();
    assert!(removed.before.is_some() && removed.after.is_none());
}

#[test]
fn details_say_what_differs() {
    let c = compared();
    assert_eq!(
        details(&c, "agent/max"),
        vec!["http status 405 -> 404", "retcode 000-002 -> 100-006"]
    );
    assert_eq!(details(&c, "success/again"), vec!["passed -> skipped"]);
    assert_eq!(
        details(&c, "success/valid"),
        vec!["shape: +/result/user_id (number), -/result/userId (string)"]
    );
    assert_eq!(
        details(&c, "body/not-json"),
        vec![
            "http status 200 -> 500",
            "message \"refused\" -> \"\"",
            "shape: -/message (string), -/retcode (string)",
            "checks: +http.status",
        ]
    );
    // Same checks: still failing, and the observed change is still shown.
    assert_eq!(
        details(&c, "body/empty"),
        vec!["retcode 000-006 -> 000-002"]
    );
    assert_eq!(
        details(&c, "auth/no-guid"),
        vec![
            "passed -> failed",
            "retcode 000-003 -> 0",
            "checks: +retcode.expected"
        ]
    );
    assert_eq!(details(&c, "auth/expired"), vec!["skipped -> errored"]);
    assert!(details(&c, "agent/min").is_empty());
    assert!(details(&c, "new/case").is_empty());
}

#[test]
fn identical_runs_are_unchanged_despite_time() {
    let (old, _) = old_and_new();
    let mut again = old.clone();
    again.environment.started_at = "2031-12-31T23:59:59Z".to_owned();
    for (i, c) in again.cases.iter_mut().enumerate() {
        c.duration_ms = 100_000 + i as u64;
        c.findings.reverse();
    }
    let c = compare(&old, &again, "a", "b");
    assert!(
        c.cases
            .iter()
            .all(|ch| ch.kind == ChangeKind::Unchanged || ch.kind == ChangeKind::StillFailing)
    );
    assert!(c.cases.iter().all(|ch| ch.details.is_empty()), "{c:#?}");
    assert_eq!(
        c.counts[&ChangeKind::Unchanged] + c.counts[&ChangeKind::StillFailing],
        old.cases.len()
    );
    assert!(!has_new_failures(&c));

    // A run of only passing and skipped cases compares all-unchanged.
    let passing: Vec<CaseResult> = old
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Passed | Status::Skipped))
        .cloned()
        .collect();
    let old = report(passing.clone(), "2026-01-01T00:00:00Z");
    let mut new = report(passing, "2026-03-01T10:00:00Z");
    new.cases.iter_mut().for_each(|c| c.duration_ms *= 7);
    let c = compare(&old, &new, "a", "b");
    assert_eq!(c.counts[&ChangeKind::Unchanged], old.cases.len());
    assert!(c.cases.iter().all(|ch| ch.kind == ChangeKind::Unchanged));
}

#[test]
fn digest_sorts_and_deduplicates_checks() {
    let c = failing(
        refused("x/y", Status::Failed, "0"),
        &["result.schema", "http.status", "result.schema"],
    );
    let d = digest(&c);
    assert_eq!(
        d.failed_checks,
        vec![CheckId::HttpStatus, CheckId::ResultSchema]
    );
    assert_eq!(d.http_status, Some(200));
    assert_eq!(d.retcode.as_deref(), Some("0"));
    assert_eq!(d.message.as_deref(), Some("refused"));
    assert_eq!(d.status, Status::Failed);
}

#[test]
fn new_failures_decide_the_exit() {
    let c = compared();
    assert!(has_new_failures(&c));

    // Only a fix: nothing new fails.
    let old = report(
        vec![failing(
            refused("a/b", Status::Failed, "0"),
            &["http.status"],
        )],
        "t0",
    );
    let new = report(vec![refused("a/b", Status::Passed, "000-002")], "t1");
    let c = compare(&old, &new, "a", "b");
    assert!(!has_new_failures(&c));
    assert!(!FailOn::New.fails_run(&new, &c));
    assert!(!FailOn::Any.fails_run(&new, &c));

    // A known failure fails `any`, not `new`.
    let new = report(
        vec![failing(
            refused("a/b", Status::Failed, "0"),
            &["http.status"],
        )],
        "t1",
    );
    let c = compare(&old, &new, "a", "b");
    assert!(!has_new_failures(&c));
    assert!(!FailOn::New.fails_run(&new, &c));
    assert!(FailOn::Any.fails_run(&new, &c));

    // An added case that fails is new.
    let new = report(
        vec![
            failing(refused("a/b", Status::Failed, "0"), &["http.status"]),
            case("c/d", Status::Errored),
        ],
        "t1",
    );
    let c = compare(&old, &new, "a", "b");
    assert!(has_new_failures(&c));
    assert!(FailOn::New.fails_run(&new, &c));

    // An advisory new failure is reported but fails no run.
    let old = report(vec![advisory(refused("a/b", Status::Passed, "0"))], "t0");
    let new = report(vec![advisory(case("a/b", Status::Failed))], "t1");
    let c = compare(&old, &new, "a", "b");
    assert!(has_new_failures(&c));
    assert!(!FailOn::New.fails_run(&new, &c));
    assert!(!FailOn::Any.fails_run(&new, &c));

    assert_eq!(FailOn::default(), FailOn::Any);
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn load_report_reads_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let (old, _) = old_and_new();
    let path = write(
        dir.path(),
        "report.json",
        &serde_json::to_string_pretty(&old).unwrap(),
    );
    assert_eq!(load_report(&path).unwrap(), old);
}

#[test]
fn load_report_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("nope.json");
    let err = load_report(&missing).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err:?}");
    assert_eq!(err.path(), missing);
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let not_json = write(dir.path(), "notes.txt", "retcode: 0\n");
    let err = load_report(&not_json).unwrap_err();
    assert!(matches!(err, LoadError::NotJson { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&not_json.display().to_string()), "{msg}");
    assert!(
        msg.contains("not a JSON report") && msg.contains("line 1"),
        "{msg}"
    );

    let (old, _) = old_and_new();
    let mut value = serde_json::to_value(&old).unwrap();
    value["format_version"] = "2".into();
    let v2 = write(dir.path(), "v2.json", &value.to_string());
    let err = load_report(&v2).unwrap_err();
    assert!(
        matches!(err, LoadError::UnsupportedVersion { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&v2.display().to_string()), "{msg}");
    assert!(
        msg.contains("format_version \"2\" is not supported")
            && msg.contains("reads format_version \"1\""),
        "{msg}"
    );

    value.as_object_mut().unwrap().remove("format_version");
    let none = write(dir.path(), "none.json", &value.to_string());
    let msg = load_report(&none).unwrap_err().to_string();
    assert!(msg.contains("format_version is missing"), "{msg}");

    value["format_version"] = "1".into();
    value["cases"][1]["status"] = "fail".into();
    let bad = write(dir.path(), "bad.json", &value.to_string());
    let err = load_report(&bad).unwrap_err();
    assert!(matches!(err, LoadError::Invalid { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&bad.display().to_string()), "{msg}");
    assert!(msg.contains("cases[1].status"), "{msg}");

    let array = write(dir.path(), "array.json", "[1, 2]");
    let err = load_report(&array).unwrap_err();
    assert!(matches!(err, LoadError::NotJson { .. }), "{err:?}");
}

#[test]
fn markdown_rendering() {
    insta::assert_snapshot!(
        "comparison_markdown",
        compare::render::markdown(&compared())
    );
}

#[test]
fn markdown_rendering_all_unchanged() {
    let (old, _) = old_and_new();
    let c = compare(&old, &old, "run 1", "run 2");
    let passing = Comparison {
        cases: c
            .cases
            .into_iter()
            .filter(|ch| ch.kind == ChangeKind::Unchanged)
            .collect(),
        ..c
    };
    let mut passing = passing;
    passing.counts = [(ChangeKind::Unchanged, passing.cases.len())]
        .into_iter()
        .collect();
    insta::assert_snapshot!(
        "comparison_markdown_unchanged",
        compare::render::markdown(&passing)
    );
}

#[test]
fn html_rendering() {
    let html = compare::render::html(&compared());
    assert!(!html.contains("<script"), "data must be escaped");
    assert!(html.contains("&lt;script&gt;"));
    // A URL as text (the compared targets) is data; one in an attribute or a
    // style sheet would be a load.
    for resource in ["=\"http", "url(", "<link", " src=", "<script"] {
        assert!(!html.contains(resource), "found {resource}");
    }
    insta::assert_snapshot!("comparison_html", html);
}

#[test]
fn json_rendering() {
    let c = compared();
    let json = compare::render::json(&c);
    let back: Comparison = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    insta::assert_snapshot!("comparison_json", json);
}

#[test]
fn write_comparison_writes_three_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let c = compared();
    let paths = write_comparison(&c, &out).unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["comparison.md", "comparison.html", "comparison.json"]
    );
    assert_eq!(
        std::fs::read_to_string(&paths[0]).unwrap(),
        compare::render::markdown(&c)
    );
    assert_eq!(
        std::fs::read_to_string(&paths[2]).unwrap(),
        compare::render::json(&c)
    );

    // A file where the folder should be: the error names the path.
    let blocked = write(dir.path(), "file", "");
    let err = write_comparison(&c, &blocked.join("sub")).unwrap_err();
    assert!(err.to_string().contains("file"), "{err}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_status() -> impl Strategy<Value = Status> {
        prop_oneof![
            Just(Status::Passed),
            Just(Status::Failed),
            Just(Status::Errored),
            Just(Status::Skipped),
        ]
    }

    fn any_case() -> impl Strategy<Value = CaseResult> {
        (
            0..6u8,
            any_status(),
            proptest::option::of((
                prop_oneof![Just(200u16), Just(404), Just(405)],
                prop_oneof![Just("0"), Just("000-002"), Just("100-006")],
            )),
            proptest::sample::subsequence(
                vec!["http.status", "retcode.expected", "result.schema"],
                0..3,
            ),
            0..10_000u64,
        )
            .prop_map(|(n, status, response, checks, duration)| {
                let mut c = case(&format!("family/case-{n}"), status);
                if let Some((http, retcode)) = response {
                    c = answered(c, http, retcode, "text", &["/retcode (string)"]);
                }
                c = failing(c, &checks);
                c.duration_ms = duration;
                c
            })
    }

    fn any_report() -> impl Strategy<Value = RunReport> {
        proptest::collection::vec(any_case(), 0..6).prop_map(|mut cases| {
            cases.sort_by(|a, b| a.id.cmp(&b.id));
            cases.dedup_by(|a, b| a.id == b.id);
            report(cases, "2026-01-01T00:00:00Z")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn a_report_against_itself_shows_no_change(r in any_report()) {
            let mut later = r.clone();
            later.environment.started_at = "2027-01-01T00:00:00Z".to_owned();
            later.cases.iter_mut().for_each(|c| c.duration_ms += 1);
            let c = compare(&r, &later, "a", "b");
            prop_assert!(!has_new_failures(&c));
            for change in &c.cases {
                prop_assert!(change.details.is_empty());
                prop_assert!(matches!(change.kind, ChangeKind::Unchanged | ChangeKind::StillFailing));
            }
            prop_assert_eq!(c.counts.values().sum::<usize>(), r.cases.len());
        }

        #[test]
        fn swapping_sides_mirrors_the_kinds(old in any_report(), new in any_report()) {
            let forth = compare(&old, &new, "old", "new");
            let back = compare(&new, &old, "new", "old");
            prop_assert_eq!(forth.cases.len(), back.cases.len());
            for (f, b) in forth.cases.iter().zip(&back.cases) {
                prop_assert_eq!(&f.id, &b.id);
                // Not every kind mirrors: skipped -> failed is a new failure,
                // failed -> skipped only a change (it is not fixed).
                let mirrored = match f.kind {
                    ChangeKind::Added => Some(ChangeKind::Removed),
                    ChangeKind::Removed => Some(ChangeKind::Added),
                    ChangeKind::Fixed => Some(ChangeKind::NewFailure),
                    ChangeKind::Unchanged => Some(ChangeKind::Unchanged),
                    ChangeKind::StillFailing => Some(ChangeKind::StillFailing),
                    ChangeKind::NewFailure | ChangeKind::Changed => None,
                };
                if let Some(kind) = mirrored {
                    prop_assert_eq!(kind, b.kind, "{}", f.id);
                }
                prop_assert_eq!(f.details.is_empty(), b.details.is_empty());
            }
        }
    }
}
