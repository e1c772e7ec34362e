//! Exit codes, in one place (documented in `--help` and the README).

/// Every required case passed (or, with `--fail-on new`, no new failure).
pub const OK: u8 = 0;
/// A required case failed or errored (or a new failure, with `--fail-on new`).
pub const FAILED: u8 = 1;
/// Usage, configuration, suite or schema error, or no case selected.
pub const CONFIG: u8 = 2;
/// The target could not be reached: no case got an HTTP response.
pub const UNREACHABLE: u8 = 3;
/// Interrupted (Ctrl-C or SIGTERM); the report so far was written.
pub const INTERRUPTED: u8 = 130;

/// The text of `--help` about exit codes.
pub const HELP: &str = "Exit codes:
  0    every required case passed
  1    a required case failed or errored (with --fail-on new: a new failure)
  2    usage, configuration, suite or schema error, or no case selected
  3    the target could not be reached (no case got an HTTP response)
  130  interrupted (Ctrl-C or SIGTERM); the report so far is written, marked interrupted";
