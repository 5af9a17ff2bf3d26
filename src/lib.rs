//! meshtcp: what Kuma MeshTCPRoute policies really do, per proxy and per Kuma version.
//!
//! `model` and `resolve` are the pure engine crate (`meshtcp-engine`, re-exported here);
//! `source` loads; `report` writes; `tui` shows.

#![forbid(unsafe_code)]

pub mod cli;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod synth;
pub mod tui;
pub mod verify;

/// The engine crate's modules, at the paths the rest of the crate always used.
pub use meshtcp_engine::{model, resolve};
