//! Errors thrown to JavaScript: an `Error` named `PanoramixError` with a stable
//! `code`.
//!
//! | code | meaning |
//! |---|---|
//! | `invalid_argument` | an argument has the wrong type or shape |
//! | `bad_key` | a key is not valid (Ed25519, Ristretto255 or scalar) |
//! | `bad_signature` | a signature does not verify |
//! | `malformed_envelope` | a request envelope is not of the envelope's shape |
//! | `canonical` | a value cannot be canonically encoded, or bytes are not canonical |
//! | `bad_text` | a contribution text is not canonical `{body, meta}` |
//! | `sphinx_<code>` | a SPHINXMIX error (`sphinx_bad_mac`, `sphinx_replay`, `sphinx_malformed`, ...) |
//! | `zeus_<variant>` | a ZEUS error (`zeus_ballot_proof`, `zeus_tw_proof`, `zeus_output_mismatch`, ...) |
//! | `endpoint_params` | an endpoint's type or parameters are unusable |
//! | `missing_secret` | the endpoint needs a secret that was not given |
//! | `verify_failed` | another party's processing does not verify |
//! | `internal` | a bug |

use wasm_bindgen::prelude::*;

/// An error with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Stable snake_case code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        let err = js_sys::Error::new(&e.message);
        err.set_name("PanoramixError");
        let _ = js_sys::Reflect::set(&err, &"code".into(), &e.code.into());
        err.into()
    }
}

/// `CamelCase` → `camel_case`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The variant name of an enum's `Debug` output, in snake case.
pub(crate) fn variant_code(debug: &str) -> String {
    let end = debug
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(debug.len());
    snake(&debug[..end])
}

impl From<panoramix_sphinx::Error> for Error {
    fn from(e: panoramix_sphinx::Error) -> Error {
        Error::new(format!("sphinx_{}", e.code()), e.to_string())
    }
}

impl From<panoramix_zeus::VerifyError> for Error {
    fn from(e: panoramix_zeus::VerifyError) -> Error {
        Error::new(
            format!("zeus_{}", variant_code(&format!("{e:?}"))),
            e.to_string(),
        )
    }
}

impl From<panoramix_zeus::ZeusError> for Error {
    fn from(e: panoramix_zeus::ZeusError) -> Error {
        match e {
            panoramix_zeus::ZeusError::Verify(v) => v.into(),
            e => Error::new(
                format!("zeus_{}", variant_code(&format!("{e:?}"))),
                e.to_string(),
            ),
        }
    }
}

impl From<panoramix_zeus::DecodeError> for Error {
    fn from(e: panoramix_zeus::DecodeError) -> Error {
        Error::new("bad_key", e.to_string())
    }
}

impl From<panoramix_core::identity::IdentityError> for Error {
    fn from(e: panoramix_core::identity::IdentityError) -> Error {
        use panoramix_core::identity::IdentityError as I;
        match e {
            I::BadKey => Error::new("bad_key", e.to_string()),
            I::BadSignature => Error::new("bad_signature", e.to_string()),
        }
    }
}

impl From<panoramix_core::envelope::EnvelopeError> for Error {
    fn from(e: panoramix_core::envelope::EnvelopeError) -> Error {
        use panoramix_core::envelope::EnvelopeError as E;
        match e {
            E::Malformed(_) => Error::new("malformed_envelope", e.to_string()),
            E::BadSignature => Error::new("bad_signature", e.to_string()),
        }
    }
}

impl From<panoramix_core::canonical::CanonicalError> for Error {
    fn from(e: panoramix_core::canonical::CanonicalError) -> Error {
        Error::new("canonical", e.to_string())
    }
}

impl From<panoramix_core::negotiation::NegotiationError> for Error {
    fn from(e: panoramix_core::negotiation::NegotiationError) -> Error {
        Error::new("bad_text", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(snake("TwProof"), "tw_proof");
        assert_eq!(variant_code("BallotProof { ballot: 3 }"), "ballot_proof");
        assert_eq!(variant_code("JointKeyMismatch"), "joint_key_mismatch");
        assert_eq!(variant_code("Verify(Empty)"), "verify");
    }
}
