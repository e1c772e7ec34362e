//! The integration tests, one binary: a change in `src/` relinks one test
//! executable instead of one per file.

// Tests print what helps when one fails (the binary's own prints go
// through `console::write`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod architecture;
mod browser;
mod cases;
mod cli;
mod compare;
mod compliance;
mod config_file;
mod console;
mod doc_samples;
mod docs;
mod expectation_names;
mod faults;
mod flow_control;
mod gateway;
mod hostile;
mod inputs;
mod keepalive;
mod large_run;
mod listing;
mod listing_large;
mod openapi;
mod render;
mod report_layout;
mod report_set;
mod robustness;
mod secrets;
mod secrets_structure;
mod session_gateway;
mod session_run;
mod streaming;
mod suite_data;
mod suite_errors;
mod suite_load;
mod suite_walk;
mod support;
mod tls_trust;
mod ux;
mod verdicts;
