//! meshtcp: what Kuma MeshTCPRoute policies really do, per proxy and per Kuma version.
//!
//! `model` and `resolve` are pure (no IO); `source` loads; `report` writes; `tui` shows.

#![forbid(unsafe_code)]

pub mod cli;
pub mod model;
pub mod report;
pub mod resolve;
pub mod source;
pub mod synth;
pub mod tui;
pub mod verify;
