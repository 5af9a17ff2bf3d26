//! The `meshtcp` binary as a user runs it: commands, exit codes, and the Kubernetes
//! and control-plane sources against loopback fakes.
//!
//! One test binary per group: each links the whole crate (kube, tokio, ratatui), so
//! a few binaries build much faster than one per file.

#[path = "../support/mod.rs"]
mod support;

mod commands;
mod cp;
mod cp_verify;
mod credentials;
mod diff_cli;
mod kube_cli;
mod kube_list;
mod kube_rbac;
mod kube_watch;
