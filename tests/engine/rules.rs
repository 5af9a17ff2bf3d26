//! One test per engine rule that the worked examples (tests/engine/examples.rs) do not already
//! pin down. Each fixture is a small, realistic mesh written inline.

use meshtcp::model::{Code, Severity};
use meshtcp::resolve::{Filter, KumaVersion, OutboundReport, Report, RouteKind, Status, resolve};
use meshtcp::source::Loaded;

fn run(yaml: &str, v: &str) -> Report {
    let mut l = Loaded::default();
    l.add_text("rules.yaml", yaml);
    assert!(l.findings.is_empty(), "fixture loads: {:?}", l.findings);
    resolve(
        &l.snapshot,
        v.parse::<KumaVersion>().unwrap(),
        &Filter::default(),
    )
}

fn outbound<'r>(r: &'r Report, proxy: &str, dest: &str) -> &'r OutboundReport {
    r.proxy(proxy)
        .unwrap_or_else(|| panic!("proxy {proxy}"))
        .outbound(dest)
        .unwrap_or_else(|| {
            panic!(
                "{proxy} has no outbound {dest}: {:?}",
                r.proxy(proxy)
                    .unwrap()
                    .outbounds
                    .iter()
                    .map(|o| o.destination.label())
                    .collect::<Vec<_>>()
            )
        })
}

fn dests(r: &Report, proxy: &str) -> Vec<String> {
    r.proxy(proxy)
        .unwrap()
        .outbounds
        .iter()
        .map(|o| o.destination.label())
        .collect()
}

fn has(r: &Report, code: Code, resource: &str) -> bool {
    r.findings
        .iter()
        .any(|f| f.code == code && f.resource.as_ref().is_some_and(|x| x.name == resource))
}

const SERVICES: &str = r#"
type: Dataplane
name: backend-1
mesh: default
networking:
  address: 10.0.0.2
  inbound: [{port: 7000, tags: {kuma.io/service: backend, kuma.io/protocol: tcp, version: v1}}]
---
type: Dataplane
name: api-1
mesh: default
networking:
  address: 10.0.0.3
  inbound: [{port: 8080, tags: {kuma.io/service: api, kuma.io/protocol: http}}]
---
type: Dataplane
name: grpc-1
mesh: default
networking:
  address: 10.0.0.4
  inbound: [{port: 9000, tags: {kuma.io/service: mixed, kuma.io/protocol: grpc}}]
---
type: Dataplane
name: http2-1
mesh: default
networking:
  address: 10.0.0.5
  inbound: [{port: 9000, tags: {kuma.io/service: mixed, kuma.io/protocol: http2}}]
---
type: Dataplane
name: untagged-1
mesh: default
networking:
  address: 10.0.0.6
  inbound: [{port: 9000, tags: {kuma.io/service: untagged}}]
"#;

fn web(extra: &str) -> String {
    format!(
        r#"{SERVICES}
---
type: Dataplane
name: web-1
mesh: default
labels: {{app: web}}
networking:
  address: 10.0.0.1
  inbound: [{{port: 8080, tags: {{kuma.io/service: web, kuma.io/protocol: http, team: shop}}}}]
  outbound:
    - {{port: 10001, tags: {{kuma.io/service: backend}}}}
    - {{port: 10002, tags: {{kuma.io/service: api}}}}
    - {{port: 10003, tags: {{kuma.io/service: mixed}}}}
    - {{port: 10004, tags: {{kuma.io/service: untagged}}}}
{extra}"#
    )
}

// §2.1 explicit outbounds ------------------------------------------------------------

#[test]
fn without_transparent_proxy_the_outbounds_are_exactly_the_declared_ones() {
    let r = run(&web(""), "2.14");
    assert_eq!(
        dests(&r, "web-1"),
        vec![
            "backend:10001",
            "api:10002",
            "mixed:10003",
            "untagged:10004"
        ]
    );
    assert!(r.proxy("backend-1").unwrap().outbounds.is_empty());
}

// §2.2 protocol -----------------------------------------------------------------------

#[test]
fn protocol_is_the_common_protocol_of_all_endpoints() {
    let r = run(&web(""), "2.14");
    assert_eq!(outbound(&r, "web-1", "api").protocol, "http");
    // grpc ∩ http2 = http2 (an HTTP-based protocol).
    assert_eq!(outbound(&r, "web-1", "mixed").protocol, "http2");
    // No kuma.io/protocol tag: unknown, printed and routed as tcp, with a note.
    let u = outbound(&r, "web-1", "untagged");
    assert_eq!(u.protocol, "tcp");
    assert!(u.notes.iter().any(|n| n.contains("unknown")));
}

// §2.1 transparent proxy --------------------------------------------------------------

const TP_MESH: &str = r#"
type: Mesh
name: default
meshServices: {mode: Everywhere}
---
type: MeshService
name: orders
mesh: default
labels: {team: orders}
spec:
  ports:
    - {name: http, port: 8080, targetPort: 8080, appProtocol: http}
    - {port: 7000, targetPort: 7000}
status:
  vips: [{ip: 241.0.0.1}]
---
type: MeshService
name: no-vip
mesh: default
spec:
  ports: [{port: 80, targetPort: 80}]
---
type: Dataplane
name: orders-1
mesh: default
networking:
  address: 10.0.1.1
  inbound: [{port: 8080, tags: {kuma.io/service: orders, kuma.io/protocol: http}}]
"#;

fn tp_proxy(tp: &str) -> String {
    format!(
        "{TP_MESH}---\ntype: Dataplane\nname: web-tp\nmesh: default\nnetworking:\n  address: 10.0.1.2\n  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]\n  transparentProxying:\n    redirectPortInbound: 15006\n    redirectPortOutbound: 15001\n{tp}"
    )
}

/// A MeshService without `status.vips` (written by hand) gets the VIP the control plane
/// would allocate, assumed, and a `vip-assumed` info says so: without it a transparent
/// proxy showed no outbound for it and said nothing.
#[test]
fn transparent_proxy_gets_legacy_vips_and_one_outbound_per_meshservice_port_vips_assumed() {
    let r = run(&tp_proxy(""), "2.14");
    let d = dests(&r, "web-tp");
    assert_eq!(
        d,
        vec![
            "orders:80",
            "web:80",
            "orders:8080",
            "orders:7000",
            "no-vip:80"
        ]
    );
    let assumed: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::VipAssumed)
        .map(|f| f.resource.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(assumed, vec!["no-vip"], "only the MeshService without VIPs");
    // No transparent proxy, no VIP needed: nothing to say.
    let explicit = run(TP_MESH, "2.14");
    assert!(!has(&explicit, Code::VipAssumed, "no-vip"));
    let http = outbound(&r, "web-tp", "orders:8080");
    assert_eq!(
        (http.destination.kind.as_str(), http.protocol.as_str()),
        ("MeshService", "http")
    );
    assert_eq!(
        outbound(&r, "web-tp", "orders:7000").protocol,
        "tcp",
        "appProtocol defaults to tcp"
    );
}

#[test]
fn reachable_services_filters_legacy_and_drops_real_outbounds() {
    let r = run(&tp_proxy("    reachableServices: [orders]\n"), "2.14");
    assert_eq!(dests(&r, "web-tp"), vec!["orders:80"]);
}

#[test]
fn reachable_backends_keeps_only_the_listed_refs() {
    let r = run(
        &tp_proxy(
            "    reachableServices: [orders]\n    reachableBackends:\n      refs: [{kind: MeshService, name: orders, port: 7000}]\n",
        ),
        "2.14",
    );
    assert_eq!(dests(&r, "web-tp"), vec!["orders:80", "orders:7000"]);
}

#[test]
fn exclusive_mode_has_no_legacy_vips_and_real_outbounds_start_at_2_9() {
    let yaml = tp_proxy("").replace("mode: Everywhere", "mode: Exclusive");
    assert_eq!(
        dests(&run(&yaml, "2.14"), "web-tp"),
        vec!["orders:8080", "orders:7000", "no-vip:80"]
    );
    assert_eq!(
        dests(&run(&tp_proxy(""), "2.8"), "web-tp"),
        vec!["orders:80", "web:80"]
    );
}

#[test]
fn backend_ref_outbounds_resolve_by_name_in_the_proxys_namespace() {
    let yaml = format!(
        "{TP_MESH}---\ntype: Dataplane\nname: web-br\nmesh: default\nnetworking:\n  address: 10.0.1.3\n  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]\n  outbound:\n    - {{port: 20001, backendRef: {{kind: MeshService, name: orders, port: 7000}}}}\n    - {{port: 20002, backendRef: {{kind: MeshService, name: missing, port: 7000}}}}\n"
    );
    let r = run(&yaml, "2.14");
    // The destination's own port; the local listener port apart (`listenerPort`).
    assert_eq!(dests(&r, "web-br"), vec!["orders:7000"]);
    let o = outbound(&r, "web-br", "orders:7000");
    assert_eq!(o.destination.listener_port, Some(20001));
    assert_eq!(o.destination.shown(), "orders:7000 (listener 20001)");
    assert!(
        r.proxy("web-br")
            .unwrap()
            .notes
            .iter()
            .any(|n| n.contains("missing"))
    );
    assert!(
        dests(&run(&yaml, "2.8"), "web-br").is_empty(),
        "backendRef outbounds need 2.9"
    );
}

// §3 top-level selection --------------------------------------------------------------

fn route(name: &str, top: &str, dest: &str, backends: &str) -> String {
    format!(
        "---\ntype: MeshTCPRoute\nname: {name}\nmesh: default\nspec:\n  targetRef: {top}\n  to:\n    - targetRef: {{kind: MeshService, name: {dest}}}\n      rules: [{{default: {{backendRefs: {backends}}}}}]\n"
    )
}

#[test]
fn mesh_subset_selects_by_inbound_tags() {
    let r = run(
        &web(&route(
            "team-shop",
            "{kind: MeshSubset, tags: {team: shop}}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.14",
    );
    assert_eq!(
        outbound(&r, "web-1", "backend").route,
        RouteKind::MeshTCPRoute
    );
    let r = run(
        &web(&route(
            "team-x",
            "{kind: MeshSubset, tags: {team: x}}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.14",
    );
    assert_eq!(outbound(&r, "web-1", "backend").route, RouteKind::Default);
    assert!(has(&r, Code::PolicySelectsNothing, "team-x"));
}

#[test]
fn a_ref_found_under_one_of_its_tags_still_needs_the_others() {
    // The index finds each of these under web-1's `team: shop`, `kuma.io/service: web`
    // or label `app: web`. Its one tag, label or its service is enough; another tag or
    // label missing, or only gateways meant, is not. (Dataplane refs: 2.9 and later.)
    use RouteKind::{Default, MeshTCPRoute};
    for (name, top, version, selected) in [
        (
            "team",
            "{kind: MeshSubset, tags: {team: shop}}",
            "2.8",
            true,
        ),
        ("service", "{kind: MeshService, name: web}", "2.8", true),
        (
            "label",
            "{kind: Dataplane, labels: {app: web}}",
            "2.14",
            true,
        ),
        (
            "two-tags",
            "{kind: MeshSubset, tags: {team: shop, version: v9}}",
            "2.8",
            false,
        ),
        (
            "gateways",
            "{kind: MeshSubset, tags: {team: shop}, proxyTypes: [Gateway]}",
            "2.8",
            false,
        ),
        (
            "subset",
            "{kind: MeshServiceSubset, name: web, tags: {version: v9}}",
            "2.8",
            false,
        ),
        (
            "two-labels",
            "{kind: Dataplane, labels: {app: web, tier: front}}",
            "2.14",
            false,
        ),
    ] {
        let yaml = web(&route(
            name,
            top,
            "backend",
            "[{kind: MeshService, name: api}]",
        ));
        let r = run(&yaml, version);
        let want = if selected { MeshTCPRoute } else { Default };
        assert_eq!(outbound(&r, "web-1", "backend").route, want, "{name}");
        assert_eq!(
            has(&r, Code::PolicySelectsNothing, name),
            !selected,
            "{name}"
        );
    }
}

#[test]
fn proxy_types_restrict_a_mesh_ref() {
    let r = run(
        &web(&route(
            "gw-only",
            "{kind: Mesh, proxyTypes: [Gateway]}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.14",
    );
    assert_eq!(outbound(&r, "web-1", "backend").route, RouteKind::Default);
    let r = run(
        &web(&route(
            "sidecars",
            "{kind: Mesh, proxyTypes: [Sidecar]}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.14",
    );
    assert_eq!(
        outbound(&r, "web-1", "backend").route,
        RouteKind::MeshTCPRoute
    );
}

#[test]
fn top_level_meshservice_selects_proxies_serving_that_service() {
    let r = run(
        &web(&route(
            "from-web",
            "{kind: MeshService, name: web}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.8",
    );
    assert_eq!(outbound(&r, "web-1", "backend").backends[0].name, "api");
    let r = run(
        &web(&route(
            "from-api",
            "{kind: MeshService, name: api}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.8",
    );
    assert_eq!(outbound(&r, "web-1", "backend").route, RouteKind::Default);
}

#[test]
fn dataplane_ref_by_labels_matches_metadata_labels() {
    let r = run(
        &web(&route(
            "by-label",
            "{kind: Dataplane, labels: {app: web}}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.14",
    );
    assert_eq!(
        outbound(&r, "web-1", "backend").route,
        RouteKind::MeshTCPRoute
    );
    let r = run(
        &web(&route(
            "by-label",
            "{kind: Dataplane, labels: {app: other}}",
            "backend",
            "[{kind: MeshService, name: api}]",
        )),
        "2.14",
    );
    assert_eq!(outbound(&r, "web-1", "backend").route, RouteKind::Default);
}

#[test]
fn zone_origin_policies_select_only_their_zone() {
    let zoned = |zone: &str| {
        format!(
            "{}---\ntype: MeshTCPRoute\nname: zonal\nmesh: default\nlabels: {{kuma.io/origin: zone, kuma.io/zone: {zone}}}\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: backend}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: api}}]}}}}]\n",
            web("").replace(
                "labels: {app: web}",
                "labels: {app: web, kuma.io/zone: east}"
            )
        )
    };
    assert_eq!(
        outbound(&run(&zoned("east"), "2.14"), "web-1", "backend").route,
        RouteKind::MeshTCPRoute
    );
    assert_eq!(
        outbound(&run(&zoned("west"), "2.14"), "web-1", "backend").route,
        RouteKind::Default
    );
}

// §4 to[] matching, §7.2 gate -----------------------------------------------------------

#[test]
fn a_labels_only_to_ref_matches_nothing_but_still_takes_the_proxy_over() {
    let yaml = format!(
        "{}---\ntype: TrafficRoute\nname: route-all\nmesh: default\nsources: [{{match: {{kuma.io/service: '*'}}}}]\ndestinations: [{{match: {{kuma.io/service: '*'}}}}]\nconf: {{destination: {{kuma.io/service: '*'}}}}\n---\ntype: MeshTCPRoute\nname: by-labels\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, labels: {{team: x}}}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: api}}]}}}}]\n",
        web("")
    );
    let r = run(&yaml, "2.14");
    let b = outbound(&r, "web-1", "backend");
    assert_eq!(
        b.route,
        RouteKind::Default,
        "takeover: the TCP plugin rebuilds tcp outbounds"
    );
    assert_eq!(b.policy("route-all").unwrap().status, Status::Overridden);
    assert_eq!(
        outbound(&r, "web-1", "api").route,
        RouteKind::TrafficRoute,
        "http outbound untouched"
    );
}

// §5.2 merge ------------------------------------------------------------------------------

#[test]
fn a_later_to_entry_of_the_same_policy_wins() {
    let yaml = web(
        "---\ntype: MeshTCPRoute\nname: twice\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to:\n    - targetRef: {kind: MeshService, name: backend}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: api}]}}]\n    - targetRef: {kind: MeshService, name: backend}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: mixed}]}}]\n",
    );
    let r = run(&yaml, "2.14");
    let b = outbound(&r, "web-1", "backend");
    assert_eq!(
        b.backends
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>(),
        vec!["mixed"]
    );
    assert_eq!(b.policies.len(), 1, "one row per policy");
}

#[test]
fn an_empty_default_before_2_10_clears_the_backends() {
    let yaml = web(
        "---\ntype: MeshTCPRoute\nname: empty\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to:\n    - targetRef: {kind: MeshService, name: backend}\n      rules: [{default: {}}]\n",
    );
    let r = run(&yaml, "2.9");
    let b = outbound(&r, "web-1", "backend");
    // No backendRefs clears the list, and the TCP plugin builds no listener.
    assert_eq!(b.route, RouteKind::None);
    assert!(b.reason.contains("no listener"), "{}", b.reason);
    assert_eq!(b.policy("empty").unwrap().status, Status::Applied);
    assert!(b.backends.is_empty());
    assert!(has(&r, Code::RuleWithoutBackends, "empty"));
    let r = run(&yaml, "2.10");
    assert!(has(&r, Code::InvalidResource, "empty"));
    assert_eq!(
        outbound(&r, "web-1", "backend").route,
        RouteKind::Default,
        "refused policies are left out"
    );
}

// §5.3 backends ------------------------------------------------------------------------------

#[test]
fn weights_default_to_one_and_zero_weights_get_no_share() {
    let r = run(
        &web(&route(
            "w",
            "{kind: Mesh}",
            "backend",
            "[{kind: MeshService, name: api, weight: 3}, {kind: MeshService, name: backend}, {kind: MeshService, name: mixed, weight: 0}]",
        )),
        "2.14",
    );
    let shares: Vec<(u32, f64)> = outbound(&r, "web-1", "backend")
        .backends
        .iter()
        .map(|b| (b.weight, b.share))
        .collect();
    assert_eq!(shares, vec![(3, 0.75), (1, 0.25), (0, 0.0)]);
    assert!(!has(&r, Code::WeightsAllZero, "w"));
}

#[test]
fn all_zero_weights_is_an_error() {
    let r = run(
        &web(&route(
            "zero",
            "{kind: Mesh}",
            "backend",
            "[{kind: MeshService, name: api, weight: 0}]",
        )),
        "2.14",
    );
    assert!(has(&r, Code::WeightsAllZero, "zero"));
    assert!(outbound(&r, "web-1", "backend").reason.contains("weight 0"));
}

#[test]
fn mesh_service_subset_backends_match_endpoint_tags() {
    let r = run(
        &web(&route(
            "subset",
            "{kind: Mesh}",
            "backend",
            "[{kind: MeshServiceSubset, name: backend, tags: {version: v1}}, {kind: MeshServiceSubset, name: backend, tags: {version: v9}}]",
        )),
        "2.14",
    );
    let b = &outbound(&r, "web-1", "backend").backends;
    assert_eq!((b[0].resolved, b[1].resolved), (true, false));
    assert!(has(&r, Code::BackendNotFound, "subset"));
}

#[test]
fn a_meshservice_backend_without_port_is_legacy_even_when_a_real_one_exists() {
    let yaml = format!(
        "{}{}",
        tp_proxy(""),
        route(
            "to-orders",
            "{kind: Mesh}",
            "orders",
            "[{kind: MeshService, name: orders}, {kind: MeshService, name: orders, port: 7000}]"
        )
    );
    let r = run(&yaml, "2.14");
    let b = &outbound(&r, "web-tp", "orders:80").backends;
    assert!(b[0].how.starts_with("legacy service"), "{}", b[0].how);
    assert!(b[1].how.starts_with("real MeshService"), "{}", b[1].how);
    assert_eq!(b[1].port, Some(7000));
}

// §6 HTTP vs TCP -------------------------------------------------------------------------------

#[test]
fn an_http2_destination_counts_as_http_for_the_priority_rule() {
    let yaml = web(&format!(
        "{}---\ntype: MeshHTTPRoute\nname: mixed-http\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: mixed}}\n      rules: [{{matches: [{{path: {{type: PathPrefix, value: /}}}}], default: {{}}}}]\n",
        route(
            "mixed-tcp",
            "{kind: Mesh}",
            "mixed",
            "[{kind: MeshService, name: backend}]"
        )
    ));
    let r = run(&yaml, "2.14");
    let o = outbound(&r, "web-1", "mixed");
    assert_eq!(o.route, RouteKind::MeshHTTPRoute);
    assert_eq!(o.policy("mixed-tcp").unwrap().status, Status::Ignored);
    assert!(has(&r, Code::TcprouteIgnoredByHttproute, "mixed-tcp"));
}

#[test]
fn an_http_route_whose_every_match_a_higher_one_sets_is_overridden() {
    // Both routes select api from every proxy; `narrow` (Dataplane-level, higher
    // precedence) sets the same match, its keys written in another order: matches
    // are compared as values. `extra` adds a match of its own and stays applied.
    let http = |name: &str, top: &str, matches: &str| {
        format!(
            "---\ntype: MeshHTTPRoute\nname: {name}\nmesh: default\nspec:\n  targetRef: {top}\n  to:\n    - targetRef: {{kind: MeshService, name: api}}\n      rules: [{{matches: {matches}, default: {{}}}}]\n"
        )
    };
    let yaml = web(&format!(
        "{}{}{}",
        http(
            "wide",
            "{kind: Mesh}",
            "[{path: {type: PathPrefix, value: /v1}, method: GET}]"
        ),
        http(
            "extra",
            "{kind: Mesh}",
            "[{path: {type: PathPrefix, value: /v2}}]"
        ),
        http(
            "narrow",
            "{kind: Dataplane, name: web-1}",
            "[{method: GET, path: {value: /v1, type: PathPrefix}}]"
        ),
    ));
    let r = run(&yaml, "2.14");
    let o = outbound(&r, "web-1", "api");
    assert_eq!(o.route, RouteKind::MeshHTTPRoute);
    let wide = o.policy("wide").unwrap();
    assert_eq!(wide.status, Status::Overridden, "{}", wide.reason);
    assert!(wide.reason.contains("narrow"), "{}", wide.reason);
    assert_eq!(o.policy("extra").unwrap().status, Status::Applied);
    assert_eq!(o.policy("narrow").unwrap().status, Status::Applied);
}

// §7.1 TrafficRoute ranking ----------------------------------------------------------------------

#[test]
fn the_most_specific_traffic_route_wins() {
    let yaml = web(
        "---\ntype: TrafficRoute\nname: route-all\nmesh: default\nsources: [{match: {kuma.io/service: '*'}}]\ndestinations: [{match: {kuma.io/service: '*'}}]\nconf: {destination: {kuma.io/service: '*'}}\n---\ntype: TrafficRoute\nname: web-to-backend\nmesh: default\nsources: [{match: {kuma.io/service: web}}]\ndestinations: [{match: {kuma.io/service: backend}}]\nconf:\n  split:\n    - {weight: 1, destination: {kuma.io/service: backend, version: v1}}\n    - {weight: 3, destination: {kuma.io/service: api}}\n",
    );
    let r = run(&yaml, "2.14");
    let b = outbound(&r, "web-1", "backend");
    assert_eq!(b.route, RouteKind::TrafficRoute);
    assert_eq!(b.policy("web-to-backend").unwrap().status, Status::Applied);
    assert_eq!(b.policy("route-all").unwrap().status, Status::Overridden);
    let split: Vec<(&str, u32, f64)> = b
        .backends
        .iter()
        .map(|x| (x.name.as_str(), x.weight, x.share))
        .collect();
    assert_eq!(split, vec![("backend", 1, 0.25), ("api", 3, 0.75)]);
    assert_eq!(b.backends[0].kind, "service");
    assert_eq!(
        b.backends[0].tags.get("version").map(String::as_str),
        Some("v1")
    );
    assert!(
        r.findings.is_empty(),
        "no new policy, no finding: {:?}",
        r.findings
    );
}

// §9 validation and roles --------------------------------------------------------------------------

#[test]
fn kubernetes_roles_producer_consumer_and_mixed() {
    let k8s = |ns: &str, to: &str| {
        format!(
            "apiVersion: kuma.io/v1alpha1\nkind: MeshTCPRoute\nmetadata: {{name: r, namespace: {ns}, labels: {{kuma.io/mesh: default}}}}\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n{to}"
        )
    };
    let item = |name: &str, ns: &str| {
        format!(
            "    - targetRef: {{kind: MeshService, name: {name}, namespace: {ns}}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: x}}]}}}}]\n"
        )
    };
    let mixed = k8s("be", &format!("{}{}", item("a", "be"), item("b", "other")));
    let r = run(&mixed, "2.14");
    assert!(
        has(&r, Code::InvalidResource, "r"),
        "mixed producer/consumer is refused"
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.message.contains("mixes producer"))
    );
    let r = run(&mixed, "2.8");
    assert!(
        !has(&r, Code::InvalidResource, "r"),
        "2.8 has no producer role: always consumer"
    );
}

#[test]
fn field_rules_of_target_refs() {
    let bad = web(&route(
        "bad-mesh-name",
        "{kind: Mesh, name: x}",
        "backend",
        "[{kind: MeshService, name: api}]",
    ));
    assert!(has(
        &run(&bad, "2.14"),
        Code::InvalidResource,
        "bad-mesh-name"
    ));
    let bad = web(&route(
        "dp-section",
        "{kind: Dataplane, name: web-1, sectionName: http}",
        "backend",
        "[{kind: MeshService, name: api}]",
    ));
    let r = run(&bad, "2.14");
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == Code::InvalidResource && f.message.contains("inbound policies"))
    );
    let bad = web(&route(
        "upper",
        "{kind: Mesh}",
        "Backend",
        "[{kind: MeshService, name: api}]",
    ));
    assert!(has(&run(&bad, "2.14"), Code::InvalidResource, "upper"));
    let bad = web(&route(
        "mzs",
        "{kind: Mesh}",
        "backend",
        "[{kind: MeshMultiZoneService, name: api}]",
    ));
    assert!(
        has(&run(&bad, "2.14"), Code::InvalidResource, "mzs"),
        "MeshMultiZoneService needs a port"
    );
}

#[test]
fn kinds_follow_the_version_matrix() {
    let top_ms = web(&route(
        "ms",
        "{kind: MeshService, name: web}",
        "backend",
        "[{kind: MeshService, name: api}]",
    ));
    let r = run(&top_ms, "2.8");
    assert!(
        !r.findings
            .iter()
            .any(|f| f.code == Code::TargetrefDeprecated),
        "documented in 2.8"
    );
    let r = run(&top_ms, "2.9");
    assert!(has(&r, Code::TargetrefDeprecated, "ms"));
    let gw = web(&route(
        "gw",
        "{kind: MeshGateway, name: edge}",
        "backend",
        "[{kind: MeshService, name: api}]",
    ));
    assert!(has(&run(&gw, "2.5"), Code::TargetrefKindUnsupported, "gw"));
    let r = run(&gw, "2.14");
    assert!(r.findings.iter().any(|f| f.code == Code::TargetrefKindUnsupported && f.message.contains("must be Mesh")));
}

// §7.1 as verified in Kuma's source (connection_matcher.go@v2.14.3) -------------------------

fn two_routes(a: &str, b: &str) -> String {
    web(&format!(
        "---\ntype: TrafficRoute\nname: {a}\nmesh: default\nsources: [{{match: {{kuma.io/service: web}}}}]\ndestinations: [{{match: {{kuma.io/service: backend}}}}]\nconf: {{destination: {{kuma.io/service: api}}}}\n---\ntype: TrafficRoute\nname: {b}\nmesh: default\nsources: [{{match: {{kuma.io/service: web}}}}]\ndestinations: [{{match: {{kuma.io/service: backend}}}}]\nconf: {{destination: {{kuma.io/service: mixed}}}}\n"
    ))
}

#[test]
fn equal_traffic_routes_tie_to_the_alphabetically_first_name() {
    for (a, b) in [("alpha", "zulu"), ("zulu", "alpha")] {
        let r = run(&two_routes(a, b), "2.14");
        let o = outbound(&r, "web-1", "backend");
        assert_eq!(
            o.policy("alpha").unwrap().status,
            Status::Applied,
            "input order {a}, {b}"
        );
        assert!(o.policy("alpha").unwrap().reason.contains("tied"));
        // The loser is told the name decided, not that it is less specific or older
        // (`connection_matcher.go@2.9.0`: sorted by name, replaced only when newer).
        let zulu = &o.policy("zulu").unwrap().reason;
        assert!(
            zulu.contains("alphabetically first name wins") && zulu.contains("alpha"),
            "{zulu}"
        );
        assert!(
            !zulu.contains("less specific") && !zulu.contains("newer"),
            "{zulu}"
        );
        assert!(
            o.policy("alpha")
                .unwrap()
                .reason
                .contains("alphabetically first name")
        );
    }
}

#[test]
fn a_newer_creation_time_wins_a_traffic_route_tie() {
    let yaml = two_routes("alpha", "zulu").replace(
        "name: zulu\nmesh: default\n",
        "name: zulu\nmesh: default\ncreationTime: \"2026-01-02T00:00:00Z\"\n",
    );
    let yaml = yaml.replace(
        "name: alpha\nmesh: default\n",
        "name: alpha\nmesh: default\ncreationTime: \"2026-01-01T00:00:00Z\"\n",
    );
    let r = run(&yaml, "2.14");
    let o = outbound(&r, "web-1", "backend");
    assert_eq!(o.policy("zulu").unwrap().status, Status::Applied);
    let alpha = &o.policy("alpha").unwrap().reason;
    assert!(
        alpha.contains("newer") && alpha.contains("2026-01-02"),
        "{alpha}"
    );
    assert!(
        !alpha.contains("less specific") && !alpha.contains("alphabetically"),
        "{alpha}"
    );
    assert!(
        o.policy("zulu")
            .unwrap()
            .reason
            .contains("newest by creation time")
    );
}

#[test]
fn traffic_route_rank_counts_matched_tags_before_exact_ones() {
    // Two wildcard tags (2 matched, 0 exact) beat one exact tag (1 matched, 1 exact).
    let yaml = web(
        "---\ntype: TrafficRoute\nname: exact\nmesh: default\nsources: [{match: {kuma.io/service: '*'}}]\ndestinations: [{match: {kuma.io/service: backend}}]\nconf: {destination: {kuma.io/service: api}}\n---\ntype: TrafficRoute\nname: wide\nmesh: default\nsources: [{match: {kuma.io/service: '*', team: '*'}}]\ndestinations: [{match: {kuma.io/service: '*'}}]\nconf: {destination: {kuma.io/service: mixed}}\n",
    );
    let r = run(&yaml, "2.14");
    let o = outbound(&r, "web-1", "backend");
    assert_eq!(o.policy("wide").unwrap().status, Status::Applied);
    assert_eq!(o.backends[0].name, "mixed");
}

// §8 as verified in Kuma's source (matchers/dataplane.go@v2.14.3 MatchedPolicies) ------------

#[test]
fn gateway_listener_policies_merge_in_name_order_not_by_specificity() {
    let yaml = web(concat!(
        "---\ntype: Dataplane\nname: gw-1\nmesh: default\nnetworking:\n  address: 10.0.9.1\n  gateway: {type: BUILTIN, tags: {kuma.io/service: edge-gw}}\n",
        "---\ntype: MeshGateway\nname: edge\nmesh: default\nselectors: [{match: {kuma.io/service: edge-gw}}]\nconf:\n  listeners:\n    - {port: 9000, protocol: TCP, tags: {port: tcp-9000}}\n    - {port: 9001, protocol: TLS}\n",
        "---\ntype: MeshTCPRoute\nname: a-specific\nmesh: default\nspec:\n  targetRef: {kind: MeshGateway, name: edge, tags: {port: tcp-9000}}\n  to: [{targetRef: {kind: Mesh}, rules: [{default: {backendRefs: [{kind: MeshService, name: backend}]}}]}]\n",
        "---\ntype: MeshTCPRoute\nname: b-broad\nmesh: default\nspec:\n  targetRef: {kind: MeshGateway, name: edge}\n  to: [{targetRef: {kind: Mesh}, rules: [{default: {backendRefs: [{kind: MeshService, name: api}]}}]}]\n",
    ));
    let r = run(&yaml, "2.14");
    let l9000 = outbound(&r, "gw-1", "edge:9000");
    assert_eq!(l9000.destination.kind, "MeshGateway");
    assert_eq!(
        l9000.backends[0].name, "api",
        "b-broad comes later in name order and wins"
    );
    assert_eq!(
        l9000.policy("a-specific").unwrap().status,
        Status::Overridden
    );
    assert!(
        l9000
            .policy("a-specific")
            .unwrap()
            .reason
            .contains("store order")
    );
    let l9001 = outbound(&r, "gw-1", "edge:9001");
    assert_eq!(
        (l9001.protocol.as_str(), l9001.backends[0].name.as_str()),
        ("tls", "api")
    );
    assert!(
        l9001.policy("a-specific").is_none(),
        "listener tags narrow a-specific to 9000"
    );
}

#[test]
fn explicit_outbounds_beside_transparent_proxy_are_kept_only_up_to_2_8() {
    let yaml = tp_proxy("  outbound:\n    - {port: 10001, tags: {kuma.io/service: orders}}\n");
    assert_eq!(
        dests(&run(&yaml, "2.8"), "web-tp"),
        vec!["orders:80", "web:80", "orders:10001"]
    );
    assert_eq!(
        dests(&run(&yaml, "2.9"), "web-tp"),
        vec![
            "orders:80",
            "web:80",
            "orders:8080",
            "orders:7000",
            "no-vip:80"
        ]
    );
}

// Work shared between proxies with the same selection must not leak across proxies.

#[test]
fn proxies_with_the_same_selection_get_the_same_outbounds_and_their_own_findings() {
    let twin = web("")
        .split("---\ntype: Dataplane\nname: web-1")
        .nth(1)
        .unwrap()
        .to_string();
    let routes = format!(
        "{}---\ntype: MeshHTTPRoute\nname: api-http\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: api}}\n      rules: [{{matches: [{{path: {{type: PathPrefix, value: /}}}}], default: {{}}}}]\n",
        route(
            "api-tcp",
            "{kind: Mesh}",
            "api",
            "[{kind: MeshService, name: backend}]"
        )
    );
    let yaml = format!(
        "{}---\ntype: Dataplane\nname: web-2{}{routes}",
        web(""),
        twin.replacen("address: 10.0.0.1", "address: 10.0.0.9", 1),
    );
    let r = run(&yaml, "2.14");
    assert_eq!(
        r.proxy("web-1").unwrap().outbounds,
        r.proxy("web-2").unwrap().outbounds
    );
    let ignored: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::TcprouteIgnoredByHttproute)
        .collect();
    assert_eq!(ignored.len(), 1, "one cause: one finding");
    let stamped: Vec<&str> = ignored[0].proxies.iter().map(|h| &*h.proxy.name).collect();
    assert_eq!(stamped, vec!["web-1", "web-2"]);
    // `check` takes the findings-only path and must find the same.
    let mut l = meshtcp::source::Loaded::default();
    l.add_text("rules.yaml", &yaml);
    let c =
        meshtcp::resolve::Engine::new(&l.snapshot, KumaVersion::DEFAULT).check(&Filter::default());
    assert_eq!(c.findings, r.findings);
}

#[test]
fn transparent_proxies_share_results_only_when_their_outbound_sets_are_equal() {
    // Four transparent proxies with one selection (Mesh-wide routes to `orders`; the
    // MeshTCPRoute is ignored on its HTTP port): a, b and d see every VIP; c reaches only
    // orders:7000. c comes third, so a cached result of a and b would be wrong for it.
    let tp = |name: &str, ip: &str, extra: &str| {
        format!(
            "---\ntype: Dataplane\nname: {name}\nmesh: default\nnetworking:\n  address: {ip}\n  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]\n  transparentProxying:\n    redirectPortInbound: 15006\n    redirectPortOutbound: 15001\n{extra}"
        )
    };
    let only_7000 = "    reachableServices: [orders]\n    reachableBackends:\n      refs: [{kind: MeshService, name: orders, port: 7000}]\n";
    let yaml = format!(
        "{TP_MESH}{}{}{}{}---\ntype: MeshTCPRoute\nname: orders-tcp\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: orders}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: orders, port: 7000}}]}}}}]\n---\ntype: MeshHTTPRoute\nname: orders-http\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: orders}}\n      rules: [{{matches: [{{path: {{type: PathPrefix, value: /}}}}], default: {{}}}}]\n",
        tp("web-a", "10.0.1.2", ""),
        tp("web-b", "10.0.1.3", ""),
        tp("web-c", "10.0.1.4", only_7000),
        tp("web-d", "10.0.1.5", ""),
    );
    let r = run(&yaml, "2.14");
    let all = vec![
        "orders:80",
        "web:80",
        "orders:8080",
        "orders:7000",
        "no-vip:80",
    ];
    for p in ["web-a", "web-b", "web-d"] {
        assert_eq!(dests(&r, p), all, "{p}");
        assert_eq!(
            r.proxy(p).unwrap().outbounds,
            r.proxy("web-a").unwrap().outbounds
        );
    }
    assert_eq!(dests(&r, "web-c"), vec!["orders:80", "orders:7000"]);
    // The MeshHTTPRoute takes the HTTP outbounds: orders:80 (legacy, its endpoint says
    // http) everywhere, orders:8080 only where the proxy has it.
    let ignored: Vec<(&str, Vec<String>)> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::TcprouteIgnoredByHttproute)
        .flat_map(|f| &f.proxies)
        .map(|h| {
            let labels = h.outbounds.iter().map(|o| o.to_string()).collect();
            (&*h.proxy.name, labels)
        })
        .collect();
    let both = vec!["orders:80".to_string(), "orders:8080".to_string()];
    assert_eq!(
        ignored,
        vec![
            ("web-a", both.clone()),
            ("web-b", both.clone()),
            ("web-c", vec!["orders:80".to_string()]),
            ("web-d", both),
        ]
    );
    let mut l = meshtcp::source::Loaded::default();
    l.add_text("rules.yaml", &yaml);
    let c =
        meshtcp::resolve::Engine::new(&l.snapshot, KumaVersion::DEFAULT).check(&Filter::default());
    assert_eq!(c.findings, r.findings, "check finds what report finds");
}

#[test]
fn a_real_outbound_nobody_builds_names_its_proxy() {
    let yaml = format!(
        "{}---\ntype: TrafficRoute\nname: route-all\nmesh: default\nsources: [{{match: {{kuma.io/service: '*'}}}}]\ndestinations: [{{match: {{kuma.io/service: '*'}}}}]\nconf: {{destination: {{kuma.io/service: '*'}}}}\n",
        tp_proxy("")
    );
    let r = run(&yaml, "2.14");
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::OutboundWithoutListener)
        .collect();
    assert_eq!(
        f.len(),
        1,
        "only the transparent-proxy proxy has real outbounds: {f:?}"
    );
    let web = f[0];
    assert_eq!(web.proxies.len(), 1);
    assert_eq!(&*web.proxies[0].proxy.name, "web-tp");
    let labels: Vec<&str> = web.proxies[0].outbounds.iter().map(|o| &**o).collect();
    assert_eq!(labels, vec!["no-vip:80", "orders:7000", "orders:8080"]);
}

// Dataplane backendRef outbounds (2.9+) -------------------------------------------------

const MES: &str = r#"
---
type: MeshExternalService
name: httpbin
mesh: default
spec:
  match: {type: HostnameGenerator, port: 443, protocol: tcp}
  endpoints: [{address: httpbin.org, port: 443}]
status:
  vip: {ip: 242.0.0.1}
"#;

fn backend_ref_proxy(refs: &str) -> String {
    format!(
        "{TP_MESH}{MES}---\ntype: Dataplane\nname: web-br\nmesh: default\nnetworking:\n  address: 10.0.1.3\n  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]\n  outbound:\n{refs}"
    )
}

/// A MeshExternalService has one port, `match.port`: a backendRef to it needs no `port`
/// (`dataplane_validator.go@v2.13.0` skips the port check for MES; MES
/// `FindPortByName` returns the match port whatever the name).
#[test]
fn a_mes_backend_ref_without_port_uses_its_match_port() {
    let r = run(
        &backend_ref_proxy(
            "    - {port: 20003, backendRef: {kind: MeshExternalService, name: httpbin}}\n",
        ),
        "2.14",
    );
    assert_eq!(dests(&r, "web-br"), vec!["httpbin:443"]);
    let o = outbound(&r, "web-br", "httpbin:443");
    assert_eq!(o.destination.kind, "MeshExternalService");
    assert_eq!(o.destination.listener_port, Some(20003));
}

/// A labels backendRef resolves to the oldest match by creation time
/// (`resolveResourceIdentifier`, `pkg/xds/context/destination_index.go@v2.13.0`), not
/// to the first in the input.
#[test]
fn a_labels_backend_ref_resolves_to_the_oldest_match() {
    let two = format!(
        "{}---\ntype: MeshService\nname: orders-new\nmesh: default\ncreationTime: \"2026-03-01T00:00:00Z\"\nlabels: {{team: orders}}\nspec:\n  ports: [{{port: 7000, targetPort: 7000}}]\n---\ntype: MeshService\nname: orders-old\nmesh: default\ncreationTime: \"2025-03-01T00:00:00Z\"\nlabels: {{team: orders}}\nspec:\n  ports: [{{port: 7000, targetPort: 7000}}]\n",
        backend_ref_proxy(
            "    - {port: 20004, backendRef: {kind: MeshService, labels: {team: orders}, port: 7000}}\n"
        )
        .replace("labels: {team: orders}\nspec:\n  ports:\n    - {name: http", "spec:\n  ports:\n    - {name: http")
    );
    let r = run(&two, "2.14");
    assert_eq!(dests(&r, "web-br"), vec!["orders-old:7000"]);
}

/// `to[].targetRef.sectionName` matches only the port's section name: the name, or the
/// number only for an unnamed port (`findPort`, `rules/resolve/targetref.go@v2.13.0`;
/// `targetref_test.go@v2.13.0` "should not resolve MeshService targetRef with section
/// name being a port value and MeshService's port name is set").
#[test]
fn a_to_section_name_is_the_port_name_not_its_number() {
    let route = |section: &str| {
        format!(
            "{}---\ntype: MeshTCPRoute\nname: by-section\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: orders, sectionName: \"{section}\"}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: orders, port: 7000}}]}}}}]\n",
            tp_proxy("")
        )
    };
    // Port 8080 is named `http`: "8080" matches nothing, "http" matches it.
    let by_number = run(&route("8080"), "2.14");
    let o = outbound(&by_number, "web-tp", "orders:8080");
    assert_eq!(o.route, RouteKind::Default);
    assert!(o.policy("by-section").is_none());
    let by_name = run(&route("http"), "2.14");
    assert_eq!(
        outbound(&by_name, "web-tp", "orders:8080").route,
        RouteKind::MeshTCPRoute
    );
    // Port 7000 has no name: its number is its section name.
    let unnamed = run(&route("7000"), "2.14");
    assert_eq!(
        outbound(&unnamed, "web-tp", "orders:7000").route,
        RouteKind::MeshTCPRoute
    );
    // A backendRef's port lookup still accepts the name or the number.
    let o = outbound(&by_name, "web-tp", "orders:8080");
    assert_eq!(o.backends[0].port, Some(7000));
    assert!(o.backends[0].resolved);
}

// Route "none" --------------------------------------------------------------------------

/// In a mesh with TrafficRoutes, a legacy outbound that no TrafficRoute selects and that
/// no new route plugin builds gets no route: Kuma logs "the traffic won't be routed"
/// (`determineRoutes`, `outbound_proxy_generator.go@v2.13.0`).
#[test]
fn a_legacy_outbound_no_traffic_route_selects_has_route_none() {
    let yaml = web(
        "---\ntype: TrafficRoute\nname: only-api\nmesh: default\nsources: [{match: {kuma.io/service: web}}]\ndestinations: [{match: {kuma.io/service: api}}]\nconf: {destination: {kuma.io/service: api}}\n",
    );
    let r = run(&yaml, "2.14");
    let b = outbound(&r, "web-1", "backend");
    assert_eq!(b.route, RouteKind::None);
    assert!(b.backends.is_empty());
    assert!(
        b.reason.contains("only-api"),
        "names the TrafficRoutes: {}",
        b.reason
    );
    assert_eq!(outbound(&r, "web-1", "api").route, RouteKind::TrafficRoute);
    // 2.3-2.5 without any TrafficRoute: the legacy generator alone builds outbounds.
    let old = run(&web(""), "2.5");
    let b = outbound(&old, "web-1", "backend");
    assert_eq!(b.route, RouteKind::None);
    assert!(b.reason.contains("2.3"), "{}", b.reason);
}

// Zones of Git-authored resources -------------------------------------------------------

const ZONED: &str = r#"
type: Mesh
name: default
meshServices: {mode: Exclusive}
---
type: MeshService
name: backend
mesh: default
labels: {kuma.io/zone: zone-1, kuma.io/origin: zone, kuma.io/display-name: backend}
spec:
  ports: [{name: tcp, port: 7000, targetPort: 7000, appProtocol: tcp}]
status:
  vips: [{ip: 241.0.0.7}]
---
type: MeshService
name: backend-v2
mesh: default
labels: {kuma.io/zone: zone-1, kuma.io/origin: zone, kuma.io/display-name: backend-v2}
spec:
  ports: [{name: tcp, port: 7000, targetPort: 7000, appProtocol: tcp}]
status:
  vips: [{ip: 241.0.0.8}]
---
type: Dataplane
name: web-1
mesh: default
labels: {kuma.io/zone: zone-1}
networking:
  address: 10.0.2.1
  inbound: [{port: 80, tags: {kuma.io/service: web, kuma.io/zone: zone-1}}]
  transparentProxying: {redirectPortInbound: 15006, redirectPortOutbound: 15001}
---
type: MeshTCPRoute
name: to-v2
mesh: default
spec:
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules: [{default: {backendRefs: [{kind: MeshService, name: backend-v2, port: 7000}]}}]
"#;

/// Exported services carry `kuma.io/zone`, hand-written routes do not; the zone control
/// plane they are applied to would label them (`ComputeLabels`,
/// `pkg/core/resources/model/resource.go@v2.13.0`), so they belong to the local zone.
#[test]
fn git_authored_routes_belong_to_the_one_zone_of_the_exported_resources() {
    let r = run(ZONED, "2.14");
    let o = outbound(&r, "web-1", "backend:7000");
    assert_eq!(o.route, RouteKind::MeshTCPRoute);
    assert_eq!(o.backends[0].name, "backend-v2");
    assert!(o.backends[0].resolved);
    let z: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::ZoneAssumed)
        .collect();
    assert_eq!(z.len(), 1);
    assert!(z[0].message.contains("zone-1"), "{}", z[0].message);
    // A second zone in the input: no zone can be assumed, and a warning asks for one.
    let two = format!(
        "{ZONED}---\ntype: MeshService\nname: other\nmesh: default\nlabels: {{kuma.io/zone: zone-2}}\nspec:\n  ports: [{{port: 1, targetPort: 1}}]\nstatus:\n  vips: [{{ip: 241.0.0.9}}]\n"
    );
    let r = run(&two, "2.14");
    assert_eq!(
        outbound(&r, "web-1", "backend:7000").route,
        RouteKind::Default
    );
    assert!(r.findings.iter().any(|f| f.code == Code::ZoneAssumed
        && f.severity == meshtcp::model::Severity::Warning
        && f.message.contains("--zone")));
    // ... and the engine option (`--zone`) says which.
    let mut l = Loaded::default();
    l.add_text("rules.yaml", &two);
    let opts = meshtcp::resolve::Options {
        zone: Some("zone-1".into()),
        ..Default::default()
    };
    let r = meshtcp::resolve::Engine::with_options(&l.snapshot, KumaVersion::DEFAULT, &opts)
        .report(&Filter::default());
    assert_eq!(
        outbound(&r, "web-1", "backend:7000").route,
        RouteKind::MeshTCPRoute
    );
}

// Silent answers ------------------------------------------------------------------------

/// Every proxy without outbounds says why, in one line.
#[test]
fn a_proxy_without_outbounds_says_why() {
    let r = run(&web(""), "2.14");
    let notes = &r.proxy("backend-1").unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("no outbounds: no transparent proxying")),
        "{notes:?}"
    );
    let r = run(&tp_proxy("    reachableServices: [nothing-here]\n"), "2.14");
    let notes = &r.proxy("web-tp").unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("reachableServices lists none")),
        "{notes:?}"
    );
}

// targetref-matches-nothing ---------------------------------------------------------------

fn matches_nothing<'r>(r: &'r Report, policy: &str) -> Vec<&'r str> {
    r.findings
        .iter()
        .filter(|f| {
            f.code == Code::TargetrefMatchesNothing
                && f.resource.as_ref().is_some_and(|x| x.name == policy)
        })
        .map(|f| &*f.message)
        .collect()
}

/// A typo in a to[] name used to pass `check --strict` with "OK": the route matched
/// nothing and nothing said so. Kuma compares names exactly (legacy `kuma.io/service`
/// tags; `TargetRefToKRI`, `rules/resolve/backendref.go@v2.13.0`).
#[test]
fn a_misspelt_to_ref_matches_nothing_and_names_the_nearest_service() {
    let yaml = web(&route(
        "typo",
        "{kind: Mesh}",
        "backnd",
        "[{kind: MeshService, name: api}]",
    ));
    let r = run(&yaml, "2.14");
    let m = matches_nothing(&r, "typo");
    assert_eq!(m.len(), 1, "{:?}", r.findings);
    assert!(
        m[0].contains("spec.to[0]") && m[0].contains("did you mean `backend`?"),
        "{}",
        m[0]
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::TargetrefMatchesNothing)
        .unwrap();
    assert_eq!(f.severity, meshtcp::model::Severity::Warning);
    assert!(f.location.is_some(), "located at the policy");
    // Spelled right: nothing to say.
    let ok = run(&yaml.replace("name: backnd}", "name: backend}"), "2.14");
    assert!(matches_nothing(&ok, "typo").is_empty());
}

/// The service exists, but the proxies the policy selects have no outbound to it
/// (explicit outbounds): said, with what decides a proxy's outbounds.
#[test]
fn a_to_ref_no_selected_proxy_has_an_outbound_to_says_so() {
    let yaml = web(&route(
        "to-web",
        "{kind: MeshService, name: web}",
        "web",
        "[{kind: MeshService, name: api}]",
    ));
    let r = run(&yaml, "2.14");
    let m = matches_nothing(&r, "to-web");
    assert_eq!(m.len(), 1);
    assert!(m[0].contains("`web` exists, but no proxy"), "{}", m[0]);
}

/// A name in another namespace, and a sectionName the port does not have: the message
/// says which (`findPort`, `rules/resolve/targetref.go@v2.13.0`).
#[test]
fn matches_nothing_names_another_namespace_or_a_missing_section() {
    let mesh = r#"
type: Mesh
name: default
meshServices: {mode: Exclusive}
---
type: MeshService
name: orders
mesh: default
labels: {k8s.kuma.io/namespace: shop}
spec:
  ports:
    - {name: secondary, port: 9090, targetPort: 9090}
status:
  vips: [{ip: 241.0.0.3}]
---
type: Dataplane
name: web-1
mesh: default
networking:
  address: 10.0.3.1
  inbound: [{port: 80, tags: {kuma.io/service: web}}]
  transparentProxying: {redirectPortInbound: 15006, redirectPortOutbound: 15001}
"#;
    let with = |to: &str| {
        format!(
            "{mesh}---\ntype: MeshTCPRoute\nname: r\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {to}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: orders, namespace: shop, port: 9090}}]}}}}]\n"
        )
    };
    let r = run(&with("{kind: MeshService, name: orders}"), "2.14");
    let m = matches_nothing(&r, "r");
    assert_eq!(m.len(), 1);
    assert!(
        m[0].contains("in namespace `shop`") && m[0].contains("namespace:"),
        "{}",
        m[0]
    );
    let r = run(
        &with("{kind: MeshService, name: orders, namespace: shop, sectionName: \"9090\"}"),
        "2.14",
    );
    let m = matches_nothing(&r, "r");
    assert!(
        m[0].contains("port 9090") && m[0].contains("named `secondary`"),
        "{}",
        m[0]
    );
    let r = run(
        &with("{kind: MeshService, name: orders, namespace: shop, sectionName: grpc}"),
        "2.14",
    );
    let m = matches_nothing(&r, "r");
    assert!(
        m[0].contains("no port section `grpc`") && m[0].contains("secondary (9090)"),
        "{}",
        m[0]
    );
    let r = run(
        &with("{kind: MeshService, name: orders, namespace: shop, sectionName: secondary}"),
        "2.14",
    );
    assert!(matches_nothing(&r, "r").is_empty());
}

/// `check` (findings only) and `--proxy` give the same answer: every proxy's outbounds
/// count, reported or not.
#[test]
fn matches_nothing_is_the_same_for_check_and_a_proxy_filter() {
    let yaml = web(&route(
        "typo",
        "{kind: Mesh}",
        "backnd",
        "[{kind: MeshService, name: api}]",
    ));
    let mut l = Loaded::default();
    l.add_text("rules.yaml", &yaml);
    let e = meshtcp::resolve::Engine::new(&l.snapshot, KumaVersion::DEFAULT);
    let c = e.check(&Filter::default());
    assert_eq!(matches_nothing(&c, "typo").len(), 1);
    let one = e.report(&Filter {
        proxy: Some("api-1".into()),
        ..Filter::default()
    });
    assert_eq!(matches_nothing(&one, "typo").len(), 1);
    // A route that matches on web-1 only is not "nothing" when filtering to api-1.
    let fine = yaml.replace("name: backnd}", "name: backend}");
    let mut l = Loaded::default();
    l.add_text("rules.yaml", &fine);
    let e = meshtcp::resolve::Engine::new(&l.snapshot, KumaVersion::DEFAULT);
    let one = e.report(&Filter {
        proxy: Some("api-1".into()),
        ..Filter::default()
    });
    assert!(matches_nothing(&one, "typo").is_empty());
}

/// A misspelt backendRef names its nearest service; one without a port that names a
/// real MeshService says the port is what makes it real (`ReferencesRealObject`,
/// `api/common/v1alpha1/targetref.go@v2.13.0`).
#[test]
fn backend_not_found_names_the_nearest_service_or_the_missing_port() {
    let typo = run(
        &web(&route(
            "split",
            "{kind: Mesh}",
            "backend",
            "[{kind: MeshService, name: mixd}]",
        )),
        "2.14",
    );
    let f: Vec<&str> = typo
        .findings
        .iter()
        .filter(|f| f.code == Code::BackendNotFound)
        .map(|f| &*f.message)
        .collect();
    assert_eq!(f.len(), 1);
    assert!(f[0].contains("did you mean `mixed`?"), "{}", f[0]);
    let yaml = format!(
        "{}{}",
        tp_proxy(""),
        route(
            "to-orders",
            "{kind: Mesh}",
            "orders",
            "[{kind: MeshService, name: no-vip}]"
        )
    );
    let r = run(&yaml, "2.14");
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::BackendNotFound)
        .expect("no-vip is not a kuma.io/service");
    assert!(
        f.message.contains("a real MeshService `no-vip` exists") && f.message.contains("port"),
        "{}",
        f.message
    );
}

/// Of two to[] entries of one policy, the one no selected proxy has an outbound to is
/// reported, the other not (the proxies are picked by Dataplane labels).
#[test]
fn matches_nothing_is_per_entry() {
    let yaml = web(
        "---\ntype: MeshTCPRoute\nname: two\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, labels: {app: web}}\n  to:\n    - targetRef: {kind: MeshService, name: backend}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: api}]}}]\n    - targetRef: {kind: MeshService, name: web}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: api}]}}]\n",
    );
    let r = run(&yaml, "2.14");
    let m = matches_nothing(&r, "two");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("spec.to[1]"), "{}", m[0]);
}

/// Report v2: an ignored MeshTCPRoute is a warning only where it has no effect at all.
/// On a whole MeshService whose http port a MeshHTTPRoute routes and whose tcp port the
/// MeshTCPRoute routes, it still applies: info, naming where.
#[test]
fn an_ignored_route_that_still_applies_somewhere_is_info_naming_where() {
    let routes = |tcp_section: &str| {
        format!(
            "---\ntype: MeshTCPRoute\nname: orders-tcp\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: orders{tcp_section}}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: orders, port: 7000}}]}}}}]\n---\ntype: MeshHTTPRoute\nname: orders-http\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: orders}}\n      rules: [{{matches: [{{path: {{type: PathPrefix, value: /}}}}], default: {{}}}}]\n"
        )
    };
    let ignored = |r: &Report| -> meshtcp::model::Finding {
        let f: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.code == Code::TcprouteIgnoredByHttproute)
            .collect();
        assert_eq!(f.len(), 1, "{:#?}", r.findings);
        f[0].clone()
    };

    // The whole service: ignored on orders:8080 (http), applied on orders:7000.
    let r = run(&format!("{}{}", tp_proxy(""), routes("")), "2.14");
    let o7000 = r.proxy("web-tp").unwrap().outbound("orders:7000").unwrap();
    assert_eq!(o7000.route, RouteKind::MeshTCPRoute);
    let f = ignored(&r);
    assert_eq!(f.severity, Severity::Info, "{}", f.message);
    assert!(
        f.message
            .contains("still applies elsewhere, e.g. on orders:7000"),
        "{}",
        f.message
    );
    let on: Vec<&str> = f.proxies[0].outbounds.iter().map(|o| &**o).collect();
    assert_eq!(
        on,
        ["orders:80", "orders:8080"],
        "the legacy orders:80 is http too"
    );

    // Only the http port: ignored on everything it selects, no effect at all.
    let r = run(
        &format!("{}{}", tp_proxy(""), routes(", sectionName: http")),
        "2.14",
    );
    let f = ignored(&r);
    assert_eq!(f.severity, Severity::Warning, "{}", f.message);
    assert!(f.message.contains("no effect at all"), "{}", f.message);
    // `check` (findings only) judges alike.
    let mut l = meshtcp::source::Loaded::default();
    l.add_text("rules.yaml", &format!("{}{}", tp_proxy(""), routes("")));
    let c =
        meshtcp::resolve::Engine::new(&l.snapshot, KumaVersion::DEFAULT).check(&Filter::default());
    let f = ignored(&c);
    assert_eq!(f.severity, Severity::Info, "check: {}", f.message);
}

/// Report v2: one finding per (code, resource, cause), its proxies inside, sorted; the
/// same cause in two files is two findings.
#[test]
fn one_cause_on_many_proxies_is_one_finding_and_two_files_are_two() {
    let tp = |name: &str, ip: &str| {
        format!(
            "---\ntype: Dataplane\nname: {name}\nmesh: default\nnetworking:\n  address: {ip}\n  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]\n  transparentProxying:\n    redirectPortInbound: 15006\n    redirectPortOutbound: 15001\n"
        )
    };
    let http_route = |name: &str| {
        format!(
            "---\ntype: MeshHTTPRoute\nname: {name}\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: ledger}}\n      rules: [{{matches: [{{path: {{type: PathPrefix, value: /}}}}], default: {{}}}}]\n"
        )
    };
    let ledger = "---\ntype: MeshService\nname: ledger\nmesh: default\nspec:\n  ports: [{port: 5432, targetPort: 5432}]\nstatus:\n  vips: [{ip: 241.0.0.9}]\n";
    let mut l = Loaded::default();
    l.add_text(
        "mesh.yaml",
        &format!(
            "{TP_MESH}{ledger}{}{}{}",
            tp("web-c", "10.0.1.4"),
            tp("web-a", "10.0.1.2"),
            tp("web-b", "10.0.1.3")
        ),
    );
    l.add_text("a.yaml", &http_route("to-orders-a"));
    l.add_text("b.yaml", &http_route("to-orders-b"));
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    let r = resolve(&l.snapshot, KumaVersion::DEFAULT, &Filter::default());
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::HttprouteIgnoredOnTcp)
        .collect();
    assert_eq!(f.len(), 2, "one per policy file: {:#?}", r.findings);
    for f in f {
        let names: Vec<&str> = f.proxies.iter().map(|h| &*h.proxy.name).collect();
        assert_eq!(names, ["web-a", "web-b", "web-c"], "sorted, each once");
        let a = f.affected().unwrap();
        assert_eq!((a.proxies, a.outbounds), (3, 3));
        assert_eq!(f.severity, Severity::Warning, "{}", f.message);
    }
}
