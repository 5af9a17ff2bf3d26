//! Nodes by what they name instead of where they are: a [`NodeKey`] names the same
//! mesh, proxy, outbound or backend in another report (a reload, another Kuma version,
//! applied changes), where positions differ.

use super::{Model, Node};
use crate::report::text::backend_name;
use crate::resolve::{OutboundReport, ProxyReport};
use std::collections::HashMap;

/// A proxy: its mesh, its cluster context (`--kube`, several contexts) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProxyKey {
    pub mesh: String,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub name: String,
}

impl ProxyKey {
    pub fn of(p: &ProxyReport) -> ProxyKey {
        ProxyKey {
            mesh: p.mesh.clone(),
            context: p.context.clone(),
            namespace: p.namespace.clone(),
            name: p.name.clone(),
        }
    }
}

/// An outbound of a proxy: its destination's kind and label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutboundKey {
    pub kind: String,
    pub label: String,
}

impl OutboundKey {
    pub fn of(o: &OutboundReport) -> OutboundKey {
        OutboundKey {
            kind: o.destination.kind.clone(),
            label: o.destination.label(),
        }
    }
}

/// A tree node by what it names (see the module).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeKey {
    Mesh(String),
    Proxy(ProxyKey),
    Outbound(ProxyKey, OutboundKey),
    /// The backend by its name (with namespace, port and tags).
    Backend(ProxyKey, OutboundKey, String),
}

impl Model {
    /// A key that names the same thing in another report; none for the rows that
    /// stand in for others (pending, placeholder).
    pub fn key(&self, n: Node) -> Option<NodeKey> {
        Some(match n {
            Node::Mesh(m) => NodeKey::Mesh(self.meshes[m as usize].name.clone()),
            Node::Proxy(p) => NodeKey::Proxy(self.proxy_key(p)),
            Node::Outbound(p, o) => {
                NodeKey::Outbound(self.proxy_key(p), OutboundKey::of(self.outbound(p, o)))
            }
            Node::Backend(p, o, b) => {
                let ob = self.outbound(p, o);
                NodeKey::Backend(
                    self.proxy_key(p),
                    OutboundKey::of(ob),
                    backend_name(&ob.backends[b as usize]),
                )
            }
            Node::Pending(_) | Node::Placeholder => return None,
        })
    }

    pub fn proxy_key(&self, p: u32) -> ProxyKey {
        ProxyKey::of(self.proxy(p))
    }

    /// Every proxy's key.
    pub fn proxy_keys(&self) -> HashMap<ProxyKey, u32> {
        (0..self.report.proxies.len() as u32)
            .map(|p| (self.proxy_key(p), p))
            .collect()
    }

    /// Keys of proxy `p`'s outbounds and backends.
    pub fn proxy_key_index(&self, p: u32) -> HashMap<NodeKey, Node> {
        let mut out = HashMap::new();
        self.index_proxy(p, &mut out);
        out
    }

    /// Every node's key, for translating state from another report.
    pub fn key_index(&self) -> HashMap<NodeKey, Node> {
        let mut out = HashMap::new();
        for (m, g) in self.meshes.iter().enumerate() {
            out.insert(NodeKey::Mesh(g.name.clone()), Node::Mesh(m as u32));
        }
        for p in 0..self.report.proxies.len() as u32 {
            self.index_proxy(p, &mut out);
            out.insert(NodeKey::Proxy(self.proxy_key(p)), Node::Proxy(p));
        }
        out
    }

    /// Add the keys of proxy `p`'s outbounds and backends to `out`.
    fn index_proxy(&self, p: u32, out: &mut HashMap<NodeKey, Node>) {
        let pk = self.proxy_key(p);
        for (oi, o) in self.proxy(p).outbounds.iter().enumerate() {
            let ok = OutboundKey::of(o);
            for (bi, b) in o.backends.iter().enumerate() {
                out.insert(
                    NodeKey::Backend(pk.clone(), ok.clone(), backend_name(b)),
                    Node::Backend(p, oi as u32, bi as u32),
                );
            }
            out.insert(
                NodeKey::Outbound(pk.clone(), ok),
                Node::Outbound(p, oi as u32),
            );
        }
    }
}

/// A route policy by what it names: it survives changes of the Policies list (lazy
/// mode adds and drops entries as proxies resolve).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolicyKey {
    pub kind: String,
    pub mesh: Option<String>,
    pub namespace: Option<String>,
    pub name: String,
}

impl super::PolicyEntry {
    pub fn key(&self) -> PolicyKey {
        PolicyKey {
            kind: self.kind.clone(),
            mesh: self.mesh.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}
