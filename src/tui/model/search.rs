//! The filter: the text of every node prepared once per report, and which nodes a
//! filter matches.

use super::*;

/// The text of every node, in flat arrays. A proxy's outbounds are contiguous in
/// `outbounds` (and their backends in `backends`); in lazy mode they are appended
/// when the proxy is resolved, so proxies are not in report order there.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Search {
    proxies: Vec<Box<str>>,
    /// Index of each proxy's first outbound in `outbounds`.
    ob_base: Vec<u32>,
    /// Index one past each proxy's last outbound in `outbounds`.
    ob_end: Vec<u32>,
    outbounds: Vec<Box<str>>,
    /// Index of each outbound's first backend in `backends` (by flat outbound index).
    bk_base: Vec<u32>,
    backends: Vec<Box<str>>,
    findings: Vec<Box<str>>,
    /// Flat outbounds no proxy refers to any more (evicted in lazy mode).
    garbage: usize,
}

impl Search {
    pub(super) fn new(report: &Report) -> Search {
        let mut s = Search::default();
        for p in &report.proxies {
            let mut t = p.name.clone();
            for x in p.namespace.iter() {
                t.push('\n');
                t.push_str(x);
            }
            for (k, v) in &p.tags {
                t.push_str(&format!("\n{k}\n{v}\n{k}={v}"));
            }
            s.proxies.push(t.to_lowercase().into());
            s.ob_base.push(0);
            s.ob_end.push(0);
            s.add_outbounds(s.proxies.len() - 1, p);
        }
        for f in &report.findings {
            s.findings
                .push(crate::report::text::finding_text(f).to_lowercase().into());
        }
        s
    }

    /// Append the text of proxy `p`'s outbounds and backends.
    pub(super) fn add_outbounds(&mut self, p: usize, pr: &ProxyReport) {
        self.ob_base[p] = self.outbounds.len() as u32;
        for o in pr.outbounds.iter() {
            let mut t = format!("{}\n{}", o.destination.label(), o.route.as_str());
            for n in o
                .policies
                .iter()
                .map(|x| &*x.name)
                .chain(o.legacy_policies.iter().map(|x| x.name.as_str()))
            {
                t.push('\n');
                t.push_str(n);
            }
            self.outbounds.push(t.to_lowercase().into());
            self.bk_base.push(self.backends.len() as u32);
            for b in &o.backends {
                self.backends.push(backend_name(b).to_lowercase().into());
            }
        }
        self.ob_end[p] = self.outbounds.len() as u32;
    }

    pub(super) fn outbound_range(&self, p: usize) -> Range<usize> {
        self.ob_base[p] as usize..self.ob_end[p] as usize
    }

    /// Forget proxy `p`'s outbounds; the flat arrays are rebuilt when mostly garbage.
    pub(super) fn drop_outbounds(&mut self, p: usize, report: &Report) {
        self.garbage += self.outbound_range(p).len();
        self.ob_base[p] = 0;
        self.ob_end[p] = 0;
        if self.garbage > 1024 && self.garbage * 2 > self.outbounds.len() {
            self.outbounds.clear();
            self.bk_base.clear();
            self.backends.clear();
            self.garbage = 0;
            for (i, pr) in report.proxies.iter().enumerate() {
                self.add_outbounds(i, pr);
            }
        }
    }
}

/// Which nodes match a filter ([`Model::hits`]); only valid for the model that made it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    /// The lowercase filter text.
    pub text: String,
    mesh: Vec<bool>,
    mesh_below: Vec<bool>,
    proxy: Vec<bool>,
    proxy_below: Vec<bool>,
    /// By flat outbound index (see `Search`).
    outbound: Vec<bool>,
    outbound_below: Vec<bool>,
    backend: Vec<bool>,
}

/// A lowercase filter, prepared once for searching many strings.
pub struct Needle<'a> {
    text: &'a str,
    finder: memchr::memmem::Finder<'a>,
}

impl<'a> Needle<'a> {
    /// `lower` must already be lowercase.
    pub fn new(lower: &'a str) -> Needle<'a> {
        Needle {
            text: lower,
            finder: memchr::memmem::Finder::new(lower.as_bytes()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Is it in `hay` (already lowercase)?
    pub fn found_in(&self, hay: &str) -> bool {
        self.finder.find(hay.as_bytes()).is_some()
    }
}

/// Case-insensitive `contains`; `needle` is already lowercase.
pub fn contains(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

impl Model {
    /// Does the node's own text (names, tags, policy names) contain the needle?
    pub fn matches(&self, n: Node, f: &Needle) -> bool {
        if f.is_empty() {
            return true;
        }
        let s = &self.search;
        match n {
            Node::Mesh(m) => f.found_in(&self.meshes[m as usize].name.to_lowercase()),
            Node::Proxy(p) => f.found_in(&s.proxies[p as usize]),
            Node::Outbound(p, o) => f.found_in(&s.outbounds[(s.ob_base[p as usize] + o) as usize]),
            Node::Backend(p, o, b) => {
                let fo = (s.ob_base[p as usize] + o) as usize;
                f.found_in(&s.backends[(s.bk_base[fo] + b) as usize])
            }
            Node::Pending(_) | Node::Placeholder => false,
        }
    }

    pub(super) fn flat_outbound(&self, p: u32, o: u32) -> usize {
        (self.search.ob_base[p as usize] + o) as usize
    }

    /// The nodes whose own text contains `lower` (lowercase, non-empty), and the nodes
    /// with such a node below them. One scan of the prepared text; when `prev` was
    /// computed for a substring of `lower` on this model (the filter grew by a
    /// keystroke), only its hits are searched again.
    pub fn hits(&self, lower: &str, prev: Option<&Hits>) -> Hits {
        let s = &self.search;
        let prev = prev.filter(|p| {
            !p.text.is_empty()
                && lower.contains(p.text.as_str())
                && p.proxy.len() == s.proxies.len()
                && p.outbound.len() == s.outbounds.len()
                && p.backend.len() == s.backends.len()
        });
        let needle = Needle::new(lower);
        let scan = |hay: &[Box<str>], was: Option<&[bool]>| -> Vec<bool> {
            match was {
                Some(was) => hay
                    .iter()
                    .zip(was)
                    .map(|(h, &w)| w && needle.found_in(h))
                    .collect(),
                None => hay.iter().map(|h| needle.found_in(h)).collect(),
            }
        };
        let proxy = scan(&s.proxies, prev.map(|p| &p.proxy[..]));
        let outbound = scan(&s.outbounds, prev.map(|p| &p.outbound[..]));
        let backend = scan(&s.backends, prev.map(|p| &p.backend[..]));
        let mut outbound_below = vec![false; outbound.len()];
        for (fo, below) in outbound_below.iter_mut().enumerate() {
            let end = s.bk_base.get(fo + 1).map_or(backend.len(), |&e| e as usize);
            *below = backend[s.bk_base[fo] as usize..end].contains(&true);
        }
        let mut proxy_below = vec![false; proxy.len()];
        for (p, below) in proxy_below.iter_mut().enumerate() {
            let r = s.outbound_range(p);
            *below = outbound[r.clone()].contains(&true) || outbound_below[r].contains(&true);
        }
        let mesh = self
            .meshes
            .iter()
            .map(|g| needle.found_in(&g.name.to_lowercase()))
            .collect();
        let mesh_below = self
            .meshes
            .iter()
            .map(|g| {
                proxy[g.proxies.clone()].contains(&true)
                    || proxy_below[g.proxies.clone()].contains(&true)
            })
            .collect();
        Hits {
            text: lower.to_string(),
            mesh,
            mesh_below,
            proxy,
            proxy_below,
            outbound,
            outbound_below,
            backend,
        }
    }

    /// Does the node's own text contain the filter these hits are for?
    pub fn hit(&self, h: &Hits, n: Node) -> bool {
        match n {
            Node::Mesh(m) => h.mesh[m as usize],
            Node::Proxy(p) => h.proxy[p as usize],
            Node::Outbound(p, o) => h.outbound[self.flat_outbound(p, o)],
            Node::Backend(p, o, b) => {
                let fo = self.flat_outbound(p, o);
                h.backend[(self.search.bk_base[fo] + b) as usize]
            }
            Node::Pending(_) | Node::Placeholder => false,
        }
    }

    /// Does a node below `n` match?
    pub fn hit_below(&self, h: &Hits, n: Node) -> bool {
        match n {
            Node::Mesh(m) => h.mesh_below[m as usize],
            Node::Proxy(p) => h.proxy_below[p as usize],
            Node::Outbound(p, o) => h.outbound_below[self.flat_outbound(p, o)],
            Node::Backend(..) | Node::Pending(_) | Node::Placeholder => false,
        }
    }

    /// Does finding `i`'s one-line text contain the needle?
    pub fn finding_matches(&self, i: usize, f: &Needle) -> bool {
        f.is_empty() || f.found_in(&self.search.findings[i])
    }
}
