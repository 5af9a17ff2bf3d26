//! The Tree view: one line per node, and the window of rows handed to the tree widget.

use super::*;

pub(super) fn mark_spans(mk: Marks, t: &Theme) -> Vec<Span<'static>> {
    let mut v = Vec::new();
    let mut push = |on: bool, (sym, word): (&str, &str), st: Style| {
        if on {
            v.push(Span::raw(" "));
            v.push(Span::styled(format!("{sym} {word}"), st));
        }
    };
    push(
        mk.ignored,
        marks::status(Status::Ignored),
        t.status(Status::Ignored),
    );
    push(
        mk.overridden,
        marks::status(Status::Overridden),
        t.status(Status::Overridden),
    );
    push(mk.legacy, marks::LEGACY, t.fg(Color::Cyan));
    push(mk.error, ("✖", "error"), t.severity(Severity::Error));
    v
}

/// The text of one tree row.
pub(super) fn node_line(app: &App, m: &Model, n: Node, t: &Theme) -> Line<'static> {
    let name_style = if app.node_matches(n) {
        t.matched()
    } else {
        Style::new()
    };
    let mut spans: Vec<Span> = match n {
        Node::Mesh(mi) => {
            let g = &m.meshes[mi as usize];
            vec![
                Span::styled(format!("mesh {}", g.name), t.bold().patch(name_style)),
                Span::styled(
                    format!(
                        "  {} prox{}",
                        g.proxies.len(),
                        if g.proxies.len() == 1 { "y" } else { "ies" }
                    ),
                    t.dim(),
                ),
            ]
        }
        Node::Proxy(p) => {
            let pr = m.proxy(p);
            let (sym, word) = proxy_type_mark(pr.proxy_type);
            let mut v = vec![
                Span::raw(format!("{sym} ")),
                Span::styled(pr.name.clone(), t.bold().patch(name_style)),
            ];
            if let Some(ns) = &pr.namespace {
                v.push(Span::styled(format!("  {ns}"), t.dim()));
            }
            if let Some(c) = &pr.context {
                v.push(Span::styled(format!("  ⎈ {c}"), t.dim()));
            }
            v.push(Span::styled(format!("  {word}"), t.dim()));
            let (e, w, _) = m.proxy_counts[p as usize];
            if e > 0 {
                v.push(Span::styled(
                    format!("  ✖ {}", plural(e, "error")),
                    t.severity(Severity::Error),
                ));
            }
            if w > 0 {
                v.push(Span::styled(
                    format!("  ▲ {}", plural(w, "warning")),
                    t.severity(Severity::Warning),
                ));
            }
            v
        }
        Node::Outbound(p, o) => {
            let ob = m.outbound(p, o);
            let route = match ob.route {
                RouteKind::Default => t.dim(),
                RouteKind::None => t.fg(Color::Red),
                RouteKind::TrafficRoute => t.fg(Color::Cyan),
                _ => t.bold(),
            };
            let mut v = vec![
                Span::styled(ob.destination.shown(), name_style),
                Span::styled(format!(" {} → ", ob.protocol), t.dim()),
                Span::styled(ob.route.as_str().to_string(), route),
            ];
            v.extend(mark_spans(m.marks(n), t));
            v
        }
        Node::Backend(p, o, b) => {
            let bk = &m.outbound(p, o).backends[b as usize];
            let filled = ((bk.share * 10.0).round() as usize).min(10);
            let mut v = vec![
                Span::raw("⇢ "),
                Span::styled(backend_name(bk), name_style),
                Span::styled(format!("  w {}  ", bk.weight), t.dim()),
                Span::raw(format!("{:>5} ", share_pct(bk.share))),
                Span::styled("█".repeat(filled), t.fg(Color::Green)),
                Span::styled("░".repeat(10 - filled), t.dim()),
            ];
            if !bk.resolved {
                v.push(Span::styled(
                    format!(" {} {}", marks::UNRESOLVED.0, marks::UNRESOLVED.1),
                    t.severity(Severity::Error),
                ));
            }
            v
        }
        Node::Pending(p) => vec![Span::styled(
            format!("resolving {}…", count(m.outbound_count(p), "outbound")),
            t.dim(),
        )],
        Node::Placeholder => vec![Span::raw("…")],
    };
    if app.changes.nodes.contains(&n) {
        spans.push(Span::styled(
            format!(" {} {}", CHANGED.0, CHANGED.1),
            t.changed(),
        ));
    }
    Line::from(spans)
}

/// The tree view. Only the rows in the window are turned into tree items: the widget
/// gets the window's rows plus their ancestors, drawn into a scratch buffer whose
/// first lines (the ancestors above the window) are cut off.
pub(super) fn render_tree(app: &App, m: &Model, f: &mut Frame, l: &Layout, t: &Theme) {
    let title = match &app.filter.mesh {
        Some(mesh) => format!(" Proxies · mesh {mesh} "),
        None => " Proxies ".to_string(),
    };
    let block = Block::bordered().title(title);
    f.render_widget(block, l.list);
    let inner = l.list_inner;
    if app.tree.rows.is_empty() {
        let msg = if app.filter.text.is_empty() {
            "(no proxies in the input)".to_string()
        } else if let Some((done, all)) = app.lazy_progress() {
            format!(
                "(nothing matches /{}; outbounds are searched on resolved proxies only, \
                 {done} of {all})",
                app.filter.text
            )
        } else {
            format!("(nothing matches /{})", app.filter.text)
        };
        f.render_widget(
            Paragraph::new(msg).style(t.dim()).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let h = inner.height as usize;
    let start = app
        .tree
        .pos
        .offset
        .min(app.tree.rows.len().saturating_sub(1));
    let end = (start + h).min(app.tree.rows.len());
    let ancestors = m.ancestors(app.tree.rows[start]);
    let k = ancestors.len();
    // (node, its row index or None for an ancestor above the window)
    let entries: Vec<(Node, Option<usize>)> = ancestors
        .into_iter()
        .map(|a| (a, None))
        .chain((start..end).map(|i| (app.tree.rows[i], Some(i))))
        .collect();
    let mut state = TreeState::default();
    let items = build_items(app, m, &entries, t, &mut state);
    let Ok(tree) = Tree::new(&items) else { return };
    let tree = tree
        .highlight_style(t.highlight())
        .highlight_symbol("> ")
        .node_closed_symbol("▸ ")
        .node_open_symbol("▾ ")
        .node_no_children_symbol("  ");
    let scratch_area = Rect::new(0, 0, inner.width, (k + h) as u16);
    let mut scratch = Buffer::empty(scratch_area);
    StatefulWidget::render(tree, scratch_area, &mut scratch, &mut state);
    let buf = f.buffer_mut();
    for y in 0..inner.height {
        for x in 0..inner.width {
            buf[(inner.x + x, inner.y + y)] = scratch[(x, y + k as u16)].clone();
        }
    }
    render_scrollbar(f, l.list, app.tree.rows.len(), app.tree.pos.offset, h);
}

pub(super) fn build_items(
    app: &App,
    m: &Model,
    entries: &[(Node, Option<usize>)],
    t: &Theme,
    state: &mut TreeState<Node>,
) -> Vec<TreeItem<'static, Node>> {
    // A stack of open nodes with their collected children.
    struct Open {
        node: Node,
        line: Line<'static>,
        children: Vec<TreeItem<'static, Node>>,
        expandable: bool,
    }
    fn close(o: Open) -> TreeItem<'static, Node> {
        let mut children = o.children;
        if children.is_empty() && o.expandable {
            children.push(TreeItem::new_leaf(Node::Placeholder, "…"));
        }
        TreeItem::new(o.node, o.line, children).unwrap_or_else(|_| TreeItem::new_leaf(o.node, "?"))
    }
    let mut roots = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    for &(n, row) in entries {
        let d = n.depth();
        while stack.len() > d {
            let o = stack.pop().expect("non-empty");
            let item = close(o);
            match stack.last_mut() {
                Some(p) => p.children.push(item),
                None => roots.push(item),
            }
        }
        let mut path: Vec<Node> = stack.iter().map(|o| o.node).collect();
        path.push(n);
        let open = match row {
            Some(i) => app.is_open(i),
            None => true,
        };
        if open {
            state.open(path.clone());
        }
        if row == Some(app.tree.pos.sel) {
            state.select(path);
        }
        stack.push(Open {
            node: n,
            line: node_line(app, m, n, t),
            children: Vec::new(),
            expandable: m.has_children(n),
        });
    }
    while let Some(o) = stack.pop() {
        let item = close(o);
        match stack.last_mut() {
            Some(p) => p.children.push(item),
            None => roots.push(item),
        }
    }
    roots
}
