//! Shared code of the integration tests: the suite loaded once, runs against
//! the reference gateway, the hostile server, a library run against a URL,
//! and the built binary run with a deadline.

// Each test file uses a different part of this module.
#![allow(dead_code)]

pub mod hostile;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ccgw_conformance::report::{CaseResult, RunInfo, RunReport};
use ccgw_conformance::runner::{self, Credentials, RunPlan, Target, TlsSetup};
use ccgw_conformance::schemas::Schemas;
use ccgw_conformance::suite::{Case, Suite, SuiteSource, load_suite};

/// The Guid sent to hostile targets: a secret that must never be written.
pub const GUID: &str = "5f3c2a71-9d4e-4b8a-a1c3-7e6d9f0b2c44.AgentGateway1";
/// The live callid given to hostile targets.
pub const CALLID: &str = "1700000000-42424242";
/// The agent id given to hostile targets.
pub const AGENT: &str = "1001";

/// The embedded schemas and suite, loaded once per test binary.
pub fn suite() -> &'static (Schemas, Suite) {
    static SUITE: std::sync::OnceLock<(Schemas, Suite)> = std::sync::OnceLock::new();
    SUITE.get_or_init(|| {
        let schemas = Schemas::embedded().expect("embedded schemas compile");
        let faults: Vec<&str> = ccgw_conformance::gateway::Fault::all()
            .iter()
            .map(|f| f.name())
            .collect();
        let suite =
            load_suite(&SuiteSource::Embedded, &schemas, &faults).expect("embedded suite loads");
        (schemas, suite)
    })
}

/// A tokio runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `cases` (all when `None`) against a fresh reference gateway with `faults` on.
pub fn run_reference(
    profile: &str,
    faults: &[ccgw_conformance::gateway::Fault],
    cases: Option<&[&Case]>,
) -> RunReport {
    use ccgw_conformance::selftest::{self, SelfTestOptions};
    let (schemas, suite) = suite();
    let profile = suite.profile(profile).expect("profile exists");
    runtime()
        .block_on(selftest::run_embedded(
            suite,
            schemas,
            profile,
            faults,
            cases,
            &SelfTestOptions::default(),
            &mut runner::NoListener,
        ))
        .expect("self-test run starts")
}

/// Knobs of a library run against a hostile target.
#[derive(Debug, Clone)]
pub struct Knobs {
    pub timeout: Duration,
    pub concurrency: usize,
    pub connections: runner::ConnectionPolicy,
    pub body_cap: usize,
    pub tls: TlsSetup,
    pub client_identity: Option<runner::ClientIdentity>,
    /// Send control requests. Off by default here: a hostile server answers
    /// every request alike, so its answer to the control would decide the
    /// run before the case under test is sent.
    pub control: bool,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            timeout: Duration::from_secs(5),
            concurrency: 4,
            connections: runner::ConnectionPolicy::Reuse,
            body_cap: 1024 * 1024,
            tls: TlsSetup::System,
            client_identity: None,
            control: false,
        }
    }
}

/// Runs the cases `ids` (all when empty) against `url` through the library,
/// with [`GUID`], [`AGENT`] and [`CALLID`], profile `cec-23`.
pub async fn run_library(url: &str, ids: &[&str], knobs: Knobs) -> RunReport {
    let (_, suite) = suite();
    let profile = suite.profile("cec-23").expect("cec-23 profile").clone();
    let expectations = suite.expectations_for(&profile);
    let cases: Vec<&Case> = suite
        .cases
        .iter()
        .filter(|c| ids.is_empty() || ids.contains(&c.id.as_str()))
        .collect();
    assert!(
        ids.is_empty() || cases.len() == ids.len(),
        "unknown case id in {ids:?}"
    );
    let credentials = Credentials {
        agent_id: AGENT.to_owned(),
        guid: GUID.to_owned(),
        callid: Some(CALLID.to_owned()),
        ..Credentials::default()
    };
    let redactor = ccgw_conformance::selftest::redactor_for(&credentials);
    let mut plan = RunPlan::new(
        Target {
            base_url: reqwest::Url::parse(url).expect("url parses"),
            tls: knobs.tls,
            client_identity: knobs.client_identity,
        },
        credentials,
        profile,
        expectations,
    );
    plan.timeout = knobs.timeout;
    plan.concurrency = knobs.concurrency;
    plan.body_cap = knobs.body_cap;
    plan.connections = knobs.connections;
    plan.control = knobs.control;
    run_plan(&plan, &cases, &redactor, RunInfo::default()).await
}

/// Runs `cases` under `plan` through the library and assembles the report
/// (start time 1970-01-01, unless `info` says otherwise).
pub async fn run_plan(
    plan: &RunPlan,
    cases: &[&Case],
    redactor: &ccgw_conformance::redact::Redactor,
    mut info: RunInfo,
) -> RunReport {
    let (schemas, suite) = suite();
    if info.started_at.is_empty() {
        info.started_at = "1970-01-01T00:00:00Z".to_owned();
    }
    let session = ccgw_conformance::pipeline::RunSession {
        suite,
        schemas,
        cases: cases.to_vec(),
        plan: plan.clone(),
        info,
        redactor: redactor.clone(),
        baseline: None,
    };
    ccgw_conformance::pipeline::run_session(
        &session,
        &mut runner::NoListener,
        std::future::pending(),
    )
    .await
    .expect("the run starts")
}

/// The result of case `id` in `report`.
pub fn case<'a>(report: &'a RunReport, id: &str) -> &'a CaseResult {
    report
        .cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("case {id} in the report"))
}

/// Check ids of a case's findings.
pub fn checks(case: &CaseResult) -> Vec<&str> {
    case.findings.iter().map(|f| f.check.as_str()).collect()
}

/// What the binary did.
#[derive(Debug)]
pub struct BinOutput {
    /// Exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl BinOutput {
    /// stdout and stderr together, for searching.
    pub fn console(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// The built binary with no inherited `CCGW_*` variables.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccgw-conformance"));
    for (name, _) in std::env::vars() {
        if name.starts_with("CCGW_") {
            cmd.env_remove(name);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The binary set to `run --target url --agent-id AGENT`.
/// Control requests are off (`--no-control`): a hostile server answers every
/// request alike, so its answer to the control would decide the run before
/// the case under test is sent.
pub fn run_target(url: &str) -> Command {
    let mut cmd = bin();
    cmd.args(["run", "--target", url, "--agent-id", AGENT, "--no-control"]);
    cmd
}

/// Runs the binary with `args` to its end.
pub fn run_args(args: &[&str]) -> std::process::Output {
    bin().args(args).output().expect("the binary runs")
}

/// Stdout then stderr of `output`, as text.
pub fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `cmd` to its end; kills it (by its pid) and panics past `deadline`.
/// Blocking: call it from `spawn_blocking` when servers run on the runtime.
pub fn run_bin(mut cmd: Command, deadline: Duration) -> BinOutput {
    let started = Instant::now();
    let mut child = cmd.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the binary ran longer than {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    BinOutput {
        code: status.code(),
        stdout: out.join().expect("reader"),
        stderr: err.join().expect("reader"),
        elapsed: started.elapsed(),
    }
}

/// Runs `cmd` off the async runtime (servers of the test keep running).
pub async fn run_bin_async(cmd: Command, deadline: Duration) -> BinOutput {
    tokio::task::spawn_blocking(move || run_bin(cmd, deadline))
        .await
        .expect("the blocking task ends")
}

/// Every file below `dir` with its content (lossy), sorted by path.
pub fn files_below(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                out.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Panics naming the place if any of `secrets` appears in `texts`.
pub fn assert_no_secret(texts: &[(String, String)], secrets: &[&str]) {
    for (place, text) in texts {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "a secret ({}...) appears in {place}",
                &secret[..4.min(secret.len())]
            );
        }
    }
}

/// Every `.rs` file under `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// A tool `scripts/test` installs into the virtual environment
/// `target/tools/py` from `scripts/test-tools.txt` (Schemathesis,
/// openapi-spec-validator, hadolint); a missing one fails with that advice.
pub fn python_tool(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/tools/py/bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: scripts/test installs it (a virtual environment in target/tools/py with scripts/test-tools.txt)",
        path.display()
    );
    path
}
