#![doc = "ZEUS backend (see docs/zeus.md)."]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod ballot;
pub mod context;
pub mod encoding;
pub mod error;
pub mod keys;
mod par;
mod transcript;
pub mod tw;

pub use encoding::MAX_PLAINTEXT_LEN;
pub use error::{DecodeError, TwCheck, VerifyError, ZeusError};
