//! The terminal UI (issue 3): proxies, their resolved TCP routes and weights, and why.
//!
//! - [`app`]: the state; `App::update(Action) -> Vec<Effect>` is the only place it
//!   changes, and it does no IO.
//! - [`render`]: `render(&App, &mut Frame)`, a pure function.
//! - [`keymap`]: keys as data, per view; the help overlay is written from it.
//! - [`runtime`]: the event loop, the loader and resolver threads, the file watcher and
//!   source reading; it performs the app's [`Effect`]s.
//! - [`terminal`]: the only module that touches the terminal's modes.
//!
//! The TUI shows the engine's report; it never computes routes itself.

pub mod action;
pub mod app;
pub mod keymap;
pub mod kube;
pub mod model;
pub mod render;
pub mod runtime;
pub mod terminal;

#[cfg(test)]
mod tests;

pub use action::{Action, Effect, View};
pub use app::App;
pub use render::render;

use crate::cli::Common;
use crate::resolve::{Engine, Filter, KumaVersion, Report};
use crate::source::Loaded;
use std::io::IsTerminal;

/// The engine's report for what was loaded, with the loader's findings merged in
/// (the same model `meshtcp report` prints).
pub fn resolve_loaded(loaded: &Loaded, version: KumaVersion) -> Report {
    let mut r = Engine::new(&loaded.snapshot, version).report(&Filter::default());
    let mut all = loaded.findings.clone();
    all.append(&mut r.findings);
    r.findings = crate::resolve::dedup(all);
    r
}

/// Is colour allowed? `NO_COLOR` set and non-empty turns it off.
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `meshtcp [SOURCE...]` and `meshtcp tui`.
pub fn run(c: &Common) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal, and standard output is not one.\n\
             For a pipe or a file use `meshtcp report [SOURCE...]` (--format text|json|yaml), \
             or `meshtcp check` for findings only."
        );
    }
    let sources = c.sources()?;
    let kube = c.kube_options().map(|opts| kube::KubeSpec {
        opts,
        given: c.kuma_version,
    });
    runtime::run(sources, c.version(), kube, color_allowed())
}
