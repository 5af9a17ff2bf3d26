//! App state tests: key → action → state, with no terminal. Fixtures are loaded through
//! the real loader and engine, so the app always sees the engine's model.

use super::action::{self, Action, Effect, View};
use super::app::{App, Mode, PRow, SourceText};
use super::keymap::map_key;
use super::model::Node;
use super::runtime::{extract_document, read_document};
use crate::model::Location;
use crate::resolve::{KumaVersion, Status};
use crate::source::{self, Source};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::time::{Duration, Instant};

const FIXTURE: &str = "tests/fixtures/tui/mesh";

fn loaded_action(dir: &Path, version: KumaVersion, replace: bool, now: Instant) -> Action {
    let loaded = source::load(&[Source::Path(dir.to_path_buf())]);
    Action::Loaded(Box::new(action::Loaded::new(
        super::resolve_loaded(&loaded, version),
        loaded.stats,
        replace,
        now,
    )))
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
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(
        key_mod(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL),
        vec![Effect::Quit],
        "Ctrl-C quits even while typing"
    );
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
    let m = a.model.as_ref().unwrap();
    let i = a
        .finding_rows
        .iter()
        .position(|&f| m.report.findings[f].code.as_str() == "tcproute-ignored-by-httproute")
        .unwrap();
    for _ in 0..i {
        key(&mut a, KeyCode::Char('j'));
    }
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
