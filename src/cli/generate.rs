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
    clap_complete::generate(shell, &mut command, name.clone(), &mut script);
    if shell == clap_complete::Shell::Bash {
        script = mend_bash_states(&script, &name);
    }
    to_stdout(&script, "the completion script")
}

/// The bash script of a binary whose name has a hyphen names its states
/// two ways (`ccgw__conformance__subcmd__run` where it sets the state,
/// `ccgw__subcmd__conformance__subcmd__run` where it matches it, a
/// clap_complete defect), so nothing after the subcommand is completed:
/// the matching side is renamed to the setting side's spelling.
fn mend_bash_states(script: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let matched = name.replace('-', "__subcmd__");
    let set = name.replace('-', "__");
    if matched == set {
        return script.to_vec();
    }
    text.replace(&matched, &set).into_bytes()
}

/// `man`: the tool's man page, then one per subcommand (roff), printed one
/// after the other (`ccgw-conformance man > ccgw-conformance.1; man -l
/// ccgw-conformance.1` shows every option), or each written to its own file
/// in `dir` (`ccgw-conformance.1`, `ccgw-conformance-run.1`, ...).
pub fn man(command: clap::Command, dir: Option<&std::path::Path>) -> ExitCode {
    let pages = match pages(command) {
        Ok(pages) => pages,
        Err(e) => {
            eprintln!("error: failed to render the man pages: {e}");
            return ExitCode::from(super::exit::CONFIG);
        }
    };
    let Some(dir) = dir else {
        let all: Vec<u8> = pages.into_iter().flat_map(|(_, page)| page).collect();
        return to_stdout(&all, "the man pages");
    };
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        pages
            .iter()
            .try_for_each(|(name, page)| std::fs::write(dir.join(format!("{name}.1")), page))
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "error: failed to write the man pages to {}: {e}",
                dir.display()
            );
            ExitCode::from(super::exit::WRITE_FAILED)
        }
    }
}

/// Every page: (name, roff) of the tool, then of each subcommand but help.
fn pages(command: clap::Command) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let top = command.get_name().to_owned();
    let version: &'static str = Box::leak(
        command
            .get_version()
            .unwrap_or_default()
            .to_owned()
            .into_boxed_str(),
    );
    let mut pages = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    pages.push((top.clone(), page));
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{top}-{}", sub.get_name());
        // clap names are `&'static str` (without its `string` feature): this
        // command prints and exits, so the few names it makes may live on.
        let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
        let sub = sub
            .clone()
            .name(leaked)
            .bin_name(format!("{top} {}", sub.get_name()))
            .version(version);
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page)?;
        pages.push((name, page));
    }
    Ok(pages)
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
