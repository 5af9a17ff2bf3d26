//! `meshtcp verify`: meshtcp's resolution of each outbound compared with the control
//! plane's own answer for the same proxy. Pure: the answers come in as JSON.
//!
//! The control plane's answers (Kuma `pkg/api-server`):
//! - `GET /meshes/{mesh}/dataplanes/{name}/_rules` (2.9+): `rules[]`, one per policy
//!   type, with `toRules` (subsets: `matchers` on `kuma.io/service`, a merged `conf`,
//!   `origin[]` lowest precedence first) and `toResourceRules` (real resources:
//!   `resourceMeta`, `resourceSectionName`, `conf[]`, `origin[].resourceMeta`).
//! - `GET …/dataplanes/{name}/_outbounds/{kri}/_routes` (2.12+, meshes whose
//!   `meshServices.mode` is `Exclusive`): `routes[]` with `kind`, `origins[].kri` and
//!   `rules[].conf.backendRefs`.
//!
//! Neither list applies MeshHTTPRoute-over-MeshTCPRoute precedence: both kinds are
//! listed for an outbound that both select. [`winner`] applies it (a MeshHTTPRoute
//! routes `http`, `http2` and `grpc` outbounds; a MeshTCPRoute the others, and those
//! no MeshHTTPRoute selects) before comparing.
//!
//! Compared per outbound: the route kind that wins, the names of the contributing
//! policies of that kind in order (meshtcp's `applied` and `overridden` ones), and for a
//! MeshTCPRoute the backendRefs (kind, name, port when both give one, weight).

use crate::resolve::output::{Destination, OutboundReport, ProxyReport, RouteKind, Status};
use serde::Serialize;
use serde_json::Value;

const DISPLAY_NAME: &str = "kuma.io/display-name";

/// One backendRef, as either side gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ref {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    pub weight: u32,
}

/// What routes one outbound, by one side's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routing {
    /// `MeshTCPRoute`, `MeshHTTPRoute`, or `none` (neither routes it).
    pub route: String,
    /// Contributing policies of that kind, lowest precedence first.
    pub policies: Vec<String>,
    /// For a MeshTCPRoute: where traffic goes.
    pub backends: Vec<Ref>,
}

impl Routing {
    fn none() -> Routing {
        Routing {
            route: "none".into(),
            policies: Vec::new(),
            backends: Vec::new(),
        }
    }

    pub fn shown(&self) -> String {
        if self.route == "none" {
            return "no MeshTCPRoute or MeshHTTPRoute".into();
        }
        let mut s = format!("{} [{}]", self.route, self.policies.join(", "));
        if !self.backends.is_empty() {
            let b: Vec<String> = self
                .backends
                .iter()
                .map(|b| {
                    let port = b.port.map(|p| format!(":{p}")).unwrap_or_default();
                    format!("{} {}{port} weight {}", b.kind, b.name, b.weight)
                })
                .collect();
            s.push_str(" → ");
            s.push_str(&b.join(", "));
        }
        s
    }
}

/// One outbound compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub destination: Destination,
    pub agree: bool,
    /// `route`, `policies`, `backendRefs`: what differs.
    pub differences: Vec<&'static str>,
    pub meshtcp: Routing,
    pub control_plane: Routing,
}

/// A proxy's verdicts, or why the control plane could not be asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyVerdict {
    pub mesh: String,
    pub name: String,
    /// The control plane's endpoint asked.
    pub asked: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub outbounds: Vec<Verdict>,
}

/// A route entry of the control plane for one outbound, before precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: String,
    pub origins: Vec<String>,
    pub backends: Vec<Ref>,
}

fn display_name(meta: &Value) -> Option<String> {
    meta.get("labels")
        .and_then(|l| l.get(DISPLAY_NAME))
        .and_then(Value::as_str)
        .or_else(|| meta.get("name").and_then(Value::as_str))
        .map(String::from)
}

/// The name a resource is stored under on the control plane (a synced copy's hashed
/// name): what meshtcp read from the same control plane.
fn stored_name(meta: &Value) -> Option<String> {
    meta.get("name").and_then(Value::as_str).map(String::from)
}

fn refs(list: Option<&Value>) -> Vec<Ref> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| Ref {
                    kind: r
                        .get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    name: display_name(r).unwrap_or_default(),
                    port: r.get("port").and_then(Value::as_u64).map(|p| p as u32),
                    weight: r.get("weight").and_then(Value::as_u64).unwrap_or(1) as u32,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The backendRefs of a MeshTCPRoute `to[]` conf (`rules[0].default.backendRefs`).
fn conf_refs(conf: &Value) -> Vec<Ref> {
    refs(
        conf.get("rules")
            .and_then(|r| r.get(0))
            .and_then(|r| r.get("default"))
            .and_then(|d| d.get("backendRefs")),
    )
}

fn is_route_kind(k: &str) -> bool {
    k == "MeshTCPRoute" || k == "MeshHTTPRoute"
}

/// Does a `toRules` subset (`matchers`) hold for the legacy service `name`?
fn subset_matches(matchers: Option<&Value>, name: &str) -> bool {
    let Some(ms) = matchers.and_then(Value::as_array) else {
        return true;
    };
    ms.iter().all(|m| {
        let key = m.get("key").and_then(Value::as_str).unwrap_or("");
        let value = m.get("value").and_then(Value::as_str).unwrap_or("");
        let not = m.get("not").and_then(Value::as_bool).unwrap_or(false);
        let holds = key == "kuma.io/service" && value == name;
        holds != not
    })
}

/// The route entries a `_rules` answer gives for the outbound `d`.
pub fn from_rules(rules: &Value, d: &Destination) -> Vec<Entry> {
    let mut out = Vec::new();
    let Some(list) = rules.get("rules").and_then(Value::as_array) else {
        return out;
    };
    for r in list {
        let kind = r.get("type").and_then(Value::as_str).unwrap_or("");
        if !is_route_kind(kind) {
            continue;
        }
        if d.kind == "service" {
            let to = r.get("toRules").and_then(Value::as_array);
            if let Some(rule) = to
                .into_iter()
                .flatten()
                .find(|t| subset_matches(t.get("matchers"), &d.name))
            {
                let origins = rule
                    .get("origin")
                    .and_then(Value::as_array)
                    .map(|o| o.iter().filter_map(stored_name).collect())
                    .unwrap_or_default();
                let backends = rule.get("conf").map(conf_refs).unwrap_or_default();
                out.push(Entry {
                    kind: kind.into(),
                    origins,
                    backends,
                });
            }
            continue;
        }
        let section = d.section_name.clone().unwrap_or_else(|| d.port.to_string());
        let candidates: Vec<&Value> = r
            .get("toResourceRules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| {
                let meta = t.get("resourceMeta").unwrap_or(&Value::Null);
                meta.get("type").and_then(Value::as_str) == Some(d.kind.as_str())
                    && display_name(meta).as_deref() == Some(d.name.as_str())
            })
            .collect();
        let section_of = |t: &Value| {
            t.get("resourceSectionName")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let rule = candidates
            .iter()
            .find(|t| section_of(t) == section || section_of(t) == d.port.to_string())
            .or_else(|| candidates.iter().find(|t| section_of(t).is_empty()));
        if let Some(rule) = rule {
            let origins = rule
                .get("origin")
                .and_then(Value::as_array)
                .map(|o| {
                    o.iter()
                        .filter_map(|x| x.get("resourceMeta").and_then(stored_name))
                        .collect()
                })
                .unwrap_or_default();
            let backends = rule
                .get("conf")
                .and_then(Value::as_array)
                .and_then(|c| c.last())
                .map(conf_refs)
                .unwrap_or_default();
            out.push(Entry {
                kind: kind.into(),
                origins,
                backends,
            });
        }
    }
    out
}

/// The name in a KRI (`kri_<type>_<mesh>_<zone>_<namespace>_<name>_<section>`).
pub fn kri_name(kri: &str) -> String {
    let parts: Vec<&str> = kri.split('_').collect();
    if parts.len() >= 7 && parts[0] == "kri" {
        parts[5..parts.len() - 1].join("_")
    } else {
        kri.to_string()
    }
}

/// The route entries of a `_routes` answer.
pub fn from_routes(routes: &Value) -> Vec<Entry> {
    routes
        .get("routes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let kind = r.get("kind").and_then(Value::as_str)?;
            if !is_route_kind(kind) {
                return None;
            }
            let origins = r
                .get("origins")
                .and_then(Value::as_array)
                .map(|o| {
                    o.iter()
                        .filter_map(|x| x.get("kri").and_then(Value::as_str).map(kri_name))
                        .collect()
                })
                .unwrap_or_default();
            // A MeshTCPRoute has one rule; its conf holds the backendRefs.
            let backends = refs(
                r.get("rules")
                    .and_then(|x| x.get(0))
                    .and_then(|x| x.get("conf"))
                    .and_then(|c| c.get("backendRefs")),
            );
            Some(Entry {
                kind: kind.into(),
                origins,
                backends,
            })
        })
        .collect()
}

/// Protocols a MeshHTTPRoute routes.
fn http_like(protocol: &str) -> bool {
    matches!(protocol, "http" | "http2" | "grpc")
}

/// The entry that routes an outbound of `protocol`: MeshHTTPRoute over MeshTCPRoute
/// where the protocol is HTTP-like; a MeshHTTPRoute never routes a `tcp` outbound.
pub fn winner(entries: &[Entry], protocol: &str) -> Routing {
    let pick = |k: &str| entries.iter().find(|e| e.kind == k);
    let e = if http_like(protocol) {
        pick("MeshHTTPRoute").or_else(|| pick("MeshTCPRoute"))
    } else {
        pick("MeshTCPRoute")
    };
    match e {
        None => Routing::none(),
        Some(e) => Routing {
            route: e.kind.clone(),
            policies: e.origins.clone(),
            backends: if e.kind == "MeshTCPRoute" {
                e.backends.clone()
            } else {
                Vec::new()
            },
        },
    }
}

/// meshtcp's account of an outbound in the same terms; `name_of(kind, name)` gives the
/// name a policy is compared by (the stored name against `_rules`, the display name
/// against `_routes`, whose KRIs carry display names).
pub fn ours(o: &OutboundReport, name_of: &dyn Fn(&str, &str) -> String) -> Routing {
    let kind = match o.route {
        RouteKind::MeshTCPRoute => "MeshTCPRoute",
        RouteKind::MeshHTTPRoute => "MeshHTTPRoute",
        _ => return Routing::none(),
    };
    let policies = o
        .policies
        .iter()
        .filter(|p| p.kind == kind && matches!(p.status, Status::Applied | Status::Overridden))
        .map(|p| name_of(&p.kind, &p.name))
        .collect();
    let backends = if kind == "MeshTCPRoute" {
        o.backends
            .iter()
            .map(|b| Ref {
                kind: b.kind.clone(),
                name: b.name.clone(),
                port: b.port,
                weight: b.weight,
            })
            .collect()
    } else {
        Vec::new()
    };
    Routing {
        route: kind.into(),
        policies,
        backends,
    }
}

fn same_refs(a: &[Ref], b: &[Ref]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name
                && x.weight == y.weight
                && (x.kind == y.kind
                    // A legacy service is a MeshService by name to both.
                    || (x.kind.starts_with("MeshService") && y.kind.starts_with("MeshService")))
                && (x.port.is_none() || y.port.is_none() || x.port == y.port)
        })
}

/// Policies compared by their stored names.
pub fn stored(_kind: &str, name: &str) -> String {
    name.to_string()
}

/// Compare one outbound (`name_of` as for [`ours`]).
pub fn compare(
    o: &OutboundReport,
    theirs: Routing,
    name_of: &dyn Fn(&str, &str) -> String,
) -> Verdict {
    let mine = ours(o, name_of);
    let mut differences = Vec::new();
    if mine.route != theirs.route {
        differences.push("route");
    }
    if mine.policies != theirs.policies {
        differences.push("policies");
    }
    if !same_refs(&mine.backends, &theirs.backends) {
        differences.push("backendRefs");
    }
    Verdict {
        destination: o.destination.clone(),
        agree: differences.is_empty(),
        differences,
        meshtcp: mine,
        control_plane: theirs,
    }
}

/// Compare every outbound of `p` with a `_rules` answer.
pub fn compare_rules(p: &ProxyReport, rules: &Value) -> Vec<Verdict> {
    p.outbounds
        .iter()
        .map(|o| {
            compare(
                o,
                winner(&from_rules(rules, &o.destination), &o.protocol),
                &stored,
            )
        })
        .collect()
}

/// Counts of (agreeing, disagreeing) outbounds, and proxies that could not be asked.
pub fn tally(v: &[ProxyVerdict]) -> (usize, usize, usize) {
    let mut t = (0, 0, 0);
    for p in v {
        if p.error.is_some() {
            t.2 += 1;
        }
        for o in &p.outbounds {
            if o.agree {
                t.0 += 1;
            } else {
                t.1 += 1;
            }
        }
    }
    t
}

/// The exit code: 2 when a proxy could not be asked, else 1 on a disagreement, else 0.
pub fn exit_code(v: &[ProxyVerdict]) -> i32 {
    match tally(v) {
        (_, _, e) if e > 0 => 2,
        (_, d, _) if d > 0 => 1,
        _ => 0,
    }
}

/// The text a person reads.
pub fn render_text(v: &[ProxyVerdict]) -> String {
    let mut s = String::new();
    for p in v {
        s.push_str(&format!(
            "{} (mesh {}) — asked {}\n",
            p.name, p.mesh, p.asked
        ));
        if let Some(e) = &p.error {
            s.push_str(&format!("  ! cannot ask the control plane: {e}\n"));
        }
        for o in &p.outbounds {
            if o.agree {
                s.push_str(&format!(
                    "  ✓ {}  {}\n",
                    o.destination.shown(),
                    o.meshtcp.shown()
                ));
            } else {
                s.push_str(&format!(
                    "  ✗ {}  differs in {}\n      meshtcp:       {}\n      control plane: {}\n",
                    o.destination.shown(),
                    o.differences.join(", "),
                    o.meshtcp.shown(),
                    o.control_plane.shown()
                ));
            }
        }
    }
    let (a, d, e) = tally(v);
    s.push_str(&format!(
        "{a} outbounds agree, {d} disagree{}\n",
        if e > 0 {
            format!("; {e} proxies could not be asked")
        } else {
            String::new()
        }
    ));
    s
}

/// The JSON document (`meshtcp.verify/v1`).
pub fn to_json(kuma_version: &str, v: &[ProxyVerdict]) -> String {
    let (a, d, e) = tally(v);
    let mut s = serde_json::to_string_pretty(&serde_json::json!({
        "schema": "meshtcp.verify/v1",
        "kumaVersion": kuma_version,
        "agree": a,
        "disagree": d,
        "notAsked": e,
        "proxies": v,
    }))
    .unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dest(kind: &str, name: &str, port: u32) -> Destination {
        Destination {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            port,
            section_name: None,
            listener_port: None,
        }
    }

    /// A `_routes` answer for one MeshService outbound: an HTTP route and a TCP route.
    fn routes_answer() -> Value {
        json!({"routes": [
            {"kind": "MeshHTTPRoute",
             "origins": [{"kri": "kri_mhttpr_payments_zone-a_ns-1_pay-http_"}],
             "rules": [{"conf": {"backendRefs": [{"kind": "MeshService", "labels": {"kuma.io/display-name": "pay"}, "port": 443, "weight": 1}]},
                        "kri": "kri_mhttpr_payments_zone-a_ns-1_pay-http_", "matches": [{"path": {"type": "PathPrefix", "value": "/v2"}}]}]},
            {"kind": "MeshTCPRoute",
             "origins": [{"kri": "kri_mtcpr_payments_zone-a_ns-1_pay-split_"}],
             "rules": [{"conf": {"backendRefs": [
                 {"kind": "MeshService", "labels": {"kuma.io/display-name": "pay"}, "port": 443, "weight": 3},
                 {"kind": "MeshService", "labels": {"kuma.io/display-name": "pay-v2"}, "port": 443, "weight": 1}]},
                 "kri": "", "matches": null}]}
        ]})
    }

    #[test]
    fn routes_answer_lists_both_kinds_and_precedence_picks_by_protocol() {
        let e = from_routes(&routes_answer());
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].origins, ["pay-split"]);
        assert_eq!(e[1].backends[1].name, "pay-v2");
        assert_eq!(e[1].backends[0].weight, 3);
        let tcp = winner(&e, "tcp");
        assert_eq!(tcp.route, "MeshTCPRoute");
        assert_eq!(tcp.backends.len(), 2);
        let http = winner(&e, "http");
        assert_eq!(http.route, "MeshHTTPRoute");
        assert_eq!(http.policies, ["pay-http"]);
        assert!(
            http.backends.is_empty(),
            "an HTTP route's backends are not compared"
        );
        // Only an HTTP route on a tcp outbound: nothing routes it.
        assert_eq!(winner(&e[..1], "tcp").route, "none");
    }

    #[test]
    fn kri_name_is_the_fifth_part() {
        assert_eq!(
            kri_name("kri_mtcpr_default___the-tcp-route_"),
            "the-tcp-route"
        );
        assert_eq!(kri_name("kri_msvc_m_z_ns_name_8080"), "name");
        assert_eq!(kri_name("plain"), "plain");
    }

    #[test]
    fn resource_rules_pick_the_section_then_the_whole_resource() {
        let rule = |section: &str, policy: &str, w: u64| {
            json!({
                "conf": [{"rules": [{"default": {"backendRefs": [{"kind": "MeshService", "name": "pay", "port": 443, "weight": w}]}}]}],
                "origin": [{"resourceMeta": {"labels": {}, "mesh": "m", "name": policy, "type": "MeshTCPRoute"}, "ruleIndex": 0}],
                "resourceMeta": {"labels": {"kuma.io/display-name": "pay"}, "mesh": "m", "name": "pay-1a2b", "type": "MeshService"},
                "resourceSectionName": section,
            })
        };
        let rules = json!({"rules": [{"type": "MeshTCPRoute", "toRules": [],
            "toResourceRules": [rule("", "whole", 1), rule("443", "port-443", 7)]}]});
        let on_443 = from_rules(&rules, &dest("MeshService", "pay", 443));
        assert_eq!(on_443[0].origins, ["port-443"]);
        assert_eq!(on_443[0].backends[0].weight, 7);
        let on_80 = from_rules(&rules, &dest("MeshService", "pay", 80));
        assert_eq!(on_80[0].origins, ["whole"]);
        assert!(from_rules(&rules, &dest("MeshService", "other", 443)).is_empty());
    }

    #[test]
    fn to_rules_subsets_match_the_service_and_honour_negation() {
        let rules = json!({"rules": [{"type": "MeshTCPRoute", "toResourceRules": [], "toRules": [
            {"matchers": [{"key": "kuma.io/service", "not": true, "value": "db"}],
             "conf": {"rules": [{"default": {"backendRefs": [{"kind": "MeshService", "name": "x", "weight": 1}]}}]},
             "origin": [{"name": "not-db", "mesh": "m", "type": "MeshTCPRoute", "labels": {}}]},
            {"matchers": [],
             "conf": {"rules": [{"default": {"backendRefs": [{"kind": "MeshService", "name": "y", "weight": 1}]}}]},
             "origin": [{"name": "all", "mesh": "m", "type": "MeshTCPRoute", "labels": {}}]}
        ]}]});
        assert_eq!(
            from_rules(&rules, &dest("service", "web", 80))[0].origins,
            ["not-db"]
        );
        assert_eq!(
            from_rules(&rules, &dest("service", "db", 80))[0].origins,
            ["all"]
        );
    }
}
