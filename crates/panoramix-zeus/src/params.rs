//! The election parameters every ZEUS endpoint and the election transcript
//! carry ([`ZeusParams`]), what they imply once checked ([`Rules`]), and the
//! outcome of decrypting one ballot ([`Outcome`]).

use std::collections::HashSet;

use curve25519_dalek::ristretto::RistrettoPoint;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dkg::Dkg;
use crate::encoding::{MAX_PLAINTEXT_LEN, Point, decode_plaintext, encode_plaintext};
use crate::error::{DecodeError, VerifyError};
use crate::keys::{TrusteeKey, combine_trustee_keys};
use crate::sk::MIN_SK_ROUNDS;

/// At most this many answers in a candidate list (the validity proof has one
/// branch per answer).
pub const MAX_ANSWERS: usize = 64;

/// Prefix of the text form of a spoiled outcome.
pub const SPOILED_PREFIX: &str = "spoiled:";

/// Domain of the election-definition digest ([`ZeusParams::definition_digest`]).
pub const DEFINITION_DOMAIN: &str = "panoramix/zeus/v1/election-definition";

fn default_rounds() -> u32 {
    MIN_SK_ROUNDS
}

/// Which of a credential's ballots counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevotePolicy {
    /// The last ballot the box accepted for a credential counts (as in
    /// Helios and Belenios); earlier ones are superseded.
    #[default]
    Last,
}

impl RevotePolicy {
    fn is_default(&self) -> bool {
        *self == RevotePolicy::Last
    }
}

/// Election parameters: the `endpoint_params` of every ZEUS endpoint and the
/// `election` object of an election transcript (JSON, unknown fields refused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZeusParams {
    /// Election / session id bound into every proof.
    pub session_id: String,
    /// The election key.
    pub election_public_key: Point,
    /// The trustees' published key shares with their proofs of knowledge,
    /// in trustee order. Their sum must be the election key.
    #[serde(default)]
    pub trustees: Vec<TrusteeKey>,
    /// The session the trustees' proofs of knowledge are bound to (empty:
    /// `session_id`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trustee_key_session: String,
    /// Allowed answers (UTF-8, 1 to 29 bytes, distinct, at most
    /// [`MAX_ANSWERS`]); empty for a free-text election.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// Eligible voters' public credentials; empty: any credential may vote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voters: Vec<Point>,
    /// Which of a credential's ballots counts.
    #[serde(default, skip_serializing_if = "RevotePolicy::is_default")]
    pub revote: RevotePolicy,
    /// Sako–Kilian rounds to produce and to require (at least 128).
    #[serde(default = "default_rounds")]
    pub sk_rounds: u32,
    /// Threshold trustees: the key generation that made the election key
    /// (absent: n-of-n, the key is the sum of the trustees' keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dkg: Option<Dkg>,
}

/// The keys partial decryptions are checked against, and how many are
/// needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptionKeys {
    /// Per trustee (in trustee order): its key share (n-of-n) or its
    /// verification key (threshold).
    pub keys: Vec<Point>,
    /// `Some(t)`: any `t` qualified trustees decrypt; `None`: all of them.
    pub threshold: Option<usize>,
    /// Trustees (0-based) allowed to decrypt.
    pub qualified: Vec<usize>,
}

impl ZeusParams {
    /// Parameters of a free-text election open to any credential.
    pub fn new(session_id: &str, election_public_key: Point) -> Self {
        ZeusParams {
            session_id: session_id.to_owned(),
            election_public_key,
            trustees: Vec::new(),
            trustee_key_session: String::new(),
            answers: Vec::new(),
            voters: Vec::new(),
            revote: RevotePolicy::Last,
            sk_rounds: MIN_SK_ROUNDS,
            dkg: None,
        }
    }

    /// The session the trustees' key proofs are bound to.
    pub fn key_session(&self) -> &str {
        if self.trustee_key_session.is_empty() {
            &self.session_id
        } else {
            &self.trustee_key_session
        }
    }

    /// The digest of the election definition every ballot signature binds
    /// (docs/zeus.md §4.4): the challenge `definition` of a transcript
    /// `panoramix/zeus/v1/election-definition` over the session, the group,
    /// the key session, the election key, the answers, the voter list, the
    /// re-vote policy and the Sako–Kilian rounds; with threshold trustees
    /// (a key generation), also the threshold and the trustees' keys, so a
    /// ballot binds who may tally and how many of them. The key generation's
    /// record itself is left out: it verifies on its own and determines the
    /// election key, which is bound.
    pub fn definition_digest(&self) -> [u8; 64] {
        let mut t = crate::transcript::Transcript::new(DEFINITION_DOMAIN);
        t.append("session_id", self.session_id.as_bytes());
        t.append("group", crate::transcript::GROUP_NAME.as_bytes());
        t.append("key_session", self.key_session().as_bytes());
        t.append_point("public_key", &self.election_public_key);
        t.append_u64("answers", self.answers.len() as u64);
        for a in &self.answers {
            t.append("answer", a.as_bytes());
        }
        t.append_points("voters", &self.voters);
        t.append(
            "revote",
            match self.revote {
                RevotePolicy::Last => b"last",
            },
        );
        t.append_u64("sk_rounds", u64::from(self.sk_rounds));
        if let Some(d) = &self.dkg {
            t.append_u64("threshold", u64::from(d.threshold));
            let keys: Vec<Point> = self.trustees.iter().map(|k| k.public_key).collect();
            t.append_points("trustees", &keys);
        }
        t.challenge_bytes("definition")
    }

    /// Check every trustee's proof of knowledge (bound to
    /// [`ZeusParams::key_session`]) and that no two keys are equal; then,
    /// n-of-n, that their sum is the election key, or, with a key
    /// generation, that it verifies ([`Dkg::verify`]) and yields the election
    /// key. Returns the keys partial decryptions are checked against.
    pub fn verify_trustees(&self) -> Result<DecryptionKeys, VerifyError> {
        let joint =
            combine_trustee_keys(self.key_session(), &self.trustees).map_err(|e| match e {
                VerifyError::Encoding { at, reason } => VerifyError::Encoding {
                    at: format!("election.{at}"),
                    reason,
                },
                other => other,
            })?;
        match &self.dkg {
            None => {
                if joint != self.election_public_key {
                    return Err(VerifyError::JointKeyMismatch);
                }
                Ok(DecryptionKeys {
                    keys: self.trustees.iter().map(|t| t.public_key).collect(),
                    threshold: None,
                    qualified: (0..self.trustees.len()).collect(),
                })
            }
            Some(d) => {
                let o = d.verify(&self.trustees)?;
                if o.public_key != self.election_public_key {
                    return Err(VerifyError::JointKeyMismatch);
                }
                Ok(DecryptionKeys {
                    keys: o.verification_keys,
                    threshold: Some(d.threshold as usize),
                    qualified: o.qualified.iter().map(|q| *q as usize - 1).collect(),
                })
            }
        }
    }

    /// [`ZeusParams::rules`], and every credential on the voter list decodes
    /// to a group element (the stand-alone verifier's check of the
    /// definition; a credential that does not decode could never sign a
    /// ballot, so ballot checks skip it).
    pub fn check_definition(&self) -> Result<Rules, VerifyError> {
        let rules = self.rules()?;
        for (i, v) in self.voters.iter().enumerate() {
            v.decode().map_err(|reason| VerifyError::Encoding {
                at: format!("election.voters[{i}]"),
                reason,
            })?;
        }
        Ok(rules)
    }

    /// Check the answers and that the voter list has no repeats, and
    /// precompute what ballot checks need.
    pub fn rules(&self) -> Result<Rules, VerifyError> {
        let mut rules = self.answer_rules()?;
        rules.voters.reserve(self.voters.len());
        for (i, v) in self.voters.iter().enumerate() {
            if !rules.voters.insert(*v) {
                return Err(VerifyError::Malformed {
                    at: format!("election.voters[{i}]"),
                    reason: "repeats an earlier credential".into(),
                });
            }
        }
        Ok(rules)
    }

    /// The key and the answers, checked, without the voter list: what making
    /// a ballot needs.
    pub(crate) fn answer_rules(&self) -> Result<Rules, VerifyError> {
        let bad = |at: String, reason: String| VerifyError::Malformed { at, reason };
        let pk = self
            .election_public_key
            .decode()
            .map_err(|reason| VerifyError::Encoding {
                at: "election.election_public_key".into(),
                reason,
            })?;
        if self.answers.len() > MAX_ANSWERS {
            return Err(bad(
                "election.answers".into(),
                format!("{} answers, at most {MAX_ANSWERS}", self.answers.len()),
            ));
        }
        let mut answer_points = Vec::with_capacity(self.answers.len());
        for (k, a) in self.answers.iter().enumerate() {
            let at = format!("election.answers[{k}]");
            if a.is_empty() || a.len() > MAX_PLAINTEXT_LEN {
                return Err(bad(at, format!("must be 1 to {MAX_PLAINTEXT_LEN} bytes")));
            }
            if self.answers[..k].contains(a) {
                return Err(bad(at, "repeats an earlier answer".into()));
            }
            answer_points.push(encode_plaintext(a.as_bytes()).map_err(|e| bad(at, e.to_string()))?);
        }
        Ok(Rules {
            pk,
            answers: answer_points,
            voters: HashSet::new(),
            definition: self.definition_digest(),
        })
    }

    /// What a decrypted element `m` counts as: an allowed answer in its
    /// canonical encoding, or spoiled.
    pub fn outcome(&self, m: &RistrettoPoint) -> Outcome {
        match decode_plaintext(m) {
            Ok(p)
                if self.answers.is_empty()
                    || self.answers.iter().any(|a| a.as_bytes() == p.as_slice()) =>
            {
                Outcome::Plaintext(p)
            }
            _ => Outcome::Spoiled(Point::from_point(m)),
        }
    }
}

/// Checked election parameters, ready for ballot checks.
#[derive(Clone, Debug)]
pub struct Rules {
    pub(crate) pk: RistrettoPoint,
    /// The answers' encodings, in order.
    pub(crate) answers: Vec<RistrettoPoint>,
    pub(crate) voters: HashSet<Point>,
    /// [`ZeusParams::definition_digest`].
    pub(crate) definition: [u8; 64],
}

impl Rules {
    /// Whether `credential` may vote.
    pub fn eligible(&self, credential: &Point) -> bool {
        self.voters.is_empty() || self.voters.contains(credential)
    }

    /// Number of answers (0: free text).
    pub fn answer_count(&self) -> usize {
        self.answers.len()
    }
}

/// What one decrypted ballot counts as.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// An allowed answer (or, in a free-text election, any plaintext) in its
    /// canonical encoding.
    Plaintext(Vec<u8>),
    /// Anything else; the decrypted element is published so that anyone can
    /// recompute it from the verified partial decryptions. Counted as invalid.
    Spoiled(Point),
}

impl Outcome {
    /// Text form: the plaintext as lowercase hex, or `spoiled:` followed by
    /// the element's 64 hex characters.
    pub fn to_text(&self) -> String {
        match self {
            Outcome::Plaintext(p) => hex::encode(p),
            Outcome::Spoiled(m) => format!("{SPOILED_PREFIX}{}", m.to_hex()),
        }
    }

    /// Parse the text form (lowercase hex only).
    pub fn from_text(s: &str) -> Result<Self, DecodeError> {
        if let Some(h) = s.strip_prefix(SPOILED_PREFIX) {
            return Ok(Outcome::Spoiled(Point::from_hex(h)?));
        }
        let b = s.as_bytes();
        let max = 2 * MAX_PLAINTEXT_LEN;
        if !b.len().is_multiple_of(2)
            || b.len() > max
            || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(DecodeError::BadHex { expected: max });
        }
        hex::decode(b)
            .map(Outcome::Plaintext)
            .map_err(|_| DecodeError::BadHex { expected: max })
    }

    /// Whether the ballot was spoiled.
    pub fn is_spoiled(&self) -> bool {
        matches!(self, Outcome::Spoiled(_))
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
        Outcome::from_text(&s).map_err(serde::de::Error::custom)
    }
}
