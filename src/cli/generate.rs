//! Files generated from the clap definitions: shell completion scripts and
//! the man page, printed to stdout.

use super::args::Cli;
use clap::CommandFactory;
use std::process::ExitCode;

/// `completions SHELL`: the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    clap_complete::generate(shell, &mut command, name, &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// `man`: the man page (roff), e.g. `ccgw-conformance man > ccgw-conformance.1`.
pub fn man(command: clap::Command) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match clap_mangen::Man::new(command).render(&mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: failed to write the man page: {e}");
            ExitCode::from(super::exit::CONFIG)
        }
    }
}
