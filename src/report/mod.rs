//! Writers of the engine's output: JSON and YAML (the contract), text (for people),
//! `explain` (one outbound's precedence story), and `check`'s exit code.

pub mod text;

use crate::model::Severity;
use crate::resolve::Report;
use serde::Serialize;

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

/// serde_json's pretty layout (two spaces a level) for a value that sits `base` levels
/// deep in an enclosing document: every line but the first gets `base` more levels.
/// Lets parts of one pretty document be serialized apart (on several threads) and
/// joined byte for byte as if serialized whole.
struct Nested {
    /// Current depth, the enclosing levels included.
    depth: usize,
    /// Whether the innermost open array or object has a value yet.
    has_value: bool,
}

impl Nested {
    fn new(base: usize) -> Self {
        Nested {
            depth: base,
            has_value: false,
        }
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        w.write_all(b"\n")?;
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `v` pretty-printed as if `base` levels deep in a pretty document.
fn pretty_at<T: Serialize>(out: &mut Vec<u8>, v: &T, base: usize) {
    let mut ser = serde_json::Serializer::with_formatter(out, Nested::new(base));
    v.serialize(&mut ser)
        .expect("the report serializes into memory");
}

/// The JSON report written proxy by proxy as the engine resolves them: the same bytes
/// as [`to_json`], but memory holds a few proxies at a time (plus the findings). The
/// proxies are resolved and serialized on the engine's threads and written in order.
/// `extra_findings` (the loader's) are merged into the engine's.
pub fn write_json_streaming(
    w: &mut dyn std::io::Write,
    engine: &crate::resolve::Engine,
    filter: &crate::resolve::Filter,
    extra_findings: Vec<crate::model::Finding>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    head.extend_from_slice(b"{\n  \"schema\": ");
    pretty_at(&mut head, &crate::resolve::SCHEMA, 1);
    head.extend_from_slice(b",\n  \"kumaVersion\": ");
    pretty_at(&mut head, &engine.version.to_string(), 1);
    head.extend_from_slice(b",\n  \"proxies\": [");
    w.write_all(&head)?;
    let mut first = true;
    let mut err = None;
    let findings = engine.for_each_proxy(
        filter,
        crate::resolve::Want::WRITTEN,
        |p| {
            let mut text = Vec::with_capacity(32 * 1024);
            pretty_at(&mut text, &p, 2);
            text
        },
        |text| {
            if err.is_some() {
                return;
            }
            let sep: &[u8] = if first { b"\n    " } else { b",\n    " };
            first = false;
            if let Err(e) = w.write_all(sep).and_then(|_| w.write_all(&text)) {
                err = Some(e);
            }
        },
    );
    if let Some(e) = err {
        return Err(e);
    }
    let mut all = extra_findings;
    all.extend(findings);
    let all = crate::resolve::dedup(all);
    w.write_all(if first { b"]" } else { b"\n  ]" })?;
    w.write_all(b",\n  \"findings\": ")?;
    // Straight to the writer: the findings of a large mesh are megabytes of JSON.
    let mut ser = serde_json::Serializer::with_formatter(&mut *w, Nested::new(1));
    all.serialize(&mut ser)
        .map_err(|e| match e.io_error_kind() {
            // Keep the kind: a closed pipe (`| head`) is not an error for the caller.
            Some(kind) => std::io::Error::new(kind, e),
            None => std::io::Error::other(e),
        })?;
    w.write_all(b"\n}\n")
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
