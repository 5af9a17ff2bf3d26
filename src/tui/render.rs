//! Drawing: `render(&App, &mut Frame)` is a pure function of the app state. Every mark
//! is a symbol and a word; colour is a second channel and is off under `NO_COLOR`.

use super::action::View;
use super::app::{App, Mode, PRow, SourceText};
use super::keymap;
use super::model::{Marks, Model, Node, PolicyEntry};
use crate::model::{Finding, Location, ProxyType, Severity, fmt_tags};
use crate::report::text::{backend_name, finding_text};
use crate::report::{explain, marks, share_pct};
use crate::resolve::{RouteKind, Status};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
    StatefulWidget, Widget, Wrap,
};
use tui_tree_widget::{Tree, TreeItem, TreeState};

/// Below this the layout does not fit; a short message is shown instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
pub const CHANGED: (&str, &str) = ("✱", "changed");

/// Where everything goes on a screen of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub header: Rect,
    pub list: Rect,
    pub list_inner: Rect,
    pub detail: Rect,
    pub message: Rect,
    pub status: Rect,
    pub too_small: bool,
}

pub fn layout(area: Rect) -> Layout {
    let too_small = area.width < MIN_WIDTH || area.height < MIN_HEIGHT;
    let h = area.height.max(4);
    let header = Rect::new(area.x, area.y, area.width, 1);
    let status = Rect::new(area.x, area.y + h - 1, area.width, 1);
    let message = Rect::new(area.x, area.y + h - 2, area.width, 1);
    let main = Rect::new(area.x, area.y + 1, area.width, h - 3);
    let lw = (area.width * 11 / 20).max(area.width.min(40));
    let list = Rect::new(main.x, main.y, lw, main.height);
    let detail = Rect::new(main.x + lw, main.y, area.width - lw, main.height);
    let list_inner = Rect::new(
        list.x + 1,
        list.y + 1,
        list.width.saturating_sub(2),
        list.height.saturating_sub(2),
    );
    Layout {
        header,
        list,
        list_inner,
        detail,
        message,
        status,
        too_small,
    }
}

const TITLE: &str = " meshtcp │ ";

fn tab_label(v: View, active: bool) -> String {
    let n = View::ALL.iter().position(|x| *x == v).unwrap_or(0) + 1;
    format!("{}{n} {} ", if active { "▸" } else { " " }, v.title())
}

/// Which tab the header shows at column `col`.
pub fn tab_at(col: u16) -> Option<View> {
    let mut x = TITLE.chars().count() as u16;
    for v in View::ALL {
        let w = tab_label(v, false).chars().count() as u16;
        if (x..x + w).contains(&col) {
            return Some(v);
        }
        x += w;
    }
    None
}

struct Theme {
    color: bool,
}

impl Theme {
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    fn status(&self, s: Status) -> Style {
        self.fg(match s {
            Status::Applied => Color::Green,
            Status::Overridden => Color::Yellow,
            Status::Ignored => Color::Red,
        })
    }
    fn severity(&self, s: Severity) -> Style {
        self.fg(match s {
            Severity::Error => Color::Red,
            Severity::Warning => Color::Yellow,
            Severity::Info => Color::Cyan,
        })
    }
    fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    fn highlight(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }
    fn changed(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
        } else {
            self.bold()
        }
    }
    fn matched(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::UNDERLINED);
        if self.color {
            s.fg(Color::LightYellow)
        } else {
            s
        }
    }
}

/// Draw the whole screen.
/// Draw the app, then scrub the cells: names, tags and messages come from the input.
pub fn render(app: &App, f: &mut Frame) {
    render_all(app, f);
    scrub(f.buffer_mut());
}

/// Whether `c` must not reach the terminal: controls (ratatui drops most, not every
/// one) and bidirectional embeddings, overrides and isolates, which make a terminal
/// show text in another order than it is (`web\u{202e}gnp.exe` shown as `webexe.png`).
fn hostile(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Remove hostile characters from every cell; a cell left empty shows a space. One
/// pass over the screen's cells, almost all of them plain ASCII.
fn scrub(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let sym = cell.symbol();
        if sym.bytes().all(|b| (0x20..0x7f).contains(&b)) || !sym.chars().any(hostile) {
            continue;
        }
        let clean: String = sym.chars().filter(|&c| !hostile(c)).collect();
        cell.set_symbol(if clean.is_empty() { " " } else { &clean });
    }
}

fn render_all(app: &App, f: &mut Frame) {
    let area = f.area();
    let l = layout(area);
    if l.too_small {
        let msg = format!(
            "Terminal too small: {}×{}.\nmeshtcp needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nEnlarge it, or press q to quit.",
            area.width, area.height
        );
        let y = area.height.saturating_sub(3) / 2;
        let r = Rect::new(
            area.x,
            area.y + y,
            area.width,
            area.height.saturating_sub(y).min(3),
        );
        f.render_widget(
            Paragraph::new(msg)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            r,
        );
        return;
    }
    let t = Theme { color: app.color };
    render_header(app, f, l.header, &t);
    match (&app.model, app.view) {
        (None, _) => render_loading(app, f, &l, &t),
        (Some(m), View::Tree) => {
            render_tree(app, m, f, &l, &t);
            render_detail(f, l.detail, &t, app.detail_scroll, tree_detail(app, m, &t));
        }
        (Some(m), View::Policies) => {
            render_policies(app, m, f, &l, &t);
            render_detail(
                f,
                l.detail,
                &t,
                app.detail_scroll,
                policy_detail(app, m, &t),
            );
        }
        (Some(m), View::Findings) => {
            render_findings(app, m, f, &l, &t);
            render_detail(
                f,
                l.detail,
                &t,
                app.detail_scroll,
                finding_detail(app, m, &t),
            );
        }
    }
    render_message(app, f, l.message, &t);
    render_status(app, f, l.status, &t);
    match app.mode {
        Mode::Help => render_help(app, f, area, &t),
        Mode::Yaml => render_yaml(app, f, area, &t),
        _ => {}
    }
}

fn render_header(app: &App, f: &mut Frame, r: Rect, t: &Theme) {
    let mut spans = vec![Span::styled(TITLE, t.bold())];
    for v in View::ALL {
        let active = v == app.view;
        let s = tab_label(v, active);
        spans.push(if active {
            Span::styled(s, t.highlight())
        } else {
            Span::raw(s)
        });
    }
    f.render_widget(Line::from(spans), r);
}

fn spinner(app: &App) -> &'static str {
    let ms = match (app.now, app.load_started) {
        (Some(n), Some(s)) => n.duration_since(s).as_millis(),
        _ => 0,
    };
    SPINNER[(ms / 100) as usize % SPINNER.len()]
}

fn render_loading(app: &App, f: &mut Frame, l: &super::render::Layout, t: &Theme) {
    if app.progress.is_none() {
        let msg = "Nothing to show: loading failed (the message is below). Press r to try again.";
        let p = Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Proxies "));
        f.render_widget(p, l.list);
        f.render_widget(Block::bordered().title(" Detail "), l.detail);
        return;
    }
    let p = app.progress.clone().unwrap_or_default();
    let mut lines = vec![
        Line::from(""),
        Line::styled(
            format!("{} Loading {}…", spinner(app), app.sources_label),
            t.bold(),
        ),
        Line::from(format!(
            "{} files and {} resources read",
            p.files, p.resources
        )),
    ];
    if p.sources_total > 1 {
        lines.push(Line::from(format!(
            "source {} of {}: {}",
            (p.sources_done + 1).min(p.sources_total),
            p.sources_total,
            p.current
        )));
    }
    let block = Block::bordered().title(" Proxies ");
    f.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .block(block),
        l.list,
    );
    f.render_widget(Block::bordered().title(" Detail "), l.detail);
}

// ---- tree ------------------------------------------------------------------------

fn proxy_type_mark(t: ProxyType) -> (&'static str, &'static str) {
    match t {
        ProxyType::Sidecar => ("●", "sidecar"),
        ProxyType::BuiltinGateway => ("⬢", "builtin gateway"),
        ProxyType::DelegatedGateway => ("⬡", "delegated gateway"),
    }
}

/// `1 outbound`, `2,000 outbounds`.
fn count(n: usize, w: &str) -> String {
    let digits = n.to_string();
    let mut s = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    format!("{s} {w}{}", if n == 1 { "" } else { "s" })
}

fn plural(n: u32, w: &str) -> String {
    format!("{n} {w}{}", if n == 1 || w == "info" { "" } else { "s" })
}

fn mark_spans(mk: Marks, t: &Theme) -> Vec<Span<'static>> {
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
fn node_line(app: &App, m: &Model, n: Node, t: &Theme) -> Line<'static> {
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
    if app.changed.contains(&n) {
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
fn render_tree(app: &App, m: &Model, f: &mut Frame, l: &Layout, t: &Theme) {
    let title = match &app.mesh_filter {
        Some(mesh) => format!(" Proxies · mesh {mesh} "),
        None => " Proxies ".to_string(),
    };
    let block = Block::bordered().title(title);
    f.render_widget(block, l.list);
    let inner = l.list_inner;
    if app.rows.is_empty() {
        let msg = if app.filter.is_empty() {
            "(no proxies in the input)".to_string()
        } else if let Some((done, all)) = app.lazy_progress() {
            format!(
                "(nothing matches /{}; outbounds are searched on resolved proxies only, \
                 {done} of {all})",
                app.filter
            )
        } else {
            format!("(nothing matches /{})", app.filter)
        };
        f.render_widget(
            Paragraph::new(msg).style(t.dim()).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let h = inner.height as usize;
    let start = app.tree.offset.min(app.rows.len().saturating_sub(1));
    let end = (start + h).min(app.rows.len());
    let ancestors = m.ancestors(app.rows[start]);
    let k = ancestors.len();
    // (node, its row index or None for an ancestor above the window)
    let entries: Vec<(Node, Option<usize>)> = ancestors
        .into_iter()
        .map(|a| (a, None))
        .chain((start..end).map(|i| (app.rows[i], Some(i))))
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
    render_scrollbar(f, l.list, app.rows.len(), app.tree.offset, h);
}

fn build_items(
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
        if row == Some(app.tree.sel) {
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

fn render_scrollbar(f: &mut Frame, area: Rect, len: usize, offset: usize, height: usize) {
    if len <= height {
        return;
    }
    let mut st = ScrollbarState::new(len.saturating_sub(height))
        .position(offset)
        .viewport_content_length(height);
    let sb = Scrollbar::new(ScrollbarOrientation::VerticalRight)
        .begin_symbol(None)
        .end_symbol(None);
    f.render_stateful_widget(
        sb,
        area.inner(ratatui::layout::Margin {
            vertical: 1,
            horizontal: 0,
        }),
        &mut st,
    );
}

/// A flat list: the rows of the window, the selected one highlighted.
fn render_list(
    f: &mut Frame,
    l: &Layout,
    (title, empty): (String, &str),
    lines: Vec<Line<'static>>,
    len: usize,
    pos: super::app::ListPos,
    t: &Theme,
) {
    f.render_widget(Block::bordered().title(title), l.list);
    let inner = l.list_inner;
    if len == 0 {
        f.render_widget(Paragraph::new(empty.to_string()).style(t.dim()), inner);
        return;
    }
    for (i, line) in lines.into_iter().enumerate() {
        let row = pos.offset + i;
        let r = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
        let selected = row == pos.sel;
        let mut spans = vec![Span::raw(if selected { "> " } else { "  " })];
        spans.extend(line.spans);
        let mut line = Line::from(spans);
        if selected {
            line = line.style(t.highlight());
            f.buffer_mut().set_style(r, t.highlight());
        }
        f.render_widget(line, r);
    }
    render_scrollbar(f, l.list, len, pos.offset, inner.height as usize);
}

fn window(len: usize, offset: usize, h: usize) -> std::ops::Range<usize> {
    offset.min(len)..(offset + h).min(len)
}

// ---- policies and findings ---------------------------------------------------------

fn status_span(s: Status, t: &Theme) -> Span<'static> {
    let (sym, word) = marks::status(s);
    Span::styled(format!("{sym} {word}"), t.status(s))
}

/// `1 proxy`, `2 proxies`.
fn proxies(n: u32) -> String {
    format!("{n} prox{}", if n == 1 { "y" } else { "ies" })
}

/// What a policy that acts on no outbound does instead, as a mark: refused, selects
/// no proxy, or selects proxies and routes none of their outbounds.
fn idle_mark(app: &App, pe: &PolicyEntry) -> Option<(String, Severity)> {
    if pe.refused {
        return Some(("✖ refused".into(), Severity::Error));
    }
    if !pe.uses.is_empty() {
        return None;
    }
    Some(match pe.selects {
        0 => ("∅ selects no proxy".into(), Severity::Info),
        n if app.lazy_progress().is_some() => (
            format!("○ routes nothing on resolved proxies (selects {n})"),
            Severity::Warning,
        ),
        n => (
            format!("○ routes nothing on {}", proxies(n)),
            Severity::Warning,
        ),
    })
}

/// A finding's message without the `Kind name: ` it starts with, under that policy.
fn message_under<'a>(pe: &PolicyEntry, msg: &'a str) -> &'a str {
    let head = format!("{} {}: ", pe.kind, pe.qualified());
    msg.strip_prefix(head.as_str())
        .filter(|r| !r.is_empty())
        .unwrap_or(msg)
}

fn render_policies(app: &App, m: &Model, f: &mut Frame, l: &Layout, t: &Theme) {
    let h = l.list_inner.height as usize;
    let lines = window(app.policy_rows.len(), app.policies.offset, h)
        .map(|i| match app.policy_rows[i] {
            PRow::Policy(p) => {
                let pe = &m.policies[p];
                let mut v = vec![
                    Span::styled(format!("{:<13} ", pe.kind), t.dim()),
                    Span::styled(pe.qualified(), t.bold()),
                ];
                if let Some((text, sev)) = idle_mark(app, pe) {
                    v.push(Span::styled(format!("  {text}"), t.severity(sev)));
                }
                for s in [Status::Applied, Status::Overridden, Status::Ignored] {
                    let c = pe.count(s);
                    if c > 0 {
                        let (sym, word) = marks::status(s);
                        v.push(Span::styled(format!("  {sym} {c} {word}"), t.status(s)));
                    }
                }
                let sevs = [Severity::Error, Severity::Warning, Severity::Info];
                for (sev, c) in sevs.into_iter().zip(pe.severities) {
                    if c > 0 {
                        let (sym, word) = marks::severity(sev);
                        v.push(Span::styled(
                            format!("  {sym} {}", plural(c, word)),
                            t.severity(sev),
                        ));
                    }
                }
                Line::from(v)
            }
            PRow::Finding(p, g) => {
                let pe = &m.policies[p];
                let (fi, n) = pe.groups[g];
                let fd = &m.report.findings[fi as usize];
                let (sym, word) = marks::severity(fd.severity);
                let mut v = vec![
                    Span::raw("   "),
                    Span::styled(format!("{sym} {word} "), t.severity(fd.severity)),
                    Span::styled(fd.code.as_str().to_string(), t.bold()),
                    Span::raw(format!("  {}", message_under(pe, &fd.message))),
                ];
                if n > 1 {
                    v.push(Span::styled(format!(" (×{n})"), t.dim()));
                }
                Line::from(v)
            }
            PRow::Use(p, u) => {
                let (pi, oi, s) = m.policies[p].uses[u];
                let pr = m.proxy(pi);
                let name = match &pr.namespace {
                    Some(ns) => format!("{ns}/{}", pr.name),
                    None => pr.name.clone(),
                };
                Line::from(vec![
                    Span::raw(format!(
                        "   {name} → {}  ",
                        m.outbound(pi, oi).destination.label()
                    )),
                    status_span(s, t),
                ])
            }
        })
        .collect();
    let n = m.policies.len();
    let title = match app.lazy_progress() {
        Some((done, all)) => {
            format!(" Policies ({n}) · as seen on resolved proxies only ({done} of {all}) ")
        }
        None => format!(" Policies ({n}) "),
    };
    render_list(
        f,
        l,
        (title, "(no route policies)"),
        lines,
        app.policy_rows.len(),
        app.policies,
        t,
    );
}

/// `file:line` in at most `max` columns (never less than `…` and the last character of
/// the file name before the line): the path without the first `strip` bytes (the directory every
/// finding's file is in), then, when that is still too long, without its leading
/// directories (`…/mesh/routes.yaml:29`), then only its tail (`…tes.yaml:29`).
pub fn short_location(loc: &Location, strip: usize, max: usize) -> String {
    let file = loc
        .file
        .get(strip..)
        .filter(|f| !f.is_empty())
        .unwrap_or(&loc.file);
    let full = format!("{file}:{}", loc.line);
    let len = full.chars().count();
    if len <= max {
        return full;
    }
    let mut rest = full.as_str();
    while let Some(i) = rest.find('/') {
        rest = &rest[i + 1..];
        if rest.chars().count() + 2 <= max {
            return format!("…/{rest}");
        }
    }
    // Never less than `…x:line`.
    let keep = max.max(loc.line.to_string().len() + 3) - 1;
    let tail: String = full.chars().skip(len.saturating_sub(keep)).collect();
    format!("…{tail}")
}

/// What the Findings list shows of a finding without a file.
const NO_FILE: &str = "(no file)";

fn render_findings(app: &App, m: &Model, f: &mut Frame, l: &Layout, t: &Theme) {
    let h = l.list_inner.height as usize;
    let rows = window(app.finding_rows.len(), app.findings.offset, h);
    // The file column: as wide as the widest location in view, at most a third of the
    // list (the code and message need the rest), but room for `routes.yaml:129`.
    let max = (l.list_inner.width as usize / 3).max(16);
    let locs: Vec<String> = rows
        .clone()
        .map(|i| match &m.report.findings[app.finding_rows[i]].location {
            Some(loc) => short_location(loc, m.finding_dir, max),
            None => NO_FILE.to_string(),
        })
        .collect();
    let col = locs.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let lines = rows
        .zip(locs)
        .map(|(i, loc)| {
            let fd = &m.report.findings[app.finding_rows[i]];
            let (sym, word) = marks::severity(fd.severity);
            let pad = col - loc.chars().count();
            Line::from(vec![
                Span::styled(format!("{sym} {word:<7} "), t.severity(fd.severity)),
                Span::styled(format!("{loc}{}  ", " ".repeat(pad)), t.dim()),
                Span::styled(fd.code.as_str().to_string(), t.bold()),
                Span::raw(format!("  {}", fd.message)),
            ])
        })
        .collect();
    let n = m.report.findings.len();
    render_list(
        f,
        l,
        (format!(" Findings ({n}) "), "(no findings)"),
        lines,
        app.finding_rows.len(),
        app.findings,
        t,
    );
}

// ---- detail ------------------------------------------------------------------------

fn render_detail(
    f: &mut Frame,
    r: Rect,
    t: &Theme,
    scroll: u16,
    (title, text): (String, Text<'static>),
) {
    let _ = t;
    let p = Paragraph::new(text)
        .block(Block::bordered().title(format!(" {title} ")))
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    f.render_widget(p, r);
}

/// Text with status marks coloured (the words are unchanged).
fn story(s: &str, t: &Theme) -> Text<'static> {
    Text::from(
        s.lines()
            .map(|line| {
                let st = [Status::Applied, Status::Overridden, Status::Ignored]
                    .into_iter()
                    .find(|s| {
                        line.contains(&format!("{} {}", marks::status(*s).0, marks::status(*s).1))
                    })
                    .map(|s| t.status(s))
                    .or_else(|| {
                        [Severity::Error, Severity::Warning, Severity::Info]
                            .into_iter()
                            .find(|s| {
                                line.trim_start().starts_with(&format!(
                                    "{} {}",
                                    marks::severity(*s).0,
                                    marks::severity(*s).1
                                ))
                            })
                            .map(|s| t.severity(s))
                    })
                    .unwrap_or_default();
                Line::styled(line.to_string(), st)
            })
            .collect::<Vec<_>>(),
    )
}

fn proxy_findings<'a>(m: &'a Model, name: &str, qualified: &str) -> Vec<&'a Finding> {
    m.report
        .findings
        .iter()
        .filter(|f| {
            f.proxies
                .iter()
                .any(|h| *h.proxy.name == *name && h.proxy.qualified() == qualified)
        })
        .collect()
}

/// What applied changes did to an outbound: before → after, as `meshtcp diff` says it.
fn before_after(
    before: Option<&crate::resolve::OutboundReport>,
    after: &crate::resolve::OutboundReport,
) -> String {
    let backends = |o: &crate::resolve::OutboundReport| {
        if o.backends.is_empty() {
            return "none".to_string();
        }
        o.backends
            .iter()
            .map(|b| format!("{} {}", backend_name(b), share_pct(b.share)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(b) = before else {
        return "✱ changed: new with the applied changes\n\n".to_string();
    };
    let mut s = String::from("✱ changed by the applied changes (before → after):\n");
    if b.route != after.route {
        s.push_str(&format!(
            "  Route: {} → {}\n",
            b.route.as_str(),
            after.route.as_str()
        ));
    }
    let (bb, ab) = (backends(b), backends(after));
    if bb != ab {
        s.push_str(&format!("  Backends: {bb} → {ab}\n"));
    }
    for p in &after.policies {
        let was = b
            .policies
            .iter()
            .find(|q| q.kind == p.kind && q.name == p.name && q.namespace == p.namespace);
        match was {
            Some(q) if q.status != p.status => s.push_str(&format!(
                "  {} {}: {} → {}\n",
                p.kind,
                p.name,
                q.status.as_str(),
                p.status.as_str()
            )),
            None => s.push_str(&format!(
                "  {} {}: new, {}\n",
                p.kind,
                p.name,
                p.status.as_str()
            )),
            _ => {}
        }
    }
    for q in &b.policies {
        if !after
            .policies
            .iter()
            .any(|p| q.kind == p.kind && q.name == p.name && q.namespace == p.namespace)
        {
            s.push_str(&format!(
                "  {} {}: gone (was {})\n",
                q.kind,
                q.name,
                q.status.as_str()
            ));
        }
    }
    if b.protocol != after.protocol {
        s.push_str(&format!(
            "  Protocol: {} → {}\n",
            b.protocol, after.protocol
        ));
    }
    s.push('\n');
    s
}

fn tree_detail(app: &App, m: &Model, t: &Theme) -> (String, Text<'static>) {
    let Some(n) = app.selected_node() else {
        return ("Detail".into(), Text::from(""));
    };
    match n {
        Node::Mesh(mi) => {
            let g = &m.meshes[mi as usize];
            let ps = &m.report.proxies[g.proxies.clone()];
            let count = |ty| ps.iter().filter(|p| p.proxy_type == ty).count();
            let mut s = format!(
                "Mesh {}\n\n{} proxies: {} sidecars, {} builtin gateways, {} delegated gateways\n",
                g.name,
                ps.len(),
                count(ProxyType::Sidecar),
                count(ProxyType::BuiltinGateway),
                count(ProxyType::DelegatedGateway)
            );
            let obs: usize = g.proxies.clone().map(|p| m.outbound_count(p as u32)).sum();
            s.push_str(&format!("{obs} outbounds\n"));
            if m.is_lazy() {
                let done = g
                    .proxies
                    .clone()
                    .filter(|&p| m.is_resolved(p as u32))
                    .count();
                s.push_str(&format!(
                    "(a large mesh: each proxy's outbounds are resolved when it is opened or \
                     selected; {done} of {} resolved so far)\n",
                    ps.len()
                ));
            }
            let pols: Vec<&str> = m
                .policies
                .iter()
                .filter(|p| p.mesh.as_deref() == Some(g.name.as_str()))
                .map(|p| p.name.as_str())
                .collect();
            s.push_str(&format!(
                "{} route policies{}: {}\n",
                pols.len(),
                if m.is_lazy() {
                    " (on resolved proxies)"
                } else {
                    ""
                },
                pols.join(", ")
            ));
            (format!("Mesh {}", g.name), story(&s, t))
        }
        Node::Proxy(p) => {
            let pr = m.proxy(p);
            let q = match &pr.namespace {
                Some(ns) => format!("{ns}/{}", pr.name),
                None => pr.name.clone(),
            };
            let (sym, word) = proxy_type_mark(pr.proxy_type);
            let mut s = format!("Proxy {q}\nMesh: {}\nType: {sym} {word}\n", pr.mesh);
            if let Some(l) = &pr.location {
                s.push_str(&format!("Source: {l}\n"));
            }
            if let Some(d) = &pr.derived_from {
                s.push_str(&crate::report::text::derived_mark(d));
                s.push('\n');
            }
            let (e, w, i) = m.proxy_counts[p as usize];
            s.push_str(&format!(
                "Findings: ✖ {} · ▲ {} · ℹ {}\n",
                plural(e, "error"),
                plural(w, "warning"),
                plural(i, "info")
            ));
            s.push_str("\nTags:\n");
            if pr.tags.is_empty() {
                s.push_str("  (none)\n");
            }
            for (k, v) in &pr.tags {
                s.push_str(&format!("  {k}: {v}\n"));
            }
            s.push_str("\nSelected by (route policies, lowest precedence first):\n");
            if pr.selected_by.is_empty() {
                s.push_str("  (none)\n");
            }
            for r in &pr.selected_by {
                let ns = r
                    .namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "  {} {ns}{}  targetRef {}\n",
                    r.kind, r.name, r.target_ref
                ));
            }
            if m.is_resolved(p) {
                s.push_str(&format!("\nOutbounds ({}):\n", pr.outbounds.len()));
                for o in &pr.outbounds {
                    s.push_str(&format!("  {}\n", crate::report::text::outbound_title(o)));
                }
            } else {
                s.push_str(&format!(
                    "\nOutbounds ({}): resolving…\n",
                    m.outbound_count(p)
                ));
            }
            for note in &pr.notes {
                s.push_str(&format!("\nNote: {note}\n"));
            }
            let fs = proxy_findings(m, &pr.name, &q);
            if !fs.is_empty() {
                s.push_str("\nFindings:\n");
                for f in fs {
                    s.push_str(&format!("  {}\n", finding_text(f)));
                }
            }
            (format!("Proxy {q}"), story(&s, t))
        }
        Node::Outbound(p, o) => {
            let pr = m.proxy(p);
            let ob = m.outbound(p, o);
            let mut s = explain(pr, ob, &m.report.findings, &m.report.kuma_version);
            if app.before.is_some() && app.changed.contains(&Node::Outbound(p, o)) {
                s.insert_str(
                    0,
                    &before_after(app.before_outbound(Node::Outbound(p, o)), ob),
                );
            }
            (
                format!("{} → {}", pr.name, ob.destination.shown()),
                story(&s, t),
            )
        }
        Node::Backend(p, o, b) => {
            let pr = m.proxy(p);
            let ob = m.outbound(p, o);
            let bk = &ob.backends[b as usize];
            let total: u64 = ob.backends.iter().map(|b| b.weight as u64).sum();
            let mut s = format!(
                "Backend {}\nOf: {} → {} ({}, route {})\nKind: {}\n",
                backend_name(bk),
                pr.name,
                ob.destination.shown(),
                ob.protocol,
                ob.route.as_str(),
                bk.kind
            );
            if let Some(port) = bk.port {
                s.push_str(&format!("Port: {port}\n"));
            }
            if !bk.tags.is_empty() {
                s.push_str(&format!("Tags: {}\n", fmt_tags(&bk.tags)));
            }
            s.push_str(&format!(
                "Weight: {} of {total} · share {}\n",
                bk.weight,
                share_pct(bk.share)
            ));
            if bk.resolved {
                s.push_str("Resolved: yes\n");
            } else {
                s.push_str(&format!(
                    "Resolved: {} {}: the input holds no such service\n",
                    marks::UNRESOLVED.0,
                    marks::UNRESOLVED.1
                ));
            }
            if !bk.how.is_empty() {
                s.push_str(&format!("\nHow: {}\n", bk.how));
            }
            s.push_str(&format!("\nWhy this route: {}\n", ob.reason));
            if let Some(a) = ob
                .policies
                .iter()
                .rev()
                .find(|x| x.status == Status::Applied)
            {
                let loc = a
                    .location
                    .as_ref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                s.push_str(&format!("Set by: ✓ applied {} {}{loc}\n", a.kind, a.name));
            }
            (format!("Backend {}", backend_name(bk)), story(&s, t))
        }
        Node::Pending(p) => {
            let pr = m.proxy(p);
            let s = format!(
                "Resolving the {} of {}…\n\nThis mesh is large, so each proxy's outbounds are \
                 resolved when it is opened or selected. The findings are complete already.\n",
                count(m.outbound_count(p), "outbound"),
                pr.name
            );
            (format!("Proxy {}", pr.name), story(&s, t))
        }
        Node::Placeholder => ("Detail".into(), Text::from("")),
    }
}

fn source_lines(app: &App, loc: &crate::model::Location) -> String {
    match app.sources.get(loc) {
        Some(SourceText::Ready(s)) => s.clone(),
        Some(SourceText::Failed(e)) => format!("(cannot show the source: {e})"),
        Some(SourceText::Pending) | None => "(reading…)".into(),
    }
}

fn policy_detail(app: &App, m: &Model, t: &Theme) -> (String, Text<'static>) {
    match app.selected_policy_row() {
        None => ("Detail".into(), Text::from("")),
        Some(PRow::Use(p, u)) => {
            let (pi, oi, _) = m.policies[p].uses[u];
            let pr = m.proxy(pi);
            let ob = m.outbound(pi, oi);
            let s = explain(pr, ob, &m.report.findings, &m.report.kuma_version);
            (
                format!("{} → {}", pr.name, ob.destination.shown()),
                story(&s, t),
            )
        }
        Some(PRow::Finding(p, g)) => {
            let (fi, n) = m.policies[p].groups[g];
            let hint = if n > 1 {
                format!(
                    "\n{n} findings say this; Enter: the first in the Findings view · y: its source YAML\n"
                )
            } else {
                "\nEnter: it in the Findings view · y: its source YAML\n".to_string()
            };
            finding_story(m, fi as usize, &hint, t)
        }
        Some(PRow::Policy(p)) => {
            let pe = &m.policies[p];
            let mut s = format!("{} {}\n", pe.kind, pe.qualified());
            if let Some(mesh) = &pe.mesh {
                s.push_str(&format!("Mesh: {mesh}\n"));
            }
            if let Some(l) = &pe.location {
                s.push_str(&format!("Source: {l}\n"));
            }
            let selected = || {
                let mut names: Vec<String> = pe
                    .some_selected
                    .iter()
                    .map(|&p| qualified_proxy(m, p))
                    .collect();
                if (pe.selects as usize) > names.len() {
                    names.push("…".into());
                }
                names.join(", ")
            };
            if pe.refused {
                s.push_str(
                    "\n✖ Refused: the control plane rejects this policy (its findings say \
                     why), so it takes no part in routing.\n",
                );
            } else if pe.uses.is_empty() && pe.selects == 0 {
                s.push_str(
                    "\n∅ Selects no proxy: its top-level targetRef matches no proxy in the \
                     input.\n",
                );
            } else if pe.uses.is_empty() && app.lazy_progress().is_some() {
                s.push_str(&format!(
                    "\n○ Selects {} ({}); it routes no outbound of the resolved ones \
                     (a proxy is resolved when it is opened or selected in the tree).\n",
                    proxies(pe.selects),
                    selected()
                ));
            } else if pe.uses.is_empty() {
                s.push_str(&format!(
                    "\n○ Selects {} ({}), but routes none of their outbounds: no to[] \
                     entry matches a destination there.\n",
                    proxies(pe.selects),
                    selected()
                ));
            }
            if !pe.uses.is_empty() {
                if let Some((done, all)) = app.lazy_progress() {
                    s.push_str(&format!(
                        "\nCounted on resolved proxies only ({done} of {all}): a proxy is \
                         resolved when it is opened or selected in the tree.\n"
                    ));
                }
                let proxies: std::collections::HashSet<u32> = pe.uses.iter().map(|u| u.0).collect();
                s.push_str(&format!(
                    "\nActs on {} outbound{} of {} prox{}: ",
                    pe.uses.len(),
                    if pe.uses.len() == 1 { "" } else { "s" },
                    proxies.len(),
                    if proxies.len() == 1 { "y" } else { "ies" }
                ));
                let parts: Vec<String> = [Status::Applied, Status::Overridden, Status::Ignored]
                    .into_iter()
                    .filter(|st| pe.count(*st) > 0)
                    .map(|st| {
                        format!(
                            "{} {} {}",
                            marks::status(st).0,
                            pe.count(st),
                            marks::status(st).1
                        )
                    })
                    .collect();
                s.push_str(&parts.join(", "));
                s.push('\n');
            }
            if !pe.findings.is_empty() {
                s.push_str("\nFindings:\n");
                for &fi in &pe.findings {
                    s.push_str(&format!(
                        "  {}\n",
                        finding_text(&m.report.findings[fi as usize])
                    ));
                }
            }
            if let Some(l) = &pe.location {
                s.push_str(&format!("\nYAML ({l}):\n"));
                s.push_str(&source_lines(app, l));
            }
            (format!("{} {}", pe.kind, pe.name), story(&s, t))
        }
    }
}

fn finding_detail(app: &App, m: &Model, t: &Theme) -> (String, Text<'static>) {
    match app.selected_finding() {
        Some(i) => finding_story(
            m,
            i,
            "\nEnter: go to the node it concerns · y: its source YAML\n",
            t,
        ),
        None => ("Detail".into(), Text::from("")),
    }
}

/// `name` or `namespace/name` of proxy `p`.
fn qualified_proxy(m: &Model, p: u32) -> String {
    let pr = m.proxy(p);
    match &pr.namespace {
        Some(ns) => format!("{ns}/{}", pr.name),
        None => pr.name.clone(),
    }
}

/// How many of a finding's proxies its detail lists.
const PROXIES_LISTED: usize = 50;

fn finding_story(m: &Model, i: usize, hint: &str, t: &Theme) -> (String, Text<'static>) {
    let f = &m.report.findings[i];
    let (sym, word) = marks::severity(f.severity);
    let mut s = format!("{sym} {word} {}\n\n{}\n\n", f.code.as_str(), f.message);
    if let Some(r) = &f.resource {
        let ns = r
            .namespace
            .as_ref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        let mesh = r
            .mesh
            .as_ref()
            .map(|m| format!(" (mesh {m})"))
            .unwrap_or_default();
        s.push_str(&format!("Resource: {} {ns}{}{mesh}\n", r.kind, r.name));
    }
    if let Some(a) = f.affected() {
        s.push_str(&format!(
            "On {} prox{}, {} outbound{}:\n",
            a.proxies,
            if a.proxies == 1 { "y" } else { "ies" },
            a.outbounds,
            if a.outbounds == 1 { "" } else { "s" }
        ));
        for h in f.proxies.iter().take(PROXIES_LISTED) {
            s.push_str(&format!("  {}", h.proxy.qualified()));
            if !h.outbounds.is_empty() {
                s.push_str(&format!(": {}", h.outbounds.join(", ")));
            }
            s.push('\n');
        }
        if a.proxies > PROXIES_LISTED {
            s.push_str(&format!("  … {} more\n", a.proxies - PROXIES_LISTED));
        }
    }
    if let Some(l) = &f.location {
        s.push_str(&format!("Source: {l}\n"));
    }
    s.push_str(hint);
    ("Finding".into(), story(&s, t))
}

// ---- bottom lines and overlays -------------------------------------------------------

fn render_message(app: &App, f: &mut Frame, r: Rect, t: &Theme) {
    let line = match app.mode {
        Mode::Filter => Line::from(vec![
            Span::styled("/", t.bold()),
            Span::raw(app.input.clone()),
            Span::styled("█", t.dim()),
            Span::styled("   Enter keep · Esc clear", t.dim()),
        ]),
        Mode::Command => {
            let mut v = vec![
                Span::styled(":", t.bold()),
                Span::raw(app.input.clone()),
                Span::styled("█", t.dim()),
            ];
            if !app.completions.is_empty() {
                v.push(Span::styled(
                    format!("   Tab: {}", app.completions.join("  ")),
                    t.dim(),
                ));
            }
            Line::from(v)
        }
        _ => match &app.message {
            Some(msg) if msg.error => {
                Line::styled(format!("✖ {}", msg.text), t.severity(Severity::Error))
            }
            Some(msg) => Line::styled(format!("ℹ {}", msg.text), t.fg(Color::Cyan)),
            None => Line::styled(
                match app.view {
                    View::Tree => {
                        "j/k move · l/h expand/collapse · * all · / filter · : command · Tab views · y YAML"
                    }
                    View::Policies => {
                        "j/k move · Enter go to the tree · / filter · : command · Tab views · y YAML"
                    }
                    View::Findings => {
                        "j/k move · Enter go to the node · / filter · : command · Tab views · y YAML"
                    }
                },
                t.dim(),
            ),
        },
    };
    f.render_widget(line, r);
}

fn render_status(app: &App, f: &mut Frame, r: Rect, t: &Theme) {
    let mut v = vec![Span::styled(format!(" {} ", app.sources_label), t.bold())];
    let mut version = format!("· Kuma {}", app.version);
    if let Some(p) = app.pending_version {
        version.push_str(&format!(" → {p} {}", spinner(app)));
    }
    v.push(Span::raw(version));
    if let Some(c) = &app.cluster {
        let style = if c.starts_with('✖') {
            t.severity(Severity::Error)
        } else {
            t.fg(Color::Cyan)
        };
        v.push(Span::styled(format!(" · ⎈ {c}"), style));
    }
    if let Some(m) = &app.model {
        let n = |s| m.report.findings.iter().filter(|f| f.severity == s).count() as u32;
        v.push(Span::raw(" · "));
        v.push(Span::styled(
            format!("✖ {}", plural(n(Severity::Error), "error")),
            t.severity(Severity::Error),
        ));
        v.push(Span::raw(" "));
        v.push(Span::styled(
            format!("▲ {}", plural(n(Severity::Warning), "warning")),
            t.severity(Severity::Warning),
        ));
        v.push(Span::raw(" "));
        v.push(Span::styled(
            format!("ℹ {}", plural(n(Severity::Info), "info")),
            t.severity(Severity::Info),
        ));
    }
    if let Some((done, all)) = app.lazy_progress() {
        let resolving = if app.requested.is_empty() {
            String::new()
        } else {
            format!(", {} resolving {}", app.requested.len(), spinner(app))
        };
        v.push(Span::styled(
            format!(" · {done}/{all} proxies resolved{resolving}"),
            t.fg(Color::Cyan),
        ));
    }
    if let Some(p) = &app.progress {
        v.push(Span::styled(
            format!(
                " · {} loading: {} files, {} resources",
                spinner(app),
                p.files,
                p.resources
            ),
            t.fg(Color::Cyan),
        ));
    }
    if !app.filter.is_empty() {
        let scope = if app.lazy_progress().is_some() {
            " (resolved outbounds only)"
        } else {
            ""
        };
        v.push(Span::styled(
            format!(" · filter /{}{scope}", app.filter),
            t.matched(),
        ));
    }
    if let Some(mesh) = &app.mesh_filter {
        v.push(Span::raw(format!(" · mesh {mesh}")));
    }
    let hint = " ? help ";
    let used: usize = v.iter().map(|s| s.width()).sum();
    let pad = (r.width as usize).saturating_sub(used + hint.len());
    v.push(Span::raw(" ".repeat(pad)));
    v.push(Span::styled(hint, t.bold()));
    let style = if app.color {
        Style::new().bg(Color::Black)
    } else {
        Style::new()
    };
    f.render_widget(Line::from(v).style(style), r);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn render_help(app: &App, f: &mut Frame, area: Rect, t: &Theme) {
    let mut lines = vec![Line::styled(
        format!("Keys of the {} view", app.view.title()),
        t.bold(),
    )];
    for (k, h) in keymap::help(app.view) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<11}"), t.bold()),
            Span::raw(h),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Commands (:, Tab completes)", t.bold()));
    for (c, h) in super::app::COMMANDS {
        lines.push(Line::from(vec![
            Span::styled(format!("  :{c:<10}"), t.bold()),
            Span::raw(*h),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(
        "Mouse: click selects · double-click toggles · wheel scrolls",
    ));
    lines.push(Line::from(format!(
        "Marks: {} {} · {} {} · {} {} · {} {} · ✖ error · {} {}",
        marks::status(Status::Applied).0,
        marks::status(Status::Applied).1,
        marks::status(Status::Overridden).0,
        marks::status(Status::Overridden).1,
        marks::status(Status::Ignored).0,
        marks::status(Status::Ignored).1,
        marks::LEGACY.0,
        marks::LEGACY.1,
        CHANGED.0,
        CHANGED.1
    )));
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = centered(area, 76, h);
    f.render_widget(Clear, r);
    let p = Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(" Help · Esc closes ")
                .borders(Borders::ALL),
        )
        .scroll((app.help_scroll, 0));
    p.render(r, f.buffer_mut());
}

fn render_yaml(app: &App, f: &mut Frame, area: Rect, t: &Theme) {
    let Some(y) = &app.yaml else { return };
    let r = centered(
        area,
        area.width.saturating_sub(8).max(40),
        area.height.saturating_sub(4),
    );
    f.render_widget(Clear, r);
    let body: Vec<Line> = match app.sources.get(&y.location) {
        Some(SourceText::Ready(s)) => s
            .lines()
            .enumerate()
            .map(|(i, l)| {
                Line::from(vec![
                    Span::styled(format!("{:>5} │ ", y.location.line as usize + i), t.dim()),
                    Span::raw(l.to_string()),
                ])
            })
            .collect(),
        Some(SourceText::Failed(e)) => vec![Line::styled(
            format!("✖ cannot show the source: {e}"),
            t.severity(Severity::Error),
        )],
        _ => vec![Line::from("reading…")],
    };
    let p = Paragraph::new(body)
        .block(Block::bordered().title(format!(" {} · {} · Esc closes ", y.title, y.location)))
        .scroll((y.scroll, 0));
    f.render_widget(p, r);
}
