//! One parsed document (a [`Node`] or a JSON value, and where it starts) → a model
//! resource, a finding, or nothing (a non-Kuma object, counted). Pure: no IO.

use super::fields::{FieldPath, Unknown};
use super::node::Node;
use crate::model::{
    Body, Code, DataplaneSpec, ExternalServiceSpec, Finding, Format, LegacyPolicySpec,
    MeshExternalServiceSpec, MeshGatewaySpec, MeshMultiZoneServiceSpec, MeshServiceSpec, MeshSpec,
    Meta, Origin, Resource, ResourceKind, ResourceRef, RouteSpec, Tags, TrafficRouteSpec, keys,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What one document turned out to be. Short-lived (consumed right after decoding), so
/// the size difference between variants does not matter.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Decoded {
    Resource(Box<Resource>),
    /// A Kubernetes object of another API group (Pods, Services…): skipped quietly.
    Foreign,
    Finding(Finding),
}

fn parse_error(origin: &Origin, msg: impl Into<String>) -> Decoded {
    Decoded::Finding(Finding::new(Code::ParseError, msg.into()).with_location(origin.location()))
}

/// Decode one document. `file` is the path as reached from the SOURCE argument.
pub fn decode(file: impl Into<std::sync::Arc<str>>, line: u32, doc: Value) -> Decoded {
    decode_at(Origin::file(file, line), doc)
}

/// Decode one object whose origin is known (a file position or a cluster object).
pub fn decode_at(origin: Origin, doc: Value) -> Decoded {
    decode_node(origin, Node::of_value(&doc))
}

/// Decode one parsed document whose origin is known.
pub fn decode_node(origin: Origin, doc: Node<'_>) -> Decoded {
    decode_node_full(origin, doc).decoded
}

/// What [`decode_node_full`] makes of a document: the decoded document, the field a
/// finding is about (to find its line in the text), and the fields Kuma's schema does
/// not have.
#[derive(Debug)]
pub struct Outcome {
    pub decoded: Decoded,
    /// The field the finding of `decoded` is about, from the document's root.
    pub field: Option<FieldPath>,
    /// Fields of a route that the kind's schema does not have (pruned by Kubernetes,
    /// ignored on Universal).
    pub unknown: Vec<Unknown>,
}

impl From<Decoded> for Outcome {
    fn from(decoded: Decoded) -> Self {
        Outcome {
            decoded,
            field: None,
            unknown: Vec::new(),
        }
    }
}

/// [`decode_node`] with what a file loader needs to place findings on their lines.
pub fn decode_node_full(origin: Origin, doc: Node<'_>) -> Outcome {
    let Node::Map(_) = doc else {
        return parse_error(
            &origin,
            format!(
                "document is {}, not a mapping: not a Kuma resource",
                type_name(&doc)
            ),
        )
        .into();
    };
    let obj = doc;
    let has = |k: &str| obj.get(k).is_some();
    if has("apiVersion") || (has("kind") && has("metadata")) {
        decode_kubernetes(origin, obj)
    } else if let Some(t) = obj.get("type") {
        let Some(t) = t.as_str() else {
            return Outcome {
                field: Some(FieldPath::default().key("type")),
                ..parse_error(&origin, "`type` must be a string").into()
            };
        };
        let Some(kind) = ResourceKind::parse(t) else {
            return Decoded::Finding(
                Finding::new(
                    Code::UnknownKind,
                    format!("Universal resource of type `{t}` is not one meshtcp models; skipped"),
                )
                .with_location(origin.location()),
            )
            .into();
        };
        decode_universal(origin, kind, obj)
    } else {
        parse_error(
            &origin,
            "not a resource: neither `type` (Universal) nor `apiVersion`/`kind` (Kubernetes)",
        )
        .into()
    }
}

/// A string field that YAML 1.1 read as a boolean (`name: y`, `version: on`): the
/// value written is lost, so the message asks to quote it.
fn boolean_word(field: &str) -> String {
    format!(
        "`{field}` is read as a boolean, not a string (YAML 1.1 reads y, n, yes, no, on, off, true and false as booleans): quote it"
    )
}

fn type_name(v: &Node) -> &'static str {
    match v {
        Node::Null => "empty",
        Node::Bool(_) => "a boolean",
        Node::U64(_) | Node::I64(_) | Node::F64(_) => "a number",
        Node::Str(_) => "a string",
        Node::Seq(_) => "a sequence",
        Node::Map(_) => "a mapping",
    }
}

fn str_field<'a>(obj: &'a Node, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Node::as_str)
}

/// Labels as strings. An error names the label (or `None`: the labels themselves).
fn labels_of(v: Option<&Node>) -> Result<Tags, (Option<String>, String)> {
    match v {
        None | Some(Node::Null) => Ok(Tags::new()),
        Some(Node::Map(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Node::Str(s) => Ok((k.to_string(), s.to_string())),
                // Written as JSON writes the number (`1.0` stays `1.0`).
                Node::U64(_) | Node::I64(_) | Node::F64(_) => {
                    Ok((k.to_string(), v.to_value().to_string()))
                }
                Node::Bool(_) => Err((Some(k.to_string()), boolean_word(&format!("labels.{k}")))),
                _ => Err((Some(k.to_string()), format!("label `{k}` must be a string"))),
            })
            .collect(),
        Some(_) => Err((None, "labels must be a mapping".into())),
    }
}

/// An invalid resource: its finding, and the field it is about.
fn invalid(
    kind: ResourceKind,
    name: &str,
    namespace: Option<String>,
    mesh: Option<String>,
    origin: &Origin,
    msg: String,
    field: Option<FieldPath>,
) -> Outcome {
    Outcome {
        decoded: Decoded::Finding(
            Finding::new(Code::InvalidResource, msg)
                .with_resource(ResourceRef {
                    kind: kind.as_str().into(),
                    name: name.to_string(),
                    namespace,
                    mesh,
                    context: origin.context().map(String::from),
                })
                .with_location(origin.location()),
        ),
        field,
        unknown: Vec::new(),
    }
}

fn decode_kubernetes(origin: Origin, obj: Node<'_>) -> Outcome {
    let api = str_field(&obj, "apiVersion").unwrap_or("");
    let Some(kind_s) = str_field(&obj, "kind") else {
        return parse_error(&origin, "Kubernetes object without `kind`").into();
    };
    if !api.starts_with("kuma.io/") {
        return Decoded::Foreign.into();
    }
    let Some(kind) = ResourceKind::parse(kind_s) else {
        return Decoded::Finding(
            Finding::new(
                Code::UnknownKind,
                format!("kuma.io kind `{kind_s}` is not one meshtcp models; skipped"),
            )
            .with_location(origin.location()),
        )
        .into();
    };
    let metadata = obj.get("metadata").filter(|m| matches!(m, Node::Map(_)));
    let name = metadata.and_then(|m| str_field(m, "name")).unwrap_or("");
    let at = |k: &str| Some(FieldPath::default().key("metadata").key(k));
    let bad = |msg: String, field: Option<FieldPath>| {
        let namespace = metadata
            .and_then(|m| str_field(m, "namespace"))
            .map(String::from);
        invalid(kind, name, namespace, None, &origin, msg, field)
    };
    for k in ["name", "namespace"] {
        if let Some(Node::Bool(_)) = metadata.and_then(|m| m.get(k)) {
            return bad(
                format!("{kind}: {}", boolean_word(&format!("metadata.{k}"))),
                at(k),
            );
        }
    }
    if let Some(Node::Bool(_)) = obj.get("mesh") {
        return bad(
            format!("{kind} {name}: {}", boolean_word("mesh")),
            Some(FieldPath::default().key("mesh")),
        );
    }
    if name.is_empty() {
        return bad(format!("{kind} has no metadata.name"), None);
    }
    let labels = match labels_of(metadata.and_then(|m| m.get("labels"))) {
        Ok(l) => l,
        Err((label, e)) => {
            let mut field = at("labels");
            if let (Some(f), Some(l)) = (field.take(), label) {
                field = Some(f.key(&l));
            }
            return bad(format!("{kind} {name}: metadata.{e}"), field);
        }
    };
    let namespace = if kind.k8s_cluster_scoped() {
        None
    } else {
        // kubectl applies a manifest without a namespace into `default`.
        Some(
            metadata
                .and_then(|m| str_field(m, "namespace"))
                .unwrap_or("default")
                .to_string(),
        )
    };
    let mesh = if kind == ResourceKind::Mesh {
        name.to_string()
    } else if kind.k8s_mesh_from_label() {
        labels
            .get(keys::MESH)
            .cloned()
            .unwrap_or_else(|| "default".into())
    } else {
        // Dataplane, MeshGateway and legacy policies: top-level `mesh` (empty → default,
        // UNVERIFIED in the spec, §1.1).
        str_field(&obj, "mesh")
            .filter(|m| !m.is_empty())
            .unwrap_or("default")
            .to_string()
    };
    let meta = Meta {
        kind,
        name: name.to_string(),
        namespace,
        mesh,
        labels,
        format: Format::Kubernetes,
        origin,
        created: metadata
            .and_then(|m| str_field(m, "creationTimestamp"))
            .map(String::from),
    };
    // Taken out of the document, not copied.
    let mut obj = obj;
    let spec = obj.take("spec").unwrap_or(Node::Map(Vec::new()));
    let status = obj.take("status");
    let unknown = super::fields::unknown_route_fields(kind, &spec);
    Outcome {
        unknown,
        ..finish(meta, &spec, status.as_ref())
    }
}

fn decode_universal(origin: Origin, kind: ResourceKind, obj: Node<'_>) -> Outcome {
    let name = str_field(&obj, "name").unwrap_or("").to_string();
    let mesh_field = str_field(&obj, "mesh").map(String::from);
    let top = |k: &str| Some(FieldPath::default().key(k));
    let bad = |msg: String, field: Option<FieldPath>| {
        invalid(kind, &name, None, mesh_field.clone(), &origin, msg, field)
    };
    for k in ["name", "mesh"] {
        if let Some(Node::Bool(_)) = obj.get(k) {
            return bad(format!("{kind}: {}", boolean_word(k)), top(k));
        }
    }
    if name.is_empty() {
        return bad(format!("{kind} has no `name`"), None);
    }
    let mesh = if kind == ResourceKind::Mesh {
        name.clone()
    } else {
        match mesh_field.as_deref() {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => {
                return bad(
                    format!("{kind} {name} has no `mesh`: the control plane requires it"),
                    None,
                );
            }
        }
    };
    let labels = match labels_of(obj.get("labels")) {
        Ok(l) => l,
        Err((label, e)) => {
            let field = top("labels").map(|f| match &label {
                Some(l) => f.key(l),
                None => f,
            });
            return bad(format!("{kind} {name}: {e}"), field);
        }
    };
    let meta = Meta {
        kind,
        name,
        namespace: None,
        mesh,
        labels,
        format: Format::Universal,
        origin,
        created: str_field(&obj, "creationTime").map(String::from),
    };
    // The body is taken out of the document, not copied.
    let mut obj = obj;
    if kind.universal_body_in_spec() {
        let status = obj.take("status");
        let spec = obj.take("spec").unwrap_or(Node::Map(Vec::new()));
        let unknown = super::fields::unknown_route_fields(kind, &spec);
        Outcome {
            unknown,
            ..finish(meta, &spec, status.as_ref())
        }
    } else {
        // The document is the body (its `status`, if any, included).
        finish(meta, &obj, obj.get("status"))
    }
}

/// `v` as a `T`. Read from a borrowed value first (no path kept: most documents are
/// valid); only a failure is read again with the path of the bad field for the message
/// (cheaper than reading every document by value with the path kept).
fn typed<T: DeserializeOwned>(v: &Node) -> Result<T, (FieldPath, String)> {
    if let Ok(t) = T::deserialize(v) {
        return Ok(t);
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut path = FieldPath::default();
        for seg in e.path().iter() {
            path = match seg {
                serde_path_to_error::Segment::Seq { index } => path.index(*index),
                serde_path_to_error::Segment::Map { key } => path.key(key),
                _ => path,
            };
        }
        (path, e.into_inner().to_string())
    })
}

fn vips(status: Option<&Node>) -> Vec<String> {
    match status.and_then(|s| s.get("vips")) {
        Some(Node::Seq(a)) => a
            .iter()
            .filter_map(|v| v.get("ip").and_then(Node::as_str).map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn finish(meta: Meta, body: &Node, status: Option<&Node>) -> Outcome {
    let in_spec = meta.format == Format::Kubernetes || meta.kind.universal_body_in_spec();
    let refused = legacy_violations(meta.kind, body);
    if let Some((first, _)) = refused.first() {
        let mut field = FieldPath::default();
        if in_spec {
            field = field.key("spec");
        }
        field.0.extend(first.0.iter().cloned());
        let what: Vec<String> = refused
            .iter()
            .map(|(p, m)| {
                if p.0.is_empty() {
                    m.clone()
                } else {
                    format!("{p}: {m}")
                }
            })
            .collect();
        return Outcome {
            field: Some(field),
            ..Decoded::Finding(Finding::about(
                Code::InvalidResource,
                &meta,
                format!(
                    "{} {} is refused by the control plane's validator, so it is left out: {}",
                    meta.kind,
                    meta.qualified_name(),
                    what.join("; ")
                ),
            ))
            .into()
        };
    }
    let body = match decode_body(meta.kind, body, status) {
        Ok(b) => b,
        Err((path, e)) => {
            let mut field = FieldPath::default();
            if in_spec {
                field = field.key("spec");
            }
            field.0.extend(path.0);
            let what = if field.0.is_empty() {
                e
            } else {
                kuma_words(&field, &e)
            };
            return Outcome {
                field: Some(field),
                ..Decoded::Finding(Finding::about(
                    Code::InvalidResource,
                    &meta,
                    format!("{} {}: {what}", meta.kind, meta.qualified_name()),
                ))
                .into()
            };
        }
    };
    Decoded::Resource(Box::new(Resource { meta, body })).into()
}

/// A decode error (worded by serde) in Kuma's terms: what the field must be, and what
/// it is. `field` is the path of the field from the document's root.
fn kuma_words(field: &FieldPath, err: &str) -> String {
    let key = field.last_key().unwrap_or("");
    let split = err
        .strip_prefix("invalid type: ")
        .or_else(|| err.strip_prefix("invalid value: "))
        .and_then(|r| r.rsplit_once(", expected "));
    let Some((got, expected)) = split else {
        return match err.strip_prefix("unknown variant ") {
            Some(rest) => format!("`{field}`: {}", rest.replace("unknown variant", "")),
            None => format!("`{field}`: {err}"),
        };
    };
    let is = match got {
        "null" => "empty".to_string(),
        "sequence" => "a list".to_string(),
        "map" => "a mapping".to_string(),
        g if g.starts_with("boolean") => {
            if expected.contains("string") {
                return boolean_word(&field.to_string());
            }
            "a boolean".to_string()
        }
        g => {
            let g = g
                .replace("integer ", "")
                .replace("floating point ", "")
                .replace('`', "");
            match g.strip_prefix("string ") {
                Some(text) => format!("the string {text}"),
                None => g,
            }
        }
    };
    let must = match expected {
        "u32" | "u64" | "u16" => {
            if key.to_ascii_lowercase().ends_with("port") {
                "a whole number 0–65535".to_string()
            } else if expected == "u32" {
                "a whole number 0–4294967295".to_string()
            } else {
                "a whole number, 0 or more".to_string()
            }
        }
        "a string" => "a string".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "a list".into(),
        e if e.starts_with("struct ") || e.starts_with("a map") || e.contains("mapping") => {
            "a mapping".into()
        }
        e => e.to_string(),
    };
    format!("`{field}` must be {must} (it is {is})")
}

fn decode_body(
    kind: ResourceKind,
    body: &Node,
    status: Option<&Node>,
) -> Result<Body, (FieldPath, String)> {
    Ok(match kind {
        ResourceKind::Mesh => Body::Mesh(typed::<MeshSpec>(body)?),
        ResourceKind::Dataplane => Body::Dataplane(typed::<DataplaneSpec>(body)?),
        ResourceKind::MeshService => {
            let mut s = typed::<MeshServiceSpec>(body)?;
            s.vips = vips(status);
            Body::MeshService(s)
        }
        ResourceKind::MeshExternalService => {
            let mut s = typed::<MeshExternalServiceSpec>(body)?;
            s.vip = status
                .and_then(|s| s.get("vip"))
                .and_then(|v| v.get("ip"))
                .and_then(Node::as_str)
                .map(String::from);
            Body::MeshExternalService(s)
        }
        ResourceKind::MeshMultiZoneService => {
            let mut s = typed::<MeshMultiZoneServiceSpec>(body)?;
            s.vips = vips(status);
            Body::MeshMultiZoneService(s)
        }
        ResourceKind::MeshGateway => Body::MeshGateway(typed::<MeshGatewaySpec>(body)?),
        ResourceKind::MeshTCPRoute | ResourceKind::MeshHTTPRoute => {
            Body::Route(typed::<RouteSpec>(body)?)
        }
        ResourceKind::TrafficRoute => Body::TrafficRoute(typed::<TrafficRouteSpec>(body)?),
        ResourceKind::ExternalService => Body::ExternalService(typed::<ExternalServiceSpec>(body)?),
        _ => Body::Legacy(typed::<LegacyPolicySpec>(body)?),
    })
}

// ------------------------------------------------------------ legacy policy validation

/// What a selector list must hold (`ValidateSelectorsOpts`,
/// `pkg/core/resources/apis/mesh/validators.go@v2.13.0`).
#[derive(Clone, Copy)]
enum Selectors {
    /// At least one selector, each with at least one tag.
    Tags,
    /// [`Selectors::Tags`], each with `kuma.io/service`.
    WithService,
    /// At least one selector, each exactly `kuma.io/service` (`OnlyServiceTagAllowed`).
    OnlyService,
}

/// Why the control plane's validator refuses a legacy policy (TrafficRoute, Timeout,
/// Retry, …): the field and the violation, in Kuma's words. Only the rules about
/// selectors and the presence of `conf` are checked (`*_validator.go@v2.13.0` in
/// `pkg/core/resources/apis/mesh`).
fn legacy_violations(kind: ResourceKind, body: &Node) -> Vec<(FieldPath, String)> {
    use ResourceKind as K;
    let mut out = Vec::new();
    let (sources, destinations) = match kind {
        K::TrafficRoute
        | K::Timeout
        | K::Retry
        | K::TrafficLog
        | K::CircuitBreaker
        | K::HealthCheck => (Selectors::WithService, Selectors::OnlyService),
        K::FaultInjection | K::RateLimit => (Selectors::Tags, Selectors::Tags),
        K::TrafficTrace => {
            selectors(body, "selectors", Selectors::Tags, &mut out);
            return out;
        }
        _ => return out,
    };
    selectors(body, "sources", sources, &mut out);
    selectors(body, "destinations", destinations, &mut out);
    let conf = body.get("conf").filter(|c| !matches!(c, Node::Null));
    let at = || FieldPath::default().key("conf");
    let has = |k: &str| {
        conf.and_then(|c| c.get(k))
            .is_some_and(|v| !matches!(v, Node::Null) && !is_empty(v))
    };
    match kind {
        K::TrafficRoute => match conf {
            None => out.push((at(), "cannot be empty".into())),
            Some(c) => route_conf(c, &mut out),
        },
        K::Timeout | K::HealthCheck if conf.is_none() => {
            out.push((at(), "has to be defined".into()))
        }
        K::RateLimit if conf.is_none() => out.push((at(), "must have conf".into())),
        K::Retry if conf.is_none() => out.push((at(), "has to be defined".into())),
        K::Retry if !(has("http") || has("grpc") || has("tcp")) => out.push((
            at(),
            "missing protocol [grpc|http|tcp] configuration".into(),
        )),
        K::CircuitBreaker if !(has("detectors") || has("thresholds")) => out.push((
            at(),
            "must have at least one of the detector or threshold configured".into(),
        )),
        K::FaultInjection if !(has("delay") || has("abort") || has("responseBandwidth")) => out
            .push((
                at(),
                "must have at least one of the faults configured".into(),
            )),
        _ => {}
    }
    out
}

fn is_empty(v: &Node) -> bool {
    match v {
        Node::Map(m) => m.is_empty(),
        Node::Seq(s) => s.is_empty(),
        _ => false,
    }
}

/// A selector list: at least one element, each `match` as `rule` asks.
fn selectors(body: &Node, name: &str, rule: Selectors, out: &mut Vec<(FieldPath, String)>) {
    let at = FieldPath::default().key(name);
    let list: &[Node] = match body.get(name) {
        Some(Node::Seq(v)) => v,
        _ => &[],
    };
    if list.is_empty() {
        out.push((at, "must have at least one element".into()));
        return;
    }
    for (i, sel) in list.iter().enumerate() {
        let at = at.clone().index(i).key("match");
        let tags: &[(&str, Node)] = match sel.get("match") {
            Some(Node::Map(m)) => m,
            _ => &[],
        };
        tag_rules(tags, rule, at, out);
    }
}

fn tag_rules(
    tags: &[(&str, Node)],
    rule: Selectors,
    at: FieldPath,
    out: &mut Vec<(FieldPath, String)>,
) {
    let service = tags.iter().any(|(k, _)| *k == keys::SERVICE);
    match rule {
        Selectors::Tags | Selectors::WithService if tags.is_empty() => {
            out.push((at.clone(), "must have at least one tag".into()));
        }
        Selectors::OnlyService if !(tags.len() == 1 && service) => {
            out.push((
                at.clone(),
                format!("must consist of exactly one tag \"{}\"", keys::SERVICE),
            ));
        }
        _ => {}
    }
    if matches!(rule, Selectors::WithService | Selectors::OnlyService) && !service {
        out.push((
            at.clone(),
            format!("mandatory tag \"{}\" is missing", keys::SERVICE),
        ));
    }
    for (k, v) in tags {
        if matches!(v, Node::Null) || v.as_str() == Some("") {
            out.push((at.clone().key(k), "tag value must be non-empty".into()));
        }
    }
}

/// A TrafficRoute's `conf`: `destination` or `split`, not both (`validateSplitAndDestination`).
fn route_conf(conf: &Node, out: &mut Vec<(FieldPath, String)>) {
    let at = FieldPath::default().key("conf");
    let get = |k: &str| {
        conf.get(k)
            .filter(|v| !matches!(v, Node::Null) && !is_empty(v))
    };
    match (get("split"), get("destination")) {
        (None, None) => out.push((at, "requires either \"destination\" or \"split\"".into())),
        (Some(_), Some(_)) => out.push((
            at,
            "\"split\" cannot be defined at the same time as \"destination\"".into(),
        )),
        (Some(split), None) => {
            let Node::Seq(entries) = split else { return };
            let mut total = 0u64;
            for (i, e) in entries.iter().enumerate() {
                let at = at.clone().key("split").index(i);
                match e.get("weight") {
                    Some(Node::U64(w)) => total += w,
                    Some(Node::Null) | None => {
                        out.push((at.clone().key("weight"), "needs to be defined".into()))
                    }
                    _ => {}
                }
                let tags: &[(&str, Node)] = match e.get("destination") {
                    Some(Node::Map(m)) => m,
                    _ => &[],
                };
                tag_rules(tags, Selectors::WithService, at.key("destination"), out);
            }
            if total == 0 {
                out.push((
                    at.key("split"),
                    "there must be at least one split entry with weight above 0".into(),
                ));
            }
        }
        (None, Some(d)) => {
            let tags: &[(&str, Node)] = match d {
                Node::Map(m) => m,
                _ => &[],
            };
            tag_rules(tags, Selectors::WithService, at.key("destination"), out);
        }
    }
}
