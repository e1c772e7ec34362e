//! Files generated from the clap definitions: shell completion scripts and
//! the man page, printed to stdout.

use super::args::Cli;
use clap::CommandFactory;
use std::io::Write as _;
use std::process::ExitCode;

/// `completions SHELL`: the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    // Generated in memory (clap_complete panics on a write error), then
    // written as every command writes to stdout.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    to_stdout(&script, "the completion script")
}

/// `man`: the man page (roff), e.g. `ccgw-conformance man > ccgw-conformance.1`.
pub fn man(command: clap::Command) -> ExitCode {
    let mut page = Vec::new();
    if let Err(e) = clap_mangen::Man::new(command).render(&mut page) {
        eprintln!("error: failed to render the man page: {e}");
        return ExitCode::from(super::exit::CONFIG);
    }
    to_stdout(&page, "the man page")
}

/// Writes `bytes` to stdout: a reader that stops early (`| head`, a closed
/// pipe) is not an error; any other write error (`> /dev/full`) is said and
/// exits 5, never a panic.
pub fn to_stdout(bytes: &[u8], what: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: failed to write {what} to standard output: {e}");
            ExitCode::from(super::exit::WRITE_FAILED)
        }
    }
}
