//! ZEUS: trustee keys, ballots, mixing with proofs, partial decryption, combination
//! and whole-transcript verification.
//!
//! Endpoint parameters are the endpoint's `endpoint_params`, the election's
//! `ZeusParams`: `{session_id, election_public_key, trustees?, trustee_key_session?,
//! answers?, voters?, revote?, sk_rounds?}`.
//!
//! Voters hold a credential (a signing key whose public part is on the election's
//! voter list); a ballot is made for the parameters, under a credential, for one of
//! the allowed answers. A prepared ballot is either cast or audited (the Benaloh
//! challenge: its randomness is revealed and the opening checked), never both.

#[cfg(feature = "client")]
use crate::bytes_of;
use crate::error::{Error, Result};
use crate::{from_js, to_js};
use panoramix_zeus as zeus;
use rand_core::OsRng;
use serde::Serialize;
use serde_json::Value as Json;
use wasm_bindgen::prelude::*;

#[cfg(feature = "client")]
/// A string argument (a number or an object is refused, not handed to WebAssembly).
fn text_of(what: &str, v: &JsValue) -> Result<String> {
    v.as_string()
        .ok_or_else(|| Error::new("invalid_argument", format!("{what}: expected a string")))
}

#[cfg(feature = "client")]
fn voter_of(v: &JsValue) -> Result<zeus::VoterSecret> {
    let hex = zeroize::Zeroizing::new(text_of("voter secret", v)?);
    zeus::VoterSecret::from_hex(&hex)
        .map_err(|e| Error::new("bad_key", format!("voter secret: {e}")))
}

#[cfg(feature = "client")]
fn ballot_of(v: &JsValue) -> Result<(String, zeus::Ballot)> {
    let text = text_of("ballot", v)?;
    let b = zeus::Ballot::from_text(&text)
        .map_err(|e| Error::new("zeus_encoding", format!("ballot: {e}")))?;
    Ok((text, b))
}

/// Parameters from a JS value (object or JSON text).
pub fn params_of(v: JsValue) -> Result<zeus::ZeusParams> {
    let json: Json = match v.as_string() {
        Some(s) => serde_json::from_str(&s)
            .map_err(|e| Error::new("endpoint_params", format!("params: {e}")))?,
        None => from_js("params", v)?,
    };
    zeus_params(&json)
}

fn secret_of(hex: &str) -> Result<zeus::TrusteeSecret> {
    zeus::TrusteeSecret::from_hex(hex)
        .map_err(|e| Error::new("bad_key", format!("trustee secret: {e}")))
}

/// Endpoint type from its wire name.
pub fn endpoint_type(ty: &str) -> Result<zeus::EndpointType> {
    zeus::EndpointType::parse(ty).map_err(|e| Error::new("endpoint_params", e.to_string()))
}

/// Parameters from JSON.
pub fn zeus_params(p: &Json) -> Result<zeus::ZeusParams> {
    serde_json::from_value(p.clone()).map_err(|e| Error::new("endpoint_params", e.to_string()))
}

#[cfg(feature = "client")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrusteeInfo {
    secret: String,
    public_key: String,
}

#[cfg(feature = "client")]
/// A fresh trustee key share: `{secret, publicKey}` (hex).
#[wasm_bindgen(js_name = zeusTrusteeKeygen)]
pub fn zeus_trustee_keygen() -> std::result::Result<JsValue, JsValue> {
    let s = zeus::TrusteeSecret::generate(&mut OsRng);
    Ok(to_js(&TrusteeInfo {
        secret: s.to_hex().to_string(),
        public_key: s.public_key().to_hex(),
    })?)
}

#[cfg(feature = "client")]
/// The public key share of a trustee secret.
#[wasm_bindgen(js_name = zeusTrusteePublicKey)]
pub fn zeus_trustee_public_key(secret: &str) -> std::result::Result<String, JsValue> {
    Ok(secret_of(secret)?.public_key().to_hex())
}

#[cfg(feature = "client")]
/// Publish a key share with its proof of knowledge bound to `session_id`:
/// `{public_key, proof: {commitment, response}}`.
#[wasm_bindgen(js_name = zeusPublishTrusteeKey)]
pub fn zeus_publish_trustee_key(
    secret: &str,
    session_id: &str,
) -> std::result::Result<JsValue, JsValue> {
    let k = secret_of(secret)?.publish(session_id, &mut OsRng);
    Ok(to_js(&k)?)
}

#[cfg(feature = "client")]
/// Verify every published key share and return the election key (hex).
#[wasm_bindgen(js_name = zeusCombineTrusteeKeys)]
pub fn zeus_combine_trustee_keys(
    session_id: &str,
    keys: JsValue,
) -> std::result::Result<String, JsValue> {
    let keys: Vec<zeus::TrusteeKey> = from_js("keys", keys)?;
    Ok(zeus::combine_trustee_keys(session_id, &keys)
        .map_err(Error::from)?
        .to_hex())
}

// (ballots, voter credentials and the Benaloh challenge: see `ballot_api`)

#[cfg(feature = "contributor")]
/// Run endpoint type `endpoint_type` on `inputs` (texts): `{outputs, proof}`.
/// `ZEUS_TW_MIX` / `ZEUS_SK_MIX` shuffle and prove; `ZEUS_SK_PARTIAL_DECRYPT`
/// needs the trustee `secret`; `ZEUS_SK_COMBINE` verifies every share and decrypts;
/// `ZEUS_BOOTH` admits the valid ballots.
#[wasm_bindgen(js_name = zeusProcess)]
pub fn zeus_process(
    endpoint_type_name: &str,
    params: JsValue,
    inputs: Vec<String>,
    secret: Option<String>,
) -> std::result::Result<JsValue, JsValue> {
    let ty = endpoint_type(endpoint_type_name)?;
    let p = params_of(params)?;
    let s = secret.as_deref().map(secret_of).transpose()?;
    let out =
        zeus::backend::process(ty, &p, s.as_ref(), &inputs, &mut OsRng).map_err(Error::from)?;
    Ok(to_js(&out)?)
}

#[cfg(feature = "contributor")]
/// Check that `outputs` and `proof` are a correct processing of `inputs` by an
/// endpoint of this type; throws a `zeus_*` error naming the first failed check.
/// The verifier's batching weights are derived from everything verified
/// (`verify_deterministic`), so the check needs no randomness.
#[wasm_bindgen(js_name = zeusVerify)]
pub fn zeus_verify(
    endpoint_type_name: &str,
    params: JsValue,
    inputs: Vec<String>,
    outputs: Vec<String>,
    proof: &str,
) -> std::result::Result<(), JsValue> {
    let ty = endpoint_type(endpoint_type_name)?;
    let p = params_of(params)?;
    zeus::backend::verify_deterministic(ty, &p, &inputs, &outputs, proof).map_err(Error::from)?;
    Ok(())
}

#[cfg(feature = "contributor")]
/// Verify a whole election transcript (JSON text or object); returns the report
/// `{session_id, ballots, trustees, mixes, checks}` or throws.
#[wasm_bindgen(js_name = zeusVerifyElection)]
pub fn zeus_verify_election(transcript: JsValue) -> std::result::Result<JsValue, JsValue> {
    let json = match transcript.as_string() {
        Some(s) => s,
        None => {
            let v: Json = from_js("transcript", transcript)?;
            v.to_string()
        }
    };
    let r = zeus::verify_election(&json).map_err(Error::from)?;
    Ok(to_js(&r)?)
}

// ---------------------------------------------------------------- voters and ballots

#[cfg(feature = "client")]
#[derive(Serialize)]
struct VoterInfo {
    secret: String,
    credential: String,
}

#[cfg(feature = "client")]
/// A fresh voter credential: `{secret, credential}` (hex). The credential is public
/// (it goes on the election's voter list); the secret signs the voter's ballots.
#[wasm_bindgen(js_name = zeusVoterKeygen)]
pub fn zeus_voter_keygen() -> std::result::Result<JsValue, JsValue> {
    let s = zeus::VoterSecret::generate(&mut OsRng);
    Ok(to_js(&VoterInfo {
        secret: s.to_hex().to_string(),
        credential: s.public().to_hex(),
    })?)
}

#[cfg(feature = "client")]
/// The public credential of a voter secret.
#[wasm_bindgen(js_name = zeusVoterCredential)]
pub fn zeus_voter_credential(secret: JsValue) -> std::result::Result<String, JsValue> {
    Ok(voter_of(&secret)?.public().to_hex())
}

#[cfg(feature = "client")]
/// The tracker of a ballot text: sha256 hex of its UTF-8 (what the booth shows and
/// the results page lists).
#[wasm_bindgen(js_name = zeusBallotTracker)]
pub fn zeus_ballot_tracker(ballot: JsValue) -> std::result::Result<String, JsValue> {
    Ok(tracker(&text_of("ballot", &ballot)?))
}

#[cfg(feature = "client")]
fn tracker(text: &str) -> String {
    panoramix_core::identity::sha256_hex(text.as_bytes())
}

#[cfg(feature = "client")]
/// Encrypt a ballot for `answer` under the voter's credential, with its validity
/// proof and signature; returns its text (hex). Same as preparing a ballot and
/// casting it at once (no audit possible).
#[wasm_bindgen(js_name = zeusEncryptBallot)]
pub fn zeus_encrypt_ballot(
    params: JsValue,
    voter_secret: JsValue,
    answer: JsValue,
) -> std::result::Result<String, JsValue> {
    let p = params_of(params)?;
    let v = voter_of(&voter_secret)?;
    let a = zeroize::Zeroizing::new(bytes_of("answer", &answer)?);
    let b = zeus::encrypt_ballot(&p, &v, &a, &mut OsRng).map_err(Error::from)?;
    Ok(b.to_text())
}

#[cfg(feature = "client")]
#[derive(Serialize)]
struct VerifiedBallot {
    ciphertext: String,
    credential: String,
    tracker: String,
}

#[cfg(feature = "client")]
/// Verify a ballot as the booth does for one input (validity proof, signature,
/// eligibility): `{ciphertext, credential, tracker}` or throws.
#[wasm_bindgen(js_name = zeusVerifyBallot)]
pub fn zeus_verify_ballot(
    params: JsValue,
    ballot: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let p = params_of(params)?;
    let (text, b) = ballot_of(&ballot)?;
    zeus::verify_ballot(&p, &b, 0).map_err(Error::from)?;
    Ok(to_js(&VerifiedBallot {
        ciphertext: b.ciphertext.to_text(),
        credential: b.credential.to_hex(),
        tracker: tracker(&text),
    })?)
}

#[cfg(feature = "client")]
/// The Benaloh check by anyone: open `ballot` with its revealed randomness (hex),
/// check that it is a valid ballot for `params` and that it encrypts an allowed
/// answer; returns that answer (UTF-8, lossy) or throws.
#[wasm_bindgen(js_name = zeusAuditBallot)]
pub fn zeus_audit_ballot(
    params: JsValue,
    ballot: JsValue,
    randomness: JsValue,
) -> std::result::Result<String, JsValue> {
    let p = params_of(params)?;
    let (_, b) = ballot_of(&ballot)?;
    let r = zeus::HexScalar::from_hex(&text_of("randomness", &randomness)?)
        .map_err(|e| Error::new("bad_key", format!("randomness: {e}")))?;
    // open_ballot verifies the ballot (proofs, signature, eligibility) first
    let answer = zeus::open_ballot(&p, &b, &r).map_err(Error::from)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[cfg(feature = "client")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Opening {
    answer: Option<String>,
    answer_hex: Option<String>,
    randomness: String,
    ok: bool,
}

#[cfg(feature = "client")]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spent {
    Fresh,
    Audited,
    Cast,
}

#[cfg(feature = "client")]
/// A ballot prepared in the booth, not yet cast: cast it (`castText`) or audit it
/// (`audit`, the Benaloh challenge), never both. The randomness stays inside
/// WebAssembly (zeroized when freed) until `audit` reveals it.
#[wasm_bindgen(js_name = PreparedBallot)]
pub struct PreparedBallotJs {
    params: zeus::ZeusParams,
    prepared: zeus::PreparedBallot,
    answer: zeroize::Zeroizing<Vec<u8>>,
    text: String,
    state: Spent,
}

#[cfg(feature = "client")]
/// Prepare a ballot for `answer` under the voter's credential (see
/// `PreparedBallot`).
#[wasm_bindgen(js_name = zeusPrepareBallot)]
pub fn zeus_prepare_ballot(
    params: JsValue,
    voter_secret: JsValue,
    answer: JsValue,
) -> std::result::Result<PreparedBallotJs, JsValue> {
    let p = params_of(params)?;
    let v = voter_of(&voter_secret)?;
    let a = zeroize::Zeroizing::new(bytes_of("answer", &answer)?);
    let prepared = zeus::prepare_ballot(&p, &v, &a, &mut OsRng).map_err(Error::from)?;
    let text = prepared.ballot().to_text();
    Ok(PreparedBallotJs {
        params: p,
        prepared,
        answer: a,
        text,
        state: Spent::Fresh,
    })
}

#[cfg(feature = "client")]
#[wasm_bindgen(js_class = PreparedBallot)]
impl PreparedBallotJs {
    /// The ballot text (hex). Post `castText()`, which refuses an audited ballot.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// sha256 hex of the text.
    #[wasm_bindgen(getter)]
    pub fn tracker(&self) -> String {
        tracker(&self.text)
    }

    /// The voter's public credential the ballot is signed with.
    #[wasm_bindgen(getter)]
    pub fn credential(&self) -> String {
        self.prepared.ballot().credential.to_hex()
    }

    /// Whether `audit` was called (the ballot can no longer be cast).
    #[wasm_bindgen(getter)]
    pub fn audited(&self) -> bool {
        self.state == Spent::Audited
    }

    /// Whether `castText` was called (the ballot can no longer be audited).
    #[wasm_bindgen(getter)]
    pub fn cast(&self) -> bool {
        self.state == Spent::Cast
    }

    /// The Benaloh challenge: reveal the randomness and check the opening
    /// (`open_ballot`: it decrypts to the prepared answer, an allowed one):
    /// `{answer, answerHex, randomness, ok}` (`answer`/`answerHex` null when it does
    /// not open). The ballot is spent: `castText` throws from now on. Throws
    /// `ballot_cast` when it was cast already.
    pub fn audit(&mut self) -> std::result::Result<JsValue, JsValue> {
        if self.state == Spent::Cast {
            return Err(Error::new(
                "ballot_cast",
                "this ballot was cast: a cast ballot is never opened",
            )
            .into());
        }
        self.state = Spent::Audited;
        let randomness = self.prepared.randomness_hex();
        let opened = zeus::HexScalar::from_hex(&randomness)
            .ok()
            .and_then(|r| zeus::open_ballot(&self.params, self.prepared.ballot(), &r).ok());
        let ok = opened.as_deref() == Some(self.answer.as_slice());
        Ok(to_js(&Opening {
            answer: opened
                .as_deref()
                .map(|a| String::from_utf8_lossy(a).into_owned()),
            answer_hex: opened.as_deref().map(hex::encode),
            randomness: randomness.to_string(),
            ok,
        })?)
    }

    /// The text to post to the booth's INBOX; marks the ballot cast. Throws
    /// `ballot_audited` once audited: only an unopened ballot can be cast.
    #[wasm_bindgen(js_name = castText)]
    pub fn cast_text(&mut self) -> std::result::Result<String, JsValue> {
        if self.state == Spent::Audited {
            return Err(Error::new(
                "ballot_audited",
                "this ballot was audited (its randomness is revealed): prepare a new one to cast",
            )
            .into());
        }
        self.state = Spent::Cast;
        Ok(self.text.clone())
    }
}

// ---------------------------------------------------------------- whole elections

#[cfg(feature = "contributor")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateSpec {
    session_id: String,
    trustees: usize,
    mixes: Vec<String>,
    #[serde(default)]
    answers: Vec<String>,
    plaintexts: Vec<String>,
}

#[cfg(feature = "contributor")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Simulated {
    transcript: String,
    trustee_secrets: Vec<String>,
    voter_secrets: Vec<String>,
}

#[cfg(feature = "contributor")]
/// Run a whole honest election (for tests and demos): `{session_id, trustees,
/// mixes: ["tw" | "sk", ...], answers?, plaintexts: [string, ...]}` (one voter
/// credential per plaintext) → `{transcript (JSON text), trusteeSecrets,
/// voterSecrets}`.
#[wasm_bindgen(js_name = zeusSimulateElection)]
pub fn zeus_simulate_election(spec: JsValue) -> std::result::Result<JsValue, JsValue> {
    let s: SimulateSpec = from_js("spec", spec)?;
    let mixes = s
        .mixes
        .iter()
        .map(|m| match m.as_str() {
            "tw" => Ok(zeus::MixKind::Tw),
            "sk" => Ok(zeus::MixKind::Sk {
                rounds: zeus::MIN_SK_ROUNDS,
            }),
            o => Err(Error::new(
                "invalid_argument",
                format!("mix kind {o:?} (tw, sk)"),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let spec = zeus::ElectionSpec {
        session_id: s.session_id,
        trustees: s.trustees,
        mixes,
        answers: s.answers,
        plaintexts: s.plaintexts.into_iter().map(String::into_bytes).collect(),
    };
    let (t, secrets) = zeus::simulate_election(&spec, &mut OsRng).map_err(Error::from)?;
    Ok(to_js(&Simulated {
        transcript: serde_json::to_string(&t).map_err(|e| Error::new("internal", e.to_string()))?,
        trustee_secrets: secrets
            .trustees
            .iter()
            .map(|t| t.to_hex().to_string())
            .collect(),
        voter_secrets: secrets
            .voters
            .iter()
            .map(|v| v.to_hex().to_string())
            .collect(),
    })?)
}

#[cfg(feature = "contributor")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MixInput {
    mixer: String,
    outputs: Vec<String>,
    proof: String,
}

#[cfg(feature = "contributor")]
/// The election transcript (JSON text, `panoramix/zeus/v2/election`) from what a
/// mix-net publishes: the booth's inputs in order, each mix `{mixer, outputs,
/// proof}` in chain order, every trustee's partial-decryption texts and the
/// combination's outcome texts. Verified before it is returned (throws `zeus_*`).
/// Pretty-printed JSON, as the native agent's `election.json` files.
#[wasm_bindgen(js_name = zeusAssembleElection)]
pub fn zeus_assemble_election(
    params: JsValue,
    booth_inputs: JsValue,
    mixes: JsValue,
    shares: JsValue,
    outcomes: JsValue,
) -> std::result::Result<String, JsValue> {
    let p = params_of(params)?;
    let booth_inputs: Vec<String> = from_js("boothInputs", booth_inputs)?;
    let shares: Vec<String> = from_js("shares", shares)?;
    let outcomes: Vec<String> = from_js("outcomes", outcomes)?;
    let mixes: Vec<MixInput> = from_js("mixes", mixes)?;
    let mixes = mixes
        .into_iter()
        .map(|m| (m.mixer, m.outputs, m.proof))
        .collect();
    let t = zeus::assemble_transcript(&p, &booth_inputs, mixes, &shares, &outcomes)
        .map_err(Error::from)?;
    // pretty, as the native `election.json` files (panoramix_mixnet::election::transcript_json)
    let json =
        serde_json::to_string_pretty(&t).map_err(|e| Error::new("internal", e.to_string()))?;
    zeus::verify_election(&json).map_err(Error::from)?;
    Ok(json)
}
