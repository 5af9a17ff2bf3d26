//! What proxies share while they are resolved, apart from the rules that decide their
//! routes: results kept for identical selections (whole outbound lists, single
//! outbounds, a MeshService outbound's findings per candidate set), legacy source ranks
//! per tag set, interned finding strings, and the cache of proxies resolved one at a
//! time. The rules (`route`, `outbounds`, …) never see it: `Engine::resolve_selected`
//! asks [`Shared::outbounds_of`] for a proxy's outbounds, and that calls back into
//! `route::Ctx` only for what nobody resolved yet.

use super::*;
use crate::model::ProxyRef;
use std::sync::Arc;

/// Outbound results shared between calls of [`Engine::resolve_id`] on one engine.
#[derive(Default)]
pub struct ProxyCache {
    pub(super) meshes: FastMap<u32, Shared>,
}

/// Signature id, which shared outbounds (see [`outbounds::outbounds_keyed`]), findings only.
pub(super) type ListKey = (u32, Vec<u64>, bool);

/// Outbound results shared by proxies whose selection is identical (same matched
/// policies, same legacy source matches, same type): an outbound's report and findings
/// do not depend on anything else about the proxy.
#[derive(Default)]
pub(super) struct Shared {
    /// The `to[]` entries that applied to an outbound so far (see [`EntryHits`]).
    pub(super) hits: EntryHits,
    /// Cache an outbound from the first proxy with a selection on (proxies resolved one
    /// at a time, on demand), not only from the second one on (a full pass, where most
    /// selections are unique).
    share_first: bool,
    /// [`ListKey`] → the reports (none when findings only) and findings of every
    /// outbound of that set.
    #[allow(clippy::type_complexity)]
    lists: FastMap<ListKey, (Arc<[OutboundReport]>, Vec<Finding>)>,
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
    pub(super) outbounds:
        FastMap<(u32, outbounds::Target, u32), (Option<OutboundReport>, Vec<Finding>)>,
    /// The findings of MeshService outbounds by (service, port, plugin gates,
    /// candidate entries).
    real: FastMap<(u32, u32, u8, Vec<usize>), Vec<Finding>>,
    /// The messages and outbound labels of the findings kept so far.
    pub(super) interned: Interner,
    /// Where each route policy is applied (see [`ignored`]).
    pub(super) applied: AppliedAt,
}

/// One copy of each string (and of each list of outbound labels) that repeats across
/// the findings a pass keeps until the end: a proxy finding's message and outbounds
/// recur on many proxies.
#[derive(Default)]
pub(super) struct Interner {
    pub(super) strings:
        std::collections::HashSet<std::sync::Arc<str>, foldhash::quality::FixedState>,
    lists: std::collections::HashSet<
        std::sync::Arc<crate::model::Outbounds>,
        foldhash::quality::FixedState,
    >,
}

impl Interner {
    pub(super) fn get(&mut self, s: &std::sync::Arc<str>) -> std::sync::Arc<str> {
        intern(&mut self.strings, s)
    }

    /// Share `f`'s strings with the findings interned before it.
    #[cfg(test)]
    pub(super) fn finding(&mut self, f: &mut Finding) {
        self.message(f);
        self.outbound_lists(f);
    }

    /// Share `f`'s message with the findings interned before it.
    pub(super) fn message(&mut self, f: &mut Finding) {
        f.message = self.get(&f.message);
    }

    /// Share the outbound lists of `f`'s proxies (and their labels) with the findings
    /// interned before it: one lookup for a list seen before.
    pub(super) fn outbound_lists(&mut self, f: &mut Finding) {
        for h in &mut f.proxies {
            if let Some(k) = self.lists.get(&*h.outbounds) {
                h.outbounds = k.clone();
                continue;
            }
            h.outbounds = Arc::new(h.outbounds.iter().map(|o| self.get(o)).collect());
            h.outbounds = intern(&mut self.lists, &h.outbounds);
        }
    }
}

/// The copy of `x` in `set` (which `x` joins when it has none). Bounded: a full set
/// starts over rather than grow without limit.
pub(super) fn intern<T: ?Sized + Eq + std::hash::Hash>(
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
pub(super) struct Signature {
    proxy_type: ProxyType,
    /// [`Matched::conditional`] of each set: within one mesh, the whole selection.
    tcp: Vec<u32>,
    http: Vec<u32>,
    sources: legacy::SourceRanks,
}

impl Shared {
    /// For a pass over every proxy of a mesh, marking the `to[]` entries in `hits`.
    pub(super) fn for_pass(hits: EntryHits) -> Shared {
        Shared {
            hits,
            ..Shared::default()
        }
    }

    /// For proxies resolved one at a time ([`Engine::resolve_id`]): results are kept
    /// from the first proxy with a selection on.
    pub(super) fn one_at_a_time() -> Shared {
        Shared {
            share_first: true,
            ..Shared::default()
        }
    }
    /// Whether sharing single outbounds pays: after [`SHARED_TRIAL`] lookups, only
    /// while at least one in [`SHARED_MIN_HIT_RATIO`] finds a result. (In the Universal
    /// benchmark mesh 96 of 46,230 did: proxies with the same selection had other
    /// explicit outbounds, and every miss cost a copy of the outbound's report.)
    /// The results kept so far are let go when it stops paying.
    pub(super) fn outbounds_pay(&mut self) -> bool {
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
    pub(super) fn keep_list(
        &mut self,
        key: ListKey,
        reports: Arc<[OutboundReport]>,
        f: Vec<Finding>,
    ) {
        let weight = reports.len() + f.len();
        if self.list_reports + weight > SHARED_LIST_REPORTS_MAX {
            self.lists.clear();
            self.list_reports = 0;
        }
        if weight <= SHARED_LIST_REPORTS_MAX {
            self.list_reports += weight;
            self.lists.insert(key, (reports, f));
        }
    }

    /// [`legacy::SourceRanks`] of a proxy: computed once per distinct tag sets.
    pub(super) fn source_ranks(
        &mut self,
        mesh: &MeshIndex,
        view: &ProxyView,
    ) -> legacy::SourceRanks {
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
    pub(super) fn signature(&mut self, s: Signature) -> (u32, bool) {
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
pub(super) fn make_room<K: Eq + std::hash::Hash, V>(
    cache: &mut FastMap<K, V>,
    key: &K,
    max: usize,
) {
    if cache.len() >= max && !cache.contains_key(key) {
        cache.clear();
    }
}

/// The findings of outbound `o` (for "this proxy", stamped by the caller) into `out`.
/// A MeshService outbound's are found once for each set of candidate route entries on
/// this thread (most proxies of a mesh share them for a given destination, whatever
/// else they select). Findings only: for reports, a copy of a held report cost as much
/// as building it again.
pub(super) fn real_or_other_findings(
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
pub(super) fn fingerprint(v: &impl std::hash::Hash) -> (u64, u64) {
    use std::hash::BuildHasher;
    let h = |seed: u64| foldhash::quality::FixedState::with_seed(seed).hash_one(v);
    (h(0x6d65_7368_7463_7031), h(0x6d65_7368_7463_7032))
}

/// Outbound lookups before [`Shared::outbounds_pay`] judges the hit rate.
pub(super) const SHARED_TRIAL: u64 = 2048;
/// Sharing single outbounds stops when fewer than 1 lookup in this many hits.
pub(super) const SHARED_MIN_HIT_RATIO: u64 = 8;
/// How many shared outbound results are kept at most (about 2 KB each).
pub(super) const SHARED_OUTBOUNDS_MAX: usize = 1024;
/// At most this many strings are kept in an [`Interner`].
pub(super) const INTERNED_MAX: usize = 1 << 16;
/// At most this many MeshService outbounds' findings are kept.
pub(super) const SHARED_REAL_MAX: usize = 16_384;
/// At most this many proxies' legacy source ranks are kept.
pub(super) const SHARED_SOURCE_RANKS_MAX: usize = 4096;
/// At most this many outbound reports and findings are held for whole shared lists.
pub(super) const SHARED_LIST_REPORTS_MAX: usize = 4096;

/// Put the proxy (shared by its findings) on a finding computed for "this proxy"
/// (see `route::is_this_proxy`).
pub(super) fn stamp(mut f: Finding, proxy: &std::sync::Arc<crate::model::ProxyRef>) -> Finding {
    for h in &mut f.proxies {
        if route::is_this_proxy(&h.proxy) {
            h.proxy = proxy.clone();
        }
    }
    f
}

impl Shared {
    /// The reports (none when `findings_only`) of a proxy's outbounds `obs`, their
    /// findings into `findings` stamped with `this`: from the results kept for an
    /// identical selection, or for a MeshService outbound with the same candidates,
    /// where there is one; resolved by `ctx` where there is none.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn outbounds_of(
        &mut self,
        ctx: &Ctx,
        s: &Selected,
        obs: &[outbounds::Ob],
        shared_set: Option<Vec<u64>>,
        findings_only: bool,
        this: &Arc<ProxyRef>,
        findings: &mut Vec<Finding>,
    ) -> Arc<[OutboundReport]> {
        let shared = self;
        let view = &s.view;
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
                findings.extend(f.iter().map(|f| stamp(f.clone(), this)));
                // The same reports, not a copy: 2,000 outbounds are 10 MB of them.
                return reports.clone();
            } else {
                let mut all = Vec::new();
                for o in obs.iter() {
                    if findings_only {
                        real_or_other_findings(ctx, s, o, shared, &mut all);
                    } else {
                        out.push(ctx.outbound(o, &s.tcp, &s.http, &mut all));
                    }
                }
                findings.extend(all.iter().map(|f| stamp(f.clone(), this)));
                let out: Arc<[OutboundReport]> = out.into();
                shared.keep_list(key, out.clone(), all);
                return out;
            }
        }
        for o in obs.iter().filter(|_| !keyed) {
            if findings_only && matches!(o.target, outbounds::Target::Real { .. }) {
                let mut f = Vec::new();
                real_or_other_findings(ctx, s, o, shared, &mut f);
                findings.extend(f.into_iter().map(|f| stamp(f, this)));
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
                findings.extend(f.into_iter().map(|f| stamp(f, this)));
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
            findings.extend(entry.1.iter().map(|f| stamp(f.clone(), this)));
            if let Some(r) = &entry.0 {
                out.push(r.clone());
            }
        }
        out.into()
    }
}

// The per-thread caches: values every proxy of a thread shares.

/// The placeholder proxy on findings about "this proxy" (no mesh, no name), replaced
/// by the caller: one per thread, shared.
pub(super) fn this_proxy() -> Arc<crate::model::ProxyRef> {
    thread_local! {
        static THIS: Arc<crate::model::ProxyRef> = Arc::new(crate::model::ProxyRef {
            mesh: "".into(),
            name: "".into(),
            namespace: None,
            context: None,
        });
    }
    THIS.with(Arc::clone)
}

/// A TrafficRoute row's precedence in words, `match rank: N tags, M exact`: one list
/// per rank and thread, shared by every row with that rank.
pub(super) fn rank_shown(rank: super::legacy::Rank) -> Arc<super::output::Precedence> {
    thread_local! {
        static SHOWN: std::cell::RefCell<super::FastMap<super::legacy::Rank, Arc<super::output::Precedence>>> =
            Default::default();
    }
    SHOWN.with(|m| {
        m.borrow_mut()
            .entry(rank)
            .or_insert_with(|| {
                Arc::new(vec![format!("match rank: {} tags, {} exact", rank.0, rank.1)].into())
            })
            .clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn finding(message: &str, labels: &[&str]) -> Finding {
        let mut f = Finding::new(Code::TrafficrouteOverridden, message.to_string())
            .with_proxy(route::this_proxy());
        for l in labels {
            f = f.on_outbound(l.to_string());
        }
        f
    }

    #[test]
    pub(super) fn interned_findings_share_equal_strings_and_keep_their_values() {
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
    pub(super) fn the_interner_starts_over_at_its_bound() {
        let mut i = Interner::default();
        for n in 0..INTERNED_MAX {
            i.finding(&mut finding(&n.to_string(), &[]));
        }
        assert_eq!(i.strings.len(), INTERNED_MAX);
        i.finding(&mut finding("one more", &[]));
        assert_eq!(i.strings.len(), 1);
    }
}
