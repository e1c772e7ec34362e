//! Connection reuse: clean answers keep a connection alive for the next case,
//! a broken answer never reaches the next case, and `--fresh-connections`
//! (the library's `ConnectionPolicy::Fresh`) opens one connection per case.
//!
//! The target answers the n-th request of each connection with the n-th
//! answer of a script, so the message of each case's answer tells whether it
//! came on a new connection or a reused one.

use crate::support;

use std::time::Duration;

use ccgw_conformance::report::{RunReport, Status};
use ccgw_conformance::runner::ConnectionPolicy;
use rstest::rstest;
use support::hostile::{Behaviour, Hostile};
use support::{Knobs, case, checks, run_library};

/// Three cases with the same client (title-case headers), run in this order
/// at concurrency 1: the first opens a connection, the second gets the
/// scripted second answer if the connection was reused, the third shows what
/// the second left behind.
const CASES: [&str; 3] = ["guid/empty", "guid/malformed", "guid/missing"];

const FIRST: &str = "answer 1 on its connection";
const LATER: &str = "a later answer on a reused connection";

/// A keep-alive JSON answer (no `Connection: close`).
fn keep_alive(message: &str) -> Vec<u8> {
    let body = format!(r#"{{"retcode":"100-006","message":"{message}"}}"#);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn message(report: &RunReport, id: &str) -> Option<String> {
    case(report, id)
        .response
        .as_ref()
        .and_then(|r| r.message.clone())
}

async fn run_script(second: Vec<u8>, connections: ConnectionPolicy) -> (RunReport, usize) {
    let server = Hostile::start(Behaviour::KeepAlive(vec![
        keep_alive(FIRST),
        second,
        keep_alive(LATER),
    ]))
    .await;
    let knobs = Knobs {
        concurrency: 1,
        connections,
        body_cap: 1024,
        // A safety net only: the stalled answer never completes, whatever the timeout.
        timeout: Duration::from_secs(3),
        ..Knobs::default()
    };
    let report = run_library(&server.url(), &CASES, knobs).await;
    (report, server.requests().len())
}

#[tokio::test]
async fn clean_answers_keep_the_connection_for_the_next_case() {
    let (report, requests) =
        run_script(keep_alive("answer 2, clean"), ConnectionPolicy::Reuse).await;
    assert_eq!(requests, 3);
    assert_eq!(message(&report, CASES[0]).as_deref(), Some(FIRST));
    assert_eq!(
        message(&report, CASES[1]).as_deref(),
        Some("answer 2, clean")
    );
    assert_eq!(message(&report, CASES[2]).as_deref(), Some(LATER));
    assert!(!report.environment.fresh_connections);
}

#[tokio::test]
async fn fresh_connections_open_one_connection_per_case_and_say_so() {
    let (report, requests) =
        run_script(keep_alive("answer 2, clean"), ConnectionPolicy::Fresh).await;
    assert_eq!(requests, 3);
    for id in CASES {
        assert_eq!(message(&report, id).as_deref(), Some(FIRST), "{id}");
    }
    assert!(report.environment.fresh_connections);
    let json = ccgw_conformance::render::Format::Json.render(&report);
    assert!(json.contains(r#""fresh_connections": true"#), "{json}");
}

/// The broken second answers, each on a reused connection.
fn stalled() -> Vec<u8> {
    // Headers promise 200 bytes; 20 come, then nothing: a timeout.
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"retcode\":\"100-006\""
        .to_vec()
}

fn over_cap() -> Vec<u8> {
    let body = format!(
        r#"{{"retcode":"100-006","message":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn smuggled() -> Vec<u8> {
    // A complete answer followed, in the same write, by a second response
    // that no request asked for: a fake success for whoever reads next.
    let mut bytes = keep_alive("answer 2, with a smuggled answer behind it");
    bytes.extend_from_slice(&keep_alive("smuggled: the previous case's leftovers"));
    bytes
}

#[rstest]
#[case::stalled_body(stalled())]
#[case::body_over_the_cap(over_cap())]
#[case::bytes_after_the_body(smuggled())]
#[tokio::test]
async fn a_broken_answer_on_a_reused_connection_does_not_reach_the_next_case(
    #[case] second: Vec<u8>,
) {
    let (report, _) = run_script(second, ConnectionPolicy::Reuse).await;
    let broken = case(&report, CASES[1]);
    // The second case did get the broken answer: the connection was reused.
    let got_broken = broken.status == Status::Errored
        || checks(broken).contains(&"body.size")
        || message(&report, CASES[1])
            .is_some_and(|m| m.starts_with("answer 2, with a smuggled answer"));
    assert!(got_broken, "{broken:#?}");
    // The next case starts on a new connection and gets a clean first answer.
    let next = case(&report, CASES[2]);
    assert_eq!(
        message(&report, CASES[2]).as_deref(),
        Some(FIRST),
        "{next:#?}"
    );
    assert_ne!(next.status, Status::Errored, "{next:#?}");
    assert_eq!(case(&report, CASES[0]).status, next.status);
}

/// A HEAD answer ends with its head, even when it announces a body; a server
/// that sends the body anyway leaves it on the connection. Here that body is
/// a whole fake answer: on a reused connection it would be the next case's.
#[tokio::test]
async fn a_head_request_never_leaves_bytes_for_the_next_case() {
    const SMUGGLED: &str = "smuggled behind a HEAD answer";
    let fake = keep_alive(SMUGGLED);
    let mut head_then_body = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        fake.len()
    )
    .into_bytes();
    head_then_body.extend_from_slice(&fake);
    let server = Hostile::start(Behaviour::KeepAlive(vec![
        keep_alive(FIRST),
        head_then_body,
        keep_alive(LATER),
    ]))
    .await;
    let knobs = Knobs {
        concurrency: 1,
        timeout: Duration::from_secs(3),
        ..Knobs::default()
    };
    let cases = ["guid/empty", "method/head", "guid/malformed"];
    let report = run_library(&server.url(), &cases, knobs).await;
    assert_eq!(message(&report, cases[0]).as_deref(), Some(FIRST));
    let after = case(&report, cases[2]);
    assert_ne!(
        message(&report, cases[2]).as_deref(),
        Some(SMUGGLED),
        "the bytes behind the HEAD answer reached the next case: {after:#?}"
    );
    assert_eq!(server.requests().len(), 3, "one request per case");
}

/// A kept-alive connection that the server closes as it is reused: the
/// request goes once more on a fresh connection, whose answer is the case's,
/// instead of the case erroring for the connection's sake.
#[tokio::test]
async fn a_request_on_a_reused_connection_the_server_closed_goes_again_on_a_fresh_one() {
    let (report, requests) = run_script(Vec::new(), ConnectionPolicy::Reuse).await;
    assert_eq!(message(&report, CASES[0]).as_deref(), Some(FIRST));
    let second = case(&report, CASES[1]);
    assert_ne!(second.status, Status::Errored, "{second:#?}");
    assert_eq!(
        message(&report, CASES[1]).as_deref(),
        Some(FIRST),
        "answered on a fresh connection: {second:#?}"
    );
    assert_eq!(requests, 4, "the second case's request was sent twice");
}
