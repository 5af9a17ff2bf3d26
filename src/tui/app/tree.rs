//! The Tree view and the lists: opening and closing nodes, the rows under the filter,
//! moving between matches and changes, and going to the node a row is about.

use super::*;

impl App {
    pub(super) fn expand(&mut self) {
        let Some(n) = self.selected_node() else {
            return;
        };
        let Some(m) = &self.model else { return };
        if self.is_open(self.tree.pos.sel) {
            self.move_by(1);
        } else if m.has_children(n) {
            self.tree.opened.insert(n);
            self.rebuild_rows(Some(n));
        }
    }

    pub(super) fn collapse(&mut self) {
        let Some(n) = self.selected_node() else {
            return;
        };
        let Some(parent) = self.model.as_ref().map(|m| m.parent(n)) else {
            return;
        };
        if self.is_open(self.tree.pos.sel) && self.tree.opened.remove(&n) {
            self.rebuild_rows(Some(n));
            if self.is_open(self.tree.pos.sel) {
                // Held open by the filter: go to the parent instead.
                self.tree.opened.insert(n);
            } else {
                return;
            }
        }
        if let Some(p) = parent
            && let Some(i) = self.tree.rows.iter().rposition(|r| *r == p)
        {
            self.select_index(i);
        }
    }

    pub(super) fn expand_all(&mut self) {
        let Some(m) = &self.model else { return };
        let mut unresolved = 0usize;
        for (mi, g) in m.meshes.iter().enumerate() {
            self.tree.opened.insert(Node::Mesh(mi as u32));
            for p in g.proxies.clone() {
                let pr = &m.report.proxies[p];
                if !m.is_resolved(p as u32) {
                    // Lazy mode: opening it would resolve it; `*` does not resolve.
                    unresolved += 1;
                    continue;
                }
                if !pr.outbounds.is_empty() {
                    self.tree.opened.insert(Node::Proxy(p as u32));
                }
                for (o, ob) in pr.outbounds.iter().enumerate() {
                    if !ob.backends.is_empty() {
                        self.tree.opened.insert(Node::Outbound(p as u32, o as u32));
                    }
                }
            }
        }
        if let Some((done, all)) = self.lazy_progress() {
            self.say(
                format!(
                    "expanded the {done} resolved prox{} of {all}; {unresolved} not resolved \
                     stay closed (open one with l or Enter to resolve it)",
                    if done == 1 { "y" } else { "ies" }
                ),
                false,
            );
        }
        self.rebuild_rows(self.selected_node());
    }

    pub(super) fn collapse_all(&mut self) {
        let sel = self.selected_node();
        let top = sel.and_then(|n| {
            self.model
                .as_ref()
                .map(|m| m.ancestors(n).first().copied().unwrap_or(n))
        });
        self.tree.opened.clear();
        self.rebuild_rows(top);
    }

    /// Recompute the visible rows (expansion, filter, mesh) and keep `keep` selected,
    /// or its nearest visible ancestor.
    pub fn rebuild_rows(&mut self, keep: Option<Node>) {
        self.refresh_hits();
        let rows = self.model.as_ref().map(|m| {
            m.rows(
                &self.tree.opened,
                self.filter.hits.as_ref(),
                self.filter.mesh.as_deref(),
            )
        });
        self.tree.rows = rows.unwrap_or_default();
        let idx = keep.and_then(|n| {
            let m = self.model.as_ref()?;
            std::iter::once(n)
                .chain(m.ancestors(n).into_iter().rev())
                .find_map(|c| self.tree.rows.iter().position(|r| *r == c))
        });
        if let Some(i) = idx {
            if i != self.tree.pos.sel {
                self.detail_scroll = 0;
            }
            self.tree.pos.sel = i;
        }
        let h = self.list_height();
        self.tree.pos.fit(self.tree.rows.len(), h);
    }

    pub(super) fn rebuild_lists(&mut self) {
        self.lists.stale = false;
        self.refresh_hits();
        let f = self.filter.text.to_lowercase();
        let needle = Needle::new(&f);
        let hits = self.filter.hits.as_ref();
        self.lists.policies.rows.clear();
        self.lists.findings.rows.clear();
        if let Some(m) = &self.model {
            for (i, p) in m.policies.iter().enumerate() {
                if self.filter.mesh.is_some() && p.mesh != self.filter.mesh {
                    continue;
                }
                let direct = contains(&p.qualified(), &f)
                    || contains(&p.kind, &f)
                    || p.groups
                        .iter()
                        .any(|g| contains(m.report.findings[g.0 as usize].code.as_str(), &f));
                let uses: Vec<usize> = (0..p.uses.len())
                    .filter(|&j| {
                        direct || {
                            let (pi, oi, _) = p.uses[j];
                            hits.is_none_or(|h| {
                                m.hit(h, Node::Proxy(pi)) || m.hit(h, Node::Outbound(pi, oi))
                            })
                        }
                    })
                    .collect();
                if direct || !uses.is_empty() {
                    self.lists.policies.rows.push(PRow::Policy(i));
                    if direct {
                        self.lists
                            .policies
                            .rows
                            .extend((0..p.groups.len()).map(|g| PRow::Finding(i, g)));
                    }
                    self.lists
                        .policies
                        .rows
                        .extend(uses.into_iter().map(|j| PRow::Use(i, j)));
                }
            }
            for (i, fd) in m.report.findings.iter().enumerate() {
                let mesh_ok = self.filter.mesh.is_none()
                    || fd
                        .resource
                        .as_ref()
                        .and_then(|r| r.mesh.as_ref())
                        .is_none_or(|x| Some(x) == self.filter.mesh.as_ref());
                if mesh_ok && m.finding_matches(i, &needle) {
                    self.lists.findings.rows.push(FRow::Finding(i));
                    if self.lists.open_findings.contains(&i) {
                        self.lists
                            .findings
                            .rows
                            .extend((0..fd.proxies.len()).map(|h| FRow::Proxy(i, h)));
                    }
                }
            }
        }
        let h = self.list_height();
        self.lists.policies.fit(h);
        self.lists.findings.fit(h);
    }

    pub(super) fn refit(&mut self) {
        let h = self.list_height();
        self.tree.pos.fit(self.tree.rows.len(), h);
        self.lists.policies.fit(h);
        self.lists.findings.fit(h);
    }

    pub(super) fn set_filter(&mut self, f: String) {
        if f == self.filter.text {
            return;
        }
        let keep = self.selected_node();
        self.filter.text = f;
        self.rebuild_rows(keep);
        // The Policies and Findings lists follow the filter when they are shown.
        if self.view == View::Tree {
            self.lists.stale = true;
        } else {
            self.rebuild_lists();
        }
        // Incremental: land on the first match at or after the selection.
        if !self.filter.text.is_empty()
            && self.view == View::Tree
            && !self.selected_node().is_some_and(|n| self.node_matches(n))
        {
            self.next_match(true);
        }
    }

    pub(super) fn next_match(&mut self, forward: bool) {
        if self.filter.text.is_empty() {
            self.say("no filter: type / first", false);
            return;
        }
        let f = self.filter.text.to_lowercase();
        let needle = Needle::new(&f);
        let Some(m) = &self.model else { return };
        let (sel, len) = match self.view {
            View::Tree => (self.tree.pos.sel, self.tree.rows.len()),
            View::Policies => (self.lists.policies.pos.sel, self.lists.policies.rows.len()),
            View::Findings => (self.lists.findings.pos.sel, self.lists.findings.rows.len()),
        };
        if len == 0 {
            self.say(format!("no match for /{}", self.filter.text), true);
            return;
        }
        let hit = |i: usize| -> bool {
            match self.view {
                View::Tree => match &self.filter.hits {
                    Some(h) if h.text == f => m.hit(h, self.tree.rows[i]),
                    _ => m.node_matches(self.tree.rows[i], &needle),
                },
                View::Policies => match self.lists.policies.rows[i] {
                    PRow::Policy(p) => contains(&m.policies[p].qualified(), &f),
                    PRow::Finding(p, g) => {
                        let fd = &m.report.findings[m.policies[p].groups[g].0 as usize];
                        contains(fd.code.as_str(), &f) || contains(&fd.message, &f)
                    }
                    PRow::Use(p, u) => {
                        let (pi, oi, _) = m.policies[p].uses[u];
                        m.matches(Node::Proxy(pi), &needle)
                            || m.matches(Node::Outbound(pi, oi), &needle)
                    }
                },
                View::Findings => true,
            }
        };
        let found = (1..=len)
            .map(|d| {
                if forward {
                    (sel + d) % len
                } else {
                    (sel + len * 2 - d) % len
                }
            })
            .find(|&i| hit(i));
        match found {
            Some(i) => self.select_index(i),
            None => self.say(format!("no match for /{}", self.filter.text), true),
        }
    }

    /// With changes applied: outbound `n` of the shown model as it was before them
    /// (`None`: it is new, or nothing was applied).
    pub fn before_outbound(&self, n: Node) -> Option<&crate::resolve::OutboundReport> {
        let (old, keys) = self.changes.before.as_ref()?;
        let key = self.model.as_ref()?.key(n)?;
        match keys.get(&key)? {
            Node::Outbound(p, o) => Some(old.outbound(*p, *o)),
            _ => None,
        }
    }

    /// Select the next (or previous) changed outbound, in tree order, wrapping.
    pub(super) fn next_change(&mut self, forward: bool) {
        let mut all: Vec<Node> = self
            .changes
            .nodes
            .iter()
            .copied()
            .filter(|n| matches!(n, Node::Outbound(..)))
            .collect();
        if all.is_empty() {
            self.say(
                "no changed outbound (apply changes with --apply or :apply FILE)",
                true,
            );
            return;
        }
        all.sort_unstable();
        let here = self.selected_node();
        let next = if forward {
            all.iter()
                .find(|n| here.is_none_or(|h| **n > h))
                .or(all.first())
        } else {
            all.iter()
                .rev()
                .find(|n| here.is_none_or(|h| **n < h))
                .or(all.last())
        };
        if let Some(&n) = next {
            let i = all.iter().position(|x| *x == n).unwrap_or(0) + 1;
            self.reveal(n);
            self.say(format!("change {i} of {}", all.len()), false);
        }
    }

    /// Open the ancestors of `n`, show the tree and select `n`.
    pub fn reveal(&mut self, n: Node) {
        let Some(m) = &self.model else { return };
        let anc = m.ancestors(n);
        let visible = |app: &App| app.tree.rows.contains(&n);
        self.tree.opened.extend(anc);
        self.view = View::Tree;
        self.rebuild_rows(Some(n));
        if !visible(self) {
            if let Some(g) = self
                .model
                .as_ref()
                .map(|m| m.meshes[m.mesh_of_node(n)].name.clone())
                && self.filter.mesh.as_ref().is_some_and(|x| *x != g)
            {
                self.filter.mesh = None;
            }
            if !self.filter.text.is_empty() {
                self.say(
                    format!("filter /{} cleared to show the selection", self.filter.text),
                    false,
                );
                self.filter.text.clear();
            }
            self.rebuild_rows(Some(n));
            self.rebuild_lists();
        }
        if let Some(i) = self.tree.rows.iter().position(|r| *r == n) {
            self.tree.pos.sel = i;
            let h = self.list_height();
            // Show the selection with some context above it.
            self.tree.pos.offset = i.saturating_sub(h / 3);
            self.tree.pos.fit(self.tree.rows.len(), h);
        }
        self.detail_scroll = 0;
    }

    pub(super) fn jump(&mut self) {
        let Some(m) = &self.model else { return };
        match self.view {
            View::Tree => {}
            View::Policies => {
                if let Some(PRow::Use(p, u)) = self.selected_policy_row() {
                    let (pi, oi, _) = m.policies[p].uses[u];
                    self.reveal(Node::Outbound(pi, oi));
                } else if let Some(PRow::Finding(p, g)) = self.selected_policy_row() {
                    let fi = m.policies[p].groups[g].0 as usize;
                    self.show_finding(fi);
                } else if let Some(PRow::Policy(p)) = self.selected_policy_row() {
                    let pe = &m.policies[p];
                    if let Some(&(pi, oi, _)) = pe.uses.first() {
                        self.reveal(Node::Outbound(pi, oi));
                    } else if let Some(&pi) = pe.some_selected.first() {
                        self.tree.opened.insert(Node::Proxy(pi));
                        self.reveal(Node::Proxy(pi));
                        self.say("it routes no outbound: here is a proxy it selects", false);
                    } else if pe.refused {
                        self.say(
                            "the control plane refuses this policy: no node to go to",
                            false,
                        );
                    } else {
                        self.say("this policy selects nothing: no node to go to", false);
                    }
                }
            }
            View::Findings => {
                let Some(row) = self.selected_finding_row() else {
                    return;
                };
                let f = &m.report.findings[row.finding()];
                // The proxy of the row, or the first the finding concerns.
                let hit = match row {
                    FRow::Proxy(_, h) => f.proxies.get(h),
                    FRow::Finding(_) => f.proxies.first(),
                };
                let proxy = hit.and_then(|h| m.proxy_of(&h.proxy));
                let outbounds: &[std::sync::Arc<str>] = hit.map_or(&[], |h| &h.outbounds);
                if let Some(p) = proxy
                    && !m.is_resolved(p)
                {
                    // Lazy mode: open the proxy (which resolves it); the outbound is
                    // selected when it arrives.
                    let name = m.proxy(p).name.clone();
                    let labels = outbounds.iter().map(|o| o.to_string()).collect();
                    self.lazy.jump_to = Some((p, labels));
                    self.tree.opened.insert(Node::Proxy(p));
                    self.reveal(Node::Proxy(p));
                    self.say(format!("resolving {name}…"), false);
                    return;
                }
                if let Some(p) = proxy {
                    let o = m.proxy(p).outbounds.iter().position(|o| {
                        let label = o.destination.label();
                        outbounds.iter().any(|x| **x == *label)
                    });
                    self.reveal(match o {
                        Some(o) => Node::Outbound(p, o as u32),
                        None => Node::Proxy(p),
                    });
                    return;
                }
                if let Some(r) = &f.resource
                    && let Some(pi) = m.policies.iter().position(|p| p.is(r))
                {
                    self.show_view(View::Policies);
                    if !self.lists.policies.rows.contains(&PRow::Policy(pi)) {
                        self.filter.text.clear();
                        self.rebuild_rows(self.selected_node());
                        self.rebuild_lists();
                    }
                    if let Some(i) = self
                        .lists
                        .policies
                        .rows
                        .iter()
                        .position(|r| *r == PRow::Policy(pi))
                    {
                        self.select_index(i);
                    }
                    return;
                }
                if let Some(r) = &f.resource
                    && let Some(p) = m.find_proxy(&r.name).filter(|_| r.kind == "Dataplane")
                {
                    self.reveal(Node::Proxy(p));
                    return;
                }
                self.show_yaml();
            }
        }
    }

    /// Show the Findings view with finding `fi` selected (the filter is cleared when it
    /// hides it).
    pub(super) fn show_finding(&mut self, fi: usize) {
        self.show_view(View::Findings);
        if !self.lists.findings.rows.contains(&FRow::Finding(fi)) {
            self.filter.text.clear();
            self.filter.mesh = None;
            self.rebuild_rows(self.selected_node());
            self.rebuild_lists();
        }
        if let Some(i) = self
            .lists
            .findings
            .rows
            .iter()
            .position(|r| *r == FRow::Finding(fi))
        {
            self.select_index(i);
        }
    }

    /// → in the Findings view: open the selected finding (its proxies listed under
    /// it); on an open one, or on a proxy row, go one row down.
    pub(super) fn expand_finding(&mut self) {
        let Some(row) = self.selected_finding_row() else {
            return;
        };
        match row {
            FRow::Finding(fi) if !self.lists.open_findings.contains(&fi) => {
                if self.finding_proxies(fi) == 0 {
                    self.say(
                        "this finding is about a resource alone: no proxies to list",
                        false,
                    );
                    return;
                }
                self.lists.open_findings.insert(fi);
                self.rebuild_lists();
                self.select_finding_row(row);
            }
            _ => self.move_by(1),
        }
    }

    /// ← in the Findings view: close the selected finding, or the one a proxy row
    /// belongs to (selecting it).
    pub(super) fn collapse_finding(&mut self) {
        let Some(row) = self.selected_finding_row() else {
            return;
        };
        let fi = row.finding();
        if self.lists.open_findings.remove(&fi) {
            self.rebuild_lists();
            self.select_finding_row(FRow::Finding(fi));
        }
    }

    /// Space in the Findings view.
    pub(super) fn toggle_finding(&mut self) {
        match self.selected_finding_row() {
            Some(FRow::Finding(fi)) if !self.lists.open_findings.contains(&fi) => {
                self.expand_finding()
            }
            Some(_) => self.collapse_finding(),
            None => {}
        }
    }

    fn finding_proxies(&self, fi: usize) -> usize {
        self.model
            .as_ref()
            .map_or(0, |m| m.report.findings[fi].proxies.len())
    }

    fn select_finding_row(&mut self, row: FRow) {
        if let Some(i) = self.lists.findings.rows.iter().position(|r| *r == row) {
            self.select_index(i);
        }
    }
}
