//! The diff of two resolutions (`meshtcp diff`, schema `meshtcp.diff/v1` in
//! `report-contract.md`): which outbounds of which proxies a change of the input, or of
//! the Kuma version, adds, removes or changes, and which findings it adds or resolves.
//! Pure: two reports in, the diff out; the writers (text, JSON, markdown) follow.

use crate::model::{Code, Finding, ResourceRef, Severity};
use crate::resolve::{
    Backend, Destination, OutboundReport, PolicyStatus, ProxyReport, Report, Status,
};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;

pub const SCHEMA: &str = "meshtcp.diff/v1";

/// One side of the diff: what was read, under which version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    pub sources: Vec<String>,
    pub kuma_version: String,
    /// `--delete` files whose resources were taken out (the after side of `--apply`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub schema: &'static str,
    pub before: Side,
    pub after: Side,
    pub summary: Summary,
    pub changes: Vec<Change>,
    pub findings: FindingChanges,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Proxies with at least one outbound added, removed or changed.
    pub proxies: usize,
    /// Outbounds added, removed or changed.
    pub outbounds: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub findings_added: usize,
    pub findings_resolved: usize,
}

/// Which proxy a change is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ProxyKey {
    pub mesh: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// The kubeconfig context (`--kube`); absent for files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

impl ProxyKey {
    fn of(p: &ProxyReport) -> ProxyKey {
        ProxyKey {
            mesh: p.mesh.clone(),
            namespace: p.namespace.clone(),
            name: p.name.clone(),
            context: p.context.clone(),
        }
    }

    /// `web-1` or `kuma-demo/web-1`.
    pub fn label(&self) -> String {
        crate::model::qualified_name(self.namespace.as_deref(), &self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }

    /// The symbol that carries the meaning without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            ChangeKind::Added => "+",
            ChangeKind::Removed => "-",
            ChangeKind::Changed => "~",
        }
    }
}

/// Which part of an outbound differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Route,
    Backends,
    Policies,
    Protocol,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub proxy: ProxyKey,
    pub destination: Destination,
    pub change: ChangeKind,
    /// The parts that differ; every part for an added or removed outbound.
    pub what: Vec<Part>,
    pub before: Option<OutboundReport>,
    pub after: Option<OutboundReport>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingChanges {
    pub added: Vec<Finding>,
    pub resolved: Vec<Finding>,
}

impl Diff {
    /// Nothing added, removed, changed, and no finding added or resolved.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.findings.added.is_empty()
            && self.findings.resolved.is_empty()
    }

    /// As `kubectl diff`: 0 when nothing changes, 1 when something does (2, an error,
    /// is the caller's).
    pub fn exit_code(&self) -> i32 {
        if self.is_empty() { 0 } else { 1 }
    }

    /// Findings added at `severity` or over it.
    pub fn findings_added_at(&self, severity: Severity) -> usize {
        self.findings
            .added
            .iter()
            .filter(|f| f.severity >= severity)
            .count()
    }
}

/// The diff of `after` against `before`. The sources are each side's SOURCE labels, for
/// the header and for telling that `old/a.yaml` and `new/a.yaml` are one file (a
/// finding's location is compared below its SOURCE).
pub fn diff(
    before: &Report,
    before_sources: &[String],
    after: &Report,
    after_sources: &[String],
) -> Diff {
    let mut changes = Vec::new();
    let b = sorted_proxies(before);
    let a = sorted_proxies(after);
    let (mut i, mut j) = (0, 0);
    while i < b.len() || j < a.len() {
        let ord = match (b.get(i), a.get(j)) {
            (Some(x), Some(y)) => proxy_key(x).cmp(&proxy_key(y)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (bp, ap) = match ord {
            std::cmp::Ordering::Less => {
                i += 1;
                (Some(b[i - 1]), None)
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (None, Some(a[j - 1]))
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                (Some(b[i - 1]), Some(a[j - 1]))
            }
        };
        diff_proxy(bp, ap, &mut changes);
    }
    let (added, resolved) = diff_findings(
        &before.findings,
        before_sources,
        &after.findings,
        after_sources,
    );
    assemble(
        changes,
        FindingChanges { added, resolved },
        (before_sources, &before.kuma_version),
        (after_sources, &after.kuma_version),
    )
}

/// The diff of its parts: `changes` sorted by proxy, then destination.
fn assemble(
    changes: Vec<Change>,
    findings: FindingChanges,
    before: (&[String], &str),
    after: (&[String], &str),
) -> Diff {
    let count = |k| changes.iter().filter(|c: &&Change| c.change == k).count();
    let proxies = changes
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 0 || changes[i - 1].proxy != c.proxy)
        .count();
    let summary = Summary {
        proxies,
        outbounds: changes.len(),
        added: count(ChangeKind::Added),
        removed: count(ChangeKind::Removed),
        changed: count(ChangeKind::Changed),
        findings_added: findings.added.len(),
        findings_resolved: findings.resolved.len(),
    };
    let side = |(sources, v): (&[String], &str)| Side {
        sources: sources.to_vec(),
        kuma_version: v.to_string(),
        deleted: Vec::new(),
    };
    Diff {
        schema: SCHEMA,
        before: side(before),
        after: side(after),
        summary,
        changes,
        findings,
    }
}

/// One side of [`diff_engines`]: the engine, the loader's findings, the SOURCE labels.
pub struct Input<'e, 'a> {
    pub engine: &'e crate::resolve::Engine<'a>,
    pub load_findings: Vec<Finding>,
    pub sources: Vec<String>,
}

/// [`diff`] of the reports the two engines give for `filter`, without holding either
/// report: the proxies of `before` are resolved on its threads, and each is compared
/// there with the same proxy resolved by `after` ([`Engine::resolve_id`]); `after`'s
/// findings come from its findings-only pass. Memory holds a few proxies at a time and
/// the changes, whatever the size of the mesh. The result is [`diff`]'s.
///
/// [`Engine::resolve_id`]: crate::resolve::Engine::resolve_id
pub fn diff_engines(before: Input, after: Input, filter: &crate::resolve::Filter) -> Diff {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let skeleton = after.engine.skeleton(filter);
    let proxies = &skeleton.report.proxies;
    let index: HashMap<PKey, usize> = proxies
        .iter()
        .enumerate()
        .map(|(i, p)| (proxy_key(p), i))
        .collect();
    let seen: Vec<AtomicBool> = proxies.iter().map(|_| AtomicBool::new(false)).collect();
    // One cache per thread at a time: proxies with one selection share their outbounds.
    let caches: std::sync::Mutex<Vec<crate::resolve::ProxyCache>> = Default::default();
    let resolve_after = |i: usize| {
        let mut cache = caches
            .lock()
            .ok()
            .and_then(|mut c| c.pop())
            .unwrap_or_default();
        let r = after.engine.resolve_id(skeleton.ids[i], &mut cache);
        if let Ok(mut c) = caches.lock() {
            c.push(cache);
        }
        r
    };
    let mut changes: Vec<Change> = Vec::new();
    let mut parts = before.engine.for_each_proxy_unmerged(
        filter,
        crate::resolve::Want::WRITTEN,
        |p| {
            let other = index.get(&proxy_key(&p)).and_then(|&i| {
                seen[i].store(true, Relaxed);
                resolve_after(i)
            });
            let mut out = Vec::new();
            diff_proxy(Some(&p), other.as_ref(), &mut out);
            out
        },
        |mut c| changes.append(&mut c),
    );
    for (i, s) in seen.iter().enumerate() {
        if !s.load(Relaxed)
            && let Some(p) = resolve_after(i)
        {
            diff_proxy(None, Some(&p), &mut changes);
        }
    }
    // Each proxy's changes are in destination order already.
    changes.sort_by(|x, y| x.proxy.cmp(&y.proxy));
    parts.push(before.load_findings);
    let before_findings = crate::resolve::merge(parts).into_vec();
    let after_findings =
        crate::resolve::merge(vec![skeleton.report.findings, after.load_findings]).into_vec();
    let (added, resolved) = diff_findings(
        &before_findings,
        &before.sources,
        &after_findings,
        &after.sources,
    );
    assemble(
        changes,
        FindingChanges { added, resolved },
        (&before.sources, &before.engine.version.to_string()),
        (&after.sources, &after.engine.version.to_string()),
    )
}

type PKey<'r> = (&'r str, Option<&'r str>, &'r str, Option<&'r str>);

fn proxy_key(p: &ProxyReport) -> PKey<'_> {
    (
        &p.mesh,
        p.namespace.as_deref(),
        &p.name,
        p.context.as_deref(),
    )
}

fn sorted_proxies(r: &Report) -> Vec<&ProxyReport> {
    let mut v: Vec<&ProxyReport> = r.proxies.iter().collect();
    // The engine writes them in this order already: a stable sort costs one pass then.
    v.sort_by(|x, y| proxy_key(x).cmp(&proxy_key(y)));
    v
}

/// An outbound's identity: destination kind, namespace, name, port, and which of the
/// outbounds with that destination it is (explicit outbounds can repeat one).
type OKey<'r> = (&'r str, Option<&'r str>, &'r str, u32, usize);

fn sorted_outbounds(p: Option<&ProxyReport>) -> Vec<(OKey<'_>, &OutboundReport)> {
    let Some(p) = p else { return Vec::new() };
    let mut v: Vec<(OKey, &OutboundReport)> = p
        .outbounds
        .iter()
        .map(|o| {
            let d = &o.destination;
            (
                (
                    d.kind.as_str(),
                    d.namespace.as_deref(),
                    d.name.as_str(),
                    d.port,
                    0,
                ),
                o,
            )
        })
        .collect();
    v.sort_by(|x, y| x.0.cmp(&y.0));
    for k in 1..v.len() {
        let (prev, cur) = (v[k - 1].0, v[k].0);
        if (prev.0, prev.1, prev.2, prev.3) == (cur.0, cur.1, cur.2, cur.3) {
            v[k].0.4 = prev.4 + 1;
        }
    }
    v
}

fn diff_proxy(b: Option<&ProxyReport>, a: Option<&ProxyReport>, out: &mut Vec<Change>) {
    let key = || ProxyKey::of(a.or(b).expect("one side has the proxy"));
    let bo = sorted_outbounds(b);
    let ao = sorted_outbounds(a);
    let (mut i, mut j) = (0, 0);
    while i < bo.len() || j < ao.len() {
        let ord = match (bo.get(i), ao.get(j)) {
            (Some(x), Some(y)) => x.0.cmp(&y.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                let o = bo[i].1;
                i += 1;
                out.push(Change {
                    proxy: key(),
                    destination: o.destination.clone(),
                    change: ChangeKind::Removed,
                    what: ALL_PARTS.to_vec(),
                    before: Some(o.clone()),
                    after: None,
                });
            }
            std::cmp::Ordering::Greater => {
                let o = ao[j].1;
                j += 1;
                out.push(Change {
                    proxy: key(),
                    destination: o.destination.clone(),
                    change: ChangeKind::Added,
                    what: ALL_PARTS.to_vec(),
                    before: None,
                    after: Some(o.clone()),
                });
            }
            std::cmp::Ordering::Equal => {
                let (x, y) = (bo[i].1, ao[j].1);
                i += 1;
                j += 1;
                let what = parts(x, y);
                if !what.is_empty() {
                    out.push(Change {
                        proxy: key(),
                        destination: y.destination.clone(),
                        change: ChangeKind::Changed,
                        what,
                        before: Some(x.clone()),
                        after: Some(y.clone()),
                    });
                }
            }
        }
    }
}

const ALL_PARTS: [Part; 4] = [Part::Route, Part::Backends, Part::Policies, Part::Protocol];

/// The parts of an outbound that differ: the route; the backends (which, their weights
/// and shares, whether they resolve); the policies and their statuses (not their
/// reasons or locations); the protocol.
pub fn parts(x: &OutboundReport, y: &OutboundReport) -> Vec<Part> {
    let mut v = Vec::new();
    if x.route != y.route {
        v.push(Part::Route);
    }
    let same_backend = |p: &Backend, q: &Backend| {
        p.kind == q.kind
            && p.name == q.name
            && p.namespace == q.namespace
            && p.port == q.port
            && p.tags == q.tags
            && p.weight == q.weight
            && p.share == q.share
            && p.resolved == q.resolved
    };
    if x.backends.len() != y.backends.len()
        || x.backends
            .iter()
            .zip(&y.backends)
            .any(|(p, q)| !same_backend(p, q))
    {
        v.push(Part::Backends);
    }
    let same_policy = |p: &PolicyStatus, q: &PolicyStatus| {
        p.kind == q.kind && p.name == q.name && p.namespace == q.namespace && p.status == q.status
    };
    if x.policies.len() != y.policies.len()
        || x.policies
            .iter()
            .zip(&y.policies)
            .any(|(p, q)| !same_policy(p, q))
    {
        v.push(Part::Policies);
    }
    if x.protocol != y.protocol {
        v.push(Part::Protocol);
    }
    v
}

/// What makes two findings the same: code, resource, location (the file below its
/// SOURCE, see [`below`], and the line), message, and proxy.
#[derive(PartialEq, Eq, Hash)]
struct FindingId<'f> {
    code: Code,
    resource: Option<&'f ResourceRef>,
    file: Option<&'f str>,
    line: u32,
    message: &'f str,
}

/// `file` as it is named below the SOURCE it was read from, so that `old/a.yaml` and
/// `new/a.yaml` are one file, and so is `pr/a.yaml` given to `--apply`: the path below
/// a directory SOURCE; the file name of a file SOURCE, or nothing at all when each side
/// is one file (`diff old.yaml new.yaml` compares the two). A file under no SOURCE (the
/// demo) is compared whole.
fn below<'f>(file: &'f str, sources: &[String], one_file_each: bool) -> &'f str {
    for s in sources {
        if file == s {
            if one_file_each {
                return "";
            }
            return file.rsplit('/').next().unwrap_or(file);
        }
        if let Some(rest) = file.strip_prefix(s.as_str()) {
            if s.ends_with('/') {
                return rest;
            }
            if let Some(rest) = rest.strip_prefix('/') {
                return rest;
            }
        }
    }
    file
}

fn id<'f>(f: &'f Finding, sources: &[String], one_file_each: bool) -> FindingId<'f> {
    FindingId {
        code: f.code,
        resource: f.resource.as_deref(),
        file: f
            .location
            .as_ref()
            .map(|l| below(&l.file, sources, one_file_each)),
        line: f.location.as_ref().map_or(0, |l| l.line),
        message: &f.message,
    }
}

/// (added, resolved): the findings of `after` that `before` does not have, and those of
/// `before` that `after` does not have, each in its report's order. A finding listed
/// twice on one side and once on the other is added (or resolved) once.
fn diff_findings(
    before: &[Finding],
    before_sources: &[String],
    after: &[Finding],
    after_sources: &[String],
) -> (Vec<Finding>, Vec<Finding>) {
    let one_file_each = before_sources.len() == 1 && after_sources.len() == 1;
    let only = |this: &[Finding], this_src: &[String], other: &[Finding], other_src: &[String]| {
        let mut count: HashMap<FindingId, usize> = HashMap::with_capacity(other.len());
        for f in other {
            *count.entry(id(f, other_src, one_file_each)).or_default() += 1;
        }
        this.iter()
            .filter(|f| match count.get_mut(&id(f, this_src, one_file_each)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            })
            .cloned()
            .collect::<Vec<Finding>>()
    };
    (
        only(after, after_sources, before, before_sources),
        only(before, before_sources, after, after_sources),
    )
}

// ------------------------------------------------------------------------- writers

/// The diff as the contract's JSON.
pub fn to_json(d: &Diff) -> String {
    let mut s = serde_json::to_string_pretty(d).expect("the diff serializes");
    s.push('\n');
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `2 outbounds changed on 1 proxy (1 added, 0 removed, 1 changed) · findings: 1 added
/// (1 error), 2 resolved`, or `no change`.
pub fn summary_line(d: &Diff) -> String {
    if d.is_empty() {
        return "no change".into();
    }
    let s = &d.summary;
    let mut out = if s.outbounds == 0 {
        "no outbound changed".to_string()
    } else {
        format!(
            "{} changed on {} ({} added, {} removed, {} changed)",
            plural(s.outbounds, "outbound", "outbounds"),
            plural(s.proxies, "proxy", "proxies"),
            s.added,
            s.removed,
            s.changed
        )
    };
    let _ = write!(out, " · findings: {} added", s.findings_added);
    let sev: Vec<String> = [Severity::Error, Severity::Warning, Severity::Info]
        .into_iter()
        .filter_map(|v| {
            let n = d.findings.added.iter().filter(|f| f.severity == v).count();
            let word = super::marks::severity(v).1;
            (n > 0).then(|| match (n, v) {
                (1, _) | (_, Severity::Info) => format!("{n} {word}"),
                _ => format!("{n} {word}s"),
            })
        })
        .collect();
    if !sev.is_empty() {
        let _ = write!(out, " ({})", sev.join(", "));
    }
    let _ = write!(out, ", {} resolved", s.findings_resolved);
    out
}

/// `Kuma 2.14` or `Kuma 2.5 → 2.6`.
fn versions(d: &Diff) -> String {
    if d.before.kuma_version == d.after.kuma_version {
        format!("Kuma {}", d.before.kuma_version)
    } else {
        format!("Kuma {} → {}", d.before.kuma_version, d.after.kuma_version)
    }
}

/// `old/ → new/`, `dir/ + change.yaml`, or `dir/` when both sides read the same.
fn sources_line(d: &Diff) -> String {
    let (b, a) = (&d.before.sources, &d.after.sources);
    let mut s = if a == b {
        b.join(", ")
    } else if a.len() > b.len() && a[..b.len()] == b[..] {
        format!("{} + {}", b.join(", "), a[b.len()..].join(", "))
    } else {
        format!("{} → {}", b.join(", "), a.join(", "))
    };
    if !d.after.deleted.is_empty() {
        let _ = write!(s, " − {}", d.after.deleted.join(", "));
    }
    s
}

/// A backend's identity for pairing before and after: everything but its weight.
fn backend_id(b: &Backend) -> String {
    format!("{} {}", b.kind, super::text::backend_name(b))
}

/// `90% (weight 90)`; `unresolved` when its name matches nothing.
fn backend_value(b: &Backend) -> String {
    let mut s = format!("{} (weight {})", super::share_pct(b.share), b.weight);
    if !b.resolved {
        s.push_str(", not found");
    }
    s
}

/// Backends of both sides, paired: (name, before, after), in the after side's order,
/// then those only before.
fn backend_rows(
    x: Option<&OutboundReport>,
    y: Option<&OutboundReport>,
) -> Vec<(String, Option<String>, Option<String>)> {
    let none: &[Backend] = &[];
    let bx = x.map_or(none, |o| &o.backends);
    let by = y.map_or(none, |o| &o.backends);
    let mut rows = Vec::new();
    let mut used = vec![false; bx.len()];
    for q in by {
        let k = backend_id(q);
        let p = bx
            .iter()
            .enumerate()
            .find(|(i, p)| !used[*i] && backend_id(p) == k);
        if let Some((i, _)) = p {
            used[i] = true;
        }
        rows.push((
            super::text::backend_name(q),
            p.map(|(_, p)| backend_value(p)),
            Some(backend_value(q)),
        ));
    }
    for (i, p) in bx.iter().enumerate() {
        if !used[i] {
            rows.push((super::text::backend_name(p), Some(backend_value(p)), None));
        }
    }
    rows
}

/// A policy row of a changed outbound: kind and name, status before, after, and the
/// after side's reason when it is not applied.
type PolicyRow = (String, Option<Status>, Option<Status>, Option<String>);

/// Policies whose status differs (or that one side lacks).
fn policy_rows(x: Option<&OutboundReport>, y: Option<&OutboundReport>) -> Vec<PolicyRow> {
    let none: &[PolicyStatus] = &[];
    let px = x.map_or(none, |o| &o.policies);
    let py = y.map_or(none, |o| &o.policies);
    let same = |p: &PolicyStatus, q: &PolicyStatus| {
        p.kind == q.kind && p.name == q.name && p.namespace == q.namespace
    };
    let name = |p: &PolicyStatus| match &p.namespace {
        Some(ns) => format!("{} {ns}/{}", p.kind, p.name),
        None => format!("{} {}", p.kind, p.name),
    };
    let mut rows = Vec::new();
    for q in py {
        let before = px.iter().find(|p| same(p, q)).map(|p| p.status);
        if before != Some(q.status) {
            let why = (q.status != Status::Applied).then(|| q.reason.clone());
            rows.push((name(q), before, Some(q.status), why));
        }
    }
    for p in px {
        if !py.iter().any(|q| same(p, q)) {
            rows.push((name(p), Some(p.status), None, None));
        }
    }
    rows
}

fn status_word(s: Option<Status>) -> String {
    match s {
        Some(s) => {
            let (sym, word) = super::marks::status(s);
            format!("{sym} {word}")
        }
        None => "—".into(),
    }
}

/// `TrafficRoute → MeshTCPRoute`, or the one route when it did not change.
fn route_text(c: &Change) -> String {
    match (&c.before, &c.after) {
        (Some(x), Some(y)) if x.route != y.route => {
            format!("{} → {}", x.route.as_str(), y.route.as_str())
        }
        (_, Some(o)) | (Some(o), None) => o.route.as_str().to_string(),
        (None, None) => String::new(),
    }
}

struct Paint(bool);

impl Paint {
    fn p(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn change(&self, k: ChangeKind) -> String {
        let code = match k {
            ChangeKind::Added => "32",
            ChangeKind::Removed => "31",
            ChangeKind::Changed => "33",
        };
        self.p(code, &format!("{} {:<7}", k.symbol(), k.as_str()))
    }
}

/// The diff for a terminal: per mesh and proxy, each outbound added, removed or changed
/// with its route before → after, its backends with their shares before → after and
/// the policies whose status changed; then the findings added and resolved. Meaning is
/// in the symbols and words (`+ added`, `- removed`, `~ changed`); colour repeats it.
pub fn render_text(d: &Diff, opts: super::TextOptions) -> String {
    let p = Paint(opts.color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · {} · {}",
        p.p("1", "meshtcp diff"),
        versions(d),
        summary_line(d)
    );
    let _ = writeln!(
        out,
        "{}",
        p.p("2", &format!("sources: {}", sources_line(d)))
    );
    let mut mesh: Option<&str> = None;
    let mut proxy: Option<&ProxyKey> = None;
    for c in &d.changes {
        if mesh != Some(&c.proxy.mesh) {
            let _ = writeln!(out, "\n{}", p.p("1", &format!("mesh {}", c.proxy.mesh)));
            mesh = Some(&c.proxy.mesh);
            proxy = None;
        }
        if proxy != Some(&c.proxy) {
            let ctx = c
                .proxy
                .context
                .as_ref()
                .map(|x| format!("  (context {x})"))
                .unwrap_or_default();
            let _ = writeln!(out, "● {}{ctx}", p.p("1", &c.proxy.label()));
            proxy = Some(&c.proxy);
        }
        let _ = writeln!(
            out,
            "  {} {}  {}",
            p.change(c.change),
            p.p("1", &c.destination.shown()),
            route_text(c)
        );
        let (x, y) = (c.before.as_ref(), c.after.as_ref());
        if let (Some(x), Some(y)) = (x, y)
            && x.protocol != y.protocol
        {
            let _ = writeln!(
                out,
                "              protocol {} → {}",
                x.protocol, y.protocol
            );
        }
        if c.change != ChangeKind::Changed || c.what.contains(&Part::Backends) {
            let rows = backend_rows(x, y);
            let w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
            let v = rows
                .iter()
                .map(|r| r.1.as_ref().map_or(1, |s| s.chars().count()))
                .max()
                .unwrap_or(0);
            for (name, b, a) in rows {
                let line = match c.change {
                    ChangeKind::Changed => format!(
                        "{:<w$}  {:>v$} → {}",
                        name,
                        b.as_deref().unwrap_or("—"),
                        a.as_deref().unwrap_or("—")
                    ),
                    _ => format!("{name:<w$}  {}", a.or(b).unwrap_or_default()),
                };
                let _ = writeln!(out, "              ⇢ {}", line.trim_end());
            }
        }
        if c.change == ChangeKind::Changed && c.what.contains(&Part::Policies) {
            for (name, b, a, why) in policy_rows(x, y) {
                let _ = writeln!(
                    out,
                    "              {name}  {} → {}",
                    status_word(b),
                    status_word(a)
                );
                if let Some(why) = why {
                    let _ = writeln!(out, "                  {}", p.p("2", &why));
                }
            }
        }
    }
    for (title, sym, list) in [
        ("Findings added", "+", &d.findings.added),
        ("Findings resolved", "-", &d.findings.resolved),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", p.p("1", &format!("{title} ({})", list.len())));
        for f in list {
            let _ = writeln!(out, "{sym} {}", super::text::finding_text(f));
        }
    }
    super::text::printable(out, opts.color)
}

/// Markdown text from the input: nothing in a name or message can open a link, a
/// table cell, HTML or emphasis.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    super::text::printable(out, false)
}

/// Proxies given a table in the markdown diff, at most: a pull-request comment has a
/// size limit (65,536 characters on GitHub); the JSON has everything.
pub const MARKDOWN_MAX_PROXIES: usize = 50;

/// The diff as a pull-request comment: a summary line, a table per proxy (destination,
/// route before → after, backends with shares before → after, policies whose status
/// changed), the findings added and resolved.
pub fn render_markdown(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "**meshtcp diff**: {}\n", md(&summary_line(d)));
    let _ = writeln!(out, "{} · {}", md(&versions(d)), md(&sources_line(d)));
    let mut shown = 0;
    let mut left = 0;
    let mut i = 0;
    while i < d.changes.len() {
        let key = &d.changes[i].proxy;
        let n = d.changes[i..]
            .iter()
            .take_while(|c| &c.proxy == key)
            .count();
        let group = &d.changes[i..i + n];
        i += n;
        if shown == MARKDOWN_MAX_PROXIES {
            left += 1;
            continue;
        }
        shown += 1;
        let _ = writeln!(
            out,
            "\n#### {} · mesh {}\n",
            md(&key.label()),
            md(&key.mesh)
        );
        let _ = writeln!(out, "| | destination | route | backends | policies |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for c in group {
            let (x, y) = (c.before.as_ref(), c.after.as_ref());
            let mut route = md(&route_text(c));
            if let (Some(x), Some(y)) = (x, y)
                && x.protocol != y.protocol
            {
                let _ = write!(route, " ({} → {})", md(&x.protocol), md(&y.protocol));
            }
            let backends = if c.change != ChangeKind::Changed || c.what.contains(&Part::Backends) {
                backend_rows(x, y)
                    .into_iter()
                    .map(|(name, b, a)| match c.change {
                        ChangeKind::Changed => format!(
                            "{} {} → {}",
                            md(&name),
                            md(b.as_deref().unwrap_or("—")),
                            md(a.as_deref().unwrap_or("—"))
                        ),
                        _ => format!("{} {}", md(&name), md(&a.or(b).unwrap_or_default())),
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            } else {
                "(same)".into()
            };
            let policies = if c.change == ChangeKind::Changed {
                policy_rows(x, y)
                    .into_iter()
                    .map(|(name, b, a, _)| {
                        format!("{}: {} → {}", md(&name), status_word(b), status_word(a))
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} | {} |",
                c.change.symbol(),
                c.change.as_str(),
                md(&c.destination.shown()),
                route,
                backends,
                policies
            );
        }
    }
    if left > 0 {
        let _ = writeln!(
            out,
            "\n… and {left} more {} (the JSON output, `-o json`, lists every change).",
            if left == 1 { "proxy" } else { "proxies" }
        );
    }
    for (title, list) in [
        ("Findings added", &d.findings.added),
        ("Findings resolved", &d.findings.resolved),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n#### {title} ({})\n", list.len());
        for f in list {
            let (sym, word) = super::marks::severity(f.severity);
            let mut line = format!(
                "- {sym} **{word}** {} {}",
                md(f.code.as_str()),
                md(&f.message)
            );
            if let Some(c) = super::text::concerns(f) {
                let _ = write!(line, " (on {})", md(&c));
            }
            if let Some(l) = &f.location {
                let _ = write!(line, " — {}", md(&l.to_string()));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// One side's report as the diff compares it: the fields the JSON report writes (no
/// [`ProxyReport::selected_by`]), the loader's `load_findings` merged into the engine's.
pub fn side_report(
    engine: &crate::resolve::Engine,
    filter: &crate::resolve::Filter,
    load_findings: Vec<Finding>,
) -> Report {
    let mut proxies = Vec::new();
    let mut parts = engine.for_each_proxy_unmerged(
        filter,
        crate::resolve::Want::WRITTEN,
        |p| p,
        |p| proxies.push(p),
    );
    parts.push(load_findings);
    Report {
        schema: crate::resolve::SCHEMA,
        kuma_version: engine.version.to_string(),
        proxies,
        findings: crate::resolve::merge(parts).into_vec(),
    }
}
