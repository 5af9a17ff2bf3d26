//! Synthetic meshes of any size, deterministic for a seed: for benchmarks and the
//! performance comparison script (`meshtcp generate`). Output is YAML text per file.

use std::fmt::Write;

mod realistic;

pub use realistic::{KubernetesShape, kubernetes};

/// The shapes `meshtcp generate --shape` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Universal: 5,000 proxies with 10 explicit outbounds each to legacy services;
    /// MeshTCPRoutes, MeshHTTPRoutes, TrafficRoutes and Timeouts (about 6 MB).
    Universal,
    /// Kubernetes shaped like a real mesh: 2,000 transparent proxies in 20 namespaces
    /// of 4 zones, 1,000 MeshServices (http and tcp ports), 1,000 MeshTCPRoutes and 300
    /// MeshHTTPRoutes in the system, producer and consumer roles, some selecting
    /// proxies by labels (about 2.4 MB).
    Kubernetes,
    /// Kubernetes, every proxy selected alike: 2,000 transparent proxies, 1,000
    /// MeshServices (http and tcp ports), 600 Mesh-wide MeshTCPRoutes (about 1.6 MB).
    KubernetesUniform,
}

/// The files of `shape`, its proxies and route policies multiplied by `proxies` and
/// `routes`.
pub fn generate(shape: Shape, seed: u64, proxies: f64, routes: f64) -> Vec<(String, String)> {
    let scale = |n: usize, f: f64| ((n as f64) * f).round() as usize;
    match shape {
        Shape::Universal => universal(
            &UniversalShape {
                seed,
                ..UniversalShape::large()
            }
            .scaled(proxies, routes),
        ),
        Shape::Kubernetes => kubernetes(
            &KubernetesShape {
                seed,
                ..KubernetesShape::large()
            }
            .scaled(proxies, routes),
        ),
        Shape::KubernetesUniform => {
            let base = KubernetesUniformShape::large();
            kubernetes_uniform(&KubernetesUniformShape {
                seed,
                proxies: scale(base.proxies, proxies),
                routes: scale(base.routes, routes),
                ..base
            })
        }
    }
}

/// A small deterministic PRNG (SplitMix64): no dependency, same sequence everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The Universal shape: explicit outbounds, legacy services, routes of every kind.
#[derive(Debug, Clone)]
pub struct UniversalShape {
    pub seed: u64,
    pub proxies: usize,
    pub services: usize,
    pub tcp_routes: usize,
    pub http_routes: usize,
    pub traffic_routes: usize,
    pub timeouts: usize,
    pub outbounds_per_proxy: usize,
}

impl UniversalShape {
    /// The "large" mesh: about 6 MB, 50k outbounds.
    pub fn large() -> Self {
        UniversalShape {
            seed: 1,
            proxies: 5_000,
            services: 1_000,
            tcp_routes: 2_000,
            http_routes: 500,
            traffic_routes: 50,
            timeouts: 50,
            outbounds_per_proxy: 10,
        }
    }

    pub fn scaled(&self, proxies: f64, routes: f64) -> Self {
        let s = |n: usize, f: f64| ((n as f64) * f).round() as usize;
        UniversalShape {
            proxies: s(self.proxies, proxies),
            tcp_routes: s(self.tcp_routes, routes),
            http_routes: s(self.http_routes, routes),
            traffic_routes: s(self.traffic_routes, routes),
            timeouts: s(self.timeouts, routes),
            ..self.clone()
        }
    }
}

/// The uniform Kubernetes shape: transparent proxying, MeshServices with VIPs and two
/// ports, and MeshTCPRoutes whose top-level targetRef is `Mesh`, so that every proxy
/// has the same selection.
#[derive(Debug, Clone)]
pub struct KubernetesUniformShape {
    pub seed: u64,
    pub proxies: usize,
    pub mesh_services: usize,
    pub namespaces: usize,
    pub routes: usize,
}

impl KubernetesUniformShape {
    pub fn large() -> Self {
        KubernetesUniformShape {
            seed: 1,
            proxies: 2_000,
            mesh_services: 1_000,
            namespaces: 20,
            routes: 600,
        }
    }
}

fn svc(i: usize) -> String {
    format!("svc-{i:04}")
}

fn is_http(i: usize) -> bool {
    i.is_multiple_of(5)
}

/// Files (relative path, contents) of a Universal mesh.
pub fn universal(shape: &UniversalShape) -> Vec<(String, String)> {
    let mut rng = Rng::new(shape.seed);
    let mut files = Vec::new();
    let services = shape.services.max(1);
    files.push((
        "mesh.yaml".to_string(),
        "type: Mesh\nname: default\n".to_string(),
    ));
    let per_file = 500;
    for chunk in 0..shape.proxies.div_ceil(per_file) {
        let mut s = String::with_capacity(per_file * 1200);
        for i in chunk * per_file..((chunk + 1) * per_file).min(shape.proxies) {
            let own = i % services;
            let team = i % 20;
            let _ = write!(
                s,
                "---\ntype: Dataplane\nname: dp-{i:05}\nmesh: default\nlabels:\n  app: {}\n  team: team-{team}\nnetworking:\n  address: 10.{}.{}.{}\n  inbound:\n    - port: 8080\n      tags:\n        kuma.io/service: {}\n        kuma.io/protocol: {}\n        version: v{}\n        team: team-{team}\n  outbound:\n",
                svc(own),
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255,
                svc(own),
                if is_http(own) { "http" } else { "tcp" },
                1 + i % 2,
            );
            for o in 0..shape.outbounds_per_proxy {
                let _ = writeln!(
                    s,
                    "    - port: {}\n      tags:\n        kuma.io/service: {}",
                    10001 + o,
                    svc(rng.below(services))
                );
            }
        }
        files.push((format!("dataplanes/dataplanes-{chunk:03}.yaml"), s));
    }
    let mut s = String::new();
    for r in 0..shape.tcp_routes {
        let top = match rng.below(100) {
            0..=49 => "{kind: Mesh}".to_string(),
            50..=69 => format!(
                "{{kind: MeshSubset, tags: {{team: team-{}}}}}",
                rng.below(20)
            ),
            70..=84 => format!(
                "{{kind: Dataplane, name: dp-{:05}}}",
                rng.below(shape.proxies.max(1))
            ),
            _ => format!(
                "{{kind: Dataplane, labels: {{team: team-{}}}}}",
                rng.below(20)
            ),
        };
        let _ = write!(
            s,
            "---\ntype: MeshTCPRoute\nname: tcp-route-{r:05}\nmesh: default\nspec:\n  targetRef: {top}\n  to:\n"
        );
        for _ in 0..1 + rng.below(2) {
            let _ = write!(
                s,
                "    - targetRef: {{kind: MeshService, name: {}}}\n      rules:\n        - default:\n            backendRefs:\n",
                svc(rng.below(services))
            );
            for _ in 0..1 + rng.below(3) {
                let _ = writeln!(
                    s,
                    "              - {{kind: MeshService, name: {}, weight: {}}}",
                    svc(rng.below(services)),
                    rng.below(100)
                );
            }
        }
    }
    files.push(("policies/meshtcproutes.yaml".into(), s));
    let mut s = String::new();
    for r in 0..shape.http_routes {
        let dest = rng.below(services.div_ceil(5)) * 5 % services;
        let _ = write!(
            s,
            "---\ntype: MeshHTTPRoute\nname: http-route-{r:05}\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: {}}}\n      rules:\n        - matches:\n            - path: {{type: PathPrefix, value: /api/v{}}}\n          default:\n            backendRefs:\n              - {{kind: MeshService, name: {}, weight: 1}}\n",
            svc(dest),
            rng.below(3),
            svc(rng.below(services.div_ceil(5)) * 5 % services)
        );
    }
    files.push(("policies/meshhttproutes.yaml".into(), s));
    let mut s = String::new();
    for r in 0..shape.traffic_routes {
        let src = if r == 0 {
            "'*'".to_string()
        } else {
            svc(rng.below(services))
        };
        let dst = if r == 0 {
            "'*'".to_string()
        } else {
            svc(rng.below(services))
        };
        let _ = write!(
            s,
            "---\ntype: TrafficRoute\nname: traffic-route-{r:03}\nmesh: default\nsources:\n  - match: {{kuma.io/service: {src}}}\ndestinations:\n  - match: {{kuma.io/service: {dst}}}\nconf:\n  destination: {{kuma.io/service: '*'}}\n"
        );
    }
    for r in 0..shape.timeouts {
        let _ = write!(
            s,
            "---\ntype: Timeout\nname: timeout-{r:03}\nmesh: default\nsources:\n  - match: {{kuma.io/service: {}}}\ndestinations:\n  - match: {{kuma.io/service: {}}}\nconf:\n  connectTimeout: 5s\n",
            svc(rng.below(services)),
            svc(rng.below(services))
        );
    }
    files.push(("policies/legacy.yaml".into(), s));
    files
}

/// Files of a uniform Kubernetes mesh with transparent proxying and real MeshServices.
pub fn kubernetes_uniform(shape: &KubernetesUniformShape) -> Vec<(String, String)> {
    let mut rng = Rng::new(shape.seed);
    let ns = |i: usize| format!("ns-{:02}", i % shape.namespaces.max(1));
    let mut files = vec![(
        "mesh.yaml".to_string(),
        "apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: default\nspec:\n  meshServices:\n    mode: Exclusive\n".to_string(),
    )];
    let mut s = String::new();
    for i in 0..shape.mesh_services {
        let _ = write!(
            s,
            "---\napiVersion: kuma.io/v1alpha1\nkind: MeshService\nmetadata:\n  name: {}\n  namespace: {}\n  labels:\n    kuma.io/mesh: default\n    team: team-{}\nspec:\n  selector:\n    dataplaneTags:\n      app: {}\n  ports:\n    - {{name: http, port: 8080, targetPort: 8080, appProtocol: http}}\n    - {{name: tcp, port: 7000, targetPort: 7000, appProtocol: tcp}}\nstatus:\n  vips:\n    - ip: 241.{}.{}.{}\n",
            svc(i),
            ns(i),
            i % 10,
            svc(i),
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        );
    }
    files.push(("meshservices.yaml".into(), s));
    let mut s = String::new();
    for i in 0..shape.proxies {
        let own = i % shape.mesh_services.max(1);
        let _ = write!(
            s,
            "---\napiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmetadata:\n  name: {}-{i:05}\n  namespace: {}\n  labels:\n    app: {}\nmesh: default\nspec:\n  networking:\n    address: 10.{}.{}.{}\n    inbound:\n      - port: 8080\n        tags:\n          kuma.io/service: {}_{}_svc_8080\n          kuma.io/protocol: http\n          app: {}\n    transparentProxying:\n      redirectPortInbound: 15006\n      redirectPortOutbound: 15001\n",
            svc(own),
            ns(own),
            svc(own),
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255,
            svc(own),
            ns(own),
            svc(own)
        );
    }
    files.push(("dataplanes.yaml".into(), s));
    let mut s = String::new();
    for r in 0..shape.routes {
        let target = rng.below(shape.mesh_services.max(1));
        // Roles: producer (own namespace), consumer (another namespace), system.
        let (route_ns, to) = match r % 3 {
            0 => (
                ns(target),
                format!(
                    "{{kind: MeshService, name: {}, sectionName: tcp}}",
                    svc(target)
                ),
            ),
            1 => (
                ns(target + 1),
                format!(
                    "{{kind: MeshService, name: {}, namespace: {}, sectionName: tcp}}",
                    svc(target),
                    ns(target)
                ),
            ),
            _ => (
                "kuma-system".into(),
                format!(
                    "{{kind: MeshService, name: {}, namespace: {}}}",
                    svc(target),
                    ns(target)
                ),
            ),
        };
        let backend = rng.below(shape.mesh_services.max(1));
        let _ = write!(
            s,
            "---\napiVersion: kuma.io/v1alpha1\nkind: MeshTCPRoute\nmetadata:\n  name: route-{r:05}\n  namespace: {route_ns}\n  labels:\n    kuma.io/mesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {to}\n      rules:\n        - default:\n            backendRefs:\n              - {{kind: MeshService, name: {}, namespace: {}, port: 7000, weight: 90}}\n              - {{kind: MeshService, name: {}, namespace: {}, port: 7000, weight: 10}}\n",
            svc(target),
            ns(target),
            svc(backend),
            ns(backend)
        );
    }
    files.push(("meshtcproutes.yaml".into(), s));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_loads_cleanly() {
        let shape = UniversalShape::large().scaled(0.01, 0.01);
        let a = universal(&shape);
        assert_eq!(a, universal(&shape));
        let mut l = crate::source::Loaded::default();
        for (p, t) in &a {
            l.add_text(p, t);
        }
        assert!(
            l.findings.is_empty(),
            "{:?}",
            &l.findings[..l.findings.len().min(3)]
        );
        assert_eq!(l.stats.resources, 1 + 50 + 20 + 5 + 1 + 1);
        let k = kubernetes_uniform(&KubernetesUniformShape {
            seed: 3,
            proxies: 10,
            mesh_services: 5,
            namespaces: 2,
            routes: 6,
        });
        let mut l = crate::source::Loaded::default();
        for (p, t) in &k {
            l.add_text(p, t);
        }
        assert!(l.findings.is_empty(), "{:?}", l.findings);
        assert_eq!(l.stats.resources, 1 + 5 + 10 + 6);
    }
}
