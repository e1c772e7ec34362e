//! Bad input to the tool itself: invalid options (exit 2, naming the option),
//! the Guid from each of its sources, arbitrary response bytes fed to the
//! checks and the redactor (property tests), and Ctrl-C mid-run.

use crate::support;

use std::io::BufRead;
use std::time::Duration;

use ccgw_conformance::checks::{self, CheckContext, Expected, Observed};
use ccgw_conformance::contract::StatusSet;
use ccgw_conformance::redact::Redactor;
use ccgw_conformance::report::RunReport;
use ccgw_conformance::schemas::Schemas;
use proptest::prelude::*;
use rstest::rstest;
use support::hostile::{self, Behaviour, Hostile};
use support::{AGENT, GUID, bin, run_bin, run_bin_async};

// ---- Invalid command lines --------------------------------------------------

#[rstest]
#[case::agent_id_not_a_number(&["--agent-id", "abc"], "--agent-id")]
#[case::agent_id_negative(&["--agent-id", "-5"], "--agent-id")]
#[case::target_not_a_url(&["--target", "not a url"], "--target")]
#[case::target_bad_scheme(&["--target", "ftp://127.0.0.1:1"], "--target")]
#[case::timeout_not_a_number(&["--timeout", "abc"], "--timeout")]
#[case::timeout_zero(&["--timeout", "0"], "--timeout")]
#[case::timeout_negative(&["--timeout", "-1"], "--timeout")]
#[case::concurrency_zero(&["--concurrency", "0"], "--concurrency")]
#[case::body_cap_not_a_size(&["--body-cap", "1 MeB"], "--body-cap")]
#[case::unknown_fault(&["--fault", "nope"], "--fault")]
#[case::unknown_profile(&["--profile", "cec-99"], "--profile")]
#[case::target_without_agent(&["--target", "http://127.0.0.1:1", "--guid", "g-123456"], "--agent-id")]
#[case::target_without_guid(&["--target", "http://127.0.0.1:1", "--agent-id", "1001"], "--guid-file")]
#[case::guid_file_missing(&["--target", "http://127.0.0.1:1", "--agent-id", "1001", "--guid-file", "/nonexistent/guid.txt"], "--guid-file")]
fn invalid_options_exit_2_naming_the_option(#[case] args: &[&str], #[case] option: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.arg("run").args(args).arg("--out").arg(dir.path());
    let out = run_bin(cmd, Duration::from_secs(20));
    assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
    assert!(
        out.stderr.contains(option),
        "{args:?} names {option}: {}",
        out.stderr
    );
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "no report for a bad command line"
    );
}

#[test]
fn an_empty_guid_file_is_named_and_its_path_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("guid.txt");
    std::fs::write(&file, "\n").expect("write");
    let mut cmd = bin();
    cmd.args([
        "run",
        "--target",
        "http://127.0.0.1:1",
        "--agent-id",
        "1001",
    ])
    .arg("--guid-file")
    .arg(&file)
    .arg("--out")
    .arg(dir.path().join("out"));
    let out = run_bin(cmd, Duration::from_secs(20));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("--guid-file"), "{}", out.stderr);
    assert!(out.stderr.contains("guid.txt"), "{}", out.stderr);
}

#[rstest]
#[case::flag("flag")]
#[case::env("env")]
#[case::file("file")]
#[case::file_crlf("file-crlf")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guid_is_read_from_each_source(#[case] source: &str) {
    let refusal = r#"{"retcode":"100-006","message":"not signed in"}"#;
    let server = Hostile::start(Behaviour::Raw(hostile::json(refusal))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.args(["run", "--target", &server.url(), "--agent-id", AGENT])
        .args([
            "--only",
            "guid/header-lowercase",
            "--callid",
            support::CALLID,
        ])
        .arg("--out")
        .arg(dir.path().join("out"));
    let file = dir.path().join("guid.txt");
    match source {
        "flag" => {
            cmd.args(["--guid", GUID]);
        }
        "env" => {
            cmd.env("CCGW_GUID", GUID);
        }
        "file" | "file-crlf" => {
            let ending = if source == "file" { "\n" } else { "\r\n" };
            std::fs::write(&file, format!("{GUID}{ending}second line\n")).expect("write");
            cmd.arg("--guid-file").arg(&file);
        }
        other => unreachable!("{other}"),
    }
    let out = run_bin_async(cmd, Duration::from_secs(20)).await;
    // The server refuses everything with 100-006: the control request is
    // refused, so the run is not assessed and no case is sent after it.
    assert_eq!(
        out.code,
        Some(4),
        "credentials refused by the control request: {}",
        out.stderr
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 1, "the control request only");
    assert_eq!(sent[0].header("guid"), Some(GUID), "{source}");
}

// ---- Arbitrary response bytes ---------------------------------------------

/// Small JSON values with the envelope's and Table 5's names as keys.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let key = prop_oneof![
        Just("retcode".to_owned()),
        Just("message".to_owned()),
        Just("result".to_owned()),
        Just("signature".to_owned()),
        Just("userId".to_owned()),
        Just("port".to_owned()),
        "[a-z~/]{0,4}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("0".to_owned()),
            Just("100-006".to_owned()),
            Just(AGENT.to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Bytes: anything, JSON, or JSON-ish token soup (unbalanced, duplicated keys).
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just("\""),
        Just("\\"),
        Just(":"),
        Just(","),
        Just("\"retcode\":"),
        Just("\"0\""),
        Just("\"result\":"),
        Just("\"signature\":\""),
        Just("\"ip\":"),
        Just("1e999"),
        Just("é"),
        Just(" "),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| serde_json::to_vec(&v).expect("serializes")),
        proptest::collection::vec(token, 0..64).prop_map(|t| t.concat().into_bytes()),
    ]
}

fn expectations() -> Vec<Expected> {
    let set = |t: &[&str]| {
        StatusSet::parse(&t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .expect("status set")
    };
    let served = Expected::Served {
        statuses: set(&["200"]),
        agent_id: AGENT.to_owned(),
    };
    let refused = Expected::Refused {
        retcodes: vec!["100-006".to_owned()],
        set: "auth".to_owned(),
        statuses: set(&["200", "4xx"]),
    };
    vec![
        served.clone(),
        refused.clone(),
        Expected::NotServed {
            statuses: set(&["4xx"]),
        },
        Expected::Either {
            served: Box::new(served),
            refused: Box::new(refused),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn evaluate_never_panics(
        body in bodies(),
        status in 100u16..600,
        content_type in proptest::option::of(prop_oneof![Just("application/json".to_owned()), ".{0,20}"]),
        over_cap in any::<bool>(),
    ) {
        let schemas = Schemas::embedded().expect("schemas");
        let documented = vec!["100-006".to_owned(), "000-002".to_owned()];
        let ctx = CheckContext {
            schemas: &schemas,
            documented: &documented,
            allow_loopback_media: false,
        };
        let observed = Observed {
            status,
            location: None,
            content_type,
            body,
            over_cap,
            cap: 1024,
            allow: None,
            received_at_ms: 0,
            disclosed: Vec::new(),
        };
        for expected in expectations() {
            let findings = checks::evaluate(&expected, &observed, &ctx);
            let mut sorted = findings.clone();
            sorted.sort();
            prop_assert_eq!(findings, sorted);
        }
    }

    #[test]
    fn duplicate_keys_and_redaction_never_panic(body in bodies(), text in ".{0,200}") {
        let _ = checks::duplicate_keys(&body);
        let redactor = Redactor::new();
        redactor.add(GUID, "<guid>");
        redactor.add("é-secret-é-value", "<x>");
        for input in [String::from_utf8_lossy(&body).into_owned(), text] {
            let out = redactor.text(&input);
            prop_assert!(!out.contains(GUID));
            prop_assert!(!out.contains(&GUID[..8]));
        }
    }

    #[test]
    fn a_guid_anywhere_is_redacted(prefix in ".{0,40}", suffix in ".{0,40}", cut in 8usize..50) {
        let redactor = Redactor::new();
        redactor.add(GUID, "<guid>");
        let whole = format!("{prefix}{GUID}{suffix}");
        prop_assert!(!redactor.text(&whole).contains(&GUID[..8]));
        let cut_off = format!("{prefix}{}", &GUID[..cut.min(GUID.len())]);
        prop_assert!(!redactor.text(&cut_off).contains(&GUID[..8]));
    }
}

// ---- Ctrl-C and SIGTERM ---------------------------------------------------------

#[cfg(unix)]
#[rstest::rstest]
#[case::ctrl_c("-INT")]
#[case::ci_cancel("-TERM")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_writes_the_report_so_far_and_exits_130(#[case] signal: &'static str) {
    let server = Hostile::start(Behaviour::Silent).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_path_buf();
    let url = server.url();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut cmd = bin();
        cmd.args([
            "run",
            "--target",
            &url,
            "--agent-id",
            AGENT,
            "--timeout",
            "60",
        ])
        .env("CCGW_GUID", GUID)
        .arg("--out")
        .arg(&out_dir);
        let mut child = cmd.spawn().expect("the binary starts");
        let pid = child.id();
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
        // The plain-http warning comes first; the run announces itself next.
        let mut first = String::new();
        while !first.starts_with("running ") {
            first.clear();
            let n = stderr.read_line(&mut first).expect("a line");
            assert!(n > 0, "stderr ended before the run announced itself");
        }
        let started = std::time::Instant::now();
        let killed = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        let status = child.wait().expect("wait");
        (status.code(), started.elapsed(), rest)
    })
    .await
    .expect("the blocking task ends");
    let (code, elapsed, rest) = outcome;
    assert_eq!(code, Some(130), "{rest}");
    assert!(
        elapsed < Duration::from_secs(10),
        "stopped after {elapsed:?}"
    );
    let text = std::fs::read_to_string(dir.path().join("report.json")).expect("report.json");
    let report: RunReport = serde_json::from_str(&text).expect("parses");
    assert!(report.interrupted);
    assert!(
        report
            .cases
            .iter()
            .any(|c| c.reason.as_deref() == Some("interrupted before it finished"))
    );
    for file in ["junit.xml", "report.md", "report.html"] {
        assert!(dir.path().join(file).exists(), "{file} written");
    }
}
