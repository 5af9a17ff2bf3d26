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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    /// Behind a pointer: a large report holds tens of thousands of findings, and an
    /// inline reference would nearly double each one's size in the list. Shared: the
    /// engine gives every finding about one policy the same reference (the Universal
    /// benchmark's 20,000 findings held 3 MB of copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<std::sync::Arc<ResourceRef>>,
    /// Shared: the engine interns proxy names and messages, which repeat across the
    /// findings of a large mesh (tens of thousands kept until the report is written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Arc<str>>,
    pub message: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The proxy's outbounds (destination labels) this finding concerns; interned
    /// like the message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outbounds: Vec<Arc<str>>,
}

impl Finding {
    /// A finding with the contract's severity for `code`.
    pub fn new(code: Code, message: impl Into<Arc<str>>) -> Self {
        Finding {
            severity: code.severity(),
            code,
            resource: None,
            proxy: None,
            message: message.into(),
            location: None,
            outbounds: Vec::new(),
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

    pub fn with_proxy(mut self, p: impl Into<Arc<str>>) -> Self {
        self.proxy = Some(p.into());
        self
    }

    pub fn on_outbound(mut self, label: impl Into<Arc<str>>) -> Self {
        self.outbounds.push(label.into());
        self
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
