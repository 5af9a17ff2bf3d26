//! Drawing: `render(&App, &mut Frame)` is a pure function of the app state. Every mark
//! is a symbol and a word; colour is a second channel and is off under `NO_COLOR`.

use super::action::View;
use super::app::{App, FRow, Mode, PRow, SourceText, YamlView};
use super::keymap;
use super::model::{Marks, Model, Node, PolicyEntry};
use crate::model::{Finding, Location, ProxyType, Severity, fmt_tags};
use crate::report::text::backend_name;
use crate::report::{marks, share_pct};
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

mod detail;
mod lists;
mod overlay;
mod status;
mod tree;

use detail::*;
use lists::*;
use overlay::*;
use status::*;
use tree::*;

pub use lists::short_location;

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
    match &app.mode {
        Mode::Help { scroll } => render_help(app, *scroll, f, area, &t),
        Mode::Yaml(y) => render_yaml(app, y, f, area, &t),
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
    let ms = match (app.now, app.status.load_started) {
        (Some(n), Some(s)) => n.duration_since(s).as_millis(),
        _ => 0,
    };
    SPINNER[(ms / 100) as usize % SPINNER.len()]
}

fn render_loading(app: &App, f: &mut Frame, l: &Layout, t: &Theme) {
    if app.status.progress.is_none() {
        let msg = "Nothing to show: loading failed (the message is below). Press r to try again.";
        let p = Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Proxies "));
        f.render_widget(p, l.list);
        f.render_widget(Block::bordered().title(" Detail "), l.detail);
        return;
    }
    let p = app.status.progress.clone().unwrap_or_default();
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
