//! The library in-process: the engine's rules, the loader, the writers, the diff.
//!
//! One test binary per group: each links the whole crate (kube, tokio, ratatui), so
//! a few binaries build much faster than one per file.

#[path = "../../fuzz/src/lib.rs"]
mod harness;

mod architecture;
mod bad_input;
mod diff;
mod examples;
mod fastyaml_diff;
mod fuzz_regressions;
mod generator;
mod gitops;
mod hostile_input;
mod json_writer;
mod report_snapshots;
mod rules;
mod threads;
