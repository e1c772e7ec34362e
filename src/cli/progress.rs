//! Live progress: one listener over the runner's events. On a terminal, a
//! progress bar with a line per finished case; otherwise plain lines; with
//! `--quiet`, nothing (the summary is printed by the command). Every line
//! goes through [`console::safe`]: redacted, terminal controls made visible.

use ccgw_conformance::console;
use ccgw_conformance::report::{CaseResult, Status, Summary, Verdict};
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

/// One line for a finished case.
pub fn case_line(result: &CaseResult) -> String {
    let mark = match result.status {
        Status::Passed => "PASS ",
        Status::Failed => "FAIL ",
        Status::Errored => "ERROR",
        Status::Skipped => "SKIP ",
    };
    let advisory = if result.severity == ccgw_conformance::report::Severity::Advisory {
        " (advisory)"
    } else {
        ""
    };
    match (&result.reason, result.status) {
        (Some(reason), Status::Failed | Status::Errored | Status::Skipped) => {
            format!("{mark} {}{advisory}: {}", result.id, first_line(reason))
        }
        _ => format!("{mark} {}{advisory} ({} ms)", result.id, result.duration_ms),
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

/// The closing summary.
pub fn summary_line(summary: &Summary, interrupted: bool) -> String {
    let verdict = match summary.verdict {
        Verdict::Conformant => "conformant",
        Verdict::NotConformant => "not conformant",
        Verdict::NotAssessed => "not assessed",
    };
    let interrupted = if interrupted { " (interrupted)" } else { "" };
    format!(
        "{} cases: {} passed, {} failed, {} errored, {} skipped; verdict: {verdict}{interrupted}",
        summary.total, summary.passed, summary.failed, summary.errored, summary.skipped
    )
}

impl EventListener for Progress {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        match (self, event) {
            (Progress::Quiet, _) => {}
            (Progress::Plain, RunEvent::RunStarted { total, target }) => {
                eprintln!("running {total} cases against {target}");
            }
            (Progress::Plain, RunEvent::CaseFinished { result, .. }) => {
                eprintln!("{}", case_line(result));
            }
            (Progress::Bar(bar), RunEvent::RunStarted { total, target }) => {
                let b = ProgressBar::new(*total as u64);
                b.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.println(console::safe(&format!(
                    "running {total} cases against {target}"
                )));
                *bar = Some(b);
            }
            (Progress::Bar(Some(bar)), RunEvent::CaseFinished { result, .. }) => {
                bar.println(console::safe(&case_line(result)));
                bar.set_message(console::safe(&result.id));
                bar.inc(1);
            }
            (Progress::Bar(bar), RunEvent::RunFinished { .. }) => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            _ => {}
        }
    }
}
