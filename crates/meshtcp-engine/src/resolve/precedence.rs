//! §5.1: the order of route policies, per version bucket. Lowest first; the last wins.
//!
//! A [`SortKey`] keeps every component with a printable form, so the report and
//! `explain` can show the keys that placed a policy and name the one that decided.

use super::selection::Role;
use super::version::{Bucket, KumaVersion};
use crate::model::TargetKind;
use crate::model::{Meta, TargetRef};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rank {
    Num(i64),
    /// Ascending: the greatest string sorts last (wins). Kuma ≤2.5.
    Asc(String),
    /// Descending: the smallest string sorts last (wins). Kuma 2.6+.
    Desc(String),
}

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Rank::Num(a), Rank::Num(b)) => a.cmp(b),
            (Rank::Asc(a), Rank::Asc(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Rank::Desc(a), Rank::Desc(b)) => b.as_bytes().cmp(a.as_bytes()),
            // Keys of one bucket always line up; this arm only keeps Ord total.
            (a, b) => a.discriminant().cmp(&b.discriminant()),
        }
    }
}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Rank {
    fn discriminant(&self) -> u8 {
        match self {
            Rank::Num(_) => 0,
            Rank::Asc(_) => 1,
            Rank::Desc(_) => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPart {
    pub name: &'static str,
    pub rank: Rank,
    pub shown: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SortKey(pub Vec<KeyPart>);

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            match a.rank.cmp(&b.rank) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SortKey {
    /// `kind Mesh(1)`, `name alpha`, … for display.
    pub fn describe(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|p| super::route::cat(&[p.name, " ", &p.shown]))
            .collect()
    }

    /// The first key on which `winner` (higher) beats `self`, in words.
    pub fn decided_by(&self, winner: &SortKey) -> Option<String> {
        self.decided_by_parts(winner)
            .map(|parts| super::route::cat(&parts))
    }

    /// [`SortKey::decided_by`] as pieces to join, so that a sentence around it is built
    /// in one allocation (the name rule decides most replaced rows of a large mesh).
    pub fn decided_by_parts<'k>(&'k self, winner: &'k SortKey) -> Option<[&'k str; 5]> {
        let (lo, hi) = self
            .0
            .iter()
            .zip(&winner.0)
            .find(|(lo, hi)| lo.rank != hi.rank)?;
        let (lo_s, hi_s) = (lo.shown.as_str(), hi.shown.as_str());
        Some(match (&lo.rank, lo.name) {
            (_, "store order") => [
                "store order: on builtin-gateway listeners Kuma merges policies by name, without the targetRef \
                 specificity sort, and `",
                hi_s,
                "` comes after `",
                lo_s,
                "`",
            ],
            (Rank::Desc(_), _) => [
                "name: `",
                hi_s,
                "` sorts before `",
                lo_s,
                "`, and from Kuma 2.6 the alphabetically smaller name wins",
            ],
            (Rank::Asc(_), _) => [
                "name: `",
                hi_s,
                "` sorts after `",
                lo_s,
                "`, and up to Kuma 2.5 the alphabetically greater name wins",
            ],
            _ => [lo.name, ": ", hi_s, " beats ", lo_s],
        })
    }
}

/// Which comparator: the legacy (per-proxy) path, the real-resource path (adds the
/// `to[]` kind and section keys), or a builtin gateway listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path<'a> {
    Legacy,
    Real(&'a TargetRef),
    Gateway,
}

/// Specificity of a top-level kind (`api/common/v1alpha1/targetref.go`).
pub fn kind_rank(kind: TargetKind, bucket: Bucket) -> i64 {
    if bucket == Bucket::A {
        return match kind {
            TargetKind::Mesh => 1,
            TargetKind::MeshSubset => 2,
            TargetKind::MeshGateway => 3,
            TargetKind::MeshService => 4,
            TargetKind::MeshServiceSubset => 5,
            _ => 0,
        };
    }
    match kind {
        TargetKind::Mesh => 1,
        TargetKind::Dataplane => 2,
        TargetKind::MeshSubset => 3,
        TargetKind::MeshGateway => 4,
        TargetKind::MeshService => 5,
        TargetKind::MeshExternalService => 6,
        TargetKind::MeshMultiZoneService => 7,
        TargetKind::MeshServiceSubset => 8,
        TargetKind::MeshHTTPRoute => 9,
        _ => 0,
    }
}

fn origin_rank(meta: &Meta) -> (i64, &'static str) {
    match meta.policy_origin() {
        Some("global") => (0, "global"),
        Some("zone") => (2, "zone"),
        _ => (1, "unknown"),
    }
}

/// The sort key of a policy with top-level ref `top` (defaulted) and `role`.
pub fn sort_key(
    meta: &Meta,
    top: &TargetRef,
    role: Option<Role>,
    path: Path,
    version: KumaVersion,
) -> SortKey {
    let bucket = version.bucket();
    if path == Path::Gateway {
        // Builtin-gateway listeners: Kuma merges the matched policies in store listing
        // order (mesh, then name) and never applies the specificity sort
        // (`MatchedPolicies`, `matchers/dataplane.go@v2.14.3`; `BuildGatewayRules`).
        let store_name = match &meta.namespace {
            Some(ns) => format!("{}.{ns}", meta.name),
            None => meta.name.clone(),
        };
        return SortKey(vec![KeyPart {
            name: "store order",
            rank: Rank::Asc(store_name.clone()),
            shown: store_name,
        }]);
    }
    let mut parts = Vec::with_capacity(8);
    let kind = top.kind_name();
    let kr = kind_rank(top.kind(), bucket);
    parts.push(KeyPart {
        name: "kind",
        rank: Rank::Num(kr),
        shown: format!("{kind}({kr})"),
    });
    let name = meta.display_name().to_string();
    if bucket == Bucket::A {
        parts.push(KeyPart {
            name: "name",
            rank: Rank::Asc(name.clone()),
            shown: name,
        });
        return SortKey(parts);
    }
    if bucket == Bucket::D && top.kind() == TargetKind::Dataplane {
        let (r, s) = if top.name.is_some() {
            (1, "by name")
        } else {
            (0, "by labels/all")
        };
        parts.push(KeyPart {
            name: "dataplane ref",
            rank: Rank::Num(r),
            shown: s.into(),
        });
        let sec = top.section_name.is_some() as i64;
        parts.push(KeyPart {
            name: "dataplane section",
            rank: Rank::Num(sec),
            shown: if sec == 1 {
                "set".into()
            } else {
                "none".into()
            },
        });
    }
    let (o, os) = origin_rank(meta);
    parts.push(KeyPart {
        name: "origin",
        rank: Rank::Num(o),
        shown: os.into(),
    });
    if !matches!(path, Path::Real(_)) && top.kind() == TargetKind::MeshGateway {
        let n = top.tags.as_ref().map_or(0, |t| t.len()) as i64;
        parts.push(KeyPart {
            name: "gateway tags",
            rank: Rank::Num(n),
            shown: format!("{n}"),
        });
    }
    if let Some(r) = role {
        parts.push(KeyPart {
            name: "role",
            rank: Rank::Num(r.rank()),
            shown: r.as_str().into(),
        });
    }
    if let Path::Real(to) = path {
        let tk = kind_rank(to.kind(), bucket);
        parts.push(KeyPart {
            name: "to kind",
            rank: Rank::Num(tk),
            shown: format!("{}({tk})", to.kind_name()),
        });
        let sec = to.section_name.is_some() as i64;
        parts.push(KeyPart {
            name: "to section",
            rank: Rank::Num(sec),
            shown: to.section_name.clone().unwrap_or_else(|| "none".into()),
        });
    }
    parts.push(KeyPart {
        name: "name",
        rank: Rank::Desc(name.clone()),
        shown: name,
    });
    // Kept for the whole run, one or more per policy: no spare room.
    parts.shrink_to_fit();
    SortKey(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Format, Origin, ResourceKind, Tags};

    fn meta(name: &str) -> Meta {
        Meta {
            kind: ResourceKind::MeshTCPRoute,
            name: name.into(),
            namespace: None,
            mesh: "default".into(),
            labels: Tags::new(),
            format: Format::Universal,
            origin: Origin::file("x.yaml", 1),
            created: None,
        }
    }

    fn mesh_ref() -> TargetRef {
        TargetRef {
            kind: Some("Mesh".into()),
            ..Default::default()
        }
    }

    #[test]
    fn name_rule_flips_between_2_5_and_2_6() {
        let v25 = KumaVersion::new(2, 5);
        let v26 = KumaVersion::new(2, 6);
        let a25 = sort_key(&meta("alpha"), &mesh_ref(), None, Path::Legacy, v25);
        let b25 = sort_key(&meta("beta"), &mesh_ref(), None, Path::Legacy, v25);
        assert!(a25 < b25, "2.5: beta sorts last and wins");
        let a26 = sort_key(&meta("alpha"), &mesh_ref(), None, Path::Legacy, v26);
        let b26 = sort_key(&meta("beta"), &mesh_ref(), None, Path::Legacy, v26);
        assert!(b26 < a26, "2.6: alpha sorts last and wins");
    }

    #[test]
    fn kind_beats_name_and_origin_beats_role() {
        let v = KumaVersion::new(2, 13);
        let dp = TargetRef {
            kind: Some("Dataplane".into()),
            ..Default::default()
        };
        let mesh_a = sort_key(&meta("a"), &mesh_ref(), Some(Role::System), Path::Legacy, v);
        let dp_z = sort_key(&meta("z"), &dp, Some(Role::System), Path::Legacy, v);
        assert!(mesh_a < dp_z);
        let mut zone = meta("z");
        zone.labels.insert("kuma.io/origin".into(), "zone".into());
        let consumer = sort_key(
            &meta("a"),
            &mesh_ref(),
            Some(Role::Consumer),
            Path::Legacy,
            v,
        );
        let zone_sys = sort_key(&zone, &mesh_ref(), Some(Role::System), Path::Legacy, v);
        assert!(consumer < zone_sys, "origin is compared before role");
    }

    #[test]
    fn dataplane_name_beats_labels_only_in_2_10_plus() {
        let v = KumaVersion::new(2, 10);
        let by_name = TargetRef {
            kind: Some("Dataplane".into()),
            name: Some("web-1".into()),
            ..Default::default()
        };
        let by_labels = TargetRef {
            kind: Some("Dataplane".into()),
            labels: Some([("app".to_string(), "web".to_string())].into()),
            ..Default::default()
        };
        let n = sort_key(&meta("z"), &by_name, None, Path::Legacy, v);
        let l = sort_key(&meta("a"), &by_labels, None, Path::Legacy, v);
        assert!(l < n);
        assert!(l.decided_by(&n).unwrap().contains("dataplane ref"));
    }
}
