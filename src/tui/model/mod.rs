//! What the TUI shows, derived once from the engine's [`Report`]: indexes for grouping
//! and lookups, never a second computation of routes.

use crate::model::{Code, Location, Severity};
use crate::report::text::backend_name;
use crate::resolve::{OutboundReport, ProxyReport, Report, Status};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

pub mod changes;
mod keys;
mod lazy;
mod policies;
mod search;
mod tree;

pub use keys::{NodeKey, OutboundKey, PolicyKey, ProxyKey};
use lazy::Lazy;
pub use policies::{PolicyEntry, ROUTE_KINDS};
use policies::{common_dir, policy_entries, policy_order};
use search::Search;
pub use search::{Hits, Needle, contains};

/// A set of tree nodes. The filter looks up every visible node in the set of open
/// ones (100k lookups per keystroke), so it uses foldhash, the crate's one fast hasher.
pub type NodeSet = HashSet<Node, foldhash::fast::FixedState>;

/// A node of the tree view, by position in the current report. Positions are only
/// valid for one report; [`Model::key`] gives a key that survives reloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Mesh(u32),
    Proxy(u32),
    Outbound(u32, u32),
    Backend(u32, u32, u32),
    /// Lazy mode: the "resolving…" row under an open proxy whose outbounds are not
    /// resolved yet.
    Pending(u32),
    /// Stands in for the children of a collapsed node when the tree widget is fed.
    Placeholder,
}

impl Node {
    pub fn depth(self) -> usize {
        match self {
            Node::Mesh(_) => 0,
            Node::Proxy(_) => 1,
            Node::Outbound(..) | Node::Pending(_) => 2,
            Node::Backend(..) | Node::Placeholder => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeshGroup {
    pub name: String,
    pub proxies: Range<usize>,
}

/// Per-node marks derived from the report and its findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pub ignored: bool,
    pub overridden: bool,
    pub legacy: bool,
    pub error: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub report: Report,
    pub meshes: Vec<MeshGroup>,
    pub mesh_of: Vec<u32>,
    /// Findings per proxy: (errors, warnings, infos).
    pub proxy_counts: Vec<(u32, u32, u32)>,
    /// Outbounds with an error finding, keyed (proxy, outbound).
    pub outbound_errors: std::collections::HashSet<(u32, u32)>,
    pub policies: Vec<PolicyEntry>,
    /// The length of the directory every finding's file is in (with its `/`): the
    /// Findings list shows paths without it.
    pub finding_dir: usize,
    /// Lowercase text the filter searches, per node (built once per report, so a
    /// filter keystroke over 100k rows is a scan of prepared strings).
    search: Search,
    /// Lazy mode (a large mesh): which proxies' outbounds are resolved. None: all are.
    lazy: Option<Lazy>,
    /// The proxies are shown before the findings pass is over: the report holds only
    /// the loader's findings, and the full model follows ([`Action::FindingsArrived`]).
    ///
    /// [`Action::FindingsArrived`]: crate::tui::action::Action::FindingsArrived
    pub findings_pending: bool,
}

fn qualified(pr: &ProxyReport) -> String {
    pr.qualified_name()
}

impl Model {
    pub fn new(report: Report) -> Model {
        let mut meshes: Vec<MeshGroup> = Vec::new();
        let mut mesh_of = Vec::with_capacity(report.proxies.len());
        for (i, p) in report.proxies.iter().enumerate() {
            match meshes.last_mut() {
                Some(m) if m.name == p.mesh => m.proxies.end = i + 1,
                _ => meshes.push(MeshGroup {
                    name: p.mesh.clone(),
                    proxies: i..i + 1,
                }),
            }
            mesh_of.push((meshes.len() - 1) as u32);
        }
        // A proxy's badge counts the findings that concern it.
        let by_identity: HashMap<(&str, Option<&str>, &str), u32> = report
            .proxies
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    (p.mesh.as_str(), p.namespace.as_deref(), p.name.as_str()),
                    i as u32,
                )
            })
            .collect();
        let mut proxy_counts = vec![(0, 0, 0); report.proxies.len()];
        let mut outbound_errors = std::collections::HashSet::new();
        for f in &report.findings {
            for h in &f.proxies {
                let who = (&*h.proxy.mesh, h.proxy.namespace.as_deref(), &*h.proxy.name);
                let Some(&p) = by_identity.get(&who) else {
                    continue;
                };
                let c = &mut proxy_counts[p as usize];
                match f.severity {
                    Severity::Error => c.0 += 1,
                    Severity::Warning => c.1 += 1,
                    Severity::Info => c.2 += 1,
                }
                if f.severity == Severity::Error {
                    for (o, ob) in report.proxies[p as usize].outbounds.iter().enumerate() {
                        let label = ob.destination.label();
                        if h.outbounds.iter().any(|x| **x == *label) {
                            outbound_errors.insert((p, o as u32));
                        }
                    }
                }
            }
        }
        let policies = policy_entries(&report);
        let finding_dir = common_dir(report.findings.iter().filter_map(|f| f.location.as_ref()));
        Model {
            search: Search::new(&report),
            report,
            meshes,
            mesh_of,
            proxy_counts,
            outbound_errors,
            policies,
            finding_dir,
            lazy: None,
            findings_pending: false,
        }
    }

    pub fn proxy(&self, p: u32) -> &ProxyReport {
        &self.report.proxies[p as usize]
    }

    pub fn outbound(&self, p: u32, o: u32) -> &OutboundReport {
        &self.report.proxies[p as usize].outbounds[o as usize]
    }

    pub fn parent(&self, n: Node) -> Option<Node> {
        match n {
            Node::Mesh(_) | Node::Placeholder => None,
            Node::Proxy(p) => Some(Node::Mesh(self.mesh_of[p as usize])),
            Node::Outbound(p, _) | Node::Pending(p) => Some(Node::Proxy(p)),
            Node::Backend(p, o, _) => Some(Node::Outbound(p, o)),
        }
    }

    /// Ancestors, root first.
    pub fn ancestors(&self, n: Node) -> Vec<Node> {
        let mut v = Vec::new();
        let mut cur = self.parent(n);
        while let Some(c) = cur {
            v.push(c);
            cur = self.parent(c);
        }
        v.reverse();
        v
    }

    pub fn has_children(&self, n: Node) -> bool {
        match n {
            Node::Mesh(m) => !self.meshes[m as usize].proxies.is_empty(),
            Node::Proxy(p) => self.outbound_count(p) > 0,
            Node::Outbound(p, o) => !self.outbound(p, o).backends.is_empty(),
            Node::Backend(..) | Node::Pending(_) | Node::Placeholder => false,
        }
    }

    pub fn marks(&self, n: Node) -> Marks {
        match n {
            Node::Outbound(p, o) => {
                let ob = self.outbound(p, o);
                Marks {
                    ignored: ob.policies.iter().any(|s| s.status == Status::Ignored),
                    overridden: ob.policies.iter().any(|s| s.status == Status::Overridden),
                    legacy: !ob.legacy_policies.is_empty(),
                    error: self.outbound_errors.contains(&(p, o)),
                }
            }
            Node::Backend(p, o, b) => Marks {
                error: !self.outbound(p, o).backends[b as usize].resolved,
                ..Marks::default()
            },
            _ => Marks::default(),
        }
    }

    /// Find a proxy by name or namespace/name: exact first, then the first containing it.
    pub fn find_proxy(&self, q: &str) -> Option<u32> {
        let ps = &self.report.proxies;
        ps.iter()
            .position(|p| p.name == q || qualified(p) == q)
            .or_else(|| ps.iter().position(|p| qualified(p).contains(q)))
            .map(|i| i as u32)
    }

    /// The proxy a finding names: by mesh, namespace and name.
    pub fn proxy_of(&self, r: &crate::model::ProxyRef) -> Option<u32> {
        let g = self.meshes.iter().find(|g| g.name == *r.mesh)?;
        let ps = &self.report.proxies[g.proxies.clone()];
        ps.iter()
            .position(|p| p.name == *r.name && p.namespace.as_deref() == r.namespace.as_deref())
            .map(|i| (g.proxies.start + i) as u32)
    }

    pub fn find_policy(&self, q: &str) -> Option<usize> {
        let pl = &self.policies;
        pl.iter()
            .position(|p| p.name == q || p.qualified() == q)
            .or_else(|| pl.iter().position(|p| p.qualified().contains(q)))
    }

    pub fn proxy_names(&self) -> Vec<String> {
        self.report.proxies.iter().map(qualified).collect()
    }
}
