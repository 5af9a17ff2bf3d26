//! §7: legacy TrafficRoute selection for a proxy's outbound, and the legacy policies
//! (Timeout, Retry, …) that only attach to routes TrafficRoute builds.

use super::index::MeshIndex;
use super::selection::{ProxyView, match_rank};
use crate::model::{Meta, ResourceKind, Selector, Tags, TrafficRouteSpec, keys};

/// Specificity of a (source, destination) match: (matched tags, exact-value tags). Kuma
/// compares the total first, then the exact ones (`TagSelectorRank.CompareTo`,
/// `api/mesh/v1alpha1/dataplane_helpers.go@v2.14.3`).
pub type Rank = (usize, usize);

fn best_rank(selectors: &[Selector], sets: &[&Tags]) -> Option<Rank> {
    selectors
        .iter()
        .flat_map(|s| sets.iter().filter_map(|t| match_rank(&s.match_, t)))
        .map(|(exact, wild)| (exact + wild, exact))
        .max()
}

fn dest_tags(service: &str) -> Tags {
    [(keys::SERVICE.to_string(), service.to_string())].into()
}

fn combined(a: Rank, b: Rank) -> Rank {
    (a.0 + b.0, a.1 + b.1)
}

/// How well each TrafficRoute's and legacy policy's sources (TrafficTrace: selectors)
/// match one proxy: computed once per proxy (and shared by proxies with the same tag
/// sets), reused for every outbound. Only the matching policies are listed (index,
/// rank), ascending.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct SourceRanks {
    traffic_routes: Vec<(u32, Rank)>,
    legacy: Vec<(u32, Rank)>,
}

/// The policies (by index) whose rank is `Some`, with it, ascending: sparse, as most
/// legacy policies match few proxies and services.
fn listed(ranks: impl Iterator<Item = Option<Rank>>) -> Vec<(u32, Rank)> {
    let mut v: Vec<(u32, Rank)> = ranks
        .enumerate()
        .filter_map(|(i, r)| Some((i as u32, r?)))
        .collect();
    v.shrink_to_fit();
    v
}

/// The rank listed for policy `i`, if it matches.
fn rank_of(v: &[(u32, Rank)], i: usize) -> Option<Rank> {
    v.binary_search_by_key(&(i as u32), |e| e.0)
        .ok()
        .map(|k| v[k].1)
}

impl SourceRanks {
    /// Does any TrafficRoute or legacy policy match this proxy's sources?
    pub fn any(&self) -> bool {
        !self.traffic_routes.is_empty() || !self.legacy.is_empty()
    }

    pub fn new(mesh: &MeshIndex, proxy: &ProxyView) -> Self {
        let sets = &proxy.tag_sets[..];
        SourceRanks {
            traffic_routes: listed(
                mesh.traffic_routes
                    .iter()
                    .map(|(_, s)| best_rank(&s.sources, sets)),
            ),
            legacy: listed(mesh.legacy.iter().map(|(m, s)| {
                if m.kind == ResourceKind::TrafficTrace {
                    best_rank(&s.selectors, sets)
                } else {
                    best_rank(&s.sources, sets)
                }
            })),
        }
    }
}

/// How well each TrafficRoute's and legacy policy's destinations match one service:
/// the same for every proxy, so computed once per service (see [`dest_ranks`]). Only
/// the policies that match are listed (index, rank), in policy order: a mesh's
/// services times its legacy policies would otherwise be megabytes of `None`.
#[derive(Debug, Default, Clone)]
pub struct DestRanks {
    traffic_routes: Vec<(u32, Rank)>,
    legacy: Vec<(u32, Rank)>,
}

impl DestRanks {
    fn new(mesh: &MeshIndex, service: &str) -> Self {
        let dest = [&dest_tags(service)];
        let rank = |d: &[Selector]| best_rank(d, &dest);
        DestRanks {
            traffic_routes: listed(
                mesh.traffic_routes
                    .iter()
                    .map(|(_, s)| rank(&s.destinations)),
            ),
            legacy: listed(mesh.legacy.iter().map(|(_, s)| rank(&s.destinations))),
        }
    }
}

/// [`DestRanks`] of `service`: kept on the service's index entry once computed (every
/// thread shares it); computed afresh for a service the input does not hold.
fn dest_ranks<'m>(mesh: &'m MeshIndex, service: &str) -> std::borrow::Cow<'m, DestRanks> {
    match mesh.services.get(service) {
        Some(info) => std::borrow::Cow::Borrowed(
            info.dest_ranks
                .get_or_init(|| DestRanks::new(mesh, service)),
        ),
        None => std::borrow::Cow::Owned(DestRanks::new(mesh, service)),
    }
}

/// One TrafficRoute that selects (proxy, destination).
#[derive(Debug, Clone)]
pub struct TrCandidate<'a> {
    pub meta: &'a Meta,
    pub spec: &'a TrafficRouteSpec,
    pub rank: Rank,
}

/// Order of two candidates of equal kind, lowest first: rank, then the newer creation
/// time wins, then (equal or unknown times) the alphabetically first name wins
/// (`SelectConnectionPolicies`, `pkg/core/policy/connection_matcher.go@v2.14.3`).
fn tie_order(a: (Rank, &Meta), b: (Rank, &Meta)) -> std::cmp::Ordering {
    a.0.cmp(&b.0)
        .then_with(|| a.1.created.cmp(&b.1.created))
        .then_with(|| b.1.name.cmp(&a.1.name))
}

/// TrafficRoutes selecting this proxy's sources and service `service`, lowest first; the
/// last one is the one that routes. The flag says the top two tied on rank.
pub fn traffic_routes<'a>(
    mesh: &'a MeshIndex,
    src: &SourceRanks,
    service: &str,
) -> (Vec<TrCandidate<'a>>, bool) {
    if src.traffic_routes.is_empty() {
        return (Vec::new(), false);
    }
    let dest = dest_ranks(mesh, service);
    let mut c: Vec<TrCandidate> = dest
        .traffic_routes
        .iter()
        .filter_map(|&(i, dst)| {
            let (meta, spec) = mesh.traffic_routes[i as usize];
            let src = rank_of(&src.traffic_routes, i as usize)?;
            Some(TrCandidate {
                meta,
                spec,
                rank: combined(src, dst),
            })
        })
        .collect();
    c.sort_by(|a, b| tie_order((a.rank, a.meta), (b.rank, b.meta)));
    let tie = c.len() >= 2 && c[c.len() - 1].rank == c[c.len() - 2].rank;
    (c, tie)
}

/// For each legacy policy kind, the best-matching policy on (proxy, service) whose effect
/// depends on the outbound listener/cluster the legacy generator builds.
pub fn legacy_policies<'a>(
    mesh: &'a MeshIndex,
    src: &SourceRanks,
    service: &str,
    is_http: bool,
) -> Vec<&'a Meta> {
    if src.legacy.is_empty() {
        return Vec::new();
    }
    let dest = dest_ranks(mesh, service);
    let external = mesh.services.get(service).is_some_and(|s| s.external);
    let mut best: Vec<(ResourceKind, Rank, &'a Meta)> = Vec::new();
    // Policies in input order, each with its destination rank if it has one.
    let mut dst_ranks = dest.legacy.iter().peekable();
    for (i, (meta, _)) in mesh.legacy.iter().enumerate() {
        let dst = dst_ranks
            .next_if(|(j, _)| *j as usize == i)
            .map(|&(_, r)| r);
        let Some(src) = rank_of(&src.legacy, i) else {
            continue;
        };
        let kind = meta.kind;
        let rank = match kind {
            ResourceKind::FaultInjection => None,
            ResourceKind::TrafficTrace => is_http.then_some(src),
            ResourceKind::RateLimit if !external => None,
            _ => dst.map(|d| combined(src, d)),
        };
        let Some(rank) = rank else { continue };
        match best.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(slot) => {
                if tie_order((rank, meta), (slot.1, slot.2)).is_gt() {
                    *slot = (kind, rank, meta);
                }
            }
            None => best.push((kind, rank, meta)),
        }
    }
    best.sort_by_key(|(k, _, _)| *k);
    best.into_iter().map(|(_, _, m)| m).collect()
}
