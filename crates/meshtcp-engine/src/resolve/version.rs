//! Kuma versions and the behaviour buckets of `kuma-semantics.md`.

use std::fmt;
use std::str::FromStr;

/// A Kuma 2.x release line (`2.3` … `2.14`). Passed into the engine, never global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KumaVersion {
    pub major: u32,
    pub minor: u32,
}

/// A = 2.3–2.5, B = 2.6–2.8, C = 2.9, D = 2.10–2.14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    A,
    B,
    C,
    D,
}

impl KumaVersion {
    pub const OLDEST: KumaVersion = KumaVersion::new(2, 3);
    pub const NEWEST: KumaVersion = KumaVersion::new(2, 14);
    pub const DEFAULT: KumaVersion = Self::NEWEST;

    pub const fn new(major: u32, minor: u32) -> Self {
        KumaVersion { major, minor }
    }

    pub fn bucket(self) -> Bucket {
        match self.minor {
            0..=5 => Bucket::A,
            6..=8 => Bucket::B,
            9 => Bucket::C,
            _ => Bucket::D,
        }
    }

    /// Whether this release line has `feature` (every version gate of the engine asks
    /// this; the table is `Feature::since`).
    pub fn has(self, feature: Feature) -> bool {
        self >= feature.since()
    }

    /// Every supported release line, oldest first.
    pub fn all() -> impl Iterator<Item = KumaVersion> {
        (Self::OLDEST.minor..=Self::NEWEST.minor).map(|m| KumaVersion::new(2, m))
    }
}

/// Every behaviour of the engine that starts at one Kuma release line, with the release
/// it starts at: the one table of version gates (`KumaVersion::has`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// A top-level MeshGateway targetRef, and routes on builtin gateway listeners.
    MeshGatewayTarget,
    /// `tags` on a top-level MeshGateway targetRef.
    GatewayTagsAtTop,
    /// Policy roles (`kuma.io/policy-role`): a top-level MeshGateway only in system
    /// policies.
    PolicyRoles,
    /// MeshExternalService in `to[]` and in backendRefs.
    MeshExternalService,
    /// Real MeshService and MeshMultiZoneService resources: outbounds from their VIPs
    /// (which replace explicit ones), backendRefs by `port` or `sectionName`, Dataplane
    /// `backendRef` outbounds.
    RealResources,
    /// MeshMultiZoneService in `to[]` and in backendRefs.
    MeshMultiZoneService,
    /// The producer role, and the namespace and zone pre-filters of selection.
    SelectionPrefilters,
    /// A policy without a top-level targetRef means the whole mesh.
    OptionalTopTargetRef,
    /// A policy mixing producer and consumer `to[]` items is refused.
    MixedRolesRefused,
    /// A top-level Dataplane targetRef.
    DataplaneTarget,
    /// `name_namespace_svc_port` names a MeshService port.
    KubernetesServicePortNames,
    /// The control plane's `_rules` name MeshService outbounds by KRI in Exclusive mode.
    KriOutboundRules,
}

impl Feature {
    /// The first release line that has this feature.
    pub const fn since(self) -> KumaVersion {
        let minor = match self {
            Feature::MeshGatewayTarget => 6,
            Feature::GatewayTagsAtTop => 7,
            Feature::PolicyRoles | Feature::MeshExternalService => 8,
            Feature::RealResources
            | Feature::MeshMultiZoneService
            | Feature::SelectionPrefilters
            | Feature::OptionalTopTargetRef
            | Feature::MixedRolesRefused => 9,
            Feature::DataplaneTarget | Feature::KubernetesServicePortNames => 10,
            Feature::KriOutboundRules => 12,
        };
        KumaVersion::new(2, minor)
    }
}

impl fmt::Display for KumaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported Kuma version `{0}`: meshtcp models 2.3 to 2.14 (write it as 2.9, 2.9.3 or v2.9.3)"
)]
pub struct VersionError(pub String);

impl FromStr for KumaVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError(s.to_string());
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split(['.', '-']);
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(err)?;
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(err)?;
        if let Some(patch) = parts.next()
            && patch.parse::<u32>().is_err()
            && !patch.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(err());
        }
        let v = KumaVersion::new(major, minor);
        if v < Self::OLDEST || v > Self::NEWEST {
            return Err(err());
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_buckets() {
        assert_eq!("2.9".parse::<KumaVersion>().unwrap().bucket(), Bucket::C);
        assert_eq!(
            "v2.13.1".parse::<KumaVersion>().unwrap(),
            KumaVersion::new(2, 13)
        );
        assert_eq!("2.5.2".parse::<KumaVersion>().unwrap().bucket(), Bucket::A);
        assert_eq!("2.6".parse::<KumaVersion>().unwrap().bucket(), Bucket::B);
        assert_eq!("2.10".parse::<KumaVersion>().unwrap().bucket(), Bucket::D);
        assert!("3.0".parse::<KumaVersion>().is_err());
        assert!("2.2".parse::<KumaVersion>().is_err());
        assert!("two".parse::<KumaVersion>().is_err());
        assert_eq!(KumaVersion::all().count(), 12);
    }

    #[test]
    fn a_feature_starts_at_its_release_line_and_stays() {
        use Feature::*;
        for (f, minor) in [
            (MeshGatewayTarget, 6),
            (GatewayTagsAtTop, 7),
            (PolicyRoles, 8),
            (MeshExternalService, 8),
            (RealResources, 9),
            (SelectionPrefilters, 9),
            (OptionalTopTargetRef, 9),
            (DataplaneTarget, 10),
            (KubernetesServicePortNames, 10),
            (KriOutboundRules, 12),
        ] {
            for v in KumaVersion::all() {
                assert_eq!(v.has(f), v.minor >= minor, "{f:?} at {v}");
            }
        }
    }
}
