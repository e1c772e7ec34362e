//! The command line: arguments, the commands, progress display and exit codes.

pub mod args;
pub mod commands;
pub mod exit;
pub mod inputs;
pub mod progress;
pub mod session;
