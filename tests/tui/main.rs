//! The terminal UI: rendered snapshots, and the real binary driven in tmux.
//!
//! One test binary per group: each links the whole crate (kube, tokio, ratatui), so
//! a few binaries build much faster than one per file.

#[path = "../support/mod.rs"]
mod support;

mod cp_tui_tmux;
mod document_split;
mod e2e_tmux;
mod kube_e2e_tmux;
mod kube_tui;
mod terminal_signals;
mod tui_diff_marks;
mod tui_hostile_text;
mod tui_perf;
mod tui_snapshots;
