//! The console cannot be forged by the gateway: whatever a gateway puts in
//! its retcode, message, headers or body (ESC sequences that clear the screen
//! or set the title, OSC 52 clipboard writes, a bare CR that overwrites a
//! FAIL line with a fake PASS, bidi overrides, zero-width characters), the
//! console shows it escaped. And a closed stdout or stderr pipe neither
//! panics nor loses the report.

use crate::support;

use std::process::Stdio;
use std::time::Duration;

use rstest::rstest;
use support::hostile::{self, Behaviour, Hostile};
use support::{GUID, run_bin_async};

/// Characters a terminal would act on, and that must never reach it raw.
const FORBIDDEN: [char; 9] = [
    '\u{1b}', '\r', '\u{7}', '\u{9b}', '\u{9d}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{8}',
];

fn hostile_json(retcode: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({ "retcode": retcode, "message": message }).to_string();
    hostile::json(&body)
}

// A body that is not JSON is quoted (its first bytes, its Content-Type) in
// the `body.json` finding, which is the reason shown on each console line.
#[rstest]
#[case::clear_screen_and_title("\u{1b}[2J\u{1b}]0;owned\u{7}", "text/plain", "")]
#[case::clipboard_osc52("\u{1b}]52;c;cm0gLXJmIH4=\u{7}", "text/plain", "")]
#[case::cr_fake_pass("bad\rPASS  guid/unknown (1 ms)     ", "text/plain", "")]
#[case::c1_csi_and_bidi("\u{9b}31m\u{202e}lmth.exe\u{2066}\u{200b}\u{8}", "text/plain", "")]
#[case::in_the_content_type("{}", "text/\u{9b}31m\u{202e}x", "\\u009b31m")]
#[case::in_a_quoted_stack_trace(
    r#"{"retcode":"100-006","message":"java.lang.NullPointerException\r\u001b]0;owned\u0007\u202e at com.x.Foo(Foo.java:12)"}"#,
    "application/json",
    ""
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_strings_are_shown_escaped(
    #[case] body: &str,
    #[case] content_type: &str,
    #[case] visible: &str,
) {
    let answer = hostile::response(200, content_type, body.as_bytes());
    let server = Hostile::start(Behaviour::Raw(answer)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = support::run_target(&server.url());
    cmd.env("CCGW_GUID", GUID).arg("--out").arg(dir.path());
    let out = run_bin_async(cmd, Duration::from_secs(90)).await;
    assert!(matches!(out.code, Some(0 | 1 | 4)), "{}", out.stderr);
    let console = out.console();
    for c in FORBIDDEN {
        assert!(
            !console.contains(c),
            "U+{:04X} reached the console raw",
            u32::from(c)
        );
    }
    // Each finished case is one progress line that starts with its own
    // status (the closing list of failures repeats it, indented).
    let case_lines = out
        .stderr
        .lines()
        .filter(|l| {
            !l.starts_with(' ')
                && l.split_whitespace().nth(1).map(|w| w.trim_end_matches(':'))
                    == Some("guid/unknown")
        })
        .count();
    assert_eq!(case_lines, 1, "{}", out.stderr);
    // Where the checks quote the string itself (they drop control
    // characters from body excerpts), it is shown escaped.
    assert!(
        visible.is_empty() || console.contains(visible),
        "the gateway's string is shown, escaped ({visible}): {console}"
    );
}

/// A pipe whose reading end is already closed: the stdin of a `true` that
/// has exited.
fn closed_pipe() -> Stdio {
    let mut reader = std::process::Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("`true` runs");
    let writer = reader.stdin.take().expect("piped");
    reader.wait().expect("`true` exits");
    Stdio::from(writer)
}

#[rstest]
#[case::stdout_closed(true, false)]
#[case::stderr_closed(false, true)]
#[case::both_closed(true, true)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_never_panics_nor_loses_the_report(
    #[case] close_stdout: bool,
    #[case] close_stderr: bool,
) {
    let server = Hostile::start(Behaviour::Raw(hostile_json("100-006", "no"))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = support::run_target(&server.url());
    cmd.env("CCGW_GUID", GUID)
        .args(["--only", "guid/*"])
        .arg("--out")
        .arg(dir.path());
    if close_stdout {
        cmd.stdout(closed_pipe());
    }
    if close_stderr {
        cmd.stderr(closed_pipe());
    }
    let status = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("the binary starts");
        // Drain what is still piped, so the child never blocks on it.
        let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                if let Some(mut r) = r {
                    let _ = std::io::copy(&mut r, &mut std::io::sink());
                }
            })
        };
        let a = drain(child.stdout.take().map(|s| Box::new(s) as _));
        let b = drain(child.stderr.take().map(|s| Box::new(s) as _));
        let status = child.wait().expect("wait");
        let _ = (a.join(), b.join());
        status
    })
    .await
    .expect("joined");
    assert!(
        matches!(status.code(), Some(0 | 1 | 4)),
        "exit {status:?} (101 is a panic)"
    );
    let json = std::fs::read_to_string(dir.path().join("report.json")).expect("report written");
    serde_json::from_str::<serde_json::Value>(&json).expect("whole JSON");
}
