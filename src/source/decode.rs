//! One parsed document (a [`Node`] or a JSON value, and where it starts) → a model
//! resource, a finding, or nothing (a non-Kuma object, counted). Pure: no IO.

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
    let Node::Map(_) = doc else {
        return parse_error(
            &origin,
            format!(
                "document is {}, not a mapping: not a Kuma resource",
                type_name(&doc)
            ),
        );
    };
    let obj = doc;
    let has = |k: &str| obj.get(k).is_some();
    if has("apiVersion") || (has("kind") && has("metadata")) {
        decode_kubernetes(origin, obj)
    } else if let Some(t) = obj.get("type") {
        let Some(t) = t.as_str() else {
            return parse_error(&origin, "`type` must be a string");
        };
        let Some(kind) = ResourceKind::parse(t) else {
            return Decoded::Finding(
                Finding::new(
                    Code::UnknownKind,
                    format!("Universal resource of type `{t}` is not one meshtcp models; skipped"),
                )
                .with_location(origin.location()),
            );
        };
        decode_universal(origin, kind, obj)
    } else {
        parse_error(
            &origin,
            "not a resource: neither `type` (Universal) nor `apiVersion`/`kind` (Kubernetes)",
        )
    }
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

fn labels_of(v: Option<&Node>) -> Result<Tags, String> {
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
                Node::Bool(b) => Ok((k.to_string(), b.to_string())),
                _ => Err(format!("label `{k}` must be a string")),
            })
            .collect(),
        Some(_) => Err("labels must be a mapping".into()),
    }
}

fn decode_kubernetes(origin: Origin, obj: Node<'_>) -> Decoded {
    let api = str_field(&obj, "apiVersion").unwrap_or("");
    let Some(kind_s) = str_field(&obj, "kind") else {
        return parse_error(&origin, "Kubernetes object without `kind`");
    };
    if !api.starts_with("kuma.io/") {
        return Decoded::Foreign;
    }
    let Some(kind) = ResourceKind::parse(kind_s) else {
        return Decoded::Finding(
            Finding::new(
                Code::UnknownKind,
                format!("kuma.io kind `{kind_s}` is not one meshtcp models; skipped"),
            )
            .with_location(origin.location()),
        );
    };
    let metadata = obj.get("metadata").filter(|m| matches!(m, Node::Map(_)));
    let name = metadata.and_then(|m| str_field(m, "name")).unwrap_or("");
    let bad = |msg: String| {
        Decoded::Finding(
            Finding::new(Code::InvalidResource, msg)
                .with_resource(ResourceRef {
                    kind: kind.as_str().into(),
                    name: name.to_string(),
                    namespace: metadata
                        .and_then(|m| str_field(m, "namespace"))
                        .map(String::from),
                    mesh: None,
                    context: origin.context().map(String::from),
                })
                .with_location(origin.location()),
        )
    };
    if name.is_empty() {
        return bad(format!("{kind} has no metadata.name"));
    }
    let labels = match labels_of(metadata.and_then(|m| m.get("labels"))) {
        Ok(l) => l,
        Err(e) => return bad(format!("metadata.{e}")),
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
    finish(meta, &spec, status.as_ref())
}

fn decode_universal(origin: Origin, kind: ResourceKind, obj: Node<'_>) -> Decoded {
    let name = str_field(&obj, "name").unwrap_or("").to_string();
    let mesh_field = str_field(&obj, "mesh").map(String::from);
    let bad = |msg: String| {
        Decoded::Finding(
            Finding::new(Code::InvalidResource, msg)
                .with_resource(ResourceRef {
                    kind: kind.as_str().into(),
                    name: name.clone(),
                    namespace: None,
                    mesh: mesh_field.clone(),
                    context: origin.context().map(String::from),
                })
                .with_location(origin.location()),
        )
    };
    if name.is_empty() {
        return bad(format!("{kind} has no `name`"));
    }
    let mesh = if kind == ResourceKind::Mesh {
        name.clone()
    } else {
        match mesh_field.as_deref() {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => {
                return bad(format!(
                    "{kind} {name} has no `mesh`: the control plane requires it"
                ));
            }
        }
    };
    let labels = match labels_of(obj.get("labels")) {
        Ok(l) => l,
        Err(e) => return bad(e),
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
        finish(meta, &spec, status.as_ref())
    } else {
        // The document is the body (its `status`, if any, included).
        finish(meta, &obj, obj.get("status"))
    }
}

/// `v` as a `T`. Read from a borrowed value first (no path kept: most documents are
/// valid); only a failure is read again with the path of the bad field for the message.
/// (Reading every document by value with the path kept was 5.6% more instructions on
/// the Universal benchmark than copying its strings out of the borrowed value.)
fn typed<T: DeserializeOwned>(v: &Node) -> Result<T, String> {
    if let Ok(t) = T::deserialize(v) {
        return Ok(t);
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("{path}: {}", e.into_inner())
        }
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

fn finish(meta: Meta, body: &Node, status: Option<&Node>) -> Decoded {
    let prefix = if meta.format == Format::Kubernetes || meta.kind.universal_body_in_spec() {
        "spec"
    } else {
        ""
    };
    let body = match decode_body(meta.kind, body, status) {
        Ok(b) => b,
        Err(e) => {
            let at = if prefix.is_empty() {
                e
            } else if e.contains(':') && !e.starts_with("invalid") && !e.starts_with("missing") {
                format!("{prefix}.{e}")
            } else {
                format!("{prefix}: {e}")
            };
            return Decoded::Finding(Finding::about(
                Code::InvalidResource,
                &meta,
                format!("{} {}: {at}", meta.kind, meta.qualified_name()),
            ));
        }
    };
    Decoded::Resource(Box::new(Resource { meta, body }))
}

fn decode_body(kind: ResourceKind, body: &Node, status: Option<&Node>) -> Result<Body, String> {
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
