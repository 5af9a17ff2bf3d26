//! A load arrives: the new model replaces the old one, with the open nodes, the
//! selection and the changes carried over.

use super::*;

impl App {
    pub(super) fn apply_loaded(&mut self, l: Loaded) {
        let new = l.model;
        if let Ok(v) = new.report.kuma_version.parse() {
            self.version = v;
        }
        // Applied changes and another version are what the user came to compare: their
        // marks stay, and a changed outbound's detail shows it before.
        let compared = l.applied || self.status.pending_version.is_some();
        // A `:version` re-resolves the same input; anything else read it again.
        let what = match self.status.pending_version.take() {
            _ if l.applied => "applied".to_string(),
            Some(_) => format!("Kuma {}", new.report.kuma_version),
            None => "reloaded".to_string(),
        };
        self.status.progress = None;
        self.status.stats = Some(l.stats);
        self.sources.clear();
        self.now = Some(l.now);
        self.lazy.generation = l.generation;
        self.lazy.requested.clear();
        self.lazy.jump_to = None;
        self.lazy.restore_open.clear();
        self.lazy.restore_sel = None;
        self.lazy.prior = None;
        let old = self.model.take();
        self.changes.before = None;
        let keep = match (old, l.replace) {
            (Some(old), true) => {
                let idx = new.key_index();
                let tr = |n: Node| old.key(n).and_then(|k| idx.get(&k).copied());
                // Lazy: nodes below a proxy not resolved yet wait for it.
                let waits =
                    |n: &Node| new.is_lazy() && matches!(n, Node::Outbound(..) | Node::Backend(..));
                let mut opened = NodeSet::default();
                for n in &self.tree.opened {
                    match tr(*n) {
                        Some(t) => {
                            opened.insert(t);
                        }
                        None if waits(n) => {
                            self.lazy.restore_open.extend(old.key(*n));
                        }
                        None => {}
                    }
                }
                self.tree.opened = opened;
                let sel = self.selected_node();
                let keep = sel.and_then(|n| {
                    std::iter::once(n)
                        .chain(old.ancestors(n).into_iter().rev())
                        .find_map(tr)
                });
                if let Some(n) = sel
                    && tr(n).is_none()
                    && waits(&n)
                {
                    self.lazy.restore_sel = old.key(n);
                }
                self.changes.nodes = changes::changes(&old, &new);
                // Applied changes stay marked (the point of looking); a reload's fade.
                self.changes.until =
                    (!self.changes.nodes.is_empty() && !compared).then(|| l.now + CHANGE_MARK);
                if new.is_lazy() {
                    let n = self
                        .changes
                        .nodes
                        .iter()
                        .filter(|n| matches!(n, Node::Proxy(_)))
                        .count()
                        + changes::removed_proxies(&old, &new);
                    self.say(
                        format!(
                            "{what}: {} changed; outbounds are compared as each proxy \
                             resolves again",
                            counted(n, "proxy", "proxies")
                        ),
                        false,
                    );
                    let keys = old.proxy_keys();
                    self.lazy.prior = Some((old, keys, what));
                } else {
                    let n = changes::outbounds_changed(&old, &idx, &self.changes.nodes);
                    let tail = if compared && n > 0 {
                        " (] [ jump between them)"
                    } else {
                        ""
                    };
                    self.say(
                        format!(
                            "{what}: {} changed{tail}",
                            counted(n, "outbound", "outbounds")
                        ),
                        false,
                    );
                    if compared {
                        let keys = old.key_index();
                        self.changes.before = Some((old, keys));
                    }
                }
                keep
            }
            _ => {
                // First load: every mesh open, the first proxy selected and expanded.
                self.tree.opened = (0..new.meshes.len() as u32).map(Node::Mesh).collect();
                // (The first one with outbounds: expanding an empty proxy shows nothing.
                // In lazy mode this asks for it to be resolved.)
                let first = (0..new.report.proxies.len() as u32)
                    .find(|&p| new.outbound_count(p) > 0)
                    .or((!new.report.proxies.is_empty()).then_some(0))
                    .map(Node::Proxy);
                self.tree.opened.extend(first);
                self.tree.pos = ListPos::default();
                first.or((!new.meshes.is_empty()).then_some(Node::Mesh(0)))
            }
        };
        if self
            .filter
            .mesh
            .as_ref()
            .is_some_and(|m| !new.meshes.iter().any(|g| g.name == *m))
        {
            self.filter.mesh = None;
        }
        if self
            .model
            .as_ref()
            .is_none_or(|old| old.report.findings != new.report.findings)
        {
            self.lists.open_findings.clear();
        }
        self.model = Some(new);
        self.filter.hits = None;
        self.rebuild_rows(keep);
        self.rebuild_lists();
    }

    /// The findings pass is over: the model shown without findings gets them. The
    /// proxies stay as they are, so do the open nodes and the selection.
    pub(super) fn apply_findings(&mut self, findings: Vec<crate::model::Finding>) {
        let keep = self.selected_node();
        let Some(model) = self.model.as_mut().filter(|m| m.findings_pending) else {
            return;
        };
        let n = findings.len();
        model.set_findings(findings);
        self.lists.open_findings.clear();
        self.filter.hits = None;
        self.rebuild_rows(keep);
        self.rebuild_lists();
        self.say(
            format!("every proxy checked: {}", counted(n, "finding", "findings")),
            false,
        );
    }
}
