//! Colour on the console: PASS/FAIL/ERROR/SKIP and the verdict. On a terminal
//! only, never with `NO_COLOR`, as `--color auto|always|never` says
//! (anstream decides; anstyle writes the codes).

use anstyle::{AnsiColor, Style};
use ccgw_conformance::report::{Status, Verdict};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour on a terminal, unless NO_COLOR is set (or CLICOLOR=0).
    Auto,
    /// Colour even into a pipe or file.
    Always,
    /// No colour.
    Never,
}

/// Makes `when` the choice of every console stream of the process.
pub fn init(when: ColorWhen) {
    anstream::ColorChoice::write_global(match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    });
}

const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const MAGENTA: Style = AnsiColor::Magenta.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();

/// The style of a case status.
pub fn status(status: Status) -> Style {
    match status {
        Status::Passed => GREEN,
        Status::Failed => RED,
        Status::Errored => MAGENTA,
        Status::Skipped => YELLOW,
    }
}

/// The style of a verdict.
pub fn verdict(verdict: Verdict) -> Style {
    match verdict {
        Verdict::Conformant => GREEN,
        Verdict::NotConformant => RED,
        Verdict::NotAssessed | Verdict::Incomplete => YELLOW,
    }
}

/// `text` in `style` (codes that a stream without colour strips again).
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// `text` as stderr should get it: without codes when stderr has no colour.
/// For writers that bypass anstream (the progress bar).
pub fn for_stderr(text: &str) -> String {
    if anstream::AutoStream::choice(&std::io::stderr()) == anstream::ColorChoice::Never {
        anstream::adapter::strip_str(text).to_string()
    } else {
        text.to_owned()
    }
}
