//! The detail pane: what the selection is, in words. Built as lines of tagged spans
//! (see [`crate::report::text::lines`]); a line with a status or severity mark takes
//! the mark's colour.

use super::*;
use crate::report::text::{
    Line as TextLine, Lines, Tag, explain_lines, finding_line, printable_line,
};

pub(super) fn render_detail(
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

/// The lines as ratatui text: a line with a mark (a status, a severity) is in the
/// mark's colour; the words are unchanged.
pub(super) fn story(lines: Vec<TextLine>, t: &Theme) -> Text<'static> {
    Text::from(
        lines
            .into_iter()
            .map(|l| {
                let st = match l.mark() {
                    Some(Tag::Status(s)) => t.status(s),
                    Some(Tag::Severity(s)) => t.severity(s),
                    _ => Style::default(),
                };
                Line::styled(l.text(), st)
            })
            .collect::<Vec<_>>(),
    )
}

/// A finding as a line of the detail, indented.
fn finding_entry(f: &Finding) -> TextLine {
    TextLine::plain("  ").with_line(printable_line(finding_line(f)))
}

pub(super) fn proxy_findings<'a>(m: &'a Model, name: &str, qualified: &str) -> Vec<&'a Finding> {
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
pub(super) fn before_after(
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

pub(super) fn tree_detail(app: &App, m: &Model, t: &Theme) -> (String, Text<'static>) {
    let Some(n) = app.selected_node() else {
        return ("Detail".into(), Text::from(""));
    };
    match n {
        Node::Mesh(mi) => {
            let g = &m.meshes[mi as usize];
            let ps = &m.report.proxies[g.proxies.clone()];
            let count = |ty| ps.iter().filter(|p| p.proxy_type == ty).count();
            let mut d = Lines::default();
            d.plain(&format!(
                "Mesh {}\n\n{} proxies: {} sidecars, {} builtin gateways, {} delegated gateways\n",
                g.name,
                ps.len(),
                count(ProxyType::Sidecar),
                count(ProxyType::BuiltinGateway),
                count(ProxyType::DelegatedGateway)
            ));
            let obs: usize = g.proxies.clone().map(|p| m.outbound_count(p as u32)).sum();
            d.plain(&format!("{obs} outbounds\n"));
            if m.is_lazy() {
                let done = g
                    .proxies
                    .clone()
                    .filter(|&p| m.is_resolved(p as u32))
                    .count();
                d.plain(&format!(
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
            d.plain(&format!(
                "{} route policies{}: {}\n",
                pols.len(),
                if m.is_lazy() {
                    " (on resolved proxies)"
                } else {
                    ""
                },
                pols.join(", ")
            ));
            (format!("Mesh {}", g.name), story(d.finish(), t))
        }
        Node::Proxy(p) => {
            let pr = m.proxy(p);
            let q = pr.qualified_name();
            let (sym, word) = proxy_type_mark(pr.proxy_type);
            let mut d = Lines::default();
            d.plain(&format!(
                "Proxy {q}\nMesh: {}\nType: {sym} {word}\n",
                pr.mesh
            ));
            if let Some(l) = &pr.location {
                d.plain(&format!("Source: {l}\n"));
            }
            if let Some(from) = &pr.derived_from {
                d.plain(&crate::report::text::derived_mark(from));
                d.plain("\n");
            }
            let (e, w, i) = m.proxy_counts[p as usize];
            if m.findings_pending {
                d.plain("Findings: not known yet (every proxy is being checked)\n");
            } else {
                d.plain(&format!(
                    "Findings: ✖ {} · ▲ {} · ℹ {}\n",
                    plural(e, "error"),
                    plural(w, "warning"),
                    plural(i, "info")
                ));
            }
            d.plain("\nTags:\n");
            if pr.tags.is_empty() {
                d.plain("  (none)\n");
            }
            for (k, v) in &pr.tags {
                d.plain(&format!("  {k}: {v}\n"));
            }
            d.plain("\nSelected by (route policies, lowest precedence first):\n");
            if pr.selected_by.is_empty() {
                d.plain("  (none)\n");
            }
            for r in pr.selected_by.iter() {
                let name = crate::model::qualified_name(r.namespace.as_deref(), &r.name);
                d.plain(&format!(
                    "  {} {name}  targetRef {}\n",
                    r.kind, r.target_ref
                ));
            }
            if m.is_resolved(p) {
                d.plain(&format!("\nOutbounds ({}):\n", pr.outbounds.len()));
                for o in pr.outbounds.iter() {
                    d.plain(&format!("  {}\n", crate::report::text::outbound_title(o)));
                }
            } else {
                d.plain(&format!(
                    "\nOutbounds ({}): resolving…\n",
                    m.outbound_count(p)
                ));
            }
            for note in &pr.notes {
                d.plain(&format!("\nNote: {note}\n"));
            }
            let fs = proxy_findings(m, &pr.name, &q);
            if !fs.is_empty() {
                d.plain("\nFindings:\n");
                d.lines(fs.into_iter().map(finding_entry));
            }
            (format!("Proxy {q}"), story(d.finish(), t))
        }
        Node::Outbound(p, o) => {
            let pr = m.proxy(p);
            let ob = m.outbound(p, o);
            let mut d = Lines::default();
            if app.changes.before.is_some() && app.changes.nodes.contains(&Node::Outbound(p, o)) {
                d.plain(&before_after(app.before_outbound(Node::Outbound(p, o)), ob));
            }
            d.lines(explain_lines(
                pr,
                ob,
                &m.report.findings,
                &m.report.kuma_version,
            ));
            (
                format!("{} → {}", pr.name, ob.destination.shown()),
                story(d.finish(), t),
            )
        }
        Node::Backend(p, o, b) => {
            let pr = m.proxy(p);
            let ob = m.outbound(p, o);
            let bk = &ob.backends[b as usize];
            let total: u64 = ob.backends.iter().map(|b| b.weight as u64).sum();
            let mut d = Lines::default();
            d.plain(&format!(
                "Backend {}\nOf: {} → {} ({}, route {})\nKind: {}\n",
                backend_name(bk),
                pr.name,
                ob.destination.shown(),
                ob.protocol,
                ob.route.as_str(),
                bk.kind
            ));
            if let Some(port) = bk.port {
                d.plain(&format!("Port: {port}\n"));
            }
            if !bk.tags.is_empty() {
                d.plain(&format!("Tags: {}\n", fmt_tags(&bk.tags)));
            }
            d.plain(&format!(
                "Weight: {} of {total} · share {}\n",
                bk.weight,
                share_pct(bk.share)
            ));
            if bk.resolved {
                d.plain("Resolved: yes\n");
            } else {
                d.plain(&format!(
                    "Resolved: {} {}: the input holds no such service\n",
                    marks::UNRESOLVED.0,
                    marks::UNRESOLVED.1
                ));
            }
            if !bk.how.is_empty() {
                d.plain(&format!("\nHow: {}\n", bk.how));
            }
            d.plain(&format!("\nWhy this route: {}\n", ob.reason));
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
                let (sym, word) = marks::status(Status::Applied);
                d.line(
                    TextLine::plain("Set by: ")
                        .with(Tag::Status(Status::Applied), format!("{sym} {word}"))
                        .with(Tag::Plain, format!(" {} {}{loc}", a.kind, a.name)),
                );
            }
            (
                format!("Backend {}", backend_name(bk)),
                story(d.finish(), t),
            )
        }
        Node::Pending(p) => {
            let pr = m.proxy(p);
            let mut d = Lines::default();
            d.plain(&format!(
                "Resolving the {} of {}…\n\nThis mesh is large, so each proxy's outbounds are \
                 resolved when it is opened or selected. The findings are complete already.\n",
                count(m.outbound_count(p), "outbound"),
                pr.name
            ));
            (format!("Proxy {}", pr.name), story(d.finish(), t))
        }
        Node::Placeholder => ("Detail".into(), Text::from("")),
    }
}

pub(super) fn source_lines(app: &App, loc: &crate::model::Location) -> String {
    match app.sources.get(loc) {
        Some(SourceText::Ready(s)) => s.clone(),
        Some(SourceText::Failed(e)) => format!("(cannot show the source: {e})"),
        Some(SourceText::Pending) | None => "(reading…)".into(),
    }
}

pub(super) fn policy_detail(app: &App, m: &Model, t: &Theme) -> (String, Text<'static>) {
    match app.selected_policy_row() {
        None => ("Detail".into(), Text::from("")),
        Some(PRow::Use(p, u)) => {
            let (pi, oi, _) = m.policies[p].uses[u];
            let pr = m.proxy(pi);
            let ob = m.outbound(pi, oi);
            let lines = explain_lines(pr, ob, &m.report.findings, &m.report.kuma_version);
            (
                format!("{} → {}", pr.name, ob.destination.shown()),
                story(lines, t),
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
            let mut d = Lines::default();
            d.plain(&format!("{} {}\n", pe.kind, pe.qualified()));
            if let Some(mesh) = &pe.mesh {
                d.plain(&format!("Mesh: {mesh}\n"));
            }
            if let Some(l) = &pe.location {
                d.plain(&format!("Source: {l}\n"));
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
                d.plain(
                    "\n✖ Refused: the control plane rejects this policy (its findings say \
                     why), so it takes no part in routing.\n",
                );
            } else if pe.uses.is_empty() && pe.selects == 0 {
                d.plain(
                    "\n∅ Selects no proxy: its top-level targetRef matches no proxy in the \
                     input.\n",
                );
            } else if pe.uses.is_empty() && app.lazy_progress().is_some() {
                d.plain(&format!(
                    "\n○ Selects {} ({}); it routes no outbound of the resolved ones \
                     (a proxy is resolved when it is opened or selected in the tree).\n",
                    proxies(pe.selects),
                    selected()
                ));
            } else if pe.uses.is_empty() {
                d.plain(&format!(
                    "\n○ Selects {} ({}), but routes none of their outbounds: no to[] \
                     entry matches a destination there.\n",
                    proxies(pe.selects),
                    selected()
                ));
            }
            if !pe.uses.is_empty() {
                if let Some((done, all)) = app.lazy_progress() {
                    d.plain(&format!(
                        "\nCounted on resolved proxies only ({done} of {all}): a proxy is \
                         resolved when it is opened or selected in the tree.\n"
                    ));
                }
                let proxies: std::collections::HashSet<u32> = pe.uses.iter().map(|u| u.0).collect();
                d.plain(&format!(
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
                d.plain(&parts.join(", "));
                d.plain("\n");
            }
            if !pe.findings.is_empty() {
                d.plain("\nFindings:\n");
                d.lines(
                    pe.findings
                        .iter()
                        .map(|&fi| finding_entry(&m.report.findings[fi as usize])),
                );
            }
            if let Some(l) = &pe.location {
                d.plain(&format!("\nYAML ({l}):\n"));
                d.plain(&source_lines(app, l));
            }
            (format!("{} {}", pe.kind, pe.name), story(d.finish(), t))
        }
    }
}

pub(super) fn finding_detail(app: &App, m: &Model, t: &Theme) -> (String, Text<'static>) {
    match app.selected_finding_row() {
        Some(FRow::Finding(i)) => finding_story(
            m,
            i,
            if m.report.findings[i].resource.is_none() {
                "\nEnter or y: its source YAML\n"
            } else if m.report.findings[i].proxies.is_empty() {
                "\nEnter: go to the resource · y: its source YAML\n"
            } else {
                "\nEnter: go to its first proxy · → list its proxies · y: its source YAML\n"
            },
            t,
        ),
        Some(FRow::Proxy(i, h)) => {
            let hit = &m.report.findings[i].proxies[h];
            let mut d = Lines::default();
            d.line(TextLine::default().with(Tag::Bold, format!("Proxy {}", hit.proxy.qualified())));
            d.plain(&format!("\nmesh {}\n", hit.proxy.mesh));
            if hit.outbounds.is_empty() {
                d.plain("This finding concerns the proxy as a whole.\n");
            } else {
                d.plain("Outbounds this finding concerns:\n");
                for o in hit.outbounds.iter() {
                    d.plain(&format!("  {o}\n"));
                }
            }
            if m.proxy_of(&hit.proxy).is_none() {
                d.plain("\n(this proxy is not in the tree: another mesh filter or source)\n");
            }
            d.plain("\nEnter: go there in the tree · ← back to the finding\n\n");
            let (_, about) = finding_story(m, i, "", t);
            let mut text = story(d.finish(), t);
            text.lines.extend(about.lines);
            (format!("Finding on {}", hit.proxy.qualified()), text)
        }
        None => ("Detail".into(), Text::from("")),
    }
}

/// `name` or `namespace/name` of proxy `p`.
pub(super) fn qualified_proxy(m: &Model, p: u32) -> String {
    m.proxy(p).qualified_name()
}

/// How many of a finding's proxies its detail lists.
const PROXIES_LISTED: usize = 50;

pub(super) fn finding_story(m: &Model, i: usize, hint: &str, t: &Theme) -> (String, Text<'static>) {
    let f = &m.report.findings[i];
    let (sym, word) = marks::severity(f.severity);
    let mut d = Lines::default();
    d.line(
        TextLine::default()
            .with(Tag::Severity(f.severity), format!("{sym} {word}"))
            .with(Tag::Plain, format!(" {}", f.code.as_str())),
    );
    d.plain(&format!("\n{}\n\n", f.message));
    if let Some(r) = &f.resource {
        let mesh = r
            .mesh
            .as_ref()
            .map(|m| format!(" (mesh {m})"))
            .unwrap_or_default();
        let name = crate::model::qualified_name(r.namespace.as_deref(), &r.name);
        d.plain(&format!("Resource: {} {name}{mesh}\n", r.kind));
    }
    if let Some(a) = f.affected() {
        d.plain(&format!(
            "On {} prox{}, {} outbound{}:\n",
            a.proxies,
            if a.proxies == 1 { "y" } else { "ies" },
            a.outbounds,
            if a.outbounds == 1 { "" } else { "s" }
        ));
        for h in f.proxies.iter().take(PROXIES_LISTED) {
            let mut line = format!("  {}", h.proxy.qualified());
            if !h.outbounds.is_empty() {
                line.push_str(&format!(": {}", h.outbounds.join(", ")));
            }
            line.push('\n');
            d.plain(&line);
        }
        if a.proxies > PROXIES_LISTED {
            d.plain(&format!("  … {} more\n", a.proxies - PROXIES_LISTED));
        }
    }
    if let Some(l) = &f.location {
        d.plain(&format!("Source: {l}\n"));
    }
    d.plain(hint);
    ("Finding".into(), story(d.finish(), t))
}
