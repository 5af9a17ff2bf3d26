//! [`Tags`]: a small sorted map of strings for tags and labels.
//!
//! A `BTreeMap<String, String>` allocates a whole node (~540 bytes) even for the one
//! `kuma.io/service` tag most outbounds carry (`docs/performance.md` has the numbers).
//! This keeps the pairs in one sorted vector with the map API the crate uses, and the
//! same serde form (a mapping).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;

/// Tags or labels: sorted by key, keys unique, so output is deterministic.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tags(Vec<(String, String)>);

impl Tags {
    pub fn new() -> Tags {
        Tags(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Set `key` to `value`; returns the value it had.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub fn entry(&mut self, key: String) -> Entry<'_> {
        Entry { tags: self, key }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &String)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }
}

/// [`Tags::entry`]: only what the crate needs.
pub struct Entry<'t> {
    tags: &'t mut Tags,
    key: String,
}

impl<'t> Entry<'t> {
    pub fn or_insert_with(self, f: impl FnOnce() -> String) -> &'t mut String {
        let i = match self.tags.find(&self.key) {
            Ok(i) => i,
            Err(i) => {
                self.tags.0.insert(i, (self.key, f()));
                i
            }
        };
        &mut self.tags.0[i].1
    }

    pub fn or_insert(self, v: String) -> &'t mut String {
        self.or_insert_with(|| v)
    }
}

impl fmt::Debug for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Tags {
    /// Later pairs win over earlier ones with the same key (as for a map).
    fn from_iter<I: IntoIterator<Item = (String, String)>>(it: I) -> Tags {
        let mut v: Vec<(String, String)> = it.into_iter().collect();
        // Stable: equal keys keep their order, and the last one is kept.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(v.len());
        for (k, val) in v {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = val,
                _ => out.push((k, val)),
            }
        }
        out.shrink_to_fit();
        Tags(out)
    }
}

impl Extend<(String, String)> for Tags {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, it: I) {
        for (k, v) in it {
            self.insert(k, v);
        }
    }
}

impl<'a> IntoIterator for &'a Tags {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for Tags {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<const N: usize> From<[(String, String); N]> for Tags {
    fn from(a: [(String, String); N]) -> Tags {
        a.into_iter().collect()
    }
}

impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tags, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Tags, A::Error> {
                let mut v = Vec::with_capacity(a.size_hint().unwrap_or(0).min(64));
                while let Some(pair) = a.next_entry::<String, String>()? {
                    v.push(pair);
                }
                Ok(v.into_iter().collect())
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &[(&str, &str)]) -> Tags {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn behaves_like_a_sorted_map() {
        let mut a = t(&[("zone", "z1"), ("app", "web"), ("app", "api")]);
        assert_eq!(a.keys().collect::<Vec<_>>(), ["app", "zone"]);
        assert_eq!(
            a.get("app").map(String::as_str),
            Some("api"),
            "the last pair wins"
        );
        assert_eq!(a.insert("b".into(), "1".into()), None);
        assert_eq!(a.insert("b".into(), "2".into()), Some("1".into()));
        a.entry("b".into()).or_insert_with(|| "3".into());
        a.entry("c".into()).or_insert_with(|| "4".into());
        assert_eq!(
            a.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            ["app=api", "b=2", "c=4", "zone=z1"]
        );
        let btree: std::collections::BTreeMap<String, String> =
            a.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&btree).unwrap(),
            "serialized as the map it replaces"
        );
        let back: Tags = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        assert!(
            serde_json::from_str::<Tags>("{\"a\": 1}").is_err(),
            "values are strings"
        );
    }
}
