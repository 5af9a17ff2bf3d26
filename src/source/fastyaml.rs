//! A fast path for the plain block-style YAML that Kuma resources are written in.
//!
//! serde-saphyr (kept for everything else) spends most of a load building events and
//! resolving them; Kuma manifests use a small, regular subset of YAML. This module reads
//! that subset straight into [`Node`] trees that borrow the text, and gives up (returns `None`) on the
//! first thing it does not fully understand, so that [`super::yaml`] parses that document
//! with serde-saphyr instead: errors, and their messages, always come from serde-saphyr.
//!
//! For every document it accepts, the result is exactly what the serde-saphyr path makes
//! (values, key order, number kinds, the document's line and the lines of `items:`);
//! `tests/engine/fastyaml_diff.rs` and the `yaml_diff` fuzz target check that.
//!
//! Accepted: space indentation; blank lines and comments; block mappings with plain
//! keys (`[A-Za-z][A-Za-z0-9._/-]*`, not a bool or null word); block sequences (also at
//! the same indentation as their key, and compact: `- a: 1`, `- - a`); single-line flow
//! mappings and sequences of the same; single-line plain, double-quoted (no escapes) and
//! single-quoted scalars; `key:` with nothing (null); CRLF line ends.
//!
//! Refused (serde-saphyr reads the document): tabs, lone CRs, control characters,
//! special Unicode breaks and BOMs, anchors, aliases, tags, directives, block scalars,
//! multi-line scalars and flows, quoted or complex keys, duplicate keys, merge keys,
//! nesting deeper than [`MAX_DEPTH`] less a margin, a root that is not a block mapping or
//! sequence at column 0, and anything unusual in indentation or punctuation.
//!
//! Plain scalars are typed like serde-saphyr's `deserialize_any` (serde-saphyr 2.2.0,
//! `src/de/deserializer.rs` and `src/parse_scalars.rs`, default options): YAML 1.1
//! booleans (`y`, `yes`, `on`, `true`, `n`, `no`, `off`, `false`, any case); `~`,
//! `null`, `Null`, `NULL` and empty as null; then integers, then floats, else a string.
//! Here a scalar that starts with a letter is a string unless it is one of those words;
//! a plain decimal without leading zero is a `u64`; a scalar that starts with a digit
//! and holds a character no number can hold (or two dots) is a string; what remains
//! (`1.5`, `0x1F`, `017`, `-3`, `.inf`, `2001-12-14`, …) is handed to serde-saphyr alone.

use super::node::Node;
use super::yaml::{MAX_DEPTH, Parsed};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;

/// Collections nested deeper than this are left to serde-saphyr (whose limit is
/// [`MAX_DEPTH`]).
const FAST_MAX_DEPTH: usize = MAX_DEPTH - 8;
/// More comment lines than this between `key:` (or `-`) and its value are left to
/// serde-saphyr, which refuses more than 32 (`Budget::max_buffered_comment_events`).
const MAX_LOOKAHEAD_COMMENTS: usize = 24;
/// Longer keys are left to serde-saphyr (YAML limits implicit keys to 1024 characters).
const MAX_KEY_LEN: usize = 512;

/// Parse one document chunk (as cut by `split_documents`), or `None` when it is not in
/// the subset this module reads exactly. Lines are 1-based, relative to the chunk.
pub(crate) fn parse_chunk(chunk: &str) -> Option<Parsed<'_>> {
    if !clean(chunk) {
        return None;
    }
    let mut p = P {
        s: chunk,
        b: chunk.as_bytes(),
        start: 0,
        end: 0,
        next: 0,
        indent: 0,
        line: 0,
        eof: false,
        nodes: 0,
        events: 0,
    };
    p.advance();
    if p.eof || p.indent != 0 {
        return None;
    }
    let line = p.line;
    let parsed = if p.is_seq_entry(0) {
        p.block_seq(0, 0, 1, None)?;
        Parsed::Other {
            line,
            value: Node::Seq(vec![]),
        }
    } else if p.key_at(0).is_some() {
        let (map, items) = p.block_map(0, 0, 1, true)?;
        Parsed::Map { line, map, items }
    } else {
        return None;
    };
    if !p.eof {
        return None;
    }
    // serde-saphyr's budgets for this chunk (see `yaml::options_for`), with a margin.
    let len = chunk.len();
    if p.nodes + 16 > super::yaml::max_nodes(len) || p.events + 32 > super::yaml::max_events(len) {
        return None;
    }
    Some(parsed)
}

/// No tab, lone CR, control character, or Unicode character that YAML treats
/// specially (NEL and other C1 controls, line and paragraph separators, BOM,
/// non-characters).
fn clean(s: &str) -> bool {
    let b = s.as_bytes();
    let odd = |c: u8| (c < 0x20 && c != b'\n') | (c >= 0x7f);
    // Blocks without a branch per byte (vectorised): most texts are plain ASCII.
    if !b
        .chunks(64)
        .any(|block| block.iter().fold(false, |acc, &c| acc | odd(c)))
    {
        return true;
    }
    let mut ascii = true;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\n' => {}
            b'\r' if b.get(i + 1) != Some(&b'\n') => return false,
            b'\r' => {}
            0..=0x1f | 0x7f => return false,
            0x80.. => ascii = false,
            _ => {}
        }
    }
    ascii
        || !s.chars().any(|c| {
            matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
        })
}

struct P<'a> {
    s: &'a str,
    b: &'a [u8],
    /// The current content line: its start, the end of its text (before CR LF), the start
    /// of the next line, its indentation and its 1-based number.
    start: usize,
    end: usize,
    next: usize,
    indent: usize,
    line: u32,
    eof: bool,
    nodes: usize,
    events: usize,
}

impl<'a> P<'a> {
    /// Move to the next line that is not blank and not only a comment; returns how many
    /// comment lines were skipped.
    fn advance(&mut self) -> usize {
        let mut comments = 0;
        loop {
            if self.next >= self.b.len() {
                self.eof = true;
                self.start = self.b.len();
                self.end = self.b.len();
                self.indent = 0;
                return comments;
            }
            self.start = self.next;
            self.line += 1;
            let nl = memchr::memchr(b'\n', &self.b[self.start..]).map(|i| self.start + i);
            (self.end, self.next) = match nl {
                Some(n) if n > self.start && self.b[n - 1] == b'\r' => (n - 1, n + 1),
                Some(n) => (n, n + 1),
                None => (self.b.len(), self.b.len()),
            };
            let mut i = self.start;
            while i < self.end && self.b[i] == b' ' {
                i += 1;
            }
            if i == self.end {
                continue;
            }
            if self.b[i] == b'#' {
                self.events += 1;
                comments += 1;
                continue;
            }
            self.indent = i - self.start;
            return comments;
        }
    }

    /// After an empty value (`key:` or `-` with nothing after it on the line, maybe a
    /// comment), move to the next content line. serde-saphyr buffers the comments it
    /// meets while it looks for that value, and refuses more than 32 of them.
    fn advance_after_empty(&mut self, c: usize) -> Option<()> {
        let trailing = self.at(c) == Some(b'#');
        if trailing {
            self.events += 1;
        }
        let n = self.advance() + usize::from(trailing);
        (n <= MAX_LOOKAHEAD_COMMENTS).then_some(())
    }

    fn at(&self, col: usize) -> Option<u8> {
        let i = self.start + col;
        (i < self.end).then(|| self.b[i])
    }

    /// `-` at `col` followed by a space or the end of the line.
    fn is_seq_entry(&self, col: usize) -> bool {
        self.at(col) == Some(b'-') && matches!(self.at(col + 1), None | Some(b' '))
    }

    /// A simple key at `col`: its text and the column after `:`.
    fn key_at(&self, col: usize) -> Option<(&'a str, usize)> {
        let b = self.b;
        let from = self.start + col;
        if from >= self.end || !b[from].is_ascii_alphabetic() {
            return None;
        }
        let mut i = from + 1;
        while i < self.end && is_key_byte(b[i]) {
            i += 1;
        }
        if i >= self.end || b[i] != b':' || (i + 1 < self.end && b[i + 1] != b' ') {
            return None;
        }
        let key = &self.s[from..i];
        if key.len() > MAX_KEY_LEN || special_word(key) {
            return None;
        }
        Some((key, i + 1 - self.start))
    }

    /// The column of the first non-space at or after `col`, and whether the rest of the
    /// line is empty or a comment.
    fn skip_spaces(&self, col: usize) -> (usize, bool) {
        let mut i = self.start + col;
        while i < self.end && self.b[i] == b' ' {
            i += 1;
        }
        let empty = i == self.end || (self.b[i] == b'#' && i > self.start && self.b[i - 1] == b' ');
        (i - self.start, empty)
    }

    fn enter(&mut self, depth: usize) -> Option<()> {
        self.nodes += 1;
        self.events += 2;
        (depth <= FAST_MAX_DEPTH).then_some(())
    }

    fn scalar(&mut self) {
        self.nodes += 1;
        self.events += 1;
    }

    /// A block node starting on the current line at column `col` (its indentation).
    fn block_node(
        &mut self,
        col: usize,
        depth: usize,
        lines: Option<&mut Vec<u32>>,
    ) -> Option<Node<'a>> {
        if self.is_seq_entry(col) {
            self.block_seq(col, col, depth, lines).map(Node::Seq)
        } else if self.key_at(col).is_some() {
            self.block_map(col, col, depth, false)
                .map(|(m, _)| Node::Map(m))
        } else {
            None
        }
    }

    /// A block mapping whose keys are at column `indent`; the first key is on the current
    /// line at column `col` (`col == indent`; after `- ` for a compact mapping). At the
    /// root (`root`), `items` is kept aside with its items' lines, as `yaml::Top` does.
    #[allow(clippy::type_complexity)]
    fn block_map(
        &mut self,
        indent: usize,
        col: usize,
        depth: usize,
        root: bool,
    ) -> Option<(Vec<(&'a str, Node<'a>)>, Option<Vec<(u32, Node<'a>)>>)> {
        self.enter(depth)?;
        let mut map = Entries::default();
        let mut items = None;
        let mut seen_items = false;
        let mut col = col;
        loop {
            let (key, after) = self.key_at(col)?;
            self.scalar();
            if root && key == "items" {
                if seen_items {
                    return None;
                }
                seen_items = true;
                let mut lines = Vec::new();
                match self.value_after(after, indent, true, depth, Some(&mut lines))? {
                    Node::Null => {
                        map.insert(key, Node::Null)?;
                    }
                    Node::Seq(a) => {
                        if lines.len() != a.len() {
                            return None;
                        }
                        items = Some(lines.into_iter().zip(a).collect());
                    }
                    _ => return None,
                }
            } else {
                let v = self.value_after(after, indent, true, depth, None)?;
                map.insert(key, v)?;
            }
            if self.eof || self.indent < indent {
                break;
            }
            if self.indent > indent || self.is_seq_entry(indent) {
                return None;
            }
            col = indent;
        }
        Some((map.done(), items))
    }

    /// A block sequence whose entries are at column `indent`; the first `-` is on the
    /// current line at column `col`. `lines` gets each item's line.
    fn block_seq(
        &mut self,
        indent: usize,
        col: usize,
        depth: usize,
        mut lines: Option<&mut Vec<u32>>,
    ) -> Option<Vec<Node<'a>>> {
        self.enter(depth)?;
        let mut out = Vec::new();
        let mut col = col;
        loop {
            let (c, empty) = self.skip_spaces(col + 1);
            let item_line = self.line;
            let v = if empty {
                self.advance_after_empty(c)?;
                if !self.eof && self.indent > indent {
                    let l = self.line;
                    if let Some(ls) = lines.as_deref_mut() {
                        ls.push(l);
                    }
                    self.block_node(self.indent, depth + 1, None)?
                } else {
                    // Where serde-saphyr puts an empty item is its own business.
                    if lines.is_some() {
                        return None;
                    }
                    self.scalar();
                    Node::Null
                }
            } else {
                if let Some(ls) = lines.as_deref_mut() {
                    ls.push(item_line);
                }
                if self.is_seq_entry(c) {
                    Node::Seq(self.block_seq(c, c, depth + 1, None)?)
                } else if self.key_at(c).is_some() {
                    Node::Map(self.block_map(c, c, depth + 1, false)?.0)
                } else {
                    self.inline_value(c, indent, depth + 1)?
                }
            };
            out.push(v);
            if self.eof || self.indent < indent {
                break;
            }
            if self.indent > indent {
                return None;
            }
            if !self.is_seq_entry(indent) {
                break;
            }
            col = indent;
        }
        Some(out)
    }

    /// The value after `key:` (at column `col` of the current line) of a mapping at
    /// `indent`: a nested block on the next lines, a sequence at the same indentation
    /// (`seq_here`), null, or a value on this line.
    fn value_after(
        &mut self,
        col: usize,
        indent: usize,
        seq_here: bool,
        depth: usize,
        mut lines: Option<&mut Vec<u32>>,
    ) -> Option<Node<'a>> {
        let (c, empty) = self.skip_spaces(col);
        if !empty {
            let line = self.line;
            let v = self.inline_value(c, indent, depth + 1)?;
            if let (Some(ls), Node::Seq(a)) = (lines.as_deref_mut(), &v) {
                // A flow sequence on one line: every item is on it.
                ls.extend(std::iter::repeat_n(line, a.len()));
            }
            return Some(v);
        }
        self.advance_after_empty(c)?;
        if !self.eof && self.indent > indent {
            self.block_node(self.indent, depth + 1, lines)
        } else if !self.eof && seq_here && self.indent == indent && self.is_seq_entry(indent) {
            self.block_seq(indent, indent, depth + 1, lines)
                .map(Node::Seq)
        } else {
            self.scalar();
            Some(Node::Null)
        }
    }
}

impl<'a> P<'a> {
    /// A value on the current line at column `c` (flow collection, quoted or plain
    /// scalar) in a block node at `indent`. Then the line must end (or a comment start),
    /// and the next content line must not be indented deeper (a continuation).
    fn inline_value(&mut self, c: usize, indent: usize, depth: usize) -> Option<Node<'a>> {
        let i = self.start + c;
        let (v, after) = match self.b[i] {
            b'{' | b'[' => self.flow(i, depth)?,
            b'"' => self.double(i)?,
            b'\'' => self.single(i)?,
            _ => self.plain(i, false)?,
        };
        let mut j = after;
        while j < self.end && self.b[j] == b' ' {
            j += 1;
        }
        if j < self.end {
            // Only a comment, after a space, may follow.
            if self.b[j] != b'#' || j == after {
                return None;
            }
            self.events += 1;
        }
        self.advance();
        if !self.eof && self.indent > indent {
            return None;
        }
        Some(v)
    }

    fn skip(&self, mut j: usize) -> usize {
        while j < self.end && self.b[j] == b' ' {
            j += 1;
        }
        j
    }

    /// A flow mapping or sequence that opens at byte `i` and closes on the same line;
    /// entries are scalars or flow collections. Returns the value and the byte after it.
    fn flow(&mut self, i: usize, depth: usize) -> Option<(Node<'a>, usize)> {
        self.enter(depth)?;
        let is_map = self.b[i] == b'{';
        let close = if is_map { b'}' } else { b']' };
        let mut map = Entries::default();
        let mut seq = Vec::new();
        let mut j = self.skip(i + 1);
        if j < self.end && self.b[j] == close {
            let v = if is_map {
                Node::Map(map.done())
            } else {
                Node::Seq(seq)
            };
            return Some((v, j + 1));
        }
        loop {
            if is_map {
                let (key, after) = self.flow_key(j)?;
                self.scalar();
                let (v, a) = self.flow_value(self.skip(after), depth + 1)?;
                map.insert(key, v)?;
                j = a;
            } else {
                let (v, a) = self.flow_value(j, depth + 1)?;
                seq.push(v);
                j = a;
            }
            j = self.skip(j);
            if j >= self.end {
                return None;
            }
            if self.b[j] == b',' {
                j = self.skip(j + 1);
                if j >= self.end || self.b[j] == close {
                    return None;
                }
                continue;
            }
            if self.b[j] != close {
                return None;
            }
            let v = if is_map {
                Node::Map(map.done())
            } else {
                Node::Seq(seq)
            };
            return Some((v, j + 1));
        }
    }

    /// A plain key at byte `j` inside a flow mapping, followed by `: `; returns the key
    /// and the byte after the colon.
    fn flow_key(&self, j: usize) -> Option<(&'a str, usize)> {
        let b = self.b;
        if j >= self.end || !b[j].is_ascii_alphabetic() {
            return None;
        }
        let mut i = j + 1;
        while i < self.end && is_key_byte(b[i]) {
            i += 1;
        }
        if i + 1 >= self.end || b[i] != b':' || b[i + 1] != b' ' {
            return None;
        }
        let key = &self.s[j..i];
        if key.len() > MAX_KEY_LEN || special_word(key) {
            return None;
        }
        Some((key, i + 1))
    }

    fn flow_value(&mut self, j: usize, depth: usize) -> Option<(Node<'a>, usize)> {
        match *self.b.get(j).filter(|_| j < self.end)? {
            b'{' | b'[' => self.flow(j, depth),
            b'"' => self.double(j),
            b'\'' => self.single(j),
            _ => self.plain(j, true),
        }
    }

    /// A double-quoted scalar without escapes that closes on this line.
    fn double(&mut self, i: usize) -> Option<(Node<'a>, usize)> {
        let rel = memchr::memchr2(b'"', b'\\', &self.b[i + 1..self.end])?;
        let j = i + 1 + rel;
        if self.b[j] != b'"' {
            return None;
        }
        self.scalar();
        Some((Node::Str(Cow::Borrowed(&self.s[i + 1..j])), j + 1))
    }

    /// A single-quoted scalar (`''` is a quote) that closes on this line.
    fn single(&mut self, i: usize) -> Option<(Node<'a>, usize)> {
        let mut out: Option<String> = None;
        let mut from = i + 1;
        loop {
            let q = from + memchr::memchr(b'\'', &self.b[from..self.end])?;
            if q + 1 < self.end && self.b[q + 1] == b'\'' {
                out.get_or_insert_default().push_str(&self.s[from..=q]);
                from = q + 2;
                continue;
            }
            self.scalar();
            // Borrowed from the text unless a `''` had to be unfolded.
            let s = match out {
                Some(mut o) => {
                    o.push_str(&self.s[from..q]);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(&self.s[from..q]),
            };
            return Some((Node::Str(s), q + 1));
        }
    }

    /// A plain scalar at byte `i` on one line (in a flow collection when `in_flow`);
    /// returns its value and the byte after its last non-space.
    fn plain(&mut self, i: usize, in_flow: bool) -> Option<(Node<'a>, usize)> {
        let b = self.b;
        let first = b[i];
        let ok_start = first.is_ascii_alphanumeric()
            || matches!(first, b'/' | b'_' | b'$' | b'~')
            || (matches!(first, b'-' | b'+' | b'.')
                && i + 1 < self.end
                && (b[i + 1].is_ascii_alphanumeric() || b[i + 1] == b'.'));
        if !ok_start {
            return None;
        }
        let last = if in_flow {
            self.flow_plain_end(i)?
        } else {
            self.block_plain_end(i)?
        };
        self.scalar();
        let s: &'a str = self.s;
        Some((typed(&s[i..last])?, last))
    }

    /// Where a plain scalar that starts at byte `i` in block context ends (after its last
    /// non-space): only `: ` (or `:` at the end, refused) and ` #` matter; it runs to
    /// the line's end or its comment.
    fn block_plain_end(&self, i: usize) -> Option<usize> {
        let b = self.b;
        let mut j = i;
        let stop = loop {
            let Some(k) = memchr::memchr2(b':', b'#', &b[j..self.end]) else {
                break self.end;
            };
            let p = j + k;
            if b[p] == b':' {
                if p + 1 == self.end || b[p + 1] == b' ' {
                    return None;
                }
            } else if b[p - 1] == b' ' {
                break p;
            }
            j = p + 1;
        };
        let mut last = stop;
        while last > i && b[last - 1] == b' ' {
            last -= 1;
        }
        Some(last)
    }

    /// Where a plain scalar that starts at byte `i` in a flow collection ends: at `,`,
    /// `]` or `}`; a `:`, `[`, `{` or comment in it is left to serde-saphyr.
    fn flow_plain_end(&self, i: usize) -> Option<usize> {
        let b = self.b;
        let mut last = i;
        for j in i..self.end {
            match b[j] {
                b':' | b'[' | b'{' => return None,
                b'#' if b[j - 1] == b' ' => return None,
                b',' | b']' | b'}' => break,
                b' ' => {}
                _ => last = j + 1,
            }
        }
        Some(last)
    }
}

/// What serde-saphyr's `deserialize_any` makes of a plain scalar (see the module doc),
/// or `None` when unsure.
fn typed(t: &str) -> Option<Node<'_>> {
    let b = t.as_bytes();
    match b[0] {
        b'a'..=b'z' | b'A'..=b'Z' => Some(word(t)),
        b'0'..=b'9' => number(t),
        b'/' | b'_' | b'$' => Some(Node::Str(Cow::Borrowed(t))),
        b'~' if t.len() == 1 => Some(Node::Null),
        b'~' => Some(Node::Str(Cow::Borrowed(t))),
        _ => ask_saphyr(t),
    }
}

fn word(t: &str) -> Node<'_> {
    if t.len() <= 5 {
        let is = |w: &str| t.eq_ignore_ascii_case(w);
        if is("true") || is("yes") || is("y") || is("on") {
            return Node::Bool(true);
        }
        if is("false") || is("no") || is("n") || is("off") {
            return Node::Bool(false);
        }
        if matches!(t, "null" | "Null" | "NULL") {
            return Node::Null;
        }
    }
    Node::Str(Cow::Borrowed(t))
}

/// A plain scalar that starts with a digit.
fn number(t: &str) -> Option<Node<'_>> {
    let b = t.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        if (b[0] != b'0' || b.len() == 1) && b.len() <= 19 {
            return t.parse::<u64>().ok().map(Node::U64);
        }
        return ask_saphyr(t);
    }
    // Integers (decimal with `_`, 0x, 0o, 0b) and floats are written with these only.
    let numeric = |c: &u8| {
        c.is_ascii_hexdigit() || matches!(c, b'x' | b'X' | b'o' | b'O' | b'+' | b'-' | b'.' | b'_')
    };
    if !b.iter().all(numeric) || b.iter().filter(|c| **c == b'.').count() > 1 {
        return Some(Node::Str(Cow::Borrowed(t)));
    }
    ask_saphyr(t)
}

/// serde-saphyr's reading of one plain scalar, alone. Only for short scalars of
/// characters that cannot change the structure (no space, colon or comment; not a
/// document marker).
fn ask_saphyr(t: &str) -> Option<Node<'static>> {
    let ok = t.len() <= 64
        && t.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_'))
        && !t.starts_with("--")
        && !t.starts_with("..");
    if !ok {
        return None;
    }
    match serde_saphyr::from_str::<Value>(t) {
        Ok(v) if !v.is_array() && !v.is_object() => Some(Node::owned_scalar(&v)),
        _ => None,
    }
}

/// A mapping's entries as they are read, refusing a duplicate key: by a scan while the
/// mapping is small (Kuma's are), with a set of its keys beyond that.
#[derive(Default)]
struct Entries<'a> {
    list: Vec<(&'a str, Node<'a>)>,
    keys: Option<HashSet<&'a str>>,
}

/// Keys a mapping may have before its duplicates are looked up in a set.
const SCAN_KEYS: usize = 16;

impl<'a> Entries<'a> {
    /// Add an entry; `None` when the key is there already.
    fn insert(&mut self, key: &'a str, v: Node<'a>) -> Option<()> {
        match &mut self.keys {
            Some(keys) => {
                if !keys.insert(key) {
                    return None;
                }
            }
            None if self.list.len() < SCAN_KEYS => {
                if self.list.iter().any(|(k, _)| *k == key) {
                    return None;
                }
            }
            None => {
                let mut keys: HashSet<&'a str> = self.list.iter().map(|(k, _)| *k).collect();
                if !keys.insert(key) {
                    return None;
                }
                self.keys = Some(keys);
            }
        }
        self.list.push((key, v));
        Some(())
    }

    fn done(self) -> Vec<(&'a str, Node<'a>)> {
        self.list
    }
}

/// Bytes of a plain key after its first: a table, looked up once per byte of every key.
const KEY_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-');
        c += 1;
    }
    t
};

fn is_key_byte(c: u8) -> bool {
    KEY_BYTES[c as usize]
}

/// Words serde-saphyr reads as a bool (YAML 1.1, any case) or null (`null` in any case
/// here, to be safe).
fn special_word(s: &str) -> bool {
    // Most keys are longer, or start with another letter.
    s.len() <= 5
        && s.as_bytes()
            .first()
            .is_some_and(|c| matches!(c | 0x20, b'y' | b'o' | b't' | b'n' | b'f'))
        && ["y", "yes", "on", "true", "n", "no", "off", "false", "null"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml::check_fast_path;
    use serde_json::json;

    /// The fast path reads `t`, serde-saphyr agrees, and this is the value (an `items`
    /// list is put back in its place at the end, as `yaml::parse_documents` does).
    fn read(t: &str) -> Value {
        let s = check_fast_path(t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.accepted, s.chunks, "the fast path reads {t:?}");
        match parse_chunk(t).expect("read") {
            Parsed::Other { value, .. } => value.to_value(),
            Parsed::Map { mut map, items, .. } => {
                if let Some(items) = items {
                    map.push((
                        "items",
                        Node::Seq(items.into_iter().map(|(_, v)| v).collect()),
                    ));
                }
                Node::Map(map).to_value()
            }
        }
    }

    fn same(t: &str, want: Value) {
        let got = read(t);
        assert_eq!(got.to_string(), want.to_string(), "{t:?}");
    }

    /// The fast path leaves `t` to serde-saphyr.
    fn bails(t: &str) {
        assert!(parse_chunk(t).is_none(), "the fast path should leave {t:?}");
    }

    #[test]
    fn block_mappings() {
        same(
            "a: 1\nb:\n  c: x\n  d:\n    e: w\nf: z\n",
            json!({"a": 1, "b": {"c": "x", "d": {"e": "w"}}, "f": "z"}),
        );
        same("z: 1\na: 2\nm: 3\n", json!({"z": 1, "a": 2, "m": 3}));
        same("a:\nb: 1\n", json!({"a": null, "b": 1}));
        same("a:\n  b:\n", json!({"a": {"b": null}}));
        same(
            "kuma.io/service: a\nk8s.kuma.io/namespace: b\nx_y-z: c\n",
            json!({"kuma.io/service": "a", "k8s.kuma.io/namespace": "b", "x_y-z": "c"}),
        );
        same("a:    1   \n", json!({"a": 1}));
    }

    #[test]
    fn block_sequences() {
        same("a:\n- x\n- y\nb: 1\n", json!({"a": ["x", true], "b": 1}));
        same("a:\n  - x\n  - z\n", json!({"a": ["x", "z"]}));
        same(
            "a:\n  - b: 1\n    c: 2\n  - d: 3\n",
            json!({"a": [{"b": 1, "c": 2}, {"d": 3}]}),
        );
        same(
            "a:\n  -   b: 1\n      c: 2\n",
            json!({"a": [{"b": 1, "c": 2}]}),
        );
        same(
            "a:\n  - - x\n    - w\n  - z\n",
            json!({"a": [["x", "w"], "z"]}),
        );
        same("a:\n  - -\n", json!({"a": [[null]]}));
        same("a:\n  -\n    b: 1\n", json!({"a": [{"b": 1}]}));
        same("a:\n  - # c\n    b: 1\n", json!({"a": [{"b": 1}]}));
        same("a:\n  - b:\n      - c\n", json!({"a": [{"b": ["c"]}]}));
        same("a:\n  - x\n  -\n", json!({"a": ["x", null]}));
        // A root sequence is not a resource: it is kept as an empty array.
        same("- a\n- b: 1\n", json!([]));
    }

    #[test]
    fn flow_collections() {
        same("a: {}\nb: []\n", json!({"a": {}, "b": []}));
        same(
            "a: {b: 1, c: [x, 'y', \"z\"], d: {e: f}}\n",
            json!({"a": {"b": 1, "c": ["x", "y", "z"], "d": {"e": "f"}}}),
        );
        same(
            "a: { b: 1 , c: two words }\n",
            json!({"a": {"b": 1, "c": "two words"}}),
        );
        same("- {kind: Mesh}\n", json!([]));
        same(
            "a: [yes, ~, 2, x#y] # c\n",
            json!({"a": [true, null, 2, "x#y"]}),
        );
    }

    #[test]
    fn plain_scalars_are_typed_like_serde_saphyr() {
        same(
            "a: yes\nb: No\nc: ON\nd: off\ne: y\nf: N\ng: True\nh: FALSE\n",
            json!({"a": true, "b": false, "c": true, "d": false, "e": true, "f": false, "g": true, "h": false}),
        );
        same(
            "a: null\nb: Null\nc: NULL\nd: nULL\ne: ~\nf: ~x\ng:\n",
            json!({"a": null, "b": null, "c": null, "d": "nULL", "e": null, "f": "~x", "g": null}),
        );
        same(
            "a: yess\nb: nan\nc: inf\nd: Infinity\ne: /api\nf: _x\ng: $X\n",
            json!({"a": "yess", "b": "nan", "c": "inf", "d": "Infinity", "e": "/api", "f": "_x", "g": "$X"}),
        );
        same(
            "a: 0\nb: 8080\nc: 18446744073709551615\n",
            json!({"a": 0, "b": 8080, "c": 18446744073709551615u64}),
        );
        same(
            "a: 10.0.0.1\nb: 1.2.3\nc: 12:30\nd: 1 2\ne: 8080/tcp\nf: 2024-01-01T00:00:00Z\n",
            json!({"a": "10.0.0.1", "b": "1.2.3", "c": "12:30", "d": "1 2", "e": "8080/tcp", "f": "2024-01-01T00:00:00Z"}),
        );
        // Asked of serde-saphyr, one scalar at a time.
        same(
            "a: 1.5\nb: -3\nc: 0x1F\nd: 017\ne: 1_000\nf: +1\ng: 2001-12-14\nh: 0X1F\n",
            json!({"a": 1.5, "b": -3, "c": 31, "d": 17.0, "e": 1000, "f": 1, "g": "2001-12-14", "h": "0X1F"}),
        );
        same(
            "a: a#b\nb: a #b\nc: a:b\nd: a, b\ne: x{}\n",
            json!({"a": "a#b", "b": "a", "c": "a:b", "d": "a, b", "e": "x{}"}),
        );
        // Trailing spaces, before a comment or the line's end, are not part of it.
        same(
            "a: b c   \nd: e  # f: g\nh: i:j:k #\n",
            json!({"a": "b c", "d": "e", "h": "i:j:k"}),
        );
        bails("a: b:\n");
        bails("a: b: c\n");
    }

    #[test]
    fn quoted_scalars() {
        same(
            "a: \"yes\"\nb: 'it''s'\nc: ''\nd: \"\"\ne: '#: x'\nf: \" a \" # c\n",
            json!({"a": "yes", "b": "it's", "c": "", "d": "", "e": "#: x", "f": " a "}),
        );
        same("a: \"ünï\"\nb: x名前\n", json!({"a": "ünï", "b": "x名前"}));
        // A plain scalar that starts with a non-ASCII character is left to serde-saphyr.
        bails("a: 名前\n");
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        same(
            "# c\n\n  # indented\na: 1 # c\n\n# c\nb:\n  # c\n  c: 2\n",
            json!({"a": 1, "b": {"c": 2}}),
        );
        same("a: 1\r\nb:\r\n  - x\r\n", json!({"a": 1, "b": ["x"]}));
    }

    #[test]
    fn lines_of_the_document_and_of_items() {
        let t = "# c\n\nkind: List\nitems:\n- kind: A\n-\n  kind: B\n- # c\n  kind: C\n- x\n";
        read(t);
        let Some(Parsed::Map { line, items, .. }) = parse_chunk(t) else {
            panic!()
        };
        assert_eq!(line, 3);
        let lines: Vec<u32> = items.unwrap().iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![5, 7, 9, 10]);
        let Some(Parsed::Map { items, .. }) = parse_chunk("kind: List\nitems: [a, b]\n") else {
            panic!()
        };
        assert_eq!(
            items.unwrap().iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [2, 2]
        );
        let Some(Parsed::Map { map, items, .. }) = parse_chunk("items:\nkind: List\n") else {
            panic!()
        };
        assert!(items.is_none() && Node::Map(map).get("items") == Some(&Node::Null));
        read("kind: List\nitems:\n- a\n");
    }

    #[test]
    fn bails_on_yaml_it_does_not_read() {
        for t in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  x\n",
            "a: >\n  x\n",
            "%YAML 1.2\na: 1\n",
            "? a\n: 1\n",
            "<<: {a: 1}\n",
            "a: @x\n",
            "a: `x\n",
            "a: %x\n",
            "a: ,x\n",
            "a: - b\n",
            "a: -\n",
            "scalar\n",
            "{\"a\": 1}\n",
            "[1, 2]\n",
            "kind: List\nitems:\n-\n- a\n",
            "kind: List\nitems: x\n",
            "kind: List\nitems: {}\n",
        ] {
            bails(t);
        }
    }

    #[test]
    fn bails_on_duplicate_keys_anywhere() {
        for t in [
            "a: 1\na: 2\n",
            "a:\n  b: 1\n  b: 2\n",
            "a: {b: 1, b: 2}\n",
            "a:\n- b: 1\n  b: 2\n",
            "items: []\nitems: []\n",
            "items:\nitems: []\n",
        ] {
            bails(t);
        }
    }

    #[test]
    fn bails_on_multi_line_scalars_and_odd_indentation() {
        for t in [
            "a: multi\n  line\n",
            "a: 'multi\n  line'\n",
            "a: \"multi\n  line\"\n",
            "a: {b: 1\n  , c: 2}\n",
            "a:\n  b\n",
            "a:\n  - b: 1\n   c: 2\n",
            "a:\n  b: 1\n c: 2\n",
            "a: 1\n  b: 2\n",
            "a: 1\n- b\n",
            "a:\n    - x\n  b: 1\n",
            "  a: 1\n",
            "-a\n",
        ] {
            bails(t);
        }
    }

    #[test]
    fn bails_on_scalars_and_keys_it_is_unsure_of() {
        for t in [
            "a: a: b\n",
            "a: b:\n",
            "a:b\n",
            "a: \"x\"#c\n",
            "a: 'x'y\n",
            "a: \"a\\nb\"\n",
            "a: [1, 2,]\n",
            "a: {b: 1,}\n",
            "a: {b}\n",
            "a: {b: }\n",
            "a: {b:c}\n",
            "a: [b: c]\n",
            "a: [x] y\n",
            "a: [x, y:z]\n",
            "a: {b: 1 # c\n  }\n",
            "a: ...x\n",
            "a: --x\n",
            "1: a\n",
            "yes: a\n",
            "null: a\n",
            "\"a\": 1\n",
            "'a': 1\n",
            "a b: 1\n",
            "a : 1\n",
            "a#: 1\n",
        ] {
            bails(t);
        }
        bails(&format!("{}: 1\n", "k".repeat(MAX_KEY_LEN + 1)));
    }

    #[test]
    fn bails_on_tabs_control_and_special_characters() {
        for t in [
            "a:\n\tb: 1\n",
            "a: 1\t\n",
            "a: 1\rb: 2\n",
            "a: 1\r",
            "a: x\u{0}\n",
            "a: x\u{7f}\n",
            "a: x\u{85}y\n",
            "a: x\u{2028}y\n",
            "a: \u{feff}x\n",
            "# \u{2029}\na: 1\n",
        ] {
            bails(t);
        }
    }

    /// serde-saphyr refuses more than 32 comments while it looks for the value of `key:`
    /// or `-` (found by the yaml_diff fuzz target).
    #[test]
    fn many_comments_before_a_value_are_left_to_serde_saphyr() {
        let c = |n: usize| "# c\n".repeat(n);
        for n in [0, 10, MAX_LOOKAHEAD_COMMENTS] {
            read(&format!("a:\n{}  b: 1\n", c(n)));
            read(&format!("a: # t\n{}  b: 1\n", c(n.saturating_sub(1))));
            read(&format!("a:\n  -\n{}    b: 1\n", c(n)));
        }
        for n in [MAX_LOOKAHEAD_COMMENTS + 1, 33, 40] {
            bails(&format!("a:\n{}  b: 1\n", c(n)));
            bails(&format!("a:\n{}b: 1\n", c(n)));
            bails(&format!("- x\n-\n{}- y\n", c(n)));
        }
        // Elsewhere comments are not buffered.
        read(&format!("{}a: 1\n{}b: 2\n", c(40), c(40)));
        read(&format!("a:\n  - x\n{}b: 2\n", c(40)));
    }

    #[test]
    fn deep_nesting_is_left_to_serde_saphyr() {
        let nest = |depth: usize| {
            (0..depth)
                .map(|d| format!("{}k{d}:\n", "  ".repeat(d)))
                .collect::<String>()
        };
        read(&nest(FAST_MAX_DEPTH));
        bails(&nest(FAST_MAX_DEPTH + 1));
        read(&format!(
            "a: {}{}\n",
            "[".repeat(FAST_MAX_DEPTH - 1),
            "]".repeat(FAST_MAX_DEPTH - 1)
        ));
        bails(&format!(
            "a: {}{}\n",
            "[".repeat(FAST_MAX_DEPTH),
            "]".repeat(FAST_MAX_DEPTH)
        ));
    }
}
