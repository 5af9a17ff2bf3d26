//! The Policies view's entries: every route policy the report knows of, where it acts
//! and what is said about it.

use super::*;

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
pub(super) const SOME_SELECTED: usize = 3;

impl PolicyEntry {
    pub(super) fn new(
        kind: &str,
        mesh: Option<&str>,
        namespace: Option<&str>,
        name: &str,
    ) -> PolicyEntry {
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
        crate::model::qualified_name(self.namespace.as_deref(), &self.name)
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
    pub(super) fn standing(&self) -> bool {
        self.selects > 0 || !self.findings.is_empty()
    }
}

/// A policy's identity in the Policies view: kind, mesh, namespace, name.
pub(super) type PolicyRef<'r> = (&'r str, Option<&'r str>, Option<&'r str>, &'r str);

/// Every route policy the report knows of (see [`PolicyEntry`]), sorted by kind, mesh,
/// namespace and name.
pub(super) fn policy_entries<'r>(report: &'r Report) -> Vec<PolicyEntry> {
    let mut at: HashMap<PolicyRef<'r>, usize> = HashMap::new();
    let mut out: Vec<PolicyEntry> = Vec::new();
    let mut slot = |k: PolicyRef<'r>, out: &mut Vec<PolicyEntry>| -> usize {
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
        for r in p.selected_by.iter() {
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
pub(super) fn common_dir<'a>(locs: impl Iterator<Item = &'a Location>) -> usize {
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
pub(super) fn policy_order(e: &PolicyEntry) -> (&str, Option<&str>, Option<&str>, &str) {
    (&e.kind, e.mesh.as_deref(), e.namespace.as_deref(), &e.name)
}

impl Model {
    /// Give the policies that have no source location (those seen only through the
    /// proxies they select: `selected_by` carries none) the location of their document
    /// in `resources`, the loaded input. The last document of a name wins, as it does in
    /// the control plane.
    pub fn locate_policies(&mut self, resources: &[crate::model::Resource]) {
        let missing: HashMap<PolicyRef<'_>, usize> = self
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
}
