//! The engine's output: the report contract's model (`report-contract.md`). Every view
//! (JSON, YAML, text, TUI, explain) is written from these types.

use crate::model::{Finding, Location, ProxyType, Tags};
use serde::Serialize;
use std::sync::Arc;

pub const SCHEMA: &str = "meshtcp.report/v2";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema: &'static str,
    pub kuma_version: String,
    pub proxies: Vec<ProxyReport>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyReport {
    pub mesh: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(rename = "type")]
    pub proxy_type: ProxyType,
    pub tags: Tags,
    /// Shared with the engine's cache and with every proxy whose selection and
    /// outbounds are the same: not a copy each (a proxy with 2,000 outbounds has 10 MB
    /// of them).
    pub outbounds: Arc<[OutboundReport]>,
    /// Where the Dataplane is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The kubeconfig context the Dataplane was read from (`--kube`); absent for files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The Kubernetes object this proxy was derived from (absent for a Dataplane
    /// written in the input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<crate::model::DerivedFrom>,
    /// Route policies whose top-level targetRef selects this proxy, lowest precedence
    /// first. Shown by the TUI; not written to JSON/YAML, where every Mesh-wide policy
    /// would be repeated under every proxy (577 MB of the large benchmark mesh's report).
    #[serde(skip_serializing)]
    /// Shared: the proxies of a mesh mostly have the same list (hundreds of Mesh-wide
    /// policies: 10 MB of copies for 2,000 proxies).
    pub selected_by: Arc<[Arc<PolicyRef>]>,
    /// Things about this proxy a person should know (skipped outbounds, gateway lookups).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RouteKind {
    MeshTCPRoute,
    MeshHTTPRoute,
    TrafficRoute,
    #[serde(rename = "default")]
    Default,
    /// The control plane builds no listener: connections to the destination fail.
    #[serde(rename = "none")]
    None,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::MeshTCPRoute => "MeshTCPRoute",
            RouteKind::MeshHTTPRoute => "MeshHTTPRoute",
            RouteKind::TrafficRoute => "TrafficRoute",
            RouteKind::Default => "default",
            RouteKind::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// `MeshService`, `MeshExternalService`, `MeshMultiZoneService`, `MeshGateway`, or
    /// `service` for a legacy `kuma.io/service`.
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub port: u32,
    /// The port's section name (real resources), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    /// A Dataplane outbound's local listener port, when it declares one (explicit
    /// outbounds); `port` is then the destination's own port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_port: Option<u32>,
}

impl Destination {
    /// What a person reads: [`Destination::label`], followed by the local listener port
    /// of an explicit Dataplane outbound where it is another port
    /// (`inventory:80 (listener 10080)`).
    pub fn shown(&self) -> String {
        let mut s = self.label();
        if let Some(l) = self.listener_port.filter(|&l| l != self.port) {
            s.push_str(" (listener ");
            s.push_str(itoa::Buffer::new().format(l));
            s.push(')');
        }
        s
    }

    /// `backend:8080`, or `kuma-demo/backend:8080`.
    pub fn label(&self) -> String {
        // Built by hand: one per finding on a large mesh, where `format!` was ten times
        // the cost.
        let mut port = itoa::Buffer::new();
        let port = port.format(self.port);
        let ns_len = self.namespace.as_ref().map_or(0, |ns| ns.len() + 1);
        let mut s = String::with_capacity(ns_len + self.name.len() + 1 + port.len());
        if let Some(ns) = &self.namespace {
            s.push_str(ns);
            s.push('/');
        }
        s.push_str(&self.name);
        s.push(':');
        s.push_str(port);
        s
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundReport {
    pub destination: Destination,
    pub protocol: String,
    pub route: RouteKind,
    pub backends: Vec<Backend>,
    pub policies: Vec<PolicyStatus>,
    /// Why `route` routes this outbound, in one sentence.
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Legacy policies (Timeout, Retry, …) that match this outbound and whether they
    /// still apply.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub legacy_policies: Vec<LegacyPolicyStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backend {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    pub tags: Tags,
    pub weight: u32,
    pub share: f64,
    pub resolved: bool,
    /// How this backend was resolved (legacy service, real MeshService port, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub how: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Overridden,
    Ignored,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Overridden => "overridden",
            Status::Ignored => "ignored",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyStatus {
    pub kind: String,
    /// Shared by every row of the policy (hundreds of thousands of rows in a large
    /// report, a few thousand policies).
    pub name: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub status: Status,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The sort keys that placed it, most significant first (`kind Mesh(1)`, …).
    #[serde(skip_serializing_if = "Precedence::no_keys")]
    pub precedence: Arc<Precedence>,
}

/// A policy's precedence keys in words, shared by every row of that policy (and every
/// TrafficRoute row of one match rank). It reads as the list of keys; it also keeps the
/// JSON writer's bytes for the end of such a row (location and keys), which are the
/// same on every row of one policy: written once, copied after that.
#[derive(Debug, Default)]
pub struct Precedence {
    keys: Box<[String]>,
    row_tail: std::sync::OnceLock<RowTail>,
}

/// The written end of a policy row: for rows at `depth` whose location is `file`:`line`.
#[derive(Debug)]
pub struct RowTail {
    pub depth: usize,
    /// Held, not only compared by address: while this is kept, no other file name can
    /// take its address.
    pub file: Arc<str>,
    pub line: u32,
    pub bytes: Box<[u8]>,
}

/// Bytes of row tails kept at once in the whole process, at most: the cache must not
/// cost a large mesh more memory than its peak has room for, and should hold every
/// tail of the Universal benchmark mesh and of twice its routes (docs/performance.md,
/// "Row tails").
const ROW_TAIL_BUDGET: usize = 1 << 21;
static ROW_TAIL_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Precedence {
    pub fn new(keys: Vec<String>) -> Precedence {
        Precedence {
            keys: keys.into(),
            row_tail: std::sync::OnceLock::new(),
        }
    }

    fn no_keys(p: &Arc<Precedence>) -> bool {
        p.keys.is_empty()
    }

    /// The row tail written for these keys, if one was kept.
    pub fn row_tail(&self) -> Option<&RowTail> {
        self.row_tail.get()
    }

    /// Whether a row tail of `n` bytes may still be kept: when not, the writer need not
    /// copy one out (on a mesh whose tails outgrow the budget, most first rows).
    pub fn may_keep_row_tail(n: usize) -> bool {
        ROW_TAIL_BYTES.load(std::sync::atomic::Ordering::Relaxed) + n <= ROW_TAIL_BUDGET
    }

    /// Keep a row tail, while the process-wide budget allows (the first one kept stays).
    pub fn keep_row_tail(&self, t: RowTail) {
        use std::sync::atomic::Ordering::Relaxed;
        let n = t.bytes.len();
        if ROW_TAIL_BYTES.fetch_add(n, Relaxed) + n > ROW_TAIL_BUDGET {
            ROW_TAIL_BYTES.fetch_sub(n, Relaxed);
            return;
        }
        if let Err(t) = self.row_tail.set(t) {
            ROW_TAIL_BYTES.fetch_sub(t.bytes.len(), Relaxed);
        }
    }
}

impl Drop for Precedence {
    fn drop(&mut self) {
        if let Some(t) = self.row_tail.get() {
            ROW_TAIL_BYTES.fetch_sub(t.bytes.len(), std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl std::ops::Deref for Precedence {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.keys
    }
}

impl PartialEq for Precedence {
    fn eq(&self, other: &Precedence) -> bool {
        self.keys == other.keys
    }
}

impl From<Vec<String>> for Precedence {
    fn from(keys: Vec<String>) -> Precedence {
        Precedence::new(keys)
    }
}

impl Serialize for Precedence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.keys.serialize(s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub target_ref: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyPolicyStatus {
    pub kind: String,
    pub name: String,
    /// `applied` while TrafficRoute builds the outbound, else `detached`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Report {
    pub fn proxy(&self, name: &str) -> Option<&ProxyReport> {
        self.proxies.iter().find(|p| p.name == name)
    }
}

impl ProxyReport {
    /// `namespace/name`, or `name` (see [`crate::model::qualified_name`]).
    pub fn qualified_name(&self) -> String {
        crate::model::qualified_name(self.namespace.as_deref(), &self.name)
    }

    /// Whether `query` names this proxy (see [`crate::model::is_named`]).
    pub fn is_named(&self, query: &str) -> bool {
        crate::model::is_named(self.namespace.as_deref(), &self.name, query)
    }

    /// The outbound whose destination name (or `name:port`) is `dest`.
    pub fn outbound(&self, dest: &str) -> Option<&OutboundReport> {
        self.outbounds
            .iter()
            .find(|o| o.destination.name == dest || o.destination.label() == dest)
    }
}

impl OutboundReport {
    pub fn policy(&self, name: &str) -> Option<&PolicyStatus> {
        self.policies.iter().find(|p| &*p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_label_is_namespace_slash_name_colon_port() {
        let mut d = Destination {
            kind: "MeshService".into(),
            name: "backend".into(),
            namespace: Some("kuma-demo".into()),
            port: 8080,
            section_name: None,
            listener_port: None,
        };
        assert_eq!(d.label(), "kuma-demo/backend:8080");
        d.namespace = None;
        d.port = 0;
        assert_eq!(d.label(), "backend:0");
        d.port = u32::MAX;
        assert_eq!(d.label(), "backend:4294967295");
    }
}
