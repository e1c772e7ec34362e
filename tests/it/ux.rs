//! The command line like the tools people know: CI templates that cannot
//! drift from the parser, colour only where it belongs, completions, the man
//! page, JSON listings, `serve --bind`, durations and sizes with units, and
//! the `curl` line that replays a failure.

use crate::support::{bin, run_bin, run_bin_async, runtime};
use ccgw_conformance::gateway::{self, Fault, GatewayConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

// The binary's own clap definitions, compiled into this test (as siblings,
// the way `src/cli/` has them): a command line in a CI template is checked
// by the very parser the binary uses.
#[allow(dead_code)]
#[path = "../../src/cli/args.rs"]
mod args;
#[allow(dead_code)]
#[path = "../../src/cli/exit.rs"]
mod exit;
#[allow(dead_code)]
#[path = "../../src/cli/session_args.rs"]
mod session_args;
#[allow(dead_code)]
#[path = "../../src/cli/style.rs"]
mod style;
#[allow(dead_code)]
#[path = "../../src/cli/units.rs"]
mod units;

const DEADLINE: Duration = Duration::from_secs(120);

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every string in a YAML document.
fn strings(value: &serde_yaml_ng::Value, out: &mut Vec<String>) {
    use serde_yaml_ng::Value;
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Mapping(map) => map.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out);
        }),
        Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// The `ccgw-conformance ...` command lines of a script text, with `\`
/// continuations joined.
fn command_lines(script: &str) -> Vec<String> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("ccgw-conformance "))
        .map(str::to_owned)
        .collect()
}

/// Splits a command line as sh would (quotes and backslashes; variables
/// stay as written, which the parser accepts as plain text).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|c| *c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

fn parses(line: &str) -> Result<(), String> {
    use clap::Parser;
    args::Cli::try_parse_from(shell_words(line))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn ci_templates_are_yaml_and_their_command_lines_parse() {
    for (file, must_have) in [
        (
            "examples/ci/github-actions.yml",
            &[
                "actions/upload-artifact",
                "reports/junit.xml",
                "secrets.CCGW_PASSWORD",
                "actions/cache",
                "--no-default-features",
                "--rev",
            ][..],
        ),
        (
            "examples/ci/gitlab-ci.yml",
            &[
                "junit: reports/junit.xml",
                "CCGW_PASSWORD",
                "artifacts",
                "cache:",
                "--no-default-features",
                "--rev",
            ][..],
        ),
    ] {
        let text = std::fs::read_to_string(repo(file)).unwrap();
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut texts = Vec::new();
        strings(&yaml, &mut texts);
        let lines: Vec<String> = texts.iter().flat_map(|t| command_lines(t)).collect();
        assert!(!lines.is_empty(), "{file} runs no ccgw-conformance command");
        for line in &lines {
            parses(line).unwrap_or_else(|e| panic!("{file}: `{line}` does not parse: {e}"));
            // Secrets come from the CI's store through the environment only.
            assert!(!line.contains("--guid "), "{file}: {line}");
        }
        for needle in must_have {
            assert!(text.contains(needle), "{file} lacks {needle}");
        }
    }
}

/// The reference gateway in static mode with both agents signed out, their
/// sign-in checked against `password`: what an unattended route meets.
async fn both_agents_signed_out(password: &str) -> gateway::RunningGateway {
    use ccgw_conformance::gateway::{AuthMode, SessionConfig};
    gateway::start(GatewayConfig {
        session: SessionConfig {
            auth_mode: AuthMode::Static,
            password: Some(password.to_owned()),
            agent_signed_in: false,
            other_signed_in: false,
            ..SessionConfig::default()
        },
        ..GatewayConfig::default()
    })
    .await
    .unwrap()
}

/// Each CI example's run step, executed as its CI would (the secrets in the
/// environment, the binary under test for `ccgw-conformance`) against the
/// reference gateway with a signed-out agent: it ends with a verdict, exit 0.
#[test]
fn ci_templates_end_with_a_verdict_against_the_reference_gateway() {
    let rt = runtime();
    let gw = rt.block_on(both_agents_signed_out("ci-s3cret"));
    let me = bin().get_program().to_string_lossy().into_owned();
    for (file, pem_is_a_file) in [
        ("examples/ci/github-actions.yml", false),
        ("examples/ci/gitlab-ci.yml", true),
    ] {
        let text = std::fs::read_to_string(repo(file)).unwrap();
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        let mut texts = Vec::new();
        strings(&yaml, &mut texts);
        let step = texts
            .iter()
            .find(|t| t.contains("ccgw-conformance run"))
            .unwrap_or_else(|| panic!("{file}: no run step"));
        let script = step
            .replace("${{ github.run_number }}", "1")
            .replace("ccgw-conformance run", &format!("'{me}' run"));
        let dir = tempfile::tempdir().unwrap();
        let pem = gw.ca_cert_pem.clone().unwrap();
        let pem_value = if pem_is_a_file {
            let path = dir.path().join("ca-file.pem");
            std::fs::write(&path, &pem).unwrap();
            path.display().to_string()
        } else {
            pem.clone()
        };
        let mut sh = std::process::Command::new("sh");
        sh.args(["-c", &script])
            .current_dir(dir.path())
            .env("CCGW_TARGET", &gw.base_url)
            .env("CCGW_AGENT_ID", &gw.agent.agent_id)
            .env("CCGW_PASSWORD", "ci-s3cret")
            .env("CCGW_OTHER_AGENT_ID", &gw.other_agent.agent_id)
            .env("CCGW_OTHER_PASSWORD", "ci-s3cret")
            .env("CCGW_CA_PEM", pem_value)
            .env("CCGW_PROFILE", "cec-23")
            .env("RUNNER_TEMP", dir.path())
            .env("CI_PIPELINE_ID", "1")
            .env_remove("CCGW_GUID")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let run = run_bin(sh, DEADLINE);
        assert_eq!(run.code, Some(0), "{file}:\n{script}\n{}", run.console());
        assert!(
            run.stdout.contains("verdict: Conformant"),
            "{file}: {}",
            run.stdout
        );
        // Both agents signed in: no case skipped, none accepted as skipped.
        assert!(run.stdout.contains(", 0 skipped"), "{file}: {}", run.stdout);
        assert!(dir.path().join("reports/junit.xml").is_file(), "{file}");
        assert!(
            !run.console().contains("ci-s3cret"),
            "{file}: the password is printed"
        );
    }
    rt.block_on(gw.shutdown());
}

#[test]
fn the_template_check_catches_a_drifted_command_line() {
    assert!(parses("ccgw-conformance run --out reports --timeout 15s").is_ok());
    assert!(parses("ccgw-conformance run --outdir reports").is_err());
    assert!(parses("ccgw-conformance run --timeout 15parsecs").is_err());
    assert_eq!(
        shell_words(r#"a 'b c' "d \"e\"" f\ g "$X/y""#),
        ["a", "b c", "d \"e\"", "f g", "$X/y"]
    );
}

#[test]
fn dockerfile_is_multi_stage_and_runs_as_a_user() {
    let text = std::fs::read_to_string(repo("Dockerfile")).unwrap();
    assert_eq!(text.matches("\nFROM ").count(), 2, "two stages");
    // Base images pinned to a version (no floating `1` or `bookworm-slim`).
    let version = regex::Regex::new(r"^FROM [a-z]+:\d+\.\d+[\w.-]*( AS \w+)?$").unwrap();
    for from in text.lines().filter(|l| l.starts_with("FROM ")) {
        assert!(version.is_match(from), "not pinned: {from}");
    }
    assert!(text.contains("--mount=type=cache,target=/usr/local/cargo/registry"));
    assert!(
        text.contains("ARG CCGW_BUILD_COMMIT"),
        "the commit reaches --version"
    );
    assert!(text.contains("COPY --from=build /usr/local/bin/ccgw-conformance "));
    let guide = std::fs::read_to_string(repo("docs/src/guide/ci.md")).unwrap();
    assert!(
        guide.contains("docker run --rm --user \"$(id -u):$(id -g)\""),
        "the volume example writes as the caller"
    );
    let user = text
        .lines()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER line");
    assert!(!user.contains("root") && !user.contains(" 0"), "{user}");
    let ignore = std::fs::read_to_string(repo(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "target/"));
}

/// hadolint (the Dockerfile linter) finds nothing; the same check refuses
/// a Dockerfile with a floating base image and an unpinned `pip install`.
#[test]
fn the_dockerfile_is_hadolint_clean() {
    let hadolint = crate::support::python_tool("hadolint");
    let out = std::process::Command::new(&hadolint)
        .arg(repo("Dockerfile"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("Dockerfile");
    std::fs::write(&bad, "FROM debian:latest\nRUN pip install requests\n").unwrap();
    let out = std::process::Command::new(&hadolint)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

fn has_escape(text: &str) -> bool {
    text.contains('\u{1b}')
}

/// One quick failing case against the embedded gateway.
fn one_failing_case(extra: &[&str], env: &[(&str, &str)]) -> crate::support::BinOutput {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.args([
        "run",
        "--fault",
        "method-any",
        "--only",
        "method/get",
        "--out",
    ])
    .arg(dir.path())
    .args(extra);
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_bin(cmd, DEADLINE)
}

#[test]
fn colour_follows_the_color_flag_and_no_color_into_a_pipe() {
    let always = one_failing_case(&["--color", "always"], &[]);
    assert_eq!(always.code, Some(1), "{}", always.console());
    assert!(has_escape(&always.stdout), "verdict: {}", always.stdout);
    assert!(
        always.stderr.contains("\u{1b}[1m\u{1b}[31mFAIL"),
        "{}",
        always.stderr
    );
    for (extra, env) in [
        (&["--color", "never"][..], &[][..]),
        (&[][..], &[][..]),
        (&[][..], &[("NO_COLOR", "1")][..]),
    ] {
        let out = one_failing_case(extra, env);
        assert_eq!(out.code, Some(1), "{}", out.console());
        assert!(
            !has_escape(&out.console()),
            "{extra:?} {env:?}: {}",
            out.console()
        );
        assert!(out.stderr.contains("FAIL  method/get"), "{}", out.stderr);
    }
}

/// A run on a terminal (a pseudo-terminal from util-linux `script`).
fn on_terminal(no_color: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let line = format!(
        "{} run --fault method-any --only method/get --out {}",
        env!("CARGO_BIN_EXE_ccgw-conformance"),
        dir.path().display()
    );
    let mut cmd = bin();
    cmd.args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let program = cmd.get_program().to_owned();
    let mut script = std::process::Command::new("script");
    script.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let _ = program;
    script
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    run_bin(script, DEADLINE).console()
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let coloured = on_terminal(false);
    assert!(coloured.contains("FAIL"), "{coloured}");
    assert!(has_escape(&coloured), "{coloured}");
    assert!(coloured.contains("\u{1b}[31m"), "{coloured}");
    let plain = on_terminal(true);
    assert!(plain.contains("verdict: Not conformant"), "{plain}");
    // The progress bar may still move the cursor; no colour (SGR) code is written.
    assert!(
        !plain.contains("\u{1b}[31m") && !plain.contains("\u{1b}[1m"),
        "{plain}"
    );
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run_bin(
            {
                let mut c = bin();
                c.args(["completions", shell]);
                c
            },
            DEADLINE,
        );
        assert_eq!(out.code, Some(0), "{shell}: {}", out.stderr);
        for word in ["ccgw-conformance", "compare", "baseline", "fail-on"] {
            assert!(out.stdout.contains(word), "{shell} lacks {word}");
        }
        if shell == "bash" {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("c.bash");
            std::fs::write(&file, &out.stdout).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&file)
                .output()
                .unwrap();
            assert!(check.status.success(), "{check:?}");
            // Sourced, it completes what follows a subcommand, as a user types it.
            for (words, want) in [
                ("ccgw-conformance run --", "--guid-file"),
                ("ccgw-conformance run --si", "--sign-in"),
                ("ccgw-conformance compare --", "--out"),
                ("ccgw-conformance r", "run"),
            ] {
                let script = format!(
                    "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                     _ccgw__conformance ccgw-conformance \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
                     printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                    file.display()
                );
                let completed = std::process::Command::new("bash")
                    .args(["-c", &script])
                    .output()
                    .unwrap();
                let offered = String::from_utf8_lossy(&completed.stdout);
                assert!(
                    offered.lines().any(|l| l == want),
                    "`{words}` does not offer {want}: {offered}"
                );
            }
        }
    }
    let bad = crate::support::run_args(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_page_and_version() {
    let man = crate::support::run_args(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let text = String::from_utf8(man.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH ccgw-conformance"),
        "{text}"
    );
    assert!(
        text.contains("completions") && text.contains("Exit codes"),
        "{text}"
    );
    // One page per subcommand after the tool's: every option is documented.
    for page in [
        "ccgw-conformance-run",
        "ccgw-conformance-compare",
        "ccgw-conformance-serve",
    ] {
        assert!(text.contains(&format!(".TH {page} 1")), "no page {page}");
    }
    assert!(
        text.contains("guid\\-file") && text.contains("sign\\-in"),
        "run's options"
    );
    let dir = tempfile::tempdir().unwrap();
    let written = crate::support::run_args(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(written.status.code(), Some(0));
    for page in [
        "ccgw-conformance.1",
        "ccgw-conformance-run.1",
        "ccgw-conformance-list.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page} not written");
    }

    let version = crate::support::run_args(&["--version"]);
    let text = String::from_utf8(version.stdout).unwrap();
    let expected = format!("ccgw-conformance {}", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected), "{text}");
    // Built from a checkout (this test runs in one): the commit is named.
    if repo(".git").exists() {
        let commit = text
            .split("(commit ")
            .nth(1)
            .and_then(|t| t.strip_suffix(")\n"))
            .unwrap_or_else(|| panic!("no commit in {text}"));
        assert!(
            commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{text}"
        );
    }
}

#[test]
fn list_and_faults_as_json() {
    let out = crate::support::run_args(&["list", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let cases: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), crate::support::suite().1.cases.len());
    let get = cases.iter().find(|c| c["id"] == "method/get").unwrap();
    assert_eq!(get["family"], "method");
    assert_eq!(get["severity"], "required");
    assert!(
        get["catches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "method-any")
    );

    let out = run_bin(
        {
            let mut c = bin();
            c.args(["faults", "--fault", "method-any", "--format", "json"]);
            c
        },
        DEADLINE,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let matrix: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(matrix["total"], 1);
    assert_eq!(matrix["caught"], 1);
    assert_eq!(matrix["faults"][0]["fault"], "method-any");
    assert_eq!(matrix["faults"][0]["caught"], true);
    assert!(
        matrix["faults"][0]["caught_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "method/get")
    );
    assert_eq!(matrix["problems"].as_array().unwrap().len(), 0);
}

#[test]
fn durations_and_sizes_take_units() {
    let ok = one_failing_case(&["--timeout", "1m", "--body-cap", "512KiB"], &[]);
    assert_eq!(ok.code, Some(1), "{}", ok.console());
    let ok = one_failing_case(&["--timeout", "2500ms", "--body-cap", "65536"], &[]);
    assert_eq!(ok.code, Some(1), "{}", ok.console());
    for (flag, value) in [("--timeout", "10 parsecs"), ("--body-cap", "1 MeB")] {
        let bad = crate::support::run_args(&["run", flag, value]);
        assert_eq!(bad.status.code(), Some(2));
        let text = String::from_utf8_lossy(&bad.stderr);
        assert!(text.contains(flag) && text.contains(value), "{text}");
    }
}

/// Sends SIGTERM to a child this test started (by its pid).
fn terminate(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `serve` until its "press Ctrl-C" line; its printed fields.
fn serve(
    args: &[&str],
) -> (
    std::process::Child,
    std::collections::HashMap<String, String>,
) {
    use std::io::{BufRead, BufReader};
    let mut child = bin().arg("serve").args(args).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut field = std::collections::HashMap::new();
    let mut paste: Option<String> = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("press Ctrl-C") {
            break;
        }
        if let Some(block) = &mut paste {
            block.push_str(line.trim());
            block.push('\n');
            continue;
        }
        if line.starts_with("to run the suite against it, paste") {
            paste = Some(String::new());
            continue;
        }
        if let Some(url) = line.strip_prefix("reference gateway listening on ") {
            field.insert("url".to_owned(), url.to_owned());
        } else if let Some((key, value)) = line.split_once(": ") {
            field.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    if let Some(block) = paste {
        field.insert("paste".to_owned(), block);
    }
    (child, field)
}

/// The block `serve` prints to paste, run as a user would (the binary under
/// test for `ccgw-conformance`): it ends Conformant, both agents' values
/// given, nothing skipped; with `--password-file` it signs in.
#[rstest::rstest]
#[case::static_guid(false)]
#[case::sign_in(true)]
fn serves_pasted_block_ends_conformant(#[case] sign_in: bool) {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password.txt");
    std::fs::write(&password, "s3cret-Pw\n").unwrap();
    let mut args = vec!["--bind", "127.0.0.1:0"];
    if sign_in {
        args.extend(["--password-file", password.to_str().unwrap()]);
    }
    let (mut child, field) = serve(&args);
    let block = field.get("paste").cloned().unwrap_or_default();
    // Static Guids: both agents' Guids; with a password both agents sign in.
    let other = if sign_in {
        "export CCGW_OTHER_PASSWORD_FILE="
    } else {
        "export CCGW_OTHER_GUID="
    };
    assert!(block.contains(other), "{field:?}");
    let me = bin().get_program().to_string_lossy().into_owned();
    let out = dir.path().join("reports");
    let script = block.replace(
        "ccgw-conformance run",
        &format!("'{me}' run --quiet --out '{}'", out.display()),
    );
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &script])
        .env_remove("CCGW_GUID")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let run = run_bin(sh, DEADLINE);
    terminate(&child);
    let _ = child.wait();
    assert_eq!(run.code, Some(0), "{script}\n{}", run.console());
    assert!(run.stdout.contains("verdict: Conformant"), "{}", run.stdout);
    assert!(run.stdout.contains("0 skipped"), "{}", run.stdout);
}

#[test]
fn serve_binds_where_asked_and_removes_its_temporary_certificate() {
    let (mut child, field) = serve(&["--bind", "127.0.0.1:0"]);
    let cert = PathBuf::from(&field["certificate"]);
    assert!(cert.exists(), "{field:?}");
    assert!(field["url"].starts_with("https://127.0.0.1:"), "{field:?}");
    terminate(&child);
    assert!(child.wait().unwrap().success());
    assert!(!cert.exists(), "the temporary certificate is left behind");

    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("gw.pem");
    let (mut child, field) = serve(&["--cert-out", kept.to_str().unwrap()]);
    assert_eq!(PathBuf::from(&field["certificate"]), kept);
    terminate(&child);
    assert!(child.wait().unwrap().success());
    assert!(kept.exists(), "--cert-out is kept");

    let taken = crate::support::run_args(&["serve", "--bind", "127.0.0.1:0", "--port", "1"]);
    assert_eq!(taken.status.code(), Some(2));
}

/// The retcode of a `curl -i` answer (headers, blank line, JSON body).
fn retcode_of(output: &str) -> Option<String> {
    let body = output.split("\r\n\r\n").last()?;
    let json: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    json["retcode"].as_str().map(str::to_owned)
}

#[test]
fn printed_curl_lines_replay_each_failure() {
    let rt = runtime();
    rt.block_on(async {
        let gw = gateway::start(GatewayConfig {
            faults: vec![Fault::MethodAny],
            ..GatewayConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("ca.pem");
        std::fs::write(&cert, gw.ca_cert_pem.as_ref().unwrap()).unwrap();
        let out = dir.path().join("reports");
        let mut cmd = bin();
        cmd.args(["run", "--target", &gw.base_url, "--only", "method/*"])
            .args(["--agent-id", &gw.agent.agent_id, "--ca-cert"])
            .arg(&cert)
            .arg("--out")
            .arg(&out)
            .env("CCGW_GUID", &gw.agent.guid)
            .env("CCGW_CALLID", &gw.agent.callid);
        let run = run_bin_async(cmd, DEADLINE).await;
        assert_eq!(run.code, Some(1), "{}", run.console());
        assert!(
            !run.console().contains(&gw.agent.guid),
            "the Guid is printed"
        );

        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        let failed: Vec<&serde_json::Value> = report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "failed")
            .collect();
        assert!(failed.len() >= 4, "{}", run.console());
        let lines: Vec<&str> = run.stderr.lines().map(str::trim).collect();
        // The same line in report.md, report.html and JUnit's system-out.
        let unescape = |text: String| {
            text.replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        };
        let written: Vec<(&str, String)> = ["report.md", "report.html", "junit.xml"]
            .into_iter()
            .map(|f| (f, unescape(std::fs::read_to_string(out.join(f)).unwrap())))
            .collect();
        for case in failed {
            let id = case["id"].as_str().unwrap();
            let at = lines
                .iter()
                .position(|l| l.starts_with("FAIL") && l.contains(&format!(" {id}:")))
                .and_then(|i| {
                    lines[i + 1..]
                        .iter()
                        .position(|l| l.starts_with("curl "))
                        .map(|j| i + 1 + j)
                })
                .unwrap_or_else(|| panic!("no curl line for {id}: {}", run.stderr));
            let curl = lines[at];
            for (file, text) in &written {
                assert!(
                    text.contains(curl),
                    "{file} lacks the replay of {id}: {curl}"
                );
            }
            let replay = |guid: &str| {
                let mut sh = std::process::Command::new("sh");
                sh.args(["-c", curl])
                    .env("CCGW_GUID", guid)
                    .env("CCGW_CALLID", &gw.agent.callid)
                    .env("CCGW_CA_CERT", &cert)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                run_bin(sh, Duration::from_secs(60))
            };
            let expected = case["response"]["retcode"].as_str().unwrap();
            let same = tokio::task::block_in_place(|| replay(&gw.agent.guid));
            assert_eq!(same.code, Some(0), "{curl}: {}", same.stderr);
            assert_eq!(
                retcode_of(&same.stdout).as_deref(),
                Some(expected),
                "{id}: {curl}\n{}",
                same.stdout
            );
            // Control: the same line with another Guid gets another answer.
            let other = tokio::task::block_in_place(|| replay("not-the-guid"));
            assert_ne!(retcode_of(&other.stdout).as_deref(), Some(expected), "{id}");
        }
        gw.shutdown().await;
    });
}

/// Every case of a run against the embedded gateway, replayed with its
/// `curl` line against a reference gateway started with the same faults
/// (as `serve` would be), the variables set to that gateway's values, gets
/// the answer the run recorded: a public literal Guid (`guid/malformed`,
/// `guid/unknown`) is sent as itself, the other agent's as
/// `$CCGW_OTHER_GUID`, and the printed lines of the failures are the same.
#[rstest::rstest]
#[case::conforming(&[])]
#[case::faulty(&[Fault::GuidAnyValue, Fault::MethodAny, Fault::BodyMissingServed, Fault::AgentidLenientParse, Fault::UndocumentedRetcode, Fault::ResultFieldMissing])]
fn every_case_of_an_embedded_run_replays_with_its_curl_line(#[case] faults: &[Fault]) {
    use ccgw_conformance::report::RunReport;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let mut cmd = bin();
    cmd.args(["run", "--out"]).arg(&out);
    for fault in faults {
        cmd.args(["--fault", fault.name()]);
    }
    let run = run_bin(cmd, DEADLINE);
    assert!(matches!(run.code, Some(0 | 1)), "{}", run.console());
    let report: RunReport =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let env = &report.environment;
    let note = ccgw_conformance::render::curl::variables_note(env);
    assert!(note.contains("start `ccgw-conformance serve"), "{note}");
    if !faults.is_empty() {
        assert!(run.stderr.contains(&note), "{}", run.stderr);
    }
    let rt = runtime();
    let gw = rt.block_on(async {
        gateway::start(GatewayConfig {
            faults: faults.to_vec(),
            ..GatewayConfig::default()
        })
        .await
        .unwrap()
    });
    let cert = dir.path().join("ca.pem");
    std::fs::write(&cert, gw.ca_cert_pem.as_ref().unwrap()).unwrap();
    let mut replayed = 0;
    for case in &report.cases {
        let Some(line) = ccgw_conformance::render::curl::repro(case, env) else {
            continue;
        };
        if matches!(
            case.status,
            ccgw_conformance::report::Status::Failed | ccgw_conformance::report::Status::Errored
        ) {
            assert!(
                run.stderr.contains(&line),
                "{}: not printed: {line}",
                case.id
            );
        }
        let mut sh = std::process::Command::new("sh");
        sh.args(["-c", &line])
            .env("CCGW_TARGET", &gw.base_url)
            .env("CCGW_GUID", &gw.agent.guid)
            .env("CCGW_CALLID", &gw.agent.callid)
            .env("CCGW_OTHER_GUID", &gw.other_agent.guid)
            .env("CCGW_OTHER_CALLID", &gw.other_agent.callid)
            .env("CCGW_CA_CERT", &cert)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let replay = run_bin(sh, Duration::from_secs(60));
        assert_eq!(
            replay.code,
            Some(0),
            "{}: {line}: {}",
            case.id,
            replay.stderr
        );
        let response = case.response.as_ref().expect("an answer");
        let status = replay
            .stdout
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok());
        assert_eq!(status, Some(response.status), "{}: {line}", case.id);
        assert_eq!(
            retcode_of(&replay.stdout),
            response.retcode.clone(),
            "{}: {line}\n{}",
            case.id,
            replay.stdout
        );
        replayed += 1;
    }
    assert!(replayed >= 45, "{replayed} lines replayed");
    rt.block_on(gw.shutdown());
}

#[test]
fn comparisons_say_what_was_compared_and_warn_when_runs_differ() {
    use crate::render::reports;
    use ccgw_conformance::compare::compare;
    use ccgw_conformance::render::comparison::headline;
    let mut old = reports::full();
    old.environment.label = Some("R23.100 staging".to_owned());
    let new = reports::full();
    let same = compare(&old, &new, "old", "new");
    // The fixture has three failing cases (failed or errored in both runs).
    assert_eq!(headline(&same), "3 still failing, 3 unchanged");
    assert!(same.warnings.is_empty(), "{:?}", same.warnings);
    let runs = same.runs.as_ref().unwrap();
    assert_eq!(runs.baseline.label.as_deref(), Some("R23.100 staging"));
    assert_eq!(
        runs.current.label.as_deref(),
        Some("R23.200 staging, node 2")
    );

    let mut other_profile = reports::full();
    other_profile.environment.profile = "aicc-25.200".to_owned();
    let c = compare(&old, &other_profile, "old", "new");
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("different profiles (cec-23 in the baseline, aicc-25.200 now)"));

    let mut narrowed = reports::full();
    narrowed.environment.only = Some("auth/*".to_owned());
    narrowed.cases.retain(|c| c.id.starts_with("auth/"));
    let c = compare(&old, &narrowed, "old", "new");
    let removed = old.cases.len() - narrowed.cases.len();
    assert!(
        headline(&c).contains(&format!("{removed} removed")),
        "{}",
        headline(&c)
    );
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0].contains("(the baseline ran all cases, this run --only auth/*)"),
        "{}",
        c.warnings[0]
    );
}

#[test]
fn the_compare_command_prints_documented_change_names() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (out, fault) in [(&a, None), (&b, Some("guid-optional"))] {
        let mut cmd = bin();
        cmd.args(["run", "--quiet", "--label", "a run", "--out"])
            .arg(out);
        if let Some(f) = fault {
            cmd.args(["--fault", f]);
        }
        run_bin(cmd, DEADLINE);
    }
    let mut cmd = bin();
    cmd.arg("compare")
        .arg(a.join("report.json"))
        .arg(b.join("report.json"))
        .arg("--out")
        .arg(dir.path().join("c"));
    let out = run_bin(cmd, DEADLINE);
    assert_eq!(out.code, Some(1), "{}", out.console());
    assert!(
        out.stdout.starts_with("2 regressions, 50 unchanged\n"),
        "{}",
        out.stdout
    );
    assert!(!out.console().contains("NewFailure"), "{}", out.console());
    let md = std::fs::read_to_string(dir.path().join("c/comparison.md")).unwrap();
    assert!(md.contains("| label | a run | a run |"), "{md}");
}

#[test]
fn verbose_prints_a_replay_for_every_case_quiet_none() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = bin();
        cmd.args(["run", "--only", "method/*", "--out"])
            .arg(dir.path())
            .args(extra);
        run_bin(cmd, DEADLINE)
    };
    let verbose = run(&["--verbose"]);
    assert_eq!(verbose.code, Some(0), "{}", verbose.console());
    assert!(
        verbose
            .stderr
            .contains("requests (replay with curl; > sent, < received):")
    );
    // -v: the heads of what was sent and received, no body.
    assert!(
        verbose
            .stderr
            .contains("    > DELETE /agentgateway/resource/mediacall/"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("    > Guid: <guid>"),
        "{}",
        verbose.stderr
    );
    assert!(verbose.stderr.contains("    < HTTP "), "{}", verbose.stderr);
    assert!(
        !verbose.stderr.contains("    > {\"callid\""),
        "{}",
        verbose.stderr
    );
    // -vv: the bodies too, redacted.
    let bodies = run(&["-vv"]);
    assert_eq!(bodies.code, Some(0), "{}", bodies.console());
    assert!(
        bodies.stderr.contains("    > {\"callid\":\"<callid>\""),
        "{}",
        bodies.stderr
    );
    assert!(
        bodies.stderr.contains("    < {\"retcode\""),
        "{}",
        bodies.stderr
    );
    // Six method cases, each replayed; HEAD with -I.
    assert_eq!(
        verbose.stderr.matches("\n    curl -sS ").count(),
        6,
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("curl -sS -I "),
        "{}",
        verbose.stderr
    );
    assert!(
        !verbose.stderr.contains("failed or errored"),
        "nothing failed"
    );
    let quiet = run(&["--quiet"]);
    assert!(!quiet.console().contains("curl"), "{}", quiet.console());
}

/// The CLI reference of the book (`docs/src/reference/cli.md`) is generated
/// from the clap definitions: every command's `--help`, and a table of every
/// environment variable with its flag. It fails when the page drifts from
/// the binary; `CCGW_BLESS_DOCS=1` writes the page anew.
#[test]
fn the_cli_reference_is_generated_from_the_clap_definitions() {
    use clap::CommandFactory;
    // Values of variables set where the test runs never reach the page.
    let hide = |c: clap::Command| c.mut_args(|a| a.hide_env_values(true));
    let mut cli = hide(args::Cli::command());
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cli = cli.mut_subcommand(name, hide);
    }
    cli.build();
    let mut page = String::from(
        "# Command line and environment\n\n\
         <!-- Generated from the clap definitions by tests/it/ux.rs \
         (the_cli_reference_is_generated_from_the_clap_definitions); \
         CCGW_BLESS_DOCS=1 cargo test writes it anew. Do not edit. -->\n\n\
         Every command's `--help`, as the binary prints it, then every \
         environment variable. A flag on the command line wins over its \
         variable, which wins over [the config file](config-file.md), which \
         wins over the default.\n\n",
    );
    let help = |c: &mut clap::Command| c.render_long_help().to_string();
    page.push_str(&format!(
        "## ccgw-conformance\n\n```text\n{}```\n\n",
        help(&mut cli)
    ));
    let mut vars = Vec::new();
    for sub in cli.get_subcommands_mut() {
        let name = sub.get_name().to_owned();
        if name == "help" {
            continue;
        }
        for arg in sub.get_arguments() {
            if let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) {
                let about = arg
                    .get_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default()
                    .replace('|', "\\|");
                vars.push(format!(
                    "| `{}` | `{name} --{long}` | {about} |",
                    var.to_string_lossy()
                ));
            }
        }
        page.push_str(&format!(
            "## ccgw-conformance {name}\n\n```text\n{}```\n\n",
            help(sub).trim_end().to_owned() + "\n"
        ));
    }
    page.push_str("## Environment variables\n\n| variable | flag | what |\n|---|---|---|\n");
    for var in vars {
        page.push_str(&var);
        page.push('\n');
    }
    page.push_str(
        "\nBoolean variables take `1`/`0`, `true`/`false`, `yes`/`no`. A value that \
         comes from a variable is named by that variable in any message about it.\n",
    );
    let path = repo("docs/src/reference/cli.md");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != page {
        if std::env::var_os("CCGW_BLESS_DOCS").is_some() {
            std::fs::write(&path, &page).unwrap();
        } else {
            panic!(
                "docs/src/reference/cli.md is not what the clap definitions generate; \
                 run `CCGW_BLESS_DOCS=1 cargo test --test it ux::the_cli_reference` to write it anew"
            );
        }
    }
    // Every flag and variable of `run` is on the page.
    let run_help = bin().args(["run", "--help"]).output().unwrap();
    let run_help = String::from_utf8(run_help.stdout).unwrap();
    let env = regex::Regex::new(r"\[env: (CCGW_[A-Z_]+)[=\]]").unwrap();
    for var in env.captures_iter(&run_help) {
        assert!(page.contains(&format!("`{}`", &var[1])), "{}", &var[1]);
    }
}
