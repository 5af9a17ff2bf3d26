//! Findings grouped and sorted: one finding per (severity, code, resource, location,
//! message), listing every proxy it concerns with the outbounds concerned. What used to
//! repeat once per proxy (the same cause on a thousand proxies) is one finding. The same
//! message in two files (or at two lines) is two findings.
//!
//! A [`Grouper`] takes findings as the walk makes them and keeps only one per group, so
//! a pass over a large mesh never holds a finding per proxy: each thread groups its own,
//! and [`merge`] groups the groups.

use super::FastMap;
use crate::model::Outbounds;
use crate::model::{Code, Finding, Location, ProxyHit, ProxyRef, ResourceRef, Severity};
use std::cmp::Ordering;
use std::sync::Arc;

/// Findings in report order, grouped.
#[derive(Debug, Default)]
pub struct Findings(Vec<Finding>);

impl Findings {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The findings in report order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Finding> {
        self.0.iter()
    }

    /// The findings in report order, as one list.
    pub fn into_vec(self) -> Vec<Finding> {
        self.0
    }
}

/// Group and sort findings (see the module doc).
pub fn dedup(f: Vec<Finding>) -> Vec<Finding> {
    merge(vec![f]).into_vec()
}

/// Group and sort the findings of several lists together.
pub fn merge(parts: Vec<Vec<Finding>>) -> Findings {
    let mut g = Grouper::default();
    for f in parts.into_iter().flatten() {
        g.add(f);
    }
    g.finish()
}

/// Strings mostly shared (one file name per file, interned messages): the same `Arc`
/// is equal without reading it.
fn same_str(a: &Arc<str>, b: &Arc<str>) -> Ordering {
    if Arc::ptr_eq(a, b) {
        Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// Report order: severity (errors first), code, resource, location, message.
fn report_order(a: &Finding, b: &Finding) -> Ordering {
    // Findings about one policy mostly share its reference: equal without comparing
    // the strings in it.
    let resource = || match (&a.resource, &b.resource) {
        (Some(x), Some(y)) if Arc::ptr_eq(x, y) => Ordering::Equal,
        (x, y) => x.cmp(y),
    };
    let location = || match (&a.location, &b.location) {
        (Some(x), Some(y)) => same_str(&x.file, &y.file).then(x.line.cmp(&y.line)),
        (x, y) => x.cmp(y),
    };
    b.severity
        .cmp(&a.severity)
        .then(a.code.cmp(&b.code))
        .then_with(resource)
        .then_with(location)
        .then_with(|| same_str(&a.message, &b.message))
}

/// What makes two findings one. `Arc` keys: equal references compare by pointer first
/// (std's `Arc` equality for `Eq` types), hashed by value.
type Key<'f> = (
    Severity,
    Code,
    Option<&'f Arc<ResourceRef>>,
    At<'f>,
    &'f str,
);

fn key(x: &Finding) -> Key<'_> {
    (
        x.severity,
        x.code,
        x.resource.as_ref(),
        At(x.location.as_ref()),
        &x.message,
    )
}

/// A finding's location as part of its identity. Hashed by its line and the length of
/// its file name only (equal locations hash alike): most findings of a large mesh are
/// about one policy file, and hashing its path for each is wasted work.
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

/// Findings grouped as they are added: a repeat's proxies join the first of its group.
///
/// The proxies of a group's first finding stay as they are; those of its repeats are
/// kept as pairs of numbers (the proxy, the outbound list), 8 bytes a proxy instead of
/// a [`ProxyHit`]'s 24: a pass over the realistic benchmark mesh adds 368,911 of them
/// one by one. [`Grouper::finish`] makes them [`ProxyHit`]s again. (Merging lists
/// already grouped moves each finding whole.)
#[derive(Default)]
pub struct Grouper {
    list: Vec<Finding>,
    /// `hits[g]`: the proxies of `list[g]`'s repeats, as indices into `proxies` and
    /// `lists`.
    hits: Vec<Vec<(u32, u32)>>,
    table: hashbrown::HashTable<u32>,
    proxies: Numbered<ProxyRef>,
    lists: Numbered<Outbounds>,
}

/// Shared values numbered in the order they are first seen, known by their address
/// (kept alive here, so an address is never another value's).
struct Numbered<T: ?Sized> {
    all: Vec<Arc<T>>,
    at: FastMap<usize, u32>,
    /// The last one asked for: a proxy's findings come one after the other.
    last: Option<(usize, u32)>,
}

impl<T: ?Sized> Default for Numbered<T> {
    fn default() -> Self {
        Numbered {
            all: Vec::new(),
            at: FastMap::default(),
            last: None,
        }
    }
}

impl<T: ?Sized> Numbered<T> {
    fn number(&mut self, a: &Arc<T>) -> u32 {
        let k = Arc::as_ptr(a) as *const () as usize;
        if let Some((lk, n)) = self.last
            && lk == k
        {
            return n;
        }
        let Numbered { all, at, last } = self;
        let n = *at.entry(k).or_insert_with(|| {
            all.push(a.clone());
            (all.len() - 1) as u32
        });
        *last = Some((k, n));
        n
    }
}

impl Grouper {
    fn hash(x: &Finding) -> u64 {
        std::hash::BuildHasher::hash_one(&foldhash::quality::FixedState::default(), key(x))
    }

    pub fn add(&mut self, f: Finding) {
        self.add_with(f, |_| {});
    }

    /// [`Grouper::add`], calling `first` on a finding that starts a group (before it
    /// is kept): work that only the kept copy needs.
    pub fn add_with(&mut self, f: Finding, first: impl FnOnce(&mut Finding)) {
        if let Some((g, f)) = self.group(f, first) {
            let (proxies, lists) = (&mut self.proxies, &mut self.lists);
            self.hits[g].extend(
                f.proxies
                    .iter()
                    .map(|h| (proxies.number(&h.proxy), lists.number(&h.outbounds))),
            );
        }
    }

    /// Start a group with `f` (None), or give `f` back with the group it repeats.
    fn group(
        &mut self,
        mut f: Finding,
        first: impl FnOnce(&mut Finding),
    ) -> Option<(usize, Finding)> {
        let h = Self::hash(&f);
        let list = &mut self.list;
        match self.table.find(h, |&g| key(&list[g as usize]) == key(&f)) {
            Some(&g) => Some((g as usize, f)),
            None => {
                first(&mut f);
                let g = list.len() as u32;
                list.push(f);
                self.hits.push(Vec::new());
                self.table
                    .insert_unique(h, g, |&g| Self::hash(&list[g as usize]));
                None
            }
        }
    }

    /// Add every finding of another grouper.
    pub fn absorb(&mut self, other: Grouper) {
        let Grouper {
            list,
            hits,
            proxies,
            lists,
            ..
        } = other;
        for (f, hits) in list.into_iter().zip(hits) {
            let g = match self.group(f, |_| {}) {
                Some((g, f)) => {
                    let (mine, my_lists) = (&mut self.proxies, &mut self.lists);
                    self.hits[g].extend(
                        f.proxies
                            .iter()
                            .map(|h| (mine.number(&h.proxy), my_lists.number(&h.outbounds))),
                    );
                    g
                }
                None => self.list.len() - 1,
            };
            let (mine, my_lists) = (&mut self.proxies, &mut self.lists);
            self.hits[g].extend(hits.into_iter().map(|(p, l)| {
                (
                    mine.number(&proxies.all[p as usize]),
                    my_lists.number(&lists.all[l as usize]),
                )
            }));
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The groups in report order, each listing its proxies in report order, a proxy
    /// once with each of its outbounds once.
    pub fn finish(self) -> Findings {
        let Grouper {
            mut list,
            hits,
            proxies,
            lists,
            ..
        } = self;
        for (f, hits) in list.iter_mut().zip(hits) {
            f.proxies.extend(hits.into_iter().map(|(p, l)| ProxyHit {
                proxy: proxies.all[p as usize].clone(),
                outbounds: lists.all[l as usize].clone(),
            }));
            tidy(&mut f.proxies);
        }
        list.sort_unstable_by(report_order);
        Findings(list)
    }
}

/// Sort proxies, join a proxy's repeats, sort and dedup its outbounds. In place: the
/// list of a grouped finding can be hundreds of thousands of proxies long.
fn tidy(hits: &mut Vec<ProxyHit>) {
    if hits.is_empty() {
        return;
    }
    let same = |a: &ProxyHit, b: &ProxyHit| Arc::ptr_eq(&a.proxy, &b.proxy) || a.proxy == b.proxy;
    if !hits.is_sorted_by(|a, b| same(a, b) || a.proxy <= b.proxy) {
        hits.sort_by(|a, b| {
            if Arc::ptr_eq(&a.proxy, &b.proxy) {
                Ordering::Equal
            } else {
                a.proxy.cmp(&b.proxy)
            }
        });
    }
    hits.dedup_by(|later, kept| {
        if !same(later, kept) {
            return false;
        }
        let mut all: Vec<Arc<str>> = kept
            .outbounds
            .iter()
            .chain(later.outbounds.iter())
            .cloned()
            .collect();
        all.sort_unstable();
        all.dedup();
        kept.outbounds = Arc::new(all.into());
        true
    });
    for h in hits.iter_mut() {
        if !h.outbounds.is_sorted_by(|a, b| a < b) {
            let mut all = h.outbounds.to_vec();
            all.sort_unstable();
            all.dedup();
            h.outbounds = Arc::new(all.into());
        }
    }
    hits.shrink_to_fit();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProxyRef, Severity};

    fn policy(name: &str) -> ResourceRef {
        ResourceRef {
            kind: "MeshTCPRoute".into(),
            name: name.into(),
            namespace: None,
            mesh: Some("default".into()),
            context: None,
        }
    }

    fn proxy(ns: &str, name: &str) -> Arc<ProxyRef> {
        Arc::new(ProxyRef {
            mesh: "default".into(),
            name: name.into(),
            namespace: Some(ns.into()),
            context: None,
        })
    }

    fn on(p: &Arc<ProxyRef>, route: &str, outbound: &str) -> Finding {
        Finding::new(
            Code::TcprouteIgnoredByHttproute,
            format!("{route} is ignored"),
        )
        .with_resource(policy(route))
        .with_proxy(p.clone())
        .on_outbound(outbound)
    }

    fn names(f: &Finding) -> Vec<String> {
        f.proxies.iter().map(|h| h.proxy.qualified()).collect()
    }

    #[test]
    fn one_cause_on_many_proxies_is_one_finding_listing_them_in_report_order() {
        let (web1, web2, db) = (
            proxy("shop", "web-1"),
            proxy("shop", "web-2"),
            proxy("data", "db"),
        );
        let all = vec![
            on(&web2, "r1", "api:80"),
            on(&web1, "r1", "cache:6379"),
            on(&db, "r1", "api:80"),
            on(&web1, "r1", "api:80"),
            // A copy of web-1 behind another pointer is the same proxy.
            on(&proxy("shop", "web-1"), "r1", "api:80"),
        ];
        let kept = dedup(all);
        assert_eq!(kept.len(), 1);
        assert_eq!(names(&kept[0]), ["data/db", "shop/web-1", "shop/web-2"]);
        let outbounds: Vec<&str> = kept[0].proxies[1].outbounds.iter().map(|o| &**o).collect();
        assert_eq!(
            outbounds,
            ["api:80", "cache:6379"],
            "web-1's outbounds, each once"
        );
        let a = kept[0].affected().unwrap();
        assert_eq!((a.proxies, a.outbounds), (3, 4));
    }

    #[test]
    fn different_causes_and_different_policies_stay_apart() {
        let web = proxy("shop", "web");
        let mut other_cause = on(&web, "r1", "api:80");
        other_cause.message = "r1 is ignored for another reason".into();
        let kept = dedup(vec![
            on(&web, "r1", "api:80"),
            other_cause,
            on(&web, "r2", "api:80"),
        ]);
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_findings_arrive_in() {
        let ps: Vec<_> = (0..12)
            .map(|i| proxy(&format!("ns-{}", i % 3), &format!("dp-{i}")))
            .collect();
        let mut all = Vec::new();
        for (i, p) in ps.iter().enumerate() {
            all.push(on(p, &format!("r{}", i % 4), &format!("svc-{}:80", i % 5)));
            all.push(on(p, "r0", "svc-0:80"));
            all.push(
                Finding::new(Code::PolicySelectsNothing, "r9 selects nothing")
                    .with_resource(policy("r9")),
            );
        }
        all.push(Finding::new(Code::ParseError, "bad.yaml: invalid YAML"));
        let want = dedup(all.clone());
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(dedup(reversed), want);
        let (a, b) = all.split_at(17);
        assert_eq!(
            merge(vec![b.to_vec(), Vec::new(), a.to_vec()]).into_vec(),
            want
        );
        // Errors first, then by code and policy.
        assert_eq!(want[0].severity, Severity::Error);
        assert!(
            want.windows(2)
                .all(|w| report_order(&w[0], &w[1]) == Ordering::Less)
        );
        assert_eq!(
            want.iter()
                .filter(|f| f.code == Code::PolicySelectsNothing)
                .count(),
            1
        );
        assert!(
            want.iter()
                .filter(|f| f.code == Code::PolicySelectsNothing)
                .all(|f| f.proxies.is_empty())
        );
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
