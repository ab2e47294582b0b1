//! WebAssembly bindings of panoramix, the engine of the npm package.
//!
//! Every function takes and returns plain JavaScript values (strings, numbers,
//! arrays, plain objects, `Uint8Array`), converted with serde-wasm-bindgen. Every
//! failure is thrown as a JavaScript `Error` whose `name` is `"PanoramixError"` and
//! whose `code` is a stable snake_case string (see [`error`]). Randomness comes from
//! `crypto.getRandomValues` (getrandom's JavaScript backend).
//!
//! The functions are grouped as the Rust crates are: core (keys, canonical encoding,
//! envelopes, negotiations, hashes), SPHINXMIX and ZEUS, plus [`endpoint`], which
//! processes and verifies a whole endpoint batch exactly as the native contributor
//! agent does.
//!
//! Cargo features select what a build exports: `client` (core, packet and SURB
//! creation, ballots) and `contributor` (batch processing, shuffles, decryption,
//! their verification, endpoints). The npm package ships one module of each.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

#[cfg(feature = "client")]
pub mod core_api;
#[cfg(feature = "contributor")]
pub mod endpoint;
pub mod error;
#[cfg(feature = "contributor")]
pub mod formation_api;
#[cfg(feature = "contributor")]
mod host;
#[cfg(feature = "client")]
pub mod identity_api;
#[cfg(feature = "contributor")]
pub mod machine_api;
pub mod sphinx_api;
pub mod zeus_api;

use error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

// (each module of the package uses a subset of these helpers)
/// Serialize to a plain JS value: objects (not `Map`s), numbers, arrays.
#[allow(dead_code)]
pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Error::new("internal", e.to_string()))
}

/// Deserialize an argument.
#[allow(dead_code)]
pub(crate) fn from_js<T: DeserializeOwned>(what: &str, v: JsValue) -> Result<T> {
    serde_wasm_bindgen::from_value(v)
        .map_err(|e| Error::new("invalid_argument", format!("{what}: {e}")))
}

/// Bytes of a `Uint8Array`, an `ArrayBuffer` or a string (its UTF-8 encoding).
#[allow(dead_code)]
pub(crate) fn bytes_of(what: &str, v: &JsValue) -> Result<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(a) = v.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(a.to_vec());
    }
    if let Some(b) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(js_sys::Uint8Array::new(b).to_vec());
    }
    Err(Error::new(
        "invalid_argument",
        format!("{what}: expected a string or a Uint8Array"),
    ))
}

/// The version of the bindings (the crate version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
