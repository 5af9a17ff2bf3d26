//! The Tree view: moving, opening and closing, the filter.

use super::*;

#[test]
fn loading_state_then_first_proxy_with_outbounds_selected_and_expanded() {
    let mut a = App::new(FIXTURE, KumaVersion::DEFAULT, false);
    assert!(
        a.status.progress.is_some(),
        "a new app shows progress until the model arrives"
    );
    assert!(a.model.is_none());
    // Keys before the model arrives are harmless.
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('*'));
    assert!(a.tree.rows.is_empty());
    a.update(loaded_action(
        Path::new(FIXTURE),
        KumaVersion::DEFAULT,
        false,
        Instant::now(),
    ));
    assert!(a.status.progress.is_none());
    assert_eq!(sel_name(&a), "edge-gateway-1");
    assert!(
        a.is_open(a.tree.pos.sel),
        "the first proxy with outbounds is expanded"
    );
    assert_eq!(a.tree.rows[0], Node::Mesh(0));
}

#[test]
fn moving_with_keys() {
    let mut a = app();
    let start = a.tree.pos.sel;
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.tree.pos.sel, start + 1);
    key(&mut a, KeyCode::Down);
    assert_eq!(a.tree.pos.sel, start + 2);
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Up);
    assert_eq!(a.tree.pos.sel, start);
    key(&mut a, KeyCode::Home);
    assert_eq!(a.tree.pos.sel, 0);
    key(&mut a, KeyCode::End);
    assert_eq!(a.tree.pos.sel, a.tree.rows.len() - 1);
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(
        a.tree.pos.sel,
        a.tree.rows.len() - 1,
        "no move past the end"
    );
}

#[test]
fn expand_collapse_and_parent() {
    let mut a = app();
    typed(&mut a, ":proxy web-1");
    key(&mut a, KeyCode::Enter);
    assert_eq!(sel_name(&a), "web-1");
    assert!(a.is_open(a.tree.pos.sel), ":proxy opens the proxy");
    key(&mut a, KeyCode::Char('l'));
    assert_eq!(
        sel_name(&a),
        "web-1 → backend:10001",
        "→ on an open node goes to its first child"
    );
    key(&mut a, KeyCode::Right);
    assert!(a.is_open(a.tree.pos.sel));
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(sel_name(&a), "web-1 → backend:10001 ⇢ backend-v1");
    key(&mut a, KeyCode::Char('h'));
    assert_eq!(
        sel_name(&a),
        "web-1 → backend:10001",
        "← on a leaf goes to the parent"
    );
    key(&mut a, KeyCode::Left);
    assert!(!a.is_open(a.tree.pos.sel), "← collapses");
    key(&mut a, KeyCode::Char(' '));
    assert!(a.is_open(a.tree.pos.sel), "space toggles");
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
    assert_eq!(a.tree.rows.len(), total, "* shows every node");
    let before = a.selected_node();
    key(&mut a, KeyCode::Char('-'));
    assert_eq!(a.tree.rows.len(), m_len(&a), "- leaves the meshes");
    assert!(
        matches!(a.selected_node(), Some(Node::Mesh(_))),
        "selection moves to the visible ancestor, was {before:?}"
    );
}

#[test]
fn incremental_filter_next_previous_and_escape() {
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    assert!(matches!(a.mode, Mode::Filter { .. }), "{:?}", a.mode);
    typed(&mut a, "canary");
    assert_eq!(a.filter.text, "canary", "the filter follows each key");
    assert!(
        a.selected_node().is_some_and(|n| a.node_matches(n)),
        "the selection lands on a match"
    );
    // Only matches and their ancestors are shown.
    assert!(a.tree.rows.iter().all(|n| {
        a.node_matches(*n)
            || a.tree
                .rows
                .iter()
                .any(|c| a.model.as_ref().unwrap().ancestors(*c).contains(n))
    }));
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.filter.text, "canary", "Enter keeps the filter");
    let first = a.tree.pos.sel;
    key(&mut a, KeyCode::Char('n'));
    let second = a.tree.pos.sel;
    assert_ne!(first, second, "n goes to the next match");
    assert!(a.node_matches(a.selected_node().unwrap()));
    key(&mut a, KeyCode::Char('N'));
    assert_eq!(a.tree.pos.sel, first, "N goes back");
    let filtered = a.tree.rows.len();
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.filter.text, "");
    assert!(a.tree.rows.len() > filtered, "Esc clears the filter");
    // Esc while typing also clears.
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "web");
    key(&mut a, KeyCode::Esc);
    assert_eq!((a.filter.text.as_str(), &a.mode), ("", &Mode::Normal));
}

#[test]
fn filter_rows_and_narrowing_agree_with_a_plain_search() {
    use crate::tui::model::Needle;
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
        assert_eq!(a.tree.rows, expected, "rows for /{text}");
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
        a.tree
            .rows
            .iter()
            .any(|n| matches!(n, Node::Proxy(p) if m.proxy(*p).name == "web-2")),
        "a tag matches"
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "api-tcp-shortcut");
    let m = a.model.as_ref().unwrap();
    assert!(
        a.tree.rows.iter().any(
            |n| matches!(n, Node::Outbound(p, o) if m.outbound(*p, *o).destination.name == "api")
        ),
        "a policy name matches its outbounds"
    );
}

#[test]
fn page_keys_move_by_a_screen() {
    let mut a = app();
    key(&mut a, KeyCode::Char('*'));
    key(&mut a, KeyCode::Home);
    a.update(Action::Resize(120, 14));
    key(&mut a, KeyCode::PageDown);
    let h = crate::tui::render::layout(ratatui::layout::Rect::new(0, 0, 120, 14))
        .list_inner
        .height as usize;
    assert_eq!(a.tree.pos.sel, h);
    assert!(
        a.tree.pos.offset > 0 && a.tree.pos.sel < a.tree.pos.offset + h,
        "the selection stays in view"
    );
    key(&mut a, KeyCode::PageUp);
    assert_eq!(a.tree.pos.sel, 0);
}
