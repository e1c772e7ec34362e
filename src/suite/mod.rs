//! Suites: case files and requirements, loaded and checked before any request.

pub mod model;
