//! Canonical encoding and signature rates.
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use panoramix_core::{Domain, Keypair, canonical, envelope};
use serde_json::json;

fn message_envelope(kp: &Keypair) -> serde_json::Value {
    envelope::sign(
        kp,
        json!({"endpoint_id": "gateway_1", "box": "INBOX", "sender": kp.key_id(),
               "recipient": "mixnet", "text": "x".repeat(1400)}),
        json!({"resource": "message", "operation": "create", "nonce": "0011223344556677",
               "ts": 1_700_000_000, "controller": "c".repeat(64)}),
        None,
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let kp = Keypair::from_secret(&[9u8; 32]);
    let env = message_envelope(&kp);
    let value = canonical::from_json(&env).unwrap();
    let bytes = value.encode();
    let mut g = c.benchmark_group("core");
    g.throughput(Throughput::Elements(1));
    g.bench_function("canonical/encode_message_envelope", |b| {
        b.iter(|| black_box(&value).encode())
    });
    g.bench_function("canonical/decode_message_envelope", |b| {
        b.iter(|| canonical::decode(black_box(&bytes)).unwrap())
    });
    g.bench_function("ed25519/sign_envelope", |b| {
        b.iter(|| kp.sign(Domain::Envelope, black_box(&bytes)))
    });
    let sig = kp.sign(Domain::Envelope, &bytes);
    let pk = kp.public();
    g.bench_function("ed25519/verify_envelope", |b| {
        b.iter(|| {
            pk.verify(Domain::Envelope, black_box(&bytes), &sig)
                .unwrap()
        })
    });
    g.bench_function("envelope/verify_full", |b| {
        b.iter(|| envelope::verify(black_box(&env)).unwrap())
    });
    // what the controller runs on a body: the strict JSON reader (no repeated keys),
    // then verification with the canonical rebuild; and the parts, against the lax
    // serde_json reader it replaced
    let body = env.to_string().into_bytes();
    g.bench_function("envelope/verify_slice", |b| {
        b.iter(|| envelope::verify_slice(black_box(&body)).unwrap())
    });
    g.bench_function("json/strict_parse", |b| {
        b.iter(|| panoramix_core::strict_json::parse(black_box(&body)).unwrap())
    });
    g.bench_function("json/serde_json_parse", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
