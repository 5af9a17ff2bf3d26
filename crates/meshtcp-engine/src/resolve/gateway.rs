//! §8: builtin gateways. Each listener of the gateway's MeshGateway is an outbound with
//! `destination.kind: MeshGateway`; MeshTCPRoute routes only its TCP and TLS listeners.

use super::backends::resolve_refs;
use super::index::Policy;
use super::output::{Destination, OutboundReport, PolicyStatus, RouteKind, Status};
use super::route::Ctx;
use super::selection::selects_listener;
use crate::model::{GatewayListener, MeshGatewaySpec, Meta, Tags};

fn listener_tags(dp_tags: &Tags, gw: &MeshGatewaySpec, l: &GatewayListener) -> Tags {
    let mut t = dp_tags.clone();
    t.extend(gw.tags.clone());
    t.extend(l.tags.clone());
    t
}

/// The merged tags of every listener (for top-level selection).
pub fn all_listener_tags(dp_tags: &Tags, gw: &MeshGatewaySpec) -> Vec<Tags> {
    gw.conf
        .listeners
        .iter()
        .map(|l| listener_tags(dp_tags, gw, l))
        .collect()
}

fn status_row(p: &Policy, status: Status, reason: String) -> PolicyStatus {
    super::route::row(p, status, reason, &p.gateway_key().1)
}

impl Ctx<'_, '_> {
    /// Outbounds (listeners) of a builtin gateway.
    pub fn gateway_listeners(
        &self,
        gw_meta: &Meta,
        gw: &MeshGatewaySpec,
        dp_tags: &Tags,
        tcp: &[&Policy],
        http: &[&Policy],
        findings: &mut Vec<crate::model::Finding>,
    ) -> Vec<OutboundReport> {
        let mut out = Vec::new();
        for l in &gw.conf.listeners {
            let tags = listener_tags(dp_tags, gw, l);
            let proto = l.protocol();
            let covering = |set: &[&Policy]| -> Vec<usize> {
                set.iter()
                    .enumerate()
                    .filter(|(_, p)| selects_listener(p.top, &tags) && p.has_mesh_entries())
                    .map(|(i, _)| i)
                    .collect()
            };
            let mut t: Vec<&Policy> = covering(tcp).into_iter().map(|i| tcp[i]).collect();
            t.sort_by(|a, b| a.gateway_key().0.cmp(&b.gateway_key().0));
            let h: Vec<&Policy> = covering(http).into_iter().map(|i| http[i]).collect();
            let destination = Destination {
                kind: "MeshGateway".into(),
                name: gw_meta.name.clone(),
                namespace: gw_meta.namespace.clone(),
                port: l.port,
                section_name: None,
                listener_port: None,
            };
            let mut notes = vec![];
            let mut policies = vec![];
            let (route, backends, reason) = if matches!(proto.as_str(), "TCP" | "TLS") {
                for p in &h {
                    policies.push(status_row(
                        p,
                        Status::Ignored,
                        format!("MeshHTTPRoute does not route {proto} listeners"),
                    ));
                }
                match t.last() {
                    Some(w) => {
                        let entry = w
                            .entries
                            .iter()
                            .rev()
                            .find(|e| e.mesh_wide)
                            .expect("has mesh entries");
                        let refs = entry
                            .rules
                            .and_then(|r| r.first())
                            .and_then(|r| r.default.as_ref())
                            .and_then(|d| d.backend_refs.as_deref())
                            .unwrap_or_default();
                        let r = resolve_refs(refs, w.meta, self.mesh, self.version);
                        findings.extend(r.findings);
                        for p in &t {
                            if std::ptr::eq(*p, *w) {
                                policies.push(status_row(
                                    p,
                                    Status::Applied,
                                    format!(
                                        "highest precedence of {} MeshTCPRoutes on this listener",
                                        t.len()
                                    ),
                                ));
                            } else {
                                let why = p
                                    .gateway_key()
                                    .0
                                    .decided_by(&w.gateway_key().0)
                                    .unwrap_or_else(|| "later in the input".into());
                                policies.push(status_row(
                                    p,
                                    Status::Overridden,
                                    format!(
                                        "replaced by higher-precedence {} ({why})",
                                        w.meta.qualified_name()
                                    ),
                                ));
                            }
                        }
                        (
                            RouteKind::MeshTCPRoute,
                            r.backends,
                            format!(
                                "MeshTCPRoute {} routes this {proto} listener",
                                w.meta.qualified_name()
                            ),
                        )
                    }
                    None => {
                        notes.push("no MeshTCPRoute covers this listener; without a MeshGatewayRoute it has no backend (UNVERIFIED)".into());
                        (
                            RouteKind::Default,
                            vec![],
                            format!("no MeshTCPRoute targets this {proto} listener"),
                        )
                    }
                }
            } else {
                for p in &t {
                    policies.push(status_row(
                        p,
                        Status::Ignored,
                        format!("MeshTCPRoute only routes TCP and TLS gateway listeners; this one is {proto}"),
                    ));
                }
                match h.last() {
                    Some(w) => {
                        for p in &h {
                            policies.push(status_row(
                                p,
                                Status::Applied,
                                "its rules are part of this listener's HTTP routes".into(),
                            ));
                        }
                        (
                            RouteKind::MeshHTTPRoute,
                            vec![],
                            format!(
                                "MeshHTTPRoute {} routes this {proto} listener (HTTP backends are not expanded here)",
                                w.meta.name
                            ),
                        )
                    }
                    None => {
                        notes.push("no MeshHTTPRoute covers this listener".into());
                        (
                            RouteKind::Default,
                            vec![],
                            format!("no route targets this {proto} listener"),
                        )
                    }
                }
            };
            out.push(OutboundReport {
                destination,
                protocol: proto.to_ascii_lowercase(),
                route,
                backends,
                policies,
                reason,
                notes,
                legacy_policies: vec![],
            });
        }
        out
    }
}
