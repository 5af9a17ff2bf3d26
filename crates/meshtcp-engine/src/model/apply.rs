//! Changes applied on top of a loaded input, as `kubectl apply -f` / `kubectl delete -f`
//! would change what a control plane holds (`meshtcp diff --apply`, `--delete`).

use super::{Finding, Resource, ResourceKind, Snapshot};
use std::collections::{HashMap, HashSet};

/// foldhash, the engine's one hasher.
type Fixed = foldhash::quality::FixedState;

/// What identifies a resource for `--apply`: kind, mesh, namespace, name.
type Key<'r> = (ResourceKind, &'r str, Option<&'r str>, &'r str);

fn key(r: &Resource) -> Key<'_> {
    (
        r.meta.kind,
        r.meta.mesh.as_str(),
        r.meta.namespace.as_deref(),
        r.meta.name.as_str(),
    )
}

impl Snapshot {
    /// Remove every resource with the identity (kind, mesh, namespace, name) of one in
    /// `delete`, then apply `changes` in order: each replaces the resource with its
    /// identity where that one was (so load order, which decides ties, is kept), or is
    /// added at the end; a later change of the same identity replaces an earlier one.
    /// Where the input held an identity twice (a `duplicate-resource`), a change
    /// replaces the first and the others go, as the control plane holds one object per
    /// identity. Returns the resources of the input taken out (replaced or deleted), in
    /// input order.
    pub fn apply(&mut self, changes: Vec<Resource>, delete: &[Resource]) -> Vec<Resource> {
        #[derive(Clone, Copy)]
        enum Slot {
            Input(usize),
            Added(usize),
        }
        type Owned = (ResourceKind, String, Option<String>, String);
        let owned = |k: Key| (k.0, k.1.to_string(), k.2.map(String::from), k.3.to_string());
        let deleted: HashSet<Key, Fixed> = delete.iter().map(key).collect();
        let wanted: HashSet<Key, Fixed> = changes.iter().map(key).collect();
        let mut slot: HashMap<Owned, Slot, Fixed> =
            HashMap::with_capacity_and_hasher(changes.len(), Fixed::default());
        let mut gone = vec![false; self.resources.len()];
        for (i, r) in self.resources.iter().enumerate() {
            let k = key(r);
            if deleted.contains(&k) {
                gone[i] = true;
            } else if wanted.contains(&k) {
                match slot.entry(owned(k)) {
                    std::collections::hash_map::Entry::Occupied(_) => gone[i] = true,
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(Slot::Input(i));
                    }
                }
            }
        }
        let mut removed: Vec<(usize, Resource)> = Vec::new();
        let mut replaced = vec![false; self.resources.len()];
        let mut added: Vec<Resource> = Vec::new();
        for c in changes {
            let k = owned(key(&c));
            match slot.get(&k) {
                Some(&Slot::Input(i)) => {
                    let old = std::mem::replace(&mut self.resources[i], c);
                    // The second time, `old` is an earlier change: not from the input.
                    if !replaced[i] {
                        replaced[i] = true;
                        removed.push((i, old));
                    }
                }
                Some(&Slot::Added(j)) => added[j] = c,
                None => {
                    slot.insert(k, Slot::Added(added.len()));
                    added.push(c);
                }
            }
        }
        let mut out = Vec::with_capacity(self.resources.len() + added.len());
        for (i, r) in std::mem::take(&mut self.resources).into_iter().enumerate() {
            if gone[i] {
                removed.push((i, r));
            } else {
                out.push(r);
            }
        }
        out.extend(added);
        self.resources = out;
        removed.sort_by_key(|(i, _)| *i);
        removed.into_iter().map(|(_, r)| r).collect()
    }
}

/// `findings` without those located at a resource of `gone` (the loader's findings
/// about a document that `--apply` replaced or `--delete` removed).
pub fn without_findings_of(findings: Vec<Finding>, gone: &[Resource]) -> Vec<Finding> {
    let at: HashSet<super::Location, Fixed> = gone
        .iter()
        .filter_map(|r| r.meta.origin.location())
        .collect();
    if at.is_empty() {
        return findings;
    }
    findings
        .into_iter()
        .filter(|f| f.location.as_ref().is_none_or(|l| !at.contains(l)))
        .collect()
}
