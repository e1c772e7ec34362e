//! A run's output is one set: unique temporary files, all written before any
//! is put in place, stale files of an earlier run removed, `--out` checked
//! before the first request, errors with their OS cause, and concurrent runs
//! into one folder that never leave an invalid file.

use crate::support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use ccgw_conformance::render::{self, WriteError};
use support::hostile::{self, Behaviour, Hostile};
use support::{GUID, run_bin_async};

const REFUSAL: &str = r#"{"retcode":"100-006","message":"no"}"#;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn run(url: &str, out: &Path) -> std::process::Command {
    let mut cmd = support::run_target(url);
    cmd.env("CCGW_GUID", GUID)
        .args(["--only", "guid/*", "--accept-skip", "guid/*"])
        .arg("--out")
        .arg(out);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comparison_files_of_an_earlier_run_do_not_stay_beside_a_later_one() {
    let server = Hostile::start(Behaviour::Raw(hostile::json(REFUSAL))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, out) = (dir.path().join("base"), dir.path().join("out"));
    let first = run_bin_async(run(&server.url(), &base), Duration::from_secs(60)).await;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let mut with_baseline = run(&server.url(), &out);
    with_baseline
        .arg("--baseline")
        .arg(base.join("report.json"));
    let second = run_bin_async(with_baseline, Duration::from_secs(60)).await;
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(names(&out).len(), 7, "{:?}", names(&out));
    let third = run_bin_async(run(&server.url(), &out), Duration::from_secs(60)).await;
    assert_eq!(third.code, Some(0), "{}", third.stderr);
    assert_eq!(
        names(&out),
        ["junit.xml", "report.html", "report.json", "report.md"],
        "only this run's files, no temporary file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_out_is_refused_before_the_first_request_with_its_os_cause() {
    let server = Hostile::start(Behaviour::Raw(hostile::json(REFUSAL))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    for out in [file.clone(), file.join("below")] {
        let result = run_bin_async(run(&server.url(), &out), Duration::from_secs(60)).await;
        assert_eq!(result.code, Some(5), "{}", result.stderr);
        assert!(
            result.stderr.contains(&out.display().to_string()),
            "{}",
            result.stderr
        );
        assert!(
            result.stderr.contains("os error"),
            "the OS cause is kept: {}",
            result.stderr
        );
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_into_one_folder_leave_whole_reports() {
    let server = Hostile::start(Behaviour::Raw(hostile::json(REFUSAL))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_path_buf();
    let url = server.url();
    let codes = tokio::task::spawn_blocking(move || {
        // All started before any is waited for: their writes overlap.
        let children: Vec<_> = (0..4)
            .map(|_| {
                let mut cmd = run(&url, &out);
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
                cmd.spawn().expect("the binary starts")
            })
            .collect();
        children
            .into_iter()
            .map(|mut c| c.wait().expect("wait").code())
            .collect::<Vec<_>>()
    })
    .await
    .expect("joined");
    assert!(codes.iter().all(|c| *c == Some(0)), "{codes:?}");
    let json = std::fs::read_to_string(dir.path().join("report.json")).expect("report");
    serde_json::from_str::<serde_json::Value>(&json).expect("whole JSON");
    assert_eq!(
        names(dir.path()),
        ["junit.xml", "report.html", "report.json", "report.md"]
    );
}

#[test]
fn a_set_that_cannot_be_written_whole_replaces_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), "old").expect("write");
    // The second file cannot be written (its folder does not exist).
    let err = render::write_set(
        dir.path(),
        &[
            ("a.txt", "new".to_owned()),
            ("missing/b.txt", "new".to_owned()),
        ],
        &["a.txt"],
    )
    .unwrap_err();
    assert!(matches!(err, WriteError::Write { .. }), "{err:?}");
    let chain = ccgw_conformance::console::chain(&err);
    assert!(chain.contains("os error"), "{chain}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).expect("read"),
        "old",
        "nothing was put in place"
    );
    assert_eq!(names(dir.path()), ["a.txt"], "no temporary file left");
}

#[test]
fn temporary_files_of_a_killed_run_are_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A pid that no process has (above the kernel's pid_max).
    let orphan = dir.path().join(".report.json.ccgw-4194305-0.tmp");
    std::fs::write(&orphan, "{\"cut").expect("write");
    render::write_set(dir.path(), &[("a.txt", "x".to_owned())], &[]).expect("written");
    assert!(!orphan.exists(), "{:?}", names(dir.path()));
}

/// The set replaces the folder's old one as a whole: the folder's other
/// files stay (linked into the new folder), its permissions too, and no
/// staging folder is left beside it.
#[cfg(target_os = "linux")]
#[test]
fn a_new_set_replaces_the_old_one_whole_and_keeps_the_folders_other_files() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().expect("tempdir");
    let out = parent.path().join("reports");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join(".gitkeep"), "").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("comparison.md"), "stale").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o750)).unwrap();
    // A staging folder of a run killed long ago.
    std::fs::create_dir(parent.path().join(".reports.ccgw-set-99999999-0")).unwrap();
    let report = crate::render::reports::by_name("full");
    render::write_all(&report, &out).expect("written");
    assert_eq!(
        names(&out),
        [
            ".gitkeep",
            "junit.xml",
            "notes.txt",
            "report.html",
            "report.json",
            "report.md"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750);
    assert_eq!(
        names(parent.path()),
        ["reports"],
        "no staging folder is left"
    );
}

/// Runs into one folder, each killed at another moment (most while writing
/// their reports): whatever the moment, the folder holds one whole set, all
/// four files of the same run (told by its label), never a mix.
#[cfg(unix)]
#[test]
fn a_run_killed_at_any_moment_leaves_one_whole_set() {
    let out = tempfile::tempdir().expect("tempdir");
    let dir = out.path().join("reports");
    let first = support::run_args(&[
        "run",
        "--quiet",
        "--label",
        "run-first",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        support::output_text(&first)
    );
    for i in 0..24u64 {
        let label = format!("run-{i}");
        let mut child = support::bin()
            .args(["run", "--quiet", "--label", &label, "--out"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        std::thread::sleep(Duration::from_millis(5 * i));
        let _ = child.kill();
        let _ = child.wait();
        let labels: Vec<String> = ["report.json", "junit.xml", "report.md", "report.html"]
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.join(name))
                    .unwrap_or_else(|e| panic!("{name} after kill {i}: {e}"));
                let at = text
                    .find("run-")
                    .unwrap_or_else(|| panic!("{name}: no label"));
                text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect()
            })
            .collect();
        assert!(
            labels.iter().all(|l| *l == labels[0]),
            "kill {i} left a mixed set: {labels:?}"
        );
    }
}
