//! The realistic Kubernetes shape of `meshtcp generate` selects what it claims: each
//! route policy's role (by its namespace and its `to[]` namespaces), zone and
//! top-level labels decide which proxies it reaches, the engine agrees, and the mesh
//! holds the situations it is meant to (several zones, MeshHTTPRoutes on services
//! with tcp ports) without any finding that says the generator got something wrong.

use meshtcp::model::{Body, Code, ResourceKind, Severity, Tags, TargetRef};
use meshtcp::resolve::{Filter, KumaVersion, Report, RouteKind, Status, resolve};
use meshtcp::source::Loaded;
use meshtcp::synth::{KubernetesShape, kubernetes};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// A small mesh of the shape: 2 zones of 4 namespaces each.
fn shape(seed: u64) -> KubernetesShape {
    KubernetesShape {
        seed,
        proxies: 120,
        mesh_services: 48,
        namespaces: 8,
        zones: 2,
        tcp_routes: 90,
        http_routes: 30,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    System,
    Producer,
    Consumer,
}

struct Proxy {
    namespace: String,
    zone: String,
    labels: Tags,
}

struct Policy {
    kind: ResourceKind,
    name: String,
    namespace: String,
    zone: String,
    /// What the generator claims: `kuma-system` is system; a policy whose `to[]` all
    /// name services of its own namespace is a producer; the others consumers.
    role: Role,
    /// The top-level Dataplane labels; `None` for Mesh (written or omitted).
    labels: Option<Tags>,
}

struct Mesh {
    report: Report,
    proxies: BTreeMap<String, Proxy>,
    policies: Vec<Policy>,
}

fn mesh() -> &'static Mesh {
    static MESH: OnceLock<Mesh> = OnceLock::new();
    MESH.get_or_init(|| {
        let mut l = Loaded::default();
        for (path, text) in kubernetes(&shape(5)) {
            l.add_text(&path, &text);
        }
        assert!(l.findings.is_empty(), "loads cleanly: {:?}", l.findings);
        let report = resolve(&l.snapshot, KumaVersion::DEFAULT, &Filter::default());
        let mut proxies = BTreeMap::new();
        let mut policies = Vec::new();
        for r in &l.snapshot.resources {
            let m = &r.meta;
            if !matches!(r.body, Body::Dataplane(_) | Body::Route(_)) {
                continue;
            }
            let namespace = m.namespace.clone().expect("namespaced");
            let zone = m
                .zone()
                .expect("every zonal resource has a zone")
                .to_string();
            match &r.body {
                Body::Dataplane(_) => {
                    let p = Proxy {
                        namespace,
                        zone,
                        labels: m.labels.clone(),
                    };
                    proxies.insert(m.name.clone(), p);
                }
                Body::Route(spec) => {
                    let to_ns = |t: &TargetRef| t.namespace.clone().unwrap_or(namespace.clone());
                    let role =
                        if namespace == "kuma-system" {
                            Role::System
                        } else if spec.to.iter().flatten().all(|to| {
                            to.target_ref.as_ref().map(to_ns).as_deref() == Some(&namespace)
                        }) {
                            Role::Producer
                        } else {
                            Role::Consumer
                        };
                    let labels = match &spec.target_ref {
                        None => None,
                        Some(t) if t.kind.as_deref() == Some("Mesh") => None,
                        Some(t) => {
                            assert_eq!(t.kind.as_deref(), Some("Dataplane"), "{}", m.name);
                            Some(t.labels.clone().expect("Dataplane by labels"))
                        }
                    };
                    policies.push(Policy {
                        kind: m.kind,
                        name: m.name.clone(),
                        namespace,
                        zone,
                        role,
                        labels,
                    });
                }
                _ => {}
            }
        }
        Mesh {
            report,
            proxies,
            policies,
        }
    })
}

fn labels_match(selector: &Tags, labels: &Tags) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The proxies the role alone lets `p` select (before its top-level labels).
fn role_allows(p: &Policy, proxy: &Proxy) -> bool {
    match p.role {
        Role::System => proxy.zone == p.zone,
        Role::Producer => true,
        Role::Consumer => proxy.namespace == p.namespace,
    }
}

/// The proxies the engine says `p`'s top-level targetRef selects.
fn selected(m: &Mesh, p: &Policy) -> BTreeSet<String> {
    m.report
        .proxies
        .iter()
        .filter(|r| {
            r.selected_by.iter().any(|s| {
                s.kind == p.kind.as_str()
                    && s.name == p.name
                    && s.namespace.as_deref() == Some(&p.namespace)
            })
        })
        .map(|r| r.name.clone())
        .collect()
}

/// The proxies on whose outbounds `p` is listed applied or overridden.
fn routed(m: &Mesh, p: &Policy) -> BTreeSet<String> {
    m.report
        .proxies
        .iter()
        .filter(|r| {
            r.outbounds.iter().any(|o| {
                o.policies.iter().any(|s| {
                    *s.name == *p.name
                        && s.namespace.as_deref() == Some(&p.namespace)
                        && s.status != Status::Ignored
                })
            })
        })
        .map(|r| r.name.clone())
        .collect()
}

/// What `p` should select: what its role allows, narrowed by its labels.
fn expected(m: &Mesh, p: &Policy) -> BTreeSet<String> {
    m.proxies
        .iter()
        .filter(|(_, x)| role_allows(p, x))
        .filter(|(_, x)| p.labels.as_ref().is_none_or(|l| labels_match(l, &x.labels)))
        .map(|(n, _)| n.clone())
        .collect()
}

fn of_role(role: Role) -> Vec<&'static Policy> {
    let m = mesh();
    let v: Vec<_> = m.policies.iter().filter(|p| p.role == role).collect();
    assert!(
        v.iter().any(|p| p.kind == ResourceKind::MeshTCPRoute)
            && v.iter().any(|p| p.kind == ResourceKind::MeshHTTPRoute),
        "both route kinds have {role:?} policies"
    );
    v
}

fn zones_and_namespaces<'a>(
    m: &'a Mesh,
    proxies: &BTreeSet<String>,
) -> (BTreeSet<&'a str>, BTreeSet<&'a str>) {
    proxies
        .iter()
        .map(|n| (m.proxies[n].zone.as_str(), m.proxies[n].namespace.as_str()))
        .unzip()
}

#[test]
fn a_system_policy_reaches_every_namespace_of_its_zone_and_no_other_zone() {
    let m = mesh();
    let mut wide = 0;
    for p in of_role(Role::System) {
        let got = selected(m, p);
        assert_eq!(got, expected(m, p), "{} {}", p.namespace, p.name);
        let (zones, namespaces) = zones_and_namespaces(m, &routed(m, p));
        assert!(zones.iter().all(|z| *z == p.zone), "{}: {zones:?}", p.name);
        if p.labels.is_none() {
            assert!(namespaces.len() > 1, "{}: {namespaces:?}", p.name);
            wide += 1;
        }
    }
    assert!(wide > 0, "some system policies select by Mesh");
}

#[test]
fn a_producer_policy_reaches_consumers_in_every_namespace_and_zone() {
    let m = mesh();
    let all_zones: BTreeSet<&str> = m.proxies.values().map(|p| p.zone.as_str()).collect();
    let all_ns: BTreeSet<&str> = m.proxies.values().map(|p| p.namespace.as_str()).collect();
    for p in of_role(Role::Producer) {
        assert!(p.labels.is_none(), "{}: producers select by Mesh", p.name);
        assert_eq!(selected(m, p).len(), m.proxies.len(), "{}", p.name);
        let (zones, namespaces) = zones_and_namespaces(m, &routed(m, p));
        assert_eq!(zones, all_zones, "{}", p.name);
        assert_eq!(namespaces, all_ns, "{}", p.name);
    }
}

#[test]
fn a_consumer_policy_reaches_only_proxies_of_its_own_namespace() {
    let m = mesh();
    let mut routing = 0;
    for p in of_role(Role::Consumer) {
        let got = selected(m, p);
        assert_eq!(got, expected(m, p), "{} {}", p.namespace, p.name);
        assert!(!got.is_empty(), "{}", p.name);
        let on = routed(m, p);
        let (_, namespaces) = zones_and_namespaces(m, &on);
        assert!(
            namespaces.iter().all(|n| *n == p.namespace),
            "{} in {}: {namespaces:?}",
            p.name,
            p.namespace
        );
        routing += usize::from(!on.is_empty());
    }
    assert!(routing > 10, "consumer policies route outbounds: {routing}");
}

#[test]
fn label_selected_policies_pick_a_strict_subset_of_what_their_role_allows() {
    let m = mesh();
    let mut by_role = BTreeMap::new();
    for p in m.policies.iter().filter(|p| p.labels.is_some()) {
        let got = selected(m, p);
        let allowed = m.proxies.values().filter(|x| role_allows(p, x)).count();
        assert!(
            !got.is_empty() && got.len() < allowed,
            "{} {}: {} of {allowed}",
            p.namespace,
            p.name,
            got.len()
        );
        assert_eq!(got, expected(m, p), "{}", p.name);
        *by_role.entry(format!("{:?}", p.role)).or_insert(0) += 1;
    }
    assert_eq!(
        by_role.keys().collect::<Vec<_>>(),
        ["Consumer", "System"],
        "{by_role:?}"
    );
}

#[test]
fn whole_service_http_routes_are_ignored_on_tcp_ports_and_beat_tcp_routes_on_http_ports() {
    let m = mesh();
    let codes: BTreeSet<Code> = m.report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::HttprouteIgnoredOnTcp), "{codes:?}");
    assert!(
        codes.contains(&Code::TcprouteIgnoredByHttproute),
        "{codes:?}"
    );
    let outbounds = || m.report.proxies.iter().flat_map(|p| p.outbounds.iter());
    let http_ignored_on_tcp = outbounds().any(|o| {
        o.destination.port == 7000
            && o.route == RouteKind::MeshTCPRoute
            && o.policies
                .iter()
                .any(|s| s.kind == "MeshHTTPRoute" && s.status == Status::Ignored)
    });
    let tcp_ignored_on_http = outbounds().any(|o| {
        o.destination.port == 8080
            && o.route == RouteKind::MeshHTTPRoute
            && o.policies
                .iter()
                .any(|s| s.kind == "MeshTCPRoute" && s.status == Status::Ignored)
    });
    assert!(http_ignored_on_tcp && tcp_ignored_on_http);
}

#[test]
fn several_zones_and_nothing_the_generator_got_wrong() {
    let m = mesh();
    let zones: BTreeSet<&str> = m.proxies.values().map(|p| p.zone.as_str()).collect();
    assert_eq!(zones.len(), shape(5).zones);
    let wrong = [
        Code::ZoneAssumed,
        Code::InvalidResource,
        Code::BackendNotFound,
        Code::PolicySelectsNothing,
        Code::TargetrefMatchesNothing,
        Code::WeightsAllZero,
    ];
    let bad: Vec<_> = m
        .report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error || wrong.contains(&f.code))
        .take(3)
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn the_same_seed_writes_the_same_mesh_and_another_seed_another() {
    assert_eq!(kubernetes(&shape(5)), kubernetes(&shape(5)));
    assert_ne!(kubernetes(&shape(5)), kubernetes(&shape(6)));
}

#[test]
fn the_default_size_is_the_real_mesh_of_the_benchmarks() {
    let files = kubernetes(&KubernetesShape::large());
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    assert!((1_800_000..2_600_000).contains(&bytes), "{bytes} bytes");
    let count = |kind: &str| {
        files
            .iter()
            .map(|(_, t)| t.matches(&format!("\nkind: {kind}\n")).count())
            .sum::<usize>()
    };
    assert_eq!(
        [
            count("Dataplane"),
            count("MeshService"),
            count("MeshTCPRoute"),
            count("MeshHTTPRoute")
        ],
        [2_000, 1_000, 1_000, 300]
    );
}
