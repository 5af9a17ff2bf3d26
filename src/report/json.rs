//! The report's JSON written by hand: the same bytes serde_json's pretty printer writes
//! for the derived `Serialize` impls (two spaces a level, `"key": value`, `{}`/`[]` when
//! empty), without serde's call per token and per-byte escape table. Writing the large
//! Universal report was a quarter of its time through serde; `tests/engine/json_writer.rs`
//! and the streaming tests compare this writer with serde's output byte for byte.
//!
//! The derived `Serialize` impls stay the reference (YAML and [`super::to_json`] use
//! them): a field added there and not here fails those tests.

use crate::model::{Finding, Location, ResourceRef, Tags};
use crate::resolve::{
    Backend, Destination, LegacyPolicyStatus, OutboundReport, PolicyStatus, Precedence,
    ProxyReport, RowTail,
};

/// A pretty JSON writer into a byte buffer, starting `depth` levels deep.
pub struct Pretty<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    /// The innermost open object or array has no member yet.
    fresh: bool,
}

/// Bytes that JSON strings cannot hold as they are.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// A 16-byte block has a byte to escape: a branch-free test the compiler turns into
/// vector compares.
fn block_dirty(c: &[u8; 16]) -> bool {
    c.iter().fold(false, |acc, &x| acc | needs_escape(x))
}

/// An 8-byte word has no byte to escape: a word has a byte below 0x20 iff
/// `(x - 0x20..) & !x & 0x80..` is not zero, and a byte equal to `c` iff `x ^ c..` has a
/// zero byte (both exact as yes/no answers).
fn word_clean(w: [u8; 8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let x = u64::from_ne_bytes(w);
    (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
        | zero_byte(x ^ (ONES * u64::from(b'"')))
        | zero_byte(x ^ (ONES * u64::from(b'\\')))
        == 0
}

/// No byte of `b` needs escaping. Whole 16-byte blocks, the last one overlapping the
/// one before; shorter strings as two overlapping words, or one word padded with a
/// harmless byte: no loop over single bytes.
fn is_clean(b: &[u8]) -> bool {
    let n = b.len();
    let block = |i: usize| -> &[u8; 16] { b[i..i + 16].try_into().expect("sixteen bytes") };
    let word = |i: usize| -> [u8; 8] { b[i..i + 8].try_into().expect("eight bytes") };
    if n >= 16 {
        let mut i = 0;
        while i + 16 <= n {
            if block_dirty(block(i)) {
                return false;
            }
            i += 16;
        }
        i == n || !block_dirty(block(n - 16))
    } else if n >= 8 {
        word_clean(word(0)) && word_clean(word(n - 8))
    } else {
        let mut w = [b'a'; 8];
        w[..n].copy_from_slice(b);
        word_clean(w)
    }
}

impl<'o> Pretty<'o> {
    pub fn new(out: &'o mut Vec<u8>, depth: usize) -> Self {
        Pretty {
            out,
            depth,
            fresh: false,
        }
    }

    /// `,` when `comma`, a newline and the indent of the current depth: one copy out of
    /// a prepared line for the depths a report reaches.
    fn line(&mut self, comma: bool) {
        const LINE: [u8; 66] = {
            let mut l = [b' '; 66];
            l[0] = b',';
            l[1] = b'\n';
            l
        };
        let from = usize::from(!comma);
        let n = self.depth * 2;
        if 2 + n <= LINE.len() {
            self.out.extend_from_slice(&LINE[from..2 + n]);
        } else {
            self.out.extend_from_slice(&LINE[from..2]);
            self.out.resize(self.out.len() + n, b' ');
        }
    }

    fn newline(&mut self) {
        self.line(false);
    }

    /// Before a member of the open object or array.
    fn sep(&mut self) {
        self.line(!self.fresh);
        self.fresh = false;
    }

    fn open(&mut self, c: u8) {
        self.out.push(c);
        self.depth += 1;
        self.fresh = true;
    }

    fn close(&mut self, c: u8) {
        self.depth -= 1;
        if !self.fresh {
            self.newline();
        }
        self.out.push(c);
        self.fresh = false;
    }

    pub fn begin_object(&mut self) {
        self.open(b'{');
    }

    pub fn end_object(&mut self) {
        self.close(b'}');
    }

    pub fn begin_array(&mut self) {
        self.open(b'[');
    }

    pub fn end_array(&mut self) {
        self.close(b']');
    }

    /// Before each value of an array.
    pub fn item(&mut self) {
        self.sep();
    }

    /// A key of the open object: `k` is one of the report's own field names (ASCII,
    /// nothing to escape).
    pub fn key(&mut self, k: &str) {
        debug_assert!(!k.bytes().any(needs_escape));
        self.sep();
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\": ");
    }

    /// A string value, escaped as serde_json escapes it.
    pub fn str(&mut self, s: &str) {
        let b = s.as_bytes();
        self.out.push(b'"');
        // Most strings have nothing to escape: look for it a word at a time, then copy
        // the string whole.
        if is_clean(b) {
            self.out.extend_from_slice(b);
        } else {
            self.escaped(b);
        }
        self.out.push(b'"');
    }

    fn escaped(&mut self, b: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut start = 0;
        for (i, &x) in b.iter().enumerate() {
            if !needs_escape(x) {
                continue;
            }
            self.out.extend_from_slice(&b[start..i]);
            match x {
                b'"' => self.out.extend_from_slice(b"\\\""),
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                b'\t' => self.out.extend_from_slice(b"\\t"),
                0x08 => self.out.extend_from_slice(b"\\b"),
                0x0c => self.out.extend_from_slice(b"\\f"),
                _ => self.out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(x >> 4) as usize],
                    HEX[(x & 0xf) as usize],
                ]),
            }
            start = i + 1;
        }
        self.out.extend_from_slice(&b[start..]);
    }

    pub fn u64(&mut self, n: u64) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    pub fn u32(&mut self, n: u32) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    /// As serde_json writes an `f64`: shortest round-trip form, `null` if not finite.
    pub fn f64(&mut self, x: f64) {
        if x == 1.0 {
            // A lone backend's share: most of them.
            self.out.extend_from_slice(b"1.0");
        } else if x.is_finite() {
            self.out
                .extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
    }

    pub fn bool(&mut self, v: bool) {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
    }

    fn field_str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }

    fn field_opt_str(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.field_str(k, v);
        }
    }

    fn strings<S: AsRef<str>>(&mut self, v: &[S]) {
        self.begin_array();
        for s in v {
            self.item();
            self.str(s.as_ref());
        }
        self.end_array();
    }

    fn tags(&mut self, t: &Tags) {
        self.begin_object();
        for (k, v) in t.iter() {
            self.sep();
            self.str(k);
            self.out.extend_from_slice(b": ");
            self.str(v);
        }
        self.end_object();
    }

    fn location(&mut self, l: &Location) {
        self.begin_object();
        self.field_str("file", &l.file);
        self.key("line");
        self.u32(l.line);
        self.end_object();
    }

    fn opt_location(&mut self, l: Option<&Location>) {
        if let Some(l) = l {
            self.key("location");
            self.location(l);
        }
    }

    pub fn proxy(&mut self, p: &ProxyReport) {
        self.begin_object();
        self.field_str("mesh", &p.mesh);
        self.field_str("name", &p.name);
        self.field_opt_str("namespace", p.namespace.as_deref());
        self.field_str("type", p.proxy_type.as_str());
        self.key("tags");
        self.tags(&p.tags);
        self.key("outbounds");
        self.begin_array();
        for o in p.outbounds.iter() {
            self.item();
            self.outbound(o);
        }
        self.end_array();
        self.opt_location(p.location.as_ref());
        self.field_opt_str("context", p.context.as_deref());
        if let Some(d) = &p.derived_from {
            self.key("derivedFrom");
            self.begin_object();
            self.field_str("kind", &d.kind);
            self.field_str("namespace", &d.namespace);
            self.field_str("name", &d.name);
            self.end_object();
        }
        if !p.notes.is_empty() {
            self.key("notes");
            self.strings(&p.notes);
        }
        self.end_object();
    }

    fn outbound(&mut self, o: &OutboundReport) {
        self.begin_object();
        self.key("destination");
        self.destination(&o.destination);
        self.field_str("protocol", &o.protocol);
        self.field_str("route", o.route.as_str());
        self.key("backends");
        self.begin_array();
        for b in &o.backends {
            self.item();
            self.backend(b);
        }
        self.end_array();
        self.key("policies");
        self.begin_array();
        for p in &o.policies {
            self.item();
            self.policy(p);
        }
        self.end_array();
        self.field_str("reason", &o.reason);
        if !o.notes.is_empty() {
            self.key("notes");
            self.strings(&o.notes);
        }
        if !o.legacy_policies.is_empty() {
            self.key("legacyPolicies");
            self.begin_array();
            for l in &o.legacy_policies {
                self.item();
                self.legacy(l);
            }
            self.end_array();
        }
        self.end_object();
    }

    fn destination(&mut self, d: &Destination) {
        self.begin_object();
        self.field_str("kind", &d.kind);
        self.field_str("name", &d.name);
        self.field_opt_str("namespace", d.namespace.as_deref());
        self.key("port");
        self.u32(d.port);
        self.field_opt_str("sectionName", d.section_name.as_deref());
        if let Some(port) = d.listener_port {
            self.key("listenerPort");
            self.u32(port);
        }
        self.end_object();
    }

    fn backend(&mut self, b: &Backend) {
        self.begin_object();
        self.field_str("kind", &b.kind);
        self.field_str("name", &b.name);
        self.field_opt_str("namespace", b.namespace.as_deref());
        if let Some(port) = b.port {
            self.key("port");
            self.u32(port);
        }
        self.key("tags");
        self.tags(&b.tags);
        self.key("weight");
        self.u32(b.weight);
        self.key("share");
        self.f64(b.share);
        self.key("resolved");
        self.bool(b.resolved);
        if !b.how.is_empty() {
            self.field_str("how", &b.how);
        }
        self.end_object();
    }

    fn policy(&mut self, p: &PolicyStatus) {
        self.begin_object();
        self.field_str("kind", &p.kind);
        self.field_str("name", &p.name);
        self.field_opt_str("namespace", p.namespace.as_deref());
        self.field_str("status", p.status.as_str());
        self.field_str("reason", &p.reason);
        self.policy_tail(p);
        self.end_object();
    }

    /// A policy row's location and precedence keys: the same bytes on every row of one
    /// policy at one depth (hundreds of thousands of rows in a large report), so kept
    /// with the policy's shared keys the first time and copied after that.
    fn policy_tail(&mut self, p: &PolicyStatus) {
        let Some(l) = &p.location else {
            self.precedence(p);
            return;
        };
        let kept = p.precedence.row_tail();
        if let Some(t) = kept
            && t.depth == self.depth
            && t.line == l.line
            && std::sync::Arc::ptr_eq(&t.file, &l.file)
        {
            self.out.extend_from_slice(&t.bytes);
            return;
        }
        let start = self.out.len();
        self.opt_location(Some(l));
        self.precedence(p);
        if kept.is_none() && Precedence::may_keep_row_tail(self.out.len() - start) {
            p.precedence.keep_row_tail(RowTail {
                depth: self.depth,
                file: l.file.clone(),
                line: l.line,
                bytes: self.out[start..].into(),
            });
        }
    }

    fn precedence(&mut self, p: &PolicyStatus) {
        if !p.precedence.is_empty() {
            self.key("precedence");
            self.strings(&p.precedence);
        }
    }

    fn legacy(&mut self, l: &LegacyPolicyStatus) {
        self.begin_object();
        self.field_str("kind", &l.kind);
        self.field_str("name", &l.name);
        self.field_str("status", l.status);
        self.opt_location(l.location.as_ref());
        self.end_object();
    }

    fn resource(&mut self, r: &ResourceRef) {
        self.begin_object();
        self.field_str("kind", &r.kind);
        self.field_str("name", &r.name);
        self.field_opt_str("namespace", r.namespace.as_deref());
        self.field_opt_str("mesh", r.mesh.as_deref());
        self.field_opt_str("context", r.context.as_deref());
        self.end_object();
    }

    pub fn finding(&mut self, f: &Finding) {
        self.begin_object();
        self.field_str("severity", f.severity.as_str());
        self.field_str("code", f.code.as_str());
        if let Some(r) = &f.resource {
            self.key("resource");
            self.resource(r);
        }
        self.field_str("message", &f.message);
        self.opt_location(f.location.as_ref());
        if let Some(a) = f.affected() {
            self.key("affected");
            self.begin_object();
            self.key("proxies");
            self.u64(a.proxies as u64);
            self.key("outbounds");
            self.u64(a.outbounds as u64);
            self.end_object();
            self.key("proxies");
            self.begin_array();
            for h in &f.proxies {
                self.item();
                self.begin_object();
                self.field_str("mesh", &h.proxy.mesh);
                self.field_str("name", &h.proxy.name);
                self.field_opt_str("namespace", h.proxy.namespace.as_deref());
                self.field_opt_str("context", h.proxy.context.as_deref());
                self.key("outbounds");
                self.strings(&h.outbounds);
                self.end_object();
            }
            self.end_array();
        }
        self.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::Pretty;
    use crate::model::Location;
    use crate::resolve::{PolicyStatus, Precedence, Status};
    use std::sync::Arc;

    /// Rows sharing one list of keys (as TrafficRoute rows of one rank do) at several
    /// depths and locations: each written as serde writes it, whether its tail was kept
    /// before or not.
    #[test]
    fn policy_rows_with_kept_tails_match_serde() {
        let keys: Arc<Precedence> = Arc::new(vec!["match rank: 2 tags, 0 exact".into()].into());
        let file: Arc<str> = "policies/legacy.yaml".into();
        let other: Arc<str> = "policies/other.yaml".into();
        let row = |file: &Arc<str>, line| PolicyStatus {
            kind: "TrafficRoute".into(),
            name: "route-all".into(),
            namespace: None,
            status: Status::Overridden,
            reason: "MeshTCPRoute r takes priority over TrafficRoute".into(),
            location: Some(Location {
                file: file.clone(),
                line,
            }),
            precedence: keys.clone(),
        };
        for (depth, p) in [
            (5, row(&file, 2)),
            (5, row(&file, 2)),
            (3, row(&file, 2)),
            (5, row(&file, 9)),
            (5, row(&other, 2)),
            (0, row(&file, 2)),
        ] {
            let mut out = Vec::new();
            Pretty::new(&mut out, depth).policy(&p);
            let want = serde_json::to_string_pretty(&p).unwrap();
            let want = want.replace('\n', &format!("\n{}", "  ".repeat(depth)));
            assert_eq!(String::from_utf8(out).unwrap(), want, "depth {depth}");
        }
        assert!(keys.row_tail().is_some(), "the first row's tail was kept");
    }

    #[test]
    fn indents_past_the_prepared_line() {
        for depth in [0, 1, 31, 32, 40] {
            let mut out = Vec::new();
            let mut j = Pretty::new(&mut out, depth);
            j.begin_array();
            j.item();
            j.u32(1);
            j.item();
            j.u32(2);
            j.end_array();
            let inner = " ".repeat((depth + 1) * 2);
            let outer = " ".repeat(depth * 2);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("[\n{inner}1,\n{inner}2\n{outer}]"),
                "depth {depth}"
            );
        }
    }
}
