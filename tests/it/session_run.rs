//! `run --sign-in` end to end, the binary against a reference gateway in fast
//! dynamic mode: a run across several Guid intervals, waiting for a call,
//! Ctrl-C signing the agent out, flow control at concurrency 16; the
//! password and every Guid generation never written anywhere.

use crate::session_gateway::{PASSWORD, dynamic, start};
use crate::support::{self, BinOutput, assert_no_secret, bin, files_below};
use ccgw_conformance::gateway::{RunningGateway, SessionConfig, VideoCall};
use ccgw_conformance::report::{RunReport, Status, Verdict};
use std::io::BufRead;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `run --sign-in` against `gw` (plain HTTP), with the other agent's
/// credentials, writing to `out`.
fn sign_in_run(gw: &RunningGateway, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        &gw.base_url,
        "--agent-id",
        &gw.agent.agent_id,
        "--other-agent-id",
        &gw.other_agent.agent_id,
        "--other-callid",
        &gw.other_agent.callid,
        "--sign-in",
    ])
    .args(extra)
    .env("CCGW_OTHER_GUID", &gw.other_agent.guid)
    .env("CCGW_PASSWORD", PASSWORD)
    .arg("--out")
    .arg(out);
    cmd
}

/// `run --sign-in` with `extra` against `gw`, to its end: its output folder
/// (kept while the `TempDir` lives) and what it printed.
async fn signed_in_run(gw: &RunningGateway, extra: &[&str]) -> (tempfile::TempDir, BinOutput) {
    let dir = tempfile::tempdir().unwrap();
    let cmd = sign_in_run(gw, dir.path(), extra);
    let run = support::run_bin_async(cmd, Duration::from_secs(120)).await;
    (dir, run)
}

/// report.json of `out`, checked against `schemas/report.schema.json`.
fn report(out: &Path) -> RunReport {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let value: serde_json::Value = serde_json::from_str(&text).expect("report.json parses");
    let errors = crate::render::schema_errors(&value);
    assert!(errors.is_empty(), "{errors:#?}");
    serde_json::from_value(value).expect("report.json reads back")
}

/// Every secret of the session: the password, every Guid the gateway
/// issued to the agent, the other agent's Guid.
fn secrets(gw: &RunningGateway) -> Vec<String> {
    let mut all = gw.agent_session(&gw.agent.agent_id).unwrap().guids;
    all.extend(gw.agent_session(&gw.other_agent.agent_id).unwrap().guids);
    all.push(gw.other_agent.guid.clone());
    all.push(gw.agent.callid.clone());
    all.push(gw.other_agent.callid.clone());
    all.push(PASSWORD.to_owned());
    all
}

fn assert_nothing_leaks(gw: &RunningGateway, out: &Path, run: &BinOutput) {
    let secrets = secrets(gw);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let mut texts = files_below(out);
    texts.push(("the console".to_owned(), run.console()));
    assert_no_secret(&texts, &secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_across_several_guid_intervals_passes_with_sign_in() {
    let gw = start(
        SessionConfig {
            guid_interval: Duration::from_secs(1),
            guid_timeout: Duration::from_secs(4),
            idle_sign_out: Duration::from_secs(4),
            poll_wait: Duration::from_millis(200),
            ..dynamic()
        },
        &[],
    )
    .await;
    let (dir, run) =
        signed_in_run(&gw, &["--callid", &gw.agent.callid.clone(), "--rate", "8"]).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    let report = report(dir.path());
    assert_eq!(report.summary.verdict, Verdict::Conformant);
    let session = report
        .session
        .as_ref()
        .expect("the session is in the report");
    assert!(session.guid_generations >= 3, "{session:?}");
    assert_eq!(session.sign_out, "signed out");
    assert!(session.timeline.len() >= 4);
    assert_eq!(session.timeline[0].guid_generation, Some(1));
    // The cases carried several generations, each shown as a number only.
    let generations: std::collections::BTreeSet<u32> = report
        .cases
        .iter()
        .filter_map(|c| c.request.as_ref()?.guid_generation)
        .collect();
    assert!(generations.len() >= 2, "{generations:?}");
    for file in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains("Agent session"), "{file} shows the timeline");
    }
    let state = gw.agent_session(&gw.agent.agent_id).unwrap();
    assert!(!state.signed_in, "signed out at the end");
    assert_eq!(state.sign_outs, 1);
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_call_takes_the_callid_of_request_connect() {
    let gw = start(
        SessionConfig {
            video_call: VideoCall::AfterSignIn(Duration::from_millis(300)),
            poll_wait: Duration::from_millis(200),
            ..dynamic()
        },
        &[],
    )
    .await;
    let (dir, run) = signed_in_run(&gw, &["--wait-for-call", "60", "--only", "success/*"]).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    assert!(
        run.stderr.contains(&format!(
            "waiting up to 60 s for an H5 video call to agent {}",
            gw.agent.agent_id
        )),
        "{}",
        run.stderr
    );
    let report = report(dir.path());
    let success = support::case(&report, "success/connect-info");
    assert_eq!(success.status, Status::Passed, "{:?}", success.reason);
    assert!(report.environment.has_callid);
    let timeline = &report.session.as_ref().unwrap().timeline;
    assert!(
        timeline
            .iter()
            .any(|e| e.event_type.as_deref() == Some("AgentEvent_RequestConnect"))
    );
    let mut secrets = secrets(&gw);
    secrets.push(gw.agent.callid.clone());
    let mut texts = files_below(dir.path());
    texts.push(("the console".to_owned(), run.console()));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret(&texts, &secrets);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_call_the_success_cases_are_skipped_with_that_reason() {
    let gw = start(
        SessionConfig {
            video_call: VideoCall::Never,
            poll_wait: Duration::from_millis(100),
            ..dynamic()
        },
        &[],
    )
    .await;
    let (dir, run) = signed_in_run(&gw, &["--wait-for-call", "0.5", "--only", "success/*"]).await;
    let report = report(dir.path());
    let success = support::case(&report, "success/connect-info");
    assert_eq!(success.status, Status::Skipped);
    let reason = success.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains(&format!("no H5 video call to agent {}", gw.agent.agent_id)),
        "{reason}"
    );
    assert_eq!(report.summary.verdict, Verdict::NotAssessed);
    assert!(!gw.agent_session(&gw.agent.agent_id).unwrap().signed_in);
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[cfg(unix)]
#[rstest::rstest]
#[case::ctrl_c("-INT")]
#[case::ci_cancel("-TERM")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_signs_the_agent_out_and_writes_the_report(#[case] signal: &'static str) {
    let gw = start(
        SessionConfig {
            poll_wait: Duration::from_millis(100),
            ..dynamic()
        },
        &[],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    // Paced slowly: the run is still going when the signal comes.
    let cmd = sign_in_run(&gw, dir.path(), &["--rate", "2"]);
    let run = signal_after_the_first_case(cmd, signal).await;
    assert_eq!(run.code, Some(130), "{}", run.console());
    let state = gw.agent_session(&gw.agent.agent_id).unwrap();
    assert!(!state.signed_in, "{signal} signed the agent out: {state:?}");
    assert_eq!(state.sign_outs, 1);
    let report = report(dir.path());
    assert!(report.interrupted);
    assert_eq!(report.session.as_ref().unwrap().sign_out, "signed out");
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_concurrency_16_against_a_flow_limit_no_case_fails_for_000_007() {
    let gw = start(
        SessionConfig {
            flow_limit: Some(ccgw_conformance::gateway::FlowLimit::Window {
                calls: 5,
                window: Duration::from_secs(1),
                http_429: false,
            }),
            poll_wait: Duration::from_millis(200),
            ..dynamic()
        },
        &[],
    )
    .await;
    let (dir, run) = signed_in_run(
        &gw,
        &["--callid", &gw.agent.callid.clone(), "--concurrency", "16"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    let report = report(dir.path());
    assert_eq!(report.summary.verdict, Verdict::Conformant);
    let retried: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.attempts.len() >= 2)
        .collect();
    assert!(!retried.is_empty(), "some case was refused and retried");
    for case in &retried {
        assert_eq!(case.attempts[0].retcode.as_deref(), Some("000-007"));
        assert_ne!(case.status, Status::Failed, "{}", case.id);
    }
    assert!(gw.agent_session(&gw.agent.agent_id).unwrap().flow_refusals >= 1);
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sign_in_fails_clearly_unless_forced() {
    let gw = start(dynamic(), &[]).await;
    let agent = crate::session_gateway::Agent::new(&gw);
    agent.sign_in_ok().await;
    let (dir, run) = signed_in_run(&gw, &["--only", "method/*"]).await;
    assert_eq!(run.code, Some(2), "{}", run.console());
    assert!(
        run.stderr
            .contains("already signed in elsewhere (100-002); --force-login"),
        "{}",
        run.stderr
    );
    let cmd = sign_in_run(&gw, dir.path(), &["--only", "method/*", "--force-login"]);
    let run = support::run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    assert!(report(dir.path()).session.unwrap().force_login);
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sign_out_is_reported_not_hidden() {
    // The Guid is never rotated and dies after 300 ms: the run outlasts it
    // (6 cases paced at 10/s), so the sign-out carries a dead Guid.
    let gw = start(
        SessionConfig {
            guid_timeout: Duration::from_millis(300),
            poll_wait: Duration::from_millis(100),
            ..dynamic()
        },
        &[ccgw_conformance::gateway::Fault::GuidNotRotated],
    )
    .await;
    let (dir, run) = signed_in_run(&gw, &["--only", "method/*", "--rate", "10"]).await;
    assert!(
        run.stderr.contains("sign-out refused: retcode 100-006"),
        "{}",
        run.stderr
    );
    let report = report(dir.path());
    let session = report.session.as_ref().unwrap();
    assert!(session.sign_out_refused);
    assert!(
        session.sign_out.starts_with("sign-out refused"),
        "{}",
        session.sign_out
    );
    let check = support::case(&report, "session/signed-out-refused");
    assert_eq!(check.status, Status::Skipped);
    assert_eq!(
        check.cause,
        Some(ccgw_conformance::report::Cause::SignOutFailed)
    );
    // Its own words, never "skipped for lack of input".
    assert!(
        report
            .assessment
            .headline
            .starts_with("Not assessed: the agent's sign-out failed"),
        "{}",
        report.assessment.headline
    );
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

/// The same gateway as the sign-in run, driven with its first Guid only:
/// once that Guid is past its timeout the control request is refused, and
/// the run ends not assessed (session lost), never not conformant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sign_in_the_first_guid_dies_and_the_session_is_lost() {
    let gw = start(
        SessionConfig {
            guid_interval: Duration::from_secs(1),
            guid_timeout: Duration::from_secs(2),
            poll_wait: Duration::from_millis(200),
            password: None,
            agent_signed_in: true,
            ..dynamic()
        },
        &[],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        &gw.base_url,
        "--agent-id",
        &gw.agent.agent_id,
        "--callid",
        &gw.agent.callid,
        "--other-agent-id",
        &gw.other_agent.agent_id,
        "--other-callid",
        &gw.other_agent.callid,
        "--rate",
        "8",
        "--control-every",
        "5",
    ])
    .env("CCGW_GUID", &gw.agent.guid)
    .env("CCGW_OTHER_GUID", &gw.other_agent.guid)
    .arg("--out")
    .arg(dir.path());
    let run = support::run_bin_async(cmd, Duration::from_secs(120)).await;
    let report = report(dir.path());
    assert_eq!(
        report.summary.verdict,
        Verdict::NotAssessed,
        "{}",
        run.console()
    );
    assert_eq!(
        report.assessment.cause,
        Some(ccgw_conformance::report::NotAssessedCause::SessionLost)
    );
    assert!(report.session.is_none(), "no session without --sign-in");
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

/// Every call over the limit and no retry: each case ends not assessed
/// (flow control), none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_still_refused_by_flow_control_is_not_assessed() {
    let gw = start(
        SessionConfig {
            flow_limit: Some(ccgw_conformance::gateway::FlowLimit::EveryKth(1)),
            ..dynamic()
        },
        &[],
    )
    .await;
    let (dir, run) = signed_in_run(&gw, &["--only", "errors/*", "--flow-budget", "0"]).await;
    let report = report(dir.path());
    let methods: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.family == "errors")
        .collect();
    assert!(!methods.is_empty());
    for case in methods {
        assert_eq!(
            case.status,
            Status::Skipped,
            "{}: {:?}",
            case.id,
            case.reason
        );
        assert_eq!(
            case.cause,
            Some(ccgw_conformance::report::Cause::FlowControl)
        );
        assert!(
            case.reason
                .as_deref()
                .is_some_and(|r| r.starts_with("not assessed (flow control)")),
            "{:?}",
            case.reason
        );
        assert_eq!(case.attempts.len(), 1);
    }
    assert_eq!(
        report.summary.verdict,
        Verdict::NotAssessed,
        "{}",
        run.console()
    );
    assert_eq!(
        report.assessment.cause,
        Some(ccgw_conformance::report::NotAssessedCause::FlowControl)
    );
    assert!(
        report
            .assessment
            .headline
            .contains("still refused by the gateway's flow control (000-007)"),
        "{}",
        report.assessment.headline
    );
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_file_with_a_byte_order_mark_signs_in() {
    let gw = start(dynamic(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password.txt");
    std::fs::write(&file, format!("\u{feff}{PASSWORD}\r\n")).unwrap();
    let mut cmd = sign_in_run(&gw, &dir.path().join("out"), &["--only", "method/*"]);
    cmd.env_remove("CCGW_PASSWORD")
        .arg("--password-file")
        .arg(&file);
    let run = support::run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    assert_nothing_leaks(&gw, &dir.path().join("out"), &run);
    gw.shutdown().await;
}

/// Spawns `cmd`, waits until its stderr shows `marker`, sends `signal`, and
/// gives the exit code, everything printed, and how long it took to exit
/// after the signal.
#[cfg(unix)]
async fn signal_when(
    mut cmd: Command,
    marker: &'static str,
    signal: &'static str,
) -> (Option<i32>, String, Duration) {
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("the binary starts");
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
        let mut seen = String::new();
        while !seen.contains(marker) {
            let mut line = String::new();
            if stderr.read_line(&mut line).expect("read") == 0 {
                break;
            }
            seen.push_str(&line);
        }
        let signalled = std::time::Instant::now();
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let reader = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
            rest
        });
        // Never longer than a bound: a run that ignores the signal is killed
        // (and the test fails on its exit code).
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if signalled.elapsed() > Duration::from_secs(90) {
                let _ = child.kill();
                break child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = signalled.elapsed();
        let rest = reader.join().unwrap_or_default();
        let mut stdout = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout);
        (status.code(), format!("{stdout}\n{seen}{rest}"), took)
    })
    .await
    .unwrap()
}

/// A signal while the session checks wait for the Guid to expire ends the
/// wait: the agent signs out, the reports are written marked interrupted,
/// exit 130; the unfinished check says it was interrupted.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_while_waiting_for_the_guid_to_expire_signs_out_and_writes_the_reports() {
    let gw = start(dynamic(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let cmd = sign_in_run(
        &gw,
        dir.path(),
        &["--only", "method/*", "--guid-timeout", "600"],
    );
    let (code, console, took) = signal_when(cmd, "session checks: waiting up to", "-TERM").await;
    assert_eq!(code, Some(130), "{console}");
    // Bounded: the sign-out alone, not the 600 s wait.
    assert!(took < Duration::from_secs(60), "{took:?}");
    let state = gw.agent_session(&gw.agent.agent_id).unwrap();
    assert!(!state.signed_in, "signed out: {state:?}");
    let report = report(dir.path());
    assert!(report.interrupted);
    assert_eq!(report.summary.verdict, Verdict::Incomplete);
    let check = support::case(&report, "session/expired-guid-refused");
    assert_eq!(
        check.cause,
        Some(ccgw_conformance::report::Cause::Interrupted)
    );
    gw.shutdown().await;
}

/// A sign-in that hangs ends at the first signal: reports written marked
/// interrupted, exit 130, nothing else sent.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_a_hanging_sign_in_ends_the_run_with_its_reports() {
    use crate::support::hostile::{Behaviour, Hostile};
    let server = Hostile::start(Behaviour::Silent).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        &server.url(),
        "--agent-id",
        support::AGENT,
        "--sign-in",
        "--timeout",
        "120",
    ])
    .env("CCGW_PASSWORD", PASSWORD)
    .arg("--out")
    .arg(dir.path());
    let (code, console, took) = signal_when(cmd, "signing in agent", "-INT").await;
    assert_eq!(code, Some(130), "{console}");
    assert!(took < Duration::from_secs(60), "{took:?}");
    let report = report(dir.path());
    assert!(report.interrupted);
    assert!(
        server.requests().len() <= 1,
        "nothing but the sign-in was sent"
    );
}

/// `--sign-in` that gets no answer (nothing listening, a silent gateway
/// past --timeout) is the target unreachable: exit 3, with reports.
#[rstest::rstest]
#[case::closed_port(false)]
#[case::silent(true)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_without_an_answer_is_unreachable_with_reports(#[case] silent: bool) {
    use crate::support::hostile::{Behaviour, Hostile};
    let server = Hostile::start(Behaviour::Silent).await;
    let url = if silent {
        server.url()
    } else {
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        &url,
        "--agent-id",
        support::AGENT,
        "--sign-in",
        "--timeout",
        "1",
    ])
    .env("CCGW_PASSWORD", PASSWORD)
    .arg("--out")
    .arg(dir.path());
    let run = support::run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(run.code, Some(3), "{}", run.console());
    let report = report(dir.path());
    assert_eq!(report.summary.verdict, Verdict::NotAssessed);
    let cause = format!(
        "{} {}",
        report.assessment.headline,
        report.assessment.detail.as_deref().unwrap_or_default()
    );
    assert!(cause.contains("sign in agent"), "{cause}");
    if silent {
        assert!(
            cause.contains("1000 ms"),
            "--timeout bounds the sign-in: {cause}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_answer_that_is_not_json_says_so() {
    use crate::support::hostile::{self, Behaviour, Hostile};
    let page = hostile::response(502, "text/html", b"<html>Bad Gateway</html>");
    let server = Hostile::start(Behaviour::Raw(page)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        &server.url(),
        "--agent-id",
        support::AGENT,
        "--sign-in",
    ])
    .env("CCGW_PASSWORD", PASSWORD)
    .arg("--out")
    .arg(dir.path());
    let run = support::run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(run.code, Some(2), "{}", run.console());
    assert!(
        run.stderr
            .contains("the answer is not a JSON envelope with a retcode (HTTP 502, text/html)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("(none)"), "{}", run.stderr);
}

/// A gateway that counts GUIDTIMEOUT from a Guid's replacement (the
/// documentation allows it) passes the expiry check: the check waits for
/// the later reading and says which it assumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guid_timeout_counted_from_the_replacement_is_not_failed() {
    let gw = start(
        SessionConfig {
            guid_interval: Duration::from_secs(1),
            guid_timeout: Duration::from_secs(2),
            timeout_from_replacement: true,
            ..dynamic()
        },
        &[],
    )
    .await;
    let (dir, run) = signed_in_run(
        &gw,
        &[
            "--only",
            "method/*",
            "--guid-interval",
            "1",
            "--guid-timeout",
            "2",
        ],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    let report = report(dir.path());
    let check = support::case(&report, "session/expired-guid-refused");
    assert_eq!(check.status, Status::Passed, "{:?}", check.reason);
    assert!(
        check
            .notes
            .iter()
            .any(|n| n
                .contains("assumed: GUIDTIMEOUT of the first Guid counted from its replacement")),
        "{:?}",
        check.notes
    );
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

/// Cases sent again after a 000-007 say so in every output: the console
/// line and summary, report.md, report.html and JUnit (nextest's TRY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_retried_under_flow_control_show_their_attempts_everywhere() {
    let gw = start(
        SessionConfig {
            flow_limit: Some(ccgw_conformance::gateway::FlowLimit::Window {
                calls: 2,
                window: Duration::from_millis(500),
                http_429: false,
            }),
            ..dynamic()
        },
        &[],
    )
    .await;
    // POST cases: the flow limit counts invocations of the interface.
    let (dir, run) = signed_in_run(&gw, &["--only", "errors/*"]).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    assert!(
        run.stderr.contains(" attempts (000-007, "),
        "the case line: {}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("waited for flow control (000-007, sent again)"),
        "the summary: {}",
        run.stdout
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let md = read("report.md");
    assert!(md.contains("waited for flow control"), "{md}");
    assert!(md.contains(" attempts (000-007, "), "{md}");
    assert!(md.contains("Flow control, as learned by the run:"), "{md}");
    let html = read("report.html");
    assert!(html.contains("waited for flow control"));
    assert!(html.contains(" attempts (000-007, "));
    assert!(html.contains("Flow control, as learned by the run:"));
    let junit = read("junit.xml");
    assert!(junit.contains(" attempts (000-007, "), "{junit}");
    assert!(
        junit.contains("<property name=\"flow_control.1001\""),
        "{junit}"
    );
    assert!(
        junit.contains("<property name=\"attempts.errors/"),
        "{junit}"
    );
    gw.shutdown().await;
}

/// Both agents start signed out, Guids rotate every 300 ms and die after
/// 1.5 s: the run signs both in, follows both Guids, takes both calls from
/// their RequestConnect events, and signs both out.
fn both_agents() -> SessionConfig {
    SessionConfig {
        guid_interval: Duration::from_millis(300),
        guid_timeout: Duration::from_millis(1500),
        other_signed_in: false,
        ..dynamic()
    }
}

/// `run` with both agents signed in by the tool, no Guid or callid given.
fn both_signed_in(gw: &RunningGateway, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        &gw.base_url,
        "--agent-id",
        &gw.agent.agent_id,
        "--other-agent-id",
        &gw.other_agent.agent_id,
        "--sign-in",
        "--other-sign-in",
        "--wait-for-call",
        "10",
    ])
    .args(extra)
    .env("CCGW_PASSWORD", PASSWORD)
    .env("CCGW_OTHER_PASSWORD", PASSWORD)
    .arg("--out")
    .arg(out);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_agents_signed_in_by_the_run_end_conformant_with_no_skip() {
    let gw = start(both_agents(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    // The checks of rotation and expiry keep the run going past several
    // Guid intervals, the other agent's Guid rotating meanwhile.
    let cmd = both_signed_in(
        &gw,
        dir.path(),
        &["--guid-interval", "0.3", "--guid-timeout", "1.5"],
    );
    let run = support::run_bin_async(cmd, Duration::from_secs(120)).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    let report = report(dir.path());
    assert_eq!(report.summary.verdict, Verdict::Conformant);
    assert_eq!(report.summary.skipped, 0, "{}", run.console());
    for id in [&gw.agent.agent_id, &gw.other_agent.agent_id] {
        let state = gw.agent_session(id).unwrap();
        assert!(!state.signed_in, "agent {id} signed out: {state:?}");
        assert_eq!((state.sign_ins, state.sign_outs), (1, 1), "agent {id}");
        assert!(
            state.guids_issued >= 2,
            "agent {id}'s Guid rotated: {state:?}"
        );
    }
    let other = report
        .other_session
        .as_ref()
        .expect("the other agent's session");
    assert_eq!(other.agent_id, gw.other_agent.agent_id);
    assert_eq!(other.sign_out, "signed out");
    assert!(other.guid_generations >= 2, "{other:?}");
    // Its own call, from its own event, carried by the case that needs it.
    let case = report
        .cases
        .iter()
        .find(|c| c.id == "body/other-agent-callid")
        .unwrap();
    assert_eq!(case.status, Status::Passed);
    assert!(
        case.request
            .as_ref()
            .unwrap()
            .body
            .as_deref()
            .unwrap()
            .contains("<other-callid>"),
        "{case:?}"
    );
    for file in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(
            text.contains("The other agent&#39;s session")
                || text.contains("The other agent's session"),
            "{file}"
        );
    }
    assert!(
        run.stderr
            .contains(&format!("agent {} signed out", gw.other_agent.agent_id))
    );
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_signs_both_agents_out() {
    let gw = start(both_agents(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    // Paced slowly: the run is still going when the signal comes.
    let cmd = both_signed_in(&gw, dir.path(), &["--rate", "2"]);
    let run = signal_after_the_first_case(cmd, "-TERM").await;
    assert_eq!(run.code, Some(130), "{}", run.console());
    for id in [&gw.agent.agent_id, &gw.other_agent.agent_id] {
        let state = gw.agent_session(id).unwrap();
        assert!(!state.signed_in, "SIGTERM signed agent {id} out: {state:?}");
        assert_eq!(state.sign_outs, 1);
    }
    let report = report(dir.path());
    assert!(report.interrupted);
    assert_eq!(
        report.other_session.as_ref().unwrap().sign_out,
        "signed out"
    );
    assert_nothing_leaks(&gw, dir.path(), &run);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_of_the_other_agent_signs_the_first_one_out_and_says_so() {
    let gw = start(both_agents(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = both_signed_in(&gw, dir.path(), &[]);
    cmd.env("CCGW_OTHER_PASSWORD", "not-the-password");
    let run = support::run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(run.code, Some(2), "{}", run.console());
    assert!(
        run.stderr.contains(&format!(
            "sign in agent {}: refused with retcode 100-004",
            gw.other_agent.agent_id
        )),
        "{}",
        run.stderr
    );
    let first = gw.agent_session(&gw.agent.agent_id).unwrap();
    assert!(
        !first.signed_in,
        "the first agent was signed out again: {first:?}"
    );
    gw.shutdown().await;
}

/// A dynamic-mode run told no Guid timings: short, it saw no rotation, and
/// says what it did not check (rotation, expiry) in every output; it adds
/// no session check of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_run_without_timings_says_what_it_did_not_check() {
    let gw = start(dynamic(), &[]).await;
    let (dir, run) = signed_in_run(&gw, &["--only", "errors/*"]).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    let report = report(dir.path());
    let said = report.environment.assumptions.join("\n");
    assert!(said.contains("Their rotation was not checked"), "{said}");
    assert!(said.contains("Their expiry was not checked"), "{said}");
    assert!(said.contains("--guid-interval SECS"), "{said}");
    assert!(
        !report.cases.iter().any(|c| c.id == "session/guid-rotated"),
        "no rotation check without a declared or seen rotation"
    );
    assert!(
        run.stderr.contains("note: Agent session: dynamic Guids"),
        "{}",
        run.stderr
    );
    for file in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains("Their rotation was not checked"), "{file}");
    }
    gw.shutdown().await;
}

/// Without timings, a rotation the session saw is checked all the same, as
/// an advisory check (the interval is only the documented default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_run_without_timings_checks_a_rotation_it_saw_as_advisory() {
    let gw = start(
        SessionConfig {
            guid_interval: Duration::from_millis(200),
            ..dynamic()
        },
        &[],
    )
    .await;
    // Paced: the run lasts some seconds, many Guid intervals.
    let (dir, run) = signed_in_run(&gw, &["--only", "errors/*", "--rate", "2"]).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    let report = report(dir.path());
    let rotated = report
        .cases
        .iter()
        .find(|c| c.id == "session/guid-rotated")
        .expect("the rotation seen is checked");
    assert_eq!(rotated.status, Status::Passed);
    assert_eq!(
        rotated.severity,
        ccgw_conformance::report::Severity::Advisory
    );
    assert!(
        rotated
            .notes
            .iter()
            .any(|n| n.contains("the documented Guid interval of 60 s")),
        "{rotated:?}"
    );
    let said = report.environment.assumptions.join("\n");
    assert!(!said.contains("rotation was not checked"), "{said}");
    assert!(said.contains("Their expiry was not checked"), "{said}");
    gw.shutdown().await;
}

/// Static Guids (no Set-GUID on the polls): the run says so, and checks
/// neither rotation nor expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_run_says_it_took_the_guids_for_static() {
    let gw = start(
        SessionConfig {
            auth_mode: ccgw_conformance::gateway::AuthMode::Static,
            ..dynamic()
        },
        &[],
    )
    .await;
    let (dir, run) = signed_in_run(&gw, &["--only", "errors/*"]).await;
    assert_eq!(run.code, Some(0), "{}", run.console());
    let report = report(dir.path());
    let said = report.environment.assumptions.join("\n");
    assert!(said.contains("static Guids (AUTHMODE=1)"), "{said}");
    assert!(!said.contains("dynamic Guids"), "{said}");
    gw.shutdown().await;
}

/// Starts `cmd`, sends it `signal` (`-INT`, `-TERM`) once its first case
/// line is out (signed in, polling, the run under way), and gives its exit
/// code and everything it printed (as its stdout).
#[cfg(unix)]
async fn signal_after_the_first_case(mut cmd: Command, signal: &'static str) -> BinOutput {
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("the binary starts");
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
        let mut seen = String::new();
        while !seen.contains("PASS ") && !seen.contains("FAIL ") {
            let mut line = String::new();
            if stderr.read_line(&mut line).expect("read") == 0 {
                break;
            }
            seen.push_str(&line);
        }
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        let status = child.wait().expect("wait");
        let mut stdout = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout);
        BinOutput {
            code: status.code(),
            stdout: format!("{stdout}\n{seen}{rest}"),
            stderr: String::new(),
            elapsed: Duration::ZERO,
        }
    })
    .await
    .unwrap()
}
