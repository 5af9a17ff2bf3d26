//! The Policies and Findings views: flat lists of rows.

use super::*;

pub(super) fn render_scrollbar(
    f: &mut Frame,
    area: Rect,
    len: usize,
    offset: usize,
    height: usize,
) {
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
pub(super) fn render_list(
    f: &mut Frame,
    l: &Layout,
    (title, empty): (String, &str),
    lines: Vec<Line<'static>>,
    len: usize,
    pos: crate::tui::app::ListPos,
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

pub(super) fn window(len: usize, offset: usize, h: usize) -> std::ops::Range<usize> {
    offset.min(len)..(offset + h).min(len)
}

pub(super) fn status_span(s: Status, t: &Theme) -> Span<'static> {
    let (sym, word) = marks::status(s);
    Span::styled(format!("{sym} {word}"), t.status(s))
}

/// `1 proxy`, `2 proxies`.
pub(super) fn proxies(n: u32) -> String {
    format!("{n} prox{}", if n == 1 { "y" } else { "ies" })
}

/// What a policy that acts on no outbound does instead, as a mark: refused, selects
/// no proxy, or selects proxies and routes none of their outbounds.
pub(super) fn idle_mark(app: &App, pe: &PolicyEntry) -> Option<(String, Severity)> {
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
pub(super) fn message_under<'a>(pe: &PolicyEntry, msg: &'a str) -> &'a str {
    let head = format!("{} {}: ", pe.kind, pe.qualified());
    msg.strip_prefix(head.as_str())
        .filter(|r| !r.is_empty())
        .unwrap_or(msg)
}

pub(super) fn render_policies(app: &App, m: &Model, f: &mut Frame, l: &Layout, t: &Theme) {
    let h = l.list_inner.height as usize;
    let lines = window(
        app.lists.policies.rows.len(),
        app.lists.policies.pos.offset,
        h,
    )
    .map(|i| match app.lists.policies.rows[i] {
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
            let name = pr.qualified_name();
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
        app.lists.policies.rows.len(),
        app.lists.policies.pos,
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

pub(super) fn render_findings(app: &App, m: &Model, f: &mut Frame, l: &Layout, t: &Theme) {
    let h = l.list_inner.height as usize;
    let all = &app.lists.findings.rows;
    let rows = window(all.len(), app.lists.findings.pos.offset, h);
    // The file column: as wide as the widest location in view, at most a third of the
    // list (the code and message need the rest), but room for `routes.yaml:129`.
    let max = (l.list_inner.width as usize / 3).max(16);
    let locs: Vec<String> = rows
        .clone()
        .map(|i| match all[i] {
            FRow::Finding(fi) => match &m.report.findings[fi].location {
                Some(loc) => short_location(loc, m.finding_dir, max),
                None => NO_FILE.to_string(),
            },
            FRow::Proxy(..) => String::new(),
        })
        .collect();
    let col = locs.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let lines = rows
        .zip(locs)
        .map(|(i, loc)| match all[i] {
            FRow::Finding(fi) => {
                let fd = &m.report.findings[fi];
                let (sym, word) = marks::severity(fd.severity);
                let pad = col - loc.chars().count();
                let open = if fd.proxies.is_empty() {
                    "  "
                } else if app.lists.open_findings.contains(&fi) {
                    "▾ "
                } else {
                    "▸ "
                };
                let mut spans = vec![
                    Span::raw(open),
                    Span::styled(format!("{sym} {word:<7} "), t.severity(fd.severity)),
                    Span::styled(format!("{loc}{}  ", " ".repeat(pad)), t.dim()),
                    Span::styled(fd.code.as_str().to_string(), t.bold()),
                ];
                if let Some(a) = fd.affected() {
                    spans.push(Span::styled(
                        format!(
                            "  [{} prox{}]",
                            a.proxies,
                            if a.proxies == 1 { "y" } else { "ies" }
                        ),
                        t.dim(),
                    ));
                }
                spans.push(Span::raw(format!("  {}", fd.message)));
                Line::from(spans)
            }
            FRow::Proxy(fi, hi) => {
                let hit = &m.report.findings[fi].proxies[hi];
                let mut s = format!("    └ {}", hit.proxy.qualified());
                if !hit.outbounds.is_empty() {
                    s.push_str(&format!(" → {}", hit.outbounds.join(", ")));
                }
                Line::from(vec![
                    Span::raw(s),
                    Span::styled(format!("  (mesh {})", hit.proxy.mesh), t.dim()),
                ])
            }
        })
        .collect();
    let n = m.report.findings.len();
    let (title, empty) = if m.findings_pending {
        (
            format!(" Findings ({n} so far: checking every proxy) "),
            "(every proxy is being checked; the findings appear here when that is done)",
        )
    } else {
        (format!(" Findings ({n}) "), "(no findings)")
    };
    render_list(
        f,
        l,
        (title, empty),
        lines,
        all.len(),
        app.lists.findings.pos,
        t,
    );
}
