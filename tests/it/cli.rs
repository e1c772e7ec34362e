//! The binary: commands, reports written, and the documented exit codes.

use crate::support;

use std::path::Path;
use std::process::Command;
use support::{bin, output_text as text, run_args as run};

/// `run --only method/get` with `extra`, into a new folder, expected to
/// end conformant: the folder (kept while it lives) and what was printed.
fn run_method_get(extra: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["run", "--only", "method/get"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.path().to_str().unwrap()]);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    (out, output)
}

fn read_report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn run_against_the_reference_writes_four_reports_and_exits_0() {
    let out = tempfile::tempdir().unwrap();
    let output = run(&["run", "--out", out.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for file in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(out.path().join(file).is_file(), "{file} missing");
    }
    let report = read_report(out.path());
    assert_eq!(report["summary"]["verdict"], "conformant");
    assert_eq!(report["environment"]["embedded_gateway"], true);
    // The written report satisfies the published schema.
    let schemas = ccgw_conformance::schemas::Schemas::embedded().unwrap();
    let violations = schemas.validate(ccgw_conformance::schemas::SchemaName::Report, &report);
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(
        text(&output).contains("passed, 0 failed"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_fault_that_breaks_a_required_case_exits_1_and_names_the_case() {
    let out = tempfile::tempdir().unwrap();
    let output = run(&[
        "run",
        "--fault",
        "guid-optional",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("FAIL  guid/missing"),
        "{}",
        text(&output)
    );
    let report = read_report(out.path());
    let case = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "guid/missing")
        .unwrap();
    assert_eq!(case["status"], "failed");
    assert!(
        case["reason"].as_str().unwrap().contains("outcome.refused"),
        "{case:#}"
    );
    assert_eq!(report["environment"]["gateway_faults"][0], "guid-optional");
}

#[test]
fn only_selects_cases_and_quiet_prints_the_summary_alone() {
    let out = tempfile::tempdir().unwrap();
    let output = run(&[
        "run",
        "--only",
        "method/*",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("6 cases: 6 passed"), "{stdout}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        read_report(out.path())["cases"].as_array().unwrap().len(),
        6
    );
}

#[test]
fn no_case_selected_exits_2() {
    let output = run(&[
        "run",
        "--only",
        "nothing/*",
        "--out",
        "/nonexistent/never-written",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("no case selected by --only `nothing/*`"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_broken_suite_exits_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/getconnectinfo");
    let status = Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let suite = dir.path().join("getconnectinfo");
    let case = suite.join("guid/missing.toml");
    let broken = std::fs::read_to_string(&case)
        .unwrap()
        .replace("severity", "sevrity");
    std::fs::write(&case, broken).unwrap();
    let output = run(&["list", "--suite", suite.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(
        message.contains(&format!("{}:", case.display())),
        "{message}"
    );
    assert!(message.contains("did you mean `severity`?"), "{message}");
}

#[test]
fn usage_errors_exit_2_and_name_the_option() {
    for (args, needle) in [
        (vec!["run", "--fault", "no-such-fault"], "no-such-fault"),
        (
            vec!["run", "--profile", "cec-99"],
            "unknown profile `cec-99` for --profile",
        ),
        (
            vec!["run", "--target", "https://127.0.0.1:1"],
            "--target needs --agent-id",
        ),
        (
            vec![
                "run",
                "--target",
                "https://127.0.0.1:1",
                "--agent-id",
                "1001",
            ],
            "--target needs a Guid",
        ),
        (vec!["run", "--concurrency", "0"], "--concurrency"),
        (vec!["frobnicate"], "frobnicate"),
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(needle),
            "{args:?}: {}",
            text(&output)
        );
    }
}

#[test]
fn list_shows_every_case_with_its_requirements() {
    let output = run(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 52, "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("method/get") && l.contains("REQ-METHOD")),
        "{stdout}"
    );
}

#[test]
fn serve_lists_its_faults() {
    let output = run(&["serve", "--list-faults"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().count(),
        ccgw_conformance::gateway::Fault::all().len()
    );
    assert!(stdout.contains("guid-optional"), "{stdout}");
}

#[test]
fn faults_prints_the_matrix_for_the_chosen_faults() {
    let output = run(&["faults", "--fault", "guid-optional", "--fault", "redirect"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("guid-optional") && stdout.contains("guid/missing*"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mutation score: 2/2 faults caught"),
        "{stdout}"
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let output = run(&["--help"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for code in ["0 ", "1 ", "2 ", "3 ", "130"] {
        assert!(stdout.contains(&format!("  {code}")), "{stdout}");
    }
}

/// `serve` in one process, `run --target` in another: the external-target
/// path end to end (credentials from the command line, --ca-cert, a Guid file).
#[test]
fn run_against_a_served_gateway_with_its_printed_credentials() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("gateway.pem");
    /// Kills the server however the test ends.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut serve = Killed(
        bin()
            .args([
                "serve",
                "--agent-id",
                "2002",
                "--cert-out",
                cert.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(serve.0.stdout.take().unwrap()).lines();
    let mut field = std::collections::HashMap::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("press Ctrl-C") {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            field.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    let url = format!("https:{}", field["reference gateway listening on https"]);
    let guid_file = dir.path().join("guid");
    std::fs::write(&guid_file, format!("{}\n", field["guid"])).unwrap();
    let out = dir.path().join("reports");
    let output = bin()
        .args([
            "run",
            "--target",
            &url,
            "--agent-id",
            &field["agent id"],
            "--callid",
            &field["live callid"],
        ])
        .args([
            "--guid-file",
            guid_file.to_str().unwrap(),
            "--ca-cert",
            cert.to_str().unwrap(),
        ])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    drop(serve);
    // Without the other agent's Guid and call, the binding cases are skipped;
    // all others pass. Required cases skipped for lack of input: not assessed.
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    let report = read_report(&out);
    assert_eq!(report["environment"]["embedded_gateway"], false);
    assert_eq!(report["environment"]["tls"], "custom_ca");
    assert_eq!(report["summary"]["failed"], 0, "{}", text(&output));
    let skipped: Vec<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "skipped")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["body/other-agent-callid", "guid/other-agent"]);
    // The Guid never reaches a report.
    let json = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(!json.contains(&field["guid"]));
}

/// `completions` and `man` write to a stdout that is closed early (`| head`)
/// or full (`> /dev/full`) without a panic: a closed reader is no error, a
/// full disk exits 5 and says so.
#[cfg(unix)]
#[rstest::rstest]
#[case::completions(&["completions", "bash"])]
#[case::man(&["man"])]
fn generated_files_handle_a_closed_or_full_stdout(#[case] args: &[&str]) {
    use std::process::Stdio;
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // The reader goes away before anything is read.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = bin().args(args).stdout(full).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("to standard output: No space left on device"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bidi_controls_in_the_label_are_shown_escaped_in_junit() {
    let (out, _) = run_method_get(&["--label", "R23\u{202e}gnp.exe"]);
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(
        !junit.contains('\u{202e}'),
        "raw bidi override in junit.xml"
    );
    assert!(junit.contains("R23\\u202egnp.exe"), "{junit}");
}

/// Flags as the peers have them: booleans take no value, `-v` counts, and
/// options that contradict or would be ignored are refused by name.
#[test]
fn flags_are_plain_and_contradictions_are_refused() {
    let help = run(&["run", "--help"]);
    let help = text(&help);
    // Options under headings, as Hurl's are.
    for heading in [
        "Target and credentials:",
        "TLS:",
        "Expectations and verdict:",
        "Connections and pacing:",
        "Selection:",
        "Reports and output:",
        "Baseline:",
        "Agent session and flow control:",
    ] {
        assert!(
            help.contains(&format!("\n{heading}\n")),
            "no {heading}: {help}"
        );
    }
    assert!(!help.contains("[<INSECURE>]"), "{help}");
    assert!(!help.contains("[<VERBOSE>]"), "{help}");

    let both = run(&["run", "-q", "-v"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    assert!(
        text(&both).contains("--quiet and --verbose cannot be used together"),
        "{}",
        text(&both)
    );

    let out = tempfile::tempdir().unwrap();
    let flag_wins = bin()
        .args(["run", "-v", "--only", "method/get", "--out"])
        .arg(out.path())
        .env("CCGW_QUIET", "1")
        .output()
        .unwrap();
    assert_eq!(flag_wins.status.code(), Some(0), "{}", text(&flag_wins));
    assert!(
        text(&flag_wins).contains("--verbose given on the command line wins over CCGW_QUIET"),
        "{}",
        text(&flag_wins)
    );

    let fail_on = run(&["run", "--fail-on", "new"]);
    assert_eq!(fail_on.status.code(), Some(2), "{}", text(&fail_on));
    assert!(
        text(&fail_on).contains("--fail-on new needs --baseline"),
        "{}",
        text(&fail_on)
    );

    let listed = bin()
        .args(["list"])
        .env("CCGW_ONLY", "guid/*")
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.lines().count() >= 5, "{listed}");
    assert!(
        listed.lines().all(|l| l.starts_with("guid/")),
        "list honours CCGW_ONLY like run: {listed}"
    );

    let missing = run(&["compare", "/nonexistent/a.json", "/nonexistent/b.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing).contains("failed to read report /nonexistent/a.json"),
        "{}",
        text(&missing)
    );
}

#[test]
fn a_sign_off_value_may_hold_a_comma() {
    let (out, _) = run_method_get(&["--sign-off", "tester=Jane Doe,organisation=\"ACME, Inc.\""]);
    let report = read_report(out.path());
    assert_eq!(
        report["environment"]["sign_off"]["organisation"],
        "ACME, Inc."
    );
}

/// Times a reader can use: each case to a hundredth of a millisecond, the
/// run's wall time in the summary, report.json, report.md, report.html and
/// JUnit; and counts in good English ("1 case").
#[test]
fn durations_are_read_to_the_hundredth_and_the_run_has_a_wall_time() {
    let (out, output) = run_method_get(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stderr.contains("running 1 case against"), "{stderr}");
    assert!(stdout.starts_with("1 case: 1 passed"), "{stdout}");
    let case_line = stderr
        .lines()
        .find(|l| l.contains("method/get"))
        .expect("the case line");
    let shown = case_line
        .rsplit_once('(')
        .map(|(_, t)| t)
        .unwrap_or_default();
    assert!(
        shown.ends_with(" ms)") && shown.contains('.'),
        "a case's time to the hundredth: {case_line}"
    );
    let report = read_report(out.path());
    let wall = report["environment"]["wall_time_us"]
        .as_u64()
        .expect("wall time");
    assert!(wall > 0);
    assert!(report["cases"][0]["duration_us"].as_u64().unwrap() > 0);
    let summary = stdout.lines().next().unwrap();
    assert!(
        summary.ends_with(" ms)") || summary.ends_with(" s)"),
        "{summary}"
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("- Took: "), "{md}");
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("Took"), "report.html names the wall time");
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    let suite = &junit[junit.find("<testsuite name=").expect("the suite")..];
    let suite = &suite[..suite.find('>').unwrap()];
    assert!(suite.contains(" time=\""), "{suite}");
    assert!(
        !suite.contains(" time=\"0.000\""),
        "the run's wall time: {suite}"
    );
}

/// Every report names the commit the tool was built from, as `--version`
/// does, so two runs being compared show whether the tool changed.
#[test]
fn reports_name_the_tools_commit_like_version_does() {
    let version = run(&["--version"]);
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let commit = version
        .split_once("(commit ")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(c, _)| c.to_owned());
    let out = tempfile::tempdir().unwrap();
    let output = run(&[
        "run",
        "--only",
        "method/get",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = read_report(out.path());
    assert_eq!(
        report["tool"]["commit"].as_str(),
        commit.as_deref(),
        "{version}"
    );
    if let Some(commit) = commit {
        for file in ["report.md", "report.html", "junit.xml"] {
            let written = std::fs::read_to_string(out.path().join(file)).unwrap();
            assert!(written.contains(&format!("(commit {commit})")), "{file}");
        }
    }
}
