//! Walking the tree of a [`Model`]: children, ancestors' meshes, and the visible rows
//! for a set of open nodes and a filter.

use super::{Hits, Model, Needle, Node, NodeSet};

impl Node {
    /// The proxy a node belongs to (a mesh and the placeholder belong to none).
    pub fn proxy(self) -> Option<u32> {
        match self {
            Node::Proxy(p) | Node::Pending(p) | Node::Outbound(p, _) | Node::Backend(p, _, _) => {
                Some(p)
            }
            Node::Mesh(_) | Node::Placeholder => None,
        }
    }
}

impl Model {
    /// The index of the mesh a node is in.
    pub fn mesh_of_node(&self, n: Node) -> usize {
        match n {
            Node::Mesh(m) => m as usize,
            Node::Proxy(p) | Node::Outbound(p, _) | Node::Backend(p, _, _) | Node::Pending(p) => {
                self.mesh_of[p as usize] as usize
            }
            Node::Placeholder => 0,
        }
    }

    /// The children of a node, without allocating (the filter walks every node). A
    /// proxy of a lazy model that is not resolved yet has one: its "resolving…" row.
    pub fn children(&self, n: Node) -> impl Iterator<Item = Node> + use<> {
        let (range, make): (std::ops::Range<u32>, fn(Node, u32) -> Node) = match n {
            Node::Mesh(mi) => {
                let g = &self.meshes[mi as usize].proxies;
                (g.start as u32..g.end as u32, |_, i| Node::Proxy(i))
            }
            Node::Proxy(p) if !self.is_resolved(p) => (0..1, |n, _| match n {
                Node::Proxy(p) => Node::Pending(p),
                n => n,
            }),
            Node::Proxy(p) => (0..self.proxy(p).outbounds.len() as u32, |n, i| match n {
                Node::Proxy(p) => Node::Outbound(p, i),
                n => n,
            }),
            Node::Outbound(p, o) => (
                0..self.outbound(p, o).backends.len() as u32,
                |n, i| match n {
                    Node::Outbound(p, o) => Node::Backend(p, o, i),
                    n => n,
                },
            ),
            _ => (0..0, |n, _| n),
        };
        range.map(move |i| make(n, i))
    }

    /// Does the node's own text match `f` (lowercase, non-empty)?
    pub fn node_matches(&self, n: Node, f: &Needle) -> bool {
        !matches!(n, Node::Placeholder) && self.matches(n, f)
    }

    /// The visible rows, in tree order: the meshes (only `mesh` when given) and below
    /// each the nodes whose parents are `opened`. With a filter (`hits`), a node that
    /// does not match is shown only when something below it does, and is then held
    /// open.
    pub fn rows(&self, opened: &NodeSet, hits: Option<&Hits>, mesh: Option<&str>) -> Vec<Node> {
        let mut rows = Vec::new();
        for (mi, g) in self.meshes.iter().enumerate() {
            if mesh.is_some_and(|x| x != g.name) {
                continue;
            }
            self.walk(opened, Node::Mesh(mi as u32), hits, &mut rows);
        }
        rows
    }

    /// Push the rows of `n`'s subtree (see [`Model::rows`]); subtrees without a match
    /// are skipped without being visited.
    fn walk(&self, opened: &NodeSet, n: Node, hits: Option<&Hits>, rows: &mut Vec<Node>) {
        match hits {
            Some(h) if !self.hit(h, n) => {
                if self.hit_below(h, n) {
                    rows.push(n);
                    for c in self.children(n) {
                        self.walk(opened, c, hits, rows);
                    }
                }
            }
            _ => {
                rows.push(n);
                if opened.contains(&n) {
                    for c in self.children(n) {
                        self.walk(opened, c, None, rows);
                    }
                }
            }
        }
    }
}
