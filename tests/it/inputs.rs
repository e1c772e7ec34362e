//! Inputs and local mistakes: bounded file reads (`/dev/zero` is named with
//! its limit, never read to the end of memory), suite folders whose links
//! loop, a flag that wins over the environment, values that cannot go in a
//! header and over-long targets refused as usage errors (exit 2) before
//! anything is sent, naming the flag or the variable.

use crate::support;

use std::path::Path;
use std::time::Duration;

use rstest::rstest;
use support::hostile::{self, Behaviour, Hostile};
use support::{AGENT, BinOutput, GUID, bin, run_bin_async};

const REFUSAL: &str = r#"{"retcode":"100-006","message":"no"}"#;

async fn refusing_server() -> Hostile {
    Hostile::start(Behaviour::Raw(hostile::json(REFUSAL))).await
}

async fn run_with(server: &Hostile, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> BinOutput {
    let mut cmd = support::run_target(&server.url());
    if !args.contains(&"--only") {
        cmd.args(["--only", "guid/*"]);
    }
    cmd.arg("--out").arg(dir.join("out"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_bin_async(cmd, Duration::from_secs(60)).await
}

#[cfg(unix)]
#[rstest]
#[case::guid_file(&["--guid-file", "/dev/zero"], &[], "--guid-file")]
#[case::guid_file_env(&[], &[("CCGW_GUID_FILE", "/dev/zero")], "CCGW_GUID_FILE")]
#[case::ca_cert(&["--guid", GUID, "--ca-cert", "/dev/zero"], &[], "--ca-cert")]
#[case::client_cert(&["--guid", GUID, "--client-cert", "/dev/zero", "--client-key", "/dev/zero"], &[], "--client-cert")]
#[case::expect(&["--guid", GUID, "--expect", "/dev/zero"], &[], "--expect")]
#[case::baseline(&["--guid", GUID, "--baseline", "/dev/zero"], &[], "--baseline")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_file_is_read_up_to_its_limit(
    #[case] args: &[&str],
    #[case] env: &[(&str, &str)],
    #[case] named: &str,
) {
    usage_error(args, env, &[named, "/dev/zero", "larger than the limit of"]).await;
}

#[cfg(unix)]
#[rstest]
#[case::password_file(&["--sign-in", "--password-file", "/dev/zero"], &[], "--password-file")]
#[case::sign_in_body(&["--sign-in", "--sign-in-body", "/dev/zero"], &[("CCGW_PASSWORD", "pw")], "/dev/zero")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_session_file_is_read_up_to_its_limit(
    #[case] args: &[&str],
    #[case] env: &[(&str, &str)],
    #[case] named: &str,
) {
    usage_error(args, env, &[named, "larger than the limit of"]).await;
}

/// A session flag that would be ignored, and a Guid of one's own with
/// `--sign-in`, are usage errors naming the flag or the variable.
#[rstest]
#[case::password_file(&["--guid", GUID, "--password-file", "pw.txt"], &[], "--password-file works only with --sign-in")]
#[case::sign_in_body(&["--guid", GUID, "--sign-in-body", "b.json"], &[], "--sign-in-body works only with --sign-in")]
#[case::guid_interval(&["--guid", GUID, "--guid-interval", "60"], &[], "--guid-interval works only with --sign-in")]
#[case::guid_timeout_env(&["--guid", GUID], &[("CCGW_GUID_TIMEOUT", "120")], "CCGW_GUID_TIMEOUT works only with --sign-in")]
#[case::two(&["--guid", GUID, "--force-login", "--wait-for-call", "5"], &[], "--wait-for-call, --force-login work only with --sign-in")]
#[case::guid_with_sign_in(&["--sign-in", "--guid", GUID], &[("CCGW_PASSWORD", "pw")], "--guid cannot be used with --sign-in")]
#[case::guid_env_with_sign_in(&["--sign-in"], &[("CCGW_PASSWORD", "pw"), ("CCGW_GUID_FILE", "g.txt")], "CCGW_GUID_FILE cannot be used with --sign-in")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_flag_that_would_be_ignored_is_a_usage_error(
    #[case] args: &[&str],
    #[case] env: &[(&str, &str)],
    #[case] wanted: &str,
) {
    usage_error(args, env, &[wanted]).await;
}

/// Runs against a refusing server and expects exit 2 with every `wanted`
/// text on stderr, and no request sent.
async fn usage_error(args: &[&str], env: &[(&str, &str)], wanted: &[&str]) -> BinOutput {
    let server = refusing_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_with(&server, dir.path(), args, env).await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    for text in wanted {
        assert!(out.stderr.contains(text), "no `{text}`: {}", out.stderr);
    }
    assert!(server.requests().is_empty(), "nothing was sent");
    out
}

#[cfg(unix)]
#[rstest]
#[case::to_the_suite_root("..")]
#[case::to_itself(".")]
#[case::to_the_family("../guid")]
fn a_suite_folder_whose_links_loop_is_refused_by_name(#[case] target: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let suite = dir.path().join("suite");
    let copied = std::process::Command::new("cp")
        .args([
            "-r",
            concat!(env!("CARGO_MANIFEST_DIR"), "/suites/getconnectinfo"),
        ])
        .arg(&suite)
        .status()
        .expect("cp runs");
    assert!(copied.success());
    let started = std::time::Instant::now();
    let stderr = list_refused("--suite", &suite, target, "guid/loop");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    // A safety net only: the walk is linear, never exponential.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_on_the_command_line_wins_over_the_environment() {
    let server = refusing_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("guid.txt");
    std::fs::write(&file, format!("{GUID}\n")).expect("write");
    let file = file.display().to_string();

    // CCGW_GUID in CI, --guid-file typed: the file's Guid is sent.
    let out = run_with(
        &server,
        dir.path(),
        &["--guid-file", &file, "--only", "agentid/*"],
        &[("CCGW_GUID", "from-the-environment")],
    )
    .await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    assert!(out.stderr.contains("wins over CCGW_GUID"), "{}", out.stderr);
    let sent: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.header("guid").map(str::to_owned))
        .collect();
    assert!(sent.iter().any(|g| g == GUID), "{sent:?}");
    assert!(!sent.iter().any(|g| g == "from-the-environment"));

    // CCGW_INSECURE=0 with --ca-cert is no conflict at all (http target: the CA is unused).
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, hostile::TestCert::for_names(&["127.0.0.1"]).pem).expect("write");
    let pem = pem.display().to_string();
    let out = run_with(
        &server,
        dir.path(),
        &["--guid", GUID, "--ca-cert", &pem],
        &[("CCGW_INSECURE", "0")],
    )
    .await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    // CCGW_INSECURE=1 with --ca-cert typed: the flag wins.
    let out = run_with(
        &server,
        dir.path(),
        &["--guid", GUID, "--ca-cert", &pem],
        &[("CCGW_INSECURE", "1")],
    )
    .await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    assert!(
        out.stderr.contains("wins over CCGW_INSECURE"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_flags_typed_together_are_still_refused_by_name() {
    let server = refusing_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_with(
        &server,
        dir.path(),
        &["--guid", GUID, "--guid-file", "/nonexistent"],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--guid and --guid-file cannot be used together"),
        "{}",
        out.stderr
    );
    let out = run_with(
        &server,
        dir.path(),
        &[],
        &[("CCGW_GUID", GUID), ("CCGW_GUID_FILE", "/nonexistent")],
    )
    .await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("CCGW_GUID and CCGW_GUID_FILE"),
        "{}",
        out.stderr
    );
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_typed_wins_over_a_target_from_the_environment() {
    let server = refusing_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.args(["run", "--fault", "guid-optional", "--only", "guid/*"])
        .env("CCGW_TARGET", server.url())
        .arg("--out")
        .arg(dir.path());
    let out = run_bin_async(cmd, Duration::from_secs(60)).await;
    // The embedded gateway with the fault: guid/missing and guid/empty fail.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("wins over CCGW_TARGET"),
        "{}",
        out.stderr
    );
    assert!(
        server.requests().is_empty(),
        "the environment's target was not used"
    );
}

#[rstest]
#[case::guid_with_cr_flag(&["--guid", "abc\rdef"], &[], "the Guid given with --guid")]
#[case::guid_with_cr_env(&[], &[("CCGW_GUID", "abc\rdef")], "the Guid given with CCGW_GUID")]
#[case::guid_with_nul_byte_escape(&["--guid", "abc\u{1}def"], &[], "--guid")]
#[case::other_guid_with_lf(&["--guid", GUID, "--other-guid", "a\nb"], &[], "--other-guid")]
#[case::callid_with_esc(&["--guid", GUID], &[("CCGW_CALLID", "1\u{1b}[2J")], "CCGW_CALLID")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_that_cannot_be_sent_is_a_usage_error(
    #[case] args: &[&str],
    #[case] env: &[(&str, &str)],
    #[case] named: &str,
) {
    let out = usage_error(args, env, &[named, "nothing was sent"]).await;
    assert!(!out.stderr.contains('\r') && !out.stderr.contains('\u{1b}'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_target_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long_path = format!("http://127.0.0.1:9/{}", "a".repeat(3000));
    let long_label = format!("http://{}.example:9/", "b".repeat(64));
    for target in [long_path, long_label] {
        let mut cmd = bin();
        cmd.args([
            "run",
            "--target",
            &target,
            "--agent-id",
            AGENT,
            "--guid",
            GUID,
        ])
        .arg("--out")
        .arg(dir.path());
        let out = run_bin_async(cmd, Duration::from_secs(30)).await;
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        assert!(out.stderr.contains("--target"), "{}", out.stderr);
    }
}

#[rstest]
#[case::agent_id("CCGW_AGENT_ID", "abc")]
#[case::timeout("CCGW_TIMEOUT", "soon")]
#[case::concurrency("CCGW_CONCURRENCY", "0")]
fn a_bad_value_from_the_environment_names_the_variable(#[case] var: &str, #[case] value: &str) {
    let out = bin()
        .args(["run", "--target", "http://127.0.0.1:9", "--guid", GUID])
        .env("CCGW_AGENT_ID", AGENT)
        .env(var, value)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(var), "{stderr}");
}

#[cfg(unix)]
#[rstest]
#[case::suite_file("--suite", "suites/getconnectinfo", "guid/endless.toml")]
#[case::schema_file("--schemas", "schemas", "endless.json")]
fn an_endless_suite_or_schema_file_is_read_up_to_its_limit(
    #[case] flag: &str,
    #[case] source: &str,
    #[case] link: &str,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(source))
        .arg(&copy)
        .status()
        .expect("cp runs");
    assert!(copied.success());
    let stderr = list_refused(flag, &copy, "/dev/zero", link);
    assert!(stderr.contains("larger than the limit of"), "{stderr}");
}

/// `list FLAG folder` with a symbolic link `link` (relative to the folder) to
/// `target` added: exit 2, the link named; returns stderr.
#[cfg(unix)]
fn list_refused(flag: &str, folder: &Path, target: &str, link: &str) -> String {
    std::os::unix::fs::symlink(target, folder.join(link)).expect("symlink");
    let out = bin()
        .args(["list", flag])
        .arg(folder)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains(link), "{stderr}");
    stderr
}
