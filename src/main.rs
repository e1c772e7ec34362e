//! The `ccgw-conformance` binary: parses arguments, runs a command, prints a
//! fatal error if there is one, and exits with a documented code.

// Every print of the binary goes through `console::write`: redacted, with
// terminal controls made visible, and a closed pipe never panics (these
// shadow the std macros for `cli` below, by textual scope).
macro_rules! println {
    ($($t:tt)*) => { ccgw_conformance::console::write(ccgw_conformance::console::Stream::Stdout, format_args!($($t)*), true) };
}
#[allow(unused_macros)] // only the gateway's commands print without a newline
macro_rules! print {
    ($($t:tt)*) => { ccgw_conformance::console::write(ccgw_conformance::console::Stream::Stdout, format_args!($($t)*), false) };
}
macro_rules! eprintln {
    ($($t:tt)*) => { ccgw_conformance::console::write(ccgw_conformance::console::Stream::Stderr, format_args!($($t)*), true) };
}

mod cli;

use clap::CommandFactory;
use cli::args::{Cli, Command};
use std::process::ExitCode;

/// The async runtime of a command. A run of one case at a time has nothing
/// to spread over cores: it runs on the calling thread, without handing each
/// answer from a worker thread to the run and back (about 2 ms of a default
/// run of 30). Everything else gets a worker per core.
fn runtime_for(command: &Command) -> tokio::runtime::Builder {
    match command {
        Command::Run(args) if args.concurrency == 1 => {
            tokio::runtime::Builder::new_current_thread()
        }
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
}

fn main() -> ExitCode {
    let (cli, matches, command, from_file) = cli::config::parse();
    cli::style::init(cli.color);
    match &cli.command {
        Command::Completions(args) => return cli::generate::completions(args.shell),
        Command::Man(args) => return cli::generate::man(Cli::command(), args.dir.as_deref()),
        _ => {}
    }
    let runtime = match runtime_for(&cli.command).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitCode::from(cli::exit::CONFIG);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => {
                let origins = cli::inputs::Origins::new(&matches, command, from_file);
                cli::commands::run(*args, origins).await
            }
            Command::List(args) => cli::commands::list(args),
            Command::Serve(args) => cli::commands::serve(*args).await,
            Command::Faults(args) => cli::commands::faults(args).await,
            Command::Compare(args) => cli::commands::compare(args),
            Command::Openapi(args) => cli::commands::openapi(args),
            Command::Completions(_) | Command::Man(_) => {
                unreachable!("handled before the runtime")
            }
        }
    });
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.code())
        }
    }
}
