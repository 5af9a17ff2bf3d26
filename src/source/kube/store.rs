//! The cluster objects read so far, keyed by context, kind, namespace and name, and what
//! could not be read. Both the one-shot list and the watchers fill it; it turns into a
//! [`Loaded`] in a fixed order (contexts as given, kinds as [`ResourceKind::ALL`], then
//! namespace and name), so a list and a watch of the same cluster resolve alike.

use crate::model::{Finding, Origin, ResourceKind};
use crate::source::Loaded;
use crate::source::decode::{Decoded, decode_at};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where an object lives: `ctx` indexes [`Store::contexts`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    pub ctx: usize,
    pub kind: ResourceKind,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjKey {
    /// The key of a Kubernetes object (`metadata.namespace`, `metadata.name`).
    pub fn of(ctx: usize, kind: ResourceKind, v: &Value) -> Option<ObjKey> {
        let md = v.get("metadata")?;
        let name = md.get("name")?.as_str()?.to_string();
        let namespace = md
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from);
        Some(ObjKey {
            ctx,
            kind,
            namespace,
            name,
        })
    }

    /// `Kind ns/name`, for change notes.
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    decoded: Cached,
}

#[derive(Debug, Clone)]
enum Cached {
    Resource(Box<crate::model::Resource>),
    Finding(Box<Finding>),
    Foreign,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Modified,
    Unchanged,
}

#[derive(Debug, Clone, Default)]
pub struct Store {
    pub contexts: Vec<String>,
    objects: BTreeMap<ObjKey, Entry>,
    /// Findings about kinds (absent, forbidden, failed), by (context, kind name).
    notes: BTreeMap<(usize, String), Finding>,
}

/// Drop what the server adds and a snapshot or a model does not need.
pub fn clean(mut v: Value) -> Value {
    if let Some(md) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "generation",
            "selfLink",
            "ownerReferences",
            "finalizers",
        ] {
            md.remove(k);
        }
        if let Some(a) = md.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            if a.is_empty() {
                md.remove("annotations");
            }
        }
    }
    v
}

impl Store {
    pub fn new(contexts: Vec<String>) -> Store {
        Store {
            contexts,
            ..Store::default()
        }
    }

    fn entry(&self, key: &ObjKey, value: Value) -> Entry {
        let origin = Origin::Cluster {
            context: self.contexts.get(key.ctx).cloned().unwrap_or_default(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        };
        let decoded = match decode_at(origin, value.clone()) {
            Decoded::Resource(r) => Cached::Resource(r),
            Decoded::Finding(f) => Cached::Finding(Box::new(f)),
            Decoded::Foreign => Cached::Foreign,
        };
        Entry { value, decoded }
    }

    /// Add or replace one object.
    pub fn upsert(&mut self, ctx: usize, kind: ResourceKind, value: Value) -> Change {
        let value = clean(value);
        let Some(key) = ObjKey::of(ctx, kind, &value) else {
            return Change::Unchanged;
        };
        if let Some(old) = self.objects.get(&key)
            && old.value == value
        {
            return Change::Unchanged;
        }
        let e = self.entry(&key, value);
        match self.objects.insert(key, e) {
            Some(_) => Change::Modified,
            None => Change::Added,
        }
    }

    /// Remove one object; true when it was there.
    pub fn delete(&mut self, ctx: usize, kind: ResourceKind, value: &Value) -> bool {
        ObjKey::of(ctx, kind, value).is_some_and(|k| self.objects.remove(&k).is_some())
    }

    /// Replace every object of one kind of one context (a list or a re-list); returns
    /// the keys that were added, changed or removed.
    pub fn replace_kind(
        &mut self,
        ctx: usize,
        kind: ResourceKind,
        values: Vec<Value>,
    ) -> Vec<ObjKey> {
        let mut changed = Vec::new();
        let mut fresh = BTreeMap::new();
        for v in values {
            let v = clean(v);
            if let Some(k) = ObjKey::of(ctx, kind, &v) {
                fresh.insert(k, v);
            }
        }
        let old: Vec<ObjKey> = self
            .objects
            .keys()
            .filter(|k| k.ctx == ctx && k.kind == kind)
            .cloned()
            .collect();
        for k in old {
            if !fresh.contains_key(&k) {
                self.objects.remove(&k);
                changed.push(k);
            }
        }
        for (k, v) in fresh {
            if self.objects.get(&k).is_some_and(|e| e.value == v) {
                continue;
            }
            let e = self.entry(&k, v);
            self.objects.insert(k.clone(), e);
            changed.push(k);
        }
        self.notes.remove(&(ctx, kind.as_str().to_string()));
        changed
    }

    /// Record a finding about a kind (replaces an earlier one for the same kind).
    pub fn note(&mut self, ctx: usize, f: Finding) {
        let kind = f
            .resource
            .as_ref()
            .map(|r| r.kind.clone())
            .unwrap_or_default();
        self.notes.insert((ctx, kind), f);
    }

    /// Whether a finding about this kind of this context is recorded.
    pub fn has_note(&self, ctx: usize, kind: ResourceKind) -> bool {
        self.notes.contains_key(&(ctx, kind.as_str().to_string()))
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The objects as read (cleaned), in model order.
    pub fn objects(&self) -> impl Iterator<Item = (&ObjKey, &Value)> {
        self.objects.iter().map(|(k, e)| (k, &e.value))
    }

    /// The model: every object decoded, plus the findings about kinds.
    pub fn to_loaded(&self) -> Loaded {
        let mut out = Loaded::default();
        for e in self.objects.values() {
            out.stats.documents += 1;
            out.add_decoded(match &e.decoded {
                Cached::Resource(r) => Decoded::Resource(r.clone()),
                Cached::Finding(f) => Decoded::Finding((**f).clone()),
                Cached::Foreign => Decoded::Foreign,
            });
        }
        out.findings.extend(self.notes.values().cloned());
        out
    }
}
