//! Sources: files, directories, stdin and the embedded demo. They produce the model plus
//! located findings; nothing here decides routing.

pub mod cp;
pub mod decode;
pub mod demo;
pub mod derive;
mod fastyaml;
pub mod fields;
pub mod input;
pub mod kube;
pub mod node;
pub mod snapshot;
pub mod yaml;

use crate::model::{Code, Finding, Location, Resource, Snapshot};
use decode::Decoded;
use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files larger than this are not read (a finding says so).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Directory depth below a SOURCE at which the walk stops.
pub const MAX_DIR_DEPTH: usize = 64;
/// Findings kept per file: a 64 MiB list of 30 million broken items would otherwise
/// make 30 million findings (gigabytes). One more finding counts the rest.
pub const MAX_FINDINGS_PER_FILE: usize = 100;

/// One SOURCE argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(PathBuf),
    Stdin,
    /// The demo mesh compiled into the binary.
    Demo,
}

impl Source {
    pub fn parse(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }

    pub fn label(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Stdin => "-".into(),
            Source::Demo => "demo (embedded)".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub files: usize,
    pub documents: usize,
    pub resources: usize,
    /// Kubernetes objects of other API groups, skipped.
    pub foreign: usize,
    /// Namespaces, workloads and Services kept to derive Dataplanes and MeshServices.
    pub kube_objects: usize,
    /// Dataplanes and MeshServices derived from them.
    pub derived: usize,
}

/// The model loaded from some sources, with what went wrong on the way.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub snapshot: Snapshot,
    pub findings: Vec<Finding>,
    pub stats: LoadStats,
    /// Kubernetes objects read but not yet derived from (see [`Loaded::derive`]).
    pub kube: Vec<derive::KubeObject>,
    /// Documents dropped because a later one defines the same resource.
    dropped: Vec<Dropped>,
}

/// A document dropped for a later definition of the same resource.
#[derive(Debug, Clone)]
struct Dropped {
    kind: crate::model::ResourceKind,
    mesh: String,
    namespace: Option<String>,
    name: String,
    context: Option<String>,
    zone: Option<String>,
    resource: std::sync::Arc<crate::model::ResourceRef>,
    origin: crate::model::Origin,
}

/// What makes two documents the same resource: kind, mesh, namespace (none for
/// Universal and cluster-scoped kinds), name, a cluster object's context, and the
/// `kuma.io/zone` label.
type Identity<'r> = (
    crate::model::ResourceKind,
    &'r str,
    Option<&'r str>,
    &'r str,
    Option<&'r str>,
    Option<&'r str>,
);

fn identity(r: &Resource) -> Identity<'_> {
    let m = &r.meta;
    (
        m.kind,
        &m.mesh,
        m.namespace.as_deref(),
        &m.name,
        m.origin.context(),
        // Exports of two zones may hold a resource of the same name each: they are
        // two resources (their zone control planes' stores), not one applied twice.
        m.zone(),
    )
}

/// A file that is not manifests to read as they are: a template (one finding at its
/// first marker, instead of a YAML error per document) or a Kustomize file.
fn not_manifests(label: &str, text: &str) -> Option<(u32, String)> {
    let name = Path::new(label)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let find = |needle: &str| memchr::memmem::find(text.as_bytes(), needle.as_bytes());
    // Whole-text searches first (SIMD): most files have neither, and are not read twice.
    let kustomize_api = find("kustomize.config.k8s.io").and_then(|_| {
        text.lines().position(|l| {
            l.trim_start()
                .starts_with("apiVersion: kustomize.config.k8s.io")
        })
    });
    if matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    ) || kustomize_api.is_some()
    {
        return Some((
            kustomize_api.map_or(1, |i| i as u32 + 1),
            "a Kustomize file, not Kuma resources: render it with `kubectl kustomize DIR` (or `kustomize build DIR`) and give meshtcp the output; the files it lists are read as they are, without its patches".into(),
        ));
    }
    if find("{{").is_none() && find("{%").is_none() {
        return None;
    }
    for (n, l) in (1u32..).zip(text.lines()) {
        if l.trim_start().starts_with('#') {
            continue;
        }
        let marker = |open: &str, close: &str| {
            l.find(open)
                .is_some_and(|i| l[i + open.len()..].contains(close))
        };
        if marker("{{", "}}") || marker("{%", "%}") {
            return Some((
                n,
                "looks like a Helm/Go/Liquid template (`{{ … }}` markers): render it first (`helm template …`) and give meshtcp the output; file skipped".into(),
            ));
        }
    }
    None
}

/// The `unknown-field` finding for a field `meta`'s kind does not have.
fn unknown_field(
    meta: &crate::model::Meta,
    u: &fields::Unknown,
    file: &std::sync::Arc<str>,
    line: u32,
) -> Finding {
    let field = u.path.last_key().unwrap_or("");
    let tcp = meta.kind == crate::model::ResourceKind::MeshTCPRoute;
    let hint = if tcp && matches!(field, "matches" | "filters" | "hostnames") {
        " (a MeshTCPRoute routes connections, not requests: HTTP `matches`, `filters` and `hostnames` belong in a MeshHTTPRoute)".to_string()
    } else if let Some(near) = u
        .allowed
        .iter()
        .find(|a| a.len() > 2 && crate::resolve::distance(a, field, 2).is_some())
    {
        format!(" (did you mean `{near}`?)")
    } else {
        format!(" (allowed there: {})", u.allowed.join(", "))
    };
    Finding::new(
        Code::UnknownField,
        format!(
            "{} {}: `{}` is not a field of {} in Kuma's schema{hint}: {}, so what it says has no effect",
            meta.kind,
            meta.qualified_name(),
            u.path,
            meta.kind,
            match meta.format {
                crate::model::Format::Kubernetes => "Kubernetes prunes it when the object is stored",
                crate::model::Format::Universal => "the control plane ignores it",
            }
        ),
    )
    .with_resource(meta.resource_ref())
    .with_location(Some(Location {
        file: file.clone(),
        line,
    }))
}

impl Loaded {
    /// Add every document of `text` (read from `label`). At most
    /// [`MAX_FINDINGS_PER_FILE`] findings are kept per file; one more says how many
    /// were left out. A template or a Kustomize file is one finding and nothing else.
    pub fn add_text(&mut self, label: &str, text: &str) {
        self.stats.files += 1;
        // One copy of the path for every object and finding of this file.
        let file: std::sync::Arc<str> = label.into();
        if let Some((line, message)) = not_manifests(label, text) {
            self.findings.push(
                Finding::new(Code::ParseError, message)
                    .with_location(Some(Location { file, line })),
            );
            return;
        }
        let mut kept = 0usize;
        let mut left_out: Option<(usize, Code)> = None;
        let mut keep = |findings: &mut Vec<Finding>, f: Finding| {
            if kept < MAX_FINDINGS_PER_FILE {
                kept += 1;
                findings.push(f);
            } else {
                let (n, worst) = left_out.get_or_insert((0, f.code));
                *n += 1;
                if f.severity > worst.severity() {
                    *worst = f.code;
                }
            }
        };
        // The start of every line, computed when a finding first needs a field's line.
        let mut lines: Option<fields::Lines> = None;
        yaml::for_each_document(text, true, &mut |line, doc| {
            self.stats.documents += 1;
            let mut place = |path: &fields::FieldPath| {
                lines
                    .get_or_insert_with(|| fields::Lines::new(text))
                    .locate(line, path)
            };
            match doc {
                // `line` is the error's own line.
                Err(message) => keep(
                    &mut self.findings,
                    Finding::new(Code::ParseError, message).with_location(Some(Location {
                        file: file.clone(),
                        line,
                    })),
                ),
                Ok(node) => {
                    if let Some(o) = derive::KubeObject::read(&node, || {
                        crate::model::Origin::file(file.clone(), line)
                    }) {
                        self.stats.kube_objects += 1;
                        self.kube.push(o);
                        return;
                    }
                    let out = decode::decode_node_full(
                        crate::model::Origin::file(file.clone(), line),
                        node,
                    );
                    match out.decoded {
                        Decoded::Finding(mut f) => {
                            if let (Some(p), Some(loc)) = (&out.field, f.location.as_mut())
                                && let Some(l) = place(p)
                            {
                                loc.line = l;
                            }
                            keep(&mut self.findings, f)
                        }
                        Decoded::Resource(r) => {
                            for u in &out.unknown {
                                let at = place(&u.path).unwrap_or(line);
                                keep(&mut self.findings, unknown_field(&r.meta, u, &file, at));
                            }
                            self.add_decoded(Decoded::Resource(r));
                        }
                        d => self.add_decoded(d),
                    }
                }
            }
        });
        if let Some((n, worst)) = left_out {
            self.findings.push(
                Finding::new(
                    worst,
                    format!(
                        "{n} more findings in this file are not listed (at most {MAX_FINDINGS_PER_FILE} per file)"
                    ),
                )
                .with_location(Some(Location { file, line: 1 })),
            );
        }
    }

    fn add_decoded(&mut self, d: Decoded) {
        match d {
            Decoded::Resource(r) => {
                self.stats.resources += 1;
                self.snapshot.resources.push(*r);
            }
            Decoded::Foreign => self.stats.foreign += 1,
            Decoded::Finding(f) => self.findings.push(f),
        }
    }

    /// Add raw bytes: refuse what is not UTF-8 text.
    pub fn add_bytes(&mut self, label: &str, bytes: &[u8]) {
        if bytes.contains(&0) {
            self.unreadable(
                label,
                Code::ParseError,
                "binary file (contains NUL bytes); skipped",
            );
            return;
        }
        match std::str::from_utf8(bytes) {
            Ok(t) => self.add_text(label, t),
            Err(e) => {
                let line = bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u32
                    + 1;
                self.findings.push(
                    Finding::new(Code::ParseError, "not UTF-8 text; file skipped").with_location(
                        Some(Location {
                            file: label.into(),
                            line,
                        }),
                    ),
                );
            }
        }
    }

    /// Append another load's results (sources read one by one): a resource defined
    /// again is kept once, the later definition (see [`Loaded::drop_duplicates`]).
    pub fn merge(&mut self, other: Loaded) {
        self.append(other);
        self.drop_duplicates();
    }

    /// [`Loaded::merge`] without looking for duplicates (the files of one SOURCE,
    /// checked once when all are read).
    fn append(&mut self, other: Loaded) {
        self.snapshot.resources.extend(other.snapshot.resources);
        self.findings.extend(other.findings);
        self.dropped.extend(other.dropped);
        self.stats.files += other.stats.files;
        self.stats.documents += other.stats.documents;
        self.stats.resources += other.stats.resources;
        self.stats.foreign += other.stats.foreign;
        self.stats.kube_objects += other.stats.kube_objects;
        self.stats.derived += other.stats.derived;
        self.kube.extend(other.kube);
    }

    /// Add the Dataplanes and MeshServices Kuma would generate from the Kubernetes
    /// objects read so far (see [`derive`]), once every source is in: a Deployment,
    /// its Namespace and its Services may come from different files or SOURCEs, and a
    /// Dataplane the input already holds wins over a derived one. The objects are
    /// used up: a second call derives nothing again.
    pub fn derive(&mut self) {
        if self.kube.is_empty() {
            return;
        }
        let objects = std::mem::take(&mut self.kube);
        let d = derive::derive(&objects, &self.snapshot.resources);
        self.stats.derived += d.resources.len();
        self.snapshot.resources.extend(d.resources);
        self.findings.extend(d.findings);
    }

    /// Keep one resource per identity (kind, mesh, namespace, name; and the cluster
    /// context of a cluster object), as the control plane would: a document applied
    /// again replaces the stored one, so the **later** one in load order is kept. Each
    /// dropped document is a `duplicate-resource` finding that names the one used.
    /// Idempotent; the findings are rewritten when a later load supersedes a kept one.
    pub fn drop_duplicates(&mut self) {
        let rs = &self.snapshot.resources;
        if rs.len() < 2 {
            return;
        }
        let hasher = foldhash::quality::FixedState::default();
        let hash = |k: &Identity<'_>| std::hash::BuildHasher::hash_one(&hasher, k);
        let mut table: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(rs.len());
        let mut dropped: Vec<usize> = Vec::new();
        for (i, r) in rs.iter().enumerate() {
            let k = identity(r);
            let h = hash(&k);
            match table.find_mut(h, |&j| identity(&rs[j as usize]) == k) {
                Some(j) => {
                    dropped.push(*j as usize);
                    *j = i as u32;
                }
                None => {
                    table.insert_unique(h, i as u32, |&j| hash(&identity(&rs[j as usize])));
                }
            }
        }
        if dropped.is_empty() {
            return;
        }
        for &j in &dropped {
            let m = &rs[j].meta;
            self.dropped.push(Dropped {
                kind: m.kind,
                mesh: m.mesh.clone(),
                namespace: m.namespace.clone(),
                name: m.name.clone(),
                context: m.origin.context().map(String::from),
                zone: m.zone().map(String::from),
                resource: std::sync::Arc::new(m.resource_ref()),
                origin: m.origin.clone(),
            });
        }
        // Every duplicate finding again: a kept definition may have been superseded.
        self.findings.retain(|f| f.code != Code::DuplicateResource);
        for d in &self.dropped {
            let k: Identity = (
                d.kind,
                &d.mesh,
                d.namespace.as_deref(),
                &d.name,
                d.context.as_deref(),
                d.zone.as_deref(),
            );
            let Some(&used) = table.find(hash(&k), |&j| identity(&rs[j as usize]) == k) else {
                continue;
            };
            let used = &rs[used as usize].meta;
            let mesh = if d.kind == crate::model::ResourceKind::Mesh {
                String::new()
            } else {
                format!(" (mesh {})", d.mesh)
            };
            let name = crate::model::qualified_name(d.namespace.as_deref(), &d.name);
            self.findings.push(
                Finding::new(
                    Code::DuplicateResource,
                    format!(
                        "{} {name}{mesh} is defined more than once: the definition at {} is used, as the control plane keeps the last one applied, and this one at {} is dropped",
                        d.kind, used.origin, d.origin
                    ),
                )
                .with_shared_resource(d.resource.clone())
                .with_location(d.origin.location()),
            );
        }
        let mut gone = vec![false; rs.len()];
        for j in dropped {
            gone[j] = true;
        }
        let mut i = 0;
        self.snapshot.resources.retain(|_| {
            i += 1;
            !gone[i - 1]
        });
    }

    fn unreadable(&mut self, label: &str, code: Code, msg: impl Into<String>) {
        self.findings
            .push(Finding::new(code, msg.into()).with_location(Some(Location {
                file: label.into(),
                line: 1,
            })));
    }

    pub fn resources(&self) -> &[Resource] {
        &self.snapshot.resources
    }
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

/// Read at most `limit + 1` bytes, so that a file that grows or never ends is bounded.
fn read_bounded(r: &mut dyn Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(limit + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Files and resources read so far, updated by the loader threads as each file is
/// parsed, so that a UI can show progress while [`load_counted`] runs.
#[derive(Debug, Default)]
pub struct LoadProgress {
    pub files: AtomicUsize,
    pub resources: AtomicUsize,
}

impl LoadProgress {
    fn add(&self, files: usize, resources: usize) {
        self.files.fetch_add(files, Ordering::Relaxed);
        self.resources.fetch_add(resources, Ordering::Relaxed);
    }

    /// (files, resources) read so far.
    pub fn get(&self) -> (usize, usize) {
        (
            self.files.load(Ordering::Relaxed),
            self.resources.load(Ordering::Relaxed),
        )
    }
}

/// `base` with `changes` applied (each resource replaces the one with the same
/// kind/mesh/namespace/name, or is added) and the resources `deletes` names removed:
/// what `meshtcp diff --apply` and the TUI's `--apply` compare with `base`.
pub fn apply_changes(base: &Loaded, changes: Loaded, deletes: &Loaded) -> Loaded {
    let mut after = base.clone();
    let gone = after
        .snapshot
        .apply(changes.snapshot.resources, &deletes.snapshot.resources);
    after.findings = crate::model::without_findings_of(after.findings, &gone);
    after.findings.extend(changes.findings);
    after
}

/// Load every SOURCE, in order, and derive what Kuma would generate from the
/// Kubernetes objects among them. Never fails: what cannot be read is a finding.
pub fn load(sources: &[Source]) -> Loaded {
    load_counted(sources, &LoadProgress::default())
}

/// [`load`], counting files and resources into `progress` as they are read.
pub fn load_counted(sources: &[Source], progress: &LoadProgress) -> Loaded {
    let mut out = load_underived(sources, progress);
    out.derive();
    out
}

/// [`load_counted`] without [`Loaded::derive`]: for a caller that merges more (other
/// sources, a cluster) before deriving once.
pub fn load_underived(sources: &[Source], progress: &LoadProgress) -> Loaded {
    load_underived_around(sources, progress, &mut |_, read| read())
}

/// [`load_underived`], calling `around(i, read)` for the `i`th source, which must call
/// `read` once: a caller shows progress while it runs (the TUI, from a ticker thread
/// reading `progress`).
pub fn load_underived_around(
    sources: &[Source],
    progress: &LoadProgress,
    around: &mut dyn FnMut(usize, &mut dyn FnMut()),
) -> Loaded {
    let mut out = Loaded::default();
    for (i, s) in sources.iter().enumerate() {
        around(i, &mut || read_source(&mut out, s, progress));
    }
    out.drop_duplicates();
    out
}

/// Read one SOURCE into `out`, counting into `progress`.
fn read_source(out: &mut Loaded, s: &Source, progress: &LoadProgress) {
    let before = (out.stats.files, out.stats.resources);
    match s {
        Source::Demo => {
            for (label, text) in demo::FILES {
                out.add_text(label, text);
            }
        }
        Source::Stdin => {
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            match read_bounded(&mut lock, MAX_FILE_BYTES) {
                Ok(b) if b.len() as u64 > MAX_FILE_BYTES => out.unreadable(
                    "-",
                    Code::SourceUnreadable,
                    format!(
                        "standard input is over the {} MiB limit; not read",
                        MAX_FILE_BYTES >> 20
                    ),
                ),
                Ok(b) => out.add_bytes("-", &b),
                Err(e) => out.unreadable(
                    "-",
                    Code::SourceUnreadable,
                    format!("cannot read standard input: {e}"),
                ),
            }
        }
        Source::Path(p) => {
            let mut seen = HashSet::new();
            let root = fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            let mut files = Vec::new();
            load_path(out, p, &root, true, 0, &mut seen, &mut files);
            let walked = (out.stats.files, out.stats.resources);
            read_files(out, files, progress);
            // read_files counted its own files; count what the walk itself added.
            progress.add(walked.0 - before.0, walked.1 - before.1);
            return;
        }
    }
    progress.add(out.stats.files - before.0, out.stats.resources - before.1);
}

fn load_path(
    out: &mut Loaded,
    p: &Path,
    root: &Path,
    explicit: bool,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    files: &mut Vec<(String, PathBuf)>,
) {
    let label = p.display().to_string();
    let meta = match fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            let what = if fs::symlink_metadata(p).is_ok() {
                "broken symlink or unreadable entry"
            } else {
                "cannot read"
            };
            out.unreadable(&label, Code::SourceUnreadable, format!("{what}: {e}"));
            return;
        }
    };
    if meta.is_dir() {
        if depth > MAX_DIR_DEPTH {
            out.unreadable(
                &label,
                Code::SourceUnreadable,
                "directory nesting too deep; not read",
            );
            return;
        }
        // Symlink loops: a directory is read once.
        let canon = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if !seen.insert(canon) {
            return;
        }
        let entries = match fs::read_dir(p) {
            Ok(rd) => rd,
            Err(e) => {
                out.unreadable(
                    &label,
                    Code::SourceUnreadable,
                    format!("cannot read directory: {e}"),
                );
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for c in children {
            let name = c.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            // Only directories and manifest files are considered below a SOURCE.
            let is_dir = fs::metadata(&c).map(|m| m.is_dir()).unwrap_or(false);
            if !(is_dir || is_manifest(&c)) {
                continue;
            }
            // A symlink below a SOURCE is followed only while it stays inside it: a
            // checked-out tree cannot make meshtcp read (and quote) files elsewhere, nor
            // walk the whole file system.
            if fs::symlink_metadata(&c).is_ok_and(|m| m.file_type().is_symlink())
                && let Ok(target) = fs::canonicalize(&c)
                && !target.starts_with(root)
            {
                out.unreadable(
                    &c.display().to_string(),
                    Code::SourceUnreadable,
                    format!(
                        "symlink leads outside the SOURCE (to {}); not followed: name that path as a SOURCE to read it",
                        target.display()
                    ),
                );
                continue;
            }
            load_path(out, &c, root, false, depth + 1, seen, files);
        }
        return;
    }
    if !meta.is_file() {
        if explicit {
            // A FIFO or device named on the command line: read it, bounded.
            match fs::File::open(p).and_then(|mut f| read_bounded(&mut f, MAX_FILE_BYTES)) {
                Ok(b) if b.len() as u64 > MAX_FILE_BYTES => out.unreadable(
                    &label,
                    Code::SourceUnreadable,
                    format!(
                        "over the {} MiB per-file limit; not read",
                        MAX_FILE_BYTES >> 20
                    ),
                ),
                Ok(b) => out.add_bytes(&label, &b),
                Err(e) => {
                    out.unreadable(&label, Code::SourceUnreadable, format!("cannot read: {e}"))
                }
            }
        } else {
            out.unreadable(
                &label,
                Code::SourceUnreadable,
                "not a regular file (FIFO, socket or device); skipped",
            );
        }
        return;
    }
    files.push((label, p.to_path_buf()));
}

/// Read and parse one regular file found by the walk.
fn read_one(out: &mut Loaded, label: &str, p: &Path) {
    let len = fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    if len > MAX_FILE_BYTES {
        out.unreadable(
            label,
            Code::SourceUnreadable,
            format!(
                "file is {len} bytes, over the {} MiB per-file limit; not read",
                MAX_FILE_BYTES >> 20
            ),
        );
        return;
    }
    match fs::File::open(p).and_then(|mut f| read_bounded(&mut f, MAX_FILE_BYTES)) {
        Ok(b) if b.len() as u64 > MAX_FILE_BYTES => out.unreadable(
            label,
            Code::SourceUnreadable,
            format!(
                "file grew over the {} MiB per-file limit while read; not read",
                MAX_FILE_BYTES >> 20
            ),
        ),
        Ok(b) => out.add_bytes(label, &b),
        Err(e) => out.unreadable(label, Code::SourceUnreadable, format!("cannot read: {e}")),
    }
}

/// Read and parse the files of one SOURCE on every core, then append the results in
/// file order, so the outcome does not depend on the number of threads.
fn read_files(out: &mut Loaded, files: Vec<(String, PathBuf)>, progress: &LoadProgress) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    if workers <= 1 {
        for (label, p) in &files {
            let before = (out.stats.files, out.stats.resources);
            read_one(out, label, p);
            progress.add(out.stats.files - before.0, out.stats.resources - before.1);
        }
        return;
    }
    // Largest files first: the last file a thread takes is a small one, so the threads
    // finish together (a large file taken last was parsed by one thread while the
    // other waited).
    let mut order: Vec<usize> = (0..files.len()).collect();
    let sizes: Vec<u64> = files
        .iter()
        .map(|(_, p)| fs::metadata(p).map_or(0, |m| m.len()))
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Option<Loaded>> = (0..files.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (label, p) = &files[i];
                        let mut l = Loaded::default();
                        read_one(&mut l, label, p);
                        progress.add(l.stats.files, l.stats.resources);
                        mine.push((i, l));
                    }
                    mine
                })
            })
            .collect();
        for h in handles {
            for (i, l) in h.join().expect("a loader thread never panics") {
                parts[i] = Some(l);
            }
        }
    });
    // Room for all of them at once: grown by doubling, the list of a large mesh held
    // up to twice the room it needed until the end (440 bytes a resource).
    let parts: Vec<Loaded> = parts.into_iter().flatten().collect();
    out.snapshot
        .resources
        .reserve_exact(parts.iter().map(|l| l.snapshot.resources.len()).sum());
    for l in parts {
        out.append(l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_every_file_and_resource_once() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..40 {
            let body = format!(
                "type: Mesh\nname: m{i}\n---\ntype: MeshTCPRoute\nname: r{i}\nmesh: m{i}\nspec:\n  targetRef: {{kind: Mesh}}\n"
            );
            fs::write(dir.path().join(format!("f{i:02}.yaml")), body).unwrap();
        }
        fs::write(dir.path().join("broken.yaml"), "type: Mesh\nname: [\n").unwrap();
        let sources = [
            Source::Path(dir.path().to_path_buf()),
            Source::Demo,
            Source::Path(dir.path().join("f00.yaml")),
        ];
        let progress = LoadProgress::default();
        let loaded = load_counted(&sources, &progress);
        assert_eq!(loaded.stats.resources, 80 + demo_resources() + 2);
        assert_eq!(
            progress.get(),
            (loaded.stats.files, loaded.stats.resources),
            "the counter ends where the stats end"
        );
        assert_eq!(load(&sources).stats, loaded.stats);
    }

    fn demo_resources() -> usize {
        load(&[Source::Demo]).stats.resources
    }
}
