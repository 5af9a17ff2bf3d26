//! App state tests: key → action → state, with no terminal. Fixtures are loaded through
//! the real loader and engine, so the app always sees the engine's model.

use super::action::{self, Action, Effect, View};
use super::app::{App, FRow, Mode, PRow, SourceText};
use super::keymap::map_key;
use super::model::Node;
use super::runtime::{extract_document, read_document};
use crate::model::Location;
use crate::resolve::{Engine, KumaVersion, ProxyCache, Status};
use crate::source::{self, Source};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::time::{Duration, Instant};

mod command;
mod input;
mod lazy;
mod lists;
mod load;
mod tree;
mod yaml;

const FIXTURE: &str = "tests/fixtures/tui/mesh";

fn loaded_action(dir: &Path, version: KumaVersion, replace: bool, now: Instant) -> Action {
    let loaded = source::load(&[Source::Path(dir.to_path_buf())]);
    Action::Loaded(Box::new(
        action::Loaded::new(
            super::resolve_loaded(&loaded, version),
            loaded.stats.clone(),
            replace,
            now,
        )
        .with_sources(&loaded.snapshot.resources),
    ))
}

fn app() -> App {
    let mut app = App::new(FIXTURE, KumaVersion::DEFAULT, false);
    app.update(Action::Resize(120, 40));
    app.update(loaded_action(
        Path::new(FIXTURE),
        KumaVersion::DEFAULT,
        false,
        Instant::now(),
    ));
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    key_mod(app, code, KeyModifiers::NONE)
}

fn key_mod(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    match map_key(app, KeyEvent::new(code, mods)) {
        Some(a) => app.update(a),
        None => vec![],
    }
}

fn typed(app: &mut App, s: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in s.chars() {
        fx.extend(key(app, KeyCode::Char(c)));
    }
    fx
}

fn sel_name(app: &App) -> String {
    let m = app.model.as_ref().unwrap();
    match app.selected_node().unwrap() {
        Node::Mesh(i) => format!("mesh {}", m.meshes[i as usize].name),
        Node::Proxy(p) => m.proxy(p).name.clone(),
        Node::Outbound(p, o) => format!(
            "{} → {}",
            m.proxy(p).name,
            m.outbound(p, o).destination.label()
        ),
        Node::Backend(p, o, b) => format!(
            "{} → {} ⇢ {}",
            m.proxy(p).name,
            m.outbound(p, o).destination.label(),
            m.outbound(p, o).backends[b as usize].name
        ),
        Node::Pending(p) => format!("{} (resolving)", m.proxy(p).name),
        Node::Placeholder => "?".into(),
    }
}

fn m_len(a: &App) -> usize {
    a.model.as_ref().unwrap().meshes.len()
}

/// Every node of the model in tree order.
fn all_nodes(m: &super::model::Model) -> Vec<Node> {
    let mut out = Vec::new();
    for (mi, g) in m.meshes.iter().enumerate() {
        out.push(Node::Mesh(mi as u32));
        for p in g.proxies.clone() {
            let p = p as u32;
            out.push(Node::Proxy(p));
            for (o, ob) in m.proxy(p).outbounds.iter().enumerate() {
                out.push(Node::Outbound(p, o as u32));
                for b in 0..ob.backends.len() {
                    out.push(Node::Backend(p, o as u32, b as u32));
                }
            }
        }
    }
    out
}

/// In the Findings view, move down to the first finding with `code`.
fn move_to_finding(a: &mut App, code: &str) {
    let m = a.model.as_ref().unwrap();
    let i = a
        .lists
        .findings
        .rows
        .iter()
        .position(|&f| m.report.findings[f.finding()].code.as_str() == code)
        .unwrap();
    for _ in 0..i {
        key(a, KeyCode::Char('j'));
    }
}

fn tab_col(v: View) -> u16 {
    (0..120)
        .find(|c| super::render::tab_at(*c) == Some(v))
        .unwrap()
}

/// The fixture in lazy mode (threshold 0), and what answers the app's proxy requests
/// the way the runtime's resolver thread does.
struct LazyMesh {
    loaded: source::Loaded,
    version: KumaVersion,
    ids: Vec<crate::resolve::ProxyId>,
    generation: u64,
}

impl LazyMesh {
    fn new(dir: &Path, version: KumaVersion, generation: u64) -> LazyMesh {
        let loaded = source::load(&[Source::Path(dir.to_path_buf())]);
        let ids = match super::prepare(&Engine::new(&loaded.snapshot, version), &loaded, 0) {
            super::Prepared::Lazy(sk) => sk.ids,
            super::Prepared::Full(_) => panic!("threshold 0 makes any mesh with outbounds lazy"),
        };
        LazyMesh {
            loaded,
            version,
            ids,
            generation,
        }
    }

    fn loaded(&self, replace: bool, now: Instant) -> Action {
        let engine = Engine::new(&self.loaded.snapshot, self.version);
        let super::Prepared::Lazy(sk) = super::prepare(&engine, &self.loaded, 0) else {
            panic!("lazy")
        };
        Action::Loaded(Box::new(self.shown(sk, replace, now)))
    }

    /// The lazy model of `sk`, as the runtime builds it.
    fn shown(&self, sk: crate::resolve::Skeleton, replace: bool, now: Instant) -> action::Loaded {
        action::Loaded::lazy(
            sk.report,
            sk.outbounds,
            self.loaded.stats.clone(),
            replace,
            now,
            self.generation,
        )
        .with_sources(&self.loaded.snapshot.resources)
    }

    /// What the runtime sends first on a large mesh's first load: the proxies, with the
    /// loader's findings only (see [`crate::pipeline::proxies`]).
    fn proxies_first(&self, now: Instant) -> Action {
        let engine = Engine::new(&self.loaded.snapshot, self.version);
        let filter = crate::resolve::Filter::default();
        let sk = crate::pipeline::proxies(&engine, self.loaded.findings.clone(), &filter);
        Action::Loaded(Box::new(self.shown(sk, false, now).findings_pending()))
    }

    /// What follows [`LazyMesh::proxies_first`] once the findings pass is over.
    fn findings(&self, generation: u64) -> Action {
        let engine = Engine::new(&self.loaded.snapshot, self.version);
        let filter = crate::resolve::Filter::default();
        Action::FindingsArrived {
            generation,
            findings: crate::pipeline::check(&engine, self.loaded.findings.clone(), &filter)
                .findings,
        }
    }

    /// The answers to the proxy requests among `fx`.
    fn answer(&self, fx: &[Effect]) -> Vec<Action> {
        let engine = Engine::new(&self.loaded.snapshot, self.version);
        let mut cache = ProxyCache::default();
        fx.iter()
            .filter_map(|e| match *e {
                Effect::ResolveProxy {
                    generation, proxy, ..
                } => Some(Action::ProxyResolved {
                    generation,
                    proxy,
                    report: Box::new(
                        engine
                            .resolve_id(self.ids[proxy as usize], &mut cache)
                            .unwrap(),
                    ),
                }),
                _ => None,
            })
            .collect()
    }
}

fn requests(fx: &[Effect]) -> Vec<(u64, u32, bool)> {
    fx.iter()
        .filter_map(|e| match *e {
            Effect::ResolveProxy {
                generation,
                proxy,
                opened,
            } => Some((generation, proxy, opened)),
            _ => None,
        })
        .collect()
}

/// Answer `fx` and whatever the answers ask for in turn.
fn serve(a: &mut App, mesh: &LazyMesh, mut fx: Vec<Effect>) {
    while !requests(&fx).is_empty() {
        let mut next = Vec::new();
        for act in mesh.answer(&fx) {
            next.extend(a.update(act));
        }
        fx = next;
    }
}

/// A lazy app on the fixture, before answering the first request; its effects.
fn lazy_app() -> (App, LazyMesh, Vec<Effect>) {
    let mesh = LazyMesh::new(Path::new(FIXTURE), KumaVersion::DEFAULT, 7);
    let mut a = App::new(FIXTURE, KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    let fx = a.update(mesh.loaded(false, Instant::now()));
    (a, mesh, fx)
}

fn proxy_named(a: &App, name: &str) -> u32 {
    a.model.as_ref().unwrap().find_proxy(name).unwrap()
}

fn screen(a: &App) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 40)).unwrap();
    t.draw(|f| super::render(a, f)).unwrap();
    let buf = t.backend().buffer();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// A copy of the fixture in a temporary directory, plus `extra` as `zz-extra.yaml`.
fn fixture_copy(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    if !extra.is_empty() {
        std::fs::write(dir.path().join("zz-extra.yaml"), extra).unwrap();
    }
    dir
}

fn app_on(dir: &Path) -> App {
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded_action(
        dir,
        KumaVersion::DEFAULT,
        false,
        Instant::now(),
    ));
    a
}

/// Route policies that act on no outbound of the fixture: one selects every proxy but
/// names a service nobody has (a typo), one selects no proxy, one the control plane
/// refuses.
const IDLE_POLICIES: &str = "tests/fixtures/tui/idle-policies.yaml";

/// Type `:LINE` and Enter; the effects of the Enter.
fn typed_command(a: &mut App, line: &str) -> Vec<Effect> {
    key(a, KeyCode::Char(':'));
    typed(a, line);
    key(a, KeyCode::Enter)
}
