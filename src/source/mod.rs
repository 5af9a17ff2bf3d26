//! Sources: files, directories, stdin and the embedded demo. They produce the model plus
//! located findings; nothing here decides routing.

pub mod cp;
pub mod decode;
pub mod demo;
pub mod derive;
mod fastyaml;
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
}

impl Loaded {
    /// Add every document of `text` (read from `label`). At most
    /// [`MAX_FINDINGS_PER_FILE`] findings are kept per file; one more says how many
    /// were left out.
    pub fn add_text(&mut self, label: &str, text: &str) {
        self.stats.files += 1;
        // One copy of the path for every object and finding of this file.
        let file: std::sync::Arc<str> = label.into();
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
        yaml::for_each_document(text, true, &mut |line, doc| {
            self.stats.documents += 1;
            match doc {
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
                    match decode::decode_node(crate::model::Origin::file(file.clone(), line), node)
                    {
                        Decoded::Finding(f) => keep(&mut self.findings, f),
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

    /// Append another load's results (files read in parallel, sources read one by one).
    pub fn merge(&mut self, other: Loaded) {
        self.snapshot.resources.extend(other.snapshot.resources);
        self.findings.extend(other.findings);
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
    let mut out = Loaded::default();
    for s in sources {
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
                load_path(&mut out, p, &root, true, 0, &mut seen, &mut files);
                let walked = (out.stats.files, out.stats.resources);
                read_files(&mut out, files, progress);
                // read_files counted its own files; count what the walk itself added.
                progress.add(walked.0 - before.0, walked.1 - before.1);
                continue;
            }
        }
        progress.add(out.stats.files - before.0, out.stats.resources - before.1);
    }
    out
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
        out.merge(l);
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
