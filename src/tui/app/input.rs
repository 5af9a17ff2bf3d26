//! Keys and the mouse: what an action does in each mode (overlays, the input line,
//! the views), and clicks.

use super::*;

impl App {
    pub(super) fn update_overlay(&mut self, a: Action) {
        let page = self.list_height() as u16;
        let scroll = match &mut self.mode {
            Mode::Help { scroll } | Mode::Yaml(YamlView { scroll, .. }) => scroll,
            _ => return,
        };
        match a {
            Action::CloseOverlay | Action::ClearFilter | Action::ShowHelp => {
                self.mode = Mode::Normal;
            }
            Action::Down | Action::ScrollDown { .. } => *scroll = scroll.saturating_add(1),
            Action::Up | Action::ScrollUp { .. } => *scroll = scroll.saturating_sub(1),
            Action::PageDown => *scroll = scroll.saturating_add(page),
            Action::PageUp => *scroll = scroll.saturating_sub(page),
            Action::Home => *scroll = 0,
            _ => {}
        }
    }

    pub(super) fn update_input(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Input(c) => {
                if let Some(input) = self.mode.input_mut() {
                    input.push(c);
                }
                self.input_changed();
            }
            Action::InputBackspace => {
                let empty = self.mode.input_mut().is_some_and(|i| i.pop().is_none());
                if empty && matches!(self.mode, Mode::Command(_)) {
                    self.mode = Mode::Normal;
                }
                self.input_changed();
            }
            Action::InputCancel => {
                if matches!(self.mode, Mode::Filter { .. }) {
                    self.set_filter(String::new());
                }
                self.mode = Mode::Normal;
            }
            Action::InputSubmit => {
                if let Mode::Command(c) = std::mem::take(&mut self.mode) {
                    return self.run_command(&c.input);
                }
                if !self.filter.text.is_empty() {
                    let mut text = format!(
                        "filter /{}: n next, N previous, Esc clears",
                        self.filter.text
                    );
                    if let Some((done, all)) = self.lazy_progress() {
                        text.push_str(&format!(
                            " · it searches every proxy, but outbounds only on resolved \
                             proxies ({done} of {all})"
                        ));
                    }
                    self.say(text, false);
                }
            }
            Action::Complete if matches!(self.mode, Mode::Command(_)) => self.complete(),
            Action::HistoryPrev | Action::HistoryNext if !self.history.is_empty() => {
                let Mode::Command(c) = &mut self.mode else {
                    return vec![];
                };
                let n = self.history.len();
                let p = match (a, c.history_pos) {
                    (Action::HistoryPrev, None) => n - 1,
                    (Action::HistoryPrev, Some(p)) => p.saturating_sub(1),
                    (_, None) => return vec![],
                    (_, Some(p)) => (p + 1).min(n - 1),
                };
                c.history_pos = Some(p);
                c.input = self.history[p].clone();
                self.input_changed();
            }
            _ => {}
        }
        vec![]
    }

    pub(super) fn input_changed(&mut self) {
        match &self.mode {
            Mode::Filter { input } => self.set_filter(input.clone()),
            Mode::Command(c) => {
                let completions = self.candidates(&c.input).into_iter().take(12).collect();
                if let Mode::Command(c) = &mut self.mode {
                    c.completions = completions;
                }
            }
            _ => {}
        }
    }

    pub(super) fn update_normal(&mut self, a: Action) -> Vec<Effect> {
        let page = self.list_height() as isize;
        match a {
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(page),
            Action::PageUp => self.move_by(-page),
            Action::Home => self.move_by(isize::MIN / 2),
            Action::End => self.move_by(isize::MAX / 2),
            Action::DetailDown => {
                self.detail_scroll = self.detail_scroll.saturating_add(page as u16 / 2)
            }
            Action::DetailUp => {
                self.detail_scroll = self.detail_scroll.saturating_sub(page as u16 / 2)
            }
            Action::Expand if self.view == View::Findings => self.expand_finding(),
            Action::Collapse if self.view == View::Findings => self.collapse_finding(),
            Action::Toggle if self.view == View::Findings => self.toggle_finding(),
            Action::Expand if self.view == View::Tree => self.expand(),
            Action::Collapse if self.view == View::Tree => self.collapse(),
            Action::Toggle if self.view == View::Tree => {
                if self.is_open(self.tree.pos.sel) {
                    self.collapse()
                } else {
                    self.expand()
                }
            }
            Action::ExpandAll if self.view == View::Tree => self.expand_all(),
            Action::CollapseAll if self.view == View::Tree => self.collapse_all(),
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let d = if a == Action::NextView {
                    1
                } else {
                    View::ALL.len() - 1
                };
                self.show_view(View::ALL[(i + d) % View::ALL.len()]);
            }
            Action::ShowView(v) => self.show_view(v),
            Action::Jump => self.jump(),
            Action::OpenFilter => {
                self.mode = Mode::Filter {
                    input: self.filter.text.clone(),
                };
            }
            Action::OpenCommand => {
                self.mode = Mode::Command(CommandLine {
                    completions: self.candidates("").into_iter().take(12).collect(),
                    ..CommandLine::default()
                });
            }
            Action::ClearFilter if !self.filter.text.is_empty() => {
                self.set_filter(String::new());
                self.say("filter cleared", false);
            }
            Action::NextMatch => self.next_match(true),
            Action::PrevMatch => self.next_match(false),
            Action::NextChange => self.next_change(true),
            Action::PrevChange => self.next_change(false),
            Action::ShowHelp => self.mode = Mode::Help { scroll: 0 },
            Action::ShowYaml => self.show_yaml(),
            Action::Reload => {
                self.status.progress = Some(Progress::default());
                self.status.load_started = self.now;
                return vec![Effect::Reload];
            }
            Action::Click { col, row } => self.click(col, row, false),
            Action::DoubleClick { col, row } => self.click(col, row, true),
            Action::ScrollDown { col, row } | Action::ScrollUp { col, row } => {
                let down = matches!(a, Action::ScrollDown { .. });
                let l = render::layout(Rect::new(0, 0, self.size.0, self.size.1));
                if l.detail.contains(Position::new(col, row)) {
                    self.detail_scroll = if down {
                        self.detail_scroll.saturating_add(3)
                    } else {
                        self.detail_scroll.saturating_sub(3)
                    };
                } else {
                    self.move_by(if down { 3 } else { -3 });
                }
            }
            _ => {}
        }
        vec![]
    }

    pub(super) fn show_view(&mut self, v: View) {
        if self.lists.stale {
            self.rebuild_lists();
        }
        if self.view != v {
            self.view = v;
            self.detail_scroll = 0;
        }
    }

    pub(super) fn click(&mut self, col: u16, row: u16, double: bool) {
        let l = render::layout(Rect::new(0, 0, self.size.0, self.size.1));
        let pos = Position::new(col, row);
        if l.header.contains(pos) {
            if let Some(v) = render::tab_at(col) {
                self.show_view(v);
            }
            return;
        }
        if !l.list_inner.contains(pos) {
            return;
        }
        let offset = match self.view {
            View::Tree => self.tree.pos.offset,
            View::Policies => self.lists.policies.pos.offset,
            View::Findings => self.lists.findings.pos.offset,
        };
        let idx = offset + (row - l.list_inner.y) as usize;
        let (_, len) = self.pos_mut();
        if idx >= len {
            return;
        }
        self.select_index(idx);
        if double {
            match self.view {
                View::Tree => {
                    if self.is_open(idx) {
                        self.collapse()
                    } else {
                        self.expand()
                    }
                }
                _ => self.jump(),
            }
        }
    }
}
