//! The severity of an ignored route (report v2): `tcproute-ignored-by-httproute` and
//! `httproute-ignored-on-tcp` are warnings only where the policy has no effect at all,
//! ignored on every outbound it selects; where it is still applied on some outbound
//! they are info, and the message names one such outbound.

use super::index::MeshIndex;
use super::route::Applied;
use crate::model::{Code, Finding, ResourceRef, Severity};
use std::sync::Arc;

/// For each MeshTCPRoute (`[0]`) and MeshHTTPRoute (`[1]`) of a mesh, by its order: the
/// least outbound label it is applied on, if any. The least, not the first seen: which
/// proxy's outbound is resolved first depends on the threads, the least label does not.
#[derive(Debug, Default)]
pub struct AppliedAt([Vec<Option<Arc<str>>>; 2]);

impl AppliedAt {
    pub fn note(&mut self, a: Applied) {
        let v = &mut self.0[a.http as usize];
        if v.len() <= a.order {
            v.resize(a.order + 1, None);
        }
        match &v[a.order] {
            Some(l) if **l <= *a.outbound => {}
            _ => v[a.order] = Some(a.outbound),
        }
    }

    /// Add what another pass (another thread) saw.
    pub fn join(&mut self, other: AppliedAt) {
        for (http, v) in other.0.into_iter().enumerate() {
            for (order, l) in v.into_iter().enumerate() {
                if let Some(outbound) = l {
                    self.note(Applied {
                        http: http == 1,
                        order,
                        outbound,
                    });
                }
            }
        }
    }

    fn at(&self, http: bool, order: usize) -> Option<&Arc<str>> {
        self.0[http as usize].get(order).and_then(Option::as_ref)
    }

    /// Set the severity of the ignored-route findings of `mesh` among `found` and say
    /// in their message whether the policy still applies somewhere.
    pub fn judge(&self, mesh: &MeshIndex, found: &mut [Finding]) {
        let mut orders: Option<super::FastMap<(bool, Arc<ResourceRef>), usize>> = None;
        for f in found.iter_mut() {
            let http = match f.code {
                Code::TcprouteIgnoredByHttproute => false,
                Code::HttprouteIgnoredOnTcp => true,
                _ => continue,
            };
            let Some(r) = f.resource.clone() else {
                continue;
            };
            let orders = orders.get_or_insert_with(|| {
                let mut m = super::FastMap::default();
                for (h, set) in [(false, &mesh.tcp), (true, &mesh.http)] {
                    for p in &set.all {
                        m.insert((h, mesh.resource_ref(p.meta)), p.order);
                    }
                }
                m
            });
            let Some(&order) = orders.get(&(http, r)) else {
                continue;
            };
            let mut message = f.message.to_string();
            match self.at(http, order) {
                None => {
                    f.severity = Severity::Warning;
                    message.push_str(
                        ". It has no effect at all: ignored on every outbound it selects",
                    );
                }
                Some(at) => {
                    f.severity = Severity::Info;
                    let here = f
                        .proxies
                        .iter()
                        .any(|h| h.outbounds.iter().any(|o| o == at));
                    if !here {
                        message.push_str(". It still applies elsewhere, e.g. on ");
                        message.push_str(at);
                    }
                }
            }
            f.message = message.into();
        }
    }
}
