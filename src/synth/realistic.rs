//! The realistic Kubernetes shape (`meshtcp generate --shape kubernetes`): a multi-zone
//! mesh of transparent proxies whose route policies select different proxies.
//!
//! - Namespaces `ns-00` … belong to zones `zone-1` … in turn (namespace `n` is in zone
//!   `n % zones`); every MeshService, Dataplane and route policy carries the
//!   `kuma.io/zone` label of its zone, and the policies `kuma.io/origin: zone`, as the
//!   zone control plane they were applied to would label them.
//! - MeshService `svc-NNNN` lives in namespace `NNNN % namespaces`, with an `http` port
//!   (8080) and a `tcp` port (7000). Each has at least one proxy while there are as
//!   many proxies as services; the rest go to a few busy services more than to others.
//! - Every route policy is created in the zone of the service it routes (a name lookup
//!   only finds a service of the policy's own zone) and has one of the three roles:
//!   **system** (namespace `kuma-system`: every proxy of its zone), **producer** (the
//!   service's own namespace: every proxy of every zone, since the zone pre-filter
//!   spares producers) and **consumer** (another namespace of the zone: only that
//!   namespace's proxies). Half of them carry the `kuma.io/policy-role` label, the
//!   others leave it to be computed.
//! - Top-level targetRefs are `Mesh` (written or omitted) or `Dataplane` with `labels`
//!   (`app`, `version`, `team`), which pick a subset of the proxies the role allows.
//! - MeshTCPRoutes target a service's `tcp` port (`sectionName: tcp`) or the whole
//!   service; most MeshHTTPRoutes target whole services, so they also reach the `tcp`
//!   port (ignored there) and beat whole-service MeshTCPRoutes on the `http` port.

use super::Rng;
use std::fmt::Write;

/// The realistic Kubernetes shape's sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct KubernetesShape {
    pub seed: u64,
    pub proxies: usize,
    pub mesh_services: usize,
    pub namespaces: usize,
    pub zones: usize,
    pub tcp_routes: usize,
    pub http_routes: usize,
}

impl KubernetesShape {
    /// A mesh shaped like a real one: 2,000 proxies in 20 namespaces of 4 zones, 1,000
    /// MeshServices, 1,000 MeshTCPRoutes and 300 MeshHTTPRoutes (about 2.4 MB).
    pub fn large() -> Self {
        KubernetesShape {
            seed: 1,
            proxies: 2_000,
            mesh_services: 1_000,
            namespaces: 20,
            zones: 4,
            tcp_routes: 1_000,
            http_routes: 300,
        }
    }

    /// `proxies` times the proxies and `routes` times the route policies (both kinds).
    pub fn scaled(&self, proxies: f64, routes: f64) -> Self {
        let s = |n: usize, f: f64| ((n as f64) * f).round() as usize;
        KubernetesShape {
            proxies: s(self.proxies, proxies),
            tcp_routes: s(self.tcp_routes, routes),
            http_routes: s(self.http_routes, routes),
            ..self.clone()
        }
    }
}

/// The three policy roles the shape writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    System,
    Producer,
    Consumer,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Producer => "producer",
            Role::Consumer => "consumer",
        }
    }

    /// `system_pct` percent system policies, `producer_pct` producer, the rest consumer.
    fn pick(rng: &mut Rng, system_pct: usize, producer_pct: usize) -> Role {
        match rng.below(100) {
            n if n < system_pct => Role::System,
            n if n < system_pct + producer_pct => Role::Producer,
            _ => Role::Consumer,
        }
    }
}

/// Where services, namespaces and zones are.
struct Layout {
    services: usize,
    namespaces: usize,
    zones: usize,
}

impl Layout {
    fn new(shape: &KubernetesShape) -> Self {
        let namespaces = shape.namespaces.max(1);
        Layout {
            services: shape.mesh_services.max(1),
            namespaces,
            zones: shape.zones.clamp(1, namespaces),
        }
    }

    fn ns_of(&self, svc: usize) -> usize {
        svc % self.namespaces
    }

    fn zone_of_ns(&self, ns: usize) -> usize {
        ns % self.zones
    }

    fn zone_of(&self, svc: usize) -> usize {
        self.zone_of_ns(self.ns_of(svc))
    }

    /// A service of namespace `ns` (or `fallback` when it has none).
    fn service_in_ns(&self, rng: &mut Rng, ns: usize, fallback: usize) -> usize {
        if ns >= self.services {
            return fallback;
        }
        ns + self.namespaces * rng.below((self.services - ns).div_ceil(self.namespaces))
    }

    /// A service of zone `zone`, outside namespace `not_ns` when one exists.
    fn service_in_zone(&self, rng: &mut Rng, zone: usize, not_ns: Option<usize>) -> Option<usize> {
        let start = rng.below(self.services);
        (0..self.services)
            .map(|k| (start + k) % self.services)
            .find(|&s| self.zone_of(s) == zone && Some(self.ns_of(s)) != not_ns)
    }

    /// Another namespace of `ns`'s zone, if the zone has one.
    fn other_ns_in_zone(&self, rng: &mut Rng, ns: usize) -> Option<usize> {
        let others: Vec<usize> = (0..self.namespaces)
            .filter(|&n| n != ns && self.zone_of_ns(n) == self.zone_of_ns(ns))
            .collect();
        (!others.is_empty()).then(|| others[rng.below(others.len())])
    }
}

fn svc(i: usize) -> String {
    format!("svc-{i:04}")
}

fn ns(n: usize) -> String {
    format!("ns-{n:02}")
}

fn zone(z: usize) -> String {
    format!("zone-{}", z + 1)
}

fn team(svc: usize) -> String {
    format!("team-{}", (svc / 3) % 12)
}

/// A proxy: the service it runs (its `app` label; `team` and the zone follow from
/// it) and its `version` label.
struct ProxyLabels {
    service: usize,
    version: &'static str,
}

/// Files (relative path, contents) of the realistic Kubernetes mesh.
pub fn kubernetes(shape: &KubernetesShape) -> Vec<(String, String)> {
    let mut rng = Rng::new(shape.seed);
    let at = Layout::new(shape);
    let mut files = vec![(
        "mesh.yaml".to_string(),
        "apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: default\nspec:\n  meshServices:\n    mode: Exclusive\n".to_string(),
    )];
    files.push(("meshservices.yaml".into(), mesh_services(&at)));
    let proxies = proxy_labels(shape, &at, &mut rng);
    files.push(("dataplanes.yaml".into(), dataplanes(&at, &proxies)));
    let (tcp, tcp_targets) = tcp_routes(shape, &at, &proxies, &mut rng);
    files.push(("meshtcproutes.yaml".into(), tcp));
    files.push((
        "meshhttproutes.yaml".into(),
        http_routes(shape, &at, &proxies, &tcp_targets, &mut rng),
    ));
    files
}

fn mesh_services(at: &Layout) -> String {
    let mut s = String::new();
    for i in 0..at.services {
        let _ = write!(
            s,
            "---\napiVersion: kuma.io/v1alpha1\nkind: MeshService\nmetadata:\n  name: {}\n  namespace: {}\n  labels:\n    kuma.io/mesh: default\n    kuma.io/zone: {}\n    kuma.io/origin: zone\n    team: {}\nspec:\n  selector:\n    dataplaneTags:\n      app: {}\n  ports:\n    - {{name: http, port: 8080, targetPort: 8080, appProtocol: http}}\n    - {{name: tcp, port: 7000, targetPort: 7000, appProtocol: tcp}}\nstatus:\n  vips:\n    - ip: 241.{}.{}.{}\n",
            svc(i),
            ns(at.ns_of(i)),
            zone(at.zone_of(i)),
            team(i),
            svc(i),
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        );
    }
    s
}

/// Which service each proxy runs and its version label: one proxy per service first,
/// then the rest skewed towards the first services (the minimum of two draws).
fn proxy_labels(shape: &KubernetesShape, at: &Layout, rng: &mut Rng) -> Vec<ProxyLabels> {
    (0..shape.proxies)
        .map(|p| {
            let service = if p < at.services {
                p
            } else {
                rng.below(at.services).min(rng.below(at.services))
            };
            let version = if rng.chance(20) { "v2" } else { "v1" };
            ProxyLabels { service, version }
        })
        .collect()
}

fn dataplanes(at: &Layout, proxies: &[ProxyLabels]) -> String {
    let mut s = String::new();
    for (p, l) in proxies.iter().enumerate() {
        let (name, n) = (svc(l.service), ns(at.ns_of(l.service)));
        let _ = write!(
            s,
            "---\napiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmetadata:\n  name: {name}-{p:05}\n  namespace: {n}\n  labels:\n    app: {name}\n    version: {v}\n    team: {}\n    kuma.io/zone: {}\nmesh: default\nspec:\n  networking:\n    address: 10.{}.{}.{}\n    inbound:\n      - port: 8080\n        tags: {{kuma.io/service: {name}_{n}_svc_8080, kuma.io/protocol: http, app: {name}, version: {v}}}\n      - port: 7000\n        tags: {{kuma.io/service: {name}_{n}_svc_7000, kuma.io/protocol: tcp, app: {name}, version: {v}}}\n    transparentProxying:\n      redirectPortInbound: 15006\n      redirectPortOutbound: 15001\n",
            team(l.service),
            zone(at.zone_of(l.service)),
            (p >> 16) & 255,
            (p >> 8) & 255,
            p & 255,
            v = l.version,
        );
    }
    s
}

/// The metadata of a route policy of `role` in `namespace` and zone `z`.
fn metadata(
    s: &mut String,
    kind: &str,
    name: &str,
    namespace: &str,
    z: usize,
    role: Role,
    rng: &mut Rng,
) {
    let _ = write!(
        s,
        "---\napiVersion: kuma.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels:\n    kuma.io/mesh: default\n    kuma.io/zone: {}\n    kuma.io/origin: zone\n",
        zone(z)
    );
    if rng.chance(50) {
        let _ = writeln!(s, "    kuma.io/policy-role: {}", role.label());
    }
}

/// A top-level targetRef for a policy of `role` in zone `z` and namespace `policy_ns`
/// (a namespace index; `None` for the system namespace). Producers select every
/// proxy; the others sometimes pick, by one metadata label, some of the proxies their
/// role lets them select (the labels of one of those, so never none).
fn top_level(
    rng: &mut Rng,
    at: &Layout,
    role: Role,
    (policy_ns, z): (Option<usize>, usize),
    proxies: &[ProxyLabels],
) -> Option<String> {
    let by_labels = match role {
        Role::Producer => false,
        Role::System => rng.chance(40),
        Role::Consumer => rng.chance(60),
    };
    let allowed: Vec<&ProxyLabels> = proxies
        .iter()
        .filter(|l| match policy_ns {
            Some(n) => at.ns_of(l.service) == n,
            None => at.zone_of(l.service) == z,
        })
        .collect();
    if !by_labels || allowed.is_empty() {
        return (role != Role::Producer || rng.chance(50)).then(|| "{kind: Mesh}".to_string());
    }
    let one = allowed[rng.below(allowed.len())];
    // `version: v1` would often select all of a small namespace's proxies.
    let labels = match rng.below(3) {
        1 if one.version == "v2" => "version: v2".to_string(),
        2 => format!("team: {}", team(one.service)),
        _ => format!("app: {}", svc(one.service)),
    };
    Some(format!("{{kind: Dataplane, labels: {{{labels}}}}}"))
}

/// The role, namespace and zone of a policy routing `target`; `None` when the role
/// needs a namespace the layout lacks (a consumer with no other namespace in the zone).
fn placement(
    rng: &mut Rng,
    at: &Layout,
    role: Role,
    target: usize,
) -> Option<(Option<usize>, usize)> {
    let z = at.zone_of(target);
    match role {
        Role::System => Some((None, z)),
        Role::Producer => Some((Some(at.ns_of(target)), z)),
        Role::Consumer => at
            .other_ns_in_zone(rng, at.ns_of(target))
            .map(|n| (Some(n), z)),
    }
}

/// A `to[].targetRef` to `target`, written as a policy in `policy_ns` would.
fn to_ref(at: &Layout, target: usize, policy_ns: Option<usize>, section: Option<&str>) -> String {
    let mut s = format!("{{kind: MeshService, name: {}", svc(target));
    if policy_ns != Some(at.ns_of(target)) {
        let _ = write!(s, ", namespace: {}", ns(at.ns_of(target)));
    }
    if let Some(section) = section {
        let _ = write!(s, ", sectionName: {section}");
    }
    s.push('}');
    s
}

fn backend_ref(at: &Layout, svc_idx: usize, port: u32, weight: usize) -> String {
    format!(
        "{{kind: MeshService, name: {}, namespace: {}, port: {port}, weight: {weight}}}",
        svc(svc_idx),
        ns(at.ns_of(svc_idx))
    )
}

/// Another service a route to `target` may send to: one of the same namespace for a
/// producer (its own services), else one of the same zone.
fn backend(rng: &mut Rng, at: &Layout, role: Role, target: usize) -> usize {
    match role {
        Role::Producer => at.service_in_ns(rng, at.ns_of(target), target),
        _ => at
            .service_in_zone(rng, at.zone_of(target), None)
            .unwrap_or(target),
    }
}

/// The MeshTCPRoutes, and the services they target (MeshHTTPRoutes prefer those).
fn tcp_routes(
    shape: &KubernetesShape,
    at: &Layout,
    proxies: &[ProxyLabels],
    rng: &mut Rng,
) -> (String, Vec<usize>) {
    let mut s = String::new();
    let mut targets = Vec::new();
    let mut r = 0;
    while targets.len() < shape.tcp_routes {
        let target = rng.below(at.services);
        let role = Role::pick(rng, 10, 40);
        let Some((policy_ns, z)) = placement(rng, at, role, target) else {
            r += 1;
            if r > 100 * shape.tcp_routes {
                break;
            }
            continue;
        };
        targets.push(target);
        let namespace = policy_ns.map_or("kuma-system".to_string(), ns);
        let name = format!("{}-tcp-{:04}", svc(target), targets.len() - 1);
        metadata(&mut s, "MeshTCPRoute", &name, &namespace, z, role, rng);
        s.push_str("spec:\n");
        if let Some(top) = top_level(rng, at, role, (policy_ns, z), proxies) {
            let _ = writeln!(s, "  targetRef: {top}");
        }
        s.push_str("  to:\n");
        // A producer's second item is another service of its namespace; the others',
        // another service of the zone outside the consumer's own namespace.
        let second = match role {
            Role::Producer => Some(at.service_in_ns(rng, at.ns_of(target), target)),
            _ => at.service_in_zone(rng, z, policy_ns),
        }
        .filter(|&t| t != target && rng.chance(20));
        for t in std::iter::once(target).chain(second) {
            let section = rng.chance(50).then_some("tcp");
            let _ = write!(
                s,
                "    - targetRef: {}\n      rules:\n        - default:\n            backendRefs:\n",
                to_ref(at, t, policy_ns, section)
            );
            let weight = 50 + rng.below(50);
            let _ = writeln!(s, "              - {}", backend_ref(at, t, 7000, weight));
            for _ in 0..rng.below(3) {
                let b = backend(rng, at, role, t);
                let _ = writeln!(
                    s,
                    "              - {}",
                    backend_ref(at, b, 7000, rng.below(50))
                );
            }
        }
    }
    (s, targets)
}

fn http_routes(
    shape: &KubernetesShape,
    at: &Layout,
    proxies: &[ProxyLabels],
    tcp_targets: &[usize],
    rng: &mut Rng,
) -> String {
    let mut s = String::new();
    let mut written = 0;
    let mut tries = 0;
    while written < shape.http_routes && tries < 100 * shape.http_routes.max(1) {
        tries += 1;
        // Mostly services some MeshTCPRoute routes too.
        let target = if !tcp_targets.is_empty() && rng.chance(70) {
            tcp_targets[rng.below(tcp_targets.len())]
        } else {
            rng.below(at.services)
        };
        let role = Role::pick(rng, 10, 50);
        let Some((policy_ns, z)) = placement(rng, at, role, target) else {
            continue;
        };
        let namespace = policy_ns.map_or("kuma-system".to_string(), ns);
        let name = format!("{}-http-{written:04}", svc(target));
        metadata(&mut s, "MeshHTTPRoute", &name, &namespace, z, role, rng);
        s.push_str("spec:\n");
        if let Some(top) = top_level(rng, at, role, (policy_ns, z), proxies) {
            let _ = writeln!(s, "  targetRef: {top}");
        }
        // Whole services mostly: the route then also reaches the tcp port.
        let section = rng.chance(20).then_some("http");
        let _ = write!(
            s,
            "  to:\n    - targetRef: {}\n      rules:\n        - matches:\n            - path: {{type: PathPrefix, value: /api/v{}}}\n          default:\n            backendRefs:\n              - {}\n",
            to_ref(at, target, policy_ns, section),
            1 + rng.below(3),
            backend_ref(at, target, 8080, 1)
        );
        written += 1;
    }
    s
}
