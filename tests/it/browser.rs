//! The HTML report in a real browser: a report from a real run (a fault on,
//! so it has failures, evidence and a comparison with a clean baseline) is
//! opened in headless Chromium, which must render it with no network request
//! and no console message.
//!
//! How each property is observed:
//! - **renders**: `--dump-dom` prints the DOM after load; it must hold the
//!   verdict banner, the traceability matrix and the case sections.
//! - **no network request**: `--log-net-log` records every URL request of the
//!   browser. Chromium itself calls home (update checks, account lookup) even
//!   with the background flags, so requests are attributed to the page by
//!   their network isolation key (`file://` for a page opened from disk) and
//!   none may exist. `--host-resolver-rules="MAP * ~NOTFOUND"` makes sure no
//!   name resolves meanwhile, and the page's own Content-Security-Policy
//!   would refuse a load (and say so on the console).
//! - **no console error**: `--enable-logging=stderr --v=0` prints every console
//!   message as a `CONSOLE` line; the page has no script, so any such line
//!   (a CSP refusal, an error) fails the test.
//!
//! A control page with an external image and a `console.error` shows that both
//! detectors fire. Without Chromium the tests fail and say what to install.
//! `scripts/screenshot-report.sh REPORT.html OUT.png` takes a picture by hand.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The headless browser: `CHROMIUM`, else `chromium` on PATH or in /usr/bin.
pub(crate) fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    for dir in on_path
        .iter()
        .map(PathBuf::as_path)
        .chain([Path::new("/usr/bin")])
    {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "Chromium not found: install Debian's `chromium` package \
         (`apt-get install -y chromium`; .ci/run installs it in CI) or set CHROMIUM=/path/to/chromium"
    );
}

/// What one headless load of a page showed.
pub(crate) struct Load {
    pub(crate) dom: String,
    console: Vec<String>,
    page_requests: Vec<String>,
}

/// Opens `page` in headless Chromium with a fresh profile, offline, and
/// collects the DOM, the console lines and the requests the page made.
pub(crate) fn load(page: &Path, work: &Path) -> Load {
    let profile = work.join("profile");
    let net_log = work.join("net-log.json");
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start Chromium: {e}"));
    // Drain the pipes while waiting, so a large DOM cannot block the browser.
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let (stdout, stderr) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap().into_bytes(),
        stderr: stderr.join().unwrap().into_bytes(),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Chromium failed: {stderr}");
    Load {
        dom: String::from_utf8_lossy(&output.stdout).into_owned(),
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_owned)
            .collect(),
        page_requests: page_requests(&net_log),
    }
}

/// URLs of the requests made on behalf of a page opened from disk: the URL
/// requests whose network isolation key (or initiator) is a `file://` page.
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log)
        .unwrap_or_else(|e| panic!("Chromium wrote no net log {}: {e}", net_log.display()));
    // A net log cut short lacks its closing brackets; the events are intact.
    let log: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .unwrap_or_else(|e| panic!("{} is not a net log: {e}", net_log.display()));
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    assert!(
        start_job.is_number(),
        "the net log has no URL_REQUEST_START_JOB type"
    );
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .expect("net log events")
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| {
            let params = &e["params"];
            let key = params["network_isolation_key"].as_str().unwrap_or_default();
            let initiator = params["initiator"].as_str().unwrap_or_default();
            key.contains("file://") || initiator.starts_with("file://")
        })
        .map(|e| e["params"]["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

fn bin() -> Command {
    support::bin()
}

/// A real report: a clean baseline, then a run with a fault compared with it.
pub(crate) fn faulty_report(dir: &Path) -> PathBuf {
    let clean = dir.join("clean");
    let status = bin()
        .args(["run", "--quiet", "--out"])
        .arg(&clean)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(0));
    let out = dir.join("faulty");
    let status = bin()
        .args(["run", "--quiet", "--label", "R23.200 staging, node 2"])
        .args(["--fault", "guid-optional", "--baseline"])
        .arg(clean.join("report.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(1));
    out.join("report.html")
}

#[test]
fn the_report_renders_offline_without_console_messages() {
    let dir = tempfile::tempdir().unwrap();
    let page = faulty_report(dir.path());
    let load = load(&page, dir.path());

    for needle in [
        "<header class=\"banner not-conformant\">",
        "<h1>Not conformant: 2 required cases failed</h1>",
        "<section id=\"environment\">",
        "<section id=\"requirements\">",
        "<td><code class=\"nowrap\">REQ-GUID</code></td>",
        "<section id=\"comparison\">",
        "<section class=\"case failed\" id=\"case-guid/missing\">",
        "Content-Security-Policy",
    ] {
        assert!(
            load.dom.contains(needle),
            "the rendered page lacks {needle}"
        );
    }
    assert!(
        load.page_requests.is_empty(),
        "the report made network requests: {:?}",
        load.page_requests
    );
    assert!(
        load.console.is_empty(),
        "the report wrote to the console: {:#?}",
        load.console
    );
}

#[test]
fn the_detectors_catch_a_request_and_a_console_error() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("control.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>control</title></head>\
         <body><p>control page</p><img src=\"http://example.invalid/pixel.png\" alt=\"\">\
         <script>console.error(\"control-console-error\")</script></body></html>",
    )
    .unwrap();
    let load = load(&page, dir.path());
    assert!(load.dom.contains("control page"));
    assert_eq!(
        load.page_requests,
        vec!["http://example.invalid/pixel.png".to_owned()]
    );
    assert!(
        load.console
            .iter()
            .any(|l| l.contains("control-console-error")),
        "{:#?}",
        load.console
    );
}

#[test]
fn the_screenshot_script_writes_a_png() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let page = faulty_report(dir.path());
    let png = dir.path().join("report.png");
    let output = Command::new("sh")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/screenshot-report.sh"))
        .arg(&page)
        .arg(&png)
        .env("HEIGHT", "1200")
        .env("CHROMIUM", browser)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 10_000, "suspiciously small picture");
}
