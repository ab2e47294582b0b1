//! A strict JSON reader for signed request bodies: one byte string, one meaning.
//!
//! `serde_json` keeps the last of two equal keys in an object, so a body such as
//! `{"data": {"a": 1, "a": 2}, ...}` means one thing to the signature check (which
//! sees `a = 2`) and another to any reader that keeps the first value. [`parse`]
//! refuses every object that names a key twice (keys are compared after JSON
//! unescaping, so `"a"` and `"\u0061"` are the same key), anywhere in the body, and
//! every value nested deeper than [`MAX_DEPTH`]. It never panics and its work is
//! linear in the input.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::Cell;
use std::fmt;

/// The deepest nesting [`parse`] accepts: the canonical model's
/// [`crate::canonical::MAX_DEPTH`] plus the envelope's own two levels.
pub const MAX_DEPTH: usize = crate::canonical::MAX_DEPTH + 2;

/// Why a body is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrictJsonError {
    /// Not JSON at all (syntax error, bad UTF-8, trailing bytes, ...).
    #[error("body is not valid JSON: {0}")]
    Syntax(String),
    /// An object names the same key twice.
    #[error(
        "duplicate key {key:?} in a JSON object ({at}): a signed request must have one meaning"
    )]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// Where (`serde_json`'s line and column).
        at: String,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("JSON nesting deeper than {MAX_DEPTH}")]
    TooDeep,
}

#[derive(Clone, Copy)]
struct Seed<'a> {
    depth: usize,
    failure: &'a Cell<Option<Failure>>,
}

#[derive(Clone, Debug)]
enum Failure {
    Duplicate(String),
    TooDeep,
}

impl Seed<'_> {
    fn fail<E: de::Error>(&self, f: Failure) -> E {
        let msg = match &f {
            Failure::Duplicate(k) => format!("duplicate key {k:?}"),
            Failure::TooDeep => "too deep".to_owned(),
        };
        self.failure.set(Some(f));
        E::custom(msg)
    }

    fn child<E: de::Error>(&self) -> Result<Seed<'_>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(Failure::TooDeep));
        }
        Ok(Seed {
            depth: self.depth + 1,
            failure: self.failure,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = self.child()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(child)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let child = self.child()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(self.fail(Failure::Duplicate(key)));
            }
            let v = map.next_value_seed(child)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parse `bytes` as one JSON value, refusing repeated object keys and nesting
/// deeper than [`MAX_DEPTH`].
pub fn parse(bytes: &[u8]) -> Result<Value, StrictJsonError> {
    let failure = Cell::new(None);
    let seed = Seed {
        depth: 0,
        failure: &failure,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(match failure.take() {
            Some(Failure::Duplicate(key)) => StrictJsonError::DuplicateKey {
                key,
                at: format!("line {} column {}", e.line(), e.column()),
            },
            Some(Failure::TooDeep) => StrictJsonError::TooDeep,
            None if e.to_string().starts_with("recursion limit exceeded") => {
                StrictJsonError::TooDeep
            }
            None => StrictJsonError::Syntax(e.to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_what_serde_json_accepts_without_duplicates() {
        for s in [
            r#"{"a": 1, "b": [true, null, -3, 1.5, "x\u0000"], "c": {"d": {}}}"#,
            "[]",
            "  \"s\"  ",
            "18446744073709551615",
            "-9223372036854775808",
        ] {
            let want: Value = serde_json::from_str(s).unwrap();
            assert_eq!(parse(s.as_bytes()).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn refuses_duplicate_keys_anywhere() {
        for s in [
            r#"{"a": 1, "a": 1}"#,
            r#"{"data": {"x": true, "x": 1}, "info": {}}"#,
            r#"[{"k": [{"z": 0, "y": 1, "z": 2}]}]"#,
            r#"{"a": 1, "\u0061": 2}"#,
        ] {
            match parse(s.as_bytes()) {
                Err(StrictJsonError::DuplicateKey { .. }) => {}
                other => panic!("{s}: {other:?}"),
            }
        }
        let e = parse(br#"{"meta": {}, "meta": {}}"#).unwrap_err();
        assert!(e.to_string().contains("\"meta\""), "{e}");
        // equal values under distinct keys are fine
        assert_eq!(
            parse(br#"{"a": 1, "A": 1}"#).unwrap(),
            json!({"a": 1, "A": 1})
        );
    }

    #[test]
    fn refuses_non_json_and_deep_nesting() {
        for s in [&b"{"[..], b"{\"a\":1}x", b"\xff", b"", b"{\"a\" 1}", b"NaN"] {
            assert!(
                matches!(parse(s), Err(StrictJsonError::Syntax(_))),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        for n in [MAX_DEPTH + 1, 200, 100_000] {
            let deep = "[".repeat(n) + &"]".repeat(n);
            assert_eq!(parse(deep.as_bytes()), Err(StrictJsonError::TooDeep), "{n}");
            let deep = "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
            assert_eq!(parse(deep.as_bytes()), Err(StrictJsonError::TooDeep), "{n}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        use rand_chacha::ChaCha8Rng;
        use rand_core::{RngCore, SeedableRng};
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let alphabet = b"{}[]\":,0123456789-+.eEtrufalsn \\u\x00\xff";
        for _ in 0..20_000 {
            let n = (rng.next_u32() % 48) as usize;
            let s: Vec<u8> = (0..n)
                .map(|_| alphabet[(rng.next_u32() as usize) % alphabet.len()])
                .collect();
            let strict = parse(&s);
            let lax = serde_json::from_slice::<Value>(&s);
            if let Ok(v) = &strict {
                assert_eq!(Some(v), lax.as_ref().ok());
            }
        }
    }
}
