//! The groups of state the [`App`](super::App) is made of.

use super::*;

/// A list of rows and the position in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows<T> {
    pub rows: Vec<T>,
    pub pos: ListPos,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows {
            rows: Vec::new(),
            pos: ListPos::default(),
        }
    }
}

impl<T: Copy> Rows<T> {
    pub fn selected(&self) -> Option<T> {
        self.rows.get(self.pos.sel).copied()
    }

    pub(super) fn fit(&mut self, height: usize) {
        self.pos.fit(self.rows.len(), height);
    }
}

/// The Tree view: which nodes are open, the rows shown, and the position in them.
#[derive(Debug, Clone, Default)]
pub struct TreeState {
    pub opened: NodeSet,
    pub rows: Vec<Node>,
    pub pos: ListPos,
}

/// The Policies and Findings views' rows.
#[derive(Debug, Clone, Default)]
pub struct Lists {
    pub policies: Rows<PRow>,
    pub findings: Rows<FRow>,
    /// Findings shown open (their proxies listed under them), by index.
    pub open_findings: HashSet<usize>,
    /// The rows do not follow the filter yet.
    pub(super) stale: bool,
}

/// The filter (`/`) and the mesh (`:mesh`) every view is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub text: String,
    /// What the filter matches in the current model (None when the filter is empty).
    pub(super) hits: Option<Hits>,
    pub mesh: Option<String>,
}

/// What changed with the last load.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Changed nodes of the shown model (marked in the tree).
    pub nodes: NodeSet,
    /// When the marks of a reload go (applied changes and versions stay marked).
    pub until: Option<Instant>,
    /// With changes applied (`--apply`, `:apply`): the model without them, for the
    /// detail of a changed outbound. Its marks stay until the next load.
    pub before: Option<(Model, HashMap<NodeKey, Node>)>,
}

/// Proxies resolved on demand (a large mesh), and what waits for them.
#[derive(Debug, Clone)]
pub struct LazyState {
    /// The load the model comes from; lazy requests and answers carry it.
    pub generation: u64,
    /// Proxies asked for and not answered yet.
    pub requested: HashSet<u32>,
    /// Resolved outbounds kept at most ([`KEEP_OUTBOUNDS`]).
    pub keep_outbounds: usize,
    /// After a reload: the model before it and its proxies by key, to mark what
    /// changed as proxies resolve again. And what made it: `reloaded`, or `Kuma 2.9`
    /// for a `:version`.
    pub(super) prior: Option<(Model, HashMap<ProxyKey, u32>, String)>,
    /// After a reload: keys of open nodes and of the selection that wait for their
    /// proxy to resolve again.
    pub(super) restore_open: HashSet<NodeKey>,
    pub(super) restore_sel: Option<NodeKey>,
    /// Enter on a finding of a proxy not resolved yet: the proxy and the outbounds to
    /// select once it is.
    pub(super) jump_to: Option<(u32, Vec<String>)>,
}

impl Default for LazyState {
    fn default() -> Self {
        LazyState {
            generation: 0,
            requested: HashSet::new(),
            keep_outbounds: KEEP_OUTBOUNDS,
            prior: None,
            restore_open: HashSet::new(),
            restore_sel: None,
            jump_to: None,
        }
    }
}

/// What the status and message lines say: loading, versions, the cluster, messages.
#[derive(Debug, Clone)]
pub struct StatusLine {
    pub stats: Option<LoadStats>,
    /// Some while the loader runs.
    pub progress: Option<Progress>,
    pub load_started: Option<Instant>,
    /// A `:version` asked for and not yet resolved.
    pub pending_version: Option<KumaVersion>,
    /// `--kube`: connection state and version.
    pub cluster: Option<String>,
    pub message: Option<Message>,
}

impl Default for StatusLine {
    fn default() -> Self {
        StatusLine {
            stats: None,
            progress: Some(Progress::default()),
            load_started: None,
            pending_version: None,
            cluster: None,
            message: None,
        }
    }
}
