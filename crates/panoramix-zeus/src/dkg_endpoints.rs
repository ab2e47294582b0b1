//! The threshold key generation ([`crate::dkg`]) as endpoint types of the
//! contributor protocol, as pure functions over message texts (docs/zeus.md
//! §3.5 and §8):
//!
//! | type | posted to its INBOX | output texts |
//! |---|---|---|
//! | `ZEUS_DKG_DEALINGS` | one signed [`Dealing`] per trustee (JSON) | the accepted dealings, as accepted |
//! | `ZEUS_DKG_VERDICTS` | one signed [`Verdict`] per trustee (JSON) | the accepted verdicts, as accepted |
//! | `ZEUS_DKG_KEY` | linked: the two endpoints' ACCEPTED boxes | one [`KeyResult`] (JSON) |
//!
//! The two entry endpoints (each trustee has one of each, on its own peer)
//! admit only well-formed messages signed by the trustee they name, the
//! first per trustee; each closes with its trustee's one message. A trustee's own contributions are `ZEUS_DKG_DEAL` (no input; its
//! dealing) and `ZEUS_DKG_VERDICT` (input: the accepted dealings; its
//! verdict). The key endpoint's output is a function of its input, so every
//! owner recomputes it.
//!
//! At tally time a trustee's secret share is recomputed from the public key
//! generation and its trustee key ([`threshold_share`]): nothing secret is
//! kept between the key generation and the tally.

use std::collections::HashSet;

use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::dkg::{self, Complaint, Dealing, Dkg};
use crate::encoding::{HexScalar, Point};
use crate::error::VerifyError;
use crate::keys::{SchnorrProof, TrusteeKey, TrusteeSecret, schnorr_prove, schnorr_verify};
use crate::params::ZeusParams;
use crate::transcript::{GROUP_NAME, Transcript};

/// A trustee's dealing endpoint (entry, on its own peer).
pub const DKG_DEALINGS: &str = "ZEUS_DKG_DEALINGS";
/// A trustee's verdict endpoint (entry, on its own peer).
pub const DKG_VERDICTS: &str = "ZEUS_DKG_VERDICTS";
/// The key endpoint (linked, joint, recomputed by every owner).
pub const DKG_KEY: &str = "ZEUS_DKG_KEY";
/// A trustee's own action: its dealing.
pub const DKG_DEAL: &str = "ZEUS_DKG_DEAL";
/// A trustee's own action: its verdict on the accepted dealings.
pub const DKG_VERDICT: &str = "ZEUS_DKG_VERDICT";
/// Domain of a verdict's signature.
pub const DKG_VERDICT_DOMAIN: &str = "panoramix/zeus/v1/dkg-verdict";

/// Whether `ty` is one of the key generation's types.
pub fn is_dkg_type(ty: &str) -> bool {
    [DKG_DEALINGS, DKG_VERDICTS, DKG_KEY, DKG_DEAL, DKG_VERDICT].contains(&ty)
}

/// The `endpoint_params` of the key generation's endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkgParams {
    /// The key generation's session (`<joint peer>/dkg`).
    pub session_id: String,
    /// Any `threshold` qualified trustees decrypt.
    pub threshold: u32,
    /// The trustees' published keys with their proofs, in trustee order.
    pub trustees: Vec<TrusteeKey>,
    /// The session the trustees' proofs are bound to.
    pub trustee_key_session: String,
}

/// A trustee's signed verdict on the accepted dealings: its complaints
/// (empty: every share it received checks out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// The trustee (1-based).
    pub complainant: u32,
    /// Its complaints, each about another dealer.
    pub complaints: Vec<Complaint>,
    /// Schnorr signature by the trustee's key (docs/zeus.md §3.5).
    pub signature: SchnorrProof,
}

/// What the key generation yields: the output of `ZEUS_DKG_KEY`, whose
/// `election_public_key` and `dkg` every cycle's ZEUS endpoints carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyResult {
    /// The election key.
    pub election_public_key: Point,
    /// Qualified trustees (1-based), ascending.
    pub qualified: Vec<u32>,
    /// Disqualified trustees with why.
    pub disqualified: Vec<(u32, String)>,
    /// `VK_j`, j = 1 … n.
    pub verification_keys: Vec<Point>,
    /// The public record: the accepted dealings and every complaint.
    pub dkg: Dkg,
}

fn malformed(at: &str, reason: impl std::fmt::Display) -> VerifyError {
    VerifyError::Malformed {
        at: at.into(),
        reason: reason.to_string(),
    }
}

impl DkgParams {
    /// Parse endpoint parameters.
    pub fn from_json(p: &serde_json::Value) -> Result<Self, VerifyError> {
        serde_json::from_value(p.clone()).map_err(|e| malformed("params", e))
    }

    /// Every trustee key's proof, no two equal, and `1 ≤ t ≤ n`.
    pub fn check(&self) -> Result<(), VerifyError> {
        crate::keys::combine_trustee_keys(&self.trustee_key_session, &self.trustees)?;
        let n = self.trustees.len();
        if self.threshold == 0 || self.threshold as usize > n || n > dkg::MAX_TRUSTEES {
            return Err(malformed(
                "params.threshold",
                format!("threshold {} of {n} trustees", self.threshold),
            ));
        }
        Ok(())
    }

    /// The index (1-based) of the trustee holding `secret`.
    pub fn index_of(&self, secret: &TrusteeSecret) -> Result<u32, VerifyError> {
        let pk = secret.public_key();
        self.trustees
            .iter()
            .position(|k| k.public_key == pk)
            .map(|k| k as u32 + 1)
            .ok_or_else(|| malformed("params.trustees", "this trustee's key is not listed"))
    }

    fn record(&self, dealings: Vec<Dealing>, complaints: Vec<Complaint>) -> Dkg {
        Dkg {
            session_id: self.session_id.clone(),
            threshold: self.threshold,
            dealings,
            complaints,
        }
    }
}

fn verdict_transcript(p: &DkgParams, key: &Point, v: &Verdict) -> Transcript {
    let mut tr = Transcript::new(DKG_VERDICT_DOMAIN);
    tr.append("session_id", p.session_id.as_bytes());
    tr.append("group", GROUP_NAME.as_bytes());
    tr.append_u64("threshold", p.threshold.into());
    tr.append_u64("trustees", p.trustees.len() as u64);
    tr.append_u64("complainant", v.complainant.into());
    tr.append_point("complainant_key", key);
    tr.append_u64("complaints", v.complaints.len() as u64);
    for c in &v.complaints {
        let mut b = Vec::with_capacity(8 + 4 * 32);
        b.extend_from_slice(&u64::from(c.dealer).to_le_bytes());
        for p in [&c.shared_key, &c.proof.a, &c.proof.b] {
            b.extend_from_slice(&p.0);
        }
        b.extend_from_slice(c.proof.s.0.as_bytes());
        tr.append("complaint", &b);
    }
    tr
}

impl Verdict {
    /// Whether the verdict is signed by the trustee it names and every
    /// complaint is that trustee's.
    pub fn signed(&self, p: &DkgParams) -> bool {
        let Some(key) = (self.complainant as usize)
            .checked_sub(1)
            .and_then(|k| p.trustees.get(k))
            .map(|t| t.public_key)
        else {
            return false;
        };
        self.complaints
            .iter()
            .all(|c| c.complainant == self.complainant)
            && key.decode().is_ok_and(|x| {
                schnorr_verify(verdict_transcript(p, &key, self), &x, &self.signature) == Ok(true)
            })
    }
}

/// Trustee `secret`'s dealing, as text.
pub fn deal_text<R: RngCore + CryptoRng>(
    p: &DkgParams,
    secret: &TrusteeSecret,
    rng: &mut R,
) -> Result<String, VerifyError> {
    p.check()?;
    let me = p.index_of(secret)?;
    let d = dkg::deal(&p.session_id, p.threshold, &p.trustees, me, secret, rng)?;
    serde_json::to_string(&d).map_err(|e| malformed("dealing", e))
}

fn parse_dealings<S: AsRef<str>>(p: &DkgParams, texts: &[S]) -> Vec<Dealing> {
    let mut out: Vec<Dealing> = texts
        .iter()
        .filter_map(|t| serde_json::from_str::<Dealing>(t.as_ref()).ok())
        .collect();
    out.sort_by_key(|d| d.dealer);
    out.retain(|d| dkg::dealing_signed(&p.session_id, p.threshold, &p.trustees, d));
    out
}

/// Trustee `secret`'s signed verdict on the accepted `dealings` (texts).
pub fn verdict_text<R: RngCore + CryptoRng, S: AsRef<str>>(
    p: &DkgParams,
    secret: &TrusteeSecret,
    dealings: &[S],
    rng: &mut R,
) -> Result<String, VerifyError> {
    p.check()?;
    let me = p.index_of(secret)?;
    let record = p.record(parse_dealings(p, dealings), Vec::new());
    let received = dkg::receive(&record, &p.trustees, me, secret, rng)?;
    let key = secret.public_key();
    let mut v = Verdict {
        complainant: me,
        complaints: received.complaints,
        signature: SchnorrProof {
            commitment: key,
            response: HexScalar(curve25519_dalek::scalar::Scalar::ZERO),
        },
    };
    v.signature = schnorr_prove(verdict_transcript(p, &key, &v), secret.scalar(), rng);
    serde_json::to_string(&v).map_err(|e| malformed("verdict", e))
}

/// Which texts an entry endpoint of the key generation admits: a dealing
/// (verdict) that parses and is signed by the trustee it names, the first
/// per trustee. Unusable parameters admit nothing.
pub fn admissible<S: AsRef<str>>(ty: &str, params: &serde_json::Value, texts: &[S]) -> Vec<bool> {
    let Ok(p) = DkgParams::from_json(params).and_then(|p| p.check().map(|()| p)) else {
        return vec![false; texts.len()];
    };
    let mut seen = HashSet::new();
    texts
        .iter()
        .map(|t| {
            let who = match ty {
                DKG_DEALINGS => serde_json::from_str::<Dealing>(t.as_ref())
                    .ok()
                    .filter(|d| dkg::dealing_signed(&p.session_id, p.threshold, &p.trustees, d))
                    .map(|d| d.dealer),
                DKG_VERDICTS => serde_json::from_str::<Verdict>(t.as_ref())
                    .ok()
                    .filter(|v| v.signed(&p))
                    .map(|v| v.complainant),
                _ => None,
            };
            who.is_some_and(|w| seen.insert(w))
        })
        .collect()
}

/// The key generation's result from the accepted dealings and verdicts (in
/// any order, mixed): dealings signed by their dealer and verdicts signed by
/// their trustee, each sorted by trustee; the complaints in trustee order;
/// [`Dkg::verify`] (fails with fewer than `t` qualified trustees).
pub fn key_result<S: AsRef<str>>(p: &DkgParams, inputs: &[S]) -> Result<KeyResult, VerifyError> {
    p.check()?;
    let dealings = parse_dealings(p, inputs);
    let mut verdicts: Vec<Verdict> = inputs
        .iter()
        .filter_map(|t| serde_json::from_str::<Verdict>(t.as_ref()).ok())
        .filter(|v| v.signed(p))
        .collect();
    verdicts.sort_by_key(|v| v.complainant);
    verdicts.dedup_by_key(|v| v.complainant);
    let complaints = verdicts.into_iter().flat_map(|v| v.complaints).collect();
    let record = p.record(dealings, complaints);
    let o = record.verify(&p.trustees)?;
    Ok(KeyResult {
        election_public_key: o.public_key,
        qualified: o.qualified,
        disqualified: o.disqualified,
        verification_keys: o.verification_keys,
        dkg: record,
    })
}

/// Process a key generation type: the entry endpoints copy their accepted
/// input, the key endpoint outputs its [`KeyResult`], the trustee's actions
/// make its dealing or verdict (they need `secret`).
pub fn process<S: AsRef<str>, R: RngCore + CryptoRng>(
    ty: &str,
    params: &serde_json::Value,
    secret: Option<&TrusteeSecret>,
    inputs: &[S],
    rng: &mut R,
) -> Result<Vec<String>, VerifyError> {
    let p = DkgParams::from_json(params)?;
    let secret = || secret.ok_or_else(|| malformed("secret", "no trustee key"));
    match ty {
        DKG_DEALINGS | DKG_VERDICTS => Ok(inputs.iter().map(|t| t.as_ref().to_owned()).collect()),
        DKG_KEY => {
            let r = key_result(&p, inputs)?;
            Ok(vec![
                serde_json::to_string(&r).map_err(|e| malformed("key", e))?,
            ])
        }
        DKG_DEAL => Ok(vec![deal_text(&p, secret()?, rng)?]),
        DKG_VERDICT => Ok(vec![verdict_text(&p, secret()?, inputs, rng)?]),
        other => Err(malformed(
            "endpoint_type",
            format!("{other} is not a key generation type"),
        )),
    }
}

/// Trustee `secret`'s share of the election key of `params` (a threshold
/// election: `params.dkg` set), recomputed from the public key generation:
/// its shares from the qualified dealers, decrypted and checked.
pub fn threshold_share<R: RngCore + CryptoRng>(
    params: &ZeusParams,
    secret: &TrusteeSecret,
    rng: &mut R,
) -> Result<TrusteeSecret, VerifyError> {
    let d = params
        .dkg
        .as_ref()
        .ok_or_else(|| malformed("params.dkg", "not a threshold election"))?;
    let pk = secret.public_key();
    let me = params
        .trustees
        .iter()
        .position(|k| k.public_key == pk)
        .map(|k| k as u32 + 1)
        .ok_or_else(|| malformed("params.trustees", "this trustee's key is not listed"))?;
    let o = d.verify(&params.trustees)?;
    dkg::receive(d, &params.trustees, me, secret, rng)?.secret_share(&o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn dealings_verdicts_and_the_key_as_texts() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let secrets: Vec<TrusteeSecret> =
            (0..4).map(|_| TrusteeSecret::generate(&mut rng)).collect();
        let p = DkgParams {
            session_id: "J/dkg".into(),
            threshold: 3,
            trustees: secrets.iter().map(|s| s.publish("k", &mut rng)).collect(),
            trustee_key_session: "k".into(),
        };
        let pj = serde_json::to_value(&p).unwrap();
        let mut dealings: Vec<String> = secrets
            .iter()
            .map(|s| deal_text(&p, s, &mut rng).unwrap())
            .collect();
        // trustee 2 deals twice: only its first is admitted; junk is not
        dealings.push(deal_text(&p, &secrets[1], &mut rng).unwrap());
        dealings.push("{}".into());
        assert_eq!(
            admissible(DKG_DEALINGS, &pj, &dealings),
            [true, true, true, true, false, false]
        );
        // trustee 3 garbles its share for trustee 1 and signs it
        let mut bad: Dealing = serde_json::from_str(&dealings[2]).unwrap();
        bad.shares[0].ciphertext.0[5] ^= 1;
        dkg::sign_dealing("J/dkg", 3, &p.trustees, &mut bad, &secrets[2], &mut rng).unwrap();
        dealings[2] = serde_json::to_string(&bad).unwrap();
        let accepted = &dealings[..4];
        let verdicts: Vec<String> = secrets
            .iter()
            .map(|s| verdict_text(&p, s, accepted, &mut rng).unwrap())
            .collect();
        assert_eq!(admissible(DKG_VERDICTS, &pj, &verdicts), [true; 4]);
        let v1: Verdict = serde_json::from_str(&verdicts[0]).unwrap();
        assert_eq!(v1.complaints.len(), 1);
        // a verdict in someone else's name is not admitted
        let mut forged = v1.clone();
        forged.complainant = 2;
        forged.complaints.clear();
        let forged = serde_json::to_string(&forged).unwrap();
        assert_eq!(admissible(DKG_VERDICTS, &pj, &[forged]), [false]);

        let mut inputs: Vec<String> = accepted.to_vec();
        inputs.extend(verdicts);
        let out = process(DKG_KEY, &pj, None, &inputs, &mut rng).unwrap();
        let r: KeyResult = serde_json::from_str(&out[0]).unwrap();
        assert_eq!(r.qualified, [1, 2, 4]);
        assert_eq!(r.disqualified[0].0, 3);
        // the key as an election's: every qualified trustee's share matches
        let mut zp = ZeusParams::new("J/1", r.election_public_key);
        zp.trustees = p.trustees.clone();
        zp.trustee_key_session = "k".into();
        zp.dkg = Some(r.dkg.clone());
        for j in [1usize, 2, 4] {
            let s = threshold_share(&zp, &secrets[j - 1], &mut rng).unwrap();
            assert_eq!(s.public_key(), r.verification_keys[j - 1]);
        }
        // order of the inputs does not matter
        inputs.reverse();
        let again = process(DKG_KEY, &pj, None, &inputs, &mut rng).unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn a_threshold_definition_binds_the_threshold_and_the_trustees() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let keys: Vec<TrusteeKey> = (0..3)
            .map(|_| TrusteeSecret::generate(&mut rng).publish("k", &mut rng))
            .collect();
        let mut p = ZeusParams::new("J/1", keys[0].public_key);
        p.trustees = keys;
        let n_of_n = p.definition_digest();
        p.dkg = Some(Dkg {
            session_id: "J/dkg".into(),
            threshold: 2,
            dealings: Vec::new(),
            complaints: Vec::new(),
        });
        let d = p.definition_digest();
        assert_ne!(d, n_of_n);
        let mut other_t = p.clone();
        other_t.dkg.as_mut().unwrap().threshold = 3;
        assert_ne!(other_t.definition_digest(), d);
        let mut other_order = p.clone();
        other_order.trustees.swap(0, 2);
        assert_ne!(other_order.definition_digest(), d);
        // the record itself is not bound (it determines the key, which is)
        let mut other_record = p.clone();
        other_record.dkg.as_mut().unwrap().session_id = "other".into();
        assert_eq!(other_record.definition_digest(), d);
    }

    #[test]
    fn fewer_than_t_qualified_dealers_give_no_key() {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let secrets: Vec<TrusteeSecret> =
            (0..3).map(|_| TrusteeSecret::generate(&mut rng)).collect();
        let p = DkgParams {
            session_id: "J/dkg".into(),
            threshold: 3,
            trustees: secrets.iter().map(|s| s.publish("k", &mut rng)).collect(),
            trustee_key_session: "k".into(),
        };
        let two: Vec<String> = secrets[..2]
            .iter()
            .map(|s| deal_text(&p, s, &mut rng).unwrap())
            .collect();
        let e = key_result(&p, &two).unwrap_err();
        assert!(e.to_string().contains("fewer than the threshold"), "{e}");
    }
}
