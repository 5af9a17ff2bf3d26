//! Resource types for both Kuma formats (Universal and Kubernetes).
//!
//! Pure data: no IO. Every resource carries its [`Origin`] so that every report line,
//! finding and TUI row can point back to `file:line` or to the cluster object.

mod apply;
mod finding;
mod resources;

pub use apply::without_findings_of;
pub use finding::{
    Affected, Code, Finding, Location, Outbounds, ProxyHit, ProxyRef, ResourceRef, Severity,
};
pub use resources::*;

use serde::Serialize;
use std::fmt;

/// Label and tag keys Kuma gives a meaning to.
pub mod keys {
    pub const SERVICE: &str = "kuma.io/service";
    pub const PROTOCOL: &str = "kuma.io/protocol";
    pub const MESH: &str = "kuma.io/mesh";
    pub const DISPLAY_NAME: &str = "kuma.io/display-name";
    pub const K8S_NAMESPACE: &str = "k8s.kuma.io/namespace";
    pub const ZONE: &str = "kuma.io/zone";
    pub const ORIGIN: &str = "kuma.io/origin";
    pub const POLICY_ROLE: &str = "kuma.io/policy-role";
}

/// The namespace Kuma's control plane lives in on Kubernetes (policies there are `system`).
pub const SYSTEM_NAMESPACE: &str = "kuma-system";

mod tags;
pub use tags::Tags;

/// Which envelope a resource was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Universal,
    Kubernetes,
}

/// Where a resource came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file (or stdin, shown as `-`), with the 1-based line where its document starts.
    /// The path is shared by every object of the file (and every finding about one).
    File {
        path: std::sync::Arc<str>,
        line: u32,
    },
    /// A live cluster object.
    Cluster {
        context: String,
        namespace: Option<String>,
        name: String,
    },
    /// Made offline from a Kubernetes object (a Pod, Deployment, Service…) as Kuma's
    /// Kubernetes controllers would make it; located where that object is.
    Derived(Box<Derived>),
}

/// A resource meshtcp generated from a Kubernetes object, and where that object is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Derived {
    pub from: DerivedFrom,
    /// The origin of the Kubernetes object.
    pub at: Origin,
    /// The Dataplane's address is a placeholder: the Pod IP is known only at run time.
    pub placeholder_address: bool,
}

/// The Kubernetes object a resource was derived from (`derivedFrom` in the report).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DerivedFrom {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for DerivedFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

impl Origin {
    pub fn file(path: impl Into<std::sync::Arc<str>>, line: u32) -> Self {
        Origin::File {
            path: path.into(),
            line,
        }
    }

    /// The report's `location` for this origin (files only).
    pub fn location(&self) -> Option<Location> {
        match self {
            Origin::File { path, line } => Some(Location {
                file: path.clone(),
                line: *line,
            }),
            Origin::Cluster { .. } => None,
            Origin::Derived(d) => d.at.location(),
        }
    }

    /// The kubeconfig context of a cluster object.
    pub fn context(&self) -> Option<&str> {
        match self {
            Origin::Cluster { context, .. } => Some(context),
            Origin::File { .. } => None,
            Origin::Derived(d) => d.at.context(),
        }
    }

    /// The Kubernetes object a derived resource was made from.
    pub fn derived_from(&self) -> Option<&DerivedFrom> {
        match self {
            Origin::Derived(d) => Some(&d.from),
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{path}:{line}"),
            Origin::Cluster {
                context,
                namespace: Some(ns),
                name,
            } => write!(f, "{context}/{ns}/{name}"),
            Origin::Cluster { context, name, .. } => write!(f, "{context}/{name}"),
            Origin::Derived(d) => d.at.fmt(f),
        }
    }
}

/// `name` or `namespace/name` of a resource, written when displayed.
pub struct Qualified<'m>(&'m Meta);

impl std::fmt::Display for Qualified<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0
            .qualified_parts()
            .iter()
            .try_for_each(|p| f.write_str(p))
    }
}

/// What every resource has: identity, mesh, labels, format and origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub kind: ResourceKind,
    /// `name` (Universal) or `metadata.name` (Kubernetes).
    pub name: String,
    /// Kubernetes namespace; `None` for Universal and cluster-scoped resources.
    pub namespace: Option<String>,
    pub mesh: String,
    pub labels: Tags,
    pub format: Format,
    pub origin: Origin,
    /// `metadata.creationTimestamp` (Kubernetes) or `creationTime` (Universal), RFC 3339,
    /// when the input carries it (it decides TrafficRoute ties).
    pub created: Option<String>,
}

impl Meta {
    /// Kuma's display name: the `kuma.io/display-name` label, else the name.
    pub fn display_name(&self) -> &str {
        self.labels
            .get(keys::DISPLAY_NAME)
            .map(String::as_str)
            .unwrap_or(&self.name)
    }

    /// The namespace used in Kuma's resource identity (KRI): the Kubernetes namespace,
    /// else the `k8s.kuma.io/namespace` label.
    pub fn kri_namespace(&self) -> Option<&str> {
        self.namespace
            .as_deref()
            .or_else(|| self.labels.get(keys::K8S_NAMESPACE).map(String::as_str))
    }

    pub fn zone(&self) -> Option<&str> {
        self.labels.get(keys::ZONE).map(String::as_str)
    }

    /// `kuma.io/origin`: `global`, `zone`, or unknown.
    pub fn policy_origin(&self) -> Option<&str> {
        self.labels.get(keys::ORIGIN).map(String::as_str)
    }

    pub fn resource_ref(&self) -> ResourceRef {
        ResourceRef {
            kind: self.kind.as_str().to_string(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            mesh: Some(self.mesh.clone()),
            context: self.origin.context().map(String::from),
        }
    }

    /// [`Meta::qualified_name`] without building a string: for `format!` arguments.
    pub fn qualified(&self) -> Qualified<'_> {
        Qualified(self)
    }

    /// [`Meta::qualified`] as pieces to join: (`namespace`, `/`, `name`), or
    /// (``, ``, `name`).
    pub fn qualified_parts(&self) -> [&str; 3] {
        match &self.namespace {
            Some(ns) => [ns, "/", &self.name],
            None => ["", "", &self.name],
        }
    }

    /// `name` or `namespace/name`, for messages.
    pub fn qualified_name(&self) -> String {
        qualified_name(self.namespace.as_deref(), &self.name)
    }

    /// Whether `query` names this resource (see [`is_named`]).
    pub fn is_named(&self, query: &str) -> bool {
        is_named(self.namespace.as_deref(), &self.name, query)
    }
}

/// `namespace/name`, or `name` without a namespace: how a resource or a proxy is shown
/// to a person.
pub fn qualified_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// Whether `query`, as a person gives it (`--proxy`, `explain PROXY`), names the
/// resource `namespace`/`name`: its name alone, or [`qualified_name`].
pub fn is_named(namespace: Option<&str>, name: &str, query: &str) -> bool {
    query == name
        || namespace.is_some_and(|ns| {
            query
                .strip_prefix(ns)
                .and_then(|rest| rest.strip_prefix('/'))
                == Some(name)
        })
}

/// The whole input of the engine: every resource loaded, in load order.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub resources: Vec<Resource>,
}

impl Snapshot {
    /// Whether a Dataplane of `mesh` (any mesh when `None`) is named `query` (see
    /// [`is_named`]).
    pub fn has_proxy(&self, mesh: Option<&str>, query: &str) -> bool {
        self.resources.iter().any(|r| {
            r.meta.kind == ResourceKind::Dataplane
                && mesh.is_none_or(|m| r.meta.mesh == m)
                && r.meta.is_named(query)
        })
    }

    pub fn new(resources: Vec<Resource>) -> Self {
        Snapshot { resources }
    }
}
