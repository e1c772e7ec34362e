//! Live progress: one listener over the runner's events. On a terminal, a
//! progress bar with a line per finished case; otherwise plain lines; with
//! `--quiet`, nothing (the summary is printed by the command). Every line
//! goes through [`console::safe`]: redacted, terminal controls made visible.

use super::style;
use ccgw_conformance::console::{self, Stream};
use ccgw_conformance::render::{self as text, ReportView, curl};
use ccgw_conformance::report::{CaseResult, ControlRecord, RunReport, Status};
use ccgw_conformance::runner::{EventListener, RunEvent};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// How progress is shown.
pub enum Progress {
    Quiet,
    Plain,
    Bar(Option<ProgressBar>),
}

impl Progress {
    /// Picks the display for stderr.
    pub fn new(quiet: bool) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            Progress::Bar(None)
        } else {
            Progress::Plain
        }
    }
}

/// One line for a finished case, its mark coloured (see [`style`]).
pub fn case_line(result: &CaseResult) -> String {
    let mark = match result.status {
        Status::Passed => "PASS ",
        Status::Failed => "FAIL ",
        Status::Errored => "ERROR",
        Status::Skipped => "SKIP ",
    };
    let mark = style::paint(style::status(result.status), mark);
    let advisory = if result.severity == ccgw_conformance::report::Severity::Advisory {
        " (advisory)"
    } else {
        ""
    };
    match (&result.reason, result.status) {
        (Some(reason), Status::Failed | Status::Errored | Status::Skipped) => {
            // The reason may quote the gateway: made safe before any colour is added.
            let id = console::safe(&result.id);
            format!(
                "{mark} {id}{advisory}: {}",
                console::safe(&first_line(reason))
            )
        }
        _ => format!(
            "{mark} {}{advisory} ({}{})",
            console::safe(&result.id),
            text::case_duration(result),
            text::attempts(result)
                .map(|a| format!(", {}", console::safe(&a)))
                .unwrap_or_default()
        ),
    }
}

fn first_line(text: &str) -> String {
    // Only `\n` ends a line: a bare CR is shown escaped, never obeyed.
    let line = text.split('\n').next().unwrap_or_default();
    if line.chars().count() > 160 {
        format!("{}...", line.chars().take(160).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The closing summary: the counts, then the verdict as every report states
/// it (its headline, made safe, then coloured).
pub fn summary_line(report: &RunReport) -> String {
    let summary = &report.summary;
    let verdict = style::paint(
        style::verdict(summary.verdict),
        &console::safe(&ccgw_conformance::render::headline(report)),
    );
    let took = report
        .environment
        .wall_time_us
        .map(|us| format!(" ({})", text::duration(us)))
        .unwrap_or_default();
    let waited = text::waited(report)
        .map(|w| format!("; {w}"))
        .unwrap_or_default();
    format!(
        "{}: {} passed, {} failed, {} errored, {} skipped{waited}; verdict: {verdict}{took}",
        text::count(summary.total, "case"),
        summary.passed,
        summary.failed,
        summary.errored,
        summary.skipped
    )
}

/// One line for a control request.
fn control_line(record: &ControlRecord) -> String {
    format!(
        "control request ({}): {} -> {}",
        record.when,
        console::safe(&record.observed),
        record.outcome.describe()
    )
}

impl EventListener for Progress {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        match (self, event) {
            (Progress::Quiet, _) => {}
            (Progress::Plain, RunEvent::RunStarted { total, target }) => {
                eprintln!("running {} against {target}", text::count(*total, "case"));
            }
            (Progress::Plain, RunEvent::ControlChecked { record }) => {
                eprintln!("{}", control_line(record));
            }
            (Progress::Bar(Some(bar)), RunEvent::ControlChecked { record }) => {
                bar.println(console::safe(&control_line(record)));
            }
            (Progress::Plain, RunEvent::CaseFinished { result, .. }) => {
                console::write_styled(Stream::Stderr, &case_line(result), true);
            }
            (Progress::Bar(bar), RunEvent::RunStarted { total, target }) => {
                let b = ProgressBar::new(*total as u64);
                b.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.println(console::safe(&format!(
                    "running {} against {target}",
                    text::count(*total, "case")
                )));
                *bar = Some(b);
            }
            (Progress::Bar(Some(bar)), RunEvent::CaseFinished { result, .. }) => {
                bar.println(style::for_stderr(&case_line(result)));
                bar.set_message(console::safe(&result.id));
                bar.inc(1);
            }
            (Progress::Bar(bar), RunEvent::RunFinished { .. }) => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            (_, RunEvent::SessionChecksWaiting { wait }) => {
                eprintln!(
                    "session checks: waiting up to {} s for the Guid to rotate or expire, then signing out (Ctrl-C stops the wait and signs out)",
                    wait.as_secs_f64().ceil()
                );
            }
            _ => {}
        }
    }
}

/// After the per-case lines (as nextest does): each failed or errored case
/// again with its reason and a `curl` line that replays it; with `verbose`
/// (`-v`), every case that sent a request with its `curl` line and the
/// heads of its request (`>`) and answer (`<`), with `-vv` their bodies too,
/// all redacted. Nothing when quiet. The cases are read back one at a time
/// (their requests may be spilled).
pub fn closing_lists(view: &ReportView<'_>, quiet: bool, verbose: u8) -> String {
    let mut out = String::new();
    if quiet {
        return out;
    }
    let report = view.report();
    // A case that cannot be read back shows without its request.
    let whole = |index: usize| {
        view.case(index)
            .unwrap_or(std::borrow::Cow::Borrowed(&report.cases[index]))
    };
    if verbose > 0 {
        out.push_str("requests (replay with curl; > sent, < received):\n");
        for index in 0..report.cases.len() {
            let case = whole(index);
            if let Some(line) = curl::repro(&case, &report.environment) {
                out.push_str(&format!(
                    "  {}\n    {}\n",
                    console::safe(&case.id),
                    console::safe(&line)
                ));
                exchange(&mut out, &case, verbose > 1);
            }
        }
    }
    if let Some(line) = text::not_run_line(report) {
        out.push_str(&format!("{line}\n"));
    }
    for line in text::flow_lines(report) {
        out.push_str(&format!("flow control: {}\n", console::safe(&line)));
    }
    let failures: Vec<usize> = (0..report.cases.len())
        .filter(|&i| text::is_failure_to_show(&report.cases[i]))
        .collect();
    if failures.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "{} failed or errored ({}):\n",
        text::count(failures.len(), "case"),
        curl::variables_note(&report.environment)
    ));
    for index in failures {
        let case = whole(index);
        out.push_str(&format!("  {}\n", case_line(&case)));
        if let Some(line) = curl::repro(&case, &report.environment) {
            out.push_str(&format!("    {}\n", console::safe(&line)));
        }
    }
    out
}

/// A case's request and answer as curl -v and Hurl show them: `>` lines for
/// what was sent, `<` lines for what came back; the bodies with `bodies`.
/// Everything is made safe (redacted, controls visible).
fn exchange(out: &mut String, case: &CaseResult, bodies: bool) {
    let mut line = |mark: char, text: &str| {
        if text.is_empty() {
            // The blank line between the head and the body.
            out.push_str(&format!("    {mark}\n"));
        }
        for part in text.lines() {
            out.push_str(&format!("    {mark} {}\n", console::safe(part)));
        }
    };
    if let Some(request) = &case.request {
        line('>', &format!("{} {}", request.method, request.path));
        for h in &request.headers {
            line('>', &format!("{}: {}", h.name, h.value));
        }
        if bodies {
            if let Some(body) = &request.body {
                line('>', "");
                line('>', body);
            }
        }
    }
    if let Some(response) = &case.response {
        line('<', &format!("HTTP {}", response.status));
        for h in &response.headers {
            line('<', &format!("{}: {}", h.name, h.value));
        }
        if bodies && !response.body.is_empty() {
            line('<', "");
            line('<', &response.body);
            if response.truncated {
                line('<', &format!("... ({} bytes in all)", response.body_bytes));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccgw_conformance::report::Severity;

    #[test]
    fn a_forged_reason_stays_one_visible_line() {
        let result = CaseResult {
            id: "guid/unknown".to_owned(),
            title: String::new(),
            family: "guid".to_owned(),
            severity: Severity::Required,
            requirements: Vec::new(),
            status: Status::Failed,
            reason: Some(
                "retcode \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\rPASS  guid/unknown \u{202e}x\nPASS y"
                    .to_owned(),
            ),
            expected: String::new(),
            findings: Vec::new(),
            notes: Vec::new(),
            request: None,
            response: None,
            attempts: Vec::new(),
            duration_ms: 1,
            duration_us: 1_000,
            cause: None,
        };
        // The mark may be coloured; what follows the id is the gateway's text.
        let line = case_line(&result);
        let (_, shown) = line.split_once(" guid/unknown: ").expect("the id");
        assert_eq!(
            shown,
            "retcode \\u001b]52;c;ZXZpbA==\\u0007\\u001b[2J\\u000dPASS  guid/unknown \\u202ex"
        );
        assert!(!line.contains('\r') && !line.contains('\n'));
    }
}
