//! §2: the outbounds of a proxy and their protocols.

use super::index::{MeshIndex, RealSvc};
use super::output::Destination;
use super::selection::tags_match;
use super::version::{Feature, KumaVersion};
use crate::model::{MeshServicesMode, ProxyType, ReachableRef};

/// The port a legacy VIP outbound listens on with transparent proxying (Kuma's default
/// VIP port for `kuma.io/service` hostnames).
pub const LEGACY_VIP_PORT: u32 = 80;

/// What an outbound listener points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A legacy `kuma.io/service`.
    Legacy(String),
    /// A real resource (index into the mesh's real services) and a port section.
    Real { svc: usize, section: String },
}

/// One outbound of one proxy: borrowed from the mesh's shared VIP lists (every
/// outbound of a transparent proxy) or the proxy's own. Two words either way; a `Cow`
/// would be as large as an `Outbound`, and a 2,000-outbound list was copied per proxy.
#[derive(Debug)]
pub enum Ob<'m> {
    Shared(&'m Outbound),
    Own(Box<Outbound>),
}

impl Ob<'_> {
    pub fn is_shared(&self) -> bool {
        matches!(self, Ob::Shared(_))
    }
}

impl std::ops::Deref for Ob<'_> {
    type Target = Outbound;
    fn deref(&self) -> &Outbound {
        match self {
            Ob::Shared(o) => o,
            Ob::Own(o) => o,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outbound {
    pub destination: Destination,
    pub protocol: Protocol,
    pub target: Target,
    pub notes: Vec<String>,
    /// [`Destination::label`], made once for the findings about this outbound.
    label: std::sync::OnceLock<std::sync::Arc<str>>,
}

impl Outbound {
    /// The destination's label (`backend:8080`), shared by the findings that name it.
    pub fn label(&self) -> std::sync::Arc<str> {
        self.label
            .get_or_init(|| self.destination.label().into())
            .clone()
    }
}

/// An outbound's protocol (§2.2). `Unknown` is routed as TCP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    Known(String),
    Unknown,
}

impl Protocol {
    pub fn from_tag(t: Option<&String>) -> Protocol {
        match t.map(|s| s.to_ascii_lowercase()) {
            Some(p)
                if matches!(
                    p.as_str(),
                    "http" | "http2" | "grpc" | "tcp" | "kafka" | "tls"
                ) =>
            {
                Protocol::Known(p)
            }
            _ => Protocol::Unknown,
        }
    }

    /// `http`, `http2` and `grpc` are routed by MeshHTTPRoute.
    pub fn is_http(&self) -> bool {
        matches!(self, Protocol::Known(p) if matches!(p.as_str(), "http" | "http2" | "grpc"))
    }

    /// What the report prints: unknown is printed as `tcp`.
    pub fn shown(&self) -> String {
        self.as_str().to_string()
    }

    /// What [`Protocol::shown`] shows, borrowed.
    pub fn as_str(&self) -> &str {
        match self {
            Protocol::Known(p) => p,
            Protocol::Unknown => "tcp",
        }
    }

    fn stack(p: &str) -> &'static [&'static str] {
        match p {
            "grpc" => &["grpc", "http2", "tcp"],
            "http2" => &["http2", "tcp"],
            "http" => &["http", "tcp"],
            "kafka" => &["kafka", "tcp"],
            _ => &["tcp"],
        }
    }

    /// The protocol two endpoints of one service share.
    pub fn common(&self, other: &Protocol) -> Protocol {
        match (self, other) {
            (Protocol::Known(a), Protocol::Known(b)) if a == b => self.clone(),
            (Protocol::Known(a), Protocol::Known(b)) => {
                let sb = Self::stack(b);
                Self::stack(a)
                    .iter()
                    .find(|p| sb.contains(p))
                    .map(|p| Protocol::Known(p.to_string()))
                    .unwrap_or(Protocol::Unknown)
            }
            _ => Protocol::Unknown,
        }
    }
}

fn legacy_outbound(mesh: &MeshIndex, service: &str, port: u32) -> Outbound {
    let protocol = mesh.service_protocol(service);
    let mut notes = vec![];
    if protocol == Protocol::Unknown {
        notes.push(if mesh.services.contains_key(service) {
            format!("protocol of `{service}` is unknown (its endpoints lack a common kuma.io/protocol); routed as tcp")
        } else {
            format!("no Dataplane or ExternalService serves `{service}`; protocol unknown, routed as tcp")
        });
    }
    Outbound {
        destination: Destination {
            kind: "service".into(),
            name: service.into(),
            namespace: None,
            port,
            section_name: None,
            listener_port: None,
        },
        protocol,
        target: Target::Legacy(service.into()),
        notes,
        label: Default::default(),
    }
}

fn real_outbound(
    svc_idx: usize,
    svc: &RealSvc,
    port_idx: usize,
    section_by_number: bool,
) -> Outbound {
    let port = &svc.ports[port_idx];
    let section = if section_by_number {
        port.port.to_string()
    } else {
        port.section_name()
    };
    let protocol = Protocol::from_tag(Some(&port.protocol()));
    Outbound {
        destination: Destination {
            kind: svc.meta.kind.as_str().into(),
            name: svc.meta.display_name().into(),
            namespace: svc.meta.kri_namespace().map(String::from),
            port: port.port,
            section_name: port.name.clone(),
            listener_port: None,
        },
        protocol: if protocol == Protocol::Unknown {
            Protocol::Known("tcp".into())
        } else {
            protocol
        },
        target: Target::Real {
            svc: svc_idx,
            section,
        },
        notes: vec![],
        label: Default::default(),
    }
}

fn reachable(r: &ReachableRef, svc: &RealSvc, port: u32, dp_ns: Option<&str>) -> bool {
    if r.kind.as_deref() != Some(svc.meta.kind.as_str()) {
        return false;
    }
    if r.port.is_some_and(|p| p != port) {
        return false;
    }
    if let Some(labels) = &r.labels {
        return tags_match(labels, &svc.meta.labels);
    }
    let ns = r.namespace.as_deref().or(dp_ns);
    r.name.as_deref() == Some(svc.meta.display_name())
        && (ns.is_none() || ns == svc.meta.kri_namespace())
}

/// The real resource a Dataplane outbound's `backendRef` names: by name (the namespace
/// and zone are the Dataplane's), or by labels, where the **oldest** match by creation
/// time wins (`resolveResourceIdentifier`, `pkg/xds/context/destination_index.go@v2.13.0`;
/// a resource without a creation time counts as older, then input order decides).
pub fn backend_ref_target(
    mesh: &MeshIndex,
    dp: &crate::model::Meta,
    kind: &str,
    br: &crate::model::OutboundBackendRef,
) -> Option<usize> {
    let candidates = mesh
        .reals
        .iter()
        .enumerate()
        .filter(|(_, s)| s.meta.kind.as_str() == kind);
    match (&br.name, &br.labels) {
        (_, Some(l)) if !l.is_empty() => candidates
            .filter(|(_, s)| tags_match(l, &s.meta.labels))
            .min_by(|(i, a), (j, b)| a.meta.created.cmp(&b.meta.created).then(i.cmp(j)))
            .map(|(i, _)| i),
        (Some(n), _) => candidates
            .filter(|(_, s)| {
                n == s.meta.display_name()
                    && s.meta.kri_namespace() == dp.kri_namespace()
                    && mesh.zone_of(s.meta) == mesh.zone_of(dp)
            })
            .map(|(i, _)| i)
            .next(),
        _ => None,
    }
}

/// Every outbound of `proxy` (a sidecar or delegated gateway), in a stable order, plus
/// notes about what was skipped.
pub fn outbounds<'m>(
    mesh: &'m MeshIndex,
    proxy: &super::selection::ProxyView,
    v: KumaVersion,
) -> (Vec<Ob<'m>>, Vec<String>) {
    let (out, notes, _) = outbounds_keyed(mesh, proxy, v);
    (out, notes)
}

/// [`outbounds`], plus, when every outbound is borrowed from the mesh's shared VIP
/// lists, which of them (a bit per entry of the legacy then the real list): two
/// proxies with equal sets have the very same outbounds.
pub fn outbounds_keyed<'m>(
    mesh: &'m MeshIndex,
    proxy: &super::selection::ProxyView,
    v: KumaVersion,
) -> (Vec<Ob<'m>>, Vec<String>, Option<Vec<u64>>) {
    let (out, mut notes, set) = collect(mesh, proxy, v);
    if out.is_empty() && proxy.proxy_type != ProxyType::BuiltinGateway {
        notes.push(why_none(mesh, proxy, v, !notes.is_empty()));
    }
    (out, notes, set)
}

/// The one-line reason a sidecar or delegated gateway has no outbound at all.
fn why_none(
    mesh: &MeshIndex,
    proxy: &super::selection::ProxyView,
    v: KumaVersion,
    skipped: bool,
) -> String {
    let net = &proxy.spec.networking;
    if !proxy.spec.transparent_proxy() {
        return if net.outbound.is_empty() {
            "no outbounds: no transparent proxying and no networking.outbound entries".into()
        } else {
            "no outbounds: every networking.outbound entry was skipped (see the notes above)".into()
        };
    }
    let reachable = net
        .transparent_proxying
        .as_ref()
        .and_then(|t| t.reachable_services.as_ref())
        .is_some_and(|r| !r.is_empty());
    if mesh.mode == MeshServicesMode::Exclusive {
        return if !v.has(Feature::RealResources) {
            format!(
                "no outbounds: meshServices.mode Exclusive leaves no legacy kuma.io/service outbounds, and Kuma \
                 {v} builds no MeshService outbounds (2.9+)"
            )
        } else if mesh.reals.is_empty() {
            "no outbounds: meshServices.mode Exclusive leaves no legacy kuma.io/service outbounds, and the \
             mesh has no MeshService, MeshExternalService or MeshMultiZoneService"
                .into()
        } else {
            "no outbounds: meshServices.mode Exclusive leaves no legacy outbounds, and this proxy's filters \
             drop every real-resource one (see the notes above)"
                .into()
        };
    }
    if mesh.services.is_empty() && mesh.reals.is_empty() {
        "no outbounds: transparent proxying gets one outbound per service of the mesh, and the mesh has \
         none (no Dataplane inbound or ExternalService kuma.io/service, no MeshService)"
            .into()
    } else if reachable {
        "no outbounds: reachableServices lists none of the mesh's services".into()
    } else if skipped {
        "no outbounds: every candidate was filtered (see the notes above)".into()
    } else {
        "no outbounds: no service of the mesh passes this proxy's outbound filters".into()
    }
}

fn collect<'m>(
    mesh: &'m MeshIndex,
    proxy: &super::selection::ProxyView,
    v: KumaVersion,
) -> (Vec<Ob<'m>>, Vec<String>, Option<Vec<u64>>) {
    let mut out: Vec<Ob<'m>> = Vec::new();
    let mut notes = Vec::new();
    let net = &proxy.spec.networking;
    if proxy.proxy_type == ProxyType::BuiltinGateway {
        return (out, notes, None);
    }
    if !proxy.spec.transparent_proxy() {
        for (i, o) in net.outbound.iter().enumerate() {
            if let Some(s) = o.legacy_service() {
                let mut ob = legacy_outbound(mesh, s, o.port);
                ob.destination.listener_port = Some(o.port);
                out.push(Ob::Own(Box::new(ob)));
                continue;
            }
            let Some(br) = &o.backend_ref else {
                notes.push(format!(
                    "outbound[{i}] (port {}) names no kuma.io/service and no backendRef; skipped",
                    o.port
                ));
                continue;
            };
            if !v.has(Feature::RealResources) {
                notes.push(format!(
                    "outbound[{i}] uses backendRef, which Kuma resolves to real MeshServices only from 2.9; skipped"
                ));
                continue;
            }
            let kind = br.kind.as_deref().unwrap_or("MeshService");
            let found = backend_ref_target(mesh, proxy.meta, kind, br);
            // A MeshExternalService has one port, `match.port`, whatever the ref says
            // (`FindPortByName`); a MeshService or MeshMultiZoneService port is found by
            // number (`dataplane_validator.go`, `asOutbounds`).
            let resolved = found.and_then(|idx| {
                let s = &mesh.reals[idx];
                let pi = if kind == "MeshExternalService" {
                    0
                } else {
                    let p = br.port?;
                    s.ports.iter().position(|x| x.port == p)?
                };
                (pi < s.ports.len()).then(|| real_outbound(idx, s, pi, true))
            });
            match resolved {
                Some(mut ob) => {
                    ob.destination.listener_port = Some(o.port);
                    out.push(Ob::Own(Box::new(ob)))
                }
                None => notes.push(format!(
                    "outbound[{i}] backendRef {kind} {} port {} does not resolve to a resource and port in the input; \
                     Kuma skips it",
                    br.name.as_deref().unwrap_or("(by labels)"),
                    br.port.map_or("?".into(), |p| p.to_string())
                )),
            }
        }
        return (out, notes, None);
    }
    // Transparent proxy: VIP outbounds, filtered.
    let tp = net.transparent_proxying.as_ref().expect("checked above");
    let reachable_services = tp.reachable_services.as_ref().filter(|r| !r.is_empty());
    let reachable_backends = tp.reachable_backends.as_ref();
    let vips = mesh.vip_outbounds();
    let mut set = vec![0u64; (vips.legacy.len() + vips.real.len()).div_ceil(64)];
    let mut mark = |i: usize| set[i / 64] |= 1 << (i % 64);
    if mesh.mode != MeshServicesMode::Exclusive {
        for (i, ob) in vips.legacy.iter().enumerate() {
            if reachable_services.is_some_and(|r| !r.contains(&ob.destination.name)) {
                continue;
            }
            out.push(Ob::Shared(ob));
            mark(i);
        }
    } else {
        notes.push("meshServices.mode is Exclusive: no legacy kuma.io/service outbounds".into());
    }
    if !v.has(Feature::RealResources) {
        // Up to 2.8 explicit outbounds that are not generated VIPs are kept beside them;
        // from 2.9 the VIP outbounds replace them (`resolveVIPOutbounds`,
        // `pkg/xds/sync/dataplane_proxy_builder.go@2.6.0` vs `@2.9.19`).
        for o in &net.outbound {
            if let Some(s) = o.legacy_service()
                && !out
                    .iter()
                    .any(|x| x.destination.name == s && x.destination.port == o.port)
            {
                out.push(Ob::Own(Box::new(legacy_outbound(mesh, s, o.port))));
            }
        }
        let all_shared = out.iter().all(Ob::is_shared);
        return (out, notes, all_shared.then_some(set));
    }
    if reachable_services.is_some() && reachable_backends.is_none() {
        notes.push("reachableServices is set without reachableBackends: real-resource outbounds are dropped".into());
        return (out, notes, Some(set));
    }
    if mesh.mode == MeshServicesMode::ReachableBackends && reachable_backends.is_none() {
        notes.push("meshServices.mode is ReachableBackends and the proxy lists none: no real-resource outbounds".into());
        return (out, notes, Some(set));
    }
    let own: Vec<(Option<&str>, u32)> = net
        .inbound
        .iter()
        .map(|i| {
            (
                i.address.as_deref().or(net.address.as_deref()),
                i.port.unwrap_or(0),
            )
        })
        .collect();
    for (j, (ob, vip)) in vips.real.iter().enumerate() {
        let Target::Real { svc, .. } = &ob.target else {
            continue;
        };
        let svc = &mesh.reals[*svc];
        if let Some(rb) = reachable_backends
            && !rb
                .refs
                .iter()
                .any(|r| reachable(r, svc, ob.destination.port, proxy.meta.kri_namespace()))
        {
            continue;
        }
        if own
            .iter()
            .any(|(a, port)| *a == Some(vip.as_str()) && *port == ob.destination.port)
        {
            continue;
        }
        out.push(Ob::Shared(ob));
        mark(vips.legacy.len() + j);
    }
    (out, notes, Some(set))
}

/// The address given to a real resource without `status` VIPs: matches no inbound.
pub const ASSUMED_VIP: &str = "(assumed VIP)";

/// The VIP outbounds every transparent-proxy proxy of a mesh starts from, built once per
/// mesh: one per legacy service (port 80) and one per (real resource with a VIP, port).
#[derive(Debug, Default)]
pub struct VipOutbounds {
    pub legacy: Vec<Outbound>,
    /// With the VIP each listens on (to drop one that equals the proxy's own inbound).
    pub real: Vec<(Outbound, String)>,
    /// Where each legacy service is in `legacy`.
    pub legacy_pos: super::FastMap<String, usize>,
    /// Real service → (section, position in `real`) of each of its outbounds.
    pub real_pos: super::FastMap<usize, Vec<(String, usize)>>,
}

impl VipOutbounds {
    /// Does the set of outbounds `bits` (a bit per entry of `legacy`, then of `real`;
    /// see [`outbounds_keyed`]) hold one that the `to[]` entry `e` applies to?
    pub fn any_for(&self, bits: &[u64], e: &super::index::Entry) -> bool {
        let on = |i: usize| bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1);
        if let Some(s) = e.legacy_service
            && self.legacy_pos.get(s).is_some_and(|&i| on(i))
        {
            return true;
        }
        e.real.iter().any(|(svc, sec)| {
            self.real_pos.get(svc).is_some_and(|ports| {
                ports.iter().any(|(psec, j)| {
                    sec.as_ref().is_none_or(|s| s == psec) && on(self.legacy.len() + j)
                })
            })
        })
    }
}

/// Does the `to[]` entry `e` apply to outbound `o` (the matching of
/// [`super::route::candidates`], without the precedence)?
pub fn entry_applies(e: &super::index::Entry, o: &Outbound) -> bool {
    match &o.target {
        Target::Legacy(s) => e.legacy_service == Some(s.as_str()),
        Target::Real { svc, section } => e
            .real
            .iter()
            .any(|(i, sec)| i == svc && sec.as_ref().is_none_or(|s| s == section)),
    }
}

pub fn vip_outbounds(mesh: &MeshIndex) -> VipOutbounds {
    let mut names: Vec<&String> = mesh.services.keys().collect();
    names.sort_unstable();
    let legacy: Vec<Outbound> = names
        .into_iter()
        .map(|s| legacy_outbound(mesh, s, LEGACY_VIP_PORT))
        .collect();
    let legacy_pos = legacy
        .iter()
        .enumerate()
        .map(|(i, o)| (o.destination.name.clone(), i))
        .collect();
    let mut real = Vec::new();
    for (idx, svc) in mesh.reals.iter().enumerate() {
        // Without `status.vips` (a file written by hand) the control plane would
        // allocate one: assumed, so that transparent proxies get the outbounds (a
        // `vip-assumed` finding says so).
        let vip = svc.vips.first().map_or(ASSUMED_VIP, String::as_str);
        let mut seen = std::collections::BTreeSet::new();
        for (pi, p) in svc.ports.iter().enumerate() {
            if seen.insert(p.port) {
                real.push((real_outbound(idx, svc, pi, false), vip.to_string()));
            }
        }
    }
    let mut real_pos: super::FastMap<usize, Vec<(String, usize)>> = Default::default();
    for (j, (o, _)) in real.iter().enumerate() {
        if let Target::Real { svc, section } = &o.target {
            real_pos.entry(*svc).or_default().push((section.clone(), j));
        }
    }
    VipOutbounds {
        legacy,
        real,
        legacy_pos,
        real_pos,
    }
}
