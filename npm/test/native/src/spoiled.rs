//! A free-text election's ballots that decrypt to no canonical plaintext (issue 13),
//! made natively for the package's tests: a ballot for a random group element and a
//! *marked* one (a non-minimal encoding counter). Both carry valid proofs, so the
//! booth admits them; the tally publishes them as `spoiled:<hex>` and completes.
use crate::{Res, e};
use panoramix_zeus as zeus;
use rand_core::OsRng;
use serde_json::{Value as Json, json};

/// `{params, trusteeSecrets, ballots, honest: [answer...], spoiled: count}`.
pub fn fixture() -> Res<Json> {
    let mut rng = OsRng;
    let sid = "fixture/spoiled";
    let ts: Vec<zeus::TrusteeSecret> = (0..2)
        .map(|_| zeus::TrusteeSecret::generate(&mut rng))
        .collect();
    let tks: Vec<zeus::TrusteeKey> = ts.iter().map(|t| t.publish(sid, &mut rng)).collect();
    let pk = zeus::combine_trustee_keys(sid, &tks).map_err(e)?;
    let mut zp = zeus::ZeusParams::new(sid, pk);
    zp.trustees = tks;
    let honest = ["yes", "no"];
    let mut ballots = Vec::new();
    for a in honest {
        let v = zeus::VoterSecret::generate(&mut rng);
        ballots.push(zeus::encrypt_ballot(&zp, &v, a.as_bytes(), &mut rng).map_err(e)?);
    }
    // a random group element: any public key is one
    let junk = zeus::TrusteeSecret::generate(&mut rng)
        .public_key()
        .decode()
        .map_err(e)?;
    // "yes" with the second counter that encodes: decodes, but not canonically
    let marked = (0..128u8)
        .filter_map(|c| zeus::encode_with_counter(b"yes", c))
        .nth(1)
        .ok_or("no second encoding of \"yes\"")?;
    for m in [junk, marked] {
        let v = zeus::VoterSecret::generate(&mut rng);
        ballots.push(zeus::encrypt_element(&zp, &v, &m, &mut rng).map_err(e)?);
    }
    Ok(json!({
        "params": serde_json::to_value(&zp).map_err(e)?,
        "trusteeSecrets": ts.iter().map(|t| t.to_hex().to_string()).collect::<Vec<_>>(),
        "ballots": ballots.iter().map(zeus::Ballot::to_text).collect::<Vec<_>>(),
        "honest": honest,
        "spoiled": 2,
    }))
}
