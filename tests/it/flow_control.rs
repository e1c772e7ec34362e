//! Adaptive flow control end to end: the binary against the reference
//! gateway with a per-agent flow limit it is not told about (N calls per
//! window, the calls above answered 000-007 or HTTP 429), at concurrency 1
//! and 16, and with a limit that changes during the run. Every case must
//! get a verdict (none "not assessed (flow control)"), no required case may
//! fail, every refusal must be in the evidence, and the report must say
//! what was learned.

use crate::session_gateway::start;
use crate::support::{self, BinOutput, bin};
use ccgw_conformance::gateway::{FlowLimit, RunningGateway, SessionConfig};
use ccgw_conformance::report::{Cause, RunReport, Verdict};
use std::path::Path;
use std::time::Duration;

/// The gateway with `limit` and static Guids.
async fn limited(limit: FlowLimit) -> RunningGateway {
    start(
        SessionConfig {
            flow_limit: Some(limit),
            ..SessionConfig::default()
        },
        &[],
    )
    .await
}

fn window(calls: u32, window_ms: u64) -> FlowLimit {
    FlowLimit::Window {
        calls,
        window: Duration::from_millis(window_ms),
        http_429: false,
    }
}

/// `run` of the cases `only` against `gw` with the static credentials,
/// at `concurrency`, into `out`.
async fn run(gw: &RunningGateway, out: &Path, concurrency: u16, only: &str) -> BinOutput {
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
        "--concurrency",
        &concurrency.to_string(),
        "--only",
        only,
    ])
    .env("CCGW_GUID", &gw.agent.guid)
    .env("CCGW_OTHER_GUID", &gw.other_agent.guid)
    .arg("--out")
    .arg(out);
    support::run_bin_async(cmd, Duration::from_secs(300)).await
}

fn report(out: &Path) -> RunReport {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let value: serde_json::Value = serde_json::from_str(&text).expect("report.json parses");
    let errors = crate::render::schema_errors(&value);
    assert!(errors.is_empty(), "{errors:#?}");
    serde_json::from_value(value).expect("report.json reads back")
}

/// Every case has a verdict, the run is Conformant, every refusal the
/// gateway counted is an attempt in the evidence, and every output says
/// what was learned of the agent.
fn assert_adapted(gw: &RunningGateway, out: &Path, run: &BinOutput) -> RunReport {
    let report = report(out);
    let limited: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.cause == Some(Cause::FlowControl))
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        limited.is_empty(),
        "not assessed: {limited:?}\n{}",
        run.console()
    );
    assert_eq!(
        report.summary.verdict,
        Verdict::Conformant,
        "{}",
        run.console()
    );
    assert_eq!(run.code, Some(0));
    let refused_in_evidence: u64 = report
        .cases
        .iter()
        .flat_map(|c| &c.attempts)
        .chain(report.assessment.controls.iter().flat_map(|c| &c.attempts))
        .filter(|a| a.retcode.as_deref() == Some("000-007") || a.http_status == Some(429))
        .count() as u64;
    let gateway_refusals = gw.flow_refusals();
    assert!(gateway_refusals > 0, "the limit was reached");
    assert_eq!(
        refused_in_evidence, gateway_refusals,
        "every refusal of the gateway is an attempt in the evidence"
    );
    let learned = report
        .flow_control
        .iter()
        .find(|f| f.agent_id == gw.agent.agent_id)
        .expect("the report says what was learned of the agent");
    assert_eq!(
        report.flow_control.iter().map(|f| f.refusals).sum::<u64>(),
        gateway_refusals
    );
    assert!(learned.refused_above_per_s.is_some());
    let line = format!("agent {}: refused above about", gw.agent.agent_id);
    for file in ["report.md", "report.html", "junit.xml"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(text.contains(&line), "{file} says what was learned");
    }
    assert!(
        run.stderr.contains(&format!("flow control: {line}")),
        "{}",
        run.stderr
    );
    report
}

/// The limits of the issue at both concurrencies: 5 a second, and the
/// documented default of agent interfaces, 5 every 2 seconds (a subset of
/// the suite there, to keep the test short: the benchmark runs it whole).
#[rstest::rstest]
#[case::five_per_second_in_turn(window(5, 1000), 1, "*")]
#[case::five_per_second_16_at_once(window(5, 1000), 16, "*")]
#[case::five_per_two_seconds_in_turn(window(5, 2000), 1, "guid/*")]
#[case::five_per_two_seconds_16_at_once(window(5, 2000), 16, "guid/*")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_learns_the_flow_limit_and_every_case_gets_a_verdict(
    #[case] limit: FlowLimit,
    #[case] concurrency: u16,
    #[case] only: &str,
) {
    let gw = limited(limit).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run(&gw, dir.path(), concurrency, only).await;
    assert_adapted(&gw, dir.path(), &run);
    gw.shutdown().await;
}

/// A proxy's HTTP 429 with `Retry-After` is flow control too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_429_with_retry_after_is_waited_for_not_failed() {
    let gw = limited(FlowLimit::Window {
        calls: 10,
        window: Duration::from_millis(1000),
        http_429: true,
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let run = run(&gw, dir.path(), 16, "*").await;
    let report = assert_adapted(&gw, dir.path(), &run);
    assert!(
        report
            .cases
            .iter()
            .flat_map(|c| &c.attempts)
            .any(|a| a.http_status == Some(429) && a.waited_ms.is_none())
    );
    gw.shutdown().await;
}

/// The limit tightens from 50 to 3 a second during the run, then loosens
/// again: the pace follows, and no case is left without a verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_that_changes_during_the_run_is_followed() {
    let gw = std::sync::Arc::new(limited(window(50, 1000)).await);
    let dir = tempfile::tempdir().unwrap();
    let changer = {
        let gw = std::sync::Arc::clone(&gw);
        tokio::spawn(async move {
            // Keyed to the gateway's own count, not to the clock.
            wait_for_calls(&gw, 10).await;
            gw.set_flow_limit(Some(window(3, 1000)));
            wait_for_calls(&gw, 30).await;
            gw.set_flow_limit(Some(window(20, 1000)));
        })
    };
    let run = run(&gw, dir.path(), 8, "*").await;
    changer.abort();
    let report = assert_adapted(&gw, dir.path(), &run);
    let learned = &report.flow_control[0];
    assert!(
        learned.refused_above_per_s.unwrap() < 50.0,
        "learned below the first limit: {learned:?}"
    );
}

/// Waits until the gateway has answered `n` getconnectinfo calls of the agent.
async fn wait_for_calls(gw: &RunningGateway, n: u64) {
    loop {
        if gw.getconnectinfo_calls() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
