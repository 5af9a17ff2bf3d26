//! The engine: from a [`Snapshot`] and a Kuma version to the report model.
//!
//! Pure, synchronous and deterministic; organised like `kuma-semantics.md`:
//! [`outbounds`] (§2), [`selection`] (§3), [`index`] (§4 matching, done once),
//! [`precedence`] (§5.1), [`route`] (§5.2 merge, §6 HTTP vs TCP, §7.2 who builds the
//! outbound), [`backends`] (§5.3), [`legacy`] (§7.1, §7.3), [`gateway`] (§8),
//! [`validation`] (§9). The version is an argument, never global.

// The rules are internal: the crate's interface is `Engine`, the report model
// (`output`), versions, and the two helpers the loader and writers share.
mod backends;
mod cache;
mod findings;
mod gateway;
mod ignored;
mod index;
mod legacy;
mod nearest;
mod outbounds;
pub mod output;
pub mod par;
mod precedence;
mod reason;
mod route;
mod selection;
mod validation;
mod version;
mod zones;

pub use findings::{Findings, Grouper, dedup, merge};
pub use nearest::distance;
pub use output::*;
pub use version::{Bucket, Feature, KumaVersion, VersionError};

use crate::model::{Code, DataplaneSpec, Finding, Meta, ProxyType, Snapshot, Tags};
pub use cache::ProxyCache;
use cache::Shared;
use ignored::AppliedAt;
use index::{Matched, MeshIndex, Policy, PolicySet};
use route::{Ctx, Gates};
use selection::{ProxyView, prefilter, selects};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which proxies a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub mesh: Option<String>,
    /// A proxy name, or `namespace/name`.
    pub proxy: Option<String>,
    /// Only the proxies of this Kubernetes namespace (`-n` on file sources): the other
    /// resources still take part in resolving them.
    pub namespace: Option<String>,
}

impl Filter {
    fn mesh_ok(&self, m: &str) -> bool {
        self.mesh.as_deref().is_none_or(|x| x == m)
    }

    fn proxy_ok(&self, meta: &Meta) -> bool {
        self.proxy.as_deref().is_none_or(|p| meta.is_named(p))
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| meta.kri_namespace() == Some(ns))
    }

    /// Whether reports leave some proxies out (then a pass still looks at every proxy
    /// for what depends on all of them).
    fn narrows_proxies(&self) -> bool {
        self.proxy.is_some() || self.namespace.is_some()
    }
}

/// What a pass over the proxies builds for each of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// Outbound reports; without them only findings (`check`).
    pub outbounds: bool,
    /// [`ProxyReport::selected_by`]: the TUI shows it; JSON and YAML do not carry it.
    pub selected_by: bool,
}

impl Want {
    /// Everything: what [`Engine::report`] gives.
    pub const ALL: Want = Want {
        outbounds: true,
        selected_by: true,
    };
    /// What the JSON and YAML reports carry.
    pub const WRITTEN: Want = Want {
        outbounds: true,
        selected_by: false,
    };
    /// Findings only.
    pub const FINDINGS: Want = Want {
        outbounds: false,
        selected_by: false,
    };
    /// What the TUI's [`Skeleton`] shows before a proxy is opened.
    pub const SKELETON: Want = Want {
        outbounds: false,
        selected_by: true,
    };
}

/// How an [`Engine`] is built; the defaults suit most callers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Threads for building the index and for passes over the proxies (default: one
    /// per core, at most 8). Reports are identical for every number.
    pub threads: Option<usize>,
    /// The zone of resources without a `kuma.io/zone` label (`--zone`); default: the
    /// one zone the labelled resources share (see [`zones`]).
    pub zone: Option<String>,
}

/// Prepared input for one Kuma version: build once, then resolve any proxy.
pub struct Engine<'a> {
    pub version: KumaVersion,
    meshes: BTreeMap<String, MeshIndex<'a>>,
    validation: Vec<Finding>,
    /// Threads a pass over the proxies uses (the result does not depend on it).
    threads: usize,
}

/// One proxy's view plus the route policies that select it.
struct Selected<'m, 'a> {
    view: ProxyView<'a>,
    tcp: Matched<'m, 'a>,
    http: Matched<'m, 'a>,
    gateway: Option<(&'a Meta, &'a crate::model::MeshGatewaySpec)>,
}

impl<'a> Engine<'a> {
    pub fn new(snapshot: &'a Snapshot, version: KumaVersion) -> Self {
        Self::with_options(snapshot, version, &Options::default())
    }

    /// [`Engine::new`] on `n` threads (at least one) for building the index and for
    /// passes over the proxies; the default is one per core, at most 8. Reports are
    /// identical for every `n`.
    pub fn with_threads(snapshot: &'a Snapshot, version: KumaVersion, n: usize) -> Self {
        Self::with_options(
            snapshot,
            version,
            &Options {
                threads: Some(n),
                ..Options::default()
            },
        )
    }

    /// [`Engine::new`] with [`Options`].
    pub fn with_options(snapshot: &'a Snapshot, version: KumaVersion, o: &Options) -> Self {
        let threads = o
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
            .max(1);
        let (meshes, validation) = index::build(snapshot, version, threads, o.zone.as_deref());
        Engine {
            version,
            meshes,
            validation,
            threads,
        }
    }

    /// Threads a pass over the proxies uses.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Passes over the proxies from now on use `n` threads (at least one); the index
    /// is built already. The output is the same for any number.
    pub fn set_threads(&mut self, n: usize) {
        self.threads = n.max(1);
    }

    pub fn mesh_names(&self) -> impl Iterator<Item = &str> {
        self.meshes.keys().map(String::as_str)
    }

    fn select<'m>(
        &'m self,
        mesh: &'m MeshIndex<'a>,
        meta: &'a Meta,
        spec: &'a DataplaneSpec,
    ) -> Selected<'m, 'a> {
        let proxy_type = spec.proxy_type();
        let gw_tags = spec.networking.gateway.as_ref().map(|g| &g.tags);
        let gateway = match (proxy_type, gw_tags) {
            (ProxyType::BuiltinGateway, Some(t)) => mesh.gateway_for(t),
            _ => None,
        };
        let view = ProxyView {
            meta,
            spec,
            proxy_type,
            tag_sets: spec.tag_sets(),
            gateway: gateway.map(|(m, g)| {
                (
                    m.name.as_str(),
                    gateway::all_listener_tags(gw_tags.expect("builtin has tags"), g),
                )
            }),
        };
        let pick = |set: &'m PolicySet<'a>| -> Matched<'m, 'a> {
            let ranks: Vec<u32> = set
                .candidates(&view)
                .into_iter()
                .filter(|c| {
                    let p = set.at_rank(c.rank());
                    (!p.prefiltered || prefilter(p.meta, p.role, &view, self.version))
                        && (c.known() || selects(p.top, p.kri_namespace, &view, self.version))
                })
                .map(|c| c.rank())
                .collect();
            Matched::new(set, ranks)
        };
        let tcp = pick(&mesh.tcp);
        let http = pick(&mesh.http);
        Selected {
            view,
            tcp,
            http,
            gateway,
        }
    }

    /// Resolve one selected proxy. With `findings_only`, outbounds on which nothing can
    /// be found (no candidate policy, no legacy policy, a listener is built) are skipped
    /// and the returned report carries no outbounds: what `check` needs, cheaply.
    fn resolve_selected(
        &self,
        mesh: &MeshIndex<'a>,
        s: &Selected<'_, 'a>,
        findings: &mut Vec<Finding>,
        want: Want,
        shared: &mut Shared,
    ) -> (ProxyReport, usize) {
        let findings_only = !want.outbounds;
        let v = self.version;
        let view = &s.view;
        let has_tr = !mesh.traffic_routes.is_empty();
        let tcp_legacy = s
            .tcp
            .any(mesh.tcp.always_legacy, Policy::has_legacy_entries);
        let http_legacy = s
            .http
            .any(mesh.http.always_legacy, Policy::has_legacy_entries);
        let gw_rules = view.proxy_type == ProxyType::BuiltinGateway
            && s.tcp
                .any(mesh.tcp.always_mesh_entries, Policy::has_mesh_entries);
        let ctx = Ctx {
            mesh,
            version: v,
            gates: Gates::new(has_tr, tcp_legacy, http_legacy, gw_rules, v),
            sources: shared.source_ranks(mesh, view),
            applied: Default::default(),
        };
        let mut notes = Vec::new();
        let mut count = 0;
        let outbounds = if view.proxy_type == ProxyType::BuiltinGateway {
            match s.gateway {
                Some((gm, g)) if v.has(Feature::MeshGatewayTarget) => {
                    let dp_tags = view
                        .spec
                        .networking
                        .gateway
                        .as_ref()
                        .map(|g| g.tags.clone())
                        .unwrap_or_default();
                    ctx.gateway_listeners(
                        gm,
                        g,
                        &dp_tags,
                        &s.tcp.sorted(),
                        &s.http.sorted(),
                        findings,
                    )
                    .into()
                }
                Some(_) => {
                    notes.push(format!(
                        "MeshTCPRoute supports builtin gateways from Kuma 2.6; this is {v}"
                    ));
                    Default::default()
                }
                None => {
                    notes.push("no MeshGateway's selectors match this builtin gateway's tags: it has no listeners".into());
                    Default::default()
                }
            }
        } else {
            let (obs, n, shared_set) = outbounds::outbounds_keyed(mesh, view, v);
            mark_entries(mesh, s, &obs, shared_set.as_deref(), &mut shared.hits);
            let this = std::sync::Arc::new(crate::model::ProxyRef {
                mesh: mesh.name.as_str().into(),
                name: view.meta.name.as_str().into(),
                namespace: view.meta.namespace.as_deref().map(Into::into),
                context: view.meta.origin.context().map(Into::into),
            });
            notes.extend(n);
            count = obs.len();
            shared.outbounds_of(&ctx, s, &obs, shared_set, findings_only, &this, findings)
        };
        if view.proxy_type == ProxyType::BuiltinGateway {
            count = outbounds.len();
        }
        for a in ctx.applied.take() {
            shared.applied.note(a);
        }
        let mut report = Self::header(mesh, s, want, None);
        report.outbounds = outbounds;
        report.notes = notes;
        (report, count)
    }

    /// A proxy's report without outbounds or notes: who it is, its tags, and (when
    /// `want` says so) the route policies that select it, the same list as an earlier
    /// proxy's when `lists` has it.
    fn header(
        mesh: &MeshIndex<'a>,
        s: &Selected<'_, 'a>,
        want: Want,
        lists: Option<&mut SelectedLists>,
    ) -> ProxyReport {
        let view = &s.view;
        let mut tags = Tags::new();
        for t in view.tag_sets.iter() {
            for (k, val) in t.iter() {
                tags.entry(k.clone()).or_insert_with(|| val.clone());
            }
        }
        let selected_by = if want.selected_by {
            let all = s.tcp.sorted().into_iter().chain(s.http.sorted());
            match lists {
                Some(lists) => {
                    let key: Vec<usize> = all.map(|p| Arc::as_ptr(&p.as_ref) as usize).collect();
                    lists
                        .entry(key)
                        .or_insert_with(|| {
                            let all = s.tcp.sorted().into_iter().chain(s.http.sorted());
                            all.map(|p| p.as_ref.clone()).collect()
                        })
                        .clone()
                }
                None => all.map(|p| p.as_ref.clone()).collect(),
            }
        } else {
            Default::default()
        };
        ProxyReport {
            mesh: mesh.name.clone(),
            name: view.meta.name.clone(),
            namespace: view.meta.namespace.clone(),
            proxy_type: view.proxy_type,
            tags,
            outbounds: Default::default(),
            location: view.meta.origin.location(),
            context: view.meta.origin.context().map(String::from),
            derived_from: view.meta.origin.derived_from().cloned(),
            selected_by,
            notes: Vec::new(),
        }
    }

    /// Resolve one proxy alone (by name or `namespace/name`), with its own findings.
    pub fn resolve_proxy(&self, name: &str) -> Option<(ProxyReport, Vec<Finding>)> {
        for mesh in self.meshes.values() {
            for (meta, spec) in &mesh.dataplanes {
                if meta.is_named(name) {
                    let s = self.select(mesh, meta, spec);
                    let mut f = Vec::new();
                    let mut shared = Shared::default();
                    let (r, _) = self.resolve_selected(mesh, &s, &mut f, Want::ALL, &mut shared);
                    let mut f = dedup(f);
                    shared.applied.judge(mesh, &mut f);
                    return Some((r, dedup(f)));
                }
            }
        }
        None
    }

    /// The full report for the proxies `filter` keeps.
    pub fn report(&self, filter: &Filter) -> Report {
        let mut proxies = Vec::new();
        let findings = self.for_each_proxy(filter, Want::ALL, |p| p, |p| proxies.push(p));
        Report {
            schema: SCHEMA,
            kuma_version: self.version.to_string(),
            proxies,
            findings: findings.into_vec(),
        }
    }

    /// Only the findings (`check`): the same rules, without building outbound reports
    /// where nothing can be found. `proxies` is empty.
    pub fn check(&self, filter: &Filter) -> Report {
        // Each proxy's report is dropped on its thread as soon as it is made.
        let findings = self.for_each_proxy(filter, Want::FINDINGS, drop, |()| {});
        Report {
            schema: SCHEMA,
            kuma_version: self.version.to_string(),
            proxies: Vec::new(),
            findings: findings.into_vec(),
        }
    }

    /// Resolve every proxy `filter` keeps, on the engine's threads: `map` turns each
    /// report into what `sink` needs (on the thread that resolved it), and `sink` gets
    /// them in report order (mesh, namespace, name, context) on the calling thread as
    /// soon as they are ready. Returns the findings. Lets a writer stream a report of
    /// any size in bounded memory.
    pub fn for_each_proxy<T: Send>(
        &self,
        filter: &Filter,
        want: Want,
        map: impl Fn(ProxyReport) -> T + Sync,
        sink: impl FnMut(T),
    ) -> Findings {
        merge(self.for_each_proxy_unmerged(filter, want, map, sink))
    }

    /// [`Engine::for_each_proxy`], its findings not yet sorted and merged: a writer
    /// lets its buffers go first, then [`merge`]s them (with its own findings).
    pub fn for_each_proxy_unmerged<T: Send>(
        &self,
        filter: &Filter,
        want: Want,
        map: impl Fn(ProxyReport) -> T + Sync,
        sink: impl FnMut(T),
    ) -> Vec<Vec<Finding>> {
        self.walk(filter, want, |_, p, _| map(p), sink)
    }

    /// The dataplanes of `mesh` in report order (namespace, name, context).
    fn order(mesh: &MeshIndex<'a>) -> Vec<usize> {
        let mut order: Vec<usize> = (0..mesh.dataplanes.len()).collect();
        let key = |i: &usize| {
            let m = mesh.dataplanes[*i].0;
            (&m.namespace, &m.name, m.origin.context())
        };
        order.sort_by(|a, b| key(a).cmp(&key(b)));
        order
    }

    /// [`Engine::for_each_proxy`], with each proxy's id and number of outbounds (also
    /// counted when `want` leaves the report without them).
    ///
    /// Proxies go to the threads in chunks of [`CHUNK`]; every thread keeps its own
    /// [`Shared`] results, which only saves work: the output does not depend on which
    /// proxies a thread saw. Findings are appended in chunk order, as one thread would.
    fn walk<T: Send>(
        &self,
        filter: &Filter,
        want: Want,
        map: impl Fn(ProxyId, ProxyReport, usize) -> T + Sync,
        mut sink: impl FnMut(T),
    ) -> Vec<Vec<Finding>> {
        let findings: Vec<Finding> = self
            .validation
            .iter()
            .filter(|f| {
                f.resource
                    .as_ref()
                    .and_then(|r| r.mesh.as_deref())
                    .is_none_or(|m| filter.mesh_ok(m))
            })
            .cloned()
            .collect();
        // Each chunk's findings stay in their own list; they are sorted and merged
        // together at the end without being copied into one (see [`findings`]).
        let mut parts: Vec<Vec<Finding>> = Vec::new();
        for (mi, mesh) in self.meshes.values().enumerate() {
            if !filter.mesh_ok(&mesh.name) {
                continue;
            }
            let order = Self::order(mesh);
            let chunk = chunk_size(mesh, want);
            let chunks: Vec<&[usize]> = order.chunks(chunk).collect();
            // A proxy with thousands of outbounds is megabytes of report (and of JSON
            // for the streamed report): one done ahead per thread, not two.
            let window = if chunk == 1 {
                1
            } else {
                par::WINDOW_PER_THREAD
            };
            let states = par::ordered_within(
                window,
                chunks.len(),
                self.threads,
                || {
                    let selected = [
                        vec![false; mesh.tcp.all.len()],
                        vec![false; mesh.http.all.len()],
                    ];
                    let shared = Shared::for_pass(EntryHits::new(mesh));
                    (shared, selected, Grouper::default())
                },
                |(shared, selected, found), ci| {
                    let mut items = Vec::new();
                    for &di in chunks[ci] {
                        let (meta, spec) = mesh.dataplanes[di];
                        let s = self.select(mesh, meta, spec);
                        // `always` policies select every proxy: marked after the pass.
                        for &o in &s.tcp.conditional {
                            selected[0][o as usize] = true;
                        }
                        for &o in &s.http.conditional {
                            selected[1][o as usize] = true;
                        }
                        if filter.proxy_ok(meta) {
                            let mut local = Vec::new();
                            let (r, n) = self.resolve_selected(mesh, &s, &mut local, want, shared);
                            let id = ProxyId {
                                mesh: mi as u32,
                                dataplane: di as u32,
                            };
                            items.push(map(id, r, n));
                            // Grouped on this thread as they come: a cause repeated on
                            // every proxy is one finding listing them.
                            for mut f in local {
                                shared.interned.outbound_lists(&mut f);
                                found.add_with(f, |f| shared.interned.message(f));
                            }
                        } else if filter.narrows_proxies() {
                            // Not reported, but its outbounds still decide whether a
                            // policy's to[] entries match anything.
                            let (obs, _, set) =
                                outbounds::outbounds_keyed(mesh, &s.view, self.version);
                            mark_entries(mesh, &s, &obs, set.as_deref(), &mut shared.hits);
                        }
                    }
                    items
                },
                |items| items.into_iter().for_each(&mut sink),
            );
            let mut selected = [
                vec![false; mesh.tcp.all.len()],
                vec![false; mesh.http.all.len()],
            ];
            let mut hits = EntryHits::new(mesh);
            let mut applied = AppliedAt::default();
            let mut found = Grouper::default();
            for (shared, sel, f) in states {
                for (all, one) in selected.iter_mut().zip(&sel) {
                    for (a, b) in all.iter_mut().zip(one) {
                        *a |= *b;
                    }
                }
                hits.or(&shared.hits);
                applied.join(shared.applied);
                found.absorb(f);
            }
            let mut found = found.finish().into_vec();
            applied.judge(mesh, &mut found);
            parts.push(found);
            if !mesh.dataplanes.is_empty() {
                for (sel, set) in selected.iter_mut().zip([&mesh.tcp, &mesh.http]) {
                    for &i in &set.always {
                        sel[i] = true;
                    }
                }
            }
            let mut unused = Vec::new();
            for (i, set) in [&mesh.tcp, &mesh.http].into_iter().enumerate() {
                for p in &set.all {
                    if selected[i][p.order] {
                        // Selected somewhere: each to[] entry should apply to some
                        // outbound of some proxy it selects.
                        let base = set.entry_base[p.order] as usize;
                        for (ei, e) in p.entries.iter().enumerate() {
                            if !e.mesh_wide && !hits.0[i][base + ei] {
                                unused.push(Finding::about(
                                    Code::TargetrefMatchesNothing,
                                    p.meta,
                                    nearest::unmatched_entry(mesh, p, e, self.version),
                                ));
                            }
                        }
                    }
                    if !selected[i][p.order] {
                        unused.push(Finding::about(
                            Code::PolicySelectsNothing,
                            p.meta,
                            format!(
                                "{} {}: top-level targetRef {} selects no proxy in the input",
                                p.meta.kind,
                                p.meta.qualified_name(),
                                p.top.describe()
                            ),
                        ));
                    }
                }
            }
            parts.push(unused);
        }
        // Sorted and merged where they are by the caller: not joined into one list.
        parts.insert(0, findings);
        parts
    }

    /// How many outbounds the proxies `filter` keeps have, counted without resolving
    /// them (builtin gateways count one per proxy), up to `limit` and one more: enough
    /// to choose between resolving everything up front and resolving proxy by proxy.
    /// The count stops once over `limit` (a mesh of 2,000 transparent proxies and
    /// 2,000 VIPs is over after a few of them).
    pub fn estimate_outbounds(&self, filter: &Filter, limit: usize) -> usize {
        let mut n = 0;
        for mesh in self.meshes.values().filter(|m| filter.mesh_ok(&m.name)) {
            for (meta, spec) in mesh.dataplanes.iter().filter(|d| filter.proxy_ok(d.0)) {
                if n > limit {
                    return n;
                }
                let proxy_type = spec.proxy_type();
                if proxy_type == ProxyType::BuiltinGateway {
                    n += 1;
                    continue;
                }
                let view = ProxyView {
                    meta,
                    spec,
                    proxy_type,
                    tag_sets: spec.tag_sets(),
                    gateway: None,
                };
                n += outbounds::outbounds(mesh, &view, self.version).0.len();
            }
        }
        n
    }

    /// Every proxy `filter` keeps, in report order, without its outbounds and without
    /// any finding: the proxies, ids and counts of [`Engine::skeleton`] without its
    /// findings pass, for a view that shows the proxies first and the findings of
    /// [`Engine::check`] when they come. Proxies with the same policies share one
    /// `selected_by` list.
    pub fn proxies(&self, filter: &Filter) -> Skeleton {
        let mut sk = Skeleton::empty(self.version);
        let mut lists = SelectedLists::default();
        for (mi, mesh) in self.meshes.values().enumerate() {
            if !filter.mesh_ok(&mesh.name) {
                continue;
            }
            // For builtin gateways, whose listeners come from their MeshGateway's routes.
            let mut shared = Shared::one_at_a_time();
            for di in Self::order(mesh) {
                let (meta, spec) = mesh.dataplanes[di];
                if !filter.proxy_ok(meta) {
                    continue;
                }
                let s = self.select(mesh, meta, spec);
                let (p, n) = if s.view.proxy_type == ProxyType::BuiltinGateway {
                    self.resolve_selected(mesh, &s, &mut Vec::new(), Want::SKELETON, &mut shared)
                } else {
                    let mut p = Self::header(mesh, &s, Want::SKELETON, Some(&mut lists));
                    let (obs, notes, _) = outbounds::outbounds_keyed(mesh, &s.view, self.version);
                    p.notes = notes;
                    (p, obs.len())
                };
                let id = ProxyId {
                    mesh: mi as u32,
                    dataplane: di as u32,
                };
                sk.push(id, p, n);
            }
        }
        sk
    }

    /// Every proxy `filter` keeps, in report order, without its outbounds, and every
    /// finding: one findings-only pass (what `check` costs). Each proxy's outbounds are
    /// resolved later, one proxy at a time, with [`Engine::resolve_id`].
    pub fn skeleton(&self, filter: &Filter) -> Skeleton {
        let mut sk = Skeleton::empty(self.version);
        let findings = merge(self.walk(
            filter,
            Want::SKELETON,
            |id, p, n| (id, p, n),
            |(id, p, n)| sk.push(id, p, n),
        ));
        sk.report.findings = findings.into_vec();
        sk
    }

    /// Resolve one proxy of a [`Skeleton`], outbounds included: the same report the full
    /// pass gives for it. `cache` carries the work proxies with the same selection share;
    /// keep it for every call on this engine. The proxy's findings are in the skeleton.
    pub fn resolve_id(&self, id: ProxyId, cache: &mut ProxyCache) -> Option<ProxyReport> {
        let mesh = self.meshes.values().nth(id.mesh as usize)?;
        let &(meta, spec) = mesh.dataplanes.get(id.dataplane as usize)?;
        let s = self.select(mesh, meta, spec);
        let shared = cache
            .meshes
            .entry(id.mesh)
            .or_insert_with(Shared::one_at_a_time);
        let (r, _) = self.resolve_selected(mesh, &s, &mut Vec::new(), Want::ALL, shared);
        Some(r)
    }
}

/// Where a proxy is in an [`Engine`]: valid for that engine only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProxyId {
    mesh: u32,
    dataplane: u32,
}

/// `selected_by` lists already made, by their policies' addresses.
type SelectedLists = FastMap<Vec<usize>, Arc<[Arc<PolicyRef>]>>;

/// What [`Engine::skeleton`] returns: `report.proxies` have no outbounds; `ids` and
/// `outbounds` (each proxy's number of outbounds) follow `report.proxies`.
#[derive(Debug, Clone, PartialEq)]
pub struct Skeleton {
    pub report: Report,
    pub ids: Vec<ProxyId>,
    pub outbounds: Vec<u32>,
}

impl Skeleton {
    fn empty(version: KumaVersion) -> Skeleton {
        Skeleton {
            report: Report {
                schema: SCHEMA,
                kuma_version: version.to_string(),
                proxies: Vec::new(),
                findings: Vec::new(),
            },
            ids: Vec::new(),
            outbounds: Vec::new(),
        }
    }

    /// Proxy `p` (its outbounds left out), `n` of them.
    fn push(&mut self, id: ProxyId, mut p: ProxyReport, n: usize) {
        p.outbounds = Default::default();
        self.report.proxies.push(p);
        self.ids.push(id);
        self.outbounds.push(n as u32);
    }
}

/// A hash map with a fast, fixed hasher: keys here are the engine's own (findings,
/// signatures, outbound targets), and the result never depends on iteration order.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::quality::FixedState>;

/// Which `to[]` entries of each set (MeshTCPRoute, MeshHTTPRoute) apply to some
/// outbound of some proxy their policy selects, by [`PolicySet::entry_base`] plus the
/// entry's index. Empty (nothing is marked) outside a full pass.
#[derive(Default)]
struct EntryHits([Vec<bool>; 2]);

impl EntryHits {
    fn new(mesh: &MeshIndex) -> Self {
        EntryHits([
            vec![false; mesh.tcp.entries_total],
            vec![false; mesh.http.entries_total],
        ])
    }

    fn or(&mut self, other: &EntryHits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            for (x, y) in a.iter_mut().zip(b) {
                *x |= *y;
            }
        }
    }
}

/// Mark the `to[]` entries of the policies that select this proxy which apply to one of
/// its outbounds `obs` (`set`: which of the mesh's shared VIP outbounds they are, when
/// all are).
fn mark_entries(
    mesh: &MeshIndex,
    s: &Selected,
    obs: &[outbounds::Ob],
    set: Option<&[u64]>,
    hits: &mut EntryHits,
) {
    for (k, (m, pset)) in [(&s.tcp, &mesh.tcp), (&s.http, &mesh.http)]
        .into_iter()
        .enumerate()
    {
        let h = &mut hits.0[k];
        if h.is_empty() {
            continue;
        }
        let Some(bits) = set else {
            // The proxy's own outbounds (a few): each looks up the entries that name its
            // destination, as `route::candidates` does.
            for o in obs {
                let (list, real) = match &o.target {
                    outbounds::Target::Legacy(svc) => (pset.by_destination.get(svc), false),
                    outbounds::Target::Real { svc, .. } => (pset.by_real.get(svc), true),
                };
                for &(pi, ei) in list.into_iter().flatten() {
                    let i = pset.entry_base[pi] as usize + ei;
                    if !h[i]
                        && m.rank_if_selected(pi).is_some()
                        && (!real || outbounds::entry_applies(&pset.all[pi].entries[ei], o))
                    {
                        h[i] = true;
                    }
                }
            }
            continue;
        };
        // The mesh's shared VIP outbounds (thousands): each entry not marked yet is
        // looked up in the proxy's set instead.
        let orders = (pset.always.iter().copied()).chain(m.conditional.iter().map(|&o| o as usize));
        for order in orders {
            let base = pset.entry_base[order] as usize;
            for (ei, e) in pset.all[order].entries.iter().enumerate() {
                if !h[base + ei] && !e.mesh_wide && mesh.vip_outbounds().any_for(bits, e) {
                    h[base + ei] = true;
                }
            }
        }
    }
}

/// Proxies per unit of work in a pass over `mesh`: [`CHUNK`], fewer where each proxy's
/// report is large (a mesh whose transparent proxies get thousands of VIP outbounds):
/// the reports resolved ahead of the writer are what a streamed report holds. Proxies
/// with explicit outbounds only keep the whole chunk.
fn chunk_size(mesh: &MeshIndex, want: Want) -> usize {
    let transparent = mesh
        .dataplanes
        .iter()
        .filter(|(_, spec)| spec.transparent_proxy())
        .count();
    if !want.outbounds || transparent == 0 {
        return CHUNK;
    }
    let vips = mesh.vip_outbounds();
    // VIP outbounds per proxy, on average over the mesh.
    let per_proxy = (vips.legacy.len() + vips.real.len()) * transparent / mesh.dataplanes.len();
    (CHUNK_OUTBOUNDS / per_proxy.max(1)).clamp(1, CHUNK)
}

/// Outbounds per unit of work [`chunk_size`] aims at.
const CHUNK_OUTBOUNDS: usize = 1024;

/// Proxies per unit of work handed to a thread in a pass over a mesh's proxies. With
/// [`par`]'s window this bounds the proxies resolved ahead of the writer (and so the
/// written texts the JSON writer keeps for reuse): 8 × 2 × 2 threads (one proxy × 1 × 2
/// threads where each proxy has over half of [`CHUNK_OUTBOUNDS`] outbounds).
const CHUNK: usize = 8;

/// Resolve everything: the engine's one-call entry point.
pub fn resolve(snapshot: &Snapshot, version: KumaVersion, filter: &Filter) -> Report {
    Engine::new(snapshot, version).report(filter)
}
