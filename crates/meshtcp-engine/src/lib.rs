//! meshtcp's engine: the Kuma resource model (`model`) and how Kuma resolves routes for
//! each proxy (`resolve`), for a Kuma version passed in.
//!
//! Pure and synchronous: no IO, no async runtime, no UI. Loading lives in the `meshtcp`
//! crate's `source`, writing in its `report`, showing in its `tui`.

#![forbid(unsafe_code)]

pub mod model;
pub mod resolve;
