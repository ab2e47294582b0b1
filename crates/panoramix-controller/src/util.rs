//! Small helpers for reading request fields and query strings.

use crate::error::ApiError;
use serde_json::{Map, Value as Json};

pub(crate) type Obj = Map<String, Json>;

pub(crate) fn req_str<'a>(m: &'a Obj, key: &str) -> Result<&'a str, ApiError> {
    match m.get(key) {
        Some(Json::String(s)) => Ok(s),
        Some(_) => Err(ApiError::Invalid(format!("`{key}` must be a string"))),
        None => Err(ApiError::Invalid(format!("`{key}` is required"))),
    }
}

pub(crate) fn opt_str<'a>(m: &'a Obj, key: &str) -> Result<Option<&'a str>, ApiError> {
    match m.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::Invalid(format!("`{key}` must be a string"))),
    }
}

pub(crate) fn opt_i64(m: &Obj, key: &str) -> Result<Option<i64>, ApiError> {
    match m.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::Invalid(format!("`{key}` must be an integer"))),
        Some(_) => Err(ApiError::Invalid(format!("`{key}` must be an integer"))),
    }
}

pub(crate) fn opt_bool(m: &Obj, key: &str) -> Result<Option<bool>, ApiError> {
    match m.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(Json::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Json::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(_) => Err(ApiError::Invalid(format!("`{key}` must be a boolean"))),
    }
}

pub(crate) fn str_list(m: &Obj, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    match m.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::Invalid(format!("`{key}` must be a list of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::Invalid(format!(
            "`{key}` must be a list of strings"
        ))),
    }
}

/// Limit a free-text field's length.
pub(crate) fn bounded<'a>(s: &'a str, key: &str, max: usize) -> Result<&'a str, ApiError> {
    if s.len() > max {
        return Err(ApiError::TooLarge(format!(
            "`{key}` is longer than {max} bytes"
        )));
    }
    Ok(s)
}

/// Parse `a=b&c=d` (percent-decoding `%XX` and `+`).
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn new(q: &str) -> Query {
        Query(parse_query(q))
    }

    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
    }

    /// `limit` clamped to the configured maximum.
    pub(crate) fn limit(&self, default: i64, max: i64) -> Result<i64, ApiError> {
        match self.get("limit") {
            None => Ok(default),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n.min(max)),
                _ => Err(ApiError::Invalid(
                    "`limit` must be a positive integer".into(),
                )),
            },
        }
    }
}

/// base64url(32 random bytes) without padding: 43 characters, as the original's ids.
pub(crate) fn random_id(fill: impl Fn(&mut [u8])) -> String {
    use base64::Engine as _;
    let mut b = [0u8; 32];
    fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
