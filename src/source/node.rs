//! A parsed document as the decoder reads it: a tree whose keys and plain strings are
//! borrowed from the text it was parsed from (the YAML fast path) or from a
//! `serde_json::Value` (serde-saphyr, JSON, a cluster), with a `serde` deserializer that
//! behaves like `serde_json`'s for a `&Value`, error messages included.
//!
//! Why not `serde_json::Value` itself: building one cost an allocation per key and per
//! string and a hashed insert per entry (the preserve-order map), and the typed decode
//! then copied every string again. Measured in the commit that introduced this type.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// One node of a document. Map entries keep the document's order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<(&'a str, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// `v` as a node that borrows its strings.
    pub fn of_value(v: &'a Value) -> Node<'a> {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => number(n),
            Value::String(s) => Node::Str(Cow::Borrowed(s)),
            Value::Array(a) => Node::Seq(a.iter().map(Node::of_value).collect()),
            Value::Object(m) => Node::Map(
                m.iter()
                    .map(|(k, v)| (k.as_str(), Node::of_value(v)))
                    .collect(),
            ),
        }
    }

    /// The same tree as a `serde_json::Value` (keys in the same order).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::U64(n) => Value::from(*n),
            Node::I64(n) => Value::from(*n),
            Node::F64(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Node::Str(s) => Value::String(s.to_string()),
            Node::Seq(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            Node::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Take the value under `key` out of a mapping.
    pub fn take(&mut self, key: &str) -> Option<Node<'a>> {
        match self {
            Node::Map(m) => {
                let i = m.iter().position(|(k, _)| *k == key)?;
                Some(m.remove(i).1)
            }
            _ => None,
        }
    }

    /// How `serde_json` names this kind of value in an "invalid type" error.
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Node::Null => Unexpected::Unit,
            Node::Bool(b) => Unexpected::Bool(*b),
            Node::U64(n) => Unexpected::Unsigned(*n),
            Node::I64(n) => Unexpected::Signed(*n),
            Node::F64(n) => Unexpected::Float(*n),
            Node::Str(s) => Unexpected::Str(s),
            Node::Seq(_) => Unexpected::Seq,
            Node::Map(_) => Unexpected::Map,
        }
    }

    fn invalid_type(&self, exp: &dyn de::Expected) -> Error {
        de::Error::invalid_type(self.unexpected(), exp)
    }
}

/// A JSON number as `serde_json` hands it to a visitor: unsigned, else signed, else float.
fn number(n: &serde_json::Number) -> Node<'static> {
    if let Some(u) = n.as_u64() {
        Node::U64(u)
    } else if let Some(i) = n.as_i64() {
        Node::I64(i)
    } else {
        Node::F64(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl Node<'static> {
    /// A scalar `Value` as a node that owns its string (a collection becomes null: see
    /// [`Node::of_value`]).
    pub fn owned_scalar(v: &Value) -> Node<'static> {
        match v {
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => number(n),
            Value::String(s) => Node::Str(Cow::Owned(s.clone())),
            _ => Node::Null,
        }
    }
}

/// A decode error: its message, as `serde_json` words it.
#[derive(Debug, Clone, PartialEq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected, exp: &dyn de::Expected) -> Self {
        Error(format!(
            "invalid type: {}, expected {exp}",
            JsonWords(unexp)
        ))
    }

    fn invalid_value(unexp: Unexpected, exp: &dyn de::Expected) -> Self {
        Error(format!(
            "invalid value: {}, expected {exp}",
            JsonWords(unexp)
        ))
    }
}

/// An unexpected value named as `serde_json` names it: `null`, and floats as JSON
/// writes them.
struct JsonWords<'a>(Unexpected<'a>);

impl fmt::Display for JsonWords<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Float(v) => match serde_json::Number::from_f64(v) {
                Some(n) => write!(f, "floating point `{n}`"),
                None => write!(f, "floating point `{v}`"),
            },
            u => u.fmt(f),
        }
    }
}

impl<'de> Deserializer<'de> for &'de Node<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Null => v.visit_unit(),
            Node::Bool(b) => v.visit_bool(*b),
            Node::U64(n) => v.visit_u64(*n),
            Node::I64(n) => v.visit_i64(*n),
            Node::F64(n) => v.visit_f64(*n),
            Node::Str(s) => v.visit_borrowed_str(s),
            Node::Seq(a) => visit_seq(a, v),
            Node::Map(m) => visit_map(m, v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Null => v.visit_unit(),
            _ => Err(self.invalid_type(&v)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Bool(b) => v.visit_bool(*b),
            _ => Err(self.invalid_type(&v)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Str(s) => v.visit_borrowed_str(s),
            _ => Err(self.invalid_type(&v)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Str(s) => v.visit_borrowed_str(s),
            Node::Seq(a) => visit_seq(a, v),
            _ => Err(self.invalid_type(&v)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(v)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Seq(a) => visit_seq(a, v),
            _ => Err(self.invalid_type(&v)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Map(m) => visit_map(m, v),
            _ => Err(self.invalid_type(&v)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self {
            Node::Seq(a) => visit_seq(a, v),
            Node::Map(m) => visit_map(m, v),
            _ => Err(self.invalid_type(&v)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let (variant, value) = match self {
            Node::Map(m) if m.len() == 1 => (m[0].0, Some(&m[0].1)),
            Node::Map(_) => {
                return Err(de::Error::invalid_value(
                    Unexpected::Map,
                    &"map with a single key",
                ));
            }
            Node::Str(s) => (&**s, None),
            _ => return Err(self.invalid_type(&"string or map")),
        };
        v.visit_enum(Enum { variant, value })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
    }
}

fn visit_seq<'de, V: Visitor<'de>>(a: &'de [Node<'de>], v: V) -> Result<V::Value, Error> {
    let mut s = Seq(a.iter());
    let out = v.visit_seq(&mut s)?;
    match s.0.len() {
        0 => Ok(out),
        _ => Err(de::Error::invalid_length(
            a.len(),
            &"fewer elements in array",
        )),
    }
}

fn visit_map<'de, V: Visitor<'de>>(
    m: &'de [(&'de str, Node<'de>)],
    v: V,
) -> Result<V::Value, Error> {
    let mut access = Entries {
        iter: m.iter(),
        value: None,
    };
    let out = v.visit_map(&mut access)?;
    match access.iter.len() {
        0 => Ok(out),
        _ => Err(de::Error::invalid_length(m.len(), &"fewer elements in map")),
    }
}

struct Seq<'de>(std::slice::Iter<'de, Node<'de>>);

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'de> {
    iter: std::slice::Iter<'de, (&'de str, Node<'de>)>,
    value: Option<&'de Node<'de>>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                let key = de::value::BorrowedStrDeserializer::<Error>::new(k);
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::custom("value is missing")),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct Enum<'de> {
    variant: &'de str,
    value: Option<&'de Node<'de>>,
}

impl<'de> EnumAccess<'de> for Enum<'de> {
    type Error = Error;
    type Variant = Variant<'de>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Variant<'de>), Error> {
        let key = de::value::BorrowedStrDeserializer::<Error>::new(self.variant);
        Ok((seed.deserialize(key)?, Variant(self.value)))
    }
}

struct Variant<'de>(Option<&'de Node<'de>>);

impl<'de> VariantAccess<'de> for Variant<'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Some(v) => serde::Deserialize::deserialize(v),
            None => Ok(()),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.0 {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Some(Node::Seq(a)) => visit_seq(a, v),
            Some(other) => Err(other.invalid_type(&"tuple variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Some(Node::Map(m)) => visit_map(m, v),
            Some(other) => Err(other.invalid_type(&"struct variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Port {
        port: u32,
        app_protocol: Option<String>,
        #[serde(default)]
        tags: std::collections::BTreeMap<String, String>,
        kind: Kind,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum Kind {
        Mesh,
        MeshService,
    }

    /// The same value through `serde_json`'s deserializer and through a node: the same
    /// result, or the same error message.
    fn both<T: serde::de::DeserializeOwned + PartialEq + fmt::Debug>(
        v: Value,
    ) -> Result<T, String> {
        let via_json = T::deserialize(&v).map_err(|e| e.to_string());
        let node = Node::of_value(&v);
        let via_node = T::deserialize(&node).map_err(|e| e.to_string());
        assert_eq!(via_node, via_json, "{v}");
        via_node
    }

    #[test]
    fn decodes_like_serde_json_and_fails_with_its_words() {
        let ok = json!({"port": 8080, "appProtocol": "tcp", "tags": {"a": "b"}, "kind": "Mesh"});
        assert_eq!(
            both::<Port>(ok),
            Ok(Port {
                port: 8080,
                app_protocol: Some("tcp".into()),
                tags: [("a".to_string(), "b".to_string())].into(),
                kind: Kind::Mesh,
            })
        );
        for (bad, msg) in [
            (
                json!({"port": "80", "kind": "Mesh"}),
                "invalid type: string \"80\", expected u32",
            ),
            (
                json!({"port": 99999999999u64, "kind": "Mesh"}),
                "invalid value: integer `99999999999`, expected u32",
            ),
            (
                json!({"port": -1, "kind": "Mesh"}),
                "invalid value: integer `-1`, expected u32",
            ),
            (
                json!({"port": 1.5, "kind": "Mesh"}),
                "invalid type: floating point `1.5`, expected u32",
            ),
            (
                json!({"port": 1e20, "kind": "Mesh"}),
                "invalid type: floating point `1e+20`, expected u32",
            ),
            (
                json!({"port": null, "kind": "Mesh"}),
                "invalid type: null, expected u32",
            ),
            (
                json!({"port": 1, "kind": "Zone"}),
                "unknown variant `Zone`, expected `Mesh` or `MeshService`",
            ),
            (
                json!({"port": 1, "kind": {"Mesh": 1, "X": 2}}),
                "invalid value: map, expected map with a single key",
            ),
            (
                json!({"port": 1, "kind": [1]}),
                "invalid type: sequence, expected string or map",
            ),
            (
                json!({"port": 1, "kind": "Mesh", "tags": {"a": 1}}),
                "invalid type: integer `1`, expected a string",
            ),
            (
                json!({"port": 1, "kind": "Mesh", "tags": [1]}),
                "invalid type: sequence, expected a map",
            ),
            (json!({"kind": "Mesh"}), "missing field `port`"),
            (
                json!([1, "tcp", {}, "Mesh", 5]),
                "invalid length 5, expected fewer elements in array",
            ),
            (
                json!("text"),
                "invalid type: string \"text\", expected struct Port",
            ),
        ] {
            assert_eq!(both::<Port>(bad.clone()).unwrap_err(), msg, "{bad}");
        }
    }

    #[test]
    fn a_json_value_read_through_a_node_keeps_key_order_and_number_kinds() {
        let v = json!({"z": 1, "a": [-2, 2.5, "s", null, true], "m": {"y": {}, "b": []}});
        let node = Node::of_value(&v);
        assert_eq!(Value::deserialize(&node).unwrap(), v);
        assert_eq!(node.to_value(), v);
        assert_eq!(
            serde_json::to_string(&node.to_value()).unwrap(),
            serde_json::to_string(&v).unwrap(),
            "same key order"
        );
        assert_eq!(
            node.get("a"),
            Some(&Node::Seq(vec![
                Node::I64(-2),
                Node::F64(2.5),
                Node::Str("s".into()),
                Node::Null,
                Node::Bool(true),
            ]))
        );
        let mut node = node;
        assert_eq!(node.take("z"), Some(Node::U64(1)));
        assert_eq!(node.get("z"), None);
        assert_eq!(
            node.to_value(),
            json!({"a": [-2, 2.5, "s", null, true], "m": {"y": {}, "b": []}})
        );
    }
}
