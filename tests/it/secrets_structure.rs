//! Secrets are redacted by structure, not only as written: the Guid used as
//! a JSON key (in the shape list and the findings' pointers), `signature`
//! in other spellings, types, places (headers, messages), a Guid escaped,
//! upper-cased, short, given with a byte-order mark or inside the target's
//! path. Each run's every output (all files, the comparison too, and the
//! console) is searched for every secret, as written and JSON-decoded.

use crate::support;

use std::path::Path;
use std::time::Duration;

use rstest::rstest;
use support::hostile::{self, Behaviour, Hostile};
use support::{AGENT, BinOutput, GUID, assert_no_secret, bin, files_below, run_bin_async};

const SIG_A: &str = "c2lnbmF0dXJlLUEtc2VjcmV0";
const SIG_B: &str = "c2lnbmF0dXJlLUItc2VjcmV0";
const SIG_NUM: &str = "98765432109876";

/// Every string and key of a JSON document, decoded.
fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                json_strings(v, out);
            }
        }
        _ => {}
    }
}

/// Every output of the runs: each file below `dirs`, each JSON file's
/// decoded strings (and a report body's decoded strings), and the consoles.
fn outputs(dirs: &[&Path], consoles: &[&BinOutput]) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    for dir in dirs {
        for (path, text) in files_below(dir) {
            if path.ends_with(".json") {
                let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
                let mut strings = Vec::new();
                json_strings(&value, &mut strings);
                // A body in the evidence is JSON text itself: decode it too.
                let nested: Vec<String> = strings
                    .iter()
                    .filter_map(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                    .flat_map(|v| {
                        let mut inner = Vec::new();
                        json_strings(&v, &mut inner);
                        inner
                    })
                    .collect();
                strings.extend(nested);
                texts.push((format!("{path} (decoded)"), strings.join("\n")));
            }
            texts.push((path, text));
        }
    }
    for (i, console) in consoles.iter().enumerate() {
        texts.push((format!("console {i}"), console.console()));
    }
    texts
}

fn run_cmd(url: &str, out: &Path) -> std::process::Command {
    let mut cmd = bin();
    cmd.args(["run", "--target", url, "--agent-id", AGENT, "--no-control"])
        .env("CCGW_GUID", GUID)
        .arg("--out")
        .arg(out);
    cmd
}

/// Runs twice (the second with `--baseline` of the first, so comparison files
/// are written) and returns the outputs.
async fn two_runs(url: &str, dir: &Path) -> Vec<(String, String)> {
    let (a, b) = (dir.join("a"), dir.join("b"));
    let first = run_bin_async(run_cmd(url, &a), Duration::from_secs(90)).await;
    assert!(matches!(first.code, Some(0 | 1 | 4)), "{}", first.stderr);
    let mut cmd = run_cmd(url, &b);
    cmd.arg("--baseline").arg(a.join("report.json"));
    let second = run_bin_async(cmd, Duration::from_secs(90)).await;
    assert!(matches!(second.code, Some(0 | 1 | 4)), "{}", second.stderr);
    assert!(b.join("comparison.json").exists(), "comparison written");
    outputs(&[&a, &b], &[&first, &second])
}

fn guid_escaped() -> String {
    // The first character as a JSON escape: "\u0035f3c...".
    format!("\\u{:04x}{}", u32::from(GUID.as_bytes()[0]), &GUID[1..])
}

#[rstest]
#[case::guid_as_a_key(format!(r#"{{"retcode":"100-006","message":"no","{GUID}":{{"a":"1","a":"2"}}}}"#), &[])]
#[case::guid_escaped_as_a_key(format!(r#"{{"retcode":"100-006","message":"no","{}":{{"x":1}}}}"#, guid_escaped()), &[])]
#[case::guid_escaped_in_a_message(format!(r#"{{"retcode":"100-006","message":"unknown {}"}}"#, guid_escaped()), &[])]
#[case::guid_upper_case(format!(r#"{{"retcode":"100-006","message":"unknown {}"}}"#, GUID.to_uppercase()), &[])]
#[case::signature_spelled_otherwise(format!(r#"{{"retcode":"0","result":{{"sign\u0061ture":"{SIG_A}","Signature":"{SIG_B}"}}}}"#), &[])]
#[case::signature_as_a_number(format!(r#"{{"retcode":"0","result":{{"SIGNATURE":{SIG_NUM}}}}}"#), &[])]
#[case::signature_nested(format!(r#"{{"retcode":"0","data":[{{"x_signature":{{"v":"{SIG_A}"}}}}]}}"#), &[])]
#[case::signature_quoted_in_the_message(format!(r#"{{"retcode":"100-006","message":"bad signature {SIG_A}","signature":"{SIG_A}"}}"#), &[])]
#[case::signature_in_a_header(format!(r#"{{"retcode":"100-006","message":"expected {SIG_B}"}}"#), &[("X-Signature", SIG_B)])]
#[case::guid_in_a_header_name(r#"{"retcode":"100-006","message":"no"}"#.to_owned(), &[(GUID, "1")])]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_output(#[case] body: String, #[case] headers: &[(&str, &str)]) {
    let answer = hostile::response_with(200, "application/json", headers, body.as_bytes());
    let server = Hostile::start(Behaviour::Raw(answer)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let texts = two_runs(&server.url(), dir.path()).await;
    let upper = GUID.to_uppercase();
    assert_no_secret(
        &texts,
        &[
            GUID,
            &GUID[..8],
            &upper,
            &upper[..8],
            &guid_escaped(),
            SIG_A,
            SIG_B,
            SIG_NUM,
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_guid_is_hidden_where_it_stands_as_a_value_and_garbles_nothing() {
    let server = Hostile::start(Behaviour::EchoGuid).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = support::run_target(&server.url());
    cmd.args(["--guid", "zq7", "--only", "agentid/*"])
        .arg("--out")
        .arg(dir.path());
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.header("guid") == Some("zq7")),
        "the short Guid was sent and echoed"
    );
    assert!(
        out.stderr
            .contains("warning: the Guid (--guid) is short or common"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("zq7"), "{}", out.stderr);
    // Where it stands as a value (a header, a JSON value) it is hidden; the
    // gateway's sentence "unknown Guid zq7" keeps it (a known limit: a short
    // value is never replaced inside other text).
    let json = std::fs::read_to_string(dir.path().join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    let case = &report["cases"][0];
    let echoed = case["response"]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h["name"] == "x-echo-guid")
        .expect("the echo header");
    assert_eq!(echoed["value"], "<redacted>");
    assert!(
        !case["response"]["body"]
            .as_str()
            .expect("body")
            .contains("\"zq7\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guid_file_with_a_byte_order_mark_sends_and_redacts_the_guid() {
    let server = Hostile::start(Behaviour::EchoGuid).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("guid.txt");
    std::fs::write(&file, format!("\u{feff}  {GUID} \r\nsecond line\n")).expect("write");
    let out_dir = dir.path().join("out");
    let mut cmd = support::run_target(&server.url());
    cmd.args(["--only", "agentid/*"])
        .arg("--guid-file")
        .arg(&file)
        .arg("--out")
        .arg(&out_dir);
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    let sent: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.header("guid").map(str::to_owned))
        .collect();
    assert!(
        sent.iter().any(|g| g == GUID),
        "the bare Guid was sent: {sent:?}"
    );
    assert!(sent.iter().all(|g| !g.contains('\u{feff}')), "no BOM sent");
    assert_no_secret(&outputs(&[&out_dir], &[&out]), &[GUID, &GUID[..8]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guid_inside_the_target_path_is_never_shown() {
    let (server, dir, out) = refusal_run(|url| format!("{url}/tenant/{GUID}/")).await;
    assert!(
        server.requests().iter().any(|r| r.path.contains(GUID)),
        "the path carried the Guid"
    );
    assert_no_secret(&outputs(&[dir.path()], &[&out]), &[GUID, &GUID[..8]]);
    assert!(
        out.stderr.contains("plain http://") && out.stderr.contains("Guid travels in clear"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_markup_like_signature_breaks_no_file() {
    let signature = r#"</testcase></testsuite>\"},{\"status\":\"passed"#;
    let body = format!(r#"{{"retcode":"100-006","message":"no","signature":"{signature}"}}"#);
    let server = Hostile::start(Behaviour::Raw(hostile::json(&body))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let texts = two_runs(&server.url(), dir.path()).await;
    assert_no_secret(&texts, &["</testcase></testsuite>"]);
    for sub in ["a", "b"] {
        let junit = dir.path().join(sub).join("junit.xml");
        let lint = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg(&junit)
            .output()
            .expect("xmllint runs (Debian package libxml2-utils; scripts/test installs it)");
        assert!(
            lint.status.success(),
            "{}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_in_the_target_url_is_never_shown() {
    let (_server, dir, out) =
        refusal_run(|url| url.replace("http://", "http://agent:pw-Zk3v9Qx7Lm@")).await;
    assert_no_secret(&outputs(&[dir.path()], &[&out]), &["pw-Zk3v9Qx7Lm"]);
}

/// The `guid/*` cases against a server that refuses everything, with the
/// target URL made from the server's by `target`.
async fn refusal_run(target: impl Fn(String) -> String) -> (Hostile, tempfile::TempDir, BinOutput) {
    let server = Hostile::start(Behaviour::Raw(hostile::json(
        r#"{"retcode":"100-006","message":"no"}"#,
    )))
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = run_cmd(&target(server.url()), dir.path());
    cmd.args(["--only", "guid/*"]);
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    (server, dir, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_flooding_secret_values_is_learned_up_to_the_cap_and_the_report_says_so() {
    // 2 000 distinct values under secret-named keys in every answer.
    let values: Vec<String> = (0..2_000).map(|i| format!("flood-{i:06}-zq")).collect();
    let body = serde_json::json!({
        "retcode": "100-006",
        "message": "no",
        "signature": values,
    })
    .to_string();
    let server = Hostile::start(Behaviour::Raw(hostile::json(&body))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = support::run_target(&server.url());
    cmd.args(["--guid", GUID, "--only", "agentid/*"])
        .arg("--out")
        .arg(dir.path());
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    let json = std::fs::read_to_string(dir.path().join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    let said = report["environment"]["assumptions"]
        .as_array()
        .expect("assumptions")
        .iter()
        .filter_map(|a| a.as_str())
        .any(|a| a.contains("than the 256 a run learns as secrets"));
    assert!(said, "{json}");
    // Every value is still hidden where it stood.
    assert_no_secret(
        &outputs(&[dir.path()], &[&out]),
        &["flood-000000", "flood-001999"],
    );
}
