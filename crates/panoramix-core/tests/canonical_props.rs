//! Property tests of the canonical encoding: round trips, and every accepted byte
//! string is the one encoding of its value (so non-canonical input is rejected).
use panoramix_core::canonical::{Value, decode, encode};
use proptest::prelude::*;

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(|i| Value::Int(i128::from(i))),
        any::<i128>().prop_map(Value::Int),
        ".{0,40}".prop_map(Value::Str),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::btree_map(".{0,12}", inner, 0..6).prop_map(Value::Dict),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip(v in arb_value()) {
        prop_assert_eq!(decode(&encode(&v)).unwrap(), v);
    }

    /// Flip, insert or delete bytes of a valid encoding: the result is either
    /// rejected or is itself the canonical encoding of what it decodes to.
    #[test]
    fn mutations_are_rejected_or_canonical(v in arb_value(), pos in any::<prop::sample::Index>(), byte in any::<u8>(), op in 0u8..3) {
        let mut b = encode(&v);
        let i = pos.index(b.len().max(1));
        match op {
            0 if !b.is_empty() => b[i] = byte,
            1 => b.insert(i.min(b.len()), byte),
            _ if !b.is_empty() => { b.remove(i); }
            _ => {}
        }
        if let Ok(w) = decode(&b) {
            prop_assert_eq!(encode(&w), b);
        }
    }

    /// Arbitrary bytes: never a panic, and anything accepted is canonical.
    #[test]
    fn arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(w) = decode(&b) {
            prop_assert_eq!(encode(&w), b);
        }
    }
}

proptest! {
    /// The message hash streams the canonical encoding into SHA-256; it must be the
    /// hash of exactly the bytes `Value::List(..).encode()` gives (protocol.md §5.5).
    #[test]
    fn message_hash_streams_the_canonical_bytes(
        serial in proptest::option::of(any::<i64>()),
        sender in ".{0,40}",
        recipient in ".{0,40}",
        text in ".{0,300}",
    ) {
        use sha2::{Digest, Sha256};
        let v = Value::List(vec![
            serial.map_or(Value::Null, |s| Value::Int(i128::from(s))),
            Value::str(sender.as_str()),
            Value::str(recipient.as_str()),
            Value::str(text.as_str()),
        ]);
        let mut h = Sha256::new();
        h.update(b"panoramix/v1/message\0");
        h.update(v.encode());
        prop_assert_eq!(
            panoramix_core::model::message_hash(serial, &sender, &recipient, &text),
            hex::encode(h.finalize())
        );
    }

    /// Integers at every width keep the grammar: the decoder reads back what the
    /// encoder wrote, for the extremes of i128 too.
    #[test]
    fn ints_and_strings_keep_their_spelling(i in any::<i128>(), s in ".{0,300}") {
        // the grammar spelled out with `format!` (protocol.md §1.2): LL N 0 digits
        let n = if i < 0 { format!("-{:x}", i.unsigned_abs()) } else { format!("{i:x}") };
        let len = format!("{:x}", n.len());
        let want = format!("{:02x}{len}0{n}", len.len());
        prop_assert_eq!(encode(&Value::Int(i)), want.into_bytes());
        let len = format!("{:x}", s.len());
        let want = format!("{:02x}{len}_{s}", len.len());
        prop_assert_eq!(encode(&Value::Str(s)), want.into_bytes());
        let v = Value::Int(i);
        prop_assert_eq!(decode(&encode(&v)).unwrap(), v);
    }
}
