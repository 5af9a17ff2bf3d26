//! Zones of Git-authored resources (`report-contract.md`, "Zones and Git-authored
//! resources").
//!
//! A zone control plane labels every resource created in it with `kuma.io/zone`
//! (`ComputeLabels`, `pkg/core/resources/model/resource.go@v2.13.0`), and Kuma's lookups
//! by name compare that zone exactly (`kri.FromResourceMeta`, `TargetRefToKRI`). Files a
//! person wrote lack the label while exported Dataplanes and MeshServices carry it, so
//! a route by name would match nothing. A resource without the label belongs to the
//! input's **local zone**: the one given (`--zone`), else the one zone the labelled
//! resources share, else none.

use crate::model::{Code, Finding, ResourceKind, Severity, Snapshot};
use std::collections::BTreeSet;

/// The local zone chosen for an input, and what to tell the user about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalZone {
    pub zone: Option<String>,
    pub findings: Vec<Finding>,
}

/// Kinds that live in one zone. `Mesh` and `MeshMultiZoneService` are global
/// resources, and the legacy kinds take no part in KRI lookups.
fn zonal(kind: ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::Dataplane
            | ResourceKind::MeshService
            | ResourceKind::MeshExternalService
            | ResourceKind::MeshGateway
            | ResourceKind::MeshTCPRoute
            | ResourceKind::MeshHTTPRoute
    )
}

/// Choose the local zone of `snapshot`: `explicit` when given, else the one zone its
/// zone-labelled resources share.
pub fn local_zone(snapshot: &Snapshot, explicit: Option<&str>) -> LocalZone {
    let mut zones = BTreeSet::new();
    let mut unlabelled = 0usize;
    for r in snapshot.resources.iter().filter(|r| zonal(r.meta.kind)) {
        match r.meta.zone() {
            Some(z) => {
                zones.insert(z);
            }
            None => unlabelled += 1,
        }
    }
    let resources = |n: usize| {
        if n == 1 {
            "1 resource".to_string()
        } else {
            format!("{n} resources")
        }
    };
    if let Some(z) = explicit.filter(|z| !z.is_empty()) {
        let findings = if unlabelled > 0 {
            vec![Finding::new(
                Code::ZoneAssumed,
                format!(
                    "{} without a kuma.io/zone label are placed in zone `{z}` (--zone), as the zone \
                     control plane they are applied to would label them",
                    resources(unlabelled)
                ),
            )]
        } else {
            vec![]
        };
        return LocalZone {
            zone: Some(z.to_string()),
            findings,
        };
    }
    if unlabelled == 0 || zones.is_empty() {
        return LocalZone::default();
    }
    if zones.len() == 1 {
        let z = *zones.first().expect("one zone");
        return LocalZone {
            zone: Some(z.to_string()),
            findings: vec![Finding::new(
                Code::ZoneAssumed,
                format!(
                    "{} without a kuma.io/zone label (as files written by hand have none) are placed in zone \
                     `{z}`, the one zone of the input's zone-labelled resources, as that zone's control \
                     plane would label them; use --zone NAME to choose another",
                    resources(unlabelled)
                ),
            )],
        };
    }
    let list: Vec<&str> = zones.into_iter().collect();
    LocalZone {
        zone: None,
        findings: vec![
            Finding::new(
                Code::ZoneAssumed,
                format!(
                    "{} no kuma.io/zone label while others belong to zones {}: pass --zone NAME to say \
                     which zone they were applied to; until then they only match resources without a zone, \
                     and routes by name to zone-labelled services match nothing",
                    if unlabelled == 1 {
                        "1 resource has".to_string()
                    } else {
                        format!("{unlabelled} resources have")
                    },
                    list.join(", ")
                ),
            )
            .with_severity(Severity::Warning),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Body, Format, Meta, Origin, Resource, RouteSpec, Tags};

    fn res(kind: ResourceKind, name: &str, zone: Option<&str>) -> Resource {
        let mut labels = Tags::new();
        if let Some(z) = zone {
            labels.insert("kuma.io/zone".into(), z.into());
        }
        Resource {
            meta: Meta {
                kind,
                name: name.into(),
                namespace: None,
                mesh: "default".into(),
                labels,
                format: Format::Universal,
                origin: Origin::file("f.yaml", 1),
                created: None,
            },
            body: Body::Route(RouteSpec::default()),
        }
    }

    #[test]
    fn the_one_zone_of_labelled_resources_is_the_local_zone() {
        let s = Snapshot::new(vec![
            res(ResourceKind::MeshService, "backend", Some("zone-1")),
            res(ResourceKind::Dataplane, "web-1", Some("zone-1")),
            res(ResourceKind::MeshTCPRoute, "split", None),
        ]);
        let z = local_zone(&s, None);
        assert_eq!(z.zone.as_deref(), Some("zone-1"));
        assert_eq!(z.findings.len(), 1);
        assert_eq!(z.findings[0].code, Code::ZoneAssumed);
        assert_eq!(z.findings[0].severity, Severity::Info);
        assert!(
            z.findings[0].message.contains("1 resource without"),
            "{}",
            z.findings[0].message
        );
    }

    #[test]
    fn an_explicit_zone_wins_and_several_zones_ask_for_one() {
        let s = Snapshot::new(vec![
            res(ResourceKind::MeshService, "a", Some("zone-1")),
            res(ResourceKind::MeshService, "b", Some("zone-2")),
            res(ResourceKind::MeshTCPRoute, "split", None),
        ]);
        let z = local_zone(&s, None);
        assert_eq!(z.zone, None);
        assert_eq!(z.findings[0].severity, Severity::Warning);
        assert!(z.findings[0].message.contains("--zone"));
        let z = local_zone(&s, Some("zone-2"));
        assert_eq!(z.zone.as_deref(), Some("zone-2"));
        assert_eq!(z.findings[0].severity, Severity::Info);
    }

    #[test]
    fn nothing_is_assumed_without_labels_or_without_unlabelled_resources() {
        let none = Snapshot::new(vec![res(ResourceKind::MeshTCPRoute, "split", None)]);
        assert_eq!(local_zone(&none, None), LocalZone::default());
        let all = Snapshot::new(vec![res(ResourceKind::MeshService, "a", Some("z"))]);
        assert_eq!(local_zone(&all, None), LocalZone::default());
        // Global kinds do not count as unlabelled.
        let global = Snapshot::new(vec![
            res(ResourceKind::MeshService, "a", Some("z")),
            res(ResourceKind::Mesh, "default", None),
            res(ResourceKind::MeshMultiZoneService, "m", None),
        ]);
        assert_eq!(local_zone(&global, None), LocalZone::default());
    }
}
