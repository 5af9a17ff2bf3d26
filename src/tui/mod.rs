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
//! tagged with the load's generation so a stale answer is dropped).

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
use crate::source::Loaded;
use std::io::IsTerminal;

/// Above this many outbounds (counted before resolving) the TUI resolves proxy by
/// proxy, when each is opened or selected, instead of everything up front: 4 million
/// outbounds take seconds and gigabytes to resolve, one proxy's a few milliseconds.
pub const LAZY_ABOVE: usize = 100_000;

/// The engine's report for what was loaded, with the loader's findings merged in
/// (the same model `meshtcp report` prints).
pub fn resolve_loaded(loaded: &Loaded, version: KumaVersion) -> Report {
    full_report(&Engine::new(&loaded.snapshot, version), loaded)
}

fn full_report(engine: &Engine, loaded: &Loaded) -> Report {
    let mut r = engine.report(&Filter::default());
    merge_findings(loaded, &mut r);
    r
}

fn merge_findings(loaded: &Loaded, r: &mut Report) {
    let mut all = loaded.findings.clone();
    all.append(&mut r.findings);
    r.findings = crate::resolve::dedup(all);
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

/// Resolve `loaded` fully when its proxies have at most `lazy_above` outbounds in all
/// (the runtime passes [`LAZY_ABOVE`]), else only its skeleton. The loader's findings
/// are merged in either way.
pub fn prepare(engine: &Engine, loaded: &Loaded, lazy_above: usize) -> Prepared {
    if engine.estimate_outbounds(&Filter::default()) <= lazy_above {
        return Prepared::Full(full_report(engine, loaded));
    }
    let mut sk = engine.skeleton(&Filter::default());
    merge_findings(loaded, &mut sk.report);
    Prepared::Lazy(sk)
}

/// Is colour allowed? `NO_COLOR` set and non-empty turns it off.
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `meshtcp [SOURCE...]` and `meshtcp tui`.
/// Returns the process's exit code: 130 when quit by Ctrl-C (or a signal), else 0.
pub fn run(args: &crate::cli::TuiArgs) -> anyhow::Result<i32> {
    let c = &args.common;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal, and standard output is not one.\n\
             For a pipe or a file use `meshtcp report [SOURCE...]` (--format text|json|yaml), \
             or `meshtcp check` for findings only."
        );
    }
    let sources = c.sources()?;
    // `--cp`: read once before the UI opens (the API has no watch).
    let cp = if c.kube { None } else { c.load_cp()? };
    if c.kube && c.cp_options().is_some() {
        anyhow::bail!("the terminal UI reads --kube or --cp, not both; use `report` for both");
    }
    let version = cp.as_ref().map_or(c.version(), |(_, v)| *v);
    let cp = cp
        .zip(c.cp_options())
        .map(|((loaded, _), opts)| runtime::CpSpec {
            loaded,
            opts,
            poll: c.cp_poll,
        });
    let kube = c.kube_options().map(|opts| kube::KubeSpec {
        opts,
        given: c.kuma_version,
    });
    runtime::run(
        sources,
        version,
        kube,
        cp,
        color_allowed(),
        c.engine_options(),
        (
            args.changes
                .apply
                .iter()
                .map(|p| crate::source::Source::parse(p))
                .collect(),
            args.changes
                .delete
                .iter()
                .map(|p| crate::source::Source::parse(p))
                .collect(),
        ),
    )
}
