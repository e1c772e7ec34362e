//! Trust real certificates: a self-signed certificate marked CA:TRUE (as
//! `openssl req -x509` makes it by default) given with `--ca-cert` is
//! trusted as itself, its host name and dates still checked; mutual TLS
//! against the reference gateway in its client-certificate mode; a server
//! that speaks only an old TLS version; malformed PEM files.

use crate::support;

use std::time::Duration;

use ccgw_conformance::gateway::{self, GatewayConfig, mtls};
use ccgw_conformance::report::RunReport;
use ccgw_conformance::runner::{ClientIdentity, TlsSetup};
use support::hostile::{self, Behaviour, Hostile, TestCert};
use support::{AGENT, GUID, Knobs, assert_no_secret, bin, files_below, run_bin_async, run_library};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const REFUSAL: &str = r#"{"retcode":"100-006","message":"not signed in"}"#;

/// A self-signed certificate for `names`, valid from `from` to `to`, with
/// basicConstraints CA:TRUE; returns (certificate PEM, key PEM).
fn ca_true_cert(names: &[&str], from: (i32, u8, u8), to: (i32, u8, u8)) -> (String, String) {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    (cert.pem(), key.serialize_pem())
}

/// A certificate made exactly as `openssl req -x509` makes it by default
/// (CA:TRUE from openssl.cnf's v3_ca), with an IP SAN for 127.0.0.1.
fn openssl_cert(dir: &std::path::Path) -> (String, String) {
    let (cert, key) = (dir.join("openssl-cert.pem"), dir.join("openssl-key.pem"));
    let out = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs (Debian package `openssl`)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&cert)
        .output()
        .expect("openssl x509");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("CA:TRUE"),
        "openssl's default self-signed certificate is CA:TRUE"
    );
    (
        std::fs::read_to_string(cert).expect("cert"),
        std::fs::read_to_string(key).expect("key"),
    )
}

async fn run_against(cert: &TestCert, tls: TlsSetup) -> RunReport {
    let server = Hostile::start_tls(Behaviour::Raw(hostile::json(REFUSAL)), cert).await;
    let url = server.url();
    run_library(
        &url,
        &["guid/unknown"],
        Knobs {
            tls,
            ..Knobs::default()
        },
    )
    .await
}

fn reason(report: &RunReport) -> String {
    report.cases[0].reason.clone().unwrap_or_default()
}

#[tokio::test]
async fn a_ca_true_self_signed_certificate_given_with_ca_cert_is_trusted() {
    let (pem, key) = ca_true_cert(&["127.0.0.1"], (2020, 1, 1), (2090, 1, 1));
    let cert = TestCert::from_pem(&pem, &key);
    let report = run_against(&cert, TlsSetup::CaPem(pem.clone().into_bytes())).await;
    assert!(report.cases[0].response.is_some(), "{}", reason(&report));
    // Control: without it the same server is not trusted.
    let report = run_against(&cert, TlsSetup::System).await;
    assert!(report.cases[0].response.is_none());
    assert!(reason(&report).contains("TLS with"), "{}", reason(&report));
}

#[tokio::test]
async fn an_openssl_default_certificate_given_with_ca_cert_is_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pem, key) = openssl_cert(dir.path());
    let cert = TestCert::from_pem(&pem, &key);
    let report = run_against(&cert, TlsSetup::CaPem(pem.into_bytes())).await;
    assert!(report.cases[0].response.is_some(), "{}", reason(&report));
}

#[tokio::test]
async fn a_pinned_certificate_still_needs_the_right_host_and_dates() {
    let (pem, key) = ca_true_cert(&["gateway.example"], (2020, 1, 1), (2090, 1, 1));
    let report = run_against(
        &TestCert::from_pem(&pem, &key),
        TlsSetup::CaPem(pem.into_bytes()),
    )
    .await;
    assert!(report.cases[0].response.is_none());
    assert!(
        reason(&report).contains("not valid for 127.0.0.1"),
        "{}",
        reason(&report)
    );
    assert!(
        reason(&report).contains("neither signs nor is the server's certificate"),
        "the advice does not repeat --ca-cert: {}",
        reason(&report)
    );

    let (pem, key) = ca_true_cert(&["127.0.0.1"], (2001, 1, 1), (2002, 1, 1));
    let report = run_against(
        &TestCert::from_pem(&pem, &key),
        TlsSetup::CaPem(pem.into_bytes()),
    )
    .await;
    assert!(report.cases[0].response.is_none());
    assert!(reason(&report).contains("expired"), "{}", reason(&report));

    // Another CA:TRUE certificate for the right host is neither the anchor nor pinned.
    let (served, served_key) = ca_true_cert(&["127.0.0.1"], (2020, 1, 1), (2090, 1, 1));
    let (other, _) = ca_true_cert(&["127.0.0.1"], (2020, 1, 1), (2090, 1, 1));
    let report = run_against(
        &TestCert::from_pem(&served, &served_key),
        TlsSetup::CaPem(other.into_bytes()),
    )
    .await;
    assert!(report.cases[0].response.is_none());
}

/// The reference gateway in its mode that requires client certificates, and
/// a client PKI it trusts.
async fn mtls_gateway() -> (mtls::ClientPki, gateway::RunningGateway) {
    let pki = mtls::client_pki().expect("client pki");
    let gw = gateway::start(GatewayConfig {
        client_ca_pem: Some(pki.ca_pem.clone()),
        ..GatewayConfig::default()
    })
    .await
    .expect("gateway starts");
    (pki, gw)
}

fn identity(pki: &mtls::ClientPki) -> ClientIdentity {
    ClientIdentity {
        cert_pem: pki.cert_pem.clone().into_bytes(),
        key_pem: pki.key_pem.clone().into_bytes(),
        cert_name: "--client-cert test".to_owned(),
        key_name: "--client-key test".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_against_the_gateway_that_requires_client_certificates() {
    let (pki, gw) = mtls_gateway().await;
    let tls = TlsSetup::CaPem(gw.ca_cert_pem.clone().expect("https").into_bytes());

    let with = run_library(
        &gw.base_url,
        &["guid/unknown"],
        Knobs {
            tls: tls.clone(),
            client_identity: Some(identity(&pki)),
            ..Knobs::default()
        },
    )
    .await;
    assert!(with.cases[0].response.is_some(), "{}", reason(&with));

    // Control: without a client certificate the gateway refuses the handshake.
    let without = run_library(
        &gw.base_url,
        &["guid/unknown"],
        Knobs {
            tls: tls.clone(),
            ..Knobs::default()
        },
    )
    .await;
    assert!(without.cases[0].response.is_none());
    assert!(
        reason(&without).contains("client certificate"),
        "{}",
        reason(&without)
    );

    // A certificate from another CA is refused too.
    let stranger = mtls::client_pki().expect("another pki");
    let wrong = run_library(
        &gw.base_url,
        &["guid/unknown"],
        Knobs {
            tls,
            client_identity: Some(identity(&stranger)),
            ..Knobs::default()
        },
    )
    .await;
    assert!(wrong.cases[0].response.is_none(), "{}", reason(&wrong));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_with_client_cert_and_key_and_writes_no_secret() {
    let (pki, gw) = mtls_gateway().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let ca = write("ca.pem", gw.ca_cert_pem.as_deref().expect("https"));
    let cert = write("client.pem", &pki.cert_pem);
    let key = write("client-key.pem", &pki.key_pem);
    let out_dir = dir.path().join("out");
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        &gw.base_url,
        "--agent-id",
        &gw.agent.agent_id,
    ])
    .arg("--ca-cert")
    .arg(&ca)
    .arg("--client-cert")
    .arg(&cert)
    .env("CCGW_CLIENT_KEY", &key)
    .env("CCGW_GUID", &gw.agent.guid)
    .args(["--callid", &gw.agent.callid, "--only", "guid/*"])
    .args(["--accept-skip", "guid/other-agent"])
    .arg("--out")
    .arg(&out_dir);
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mut texts = files_below(&out_dir);
    texts.push(("the console".to_owned(), out.console()));
    let key_body: String = pki
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_no_secret(&texts, &[gw.agent.guid.as_str(), &key_body[..40]]);
    gw.shutdown().await;
}

/// A raw TCP server that answers any ClientHello with `answer` (TLS records).
async fn old_tls_server(answer: Vec<u8>) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let serve = async {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    continue;
                };
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        };
        let _ = tokio::time::timeout(hostile::LIFETIME, serve).await;
    });
    (format!("https://{addr}"), task)
}

/// A ServerHello choosing TLS 1.0 (what a TLS 1.0-only server answers).
fn tls10_server_hello() -> Vec<u8> {
    let mut hello = vec![0x03, 0x01];
    hello.extend_from_slice(&[0x42; 32]); // random
    hello.push(0); // session id
    hello.extend_from_slice(&[0x00, 0x2f]); // TLS_RSA_WITH_AES_128_CBC_SHA
    hello.push(0); // no compression
    let mut handshake = vec![0x02, 0, 0, u8::try_from(hello.len()).expect("short")];
    handshake.extend_from_slice(&hello);
    let mut record = vec![
        0x16,
        0x03,
        0x01,
        0,
        u8::try_from(handshake.len()).expect("short"),
    ];
    record.extend_from_slice(&handshake);
    record
}

#[rstest::rstest]
#[case::server_hello_tls10(tls10_server_hello())]
#[case::protocol_version_alert(vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])]
#[tokio::test]
async fn a_server_that_speaks_only_old_tls_is_told_apart(#[case] answer: Vec<u8>) {
    let (url, task) = old_tls_server(answer).await;
    let report = run_library(&url, &["guid/unknown"], Knobs::default()).await;
    task.abort();
    assert!(
        reason(&report).contains("TLS 1.2 or later is required"),
        "{}",
        reason(&report)
    );
}

#[rstest::rstest]
#[case::not_pem("--ca-cert", "hello\n", "no certificate in the file")]
#[case::bad_base64(
    "--ca-cert",
    "-----BEGIN CERTIFICATE-----\n!!notbase64!!\n-----END CERTIFICATE-----\n",
    "malformed PEM"
)]
#[case::cut_off("--ca-cert", "-----BEGIN CERTIFICATE-----\nMIIB\n", "malformed PEM")]
#[case::not_a_certificate(
    "--ca-cert",
    "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    "not a valid X.509 certificate"
)]
#[case::no_key("--client-key", "hello\n", "no private key in the file")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_pem_names_the_file_and_the_problem(
    #[case] flag: &str,
    #[case] text: &str,
    #[case] problem: &str,
) {
    let server = Hostile::start(Behaviour::Raw(hostile::json(REFUSAL))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = mtls::client_pki().expect("pki");
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, text).expect("write");
    let good_cert = dir.path().join("client.pem");
    std::fs::write(&good_cert, &pki.cert_pem).expect("write");
    let mut cmd = support::run_target(&server.url());
    cmd.args(["--guid", GUID])
        .arg(flag)
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("out"));
    if flag == "--client-key" {
        cmd.arg("--client-cert").arg(&good_cert);
    }
    let out = run_bin_async(cmd, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("{flag} {}", bad.display())),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(problem), "{}", out.stderr);
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_does_not_fit_the_certificate_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (
        mtls::client_pki().expect("pki"),
        mtls::client_pki().expect("pki"),
    );
    let cert = dir.path().join("a.pem");
    let key = dir.path().join("b-key.pem");
    std::fs::write(&cert, &a.cert_pem).expect("write");
    std::fs::write(&key, &b.key_pem).expect("write");
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        "https://127.0.0.1:9",
        "--agent-id",
        AGENT,
        "--guid",
        GUID,
    ])
    .arg("--client-cert")
    .arg(&cert)
    .arg("--client-key")
    .arg(&key)
    .arg("--out")
    .arg(dir.path().join("out"));
    let out = run_bin_async(cmd, Duration::from_secs(30)).await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("b-key.pem"), "{}", out.stderr);
}
