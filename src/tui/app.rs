//! The app state. [`App::update`] is the only place state changes; it does no IO and
//! returns the [`Effect`]s the runtime must perform.

use super::action::{Action, Effect, Loaded, Progress, View};
use super::model::{Hits, Model, Needle, Node, NodeSet, contains};
use super::render;
use crate::model::Location;
use crate::resolve::{KumaVersion, Status};
use crate::source::LoadStats;
use ratatui::layout::{Position, Rect};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How long a change stays marked after a reload.
pub const CHANGE_MARK: Duration = Duration::from_secs(4);
/// How long a message stays in the message line.
pub const MESSAGE_TIME: Duration = Duration::from_secs(6);
/// Lazy mode: resolved outbounds kept at most (1–2 KB each) before the proxies
/// resolved longest ago that are neither open nor selected give theirs back.
pub const KEEP_OUTBOUNDS: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
    Help,
    Yaml,
}

/// A selection and a scroll position in a list of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListPos {
    pub sel: usize,
    pub offset: usize,
}

impl ListPos {
    fn fit(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.sel = self.sel.min(len.saturating_sub(1));
        if self.sel < self.offset {
            self.offset = self.sel;
        }
        if self.sel >= self.offset + height {
            self.offset = self.sel + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }
}

/// A row of the Policies view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PRow {
    Policy(usize),
    /// (policy, index into its finding groups): a finding about the policy.
    Finding(usize, usize),
    /// (policy, index into its uses)
    Use(usize, usize),
}

impl PRow {
    pub fn policy(self) -> usize {
        match self {
            PRow::Policy(p) | PRow::Finding(p, _) | PRow::Use(p, _) => p,
        }
    }
}

/// What is selected, in whichever view is shown: a message about the selection (what
/// `y` said of it) goes when this changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Tree(Option<Node>),
    Policy(Option<PRow>),
    Finding(Option<usize>),
}

/// A Policies row by what it shows: `kind|namespace/name`, mesh, and for a use its
/// (proxy, outbound).
type PolicyRowKey = (String, Option<String>, Option<(u32, u32)>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceText {
    Pending,
    Ready(String),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlView {
    pub title: String,
    pub location: Location,
    pub scroll: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub at: Option<Instant>,
    /// The selection the message is about: it goes when the selection moves.
    pub about: Option<Selection>,
}

pub const COMMANDS: &[(&str, &str)] = &[
    ("proxy", "select a proxy: :proxy NAME"),
    ("policy", "show a policy: :policy NAME"),
    ("mesh", "only one mesh: :mesh M (no M: all)"),
    (
        "version",
        "re-resolve under another Kuma version: :version 2.9",
    ),
    ("filter", "set the filter: :filter TEXT"),
    (
        "apply",
        "show the sources with changes applied: :apply FILE… (] [ jump between changes)",
    ),
    ("tree", "Tree view"),
    ("policies", "Policies view"),
    ("findings", "Findings view"),
    ("reload", "reload the sources"),
    ("help", "the keys of this view"),
    ("q", "quit"),
];

#[derive(Debug, Clone)]
pub struct App {
    pub view: View,
    pub mode: Mode,
    pub model: Option<Model>,
    pub stats: Option<LoadStats>,
    /// Some while the loader runs.
    pub progress: Option<Progress>,
    pub load_started: Option<Instant>,
    pub sources_label: String,
    pub version: KumaVersion,
    /// A `:version` asked for and not yet resolved.
    pub pending_version: Option<KumaVersion>,
    pub color: bool,
    pub size: (u16, u16),
    pub now: Option<Instant>,
    pub opened: NodeSet,
    pub rows: Vec<Node>,
    pub tree: ListPos,
    pub policy_rows: Vec<PRow>,
    pub policies: ListPos,
    pub finding_rows: Vec<usize>,
    pub findings: ListPos,
    pub detail_scroll: u16,
    pub filter: String,
    /// What the filter matches in the current model (None when the filter is empty).
    hits: Option<Hits>,
    pub input: String,
    pub mesh_filter: Option<String>,
    pub history: Vec<String>,
    history_pos: Option<usize>,
    pub completions: Vec<String>,
    pub message: Option<Message>,
    pub help_scroll: u16,
    pub yaml: Option<YamlView>,
    pub sources: HashMap<Location, SourceText>,
    pub changed: NodeSet,
    /// With changes applied (`--apply`, `:apply`): the model without them, for the
    /// detail of a changed outbound. Its marks stay until the next load.
    pub before: Option<(Model, HashMap<String, Node>)>,
    pub changed_until: Option<Instant>,
    /// `--kube`: connection state and version (status line).
    pub cluster: Option<String>,
    pub quit: bool,
    /// Quit by Ctrl-C: the process exits with 130.
    pub interrupted: bool,
    /// The Policies and Findings rows do not follow the filter yet.
    lists_stale: bool,
    /// The load the model comes from; lazy requests and answers carry it.
    pub generation: u64,
    /// Lazy mode: proxies asked for and not answered yet.
    pub requested: HashSet<u32>,
    /// Lazy mode: resolved outbounds kept at most ([`KEEP_OUTBOUNDS`]).
    pub keep_outbounds: usize,
    /// Lazy mode, after a reload: the model before it and its proxies by key, to mark
    /// what changed as proxies resolve again.
    /// And what made it: `reloaded`, or `Kuma 2.9` for a `:version`.
    prior: Option<(Model, HashMap<String, u32>, String)>,
    /// Lazy mode, after a reload: keys of open nodes and of the selection that wait
    /// for their proxy to resolve again.
    restore_open: HashSet<String>,
    restore_sel: Option<String>,
    /// Lazy mode: Enter on a finding of a proxy not resolved yet: the proxy and the
    /// outbounds to select once it is.
    jump_to: Option<(u32, Vec<String>)>,
}

impl App {
    pub fn new(sources_label: impl Into<String>, version: KumaVersion, color: bool) -> App {
        App {
            view: View::Tree,
            mode: Mode::Normal,
            model: None,
            stats: None,
            progress: Some(Progress::default()),
            load_started: None,
            sources_label: sources_label.into(),
            version,
            pending_version: None,
            color,
            size: (120, 40),
            now: None,
            opened: NodeSet::default(),
            rows: Vec::new(),
            tree: ListPos::default(),
            policy_rows: Vec::new(),
            policies: ListPos::default(),
            finding_rows: Vec::new(),
            findings: ListPos::default(),
            detail_scroll: 0,
            filter: String::new(),
            hits: None,
            input: String::new(),
            mesh_filter: None,
            history: Vec::new(),
            history_pos: None,
            completions: Vec::new(),
            message: None,
            help_scroll: 0,
            yaml: None,
            sources: HashMap::new(),
            changed: NodeSet::default(),
            changed_until: None,
            before: None,
            cluster: None,
            quit: false,
            interrupted: false,
            lists_stale: false,
            generation: 0,
            requested: HashSet::new(),
            keep_outbounds: KEEP_OUTBOUNDS,
            prior: None,
            restore_open: HashSet::new(),
            restore_sel: None,
            jump_to: None,
        }
    }

    /// Is something animating (spinner, change marks, a message)? The runtime ticks faster then.
    pub fn animating(&self) -> bool {
        self.progress.is_some()
            || self.pending_version.is_some()
            || !self.requested.is_empty()
            || self.changed_until.is_some()
            || self.message.is_some()
    }

    pub fn selected_node(&self) -> Option<Node> {
        self.rows.get(self.tree.sel).copied()
    }

    pub fn selected_policy_row(&self) -> Option<PRow> {
        self.policy_rows.get(self.policies.sel).copied()
    }

    pub fn selected_finding(&self) -> Option<usize> {
        self.finding_rows.get(self.findings.sel).copied()
    }

    /// Are the children of the row at `idx` shown?
    pub fn is_open(&self, idx: usize) -> bool {
        let (Some(m), Some(n)) = (&self.model, self.rows.get(idx)) else {
            return false;
        };
        self.rows
            .get(idx + 1)
            .is_some_and(|c| m.parent(*c) == Some(*n))
    }

    /// Does the row's own text match the filter?
    pub fn node_matches(&self, n: Node) -> bool {
        let Some(m) = &self.model else { return false };
        let f = self.filter.to_lowercase();
        match &self.hits {
            _ if f.is_empty() => false,
            Some(h) if h.text == f => m.hit(h, n),
            _ => node_matches(m, n, &Needle::new(&f)),
        }
    }

    /// Bring `hits` up to date with the filter and the model.
    fn refresh_hits(&mut self) {
        let f = self.filter.to_lowercase();
        if f.is_empty() {
            self.hits = None;
            return;
        }
        if self.hits.as_ref().is_some_and(|h| h.text == f) {
            return;
        }
        let prev = self.hits.take();
        self.hits = self.model.as_ref().map(|m| m.hits(&f, prev.as_ref()));
    }

    fn list_height(&self) -> usize {
        let l = render::layout(Rect::new(0, 0, self.size.0, self.size.1));
        l.list_inner.height.max(1) as usize
    }

    fn pos_mut(&mut self) -> (&mut ListPos, usize) {
        match self.view {
            View::Tree => (&mut self.tree, self.rows.len()),
            View::Policies => (&mut self.policies, self.policy_rows.len()),
            View::Findings => (&mut self.findings, self.finding_rows.len()),
        }
    }

    fn move_by(&mut self, delta: isize) {
        let h = self.list_height();
        let (pos, len) = self.pos_mut();
        if len == 0 {
            return;
        }
        let before = pos.sel;
        pos.sel = (pos.sel as isize + delta).clamp(0, len as isize - 1) as usize;
        pos.fit(len, h);
        if pos.sel != before {
            self.detail_scroll = 0;
        }
    }

    fn select_index(&mut self, idx: usize) {
        let h = self.list_height();
        let (pos, len) = self.pos_mut();
        let moved = pos.sel != idx;
        pos.sel = idx;
        pos.fit(len, h);
        if moved {
            self.detail_scroll = 0;
        }
    }

    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some(Message {
            text: text.into(),
            error,
            at: self.now,
            about: None,
        });
    }

    /// Say something about the selection: it is cleared when the selection moves.
    fn say_about_selection(&mut self, text: impl Into<String>) {
        self.say(text, false);
        let about = self.selection();
        if let Some(m) = &mut self.message {
            m.about = Some(about);
        }
    }

    /// The selection of the view shown.
    pub fn selection(&self) -> Selection {
        match self.view {
            View::Tree => Selection::Tree(self.selected_node()),
            View::Policies => Selection::Policy(self.selected_policy_row()),
            View::Findings => Selection::Finding(self.selected_finding()),
        }
    }

    /// Apply one action. All state changes happen here; IO is returned as effects.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        match action {
            Action::Tick(now) => {
                self.now = Some(now);
                if self.load_started.is_none() && self.progress.is_some() {
                    self.load_started = Some(now);
                }
                if self.changed_until.is_some_and(|t| now >= t) {
                    self.changed.clear();
                    self.changed_until = None;
                }
                if let Some(m) = &mut self.message {
                    match m.at {
                        None => m.at = Some(now),
                        Some(at) if now.duration_since(at) >= MESSAGE_TIME => self.message = None,
                        _ => {}
                    }
                }
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.refit();
            }
            Action::Progress(p) => self.progress = Some(p),
            Action::Loaded(l) => self.apply_loaded(*l),
            Action::Failed(e) => {
                self.pending_version = None;
                self.progress = None;
                self.say(e, true);
            }
            Action::ProxyResolved {
                generation,
                proxy,
                report,
            } => {
                if generation == self.generation && self.requested.remove(&proxy) {
                    self.apply_proxy(proxy, *report);
                }
            }
            Action::ProxySkipped { generation, proxy } => {
                if generation == self.generation {
                    self.requested.remove(&proxy);
                }
            }
            Action::ClusterStatus(s) => self.cluster = Some(s),
            Action::ClusterChanged(what) => self.say(what, false),
            Action::Watching(what) => {
                self.progress = Some(Progress::default());
                self.say(format!("changed on disk: {what}; reloading"), false);
            }
            Action::SourceText { location, text } => {
                let v = match text {
                    Ok(t) => SourceText::Ready(t),
                    Err(e) => SourceText::Failed(e),
                };
                self.sources.insert(location, v);
            }
            Action::Quit => {
                self.quit = true;
                fx.push(Effect::Quit);
            }
            Action::Interrupt => {
                self.quit = true;
                self.interrupted = true;
                fx.push(Effect::Quit);
            }
            a if matches!(self.mode, Mode::Help | Mode::Yaml) => self.update_overlay(a),
            a if matches!(self.mode, Mode::Filter | Mode::Command) => {
                fx.extend(self.update_input(a))
            }
            a => fx.extend(self.update_normal(a)),
        }
        if self
            .message
            .as_ref()
            .and_then(|m| m.about)
            .is_some_and(|s| s != self.selection())
        {
            self.message = None;
        }
        fx.extend(self.wanted_source());
        fx.extend(self.wanted_proxies());
        fx
    }

    fn update_overlay(&mut self, a: Action) {
        let page = self.list_height() as u16;
        let scroll = match self.mode {
            Mode::Help => &mut self.help_scroll,
            _ => match &mut self.yaml {
                Some(y) => &mut y.scroll,
                None => &mut self.help_scroll,
            },
        };
        match a {
            Action::CloseOverlay | Action::ClearFilter | Action::ShowHelp => {
                self.mode = Mode::Normal;
                self.yaml = None;
                self.help_scroll = 0;
            }
            Action::Down | Action::ScrollDown { .. } => *scroll = scroll.saturating_add(1),
            Action::Up | Action::ScrollUp { .. } => *scroll = scroll.saturating_sub(1),
            Action::PageDown => *scroll = scroll.saturating_add(page),
            Action::PageUp => *scroll = scroll.saturating_sub(page),
            Action::Home => *scroll = 0,
            _ => {}
        }
    }

    fn update_input(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Input(c) => {
                self.input.push(c);
                self.input_changed();
            }
            Action::InputBackspace => {
                if self.input.pop().is_none() && self.mode == Mode::Command {
                    self.mode = Mode::Normal;
                }
                self.input_changed();
            }
            Action::InputCancel => {
                if self.mode == Mode::Filter {
                    self.set_filter(String::new());
                }
                self.mode = Mode::Normal;
                self.input.clear();
                self.completions.clear();
            }
            Action::InputSubmit => {
                let line = std::mem::take(&mut self.input);
                let mode = self.mode;
                self.mode = Mode::Normal;
                self.completions.clear();
                if mode == Mode::Command {
                    return self.run_command(&line);
                }
                if !self.filter.is_empty() {
                    let mut text =
                        format!("filter /{}: n next, N previous, Esc clears", self.filter);
                    if let Some((done, all)) = self.lazy_progress() {
                        text.push_str(&format!(
                            " · it searches every proxy, but outbounds only on resolved \
                             proxies ({done} of {all})"
                        ));
                    }
                    self.say(text, false);
                }
            }
            Action::Complete if self.mode == Mode::Command => self.complete(),
            Action::HistoryPrev | Action::HistoryNext
                if self.mode == Mode::Command && !self.history.is_empty() =>
            {
                let n = self.history.len();
                let p = match (a, self.history_pos) {
                    (Action::HistoryPrev, None) => n - 1,
                    (Action::HistoryPrev, Some(p)) => p.saturating_sub(1),
                    (_, None) => return vec![],
                    (_, Some(p)) => (p + 1).min(n - 1),
                };
                self.history_pos = Some(p);
                self.input = self.history[p].clone();
                self.input_changed();
            }
            _ => {}
        }
        vec![]
    }

    fn input_changed(&mut self) {
        match self.mode {
            Mode::Filter => self.set_filter(self.input.clone()),
            Mode::Command => self.completions = self.candidates().into_iter().take(12).collect(),
            _ => {}
        }
    }

    fn update_normal(&mut self, a: Action) -> Vec<Effect> {
        let page = self.list_height() as isize;
        match a {
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(page),
            Action::PageUp => self.move_by(-page),
            Action::Home => self.move_by(isize::MIN / 2),
            Action::End => self.move_by(isize::MAX / 2),
            Action::DetailDown => {
                self.detail_scroll = self.detail_scroll.saturating_add(page as u16 / 2)
            }
            Action::DetailUp => {
                self.detail_scroll = self.detail_scroll.saturating_sub(page as u16 / 2)
            }
            Action::Expand if self.view == View::Tree => self.expand(),
            Action::Collapse if self.view == View::Tree => self.collapse(),
            Action::Toggle if self.view == View::Tree => {
                if self.is_open(self.tree.sel) {
                    self.collapse()
                } else {
                    self.expand()
                }
            }
            Action::ExpandAll if self.view == View::Tree => self.expand_all(),
            Action::CollapseAll if self.view == View::Tree => self.collapse_all(),
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let d = if a == Action::NextView {
                    1
                } else {
                    View::ALL.len() - 1
                };
                self.show_view(View::ALL[(i + d) % View::ALL.len()]);
            }
            Action::ShowView(v) => self.show_view(v),
            Action::Jump => self.jump(),
            Action::OpenFilter => {
                self.mode = Mode::Filter;
                self.input = self.filter.clone();
            }
            Action::OpenCommand => {
                self.mode = Mode::Command;
                self.input.clear();
                self.history_pos = None;
                self.completions = self.candidates().into_iter().take(12).collect();
            }
            Action::ClearFilter if !self.filter.is_empty() => {
                self.set_filter(String::new());
                self.say("filter cleared", false);
            }
            Action::NextMatch => self.next_match(true),
            Action::PrevMatch => self.next_match(false),
            Action::NextChange => self.next_change(true),
            Action::PrevChange => self.next_change(false),
            Action::ShowHelp => {
                self.mode = Mode::Help;
                self.help_scroll = 0;
            }
            Action::ShowYaml => self.show_yaml(),
            Action::Reload => {
                self.progress = Some(Progress::default());
                self.load_started = self.now;
                return vec![Effect::Reload];
            }
            Action::Click { col, row } => self.click(col, row, false),
            Action::DoubleClick { col, row } => self.click(col, row, true),
            Action::ScrollDown { col, row } | Action::ScrollUp { col, row } => {
                let down = matches!(a, Action::ScrollDown { .. });
                let l = render::layout(Rect::new(0, 0, self.size.0, self.size.1));
                if l.detail.contains(Position::new(col, row)) {
                    self.detail_scroll = if down {
                        self.detail_scroll.saturating_add(3)
                    } else {
                        self.detail_scroll.saturating_sub(3)
                    };
                } else {
                    self.move_by(if down { 3 } else { -3 });
                }
            }
            _ => {}
        }
        vec![]
    }

    fn show_view(&mut self, v: View) {
        if self.lists_stale {
            self.rebuild_lists();
        }
        if self.view != v {
            self.view = v;
            self.detail_scroll = 0;
        }
    }

    // ---- tree ------------------------------------------------------------------

    fn expand(&mut self) {
        let Some(n) = self.selected_node() else {
            return;
        };
        let Some(m) = &self.model else { return };
        if self.is_open(self.tree.sel) {
            self.move_by(1);
        } else if m.has_children(n) {
            self.opened.insert(n);
            self.rebuild_rows(Some(n));
        }
    }

    fn collapse(&mut self) {
        let Some(n) = self.selected_node() else {
            return;
        };
        let Some(parent) = self.model.as_ref().map(|m| m.parent(n)) else {
            return;
        };
        if self.is_open(self.tree.sel) && self.opened.remove(&n) {
            self.rebuild_rows(Some(n));
            if self.is_open(self.tree.sel) {
                // Held open by the filter: go to the parent instead.
                self.opened.insert(n);
            } else {
                return;
            }
        }
        if let Some(p) = parent
            && let Some(i) = self.rows.iter().rposition(|r| *r == p)
        {
            self.select_index(i);
        }
    }

    fn expand_all(&mut self) {
        let Some(m) = &self.model else { return };
        let mut unresolved = 0usize;
        for (mi, g) in m.meshes.iter().enumerate() {
            self.opened.insert(Node::Mesh(mi as u32));
            for p in g.proxies.clone() {
                let pr = &m.report.proxies[p];
                if !m.is_resolved(p as u32) {
                    // Lazy mode: opening it would resolve it; `*` does not resolve.
                    unresolved += 1;
                    continue;
                }
                if !pr.outbounds.is_empty() {
                    self.opened.insert(Node::Proxy(p as u32));
                }
                for (o, ob) in pr.outbounds.iter().enumerate() {
                    if !ob.backends.is_empty() {
                        self.opened.insert(Node::Outbound(p as u32, o as u32));
                    }
                }
            }
        }
        if let Some((done, all)) = self.lazy_progress() {
            self.say(
                format!(
                    "expanded the {done} resolved prox{} of {all}; {unresolved} not resolved \
                     stay closed (open one with l or Enter to resolve it)",
                    if done == 1 { "y" } else { "ies" }
                ),
                false,
            );
        }
        self.rebuild_rows(self.selected_node());
    }

    fn collapse_all(&mut self) {
        let sel = self.selected_node();
        let top = sel.and_then(|n| {
            self.model
                .as_ref()
                .map(|m| m.ancestors(n).first().copied().unwrap_or(n))
        });
        self.opened.clear();
        self.rebuild_rows(top);
    }

    /// Recompute the visible rows (expansion, filter, mesh) and keep `keep` selected,
    /// or its nearest visible ancestor.
    pub fn rebuild_rows(&mut self, keep: Option<Node>) {
        self.refresh_hits();
        let mut rows = Vec::new();
        if let Some(m) = &self.model {
            for (mi, g) in m.meshes.iter().enumerate() {
                if self.mesh_filter.as_ref().is_some_and(|x| *x != g.name) {
                    continue;
                }
                let hits = self.hits.as_ref();
                walk(m, &self.opened, Node::Mesh(mi as u32), hits, &mut rows);
            }
        }
        self.rows = rows;
        let idx = keep.and_then(|n| {
            let m = self.model.as_ref()?;
            std::iter::once(n)
                .chain(m.ancestors(n).into_iter().rev())
                .find_map(|c| self.rows.iter().position(|r| *r == c))
        });
        if let Some(i) = idx {
            if i != self.tree.sel {
                self.detail_scroll = 0;
            }
            self.tree.sel = i;
        }
        let h = self.list_height();
        self.tree.fit(self.rows.len(), h);
    }

    fn rebuild_lists(&mut self) {
        self.lists_stale = false;
        self.refresh_hits();
        let f = self.filter.to_lowercase();
        let needle = Needle::new(&f);
        let hits = self.hits.as_ref();
        self.policy_rows.clear();
        self.finding_rows.clear();
        if let Some(m) = &self.model {
            for (i, p) in m.policies.iter().enumerate() {
                if self.mesh_filter.is_some() && p.mesh != self.mesh_filter {
                    continue;
                }
                let direct = contains(&p.qualified(), &f)
                    || contains(&p.kind, &f)
                    || p.groups
                        .iter()
                        .any(|g| contains(m.report.findings[g.0 as usize].code.as_str(), &f));
                let uses: Vec<usize> = (0..p.uses.len())
                    .filter(|&j| {
                        direct || {
                            let (pi, oi, _) = p.uses[j];
                            hits.is_none_or(|h| {
                                m.hit(h, Node::Proxy(pi)) || m.hit(h, Node::Outbound(pi, oi))
                            })
                        }
                    })
                    .collect();
                if direct || !uses.is_empty() {
                    self.policy_rows.push(PRow::Policy(i));
                    if direct {
                        self.policy_rows
                            .extend((0..p.groups.len()).map(|g| PRow::Finding(i, g)));
                    }
                    self.policy_rows
                        .extend(uses.into_iter().map(|j| PRow::Use(i, j)));
                }
            }
            for (i, fd) in m.report.findings.iter().enumerate() {
                let mesh_ok = self.mesh_filter.is_none()
                    || fd
                        .resource
                        .as_ref()
                        .and_then(|r| r.mesh.as_ref())
                        .is_none_or(|x| Some(x) == self.mesh_filter.as_ref());
                if mesh_ok && m.finding_matches(i, &needle) {
                    self.finding_rows.push(i);
                }
            }
        }
        let h = self.list_height();
        self.policies.fit(self.policy_rows.len(), h);
        self.findings.fit(self.finding_rows.len(), h);
    }

    fn refit(&mut self) {
        let h = self.list_height();
        self.tree.fit(self.rows.len(), h);
        self.policies.fit(self.policy_rows.len(), h);
        self.findings.fit(self.finding_rows.len(), h);
    }

    fn set_filter(&mut self, f: String) {
        if f == self.filter {
            return;
        }
        let keep = self.selected_node();
        self.filter = f;
        self.rebuild_rows(keep);
        // The Policies and Findings lists follow the filter when they are shown.
        if self.view == View::Tree {
            self.lists_stale = true;
        } else {
            self.rebuild_lists();
        }
        // Incremental: land on the first match at or after the selection.
        if !self.filter.is_empty()
            && self.view == View::Tree
            && !self.selected_node().is_some_and(|n| self.node_matches(n))
        {
            self.next_match(true);
        }
    }

    fn next_match(&mut self, forward: bool) {
        if self.filter.is_empty() {
            self.say("no filter: type / first", false);
            return;
        }
        let f = self.filter.to_lowercase();
        let needle = Needle::new(&f);
        let Some(m) = &self.model else { return };
        let (sel, len) = match self.view {
            View::Tree => (self.tree.sel, self.rows.len()),
            View::Policies => (self.policies.sel, self.policy_rows.len()),
            View::Findings => (self.findings.sel, self.finding_rows.len()),
        };
        if len == 0 {
            self.say(format!("no match for /{}", self.filter), true);
            return;
        }
        let hit = |i: usize| -> bool {
            match self.view {
                View::Tree => match &self.hits {
                    Some(h) if h.text == f => m.hit(h, self.rows[i]),
                    _ => node_matches(m, self.rows[i], &needle),
                },
                View::Policies => match self.policy_rows[i] {
                    PRow::Policy(p) => contains(&m.policies[p].qualified(), &f),
                    PRow::Finding(p, g) => {
                        let fd = &m.report.findings[m.policies[p].groups[g].0 as usize];
                        contains(fd.code.as_str(), &f) || contains(&fd.message, &f)
                    }
                    PRow::Use(p, u) => {
                        let (pi, oi, _) = m.policies[p].uses[u];
                        m.matches(Node::Proxy(pi), &needle)
                            || m.matches(Node::Outbound(pi, oi), &needle)
                    }
                },
                View::Findings => true,
            }
        };
        let found = (1..=len)
            .map(|d| {
                if forward {
                    (sel + d) % len
                } else {
                    (sel + len * 2 - d) % len
                }
            })
            .find(|&i| hit(i));
        match found {
            Some(i) => self.select_index(i),
            None => self.say(format!("no match for /{}", self.filter), true),
        }
    }

    /// With changes applied: outbound `n` of the shown model as it was before them
    /// (`None`: it is new, or nothing was applied).
    pub fn before_outbound(&self, n: Node) -> Option<&crate::resolve::OutboundReport> {
        let (old, keys) = self.before.as_ref()?;
        let key = self.model.as_ref()?.key(n)?;
        match keys.get(&key)? {
            Node::Outbound(p, o) => Some(old.outbound(*p, *o)),
            _ => None,
        }
    }

    /// Select the next (or previous) changed outbound, in tree order, wrapping.
    fn next_change(&mut self, forward: bool) {
        let mut all: Vec<Node> = self
            .changed
            .iter()
            .copied()
            .filter(|n| matches!(n, Node::Outbound(..)))
            .collect();
        if all.is_empty() {
            self.say(
                "no changed outbound (apply changes with --apply or :apply FILE)",
                true,
            );
            return;
        }
        all.sort_unstable();
        let here = self.selected_node();
        let next = if forward {
            all.iter()
                .find(|n| here.is_none_or(|h| **n > h))
                .or(all.first())
        } else {
            all.iter()
                .rev()
                .find(|n| here.is_none_or(|h| **n < h))
                .or(all.last())
        };
        if let Some(&n) = next {
            let i = all.iter().position(|x| *x == n).unwrap_or(0) + 1;
            self.reveal(n);
            self.say(format!("change {i} of {}", all.len()), false);
        }
    }

    /// Open the ancestors of `n`, show the tree and select `n`.
    pub fn reveal(&mut self, n: Node) {
        let Some(m) = &self.model else { return };
        let anc = m.ancestors(n);
        let visible = |app: &App| app.rows.contains(&n);
        self.opened.extend(anc);
        self.view = View::Tree;
        self.rebuild_rows(Some(n));
        if !visible(self) {
            if let Some(g) = self
                .model
                .as_ref()
                .map(|m| m.meshes[m.mesh_of_node(n)].name.clone())
                && self.mesh_filter.as_ref().is_some_and(|x| *x != g)
            {
                self.mesh_filter = None;
            }
            if !self.filter.is_empty() {
                self.say(
                    format!("filter /{} cleared to show the selection", self.filter),
                    false,
                );
                self.filter.clear();
            }
            self.rebuild_rows(Some(n));
            self.rebuild_lists();
        }
        if let Some(i) = self.rows.iter().position(|r| *r == n) {
            self.tree.sel = i;
            let h = self.list_height();
            // Show the selection with some context above it.
            self.tree.offset = i.saturating_sub(h / 3);
            self.tree.fit(self.rows.len(), h);
        }
        self.detail_scroll = 0;
    }

    fn jump(&mut self) {
        let Some(m) = &self.model else { return };
        match self.view {
            View::Tree => {}
            View::Policies => {
                if let Some(PRow::Use(p, u)) = self.selected_policy_row() {
                    let (pi, oi, _) = m.policies[p].uses[u];
                    self.reveal(Node::Outbound(pi, oi));
                } else if let Some(PRow::Finding(p, g)) = self.selected_policy_row() {
                    let fi = m.policies[p].groups[g].0 as usize;
                    self.show_finding(fi);
                } else if let Some(PRow::Policy(p)) = self.selected_policy_row() {
                    let pe = &m.policies[p];
                    if let Some(&(pi, oi, _)) = pe.uses.first() {
                        self.reveal(Node::Outbound(pi, oi));
                    } else if let Some(&pi) = pe.some_selected.first() {
                        self.opened.insert(Node::Proxy(pi));
                        self.reveal(Node::Proxy(pi));
                        self.say("it routes no outbound: here is a proxy it selects", false);
                    } else if pe.refused {
                        self.say(
                            "the control plane refuses this policy: no node to go to",
                            false,
                        );
                    } else {
                        self.say("this policy selects nothing: no node to go to", false);
                    }
                }
            }
            View::Findings => {
                let Some(i) = self.selected_finding() else {
                    return;
                };
                let f = &m.report.findings[i];
                // The first proxy it concerns.
                let hit = f.proxies.first();
                let proxy = hit.and_then(|h| m.find_proxy(&h.proxy.qualified()));
                let outbounds: &[std::sync::Arc<str>] = hit.map_or(&[], |h| &h.outbounds);
                if let Some(p) = proxy
                    && !m.is_resolved(p)
                {
                    // Lazy mode: open the proxy (which resolves it); the outbound is
                    // selected when it arrives.
                    let name = m.proxy(p).name.clone();
                    let labels = outbounds.iter().map(|o| o.to_string()).collect();
                    self.jump_to = Some((p, labels));
                    self.opened.insert(Node::Proxy(p));
                    self.reveal(Node::Proxy(p));
                    self.say(format!("resolving {name}…"), false);
                    return;
                }
                if let Some(p) = proxy {
                    let o = m.proxy(p).outbounds.iter().position(|o| {
                        let label = o.destination.label();
                        outbounds.iter().any(|x| **x == *label)
                    });
                    self.reveal(match o {
                        Some(o) => Node::Outbound(p, o as u32),
                        None => Node::Proxy(p),
                    });
                    return;
                }
                if let Some(r) = &f.resource
                    && let Some(pi) = m.policies.iter().position(|p| p.is(r))
                {
                    self.show_view(View::Policies);
                    if !self.policy_rows.contains(&PRow::Policy(pi)) {
                        self.filter.clear();
                        self.rebuild_rows(self.selected_node());
                        self.rebuild_lists();
                    }
                    if let Some(i) = self.policy_rows.iter().position(|r| *r == PRow::Policy(pi)) {
                        self.select_index(i);
                    }
                    return;
                }
                if let Some(r) = &f.resource
                    && let Some(p) = m.find_proxy(&r.name).filter(|_| r.kind == "Dataplane")
                {
                    self.reveal(Node::Proxy(p));
                    return;
                }
                self.show_yaml();
            }
        }
    }

    /// Show the Findings view with finding `fi` selected (the filter is cleared when it
    /// hides it).
    fn show_finding(&mut self, fi: usize) {
        self.show_view(View::Findings);
        if !self.finding_rows.contains(&fi) {
            self.filter.clear();
            self.mesh_filter = None;
            self.rebuild_rows(self.selected_node());
            self.rebuild_lists();
        }
        if let Some(i) = self.finding_rows.iter().position(|r| *r == fi) {
            self.select_index(i);
        }
    }

    // ---- mouse -----------------------------------------------------------------

    fn click(&mut self, col: u16, row: u16, double: bool) {
        let l = render::layout(Rect::new(0, 0, self.size.0, self.size.1));
        let pos = Position::new(col, row);
        if l.header.contains(pos) {
            if let Some(v) = render::tab_at(col) {
                self.show_view(v);
            }
            return;
        }
        if !l.list_inner.contains(pos) {
            return;
        }
        let offset = match self.view {
            View::Tree => self.tree.offset,
            View::Policies => self.policies.offset,
            View::Findings => self.findings.offset,
        };
        let idx = offset + (row - l.list_inner.y) as usize;
        let (_, len) = self.pos_mut();
        if idx >= len {
            return;
        }
        self.select_index(idx);
        if double {
            match self.view {
                View::Tree => {
                    if self.is_open(idx) {
                        self.collapse()
                    } else {
                        self.expand()
                    }
                }
                _ => self.jump(),
            }
        }
    }

    // ---- YAML ------------------------------------------------------------------

    /// The source document of the selection: (title, location), or why there is none.
    pub fn selection_source(&self) -> Result<(String, Location), String> {
        let m = self.model.as_ref().ok_or("nothing loaded yet")?;
        let none = |what: &str| {
            Err(format!(
                "{what} has no source location (stdin or the cluster)"
            ))
        };
        match self.view {
            View::Tree => match self.selected_node() {
                None => Err("nothing selected".into()),
                Some(Node::Mesh(_)) | Some(Node::Placeholder) => Err(
                    "a mesh has no single document: select a proxy, an outbound or a backend"
                        .into(),
                ),
                Some(Node::Pending(_)) => Err(
                    "still resolving this proxy's outbounds: select the proxy for its YAML".into(),
                ),
                Some(Node::Proxy(p)) => {
                    let pr = m.proxy(p);
                    match &pr.location {
                        Some(l) => Ok((format!("Dataplane {}", pr.name), l.clone())),
                        None => none("this proxy"),
                    }
                }
                Some(Node::Outbound(p, o)) | Some(Node::Backend(p, o, _)) => {
                    let ob = m.outbound(p, o);
                    match ob
                        .policies
                        .iter()
                        .rev()
                        .find(|s| s.status == Status::Applied)
                    {
                        Some(s) => match &s.location {
                            Some(l) => Ok((format!("{} {}", s.kind, s.name), l.clone())),
                            None => none("the applied policy"),
                        },
                        None => Err(format!(
                            "no policy routes {}: it goes straight to the destination",
                            ob.destination.label()
                        )),
                    }
                }
            },
            View::Policies => {
                let row = self.selected_policy_row().ok_or("nothing selected")?;
                let p = &m.policies[row.policy()];
                let loc = match row {
                    PRow::Finding(_, g) => m.report.findings[p.groups[g].0 as usize]
                        .location
                        .as_ref()
                        .or(p.location.as_ref()),
                    _ => p.location.as_ref(),
                };
                match loc {
                    Some(l) => Ok((format!("{} {}", p.kind, p.qualified()), l.clone())),
                    None => Err("no source location is known for this policy".into()),
                }
            }
            View::Findings => {
                let f = self
                    .selected_finding()
                    .map(|i| &m.report.findings[i])
                    .ok_or("nothing selected")?;
                let title = f
                    .resource
                    .as_ref()
                    .map(|r| format!("{} {}", r.kind, r.name))
                    .unwrap_or_else(|| f.code.as_str().to_string());
                match &f.location {
                    Some(l) => Ok((title, l.clone())),
                    None => none("this finding"),
                }
            }
        }
    }

    fn show_yaml(&mut self) {
        match self.selection_source() {
            Ok((title, location)) => {
                self.mode = Mode::Yaml;
                self.yaml = Some(YamlView {
                    title,
                    location,
                    scroll: 0,
                });
            }
            Err(e) => self.say_about_selection(e),
        }
    }

    /// A document the screen needs and nobody has asked for yet.
    fn wanted_source(&mut self) -> Option<Effect> {
        let loc = if let (Mode::Yaml, Some(y)) = (self.mode, &self.yaml) {
            Some(y.location.clone())
        } else if self.view == View::Policies && self.mode == Mode::Normal {
            match (self.selected_policy_row(), &self.model) {
                (Some(PRow::Policy(p)), Some(m)) => m.policies[p].location.clone(),
                _ => None,
            }
        } else {
            None
        }?;
        if self.sources.contains_key(&loc) {
            return None;
        }
        self.sources.insert(loc.clone(), SourceText::Pending);
        Some(Effect::ReadSource(loc))
    }

    // ---- lazy mode -------------------------------------------------------------

    /// Lazy mode: (resolved proxies, proxies); None for a model resolved up front.
    pub fn lazy_progress(&self) -> Option<(usize, usize)> {
        self.model
            .as_ref()
            .filter(|m| m.is_lazy())
            .map(Model::resolved_count)
    }

    /// Lazy mode: requests for the open proxies and the selected one that are not
    /// resolved and not asked for yet.
    fn wanted_proxies(&mut self) -> Vec<Effect> {
        let Some(m) = self.model.as_ref().filter(|m| m.is_lazy()) else {
            return vec![];
        };
        let mut want: Vec<(u32, bool)> = self
            .opened
            .iter()
            .filter_map(|n| match n {
                Node::Proxy(p) if !m.is_resolved(*p) => Some((*p, true)),
                _ => None,
            })
            .collect();
        want.sort_unstable();
        if let Some(p) = self.selected_node().and_then(proxy_of) {
            want.push((p, self.opened.contains(&Node::Proxy(p))));
        }
        let mut fx = Vec::new();
        for (proxy, opened) in want {
            if !m.is_resolved(proxy) && self.requested.insert(proxy) {
                fx.push(Effect::ResolveProxy {
                    generation: self.generation,
                    proxy,
                    opened,
                });
            }
        }
        fx
    }

    /// Lazy mode: proxy `p`'s outbounds arrived.
    fn apply_proxy(&mut self, p: u32, report: crate::resolve::ProxyReport) {
        let sel = self.selected_node();
        let (old_sel, old_offset) = (self.tree.sel, self.tree.offset);
        let policy = self.policy_row_key();
        let Some(m) = &mut self.model else { return };
        if !m.fill(p, report) {
            return;
        }
        let m = &*m;
        let mut msg = None;
        // Changes since the model before a reload.
        if let Some(old) = &self.prior {
            let mut ch = NodeSet::default();
            proxy_changes(&old.0, &old.1, m, p, &mut ch);
            let n = ch
                .iter()
                .filter(|n| matches!(n, Node::Outbound(..)))
                .count();
            if n > 0 {
                let now = self.now.unwrap_or_else(Instant::now);
                self.changed.extend(ch);
                self.changed_until = Some(now + CHANGE_MARK);
                msg = Some(format!(
                    "{}: {}: {} changed",
                    old.2,
                    m.proxy(p).name,
                    counted(n, "outbound", "outbounds")
                ));
            }
        }
        // Open nodes and the selection from before a reload; a finding's outbound.
        let here = |n: Option<Node>| n.and_then(proxy_of) == Some(p);
        let mut keep = match sel {
            Some(Node::Pending(q)) if q == p && m.outbound_count(p) > 0 => {
                Some(Node::Outbound(p, 0))
            }
            s => s,
        };
        let idx = m.proxy_key_index(p);
        let opened = &mut self.opened;
        self.restore_open.retain(|k| match idx.get(k) {
            Some(n) => {
                opened.insert(*n);
                false
            }
            None => true,
        });
        if here(sel)
            && let Some(n) = self.restore_sel.as_ref().and_then(|k| idx.get(k))
        {
            keep = Some(*n);
            self.restore_sel = None;
        }
        if let Some((q, labels)) = self.jump_to.take_if(|j| j.0 == p)
            && here(sel)
            && let Some(o) = m
                .proxy(p)
                .outbounds
                .iter()
                .position(|o| labels.contains(&o.destination.label()))
        {
            keep = Some(Node::Outbound(q, o as u32));
        }
        if let Some(text) = msg {
            self.say(text, false);
        }
        self.evict_over_budget();
        self.hits = None;
        self.rebuild_rows(keep);
        // The selection stays where it was on the screen when rows arrived above it.
        if keep == sel && self.tree.sel >= old_sel {
            self.tree.offset = old_offset + (self.tree.sel - old_sel);
            let h = self.list_height();
            self.tree.fit(self.rows.len(), h);
        }
        self.restore_policy_row(policy);
    }

    /// Lazy mode: give back the outbounds of the proxies resolved longest ago while
    /// more than `keep_outbounds` are held, except those open, selected or waited for.
    fn evict_over_budget(&mut self) {
        let Some(m) = &self.model else { return };
        let (mut held, order) = m.held();
        if held <= self.keep_outbounds {
            return;
        }
        let mut pinned: HashSet<u32> = self
            .opened
            .iter()
            .filter_map(|n| match n {
                Node::Proxy(p) => Some(*p),
                _ => None,
            })
            .collect();
        pinned.extend(self.selected_node().and_then(proxy_of));
        pinned.extend(self.jump_to.as_ref().map(|j| j.0));
        if let Some(PRow::Use(pi, u)) = self.selected_policy_row()
            && let Some(x) = m.policies.get(pi).and_then(|e| e.uses.get(u))
        {
            pinned.insert(x.0);
        }
        let mut gone = HashSet::new();
        let m = self.model.as_mut().expect("checked");
        for p in order {
            if held <= self.keep_outbounds {
                break;
            }
            if pinned.contains(&p) {
                continue;
            }
            held -= m.outbound_count(p);
            if m.evict(p) {
                gone.insert(p);
            }
        }
        if gone.is_empty() {
            return;
        }
        let below = |n: &Node| matches!(n, Node::Outbound(p, _) | Node::Backend(p, _, _) if gone.contains(p));
        self.opened.retain(|n| !below(n));
        self.changed.retain(|n| !below(n));
    }

    /// The selected row of the Policies view, by what it shows (indices move when a
    /// lazy model gains or loses proxies).
    fn policy_row_key(&self) -> Option<PolicyRowKey> {
        let m = self.model.as_ref()?;
        let (p, u) = match self.selected_policy_row()? {
            PRow::Policy(p) | PRow::Finding(p, _) => (p, None),
            PRow::Use(p, u) => (p, Some(u)),
        };
        let e = m.policies.get(p)?;
        Some((
            format!("{}|{}", e.kind, e.qualified()),
            e.mesh.clone(),
            u.and_then(|u| e.uses.get(u)).map(|x| (x.0, x.1)),
        ))
    }

    /// Rebuild the Policies and Findings rows after the model changed (their indices
    /// into it are stale, whatever the view) and select the row `key` named, or its
    /// policy.
    fn restore_policy_row(&mut self, key: Option<PolicyRowKey>) {
        self.rebuild_lists();
        let (Some((name, mesh, at)), Some(m)) = (key, &self.model) else {
            return;
        };
        let Some(pi) = m
            .policies
            .iter()
            .position(|e| format!("{}|{}", e.kind, e.qualified()) == name && e.mesh == mesh)
        else {
            return;
        };
        let e = &m.policies[pi];
        let row = at
            .and_then(|(p, o)| e.uses.iter().position(|u| (u.0, u.1) == (p, o)))
            .map(|u| PRow::Use(pi, u))
            .unwrap_or(PRow::Policy(pi));
        if let Some(i) = self.policy_rows.iter().position(|r| *r == row) {
            self.policies.sel = i;
            let h = self.list_height();
            self.policies.fit(self.policy_rows.len(), h);
        }
    }

    // ---- loading ---------------------------------------------------------------

    fn apply_loaded(&mut self, l: Loaded) {
        let new = l.model;
        if let Ok(v) = new.report.kuma_version.parse() {
            self.version = v;
        }
        // Applied changes and another version are what the user came to compare: their
        // marks stay, and a changed outbound's detail shows it before.
        let compared = l.applied || self.pending_version.is_some();
        // A `:version` re-resolves the same input; anything else read it again.
        let what = match self.pending_version.take() {
            _ if l.applied => "applied".to_string(),
            Some(_) => format!("Kuma {}", new.report.kuma_version),
            None => "reloaded".to_string(),
        };
        self.progress = None;
        self.stats = Some(l.stats);
        self.sources.clear();
        self.now = Some(l.now);
        self.generation = l.generation;
        self.requested.clear();
        self.jump_to = None;
        self.restore_open.clear();
        self.restore_sel = None;
        self.prior = None;
        let old = self.model.take();
        self.before = None;
        let keep = match (old, l.replace) {
            (Some(old), true) => {
                let idx = new.key_index();
                let tr = |n: Node| old.key(n).and_then(|k| idx.get(&k).copied());
                // Lazy: nodes below a proxy not resolved yet wait for it.
                let waits =
                    |n: &Node| new.is_lazy() && matches!(n, Node::Outbound(..) | Node::Backend(..));
                let mut opened = NodeSet::default();
                for n in &self.opened {
                    match tr(*n) {
                        Some(t) => {
                            opened.insert(t);
                        }
                        None if waits(n) => {
                            self.restore_open.extend(old.key(*n));
                        }
                        None => {}
                    }
                }
                self.opened = opened;
                let sel = self.selected_node();
                let keep = sel.and_then(|n| {
                    std::iter::once(n)
                        .chain(old.ancestors(n).into_iter().rev())
                        .find_map(tr)
                });
                if let Some(n) = sel
                    && tr(n).is_none()
                    && waits(&n)
                {
                    self.restore_sel = old.key(n);
                }
                self.changed = changes(&old, &new);
                // Applied changes stay marked (the point of looking); a reload's fade.
                self.changed_until =
                    (!self.changed.is_empty() && !compared).then(|| l.now + CHANGE_MARK);
                if new.is_lazy() {
                    let n = self
                        .changed
                        .iter()
                        .filter(|n| matches!(n, Node::Proxy(_)))
                        .count()
                        + removed_proxies(&old, &new);
                    self.say(
                        format!(
                            "{what}: {} changed; outbounds are compared as each proxy \
                             resolves again",
                            counted(n, "proxy", "proxies")
                        ),
                        false,
                    );
                    let keys = old.proxy_keys();
                    self.prior = Some((old, keys, what));
                } else {
                    let n = outbounds_changed(&old, &idx, &self.changed);
                    let tail = if compared && n > 0 {
                        " (] [ jump between them)"
                    } else {
                        ""
                    };
                    self.say(
                        format!(
                            "{what}: {} changed{tail}",
                            counted(n, "outbound", "outbounds")
                        ),
                        false,
                    );
                    if compared {
                        let keys = old.key_index();
                        self.before = Some((old, keys));
                    }
                }
                keep
            }
            _ => {
                // First load: every mesh open, the first proxy selected and expanded.
                self.opened = (0..new.meshes.len() as u32).map(Node::Mesh).collect();
                // (The first one with outbounds: expanding an empty proxy shows nothing.
                // In lazy mode this asks for it to be resolved.)
                let first = (0..new.report.proxies.len() as u32)
                    .find(|&p| new.outbound_count(p) > 0)
                    .or((!new.report.proxies.is_empty()).then_some(0))
                    .map(Node::Proxy);
                self.opened.extend(first);
                self.tree = ListPos::default();
                first.or((!new.meshes.is_empty()).then_some(Node::Mesh(0)))
            }
        };
        if self
            .mesh_filter
            .as_ref()
            .is_some_and(|m| !new.meshes.iter().any(|g| g.name == *m))
        {
            self.mesh_filter = None;
        }
        self.model = Some(new);
        self.hits = None;
        self.rebuild_rows(keep);
        self.rebuild_lists();
    }

    // ---- command line ----------------------------------------------------------

    /// Completion candidates for the command line as typed.
    pub fn candidates(&self) -> Vec<String> {
        let input = self.input.trim_start();
        let Some((cmd, arg)) = input.split_once(' ') else {
            return COMMANDS
                .iter()
                .map(|c| c.0)
                .filter(|c| c.starts_with(input))
                .map(String::from)
                .collect();
        };
        let arg = arg.trim_start();
        let Some(m) = &self.model else { return vec![] };
        let pool: Vec<String> = match cmd {
            "proxy" => m.proxy_names(),
            "policy" => m.policies.iter().map(|p| p.qualified()).collect(),
            "mesh" => m.meshes.iter().map(|g| g.name.clone()).collect(),
            "version" => KumaVersion::all().map(|v| v.to_string()).collect(),
            _ => vec![],
        };
        let mut out: Vec<String> = pool
            .iter()
            .filter(|s| s.starts_with(arg))
            .cloned()
            .collect();
        if out.is_empty() {
            out = pool.into_iter().filter(|s| s.contains(arg)).collect();
        }
        out.dedup();
        out
    }

    fn complete(&mut self) {
        let c = self.candidates();
        let head = match self.input.trim_start().split_once(' ') {
            Some((cmd, _)) => format!("{cmd} "),
            None => String::new(),
        };
        match c.len() {
            0 => self.say(format!("nothing completes `{}`", self.input), true),
            1 => self.input = format!("{head}{}{}", c[0], if head.is_empty() { " " } else { "" }),
            _ => {
                let mut prefix = c[0].clone();
                for s in &c[1..] {
                    while !s.starts_with(&prefix) {
                        prefix.pop();
                    }
                }
                let arg = self
                    .input
                    .trim_start()
                    .split_once(' ')
                    .map(|x| x.1.trim_start())
                    .unwrap_or(self.input.trim_start());
                if prefix.len() > arg.len() {
                    self.input = format!("{head}{prefix}");
                }
            }
        }
        self.completions = self.candidates().into_iter().take(12).collect();
    }

    fn run_command(&mut self, line: &str) -> Vec<Effect> {
        let line = line.trim().trim_start_matches(':').trim();
        if line.is_empty() {
            return vec![];
        }
        if self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_string());
        }
        let (cmd, arg) = match line.split_once(' ') {
            Some((c, a)) => (c, a.trim()),
            None => (line, ""),
        };
        let need_model = |app: &mut App| {
            if app.model.is_none() {
                app.say("still loading", true);
            }
            app.model.is_some()
        };
        match cmd {
            "q" | "q!" | "quit" | "exit" => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            "tree" => self.show_view(View::Tree),
            "policies" | "pol" => self.show_view(View::Policies),
            "findings" => self.show_view(View::Findings),
            "help" => self.mode = Mode::Help,
            "reload" => return self.update_normal(Action::Reload),
            "apply" => {
                let paths: Vec<String> = arg.split_whitespace().map(String::from).collect();
                if paths.is_empty() {
                    self.say(
                        "apply what? :apply FILE… shows the sources with those files applied",
                        true,
                    );
                } else {
                    self.say(format!("applying {}…", paths.join(" ")), false);
                    return vec![Effect::Apply(paths)];
                }
            }
            "filter" => self.set_filter(arg.to_string()),
            "proxy" | "dp" if need_model(self) => {
                let m = self.model.as_ref().expect("checked");
                match m.find_proxy(arg) {
                    Some(p) if !arg.is_empty() => {
                        self.opened.insert(Node::Proxy(p));
                        self.reveal(Node::Proxy(p));
                    }
                    _ => self.say(format!("no proxy named `{arg}`"), true),
                }
            }
            "policy" if need_model(self) => {
                let m = self.model.as_ref().expect("checked");
                match m.find_policy(arg) {
                    Some(p) if !arg.is_empty() => {
                        self.show_view(View::Policies);
                        if !self.policy_rows.contains(&PRow::Policy(p)) {
                            self.mesh_filter = None;
                            self.set_filter(String::new());
                            self.rebuild_lists();
                        }
                        if let Some(i) = self.policy_rows.iter().position(|r| *r == PRow::Policy(p)) {
                            self.select_index(i);
                            self.policies.offset = i;
                            let h = self.list_height();
                            self.policies.fit(self.policy_rows.len(), h);
                        }
                    }
                    _ => self.say(format!("no policy named `{arg}`"), true),
                }
            }
            "mesh" if need_model(self) => {
                let m = self.model.as_ref().expect("checked");
                if arg.is_empty() || arg == "*" || arg == "all" {
                    self.mesh_filter = None;
                } else if m.meshes.iter().any(|g| g.name == arg) {
                    self.mesh_filter = Some(arg.to_string());
                } else {
                    let names: Vec<&str> = m.meshes.iter().map(|g| g.name.as_str()).collect();
                    self.say(format!("no mesh `{arg}` (meshes: {})", names.join(", ")), true);
                    return vec![];
                }
                self.rebuild_rows(self.selected_node());
                self.rebuild_lists();
                if self.selected_node().is_none() || self.tree.sel >= self.rows.len() {
                    self.tree = ListPos::default();
                }
            }
            "version" | "v" => match arg.parse::<KumaVersion>() {
                Ok(v) if self.model.is_none() => self.say(format!("still loading; try :version {v} again in a moment"), true),
                Ok(v) if v == self.version => self.say(format!("already showing Kuma {v}"), false),
                Ok(v) => {
                    self.pending_version = Some(v);
                    self.say(format!("re-resolving under Kuma {v}…"), false);
                    return vec![Effect::Resolve(v)];
                }
                Err(e) => self.say(e.to_string(), true),
            },
            "proxy" | "dp" | "policy" | "mesh" => {}
            other => self.say(
                format!("unknown command `{other}` (try :proxy, :policy, :mesh, :version, :findings, :q)"),
                true,
            ),
        }
        vec![]
    }
}

impl Model {
    fn mesh_of_node(&self, n: Node) -> usize {
        match n {
            Node::Mesh(m) => m as usize,
            Node::Proxy(p) | Node::Outbound(p, _) | Node::Backend(p, _, _) | Node::Pending(p) => {
                self.mesh_of[p as usize] as usize
            }
            Node::Placeholder => 0,
        }
    }
}

/// The children of a node, without allocating (the filter walks every node). A proxy
/// of a lazy model that is not resolved yet has one: its "resolving…" row.
fn children(m: &Model, n: Node) -> impl Iterator<Item = Node> + use<> {
    let (range, make): (std::ops::Range<u32>, fn(Node, u32) -> Node) = match n {
        Node::Mesh(mi) => {
            let g = &m.meshes[mi as usize].proxies;
            (g.start as u32..g.end as u32, |_, i| Node::Proxy(i))
        }
        Node::Proxy(p) if !m.is_resolved(p) => (0..1, |n, _| match n {
            Node::Proxy(p) => Node::Pending(p),
            n => n,
        }),
        Node::Proxy(p) => (0..m.proxy(p).outbounds.len() as u32, |n, i| match n {
            Node::Proxy(p) => Node::Outbound(p, i),
            n => n,
        }),
        Node::Outbound(p, o) => (0..m.outbound(p, o).backends.len() as u32, |n, i| match n {
            Node::Outbound(p, o) => Node::Backend(p, o, i),
            n => n,
        }),
        _ => (0..0, |n, _| n),
    };
    range.map(move |i| make(n, i))
}

/// Does the node's own text match `f` (lowercase, non-empty)?
pub fn node_matches(m: &Model, n: Node, f: &Needle) -> bool {
    !matches!(n, Node::Placeholder) && m.matches(n, f)
}

/// Push the rows of `n`'s subtree. With a filter (`hits`), a node that does not match
/// is shown only when something below it does, and is then held open; subtrees
/// without a match are skipped without being visited.
fn walk(m: &Model, opened: &NodeSet, n: Node, hits: Option<&Hits>, rows: &mut Vec<Node>) {
    match hits {
        Some(h) if !m.hit(h, n) => {
            if m.hit_below(h, n) {
                rows.push(n);
                for c in children(m, n) {
                    walk(m, opened, c, hits, rows);
                }
            }
        }
        _ => {
            rows.push(n);
            if opened.contains(&n) {
                for c in children(m, n) {
                    walk(m, opened, c, None, rows);
                }
            }
        }
    }
}

/// What differs between two reports, as nodes of the new one.
fn changes(old: &Model, new: &Model) -> NodeSet {
    let old_proxies = old.proxy_keys();
    let mut out = NodeSet::default();
    for pi in 0..new.report.proxies.len() as u32 {
        proxy_changes(old, &old_proxies, new, pi, &mut out);
    }
    out
}

/// What differs at proxy `pi` of `new` (and below it) from the same proxy in `old`.
/// Outbounds are compared only when both models have them (lazy mode).
fn proxy_changes(
    old: &Model,
    old_proxies: &HashMap<String, u32>,
    new: &Model,
    pi: u32,
    out: &mut NodeSet,
) {
    let p = new.proxy(pi);
    let pn = Node::Proxy(pi);
    let Some(&opi) = new.key(pn).and_then(|k| old_proxies.get(&k)) else {
        out.insert(pn);
        return;
    };
    let oldp = old.proxy(opi);
    // (Not `selected_by`: its order follows the version's precedence rules.)
    if oldp.tags != p.tags || oldp.proxy_type != p.proxy_type {
        out.insert(pn);
    }
    if !old.is_resolved(opi) || !new.is_resolved(pi) {
        return;
    }
    let old_idx = old.proxy_key_index(opi);
    for (oi, o) in p.outbounds.iter().enumerate() {
        let on = Node::Outbound(pi, oi as u32);
        match new.key(on).and_then(|k| old_idx.get(&k).copied()) {
            // Changed as `meshtcp diff` says: not a reason's wording or a policy's line.
            Some(Node::Outbound(a, b))
                if crate::report::diff::parts(old.outbound(a, b), o).is_empty() => {}
            Some(Node::Outbound(a, b)) => {
                out.insert(on);
                out.insert(pn);
                let ob = old.outbound(a, b);
                for (bi, bk) in o.backends.iter().enumerate() {
                    if !ob.backends.contains(bk) {
                        out.insert(Node::Backend(pi, oi as u32, bi as u32));
                    }
                }
            }
            _ => {
                out.insert(on);
                out.insert(pn);
            }
        }
    }
    if oldp.outbounds.len() != p.outbounds.len() {
        out.insert(pn);
    }
}

/// `no outbound`, `1 outbound`, `3 outbounds`.
fn counted(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {one}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// Outbounds that differ between two reports: those of `new` marked in `changed`
/// (new or different), and those of `old` that `new` no longer has.
/// `idx` is the new report's [`Model::key_index`].
fn outbounds_changed(old: &Model, idx: &HashMap<String, Node>, changed: &NodeSet) -> usize {
    let here = changed
        .iter()
        .filter(|n| matches!(n, Node::Outbound(..)))
        .count();
    let mut gone = 0;
    for (pi, p) in old.report.proxies.iter().enumerate() {
        for oi in 0..p.outbounds.len() as u32 {
            let n = Node::Outbound(pi as u32, oi);
            if old.key(n).is_none_or(|k| !idx.contains_key(&k)) {
                gone += 1;
            }
        }
    }
    here + gone
}

/// Proxies of `old` that `new` no longer has.
fn removed_proxies(old: &Model, new: &Model) -> usize {
    let keys = new.proxy_keys();
    (0..old.report.proxies.len() as u32)
        .filter(|&p| !keys.contains_key(&proxy_key_of(old, p)))
        .count()
}

fn proxy_key_of(m: &Model, p: u32) -> String {
    m.key(Node::Proxy(p)).unwrap_or_default()
}

/// The proxy a tree node belongs to.
fn proxy_of(n: Node) -> Option<u32> {
    match n {
        Node::Proxy(p) | Node::Pending(p) | Node::Outbound(p, _) | Node::Backend(p, _, _) => {
            Some(p)
        }
        Node::Mesh(_) | Node::Placeholder => None,
    }
}
