//! Shared by the test binaries: loopback fakes of the Kubernetes API server and the
//! Kuma control plane, and the tmux driver of the end-to-end TUI tests.

#![allow(dead_code)] // each test binary uses a different part

pub mod fake_apiserver;
pub mod fake_cp;
pub mod tmux;
