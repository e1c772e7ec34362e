//! The command line: arguments, the commands, progress display and exit codes.

pub mod args;
pub mod commands;
pub mod config;
pub mod embedded;
pub mod exit;
pub mod generate;
pub mod inputs;
pub mod listing;
pub mod progress;
pub mod session;
pub mod session_args;
pub mod style;
pub mod units;
