//! Keys are data: one table per context maps a key to an [`Action`]. The help overlay
//! is written from the same tables, so it always lists what the keys really do.

use super::action::{Action, View};
use super::app::{App, Mode};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn c(ch: char) -> Key {
    k(KeyCode::Char(ch))
}

const fn ctrl(ch: char) -> Key {
    Key {
        code: KeyCode::Char(ch),
        mods: KeyModifiers::CONTROL,
    }
}

/// One binding: the keys, what they do, and how the help overlay names them.
#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub label: &'static str,
    pub help: &'static str,
}

const fn b(
    keys: &'static [Key],
    action: Action,
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        label,
        help,
    }
}

/// Keys that work in every view.
pub static COMMON: &[Binding] = &[
    b(
        &[c('j'), k(KeyCode::Down)],
        Action::Down,
        "↓ j",
        "move down",
    ),
    b(&[c('k'), k(KeyCode::Up)], Action::Up, "↑ k", "move up"),
    b(
        &[k(KeyCode::PageDown), ctrl('f')],
        Action::PageDown,
        "PgDn",
        "page down",
    ),
    b(
        &[k(KeyCode::PageUp), ctrl('b')],
        Action::PageUp,
        "PgUp",
        "page up",
    ),
    b(
        &[k(KeyCode::Home), c('g')],
        Action::Home,
        "Home g",
        "first row",
    ),
    b(&[k(KeyCode::End), c('G')], Action::End, "End G", "last row"),
    b(
        &[c('J'), ctrl('d')],
        Action::DetailDown,
        "J",
        "scroll the detail down",
    ),
    b(
        &[c('K'), ctrl('u')],
        Action::DetailUp,
        "K",
        "scroll the detail up",
    ),
    b(
        &[c('/')],
        Action::OpenFilter,
        "/",
        "filter names, tags and policy names",
    ),
    b(&[c('n')], Action::NextMatch, "n", "next match"),
    b(&[c('N')], Action::PrevMatch, "N", "previous match"),
    b(
        &[c(']')],
        Action::NextChange,
        "]",
        "next change (--apply, :apply)",
    ),
    b(&[c('[')], Action::PrevChange, "[", "previous change"),
    b(
        &[k(KeyCode::Esc)],
        Action::ClearFilter,
        "Esc",
        "clear the filter",
    ),
    b(
        &[c(':')],
        Action::OpenCommand,
        ":",
        "command (:proxy :policy :mesh :version :q)",
    ),
    b(&[k(KeyCode::Tab)], Action::NextView, "Tab", "next view"),
    b(
        &[k(KeyCode::BackTab)],
        Action::PrevView,
        "S-Tab",
        "previous view",
    ),
    b(&[c('1')], Action::ShowView(View::Tree), "1", "Tree view"),
    b(
        &[c('2')],
        Action::ShowView(View::Policies),
        "2",
        "Policies view",
    ),
    b(
        &[c('3')],
        Action::ShowView(View::Findings),
        "3",
        "Findings view",
    ),
    b(
        &[c('y')],
        Action::ShowYaml,
        "y",
        "source YAML of the selection",
    ),
    b(
        &[c('r'), ctrl('r')],
        Action::Reload,
        "r",
        "reload the sources",
    ),
    b(&[c('?')], Action::ShowHelp, "?", "this help"),
    b(&[c('q')], Action::Quit, "q", "quit"),
    b(
        &[ctrl('c')],
        Action::Interrupt,
        "C-c",
        "quit (exit code 130)",
    ),
];

pub static TREE: &[Binding] = &[
    b(
        &[c('l'), k(KeyCode::Right), k(KeyCode::Enter)],
        Action::Expand,
        "→ l Enter",
        "expand (again: first child)",
    ),
    b(
        &[c('h'), k(KeyCode::Left)],
        Action::Collapse,
        "← h",
        "collapse (again: parent)",
    ),
    b(&[c(' ')], Action::Toggle, "Space", "toggle"),
    b(&[c('*')], Action::ExpandAll, "*", "expand all"),
    b(&[c('-')], Action::CollapseAll, "-", "collapse all"),
];

pub static POLICIES: &[Binding] = &[b(
    &[k(KeyCode::Enter)],
    Action::Jump,
    "Enter",
    "go to the proxy and outbound in the tree (a finding: the Findings view)",
)];

pub static FINDINGS: &[Binding] = &[
    b(
        &[k(KeyCode::Enter)],
        Action::Jump,
        "Enter",
        "go to the proxy and outbound (a finding: its first proxy)",
    ),
    b(
        &[c('l'), k(KeyCode::Right)],
        Action::Expand,
        "→ l",
        "list the proxies a finding concerns",
    ),
    b(
        &[c('h'), k(KeyCode::Left)],
        Action::Collapse,
        "← h",
        "close the finding",
    ),
    b(
        &[c(' ')],
        Action::Toggle,
        "Space",
        "open or close the finding",
    ),
];

pub static INPUT: &[Binding] = &[
    b(&[k(KeyCode::Enter)], Action::InputSubmit, "Enter", "accept"),
    b(
        &[k(KeyCode::Esc)],
        Action::InputCancel,
        "Esc",
        "cancel (clears a filter)",
    ),
    b(
        &[k(KeyCode::Backspace)],
        Action::InputBackspace,
        "Bksp",
        "delete a character",
    ),
    b(
        &[k(KeyCode::Tab)],
        Action::Complete,
        "Tab",
        "complete (command line)",
    ),
    b(
        &[k(KeyCode::Up)],
        Action::HistoryPrev,
        "↑",
        "previous command",
    ),
    b(
        &[k(KeyCode::Down)],
        Action::HistoryNext,
        "↓",
        "next command",
    ),
    b(
        &[ctrl('c')],
        Action::Interrupt,
        "C-c",
        "quit (exit code 130)",
    ),
];

pub static OVERLAY: &[Binding] = &[
    b(
        &[k(KeyCode::Esc), c('q'), c('?'), c('y')],
        Action::CloseOverlay,
        "Esc q",
        "close",
    ),
    b(
        &[c('j'), k(KeyCode::Down)],
        Action::Down,
        "↓ j",
        "scroll down",
    ),
    b(&[c('k'), k(KeyCode::Up)], Action::Up, "↑ k", "scroll up"),
    b(
        &[k(KeyCode::PageDown)],
        Action::PageDown,
        "PgDn",
        "page down",
    ),
    b(&[k(KeyCode::PageUp)], Action::PageUp, "PgUp", "page up"),
    b(&[k(KeyCode::Home), c('g')], Action::Home, "Home", "top"),
    b(
        &[ctrl('c')],
        Action::Interrupt,
        "C-c",
        "quit (exit code 130)",
    ),
];

pub fn view_table(v: View) -> &'static [Binding] {
    match v {
        View::Tree => TREE,
        View::Policies => POLICIES,
        View::Findings => FINDINGS,
    }
}

/// Characters as typed: SHIFT is part of the character, not a modifier.
fn normalize(ev: &KeyEvent) -> Key {
    let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
        mods.remove(KeyModifiers::SHIFT);
    }
    Key {
        code: ev.code,
        mods,
    }
}

fn lookup(tables: &[&[Binding]], key: Key) -> Option<Action> {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .find(|b| b.keys.contains(&key))
        .map(|b| b.action.clone())
}

/// The action a key press means in the app's current mode and view.
pub fn map_key(app: &App, ev: KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let key = normalize(&ev);
    match app.mode {
        Mode::Filter { .. } | Mode::Command(_) => lookup(&[INPUT], key).or(match key {
            Key {
                code: KeyCode::Char(ch),
                mods,
            } if !mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                Some(Action::Input(ch))
            }
            _ => None,
        }),
        Mode::Help { .. } | Mode::Yaml(_) => lookup(&[OVERLAY], key),
        Mode::Normal => lookup(&[view_table(app.view), COMMON], key),
    }
}

/// (keys, what they do) for the help overlay of a view.
pub fn help(view: View) -> Vec<(&'static str, &'static str)> {
    view_table(view)
        .iter()
        .chain(COMMON.iter())
        .map(|b| (b.label, b.help))
        .collect()
}
