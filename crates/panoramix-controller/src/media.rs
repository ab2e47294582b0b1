//! The media types the API takes, shared by both hosts: a `POST` or `PATCH`
//! whose `Content-Type` is not JSON (on the box route: not the box media type)
//! is answered 415 `unsupported_media_type` before its body is read.

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

/// Whether a request body of this `Content-Type` is taken: JSON, and on the
/// box route (`is_box`) also the box media type
/// ([`panoramix_core::boxes::MEDIA_TYPE`]; the route itself refuses a body that
/// is not a box transfer, and a method it does not take is 405 either way).
pub fn is_accepted(content_type: &[u8], is_box: bool) -> bool {
    let media = content_type
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default();
    let boxed = media
        .trim_ascii()
        .eq_ignore_ascii_case(panoramix_core::boxes::MEDIA_TYPE.as_bytes());
    is_json(content_type) || (is_box && boxed)
}

/// Whether `method` carries a body that must be JSON (or, on the box route, a
/// box transfer: [`is_accepted`]).
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
        let boxed = panoramix_core::boxes::MEDIA_TYPE.as_bytes();
        assert!(is_accepted(boxed, true) && !is_accepted(boxed, false));
        assert!(is_accepted(b"application/json", true) && is_accepted(b"application/json", false));
        assert!(!is_accepted(b"text/plain", true));
    }
}
