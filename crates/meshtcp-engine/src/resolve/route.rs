//! Per outbound: the candidate entries of each route kind (§4, §5), the mechanism that
//! builds the listener (§6 MeshHTTPRoute vs MeshTCPRoute, §7 TrafficRoute), effective
//! backends, and the status of every policy.

use super::backends::{Resolved, destination_backend, resolve_refs, traffic_route_backends};
use super::index::{Entry, Matched, MeshIndex, Policy};
use super::legacy::{SourceRanks, TrCandidate, legacy_policies, traffic_routes};
use super::outbounds::{Outbound, Protocol, Target};
use super::output::{Backend, LegacyPolicyStatus, OutboundReport, PolicyStatus, RouteKind, Status};
use super::precedence::SortKey;
use super::reason::{LegacyWhy, Plugin, Reason};
use super::version::{Bucket, KumaVersion};
use crate::model::{BackendRef, Code, Finding, RouteRule, TargetRef};
use std::sync::Arc;

pub(super) use super::cache::this_proxy;

/// Whether `p` is [`this_proxy`]'s placeholder.
pub fn is_this_proxy(p: &crate::model::ProxyRef) -> bool {
    p.mesh.is_empty() && p.name.is_empty()
}

/// An outbound's backends, reason and the mechanism that routes it: what each decision
/// gives.
type Routed = (Vec<Backend>, String, RouteKind);

/// A `to[]` entry that applies to the outbound, with the key that orders it.
#[derive(Clone, Copy)]
pub struct Cand<'p, 'a> {
    pub policy: &'p Policy<'a>,
    pub entry: &'p Entry<'a>,
    pub key: &'p SortKey,
    /// `key` in words, built once per policy/entry.
    pub shown: &'p Arc<super::output::Precedence>,
}

/// Entries of the matched policies that apply to `target`, lowest precedence first.
/// Uses the destination index: only entries naming this destination are looked at.
pub fn candidates<'p, 'a>(m: &Matched<'p, 'a>, target: &Target) -> Vec<Cand<'p, 'a>> {
    let set = m.set;
    // (rank, policy, entry): ranks order the policies as the proxy's precedence does.
    let pick = |list: Option<&Vec<(usize, usize)>>| -> Vec<(u32, usize, usize)> {
        list.map(|l| {
            l.iter()
                .filter_map(|&(pi, ei)| m.rank_if_selected(pi).map(|r| (r, pi, ei)))
                .collect()
        })
        .unwrap_or_default()
    };
    match target {
        Target::Legacy(s) => {
            let mut hits = pick(set.by_destination.get(s));
            hits.sort_unstable();
            hits.into_iter()
                .map(|(_, pi, ei)| {
                    let p = &set.all[pi];
                    Cand {
                        policy: p,
                        entry: &p.entries[ei],
                        key: &p.key,
                        shown: &p.key_shown,
                    }
                })
                .collect()
        }
        Target::Real { svc, section } => {
            let mut hits: Vec<(u32, usize, usize)> = pick(set.by_real.get(svc))
                .into_iter()
                .filter(|&(_, pi, ei)| {
                    set.all[pi].entries[ei]
                        .real
                        .iter()
                        .any(|(i, sec)| i == svc && sec.as_ref().is_none_or(|s| s == section))
                })
                .collect();
            hits.sort_unstable();
            let mut out: Vec<Cand> = hits
                .into_iter()
                .map(|(_, pi, ei)| {
                    let p = &set.all[pi];
                    let e = &p.entries[ei];
                    let (key, shown) = p.real_key(e);
                    Cand {
                        policy: p,
                        entry: e,
                        key,
                        shown,
                    }
                })
                .collect();
            // Stable: ties keep policy order, then to[] order.
            out.sort_by(|a, b| a.key.cmp(b.key));
            out
        }
    }
}

/// Per-proxy facts that decide whether each new plugin runs (§7.2).
#[derive(Debug, Clone, Copy)]
pub struct Gates {
    pub mesh_has_traffic_route: bool,
    pub tcp_run: bool,
    pub http_run: bool,
}

impl Gates {
    pub fn new(
        has_tr: bool,
        tcp_legacy: bool,
        http_legacy: bool,
        gateway_rules: bool,
        v: KumaVersion,
    ) -> Gates {
        let a = v.bucket() == Bucket::A;
        Gates {
            mesh_has_traffic_route: has_tr,
            tcp_run: if a {
                tcp_legacy
            } else {
                !has_tr || tcp_legacy || gateway_rules
            },
            http_run: if a {
                http_legacy
            } else {
                !has_tr || http_legacy
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Tcp,
    Http {
        on_tcp_destination: bool,
    },
    /// A new plugin rebuilt the outbound with no route.
    PluginDefault(Plugin),
    TrafficRoute,
    /// No TrafficRoute selects this legacy outbound and no plugin rewrote it.
    NoRoute,
    /// Real-resource outbound in a TrafficRoute mesh that neither plugin builds.
    NoListener,
}

/// The winning conf's backendRefs of a MeshTCPRoute entry (§5.2).
enum TcpConf<'a> {
    Refs(&'a [BackendRef]),
    Empty,
    Implied(&'a TargetRef),
}

fn tcp_conf<'a>(e: &Entry<'a>) -> TcpConf<'a> {
    match e.rules {
        None | Some([]) => TcpConf::Implied(e.target),
        Some([first, ..]) => match first
            .default
            .as_ref()
            .and_then(|d| d.backend_refs.as_deref())
        {
            Some(refs) if !refs.is_empty() => TcpConf::Refs(refs),
            _ => TcpConf::Empty,
        },
    }
}

fn is_catch_all(r: &RouteRule) -> bool {
    match &r.matches {
        None => true,
        Some(serde_json::Value::Array(ms)) => {
            ms.is_empty()
                || ms.iter().any(|m| {
                    let Some(obj) = m.as_object() else {
                        return false;
                    };
                    obj.len() == 1
                        && obj.get("path").is_some_and(|p| {
                            p.get("type").and_then(|t| t.as_str()) == Some("PathPrefix")
                                && p.get("value").and_then(|v| v.as_str()) == Some("/")
                        })
                })
        }
        Some(_) => false,
    }
}

/// What the outbounds ask of a MeshHTTPRoute rule, answered once per rule (see
/// [`Entry::rule_facts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleFacts {
    /// The rule takes the traffic no other rule's matches select.
    pub catch_all: bool,
    /// Equal for rules with equal `matches`, different otherwise, within one mesh (key
    /// order inside a match does not matter: Kuma compares parsed matches, not their
    /// text). Set by [`number_matches`] once the mesh's rules are all known.
    matches_id: u32,
}

impl RuleFacts {
    pub fn of(r: &RouteRule) -> Self {
        RuleFacts {
            catch_all: is_catch_all(r),
            matches_id: 0,
        }
    }
}

/// Number the rules' `matches` so that equal ones (as values) get the same id: done
/// once over a mesh's MeshHTTPRoute rules, so outbounds compare ids, not value trees.
pub fn number_matches<'r>(rules: impl Iterator<Item = (&'r RouteRule, &'r mut RuleFacts)>) {
    let mut seen: super::FastMap<u64, Vec<(Option<&serde_json::Value>, u32)>> = Default::default();
    let mut next = 0u32;
    for (r, f) in rules {
        let bucket = seen
            .entry(r.matches.as_ref().map_or(0, value_hash))
            .or_default();
        f.matches_id = match bucket.iter().find(|(m, _)| *m == r.matches.as_ref()) {
            Some(&(_, id)) => id,
            None => {
                bucket.push((r.matches.as_ref(), next));
                next += 1;
                next - 1
            }
        };
    }
}

/// A hash of a JSON value, equal for equal values: an object's entries are combined
/// in a way that does not depend on their order (`Value`'s equality ignores it).
fn value_hash(v: &serde_json::Value) -> u64 {
    use serde_json::Value;
    use std::hash::{BuildHasher, Hash, Hasher};
    let fixed = foldhash::quality::FixedState::default();
    let mut h = fixed.build_hasher();
    match v {
        Value::Null => 0u8.hash(&mut h),
        Value::Bool(b) => (1u8, b).hash(&mut h),
        Value::Number(n) => {
            // Equal numbers have the same representation (serde_json compares it).
            if let Some(u) = n.as_u64() {
                (2u8, u).hash(&mut h)
            } else if let Some(i) = n.as_i64() {
                (3u8, i).hash(&mut h)
            } else {
                let f = n.as_f64().unwrap_or_default();
                (4u8, if f == 0.0 { 0 } else { f.to_bits() }).hash(&mut h)
            }
        }
        Value::String(s) => (5u8, s).hash(&mut h),
        Value::Array(a) => {
            (6u8, a.len()).hash(&mut h);
            a.iter().for_each(|x| value_hash(x).hash(&mut h));
        }
        Value::Object(o) => {
            let mut sum = 0u64;
            for (k, x) in o {
                sum = sum.wrapping_add(fixed.hash_one((k, value_hash(x))));
            }
            (7u8, o.len(), sum).hash(&mut h)
        }
    }
    h.finish()
}

/// A rule of `e` (by position) and its facts.
fn rules_with_facts<'e>(
    e: &'e Entry,
) -> impl DoubleEndedIterator<Item = (&'e RouteRule, &'e RuleFacts)> {
    let rules = e.rules.unwrap_or_default();
    debug_assert_eq!(
        rules.len(),
        e.rule_facts.len(),
        "facts are kept for MeshHTTPRoute rules"
    );
    rules.iter().zip(&e.rule_facts)
}

/// Two rules of one mesh have equal `matches` (a missing list equals a missing list).
fn same_matches(a: &RuleFacts, b: &RuleFacts) -> bool {
    a.matches_id == b.matches_id
}

pub struct Ctx<'m, 'a> {
    pub mesh: &'m MeshIndex<'a>,
    pub version: KumaVersion,
    pub gates: Gates,
    pub sources: SourceRanks,
    /// The MeshTCPRoutes and MeshHTTPRoutes applied on the outbounds resolved so far
    /// (whether an ignored route still has an effect somewhere decides its severity).
    pub applied: std::cell::RefCell<Vec<Applied>>,
}

/// A route policy applied on an outbound.
#[derive(Debug, Clone)]
pub struct Applied {
    pub http: bool,
    /// The policy's [`Policy::order`].
    pub order: usize,
    pub outbound: Arc<str>,
}

/// `parts` joined, in one allocation of the right size.
pub(super) fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// A policy's qualified name as pieces for [`cat`], or nothing.
fn qualified(m: Option<&crate::model::Meta>) -> [&str; 3] {
    m.map_or(["", "", ""], crate::model::Meta::qualified_parts)
}

use super::cache::rank_shown;

/// A policy row before it is written out.
pub(super) fn row(
    p: &Policy,
    status: Status,
    reason: String,
    shown: &Arc<super::output::Precedence>,
) -> PolicyStatus {
    PolicyStatus {
        kind: p.meta.kind.as_str().into(),
        name: p.name.clone(),
        namespace: p.meta.namespace.clone(),
        status,
        reason,
        location: p.meta.origin.location(),
        precedence: shown.clone(),
    }
}

/// One row per policy (its highest entry), lowest precedence first.
fn per_policy<'p, 'a>(cands: &[Cand<'p, 'a>]) -> Vec<Cand<'p, 'a>> {
    let mut out: Vec<Cand> = Vec::new();
    for c in cands.iter().rev() {
        if !out.iter().any(|o| std::ptr::eq(o.policy, c.policy)) {
            out.push(*c);
        }
    }
    out.reverse();
    out
}

impl Ctx<'_, '_> {
    /// The mesh's TrafficRoutes by name, for reasons: the first three and a count.
    fn traffic_route_names(&self) -> String {
        let trs = &self.mesh.traffic_routes;
        let mut s: String = trs
            .iter()
            .take(3)
            .map(|(m, _)| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if trs.len() > 3 {
            s.push_str(&format!(", … {} more", trs.len() - 3));
        }
        s
    }

    fn finding(
        &self,
        code: Code,
        meta: &crate::model::Meta,
        ob: &Outbound,
        msg: String,
    ) -> Finding {
        // The proxy is stamped by the caller (`THIS_PROXY`), so that the findings of an
        // outbound can be shared by every proxy with the same selection.
        Finding::new(code, msg)
            .with_shared_resource(self.mesh.resource_ref(meta))
            .with_location(meta.origin.location())
            .with_proxy(this_proxy())
            .on_outbound(ob.label())
    }

    /// Remember which of `cands` (one per row of `rows`) are applied on `ob`.
    fn note_applied(&self, http: bool, cands: &[Cand], rows: &[PolicyStatus], ob: &Outbound) {
        let mut applied = self.applied.borrow_mut();
        for (c, r) in cands.iter().zip(rows) {
            if r.status == Status::Applied {
                applied.push(Applied {
                    http,
                    order: c.policy.order,
                    outbound: ob.label(),
                });
            }
        }
    }

    fn http_backend_is_http(&self, cands: &[Cand]) -> bool {
        cands.iter().any(|c| {
            c.entry.rules.unwrap_or_default().iter().any(|r| {
                r.default
                    .as_ref()
                    .and_then(|d| d.backend_refs.as_ref())
                    .is_some_and(|refs| {
                        refs.iter().any(|b| {
                            let name = b.name.as_deref().unwrap_or("");
                            if super::backends::references_real(b, self.version) {
                                self.mesh.reals.iter().any(|s| {
                                    s.meta.display_name() == name
                                        && s.ports.iter().any(|p| {
                                            Protocol::from_tag(Some(&p.protocol())).is_http()
                                        })
                                })
                            } else {
                                self.mesh.service_protocol(name).is_http()
                            }
                        })
                    })
            })
        })
    }

    fn decide(&self, ob: &Outbound, t: &[Cand], h: &[Cand], has_tr_for_outbound: bool) -> Decision {
        let g = self.gates;
        let a = self.version.bucket() == Bucket::A;
        let legacy = matches!(ob.target, Target::Legacy(_));
        let fallback = || {
            if !legacy {
                Decision::NoListener
            } else if has_tr_for_outbound {
                Decision::TrafficRoute
            } else {
                Decision::NoRoute
            }
        };
        if ob.protocol.is_http() {
            if !h.is_empty() && g.http_run {
                Decision::Http {
                    on_tcp_destination: false,
                }
            } else if !t.is_empty() && g.tcp_run {
                Decision::Tcp
            } else if g.http_run && !a {
                Decision::PluginDefault(Plugin::Http)
            } else {
                fallback()
            }
        } else if g.tcp_run && (!a || !t.is_empty()) {
            if t.is_empty() {
                Decision::PluginDefault(Plugin::Tcp)
            } else {
                Decision::Tcp
            }
        } else if !h.is_empty() && g.http_run && (a || self.http_backend_is_http(h)) {
            Decision::Http {
                on_tcp_destination: true,
            }
        } else {
            fallback()
        }
    }

    /// The findings of one outbound, building its report only where one can arise.
    pub fn outbound_findings(
        &self,
        ob: &Outbound,
        tcp: &Matched,
        http: &Matched,
        findings: &mut Vec<Finding>,
    ) {
        let t = candidates(tcp, &ob.target);
        let h = candidates(http, &ob.target);
        if !self.is_quiet(ob, &t, &h) {
            self.outbound_from(ob, t, h, findings);
        }
    }

    /// Can an outbound with these candidates have no finding? Then `check` skips it.
    pub fn is_quiet(&self, ob: &Outbound, t: &[Cand], h: &[Cand]) -> bool {
        t.is_empty()
            && h.is_empty()
            && match &ob.target {
                Target::Real { .. } => self.decide(ob, &[], &[], false) != Decision::NoListener,
                Target::Legacy(_) => !self.sources.any(),
            }
    }

    /// What decides the resolution of a MeshService outbound besides the outbound
    /// itself: its candidates and the plugin gates (MeshService outbounds have no
    /// TrafficRoute or legacy policy, so the proxy's sources play no part).
    pub fn real_outbound_key(&self, t: &[Cand], h: &[Cand]) -> (u8, Vec<usize>) {
        let g = self.gates;
        let gates =
            g.mesh_has_traffic_route as u8 | (g.tcp_run as u8) << 1 | (g.http_run as u8) << 2;
        // The entries by address (the index outlives every cache keyed on them), the
        // MeshTCPRoute ones and the MeshHTTPRoute ones apart.
        let id = |c: &Cand| std::ptr::from_ref(c.entry) as usize;
        let ids = t
            .iter()
            .map(id)
            .chain([0])
            .chain(h.iter().map(id))
            .collect();
        (gates, ids)
    }

    /// Resolve one outbound of a sidecar or delegated gateway.
    pub fn outbound(
        &self,
        ob: &Outbound,
        tcp: &Matched,
        http: &Matched,
        findings: &mut Vec<Finding>,
    ) -> OutboundReport {
        let t = candidates(tcp, &ob.target);
        let h = candidates(http, &ob.target);
        self.outbound_from(ob, t, h, findings)
    }

    /// [`Ctx::outbound`] with its candidates found.
    pub fn outbound_from(
        &self,
        ob: &Outbound,
        t: Vec<Cand>,
        h: Vec<Cand>,
        findings: &mut Vec<Finding>,
    ) -> OutboundReport {
        let (trs, tie) = match &ob.target {
            Target::Legacy(s) => traffic_routes(self.mesh, &self.sources, s),
            _ => (vec![], false),
        };
        let decision = self.decide(ob, &t, &h, !trs.is_empty());
        let mut notes = ob.notes.clone();
        let mut policies = Vec::new();

        // TrafficRoutes first: legacy, lowest precedence.
        self.traffic_route_rows(ob, decision, &trs, tie, &t, &h, &mut policies, findings);

        let t_rows = per_policy(&t);
        let h_rows = per_policy(&h);
        let tcp_winner = t.last();
        let http_winner = h_rows.last();
        let (mut backends, reason, route) = match decision {
            Decision::Tcp => self.by_tcp_route(ob, tcp_winner, t_rows.len(), findings),
            Decision::Http { on_tcp_destination } => self.by_http_route(
                ob,
                &h,
                http_winner,
                on_tcp_destination,
                !t.is_empty(),
                findings,
            ),
            Decision::PluginDefault(plugin) => self.by_plugin_default(ob, plugin),
            Decision::TrafficRoute => self.by_traffic_route(ob, &trs),
            Decision::NoRoute => self.not_routed(),
            Decision::NoListener => self.no_listener(ob, findings),
        };
        let route = if route == RouteKind::MeshTCPRoute
            && tcp_winner.is_some_and(|w| matches!(tcp_conf(w.entry), TcpConf::Empty))
        {
            // A rule without backendRefs clears the list: no listener (before 2.10).
            RouteKind::None
        } else {
            route
        };
        if backends.is_empty() && route == RouteKind::MeshTCPRoute {
            notes.push(
                "the winning rule has no usable backend: Kuma builds a TCP proxy with no upstream"
                    .into(),
            );
        }

        // Route policy rows, the losing mechanism before the winning one.
        let tcp_rows = self.tcp_rows(decision, &t_rows, http_winner, ob, findings);
        let http_rows = self.http_rows(decision, &h_rows, ob, findings);
        self.note_applied(false, &t_rows, &tcp_rows, ob);
        self.note_applied(true, &h_rows, &http_rows, ob);
        if route == RouteKind::MeshHTTPRoute {
            policies.extend(tcp_rows);
            policies.extend(http_rows);
        } else {
            policies.extend(http_rows);
            policies.extend(tcp_rows);
        }

        let legacy_policies = self.legacy_rows(ob, route, findings);
        if route == RouteKind::MeshTCPRoute && ob.protocol.is_http() {
            notes.push(format!(
                "{} traffic is proxied as opaque TCP",
                ob.protocol.shown()
            ));
        }
        for b in &mut backends {
            if b.weight == 0 {
                b.share = 0.0;
            }
        }
        OutboundReport {
            destination: ob.destination.clone(),
            protocol: ob.protocol.shown(),
            route,
            backends,
            policies,
            reason,
            notes,
            legacy_policies,
        }
    }

    // What decides an outbound's backends and reason, one method per decision.

    fn by_tcp_route(
        &self,
        ob: &Outbound,
        winner: Option<&Cand>,
        routes: usize,
        findings: &mut Vec<Finding>,
    ) -> Routed {
        let w = winner.expect("T is non-empty");
        let r = self.tcp_backends(w, ob, findings);
        let reason = Reason::MeshTcpRoute {
            winner: w.policy.meta,
            routes,
            unusable: r.unusable.as_deref(),
        }
        .words();
        (r.backends, reason, RouteKind::MeshTCPRoute)
    }

    fn by_http_route(
        &self,
        ob: &Outbound,
        h: &[Cand],
        winner: Option<&Cand>,
        on_tcp_destination: bool,
        tcp_too: bool,
        findings: &mut Vec<Finding>,
    ) -> Routed {
        let w = winner.expect("H is non-empty");
        let b = self.http_backends(h, ob, findings);
        let reason = Reason::MeshHttpRoute {
            winner: w.policy.meta,
            protocol: ob.protocol.as_str(),
            on_tcp_destination,
            tcp_too,
        };
        (b, reason.words(), RouteKind::MeshHTTPRoute)
    }

    fn by_plugin_default(&self, ob: &Outbound, plugin: Plugin) -> Routed {
        let reason = Reason::PluginDefault {
            plugin,
            mesh_has_traffic_route: self.gates.mesh_has_traffic_route,
        };
        let b = destination_backend(&ob.destination, "no route: the destination itself");
        (vec![b], reason.words(), RouteKind::Default)
    }

    fn by_traffic_route(&self, ob: &Outbound, trs: &[TrCandidate]) -> Routed {
        let w = trs.last().expect("a TrafficRoute selects it");
        let Target::Legacy(s) = &ob.target else {
            unreachable!("TrafficRoute only on legacy outbounds")
        };
        let b = traffic_route_backends(
            &w.spec.conf.split,
            w.spec.conf.destination.as_ref(),
            s,
            self.mesh,
        );
        let why = if !self.gates.tcp_run && !self.gates.http_run {
            LegacyWhy::NoNewRules
        } else if ob.protocol.is_http() {
            LegacyWhy::HttpPluginOff
        } else {
            LegacyWhy::TcpPluginOff
        };
        let reason = Reason::TrafficRoute {
            name: &w.meta.name,
            why,
        };
        (b, reason.words(), RouteKind::TrafficRoute)
    }

    fn not_routed(&self) -> Routed {
        let reason = Reason::NotRouted {
            traffic_routes: self
                .gates
                .mesh_has_traffic_route
                .then(|| self.traffic_route_names()),
        };
        (vec![], reason.words(), RouteKind::None)
    }

    fn no_listener(&self, ob: &Outbound, findings: &mut Vec<Finding>) -> Routed {
        findings.push(
            Finding::new(
                Code::OutboundWithoutListener,
                "real-resource outbounds get no listener: the mesh has TrafficRoutes, which never build \
                 them, and neither MeshTCPRoute nor MeshHTTPRoute rules select a MeshService destination on \
                 this proxy",
            )
            .with_proxy(this_proxy())
            .on_outbound(ob.label()),
        );
        let reason = Reason::NoListener {
            traffic_routes: self.traffic_route_names(),
        };
        (vec![], reason.words(), RouteKind::None)
    }

    fn tcp_backends(&self, w: &Cand, ob: &Outbound, findings: &mut Vec<Finding>) -> Resolved {
        match tcp_conf(w.entry) {
            TcpConf::Refs(refs) => {
                // The same for every proxy: resolved once per to[] entry.
                let r = w
                    .entry
                    .tcp_resolved
                    .get_or_init(|| resolve_refs(refs, w.policy.meta, self.mesh, self.version));
                findings.extend(r.findings.iter().cloned());
                Resolved {
                    backends: r.backends.clone(),
                    findings: Vec::new(),
                    unusable: r.unusable.clone(),
                }
            }
            TcpConf::Empty => Resolved {
                backends: vec![],
                findings: vec![],
                unusable: Some("the winning rule has no backendRefs, which clears the list: no listener is built".into()),
            },
            TcpConf::Implied(t) => {
                let implied = BackendRef {
                    kind: t.kind.clone(),
                    name: t.name.clone(),
                    namespace: t.namespace.clone(),
                    labels: t.labels.clone(),
                    section_name: t.section_name.clone(),
                    port: if matches!(ob.target, Target::Real { .. }) && t.section_name.is_some() {
                        Some(ob.destination.port)
                    } else {
                        None
                    },
                    weight: Some(1),
                    ..Default::default()
                };
                let mut r = resolve_refs(std::slice::from_ref(&implied), w.policy.meta, self.mesh, self.version);
                for b in &mut r.backends {
                    b.how = format!("implied by a to[] item without rules: {}", b.how);
                }
                findings.extend(r.findings.iter().cloned());
                r
            }
        }
    }

    /// MeshHTTPRoute backends: where traffic no rule's matches select goes (catch-all).
    fn http_backends(
        &self,
        h: &[Cand],
        ob: &Outbound,
        findings: &mut Vec<Finding>,
    ) -> Vec<Backend> {
        for c in h.iter().rev() {
            for (r, facts) in rules_with_facts(c.entry).rev() {
                if !facts.catch_all {
                    continue;
                }
                return match r.default.as_ref().and_then(|d| d.backend_refs.as_deref()) {
                    Some(refs) if !refs.is_empty() => {
                        let res = resolve_refs(refs, c.policy.meta, self.mesh, self.version);
                        findings.extend(res.findings);
                        res.backends
                    }
                    _ => vec![destination_backend(
                        &ob.destination,
                        &format!(
                            "catch-all rule of {} names no backend: the destination itself",
                            c.policy.meta.name
                        ),
                    )],
                };
            }
        }
        vec![destination_backend(
            &ob.destination,
            "no catch-all rule: Kuma's default route to the destination",
        )]
    }

    fn tcp_rows(
        &self,
        d: Decision,
        rows: &[Cand],
        http_winner: Option<&Cand>,
        ob: &Outbound,
        findings: &mut Vec<Finding>,
    ) -> Vec<PolicyStatus> {
        let Some(winner) = rows.last() else {
            return vec![];
        };
        rows.iter()
            .map(|c| {
                let (status, reason) = match d {
                    Decision::Tcp if std::ptr::eq(c.policy, winner.policy) => {
                        let beats = rows.len().saturating_sub(1);
                        (
                            Status::Applied,
                            if beats == 0 {
                                "the only MeshTCPRoute on this outbound; its backendRefs are the route".to_string()
                            } else {
                                cat(&[
                                    "highest precedence of ",
                                    itoa::Buffer::new().format(rows.len()),
                                    " MeshTCPRoutes; its backendRefs replace theirs",
                                ])
                            },
                        )
                    }
                    // Joined by hand (rows and findings of every outbound): `format!`
                    // cost several times more.
                    Decision::Tcp => {
                        let [w0, w1, w2, w3, w4] = c
                            .key
                            .decided_by_parts(winner.key)
                            .unwrap_or(["later in the input", "", "", "", ""]);
                        let [ns, slash, name] = qualified(Some(winner.policy.meta));
                        (
                            Status::Overridden,
                            cat(&[
                                "replaced by higher-precedence ", ns, slash, name, " (", w0, w1, w2,
                                w3, w4, "); lists are replaced, not merged",
                            ]),
                        )
                    }
                    Decision::Http { .. } => {
                        let [hns, hslash, hname] = qualified(http_winner.map(|w| w.policy.meta));
                        let [ns, slash, name] = qualified(Some(c.policy.meta));
                        let proto = ob.protocol.as_str();
                        findings.push(self.finding(
                            Code::TcprouteIgnoredByHttproute,
                            c.policy.meta,
                            ob,
                            cat(&[
                                "MeshTCPRoute ", ns, slash, name, " is ignored: MeshHTTPRoute ", hns, hslash,
                                hname, " routes the ", proto, " destination and takes priority",
                            ]),
                        ));
                        (
                            Status::Ignored,
                            cat(&[
                                "MeshHTTPRoute ", hns, hslash, hname, " takes priority over MeshTCPRoute on this ",
                                proto, " destination",
                            ]),
                        )
                    }
                    _ => (
                        Status::Ignored,
                        "the MeshTCPRoute plugin does not run for this proxy: the mesh has TrafficRoutes and no MeshTCPRoute \
                         selects a MeshService destination (legacy path) here"
                            .to_string(),
                    ),
                };
                row(c.policy, status, reason, c.shown)
            })
            .collect()
    }

    fn http_rows(
        &self,
        d: Decision,
        rows: &[Cand],
        ob: &Outbound,
        findings: &mut Vec<Finding>,
    ) -> Vec<PolicyStatus> {
        let mut out = Vec::with_capacity(rows.len());
        for (i, c) in rows.iter().enumerate() {
            // Only the findings name the policy: not built for the other rows.
            let name = || c.policy.meta.qualified();
            let (status, reason) = match d {
                Decision::Http { on_tcp_destination } => {
                    if on_tcp_destination {
                        findings.push(self.finding(
                            Code::HttprouteIgnoredOnTcp,
                            c.policy.meta,
                            ob,
                            format!(
                                "MeshHTTPRoute {} selects a {} destination: applied as HTTP on a tcp destination \
                                 because the MeshTCPRoute plugin is skipped for this proxy",
                                name(),
                                ob.protocol.shown()
                            ),
                        ));
                    }
                    let higher = &rows[i + 1..];
                    let mut mine = c.entry.rule_facts.iter().peekable();
                    if !higher.is_empty()
                        && mine.peek().is_some()
                        && mine.all(|m| {
                            higher
                                .iter()
                                .flat_map(|h| &h.entry.rule_facts)
                                .any(|h| same_matches(m, h))
                        })
                    {
                        let [ns, slash, name] = qualified(rows.last().map(|r| r.policy.meta));
                        (
                            Status::Overridden,
                            cat(&[
                                "every rule's matches is also set by higher-precedence ",
                                ns,
                                slash,
                                name,
                            ]),
                        )
                    } else {
                        (
                            Status::Applied,
                            "its rules are part of the HTTP route on this outbound".into(),
                        )
                    }
                }
                Decision::Tcp | Decision::PluginDefault(Plugin::Tcp) if !ob.protocol.is_http() => {
                    findings.push(self.finding(
                        Code::HttprouteIgnoredOnTcp,
                        c.policy.meta,
                        ob,
                        format!(
                            "MeshHTTPRoute {} is ignored: the destination's protocol is {}, and the \
                             MeshTCPRoute plugin builds that outbound",
                            name(),
                            ob.protocol.shown()
                        ),
                    ));
                    (
                        Status::Ignored,
                        format!(
                            "destination protocol is {}: the MeshTCPRoute plugin writes this listener over the HTTP one",
                            ob.protocol.shown()
                        ),
                    )
                }
                _ => (
                    Status::Ignored,
                    "the MeshHTTPRoute plugin does not build this outbound for this proxy"
                        .to_string(),
                ),
            };
            out.push(row(c.policy, status, reason, c.shown));
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn traffic_route_rows(
        &self,
        ob: &Outbound,
        d: Decision,
        trs: &[TrCandidate],
        tie: bool,
        t: &[Cand],
        h: &[Cand],
        out: &mut Vec<PolicyStatus>,
        findings: &mut Vec<Finding>,
    ) {
        let Some(w) = trs.last() else { return };
        let shown = |c: &TrCandidate| format!("match rank: {} tags, {} exact", c.rank.0, c.rank.1);
        // Why `c` loses to the winner: specificity, then the newer creation time, then
        // (equal or unknown times) the alphabetically first name.
        let lost_to_winner = |c: &TrCandidate| -> String {
            if c.rank != w.rank {
                format!(
                    "less specific than TrafficRoute {} ({} vs {})",
                    w.meta.name,
                    shown(c),
                    shown(w)
                )
            } else if c.meta.created != w.meta.created {
                format!(
                    "as specific as TrafficRoute {} ({}), which is newer (created {} vs {}): on equal \
                     specificity the newest wins",
                    w.meta.name,
                    shown(w),
                    w.meta.created.as_deref().unwrap_or("unknown"),
                    c.meta.created.as_deref().unwrap_or("unknown")
                )
            } else {
                format!(
                    "tied with TrafficRoute {} on specificity ({}) and creation time ({}): the alphabetically \
                     first name wins",
                    w.meta.name,
                    shown(w),
                    if w.meta.created.is_some() {
                        "equal"
                    } else {
                        "absent"
                    }
                )
            }
        };
        let lost = |c: &TrCandidate| (Status::Overridden, lost_to_winner(c));
        for c in trs {
            let is_winner = std::ptr::eq(c, w);
            let (status, reason) = if d == Decision::TrafficRoute {
                if is_winner {
                    let mut r = "the most specific TrafficRoute for this source and destination"
                        .to_string();
                    if tie && let Some(runner_up) = trs.len().checked_sub(2).map(|i| &trs[i]) {
                        r.push_str(if runner_up.meta.created != w.meta.created {
                            "; tied on specificity with another, and the newest by creation time wins"
                        } else {
                            "; tied on specificity and creation time (equal or absent) with another, and \
                             the alphabetically first name wins"
                        });
                    }
                    (Status::Applied, r)
                } else {
                    lost(c)
                }
            } else if !is_winner {
                lost(c)
            } else {
                // Joined by hand: once per outbound, where `format!` cost several times
                // more.
                let reason = match d {
                    Decision::Tcp => {
                        let [ns, slash, name] = qualified(t.last().map(|c| c.policy.meta));
                        cat(&["MeshTCPRoute ", ns, slash, name, " takes priority over TrafficRoute"])
                    }
                    Decision::Http { .. } => {
                        let [ns, slash, name] = qualified(h.last().map(|c| c.policy.meta));
                        cat(&["MeshHTTPRoute ", ns, slash, name, " takes priority over TrafficRoute"])
                    }
                    Decision::PluginDefault(Plugin::Tcp) => {
                        "proxy is configured by MeshTCPRoute; legacy TrafficRoute no longer used on this outbound".into()
                    }
                    _ => "proxy is configured by MeshHTTPRoute; legacy TrafficRoute no longer used on this outbound".into(),
                };
                findings.push(self.finding(
                    Code::TrafficrouteOverridden,
                    c.meta,
                    ob,
                    // One cause for every outbound (which route wins on each is the
                    // row's reason): one finding, however many routes take over.
                    cat(&[
                        "TrafficRoute ",
                        &c.meta.name,
                        " is overridden: MeshTCPRoute/MeshHTTPRoute configure these proxies, so TrafficRoute \
                         no longer routes the outbounds listed",
                    ]),
                ));
                (Status::Overridden, reason)
            };
            out.push(PolicyStatus {
                kind: "TrafficRoute".into(),
                name: c.meta.name.as_str().into(),
                namespace: c.meta.namespace.clone(),
                status,
                reason,
                location: c.meta.origin.location(),
                precedence: rank_shown(c.rank),
            });
        }
    }

    fn legacy_rows(
        &self,
        ob: &Outbound,
        route: RouteKind,
        findings: &mut Vec<Finding>,
    ) -> Vec<LegacyPolicyStatus> {
        let Target::Legacy(s) = &ob.target else {
            return vec![];
        };
        legacy_policies(self.mesh, &self.sources, s, ob.protocol.is_http())
            .into_iter()
            .map(|m| {
                let applied = route == RouteKind::TrafficRoute;
                if !applied {
                    findings.push(self.finding(
                        Code::LegacyPolicyUnmatched,
                        m,
                        ob,
                        format!(
                            "{} {} no longer applies: the outbound is built by {} (legacy policies only \
                             match routes that TrafficRoute builds)",
                            m.kind,
                            m.name,
                            match route {
                                RouteKind::Default => "the new route plugins with no route",
                                RouteKind::None => "nothing: no listener is built for it",
                                r => r.as_str(),
                            }
                        ),
                    ));
                }
                LegacyPolicyStatus {
                    kind: m.kind.as_str().into(),
                    name: m.name.clone(),
                    status: if applied { "applied" } else { "detached" },
                    location: m.origin.location(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(matches: serde_json::Value) -> RouteRule {
        RouteRule {
            matches: Some(matches),
            default: None,
        }
    }

    /// Facts of `rules`, their matches numbered together as in one mesh.
    fn numbered(rules: &[RouteRule]) -> Vec<RuleFacts> {
        let mut facts: Vec<RuleFacts> = rules.iter().map(RuleFacts::of).collect();
        number_matches(rules.iter().zip(&mut facts));
        facts
    }

    #[test]
    fn equal_matches_get_one_id_whatever_their_key_order() {
        let m1 = json!({"path": {"type": "Exact", "value": "/a"}});
        let m2 = json!({"method": "PUT"});
        let rules = [
            rule(json!([{"path": {"type": "PathPrefix", "value": "/v1"}, "method": "GET"}])),
            rule(json!([{"method": "GET", "path": {"value": "/v1", "type": "PathPrefix"}}])),
            rule(json!([{"method": "GET", "path": {"value": "/v2", "type": "PathPrefix"}}])),
            // The list's order counts: two matches swapped are other matches.
            rule(json!([m1.clone(), m2.clone()])),
            rule(json!([m2, m1])),
            // Numbers compare as serde_json compares them: 1 is not 1.0.
            rule(json!([{"port": 1}])),
            rule(json!([{"port": 1.0}])),
            RouteRule::default(),
            RouteRule::default(),
        ];
        let f = numbered(&rules);
        for (i, a) in rules.iter().enumerate() {
            for (j, b) in rules.iter().enumerate() {
                assert_eq!(
                    same_matches(&f[i], &f[j]),
                    a.matches == b.matches,
                    "rules {i} and {j}"
                );
            }
        }
        assert!(same_matches(&f[0], &f[1]));
        assert!(same_matches(&f[7], &f[8]));
        assert_eq!(
            value_hash(rules[0].matches.as_ref().unwrap()),
            value_hash(rules[1].matches.as_ref().unwrap())
        );
    }

    #[test]
    fn catch_all_rules_are_those_no_match_narrows() {
        let catch_all = |m: Option<serde_json::Value>| {
            RuleFacts::of(&RouteRule {
                matches: m,
                default: None,
            })
            .catch_all
        };
        assert!(catch_all(None));
        assert!(catch_all(Some(json!([]))));
        assert!(catch_all(Some(
            json!([{"path": {"type": "PathPrefix", "value": "/"}}])
        )));
        assert!(!catch_all(Some(
            json!([{"path": {"type": "PathPrefix", "value": "/api"}}])
        )));
        assert!(!catch_all(Some(
            json!([{"path": {"type": "PathPrefix", "value": "/"}, "method": "GET"}])
        )));
    }
}
