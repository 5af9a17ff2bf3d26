//! Watching the clusters (the TUI's `--kube`): one kube-runtime watcher per context and
//! kind, on a thread of its own with its own async runtime, feeding a [`Store`]. The
//! consumer gets [`WatchEvent`]s through a callback (for the TUI: its event channel), so
//! a slow API never blocks the UI.
//!
//! - A watcher lists (with pages), then watches from the list's resourceVersion;
//!   `ADDED`/`MODIFIED`/`DELETED` update the store, `BOOKMARK`s move the position, and
//!   `410 Gone` makes it list again (kube-runtime's protocol).
//! - A dropped watch reconnects with kube-runtime's default backoff (0.8 s doubling to
//!   30 s); [`WatchEvent::Status`] says so while it lasts, and the kind carries a
//!   `source-unreadable` finding until it has listed again.
//! - 403 and 404 on one kind end that kind's watcher with a finding; 401 ends the watch
//!   with [`WatchEvent::Failed`] (the TUI shows a banner and retries on `r`).
//! - Changes are batched: a model is sent once a batch has been quiet for
//!   [`DEBOUNCE`] (at most [`MAX_BATCH`] after its first change).

use super::{
    Cluster, Failure, KindProgress, KubeError, KubeOptions, Served, Store, classify, connect,
    kind_failure, object_json, served_kinds, version,
};
use crate::resolve::KumaVersion;
use crate::source::Loaded;
use ::kube::api::DynamicObject;
use ::kube::runtime::WatchStreamExt;
use ::kube::runtime::watcher::{self, Event};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

pub const DEBOUNCE: Duration = Duration::from_millis(150);
pub const MAX_BATCH: Duration = Duration::from_secs(1);

/// What the watch tells its consumer.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// The version to resolve under and how it was known (sent once, before any model).
    Version(KumaVersion, String),
    /// One kind's first list is done.
    Progress(KindProgress),
    /// The model after a batch of changes. `initial` for the first one; `changes`
    /// names what changed (`MeshTCPRoute kuma-demo/split modified`).
    Model {
        loaded: Box<Loaded>,
        changes: Vec<String>,
        initial: bool,
    },
    /// Connection state for the status line (`reconnecting …`, `watching …`).
    Status(String),
    /// The clusters cannot be used (401, unreachable, bad kubeconfig): the watch ended.
    Failed(KubeError),
}

/// The running watch; dropping it stops every watcher.
pub struct WatchHandle {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl WatchHandle {
    /// Stop and wait for the thread to end.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.halt();
    }
}

type Emit = Arc<dyn Fn(WatchEvent) + Send + Sync>;

/// Start watching. `version`: the `--kuma-version` given, if any (else detected).
pub fn spawn(
    opts: KubeOptions,
    version: Option<KumaVersion>,
    emit: impl Fn(WatchEvent) + Send + Sync + 'static,
) -> WatchHandle {
    let (stop_tx, stop_rx) = oneshot::channel();
    let emit: Emit = Arc::new(emit);
    let thread = std::thread::Builder::new()
        .name("meshtcp-kube-watch".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    emit(WatchEvent::Failed(KubeError::Config(format!(
                        "cannot start the async runtime: {e}"
                    ))));
                    return;
                }
            };
            rt.block_on(async move {
                tokio::select! {
                    _ = stop_rx => {}
                    _ = run(opts, version, emit.clone()) => {}
                }
            });
            rt.shutdown_timeout(Duration::from_millis(200));
        })
        .expect("spawn the watch thread");
    WatchHandle {
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// One watcher's item, tagged with where it comes from.
struct Item {
    ctx: usize,
    kind: usize,
    ev: Result<Event<DynamicObject>, Failure>,
}

#[derive(Default)]
struct KindState {
    /// The first list is done (or failed for good).
    settled: bool,
    /// When the last error came, while no event or quiet period has shown recovery.
    failing: Option<std::time::Instant>,
    /// Objects of a (re)list in progress.
    pending: Option<Vec<serde_json::Value>>,
    stopped: bool,
}

async fn run(opts: KubeOptions, given: Option<KumaVersion>, emit: Emit) {
    let clusters = match connect(&opts).await {
        Ok(c) => c,
        Err(e) => return emit(WatchEvent::Failed(e)),
    };
    let mut store = Store::new(clusters.iter().map(|c| c.context.clone()).collect());
    let mut kinds: Vec<Vec<Served>> = Vec::new();
    let mut detected = Vec::new();
    for (ci, c) in clusters.iter().enumerate() {
        let group = match c.discover().await {
            Ok(g) => g,
            Err(e) => return emit(WatchEvent::Failed(e)),
        };
        let (served, findings) = served_kinds(&c.context, group.as_ref());
        for f in findings {
            store.note(ci, f);
        }
        kinds.push(served);
        if given.is_none() {
            match version::detect(c, group.as_ref()).await {
                Ok(d) => detected.push(d),
                Err(e) => return emit(WatchEvent::Failed(e)),
            }
        }
    }
    let (v, how) = version::choose(given, &detected);
    emit(WatchEvent::Version(v, how));

    let (tx, mut rx) = mpsc::channel::<Item>(1024);
    let mut tasks = tokio::task::JoinSet::new();
    let mut state: BTreeMap<(usize, usize), KindState> = BTreeMap::new();
    for (ci, served) in kinds.iter().enumerate() {
        for (ki, s) in served.iter().enumerate() {
            state.insert((ci, ki), KindState::default());
            tasks.spawn(watch_kind(
                clusters[ci].clone(),
                s.clone(),
                opts.namespace.clone(),
                opts.page_size,
                ci,
                ki,
                tx.clone(),
            ));
        }
    }
    drop(tx);
    let total = state.len();
    let mut initial_sent = false;
    let mut changes: Vec<String> = Vec::new();
    let mut dirty = false;
    let mut first_change: Option<Instant> = None;
    let mut deadline: Option<Instant> = None;
    if total == 0 {
        dirty = true;
        deadline = Some(Instant::now());
    }
    // A watch that reconnects without news shows no event: it counts as recovered once
    // no error came for longer than a connection attempt can take.
    let quiet = opts.timeout + Duration::from_secs(2);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let summary = |state: &BTreeMap<(usize, usize), KindState>| {
        let still = state.values().filter(|k| k.failing.is_some()).count();
        if still == 0 {
            format!("watching {total} kinds in {} context(s)", clusters.len())
        } else {
            format!("{still} watch(es) still reconnecting")
        }
    };
    loop {
        let item = tokio::select! {
            it = rx.recv() => match it {
                Some(it) => Some(it),
                None if dirty => None,
                None => {
                    // Every watcher ended (403/404 everywhere): send what there is.
                    if !initial_sent {
                        emit(model(&store, Vec::new(), true));
                    }
                    return;
                }
            },
            _ = sleep_until(deadline.unwrap_or_else(far)), if deadline.is_some() => None,
            _ = tick.tick() => {
                let now = std::time::Instant::now();
                let mut recovered = false;
                for k in state.values_mut() {
                    if k.failing.is_some_and(|t| now.duration_since(t) > quiet) {
                        k.failing = None;
                        recovered = true;
                    }
                }
                if recovered {
                    emit(WatchEvent::Status(summary(&state)));
                }
                continue;
            }
        };
        if let Some(Item { ctx, kind, ev }) = item {
            let c = &clusters[ctx];
            let s = &kinds[ctx][kind];
            let st = state
                .get_mut(&(ctx, kind))
                .expect("every watcher has a state");
            if st.stopped {
                continue;
            }
            match ev {
                Ok(ev) => {
                    if st.failing.take().is_some() {
                        emit(WatchEvent::Status(summary(&state)));
                    }
                    let st = state.get_mut(&(ctx, kind)).expect("state");
                    match ev {
                        Event::Init => st.pending = Some(Vec::new()),
                        Event::InitApply(o) => st
                            .pending
                            .get_or_insert_with(Vec::new)
                            .push(object_json(s, &o)),
                        Event::InitDone => {
                            let objs = st.pending.take().unwrap_or_default();
                            let n = objs.len();
                            let noted = store.has_note(ctx, s.kind);
                            let changed = store.replace_kind(ctx, s.kind, objs);
                            if !st.settled {
                                st.settled = true;
                                let done = state.values().filter(|k| k.settled).count();
                                emit(WatchEvent::Progress(KindProgress {
                                    context: c.context.clone(),
                                    kind: s.kind,
                                    items: n,
                                    kinds_done: done,
                                    kinds_total: total,
                                }));
                                dirty = true;
                            } else if !changed.is_empty() || noted {
                                changes.extend(
                                    changed.iter().map(|k| format!("{} (re-listed)", k.label())),
                                );
                                dirty = true;
                            }
                        }
                        Event::Apply(o) => {
                            let v = object_json(s, &o);
                            let label = super::ObjKey::of(ctx, s.kind, &v).map(|k| k.label());
                            match store.upsert(ctx, s.kind, v) {
                                super::store::Change::Added => {
                                    changes.push(format!("{} added", label.unwrap_or_default()));
                                    dirty = true;
                                }
                                super::store::Change::Modified => {
                                    changes.push(format!("{} modified", label.unwrap_or_default()));
                                    dirty = true;
                                }
                                super::store::Change::Unchanged => {}
                            }
                        }
                        Event::Delete(o) => {
                            let v = object_json(s, &o);
                            if store.delete(ctx, s.kind, &v) {
                                let label = super::ObjKey::of(ctx, s.kind, &v).map(|k| k.label());
                                changes.push(format!("{} deleted", label.unwrap_or_default()));
                                dirty = true;
                            }
                        }
                    }
                }
                Err(f) => {
                    if let Some(e @ KubeError::Unauthorized { .. }) =
                        c.fatal(&f, &format!("watch {}", s.kind.plural()))
                    {
                        emit(WatchEvent::Failed(e));
                        return;
                    }
                    match f {
                        Failure::Forbidden(_) | Failure::NotFound => {
                            st.stopped = true;
                            st.settled = true;
                            store.note(
                                ctx,
                                kind_failure(&c.context, s, opts.namespace.as_deref(), "watch", &f),
                            );
                            dirty = true;
                        }
                        other => {
                            let why = super::failure_text(&other);
                            emit(WatchEvent::Status(format!(
                                "reconnecting: context `{}`, {}: {why}",
                                c.context, s.kind
                            )));
                            st.failing = Some(std::time::Instant::now());
                            st.pending = None;
                            if !st.settled {
                                // Its first list failed: show the rest, say this is missing.
                                st.settled = true;
                                store.note(
                                    ctx,
                                    kind_failure(
                                        &c.context,
                                        s,
                                        opts.namespace.as_deref(),
                                        "list",
                                        &other,
                                    ),
                                );
                                dirty = true;
                            }
                        }
                    }
                }
            }
            if dirty {
                let now = Instant::now();
                let first = *first_change.get_or_insert(now);
                deadline = Some((now + DEBOUNCE).min(first + MAX_BATCH));
            }
            continue;
        }
        // The batch is quiet: send it once every kind has settled.
        deadline = None;
        first_change = None;
        let all_settled = state.values().all(|k| k.settled);
        if dirty && all_settled {
            dirty = false;
            let initial = !initial_sent;
            initial_sent = true;
            emit(model(&store, std::mem::take(&mut changes), initial));
        }
    }
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(86400)
}

fn model(store: &Store, mut changes: Vec<String>, initial: bool) -> WatchEvent {
    let set: BTreeSet<String> = changes.drain(..).collect();
    WatchEvent::Model {
        loaded: Box::new(store.to_loaded()),
        changes: set.into_iter().collect(),
        initial,
    }
}

async fn watch_kind(
    c: Cluster,
    s: Served,
    namespace: Option<String>,
    page_size: u32,
    ctx: usize,
    kind: usize,
    tx: mpsc::Sender<Item>,
) {
    let api = s.api(c.watch_client.clone(), namespace.as_deref());
    let cfg = watcher::Config::default().page_size(page_size);
    let mut stream = watcher::watcher(api, cfg).default_backoff().boxed();
    while let Some(r) = stream.next().await {
        let ev = r.map_err(|e| match e {
            watcher::Error::InitialListFailed(e)
            | watcher::Error::WatchStartFailed(e)
            | watcher::Error::WatchFailed(e) => classify(&e),
            watcher::Error::WatchError(s) => classify(&::kube::Error::Api(s)),
            other => Failure::Other(other.to_string()),
        });
        let end = matches!(
            ev,
            Err(Failure::Unauthorized | Failure::Forbidden(_) | Failure::NotFound)
        );
        if tx.send(Item { ctx, kind, ev }).await.is_err() || end {
            return;
        }
    }
}
