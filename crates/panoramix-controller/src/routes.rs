//! The route table: which paths exist under `/panoramix/` and which methods each
//! one takes. `dispatch` (in `handlers.rs`) answers a path that is not in this
//! table with 404 `not_found`, and a path in it with a method it does not take
//! with 405 `method_not_allowed`; hosts add an `Allow` header from
//! [`allowed_methods`]. `docs/api.md` lists the same table.

/// The methods a route shape takes, by its path segments (empty segments removed,
/// so a trailing slash does not matter). `None`: no such route.
pub(crate) fn allowed_for(segs: &[&str]) -> Option<&'static [&'static str]> {
    const GET: &[&str] = &["GET"];
    const POST: &[&str] = &["POST"];
    const GET_POST: &[&str] = &["GET", "POST"];
    const GET_PATCH: &[&str] = &["GET", "PATCH"];
    Some(match segs {
        ["controller"] | ["audit"] | ["changes"] => GET,
        ["negotiations" | "peers", _] => GET,
        ["boxes"] => GET_POST,
        ["takeovers"] => POST,
        ["negotiations" | "contributions" | "peers" | "roles" | "endpoints" | "messages"] => {
            GET_POST
        }
        ["endpoints", _] => GET_PATCH,
        _ => return None,
    })
}

/// The path segments under `/panoramix/`, or `None` for a path outside it.
pub(crate) fn segments(path: &str) -> Option<Vec<&str>> {
    let rest = if path == "/panoramix" {
        ""
    } else {
        path.strip_prefix("/panoramix/")?
    };
    Some(rest.split('/').filter(|s| !s.is_empty()).collect())
}

/// Whether `path` is the change feed (`/panoramix/changes/`), whose wait a
/// host implements (docs/protocol.md §5.10).
pub fn is_changes_path(path: &str) -> bool {
    segments(path).is_some_and(|s| s == ["changes"])
}

/// The methods the API route at `path` takes (for an `Allow` header), or `None`
/// when `path` is not an API route.
pub fn allowed_methods(path: &str) -> Option<&'static [&'static str]> {
    allowed_for(&segments(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_and_unknown_sub_paths() {
        assert_eq!(
            allowed_methods("/panoramix/messages/"),
            Some(&["GET", "POST"][..])
        );
        assert_eq!(
            allowed_methods("/panoramix/messages"),
            Some(&["GET", "POST"][..])
        );
        assert_eq!(
            allowed_methods("/panoramix/endpoints/e1"),
            Some(&["GET", "PATCH"][..])
        );
        assert_eq!(allowed_methods("/panoramix/peers/p"), Some(&["GET"][..]));
        assert_eq!(
            allowed_methods("/panoramix/controller/"),
            Some(&["GET"][..])
        );
        for p in [
            "/panoramix/messages/x/y",
            "/panoramix/messages/x",
            "/panoramix/controller/zz",
            "/panoramix/audit/1",
            "/panoramix/peers/a/b",
            "/panoramix/roles/x",
            "/panoramix/contributions/x",
            "/panoramix/",
            "/panoramix",
            "/panoramixx/peers",
            "/other",
        ] {
            assert_eq!(allowed_methods(p), None, "{p}");
        }
    }
}
