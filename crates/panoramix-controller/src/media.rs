//! The one media type the API takes, shared by both hosts: a `POST` or `PATCH`
//! whose `Content-Type` is not JSON is answered 415 `unsupported_media_type`
//! before its body is read.

/// Whether a `Content-Type` value is JSON: `application/json`, optionally with
/// `charset=utf-8` (case-insensitive, spaces around `;` and `=` allowed, the
/// charset may be quoted). Any other parameter or charset is refused.
pub fn is_json(content_type: &[u8]) -> bool {
    let Ok(ct) = std::str::from_utf8(content_type) else {
        return false;
    };
    let mut parts = ct.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default();
    if !media.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|p| {
        p.split_once('=').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("charset")
                && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        })
    })
}

/// Whether `method` carries a body that must be JSON.
pub fn needs_json(method: &str) -> bool {
    matches!(method, "POST" | "PATCH")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_is_json() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            "application/json ; charset = \"utf-8\"",
        ] {
            assert!(is_json(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/jsonx",
            "application/json; charset=latin-1",
            "application/json; boundary=x",
            "application/json;",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!is_json(bad.as_bytes()), "{bad}");
        }
        assert!(!is_json(b"application/json\xff"));
    }
}
