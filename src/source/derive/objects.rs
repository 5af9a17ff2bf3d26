//! The Kubernetes objects the derivation reads (Namespaces, workloads, Services), taken
//! out of a parsed document. Pure: no IO.

use crate::model::Origin;
use crate::source::node::Node;
use serde_json::Value;
use std::collections::BTreeMap;

/// Labels or annotations.
pub type StrMap = BTreeMap<String, String>;

/// The kinds Kuma's Kubernetes controllers make Dataplanes and MeshServices from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KubeKind {
    Namespace,
    Service,
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
}

impl KubeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KubeKind::Namespace => "Namespace",
            KubeKind::Service => "Service",
            KubeKind::Pod => "Pod",
            KubeKind::Deployment => "Deployment",
            KubeKind::StatefulSet => "StatefulSet",
            KubeKind::DaemonSet => "DaemonSet",
            KubeKind::ReplicaSet => "ReplicaSet",
            KubeKind::Job => "Job",
            KubeKind::CronJob => "CronJob",
        }
    }

    /// The kind of an `apiVersion`/`kind` pair, when it is one the derivation reads.
    pub fn of(api_version: &str, kind: &str) -> Option<KubeKind> {
        Some(match (api_version, kind) {
            ("v1", "Namespace") => KubeKind::Namespace,
            ("v1", "Service") => KubeKind::Service,
            ("v1", "Pod") => KubeKind::Pod,
            ("apps/v1", "Deployment") => KubeKind::Deployment,
            ("apps/v1", "StatefulSet") => KubeKind::StatefulSet,
            ("apps/v1", "DaemonSet") => KubeKind::DaemonSet,
            ("apps/v1", "ReplicaSet") => KubeKind::ReplicaSet,
            ("batch/v1", "Job") => KubeKind::Job,
            ("batch/v1" | "batch/v1beta1", "CronJob") => KubeKind::CronJob,
            _ => return None,
        })
    }

    /// Kinds whose Pods get a sidecar (and so a Dataplane).
    pub fn is_workload(self) -> bool {
        !matches!(self, KubeKind::Namespace | KubeKind::Service)
    }
}

/// One Kubernetes object of a [`KubeKind`], as written.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeObject {
    pub kind: KubeKind,
    pub name: String,
    /// `metadata.namespace`, else `default` (as `kubectl apply` does); a Namespace's
    /// own name for a Namespace.
    pub namespace: String,
    pub labels: StrMap,
    pub annotations: StrMap,
    /// `spec` (null when absent).
    pub spec: Value,
    /// `status` (null when absent).
    pub status: Value,
    pub origin: Origin,
}

impl KubeObject {
    /// The object in `doc`, when it is a Kubernetes object of a kind the derivation
    /// reads and has a name. `origin` is only called then.
    pub fn read(doc: &Node<'_>, origin: impl FnOnce() -> Origin) -> Option<KubeObject> {
        let api = doc.get("apiVersion")?.as_str()?;
        let kind = KubeKind::of(api, doc.get("kind")?.as_str()?)?;
        let metadata = doc.get("metadata")?;
        let name = metadata.get("name")?.as_str()?.to_string();
        if name.is_empty() {
            return None;
        }
        let namespace = if kind == KubeKind::Namespace {
            name.clone()
        } else {
            metadata
                .get("namespace")
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or("default")
                .to_string()
        };
        Some(KubeObject {
            kind,
            name,
            namespace,
            labels: str_map(metadata.get("labels").map(Node::to_value).as_ref()),
            annotations: str_map(metadata.get("annotations").map(Node::to_value).as_ref()),
            spec: doc.get("spec").map_or(Value::Null, Node::to_value),
            status: doc.get("status").map_or(Value::Null, Node::to_value),
            origin: origin(),
        })
    }

    /// `kind namespace/name`, for messages.
    pub fn describe(&self) -> String {
        if self.kind == KubeKind::Namespace {
            format!("Namespace {}", self.name)
        } else {
            format!("{} {}/{}", self.kind.as_str(), self.namespace, self.name)
        }
    }
}

/// A mapping of strings; numbers and booleans are kept as written (Kubernetes would
/// refuse them, Kuma never sees them: reading them as text is the lenient choice).
pub fn str_map(v: Option<&Value>) -> StrMap {
    let Some(Value::Object(m)) = v else {
        return StrMap::new();
    };
    m.iter()
        .filter_map(|(k, v)| scalar(v).map(|s| (k.clone(), s)))
        .collect()
}

/// A scalar as text.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `v[path[0]][path[1]]…`.
pub fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// A port number (an integer in 1..=65535).
pub fn port(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64)
        .filter(|p| (1..=65535).contains(p))
        .map(|p| p as u32)
}
