//! The command line (`:`): completion and the commands.

use super::*;

impl App {
    /// Completion candidates for the command line `input`.
    pub fn candidates(&self, input: &str) -> Vec<String> {
        let input = input.trim_start();
        let Some((cmd, arg)) = input.split_once(' ') else {
            return COMMANDS
                .iter()
                .map(|c| c.0)
                .filter(|c| c.starts_with(input))
                .map(String::from)
                .collect();
        };
        let arg = arg.trim_start();
        let Some(m) = &self.model else { return vec![] };
        let pool: Vec<String> = match cmd {
            "proxy" => m.proxy_names(),
            "policy" => m.policies.iter().map(|p| p.qualified()).collect(),
            "mesh" => m.meshes.iter().map(|g| g.name.clone()).collect(),
            "version" => KumaVersion::all().map(|v| v.to_string()).collect(),
            _ => vec![],
        };
        let mut out: Vec<String> = pool
            .iter()
            .filter(|s| s.starts_with(arg))
            .cloned()
            .collect();
        if out.is_empty() {
            out = pool.into_iter().filter(|s| s.contains(arg)).collect();
        }
        out.dedup();
        out
    }

    pub(super) fn complete(&mut self) {
        let Mode::Command(cl) = &self.mode else {
            return;
        };
        let mut input = cl.input.clone();
        let c = self.candidates(&input);
        let head = match input.trim_start().split_once(' ') {
            Some((cmd, _)) => format!("{cmd} "),
            None => String::new(),
        };
        match c.len() {
            0 => self.say(format!("nothing completes `{input}`"), true),
            1 => input = format!("{head}{}{}", c[0], if head.is_empty() { " " } else { "" }),
            _ => {
                let mut prefix = c[0].clone();
                for s in &c[1..] {
                    while !s.starts_with(&prefix) {
                        prefix.pop();
                    }
                }
                let arg = input
                    .trim_start()
                    .split_once(' ')
                    .map(|x| x.1.trim_start())
                    .unwrap_or(input.trim_start());
                if prefix.len() > arg.len() {
                    input = format!("{head}{prefix}");
                }
            }
        }
        let completions = self.candidates(&input).into_iter().take(12).collect();
        if let Mode::Command(cl) = &mut self.mode {
            cl.input = input;
            cl.completions = completions;
        }
    }

    pub(super) fn run_command(&mut self, line: &str) -> Vec<Effect> {
        let line = line.trim().trim_start_matches(':').trim();
        if line.is_empty() {
            return vec![];
        }
        if self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_string());
        }
        let (cmd, arg) = match line.split_once(' ') {
            Some((c, a)) => (c, a.trim()),
            None => (line, ""),
        };
        let need_model = |app: &mut App| {
            if app.model.is_none() {
                app.say("still loading", true);
            }
            app.model.is_some()
        };
        match cmd {
            "q" | "q!" | "quit" | "exit" => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            "tree" => self.show_view(View::Tree),
            "policies" | "pol" => self.show_view(View::Policies),
            "findings" => self.show_view(View::Findings),
            "help" => self.mode = Mode::Help { scroll: 0 },
            "reload" => return self.update_normal(Action::Reload),
            "apply" => {
                let paths: Vec<String> = arg.split_whitespace().map(String::from).collect();
                if paths.is_empty() {
                    self.say(
                        "apply what? :apply FILE… shows the sources with those files applied",
                        true,
                    );
                } else {
                    self.say(format!("applying {}…", paths.join(" ")), false);
                    return vec![Effect::Apply(paths)];
                }
            }
            "filter" => self.set_filter(arg.to_string()),
            "proxy" | "dp" if need_model(self) => {
                let m = self.model.as_ref().expect("checked");
                match m.find_proxy(arg) {
                    Some(p) if !arg.is_empty() => {
                        self.tree.opened.insert(Node::Proxy(p));
                        self.reveal(Node::Proxy(p));
                    }
                    _ => self.say(format!("no proxy named `{arg}`"), true),
                }
            }
            "policy" if need_model(self) => {
                let m = self.model.as_ref().expect("checked");
                match m.find_policy(arg) {
                    Some(p) if !arg.is_empty() => {
                        self.show_view(View::Policies);
                        if !self.lists.policies.rows.contains(&PRow::Policy(p)) {
                            self.filter.mesh = None;
                            self.set_filter(String::new());
                            self.rebuild_lists();
                        }
                        if let Some(i) = self.lists.policies.rows.iter().position(|r| *r == PRow::Policy(p)) {
                            self.select_index(i);
                            self.lists.policies.pos.offset = i;
                            let h = self.list_height();
                            self.lists.policies.fit(h);
                        }
                    }
                    _ => self.say(format!("no policy named `{arg}`"), true),
                }
            }
            "mesh" if need_model(self) => {
                let m = self.model.as_ref().expect("checked");
                if arg.is_empty() || arg == "*" || arg == "all" {
                    self.filter.mesh = None;
                } else if m.meshes.iter().any(|g| g.name == arg) {
                    self.filter.mesh = Some(arg.to_string());
                } else {
                    let names: Vec<&str> = m.meshes.iter().map(|g| g.name.as_str()).collect();
                    self.say(format!("no mesh `{arg}` (meshes: {})", names.join(", ")), true);
                    return vec![];
                }
                self.rebuild_rows(self.selected_node());
                self.rebuild_lists();
                if self.selected_node().is_none() || self.tree.pos.sel >= self.tree.rows.len() {
                    self.tree.pos = ListPos::default();
                }
            }
            "version" | "v" => match arg.parse::<KumaVersion>() {
                Ok(v) if self.model.is_none() => self.say(format!("still loading; try :version {v} again in a moment"), true),
                Ok(v) if v == self.version => self.say(format!("already showing Kuma {v}"), false),
                Ok(v) => {
                    self.status.pending_version = Some(v);
                    self.say(format!("re-resolving under Kuma {v}…"), false);
                    return vec![Effect::Resolve(v)];
                }
                Err(e) => self.say(e.to_string(), true),
            },
            "proxy" | "dp" | "policy" | "mesh" => {}
            other => self.say(
                format!("unknown command `{other}` (try :proxy, :policy, :mesh, :version, :findings, :q)"),
                true,
            ),
        }
        vec![]
    }
}
