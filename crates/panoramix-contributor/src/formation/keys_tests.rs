//! [`Backends::complete`] with the real backends' owner-key checks.

use panoramix_core::backend::OwnerKeys;
use panoramix_core::wire::Peer;
use panoramix_sphinx::MixKeyPair;
use panoramix_sphinx::contributor::SphinxOwnerKeys;
use panoramix_zeus::contributor::ZeusOwnerKeys;
use panoramix_zeus::{TrusteeKey, TrusteeSecret, combine_trustee_keys};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value as Json, json};

use super::Backends;
use crate::spec::{Election, MixnetSpec, TRUSTEE_KEY_SESSION};

fn backends() -> Backends {
    let keys: Vec<Box<dyn OwnerKeys>> = vec![Box::new(SphinxOwnerKeys), Box::new(ZeusOwnerKeys)];
    Backends::new(keys)
}

fn peer(id: &str, crypto_params: Json) -> Peer {
    serde_json::from_value(json!({
        "peer_id": id, "name": id, "key_data": "", "key_type": "ed25519",
        "crypto_backend": "", "crypto_params": crypto_params, "owners": [],
        "status": "READY", "roles": [], "consensus_id": "",
    }))
    .unwrap()
}

fn spec(backend: &str, election: Option<Election>) -> MixnetSpec {
    let mut s = super::tests::spec();
    s.backend = backend.into();
    s.params["MIX_PROOF"] = json!("TW");
    s.election = election;
    s
}

fn complete_err(spec: &MixnetSpec, owners: &[Peer]) -> String {
    backends().complete(spec, owners).unwrap_err().to_string()
}

fn trustee_keys(n: usize) -> Vec<TrusteeKey> {
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    (0..n)
        .map(|_| TrusteeSecret::generate(&mut rng).publish(TRUSTEE_KEY_SESSION, &mut rng))
        .collect()
}

fn zeus_owners(keys: &[TrusteeKey]) -> Vec<Peer> {
    let ids = ["a", "b", "c"];
    keys.iter()
        .zip(ids)
        .map(|(k, id)| peer(id, json!({ "trustee_key": k })))
        .collect()
}

#[test]
fn sphinx_owners_need_a_valid_mix_key_each_and_the_description_is_unchanged() {
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let key = |rng: &mut ChaCha20Rng| MixKeyPair::generate(rng).public().to_hex();
    let a = peer("a", json!({"mix_key": key(&mut rng)}));
    let b = peer("b", json!({"mix_key": key(&mut rng)}));
    let s = spec("SPHINXMIX", None);
    assert_eq!(backends().complete(&s, &[a.clone(), b]).unwrap(), s);
    let none = peer("b", json!({"mix_key": null}));
    assert_eq!(
        complete_err(&s, &[a.clone(), none]),
        "owner b published no mix key"
    );
    let bad = peer("b", json!({"mix_key": "zz"}));
    let err = complete_err(&s, &[a, bad]);
    assert!(
        err.starts_with("owner b published no valid mix key: "),
        "{err}"
    );
}

#[test]
fn zeus_completes_the_election_key_from_the_verified_shares() {
    let keys = trustee_keys(3);
    let pk = combine_trustee_keys(TRUSTEE_KEY_SESSION, &keys).unwrap();
    let s = spec("ZEUS", None);
    let done = backends().complete(&s, &zeus_owners(&keys)).unwrap();
    assert_eq!(done.election_public_key, Some(pk.to_hex()));
    assert_eq!(
        MixnetSpec {
            election_public_key: None,
            ..done
        },
        s
    );
}

#[test]
fn zeus_refuses_a_missing_share_a_bad_proof_and_an_invalid_election() {
    let keys = trustee_keys(3);
    let s = spec("ZEUS", None);
    let mut owners = zeus_owners(&keys);
    owners[1].crypto_params = json!({});
    let err = complete_err(&s, &owners);
    assert!(
        err.starts_with("owner b published no trustee key: "),
        "{err}"
    );

    // b's share with a's proof of knowledge
    let mut forged = keys.clone();
    forged[1].proof = keys[0].proof;
    let err = complete_err(&s, &zeus_owners(&forged));
    assert!(err.starts_with("trustee keys do not verify: "), "{err}");

    let twice = "11".repeat(32);
    let election = Election {
        question: "q".into(),
        options: vec!["yes".into(), "no".into()],
        voters: vec![twice.clone(), twice],
    };
    let err = complete_err(&spec("ZEUS", Some(election)), &zeus_owners(&keys));
    assert!(err.starts_with("the election: "), "{err}");
}

#[test]
fn a_backend_nobody_passed_in_is_refused() {
    let err = complete_err(&spec("OTHER", None), &[]);
    assert_eq!(err, "no backend OTHER");
}
