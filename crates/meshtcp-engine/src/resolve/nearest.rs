//! Why a `to[]` targetRef or a backendRef names nothing, and what it most likely meant:
//! the words of `targetref-matches-nothing` and of `backend-not-found`.
//!
//! Kuma compares names exactly (`kri.FromResourceMeta`, `TargetRefToKRI` in
//! `rules/resolve/backendref.go@v2.13.0`; legacy `kuma.io/service` tags), so a typo, a
//! missing namespace or a zone label quietly matches nothing. The nearest candidate,
//! in this order: the same name in another namespace or zone, a port section that
//! does not exist, the Kubernetes form of a legacy name, a spelling within two edits.

use super::index::{Entry, MeshIndex, Policy, RealSvc, parse_legacy_k8s_name};
use super::version::{Feature, KumaVersion};
use crate::model::TargetKind;
use crate::model::{TargetRef, fmt_tags, qualified_name};

/// Levenshtein distance of `a` and `b`, or `None` when it is over `max`.
pub fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        if cur.iter().min().is_some_and(|&m| m > max) {
            return None;
        }
        prev = cur;
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// The closest of `names` to `name` within two edits (not `name` itself); ties go to
/// the alphabetically first.
fn closest<'n>(name: &str, names: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    names
        .filter(|n| *n != name)
        .filter_map(|n| distance(name, n, 2).map(|d| (d, n)))
        .min()
        .map(|(_, n)| n)
}

/// A port list as `http (8080), 7000`.
fn ports(s: &RealSvc) -> String {
    s.ports
        .iter()
        .map(|p| match &p.name {
            Some(n) => format!("{n} ({})", p.port),
            None => p.port.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What is wrong with a reference to `kind` `name` (namespace `ns`, section `section`)
/// written in `policy` of `mesh`: the nearest candidate, or `None` when nothing is near.
/// `legacy` says whether a `kuma.io/service` of that name would do (MeshService refs).
pub fn hint(
    mesh: &MeshIndex,
    policy: &crate::model::Meta,
    kind: &str,
    name: &str,
    ns: Option<&str>,
    section: Option<&str>,
    legacy: bool,
) -> Option<String> {
    let of_kind = || {
        mesh.reals
            .iter()
            .filter(move |s| s.meta.kind.as_str() == kind)
    };
    let zone = mesh.zone_of(policy);
    // The named resource itself: then only the section can be wrong.
    let exact: Vec<&RealSvc> = of_kind()
        .filter(|s| {
            s.meta.display_name() == name
                && s.meta.kri_namespace() == ns
                && mesh.zone_of(s.meta) == zone
        })
        .collect();
    if let (Some(sec), Some(s)) = (section, exact.first()) {
        if let Some(p) = s
            .ports
            .iter()
            .find(|p| p.port.to_string() == sec && p.name.is_some())
        {
            return Some(format!(
                "port {sec} of {kind} {} is named `{}`: a to[] sectionName takes the port's name \
                 (sectionName: {}; an outbound a Dataplane declares with backendRef and a port \
                 number, without transparent proxying, matches only a to[] item without sectionName)",
                qualified_name(ns, name),
                p.name.as_deref().unwrap_or_default(),
                p.name.as_deref().unwrap_or_default()
            ));
        }
        if !s.ports.iter().any(|p| p.section_name() == sec) {
            return Some(format!(
                "{kind} {} has no port section `{sec}` (its ports: {})",
                qualified_name(ns, name),
                ports(s)
            ));
        }
    }
    if !exact.is_empty() || (legacy && mesh.services.contains_key(name)) {
        return None;
    }
    // The same name elsewhere: another namespace or zone.
    let elsewhere: Vec<String> = of_kind()
        .filter(|s| s.meta.display_name() == name)
        .map(|s| {
            let mut w = String::new();
            if s.meta.kri_namespace() != ns {
                w.push_str(&format!(
                    "in namespace `{}`",
                    s.meta.kri_namespace().unwrap_or("(none)")
                ));
            }
            let z = mesh.zone_of(s.meta);
            if z != zone {
                if !w.is_empty() {
                    w.push_str(", ");
                }
                w.push_str(&format!(
                    "in zone `{}` (the policy's zone is `{}`)",
                    z.unwrap_or("(none)"),
                    zone.unwrap_or("(none)")
                ));
            }
            w
        })
        .collect();
    if let Some(w) = elsewhere.first() {
        let fix = if w.starts_with("in namespace") {
            "; set `namespace:` on the ref"
        } else {
            "; Kuma matches a name only within the policy's own zone (label kuma.io/zone, or --zone)"
        };
        return Some(format!("there is a {kind} `{name}` {w}{fix}"));
    }
    if legacy {
        // Kubernetes names legacy services `name_namespace_svc_port`.
        let k8s: Vec<&str> = mesh
            .services
            .keys()
            .map(String::as_str)
            .filter(|s| parse_legacy_k8s_name(s).is_some_and(|(svc, _, _)| svc == name))
            .collect();
        if let Some(first) = k8s.iter().min() {
            return Some(format!(
                "on Kubernetes the kuma.io/service of a Service port is `name_namespace_svc_port`: did you \
                 mean `{first}`?"
            ));
        }
    }
    let legacy_names = legacy
        .then(|| mesh.services.keys().map(String::as_str))
        .into_iter()
        .flatten();
    let real_names = of_kind().map(|s| s.meta.display_name());
    closest(name, legacy_names.chain(real_names)).map(|n| format!("did you mean `{n}`?"))
}

/// The message of `targetref-matches-nothing` for entry `e` of `p`.
pub fn unmatched_entry(mesh: &MeshIndex, p: &Policy, e: &Entry, v: KumaVersion) -> String {
    let t: &TargetRef = e.target;
    let kind = t.kind_name();
    let head = format!(
        "{} {}: spec.to[{}].targetRef {} matches no destination of any proxy the policy selects",
        p.meta.kind,
        p.meta.qualified_name(),
        e.index,
        t.describe()
    );
    let why = match (&t.name, &t.labels) {
        (_, Some(l)) => Some(format!("no {kind} has the labels {}", fmt_tags(l))),
        (Some(name), None) => {
            let ns = t.namespace.as_deref().or(p.meta.kri_namespace());
            let legacy = t.kind() == TargetKind::MeshService;
            let real_exists = !mesh.reals_named(kind, name, ns).is_empty();
            match hint(
                mesh,
                p.meta,
                kind,
                name,
                ns,
                t.section_name.as_deref(),
                legacy,
            ) {
                Some(h) => Some(h),
                None if legacy
                    && !v.has(Feature::RealResources)
                    && real_exists
                    && !mesh.services.contains_key(name) =>
                {
                    Some(format!(
                        "`{name}` is a real MeshService, and Kuma {v} matches to[] only by kuma.io/service \
                         (real MeshServices from 2.9)"
                    ))
                }
                None if real_exists || mesh.services.contains_key(name) => Some(format!(
                    "`{name}` exists, but no proxy the policy selects has an outbound to it (explicit \
                     networking.outbound entries, reachableServices/reachableBackends and meshServices.mode \
                     decide a proxy's outbounds)"
                )),
                None => Some(format!(
                    "no Dataplane, ExternalService or {kind} named `{name}` in mesh {}",
                    p.meta.mesh
                )),
            }
        }
        (None, None) => None,
    };
    match why {
        Some(w) => format!("{head}: {w}"),
        None => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_is_bounded_levenshtein() {
        assert_eq!(distance("paymnets-v1", "payments-v1", 2), Some(2));
        assert_eq!(distance("backend", "backend", 2), Some(0));
        assert_eq!(distance("backend", "backnd", 2), Some(1));
        assert_eq!(distance("api", "orders", 2), None);
        assert_eq!(distance("a", "abcd", 2), None);
    }

    #[test]
    fn closest_skips_the_name_itself_and_breaks_ties_by_name() {
        let names = ["payments-v1", "payments-v2", "paymnets-v1", "db"];
        assert_eq!(
            closest("paymnets-v1", names.iter().copied()),
            Some("payments-v1")
        );
        assert_eq!(closest("zzz", names.iter().copied()), None);
    }
}
