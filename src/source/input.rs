//! One way in for every source: files, directories, standard input and the embedded
//! demo, Kubernetes clusters (`--kube`) and control planes (`--cp`) are each an
//! [`Input`] with a label, a load and a watch. The commands load their inputs with
//! [`load_all`]; the TUI loads and watches the same list.

use super::cp::{self, CpOptions};
use super::kube::watch::{self as kube_watch, WatchEvent, WatchHandle};
use super::kube::{self, KubeOptions};
use super::{LoadProgress, Loaded, Source};
use crate::resolve::KumaVersion;
use anyhow::Result;
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// Where resources come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Files, directories, standard input and the embedded demo, read in order as one
    /// load (a resource defined again is kept once: the later definition).
    Files(Vec<Source>),
    /// Kubernetes clusters: listed once, or watched.
    Kube(KubeOptions),
    /// Control planes' REST API: read once, or read again every `poll` (the API has no
    /// watch).
    Cp { opts: CpOptions, poll: Duration },
}

/// What one input gave.
#[derive(Debug, Default)]
pub struct Part {
    /// Not yet derived (see [`Loaded::derive`]): that waits for every input.
    pub loaded: Loaded,
    /// The Kuma version the input runs and how that was known, if it can tell.
    pub version: Option<(KumaVersion, String)>,
    /// What a person should know about the load (`meshtcp: …` on stderr).
    pub notes: Vec<String>,
}

/// How far a load is: the source being read, of how many, and what was read so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub current: String,
    pub done: usize,
    pub total: usize,
    pub files: usize,
    pub resources: usize,
}

/// What a running watch tells its consumer.
#[derive(Debug)]
pub enum Event {
    /// Files changed on disk (what changed): they are read again.
    Changed(String),
    /// A cluster watch's event.
    Cluster(WatchEvent),
    /// The control planes read again, or why they could not be.
    Polled(std::result::Result<Box<Loaded>, String>),
}

type Watcher = Debouncer<notify_debouncer_full::notify::RecommendedWatcher, RecommendedCache>;

/// A running watch of one input; dropping it stops it.
pub enum Watch {
    /// File-system watchers (none for standard input and the demo).
    Files(Vec<Watcher>),
    /// The cluster watch.
    Cluster(WatchHandle),
    /// Wakes the polling thread at once.
    Poll(Sender<()>),
}

impl Watch {
    /// Read again at once, where reading is timed (a control plane's poll).
    pub fn wake(&self) {
        if let Watch::Poll(t) = self {
            let _ = t.send(());
        }
    }
}

impl Input {
    /// Every input a command line names, in the order they are merged: the SOURCEs as
    /// one input, then the clusters, then the control planes.
    pub fn list(sources: Vec<Source>, kube: Option<KubeOptions>, cp: Option<Input>) -> Vec<Input> {
        std::iter::once(Input::Files(sources))
            .chain(kube.map(Input::Kube))
            .chain(cp)
            .collect()
    }

    /// What the TUI's title names it by.
    pub fn label(&self) -> String {
        match self {
            Input::Files(sources) => sources
                .iter()
                .map(Source::label)
                .collect::<Vec<_>>()
                .join(", "),
            Input::Kube(opts) if opts.contexts.is_empty() => "cluster (current context)".into(),
            Input::Kube(opts) => format!("cluster {}", opts.contexts.join(", ")),
            Input::Cp { .. } => "control plane".into(),
        }
    }

    /// Whether it is read from elsewhere than files (and so tells its version).
    pub fn is_live(&self) -> bool {
        !matches!(self, Input::Files(_))
    }

    /// Whether its first model comes through its watch (a cluster's list), not from
    /// [`Input::load`]: a UI starts the watch and waits for it, and starts it again
    /// when it has failed.
    pub fn streams(&self) -> bool {
        matches!(self, Input::Kube(_))
    }

    /// Whether a UI reads it once with [`Input::load`] before it opens, then keeps
    /// its model up to date from the watch (a control plane, whose watch polls).
    pub fn read_first(&self) -> bool {
        matches!(self, Input::Cp { .. })
    }

    /// The file SOURCEs, if it is files.
    pub fn sources(&self) -> &[Source] {
        match self {
            Input::Files(s) => s,
            _ => &[],
        }
    }

    /// Read it once. `given` is `--kuma-version`. For files, `progress` is called as
    /// each SOURCE starts and then every 100 ms while it is read.
    pub fn load(
        &self,
        given: Option<KumaVersion>,
        progress: Option<&(dyn Fn(Progress) + Sync)>,
    ) -> Result<Part> {
        match self {
            Input::Files(sources) => Ok(Part {
                loaded: load_files(sources, progress),
                ..Part::default()
            }),
            Input::Kube(opts) => {
                let c = kube::list_all_blocking(opts, &|_| {})?;
                let (v, how) = kube::version::choose(given, &c.detected);
                Ok(Part {
                    loaded: c.loaded(),
                    notes: vec![how.clone()],
                    version: Some((v, how)),
                })
            }
            Input::Cp { opts, .. } => {
                let c = cp::load_all_blocking(opts)?;
                let (v, how) = kube::version::choose(given, &c.detected);
                let mut notes = vec![how.clone()];
                for (label, index) in &c.index {
                    if let Some(m) = index.mode_text() {
                        notes.push(format!("{label} is {m}"));
                    }
                }
                Ok(Part {
                    loaded: c.loaded,
                    notes,
                    version: Some((v, how)),
                })
            }
        }
    }

    /// Add what it gave to what the inputs before it gave.
    pub fn merge_into(&self, all: &mut Loaded, part: Loaded) {
        match self {
            Input::Files(_) => all.merge(part),
            Input::Kube(_) | Input::Cp { .. } => kube::merge(all, part),
        }
    }

    /// Watch it, telling `sink` what happens; `given` is `--kuma-version`. Also what
    /// could not be watched, for the user.
    pub fn watch(
        &self,
        given: Option<KumaVersion>,
        sink: impl Fn(Event) + Send + Sync + Clone + 'static,
    ) -> (Watch, Vec<String>) {
        match self {
            Input::Files(sources) => {
                let (watchers, failed) = watch_files(sources, sink);
                (Watch::Files(watchers), failed)
            }
            Input::Kube(opts) => {
                let h = kube_watch::spawn(opts.clone(), given, move |ev| sink(Event::Cluster(ev)));
                (Watch::Cluster(h), Vec::new())
            }
            Input::Cp { opts, poll } => (Watch::Poll(poll_cp(opts.clone(), *poll, sink)), vec![]),
        }
    }
}

/// Read every input once, in order, and derive what Kuma would generate from the
/// Kubernetes objects among them; the version to resolve under: the first live
/// input's, else `given`, else the default. Each note goes to `note` as it comes.
pub fn load_all(
    inputs: &[Input],
    given: Option<KumaVersion>,
    note: &mut dyn FnMut(&str),
) -> Result<(Loaded, KumaVersion)> {
    let mut all = Loaded::default();
    let mut version = None;
    for (i, input) in inputs.iter().enumerate() {
        let part = input.load(given, None)?;
        for n in &part.notes {
            note(n);
        }
        version = version.or(part.version.map(|(v, _)| v));
        if i == 0 {
            all = part.loaded;
        } else {
            input.merge_into(&mut all, part.loaded);
        }
    }
    // Once the clusters' Dataplanes are in too: they win over derived ones.
    all.derive();
    Ok((all, version.or(given).unwrap_or(KumaVersion::DEFAULT)))
}

/// The SOURCEs read in order into one model (not derived), with progress.
fn load_files(sources: &[Source], progress: Option<&(dyn Fn(Progress) + Sync)>) -> Loaded {
    let counts = LoadProgress::default();
    let Some(progress) = progress else {
        return super::load_underived(sources, &counts);
    };
    let total = sources.len();
    let at = |i: usize| {
        let (files, resources) = counts.get();
        Progress {
            current: sources[i].label(),
            done: i,
            total,
            files,
            resources,
        }
    };
    super::load_underived_around(sources, &counts, &mut |i, read| {
        progress(at(i));
        // Dropped when the source is read: the ticker stops at once (not after its
        // current 100 ms), so the model is not held up.
        let (done, stop) = channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                while let Err(RecvTimeoutError::Timeout) =
                    stop.recv_timeout(Duration::from_millis(100))
                {
                    progress(at(i));
                }
            });
            read();
            drop(done);
        });
    })
}

/// Read the control planes every `every`, and at once when woken; send what was read.
/// Ends when the waker is dropped (with the [`Watch`]).
fn poll_cp(opts: CpOptions, every: Duration, sink: impl Fn(Event) + Send + 'static) -> Sender<()> {
    let (wake, woken) = channel::<()>();
    let _ = std::thread::Builder::new()
        .name("cp-poll".into())
        .spawn(move || {
            while !matches!(
                woken.recv_timeout(every),
                Err(RecvTimeoutError::Disconnected)
            ) {
                let r = cp::load_all_blocking(&opts)
                    .map(|c| Box::new(c.loaded))
                    .map_err(|e| e.to_string());
                sink(Event::Polled(r));
            }
        });
    wake
}

/// Watch every path source: directories recursively, files through their directory.
/// Also a message for each that cannot be watched.
fn watch_files(
    sources: &[Source],
    sink: impl Fn(Event) + Send + Sync + Clone + 'static,
) -> (Vec<Watcher>, Vec<String>) {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for s in sources {
        let Source::Path(p) = s else { continue };
        let is_dir = p.is_dir();
        let (dir, only): (PathBuf, Option<PathBuf>) = if is_dir {
            (p.clone(), None)
        } else {
            let parent = p
                .parent()
                .filter(|x| !x.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (parent.to_path_buf(), p.file_name().map(PathBuf::from))
        };
        let sink = sink.clone();
        let root = p.clone();
        let handler = move |res: DebounceEventResult| {
            let Ok(events) = res else { return };
            let hit = events.iter().find(|e| {
                !matches!(e.event.kind, EventKind::Access(_))
                    && e.event.paths.iter().any(|x| {
                        only.as_ref()
                            .is_none_or(|name| x.file_name() == Some(name.as_os_str()))
                    })
            });
            if let Some(e) = hit {
                let what = e
                    .event
                    .paths
                    .first()
                    .map(|x| x.strip_prefix(&root).unwrap_or(x).display().to_string());
                sink(Event::Changed(
                    what.filter(|w| !w.is_empty())
                        .unwrap_or_else(|| root.display().to_string()),
                ));
            }
        };
        let mode = if is_dir {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        match new_debouncer(Duration::from_millis(300), None, handler)
            .and_then(|mut d| d.watch(&dir, mode).map(|_| d))
        {
            Ok(d) => out.push(d),
            Err(e) => failed.push(format!(
                "cannot watch {}: {e}; press r to reload by hand",
                p.display()
            )),
        }
    }
    (out, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_come_first_then_clusters_then_control_planes() {
        let cp = Input::Cp {
            opts: CpOptions::default(),
            poll: Duration::from_secs(10),
        };
        let all = Input::list(
            vec![Source::Stdin],
            Some(KubeOptions::default()),
            Some(cp.clone()),
        );
        assert_eq!(
            all,
            vec![
                Input::Files(vec![Source::Stdin]),
                Input::Kube(KubeOptions::default()),
                cp
            ]
        );
        assert_eq!(
            all.iter().map(Input::is_live).collect::<Vec<_>>(),
            [false, true, true]
        );
    }

    #[test]
    fn labels_name_what_is_read() {
        let files = Input::Files(vec![Source::parse("a.yaml"), Source::Stdin]);
        assert_eq!(files.label(), "a.yaml, -");
        let kube = |contexts: &[&str]| {
            Input::Kube(KubeOptions {
                contexts: contexts.iter().map(|c| c.to_string()).collect(),
                ..KubeOptions::default()
            })
        };
        assert_eq!(kube(&[]).label(), "cluster (current context)");
        assert_eq!(kube(&["z1", "z2"]).label(), "cluster z1, z2");
    }

    #[test]
    fn files_load_with_progress_as_each_source_starts() {
        let seen = std::sync::Mutex::new(Vec::new());
        let input = Input::Files(vec![Source::Demo, Source::Demo]);
        let part = input
            .load(None, Some(&|p: Progress| seen.lock().unwrap().push(p)))
            .unwrap();
        let seen = seen.into_inner().unwrap();
        let starts: Vec<usize> = seen.iter().map(|p| p.done).collect();
        assert!(
            starts.starts_with(&[0]) && starts.contains(&1),
            "{starts:?}"
        );
        assert!(
            seen.iter()
                .all(|p| p.total == 2 && p.current == "demo (embedded)")
        );
        // Read together: the second copy of the demo replaces the first.
        let once = Input::Files(vec![Source::Demo]).load(None, None).unwrap();
        assert_eq!(
            part.loaded.snapshot.resources.len(),
            once.loaded.snapshot.resources.len()
        );
        assert!(part.version.is_none() && part.notes.is_empty());
    }
}
