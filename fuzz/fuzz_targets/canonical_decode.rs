#![no_main]
//! The canonical decoder must never panic, and whatever it accepts must be the one
//! canonical encoding of what it decodes to.
use libfuzzer_sys::fuzz_target;
use panoramix_core::canonical;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = canonical::decode(data) {
        assert_eq!(canonical::encode(&v), data);
    }
    // the same bytes as a negotiation text and as JSON for the envelope parser
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = panoramix_core::negotiation::Text::parse(s);
        if let Ok(j) = serde_json::from_str::<serde_json::Value>(s) {
            let _ = panoramix_core::envelope::verify(&j);
        }
    }
});
