//! The fuzz harnesses, shared by the cargo-fuzz targets (`fuzz_targets/*.rs`) and by the
//! root crate's `tests/engine/fuzz_regressions.rs` (which includes this file with `#[path]`),
//! so that a saved crashing input runs through exactly the code path that found it.
//!
//! Four harnesses:
//! - [`loader`]: arbitrary bytes as one file, loaded, resolved and written.
//! - [`yaml_diff`]: arbitrary text through the YAML fast path and serde-saphyr, which
//!   must agree wherever the fast path reads a document.
//! - [`engine`]: structured resources (drawn with `arbitrary` from small alphabets so
//!   that references match) as documents in either format (Universal or Kubernetes),
//!   decoded, resolved for a Kuma version, and written in every report format.
//! - [`report`]: an arbitrary report, written in every format; the JSON and YAML
//!   writers must produce text that parses back to the same value, and the text
//!   writers text that is safe for a terminal.

use arbitrary::{Arbitrary, Result, Unstructured};
use meshtcp::model::{Code, Finding, Location, ProxyType, ResourceRef, Severity, Tags};
use meshtcp::report::{self, TextOptions};
use meshtcp::resolve::{
    Backend, Destination, Engine, Filter, KumaVersion, LegacyPolicyStatus, OutboundReport,
    PolicyRef, PolicyStatus, ProxyReport, Report, RouteKind, SCHEMA, Status,
};
use meshtcp::source::Loaded;
use meshtcp::source::decode::{self, Decoded};
use serde_json::{Map, Value, json};

/// Write `r` in every format the CLI and TUI offer.
fn write_all(r: &Report) {
    let _ = report::to_json(r);
    let _ = report::to_yaml(r);
    for verbose in [false, true] {
        let _ = report::render_text(
            r,
            TextOptions {
                color: true,
                verbose,
            },
        );
        let _ = report::render_text(
            r,
            TextOptions {
                color: false,
                verbose,
            },
        );
        let _ = report::text::check_text(r, false, verbose);
        let _ = report::text::check_text(r, true, verbose);
    }
    let _ = report::check_exit_code(r, true);
    for f in &r.findings {
        let _ = report::text::finding_text(f);
    }
    for p in &r.proxies {
        for o in p.outbounds.iter() {
            let _ = report::explain(p, o, &r.findings, &r.kuma_version);
        }
    }
}

fn version_of(b: u8) -> KumaVersion {
    KumaVersion::new(2, 3 + u32::from(b) % 12)
}

/// Resolve like the CLI does (load findings merged in), then write everything (or, when
/// not `all`, JSON and text only: the loader target spends its time on loading); also
/// resolve every proxy alone, as the TUI does.
fn resolve_and_write(loaded: &Loaded, version: KumaVersion, all: bool) {
    let engine = Engine::new(&loaded.snapshot, version);
    let r = meshtcp::pipeline::report(&engine, loaded.findings.clone(), &Filter::default());
    if all {
        write_all(&r);
    } else {
        let _ = report::to_json(&r);
        let _ = report::render_text(
            &r,
            TextOptions {
                color: false,
                verbose: false,
            },
        );
    }
    for p in &r.proxies {
        let name = p.qualified_name();
        let alone = engine.resolve_proxy(&name);
        assert!(alone.is_some(), "a reported proxy resolves alone: {name}");
        // Resolved alone (nothing shared with other proxies: no cache) it is exactly its
        // entry in the full report (where proxies with the same selection share their
        // outbounds' results). Only for names no other proxy has, in any mesh or
        // namespace (the lookup by name takes the first).
        let unique = r.proxies.iter().filter(|q| q.name == p.name).count() == 1;
        if let Some((alone, _)) = alone
            && unique
        {
            assert_eq!(
                serde_json::to_value(&alone).unwrap(),
                serde_json::to_value(p).unwrap(),
                "{name} resolved alone differs from its entry in the full report"
            );
        }
    }
}

// ------------------------------------------------------------------------- loader

/// Arbitrary bytes as one file. The last byte also picks the Kuma version.
pub fn loader(data: &[u8]) {
    let v = data.last().copied().unwrap_or(0);
    let mut l = Loaded::default();
    l.add_bytes("fuzz.yaml", data);
    for f in &l.findings {
        assert!(f.location.is_some(), "load findings are located: {f:?}");
    }
    resolve_and_write(&l, version_of(v), false);
}

// ------------------------------------------------------------------------- yaml_diff

/// Arbitrary text, document by document, through the YAML fast path
/// (src/source/fastyaml.rs) and through serde-saphyr: wherever the fast path reads a
/// document, its values and lines must be serde-saphyr's exactly.
pub fn yaml_diff(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = meshtcp::source::yaml::check_fast_path(text) {
        panic!("{e}");
    }
}

// ------------------------------------------------------------------------- engine

const NAMES: [&str; 8] = ["a", "b", "web", "backend", "default", "other", "*", ""];
const NAMESPACES: [&str; 4] = ["default", "kuma-system", "app", "other"];
const LABEL_KEYS: [&str; 12] = [
    "kuma.io/service",
    "kuma.io/protocol",
    "kuma.io/mesh",
    "kuma.io/display-name",
    "k8s.kuma.io/namespace",
    "kuma.io/zone",
    "kuma.io/origin",
    "kuma.io/policy-role",
    "app",
    "version",
    "team",
    "kuma.io/env",
];
const LABEL_VALUES: [&str; 14] = [
    "a", "b", "web", "backend", "default", "*", "tcp", "http", "http2", "grpc", "global", "zone",
    "producer", "system",
];
const TARGET_KINDS: [&str; 11] = [
    "Mesh",
    "MeshSubset",
    "MeshService",
    "MeshServiceSubset",
    "MeshGateway",
    "MeshExternalService",
    "MeshMultiZoneService",
    "MeshHTTPRoute",
    "Dataplane",
    "Bogus",
    "",
];
const PROTOCOLS: [&str; 7] = ["tcp", "http", "http2", "grpc", "kafka", "TCP", "TLS"];
const LEGACY: [&str; 8] = [
    "Retry",
    "Timeout",
    "TrafficLog",
    "CircuitBreaker",
    "HealthCheck",
    "FaultInjection",
    "RateLimit",
    "TrafficTrace",
];

fn pick<'a>(u: &mut Unstructured, from: &[&'a str]) -> Result<&'a str> {
    Ok(*u.choose(from)?)
}

fn small_vec<T>(
    u: &mut Unstructured,
    max: usize,
    mut f: impl FnMut(&mut Unstructured) -> Result<T>,
) -> Result<Vec<T>> {
    let n = u.int_in_range(0..=max)?;
    (0..n).map(|_| f(u)).collect()
}

fn tags(u: &mut Unstructured, max: usize) -> Result<Value> {
    let mut m = Map::new();
    for _ in 0..u.int_in_range(0..=max)? {
        m.insert(pick(u, &LABEL_KEYS)?.into(), pick(u, &LABEL_VALUES)?.into());
    }
    Ok(Value::Object(m))
}

/// Ports: mostly a few values that match each other, sometimes any u32 or a string.
fn port(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=9)? {
        0 => json!(u32::arbitrary(u)?),
        1 => json!(0),
        2 => json!("http"),
        3 => json!(65535),
        n => json!([80, 8080, 9000, 10001, 443, 5432][usize::from(n) % 6]),
    })
}

fn weight(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => json!(u32::MAX),
        1 => json!(0),
        2 => Value::Null,
        3 => json!(u32::arbitrary(u)?),
        n => json!(u32::from(n) * 10),
    })
}

fn maybe<T>(
    u: &mut Unstructured,
    f: impl FnOnce(&mut Unstructured) -> Result<T>,
) -> Result<Option<T>> {
    Ok(if u.arbitrary::<bool>()? {
        Some(f(u)?)
    } else {
        None
    })
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(k.into(), v);
    }
}

fn target_ref(u: &mut Unstructured) -> Result<Value> {
    let mut m = Map::new();
    m.insert("kind".into(), pick(u, &TARGET_KINDS)?.into());
    put(
        &mut m,
        "name",
        maybe(u, |u| pick(u, &NAMES).map(Value::from))?,
    );
    put(
        &mut m,
        "namespace",
        maybe(u, |u| pick(u, &NAMESPACES).map(Value::from))?,
    );
    put(&mut m, "labels", maybe(u, |u| tags(u, 2))?);
    put(&mut m, "tags", maybe(u, |u| tags(u, 2))?);
    put(
        &mut m,
        "sectionName",
        maybe(u, |u| {
            Ok(match u.int_in_range(0..=2)? {
                0 => json!("http"),
                1 => json!("8080"),
                _ => json!(port(u)?.to_string()),
            })
        })?,
    );
    put(
        &mut m,
        "proxyTypes",
        maybe(u, |u| {
            small_vec(u, 2, |u| {
                pick(u, &["Sidecar", "Gateway", "Other"]).map(Value::from)
            })
            .map(Value::Array)
        })?,
    );
    put(
        &mut m,
        "mesh",
        maybe(u, |u| pick(u, &NAMES).map(Value::from))?,
    );
    Ok(Value::Object(m))
}

fn backend_ref(u: &mut Unstructured) -> Result<Value> {
    let mut v = target_ref(u)?;
    let m = v.as_object_mut().expect("an object");
    put(m, "port", maybe(u, port)?);
    put(m, "weight", maybe(u, weight)?);
    Ok(v)
}

fn route_body(u: &mut Unstructured) -> Result<Value> {
    let mut m = Map::new();
    put(&mut m, "targetRef", maybe(u, target_ref)?);
    let to = small_vec(u, 3, |u| {
        let mut t = Map::new();
        put(&mut t, "targetRef", maybe(u, target_ref)?);
        let rules = small_vec(u, 2, |u| {
            let mut r = Map::new();
            if u.arbitrary::<bool>()? {
                r.insert(
                    "matches".into(),
                    json!([{"path": {"type": "PathPrefix", "value": "/"}}]),
                );
            }
            let mut d = Map::new();
            put(
                &mut d,
                "backendRefs",
                maybe(u, |u| small_vec(u, 3, backend_ref).map(Value::Array))?,
            );
            r.insert("default".into(), Value::Object(d));
            Ok(Value::Object(r))
        })?;
        t.insert("rules".into(), Value::Array(rules));
        Ok(Value::Object(t))
    })?;
    m.insert("to".into(), Value::Array(to));
    Ok(Value::Object(m))
}

fn selectors(u: &mut Unstructured, max: usize) -> Result<Value> {
    small_vec(u, max, |u| Ok(json!({"match": tags(u, 2)?}))).map(Value::Array)
}

fn service_ports(u: &mut Unstructured) -> Result<Value> {
    small_vec(u, 3, |u| {
        let mut p = Map::new();
        p.insert("port".into(), port(u)?);
        put(
            &mut p,
            "name",
            maybe(u, |u| {
                pick(u, &["http", "tcp", "8080", "grpc"]).map(Value::from)
            })?,
        );
        put(
            &mut p,
            "appProtocol",
            maybe(u, |u| pick(u, &PROTOCOLS).map(Value::from))?,
        );
        put(&mut p, "targetPort", maybe(u, port)?);
        Ok(Value::Object(p))
    })
    .map(Value::Array)
}

fn ip(u: &mut Unstructured) -> Result<Value> {
    Ok(format!("10.0.0.{}", u.int_in_range(1..=4)?).into())
}

/// One resource's body (as it sits under `spec`, or at top level for Universal
/// old-style kinds) and its status.
fn body(u: &mut Unstructured, kind: &str) -> Result<(Value, Option<Value>)> {
    Ok(match kind {
        "Mesh" => (
            json!({"meshServices": {"mode": pick(u, &["Disabled", "Everywhere", "ReachableBackends", "Exclusive", "bogus"])?}}),
            None,
        ),
        "Dataplane" => {
            let mut n = Map::new();
            n.insert("address".into(), ip(u)?);
            let inbound = small_vec(u, 3, |u| {
                let mut i = Map::new();
                put(&mut i, "port", maybe(u, port)?);
                put(&mut i, "servicePort", maybe(u, port)?);
                i.insert("tags".into(), tags(u, 4)?);
                Ok(Value::Object(i))
            })?;
            n.insert("inbound".into(), Value::Array(inbound));
            let outbound = small_vec(u, 3, |u| {
                let mut o = Map::new();
                o.insert("port".into(), port(u)?);
                put(&mut o, "address", maybe(u, ip)?);
                match u.int_in_range(0..=2)? {
                    0 => {
                        o.insert("tags".into(), tags(u, 2)?);
                    }
                    1 => {
                        o.insert("service".into(), pick(u, &NAMES)?.into());
                    }
                    _ => {
                        let mut b = Map::new();
                        b.insert("kind".into(), pick(u, &TARGET_KINDS)?.into());
                        put(
                            &mut b,
                            "name",
                            maybe(u, |u| pick(u, &NAMES).map(Value::from))?,
                        );
                        put(&mut b, "labels", maybe(u, |u| tags(u, 2))?);
                        put(&mut b, "port", maybe(u, port)?);
                        o.insert("backendRef".into(), Value::Object(b));
                    }
                }
                Ok(Value::Object(o))
            })?;
            n.insert("outbound".into(), Value::Array(outbound));
            put(
                &mut n,
                "gateway",
                maybe(u, |u| {
                    let mut g = Map::new();
                    put(
                        &mut g,
                        "type",
                        maybe(u, |u| {
                            pick(u, &["BUILTIN", "DELEGATED", "builtin"]).map(Value::from)
                        })?,
                    );
                    g.insert("tags".into(), tags(u, 3)?);
                    Ok(Value::Object(g))
                })?,
            );
            put(
                &mut n,
                "transparentProxying",
                maybe(u, |u| {
                    let mut t = Map::new();
                    t.insert("redirectPortOutbound".into(), json!(15001));
                    put(
                        &mut t,
                        "reachableServices",
                        maybe(u, |u| {
                            small_vec(u, 2, |u| pick(u, &NAMES).map(Value::from)).map(Value::Array)
                        })?,
                    );
                    put(
                        &mut t,
                        "reachableBackends",
                        maybe(u, |u| {
                            Ok(json!({"refs": small_vec(u, 2, |u| {
                                let mut r = target_ref(u)?;
                                put(r.as_object_mut().expect("object"), "port", maybe(u, port)?);
                                Ok(r)
                            })?}))
                        })?,
                    );
                    Ok(Value::Object(t))
                })?,
            );
            (json!({"networking": n}), None)
        }
        "MeshService" | "MeshMultiZoneService" => {
            let sel = if kind == "MeshService" {
                json!({"dataplaneTags": tags(u, 2)?})
            } else {
                json!({"meshService": {"matchLabels": tags(u, 2)?}})
            };
            let vips = small_vec(u, 2, |u| Ok(json!({"ip": ip(u)?})))?;
            (
                json!({"selector": sel, "ports": service_ports(u)?}),
                Some(json!({"vips": vips})),
            )
        }
        "MeshExternalService" => (
            json!({
                "match": {"type": "HostnameGenerator", "port": port(u)?, "protocol": pick(u, &PROTOCOLS)?},
                "endpoints": [{"address": "example.com", "port": 443}],
            }),
            Some(json!({"vip": {"ip": ip(u)?}})),
        ),
        "MeshGateway" => {
            let listeners = small_vec(u, 3, |u| {
                Ok(json!({
                    "port": port(u)?,
                    "protocol": pick(u, &["HTTP", "HTTPS", "TCP", "TLS", "tcp"])?,
                    "hostname": pick(u, &["*", "a.example.com", "b.example.com"])?,
                    "tags": tags(u, 2)?,
                }))
            })?;
            (
                json!({"selectors": selectors(u, 2)?, "tags": tags(u, 1)?, "conf": {"listeners": listeners}}),
                None,
            )
        }
        "MeshTCPRoute" | "MeshHTTPRoute" => (route_body(u)?, None),
        "TrafficRoute" => {
            let split = small_vec(u, 3, |u| {
                Ok(json!({"weight": weight(u)?, "destination": tags(u, 2)?}))
            })?;
            let mut conf = Map::new();
            if u.arbitrary::<bool>()? {
                conf.insert("destination".into(), tags(u, 2)?);
            } else {
                conf.insert("split".into(), Value::Array(split));
            }
            (
                json!({"sources": selectors(u, 2)?, "destinations": selectors(u, 2)?, "conf": conf}),
                None,
            )
        }
        "ExternalService" => (
            json!({"networking": {"address": "example.com:443"}, "tags": tags(u, 3)?}),
            None,
        ),
        "TrafficTrace" => (json!({"selectors": selectors(u, 2)?}), None),
        _ => (
            json!({"sources": selectors(u, 2)?, "destinations": selectors(u, 2)?}),
            None,
        ),
    })
}

const KINDS: [&str; 18] = [
    "Mesh",
    "Dataplane",
    "Dataplane",
    "MeshService",
    "MeshExternalService",
    "MeshMultiZoneService",
    "MeshGateway",
    "MeshTCPRoute",
    "MeshTCPRoute",
    "MeshHTTPRoute",
    "TrafficRoute",
    "ExternalService",
    "legacy",
    "MeshRetry",
    "MeshService",
    "MeshTCPRoute",
    "Dataplane",
    "TrafficRoute",
];

fn new_style(kind: &str) -> bool {
    matches!(
        kind,
        "MeshTCPRoute"
            | "MeshHTTPRoute"
            | "MeshService"
            | "MeshExternalService"
            | "MeshMultiZoneService"
    )
}

/// One resource document, in Universal or Kubernetes form.
fn resource(u: &mut Unstructured) -> Result<Value> {
    let mut kind = pick(u, &KINDS)?;
    if kind == "legacy" {
        kind = pick(u, &LEGACY)?;
    }
    let name = pick(u, &NAMES)?;
    let mesh = pick(u, &["default", "default", "other", ""])?;
    let labels = tags(u, 3)?;
    let (body, status) = body(u, kind)?;
    let created = maybe(u, |u| {
        Ok(Value::from(format!(
            "2024-01-0{}T00:00:00Z",
            u.int_in_range(1..=3)?
        )))
    })?;
    if u.arbitrary::<bool>()? {
        // Kubernetes
        let mut meta = Map::new();
        meta.insert("name".into(), name.into());
        put(
            &mut meta,
            "namespace",
            maybe(u, |u| pick(u, &NAMESPACES).map(Value::from))?,
        );
        let mut labels = labels;
        if new_style(kind) && u.arbitrary::<bool>()? {
            labels
                .as_object_mut()
                .expect("object")
                .insert("kuma.io/mesh".into(), mesh.into());
        }
        meta.insert("labels".into(), labels);
        put(&mut meta, "creationTimestamp", created);
        let mut m = Map::new();
        m.insert(
            "apiVersion".into(),
            pick(u, &["kuma.io/v1alpha1", "kuma.io/v1alpha1", "v1"])?.into(),
        );
        m.insert("kind".into(), kind.into());
        m.insert("metadata".into(), Value::Object(meta));
        if !new_style(kind) && kind != "Mesh" {
            m.insert("mesh".into(), mesh.into());
        }
        if kind == "Dataplane" || new_style(kind) || kind == "Mesh" || u.arbitrary::<bool>()? {
            m.insert("spec".into(), body);
        } else if let Value::Object(b) = body {
            m.extend(b);
        }
        put(&mut m, "status", status);
        Ok(Value::Object(m))
    } else {
        let mut m = Map::new();
        m.insert("type".into(), kind.into());
        m.insert("name".into(), name.into());
        if kind != "Mesh" {
            m.insert("mesh".into(), mesh.into());
        }
        m.insert("labels".into(), labels);
        put(&mut m, "creationTime", created);
        if new_style(kind) {
            m.insert("spec".into(), body);
        } else if let Value::Object(b) = body {
            m.extend(b);
        }
        put(&mut m, "status", status);
        Ok(Value::Object(m))
    }
}

/// The engine input drawn from `u`: a Kuma version and the documents of one file.
pub fn engine_input(u: &mut Unstructured) -> Result<(KumaVersion, Vec<Value>)> {
    let version = version_of(u.arbitrary()?);
    let mut docs = vec![json!({"type": "Mesh", "name": "default"})];
    let n = u.int_in_range(0..=24)?;
    for _ in 0..n {
        docs.push(resource(u)?);
    }
    Ok((version, docs))
}

/// The documents as one YAML file (for reading a failing input: `engine_yaml`).
pub fn engine_yaml(docs: &[Value]) -> String {
    let mut t = String::new();
    for d in docs {
        t.push_str("---\n");
        t.push_str(&serde_saphyr::to_string(d).expect("yaml"));
    }
    t
}

/// Structured resources through the decoder (the documents are values already: the
/// YAML parser is the loader target's), the engine (one Kuma version) and every writer.
pub fn engine(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((version, docs)) = engine_input(&mut u) else {
        return;
    };
    let mut l = Loaded::default();
    for (i, d) in docs.into_iter().enumerate() {
        match decode::decode("fuzz.yaml", i as u32 + 1, d) {
            Decoded::Resource(r) => l.snapshot.resources.push(*r),
            Decoded::Finding(f) => l.findings.push(f),
            Decoded::Foreign => {}
        }
    }
    resolve_and_write(&l, version, true);
}

// ------------------------------------------------------------------------- report

/// Strings: mostly short and plain, sometimes anything (control characters, quotes,
/// YAML indicators, unicode).
fn string(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=5)? {
        0 => String::arbitrary(u)?,
        1 => pick(
            u,
            &[
                "",
                "~",
                "null",
                "true",
                "- a",
                "a: b",
                "'",
                "\"",
                "#",
                "*a",
                "&a",
                "!tag",
                "|",
                ">",
                "@",
                "`",
                "%",
                "0x10",
                "1e3",
                "-.inf",
                ".nan",
                "2.10",
                "\t",
                " a ",
                "\n",
                "---",
                "...",
                "\u{1b}[2J",
                "\u{7f}",
                "\u{feff}",
                "\r\n",
                "\u{85}",
                "\u{2028}",
            ],
        )?
        .to_string(),
        _ => pick(u, &NAMES)?.to_string(),
    })
}

fn opt_string(u: &mut Unstructured) -> Result<Option<String>> {
    maybe(u, string)
}

fn strings(u: &mut Unstructured) -> Result<Vec<String>> {
    small_vec(u, 2, string)
}

fn any_tags(u: &mut Unstructured) -> Result<Tags> {
    let mut t = Tags::new();
    for _ in 0..u.int_in_range(0..=2)? {
        t.insert(string(u)?, string(u)?);
    }
    Ok(t)
}

fn location(u: &mut Unstructured) -> Result<Option<Location>> {
    maybe(u, |u| {
        Ok(Location {
            file: string(u)?.into(),
            line: u.arbitrary()?,
        })
    })
}

fn share(u: &mut Unstructured) -> Result<f64> {
    Ok(match u.int_in_range(0..=6)? {
        0 => f64::arbitrary(u)?,
        1 => f64::NAN,
        2 => f64::INFINITY,
        3 => -0.5,
        4 => 1.0 / 3.0,
        5 => 1.0,
        _ => 0.0,
    })
}

fn finding(u: &mut Unstructured) -> Result<Finding> {
    let code = *u.choose(&Code::ALL)?;
    let mut f = Finding::new(code, string(u)?);
    f.severity = *u.choose(&[Severity::Info, Severity::Warning, Severity::Error])?;
    f.resource = maybe(u, |u| {
        Ok(std::sync::Arc::new(ResourceRef {
            kind: string(u)?,
            name: string(u)?,
            namespace: opt_string(u)?,
            mesh: opt_string(u)?,
            context: opt_string(u)?,
        }))
    })?;
    f.location = location(u)?;
    for _ in 0..u.int_in_range(0..=3)? {
        f.proxies.push(meshtcp::model::ProxyHit {
            proxy: std::sync::Arc::new(meshtcp::model::ProxyRef {
                mesh: string(u)?.into(),
                name: string(u)?.into(),
                namespace: opt_string(u)?.map(Into::into),
                context: opt_string(u)?.map(Into::into),
            }),
            outbounds: std::sync::Arc::new(strings(u)?.into_iter().map(Into::into).collect()),
        });
    }
    Ok(f)
}

fn outbound(u: &mut Unstructured) -> Result<OutboundReport> {
    Ok(OutboundReport {
        destination: Destination {
            kind: string(u)?,
            name: string(u)?,
            namespace: opt_string(u)?,
            port: u.arbitrary()?,
            section_name: opt_string(u)?,
            listener_port: None,
        },
        protocol: string(u)?,
        route: *u.choose(&[
            RouteKind::MeshTCPRoute,
            RouteKind::MeshHTTPRoute,
            RouteKind::TrafficRoute,
            RouteKind::Default,
        ])?,
        backends: small_vec(u, 3, |u| {
            Ok(Backend {
                kind: string(u)?,
                name: string(u)?,
                namespace: opt_string(u)?,
                port: u.arbitrary()?,
                tags: any_tags(u)?,
                weight: u.arbitrary()?,
                share: share(u)?,
                resolved: u.arbitrary()?,
                how: string(u)?,
            })
        })?,
        policies: small_vec(u, 3, |u| {
            Ok(PolicyStatus {
                kind: string(u)?,
                name: string(u)?.into(),
                namespace: opt_string(u)?,
                status: *u.choose(&[Status::Applied, Status::Overridden, Status::Ignored])?,
                reason: string(u)?,
                location: location(u)?,
                precedence: std::sync::Arc::new(strings(u)?.into()),
            })
        })?,
        reason: string(u)?,
        notes: strings(u)?,
        legacy_policies: small_vec(u, 2, |u| {
            Ok(LegacyPolicyStatus {
                kind: string(u)?,
                name: string(u)?,
                status: u.choose(&["applied", "detached"])?,
                location: location(u)?,
            })
        })?,
    })
}

/// An arbitrary report (not necessarily one the engine would make).
pub fn report_input(u: &mut Unstructured) -> Result<Report> {
    Ok(Report {
        schema: SCHEMA,
        kuma_version: string(u)?,
        proxies: small_vec(u, 3, |u| {
            Ok(ProxyReport {
                mesh: string(u)?,
                name: string(u)?,
                namespace: opt_string(u)?,
                proxy_type: *u.choose(&[
                    ProxyType::Sidecar,
                    ProxyType::BuiltinGateway,
                    ProxyType::DelegatedGateway,
                ])?,
                tags: any_tags(u)?,
                outbounds: small_vec(u, 3, outbound)?.into(),
                location: location(u)?,
                context: opt_string(u)?,
                derived_from: if u.arbitrary()? {
                    Some(meshtcp::model::DerivedFrom {
                        kind: string(u)?,
                        namespace: string(u)?,
                        name: string(u)?,
                    })
                } else {
                    None
                },
                selected_by: small_vec(u, 2, |u| {
                    Ok(std::sync::Arc::new(PolicyRef {
                        kind: string(u)?,
                        name: string(u)?,
                        namespace: opt_string(u)?,
                        target_ref: string(u)?,
                    }))
                })?
                .into(),
                notes: strings(u)?,
            })
        })?,
        findings: small_vec(u, 4, finding)?,
    })
}

/// Every writer on an arbitrary report; the JSON must parse and the YAML must parse back
/// to the very value that was written.
pub fn report(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(r) = report_input(&mut u) else {
        return;
    };
    write_all(&r);
    assert_printable(
        &report::render_text(
            &r,
            TextOptions {
                color: false,
                verbose: false,
            },
        ),
        false,
    );
    assert_printable(
        &report::render_text(
            &r,
            TextOptions {
                color: true,
                verbose: false,
            },
        ),
        true,
    );
    assert_printable(&report::text::check_text(&r, true, false), false);
    for p in &r.proxies {
        for o in p.outbounds.iter() {
            assert_printable(&report::explain(p, o, &r.findings, &r.kuma_version), false);
        }
    }
    let json_text = report::to_json(&r);
    let _: Value = serde_json::from_str(&json_text).expect("the JSON report parses");
    // (serde_json reads floats approximately: compare the YAML with the value itself.)
    let from_json = serde_json::to_value(&r).expect("the report serializes");
    let yaml_text = report::to_yaml(&r);
    let from_yaml: Value = serde_saphyr::from_str(&yaml_text)
        .unwrap_or_else(|e| panic!("the YAML report parses: {e}\n{yaml_text}"));
    if let Some(d) = first_difference(&from_json, &from_yaml, String::new()) {
        panic!("the YAML report differs from the JSON report at {d}\n{yaml_text}");
    }
}

/// Text for a terminal holds no control character but newlines and tabs (and, with
/// `colour`, SGR colour codes), and no bidi override.
fn assert_printable(s: &str, colour: bool) {
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' && colour {
            let t = rest[1..].strip_prefix('[').unwrap_or("");
            let t = t.trim_start_matches(|x: char| x.is_ascii_digit() || x == ';');
            assert!(t.starts_with('m'), "a raw escape sequence in {s:?}");
            rest = &t[1..];
            continue;
        }
        let control = c.is_control() && c != '\n' && c != '\t';
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!control && !bidi, "{c:?} reaches the terminal in {s:?}");
        rest = &rest[c.len_utf8()..];
    }
}

/// Where two values first differ, as a path with both sides.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let Some(w) = y.get(k) else {
                    return Some(format!("{at}.{k}: missing in YAML"));
                };
                if let Some(d) = first_difference(v, w, format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{at}.{k}: only in YAML"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: JSON {a:?}, YAML {b:?}")),
    }
}
