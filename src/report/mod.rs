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
