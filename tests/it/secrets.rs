//! Secrets never leave the process: the Guid (and the other agent's Guid) and
//! the `signature` value appear in no report file, no console output, in
//! passing and failing runs alike, also when the target echoes them back.

use crate::support;

use std::path::Path;
use std::time::Duration;

use ccgw_conformance::gateway::{self, Fault, GatewayConfig, RunningGateway};
use ccgw_conformance::report::Status;
use rstest::rstest;
use support::hostile::{self, Behaviour, Hostile};
use support::{AGENT, GUID, Knobs, assert_no_secret, bin, files_below, run_bin_async, run_library};

/// The `signature` the gateway hands out, read with a valid request.
async fn signature_of(gw: &RunningGateway) -> String {
    let pem = gw.ca_cert_pem.as_deref().expect("HTTPS gateway");
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem")])
        .no_proxy()
        .build()
        .expect("client");
    let url = format!(
        "{}/agentgateway/resource/mediacall/{}/getconnectinfo",
        gw.base_url, gw.agent.agent_id
    );
    let body: serde_json::Value = client
        .post(url)
        .header("Guid", &gw.agent.guid)
        .json(&serde_json::json!({"callid": gw.agent.callid, "userType": "agent"}))
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("JSON");
    let signature = body["result"]["signature"].as_str().expect("a signature");
    assert!(
        signature.len() >= 16,
        "a signature long enough to search for"
    );
    signature.to_owned()
}

/// How the Guid reaches the binary.
#[derive(Debug, Clone, Copy)]
enum GuidFrom {
    Flag,
    Env,
    File,
}

fn with_guid(cmd: &mut std::process::Command, from: GuidFrom, guid: &str, dir: &Path) {
    match from {
        GuidFrom::Flag => {
            cmd.args(["--guid", guid]);
        }
        GuidFrom::Env => {
            cmd.env("CCGW_GUID", guid);
        }
        GuidFrom::File => {
            let path = dir.join("guid.txt");
            std::fs::write(&path, format!("{guid}\n")).expect("write guid file");
            cmd.arg("--guid-file").arg(path);
        }
    }
}

#[rstest]
#[case::documented(&[], GuidFrom::Flag, 0)]
#[case::info_in_error(&[Fault::InfoInError], GuidFrom::Env, 1)]
#[case::stack_trace_in_error(&[Fault::StackTraceInError], GuidFrom::File, 1)]
#[case::guid_optional(&[Fault::GuidOptional, Fault::DuplicateKeys], GuidFrom::Env, 1)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_runs_write_no_secret(
    #[case] faults: &[Fault],
    #[case] from: GuidFrom,
    #[case] code: i32,
) {
    let gw = gateway::start(GatewayConfig {
        faults: faults.to_vec(),
        ..GatewayConfig::default()
    })
    .await
    .expect("gateway starts");
    let signature = signature_of(&gw).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, gw.ca_cert_pem.as_deref().expect("pem")).expect("write pem");
    let out_dir = dir.path().join("out");
    let mut cmd = bin();
    cmd.args(["run", "--target", &gw.base_url, "--agent-id"])
        .arg(&gw.agent.agent_id)
        .arg("--ca-cert")
        .arg(&pem)
        .args(["--callid", &gw.agent.callid])
        .args(["--other-agent-id", &gw.other_agent.agent_id])
        .args(["--other-callid", &gw.other_agent.callid])
        .env("CCGW_OTHER_GUID", &gw.other_agent.guid)
        .arg("--out")
        .arg(&out_dir);
    with_guid(&mut cmd, from, &gw.agent.guid, dir.path());
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(out.code, Some(code), "{}", out.stderr);

    let mut texts = files_below(&out_dir);
    assert_eq!(texts.len(), 4, "four reports");
    texts.push(("the console".to_owned(), out.console()));
    let secrets = [
        gw.agent.guid.as_str(),
        &gw.agent.guid[..8],
        gw.other_agent.guid.as_str(),
        signature.as_str(),
    ];
    assert_no_secret(&texts, &secrets);
    // The run did send them: the evidence shows where they were.
    let json = std::fs::read_to_string(out_dir.join("report.json")).expect("report");
    assert!(
        json.contains("<redacted>"),
        "the Guid header is shown redacted"
    );
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_guid_is_redacted_everywhere() {
    let server = Hostile::start(Behaviour::EchoGuid).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.args(["run", "--target", &server.url(), "--agent-id", AGENT])
        .arg("--out")
        .arg(dir.path());
    with_guid(&mut cmd, GuidFrom::Env, GUID, dir.path());
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    // The echo is a refusal of the valid request: credentials refused (exit 4),
    // and the control request's evidence holds the echo.
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.header("guid") == Some(GUID)),
        "the Guid was sent, so it was echoed"
    );
    let mut texts = files_below(dir.path());
    texts.push(("the console".to_owned(), out.console()));
    assert_no_secret(&texts, &[GUID, &GUID[..8]]);
    let json = std::fs::read_to_string(dir.path().join("report.json")).expect("report");
    assert!(
        json.contains("unknown Guid <guid>"),
        "the echo is shown redacted"
    );
}

#[rstest]
#[case::guid_at_the_evidence_limit(16 * 1024 - 10, 1024 * 1024)]
#[case::guid_at_the_body_cap(990, 1000)]
#[case::guid_in_an_excerpt(30, 1024 * 1024)]
#[tokio::test]
async fn a_guid_cut_in_half_is_still_redacted(#[case] offset: usize, #[case] cap: usize) {
    // Not JSON, so the finding quotes the start of the body too.
    let mut body = vec![b'x'; offset];
    body.extend_from_slice(GUID.as_bytes());
    body.extend_from_slice(&[b'y'; 20 * 1024]);
    let server = Hostile::start(Behaviour::Raw(hostile::response(200, "text/plain", &body))).await;
    let knobs = Knobs {
        body_cap: cap,
        ..Knobs::default()
    };
    let report = run_library(&server.url(), &["guid/unknown", "method/get"], knobs).await;
    let json = serde_json::to_string(&report).expect("serializes");
    assert!(
        !json.contains(&GUID[..8]),
        "a start of the Guid is in the report"
    );
    for c in &report.cases {
        assert_ne!(c.status, Status::Errored, "{}: {:?}", c.id, c.reason);
    }
}

#[tokio::test]
async fn secrets_in_headers_are_redacted() {
    let answer = hostile::response_with(
        200,
        "application/json",
        &[
            ("Set-GUID", &format!("JSESSIONID={GUID}")),
            ("X-Trace", &format!("session={GUID}")),
            ("Set-Cookie", "JSESSIONID=abcdef0123456789"),
        ],
        br#"{"retcode":"100-006","message":"not signed in","signature":"c2VjcmV0LXNpZ25hdHVyZQ"}"#,
    );
    let server = Hostile::start(Behaviour::Raw(answer)).await;
    let report = run_library(&server.url(), &["guid/unknown"], Knobs::default()).await;
    let json = serde_json::to_string(&report).expect("serializes");
    for secret in [GUID, "abcdef0123456789", "c2VjcmV0LXNpZ25hdHVyZQ"] {
        assert!(!json.contains(secret), "{} in the report", &secret[..4]);
    }
}

/// Guid-shaped values other than the well-known unknown one the suite sends.
fn guids_in(text: &str) -> Vec<String> {
    let shape = regex::Regex::new(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(\.AgentGateway\d*)?",
    )
    .expect("regex");
    shape
        .find_iter(text)
        .map(|m| m.as_str().to_owned())
        .filter(|g| !g.starts_with(&ccgw_conformance::runner::UNKNOWN_GUID[..36]))
        .collect()
}

#[rstest]
#[case::documented(None, 0)]
#[case::info_in_error(Some("info-in-error"), 1)]
#[case::stack_trace_in_error(Some("stack-trace-in-error"), 1)]
#[tokio::test]
async fn embedded_runs_write_no_guid_and_no_signature(
    #[case] fault: Option<&str>,
    #[case] code: i32,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.arg("run").arg("--out").arg(dir.path());
    if let Some(f) = fault {
        cmd.args(["--fault", f]);
    }
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(out.code, Some(code), "{}", out.stderr);
    let mut texts = files_below(dir.path());
    texts.push(("the console".to_owned(), out.console()));
    // The gateway's signature is 32 random hex digits; nothing else in a report is.
    let signature = regex::Regex::new(r"\b[0-9a-f]{32}\b").expect("regex");
    for (place, text) in &texts {
        assert_eq!(guids_in(text), Vec::<String>::new(), "a Guid in {place}");
        assert!(!signature.is_match(text), "a signature value in {place}");
    }
}
