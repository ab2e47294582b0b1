#![no_main]
//! The box transfer decoder (docs/protocol.md §5.8) must never panic, and
//! whatever it accepts, download or upload, is the one encoding of what it
//! decodes to (lengths, ids, serials and the box hash have a single spelling).
use libfuzzer_sys::fuzz_target;
use panoramix_core::boxes;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = boxes::decode(data, false, 1 << 16) {
        assert_eq!(boxes::box_hash(&d.hashes), d.box_hash);
        let again = boxes::encode_download(&d.frames, &d.hashes, d.next);
        assert_eq!(again.as_bytes(), data);
    }
    if let Ok(d) = boxes::decode(data, true, 1 << 16) {
        let env = d.envelope.clone().unwrap_or_default();
        let again = boxes::encode_upload(&env, &d.frames);
        assert_eq!(again.as_bytes(), data);
    }
    // the same bytes behind a header, as a download and as an upload
    let mut b = boxes::MAGIC.to_vec();
    b.extend_from_slice(data);
    let _ = boxes::decode(&b, false, 1 << 16);
    let _ = boxes::decode(&b, true, 1 << 16);
});
