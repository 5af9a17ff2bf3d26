//! Writers of the engine's output: JSON and YAML (the contract), text (for people),
//! `explain` (one outbound's precedence story), and `check`'s exit code.

pub mod diff;
pub mod json;
pub mod text;

use crate::model::Severity;
use crate::resolve::Report;

pub use text::{TextOptions, explain, marks, render_text, share_pct};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Text,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "yaml" => Ok(Format::Yaml),
            "text" => Ok(Format::Text),
            _ => Err(format!("unknown format `{s}` (json, yaml or text)")),
        }
    }
}

pub fn to_json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("the report serializes");
    s.push('\n');
    s
}

/// The JSON report written proxy by proxy as the engine resolves them: the same bytes
/// as [`to_json`], but memory holds a few proxies at a time (plus the findings). The
/// proxies are resolved and serialized on the engine's threads and written in order.
/// `extra_findings` (the loader's) are merged into the engine's.
///
/// Each proxy's text, its separator first, goes to `w` in one write: given stdout
/// (line-buffered), it reaches the system without being copied into a buffer first
/// (147 MB for the large benchmark mesh).
pub fn write_json_streaming(
    w: &mut dyn std::io::Write,
    engine: &crate::resolve::Engine,
    filter: &crate::resolve::Filter,
    extra_findings: Vec<crate::model::Finding>,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut j = json::Pretty::new(&mut buf, 0);
    j.begin_object();
    j.key("schema");
    j.str(crate::resolve::SCHEMA);
    j.key("kumaVersion");
    j.str(&engine.version.to_string());
    j.key("proxies");
    buf.push(b'[');
    w.write_all(&buf)?;
    buf.clear();
    // Written texts go back to the threads to be filled again. Allocated on a thread
    // and freed on the writing one, every text's pages were returned to the system and
    // faulted in again (half the page faults of the twice-the-routes report).
    let pool: std::sync::Mutex<Vec<Vec<u8>>> = Default::default();
    let mut err = None;
    let mut first = true;
    let parts = engine.for_each_proxy_unmerged(
        filter,
        crate::resolve::Want::WRITTEN,
        |p| {
            let mut text = pool
                .lock()
                .ok()
                .and_then(|mut v| v.pop())
                .unwrap_or_else(|| Vec::with_capacity(32 * 1024));
            // The separator before the text, not after it: no text waits for the next
            // one to learn whether it is the last (one text fewer in memory). The first
            // is written without its comma.
            text.extend_from_slice(b",\n    ");
            json::Pretty::new(&mut text, 2).proxy(&p);
            text
        },
        |mut text| {
            if err.is_none() {
                let from = usize::from(first);
                first = false;
                if let Err(e) = w.write_all(&text[from..]) {
                    err = Some(e);
                }
            }
            text.clear();
            if let Ok(mut v) = pool.lock() {
                v.push(text);
            }
        },
    );
    // Let the buffers go before the findings are merged: the peak of a large report.
    drop(pool);
    if let Some(e) = err {
        return Err(e);
    }
    buf.extend_from_slice(if first { b"]" } else { b"\n  ]" });
    let all = crate::pipeline::merge_findings(parts, extra_findings);
    buf.extend_from_slice(b",\n  \"findings\": [");
    w.write_all(&buf)?;
    buf.clear();
    write_findings(w, &all.iter().collect::<Vec<_>>(), engine.threads())?;
    buf.extend_from_slice(b"\n}\n");
    w.write_all(&buf)
}

/// Proxies (of grouped findings) formatted per unit of work in [`write_findings`].
const HITS_PER_PIECE: usize = 2048;

/// `check -o json`: the same bytes as serde_json's pretty form of `{schema,
/// kumaVersion, findings}`, written in pieces (a grouped finding on a large mesh lists
/// thousands of proxies: the whole text was ten times the input, and its
/// `serde_json::Value` tree far more).
pub fn write_check_json(
    w: &mut dyn std::io::Write,
    r: &Report,
    threads: usize,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(256);
    let mut j = json::Pretty::new(&mut buf, 0);
    j.begin_object();
    j.key("schema");
    j.str(r.schema);
    j.key("kumaVersion");
    j.str(&r.kuma_version);
    j.key("findings");
    buf.push(b'[');
    w.write_all(&buf)?;
    write_findings(w, &r.findings.iter().collect::<Vec<_>>(), threads)?;
    w.write_all(b"\n}\n")
}

/// The elements of a findings array (whose `[` is written) and its `]`, at depth 1.
/// Formatted on `threads` threads in pieces of about [`HITS_PER_PIECE`] proxies while
/// the pieces before are written: memory holds a few pieces of text, not the whole.
fn write_findings(
    w: &mut dyn std::io::Write,
    list: &[&crate::model::Finding],
    threads: usize,
) -> std::io::Result<()> {
    // Piece boundaries: a piece ends once it holds HITS_PER_PIECE proxies (a finding
    // about a resource alone counts one).
    let mut bounds = vec![0];
    let mut weight = 0;
    for (i, f) in list.iter().enumerate() {
        weight += 1 + f.proxies.len();
        if weight >= HITS_PER_PIECE {
            bounds.push(i + 1);
            weight = 0;
        }
    }
    if *bounds.last().unwrap() != list.len() {
        bounds.push(list.len());
    }
    let mut err = None;
    crate::resolve::par::ordered(
        bounds.len() - 1,
        threads,
        || (),
        |_, k| {
            let mut text = Vec::with_capacity(64 * 1024);
            for (i, f) in list.iter().enumerate().take(bounds[k + 1]).skip(bounds[k]) {
                text.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
                json::Pretty::new(&mut text, 2).finding(f);
            }
            text
        },
        |text| {
            if err.is_none()
                && let Err(e) = w.write_all(&text)
            {
                err = Some(e);
            }
        },
    );
    if let Some(e) = err {
        return Err(e);
    }
    w.write_all(if list.is_empty() { b"]" } else { b"\n  ]" })
}

pub fn to_yaml(r: &Report) -> String {
    // Through serde_json::Value so that YAML and JSON carry the same fields and order.
    let v = serde_json::to_value(r).expect("the report serializes");
    serde_saphyr::to_string(&v).expect("a JSON value serializes as YAML")
}

/// `check`'s exit code: 1 when a finding is at or over the threshold (errors; warnings
/// too with `strict`), else 0.
pub fn check_exit_code(r: &Report, strict: bool) -> i32 {
    let threshold = if strict {
        Severity::Warning
    } else {
        Severity::Error
    };
    if r.findings.iter().any(|f| f.severity >= threshold) {
        1
    } else {
        0
    }
}
