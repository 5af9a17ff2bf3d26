//! What differs between two models of the same input (a reload, applied changes,
//! another Kuma version), as nodes of the new one.

use super::{Model, Node, NodeKey, NodeSet, ProxyKey};
use std::collections::HashMap;

/// What differs between two reports, as nodes of the new one.
pub fn changes(old: &Model, new: &Model) -> NodeSet {
    let old_proxies = old.proxy_keys();
    let mut out = NodeSet::default();
    for pi in 0..new.report.proxies.len() as u32 {
        proxy_changes(old, &old_proxies, new, pi, &mut out);
    }
    out
}

/// What differs at proxy `pi` of `new` (and below it) from the same proxy in `old`
/// (`old_proxies` is `old`'s [`Model::proxy_keys`]). Outbounds are compared only when
/// both models have them (lazy mode).
pub fn proxy_changes(
    old: &Model,
    old_proxies: &HashMap<ProxyKey, u32>,
    new: &Model,
    pi: u32,
    out: &mut NodeSet,
) {
    let p = new.proxy(pi);
    let pn = Node::Proxy(pi);
    let Some(&opi) = old_proxies.get(&new.proxy_key(pi)) else {
        out.insert(pn);
        return;
    };
    let oldp = old.proxy(opi);
    // (Not `selected_by`: its order follows the version's precedence rules.)
    if oldp.tags != p.tags || oldp.proxy_type != p.proxy_type {
        out.insert(pn);
    }
    if !old.is_resolved(opi) || !new.is_resolved(pi) {
        return;
    }
    let old_idx = old.proxy_key_index(opi);
    for (oi, o) in p.outbounds.iter().enumerate() {
        let on = Node::Outbound(pi, oi as u32);
        match new.key(on).and_then(|k| old_idx.get(&k).copied()) {
            // Changed as `meshtcp diff` says: not a reason's wording or a policy's line.
            Some(Node::Outbound(a, b))
                if crate::report::diff::parts(old.outbound(a, b), o).is_empty() => {}
            Some(Node::Outbound(a, b)) => {
                out.insert(on);
                out.insert(pn);
                let ob = old.outbound(a, b);
                for (bi, bk) in o.backends.iter().enumerate() {
                    if !ob.backends.contains(bk) {
                        out.insert(Node::Backend(pi, oi as u32, bi as u32));
                    }
                }
            }
            _ => {
                out.insert(on);
                out.insert(pn);
            }
        }
    }
    if oldp.outbounds.len() != p.outbounds.len() {
        out.insert(pn);
    }
}

/// Outbounds that differ between two reports: those of `new` marked in `changed`
/// (new or different), and those of `old` that `new` no longer has.
/// `idx` is the new report's [`Model::key_index`].
pub fn outbounds_changed(old: &Model, idx: &HashMap<NodeKey, Node>, changed: &NodeSet) -> usize {
    let here = changed
        .iter()
        .filter(|n| matches!(n, Node::Outbound(..)))
        .count();
    let mut gone = 0;
    for (pi, p) in old.report.proxies.iter().enumerate() {
        for oi in 0..p.outbounds.len() as u32 {
            let n = Node::Outbound(pi as u32, oi);
            if old.key(n).is_none_or(|k| !idx.contains_key(&k)) {
                gone += 1;
            }
        }
    }
    here + gone
}

/// Proxies of `old` that `new` no longer has.
pub fn removed_proxies(old: &Model, new: &Model) -> usize {
    let keys = new.proxy_keys();
    (0..old.report.proxies.len() as u32)
        .filter(|&p| !keys.contains_key(&old.proxy_key(p)))
        .count()
}
