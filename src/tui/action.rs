//! Actions (every state change of [`App`](super::App)) and effects (the IO the runtime
//! performs on the app's behalf).

use super::model::Model;
use crate::model::Location;
use crate::resolve::{KumaVersion, ProxyReport, Report};
use crate::source::LoadStats;
use std::time::Instant;

/// The three views, switched with Tab or `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Tree,
    Policies,
    Findings,
}

impl View {
    pub const ALL: [View; 3] = [View::Tree, View::Policies, View::Findings];

    pub fn title(self) -> &'static str {
        match self {
            View::Tree => "Tree",
            View::Policies => "Policies",
            View::Findings => "Findings",
        }
    }
}

/// Loading progress, sent by the loader while it reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// The SOURCE being read now.
    pub current: String,
    pub sources_done: usize,
    pub sources_total: usize,
    pub files: usize,
    pub resources: usize,
}

/// A model from the runtime: the engine's report (indexed for display; the index is
/// built on the worker thread) plus what the loader counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub model: Model,
    pub stats: LoadStats,
    /// True when this replaces a shown model (reload, watch, other version): changes
    /// are marked and selection and expansion are kept.
    pub replace: bool,
    pub now: Instant,
    /// The load this model comes from. A lazy model's proxy requests
    /// ([`Effect::ResolveProxy`]) and their answers carry it.
    pub generation: u64,
    /// The sources with changes applied (`--apply`, `:apply`), replacing the model of
    /// the same sources without them: the changes stay marked, and each changed
    /// outbound's detail shows it before the change.
    pub applied: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // Moving.
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Expand,
    Collapse,
    Toggle,
    ExpandAll,
    CollapseAll,
    DetailUp,
    DetailDown,
    NextView,
    PrevView,
    ShowView(View),
    /// Enter in the Policies and Findings views: go to the node the row concerns.
    Jump,
    // Filter and command line.
    OpenFilter,
    OpenCommand,
    Input(char),
    InputBackspace,
    InputSubmit,
    InputCancel,
    Complete,
    HistoryPrev,
    HistoryNext,
    ClearFilter,
    NextMatch,
    PrevMatch,
    /// Select the next (previous) outbound the applied changes changed.
    NextChange,
    PrevChange,
    // Overlays and commands.
    ShowHelp,
    ShowYaml,
    CloseOverlay,
    Reload,
    Quit,
    /// Ctrl-C: quit, and the process exits with 130 (interrupted), as a shell expects.
    Interrupt,
    // Mouse, in terminal cells.
    Click {
        col: u16,
        row: u16,
    },
    DoubleClick {
        col: u16,
        row: u16,
    },
    ScrollUp {
        col: u16,
        row: u16,
    },
    ScrollDown {
        col: u16,
        row: u16,
    },
    Resize(u16, u16),
    /// Time passes (spinner, expiry of change marks).
    Tick(Instant),
    // From the runtime.
    Progress(Progress),
    Loaded(Box<Loaded>),
    /// Resolving under another version failed before it started.
    Failed(String),
    /// The text of a source document (or why it could not be read).
    SourceText {
        location: Location,
        text: Result<String, String>,
    },
    /// The watcher saw a change and a reload started.
    Watching(String),
    /// `--kube`: the cluster's connection state and version, for the status line.
    ClusterStatus(String),
    /// `--kube`: what a watch event changed (the message line).
    ClusterChanged(String),
    /// Lazy mode: proxy `proxy` (index in the report) resolved, outbounds included.
    ProxyResolved {
        generation: u64,
        proxy: u32,
        report: Box<ProxyReport>,
    },
    /// Lazy mode, first load: the findings pass is over; `findings` are every finding
    /// (the loader's too), for the model shown without them.
    FindingsArrived {
        generation: u64,
        findings: Vec<crate::model::Finding>,
    },
    /// Lazy mode: a request made only because the proxy was selected was dropped,
    /// since another proxy was selected after it; ask again if it is still wanted.
    ProxySkipped {
        generation: u64,
        proxy: u32,
    },
}

impl Loaded {
    pub fn new(report: Report, stats: LoadStats, replace: bool, now: Instant) -> Loaded {
        Loaded {
            model: Model::new(report),
            stats,
            replace,
            now,
            generation: 0,
            applied: false,
        }
    }

    /// With the source locations of policies the report names without one, from the
    /// loaded input (see [`Model::locate_policies`]).
    pub fn with_sources(mut self, resources: &[crate::model::Resource]) -> Loaded {
        self.model.locate_policies(resources);
        self
    }

    /// Shown before the findings pass is over (see [`Model::findings_pending`]).
    pub fn findings_pending(mut self) -> Loaded {
        self.model.findings_pending = true;
        self
    }

    /// A lazy model (see [`Model::lazy`]) from the engine's skeleton.
    pub fn lazy(
        skeleton: Report,
        counts: Vec<u32>,
        stats: LoadStats,
        replace: bool,
        now: Instant,
        generation: u64,
    ) -> Loaded {
        Loaded {
            model: Model::lazy(skeleton, counts),
            stats,
            replace,
            now,
            generation,
            applied: false,
        }
    }
}

/// IO the app asks for; `App::update` returns these and the runtime performs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    Reload,
    Resolve(KumaVersion),
    /// `:apply PATH…`: show the sources with these files applied.
    Apply(Vec<String>),
    ReadSource(Location),
    /// Lazy mode: resolve proxy `proxy` of the model of load `generation`. `opened`:
    /// the proxy is open in the tree (else it is only selected, and a later selection
    /// may supersede the request).
    ResolveProxy {
        generation: u64,
        proxy: u32,
        opened: bool,
    },
}
