//! The demo mesh, embedded so that `meshtcp` with no SOURCE shows something real.

/// (path shown in locations, contents)
pub const FILES: &[(&str, &str)] = &[];
