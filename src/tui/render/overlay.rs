//! Overlays: the help and a source document.

use super::*;

pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub(super) fn render_help(app: &App, scroll: u16, f: &mut Frame, area: Rect, t: &Theme) {
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
    for (c, h) in crate::tui::app::COMMANDS {
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
        .scroll((scroll, 0));
    p.render(r, f.buffer_mut());
}

pub(super) fn render_yaml(app: &App, y: &YamlView, f: &mut Frame, area: Rect, t: &Theme) {
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
