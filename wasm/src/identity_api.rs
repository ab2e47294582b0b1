//! A parsed Ed25519 public key, for verifying many signatures of one signer without
//! decoding and decompressing its `key_data` on every call (as `verify(keyData, ...)`
//! does). The package's benchmark times verification with it, so that the
//! WebAssembly side does the same work as the native side, which parses a key once.

use crate::bytes_of;
use crate::error::{Error, Result};
use panoramix_core::identity::{Domain, PublicKey};
use wasm_bindgen::prelude::*;

/// A signature domain from its name (`envelope`, `contribution`, `contribution-in`,
/// `audit-head`).
pub(crate) fn domain_of(name: &str) -> Result<Domain> {
    match name {
        "envelope" => Ok(Domain::Envelope),
        "contribution" => Ok(Domain::Contribution),
        "contribution-in" => Ok(Domain::ContributionIn),
        "audit-head" => Ok(Domain::AuditHead),
        other => Err(Error::new(
            "invalid_argument",
            format!(
                "unknown signature domain {other:?} (envelope, contribution, contribution-in, audit-head)"
            ),
        )),
    }
}

/// An Ed25519 public key, parsed once from its `key_data` (64 hex).
#[wasm_bindgen(js_name = VerifyingKey)]
pub struct VerifyingKey {
    key: PublicKey,
}

#[wasm_bindgen(js_class = VerifyingKey)]
impl VerifyingKey {
    /// Parse `key_data`; throws `bad_key` if it is not a valid Ed25519 public key.
    #[wasm_bindgen(constructor)]
    pub fn new(key_data: &str) -> std::result::Result<VerifyingKey, JsValue> {
        Ok(VerifyingKey {
            key: PublicKey::from_key_data(key_data).map_err(Error::from)?,
        })
    }

    /// The key's `key_data` (64 hex).
    #[wasm_bindgen(getter, js_name = keyData)]
    pub fn key_data(&self) -> String {
        self.key.key_data()
    }

    /// The key's id (peer id).
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.key.key_id()
    }

    /// Whether `signature` (128 hex) is this key's signature of `message` (string or
    /// bytes) for `domain`, as `verify(keyData, domain, message, signature)`.
    pub fn verify(
        &self,
        domain: &str,
        message: JsValue,
        signature: &str,
    ) -> std::result::Result<bool, JsValue> {
        let msg = bytes_of("message", &message)?;
        Ok(self.key.verify(domain_of(domain)?, &msg, signature).is_ok())
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use panoramix_core::identity::Keypair;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn parsed_key_verifies_as_verify_does() {
        let kp = Keypair::from_secret(&[7u8; 32]);
        let sig = kp.sign(Domain::Envelope, b"hello");
        let vk = VerifyingKey::new(&kp.key_data()).expect("valid key");
        assert_eq!(vk.key_data(), kp.key_data());
        assert_eq!(vk.key_id(), kp.key_id());
        let ok = |d: &str, m: &str, s: &str| vk.verify(d, JsValue::from_str(m), s).ok();
        assert_eq!(ok("envelope", "hello", &sig), Some(true));
        assert_eq!(ok("contribution", "hello", &sig), Some(false));
        assert_eq!(ok("envelope", "hellO", &sig), Some(false));
        assert_eq!(ok("envelope", "hello", "00"), Some(false));
        assert_eq!(ok("nope", "hello", &sig), None);
        let code = |r: std::result::Result<VerifyingKey, JsValue>| {
            js_sys::Reflect::get(&r.err()?, &"code".into())
                .ok()?
                .as_string()
        };
        assert_eq!(code(VerifyingKey::new("zz")).as_deref(), Some("bad_key"));
        assert_eq!(
            code(VerifyingKey::new(&"00".repeat(32))).as_deref(),
            Some("bad_key")
        );
    }
}
