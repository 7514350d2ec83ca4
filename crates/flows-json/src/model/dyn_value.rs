//! `Dyn<T>`: a property that is either a literal `T` or a dynamic string.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{
    BoolDeserializer, F64Deserializer, I64Deserializer, MapAccessDeserializer,
    SeqAccessDeserializer, StrDeserializer, U64Deserializer, UnitDeserializer,
};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Whether a string is a dynamic value: a whole `${…}` binding or a backtick nested expression
/// (flow-client.md §5.1, §5.2). Anything else, `"Hi ${data.name}"` included, is a literal.
#[must_use]
pub fn is_dynamic(s: &str) -> bool {
    (s.starts_with("${") && s.ends_with('}'))
        || (s.len() >= 2 && s.starts_with('`') && s.ends_with('`'))
}

/// A property value that is either a literal `T` or a dynamic string (a `${…}` binding or, from
/// Flow JSON 6.0, a backtick nested expression), resolved when the screen renders.
///
/// ```
/// use flows_json::Dyn;
/// let shown: Dyn<bool> = serde_json::from_str("true").unwrap();
/// assert_eq!(shown, Dyn::Literal(true));
/// let bound: Dyn<bool> = serde_json::from_str(r#""${data.is_open}""#).unwrap();
/// assert_eq!(bound.dynamic(), Some("${data.is_open}"));
/// assert!(serde_json::from_str::<Dyn<bool>>(r#""yes""#).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dyn<T> {
    /// A value written in the Flow JSON.
    Literal(T),
    /// A dynamic string, kept as written.
    Dynamic(String),
}

impl<T> Dyn<T> {
    /// The literal, if this is one.
    pub fn literal(&self) -> Option<&T> {
        match self {
            Self::Literal(t) => Some(t),
            Self::Dynamic(_) => None,
        }
    }

    /// The dynamic string, if this is one.
    pub fn dynamic(&self) -> Option<&str> {
        match self {
            Self::Literal(_) => None,
            Self::Dynamic(s) => Some(s),
        }
    }
}

impl<T: Serialize> Serialize for Dyn<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Literal(t) => t.serialize(serializer),
            Self::Dynamic(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Dyn<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Peeking through `deserialize_any` and handing the same access on to `T` keeps
        // serde_path_to_error's path intact below this point (no buffering into a Value).
        deserializer.deserialize_any(DynVisitor(PhantomData))
    }
}

struct DynVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for DynVisitor<T> {
    type Value = Dyn<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or a dynamic string (`${data.x}`)")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::deserialize(BoolDeserializer::new(v)).map(Dyn::Literal)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::deserialize(I64Deserializer::new(v)).map(Dyn::Literal)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::deserialize(U64Deserializer::new(v)).map(Dyn::Literal)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::deserialize(F64Deserializer::new(v)).map(Dyn::Literal)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if is_dynamic(v) {
            return Ok(Dyn::Dynamic(v.to_owned()));
        }
        T::deserialize(StrDeserializer::new(v)).map(Dyn::Literal)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        T::deserialize(UnitDeserializer::new()).map(Dyn::Literal)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq)).map(Dyn::Literal)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Dyn::Literal)
    }
}

/// An integer property (`max-chars`, `min-selected-items`, …), written as a JSON number or, as
/// Meta's component tables type some of them, a numeric string. Kept as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Int {
    /// A JSON number.
    Number(serde_json::Number),
    /// A string holding an integer (`"80"`).
    Text(String),
}

impl Int {
    /// The integer, if the number is integral.
    #[must_use]
    pub fn value(&self) -> Option<i64> {
        match self {
            Self::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Self::Text(s) => s.trim().parse().ok(),
        }
    }
}

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => n.serialize(serializer),
            Self::Text(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                match serde_json::Number::from_f64(v) {
                    Some(n) if v.fract() == 0.0 => Ok(Int::Number(n)),
                    _ => Err(E::invalid_value(de::Unexpected::Float(v), &self)),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                if v.trim().parse::<i64>().is_ok() {
                    Ok(Int::Text(v.to_owned()))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }
        deserializer.deserialize_any(IntVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::{Number, json};

    use super::*;

    #[test]
    fn literals_and_dynamic_strings_round_trip() {
        for v in [
            json!("plain"),
            json!("${data.x}"),
            json!("`${form.a} 'b'`"),
            json!("Hi ${data.x}"),
        ] {
            let d: Dyn<String> = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&d).unwrap(), v);
        }
        let d: Dyn<Number> = serde_json::from_value(json!(1)).unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), json!(1));
        let d: Dyn<Vec<String>> = serde_json::from_value(json!(["a"])).unwrap();
        assert_eq!(d, Dyn::Literal(vec!["a".to_owned()]));
        assert!(serde_json::from_value::<Dyn<Int>>(json!("Hundred")).is_err());
        for v in [json!(80), json!("80"), json!(3.0)] {
            let d: Dyn<Int> = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&d).unwrap(), v);
            assert!(d.literal().and_then(Int::value).is_some());
        }
        assert!(serde_json::from_value::<Int>(json!(2.5)).is_err());
        assert!(serde_json::from_value::<Dyn<String>>(json!(null)).is_err());
        assert!(!is_dynamic("`"));
    }
}
