//! What the TUI shows, derived once from the engine's [`Report`]: indexes for grouping
//! and lookups, never a second computation of routes.

use crate::model::{Code, Location, Severity};
use crate::report::text::backend_name;
use crate::resolve::{OutboundReport, ProxyReport, Report, Status};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

/// A set of tree nodes. The filter looks up every visible node in the set of open
/// ones, so it uses a multiply-rotate hash instead of SipHash (whose flooding
/// resistance buys nothing for positions in our own tree): 100k lookups per keystroke.
pub type NodeSet = HashSet<Node, BuildHasherDefault<NodeHasher>>;

#[derive(Default)]
pub struct NodeHasher(u64);

impl NodeHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for NodeHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

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

/// The route kinds the Policies view lists.
pub const ROUTE_KINDS: [&str; 3] = ["MeshTCPRoute", "MeshHTTPRoute", "TrafficRoute"];

/// One route policy (MeshTCPRoute, MeshHTTPRoute, TrafficRoute): where it acts, which
/// proxies it selects, and the findings about it. Every route policy the report knows
/// of is listed: from the outbounds it acts on, from the proxies that it selects (even
/// when it routes none of their outbounds), and from the findings about it (a policy
/// that selects nothing, one the control plane refuses).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyEntry {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub mesh: Option<String>,
    pub location: Option<Location>,
    /// (proxy index, outbound index, status there), in report order.
    pub uses: Vec<(u32, u32, Status)>,
    /// How many proxies its top-level targetRef selects (each proxy's `selected_by`).
    pub selects: u32,
    /// The first few of those proxies (indices), for the detail.
    pub some_selected: Vec<u32>,
    /// Findings whose `resource` is this policy (indices into the report's findings),
    /// in report order.
    pub findings: Vec<u32>,
    /// Its findings grouped by code and message (the same warning for every proxy is
    /// one group): (first finding's index, number of findings), in report order.
    pub groups: Vec<(u32, u32)>,
    /// Its findings by severity: errors, warnings, infos (the row shows them on every
    /// frame; a policy of a large mesh can have one per proxy).
    pub severities: [u32; 3],
    /// The control plane refuses it (`invalid-resource`, `targetref-kind-unsupported`):
    /// it takes no part in routing.
    pub refused: bool,
}

/// Proxies named in [`PolicyEntry::some_selected`], at most.
const SOME_SELECTED: usize = 3;

impl PolicyEntry {
    fn new(kind: &str, mesh: Option<&str>, namespace: Option<&str>, name: &str) -> PolicyEntry {
        PolicyEntry {
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: namespace.map(String::from),
            mesh: mesh.map(String::from),
            location: None,
            uses: Vec::new(),
            selects: 0,
            some_selected: Vec::new(),
            findings: Vec::new(),
            groups: Vec::new(),
            severities: [0; 3],
            refused: false,
        }
    }

    pub fn qualified(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    pub fn count(&self, s: Status) -> usize {
        self.uses.iter().filter(|u| u.2 == s).count()
    }

    /// Is `r` a reference to this policy (context aside)?
    pub fn is(&self, r: &crate::model::ResourceRef) -> bool {
        self.kind == r.kind
            && self.name == r.name
            && self.namespace == r.namespace
            && (r.mesh.is_none() || self.mesh.is_none() || self.mesh == r.mesh)
    }

    /// Is it kept whatever the resolved outbounds say (it selects proxies, or has
    /// findings)? Lazy mode drops the others with the last outbound they act on.
    fn standing(&self) -> bool {
        self.selects > 0 || !self.findings.is_empty()
    }
}

/// A policy's identity in the Policies view: kind, mesh, namespace, name.
type PolicyKey<'r> = (&'r str, Option<&'r str>, Option<&'r str>, &'r str);

/// Every route policy the report knows of (see [`PolicyEntry`]), sorted by kind, mesh,
/// namespace and name.
fn policy_entries<'r>(report: &'r Report) -> Vec<PolicyEntry> {
    let mut at: HashMap<PolicyKey<'r>, usize> = HashMap::new();
    let mut out: Vec<PolicyEntry> = Vec::new();
    let mut slot = |k: PolicyKey<'r>, out: &mut Vec<PolicyEntry>| -> usize {
        *at.entry(k).or_insert_with(|| {
            out.push(PolicyEntry::new(k.0, k.1, k.2, k.3));
            out.len() - 1
        })
    };
    // The engine shares one reference per policy between the proxies it selects:
    // looked up once per mesh, not once per proxy.
    let mut seen: HashMap<(usize, &'r str), usize> = HashMap::new();
    for (pi, p) in report.proxies.iter().enumerate() {
        let mesh = Some(p.mesh.as_str());
        for (oi, o) in p.outbounds.iter().enumerate() {
            for s in &o.policies {
                let i = slot((&s.kind, mesh, s.namespace.as_deref(), &s.name), &mut out);
                let e = &mut out[i];
                if e.location.is_none() {
                    e.location = s.location.clone();
                }
                e.uses.push((pi as u32, oi as u32, s.status));
            }
        }
        for r in &p.selected_by {
            let ptr = std::sync::Arc::as_ptr(r) as usize;
            let i = *seen.entry((ptr, &p.mesh)).or_insert_with(|| {
                slot((&r.kind, mesh, r.namespace.as_deref(), &r.name), &mut out)
            });
            let e = &mut out[i];
            e.selects += 1;
            if e.some_selected.len() < SOME_SELECTED {
                e.some_selected.push(pi as u32);
            }
        }
    }
    let mut groups: HashMap<(usize, Code, &'r str), usize> = HashMap::new();
    for (fi, f) in report.findings.iter().enumerate() {
        let Some(r) = f.resource.as_deref() else {
            continue;
        };
        if !ROUTE_KINDS.contains(&r.kind.as_str()) {
            continue;
        }
        let k = (
            r.kind.as_str(),
            r.mesh.as_deref(),
            r.namespace.as_deref(),
            r.name.as_str(),
        );
        let i = slot(k, &mut out);
        let e = &mut out[i];
        if e.location.is_none() {
            e.location = f.location.clone();
        }
        e.findings.push(fi as u32);
        e.severities[match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
        e.refused |= matches!(
            f.code,
            Code::InvalidResource | Code::TargetrefKindUnsupported
        );
        match groups.entry((i, f.code, &*f.message)) {
            std::collections::hash_map::Entry::Occupied(g) => e.groups[*g.get()].1 += 1,
            std::collections::hash_map::Entry::Vacant(g) => {
                g.insert(e.groups.len());
                e.groups.push((fi as u32, 1));
            }
        }
    }
    out.sort_by(|a, b| policy_order(a).cmp(&policy_order(b)));
    out
}

/// The length of the directory (with its `/`) that every file of `locs` is in; 0 when
/// there is none (or no file).
fn common_dir<'a>(locs: impl Iterator<Item = &'a Location>) -> usize {
    let mut common: Option<&str> = None;
    for l in locs {
        let f = &*l.file;
        common = Some(match common {
            None => f,
            Some(c) => {
                let mut n = c.bytes().zip(f.bytes()).take_while(|(a, b)| a == b).count();
                while !c.is_char_boundary(n) {
                    n -= 1;
                }
                &c[..n]
            }
        });
    }
    common.and_then(|c| c.rfind('/')).map_or(0, |i| i + 1)
}

/// The Policies view's order (and [`Model::fill`]'s binary search).
fn policy_order(e: &PolicyEntry) -> (&str, Option<&str>, Option<&str>, &str) {
    (&e.kind, e.mesh.as_deref(), e.namespace.as_deref(), &e.name)
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
}

/// A lazy model's state: the report's proxies start without outbounds; each one's
/// arrive with [`Model::fill`] and can leave again with [`Model::evict`].
#[derive(Debug, Clone, PartialEq)]
struct Lazy {
    resolved: Vec<bool>,
    /// Each proxy's number of outbounds, from the findings-only pass.
    counts: Vec<u32>,
    /// Resolved proxies that have outbounds, oldest fill first.
    filled: std::collections::VecDeque<u32>,
    /// Outbounds held by resolved proxies.
    held: usize,
}

/// The text of every node, in flat arrays. A proxy's outbounds are contiguous in
/// `outbounds` (and their backends in `backends`); in lazy mode they are appended
/// when the proxy is resolved, so proxies are not in report order there.
#[derive(Debug, Clone, Default, PartialEq)]
struct Search {
    proxies: Vec<Box<str>>,
    /// Index of each proxy's first outbound in `outbounds`.
    ob_base: Vec<u32>,
    /// Index one past each proxy's last outbound in `outbounds`.
    ob_end: Vec<u32>,
    outbounds: Vec<Box<str>>,
    /// Index of each outbound's first backend in `backends` (by flat outbound index).
    bk_base: Vec<u32>,
    backends: Vec<Box<str>>,
    findings: Vec<Box<str>>,
    /// Flat outbounds no proxy refers to any more (evicted in lazy mode).
    garbage: usize,
}

impl Search {
    fn new(report: &Report) -> Search {
        let mut s = Search::default();
        for p in &report.proxies {
            let mut t = p.name.clone();
            for x in p.namespace.iter() {
                t.push('\n');
                t.push_str(x);
            }
            for (k, v) in &p.tags {
                t.push_str(&format!("\n{k}\n{v}\n{k}={v}"));
            }
            s.proxies.push(t.to_lowercase().into());
            s.ob_base.push(0);
            s.ob_end.push(0);
            s.add_outbounds(s.proxies.len() - 1, p);
        }
        for f in &report.findings {
            s.findings
                .push(crate::report::text::finding_text(f).to_lowercase().into());
        }
        s
    }

    /// Append the text of proxy `p`'s outbounds and backends.
    fn add_outbounds(&mut self, p: usize, pr: &ProxyReport) {
        self.ob_base[p] = self.outbounds.len() as u32;
        for o in &pr.outbounds {
            let mut t = format!("{}\n{}", o.destination.label(), o.route.as_str());
            for n in o
                .policies
                .iter()
                .map(|x| &*x.name)
                .chain(o.legacy_policies.iter().map(|x| x.name.as_str()))
            {
                t.push('\n');
                t.push_str(n);
            }
            self.outbounds.push(t.to_lowercase().into());
            self.bk_base.push(self.backends.len() as u32);
            for b in &o.backends {
                self.backends.push(backend_name(b).to_lowercase().into());
            }
        }
        self.ob_end[p] = self.outbounds.len() as u32;
    }

    fn outbound_range(&self, p: usize) -> Range<usize> {
        self.ob_base[p] as usize..self.ob_end[p] as usize
    }

    /// Forget proxy `p`'s outbounds; the flat arrays are rebuilt when mostly garbage.
    fn drop_outbounds(&mut self, p: usize, report: &Report) {
        self.garbage += self.outbound_range(p).len();
        self.ob_base[p] = 0;
        self.ob_end[p] = 0;
        if self.garbage > 1024 && self.garbage * 2 > self.outbounds.len() {
            self.outbounds.clear();
            self.bk_base.clear();
            self.backends.clear();
            self.garbage = 0;
            for (i, pr) in report.proxies.iter().enumerate() {
                self.add_outbounds(i, pr);
            }
        }
    }
}

fn qualified(pr: &ProxyReport) -> String {
    match &pr.namespace {
        Some(ns) => format!("{ns}/{}", pr.name),
        None => pr.name.clone(),
    }
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
        // Findings by proxy name (plain or namespace/name).
        let mut by_name: HashMap<&str, Vec<u32>> = HashMap::new();
        let quals: Vec<String> = report.proxies.iter().map(qualified).collect();
        for (i, p) in report.proxies.iter().enumerate() {
            by_name.entry(p.name.as_str()).or_default().push(i as u32);
            if p.namespace.is_some() {
                by_name.entry(quals[i].as_str()).or_default().push(i as u32);
            }
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
        }
    }

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

    /// Give the policies that have no source location (those seen only through the
    /// proxies they select: `selected_by` carries none) the location of their document
    /// in `resources`, the loaded input. The last document of a name wins, as it does in
    /// the control plane.
    pub fn locate_policies(&mut self, resources: &[crate::model::Resource]) {
        let missing: HashMap<PolicyKey<'_>, usize> = self
            .policies
            .iter()
            .enumerate()
            .filter(|(_, e)| e.location.is_none())
            .map(|(i, e)| (policy_order(e), i))
            .collect();
        if missing.is_empty() {
            return;
        }
        let mut found: Vec<(usize, Location)> = Vec::new();
        for r in resources {
            let m = &r.meta;
            let kind = m.kind.as_str();
            if !ROUTE_KINDS.contains(&kind) {
                continue;
            }
            let key = (
                kind,
                Some(m.mesh.as_str()),
                m.namespace.as_deref(),
                m.name.as_str(),
            );
            if let (Some(&i), Some(l)) = (missing.get(&key), m.origin.location()) {
                found.push((i, l));
            }
        }
        for (i, l) in found {
            self.policies[i].location = Some(l);
        }
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

    /// Keys of proxy `p`'s outbounds and backends (see [`Model::key`]).
    pub fn proxy_key_index(&self, p: u32) -> HashMap<String, Node> {
        let mut out = HashMap::new();
        let pr = self.proxy(p);
        for (oi, o) in pr.outbounds.iter().enumerate() {
            let ok = outbound_key(pr, o);
            for (bi, b) in o.backends.iter().enumerate() {
                out.insert(
                    format!("{ok}|{}", backend_name(b)),
                    Node::Backend(p, oi as u32, bi as u32),
                );
            }
            out.insert(ok, Node::Outbound(p, oi as u32));
        }
        out
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

    /// A key that names the same thing in another report (reloads, other versions).
    pub fn key(&self, n: Node) -> Option<String> {
        Some(match n {
            Node::Mesh(m) => format!("m:{}", self.meshes[m as usize].name),
            Node::Proxy(p) => proxy_key(self.proxy(p)),
            Node::Outbound(p, o) => outbound_key(self.proxy(p), self.outbound(p, o)),
            Node::Backend(p, o, b) => {
                let ob = self.outbound(p, o);
                format!(
                    "{}|{}",
                    outbound_key(self.proxy(p), ob),
                    backend_name(&ob.backends[b as usize])
                )
            }
            Node::Pending(_) | Node::Placeholder => return None,
        })
    }

    /// Every proxy's key (see [`Model::key`]).
    pub fn proxy_keys(&self) -> HashMap<String, u32> {
        (0..self.report.proxies.len() as u32)
            .map(|p| (proxy_key(self.proxy(p)), p))
            .collect()
    }

    /// Every node's key, for translating state from another report.
    pub fn key_index(&self) -> HashMap<String, Node> {
        let mut out = HashMap::new();
        for (m, g) in self.meshes.iter().enumerate() {
            out.insert(format!("m:{}", g.name), Node::Mesh(m as u32));
        }
        for (pi, p) in self.report.proxies.iter().enumerate() {
            let pk = proxy_key(p);
            for (oi, o) in p.outbounds.iter().enumerate() {
                let ok = outbound_key(p, o);
                for (bi, b) in o.backends.iter().enumerate() {
                    out.insert(
                        format!("{ok}|{}", backend_name(b)),
                        Node::Backend(pi as u32, oi as u32, bi as u32),
                    );
                }
                out.insert(ok, Node::Outbound(pi as u32, oi as u32));
            }
            out.insert(pk, Node::Proxy(pi as u32));
        }
        out
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

    pub fn find_policy(&self, q: &str) -> Option<usize> {
        let pl = &self.policies;
        pl.iter()
            .position(|p| p.name == q || p.qualified() == q)
            .or_else(|| pl.iter().position(|p| p.qualified().contains(q)))
    }

    /// Does the node's own text (names, tags, policy names) contain the needle?
    pub fn matches(&self, n: Node, f: &Needle) -> bool {
        if f.is_empty() {
            return true;
        }
        let s = &self.search;
        match n {
            Node::Mesh(m) => f.found_in(&self.meshes[m as usize].name.to_lowercase()),
            Node::Proxy(p) => f.found_in(&s.proxies[p as usize]),
            Node::Outbound(p, o) => f.found_in(&s.outbounds[(s.ob_base[p as usize] + o) as usize]),
            Node::Backend(p, o, b) => {
                let fo = (s.ob_base[p as usize] + o) as usize;
                f.found_in(&s.backends[(s.bk_base[fo] + b) as usize])
            }
            Node::Pending(_) | Node::Placeholder => false,
        }
    }

    /// The nodes whose own text contains `lower` (lowercase, non-empty), and the nodes
    /// with such a node below them. One scan of the prepared text; when `prev` was
    /// computed for a substring of `lower` on this model (the filter grew by a
    /// keystroke), only its hits are searched again.
    pub fn hits(&self, lower: &str, prev: Option<&Hits>) -> Hits {
        let s = &self.search;
        let prev = prev.filter(|p| {
            !p.text.is_empty()
                && lower.contains(p.text.as_str())
                && p.proxy.len() == s.proxies.len()
                && p.outbound.len() == s.outbounds.len()
                && p.backend.len() == s.backends.len()
        });
        let needle = Needle::new(lower);
        let scan = |hay: &[Box<str>], was: Option<&[bool]>| -> Vec<bool> {
            match was {
                Some(was) => hay
                    .iter()
                    .zip(was)
                    .map(|(h, &w)| w && needle.found_in(h))
                    .collect(),
                None => hay.iter().map(|h| needle.found_in(h)).collect(),
            }
        };
        let proxy = scan(&s.proxies, prev.map(|p| &p.proxy[..]));
        let outbound = scan(&s.outbounds, prev.map(|p| &p.outbound[..]));
        let backend = scan(&s.backends, prev.map(|p| &p.backend[..]));
        let mut outbound_below = vec![false; outbound.len()];
        for (fo, below) in outbound_below.iter_mut().enumerate() {
            let end = s.bk_base.get(fo + 1).map_or(backend.len(), |&e| e as usize);
            *below = backend[s.bk_base[fo] as usize..end].contains(&true);
        }
        let mut proxy_below = vec![false; proxy.len()];
        for (p, below) in proxy_below.iter_mut().enumerate() {
            let r = s.outbound_range(p);
            *below = outbound[r.clone()].contains(&true) || outbound_below[r].contains(&true);
        }
        let mesh = self
            .meshes
            .iter()
            .map(|g| needle.found_in(&g.name.to_lowercase()))
            .collect();
        let mesh_below = self
            .meshes
            .iter()
            .map(|g| {
                proxy[g.proxies.clone()].contains(&true)
                    || proxy_below[g.proxies.clone()].contains(&true)
            })
            .collect();
        Hits {
            text: lower.to_string(),
            mesh,
            mesh_below,
            proxy,
            proxy_below,
            outbound,
            outbound_below,
            backend,
        }
    }

    fn flat_outbound(&self, p: u32, o: u32) -> usize {
        (self.search.ob_base[p as usize] + o) as usize
    }

    /// Does the node's own text contain the filter these hits are for?
    pub fn hit(&self, h: &Hits, n: Node) -> bool {
        match n {
            Node::Mesh(m) => h.mesh[m as usize],
            Node::Proxy(p) => h.proxy[p as usize],
            Node::Outbound(p, o) => h.outbound[self.flat_outbound(p, o)],
            Node::Backend(p, o, b) => {
                let fo = self.flat_outbound(p, o);
                h.backend[(self.search.bk_base[fo] + b) as usize]
            }
            Node::Pending(_) | Node::Placeholder => false,
        }
    }

    /// Does a node below `n` match?
    pub fn hit_below(&self, h: &Hits, n: Node) -> bool {
        match n {
            Node::Mesh(m) => h.mesh_below[m as usize],
            Node::Proxy(p) => h.proxy_below[p as usize],
            Node::Outbound(p, o) => h.outbound_below[self.flat_outbound(p, o)],
            Node::Backend(..) | Node::Pending(_) | Node::Placeholder => false,
        }
    }

    /// Does finding `i`'s one-line text contain the needle?
    pub fn finding_matches(&self, i: usize, f: &Needle) -> bool {
        f.is_empty() || f.found_in(&self.search.findings[i])
    }

    pub fn proxy_names(&self) -> Vec<String> {
        self.report.proxies.iter().map(qualified).collect()
    }
}

fn proxy_key(p: &ProxyReport) -> String {
    match &p.context {
        Some(c) => format!("p:{}/{c}:{}", p.mesh, qualified(p)),
        None => format!("p:{}/{}", p.mesh, qualified(p)),
    }
}

fn outbound_key(p: &ProxyReport, o: &OutboundReport) -> String {
    format!(
        "{}|{}:{}",
        proxy_key(p),
        o.destination.kind,
        o.destination.label()
    )
}

/// Which nodes match a filter ([`Model::hits`]); only valid for the model that made it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    /// The lowercase filter text.
    pub text: String,
    mesh: Vec<bool>,
    mesh_below: Vec<bool>,
    proxy: Vec<bool>,
    proxy_below: Vec<bool>,
    /// By flat outbound index (see `Search`).
    outbound: Vec<bool>,
    outbound_below: Vec<bool>,
    backend: Vec<bool>,
}

/// A lowercase filter, prepared once for searching many strings.
pub struct Needle<'a> {
    text: &'a str,
    finder: memchr::memmem::Finder<'a>,
}

impl<'a> Needle<'a> {
    /// `lower` must already be lowercase.
    pub fn new(lower: &'a str) -> Needle<'a> {
        Needle {
            text: lower,
            finder: memchr::memmem::Finder::new(lower.as_bytes()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Is it in `hay` (already lowercase)?
    pub fn found_in(&self, hay: &str) -> bool {
        self.finder.find(hay.as_bytes()).is_some()
    }
}

/// Case-insensitive `contains`; `needle` is already lowercase.
pub fn contains(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}
