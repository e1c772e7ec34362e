//! Exit codes and fatal errors, in one place: the codes are named constants,
//! [`CODES`] documents each with a command that produces it, `--help` is
//! generated from it and a test checks the book's table (docs/src/reference/exit-codes.md) against it.

/// The verdict is conformant (a selection: conformant for what it selected;
/// with `--fail-on new`: no new failure).
pub const OK: u8 = 0;
/// Not conformant: a required case failed (with `--strict`, an advisory one
/// too; with `--fail-on new`, a new failure). A case that got no complete
/// answer is not assessed, never a failure.
pub const FAILED: u8 = 1;
/// Usage, configuration, suite or schema error, or no case selected.
pub const CONFIG: u8 = 2;
/// The target could not be reached: no case got an HTTP response.
pub const UNREACHABLE: u8 = 3;
/// Not assessed: credentials refused, session lost, required cases without a
/// complete answer or still refused by flow control, a failed sign-out, or
/// required cases skipped for lack of input (and not accepted with
/// `--accept-skip`).
pub const NOT_ASSESSED: u8 = 4;
/// The reports (or the comparison) could not be written.
pub const WRITE_FAILED: u8 = 5;
/// Interrupted (Ctrl-C or SIGTERM); the report so far was written.
pub const INTERRUPTED: u8 = 130;

/// One documented exit code.
pub struct ExitDoc {
    pub code: u8,
    pub meaning: &'static str,
    /// A command that produces it.
    pub example: &'static str,
}

/// Every exit code, in order.
pub const CODES: &[ExitDoc] = &[
    ExitDoc {
        code: OK,
        meaning: "conformant: every required case passed (a selection: for the cases it selected; with --fail-on new: no new failure)",
        example: "ccgw-conformance run",
    },
    ExitDoc {
        code: FAILED,
        meaning: "not conformant: a required case failed (with --strict: any case; with --fail-on new: a new failure)",
        example: "ccgw-conformance run --fault guid-optional",
    },
    ExitDoc {
        code: CONFIG,
        meaning: "usage, configuration, suite or schema error, or no case selected",
        example: "ccgw-conformance run --profile nope",
    },
    ExitDoc {
        code: UNREACHABLE,
        meaning: "the target could not be reached: no case got an HTTP response",
        example: "ccgw-conformance run --target https://127.0.0.1:9 --agent-id 1001 --guid x",
    },
    ExitDoc {
        code: NOT_ASSESSED,
        meaning: "not assessed: the control request was refused (credentials), the session was lost, required cases got no complete answer or were still refused by flow control, the sign-out failed, or required cases were skipped for lack of input (unless --accept-skip names them)",
        example: "ccgw-conformance run --target URL --agent-id 1001 --guid-file expired.txt",
    },
    ExitDoc {
        code: WRITE_FAILED,
        meaning: "the reports or the comparison cannot be written (an --out that cannot take them is found before any request)",
        example: "mkdir -p out/report.json/x && ccgw-conformance run --out out",
    },
    ExitDoc {
        code: INTERRUPTED,
        meaning: "interrupted (Ctrl-C, or SIGTERM as CI sends on cancel); the reports so far are written, verdict incomplete",
        example: "ccgw-conformance run --fault slow, then Ctrl-C",
    },
];

/// The text of `--help` about exit codes.
pub fn help() -> String {
    let mut out = String::from("Exit codes:");
    for doc in CODES {
        out.push_str(&format!(
            "\n  {:<4} {}\n       e.g. {}",
            doc.code, doc.meaning, doc.example
        ));
    }
    out
}

/// A fatal error of a command: what to print, and which exit code it means.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Usage, configuration, suite or schema error (exit 2).
    #[error("{0}")]
    Config(String),
    /// The schemas did not load or compile (exit 2).
    #[error("failed to load schemas: {0}")]
    Schemas(#[source] ccgw_conformance::schemas::SchemaError),
    /// The suite did not load (exit 2).
    #[error("failed to load the suite: {0}")]
    Suite(#[source] ccgw_conformance::suite::SuiteError),
    /// The run could not start: its plan or clients (exit 2).
    #[error("failed to start the run: {0}")]
    Run(#[source] ccgw_conformance::runner::RunError),
    /// The embedded reference gateway did not start (exit 2).
    #[cfg(feature = "gateway")]
    #[error("failed to start the reference gateway: {0}")]
    Gateway(#[source] ccgw_conformance::gateway::GatewayError),
    /// The agent's session could not be opened (exit 2).
    #[error("failed to {0}")]
    Session(#[source] ccgw_conformance::session::SessionError),
    /// A report given to read (a baseline, `compare`'s inputs) did not load
    /// (exit 2).
    #[error("failed to {0}")]
    Report(#[source] ccgw_conformance::compare::LoadError),
    /// The OpenAPI document could not be assembled (exit 2).
    #[error("failed to assemble the OpenAPI document: {0}")]
    OpenApi(#[source] ccgw_conformance::openapi::OpenApiError),
    /// Reports or a comparison could not be written (exit 5).
    #[error("{0}")]
    Write(String),
}

impl CliError {
    /// A usage or configuration error.
    pub fn config(message: impl Into<String>) -> CliError {
        CliError::Config(message.into())
    }

    /// The exit code of this error.
    pub fn code(&self) -> u8 {
        match self {
            CliError::Config(_)
            | CliError::Schemas(_)
            | CliError::Suite(_)
            | CliError::Run(_)
            | CliError::Session(_)
            | CliError::Report(_)
            | CliError::OpenApi(_) => CONFIG,
            #[cfg(feature = "gateway")]
            CliError::Gateway(_) => CONFIG,
            CliError::Write(_) => WRITE_FAILED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The book's exit-code table lists exactly the codes of [`CODES`],
    /// each with its example command.
    #[test]
    fn the_books_table_matches_the_codes() {
        let readme = include_str!("../../docs/src/reference/exit-codes.md");
        let start = readme
            .find("# Exit codes")
            .expect("the book has an exit-code page");
        let section = &readme[start..];
        let end = section[4..].find("\n#").map_or(section.len(), |i| i + 4);
        let rows: Vec<(u8, String)> = section[..end]
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
                let code = cells.first()?.parse::<u8>().ok()?;
                Some((code, line.to_owned()))
            })
            .collect();
        let documented: Vec<u8> = rows.iter().map(|(code, _)| *code).collect();
        let defined: Vec<u8> = CODES.iter().map(|d| d.code).collect();
        assert_eq!(documented, defined, "the book's exit-code table vs CODES");
        for (doc, (_, row)) in CODES.iter().zip(&rows) {
            assert!(
                row.contains(&format!("`{}`", doc.example)),
                "the book's row for {} lacks the example `{}`: {row}",
                doc.code,
                doc.example
            );
        }
    }

    #[test]
    fn help_lists_every_code() {
        let help = help();
        for doc in CODES {
            assert!(help.contains(&format!("  {:<4} ", doc.code)), "{help}");
        }
    }
}
