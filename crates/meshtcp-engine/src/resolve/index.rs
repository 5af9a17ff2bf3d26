//! Indexes built once per input and version: per mesh, the services, real resources,
//! gateways, and route policies indexed by what their top-level targetRef selects, so a
//! proxy never compares itself with every policy.

use super::outbounds::Protocol;
use super::output::PolicyRef;
use super::precedence::{Path, SortKey, sort_key};
use super::selection::{ProxyView, Role, tags_match};
use super::validation::validate_route;
use super::version::{Feature, KumaVersion};
use crate::model::TargetKind;
use crate::model::{
    Body, DataplaneSpec, Finding, LegacyPolicySpec, MeshGatewaySpec, MeshServicesMode, Meta,
    Resource, ResourceKind, RouteRule, RouteSpec, ServicePort, Snapshot, Tags, TargetRef,
    TrafficRouteSpec, keys,
};
use std::collections::BTreeMap;
/// The engine's one hasher (foldhash), as everywhere in the crate.
type HashMap<K, V> = super::FastMap<K, V>;
use std::sync::Arc;

/// A MeshService, MeshExternalService or MeshMultiZoneService.
#[derive(Debug)]
pub struct RealSvc<'a> {
    pub meta: &'a Meta,
    pub ports: Vec<ServicePort>,
    pub vips: Vec<String>,
}

impl RealSvc<'_> {
    pub fn port_by_section(&self, section: &str) -> Option<&ServicePort> {
        self.ports.iter().find(|p| p.matches_section(section))
    }
}

/// One `to[]` item of a route policy, with what it points at resolved once.
#[derive(Debug)]
pub struct Entry<'a> {
    pub index: usize,
    pub target: &'a TargetRef,
    pub rules: Option<&'a [RouteRule]>,
    /// A MeshHTTPRoute's rules, what every outbound asks of them (one per rule, in
    /// order); empty for other kinds. Read from the input's value trees once here, not
    /// once per outbound: on a large mesh those trees are cold memory.
    pub rule_facts: Vec<super::route::RuleFacts>,
    /// Legacy path (§4a): the `kuma.io/service` this item covers (`""` for a
    /// labels-only MeshService ref, which matches nothing).
    pub legacy_service: Option<&'a str>,
    /// Real-resource path (§4b, 2.9+): (real service index, section) pairs.
    pub real: Vec<(usize, Option<String>)>,
    /// `kind: Mesh` (builtin gateway listeners).
    pub mesh_wide: bool,
    /// Precedence on the real-resource path, and in words: built on first use (see
    /// [`Policy::real_key`]).
    real_key: std::sync::OnceLock<(SortKey, Arc<super::output::Precedence>)>,
    /// The MeshTCPRoute rule's backends, resolved on first use.
    pub tcp_resolved: std::sync::OnceLock<super::backends::Resolved>,
}

/// A MeshTCPRoute or MeshHTTPRoute the chosen version accepts.
#[derive(Debug)]
pub struct Policy<'a> {
    /// Input order within its mesh and kind (the stable-sort tie-breaker).
    pub order: usize,
    pub meta: &'a Meta,
    /// The top-level targetRef, `Mesh` when omitted (2.9+). Borrowed: a copy was half
    /// the size of a policy here.
    pub top: &'a TargetRef,
    pub role: Option<Role>,
    /// `meta.name`, shared by the policy's rows in reports.
    pub name: Arc<str>,
    /// The namespace a `Dataplane` top-level ref without one means (see
    /// [`Meta::kri_namespace`]), read once rather than per proxy and candidate.
    pub kri_namespace: Option<&'a str>,
    /// Whether the 2.9+ namespace/zone pre-filters can exclude proxies for it (decided
    /// once, not per proxy and candidate).
    pub prefiltered: bool,
    /// Exact size: collected through `filter_map`, a `Vec` held room for four (a
    /// MeshTCPRoute has one or two).
    pub entries: Box<[Entry<'a>]>,
    /// Precedence on the legacy (per-proxy) path.
    pub key: SortKey,
    pub key_shown: Arc<super::output::Precedence>,
    /// Precedence on builtin-gateway listeners, and in words: built on first use (see
    /// [`Policy::gateway_key`]).
    gateway_key: std::sync::OnceLock<(SortKey, Arc<super::output::Precedence>)>,
    /// The version the keys are built for.
    version: KumaVersion,
    /// What `selectedBy` lists, built once.
    pub as_ref: Arc<PolicyRef>,
}

impl Policy<'_> {
    /// `e`'s (one of this policy's entries) precedence on the real-resource path. Built
    /// when first needed: a sort key and its words are about a kilobyte, and meshes
    /// without real resources never need them (nor builtin-gateway keys, below).
    pub fn real_key<'e>(&self, e: &'e Entry) -> &'e (SortKey, Arc<super::output::Precedence>) {
        e.real_key.get_or_init(|| self.key_on(Path::Real(e.target)))
    }

    /// Precedence on builtin-gateway listeners.
    pub fn gateway_key(&self) -> &(SortKey, Arc<super::output::Precedence>) {
        self.gateway_key.get_or_init(|| self.key_on(Path::Gateway))
    }

    /// This policy's sort key on `path`, and the key in words.
    fn key_on(&self, path: Path) -> (SortKey, Arc<super::output::Precedence>) {
        let key = sort_key(self.meta, self.top, self.role, path, self.version);
        let shown = Arc::new(key.describe().into());
        (key, shown)
    }

    pub fn has_legacy_entries(&self) -> bool {
        self.entries.iter().any(|e| e.legacy_service.is_some())
    }
    pub fn has_mesh_entries(&self) -> bool {
        self.entries.iter().any(|e| e.mesh_wide)
    }
}

/// Policies of one kind, indexed by the top-level selector.
#[derive(Debug, Default)]
pub struct PolicySet<'a> {
    pub all: Vec<Policy<'a>>,
    /// `Mesh` (and omitted) refs: candidates for every proxy.
    pub mesh_wide: Vec<usize>,
    /// `MeshService`/`MeshServiceSubset` refs and `MeshSubset` refs with a service tag.
    pub by_service: super::FastMap<String, Vec<usize>>,
    /// `Dataplane` refs by name.
    pub by_dataplane: super::FastMap<String, Vec<usize>>,
    /// `MeshSubset` refs by one of their exact tags (key, then value: looked up by a
    /// proxy's tags without copying them).
    pub by_tag: super::FastMap<String, super::FastMap<String, Vec<usize>>>,
    /// `Dataplane` refs by one of their labels (key, then value).
    pub by_label: super::FastMap<String, super::FastMap<String, Vec<usize>>>,
    /// `MeshGateway` refs by gateway name.
    pub by_gateway: super::FastMap<String, Vec<usize>>,
    /// Everything else (`MeshSubset` without a service tag, `Dataplane` by labels/all).
    pub other: Vec<usize>,
    /// Policy order → whether being found under its `by_service`, `by_tag` or
    /// `by_label` key by a sidecar's own tags or labels proves that its top-level ref
    /// selects the proxy: a `MeshService` ref, a `MeshSubset` ref whose one tag is that
    /// key (and no `proxyTypes`), or a `Dataplane` ref whose one label is (and no
    /// name). The selection check is then skipped.
    pub key_decides: Vec<bool>,
    /// Destination index, legacy path: `kuma.io/service` → (policy, entry) in input order.
    pub by_destination: super::FastMap<String, Vec<(usize, usize)>>,
    /// Destination index, real-resource path: real service → (policy, entry).
    pub by_real: super::FastMap<usize, Vec<(usize, usize)>>,
    /// Each policy's place in the precedence order of the whole set (legacy path key,
    /// then input order), so a proxy sorts its matched policies by integers.
    pub rank: Vec<u32>,
    /// Policies that select every proxy of the mesh (`Mesh` without `proxyTypes`, no
    /// namespace or zone pre-filter), in precedence order: shared by all proxies.
    pub always: Vec<usize>,
    /// Policy order → whether it is in `always`.
    pub is_always: Vec<bool>,
    /// Rank → policy order (the inverse of `rank`).
    pub by_rank: Vec<u32>,
    /// Some policy of `always` has a legacy-path entry / a Mesh-wide entry.
    pub always_legacy: bool,
    pub always_mesh_entries: bool,
    /// Policy order → the index of its first `to[]` entry among the entries of the whole
    /// set (a flat list of flags per entry, see [`super::EntryHits`]).
    pub entry_base: Vec<u32>,
    /// Entries of the whole set.
    pub entries_total: usize,
}

impl<'a> PolicySet<'a> {
    fn finish(&mut self) {
        let mut order: Vec<usize> = (0..self.all.len()).collect();
        order.sort_by(|&a, &b| self.all[a].key.cmp(&self.all[b].key).then(a.cmp(&b)));
        self.rank = vec![0; self.all.len()];
        for (r, &i) in order.iter().enumerate() {
            self.rank[i] = r as u32;
        }
        let always = |p: &Policy| {
            p.top.kind() == TargetKind::Mesh && p.top.proxy_types.is_none() && !p.prefiltered
        };
        self.by_rank = order.iter().map(|&i| i as u32).collect();
        self.always = order
            .into_iter()
            .filter(|&i| always(&self.all[i]))
            .collect();
        self.is_always = vec![false; self.all.len()];
        for &i in &self.always {
            self.is_always[i] = true;
        }
        let all = &self.all;
        self.always_legacy = self.always.iter().any(|&i| all[i].has_legacy_entries());
        self.always_mesh_entries = self.always.iter().any(|&i| all[i].has_mesh_entries());
        self.mesh_wide.retain(|&i| !always(&all[i]));
    }

    fn push(&mut self, p: Policy<'a>) {
        let i = self.all.len();
        self.entry_base.push(self.entries_total as u32);
        self.entries_total += p.entries.len();
        for (ei, e) in p.entries.iter().enumerate() {
            if let Some(svc) = e.legacy_service {
                self.by_destination
                    .entry(svc.to_string())
                    .or_default()
                    .push((i, ei));
            }
            let mut reals: Vec<usize> = e.real.iter().map(|(r, _)| *r).collect();
            reals.dedup();
            for r in reals {
                self.by_real.entry(r).or_default().push((i, ei));
            }
        }
        let t = p.top;
        self.key_decides.push(match t.kind() {
            TargetKind::MeshService => t.name.is_some(),
            TargetKind::MeshSubset => {
                t.proxy_types.is_none()
                    && t.tags.as_ref().is_some_and(|tags| tags.len() == 1)
                    && first_exact(t.tags.as_ref()).is_some()
            }
            TargetKind::Dataplane => {
                t.name.is_none()
                    && t.labels.as_ref().is_some_and(|l| l.len() == 1)
                    && first_exact(t.labels.as_ref()).is_some()
            }
            _ => false,
        });
        match t.kind() {
            TargetKind::Mesh => self.mesh_wide.push(i),
            TargetKind::MeshService | TargetKind::MeshServiceSubset if t.name.is_some() => self
                .by_service
                .entry(t.name.clone().unwrap())
                .or_default()
                .push(i),
            TargetKind::MeshSubset if first_exact(t.tags.as_ref()).is_some() => {
                let (k, v) = first_exact(t.tags.as_ref()).unwrap();
                self.by_tag
                    .entry(k)
                    .or_default()
                    .entry(v)
                    .or_default()
                    .push(i)
            }
            TargetKind::Dataplane
                if t.name.is_none() && first_exact(t.labels.as_ref()).is_some() =>
            {
                let (k, v) = first_exact(t.labels.as_ref()).unwrap();
                self.by_label
                    .entry(k)
                    .or_default()
                    .entry(v)
                    .or_default()
                    .push(i)
            }
            TargetKind::Dataplane if t.name.is_some() => self
                .by_dataplane
                .entry(t.name.clone().unwrap())
                .or_default()
                .push(i),
            TargetKind::MeshGateway if t.name.is_some() => self
                .by_gateway
                .entry(t.name.clone().unwrap())
                .or_default()
                .push(i),
            _ => self.other.push(i),
        }
        self.all.push(p);
    }

    /// Candidate policies for a proxy (a superset of those that select it), by rank
    /// (their place in the set's precedence order), ascending and each once: Mesh-wide
    /// ones, and those indexed under one of its services, tags, labels, name or
    /// gateway. With each, whether it is known to select the proxy already (see
    /// [`PolicySet::key_decides`]); the others need the selection check.
    pub fn candidates(&self, view: &ProxyView) -> Vec<Candidate> {
        let rank = &self.rank;
        let mut v: Vec<Candidate> = (self.mesh_wide.iter().chain(&self.other))
            .map(|&i| Candidate::new(rank[i], false))
            .collect();
        let decides = &self.key_decides;
        let mut add = |x: Option<&Vec<usize>>, by_key: bool| {
            if let Some(x) = x {
                v.extend(
                    x.iter()
                        .map(|&i| Candidate::new(rank[i], by_key && decides[i])),
                );
            }
        };
        for s in view.services() {
            add(self.by_service.get(s), true);
        }
        // A builtin gateway is selected by its listeners' tags, not its own.
        let own = view.gateway.is_none();
        let listener_tags = view.gateway.iter().flat_map(|g| g.1.iter());
        let tag_sets = (view.tag_sets.iter().copied().map(|t| (t, own)))
            .chain(listener_tags.map(|t| (t, false)));
        for (tags, by_key) in tag_sets {
            for (k, val) in tags {
                add(
                    self.by_tag
                        .get(k.as_str())
                        .and_then(|m| m.get(val.as_str())),
                    by_key,
                );
            }
        }
        // Dataplane refs never select a builtin gateway.
        let sidecar_like = view.proxy_type != crate::model::ProxyType::BuiltinGateway;
        for (k, val) in &view.meta.labels {
            add(
                self.by_label
                    .get(k.as_str())
                    .and_then(|m| m.get(val.as_str())),
                sidecar_like,
            );
        }
        add(self.by_dataplane.get(view.meta.display_name()), false);
        if let Some(g) = &view.gateway {
            add(self.by_gateway.get(g.0), false);
        }
        Candidate::sort_dedup(&mut v);
        v
    }

    /// The policy at `rank` in the set's precedence order.
    pub fn at_rank(&self, rank: u32) -> &Policy<'a> {
        &self.all[self.by_rank[rank as usize] as usize]
    }
}

/// A candidate policy of a [`PolicySet`] for one proxy: its rank, and whether it is
/// known to select the proxy. One integer (rank, then the flag), so that sorting a
/// proxy's candidates compares integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate(u32);

impl Candidate {
    fn new(rank: u32, known: bool) -> Candidate {
        debug_assert!(rank < 1 << 31, "ranks fit in 31 bits");
        Candidate(rank << 1 | u32::from(known))
    }

    pub fn rank(self) -> u32 {
        self.0 >> 1
    }

    pub fn known(self) -> bool {
        self.0 & 1 == 1
    }

    /// By rank, not by policy index: what selects the proxy is then already in
    /// precedence order (no second sort). One per policy: found more than once, it is
    /// known to select if any lookup says so.
    fn sort_dedup(v: &mut Vec<Candidate>) {
        v.sort_unstable();
        v.dedup_by(|later, kept| {
            let same = later.rank() == kept.rank();
            if same {
                kept.0 |= later.0 & 1;
            }
            same
        });
    }
}

/// Whether the 2.9+ namespace/zone pre-filters can exclude proxies for this policy.
fn prefiltered(meta: &Meta, role: Option<Role>, v: KumaVersion) -> bool {
    v.has(Feature::SelectionPrefilters)
        && (matches!(role, Some(Role::Consumer | Role::WorkloadOwner))
            || (role != Some(Role::Producer) && meta.policy_origin() == Some("zone")))
}

/// The first tag or label of a selector whose value is not `*` (the index key).
fn first_exact(t: Option<&Tags>) -> Option<(String, String)> {
    t?.iter()
        .find(|(_, v)| *v != "*")
        .map(|(k, v)| (k.clone(), v.clone()))
}

/// The policies of one set that select a proxy: those of `set.always` (the same for
/// every proxy of the mesh) and the proxy's own `conditional` ones. Nothing per policy
/// of the set is built for a proxy: membership and order come from the set's ranks.
pub struct Matched<'p, 'a> {
    pub set: &'p PolicySet<'a>,
    /// The orders of the matched policies outside `set.always`, in precedence order:
    /// with `set.always` they decide the whole selection.
    pub conditional: Vec<u32>,
    /// The ranks of `conditional`, ascending (a binary search says whether a policy
    /// selects the proxy).
    ranks: Vec<u32>,
}

impl<'p, 'a> Matched<'p, 'a> {
    /// `ranks`: the ranks of the policies outside `set.always` that select the proxy,
    /// ascending.
    pub fn new(set: &'p PolicySet<'a>, ranks: Vec<u32>) -> Self {
        debug_assert!(ranks.is_sorted(), "ranks come in precedence order");
        let orders = ranks.iter().map(|&r| set.by_rank[r as usize]).collect();
        Matched {
            set,
            conditional: orders,
            ranks,
        }
    }

    /// Every matched policy in precedence order, lowest first: `set.always` and
    /// `conditional` merged by rank.
    pub fn sorted(&self) -> Vec<&'p Policy<'a>> {
        let set = self.set;
        let mut out = Vec::with_capacity(set.always.len() + self.conditional.len());
        let (mut a, mut c) = (
            set.always.iter().peekable(),
            self.conditional.iter().peekable(),
        );
        loop {
            let take_always = match (a.peek(), c.peek()) {
                (Some(&&i), Some(&&o)) => set.rank[i] < set.rank[o as usize],
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let i = if take_always {
                *a.next().unwrap()
            } else {
                *c.next().unwrap() as usize
            };
            out.push(&set.all[i]);
        }
        out
    }

    /// Whether some matched policy satisfies `f`; `always` says whether one of
    /// `set.always` does (the same for every proxy, so the set computes it once).
    pub fn any(&self, always: bool, f: impl Fn(&Policy<'a>) -> bool) -> bool {
        always
            || self
                .conditional
                .iter()
                .any(|&o| f(&self.set.all[o as usize]))
    }

    /// Policy `order`'s rank (its place in the set's precedence order) if it selects
    /// the proxy. Ranks order the matched policies as their positions would.
    pub fn rank_if_selected(&self, order: usize) -> Option<u32> {
        let r = self.set.rank[order];
        (self.set.is_always[order] || self.ranks.binary_search(&r).is_ok()).then_some(r)
    }
}

#[derive(Debug, Default)]
pub struct ServiceInfo<'a> {
    pub protocol: Option<Protocol>,
    /// Tag sets of every endpoint (Dataplane inbounds, ExternalServices), borrowed from
    /// the snapshot.
    pub endpoints: Vec<&'a Tags>,
    pub external: bool,
    /// How the legacy policies' destinations match this service, once computed.
    pub dest_ranks: std::sync::OnceLock<super::legacy::DestRanks>,
}

#[derive(Debug)]
pub struct MeshIndex<'a> {
    pub name: String,
    pub mode: MeshServicesMode,
    pub declared: bool,
    pub dataplanes: Vec<(&'a Meta, &'a DataplaneSpec)>,
    /// Legacy services by name (looked up several times per outbound: hashed, not
    /// ordered; [`super::outbounds::vip_outbounds`] sorts the names it lists).
    pub services: super::FastMap<String, ServiceInfo<'a>>,
    pub reals: Vec<RealSvc<'a>>,
    pub gateways: Vec<(&'a Meta, &'a MeshGatewaySpec)>,
    pub tcp: PolicySet<'a>,
    pub http: PolicySet<'a>,
    pub traffic_routes: Vec<(&'a Meta, &'a TrafficRouteSpec)>,
    pub legacy: Vec<(&'a Meta, &'a LegacyPolicySpec)>,
    vips: std::sync::OnceLock<super::outbounds::VipOutbounds>,
    /// Real resources by `kind/namespace/display-name`.
    reals_by_name: HashMap<String, Vec<usize>>,
    /// The zone of resources without a `kuma.io/zone` label (see [`super::zones`]).
    pub local_zone: Option<String>,
    /// The report's reference to each route and legacy policy (by the address of its
    /// `Meta`), made once: findings about a policy share it.
    refs: super::FastMap<usize, Arc<crate::model::ResourceRef>>,
}

impl<'a> MeshIndex<'a> {
    fn new(name: &str) -> Self {
        MeshIndex {
            name: name.into(),
            mode: MeshServicesMode::Disabled,
            declared: false,
            dataplanes: vec![],
            services: Default::default(),
            reals: vec![],
            gateways: vec![],
            tcp: PolicySet::default(),
            http: PolicySet::default(),
            traffic_routes: vec![],
            legacy: vec![],
            vips: std::sync::OnceLock::new(),
            reals_by_name: HashMap::default(),
            local_zone: None,
            refs: Default::default(),
        }
    }

    /// `meta`'s zone: its `kuma.io/zone` label, else the input's local zone.
    pub fn zone_of<'m>(&'m self, meta: &'m Meta) -> Option<&'m str> {
        zone_or(meta, self.local_zone.as_deref())
    }

    /// The shared reference to `meta`'s resource (made afresh for one not indexed).
    pub fn resource_ref(&self, meta: &Meta) -> Arc<crate::model::ResourceRef> {
        match self.refs.get(&(meta as *const Meta as usize)) {
            Some(r) => r.clone(),
            None => Arc::new(meta.resource_ref()),
        }
    }

    /// Real resources of `kind` named `name` (display name) in namespace `ns`.
    pub fn reals_named(&self, kind: &str, name: &str, ns: Option<&str>) -> &[usize] {
        reals_named(&self.reals_by_name, kind, name, ns)
    }

    /// The mesh's shared VIP outbounds (built on first use).
    pub fn vip_outbounds(&self) -> &super::outbounds::VipOutbounds {
        self.vips
            .get_or_init(|| super::outbounds::vip_outbounds(self))
    }

    pub fn service_protocol(&self, s: &str) -> Protocol {
        self.services
            .get(s)
            .and_then(|i| i.protocol.clone())
            .unwrap_or(Protocol::Unknown)
    }

    /// Does some endpoint serve `service` (with `tags` ⊆ its tags)?
    pub fn service_exists(&self, service: &str, tags: Option<&Tags>) -> bool {
        self.services.get(service).is_some_and(|i| match tags {
            None => true,
            Some(t) => i.endpoints.iter().any(|e| tags_match(t, e)),
        })
    }

    /// The builtin gateway's MeshGateway: the first whose selectors match its tags.
    pub fn gateway_for(&self, gw_tags: &Tags) -> Option<(&'a Meta, &'a MeshGatewaySpec)> {
        self.gateways
            .iter()
            .find(|(_, g)| g.selectors.iter().any(|s| tags_match(&s.match_, gw_tags)))
            .map(|(m, g)| (*m, *g))
    }
}

fn add_endpoint<'a>(
    services: &mut super::FastMap<String, ServiceInfo<'a>>,
    tags: &'a Tags,
    external: bool,
) {
    let Some(s) = tags.get(keys::SERVICE) else {
        return;
    };
    let info = services.entry(s.clone()).or_default();
    let p = Protocol::from_tag(tags.get(keys::PROTOCOL));
    info.protocol = Some(match &info.protocol {
        None => p,
        Some(prev) => prev.common(&p),
    });
    info.endpoints.push(tags);
    info.external |= external;
}

fn real_key(kind: &str, name: &str, ns: Option<&str>) -> String {
    super::route::cat(&[kind, "/", ns.unwrap_or(""), "/", name])
}

fn reals_named<'i>(
    by: &'i HashMap<String, Vec<usize>>,
    kind: &str,
    name: &str,
    ns: Option<&str>,
) -> &'i [usize] {
    by.get(&real_key(kind, name, ns))
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// `meta`'s `kuma.io/zone` label, else `local`.
fn zone_or<'m>(meta: &'m Meta, local: Option<&'m str>) -> Option<&'m str> {
    meta.zone().or(local)
}

/// Resolve a `to[]` ref to real resources (§4b).
fn resolve_real_to(
    t: &TargetRef,
    meta: &Meta,
    reals: &[RealSvc],
    by_name: &HashMap<String, Vec<usize>>,
    local_zone: Option<&str>,
    v: KumaVersion,
) -> Vec<(usize, Option<String>)> {
    if !v.has(Feature::RealResources)
        || !matches!(
            t.kind(),
            TargetKind::MeshService
                | TargetKind::MeshExternalService
                | TargetKind::MeshMultiZoneService
        )
    {
        return vec![];
    }
    let mut out = vec![];
    let policy_ns = meta.kri_namespace();
    // 2.10+: `name_namespace_svc_port` names a MeshService port (backwards compatibility).
    if v.has(Feature::KubernetesServicePortNames)
        && t.kind() == TargetKind::MeshService
        && t.section_name.is_none()
        && t.labels.is_none()
        && let Some(name) = &t.name
        && let Some((svc, ns, port)) = parse_legacy_k8s_name(name)
    {
        for &i in reals_named(by_name, "MeshService", svc, Some(ns)) {
            if let Some(p) = reals[i].ports.iter().find(|p| p.port == port) {
                out.push((i, Some(p.section_name())));
            }
        }
        return out;
    }
    let hits: Vec<usize> = match (&t.labels, &t.name) {
        (Some(l), _) => (0..reals.len())
            .filter(|&i| {
                reals[i].meta.kind.as_str() == t.kind_name() && tags_match(l, &reals[i].meta.labels)
            })
            .collect(),
        (None, Some(n)) => reals_named(
            by_name,
            t.kind_name(),
            n,
            t.namespace.as_deref().or(policy_ns),
        )
        .iter()
        .copied()
        .filter(|&i| zone_or(meta, local_zone) == zone_or(reals[i].meta, local_zone))
        .collect(),
        (None, None) => vec![],
    };
    for i in hits {
        let r = &reals[i];
        match &t.section_name {
            None => out.push((i, None)),
            // Only the port's section name: its name, or the number when it has none
            // (`findPort`, `rules/resolve/targetref.go@v2.13.0`). A backendRef's port
            // lookup accepts either; a to[] sectionName does not.
            Some(sec) => {
                if let Some(p) = r.ports.iter().find(|p| p.section_name() == *sec) {
                    out.push((i, Some(p.section_name())));
                }
            }
        }
    }
    out
}

/// `backend_kuma-demo_svc_8080` → (`backend`, `kuma-demo`, 8080).
pub fn parse_legacy_k8s_name(name: &str) -> Option<(&str, &str, u32)> {
    let (rest, port) = name.rsplit_once("_svc_")?;
    let port = port.parse().ok()?;
    let (svc, ns) = rest.rsplit_once('_')?;
    if svc.is_empty() || ns.is_empty() {
        return None;
    }
    Some((svc, ns, port))
}

/// A policy ready for the index; its `order` is set when it is indexed.
fn prepare_policy<'a>(
    meta: &'a Meta,
    spec: &'a RouteSpec,
    role: Option<Role>,
    reals: &[RealSvc],
    by_name: &HashMap<String, Vec<usize>>,
    local_zone: Option<&str>,
    v: KumaVersion,
) -> Policy<'a> {
    static MESH: std::sync::LazyLock<TargetRef> = std::sync::LazyLock::new(|| TargetRef {
        kind: Some("Mesh".into()),
        ..Default::default()
    });
    let top = spec.target_ref.as_ref().unwrap_or(&MESH);
    let entries = spec
        .to
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(index, to)| {
            let target = to.target_ref.as_ref()?;
            Some(Entry {
                index,
                target,
                rules: to.rules.as_deref(),
                rule_facts: if meta.kind == ResourceKind::MeshHTTPRoute {
                    to.rules
                        .iter()
                        .flatten()
                        .map(super::route::RuleFacts::of)
                        .collect()
                } else {
                    Vec::new()
                },
                legacy_service: (target.kind() == TargetKind::MeshService)
                    .then(|| target.name.as_deref().unwrap_or("")),
                real: resolve_real_to(target, meta, reals, by_name, local_zone, v),
                mesh_wide: target.kind() == TargetKind::Mesh,
                real_key: std::sync::OnceLock::new(),
                tcp_resolved: std::sync::OnceLock::new(),
            })
        })
        .collect();
    let key = sort_key(meta, top, role, Path::Legacy, v);
    Policy {
        order: 0,
        meta,
        key_shown: Arc::new(key.describe().into()),
        key,
        gateway_key: std::sync::OnceLock::new(),
        version: v,
        as_ref: Arc::new(PolicyRef {
            kind: meta.kind.as_str().into(),
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            target_ref: top.describe(),
        }),
        prefiltered: prefiltered(meta, role, v),
        kri_namespace: meta.kri_namespace(),
        name: meta.name.as_str().into(),
        top,
        role,
        entries,
    }
}

/// Route policies validated and prepared per unit of work in [`build`].
const ROUTES_PER_TASK: usize = 64;

/// Everything indexed, per mesh, plus the validation findings. The route policies are
/// prepared on up to `threads` threads (the index is the same for any number).
pub fn build<'a>(
    snapshot: &'a Snapshot,
    v: KumaVersion,
    threads: usize,
    zone: Option<&str>,
) -> (BTreeMap<String, MeshIndex<'a>>, Vec<Finding>) {
    let mut meshes: BTreeMap<String, MeshIndex<'a>> = BTreeMap::new();
    let local = super::zones::local_zone(snapshot, zone);
    let mut findings = local.findings;
    let mut routes: Vec<&'a Resource> = Vec::new();
    for r in &snapshot.resources {
        let m = meshes
            .entry(r.meta.mesh.clone())
            .or_insert_with(|| MeshIndex::new(&r.meta.mesh));
        match &r.body {
            Body::Mesh(s) => {
                m.mode = s.mode();
                m.declared = true;
            }
            Body::Dataplane(d) => {
                m.dataplanes.push((&r.meta, d));
                for i in &d.networking.inbound {
                    add_endpoint(&mut m.services, &i.tags, false);
                }
                if let Some(g) = &d.networking.gateway {
                    add_endpoint(&mut m.services, &g.tags, false);
                }
            }
            Body::ExternalService(e) => add_endpoint(&mut m.services, &e.tags, true),
            Body::MeshService(s) => m.reals.push(RealSvc {
                meta: &r.meta,
                ports: s.ports.clone(),
                vips: s.vips.clone(),
            }),
            Body::MeshMultiZoneService(s) => m.reals.push(RealSvc {
                meta: &r.meta,
                ports: s.ports.clone(),
                vips: s.vips.clone(),
            }),
            Body::MeshExternalService(s) => m.reals.push(RealSvc {
                meta: &r.meta,
                ports: vec![ServicePort {
                    name: None,
                    port: s.match_.port,
                    target_port: None,
                    app_protocol: s.match_.protocol.clone(),
                }],
                vips: s.vip.iter().cloned().collect(),
            }),
            Body::MeshGateway(g) => m.gateways.push((&r.meta, g)),
            Body::Route(_) => routes.push(r),
            Body::TrafficRoute(t) => m.traffic_routes.push((&r.meta, t)),
            Body::Legacy(l) => m.legacy.push((&r.meta, l)),
        }
    }
    for m in meshes.values_mut() {
        m.local_zone = local.zone.clone();
        // Transparent proxies get an outbound per real resource VIP (2.9+): one without
        // `status.vips` is given an assumed one, as the control plane allocates it.
        let transparent = m.dataplanes.iter().any(|(_, d)| d.transparent_proxy());
        if v.has(Feature::RealResources) && transparent {
            for r in m.reals.iter().filter(|r| r.vips.is_empty()) {
                let status = if r.meta.kind == ResourceKind::MeshExternalService {
                    "status.vip"
                } else {
                    "status.vips"
                };
                findings.push(Finding::about(
                    crate::model::Code::VipAssumed,
                    r.meta,
                    format!(
                        "{} {} has no {status} (as a file written by hand has none): meshtcp assumes the VIP the \
                         control plane would allocate, so that transparent proxies get its outbounds",
                        r.meta.kind,
                        r.meta.qualified_name()
                    ),
                ));
            }
        }
        for (i, r) in m.reals.iter().enumerate() {
            let k = real_key(
                r.meta.kind.as_str(),
                r.meta.display_name(),
                r.meta.kri_namespace(),
            );
            m.reals_by_name.entry(k).or_default().push(i);
        }
    }
    // Validated and prepared on every thread (their sort keys and backend lookups are
    // most of the index's time), then indexed in input order.
    let chunks: Vec<&[&Resource]> = routes.chunks(ROUTES_PER_TASK).collect();
    let mut prepared = Vec::with_capacity(routes.len());
    super::par::ordered(
        chunks.len(),
        threads,
        || (),
        |_, ci| {
            chunks[ci]
                .iter()
                .filter_map(|r| {
                    let Body::Route(spec) = &r.body else {
                        return None;
                    };
                    let val = validate_route(&r.meta, spec, v);
                    let m = &meshes[&r.meta.mesh];
                    let p = val.accepted.then(|| {
                        prepare_policy(
                            &r.meta,
                            spec,
                            val.role,
                            &m.reals,
                            &m.reals_by_name,
                            m.local_zone.as_deref(),
                            v,
                        )
                    });
                    Some((val.findings, p))
                })
                .collect::<Vec<_>>()
        },
        |part| prepared.extend(part),
    );
    for (found, p) in prepared {
        findings.extend(found);
        let Some(mut p) = p else { continue };
        let m = meshes.get_mut(&p.meta.mesh).expect("mesh indexed above");
        let set = if p.meta.kind == ResourceKind::MeshTCPRoute {
            &mut m.tcp
        } else {
            &mut m.http
        };
        p.order = set.all.len();
        set.push(p);
    }
    for m in meshes.values_mut() {
        m.tcp.finish();
        m.http.finish();
        super::route::number_matches(m.http.all.iter_mut().flat_map(|p| {
            p.entries
                .iter_mut()
                .flat_map(|e| e.rules.unwrap_or_default().iter().zip(&mut e.rule_facts))
        }));
        let metas: Vec<&Meta> = (m.tcp.all.iter().chain(&m.http.all))
            .map(|p| p.meta)
            .chain(m.traffic_routes.iter().map(|t| t.0))
            .chain(m.legacy.iter().map(|l| l.0))
            .collect();
        for meta in metas {
            m.refs
                .insert(meta as *const Meta as usize, Arc::new(meta.resource_ref()));
        }
    }
    (meshes, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_sort_by_rank_once_each_known_if_any_lookup_knows() {
        let mut v: Vec<Candidate> = [
            (7, false),
            (2, true),
            (7, true),
            (0, false),
            (2, false),
            (7, false),
        ]
        .into_iter()
        .map(|(r, k)| Candidate::new(r, k))
        .collect();
        Candidate::sort_dedup(&mut v);
        let got: Vec<(u32, bool)> = v.iter().map(|c| (c.rank(), c.known())).collect();
        assert_eq!(got, [(0, false), (2, true), (7, true)]);
        let big = Candidate::new((1 << 31) - 1, true);
        assert_eq!((big.rank(), big.known()), ((1 << 31) - 1, true));
    }

    #[test]
    fn parses_kubernetes_legacy_service_names() {
        assert_eq!(
            parse_legacy_k8s_name("backend_kuma-demo_svc_8080"),
            Some(("backend", "kuma-demo", 8080))
        );
        assert_eq!(
            parse_legacy_k8s_name("backend-v2_be_svc_7000"),
            Some(("backend-v2", "be", 7000))
        );
        assert_eq!(parse_legacy_k8s_name("backend"), None);
        assert_eq!(parse_legacy_k8s_name("a_svc_x"), None);
    }
}
