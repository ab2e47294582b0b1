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
//! | `ballot_audited` | a prepared ballot was audited (its randomness revealed): it cannot be cast |
//! | `ballot_cast` | a prepared ballot was cast: it cannot be audited |
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

/// A library error inside a backend's error, with its own code (`sphinx_*`,
/// `zeus_*`); `None` when it is of no library this crate knows.
fn library_error(e: Box<dyn std::error::Error + Send + Sync>) -> Option<Error> {
    let e = match e.downcast::<panoramix_sphinx::Error>() {
        Ok(e) => return Some((*e).into()),
        Err(e) => e,
    };
    let e = match e.downcast::<panoramix_zeus::ZeusError>() {
        Ok(e) => return Some((*e).into()),
        Err(e) => e,
    };
    e.downcast::<panoramix_zeus::VerifyError>()
        .ok()
        .map(|e| (*e).into())
}

/// A contributor backend's error: the library's code when it kept the library's
/// error (a Sphinx or Zeus failure while processing, a Zeus proof that does not
/// verify, an unusable replay cache), else `endpoint_params`, `missing_secret`,
/// `verify_failed` (a check without an underlying error: the Sphinx output checks).
impl From<panoramix_core::backend::BackendError> for Error {
    fn from(e: panoramix_core::backend::BackendError) -> Error {
        use panoramix_core::backend::BackendError as B;
        let message = e.to_string();
        match e {
            B::Params { what, .. } => Error::new("endpoint_params", what),
            B::MissingSecret(what) => Error::new("missing_secret", what),
            B::Process { source, .. } | B::State(source) => {
                library_error(source).unwrap_or_else(|| Error::new("internal", message))
            }
            B::Verify { source, .. } => source
                .and_then(library_error)
                .unwrap_or_else(|| Error::new("verify_failed", message)),
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
            E::BadSignature => Error::new("bad_signature", e.to_string()),
            // not of the envelope's shape: `Malformed`, and the strict parser's
            // duplicate keys and unknown fields
            _ => Error::new("malformed_envelope", e.to_string()),
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

// These run under wasm-bindgen-test-runner: scripts/wasm-test.sh's `cargo test
// --target wasm32-unknown-unknown -p panoramix-wasm --tests` runs the library's unit
// tests too, under Node and in headless Chromium (a plain `#[test]` would be skipped
// there). `unsupported = test` makes them ordinary tests in a native `cargo test` too.
#[cfg(test)]
mod tests {
    use super::*;
    use panoramix_core::canonical::CanonicalError;
    use panoramix_core::envelope::EnvelopeError;
    use panoramix_core::identity::IdentityError;
    use panoramix_core::negotiation::NegotiationError;
    use panoramix_sphinx as sphinx;
    use panoramix_zeus::{DecodeError, TwCheck, VerifyError, ZeusError};
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn codes() {
        assert_eq!(snake("TwProof"), "tw_proof");
        assert_eq!(snake("A"), "a");
        assert_eq!(snake(""), "");
        assert_eq!(variant_code("BallotProof { ballot: 3 }"), "ballot_proof");
        assert_eq!(variant_code("JointKeyMismatch"), "joint_key_mismatch");
        assert_eq!(variant_code("Verify(Empty)"), "verify");
        assert_eq!(variant_code(""), "");
    }

    /// Every library error reaches JavaScript with the code the package documents
    /// (npm/README.md's table and this module's), with the library's message.
    #[wasm_bindgen_test(unsupported = test)]
    fn library_errors_map_to_documented_codes() {
        let cases: Vec<(Error, &str, String)> = vec![
            (
                sphinx::Error::BadMac.into(),
                "sphinx_bad_mac",
                sphinx::Error::BadMac.to_string(),
            ),
            (
                sphinx::Error::Replay.into(),
                "sphinx_replay",
                sphinx::Error::Replay.to_string(),
            ),
            (
                sphinx::Error::DuplicateHop.into(),
                "sphinx_duplicate_hop",
                sphinx::Error::DuplicateHop.to_string(),
            ),
            (
                sphinx::Error::CacheKeyMismatch.into(),
                "sphinx_cache_key_mismatch",
                sphinx::Error::CacheKeyMismatch.to_string(),
            ),
            (
                VerifyError::BallotProof { ballot: 3 }.into(),
                "zeus_ballot_proof",
                "ballot 3: validity proof does not verify".into(),
            ),
            (
                VerifyError::BallotSignature { ballot: 1 }.into(),
                "zeus_ballot_signature",
                VerifyError::BallotSignature { ballot: 1 }.to_string(),
            ),
            (
                VerifyError::NotEligible { ballot: 2 }.into(),
                "zeus_not_eligible",
                "ballot 2: credential is not on the voter list".into(),
            ),
            (
                VerifyError::BallotOpening { reason: "x".into() }.into(),
                "zeus_ballot_opening",
                "opened ballot: x".into(),
            ),
            (
                ZeusError::NotAnAnswer.into(),
                "zeus_not_an_answer",
                ZeusError::NotAnAnswer.to_string(),
            ),
            (
                VerifyError::TwProof {
                    mix: 1,
                    check: TwCheck::Sum,
                }
                .into(),
                "zeus_tw_proof",
                VerifyError::TwProof {
                    mix: 1,
                    check: TwCheck::Sum,
                }
                .to_string(),
            ),
            (
                VerifyError::SkRound {
                    mix: 0,
                    round: 2,
                    bit: 1,
                    index: 4,
                }
                .into(),
                "zeus_sk_round",
                VerifyError::SkRound {
                    mix: 0,
                    round: 2,
                    bit: 1,
                    index: 4,
                }
                .to_string(),
            ),
            (
                VerifyError::DecryptionProof {
                    trustee: 0,
                    index: 1,
                }
                .into(),
                "zeus_decryption_proof",
                VerifyError::DecryptionProof {
                    trustee: 0,
                    index: 1,
                }
                .to_string(),
            ),
            (
                VerifyError::OutputMismatch { index: 2 }.into(),
                "zeus_output_mismatch",
                VerifyError::OutputMismatch { index: 2 }.to_string(),
            ),
            (
                VerifyError::JointKeyMismatch.into(),
                "zeus_joint_key_mismatch",
                VerifyError::JointKeyMismatch.to_string(),
            ),
            // a verification failure inside a prover's error keeps the verifier's code
            (
                ZeusError::Verify(VerifyError::BallotProof { ballot: 0 }).into(),
                "zeus_ballot_proof",
                VerifyError::BallotProof { ballot: 0 }.to_string(),
            ),
            (
                ZeusError::PlaintextTooLong { len: 30, max: 29 }.into(),
                "zeus_plaintext_too_long",
                ZeusError::PlaintextTooLong { len: 30, max: 29 }.to_string(),
            ),
            (
                ZeusError::MissingSecret.into(),
                "zeus_missing_secret",
                ZeusError::MissingSecret.to_string(),
            ),
            (
                DecodeError::NonCanonicalPoint.into(),
                "bad_key",
                DecodeError::NonCanonicalPoint.to_string(),
            ),
            (
                IdentityError::BadKey.into(),
                "bad_key",
                IdentityError::BadKey.to_string(),
            ),
            (
                IdentityError::BadSignature.into(),
                "bad_signature",
                IdentityError::BadSignature.to_string(),
            ),
            (
                EnvelopeError::Malformed("no data".into()).into(),
                "malformed_envelope",
                "malformed envelope: no data".into(),
            ),
            (
                EnvelopeError::BadSignature.into(),
                "bad_signature",
                EnvelopeError::BadSignature.to_string(),
            ),
            (
                CanonicalError::Truncated(7).into(),
                "canonical",
                CanonicalError::Truncated(7).to_string(),
            ),
            (
                NegotiationError::BadText("x".into()).into(),
                "bad_text",
                NegotiationError::BadText("x".into()).to_string(),
            ),
        ];
        for (err, code, message) in cases {
            assert_eq!(err.code, code, "{err}");
            assert_eq!(err.message, message, "{err}");
            assert_eq!(err.to_string(), format!("{code}: {message}"));
        }
    }

    /// A contributor backend's errors keep the library's code when they carry the
    /// library's error, else the endpoint codes.
    #[wasm_bindgen_test(unsupported = test)]
    fn backend_errors_map_to_codes() {
        use panoramix_core::backend::BackendError as B;
        let process = |source: Box<dyn std::error::Error + Send + Sync>| B::Process {
            endpoint: "e".into(),
            source,
        };
        let verify = |source: Option<Box<dyn std::error::Error + Send + Sync>>| B::Verify {
            endpoint: "e".into(),
            reason: "r".into(),
            source,
        };
        let cases: Vec<(B, &str, String)> = vec![
            (
                B::params_msg("no type X"),
                "endpoint_params",
                "no type X".into(),
            ),
            (
                B::MissingSecret("Sphinx mix key"),
                "missing_secret",
                "Sphinx mix key".into(),
            ),
            (
                process(Box::new(sphinx::Error::BadMac)),
                "sphinx_bad_mac",
                sphinx::Error::BadMac.to_string(),
            ),
            (
                process(Box::new(ZeusError::MissingSecret)),
                "zeus_missing_secret",
                ZeusError::MissingSecret.to_string(),
            ),
            (
                process(Box::new(ZeusError::Verify(VerifyError::JointKeyMismatch))),
                "zeus_joint_key_mismatch",
                VerifyError::JointKeyMismatch.to_string(),
            ),
            (
                process(Box::new(std::fmt::Error)),
                "internal",
                "processing e failed".into(),
            ),
            (
                B::State(Box::new(sphinx::Error::CacheKeyMismatch)),
                "sphinx_cache_key_mismatch",
                sphinx::Error::CacheKeyMismatch.to_string(),
            ),
            (
                verify(Some(Box::new(VerifyError::OutputMismatch { index: 2 }))),
                "zeus_output_mismatch",
                VerifyError::OutputMismatch { index: 2 }.to_string(),
            ),
            (
                verify(None),
                "verify_failed",
                "verification of e failed: r".into(),
            ),
            (
                verify(Some(Box::new(std::fmt::Error))),
                "verify_failed",
                "verification of e failed: r".into(),
            ),
        ];
        for (err, code, message) in cases {
            let err: Error = err.into();
            assert_eq!(err.code, code, "{err}");
            assert_eq!(err.message, message, "{err}");
        }
    }

    /// What JavaScript catches: an `Error` named `PanoramixError` with the code as a
    /// property, thrown by a real binding.
    #[cfg(all(target_arch = "wasm32", feature = "client"))]
    #[wasm_bindgen_test]
    fn thrown_error_is_a_panoramix_error_with_its_code() {
        let field = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &k.into()).ok()?.as_string();
        let js: JsValue = Error::new("bad_key", "key_data is not valid").into();
        assert!(js.is_instance_of::<js_sys::Error>());
        assert_eq!(field(&js, "name").as_deref(), Some("PanoramixError"));
        assert_eq!(field(&js, "code").as_deref(), Some("bad_key"));
        assert_eq!(
            field(&js, "message").as_deref(),
            Some("key_data is not valid")
        );
        // a real binding: the trustee secret is not 64 hex
        let thrown = crate::zeus_api::zeus_trustee_public_key("zz")
            .err()
            .map(|e| (field(&e, "name"), field(&e, "code")));
        assert_eq!(
            thrown,
            Some((Some("PanoramixError".into()), Some("bad_key".into())))
        );
    }
}
