//! Hostile targets: a gateway that is down, has the wrong certificate, never
//! answers, drips, redirects, or answers bodies that are not what they claim.
//! Each behaviour of `support::hostile` has a test here that fails without
//! the tool's handling of it.

use crate::support;

use std::time::{Duration, Instant};

use ccgw_conformance::report::{RunReport, Status, TlsMode};
use rstest::rstest;
use support::hostile::{self, Behaviour, Hostile, TestCert};
use support::{AGENT, GUID, Knobs, bin, case, checks, run_bin_async, run_library};

/// A case that expects a success (needs the live callid; [`support`] gives one).
const SERVED: &str = "success/connect-info";
/// A case that expects a refusal with an auth retcode.
const REFUSED: &str = "guid/unknown";
/// A case that expects "not served" (no envelope required).
const NOT_SERVED: &str = "method/get";

/// A documented success body for [`AGENT`], with `result` fields replaced by `patch`.
fn success_body(patch: &str) -> String {
    let result = format!(
        r#""userId":"{AGENT}","ctime":"4102444800000","channelId":"15945185-345","role":"0","ip":"192.0.2.10","port":"6500","signalingDomainIn":"https://in.example:8443","signalingDomainOut":"https://out.example:8443","locationId":"65535","signature":"c2lnbmF0dXJl","appId":"sdcp0BPc"{patch}"#
    );
    format!(r#"{{"retcode":"0","message":"success","result":{{{result}}}}}"#)
}

fn run_args(url: &str, out: &std::path::Path) -> std::process::Command {
    let mut cmd = bin();
    cmd.args(["run", "--target", url, "--agent-id", AGENT, "--out"])
        .arg(out)
        .env("CCGW_GUID", GUID);
    cmd
}

fn read_report(out: &std::path::Path) -> RunReport {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json written");
    serde_json::from_str(&text).expect("report.json parses")
}

// ---- Transport ------------------------------------------------------------

#[tokio::test]
async fn connection_refused_exits_3_quickly_naming_the_url() {
    // A port that was just free: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_bin_async(run_args(&url, dir.path()), Duration::from_secs(20)).await;
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        out.elapsed < Duration::from_secs(5),
        "took {:?}",
        out.elapsed
    );
    assert!(out.stderr.contains(&url), "names the URL: {}", out.stderr);
    assert!(
        out.stderr.to_lowercase().contains("connection refused"),
        "says why: {}",
        out.stderr
    );
    assert!(
        read_report(dir.path()).cases.len() > 1,
        "reports still written"
    );
}

/// How a TLS test points the tool at a server.
#[derive(Debug, Clone, Copy)]
enum TlsCase {
    /// A self-signed certificate for 127.0.0.1, not trusted.
    Untrusted,
    /// A certificate for `other.example` served on 127.0.0.1, trusted with --ca-cert.
    OtherName,
    /// `https://localhost` to a certificate with only the IP SAN 127.0.0.1.
    LocalhostToIpOnly,
}

#[rstest]
#[case::untrusted(TlsCase::Untrusted, "not trusted")]
#[case::other_name(TlsCase::OtherName, "not valid for 127.0.0.1")]
#[case::localhost_ip_only(TlsCase::LocalhostToIpOnly, "not valid for localhost")]
#[tokio::test]
async fn tls_failures_name_ca_cert_and_insecure(#[case] which: TlsCase, #[case] why: &str) {
    let names: &[&str] = match which {
        TlsCase::OtherName => &["other.example"],
        TlsCase::Untrusted | TlsCase::LocalhostToIpOnly => &["127.0.0.1"],
    };
    let cert = TestCert::for_names(names);
    let server = Hostile::start_tls(Behaviour::Raw(hostile::json(&success_body(""))), &cert).await;
    let url = match which {
        TlsCase::LocalhostToIpOnly => format!("https://localhost:{}", server.addr.port()),
        _ => server.url(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, &cert.pem).expect("write pem");
    let mut cmd = run_args(&url, &dir.path().join("out"));
    cmd.args(["--only", REFUSED]);
    if !matches!(which, TlsCase::Untrusted) {
        cmd.arg("--ca-cert").arg(&pem);
    }
    let out = run_bin_async(cmd, Duration::from_secs(20)).await;
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    for needle in ["--ca-cert", "--insecure", why] {
        assert!(out.stderr.contains(needle), "`{needle}` in: {}", out.stderr);
    }
    assert!(
        server.requests().is_empty(),
        "no request after a failed handshake"
    );
}

#[tokio::test]
async fn insecure_is_stated_in_every_report() {
    let cert = TestCert::for_names(&["other.example"]);
    let refusal = r#"{"retcode":"100-006","message":"not signed in"}"#;
    let server = Hostile::start_tls(Behaviour::Raw(hostile::json(refusal)), &cert).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = run_args(&server.url(), dir.path());
    cmd.args(["--only", REFUSED, "--insecure"]);
    let out = run_bin_async(cmd, Duration::from_secs(20)).await;
    // Every request is refused with 100-006, the control request too: the
    // run is not assessed (exit 4), and still says how TLS was checked.
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert_eq!(read_report(dir.path()).environment.tls, TlsMode::Insecure);
    for (file, statement) in [
        ("report.json", "\"tls\": \"insecure\""),
        (
            "report.json",
            "--insecure: the target's TLS certificate was NOT verified",
        ),
        ("junit.xml", "<property name=\"tls\" value=\"insecure\"/>"),
        ("report.md", "NOT VERIFIED (--insecure)"),
        ("report.html", "NOT VERIFIED (--insecure)"),
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).expect("written");
        assert!(text.contains(statement), "{file} states `{statement}`");
    }
}

#[rstest]
#[case::silent(Behaviour::Silent)]
#[case::silent_before_request(Behaviour::SilentBeforeRequest)]
#[case::drip_head(Behaviour::Drip { head: b"HTTP/1.1 200 OK\r\nX-Slow: ".to_vec(), every: Duration::from_millis(50) })]
#[case::drip_body(Behaviour::Drip { head: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n".to_vec(), every: Duration::from_millis(50) })]
#[tokio::test]
async fn a_target_that_never_finishes_errors_every_case_within_the_bound(
    #[case] behaviour: Behaviour,
) {
    let is_body_drip =
        matches!(&behaviour, Behaviour::Drip { head, .. } if head.ends_with(b"\r\n\r\n"));
    let server = Hostile::start(behaviour).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = run_args(&server.url(), dir.path());
    cmd.args(["--timeout", "2", "--concurrency", "16"]);
    let out = run_bin_async(cmd, Duration::from_secs(90)).await;
    let report = read_report(dir.path());
    let sent: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.status != Status::Skipped)
        .collect();
    // timeout x (ceil(cases / concurrency) + the control request), plus a
    // generous constant for start-up and reports on a loaded machine: far
    // below the 45 x 2 s that one timeout after another would take.
    let waves = sent.len().div_ceil(16) as u32 + 1;
    let bound = Duration::from_secs(2) * waves;
    assert!(
        out.elapsed < bound + Duration::from_secs(20),
        "took {:?} for {} cases",
        out.elapsed,
        sent.len()
    );
    assert!(sent.len() > 40);
    for c in sent {
        if c.id == "method/head" && is_body_drip {
            // A HEAD answer has no body: its head alone is a whole answer.
            continue;
        }
        assert_eq!(c.status, Status::Errored, "{}", c.id);
        let reason = c.reason.as_deref().unwrap_or_default();
        assert!(reason.contains("timeout of 2000 ms"), "{}: {reason}", c.id);
    }
    // No whole answer at all: unreachable (3); HEAD answered: the other
    // cases got no complete answer, which is not assessed (4), never a
    // failure (1).
    let code = if is_body_drip { 4 } else { 3 };
    assert_eq!(out.code, Some(code), "{}", out.stderr);
}

#[rstest]
#[case::moved_permanently(301)]
#[case::found(302)]
#[case::temporary(307)]
#[case::permanent(308)]
#[tokio::test]
async fn redirects_are_findings_and_the_guid_never_travels(#[case] status: u16) {
    let elsewhere = Hostile::start(Behaviour::Raw(hostile::json(&success_body("")))).await;
    let location = format!(
        "{}/agentgateway/resource/mediacall/{AGENT}/getconnectinfo",
        elsewhere.url()
    );
    let redirect = format!(
        "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let server = Hostile::start(Behaviour::Raw(redirect.into_bytes())).await;
    let report = run_library(&server.url(), &[SERVED, REFUSED], Knobs::default()).await;
    for id in [SERVED, REFUSED] {
        let c = case(&report, id);
        assert_eq!(c.status, Status::Failed, "{id}");
        assert_eq!(checks(c), ["transport.redirect"], "{id}");
        assert!(
            c.findings[0].message.contains(&location),
            "names the Location"
        );
    }
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().any(|r| r.header("guid") == Some(GUID)));
    // Give a followed redirect every chance to arrive.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        elsewhere.requests().is_empty(),
        "the Location target got a request"
    );
}

#[tokio::test]
async fn a_connection_closed_mid_body_errors_the_case() {
    // Promises 1000 bytes, sends 20, closes.
    let answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"retcode\":\"0\",\"mes".to_vec();
    let server = Hostile::start(Behaviour::Raw(answer)).await;
    let report = run_library(&server.url(), &[SERVED], Knobs::default()).await;
    let c = case(&report, SERVED);
    assert_eq!(c.status, Status::Errored, "{:?}", c.findings);
    let reason = c.reason.as_deref().unwrap_or_default();
    assert!(reason.contains(&server.url()), "names the origin: {reason}");
}

// ---- Bodies ---------------------------------------------------------------

/// Runs `ids` against a server answering `answer`; returns the report.
async fn answered(answer: Vec<u8>, ids: &[&str]) -> RunReport {
    let server = Hostile::start(Behaviour::Raw(answer)).await;
    run_library(&server.url(), ids, Knobs::default()).await
}

/// The one finding of `check` in case `id`, its message.
fn finding<'a>(report: &'a RunReport, id: &str, check: &str) -> &'a str {
    let c = case(report, id);
    c.findings
        .iter()
        .find(|f| f.check.as_str() == check)
        .map(|f| f.message.as_str())
        .unwrap_or_else(|| panic!("{id}: no {check} finding in {:?}", c.findings))
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_finding() {
    let report = answered(
        hostile::response(
            200,
            "text/html",
            b"<html><body>Service Unavailable</body></html>",
        ),
        &[SERVED, REFUSED],
    )
    .await;
    for id in [SERVED, REFUSED] {
        let msg = finding(&report, id, "body.json");
        assert!(msg.contains("text/html") && msg.contains("<html>"), "{msg}");
    }
}

#[tokio::test]
async fn invalid_utf8_is_a_finding() {
    let mut body = br#"{"retcode":"0","message":""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    body.extend_from_slice(br#""}"#);
    let report = answered(
        hostile::response(200, "application/json", &body),
        &[SERVED, REFUSED],
    )
    .await;
    for id in [SERVED, REFUSED] {
        let msg = finding(&report, id, "body.json");
        assert!(msg.contains("not valid UTF-8"), "{msg}");
    }
}

#[tokio::test]
async fn truncated_json_is_a_finding_that_says_where() {
    let body = success_body("");
    let report = answered(hostile::json(&body[..body.len() / 2]), &[SERVED]).await;
    let msg = finding(&report, SERVED, "body.json");
    assert!(msg.contains("EOF while parsing"), "{msg}");
}

#[tokio::test]
async fn a_huge_body_is_capped_and_named() {
    let server = Hostile::start(Behaviour::Flood).await;
    let started = Instant::now();
    let knobs = Knobs {
        body_cap: 64 * 1024,
        ..Knobs::default()
    };
    let report = run_library(&server.url(), &[SERVED, REFUSED], knobs).await;
    assert!(started.elapsed() < Duration::from_secs(4));
    for id in [SERVED, REFUSED] {
        let msg = finding(&report, id, "body.size");
        assert!(msg.contains("larger than 65536 bytes"), "{msg}");
        let response = case(&report, id).response.as_ref().expect("evidence");
        assert_eq!(response.body_bytes, 64 * 1024);
        assert!(response.truncated);
    }
}

#[tokio::test]
async fn deeply_nested_json_neither_overflows_nor_passes() {
    // Far past serde_json's recursion limit: not parsed, so reported as not JSON.
    let deep = format!(
        r#"{{"retcode":"0","message":"success","result":{}{}}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    // Inside the limit: parsed, and a nested value where a string belongs is a schema finding.
    let nested = success_body("").replace(
        r#""port":"6500""#,
        &format!(
            r#""port":{}"6500"{}"#,
            r#"{"a":"#.repeat(120),
            "}".repeat(120)
        ),
    );
    let report = answered(hostile::json(&deep), &[SERVED]).await;
    let msg = finding(&report, SERVED, "body.json");
    assert!(msg.contains("recursion limit"), "{msg}");
    let report = answered(hostile::json(&nested), &[SERVED]).await;
    let c = case(&report, SERVED);
    assert_eq!(checks(c), ["result.schema"], "{:?}", c.findings);
    assert_eq!(c.findings[0].instance_path.as_deref(), Some("/result/port"));
}

#[tokio::test]
async fn duplicate_keys_are_reported_with_their_path() {
    let report = answered(
        hostile::json(&success_body(r#","appId":"other""#)),
        &[SERVED],
    )
    .await;
    let c = case(&report, SERVED);
    assert_eq!(checks(c), ["body.unique_keys"]);
    assert_eq!(
        c.findings[0].instance_path.as_deref(),
        Some("/result/appId")
    );
}

#[tokio::test]
async fn numbers_where_strings_belong_are_schema_findings() {
    let body = success_body("").replace(r#""port":"6500""#, r#""port":6500"#);
    let report = answered(hostile::json(&body), &[SERVED]).await;
    let c = case(&report, SERVED);
    assert_eq!(checks(c), ["result.schema"], "{:?}", c.findings);
    assert_eq!(c.findings[0].instance_path.as_deref(), Some("/result/port"));

    let report = answered(
        hostile::json(r#"{"retcode":100006,"message":"not signed in"}"#),
        &[REFUSED],
    )
    .await;
    let c = case(&report, REFUSED);
    assert_eq!(checks(c), ["envelope.schema"], "{:?}", c.findings);
    assert_eq!(c.findings[0].instance_path.as_deref(), Some("/retcode"));
}

#[tokio::test]
async fn a_json_envelope_with_a_non_json_content_type_is_a_finding() {
    let refusal = r#"{"retcode":"100-006","message":"not signed in"}"#;
    for (content_type, ok) in [
        ("text/html; charset=UTF-8", false),
        ("text/plain", false),
        ("application/json;charset=utf-8", true),
        ("application/problem+json", true),
    ] {
        let served = answered(
            hostile::response(200, content_type, success_body("").as_bytes()),
            &[SERVED],
        )
        .await;
        let refused = answered(
            hostile::response(200, content_type, refusal.as_bytes()),
            &[REFUSED],
        )
        .await;
        for (report, id) in [(&served, SERVED), (&refused, REFUSED)] {
            let c = case(report, id);
            if ok {
                assert_eq!(c.status, Status::Passed, "{content_type}: {:?}", c.findings);
            } else {
                let msg = finding(report, id, "body.json");
                assert!(msg.contains(content_type), "{msg}");
            }
        }
    }
}

// ---- Error answers --------------------------------------------------------

#[rstest]
#[case::java_stack_trace(
    r#"java.lang.IllegalStateException: no session\n\tat com.example.gw.MediaCall.connect(MediaCall.java:88)"#,
    "a stack frame"
)]
#[case::exception_class("org.hibernate.LazyInitializationException", "an exception class name")]
#[case::file_path("cannot read /opt/gateway/conf/basic.properties", "a server file path")]
#[case::windows_path(r"see D:\\gw\\logs\\ for details", "a Windows file path")]
#[case::python(
    r#"Traceback (most recent call last):\n  File \"/app/gw.py\", line 3"#,
    "a Python traceback"
)]
#[tokio::test]
async fn errors_that_expose_internals_fail_the_case(#[case] message: &str, #[case] what: &str) {
    let refusal = format!(r#"{{"retcode":"100-006","message":"{message}"}}"#);
    let report = answered(hostile::json(&refusal), &[REFUSED]).await;
    let c = case(&report, REFUSED);
    assert_eq!(c.status, Status::Failed);
    let msg = finding(&report, REFUSED, "refusal.no_internals");
    assert!(msg.contains(what), "{msg}");

    // Also in a body that is not JSON at all (an error page).
    let text: String = serde_json::from_str(&format!("\"{message}\"")).expect("a JSON string");
    let page = format!("<html><pre>{text}</pre></html>");
    let report = answered(
        hostile::response(500, "text/html", page.as_bytes()),
        &[NOT_SERVED],
    )
    .await;
    finding(&report, NOT_SERVED, "refusal.no_internals");
}

#[tokio::test]
async fn a_plain_error_message_is_not_an_internals_finding() {
    let refusal = r#"{"retcode":"100-006","message":"The agent has not signed in."}"#;
    let report = answered(hostile::json(refusal), &[REFUSED]).await;
    assert_eq!(case(&report, REFUSED).status, Status::Passed);
}

#[tokio::test]
async fn connection_info_in_an_error_fails_the_case() {
    let leak = success_body("").replacen(r#""retcode":"0""#, r#""retcode":"100-006""#, 1);
    let report = answered(hostile::json(&leak), &[REFUSED]).await;
    let msg = finding(&report, REFUSED, "refusal.no_connection_info");
    assert!(msg.contains("/result,") && msg.contains("more)"), "{msg}");
    // Nested elsewhere, under another name.
    let hidden = r#"{"retcode":"100-006","message":"x","debug":{"session":{"signature":"abc","ip":"10.0.0.1"}}}"#;
    let report = answered(hostile::json(hidden), &[REFUSED]).await;
    let msg = finding(&report, REFUSED, "refusal.no_connection_info");
    assert!(msg.contains("/debug/session/signature"), "{msg}");
    // And in a body that does not parse.
    let broken = r#"<html>{"signature":"abc","ip":"10.0.0.1"</html>"#;
    let report = answered(
        hostile::response(403, "text/html", broken.as_bytes()),
        &[NOT_SERVED],
    )
    .await;
    finding(&report, NOT_SERVED, "refusal.no_connection_info");
}
