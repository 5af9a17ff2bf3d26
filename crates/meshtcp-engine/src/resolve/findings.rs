//! Findings sorted (errors first, then by code, resource, proxy) with their repeats
//! merged: one finding per (code, resource, location, proxy) for proxy findings,
//! listing every outbound; one per (code, resource, location, message) for the others.
//! The same message in two files (or at two lines) is two findings.
//!
//! [`merge`] sorts and merges lists in place, through a list of positions: the findings
//! are neither copied nor joined into one list. A pass over a large mesh keeps its
//! findings in one list per chunk of proxies, and joining them was the peak of the
//! twice-the-routes report (38,000 findings, 3.6 MB copied while the lists were alive).

use crate::model::{Code, Finding, Location, ResourceRef};
use std::cmp::Ordering;
use std::sync::Arc;

/// Findings in report order, repeats merged, still in the lists they were found in.
#[derive(Debug, Default)]
pub struct Findings {
    parts: Vec<Vec<Finding>>,
    /// (list, index) of each kept finding, in report order.
    order: Vec<(u32, u32)>,
}

impl Findings {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The findings in report order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Finding> {
        self.order
            .iter()
            .map(|&(p, i)| &self.parts[p as usize][i as usize])
    }

    /// The findings in report order, as one list.
    pub fn into_vec(mut self) -> Vec<Finding> {
        let mut out = Vec::with_capacity(self.order.len());
        // What a finding moved out leaves behind (its list is dropped afterwards).
        static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| "".into());
        let blank = Finding::new(Code::ParseError, EMPTY.clone());
        for &(p, i) in &self.order {
            let slot = &mut self.parts[p as usize][i as usize];
            out.push(std::mem::replace(slot, blank.clone()));
        }
        out
    }
}

/// Sort findings and merge repeats (see the module doc).
pub fn dedup(f: Vec<Finding>) -> Vec<Finding> {
    merge(vec![f]).into_vec()
}

/// Strings mostly shared (one proxy name per proxy, one file name per file, interned
/// messages): the same `Arc` is equal without reading it.
fn same_str(a: &Arc<str>, b: &Arc<str>) -> Ordering {
    if Arc::ptr_eq(a, b) {
        Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// Report order: severity (errors first), code, resource, proxy, location, message.
fn report_order(a: &Finding, b: &Finding) -> Ordering {
    // Findings about one policy mostly share its reference: equal without comparing
    // the strings in it.
    let resource = || match (&a.resource, &b.resource) {
        (Some(x), Some(y)) if Arc::ptr_eq(x, y) => Ordering::Equal,
        (x, y) => x.cmp(y),
    };
    let proxy = || match (&a.proxy, &b.proxy) {
        (Some(x), Some(y)) => same_str(x, y),
        (x, y) => x.cmp(y),
    };
    b.severity
        .cmp(&a.severity)
        .then(a.code.cmp(&b.code))
        .then_with(resource)
        .then_with(proxy)
        .then_with(|| location_then_message(a, b))
}

/// The last two keys of the report order.
fn location_then_message(a: &Finding, b: &Finding) -> Ordering {
    let location = match (&a.location, &b.location) {
        (Some(x), Some(y)) => same_str(&x.file, &y.file).then(x.line.cmp(&y.line)),
        (x, y) => x.cmp(y),
    };
    location.then_with(|| same_str(&a.message, &b.message))
}

/// What makes two findings repeats of each other. `Arc` keys: equal references
/// compare by pointer first (std's `Arc` equality for `Eq` types), hashed by value.
type Key<'f> = (Code, bool, Option<&'f Arc<ResourceRef>>, At<'f>, &'f str);

fn key(x: &Finding) -> Key<'_> {
    let (r, l) = (x.resource.as_ref(), At(x.location.as_ref()));
    match &x.proxy {
        Some(p) => (x.code, true, r, l, p),
        None => (x.code, false, r, l, &x.message),
    }
}

/// A finding's location as part of its identity. Hashed by its line and the length of
/// its file name only (equal locations hash alike): most findings of a large mesh are
/// about one policy file, and hashing its path for each cost 5% of the merge.
#[derive(PartialEq, Eq)]
struct At<'f>(Option<&'f Location>);

impl std::hash::Hash for At<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        if let Some(l) = self.0 {
            h.write_u32(l.line);
            h.write_usize(l.file.len());
        }
    }
}

/// Sort the findings of `parts` together and merge their repeats.
///
/// Repeats are grouped by hash first and only the kept findings are sorted: a proxy's
/// list is mostly repeats (one TrafficRoute finding per outbound), and sorting them all
/// compared their long messages again and again.
pub fn merge(mut parts: Vec<Vec<Finding>>) -> Findings {
    let total: usize = parts.iter().map(Vec::len).sum();
    // The kept finding of each group of repeats: the first of the group in report
    // order (the earliest in the lists among equals, which differ at most in their
    // outbounds, merged below).
    let mut order: Vec<(u32, u32)> = Vec::with_capacity(total);
    // Each finding's group, in list order.
    let mut group: Vec<u32> = Vec::with_capacity(total);
    {
        let get = |pos: (u32, u32)| &parts[pos.0 as usize][pos.1 as usize];
        let hasher = foldhash::quality::FixedState::default();
        let hash = |x: &Finding| std::hash::BuildHasher::hash_one(&hasher, key(x));
        let mut seen: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(total);
        for (p, v) in parts.iter().enumerate() {
            for (i, x) in v.iter().enumerate() {
                let pos = (p as u32, i as u32);
                let h = hash(x);
                let g = match seen.find(h, |&g| key(get(order[g as usize])) == key(x)) {
                    Some(&g) => {
                        let kept = &mut order[g as usize];
                        if report_order(x, get(*kept)) == Ordering::Less {
                            *kept = pos;
                        }
                        g
                    }
                    None => {
                        let g = order.len() as u32;
                        order.push(pos);
                        seen.insert_unique(h, g, |&g| hash(get(order[g as usize])));
                        g
                    }
                };
                group.push(g);
            }
        }
    }
    // A repeat's outbounds move to the kept finding of its group.
    let mut k = 0;
    for p in 0..parts.len() {
        for i in 0..parts[p].len() {
            let kept = order[group[k] as usize];
            k += 1;
            if kept != (p as u32, i as u32) && parts[p][i].proxy.is_some() {
                let moved = std::mem::take(&mut parts[p][i].outbounds);
                parts[kept.0 as usize][kept.1 as usize]
                    .outbounds
                    .extend(moved);
            }
        }
    }
    drop(group);
    sort_in_report_order(&parts, &mut order);
    for &(p, i) in &order {
        let o = &mut parts[p as usize][i as usize].outbounds;
        o.sort_unstable();
        o.dedup();
    }
    Findings { parts, order }
}

/// Sort positions of `parts` in report order. A large mesh has tens of thousands of
/// findings about a few thousand policies and proxies: those are ranked once, and the
/// findings sorted by rank (their strings compared only on equal ranks).
fn sort_in_report_order(parts: &[Vec<Finding>], order: &mut [(u32, u32)]) {
    let get = |pos: (u32, u32)| &parts[pos.0 as usize][pos.1 as usize];
    if order.len() <= RANKED_MIN {
        // One proxy's findings: ranking them would cost more than it saves.
        order.sort_unstable_by(|&a, &b| report_order(get(a), get(b)));
        return;
    }
    let resources = Ranks::of(order.iter().filter_map(|&p| get(p).resource.as_ref()));
    let proxies = Ranks::of(order.iter().filter_map(|&p| get(p).proxy.as_ref()));
    // (severity, code, resource, proxy) as report_order compares them: errors first,
    // and a missing resource or proxy before any.
    let mut keyed: Vec<(RankKey, (u32, u32))> = order
        .iter()
        .map(|&pos| {
            let f = get(pos);
            let r = f.resource.as_ref().map_or(0, |r| resources.of_ptr(r));
            let p = f.proxy.as_ref().map_or(0, |p| proxies.of_ptr(p));
            ((std::cmp::Reverse(f.severity), f.code, r, p), pos)
        })
        .collect();
    // Unstable: no two kept findings are equal in report order (equal ones are repeats).
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            let (x, y) = (get(a.1), get(b.1));
            location_then_message(x, y)
        })
    });
    for (o, (_, pos)) in order.iter_mut().zip(keyed) {
        *o = pos;
    }
}

/// (severity, code, policy rank, proxy rank) of a finding, in report order.
type RankKey = (std::cmp::Reverse<crate::model::Severity>, Code, u32, u32);

/// Below this many findings, [`sort_in_report_order`] compares them directly.
const RANKED_MIN: usize = 64;

/// The rank (from 1) of each value behind some shared pointers, in value order; equal
/// values behind different pointers get one rank.
struct Ranks<T: ?Sized>(std::collections::HashMap<*const T, u32, foldhash::quality::FixedState>);

impl<T: Ord + ?Sized> Ranks<T> {
    fn of<'f>(items: impl Iterator<Item = &'f Arc<T>>) -> Self
    where
        T: 'f,
    {
        let mut distinct: std::collections::HashMap<
            *const T,
            &Arc<T>,
            foldhash::quality::FixedState,
        > = Default::default();
        for x in items {
            distinct.entry(Arc::as_ptr(x)).or_insert(x);
        }
        let mut sorted: Vec<&Arc<T>> = distinct.into_values().collect();
        sorted.sort_unstable_by_key(|x| &***x);
        let mut ranks =
            std::collections::HashMap::with_capacity_and_hasher(sorted.len(), Default::default());
        let mut rank = 0;
        for (i, x) in sorted.iter().enumerate() {
            if i == 0 || ***x != **sorted[i - 1] {
                rank += 1;
            }
            ranks.insert(Arc::as_ptr(x), rank);
        }
        Ranks(ranks)
    }

    fn of_ptr(&self, x: &Arc<T>) -> u32 {
        self.0[&Arc::as_ptr(x)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn policy(name: &str) -> ResourceRef {
        ResourceRef {
            kind: "MeshTCPRoute".into(),
            name: name.into(),
            namespace: None,
            mesh: Some("default".into()),
            context: None,
        }
    }

    fn on(proxy: &str, route: &str, outbound: &str) -> Finding {
        Finding::new(
            Code::TcprouteIgnoredByHttproute,
            format!("{route} is ignored"),
        )
        .with_resource(policy(route))
        .with_proxy(proxy)
        .on_outbound(outbound)
    }

    #[test]
    fn lists_merged_in_place_give_what_one_joined_list_gives() {
        let a = vec![
            on("web", "r1", "api:80"),
            Finding::new(Code::PolicySelectsNothing, "r9 selects nothing")
                .with_resource(policy("r9")),
            on("db", "r1", "api:80"),
        ];
        let b = vec![
            on("web", "r1", "cache:6379"),
            Finding::new(Code::PolicySelectsNothing, "r9 selects nothing")
                .with_resource(policy("r9")),
            on("web", "r2", "api:80"),
            Finding::new(Code::ParseError, "bad.yaml: invalid YAML"),
        ];
        let merged = merge(vec![a.clone(), Vec::new(), b.clone()]);
        let joined = dedup(a.into_iter().chain(b).collect());
        assert_eq!(merged.iter().cloned().collect::<Vec<_>>(), joined);
        assert_eq!(merged.len(), 5);
        assert_eq!(merged.into_vec(), joined);
        // Errors first; the repeats of (code, policy, proxy) became one finding that
        // lists both outbounds; the policy finding seen twice is listed once.
        assert_eq!(joined[0].severity, Severity::Error);
        let web_r1: Vec<_> = joined
            .iter()
            .filter(|f| f.proxy.as_deref() == Some("web") && f.message.starts_with("r1"))
            .collect();
        assert_eq!(web_r1.len(), 1);
        assert_eq!(
            web_r1[0].outbounds.iter().map(|o| &**o).collect::<Vec<_>>(),
            ["api:80", "cache:6379"]
        );
        assert_eq!(
            joined
                .iter()
                .filter(|f| f.code == Code::PolicySelectsNothing)
                .count(),
            1
        );
    }

    /// What `merge` must give, the plain way: sort everything, keep the first of each
    /// key with the outbounds of its repeats.
    fn reference(mut all: Vec<Finding>) -> Vec<Finding> {
        all.sort_by(report_order);
        let mut out: Vec<Finding> = Vec::new();
        for f in all {
            match out.iter_mut().find(|k| key(k) == key(&f)) {
                Some(k) if f.proxy.is_some() => k.outbounds.extend(f.outbounds),
                Some(_) => {}
                None => out.push(f),
            }
        }
        for f in &mut out {
            f.outbounds.sort();
            f.outbounds.dedup();
        }
        out
    }

    #[test]
    fn repeats_keep_the_first_in_report_order_whatever_the_list_order() {
        // One proxy's findings as the walk makes them: a TrafficRoute finding per
        // outbound whose messages differ (the first in report order is kept), a
        // MeshTCPRoute one on two outbounds, and policy findings without a proxy.
        let tr = |msg: &str, outbound: &str| {
            Finding::new(
                Code::TrafficrouteOverridden,
                format!("route-all is overridden ({msg})"),
            )
            .with_resource(policy("route-all"))
            .with_proxy("web")
            .on_outbound(outbound)
        };
        let lists = vec![
            vec![
                tr("by MeshTCPRoute", "db:5432"),
                on("web", "r1", "api:80"),
                tr("by MeshHTTPRoute", "api:80"),
                Finding::new(Code::PolicySelectsNothing, "r9 selects nothing")
                    .with_resource(policy("r9")),
            ],
            vec![
                tr("by MeshHTTPRoute", "web:8080"),
                on("web", "r1", "cache:6379"),
                tr("by MeshTCPRoute", "cache:6379"),
                Finding::new(Code::PolicySelectsNothing, "r9 selects nothing")
                    .with_resource(policy("r9")),
                on("db", "r1", "api:80"),
            ],
        ];
        let all: Vec<Finding> = lists.iter().flatten().cloned().collect();
        let want = reference(all.clone());
        assert_eq!(merge(lists).into_vec(), want);
        let mut reversed = all;
        reversed.reverse();
        assert_eq!(dedup(reversed), want);
        let kept = want
            .iter()
            .find(|f| f.code == Code::TrafficrouteOverridden)
            .unwrap();
        assert!(
            kept.message.contains("by MeshHTTPRoute"),
            "{}",
            kept.message
        );
        assert_eq!(kept.outbounds.len(), 4);
    }

    #[test]
    fn many_findings_sorted_by_rank_give_the_report_order() {
        // More than RANKED_MIN kept findings: policies and proxies equal in value behind
        // different pointers, findings without a policy or a proxy, and ties on both
        // broken by location and message.
        let mut lists = Vec::new();
        for list in 0..4 {
            let mut v = Vec::new();
            for i in 0..60u32 {
                let route = format!("r{}", (i * 7 + list) % 13);
                let proxy = format!("dp-{}", (i * 5 + list * 3) % 17);
                let mut f = on(&proxy, &route, &format!("svc-{}:80", i % 9));
                if i % 11 == 0 {
                    f.resource = None;
                }
                if i % 13 == 0 {
                    f.proxy = None;
                    f.message = format!("{route} note {}", i % 3).into();
                }
                if i % 7 == 0 {
                    f.code = Code::TrafficrouteOverridden;
                    f.severity = f.code.severity();
                }
                f.location = Some(crate::model::Location {
                    file: format!("policies-{}.yaml", i % 2).into(),
                    line: i % 4,
                });
                v.push(f);
            }
            lists.push(v);
        }
        let all: Vec<Finding> = lists.iter().flatten().cloned().collect();
        let want = reference(all);
        assert!(want.len() > RANKED_MIN, "{} kept", want.len());
        assert_eq!(merge(lists).into_vec(), want);
    }

    #[test]
    fn the_same_message_in_two_files_is_two_findings() {
        let at = |file: &str, line: u32| {
            Finding::new(Code::ParseError, "invalid YAML: unclosed bracket").with_location(Some(
                crate::model::Location {
                    file: file.into(),
                    line,
                },
            ))
        };
        let all = vec![
            at("a.yaml", 3),
            at("b.yaml", 3),
            at("c.yaml", 3),
            at("a.yaml", 3),
        ];
        let kept = dedup(all);
        let files: Vec<&str> = kept
            .iter()
            .map(|f| &*f.location.as_ref().unwrap().file)
            .collect();
        assert_eq!(
            files,
            ["a.yaml", "b.yaml", "c.yaml"],
            "a true repeat still merges"
        );
        let lines = dedup(vec![at("a.yaml", 3), at("a.yaml", 9)]);
        assert_eq!(lines.len(), 2, "two lines of one file are two findings");
    }

    #[test]
    fn nothing_to_merge_is_empty() {
        let f = merge(vec![Vec::new(), Vec::new()]);
        assert!(f.is_empty());
        assert_eq!(f.iter().count(), 0);
        assert!(f.into_vec().is_empty());
    }
}
