//! The app state. [`App::update`] is the only place state changes; it does no IO and
//! returns the [`Effect`]s the runtime must perform.

use super::action::{Action, Effect, Loaded, Progress, View};
use super::model::{
    Hits, Model, Needle, Node, NodeKey, NodeSet, PolicyKey, ProxyKey, changes, contains,
};
use super::render;
use crate::model::Location;
use crate::resolve::{KumaVersion, Status};
use crate::source::LoadStats;
use ratatui::layout::{Position, Rect};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

mod command;
mod input;
mod lazy;
mod load;
mod state;
mod tree;
mod yaml;

pub use state::{Changes, Filter, LazyState, Lists, Rows, StatusLine, TreeState};

/// How long a change stays marked after a reload.
pub const CHANGE_MARK: Duration = Duration::from_secs(4);
/// How long a message stays in the message line.
pub const MESSAGE_TIME: Duration = Duration::from_secs(6);
/// Lazy mode: resolved outbounds kept at most (1–2 KB each) before the proxies
/// resolved longest ago that are neither open nor selected give theirs back.
pub const KEEP_OUTBOUNDS: usize = 50_000;

/// What keys do now, with the state that exists only then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Normal,
    /// Typing the filter (`/`); it applies as it is typed.
    Filter { input: String },
    /// Typing a command (`:`).
    Command(CommandLine),
    /// The help overlay.
    Help { scroll: u16 },
    /// A source document over the screen.
    Yaml(YamlView),
}

/// The command line while it is typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    pub input: String,
    /// Up/Down: the entry of the history shown.
    history_pos: Option<usize>,
    /// Candidates for the word being typed.
    pub completions: Vec<String>,
}

impl Mode {
    /// The line being typed (filter or command).
    fn input_mut(&mut self) -> Option<&mut String> {
        match self {
            Mode::Filter { input } | Mode::Command(CommandLine { input, .. }) => Some(input),
            _ => None,
        }
    }
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

/// A Findings row: a finding, or one proxy it concerns (shown when the finding is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FRow {
    Finding(usize),
    /// (finding, index into its proxies)
    Proxy(usize, usize),
}

impl FRow {
    pub fn finding(self) -> usize {
        match self {
            FRow::Finding(f) | FRow::Proxy(f, _) => f,
        }
    }
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
    Finding(Option<FRow>),
}

/// A Policies row by what it shows: the policy, and for a use its (proxy, outbound).
type PolicyRowKey = (PolicyKey, Option<(u32, u32)>);

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
    pub sources_label: String,
    pub version: KumaVersion,
    pub color: bool,
    pub size: (u16, u16),
    pub now: Option<Instant>,
    pub tree: TreeState,
    pub lists: Lists,
    pub detail_scroll: u16,
    pub filter: Filter,
    /// Commands typed, oldest first.
    pub history: Vec<String>,
    /// Source documents read for the screen.
    pub sources: HashMap<Location, SourceText>,
    pub changes: Changes,
    pub lazy: LazyState,
    pub status: StatusLine,
    pub quit: bool,
    /// Quit by Ctrl-C: the process exits with 130.
    pub interrupted: bool,
}

impl App {
    pub fn new(sources_label: impl Into<String>, version: KumaVersion, color: bool) -> App {
        App {
            view: View::Tree,
            mode: Mode::Normal,
            model: None,
            sources_label: sources_label.into(),
            version,
            color,
            size: (120, 40),
            now: None,
            tree: TreeState::default(),
            lists: Lists::default(),
            detail_scroll: 0,
            filter: Filter::default(),
            history: Vec::new(),
            sources: HashMap::new(),
            changes: Changes::default(),
            lazy: LazyState::default(),
            status: StatusLine::default(),
            quit: false,
            interrupted: false,
        }
    }

    /// Is something animating (spinner, change marks, a message)? The runtime ticks faster then.
    pub fn animating(&self) -> bool {
        self.status.progress.is_some()
            || self.status.pending_version.is_some()
            || !self.lazy.requested.is_empty()
            || self.changes.until.is_some()
            || self.status.message.is_some()
    }

    pub fn selected_node(&self) -> Option<Node> {
        self.tree.rows.get(self.tree.pos.sel).copied()
    }

    pub fn selected_policy_row(&self) -> Option<PRow> {
        self.lists.policies.selected()
    }

    /// The finding of the selected Findings row.
    pub fn selected_finding(&self) -> Option<usize> {
        self.lists.findings.selected().map(FRow::finding)
    }

    pub fn selected_finding_row(&self) -> Option<FRow> {
        self.lists.findings.selected()
    }

    /// Are the children of the row at `idx` shown?
    pub fn is_open(&self, idx: usize) -> bool {
        let (Some(m), Some(n)) = (&self.model, self.tree.rows.get(idx)) else {
            return false;
        };
        self.tree
            .rows
            .get(idx + 1)
            .is_some_and(|c| m.parent(*c) == Some(*n))
    }

    /// Does the row's own text match the filter?
    pub fn node_matches(&self, n: Node) -> bool {
        let Some(m) = &self.model else { return false };
        let f = self.filter.text.to_lowercase();
        match &self.filter.hits {
            _ if f.is_empty() => false,
            Some(h) if h.text == f => m.hit(h, n),
            _ => m.node_matches(n, &Needle::new(&f)),
        }
    }

    /// Bring `hits` up to date with the filter and the model.
    fn refresh_hits(&mut self) {
        let f = self.filter.text.to_lowercase();
        if f.is_empty() {
            self.filter.hits = None;
            return;
        }
        if self.filter.hits.as_ref().is_some_and(|h| h.text == f) {
            return;
        }
        let prev = self.filter.hits.take();
        self.filter.hits = self.model.as_ref().map(|m| m.hits(&f, prev.as_ref()));
    }

    fn list_height(&self) -> usize {
        let l = render::layout(Rect::new(0, 0, self.size.0, self.size.1));
        l.list_inner.height.max(1) as usize
    }

    fn pos_mut(&mut self) -> (&mut ListPos, usize) {
        match self.view {
            View::Tree => (&mut self.tree.pos, self.tree.rows.len()),
            View::Policies => (&mut self.lists.policies.pos, self.lists.policies.rows.len()),
            View::Findings => (&mut self.lists.findings.pos, self.lists.findings.rows.len()),
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
        self.status.message = Some(Message {
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
        if let Some(m) = &mut self.status.message {
            m.about = Some(about);
        }
    }

    /// The selection of the view shown.
    pub fn selection(&self) -> Selection {
        match self.view {
            View::Tree => Selection::Tree(self.selected_node()),
            View::Policies => Selection::Policy(self.selected_policy_row()),
            View::Findings => Selection::Finding(self.selected_finding_row()),
        }
    }

    /// Apply one action. All state changes happen here; IO is returned as effects.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        match action {
            Action::Tick(now) => {
                self.now = Some(now);
                if self.status.load_started.is_none() && self.status.progress.is_some() {
                    self.status.load_started = Some(now);
                }
                if self.changes.until.is_some_and(|t| now >= t) {
                    self.changes.nodes.clear();
                    self.changes.until = None;
                }
                if let Some(m) = &mut self.status.message {
                    match m.at {
                        None => m.at = Some(now),
                        Some(at) if now.duration_since(at) >= MESSAGE_TIME => {
                            self.status.message = None
                        }
                        _ => {}
                    }
                }
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.refit();
            }
            Action::Progress(p) => self.status.progress = Some(p),
            Action::Loaded(l) => self.apply_loaded(*l),
            Action::Failed(e) => {
                self.status.pending_version = None;
                self.status.progress = None;
                self.say(e, true);
            }
            Action::ProxyResolved {
                generation,
                proxy,
                report,
            } => {
                if generation == self.lazy.generation && self.lazy.requested.remove(&proxy) {
                    self.apply_proxy(proxy, *report);
                }
            }
            Action::FindingsArrived {
                generation,
                findings,
            } => {
                if generation == self.lazy.generation {
                    self.apply_findings(findings);
                }
            }
            Action::ProxySkipped { generation, proxy } => {
                if generation == self.lazy.generation {
                    self.lazy.requested.remove(&proxy);
                }
            }
            Action::ClusterStatus(s) => self.status.cluster = Some(s),
            Action::ClusterChanged(what) => self.say(what, false),
            Action::Watching(what) => {
                self.status.progress = Some(Progress::default());
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
            a if matches!(self.mode, Mode::Help { .. } | Mode::Yaml(_)) => self.update_overlay(a),
            a if matches!(self.mode, Mode::Filter { .. } | Mode::Command(_)) => {
                fx.extend(self.update_input(a))
            }
            a => fx.extend(self.update_normal(a)),
        }
        if self
            .status
            .message
            .as_ref()
            .and_then(|m| m.about)
            .is_some_and(|s| s != self.selection())
        {
            self.status.message = None;
        }
        fx.extend(self.wanted_source());
        fx.extend(self.wanted_proxies());
        fx
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
