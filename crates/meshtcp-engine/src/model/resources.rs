//! Typed bodies of the resource kinds meshtcp models. Field names follow Kuma's
//! (camelCase) so that they deserialize straight from either envelope's body.

use super::{Meta, Tags};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every kind meshtcp reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ResourceKind {
    Mesh,
    Dataplane,
    MeshService,
    MeshExternalService,
    MeshMultiZoneService,
    MeshGateway,
    MeshTCPRoute,
    MeshHTTPRoute,
    TrafficRoute,
    ExternalService,
    Retry,
    Timeout,
    TrafficLog,
    CircuitBreaker,
    HealthCheck,
    FaultInjection,
    RateLimit,
    TrafficTrace,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 18] = [
        ResourceKind::Mesh,
        ResourceKind::Dataplane,
        ResourceKind::MeshService,
        ResourceKind::MeshExternalService,
        ResourceKind::MeshMultiZoneService,
        ResourceKind::MeshGateway,
        ResourceKind::MeshTCPRoute,
        ResourceKind::MeshHTTPRoute,
        ResourceKind::TrafficRoute,
        ResourceKind::ExternalService,
        ResourceKind::Retry,
        ResourceKind::Timeout,
        ResourceKind::TrafficLog,
        ResourceKind::CircuitBreaker,
        ResourceKind::HealthCheck,
        ResourceKind::FaultInjection,
        ResourceKind::RateLimit,
        ResourceKind::TrafficTrace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Mesh => "Mesh",
            ResourceKind::Dataplane => "Dataplane",
            ResourceKind::MeshService => "MeshService",
            ResourceKind::MeshExternalService => "MeshExternalService",
            ResourceKind::MeshMultiZoneService => "MeshMultiZoneService",
            ResourceKind::MeshGateway => "MeshGateway",
            ResourceKind::MeshTCPRoute => "MeshTCPRoute",
            ResourceKind::MeshHTTPRoute => "MeshHTTPRoute",
            ResourceKind::TrafficRoute => "TrafficRoute",
            ResourceKind::ExternalService => "ExternalService",
            ResourceKind::Retry => "Retry",
            ResourceKind::Timeout => "Timeout",
            ResourceKind::TrafficLog => "TrafficLog",
            ResourceKind::CircuitBreaker => "CircuitBreaker",
            ResourceKind::HealthCheck => "HealthCheck",
            ResourceKind::FaultInjection => "FaultInjection",
            ResourceKind::RateLimit => "RateLimit",
            ResourceKind::TrafficTrace => "TrafficTrace",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Plural resource name used by the Kubernetes API (`meshtcproutes`).
    pub fn plural(self) -> String {
        let lower = self.as_str().to_ascii_lowercase();
        match self {
            ResourceKind::Mesh => "meshes".into(),
            ResourceKind::MeshGateway => "meshgateways".into(),
            ResourceKind::ExternalService => "externalservices".into(),
            ResourceKind::Retry => "retries".into(),
            _ if lower.ends_with('s') => format!("{lower}es"),
            _ => format!("{lower}s"),
        }
    }

    /// The legacy (tag-selector) policies, whose effect depends on TrafficRoute.
    pub fn is_legacy_policy(self) -> bool {
        matches!(
            self,
            ResourceKind::Retry
                | ResourceKind::Timeout
                | ResourceKind::TrafficLog
                | ResourceKind::CircuitBreaker
                | ResourceKind::HealthCheck
                | ResourceKind::FaultInjection
                | ResourceKind::RateLimit
                | ResourceKind::TrafficTrace
        )
    }

    /// Where the body lives in a Universal document (§1.1): the new-style resources keep
    /// it under `spec`, the old ones at top level.
    pub fn universal_body_in_spec(self) -> bool {
        matches!(
            self,
            ResourceKind::MeshTCPRoute
                | ResourceKind::MeshHTTPRoute
                | ResourceKind::MeshService
                | ResourceKind::MeshExternalService
                | ResourceKind::MeshMultiZoneService
        )
    }

    /// Kubernetes: new-style resources are namespaced and take their mesh from the
    /// `kuma.io/mesh` label; the others use the top-level `mesh` field.
    pub fn k8s_mesh_from_label(self) -> bool {
        self.universal_body_in_spec()
    }

    /// Kubernetes: cluster-scoped kinds (Mesh, MeshGateway, legacy policies, ExternalService).
    pub fn k8s_cluster_scoped(self) -> bool {
        !matches!(
            self,
            ResourceKind::Dataplane
                | ResourceKind::MeshTCPRoute
                | ResourceKind::MeshHTTPRoute
                | ResourceKind::MeshService
                | ResourceKind::MeshExternalService
                | ResourceKind::MeshMultiZoneService
        )
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub meta: Meta,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Mesh(MeshSpec),
    Dataplane(DataplaneSpec),
    MeshService(MeshServiceSpec),
    MeshExternalService(MeshExternalServiceSpec),
    MeshMultiZoneService(MeshMultiZoneServiceSpec),
    MeshGateway(MeshGatewaySpec),
    /// MeshTCPRoute and MeshHTTPRoute share their shape.
    Route(RouteSpec),
    TrafficRoute(TrafficRouteSpec),
    ExternalService(ExternalServiceSpec),
    Legacy(LegacyPolicySpec),
}

// ---------------------------------------------------------------- Mesh

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshSpec {
    #[serde(default)]
    pub mesh_services: Option<MeshServicesConf>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshServicesConf {
    #[serde(default)]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MeshServicesMode {
    Disabled,
    Everywhere,
    ReachableBackends,
    Exclusive,
}

impl MeshSpec {
    pub fn mode(&self) -> MeshServicesMode {
        match self
            .mesh_services
            .as_ref()
            .and_then(|m| m.mode.as_deref())
            .unwrap_or("Disabled")
        {
            "Everywhere" => MeshServicesMode::Everywhere,
            "ReachableBackends" => MeshServicesMode::ReachableBackends,
            "Exclusive" => MeshServicesMode::Exclusive,
            _ => MeshServicesMode::Disabled,
        }
    }
}

// ---------------------------------------------------------------- Dataplane

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataplaneSpec {
    #[serde(default)]
    pub networking: Networking,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Networking {
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub inbound: Vec<Inbound>,
    #[serde(default)]
    pub outbound: Vec<OutboundDecl>,
    #[serde(default)]
    pub gateway: Option<GatewayDecl>,
    #[serde(default)]
    pub transparent_proxying: Option<TransparentProxying>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inbound {
    #[serde(default)]
    pub port: Option<u32>,
    #[serde(default)]
    pub service_port: Option<u32>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundDecl {
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub port: u32,
    #[serde(default)]
    pub tags: Option<Tags>,
    /// Deprecated form of `tags: {kuma.io/service: …}`.
    #[serde(default)]
    pub service: Option<String>,
    /// Boxed: most outbounds have none, and a large mesh holds tens of thousands of
    /// outbounds.
    #[serde(default)]
    pub backend_ref: Option<Box<OutboundBackendRef>>,
}

impl OutboundDecl {
    /// The legacy `kuma.io/service` this outbound points at, if it is a legacy outbound.
    pub fn legacy_service(&self) -> Option<&str> {
        if self.backend_ref.is_some() {
            return None;
        }
        self.tags
            .as_ref()
            .and_then(|t| t.get(super::keys::SERVICE))
            .or(self.service.as_ref())
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundBackendRef {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub labels: Option<Tags>,
    #[serde(default)]
    pub port: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayDecl {
    #[serde(default, rename = "type")]
    pub gateway_type: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparentProxying {
    #[serde(default)]
    pub redirect_port_inbound: Option<u32>,
    #[serde(default)]
    pub redirect_port_outbound: Option<u32>,
    #[serde(default)]
    pub reachable_services: Option<Vec<String>>,
    #[serde(default)]
    pub reachable_backends: Option<ReachableBackends>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReachableBackends {
    #[serde(default)]
    pub refs: Vec<ReachableRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReachableRef {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: Option<Tags>,
    #[serde(default)]
    pub port: Option<u32>,
}

/// Sidecar or gateway, as the report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyType {
    Sidecar,
    BuiltinGateway,
    DelegatedGateway,
}

impl ProxyType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyType::Sidecar => "sidecar",
            ProxyType::BuiltinGateway => "builtin-gateway",
            ProxyType::DelegatedGateway => "delegated-gateway",
        }
    }
}

impl DataplaneSpec {
    pub fn proxy_type(&self) -> ProxyType {
        match self
            .networking
            .gateway
            .as_ref()
            .and_then(|g| g.gateway_type.as_deref())
        {
            Some(t) if t.eq_ignore_ascii_case("BUILTIN") => ProxyType::BuiltinGateway,
            Some(_) => ProxyType::DelegatedGateway,
            None if self.networking.gateway.is_some() => ProxyType::DelegatedGateway,
            None => ProxyType::Sidecar,
        }
    }

    /// Transparent proxying is on when redirect ports are set.
    pub fn transparent_proxy(&self) -> bool {
        self.networking
            .transparent_proxying
            .as_ref()
            .is_some_and(|t| {
                t.redirect_port_outbound.is_some() || t.redirect_port_inbound.is_some()
            })
    }

    /// The tag sets this proxy presents to selectors: its inbounds' tags, or its
    /// gateway tags.
    pub fn tag_sets(&self) -> Vec<&Tags> {
        let mut v: Vec<&Tags> = self.networking.inbound.iter().map(|i| &i.tags).collect();
        if let Some(g) = &self.networking.gateway {
            v.push(&g.tags);
        }
        v
    }
}

// ---------------------------------------------------------------- services

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub port: u32,
    #[serde(default)]
    pub target_port: Option<serde_json::Value>,
    #[serde(default)]
    pub app_protocol: Option<String>,
}

impl ServicePort {
    /// A port's section name: its name, or the port number (§1.2).
    pub fn section_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.port.to_string())
    }

    /// Lookup by section accepts the name or the number.
    pub fn matches_section(&self, section: &str) -> bool {
        self.name.as_deref() == Some(section) || self.port.to_string() == section
    }

    pub fn protocol(&self) -> String {
        self.app_protocol
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or("tcp")
            .to_ascii_lowercase()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vip {
    #[serde(default)]
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshServiceSpec {
    #[serde(default)]
    pub selector: Option<serde_json::Value>,
    #[serde(default)]
    pub ports: Vec<ServicePort>,
    /// From `status.vips`.
    #[serde(skip)]
    pub vips: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshExternalServiceSpec {
    #[serde(default, rename = "match")]
    pub match_: MesMatch,
    #[serde(default)]
    pub endpoints: Option<serde_json::Value>,
    /// From `status.vip.ip`.
    #[serde(skip)]
    pub vip: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MesMatch {
    #[serde(default, rename = "type")]
    pub match_type: Option<String>,
    #[serde(default)]
    pub port: u32,
    #[serde(default)]
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshMultiZoneServiceSpec {
    #[serde(default)]
    pub selector: Option<serde_json::Value>,
    #[serde(default)]
    pub ports: Vec<ServicePort>,
    #[serde(skip)]
    pub vips: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalServiceSpec {
    #[serde(default)]
    pub networking: ExternalNetworking,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalNetworking {
    #[serde(default)]
    pub address: Option<String>,
}

// ---------------------------------------------------------------- gateway

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshGatewaySpec {
    #[serde(default)]
    pub selectors: Vec<Selector>,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub conf: GatewayConf,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConf {
    #[serde(default)]
    pub listeners: Vec<GatewayListener>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayListener {
    #[serde(default)]
    pub port: u32,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

impl GatewayListener {
    pub fn protocol(&self) -> String {
        self.protocol
            .as_deref()
            .unwrap_or("HTTP")
            .to_ascii_uppercase()
    }
}

/// A tag selector (`match: {kuma.io/service: web}`); values may be `*`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    #[serde(default, rename = "match")]
    pub match_: Tags,
}

// ---------------------------------------------------------------- new policies

/// The kinds a `targetRef` or `backendRef` may name. Any other spelling is `Other` (the
/// reference keeps it as written, `kind_name`, for the messages that name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Mesh,
    MeshSubset,
    MeshService,
    MeshServiceSubset,
    MeshGateway,
    MeshExternalService,
    MeshMultiZoneService,
    MeshHTTPRoute,
    Dataplane,
    Other,
}

impl TargetKind {
    /// The kind written as `s` (case-sensitive, as Kuma reads it).
    pub fn parse(s: &str) -> TargetKind {
        match s {
            "Mesh" => TargetKind::Mesh,
            "MeshSubset" => TargetKind::MeshSubset,
            "MeshService" => TargetKind::MeshService,
            "MeshServiceSubset" => TargetKind::MeshServiceSubset,
            "MeshGateway" => TargetKind::MeshGateway,
            "MeshExternalService" => TargetKind::MeshExternalService,
            "MeshMultiZoneService" => TargetKind::MeshMultiZoneService,
            "MeshHTTPRoute" => TargetKind::MeshHTTPRoute,
            "Dataplane" => TargetKind::Dataplane,
            _ => TargetKind::Other,
        }
    }

    /// Kuma's name of the kind (empty for `Other`: use the reference's `kind_name`).
    pub const fn as_str(self) -> &'static str {
        match self {
            TargetKind::Mesh => "Mesh",
            TargetKind::MeshSubset => "MeshSubset",
            TargetKind::MeshService => "MeshService",
            TargetKind::MeshServiceSubset => "MeshServiceSubset",
            TargetKind::MeshGateway => "MeshGateway",
            TargetKind::MeshExternalService => "MeshExternalService",
            TargetKind::MeshMultiZoneService => "MeshMultiZoneService",
            TargetKind::MeshHTTPRoute => "MeshHTTPRoute",
            TargetKind::Dataplane => "Dataplane",
            TargetKind::Other => "",
        }
    }

    /// A real destination resource: MeshService, MeshExternalService or
    /// MeshMultiZoneService.
    pub const fn is_real_destination(self) -> bool {
        matches!(
            self,
            TargetKind::MeshService
                | TargetKind::MeshExternalService
                | TargetKind::MeshMultiZoneService
        )
    }
}

/// `targetRef` as Kuma writes it, in any position. Unknown kinds are kept as written so
/// that validation can name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRef {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<String>,
}

impl TargetRef {
    /// The kind, typed.
    pub fn kind(&self) -> TargetKind {
        TargetKind::parse(self.kind_name())
    }

    /// The kind as written (empty when absent).
    pub fn kind_name(&self) -> &str {
        self.kind.as_deref().unwrap_or("")
    }

    /// A short human form: `MeshService backend (ns kuma-demo, section http)`.
    pub fn describe(&self) -> String {
        let mut s = self.kind_name().to_string();
        if let Some(n) = &self.name {
            s.push(' ');
            s.push_str(n);
        }
        let mut extra = vec![];
        if let Some(ns) = &self.namespace {
            extra.push(format!("namespace {ns}"));
        }
        if let Some(l) = &self.labels {
            extra.push(format!("labels {}", fmt_tags(l)));
        }
        if let Some(t) = &self.tags {
            extra.push(format!("tags {}", fmt_tags(t)));
        }
        if let Some(sn) = &self.section_name {
            extra.push(format!("section {sn}"));
        }
        if let Some(p) = &self.proxy_types {
            extra.push(format!("proxyTypes {}", p.join(",")));
        }
        if !extra.is_empty() {
            s.push_str(&format!(" ({})", extra.join(", ")));
        }
        s
    }
}

/// `{a: b, c: d}`, sorted.
pub fn fmt_tags(t: &Tags) -> String {
    let inner: Vec<String> = t.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec {
    #[serde(default)]
    pub target_ref: Option<TargetRef>,
    #[serde(default)]
    pub to: Option<Vec<RouteTo>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTo {
    #[serde(default)]
    pub target_ref: Option<TargetRef>,
    #[serde(default)]
    pub rules: Option<Vec<RouteRule>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRule {
    /// MeshHTTPRoute only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<serde_json::Value>,
    #[serde(default)]
    pub default: Option<RuleConf>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleConf {
    #[serde(default)]
    pub backend_refs: Option<Vec<BackendRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendRef {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_types: Option<Vec<String>>,
}

impl BackendRef {
    /// The kind, typed.
    pub fn kind(&self) -> TargetKind {
        TargetKind::parse(self.kind_name())
    }

    /// The kind as written (empty when absent).
    pub fn kind_name(&self) -> &str {
        self.kind.as_deref().unwrap_or("")
    }

    /// The fields a targetRef validator looks at.
    pub fn as_target_ref(&self) -> TargetRef {
        TargetRef {
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            labels: self.labels.clone(),
            tags: self.tags.clone(),
            section_name: self.section_name.clone(),
            proxy_types: self.proxy_types.clone(),
            mesh: self.mesh.clone(),
        }
    }
}

// ---------------------------------------------------------------- legacy policies

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRouteSpec {
    #[serde(default)]
    pub sources: Vec<Selector>,
    #[serde(default)]
    pub destinations: Vec<Selector>,
    #[serde(default)]
    pub conf: TrafficRouteConf,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRouteConf {
    #[serde(default)]
    pub split: Vec<TrafficSplit>,
    #[serde(default)]
    pub destination: Option<Tags>,
    #[serde(default)]
    pub load_balancer: Option<serde_json::Value>,
    #[serde(default)]
    pub http: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficSplit {
    #[serde(default)]
    pub weight: u32,
    #[serde(default)]
    pub destination: Tags,
}

/// Retry, Timeout, TrafficLog, CircuitBreaker, HealthCheck, FaultInjection, RateLimit
/// use `sources`/`destinations`; TrafficTrace uses `selectors`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyPolicySpec {
    #[serde(default)]
    pub sources: Vec<Selector>,
    #[serde(default)]
    pub destinations: Vec<Selector>,
    #[serde(default)]
    pub selectors: Vec<Selector>,
    /// The policy's settings, kept as written: meshtcp does not read them, but a
    /// snapshot writes them back (the control plane refuses most kinds without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf: Option<serde_json::Value>,
}
