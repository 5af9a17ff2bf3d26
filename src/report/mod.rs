//! Writers of the engine's output: JSON and YAML (the contract), text (for people),
//! `explain` (one outbound's precedence story), and `check`'s exit code.

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

/// Every line but the first indented by `n` spaces (to nest a pretty-printed value).
fn indent_tail(s: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    out
}

/// The JSON report written proxy by proxy as the engine resolves them: the same bytes
/// as [`to_json`], but memory holds one proxy at a time (plus the findings).
/// `extra_findings` (the loader's) are merged into the engine's.
pub fn write_json_streaming(
    w: &mut dyn std::io::Write,
    engine: &crate::resolve::Engine,
    filter: &crate::resolve::Filter,
    extra_findings: Vec<crate::model::Finding>,
) -> std::io::Result<()> {
    fn pretty<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string_pretty(v).expect("the report serializes")
    }
    write!(
        w,
        "{{\n  \"schema\": {},\n  \"kumaVersion\": {},\n  \"proxies\": [",
        serde_json::to_string(crate::resolve::SCHEMA).expect("a string"),
        serde_json::to_string(&engine.version.to_string()).expect("a string"),
    )?;
    let mut first = true;
    let mut err = None;
    let findings = engine.for_each_proxy(filter, false, |p| {
        if err.is_some() {
            return;
        }
        let text = indent_tail(&pretty(&p), 4);
        let sep = if first { "\n    " } else { ",\n    " };
        first = false;
        if let Err(e) = w
            .write_all(sep.as_bytes())
            .and_then(|_| w.write_all(text.as_bytes()))
        {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let mut all = extra_findings;
    all.extend(findings);
    let all = crate::resolve::dedup(all);
    let close = if first { "]" } else { "\n  ]" };
    write!(
        w,
        "{close},\n  \"findings\": {}\n}}\n",
        indent_tail(&pretty(&all), 2)
    )
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
