//! The two bottom lines: the message (or the input line) and the status line.

use super::*;

pub(super) fn render_message(app: &App, f: &mut Frame, r: Rect, t: &Theme) {
    let line = match &app.mode {
        Mode::Filter { input } => Line::from(vec![
            Span::styled("/", t.bold()),
            Span::raw(input.clone()),
            Span::styled("█", t.dim()),
            Span::styled("   Enter keep · Esc clear", t.dim()),
        ]),
        Mode::Command(c) => {
            let mut v = vec![
                Span::styled(":", t.bold()),
                Span::raw(c.input.clone()),
                Span::styled("█", t.dim()),
            ];
            if !c.completions.is_empty() {
                v.push(Span::styled(
                    format!("   Tab: {}", c.completions.join("  ")),
                    t.dim(),
                ));
            }
            Line::from(v)
        }
        _ => match &app.status.message {
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

pub(super) fn render_status(app: &App, f: &mut Frame, r: Rect, t: &Theme) {
    let mut v = vec![Span::styled(format!(" {} ", app.sources_label), t.bold())];
    let mut version = format!("· Kuma {}", app.version);
    if let Some(p) = app.status.pending_version {
        version.push_str(&format!(" → {p} {}", spinner(app)));
    }
    v.push(Span::raw(version));
    if let Some(c) = &app.status.cluster {
        let style = if c.starts_with('✖') {
            t.severity(Severity::Error)
        } else {
            t.fg(Color::Cyan)
        };
        v.push(Span::styled(format!(" · ⎈ {c}"), style));
    }
    if app.model.as_ref().is_some_and(|m| m.findings_pending) {
        v.push(Span::styled(
            format!(" · {} checking every proxy for findings", spinner(app)),
            t.fg(Color::Cyan),
        ));
    } else if let Some(m) = &app.model {
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
        let resolving = if app.lazy.requested.is_empty() {
            String::new()
        } else {
            format!(", {} resolving {}", app.lazy.requested.len(), spinner(app))
        };
        v.push(Span::styled(
            format!(" · {done}/{all} proxies resolved{resolving}"),
            t.fg(Color::Cyan),
        ));
    }
    if let Some(p) = &app.status.progress {
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
    if !app.filter.text.is_empty() {
        let scope = if app.lazy_progress().is_some() {
            " (resolved outbounds only)"
        } else {
            ""
        };
        v.push(Span::styled(
            format!(" · filter /{}{scope}", app.filter.text),
            t.matched(),
        ));
    }
    if let Some(mesh) = &app.filter.mesh {
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
