//! Every shell example of README.md and of the book (`docs/src`) runs, and
//! what it prints is compared with what the page shows, so no page drifts
//! from the binary.
//!
//! The rules (docs/src/internals/contributing.md says them to authors):
//! - a shell example is a ```` ```console ```` block; `$ ` starts a command
//!   (a line ending in `\` goes on on the next); the lines after it, up to
//!   the next command, are what it prints (stdout and stderr together),
//!   where `...` alone on a line stands for any lines and `[..]` for any
//!   text within a line; a line `? N` says it exits with N (default 0). A
//!   command shown without output has its exit code checked only;
//! - ```` ```sh ````/```` ```bash ```` blocks, indented commands and
//!   commands in ```` ```text ```` blocks are refused: they would not run;
//! - the binary under test and the Python tools of `scripts/test-tools.txt`
//!   (Schemathesis' `st`) are on the `PATH`; `$OLDPWD` is the repository;
//! - each page runs in a fresh folder (also `$HOME`) holding the files the
//!   examples name (`gateway-ca.pem`, `guid.txt`, `other-guid.txt`,
//!   `secrets/agent-1001-password`, `secrets/agent-1002-password`), with a
//!   reference gateway that stands for "your gateway": the examples write it
//!   `https://gateway.example:8443` (agents 1001 and 1002, live calls
//!   `1552524689-16797301` and `1552524689-16797302`), and the address is
//!   put back in what the commands print. A page that needs its agents
//!   signed out (the unattended session) says so in a comment
//!   `<!-- doc-test: signed-out -->`;
//! - `ccgw-conformance serve` is started in the background, its lines are
//!   compared up to `press Ctrl-C to stop`, and the `export` lines it prints
//!   are pasted into the page's shell, as a reader does; it is stopped when
//!   the page ends;
//! - exports carry from one command to the next within a block; each block
//!   starts with a fresh shell, as a new terminal does;
//! - a few commands are not run, each for a reason written in [`NOT_RUN`]
//!   (they install, build an image, or are the test run itself): their
//!   script or file must exist.

use crate::support::runtime;
use ccgw_conformance::gateway::{self, GatewayConfig, SessionConfig};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// What the examples call the user's gateway.
pub const GATEWAY: &str = "https://gateway.example:8443";
/// The live calls of the gateway behind [`GATEWAY`].
pub const CALLIDS: (&str, &str) = ("1552524689-16797301", "1552524689-16797302");
/// The agents' password (the file's content) on a signed-out page.
const PASSWORD: &str = "agent-password-for-the-docs";

/// Commands the pages show but the test does not run: the prefix, why, and
/// the file that must exist instead.
const NOT_RUN: &[(&str, &str, &str)] = &[
    (
        "cargo install",
        "installs into ~/.cargo; the tests use the binary they built",
        "Cargo.toml",
    ),
    ("scripts/test", "the test run itself", "scripts/test"),
    (
        "docker ",
        "needs a Docker daemon; tests/it/ux.rs checks the Dockerfile",
        "Dockerfile",
    ),
    ("mdbook ", ".ci/run builds the book", "docs/book.toml"),
    (
        "scripts/bench",
        "a benchmark: minutes of measurement",
        "scripts/bench",
    ),
    (
        "cargo bench",
        "a benchmark: minutes of measurement",
        "benches/suite.rs",
    ),
    (
        "cargo insta review",
        "reviews snapshots by hand",
        "tests/it/snapshots",
    ),
    ("cargo test", "the test run itself", "tests/it/main.rs"),
    (
        "cargo fmt",
        "checks the repository's sources (.ci/run runs it)",
        "Cargo.toml",
    ),
];

#[derive(Debug)]
struct Step {
    /// The first step of its block: the shell starts afresh.
    first: bool,
    line: usize,
    command: String,
    expected: Vec<String>,
    code: i32,
}

#[derive(Debug, Default)]
struct Page {
    steps: Vec<Step>,
    signed_out: bool,
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// README.md and every page of the book.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = vec![repo("README.md")];
    walk(&repo("docs/src"), &mut out);
    out.sort();
    out
}

fn parse(text: &str) -> Result<Page, String> {
    let mut page = Page {
        signed_out: text.contains("<!-- doc-test: signed-out -->"),
        ..Page::default()
    };
    let mut fence: Option<(String, usize)> = None;
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let n = i + 1;
        let trimmed = line.trim_start();
        if let Some((marker, _)) = &fence {
            if trimmed.starts_with(marker.as_str()) && trimmed.trim_end() == marker {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let marker: String = trimmed
                .chars()
                .take_while(|c| *c == '`' || *c == '~')
                .collect();
            let info = trimmed[marker.len()..].trim();
            let lang = info.split([',', ' ']).next().unwrap_or("");
            if matches!(lang, "sh" | "bash" | "shell" | "zsh" | "shell-session") {
                return Err(format!(
                    "line {n}: a ```{lang} block: write shell examples as ```console blocks (`$ ` before each command) so that they run"
                ));
            }
            if lang != "console" {
                // A command shown as plain text would not run either.
                let first = lines.peek().map_or("", |(_, l)| l.trim_start());
                if lang == "text"
                    && ["$ ", "ccgw-conformance ", "cargo ", "scripts/", "st "]
                        .iter()
                        .any(|p| first.starts_with(p))
                {
                    return Err(format!(
                        "line {n}: a command in a ```text block: write it as a ```console block so that it runs"
                    ));
                }
                fence = Some((marker, n));
                continue;
            }
            // A console block: its steps, up to the closing fence.
            let mut current: Option<Step> = None;
            let mut first = true;
            loop {
                let Some((j, body)) = lines.next() else {
                    return Err(format!("line {n}: the console block is never closed"));
                };
                let body_trimmed = body.trim_start();
                if body_trimmed.trim_end() == marker {
                    break;
                }
                if let Some(command) = body.strip_prefix("$ ") {
                    page.steps.extend(current.take());
                    let mut command = command.to_owned();
                    while command.ends_with('\\') {
                        let Some((_, next)) = lines.next() else { break };
                        command.push('\n');
                        command.push_str(next);
                    }
                    // A here-document is part of the command, to its end line.
                    if let Some(end) = heredoc_end(&command) {
                        for (_, next) in lines.by_ref() {
                            command.push('\n');
                            command.push_str(next);
                            if next == end {
                                break;
                            }
                        }
                    }
                    current = Some(Step {
                        first: std::mem::take(&mut first),
                        line: j + 1,
                        command,
                        expected: Vec::new(),
                        code: 0,
                    });
                } else if let Some(step) = &mut current {
                    match body.strip_prefix("? ").map(str::parse::<i32>) {
                        Some(Ok(code)) => step.code = code,
                        _ => step.expected.push(body.to_owned()),
                    }
                } else {
                    return Err(format!(
                        "line {}: output before any command in a console block",
                        j + 1
                    ));
                }
            }
            page.steps.extend(current.take());
            continue;
        }
        if line.starts_with("    ")
            && !line.trim_start().starts_with('-')
            && (trimmed.starts_with("$ ") || trimmed.starts_with("ccgw-conformance "))
        {
            return Err(format!(
                "line {n}: an indented command: write it in a ```console block so that it runs"
            ));
        }
    }
    Ok(page)
}

/// The end line of a here-document the command starts (`<<'EOF'`).
fn heredoc_end(command: &str) -> Option<String> {
    let rest = command.split("<<").nth(1)?;
    let word: String = rest
        .trim_start_matches('-')
        .trim_start()
        .chars()
        .filter(|c| *c != '\'' && *c != '"')
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// `expected` (with `...` and `[..]`) against `actual`.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, more)| line_matches(first, line) && matches(rest, more)),
    }
}

fn line_matches(pattern: &str, line: &str) -> bool {
    let pattern = pattern.trim_end();
    let line = line.trim_end();
    let mut parts = pattern.split("[..]");
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    if parts.is_empty() {
        return rest.is_empty();
    }
    for (k, part) in parts.iter().enumerate() {
        if k + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// One page's world: its folder, its gateway, its shell state.
struct World {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
    url: String,
    secrets: Vec<String>,
    background: Vec<Child>,
}

impl Drop for World {
    fn drop(&mut self) {
        for child in &mut self.background {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl World {
    fn shell(&self) -> Command {
        let bin = Path::new(env!("CARGO_BIN_EXE_ccgw-conformance"))
            .parent()
            .unwrap()
            .to_owned();
        // The binary under test first, then the Python tools scripts/test
        // installs (Schemathesis' `st`).
        let path = format!(
            "{}:{}:{}",
            bin.display(),
            repo("target/tools/py/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("OLDPWD", repo(""))
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8")
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    fn state_file(&self) -> PathBuf {
        self.state.path().join("exports.sh")
    }

    /// Runs `command` in the page's shell; its output (stdout and stderr
    /// in order) and exit code. Exports carry to the next command.
    fn run(&self, command: &str) -> (String, i32) {
        let script = format!(
            "exec 2>&1\n[ -f {state} ] && source {state}\n{command}\nrc=$?\nexport -p > {state}\nexit $rc\n",
            state = self.state_file().display(),
        );
        let out = self.shell().arg("-c").arg(script).output().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code().unwrap_or(-1),
        )
    }

    /// `serve` in the background: its lines up to the prompt, and its
    /// `export` lines pasted into the page's shell.
    fn serve(&mut self, command: &str) -> (String, i32) {
        let mut cmd = self.shell();
        cmd.arg("-c")
            .arg(format!("exec {command}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        self.background.push(child);
        let mut printed = String::new();
        let mut exports = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            printed.push_str(&line);
            printed.push('\n');
            if let Some(export) = line.trim_start().strip_prefix("export ") {
                exports.push_str(&format!("export {export}\n"));
            }
            if line.starts_with("press Ctrl-C to stop") {
                break;
            }
        }
        let state = self.state_file();
        let mut text = std::fs::read_to_string(&state).unwrap_or_default();
        text.push_str(&exports);
        std::fs::write(&state, text).unwrap();
        for line in printed.lines() {
            for prefix in ["guid:", "export CCGW_GUID=", "export CCGW_OTHER_GUID="] {
                if let Some(value) = line.trim_start().strip_prefix(prefix) {
                    self.secrets
                        .push(value.trim().trim_matches('\'').to_owned());
                }
            }
        }
        (printed, 0)
    }
}

fn run_page(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path
        .strip_prefix(repo(""))
        .unwrap_or(path)
        .display()
        .to_string();
    let page = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    if page.steps.is_empty() {
        return;
    }
    let rt = runtime();
    let session = if page.signed_out {
        SessionConfig {
            password: Some(PASSWORD.to_owned()),
            agent_signed_in: false,
            other_signed_in: false,
            ..SessionConfig::default()
        }
    } else {
        SessionConfig::default()
    };
    let gw = rt.block_on(async {
        gateway::start(GatewayConfig {
            session,
            callids: Some((CALLIDS.0.to_owned(), CALLIDS.1.to_owned())),
            ..GatewayConfig::default()
        })
        .await
        .unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("gateway-ca.pem", gw.ca_cert_pem.clone().unwrap()),
        ("guid.txt", format!("{}\n", gw.agent.guid)),
        ("other-guid.txt", format!("{}\n", gw.other_agent.guid)),
        ("secrets/agent-1001-password", format!("{PASSWORD}\n")),
        ("secrets/agent-1002-password", format!("{PASSWORD}\n")),
    ];
    for (file, content) in files {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let mut world = World {
        dir,
        state: tempfile::tempdir().unwrap(),
        url: gw.base_url.clone(),
        secrets: vec![gw.agent.guid.clone(), gw.other_agent.guid.clone()],
        background: Vec::new(),
    };
    let mut failures = Vec::new();
    for step in &page.steps {
        if step.first {
            let _ = std::fs::remove_file(world.state_file());
        }
        let command = step.command.replace(GATEWAY, &world.url);
        let command = match command.strip_prefix("cargo run --release -- ") {
            Some(args) => format!("ccgw-conformance {args}"),
            None => command,
        };
        if let Some((prefix, why, file)) = NOT_RUN.iter().find(|(p, _, _)| command.starts_with(p)) {
            assert!(
                repo(file).exists(),
                "{name}:{}: `{prefix}` is not run ({why}) but {file} is missing",
                step.line
            );
            continue;
        }
        let is_serve = command.starts_with("ccgw-conformance serve")
            && !command.contains("--list-faults")
            && !command.contains("--help");
        let (output, code) = if is_serve {
            world.serve(&command)
        } else {
            world.run(&command)
        };
        let output = output.replace(&world.url, GATEWAY);
        let lines: Vec<&str> = output.trim_end().lines().collect();
        let shown_ok = step.expected.is_empty() || matches(&step.expected, &lines);
        if code != step.code || !shown_ok {
            failures.push(format!(
                "{name}:{}: `{}` exited {code} (the page says {}); it printed:\n{}\n--- the page shows:\n{}",
                step.line,
                step.command,
                step.code,
                output.trim_end(),
                step.expected.join("\n")
            ));
        }
        // Only `serve` prints Guids (it hands them out); nothing else does.
        for secret in &world.secrets {
            assert!(
                is_serve || !output.contains(secret.as_str()),
                "{name}:{}: the output of `{}` shows a Guid",
                step.line,
                step.command
            );
        }
    }
    drop(world);
    rt.block_on(gw.shutdown());
    drop(rt);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[rstest::rstest]
fn every_example_runs_as_shown(#[files("docs/src/**/*.md")] page: PathBuf) {
    run_page(&page);
}

#[test]
fn the_readme_examples_run_as_shown() {
    run_page(&repo("README.md"));
}

/// Every page is in the book's table of contents, and the harness can fail:
/// a wrong output, a wrong exit code, a ```sh block and an indented command
/// are each caught.
#[test]
fn the_harness_catches_drift() {
    let summary = std::fs::read_to_string(repo("docs/src/SUMMARY.md")).unwrap();
    for page in pages() {
        let Ok(relative) = page.strip_prefix(repo("docs/src")) else {
            continue;
        };
        let relative = relative.display().to_string();
        assert!(
            relative == "SUMMARY.md" || summary.contains(&format!("({relative})")),
            "{relative} is not in SUMMARY.md"
        );
    }
    let expected = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(
        &expected(&["a [..] c", "..."]),
        &["a b c", "d", "e"]
    ));
    assert!(matches(&expected(&["...", "e"]), &["a b c", "d", "e"]));
    assert!(!matches(&expected(&["a [..] d"]), &["a b c"]));
    assert!(!matches(&expected(&["a"]), &["a", "b"]));
    assert!(parse("```sh\nccgw-conformance run\n```\n").is_err());
    assert!(parse("text\n\n    ccgw-conformance run\n").is_err());
    assert!(parse("```text\nccgw-conformance run\n```\n").is_err());
    assert!(parse("```text\nPOST https://{ip}:{port}/x\n```\n").is_ok());
    let page = parse("```console\n$ ccgw-conformance run \\\n    --only 'guid/*'\n...\n? 4\n```\n")
        .unwrap();
    assert_eq!(page.steps.len(), 1);
    assert_eq!(page.steps[0].code, 4);
    assert_eq!(
        page.steps[0].command,
        "ccgw-conformance run \\\n    --only 'guid/*'"
    );
}
