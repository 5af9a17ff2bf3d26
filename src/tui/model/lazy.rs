//! Lazy mode (a large mesh): proxies whose outbounds arrive on demand and can be
//! given back.

use super::*;

/// A lazy model's state: the report's proxies start without outbounds; each one's
/// arrive with [`Model::fill`] and can leave again with [`Model::evict`].
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Lazy {
    resolved: Vec<bool>,
    /// Each proxy's number of outbounds, from the findings-only pass.
    counts: Vec<u32>,
    /// Resolved proxies that have outbounds, oldest fill first.
    filled: std::collections::VecDeque<u32>,
    /// Outbounds held by resolved proxies.
    held: usize,
}

impl Model {
    /// A lazy model: `skeleton` holds every proxy without outbounds and every finding;
    /// `counts` is each proxy's number of outbounds. Proxies without outbounds are
    /// resolved from the start; the others wait for [`Model::fill`].
    pub fn lazy(skeleton: Report, counts: Vec<u32>) -> Model {
        let mut m = Model::new(skeleton);
        let n = m.report.proxies.len();
        let counts = if counts.len() == n {
            counts
        } else {
            vec![1; n]
        };
        m.lazy = Some(Lazy {
            resolved: counts.iter().map(|&c| c == 0).collect(),
            counts,
            filled: Default::default(),
            held: 0,
        });
        m
    }

    /// Every finding, for a model shown before them ([`Model::findings_pending`]): what
    /// is derived from them is derived again; the proxies resolved so far keep their
    /// outbounds (shared, not copied) and the policies their source locations.
    pub fn set_findings(&mut self, findings: Vec<crate::model::Finding>) {
        let filled = self.filled();
        let taken: Vec<(u32, std::sync::Arc<[OutboundReport]>)> = filled
            .iter()
            .map(|&p| {
                (
                    p,
                    std::mem::take(&mut self.report.proxies[p as usize].outbounds),
                )
            })
            .collect();
        let counts = self
            .lazy
            .as_ref()
            .map(|l| l.counts.clone())
            .unwrap_or_default();
        type Key = (String, Option<String>, Option<String>, String);
        let key = |e: &PolicyEntry| -> Key {
            let (kind, mesh, ns, name) = policy_order(e);
            (
                kind.into(),
                mesh.map(Into::into),
                ns.map(Into::into),
                name.into(),
            )
        };
        let located: HashMap<Key, Location> = self
            .policies
            .iter()
            .filter_map(|e| Some((key(e), e.location.clone()?)))
            .collect();
        let schema = self.report.schema;
        let mut report = std::mem::replace(
            &mut self.report,
            Report {
                schema,
                kuma_version: String::new(),
                proxies: Vec::new(),
                findings: Vec::new(),
            },
        );
        report.findings = findings;
        let mut m = if self.lazy.is_some() {
            Model::lazy(report, counts)
        } else {
            Model::new(report)
        };
        for e in m.policies.iter_mut().filter(|e| e.location.is_none()) {
            e.location = located.get(&key(e)).cloned();
        }
        for (p, outbounds) in taken {
            let mut pr = m.report.proxies[p as usize].clone();
            pr.outbounds = outbounds;
            m.fill(p, pr);
        }
        *self = m;
    }

    /// Lazy mode: the proxies resolved with outbounds, oldest first (what
    /// [`Model::fill`] gave it and [`Model::evict`] has not taken back).
    pub fn filled(&self) -> Vec<u32> {
        self.lazy
            .as_ref()
            .map(|l| l.filled.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Does this model resolve proxies on demand?
    pub fn is_lazy(&self) -> bool {
        self.lazy.is_some()
    }

    /// Are proxy `p`'s outbounds here? (Always, unless lazy.)
    pub fn is_resolved(&self, p: u32) -> bool {
        self.lazy
            .as_ref()
            .is_none_or(|l| l.resolved.get(p as usize).copied().unwrap_or(true))
    }

    /// Proxy `p`'s number of outbounds, resolved or not.
    pub fn outbound_count(&self, p: u32) -> usize {
        match &self.lazy {
            Some(l) if !self.is_resolved(p) => l.counts[p as usize] as usize,
            _ => self.proxy(p).outbounds.len(),
        }
    }

    /// Lazy mode: (resolved proxies, proxies). Eager: both are the number of proxies.
    pub fn resolved_count(&self) -> (usize, usize) {
        let n = self.report.proxies.len();
        match &self.lazy {
            Some(l) => (l.resolved.iter().filter(|r| **r).count(), n),
            None => (n, n),
        }
    }

    /// Outbounds held by resolved proxies, and resolved proxies holding some, oldest
    /// first (lazy mode; what [`Model::evict`] chooses from).
    pub fn held(&self) -> (usize, Vec<u32>) {
        match &self.lazy {
            Some(l) => (l.held, l.filled.iter().copied().collect()),
            None => (0, vec![]),
        }
    }

    /// Lazy mode: proxy `p`'s outbounds have been resolved. Returns false (and changes
    /// nothing) when the model is not lazy, `p` is unknown or already resolved, or the
    /// report is of another proxy.
    pub fn fill(&mut self, p: u32, report: ProxyReport) -> bool {
        let pi = p as usize;
        let Some(l) = &mut self.lazy else {
            return false;
        };
        if l.resolved.get(pi).is_none_or(|r| *r) {
            return false;
        }
        let cur = &self.report.proxies[pi];
        if (&cur.mesh, &cur.namespace, &cur.name, &cur.context)
            != (
                &report.mesh,
                &report.namespace,
                &report.name,
                &report.context,
            )
        {
            return false;
        }
        l.resolved[pi] = true;
        if !report.outbounds.is_empty() {
            l.held += report.outbounds.len();
            l.filled.push_back(p);
        }
        self.report.proxies[pi].outbounds = report.outbounds;
        self.search.add_outbounds(pi, &self.report.proxies[pi]);
        // Errors on its outbounds.
        let pr = &self.report.proxies[pi];
        for f in &self.report.findings {
            if f.severity != Severity::Error {
                continue;
            }
            let Some(hit) = f.proxies.iter().find(|h| {
                *h.proxy.name == *pr.name
                    && *h.proxy.mesh == *pr.mesh
                    && h.proxy.namespace.as_deref() == pr.namespace.as_deref()
            }) else {
                continue;
            };
            for (o, ob) in pr.outbounds.iter().enumerate() {
                let label = ob.destination.label();
                if hit.outbounds.iter().any(|x| **x == *label) {
                    self.outbound_errors.insert((p, o as u32));
                }
            }
        }
        // Its uses of route policies, in report order within each policy.
        for (oi, o) in pr.outbounds.iter().enumerate() {
            for s in &o.policies {
                let key = (
                    s.kind.as_str(),
                    Some(pr.mesh.as_str()),
                    s.namespace.as_deref(),
                    &*s.name,
                );
                let at = self
                    .policies
                    .binary_search_by(|e| policy_order(e).cmp(&key));
                let i = match at {
                    Ok(i) => i,
                    Err(i) => {
                        let mut e = PolicyEntry::new(key.0, key.1, key.2, key.3);
                        e.location = s.location.clone();
                        self.policies.insert(i, e);
                        i
                    }
                };
                let uses = &mut self.policies[i].uses;
                let u = (p, oi as u32, s.status);
                let at = uses.partition_point(|x| (x.0, x.1) < (u.0, u.1));
                uses.insert(at, u);
            }
        }
        true
    }

    /// Lazy mode: drop proxy `p`'s outbounds again (to bound memory); it becomes
    /// unresolved. Nodes below it are no longer valid.
    pub fn evict(&mut self, p: u32) -> bool {
        let pi = p as usize;
        let Some(l) = &mut self.lazy else {
            return false;
        };
        if !l.resolved.get(pi).is_some_and(|r| *r) || l.counts[pi] == 0 {
            return false;
        }
        l.resolved[pi] = false;
        l.filled.retain(|x| *x != p);
        let n = std::mem::take(&mut self.report.proxies[pi].outbounds).len();
        l.held -= n;
        self.search.drop_outbounds(pi, &self.report);
        self.outbound_errors.retain(|x| x.0 != p);
        // Its uses go; a policy seen only there goes too, unless it selects proxies or
        // has findings.
        for e in &mut self.policies {
            e.uses.retain(|u| u.0 != p);
        }
        self.policies.retain(|e| !e.uses.is_empty() || e.standing());
        true
    }
}
