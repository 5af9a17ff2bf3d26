//! The worked examples E1–E16 of `kuma-semantics.md` §10, each as an integration test.
//!
//! Fixtures are inputs only (`tests/fixtures/examples/`): `shared/` holds the §10 "shared
//! input" Dataplanes and is loaded alongside each Universal example's own directory. Every
//! expected value below comes from the spec text of the example it tests; where the spec
//! is silent or ambiguous, the comment on the test says what was assumed.

use meshtcp::model::{Code, Severity};
use meshtcp::resolve::{
    self, Backend, Filter, KumaVersion, OutboundReport, ProxyReport, Report, RouteKind, Status,
};
use meshtcp::source::{self, Source};
use std::path::PathBuf;

use RouteKind::{Default as DefaultRoute, MeshHTTPRoute, MeshTCPRoute, TrafficRoute};
use Status::{Applied, Ignored, Overridden};

const TCP: &str = "MeshTCPRoute";
const HTTP: &str = "MeshHTTPRoute";
const TR: &str = "TrafficRoute";

/// Bucket A (2.3–2.5), B (2.6–2.8), C (2.9) and D (2.10–2.14) versions used below.
const A: &[&str] = &["2.3", "2.4", "2.5"];
const D: &[&str] = &["2.10", "2.13", "2.14"];
const B_TO_D: &[&str] = &["2.6", "2.7", "2.8", "2.9", "2.10", "2.13", "2.14"];

// ------------------------------------------------------------------------- helpers

fn fixture(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/examples")
        .join(dir)
}

fn version(v: &str) -> KumaVersion {
    v.parse().unwrap_or_else(|e| panic!("bad version {v}: {e}"))
}

/// Load the fixture directories (they must load without any finding) and resolve them.
fn run(dirs: &[&str], v: &str) -> Report {
    let sources: Vec<Source> = dirs.iter().map(|d| Source::Path(fixture(d))).collect();
    let loaded = source::load(&sources);
    assert!(
        loaded.findings.is_empty(),
        "fixtures {dirs:?} must load cleanly, got {:#?}",
        loaded.findings
    );
    assert!(
        !loaded.snapshot.resources.is_empty(),
        "fixtures {dirs:?} hold resources"
    );
    resolve::resolve(&loaded.snapshot, version(v), &Filter::default())
}

/// The proxy named `name` (and in namespace `ns`, for Kubernetes).
fn proxy<'r>(r: &'r Report, ns: Option<&str>, name: &str) -> &'r ProxyReport {
    r.proxies
        .iter()
        .find(|p| p.name == name && p.namespace.as_deref() == ns)
        .unwrap_or_else(|| {
            let all: Vec<_> = r.proxies.iter().map(|p| (&p.namespace, &p.name)).collect();
            panic!(
                "[{}] no proxy {ns:?}/{name}; proxies: {all:?}",
                r.kuma_version
            )
        })
}

fn describe_outbounds(p: &ProxyReport) -> Vec<String> {
    p.outbounds
        .iter()
        .map(|o| format!("{} {}", o.destination.kind, o.destination.label()))
        .collect()
}

/// The outbound of `p` whose destination has this kind and name (and port, if given).
fn outbound<'p>(
    p: &'p ProxyReport,
    kind: &str,
    name: &str,
    port: Option<u32>,
) -> &'p OutboundReport {
    let hits: Vec<&OutboundReport> = p
        .outbounds
        .iter()
        .filter(|o| {
            o.destination.kind == kind
                && o.destination.name == name
                && port.is_none_or(|x| o.destination.port == x)
        })
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "proxy {}: expected exactly one outbound {kind} {name} {port:?}; outbounds: {:?}",
        p.name,
        describe_outbounds(p)
    );
    hits[0]
}

/// A legacy (`kuma.io/service`) outbound by service name.
fn legacy<'p>(p: &'p ProxyReport, service: &str) -> &'p OutboundReport {
    outbound(p, "service", service, None)
}

fn ctx(p: &ProxyReport, o: &OutboundReport) -> String {
    format!("proxy {} outbound {}", p.name, o.destination.label())
}

fn assert_route(p: &ProxyReport, o: &OutboundReport, want: RouteKind) {
    assert_eq!(o.route, want, "{}: route (reason: {})", ctx(p, o), o.reason);
}

/// Backends exactly, in order: (name, weight, share); shares compared within 1e-9.
fn assert_backends(p: &ProxyReport, o: &OutboundReport, want: &[(&str, u32, f64)]) {
    let got: Vec<(&str, u32, f64)> = o
        .backends
        .iter()
        .map(|b| (b.name.as_str(), b.weight, b.share))
        .collect();
    assert_eq!(
        got.len(),
        want.len(),
        "{}: backends {got:?}, want {want:?}",
        ctx(p, o)
    );
    for ((gn, gw, gs), (wn, ww, ws)) in got.iter().zip(want) {
        assert_eq!(
            (gn, gw),
            (wn, ww),
            "{}: backends {got:?}, want {want:?}",
            ctx(p, o)
        );
        assert!(
            (gs - ws).abs() < 1e-9,
            "{}: share of {gn} is {gs}, want {ws} (all: {got:?})",
            ctx(p, o)
        );
    }
}

fn backend<'o>(o: &'o OutboundReport, name: &str) -> &'o Backend {
    o.backends
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("outbound {}: no backend {name}", o.destination.label()))
}

fn describe_policies(o: &OutboundReport) -> Vec<(String, String, Status)> {
    o.policies
        .iter()
        .map(|x| (x.kind.clone(), x.name.to_string(), x.status))
        .collect()
}

/// Every policy row, exactly and in this order: (kind, name, status).
fn assert_policies(p: &ProxyReport, o: &OutboundReport, want: &[(&str, &str, Status)]) {
    let got = describe_policies(o);
    let want: Vec<(String, String, Status)> = want
        .iter()
        .map(|(k, n, s)| (k.to_string(), n.to_string(), *s))
        .collect();
    assert_eq!(got, want, "{}: policies (kind, name, status)", ctx(p, o));
}

/// Every policy row exactly, where the spec gives no order between them.
fn assert_policy_set(p: &ProxyReport, o: &OutboundReport, want: &[(&str, &str, Status)]) {
    let mut got = describe_policies(o);
    let mut want: Vec<(String, String, Status)> = want
        .iter()
        .map(|(k, n, s)| (k.to_string(), n.to_string(), *s))
        .collect();
    got.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(
        got,
        want,
        "{}: policies (kind, name, status), any order",
        ctx(p, o)
    );
}

fn policy_reason<'o>(o: &'o OutboundReport, name: &str) -> &'o str {
    &o.policy(name)
        .unwrap_or_else(|| panic!("outbound {}: no policy {name}", o.destination.label()))
        .reason
}

fn describe_findings(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} proxies={:?}: {}",
                f.severity,
                f.code,
                f.resource.as_ref().map(|x| &x.name),
                f.proxies.iter().map(|h| &*h.proxy.name).collect::<Vec<_>>(),
                f.message
            )
        })
        .collect()
}

/// Findings with `code` about the resource named `resource`, for `proxy` when given.
fn findings_for<'r>(
    r: &'r Report,
    code: Code,
    resource: &str,
    proxy: Option<&str>,
) -> Vec<&'r meshtcp::model::Finding> {
    r.findings
        .iter()
        .filter(|f| {
            f.code == code
                && f.resource.as_ref().is_some_and(|x| x.name == resource)
                && proxy.is_none_or(|p| f.proxies.iter().any(|h| *h.proxy.name == *p))
        })
        .collect()
}

/// A finding with `code` on `resource` (for `proxy` when given) exists, with the
/// contract's severity for that code.
fn assert_finding<'r>(
    r: &'r Report,
    code: Code,
    resource: &str,
    proxy: Option<&str>,
) -> &'r meshtcp::model::Finding {
    let hits = findings_for(r, code, resource, proxy);
    assert!(
        !hits.is_empty(),
        "[{}] expected finding {code} on {resource} (proxy {proxy:?}); findings: {:#?}",
        r.kuma_version,
        describe_findings(r)
    );
    for f in &hits {
        // An ignored route is a warning only where it has no effect anywhere.
        let want = match code {
            Code::TcprouteIgnoredByHttproute | Code::HttprouteIgnoredOnTcp
                if !f.message.contains("It has no effect at all") =>
            {
                Severity::Info
            }
            _ => code.severity(),
        };
        assert_eq!(
            f.severity, want,
            "[{}] severity of {code} on {resource}: {}",
            r.kuma_version, f.message
        );
    }
    hits[0]
}

fn assert_no_finding(r: &Report, code: Code) {
    let hits: Vec<String> = describe_findings(r)
        .into_iter()
        .filter(|f| f.contains(code.as_str()))
        .collect();
    assert!(
        r.findings.iter().all(|f| f.code != code),
        "[{}] expected no {code} finding, got {hits:#?}",
        r.kuma_version
    );
}

fn assert_no_findings(r: &Report) {
    assert!(
        r.findings.is_empty(),
        "[{}] expected no findings, got {:#?}",
        r.kuma_version,
        describe_findings(r)
    );
}

// ------------------------------------------------------------------------- E1

fn e1_split(p: &ProxyReport) {
    let o = legacy(p, "backend");
    assert_route(p, o, MeshTCPRoute);
    assert_backends(p, o, &[("backend-v1", 90, 0.9), ("backend-v2", 10, 0.1)]);
    assert_policies(p, o, &[(TCP, "split-90-10", Applied)]);
}

/// E1: 90/10 split on backend; db and api (http) untouched, on route `default`.
#[test]
fn e1_simple_split_legacy_backends() {
    for v in D {
        let r = run(&["shared", "e1"], v);
        let p = proxy(&r, None, "web-1");
        e1_split(p);
        // The backendRefs have no port: legacy services, both served in the shared input.
        let o = legacy(p, "backend");
        for b in &o.backends {
            assert!(
                b.resolved && b.port.is_none(),
                "[{v}] {} is a resolved legacy backend: {b:?}",
                b.name
            );
        }
        assert_no_finding(&r, Code::BackendNotFound);

        let db = legacy(p, "db");
        assert_route(p, db, DefaultRoute);
        assert_backends(p, db, &[("db", 1, 1.0)]);
        assert_policies(p, db, &[]);

        let api = legacy(p, "api");
        assert_eq!(api.protocol, "http", "[{v}] api inbounds are http");
        assert_route(p, api, DefaultRoute);
        assert_backends(p, api, &[("api", 1, 1.0)]);
        assert_policies(p, api, &[]);
    }
}

// ------------------------------------------------------------------------- E2

/// E2: Dataplane(2) beats Mesh(1); a proxy without the label keeps E1's split.
#[test]
fn e2_more_specific_top_level_kind_wins() {
    for v in D {
        let r = run(&["shared", "e2"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend-v2", 1, 1.0)]);
        assert_policies(
            p,
            o,
            &[(TCP, "split-90-10", Overridden), (TCP, "web-only", Applied)],
        );

        let other = proxy(&r, None, "web-2");
        e1_split(other);
    }
}

// ------------------------------------------------------------------------- E3

/// E3, 2.6+: [beta, alpha], the smallest name wins → alpha (backend-v1).
#[test]
fn e3_same_kind_smallest_name_wins_from_2_6() {
    for v in ["2.6", "2.8", "2.9", "2.10", "2.13", "2.14"] {
        let r = run(&["shared", "e3"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend-v1", 1, 1.0)]);
        assert_policies(p, o, &[(TCP, "beta", Overridden), (TCP, "alpha", Applied)]);
    }
}

/// E3, 2.3–2.5: [alpha, beta], the greatest name wins → beta (backend-v2).
#[test]
fn e3_same_kind_greatest_name_wins_up_to_2_5() {
    for v in A {
        let r = run(&["shared", "e3"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend-v2", 1, 1.0)]);
        assert_policies(p, o, &[(TCP, "alpha", Overridden), (TCP, "beta", Applied)]);
    }
}

// ------------------------------------------------------------------------- E4

/// E4: zeta's [v2 weight 1] replaces alpha's [v1 50, v2 50]: no union, no summed weights.
#[test]
fn e4_lists_are_replaced_never_merged() {
    for v in D {
        let r = run(&["shared", "e4"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend-v2", 1, 1.0)]);
        assert_policies(p, o, &[(TCP, "alpha", Overridden), (TCP, "zeta", Applied)]);
        // Spec: the reason on alpha is "replaced by zeta (more specific targetRef)".
        let why = policy_reason(o, "alpha");
        assert!(
            why.contains("replaced by") && why.contains("zeta"),
            "[{v}] reason on alpha names zeta: {why}"
        );
    }
}

// ------------------------------------------------------------------------- E5

/// E5, 2.3–2.9: a `to[]` item without rules implies [backend, weight 1] and overrides the
/// lower Mesh-level split (it is `applied`, not a no-op).
#[test]
fn e5_to_item_without_rules_before_2_10() {
    for v in ["2.3", "2.5", "2.6", "2.8", "2.9"] {
        let r = run(&["shared", "e5"], v);
        assert_no_finding(&r, Code::InvalidResource);
        assert_no_finding(&r, Code::TargetrefKindUnsupported);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend", 1, 1.0)]);
        assert_policies(
            p,
            o,
            &[
                (TCP, "split-90-10", Overridden),
                (TCP, "web-to-backend", Applied),
            ],
        );
    }
}

/// E5, 2.10+ on Universal: Kuma's validator still accepts a to[] item without rules and
/// implies the rule (`validator_test.go@v2.13.0` "accepts valid resource without
/// to.rules"; `To.GetDefault`, `meshtcproute/api/v1alpha1/helpers.go@v2.13.0`), so the
/// result is the one of earlier versions.
#[test]
fn e5_to_item_without_rules_still_valid_on_universal_from_2_10() {
    for v in D {
        let r = run(&["shared", "e5"], v);
        assert_no_finding(&r, Code::InvalidResource);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend", 1, 1.0)]);
        assert_policies(
            p,
            o,
            &[
                (TCP, "split-90-10", Overridden),
                (TCP, "web-to-backend", Applied),
            ],
        );
    }
}

/// E5 in the Kubernetes format, 2.10+: the CRD schema requires `rules`, so the API server
/// refuses the document (`invalid-resource`); before 2.10 it is accepted.
#[test]
fn e5_kubernetes_to_item_without_rules_invalid_from_2_10() {
    for v in D {
        let r = run(&["e5-k8s"], v);
        let f = assert_finding(&r, Code::InvalidResource, "orders-to-stock", None);
        assert!(f.message.contains("CRD"), "[{v}] {}", f.message);
    }
    for v in ["2.6", "2.9"] {
        let r = run(&["e5-k8s"], v);
        assert_no_finding(&r, Code::InvalidResource);
    }
}

// ------------------------------------------------------------------------- E6

/// E6: on the http destination api, MeshHTTPRoute wins; the rule has no backendRefs so it
/// falls back to api itself; api-tcp is ignored with `tcproute-ignored-by-httproute`.
#[test]
fn e6_meshhttproute_wins_on_http_destination() {
    for v in D {
        let r = run(&["shared", "e6"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "api");
        assert_eq!(o.protocol, "http");
        assert_route(p, o, MeshHTTPRoute);
        assert_backends(p, o, &[("api", 1, 1.0)]);
        assert_policies(
            p,
            o,
            &[(TCP, "api-tcp", Ignored), (HTTP, "api-http", Applied)],
        );
        assert_finding(
            &r,
            Code::TcprouteIgnoredByHttproute,
            "api-tcp",
            Some("web-1"),
        );
    }
}

// ------------------------------------------------------------------------- E7

/// E7: a MeshTCPRoute alone on an http destination applies; no finding.
#[test]
fn e7_meshtcproute_alone_on_http_destination_applies() {
    for v in D {
        let r = run(&["shared", "e7"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "api");
        assert_eq!(o.protocol, "http");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend", 1, 1.0)]);
        assert_policies(p, o, &[(TCP, "api-tcp", Applied)]);
        assert_no_findings(&r);
    }
}

// ------------------------------------------------------------------------- E8

/// E8: a MeshHTTPRoute on the tcp destination db is ignored (`httproute-ignored-on-tcp`);
/// the TCP plugin writes db last with route `default`.
#[test]
fn e8_meshhttproute_on_tcp_destination_is_ignored() {
    for v in D {
        let r = run(&["shared", "e8"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "db");
        assert_eq!(o.protocol, "tcp");
        assert_route(p, o, DefaultRoute);
        assert_backends(p, o, &[("db", 1, 1.0)]);
        assert_policies(p, o, &[(HTTP, "db-http", Ignored)]);
        assert_finding(&r, Code::HttprouteIgnoredOnTcp, "db-http", Some("web-1"));
    }
}

/// E8 edge (§6 last row, 2.6+): the mesh also has a TrafficRoute and web-1 has no
/// MeshTCPRoute, so the TCP plugin is skipped; db-http resolves to the http backend `api`,
/// so its HTTP listener survives on db: route MeshHTTPRoute plus `httproute-ignored-on-tcp`
/// ("applied as HTTP on a tcp destination"). The HTTP plugin runs (web-1 has MeshHTTPRoute
/// rules), so it also rebuilds the other HTTP outbound, api, with no route (§7.2); the tcp
/// outbound backend, which neither plugin rewrites, stays on TrafficRoute.
///
/// Assumed: db's backends are the catch-all of the MeshHTTPRoute (its only rule matches
/// `/x`, so unmatched traffic goes to db itself), as the contract defines `backends` for
/// route MeshHTTPRoute.
#[test]
fn e8_edge_meshhttproute_survives_on_tcp_destination_with_trafficroute() {
    for v in ["2.6", "2.9", "2.10", "2.13", "2.14"] {
        let r = run(&["shared", "e8-edge"], v);
        let p = proxy(&r, None, "web-1");

        let db = legacy(p, "db");
        assert_eq!(db.protocol, "tcp");
        assert_route(p, db, MeshHTTPRoute);
        assert_backends(p, db, &[("db", 1, 1.0)]);
        assert_policy_set(
            p,
            db,
            &[(TR, "route-all", Overridden), (HTTP, "db-http", Applied)],
        );
        let f = assert_finding(&r, Code::HttprouteIgnoredOnTcp, "db-http", Some("web-1"));
        assert!(
            f.message.contains("applied as HTTP on a tcp destination"),
            "[{v}] message: {}",
            f.message
        );
        assert_finding(&r, Code::TrafficrouteOverridden, "route-all", Some("web-1"));

        let api = legacy(p, "api");
        assert_route(p, api, DefaultRoute);
        assert_backends(p, api, &[("api", 1, 1.0)]);
        assert_policy_set(p, api, &[(TR, "route-all", Overridden)]);

        let backend = legacy(p, "backend");
        assert_route(p, backend, TrafficRoute);
        assert_backends(p, backend, &[("backend", 1, 1.0)]);
        assert_policy_set(p, backend, &[(TR, "route-all", Applied)]);
    }
}

// ------------------------------------------------------------------------- E9

/// E9, 2.6–2.14: with MeshTCPRoute rules the TCP plugin takes over every non-HTTP outbound
/// of web-1: backend → split, db → `default` (route-all overridden, db-timeout detached);
/// api (http, no MeshHTTPRoute) stays on TrafficRoute.
///
/// The spec gives no order between a TrafficRoute row and MeshTCPRoute rows, so rows are
/// compared as a set.
#[test]
fn e9_trafficroute_proxy_wide_takeover_from_2_6() {
    for v in B_TO_D {
        let r = run(&["shared", "e9"], v);
        let p = proxy(&r, None, "web-1");

        let b = legacy(p, "backend");
        assert_route(p, b, MeshTCPRoute);
        assert_backends(p, b, &[("backend-v1", 90, 0.9), ("backend-v2", 10, 0.1)]);
        assert_policy_set(
            p,
            b,
            &[(TR, "route-all", Overridden), (TCP, "split-90-10", Applied)],
        );
        // §7.2: "MeshTCPRoute <name> takes priority over TrafficRoute".
        let why = policy_reason(b, "route-all");
        assert!(
            why.contains("split-90-10"),
            "[{v}] reason on route-all for backend names the winner: {why}"
        );
        assert_finding(&r, Code::TrafficrouteOverridden, "route-all", Some("web-1"));

        let db = legacy(p, "db");
        assert_route(p, db, DefaultRoute);
        assert_backends(p, db, &[("db", 1, 1.0)]);
        assert_policy_set(p, db, &[(TR, "route-all", Overridden)]);
        let why = policy_reason(db, "route-all");
        assert!(
            why.contains("configured by MeshTCPRoute"),
            "[{v}] reason on route-all for db: {why}"
        );
        assert_finding(&r, Code::LegacyPolicyUnmatched, "db-timeout", Some("web-1"));
        let lp: Vec<_> = db
            .legacy_policies
            .iter()
            .map(|l| (l.kind.as_str(), l.name.as_str(), l.status))
            .collect();
        assert_eq!(
            lp,
            vec![("Timeout", "db-timeout", "detached")],
            "[{v}] legacy policies on db"
        );

        let api = legacy(p, "api");
        assert_eq!(api.protocol, "http");
        assert_route(p, api, TrafficRoute);
        assert_backends(p, api, &[("api", 1, 1.0)]);
        assert_policy_set(p, api, &[(TR, "route-all", Applied)]);
    }
}

/// E9, 2.3–2.5: only outbounds with a TCP conf are replaced: db stays on TrafficRoute and
/// db-timeout still applies.
#[test]
fn e9_trafficroute_only_targeted_outbound_replaced_up_to_2_5() {
    for v in A {
        let r = run(&["shared", "e9"], v);
        let p = proxy(&r, None, "web-1");

        let b = legacy(p, "backend");
        assert_route(p, b, MeshTCPRoute);
        assert_backends(p, b, &[("backend-v1", 90, 0.9), ("backend-v2", 10, 0.1)]);
        assert_policy_set(
            p,
            b,
            &[(TR, "route-all", Overridden), (TCP, "split-90-10", Applied)],
        );
        assert_finding(&r, Code::TrafficrouteOverridden, "route-all", Some("web-1"));

        let db = legacy(p, "db");
        assert_route(p, db, TrafficRoute);
        assert_backends(p, db, &[("db", 1, 1.0)]);
        assert_policy_set(p, db, &[(TR, "route-all", Applied)]);
        let lp: Vec<_> = db
            .legacy_policies
            .iter()
            .map(|l| (l.kind.as_str(), l.name.as_str(), l.status))
            .collect();
        assert_eq!(
            lp,
            vec![("Timeout", "db-timeout", "applied")],
            "[{v}] legacy policies on db"
        );
        assert_no_finding(&r, Code::LegacyPolicyUnmatched);

        let api = legacy(p, "api");
        assert_route(p, api, TrafficRoute);
        assert_backends(p, api, &[("api", 1, 1.0)]);
        assert_policy_set(p, api, &[(TR, "route-all", Applied)]);
    }
}

// ------------------------------------------------------------------------- E10

/// E10: E9 without the split: both plugins are skipped, every outbound is on TrafficRoute
/// to the service itself, db-timeout applies, and there are no findings.
#[test]
fn e10_trafficroute_proxy_not_targeted() {
    for v in ["2.5", "2.6", "2.9", "2.10", "2.13", "2.14"] {
        let r = run(&["shared", "e10"], v);
        let p = proxy(&r, None, "web-1");
        for svc in ["backend", "db", "api"] {
            let o = legacy(p, svc);
            assert_route(p, o, TrafficRoute);
            assert_backends(p, o, &[(svc, 1, 1.0)]);
            assert_policies(p, o, &[(TR, "route-all", Applied)]);
        }
        let db = legacy(p, "db");
        let lp: Vec<_> = db
            .legacy_policies
            .iter()
            .map(|l| (l.kind.as_str(), l.name.as_str(), l.status))
            .collect();
        assert_eq!(
            lp,
            vec![("Timeout", "db-timeout", "applied")],
            "[{v}] legacy policies on db"
        );
        assert_no_findings(&r);
    }
}

// ------------------------------------------------------------------------- E11

/// E11 (Kubernetes, 2.10+): real MeshService ports, producer vs consumer, sectionName,
/// and a missing real backend.
#[test]
fn e11_real_meshservice_producer_consumer_section() {
    for v in D {
        let r = run(&["e11"], v);

        let web = proxy(&r, Some("fe"), "web-1");
        // Exclusive: no legacy outbounds; one per MeshService port.
        let mut obs: Vec<(String, String, Option<String>, u32)> = web
            .outbounds
            .iter()
            .map(|o| {
                (
                    o.destination.kind.clone(),
                    o.destination.name.clone(),
                    o.destination.namespace.clone(),
                    o.destination.port,
                )
            })
            .collect();
        obs.sort();
        let be = Some("be".to_string());
        assert_eq!(
            obs,
            vec![
                ("MeshService".into(), "backend".into(), be.clone(), 7000),
                ("MeshService".into(), "backend".into(), be.clone(), 8080)
            ],
            "[{v}] web-1 outbounds"
        );

        let tcp_port = outbound(web, "MeshService", "backend", Some(7000));
        assert_eq!(tcp_port.protocol, "tcp");
        assert_route(web, tcp_port, MeshTCPRoute);
        assert_policies(
            web,
            tcp_port,
            &[
                (TCP, "producer-route", Overridden),
                (TCP, "consumer-route", Applied),
            ],
        );
        // backend-canary does not exist: listed as written, unresolved, share 0.
        assert_backends(web, tcp_port, &[("backend-canary", 1, 0.0)]);
        assert!(
            !backend(tcp_port, "backend-canary").resolved,
            "[{v}] backend-canary is unresolved"
        );
        assert!(
            tcp_port.reason.contains("no usable backend"),
            "[{v}] reason says no usable backend: {}",
            tcp_port.reason
        );
        // backend-not-found is about the backendRef written in the policy (the contract does not
        // scope it to a proxy).
        assert_finding(&r, Code::BackendNotFound, "consumer-route", None);
        assert_no_finding(&r, Code::WeightsAllZero);

        let http_port = outbound(web, "MeshService", "backend", Some(8080));
        assert_eq!(http_port.protocol, "http");
        assert_route(web, http_port, MeshTCPRoute);
        assert_policies(web, http_port, &[(TCP, "producer-route", Applied)]);
        assert_backends(web, http_port, &[("backend", 1, 1.0)]);
        let b = backend(http_port, "backend");
        assert_eq!(
            (b.namespace.as_deref(), b.port, b.resolved),
            (Some("be"), Some(7000), true),
            "[{v}] backend:7000"
        );

        let ops = proxy(&r, Some("ops"), "ops-1");
        for port in [7000, 8080] {
            let o = outbound(ops, "MeshService", "backend", Some(port));
            assert_route(ops, o, MeshTCPRoute);
            assert_policies(ops, o, &[(TCP, "producer-route", Applied)]);
            assert_backends(ops, o, &[("backend", 1, 1.0)]);
            let b = backend(o, "backend");
            assert_eq!(
                (b.namespace.as_deref(), b.port),
                (Some("be"), Some(7000)),
                "[{v}] ops-1 {port}"
            );
        }
    }
}

// ------------------------------------------------------------------------- E12

/// E12: weight defaults to 1; weight 0 is listed with share 0; no `weights-all-zero`.
#[test]
fn e12_weights_and_shares() {
    for v in D {
        let r = run(&["shared", "e12"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(
            p,
            o,
            &[
                ("backend-v1", 3, 0.75),
                ("backend-v2", 1, 0.25),
                ("backend-v3", 0, 0.0),
            ],
        );
        assert_policies(p, o, &[(TCP, "weighted", Applied)]);
        assert_no_finding(&r, Code::WeightsAllZero);
        assert_no_finding(&r, Code::BackendNotFound);
    }
}

/// E12: every weight 0 → `weights-all-zero` (error), no upstream.
#[test]
fn e12_all_weights_zero() {
    for v in D {
        let r = run(&["shared", "e12-zero"], v);
        let p = proxy(&r, None, "web-1");
        let o = legacy(p, "backend");
        assert_route(p, o, MeshTCPRoute);
        assert_backends(
            p,
            o,
            &[
                ("backend-v1", 0, 0.0),
                ("backend-v2", 0, 0.0),
                ("backend-v3", 0, 0.0),
            ],
        );
        assert_policies(p, o, &[(TCP, "all-zero", Applied)]);
        let f = assert_finding(&r, Code::WeightsAllZero, "all-zero", None);
        assert_eq!(f.severity, Severity::Error);
    }
}

// ------------------------------------------------------------------------- E13

const E13_VERSIONS: &[&str] = &["2.7", "2.8", "2.9", "2.10", "2.13", "2.14"];

/// E13 (2.7+; listener `tags` on a top-level MeshGateway ref need 2.7): both routes are
/// accepted, the TCP listener 9000 is routed by MeshTCPRoute, and the HTTP listener 8080
/// "is not a MeshTCPRoute listener and shows no MeshTCPRoute".
#[test]
fn e13_builtin_gateway_tcp_and_http_listeners() {
    for v in E13_VERSIONS {
        let r = run(&["shared", "e13"], v);
        assert_no_finding(&r, Code::InvalidResource);
        assert_no_finding(&r, Code::TargetrefKindUnsupported);
        let gw = proxy(&r, None, "edge-gw-1");
        assert_eq!(gw.proxy_type.as_str(), "builtin-gateway", "[{v}]");

        let l9000 = outbound(gw, "MeshGateway", "edge", Some(9000));
        assert_route(gw, l9000, MeshTCPRoute);

        // 8080: not routed by MeshTCPRoute, no MeshTCPRoute applied/overridden there, and
        // gw-9000 (whose tags do not match 8080) not listed at all.
        let l8080 = outbound(gw, "MeshGateway", "edge", Some(8080));
        assert_ne!(l8080.route, MeshTCPRoute, "[{v}] 8080 is an HTTP listener");
        for x in &l8080.policies {
            assert!(
                !(x.kind == TCP && x.status != Ignored),
                "[{v}] 8080 shows MeshTCPRoute {} as {:?}",
                x.name,
                x.status
            );
        }
        assert!(
            l8080.policy("gw-9000").is_none(),
            "[{v}] gw-9000 does not select listener 8080"
        );
    }
}

/// E13, listener 9000: the spec's tool rule was "more tags wins (§5.1), UNVERIFIED"; it
/// also notes that with name order gw-all would win. Kuma's source settles it: the
/// per-listener policy lists of a builtin gateway are not sorted by targetRef specificity
/// (`MatchedPolicies`, `pkg/plugins/policies/core/matchers/dataplane.go@v2.14.3`) and are
/// merged in store listing order, mesh then name (`BuildGatewayRules`,
/// `pkg/plugins/policies/core/rules/rules.go@v2.14.3`; `ByMeta`). `gw-9000` < `gw-all`
/// (the digit sorts first), so gw-all is merged last and wins. meshtcp mirrors Kuma here
/// (a documented departure from the spec's E13) and says why in the reason.
#[test]
fn e13_builtin_gateway_listener_precedence_follows_kumas_name_order() {
    for v in E13_VERSIONS {
        let r = run(&["shared", "e13"], v);
        let gw = proxy(&r, None, "edge-gw-1");
        let l9000 = outbound(gw, "MeshGateway", "edge", Some(9000));
        assert_route(gw, l9000, MeshTCPRoute);
        assert_backends(gw, l9000, &[("db", 1, 1.0)]);
        assert_policies(
            gw,
            l9000,
            &[(TCP, "gw-9000", Overridden), (TCP, "gw-all", Applied)],
        );
        let why = policy_reason(l9000, "gw-9000");
        assert!(
            why.contains("store order") && why.contains("without the targetRef specificity sort"),
            "[{v}] reason on gw-9000: {why}"
        );
    }
}

/// E13 under 2.6: the gw-9000 ref uses listener `tags`, which the 2.6 control plane does not
/// accept (§3, §9.1: "listener tags allowed 2.7"), so only gw-all routes listener 9000.
#[test]
fn e13_builtin_gateway_listener_tags_refused_in_2_6() {
    let r = run(&["shared", "e13"], "2.6");
    assert_finding(&r, Code::InvalidResource, "gw-9000", None);
    let gw = proxy(&r, None, "edge-gw-1");
    let l9000 = outbound(gw, "MeshGateway", "edge", Some(9000));
    assert_route(gw, l9000, MeshTCPRoute);
    assert_backends(gw, l9000, &[("db", 1, 1.0)]);
    assert_policies(gw, l9000, &[(TCP, "gw-all", Applied)]);
}

// ------------------------------------------------------------------------- E14

/// The MES `to[]` is accepted since 2.8 but newer than the docs table: the info
/// `targetref-undocumented`, never `targetref-deprecated` (MES is not deprecated).
fn assert_mes_to_docs_note(r: &Report) {
    let deprecated = findings_for(r, Code::TargetrefDeprecated, "web-1-httpbin", None);
    assert!(
        deprecated
            .iter()
            .all(|f| !f.message.contains("MeshExternalService")),
        "[{}] MeshExternalService is not deprecated: {:#?}",
        r.kuma_version,
        describe_findings(r)
    );
    let hits = findings_for(r, Code::TargetrefUndocumented, "web-1-httpbin", None);
    let note = hits
        .iter()
        .find(|f| f.message.contains("MeshExternalService"));
    let note = note.unwrap_or_else(|| {
        panic!(
            "[{}] expected a targetref-undocumented note on the to[] MeshExternalService; findings: {:#?}",
            r.kuma_version,
            describe_findings(r)
        )
    });
    assert_eq!(note.severity, Severity::Info);
    assert!(
        note.message.contains("not listed in the documented") && note.message.contains("accepted"),
        "[{}] the note says 'accepted by the CP, not in the documented matrix': {}",
        r.kuma_version,
        note.message
    );
}

/// E14 under 2.9: top-level `Dataplane` is `targetref-kind-unsupported` (error); the MES
/// `to[]` gets the docs-vs-code note. The CP rejects the policy, so it selects nothing.
#[test]
fn e14_dataplane_top_level_unsupported_in_2_9() {
    let r = run(&["shared", "e14"], "2.9");
    let f = assert_finding(&r, Code::TargetrefKindUnsupported, "web-1-httpbin", None);
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message.contains("Dataplane"),
        "names the Dataplane kind: {}",
        f.message
    );
    assert_mes_to_docs_note(&r);
    assert_no_finding(&r, Code::InvalidResource);
    let p = proxy(&r, None, "web-1");
    assert!(
        p.selected_by.iter().all(|x| x.name != "web-1-httpbin"),
        "a rejected policy selects nothing"
    );
}

/// E14 under 2.10+: the top level is fine; the MES `to[]` still gets the docs-vs-code note.
#[test]
fn e14_dataplane_top_level_accepted_from_2_10() {
    for v in D {
        let r = run(&["shared", "e14"], v);
        assert_no_finding(&r, Code::TargetrefKindUnsupported);
        assert_no_finding(&r, Code::InvalidResource);
        assert_mes_to_docs_note(&r);
        let p = proxy(&r, None, "web-1");
        assert!(
            p.selected_by.iter().any(|x| x.name == "web-1-httpbin"),
            "[{v}] the route selects web-1"
        );
        // §4(a): MES refs never take part in the legacy path.
        for o in p.outbounds.iter() {
            assert!(
                o.policy("web-1-httpbin").is_none(),
                "[{v}] {} is a legacy outbound",
                o.destination.label()
            );
        }
    }
}

/// E14: `sectionName` on the top-level Dataplane ref → `invalid-resource`.
#[test]
fn e14_dataplane_section_name_invalid() {
    for v in D {
        let r = run(&["shared", "e14-section"], v);
        let f = assert_finding(&r, Code::InvalidResource, "web-1-httpbin", None);
        assert!(
            f.message.contains("can only be used with inbound policies"),
            "[{v}] message: {}",
            f.message
        );
    }
}

// ------------------------------------------------------------------------- E15

/// E15: the only MeshTCPRoute targets a MES, so there are no legacy-path rules and the TCP
/// plugin is skipped: every legacy outbound stays on TrafficRoute; the MES outbound
/// (transparent proxy only) gets no listener: route `none`, no backends, a warning.
#[test]
fn e15_mes_only_meshtcproute_with_trafficroute() {
    for v in D {
        let r = run(&["shared", "e15"], v);
        assert_no_finding(&r, Code::TrafficrouteOverridden);
        assert_no_finding(&r, Code::LegacyPolicyUnmatched);

        let p = proxy(&r, None, "web-1");
        for svc in ["backend", "db", "api"] {
            let o = legacy(p, svc);
            assert_route(p, o, TrafficRoute);
            assert_backends(p, o, &[(svc, 1, 1.0)]);
            assert_policies(p, o, &[(TR, "route-all", Applied)]);
        }

        let tp = proxy(&r, None, "web-tp-1");
        let legacy_obs: Vec<&OutboundReport> = tp
            .outbounds
            .iter()
            .filter(|o| o.destination.kind == "service")
            .collect();
        assert!(
            !legacy_obs.is_empty(),
            "[{v}] web-tp-1 has legacy VIP outbounds: {:?}",
            describe_outbounds(tp)
        );
        for o in legacy_obs {
            assert_route(tp, o, TrafficRoute);
            assert_policies(tp, o, &[(TR, "route-all", Applied)]);
        }
        let mes = outbound(tp, "MeshExternalService", "httpbin", Some(443));
        assert_route(tp, mes, RouteKind::None);
        assert!(
            mes.reason.contains("route-all"),
            "[{v}] names the TrafficRoutes: {}",
            mes.reason
        );
        assert_backends(tp, mes, &[]);
        let warned = r.findings.iter().any(|f| {
            f.severity == Severity::Warning
                && f.code == Code::OutboundWithoutListener
                && f.proxies.iter().any(|h| {
                    &*h.proxy.name == "web-tp-1"
                        && h.outbounds.iter().any(|o| o.contains("httpbin"))
                })
        });
        assert!(
            warned,
            "[{v}] a warning about the httpbin outbound of web-tp-1; findings: {:#?}",
            describe_findings(&r)
        );
    }
}

// ------------------------------------------------------------------------- E16

fn e16_legacy(r: &Report) {
    let p = proxy(r, Some("fe"), "web-1");
    let o = legacy(p, "backend_be_svc_7000");
    assert_route(p, o, MeshTCPRoute);
    assert_backends(p, o, &[("backend-v2_be_svc_7000", 1, 1.0)]);
    assert_policies(p, o, &[(TCP, "r", Applied)]);
    // The omitted targetRef means Mesh and the role is system (kuma-system namespace); the
    // report shows them among the sort keys that placed the policy.
    let keys = &o.policy("r").expect("r listed").precedence;
    assert!(
        keys.iter().any(|k| k.contains("Mesh(1)")),
        "[{}] kind Mesh: {keys:?}",
        r.kuma_version
    );
    assert!(
        keys.iter()
            .any(|k| k.contains("role") && k.contains("system")),
        "[{}] role system: {keys:?}",
        r.kuma_version
    );
    // No port on the backendRef: a legacy backend, not a real MeshService.
    let b = backend(o, "backend-v2_be_svc_7000");
    assert!(
        b.port.is_none() && b.resolved,
        "[{}] legacy backend: {b:?}",
        r.kuma_version
    );
    assert_no_finding(r, Code::InvalidResource);
    assert_no_finding(r, Code::TargetrefKindUnsupported);
}

/// E16, 2.10+: omitted targetRef = Mesh (role system); the legacy outbound matches by its
/// `kuma.io/service`, and the real MeshService backend:7000 gets the same conf through the
/// `name_namespace_svc_port` mapping.
#[test]
fn e16_omitted_target_ref_and_k8s_legacy_names_from_2_10() {
    for v in D {
        let r = run(&["e16"], v);
        e16_legacy(&r);
        let p = proxy(&r, Some("fe"), "web-1");
        let o = outbound(p, "MeshService", "backend", Some(7000));
        assert_eq!(o.destination.namespace.as_deref(), Some("be"));
        assert_route(p, o, MeshTCPRoute);
        assert_backends(p, o, &[("backend-v2_be_svc_7000", 1, 1.0)]);
        assert_policies(p, o, &[(TCP, "r", Applied)]);
    }
}

/// E16 under 2.9: the legacy path matches as in D; the `name_namespace_svc_port` mapping is
/// D-only ("D also maps …"), so the real outbound backend:7000 has no MeshTCPRoute conf and
/// stays on route `default` (assumed from that wording; the spec states no 2.9 result).
#[test]
fn e16_omitted_target_ref_and_k8s_legacy_names_in_2_9() {
    let r = run(&["e16"], "2.9");
    e16_legacy(&r);
    let p = proxy(&r, Some("fe"), "web-1");
    let o = outbound(p, "MeshService", "backend", Some(7000));
    assert_route(p, o, DefaultRoute);
    assert_backends(p, o, &[("backend", 1, 1.0)]);
    assert_policies(p, o, &[]);
}
