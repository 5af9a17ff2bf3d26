//! Text → documents with their start lines.
//!
//! The text is split at `---` document markers first, and every document is parsed on
//! its own with serde-saphyr. A syntax error therefore costs only its own document: the
//! parser's stream would otherwise end at the first syntax error. Budgets are sized per
//! document so that a large file of many small documents loads, while alias bombs and
//! runaway nesting are still refused.

use super::node::Node;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::fmt;

/// One document of a file: the 1-based line where it starts and its value, or the
/// error that made it unreadable (with the 1-based line of the error).
#[derive(Debug)]
pub enum Doc {
    Value { line: u32, value: Value },
    Error { line: u32, message: String },
}

/// Nesting deeper than this is refused (Kuma resources are a dozen levels deep).
pub const MAX_DEPTH: usize = 64;

/// A document's top level: a mapping whose `items` (if a list) keep their own spans.
struct Top {
    map: Option<Map<String, Value>>,
    items: Option<Vec<(u32, Value)>>,
    other: Option<Value>,
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl TopVisitor {
    fn other<E>(v: Value) -> Result<Top, E> {
        Ok(Top {
            map: None,
            items: None,
            other: Some(v),
        })
    }
}

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Top, A::Error> {
        let mut map = Map::new();
        let mut items = None;
        while let Some(k) = a.next_key::<String>()? {
            if k == "items" && items.is_none() {
                match a.next_value::<Option<Items>>()? {
                    Some(v) => items = Some(v.0),
                    None => {
                        map.insert(k, Value::Null);
                    }
                }
            } else {
                let v = a.next_value::<Value>()?;
                if map.insert(k.clone(), v).is_some() {
                    return Err(de::Error::custom(format!("duplicate key `{k}`")));
                }
            }
        }
        Ok(Top {
            map: Some(map),
            items,
            other: None,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Top, A::Error> {
        while a.next_element::<de::IgnoredAny>()?.is_some() {}
        Self::other(Value::Array(vec![]))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Top, E> {
        Self::other(Value::String(v.into()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Top, E> {
        Self::other(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Top, E> {
        Self::other(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Top, E> {
        Self::other(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Top, E> {
        Self::other(Value::from(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Top, E> {
        Self::other(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Top, E> {
        Self::other(Value::Null)
    }
}

/// A list's items with their lines. Each item's span is dropped as soon as it is read:
/// a `Vec<Spanned<Value>>` made a 64 MiB list of tiny items take 6 times the memory.
struct Items(Vec<(u32, Value)>);

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Items;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Items, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = a.next_element::<Spanned<Value>>()? {
                    v.push((s.referenced.line() as u32, s.value));
                }
                Ok(Items(v))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Split `text` into documents at lines that start with `---` (followed by nothing, a
/// space or a tab) and at `...` end markers. Returns (first line number, chunk).
fn split_documents(text: &str) -> Vec<(u32, &str)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut pos = 0usize;
    for (line_no, line) in (1u32..).zip(text.split_inclusive('\n')) {
        let body = line.trim_end_matches(['\n', '\r']);
        let kind = line_kind(body);
        if kind != LineKind::Content {
            if pos > start {
                out.push((start_line, &text[start..pos]));
            }
            if let LineKind::StartWith(rest) = kind {
                // From the `---` on: the content keeps its column.
                start = pos + (body.len() - rest.len());
                start_line = line_no;
            } else {
                start = pos + line.len();
                start_line = line_no + 1;
            }
        }
        pos += line.len();
    }
    if pos > start {
        out.push((start_line, &text[start..pos]));
    }
    out
}

/// What one line (without its line break) is to the stream of documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind<'l> {
    /// A line of the current document.
    Content,
    /// `---` or `...`, alone or followed by a space or a tab (then a comment, or
    /// anything after `...`): the current document ends here.
    Separator,
    /// `---`, a space or a tab, then content: the current document ends, and the next
    /// one's first line is the rest of this one (`--- kind: Mesh`). The rest is given
    /// from just after `---`, its leading blanks included.
    StartWith(&'l str),
}

/// What `line` (without its line break) is: the one rule by which both the loader and
/// the TUI's document view split a text into documents.
pub fn line_kind(line: &str) -> LineKind<'_> {
    let marker = |m: &str| {
        line.strip_prefix(m)
            .filter(|rest| rest.chars().next().is_none_or(|c| c == ' ' || c == '\t'))
    };
    if let Some(rest) = marker("---") {
        let content = rest.trim_start();
        if content.is_empty() || content.starts_with('#') {
            LineKind::Separator
        } else {
            LineKind::StartWith(rest)
        }
    } else if marker("...").is_some() {
        LineKind::Separator
    } else {
        LineKind::Content
    }
}

/// Whether a chunk has anything but blank lines, comments and directives.
fn has_content(chunk: &str) -> bool {
    chunk.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
    })
}

/// The most parser events serde-saphyr may produce for a chunk of `len` bytes.
pub(crate) fn max_events(len: usize) -> usize {
    10_000 + len
}

/// The most nodes serde-saphyr may build for a chunk of `len` bytes.
pub(crate) fn max_nodes(len: usize) -> usize {
    5_000 + len / 2
}

fn options_for(len: usize) -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: None,
            max_documents: 4,
            max_depth: MAX_DEPTH,
            max_events: max_events(len),
            max_nodes: max_nodes(len),
            max_total_scalar_bytes: 1024 + len * 2,
            max_aliases: 1_000,
            max_anchors: 1_000,
        },
    }
}

/// Parse every document of a YAML (or JSON) text. Never panics; every failure is a
/// [`Doc::Error`] naming its line, and the other documents still parse.
///
/// Each document is read by the fast path ([`super::fastyaml`]) when it is in the plain
/// subset that path reads exactly, and by serde-saphyr otherwise.
pub fn parse_documents(text: &str) -> Vec<Doc> {
    parse_documents_with(text, true)
}

/// [`parse_documents`], with the fast path or without it (serde-saphyr only), for
/// measurements and tests.
#[doc(hidden)]
pub fn parse_documents_with(text: &str, fast: bool) -> Vec<Doc> {
    let mut docs = Vec::new();
    for_each_document(text, fast, &mut |line, doc| docs.push(to_doc(line, doc)));
    docs
}

fn to_doc(line: u32, doc: Result<Node<'_>, String>) -> Doc {
    match doc {
        Ok(n) => Doc::Value {
            line,
            value: n.to_value(),
        },
        Err(message) => Doc::Error { line, message },
    }
}

/// What [`for_each_document`] hands on: a document's line and its tree (borrowing the
/// text), or the line of the error that made it unreadable and its message.
pub type Sink<'s> = dyn for<'n> FnMut(u32, Result<Node<'n>, String>) + 's;

/// Every document of `text` in order, each handed to `f` as soon as it is parsed (the
/// loader decodes it at once: a file's trees are never all in memory together). With
/// `fast`, documents in the fast path's subset are read by it.
pub fn for_each_document(text: &str, fast: bool, f: &mut Sink<'_>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (first_line, chunk) in split_documents(text) {
        if !has_content(chunk) {
            continue;
        }
        match fast.then(|| super::fastyaml::parse_chunk(chunk)).flatten() {
            Some(parsed) => emit(first_line - 1, parsed, f),
            None => saphyr_chunk(first_line, chunk, f),
        }
    }
}

/// One document's top level, with its 1-based line relative to its chunk: what both
/// the fast path and serde-saphyr make of a chunk.
pub(crate) enum Parsed<'a> {
    /// Not a mapping (a sequence is kept as an empty array: nothing reads it).
    Other { line: u32, value: Node<'a> },
    /// A mapping; a list under `items` is kept aside with each item's line.
    Map {
        line: u32,
        map: Vec<(&'a str, Node<'a>)>,
        items: Option<Vec<(u32, Node<'a>)>>,
    },
}

/// One chunk through serde-saphyr.
fn saphyr_chunk(first_line: u32, chunk: &str, f: &mut Sink<'_>) {
    let offset = first_line - 1;
    match serde_saphyr::from_str_with_options::<Option<Spanned<Top>>>(
        chunk,
        options_for(chunk.len()),
    ) {
        Ok(None) => {}
        Ok(Some(sp)) => {
            let line = sp.referenced.line().max(1) as u32;
            let top = sp.value;
            let parsed = match &top.other {
                Some(value) => Parsed::Other {
                    line,
                    value: Node::of_value(value),
                },
                None => Parsed::Map {
                    line,
                    map: top
                        .map
                        .iter()
                        .flatten()
                        .map(|(k, v)| (k.as_str(), Node::of_value(v)))
                        .collect(),
                    items: top
                        .items
                        .as_ref()
                        .map(|items| items.iter().map(|(l, v)| (*l, Node::of_value(v))).collect()),
                },
            };
            emit(offset, parsed, f);
        }
        Err(e) => {
            let (line, col) = e
                .location()
                .map(|l| (l.line() as u32, l.column() as u32))
                .unwrap_or((1, 0));
            let line = offset + line.max(1);
            let msg = saphyr_words(&e);
            let at = if col > 0 {
                format!("line {line}, column {col}")
            } else {
                format!("line {line}")
            };
            // Located at the error's own line, not the document's first.
            f(line, Err(format!("invalid YAML at {at}: {msg}")));
        }
    }
}

/// A parsed chunk's documents: the document itself, or the items of a `*List`.
fn emit(offset: u32, parsed: Parsed<'_>, f: &mut Sink<'_>) {
    let (line, mut map, items) = match parsed {
        Parsed::Other { line, value } => {
            f(offset + line, Ok(value));
            return;
        }
        Parsed::Map { line, map, items } => (offset + line, map, items),
    };
    if let Some(items) = items {
        let is_list = map
            .iter()
            .find(|(k, _)| *k == "kind")
            .and_then(|(_, v)| v.as_str())
            .is_some_and(|k| k.ends_with("List"));
        if is_list {
            for (l, v) in items {
                f(offset + l.max(1), Ok(v));
            }
            return;
        }
        map.push((
            "items",
            Node::Seq(items.into_iter().map(|(_, v)| v).collect()),
        ));
    }
    f(line, Ok(Node::Map(map)));
}

/// How many documents the fast path read, of how many (see [`check_fast_path`]).
#[cfg(any(test, feature = "testing"))]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FastPathStats {
    pub chunks: usize,
    pub accepted: usize,
}

#[cfg(any(test, feature = "testing"))]
impl std::ops::AddAssign for FastPathStats {
    fn add_assign(&mut self, o: Self) {
        self.chunks += o.chunks;
        self.accepted += o.accepted;
    }
}

/// The fast path's differential check: every chunk of `text` through serde-saphyr, and
/// through the fast path; wherever the fast path reads a chunk, its documents must be
/// serde-saphyr's exactly (values with their key order and number kinds, and lines).
/// An `Err` describes the first difference. For tests and the `yaml_diff` fuzz target.
#[cfg(any(test, feature = "testing"))]
pub fn check_fast_path(text: &str) -> Result<FastPathStats, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut stats = FastPathStats::default();
    for (first_line, chunk) in split_documents(text) {
        if !has_content(chunk) {
            continue;
        }
        stats.chunks += 1;
        let Some(parsed) = super::fastyaml::parse_chunk(chunk) else {
            continue;
        };
        stats.accepted += 1;
        let mut fast = Vec::new();
        emit(first_line - 1, parsed, &mut |l, d| fast.push(to_doc(l, d)));
        let mut slow = Vec::new();
        saphyr_chunk(first_line, chunk, &mut |l, d| slow.push(to_doc(l, d)));
        let same = fast.len() == slow.len()
            && fast.iter().zip(&slow).all(|(f, s)| match (f, s) {
                (Doc::Value { line: a, value: x }, Doc::Value { line: b, value: y }) => {
                    // `==` ignores key order; the text does not, nor number kinds.
                    a == b
                        && x == y
                        && serde_json::to_string(x).ok() == serde_json::to_string(y).ok()
                }
                _ => false,
            });
        if !same {
            return Err(format!(
                "the fast path differs from serde-saphyr on the document at line {first_line}:\n\
                 --- input\n{chunk:?}\n--- fast path\n{}\n--- serde-saphyr\n{}",
                show(&fast),
                show(&slow)
            ));
        }
    }
    Ok(stats)
}

/// How many documents of `text` the fast path reads (without checking them).
#[cfg(any(test, feature = "testing"))]
pub fn fast_path_stats(text: &str) -> FastPathStats {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut stats = FastPathStats::default();
    for (_, chunk) in split_documents(text) {
        if has_content(chunk) {
            stats.chunks += 1;
            stats.accepted += usize::from(super::fastyaml::parse_chunk(chunk).is_some());
        }
    }
    stats
}

#[cfg(any(test, feature = "testing"))]
fn show(docs: &[Doc]) -> String {
    docs.iter()
        .map(|d| match d {
            Doc::Value { line, value } => format!("line {line}: {value}"),
            Doc::Error { line, message } => format!("line {line}: error: {message}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A serde-saphyr error in YAML's terms, without the library's own advice (its
/// options, Rust types).
fn saphyr_words(e: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    match e {
        E::WithSnippet { error, .. } | E::AliasError { error, .. } => saphyr_words(error),
        E::DuplicateMappingKey { key: Some(k), .. } => {
            format!("duplicate key `{k}`: a mapping holds each key once")
        }
        E::DuplicateMappingKey { key: None, .. } => {
            "duplicate key: a mapping holds each key once".into()
        }
        E::Eof { .. } => {
            "the document ends inside a value: a bracket, brace or quote is not closed".into()
        }
        E::Budget { breach, .. } => match breach {
            B::Depth { .. } => format!("nested deeper than {MAX_DEPTH} levels"),
            B::Aliases { .. } | B::Anchors { .. } => {
                "too many anchors or aliases (at most 1,000 in a document)".into()
            }
            _ => "the document is too large for meshtcp's limits (alias expansion or size)".into(),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => {
            "aliases expand too far (an alias bomb?); document refused".into()
        }
        E::NonFiniteFloat { value, .. } => format!("`{value}` is not a finite number"),
        E::UnknownAnchor { .. } => "an alias (`*name`) names an anchor that is not defined".into(),
        E::MergeValueNotMapOrSeqOfMaps { .. } => {
            "a merge key (`<<`) must be a mapping or a list of mappings".into()
        }
        _ => {
            let m = without_advice(&strip_position(&first_line_of(&e.to_string())));
            if m.starts_with("recursion limit") {
                format!("nested deeper than {MAX_DEPTH} levels")
            } else if m.starts_with("budget breached") {
                "the document is too large for meshtcp's limits (alias expansion or size)".into()
            } else {
                m
            }
        }
    }
}

/// Cut a library's advice to its caller off a message ("set X in Options", "use
/// Option<String>").
fn without_advice(msg: &str) -> String {
    let mut m = msg;
    for cut in [", set ", "; set ", "; use ", ". If you ", " (strict mode"] {
        if let Some(i) = m.find(cut) {
            m = &m[..i];
        }
    }
    // The position is said once, before the message.
    if let Some(i) = m.rfind(" at line ")
        && m[i + " at line ".len()..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == ' ' || c.is_ascii_lowercase())
    {
        m = &m[..i];
    }
    m.to_string()
}

/// Drop serde-saphyr's chunk-relative `line N column M: ` prefix (we print absolute ones).
fn strip_position(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("line ")
        && let Some((_, after)) = rest.split_once(": ")
        && rest.split(": ").next().is_some_and(|p| {
            p.chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c.is_ascii_alphabetic())
        })
    {
        return after.to_string();
    }
    msg.to_string()
}

/// serde-saphyr renders a multi-line snippet; the report wants one sentence.
fn first_line_of(msg: &str) -> String {
    let first = msg
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(msg)
        .trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let mut s: String = first.chars().take(300).collect();
    if s.is_empty() {
        s = "invalid YAML".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(docs: &[Doc]) -> Vec<(bool, u32)> {
        docs.iter()
            .map(|d| match d {
                Doc::Value { line, .. } => (true, *line),
                Doc::Error { line, .. } => (false, *line),
            })
            .collect()
    }

    #[test]
    fn splits_documents_and_keeps_lines() {
        let t = "a: 1\n---\n# c\nb: 2\n--- \nc: 3\n";
        assert_eq!(
            lines(&parse_documents(t)),
            vec![(true, 1), (true, 4), (true, 6)]
        );
    }

    #[test]
    fn syntax_error_costs_only_its_document() {
        let t = "a: 1\n---\nb: [1, 2\n---\nc: 3\n";
        let d = parse_documents(t);
        assert_eq!(lines(&d), vec![(true, 1), (false, 3), (true, 5)]);
        let Doc::Error { message, .. } = &d[1] else {
            panic!()
        };
        assert!(message.starts_with("invalid YAML at line 3"), "{message}");
    }

    #[test]
    fn list_items_get_their_own_lines() {
        let t = "apiVersion: v1\nkind: List\nitems:\n- kind: A\n  x: 1\n- kind: B\n  x: 2\n";
        assert_eq!(lines(&parse_documents(t)), vec![(true, 4), (true, 6)]);
    }

    #[test]
    fn bom_and_crlf_are_fine() {
        let t = "\u{feff}a: 1\r\n---\r\nb: 2\r\n";
        let d = parse_documents(t);
        assert_eq!(lines(&d), vec![(true, 1), (true, 3)]);
        let Doc::Value { value, .. } = &d[1] else {
            panic!()
        };
        assert_eq!(value["b"], 2);
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let d = parse_documents("a: 1\na: 2\n");
        assert!(matches!(d[0], Doc::Error { .. }), "{d:?}");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            let p = i - 1;
            t.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let d = parse_documents(&t);
        assert!(matches!(d[0], Doc::Error { .. }));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let t = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let d = parse_documents(&t);
        assert!(matches!(d[0], Doc::Error { .. }));
    }

    #[test]
    fn json_parses() {
        let d = parse_documents("{\"type\": \"Mesh\",\n \"name\": \"default\"}");
        let Doc::Value { value, .. } = &d[0] else {
            panic!("{d:?}")
        };
        assert_eq!(value["name"], "default");
    }
}
