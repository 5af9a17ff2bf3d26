//! §5.3: effective backends of the winning rule, with weights and shares.

use super::index::MeshIndex;
use super::output::{Backend, Destination};
use super::selection::tags_match;
use super::version::{Feature, KumaVersion};
use crate::model::TargetKind;
use crate::model::{BackendRef, Code, Finding, Meta, Tags, TrafficSplit, keys};

/// Backends and what was wrong with them.
#[derive(Debug, Default, Clone)]
pub struct Resolved {
    pub backends: Vec<Backend>,
    pub findings: Vec<Finding>,
    /// Weights non-zero but nothing usable, or every weight 0.
    pub unusable: Option<String>,
}

/// `share = weight / Σ weight` over the backends that take traffic.
pub fn set_shares(backends: &mut [Backend]) {
    let total: u64 = backends
        .iter()
        .filter(|b| counts(b))
        .map(|b| b.weight as u64)
        .sum();
    for b in backends.iter_mut() {
        b.share = if total == 0 || !counts(b) {
            0.0
        } else {
            b.weight as f64 / total as f64
        };
    }
}

/// Unresolved real resources are dropped by Kuma; unresolved legacy services keep a
/// (empty) cluster and so keep their share of traffic.
fn counts(b: &Backend) -> bool {
    b.resolved
        || b.kind == "MeshService" && b.how.starts_with("legacy")
        || b.kind == "MeshServiceSubset"
}

/// Does this backendRef name a real resource (port or sectionName, 2.9+; MES/MZS always)?
pub fn references_real(b: &BackendRef, v: KumaVersion) -> bool {
    match b.kind() {
        TargetKind::MeshService => {
            v.has(Feature::RealResources) && (b.port.is_some() || b.section_name.is_some())
        }
        TargetKind::MeshExternalService | TargetKind::MeshMultiZoneService => true,
        _ => false,
    }
}

/// Resolve backendRefs written in `policy` for an outbound of `mesh`.
pub fn resolve_refs(
    refs: &[BackendRef],
    policy: &Meta,
    mesh: &MeshIndex,
    v: KumaVersion,
) -> Resolved {
    let mut r = Resolved::default();
    for b in refs {
        let weight = b.weight.unwrap_or(1);
        let name = b.name.clone().unwrap_or_default();
        let mut be = Backend {
            kind: b.kind_name().to_string(),
            name: name.clone(),
            namespace: b.namespace.clone(),
            port: b.port,
            tags: b.tags.clone().unwrap_or_default(),
            weight,
            share: 0.0,
            resolved: true,
            how: String::new(),
        };
        if references_real(b, v) {
            let ns = b.namespace.as_deref().or(policy.kri_namespace());
            let found = match (&b.labels, &b.name) {
                (Some(l), _) => mesh.reals.iter().find(|s| {
                    s.meta.kind.as_str() == b.kind_name() && tags_match(l, &s.meta.labels)
                }),
                (None, Some(n)) => mesh
                    .reals_named(b.kind_name(), n, ns)
                    .iter()
                    .map(|&i| &mesh.reals[i])
                    .find(|s| mesh.zone_of(policy) == mesh.zone_of(s.meta)),
                _ => None,
            };
            let port = found.and_then(|s| match (b.kind(), &b.section_name, b.port) {
                (TargetKind::MeshExternalService, _, _) => s.ports.first(),
                (_, Some(sec), _) => s.port_by_section(sec),
                (_, None, Some(p)) => s.ports.iter().find(|x| x.port == p),
                _ => None,
            });
            match (found, port) {
                (Some(s), Some(p)) => {
                    be.name = s.meta.display_name().to_string();
                    be.namespace = s.meta.kri_namespace().map(String::from);
                    be.port = Some(p.port);
                    be.how = format!(
                        "real {} {}, port {}",
                        s.meta.kind,
                        s.meta.qualified_name(),
                        p.section_name()
                    );
                }
                (found, _) => {
                    be.resolved = false;
                    be.how = format!(
                        "real {} not found; Kuma drops it from the split",
                        b.kind_name()
                    );
                    let what = if found.is_some() {
                        format!(
                            "{} {} has no port {}",
                            b.kind_name(),
                            name,
                            b.section_name
                                .clone()
                                .or(b.port.map(|p| p.to_string()))
                                .unwrap_or_default()
                        )
                    } else {
                        let mut w = format!(
                            "{} {}{} is not in the input",
                            b.kind_name(),
                            ns.map(|n| format!("{n}/")).unwrap_or_default(),
                            name
                        );
                        if let Some(h) = super::nearest::hint(
                            mesh,
                            policy,
                            b.kind_name(),
                            &name,
                            ns,
                            None,
                            false,
                        ) {
                            w.push_str(" (");
                            w.push_str(&h);
                            w.push(')');
                        }
                        w
                    };
                    r.findings.push(Finding::about(
                        Code::BackendNotFound,
                        policy,
                        format!(
                            "{} {}: backendRef {what}; Kuma drops it from the split",
                            policy.kind,
                            policy.qualified_name()
                        ),
                    ));
                }
            }
        } else {
            // Legacy service (MeshService without port) or MeshServiceSubset.
            let subset = (b.kind() == TargetKind::MeshServiceSubset)
                .then(|| b.tags.clone().unwrap_or_default());
            be.how = match &subset {
                Some(t) => format!(
                    "legacy service kuma.io/service={name} with tags {}",
                    crate::model::fmt_tags(t)
                ),
                // Once per backend of a large mesh: joined by hand, not with `format!`.
                None => super::route::cat(&[
                    "legacy service kuma.io/service=",
                    &name,
                    " (no port: not a real MeshService)",
                ]),
            };
            if !mesh.service_exists(&name, subset.as_ref()) {
                be.resolved = false;
                let real = mesh.reals.iter().any(|s| {
                    s.meta.kind.as_str() == "MeshService" && s.meta.display_name() == name
                });
                let hint = if mesh.services.contains_key(&name) {
                    None
                } else if real && v.has(Feature::RealResources) {
                    Some(format!(
                        " (a real MeshService `{name}` exists: without `port` or `sectionName` a MeshService \
                         backendRef names the kuma.io/service tag instead; add the port to reference it)"
                    ))
                } else {
                    super::nearest::hint(mesh, policy, "MeshService", &name, None, None, true)
                        .map(|h| format!(" ({h})"))
                };
                r.findings.push(Finding::about(
                    Code::BackendNotFound,
                    policy,
                    format!(
                        "{} {}: backendRef {} {name}{} matches no Dataplane or ExternalService; its share of traffic has no endpoints{}",
                        policy.kind,
                        policy.qualified_name(),
                        b.kind_name(),
                        subset.as_ref().map(|t| format!(" {}", crate::model::fmt_tags(t))).unwrap_or_default(),
                        hint.unwrap_or_default()
                    ),
                ));
            }
        }
        r.backends.push(be);
    }
    set_shares(&mut r.backends);
    finish(&mut r, policy);
    r
}

fn finish(r: &mut Resolved, policy: &Meta) {
    if r.backends.is_empty() {
        r.unusable = Some("the rule has no backendRefs: no listener is built".into());
        return;
    }
    if r.backends.iter().all(|b| b.weight == 0) {
        r.unusable = Some("every backend has weight 0: the outbound has no upstream".into());
        r.findings.push(Finding::about(
            Code::WeightsAllZero,
            policy,
            format!(
                "{} {}: every backendRef of a rule has weight 0, so the outbound has no upstream",
                policy.kind,
                policy.qualified_name()
            ),
        ));
    } else if r.backends.iter().all(|b| b.share == 0.0) {
        r.unusable = Some("no usable backend: every weighted backend is missing".into());
    }
}

/// The destination itself, weight 1 (route `default`, or a rule that names no backend).
pub fn destination_backend(d: &Destination, how: &str) -> Backend {
    Backend {
        kind: d.kind.clone(),
        name: d.name.clone(),
        namespace: d.namespace.clone(),
        port: Some(d.port),
        tags: Tags::new(),
        weight: 1,
        share: 1.0,
        resolved: true,
        how: how.into(),
    }
}

/// TrafficRoute `conf.split` / `conf.destination` for legacy service `service`.
pub fn traffic_route_backends(
    split: &[TrafficSplit],
    destination: Option<&Tags>,
    service: &str,
    mesh: &MeshIndex,
) -> Vec<Backend> {
    let one;
    let entries: Vec<(u32, &Tags)> = if !split.is_empty() {
        split.iter().map(|s| (s.weight, &s.destination)).collect()
    } else {
        one = destination.cloned().unwrap_or_default();
        vec![(1, &one)]
    };
    let mut out: Vec<Backend> = entries
        .into_iter()
        .map(|(weight, tags)| {
            let name = match tags.get(keys::SERVICE).map(String::as_str) {
                None | Some("*") => service.to_string(),
                Some(s) => s.to_string(),
            };
            let rest: Tags = tags
                .iter()
                .filter(|(k, _)| *k != keys::SERVICE)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let resolved = mesh.service_exists(&name, (!rest.is_empty()).then_some(&rest));
            Backend {
                kind: "service".into(),
                name: name.clone(),
                namespace: None,
                port: None,
                tags: rest,
                weight,
                share: 0.0,
                resolved,
                how: format!("TrafficRoute destination kuma.io/service={name}"),
            }
        })
        .collect();
    let total: u64 = out.iter().map(|b| b.weight as u64).sum();
    for b in &mut out {
        b.share = if total == 0 {
            0.0
        } else {
            b.weight as f64 / total as f64
        };
    }
    out
}
