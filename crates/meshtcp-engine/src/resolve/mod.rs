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
use ignored::AppliedAt;
use index::{Matched, MeshIndex, Policy, PolicySet};
use route::{Ctx, Gates};
use selection::{ProxyView, prefilter, selects};
use std::collections::BTreeMap;

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
                }
                Some(_) => {
                    notes.push(format!(
                        "MeshTCPRoute supports builtin gateways from Kuma 2.6; this is {v}"
                    ));
                    vec![]
                }
                None => {
                    notes.push("no MeshGateway's selectors match this builtin gateway's tags: it has no listeners".into());
                    vec![]
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
            let (sig, repeated) = shared.signature(Signature {
                proxy_type: view.proxy_type,
                // The policies every proxy of the mesh has are left out: the rest
                // decides the whole list (hundreds of policies shorter to hash).
                tcp: s.tcp.conditional.clone(),
                http: s.http.conditional.clone(),
                sources: ctx.sources.clone(),
            });
            let mut out = Vec::with_capacity(if findings_only { 0 } else { obs.len() });
            // Transparent-proxy outbounds all come from the mesh's one shared list: a
            // proxy with a repeated selection and the same outbounds gets the earlier
            // proxy's result with one lookup, not one per outbound (4M of them in a
            // 2,000 x 2,000 mesh).
            let list_key = shared_set
                .filter(|_| (repeated || shared.share_first) && !obs.is_empty())
                .map(|set| (sig, set, findings_only));
            let keyed = list_key.is_some();
            if let Some(key) = list_key {
                if let Some((reports, f)) = shared.lists.get(&key) {
                    findings.extend(f.iter().map(|f| stamp(f.clone(), &this)));
                    out.extend(reports.iter().cloned());
                } else {
                    let mut all = Vec::new();
                    for o in obs.iter() {
                        if findings_only {
                            real_or_other_findings(&ctx, s, o, shared, &mut all);
                        } else {
                            out.push(ctx.outbound(o, &s.tcp, &s.http, &mut all));
                        }
                    }
                    findings.extend(all.iter().map(|f| stamp(f.clone(), &this)));
                    shared.keep_list(key, &out, all);
                }
            }
            for o in obs.iter().filter(|_| !keyed) {
                if findings_only && matches!(o.target, outbounds::Target::Real { .. }) {
                    let mut f = Vec::new();
                    real_or_other_findings(&ctx, s, o, shared, &mut f);
                    findings.extend(f.into_iter().map(|f| stamp(f, &this)));
                    continue;
                }
                if (!repeated && !shared.share_first) || !shared.outbounds_pay() {
                    // A selection seen once so far: nothing to share yet. Or sharing
                    // has not paid in this pass: proxies with the same selection
                    // mostly have other outbounds (a copy per outbound for nothing).
                    let mut f = Vec::new();
                    if findings_only {
                        ctx.outbound_findings(o, &s.tcp, &s.http, &mut f);
                    } else {
                        out.push(ctx.outbound(o, &s.tcp, &s.http, &mut f));
                    }
                    findings.extend(f.into_iter().map(|f| stamp(f, &this)));
                    continue;
                }
                let key = (sig, o.target.clone(), o.destination.port);
                make_room(&mut shared.outbounds, &key, SHARED_OUTBOUNDS_MAX);
                shared.outbound_lookups += 1;
                if shared.outbounds.contains_key(&key) {
                    shared.outbound_hits += 1;
                }
                let entry = shared.outbounds.entry(key).or_insert_with(|| {
                    let mut f = Vec::new();
                    let r = if findings_only {
                        ctx.outbound_findings(o, &s.tcp, &s.http, &mut f);
                        None
                    } else {
                        Some(ctx.outbound(o, &s.tcp, &s.http, &mut f))
                    };
                    (r, f)
                });
                findings.extend(entry.1.iter().map(|f| stamp(f.clone(), &this)));
                if let Some(r) = &entry.0 {
                    out.push(r.clone());
                }
            }
            out
        };
        if view.proxy_type == ProxyType::BuiltinGateway {
            count = outbounds.len();
        }
        for a in ctx.applied.take() {
            shared.applied.note(a);
        }
        let mut tags = Tags::new();
        for t in view.tag_sets.iter() {
            for (k, val) in t.iter() {
                tags.entry(k.clone()).or_insert_with(|| val.clone());
            }
        }
        let selected_by = if want.selected_by {
            s.tcp
                .sorted()
                .into_iter()
                .chain(s.http.sorted())
                .map(|p| p.as_ref.clone())
                .collect()
        } else {
            Vec::new()
        };
        let report = ProxyReport {
            mesh: mesh.name.clone(),
            name: view.meta.name.clone(),
            namespace: view.meta.namespace.clone(),
            proxy_type: view.proxy_type,
            tags,
            outbounds,
            location: view.meta.origin.location(),
            context: view.meta.origin.context().map(String::from),
            derived_from: view.meta.origin.derived_from().cloned(),
            selected_by,
            notes,
        };
        (report, count)
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
            let chunks: Vec<&[usize]> = order.chunks(chunk_size(mesh, want)).collect();
            let states = par::ordered(
                chunks.len(),
                self.threads,
                || {
                    let selected = [
                        vec![false; mesh.tcp.all.len()],
                        vec![false; mesh.http.all.len()],
                    ];
                    let shared = Shared {
                        hits: EntryHits::new(mesh),
                        ..Shared::default()
                    };
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

    /// Every proxy `filter` keeps, in report order, without its outbounds, and every
    /// finding: one findings-only pass (what `check` costs). Each proxy's outbounds are
    /// resolved later, one proxy at a time, with [`Engine::resolve_id`].
    pub fn skeleton(&self, filter: &Filter) -> Skeleton {
        let mut proxies = Vec::new();
        let mut ids = Vec::new();
        let mut outbounds = Vec::new();
        let findings = merge(self.walk(
            filter,
            Want::SKELETON,
            |id, p, n| (id, p, n),
            |(id, mut p, n)| {
                p.outbounds = Vec::new();
                proxies.push(p);
                ids.push(id);
                outbounds.push(n as u32);
            },
        ));
        Skeleton {
            report: Report {
                schema: SCHEMA,
                kuma_version: self.version.to_string(),
                proxies,
                findings: findings.into_vec(),
            },
            ids,
            outbounds,
        }
    }

    /// Resolve one proxy of a [`Skeleton`], outbounds included: the same report the full
    /// pass gives for it. `cache` carries the work proxies with the same selection share;
    /// keep it for every call on this engine. The proxy's findings are in the skeleton.
    pub fn resolve_id(&self, id: ProxyId, cache: &mut ProxyCache) -> Option<ProxyReport> {
        let mesh = self.meshes.values().nth(id.mesh as usize)?;
        let &(meta, spec) = mesh.dataplanes.get(id.dataplane as usize)?;
        let s = self.select(mesh, meta, spec);
        let shared = cache.meshes.entry(id.mesh).or_insert_with(|| Shared {
            share_first: true,
            ..Shared::default()
        });
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

/// What [`Engine::skeleton`] returns: `report.proxies` have no outbounds; `ids` and
/// `outbounds` (each proxy's number of outbounds) follow `report.proxies`.
#[derive(Debug, Clone, PartialEq)]
pub struct Skeleton {
    pub report: Report,
    pub ids: Vec<ProxyId>,
    pub outbounds: Vec<u32>,
}

/// Outbound results shared between calls of [`Engine::resolve_id`] on one engine.
#[derive(Default)]
pub struct ProxyCache {
    meshes: FastMap<u32, Shared>,
}

/// A hash map with a fast, fixed hasher: keys here are the engine's own (findings,
/// signatures, outbound targets), and the result never depends on iteration order.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::quality::FixedState>;

/// Signature id, which shared outbounds (see [`outbounds::outbounds_keyed`]), findings only.
type ListKey = (u32, Vec<u64>, bool);

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

/// Outbound results shared by proxies whose selection is identical (same matched
/// policies, same legacy source matches, same type): an outbound's report and findings
/// do not depend on anything else about the proxy.
#[derive(Default)]
struct Shared {
    /// The `to[]` entries that applied to an outbound so far (see [`EntryHits`]).
    hits: EntryHits,
    /// Cache an outbound from the first proxy with a selection on (proxies resolved one
    /// at a time, on demand), not only from the second one on (a full pass, where most
    /// selections are unique).
    share_first: bool,
    /// [`ListKey`] → the reports (none when findings only) and findings of every
    /// outbound of that set.
    #[allow(clippy::type_complexity)]
    lists: FastMap<ListKey, (Vec<OutboundReport>, Vec<Finding>)>,
    /// Outbound reports and findings held in `lists`.
    list_reports: usize,
    /// Signature fingerprint (two independent 64-bit hashes) → id: proxies with unique
    /// selections cost 16 bytes here, not a copy of their policy lists.
    signatures: FastMap<(u64, u64), u32>,
    /// Tag-set fingerprint → how the legacy policies' sources match a proxy with those
    /// tag sets (proxies of one service mostly have the same ones).
    source_ranks: FastMap<(u64, u64), legacy::SourceRanks>,
    /// Lookups in `outbounds`, and how many found a result.
    outbound_lookups: u64,
    outbound_hits: u64,
    #[allow(clippy::type_complexity)]
    outbounds: FastMap<(u32, outbounds::Target, u32), (Option<OutboundReport>, Vec<Finding>)>,
    /// The findings of MeshService outbounds by (service, port, plugin gates,
    /// candidate entries).
    real: FastMap<(u32, u32, u8, Vec<usize>), Vec<Finding>>,
    /// The messages and outbound labels of the findings kept so far.
    interned: Interner,
    /// Where each route policy is applied (see [`ignored`]).
    applied: AppliedAt,
}

/// One copy of each string (and of each list of outbound labels) that repeats across
/// the findings a pass keeps until the end: a proxy finding's message and outbounds
/// recur on many proxies.
#[derive(Default)]
struct Interner {
    strings: std::collections::HashSet<std::sync::Arc<str>, foldhash::quality::FixedState>,
    lists: std::collections::HashSet<
        std::sync::Arc<[std::sync::Arc<str>]>,
        foldhash::quality::FixedState,
    >,
}

impl Interner {
    fn get(&mut self, s: &std::sync::Arc<str>) -> std::sync::Arc<str> {
        intern(&mut self.strings, s)
    }

    /// Share `f`'s strings with the findings interned before it.
    #[cfg(test)]
    fn finding(&mut self, f: &mut Finding) {
        self.message(f);
        self.outbound_lists(f);
    }

    /// Share `f`'s message with the findings interned before it.
    fn message(&mut self, f: &mut Finding) {
        f.message = self.get(&f.message);
    }

    /// Share the outbound lists of `f`'s proxies (and their labels) with the findings
    /// interned before it: one lookup for a list seen before.
    fn outbound_lists(&mut self, f: &mut Finding) {
        for h in &mut f.proxies {
            if let Some(k) = self.lists.get(&*h.outbounds) {
                h.outbounds = k.clone();
                continue;
            }
            h.outbounds = h.outbounds.iter().map(|o| self.get(o)).collect();
            h.outbounds = intern(&mut self.lists, &h.outbounds);
        }
    }
}

/// The copy of `x` in `set` (which `x` joins when it has none). Bounded: a full set
/// starts over rather than grow without limit.
fn intern<T: ?Sized + Eq + std::hash::Hash>(
    set: &mut std::collections::HashSet<std::sync::Arc<T>, foldhash::quality::FixedState>,
    x: &std::sync::Arc<T>,
) -> std::sync::Arc<T> {
    if let Some(k) = set.get(&**x) {
        return k.clone();
    }
    if set.len() >= INTERNED_MAX {
        set.clear();
    }
    set.insert(x.clone());
    x.clone()
}

#[derive(PartialEq, Eq, Hash)]
struct Signature {
    proxy_type: ProxyType,
    /// [`Matched::conditional`] of each set: within one mesh, the whole selection.
    tcp: Vec<u32>,
    http: Vec<u32>,
    sources: legacy::SourceRanks,
}

impl Shared {
    /// Whether sharing single outbounds pays: after [`SHARED_TRIAL`] lookups, only
    /// while at least one in [`SHARED_MIN_HIT_RATIO`] finds a result. (In the Universal
    /// benchmark mesh 96 of 46,230 did: proxies with the same selection had other
    /// explicit outbounds, and every miss cost a copy of the outbound's report.)
    /// The results kept so far are let go when it stops paying.
    fn outbounds_pay(&mut self) -> bool {
        let pays = self.outbound_lookups < SHARED_TRIAL
            || self.outbound_hits * SHARED_MIN_HIT_RATIO >= self.outbound_lookups;
        if !pays && self.outbounds.capacity() > 0 {
            self.outbounds = Default::default();
        }
        pays
    }

    /// Remember a list's result, within a bound on the reports and findings held (a
    /// findings-only list holds no report, but a proxy of a mesh with many ignored
    /// routes has hundreds of findings).
    fn keep_list(&mut self, key: ListKey, reports: &[OutboundReport], f: Vec<Finding>) {
        let weight = reports.len() + f.len();
        if self.list_reports + weight > SHARED_LIST_REPORTS_MAX {
            self.lists.clear();
            self.list_reports = 0;
        }
        if weight <= SHARED_LIST_REPORTS_MAX {
            self.list_reports += weight;
            self.lists.insert(key, (reports.to_vec(), f));
        }
    }

    /// [`legacy::SourceRanks`] of a proxy: computed once per distinct tag sets.
    fn source_ranks(&mut self, mesh: &MeshIndex, view: &ProxyView) -> legacy::SourceRanks {
        if mesh.traffic_routes.is_empty() && mesh.legacy.is_empty() {
            return legacy::SourceRanks::default();
        }
        let key = fingerprint(&view.tag_sets);
        make_room(&mut self.source_ranks, &key, SHARED_SOURCE_RANKS_MAX);
        self.source_ranks
            .entry(key)
            .or_insert_with(|| legacy::SourceRanks::new(mesh, view))
            .clone()
    }

    /// The signature's id, and whether an earlier proxy had it already.
    fn signature(&mut self, s: Signature) -> (u32, bool) {
        let key = fingerprint(&s);
        let n = self.signatures.len() as u32;
        match self.signatures.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => (*e.get(), true),
            std::collections::hash_map::Entry::Vacant(e) => (*e.insert(n), false),
        }
    }
}

/// Room for `key` in a cache of at most `max` entries. Bounded memory: a full cache
/// starts over rather than grow without limit.
fn make_room<K: Eq + std::hash::Hash, V>(cache: &mut FastMap<K, V>, key: &K, max: usize) {
    if cache.len() >= max && !cache.contains_key(key) {
        cache.clear();
    }
}

/// The findings of outbound `o` (for "this proxy", stamped by the caller) into `out`.
/// A MeshService outbound's are found once for each set of candidate route entries on
/// this thread (most proxies of a mesh share them for a given destination, whatever
/// else they select). Findings only: for reports, a copy of a held report cost as much
/// as building it again.
fn real_or_other_findings(
    ctx: &Ctx,
    s: &Selected,
    o: &outbounds::Outbound,
    shared: &mut Shared,
    out: &mut Vec<Finding>,
) {
    let outbounds::Target::Real { svc, .. } = o.target else {
        ctx.outbound_findings(o, &s.tcp, &s.http, out);
        return;
    };
    let t = route::candidates(&s.tcp, &o.target);
    let h = route::candidates(&s.http, &o.target);
    if ctx.is_quiet(o, &t, &h) {
        return;
    }
    let (gates, ids) = ctx.real_outbound_key(&t, &h);
    let key = (svc as u32, o.destination.port, gates, ids);
    make_room(&mut shared.real, &key, SHARED_REAL_MAX);
    let f = shared.real.entry(key).or_insert_with(|| {
        let mut f = Vec::new();
        ctx.outbound_from(o, t, h, &mut f);
        f
    });
    out.extend(f.iter().cloned());
}

/// Two hashes of `v` with independent fixed seeds: 128 bits that tell apart the
/// selections (or tag sets) of one mesh without keeping a copy of them.
fn fingerprint(v: &impl std::hash::Hash) -> (u64, u64) {
    use std::hash::BuildHasher;
    let h = |seed: u64| foldhash::quality::FixedState::with_seed(seed).hash_one(v);
    (h(0x6d65_7368_7463_7031), h(0x6d65_7368_7463_7032))
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

/// Outbound lookups before [`Shared::outbounds_pay`] judges the hit rate.
const SHARED_TRIAL: u64 = 2048;
/// Sharing single outbounds stops when fewer than 1 lookup in this many hits.
const SHARED_MIN_HIT_RATIO: u64 = 8;
/// Proxies per unit of work handed to a thread in a pass over a mesh's proxies. With
/// [`par`]'s window this bounds the proxies resolved ahead of the writer (and so the
/// written texts the JSON writer keeps for reuse): 8 × 2 × 2 threads.
const CHUNK: usize = 8;
/// How many shared outbound results are kept at most (about 2 KB each).
const SHARED_OUTBOUNDS_MAX: usize = 1024;
/// At most this many strings are kept in an [`Interner`].
const INTERNED_MAX: usize = 1 << 16;
/// At most this many MeshService outbounds' findings are kept.
const SHARED_REAL_MAX: usize = 16_384;
/// At most this many proxies' legacy source ranks are kept.
const SHARED_SOURCE_RANKS_MAX: usize = 4096;
/// At most this many outbound reports and findings are held for whole shared lists.
const SHARED_LIST_REPORTS_MAX: usize = 4096;

/// Put the proxy (shared by its findings) on a finding computed for "this proxy"
/// (see `route::is_this_proxy`).
fn stamp(mut f: Finding, proxy: &std::sync::Arc<crate::model::ProxyRef>) -> Finding {
    for h in &mut f.proxies {
        if route::is_this_proxy(&h.proxy) {
            h.proxy = proxy.clone();
        }
    }
    f
}

/// Resolve everything: the engine's one-call entry point.
pub fn resolve(snapshot: &Snapshot, version: KumaVersion, filter: &Filter) -> Report {
    Engine::new(snapshot, version).report(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn finding(message: &str, labels: &[&str]) -> Finding {
        let mut f = Finding::new(Code::TrafficrouteOverridden, message.to_string())
            .with_proxy(route::this_proxy());
        for l in labels {
            f = f.on_outbound(l.to_string());
        }
        f
    }

    #[test]
    fn interned_findings_share_equal_strings_and_keep_their_values() {
        let mut i = Interner::default();
        let (mut a, mut b) = (finding("m", &["x:1", "y:2"]), finding("m", &["y:2"]));
        let (want_a, want_b) = (a.clone(), b.clone());
        i.finding(&mut a);
        i.finding(&mut b);
        assert_eq!((&a, &b), (&want_a, &want_b), "values unchanged");
        assert!(Arc::ptr_eq(&a.message, &b.message));
        let (a, b) = (&a.proxies[0].outbounds, &b.proxies[0].outbounds);
        assert!(Arc::ptr_eq(&a[1], &b[0]));
        assert!(!Arc::ptr_eq(&a[0], &a[1]));
    }

    #[test]
    fn the_interner_starts_over_at_its_bound() {
        let mut i = Interner::default();
        for n in 0..INTERNED_MAX {
            i.finding(&mut finding(&n.to_string(), &[]));
        }
        assert_eq!(i.strings.len(), INTERNED_MAX);
        i.finding(&mut finding("one more", &[]));
        assert_eq!(i.strings.len(), 1);
    }
}
