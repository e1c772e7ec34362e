//! Case evidence spilled to disk and reports streamed from it (issue 13):
//! the same report files as a run held whole in memory, the spill file
//! private and removed, and a secret learned late hidden in the evidence
//! of an early case read back from the spill.

use crate::support::{self, bin, run_bin};
use ccgw_conformance::gateway::Fault;
use ccgw_conformance::pipeline::{self, RunSession, SpilledReport};
use ccgw_conformance::redact::Redactor;
use ccgw_conformance::render::{self, Format, ReportView};
use ccgw_conformance::report::{
    CaseResult, CaseResults, PlanFacts, ResponseEvidence, RunInfo, RunReport, RunResults, Severity,
    Status, TlsMode,
};
use ccgw_conformance::runner::{EventListener, RunEvent};
use ccgw_conformance::selftest;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Runs the default suite against the reference gateway with `faults`,
/// the evidence spilled under `spill`; with `stop_after`, interrupted once
/// that many cases finished.
async fn spilled_run(
    faults: &[Fault],
    baseline: Option<RunReport>,
    stop_after: Option<usize>,
    spill: &Path,
) -> (SpilledReport, Redactor) {
    let (schemas, suite) = support::suite();
    let profile = suite.profile("cec-23").expect("profile");
    let embedded = selftest::start_embedded(profile, faults, Duration::from_secs(120))
        .await
        .expect("the gateway starts");
    let mut plan = ccgw_conformance::runner::RunPlan::new(
        embedded.target.clone(),
        embedded.credentials.clone(),
        profile.clone(),
        suite.expectations_for(profile),
    );
    plan.timeout = Duration::from_secs(30);
    plan.concurrency = 1;
    let redactor = embedded.redactor();
    let session = RunSession {
        suite,
        schemas,
        cases: suite.cases.iter().collect(),
        plan,
        info: RunInfo {
            started_at: "1970-01-01T00:00:00Z".to_owned(),
            embedded_gateway: true,
            gateway_faults: faults.iter().map(|f| f.name().to_owned()).collect(),
            ..RunInfo::default()
        },
        redactor: redactor.clone(),
        baseline: baseline.map(|b| (b, "baseline/report.json".to_owned())),
    };
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut listener = StopAfter {
        left: stop_after.unwrap_or(usize::MAX),
        stop: stop.clone(),
    };
    let store = CaseResults::spilled(Some(spill), session.cases.len()).expect("a spill file");
    let results = pipeline::run_cases_into(&session, &mut listener, stop.notified(), store)
        .await
        .expect("the run starts");
    embedded.gateway.shutdown().await;
    (pipeline::spilled_report_of(&session, results), redactor)
}

/// Interrupts the run once `left` cases finished.
struct StopAfter {
    left: usize,
    stop: Arc<tokio::sync::Notify>,
}

impl EventListener for StopAfter {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        if let RunEvent::CaseFinished { .. } = event {
            self.left = self.left.saturating_sub(1);
            if self.left == 0 {
                self.stop.notify_one();
            }
        }
    }
}

/// Writes `spilled` both ways (streamed from the spill, and whole in
/// memory) and asserts the files are byte for byte the same.
fn assert_same_files_both_ways(spilled: SpilledReport, redactor: &Redactor) -> RunReport {
    assert!(spilled.evidence.is_spilled(), "the evidence was spilled");
    let streamed = tempfile::tempdir().expect("tempdir");
    let whole = tempfile::tempdir().expect("tempdir");
    let names = render::write_report_view(&spilled.view(redactor), streamed.path(), redactor)
        .expect("streamed reports written");
    let report = spilled.into_report(redactor);
    render::write_report_set(&report, whole.path(), redactor).expect("reports written");
    assert!(names.len() >= 4, "{names:?}");
    for path in names {
        let name = path.file_name().expect("a file name");
        let a = std::fs::read(streamed.path().join(name)).expect("streamed file");
        let b = std::fs::read(whole.path().join(name)).expect("whole file");
        assert!(
            a == b,
            "{} differs between the streamed and the in-memory path",
            name.to_string_lossy()
        );
    }
    report
}

#[test]
fn a_run_with_failures_writes_the_same_files_both_ways() {
    let spill = tempfile::tempdir().expect("tempdir");
    let (spilled, redactor) = support::runtime().block_on(spilled_run(
        &[Fault::GuidOptional],
        None,
        None,
        spill.path(),
    ));
    let report = assert_same_files_both_ways(spilled, &redactor);
    assert!(report.summary.failed > 0, "the fault is caught");
    assert!(
        report
            .cases
            .iter()
            .any(|c| c.status == Status::Failed && c.request.is_some()),
        "the failures carry their evidence"
    );
}

#[test]
fn an_interrupted_run_writes_the_same_files_both_ways() {
    let spill = tempfile::tempdir().expect("tempdir");
    let (spilled, redactor) =
        support::runtime().block_on(spilled_run(&[], None, Some(5), spill.path()));
    let report = assert_same_files_both_ways(spilled, &redactor);
    assert!(report.interrupted);
    let unfinished = report
        .cases
        .iter()
        .filter(|c| c.reason.as_deref() == Some("interrupted before it finished"))
        .count();
    assert!(unfinished > 0, "the unfinished cases are marked");
}

#[test]
fn a_run_compared_with_a_baseline_writes_the_same_files_both_ways() {
    let baseline = support::run_reference("cec-23", &[], None);
    let spill = tempfile::tempdir().expect("tempdir");
    let (spilled, redactor) = support::runtime().block_on(spilled_run(
        &[Fault::GuidOptional],
        Some(baseline.clone()),
        None,
        spill.path(),
    ));
    let mut report = assert_same_files_both_ways(spilled, &redactor);
    let comparison = report.comparison.take().expect("a comparison");
    assert!(ccgw_conformance::compare::has_new_failures(&comparison));
    // The briefs kept what the comparison reads: the same as compared whole.
    let mut whole =
        ccgw_conformance::compare::compare(&baseline, &report, "baseline/report.json", "this run");
    redactor.comparison(&mut whole);
    assert_eq!(comparison, whole);
}

/// A case with a response body, as the runner records it.
fn case(id: &str, body: &str) -> CaseResult {
    CaseResult {
        id: id.to_owned(),
        title: "a case".to_owned(),
        family: id.split('/').next().unwrap_or_default().to_owned(),
        severity: Severity::Required,
        requirements: vec!["REQ-METHOD".to_owned()],
        status: Status::Passed,
        reason: None,
        expected: "served".to_owned(),
        findings: Vec::new(),
        notes: Vec::new(),
        request: None,
        response: Some(Box::new(ResponseEvidence {
            status: 200,
            headers: Vec::new(),
            body: body.to_owned(),
            body_bytes: body.len(),
            truncated: false,
            retcode: Some("0".to_owned()),
            message: None,
            shape: Vec::new(),
        })),
        attempts: Vec::new(),
        duration_ms: 1,
        duration_us: 1_000,
        cause: None,
    }
}

fn facts() -> PlanFacts {
    PlanFacts {
        target: "https://127.0.0.1:1".to_owned(),
        tls: TlsMode::CustomCa,
        fresh_connections: false,
        profile: "cec-23".to_owned(),
        profile_title: "CEC 23".to_owned(),
        agent_id: "1001".to_owned(),
        has_callid: true,
        expectations: Vec::new(),
        assumptions: Vec::new(),
    }
}

#[test]
fn a_secret_learned_in_the_last_case_is_hidden_in_the_first_case_read_back() {
    let late = "c2lnbmF0dXJlLWxlYXJuZWQtbGF0ZQ";
    let spill = tempfile::tempdir().expect("tempdir");
    let mut store = CaseResults::spilled(Some(spill.path()), 2).expect("a spill file");
    // The first case quotes a value nobody knows to be secret yet.
    store.push(case("a/first", &format!("{{\"note\":\"{late}\"}}")));
    let redactor = Redactor::new();
    // The last case's response names it a signature: learned from now on.
    let last = format!("{{\"signature\":\"{late}\"}}");
    redactor.learn_from_response(&[], last.as_bytes());
    let mut second = case("b/last", &last);
    redactor.case_result(&mut second);
    store.push(second);
    let results = RunResults {
        cases: store,
        ..RunResults::default()
    };
    let (_, suite) = support::suite();
    let (report, evidence) =
        ccgw_conformance::report::assemble_spilled(suite, &facts(), &RunInfo::default(), results);
    assert!(evidence.is_spilled());
    // The brief holds no body: only the spill does.
    assert_eq!(report.cases[0].response.as_ref().expect("brief").body, "");
    let view = ReportView::spilled(&report, &evidence, &redactor);
    let first = view.case(0).expect("read back");
    let body = &first.response.as_ref().expect("the evidence").body;
    assert!(!body.contains(late), "{body}");
    assert!(body.contains("<redacted>"), "{body}");
    for format in Format::ALL {
        let mut bytes = Vec::new();
        format.write(&view, &mut bytes).expect("rendered");
        let text = String::from_utf8(bytes).expect("UTF-8");
        assert!(!text.contains(late), "{format:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_spill_folder_is_private_and_removed_also_on_a_panic() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().expect("tempdir");
    let mut store = CaseResults::spilled(Some(parent.path()), 1).expect("a spill file");
    store.push(case("a/one", "{}"));
    let dir = store.spill_dir().expect("a spill folder").to_path_buf();
    let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .collect();
    // The evidence, and (where /proc tells processes apart) the owner's tag.
    assert!(!files.is_empty() && files.len() <= 2, "{files:?}");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _store = store;
        panic!("a run that breaks");
    }));
    assert!(panicked.is_err());
    assert!(!dir.exists(), "the spill folder is removed");
    assert_eq!(
        std::fs::read_dir(parent.path()).expect("readable").count(),
        0
    );
}

#[test]
fn the_binary_leaves_no_spill_behind() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.env("TMPDIR", tmp.path())
        .args(["run", "--quiet", "--fault", "guid-optional", "--out"])
        .arg(out.path());
    let run = run_bin(cmd, Duration::from_secs(300));
    assert_eq!(run.code, Some(1), "{}", run.console());
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("readable")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let json = std::fs::read_to_string(out.path().join("report.json")).expect("report.json");
    let report: RunReport = serde_json::from_str(&json).expect("parses");
    assert!(
        report
            .cases
            .iter()
            .filter(|c| c.status != Status::Skipped)
            .all(|c| c.request.is_some() && c.response.is_some()),
        "every case that ran has its evidence in report.json"
    );
}

#[test]
fn report_json_streamed_is_the_model_serialized_whole() {
    let mut fixtures = crate::render::reports::all();
    // One with every optional part: label, sign-off, session, comparison.
    let mut full = crate::render::reports::by_name("compared");
    full.environment.label = Some("R23.200 staging".to_owned());
    full.session = Some(ccgw_conformance::report::SessionReport {
        agent_id: "1001".to_owned(),
        sign_out: "signed out".to_owned(),
        ..Default::default()
    });
    fixtures.push(("everything", full));
    for (name, report) in fixtures {
        let whole = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
        assert_eq!(Format::Json.render(&report), whole, "{name}");
    }
}
