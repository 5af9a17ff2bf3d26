//! The terminal UI: proxies, their resolved TCP routes and weights, and why.
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
//!
//! Lazy mode: above [`LAZY_ABOVE`] outbounds the worker sends a skeleton
//! (every proxy without outbounds, every finding) and keeps the engine to resolve a
//! proxy when the app asks ([`Effect::ResolveProxy`] → [`Action::ProxyResolved`], both
//! tagged with the load's generation so a stale answer is dropped). On the first load
//! the skeleton goes without the engine's findings ([`Engine::proxies`]), and the
//! findings follow when the `check` pass beside the resolver is over
//! ([`Action::FindingsArrived`]).
//!
//! [`Engine::proxies`]: crate::resolve::Engine::proxies

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

use crate::resolve::{Engine, Filter, KumaVersion, Report, Skeleton};
use crate::source::input::Input;
use crate::source::{Loaded, Source};
use std::io::IsTerminal;

/// Above this many outbounds (counted before resolving) the TUI resolves proxy by
/// proxy, when each is opened or selected, instead of everything up front: 4 million
/// outbounds take seconds and gigabytes to resolve, one proxy's a few milliseconds.
pub const LAZY_ABOVE: usize = 100_000;

/// The engine's report for what was loaded, with the loader's findings merged in
/// (the same model `meshtcp report` prints).
pub fn resolve_loaded(loaded: &Loaded, version: KumaVersion) -> Report {
    crate::pipeline::resolve(loaded, version)
}

fn full_report(engine: &Engine, loaded: &Loaded) -> Report {
    crate::pipeline::report(engine, loaded.findings.clone(), &Filter::default())
}

/// What the TUI shows of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// Every proxy resolved (at most `lazy_above` outbounds).
    Full(Report),
    /// Every proxy and finding, no outbounds yet: the engine resolves a proxy when the
    /// UI asks ([`Engine::resolve_id`] with the skeleton's ids).
    Lazy(Skeleton),
}

/// Is the mesh large enough for lazy mode (over [`LAZY_ABOVE`] outbounds)?
pub fn is_large(engine: &Engine) -> bool {
    engine.estimate_outbounds(&Filter::default(), LAZY_ABOVE) > LAZY_ABOVE
}

/// Resolve `loaded` fully when its proxies have at most `lazy_above` outbounds in all
/// (the runtime passes [`LAZY_ABOVE`]), else only its skeleton. The loader's findings
/// are merged in either way.
pub fn prepare(engine: &Engine, loaded: &Loaded, lazy_above: usize) -> Prepared {
    if engine.estimate_outbounds(&Filter::default(), lazy_above) <= lazy_above {
        return Prepared::Full(full_report(engine, loaded));
    }
    Prepared::Lazy(crate::pipeline::skeleton(
        engine,
        loaded.findings.clone(),
        &Filter::default(),
    ))
}

/// Is colour allowed? `NO_COLOR` set and non-empty turns it off.
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// What the terminal UI reads and how: built by the command line, or by anything else
/// that opens it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Every input, in the order they are merged (see [`Input::list`]).
    pub inputs: Vec<Input>,
    /// `--kuma-version`: else a live input's version, else the default.
    pub kuma_version: Option<KumaVersion>,
    /// How the engine is built (`--zone`, threads).
    pub engine: crate::resolve::Options,
    /// Changes shown applied to the inputs (`--apply`), and resources shown removed
    /// (`--delete`).
    pub changes: Vec<Source>,
    pub deletes: Vec<Source>,
}

/// The terminal UI needs standard output to be a terminal.
pub fn require_terminal() -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal, and standard output is not one.\n\
             For a pipe or a file use `meshtcp report [SOURCE...]` (--format text|json|yaml), \
             or `meshtcp check` for findings only."
        );
    }
    Ok(())
}

/// Open the terminal UI on `opts` (see [`require_terminal`]). Returns the process's
/// exit code: 130 when quit by Ctrl-C (or a signal), else 0.
pub fn run(opts: Options) -> anyhow::Result<i32> {
    if opts.inputs.iter().filter(|i| i.is_live()).count() > 1 {
        anyhow::bail!("the terminal UI reads --kube or --cp, not both; use `report` for both");
    }
    let mut version = opts.kuma_version.unwrap_or(KumaVersion::DEFAULT);
    // An input without a watch of its own (a control plane) is read once before the UI
    // opens; its model then changes as it is polled.
    let mut first = None;
    for input in opts.inputs.iter().filter(|i| i.read_first()) {
        let part = input.load(opts.kuma_version, None)?;
        for note in &part.notes {
            eprintln!("meshtcp: {note}");
        }
        if let Some((v, _)) = part.version {
            version = v;
        }
        first = Some(part.loaded);
    }
    runtime::run(opts, version, first, color_allowed())
}
