//! Field paths in a document: the fields a kind's Kuma schema does not have (the API
//! server prunes them on Kubernetes, the control plane ignores them on Universal), and
//! the line a field is written on, so that a finding points at the field and not only at
//! its document. Pure: no IO.

use super::node::Node;
use crate::model::ResourceKind;
use std::fmt;

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from a document's root: `spec.to[0].rules[0].matches`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn key(mut self, k: &str) -> Self {
        self.0.push(Seg::Key(k.to_string()));
        self
    }

    pub fn index(mut self, i: usize) -> Self {
        self.0.push(Seg::Index(i));
        self
    }

    /// The last key of the path (`matches` for `spec.to[0].rules[0].matches`).
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------ Kuma schema (v2.14)

/// `common_api.TargetRef` (`api/common/v1alpha1/targetref.go@v2.14.3`).
const TARGET_REF: &[&str] = &[
    "kind",
    "name",
    "namespace",
    "labels",
    "tags",
    "mesh",
    "sectionName",
    "proxyTypes",
];
/// `common_api.BackendRef`: a TargetRef plus `weight` and `port`.
const BACKEND_REF: &[&str] = &[
    "kind",
    "name",
    "namespace",
    "labels",
    "tags",
    "mesh",
    "sectionName",
    "proxyTypes",
    "weight",
    "port",
];
const SPEC: &[&str] = &["targetRef", "to"];
/// `meshtcproute.go@v2.14.3`.
const TCP_TO: &[&str] = &["targetRef", "rules"];
const TCP_RULE: &[&str] = &["default"];
const TCP_DEFAULT: &[&str] = &["backendRefs"];
/// `meshhttproute.go@v2.14.3`.
const HTTP_TO: &[&str] = &["targetRef", "rules", "hostnames"];
const HTTP_RULE: &[&str] = &["matches", "default"];
const HTTP_DEFAULT: &[&str] = &["filters", "backendRefs"];

/// A field the kind's schema does not have, and the fields it does have there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// From the document's root (`spec.…`).
    pub path: FieldPath,
    pub allowed: &'static [&'static str],
}

/// The fields of a route's `spec` (as found in the document under `spec`) that Kuma's
/// schema for `kind` does not have. Only MeshTCPRoute and MeshHTTPRoute are checked.
/// Nothing is allocated unless a field is unknown (every route document passes here).
pub fn unknown_route_fields(kind: ResourceKind, spec: &Node) -> Vec<Unknown> {
    use Step::{I, K};
    let (to, rule, default) = match kind {
        ResourceKind::MeshTCPRoute => (TCP_TO, TCP_RULE, TCP_DEFAULT),
        ResourceKind::MeshHTTPRoute => (HTTP_TO, HTTP_RULE, HTTP_DEFAULT),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    check(spec, SPEC, &[K("spec")], &mut out);
    if let Some(t) = spec.get("targetRef") {
        check(t, TARGET_REF, &[K("spec"), K("targetRef")], &mut out);
    }
    for (i, entry) in seq(spec.get("to")).iter().enumerate() {
        let at = [K("spec"), K("to"), I(i)];
        check(entry, to, &at, &mut out);
        if let Some(t) = entry.get("targetRef") {
            check(
                t,
                TARGET_REF,
                &[K("spec"), K("to"), I(i), K("targetRef")],
                &mut out,
            );
        }
        for (j, r) in seq(entry.get("rules")).iter().enumerate() {
            let at = [K("spec"), K("to"), I(i), K("rules"), I(j)];
            check(r, rule, &at, &mut out);
            let Some(d) = r.get("default") else { continue };
            let at = [K("spec"), K("to"), I(i), K("rules"), I(j), K("default")];
            check(d, default, &at, &mut out);
            for (k, b) in seq(d.get("backendRefs")).iter().enumerate() {
                let at = [
                    K("spec"),
                    K("to"),
                    I(i),
                    K("rules"),
                    I(j),
                    K("default"),
                    K("backendRefs"),
                    I(k),
                ];
                check(b, BACKEND_REF, &at, &mut out);
            }
        }
    }
    out
}

/// A path step that borrows its key (made into a [`FieldPath`] only when reported).
#[derive(Clone, Copy)]
enum Step {
    K(&'static str),
    I(usize),
}

fn seq<'n, 'a>(n: Option<&'n Node<'a>>) -> &'n [Node<'a>] {
    match n {
        Some(Node::Seq(v)) => v,
        _ => &[],
    }
}

fn check(n: &Node, allowed: &'static [&'static str], at: &[Step], out: &mut Vec<Unknown>) {
    let Node::Map(m) = n else { return };
    for (k, _) in m {
        if !allowed.contains(k) {
            let mut path = FieldPath(Vec::with_capacity(at.len() + 1));
            for s in at {
                path = match *s {
                    Step::K(k) => path.key(k),
                    Step::I(i) => path.index(i),
                };
            }
            out.push(Unknown {
                path: path.key(k),
                allowed,
            });
        }
    }
}

// ------------------------------------------------------------ where a field is written

/// The start of every line of a text (computed once per file, when a finding needs it).
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { text, starts }
    }

    /// Line `n` (1-based) without its line end, if there is one.
    fn get(&self, n: usize) -> Option<&'t str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        if start >= self.text.len() && n > 1 {
            return None;
        }
        let end = self
            .starts
            .get(n)
            .map_or(self.text.len(), |&e| e.saturating_sub(1));
        Some(self.text[start..end.max(start)].trim_end_matches('\r'))
    }

    /// The 1-based line on which `path` is written, in the block-style mapping that
    /// starts on line `start` (a document, or a list item `- …`). `None` when the text
    /// does not show it plainly (flow style spanning lines, JSON, anchors…): the caller
    /// then names the document's line.
    pub fn locate(&self, start: u32, path: &FieldPath) -> Option<u32> {
        let mut line = start as usize;
        let first = self.get(line)?;
        if first.trim_start().starts_with('{') {
            // JSON (`kubectl get -o json`): an object from its `{`.
            let at = self.starts[line - 1] + indent(first);
            let found = json_find(self.text.as_bytes(), at, &path.0)?;
            return Some(self.line_of(found));
        }
        // The mapping's column: after any `- ` item markers on its first line.
        let mut col = content_col(first);
        let mut first_line = true;
        let mut segs = path.0.iter().peekable();
        while let Some(seg) = segs.next() {
            let Seg::Key(key) = seg else { return None };
            let (found, rest) = self.find_key(line, col, first_line, key)?;
            let Some(next) = segs.peek() else {
                return Some(found as u32);
            };
            let rest = rest.trim_start();
            if !(rest.is_empty() || rest.starts_with('#')) {
                // The value is on the key's line (a flow collection): the field is
                // there when the collection closes on that line.
                return balanced(rest).then_some(found as u32);
            }
            // A block value: its first content line.
            let (vline, vind) = self.next_content(found + 1)?;
            match next {
                Seg::Index(n) => {
                    segs.next();
                    let item = self.nth_item(vline, vind, col, *n)?;
                    let text = self.get(item)?;
                    let after = &text[vind + 1..];
                    if after.trim().is_empty() || after.trim_start().starts_with('#') {
                        // `-` alone: the item's mapping starts on the next line.
                        let (l, ind) = self.next_content(item + 1)?;
                        (line, col, first_line) = (l, ind, true);
                    } else {
                        (line, col, first_line) = (item, content_col(text), true);
                    }
                    if segs.peek().is_none() {
                        return Some(item as u32);
                    }
                }
                Seg::Key(_) => {
                    if vind <= col {
                        return None;
                    }
                    (line, col, first_line) = (vline, vind, true);
                }
            }
        }
        None
    }

    /// The line of `key:` in the mapping at column `col` that starts on line `line`.
    fn find_key(
        &self,
        line: usize,
        col: usize,
        first: bool,
        key: &str,
    ) -> Option<(usize, &'t str)> {
        let mut n = line;
        loop {
            let text = self.get(n)?;
            let ind = indent(text);
            let blank = text.trim().is_empty() || text.trim_start().starts_with('#');
            if !blank {
                if n == line && first {
                    if let Some(rest) = key_at(text, col, key) {
                        return Some((n, rest));
                    }
                } else if ind < col || (ind == col && text[ind..].starts_with("- ")) {
                    return None;
                } else if ind == col
                    && let Some(rest) = key_at(text, col, key)
                {
                    return Some((n, rest));
                }
                if text.starts_with("---") || text.starts_with("...") {
                    return None;
                }
            }
            n += 1;
        }
    }

    /// The first line at or after `n` with content, and its indentation.
    fn next_content(&self, mut n: usize) -> Option<(usize, usize)> {
        loop {
            let text = self.get(n)?;
            let t = text.trim_start();
            if !t.is_empty() && !t.starts_with('#') {
                return Some((n, indent(text)));
            }
            n += 1;
        }
    }

    /// The line of item `idx` of the block sequence whose first item is on line `first`
    /// at column `ind` (`- ` there); the sequence belongs to a key at column `parent`.
    fn nth_item(&self, first: usize, ind: usize, parent: usize, idx: usize) -> Option<usize> {
        if ind < parent {
            return None;
        }
        let mut n = first;
        let mut seen = 0usize;
        loop {
            let text = self.get(n)?;
            let t = text.trim_start();
            if !t.is_empty() && !t.starts_with('#') {
                let i = indent(text);
                if i < ind {
                    return None;
                }
                if i == ind {
                    if !(t == "-" || t.starts_with("- ")) {
                        return None;
                    }
                    if seen == idx {
                        return Some(n);
                    }
                    seen += 1;
                }
            }
            n += 1;
        }
    }
}

impl Lines<'_> {
    /// The 1-based line of byte offset `at`.
    fn line_of(&self, at: usize) -> u32 {
        self.starts.partition_point(|&s| s <= at) as u32
    }
}

/// The offset of the member key (or the element) that `path` names in the JSON value
/// at `at`; `None` when the text is not plain JSON there or the path is not in it.
fn json_find(b: &[u8], at: usize, path: &[Seg]) -> Option<usize> {
    let (seg, rest) = path.split_first()?;
    let mut i = ws(b, at);
    match (b.get(i)?, seg) {
        (b'{', Seg::Key(key)) => {
            i += 1;
            loop {
                i = ws(b, i);
                match b.get(i)? {
                    b'}' => return None,
                    b',' => {
                        i += 1;
                        continue;
                    }
                    b'"' => {}
                    _ => return None,
                }
                let key_at = i;
                let end = json_string_end(b, i)?;
                let name = std::str::from_utf8(&b[i + 1..end - 1]).ok()?;
                i = ws(b, end);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                if name == key {
                    return if rest.is_empty() {
                        Some(key_at)
                    } else {
                        json_find(b, i, rest)
                    };
                }
                i = json_skip(b, i)?;
            }
        }
        (b'[', Seg::Index(n)) => {
            i += 1;
            let mut idx = 0;
            loop {
                i = ws(b, i);
                match b.get(i)? {
                    b']' => return None,
                    b',' => {
                        i += 1;
                        idx += 1;
                        continue;
                    }
                    _ => {}
                }
                if idx == *n {
                    return if rest.is_empty() {
                        Some(i)
                    } else {
                        json_find(b, i, rest)
                    };
                }
                i = json_skip(b, i)?;
            }
        }
        _ => None,
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The offset after the string that starts (with its `"`) at `i`.
fn json_string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The offset after the JSON value at `i`.
fn json_skip(b: &[u8], i: usize) -> Option<usize> {
    let mut i = ws(b, i);
    match b.get(i)? {
        b'"' => json_string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            loop {
                match b.get(i)? {
                    b'"' => {
                        i = json_string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            while b
                .get(i)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                i += 1;
            }
            Some(i)
        }
    }
}

fn indent(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

/// The column where a line's content starts, after `- ` markers.
fn content_col(s: &str) -> usize {
    let mut i = indent(s);
    let b = s.as_bytes();
    while i + 1 < b.len() && b[i] == b'-' && b[i + 1] == b' ' {
        i += 2;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
    }
    i
}

/// `key:` (plain or quoted) at column `col` of `line`: what follows the colon.
fn key_at<'t>(line: &'t str, col: usize, key: &str) -> Option<&'t str> {
    let rest = line.get(col..)?;
    let after = [("", ""), ("\"", "\""), ("'", "'")]
        .iter()
        .find_map(|(open, close)| {
            rest.strip_prefix(open)?
                .strip_prefix(key)?
                .strip_prefix(close)
        })?;
    let after = after.trim_start_matches(' ').strip_prefix(':')?;
    (after.is_empty() || after.starts_with([' ', '\t'])).then_some(after)
}

/// Whether a flow collection written on one line closes there (brackets balanced,
/// outside quotes).
fn balanced(s: &str) -> bool {
    let (mut depth, mut quote) = (0i32, None);
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, '#') if depth <= 0 => break,
            _ => {}
        }
    }
    depth == 0 && quote.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> FieldPath {
        let mut p = FieldPath::default();
        for part in s.split('.') {
            let (k, idx) = match part.split_once('[') {
                Some((k, i)) => (k, Some(i.trim_end_matches(']').parse().unwrap())),
                None => (part, None),
            };
            p = p.key(k);
            if let Some(i) = idx {
                p = p.index(i);
            }
        }
        p
    }

    const DOC: &str = "\
# leading comment
type: MeshTCPRoute
name: r
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
  - targetRef: {kind: MeshService, name: a}
    rules:
      - default:
          backendRefs: [{kind: MeshService, name: b}]
  - targetRef:
      kind: MeshService
      name: c
    rules:
      - matches:
          - path: {type: PathPrefix, value: /}
        default:
          backendRefs:
            -
              kind: MeshService
              name: d
              weigth: 3
";

    #[test]
    fn finds_the_line_of_a_field_in_block_yaml() {
        let l = Lines::new(DOC);
        for (p, want) in [
            ("spec", Some(5)),
            ("spec.targetRef.kind", Some(7)),
            ("spec.to[0].targetRef.name", Some(9)),
            ("spec.to[0].rules[0].default.backendRefs", Some(12)),
            ("spec.to[0].rules[0].default.backendRefs[0].name", Some(12)),
            ("spec.to[1].targetRef.name", Some(15)),
            ("spec.to[1].rules[0].matches", Some(17)),
            (
                "spec.to[1].rules[0].default.backendRefs[0].weigth",
                Some(24),
            ),
            ("spec.to[2].rules", None),
            ("spec.from", None),
        ] {
            assert_eq!(l.locate(2, &path(p)), want, "{p}");
        }
    }

    #[test]
    fn list_items_and_unclosed_flows() {
        let t = "items:\n- kind: MeshTCPRoute\n  spec:\n    to: [{targetRef: {kind: Mesh},\n      rules: []}]\n";
        let l = Lines::new(t);
        assert_eq!(l.locate(2, &path("spec")), Some(3));
        assert_eq!(
            l.locate(2, &path("spec.to[0].rules")),
            None,
            "flow over two lines"
        );
        assert_eq!(l.locate(2, &path("kind")), Some(2));
    }

    #[test]
    fn finds_the_line_of_a_field_in_pretty_json() {
        let t = "{\n    \"kind\": \"List\",\n    \"items\": [\n        {\n            \"kind\": \"MeshTCPRoute\",\n            \"metadata\": {\"name\": \"a,}\\\"b\"},\n            \"spec\": {\n                \"to\": [\n                    {\"targetRef\": {\"kind\": \"Mesh\"}},\n                    {\n                        \"rules\": []\n                    }\n                ]\n            }\n        }\n    ]\n}\n";
        let l = Lines::new(t);
        assert_eq!(
            l.locate(1, &path("items[0].spec.to[1].rules")),
            Some(11),
            "{t}"
        );
        assert_eq!(l.locate(4, &path("spec.to[0].targetRef.kind")), Some(9));
        assert_eq!(l.locate(4, &path("spec.to[1]")), Some(10));
        assert_eq!(l.locate(4, &path("spec.from")), None);
        assert_eq!(l.locate(4, &path("metadata.name")), Some(6));
    }

    #[test]
    fn unknown_fields_of_a_meshtcproute() {
        let v = serde_json::json!({
            "targetRef": {"kind": "Mesh", "nmae": "x"},
            "to": [{"targetRef": {"kind": "MeshService", "name": "a"},
                    "rules": [{"matches": [{"path": {"value": "/"}}],
                               "default": {"backendRefs": [{"kind": "MeshService", "name": "b", "weigth": 1}],
                                           "filters": []}}]}],
            "from": []
        });
        let n = Node::of_value(&v);
        let got: Vec<String> = unknown_route_fields(ResourceKind::MeshTCPRoute, &n)
            .iter()
            .map(|u| u.path.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "spec.from",
                "spec.targetRef.nmae",
                "spec.to[0].rules[0].matches",
                "spec.to[0].rules[0].default.filters",
                "spec.to[0].rules[0].default.backendRefs[0].weigth",
            ]
        );
        // The same fields are MeshHTTPRoute's own, but for the misspellings.
        let got: Vec<String> = unknown_route_fields(ResourceKind::MeshHTTPRoute, &n)
            .iter()
            .map(|u| u.path.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "spec.from",
                "spec.targetRef.nmae",
                "spec.to[0].rules[0].default.backendRefs[0].weigth",
            ]
        );
    }
}
