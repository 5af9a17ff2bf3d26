//! Lazy mode (a large mesh): asking for the proxies the screen needs, taking their
//! outbounds in, and giving back the outbounds of proxies nobody looks at.

use super::*;

impl App {
    /// Lazy mode: (resolved proxies, proxies); None for a model resolved up front.
    pub fn lazy_progress(&self) -> Option<(usize, usize)> {
        self.model
            .as_ref()
            .filter(|m| m.is_lazy())
            .map(Model::resolved_count)
    }

    /// Lazy mode: requests for the open proxies and the selected one that are not
    /// resolved and not asked for yet.
    pub(super) fn wanted_proxies(&mut self) -> Vec<Effect> {
        let Some(m) = self.model.as_ref().filter(|m| m.is_lazy()) else {
            return vec![];
        };
        let mut want: Vec<(u32, bool)> = self
            .tree
            .opened
            .iter()
            .filter_map(|n| match n {
                Node::Proxy(p) if !m.is_resolved(*p) => Some((*p, true)),
                _ => None,
            })
            .collect();
        want.sort_unstable();
        if let Some(p) = self.selected_node().and_then(Node::proxy) {
            want.push((p, self.tree.opened.contains(&Node::Proxy(p))));
        }
        let mut fx = Vec::new();
        for (proxy, opened) in want {
            if !m.is_resolved(proxy) && self.lazy.requested.insert(proxy) {
                fx.push(Effect::ResolveProxy {
                    generation: self.lazy.generation,
                    proxy,
                    opened,
                });
            }
        }
        fx
    }

    /// Lazy mode: proxy `p`'s outbounds arrived.
    pub(super) fn apply_proxy(&mut self, p: u32, report: crate::resolve::ProxyReport) {
        let sel = self.selected_node();
        let (old_sel, old_offset) = (self.tree.pos.sel, self.tree.pos.offset);
        let policy = self.policy_row_key();
        let Some(m) = &mut self.model else { return };
        if !m.fill(p, report) {
            return;
        }
        let m = &*m;
        let mut msg = None;
        // Changes since the model before a reload.
        if let Some(old) = &self.lazy.prior {
            let mut ch = NodeSet::default();
            changes::proxy_changes(&old.0, &old.1, m, p, &mut ch);
            let n = ch
                .iter()
                .filter(|n| matches!(n, Node::Outbound(..)))
                .count();
            if n > 0 {
                let now = self.now.unwrap_or_else(Instant::now);
                self.changes.nodes.extend(ch);
                self.changes.until = Some(now + CHANGE_MARK);
                msg = Some(format!(
                    "{}: {}: {} changed",
                    old.2,
                    m.proxy(p).name,
                    counted(n, "outbound", "outbounds")
                ));
            }
        }
        // Open nodes and the selection from before a reload; a finding's outbound.
        let here = |n: Option<Node>| n.and_then(Node::proxy) == Some(p);
        let mut keep = match sel {
            Some(Node::Pending(q)) if q == p && m.outbound_count(p) > 0 => {
                Some(Node::Outbound(p, 0))
            }
            s => s,
        };
        let idx = m.proxy_key_index(p);
        let opened = &mut self.tree.opened;
        self.lazy.restore_open.retain(|k| match idx.get(k) {
            Some(n) => {
                opened.insert(*n);
                false
            }
            None => true,
        });
        if here(sel)
            && let Some(n) = self.lazy.restore_sel.as_ref().and_then(|k| idx.get(k))
        {
            keep = Some(*n);
            self.lazy.restore_sel = None;
        }
        if let Some((q, labels)) = self.lazy.jump_to.take_if(|j| j.0 == p)
            && here(sel)
            && let Some(o) = m
                .proxy(p)
                .outbounds
                .iter()
                .position(|o| labels.contains(&o.destination.label()))
        {
            keep = Some(Node::Outbound(q, o as u32));
        }
        if let Some(text) = msg {
            self.say(text, false);
        }
        self.evict_over_budget();
        self.filter.hits = None;
        self.rebuild_rows(keep);
        // The selection stays where it was on the screen when rows arrived above it.
        if keep == sel && self.tree.pos.sel >= old_sel {
            self.tree.pos.offset = old_offset + (self.tree.pos.sel - old_sel);
            let h = self.list_height();
            self.tree.pos.fit(self.tree.rows.len(), h);
        }
        self.restore_policy_row(policy);
    }

    /// Lazy mode: give back the outbounds of the proxies resolved longest ago while
    /// more than `keep_outbounds` are held, except those open, selected or waited for.
    pub(super) fn evict_over_budget(&mut self) {
        let Some(m) = &self.model else { return };
        let (mut held, order) = m.held();
        if held <= self.lazy.keep_outbounds {
            return;
        }
        let mut pinned: HashSet<u32> = self
            .tree
            .opened
            .iter()
            .filter_map(|n| match n {
                Node::Proxy(p) => Some(*p),
                _ => None,
            })
            .collect();
        pinned.extend(self.selected_node().and_then(Node::proxy));
        pinned.extend(self.lazy.jump_to.as_ref().map(|j| j.0));
        if let Some(PRow::Use(pi, u)) = self.selected_policy_row()
            && let Some(x) = m.policies.get(pi).and_then(|e| e.uses.get(u))
        {
            pinned.insert(x.0);
        }
        let mut gone = HashSet::new();
        let m = self.model.as_mut().expect("checked");
        for p in order {
            if held <= self.lazy.keep_outbounds {
                break;
            }
            if pinned.contains(&p) {
                continue;
            }
            held -= m.outbound_count(p);
            if m.evict(p) {
                gone.insert(p);
            }
        }
        if gone.is_empty() {
            return;
        }
        let below = |n: &Node| matches!(n, Node::Outbound(p, _) | Node::Backend(p, _, _) if gone.contains(p));
        self.tree.opened.retain(|n| !below(n));
        self.changes.nodes.retain(|n| !below(n));
    }

    /// The selected row of the Policies view, by what it shows (indices move when a
    /// lazy model gains or loses proxies).
    pub(super) fn policy_row_key(&self) -> Option<PolicyRowKey> {
        let m = self.model.as_ref()?;
        let (p, u) = match self.selected_policy_row()? {
            PRow::Policy(p) | PRow::Finding(p, _) => (p, None),
            PRow::Use(p, u) => (p, Some(u)),
        };
        let e = m.policies.get(p)?;
        Some((e.key(), u.and_then(|u| e.uses.get(u)).map(|x| (x.0, x.1))))
    }

    /// Rebuild the Policies and Findings rows after the model changed (their indices
    /// into it are stale, whatever the view) and select the row `key` named, or its
    /// policy.
    pub(super) fn restore_policy_row(&mut self, key: Option<PolicyRowKey>) {
        self.rebuild_lists();
        let (Some((key, at)), Some(m)) = (key, &self.model) else {
            return;
        };
        let Some(pi) = m.policies.iter().position(|e| e.key() == key) else {
            return;
        };
        let e = &m.policies[pi];
        let row = at
            .and_then(|(p, o)| e.uses.iter().position(|u| (u.0, u.1) == (p, o)))
            .map(|u| PRow::Use(pi, u))
            .unwrap_or(PRow::Policy(pi));
        if let Some(i) = self.lists.policies.rows.iter().position(|r| *r == row) {
            self.lists.policies.pos.sel = i;
            let h = self.list_height();
            self.lists.policies.fit(h);
        }
    }
}
