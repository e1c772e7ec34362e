//! Placeholder: filled in by its own branch.
