//! `meshtcp snapshot --kube -o DIR`: the cluster's Kuma resources as YAML files that
//! meshtcp (and kubectl) load offline: `DIR/<context>/<NN>-<plural>.yaml`, one document
//! per object, with server-managed metadata (managedFields, uid, resourceVersion …)
//! dropped. `NN` keeps the model's kind order, so the files load in the order the
//! cluster was read.

use super::Store;
use crate::model::ResourceKind;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A context name as a directory name (contexts may hold `:` and `/`).
pub fn dir_name(context: &str) -> String {
    let s: String = context
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub files: Vec<PathBuf>,
    pub objects: usize,
}

/// Write every object of `store` under `dir` (created if missing).
pub fn write(store: &Store, dir: &Path) -> io::Result<Written> {
    let mut by_file: BTreeMap<(usize, ResourceKind), Vec<&serde_json::Value>> = BTreeMap::new();
    for (k, v) in store.objects() {
        by_file.entry((k.ctx, k.kind)).or_default().push(v);
    }
    let mut out = Written::default();
    fs::create_dir_all(dir)?;
    for ((ctx, kind), values) in by_file {
        let context = store.contexts.get(ctx).map(String::as_str).unwrap_or("");
        let sub = dir.join(dir_name(context));
        fs::create_dir_all(&sub)?;
        let n = ResourceKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(99);
        let path = sub.join(format!("{n:02}-{}.yaml", kind.plural()));
        let mut text = format!("# meshtcp snapshot: {kind} resources of context `{context}`\n");
        for v in &values {
            let y = serde_saphyr::to_string(v)
                .map_err(|e| io::Error::other(format!("cannot write YAML: {e}")))?;
            text.push_str("---\n");
            text.push_str(&y);
            if !y.ends_with('\n') {
                text.push('\n');
            }
        }
        fs::write(&path, text)?;
        out.objects += values.len();
        out.files.push(path);
    }
    Ok(out)
}
