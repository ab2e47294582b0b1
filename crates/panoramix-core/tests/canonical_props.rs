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
