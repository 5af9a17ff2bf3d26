//! The runtime: a thin shell around [`App`]. It owns the terminal guard, the loaded
//! snapshot, the worker threads (load, re-resolve, source reading) and the watcher;
//! everything reaches the loop through one channel and becomes an [`Action`].

use super::action::{self, Action, Effect, Progress};
use super::app::App;
use super::keymap::map_key;
use super::kube::ClusterView;
use super::render::render;
use super::terminal::TerminalGuard;
use crate::model::Location;
use crate::resolve::{Engine, KumaVersion, ProxyCache};
use crate::source::input::{self, Input, Watch};
use crate::source::kube::watch::WatchEvent;
use crate::source::{self, Loaded, Source, demo};
use anyhow::Result;
use ratatui::crossterm::event::{self, Event, MouseButton, MouseEventKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

/// Fault injection for the terminal-safety tests (tests/tui/terminal_signals.rs):
/// `MESHTCP_FAULT=main-panic` panics on the UI thread once the tree is drawn,
/// `MESHTCP_FAULT=worker-panic` panics in every worker thread. Only in builds with the
/// `testing` feature (`cargo test` turns it on), never in a release.
#[cfg(feature = "testing")]
fn fault(which: &str) -> bool {
    std::env::var("MESHTCP_FAULT").is_ok_and(|v| v == which)
}

#[cfg(not(feature = "testing"))]
fn fault(_: &str) -> bool {
    false
}

/// The name of worker threads: their panics become an error message in the UI.
pub const WORKER: &str = "meshtcp-worker";

/// Run `f` on a worker thread; a panic there is reported as [`Action::Failed`]
/// instead of tearing down the terminal.
fn guarded(tx: Sender<Msg>, what: &'static str, f: impl FnOnce(&Sender<Msg>) + Send + 'static) {
    let spawned = thread::Builder::new().name(WORKER.into()).spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if fault("worker-panic") {
                panic!("injected fault (MESHTCP_FAULT=worker-panic)");
            }
            f(&tx)
        }));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| e.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let _ = tx.send(Msg::Act(Action::Failed(format!(
                "internal error while {what}: {msg} (please report it)"
            ))));
        }
    });
    if spawned.is_err() {
        // Out of threads: nothing sensible to do but say so.
        eprintln!("meshtcp: cannot start a worker thread");
    }
}

/// Two clicks on the same row within this time are a double click.
const DOUBLE_CLICK: Duration = Duration::from_millis(400);
/// Shown documents are cut after this many lines.
const MAX_DOC_LINES: usize = 5000;

enum Msg {
    Input(Event),
    Act(Action),
    Loaded {
        generation: u64,
        loaded: Arc<Loaded>,
        /// The model, indexed on the worker thread.
        shown: Box<action::Loaded>,
    },
    /// What the watch of the `n`th input said.
    Watched(usize, input::Event),
}

/// A lazy model's request for one proxy (see [`Effect::ResolveProxy`]).
struct Request {
    proxy: u32,
    opened: bool,
}

struct Runtime {
    inputs: Vec<Input>,
    /// `--kuma-version`.
    given: Option<KumaVersion>,
    version: KumaVersion,
    /// How the engine is built (`--zone`).
    engine: crate::resolve::Options,
    /// `--apply` / `:apply` (and `--delete`): shown applied to the sources.
    changes: Vec<Source>,
    deletes: Vec<Source>,
    /// The snapshot stays here, never in the app: re-resolving reuses it.
    loaded: Option<Arc<Loaded>>,
    generation: u64,
    /// The generation shown or being prepared, for the resolver threads: one whose
    /// generation is gone stops.
    current: Arc<AtomicU64>,
    /// The thread that prepares the current generation and, for a lazy model, then
    /// resolves the proxies the app asks for.
    resolver: Option<Sender<Request>>,
    tx: Sender<Msg>,
    /// Each input's running watch (`None`: not started, or ended).
    watches: Vec<Option<Watch>>,
    /// The live input's latest model (a cluster's, a control plane's).
    cluster: Option<Arc<Loaded>>,
    cluster_view: ClusterView,
}

/// Run the UI on `opts` until it quits; `version` to resolve under at first, `first`
/// the model of an input read before the UI opened (see [`Input::read_first`]).
pub fn run(
    opts: super::Options,
    version: KumaVersion,
    first: Option<Loaded>,
    color: bool,
) -> Result<i32> {
    let super::Options {
        inputs,
        kuma_version: given,
        engine,
        changes,
        deletes,
    } = opts;
    let label = inputs
        .iter()
        .map(Input::label)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let mut guard = TerminalGuard::enter()?;
    let (tx, rx) = channel();
    let input_tx = tx.clone();
    thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if input_tx.send(Msg::Input(ev)).is_err() {
                break;
            }
        }
    });
    let mut app = App::new(label, version, color);
    let size = guard.terminal.size()?;
    app.update(Action::Tick(Instant::now()));
    app.update(Action::Resize(size.width, size.height));
    let mut rt = Runtime {
        watches: inputs.iter().map(|_| None).collect(),
        inputs,
        given,
        version,
        engine,
        changes,
        deletes,
        loaded: None,
        generation: 0,
        current: Arc::new(AtomicU64::new(0)),
        resolver: None,
        tx: tx.clone(),
        // Merged into every load like a watched cluster's.
        cluster: first.map(Arc::new),
        cluster_view: ClusterView::default(),
    };
    for i in 0..rt.inputs.len() {
        if !rt.inputs[i].streams() {
            for failed in rt.start_watch(i) {
                app.update(Action::Failed(failed));
            }
        }
    }
    if let Some(i) = rt.inputs.iter().position(Input::streams) {
        // The first model comes with the cluster's (files are read then too).
        rt.start_watch(i);
    } else {
        rt.start_load(false);
    }
    let mut last_click: Option<(Instant, u16, u16)> = None;
    let main_panic = fault("main-panic");
    loop {
        guard.terminal.draw(|f| render(&app, f))?;
        if main_panic && app.model.is_some() {
            panic!("injected fault (MESHTCP_FAULT=main-panic)");
        }
        let timeout = if app.animating() {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(1000)
        };
        let mut batch = Vec::new();
        match rx.recv_timeout(timeout) {
            Ok(m) => batch.push(m),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        for m in batch {
            let actions = rt.translate(&app, m, &mut last_click);
            for a in actions {
                for fx in app.update(a) {
                    rt.perform(fx);
                }
            }
        }
        app.update(Action::Tick(Instant::now()));
        if app.quit || guard.signalled() {
            break;
        }
    }
    drop(guard);
    // Ctrl-C (a key in raw mode): "interrupted", as a shell reports it.
    Ok(if app.interrupted { 130 } else { 0 })
}

impl Runtime {
    fn translate(
        &mut self,
        app: &App,
        m: Msg,
        last_click: &mut Option<(Instant, u16, u16)>,
    ) -> Vec<Action> {
        match m {
            Msg::Act(a) => vec![a],
            Msg::Input(Event::Key(k)) => map_key(app, k).into_iter().collect(),
            Msg::Input(Event::Resize(w, h)) => vec![Action::Resize(w, h)],
            Msg::Input(Event::Mouse(me)) => {
                let (col, row) = (me.column, me.row);
                match me.kind {
                    MouseEventKind::Down(MouseButton::Left) => {
                        let now = Instant::now();
                        let double = last_click.is_some_and(|(t, c, r)| {
                            r == row && c.abs_diff(col) < 40 && now.duration_since(t) < DOUBLE_CLICK
                        });
                        *last_click = if double { None } else { Some((now, col, row)) };
                        vec![if double {
                            Action::DoubleClick { col, row }
                        } else {
                            Action::Click { col, row }
                        }]
                    }
                    MouseEventKind::ScrollDown => vec![Action::ScrollDown { col, row }],
                    MouseEventKind::ScrollUp => vec![Action::ScrollUp { col, row }],
                    _ => vec![],
                }
            }
            Msg::Input(_) => vec![],
            Msg::Loaded {
                generation,
                loaded,
                mut shown,
            } => {
                if generation != self.generation {
                    return vec![]; // overtaken by a newer load or resolve
                }
                self.loaded = Some(loaded);
                shown.now = Instant::now();
                vec![Action::Loaded(shown)]
            }
            Msg::Watched(_, input::Event::Changed(what)) => {
                self.start_load(true);
                vec![Action::Watching(what)]
            }
            Msg::Watched(_, input::Event::Polled(Ok(l))) => {
                if self
                    .cluster
                    .as_ref()
                    .is_some_and(|c| c.snapshot.resources == l.snapshot.resources)
                {
                    return vec![];
                }
                self.cluster = Some(Arc::new(*l));
                self.start_load(true);
                vec![Action::ClusterChanged(
                    "the control plane changed; reloading".into(),
                )]
            }
            Msg::Watched(_, input::Event::Polled(Err(e))) => vec![Action::ClusterChanged(e)],
            Msg::Watched(i, input::Event::Cluster(ev)) => {
                let acts = self.cluster_view.on_event(&ev);
                match ev {
                    WatchEvent::Version(v, _) => self.version = v,
                    WatchEvent::Model { loaded, .. } => {
                        let replace = self.loaded.is_some();
                        self.cluster = Some(Arc::new(*loaded));
                        self.start_load(replace);
                    }
                    WatchEvent::Failed(_) => {
                        // The watch thread is ending; join it off the UI thread.
                        if let Some(h) = self.watches[i].take() {
                            thread::spawn(move || drop(h));
                        }
                    }
                    _ => {}
                }
                acts
            }
        }
    }

    /// The file SOURCEs among the inputs.
    fn sources(&self) -> Vec<Source> {
        self.inputs
            .iter()
            .flat_map(|i| i.sources().iter().cloned())
            .collect()
    }

    /// Start (or restart) watching the `i`th input; what could not be watched.
    fn start_watch(&mut self, i: usize) -> Vec<String> {
        if let Some(h) = self.watches[i].take() {
            thread::spawn(move || drop(h));
        }
        if self.inputs[i].streams() {
            self.cluster_view = ClusterView::connecting();
            let _ = self
                .tx
                .send(Msg::Act(Action::ClusterStatus(self.cluster_view.status())));
        }
        let tx = self.tx.clone();
        let (watch, failed) = self.inputs[i].watch(self.given, move |ev| {
            let _ = tx.send(Msg::Watched(i, ev));
        });
        self.watches[i] = Some(watch);
        failed
    }

    fn perform(&mut self, fx: Effect) {
        match fx {
            Effect::Quit => {}
            Effect::Reload => {
                for w in self.watches.iter().flatten() {
                    w.wake();
                }
                let failed = (0..self.inputs.len())
                    .find(|&i| self.inputs[i].streams() && self.watches[i].is_none());
                if let Some(i) = failed {
                    // The cluster watch failed (401, unreachable): retry it.
                    self.start_watch(i);
                } else if self.sources().contains(&Source::Stdin) {
                    // Standard input cannot be read twice: re-resolve what was read.
                    let _ = self.tx.send(Msg::Act(Action::Watching(
                        "standard input is read once; re-resolving".into(),
                    )));
                    self.start_resolve(self.version);
                } else {
                    self.start_load(true);
                }
            }
            Effect::Apply(paths) => {
                self.changes = paths.iter().map(|p| Source::parse(p)).collect();
                self.deletes.clear();
                self.start_load(true);
            }
            Effect::Resolve(v) => {
                self.version = v;
                self.start_resolve(v);
            }
            Effect::ResolveProxy {
                generation,
                proxy,
                opened,
            } => {
                if generation == self.generation
                    && let Some(r) = &self.resolver
                {
                    let _ = r.send(Request { proxy, opened });
                }
            }
            Effect::ReadSource(loc) => {
                let sources = self.sources();
                guarded(self.tx.clone(), "reading a source", move |tx| {
                    let text = read_document(&sources, &loc);
                    let _ = tx.send(Msg::Act(Action::SourceText {
                        location: loc,
                        text,
                    }));
                });
            }
        }
    }

    /// Load every source on a worker thread. While a source is read, a ticker sends
    /// the files and resources read so far (counted by the loader threads) every
    /// 100 ms, so a large directory shows progress file by file.
    fn start_load(&mut self, replace: bool) {
        let (generation, requests) = self.next_generation();
        let current = self.current.clone();
        let (inputs, version, given) = (self.inputs.clone(), self.version, self.given);
        let total = self.sources().len();
        let engine = self.engine.clone();
        let cluster = self.cluster.clone();
        let (changes, deletes) = (self.changes.clone(), self.deletes.clone());
        guarded(self.tx.clone(), "loading", move |tx| {
            let mut all = Loaded::default();
            let progress = |p: input::Progress| {
                let _ = tx.send(Msg::Act(Action::Progress(Progress {
                    current: p.current,
                    sources_done: p.done,
                    sources_total: p.total,
                    files: p.files,
                    resources: p.resources,
                })));
            };
            // The inputs read here (files, which never fail: what cannot be read is a
            // finding); a live input's latest model comes from its watch.
            for input in inputs.iter().filter(|i| !i.is_live()) {
                if let Ok(part) = input.load(given, Some(&progress)) {
                    input.merge_into(&mut all, part.loaded);
                }
            }
            if let (Some(c), Some(live)) = (cluster, inputs.iter().find(|i| i.is_live())) {
                live.merge_into(&mut all, (*c).clone());
            }
            // Once every source is in (see `Loaded::derive`).
            all.derive();
            let applied = !changes.is_empty() || !deletes.is_empty();
            if applied {
                let c = source::load(&changes);
                let d = if deletes.is_empty() {
                    Loaded::default()
                } else {
                    source::load(&deletes)
                };
                let after = source::apply_changes(&all, c, &d);
                // The model without the changes first, so that the one with them is
                // compared with it (a mesh too large to resolve up front shows the
                // changes unmarked).
                let before = Engine::with_options(&all.snapshot, version, &engine);
                if before.estimate_outbounds(&crate::resolve::Filter::default(), super::LAZY_ABOVE)
                    <= super::LAZY_ABOVE
                {
                    let report = super::full_report(&before, &all);
                    let mut shown =
                        action::Loaded::new(report, all.stats.clone(), replace, Instant::now())
                            .with_sources(&all.snapshot.resources);
                    shown.generation = generation;
                    let _ = tx.send(Msg::Act(Action::Loaded(Box::new(shown))));
                }
                drop(before);
                all = after;
            }
            let _ = tx.send(Msg::Act(Action::Progress(Progress {
                current: "resolving".into(),
                sources_done: total,
                sources_total: total,
                files: all.stats.files,
                resources: all.stats.resources,
            })));
            let job = Job {
                generation,
                current: &current,
                version,
                engine,
                replace: replace || applied,
                applied,
            };
            present(tx, job, Arc::new(all), requests);
        });
    }

    /// A new generation: older resolver threads stop, and requests go to the new one.
    fn next_generation(&mut self) -> (u64, Receiver<Request>) {
        self.generation += 1;
        self.current.store(self.generation, Ordering::SeqCst);
        let (req_tx, req_rx) = channel();
        self.resolver = Some(req_tx);
        (self.generation, req_rx)
    }

    /// Re-run the engine on the loaded snapshot under another version.
    fn start_resolve(&mut self, v: KumaVersion) {
        let Some(loaded) = self.loaded.clone() else {
            let _ = self.tx.send(Msg::Act(Action::Failed(
                "still loading; try again in a moment".into(),
            )));
            return;
        };
        let (generation, requests) = self.next_generation();
        let current = self.current.clone();
        let engine = self.engine.clone();
        guarded(self.tx.clone(), "resolving", move |tx| {
            let job = Job {
                generation,
                current: &current,
                version: v,
                engine,
                replace: true,
                applied: false,
            };
            present(tx, job, loaded, requests);
        });
    }
}

/// What [`present`] prepares.
struct Job<'a> {
    generation: u64,
    current: &'a AtomicU64,
    version: KumaVersion,
    engine: crate::resolve::Options,
    replace: bool,
    /// The model has changes applied (see [`action::Loaded::applied`]).
    applied: bool,
}

/// On a worker thread: build the engine for `loaded`, send the model (the full report,
/// or for a large mesh the skeleton), and for a skeleton stay to resolve the proxies
/// the app asks for with the same engine and cache (see [`serve`]).
///
/// A large mesh's first load shows its proxies before the findings pass (what `check`
/// costs, most of the time to the tree): the skeleton without the engine's findings
/// goes first, and the pass runs beside the resolver; its model follows as
/// [`Action::FindingsArrived`].
fn present(tx: &Sender<Msg>, job: Job, loaded: Arc<Loaded>, requests: Receiver<Request>) {
    let mut engine = Engine::with_options(&loaded.snapshot, job.version, &job.engine);
    let stats = loaded.stats.clone();
    let now = Instant::now();
    let filter = crate::resolve::Filter::default();
    let findings_later = !job.replace && super::is_large(&engine);
    let prepared = if findings_later {
        super::Prepared::Lazy(crate::pipeline::proxies(
            &engine,
            loaded.findings.clone(),
            &filter,
        ))
    } else {
        super::prepare(&engine, &loaded, super::LAZY_ABOVE)
    };
    let (shown, ids) = match prepared {
        super::Prepared::Full(report) => {
            let mut shown = action::Loaded::new(report, stats, job.replace, now)
                .with_sources(&loaded.snapshot.resources);
            shown.generation = job.generation;
            shown.applied = job.applied;
            (shown, None)
        }
        super::Prepared::Lazy(sk) => {
            let ids = sk.ids;
            let mut shown = action::Loaded::lazy(
                sk.report,
                sk.outbounds,
                stats,
                job.replace,
                now,
                job.generation,
            )
            .with_sources(&loaded.snapshot.resources);
            if findings_later {
                shown = shown.findings_pending();
            }
            (shown, Some(ids))
        }
    };
    let sent = tx.send(Msg::Loaded {
        generation: job.generation,
        loaded: loaded.clone(),
        shown: Box::new(shown),
    });
    let Some(ids) = ids.filter(|_| sent.is_ok()) else {
        return;
    };
    if !findings_later {
        serve(tx, &job, &engine, &ids, requests);
        return;
    }
    // The tree is shown: the pass runs on one thread beside the resolver, which keeps
    // the other core for the proxies the user opens. One thread also holds one set of
    // per-thread caches and grouped findings, not one per core.
    engine.set_threads(1);
    let engine = &engine;
    thread::scope(|scope| {
        scope.spawn(|| {
            let found = crate::pipeline::check(engine, loaded.findings.clone(), &filter);
            if job.current.load(Ordering::SeqCst) != job.generation {
                return;
            }
            let _ = tx.send(Msg::Act(Action::FindingsArrived {
                generation: job.generation,
                findings: found.findings,
            }));
        });
        serve(tx, &job, engine, &ids, requests);
    });
}

/// Resolve the proxies a lazy model asks for, most recent request first, until a
/// newer generation starts. A request made only because a proxy was selected is
/// dropped (and the app told) when another proxy was selected after it.
fn serve(
    tx: &Sender<Msg>,
    job: &Job,
    engine: &Engine,
    ids: &[crate::resolve::ProxyId],
    requests: Receiver<Request>,
) {
    let generation = job.generation;
    let mut cache = ProxyCache::default();
    let mut queue: Vec<Request> = Vec::new();
    let mut selected: Option<u32> = None;
    loop {
        let mut fresh = Vec::new();
        if queue.is_empty() {
            match requests.recv() {
                Ok(r) => fresh.push(r),
                Err(_) => return,
            }
        }
        fresh.extend(requests.try_iter());
        if let Some(r) = fresh.iter().rev().find(|r| !r.opened) {
            selected = Some(r.proxy);
        }
        queue.extend(fresh);
        if job.current.load(Ordering::SeqCst) != generation {
            return;
        }
        let r = queue.pop().expect("not empty");
        let act = match ids.get(r.proxy as usize) {
            Some(&id) if r.opened || selected == Some(r.proxy) => {
                match engine.resolve_id(id, &mut cache) {
                    Some(report) => Action::ProxyResolved {
                        generation,
                        proxy: r.proxy,
                        report: Box::new(report),
                    },
                    None => Action::ProxySkipped {
                        generation,
                        proxy: r.proxy,
                    },
                }
            }
            _ => Action::ProxySkipped {
                generation,
                proxy: r.proxy,
            },
        };
        if tx.send(Msg::Act(act)).is_err() {
            return;
        }
    }
}

/// The text of the document at `loc`: from its line to the next `---`.
pub fn read_document(sources: &[Source], loc: &Location) -> Result<String, String> {
    if sources.contains(&Source::Demo)
        && let Some((_, text)) = demo::FILES.iter().find(|(p, _)| *p == &*loc.file)
    {
        return Ok(extract_document(text, loc.line));
    }
    if &*loc.file == "-" {
        return Err("standard input is read once and not kept".into());
    }
    let meta = std::fs::metadata(&*loc.file).map_err(|e| format!("{}: {e}", loc.file))?;
    if meta.len() > source::MAX_FILE_BYTES {
        return Err(format!(
            "{} is over the {} MiB limit",
            loc.file,
            source::MAX_FILE_BYTES >> 20
        ));
    }
    let text = std::fs::read_to_string(&*loc.file).map_err(|e| format!("{}: {e}", loc.file))?;
    Ok(extract_document(&text, loc.line))
}

/// Lines from `line` (1-based) up to the next document separator, split as the loader
/// splits documents ([`source::yaml::line_kind`]): a document that starts on its
/// `---` line (`--- kind: Mesh`) starts with the content after the marker.
pub fn extract_document(text: &str, line: u32) -> String {
    use source::yaml::LineKind;
    let start = (line.max(1) - 1) as usize;
    let mut out: Vec<&str> = Vec::new();
    for (i, l) in text.lines().enumerate().skip(start) {
        match source::yaml::line_kind(l) {
            LineKind::Content => out.push(l),
            LineKind::StartWith(rest) if i == start => out.push(rest.trim_start()),
            LineKind::Separator if i == start => continue,
            LineKind::Separator | LineKind::StartWith(_) => break,
        }
        if out.len() >= MAX_DOC_LINES {
            out.push("… (cut)");
            break;
        }
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.join("\n")
}
