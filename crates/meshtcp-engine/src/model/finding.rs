use serde::Serialize;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable finding codes (`report-contract.md`). Names are a public interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    TcprouteIgnoredByHttproute,
    HttprouteIgnoredOnTcp,
    TrafficrouteOverridden,
    LegacyPolicyUnmatched,
    TargetrefKindUnsupported,
    TargetrefDeprecated,
    BackendNotFound,
    WeightsAllZero,
    PolicySelectsNothing,
    InvalidResource,
    ParseError,
    /// A `kuma.io` kind meshtcp does not model (info).
    UnknownKind,
    /// A rule without backendRefs before 2.10: the outbound gets no listener (warning).
    RuleWithoutBackends,
    /// An outbound for which no listener is built at all (warning).
    OutboundWithoutListener,
    /// A file or directory entry that could not be read (error); also a cluster kind
    /// whose list failed.
    SourceUnreadable,
    /// `--kube`: a kind whose CRD the cluster does not serve; skipped (info).
    KindNotInstalled,
    /// `--kube`: RBAC forbids reading a kind; the rest loaded (warning).
    AccessDenied,
    /// A `to[].targetRef` (or a backendRef's resource) that matches no destination of
    /// any proxy its policy selects (warning).
    TargetrefMatchesNothing,
    /// Two documents define the same kind/mesh/namespace/name; the later is kept (error).
    DuplicateResource,
    /// Resources without `kuma.io/zone` were placed in the input's local zone (info).
    ZoneAssumed,
    /// A real resource without `status` VIPs was given an assumed one (info).
    VipAssumed,
    /// A kind the version accepts in that position but the docs table does not list (info).
    TargetrefUndocumented,
    /// A field the kind's Kuma schema does not have: the control plane drops it (warning).
    UnknownField,
    /// A Kubernetes object for which the input already holds the Dataplane or
    /// MeshService Kuma made from it: that one is used, nothing is derived (info).
    ExportedResourceUsed,
    /// A Kubernetes object Kuma would make a Dataplane or MeshService from, but which
    /// it would refuse (a bad annotation value…): nothing is derived (warning).
    NotDerived,
}

impl Code {
    pub const ALL: [Code; 25] = [
        Code::TcprouteIgnoredByHttproute,
        Code::HttprouteIgnoredOnTcp,
        Code::TrafficrouteOverridden,
        Code::LegacyPolicyUnmatched,
        Code::TargetrefKindUnsupported,
        Code::TargetrefDeprecated,
        Code::BackendNotFound,
        Code::WeightsAllZero,
        Code::PolicySelectsNothing,
        Code::InvalidResource,
        Code::ParseError,
        Code::UnknownKind,
        Code::RuleWithoutBackends,
        Code::OutboundWithoutListener,
        Code::SourceUnreadable,
        Code::KindNotInstalled,
        Code::AccessDenied,
        Code::TargetrefMatchesNothing,
        Code::DuplicateResource,
        Code::ZoneAssumed,
        Code::VipAssumed,
        Code::TargetrefUndocumented,
        Code::UnknownField,
        Code::ExportedResourceUsed,
        Code::NotDerived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::TcprouteIgnoredByHttproute => "tcproute-ignored-by-httproute",
            Code::HttprouteIgnoredOnTcp => "httproute-ignored-on-tcp",
            Code::TrafficrouteOverridden => "trafficroute-overridden",
            Code::LegacyPolicyUnmatched => "legacy-policy-unmatched",
            Code::TargetrefKindUnsupported => "targetref-kind-unsupported",
            Code::TargetrefDeprecated => "targetref-deprecated",
            Code::BackendNotFound => "backend-not-found",
            Code::WeightsAllZero => "weights-all-zero",
            Code::PolicySelectsNothing => "policy-selects-nothing",
            Code::InvalidResource => "invalid-resource",
            Code::ParseError => "parse-error",
            Code::UnknownKind => "unknown-kind",
            Code::RuleWithoutBackends => "rule-without-backends",
            Code::OutboundWithoutListener => "outbound-without-listener",
            Code::SourceUnreadable => "source-unreadable",
            Code::KindNotInstalled => "kind-not-installed",
            Code::AccessDenied => "access-denied",
            Code::TargetrefMatchesNothing => "targetref-matches-nothing",
            Code::DuplicateResource => "duplicate-resource",
            Code::ZoneAssumed => "zone-assumed",
            Code::VipAssumed => "vip-assumed",
            Code::TargetrefUndocumented => "targetref-undocumented",
            Code::UnknownField => "unknown-field",
            Code::ExportedResourceUsed => "exported-resource-used",
            Code::NotDerived => "not-derived",
        }
    }

    /// The severity the contract gives this code.
    pub fn severity(self) -> Severity {
        match self {
            Code::TargetrefKindUnsupported
            | Code::WeightsAllZero
            | Code::InvalidResource
            | Code::ParseError
            | Code::SourceUnreadable
            | Code::DuplicateResource => Severity::Error,
            Code::PolicySelectsNothing
            | Code::UnknownKind
            | Code::KindNotInstalled
            | Code::ZoneAssumed
            | Code::VipAssumed
            | Code::TargetrefUndocumented
            | Code::ExportedResourceUsed => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceRef {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mesh: Option<String>,
    /// The kubeconfig context of a cluster object (`--kube`); absent for files. Cluster
    /// objects have no `location`: this and kind/namespace/name say where they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Shared with the object's [`super::Origin`]: a copy costs no allocation.
    pub file: std::sync::Arc<str>,
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A proxy named by findings: one shared value per proxy, however many findings list it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ProxyRef {
    pub mesh: Arc<str>,
    pub name: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Arc<str>>,
    /// The kubeconfig context of a cluster's proxy (`--kube`); absent for files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Arc<str>>,
}

impl ProxyRef {
    /// `namespace/name`, or the name alone.
    pub fn qualified(&self) -> String {
        super::qualified_name(self.namespace.as_deref(), &self.name)
    }
}

impl PartialOrd for ProxyRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Report order: mesh, namespace, name, context (as the report lists its proxies).
impl Ord for ProxyRef {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (&self.mesh, &self.namespace, &self.name, &self.context).cmp(&(
            &o.mesh,
            &o.namespace,
            &o.name,
            &o.context,
        ))
    }
}

/// One proxy a finding concerns, with the outbounds (destination labels) concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyHit {
    /// Shared by every finding about this proxy.
    pub proxy: Arc<ProxyRef>,
    /// Sorted, each once. Shared: the same list recurs on many proxies (a grouped
    /// finding on a large mesh lists hundreds of thousands of proxies).
    pub outbounds: Arc<Outbounds>,
}

/// The outbounds of a [`ProxyHit`], behind one thin pointer: a hit is 16 bytes, not the
/// 24 of a pointer to a slice (368,911 hits on the realistic benchmark mesh).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Outbounds(Box<[Arc<str>]>);

impl Outbounds {
    /// A list shared by every hit without outbounds.
    pub fn none() -> Arc<Outbounds> {
        static NONE: std::sync::OnceLock<Arc<Outbounds>> = std::sync::OnceLock::new();
        NONE.get_or_init(Default::default).clone()
    }
}

impl std::ops::Deref for Outbounds {
    type Target = [Arc<str>];
    fn deref(&self) -> &[Arc<str>] {
        &self.0
    }
}

impl FromIterator<Arc<str>> for Outbounds {
    fn from_iter<I: IntoIterator<Item = Arc<str>>>(i: I) -> Self {
        Outbounds(i.into_iter().collect())
    }
}

impl From<Vec<Arc<str>>> for Outbounds {
    fn from(v: Vec<Arc<str>>) -> Self {
        Outbounds(v.into())
    }
}

impl Serialize for Outbounds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// How many proxies and outbounds a finding concerns (`affected` in the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Affected {
    pub proxies: usize,
    pub outbounds: usize,
}

/// One finding per (code, resource, location, message): what concerns many proxies is
/// one finding listing them (`proxies`), not one per proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    /// Behind a pointer, shared: the engine gives every finding about one policy the
    /// same reference.
    pub resource: Option<std::sync::Arc<ResourceRef>>,
    /// Interned: the same causes recur on many proxies before they are grouped.
    pub message: Arc<str>,
    pub location: Option<Location>,
    /// The proxies concerned, in report order (mesh, namespace, name); empty for a
    /// finding about a resource alone (parse errors, validation).
    pub proxies: Vec<ProxyHit>,
}

impl Finding {
    /// A finding with the contract's severity for `code`.
    pub fn new(code: Code, message: impl Into<Arc<str>>) -> Self {
        Finding {
            severity: code.severity(),
            code,
            resource: None,
            message: message.into(),
            location: None,
            proxies: Vec::new(),
        }
    }

    pub fn with_resource(mut self, r: ResourceRef) -> Self {
        self.resource = Some(std::sync::Arc::new(r));
        self
    }

    /// [`Finding::with_resource`] with a reference shared by other findings.
    pub fn with_shared_resource(mut self, r: std::sync::Arc<ResourceRef>) -> Self {
        self.resource = Some(r);
        self
    }

    pub fn with_location(mut self, l: Option<Location>) -> Self {
        self.location = l;
        self
    }

    /// About proxy `p` (with no outbound yet).
    pub fn with_proxy(mut self, p: Arc<ProxyRef>) -> Self {
        self.proxies.push(ProxyHit {
            proxy: p,
            outbounds: Outbounds::none(),
        });
        self
    }

    /// About outbound `label` of the last proxy given by [`Finding::with_proxy`].
    pub fn on_outbound(mut self, label: impl Into<Arc<str>>) -> Self {
        if let Some(h) = self.proxies.last_mut() {
            h.outbounds = Arc::new(h.outbounds.iter().cloned().chain([label.into()]).collect());
        }
        self
    }

    /// The proxies and outbounds it concerns; `None` for a finding about a resource alone.
    pub fn affected(&self) -> Option<Affected> {
        (!self.proxies.is_empty()).then(|| Affected {
            proxies: self.proxies.len(),
            outbounds: self.proxies.iter().map(|h| h.outbounds.len()).sum(),
        })
    }

    /// This finding as far as it concerns one proxy (and, given `outbound`, that
    /// outbound of it): its other proxies left out. `None` where it does not concern
    /// them; a finding about a resource alone is kept as it is.
    pub fn for_proxy(
        &self,
        mesh: &str,
        namespace: Option<&str>,
        name: &str,
        outbound: Option<&str>,
    ) -> Option<Finding> {
        if self.proxies.is_empty() {
            return Some(self.clone());
        }
        let hit = self.proxies.iter().find(|h| {
            &*h.proxy.name == name
                && &*h.proxy.mesh == mesh
                && h.proxy.namespace.as_deref() == namespace
                && outbound.is_none_or(|o| h.outbounds.iter().any(|x| &**x == o))
        })?;
        Some(Finding {
            proxies: vec![hit.clone()],
            ..self.clone_without_proxies()
        })
    }

    fn clone_without_proxies(&self) -> Finding {
        Finding {
            severity: self.severity,
            code: self.code,
            resource: self.resource.clone(),
            message: self.message.clone(),
            location: self.location.clone(),
            proxies: Vec::new(),
        }
    }

    /// Whether it concerns the proxy `name` (or `namespace/name`) of `mesh`.
    pub fn concerns(&self, mesh: &str, namespace: Option<&str>, name: &str) -> bool {
        self.proxies.iter().any(|h| {
            &*h.proxy.name == name
                && &*h.proxy.mesh == mesh
                && h.proxy.namespace.as_deref() == namespace
        })
    }

    pub fn with_severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }

    /// Findings about `meta`'s resource, located at its origin.
    pub fn about(code: Code, meta: &super::Meta, message: impl Into<Arc<str>>) -> Self {
        Finding::new(code, message)
            .with_resource(meta.resource_ref())
            .with_location(meta.origin.location())
    }
}

/// The report's form of a finding: `affected` and `proxies` only where it concerns
/// proxies. The streaming JSON writer writes the same fields in the same order.
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("severity", &self.severity)?;
        m.serialize_entry("code", &self.code)?;
        if let Some(r) = &self.resource {
            m.serialize_entry("resource", r)?;
        }
        m.serialize_entry("message", &self.message)?;
        if let Some(l) = &self.location {
            m.serialize_entry("location", l)?;
        }
        if let Some(a) = self.affected() {
            m.serialize_entry("affected", &a)?;
            m.serialize_entry("proxies", &Hits(&self.proxies))?;
        }
        m.end()
    }
}

struct Hits<'a>(&'a [ProxyHit]);

impl Serialize for Hits<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for h in self.0 {
            struct One<'a>(&'a ProxyHit);
            impl Serialize for One<'_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let p = &self.0.proxy;
                    let mut m = s.serialize_map(None)?;
                    m.serialize_entry("mesh", &p.mesh)?;
                    m.serialize_entry("name", &p.name)?;
                    if let Some(ns) = &p.namespace {
                        m.serialize_entry("namespace", ns)?;
                    }
                    if let Some(c) = &p.context {
                        m.serialize_entry("context", c)?;
                    }
                    m.serialize_entry("outbounds", &self.0.outbounds)?;
                    m.end()
                }
            }
            seq.serialize_element(&One(h))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A grouped finding of a large mesh lists hundreds of thousands of these.
    #[test]
    fn a_proxy_hit_is_two_thin_pointers() {
        assert_eq!(std::mem::size_of::<ProxyHit>(), 16);
    }
}
