//! The five situations of issue 8, end to end with the built binary: each run
//! tells one story in every output. For each, the exit code, the console
//! summary, the headline of report.json, report.md, report.html and the
//! JUnit `headline` property, and the JUnit counts are checked together.

use crate::support::{self, AGENT, CALLID, GUID, bin, run_bin_async};

use ccgw_conformance::report::{
    Cause, ControlOutcome, NotAssessedCause, RunReport, Status, Verdict,
};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generous: a safety net, never the point.
const DEADLINE: Duration = Duration::from_secs(120);

/// JUnit counts of the one `<testsuite>`.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn attr(tag: &str, name: &str) -> usize {
    let key = format!(" {name}=\"");
    let start = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
    let len = tag[start..].find('"').expect("closing quote");
    tag[start..start + len].parse().expect("a count")
}

/// What every output of a run says.
struct Story {
    code: Option<i32>,
    console: String,
    report: RunReport,
    markdown_title: String,
    html: String,
    junit: String,
    counts: Counts,
}

impl Story {
    fn read(code: Option<i32>, console: String, dir: &Path) -> Story {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let report: RunReport = serde_json::from_str(&read("report.json")).expect("report.json");
        let junit = read("junit.xml");
        let tag_start = junit
            .find("<testsuite name=\"getconnectinfo\"")
            .expect("the testsuite");
        let tag = &junit[tag_start..tag_start + junit[tag_start..].find('>').expect("tag end")];
        let counts = Counts {
            tests: attr(tag, "tests"),
            failures: attr(tag, "failures"),
            errors: attr(tag, "errors"),
            skipped: attr(tag, "skipped"),
        };
        let markdown_title = read("report.md")
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        Story {
            code,
            console,
            report,
            markdown_title,
            html: read("report.html"),
            junit,
            counts,
        }
    }

    /// Every output states `headline` (given without characters that the
    /// formats escape) as the verdict, and the exit code is `code`.
    fn says(&self, code: i32, verdict: Verdict, headline: &str) {
        let context = format!("exit {:?}\n{}", self.code, self.console);
        assert_eq!(self.code, Some(code), "{context}");
        assert_eq!(self.report.summary.verdict, verdict, "{context}");
        let outputs = [
            ("report.json", self.report.assessment.headline.clone()),
            ("the console", self.console.clone()),
            ("report.md", self.markdown_title.clone()),
            ("report.html", self.html.clone()),
            ("junit.xml", self.junit.clone()),
        ];
        let needles = [
            headline.to_owned(),
            format!("verdict: {headline}"),
            format!("# getconnectinfo conformance: {headline}"),
            format!("<h1>{headline}"),
            format!("<property name=\"headline\" value=\"{headline}"),
        ];
        for ((name, text), needle) in outputs.iter().zip(&needles) {
            assert!(
                text.contains(needle.as_str()),
                "{name} lacks `{needle}`: {context}"
            );
        }
    }
}

async fn run(args: Vec<String>, dir: &Path) -> Story {
    let mut cmd = bin();
    cmd.arg("run").args(&args).arg("--out").arg(dir);
    let out = run_bin_async(cmd, DEADLINE).await;
    Story::read(out.code, out.console(), dir)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// The reference gateway in this process, and the arguments that aim the
/// binary at it (CA certificate written below `dir`).
async fn served(dir: &Path) -> (ccgw_conformance::selftest::Embedded, Vec<String>) {
    let (_, suite) = support::suite();
    let profile = suite.profile("cec-23").expect("cec-23");
    let embedded =
        ccgw_conformance::selftest::start_embedded(profile, &[], Duration::from_secs(120))
            .await
            .expect("the reference gateway starts");
    let pem = dir.join("gateway.pem");
    let ccgw_conformance::runner::TlsSetup::CaPem(bytes) = &embedded.target.tls else {
        panic!("the embedded gateway serves HTTPS with its own certificate");
    };
    std::fs::write(&pem, bytes).expect("write the certificate");
    let args = vec![
        "--target".to_owned(),
        embedded.target.base_url.to_string(),
        "--ca-cert".to_owned(),
        pem.display().to_string(),
    ];
    (embedded, args)
}

// 1. Credentials mistaken for non-conformance.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guid_with_its_jsessionid_prefix_is_cut_and_the_run_is_conformant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gateway, mut args) = served(dir.path()).await;
    let c = gateway.credentials.clone();
    args.extend(strings(&[
        "--agent-id",
        &c.agent_id,
        "--callid",
        c.callid.as_deref().unwrap(),
    ]));
    args.extend(strings(&["--other-guid", c.other_guid.as_deref().unwrap()]));
    args.extend(strings(&[
        "--other-callid",
        c.other_callid.as_deref().unwrap(),
    ]));
    args.extend(strings(&["--guid", &format!("JSESSIONID={}", c.guid)]));
    let story = run(args, dir.path()).await;
    gateway.gateway.shutdown().await;
    story.says(0, Verdict::Conformant, "Conformant");
    assert!(
        story
            .console
            .contains("note: the Guid was given with a `JSESSIONID=` prefix")
    );
    assert_eq!(
        story.counts,
        Counts {
            tests: 52,
            failures: 0,
            errors: 0,
            skipped: 0
        }
    );
    let controls = &story.report.assessment.controls;
    assert_eq!(controls.first().map(|c| c.when.as_str()), Some("start"));
    assert_eq!(controls.last().map(|c| c.when.as_str()), Some("end"));
    assert!(
        controls
            .iter()
            .all(|c| c.outcome == ControlOutcome::Accepted)
    );
    assert!(
        controls.len() >= 3,
        "a control between groups of 20 cases: {controls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_agent_is_credentials_refused_and_no_case_is_blamed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gateway, mut args) = served(dir.path()).await;
    let c = gateway.credentials.clone();
    // The other agent's id with this agent's Guid: the gateway refuses 000-003.
    let wrong_agent = c.other_agent_id.clone().unwrap();
    args.extend(strings(&["--agent-id", &wrong_agent, "--guid", &c.guid]));
    args.extend(strings(&["--callid", c.callid.as_deref().unwrap()]));
    let story = run(args, dir.path()).await;
    gateway.gateway.shutdown().await;
    story.says(
        4,
        Verdict::NotAssessed,
        &format!("Not assessed: the gateway did not accept the Guid of agent {wrong_agent}"),
    );
    assert_eq!(
        story.report.assessment.cause,
        Some(NotAssessedCause::CredentialsRefused)
    );
    assert!(
        story.report.assessment.headline.contains("JSESSIONID="),
        "says what to check"
    );
    assert_eq!(
        story.counts,
        Counts {
            tests: 52,
            failures: 0,
            errors: 0,
            skipped: 52
        }
    );
    assert_eq!(story.report.summary.required_failed, 0);
    assert!(
        story
            .report
            .cases
            .iter()
            .all(|c| c.cause == Some(Cause::CredentialsRefused) && c.request.is_none()),
        "no case was sent"
    );
    assert!(
        story
            .report
            .requirements
            .iter()
            .all(|r| r.verdict == Verdict::NotAssessed),
        "no requirement is blamed"
    );
}

/// A stale Guid and a callid too short or too common to be replaced inside
/// other text: the callid `1` and the Guid `0` are in every retcode, address
/// and colour code (replaced as substrings, `100-006` read `<callid>00-006`);
/// a Guid equal to the retcode it is refused with is hidden in the evidence,
/// so a control judged on the evidence read "inconclusive" and the run said
/// "not conformant". Decisions read the answer as received.
#[rstest::rstest]
#[case::short_values("0", "retcode 100-006")]
#[case::guid_equal_to_its_refusal("100-006", "retcode <guid>")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_short_guid_and_callid_are_not_assessed_never_not_conformant(
    #[case] guid: &str,
    #[case] observed: &str,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gateway, mut args) = served(dir.path()).await;
    let c = gateway.credentials.clone();
    args.extend(strings(&[
        "--agent-id",
        &c.agent_id,
        "--guid",
        guid,
        "--callid",
        "1",
    ]));
    let story = run(args, dir.path()).await;
    gateway.gateway.shutdown().await;
    story.says(
        4,
        Verdict::NotAssessed,
        &format!(
            "Not assessed: the gateway did not accept the Guid of agent {}",
            c.agent_id
        ),
    );
    assert_eq!(
        story.report.assessment.cause,
        Some(NotAssessedCause::CredentialsRefused)
    );
    let start = &story.report.assessment.controls[0];
    assert_eq!(start.outcome, ControlOutcome::CredentialsRefused);
    assert!(
        start.observed.contains(observed),
        "{observed}: {}",
        start.observed
    );
    assert!(
        story
            .console
            .contains("warning: the Guid (--guid) is short or common")
    );
    assert!(
        story
            .console
            .contains("warning: the callid (--callid) is short or common")
    );
    assert!(!story.console.contains("<callid>00"), "{}", story.console);
    assert!(
        !story.html.contains("127.<guid>"),
        "the address stays whole"
    );
}

/// A TCP proxy on 127.0.0.1 port 0 in front of `upstream` that closes every
/// other connection it accepts at once (a gateway dropping half its
/// connections under load); it stops when the returned task is aborted.
async fn dropping_proxy(upstream: std::net::SocketAddr) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut n = 0u64;
        while let Ok((mut inbound, _)) = listener.accept().await {
            n += 1;
            if n % 2 == 0 {
                drop(inbound);
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (format!("https://127.0.0.1:{}", addr.port()), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_dropped_under_load_are_not_assessed_never_not_conformant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gateway, mut args) = served(dir.path()).await;
    let c = gateway.credentials.clone();
    let upstream = gateway
        .target
        .base_url
        .socket_addrs(|| None)
        .expect("the gateway's address")[0];
    let (proxy, task) = dropping_proxy(upstream).await;
    args[1] = proxy;
    args.extend(strings(&[
        "--agent-id",
        &c.agent_id,
        "--guid",
        &c.guid,
        "--callid",
        c.callid.as_deref().unwrap(),
        "--other-guid",
        c.other_guid.as_deref().unwrap(),
        "--other-callid",
        c.other_callid.as_deref().unwrap(),
        "--concurrency",
        "64",
        "--fresh-connections",
    ]));
    let story = run(args, dir.path()).await;
    task.abort();
    gateway.gateway.shutdown().await;
    assert_eq!(story.report.summary.required_failed, 0, "{}", story.console);
    assert!(
        story.report.summary.errored > 0,
        "some connections were dropped"
    );
    story.says(4, Verdict::NotAssessed, "Not assessed: ");
    assert_eq!(
        story.report.assessment.cause,
        Some(NotAssessedCause::NoAnswer)
    );
    assert!(
        story
            .report
            .assessment
            .headline
            .contains("got no complete answer"),
        "{}",
        story.report.assessment.headline
    );
}

// 2. Verdicts that overclaim: nothing listening, a selection, interrupted.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_not_assessed_exit_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let args = strings(&["--target", &url, "--agent-id", AGENT, "--guid", GUID]);
    let story = run(args, dir.path()).await;
    story.says(
        3,
        Verdict::NotAssessed,
        "Not assessed: the target could not be reached",
    );
    assert_eq!(story.report.summary.required_failed, 0, "nothing is blamed");
    // A short headline, the cause once in its own section, no finding for a
    // case that never ran.
    let headline = &story.report.assessment.headline;
    assert!(headline.chars().count() < 200, "{headline}");
    assert!(story.report.assessment.advisory_findings.is_empty());
    let md = std::fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    assert!(md.contains("## Why it is not assessed"), "{md}");
    assert!(
        md.contains("52 cases not run: the target could not be reached."),
        "{md}"
    );
    assert!(
        !md.contains("### ERROR"),
        "no case is listed as a failure: {md}"
    );
    assert!(
        md.matches("Connection refused").count() <= 2,
        "the cause is said once (and in the headline): {md}"
    );
    // Every case errored (not run); JUnit shows the required ones as errors
    // and the advisory ones in their system-out, as it does for findings.
    assert_eq!(story.report.summary.errored, 52);
    assert_eq!(story.counts.failures, 0);
    let required = story
        .report
        .cases
        .iter()
        .filter(|c| c.severity == ccgw_conformance::report::Severity::Required)
        .count();
    assert_eq!(story.counts.errors, required);
    assert!(
        story
            .report
            .requirements
            .iter()
            .all(|r| r.verdict == Verdict::NotAssessed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_is_conformant_for_what_it_selected_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let story = run(strings(&["--only", "guid/*"]), dir.path()).await;
    story.says(0, Verdict::Conformant, "Conformant; partial: 6 of 52 cases");
    assert!(
        story
            .report
            .assessment
            .headline
            .ends_with("selected by --only `guid/*`")
    );
    assert_eq!(
        story.counts,
        Counts {
            tests: 6,
            failures: 0,
            errors: 0,
            skipped: 0
        }
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_is_incomplete_exit_130() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_path_buf();
    let (code, console) = tokio::task::spawn_blocking(move || {
        let mut cmd = bin();
        cmd.args(["run", "--fault", "slow", "--timeout", "600", "--out"])
            .arg(&out_dir);
        let mut child = cmd.spawn().expect("the binary starts");
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("a first line");
        assert!(first.starts_with("running "), "{first}");
        let killed = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        let mut stdout = String::new();
        let _ = std::io::Read::read_to_string(child.stdout.as_mut().expect("piped"), &mut stdout);
        let status = child.wait().expect("wait");
        (status.code(), format!("{stdout}\n{first}{rest}"))
    })
    .await
    .expect("the blocking task ends");
    let story = Story::read(code, console, dir.path());
    story.says(
        130,
        Verdict::Incomplete,
        "Incomplete (interrupted): 0 of 52 cases finished",
    );
    assert_eq!(story.counts.failures, 0);
    assert_eq!(story.report.summary.required_failed, 0, "nothing is blamed");
}

// 3. Advisory findings.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisory_findings_never_fail_ci_unless_strict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let story = run(strings(&["--fault", "content-type-ignored"]), dir.path()).await;
    story.says(0, Verdict::Conformant, "Conformant, 3 advisory findings");
    assert_eq!(story.counts.failures, 0, "no JUnit failure");
    assert_eq!(story.report.assessment.advisory_findings.len(), 3);
    for id in &story.report.assessment.advisory_findings {
        assert!(
            story
                .junit
                .contains(&format!("<property name=\"advisory.{id}\""))
        );
        assert!(story.html.contains(&format!("href=\"#case-{id}\"")));
    }
    assert!(story.junit.contains("ADVISORY FINDING"));
    assert!(
        story.html.contains("Conformant, 3 advisory findings</td>"),
        "the matrix says advisory"
    );

    let strict_dir = tempfile::tempdir().expect("tempdir");
    let strict = run(
        strings(&["--fault", "content-type-ignored", "--strict"]),
        strict_dir.path(),
    )
    .await;
    strict.says(
        1,
        Verdict::NotConformant,
        "Not conformant: 3 cases failed (strict",
    );
    assert_eq!(strict.counts.failures, 3);
    assert!(strict.report.assessment.strict);
    assert!(
        strict
            .junit
            .contains("<property name=\"strict\" value=\"true\"/>")
    );
}

// 4. The core case unassessed without --callid.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_callid_the_run_is_not_assessed_unless_the_skips_are_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gateway, base) = served(dir.path()).await;
    let c = gateway.credentials.clone();
    let mut args = base.clone();
    args.extend(strings(&["--agent-id", &c.agent_id, "--guid", &c.guid]));
    args.extend(strings(&["--other-guid", c.other_guid.as_deref().unwrap()]));
    args.extend(strings(&[
        "--other-callid",
        c.other_callid.as_deref().unwrap(),
    ]));
    let story = run(args.clone(), &dir.path().join("plain")).await;
    story.says(
        4,
        Verdict::NotAssessed,
        "Not assessed: 2 required cases skipped for lack of input (guid/header-lowercase, success/connect-info)",
    );
    assert_eq!(story.report.summary.required_skipped, 2);
    // What each skipped case needs, and the exact --accept-skip, said in
    // the report and on the console.
    let detail = story.report.assessment.detail.clone().unwrap_or_default();
    assert!(detail.contains("success/connect-info: "), "{detail}");
    assert!(
        detail.ends_with("--accept-skip guid/header-lowercase,success/connect-info"),
        "{detail}"
    );
    assert!(story.console.contains(&detail), "{}", story.console);
    assert_eq!(story.counts.skipped, story.report.summary.skipped);
    assert_eq!(story.counts.failures, 0);
    // The control without a callid: refused for the call only, accepted.
    let control = &story.report.assessment.controls[0];
    assert_eq!(control.outcome, ControlOutcome::Accepted, "{control:?}");
    assert!(control.sent.contains("example callid"), "{}", control.sent);

    args.extend(strings(&["--accept-skip", "success,guid/header-lowercase"]));
    let accepted = run(args, &dir.path().join("accepted")).await;
    gateway.gateway.shutdown().await;
    accepted.says(
        0,
        Verdict::Conformant,
        "Conformant; accepted skips: guid/header-lowercase, success/connect-info",
    );
    assert_eq!(
        accepted.report.assessment.accepted_skips,
        ["success", "guid/header-lowercase"]
    );
}

// Session lost: a control request refused mid-run.

/// A plain-HTTP server that answers its first `good` requests with a
/// success envelope and every later one with a 100-006 refusal.
async fn turns_refusing_after(good: usize) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let mut served = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head and the body its Content-Length announces.
            while let Ok(n) = socket.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let body = if served < good {
                r#"{"retcode":"0","message":"success","result":{}}"#
            } else {
                r#"{"retcode":"100-006","message":"The agent has not signed in."}"#
            };
            served += 1;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_mid_run_is_not_assessed_never_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The control at the start is served; then the Guid is refused.
    let (url, server) = turns_refusing_after(1).await;
    let args = strings(&[
        "--target",
        &url,
        "--agent-id",
        AGENT,
        "--guid",
        GUID,
        "--callid",
        CALLID,
        "--only",
        "{success/connect-info,guid/unknown,guid/empty,body/missing-callid}",
        "--control-every",
        "2",
    ]);
    let story = run(args, dir.path()).await;
    server.abort();
    story.says(4, Verdict::NotAssessed, "Not assessed: session lost");
    let report = &story.report;
    assert_eq!(report.assessment.cause, Some(NotAssessedCause::SessionLost));
    assert_eq!(report.summary.required_failed, 0, "nothing is blamed");
    let controls: Vec<(&str, ControlOutcome)> = report
        .assessment
        .controls
        .iter()
        .map(|c| (c.when.as_str(), c.outcome))
        .collect();
    assert_eq!(
        controls,
        [
            ("start", ControlOutcome::Accepted),
            ("after 2 cases", ControlOutcome::CredentialsRefused)
        ]
    );
    // The two cases after the last good control: the one refused for
    // authentication against its expectation is not assessed; the one that
    // expected that refusal keeps its pass. The two never sent are skipped.
    let sent: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.request.is_some())
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(sent.len(), 2, "one group of two: {sent:?}");
    let withdrawn = support::case(report, "body/missing-callid");
    assert_eq!(withdrawn.status, Status::Skipped);
    assert_eq!(withdrawn.cause, Some(Cause::SessionLost));
    assert!(withdrawn.findings.is_empty());
    assert!(
        withdrawn
            .notes
            .iter()
            .any(|n| n.starts_with("withdrawn finding: retcode.expected")),
        "{:?}",
        withdrawn.notes
    );
    for c in &report.cases {
        match c.status {
            Status::Passed => assert!(c.id.starts_with("guid/"), "{}", c.id),
            Status::Skipped => assert_eq!(c.cause, Some(Cause::SessionLost), "{}", c.id),
            other => panic!("{}: {other:?}", c.id),
        }
    }
    assert_eq!(story.counts.failures, 0);
    assert_eq!(story.counts.errors, 0);
}

// Exit 2 and 5.

#[test]
fn a_configuration_error_exits_2_and_unwritable_reports_exit_5() {
    let out = support::run_args(&["run", "--profile", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::output_text(&out));
    // The folder takes reports, but a folder stands where report.json goes:
    // the run happens, and writing its reports fails.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("report.json").join("x")).expect("mkdir");
    let out = support::run_args(&[
        "run",
        "--only",
        "guid/empty",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ]);
    let text = support::output_text(&out);
    assert_eq!(out.status.code(), Some(5), "{text}");
    assert!(text.contains("failed to write the reports"), "{text}");
}

#[test]
fn help_lists_every_exit_code() {
    let out = support::run_args(&["--help"]);
    let text = support::output_text(&out);
    for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "130"] {
        assert!(text.contains(&format!("\n  {code}")), "{code}: {text}");
    }
}
