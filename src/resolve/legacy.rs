//! §7: legacy TrafficRoute selection for a proxy's outbound, and the legacy policies
//! (Timeout, Retry, …) that only attach to routes TrafficRoute builds.

use super::index::MeshIndex;
use super::selection::{ProxyView, match_rank};
use crate::model::{LegacyPolicySpec, Meta, ResourceKind, Selector, Tags, TrafficRouteSpec, keys};

/// Specificity of a (source, destination) match: exact tags first, then wildcards.
pub type Rank = (usize, usize);

fn best_rank<'t>(selectors: &[Selector], tag_sets: impl Iterator<Item = &'t Tags>) -> Option<Rank> {
    let sets: Vec<&Tags> = tag_sets.collect();
    selectors
        .iter()
        .flat_map(|s| sets.iter().filter_map(|t| match_rank(&s.match_, t)))
        .max()
}

fn dest_tags(service: &str) -> Tags {
    [(keys::SERVICE.to_string(), service.to_string())].into()
}

fn combined(a: Rank, b: Rank) -> Rank {
    (a.0 + b.0, a.1 + b.1)
}

/// One TrafficRoute that selects (proxy, destination).
#[derive(Debug, Clone)]
pub struct TrCandidate<'a> {
    pub meta: &'a Meta,
    pub spec: &'a TrafficRouteSpec,
    pub rank: Rank,
}

/// TrafficRoutes selecting this proxy's sources and service `service`, lowest first; the
/// last one is the one that routes (ties: alphabetically last name, UNVERIFIED stand-in
/// for Kuma's newest-creationTime rule). The flag says the top two tied on rank.
pub fn traffic_routes<'a>(
    mesh: &'a MeshIndex,
    proxy: &ProxyView,
    service: &str,
) -> (Vec<TrCandidate<'a>>, bool) {
    let dest = dest_tags(service);
    let mut c: Vec<TrCandidate> = mesh
        .traffic_routes
        .iter()
        .filter_map(|(meta, spec)| {
            let src = best_rank(&spec.sources, proxy.tag_sets.iter().copied())?;
            let dst = best_rank(&spec.destinations, std::iter::once(&dest))?;
            Some(TrCandidate {
                meta,
                spec,
                rank: combined(src, dst),
            })
        })
        .collect();
    c.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| a.meta.name.cmp(&b.meta.name))
    });
    let tie = c.len() >= 2 && c[c.len() - 1].rank == c[c.len() - 2].rank;
    (c, tie)
}

/// For each legacy policy kind, the best-matching policy on (proxy, service) whose effect
/// depends on the outbound listener/cluster the legacy generator builds.
pub fn legacy_policies<'a>(
    mesh: &'a MeshIndex,
    proxy: &ProxyView,
    service: &str,
    is_http: bool,
) -> Vec<&'a Meta> {
    let dest = dest_tags(service);
    let external = mesh.services.get(service).is_some_and(|s| s.external);
    let mut best: Vec<(ResourceKind, Rank, &'a Meta)> = Vec::new();
    for (meta, spec) in &mesh.legacy {
        let kind = meta.kind;
        let rank = match kind {
            ResourceKind::FaultInjection => None,
            ResourceKind::TrafficTrace => {
                if is_http {
                    best_rank(&spec.selectors, proxy.tag_sets.iter().copied())
                } else {
                    None
                }
            }
            ResourceKind::RateLimit if !external => None,
            _ => source_dest_rank(spec, proxy, &dest),
        };
        let Some(rank) = rank else { continue };
        match best.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(slot) => {
                if (rank, meta.name.as_str()) > (slot.1, slot.2.name.as_str()) {
                    *slot = (kind, rank, meta);
                }
            }
            None => best.push((kind, rank, meta)),
        }
    }
    best.sort_by_key(|(k, _, _)| *k);
    best.into_iter().map(|(_, _, m)| m).collect()
}

fn source_dest_rank(spec: &LegacyPolicySpec, proxy: &ProxyView, dest: &Tags) -> Option<Rank> {
    let src = best_rank(&spec.sources, proxy.tag_sets.iter().copied())?;
    let dst = best_rank(&spec.destinations, std::iter::once(dest))?;
    Some(combined(src, dst))
}
