//! A serde deserializer over the configuration tree that reads a scalar as the type the field
//! asks for: a number or a boolean where a string is wanted becomes its text (a numeric API
//! token is a valid token, `api_token = 1234567890987`), and a string where a number or a
//! boolean is wanted is parsed (environment overrides and `${VAR}` substitutions are text).
//!
//! Without it, `DESKPULSE__SMTP__PASSWORD=98765431234` was refused with "invalid type:
//! integer `98765431234`, expected a string", printing the password.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

type Error = serde_json::Error;

/// Deserializes a configuration value leniently (see the module documentation).
#[derive(Clone, Copy)]
pub(crate) struct Lenient<'de>(pub(crate) &'de Value);

impl<'de> Lenient<'de> {
    /// A number from a string: integers first (exact), then floats.
    fn number<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let Value::String(s) = self.0 else {
            return self.deserialize_any_value(visitor);
        };
        let t = s.trim();
        if let Ok(u) = t.parse::<u64>() {
            visitor.visit_u64(u)
        } else if let Ok(i) = t.parse::<i64>() {
            visitor.visit_i64(i)
        } else if let Ok(f) = t.parse::<f64>() {
            visitor.visit_f64(f)
        } else {
            Err(de::Error::invalid_value(de::Unexpected::Str(s), &visitor))
        }
    }

    fn deserialize_any_value<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut seq = Seq(items.iter());
                let v = visitor.visit_seq(&mut seq)?;
                match seq.0.len() {
                    0 => Ok(v),
                    _ => Err(de::Error::invalid_length(
                        items.len(),
                        &"fewer elements in the array",
                    )),
                }
            }
            Value::Object(map) => visitor.visit_map(Map {
                iter: map.iter(),
                value: None,
            }),
        }
    }
}

macro_rules! numbers {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.number(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Lenient<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any_value(visitor)
    }

    numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) if s.trim() == "true" => visitor.visit_bool(true),
            Value::String(s) if s.trim() == "false" => visitor.visit_bool(false),
            _ => self.deserialize_any_value(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            _ => self.deserialize_any_value(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => de::Deserializer::deserialize_enum(other, name, variants, visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Seq<'de>(std::slice::Iter<'de, Value>);

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Lenient(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Map<'de> {
    iter: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(de::value::BorrowedStrDeserializer::new(k))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let v = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("a value without its key"))?;
        seed.deserialize(Lenient(v))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct S {
        token: String,
        secret: Option<String>,
        port: u16,
        ratio: Option<f64>,
        on: bool,
        ids: Vec<i64>,
        mode: Option<Mode>,
    }
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Tls,
        None,
    }

    fn de(v: serde_json::Value) -> Result<S, String> {
        S::deserialize(Lenient(&v)).map_err(|e| e.to_string())
    }

    #[test]
    fn scalars_become_what_the_field_asks_for() {
        let s = de(json!({
            "token": 1234567890987u64, "secret": true, "port": "2525", "ratio": "0.80",
            "on": "true", "ids": ["1", -2], "mode": "tls"
        }))
        .unwrap();
        assert_eq!(
            s,
            S {
                token: "1234567890987".into(),
                secret: Some("true".into()),
                port: 2525,
                ratio: Some(0.8),
                on: true,
                ids: vec![1, -2],
                mode: Some(Mode::Tls),
            }
        );
        let s =
            de(json!({"token": -7, "port": 1, "on": false, "ids": [], "mode": "none"})).unwrap();
        assert_eq!(
            (s.token.as_str(), s.secret, s.mode),
            ("-7", None, Some(Mode::None))
        );
    }

    #[test]
    fn wrong_values_are_still_refused() {
        let e = de(json!({"token": "t", "port": "soon", "on": true, "ids": []})).unwrap_err();
        assert!(e.contains("soon") && e.contains("u16"), "{e}");
        let e = de(json!({"token": "t", "port": 70000, "on": true, "ids": []})).unwrap_err();
        assert!(e.contains("70000"), "{e}");
        let e = de(json!({"token": ["a"], "port": 1, "on": true, "ids": []})).unwrap_err();
        assert!(e.contains("sequence"), "{e}");
        let e = de(json!({"token": "t", "port": 1, "on": true, "ids": [], "x": 1})).unwrap_err();
        assert!(e.contains("unknown field `x`"), "{e}");
    }
}
