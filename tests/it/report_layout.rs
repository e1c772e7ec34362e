//! The compliance report as a reader meets it, in headless Chromium: the
//! first sections in the order a reader asks (verdict, what was tested,
//! requirements, failures), failures open and passes collapsed, JSON evidence
//! indented, and a printout (`--print-to-pdf`) of a run with two failures
//! that stays a few pages long.

use crate::browser::{chromium, faulty_report, load};
use std::path::Path;
use std::process::{Command, Stdio};

/// At most this many printed pages for a run with two failures and a
/// comparison (the layout before collapsing passes printed 58).
const MAX_PAGES: usize = 8;

#[test]
fn first_sections_come_in_the_readers_order() {
    let dir = tempfile::tempdir().unwrap();
    let page = faulty_report(dir.path());
    let dom = load(&page, dir.path()).dom;
    let at = |needle: &str| {
        dom.find(needle)
            .unwrap_or_else(|| panic!("no `{needle}` in the page"))
    };
    let order = [
        "class=\"banner not-conformant\"",
        "<section id=\"tested\">",
        "<section id=\"requirements\">",
        "<section id=\"failures\">",
        "<section id=\"comparison\">",
        "<section id=\"cases\">",
        "<section id=\"environment\">",
        "<section id=\"expectations\">",
        "<section id=\"assumptions\">",
    ];
    let positions: Vec<usize> = order.iter().map(|n| at(n)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "sections out of order: {order:?} at {positions:?}"
    );
    // What was tested names the run, the profile, the date and the tool.
    let tested = &dom[positions[1]..positions[2]];
    for needle in [
        "R23.200 staging, node 2",
        "cec-23",
        "Date",
        "ccgw-conformance",
    ] {
        assert!(tested.contains(needle), "no `{needle}` in: {tested}");
    }
}

#[test]
fn failures_are_open_and_passes_collapsed() {
    let dir = tempfile::tempdir().unwrap();
    let page = faulty_report(dir.path());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(page.with_file_name("report.json")).unwrap())
            .unwrap();
    let dom = load(&page, dir.path()).dom;
    let mut collapsed = 0;
    for case in report["cases"].as_array().unwrap() {
        let (id, status) = (
            case["id"].as_str().unwrap(),
            case["status"].as_str().unwrap(),
        );
        if status == "failed" || status == "errored" {
            let open = format!("<section class=\"case {status}\" id=\"case-{id}\">");
            assert!(dom.contains(&open), "{id} is not shown open");
        } else {
            let closed = format!("<details class=\"case {status}\" id=\"case-{id}\">");
            assert!(dom.contains(&closed), "{id} is not collapsed");
            collapsed += 1;
        }
    }
    assert_eq!(collapsed, 50, "guid-optional fails two of 52 cases");
    assert_eq!(dom.matches("<details class=\"case").count(), collapsed);
    assert!(!dom.contains("<details class=\"case failed"));
    assert!(
        !dom.contains("<details open"),
        "nothing collapsed is opened"
    );
    // The failures come with their replay line and indented JSON evidence.
    let failures = &dom[dom.find("<section id=\"failures\">").unwrap()
        ..dom.find("<section id=\"comparison\">").unwrap()];
    assert_eq!(
        failures.matches("<pre class=\"repro\"><code>curl ").count(),
        2
    );
    assert!(
        failures.contains("{\n  \"retcode\": \"0\",\n  \"message\": \"success\","),
        "evidence is not indented: {failures}"
    );
}

/// Prints `page` to PDF with headless Chromium and counts its pages.
fn printed_pages(page: &Path, work: &Path) -> usize {
    let pdf = work.join("report.pdf");
    let _ = std::fs::remove_file(&pdf);
    let status = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join("pdf-profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "Chromium could not print {}",
        page.display()
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    // Each page is one `/Type /Page` object (the tree root is `/Type /Pages`).
    let text = String::from_utf8_lossy(&bytes);
    text.match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + "/Type /Page".len()..].starts_with('s'))
        .count()
}

#[test]
fn the_printout_of_two_failures_is_a_few_pages() {
    let dir = tempfile::tempdir().unwrap();
    let page = faulty_report(dir.path());
    let pages = printed_pages(&page, dir.path());
    assert!(
        (1..=MAX_PAGES).contains(&pages),
        "printed to {pages} pages (at most {MAX_PAGES})"
    );
    // Control: the same page with every collapsed case printed in full is
    // far longer, so the count is real and the collapsing is what keeps it short.
    let html = std::fs::read_to_string(&page).unwrap();
    let expanded = html
        .replace("details.case,", "")
        .replace("<details class=\"case", "<details open class=\"case");
    let control = dir.path().join("expanded.html");
    std::fs::write(&control, expanded).unwrap();
    let long = printed_pages(&control, dir.path());
    assert!(
        long > 2 * pages,
        "expanded: {long} pages, collapsed: {pages}"
    );
}

/// Width and height of a PNG (from its IHDR chunk).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn screenshot(page: &Path, png: &Path, height: Option<&str>) {
    let mut cmd = Command::new("sh");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/screenshot-report.sh"))
        .arg(page)
        .arg(png)
        .arg("800")
        .env("CHROMIUM", chromium())
        .env_remove("HEIGHT");
    if let Some(h) = height {
        cmd.env("HEIGHT", h);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_screenshot_is_as_tall_as_the_page() {
    let dir = tempfile::tempdir().unwrap();
    // A page of known height: 7000 px, taller than any window.
    let page = dir.path().join("tall.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body style=\"margin:0\"><div style=\"height:7000px;\
         background:#c00\"></div></body></html>",
    )
    .unwrap();
    let png = dir.path().join("tall.png");
    screenshot(&page, &png, None);
    assert_eq!(png_size(&png), (800, 7000));
    // HEIGHT crops.
    screenshot(&page, &png, Some("1200"));
    assert_eq!(png_size(&png), (800, 1200));
}
