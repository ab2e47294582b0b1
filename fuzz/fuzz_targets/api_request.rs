#![no_main]
//! Every API route, reached with signed requests: sequences of protocol steps
//! (registration, negotiations, endpoints, messages, transitions, roles) among
//! fixed test keys on a fresh in-memory store per input, plus fuzzed signed bodies,
//! raw bodies, reads and replays. See `panoramix_fuzz` (fuzz/src/lib.rs) for the
//! structure of an input and the invariants checked on every answer.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    panoramix_fuzz::run(data);
});
