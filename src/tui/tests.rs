//! App state tests: key → action → state, with no terminal. Fixtures are loaded through
//! the real loader and engine, so the app always sees the engine's model.

use super::action::{self, Action, Effect, View};
use super::app::{App, Mode, PRow, SourceText};
use super::keymap::map_key;
use super::model::Node;
use super::runtime::{extract_document, read_document};
use crate::model::Location;
use crate::resolve::{Engine, KumaVersion, ProxyCache, Status};
use crate::source::{self, Source};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::time::{Duration, Instant};

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

#[test]
fn loading_state_then_first_proxy_with_outbounds_selected_and_expanded() {
    let mut a = App::new(FIXTURE, KumaVersion::DEFAULT, false);
    assert!(
        a.progress.is_some(),
        "a new app shows progress until the model arrives"
    );
    assert!(a.model.is_none());
    // Keys before the model arrives are harmless.
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('*'));
    assert!(a.rows.is_empty());
    a.update(loaded_action(
        Path::new(FIXTURE),
        KumaVersion::DEFAULT,
        false,
        Instant::now(),
    ));
    assert!(a.progress.is_none());
    assert_eq!(sel_name(&a), "edge-gateway-1");
    assert!(
        a.is_open(a.tree.sel),
        "the first proxy with outbounds is expanded"
    );
    assert_eq!(a.rows[0], Node::Mesh(0));
}

#[test]
fn moving_with_keys() {
    let mut a = app();
    let start = a.tree.sel;
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.tree.sel, start + 1);
    key(&mut a, KeyCode::Down);
    assert_eq!(a.tree.sel, start + 2);
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Up);
    assert_eq!(a.tree.sel, start);
    key(&mut a, KeyCode::Home);
    assert_eq!(a.tree.sel, 0);
    key(&mut a, KeyCode::End);
    assert_eq!(a.tree.sel, a.rows.len() - 1);
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.tree.sel, a.rows.len() - 1, "no move past the end");
}

#[test]
fn expand_collapse_and_parent() {
    let mut a = app();
    typed(&mut a, ":proxy web-1");
    key(&mut a, KeyCode::Enter);
    assert_eq!(sel_name(&a), "web-1");
    assert!(a.is_open(a.tree.sel), ":proxy opens the proxy");
    key(&mut a, KeyCode::Char('l'));
    assert_eq!(
        sel_name(&a),
        "web-1 → backend:10001",
        "→ on an open node goes to its first child"
    );
    key(&mut a, KeyCode::Right);
    assert!(a.is_open(a.tree.sel));
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(sel_name(&a), "web-1 → backend:10001 ⇢ backend-v1");
    key(&mut a, KeyCode::Char('h'));
    assert_eq!(
        sel_name(&a),
        "web-1 → backend:10001",
        "← on a leaf goes to the parent"
    );
    key(&mut a, KeyCode::Left);
    assert!(!a.is_open(a.tree.sel), "← collapses");
    key(&mut a, KeyCode::Char(' '));
    assert!(a.is_open(a.tree.sel), "space toggles");
}

#[test]
fn expand_all_and_collapse_all() {
    let mut a = app();
    key(&mut a, KeyCode::Char('*'));
    let m = a.model.as_ref().unwrap();
    let total: usize = m.meshes.len()
        + m.report.proxies.len()
        + m.report
            .proxies
            .iter()
            .map(|p| {
                p.outbounds.len() + p.outbounds.iter().map(|o| o.backends.len()).sum::<usize>()
            })
            .sum::<usize>();
    assert_eq!(a.rows.len(), total, "* shows every node");
    let before = a.selected_node();
    key(&mut a, KeyCode::Char('-'));
    assert_eq!(a.rows.len(), m_len(&a), "- leaves the meshes");
    assert!(
        matches!(a.selected_node(), Some(Node::Mesh(_))),
        "selection moves to the visible ancestor, was {before:?}"
    );
}

fn m_len(a: &App) -> usize {
    a.model.as_ref().unwrap().meshes.len()
}

#[test]
fn incremental_filter_next_previous_and_escape() {
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(a.mode, Mode::Filter);
    typed(&mut a, "canary");
    assert_eq!(a.filter, "canary", "the filter follows each key");
    assert!(
        a.selected_node().is_some_and(|n| a.node_matches(n)),
        "the selection lands on a match"
    );
    // Only matches and their ancestors are shown.
    assert!(a.rows.iter().all(|n| {
        a.node_matches(*n)
            || a.rows
                .iter()
                .any(|c| a.model.as_ref().unwrap().ancestors(*c).contains(n))
    }));
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.filter, "canary", "Enter keeps the filter");
    let first = a.tree.sel;
    key(&mut a, KeyCode::Char('n'));
    let second = a.tree.sel;
    assert_ne!(first, second, "n goes to the next match");
    assert!(a.node_matches(a.selected_node().unwrap()));
    key(&mut a, KeyCode::Char('N'));
    assert_eq!(a.tree.sel, first, "N goes back");
    let filtered = a.rows.len();
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.filter, "");
    assert!(a.rows.len() > filtered, "Esc clears the filter");
    // Esc while typing also clears.
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "web");
    key(&mut a, KeyCode::Esc);
    assert_eq!((a.filter.as_str(), a.mode), ("", Mode::Normal));
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

#[test]
fn filter_rows_and_narrowing_agree_with_a_plain_search() {
    use super::model::Needle;
    let mut a = app();
    key(&mut a, KeyCode::Char('*'));
    let m = a.model.clone().unwrap();
    let nodes = all_nodes(&m);
    for text in [
        "canary",
        "web-",
        "api-tcp",
        "version=v2",
        "tcp",
        "zzz",
        "Mesh",
    ] {
        key(&mut a, KeyCode::Char('/'));
        // Typed one key at a time: each step narrows the previous step's hits.
        typed(&mut a, text);
        let lower = text.to_lowercase();
        let needle = Needle::new(&lower);
        let own = |n: Node| m.matches(n, &needle);
        // With every node open: a node is shown when it, a node below it, or a node
        // above it matches; in tree order.
        let expected: Vec<Node> = nodes
            .iter()
            .copied()
            .filter(|&n| {
                own(n)
                    || m.ancestors(n).into_iter().any(own)
                    || nodes.iter().any(|&c| own(c) && m.ancestors(c).contains(&n))
            })
            .collect();
        assert_eq!(a.rows, expected, "rows for /{text}");
        for &n in &nodes {
            assert_eq!(a.node_matches(n), own(n), "/{text}: {n:?}");
        }
        // Narrowed hits equal hits computed from scratch; hits for an unrelated text
        // are not used as a shortcut.
        let scratch = m.hits(&lower, None);
        let stepwise =
            (1..=lower.len()).fold(None, |prev, i| Some(m.hits(&lower[..i], prev.as_ref())));
        assert_eq!(stepwise.as_ref(), Some(&scratch), "/{text}");
        assert_eq!(m.hits(&lower, Some(&m.hits("q", None))), scratch, "/{text}");
        key(&mut a, KeyCode::Esc);
    }
}

#[test]
fn filter_matches_tags_and_policy_names() {
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "version=v2");
    let m = a.model.as_ref().unwrap();
    assert!(
        a.rows
            .iter()
            .any(|n| matches!(n, Node::Proxy(p) if m.proxy(*p).name == "web-2")),
        "a tag matches"
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "api-tcp-shortcut");
    let m = a.model.as_ref().unwrap();
    assert!(
        a.rows.iter().any(
            |n| matches!(n, Node::Outbound(p, o) if m.outbound(*p, *o).destination.name == "api")
        ),
        "a policy name matches its outbounds"
    );
}

#[test]
fn command_line_quit_version_and_completion() {
    let mut a = app();
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "pro");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input, "proxy ");
    typed(&mut a, "we");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input, "proxy web-", "Tab completes the common prefix");
    assert_eq!(a.completions, vec!["web-1", "web-2"]);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Normal);

    let sel = a.selected_node();
    typed(&mut a, ":version 2.9");
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Resolve(KumaVersion::new(2, 9))]);
    assert_eq!(a.pending_version, Some(KumaVersion::new(2, 9)));
    // The runtime re-resolves on the loaded snapshot and sends the model back.
    a.update(loaded_action(
        Path::new(FIXTURE),
        KumaVersion::new(2, 9),
        true,
        Instant::now(),
    ));
    assert_eq!(a.version, KumaVersion::new(2, 9));
    assert_eq!(a.pending_version, None);
    assert_eq!(a.selected_node(), sel, "selection kept across versions");

    typed(&mut a, ":version 9.9");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(
        a.message.as_ref().is_some_and(|m| m.error),
        "a bad version is an error message"
    );

    typed(&mut a, ":q");
    assert_eq!(key(&mut a, KeyCode::Enter), vec![Effect::Quit]);
    assert!(a.quit);
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut a = app();
    assert_eq!(key(&mut a, KeyCode::Char('q')), vec![Effect::Quit]);
    assert!(!a.interrupted, "q is a plain quit (exit 0)");
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(
        key_mod(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL),
        vec![Effect::Quit],
        "Ctrl-C quits even while typing"
    );
    assert!(a.interrupted, "Ctrl-C is an interrupt: exit code 130");
    let mut a = app();
    a.update(Action::ShowHelp);
    key_mod(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(a.quit && a.interrupted, "and from an overlay");
}

#[test]
fn mesh_and_policy_commands() {
    let mut a = app();
    typed(&mut a, ":mesh nope");
    key(&mut a, KeyCode::Enter);
    assert!(a.message.as_ref().unwrap().error);
    assert_eq!(a.mesh_filter, None);
    typed(&mut a, ":policy redis-http");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Policies);
    let m = a.model.as_ref().unwrap();
    match a.selected_policy_row() {
        Some(PRow::Policy(p)) => assert_eq!(m.policies[p].name, "redis-http"),
        r => panic!("{r:?}"),
    }
}

/// In the Findings view, move down to the first finding with `code`.
fn move_to_finding(a: &mut App, code: &str) {
    let m = a.model.as_ref().unwrap();
    let i = a
        .finding_rows
        .iter()
        .position(|&f| m.report.findings[f].code.as_str() == code)
        .unwrap();
    for _ in 0..i {
        key(a, KeyCode::Char('j'));
    }
}

#[test]
fn views_switch_and_findings_jump_to_the_node() {
    let mut a = app();
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.view, View::Policies);
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.view, View::Findings);
    key(&mut a, KeyCode::BackTab);
    assert_eq!(a.view, View::Policies);
    key(&mut a, KeyCode::Char('3'));
    assert_eq!(a.view, View::Findings);
    move_to_finding(&mut a, "tcproute-ignored-by-httproute");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Tree);
    assert_eq!(sel_name(&a), "web-1 → api:10003");
}

#[test]
fn policies_view_lists_every_route_policy_with_status() {
    let a = app();
    let m = a.model.as_ref().unwrap();
    let p = m
        .policies
        .iter()
        .find(|p| p.name == "api-tcp-shortcut")
        .unwrap();
    assert!(p.uses.iter().all(|u| u.2 == Status::Ignored));
    assert_eq!(p.uses.len(), 2);
    let tr = m
        .policies
        .iter()
        .find(|p| p.kind == "TrafficRoute")
        .unwrap();
    assert!(tr.count(Status::Overridden) > 0);
}

#[test]
fn policy_selection_asks_for_its_yaml_and_y_opens_the_source() {
    let mut a = app();
    let fx = key(&mut a, KeyCode::Tab);
    let Some(Effect::ReadSource(loc)) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    assert!(
        loc.file.ends_with("routes.yaml")
            || loc.file.ends_with("legacy.yaml")
            || loc.file.ends_with("gateway.yaml")
    );
    assert_eq!(a.sources.get(&loc), Some(&SourceText::Pending));
    // Moving away and back does not ask twice.
    key(&mut a, KeyCode::Char('j'));
    assert!(key(&mut a, KeyCode::Char('k')).is_empty());

    let mut a = app();
    typed(&mut a, ":proxy web-1");
    key(&mut a, KeyCode::Enter);
    let fx = key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.mode, Mode::Yaml);
    let Some(Effect::ReadSource(loc)) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    assert!(loc.file.ends_with("dataplanes.yaml"), "{loc:?}");
    let text = read_document(&[Source::Path(FIXTURE.into())], &loc);
    assert!(text.as_ref().unwrap().contains("name: web-1"), "{text:?}");
    a.update(Action::SourceText {
        location: loc.clone(),
        text,
    });
    assert!(matches!(a.sources.get(&loc), Some(SourceText::Ready(_))));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn reload_keeps_selection_and_expansion_and_marks_changes_for_a_while() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let t0 = Instant::now();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, false, t0));
    typed(&mut a, ":proxy web-1");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('l'));
    key(&mut a, KeyCode::Char('l'));
    let sel = sel_name(&a);
    let opened = a.opened.len();
    assert_eq!(sel, "web-1 → backend:10001");

    let routes = dir.path().join("routes.yaml");
    let text = std::fs::read_to_string(&routes).unwrap();
    assert!(text.contains("weight: 90"));
    std::fs::write(&routes, text.replace("weight: 90", "weight: 70")).unwrap();
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert_eq!(sel_name(&a), sel, "selection kept");
    assert_eq!(a.opened.len(), opened, "expansion kept");
    let (p, o) = match a.selected_node() {
        Some(Node::Outbound(p, o)) => (p, o),
        n => panic!("{n:?}"),
    };
    assert!(
        a.changed.contains(&Node::Outbound(p, o)),
        "the changed outbound is marked"
    );
    assert!(a.changed.contains(&Node::Proxy(p)));
    let api = a
        .model
        .as_ref()
        .unwrap()
        .proxy(p)
        .outbounds
        .iter()
        .position(|x| x.destination.name == "api")
        .unwrap();
    assert!(
        !a.changed.contains(&Node::Outbound(p, api as u32)),
        "unchanged outbounds are not marked"
    );
    a.update(Action::Tick(t0 + Duration::from_secs(1)));
    assert!(!a.changed.is_empty(), "marks stay for a few seconds");
    a.update(Action::Tick(t0 + Duration::from_secs(10)));
    assert!(a.changed.is_empty(), "then they go");
}

#[test]
fn broken_file_shows_its_finding_and_the_rest_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    std::fs::write(
        dir.path().join("zz-broken.yaml"),
        "type: MeshTCPRoute\nname: [unclosed\n",
    )
    .unwrap();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(loaded_action(
        dir.path(),
        KumaVersion::DEFAULT,
        false,
        Instant::now(),
    ));
    let m = a.model.as_ref().unwrap();
    assert!(m.report.findings.iter().any(|f| {
        f.code.as_str() == "parse-error"
            && f.location
                .as_ref()
                .is_some_and(|l| l.file.ends_with("zz-broken.yaml"))
    }));
    assert!(m.find_proxy("web-1").is_some());
}

#[test]
fn mouse_click_selects_and_double_click_toggles() {
    let mut a = app();
    let l = super::render::layout(ratatui::layout::Rect::new(0, 0, 120, 40));
    let row = l.list_inner.y + 1;
    a.update(Action::Click {
        col: l.list_inner.x + 3,
        row,
    });
    assert_eq!(a.tree.sel, 1);
    let was_open = a.is_open(1);
    a.update(Action::DoubleClick {
        col: l.list_inner.x + 3,
        row,
    });
    assert_ne!(
        a.is_open(1),
        was_open || !a.model.as_ref().unwrap().has_children(a.rows[1])
    );
    a.update(Action::ScrollDown {
        col: l.list_inner.x + 3,
        row,
    });
    assert_eq!(a.tree.sel, 4, "the wheel moves three rows");
    a.update(Action::Click {
        col: tab_col(View::Findings),
        row: 0,
    });
    assert_eq!(a.view, View::Findings, "clicking a tab switches the view");
}

fn tab_col(v: View) -> u16 {
    (0..120)
        .find(|c| super::render::tab_at(*c) == Some(v))
        .unwrap()
}

#[test]
fn help_overlay_lists_the_keys_of_the_view() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    assert_eq!(a.mode, Mode::Help);
    let keys: Vec<&str> = super::keymap::help(View::Tree)
        .iter()
        .map(|k| k.0)
        .collect();
    assert!(
        keys.contains(&"*") && keys.contains(&"-"),
        "tree keys are listed"
    );
    let keys: Vec<&str> = super::keymap::help(View::Findings)
        .iter()
        .map(|k| k.0)
        .collect();
    assert!(
        !keys.contains(&"*"),
        "tree-only keys are not listed elsewhere"
    );
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn page_keys_move_by_a_screen() {
    let mut a = app();
    key(&mut a, KeyCode::Char('*'));
    key(&mut a, KeyCode::Home);
    a.update(Action::Resize(120, 14));
    key(&mut a, KeyCode::PageDown);
    let h = super::render::layout(ratatui::layout::Rect::new(0, 0, 120, 14))
        .list_inner
        .height as usize;
    assert_eq!(a.tree.sel, h);
    assert!(
        a.tree.offset > 0 && a.tree.sel < a.tree.offset + h,
        "the selection stays in view"
    );
    key(&mut a, KeyCode::PageUp);
    assert_eq!(a.tree.sel, 0);
}

#[test]
fn extract_document_stops_at_the_next_separator() {
    let text = "---\na: 1\nb: 2\n---\nc: 3\n";
    assert_eq!(extract_document(text, 1), "a: 1\nb: 2");
    assert_eq!(extract_document(text, 2), "a: 1\nb: 2");
    assert_eq!(extract_document(text, 5), "c: 3");
    let demo = read_document(
        &[Source::Demo],
        &Location {
            file: "assets/demo/universal/routes.yaml".into(),
            line: 2,
        },
    )
    .unwrap();
    assert!(
        demo.starts_with("type: MeshTCPRoute"),
        "demo files come from the binary: {demo}"
    );
    assert!(
        read_document(
            &[],
            &Location {
                file: "/nonexistent/x.yaml".into(),
                line: 1
            }
        )
        .is_err()
    );
}

// ---- lazy mode (a large mesh: proxies resolved on demand) -------------------------

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
        Action::Loaded(Box::new(
            action::Loaded::lazy(
                sk.report,
                sk.outbounds,
                self.loaded.stats.clone(),
                replace,
                now,
                self.generation,
            )
            .with_sources(&self.loaded.snapshot.resources),
        ))
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

#[test]
fn engine_resolves_any_proxy_of_the_skeleton_like_the_full_report() {
    // The demo (gateways, legacy routes, two meshes) and the fixture, in any order and
    // with one cache shared by every request: each proxy equals its full-report self.
    let sources = [Source::Demo, Source::Path(FIXTURE.into())];
    for src in sources {
        let loaded = source::load(std::slice::from_ref(&src));
        for v in [KumaVersion::DEFAULT, "2.5".parse().unwrap()] {
            let engine = Engine::new(&loaded.snapshot, v);
            let full = super::resolve_loaded(&loaded, v);
            let super::Prepared::Lazy(sk) = super::prepare(&engine, &loaded, 0) else {
                panic!("lazy")
            };
            assert_eq!(
                sk.report.findings, full.findings,
                "{src:?} {v}: same findings"
            );
            assert_eq!(sk.report.proxies.len(), full.proxies.len());
            let mut cache = ProxyCache::default();
            let n = sk.ids.len();
            for i in (0..n).rev().chain(0..n) {
                let skel = &sk.report.proxies[i];
                let want = &full.proxies[i];
                assert!(skel.outbounds.is_empty());
                assert_eq!(
                    sk.outbounds[i] as usize,
                    want.outbounds.len(),
                    "count of {}",
                    want.name
                );
                let mut bare = want.clone();
                bare.outbounds.clear();
                assert_eq!(skel, &bare, "{src:?} {v}: skeleton of {}", want.name);
                let got = engine.resolve_id(sk.ids[i], &mut cache).unwrap();
                assert_eq!(&got, want, "{src:?} {v}: {}", want.name);
            }
        }
    }
}

#[test]
fn lazy_load_shows_every_proxy_and_finding_and_asks_for_the_first_proxy() {
    let eager = app();
    let (a, mesh, fx) = lazy_app();
    let (m, em) = (a.model.as_ref().unwrap(), eager.model.as_ref().unwrap());
    assert!(m.is_lazy() && !em.is_lazy());
    assert_eq!(
        m.report.findings, em.report.findings,
        "findings are complete"
    );
    assert_eq!(
        m.proxy_counts, em.proxy_counts,
        "per-proxy warning counts are right"
    );
    assert_eq!(m.proxy_names(), em.proxy_names());
    assert_eq!(
        sel_name(&a),
        sel_name(&eager),
        "the same first proxy is selected"
    );
    let p = proxy_named(&a, "edge-gateway-1");
    assert_eq!(requests(&fx), vec![(7, p, true)], "and asked for, once");
    assert_eq!(
        a.rows[a.tree.sel + 1],
        Node::Pending(p),
        "resolving… under it"
    );
    assert!(a.is_open(a.tree.sel));
    let s = screen(&a);
    assert!(s.contains("resolving 2 outbounds…"), "{s}");
    assert!(s.contains("proxies resolved, 1 resolving"), "{s}");
    // Nothing is asked twice while the answer is on its way.
    let mut a = a;
    assert!(requests(&key(&mut a, KeyCode::Char('j'))).is_empty());
    assert!(requests(&key(&mut a, KeyCode::Char('k'))).is_empty());
    // The answer fills the tree: the same rows as resolving everything up front.
    serve(&mut a, &mesh, fx);
    assert!(a.requested.is_empty());
    assert_eq!(a.rows, eager.rows);
    assert_eq!(
        a.model.as_ref().unwrap().proxy(p),
        eager.model.as_ref().unwrap().proxy(p)
    );
    assert_eq!(sel_name(&a), "edge-gateway-1");
}

#[test]
fn expanding_a_pending_proxy_asks_for_it_and_the_answer_fills_the_tree() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    let web1 = proxy_named(&a, "web-1");
    assert!(!a.model.as_ref().unwrap().is_resolved(web1));
    // Selecting a proxy asks for it (a request a later selection may supersede).
    let fx = typed(&mut a, ":proxy web-1");
    assert!(requests(&fx).is_empty());
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(
        requests(&fx),
        vec![(7, web1, true)],
        ":proxy opens it: {fx:?}"
    );
    assert_eq!(a.rows[a.tree.sel + 1], Node::Pending(web1));
    // → on the open proxy goes to its "resolving…" row.
    key(&mut a, KeyCode::Char('l'));
    assert_eq!(a.selected_node(), Some(Node::Pending(web1)));
    let s = screen(&a);
    assert!(s.contains("Resolving the 4 outbounds of web-1…"), "{s}");
    serve(&mut a, &mesh, fx);
    assert_eq!(
        sel_name(&a),
        "web-1 → backend:10001",
        "the resolving row gives way to the first outbound"
    );
    key(&mut a, KeyCode::Char('l'));
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(sel_name(&a), "web-1 → backend:10001 ⇢ backend-v1");
    // Moving onto another proxy asks for it as a selection only.
    let web2 = proxy_named(&a, "web-2");
    let mut fx = Vec::new();
    while a.selected_node() != Some(Node::Proxy(web2)) {
        fx.extend(key(&mut a, KeyCode::Char('j')));
    }
    assert_eq!(requests(&fx), vec![(7, web2, false)]);
    // A dropped selection request is asked again while the proxy is still selected.
    let fx = a.update(Action::ProxySkipped {
        generation: 7,
        proxy: web2,
    });
    assert_eq!(requests(&fx), vec![(7, web2, false)]);
    serve(&mut a, &mesh, fx);
    assert!(a.model.as_ref().unwrap().is_resolved(web2));
    assert!(!a.is_open(a.tree.sel), "selected, resolved, not opened");
}

#[test]
fn a_stale_or_unasked_answer_is_ignored() {
    let (mut a, mesh, fx) = lazy_app();
    let before = a.model.clone();
    let rows = a.rows.clone();
    // The same answer from an older generation (a reload or :version overtook it).
    let old = LazyMesh {
        generation: 6,
        ..LazyMesh::new(Path::new(FIXTURE), KumaVersion::DEFAULT, 6)
    };
    let stale: Vec<Effect> = fx
        .iter()
        .map(|e| match *e {
            Effect::ResolveProxy { proxy, opened, .. } => Effect::ResolveProxy {
                generation: 6,
                proxy,
                opened,
            },
            ref e => e.clone(),
        })
        .collect();
    for act in old.answer(&stale) {
        a.update(act);
    }
    assert_eq!(a.model, before, "an answer of generation 6 changes nothing");
    assert_eq!(a.rows, rows);
    assert_eq!(
        a.requested.len(),
        1,
        "the request of generation 7 still waits"
    );
    // An answer for a proxy nobody asked for is ignored too.
    let web1 = proxy_named(&a, "web-1");
    let fx_web1 = vec![Effect::ResolveProxy {
        generation: 7,
        proxy: web1,
        opened: true,
    }];
    for act in mesh.answer(&fx_web1) {
        a.update(act);
    }
    assert!(!a.model.as_ref().unwrap().is_resolved(web1));
    serve(&mut a, &mesh, fx);
    assert_eq!(a.requested.len(), 0);
}

#[test]
fn lazy_filter_searches_proxies_and_resolved_outbounds_only_and_says_so() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    // `canary` names route policies on web-1's and web-2's outbounds: not resolved yet.
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "canary");
    key(&mut a, KeyCode::Enter);
    assert!(a.rows.is_empty(), "{:?}", a.rows);
    let msg = a.message.as_ref().unwrap().text.clone();
    assert!(
        msg.contains("it searches every proxy, but outbounds only on resolved proxies"),
        "{msg}"
    );
    let s = screen(&a);
    assert!(
        s.contains("filter /canary (resolved outbounds only)"),
        "{s}"
    );
    assert!(
        s.contains("outbounds are searched on resolved proxies only"),
        "{s}"
    );
    // Proxy names and tags are searched on every proxy.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('/'));
    let fx = typed(&mut a, "web-2");
    key(&mut a, KeyCode::Enter);
    assert_eq!(sel_name(&a), "web-2");
    // (Typing `web-` selected web-1, then web-2: both were asked for. The runtime
    // drops the first request, superseded; here both are answered.)
    let asked: Vec<u32> = requests(&fx).iter().map(|r| r.1).collect();
    assert_eq!(
        asked,
        vec![proxy_named(&a, "web-1"), proxy_named(&a, "web-2")]
    );
    // Once web-1 is resolved its outbounds match, as they would up front.
    key(&mut a, KeyCode::Esc);
    assert!(a.model.as_ref().unwrap().resolved_count().0 < 9);
    serve(&mut a, &mesh, fx);
    typed(&mut a, ":proxy web-1");
    let fx = key(&mut a, KeyCode::Enter);
    serve(&mut a, &mesh, fx);
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "canary");
    let mut eager = app();
    key(&mut eager, KeyCode::Char('/'));
    typed(&mut eager, "canary");
    let m = a.model.as_ref().unwrap();
    let names = |a: &App, only: &dyn Fn(&str) -> bool| -> Vec<String> {
        let m = a.model.as_ref().unwrap();
        a.rows
            .iter()
            .filter(|n| match n {
                Node::Proxy(p) | Node::Outbound(p, _) | Node::Backend(p, _, _) => {
                    only(&m.proxy(*p).name)
                }
                _ => true,
            })
            .map(|n| match *n {
                Node::Outbound(p, o) => {
                    format!(
                        "{} → {}",
                        m.proxy(p).name,
                        m.outbound(p, o).destination.label()
                    )
                }
                Node::Proxy(p) => m.proxy(p).name.clone(),
                n => format!("{n:?}"),
            })
            .collect()
    };
    let resolved = |name: &str| m.find_proxy(name).is_some_and(|p| m.is_resolved(p));
    let shown = names(&a, &|_| true);
    assert!(
        shown.contains(&"web-1 → redis:10002".to_string()),
        "{shown:?}"
    );
    assert_eq!(
        shown,
        names(&eager, &resolved),
        "what resolving everything shows, on the resolved proxies"
    );
}

#[test]
fn lazy_expand_all_opens_resolved_proxies_only_and_says_how_many_are_not() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    let fx = key(&mut a, KeyCode::Char('*'));
    assert!(requests(&fx).is_empty(), "* resolves nothing");
    let m = a.model.as_ref().unwrap();
    let (done, all) = m.resolved_count();
    assert!(done < all);
    let msg = &a.message.as_ref().unwrap().text;
    assert!(
        msg.contains(&format!("{} not resolved", all - done)),
        "{msg}"
    );
    for n in &a.rows {
        if let Node::Proxy(p) = n {
            assert_eq!(
                a.opened.contains(n),
                m.is_resolved(*p) && m.outbound_count(*p) > 0
            );
        }
        assert!(!matches!(n, Node::Pending(_)), "no resolving rows: {n:?}");
    }
    // Every row of the resolved proxies is there.
    let gw = proxy_named(&a, "edge-gateway-1");
    let obs = a.model.as_ref().unwrap().proxy(gw).outbounds.clone();
    let backends: usize = obs.iter().map(|o| o.backends.len()).sum();
    let shown = a
        .rows
        .iter()
        .filter(|n| matches!(n, Node::Outbound(p, _) | Node::Backend(p, _, _) if *p == gw))
        .count();
    assert_eq!(shown, obs.len() + backends);
}

#[test]
fn lazy_policies_view_lists_uses_on_resolved_proxies_and_says_so() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    let uses = |a: &App, name: &str| {
        a.model
            .as_ref()
            .unwrap()
            .policies
            .iter()
            .find(|p| p.name == name)
            .map_or(0, |p| p.uses.len())
    };
    assert_eq!(
        uses(&a, "api-tcp-shortcut"),
        0,
        "web-1 and web-2 are not resolved"
    );
    key(&mut a, KeyCode::Char('2'));
    let s = screen(&a);
    assert!(
        s.contains("as seen on resolved proxies only (7 of 9)"),
        "{s}"
    );
    // Listed from the start (it selects every proxy), and honest about what is known.
    assert!(
        s.contains("api-tcp-shortcut  ○ routes nothing on resolved proxies (selects 9)"),
        "{s}"
    );
    // A policy selected in the view stays selected while other proxies arrive.
    let sel = a.selected_policy_row().unwrap();
    let name = a.model.as_ref().unwrap().policies[sel.policy()].qualified();
    for p in ["web-1", "web-2"] {
        let web = proxy_named(&a, p);
        let fx = vec![Effect::ResolveProxy {
            generation: 7,
            proxy: web,
            opened: true,
        }];
        a.requested.insert(web);
        serve(&mut a, &mesh, fx);
    }
    assert_eq!(uses(&a, "api-tcp-shortcut"), 2);
    let eager = app();
    let em = eager.model.as_ref().unwrap();
    let m = a.model.as_ref().unwrap();
    let e = em
        .policies
        .iter()
        .find(|p| p.name == "api-tcp-shortcut")
        .unwrap();
    let l = m
        .policies
        .iter()
        .find(|p| p.name == "api-tcp-shortcut")
        .unwrap();
    assert_eq!(e.uses, l.uses, "in report order, as up front");
    let now = m.policies[a.selected_policy_row().unwrap().policy()].qualified();
    assert_eq!(now, name, "selection kept");
}

#[test]
fn lazy_findings_jump_resolves_the_proxy_then_selects_the_outbound() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    key(&mut a, KeyCode::Char('3'));
    move_to_finding(&mut a, "tcproute-ignored-by-httproute");
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Tree);
    assert_eq!(sel_name(&a), "web-1");
    assert_eq!(requests(&fx).len(), 1);
    serve(&mut a, &mesh, fx);
    assert_eq!(sel_name(&a), "web-1 → api:10003");
}

#[test]
fn lazy_version_change_and_reload_ask_again_for_what_is_open() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let t0 = Instant::now();
    let mesh = LazyMesh::new(dir.path(), KumaVersion::DEFAULT, 1);
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    let fx = a.update(mesh.loaded(false, t0));
    serve(&mut a, &mesh, fx);
    typed(&mut a, ":proxy web-1");
    let fx = key(&mut a, KeyCode::Enter);
    serve(&mut a, &mesh, fx);
    key(&mut a, KeyCode::Char('l'));
    key(&mut a, KeyCode::Char('l'));
    assert_eq!(sel_name(&a), "web-1 → backend:10001");
    assert!(a.is_open(a.tree.sel));

    // :version asks the runtime to re-resolve; its lazy model comes back re-skeletoned.
    typed(&mut a, ":version 2.9");
    let fx = key(&mut a, KeyCode::Enter);
    let v29: KumaVersion = "2.9".parse().unwrap();
    assert_eq!(fx, vec![Effect::Resolve(v29)]);
    let mesh = LazyMesh::new(dir.path(), v29, 2);
    let fx = a.update(mesh.loaded(true, t0));
    assert_eq!(a.version, v29);
    let msg = &a.message.as_ref().unwrap().text;
    assert!(msg.starts_with("Kuma 2.9: "), "{msg}");
    let web1 = proxy_named(&a, "web-1");
    let gw = proxy_named(&a, "edge-gateway-1");
    let mut asked = requests(&fx);
    asked.sort();
    assert_eq!(
        asked,
        vec![(2, gw, true), (2, web1, true)],
        "every open proxy, again"
    );
    assert_eq!(sel_name(&a), "web-1", "the selection waits on its proxy");
    serve(&mut a, &mesh, fx);
    assert_eq!(sel_name(&a), "web-1 → backend:10001", "and comes back");
    assert!(a.is_open(a.tree.sel), "with its expansion");

    // A reload that changes a route: the outbound is marked once it resolves again.
    let routes = dir.path().join("routes.yaml");
    let text = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, text.replace("weight: 90", "weight: 70")).unwrap();
    let mesh = LazyMesh::new(dir.path(), v29, 3);
    let fx = a.update(mesh.loaded(true, t0));
    serve(&mut a, &mesh, fx);
    assert_eq!(sel_name(&a), "web-1 → backend:10001");
    let Some(Node::Outbound(p, o)) = a.selected_node() else {
        panic!()
    };
    assert!(a.changed.contains(&Node::Outbound(p, o)), "{:?}", a.changed);
    let msg = &a.message.as_ref().unwrap().text;
    assert_eq!(msg, "reloaded: web-1: 1 outbound changed");
}

#[test]
fn lazy_mode_gives_back_outbounds_of_proxies_neither_open_nor_selected() {
    let (mut a, mesh, fx) = lazy_app();
    a.keep_outbounds = 5;
    serve(&mut a, &mesh, fx);
    let gw = proxy_named(&a, "edge-gateway-1");
    // A row of the Policies view is selected, then the tree is shown again: the rows
    // follow the model as proxies come and go.
    key(&mut a, KeyCode::Char('2'));
    while !matches!(a.selected_policy_row(), Some(PRow::Use(..))) {
        key(&mut a, KeyCode::Char('j'));
    }
    key(&mut a, KeyCode::Char('1'));
    // Select web-1 and web-2 in turn (each resolved), then open web-2.
    for name in ["web-1", "web-2"] {
        let p = proxy_named(&a, name);
        a.reveal(Node::Proxy(p));
        let fx = a.update(Action::Tick(Instant::now()));
        serve(&mut a, &mesh, fx);
        assert!(a.model.as_ref().unwrap().is_resolved(p));
    }
    let m = a.model.as_ref().unwrap();
    let (web1, web2) = (proxy_named(&a, "web-1"), proxy_named(&a, "web-2"));
    assert!(m.is_resolved(gw), "open: kept");
    assert!(
        !m.is_resolved(web1),
        "neither open nor selected: given back"
    );
    assert!(m.is_resolved(web2), "selected: kept");
    assert!(m.held().0 <= 4 + 2 + 2, "{:?}", m.held());
    // The filter still works over what is left, and web-1 comes back when selected.
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "backend");
    key(&mut a, KeyCode::Esc);
    a.reveal(Node::Proxy(web1));
    let fx = a.update(Action::Tick(Instant::now()));
    assert_eq!(requests(&fx), vec![(7, web1, false)]);
    serve(&mut a, &mesh, fx);
    assert!(a.model.as_ref().unwrap().is_resolved(web1));
    key(&mut a, KeyCode::Char('2'));
    let m = a.model.as_ref().unwrap();
    assert!(
        a.policy_rows.iter().all(|r| match *r {
            PRow::Policy(p) => p < m.policies.len(),
            PRow::Finding(p, g) => g < m.policies[p].groups.len(),
            PRow::Use(p, u) => m.policies[p].uses[u].0 != web2 || m.is_resolved(web2),
        }),
        "no row points at what was given back"
    );
    let s = screen(&a);
    assert!(s.contains("edge-redis"), "{s}");
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

#[test]
fn policies_view_lists_route_policies_that_act_on_no_outbound() {
    let dir = fixture_copy(&std::fs::read_to_string(IDLE_POLICIES).unwrap());
    let mut a = app_on(dir.path());
    let m = a.model.as_ref().unwrap();
    let entry = |name: &str| {
        m.policies
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} is not listed"))
    };
    let typo = entry("typo-route");
    assert!(typo.uses.is_empty(), "{typo:?}");
    assert_eq!(
        typo.selects as usize,
        m.report
            .proxies
            .iter()
            .filter(|p| p.mesh == "default")
            .count(),
        "a Mesh targetRef selects every proxy of the mesh"
    );
    assert!(!typo.refused);
    assert!(
        typo.location
            .as_ref()
            .is_some_and(|l| l.file.ends_with("zz-extra.yaml") && l.line == 4),
        "found in the input (its `type:` line, below the comment): {:?}",
        typo.location
    );
    let lonely = entry("lonely");
    assert_eq!((lonely.selects, lonely.uses.len()), (0, 0));
    let refused = entry("refused-route");
    assert!(refused.refused, "{refused:?}");
    assert!(
        refused
            .findings
            .iter()
            .any(|&f| m.report.findings[f as usize].code.as_str() == "invalid-resource"),
        "its finding is its own"
    );
    assert!(
        refused.location.is_some(),
        "its file comes from its finding"
    );
    assert_eq!(refused.severities, [1, 0, 0], "one error");

    // :policy finds each, and the row says why it acts on nothing, in words.
    for (name, says) in [
        ("typo-route", "○ routes nothing on 9 proxies"),
        ("lonely", "∅ selects no proxy"),
        ("refused-route", "✖ refused"),
    ] {
        typed(&mut a, &format!(":policy {name}"));
        key(&mut a, KeyCode::Enter);
        assert_eq!(a.view, View::Policies);
        let row = a.selected_policy_row().unwrap();
        let m = a.model.as_ref().unwrap();
        assert_eq!(m.policies[row.policy()].name, name);
        assert!(matches!(row, PRow::Policy(_)), "{row:?}");
        let s = screen(&a);
        let line = s
            .lines()
            .find(|l| l.contains(&format!("MeshTCPRoute  {name}")))
            .unwrap_or_else(|| panic!("{s}"));
        assert!(line.contains(says), "{line}");
    }
    // The refused policy's finding is a row under it; Enter on it shows it in the
    // Findings view.
    key(&mut a, KeyCode::Char('j'));
    let Some(PRow::Finding(p, g)) = a.selected_policy_row() else {
        panic!("{:?}", a.selected_policy_row())
    };
    let m = a.model.as_ref().unwrap();
    let fi = m.policies[p].groups[g].0 as usize;
    assert_eq!(m.report.findings[fi].code.as_str(), "invalid-resource");
    let s = screen(&a);
    assert!(
        s.lines()
            .any(|l| l.contains("> ") && l.contains("✖ error invalid-resource")),
        "{s}"
    );
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Findings);
    assert_eq!(a.selected_finding(), Some(fi));
}

#[test]
fn findings_list_shows_each_findings_file_and_line() {
    let mut a = app();
    key(&mut a, KeyCode::Char('3'));
    let s = screen(&a);
    let m = a.model.as_ref().unwrap();
    let f = &m.report.findings[a.finding_rows[0]];
    let loc = f.location.as_ref().unwrap();
    let name = loc.file.rsplit('/').next().unwrap();
    let row = s.lines().find(|l| l.contains("> ")).unwrap();
    assert!(
        row.contains(&format!("{name}:{}", loc.line)),
        "the selected finding's row names its file: {row}"
    );
    // Every row of the list has a file:line (the fixture's findings all have one).
    let rows = s
        .lines()
        .filter(|l| l.contains("▲ warning") && l.starts_with('│'))
        .count();
    let with_file = s
        .lines()
        .filter(|l| l.contains("▲ warning") && l.contains(".yaml:"))
        .count();
    assert!(rows > 0);
    assert_eq!(rows, with_file, "{s}");
}

#[test]
fn short_location_keeps_the_line_and_drops_leading_directories() {
    use super::render::short_location;
    let loc = Location {
        file: "deploy/kuma/policies/routes.yaml".into(),
        line: 129,
    };
    assert_eq!(
        short_location(&loc, 0, 80),
        "deploy/kuma/policies/routes.yaml:129"
    );
    assert_eq!(
        short_location(&loc, "deploy/kuma/".len(), 80),
        "policies/routes.yaml:129",
        "the directory every finding shares goes first"
    );
    assert_eq!(short_location(&loc, 0, 26), "…/policies/routes.yaml:129");
    assert_eq!(short_location(&loc, 0, 17), "…/routes.yaml:129");
    assert_eq!(short_location(&loc, 0, 16), "…routes.yaml:129");
    assert_eq!(short_location(&loc, 0, 12), "…es.yaml:129");
    assert_eq!(
        short_location(&loc, 0, 2),
        "…l:129",
        "the line always stays"
    );
    for max in 6..40 {
        let s = short_location(&loc, 0, max);
        assert!(s.chars().count() <= max, "{max}: {s}");
        assert!(s.ends_with(":129"), "{max}: {s}");
    }
}

#[test]
fn reload_status_counts_the_outbounds_that_changed() {
    let dir = fixture_copy("");
    let t0 = Instant::now();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, false, t0));
    let text = |a: &App| {
        a.message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    };

    // Nothing changed on disk.
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert_eq!(text(&a), "reloaded: no outbound changed");

    // One weight changes: the backend outbound of the proxies where that route applies.
    let routes = dir.path().join("routes.yaml");
    let yaml = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, yaml.replace("weight: 90", "weight: 70")).unwrap();
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    let marked = a
        .changed
        .iter()
        .filter(|n| matches!(n, Node::Outbound(..)))
        .count();
    assert!(marked > 0);
    let want = if marked == 1 {
        "reloaded: 1 outbound changed".to_string()
    } else {
        format!("reloaded: {marked} outbounds changed")
    };
    assert_eq!(text(&a), want);

    // A proxy goes: its outbounds count as changed too.
    let before = a.model.as_ref().unwrap();
    let web2 = before.find_proxy("web-2").unwrap();
    let gone = before.proxy(web2).outbounds.len();
    assert!(gone > 0);
    let dps = dir.path().join("dataplanes.yaml");
    let yaml = std::fs::read_to_string(&dps).unwrap();
    let docs: Vec<&str> = yaml
        .split("\n---")
        .filter(|d| !d.contains("name: web-2\n"))
        .collect();
    std::fs::write(&dps, docs.join("\n---")).unwrap();
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert!(a.model.as_ref().unwrap().find_proxy("web-2").is_none());
    assert_eq!(text(&a), format!("reloaded: {gone} outbounds changed"));

    // `:version` says which version it re-resolved under.
    typed(&mut a, ":version 2.9");
    key(&mut a, KeyCode::Enter);
    a.update(loaded_action(dir.path(), "2.9".parse().unwrap(), true, t0));
    assert!(text(&a).starts_with("Kuma 2.9: "), "{}", text(&a));
}

#[test]
fn a_message_about_the_selection_goes_when_the_selection_moves() {
    let mut a = app();
    // `y` on a mesh: nothing to show, and it says so.
    key(&mut a, KeyCode::Home);
    assert!(matches!(a.selected_node(), Some(Node::Mesh(_))));
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.message
            .as_ref()
            .is_some_and(|m| m.text.contains("a mesh has no single document")),
        "{:?}",
        a.message
    );
    // Time passing alone keeps it.
    a.update(Action::Tick(Instant::now()));
    assert!(a.message.is_some());
    key(&mut a, KeyCode::Char('j'));
    assert!(
        a.message.is_none(),
        "it was about the mesh: {:?}",
        a.message
    );

    // Switching views moves the selection too.
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Char('y'));
    assert!(a.message.is_some());
    key(&mut a, KeyCode::Char('2'));
    assert!(a.message.is_none(), "another view is another selection");

    // A message that is not about the selection stays when it moves.
    typed(&mut a, ":mesh nope");
    key(&mut a, KeyCode::Enter);
    assert!(a.message.as_ref().unwrap().error);
    key(&mut a, KeyCode::Char('j'));
    assert!(a.message.is_some(), "an error about a command stays");
}

/// `--apply` / `:apply`: the model with the changes replaces the one without them, the
/// changed outbounds stay marked (no fading), `]` and `[` walk them, and a changed
/// outbound's detail says what it was before.
#[test]
fn applied_changes_stay_marked_are_walked_and_say_what_was_before() {
    let dir = fixture_copy("");
    let t0 = Instant::now();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, false, t0));
    // The same sources with one weight changed, shown as applied.
    let routes = dir.path().join("routes.yaml");
    let yaml = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, yaml.replace("weight: 90", "weight: 70")).unwrap();
    let Action::Loaded(mut l) = loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0) else {
        unreachable!()
    };
    l.applied = true;
    a.update(Action::Loaded(l));
    let msg = a
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(
        msg.starts_with("applied: ") && msg.contains("] [ jump"),
        "{msg}"
    );
    let changed: Vec<Node> = {
        let mut v: Vec<Node> = a
            .changed
            .iter()
            .copied()
            .filter(|n| matches!(n, Node::Outbound(..)))
            .collect();
        v.sort_unstable();
        v
    };
    assert!(!changed.is_empty());
    // Marks stay (a reload's fade after a while).
    a.update(Action::Tick(t0 + Duration::from_secs(3600)));
    assert!(!a.changed.is_empty(), "applied changes stay marked");
    // `]` selects the first changed outbound, `[` from there wraps to the last.
    key(&mut a, KeyCode::Char(']'));
    assert_eq!(a.selected_node(), Some(changed[0]));
    key(&mut a, KeyCode::Char('['));
    assert_eq!(a.selected_node(), changed.last().copied());
    // Its detail: before → after.
    let before = a.before_outbound(changed[0]).expect("it was there before");
    let after = {
        let Node::Outbound(p, o) = changed[0] else {
            unreachable!()
        };
        a.model.as_ref().unwrap().outbound(p, o).clone()
    };
    assert_ne!(before.backends, after.backends);
    let screen = screen(&a);
    assert!(
        screen.contains("✱ changed by the applied changes") && screen.contains("→"),
        "{screen}"
    );
    // A plain reload afterwards clears the applied state.
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert!(a.before.is_none());
}

#[test]
fn apply_command_asks_the_runtime_and_jumps_say_when_nothing_changed() {
    let mut a = app();
    assert_eq!(
        typed_command(&mut a, "apply changes/a.yaml changes/b.yaml"),
        vec![Effect::Apply(vec![
            "changes/a.yaml".to_string(),
            "changes/b.yaml".to_string()
        ])]
    );
    assert!(typed_command(&mut a, "apply").is_empty());
    assert!(a.message.as_ref().unwrap().text.contains(":apply FILE"));
    key(&mut a, KeyCode::Char(']'));
    assert!(
        a.message
            .as_ref()
            .unwrap()
            .text
            .contains("no changed outbound"),
        "{:?}",
        a.message
    );
}

/// Type `:LINE` and Enter; the effects of the Enter.
fn typed_command(a: &mut App, line: &str) -> Vec<Effect> {
    key(a, KeyCode::Char(':'));
    typed(a, line);
    key(a, KeyCode::Enter)
}

/// `:version X.Y` compares like `--apply`: what the other version changes stays marked,
/// and a changed outbound's detail shows it under the version before.
#[test]
fn a_version_change_stays_marked_and_shows_before() {
    let t0 = Instant::now();
    let mut a = app();
    let v = KumaVersion::new(2, 5);
    assert_eq!(
        typed_command(&mut a, "version 2.5"),
        vec![Effect::Resolve(v)]
    );
    a.update(loaded_action(Path::new(FIXTURE), v, true, t0));
    let changed: Vec<Node> = a
        .changed
        .iter()
        .copied()
        .filter(|n| matches!(n, Node::Outbound(..)))
        .collect();
    assert!(!changed.is_empty(), "2.5 resolves the fixture differently");
    a.update(Action::Tick(t0 + Duration::from_secs(3600)));
    assert!(!a.changed.is_empty(), "the marks stay");
    assert!(a.before_outbound(changed[0]).is_some());
}
