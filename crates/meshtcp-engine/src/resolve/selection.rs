//! §3: which proxies a policy's top-level `targetRef` selects, and the policy role
//! (§1.1) that decides the namespace pre-filter and a precedence key.

use super::version::{Bucket, Feature, KumaVersion};
use crate::model::TargetKind;
use crate::model::{
    DataplaneSpec, Format, Meta, ProxyType, RouteSpec, SYSTEM_NAMESPACE, Tags, TargetRef, keys,
};

/// `kuma.io/policy-role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    System,
    Producer,
    Consumer,
    WorkloadOwner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Producer => "producer",
            Role::Consumer => "consumer",
            Role::WorkloadOwner => "workload-owner",
        }
    }

    pub fn rank(self) -> i64 {
        self as i64
    }

    fn parse(s: &str) -> Option<Role> {
        match s {
            "system" => Some(Role::System),
            "producer" => Some(Role::Producer),
            "consumer" => Some(Role::Consumer),
            "workload-owner" => Some(Role::WorkloadOwner),
            _ => None,
        }
    }
}

/// The role of a policy for `version`: `Ok(None)` where the version has no roles (before
/// 2.8), `Err` for a Kubernetes policy mixing producer and consumer `to[]` items (2.9+).
pub fn policy_role(
    meta: &Meta,
    spec: &RouteSpec,
    version: KumaVersion,
) -> Result<Option<Role>, String> {
    if !version.has(Feature::PolicyRoles) {
        return Ok(None);
    }
    if let Some(r) = meta
        .labels
        .get(keys::POLICY_ROLE)
        .and_then(|r| Role::parse(r))
    {
        return Ok(Some(r));
    }
    let ns = meta.namespace.as_deref();
    if meta.format == Format::Universal || ns.is_none() || ns == Some(SYSTEM_NAMESPACE) {
        return Ok(Some(Role::System));
    }
    if version.bucket() == Bucket::B {
        // 2.8: a `to` policy outside the system namespace is always a consumer.
        return Ok(Some(Role::Consumer));
    }
    let to = spec.to.as_deref().unwrap_or_default();
    if to.is_empty() {
        return Ok(Some(Role::WorkloadOwner));
    }
    let is_producer_item = |t: &TargetRef| {
        matches!(
            t.kind(),
            TargetKind::MeshService | TargetKind::MeshHTTPRoute
        ) && t.name.is_some()
            && t.namespace
                .as_deref()
                .is_none_or(|n| n.is_empty() || Some(n) == ns)
    };
    let producers = to
        .iter()
        .filter(|t| t.target_ref.as_ref().is_some_and(is_producer_item))
        .count();
    match producers {
        0 => Ok(Some(Role::Consumer)),
        n if n == to.len() => Ok(Some(Role::Producer)),
        _ => Err("mixes producer `to[]` items (MeshService in the policy's own namespace) with consumer ones; \
                  the control plane rejects it"
            .into()),
    }
}

/// Does `selector` (values may be `*`) match `tags`?
pub fn tags_match(selector: &Tags, tags: &Tags) -> bool {
    selector
        .iter()
        .all(|(k, v)| tags.get(k).is_some_and(|t| v == "*" || t == v))
}

/// How specific a selector match is: (exact tags, wildcard tags). `None` when no match.
pub fn match_rank(selector: &Tags, tags: &Tags) -> Option<(usize, usize)> {
    if !tags_match(selector, tags) {
        return None;
    }
    let wild = selector.values().filter(|v| *v == "*").count();
    Some((selector.len() - wild, wild))
}

/// What a proxy offers to selectors, computed once per proxy.
pub struct ProxyView<'a> {
    pub meta: &'a Meta,
    pub spec: &'a DataplaneSpec,
    pub proxy_type: ProxyType,
    /// Inbound tag sets (sidecars) or the gateway's tags (delegated gateways).
    pub tag_sets: Vec<&'a Tags>,
    /// Builtin gateway: its MeshGateway's name and each listener's merged tags.
    pub gateway: Option<(&'a str, Vec<Tags>)>,
}

impl ProxyView<'_> {
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.tag_sets
            .iter()
            .filter_map(|t| t.get(keys::SERVICE).map(String::as_str))
    }

    fn is_gateway(&self) -> bool {
        self.proxy_type != ProxyType::Sidecar
    }

    fn proxy_types_ok(&self, t: &TargetRef) -> bool {
        match &t.proxy_types {
            None => true,
            Some(list) => list.iter().any(|p| match p.as_str() {
                "Sidecar" => !self.is_gateway(),
                "Gateway" => self.is_gateway(),
                _ => false,
            }),
        }
    }

    /// Whether a MeshSubset-like selector matches one of the tag sets it is matched
    /// against: the listeners' of a builtin gateway, the proxy's own otherwise.
    fn any_selectable(&self, selector: &Tags) -> bool {
        match &self.gateway {
            Some((_, listeners)) => listeners.iter().any(|l| tags_match(selector, l)),
            None => self.tag_sets.iter().any(|s| tags_match(selector, s)),
        }
    }
}

/// Pre-filters of 2.9+ (namespace for consumer roles, zone for zone-origin policies).
pub fn prefilter(meta: &Meta, role: Option<Role>, proxy: &ProxyView, version: KumaVersion) -> bool {
    if !version.has(Feature::SelectionPrefilters) {
        return true;
    }
    if matches!(role, Some(Role::Consumer | Role::WorkloadOwner))
        && meta.format == crate::model::Format::Kubernetes
        && meta.namespace.as_deref() != proxy.meta.kri_namespace()
    {
        return false;
    }
    if role != Some(Role::Producer)
        && meta.policy_origin() == Some("zone")
        && let Some(z) = meta.zone()
        && proxy.meta.zone().is_some_and(|pz| pz != z)
    {
        return false;
    }
    true
}

/// Does the top-level targetRef `t` (already defaulted) select this proxy?
/// `policy_ns` is the policy's namespace (the default for `Dataplane` refs).
pub fn selects(
    t: &TargetRef,
    policy_ns: Option<&str>,
    proxy: &ProxyView,
    version: KumaVersion,
) -> bool {
    let empty = Tags::new();
    match t.kind() {
        TargetKind::Mesh => proxy.proxy_types_ok(t),
        TargetKind::MeshSubset => {
            let tags = t.tags.as_ref().unwrap_or(&empty);
            proxy.proxy_types_ok(t) && proxy.any_selectable(tags)
        }
        TargetKind::MeshService | TargetKind::MeshServiceSubset => {
            let Some(name) = &t.name else { return false };
            let subset = if t.kind() == TargetKind::MeshServiceSubset {
                t.tags.as_ref()
            } else {
                None
            };
            proxy.tag_sets.iter().any(|s| {
                s.get(keys::SERVICE) == Some(name) && subset.is_none_or(|tags| tags_match(tags, s))
            })
        }
        TargetKind::MeshGateway => {
            if !version.has(Feature::MeshGatewayTarget) {
                return false;
            }
            let Some((gw, listeners)) = &proxy.gateway else {
                return false;
            };
            if t.name.as_deref() != Some(*gw) {
                return false;
            }
            match &t.tags {
                Some(tags) if !tags.is_empty() => listeners.iter().any(|l| tags_match(tags, l)),
                _ => true,
            }
        }
        TargetKind::Dataplane => {
            if proxy.proxy_type == ProxyType::BuiltinGateway {
                return false;
            }
            if let Some(name) = &t.name {
                let ns = t.namespace.as_deref().or(policy_ns);
                name == proxy.meta.display_name()
                    && (ns.is_none() || ns == proxy.meta.kri_namespace())
            } else if let Some(labels) = &t.labels {
                tags_match(labels, &proxy.meta.labels)
            } else {
                true
            }
        }
        _ => false,
    }
}

/// For a builtin gateway listener (merged tags), does the top-level ref cover it?
pub fn selects_listener(t: &TargetRef, listener_tags: &Tags) -> bool {
    match t.kind() {
        TargetKind::Mesh => true,
        TargetKind::MeshGateway => t
            .tags
            .as_ref()
            .is_none_or(|tags| tags_match(tags, listener_tags)),
        TargetKind::MeshSubset => t
            .tags
            .as_ref()
            .is_none_or(|tags| tags_match(tags, listener_tags)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(p: &[(&str, &str)]) -> Tags {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn wildcard_and_exact_tag_match() {
        let t = tags(&[("kuma.io/service", "web"), ("version", "v1")]);
        assert!(tags_match(&tags(&[("kuma.io/service", "*")]), &t));
        assert!(tags_match(&tags(&[("version", "v1")]), &t));
        assert!(!tags_match(&tags(&[("version", "v2")]), &t));
        assert!(!tags_match(&tags(&[("zone", "*")]), &t));
        assert_eq!(
            match_rank(&tags(&[("kuma.io/service", "web"), ("version", "*")]), &t),
            Some((1, 1))
        );
    }
}
