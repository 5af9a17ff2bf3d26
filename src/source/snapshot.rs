//! `meshtcp snapshot SOURCE... -o DIR`: every resource meshtcp sees, the derived
//! Dataplanes and MeshServices included, written back as YAML that loads to the same
//! report: each in the format it was read in (Kubernetes for Kubernetes input), as
//! meshtcp models it (fields it does not read are not kept), one file per kind
//! (`DIR/NN-<plural>.yaml`, `NN` in the model's kind order), in load order within a
//! kind. A derived resource is preceded by a comment naming the object it was made
//! from, so that a diff of two snapshots shows what a change in the repository does.

use super::kube::snapshot::Written;
use crate::model::{Body, Format, Origin, Resource, ResourceKind, keys};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

/// `r` as the document it would be read from. Pure.
pub fn document(r: &Resource) -> Value {
    let m = &r.meta;
    let (body, status) = body(&r.body);
    let mut doc = Map::new();
    let mut labels = m.labels.clone();
    match m.format {
        Format::Kubernetes => {
            doc.insert("apiVersion".into(), "kuma.io/v1alpha1".into());
            doc.insert("kind".into(), m.kind.as_str().into());
            let mut meta = Map::new();
            meta.insert("name".into(), m.name.as_str().into());
            if let Some(ns) = &m.namespace {
                meta.insert("namespace".into(), ns.as_str().into());
            }
            if m.kind.k8s_mesh_from_label() {
                labels.insert(keys::MESH.into(), m.mesh.clone());
            }
            if !labels.is_empty() {
                meta.insert("labels".into(), to_value(&labels));
            }
            if let Some(c) = &m.created {
                meta.insert("creationTimestamp".into(), c.as_str().into());
            }
            doc.insert("metadata".into(), Value::Object(meta));
            if m.kind != ResourceKind::Mesh && !m.kind.k8s_mesh_from_label() {
                doc.insert("mesh".into(), m.mesh.as_str().into());
            }
            doc.insert("spec".into(), body);
        }
        Format::Universal => {
            doc.insert("type".into(), m.kind.as_str().into());
            doc.insert("name".into(), m.name.as_str().into());
            if m.kind != ResourceKind::Mesh {
                doc.insert("mesh".into(), m.mesh.as_str().into());
            }
            if !labels.is_empty() {
                doc.insert("labels".into(), to_value(&labels));
            }
            if let Some(c) = &m.created {
                doc.insert("creationTime".into(), c.as_str().into());
            }
            match body {
                Value::Object(fields) if !m.kind.universal_body_in_spec() => {
                    for (k, v) in fields {
                        doc.entry(k).or_insert(v);
                    }
                }
                body => {
                    doc.insert("spec".into(), body);
                }
            }
        }
    }
    if let Some(s) = status {
        doc.insert("status".into(), s);
    }
    Value::Object(doc)
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
    strip_nulls(&mut v);
    v
}

/// Absent fields are left out rather than written as `null`.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

fn vips(ips: &[String]) -> Option<Value> {
    (!ips.is_empty()).then(|| {
        serde_json::json!({ "vips": ips.iter().map(|ip| serde_json::json!({ "ip": ip })).collect::<Vec<_>>() })
    })
}

/// The body (`spec`, or the top level of an old Universal kind) and the status.
fn body(b: &Body) -> (Value, Option<Value>) {
    match b {
        Body::Mesh(s) => (to_value(s), None),
        Body::Dataplane(s) => (to_value(s), None),
        Body::MeshService(s) => (to_value(s), vips(&s.vips)),
        Body::MeshMultiZoneService(s) => (to_value(s), vips(&s.vips)),
        Body::MeshExternalService(s) => (
            to_value(s),
            s.vip
                .as_ref()
                .map(|ip| serde_json::json!({ "vip": { "ip": ip } })),
        ),
        Body::MeshGateway(s) => (to_value(s), None),
        Body::Route(s) => (to_value(s), None),
        Body::TrafficRoute(s) => (to_value(s), None),
        Body::ExternalService(s) => (to_value(s), None),
        Body::Legacy(s) => (to_value(s), None),
    }
}

/// The comment written above a derived resource.
pub fn derived_comment(r: &Resource) -> Option<String> {
    let Origin::Derived(d) = &r.meta.origin else {
        return None;
    };
    let mut s = format!("# derived from {} ({})", d.from, d.at);
    if d.placeholder_address {
        s.push_str("; the address is a placeholder: the Pod IP is known only at run time");
    }
    // One comment line, whatever the names hold.
    Some(
        s.chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect(),
    )
}

/// Write `resources` under `dir` (created if missing).
pub fn write(resources: &[Resource], dir: &Path) -> io::Result<Written> {
    let mut by_kind: BTreeMap<ResourceKind, Vec<&Resource>> = BTreeMap::new();
    for r in resources {
        by_kind.entry(r.meta.kind).or_default().push(r);
    }
    fs::create_dir_all(dir)?;
    let mut out = Written::default();
    for (kind, rs) in by_kind {
        let n = ResourceKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(99);
        let path = dir.join(format!("{n:02}-{}.yaml", kind.plural()));
        let mut text = format!("# meshtcp snapshot: {kind} resources\n");
        for r in &rs {
            let y = serde_saphyr::to_string(&document(r))
                .map_err(|e| io::Error::other(format!("cannot write YAML: {e}")))?;
            text.push_str("---\n");
            if let Some(c) = derived_comment(r) {
                text.push_str(&c);
                text.push('\n');
            }
            text.push_str(&y);
            if !y.ends_with('\n') {
                text.push('\n');
            }
        }
        fs::write(&path, text)?;
        out.objects += rs.len();
        out.files.push(path);
    }
    Ok(out)
}
